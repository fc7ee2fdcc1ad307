#!/bin/sh
# Runs the libFuzzer targets built in BINDIR, one after another (the machine is shared).
#   fuzz/run.sh BINDIR SECONDS   fuzz each target for SECONDS from its seed corpus
#                                fuzz/corpus/NAME (new inputs go to BINDIR/corpus/NAME),
#                                print the executions of each; fail on any crash
#   fuzz/run.sh BINDIR replay    run every file of fuzz/regressions/NAME through NAME once
# Run from the repository root (fuzz_command reads prompts/). A crash input is written to
# BINDIR/artifacts/NAME/; keep it in fuzz/regressions/NAME/ once fixed.
set -u
bindir=$1
mode=$2
status=0

# The longest input each target gets: a little above its largest real input.
max_len() {
	case $1 in
	fuzz_date) echo 64 ;;
	fuzz_command) echo 512 ;;
	fuzz_escape) echo 2048 ;;
	fuzz_config) echo 8192 ;;
	fuzz_slack_envelope) echo 8192 ;;
	fuzz_matrix_sync|fuzz_template) echo 24576 ;;
	*) echo 4096 ;;
	esac
}

for src in fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$bindir/$name
	if [ "$mode" = replay ]; then
		set -- fuzz/regressions/"$name"/*
		[ -e "$1" ] || continue
		if "$bin" "$@" >"$bindir/$name.replay.log" 2>&1; then
			echo "$name: $# regression inputs ok"
		else
			echo "$name: a regression input fails (see $bindir/$name.replay.log)"
			status=1
		fi
		continue
	fi
	mkdir -p "$bindir/corpus/$name" "$bindir/artifacts/$name"
	dict=
	[ -f "fuzz/dict/$name.dict" ] && dict=-dict=fuzz/dict/$name.dict
	"$bin" -max_total_time="$mode" -max_len="$(max_len "$name")" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$bindir/artifacts/$name/" $dict \
		"$bindir/corpus/$name" "fuzz/corpus/$name" >"$bindir/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$bindir/$name.log")
	if [ $rc -eq 0 ]; then
		echo "$name: ${execs:-?} executions in ${mode}s, no crash"
	else
		echo "$name: FAILED after ${execs:-?} executions (see $bindir/$name.log)"
		grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|invariant violated)' "$bindir/$name.log"
		status=1
	fi
done
exit $status
