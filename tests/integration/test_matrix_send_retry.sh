#!/usr/bin/env bash
# test_matrix_send_retry.sh - faults on the wire: a send whose connection drops after the
# homeserver applied it is retried with the same txnId and posted once (and one dropped
# before it was applied is posted once too); a rate-limit storm (M_LIMIT_EXCEEDED with
# retry_after_ms, and a Retry-After header alone): every message delivered once, in
# order, each wait honoured; 5xx on /sync: exponential backoff, then recovery; a garbage
# /sync body: skipped, recovered; a /sync that stalls past the daemon's HTTP timeout: the
# client gives up on its own and syncs again.
#
# The stall takes the daemon's whole sync HTTP timeout (30 s long-poll + 15 s), so it runs
# on a second fake + daemon ("stall") started first, alongside everything else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
BOB=@bob:fake.local

log_api() { ctl GET '/log?kind=api'; }

# ---- the stall instance: ready, then its next long-poll is held 60 s by the fake ----
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg bot "$BOT" '{members: [$a, $bot]}')"
DB=$T/stall.db
DAEMON_TIMEOUT=90 daemon_start_ready "$DB"
wait_until 10 sync_held
ctl_ok "stall the next sync for 60 s" POST "/stall?path=sync&ms=60000"
say "$ALICE" 'wake the held sync'    # its answer makes the daemon send the next, stalled, sync
settle
stalled_held() { state | jq -e 'any(.held[]; .stalled)' >/dev/null; }
wait_until 10 stalled_held
STALL_START=$(now_ms)
say "$ALICE" 'said during the stall'
STALL_EV=$EV_ID
inst_save stall

# ---- the main instance ----
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg bot "$BOT" '{members: [$a, $b, $bot],
	power_levels: {users: {($a): 100}}}')"
DB=$T/ws.db
daemon_start_ready "$DB"
wait_until 10 sync_held

# ---- a send dropped after it was applied, one dropped before ----
ctl_ok "drop the next send after applying it" POST "/drop?path=send&applied=1"
say "$ALICE" '!ws start'
settle
check "the welcome and question 1 are posted" wait_sent 2
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL")" ]
}
wait_until 10 ref_known 0
ctl_ok "reset the connection of the next send, before applying it" POST "/drop?path=send&reset=1"
say "$ALICE" '!ws status'
settle
check "the status reply is posted" wait_sent 3
s=$(sent)
check_eq "the dropped-after-applied send was retried with the same txnId: applied, then replayed" \
	'["wb1",2,["applied","replayed"]]' \
	"$(jq -c '.[0] | [.txn_id, .received, [.calls[].outcome]]' <<<"$s")"
check_eq "the replay got the same event id, and it is the one the daemon recorded" \
	"$(jq -r '.[0].event_id' <<<"$s")" "$(sql_q "SELECT remote_ref FROM outbox WHERE id = 1")"
check_eq "the send reset before it was applied was retried with the same txnId and applied once" \
	'["wb3",2,["not_applied","applied"]]' \
	"$(jq -c '.[2] | [.txn_id, .received, [.calls[].outcome]]' <<<"$s")"
bot_events() {
	ctl GET "/timeline?room=$(enc "$ROOM")" | jq -c --arg b "$BOT" '[.events[] | select(.sender == $b and .type != "m.room.member")]'
}
check_eq "the room holds the welcome once and question 1 once" "1 1" \
	"$(bot_events | jq -r '[([.[] | select(.content.body | startswith("Community Engagement"))] | length),
		([.[] | select(.content.body | startswith("Question 1 of"))] | length)] | join(" ")')"

# ---- a rate-limit storm ----
seq0=$(state | jq .log_seq)
ctl_ok "429 with retry_after_ms (no header) for the next 4 sends" \
	POST "/fail?path=send&status=429&retry_after_ms=300&header=0&count=4"
ctl_ok "then one 429 with only a Retry-After header (1 s)" \
	POST "/fail?path=send&status=429&retry_after_ms=1000&body_ms=0"
storm=()
for k in 1 2 3 4 5; do ev_say "$ALICE" "!ws action storm item $k"; storm+=("$EV"); done
post "$(printf '%s\n' "${storm[@]}" | jq -cs .)"
settle
storm_done() {
	[ "$(notices | jq '[.[] | select(.content.body | contains("storm item"))] | length')" -ge 5 ]
}
check "every message of the storm is delivered" wait_until 25 storm_done
check_eq "in order, each once" "1 2 3 4 5" \
	"$(bot_events | jq -r '[.[] | .content.body | select(contains("storm item")) | capture("storm item (?<n>[0-9])").n] | join(" ")')"
calls=$(ctl GET "/log?kind=api&since=$seq0" | jq -c '[.[] | select(.endpoint == "send")
	| {t: .t_ms, status, txn: .txn_id, ra: (.response.retry_after_ms? // null), hdr: .retry_after_header}]')
n429=$(jq '[.[] | select(.status == 429)] | length' <<<"$calls")
check_eq "the storm answered 429 five times" "5" "$n429"
# Each 429 (body retry_after_ms, or the Retry-After header in seconds) is honoured: the
# next send in the room comes no earlier.
early=$(jq -c '[range(0; length - 1) as $i | .[$i] as $a | .[$i + 1] as $b
	| select($a.status == 429)
	| (if $a.ra != null then $a.ra else (($a.hdr | tonumber) * 1000) end) as $wait
	| select($b.t - $a.t < $wait - 10) | {txn: $a.txn, wait: $wait, waited: ($b.t - $a.t)}]' <<<"$calls")
check_eq "every wait was honoured (retry_after_ms 300, Retry-After 1 s)" "[]" "$early"
check_eq "the header-only 429 made the daemon wait about a second" "true" \
	"$(jq '[range(0; length - 1) as $i | .[$i] as $a | .[$i + 1] as $b
		| select($a.status == 429 and $a.ra == null) | $b.t - $a.t] | length == 1 and .[0] >= 990' <<<"$calls")"
check_eq "each storm message was applied once" "true" \
	"$(sent | jq '[.[] | select(.content.body? // "" | contains("storm item"))] | length == 5 and all(.[]; ([.calls[] | select(.outcome == "applied")] | length) == 1)')"

# ---- 5xx on /sync: backoff, recovery ----
wait_until 10 sync_held
seq0=$(state | jq .log_seq)
ctl_ok "the next two syncs fail with 500" POST "/fail?path=sync&status=500&count=2"
say "$BOB" '!ws answer before the 500s'    # answers the held sync; the next ones fail
settle
first_500() { ctl GET "/log?kind=api&since=$seq0" | jq -e 'any(.[]; .endpoint == "sync" and .status == 500)' >/dev/null; }
wait_until 10 first_500
thread "$ALICE" "$(question_event 1)" 'said during the 500s'
during=$EV_ID
check "after two 500s the daemon syncs again and handles what was said" settle 15 "$during"
syncs=$(ctl GET "/log?kind=api&since=$seq0" | jq -c '[.[] | select(.endpoint == "sync") | {t: .t_ms, status, held: (.held_ms // 0)}]')
check_eq "two syncs failed with 500" "2" "$(jq '[.[] | select(.status == 500)] | length' <<<"$syncs")"
gaps=$(jq -c '[range(0; length - 1) as $i | select(.[$i].status == 500) | .[$i + 1].t - .[$i + 1].held - .[$i].t]' <<<"$syncs")
check_eq "the daemon backed off exponentially (about 1 s, then about 2 s, with jitter)" "true" \
	"$(jq 'length == 2 and .[0] >= 750 and .[0] <= 2200 and .[1] >= 1550 and .[1] <= 4000 and .[1] > .[0]' <<<"$gaps")"
echo "# the waits after each 500 (ms): $gaps"
check_grep "the daemon logs the failed sync and its wait" "$DERR" "sync failed: M_UNKNOWN"
check_eq "the answer said during the 500s is stored once" "said during the 500s" \
	"$(sql_q "SELECT text FROM answers WHERE user_id = '$ALICE'")"

# ---- garbage /sync bodies: skipped, recovery ----
wait_until 10 sync_held
seq0=$(state | jq .log_seq)
ctl_ok "a truncated JSON sync answer" POST "/garbage?path=sync&kind=truncated"
ctl_ok "then an HTML one" POST "/garbage?path=sync&kind=html"
say "$BOB" 'wake'      # answers the held sync; the next two are garbage
settle
thread "$BOB" "$(question_event 1)" 'said during the garbage'
check "after two garbage answers the daemon syncs again and handles what was said" settle 15
check_eq "two garbage sync answers were sent" "2" \
	"$(ctl GET "/log?kind=api&since=$seq0" | jq '[.[] | select(.endpoint == "sync" and .garbage != null)] | length')"
check_grep "the daemon logs the skipped answer" "$DERR" "sync failed: an answer that is not JSON"
check_eq "bob's answer is stored once, replaced by the later one (with history)" \
	"said during the garbage|1" \
	"$(sql_q "SELECT a.text, (SELECT count(*) FROM answer_history h WHERE h.answer_id = a.id) FROM answers a WHERE user_id = '$BOB'")"
check "the daemon is still running" running

# ---- every send once ----
s=$(sent)
check_eq "every transaction was applied exactly once" "true" \
	"$(jq 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' <<<"$s")"
check_eq "only the forced retries were received more than once" '["wb1","wb3"]' \
	"$(jq -c '[.[] | select(.received > 1 and ([.calls[] | select(.status == 429)] | length) == 0) | .txn_id]' <<<"$s")"
check_eq "the room holds one event of the bot per transaction" "$(jq length <<<"$s")" "$(bot_events | jq length)"
check_eq "no delivery failed in the outbox" "0" "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"

# ---- the stall instance: the client timed out by itself and synced again ----
inst_load stall
check "the stalled daemon handled what was said during the stall, after its HTTP timeout" \
	settle 60 "$STALL_EV"
waited=$(( $(now_ms) - STALL_START ))
stalled=$(ctl GET '/log?kind=api' | jq -c '[.[] | select(.endpoint == "sync" and .rule == "stall") | {status, client_gone, held_ms}]')
check_eq "the stalled sync was abandoned by the client (not answered by the fake)" '[[0,true]]' \
	"$(jq -c '[.[] | [.status, .client_gone]]' <<<"$stalled")"
check_eq "the client gave up after its HTTP timeout (longer than the 30 s long-poll, before the fake's 60 s)" \
	"true" "$(jq '.[0].held_ms >= 30000 and .[0].held_ms < 59000' <<<"$stalled")"
echo "# the stalled sync was held $(jq '.[0].held_ms' <<<"$stalled") ms; recovered after $waited ms"
check_grep "the daemon logs the timed-out sync" "$DERR" "sync failed"
daemon_stop
check_exit "the stall daemon stops cleanly" 0 "$DRC"
finish
