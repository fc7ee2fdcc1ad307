#!/usr/bin/env bash
# test_in_use.sh - a second console on a database that a running console holds is
# refused with "in use"; readers still work; after the first is killed the database
# opens again with the session intact.
. "$(dirname "$0")/lib.sh"

DB="$T/shared.db"
FIFO="$T/stdin.fifo"
mkfifo "$FIFO"

# The first console reads from a fifo this shell holds open, so it keeps running.
timeout "$RUN_LIMIT" "$BIN" --db "$DB" console <"$FIFO" >"$T/first.out" 2>"$T/first.err" &
first=$!
exec 3>"$FIFO"
printf 'alice> !ws start\nalice> first answer\n' >&3

# Wait (at most 10 s times TIME_SCALE) until the first console has stored the answer.
for ((i = 0; i < 100 * TIME_SCALE; i++)); do
	[ -s "$DB" ] && [ "$(sql "$DB" "SELECT count(*) FROM answers" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
check_eq "the first console stored its answer" 1 "$(sql "$DB" "SELECT count(*) FROM answers")"

printf 'bob> I should not get in\n' | wb --db "$DB" console >"$T/second.out"
check_exit "a second console on the same database exits non-zero" nonzero $?
check_one_line_stderr "the second console says the database is in use" \
	"database $DB is in use by another workshopbot process"
check_eq "the second console printed nothing" "" "$(cat "$T/second.out")"

wb --db "$DB" sessions >"$T/sessions.out"
check_exit "sessions (a reader) works while the console runs" 0 $?
check_grep "sessions shows the running session" "$T/sessions.out" "community-engagement"

kill -TERM "$first"
exec 3>&-
wait "$first"
rc=$?
# 0: it drained and stopped on SIGTERM; 143: killed by it. 124 would be the timeout.
if [ "$rc" -eq 0 ] || [ "$rc" -eq 143 ]; then ok "the first console stops on SIGTERM (status $rc)"; else not_ok "the first console stops on SIGTERM" "status $rc"; fi
cat "$T/first.err" >>"$T/all.err"

printf 'alice> !ws status\n' | wb --db "$DB" console >"$T/third.out"
check_exit "after the first console is gone the database opens again" 0 $?
check_grep "the session continues where it was" "$T/third.out" "Session #1 continues at question 1 of 22 (active)"
check_reply "the answer from before the kill is intact" "$T/third.out" "alice> !ws status" \
	"Answered by alice (1 of 1)."
check_eq "no answer from the refused console" "alice|first answer" "$(sql "$DB" "SELECT user_id, text FROM answers")"

finish
