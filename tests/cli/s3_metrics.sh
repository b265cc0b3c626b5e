#!/bin/sh
# rayhist-serve's /metrics count store calls and their retries on s3://:
# with every S3 request answered 503 SlowDown and max_attempts 3, one
# listing makes 3 attempts (2 retries) and ends as an error; both show in
# rayhist_store_retries_total and rayhist_store_requests_total.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
s3_start metrics
tmp=$(mktemp -d)
cleanup_add "$tmp"
RAYHIST_S3_MAX_ATTEMPTS=3 "$RH_SERVE" --store s3://rayhist/m --listen 127.0.0.1:0 \
	> "$tmp/out" 2> "$tmp/err" &
srv=$!
cleanup_stop() { kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }
trap 'cleanup_stop; _s3_stop; _on_exit' EXIT
n=0
until grep -q ':[0-9]*/' "$tmp/out"; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "rayhist-serve did not start: $(cat "$tmp/err")"
	sleep 0.1
done
url=$(grep -o 'http://[^ ]*:[0-9]*/' "$tmp/out" | head -n 1)
metric() { # NAME{LABELS} -> its value in a fresh scrape, or "none"
	curl -sf "${url}metrics" > "$tmp/m" || fail "/metrics failed"
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' "$tmp/m"
}
curl -s -o /dev/null "${url}clusters" # the store works: a first listing
ok=$(metric 'rayhist_store_requests_total{backend="s3",verb="list",outcome="ok"}')
[ "$ok" != none ] && [ "$ok" -ge 1 ] || fail "no s3 list counted: $ok"
r0=$(metric 'rayhist_store_retries_total{backend="s3",verb="list"}')
e0=$(metric 'rayhist_store_requests_total{backend="s3",verb="list",outcome="error"}')
[ "$r0" != none ] && [ "$e0" != none ] || fail "no s3 lines: $(cat "$tmp/m")"
promtool check metrics < "$tmp/m" || fail "promtool check metrics"

s3_faults "share=1;kinds=503"
req0=$(s3_stats requests)
curl -s -o /dev/null "${url}clusters?again=1"
req1=$(s3_stats requests)
s3_faults "share=0"
r1=$(metric 'rayhist_store_retries_total{backend="s3",verb="list"}')
e1=$(metric 'rayhist_store_requests_total{backend="s3",verb="list",outcome="error"}')
echo "S3 requests while failing: $((req1 - req0)); list retries $r0 -> $r1, errors $e0 -> $e1"
[ $((req1 - req0)) -ge 3 ] || fail "the listing did not reach S3 ($((req1 - req0)) requests)"
# each failed listing is 3 attempts: 2 retries and 1 error
[ $((e1 - e0)) -ge 1 ] || fail "no list error counted"
[ $((r1 - r0)) -eq $((2 * (e1 - e0))) ] || fail "retries $((r1 - r0)) for $((e1 - e0)) failed listings"
pass
