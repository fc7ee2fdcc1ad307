#!/usr/bin/env bash
# test_slack_crash.sh - crash safety on Slack: a scripted session (answers in the
# questions' threads, edits, action items, next) pushed as envelopes at a steady pace while
# the daemon is killed with SIGKILL at random moments (KILLS, default 10; SEED replays) and
# restarted each time. The test plays Slack: an envelope that was not acked is delivered
# again (retry_of) once the new connection is up. At every kill and at the end: every
# acked envelope's event is in the database, every answer once, as last edited, history
# consistent, every action item once, the session at the right question
# (crash_lib.sh). Slack's chat.postMessage has no idempotency key, so a post repeated after
# a kill is only counted, not failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"
. "$(dirname "$0")/crash_lib.sh"

CR_TRANSPORT=slack
cr_user() { if [ "$1" = 0 ]; then echo UFAC; else echo "U100$1"; fi; }
# The daemon's dedup key of a message is msg:CHANNEL:TS; of an edit, its event_id.
cr_say() {
	ev_message "$1" "$2" && push events_api "$PL" && CR_KEY=msg:$CHANNEL:$LAST_TS CR_REF=$LAST_TS
}
cr_thread() {
	ev_message "$1" "$3" "$2" && push events_api "$PL" && CR_KEY=msg:$CHANNEL:$LAST_TS \
		CR_REF=$LAST_TS
}
cr_edit() { ev_edit "$1" "$2" "$4" "$3" && push events_api "$PL" && CR_KEY=EvE$NEXT_TS CR_REF=$2; }
acked_events() {
	envelopes | jq -r --arg ch "$CHANNEL" '.[] | select(.acked) | .event_id // empty
		| if startswith("EvE") then . else "msg:\($ch):\(.[2:])" end'
}
cr_acked_keys() { acked_events; }
cr_can_edit() { acked_events | grep -qxF -- "$1"; }

# The envelopes of every event none of whose deliveries was acked: the latest delivery's
# envelope_id and the number of deliveries so far.
unacked() {
	envelopes | jq -r 'group_by(.event_id)[] | select(all(.[]; .acked | not))
		| "\(.[-1].envelope_id) \(length)"'
}
# redeliver_unacked: Slack's redelivery of each of them (retry_attempt = deliveries so far).
redeliver_unacked() {
	local id n
	while read -r id n; do
		[ -n "$id" ] && redeliver "$id" "$n" >/dev/null
	done < <(unacked)
	LAST_SWEEP=$(now_ms)
}
SWEEP=0
LAST_SWEEP=0
cr_restarted() { SWEEP=1; }
# Once the new connection is up, what was sent to the killed daemon and not acked is
# delivered again.
cr_pump() {
	if [ "$SWEEP" = 1 ] && [ "$(n_ready)" -ge 1 ]; then
		SWEEP=0
		redeliver_unacked
	fi
}
_drained() {
	crash_tick
	if [ -n "$(unacked)" ]; then
		# Slack redelivers after a few seconds without an ack
		[ $(($(now_ms) - LAST_SWEEP)) -lt 2000 ] || redeliver_unacked
		return 1
	fi
	[ -z "$(LC_ALL=C comm -23 <(printf '%s\n' "${ALL_KEYS[@]}" | LC_ALL=C sort -u) <(_seen_of))" ]
}
cr_drain() { wait_until "$1" _drained; }

cr_transport_checks() {
	local counts
	counts=$(posts | jq -c '[.[] | select(.text | test("^\\*?Question [0-9]+ of ")) | .text
		| capture("Question (?<n>[0-9]+) of").n | tonumber] | group_by(.) | map(length)')
	check_eq "every question up to the open one ($((N_NEXT + 1))) was posted" "$((N_NEXT + 1))" \
		"$(jq length <<<"$counts")"
	echo "# question posts repeated after a kill (no idempotency in chat.postMessage):" \
		"$(jq '[.[] | select(. > 1)] | length' <<<"$counts")"
}

fake_start --max-seconds "$((1200 * TIME_SCALE))"
crash_run
crash_checks
fake_stop
check_no_tokens
finish
