#!/usr/bin/env bash
# test_abuse.sh - in the console: every pacing refusal for a member who is not the
# facilitator, a second start refused (one open session per channel), only one's own
# answer withdrawn, injection-shaped answers stored as typed; the database and its -wal
# and -shm files are 0600 under a lax umask; a config file holding secrets that others
# may read gets a one-line warning naming the fix.
. "$(dirname "$0")/lib.sh"

DB="$T/abuse.db"
INJECT="<!channel> <!here> <@U0123ABC> @room <b>bold</b><script>x</script> [click](https://evil.example) '); DROP TABLE answers; --"
REFUSED=(
	"next|move on in" "back|go back in" "skip|skip questions in" "pause|pause"
	"resume|resume" "pace timed 5m|change the pace of" "end|end"
	"tz Europe/Berlin|change the time zone of"
)
{
	printf 'alice> !ws start\nalice> !ws next\n'
	for r in "${REFUSED[@]}"; do printf 'bob> !ws %s\n' "${r%%|*}"; done
	printf 'bob> !ws start\n'
	printf 'alice> %s\n' "$INJECT"
	printf 'bob> !ws retract\nbob> my own answer\nbob> !ws retract\nalice> !ws status\n'
} | wb --db "$DB" console >"$T/out.txt"
check_exit "the console exits 0" 0 $?

for r in "${REFUSED[@]}"; do
	check_one_line_reply "bob may not !ws ${r%%|*}" "$T/out.txt" "bob> !ws ${r%%|*}" \
		"only the facilitator (alice) can ${r#*|} this session."
done
check_one_line_reply "a second start in the channel is refused" "$T/out.txt" "bob> !ws start" \
	"Session #1 is already running here (question 2)"
check_eq "still one session, alice's, active at question 2, in UTC" "1|alice|active|1|UTC" \
	"$(sql "$DB" "SELECT count(*), facilitator, state, prompt_index, timezone FROM sessions")"
check_eq "no pacing job was made by bob's pace" 0 "$(sql "$DB" "SELECT count(*) FROM jobs")"
check_one_line_reply "bob cannot withdraw alice's answer" "$T/out.txt" "bob> !ws retract" \
	"You have no answer to question 2 to withdraw."
check_one_line_reply "bob withdraws his own" "$T/out.txt" "bob> !ws retract" \
	"Your answer to question 2 is withdrawn" 2
check_eq "alice's injection-shaped answer is stored byte for byte" "$(hexof "$INJECT")" \
	"$(sql "$DB" "SELECT hex(text) FROM answers WHERE user_id = 'alice' AND withdrawn = 0")"
check_eq "the answers table is whole (alice's stands, bob's withdrawn)" "alice|0 bob|1" \
	"$(sql "$DB" "SELECT user_id, withdrawn FROM answers ORDER BY user_id" | tr '\n' ' ' | sed 's/ $//')"

# ---- the database's mode, while a console holds it open (so -wal and -shm exist) ----
FIFO="$T/stdin.fifo"
mkfifo "$FIFO"
(umask 022 && exec timeout "$RUN_LIMIT" "$BIN" --db "$T/mode.db" console <"$FIFO" >>"$T/all.out" 2>>"$T/all.err") &
held=$!
exec 3>"$FIFO"
printf 'alice> !ws start\nalice> an answer\n' >&3
for ((i = 0; i < 100 * TIME_SCALE; i++)); do
	[ "$(sql "$T/mode.db" "SELECT count(*) FROM answers" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
for f in mode.db mode.db-wal mode.db-shm; do
	check_eq "$f is created with mode 600 (umask 022)" 600 "$(stat -c %a "$T/$f" 2>&1)"
done
exec 3>&-
wait "$held"
check_exit "the held console exits 0 at the end of its input" 0 $?

# ---- a config file with secrets that others may read ----
printf '%s\n' '[slack]' 'app_token = xapp-1-A0-perm5ecret' 'bot_token = xoxb-1-2-perm5ecret' \
	'[matrix]' 'homeserver = http://127.0.0.1:9' 'user = @bot:x' 'password = pw-perm5ecret' \
	>"$T/secret.conf"
secret_add perm5ecret
chmod 644 "$T/secret.conf"
wb --config "$T/secret.conf" check-config >/dev/null
check_exit "a readable config with secrets is a warning, not an error" 0 $?
check_one_line_stderr "the warning names the file and the fix" \
	"$T/secret.conf holds secrets but other users may read it (mode 644); run: chmod 600 $T/secret.conf"
chmod 600 "$T/secret.conf"
wb --config "$T/secret.conf" check-config >/dev/null
check_eq "at mode 600: no warning" "" "$(grep -v '^info ' "$T/last.err")"

# A token pasted on a line of its own is refused without being shown.
printf '%s\n' '[slack]' 'xoxb-1-2-perm5ecret' >"$T/pasted.conf"
wb --config "$T/pasted.conf" check-config >/dev/null
check_exit "a config line of one word is an error" nonzero $?
check_one_line_stderr "which names the line but does not show it" \
	"$T/pasted.conf:2: a line of one word, not shown (it may be a token)"

finish
