#!/usr/bin/env bash
# test_timed.sh - a timed session (`start timed 10m`) through the real `workshopbot
# console`, one run per step on one database, WORKSHOPBOT_NOW stepping through a morning.
# Each run handles the jobs due by its "now" when it starts (they print before its script
# is read), then the script (often empty), then exits at the end of input with the clock
# frozen, arming no timer for later jobs.
#
#   09:00  alice starts with timed 10m: question 1, warn at 09:09, advance at 09:10
#   09:05  nothing; 09:09 the one-minute warning; 09:10 question 2 (warn 09:19, advance
#          09:20), and a second run at 09:10 posts nothing again
#   09:19  the warning; 09:20 question 3; 09:22 alice moves on by hand: question 4 gets a
#          full 10 minutes from then (warn 09:31, advance 09:32), the old pair never fires
#   (the bot is offline from 09:23 to 10:00: the warning and the advance are missed)
#   10:00  question 5, once, with no stale warning; a second run at 10:00 posts nothing
#   10:05  alice: pause, status, resume (a fresh 10 minutes), then pace live
#   11:00  nothing moves
. "$(dirname "$0")/lib.sh"

DB="$T/timed.db"

# run TIME [LINE...]: one console run at 2026-11-29TTIMEZ; transcript $T/run-TIME.out
# (a second run at the same time: $T/run-TIME.2.out).
run() {
	local time=$1
	shift
	console_run "$DB" "run-$time" "2026-11-29T${time}Z" "$@"
}
R() { printf '%s/run-%s.out' "$T" "$1"; }
# The bot's own posts in a transcript that come from jobs: the warnings and the questions
# it opened by itself (a run with no script).
n_lines() { grep -cF -- "$2" "$1"; }

run 09:00:00 'alice> !ws start timed 10m' 'bob> Reach families who never come in' \
	'alice> !ws status'
check_reply "start timed 10m explains the pace" "$(R 09:00:00)" 'alice> !ws start timed 10m' \
	"Each question stays open for 10m, then I move on by myself (with a one-minute warning)"
check_reply "... and posts question 1" "$(R 09:00:00)" 'alice> !ws start timed 10m' \
	"Question 1 of 22"
check_reply "status shows the pace and when the question closes" "$(R 09:00:00)" \
	'alice> !ws status' "Pace: timed, 10m per question; question 1 closes at Sun 2026-11-29 09:10 (UTC)."
check_eq "the session is stored as timed, 600 s" "timed|600" \
	"$(sql "$DB" "SELECT pace, pace_seconds FROM sessions")"
wb --db "$DB" jobs >"$T/jobs1.out"
check_eq "jobs lists the warning and the advance" \
"warn 1 - - 2026-11-29T09:09:00Z
advance 1 - - 2026-11-29T09:10:00Z" \
	"$(awk 'NR > 1 { print $2, $3, $4, $5, $9 }' "$T/jobs1.out")"

run 09:05:00
check_nogrep "09:05: no warning yet" "$(R 09:05:00)" "One minute left"
check_nogrep "09:05: no new question" "$(R 09:05:00)" "Question 2 of"

run 09:09:00
check_grep "09:09: the one-minute warning" "$(R 09:09:00)" "workshopbot: One minute left on question 1."
check_nogrep "09:09: no new question yet" "$(R 09:09:00)" "Question 2 of"

run 09:10:00
check_grep "09:10: the bot moves on to question 2 by itself" "$(R 09:10:00)" "Question 2 of 22"
check_nogrep "09:10: the warning is not repeated" "$(R 09:10:00)" "One minute left"
run 09:10:00
check_nogrep "09:10 again (a restart): question 2 is not posted twice" "$T/run-09:10:00.2.out" \
	"Question 2 of"
check_eq "question 1 closed, question 2 open" "0|closed
1|open" "$(sql "$DB" "SELECT prompt_index, state FROM session_prompts ORDER BY prompt_index")"

run 09:19:00
check_grep "09:19: the warning for question 2" "$(R 09:19:00)" "One minute left on question 2."
run 09:20:00
check_grep "09:20: question 3" "$(R 09:20:00)" "Question 3 of 22"

run 09:22:00 'alice> !ws next'
check_reply "09:22: alice moves on by hand" "$(R 09:22:00)" 'alice> !ws next' "Question 4 of 22"
check_eq "question 4 gets a full 10 minutes from 09:22; the old pair was cancelled" \
	"warn|$(date -u -d 2026-11-29T09:31:00Z +%s)|{\"prompt\":4}
advance|$(date -u -d 2026-11-29T09:32:00Z +%s)|{\"prompt\":4}" \
	"$(sql "$DB" "SELECT kind, due_at, payload FROM jobs WHERE state = 'pending' ORDER BY due_at")"
check_eq "... (2 cancelled)" 2 "$(sql "$DB" "SELECT count(*) FROM jobs WHERE state = 'cancelled'")"

# Offline from 09:23 to 10:00.
run 10:00:00
check_grep "10:00: after the downtime, question 5 once" "$(R 10:00:00)" "Question 5 of 22"
check_nogrep "10:00: no stale one-minute warning" "$(R 10:00:00)" "One minute left"
run 10:00:00
check_nogrep "10:00 again: nothing fires twice" "$T/run-10:00:00.2.out" "Question 5 of"
check_nogrep "10:00 again: no warning either" "$T/run-10:00:00.2.out" "One minute left"

run 10:05:00 'alice> !ws pause' 'alice> !ws status' 'alice> !ws resume' 'alice> !ws status' \
	'bob> !ws pace live' 'alice> !ws pace live' 'alice> !ws status'
O=$(R 10:05:00)
check_reply "paused: status says the clock restarts on resume" "$O" 'alice> !ws status' \
	"(paused: !ws resume gives the question a fresh 10m)." 1
check_reply "resumed: question 5 closes 10 minutes from now" "$O" 'alice> !ws status' \
	"question 5 closes at Sun 2026-11-29 10:15 (UTC)." 2
check_one_line_reply "bob may not change the pace" "$O" 'bob> !ws pace live' \
	"Sorry bob, only the facilitator (alice) can change the pace of this session."
check_one_line_reply "alice switches to live" "$O" 'alice> !ws pace live' \
	"Pace: live. The facilitator moves on with !ws next."
check_reply "status shows the live pace" "$O" 'alice> !ws status' "Pace: live" 3
check_eq "pace live leaves no pending job" 0 \
	"$(sql "$DB" "SELECT count(*) FROM jobs WHERE state = 'pending'")"

run 11:00:00
check_nogrep "11:00: a live session does not move" "$(R 11:00:00)" "Question 6 of"
check_eq "the session is live again, at question 5" "live||5" \
	"$(sql "$DB" "SELECT pace, pace_seconds, prompt_index FROM sessions")"

# Over every run: each automatic post exactly once.
all=$(cat "$T"/run-*.out)
count() { printf '%s\n' "$all" | grep -cF -- "$1"; }
check_eq "warnings for questions 1 and 2 once each; none for 4 or 5" "1 1 0 0" \
	"$(count 'One minute left on question 1.') $(count 'One minute left on question 2.') $(count 'One minute left on question 4.') $(count 'One minute left on question 5.')"
# (resume posts the open question again: question 5 a second time, at 10:05.)
check_eq "questions 2, 3, 4 and 5 were each posted once (5 again on resume)" "1 1 1 2" \
	"$(count 'Question 2 of 22') $(count 'Question 3 of 22') $(count 'Question 4 of 22') $(count 'Question 5 of 22')"
# The warning missed while offline ran too, silently (its advance was due as well).
check_eq "the jobs that ran, by kind" "advance|3
warn|3" \
	"$(sql "$DB" "SELECT kind, count(*) FROM jobs WHERE state = 'done' GROUP BY kind ORDER BY kind")"
bad=
for f in "$T"/run-*.out.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .out.rc) "; done
check_eq "every run exited 0" "" "$bad"

# Bad durations are refused with the usage, and start nothing.
BAD="$T/bad.db"
printf '%s\n' 'alice> !ws start timed' 'alice> !ws start timed 0m' 'alice> !ws start timed soon' |
	wb --db "$BAD" console >"$T/bad.out"
check_exit "the console exits 0" 0 $?
for line in 'alice> !ws start timed' 'alice> !ws start timed 0m' 'alice> !ws start timed soon'; do
	check_one_line_reply "'$line' is refused with the usage" "$T/bad.out" "$line" \
		"Usage: !ws start [template] [live|timed <duration>|async daily <HH:MM>] [tz <zone>]"
done
check_eq "no session was started" 0 "$(sql "$BAD" "SELECT count(*) FROM sessions")"

finish
