# crash_lib.sh - sourced by test_slack_crash.sh and test_matrix_crash.sh after lib.sh and
# their transport lib: a scripted session pushed through the fake at a steady pace while
# the daemon is killed with SIGKILL at random moments and restarted each time, then the
# database compared with what the fake delivered and recorded as acknowledged.
#
# Environment:
#   KILLS (default 10)   how many SIGKILLs
#   SEED                 the seed of the kill delays and of the script (printed; set it to
#                        replay a failure: the same script, kills after the same delays)
#   KILL_MIN_MS / KILL_MAX_MS (150 / 1200)   the range of the random delay from one
#                        (re)start to the next kill
#   PACE_MS (40)         the pause between two scripted messages
#
# The session (template "crash": CRASH_NQ text questions): the facilitator starts it;
# then round after round, CRASH_PER_ROUND of the CRASH_MEMBERS members answer the open
# question in its thread, one member edits their answer of the round before, one adds an
# action item, and the facilitator says `next` (up to the last question). Rounds go on
# until KILLS kills were made (at least CRASH_MIN_ROUNDS rounds).
#
# The transport script defines:
#   cr_user N            the user id of member N (0 = the facilitator)
#   cr_say USER TEXT / cr_thread USER ROOT TEXT / cr_edit USER REF ROOT TEXT
#                        one message through the fake; fails when the fake could not
#                        deliver it now (it is tried again); sets CR_KEY (the event's
#                        dedup key, as seen_events stores it) and CR_REF (its ref)
#   cr_can_edit KEY      the message KEY may be edited now (Slack: it was acked)
#   cr_acked_keys        the keys of every message the fake recorded as acknowledged
#   cr_restarted         called right after each restart
#   cr_pump              called while the script runs (e.g. Slack's redelivery)
#   cr_drain SECONDS     at the end: until every message was acknowledged and handled
#   cr_transport_checks  the transport's own end checks (idempotent sends)
# and CR_TRANSPORT (slack, matrix), daemon_start DB, n_ready from its lib.

KILLS=${KILLS:-10}
SEED=${SEED:-$(($(date +%s%N) % 1000000))}
KILL_MIN_MS=${KILL_MIN_MS:-150}
KILL_MAX_MS=${KILL_MAX_MS:-1200}
PACE_MS=${PACE_MS:-40}
CRASH_NQ=100
CRASH_MEMBERS=6
CRASH_PER_ROUND=3
CRASH_MIN_ROUNDS=4
RANDOM=$SEED

DB=$T/ws.db
KILLS_DONE=0
KILL_AT=0
KILL_DELAY=0
DIED=()             # unexpected exits ("kill N: rc")
ACK_VIOLATIONS=()   # acknowledged messages not in the database at a kill
ALL_KEYS=()         # every scripted message's key
N_ANSWERS=0
N_EDITS=0
N_EDITS_SKIPPED=0
N_NEXT=0
ACTIONS=()
declare -A EXP_TEXT EXP_HIST ANS_KEY ANS_REF

# rnd_between MIN MAX: a number from the seeded sequence, in RNDV (no subshell: $RANDOM
# must advance in this shell for a replay to be the same).
rnd_between() {
	RNDV=$(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1)))
}

# crash_config: the config (a templates dir with the "crash" template) for DAEMON_OPTS.
crash_config() {
	mkdir -p "$T/templates"
	jq -n --argjson n "$CRASH_NQ" '{id: "crash", title: "Crash", description: "Crash test.",
		sections: [{id: "s", title: "All", prompts: [range(1; $n + 1) |
			{id: "q\(.)", kind: "text", text: "Crash question \(.)?"}]}]}' \
		>"$T/templates/crash.json"
	printf '[workshopbot]\ntemplates = %s\ntemplate = crash\n' "$T/templates" >"$T/crash.conf"
	DAEMON_OPTS=(--config "$T/crash.conf")
}

_schedule_kill() {
	rnd_between "$KILL_MIN_MS" "$KILL_MAX_MS"
	KILL_DELAY=$RNDV
	KILL_AT=$(($(now_ms) + KILL_DELAY))
}

# crash_restart: a new daemon on the same database (not waited for: the next kill may
# come before it is ready).
crash_restart() {
	daemon_start "$DB"
	cr_restarted
	_schedule_kill
}

# _acked_scripted: the scripted messages the fake recorded as acknowledged, sorted.
_acked_scripted() {
	LC_ALL=C comm -12 <(cr_acked_keys | LC_ALL=C sort -u) \
		<(printf '%s\n' ${ALL_KEYS[@]+"${ALL_KEYS[@]}"} | LC_ALL=C sort -u)
}

# _seen_of: the keys the daemon committed (seen_events), of those given, one a line.
_seen_of() {
	sql "$DB" "SELECT key FROM seen_events WHERE transport = '$CR_TRANSPORT'" 2>/dev/null |
		LC_ALL=C sort -u
}

# crash_check_acked: every message the fake recorded as acknowledged is in the database
# (run with the daemon dead, so nothing moves).
crash_check_acked() {
	local missing
	_acked_scripted >"$T/acked"
	missing=$(LC_ALL=C comm -23 "$T/acked" <(_seen_of))
	if [ -n "$missing" ]; then
		ACK_VIOLATIONS+=("kill $KILLS_DONE: ${missing//$'\n'/ }")
	fi
	N_ACKED_AT_KILLS=$((N_ACKED_AT_KILLS + $(grep -c . "$T/acked")))
}
N_ACKED_AT_KILLS=0

# crash_tick: the kill when it is due (then the check and the restart); a daemon that
# ended by itself is recorded and restarted; the transport's pump.
crash_tick() {
	if not_running; then
		daemon_wait 1
		DIED+=("after kill $KILLS_DONE: exit $DRC")
		tail -n 3 "$DERR" | sed 's/^/# died: /' >&2
		crash_restart
	elif [ "$KILLS_DONE" -lt "$KILLS" ] && [ "$(now_ms)" -ge "$KILL_AT" ]; then
		daemon_kill9
		KILLS_DONE=$((KILLS_DONE + 1))
		[ "$DRC" = 137 ] || DIED+=("kill $KILLS_DONE: exit $DRC, not 137 (SIGKILL)")
		echo "# kill $KILLS_DONE after $KILL_DELAY ms (step $N_STEPS, at $(($(now_ms) - T0)) ms)"
		crash_check_acked
		crash_restart
	fi
	cr_pump
	return 0
}

# crash_wait SECONDS CMD...: wait_until, with kills (and restarts) going on meanwhile.
_crash_poll() {
	crash_tick
	"$@"
}
crash_wait() {
	local limit=$1
	shift
	wait_until "$limit" _crash_poll "$@"
}

# crash_send FUNC ARGS...: one scripted message (cr_say, cr_thread, cr_edit), tried until
# the fake delivers it (bounded); then the pace.
N_STEPS=0
crash_send() {
	if ! crash_wait 20 "$@"; then
		not_ok "scripted message $((N_STEPS + 1)) could be delivered ($*)"
		finish
	fi
	N_STEPS=$((N_STEPS + 1))
	ALL_KEYS+=("$CR_KEY")
	sleep "$(printf '0.%03d' "$PACE_MS")"
}

# question_ref N: the stored ref of question N's post (stored: so a reply to it can be
# matched even if the daemon is killed right after).
_question_ref() {
	QREF=$(sql "$DB" "SELECT remote_ref FROM session_prompts WHERE session_id = 1
		AND prompt_index = $(($1 - 1)) AND remote_ref IS NOT NULL" 2>/dev/null)
	[ -n "$QREF" ]
}
question_ref() {
	if ! crash_wait 30 _question_ref "$1"; then
		not_ok "question $1 was posted (its ref stored)"
		finish
	fi
}

# crash_round Q: one round at question Q (see the top).
crash_round() {
	local q=$1 k u text picked=() i prev
	question_ref "$q"
	for ((i = 1; i <= CRASH_MEMBERS; i++)); do picked+=("$i"); done
	# CRASH_PER_ROUND members, picked by the seeded sequence
	for ((i = 0; i < CRASH_PER_ROUND; i++)); do
		rnd_between "$i" $((CRASH_MEMBERS - 1))
		k=${picked[RNDV]}
		picked[RNDV]=${picked[i]}
		picked[i]=$k
		u=$(cr_user "$k")
		text="answer of m$k to q$q ($SEED)"
		crash_send cr_thread "$u" "$QREF" "$text"
		EXP_TEXT[$u|q$q]=$text
		ANS_KEY[$u|q$q]=$CR_KEY
		ANS_REF[$u|q$q]="$CR_REF|$QREF"
		N_ANSWERS=$((N_ANSWERS + 1))
	done
	# an edit of one answer of the round before (once acknowledged, so that the edit
	# cannot overtake it)
	prev=$((q - 1))
	if [ "$prev" -ge 1 ]; then
		rnd_between 1 "$CRASH_MEMBERS"
		u=$(cr_user "$RNDV")
		if [ -n "${ANS_KEY[$u|q$prev]-}" ] && [ -z "${EXP_HIST[$u|q$prev]-}" ]; then
			if cr_can_edit "${ANS_KEY[$u|q$prev]}"; then
				text="${EXP_TEXT[$u|q$prev]}, edited"
				crash_send cr_edit "$u" "${ANS_REF[$u|q$prev]%%|*}" "${ANS_REF[$u|q$prev]#*|}" "$text"
				EXP_HIST[$u|q$prev]=${EXP_TEXT[$u|q$prev]}
				EXP_TEXT[$u|q$prev]=$text
				N_EDITS=$((N_EDITS + 1))
			else
				N_EDITS_SKIPPED=$((N_EDITS_SKIPPED + 1))
			fi
		fi
	fi
	rnd_between 1 "$CRASH_MEMBERS"
	text="crash task $q from m$RNDV"
	crash_send cr_say "$(cr_user "$RNDV")" "!ws action $text"
	ACTIONS+=("$text")
	if [ "$q" -lt "$CRASH_NQ" ]; then
		crash_send cr_say "$(cr_user 0)" "!ws next"
		N_NEXT=$((N_NEXT + 1))
	fi
}

# crash_run: the whole run: the first daemon (ready), `start`, the rounds with the kills,
# then the last daemon left running until everything was acknowledged and handled.
crash_run() {
	local q=0
	echo "# $CR_TRANSPORT crash test: KILLS=$KILLS SEED=$SEED (replay with SEED=$SEED KILLS=$KILLS)"
	crash_config
	T0=$(now_ms)
	daemon_start "$DB"
	if ! wait_ready 1 20; then
		not_ok "the first daemon got ready"
		finish
	fi
	_schedule_kill
	crash_send cr_say "$(cr_user 0)" "!ws start crash"
	while [ "$q" -lt "$CRASH_NQ" ] && { [ "$KILLS_DONE" -lt "$KILLS" ] || [ "$q" -lt "$CRASH_MIN_ROUNDS" ]; }; do
		q=$((q + 1))
		crash_round "$q"
	done
	check_eq "$KILLS kills made during the session" "$KILLS" "$KILLS_DONE"
	# the last daemon: nothing more is killed
	KILLS_DONE=$KILLS
	if ! wait_until 20 count_ge 1 n_ready; then
		not_ok "the last daemon got ready"
	fi
	check "every scripted message was acknowledged and handled in the end" cr_drain 30
	check "the outbox is drained" wait_until 15 outbox_idle
}

# ---- the comparison ----

_expected_answers() {
	local k
	for k in "${!EXP_TEXT[@]}"; do printf '%s|%s\n' "$k" "${EXP_TEXT[$k]}"; done | LC_ALL=C sort
}
_expected_history() {
	local k
	for k in "${!EXP_HIST[@]}"; do printf '%s|%s|replaced\n' "$k" "${EXP_HIST[$k]}"; done |
		LC_ALL=C sort
}

# crash_checks: the database against the script and what the fake acknowledged.
crash_checks() {
	local got_a got_h lost dup n_rows missing_keys acked

	check_eq "no daemon ended by itself; every kill ended one by SIGKILL" "" "${DIED[*]-}"
	check_eq "at every kill, every acknowledged message was already in the database" "" \
		"${ACK_VIOLATIONS[*]-}"
	acked=$(cr_acked_keys | LC_ALL=C sort -u)
	missing_keys=$(LC_ALL=C comm -23 <(printf '%s\n' "${ALL_KEYS[@]}" | LC_ALL=C sort -u) \
		<(LC_ALL=C comm -12 <(_seen_of) <(printf '%s\n' "$acked")))
	check_eq "every scripted message ($N_STEPS) is acknowledged and in the database" "" \
		"${missing_keys//$'\n'/ }"

	got_a=$(sql "$DB" "SELECT user_id || '|' || prompt_id || '|' || text FROM answers
		WHERE session_id = 1 AND withdrawn = 0" | LC_ALL=C sort)
	got_h=$(sql "$DB" "SELECT a.user_id || '|' || a.prompt_id || '|' || h.text || '|' || h.reason
		FROM answer_history h JOIN answers a ON a.id = h.answer_id" | LC_ALL=C sort)
	n_rows=$(sql "$DB" "SELECT count(*) FROM answers")
	lost=$(LC_ALL=C comm -23 <(_expected_answers) <(printf '%s\n' "$got_a") | grep -c .)
	dup=$((n_rows - N_ANSWERS + $(LC_ALL=C comm -13 <(_expected_history) \
		<(printf '%s\n' "$got_h") | grep -c .)))
	check_eq "every answer ($N_ANSWERS, $N_EDITS edited) is stored once, as last typed" \
		"$(_expected_answers)" "$got_a"
	check_eq "one answer row per person and question ($N_ANSWERS rows)" "$N_ANSWERS" "$n_rows"
	check_eq "answer_history holds exactly one 'replaced' row per edit ($N_EDITS)" \
		"$(_expected_history)" "$got_h"
	check_eq "every action item (${#ACTIONS[@]}) is stored exactly once" \
		"$(printf '%s\n' "${ACTIONS[@]}" | LC_ALL=C sort)" \
		"$(sql "$DB" "SELECT text FROM action_items WHERE session_id = 1" | LC_ALL=C sort)"
	check_eq "the session is at the right question (after $N_NEXT acknowledged next)" \
		"1|$N_NEXT|active" "$(sql "$DB" "SELECT count(*), max(prompt_index), max(state) FROM sessions")"
	check_eq "PRAGMA integrity_check" "ok" "$(sql "$DB" "PRAGMA integrity_check")"
	check_eq "PRAGMA foreign_key_check" "" "$(sql "$DB" "PRAGMA foreign_key_check")"
	cr_transport_checks
	daemon_stop
	check_exit "the last daemon stops cleanly on SIGTERM" 0 "$DRC"
	echo "# CRASH-FIGURES transport=$CR_TRANSPORT seed=$SEED kills=$KILLS_DONE steps=$N_STEPS" \
		"answers=$N_ANSWERS edits=$N_EDITS edits_skipped=$N_EDITS_SKIPPED" \
		"actions=${#ACTIONS[@]} next=$N_NEXT acked_checked_at_kills=$N_ACKED_AT_KILLS" \
		"lost=$lost duplicated=$dup"
}
