#!/usr/bin/env bash
# test_matrix_direct.sh - reminders by direct message over Matrix, the real daemon against
# the fake homeserver, one daemon run per simulated day (WORKSHOPBOT_NOW frozen: each run
# sends what is due when it starts, then the test acts, then SIGTERM):
#   Sun 11-29  a session; bob types `!ws dm on`; #1 and #2 for bob, #3 for carol, all due
#              Thu 12-03
#   Tue 12-01  the early reminders: bob's two items in one message in a direct room the
#              bot creates (createRoom, is_direct, bob invited), carol's as a mention in
#              the session's room; bob joins the direct room; a ✅ on the coalesced
#              reminder only hints; `!ws actions mine` and `!ws done 2` there
#   Thu 12-03  a restart: #1's due-day reminder in the same room (one createRoom in all),
#              nothing re-sent; a ✅ on it closes #1 and cancels its reminders
#   Mon 12-07  remind_by = direct: carol's overdue reminder in a direct room of her own
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local   # the facilitator
BOB=@bob:fake.local       # dm on
CAROL=@carol:fake.local   # reminders in the room
DB=$T/ws.db
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" --arg bot "$BOT" \
	'{members: [$a, $b, $c, $bot], name: "Workshop", power_levels: {users: {($a): 100}}}')"
side_room_create

# ---- Sun 11-29: the session ----
day_start 2026-11-29T09:00:00Z
say "$ALICE" '!ws start'
say "$BOB" '!ws dm on'
say "$ALICE" "!ws action Call the food bank $BOB by 2026-12-03"
say "$ALICE" "!ws action Book the room $BOB by 2026-12-03"
say "$ALICE" "!ws action Print the flyers $CAROL by 2026-12-03"
check "the commands are handled" sync_point
check "!ws dm on is confirmed" notice_in "$ROOM" "You will get reminders by direct message"
check_eq "the three action items are added" 3 "$(sql_q "SELECT count(*) FROM action_items")"
day_end
check_eq "no direct room is created before a reminder" 0 "$(n_create_room)"

# ---- Tue 12-01: the early reminders ----
day_start 2026-12-01T09:00:00Z
DM=$(direct_room_of "$BOB")
check_eq "one createRoom, remembered as bob's direct room" "1 true" \
	"$(n_create_room) $([ -n "$DM" ] && echo true)"
check_eq "the room is direct: the bot joined, bob invited with is_direct" '["join","invite",true]' \
	"$(ctl GET "/timeline?room=$(enc "$DM")" | jq -c --arg b "$BOB" '.events | [(.[] | select(.type == "m.room.member" and .state_key == "@bot:fake.local") | .content.membership),
		(.[] | select(.type == "m.room.member" and .state_key == $b) | .content.membership, .content.is_direct)]')"
check_eq "bob's two items come in one message in the direct room" 1 \
	"$(bodies "$DM" | grep -c '^"Reminder for @.*bob:fake.local: 2 action items are coming up:\\n  #1 Call the food bank.*\\n  #2 Book the room')"
check_eq "... and nothing of bob's in the session's room" 0 "$(bodies | grep -c 'Reminder for @.*bob')"
check_eq "carol (no dm) is reminded in the session's room" 1 \
	"$(bodies | grep -c '^"Reminder for @.*carol:fake.local: #3 Print the flyers — due in 2 days')"
COALESCED=$(event_of "$DM" "Reminder for")

ctl_ok "bob joins the direct room" POST "/member?room=$(enc "$DM")&user=$(enc "$BOB")&membership=join"
react_in "$DM" "$BOB" "$COALESCED" "✅"
check "a ✅ on the coalesced reminder answers with a done hint for each item" \
	notice_in "$DM" "That reminder lists 2 action items"
check_eq "... naming both" 1 "$(bodies "$DM" | grep -c 'That reminder lists 2 .*!ws done 1.*!ws done 2')"
check_eq "... and closes nothing" "open open 1 1" \
	"$(status_of 1) $(status_of 2) $(jobs_of 1 pending) $(jobs_of 2 pending)"
say_in "$DM" "$BOB" '!ws actions mine'
check "!ws actions mine in the direct room lists bob's items" notice_in "$DM" "Your open action items here:"
check_eq "... #1 and #2, not carol's #3" "1 0" \
	"$(bodies "$DM" | grep 'Your open' | grep -c '#1 Call.*#2 Book') $(bodies "$DM" | grep 'Your open' | grep -c '#3')"
say_in "$DM" "$BOB" '!ws done 2'
check "!ws done 2 there is confirmed there" notice_in "$DM" "Marked done: #2 Book the room"
check_eq "#2 is done, its reminder cancelled; #1 open" "done 0 1 open" \
	"$(status_of 2) $(jobs_of 2 pending) $(jobs_of 2 cancelled) $(status_of 1)"
day_end

# ---- Thu 12-03: a restart, the due-day reminders ----
day_start 2026-12-03T09:00:00Z
check_eq "still one createRoom after the restart, the same room" "1 $DM" "$(n_create_room) $(direct_room_of "$BOB")"
check_eq "#1's due-day reminder comes in the direct room" 1 \
	"$(n_notices "$DM" "Reminder for @bob:fake.local: #1 Call the food bank — due today")"
check_eq "carol's in the session's room" 1 \
	"$(bodies | grep -c '^"Reminder for @.*carol:fake.local: #3 Print the flyers — due today')"
check_eq "nothing sent before is sent again" "1 1 1" \
	"$(n_notices "$DM" "Reminder for @bob:fake.local: 2 action") $(n_notices "$DM" "That reminder lists") $(n_notices "$DM" "Marked done")"
react_in "$DM" "$BOB" "$(event_of "$DM" "Reminder for @bob:fake.local: #1")" "✅"
check "a ✅ on the one-item reminder closes #1, confirmed in the direct room" \
	notice_in "$DM" "Marked done: #1 Call the food bank"
check_eq "#1 is done, its overdue reminder cancelled" "done 0 1" \
	"$(status_of 1) $(jobs_of 1 pending) $(jobs_of 1 cancelled)"
check_eq "carol's #3 is still open, its overdue reminder pending" "open 1" "$(status_of 3) $(jobs_of 3 pending)"
day_end

# ---- Mon 12-07: remind_by = direct ----
day_start_with_config 2026-12-07T09:00:00Z '[followup]' 'remind_by = direct'
CDM=$(direct_room_of "$CAROL")
check_eq "with remind_by = direct carol gets a direct room of her own" "2 true" \
	"$(n_create_room) $([ -n "$CDM" ] && [ "$CDM" != "$DM" ] && echo true)"
check_eq "... with her overdue reminder, not in the session's room" "1 0" \
	"$(n_notices "$CDM" "Overdue reminder for @carol:fake.local: #3 Print the flyers") $(bodies | grep -c 'Overdue')"
day_end

check_eq "no message failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state <> 'sent'")"
finish
