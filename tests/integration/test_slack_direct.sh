#!/usr/bin/env bash
# test_slack_direct.sh - reminders by direct message over Slack, the real daemon against
# the fake, one daemon run per simulated day (WORKSHOPBOT_NOW frozen: each run sends what
# is due when it starts, then the test acts, then SIGTERM):
#   Sun 11-29  a session; U222 types `!ws dm on`; #1 and #2 for U222, #3 for U333, all due
#              Thu 12-03
#   Tue 12-01  the early reminders: U222's two items in one direct message (the IM opened
#              with conversations.open), U333's as a mention in the channel; a ✅ on the
#              coalesced reminder only hints; `!ws actions mine` and `!ws done 2` in the DM
#   Thu 12-03  a restart: #1's due-day reminder in the same IM (no second
#              conversations.open), nothing re-sent; a ✅ on it closes #1 and cancels its
#              reminders
#   Mon 12-07  remind_by = direct: U333's overdue reminder by direct message too
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
IM=DU222        # the fake's IM channel of U222 (conversations.open: "D" + the user id)
fake_start

# ---- Sun 11-29: the session ----
day_start 2026-11-29T09:00:00Z
send slash_commands slash U111 start
send events_api ev_message U222 '!ws dm on'
send slash_commands slash U111 'action Call the food bank <@U222> by 2026-12-03'
send slash_commands slash U111 'action Book the room <@U222> by 2026-12-03'
send slash_commands slash U111 'action Print the flyers <@U333> by 2026-12-03'
wait_acks 10
check "!ws dm on is confirmed to U222 alone" wait_message \
	"$(ephemeral_to C111 U222 '.text | startswith("You will get reminders by direct message")')"
check "the three action items are added" wait_until 10 count_is 3 sql_q "SELECT count(*) FROM action_items"
check_eq "U222's choice is stored" "slack|U222|1" "$(sql_q "SELECT transport, user_id, direct FROM member_prefs")"
day_end
check_eq "no direct channel is opened before a reminder" 0 "$(api_count conversations.open)"

# ---- Tue 12-01: the early reminders ----
day_start 2026-12-01T09:00:00Z
check_eq "conversations.open is called once, for U222" '[{"users":"U222"}]' \
	"$(ctl GET '/log?kind=api' | jq -c '[.[] | select(.method == "conversations.open") | .body | fromjson? // .]')"
check_eq "the IM is remembered" "slack|U222|$IM" "$(sql_q "SELECT transport, user_id, channel FROM direct_channels")"
check_eq "U222's two items come in one direct message in the IM" 1 \
	"$(n_messages "$(posted_in "$IM" '.text | startswith("Reminder for <@U222>: 2 action items are coming up") and contains("#1* Call the food bank") and contains("#2* Book the room")')")"
check_eq "... and nothing of U222's in the channel" 0 \
	"$(n_messages "$(posted_in C111 '.text | startswith("Reminder") and (contains("U222") or contains("#1*"))')")"
check_eq "U333 (no dm) is reminded in the channel" 1 \
	"$(n_messages "$(posted_in C111 '.text | startswith("Reminder for <@U333>: *#3* Print the flyers — due in 2 days")')")"
check_eq "the reminders remember what they list" "1 2|3" \
	"$(sql_q "SELECT group_concat(ids, '|') FROM (SELECT group_concat(action_id, ' ') AS ids FROM outbox_actions GROUP BY outbox_id ORDER BY outbox_id)")"
COALESCED=$(ts_of "$(posted_in "$IM" '.text | contains("2 action items")')")

send events_api ev_reaction U222 white_check_mark "$COALESCED" "$IM"
check "a ✅ on the coalesced reminder answers with a done hint for each item" wait_message \
	"$(ephemeral_to "$IM" U222 '.text | startswith("That reminder lists 2 action items") and contains("!ws done 1") and contains("!ws done 2")')"
check_eq "... and closes nothing" "open open" "$(status_of 1) $(status_of 2)"
check_eq "... their due-day reminders stay pending" "1 1" "$(jobs_of 1 pending) $(jobs_of 2 pending)"

send events_api ev_dm U222 "$IM" '!ws actions mine'
check "!ws actions mine in the IM lists U222's items" wait_message \
	"$(ephemeral_to "$IM" U222 '.text | startswith("*Your open action items here:*") and contains("#1* Call the food bank") and contains("#2* Book the room") and (contains("#3") | not)')"
send events_api ev_dm U222 "$IM" '!ws done 2'
check "!ws done 2 in the IM is confirmed there" wait_message \
	"$(posted_in "$IM" '.text | startswith("Marked done: *#2* Book the room")')"
check_eq "#2 is done, #1 still open" "done open" "$(status_of 2) $(status_of 1)"
check_eq "#2's pending reminder is cancelled" "0 1" "$(jobs_of 2 pending) $(jobs_of 2 cancelled)"
check "every envelope of the day is acked" wait_acks 10
day_end

# ---- Thu 12-03: a restart, the due-day reminders ----
n_before=$(messages | jq length)
day_start 2026-12-03T09:00:00Z
today() { messages | jq -c --argjson n "$n_before" '.[$n:]'; }
check_eq "no second conversations.open after the restart (the IM is remembered)" 1 \
	"$(api_count conversations.open)"
check_eq "the day's messages: #1's reminder in the same IM, #3's in the channel" \
	"[[\"C111\",\"Reminder for <@U333>: *#3* Print the flyers — due today, Thu 2026-12-03.\"],[\"$IM\",\"Reminder for <@U222>: *#1* Call the food bank — due today, Thu 2026-12-03.\"]]" \
	"$(today | jq -c 'map([.channel, (.text | sub(" When it is done.*"; ""))]) | sort')"
check_eq "nothing sent before is sent again (one coalesced reminder, one confirmation)" "1 1" \
	"$(n_messages "$(posted_in "$IM" '.text | contains("2 action items")')") $(n_messages "$(posted_in "$IM" '.text | startswith("Marked done")')")"
DUE1=$(ts_of "$(posted_in "$IM" '.text | startswith("Reminder for <@U222>: *#1*")')")
send events_api ev_reaction U222 white_check_mark "$DUE1" "$IM"
check "a ✅ on the one-item reminder closes it, confirmed in the IM" wait_message \
	"$(posted_in "$IM" '.text | startswith("Marked done: *#1* Call the food bank")')"
check_eq "#1 is done in the database" done "$(status_of 1)"
check_eq "#1's later (overdue) reminder is cancelled" "0 1" "$(jobs_of 1 pending) $(jobs_of 1 cancelled)"
check_eq "U333's #3 is still open, its overdue reminder pending" "open 1" "$(status_of 3) $(jobs_of 3 pending)"
check "every envelope of the day is acked" wait_acks 10
day_end

# ---- Mon 12-07: remind_by = direct ----
day_start_with_config 2026-12-07T09:00:00Z '[followup]' 'remind_by = direct'
check_eq "with remind_by = direct U333's overdue reminder opens U333's IM" 2 "$(api_count conversations.open)"
check_eq "... and goes there, not to the channel" "1 0" \
	"$(n_messages "$(posted_in DU333 '.text | startswith("Overdue reminder for <@U333>: *#3* Print the flyers")')") $(n_messages "$(posted_in C111 '.text | startswith("Overdue reminder")')")"
check_eq "nothing for the done items #1 and #2" 0 "$(n_messages '.text | startswith("Overdue") and (contains("#1") or contains("#2"))')"
day_end

check_eq "no message failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state <> 'sent'")"
fake_stop
finish
