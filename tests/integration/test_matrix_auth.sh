#!/usr/bin/env bash
# test_matrix_auth.sh - signing in and being signed out: a soft logout (M_UNKNOWN_TOKEN
# with soft_logout) makes the daemon sign in again with the SAME device id and go on, also
# when a send meets it; a hard logout (no soft_logout) stops the daemon with one clear line
# and a non-zero status, without retrying; a wrong password and a wrong access token stop
# it the same way. One run signs in with MATRIX_ACCESS_TOKEN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
BOB=@bob:fake.local
WRONG_PASSWORD=wrong-password-81c2
WRONG_TOKEN=syt_wrong_token_5d1f
secret_add "$WRONG_PASSWORD" "$WRONG_TOKEN"

fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg bot "$BOT" '{members: [$a, $b, $bot],
	power_levels: {users: {($a): 100}}}')"

log_since() { ctl GET "/log?kind=api&since=$1"; }
log_seq() { state | jq .log_seq; }
logins() { log_since "$1" | jq -c '[.[] | select(.endpoint == "login") | {status, req: (.body | fromjson? | .device_id), dev: .response.device_id?}]'; }
# error_lines FILE: the daemon's error-level lines.
error_lines() { grep -c '^error ' "$1" || true; }

# ---- an access token; then a hard logout ----
DB=$T/token.db
seq_t=$(log_seq)
daemon_start_ready "$DB" MATRIX_PASSWORD= MATRIX_ACCESS_TOKEN="$FAKE_TOKEN"
check_eq "with an access token the daemon does not log in, it asks whoami (device of the token)" \
	"0|1|FAKEDEVICE" \
	"$(log_since "$seq_t" | jq -r '[([.[] | select(.endpoint == "login")] | length), ([.[] | select(.endpoint == "whoami" and .status == 200)] | length), ([.[] | select(.endpoint == "sync")][0].device_id)] | join("|")')"
wait_until 10 sync_held
seq2=$(log_seq)
ctl_ok "hard logout" POST "/logout?soft=0"
daemon_wait 10
check_exit "a hard logout stops the daemon with a non-zero status" nonzero "$DRC"
check_eq "with one error line" "1" "$(error_lines "$DERR")"
check_grep "which says what happened and what to do" "$DERR" \
	"error matrix: the homeserver ended the bot's session (M_UNKNOWN_TOKEN): sign the bot in again"
check_eq "and no call after the refusal (no retry loop)" "1" \
	"$(log_since "$seq2" | jq '[.[] | select(.auth != null)] | length')"

# ---- a soft logout: sign in again on the same device ----
DB=$T/ws.db
daemon_start_ready "$DB"
DEV=$(sql_q "SELECT value FROM transport_state WHERE transport = 'matrix' AND key = 'device_id'")
check "the device id is stored" test -n "$DEV"
wait_until 10 sync_held
seq0=$(log_seq)
ctl_ok "soft logout" POST "/logout?soft=1"
relogged() { [ "$(logins "$seq0" | jq '[.[] | select(.status == 200)] | length')" -ge 1 ]; }
check "the daemon signs in again after a soft logout" wait_until 15 relogged
check_eq "with the same device id (asked for and given)" "[{\"status\":200,\"req\":\"$DEV\",\"dev\":\"$DEV\"}]" \
	"$(logins "$seq0")"
check_grep "the daemon says why" "$DERR" "signed out softly"
say "$ALICE" '!ws start'
check "the daemon goes on: !ws start is answered" wait_sent 2
check_eq "its sends come from the same device" "$DEV" "$(sent | jq -r '[.[].device_id] | unique | join(",")')"
check_eq "the sync after the re-login continued from where it was (no initial sync)" "0" \
	"$(log_since "$seq0" | jq '[.[] | select(.endpoint == "sync" and .sync.since == null)] | length')"

# A soft logout met by a send: the held sync is left alone (kick=0), an answer comes in
# with the old token's sync, and its ✅ meets the 401.
ref_known() {
	[ -n "$(sql_q "SELECT remote_ref FROM session_prompts WHERE session_id = 1 AND prompt_index = $1 AND remote_ref IS NOT NULL")" ]
}
wait_until 10 ref_known 0
wait_until 10 sync_held
seq1=$(log_seq)
ctl_ok "soft logout, the held sync left alone" POST "/logout?soft=1&kick=0"
thread "$BOB" "$(question_event 1)" "bob's goals"
bob1=$EV_ID
confirmed() {
	sent | jq -e --arg t "$bob1" '[.[] | select(.type == "m.reaction" and .applied and .content["m.relates_to"].event_id == $t)] | length == 1' >/dev/null
}
check "a send refused by a soft logout is sent after the re-login" wait_until 20 confirmed
check_eq "the re-login kept the device" "$DEV" "$(logins "$seq1" | jq -r '[.[] | select(.status == 200) | .dev] | unique | join(",")')"
check_eq "the ✅ was applied once" "true" \
	"$(sent | jq --arg t "$bob1" '[.[] | select(.type == "m.reaction" and .content["m.relates_to"].event_id == $t)] | length == 1 and (.[0].calls | map(select(.outcome == "applied")) | length) == 1')"
check "the daemon is still running" running
daemon_stop
check_exit "the daemon stops cleanly on SIGTERM" 0 "$DRC"
check_eq "the device was never replaced (signed in three times, one device)" "3 1" \
	"$(log_since 0 | jq -r '[.[] | select(.endpoint == "login" and .status == 200) | .response.device_id] | "\(length) \(unique | length)"')"

# ---- a soft logout without a password to sign in with: stop, too ----
DB=$T/token2.db
# The hard logout deleted the pre-issued token: sign in once with the password for another.
tok=$(curl -s --noproxy '*' --max-time 10 -X POST "$CS/login" -d "$(jq -cn --arg u "$BOT" --arg p "$PASSWORD" \
	'{type: "m.login.password", identifier: {type: "m.id.user", user: $u}, password: $p}')" | jq -r .access_token)
daemon_start_ready "$DB" MATRIX_PASSWORD= MATRIX_ACCESS_TOKEN="$tok"
wait_until 10 sync_held
ctl_ok "soft logout" POST "/logout?soft=1"
daemon_wait 10
check_exit "a soft logout with only an access token stops the daemon (non-zero)" nonzero "$DRC"
check_eq "with one error line" "1" "$(error_lines "$DERR")"
check_nogrep "the token it was given is not in its output" "$DERR" "$tok"

# ---- a wrong password ----
DB=$T/wrong.db
seq3=$(log_seq)
daemon_start "$DB" MATRIX_PASSWORD="$WRONG_PASSWORD"
daemon_wait 10
check_exit "a wrong password stops the daemon with a non-zero status" nonzero "$DRC"
check_eq "with one error line" "1" "$(error_lines "$DERR")"
check_grep "which names the cause" "$DERR" "error matrix: the homeserver refused the password of [matrix] user"
check_eq "after one login attempt (no retry loop)" "1" \
	"$(log_since "$seq3" | jq '[.[] | select(.endpoint == "login")] | length')"
check_nogrep "the wrong password is not in the output" "$DERR" "$WRONG_PASSWORD"

# ---- a wrong access token ----
DB=$T/wrongtoken.db
seq4=$(log_seq)
daemon_start "$DB" MATRIX_PASSWORD= MATRIX_ACCESS_TOKEN="$WRONG_TOKEN"
daemon_wait 10
check_exit "a wrong access token stops the daemon with a non-zero status" nonzero "$DRC"
check_eq "with one error line" "1" "$(error_lines "$DERR")"
check_grep "which names the cause" "$DERR" "error matrix: the access token was refused"
check_eq "after one whoami (no retry loop)" "1" \
	"$(log_since "$seq4" | jq '[.[] | select(.endpoint != null)] | length')"
check_nogrep "the wrong token is not in the output" "$DERR" "$WRONG_TOKEN"

finish
