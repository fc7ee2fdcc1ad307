#!/usr/bin/env bash
# test_followup_transports.sh - the same follow-up schedule through the console, the real
# daemon against the fake Slack and the real daemon against the fake Matrix homeserver;
# all three must post the same reminders on the same days.
#
# One run per simulated day (WORKSHOPBOT_NOW, 07:00Z = 08:00 in Berlin, as in
# test_reminders.sh, whose config this is). The console runs `workshopbot console` with
# the day's commands as its script; Slack and Matrix each start `workshopbot run` against
# their fake, push the day's commands as chat messages, wait (bounded polling) until every
# due job ran and the outbox is drained, and stop it with SIGTERM. The reminders each run
# posted are turned into the console's plain text (one JSON string each) and compared.
#
# Part 1 (a subset of test_reminders.sh part 1), items added on Tue 12-01 by alice:
#   #1 bob,   due Thu 12-10: before Tue 12-08, due 12-10, overdue Mon 12-14, Thu 12-17,
#             Mon 12-21, escalation to alice on Mon 12-28 (closures 12-24/25, weekend)
#   #2 carol, due Thu 12-10: before Tue 12-08; done on Wed 12-09: nothing after
#   #3 dave,  due Thu 12-10: before Tue 12-08; re-dated on 12-09 to Fri 12-18: before
#             Wed 12-16, due 12-18; done that day: nothing after
#   quiet days in between (12-11, 12-22, the closure 12-24, 12-29)
# Part 2 (test_reminders.sh part 2), another channel/room and database: items added on
#   Mon 12-07, the bot offline Tue to Thu, restarted Fri 12-11 10:00 local: one delayed,
#   coalesced message for bob (3 items) and one for carol, identical everywhere; a second
#   start that morning posts nothing.
#
# Normalised before comparing: Slack's mrkdwn (bold and code marks, entities, <@U…>) and
# Matrix ids of the fake's users (@bob:fake.local) become the console's plain "@bob". The
# owners say something on the first day: Slack names a user by display name (users.info)
# only once they have written in the session; before that a reminder shows the raw id
# ("Reminder for @UBOB"), which no normalisation here hides (see the report of the change).
. "$(dirname "$0")/lib.sh"

CONF="$T/followup.conf"
followup_conf "$CONF"

# ---- the schedule (console form: "speaker> text"; @name is a user) ----
PART1_DAYS="2026-12-01 2026-12-08 2026-12-09 2026-12-10 2026-12-11 2026-12-14 2026-12-16
2026-12-17 2026-12-18 2026-12-21 2026-12-22 2026-12-24 2026-12-28 2026-12-29"
PART2_DAYS="2026-12-07T07:00:00Z 2026-12-11T09:00:00Z 2026-12-11T09:05:00Z"
declare -A CMDS=(
	[2026-12-01]='alice> !ws start
alice> !ws action Call the food bank @bob by 2026-12-10
alice> !ws action Draft the flyer @carol by 2026-12-10
alice> !ws action Book the room @dave by 2026-12-10
bob> !ws actions mine
carol> !ws actions mine
dave> !ws actions mine'
	[2026-12-09]='carol> !ws done 2
alice> !ws due 3 2026-12-18'
	[2026-12-18]='dave> !ws done 3'
	[2026-12-07]='alice> !ws start
alice> !ws action Call the food bank @bob by 2026-12-10
alice> !ws action Draft the flyer @bob by 2026-12-10
alice> !ws action Book the room @bob by 2026-12-11
alice> !ws action Send the survey @carol by 2026-12-09
bob> !ws actions mine
carol> !ws actions mine'
)
USERS="alice bob carol dave"

# now_of PART DAY: the WORKSHOPBOT_NOW of one run.
now_of() { if [ "$1" = 1 ]; then printf '%sT07:00:00Z' "$2"; else printf '%s' "$2"; fi; }
# cmds_of PART DAY: that run's commands (none: nothing).
cmds_of() { [ "$1" = 1 ] || [ "${2#*T}" = 07:00:00Z ] && printf '%s' "${CMDS[${2%%T*}]:-}"; }

OUT=$T/out
mkdir -p "$OUT"

# ---- the console ----
for part in 1 2; do
	days=PART${part}_DAYS
	for day in ${!days}; do
		f=$OUT/console-$part-$day
		cmds_of "$part" "$day" >"$f.in"
		[ -s "$f.in" ] && echo >>"$f.in"
		WORKSHOPBOT_NOW=$(now_of "$part" "$day") wb --config "$CONF" --db "$T/console-$part.db" \
			console <"$f.in" >"$f.out"
		echo $? >"$f.rc"
		console_messages "$f.out" | reminders_only >"$f.txt"
	done
done

# ---- the daemon, one run a day (shared by Slack and Matrix; tp_run in daemon_lib.sh) ----
# daemon_day TP PART DAY: one day's run on transport TP; its reminders go to
# $OUT/TP-PART-DAY.txt, all its posts to .all.
daemon_day() {
	local f=$OUT/$1-$2-$3
	tp_run "$1-$2-$3" "$(now_of "$2" "$3")" "$(tp_db "$2")" "$f.all" "$(cmds_of "$2" "$3")"
	reminders_only <"$f.all" >"$f.txt"
}
TP_USERS="$USERS"

# ---- Slack ----
. "$(dirname "$0")/slack_lib.sh"
DAEMON_OPTS=(--config "$CONF")   # after the lib, which resets it
fake_start
slack_tp_users
tp_db() { printf '%s/slack-%s.db' "$T" "$1"; }
for part in 1 2; do
	[ "$part" = 2 ] && CHANNEL=C222
	days=PART${part}_DAYS
	for day in ${!days}; do daemon_day slack "$part" "$day"; done
done
fake_stop

# ---- Matrix ----
. "$(dirname "$0")/matrix_lib.sh"
DAEMON_OPTS=(--config "$CONF")
fake_start
declare -A ROOMS
members=$(printf '@%s:fake.local\n' $USERS | jq -Rsc --arg b "$BOT" 'split("\n") | map(select(. != "")) + [$b]')
for part in 1 2; do
	room_create "$(jq -cn --argjson m "$members" '{members: $m, name: "Follow-up",
		power_levels: {users: {"@alice:fake.local": 100}}}')"
	ROOMS[$part]=$ROOM
done
tp_db() { printf "%s/matrix-%s.db" "$T" "$1"; }
for part in 1 2; do
	ROOM=${ROOMS[$part]}
	days=PART${part}_DAYS
	for day in ${!days}; do daemon_day matrix "$part" "$day"; done
done

# ---- the same on all three ----
check_eq "every daemon run got ready, handled its commands, drained and stopped with 0" "" "$BAD_RUNS"
bad=
for f in "$OUT"/console-*.rc; do [ "$(cat "$f")" = 0 ] || bad+="$(basename "$f" .rc) "; done
check_eq "every console run exited 0" "" "$bad"

# per_day TP PART: "DAY: N" for each day of the part (N reminders).
per_day() {
	local days=PART${2}_DAYS day
	for day in ${!days}; do printf '%s:%s ' "$day" "$(wc -l <"$OUT/$1-$2-$day.txt")"; done
}
check_eq "part 1: reminders per day on the console" \
	"2026-12-01:0 2026-12-08:3 2026-12-09:0 2026-12-10:1 2026-12-11:0 2026-12-14:1 2026-12-16:1 2026-12-17:1 2026-12-18:1 2026-12-21:1 2026-12-22:0 2026-12-24:0 2026-12-28:1 2026-12-29:0 " \
	"$(per_day console 1)"
for part in 1 2; do
	days=PART${part}_DAYS
	for tp in slack matrix; do
		diffs=
		for day in ${!days}; do
			cmp -s "$OUT/console-$part-$day.txt" "$OUT/$tp-$part-$day.txt" ||
				diffs+="$day: console $(tr '\n' ' ' <"$OUT/console-$part-$day.txt")"$'\n'"$day: $tp $(tr '\n' ' ' <"$OUT/$tp-$part-$day.txt")"$'\n'
		done
		if [ -z "$diffs" ]; then
			ok "part $part: $tp posts the console's reminders, day by day, in the same order"
		else
			not_ok "part $part: $tp posts the console's reminders, day by day, in the same order" "$diffs"
		fi
	done
done

# texts TP PART: every reminder of the part, one JSON string a line.
texts() { cat "$OUT/$1-$2"-*.txt; }
for tp in console slack matrix; do
	check_eq "$tp: the facilitator is told once, on Mon 12-28" \
		"1 1" "$(texts "$tp" 1 | grep -c 'the facilitator') $(grep -c '^"For @alice, the facilitator: #1 Call the food bank — owner @bob, was due 18 days ago' "$OUT/$tp-1-2026-12-28.txt")"
	check_eq "$tp: done #2 gets nothing after its early reminder; #3 nothing after done" "1 3" \
		"$(texts "$tp" 1 | grep -c '#2 Draft') $(texts "$tp" 1 | grep -c '#3 Book')"
	check_eq "$tp: no reminder on the quiet days (12-09, 12-11, 12-22, the closure 12-24, 12-29)" "0 0 0 0 0" \
		"$(for d in 09 11 22 24 29; do wc -l <"$OUT/$tp-1-2026-12-$d.txt"; done | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$tp: after three days offline, one delayed message each for bob (3 items) and carol" "2 2 1" \
		"$(wc -l <"$OUT/$tp-2-2026-12-11T09:00:00Z.txt") $(grep -c '(delayed: the bot was offline)"$' "$OUT/$tp-2-2026-12-11T09:00:00Z.txt") $(grep -c '^"Reminder for @bob: 3 action items are due:' "$OUT/$tp-2-2026-12-11T09:00:00Z.txt")"
	check_eq "$tp: a second start that morning sends none of them again" 0 \
		"$(wc -l <"$OUT/$tp-2-2026-12-11T09:05:00Z.txt")"
done
for tp in slack matrix; do
	check_eq "$tp: a quiet day's run posts nothing at all (not only no reminder)" "0 0 0" \
		"$(for d in 11 22 29; do wc -l <"$OUT/$tp-1-2026-12-$d.all"; done | tr '\n' ' ' | sed 's/ $//')"
done

finish
