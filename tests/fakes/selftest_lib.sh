# selftest_lib.sh - sourced by tests/fakes/selftest*.sh right after they set FAKE (the
# fake's binary) and SELFTEST_NAME (the temp dir prefix); not run on its own.
#
# Gives the selftest its temp dir $T (removed at exit, with every pid in PIDS killed),
# ok / not_ok / check_eq counting into PASSED / FAILED, wait_until, and:
#   start_fake ARGS...          $FAKE --port-file $T/port ARGS... in the background (stderr
#                               to $T/fake.err), bounded wait for the port file; sets
#                               FAKE_PID, PORT, B (http://127.0.0.1:PORT)
#   check_no_sanitizer NAME CONTEXT LINES   no sanitizer report or leaked handle in $T/*.err
#   selftest_finish             the "N passed, M failed" line; status 0 when none failed
# NOT_OK_WIDTH (default 600) caps each detail line of not_ok.

T=$(mktemp -d "${TMPDIR:-/tmp}/$SELFTEST_NAME.XXXXXX") || exit 1
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok - %s\n' "$1"; }
not_ok() {
	local name=$1 line
	shift
	FAILED=$((FAILED + 1))
	printf 'not ok - %s\n' "$name"
	for line in "$@"; do printf '%s\n' "${line:0:${NOT_OK_WIDTH:-600}}" | sed 's/^/#     /'; done
}
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi; }
# wait_until SECONDS SHELL-CONDITION: polls every 50 ms.
wait_until() {
	local tries=$(($1 * 20))
	shift
	while [ "$tries" -gt 0 ]; do
		eval "$@" && return 0
		sleep 0.05
		tries=$((tries - 1))
	done
	return 1
}

# start_fake ARGS...: the fake on an ephemeral port; exits (with the summary line) if it
# does not write its port file within 10 s.
start_fake() {
	"$FAKE" --port-file "$T/port" "$@" 2>"$T/fake.err" &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	if wait_until 10 '[ -s "$T/port" ]'; then
		ok "port file written"
	else
		not_ok "port file written" "$(cat "$T/fake.err")"
		echo "$PASSED passed, $FAILED failed"
		exit 1
	fi
	PORT=$(cat "$T/port")
	B=http://127.0.0.1:$PORT
}

# check_no_sanitizer NAME CONTEXT LINES: passes when no $T/*.err holds a sanitizer report
# or "handles left open"; else shows CONTEXT lines after each hit, LINES per file.
check_no_sanitizer() {
	local f
	if grep -lE 'AddressSanitizer|LeakSanitizer|runtime error|handles left open' "$T"/*.err >"$T/san.list"; then
		not_ok "$1" \
			"$(for f in $(cat "$T/san.list"); do echo "== $f"; grep -E -A"$2" 'Sanitizer|runtime error|handles' "$f" | head -n "$3"; done)"
	else
		ok "$1"
	fi
}

# selftest_finish: the summary line; its status is the selftest's.
selftest_finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
