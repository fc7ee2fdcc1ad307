#!/usr/bin/env bash
# run.sh - the integration tests: drives the real workshopbot binary.
#
#   tests/integration/run.sh build/workshopbot
#
# Runs every tests/integration/test_*.sh, or those TESTS names ("test_walk test_timed"),
# each in its own temp dir, prints their
# "ok -" / "not ok -" lines, and ends with the line "N passed, M failed". Exits non-zero
# if any check failed, a test script died, or the binary's stderr held a sanitizer report.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 path/to/workshopbot" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$1
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac

missing=
for tool in jq sqlite3 timeout mkfifo od awk; do
	command -v "$tool" >/dev/null 2>&1 || missing+=" $tool"
done
if [ -n "$missing" ]; then
	echo "run.sh: missing tools:$missing (apt-get install jq sqlite3 coreutils)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$bin" ]; then
	echo "run.sh: $bin is not an executable; build it first (make)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# JOBS: how many test scripts run at once (default 1); the output stays in their order.
JOBS=${JOBS:-1}
logs=$(mktemp -d "${TMPDIR:-/tmp}/workshopbot-it-log.XXXXXX") || exit 1
trap 'rm -rf "$logs"' EXIT

scripts=("$here"/test_*.sh)
if [ -n "${TESTS:-}" ]; then
	read -ra scripts <<<"$TESTS"
	scripts=("${scripts[@]/#/$here/}")
	scripts=("${scripts[@]/%/.sh}")
fi

# run_one I: script I into $logs/I.log, its exit status and seconds into $logs/I.rc.
run_one() {
	local t0=$SECONDS rc
	# Each script bounds its own binary runs (RUN_LIMIT each); this bounds the script.
	BIN=$bin ROOT=$root timeout "$((300 * ${TIME_SCALE:-1}))" bash "${scripts[$1]}" \
		>"$logs/$1.log" 2>&1
	rc=$?
	echo "$rc $((SECONDS - t0))" >"$logs/$1.rc.tmp"
	mv "$logs/$1.rc.tmp" "$logs/$1.rc"
}

passed=0
failed=0
shown=0
# report_done: prints, in order, the results of the scripts that have finished.
report_done() {
	local name rc secs p f
	while [ "$shown" -lt "${#scripts[@]}" ] && [ -f "$logs/$shown.rc" ]; do
		name=$(basename "${scripts[$shown]}" .sh)
		read -r rc secs <"$logs/$shown.rc"
		echo "# $name ($secs s)"
		cat "$logs/$shown.log"
		p=$(grep -c '^ok - ' "$logs/$shown.log")
		f=$(grep -c '^not ok - ' "$logs/$shown.log")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - $name: the script exited with status $rc"
			f=1
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		shown=$((shown + 1))
	done
}

for i in "${!scripts[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
		report_done
	done
	run_one "$i" &
done
wait
report_done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
