# slack_lib.sh - sourced by tests/integration/test_slack_*.sh right after lib.sh: drives
# the real daemon (`workshopbot --db DB run`) against the local fake Slack
# (tests/fakes/fake_slack, see tests/fakes/README.md). FAKES_DIR names the directory of
# the fake's binary (default build/tests).
#
# What it gives a test:
#   fake_start [ARGS...]      the fake on a free port (--port 0 --port-file, bounded wait);
#                             sets PORT, C (the control API URL), API (the Web API URL)
#   fake_stop                 stops it; its stderr joins $T/all.err
#   daemon_start DB [ENV...]  the daemon in the background with the test tokens and
#                             SLACK_API_URL; its stderr/stdout go to $T/daemon-N.err/.out
#                             (added to $T/all.err when it ends); DPID is its pid
#   daemon_start_ready DB     the same, then waits for "slack: ready" (else fails the test)
#   wait_ready [N]            "slack: ready" logged N times (each new connection logs it)
#   daemon_stop / daemon_kill9 / daemon_wait [S]   SIGTERM / SIGKILL / its own exit; DRC
#                             is the exit status
#   push TYPE JSON [QUERY]    pushes an envelope; ENV_ID is its envelope_id
#   send TYPE BUILDER ARGS... builds a payload (sets PL) and pushes it
#   redeliver ID [ATTEMPT]    Slack's redelivery (retry_of); ENV_ID is the new envelope_id
#   wait_ack ID / wait_acks   one envelope acked / every envelope acked (bounded)
#   ack_latency ID            ms from envelope sent to ack, by the fake's clock
#   wait_until SECONDS CMD... bounded polling: CMD every 50 ms until it succeeds
#   ctl GET|POST PATH [BODY]  a control API request; messages, posts, acks, envelopes,
#                             state, api_count METHOD read the fake's records
#   ev_message, ev_dm, ev_mention, ev_edit, ev_delete, ev_reaction, slash, button,
#   form_answer, form_choices, form_action  payloads in the shapes of
#                             tests/fixtures/slack/ (into PL)
#   has_message / wait_message / n_messages JQ-FILTER   the fake's record of messages
#   posted_in / ephemeral_to / ts_of   filters for the posts in a channel, the ephemeral
#                             replies to a user there, and the ts of the first match
#   question_ts N             the ts of the Nth question post (the ones with buttons)
#
# Builders and push set variables instead of printing, so they run in the test's shell
# (never a $(...) subshell) and the ts counter carries over. Every process started here
# is ended by the EXIT trap (INT and TERM exit through it), by its own pid or process
# group; no fixed sleep is used to synchronise, only bounded polling.

FAKES_DIR=${FAKES_DIR:-$ROOT/build/tests}
FAKE_BIN=$FAKES_DIR/fake_slack
APP_TOKEN=xapp-test-app
BOT_TOKEN=xoxb-test-bot
secret_add "$APP_TOKEN" "$BOT_TOKEN"
CHANNEL=C111

SEQ_TS=0

slack_cleanup() {
	if [ -n "$DWRAP" ]; then
		_kill_daemon_group
		wait "$DWRAP" 2>/dev/null
		_collect_daemon_output
	fi
	if [ -n "$FAKE_PID" ]; then
		kill -TERM "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap slack_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until, count_is/count_ge, fake_spawn, daemon_spawn, wait_ready, daemon_wait/stop/kill9
. "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"

# ---- the fake ----

# fake_start [ARGS...]: the fake on a free port; sets PORT, C, API. It lives at most
# 120 s, or DAEMON_LIMIT + 30 s when a test gives its daemon longer.
fake_start() {
	local limit=$((${DAEMON_LIMIT:-60} + 30 > 120 ? ${DAEMON_LIMIT:-60} + 30 : 120))
	fake_spawn "$T/port" "$T/fake.err" Slack --log "$T/fake.jsonl" \
		--max-seconds "$((limit * TIME_SCALE))" "$@"
	API=http://127.0.0.1:$PORT/api/
}

# fake_stop: stops the fake (SIGTERM) and adds its stderr to $T/all.err, so a sanitizer
# report from a sanitizer-built fake is caught by finish too.
fake_stop() {
	[ -n "$FAKE_PID" ] || return 0
	kill -TERM "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
	cat "$T/fake.err" >>"$T/all.err" 2>/dev/null
}

# ctl METHOD PATH [BODY]: one control API request; prints the body. The body goes through
# stdin (printf is a builtin), so its size is not bound by the argument limit.
ctl() {
	if [ $# -ge 3 ]; then
		printf '%s' "$3" | curl -s --noproxy '*' --max-time 10 -X "$1" "$C$2" --data-binary @-
	else
		curl -s --noproxy '*' --max-time 10 -X "$1" "$C$2"
	fi
}

# push TYPE JSON [QUERY]: pushes an envelope with that payload; its envelope_id is left in
# ENV_ID (no subshell, so callers see it).
push() {
	local r
	ENV_ID=
	r=$(ctl POST "/envelope?type=$1${3:+&$3}" "$2")
	if ! jq -e .ok <<<"$r" >/dev/null 2>&1; then
		echo "# push $1 failed: $r" >&2
		return 1
	fi
	ENV_ID=$(jq -r .envelope_id <<<"$r")
}

# send TYPE BUILDER ARGS...: builds a payload (BUILDER sets PL) and pushes it.
send() {
	local type=$1
	shift
	"$@" && push "$type" "$PL"
}

# redeliver ID [ATTEMPT] [QUERY]: Slack's redelivery of envelope ID (retry_of); the new
# envelope_id is left in ENV_ID.
redeliver() {
	local r
	ENV_ID=
	r=$(ctl POST "/envelope?retry_of=$1&attempt=${2:-1}${3:+&$3}")
	jq -e .ok <<<"$r" >/dev/null 2>&1 || { echo "# redeliver failed: $r" >&2; return 1; }
	ENV_ID=$(jq -r .envelope_id <<<"$r")
}

messages() { ctl GET /messages; }
posts() { ctl GET /messages | jq -c '[.[] | select(.method == "chat.postMessage")]'; }
acks() { ctl GET /acks; }
envelopes() { ctl GET /envelopes; }
state() { ctl GET /state; }
api_count() { state | jq -r --arg m "$1" '.api_counts[$m] // 0'; }

is_acked() {
	acks | jq -e --arg id "$1" 'any(.[]; .envelope_id == $id)' >/dev/null
}

# wait_ack ID [SECONDS]: the daemon acked envelope ID.
wait_ack() {
	[ -n "$1" ] && wait_until "${2:-10}" is_acked "$1"
}

# ack_latency ID: milliseconds between the fake sending envelope ID and receiving its ack,
# by the fake's own clock (so the test's polling does not count); empty if not acked.
ack_latency() {
	ctl GET /log | jq -r --arg id "$1" '
		([.[] | select(.kind == "ws_send" and .envelope_id == $id)][0].t_ms) as $sent
		| ([.[] | select(.kind == "ws_text" and .json.envelope_id? == $id)][0].t_ms) as $acked
		| if $sent == null or $acked == null then "" else $acked - $sent end'
}

all_acked() {
	envelopes | jq -e 'all(.[]; .acked)' >/dev/null
}

# wait_acks [SECONDS]: every envelope sent so far is acked.
wait_acks() {
	wait_until "${1:-10}" all_acked
}

n_posts() { posts | jq length; }
n_method() { messages | jq --arg m "$1" '[.[] | select(.method == $m)] | length'; }

# wait_posts N [SECONDS]: at least N chat.postMessage calls succeeded.
wait_posts() { wait_until "${2:-10}" count_ge "$1" n_posts; }

# has_message JQ-FILTER: some recorded message (postMessage, update, postEphemeral; the
# record of /_control/messages) satisfies the filter; wait_message waits for one.
has_message() { messages | jq -e "any(.[]; $1)" >/dev/null; }
wait_message() { wait_until "${2:-10}" has_message "$1"; }

# n_messages JQ-FILTER: how many recorded messages satisfy the filter.
n_messages() { messages | jq "[.[] | select($1)] | length"; }

# posted_in CHANNEL FILTER / ephemeral_to CHANNEL USER FILTER: a message filter for the
# posts in CHANNEL / the ephemeral replies there to USER; ts_of FILTER: the first match.
posted_in() { printf '.channel == "%s" and .method == "chat.postMessage" and (%s)' "$1" "$2"; }
ephemeral_to() {
	printf '.channel == "%s" and .user == "%s" and .method == "chat.postEphemeral" and (%s)' \
		"$1" "$2" "$3"
}
ts_of() { messages | jq -r "[.[] | select($1)][0].ts // empty"; }

# ---- the daemon ----

# daemon_start DB [NAME=VALUE...]: `workshopbot --db DB run` against the fake, in the
# background, bounded to DAEMON_LIMIT (60) s by timeout(1); DPID is the daemon's own pid. Extra
# NAME=VALUE pairs override the environment (e.g. SLACK_BOT_TOKEN=xoxb-wrong); the array
# DAEMON_OPTS adds options before --db (e.g. --config FILE).
daemon_start() {
	local db=$1
	shift
	daemon_spawn "${DAEMON_LIMIT:-60}" "$db" SLACK_APP_TOKEN="$APP_TOKEN" SLACK_BOT_TOKEN="$BOT_TOKEN" \
		SLACK_API_URL="$API" "$@"
}

n_ready() { grep -c 'slack: ready' "$DERR" 2>/dev/null || true; }

# daemon_start_ready DB: starts the daemon and waits for it; fails the test if it does not
# get ready (nothing else can be checked then).
daemon_start_ready() {
	daemon_start "$@"
	if ! wait_ready 1; then
		not_ok "the daemon connected (slack: ready)"
		daemon_stop
		fake_stop
		finish
	fi
}

# ---- payloads (the shapes of tests/fixtures/slack/) ----
# Each builder leaves the JSON in PL (and runs in the test's shell, never a subshell, so
# the ts counter and LAST_TS / LAST_TRIG carry over).

# next_ts: a fresh message ts in NEXT_TS, increasing ("1764406800.000001", ...).
next_ts() {
	SEQ_TS=$((SEQ_TS + 1))
	printf -v NEXT_TS '1764406800.%06d' "$SEQ_TS"
}

# ev_message USER TEXT [THREAD_TS [TS]]: an events_api message payload; the ts it used is
# left in LAST_TS.
ev_message() {
	local ts=${4:-}
	[ -n "$ts" ] || { next_ts; ts=$NEXT_TS; }
	LAST_TS=$ts
	PL=$(jq -cn --arg user "$1" --arg text "$2" --arg thread "${3:-}" --arg ts "$ts" \
		--arg ch "$CHANNEL" --arg eid "Ev$ts" '{
		token: "verification_token", team_id: "T111", api_app_id: "A111",
		event: ({user: $user, type: "message", ts: $ts, text: $text, team: "T111",
			channel: $ch, event_ts: $ts,
			channel_type: (if ($ch | startswith("D")) then "im" else "channel" end)}
			+ (if $thread == "" then {} else {thread_ts: $thread, parent_user_id: "UBOT"} end)),
		type: "event_callback", event_id: $eid, event_time: 1764406800,
		authorizations: [{team_id: "T111", user_id: "UBOT", is_bot: true,
				  is_enterprise_install: false}]}')
}

# ev_dm USER IM TEXT: a message in the direct (IM) channel IM (channel_type "im").
ev_dm() {
	local CHANNEL=$2
	ev_message "$1" "$3"
}

# ev_reaction USER NAME TS [CHANNEL]: reaction_added of the emoji NAME (e.g.
# white_check_mark) on the message TS.
ev_reaction() {
	local now
	next_ts
	now=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg name "$2" --arg ts "$3" --arg ch "${4:-$CHANNEL}" \
		--arg now "$now" '{
		token: "verification-token", team_id: "T111", api_app_id: "A111",
		event: {type: "reaction_added", user: $user, reaction: $name, item_user: "UBOT",
			item: {type: "message", channel: $ch, ts: $ts}, event_ts: $now},
		type: "event_callback", event_id: ("EvR" + $now), event_time: 1764406800,
		authorizations: [{team_id: "T111", user_id: "UBOT", is_bot: true,
				  is_enterprise_install: false}]}')
}

# ev_mention USER TEXT TS: the app_mention event of a message (TS: the message's ts).
ev_mention() {
	LAST_TS=$3
	PL=$(jq -cn --arg user "$1" --arg text "$2" --arg ts "$3" --arg ch "$CHANNEL" '{
		token: "verification-token", team_id: "T111", api_app_id: "A111",
		event: {type: "app_mention", text: $text, user: $user, ts: $ts, team: "T111",
			channel: $ch, event_ts: $ts},
		type: "event_callback", event_id: ("EvM" + $ts), event_time: 1764406800,
		authorizations: [{team_id: "T111", user_id: "UBOT", is_bot: true,
				  is_enterprise_install: false}],
		is_ext_shared_channel: false, event_context: "1-app_mention-T111-C111"}')
}

# ev_edit USER TS NEWTEXT [THREAD_TS]: message_changed with message.edited (an edit).
ev_edit() {
	local now
	next_ts
	now=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg ts "$2" --arg text "$3" --arg thread "${4:-}" \
		--arg now "$now" --arg ch "$CHANNEL" '{
		token: "verification-token", team_id: "T111", api_app_id: "A111",
		event: {type: "message", subtype: "message_changed",
			message: ({type: "message", text: $text, user: $user, team: "T111",
				   edited: {user: $user, ts: $now}, ts: $ts}
				  + (if $thread == "" then {} else {thread_ts: $thread} end)),
			previous_message: {type: "message", text: "(before)", user: $user,
					   team: "T111", ts: $ts},
			channel: $ch, hidden: true, ts: $now, event_ts: $now,
			channel_type: "channel"},
		type: "event_callback", event_id: ("EvE" + $now), event_time: 1764406800,
		authorizations: [{team_id: "T111", user_id: "UBOT", is_bot: true,
				  is_enterprise_install: false}],
		is_ext_shared_channel: false}')
}

# ev_delete USER TS [THREAD_TS]: message_deleted of the message TS by USER.
ev_delete() {
	local now
	next_ts
	now=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg ts "$2" --arg thread "${3:-}" --arg now "$now" \
		--arg ch "$CHANNEL" '{
		token: "aaaa", team_id: "T111", api_app_id: "A111",
		event: {type: "message", subtype: "message_deleted", hidden: true, channel: $ch,
			previous_message: ({type: "message", text: "(deleted)", user: $user,
					    ts: $ts, team: "T111"}
					   + (if $thread == "" then {} else {thread_ts: $thread} end)),
			deleted_ts: $ts, ts: $now, event_ts: $now, channel_type: "channel"},
		type: "event_callback", event_id: ("EvD" + $now), event_time: 1764406800,
		authorizations: [{team_id: "T111", user_id: "UBOT", is_bot: true,
				  is_enterprise_install: false}],
		is_ext_shared_channel: false}')
}

# slash USER TEXT: a /workshop slash command payload (a fresh trigger_id each time).
slash() {
	local ts
	next_ts
	ts=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg text "$2" --arg trig "$ts.trig" --arg ch "$CHANNEL" '{
		token: "verification-token", team_id: "T111", team_domain: "xxx",
		channel_id: $ch, channel_name: "workshop", user_id: $user,
		user_name: ("name-" + $user), command: "/workshop", text: $text,
		api_app_id: "A111", is_enterprise_install: "false",
		response_url: "https://hooks.slack.com/commands/T111/111/xxx",
		trigger_id: $trig}')
	LAST_TRIG=$ts.trig
}

# button USER ACTION_ID VALUE MESSAGE_TS: a block_actions payload (ws_answer, ws_next,
# ws_skip; VALUE "SESSION:PROMPT_INDEX").
button() {
	local ts
	next_ts
	ts=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg aid "$2" --arg value "$3" --arg mts "$4" --arg trig "$ts.btn" \
		--arg ch "$CHANNEL" --arg now "$ts" '{
		type: "block_actions",
		user: {id: $user, username: ("name-" + $user), name: ("name-" + $user), team_id: "T111"},
		api_app_id: "A111", token: "verification_token",
		container: {type: "message", message_ts: $mts, channel_id: $ch, is_ephemeral: false},
		trigger_id: $trig,
		team: {id: "T111", domain: "workspace-domain"},
		channel: {id: $ch, name: "workshop"},
		response_url: "https://hooks.slack.com/actions/T111/111/random-value",
		actions: [{action_id: $aid, block_id: "q", text: {type: "plain_text", text: "Button",
			   emoji: true}, value: $value, type: "button", action_ts: $now}]}')
	LAST_TRIG=$ts.btn
}

# _view_submission USER CALLBACK_ID META VALUES_JSON: a view_submission payload.
_view_submission() {
	local ts
	next_ts
	ts=$NEXT_TS
	PL=$(jq -cn --arg user "$1" --arg cb "$2" --arg meta "$3" --argjson values "$4" \
		--arg vid "V$ts" --arg trig "$ts.view" '{
		type: "view_submission",
		team: {id: "T111", domain: "workspace-domain"},
		user: {id: $user, username: ("name-" + $user), name: ("name-" + $user), team_id: "T111"},
		api_app_id: "A111", token: "verification_token", trigger_id: $trig,
		view: {id: $vid, team_id: "T111", type: "modal", blocks: [],
		       private_metadata: $meta, callback_id: $cb, state: {values: $values},
		       hash: "1596530361.3wRYuk3R", title: {type: "plain_text", text: "Workshop"},
		       previous_view_id: null, root_view_id: $vid, app_id: "A111",
		       external_id: "", app_installed_team_id: "T111", bot_id: "BBOT"},
		response_urls: []}')
}

# form_answer USER META TEXT: the answer modal submitted with a text.
form_answer() {
	_view_submission "$1" ws_answer "$2" "$(jq -cn --arg t "$3" \
		'{answer: {text: {type: "plain_text_input", value: $t}}}')"
}

# form_choices USER META LABEL...: the checklist modal submitted with those boxes ticked.
form_choices() {
	local user=$1 meta=$2
	shift 2
	_view_submission "$user" ws_answer "$meta" "$(jq -cn '$ARGS.positional as $l |
		{answer: {choices: {type: "checkboxes", selected_options:
			[$l[] | {text: {type: "plain_text", text: .}, value: .}]}}}' --args "$@")"
}

# form_action USER META WHAT OWNER DUE: the action-item modal submitted.
form_action() {
	_view_submission "$1" ws_action_item "$2" "$(jq -cn --arg what "$3" --arg owner "$4" \
		--arg due "$5" '{
		what: {text: {type: "plain_text_input", value: $what}},
		owner: {user: {type: "users_select", selected_user: $owner}},
		due: {date: {type: "datepicker", selected_date: $due}}}')"
}

# ---- reading what the bot did ----

# question_ts N: the ts of the Nth question post (the posts that carry buttons), 1-based.
question_ts() {
	posts | jq -r --argjson n "$1" '[.[] | select(.blocks != null and
		any(.blocks[]?; .type == "actions"))][$n - 1].ts // empty'
}

# sql_q QUERY: sql on the test's database ($DB).
sql_q() { sql "$DB" "$1"; }

# ---- the cross-transport tests' transport functions (tp_run in daemon_lib.sh) ----
# Users of TP_USERS are U<NAME> (UBOB for bob); slack_tp_users registers their names.

slack_tp_users() {
	local u
	for u in $TP_USERS; do
		ctl POST "/user?id=U${u^^}&display_name=$u&real_name=$u" >/dev/null
	done
}
tp_start() { daemon_start "$1" WORKSHOPBOT_NOW="$2"; }
# _slack_mentions TEXT: "@bob" as Slack writes a mention, <@UBOB> (into TP_TEXT).
_slack_mentions() {
	local u
	TP_TEXT=$1
	for u in $TP_USERS; do TP_TEXT=${TP_TEXT//@$u/<@U${u^^}>}; done
}
tp_say() { _slack_mentions "$2" && send events_api ev_message "U${1^^}" "$TP_TEXT"; }
tp_thread() {
	_slack_mentions "$3" && send events_api ev_message "U${1^^}" "$TP_TEXT" "$2" &&
		TP_REF=$LAST_TS
}
tp_edit() { _slack_mentions "$4" && send events_api ev_edit "U${1^^}" "$2" "$TP_TEXT" "$3"; }
tp_delete() { send events_api ev_delete "U${1^^}" "$2" "$3"; }
tp_settle() { wait_acks 10; }
tp_count() { posts | jq length; }
# The posts' mrkdwn as plain text: mentions as @name, no bold or code marks, entities
# decoded; each as {ts, text} (_slack_plain) or the text alone (tp_texts).
_slack_plain() {
	posts | jq -c --argjson from "$1" --arg ch "$CHANNEL" '.[$from:][] | select(.channel == $ch)
		| {ts, text: (.text | gsub("<@U(?<id>[A-Z0-9]+)>"; "@\(.id | ascii_downcase)")
		| gsub("[*`]"; "") | gsub("&lt;"; "<") | gsub("&gt;"; ">") | gsub("&amp;"; "&"))}'
}
tp_texts() { _slack_plain "$1" | jq -c .text; }
tp_ref_of() {
	_slack_plain 0 | jq -rs --arg p "$1" '[.[] | select(.text | startswith($p))][-1].ts // empty'
}
