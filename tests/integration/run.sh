#!/usr/bin/env bash
# run.sh - the integration tests: drives the real workshopbot binary.
#
#   tests/integration/run.sh build/workshopbot
#
# Runs every tests/integration/test_*.sh (each in its own temp dir), prints their
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

log=$(mktemp "${TMPDIR:-/tmp}/workshopbot-it-log.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

passed=0
failed=0
for t in "$here"/test_*.sh; do
	name=$(basename "$t" .sh)
	echo "# $name"
	# Each script bounds its own binary runs (60 s each); this bounds the script.
	BIN=$bin ROOT=$root timeout 300 bash "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: the script exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
