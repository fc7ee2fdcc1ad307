#!/usr/bin/env bash
# test_slack_kill.sh - kill -9 between receiving an answer and acking it, a restart on the
# same database, and Slack's redelivery (retry_of): the answer is stored exactly once.
#
# The window is made reliable with SIGSTOP instead of timing luck:
#  A. received, not processed: the daemon is stopped, the envelope is written to its
#     socket, then it is killed. Nothing was committed, nothing acked.
#  B. committed, never acked: the daemon is stopped, the envelope is written, the fake
#     drops the socket, the daemon continues: it reads the frame, commits the answer, and
#     its ack goes nowhere. It is killed as soon as the answer is in the database.
#  C. as Slack would see it by chance: kill -9 right after the push, whatever the daemon
#     got to; the same invariant must hold either way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start
daemon_start_ready "$DB"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = 0 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
n_answers() { sql_q "SELECT count(*) FROM answers WHERE user_id = '$1'"; }
stored() { [ "$(n_answers "$1")" = 1 ]; }
# once USER TEXT TS: USER's answer is stored once, as TEXT, never replaced by itself, with
# one confirmation queued for its message.
check_once() {
	check_eq "$1: the answer is stored exactly once" "1|$3|0" \
		"$(sql_q "SELECT count(*), max(text), (SELECT count(*) FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = '$2') FROM answers WHERE user_id = '$2'")"
	check_eq "$1: one confirmation for it" "1" \
		"$(sql_q "SELECT count(*) FROM outbox WHERE kind = 'confirm' AND target_ref = '$4'")"
}
has_reaction() {
	ctl GET /reactions | jq -e --arg ts "$1" 'any(.[]; .timestamp == $ts)' >/dev/null
}

send slash_commands slash U111 start
check "question 1 is posted" wait_until 10 ref_known
Q1=$(question_ts 1)

# ---- A: received, not processed ----
kill -STOP "$DPID"
ev_message U301 'answer A' "$Q1"; tsA=$LAST_TS
push events_api "$PL"; envA=$ENV_ID
check "A: the envelope was written to the stopped daemon's socket" test -n "$envA"
daemon_kill9
check_eq "A: the daemon was killed by SIGKILL" "137" "$DRC"
check "A: the envelope was not acked" not is_acked "$envA"
check_eq "A: and nothing was stored" "0" "$(n_answers U301)"
daemon_start_ready "$DB"
redeliver "$envA" 1; envA2=$ENV_ID
check "A: after the restart the redelivery is acked" wait_ack "$envA2"
check_once A U301 'answer A' "$tsA"

# ---- B: committed, ack lost ----
kill -STOP "$DPID"
ev_message U302 'answer B' "$Q1"; tsB=$LAST_TS
push events_api "$PL"; envB=$ENV_ID
ctl POST /drop >/dev/null
kill -CONT "$DPID"
check "B: the daemon committed the answer" wait_until 10 stored U302
daemon_kill9
check "B: its ack never reached Slack" not is_acked "$envB"
daemon_start_ready "$DB"
redeliver "$envB" 1; envB2=$ENV_ID
check "B: after the restart the redelivery is acked" wait_ack "$envB2"
check_once B U302 'answer B' "$tsB"

# ---- C: kill -9 right after the push ----
ev_message U303 'answer C' "$Q1"; tsC=$LAST_TS
push events_api "$PL"; envC=$ENV_ID
daemon_kill9
if is_acked "$envC"; then echo "# C: the daemon had acked before the kill"; else echo "# C: killed before the ack"; fi
daemon_start_ready "$DB"
redeliver "$envC" 1; envC2=$ENV_ID
check "C: after the restart the redelivery is acked" wait_ack "$envC2"
check_once C U303 'answer C' "$tsC"

# ---- nothing lost around the kills ----
check "the confirmation of A reaches Slack" wait_until 10 has_reaction "$tsA"
check "the confirmation of B reaches Slack (sent again after the kill if need be)" wait_until 10 has_reaction "$tsB"
check "the confirmation of C reaches Slack" wait_until 10 has_reaction "$tsC"
check_eq "three answers in all, the session intact at question 1" "3|0|active" \
	"$(sql_q "SELECT (SELECT count(*) FROM answers), prompt_index, state FROM sessions")"
check_eq "the question was posted once, across four daemons" "1" \
	"$(posts | jq '[.[] | select(.text | startswith("*Question 1 of 22"))] | length')"
check_eq "the database is intact" "ok" "$(sql_q "PRAGMA integrity_check")"
daemon_stop
check_exit "the last daemon stops cleanly" 0 "$DRC"
fake_stop
finish
