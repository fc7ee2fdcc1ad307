#!/usr/bin/env bash
# test_readonly.sh - a database the user may not write is refused with a one-line error
# and left unchanged. Root ignores file modes, so as root the console runs as nobody
# (setpriv) on copies of the binary and templates that nobody can reach.
. "$(dirname "$0")/lib.sh"

DB="$T/ro.db"
printf 'alice> !ws start\nalice> kept answer\n' | wb --db "$DB" console >/dev/null
check_eq "a session with one answer is stored" 1 "$(sql "$DB" "SELECT count(*) FROM answers")"
before=$(sha256sum "$DB" | cut -d' ' -f1)

chmod 0444 "$DB"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
	chmod 0755 "$T"
	cp "$BIN" "$T/workshopbot"
	cp -r "$ROOT/prompts" "$T/prompts"
	chmod -R a+rX "$T/workshopbot" "$T/prompts"
	run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	bin="$T/workshopbot"
else
	bin="$BIN"
fi

(cd "$T" && printf 'alice> another answer\n' |
	timeout "$RUN_LIMIT" "${run_as[@]}" "$bin" --db "$DB" console >"$T/ro.out" 2>"$T/ro.err")
rc=$?
cat "$T/ro.err" >>"$T/all.err"
check_exit "the console exits non-zero on a read-only database" nonzero "$rc"
check_eq "it says so in one line" 1 "$(grep -c . "$T/ro.err")"
check_grep "the line says the database is read-only" "$T/ro.err" "database $DB"
check_grep "the line names the cause" "$T/ro.err" "Permission denied"
check_eq "the database file is unchanged" "$before" "$(sha256sum "$DB" | cut -d' ' -f1)"
check_eq "the stored answer is intact" "kept answer" "$(sql "$DB" "SELECT text FROM answers")"

finish
