#!/usr/bin/env bash
# test_sessions.sh - `sessions` lists the sessions; `export` of an unknown session, a
# bad id or format fails with a clear message.
. "$(dirname "$0")/lib.sh"

DB="$T/sessions.db"
printf 'alice> !ws start\nalice> !ws next\nalice> !ws end\nbob> !ws start\n' |
	wb --db "$DB" console >/dev/null
check_exit "the console exits 0" 0 $?

wb --db "$DB" sessions >"$T/sessions.out"
check_exit "sessions exits 0" 0 $?
check_eq "sessions prints a header and two sessions" 3 "$(wc -l <"$T/sessions.out")"
check_eq "sessions header" "ID WHERE TEMPLATE STATE STARTED (UTC) FACILITATOR CHANNEL" \
	"$(head -n 1 "$T/sessions.out" | tr -s ' ')"
# Columns: id, where, template, state, started, facilitator, then the channel.
check_eq "session 1: ended, facilitated by alice, started at the fixed clock" \
	"1 console community-engagement ended 2026-11-29T09:00:00Z alice" \
	"$(awk '$1 == 1 { print $1, $2, $3, $4, $5, $6 }' "$T/sessions.out")"
check_eq "session 2: active at question 1 of 22, facilitated by bob" \
	"2 console community-engagement active 2026-11-29T09:00:00Z bob question 1 of 22" \
	"$(awk '$1 == 2 { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$T/sessions.out")"

wb --db "$DB" export --session 99 --format json >"$T/export.out"
check_exit "export of an unknown session exits non-zero" nonzero $?
check_one_line_stderr "export of an unknown session says so" "no session 99 in $DB"
check_eq "export of an unknown session prints nothing on stdout" "" "$(cat "$T/export.out")"

wb --db "$DB" export --session abc >/dev/null
check_exit "export --session abc exits 2 (usage)" 2 $?
check_grep "export --session abc says it is not an id" "$T/last.err" "'abc' is not a session id"
wb --db "$DB" export --session 1 --format xml >/dev/null
check_exit "export --format xml exits 2 (usage)" 2 $?
check_grep "export --format xml names the formats" "$T/last.err" "unknown format 'xml' (md, csv or json)"
wb --db "$DB" export >/dev/null
check_exit "export without --session exits 2 (usage)" 2 $?
check_grep "export without --session says it is required" "$T/last.err" "--session ID is required"

wb --db "$DB" export --session 2 --format json >"$T/two.json"
check_exit "export of session 2 exits 0" 0 $?
check_eq "export of session 2 is bob's active session" "2 active bob" \
	"$(jq -r '.session | "\(.id) \(.state) \(.facilitator)"' "$T/two.json")"

wb --db "$T/missing.db" sessions >/dev/null
check_exit "sessions on a missing database exits non-zero" nonzero $?
check_one_line_stderr "sessions on a missing database names it" "$T/missing.db"
check_eq "sessions did not create the missing database" "" "$(compgen -G "$T/missing.db*")"

finish
