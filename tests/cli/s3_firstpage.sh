#!/bin/sh
# Round trips over S3 (issue 18): the first 100-row page of rayhist-ls
# --tasks on an indexed session waits for at most 4 round trips one after
# another, with the same requests whether its events are 1 object or 20;
# rayhist-ls -l of a cluster and of a session read their sessions' and
# nodes' manifests at once, not one after another, and the levels of a
# path are listed at once. The harness delays every
# request by 50 ms (a distant server: requests sent together overlap) and
# reports its "depth": the longest chain of requests each sent after the
# one before it was answered.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
s3_start firstpage
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=s3://rayhist/fp
reset() {
	curl -sf -X POST "http://127.0.0.1:$S3_CONTROL/reset" >/dev/null ||
		fail "cannot reset the harness's counters"
}

$RH_GEN bigtasks --out "$tmp/ev.jsonl" --tasks 2000 >/dev/null || fail "raygen failed"
split -n l/20 "$tmp/ev.jsonl" "$tmp/part."
s1=session_2026-01-01_00-00-00_000000_1
s20=session_2026-01-01_00-00-00_000000_2
"$RH_COLLECT" -q --store $store --cluster c1 --session $s1 --events "$tmp/ev.jsonl" ||
	fail "import of one object"
"$RH_COLLECT" -q --store $store --cluster c1 --session $s20 --events "$tmp"/part.* ||
	fail "import of 20 objects"
for s in $s1 $s20; do	# builds the indexes
	"$RH_LS" -q --store $store --tasks --limit 3 default/c1/$s >/dev/null 2>&1 ||
		fail "first query of $s"
done
s3_faults "latency_ms=50"

# page SESSION: requests and depth of one first page
page() {
	reset
	"$RH_LS" -q --store $store --tasks --limit 100 "default/c1/$1" >"$tmp/out" 2>"$tmp/err" ||
		fail "rayhist-ls --tasks $1: $(cat "$tmp/err")"
	grep -q "^100 shown, 2000 match" "$tmp/err" || fail "page of $1: $(cat "$tmp/err")"
	echo "$(s3_stats requests) $(s3_stats depth)"
}
set -- $(page $s1)
r1=$1 d1=$2
set -- $(page $s20)
r20=$1 d20=$2
echo "first page: $r1 requests, depth $d1 (1 object); $r20 requests, depth $d20 (20 objects)"
[ "$d1" -le 4 ] || fail "a first page waits for $d1 round trips in turn (at most 4)"
[ "$d20" -eq "$d1" ] || fail "depth $d20 at 20 objects, $d1 at 1"
[ "$r20" -eq "$r1" ] || fail "$r20 requests at 20 objects, $r1 at 1"
[ "$r1" -le 16 ] || fail "$r1 requests for a first page"

# -l of the cluster: 10 more sessions, each one manifest (none has a
# session.json: each then costs its listings too)
for i in 3 4 5 6 7 8 9 10 11 12; do
	"$RH_COLLECT" -q --store $store --cluster c1 --session session_2026-01-01_00-00-00_000000_$i \
		--events "$tmp/part.aa" || fail "import $i"
done
reset
"$RH_LS" --store $store -l default/c1 >"$tmp/out" 2>"$tmp/err" || fail "ls -l: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out")" -eq 12 ] || fail "ls -l lists $(wc -l < "$tmp/out") sessions: $(cat "$tmp/out")"
d=$(s3_stats depth)
echo "ls -l of 12 sessions: $(s3_stats requests) requests, depth $d"
# the levels at once (1), the sessions (1), then each session's manifest
# and the two listings that tell a session from a stray index, read for all
# sessions at once (3)
[ "$d" -le 5 ] || fail "ls -l of 12 sessions waits for $d round trips in turn"
pass
