#!/usr/bin/env bash
# test_reportback.sh - close-the-loop report-back prompts through the real `workshopbot
# console`, one run per simulated day on one database, WORKSHOPBOT_NOW stepping from the
# session's end on Tue 2026-12-01 to Wed 2027-01-13. Each run handles the jobs due by its
# "now" first, then its script, then exits at the end of input (see test_reminders.sh).
#
# Zone Europe/Berlin (UTC+1 in winter), default [followup] rules: due_morning 09:00 local
# (08:00Z). The shipped template's follow-ups are 14 and 42 days after the end: Tue 12-15
# and Tue 2027-01-12 at 09:00. Action item #1 (bob, due Thu 12-10) gets its reminders on
# Tue 12-08 and Thu 12-10 and is done on Fri 12-11.
# Part 2: the bot is offline from the end until Thu 12-17: the missed prompt is posted
# once, with the delayed note.
. "$(dirname "$0")/lib.sh"

CONF="$T/rb.conf"
cat >"$CONF" <<'EOF'
[workshopbot]
timezone = Europe/Berlin
EOF

PROMPT_RE='^workshopbot: Report-back, '
# run DB DAY TIME [LINE...]: one console run; the transcript is $T/DB-DAY.out.
run() {
	local db=$1 day=$2 time=$3
	shift 3
	console_run "$db" "$(basename "$db" .db)-$day" "${day}T${time}Z" "$@"
}
CONSOLE_OPTS=(--config "$CONF")
prompts_in() { grep -cE "$PROMPT_RE" "$1"; }

DB="$T/rb.db"
run "$DB" 2026-12-01 10:00:00 \
	'alice> !ws start' \
	'alice> !ws action Call the food bank @bob by 2026-12-10' \
	'alice> !ws end' \
	'alice> !ws end'
check_eq "ending twice schedules the two prompts once" "2" \
	"$(sql "$DB" "SELECT count(*) FROM jobs WHERE kind = 'report_back' AND state = 'pending'")"
check_eq "the prompts are due 14 and 42 days later at 09:00 local" \
"2026-12-15 08:00:00|{\"followup\":\"two-weeks\"}
2027-01-12 08:00:00|{\"followup\":\"six-weeks\"}" \
	"$(sql "$DB" "SELECT datetime(due_at, 'unixepoch'), payload FROM jobs WHERE kind = 'report_back' ORDER BY due_at")"

run "$DB" 2026-12-08 08:00:00
run "$DB" 2026-12-10 08:00:00
run "$DB" 2026-12-11 08:00:00 'bob> !ws done 1'
run "$DB" 2026-12-14 08:00:00 'bob> !ws rb too early'
check_eq "no prompt before its day" "0" "$(prompts_in "$T/rb-2026-12-14.out")"
check_grep "the command says no prompt is open yet" "$T/rb-2026-12-14.out" \
	'No report-back prompt is open here'

run "$DB" 2026-12-15 08:00:00 \
	'bob> We reported back to the library board. people reached: 40, partners 3 #1' \
	'carol> !ws rb events=2 story times; partners contacted: 2'
OUT="$T/rb-2026-12-15.out"
check_eq "the first prompt fires on its day" "1" "$(prompts_in "$OUT")"
check_grep "it names the follow-up and quotes the guide" "$OUT" \
	'workshopbot: Report-back, 14 days after session #1: Close the loop: two weeks on'
check_grep "it says how to answer" "$OUT" 'Answer in this thread or with !ws reportback <text>'
check_nogrep "it is on time: no delayed note" "$OUT" 'delayed'
check_reply "a plain line is an entry, with its numbers and link" "$OUT" \
	'bob> We reported back to the library board. people reached: 40, partners 3 #1' \
	'Thanks, bob: your report-back for "Close the loop: two weeks on" is saved (people reached: 40, partners contacted: 3), linked to action item #1.'
check_reply "the rb command is an entry" "$OUT" \
	'carol> !ws rb events=2 story times; partners contacted: 2' \
	'Thanks, carol: your report-back for "Close the loop: two weeks on" is saved (partners contacted: 2, events held: 2).'

run "$DB" 2026-12-16 08:00:00 'carol> !ws reportback people: lots'
OUT="$T/rb-2026-12-16.out"
check_eq "the day after, nothing more is posted" "0" "$(prompts_in "$OUT")"
check_grep "a bad number gets a hint, the text is stored" "$OUT" \
	'"people reached" needs a whole number from 0 to 1000000000, so it was not counted.'
run "$DB" 2026-12-30 08:00:00 'dave> hello'
check_grep "after 14 days a plain line is no entry" "$T/rb-2026-12-30.out" \
	'No workshop is running here, so that was not recorded.'
run "$DB" 2027-01-11 08:00:00
check_eq "no prompt the day before the second" "0" "$(prompts_in "$T/rb-2027-01-11.out")"
run "$DB" 2027-01-12 08:00:00 'dave> !ws rb people reached 15, partners=0'
check_eq "the second prompt fires on its day" "1" "$(prompts_in "$T/rb-2027-01-12.out")"
check_grep "it is the 42-day one" "$T/rb-2027-01-12.out" \
	'workshopbot: Report-back, 42 days after session #1: Close the loop: six weeks on'
run "$DB" 2027-01-13 08:00:00
check_eq "each prompt was posted exactly once in all the runs" "2" \
	"$(cat "$T"/rb-*.out | grep -cE "$PROMPT_RE")"
check_eq "followups records both posts with their outbox rows" \
	"two-weeks|1
six-weeks|1" \
	"$(sql "$DB" "SELECT f.followup_id, count(o.id) FROM followups f JOIN outbox o ON o.id = f.outbox_id GROUP BY f.followup_id ORDER BY f.posted_at")"
check_eq "entries are stored" "4" "$(sql "$DB" "SELECT count(*) FROM report_entries WHERE withdrawn = 0")"
check_eq "numbers are stored per field" "events|2
partners|5
people|55" \
	"$(sql "$DB" "SELECT field, sum(value) FROM report_outcomes GROUP BY field ORDER BY field")"

wb --config "$CONF" --db "$DB" export --session 1 --format md >"$T/export.md"
check_exit "export md exits 0" 0 $?
check_grep "md: the roll-up per follow-up and in total" "$T/export.md" \
	'people reached: 55 (14 days: 40, 42 days: 15)'
check_grep "md: partners" "$T/export.md" 'partners contacted: 5 (14 days: 5, 42 days: 0)'
check_grep "md: each prompt with its posted date" "$T/export.md" \
	'Close the loop: six weeks on (42 days after the end) — posted Tue 2027-01-12 09:00'
check_grep "md: the reminders of the action item" "$T/export.md" \
	'reminders: Tue 2026-12-08 09:00 (before the due date), Thu 2026-12-10 09:00 (on the due day)'
check_grep "md: its completion" "$T/export.md" 'done Fri 2026-12-11 09:00'
check_grep "md: its linked entry" "$T/export.md" \
	'bob (report-back): We reported back to the library board\. people reached: 40, partners 3 \#1'

wb --config "$CONF" --db "$DB" export --session 1 --format json >"$T/export.json"
check_exit "export json exits 0" 0 $?
check_eq "json: the roll-up" "people 55 {'two-weeks': 40, 'six-weeks': 15}" \
	"$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); o=d['report_back']['outcomes'][0]; print(o['id'], o['total'], o['by_follow_up'])" "$T/export.json")"
check_eq "json: the action item's history" "reminder_before reminder_due 2026-12-11T08:00:00Z 1" \
	"$(python3 -c "import json,sys; h=json.load(open(sys.argv[1]))['action_items'][0]['history']; print(*[r['kind'] for r in h['reminders']], h['done_at'], len(h['report_back']))" "$T/export.json")"

wb --config "$CONF" --db "$DB" export --session 1 --format csv >"$T/export.csv"
check_exit "export csv exits 0" 0 $?
check_grep "csv: the roll-up row" "$T/export.csv" \
	'"outcome","people","","Report-back","people reached","","people reached: 55 (14 days: 40, 42 days: 15)"'
check_grep "csv: a reminder row" "$T/export.csv" \
	'"reminder","1","","","","","reminder_due","","","","","2026-12-10T08:00:00Z"'
check_grep "csv: an entry row with its link" "$T/export.csv" \
	'"report_back","1","","Close the loop: two weeks on","","bob","We reported back to the library board. people reached: 40, partners 3 #1","","","","#1",'

# ---- part 2: downtime ----
DB2="$T/down.db"
run "$DB2" 2026-12-01 10:00:00 'alice> !ws start' 'alice> !ws end'
run "$DB2" 2026-12-17 10:00:00
OUT="$T/down-2026-12-17.out"
check_eq "after downtime the missed prompt is posted once" "1" "$(prompts_in "$OUT")"
check_grep "with the delayed note" "$OUT" 'one message per entry, as many as you like. (delayed: the bot was offline)'
run "$DB2" 2026-12-18 10:00:00
check_eq "and not again" "0" "$(prompts_in "$T/down-2026-12-18.out")"

finish
