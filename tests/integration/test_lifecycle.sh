#!/usr/bin/env bash
# test_lifecycle.sh - a whole workshop's life through the real `workshopbot console` on ONE
# database, WORKSHOPBOT_NOW stepping through 60 simulated days (Tue 2027-03-02 to Fri
# 2027-04-30): an async session, its action items' reminders, three days offline, both
# report-back prompts, the export. One run a day at 09:00 Berlin time (08:00Z until Sat
# 03-27, 07:00Z from Sun 03-28, when Berlin's clocks go forward), and on the seven section
# days a second run at 15:00 for the nudge. Each run handles the jobs due by its "now"
# first (they print before its script is read), then its script (mostly empty), then exits.
#
# Config: zone Europe/Berlin; [followup] quiet_hours 20:00-09:00, so a reminder moved off
# a weekend or closure lands at 09:00 like every other (due_morning 09:00); closures Good
# Friday 2027-03-26 and Easter Monday 2027-03-29; otherwise the defaults (2 days before,
# overdue every 3 days, 3 overdue reminders, then the facilitator once; nudge at 15:00).
# Members alice (facilitator), bob, carol, dave. Dates worked out by hand from README:
#
#   Tue 03-02  start async daily 09:00: section 1 (Q1-2) at once; all answer: no nudge
#   Wed 03-03  section 2 (Q3-5); dave answers none of it: 15:00 nudge "dave (3, 4, 5)"
#   Thu 03-04  section 3 (Q6-7); carol answers only Q6: 15:00 nudge "carol (7)"
#   Fri 03-05  section 4 (Q8-9); all answer. Sat, Sun: nothing
#   Mon 03-08  section 5 (Q10-16); all answer
#   Tue 03-09  section 6, the action plan (Q17-21); each member's Q21 answer is an item:
#              #1 bob   Call the food bank, due Thu 03-18 (never done: escalates)
#              #2 carol Draft the flyer,    due Wed 03-24 (snoozed)
#              #3 dave  Book the room,      due Mon 03-22 (re-dated; its early reminder
#                       would be Sat 03-20 -> Mon 03-22, the due day, so it has none)
#              #4 bob   Send the survey,    due Fri 03-19 (done)
#   Wed 03-10  section 7 (Q22); dave does not answer: 15:00 nudge "dave (22)"
#   Thu 03-11  "Every section is open now" (once; nothing the day after)
#   Fri 03-12  alice ends the session: report-back prompts 14 days on (Fri 03-26, a
#              closure, then the weekend and Easter Monday: Tue 03-30 09:00 CEST) and 42
#              days on (Fri 04-23 09:00 CEST)
#   (offline Tue 03-16 to Thu 03-18: missed #1's early (Tue) and due (Thu) reminders and
#              #4's early one (Wed))
#   Fri 03-19  restart: ONE message for bob, "2 action items are due" (#1 was due
#              yesterday, #4 due today; the early ones folded in), delayed-noted; bob:
#              done 4; alice: due 3 2027-04-07 (its Mon 03-22 reminder goes)
#   Mon 03-22  #1 overdue 1 of 3 (Fri + 3, counted from the delayed send); #2 early;
#              carol: snooze 2 3d -> Thu 03-25 09:00 (the due-day reminder gives way)
#   Wed 03-24  nothing (the snoozed due-day reminder is gone)
#   Thu 03-25  #1 overdue 2 of 3; #2 "was due yesterday" (the snoozed one)
#   Fri 03-26 .. Mon 03-29 nothing (closure, weekend with the DST change, closure)
#   Tue 03-30  #1 overdue 3 of 3 (Sun -> Tue); #2 overdue 1 of 3 (Sun -> Tue); the
#              14-day report-back prompt; carol: done 2; answers with numbers
#   Fri 04-02  the facilitator alice is told about #1, once
#   Mon 04-05  #3 early (due Wed 04-07); Wed 04-07 #3 due today; Thu 04-08 dave: done 3
#   Mon 04-12  nothing (#3's first overdue reminder would have been Sat 04-10 -> here)
#   Fri 04-23  the 42-day report-back prompt; answers; bob: done 1
#   to Fri 04-30  nothing more; no job pending for the session.
. "$(dirname "$0")/lib.sh"

ZONE=Europe/Berlin
CONF="$T/lifecycle.conf"
printf '%s\n' '[workshopbot]' "timezone = $ZONE" '' '[followup]' 'quiet_hours = 20:00-09:00' \
	'closures = 2027-03-26, 2027-03-29' >"$CONF"
DB="$T/life.db"
FIRST=2027-03-02
NDAYS=60

# run DAY HH:MM [LINE...]: one console run at that local (Berlin) time with the lines as
# its script; the transcript is $T/day-DAY-HHMM.out.
run() {
	local day=$1 hm=$2 out
	shift 2
	out="$T/day-$day-${hm/:/}.out"
	: >"$out.in"
	[ $# -gt 0 ] && printf '%s\n' "$@" >"$out.in"
	WORKSHOPBOT_NOW=$(local_utc "$ZONE" "$day $hm") wb --config "$CONF" --db "$DB" console \
		<"$out.in" >"$out"
	echo $? >"$out.rc"
}
D() { printf '%s/day-%s-%s.out' "$T" "$1" "${2:-0900}"; }
# answers WHO N: N plain answer lines by WHO.
answers() {
	local i
	for i in $(seq 1 "$2"); do printf '%s> %s answer %s\n' "$1" "$1" "$i"; done
}


# Each day's script (09:00); days not listed have none.
declare -A DAY_SCRIPT
DAY_SCRIPT[2027-03-02]=$(printf '%s\n' 'alice> !ws start async daily 09:00 tz Europe/Berlin'
	answers alice 2; answers bob 2; answers carol 2; answers dave 2)
DAY_SCRIPT[2027-03-03]=$(printf '%s\n' 'alice> 1, 3' 'alice> 6' 'alice> Use them in reports' \
	'bob> none' 'bob> none' 'bob> Learn them' 'carol> Outreach' 'carol> Equity' 'carol> Read')
DAY_SCRIPT[2027-03-04]=$(printf '%s\n' 'alice> 1, 2' 'alice> 9' 'bob> 4' 'bob> 10, 11' \
	'carol> 6' 'dave> none' 'dave> 13')
DAY_SCRIPT[2027-03-05]=$(answers alice 2; answers bob 2; answers carol 2; answers dave 2)
DAY_SCRIPT[2027-03-08]=$(answers alice 7; answers bob 7; answers carol 7; answers dave 7)
DAY_SCRIPT[2027-03-09]=$(
	answers alice 4; echo 'alice> Call the food bank @bob by 2027-03-18'
	answers carol 4; echo 'carol> Draft the flyer @carol by 2027-03-24'
	answers dave 4; echo 'dave> Book the room @dave by 2027-03-22'
	answers bob 4; echo 'bob> Send the survey @bob by 2027-03-19')
DAY_SCRIPT[2027-03-10]=$(answers alice 1; answers bob 1; answers carol 1)
DAY_SCRIPT[2027-03-12]='alice> !ws end'
DAY_SCRIPT[2027-03-19]=$(printf '%s\n' 'bob> !ws done 4' 'alice> !ws due 3 2027-04-07')
DAY_SCRIPT[2027-03-22]='carol> !ws snooze 2 3d'
DAY_SCRIPT[2027-03-30]=$(printf '%s\n' 'carol> !ws done 2' \
	'bob> We called the food bank and reported back to the library board. people reached: 40, partners 2 #1' \
	'carol> !ws rb partners contacted: 3; events=1 story time in the park')
DAY_SCRIPT[2027-04-08]='dave> !ws done 3'
DAY_SCRIPT[2027-04-23]=$(printf '%s\n' \
	'bob> people reached: 25, events held: 2. The food bank now hosts a monthly library table. #1' \
	'dave> !ws reportback partners=1, people reached 12' 'bob> !ws done 1')
SECTION_DAYS=" 2027-03-02 2027-03-03 2027-03-04 2027-03-05 2027-03-08 2027-03-09 2027-03-10 "
OFFLINE=" 2027-03-16 2027-03-17 2027-03-18 "

start=$(date +%s%N)
nruns=0
DAYS=()
for i in $(seq 0 $((NDAYS - 1))); do
	day=$(date -u -d "$FIRST + $i days" +%F)
	DAYS+=("$day")
	[[ $OFFLINE == *" $day "* ]] && continue
	if [ -n "${DAY_SCRIPT[$day]:-}" ]; then
		mapfile -t SCRIPT <<<"${DAY_SCRIPT[$day]}"
		run "$day" 09:00 "${SCRIPT[@]}"
	else
		run "$day" 09:00
	fi
	nruns=$((nruns + 1))
	if [[ $SECTION_DAYS == *" $day "* ]]; then
		run "$day" 15:00
		nruns=$((nruns + 1))
	fi
done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "# $nruns console runs over $NDAYS simulated days took ${elapsed_ms} ms"

bad=
for f in "$T"/day-*.out.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .out.rc) "; done
check_eq "every run exited 0 (at the end of its input)" "" "$bad"


# ---- what the jobs posted, run by run ----
# JOB MESSAGES: the messages of a run printed before its script (the jobs due at its
# start; job_messages: lib.sh), without the console's start-up notice about the open
# session; as JSON strings, one a line.
STARTUP='^Session #1 continues at question '
for f in "$T"/day-*.out; do
	job_messages "$f" | jq -c --arg re "$STARTUP" 'select(test($re) | not)' >"$f.jobs"
done
jobs_of() { cat "$1.jobs"; }
all_jobs=$(cat "$T"/day-*.out.jobs)
# The timeline: per run, each job message's first line (cut to 60 characters) without
# the question and info posts of a section opening, sorted within the run.
timeline=$(for f in "$T"/day-*.out; do
	[ -s "$f.jobs" ] || continue
	run=$(basename "$f" .out); run=${run#day-}
	jobs_of "$f" | jq -r 'split("\n")[0] | select(test("^Question [0-9]+ of 22 ·|^Review the following list") | not) | .[0:60]' |
		sort | sed "s/^/$run /"
done)
check_eq "the timeline: every job message of the 60 days, on its day (other runs: none)" \
"2027-03-03-0900 Section 2 of 7 · Key terms used today – what is new to you?
2027-03-03-1500 A nudge for section 2 (Key terms used today – what is new to
2027-03-04-0900 Section 3 of 7 · Community engagement best practices:
2027-03-04-1500 A nudge for section 3 (Community engagement best practices:)
2027-03-05-0900 Section 4 of 7 · Question to Consider/Discuss
2027-03-08-0900 Section 5 of 7 · Activity: Workshop it! Before approaching a
2027-03-09-0900 Section 6 of 7 · Action Plan: (include next steps, who, when
2027-03-10-0900 Section 7 of 7 · Notes:
2027-03-10-1500 A nudge for section 7 (Notes:): not answered yet: @dave (22)
2027-03-11-0900 Every section is open now. The facilitator can close the ses
2027-03-19-0900 Reminder for @bob: 2 action items are due:
2027-03-22-0900 Overdue reminder for @bob: #1 Call the food bank — was due 4
2027-03-22-0900 Reminder for @carol: #2 Draft the flyer — due in 2 days, on 
2027-03-25-0900 Overdue reminder for @bob: #1 Call the food bank — was due 7
2027-03-25-0900 Reminder for @carol: #2 Draft the flyer — was due yesterday,
2027-03-30-0900 Overdue reminder for @bob: #1 Call the food bank — was due 1
2027-03-30-0900 Overdue reminder for @carol: #2 Draft the flyer — was due 6 
2027-03-30-0900 Report-back, 14 days after session #1: Close the loop: two w
2027-04-02-0900 For @alice, the facilitator: #1 Call the food bank — owner @
2027-04-05-0900 Reminder for @dave: #3 Book the room — due in 2 days, on Wed
2027-04-07-0900 Reminder for @dave: #3 Book the room — due today, Wed 2027-0
2027-04-23-0900 Report-back, 42 days after session #1: Close the loop: six w" "$timeline"

# ---- the async session ----
O=$(D 2027-03-02 0900)
check_reply "Tue 03-02: start explains the async pace in Berlin time" "$O" \
	'alice> !ws start async daily 09:00 tz Europe/Berlin' \
	"I open one section a day, at 09:00 (Europe/Berlin) on working days"
check_reply "... and opens section 1 at once, the next on Wednesday" "$O" \
	'alice> !ws start async daily 09:00 tz Europe/Berlin' \
	"Questions 1 to 2 are open; the next section opens Wed 2027-03-03 09:00."
check_eq "each section heading names its questions and the next working day's opening" \
"Questions 1 to 2 are open; the next section opens Wed 2027-03-03 09:00.
Questions 3 to 5 are open; the next section opens Thu 2027-03-04 09:00.
Questions 6 to 7 are open; the next section opens Fri 2027-03-05 09:00.
Questions 8 to 9 are open; the next section opens Mon 2027-03-08 09:00.
Questions 10 to 16 are open; the next section opens Tue 2027-03-09 09:00.
Questions 17 to 21 are open; the next section opens Wed 2027-03-10 09:00.
Question 22 is open; this is the last section." \
	"$(cat "$T"/day-*.out >"$T/all.out"; console_messages "$T/all.out" | jq -r 'select(startswith("Section ")) | split("\n")[1]')"
check_grep "Wed 03-03 15:00: dave, who never answers section 2, is nudged" "$(D 2027-03-03 1500)" \
	"workshopbot: A nudge for section 2 (Key terms used today – what is new to you?): not answered yet: @dave (3, 4, 5). Reply in a question's thread (in the console: one line per answer, in order)."
check_grep "Thu 03-04 15:00: carol, who left question 7 open, is nudged" "$(D 2027-03-04 1500)" \
	"not answered yet: @carol (7)."
check_grep "Wed 03-10 15:00: dave for the last section" "$(D 2027-03-10 1500)" \
	"not answered yet: @dave (22)."
check_reply "Tue 03-09: a member's answer to the action-items question adds an item" \
	"$(D 2027-03-09 0900)" 'dave> Book the room @dave by 2027-03-22' \
	"Added action item #3 Book the room — owner @dave, due 2027-03-22, open."
check_reply "Fri 03-12: alice ends the session" "$(D 2027-03-12 0900)" 'alice> !ws end' \
	"Session #1 has ended. 79 answers and 4 action items are saved."

# ---- reminders: the exact lines on the days that matter ----
rem_lines() { jobs_of "$1" | reminders_only | jq -r 'split("\n")[0]' | sort; }
check_eq "Fri 03-19 (restart after 3 days offline): one coalesced, delayed message for bob" \
'Reminder for @bob: 2 action items are due:
  #1 Call the food bank — was due yesterday, Thu 2027-03-18
  #4 Send the survey — due today, Fri 2027-03-19
When one is done: !ws done <id>; later: !ws snooze <id> 2d. (delayed: the bot was offline)' \
	"$(jobs_of "$(D 2027-03-19)" | jq -r .)"
check_reply "Fri 03-19: bob is done with #4" "$(D 2027-03-19)" 'bob> !ws done 4' \
	"Marked done: #4 Send the survey — owner @bob, due 2027-03-19, done."
check_reply "Fri 03-19: #3 gets a new due date" "$(D 2027-03-19)" 'alice> !ws due 3 2027-04-07' \
	"Due date set: #3 Book the room — owner @dave, due 2027-04-07, open."
check_eq "Mon 03-22: bob's first overdue reminder counts from the delayed send; carol's early one; not dave's old due date" \
"Overdue reminder for @bob: #1 Call the food bank — was due 4 days ago, on Thu 2027-03-18 (overdue reminder 1 of 3). When it is done: !ws done 1; later: !ws due 1 <date>.
Reminder for @carol: #2 Draft the flyer — due in 2 days, on Wed 2027-03-24. When it is done: !ws done 2; later: !ws snooze 2 2d." \
	"$(rem_lines "$(D 2027-03-22)")"
check_reply "Mon 03-22: carol snoozes #2 past its due date" "$(D 2027-03-22)" 'carol> !ws snooze 2 3d' \
	"Snoozed #2 Draft the flyer: the next reminder is on Thu 2027-03-25 09:00 (Europe/Berlin)."
check_eq "Thu 03-25: bob's second overdue reminder; carol's snoozed due-day reminder" \
"Overdue reminder for @bob: #1 Call the food bank — was due 7 days ago, on Thu 2027-03-18 (overdue reminder 2 of 3). When it is done: !ws done 1; later: !ws due 1 <date>.
Reminder for @carol: #2 Draft the flyer — was due yesterday, Wed 2027-03-24. When it is done: !ws done 2; later: !ws snooze 2 2d." \
	"$(rem_lines "$(D 2027-03-25)")"
check_eq "Tue 03-30 (after Good Friday, the DST weekend, Easter Monday): the moved overdue reminders" \
"Overdue reminder for @bob: #1 Call the food bank — was due 12 days ago, on Thu 2027-03-18 (overdue reminder 3 of 3). When it is done: !ws done 1; later: !ws due 1 <date>.
Overdue reminder for @carol: #2 Draft the flyer — was due 6 days ago, on Wed 2027-03-24 (overdue reminder 1 of 3). When it is done: !ws done 2; later: !ws due 2 <date>." \
	"$(rem_lines "$(D 2027-03-30)")"
check_eq "Fri 04-02: the facilitator is told about #1" \
"For @alice, the facilitator: #1 Call the food bank — owner @bob, was due 15 days ago, on Thu 2027-03-18 — is still open after 3 overdue reminders." \
	"$(rem_lines "$(D 2027-04-02)")"
check_eq "Mon 04-05 and Wed 04-07: #3's reminders for its new date" \
"Reminder for @dave: #3 Book the room — due in 2 days, on Wed 2027-04-07. When it is done: !ws done 3; later: !ws snooze 3 2d.
Reminder for @dave: #3 Book the room — due today, Wed 2027-04-07. When it is done: !ws done 3; later: !ws snooze 3 2d." \
	"$(rem_lines "$(D 2027-04-05)"; rem_lines "$(D 2027-04-07)")"
check_eq "the days no reminder may come (stale ones: snoozed 03-24, old due date 03-22 only dave's, done #4/#2/#3 after, closures and the DST weekend)" \
	"0 0 0 0 0 0 0 0 0 0" \
	"$(for d in 03-20 03-23 03-24 03-26 03-27 03-28 03-29 03-31 04-09 04-12; do jobs_of "$(D 2027-$d)" | reminders_only | wc -l; done | tr '\n' ' ' | sed 's/ $//')"

# ---- report-back ----
check_eq "both report-back prompts, once each: Tue 03-30 (14 days, moved) and Fri 04-23 (42 days)" \
"2027-03-30-0900 Report-back, 14 days after session #1: Close the loop: two weeks on
2027-04-23-0900 Report-back, 42 days after session #1: Close the loop: six weeks on" \
	"$(for f in "$T"/day-*.out; do
		grep -q '"Report-back, ' "$f.jobs" || continue
		run=$(basename "$f" .out)
		jobs_of "$f" | jq -r 'split("\n")[0] | select(startswith("Report-back, "))' | sed "s/^/${run#day-} /"
	done)"
check_reply "a plain line after the end is a report-back entry with its numbers and link" \
	"$(D 2027-03-30)" \
	'bob> We called the food bank and reported back to the library board. people reached: 40, partners 2 #1' \
	'Thanks, bob: your report-back for "Close the loop: two weeks on" is saved (people reached: 40, partners contacted: 2), linked to action item #1.'
check_reply "the second prompt's entry" "$(D 2027-04-23)" \
	'dave> !ws reportback partners=1, people reached 12' \
	'Thanks, dave: your report-back for "Close the loop: six weeks on" is saved (people reached: 12, partners contacted: 1).'

# ---- counts over the whole run: each kind of bot message, no duplicate ----
count_msgs() { printf '%s\n' "$all_jobs" | jq -n --arg re "$1" '[inputs | select(test($re))] | length'; }
cat "$T"/day-*.out >"$T/all.out"
all_msgs=$(console_messages "$T/all.out")
check_eq "section openings 7 (1 at start + 6 by job), all-open 1, nudges 3" "7 1 3" \
	"$(printf '%s\n' "$all_msgs" | jq -n '[inputs | select(test("^Section [1-7] of 7 ·"))] | length') $(count_msgs '^Every section is open now') $(count_msgs '^A nudge for section ')"
check_eq "each of the 22 questions posted once" \
	"$(seq 1 22 | tr '\n' ' ')" \
	"$(printf '%s\n' "$all_msgs" | jq -r 'select(test("^Question [0-9]+ of 22 ·")) | capture("^Question (?<n>[0-9]+)").n' | tr '\n' ' ')"
check_eq "reminders 5, overdue reminders 4, escalations 1, report-back prompts 2" "5 4 1 2" \
	"$(count_msgs '^Reminder for @') $(count_msgs '^Overdue reminder for @') $(count_msgs '^For @[^ ]+, the facilitator') $(count_msgs '^Report-back, ')"
check_eq "only the restart's message carries the delayed note" 1 "$(count_msgs 'delayed: the bot was offline')"
check_eq "no job message was posted twice in the 60 days" "" \
	"$(printf '%s\n' "$all_jobs" | sort | uniq -d)"
check_eq "the jobs table: every job once, by kind and state" \
"async_nudge|done|7
async_open|done|7
escalate|done|1
reminder_before|cancelled|2
reminder_before|done|2
reminder_due|cancelled|2
reminder_due|done|4
reminder_overdue|cancelled|3
reminder_overdue|done|4
report_back|done|2" \
	"$(sql "$DB" "SELECT kind, state, count(*) FROM jobs GROUP BY kind, state ORDER BY kind, state")"
wb --config "$CONF" --db "$DB" jobs --session 1 >"$T/jobs-end.out"
check_eq "workshopbot jobs --session 1: nothing pending at the end" "(no pending jobs)" \
	"$(tail -n 1 "$T/jobs-end.out")"

# ---- the export ----
wb --config "$CONF" --db "$DB" export --session 1 --format json >"$T/export.json"
check_exit "export --format json exits 0" 0 $?
J="$T/export.json"
check_eq "json: the outcomes rolled up per follow-up and in total" \
"people 77 two-weeks=40 six-weeks=37
partners 6 two-weeks=5 six-weeks=1
events 3 two-weeks=1 six-weeks=2" \
	"$(jq -r '.report_back.outcomes[] | "\(.id) \(.total) \(.by_follow_up | to_entries | map("\(.key)=\(.value)") | join(" "))"' "$J")"
check_eq "json: both prompts with their posted time (09:00 CEST) and entries" \
"two-weeks 2027-03-30T07:00:00Z bob,carol
six-weeks 2027-04-23T07:00:00Z bob,dave" \
	"$(jq -r '.report_back.follow_ups[] | "\(.id) \(.posted_at) \([.entries[].user] | join(","))"' "$J")"
# (An early reminder folded into the due-day one at the restart was never sent on its own:
# its job is marked cancelled and the history does not list it.)
check_eq "json: each action item's reminders, completion and linked report-backs" \
"#1 bob done 2027-04-23T07:00:00Z reminder_due@2027-03-19T08:00:00Z reminder_overdue@2027-03-22T08:00:00Z reminder_overdue@2027-03-25T08:00:00Z reminder_overdue@2027-03-30T07:00:00Z escalate@2027-04-02T07:00:00Z rb=2
#2 carol done 2027-03-30T07:00:00Z reminder_before@2027-03-22T08:00:00Z reminder_due@2027-03-25T08:00:00Z reminder_overdue@2027-03-30T07:00:00Z rb=0
#3 dave done 2027-04-08T07:00:00Z reminder_before@2027-04-05T07:00:00Z reminder_due@2027-04-07T07:00:00Z rb=0
#4 bob done 2027-03-19T08:00:00Z reminder_due@2027-03-19T08:00:00Z rb=0" \
	"$(jq -r '.action_items[] | "#\(.id) \(.owner) \(.status) \(.history.done_at) \([.history.reminders[] | "\(.kind)@\(.sent_at)"] | join(" ")) rb=\(.history.report_back | length)"' "$J")"
check_eq "json: the answers of every section, per question (Q21's are the action items)" \
	"1:4 2:4 3:3 4:3 5:3 6:4 7:3 8:4 9:4 10:4 11:4 12:4 13:4 14:4 15:4 16:4 17:4 18:4 19:4 20:4 21:0 22:3" \
	"$(jq -r '[.prompts[] | select(.number > 0) | "\(.number):\(.answers | length)"] | join(" ")' "$J")"
check_eq "json: the session ended on Fri 03-12" "ended 2027-03-12T08:00:00Z" \
	"$(jq -r '.session | "\(.state) \(.ended_at)"' "$J")"

finish
