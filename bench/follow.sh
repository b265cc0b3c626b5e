#!/bin/sh
# Collector overhead in follow mode (issue 5): while a writer appends
# RATE bytes/s (default 20 MB/s) spread over FILES files (50) and posts EVENTS
# RayEvents/s (5,000) to its receiver, how much CPU does
# `rayhist-collect --follow` use per second of wall time, what is its peak
# RSS, and how long until an appended line is in the store (flush latency)?
# Baseline, same run: `zstd -3 -T1` compressing the same log bytes, the least
# CPU any collector shipping them compressed must spend.
# Targets: < 10% of one core, < 32 MiB peak RSS.
#
# Run from the top of the source tree after building into $BUILD (default
# _build): sh bench/follow.sh. SECONDS_=N sets the duration (default 20).
set -eu
top=$(pwd)
build=${BUILD:-$top/_build}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/follow
seconds=${SECONDS_:-20}
rate=${RATE:-20000000}
files=${FILES:-50}
events=${EVENTS:-5000}
collect=$build/bin/rayhist-collect
[ -x "$collect" ] || { echo "build first: no $collect" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/ray"
session=session_2025-11-13_01-02-03_456789_42
mkdir -p "$dir/ray/$session/logs"
printf '[2025-11-13 01:02:03,456 I 1 1] (raylet) main.cc:595: Setting node ID node_id=%s\n' \
	0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee > "$dir/ray/$session/logs/raylet.out"
ln -s "$session" "$dir/ray/session_latest"
ntasks=$((events * seconds / 4 + 1000))
python3 "$top/tests/gen/raygen.py" bigtasks --out "$dir/events.jsonl" --tasks "$ntasks" 2>/dev/null

"$collect" --follow --store "$dir/store" --cluster bench --ray-root "$dir/ray" \
	--events-listen 127.0.0.1:0 -q > "$dir/collector.log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
port=""
while [ -z "$port" ]; do
	sleep 0.1
	port=$(ss -ltnp 2>/dev/null | grep "pid=$pid," | sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' | head -n 1)
done
python3 "$top/bench/follow_load.py" --pid "$pid" --root "$dir/ray" --store "$dir/store" \
	--cluster bench --url "http://127.0.0.1:$port/v1/events" --events-file "$dir/events.jsonl" \
	--seconds "$seconds" --rate "$rate" --files "$files" --events "$events" > "$dir/result.json"
t0=$(date +%s%N)
kill -TERM "$pid"
wait "$pid" || true
drain_ms=$((($(date +%s%N) - t0) / 1000000))

# baseline: zstd -3 on one thread over the same bytes
cat "$dir/ray/$session"/logs/worker-*.out > "$dir/all.log"
zcpu=$(python3 -c "
import resource, subprocess, sys
subprocess.run(['zstd', '-3', '-T1', '-q', '-f', sys.argv[1], '-o', sys.argv[1] + '.zst'], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round(r.ru_utime + r.ru_stime, 2))" "$dir/all.log")
python3 - "$dir/result.json" "$zcpu" "$drain_ms" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
z = float(sys.argv[2])
r["baseline_zstd3_cpu_s"] = z
r["cpu_ratio_vs_zstd3"] = round(r["collector_cpu_s"] / z, 2) if z else None
r["drain_ms"] = int(sys.argv[3])
print(json.dumps(r, indent=1))
ok = r["collector_cpu_share"] < 0.10 and r["collector_peak_rss_mib"] < 32
print("target (< 10%% of a core, < 32 MiB): %s" % ("met" if ok else "NOT met"))
EOF
