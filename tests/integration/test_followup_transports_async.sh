#!/usr/bin/env bash
# test_followup_transports_async.sh - an async session and the report-back prompts through
# the console, the real daemon against the fake Slack and the real daemon against the fake
# Matrix homeserver: all three must post the same messages at the same times, and store
# the same answers and report-back entries.
#
# One run per simulated instant (WORKSHOPBOT_NOW), as in test_followup_transports.sh: the
# console runs `workshopbot console` with the instant's lines as its script; Slack and
# Matrix each start `workshopbot run` against their fake, say the lines as chat messages
# (tp_run in daemon_lib.sh), wait (bounded) until they were handled, every due job ran and
# the outbox is drained, and stop it with SIGTERM. An answer is a thread reply to the
# question's (or the report-back prompt's) post on Slack and Matrix, a plain line on the
# console. The posts of each run are turned into the console's plain text and compared;
# after each run the answers and report-back entries in the database are compared too.
#
# Europe/Berlin (UTC+1 in December), the config of test_reminders.sh (due_morning 08:00),
# nudge_at 15:00 (the default); times below are local:
#   Thu 12-03 09:00  alice starts `async daily 09:00`: the welcome, section 1 (questions 1
#                    and 2); bob answers 1, carol 1 and 2
#   Thu 12-03 15:00  the nudge: alice (1, 2), bob (2)
#   Fri 12-04 09:00  section 2 (questions 3 to 5); bob answers 3
#   Fri 12-04 15:00  the nudge: alice (3, 4, 5), bob (4, 5), carol (3, 4, 5)
#   Sat 12-05 09:00, Sun 12-06 15:00   nothing
#   Mon 12-07 09:00  section 3
#   Mon 12-07 10:00  alice: next (section 4), end
#   Sun 12-20        nothing; Mon 12-21 08:00 the 14-day prompt; bob answers it with
#                    "people reached: 40"
#   Tue 12-22        bob edits that reply to 45 (Slack, Matrix); Wed 12-23 he deletes it
#   Sun 2027-01-17   nothing; Mon 01-18 08:00 the 42-day prompt; Tue 01-19 nothing
. "$(dirname "$0")/lib.sh"

CONF="$T/followup.conf"
followup_conf "$CONF"

# ---- the schedule: UTC instants, each with its lines (console form, see tp_line) ----
RUNS="2026-12-03T08:00:00Z 2026-12-03T14:00:00Z 2026-12-04T08:00:00Z 2026-12-04T14:00:00Z
2026-12-05T08:00:00Z 2026-12-06T14:00:00Z 2026-12-07T08:00:00Z 2026-12-07T09:00:00Z 2026-12-20T07:00:00Z
2026-12-21T07:00:00Z 2026-12-22T07:00:00Z 2026-12-23T07:00:00Z 2027-01-17T07:00:00Z
2027-01-18T07:00:00Z 2027-01-19T07:00:00Z"
declare -A CMDS=(
	[2026-12-03T08:00:00Z]='alice> !ws start async daily 09:00
bob> ~q 1 Learn from peers
carol> ~q 1 Hear new ideas
carol> ~q 2 Plan together'
	[2026-12-04T08:00:00Z]='bob> ~q 3 1, 3'
	[2026-12-07T09:00:00Z]='alice> !ws next
alice> !ws end'
	[2026-12-21T07:00:00Z]='bob> ~rb We told the library board. people reached: 40'
	[2026-12-22T07:00:00Z]='bob> ~edit We told the library board. people reached: 45'
	[2026-12-23T07:00:00Z]='bob> ~delete'
)
TP_USERS="alice bob carol"

OUT=$T/out
mkdir -p "$OUT"

# same_names: JSON strings on stdin as the console writes them, for the comparison. A
# member is named by a mention on Matrix (@bob:fake.local, already "@bob" after tp_texts)
# and by name on Slack and the console, where a reminder puts an "@" before it: every
# "@bob" of a user here becomes "bob". Matrix adds a line offering reactions to a
# checklist question ("Or react with 1️⃣ 2️⃣ … to check options"), which Slack offers as
# buttons and the console not at all: it is left out.
same_names() {
	jq -c --arg re "@(?<u>${TP_USERS// /|})(?![A-Za-z0-9_])" \
		'gsub($re; "\(.u)") | gsub("\nOr react with [^\n]* to check options[^\n]*"; "")'
}

# snapshot DB FILE: the answers and report-back entries (with their numbers) in DB, user
# ids as names (UBOB and @bob:fake.local are bob).
USER_OF="lower(CASE WHEN user_id LIKE '@%:fake.local' THEN substr(user_id, 2, instr(user_id, ':') - 2)
	WHEN user_id GLOB 'U[A-Z]*' THEN substr(user_id, 2) ELSE user_id END)"
snapshot() {
	sql "$1" "SELECT 'answer', prompt_id, $USER_OF, text, withdrawn FROM answers
		ORDER BY prompt_id, 3" >"$2"
	sql "$1" "SELECT 'report', e.followup_id, $USER_OF, e.text, e.withdrawn,
		(SELECT group_concat(field || '=' || value) FROM report_outcomes WHERE entry_id = e.id)
		FROM report_entries e ORDER BY e.id" >>"$2"
}

# ---- the console ----
for now in $RUNS; do
	f=$OUT/console-$now
	printf '%s' "${CMDS[$now]:-}" | console_script >"$f.in"
	[ -s "$f.in" ] && echo >>"$f.in"
	WORKSHOPBOT_NOW=$now wb --config "$CONF" --db "$T/console.db" console <"$f.in" >"$f.out"
	echo $? >"$f.rc"
	console_messages "$f.out" | console_posts | same_names >"$f.txt"
	snapshot "$T/console.db" "$f.db"
done

# ---- Slack and Matrix: one daemon run per instant (tp_run) ----
tp_snapshot() { snapshot "$TP_DB" "${1%.raw}.db"; }
daemon_runs() {
	local now
	for now in $RUNS; do
		tp_run "$1@$now" "$now" "$T/$1.db" "$OUT/$1-$now.raw" "${CMDS[$now]:-}"
		same_names <"$OUT/$1-$now.raw" >"$OUT/$1-$now.txt"
	done
}

. "$(dirname "$0")/slack_lib.sh"
DAEMON_OPTS=(--config "$CONF")   # after the lib, which resets it
fake_start
slack_tp_users
daemon_runs slack
fake_stop

. "$(dirname "$0")/matrix_lib.sh"
DAEMON_OPTS=(--config "$CONF")
fake_start
room_create "$(printf '@%s:fake.local\n' $TP_USERS | jq -Rsc --arg b "$BOT" '{members:
	(split("\n") | map(select(. != "")) + [$b]), name: "Async",
	power_levels: {users: {"@alice:fake.local": 100}}}')"
daemon_runs matrix

# ---- the same on all three ----
check_eq "every daemon run got ready, handled its lines, drained and stopped with 0" "" "$BAD_RUNS"
bad=
for f in "$OUT"/console-*.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .rc) "; done
check_eq "every console run exited 0" "" "$bad"

# per_run TP: "INSTANT:N" for each run (N posts).
per_run() {
	local now
	for now in $RUNS; do printf '%s:%s ' "${now%:00Z}" "$(wc -l <"$OUT/$1-$now.txt")"; done
}
# Each run, the console's posts: the welcome, section 1's heading and its 2 questions; the
# nudge; section 2's heading, the key terms and 3 questions; the nudge; nothing on the
# weekend; section 3's heading and 2 prompts; next: section 4's heading and 2 questions,
# end: the closing post; the prompts on their days.
check_eq "posts per run on the console" \
	"2026-12-03T08:00:4 2026-12-03T14:00:1 2026-12-04T08:00:5 2026-12-04T14:00:1 2026-12-05T08:00:0 2026-12-06T14:00:0 2026-12-07T08:00:3 2026-12-07T09:00:4 2026-12-20T07:00:0 2026-12-21T07:00:1 2026-12-22T07:00:0 2026-12-23T07:00:0 2027-01-17T07:00:0 2027-01-18T07:00:1 2027-01-19T07:00:0 " \
	"$(per_run console)"
# One check per run and transport, so that a difference shows where it is.
for tp in slack matrix; do
	for now in $RUNS; do
		if cmp -s "$OUT/console-$now.txt" "$OUT/$tp-$now.txt"; then
			ok "$tp, ${now%:00Z}: the console's posts, in the same order"
		else
			not_ok "$tp, ${now%:00Z}: the console's posts, in the same order" \
				"$(diff "$OUT/console-$now.txt" "$OUT/$tp-$now.txt" | cut -c1-300)"
		fi
	done
	diffs=
	for now in $RUNS; do
		[[ $now < 2026-12-22 ]] || break
		cmp -s "$OUT/console-$now.db" "$OUT/$tp-$now.db" ||
			diffs+="$now: console $(tr '\n' ' ' <"$OUT/console-$now.db")"$'\n'"$now: $tp $(tr '\n' ' ' <"$OUT/$tp-$now.db")"$'\n'
	done
	if [ -z "$diffs" ]; then
		ok "$tp stores the console's answers and report-back entries after each run up to 12-21"
	else
		not_ok "$tp stores the console's answers and report-back entries after each run up to 12-21" "$diffs"
	fi
done

# ---- absolute checks, on each transport ----
# posts TP INSTANT: that run's posts; all TP: every post of every run.
posts_of() { cat "$OUT/$1-$2.txt"; }
all_of() { local now; for now in $RUNS; do cat "$OUT/$1-$now.txt"; done; }
for tp in console slack matrix; do
	check_eq "$tp: Thu 09:00 start: section 1 opens with questions 1 and 2, the next on Friday" \
		"1 1 1" \
		"$(posts_of $tp 2026-12-03T08:00:00Z | grep -c '^"Section 1 of 7 · .*\\nQuestions 1 to 2 are open; the next section opens Fri 2026-12-04 09:00\."$') $(posts_of $tp 2026-12-03T08:00:00Z | grep -c '^"Question 1 of 22') $(posts_of $tp 2026-12-03T08:00:00Z | grep -c '^"Question 2 of 22')"
	check_eq "$tp: Thu 15:00: the nudge names alice (1, 2) and bob (2), not carol" 1 \
		"$(posts_of $tp 2026-12-03T14:00:00Z | grep -c ': not answered yet: alice (1, 2), bob (2)\. Reply in a')"
	check_eq "$tp: Fri 15:00: the nudge names alice, bob (4, 5) and carol" 1 \
		"$(posts_of $tp 2026-12-04T14:00:00Z | grep -c ': not answered yet: alice (3, 4, 5), bob (4, 5), carol (3, 4, 5)\. Reply in a')"
	check_eq "$tp: each section's heading is posted once, on its day (1-3) or by next (4)" \
		"1 1 1 1 0" \
		"$(for n in 1 2 3 4 5; do all_of $tp | grep -c "^\"Section $n of 7 · "; done | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$tp: Mon 09:00: section 3, the next on Tuesday" 1 \
		"$(posts_of $tp 2026-12-07T08:00:00Z | grep -c '^"Section 3 of 7 · .*the next section opens Tue 2026-12-08 09:00\."')"
	check_eq "$tp: two nudges in all, no delay note anywhere" "2 0" \
		"$(all_of $tp | grep -c '^"A nudge for section') $(all_of $tp | grep -c 'delayed')"
	check_eq "$tp: the 14-day prompt once, on Mon 12-21; the 42-day one once, on Mon 01-18" \
		"1 1 1 1" \
		"$(all_of $tp | grep -c '^"Report-back, 14 days after session #1: ') $(posts_of $tp 2026-12-21T07:00:00Z | grep -c '^"Report-back, 14 days after') $(all_of $tp | grep -c '^"Report-back, 42 days after session #1: ') $(posts_of $tp 2027-01-18T07:00:00Z | grep -c '^"Report-back, 42 days after')"
	check_eq "$tp: the four answers are stored (a thread reply, or a console line, each)" \
		"answer|goals-personal|bob|Learn from peers|0
answer|goals-personal|carol|Hear new ideas|0
answer|goals-team|carol|Plan together|0
answer|key-terms-used|bob|1, 3|0" "$(grep '^answer|' "$OUT/$tp-2027-01-19T07:00:00Z.db")"
	check_eq "$tp: bob's report-back answer is an entry with its number" \
		"report|two-weeks|bob|We told the library board. people reached: 40|0|people=40" \
		"$(grep '^report|' "$OUT/$tp-2026-12-21T07:00:00Z.db")"
done
for tp in slack matrix; do
	check_eq "$tp: editing the reply updates the entry and its number (still one entry)" \
		"report|two-weeks|bob|We told the library board. people reached: 45|0|people=45" \
		"$(grep '^report|' "$OUT/$tp-2026-12-22T07:00:00Z.db")"
	check_eq "$tp: deleting the reply withdraws the entry" \
		"report|two-weeks|bob|We told the library board. people reached: 45|1|people=45" \
		"$(grep '^report|' "$OUT/$tp-2027-01-19T07:00:00Z.db")"
done
check_eq "console: (no edit or deletion there) the entry stays as typed" \
	"report|two-weeks|bob|We told the library board. people reached: 40|0|people=40" \
	"$(grep '^report|' "$OUT/console-2027-01-19T07:00:00Z.db")"

finish
