#!/usr/bin/env bash
# test_matrix_restart.sh - restarts without replay: the first sync of a new database takes
# the current position without acting on old messages; a SIGTERM mid-session (with sends
# still queued) and a start again on the same database go on from the stored next_batch:
# no event handled twice, no answer row added or rewritten, no message posted twice, and
# the session continues with what was said while the daemon was down.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
BOB=@bob:fake.local
CAROL=@carol:fake.local
DAVE=@dave:fake.local
ERIN=@erin:fake.local
DB=$T/ws.db
# Debug logging: the daemon then logs every event it recognises as seen before.
printf '[workshopbot]\nlog_level = debug\n' >"$T/wb.conf"
DAEMON_OPTS=(--config "$T/wb.conf")

fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" --arg d "$DAVE" --arg e "$ERIN" \
	--arg bot "$BOT" '{members: [$a, $b, $c, $d, $e, $bot], power_levels: {users: {($a): 100}}}')"

# ---- a new database: old messages are history, not commands ----
say "$ALICE" '!ws start'
old_ids=("$EV_ID")
thread "$BOB" "$EV_ID" 'an old answer'
old_ids+=("$EV_ID")
say "$CAROL" '!ws help'
old_ids+=("$EV_ID")
daemon_start_ready "$DB"
check_grep "the first sync of a new database says it starts from now" "$DERR" \
	"ready: syncing from now on"
first_sync() {
	ctl GET '/log?kind=api' | jq -c '[.[] | select(.endpoint == "sync")][0].sync'
}
check_eq "the first sync has no since and does not wait" "[null,0]" "$(first_sync | jq -c '[.since, .timeout_ms]')"
stored_batch() { sql_q "SELECT value FROM transport_state WHERE transport = 'matrix' AND key = 'next_batch'"; }
batch_stored() { [ -n "$(stored_batch)" ]; }
check "the first sync's position is stored" wait_until 10 batch_stored
wait_until 10 sync_held
say "$DAVE" 'hello'
settle
check_eq "old messages were not acted on: no session" "0" "$(sql_q "SELECT count(*) FROM sessions")"
check_eq "old messages were not acted on: nothing sent" "0" "$(n_applied)"
check_eq "old messages were not recorded as handled (only the new one is)" "1" "$(sql_q "SELECT count(*) FROM seen_events")"
check "the old !ws start is not among them" not handled "${old_ids[0]}"
check "nor the old thread answer" not handled "${old_ids[1]}"
check "nor the old !ws help" not handled "${old_ids[2]}"

# ---- a session, answers ----
say "$ALICE" '!ws start'
settle
q1_posted() { [ -n "$(question_event 1)" ]; }
check "a new !ws start is acted on" wait_until 10 q1_posted
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL")" ]
}
wait_until 10 ref_known 0
Q1=$(question_event 1)
thread "$BOB" "$Q1" "bob's goals"; bob1=$EV_ID
thread "$CAROL" "$Q1" "carol's goals"; carol1=$EV_ID
settle
reactions_for() {
	sent | jq --arg t "$1" '[.[] | select(.type == "m.reaction" and .applied and .content["m.relates_to"].event_id == $t)] | length'
}
wait_until 10 count_is 1 reactions_for "$carol1"
answers_before=$(sql_q "SELECT id, user_id, text, updated_at FROM answers ORDER BY id")
check_eq "two answers stored" "2" "$(sql_q "SELECT count(*) FROM answers")"

# ---- the facilitator moves on, and the daemon is stopped at once (sends queued) ----
say "$ALICE" '!ws next'
settle
daemon_stop
check_exit "the daemon stops cleanly on SIGTERM mid-session" 0 "$DRC"
batch_at_stop=$(stored_batch)
seen_at_stop=$(sql_q "SELECT count(*) FROM seen_events")
check_eq "the move was committed before the stop" "1" "$(sql_q "SELECT prompt_index FROM sessions WHERE id = 1")"

# ---- said while the daemon was down ----
say "$DAVE" "!ws answer dave's team goals"; dave2=$EV_ID
thread "$ERIN" "$Q1" "erin's late goals"; erin1=$EV_ID

# ---- started again on the same database ----
daemon_start_ready "$DB"
check_grep "the restarted daemon syncs from the stored position" "$DERR" "ready: syncing from the stored position"
check_nogrep "the restarted daemon does not start from now" "$DERR" "syncing from now on"
syncs_of_run2=$(ctl GET '/log?kind=api' | jq -c --arg d "$(sql_q "SELECT value FROM transport_state WHERE transport = 'matrix' AND key = 'device_id'")" \
	'[.[] | select(.endpoint == "sync") | .sync]')
n_initial=$(jq '[.[] | select(.since == null)] | length' <<<"$syncs_of_run2")
check_eq "only the very first run made an initial sync (no since)" "1" "$n_initial"
since_after=$(jq -r --arg b "$batch_at_stop" '[.[] | select(.since == $b)] | length' <<<"$syncs_of_run2")
check "the restarted daemon's sync asked from the next_batch stored at the stop" test "$since_after" -ge 1
check "what was said while it was down is handled" settle 10 "$dave2" "$erin1"
check_eq "every event was handled once: two new ones recorded" "$((seen_at_stop + 2))" \
	"$(sql_q "SELECT count(*) FROM seen_events")"
check_nogrep "no event was seen twice (the daemon logs a skipped redelivery)" "$DERR" "seen before; skipped"
check_eq "the answers from before the stop are untouched (no row added or rewritten)" "$answers_before" \
	"$(sql_q "SELECT id, user_id, text, updated_at FROM answers WHERE id <= 2 ORDER BY id")"
check_eq "no answer history was written (nothing replayed as a replacement)" "0" \
	"$(sql_q "SELECT count(*) FROM answer_history")"
check_eq "the answers: two before, two while down" \
	"goals-personal|$BOB|bob's goals
goals-personal|$CAROL|carol's goals
goals-team|$DAVE|dave's team goals
goals-personal|$ERIN|erin's late goals" \
	"$(sql_q "SELECT prompt_id, user_id, text FROM answers ORDER BY id")"

# ---- the session continues ----
check "question 2 (queued at the stop) is posted" wait_until 15 ref_known 1
say "$ALICE" '!ws next'
check "the facilitator's next after the restart reaches question 3" wait_until 20 ref_known 3
check_eq "the session is at prompt 3" "3|active" "$(sql_q "SELECT prompt_index, state FROM sessions WHERE id = 1")"
wait_until 10 count_is 1 reactions_for "$erin1"
check_eq "answers given while down get their ✅ once" "1 1" "$(reactions_for "$dave2") $(reactions_for "$erin1")"
check_eq "bob's and carol's answers were confirmed once, not again after the restart" "1 1" \
	"$(reactions_for "$bob1") $(reactions_for "$carol1")"

# ---- nothing posted twice ----
s=$(sent)
check_eq "each question was posted once" "1 1 1" \
	"$(for k in 1 2 3; do jq --arg n "Question $k of " '[.[] | select(.type == "m.room.message" and .content["m.relates_to"] == null and (.content.body | startswith($n)))] | length' <<<"$s"; done | xargs)"
check_eq "every transaction was applied exactly once" "true" \
	"$(jq 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' <<<"$s")"
check_eq "the room holds one event per transaction" "$(jq length <<<"$s")" \
	"$(ctl GET "/timeline?room=$(enc "$ROOM")" | jq --arg b "$BOT" '[.events[] | select(.sender == $b and .type != "m.room.member")] | length')"
check_eq "both runs signed in on the same device" "1" \
	"$(ctl GET '/log?kind=api' | jq '[.[] | select(.endpoint == "login" and .status == 200) | .response.device_id] | unique | length')"
check_eq "no delivery failed in the outbox" "0" "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"

# ---- a message still queued at a stop is sent after the restart, with the token ----
# A 429 holds the room for 30 s, so the reply to !ws who is certainly queued at the stop.
ctl_ok "hold the next send with a long rate limit" POST "/fail?path=send&status=429&retry_after_ms=30000"
seq0=$(state | jq .log_seq)
say "$ALICE" '!ws who'
held_429() { ctl GET "/log?kind=api&since=$seq0" | jq -e 'any(.[]; .endpoint == "send" and .status == 429)' >/dev/null; }
check "the reply is held by a rate limit" wait_until 10 held_429
daemon_stop
check_exit "the daemon stops cleanly with a message queued" 0 "$DRC"
check_eq "the reply is still queued in the outbox" "1" "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'pending'")"
seq1=$(state | jq .log_seq)
daemon_start_ready "$DB"
who_posted() { [ "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 0 ]; }
check "after the restart the queued reply is sent" wait_until 15 who_posted
sync_calls_after() { ctl GET "/log?kind=api&since=$seq1" | jq '[.[] | select(.endpoint == "sync")] | length'; }
wait_until 10 count_ge 2 sync_calls_after
check_eq "no call of the restarted daemon went without its token" "[]" \
	"$(ctl GET "/log?kind=api&since=$seq1" | jq -c '[.[] | select(.auth == "missing") | {endpoint, status, errcode}]')"
check "the restarted daemon keeps running" running
s=$(sent)
check_eq "the queued reply was applied once, with the txnId it had before the stop" "1 1" \
	"$(jq -r '[.[] | select(.calls | any(.status == 429))] | [length, (.[0].calls | map(select(.outcome == "applied")) | length)] | join(" ")' <<<"$s")"

daemon_stop
check_exit "the restarted daemon stops cleanly" 0 "$DRC"
finish
