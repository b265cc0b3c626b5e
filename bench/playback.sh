#!/bin/sh
# State playback: a page of 100 tasks (rayhist-ls --tasks --limit 100
# [--detail] --json, counts included; process start and index open count
# alike on both sides) as of a mid-session instant, next to the
# same page without an instant, on a session of TASKS task attempts
# (default 1,000,000; export events of tests/gen/raygen.py bigtasks).
# Target: at most 2x. Also a page filtered by state=RUNNING at the instant,
# which has to scan the rows created by then (reported, no target).
#   TASKS=N  RUNS=N (default 11)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
tasks=${TASKS:-1000000}
runs=${RUNS:-11}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/playback-$tasks
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
session=session_2025-11-12_22-10-31_123456_42
events=$dir/$session/logs/export_events/event_EXPORT_TASK_1.log
mkdir -p "$dir/$session/logs/export_events"
if [ ! -f "$dir/gen.ok" ]; then
	rm -rf "$dir/store"
	[ -s "$events" ] || python3 "$top/tests/gen/raygen.py" bigtasks --format export \
		--tasks "$tasks" --out "$events" >/dev/null
	printf '[2025-11-12 22:10:31,000 I 1 1] (raylet) main.cc:1: Setting node ID node_id=%s\n' \
		"$node" > "$dir/$session/logs/raylet.out"
	"$bin/rayhist-collect" -q --store "$dir/store" --cluster bench --node-id "$node" "$dir/$session"
	touch "$dir/gen.ok"
fi
path=default/bench/$session
ls="$bin/rayhist-ls --store $dir/store"
# build the index once, outside the timing
t0=$(date +%s.%N)
$ls --tasks --limit 1 "$path" >/dev/null 2>&1
t1=$(date +%s.%N)
# the instant: halfway between the first and the last event
at=$(python3 - "$events" <<'PY'
import json, os, sys, datetime
f = open(sys.argv[1], "rb")
first = json.loads(f.readline())["timestamp"]
f.seek(max(0, os.path.getsize(sys.argv[1]) - 65536))
last = json.loads(f.read().splitlines()[-1])["timestamp"]
mid = (first + last) / 2
print(datetime.datetime.fromtimestamp(mid, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
)
q="--tasks --limit 100 --detail --json $path"
p="--tasks --limit 100 --json $path"
set -- $(python3 "$top/bench/timeit.py" -n "$runs" -- "$ls $q" -- "$ls --at $at $q" \
	-- "$ls --filter state=RUNNING --at $at $q" -- "$ls $p" -- "$ls --at $at $p" |
	awk '{sub("median_s=","",$1); print $1}')
final=$1 at_s=$2 run_s=$3 pfinal=$4 pat=$5
shown=$($ls --at "$at" --tasks --limit 100 "$path" 2>&1 >/dev/null | tail -n 1)
python3 - "$tasks" "$at" "$final" "$at_s" "$run_s" "$shown" "$t0" "$t1" "$pfinal" "$pat" <<'PY'
import sys
n, at, final, at_s, run_s, shown, t0, t1, pfinal, pat = sys.argv[1:]
final, at_s, run_s, pfinal, pat = map(float, (final, at_s, run_s, pfinal, pat))
print(f"tasks={n} first_query_s={float(t1) - float(t0):.1f} (builds the index if absent) instant={at} ({shown})")
print(f"page100_final_ms={final * 1000:.1f} page100_at_ms={at_s * 1000:.1f} "
      f"ratio={at_s / final:.2f} (target <= 2)")
print(f"without --detail: page100_final_ms={pfinal * 1000:.1f} page100_at_ms={pat * 1000:.1f} "
      f"ratio={pat / pfinal:.2f} (target <= 2)")
print(f"page100_at_state_RUNNING_ms={run_s * 1000:.1f} (scans the rows created by then)")
PY
