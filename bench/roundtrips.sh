#!/bin/sh
# Sequential round trips per query over S3, and wall time against file://
# in the same run: rayhist-ls --tasks --limit 100 and --jobs of an indexed
# session, -l of a cluster of SESSIONS sessions and -l of a session. The S3
# server is Ceph's RADOS Gateway on loopback (tests/s3/rgw.sh) behind
# tests/s3/harness.js, which delays every request by LATENCY_MS (a distant
# server; the issue measured ~35 ms a request) and reports "depth", the
# longest chain of requests each sent after the one before it was
# answered: the round trips a query waited for in turn. Goal: a first page
# in <= 4.
#
#   TASKS=N (20000) task attempts in OBJECTS=N (100) event objects,
#   SESSIONS=N (20) sessions in the cluster, LATENCY_MS=N (35), RUNS=N (5)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RH_BUILD:-$top/_build}
bin=$build/bin
ls_bin=$bin/rayhist-ls
# the program itself, not libtool's wrapper script (bench/firstpage.sh)
if [ -x "$bin/.libs/rayhist-ls" ]; then
	ls_bin=$bin/.libs/rayhist-ls
	LD_LIBRARY_PATH=$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
dir=${BENCH_DIR:-/tmp/rayhist-bench}/roundtrips
tasks=${TASKS:-20000}
objects=${OBJECTS:-100}
sessions=${SESSIONS:-20}
latency=${LATENCY_MS:-35}
runs=${RUNS:-5}
mkdir -p "$dir"

# ---------------------------------------------------------------- the server
. "$top/bench/lib/rgw.sh"
rgw_start
stat() { curl -sf "$control/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
reset() { curl -sf -X POST "$control/reset" >/dev/null; }

# ---------------------------------------------------------------- the data
events=$dir/events-$tasks.jsonl
[ -s "$events" ] || python3 "$top/tests/gen/raygen.py" bigtasks --out "$events" \
	--tasks "$tasks" >/dev/null
rm -rf "$dir/parts" "$dir/store"
mkdir -p "$dir/parts"
split -n "l/$objects" "$events" "$dir/parts/p."
session=session_2026-01-01_00-00-00_000000_1
for st in "$dir/store" s3://bench/rt; do
	$bin/rayhist-collect -q --store "$st" --cluster bench --session $session \
		--events "$dir"/parts/p.*
	i=2
	while [ "$i" -le "$sessions" ]; do
		$bin/rayhist-collect -q --store "$st" --cluster bench \
			--session "session_2026-01-01_00-00-00_000000_$i" \
			--events "$(ls "$dir"/parts/p.* | head -n 1)"
		i=$((i + 1))
	done
	$ls_bin -q --store "$st" --tasks --limit 1 default/bench/$session >/dev/null 2>&1
done
curl -sf -X POST "$control/faults?latency_ms=$latency" >/dev/null

# ---------------------------------------------------------------- the queries
: > "$dir/results"
run() {
	name=$1
	shift
	reset
	$ls_bin -q --store s3://bench/rt "$@" >/dev/null 2>&1
	req=$(stat requests) depth=$(stat depth)
	set -- $(python3 "$top/bench/timeit.py" -n "$runs" -- \
		"$ls_bin -q --store $dir/store $* >/dev/null 2>&1" -- \
		"$ls_bin -q --store s3://bench/rt $* >/dev/null 2>&1" |
		awk '{sub("median_s=","",$1); print $1}')
	echo "$name $req $depth $1 $2" >> "$dir/results"
}
run tasks-page --tasks --limit 100 default/bench/$session
run jobs --jobs default/bench/$session
run ls-l-cluster -l default/bench
run ls-l-session -l default/bench/$session
python3 - "$dir/results" "$tasks" "$objects" "$sessions" "$latency" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
tasks, objects, sessions, latency = sys.argv[2:6]
print(f"rayhist-ls over S3 (RGW on loopback, +{latency} ms a request) vs file://, "
      f"{tasks} task attempts in {objects} event objects, {sessions} sessions")
print(f"{'query':<14} {'requests':>8} {'in turn':>7} | {'file:// ms':>10} {'s3:// ms':>9} {'ratio':>6}")
for name, req, depth, tf, ts in rows:
    tf, ts = float(tf), float(ts)
    print(f"{name:<14} {req:>8} {depth:>7} | {tf * 1000:10.1f} {ts * 1000:9.1f} {ts / tf:5.1f}x")
print("goal: a first page (tasks-page) in <= 4 round trips in turn")
PY
