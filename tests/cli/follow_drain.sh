#!/bin/sh
# Liveness and shutdown. While the head's collector runs, rayhist-ls -l
# shows its session live; after kill -9 the heartbeat stops and, once it is
# stale, the session reads as abandoned, dated by its last heartbeat. SIGTERM
# drains (every byte written before it is stored) well within
# --drain-timeout and marks the session ended. A drain that cannot finish in
# time exits 1 at the deadline, and the next run resumes without loss.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 51 --nodes 1 >/dev/null 2>&1
root=$(ls -d "$tmp"/gen/*-head-*)
session=$(basename "$(readlink -f "$root/session_latest")")
sdir=$root/$session

# live, then abandoned
start_collector "$tmp/a.log" --store "$store" --cluster live --ray-root "$root" \
	--flush-interval 0.3 --events-listen off
pid=$cpid
wait_for "$tmp/a.log" "following session_"
n=0
until [ "$(session_state "$store" default/live "$session")" = live ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "not live: $("$RH_LS" --store "$store" -l default/live)"
	sleep 0.05
done
sleep 0.7
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
killed_at=$(date +%s)

# a SIGTERM drain, meanwhile, on another cluster name
start_collector "$tmp/b.log" --store "$store" --cluster drain --ray-root "$root" \
	--state-dir "$tmp/b-state" --flush-interval 3600 --events-listen off
pid=$cpid
wait_for "$tmp/b.log" "following session_"
# written after the first (and, with hourly flushes, only) shipment
head -c 3000000 /dev/urandom | od -An -tx1 > "$sdir/logs/late.log"
printf 'last line\n' >> "$sdir/logs/raylet.out"
kill -TERM "$pid"
wait_exit "$pid" 30
expect_eq "$status" 0
[ "$took" -le 10 ] || fail "the drain took $took s"
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --cluster drain --session-dir "$sdir"
expect_eq "$(session_state "$store" default/drain "$session")" ended

# a drain that cannot finish in time: exit 1 at the deadline, resume later
head -c 60000000 /dev/urandom > "$sdir/logs/huge.log"
start_collector "$tmp/c.log" --store "$store" --cluster slow --ray-root "$root" \
	--state-dir "$tmp/c-state" --flush-interval 3600 --events-listen off \
	--drain-timeout 0.001 --level 19
pid=$cpid
wait_for "$tmp/c.log" "following session_"
kill -TERM "$pid"
wait_exit "$pid" 30
expect_eq "$status" 1
grep -q "drain timeout" "$tmp/c.log" || fail "no drain timeout message: $(cat "$tmp/c.log")"
start_collector "$tmp/d.log" --store "$store" --cluster slow --ray-root "$root" \
	--state-dir "$tmp/c-state" --flush-interval 0.2 --events-listen off
pid=$cpid
wait_for "$tmp/d.log" "following session_"
kill -TERM "$pid"
wait_exit "$pid" 60
expect_eq "$status" 0
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --cluster slow --session-dir "$sdir"

# by now the first collector's heartbeat is stale (3 x 0.3 s + 10 s)
while [ $(($(date +%s) - killed_at)) -lt 12 ]; do sleep 0.2; done
expect_eq "$(session_state "$store" default/live "$session")" abandoned
line=$("$RH_LS" --store "$store" -l default/live)
beat=$(echo "$line" | awk '{ print $2 }')
beat_s=$(date -u -d "$beat" +%s)
[ $((killed_at - beat_s)) -le 2 ] && [ $((killed_at - beat_s)) -ge -1 ] ||
	fail "abandoned session dated $beat, killed at $(date -u -d "@$killed_at")"
"$RH_LS" --store "$store" -l --json default/live | grep -q '"state": *"abandoned"' ||
	fail "--json lacks the state"
pass
