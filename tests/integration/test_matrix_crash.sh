#!/usr/bin/env bash
# test_matrix_crash.sh - crash safety on Matrix: a scripted session (answers in the
# questions' threads, edits, action items, next) posted as room events at a steady pace
# while the daemon is killed with SIGKILL at random moments (KILLS, default 10; SEED
# replays) and restarted each time. Acknowledged: the events of every /sync batch whose
# next_batch the daemon later synced from (the fake's log, and the syncs it holds). At
# every kill and at the end every acknowledged event is in the database; at the end every
# answer once, as last edited, history consistent, every action item once, the session at
# the right question (crash_lib.sh); and no message posted twice: every txnId applied
# once, one bot event per transaction, each question posted once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"
. "$(dirname "$0")/crash_lib.sh"

CR_TRANSPORT=matrix
cr_user() { if [ "$1" = 0 ]; then echo @fac:fake.local; else echo "@m$1:fake.local"; fi; }
cr_say() { say "$1" "$2" && CR_KEY=$EV_ID CR_REF=$EV_ID; }
cr_thread() { thread "$1" "$2" "$3" && CR_KEY=$EV_ID CR_REF=$EV_ID; }
cr_edit() { edit "$1" "$2" "$4" && CR_KEY=$EV_ID CR_REF=$2; }
cr_can_edit() { true; }
cr_restarted() { :; }
cr_pump() { :; }

# The events of the sync batches whose next_batch a later /sync (answered, or held now)
# started from: a token s<N>_<serial> stands for stream position N, and a held sync shows
# its since as N.
cr_acked_keys() {
	jq -rn --argjson held "$(state | jq -c '[.held[].since // empty]')" '
		def pos: capture("^s(?<n>[0-9]+)_").n | tonumber;
		[inputs | select(.kind == "api" and .endpoint == "sync")] as $s
		| ([$s[] | .sync.since // empty | pos] + $held | max // -1) as $from
		| $s[] | select(.next_batch != null and (.next_batch | pos) <= $from)
		| .response.rooms.join[]?.timeline.events[]?.event_id' "$T/fake-1.jsonl"
}
_drained() {
	crash_tick
	handled "${ALL_KEYS[@]}" &&
		[ -z "$(LC_ALL=C comm -23 <(printf '%s\n' "${ALL_KEYS[@]}" | LC_ALL=C sort -u) \
			<(cr_acked_keys | LC_ALL=C sort -u))" ]
}
cr_drain() { wait_until "$1" _drained; }

cr_transport_checks() {
	local s
	wait_until 15 outbox_idle
	s=$(sent)
	check_eq "every transaction was applied exactly once (a retried txnId is replayed)" "true" \
		"$(jq 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' <<<"$s")"
	check_eq "one event of the bot per transaction (txnId) in the room" "$(jq length <<<"$s")" \
		"$(ctl GET "/timeline?room=$(enc "$ROOM")" | jq --arg b "$BOT" \
			'[.events[] | select(.sender == $b and .type != "m.room.member")] | length')"
	check_eq "one transaction per outbox message (txnId wb<id>)" "$(jq length <<<"$s")" \
		"$(jq '[.[].txn_id] | unique | length' <<<"$s")"
	check_eq "each question up to the open one ($((N_NEXT + 1))) was posted exactly once" \
		"$(seq 1 $((N_NEXT + 1)) | jq -sc 'map([., 1])')" \
		"$(notices | jq -c '[.[] | select(.content["m.relates_to"] == null) | .content.body
			| capture("^Question (?<n>[0-9]+) of").n | tonumber] | group_by(.)
			| map([.[0], length])')"
	echo "# sends received more than once (retries after a kill):" \
		"$(jq '[.[] | select(.received > 1)] | length' <<<"$s")"
}

fake_start --max-seconds "$((1200 * TIME_SCALE))"
members=("$(cr_user 0)" "$BOT")
for ((i = 1; i <= CRASH_MEMBERS; i++)); do members+=("$(cr_user "$i")"); done
room_create "$(jq -cn '{members: $ARGS.positional}' --args "${members[@]}")"
crash_run
crash_checks
finish
