#!/usr/bin/env bash
# test_matrix_async_dm.sh - an async session asked by direct message over Matrix, the real
# daemon against the fake homeserver, one daemon run per simulated moment (WORKSHOPBOT_NOW
# frozen); the Matrix side of test_slack_async_dm.sh:
#   Mon 12-07 08:00  bob (`!ws dm on` first) starts `async daily 09:00`: section 1 in the
#                    room and in a direct room the bot creates
#                    (one createRoom, is_direct); bob joins it and answers both questions
#                    by plain messages there, edits the first, redacts the second and
#                    answers it again; dave makes a direct chat himself and invites the
#                    bot (is_direct): the bot joins, it is dave's direct room, `!ws dm on`
#                    there brings section 1 there, and his message answers question 1;
#                    bob's own direct chat is joined too, but his first direct room is
#                    kept; `who` counts bob's answers
#   Mon 12-07 15:00  the nudge: dave's in his direct room, none for bob, the room's names
#                    alice and carol only
#   Tue 12-08 09:00  section 2 by DM in the same rooms (still one createRoom); bob answers
#                    question 3 there
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local   # answers nothing
BOB=@bob:fake.local       # the facilitator, dm on: a direct room the bot makes
CAROL=@carol:fake.local   # answers nothing
DAVE=@dave:fake.local     # makes his own direct chat with the bot
DB=$T/ws.db
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" --arg d "$DAVE" --arg bot "$BOT" \
	'{members: [$a, $b, $c, $d, $bot], name: "Workshop", power_levels: {users: {($b): 100}}}')"
side_room_create

# direct_chat USER: USER makes a room of their own and invites the bot with is_direct, as a
# client's "start a direct chat" does; DCHAT is the room.
direct_chat() {
	ctl_ok "$1 makes a room" POST /room "$(jq -cn --arg u "$1" '{members: [$u], name: "DM"}')"
	DCHAT=$(jq -r .room_id <<<"$CTL")
	ctl_ok "$1 invites the bot to a direct chat" POST "/invite?room=$(enc "$DCHAT")&sender=$(enc "$1")&direct=true"
}
# in_room ROOM JQ: some bot message in ROOM has a body satisfying JQ (waited for).
in_room() { wait_notice "(.content.body | $2)" 15 "$1"; }
# edit_in / redact_in ROOM USER ...: edit and redact in another room than ROOM.
edit_in() { ev_edit "$2" "$3" "$4" && post "$EV" "$1"; }
redact_in() { ev_redact "$2" "$3" && post "$EV" "$1"; }

# ---- Mon 12-07 08:00: the session, section 1 ----
day_start 2026-12-07T08:00:00Z
say "$BOB" '!ws dm on'
say "$BOB" '!ws start async daily 09:00'
say "$ALICE" 'good morning'
say "$CAROL" 'hello'
say "$DAVE" 'hi all'
check "the commands are handled" sync_point
check "a direct room is made for bob" wait_until 15 count_ge 1 n_create_room
check "... and recorded" wait_until 10 not count_is "" direct_room_of "$BOB"
DM=$(direct_room_of "$BOB")
check_eq "one createRoom, remembered as bob's direct room" "1 true" \
	"$(n_create_room) $([ -n "$DM" ] && echo true)"
check "bob gets section 1 there, every question in full" in_room "$DM" \
	'startswith("Section 1 of 7") and contains("Question 1 of 22") and contains("Question 2 of 22") and contains("Reply here: each message answers your next unanswered question")'
ctl_ok "bob joins the direct room" POST "/member?room=$(enc "$DM")&user=$(enc "$BOB")&membership=join"
say_in "$DM" "$BOB" 'Learn from peers'
FIRST=$EV_ID
say_in "$DM" "$BOB" 'Plan together'
SECOND=$EV_ID
check "bob's messages are handled" settle
check_eq "bob's plain messages in the direct room answer questions 1 and 2" \
	"Learn from peers|Plan together" "$(answer_of "$BOB" goals-personal)|$(answer_of "$BOB" goals-team)"
edit_in "$DM" "$BOB" "$FIRST" 'Learn from peers and neighbours'
check "an edit (m.replace) there updates the answer to question 1" wait_until 10 \
	count_is "Learn from peers and neighbours" answer_of "$BOB" goals-personal
redact_in "$DM" "$BOB" "$SECOND"
check "a redaction there withdraws the answer to question 2" wait_until 10 \
	count_is "1" sql_q "SELECT count(*) FROM answers WHERE user_id = '$BOB' AND prompt_id = 'goals-team' AND withdrawn = 1"
say_in "$DM" "$BOB" 'Plan as a team'
check "... and the next message answers it again" wait_until 10 \
	count_is "Plan as a team" answer_of "$BOB" goals-team

direct_chat "$DAVE"
DDM=$DCHAT
check "the bot joins the direct chat dave made" wait_until 10 bot_joined "$DDM"
check "... and records it as dave's direct room" wait_until 10 count_is "$DDM" direct_room_of "$DAVE"
say_in "$DDM" "$DAVE" '!ws dm on'
check "!ws dm on there is confirmed there" in_room "$DDM" 'startswith("You will get reminders by direct message")'
check "... and section 1 comes there at once" in_room "$DDM" \
	'startswith("Section 1 of 7") and contains("Question 2 of 22")'
say_in "$DDM" "$DAVE" 'Meet our neighbours'
check "dave's message there answers question 1" wait_until 10 \
	count_is "Meet our neighbours" answer_of "$DAVE" goals-personal

direct_chat "$BOB"
check "the bot joins a direct chat bob made too" wait_until 10 bot_joined "$DCHAT"
check_eq "... but keeps bob's first direct room, and says so in its log" "$DM 1" \
	"$(direct_room_of "$BOB") $(grep -c "$BOB invited the bot to the direct chat $DCHAT, but already has the direct room $DM" "$DERR")"

say "$CAROL" '!ws who'
check "who counts bob's answers: it names alice, carol and dave, not bob" wait_notice \
	'(.content.body | startswith("Not answered every question") and contains("alice") and contains("carol") and contains("dave") and (contains("bob") | not))'
check_eq "the session's answers, with their prompt ids" \
	"$BOB|goals-personal|Learn from peers and neighbours|0 $BOB|goals-team|Plan as a team|0 $DAVE|goals-personal|Meet our neighbours|0" \
	"$(sql_q "SELECT user_id, prompt_id, text, withdrawn FROM answers WHERE session_id = 1 ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
day_end

# ---- Mon 12-07 15:00: the nudge ----
day_start 2026-12-07T15:00:00Z
check_eq "dave's nudge comes in his direct room, none to bob" "1 0" \
	"$(n_notices "$DDM" "A nudge for section 1") $(n_notices "$DM" "A nudge for section 1")"
check_eq "... naming question 2" 1 "$(bodies "$DDM" | grep -c 'A nudge for section 1 .*not answered yet: 2\.')"
check_eq "the room's nudge names alice (1, 2) and carol (1, 2) only" \
	'["A nudge for section 1 (What are your goals for viewing this webinar?): not answered yet: @alice:fake.local (1, 2), @carol:fake.local (1, 2)."]' \
	"$(notices | jq -c '[.[].content.body | select(startswith("A nudge")) | sub(" Reply.*"; "")]')"
day_end

# ---- Tue 12-08 09:00: section 2 ----
day_start 2026-12-08T09:00:00Z
check_eq "section 2 comes to bob and dave in their direct rooms; still one createRoom" "1 1 1" \
	"$(n_notices "$DM" "Section 2 of 7") $(n_notices "$DDM" "Section 2 of 7") $(n_create_room)"
check_eq "... with questions 3 to 5" 1 "$(bodies "$DM" | grep -c '^"Section 2 of 7.*Question 3 of 22.*Question 5 of 22')"
say_in "$DM" "$BOB" '1, 3'
check "bob's message in the direct room lands on question 3 (key-terms-used)" wait_until 10 \
	count_is "1, 3" answer_of "$BOB" key-terms-used
day_end

check_eq "no message failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state <> 'sent'")"
finish
