#!/usr/bin/env bash
# test_async.sh - an async session (`start async daily 09:00 tz Europe/Berlin`) through
# the real `workshopbot console`, one run per step on one database, WORKSHOPBOT_NOW
# stepping day by day through December 2026 (Berlin is UTC+1). Each run handles the jobs
# due by its "now" when it starts, then its script (often empty), then exits.
#
#   Thu 03 09:00  alice starts: welcome, section 1 (questions 1-2); bob answers one,
#                 carol both
#   Thu 03 15:00  the nudge names alice (1, 2) and bob (2), not carol
#   Fri 04 09:00  section 2 (questions 3-5); bob answers all three
#   Fri 04 15:00  the nudge names alice and carol (3, 4, 5), not bob
#   Sat, Sun      nothing (not working days)
#   Mon 07 09:00  section 3, once (a second run at 09:00 posts nothing)
#   (the bot is offline from Mon 09:00 to Thu 11:00: three openings missed)
#   Thu 10 11:00  section 4 only, with the delay note; the next waits for Friday
#   Thu 10 11:05  alice opens section 5 early with next; status shows Friday 09:00
. "$(dirname "$0")/lib.sh"

DB="$T/async.db"

# run ISO-TIME [LINE...]: one console run at that UTC instant; transcript $T/run-TIME.out
# (a second run at the same time: $T/run-TIME.2.out).
run() {
	local time=$1
	shift
	console_run "$DB" "run-$time" "${time}Z" "$@"
}
R() { printf '%s/run-%s.out' "$T" "$1"; }
pending() {
	sql "$DB" "SELECT kind, datetime(due_at, 'unixepoch'), payload FROM jobs
		   WHERE state = 'pending' ORDER BY due_at"
}

run 2026-12-03T08:00:00 'alice> !ws start async daily 09:00 tz Europe/Berlin' \
	'bob> Learn from peers' 'carol> Hear new ideas' 'carol> Plan together' 'alice> !ws who'
O=$(R 2026-12-03T08:00:00)
check_reply "start explains the async pace" "$O" 'alice> !ws start async daily 09:00 tz Europe/Berlin' \
	"I open one section a day, at 09:00 (Europe/Berlin) on working days"
check_reply "... opens section 1 with the next opening" "$O" \
	'alice> !ws start async daily 09:00 tz Europe/Berlin' \
	"Questions 1 to 2 are open; the next section opens Fri 2026-12-04 09:00."
check_reply "... and posts question 2 as its own post" "$O" \
	'alice> !ws start async daily 09:00 tz Europe/Berlin' "Question 2 of 22"
check_one_line_reply "carol's second line answers question 2" "$O" 'carol> Plan together' \
	"your answer to question 2 is saved"
check_one_line_reply "who lists the open questions per member" "$O" 'alice> !ws who' \
	"Not answered every question of this section yet: alice (1, 2), bob (2)."
check_eq "the session is async at 09:00 in Berlin" "async|09:00|Europe/Berlin|0" \
	"$(sql "$DB" "SELECT pace, pace_time, timezone, prompt_index FROM sessions")"
check_eq "jobs: the nudge at 15:00 and the next section on Friday 09:00 (Berlin)" \
"async_nudge|2026-12-03 14:00:00|{\"prompt\":0}
async_open|2026-12-04 08:00:00|{\"prompt\":0}" "$(pending)"

run 2026-12-03T14:00:00
O=$(R 2026-12-03T14:00:00)
check_grep "15:00: the nudge names alice and bob with their open questions" "$O" \
	"not answered yet: @alice (1, 2), @bob (2)."
check_nogrep "... not carol, who answered both" "$O" "carol"

run 2026-12-04T08:00:00
O=$(R 2026-12-04T08:00:00)
check_grep "Friday 09:00: section 2" "$O" "Section 2 of 7"
check_grep "... questions 3 to 5, the next on Monday" "$O" \
	"Questions 3 to 5 are open; the next section opens Mon 2026-12-07 09:00."
check_grep "... each question posted" "$O" "Question 5 of 22"
check_nogrep "... no delay note" "$O" "delayed"

run 2026-12-04T09:00:00 'bob> 1, 3' 'bob> none' 'bob> Use them in reports'
check_one_line_reply "bob's third line answers question 5" "$(R 2026-12-04T09:00:00)" \
	'bob> Use them in reports' "your answer to question 5 is saved"

run 2026-12-04T14:00:00
O=$(R 2026-12-04T14:00:00)
check_grep "Friday 15:00: the nudge names alice and carol" "$O" \
	"not answered yet: @alice (3, 4, 5), @carol (3, 4, 5)."
check_nogrep "... not bob" "$O" "bob"

run 2026-12-05T08:00:00
run 2026-12-06T08:00:00
check_eq "the weekend posts nothing" "" \
	"$(cat "$(R 2026-12-05T08:00:00)" "$(R 2026-12-06T08:00:00)" | grep -F 'workshopbot: Section')"

run 2026-12-07T08:00:00
check_grep "Monday 09:00: section 3" "$(R 2026-12-07T08:00:00)" "Section 3 of 7"
run 2026-12-07T08:00:00
check_nogrep "Monday 09:00 again (a restart): section 3 is not posted twice" \
	"$T/run-2026-12-07T08:00:00.2.out" "Section 3 of"

# Offline from Monday 09:00 to Thursday 11:00: Tuesday's, Wednesday's and Thursday's
# openings and Monday's nudge were missed.
run 2026-12-10T10:00:00
O=$(R 2026-12-10T10:00:00)
check_grep "Thursday 11:00: one section opens, delayed-noted" "$O" \
	"Questions 8 to 9 are open; the next section opens Fri 2026-12-11 09:00. (delayed: the bot was offline)"
check_eq "... only section 4, no burst" "1 0" \
	"$(grep -cF 'Section 4 of 7' "$O") $(grep -cF 'Section 5 of 7' "$O")"
check_nogrep "... and no stale nudge about section 3" "$O" "A nudge for section 3"
check_eq "the next opening waits for Friday; today's nudge at 15:00" \
"async_nudge|2026-12-10 14:00:00|{\"prompt\":8}
async_open|2026-12-11 08:00:00|{\"prompt\":8}" "$(pending)"
run 2026-12-10T10:00:00
check_nogrep "Thursday 11:00 again: nothing fires twice" "$T/run-2026-12-10T10:00:00.2.out" \
	"Section"

run 2026-12-10T10:05:00 'bob> !ws next' 'alice> !ws next' 'alice> !ws status'
O=$(R 2026-12-10T10:05:00)
check_one_line_reply "bob may not open a section" "$O" 'bob> !ws next' \
	"only the facilitator (alice) can move on in this session."
check_reply "alice opens section 5 early" "$O" 'alice> !ws next' \
	"Questions 10 to 16 are open; the next section opens Fri 2026-12-11 09:00."
check_reply "status describes the async pace" "$O" 'alice> !ws status' \
	"Pace: async daily 09:00 Europe/Berlin; next section Fri 2026-12-11 09:00."

# Over every run: each opening and nudge exactly once.
all=$(cat "$T"/run-*.out)
count() { printf '%s\n' "$all" | grep -cF -- "$1"; }
check_eq "sections 1 to 5 each opened once" "1 1 1 1 1" \
	"$(count 'Section 1 of 7') $(count 'Section 2 of 7') $(count 'Section 3 of 7') $(count 'Section 4 of 7') $(count 'Section 5 of 7')"
check_eq "two nudges" 2 "$(count 'A nudge for section')"
bad=
for f in "$T"/run-*.out.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .out.rc) "; done
check_eq "every run exited 0" "" "$bad"

finish
