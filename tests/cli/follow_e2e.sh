#!/bin/sh
# Follow mode end to end: collectors beside a generated head and worker
# node while a writer process grows their logs, rotates, truncates, moves
# workers' files to logs/old/, deletes idle files and starts a new session
# on the head, and four posters send the aggregator's batches at once. After
# SIGTERM the store must equal the writer's files byte for byte (deleted
# files as they were), each part object must hold exactly what the manifest
# says, each batch must be stored once, and both head sessions must read as
# ended; while running, the head's session reads as live.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
# a folder, or the s3:// store of tests/cli/s3_e2e.sh
store=${RH_TEST_STORE:-$tmp/store}
# The writer deletes files in logs/old/ idle for a while. A follower holds
# the files it tracks open, so bytes written and moves made just before a
# delete are stored even when it is behind; but a file created, moved and
# deleted while one ship to the store is under way is never seen by anyone.
# One part's PUT takes milliseconds on a folder but can take a second on a
# loaded S3 server, so there Ray writes slower and files stay longer.
case "$store" in
s3://* | az://*) pace="--interval 0.02 --idle 6" ;;
*) pace="--interval 0.005 --idle 1.5" ;;
esac
$RH_GEN session --out "$tmp/gen" --seed 21 --nodes 2 >/dev/null 2>&1
head=$(ls -d "$tmp"/gen/*-head-*)
worker=$(ls -d "$tmp"/gen/*-worker-* | head -n 1)
old=$(basename "$(readlink -f "$head/session_latest")")

start_collector "$tmp/head.log" --store "$store" --cluster e2e --ray-root "$head" \
	--role head --flush-interval 0.2 --events-listen 127.0.0.1:0 -v
hpid=$cpid
start_collector "$tmp/worker.log" --store "$store" --cluster e2e --ray-root "$worker" \
	--flush-interval 0.2 --events-listen off --state-dir "$tmp/worker-state" -v
wpid=$cpid
port=$(port_of "$tmp/head.log")
wait_for "$tmp/head.log" "following session_"
wait_for "$tmp/worker.log" "following session_"
[ -d "$head/rayhist-state" ] || fail "no default state directory under the Ray root"
n=0
until [ "$(session_state "$store" default/e2e "$old")" = live ]; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the head's session does not read as live"
	sleep 0.05
done

# shellcheck disable=SC2086
$RH_FOLLOW_WRITER "$head" --seed 5 --steps 500 $pace \
	--graveyard "$tmp/grave-head" --truncated "$tmp/trunc-head" --new-session-at 350 2> "$tmp/writer-head.log" &
w1=$!
# shellcheck disable=SC2086
$RH_FOLLOW_WRITER "$worker" --seed 6 --steps 300 $pace \
	--graveyard "$tmp/grave-worker" --truncated "$tmp/trunc-worker" 2> "$tmp/writer-worker.log" &
w2=$!
ls "$tmp"/gen/aggregator/*.json | xargs -P 4 -I{} curl -sS -o /dev/null -w '%{http_code}\n' \
	-H 'Content-Type: application/json' --data-binary @{} \
	"http://127.0.0.1:$port/v1/events" > "$tmp/codes"
wait "$w1" || fail "the head's writer failed: $(cat "$tmp/writer-head.log")"
wait "$w2" || fail "the worker's writer failed: $(cat "$tmp/writer-worker.log")"
[ "$(sort -u "$tmp/codes")" = 200 ] || fail "POSTs answered $(sort "$tmp/codes" | uniq -c | tr '\n' ' ')"
[ "$(wc -l < "$tmp/codes")" -eq "$(ls "$tmp"/gen/aggregator/*.json | wc -l)" ] || fail "lost POSTs"
new=$(basename "$(readlink -f "$head/session_latest")")
[ "$new" != "$old" ] || fail "the writer did not start a new session"

kill -TERM "$hpid" "$wpid"
wait_exit "$hpid" 30
[ "$status" -eq 0 ] || fail "head collector exited $status: $(tail -n 5 "$tmp/head.log")"
[ "$took" -le 25 ] || fail "head drain took $took s"
wait_exit "$wpid" 30
[ "$status" -eq 0 ] || fail "worker collector exited $status: $(tail -n 5 "$tmp/worker.log")"
! grep -q "drained with failures" "$tmp/head.log" "$tmp/worker.log" || fail "failures while draining"
grep -q "session $old marked ended" "$tmp/head.log" || fail "the replaced session was not ended"

objects=$(objects_of "$store" "$tmp/objects")
# grave NODE SESSION: the graveyard option for a session, if anything died
grave() { [ -d "$tmp/grave-$1/$2" ] && echo "--graveyard $tmp/grave-$1/$2" || true; }
# shellcheck disable=SC2046
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --objects "$objects" --cluster e2e --session-dir "$head/$old" \
	--events "$tmp/gen/aggregator" --truncated "$tmp/trunc-head" $(grave head "$old")
# shellcheck disable=SC2046
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --objects "$objects" --cluster e2e --session-dir "$head/$new" \
	--truncated "$tmp/trunc-head" $(grave head "$new")
# shellcheck disable=SC2046
$RH_FOLLOW_CHECK --ls "$RH_LS" --store "$store" --objects "$objects" --cluster e2e \
	--session-dir "$worker/$old" --truncated "$tmp/trunc-worker" $(grave worker "$old")
expect_eq "$(session_state "$store" default/e2e "$old")" ended
expect_eq "$(session_state "$store" default/e2e "$new")" ended
# a node restarted into a new session is a new node entry
expect_eq "$("$RH_LS" --store "$store" "default/e2e/$new" | wc -l)" 1
expect_eq "$("$RH_LS" --store "$store" "default/e2e/$old" | wc -l)" 2
cat "$tmp/writer-head.log" "$tmp/writer-worker.log"
pass
