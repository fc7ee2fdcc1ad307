#!/usr/bin/env bash
# test_slack_workshop.sh - a whole workshop over Slack, the real daemon against the fake:
# /workshop start, thread answers, an edit and a deletion, the Answer modal (text and
# checklist), a checklist answered in a thread, next refused to a non-facilitator and done
# by the facilitator (command and button), action items by command and by modal, the
# report, ✅ reactions, every envelope acked; then the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start
daemon_start_ready "$DB"

# ref_known INDEX: the daemon recorded the ts of question INDEX's post (a thread reply
# can only be matched to the question after that).
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
prompt_index() { sql_q "SELECT prompt_index FROM sessions WHERE id = 1"; }

# ---- start ----
send slash_commands slash U111 start
start_id=$ENV_ID
wait_ack "$start_id"
check "/workshop start is acked" is_acked "$start_id"
lat=$(ack_latency "$start_id")
if [ -n "$lat" ] && [ "$lat" -lt 3000 ]; then ok "the slash command is acked within 3 s ($lat ms)"; else not_ok "the slash command is acked within 3 s" "took '$lat' ms"; fi
wait_posts 2
p=$(posts)
check_eq "the welcome is posted first" "true" \
	"$(jq '.[0].text | contains("Community Engagement") and contains("Session #1")' <<<"$p")"
check_eq "the welcome carries no buttons" "0" \
	"$(jq '[.[0].blocks // [] | .[] | select(.type == "actions")] | length' <<<"$p")"
check_eq "question 1 is posted second" "true" \
	"$(jq '.[1].text | startswith("*Question 1 of 22")' <<<"$p")"
check_eq "question 1 carries the Answer, Next and Skip buttons for session 1, prompt 0" \
	'[["ws_answer","Answer","1:0"],["ws_next","Next","1:0"],["ws_skip","Skip","1:0"]]' \
	"$(jq -c '[.[1].blocks[] | select(.type == "actions") | .elements[] | [.action_id, .text.text, .value]]' <<<"$p")"
Q1=$(question_ts 1)
check "the daemon recorded question 1's ts" wait_until 10 ref_known 0

# ---- thread answers from three users ----
send events_api ev_message U222 'first answer' "$Q1"; ts222=$LAST_TS
send events_api ev_message U333 'answer from U333' "$Q1"; ts333=$LAST_TS
send events_api ev_message U444 'answer from U444' "$Q1"; ts444=$LAST_TS
check "the three thread answers are acked" wait_acks 10
check_eq "the three thread answers are stored as typed" \
	"U222|first answer|0
U333|answer from U333|0
U444|answer from U444|0" \
	"$(sql_q "SELECT user_id, text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' ORDER BY user_id")"
has_reaction() {
	ctl GET /reactions | jq -e --arg ts "$1" \
		'any(.[]; .timestamp == $ts and .name == "white_check_mark" and .channel == "C111")' >/dev/null
}
check "U222's answer gets a ✅ reaction" wait_until 10 has_reaction "$ts222"
check "U333's answer gets a ✅ reaction" wait_until 10 has_reaction "$ts333"
check "U444's answer gets a ✅ reaction" wait_until 10 has_reaction "$ts444"

# ---- edits and deletions ----
send events_api ev_edit U222 "$ts222" 'edited answer' "$Q1"
wait_acks 10
check_eq "an edit updates the answer" "edited answer" \
	"$(sql_q "SELECT text FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U222'")"
check_eq "the earlier text is kept in the history" "first answer|replaced" \
	"$(sql_q "SELECT h.text, h.reason FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = 'U222' AND a.prompt_id = 'goals-personal' ORDER BY h.id")"
send events_api ev_edit U222 "$ts222" 'edited twice' "$Q1"
wait_acks 10
check_eq "a second edit of the same message updates the answer again" "edited twice" \
	"$(sql_q "SELECT text FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U222'")"
check_eq "both earlier texts are in the history" "first answer|edited answer" \
	"$(sql_q "SELECT group_concat(h.text, '|') FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = 'U222' AND a.prompt_id = 'goals-personal' ORDER BY h.id")"
send events_api ev_delete U333 "$ts333" "$Q1"
wait_acks 10
check_eq "a deletion withdraws the answer" "1" \
	"$(sql_q "SELECT withdrawn FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U333'")"
check_eq "the withdrawn answer stays in the history" "answer from U333|retracted" \
	"$(sql_q "SELECT h.text, h.reason FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = 'U333' ORDER BY h.id")"
send events_api ev_edit U444 "$ts444" 'U444 edited' "$Q1"
send events_api ev_delete U444 "$ts444" "$Q1"
wait_acks 10
check_eq "deleting an edited answer withdraws it" "U444 edited|1" \
	"$(sql_q "SELECT text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U444'")"
# Someone deleting a message that is not theirs (previous_message.user differs) withdraws nothing.
send events_api ev_delete U999 "$ts222" "$Q1"
wait_acks 10
check_eq "a deletion by someone else withdraws nothing" "0" \
	"$(sql_q "SELECT withdrawn FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U222'")"

# ---- the Answer modal (text) ----
view_by_trigger() { ctl GET /views | jq -c --arg t "$1" '[.[] | select(.trigger_id == $t)][0] // empty'; }
has_view() { [ -n "$(view_by_trigger "$1")" ]; }
send interactive button U555 ws_answer 1:0 "$Q1"
trig=$LAST_TRIG
check "pressing Answer opens a modal (views.open with the button's trigger_id)" wait_until 10 has_view "$trig"
v=$(view_by_trigger "$trig")
check_eq "the modal is the answer form for question 1" \
	'["views.open","ws_answer","1:0:C111","Question 1 of 22"]' \
	"$(jq -c '[.method, .view.callback_id, .view.private_metadata, .view.title.text]' <<<"$v")"
check_eq "the modal asks question 1 in a text input" \
	'["What are your goals for viewing this webinar?","plain_text_input","answer","text"]' \
	"$(jq -c '[.view.blocks[0].label.text, .view.blocks[0].element.type, .view.blocks[0].block_id, .view.blocks[0].element.action_id]' <<<"$v")"
send interactive form_answer U555 "$(jq -r .view.private_metadata <<<"$v")" 'answer from the modal'
check "the view_submission is acked" wait_acks 10
check_eq "the modal's answer is stored" "answer from the modal" \
	"$(sql_q "SELECT text FROM answers WHERE prompt_id = 'goals-personal' AND user_id = 'U555'")"

# ---- next: refused to a non-facilitator, done by the facilitator ----
n_updates_before=$(n_method chat.update)
send slash_commands slash U222 next
send interactive button U333 ws_next 1:0 "$Q1"
wait_acks 10
check_eq "next by a non-facilitator moves nothing" "0" "$(prompt_index)"
refused_to() {
	messages | jq -e --arg u "$1" 'any(.[]; .method == "chat.postEphemeral" and .user == $u and
		(.text | contains("only the facilitator")))' >/dev/null
}
check "/workshop next by a non-facilitator gets an ephemeral refusal" wait_until 15 refused_to U222
check "the Next button by a non-facilitator gets an ephemeral refusal" wait_until 15 refused_to U333
check_eq "the refusals are not posted to the channel" "0" \
	"$(posts | jq '[.[] | select(.text | contains("only the facilitator"))] | length')"
check_eq "no question was closed by the refused next" "$n_updates_before" "$(n_method chat.update)"

send slash_commands slash U111 next
wait_acks 10
check_eq "next by the facilitator moves to question 2" "1" "$(prompt_index)"
updated_closed() {
	messages | jq -e --arg ts "$1" 'any(.[]; .method == "chat.update" and .ts == $ts and
		(.text | contains("(closed)")))' >/dev/null
}
check "chat.update marks question 1 closed" wait_until 15 updated_closed "$Q1"
check "question 2 is posted" wait_until 15 ref_known 1
Q2=$(question_ts 2)
check_eq "question 2's post is the next question" "true" \
	"$(posts | jq --arg ts "$Q2" '[.[] | select(.ts == $ts)][0].text | startswith("*Question 2 of 22")')"
check_eq "the closed question 1 has no buttons any more" "0" \
	"$(messages | jq --arg ts "$Q1" '[.[] | select(.method == "chat.update" and .ts == $ts) | .blocks[]? | select(.type == "actions")] | length')"

# The facilitator's Next button on question 2 moves on to question 3 (a checklist).
send interactive button U111 ws_next 1:1 "$Q2"
wait_acks 10
check_eq "the facilitator's Next button moves to question 3 (prompt 3)" "3" "$(prompt_index)"
check "question 3 is posted" wait_until 20 ref_known 3
check "chat.update marks question 2 closed" wait_until 15 updated_closed "$Q2"
Q3=$(question_ts 3)
check_eq "question 3 is the key-terms checklist with its options" "true" \
	"$(posts | jq --arg ts "$Q3" '[.[] | select(.ts == $ts)][0].text | startswith("*Question 3 of 22") and contains("3. Outreach")')"

# ---- a checklist: in the thread, and by the modal's checkboxes ----
send events_api ev_message U222 '1, 3' "$Q3"; tsq3=$LAST_TS
wait_acks 10
check_eq "a checklist answered in the thread stores the options picked" \
	'1, 3|["Community analysis","Outreach"]' \
	"$(sql_q "SELECT text, choices FROM answers WHERE prompt_id = 'key-terms-used' AND user_id = 'U222'")"
check "the checklist answer gets a ✅ reaction" wait_until 10 has_reaction "$tsq3"
send interactive button U333 ws_answer 1:3 "$Q3"
trig=$LAST_TRIG
check "Answer on the checklist opens a modal" wait_until 10 has_view "$trig"
v=$(view_by_trigger "$trig")
check_eq "the checklist modal has the 7 options as checkboxes" \
	'["checkboxes",7,"Community analysis","Equality","1:3:C111"]' \
	"$(jq -c '[.view.blocks[0].element.type, (.view.blocks[0].element.options | length), .view.blocks[0].element.options[0].value, .view.blocks[0].element.options[6].value, .view.private_metadata]' <<<"$v")"
send interactive form_choices U333 "$(jq -r .view.private_metadata <<<"$v")" Equity Marketing
wait_acks 10
check_eq "the modal's checkboxes are stored (in option order)" '["Marketing","Equity"]' \
	"$(sql_q "SELECT choices FROM answers WHERE prompt_id = 'key-terms-used' AND user_id = 'U333'")"

# ---- action items: by command, by the action-item modal ----
send slash_commands slash U222 'action Call the food bank <@U456> by friday'
wait_acks 10
check_eq "/workshop action stores what, owner and due date" "Call the food bank|U456|2026-12-04|open|U222" \
	"$(sql_q "SELECT text, owner, due_date, status, created_by FROM action_items ORDER BY id LIMIT 1")"
send interactive button U444 ws_answer 1:21 "$Q3"
trig=$LAST_TRIG
check "Answer on the action-items question opens a modal" wait_until 10 has_view "$trig"
v=$(view_by_trigger "$trig")
check_eq "it is the action-item form: what, a user picker, a date picker" \
	'["ws_action_item","what","owner","users_select","due","datepicker"]' \
	"$(jq -c '[.view.callback_id, .view.blocks[0].block_id, .view.blocks[1].block_id, .view.blocks[1].element.type, .view.blocks[2].block_id, .view.blocks[2].element.type]' <<<"$v")"
send interactive form_action U444 "$(jq -r .view.private_metadata <<<"$v")" 'Book the community room' U789 2026-12-15
wait_acks 10
check_eq "the modal's action item is stored with its owner and date" \
	"Book the community room|U789|2026-12-15|open|U444" \
	"$(sql_q "SELECT text, owner, due_date, status, created_by FROM action_items ORDER BY id LIMIT 1 OFFSET 1")"

# ---- the report ----
send slash_commands slash U444 report
wait_acks 10
# The report: the post that starts "Summary of session #1" and any parts after it (a long
# post is split).
report_text() {
	posts | jq -r '. as $p | ([.[] | .text | startswith("*Summary of session #1")] | index(true)) as $i
		| if $i == null then "" else [$p[$i:][] | .text] | join("\n") end'
}
report_complete() { report_text | grep -qF 'Book the community room'; }
check "/workshop report is posted in the channel" wait_until 20 report_complete
report_text >"$T/report.txt"
check_grep "the report has the edited answer" "$T/report.txt" "edited twice"
check_grep "the report has the modal's answer" "$T/report.txt" "answer from the modal"
check_grep "the report has the checklist answers" "$T/report.txt" "Marketing, Equity"
check_grep "the report has the checklist tallies" "$T/report.txt" "Outreach — used by 1 of"
check_grep "the report has the command's action item with its due date" "$T/report.txt" "Call the food bank"
check_grep "the report has the action item's due date" "$T/report.txt" "2026-12-04"
check_grep "the report has the modal's action item" "$T/report.txt" "Book the community room"
check_nogrep "the report leaves out the withdrawn answer" "$T/report.txt" "answer from U333"

# ---- every envelope acked, once ----
check "every envelope is acked" wait_acks 10
e=$(envelopes)
check_eq "every envelope was acked exactly once" "$(jq length <<<"$e")" \
	"$(jq '[.[] | select(.ack_count == 1)] | length' <<<"$e")"
check_eq "the acks are exactly the envelopes sent" \
	"$(jq -c '[.[].envelope_id] | sort' <<<"$e")" "$(acks | jq -c '[.[].envelope_id] | sort')"
check_eq "no message was posted twice (distinct ts)" "$(posts | jq length)" \
	"$(posts | jq '[.[].ts] | unique | length')"
check_eq "no delivery failed in the outbox" "0" "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"

daemon_stop
check_exit "the daemon stops cleanly on SIGTERM" 0 "$DRC"

# ---- the database at the end ----
check_eq "answers to question 1 as typed" \
	"U222|edited twice|0
U333|answer from U333|1
U444|U444 edited|1
U555|answer from the modal|0" \
	"$(sql_q "SELECT user_id, text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' ORDER BY user_id")"
check_eq "action items with owners and due dates" \
	"Call the food bank|U456|2026-12-04
Book the community room|U789|2026-12-15" \
	"$(sql_q "SELECT text, owner, due_date FROM action_items ORDER BY id")"
check_eq "one session, at question 3, facilitated by U111" "1|U111|active|3" \
	"$(sql_q "SELECT count(*), facilitator, state, prompt_index FROM sessions")"
fake_stop
finish
