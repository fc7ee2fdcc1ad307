#!/usr/bin/env bash
# test_slack_escape.sh - what users write is stored as they typed it (Slack's wire form
# decoded: <!channel> -> @channel, <@U123> -> @U123, <https://x|y> -> "y (https://x)",
# &amp; -> &, and a literally typed "<!channel>" stays "<!channel>"), and whenever the bot
# repeats it (the report, an action item's confirmation, a display name, an unknown
# command) it is escaped for mrkdwn: never a live <!channel>, <!here> or <@U...>.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start
# A display name with a mention in it, for U555.
ctl POST "/user?id=U555&display_name=%3C!here%3E%20Eve%20%26%20co" >/dev/null
daemon_start_ready "$DB"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = 0 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
drained() { [ "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 0 ]; }
answer_of() { sql_q "SELECT text FROM answers WHERE user_id = '$1'"; }

send slash_commands slash U111 start
check "question 1 is posted" wait_until 10 ref_known
Q1=$(question_ts 1)

# ---- a thread answer, in Slack's wire form ----
WIRE='Heads up <!channel> and <!here>, ask <@U123> or <@U124|bob>: see <https://x|y> &amp; <https://example.org/a?b=1&amp;c=2> - I typed &lt;!channel&gt; and &amp;lt; too'
TYPED='Heads up @channel and @here, ask @U123 or @U124: see y (https://x) & https://example.org/a?b=1&c=2 - I typed <!channel> and &lt; too'
send events_api ev_message U222 "$WIRE" "$Q1"
wait_acks 10
check_eq "a thread answer is stored in its plain form, as the user typed it" \
	"$(hexof "$TYPED")" "$(sql_q "SELECT hex(text) FROM answers WHERE user_id = 'U222'")"

# ---- a modal answer: plain_text_input values are not mrkdwn, stored byte for byte ----
RAW='Raw <!here> & <@U123> <https://x|y> &amp; "quotes" '"'"'; DROP TABLE answers; --'
send interactive form_answer U333 1:0:C111 "$RAW"
wait_acks 10
check_eq "a modal answer is stored byte for byte" "$(hexof "$RAW")" \
	"$(sql_q "SELECT hex(text) FROM answers WHERE user_id = 'U333'")"

# ---- an action item from the modal, confirmed in the channel ----
send interactive form_action U444 1:-1:C111 'Tell <!channel> & <@U123> about it' U456 2026-12-15
wait_acks 10
check_eq "the action item is stored as typed" "Tell <!channel> & <@U123> about it|U456" \
	"$(sql_q "SELECT text, owner FROM action_items")"

# ---- U555, whose display name holds <!here> ----
send events_api ev_message U555 'plain answer from Eve' "$Q1"
wait_acks 10
named() { [ "$(sql_q "SELECT display_name FROM members WHERE user_id = 'U555'")" = '<!here> Eve & co' ]; }
check "U555's display name is looked up (users.info) and stored as it is" wait_until 10 named

# ---- an unknown command echoes what was typed ----
send slash_commands slash U666 '&lt;!channel&gt;'
wait_acks 10

send slash_commands slash U111 report
wait_acks 10
check "every reply is delivered" wait_until 30 drained

# ---- what the bot said ----
messages >"$T/messages.json"
# Every text the bot sent: message texts and the texts inside blocks.
jq -r '.[] | .text, (.blocks // [] | .. | objects | select(has("text") and (.text | type) == "string") | .text)' \
	"$T/messages.json" >"$T/said.txt"
report=$(posts | jq -r '[.[] | select(.text | startswith("*Summary of session #1"))][0].text // ""')
printf '%s\n' "$report" >"$T/report.txt"
check "the report was posted" test -s "$T/report.txt"
check_grep "the report repeats the thread answer escaped" "$T/report.txt" \
	'Heads up @channel and @here, ask @U123 or @U124: see y (https://x) &amp; https://example.org/a?b=1&amp;c=2 - I typed &lt;!channel&gt; and &amp;lt; too'
check_grep "the report repeats the modal answer escaped" "$T/report.txt" \
	'Raw &lt;!here&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt; &amp;amp; "quotes"'
check_grep "the report repeats the action item escaped" "$T/report.txt" \
	'Tell &lt;!channel&gt; &amp; &lt;@U123&gt; about it'
check_grep "the report shows the display name escaped" "$T/report.txt" '&lt;!here&gt; Eve &amp; co'
check_grep "the action item's confirmation is escaped" "$T/said.txt" \
	'Tell &lt;!channel&gt; &amp; &lt;@U123&gt; about it'
check_grep "the unknown command is echoed escaped" "$T/said.txt" "'&lt;!channel&gt;'"
check_nogrep "no live <!channel> in anything the bot sent" "$T/said.txt" '<!channel>'
check_nogrep "no live <!here> in anything the bot sent" "$T/said.txt" '<!here>'
check_nogrep "no live <@U123> in anything the bot sent" "$T/said.txt" '<@U123>'
check_nogrep "no live link <https://x|y> in anything the bot sent" "$T/said.txt" '<https://x|y>'
check_eq "no '<' in what the bot sent but its own mentions of people (<@U…>)" "0" \
	"$(sed -E 's/<@U[A-Z0-9]+>//g' "$T/said.txt" | grep -c '<')"
check_eq "every '&' the bot sent starts an entity (&amp; &lt; &gt;)" "0" \
	"$(grep -oE '&[^;[:space:]]{0,5};?' "$T/said.txt" | grep -cvE '^&(amp|lt|gt);$')"

daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
check_eq "the stored answers are unchanged by all this" "$(hexof "$TYPED")|$(hexof "$RAW")" \
	"$(sql_q "SELECT (SELECT hex(text) FROM answers WHERE user_id = 'U222') || '|' || (SELECT hex(text) FROM answers WHERE user_id = 'U333')")"
fake_stop
finish
