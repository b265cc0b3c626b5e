#!/bin/sh
# rayhist-collect --events-token-file: event POSTs and the status page need
# the token, as "Authorization: Bearer" or as "?token=" in the URL (Ray's
# aggregator posts to the exact URL it is given, without headers of its
# own); without it, or with a wrong one, 401 and nothing is stored;
# /healthz and /metrics (checked with promtool) stay open.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 43 --nodes 1 >/dev/null 2>&1
root=$(ls -d "$tmp"/gen/*-head-*)
session=$(basename "$(readlink -f "$root/session_latest")")
batches=$tmp/gen/aggregator
printf 'short\n' > "$tmp/short"
expect_fail 2 "$RH_COLLECT" --follow --store "$store" --cluster tok --ray-root "$root" \
	--events-token-file "$tmp/short"
printf 'tok-0123456789abcdef\n' > "$tmp/token"

start_collector "$tmp/c.log" --store "$store" --cluster tok --ray-root "$root" \
	--flush-interval 0.2 --events-listen 127.0.0.1:0 --events-token-file "$tmp/token"
pid=$cpid
port=$(port_of "$tmp/c.log")
base=http://127.0.0.1:$port
wait_for "$tmp/c.log" "following session_"

set -- "$batches"/*.json
code=$(curl -sS -D "$tmp/h" -o /dev/null -w '%{http_code}' --data-binary @"$1" "$base/v1/events")
expect_eq "$code" 401
grep -qi '^WWW-Authenticate: Bearer' "$tmp/h" || fail "401 without WWW-Authenticate"
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer tok-0123456789abcdeX' \
	--data-binary @"$1" "$base/v1/events")" 401
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$1" "$base/v1/events?token=tok-0123456789abcde")" 401
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$base/")" 401
expect_eq "$(curl -sS "$base/healthz")" ok
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer tok-0123456789abcdef' \
	--data-binary @"$1" "$base/v1/events")" 200
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$2" "$base/v1/events?token=tok-0123456789abcdef")" 200
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer tok-0123456789abcdef' "$base/status")" 200
# /metrics needs no token and passes promtool; it counts what happened.
curl -sS "$base/metrics" > "$tmp/metrics"
command -v promtool >/dev/null 2>&1 || fail "promtool is needed (Debian package prometheus)"
promtool check metrics < "$tmp/metrics" || fail "promtool: $(promtool check metrics < "$tmp/metrics" 2>&1)"
grep -q '^rayhist_collect_event_batches_total{result="accepted"} 2$' "$tmp/metrics" ||
	fail "accepted batches: $(grep batches_total "$tmp/metrics")"
n=0
until curl -sS "$base/metrics" | grep -q '^rayhist_collect_following 1$'; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "rayhist_collect_following never 1: $(curl -sS "$base/metrics")"
	sleep 0.05
done
kill -TERM "$pid"
wait_exit "$pid" 30
expect_eq "$status" 0
out=$(${PYTHON:-python3} "$top_srcdir/tests/cli/events_once.py" \
	"$store/default/tok/$session/events" "$1" "$2") || fail "$out"
pass
