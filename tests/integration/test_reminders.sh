#!/usr/bin/env bash
# test_reminders.sh - action-item reminders through the real `workshopbot console`, one
# run per simulated day on one database, WORKSHOPBOT_NOW stepping through December 2026.
# Each run handles the jobs due by its "now" when it starts (they print before the
# day's script is read), then the script (often empty), then exits at the end of input
# with the clock frozen, arming no timer for later jobs.
#
# The session's zone is Europe/Berlin (CET, UTC+1 in December). The config moves the
# reminder time to 08:00 local, the end of the default quiet hours, so every reminder
# (also one moved off a weekend or a closure, which lands at the end of quiet hours) is
# due at 07:00Z, and each day's run is at exactly that time. Other [followup] keys are the
# defaults (2 days before, every 3 days, 3 overdue reminders, Monday to Friday), with
# closures on 2026-12-24 and 2026-12-25.
#
# Part 1, one run every day from Tue 12-01 to Thu 12-31 (dates worked out by hand):
#   #1 bob,   due Thu 12-10: before Tue 12-08, due Thu 12-10, overdue Mon 12-14 (Sun
#             12-13 moved), Thu 12-17, Mon 12-21 (Sun 12-20 moved), then the escalation
#             to alice on Thu 12-24, a closure, as are Fri 12-25 and the weekend: Mon 12-28.
#   #2 carol, due Thu 12-10: before Tue 12-08; done on Wed 12-09: nothing after.
#   #3 dave,  due Thu 12-10: before Tue 12-08; re-dated on Wed 12-09 to Fri 12-18: before
#             Wed 12-16, due Fri 12-18; done that day: nothing after.
#   #4 erin,  due Tue 12-15: before Sun 12-13 -> Mon 12-14; that day `snooze 4 2d` moves
#             the due-day reminder to Wed 12-16; overdue Sat 12-19 -> Mon 12-21; done.
# Part 2, the bot offline for three days: runs on Mon 12-07 and Fri 12-11 (10:00 local)
#   only; every missed job fires once, coalesced per person and kind, delayed.
# Part 3, the real clock: a piped script with future jobs still exits at end of input.
. "$(dirname "$0")/lib.sh"

CONF="$T/followup.conf"
followup_conf "$CONF"

# Reminder messages (not replies to commands) in a transcript: their first lines.
REMINDER_RE="^workshopbot: $REMINDER_HEAD"   # REMINDER_HEAD: lib.sh
reminders_in() { grep -E "$REMINDER_RE" "$1"; }
n_reminders() { grep -cE "$REMINDER_RE" "$1"; }

# run DB DAY TIME [LINE...]: one console run at DAYTTIMEZ with the lines as its script
# (from a file; none: an empty file); the transcript is $T/DB-DAY.out (a second run
# that day: $T/DB-DAY.2.out).
run() {
	local db=$1 day=$2 time=$3
	shift 3
	console_run "$db" "$(basename "$db" .db)-$day" "${day}T${time}Z" "$@"
}
CONSOLE_OPTS=(--config "$CONF")

# ---- part 1: a month of days ----
DB="$T/month.db"
run "$DB" 2026-12-01 07:00:00 \
	'alice> !ws start' \
	'alice> !ws action Call the food bank @bob by 2026-12-10' \
	'alice> !ws action Draft the flyer @carol by 2026-12-10' \
	'alice> !ws action Book the room @dave by 2026-12-10' \
	'alice> !ws action Send the survey @erin by 2026-12-15'
OUT="$T/month-2026-12-01.out"
check_reply "an item with a due date is added as before" "$OUT" \
	'alice> !ws action Call the food bank @bob by 2026-12-10' \
	"Added action item #1 Call the food bank — owner @bob, due 2026-12-10, open."

wb --config "$CONF" --db "$DB" jobs >"$T/jobs1.out"
check_exit "workshopbot jobs exits 0" 0 $?
check_eq "jobs prints a header" "ID KIND SESSION ITEM FOR LOCAL TIME UTC ZONE" \
	"$(head -n 1 "$T/jobs1.out" | tr -s ' ')"
# kind item for, local day and time, UTC, zone: soonest first.
check_eq "jobs lists each reminder, soonest first, in local time and UTC" \
"reminder_before #1 bob Tue 2026-12-08 08:00 2026-12-08T07:00:00Z Europe/Berlin
reminder_before #2 carol Tue 2026-12-08 08:00 2026-12-08T07:00:00Z Europe/Berlin
reminder_before #3 dave Tue 2026-12-08 08:00 2026-12-08T07:00:00Z Europe/Berlin
reminder_due #1 bob Thu 2026-12-10 08:00 2026-12-10T07:00:00Z Europe/Berlin
reminder_due #2 carol Thu 2026-12-10 08:00 2026-12-10T07:00:00Z Europe/Berlin
reminder_due #3 dave Thu 2026-12-10 08:00 2026-12-10T07:00:00Z Europe/Berlin
reminder_before #4 erin Mon 2026-12-14 08:00 2026-12-14T07:00:00Z Europe/Berlin
reminder_due #4 erin Tue 2026-12-15 08:00 2026-12-15T07:00:00Z Europe/Berlin" \
	"$(awk 'NR > 1 { print $2, $4, $5, $6, $7, $8, $9, $10 }' "$T/jobs1.out")"
wb --config "$CONF" --db "$DB" jobs --session 1 >"$T/jobs1s.out"
check "jobs --session 1 lists the same" cmp -s "$T/jobs1.out" "$T/jobs1s.out"
wb --config "$CONF" --db "$DB" jobs --session 7 >/dev/null
check_exit "jobs --session 7 (unknown) exits non-zero" nonzero $?
check_one_line_stderr "jobs --session 7 says there is no such session" "no session 7 in $DB"
wb --config "$CONF" --db "$DB" jobs --session x >/dev/null
check_exit "jobs --session x exits 2 (usage)" 2 $?

for i in $(seq 1 30); do
	day=$(date -u -d "2026-12-01 + $i days" +%F)
	case $day in
	2026-12-09)
		# a piped script (a pipe, not a file, on standard input)
		printf '%s\n' 'carol> !ws done 2' 'alice> !ws due 3 2026-12-18' |
			WORKSHOPBOT_NOW="${day}T07:00:00Z" wb --config "$CONF" --db "$DB" console \
			>"$T/month-$day.out"
		echo $? >"$T/month-$day.out.rc"
		;;
	2026-12-14) run "$DB" "$day" 07:00:00 'erin> !ws snooze 4 2d' ;;
	2026-12-18) run "$DB" "$day" 07:00:00 'dave> !ws done 3' ;;
	2026-12-21) run "$DB" "$day" 07:00:00 'erin> !ws done 4' ;;
	*) run "$DB" "$day" 07:00:00 ;;
	esac
done

bad=
for f in "$T"/month-*.out.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .out.rc) "; done
check_eq "every daily run exited 0 (at the end of its input, none timed out)" "" "$bad"

# How many reminders each day printed; days not listed: none.
declare -A WANT=(
	[2026-12-08]=3 [2026-12-10]=1 [2026-12-14]=2 [2026-12-16]=2 [2026-12-17]=1
	[2026-12-18]=1 [2026-12-21]=2 [2026-12-28]=1
)
got= want=
for i in $(seq 0 30); do
	day=$(date -u -d "2026-12-01 + $i days" +%F)
	got+="$day:$(n_reminders "$T/month-$day.out") "
	want+="$day:${WANT[$day]:-0} "
done
check_eq "reminders per day over the month" "$want" "$got"

M="$T/month"
check_grep "Tue 12-08: bob is reminded 2 days before" "$M-2026-12-08.out" \
	"workshopbot: Reminder for @bob: #1 Call the food bank — due in 2 days, on Thu 2026-12-10. When it is done: !ws done 1; later: !ws snooze 1 2d."
check_grep "Tue 12-08: carol too" "$M-2026-12-08.out" \
	"workshopbot: Reminder for @carol: #2 Draft the flyer — due in 2 days, on Thu 2026-12-10."
check_grep "Tue 12-08: dave too" "$M-2026-12-08.out" \
	"workshopbot: Reminder for @dave: #3 Book the room — due in 2 days, on Thu 2026-12-10."
check_reply "Wed 12-09: done" "$M-2026-12-09.out" 'carol> !ws done 2' "Marked done: #2 Draft the flyer"
check_reply "Wed 12-09: a new due date" "$M-2026-12-09.out" 'alice> !ws due 3 2026-12-18' \
	"Due date set: #3 Book the room — owner @dave, due 2026-12-18, open."
check_grep "Thu 12-10: bob on the due morning" "$M-2026-12-10.out" \
	"workshopbot: Reminder for @bob: #1 Call the food bank — due today, Thu 2026-12-10."
check_nogrep "Thu 12-10: nothing for the done item #2 (no stale reminder)" "$M-2026-12-10.out" "#2"
check_nogrep "Thu 12-10: nothing for the re-dated item #3 (no stale reminder)" "$M-2026-12-10.out" "#3"
check_grep "Mon 12-14: the first overdue reminder (Sunday moved to Monday)" "$M-2026-12-14.out" \
	"workshopbot: Overdue reminder for @bob: #1 Call the food bank — was due 4 days ago, on Thu 2026-12-10 (overdue reminder 1 of 3). When it is done: !ws done 1; later: !ws due 1 <date>."
check_grep "Mon 12-14: erin's early reminder (Sunday moved to Monday)" "$M-2026-12-14.out" \
	"workshopbot: Reminder for @erin: #4 Send the survey — due tomorrow, Tue 2026-12-15."
check_reply "Mon 12-14: snooze 2d moves the due-day reminder" "$M-2026-12-14.out" 'erin> !ws snooze 4 2d' \
	"Snoozed #4 Send the survey: the next reminder is on Wed 2026-12-16 08:00 (Europe/Berlin)."
check_eq "Tue 12-15: the snoozed reminder does not come on the due day" 0 \
	"$(n_reminders "$M-2026-12-15.out")"
check_grep "Wed 12-16: erin's snoozed reminder" "$M-2026-12-16.out" \
	"workshopbot: Reminder for @erin: #4 Send the survey — was due yesterday, Tue 2026-12-15."
check_grep "Wed 12-16: dave's early reminder for the new date" "$M-2026-12-16.out" \
	"workshopbot: Reminder for @dave: #3 Book the room — due in 2 days, on Fri 2026-12-18."
check_grep "Thu 12-17: the second overdue reminder" "$M-2026-12-17.out" \
	"(overdue reminder 2 of 3)"
check_grep "Fri 12-18: dave on the new due date" "$M-2026-12-18.out" \
	"workshopbot: Reminder for @dave: #3 Book the room — due today, Fri 2026-12-18."
check_grep "Mon 12-21: the third and last overdue reminder" "$M-2026-12-21.out" \
	"workshopbot: Overdue reminder for @bob: #1 Call the food bank — was due 11 days ago, on Thu 2026-12-10 (overdue reminder 3 of 3)."
check_grep "Mon 12-21: erin's first overdue reminder counts from the snoozed one" "$M-2026-12-21.out" \
	"workshopbot: Overdue reminder for @erin: #4 Send the survey — was due 6 days ago, on Tue 2026-12-15 (overdue reminder 1 of 3)."
check_eq "no reminder on the closures (12-24, 12-25) or the weekend after" "0 0 0 0" \
	"$(for d in 24 25 26 27; do n_reminders "$M-2026-12-$d.out"; done | tr '\n' ' ' | sed 's/ $//')"
check_grep "Mon 12-28: the facilitator is told, once" "$M-2026-12-28.out" \
	"workshopbot: For @alice, the facilitator: #1 Call the food bank — owner @bob, was due 18 days ago, on Thu 2026-12-10 — is still open after 3 overdue reminders."

# Over the whole month, each item's reminders, counted in the transcripts.
all=$(cat "$M"-*.out | grep -E "$REMINDER_RE")
count() { printf '%s\n' "$all" | grep -cF -- "$1"; }
check_eq "#1: 1 early, 1 due-day, 3 overdue, 1 escalation" "6 3 1" \
	"$(count '#1 Call the food bank') $(count '#1 Call the food bank — was due') $(count 'the facilitator')"
check_eq "#2: only its early reminder (done before it was due)" 1 "$(count '#2 Draft the flyer')"
check_eq "#3: the old early one, the new early and due-day ones, nothing after done" 3 \
	"$(count '#3 Book the room')"
check_eq "#4: early, snoozed due-day, one overdue, nothing after done" 3 "$(count '#4 Send the survey')"
check_eq "no reminder text was printed twice on any day" "" \
	"$(for f in "$M"-*.out; do reminders_in "$f" | sort | uniq -d; done)"

check_eq "the jobs table: nothing pending at the end" 0 \
	"$(sql "$DB" "SELECT count(*) FROM jobs WHERE state = 'pending'")"
check_eq "the jobs table: every job that ran, by kind" \
	"escalate|1
reminder_before|5
reminder_due|3
reminder_overdue|4" \
	"$(sql "$DB" "SELECT kind, count(*) FROM jobs WHERE state = 'done' GROUP BY kind ORDER BY kind")"
wb --config "$CONF" --db "$DB" jobs >"$T/jobs-end.out"
check_eq "jobs says when nothing is pending" "(no pending jobs)" "$(tail -n 1 "$T/jobs-end.out")"

# ---- part 2: three days offline ----
DB2="$T/offline.db"
run "$DB2" 2026-12-07 07:00:00 \
	'alice> !ws start' \
	'alice> !ws action Call the food bank @bob by 2026-12-10' \
	'alice> !ws action Draft the flyer @bob by 2026-12-10' \
	'alice> !ws action Book the room @bob by 2026-12-11' \
	'alice> !ws action Send the survey @carol by 2026-12-09'
# Missed while offline (Tue to Thu): the early reminders of #1, #2 (Tue 12-08) and #3
# (Wed 12-09), carol's due-day reminder (Wed 12-09), the due-day reminders of #1, #2
# (Thu 12-10); due by the restart on Fri 12-11 at 10:00 local: #3's (08:00).
check_eq "before the gap: 7 jobs pending, all due by the restart" 7 \
	"$(sql "$DB2" "SELECT count(*) FROM jobs WHERE state = 'pending' AND due_at <= $(date -u -d 2026-12-11T09:00:00Z +%s)")"
run "$DB2" 2026-12-11 09:00:00
O="$T/offline-2026-12-11.out"
check_eq "the restart prints 2 reminders: one per person" 2 "$(n_reminders "$O")"
check_grep "bob's three items come in one message, delayed" "$O" \
	"workshopbot: Reminder for @bob: 3 action items are due:"
check_grep "  #1 was due yesterday" "$O" "#1 Call the food bank — was due yesterday, Thu 2026-12-10"
check_grep "  #2 was due yesterday" "$O" "#2 Draft the flyer — was due yesterday, Thu 2026-12-10"
check_grep "  #3 is due today" "$O" "#3 Book the room — due today, Fri 2026-12-11"
check_grep "  ... with the delayed note" "$O" \
	"When one is done: !ws done <id>; later: !ws snooze <id> 2d. (delayed: the bot was offline)"
check_grep "carol's missed due-day reminder, delayed" "$O" \
	"workshopbot: Reminder for @carol: #4 Send the survey — was due 2 days ago, on Wed 2026-12-09. When it is done: !ws done 4; later: !ws snooze 4 2d. (delayed: the bot was offline)"
check_eq "each item is named once (the missed early reminders are folded in)" "1 1 1 1" \
	"$(for i in 1 2 3 4; do grep -cE "#$i [A-Z]" "$O"; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "every missed job ran once: 4 sent, the 3 folded early ones marked unsent" \
	"cancelled|reminder_before|3
done|reminder_due|4" \
	"$(sql "$DB2" "SELECT state, kind, count(*) FROM jobs WHERE state <> 'pending' GROUP BY state, kind ORDER BY state, kind")"
run "$DB2" 2026-12-11 09:05:00
check_eq "a second start the same morning sends none of them again" 0 \
	"$(n_reminders "$T/offline-2026-12-11.2.out")"
wb --config "$CONF" --db "$DB2" jobs >"$T/jobs2.out"
check_eq "the overdue reminders count from the restart: Fri + 3 = Mon 12-14" \
"reminder_overdue #1 bob Mon 2026-12-14 08:00
reminder_overdue #2 bob Mon 2026-12-14 08:00
reminder_overdue #3 bob Mon 2026-12-14 08:00
reminder_overdue #4 carol Mon 2026-12-14 08:00" \
	"$(awk 'NR > 1 { print $2, $4, $5, $6, $7, $8 }' "$T/jobs2.out" | sort)"
run "$DB2" 2026-12-14 07:00:00
check_eq "Mon 12-14: one overdue message each for bob (3 items) and carol" "2 1" \
	"$(n_reminders "$T/offline-2026-12-14.out") $(grep -c '3 action items are overdue' "$T/offline-2026-12-14.out")"
check_nogrep "Mon 12-14 is on time: no delayed note" "$T/offline-2026-12-14.out" "delayed"
bad=
for f in "$T"/offline-*.out.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f") "; done
check_eq "every offline-part run exited 0" "" "$bad"

# ---- part 3: the real clock ----
# With WORKSHOPBOT_NOW unset a timer is armed for the next reminder; the end of a piped
# script still ends the run.
DB3="$T/realclock.db"
printf '%s\n' 'alice> !ws start' 'alice> !ws action Plan the follow-up @bob by in 2 weeks' |
	WORKSHOPBOT_NOW= wb --config "$CONF" --db "$DB3" console >"$T/real.out"
check_exit "the real-clock console exits 0 at the end of its input" 0 $?
check "... with its reminders pending" test \
	"$(sql "$DB3" "SELECT count(*) FROM jobs WHERE state = 'pending' AND kind = 'reminder_due'")" = 1

finish
