# lib.sh - sourced by each tests/integration/test_*.sh; not run on its own.
#
# Gives each test its own temp dir ($T, removed at exit), runs the real binary with a
# bounded time (wb), and prints one "ok - NAME" or "not ok - NAME" line per check, which
# run.sh counts. Diagnostics start with "#".
#
# Environment (set by run.sh): BIN, the workshopbot binary (absolute path); ROOT, the
# repository root (the binary runs from there, so the default templates dir "prompts" is
# the shipped one). Optional (make valgrind sets both): WB_WRAP, a command line put before
# the binary in every run of it (BIN then names a script in $T that runs it so, and
# WB_WRAP_DIR, a directory anyone may write, is for the wrapper's logs); TIME_SCALE, a
# whole factor (default 1) for every time bound the tests give the binary (RUN_LIMIT,
# wait_until), for a wrapper that slows it down.

set -u

: "${BIN:?BIN must name the workshopbot binary}"
: "${ROOT:?ROOT must name the repository root}"

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/workshopbot-it.XXXXXX") || { echo "not ok - mktemp"; exit 1; }
trap 'rm -rf "$T"' EXIT
: >"$T/all.err"
: >"$T/all.out"

TIME_SCALE=${TIME_SCALE:-1}
RUN_LIMIT=$((60 * TIME_SCALE))
if [ -n "${WB_WRAP:-}" ]; then
	export WB_WRAP_DIR=$T/wrap
	mkdir -m 1777 "$WB_WRAP_DIR"
	printf '#!/bin/sh\nexec %s %q "$@"\n' "$WB_WRAP" "$BIN" >"$T/wrapped-workshopbot"
	chmod 0755 "$T/wrapped-workshopbot"
	BIN=$T/wrapped-workshopbot
fi

# The secrets the tests hand the daemon (secret_add; slack_lib.sh and matrix_lib.sh add
# theirs). finish fails the test when any run's output shows one, or anything shaped like
# a Slack token or a Matrix access token.
TEST_SECRETS=()
TOKEN_RE='(xox[abeoprs]|xapp)-[A-Za-z0-9]|syt_[A-Za-z0-9]'
secret_add() { TEST_SECRETS+=("$@"); }

# The fixed clock: a Sunday, 09:00 UTC.
export WORKSHOPBOT_NOW=2026-11-29T09:00:00Z
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"
TEMPLATE="$ROOT/prompts/community-engagement.json"

cd "$ROOT" || { echo "not ok - cd $ROOT"; exit 1; }

PASSED=0
FAILED=0

ok() {
	PASSED=$((PASSED + 1))
	printf 'ok - %s: %s\n' "$TEST_NAME" "$1"
}

# not_ok NAME [DETAIL...]: a failed check; each DETAIL is printed as a "#" line.
not_ok() {
	local name=$1 line
	shift
	FAILED=$((FAILED + 1))
	printf 'not ok - %s: %s\n' "$TEST_NAME" "$name"
	for line in "$@"; do
		printf '%s\n' "${line:0:600}" | sed 's/^/#     /'
	done
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}

# check_grep NAME FILE FIXED-STRING: FILE contains the string.
check_grep() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1" "'$3' not found in $(basename "$2"); its last lines:" "$(tail -n 5 "$2")"
	fi
}

# check_nogrep NAME FILE FIXED-STRING: FILE does not contain the string.
check_nogrep() {
	if grep -qF -- "$3" "$2"; then
		not_ok "$1" "unexpected '$3' in $(basename "$2"):" "$(grep -F -- "$3" "$2" | head -n 3)"
	else
		ok "$1"
	fi
}

# wb ARGS...: runs the binary (stdin and stdout as given) for at most RUN_LIMIT s; its stderr
# goes to $T/last.err and is collected in $T/all.err for the sanitizer check, its stdout
# is also collected in $T/all.out for the secrets check.
wb() {
	local rc
	timeout "$RUN_LIMIT" "$BIN" "$@" 2>"$T/last.err" | tee -a "$T/all.out"
	rc=${PIPESTATUS[0]}
	cat "$T/last.err" >>"$T/all.err"
	if [ "$rc" -eq 124 ]; then
		echo "# workshopbot $* timed out after $RUN_LIMIT s" >&2
	fi
	return "$rc"
}

# hexof STRING: the bytes of STRING as upper-case hex, as sqlite3's hex() writes them.
hexof() {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr 'a-f' 'A-F'
}

# sql DB QUERY: runs a read-only query with the sqlite3 CLI (list mode, '|' separator).
sql() {
	sqlite3 -readonly -batch -noheader "$1" "$2"
}

# reply_to TRANSCRIPT INPUT [N]: the non-blank lines the bot printed after the Nth (default
# first) echo of INPUT ("speaker> text", exactly as the console echoes it) up to the next
# echo.
reply_to() {
	WANT=$2 NTH=${3:-1} awk '
		found && /^[A-Za-z0-9._-]+> / { exit }
		found && $0 != "" { print }
		!found && $0 == ENVIRON["WANT"] && ++seen == ENVIRON["NTH"] + 0 { found = 1 }
	' "$1"
}

# followup_conf FILE: the follow-up tests' config: a Berlin session, reminders at 08:00
# local (the end of the default quiet hours, so every reminder, also one moved off a
# weekend or a closure, is due at 07:00Z in December), closures on 12-24 and 12-25.
followup_conf() {
	printf '%s\n' '[workshopbot]' 'timezone = Europe/Berlin' '' '[followup]' \
		'due_morning = 08:00' 'closures = 2026-12-24, 2026-12-25' >"$1"
}

# The first words of a reminder message (handlers/reminders.c), without the console's
# "workshopbot: " prefix: early, due-day and overdue reminders and the escalation.
REMINDER_HEAD='(Reminder for @|Overdue reminder for @|For @[^ ]+, the facilitator)'

# console_messages TRANSCRIPT: each message the bot printed in a console transcript as one
# JSON string a line (its lines joined by "\n", without the "workshopbot: " prefix and
# the console's two-space indent of continuation lines), in order.
console_messages() {
	jq -Rsc '
		reduce (split("\n")[]) as $l ({out: [], cur: null};
			if ($l | startswith("workshopbot: ")) then
				.out += [.cur // empty] | .cur = $l[13:]
			elif .cur != null and ($l | startswith("  ")) then
				.cur += "\n" + $l[2:]
			else
				.out += [.cur // empty] | .cur = null
			end)
		| (.out + [.cur // empty])[]' "$1"
}

# reminders_only: of JSON strings on stdin (one a line), the reminder messages.
reminders_only() {
	jq -c --arg re "^$REMINDER_HEAD" 'select(test($re))'
}

# console_script: the lines of a cross-transport script (tp_line in daemon_lib.sh) on stdin
# as console input: a thread reply ("~q N text", "~rb text") is a plain line there; an edit
# or a deletion ("~edit", "~delete") has no console form and is left out.
console_script() {
	sed -E -e '/^[^>]+> ~(edit |delete$)/d' -e 's/^([^>]+> )~q [0-9]+ /\1/' \
		-e 's/^([^>]+> )~rb /\1/'
}

# console_posts: of console_messages on stdin, what Slack and Matrix would post in the
# channel: not the confirmations of an answer or report-back entry (a ✅ reaction there)
# and not the console's own "Session #N continues" line at start.
CONFIRM_RE='^(Thanks, [^:]+: your |[^ ]+, your (answer to question [0-9]+|report-back entry for .*) is updated)'
console_posts() {
	jq -c --arg re "$CONFIRM_RE" 'select((test($re) or test("^Session #[0-9]+ continues")) | not)'
}

# check_one_line_reply NAME TRANSCRIPT INPUT FIXED-STRING [N]: the bot answered (the Nth)
# INPUT with exactly one line, and that line contains the string.
check_one_line_reply() {
	local r
	r=$(reply_to "$2" "$3" "${5:-1}")
	if [ -n "$r" ] && [ "$(printf '%s\n' "$r" | wc -l)" -eq 1 ] &&
		[[ $r == workshopbot:* ]] && [[ $r == *"$4"* ]]; then
		ok "$1"
	else
		not_ok "$1" "input:    $3" "expected one line containing: $4" "got:" "$r"
	fi
}

# check_reply NAME TRANSCRIPT INPUT FIXED-STRING [N]: the bot's reply to (the Nth) INPUT
# contains the string.
check_reply() {
	local r
	r=$(reply_to "$2" "$3" "${5:-1}")
	if [[ $r == *"$4"* ]]; then
		ok "$1"
	else
		not_ok "$1" "input:    $3" "expected a reply containing: $4" "got:" "$r"
	fi
}

# check_exit NAME EXPECTED-RC-DESCRIPTION RC: "nonzero" means 1..123 (not a timeout,
# not a signal), a number means exactly that code.
check_exit() {
	local want=$2 rc=$3
	if [ "$want" = nonzero ]; then
		if [ "$rc" -ge 1 ] && [ "$rc" -le 123 ]; then ok "$1"; else not_ok "$1" "exit status $rc, expected 1..123"; fi
	else
		check_eq "$1" "$want" "$rc"
	fi
}

# check_one_line_stderr NAME FIXED-STRING: $T/last.err is one line containing the string.
check_one_line_stderr() {
	local n
	n=$(grep -cv -e '^$' -e '^info ' "$T/last.err")
	if [ "$n" -eq 1 ] && grep -v '^info ' "$T/last.err" | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1" "expected one error line containing: $2" "stderr:" "$(cat "$T/last.err")"
	fi
}

# check_no_secrets: no output of any run (every wb's and every daemon's stdout and
# stderr) shows a secret of TEST_SECRETS or a token-shaped string (TOKEN_RE).
check_no_secrets() {
	local files=() f hits
	for f in "$T/all.err" "$T/all.out" "$T"/daemon-*.err "$T"/daemon-*.out; do
		[ -f "$f" ] && files+=("$f")
	done
	printf '%s\n' ${TEST_SECRETS[@]+"${TEST_SECRETS[@]}"} | sed '/^$/d' >"$T/secrets.pat"
	hits=$( { grep -HE -e "$TOKEN_RE" "${files[@]}"
		[ -s "$T/secrets.pat" ] && grep -HF -f "$T/secrets.pat" "${files[@]}"; } |
		sed "s|^$T/||" | head -n 5)
	if [ -z "$hits" ]; then
		ok "no output of the binary shows a token or password (${#files[@]} files, ${#TEST_SECRETS[@]} secrets and the token shapes)"
	else
		not_ok "no output of the binary shows a token or password" "$hits"
	fi
}

# VG_ERROR_RE: the first line of each kind of error memcheck reports (a run killed before
# its ERROR SUMMARY still shows these).
VG_ERROR_RE='^==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function|[0-9,]+ .*bytes in [0-9,]+ blocks are (definitely|indirectly) lost)'

# check_valgrind: with WB_WRAP running valgrind, every run left a log in WB_WRAP_DIR, and
# no log shows an error, a non-zero ERROR SUMMARY or bytes definitely or indirectly lost.
check_valgrind() {
	local logs=("$WB_WRAP_DIR"/valgrind-*.log) bad
	if [ ! -f "${logs[0]}" ]; then
		not_ok "valgrind: every run of the binary has a log" "none in $WB_WRAP_DIR"
		return
	fi
	bad=$(grep -lE -e "$VG_ERROR_RE" -e 'ERROR SUMMARY: [1-9]' \
		-e '(definitely|indirectly) lost: [1-9]' "${logs[@]}")
	if [ -z "$bad" ]; then
		ok "valgrind: 0 errors, 0 bytes definitely or indirectly lost (${#logs[@]} runs, $(grep -l 'ERROR SUMMARY' "${logs[@]}" | wc -l) to exit)"
	else
		# shellcheck disable=SC2086
		not_ok "valgrind: 0 errors, 0 bytes definitely or indirectly lost" \
			"$(grep -hE -A14 -e "$VG_ERROR_RE" -e 'ERROR SUMMARY: [1-9]' $bad | head -n 60)"
	fi
}

# finish: the sanitizer check over every run's stderr, the valgrind check (with WB_WRAP),
# the secrets check over every run's output, a summary line, the exit status.
finish() {
	check_no_secrets
	[[ ${WB_WRAP:-} != *valgrind* ]] || check_valgrind
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/all.err"; then
		not_ok "no sanitizer report in the binary's stderr" \
			"$(grep -E -A12 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/all.err" | head -n 40)"
	else
		ok "no sanitizer report in the binary's stderr"
	fi
	echo "# $TEST_NAME: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}

# local_utc ZONE "YYYY-MM-DD HH:MM": that local time in ZONE as a UTC instant
# (YYYY-MM-DDTHH:MM:SSZ), for WORKSHOPBOT_NOW across daylight-saving changes.
local_utc() {
	date -u -d "TZ=\"$1\" $2" +%FT%TZ
}

# console_run DB STEM ISO [LINE...]: one console run on DB with the clock at ISO
# (WORKSHOPBOT_NOW), the options in CONSOLE_OPTS (e.g. --config FILE) and the lines as its
# script (none: an empty one); the transcript is $T/STEM.out ($T/STEM.2.out for a second
# run with that stem), its exit status in the transcript's name + .rc.
console_run() {
	local db=$1 stem=$2 iso=$3 in out
	shift 3
	out="$T/$stem.out"
	[ -e "$out" ] && out="$T/$stem.2.out"
	in="$out.in"
	: >"$in"
	[ $# -gt 0 ] && printf '%s\n' "$@" >"$in"
	WORKSHOPBOT_NOW="$iso" wb ${CONSOLE_OPTS[@]+"${CONSOLE_OPTS[@]}"} --db "$db" console <"$in" >"$out"
	echo $? >"$out.rc"
}

# job_messages TRANSCRIPT: the messages a console run printed before the first echo of
# its script, i.e. those of the jobs due when it started, as console_messages prints them.
job_messages() {
	awk '/^[A-Za-z0-9._-]+> / { exit } { print }' "$1" >"$T/job_messages.tmp"
	console_messages "$T/job_messages.tmp"
}
