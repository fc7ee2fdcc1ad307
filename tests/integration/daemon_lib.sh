# daemon_lib.sh - sourced by slack_lib.sh and matrix_lib.sh (after they set FAKE_BIN and
# their EXIT trap): what both need to run a fake server and the daemon against it.
#
#   wait_until SECONDS CMD... bounded polling: CMD every 50 ms until it succeeds
#   count_is N CMD / count_ge N CMD   CMD prints N / at least N
#   fake_spawn PORTFILE ERRFILE WHAT ARGS...   $FAKE_BIN on a free port (bounded wait);
#                             sets FAKE_PID (also added to FAKE_PIDS), PORT, C
#   daemon_spawn TIMEOUT DB [NAME=VALUE...]   `workshopbot --db DB run` in the background
#                             under timeout(1); DPID, DWRAP, DTIMEOUT, DERR, DOUT, DRCFILE
#   wait_ready [N] [SECONDS]  n_ready (defined by the caller) reaches N
#   followup_settled DB NOW   every job due by NOW ran and the outbox is drained
#   running / not_running, daemon_stop / daemon_kill9 / daemon_wait [S]   DRC is the status
#   day_start ISO [ENV...] / day_end   one simulated day with the clock frozen at ISO: the
#                             daemon started, waited for until the jobs due then ran and
#                             the outbox is empty; at the end stopped with SIGTERM;
#                             day_start_with_config ISO LINE... with a config file
#   outbox_idle, n_jobs_due, jobs_of ITEM STATE, status_of ITEM,
#   answer_of USER PROMPT_ID   the database ($DB)
#
# Every process started here is recorded (FAKE_PIDS, DAEMON_GROUPS, DAEMON_WRAPS) for the
# caller's EXIT trap.

# The fake listens on 127.0.0.1 only; a proxy from the environment must not get in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

FAKE_PID=
DPID=
DWRAP=
DTIMEOUT=
DERR=
DOUT=
DRCFILE=
DRC=
DAEMON_N=0
DAEMON_OPTS=()
FAKE_PIDS=()
DAEMON_GROUPS=()     # the pids of the timeout(1) processes (each leads its own group)
DAEMON_WRAPS=()

for tool in curl jq sqlite3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "not ok - $TEST_NAME: $tool is missing"; exit 1; }
done
if [ ! -x "$FAKE_BIN" ]; then
	echo "not ok - $TEST_NAME: $FAKE_BIN is missing; make $FAKE_BIN (or set FAKES_DIR)"
	exit 1
fi

# now_ms: wall-clock milliseconds.
now_ms() { date +%s%3N; }

# wait_until SECONDS CMD...: runs CMD every 50 ms until it succeeds; status 1 on timeout
# (after SECONDS times TIME_SCALE).
wait_until() {
	local limit=$1 deadline
	shift
	deadline=$(($(now_ms) + limit * 1000 * TIME_SCALE))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	return 0
}

not() { ! "$@"; }
count_is() {
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}
count_ge() {
	local want=$1 got
	shift
	got=$("$@")
	[ -n "$got" ] && [ "$got" -ge "$want" ]
}

# ---- the fake ----

# fake_spawn PORTFILE ERRFILE WHAT ARGS...: $FAKE_BIN --port 0 --port-file PORTFILE ARGS...
# in the background, its stderr to ERRFILE; fails the test (exit) if it does not write
# the port file within 10 s. Sets FAKE_PID, PORT and C (the control API URL).
fake_spawn() {
	local pf=$1 err=$2 what=$3
	shift 3
	rm -f "$pf"
	"$FAKE_BIN" --port 0 --port-file "$pf" "$@" 2>"$err" &
	FAKE_PID=$!
	FAKE_PIDS+=("$FAKE_PID")
	if ! wait_until 10 test -s "$pf"; then
		echo "not ok - $TEST_NAME: the fake $what did not start"
		sed 's/^/#     /' "$err"
		exit 1
	fi
	PORT=$(cat "$pf")
	C=http://127.0.0.1:$PORT/_control
}

# ---- the daemon ----

# child_of PID: the (first) child process of PID.
child_of() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{print $1}')
	[ -n "$c" ] || c=$(pgrep -P "$1" 2>/dev/null | head -n 1)
	printf '%s' "$c"
}

_collect_daemon_output() {
	[ -n "$DERR" ] || return 0
	cat "$DERR" >>"$T/all.err" 2>/dev/null
	cat "$DOUT" >>"$T/all.out" 2>/dev/null
}

# daemon_spawn TIMEOUT DB [NAME=VALUE...]: `workshopbot --db DB run` in the background,
# bounded to TIMEOUT (times TIME_SCALE) s by timeout(1), with the NAME=VALUE pairs in its environment; DPID
# is the daemon's own pid. The array DAEMON_OPTS adds options before --db.
daemon_spawn() {
	local limit=$1 db=$2 i
	shift 2
	DAEMON_N=$((DAEMON_N + 1))
	DERR=$T/daemon-$DAEMON_N.err
	DOUT=$T/daemon-$DAEMON_N.out
	DRCFILE=$T/daemon-$DAEMON_N.rc
	DRC=
	# A subshell that exits normally (so the shell reports no "Killed" job), running
	# timeout(1), which puts itself in its own process group, running the daemon.
	{
		env "$@" timeout -k 5 "$((limit * TIME_SCALE))" "$BIN" ${DAEMON_OPTS[@]+"${DAEMON_OPTS[@]}"} \
			--db "$db" run >"$DOUT" 2>"$DERR" </dev/null
		echo $? >"$DRCFILE"
	} 2>/dev/null &
	DWRAP=$!
	DAEMON_WRAPS+=("$DWRAP")
	DTIMEOUT=
	DPID=
	for ((i = 0; i < 400; i++)); do
		if [ -z "$DTIMEOUT" ]; then
			DTIMEOUT=$(child_of "$DWRAP")
			[ -n "$DTIMEOUT" ] && DAEMON_GROUPS+=("$DTIMEOUT")
		fi
		[ -n "$DTIMEOUT" ] && DPID=$(child_of "$DTIMEOUT")
		[ -n "$DPID" ] && break
		kill -0 "$DWRAP" 2>/dev/null || break
		sleep 0.01
	done
	if [ -z "$DPID" ]; then
		echo "# could not find the daemon's pid" >&2
		DPID=$DWRAP
	fi
}

# wait_ready [N] [SECONDS]: n_ready (the caller's count of "...: ready" lines in $DERR)
# reaches N (default 1).
wait_ready() {
	if wait_until "${2:-15}" count_ge "${1:-1}" n_ready; then
		return 0
	fi
	echo "# the daemon did not get ready; its log:" >&2
	sed 's/^/#     /' "$DERR" | tail -n 20 >&2
	return 1
}

running() { kill -0 "$DPID" 2>/dev/null; }
not_running() { ! kill -0 "$DPID" 2>/dev/null; }

# _kill_daemon_group: SIGKILL to timeout(1)'s process group (the daemon and timeout).
_kill_daemon_group() {
	[ -n "$DTIMEOUT" ] && kill -KILL -- "-$DTIMEOUT" 2>/dev/null
	kill -KILL "$DPID" 2>/dev/null
}

# daemon_wait [SECONDS]: waits for the daemon to exit by itself; DRC is its status (124
# if it did not exit in time: it is then killed).
daemon_wait() {
	[ -n "$DWRAP" ] || return 0
	if ! wait_until "${1:-10}" not_running; then
		_kill_daemon_group
		wait "$DWRAP" 2>/dev/null
		DRC=124
	else
		wait "$DWRAP" 2>/dev/null
		DRC=$(cat "$DRCFILE" 2>/dev/null)
	fi
	DWRAP=
	_collect_daemon_output
}

# daemon_stop: SIGTERM to the daemon, then waits (at most 10 s); DRC is its status.
daemon_stop() {
	kill -TERM "$DPID" 2>/dev/null
	daemon_wait 10
}

# daemon_kill9: SIGKILL to the daemon itself (no chance to clean up).
daemon_kill9() {
	kill -KILL "$DPID" 2>/dev/null
	daemon_wait 10
}

# followup_settled DB NOW: every job due by NOW (ISO 8601, as WORKSHOPBOT_NOW) ran and no
# message waits in the outbox (the daemon posted what the jobs and commands queued).
followup_settled() {
	local t
	t=$(epoch_of "$2") || return 1
	[ "$(sql "$1" "SELECT (SELECT count(*) FROM jobs WHERE state = 'pending' AND due_at <= $t)
		+ (SELECT count(*) FROM outbox WHERE state = 'pending')" 2>/dev/null)" = 0 ]
}
# ---- simulated days (the clock frozen by WORKSHOPBOT_NOW) ----
# With a frozen clock `workshopbot run` runs the jobs due when it starts and arms no timer
# for later ones, so a simulated day is one daemon start, a wait until that day's work is
# done (bounded polling on the database), what the test does that day, and SIGTERM. They
# need the caller's daemon_start_ready and DB.

# epoch_of ISO: the UTC instant ISO (2026-12-01T09:00:00Z) in seconds.
epoch_of() { date -u -d "$1" +%s; }

# n_outbox_pending: queued messages not yet sent (nor failed).
n_outbox_pending() { sql "$DB" "SELECT count(*) FROM outbox WHERE state = 'pending'" 2>/dev/null; }
outbox_idle() { count_is 0 n_outbox_pending; }

# n_jobs_due: pending jobs due by the frozen clock.
n_jobs_due() {
	sql "$DB" "SELECT count(*) FROM jobs WHERE state = 'pending' AND due_at <= $(epoch_of "$WORKSHOPBOT_NOW")" 2>/dev/null
}
day_settled() { followup_settled "$DB" "$WORKSHOPBOT_NOW"; }

# day_start ISO [NAME=VALUE...]: the clock set to ISO, the daemon started (ready), and
# waited for until every job due by then ran and the outbox is empty (else a failed
# check).
day_start() {
	export WORKSHOPBOT_NOW=$1
	shift
	daemon_start_ready "$DB" "$@"
	if ! wait_until 20 day_settled; then
		not_ok "$WORKSHOPBOT_NOW: the due jobs ran and their messages went out" \
			"due jobs: $(n_jobs_due), pending messages: $(n_outbox_pending)"
	fi
}

# day_start_with_config ISO LINE...: day_start with a config file of these lines
# (--config, that day only).
day_start_with_config() {
	local day=$1
	shift
	printf '%s\n' "$@" >"$T/day.conf"
	DAEMON_OPTS=(--config "$T/day.conf")
	day_start "$day"
	DAEMON_OPTS=()
}

# day_end: waits for the outbox to empty, stops the daemon (SIGTERM) and checks it
# exited 0.
day_end() {
	wait_until 15 outbox_idle
	daemon_stop
	check_exit "$WORKSHOPBOT_NOW: the daemon stops cleanly on SIGTERM" 0 "$DRC"
}

# jobs_of ITEM STATE: how many of action item ITEM's reminder jobs are in STATE.
jobs_of() {
	sql "$DB" "SELECT count(*) FROM jobs WHERE action_id = $1 AND state = '$2'"
}

# answer_of USER PROMPT_ID: USER's current answer to that prompt of session 1 ("" when
# none or withdrawn).
answer_of() {
	sql "$DB" "SELECT text FROM answers WHERE session_id = 1 AND user_id = '$1' AND prompt_id = '$2' AND withdrawn = 0"
}

# status_of ITEM: action item ITEM's status (open, done).
status_of() { sql "$DB" "SELECT status FROM action_items WHERE id = $1"; }

# ---- one simulated day on a chat transport (the cross-transport tests) ----
# A transport lib (slack_lib.sh, matrix_lib.sh) defines, for tp_run and tp_line:
#   tp_start DB NOW   the daemon at WORKSHOPBOT_NOW=NOW on DB
#   tp_say SPEAKER TEXT / tp_thread SPEAKER ROOT TEXT   a message, a thread reply to the
#                     post ROOT (sets TP_REF, the new message's ref)
#   tp_edit SPEAKER REF ROOT TEXT / tp_delete SPEAKER REF ROOT   an edit / a deletion of
#                     SPEAKER's thread reply REF under ROOT
#   tp_settle         every message said so far was handled (committed)
#   tp_count          how many messages the bot posted so far
#   tp_texts FROM     the plain text of each public post in the channel from index FROM
#                     on, one JSON string a line
#   tp_ref_of PREFIX  the ref of the latest public post whose plain text starts so
# TP_USERS names the users ("alice bob"): "@bob" in a text is a mention of bob.

declare -A TP_LAST_REF TP_LAST_ROOT

# tp_line LINE: one scripted line said on the transport. "speaker> text" is a message;
# "speaker> ~q N text" a thread reply to question N's post, "speaker> ~rb text" one to the
# latest report-back prompt; "speaker> ~edit text" and "speaker> ~delete" edit or delete
# the speaker's last thread reply. console_script turns the same lines into console input.
tp_line() {
	local who=${1%%> *} text=${1#*> } root n
	case $text in
	'~q '*)
		text=${text#'~q '}
		n=${text%% *}
		root="Question $n of "
		text=${text#* } ;;
	'~rb '*)
		root="Report-back, "
		text=${text#'~rb '} ;;
	'~edit '*)
		tp_edit "$who" "${TP_LAST_REF[$who]-}" "${TP_LAST_ROOT[$who]-}" "${text#'~edit '}"
		return ;;
	'~delete')
		tp_delete "$who" "${TP_LAST_REF[$who]-}" "${TP_LAST_ROOT[$who]-}"
		return ;;
	*)
		tp_say "$who" "$text"
		return ;;
	esac
	# The post may still be on its way, and its ref must be stored before a reply to it
	# can be matched.
	if ! wait_until 10 _tp_root "$root"; then
		echo "# tp_line: no post to reply to for: $1" >&2
		return 1
	fi
	root=$TP_ROOT
	tp_thread "$who" "$root" "$text"
	TP_LAST_REF[$who]=$TP_REF
	TP_LAST_ROOT[$who]=$root
}

# _tp_root PREFIX: TP_ROOT is the ref of the latest post starting with PREFIX, and the
# daemon has stored it (its outbox row has it as remote_ref).
_tp_root() {
	TP_ROOT=$(tp_ref_of "$1")
	[ -n "$TP_ROOT" ] && [ "$(sql "$TP_DB" "SELECT count(*) FROM outbox
		WHERE remote_ref = '${TP_ROOT//\'/\'\'}'" 2>/dev/null)" = 1 ]
}

# tp_run TAG NOW DB FILE CMDS: one run of the daemon on the current transport at
# WORKSHOPBOT_NOW=NOW on DB: each line of CMDS through tp_line, then (bounded) until the
# commands were handled, every job due by NOW ran and the outbox is drained; then
# SIGTERM. FILE gets tp_texts of what it posted; a problem is added to BAD_RUNS as
# "TAG(what)". A function tp_snapshot FILE, when defined, runs before the stop.
BAD_RUNS=
tp_run() {
	local tag=$1 now=$2 db=$3 f=$4 cmds=$5 from line
	from=$(tp_count)
	TP_DB=$db
	tp_start "$db" "$now"
	if ! wait_ready 1; then
		BAD_RUNS+="$tag(not ready) "
	else
		while IFS= read -r line; do
			[ -z "$line" ] || tp_line "$line" || BAD_RUNS+="$tag(cannot say: $line) "
		done <<<"$cmds"
		tp_settle || BAD_RUNS+="$tag(commands not handled) "
		wait_until 20 followup_settled "$db" "$now" || BAD_RUNS+="$tag(not drained) "
		if declare -F tp_snapshot >/dev/null; then tp_snapshot "$f"; fi
	fi
	daemon_stop
	[ "$DRC" = 0 ] || BAD_RUNS+="$tag(exit $DRC) "
	tp_texts "$from" >"$f"
}

# ---- network faults (test_slack_faults.sh, test_matrix_faults.sh) ----
# A fault table has lines "NAME|KIND|INJECT|LOG" (KIND and INJECT are the transport's); a
# case is driven by the caller, these keep the figures.
FAULTS_INJECTED=0
FAULT_RECOVERIES=0
FAULT_MAX_GAP_MS=0

# log_mark: the current length of the daemon's stderr; new_log MARK: what came after it.
log_mark() { wc -l <"$DERR"; }
new_log() { tail -n +"$(($1 + 1))" "$DERR"; }

# logged_since MARK PATTERN: the daemon logged a line matching PATTERN since MARK.
logged_since() { new_log "$1" | grep -Eq -- "$2"; }

# fault_logged NAME MARK PATTERN: the same, as a check.
fault_logged() { check "$1: a clear line in the log (/$3/)" logged_since "$2" "$3"; }

# fault_recovered NAME T0 SECONDS CMD...: CMD succeeds within SECONDS of now; counts the
# recovery and keeps the longest time from T0 (ms, when the fault began) to it.
fault_recovered() {
	local name=$1 t0=$2 limit=$3 gap
	shift 3
	if check "$name: recovered within ${limit} s" wait_until "$limit" "$@"; then
		gap=$(($(now_ms) - t0))
		FAULT_RECOVERIES=$((FAULT_RECOVERIES + 1))
		[ "$gap" -gt "$FAULT_MAX_GAP_MS" ] && FAULT_MAX_GAP_MS=$gap
		echo "# $name: recovered after $gap ms"
	fi
}

# backoff_gaps_ok GAPS_JSON BASE_MS: the gaps follow base * 2^i with +-20 % jitter (and
# 300 ms of slack above for the round trip and a sanitizer build).
backoff_gaps_ok() {
	jq -e --argjson b "$2" 'length >= 1 and all(to_entries[];
		.value >= ($b * pow(2; .key) * 0.8 - 20) and .value <= ($b * pow(2; .key) * 1.2 + 300))' \
		<<<"$1" >/dev/null
}

# fault_summary: the figures of the run, for the README.
fault_summary() {
	echo "# faults injected: $FAULTS_INJECTED, recoveries: $FAULT_RECOVERIES, longest time to recover: $FAULT_MAX_GAP_MS ms"
}
