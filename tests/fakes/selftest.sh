#!/usr/bin/env bash
# selftest.sh - tests the fake Slack itself (tests/fakes/fake_slack), not the daemon.
#
#   tests/fakes/selftest.sh [DIR]     DIR holds fake_slack and fake_wsclient
#                                     (default: $FAKES_DIR, else build/tests)
#
# Starts the fake on an ephemeral port (waits for --port-file with a bounded loop),
# drives the Web API and the control API with the curl CLI, malformed HTTP with bash's
# /dev/tcp, and the websocket side with build/tests/fake_wsclient; checks the answers
# with jq. Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed". Exits
# non-zero if a check failed or the fake's stderr holds a sanitizer report.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-${FAKES_DIR:-$root/build/tests}}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
FAKE=$dir/fake_slack
CLIENT=$dir/fake_wsclient

for tool in curl jq timeout mkfifo; do
	command -v "$tool" >/dev/null 2>&1 || { echo "selftest: $tool is missing" >&2; exit 1; }
done
for bin in "$FAKE" "$CLIENT"; do
	[ -x "$bin" ] || { echo "selftest: $bin is missing; make build/tests/fake_slack build/tests/fake_wsclient" >&2; exit 1; }
done

SELFTEST_NAME=fake-selftest
. "$here/selftest_lib.sh"

# jcheck NAME JSON JQ-EXPRESSION: passes when the expression is true for JSON.
jcheck() {
	if jq -e "$3" >/dev/null 2>&1 <<<"$2"; then ok "$1"; else not_ok "$1" "jq: $3" "json: $2"; fi
}

# ---- start ----

start_fake --log "$T/log.jsonl" --ping-interval 1 --max-seconds 120
BOT='Authorization: Bearer xoxb-test-bot'
APP='Authorization: Bearer xapp-test-app'

api() { local m=$1; shift; curl -s --max-time 10 "$@" "$B/api/$m"; }
post() { local p=$1; shift; curl -s --max-time 10 -X POST "$@" "$B/_control/$p"; }
get() { curl -s --max-time 10 "$B/_control/$1"; }
# code_of CURL-ARGS...: the HTTP status only.
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
# raw FILE: sends FILE over a fresh TCP connection, prints the status line of the answer.
raw() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		cat "$2" >&3 2>/dev/null
		IFS= read -r line <&3; printf "%s\n" "$line"' _ "$PORT" "$1" | tr -d '\r'
}
rawp() { printf "$1" >"$T/raw.req"; raw "$T/raw.req"; }

check_eq "codec vectors (SHA-1, base64, RFC 6455 accept, UTF-8)" "codecs ok" "$("$FAKE" --check-codecs)"

# ---- Web API ----

r=$(api auth.test -X POST -H "$BOT")
jcheck "auth.test with the bot token" "$r" \
	'.ok == true and .user_id == "UBOT" and .bot_id == "BBOT" and .team_id == "T111" and .url == "https://fake.slack.com/"'
check_eq "auth.test with a wrong token" invalid_auth \
	"$(api auth.test -X POST -H 'Authorization: Bearer xoxb-nope' | jq -r .error)"
check_eq "auth.test without a token" not_authed "$(api auth.test -X POST | jq -r .error)"
check_eq "auth.test with the token as a form field" true \
	"$(api auth.test -d token=xoxb-test-bot | jq -r .ok)"
check_eq "unknown method" unknown_method "$(api chat.nothing -X POST -H "$BOT" | jq -r .error)"
check_eq "apps.connections.open with the bot token" not_allowed_token_type \
	"$(api apps.connections.open -X POST -H "$BOT" | jq -r .error)"
check_eq "chat.postMessage with the app token" not_allowed_token_type \
	"$(api chat.postMessage -H "$APP" -d channel=C1 -d text=x | jq -r .error)"
r=$(api apps.connections.open -X POST -H "$APP")
jcheck "apps.connections.open gives a local ws URL with a ticket" "$r" \
	".ok == true and (.url | test(\"^ws://127\\\\.0\\\\.0\\\\.1:$PORT/link/\\\\?ticket=[0-9]+$\"))"
if curl -s --max-time 5 -X POST -H "$APP" "$B/api/apps.connections.open" | grep -qF 'ws:\/\/'; then
	ok "Web API answers escape slashes like Slack"
else
	not_ok "Web API answers escape slashes like Slack"
fi

r1=$(api chat.postMessage -H "$BOT" -d channel=C111 --data-urlencode 'text=hello & <world>')
r2=$(api chat.postMessage -H "$BOT" -d channel=C111 -d text=second)
ts1=$(jq -r .ts <<<"$r1")
ts2=$(jq -r .ts <<<"$r2")
jcheck "chat.postMessage (form) answers channel, ts, message" "$r1" \
	'.ok == true and .channel == "C111" and (.ts | test("^[0-9]{10}\\.[0-9]{6}$")) and .message.text == "hello & <world>" and .message.bot_id == "BBOT" and .message.ts == .ts'
if awk -v a="$ts1" -v b="$ts2" 'BEGIN { exit !(b > a) }'; then ok "ts values increase ($ts1 < $ts2)"; else not_ok "ts values increase" "$ts1 $ts2"; fi
r=$(api chat.postMessage -H "$BOT" -H 'Content-Type: application/json; charset=utf-8' \
	-d "{\"channel\":\"C111\",\"text\":\"in thread\",\"thread_ts\":\"$ts1\",\"blocks\":[{\"type\":\"divider\"}]}")
jcheck "chat.postMessage (JSON) in a thread with blocks" "$r" \
	".ok == true and .message.thread_ts == \"$ts1\" and .message.blocks[0].type == \"divider\" and (has(\"warning\") | not)"
r=$(api chat.postMessage -H "$BOT" -H 'Content-Type: application/json' -d '{"channel":"C111","text":"no charset"}')
jcheck "JSON without charset gets Slack's missing_charset warning" "$r" \
	'.ok == true and .warning == "missing_charset"'
r=$(api chat.postMessage -H "$BOT" -d channel=C222 --data-urlencode 'blocks=[{"type":"section","text":{"type":"mrkdwn","text":"b"}}]')
jcheck "blocks as a form field (JSON string)" "$r" '.ok == true and .message.blocks[0].text.text == "b"'
check_eq "chat.postMessage without text or blocks" no_text \
	"$(api chat.postMessage -H "$BOT" -d channel=C111 | jq -r .error)"
check_eq "chat.postMessage without channel" channel_not_found \
	"$(api chat.postMessage -H "$BOT" -d text=x | jq -r .error)"
check_eq "chat.postMessage with bad blocks" invalid_blocks \
	"$(api chat.postMessage -H "$BOT" -d channel=C1 -d 'blocks=[oops' | jq -r .error)"
check_eq "malformed JSON body" invalid_json \
	"$(api chat.postMessage -H "$BOT" -H 'Content-Type: application/json' -d '{"channel":' | jq -r .error)"
check_eq "chat.update of an unknown ts" message_not_found \
	"$(api chat.update -H "$BOT" -d channel=C111 -d ts=1.2 -d text=x | jq -r .error)"
r=$(api chat.update -H "$BOT" -d channel=C111 -d "ts=$ts1" -d text=closed)
jcheck "chat.update of a posted message" "$r" ".ok == true and .ts == \"$ts1\" and .text == \"closed\""
r=$(api chat.postEphemeral -H "$BOT" -d channel=C111 -d user=U222 -d text=psst)
jcheck "chat.postEphemeral answers message_ts" "$r" '.ok == true and (.message_ts | test("^[0-9]+\\.[0-9]{6}$"))'
r=$(get messages)
jcheck "GET /_control/messages lists posts, update and ephemeral in order" "$r" \
	"[.[] | .method] == [\"chat.postMessage\",\"chat.postMessage\",\"chat.postMessage\",\"chat.postMessage\",\"chat.postMessage\",\"chat.update\",\"chat.postEphemeral\"] and .[2].thread_ts == \"$ts1\" and .[5].text == \"closed\" and .[6].user == \"U222\" and .[2].blocks[0].type == \"divider\""
jcheck "GET /_control/messages?channel= filters" "$(get 'messages?channel=C222')" 'length == 1 and .[0].channel == "C222"'
check_eq "reactions.add" true \
	"$(api reactions.add -H "$BOT" -d channel=C111 -d "timestamp=$ts1" -d name=white_check_mark | jq -r .ok)"
check_eq "reactions.add twice" already_reacted \
	"$(api reactions.add -H "$BOT" -d channel=C111 -d "timestamp=$ts1" -d name=white_check_mark | jq -r .error)"
jcheck "GET /_control/reactions" "$(get reactions)" 'length == 1 and .[0].name == "white_check_mark"'
r=$(api views.open -H "$BOT" -H 'Content-Type: application/json; charset=utf-8' \
	-d '{"trigger_id":"111.222.valid","view":{"type":"modal","callback_id":"answer","title":{"type":"plain_text","text":"Answer"},"blocks":[]}}')
vid=$(jq -r .view.id <<<"$r")
jcheck "views.open answers a view with id, state and hash" "$r" \
	'.ok == true and (.view.id | startswith("V")) and .view.callback_id == "answer" and .view.state.values == {} and (.view.hash | length > 0)'
r=$(api views.update -H "$BOT" -d "view_id=$vid" --data-urlencode 'view={"type":"modal","callback_id":"answer2","title":{"type":"plain_text","text":"Again"},"blocks":[]}')
jcheck "views.update keeps the view id" "$r" ".ok == true and .view.id == \"$vid\" and .view.callback_id == \"answer2\""
check_eq "views.update of an unknown view" not_found \
	"$(api views.update -H "$BOT" -d view_id=VNOPE -d 'view={"type":"modal"}' | jq -r .error)"
check_eq "views.open without trigger_id" invalid_arguments \
	"$(api views.open -H "$BOT" -d 'view={"type":"modal"}' | jq -r .error)"
jcheck "GET /_control/views" "$(get views)" '[.[].method] == ["views.open","views.update"]'
jcheck "users.info derives names from the id" "$(api users.info -H "$BOT" -d user=U222)" \
	'.ok == true and .user.id == "U222" and .user.profile.display_name == "user-U222" and .user.real_name == "User U222"'
post 'user?id=U333&display_name=Ada%20%3Cb%3E&real_name=Ada%20L' >/dev/null
jcheck "users.info after /_control/user" "$(api users.info -H "$BOT" -d user=U333)" \
	'.user.profile.display_name == "Ada <b>" and .user.real_name == "Ada L"'
post 'user?id=U444&missing=1' >/dev/null
check_eq "users.info of a missing user" user_not_found "$(api users.info -H "$BOT" -d user=U444 | jq -r .error)"
jcheck "conversations.info" "$(api conversations.info -H "$BOT" -d channel=C111)" \
	'.ok == true and .channel.id == "C111" and .channel.name == "channel-c111" and .channel.is_member == true'
jcheck "conversations.open opens a user's IM" "$(api conversations.open -H "$BOT" -d users=U222)" \
	'.ok == true and .channel.id == "DU222" and .already_open == false'
jcheck "conversations.open again: the same IM, already open" \
	"$(api conversations.open -H "$BOT" -H 'Content-Type: application/json; charset=utf-8' --data-raw '{"users":"U222"}')" \
	'.ok == true and .channel.id == "DU222" and .already_open == true and .no_op == true'
check_eq "conversations.open without users" users_list_not_supplied \
	"$(api conversations.open -H "$BOT" -d users= | jq -r .error)"
check_eq "conversations.open of a bad id" user_not_found \
	"$(api conversations.open -H "$BOT" -d users=x1 | jq -r .error)"

# ---- fault injection ----

jcheck "POST /_control/ratelimit" "$(post 'ratelimit?method=chat.postMessage&count=2&retry_after=3')" '.ok == true'
for i in 1 2 3; do
	curl -s --max-time 5 -D "$T/h$i" -o "$T/b$i" -w '%{http_code}' -H "$BOT" -d channel=C9 -d "text=rl $i" \
		"$B/api/chat.postMessage" >"$T/c$i"
done
check_eq "ratelimited calls answer 429, 429, then 200" "429 429 200" "$(cat "$T/c1") $(cat "$T/c2") $(cat "$T/c3")"
check_eq "429 carries Retry-After" "Retry-After: 3" "$(grep -i '^retry-after' "$T/h1" | tr -d '\r')"
check_eq "429 body is Slack's ratelimited" '{"ok":false,"error":"ratelimited"}' "$(cat "$T/b1")"
check_eq "only the call after the rate limit was stored" "rl 3" "$(get 'messages?channel=C9' | jq -r '[.[].text] | join(",")')"

post 'fail?method=chat.postMessage&error=not_in_channel' >/dev/null
check_eq "fail: next call gets the error" not_in_channel "$(api chat.postMessage -H "$BOT" -d channel=C8 -d text=a | jq -r .error)"
check_eq "fail: the call after is fine" true "$(api chat.postMessage -H "$BOT" -d channel=C8 -d text=b | jq -r .ok)"
post 'fail?method=chat.postMessage&error=internal_error&status=500&commit=1' >/dev/null
check_eq "fail with status=500" 500 "$(code_of -H "$BOT" -d channel=C8 -d text=c "$B/api/chat.postMessage")"
check_eq "fail with commit=1 still stores the message" "b,c" "$(get 'messages?channel=C8' | jq -r '[.[].text] | join(",")')"
post 'fail?method=auth.test&drop=1' >/dev/null
curl -s --max-time 5 -X POST -H "$BOT" "$B/api/auth.test" >/dev/null
check_eq "fail with drop=1 closes the connection without an answer (curl exit 52)" 52 "$?"
post 'fail?method=auth.test&garbage=wrongtype' >/dev/null
check_eq "fail with garbage=wrongtype: ok is a string, error a number" "string number" \
	"$(api auth.test -H "$BOT" -X POST | jq -r '[(.ok | type), (.error | type)] | join(" ")')"
post 'fail?method=auth.test&garbage=huge' >/dev/null
check_eq "fail with garbage=huge: a JSON object of 1 MiB + 100 bytes" "1048676 true" \
	"$(api auth.test -H "$BOT" -X POST | tee "$T/huge" | wc -c) $(jq -e 'has("padding")' <"$T/huge")"
post 'fail?method=auth.test&cut=1' >/dev/null
curl -s --max-time 5 -X POST -H "$BOT" "$B/api/auth.test" >/dev/null
check_eq "fail with cut=1 ends the answer halfway through its body (curl exit 18)" 18 "$?"
check_eq "fail with an unknown garbage kind is refused" bad_param "$(post 'fail?method=auth.test&garbage=nope' | jq -r .error)"
post 'fail?method=*&error=invalid_auth&count=2' >/dev/null
check_eq "fail with method=* hits any method" "invalid_auth invalid_auth true" \
	"$(api users.info -H "$BOT" -d user=U1 | jq -r .error) $(api auth.test -H "$BOT" -X POST | jq -r .error) $(api auth.test -H "$BOT" -X POST | jq -r .ok)"

post 'stall?method=users.info&ms=700&count=1' >/dev/null
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 -H "$BOT" -d user=U1 "$B/api/users.info")
if awk -v t="$t" 'BEGIN { exit !(t >= 0.69) }'; then ok "stall delays the answer (${t}s)"; else not_ok "stall delays the answer" "time $t"; fi
t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 -H "$BOT" -d user=U1 "$B/api/users.info")
if awk -v t="$t" 'BEGIN { exit !(t < 0.5) }'; then ok "stall count=1 is used up (${t}s)"; else not_ok "stall count=1 is used up" "time $t"; fi
post 'stall?method=users.info&ms=1500' >/dev/null
curl -s --max-time 0.3 -H "$BOT" -d user=U1 "$B/api/users.info" >/dev/null
check_eq "a client giving up on a stalled call (curl exit 28)" 28 "$?"
post 'stall?method=users.info&ms=0' >/dev/null
check_eq "stall ms=0 removes the stall; the fake survived the abandoned request" true \
	"$(api users.info -H "$BOT" -d user=U1 | jq -r .ok)"
jcheck "POST /_control/reset clears rules" "$(post 'fail?method=chat.update&count=5' >/dev/null; post reset)" '.ok == true and .cleared == 1'

# ---- HTTP robustness ----

before=$(get state | jq .totals.http_connections)
curl -s --max-time 5 -o /dev/null -o /dev/null "$B/_control/state" "$B/_control/state"
after=$(get state | jq .totals.http_connections)
check_eq "keep-alive: curl reuses one connection for two requests" 2 "$((after - before))"
{ printf 'text='; head -c 1999995 /dev/zero | tr '\0' a; } >"$T/big.form"
r=$(curl -s --max-time 10 -H 'Expect: 100-continue' -w '\n%{time_total}' --data-binary @"$T/big.form" "$B/api/api.test")
t=$(tail -n1 <<<"$r")
jcheck "a 2 MB form body with Expect: 100-continue" "$(head -n1 <<<"$r")" '.ok == true and (.args.text | length) == 1999995'
if awk -v t="$t" 'BEGIN { exit !(t < 0.9) }'; then ok "100 Continue is sent (no 1 s curl wait: ${t}s)"; else not_ok "100 Continue is sent" "time $t"; fi
check_eq "garbage request line" "HTTP/1.1 400 Bad Request" "$(rawp 'GARBAGE\r\n\r\n')"
check_eq "HTTP/2.0 request line" "HTTP/1.1 505 HTTP Version Not Supported" "$(rawp 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')"
check_eq "HTTP/1.1 without Host" "HTTP/1.1 400 Bad Request" "$(rawp 'GET /_control/state HTTP/1.1\r\n\r\n')"
check_eq "bad Content-Length" "HTTP/1.1 400 Bad Request" "$(rawp 'POST /api/api.test HTTP/1.1\r\nHost: x\r\nContent-Length: 12a\r\n\r\n')"
check_eq "Content-Length over 8 MiB" "HTTP/1.1 413 Content Too Large" "$(rawp 'POST /api/api.test HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n')"
check_eq "chunked request body" "HTTP/1.1 501 Not Implemented" "$(rawp 'POST /api/api.test HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n')"
check_eq "NUL byte in a header" "HTTP/1.1 400 Bad Request" "$(rawp 'GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n')"
check_eq "obsolete header folding" "HTTP/1.1 400 Bad Request" "$(rawp 'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n')"
{ printf 'GET /_control/state HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 70000 /dev/zero | tr '\0' 'b'; printf '\r\n\r\n'; } >"$T/bighead.req"
check_eq "headers over 64 KiB" "HTTP/1.1 431 Request Header Fields Too Large" "$(raw "$T/bighead.req")"
printf 'GET /_control/state HTTP/1.1\r\nHost: x\r\n\r\nGET /_control/acks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$T/pipe.req"
n=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat "$2" >&3; cat <&3' _ "$PORT" "$T/pipe.req" | grep -o 'HTTP/1.1 200 OK' | wc -l)
check_eq "two pipelined requests get two answers" 2 "$n"
check_eq "unknown path" 404 "$(code_of "$B/nothing")"
check_eq "unknown control" 404 "$(code_of -X POST "$B/_control/nothing")"
check_eq "GET on a POST control" 405 "$(code_of "$B/_control/push")"
check_eq "bad control number" bad_param "$(post 'ratelimit?method=chat.postMessage&count=abc' | jq -r .error)"
check_eq "control rule for an unknown method" bad_param "$(post 'fail?method=chat.nope' | jq -r .error)"
check_eq "the fake still answers after all that" true "$(get state | jq -r .ok)"

# ---- websocket handshake ----

ticket_url() { api apps.connections.open -X POST -H "$APP" | jq -r .url; }
url=$(ticket_url)
path=${url#ws://127.0.0.1:$PORT}
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' "$path" >"$T/ws.req"
timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat "$2" >&3
	while IFS= read -r -t 3 line <&3; do [ "$line" = $(printf "\r") ] && break; echo "$line"; done' \
	_ "$PORT" "$T/ws.req" | tr -d '\r' >"$T/ws.head"
check_eq "handshake: 101" "HTTP/1.1 101 Switching Protocols" "$(head -n1 "$T/ws.head")"
check_eq "handshake: the RFC 6455 example key gives the RFC's accept value" \
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" "$(grep -i '^Sec-WebSocket-Accept' "$T/ws.head")"
check_eq "handshake: a used ticket is refused" "HTTP/1.1 401 Unauthorized" "$(raw "$T/ws.req")"
url=$(ticket_url)
path=${url#ws://127.0.0.1:$PORT}
check_eq "handshake: version 8 gets 426" "HTTP/1.1 426 Upgrade Required" \
	"$(rawp "GET $path HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")"
check_eq "handshake: a short key gets 400" "HTTP/1.1 400 Bad Request" \
	"$(rawp "GET $path HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n")"
"$CLIENT" --max-seconds 5 "ws://127.0.0.1:$PORT/link/?ticket=99999" </dev/null >/dev/null 2>"$T/bad.err"
rc=$?
check_eq "client with an unknown ticket: refused (exit 1)" 1 "$rc"
check_eq "  ... with 401" "fake_wsclient: handshake failed: HTTP/1.1 401 Unauthorized" "$(head -n1 "$T/bad.err")"
wait_until 3 '[ "$(get state | jq .open)" = 0 ]'

# ---- websocket clients ----

# ws_start NAME [client options]: connects a fake_wsclient whose stdin is a fifo held
# open on fd ${NAME}_fd; waits for the first text message (hello).
ws_start() {
	local name=$1 url pid fd
	shift
	url=$(ticket_url)
	mkfifo "$T/$name.in"
	"$CLIENT" --max-seconds 90 "$@" "$url" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	PIDS+=("$pid")
	exec {fd}>"$T/$name.in"
	eval "${name}_pid=$pid ${name}_fd=$fd"
	wait_until 5 "grep -q '^event: text' '$T/$name.err'"
}
# ws_send NAME LINE
ws_send() { local fd="${1}_fd"; printf '%s\n' "$2" >&"${!fd}"; }
# ws_lines NAME N: waits until NAME printed N messages; prints the Nth.
ws_lines() {
	wait_until 5 "[ \$(wc -l <'$T/$1.out') -ge $2 ]"
	sed -n "${2}p" "$T/$1.out"
}
# ws_exit NAME: waits (bounded) for the client to end; sets WS_RC to its exit status
# (not usable inside $(...): wait needs this shell).
ws_exit() {
	local pid="${1}_pid" fd="${1}_fd"
	WS_RC=timeout
	if wait_until 6 "! kill -0 ${!pid} 2>/dev/null"; then
		wait "${!pid}"
		WS_RC=$?
	fi
	eval "exec ${!fd}>&-"
}

ws_start c1
jcheck "hello on connect, shaped like fixtures/hello.json" "$(ws_lines c1 1)" \
	'.type == "hello" and .num_connections == 1 and .connection_info.app_id == "A111" and .debug_info.approximate_connection_time == 18060 and (.debug_info.host | length > 0)'
ws_start c2
jcheck "second connection: num_connections 2" "$(ws_lines c2 1)" '.num_connections == 2'
check_eq "state counts 2 open connections" 2 "$(get state | jq .open)"

mention='{"token":"verification-token","team_id":"T111","api_app_id":"A111","event":{"type":"app_mention","text":"<@UBOT> start","user":"U222","ts":"1610241741.000200","channel":"C111","event_ts":"1610241741.000200"},"type":"event_callback","event_id":"Ev111","event_time":1610241741}'
r=$(post 'envelope?type=events_api' --data-binary "$mention")
env1=$(jq -r .envelope_id <<<"$r")
jcheck "POST /_control/envelope answers an envelope_id" "$r" '.ok == true and .sent_to == 1 and (.envelope_id | test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))'
jcheck "events_api envelope goes to the newest connection, shaped like the fixtures" "$(ws_lines c2 2)" \
	".envelope_id == \"$env1\" and .type == \"events_api\" and .accepts_response_payload == false and .retry_attempt == 0 and .retry_reason == \"\" and .payload.event_id == \"Ev111\""
check_eq "the older connection got nothing" 1 "$(wc -l <"$T/c1.out")"
r=$(post 'envelope?type=slash_commands' --data-binary '{"command":"/workshop","text":"help","user_id":"U222","channel_id":"C111","trigger_id":"111.222.xxx","response_url":"https://hooks.slack.com/commands/T111/1/x"}')
env2=$(jq -r .envelope_id <<<"$r")
jcheck "slash_commands envelope accepts a response payload" "$(ws_lines c2 3)" \
	'.type == "slash_commands" and .accepts_response_payload == true and (has("retry_attempt") | not) and .payload.command == "/workshop"'
post 'envelope?type=interactive' --data-binary '{"type":"view_submission","user":{"id":"U222"},"view":{"id":"V1","callback_id":"answer","state":{"values":{}}}}' >/dev/null
jcheck "interactive view_submission accepts a response payload" "$(ws_lines c2 4)" '.type == "interactive" and .accepts_response_payload == true'
post 'envelope?type=interactive' --data-binary '{"type":"block_actions","user":{"id":"U222"},"actions":[{"action_id":"next","value":"1"}]}' >/dev/null
jcheck "interactive block_actions does not" "$(ws_lines c2 5)" '.accepts_response_payload == false'
check_eq "envelope without a type" bad_param "$(post 'envelope' --data-binary '{}' | jq -r .error)"
check_eq "envelope with a non-object payload" invalid_json "$(post 'envelope?type=events_api' --data-binary '[1]' | jq -r .error)"

ws_send c2 "{\"envelope_id\":\"$env1\"}"
ws_send c2 "{\"envelope_id\":\"$env2\",\"payload\":{\"text\":\"Usage: /workshop start\"}}"
wait_until 5 '[ "$(get acks | jq length)" = 2 ]'
r=$(get acks)
jcheck "GET /_control/acks: envelope ids in order, with payloads" "$r" \
	"[.[].envelope_id] == [\"$env1\",\"$env2\"] and (.[0] | has(\"payload\") | not) and .[1].payload.text == \"Usage: /workshop start\" and .[0].known == true and .[1].type == \"slash_commands\""
r=$(get envelopes)
jcheck "GET /_control/envelopes marks acked ones" "$r" \
	"[.[] | .acked] == [true,true,false,false] and .[0].event_id == \"Ev111\" and (.[0] | has(\"payload\") | not)"
jcheck "ws_text events in the log carry the parsed JSON" "$(get 'log?kind=ws_text')" \
	".[0].json.envelope_id == \"$env1\" and .[0].conn > 0 and .[1].frames == 1"

r=$(post "envelope?retry_of=$env1&attempt=2")
env3=$(jq -r .envelope_id <<<"$r")
jcheck "redelivery: retry_attempt 2, retry_reason timeout, same payload, new envelope id" "$(ws_lines c2 6)" \
	".envelope_id == \"$env3\" and .envelope_id != \"$env1\" and .retry_attempt == 2 and .retry_reason == \"timeout\" and .type == \"events_api\" and .payload.event_id == \"Ev111\""
post "envelope?retry_of=$env1&attempt=3&same_id=1" >/dev/null
jcheck "redelivery with same_id=1 reuses the envelope id" "$(ws_lines c2 7)" ".envelope_id == \"$env1\" and .retry_attempt == 3"
check_eq "redelivery of an unknown envelope" 404 "$(code_of -X POST "$B/_control/envelope?retry_of=nope")"

jcheck "push to all connections" "$(post 'push?conn=all' --data-binary '{"type":"custom","n":1}')" '.sent_to == 2'
check_eq "  ... c1 got it" '{"type":"custom","n":1}' "$(ws_lines c1 2)"
check_eq "  ... c2 got it" '{"type":"custom","n":1}' "$(ws_lines c2 8)"
{ printf '{"type":"big","x":"'; head -c 102400 /dev/zero | tr '\0' 'a'; printf '"}'; } >"$T/big.json"
size=$(wc -c <"$T/big.json")
jcheck "push a 100 KB frame in 1000-byte fragments with a ping between" \
	"$(post 'push?fragment=1000&ping_between=1' --data-binary @"$T/big.json")" '.sent_to == 1'
check_eq "  ... the client reassembles it intact" "$(cat "$T/big.json")" "$(ws_lines c2 9)"
check_eq "  ... in $(((size + 999) / 1000)) frames" "event: text $size $(((size + 999) / 1000))" \
	"$(grep "^event: text $size " "$T/c2.err" | head -n1)"
if grep -q '^event: ping between-fragments' "$T/c2.err"; then ok "  ... with a ping between the fragments"; else not_ok "  ... with a ping between the fragments"; fi

post garbage >/dev/null
check_eq "garbage: a text frame that is not JSON" "" "$(ws_lines c2 10 | jq . 2>/dev/null)"
if ws_lines c2 10 | grep -q '^this is not JSON'; then ok "  ... it arrived"; else not_ok "  ... it arrived" "$(tail -n1 "$T/c2.out")"; fi
post 'garbage?kind=binary' >/dev/null
if wait_until 5 "grep -q '^event: binary 256 1' '$T/c2.err'"; then ok "garbage kind=binary"; else not_ok "garbage kind=binary"; fi
post 'garbage?kind=huge' >/dev/null
check_eq "garbage kind=huge: a 1 MiB text frame" 1048576 "$(ws_lines c2 11 | tr -d '\n' | wc -c)"
r=$(post 'garbage?kind=shape')
jcheck "garbage kind=shape: an envelope whose payload is not an object" "$(ws_lines c2 12)" \
	".envelope_id == $(jq .envelope_id <<<"$r") and .payload == \"this payload is not an object\""

msg='{"envelope_id":"frag-test","payload":{"n":1}}'
ws_send c2 "/frag 5 $msg"
wait_until 5 '[ "$(get acks | jq length)" = 3 ]'
jcheck "a client message in 5-byte fragments is reassembled" "$(get 'log?kind=ws_text' | jq '.[-1]')" \
	".json.envelope_id == \"frag-test\" and .frames == $(((${#msg} + 4) / 5)) and .json.payload.n == 1"
ws_send c2 '/ping are-you-there'
if wait_until 5 "grep -q '^event: pong are-you-there' '$T/c2.err'"; then ok "client ping gets a pong with the same payload"; else not_ok "client ping gets a pong"; fi
jcheck "  ... and is logged" "$(get 'log?kind=ws_ping')" '.[-1].payload == "are-you-there"'
ws_send c2 'not json at all'
wait_until 5 '[ "$(get "log?kind=ws_text" | jq ".[-1].text")" = "\"not json at all\"" ]'
jcheck "a non-JSON client message is logged as such" "$(get 'log?kind=ws_text' | jq '.[-1]')" '.invalid_json == true'

if wait_until 4 "grep -q '^event: ping fake-ping-' '$T/c1.err'"; then ok "the server pings every --ping-interval"; else not_ok "the server pings"; fi
wait_until 4 '[ "$(get state | jq .totals.pongs)" -ge 2 ]'
jcheck "client pongs are recorded" "$(get state)" '.totals.pongs >= 2 and .connections[0].pongs >= 1'
jcheck "POST /_control/pings?on=0" "$(post 'pings?on=0')" '.pings == false'
n1=$(get state | jq .totals.pings_sent)
sleep 2.2
n2=$(get state | jq .totals.pings_sent)
check_eq "  ... no pings while off" "$n1" "$n2"
post 'pings?on=1' >/dev/null

check_eq "disconnect needs a known reason" bad_param "$(post 'disconnect?reason=nap' | jq -r .error)"
jcheck "POST /_control/disconnect?reason=refresh_requested" "$(post 'disconnect?reason=refresh_requested&conn=oldest')" '.sent_to == 1'
jcheck "  ... c1 gets the disconnect frame" "$(ws_lines c1 3)" \
	'.type == "disconnect" and .reason == "refresh_requested" and (.debug_info.host | length > 0)'

# c3 breaks the protocol; c4 closes cleanly; c5..c7 are dropped.
ws_start c3
ws_send c3 '/unmasked hello'
ws_exit c3
check_eq "an unmasked client frame: the server closes (client exit 0 after a close frame)" 0 "$WS_RC"
check_eq "  ... with 1002" "event: close 1002 client frame not masked" "$(grep '^event: close' "$T/c3.err")"
jcheck "  ... logged" "$(get 'log?kind=ws_protocol_error')" '.[-1].code == 1002'
ws_start c4
ws_send c4 '/close 1000 bye'
ws_exit c4
check_eq "client close frame: echoed, then the server closes (exit 0)" 0 "$WS_RC"
check_eq "  ... the echo" "event: close 1000 " "$(grep '^event: close' "$T/c4.err")"
jcheck "  ... logged with code and reason" "$(get 'log?kind=ws_close_frame')" '.[-1].code == 1000 and .[-1].reason == "bye"'
ws_start c5
post drop >/dev/null
ws_exit c5
check_eq "POST /_control/drop: no close frame (client exit 3)" 3 "$WS_RC"
ws_start c6
post 'drop?midframe=1' >/dev/null
ws_exit c6
check_eq "POST /_control/drop?midframe=1: half a frame, then EOF (client exit 4)" 4 "$WS_RC"
grep -q '^event: eof midframe' "$T/c6.err" && ok "  ... the client saw a partial frame" || not_ok "  ... the client saw a partial frame" "$(cat "$T/c6.err")"
ws_start c7
post 'drop?reset=1' >/dev/null
ws_exit c7
check_eq "POST /_control/drop?reset=1 (client exit 3)" 3 "$WS_RC"
grep -q '^event: reset' "$T/c7.err" && ok "  ... seen as a reset" || not_ok "  ... seen as a reset" "$(cat "$T/c7.err")"
jcheck "disconnects are logged with how they ended" "$(get 'log?kind=ws_disconnect')" \
	'[.[] | .how] | index("protocol_error") != null and index("client_close") != null and index("server_drop") != null and index("server_drop_midframe") != null and index("server_reset") != null'

post 'disconnect?reason=warning&close_ms=200' >/dev/null
ws_exit c2
check_eq "disconnect with close_ms: frame, then a close handshake (c2 exit 0)" 0 "$WS_RC"
jcheck "  ... c2 got the warning first" "$(grep '"disconnect"' "$T/c2.out")" '.reason == "warning"'
wait_until 3 '[ "$(get state | jq .open)" = 1 ]'
check_eq "state after the closes: c1 is the only open connection" 1 "$(get state | jq .open)"
post 'close?conn=all' >/dev/null
ws_exit c1
check_eq "POST /_control/close: close handshake from the server (c1 exit 0)" 0 "$WS_RC"
wait_until 3 '[ "$(get state | jq .open)" = 0 ]'
check_eq "envelope with no connection" no_connection "$(post 'envelope?type=events_api' --data-binary "$mention" | jq -r .error)"

post 'echo?on=1' >/dev/null
ws_start c8
api chat.postMessage -H "$BOT" -d channel=C111 -d text=echoed >/dev/null
jcheck "echo on: the bot's own post comes back as a message event" "$(ws_lines c8 2)" \
	'.type == "events_api" and .payload.event.bot_id == "BBOT" and .payload.event.user == "UBOT" and .payload.event.text == "echoed" and (.payload.event_id | startswith("Ev"))'
ws_send c8 '/close 1000 done'
ws_exit c8

# ---- log ----

r=$(get 'log?since=0')
jcheck "GET /_control/log: every event, seq increasing" "$r" \
	'length > 50 and ([.[].seq] == ([.[].seq] | sort)) and .[0].kind == "start"'
jcheck "api events record method, auth kind, body and params" "$(get 'log?kind=api')" \
	'any(.[]; .method == "auth.test" and .auth == "bad") and any(.[]; .auth == "none") and any(.[]; .auth == "xapp") and any(.[]; .method == "chat.postMessage" and .auth == "xoxb" and .params.channel == "C111" and (.body | length > 0))'
last=$(jq '.[-1].seq' <<<"$r")
jcheck "log?since=N returns only later events" "$(get "log?since=$((last - 2))")" "[.[].seq] | min > $((last - 2))"
if jq -s -e "length >= $last and .[$((last - 1))].seq == $last" "$T/log.jsonl" >/dev/null 2>&1; then
	ok "--log file: one JSON line per event"
else
	not_ok "--log file: one JSON line per event" "$(tail -n 2 "$T/log.jsonl")"
fi

# ---- exit ----

"$FAKE" --port "$PORT" --max-seconds 2 2>"$T/fake4.err"
rc=$?
check_eq "a port in use: exit 1 with a message" "1 1" "$rc $(grep -c 'cannot listen' "$T/fake4.err")"

kill -TERM "$FAKE_PID"
if wait_until 5 "! kill -0 $FAKE_PID 2>/dev/null"; then
	wait "$FAKE_PID"
	check_eq "SIGTERM: clean exit 0" 0 "$?"
else
	not_ok "SIGTERM: clean exit 0" "still running"
fi
"$FAKE" --max-seconds 1 --port-file "$T/port2" 2>"$T/fake2.err" &
pid=$!
PIDS+=("$pid")
if wait_until 5 "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"
	check_eq "--max-seconds 1: exits by itself with 0" 0 "$?"
else
	not_ok "--max-seconds 1: exits by itself"
fi
check_eq "bad option: usage, exit 2" 2 "$("$FAKE" --port nope 2>/dev/null; echo $?)"
check_no_sanitizer "no sanitizer report or leaked handle (fake and clients)" 8 20

selftest_finish
