#!/usr/bin/env bash
# test_matrix_rooms.sh - rooms: an end-to-end encrypted room gets exactly one plain notice
# and no session (also a room that turns encryption on mid-session); invites are joined
# only from users or servers in [matrix] allow_invites_from; a limited timeline in a room
# with an open session (more events at once than the sync's timeline limit) is filled
# from /messages so every answer is stored; a room of version 11 (redactions carry their
# target in content.redacts) withdraws a redacted answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

ALICE=@alice:fake.local
BOB=@bob:fake.local
CAROL=@carol:trusted.local
MALLORY=@mallory:fake.local
DB=$T/ws.db
cat >"$T/wb.conf" <<EOF
[matrix]
allow_invites_from = $ALICE, :trusted.local
EOF
DAEMON_OPTS=(--config "$T/wb.conf")

fake_start
side_room_create
# The encrypted room: alice invites the bot.
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" '{members: [$a, $b], encrypted: true, name: "Secret"}')"
ENC=$ROOM
daemon_start_ready "$DB"

# ---- an encrypted room ----
ctl_ok "alice invites the bot to the encrypted room" POST "/invite?room=$(enc "$ENC")&sender=$(enc "$ALICE")"
check "the bot joins the encrypted room (alice is allowed)" wait_until 15 bot_joined "$ENC"
enc_notice() { [ "$(n_applied "$ENC")" -ge 1 ]; }
check "the bot posts a notice in the encrypted room" wait_until 15 enc_notice
ev_say "$ALICE" '!ws start'
post "$EV" "$ENC"
enc_ids=$EV_ID
ev_say "$BOB" '!ws help'
post "$EV" "$ENC"
enc_ids+=" $EV_ID"
ctl_ok "an encrypted message" POST "/event?room=$(enc "$ENC")" "$(jq -cn --arg b "$BOB" '{type: "m.room.encrypted", sender: $b,
	content: {algorithm: "m.megolm.v1.aes-sha2", ciphertext: "AwgAEn...", device_id: "BOBDEV", sender_key: "abc", session_id: "xyz"}}')"
sync_point
s=$(sent "$ENC")
check_eq "exactly one message in the encrypted room: a plain (unencrypted) m.notice" \
	'[["m.room.message","m.notice"]]' "$(jq -c '[.[] | [.type, .content.msgtype]]' <<<"$s")"
body=$(jq -r '.[0].content.body' <<<"$s")
check_eq "it says the bot cannot read encrypted messages and to use a room without encryption" "yes" \
	"$([[ $body == *"encrypted"* && $body == *"cannot read"* && $body == *"without encryption"* ]] && echo yes || echo "no: $body")"
check_eq "!ws start in the encrypted room starts nothing" "0" "$(sql_q "SELECT count(*) FROM sessions")"
check_eq "and the events there are not handed to the workshop" "0" \
	"$(sql_q "SELECT count(*) FROM seen_events WHERE key IN ($(printf "'%s'," $enc_ids | sed 's/,$//'))")"
check_eq "the room is remembered as encrypted and warned" "1|1" \
	"$(sql_q "SELECT encrypted, warned FROM matrix_rooms WHERE room_id = '$ENC'")"

# ---- invites and the allow-list ----
room_create "$(jq -cn --arg m "$MALLORY" '{members: [$m], name: "Not allowed"}')"
BAD=$ROOM
room_create "$(jq -cn --arg c "$CAROL" '{members: [$c], name: "Allowed by server"}')"
GOOD=$ROOM
ctl_ok "mallory (not allowed) invites the bot" POST "/invite?room=$(enc "$BAD")&sender=$(enc "$MALLORY")"
ctl_ok "carol (of :trusted.local, allowed) invites the bot" POST "/invite?room=$(enc "$GOOD")&sender=$(enc "$CAROL")"
check "an invite from an allowed server is joined" wait_until 15 bot_joined "$GOOD"
sync_point
check_eq "an invite from a user not in allow_invites_from is not joined" "invite" "$(bot_membership "$BAD")"
check_eq "no join was even tried for it" "0" \
	"$(ctl GET '/log?kind=api' | jq --arg r "$BAD" '[.[] | select(.endpoint == "join"
		and (.path | gsub("%21"; "!") | gsub("%3[Aa]"; ":") | contains($r)))] | length')"
check_eq "(while the allowed one was joined by a call that names its room)" "1" \
	"$(ctl GET '/log?kind=api' | jq --arg r "$GOOD" '[.[] | select(.endpoint == "join" and .status == 200
		and (.path | gsub("%21"; "!") | gsub("%3[Aa]"; ":") | contains($r)))] | length')"
check_grep "the daemon logs the ignored invite" "$DERR" "invite to $BAD from $MALLORY ignored"

# A fresh invite that is not joinable yet (synapse#4345: 404 M_UNKNOWN "No known
# servers"): the join is retried with backoff.
room_create "$(jq -cn --arg a "$ALICE" '{members: [$a], name: "Not joinable yet"}')"
SLOW=$ROOM
ctl_ok "the first join of the room fails like synapse#4345" \
	POST "/join_fails?room=$(enc "$SLOW")&count=1&errcode=M_UNKNOWN&status=404"
ctl_ok "alice invites the bot" POST "/invite?room=$(enc "$SLOW")&sender=$(enc "$ALICE")"
check "a join that failed with 404 M_UNKNOWN is retried, and the bot joins" wait_until 10 bot_joined "$SLOW"
check_eq "two join calls: 404, then 200" "404 200" \
	"$(ctl GET '/log?kind=api' | jq -r --arg r "$SLOW" '[.[] | select(.endpoint == "join"
		and (.path | gsub("%21"; "!") | gsub("%3[Aa]"; ":") | contains($r))) | .status] | map(tostring) | join(" ")')"

# ---- a room where the bot may not post: M_FORBIDDEN is logged with a hint ----
room_create "$(jq -cn --arg a "$ALICE" --arg bot "$BOT" '{members: [$a, $bot], name: "Read-only",
	power_levels: {users: {($a): 100}, events_default: 50}}')"
RO=$ROOM
say "$ALICE" '!ws start'
ro_failed() { [ "$(sql_q "SELECT count(*) FROM outbox WHERE channel = '$RO' AND state = 'failed'")" -ge 2 ]; }
check "sends refused with M_FORBIDDEN are given up" wait_until 15 ro_failed
check_grep "the daemon logs M_FORBIDDEN with a hint" "$DERR" "check the bot's membership and power level there"
check_eq "each refused send was tried once (no retry loop)" "true" \
	"$(sent "$RO" | jq 'length >= 2 and all(.[]; .received == 1 and .applied == false)')"
check "the daemon keeps running" running

# ---- a limited timeline in a room with an open session ----
members=()
for k in $(seq 1 60); do members+=("@p$k:fake.local"); done
room_create "$(jq -cn --arg a "$ALICE" --arg bot "$BOT" '{members: ([$a, $bot] + $ARGS.positional),
	power_levels: {users: {($a): 100}}}' --args "${members[@]}")"
BIG=$ROOM
ref_known() {
	[ -n "$(sql_q "SELECT p.remote_ref FROM session_prompts p JOIN sessions s ON s.id = p.session_id WHERE s.channel = '$1' AND p.prompt_index = $2 AND p.remote_ref IS NOT NULL")" ]
}
say "$ALICE" '!ws start'
check "a session starts in the big room" wait_until 15 ref_known "$BIG" 0
Q1=$(question_event 1)
limit=$(ctl GET '/log?kind=api' | jq -r '[.[] | select(.endpoint == "filter" and .status == 200)][0].body | fromjson | .room.timeline.limit')
check_eq "the daemon's filter limits the sync timeline to 50 events" "50" "$limit"
wait_until 10 sync_held
seq0=$(state | jq .log_seq)
burst=()
for k in $(seq 1 60); do ev_thread "@p$k:fake.local" "$Q1" "answer $k"; burst+=("$EV"); done
post "$(printf '%s\n' "${burst[@]}" | jq -cs .)"
check "all 60 answers are handled" settle 20
check_eq "all 60 answers are stored, once each" "60|60" \
	"$(sql_q "SELECT count(*), count(DISTINCT user_id) FROM answers a JOIN sessions s ON s.id = a.session_id WHERE s.channel = '$BIG'")"
lg=$(ctl GET "/log?kind=api&since=$seq0")
check_eq "the sync answer was limited (a gap)" "true" \
	"$(jq --arg r "$BIG" 'any(.[]; .endpoint == "sync" and (.response.rooms.join[$r].timeline.limited? // false))' <<<"$lg")"
check_eq "the gap was filled from /messages" "true" \
	"$(jq --arg r "$BIG" 'any(.[]; .endpoint == "messages" and .status == 200
		and (.path | gsub("%21"; "!") | gsub("%3[Aa]"; ":") | contains("/rooms/" + $r + "/")))' <<<"$lg")"
check_grep "the daemon logs the gap" "$DERR" "filling a gap in $BIG"
all_confirmed() {
	[ "$(sent "$BIG" | jq '[.[] | select(.type == "m.reaction" and .applied)] | length')" -ge 60 ]
}
check "each of the 60 answers gets a ✅" wait_until 20 all_confirmed

# A limited sync in a room without a session needs no gap filled.
wait_until 10 sync_held
seq1=$(state | jq .log_seq)
ctl_ok "arm a limited timeline in the side room" POST "/limited?room=$(enc "$SIDE")&count=2"
chatter=()
for k in 1 2 3 4 5; do ev_say @sync:fake.local "chatter $k"; chatter+=("$EV"); done
post "$(printf '%s\n' "${chatter[@]}" | jq -cs .)" "$SIDE"
sync_point
check_eq "a gap in a room without a session is not fetched" "0" \
	"$(ctl GET "/log?kind=api&since=$seq1" | jq '[.[] | select(.endpoint == "messages")] | length')"

# ---- a room that turns encryption on mid-session ----
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg bot "$BOT" '{members: [$a, $b, $bot],
	power_levels: {users: {($a): 100}}}')"
LATE=$ROOM
say "$ALICE" '!ws start'
check "a session starts in the room" wait_until 15 ref_known "$LATE" 0
n0=$(n_applied "$LATE")
post "$(jq -cn --arg a "$ALICE" '{type: "m.room.encryption", sender: $a, state_key: "",
	content: {algorithm: "m.megolm.v1.aes-sha2"}}')"
say "$ALICE" '!ws next'
sync_point
late_warned() { has_notice '(.content.body | contains("cannot read"))' "$LATE"; }
check "turning encryption on gets the notice" wait_until 15 late_warned
sync_point
check_eq "and nothing else: the session does not move" "$((n0 + 1))|0" \
	"$(n_applied "$LATE")|$(sql_q "SELECT prompt_index FROM sessions WHERE channel = '$LATE'")"

# ---- a room of version 11: redactions carry content.redacts ----
room_create "$(jq -cn --arg a "$ALICE" --arg b "$BOB" --arg bot "$BOT" '{members: [$a, $b, $bot],
	room_version: "11", power_levels: {users: {($a): 100}}}')"
V11=$ROOM
say "$ALICE" '!ws start'
check "a session starts in the v11 room" wait_until 15 ref_known "$V11" 0
thread "$BOB" "$(question_event 1)" 'bob in v11'
bob1=$EV_ID
settle
redact "$BOB" "$bob1"
red=$EV_ID
settle
check_eq "the fake stored the v11 redaction with content.redacts (no top-level redacts)" "$bob1|null" \
	"$(ctl GET "/timeline?room=$(enc "$V11")" | jq -r --arg e "$red" '.events[] | select(.event_id == $e) | "\(.content.redacts)|\(.redacts)"')"
check_eq "a redaction in a v11 room withdraws the answer" "bob in v11|1" \
	"$(sql_q "SELECT a.text, a.withdrawn FROM answers a JOIN sessions s ON s.id = a.session_id WHERE s.channel = '$V11'")"

# ---- after a restart: still one notice in the encrypted room ----
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
daemon_start_ready "$DB"
ev_say "$ALICE" '!ws start'
post "$EV" "$ENC"
sync_point
check_eq "after a restart the encrypted room still has exactly one notice" "1" "$(n_applied "$ENC")"
daemon_stop
finish
