#!/usr/bin/env bash
# test_slack_redelivery.sh - Slack delivers again what it thinks was not acked (retry_of:
# a new envelope_id, retry_attempt 1, the same event): an answer, an edit, a slash command
# and a button are each applied once, also after a restart; and the app_mention + message
# pair that Slack sends for one mention is one command with one reply.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start
daemon_start_ready "$DB"

ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = 0 AND remote_ref IS NOT NULL" 2>/dev/null)" ]
}
drained() { [ "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 0 ]; }
# api_calls METHOD: how many times the daemon called METHOD (successful or not).
api_calls() { ctl GET "/log?kind=api" | jq --arg m "$1" '[.[] | select(.method == $m)] | length'; }

# ---- a slash command delivered twice starts one session ----
send slash_commands slash U111 start; start=$ENV_ID
wait_ack "$start"
redeliver "$start" 1; start_again=$ENV_ID
check "the redelivered /workshop start is acked" wait_ack "$start_again"
check_eq "the redelivery has a new envelope_id and retry_attempt 1" "1" \
	"$(envelopes | jq --arg id "$start_again" '.[] | select(.envelope_id == $id) | .retry_attempt')"
check_eq "one session was started" "1" "$(sql_q "SELECT count(*) FROM sessions")"
check "question 1 is posted" wait_until 10 ref_known
Q1=$(question_ts 1)

# ---- an answer delivered twice (and three times, once under the same envelope_id) ----
send events_api ev_message U222 'my only answer' "$Q1"; ans=$ENV_ID; ans_ts=$LAST_TS
wait_ack "$ans"
redeliver "$ans" 1; ans2=$ENV_ID
redeliver "$ans" 2 same_id=1
check "the redeliveries are acked" wait_acks 10
check_eq "the envelope was delivered three times" "3" \
	"$(envelopes | jq --arg ts "$ans_ts" '[.[] | select(.event_id == ("Ev" + $ts))] | length')"
check_eq "the answer is stored once" "U222|my only answer" "$(sql_q "SELECT user_id, text FROM answers")"
check_eq "no history row: it was never 'replaced' by itself" "0" "$(sql_q "SELECT count(*) FROM answer_history")"
check_eq "one confirmation was queued for it" "1" \
	"$(sql_q "SELECT count(*) FROM outbox WHERE kind = 'confirm' AND target_ref = '$ans_ts'")"

# ---- an edit delivered twice keeps one history row ----
send events_api ev_edit U222 "$ans_ts" 'my edited answer' "$Q1"; edit=$ENV_ID
wait_ack "$edit"
redeliver "$edit" 1
check "the redelivered edit is acked" wait_ack "$ENV_ID"
check_eq "the edit is applied once (one history row)" "my edited answer|1" \
	"$(sql_q "SELECT a.text, (SELECT count(*) FROM answer_history) FROM answers a")"

# ---- a button pressed once, delivered twice, opens one modal ----
send interactive button U333 ws_answer 1:0 "$Q1"; btn=$ENV_ID; trig=$LAST_TRIG
wait_ack "$btn"
redeliver "$btn" 1
check "the redelivered button press is acked" wait_ack "$ENV_ID"
check_eq "one form was queued for that trigger" "1" \
	"$(sql_q "SELECT count(*) FROM outbox WHERE kind = 'form' AND target_ref = '$trig'")"

# ---- after a restart, a redelivery is still recognised ----
check "the replies are delivered before the restart" wait_until 15 drained
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
daemon_start_ready "$DB"
redeliver "$ans" 3
check "after a restart the redelivered answer is acked" wait_ack "$ENV_ID"
redeliver "$start" 2
check "after a restart the redelivered start is acked" wait_ack "$ENV_ID"
check_eq "after a restart the answer is still stored once" "my edited answer|1" \
	"$(sql_q "SELECT a.text, (SELECT count(*) FROM answer_history) FROM answers a")"
check_eq "after a restart there is still one session" "1" "$(sql_q "SELECT count(*) FROM sessions")"

# ---- one mention, two events: app_mention and message with the same ts ----
# "<@UBOT> action ..." makes one action item and one reply, whichever event comes first.
next_ts; m1=$NEXT_TS
ev_mention U444 '<@UBOT> action Print the flyers by friday' "$m1"; push events_api "$PL"
ev_message U444 '<@UBOT> action Print the flyers by friday' '' "$m1"; push events_api "$PL"
next_ts; m2=$NEXT_TS
ev_message U555 '<@UBOT> action Call the library by monday' '' "$m2"; push events_api "$PL"
ev_mention U555 '<@UBOT> action Call the library by monday' "$m2"; push events_api "$PL"
check "the four mention events are acked" wait_acks 10
check_eq "two mentions (each as app_mention + message) made two action items" \
	"Print the flyers|U444|2026-12-04
Call the library|U555|2026-11-30" \
	"$(sql_q "SELECT text, created_by, due_date FROM action_items ORDER BY id")"
check "the replies are delivered" wait_until 15 drained
check_eq "one reply per mention" "1 1" \
	"$(messages | jq -r '[([.[] | select(.text | contains("Print the flyers"))] | length),
		([.[] | select(.text | contains("Call the library"))] | length)] | join(" ")')"

# A mention of the bot in a status question gets one (private) reply.
next_ts; m3=$NEXT_TS
ev_mention U666 '<@UBOT> status' "$m3"; push events_api "$PL"
ev_message U666 '<@UBOT> status' '' "$m3"; push events_api "$PL"
check "the status mention pair is acked" wait_acks 10
check "its reply is delivered" wait_until 15 drained
check_eq "@workshopbot status gets one reply, to U666 only" "1" \
	"$(messages | jq '[.[] | select(.user == "U666" and (.text | contains("Session #1")))] | length')"
check_eq "nothing else went to U666" "1" "$(messages | jq '[.[] | select(.user == "U666")] | length')"

# ---- everything acked once, nothing sent twice ----
e=$(envelopes)
check_eq "every envelope was acked" "$(jq length <<<"$e")" "$(jq '[.[] | select(.acked)] | length' <<<"$e")"
check_eq "the session's welcome and question were posted once" "1 1" \
	"$(posts | jq -r '[([.[] | select(.text | contains("Session #1, facilitated"))] | length),
		([.[] | select(.text | startswith("*Question 1 of 22"))] | length)] | join(" ")')"
check_eq "one ✅ for the answer" "1" "$(api_calls reactions.add)"
check_eq "one views.open for the button" "1" "$(api_calls views.open)"
daemon_stop
check_exit "the daemon stops cleanly again" 0 "$DRC"
fake_stop
finish
