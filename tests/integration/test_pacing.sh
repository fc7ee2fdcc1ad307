#!/usr/bin/env bash
# test_pacing.sh - only the facilitator (or a configured admin) paces a session: bob's
# next/back/skip/pause/resume/end get a polite one-line refusal and nothing moves.
. "$(dirname "$0")/lib.sh"

DB="$T/pacing.db"
OUT="$T/run1.out"
FIRST=$(jq '[.sections[].prompts[].kind] | map(. != "info") | index(true)' "$TEMPLATE")
SECOND=$(jq '[.sections[].prompts[].kind] | to_entries | map(select(.value != "info")) | .[1].key' "$TEMPLATE")

cat >"$T/script1.txt" <<'EOF'
alice> !ws start
bob> I answer, but I do not pace.
bob> !ws next
bob> !ws back
bob> !ws skip
bob> !ws pause
bob> !ws resume
bob> !ws end
bob> !ws start
bob> !workshop next
EOF
wb --db "$DB" console <"$T/script1.txt" >"$OUT"
check_exit "the console exits 0" 0 $?

check_one_line_reply "bob's next is refused politely" "$OUT" "bob> !ws next" \
	"Sorry bob, only the facilitator (alice) can move on in this session."
check_one_line_reply "bob's back is refused politely" "$OUT" "bob> !ws back" \
	"Sorry bob, only the facilitator (alice) can go back in this session."
check_one_line_reply "bob's skip is refused politely" "$OUT" "bob> !ws skip" \
	"Sorry bob, only the facilitator (alice) can skip questions in this session."
check_one_line_reply "bob's pause is refused politely" "$OUT" "bob> !ws pause" \
	"Sorry bob, only the facilitator (alice) can pause this session."
check_one_line_reply "bob's resume is refused politely" "$OUT" "bob> !ws resume" \
	"Sorry bob, only the facilitator (alice) can resume this session."
check_one_line_reply "bob's end is refused politely" "$OUT" "bob> !ws end" \
	"Sorry bob, only the facilitator (alice) can end this session."
check_one_line_reply "bob cannot start a second session in the channel" "$OUT" "bob> !ws start" \
	"Session #1 is already running here (question 1)."
check_one_line_reply "the !workshop alias is refused the same way" "$OUT" "bob> !workshop next" \
	"Sorry bob, only the facilitator (alice) can move on in this session."
check_nogrep "no second question was posted" "$OUT" "Question 2 of"

check_eq "nothing moved: still active at the first question, not ended" "1|active|$FIRST||alice" \
	"$(sql "$DB" "SELECT count(*), state, prompt_index, ended_at, facilitator FROM sessions")"
check_eq "only the first question was ever opened" "$FIRST|open" \
	"$(sql "$DB" "SELECT prompt_index, state FROM session_prompts")"
check_eq "bob's answer was recorded" "bob|I answer, but I do not pace." \
	"$(sql "$DB" "SELECT user_id, text FROM answers")"

# A configured admin may pace; bob still may not.
printf '[workshopbot]\nadmins = dave, erin\n' >"$T/admins.conf"
printf 'bob> !ws next\ndave> !ws next\n' | wb --config "$T/admins.conf" --db "$DB" console >"$T/run2.out"
check_exit "the second console exits 0" 0 $?
check_one_line_reply "with admins set, bob is still refused" "$T/run2.out" "bob> !ws next" \
	"Sorry bob, only the facilitator (alice) can move on in this session."
check_reply "an admin (dave) may move on" "$T/run2.out" "dave> !ws next" "Question 2 of 22"
check_eq "the admin's next moved the session to the second question" "$SECOND" \
	"$(sql "$DB" "SELECT prompt_index FROM sessions")"

finish
