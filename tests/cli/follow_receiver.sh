#!/bin/sh
# The event receiver over HTTP: a valid batch gets 200 (on /v1/events and
# on /), malformed JSON 400 with a message, a body over --events-max-body
# 413, other paths and methods 404/405; eight posters at once all get 200
# and every event is stored once (batches packed into few objects); a spool over --spool-cap gets 503
# with Retry-After and the spool never grows past the cap; after SIGTERM
# the receiver refuses new batches (503) while it drains.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 41 --nodes 1 >/dev/null 2>&1
root=$(ls -d "$tmp"/gen/*-head-*)
session=$(basename "$(readlink -f "$root/session_latest")")
batches=$tmp/gen/aggregator

start_collector "$tmp/c.log" --store "$store" --cluster recv --ray-root "$root" \
	--flush-interval 0.2 --events-listen 127.0.0.1:0 --events-max-body 300000
pid=$cpid
port=$(port_of "$tmp/c.log")
base=http://127.0.0.1:$port
wait_for "$tmp/c.log" "following session_"

first=$(ls "$batches"/*.json | head -n 1)
expect_eq "$(post "$base/v1/events" "$first")" 200
expect_eq "$(post "$base/" "$first")" 200
printf '[{"eventId": "x", ' > "$tmp/bad.json"
code=$(curl -sS -o "$tmp/body" -w '%{http_code}' --data-binary @"$tmp/bad.json" "$base/v1/events")
expect_eq "$code" 400
grep -q 'not closed\|not JSON' "$tmp/body" || fail "400 without a message: $(cat "$tmp/body")"
printf '{"not": "an array"}' > "$tmp/obj.json"
expect_eq "$(post "$base/v1/events" "$tmp/obj.json")" 400
${PYTHON:-python3} -c "import sys; sys.stdout.write('[' + ','.join(['{\"eventId\":\"00\"}'] * 40000) + ']')" > "$tmp/big.json"
expect_eq "$(post "$base/v1/events" "$tmp/big.json")" 413
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$base/v1/events")" 405
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$base/nope")" 404
expect_eq "$(curl -sS "$base/healthz")" ok
n=0
until curl -sS "$base/" | grep -q "\"session\":\"$session\",.*\"following\":true"; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "the status page does not show the session followed"
	sleep 0.05
done

# eight posters at once, every batch, twice over
(ls "$batches"/*.json; ls "$batches"/*.json) | xargs -P 8 -I{} curl -sS -o /dev/null \
	-w '%{http_code}\n' --data-binary @{} "$base/v1/events" > "$tmp/codes"
[ "$(sort -u "$tmp/codes")" = 200 ] || fail "concurrent POSTs got $(sort "$tmp/codes" | uniq -c | tr '\n' ' ')"
kill -TERM "$pid"
wait_exit "$pid" 30
expect_eq "$status" 0
# every event once, packed into fewer objects than batches
out=$(${PYTHON:-python3} "$top_srcdir/tests/cli/events_once.py" \
	"$store/default/recv/$session/events" "$batches"/*.json) || fail "$out"
n=$(ls "$store/default/recv/$session/events" | wc -l)
nb=$(ls "$batches"/*.json | wc -l)
[ "$n" -lt "$nb" ] || fail "$n event objects for $nb batches: not packed"
ls "$store/default/recv/$session/marks" | grep -q '^recv-' || fail "no receiver mark"

# a spool that cannot ship (hourly flushes) fills up: 503 + Retry-After
start_collector "$tmp/full.log" --store "$store" --cluster full --ray-root "$root" \
	--state-dir "$tmp/full-state" --flush-interval 3600 --events-listen 127.0.0.1:0 \
	--spool-cap 20000
pid=$cpid
port=$(port_of "$tmp/full.log")
wait_for "$tmp/full.log" "following session_"
sleep 0.3
got503=0
for f in "$batches"/*.json; do
	code=$(curl -sS -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' --data-binary @"$f" \
		"http://127.0.0.1:$port/v1/events")
	if [ "$code" = 503 ]; then
		got503=1
		grep -qi '^Retry-After: [0-9]' "$tmp/headers" || fail "503 without Retry-After"
		grep -q 'full' "$tmp/body" || fail "503 without a message: $(cat "$tmp/body")"
		break
	fi
	expect_eq "$code" 200
done
expect_eq "$got503" 1
used=$(cat "$tmp/full-state/spool"/*.json | wc -c)
[ "$used" -le 20000 ] || fail "the spool holds $used bytes, over its cap"

# draining: new batches are refused, spooled ones shipped
kill -TERM "$pid"
n=0
code=000
while kill -0 "$pid" 2>/dev/null && [ "$code" != 503 ] && [ "$n" -lt 100 ]; do
	code=$(post "http://127.0.0.1:$port/v1/events" "$first")
	n=$((n + 1))
done
wait_exit "$pid" 30
expect_eq "$status" 0
[ -z "$(ls "$tmp/full-state/spool"/*.json 2>/dev/null)" ] || fail "the spool was not shipped while draining"
pass
