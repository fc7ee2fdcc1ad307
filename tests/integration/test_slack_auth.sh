#!/usr/bin/env bash
# test_slack_auth.sh - token trouble stops the daemon with one line naming the token and no
# retry loop (a refused bot token, a refused app token, a token revoked while running);
# link_disabled stops it with a hint; frames that are garbage (not JSON, binary, 1 MiB,
# an envelope of unexpected shape or type) are logged, acked when they carry an
# envelope_id, and the daemon stays up; a 100 KB envelope in 4 KiB fragments is reassembled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start

# check_one_error NAME FIXED-STRING: the daemon's log has exactly one line that is not
# "info ...", and it contains the string.
check_one_error() {
	local lines
	lines=$(grep -v -e '^info ' -e '^$' "$DERR_LAST")
	if [ -n "$lines" ] && [ "$(printf '%s\n' "$lines" | wc -l)" -eq 1 ] && [[ $lines == *"$2"* ]]; then
		ok "$1"
	else
		not_ok "$1" "expected one error line containing: $2" "log:" "$(cat "$DERR_LAST")"
	fi
}
# run_to_exit ENV...: starts the daemon and waits (10 s at most) for it to exit by itself.
run_to_exit() {
	daemon_start "$DB" "$@"
	DERR_LAST=$DERR
	daemon_wait 10
}

# ---- a refused bot token ----
run_to_exit SLACK_BOT_TOKEN=xoxb-revoked-111
check_exit "a refused bot token: the daemon exits non-zero by itself" nonzero "$DRC"
check_one_error "a refused bot token: one error line naming the bot token" "bot token"
check_grep "a refused bot token: it says where the token is configured" "$DERR_LAST" "SLACK_BOT_TOKEN"
check_grep "a refused bot token: it says Slack's error" "$DERR_LAST" "invalid_auth"
check_eq "a refused bot token: auth.test was called once, no connection opened" "1 0" \
	"$(api_count auth.test) $(api_count apps.connections.open)"
check_nogrep "a refused bot token: the token is not printed" "$DERR_LAST" "xoxb-revoked-111"

# ---- a refused app-level token ----
run_to_exit SLACK_APP_TOKEN=xapp-revoked-222
check_exit "a refused app token: the daemon exits non-zero by itself" nonzero "$DRC"
check_one_error "a refused app token: one error line naming the app-level token" "app-level token"
check_grep "a refused app token: it says where the token is configured" "$DERR_LAST" "SLACK_APP_TOKEN"
check_eq "a refused app token: apps.connections.open was called once" "1" "$(api_count apps.connections.open)"
check_nogrep "a refused app token: the token is not printed" "$DERR_LAST" "xapp-revoked-222"

# ---- a bot token revoked while running: chat.postMessage says token_revoked ----
daemon_start_ready "$DB"
DERR_LAST=$DERR
ctl POST "/fail?method=chat.postMessage&error=token_revoked&count=1" >/dev/null
send slash_commands slash U111 start
daemon_wait 10
check_exit "a revoked token while running: the daemon stops, non-zero" nonzero "$DRC"
check_one_error "a revoked token while running: one error line naming the bot token" "bot token"
check_grep "a revoked token while running: it says Slack's error" "$DERR_LAST" "token_revoked"
check_eq "a revoked token while running: chat.postMessage was tried once, not in a loop" "1" \
	"$(ctl GET "/log?kind=api" | jq '[.[] | select(.method == "chat.postMessage")] | length')"
check_eq "a revoked token while running: the session was stored before the failure" "1" \
	"$(sql_q "SELECT count(*) FROM sessions")"

# ---- link_disabled ----
opens_before=$(api_count apps.connections.open)
daemon_start_ready "$DB"
DERR_LAST=$DERR
ctl POST "/disconnect?reason=link_disabled" >/dev/null
daemon_wait 10
check_exit "link_disabled: the daemon stops, non-zero" nonzero "$DRC"
check_one_error "link_disabled: one line telling the operator to turn Socket Mode on" "turn it on again in the app's settings (Socket Mode)"
check_eq "link_disabled: no reconnect (one apps.connections.open for this daemon)" \
	"$((opens_before + 1))" "$(api_count apps.connections.open)"

# ---- garbage frames; the daemon logs at debug level here, so everything is logged ----
printf '[workshopbot]\nlog_level = debug\n' >"$T/debug.conf"
DAEMON_OPTS=(--config "$T/debug.conf")
daemon_start_ready "$DB"
opens_before=$(api_count apps.connections.open)
# The session of the revoked-token run is there; its question is posted now (the outbox).
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = 0 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
check "the queued question is posted after the restart" wait_until 10 ref_known
Q1=$(question_ts 1)

ctl POST "/garbage?kind=text" >/dev/null
ctl POST "/garbage?kind=binary" >/dev/null
ctl POST "/garbage?kind=huge" >/dev/null
ctl POST "/garbage?kind=huge&fragment=65536" >/dev/null
shape_id=$(ctl POST "/garbage?kind=shape" | jq -r .envelope_id)
ctl POST /push '{"envelope_id":"11111111-2222-4333-8444-555555555555","type":"mystery_type","payload":{"x":1}}' >/dev/null
ctl POST /push '{"type":"events_api","payload":{"event":{"type":"message"}}}' >/dev/null
ctl POST /push '{"envelope_id":"66666666-2222-4333-8444-555555555555","type":"events_api","payload":{"event":{"type":"message","text":"no channel, user or ts"}}}' >/dev/null
ctl POST /push '["an", "array"]' >/dev/null
check "an envelope of unexpected shape (string payload) is acked" wait_ack "$shape_id"
check "an envelope of an unknown type is acked" wait_ack 11111111-2222-4333-8444-555555555555
check "a message event without channel, user or ts is acked" wait_ack 66666666-2222-4333-8444-555555555555
check_grep "the shape envelope is logged" "$DERR" "$shape_id"
check_eq "a text frame that is not JSON, two 1 MiB ones and an array are logged as skipped" "4" \
	"$(grep -c 'slack: a frame was skipped: frame is not a JSON object' "$DERR")"
check_grep "an envelope without an envelope_id is logged as skipped" "$DERR" "envelope without an envelope_id"
check_grep "a binary frame is logged" "$DERR" "binary message ignored"
check "the daemon is still running" running

# A 100 KB envelope in 4 KiB fragments: an answer with multi-byte characters (cut across
# fragments), padded with an unknown field to about 100 KB.
LONG=$(printf 'Ünïcödé answer ✅ %.0s' $(seq 500))
PAD=$(head -c 95000 /dev/zero | tr '\0' 'p')
ev_message U777 "$LONG" "$Q1"
big=$(jq -c --arg pad "$PAD" '.event.user_profile = {padding: $pad}' <<<"$PL")
check "the big envelope is over 100 KB" test "$(printf '%s' "$big" | wc -c)" -gt 102400
push events_api "$big" "fragment=4096"
check "the fragmented 100 KB envelope is acked" wait_ack "$ENV_ID"
check "it was sent in more than 25 frames" test "$(ctl GET "/log?kind=ws_send" | jq '[.[] | select(.what == "envelope")][-1].frames')" -gt 25
check_eq "its answer is stored whole, byte for byte" "$(hexof "$LONG")" \
	"$(sql_q "SELECT hex(text) FROM answers WHERE user_id = 'U777'")"

# And an ordinary answer after all that.
send events_api ev_message U888 'still here' "$Q1"
check "an answer after the garbage is acked" wait_ack "$ENV_ID"
check_eq "and stored" "still here" "$(sql_q "SELECT text FROM answers WHERE user_id = 'U888'")"
check_eq "the garbage cost no reconnect" "$opens_before" "$(api_count apps.connections.open)"
check_eq "one websocket connection, still open" "1" "$(state | jq '[.connections[] | select(.open)] | length')"
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
DAEMON_OPTS=()
fake_stop
finish
