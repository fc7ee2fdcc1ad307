#!/usr/bin/env bash
# test_slack_async_dm.sh - an async session asked by direct message over Slack, the real
# daemon against the fake, one daemon run per simulated moment (WORKSHOPBOT_NOW frozen):
#   Mon 12-07 08:00  U111 (`!ws dm on` first) starts `async daily 09:00`: section 1 in
#                    the channel and by DM to U111; U222 turns dm on mid-section and gets
#                    it at once; U222 answers both questions by plain messages in the IM;
#                    U444 writes to the bot first (an IM the bot never opened) and answers
#                    there; `who` leaves U222 out
#   Mon 12-07 15:00  the nudge: U111's by DM, the channel's names U333 and U444 only
#   Tue 12-08 09:00  section 2 by DM; U222 answers question 3 in the IM, then edits it
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start

# ---- Mon 12-07 08:00: the session, section 1 ----
day_start 2026-12-07T08:00:00Z
send events_api ev_message U111 '!ws dm on'
wait_acks 10
send slash_commands slash U111 'start async daily 09:00'
check "U111 gets section 1 by direct message, every question in full" wait_message \
	"$(posted_in DU111 '.text | startswith("*Section 1 of 7") and contains("(session #1 in C111)") and contains("Question 1 of 22") and contains("Question 2 of 22") and contains("Reply here: each message answers your next unanswered question")')"
send events_api ev_message U222 '!ws dm on'
check "U222 turns dm on mid-section and gets section 1 at once" wait_message \
	"$(posted_in DU222 '.text | startswith("*Section 1 of 7") and contains("Question 2 of 22")')"
send events_api ev_dm U222 DU222 'Learn from peers'
send events_api ev_dm U222 DU222 'Plan together'
send events_api ev_message U333 'hello'
send events_api ev_message U444 'hi all'
send events_api ev_dm U444 DU444 'Meet our neighbours'
wait_acks 10
check_eq "U222's plain messages in the IM are their answers to questions 1 and 2" \
	"Learn from peers|Plan together" "$(answer_of U222 goals-personal)|$(answer_of U222 goals-team)"
reacted_in() { ctl GET /reactions | jq -c '[.[].channel]'; }
check "... each confirmed with a reaction in the IM (and U444's in theirs)" wait_until 10 \
	count_is '["DU222","DU222","DU444"]' reacted_in
check_eq "the IM U444 opened is recorded as theirs, and their message answers question 1" \
	"DU444|Meet our neighbours" "$(sql_q "SELECT channel FROM direct_channels WHERE user_id = 'U444'")|$(answer_of U444 goals-personal)"
send events_api ev_message U333 '!ws who'
check "who leaves U222 out (answered by DM)" wait_message \
	"$(ephemeral_to C111 U333 '.text | startswith("Not answered every question") and contains("U111") and contains("U333") and contains("U444") and (contains("U222") | not)')"
check "every envelope of the day is acked" wait_acks 10
day_end

# ---- Mon 12-07 15:00: the nudge ----
n_before=$(messages | jq length)
day_start 2026-12-07T15:00:00Z
today() { messages | jq -c --argjson n "$n_before" '.[$n:]'; }
check_eq "U111's nudge comes by DM; the channel's names U333 (1, 2) and U444 (2) only" \
	'[["C111","A nudge for section 1 (What are your goals for viewing this webinar?): not answered yet: <@U333> (1, 2), <@U444> (2)."],["DU111","A nudge for section 1 (What are your goals for viewing this webinar?) (session #1 in C111): not answered yet: 1, 2."]]' \
	"$(today | jq -c 'map([.channel, (.text | sub(" Reply.*"; ""))]) | sort')"
day_end

# ---- Tue 12-08 09:00: section 2 ----
day_start 2026-12-08T09:00:00Z
check_eq "section 2 comes by DM to U111 and U222, with questions 3 to 5" "1 1" \
	"$(n_messages "$(posted_in DU111 '.text | startswith("*Section 2 of 7") and contains("Question 5 of 22")')") $(n_messages "$(posted_in DU222 '.text | startswith("*Section 2 of 7") and contains("Question 3 of 22") and contains("Question 5 of 22")')")"
send events_api ev_dm U222 DU222 '1, 3'
EDIT_TS=$LAST_TS
wait_acks 10
check_eq "U222's IM answer lands on question 3 (key-terms-used)" "1, 3" \
	"$(answer_of U222 key-terms-used)"
CHANNEL=DU222 send events_api ev_edit U222 "$EDIT_TS" '1, 3, 5'
check "an edit of that message in the IM updates the answer" wait_until 10 \
	count_is "1, 3, 5" answer_of U222 key-terms-used
check "every envelope of the day is acked" wait_acks 10
day_end

check_eq "no message failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state <> 'sent'")"
fake_stop
check_no_tokens
finish
