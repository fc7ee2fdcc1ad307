# matrix_lib.sh - sourced by tests/integration/test_matrix_*.sh, after lib.sh: drives the
# real daemon (`workshopbot --db DB run`) against the local fake homeserver
# (tests/fakes/fake_matrix, see tests/fakes/README.md).
#
# What it gives a test:
#   fake_start [ARGS...]       starts the fake on a free port (--port 0 --port-file, bounded
#                              wait); sets PORT, C (the control API URL), CS (client-server)
#   room_create JSON           creates a room through the control API; sets ROOM
#   daemon_start DB [ENV...]   starts the daemon in the background against the fake with
#                              MATRIX_HOMESERVER / MATRIX_USER / MATRIX_PASSWORD (NAME=VALUE
#                              pairs override, e.g. MATRIX_PASSWORD= MATRIX_ACCESS_TOKEN=...);
#                              its stderr/stdout go to $T/daemon-N.err/.out; DPID is its pid
#   wait_ready [N] [SECONDS]   the daemon logged "matrix: ready" at least N times
#   daemon_start_ready DB      both, failing the test (and finishing) when not ready
#   daemon_stop / daemon_kill9 / daemon_wait [SECONDS]   sets DRC
#   post JSON [ROOM]           posts one event or an array via /_control/event as users;
#                              EV_ID (the first event id) and EV_IDS (all, one a line)
#   say USER TEXT / thread USER ROOT TEXT / reply USER TARGET TARGET_BODY TEXT /
#   edit USER TARGET TEXT / redact USER TARGET / react USER TARGET KEY
#                              build and post the usual events (leave EV_ID)
#   say_in ROOM USER TEXT / react_in ROOM USER TARGET KEY   the same in ROOM
#   ev_* (same arguments)      only build the JSON (into EV), to post several at once
#   handled EVENT_ID...        the daemon handled (committed) these events
#   settle [SECONDS [IDS...]]  waits until the events of the last post (or IDS) are handled
#   side_room_create / sync_point   a room for sync points (SIDE); a chatter message there,
#                              waited for: everything posted before it was committed
#   wait_until SECONDS CMD...  bounded polling (every 50 ms)
#   sent [ROOM]                /_control/sent for the room (every send transaction)
#   wait_sent N [SECONDS]      at least N transactions in the room were applied
#   notices                    the bot's m.room.message sends (applied), in order
#   question_event N           the event id of question N's post
#   bodies [ROOM] / event_of ROOM PREFIX / n_notices ROOM PREFIX / notice_in ROOM PREFIX
#                              the bot's message bodies; the first one starting so; how many;
#                              wait for one
#   n_create_room / direct_room_of USER   createRoom calls; USER's recorded direct room
#   inst_save NAME / inst_load NAME   keep a second fake + daemon around (see the tests)
#
# Every process started here is killed by the EXIT trap (plus INT/TERM), by its pid (the
# daemon through the process group of the timeout(1) that runs it).

FAKES_DIR=${FAKES_DIR:-$ROOT/build/tests}
FAKE_BIN=$FAKES_DIR/fake_matrix
BOT=@bot:fake.local
PASSWORD=pw-test-3d9a
FAKE_TOKEN=syt_test_token        # the fake's pre-issued token (--token)
# The tokens the fake issues at login are syt_..., caught by lib.sh's TOKEN_RE.
secret_add "$PASSWORD" "$FAKE_TOKEN"
DAEMON_TIMEOUT=${DAEMON_TIMEOUT:-60}

# Only Matrix: a Slack token in the caller's environment must not start Slack too.
unset SLACK_APP_TOKEN SLACK_BOT_TOKEN SLACK_API_URL MATRIX_ACCESS_TOKEN MATRIX_PASSWORD \
	MATRIX_USER MATRIX_HOMESERVER

FAKE_N=0

matrix_cleanup() {
	local p f
	for p in ${DAEMON_GROUPS[@]+"${DAEMON_GROUPS[@]}"}; do
		kill -KILL -- "-$p" 2>/dev/null
	done
	for p in ${DAEMON_WRAPS[@]+"${DAEMON_WRAPS[@]}"}; do
		wait "$p" 2>/dev/null
	done
	for p in ${FAKE_PIDS[@]+"${FAKE_PIDS[@]}"}; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap matrix_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until, count_is/count_ge, fake_spawn, daemon_spawn, wait_ready, daemon_wait/stop/kill9
. "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

enc() { jq -rn --arg v "$1" '$v | @uri'; }

# ---- the fake ----

# fake_start [ARGS...]: the fake on a free port; sets PORT, C, CS, FAKE_PID.
fake_start() {
	FAKE_N=$((FAKE_N + 1))
	fake_spawn "$T/port-$FAKE_N" "$T/fake-$FAKE_N.err" homeserver \
		--log "$T/fake-$FAKE_N.jsonl" --max-seconds "$((150 * TIME_SCALE))" \
		--user "$BOT" --password "$PASSWORD" --token "$FAKE_TOKEN" "$@"
	CS=http://127.0.0.1:$PORT/_matrix/client/v3
}

# ctl METHOD PATH [BODY]: one control API request; prints the body.
ctl() {
	if [ $# -ge 3 ]; then
		curl -s --noproxy '*' --max-time 10 -X "$1" "$C$2" --data-binary "$3"
	else
		curl -s --noproxy '*' --max-time 10 -X "$1" "$C$2"
	fi
}

# ctl_ok NAME METHOD PATH [BODY]: a control request that must answer ok (else the test
# cannot go on meaningfully: it is reported and the test finishes).
ctl_ok() {
	local name=$1 r
	shift
	r=$(ctl "$@")
	if ! jq -e '.ok == true' <<<"$r" >/dev/null 2>&1; then
		not_ok "control: $name" "$*" "answer: $r"
		finish
	fi
	CTL=$r
}

state() { ctl GET /state; }
stream_pos() { state | jq -r .stream_pos; }

# room_create JSON: creates a room; ROOM is its id.
room_create() {
	ctl_ok "create a room" POST /room "$1"
	ROOM=$(jq -r .room_id <<<"$CTL")
}

bot_membership() {
	state | jq -r --arg r "${1:-$ROOM}" '.rooms[] | select(.room_id == $r) | .bot_membership'
}
bot_joined() { [ "$(bot_membership "${1:-$ROOM}")" = join ]; }

# ---- events posted as users ----

# post JSON [ROOM] [QUERY]: appends the event(s); EV_ID is the first id, EV_IDS all of them.
post() {
	local r
	EV_ID=
	EV_IDS=
	r=$(ctl POST "/event?room=$(enc "${2:-$ROOM}")${3:+&$3}" "$1")
	if ! jq -e '.ok == true' <<<"$r" >/dev/null 2>&1; then
		echo "# posting an event failed: $r" >&2
		return 1
	fi
	EV_IDS=$(jq -r '.event_ids[]' <<<"$r")
	EV_ID=$(head -n 1 <<<"$EV_IDS")
}

# The builders leave the event's JSON in EV (no subshell).
ev_say() {
	EV=$(jq -cn --arg s "$1" --arg b "$2" \
		'{type: "m.room.message", sender: $s, content: {msgtype: "m.text", body: $b}}')
}
ev_thread() {
	EV=$(jq -cn --arg s "$1" --arg root "$2" --arg b "$3" '{type: "m.room.message", sender: $s,
		content: {msgtype: "m.text", body: $b, "m.relates_to": {rel_type: "m.thread",
		event_id: $root, is_falling_back: true, "m.in_reply_to": {event_id: $root}}}}')
}
# ev_reply USER TARGET TARGET_SENDER TARGET_BODY TEXT: a rich reply with its fallback.
ev_reply() {
	EV=$(jq -cn --arg s "$1" --arg t "$2" --arg ts "$3" --arg tb "$4" --arg b "$5" '
		{type: "m.room.message", sender: $s,
		 content: {msgtype: "m.text",
			   body: ("> <" + $ts + "> " + ($tb | split("\n") | join("\n> ")) + "\n\n" + $b),
			   format: "org.matrix.custom.html",
			   formatted_body: ("<mx-reply><blockquote>In reply to</blockquote></mx-reply>" + $b),
			   "m.relates_to": {"m.in_reply_to": {event_id: $t}}}}')
}
ev_edit() {
	EV=$(jq -cn --arg s "$1" --arg t "$2" --arg b "$3" '{type: "m.room.message", sender: $s,
		content: {msgtype: "m.text", body: ("* " + $b),
			  "m.new_content": {msgtype: "m.text", body: $b},
			  "m.relates_to": {rel_type: "m.replace", event_id: $t}}}')
}
ev_redact() {
	EV=$(jq -cn --arg s "$1" --arg t "$2" '{type: "m.room.redaction", sender: $s, redacts: $t,
		content: {}}')
}
ev_react() {
	EV=$(jq -cn --arg s "$1" --arg t "$2" --arg k "$3" '{type: "m.reaction", sender: $s,
		content: {"m.relates_to": {rel_type: "m.annotation", event_id: $t, key: $k}}}')
}
# say_in ROOM USER TEXT / react_in ROOM USER TARGET KEY: the same in another room.
say_in() { ev_say "$2" "$3" && post "$EV" "$1"; }
react_in() { ev_react "$2" "$3" "$4" && post "$EV" "$1"; }
say() { ev_say "$@" && post "$EV"; }
thread() { ev_thread "$@" && post "$EV"; }
reply() { ev_reply "$@" && post "$EV"; }
edit() { ev_edit "$@" && post "$EV"; }
redact() { ev_redact "$@" && post "$EV"; }
react() { ev_react "$@" && post "$EV"; }

# ---- is the daemon done with what was posted? ----
# The daemon records every event it hands to the workshop (by event id, in seen_events) in
# the transaction that also stores the sync position. So an event id in seen_events means
# it and everything before it in the stream was committed.

# handled EVENT_ID...: every one of these events was handled (committed) by the daemon.
handled() {
	local list got
	[ $# -gt 0 ] || return 0
	list=$(printf "'%s'," "$@")
	got=$(sql "$DB" "SELECT count(*) FROM seen_events WHERE transport = 'matrix' AND key IN (${list%,})" 2>/dev/null)
	[ "$got" = "$#" ]
}

# settle [SECONDS] [EVENT_ID...]: waits until the daemon handled the given events (default:
# those of the last post).
settle() {
	local limit=${1:-10}
	shift 2>/dev/null
	if [ $# -eq 0 ]; then
		# shellcheck disable=SC2086
		set -- $EV_IDS
	fi
	wait_until "$limit" handled "$@"
}

# side_room_create: a second room the bot is in from the start, with no session, for
# sync points (SIDE).
side_room_create() {
	ctl_ok "create the side room" POST /room "$(jq -cn --arg b "$BOT" \
		'{members: ["@sync:fake.local", $b], name: "sync points"}')"
	SIDE=$(jq -r .room_id <<<"$CTL")
}

# sync_point [SECONDS]: posts chatter in the side room and waits until it was handled: the
# daemon then committed everything posted before it, in every room (also the events it
# ignores, which leave no trace of their own).
sync_point() {
	ev_say @sync:fake.local "sync point $((++SYNC_N))"
	post "$EV" "$SIDE" && settle "${1:-10}"
}
SYNC_N=0

# caught_up [POS]: a sync of the daemon is held with since >= POS (a stream position of the
# fake; note that events the daemon's filter leaves out, e.g. reactions, advance the
# stream without waking its sync).
caught_up() {
	local pos=${1:-$(stream_pos)}
	state | jq -e --argjson p "$pos" 'any(.held[]; .since != null and .since >= $p)' >/dev/null
}
sync_held() { state | jq -e '.held_count > 0' >/dev/null; }

# ---- what the bot sent ----

sent() { ctl GET "/sent?room=$(enc "${1:-$ROOM}")"; }
# notices [ROOM]: the applied m.room.message sends, in order of first arrival.
notices() {
	sent "${1:-$ROOM}" | jq -c '[.[] | select(.type == "m.room.message" and .applied)]'
}
n_applied() { sent "${1:-$ROOM}" | jq '[.[] | select(.applied)] | length'; }
wait_sent() { wait_until "${2:-15}" count_ge "$1" n_applied; }

# has_notice JQ-FILTER [ROOM]: some applied message send satisfies the filter (given the
# send record; .content is the content).
has_notice() {
	notices "${2:-$ROOM}" | jq -e "any(.[]; $1)" >/dev/null
}
wait_notice() { wait_until "${2:-15}" has_notice "$1" "${3:-$ROOM}"; }

# bodies [ROOM]: the bodies of the bot's messages in the room, one JSON string a line.
bodies() { notices "${1:-$ROOM}" | jq -c '.[].content.body'; }
# event_of ROOM PREFIX: the event id of the first bot message in ROOM starting so.
event_of() {
	notices "$1" | jq -r --arg p "$2" '[.[] | select(.content.body | startswith($p))][0].event_id // empty'
}
# n_notices ROOM PREFIX: how many bot messages in ROOM start so.
n_notices() { notices "$1" | jq --arg p "$2" '[.[] | select(.content.body | startswith($p))] | length'; }
# notice_in ROOM PREFIX: waits (15 s) for a bot message in ROOM starting so.
notice_in() { wait_notice "(.content.body | startswith(\"$2\"))" 15 "$1"; }

# ---- direct rooms ----

# n_create_room: how many createRoom calls the fake answered (direct rooms the bot made).
n_create_room() { state | jq -r '.counts.createRoom // 0'; }
# direct_room_of USER: the room the daemon records as USER's direct room ("" when none).
direct_room_of() { sql_q "SELECT channel FROM direct_channels WHERE user_id = '$1'"; }

# question_event N: the event id of the post that asks question N (not an edit of it).
question_event() {
	notices | jq -r --arg n "Question $1 of " '[.[] | select(.content["m.relates_to"] == null
		and (.content.body | startswith($n)))][0].event_id // empty'
}

# ---- the daemon ----

# daemon_start DB [NAME=VALUE...]: `workshopbot --db DB run` against the fake, in the
# background, bounded by timeout(1) ($DAEMON_TIMEOUT s); DPID is the daemon's own pid. The
# array DAEMON_OPTS adds options before --db (e.g. --config FILE).
daemon_start() {
	local db=$1
	shift
	daemon_spawn "$DAEMON_TIMEOUT" "$db" MATRIX_HOMESERVER="http://127.0.0.1:$PORT" \
		MATRIX_USER="$BOT" MATRIX_PASSWORD="$PASSWORD" "$@"
}

n_ready() { grep -c 'matrix: ready' "$DERR" 2>/dev/null || true; }

daemon_start_ready() {
	daemon_start "$@"
	if ! wait_ready 1; then
		not_ok "the daemon connected (matrix: ready)"
		finish
	fi
}

# ---- a second instance (fake + daemon) in the same test ----

_INST_VARS="PORT C CS FAKE_PID ROOM DB DPID DWRAP DTIMEOUT DERR DOUT DRCFILE DRC"
inst_save() {
	local v
	for v in $_INST_VARS; do printf -v "INST_${1}_$v" '%s' "${!v-}"; done
}
inst_load() {
	local v n
	for v in $_INST_VARS; do
		n=INST_${1}_$v
		printf -v "$v" '%s' "${!n-}"
	done
}

# ---- checks ----

sql_q() { sql "$DB" "$1"; }

# ---- the cross-transport tests' transport functions (tp_run in daemon_lib.sh) ----
# Users of TP_USERS are @NAME:fake.local; "@bob" in a text is written @bob:fake.local.

tp_start() { DB=$1; daemon_start "$1" WORKSHOPBOT_NOW="$2"; }
_matrix_mentions() {
	local u
	TP_TEXT=$1
	for u in $TP_USERS; do TP_TEXT=${TP_TEXT//@$u/@$u:fake.local}; done
}
TP_SAID=
tp_say() { _matrix_mentions "$2" && say "@$1:fake.local" "$TP_TEXT" && TP_SAID+=" $EV_ID"; }
tp_thread() {
	_matrix_mentions "$3" && thread "@$1:fake.local" "$2" "$TP_TEXT" && TP_SAID+=" $EV_ID" &&
		TP_REF=$EV_ID
}
tp_edit() { _matrix_mentions "$4" && edit "@$1:fake.local" "$2" "$TP_TEXT" && TP_SAID+=" $EV_ID"; }
tp_delete() { redact "@$1:fake.local" "$2" && TP_SAID+=" $EV_ID"; }
tp_settle() {
	local rc
	# shellcheck disable=SC2086
	settle 10 $TP_SAID
	rc=$?
	TP_SAID=
	return $rc
}
tp_count() { notices | jq length; }
# Matrix has no private replies: the daemon says them in the room (matrix_send.c). Only
# the public posts count here: the sends whose outbox row (txn id wb<id>) is a post.
_matrix_plain() {
	local private
	private=$(sql "$DB" "SELECT 'wb' || id FROM outbox WHERE kind <> 'post'" 2>/dev/null |
		jq -Rsc 'split("\n") | map(select(. != ""))')
	notices | jq -c --argjson from "$1" --argjson priv "${private:-[]}" '.[$from:][]
		| select(.txn_id as $t | $priv | index($t) | not)
		| {id: .event_id, text: (.content.body | gsub("@(?<u>[a-z]+):fake\\.local"; "@\(.u)"))}'
}
tp_texts() { _matrix_plain "$1" | jq -c .text; }
tp_ref_of() {
	_matrix_plain 0 | jq -rs --arg p "$1" '[.[] | select(.text | startswith($p))][-1].id // empty'
}
