#!/usr/bin/env bash
# test_matrix_escape.sh - what users write is stored as typed and repeated by the bot only
# escaped: <b>, & and quotes become entities in formatted_body, and "@room" never reaches
# a message the bot sends verbatim (a U+2060 WORD JOINER before its m), in any body or
# formatted_body, also of edits (m.new_content), and also when the @room comes from an
# action item's owner.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
BOB=@bob:fake.local
CAROL=@carol:fake.local
DB=$T/ws.db
WJ=$'\u2060'

fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg c "$CAROL" --arg bot "$BOT" '{members: [$a, $b, $c, $bot],
	power_levels: {users: {($a): 100}}}')"
daemon_start_ready "$DB"
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL")" ]
}

say "$ALICE" '!ws start'
check "question 1 is posted" wait_until 15 ref_known 0
Q1=$(question_event 1)
BOLD='<b>bold</b> & "quoted" @room, <script>alert(1)</script>'
ROOMPING='ping @room and @room: everyone'
thread "$BOB" "$Q1" "$BOLD"
thread "$CAROL" "$Q1" "$ROOMPING"
say "$ALICE" '!ws action Tell <i>everyone</i> @room by friday'
say "$ALICE" '!ws action Email <all> & "friends" by 2026-12-15'
settle
check_eq "the answer with HTML and @room is stored as typed" "$BOLD" \
	"$(sql_q "SELECT text FROM answers WHERE user_id = '$BOB'")"
check_eq "the answer with @room is stored as typed" "$ROOMPING" \
	"$(sql_q "SELECT text FROM answers WHERE user_id = '$CAROL'")"
check_eq "the action items are stored as typed (an @word is the owner)" "Tell <i>everyone</i>|room
Email <all> & \"friends\"|" "$(sql_q "SELECT text, owner FROM action_items ORDER BY id")"

# The bot repeats the answers in the report and the session's status.
say "$ALICE" '!ws report'
report_done() { has_notice '(.content.body | startswith("Summary of session #1")) and (.content.body | contains("Email"))'; }
check "the report is posted" wait_until 20 report_done
say "$ALICE" '!ws actions all'
actions_done() { has_notice '(.content.body | contains("action items here")) and (.content.body | contains("Email"))'; }
check "the action list is posted" wait_until 15 actions_done
say "$ALICE" '!ws next'
check "question 2 is posted (question 1's post is edited)" wait_until 15 ref_known 1
wait_until 15 has_notice '.content["m.relates_to"].rel_type? == "m.replace"'

# Every text field of every message the bot sent.
texts() {
	sent | jq -r '.[] | select(.type == "m.room.message") | .content | (.body, .formatted_body,
		.["m.new_content"].body?, .["m.new_content"].formatted_body?) | select(. != null)'
}
texts >"$T/texts.txt"
html() { sent | jq -r '.[] | select(.type == "m.room.message") | .content | (.formatted_body, .["m.new_content"].formatted_body?) | select(. != null)'; }
html >"$T/html.txt"
report=$(notices | jq -r '[.[] | select(.content.body | startswith("Summary of session #1"))][0].content.formatted_body')
check_eq "the report's formatted_body escapes the answer's HTML" "yes" \
	"$([[ $report == *'&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'* ]] && echo yes || echo "no: ${report:0:400}")"
check_eq "and its <script>" "yes" \
	"$([[ $report == *'&lt;script&gt;alert(1)&lt;/script&gt;'* ]] && echo yes || echo no)"
check_nogrep "no formatted_body holds the user's <b> as HTML" "$T/html.txt" "<b>bold</b>"
check_nogrep "no formatted_body holds a <script>" "$T/html.txt" "<script>"
check_nogrep "no formatted_body holds the action's <i>" "$T/html.txt" "<i>everyone</i>"
check_grep "the action's <i> is escaped" "$T/html.txt" "Tell &lt;i&gt;everyone&lt;/i&gt;"
check_grep "the other action's <all> and quotes are escaped" "$T/html.txt" "Email &lt;all&gt; &amp; &quot;friends&quot;"
check_grep "an owner named room is shown as @room, defused" "$T/texts.txt" "owner @roo${WJ}m"
check_nogrep "\"@room\" appears verbatim in no body or formatted_body the bot sent" "$T/texts.txt" "@room"
check_grep "the answer's @room is there, defused with a word joiner" "$T/texts.txt" "ping @roo${WJ}m and @roo${WJ}m: everyone"
check_grep "the report's plain body keeps the answer's text otherwise as typed" "$T/texts.txt" \
	"<b>bold</b> & \"quoted\" @roo${WJ}m, <script>alert(1)</script>"
check_eq "no message mentions anyone from user text: m.mentions is empty or the welcome's facilitator, never @room" "true" \
	"$(sent | jq --arg a "$ALICE" '[.[] | select(.type == "m.room.message") | .content | (.["m.mentions"], .["m.new_content"]["m.mentions"]?) | select(. != null)] | all(. == {} or . == {user_ids: [$a]})')"
check_eq "every message the bot sent is an m.notice" "true" \
	"$(sent | jq '[.[] | select(.type == "m.room.message") | .content.msgtype] | all(. == "m.notice")')"

daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
finish
