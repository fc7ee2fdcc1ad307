#!/usr/bin/env bash
# test_bad_input.sh - bad input from users, files and the config: each gets a one-line
# explanation (with the usage, for commands), nothing crashes, nothing is half-stored.
. "$(dirname "$0")/lib.sh"

# ---- commands in the console ----
DB="$T/bad.db"
OUT="$T/console.out"
LONG_ANSWER=$(head -c 20001 /dev/zero | tr '\0' 'x')     # 20,001 characters: over the limit
HUGE_LINE=$(head -c 140000 /dev/zero | tr '\0' 'y')      # 140,000 bytes: over the line limit
{
	echo 'alice> An answer before any session'
	echo 'alice> !ws answer typed before any session'
	echo 'alice> !ws retract'
	echo 'alice> !ws next'
	echo 'alice> !ws action Call the food bank by friday'
	echo 'alice> !ws frobnicate'
	echo 'alice> !ws start nosuchworkshop'
	echo 'alice> !ws start'
	echo 'alice> !ws frobnicate now please'
	echo 'alice> !ws action'
	echo 'alice> !ws answer'
	echo 'alice> !ws done'
	echo 'alice> !ws done abc'
	echo 'alice> !ws done 99'
	echo 'alice> !ws reopen'
	echo 'alice> !ws assign'
	echo 'alice> !ws assign 1 bob'
	echo 'alice> !ws due'
	echo 'alice> !ws due 1'
	echo 'alice> !ws actions everything'
	echo 'alice> !ws action Call the food bank by someday'
	echo 'alice> !ws action Call the food bank by feb 30'
	echo 'alice> !ws action Call the food bank by 2026-13-01'
	echo 'alice> !ws action Call the food bank @bob @carol'
	echo 'alice> !ws action @bob by friday'
	echo 'alice> !ws action Call the food bank @bob by friday'
	echo 'alice> !ws due 1 someday'
	echo 'alice> !ws due 1 12/15'
	echo 'alice> !ws assign 1 @'
	echo "alice> $LONG_ANSWER"
	echo 'alice> !ws who'
	printf 'alice> \xff\xfe not UTF-8\n'
	echo "alice> $HUGE_LINE"
	echo 'alice> !ws status'
} >"$T/script.txt"
wb --db "$DB" console <"$T/script.txt" >"$OUT"
check_exit "the console exits 0 after all the bad input" 0 $?

check_one_line_reply "an answer with no session open is refused" "$OUT" \
	'alice> An answer before any session' "No workshop is running here, so that was not recorded."
check_one_line_reply "!ws answer with no session open is refused" "$OUT" \
	'alice> !ws answer typed before any session' "No workshop"
check_one_line_reply "!ws retract with no session open is refused" "$OUT" 'alice> !ws retract' "No workshop"
check_one_line_reply "!ws next with no session open is refused" "$OUT" 'alice> !ws next' "No workshop"
check_one_line_reply "!ws action with no session ever is refused" "$OUT" \
	'alice> !ws action Call the food bank by friday' "No workshop has run here yet"
check_one_line_reply "unknown command: one line, pointing at help" "$OUT" 'alice> !ws frobnicate' \
	"Unknown command 'frobnicate'. Try !ws help for the list."
check_one_line_reply "unknown command with arguments: one line, the word shown whole" "$OUT" \
	'alice> !ws frobnicate now please' "Unknown command 'frobnicate'. Try !ws help for the list."
check_one_line_reply "unknown template: one line with the installed ones and the usage" "$OUT" \
	'alice> !ws start nosuchworkshop' \
	"There is no workshop template 'nosuchworkshop'. Installed: community-engagement. Usage: !ws start [template]"
check_one_line_reply "action without argument: usage" "$OUT" 'alice> !ws action' \
	"Usage: !ws action <what> [@owner] [by <date>]"
check_one_line_reply "answer without argument: usage" "$OUT" 'alice> !ws answer' "Usage: !ws answer <text>"
check_one_line_reply "done without argument: usage" "$OUT" 'alice> !ws done' "Usage: !ws done <id>"
check_one_line_reply "done with a non-number: usage" "$OUT" 'alice> !ws done abc' \
	"Which action item? Give its number, e.g. 3. Usage: !ws done <id>"
check_one_line_reply "done on an unknown item" "$OUT" 'alice> !ws done 99' "There is no action item #99 here"
check_one_line_reply "reopen without argument: usage" "$OUT" 'alice> !ws reopen' "Usage: !ws reopen <id>"
check_one_line_reply "assign without argument: usage" "$OUT" 'alice> !ws assign' "Usage: !ws assign <id> @owner"
check_one_line_reply "assign without @: usage" "$OUT" 'alice> !ws assign 1 bob' "Usage: !ws assign <id> @owner"
check_one_line_reply "assign to a bare @: usage" "$OUT" 'alice> !ws assign 1 @' "Usage: !ws assign <id> @owner"
check_one_line_reply "due without argument: usage" "$OUT" 'alice> !ws due' "Usage: !ws due <id> <date>"
check_one_line_reply "due without a date: usage" "$OUT" 'alice> !ws due 1' "Usage: !ws due <id> <date>"
check_one_line_reply "actions with a bad filter: usage" "$OUT" 'alice> !ws actions everything' \
	"Usage: !ws actions [mine|all]"
check_one_line_reply "a bad date: one line with the forms and the usage" "$OUT" \
	'alice> !ws action Call the food bank by someday' \
	"cannot read 'someday' as a date: use 2026-12-15, today, tomorrow, friday, next tuesday, in 2 weeks or dec 15. Usage: !ws action <what> [@owner] [by <date>]"
check_one_line_reply "a date that does not exist (feb 30) is refused" "$OUT" \
	'alice> !ws action Call the food bank by feb 30' "cannot read 'feb 30' as a date"
check_one_line_reply "an ISO date that does not exist (month 13) is refused" "$OUT" \
	'alice> !ws action Call the food bank by 2026-13-01' "cannot read '2026-13-01' as a date"
check_one_line_reply "two owners are refused" "$OUT" 'alice> !ws action Call the food bank @bob @carol' \
	"An action item has one owner"
check_one_line_reply "an action without a what is refused" "$OUT" 'alice> !ws action @bob by friday' \
	"What is the action? Usage: !ws action <what> [@owner] [by <date>]"
check_reply "a good action is added after all that" "$OUT" 'alice> !ws action Call the food bank @bob by friday' \
	"Added action item #1 Call the food bank — owner @bob, due 2026-12-04, open."
check_one_line_reply "due with a bad date: one line with the usage" "$OUT" 'alice> !ws due 1 someday' \
	"cannot read 'someday' as a date"
check_one_line_reply "due with 12/15 is refused as ambiguous" "$OUT" 'alice> !ws due 1 12/15' \
	"ambiguous date '12/15': write 2026-12-15 or dec 15. Usage: !ws due <id> <date>"
check_one_line_reply "a 20,001-character answer is refused as too long" "$OUT" "alice> $LONG_ANSWER" \
	"That answer is too long (20001 characters; the limit is 20000)."
check_grep "a line that is not UTF-8 is skipped with a message" "$OUT" \
	"workshopbot: line 32 is not valid UTF-8 text and was skipped."
check_grep "a line over the limit is skipped with a message" "$OUT" \
	"workshopbot: line 33 is longer than 131072 bytes and was skipped."
check_reply "the console still works after the skipped lines" "$OUT" 'alice> !ws status' \
	"Answered by nobody yet (0 of 1)."
check_eq "nothing bad was stored: no answers, one action item due friday (2026-12-04)" \
	"0|1|Call the food bank|bob|2026-12-04" \
	"$(sql "$DB" "SELECT (SELECT count(*) FROM answers), count(*), text, owner, due_date FROM action_items")"
check_eq "one session (the unknown template started none)" "1|active" \
	"$(sql "$DB" "SELECT count(*), max(state) FROM sessions")"

# ---- --db on a file that is not a database ----
NOTDB="$T/notes.txt"
printf 'These are my notes, not a database.\n' >"$NOTDB"
before=$(od -An -v -tx1 "$NOTDB")
for cmd in console sessions "export --session 1"; do
	# shellcheck disable=SC2086
	wb --db "$NOTDB" $cmd </dev/null >"$T/notdb.out"
	rc=$?
	check_exit "--db on a text file: $cmd exits non-zero" nonzero "$rc"
	check_one_line_stderr "--db on a text file: $cmd says it is not a database, naming the file" \
		"database $NOTDB: cannot read: file is not a database"
	check_eq "--db on a text file: $cmd writes nothing to stdout" "" "$(cat "$T/notdb.out")"
done
check_eq "the text file is unchanged" "$before" "$(od -An -v -tx1 "$NOTDB")"
check_eq "no -wal, -shm or -journal file was left beside it" "" \
	"$(compgen -G "$NOTDB-*")"

# ---- the config ----
printf '[workshopbot]\ntimezone = UTC\nbogus = 1\n' >"$T/unknown-key.conf"
wb --config "$T/unknown-key.conf" --db "$T/never.db" console </dev/null >/dev/null
check_exit "console with an unknown config key exits non-zero" nonzero $?
check_one_line_stderr "an unknown config key is named with file:line" "$T/unknown-key.conf:3: unknown key 'bogus'"
wb --config "$T/unknown-key.conf" check-config >/dev/null
check_exit "check-config with an unknown key exits non-zero" nonzero $?
check_one_line_stderr "check-config names file:line" "$T/unknown-key.conf:3: unknown key 'bogus'"
check_eq "the console did not create the database" "" "$(compgen -G "$T/never.db*")"

printf '[workshopbot]\n\n[chat]\nuser = x\n' >"$T/unknown-section.conf"
wb --config "$T/unknown-section.conf" check-config >/dev/null
check_exit "check-config with an unknown section exits non-zero" nonzero $?
check_one_line_stderr "an unknown section is named with file:line" "$T/unknown-section.conf:3:"

printf '# a comment\n[workshopbot]\nlog_level = chatty\n' >"$T/bad-value.conf"
wb --config "$T/bad-value.conf" check-config >/dev/null
check_exit "check-config with a bad value exits non-zero" nonzero $?
check_one_line_stderr "a bad value is named with file:line" "$T/bad-value.conf:3:"

wb --config "$T/no-such.conf" check-config >/dev/null
check_exit "a missing --config file exits non-zero" nonzero $?
check_one_line_stderr "a missing --config file is named" "$T/no-such.conf"

printf '[workshopbot]\ntemplates = prompts\n[console]\nuser = carol\n' >"$T/good.conf"
wb --config "$T/good.conf" check-config >"$T/check-config.out"
check_exit "check-config on a good file exits 0" 0 $?
check_grep "check-config on a good file says ok" "$T/check-config.out" "$T/good.conf: ok"

# ---- the templates: a bad template dir, and check-template ----
mkdir "$T/tpl"
# Line 4 lacks the comma before it: the JSON error is on line 4, in "sections" (columns 3-12).
printf '{\n  "id": "broken",\n  "title": "Broken"\n  "sections": []\n}\n' >"$T/tpl/broken.json"
printf '[workshopbot]\ntemplates = %s\n' "$T/tpl" >"$T/badtpl.conf"
wb --config "$T/badtpl.conf" --db "$T/never.db" console </dev/null >/dev/null
check_exit "console with a broken template in the templates dir exits non-zero" nonzero $?
if [ "$(grep -cv '^$' "$T/last.err")" -eq 1 ] && grep -qE "$T/tpl/broken\.json:4:([3-9]|1[0-2]): " "$T/last.err"; then
	ok "a broken template in the dir is named with file:line:col"
else
	not_ok "a broken template in the dir is named with file:line:col" "$(cat "$T/last.err")"
fi
check_eq "the console did not create the database" "" "$(compgen -G "$T/never.db*")"

printf '[workshopbot]\ntemplates = %s\n' "$T/no-such-dir" >"$T/nodir.conf"
wb --config "$T/nodir.conf" --db "$T/never.db" console </dev/null >/dev/null
check_exit "console with a missing templates dir exits non-zero" nonzero $?
check_one_line_stderr "a missing templates dir is named" "$T/no-such-dir"

mkdir "$T/tpl-empty"
printf '[workshopbot]\ntemplates = %s\n' "$T/tpl-empty" >"$T/emptydir.conf"
wb --config "$T/emptydir.conf" --db "$T/never.db" console </dev/null >/dev/null
check_exit "console with an empty templates dir exits non-zero" nonzero $?
check_one_line_stderr "an empty templates dir is named" "$T/tpl-empty: expected at least one *.json template"

mkdir "$T/tpl-other"
printf '{"id": "other", "title": "Other", "description": "d", "sections": [{"id": "s", "title": "S", "prompts": [{"id": "q", "kind": "text", "text": "Why?"}]}]}\n' >"$T/tpl-other/other.json"
printf '[workshopbot]\ntemplates = %s\n' "$T/tpl-other" >"$T/otherdir.conf"
wb --config "$T/otherdir.conf" --db "$T/never.db" console </dev/null >/dev/null
check_exit "console with a templates dir without the default template exits non-zero" nonzero $?
check_one_line_stderr "the missing default template is named" \
	"the default template 'community-engagement' ([workshopbot] template) is not in $T/tpl-other"

wb check-template "$T/tpl/broken.json" >/dev/null
check_exit "check-template on broken JSON exits non-zero" nonzero $?
if [ "$(grep -cv '^$' "$T/last.err")" -eq 1 ] && grep -qE "^$T/tpl/broken\.json:4:([3-9]|1[0-2]): .*JSON" "$T/last.err"; then
	ok "check-template on broken JSON names file:line:col"
else
	not_ok "check-template on broken JSON names file:line:col" "$(cat "$T/last.err")"
fi

cat >"$T/odd-kind.json" <<'EOF'
{
	"id": "odd",
	"title": "Odd",
	"description": "A prompt of an unknown kind on line 7.",
	"sections": [
		{"id": "s", "title": "S", "prompts": [
			{"id": "q", "kind": "essay", "text": "Why?"}
		]}
	]
}
EOF
wb check-template "$T/odd-kind.json" >/dev/null
check_exit "check-template on an unknown kind exits non-zero" nonzero $?
if grep -qE "^$T/odd-kind\.json:7:[0-9]+: .*kind.*essay" "$T/last.err"; then
	ok "check-template on an unknown kind names file:line:col and the kind"
else
	not_ok "check-template on an unknown kind names file:line:col and the kind" "$(cat "$T/last.err")"
fi

printf '{\n  "id": "cut",\n  "sections": [\n' >"$T/truncated.json"
wb check-template "$T/truncated.json" >/dev/null
check_exit "check-template on a truncated file exits non-zero" nonzero $?
check_one_line_stderr "check-template on a truncated file names it with a line" "$T/truncated.json:"

wb check-template "$TEMPLATE" >"$T/check-template.out"
check_exit "check-template on the shipped template exits 0" 0 $?
check_grep "check-template on the shipped template reports its questions" "$T/check-template.out" \
	"ok: 'community-engagement', $(jq '.sections | length' "$TEMPLATE") sections, 22 questions"

# ---- bad command lines ----
wb --frobnicate sessions >/dev/null
check_exit "an unknown option exits 2 (usage)" 2 $?
check_grep "an unknown option is named" "$T/last.err" "unknown or incomplete option '--frobnicate'"
wb --db "$DB" frobnicate >/dev/null
check_exit "an unknown subcommand exits 2 (usage)" 2 $?
check_grep "an unknown subcommand is named" "$T/last.err" "unknown command 'frobnicate'"

finish
