#!/usr/bin/env bash
# test_matrix_workshop.sh - a whole workshop in a Matrix room, the real daemon against the
# fake homeserver: an invite (the bot joins), !ws start (welcome and question 1 as
# m.notice with HTML), answers as thread replies, a rich reply (fallback stripped) and
# !ws answer, an edit (history kept), a redaction (withdrawn), ✅ reactions, next refused
# to a power-0 user and allowed to a power-50 one, a checklist by numbers, by names and by
# reactions, action items, the report; then every send's txnId and the database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local   # starts the session: the facilitator
BOB=@bob:fake.local       # power 0
CAROL=@carol:fake.local   # power 50: may pace
DAVE=@dave:fake.local
ERIN=@erin:fake.local
DB=$T/ws.db
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" --arg d "$DAVE" --arg e "$ERIN" \
	'{members: [$a, $b, $c, $d, $e], name: "Workshop", power_levels: {users: {($a): 100, ($c): 50}}}')"
side_room_create
daemon_start_ready "$DB"

# ---- the invite ----
check "the bot is not in the room before the invite" not bot_joined
ctl_ok "invite the bot" POST "/invite?room=$(enc "$ROOM")&sender=$(enc "$ALICE")"
check "an invite makes the bot join the room" wait_until 15 bot_joined
check "the daemon logs the join" wait_until 5 grep -qF "joined $ROOM" "$DERR"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
prompt_index() { sql_q "SELECT prompt_index FROM sessions WHERE id = 1"; }
answer_of() { sql_q "SELECT text FROM answers WHERE prompt_id = '$1' AND user_id = '$2'"; }

# ---- start ----
say "$ALICE" '!ws start'
wait_sent 2
n=$(notices)
check_eq "the welcome is posted first, as an m.notice with HTML" \
	'["m.notice","org.matrix.custom.html",true,true]' \
	"$(jq -c '.[0].content | [.msgtype, .format, (.body | contains("Session #1")),
		(.formatted_body | startswith("<b>Community Engagement"))]' <<<"$n")"
check_eq "question 1 is posted second, an m.notice with HTML, in the room (not a thread)" \
	'["m.notice","org.matrix.custom.html",true,true,null]' \
	"$(jq -c '.[1].content | [.msgtype, .format, (.body | startswith("Question 1 of 22")),
		(.formatted_body | startswith("<b>Question 1 of 22")), .["m.relates_to"]]' <<<"$n")"
check_eq "the welcome mentions its facilitator (a pill in m.mentions), the question nobody" \
	"[{\"user_ids\":[\"$ALICE\"]},{}]" \
	"$(jq -c '[.[0:2][] | .content["m.mentions"]]' <<<"$n")"
Q1=$(question_event 1)
check "the daemon recorded question 1's event id" wait_until 10 ref_known 0

# ---- answers: thread, rich reply, !ws answer ----
thread "$BOB" "$Q1" "bob's goals"; bob1=$EV_ID
reply "$CAROL" "$Q1" "$BOT" "Question 1 of 22 · What are your goals for viewing this webinar?
Personal Goals" "carol's goals"; carol1=$EV_ID
say "$DAVE" "!ws answer dave's goals"; dave1=$EV_ID
thread "$ERIN" "$Q1" "erin's goals"; erin1=$EV_ID
settle
check_eq "a thread reply, a rich reply (fallback stripped) and !ws answer are stored as typed" \
	"$BOB|bob's goals|0
$CAROL|carol's goals|0
$DAVE|dave's goals|0
$ERIN|erin's goals|0" \
	"$(sql_q "SELECT user_id, text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' ORDER BY user_id")"
check_eq "each answer remembers the event it came from" "$bob1 $carol1 $dave1 $erin1" \
	"$(sql_q "SELECT group_concat(source_ref, ' ') FROM (SELECT source_ref FROM answers WHERE prompt_id = 'goals-personal' ORDER BY user_id)")"

has_check_reaction() {
	sent | jq -e --arg t "$1" 'any(.[]; .type == "m.reaction" and .applied
		and .content["m.relates_to"] == {rel_type: "m.annotation", event_id: $t, key: "✅"})' >/dev/null
}
check "bob's thread answer gets a ✅ reaction" wait_until 10 has_check_reaction "$bob1"
check "carol's rich reply gets a ✅ reaction" wait_until 10 has_check_reaction "$carol1"
check "dave's !ws answer gets a ✅ reaction" wait_until 10 has_check_reaction "$dave1"
check "erin's thread answer gets a ✅ reaction" wait_until 10 has_check_reaction "$erin1"

# ---- an edit, a redaction ----
edit "$BOB" "$bob1" "bob's goals, edited"
settle
check_eq "an edit (m.replace) updates the answer" "bob's goals, edited" "$(answer_of goals-personal "$BOB")"
check_eq "the earlier text is kept in the history" "bob's goals|replaced" \
	"$(sql_q "SELECT h.text, h.reason FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = '$BOB' AND a.prompt_id = 'goals-personal' ORDER BY h.id")"
redact "$ERIN" "$erin1"
settle
check_eq "a redaction withdraws the answer" "erin's goals|1" \
	"$(sql_q "SELECT text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' AND user_id = '$ERIN'")"
check_eq "the withdrawn answer stays in the history" "erin's goals|retracted" \
	"$(sql_q "SELECT h.text, h.reason FROM answer_history h JOIN answers a ON a.id = h.answer_id WHERE a.user_id = '$ERIN' ORDER BY h.id")"
# A redaction by someone else (a moderator removing a message is not the author
# withdrawing it) of bob's answer, and an edit by someone else, change nothing.
edit "$DAVE" "$bob1" "dave rewrites bob"
settle
check_eq "an edit of bob's answer sent by dave changes nothing" "bob's goals, edited" \
	"$(answer_of goals-personal "$BOB")"

# ---- pacing: refused to power 0, allowed at power 50 ----
n_before=$(n_applied)
say "$BOB" '!ws next'
refusal() {
	has_notice '(.content.body | contains("only the facilitator"))'
}
check "next by bob (power 0) is refused with a notice" wait_until 15 refusal
settle
check_eq "the refused next moves nothing" "0" "$(prompt_index)"
check_eq "no question 2 was posted" "" "$(question_event 2)"
check_eq "the refusal is the only thing posted" "$((n_before + 1))" "$(n_applied)"

say "$CAROL" '!ws next'
check "next by carol (power 50 in m.room.power_levels) posts question 2" wait_until 15 ref_known 1
check_eq "the session moved to question 2" "1" "$(prompt_index)"
q1_edited() {
	sent | jq -e --arg q "$Q1" 'any(.[]; .applied and .type == "m.room.message"
		and .content["m.relates_to"] == {rel_type: "m.replace", event_id: $q}
		and .content["m.new_content"].msgtype == "m.notice"
		and (.content["m.new_content"].body | startswith("Question 1 of 22")))' >/dev/null
}
check "question 1's post is edited (m.replace) when the session moves on" wait_until 15 q1_edited

say "$ALICE" '!ws next'
check "the facilitator's next reaches the key-terms checklist (question 3)" wait_until 20 ref_known 3
check_eq "the session is at prompt 3" "3" "$(prompt_index)"
Q3=$(question_event 3)
q3_body=$(notices | jq -r --arg q "$Q3" '[.[] | select(.event_id == $q)][0].content.body')
check_eq "question 3 lists the options by number" "yes" \
	"$([[ $q3_body == *"1. Community analysis"* && $q3_body == *"3. Outreach"* ]] && echo yes || echo "no: $q3_body")"

# ---- a checklist: numbers, names, reactions ----
thread "$BOB" "$Q3" "1, 3"; bob3=$EV_ID
thread "$CAROL" "$Q3" "Equity, Marketing"; carol3=$EV_ID
settle
check_eq "a checklist answered by numbers stores the options picked" \
	'1, 3|["Community analysis","Outreach"]' \
	"$(sql_q "SELECT text, choices FROM answers WHERE prompt_id = 'key-terms-used' AND user_id = '$BOB'")"
check_eq "a checklist answered by names stores them in option order" '["Marketing","Equity"]' \
	"$(sql_q "SELECT choices FROM answers WHERE prompt_id = 'key-terms-used' AND user_id = '$CAROL'")"
check "the checklist answers get a ✅ reaction" wait_until 10 has_check_reaction "$bob3"
check "(both)" wait_until 10 has_check_reaction "$carol3"
# The issue: "Checklists: numbers, option names, or reactions with the numbered emoji the
# bot offers." Question 3's post should offer them; dave picks 2 by reacting.
check_eq "question 3 offers numbered emoji to react with" "yes" \
	"$([[ $q3_body == *"1️⃣"* || $q3_body == *"react"* ]] && echo yes || echo no)"
react "$DAVE" "$Q3" "2️⃣"
sync_point
check_eq "a reaction with a numbered emoji on the checklist answers it (2: Marketing)" '["Marketing"]' \
	"$(sql_q "SELECT choices FROM answers WHERE prompt_id = 'key-terms-used' AND user_id = '$DAVE'")"

# ---- action items ----
say "$ALICE" '!ws action Call the food bank @bob:fake.local by friday'
settle
check_eq "!ws action stores what, owner (bob) and due date (friday)" \
	"Call the food bank|yes|2026-12-04|open|$ALICE" \
	"$(sql_q "SELECT text, owner LIKE '%bob:fake.local', due_date, status, created_by FROM action_items ORDER BY id LIMIT 1" | sed 's/|1|/|yes|/')"
say "$CAROL" '!ws action Book the community room by 2026-12-15'
settle
check_eq "an action item without an owner" "Book the community room||2026-12-15" \
	"$(sql_q "SELECT text, owner, due_date FROM action_items ORDER BY id LIMIT 1 OFFSET 1")"
say "$BOB" '!ws actions mine'
mine_listed() {
	has_notice '(.content.body | contains("Your open action items")) and (.content.body | contains("Call the food bank"))'
}
mine_answered() { has_notice '(.content.body | contains("Your open action items"))'; }
wait_until 15 mine_answered
check "bob's !ws actions mine lists the item he owns" mine_listed

# ---- the report ----
say "$DAVE" '!ws report'
report_text() {
	notices | jq -r '. as $p | ([.[] | .content.body | startswith("Summary of session #1")] | index(true)) as $i
		| if $i == null then "" else [$p[$i:][] | .content.body] | join("\n") end'
}
report_complete() { report_text | grep -qF 'Book the community room'; }
check "!ws report is posted in the room" wait_until 20 report_complete
report_text >"$T/report.txt"
check_grep "the report has the edited answer" "$T/report.txt" "bob's goals, edited"
check_grep "the report has the rich reply's answer, without the fallback" "$T/report.txt" "carol's goals"
check_nogrep "the report has no reply fallback" "$T/report.txt" "> <$BOT>"
check_grep "the report has the !ws answer" "$T/report.txt" "dave's goals"
check_nogrep "the report leaves out the withdrawn answer" "$T/report.txt" "erin's goals"
check_grep "the report has the checklist tallies" "$T/report.txt" "Outreach — used by 1 of"
check_grep "the report has the action item" "$T/report.txt" "Call the food bank"
check_grep "the report has its due date" "$T/report.txt" "2026-12-04"
report_html=$(notices | jq -r '[.[] | select(.content.body | startswith("Summary of session #1"))][0].content | [.msgtype, .format] | join(" ")')
check_eq "the report is an m.notice with HTML" "m.notice org.matrix.custom.html" "$report_html"

# ---- a power level raised in the timeline counts at once ----
pl=$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" '{type: "m.room.power_levels", sender: $a,
	state_key: "", content: {users: {($a): 100, ($c): 50, ($b): 50}, users_default: 0,
	events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0}}')
post "$pl"
say "$BOB" '!ws back'
settle
check_eq "bob, raised to power 50 by an m.room.power_levels event, may pace: back to question 2" \
	"1" "$(prompt_index)"

# ---- every send: its own txnId, applied once ----
q2_again() { [ "$(notices | jq '[.[] | select(.content["m.relates_to"] == null and (.content.body | startswith("Question 2 of 22")))] | length')" -ge 2 ]; }
wait_until 15 q2_again
s=$(sent)
check_eq "every send used a distinct txnId" "$(jq length <<<"$s")" "$(jq '[.[].txn_id] | unique | length' <<<"$s")"
check_eq "every txnId is wb<outbox id>" "true" "$(jq 'all(.[]; .txn_id | test("^wb[0-9]+$"))' <<<"$s")"
check_eq "no send was received twice (no retry was forced here)" "[]" \
	"$(jq -c '[.[] | select(.received != 1) | {txn_id, received}]' <<<"$s")"
check_eq "every send was applied, once" "true" \
	"$(jq 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' <<<"$s")"
check_eq "every send came from one device" "1" "$(jq '[.[].device_id] | unique | length' <<<"$s")"
check_eq "the bot sent only notices, reactions and edits of notices" "[]" \
	"$(jq -c '[.[] | select(.type == "m.room.message" and ((.content.msgtype // "") != "m.notice")) | .txn_id]' <<<"$s")"
check_eq "the room holds one event of the bot per transaction" \
	"$(jq length <<<"$s")" "$(ctl GET "/timeline?room=$(enc "$ROOM")" | jq --arg b "$BOT" '[.events[] | select(.sender == $b and .type != "m.room.member")] | length')"
check_eq "no delivery failed in the outbox" "0" "$(sql_q "SELECT count(*) FROM outbox WHERE state <> 'sent'")"

daemon_stop
check_exit "the daemon stops cleanly on SIGTERM" 0 "$DRC"

# ---- the database at the end ----
check_eq "answers to question 1 at the end" \
	"$BOB|bob's goals, edited|0
$CAROL|carol's goals|0
$DAVE|dave's goals|0
$ERIN|erin's goals|1" \
	"$(sql_q "SELECT user_id, text, withdrawn FROM answers WHERE prompt_id = 'goals-personal' ORDER BY user_id")"
check_eq "one session, at question 2, facilitated by alice, in the room" "1|$ALICE|active|1|matrix|$ROOM" \
	"$(sql_q "SELECT count(*), facilitator, state, prompt_index, transport, channel FROM sessions")"
check_eq "the room's power levels are stored" "50" \
	"$(sql_q "SELECT json_extract(power_levels, '\$.users.\"$CAROL\"') FROM matrix_rooms WHERE room_id = '$ROOM'")"
finish
