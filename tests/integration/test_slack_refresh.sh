#!/usr/bin/env bash
# test_slack_refresh.sh - the Socket Mode connection changes under a running session:
# disconnect refresh_requested with answers pushed right before and after it (make before
# break: a new apps.connections.open and websocket first, then the old one closed; nothing
# lost), disconnect warning, too_many_websockets, and a dropped socket (reconnects with
# backoff within bot/slack.c's bounds: base 1 s, +-20 % jitter, doubling per failure).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

# Allowance for scheduling, the HTTP round trip and a slow sanitizer build, above a
# backoff's upper bound.
SLACK_MS=1500

DB=$T/ws.db
fake_start
daemon_start_ready "$DB"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = 0 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
open_conns() { state | jq -c '[.connections[] | select(.open) | .id]'; }
# log_ev FILTER: the fake's recorded events that match a jq condition.
log_ev() { ctl GET /log | jq -c "[.[] | select($1)]"; }
answered() { [ "$(sql_q "SELECT count(*) FROM answers WHERE user_id = '$1' AND withdrawn = 0")" = 1 ]; }

send slash_commands slash U111 start
wait_posts 2
check "the session's question 1 is posted" wait_until 10 ref_known
Q1=$(question_ts 1)
OLD=$(open_conns | jq '.[0]')

# ---- refresh_requested, answers right before and after ----
# The answer "after" arrives while the daemon is between connections: once the daemon has
# asked for the new connection (that apps.connections.open is held for 1.5 s), the daemon
# is frozen (SIGSTOP) so it cannot finish the switch, the answer is written to the old
# connection, and the daemon continues.
ctl POST "/stall?method=apps.connections.open&ms=1500&count=1" >/dev/null
ev_message U201 'answer right before the refresh' "$Q1"
push events_api "$PL" "conn=$OLD"; before=$ENV_ID
ev_message U202 'answer right after the refresh' "$Q1"
AFTER=$PL
ctl POST "/disconnect?reason=refresh_requested&conn=$OLD" >/dev/null
check "the daemon asks for a new connection (apps.connections.open)" \
	wait_until 10 count_is 2 api_count apps.connections.open
kill -STOP "$DPID"
check_eq "the old connection is still the only one open" "[$OLD]" "$(open_conns)"
push events_api "$AFTER" "conn=$OLD"; after=$ENV_ID
kill -CONT "$DPID"
check "the answer pushed after the disconnect went to the old connection" test -n "$after"
check "the daemon gets ready on a new connection" wait_ready 2
check_eq "a second apps.connections.open was called" "2" "$(api_count apps.connections.open)"
check "the old connection is closed" wait_until 10 count_is 1 eval 'open_conns | jq length'
NEW=$(open_conns | jq '.[0]')
check "the new connection is another one" test "$NEW" != "$OLD"
hello_new=$(log_ev ".kind == \"ws_send\" and .what == \"hello\" and .conn == $NEW" | jq '.[0].seq')
closed_old=$(log_ev ".kind == \"ws_disconnect\" and .conn == $OLD" | jq -c '.[0] | [.seq, .how]')
check_eq "the old connection was closed by the daemon (a close frame)" '"client_close"' \
	"$(jq '.[1]' <<<"$closed_old")"
check "the old one closed only after the new one got its hello (make before break)" \
	test "$(jq '.[0]' <<<"$closed_old")" -gt "$hello_new"
check "the answer before the refresh is acked" wait_ack "$before"
check "the answer after the refresh is acked" wait_ack "$after"
check_eq "both were acked on the connection they came on" "$OLD $OLD" \
	"$(acks | jq -r --arg a "$before" --arg b "$after" '[(.[] | select(.envelope_id == $a) | .conn), (.[] | select(.envelope_id == $b) | .conn)] | join(" ")')"
ev_message U203 'answer on the new connection' "$Q1"
push events_api "$PL"; on_new=$ENV_ID
check "an answer on the new connection is acked" wait_ack "$on_new"
check_eq "it came and was acked on the new connection" "$NEW" \
	"$(acks | jq -r --arg a "$on_new" '.[] | select(.envelope_id == $a) | .conn')"
check_eq "all three answers are stored" \
	"U201|answer right before the refresh
U202|answer right after the refresh
U203|answer on the new connection" \
	"$(sql_q "SELECT user_id, text FROM answers ORDER BY user_id")"
check_eq "no extra connection was opened" "2" "$(api_count apps.connections.open)"

# ---- warning: the same make-before-break ----
ctl POST "/disconnect?reason=warning" >/dev/null
check "after a warning the daemon gets ready on a new connection" wait_ready 3
check_eq "a third apps.connections.open was called" "3" "$(api_count apps.connections.open)"
check "after a warning one connection stays open" wait_until 10 count_is 1 eval 'open_conns | jq length'
send events_api ev_message U204 'answer after the warning' "$Q1"
check "an answer after the warning is acked" wait_ack "$ENV_ID"
check "and stored" answered U204

# ---- too_many_websockets: close, back off, reconnect ----
WS_CONN=$(open_conns | jq '.[0]')
ctl POST "/disconnect?reason=too_many_websockets" >/dev/null
check "after too_many_websockets the daemon reconnects" wait_ready 4
closed=$(log_ev ".kind == \"ws_disconnect\" and .conn == $WS_CONN" | jq -c '.[0] | [.t_ms, .how]')
check_eq "it closed that websocket itself" '"client_close"' "$(jq '.[1]' <<<"$closed")"
reopen=$(log_ev '.kind == "api" and .method == "apps.connections.open"' | jq '.[3].t_ms')
gap=$((reopen - $(jq '.[0]' <<<"$closed")))
if [ "$gap" -ge 790 ] && [ "$gap" -le $((1200 + SLACK_MS)) ]; then
	ok "it backed off about 1 s before reconnecting ($gap ms)"
else
	not_ok "it backed off about 1 s before reconnecting" "gap $gap ms, expected 800..1200 ms (+$SLACK_MS)"
fi

# ---- a dropped socket, and a failing apps.connections.open: backoff 1 s, then 2 s ----
ctl POST "/fail?method=apps.connections.open&error=service_unavailable&status=503&count=1" >/dev/null
DROP_CONN=$(open_conns | jq '.[0]')
ctl POST "/drop" >/dev/null
check "after a dropped socket (and one failed attempt) the daemon reconnects" wait_ready 5 20
dropped=$(log_ev ".kind == \"ws_disconnect\" and .conn == $DROP_CONN" | jq -c '.[0] | [.t_ms, .how]')
check_eq "the socket was dropped by the server" '"server_drop"' "$(jq '.[1]' <<<"$dropped")"
opens=$(log_ev '.kind == "api" and .method == "apps.connections.open"' | jq -c '[.[4:][] | [.t_ms, .status]]')
check_eq "apps.connections.open was called again: once refused (503), then ok" '[503,200]' \
	"$(jq -c '[.[][1]]' <<<"$opens")"
gap1=$(($(jq '.[0][0]' <<<"$opens") - $(jq '.[0]' <<<"$dropped")))
gap2=$(($(jq '.[1][0]' <<<"$opens") - $(jq '.[0][0]' <<<"$opens")))
if [ "$gap1" -ge 790 ] && [ "$gap1" -le $((1200 + SLACK_MS)) ]; then
	ok "the first attempt came after about 1 s ($gap1 ms)"
else
	not_ok "the first attempt came after about 1 s" "gap $gap1 ms, expected 800..1200 ms (+$SLACK_MS)"
fi
if [ "$gap2" -ge 1590 ] && [ "$gap2" -le $((2400 + SLACK_MS)) ]; then
	ok "after a failed attempt the wait doubled to about 2 s ($gap2 ms)"
else
	not_ok "after a failed attempt the wait doubled to about 2 s" "gap $gap2 ms, expected 1600..2400 ms (+$SLACK_MS)"
fi
send events_api ev_message U205 'answer after the reconnect' "$Q1"
check "an answer after the reconnect is acked" wait_ack "$ENV_ID"
check "and stored" answered U205
check_eq "the daemon kept one connection" "1" "$(open_conns | jq length)"

# ---- nothing lost ----
check "every envelope is acked" wait_acks 10
check_eq "every envelope was acked exactly once" "$(envelopes | jq length)" \
	"$(envelopes | jq '[.[] | select(.ack_count == 1)] | length')"
check_eq "every answer is stored once" "5" "$(sql_q "SELECT count(*) FROM answers")"
check_eq "the question was posted once" "1" \
	"$(posts | jq '[.[] | select(.text | startswith("*Question 1 of 22"))] | length')"
check "the daemon is still running" running
daemon_stop
check_exit "it stops cleanly" 0 "$DRC"
fake_stop
finish
