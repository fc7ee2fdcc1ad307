#!/usr/bin/env bash
# test_slack_faults.sh - network faults on Slack, table-driven: on the Socket Mode
# websocket (a drop mid-frame, a TCP reset, a server that goes silent, a close, frames that
# are not JSON, a 1 MiB frame, an envelope over the 1 MiB limit, a payload of the wrong
# type, unknown frame and event types) and on the Web API (chat.postMessage answering 500,
# a 429 storm, truncated JSON, an HTML 502, fields of the wrong types, a 1 MiB answer, an
# answer cut off mid-body, a dropped connection, a stall). For each case: the daemon stays
# up, logs a clear line, recovers within its backoff bound, an answer sent around the fault
# is stored once and a bot post queued during it is delivered once. Then the reconnect
# backoff: its first waits follow bot/slack.c's formula (1 s doubling, +-20 %), and over
# the whole run there is no reconnect storm. [slack] ping_timeout = 3 makes the
# missing-pong reconnect quick.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

PING_TIMEOUT=3
DB=$T/ws.db
printf '[slack]\nping_timeout = %s\n' "$PING_TIMEOUT" >"$T/wb.conf"
chmod 600 "$T/wb.conf"
DAEMON_OPTS=(--config "$T/wb.conf")
# One daemon lives through every case: on a loaded machine they take longer than the
# default 60 s bound (the script itself is bounded by run.sh).
DAEMON_LIMIT=240
fake_start
daemon_start_ready "$DB"
send slash_commands slash U111 start
check "the session starts" wait_posts 2
Q1=$(question_ts 1)

BIG=$(jq -cn '{type: "events_api", envelope_id: "big-1", payload: {padding: ("x" * 1100000)}}')
UNKNOWN_FRAME='{"type":"surprise_type","envelope_id":"odd-1","payload":{}}'
UNKNOWN_EVENT='{"type":"event_callback","event_id":"EvOdd","event":{"type":"mystery_event","user":"U111"}}'
# The table: NAME|KIND|INJECT|LOG. KIND: ws (the websocket is replaced), frame (one frame
# is skipped, the connection stays), api (chat.postMessage misbehaves for the post queued
# during it). INJECT is a control API request "METHOD PATH [BODY]". LOG "-": no line is
# required (unknown frame and event types are ignored, logged at debug only; a post whose
# kept-alive connection was dropped is resent by libcurl on a new one, unseen).
CASES=(
	"drop mid-frame|ws|POST /drop?midframe=1|connection lost"
	"TCP reset|ws|POST /drop?reset=1|connection lost"
	"close 1011|ws|POST /close?code=1011&reason=overloaded|closed by the server \(code 1011"
	"silent server|ws|POST /silence?on=1|nothing received for $PING_TIMEOUT s"
	"envelope over 1 MiB|ws|POST /push $BIG|larger than the limit"
	"invalid JSON frame|frame|POST /garbage?kind=text|frame was skipped"
	"1 MiB frame|frame|POST /garbage?kind=huge|frame was skipped"
	"payload of the wrong type|frame|POST /garbage?kind=shape|skipped"
	"unknown frame type|frame|POST /push $UNKNOWN_FRAME|-"
	"unknown event type|frame|POST /envelope?type=events_api $UNKNOWN_EVENT|-"
	"500 twice|api|POST /fail?method=chat.postMessage&status=500&count=2|chat.postMessage failed"
	"429 storm|api|POST /ratelimit?method=chat.postMessage&count=3&retry_after=1|rate-limited"
	"truncated JSON|api|POST /fail?method=chat.postMessage&garbage=truncated|chat.postMessage failed"
	"HTML 502|api|POST /fail?method=chat.postMessage&garbage=html&status=502|chat.postMessage failed"
	"fields of the wrong types|api|POST /fail?method=chat.postMessage&garbage=wrongtype|chat.postMessage failed"
	"1 MiB answer|api|POST /fail?method=chat.postMessage&garbage=huge|chat.postMessage failed"
	"answer cut mid-body|api|POST /fail?method=chat.postMessage&cut=1|chat.postMessage failed"
	"dropped connection|api|POST /fail?method=chat.postMessage&drop=1|-"
	"stall of 3 s|api|POST /stall?method=chat.postMessage&ms=3000&count=1|-"
)

n_answer() { sql_q "SELECT count(*) FROM answers WHERE text = '$1'"; }
n_post() { posts | jq --arg t "$1" '[.[] | select(.text | contains($t))] | length'; }
# redeliver_unacked ID...: Slack's redelivery of each envelope that was not acked.
redeliver_unacked() {
	local id
	for id in "$@"; do
		is_acked "$id" || redeliver "$id" 1 || return 1
	done
}

i=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name kind inject pattern <<<"$c"
	i=$((i + 1))
	user=U$((300 + i))
	answer="answer around fault $i"
	item="Fault item $i"
	mark=$(log_mark)
	ready0=$(n_ready)
	envs=()
	t0=$(now_ms)
	if [ "$kind" != api ]; then
		# The answer and the command go just before the fault (they may be unacked when
		# the connection goes: Slack then delivers them again).
		send events_api ev_message "$user" "$answer" "$Q1" && envs+=("$ENV_ID")
		send slash_commands slash U111 "action $item" && envs+=("$ENV_ID")
	fi
	read -r m path body <<<"$inject"
	r=$(ctl "$m" "$path" ${body:+"$body"})
	check "$name: injected" jq -e '.ok' <<<"$r" >/dev/null
	FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
	if [ "$name" = "silent server" ]; then
		wait_until $((PING_TIMEOUT + 5)) logged_since "$mark" "$pattern"
		ctl POST "/silence?on=0" >/dev/null
	fi
	if [ "$kind" = api ]; then
		send events_api ev_message "$user" "$answer" "$Q1" && envs+=("$ENV_ID")
		send slash_commands slash U111 "action $item" && envs+=("$ENV_ID")
	fi
	if [ "$kind" = ws ]; then
		# Backoff 1 s +-20 % after the first failure; the silent case first waits for
		# ping_timeout.
		fault_recovered "$name" "$t0" $((PING_TIMEOUT + 5)) count_ge $((ready0 + 1)) n_ready
		redeliver_unacked "${envs[@]}"
	fi
	wait_until 10 all_acked
	fault_recovered "$name" "$t0" 15 count_is 1 n_post "$item"
	check_eq "$name: the answer sent around it is stored once" 1 "$(n_answer "$answer")"
	check_eq "$name: the post queued during it is delivered once" 1 "$(n_post "$item")"
	[ "$pattern" = - ] || fault_logged "$name" "$mark" "$pattern"
	check "$name: the daemon is still running" running
done

# ---- the backoff: apps.connections.open fails twice with 500 after a drop ----
opens() { ctl GET "/log?kind=api" | jq -c --argjson s "$1" '[.[] | select(.seq > $s and .method == "apps.connections.open") | .t_ms]'; }
seq0=$(ctl GET "/log?kind=api" | jq '.[-1].seq')
ready0=$(n_ready)
ctl POST "/fail?method=apps.connections.open&status=500&count=2" >/dev/null
t0=$(now_ms)
ctl POST "/drop" >/dev/null
FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
fault_recovered "backoff" "$t0" 12 count_ge $((ready0 + 1)) n_ready
drop_ms=$(ctl GET "/log?kind=ws_disconnect" | jq '.[-1].t_ms')
gaps=$(opens "$seq0" | jq -c --argjson d "$drop_ms" '[$d] + . | [range(1; length) as $i | .[$i] - .[$i - 1]]')
echo "# waits before each apps.connections.open after the drop (ms): $gaps"
check_eq "three attempts: two failed, the third connected" 3 "$(jq length <<<"$gaps")"
check "the waits grow as 1 s, 2 s, 4 s (+-20 %), none under its floor or over its bound" \
	backoff_gaps_ok "$gaps" 1000

# ---- no reconnect storm over the whole run ----
n_open=$(api_count apps.connections.open)
n_conn=$(state | jq '.totals.ws_connections // .totals.ws')
echo "# websocket connections: $n_conn, apps.connections.open calls: $n_open, ready: $(n_ready)"
check "no reconnect storm: at most two apps.connections.open per reconnect" \
	test "$n_open" -le $((2 * $(n_ready) + 2))
all_gaps=$(ctl GET "/log?kind=api" | jq -c '[.[] | select(.method == "apps.connections.open") | .t_ms]
	| [range(1; length) as $i | .[$i] - .[$i - 1]]')
check_eq "no two connection attempts closer than the 1 s floor (-20 %)" "[]" \
	"$(jq -c '[.[] | select(. < 780)]' <<<"$all_gaps")"
check_eq "nothing failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"
fault_summary
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
fake_stop
finish
