#!/usr/bin/env bash
# test_matrix_faults.sh - network faults on Matrix, table-driven like test_slack_faults.sh:
# on /sync (500 twice, an HTML 502, a 429 storm with retry_after_ms, a dropped connection,
# a TCP reset, an answer cut mid-body, a stall past the HTTP timeout, a body that is not
# JSON, fields of the wrong types, a 1 MiB answer), on send (the same where it applies:
# the stall is shorter than the send timeout and only delays the answer) and on the
# password login after a soft logout (500 then ok, garbage then ok). For each case: the
# daemon stays up, logs a clear line, recovers within its bound (a probe said in a side
# room after the fault hit is handled), an answer sent around the fault is stored once
# and a bot post queued during it is delivered once (every transaction applied once:
# counted per txnId in the fake). Then the /sync backoff after three 500s: 1 s, 2 s, 4 s
# (+-20 %), and over the run no failed sync is followed by another within the floor.
# [matrix] sync_timeout = 2 keeps the long polls (and the stalled-sync case) short.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/matrix_lib.sh"

SYNC_TIMEOUT=2
ALICE=@alice:fake.local
printf '[matrix]\nsync_timeout = %s\n' "$SYNC_TIMEOUT" >"$T/wb.conf"
chmod 600 "$T/wb.conf"
DAEMON_OPTS=(--config "$T/wb.conf")
fake_start
room_create "$(jq -cn --arg a "$ALICE" --arg bot "$BOT" '{members: ([$a, $bot]
	+ [range(1; 40) | "@u\(.):fake.local"]), power_levels: {users: {($a): 100}}}')"
side_room_create
DB=$T/mx.db
DAEMON_TIMEOUT=150 daemon_start_ready "$DB"
say "$ALICE" '!ws start'
check "the session starts" wait_sent 2
Q1=$(question_event 1)

# The table: NAME|KIND|INJECT|LOG. KIND: sync, send (the endpoint that misbehaves) or
# login (a soft logout first makes the daemon sign in again with its password). INJECT is
# a control request "METHOD PATH". LOG "-": no line is required (a send answered late
# succeeds; a request whose kept-alive connection was closed without an answer is resent
# by libcurl on a new one at once, unseen by the daemon; after a reset too, most times).
STALL_MS=$(( SYNC_TIMEOUT * 1500 + 2500 ))
CASES=(
	"sync 500 twice|sync|POST /fail?path=sync&status=500&count=2|sync failed: M_UNKNOWN"
	"sync HTML 502|sync|POST /garbage?path=sync&kind=html&status=502|sync failed: .*not JSON"
	"sync 429 storm|sync|POST /fail?path=sync&status=429&retry_after_ms=300&count=3|sync failed: M_LIMIT_EXCEEDED"
	"sync dropped connection|sync|POST /drop?path=sync|-"
	"sync TCP reset|sync|POST /drop?path=sync&reset=1|-"
	"sync answer cut mid-body|sync|POST /drop?path=sync&cut=1|sync failed"
	"sync stall past the timeout|sync|POST /stall?path=sync&ms=$STALL_MS|sync failed: .*[Tt]imeout"
	"sync not JSON|sync|POST /garbage?path=sync&kind=text|sync failed: .*not JSON"
	"sync fields of the wrong types|sync|POST /garbage?path=sync&kind=wrongtype|trying again in"
	"sync 1 MiB answer|sync|POST /garbage?path=sync&kind=huge|trying again in"
	"send 500 twice|send|POST /fail?path=send&status=500&count=2|send failed"
	"send HTML 502|send|POST /garbage?path=send&kind=html&status=502|send failed"
	"send 429 storm|send|POST /fail?path=send&status=429&retry_after_ms=300&count=3|rate-limited"
	"send dropped after applied|send|POST /drop?path=send&applied=1|-"
	"send TCP reset|send|POST /drop?path=send&reset=1|-"
	"send answer cut mid-body|send|POST /drop?path=send&cut=1&applied=1|send failed"
	"send stall of 3 s|send|POST /stall?path=send&ms=3000|-"
	"send not JSON|send|POST /garbage?path=send&kind=text&applied=1|send failed"
	"send fields of the wrong types|send|POST /garbage?path=send&kind=wrongtype|send failed"
	"send 1 MiB answer|send|POST /garbage?path=send&kind=huge&applied=1|send failed"
	"login 500 then ok|login|POST /fail?path=login&status=500|login failed: M_UNKNOWN"
	"login garbage then ok|login|POST /garbage?path=login&kind=text|login failed: .*not JSON"
)

n_answer() { sql_q "SELECT count(*) FROM answers WHERE text = '$1'"; }
# n_post TEXT: the bot's events in the room's timeline whose body contains TEXT.
n_post() {
	ctl GET "/timeline?room=$(enc "$ROOM")" | jq --arg b "$BOT" --arg t "$1" \
		'[.events[] | select(.sender == $b and ((.content.body? // "") | contains($t)))] | length'
}
# all_applied_once: every transaction the bot sent was applied, each exactly once.
all_applied_once() {
	sent | jq -e 'all(.[]; .applied and ([.calls[] | select(.outcome == "applied")] | length) == 1)' \
		>/dev/null
}
# fault_hit SEQ ENDPOINT: a call of ENDPOINT after SEQ met a rule (or a sync is stalled).
fault_hit() {
	ctl GET "/log?kind=api&since=$1" | jq -e --arg e "$2" \
		'any(.[]; .endpoint == $e and .rule != null)' >/dev/null ||
		state | jq -e 'any(.held[]; .stalled)' >/dev/null
}
PROBE=
CURL_RESENT='[]'     # the seq windows of the cases whose drops libcurl may resend
probe_handled() { handled "$PROBE"; }
case_done() { probe_handled && count_is 1 n_post "$1" && all_applied_once; }

i=0
for c in "${CASES[@]}"; do
	IFS='|' read -r name kind inject pattern <<<"$c"
	i=$((i + 1))
	user=@u$i:fake.local
	answer="answer around fault $i"
	item="Fault item $i"
	wait_until 10 sync_held
	mark=$(log_mark)
	seq0=$(state | jq .log_seq)
	t0=$(now_ms)
	read -r m path <<<"$inject"
	r=$(ctl "$m" "$path")
	check "$name: injected" jq -e '.ok' <<<"$r" >/dev/null
	FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
	# The command and the answer wake the held sync: the post is queued while the fault
	# lasts (a sync fault hits the next sync, a send fault this post or its ✅).
	ev_say "$user" "!ws action $item" && cmd=$EV
	ev_thread "$user" "$Q1" "$answer"
	post "$(jq -cs . <<<"$cmd $EV")"
	if [ "$kind" = login ]; then
		settle 10
		ctl POST "/logout?soft=1" >/dev/null
	fi
	check "$name: the fault was met" wait_until 15 fault_hit "$seq0" "$kind"
	# Said after the fault hit: handled only once the daemon syncs again.
	ev_say @sync:fake.local "probe $i"
	post "$EV" "$SIDE"
	PROBE=$EV_ID
	fault_recovered "$name" "$t0" 15 case_done "$item"
	case $name in "sync dropped connection" | "sync TCP reset")
		CURL_RESENT=$(jq -c --argjson a "$seq0" --argjson b "$(state | jq .log_seq)" \
			'. + [[$a, $b]]' <<<"$CURL_RESENT") ;;
	esac
	check_eq "$name: the answer sent around it is stored once" 1 "$(n_answer "$answer")"
	check_eq "$name: the post queued during it is delivered once" 1 "$(n_post "$item")"
	check "$name: every transaction was applied once" all_applied_once
	[ "$pattern" = - ] || fault_logged "$name" "$mark" "$pattern"
	check "$name: the daemon is still running" running
done

# ---- the /sync backoff: three 500s in a row ----
wait_until 10 sync_held
seq0=$(state | jq .log_seq)
t0=$(now_ms)
ctl POST "/fail?path=sync&status=500&count=3" >/dev/null
FAULTS_INJECTED=$((FAULTS_INJECTED + 1))
ev_say @sync:fake.local "wake for the backoff"
post "$EV" "$SIDE"
check "backoff: the three 500s were met" wait_until 15 count_ge 3 eval \
	"ctl GET '/log?kind=api&since=$seq0' | jq '[.[] | select(.endpoint == \"sync\" and .status == 500)] | length'"
ev_say @sync:fake.local "after the backoff"
post "$EV" "$SIDE"
PROBE=$EV_ID
fault_recovered "backoff" "$t0" 15 probe_handled
# The wait after each failed sync: from its answer to the next request (answer time less
# the time it was held).
sync_gaps() {
	ctl GET "/log?kind=api&since=$1" | jq -c '[.[] | select(.endpoint == "sync")
		| {t: .t_ms, status, held: (.held_ms // 0)}] as $s
		| [range(0; ($s | length) - 1) as $i | select($s[$i].status != 200)
		| $s[$i + 1].t - $s[$i + 1].held - $s[$i].t]'
}
gaps=$(sync_gaps "$seq0")
echo "# waits after each failed sync (ms): $gaps"
check "the waits grow as 1 s, 2 s, 4 s (+-20 %), none under its floor or over its bound" \
	backoff_gaps_ok "$gaps" 1000
# Over the whole run: after a failed sync (garbage too) the next comes no sooner than the
# 1 s floor (-20 %). Not counted: a 429 (the server sets the wait), a 401 of a soft logout
# (the daemon signs in again at once), and the drop or reset of the "sync dropped
# connection" and "sync TCP reset" cases (libcurl may resend the request on a new
# connection at once; the daemon then sees no failure).
all_gaps=$(ctl GET "/log?kind=api" | jq -c --argjson w "$CURL_RESENT" '[.[]
	| select(.endpoint == "sync") | . as $e
	| select($e.rule != "drop" or all($w[]; $e.seq <= .[0] or $e.seq > .[1]))
	| {t: .t_ms, status, garbage, held: (.held_ms // 0)}] as $s
	| [range(0; ($s | length) - 1) as $i
	| select(($s[$i].status != 200 or $s[$i].garbage != null)
		and $s[$i].status != 429 and $s[$i].status != 401)
	| $s[$i + 1].t - $s[$i + 1].held - $s[$i].t]')
echo "# waits after every failed sync (ms): $all_gaps"
check_eq "no sync retried sooner than the 1 s floor (-20 %)" "[]" \
	"$(jq -c '[.[] | select(. < 780)]' <<<"$all_gaps")"
n_sync=$(state | jq '.counts.sync')
echo "# sync calls over the run: $n_sync, logins: $(state | jq '.counts.login')"
check_eq "nothing failed in the outbox" 0 "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"
fault_summary
daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
finish
