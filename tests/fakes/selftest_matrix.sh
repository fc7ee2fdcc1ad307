#!/usr/bin/env bash
# selftest_matrix.sh - tests the fake Matrix homeserver itself (tests/fakes/fake_matrix),
# not the daemon.
#
#   tests/fakes/selftest_matrix.sh [DIR]     DIR holds fake_matrix
#                                            (default: $FAKES_DIR, else build/tests)
#
# Starts the fake on an ephemeral port (bounded wait for --port-file), drives the
# client-server API and the control API with the curl CLI, malformed HTTP with bash's
# /dev/tcp, and checks the answers with jq (against tests/fixtures/matrix/ where a
# fixture exists). Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed".
# Exits non-zero if a check failed or the fake's stderr holds a sanitizer report.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-${FAKES_DIR:-$root/build/tests}}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
FAKE=$dir/fake_matrix
FIX=$root/tests/fixtures/matrix

for tool in curl jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || { echo "selftest_matrix: $tool is missing" >&2; exit 1; }
done
[ -x "$FAKE" ] || { echo "selftest_matrix: $FAKE is missing; make build/tests/fake_matrix" >&2; exit 1; }

SELFTEST_NAME=fake-matrix-selftest
NOT_OK_WIDTH=800
. "$here/selftest_lib.sh"

# jcheck NAME JSON [jq options...] JQ-EXPRESSION: passes when the expression is true for
# JSON (which must not be empty).
jcheck() {
	local name=$1 json=$2
	shift 2
	local expr=${*: -1}
	local opts=("${@:1:$#-1}")
	if [ -n "$json" ] && jq -e "${opts[@]}" "$expr" >/dev/null 2>&1 <<<"$json"; then
		ok "$name"
	else
		not_ok "$name" "jq: $expr" "json: $json"
	fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
enc() { jq -rn --arg v "$1" '$v | @uri'; }

# ---- start ----

start_fake --log "$T/log.jsonl" --max-seconds 180
CS=$B/_matrix/client/v3
TOK=syt_test_token
BOT=@bot:fake.local

# cs METHOD PATH [curl args...]: a client-server call with the pre-issued token (or $AUTH).
cs() { local m=$1 p=$2; shift 2; curl -s --max-time 10 -X "$m" -H "Authorization: Bearer ${AUTH:-$TOK}" "$@" "$CS/$p"; }
# csx: the same, printing "STATUS BODY".
csx() { local m=$1 p=$2; shift 2; curl -s --max-time 10 -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer ${AUTH:-$TOK}" "$@" "$CS/$p"; printf ' %s' "$(cat "$T/body")"; }
ctl() { local p=$1; shift; curl -s --max-time 10 -X POST "$@" "$B/_control/$p"; }
get() { curl -s --max-time 10 "$B/_control/$1"; }
code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
held_count() { get state | jq -r .held_count; }
# sync_bg FILE QUERY [TOKEN]: a /sync in the background; its pid in SYNC_PID.
sync_bg() {
	curl -s --max-time 20 -o "$1" -w '%{http_code}' -H "Authorization: Bearer ${3:-$TOK}" "$CS/sync?$2" >"$1.code" &
	SYNC_PID=$!
	PIDS+=("$SYNC_PID")
}
# raw FILE: sends FILE over a fresh TCP connection, prints the status line of the answer.
raw() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		cat "$2" >&3 2>/dev/null
		IFS= read -r line <&3; printf "%s\n" "$line"' _ "$PORT" "$1" | tr -d '\r'
}

# ---- discovery and login ----

jcheck "GET /_matrix/client/versions lists v1.11" "$(curl -s "$B/_matrix/client/versions")" \
	'(.versions | index("v1.11")) and (.unstable_features | type == "object")'
check_eq "GET /login = fixture login_flows.json" "$(jq -cS . "$FIX/login_flows.json")" \
	"$(curl -s "$CS/login" | jq -cS .)"
login_body() { # USER PASSWORD [DEVICE]: the fixture request with our values
	jq -c --arg u "$1" --arg p "$2" --arg d "${3:-}" \
		'.identifier.user = $u | .password = $p | if $d != "" then .device_id = $d else . end' \
		"$FIX/login_request_password.json"
}
r=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret DEV1)")
jcheck "POST /login (fixture shape) answers the fixture's keys" "$r" \
	--argjson fx "$(cat "$FIX/login_response.json")" \
	'(keys == ($fx | keys)) and .user_id == "@bot:fake.local" and .device_id == "DEV1" and (.access_token | startswith("syt_")) and .home_server == "fake.local"'
T1=$(jq -r .access_token <<<"$r")
r=$(curl -s -X POST "$CS/login" -d "$(login_body "$BOT" secret DEV1)")
T2=$(jq -r .access_token <<<"$r")
jcheck "re-login with the same device_id keeps the device, fresh token" "$r" \
	--arg t1 "$T1" '.device_id == "DEV1" and .access_token != $t1'
check_eq "both tokens of DEV1 work (whoami)" "DEV1 DEV1" \
	"$(AUTH=$T1 cs GET account/whoami | jq -r .device_id) $(AUTH=$T2 cs GET account/whoami | jq -r .device_id)"
r=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret)")
jcheck "login without device_id makes a new device (10 capitals)" "$r" '.device_id | test("^[A-Z]{10}$")'
check_eq "wrong password: 403 M_FORBIDDEN" "403 M_FORBIDDEN" \
	"$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$CS/login" -d "$(login_body bot nope)") $(jq -r .errcode "$T/b")"
check_eq "m.login.token: 403 M_FORBIDDEN" "403 M_FORBIDDEN" \
	"$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$CS/login" -d '{"type":"m.login.token","token":"x"}') $(jq -r .errcode "$T/b")"
check_eq "login body not JSON: 400 M_NOT_JSON" "400 M_NOT_JSON" \
	"$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$CS/login" -d '{"type":') $(jq -r .errcode "$T/b")"
check_eq "login without identifier: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(curl -s -o "$T/b" -w '%{http_code}' -X POST "$CS/login" -d '{"type":"m.login.password","user":"bot","password":"secret"}') $(jq -r .errcode "$T/b")"

# ---- auth ----

r=$(cs GET account/whoami)
jcheck "whoami with --token: fixture keys, FAKEDEVICE" "$r" --argjson fx "$(cat "$FIX/whoami_response.json")" \
	'(keys == ($fx | keys)) and .user_id == "@bot:fake.local" and .device_id == "FAKEDEVICE" and .is_guest == false'
check_eq "no token: 401 M_MISSING_TOKEN" "401 M_MISSING_TOKEN" \
	"$(curl -s -o "$T/b" -w '%{http_code}' "$CS/account/whoami") $(jq -r .errcode "$T/b")"
check_eq "access_token query parameter is refused (401 M_MISSING_TOKEN)" "401 M_MISSING_TOKEN" \
	"$(curl -s -o "$T/b" -w '%{http_code}' "$CS/account/whoami?access_token=$TOK") $(jq -r .errcode "$T/b")"
jcheck "the log marks it query_param_refused" "$(get 'log?kind=api' | jq -c '[.[] | select(.auth == "query_param_refused")]')" \
	'length == 1 and .[0].auth_ok == false and .[0].status == 401'
r=$(AUTH=syt_nope csx GET account/whoami)
check_eq "unknown token: 401 = fixture error_m_unknown_token.json (no soft_logout)" \
	"401 $(jq -cS . "$FIX/error_m_unknown_token.json")" "${r%% *} $(jq -cS . <<<"${r#* }")"
check_eq "Basic auth header: 401 M_MISSING_TOKEN" "401 M_MISSING_TOKEN" \
	"$(curl -s -o "$T/b" -w '%{http_code}' -H 'Authorization: Basic eDp5' "$CS/account/whoami") $(jq -r .errcode "$T/b")"

# ---- filter ----

r=$(cs POST "user/$(enc "$BOT")/filter" --data-binary @"$FIX/filter_request_example.json")
jcheck "POST /user/{userId}/filter (fixture) -> filter_id string" "$r" '.filter_id | type == "string"'
FID=$(jq -r .filter_id <<<"$r")
check_eq "GET the filter back" "$(jq -cS . "$FIX/filter_request_example.json")" \
	"$(cs GET "user/$(enc "$BOT")/filter/$FID" | jq -cS .)"
check_eq "filter for another user: 403 M_FORBIDDEN" "403 M_FORBIDDEN" \
	"$(csx POST "user/$(enc @alice:fake.local)/filter" -d '{}' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "filter with timeline.limit 0: 400 M_BAD_JSON" "400 M_BAD_JSON" \
	"$(csx POST "user/$(enc "$BOT")/filter" -d '{"room":{"timeline":{"limit":0}}}' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "sync with an unknown filter id: 404 M_NOT_FOUND" "404 M_NOT_FOUND" \
	"$(csx GET 'sync?filter=999' | awk '{print $1}') $(jq -r .errcode "$T/body")"
FILTER=$(cs POST "user/$(enc "$BOT")/filter" -d '{"room":{"timeline":{"limit":50},"state":{"lazy_load_members":true}},"presence":{"not_types":["*"]}}' | jq -r .filter_id)

# ---- first sync, invites, join ----

t0=$(now_ms)
r=$(cs GET "sync?timeout=5000&filter=$FILTER")
dt=$(($(now_ms) - t0))
jcheck "first sync (no since) answers at once, empty, next_batch" "$r" \
	'(.next_batch | test("^s[0-9]+_[0-9]+$")) and (has("rooms") | not)'
[ "$dt" -lt 2000 ] && ok "first sync did not wait ($dt ms)" || not_ok "first sync did not wait" "$dt ms"
NB=$(jq -r .next_batch <<<"$r")

r=$(ctl room -d '{"members":["@alice:fake.local","@bob:fake.local"],"name":"Workshop","alias":"#ws:fake.local","power_levels":{"users":{"@alice:fake.local":100,"@bob:fake.local":50}}}')
jcheck "control: create a room (v10 by default)" "$r" '.ok and (.room_id | test("^![A-Za-z]{18}:fake.local$")) and .room_version == "10"'
ROOM=$(jq -r .room_id <<<"$r")
ER=$(enc "$ROOM")

sync_bg "$T/s1" "since=$NB&timeout=10000&filter=$FILTER"
wait_until 5 '[ "$(held_count)" = 1 ]' && ok "a sync with since and nothing new is held" || not_ok "a sync is held" "$(get state | jq -c .held)"
t0=$(now_ms)
r=$(ctl "invite?room=$ER&sender=$(enc @alice:fake.local)")
jcheck "control: invite the bot" "$r" '.ok and (.event_id | startswith("$"))'
wait_until 5 "! kill -0 $SYNC_PID 2>/dev/null"
dt=$(($(now_ms) - t0))
r=$(cat "$T/s1")
[ "$dt" -lt 3000 ] && ok "the held sync answered on the invite ($dt ms)" || not_ok "held sync answered on the invite" "$dt ms"
jcheck "invite: rooms.invite.<id>.invite_state like sync_invite.json" "$r" --arg r "$ROOM" \
	--argjson fx "$(cat "$FIX/sync_invite.json")" \
	'(.rooms.invite[$r].invite_state.events | all(keys == ["content","sender","state_key","type"])) and
	 (.rooms.invite[$r].invite_state.events[-1] == {"type":"m.room.member","state_key":"@bot:fake.local","sender":"@alice:fake.local","content":{"membership":"invite"}}) and
	 (.rooms.invite[$r].invite_state.events | any(.type == "m.room.name" and .content.name == "Workshop")) and
	 ((.rooms.invite[$r] | keys) == ($fx.rooms.invite[] | keys)) and (.rooms | has("join") | not)'
NB2=$(jq -r .next_batch <<<"$r")
[ "$NB2" != "$NB" ] && ok "next_batch moved on ($NB -> $NB2)" || not_ok "next_batch moved on" "$NB2"

r=$(csx PUT "rooms/$ER/send/m.room.message/early" -d '{"msgtype":"m.text","body":"x"}')
check_eq "send before joining: 403 M_FORBIDDEN" "403 M_FORBIDDEN" "${r%% *} $(jq -r .errcode <<<"${r#* }")"
r=$(cs POST "rooms/$ER/join" -d '{}')
check_eq "POST /rooms/{roomId}/join (percent-encoded id)" "$ROOM" "$(jq -r .room_id <<<"$r")"
r=$(cs GET "sync?since=$NB2&timeout=5000&filter=$FILTER")
jcheck "after the join: rooms.join with state, timeline, summary (newly joined: full)" "$r" --arg r "$ROOM" \
	'.rooms.join[$r] as $j | ($j.timeline.events | length) >= 8 and ($j.timeline.events[-1] | .type == "m.room.member" and .state_key == "@bot:fake.local" and .content.membership == "join") and
	 $j.summary["m.joined_member_count"] == 3 and ($j.summary["m.heroes"] | index("@alice:fake.local")) and
	 ($j.timeline.events | all(has("event_id") and has("origin_server_ts") and has("sender") and (has("room_id") | not) and (.unsigned.age >= 0))) and
	 ($j | has("ephemeral") and has("account_data") and has("unread_notifications")) and ($j.timeline.prev_batch | startswith("t"))'
NB3=$(jq -r .next_batch <<<"$r")
r=$(cs GET "sync?since=$NB3&timeout=0")
jcheck "since=next_batch: nothing old is repeated" "$r" 'has("rooms") | not'
check_eq "a since token the server never issued: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(csx GET 'sync?since=s999999_1&timeout=0' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "timeout not a number: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(csx GET 'sync?timeout=abc' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "POST /join/{alias} while joined: 200 room_id" "$ROOM" "$(cs POST "join/$(enc '#ws:fake.local')" | jq -r .room_id)"
check_eq "join an unknown room: 404 M_NOT_FOUND" "404 M_NOT_FOUND" \
	"$(csx POST "rooms/$(enc '!nope:fake.local')/join" | awk '{print $1}') $(jq -r .errcode "$T/body")"

# an invite the bot cannot take at once (matrix-org/synapse#4345): join_fails
R2=$(ctl room -d '{"members":["@alice:fake.local"],"invite_bot":true,"room_version":"11"}' | jq -r .room_id)
ER2=$(enc "$R2")
jcheck "control: join_fails" "$(ctl "join_fails?room=$ER2&count=2")" '.ok'
c1=$(csx POST "rooms/$ER2/join" | awk '{print $1}')
e1=$(jq -r .errcode "$T/body")
c2=$(csx POST "rooms/$ER2/join" | awk '{print $1}')
c3=$(csx POST "rooms/$ER2/join" | awk '{print $1}')
check_eq "join_fails count=2: 403 M_FORBIDDEN twice, then the join works" "403 M_FORBIDDEN 403 200" "$c1 $e1 $c2 $c3"
jcheck "control: join_fails errcode=M_UNKNOWN status=404" "$(ctl "join_fails?room=$ER2&count=1&errcode=M_UNKNOWN&status=404")" '.ok'
check_eq "... answers 404 M_UNKNOWN" "404 M_UNKNOWN" \
	"$(csx POST "rooms/$ER2/join" | awk '{print $1}') $(jq -r .errcode "$T/body")"
NB=$(cs GET "sync?since=$NB3&timeout=0" | jq -r .next_batch)

# ---- long poll ----

sync_bg "$T/s2" "since=$NB&timeout=10000"
wait_until 5 '[ "$(held_count)" = 1 ]' || not_ok "sync held before the event" "$(get state | jq -c .held)"
t0=$(now_ms)
r=$(ctl "event?room=$ER" -d '{"type":"m.room.message","sender":"@alice:fake.local","content":{"msgtype":"m.text","body":"hello <b>bot</b> @room"}}')
EV_HELLO=$(jq -r .event_id <<<"$r")
wait_until 5 "! kill -0 $SYNC_PID 2>/dev/null"
dt=$(($(now_ms) - t0))
[ "$dt" -lt 3000 ] && ok "a held sync answers when an event is posted ($dt ms)" || not_ok "held sync answers on an event" "$dt ms"
r=$(cat "$T/s2")
jcheck "... with exactly that event, limited false" "$r" --arg r "$ROOM" --arg e "$EV_HELLO" \
	'.rooms.join[$r].timeline as $t | ($t.events | length) == 1 and $t.events[0].event_id == $e and $t.events[0].content.body == "hello <b>bot</b> @room" and $t.limited == false and (.rooms.join[$r].state.events == [])'
NB=$(jq -r .next_batch <<<"$r")

t0=$(now_ms)
r=$(cs GET "sync?since=$NB&timeout=1000")
dt=$(($(now_ms) - t0))
jcheck "a held sync with nothing new times out with an empty batch" "$r" --arg nb "$NB" \
	'(has("rooms") | not) and .next_batch != $nb and (.next_batch | startswith("s"))'
[ "$dt" -ge 900 ] && [ "$dt" -lt 3000 ] && ok "... after the timeout ($dt ms for timeout=1000)" || not_ok "held for timeout" "$dt ms"
NB=$(jq -r .next_batch <<<"$r")

r=$(cs GET "sync?filter=$FILTER")
jcheck "a first sync (no since) returns the joined room's state + recent timeline, state not repeated in the timeline" "$r" --arg r "$ROOM" \
	'.rooms.join[$r] as $j | ([$j.state.events[].event_id] - [$j.timeline.events[].event_id]) == [$j.state.events[].event_id] and ($j.timeline.events | length) >= 1 and ($j.state.events | all(has("state_key")))'
r=$(cs GET "sync?timeout=0&filter=$(enc '{"room":{"timeline":{"limit":3}}}')")
jcheck "inline JSON filter: timeline.limit 3 -> 3 events, limited, state before them" "$r" --arg r "$ROOM" \
	'.rooms.join[$r] as $j | ($j.timeline.events | length) == 3 and $j.timeline.limited == true and ($j.state.events | any(.type == "m.room.create"))'
r=$(cs GET "sync?timeout=0&filter=$(enc '{"room":{"timeline":{"types":["m.room.message"]}}}')")
jcheck "filter timeline.types keeps only those types" "$r" --arg r "$ROOM" \
	'[.rooms.join[$r].timeline.events[].type] | unique == ["m.room.message"]'

# ---- send: txnId idempotency ----

r1=$(cs PUT "rooms/$ER/send/m.room.message/txn-1" -d '{"msgtype":"m.notice","body":"Question 1"}')
r2=$(cs PUT "rooms/$ER/send/m.room.message/txn-1" -d '{"msgtype":"m.notice","body":"Question 1"}')
jcheck "send answers like fixture send_event_response.json" "$r1" \
	--argjson fx "$(cat "$FIX/send_event_response.json")" '(keys == ($fx | keys)) and (.event_id | startswith("$"))'
check_eq "the same txnId twice: the original event_id" "$(jq -r .event_id <<<"$r1")" "$(jq -r .event_id <<<"$r2")"
Q1=$(jq -r .event_id <<<"$r1")
r=$(get "sent?room=$ER")
jcheck "/_control/sent: one transaction, received 2, applied once (applied, replayed)" "$r" \
	'[.[] | select(.txn_id == "txn-1")] as $t | ($t | length) == 1 and $t[0].received == 2 and $t[0].applied and $t[0].device_id == "FAKEDEVICE" and ([$t[0].calls[].outcome] == ["applied","replayed"]) and $t[0].content.body == "Question 1"'
check_eq "the timeline holds it once" 1 \
	"$(get "timeline?room=$ER" | jq '[.events[] | select(.content.body == "Question 1")] | length')"
r3=$(cs PUT "rooms/$ER/send/m.room.message/txn-2" -d '{"msgtype":"m.notice","body":"Question 2"}')
[ "$(jq -r .event_id <<<"$r3")" != "$Q1" ] && ok "a new txnId posts a new event" || not_ok "new txnId new event" "$r3"
r4=$(AUTH=$T1 cs PUT "rooms/$ER/send/m.room.message/txn-1" -d '{"msgtype":"m.notice","body":"other device"}')
[ "$(jq -r .event_id <<<"$r4")" != "$Q1" ] && ok "the same txnId from another device is another transaction" || not_ok "txn scope is per device" "$r4"
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "our echo carries unsigned.transaction_id for the sending device only" "$r" --arg r "$ROOM" --arg q "$Q1" \
	'[.rooms.join[$r].timeline.events[] | select(.sender == "@bot:fake.local")] as $e | ($e | length) == 3 and ($e[] | select(.event_id == $q) | .unsigned.transaction_id) == "txn-1" and ($e[2].unsigned | has("transaction_id") | not)'
NB=$(jq -r .next_batch <<<"$r")
check_eq "send with an empty txnId: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(csx PUT "rooms/$ER/send/m.room.message/" -d '{"body":"x"}' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "send body not JSON: 400 M_NOT_JSON" "400 M_NOT_JSON" \
	"$(csx PUT "rooms/$ER/send/m.room.message/bad-1" -d '{"body":' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "send body a JSON array: 400 M_BAD_JSON" "400 M_BAD_JSON" \
	"$(csx PUT "rooms/$ER/send/m.room.message/bad-2" -d '[1]' | awk '{print $1}') $(jq -r .errcode "$T/body")"
head -c 70000 /dev/zero | tr '\0' 'a' | jq -Rc '{msgtype:"m.text",body:.}' >"$T/big.json"
check_eq "an event over 64 KiB: 413 M_TOO_LARGE" "413 M_TOO_LARGE" \
	"$(csx PUT "rooms/$ER/send/m.room.message/big-1" --data-binary @"$T/big.json" | awk '{print $1}') $(jq -r .errcode "$T/body")"
r=$(ctl room -d '{"members":["@alice:fake.local","@bot:fake.local"],"power_levels":{"events_default":50}}')
RPL=$(jq -r .room_id <<<"$r")
check_eq "power levels: events_default 50 > the bot's 0: 403 M_FORBIDDEN" "403 M_FORBIDDEN" \
	"$(csx PUT "rooms/$(enc "$RPL")/send/m.room.message/pl-1" -d '{"msgtype":"m.text","body":"x"}' | awk '{print $1}') $(jq -r .errcode "$T/body")"

# ---- relations ----

r=$(ctl "event?room=$ER" -d "{\"type\":\"m.room.message\",\"sender\":\"@bob:fake.local\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"answer in thread\",\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$Q1\",\"is_falling_back\":true,\"m.in_reply_to\":{\"event_id\":\"$Q1\"}}}}")
TH=$(jq -r .event_id <<<"$r")
jcheck "control: a thread reply (m.thread)" "$r" '.ok'
check_eq "a thread rooted at an event with a relation: 400 M_UNKNOWN" 400 \
	"$(code_of -X POST "$B/_control/event?room=$ER" -d "{\"type\":\"m.room.message\",\"sender\":\"@bob:fake.local\",\"content\":{\"body\":\"x\",\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$TH\"}}}")"
r=$(ctl "event?room=$ER" -d "{\"type\":\"m.room.message\",\"sender\":\"@alice:fake.local\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"> <@bot:fake.local> Question 1\\n\\nrich answer\",\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$Q1\"}}}}")
RICH=$(jq -r .event_id <<<"$r")
jcheck "control: a rich reply (m.in_reply_to)" "$r" '.ok'
r=$(ctl "event?room=$ER" -d "{\"type\":\"m.room.message\",\"sender\":\"@alice:fake.local\",\"content\":{\"msgtype\":\"m.text\",\"body\":\"* rich answer, edited\",\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"rich answer, edited\"},\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$RICH\"}}}")
EDIT=$(jq -r .event_id <<<"$r")
jcheck "control: an edit (m.replace + m.new_content)" "$r" '.ok'
r=$(cs GET "rooms/$ER/event/$(enc "$RICH")")
jcheck "the original bundles the edit in unsigned[m.relations][m.replace]" "$r" --arg e "$EDIT" \
	'.unsigned["m.relations"]["m.replace"].event_id == $e and .content.body != "* rich answer, edited"'
ctl "event?room=$ER" -d "{\"type\":\"m.room.message\",\"sender\":\"@bob:fake.local\",\"content\":{\"body\":\"* not bob's\",\"m.new_content\":{\"body\":\"hijack\"},\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$RICH\"}}}" >/dev/null
check_eq "an edit by another sender is stored but not bundled" "$EDIT" \
	"$(cs GET "rooms/$ER/event/$(enc "$RICH")" | jq -r '.unsigned["m.relations"]["m.replace"].event_id')"
REACT="{\"type\":\"m.reaction\",\"sender\":\"@bob:fake.local\",\"content\":{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$Q1\",\"key\":\"1️⃣\"}}}"
r=$(ctl "event?room=$ER" -d "$REACT")
REACT_ID=$(jq -r .event_id <<<"$r")
jcheck "control: a reaction (m.annotation)" "$r" '.ok'
r=$(curl -s -X POST "$B/_control/event?room=$ER" -d "$REACT")
jcheck "the same reaction twice: M_DUPLICATE_ANNOTATION" "$r" '.ok == false and .error == "M_DUPLICATE_ANNOTATION"'
r=$(cs PUT "rooms/$ER/send/m.reaction/react-1" -d "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$Q1\",\"key\":\"👍\"}}")
r2=$(csx PUT "rooms/$ER/send/m.reaction/react-2" -d "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$Q1\",\"key\":\"👍\"}}")
check_eq "the bot's duplicate annotation: 400 M_DUPLICATE_ANNOTATION" "400 M_DUPLICATE_ANNOTATION" "${r2%% *} $(jq -r .errcode <<<"${r2#* }")"
check_eq "control: a sender not in the room is refused" "sender_not_joined" \
	"$(curl -s -X POST "$B/_control/event?room=$ER" -d '{"type":"m.room.message","sender":"@zed:fake.local","content":{"body":"x"}}' | jq -r .error)"
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "sync delivers the relations as sent" "$r" --arg r "$ROOM" --arg th "$TH" --arg rich "$RICH" --arg e "$EDIT" --arg re "$REACT_ID" \
	'[.rooms.join[$r].timeline.events[] | {id: .event_id, rel: .content["m.relates_to"]}] as $x |
	 ($x | any(.id == $th and .rel.rel_type == "m.thread")) and ($x | any(.id == $rich and .rel["m.in_reply_to"] != null and .rel.rel_type == null)) and
	 ($x | any(.id == $e and .rel.rel_type == "m.replace")) and ($x | any(.id == $re and .rel.rel_type == "m.annotation"))'
NB=$(jq -r .next_batch <<<"$r")

# ---- redactions ----

r=$(ctl "event?room=$ER" -d "{\"type\":\"m.room.redaction\",\"sender\":\"@bob:fake.local\",\"redacts\":\"$TH\",\"content\":{\"reason\":\"withdrawn\"}}")
RED=$(jq -r .event_id <<<"$r")
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "room v10: the redaction has a top-level redacts, not content.redacts" "$r" --arg r "$ROOM" --arg t "$TH" \
	'.rooms.join[$r].timeline.events[-1] | .type == "m.room.redaction" and .redacts == $t and (.content | has("redacts") | not) and .content.reason == "withdrawn"'
NB=$(jq -r .next_batch <<<"$r")
jcheck "the target is redacted (content emptied, unsigned.redacted_because)" "$(cs GET "rooms/$ER/event/$(enc "$TH")")" --arg red "$RED" \
	'.content == {} and .unsigned.redacted_because.event_id == $red'
M2=$(ctl "event?room=$ER2" -d '{"type":"m.room.message","sender":"@alice:fake.local","content":{"msgtype":"m.text","body":"v11 message"}}' | jq -r .event_id)
ctl "event?room=$ER2" -d "{\"type\":\"m.room.redaction\",\"sender\":\"@alice:fake.local\",\"redacts\":\"$M2\"}" >/dev/null
r=$(get "timeline?room=$ER2")
jcheck "room v11: content.redacts, no top-level redacts (normalised from the control body)" "$r" --arg m "$M2" \
	'.events[-1] | .type == "m.room.redaction" and .content.redacts == $m and (has("redacts") | not)'
r=$(csx PUT "rooms/$ER/redact/$(enc "$REACT_ID")/red-0" -d '{}')
check_eq "the bot redacting bob's event with power 0 < redact 50: 403 M_FORBIDDEN" "403 M_FORBIDDEN" \
	"${r%% *} $(jq -r .errcode <<<"${r#* }")"
Q2=$(jq -r .event_id <<<"$r3")
r1=$(cs PUT "rooms/$ER/redact/$(enc "$Q2")/red-1" -d '{"reason":"oops"}')
r2=$(cs PUT "rooms/$ER/redact/$(enc "$Q2")/red-1" -d '{"reason":"oops"}')
jcheck "PUT /redact/{eventId}/{txnId} of its own event (\$ percent-encoded) -> event_id" "$r1" '.event_id | startswith("$")'
check_eq "redact with the same txnId twice: the same event_id" "$(jq -r .event_id <<<"$r1")" "$(jq -r .event_id <<<"$r2")"
jcheck "the bot's redaction applied: content emptied" "$(cs GET "rooms/$ER/event/$(enc "$Q2")")" \
	--arg red "$(jq -r .event_id <<<"$r1")" '.content == {} and .unsigned.redacted_because.event_id == $red and .unsigned.redacted_because.content.reason == "oops"'
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "the bot's own redaction comes back once with transaction_id" "$r" --arg r "$ROOM" \
	'[.rooms.join[$r].timeline.events[] | select(.type == "m.room.redaction" and .sender == "@bot:fake.local")] | length == 1 and .[0].unsigned.transaction_id == "red-1"'
NB=$(jq -r .next_batch <<<"$r")

# ---- /messages ----

ctl room -d '{"room_id":"!pages:fake.local","members":["@alice:fake.local","@bot:fake.local"]}' >/dev/null
EP=$(enc '!pages:fake.local')
jq -nc '[range(1; 26) | {type:"m.room.message", sender:"@alice:fake.local", content:{msgtype:"m.text", body:"m\(.)"}}]' >"$T/batch.json"
r=$(ctl "event?room=$EP" --data-binary @"$T/batch.json")
jcheck "control: a batch of 25 events in one call" "$r" '.ok and (.event_ids | length) == 25'
bodies=""
from=""
pages=0
while :; do
	r=$(cs GET "rooms/$EP/messages?dir=b&limit=10${from:+&from=$from}&filter=$(enc '{"types":["m.room.message"]}')")
	bodies="$bodies $(jq -r '[.chunk[].content.body] | join(" ")' <<<"$r")"
	pages=$((pages + 1))
	from=$(jq -r '.end // empty' <<<"$r")
	[ -z "$from" ] || [ "$pages" -ge 10 ] && break
done
check_eq "/messages dir=b: 3 pages of <=10 back to the start, newest first" "3 $(seq -s' ' 25 -1 1 | sed 's/\([0-9]*\)/m\1/g')" \
	"$pages $(tr -s ' ' <<<"$bodies" | sed 's/^ //; s/ $//')"
r=$(cs GET "rooms/$EP/messages?dir=f&from=t0&limit=5")
jcheck "/messages dir=f from=t0: oldest first (room creation), room_id on events" "$r" \
	'(.chunk | length) == 5 and .chunk[0].type == "m.room.create" and (.chunk[0].room_id == "!pages:fake.local") and (.end | startswith("t"))'
check_eq "/messages without dir: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(csx GET "rooms/$EP/messages?limit=1" | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "/messages of a room the bot is not in: 403" 403 "$(csx GET "rooms/$(enc "$RPL")x/messages?dir=b" | awk '{print $1}')"

# ---- limited timelines ----

NB=$(cs GET "sync?since=$NB&timeout=0" | jq -r .next_batch)
jcheck "control: limited?room&count=2" "$(ctl "limited?room=$ER&count=2")" '.ok'
jq -nc '[range(1; 6) | {type:"m.room.message", sender:"@bob:fake.local", content:{msgtype:"m.text", body:"burst \(.)"}}]' >"$T/burst.json"
ctl "event?room=$ER" --data-binary @"$T/burst.json" >/dev/null
r=$(cs GET "sync?since=$NB&timeout=5000")
jcheck "limited: only the newest 2, limited:true, prev_batch" "$r" --arg r "$ROOM" \
	'.rooms.join[$r].timeline as $t | [$t.events[].content.body] == ["burst 4","burst 5"] and $t.limited == true and ($t.prev_batch | startswith("t"))'
PREV=$(jq -r --arg r "$ROOM" '.rooms.join[$r].timeline.prev_batch' <<<"$r")
r2=$(cs GET "rooms/$ER/messages?dir=b&from=$PREV&to=$NB&limit=50")
check_eq "/messages from=prev_batch to=since fills the gap exactly" "burst 3,burst 2,burst 1" \
	"$(jq -r '[.chunk[].content.body] | join(",")' <<<"$r2")"
NB=$(jq -r .next_batch <<<"$r")
jq -nc '[range(1; 13) | {type:"m.room.message", sender:"@bob:fake.local", content:{msgtype:"m.text", body:"many \(.)"}}]' >"$T/many.json"
ctl "event?room=$ER" --data-binary @"$T/many.json" >/dev/null
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "without a filter limit, 12 new events -> the newest 10, limited (like Synapse)" "$r" --arg r "$ROOM" \
	'.rooms.join[$r].timeline | (.events | length) == 10 and .limited == true and .events[0].content.body == "many 3"'
NB=$(jq -r .next_batch <<<"$r")

# ---- rate limits and server errors ----

jcheck "control: fail path=send status=429 retry_after_ms=700" "$(ctl 'fail?path=send&status=429&retry_after_ms=700')" '.ok'
curl -s -D "$T/h" -o "$T/b" --max-time 10 -X PUT -H "Authorization: Bearer $TOK" "$CS/rooms/$ER/send/m.room.message/rl-1" -d '{"msgtype":"m.notice","body":"rl"}'
check_eq "429: HTTP status and Retry-After header" "429 1" \
	"$(awk 'NR==1 {print $2}' "$T/h") $(tr -d '\r' <"$T/h" | awk -F': ' 'tolower($1) == "retry-after" {print $2}')"
jcheck "429 body like fixture error_m_limit_exceeded.json, retry_after_ms 700" "$(cat "$T/b")" \
	--argjson fx "$(cat "$FIX/error_m_limit_exceeded.json")" 'keys == ($fx | keys) and .errcode == "M_LIMIT_EXCEEDED" and .retry_after_ms == 700'
r=$(cs PUT "rooms/$ER/send/m.room.message/rl-1" -d '{"msgtype":"m.notice","body":"rl"}')
jcheck "the retry with the same txnId goes through" "$r" '.event_id | startswith("$")'
jcheck "/_control/sent counts both calls, applied once" "$(get "sent?room=$ER")" \
	'[.[] | select(.txn_id == "rl-1")][0] | .received == 2 and ([.calls[] | [.status, .rule]] == [[429, "fail"], [200, null]])'
ctl 'fail?path=sync&status=500&count=1' >/dev/null
check_eq "fail path=sync status=500: 500 M_UNKNOWN, then normal" "500 M_UNKNOWN 200" \
	"$(csx GET "sync?since=$NB&timeout=0" | awk '{print $1}') $(jq -r .errcode "$T/body") $(csx GET "sync?since=$NB&timeout=0" | awk '{print $1}')"
ctl 'fail?path=sync&status=503&count=1&errcode=M_UNKNOWN&error=overloaded&retry_after_ms=2000' >/dev/null
check_eq "fail with errcode/error/retry_after_ms on a 503" "503 overloaded 2000" \
	"$(csx GET "sync?since=$NB&timeout=0" | awk '{print $1}') $(jq -r '.error + " " + (.retry_after_ms | tostring)' "$T/body")"
jcheck "control: ratelimit path=send burst=2 interval_ms=60000" "$(ctl 'ratelimit?path=send&burst=2&interval_ms=60000')" '.ok'
c=""
for i in 1 2 3; do c="$c $(csx PUT "rooms/$ER/send/m.room.message/bucket-$i" -d '{"msgtype":"m.notice","body":"b"}' | awk '{print $1}')"; done
check_eq "token bucket: 2 sends pass, the 3rd gets 429" " 200 200 429" "$c"
jcheck "... with retry_after_ms until the next token" "$(cat "$T/body")" '.errcode == "M_LIMIT_EXCEEDED" and .retry_after_ms > 50000'
ctl 'ratelimit?path=send&burst=0' >/dev/null

# ---- logout: 401 with and without soft_logout ----

r=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret SOFTDEV)")
TS=$(jq -r .access_token <<<"$r")
e1=$(AUTH=$TS cs PUT "rooms/$ER/send/m.room.message/soft-1" -d '{"msgtype":"m.notice","body":"before soft logout"}' | jq -r .event_id)
NB=$(cs GET "sync?since=$NB&timeout=0" | jq -r .next_batch)
sync_bg "$T/s3" "since=$NB&timeout=15000" "$TS"
wait_until 5 '[ "$(held_count)" = 1 ]' || not_ok "sync held before logout" "$(get state | jq -c .held)"
jcheck "control: logout?soft=1&token=T" "$(ctl "logout?soft=1&token=$TS")" '.ok and .invalidated == 1'
wait_until 5 "! kill -0 $SYNC_PID 2>/dev/null"
check_eq "the held sync of that token gets 401 at once" 401 "$(cat "$T/s3.code")"
jcheck "... M_UNKNOWN_TOKEN with soft_logout true" "$(cat "$T/s3")" '.errcode == "M_UNKNOWN_TOKEN" and .soft_logout == true'
r=$(AUTH=$TS csx GET account/whoami)
jcheck "soft logout: 401 M_UNKNOWN_TOKEN soft_logout:true" "${r#* }" '.errcode == "M_UNKNOWN_TOKEN" and .soft_logout == true'
r=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret SOFTDEV)")
TS2=$(jq -r .access_token <<<"$r")
e2=$(AUTH=$TS2 cs PUT "rooms/$ER/send/m.room.message/soft-1" -d '{"msgtype":"m.notice","body":"before soft logout"}' | jq -r .event_id)
check_eq "after a soft logout, re-login with the same device keeps the txn scope (retry = same event)" "$e1" "$e2"
ctl "logout?soft=0&token=$TS2" >/dev/null
r=$(AUTH=$TS2 csx GET account/whoami)
jcheck "hard logout: 401 M_UNKNOWN_TOKEN without soft_logout" "${r#* }" '.errcode == "M_UNKNOWN_TOKEN" and (has("soft_logout") | not)'
TS3=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret SOFTDEV)" | jq -r .access_token)
e3=$(AUTH=$TS3 cs PUT "rooms/$ER/send/m.room.message/soft-1" -d '{"msgtype":"m.notice","body":"before soft logout"}' | jq -r .event_id)
[ -n "$e3" ] && [ "$e3" != "$e1" ] && ok "after a hard logout the device is new: the same txnId posts again" || not_ok "hard logout resets txn scope" "$e1 $e3"
jcheck "/_control/state lists tokens and devices" "$(get state)" --arg t "$TS" \
	'(.access_tokens | any(.token == $t and .valid == false and .soft_logout == true)) and .devices.SOFTDEV.generation == 2 and .devices.FAKEDEVICE.deleted == false'
T4=$(curl -s -X POST "$CS/login" -d "$(login_body bot secret OWNLOGOUT)" | jq -r .access_token)
check_eq "POST /logout (the client's own) -> {} then 401" "{} 401" "$(AUTH=$T4 cs POST logout) $(AUTH=$T4 csx GET account/whoami | awk '{print $1}')"
NB=$(cs GET "sync?since=$NB&timeout=0" | jq -r .next_batch)

# ---- garbage, stall, drop ----

for kind in text html truncated empty; do
	ctl "garbage?path=sync&kind=$kind" >/dev/null
	r=$(csx GET "sync?since=$NB&timeout=0")
	if [ "${r%% *}" = 200 ] && ! { [ -n "${r#* }" ] && jq -e 'type == "object"' >/dev/null 2>&1 <<<"${r#* }"; }; then
		ok "garbage kind=$kind: a 200 whose body is not a JSON object"
	else
		not_ok "garbage kind=$kind" "$r"
	fi
done
ctl "garbage?path=sync&kind=wrongtype" >/dev/null
jcheck "garbage kind=wrongtype: next_batch a number, rooms an array" "$(cs GET "sync?since=$NB&timeout=0")" \
	'(.next_batch | type) == "number" and (.rooms | type) == "array"'
ctl "garbage?path=sync&kind=huge" >/dev/null
check_eq "garbage kind=huge: 1 MiB + 100 bytes" 1048676 "$(cs GET "sync?since=$NB&timeout=0" | wc -c)"
ctl "drop?path=sync&cut=1" >/dev/null
curl -s -o /dev/null --max-time 5 -H "Authorization: Bearer $TOK" "$CS/sync?since=$NB&timeout=0"
check_eq "drop with cut=1 ends the answer halfway through its body (curl exit 18)" 18 "$?"
jcheck "after the garbage, sync is normal again" "$(cs GET "sync?since=$NB&timeout=0")" '.next_batch | startswith("s")'

ctl 'stall?path=sync&ms=1500' >/dev/null
t0=$(now_ms)
curl -s -o /dev/null --max-time 0.5 -H "Authorization: Bearer $TOK" "$CS/sync?since=$NB&timeout=0"
rc=$?
check_eq "stall path=sync ms=1500: a client with a 0.5 s timeout gives up (curl 28)" 28 "$rc"
t0=$(now_ms)
ctl 'stall?path=sync&ms=1200' >/dev/null
r=$(cs GET "sync?since=$NB&timeout=0")
dt=$(($(now_ms) - t0))
[ "$dt" -ge 1100 ] && jq -e '.next_batch' >/dev/null <<<"$r" && ok "a stalled sync answers after ms even with timeout=0 ($dt ms)" || not_ok "stalled sync" "$dt $r"
wait_until 3 '[ "$(held_count)" = 0 ]' && ok "the abandoned stalled sync is gone from the held list" || not_ok "stall cleanup" "$(get state | jq -c .held)"
jcheck "the log shows the abandoned one as client_gone" "$(get 'log?kind=api')" 'any(.[]; .client_gone == true and .endpoint == "sync")'

ctl 'stall?path=send&ms=1500' >/dev/null
curl -s -o /dev/null --max-time 0.5 -X PUT -H "Authorization: Bearer $TOK" "$CS/rooms/$ER/send/m.room.message/stall-1" -d '{"msgtype":"m.notice","body":"slow"}'
check_eq "stall path=send: the client times out..." 28 "$?"
r=$(cs PUT "rooms/$ER/send/m.room.message/stall-1" -d '{"msgtype":"m.notice","body":"slow"}')
jcheck "... the send was applied: the retry with the same txnId is a replay" "$(get "sent?room=$ER")" --arg e "$(jq -r .event_id <<<"$r")" \
	'[.[] | select(.txn_id == "stall-1")][0] | .event_id == $e and ([.calls[].outcome] == ["applied","replayed"])'

ctl 'drop?path=send&applied=0' >/dev/null
curl -s -o /dev/null --max-time 5 -X PUT -H "Authorization: Bearer $TOK" "$CS/rooms/$ER/send/m.room.message/drop-0" -d '{"msgtype":"m.notice","body":"dropped, not applied"}'
check_eq "drop path=send applied=0: no answer (curl 52, empty reply)" 52 "$?"
r=$(cs PUT "rooms/$ER/send/m.room.message/drop-0" -d '{"msgtype":"m.notice","body":"dropped, not applied"}')
jcheck "... the retry applies it (received 2: not_applied, applied)" "$(get "sent?room=$ER")" \
	'[.[] | select(.txn_id == "drop-0")][0] | .received == 2 and ([.calls[].outcome] == ["not_applied","applied"]) and .calls[0].status == 0'
ctl 'drop?path=send&applied=1' >/dev/null
curl -s -o /dev/null --max-time 5 -X PUT -H "Authorization: Bearer $TOK" "$CS/rooms/$ER/send/m.room.message/drop-1" -d '{"msgtype":"m.notice","body":"dropped after applying"}'
check_eq "drop path=send applied=1: no answer (curl 52)" 52 "$?"
r=$(cs PUT "rooms/$ER/send/m.room.message/drop-1" -d '{"msgtype":"m.notice","body":"dropped after applying"}')
jcheck "... the retry is a replay of the applied event" "$(get "sent?room=$ER")" --arg e "$(jq -r .event_id <<<"$r")" \
	'[.[] | select(.txn_id == "drop-1")][0] | .event_id == $e and ([.calls[].outcome] == ["applied","replayed"])'
check_eq "the timeline has each dropped send once" "1 1" \
	"$(get "timeline?room=$ER" | jq -r '[([.events[] | select(.content.body == "dropped, not applied")] | length), ([.events[] | select(.content.body == "dropped after applying")] | length)] | join(" ")')"
ctl 'drop?path=sync&reset=1' >/dev/null
curl -s -o /dev/null --max-time 5 -H "Authorization: Bearer $TOK" "$CS/sync?since=$NB&timeout=0"
rc=$?
[ "$rc" = 56 ] || [ "$rc" = 52 ] && ok "drop path=sync reset=1: connection reset (curl $rc)" || not_ok "drop reset" "curl $rc"

# ---- pause, leave, state ----

NB=$(cs GET "sync?since=$NB&timeout=0" | jq -r .next_batch)
ctl 'pause?on=1' >/dev/null
ctl "event?room=$ER" -d '{"type":"m.room.message","sender":"@alice:fake.local","content":{"msgtype":"m.text","body":"while paused"}}' >/dev/null
jcheck "pause: new events are not delivered" "$(cs GET "sync?since=$NB&timeout=300")" 'has("rooms") | not'
sync_bg "$T/s4" "since=$NB&timeout=10000"
wait_until 5 '[ "$(held_count)" = 1 ]'
ctl 'pause?on=0' >/dev/null
wait_until 5 "! kill -0 $SYNC_PID 2>/dev/null"
jcheck "pause off: the held sync gets them" "$(cat "$T/s4")" --arg r "$ROOM" '[.rooms.join[$r].timeline.events[].content.body] == ["while paused"]'
NB=$(jq -r .next_batch "$T/s4")

r=$(cs GET "rooms/$ER/state")
jcheck "GET /rooms/{id}/state: current state events with room_id" "$r" --arg r "$ROOM" \
	'type == "array" and any(.[]; .type == "m.room.create") and all(.[]; .room_id == $r and has("state_key"))'
jcheck "GET /state/m.room.power_levels: the content" "$(cs GET "rooms/$ER/state/m.room.power_levels")" \
	'.users["@alice:fake.local"] == 100 and .users["@bob:fake.local"] == 50 and .redact == 50'
check_eq "GET /state/m.room.topic (absent): 404 M_NOT_FOUND" "404 M_NOT_FOUND" \
	"$(csx GET "rooms/$ER/state/m.room.topic" | awk '{print $1}') $(jq -r .errcode "$T/body")"
jcheck "GET /joined_rooms" "$(cs GET joined_rooms)" --arg r "$ROOM" '.joined_rooms | index($r)'
jcheck "GET /rooms/{id}/joined_members" "$(cs GET "rooms/$ER/joined_members")" '.joined | has("@bot:fake.local") and has("@alice:fake.local")'
r=$(cs POST createRoom -d '{"is_direct":true,"invite":["@carol:fake.local"],"preset":"trusted_private_chat"}')
DM=$(jq -r .room_id <<<"$r")
jcheck "POST /createRoom: a new room id" "$r" '.room_id | startswith("!")'
jcheck "createRoom: the bot is joined, the invitee invited with is_direct" "$(cs GET "rooms/$(enc "$DM")/state")" \
	'any(.[]; .type == "m.room.member" and .state_key == "@bot:fake.local" and .content.membership == "join") and any(.[]; .type == "m.room.member" and .state_key == "@carol:fake.local" and .content.membership == "invite" and .content.is_direct == true) and any(.[]; .type == "m.room.join_rules" and .content.join_rule == "invite")'
jcheck "createRoom: the room is in /_control/state" "$(get state)" --arg r "$DM" 'any(.rooms[]; .room_id == $r and .bot_membership == "join")'
check_eq "createRoom with a bad invite: 400 M_BAD_JSON" "400 M_BAD_JSON" \
	"$(csx POST createRoom -d '{"invite":["carol"]}' | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "createRoom with an unknown preset: 400 M_BAD_JSON" "400 M_BAD_JSON" \
	"$(csx POST createRoom -d '{"preset":"open_bar"}' | awk '{print $1}') $(jq -r .errcode "$T/body")"
r=$(ctl room -d '{"members":["@alice:fake.local"],"encrypted":true,"invite_bot":true,"name":"Secret"}')
ENC=$(jq -r .room_id <<<"$r")
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "an encrypted room's invite shows m.room.encryption in invite_state" "$r" --arg r "$ENC" \
	'.rooms.invite[$r].invite_state.events | any(.type == "m.room.encryption" and .content.algorithm == "m.megolm.v1.aes-sha2")'
NB=$(jq -r .next_batch <<<"$r")
ctl "member?room=$ER2&user=$(enc "$BOT")&membership=leave&sender=$(enc @alice:fake.local)" >/dev/null
r=$(cs GET "sync?since=$NB&timeout=0")
jcheck "the bot kicked (control member): rooms.leave" "$r" --arg r "$R2" \
	'.rooms.leave[$r].timeline.events[-1] | .type == "m.room.member" and .content.membership == "leave"'
NB=$(jq -r .next_batch <<<"$r")

# ---- malformed requests ----

check_eq "a path segment with %00: 400 M_INVALID_PARAM" "400 M_INVALID_PARAM" \
	"$(csx GET "rooms/%21a%00b/state" | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "unknown endpoint: 404 M_UNRECOGNIZED" "404 M_UNRECOGNIZED" \
	"$(csx GET "rooms/$ER/nothing" | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "wrong method: 405 M_UNRECOGNIZED" "405 M_UNRECOGNIZED" \
	"$(csx DELETE "sync" | awk '{print $1}') $(jq -r .errcode "$T/body")"
check_eq "r0 paths are not served: 404" 404 "$(code_of -H "Authorization: Bearer $TOK" "$B/_matrix/client/r0/sync")"
printf 'NOT HTTP AT ALL\r\n\r\n' >"$T/raw1"
check_eq "a request line that is not HTTP: 400" "HTTP/1.1 400 Bad Request" "$(raw "$T/raw1")"
printf 'PUT /_matrix/client/v3/rooms/x/send/m.room.message/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' >"$T/raw2"
check_eq "a chunked body: 501" "HTTP/1.1 501 Not Implemented" "$(raw "$T/raw2")"
check_eq "control: bad parameter: 400" 400 "$(code_of -X POST "$B/_control/fail?path=nosuch")"
check_eq "control: unknown room: 404" 404 "$(code_of -X POST "$B/_control/event?room=%21nope" -d '{}')"
check_eq "control: event body not JSON: 400" 400 "$(code_of -X POST "$B/_control/event?room=$ER" -d '{')"
check_eq "control: room body with a bad room_version: 400" 400 "$(code_of -X POST "$B/_control/room" -d '{"room_version":"99"}')"
check_eq "control: GET on a POST action: 405" 405 "$(code_of "$B/_control/fail")"
check_eq "still serving after all that" FAKEDEVICE "$(cs GET account/whoami | jq -r .device_id)"

# ---- log and state ----

r=$(get 'log?kind=api')
jcheck "/_control/log: every call with method, path, query, auth_ok, status" "$r" \
	'length > 50 and all(.[]; has("method") and has("path") and has("query") and has("status")) and any(.[]; .endpoint == "send" and .auth_ok == true and .status == 200 and (.body | contains("Question 1")))'
last=$(jq '.[-1].seq' <<<"$r")
jcheck "/_control/log?since=N returns only later events" "$(get "log?since=$((last - 1))")" '[.[].seq] | min >= '"$last"
jcheck "/_control/state: counts, held, tokens issued" "$(get state)" \
	'.counts.sync > 10 and .counts.send > 10 and .held_count == 0 and .sync_answers > 10 and (.last_next_batch | startswith("s")) and (.rooms | length) >= 4'
if jq -s -e 'length > 50 and all(.[]; has("seq") and has("kind"))' "$T/log.jsonl" >/dev/null 2>&1; then
	ok "--log file: one JSON line per event"
else
	not_ok "--log file: one JSON line per event" "$(tail -n 2 "$T/log.jsonl")"
fi

# ---- exit ----

"$FAKE" --port "$PORT" --max-seconds 2 2>"$T/fake4.err"
rc=$?
check_eq "a port in use: exit 1 with a message" "1 1" "$rc $(grep -c 'cannot listen' "$T/fake4.err")"
sync_bg "$T/s5" "since=$NB&timeout=30000"
wait_until 5 '[ "$(held_count)" = 1 ]'
kill -TERM "$FAKE_PID"
if wait_until 5 "! kill -0 $FAKE_PID 2>/dev/null"; then
	wait "$FAKE_PID"
	check_eq "SIGTERM with a sync held: clean exit 0" 0 "$?"
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
check_eq "bad option: usage, exit 2" 2 "$("$FAKE" --user nope 2>/dev/null; echo $?)"
check_no_sanitizer "no sanitizer report or leaked handle in the fake's stderr" 12 30

selftest_finish
