#!/usr/bin/env bash
# test_matrix_kill.sh - kill -9 between receiving a sync answer and committing it, then a
# restart: every answer is stored exactly once.
#
# The reliable window: a limited timeline in a room with an open session makes the daemon
# fetch the gap from /messages before it commits the sync answer. The fake stalls that
# /messages call, so once the fake has received it the daemon holds a received,
# uncommitted sync answer for as long as the test likes: it is killed there. Then three
# more kills at less controlled moments (right after the post; as soon as the fake sent the
# sync answer; right after the commit, with the ✅ reactions still to send), each followed
# by a restart, and the same invariant: every answer once, no replay (the daemon, at debug
# level, would log an event seen before), every send applied once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
DB=$T/ws.db
printf '[workshopbot]\nlog_level = debug\n' >"$T/wb.conf"
DAEMON_OPTS=(--config "$T/wb.conf")
users=()
for i in $(seq 1 14); do users+=("@u$i:fake.local"); done

fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg bot "$BOT" '{members: ([$a, $bot] + $ARGS.positional)}' --args "${users[@]}")"
side_room_create
daemon_start_ready "$DB"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL")" ]
}
stored_batch() { sql_q "SELECT value FROM transport_state WHERE transport = 'matrix' AND key = 'next_batch'"; }
n_answers() { sql_q "SELECT count(*) FROM answers"; }
count_of() { state | jq -r --arg e "$1" '.counts[$e] // 0'; }
sync_answers() { state | jq -r '.sync_answers'; }

say "$ALICE" '!ws start'
check "question 1 is posted" wait_until 15 ref_known 0
Q1=$(question_event 1)

# burst FIRST LAST: thread answers from users FIRST..LAST in one control call (one sync).
ALL_IDS=()
burst() {
	local arr=() k
	for k in $(seq "$1" "$2"); do
		ev_thread "${users[k - 1]}" "$Q1" "answer $k from u$k"
		arr+=("$EV")
	done
	post "$(printf '%s\n' "${arr[@]}" | jq -cs .)"
	# shellcheck disable=SC2206
	ALL_IDS+=($EV_IDS)
}

# ---- 1: killed while the sync answer waits for its gap to be filled ----
settle
batch_before=$(stored_batch)
msgs_before=$(count_of messages)
ctl_ok "arm a limited timeline" POST "/limited?room=$(enc "$ROOM")&count=2"
ctl_ok "stall /messages" POST "/stall?path=messages&ms=20000"
burst 1 5
check "the daemon received the limited sync answer and asked /messages for the gap" \
	wait_until 10 count_ge $((msgs_before + 1)) count_of messages
check_eq "in the window: nothing of the answer is committed (no answer, same next_batch)" \
	"0|$batch_before" "$(n_answers)|$(stored_batch)"
daemon_kill9
check_exit "kill -9 ends the daemon (signal 9)" 137 "$DRC"
ctl_ok "clear the fault rules" POST /reset
daemon_start_ready "$DB"
check "after the restart the five answers are handled" settle 15
check_eq "the restarted daemon synced from the position stored before the burst" "1" \
	"$(ctl GET '/log?kind=api' | jq --arg b "$batch_before" '[.[] | select(.endpoint == "sync" and .sync.since == $b)] | length >= 1 | if . then 1 else 0 end')"
check_eq "each of the five answers is stored once" "5|5" \
	"$(sql_q "SELECT count(*), count(DISTINCT user_id) FROM answers")"

# ---- 2: killed right after the post ----
burst 6 8
daemon_kill9
daemon_start_ready "$DB"
check "kill right after a post, restart: the answers are handled" settle 15

# ---- 3: killed as soon as the fake sent the sync answer (the daemon parses and commits) ----
wait_until 10 sync_held
n=$(sync_answers)
burst 9 11
wait_until 10 count_ge $((n + 1)) sync_answers
daemon_kill9
daemon_start_ready "$DB"
check "kill as the sync answer went out, restart: the answers are handled" settle 15

# ---- 4: killed right after the commit, the ✅ reactions still queued ----
burst 12 14
wait_until 10 handled $EV_IDS
daemon_kill9
daemon_start_ready "$DB"
sync_point

# ---- the invariant ----
expect=""
for k in $(seq 1 14); do expect+="@u$k:fake.local|answer $k from u$k|0"$'\n'; done
check_eq "every answer is stored exactly once, as typed, with its event id" "${expect%$'\n'}" \
	"$(sql_q "SELECT user_id, text, withdrawn FROM answers ORDER BY CAST(substr(user_id, 3) AS INTEGER)")"
check_eq "each answer row points at its own event" "14" \
	"$(sql_q "SELECT count(DISTINCT source_ref) FROM answers")"
check_eq "no answer was replaced (a replay would leave history)" "0" "$(sql_q "SELECT count(*) FROM answer_history")"
check_eq "every answer event was handled" "true" "$(handled "${ALL_IDS[@]}" && echo true)"
for f in "$T"/daemon-*.err; do cat "$f"; done >"$T/runs.err"
check_nogrep "no event was handed to the workshop twice (none 'seen before')" "$T/runs.err" "seen before; skipped"
check_eq "the daemon was started five times" "5" "$(grep -c 'matrix: ready' "$T/runs.err")"

reaction_counts() {
	sent | jq -c '[.[] | select(.type == "m.reaction" and .applied) | .content["m.relates_to"].event_id]
		| group_by(.) | map(length) | [length, (unique)]'
}
all_confirmed() { [ "$(reaction_counts)" = '[14,[1]]' ]; }
check "every answer got exactly one ✅ (sends queued at a kill are sent after the restart)" \
	wait_until 15 all_confirmed
s=$(sent)
check_eq "every send was applied exactly once (a retried txnId is replayed, not posted again)" "true" \
	"$(jq 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' <<<"$s")"
check_eq "the room holds one event of the bot per transaction" "$(jq length <<<"$s")" \
	"$(ctl GET "/timeline?room=$(enc "$ROOM")" | jq --arg b "$BOT" '[.events[] | select(.sender == $b and .type != "m.room.member")] | length')"
check_eq "every run used the same device" "1" "$(jq '[.[].device_id] | unique | length' <<<"$s")"
echo "# sends received more than once (retries after a kill): $(jq -c '[.[] | select(.received > 1) | {txn_id, received}]' <<<"$s")"

daemon_stop
check_exit "the daemon stops cleanly at the end" 0 "$DRC"
finish
