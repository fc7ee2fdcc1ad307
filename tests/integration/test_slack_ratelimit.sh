#!/usr/bin/env bash
# test_slack_ratelimit.sh - a 429 storm on chat.postMessage (5 answers of HTTP 429 with
# Retry-After: 1) while five channel messages are queued: each is delivered exactly once,
# in order; the daemon waits at least Retry-After after each 429 and keeps about a second
# between posts in the channel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slack_lib.sh"

DB=$T/ws.db
fake_start
daemon_start_ready "$DB"

drained() { [ "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'pending'")" = 0 ]; }
post_calls() { ctl GET "/log?kind=api" | jq -c '[.[] | select(.method == "chat.postMessage") | {t: .t_ms, status, text: (.params.text // .body.text // "")}]'; }

send slash_commands slash U111 start
check "the session starts" wait_posts 2
check "its posts are out before the storm" wait_until 10 drained
calls_before=$(post_calls | jq length)

ctl POST "/ratelimit?method=chat.postMessage&count=5&retry_after=1" >/dev/null
# Five replies to the channel ("Added action item #N ..."), queued at once.
for n in 1 2 3 4 5; do
	send slash_commands slash U222 "action Storm step $n"
done
check "the five commands are acked" wait_acks 10
check_eq "their five replies are queued" "5" \
	"$(sql_q "SELECT count(*) FROM outbox WHERE kind = 'post' AND body LIKE '%Storm step%'")"
check "all five are delivered after the storm" wait_until 30 drained

delivered=$(posts | jq -r '[.[] | select(.text | contains("Storm step")) | .text | capture("Storm step (?<n>[0-9])").n] | join(" ")')
check_eq "each is delivered exactly once, in order" "1 2 3 4 5" "$delivered"
check_eq "none failed" "0" "$(sql_q "SELECT count(*) FROM outbox WHERE state = 'failed'")"

calls=$(post_calls | jq -c --argjson n "$calls_before" '.[$n:]')
check_eq "chat.postMessage got 5 answers 429, then 5 successes" \
	"[429,429,429,429,429,200,200,200,200,200]" "$(jq -c '[.[].status]' <<<"$calls")"
check_eq "the five refused attempts and the first success were all the first message" "6" \
	"$(jq '[.[0:6][] | select(.text | contains("Storm step 1"))] | length' <<<"$calls")"
# The gaps between calls: after a 429 at least Retry-After (1 s); between posts the pace
# (about 1 s). t_ms is when the fake received each call (milliseconds, truncated).
gaps=$(jq -c '[range(1; length) as $i | .[$i].t - .[$i - 1].t]' <<<"$calls")
echo "# gaps between chat.postMessage calls (ms): $gaps"
check_eq "after each 429 the daemon waited at least Retry-After (1 s)" "[]" \
	"$(jq -c '[.[0:5][] | select(. < 995)]' <<<"$gaps")"
check_eq "successful posts are paced about 1 s apart" "[]" \
	"$(jq -c '[.[5:][] | select(. < 995)]' <<<"$gaps")"
check_eq "and no wait was much longer than that (the storm took 5 waits, not 30 s ones)" "[]" \
	"$(jq -c '[.[] | select(. > 3000)]' <<<"$gaps")"
check_eq "the rate limit was logged" "5" "$(grep -c 'chat.postMessage rate-limited: waiting 1 s' "$DERR")"

daemon_stop
check_exit "the daemon stops cleanly" 0 "$DRC"
fake_stop
finish
