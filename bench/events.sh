#!/bin/sh
# Index build of a session with TASKS task attempts (default 1,000,000, about
# 4 RayEvents each, from tests/gen/raygen.py bigtasks) against `jq -c .`
# reading the same bytes; then opening the stored index and answering the
# first page (100 rows) of tasks filtered by job and state.
# Targets: build >= 5x jq's throughput with peak RSS < 1 GiB; the page in
# < 50 ms with RSS < 64 MiB.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RH_BUILD:-$top/_build}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/events
tasks=${TASKS:-1000000}
runs=${RUNS:-1}
mkdir -p "$dir"
events="$dir/events.jsonl"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$tasks" ]; then
	python3 "$top/tests/gen/raygen.py" bigtasks --out "$events" --tasks "$tasks"
	echo "$tasks" > "$dir/gen.ok"
fi
# the driver uses the public API only; link the library built in $build
cc -O2 -I"$top/include" "$top/bench/index_bench.c" "$build/.libs/librayhist_core.a" \
	$(pkg-config --libs libzstd json-c libcurl libarchive) -lpthread -o "$dir/index_bench"
key=default/bench/session_bench/index/session.idx
python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
	"rm -rf $dir/store && $dir/index_bench build $events $dir/store $key > $dir/build.out" \
	-- "jq -c . $events > /dev/null" > "$dir/times"
"$dir/index_bench" query "$dir/store" "$key" 03000000 FINISHED > /dev/null # warm
for i in 1 2 3 4 5; do
	"$dir/index_bench" query "$dir/store" "$key" 03000000 FINISHED
done > "$dir/query.out"
python3 - "$dir" "$(stat -c %s "$events")" <<'PY'
import re, statistics, sys
d, size = sys.argv[1], int(sys.argv[2])
t = open(d + "/times").read().split("\n")
def kv(line):
    return dict(re.findall(r"(\w+)=([^ ]+)", line))
rh, jq = kv(t[0]), kv(t[1])
b = kv(open(d + "/build.out").read())
q = [kv(l) for l in open(d + "/query.out") if l.strip()]
t_rh, t_jq = float(rh["median_s"]), float(jq["median_s"])
print(f"events: {b['events']} ({b['tasks']} task attempts), {size / 1e6:.0f} MB")
print(f"index build      : {t_rh:8.2f} s  {int(b['events']) / t_rh:10.0f} events/s  "
      f"{size / t_rh / 1e6:6.1f} MB/s  peak RSS {int(rh['peak_rss_kib']) / 1024:.0f} MiB (target < 1024)")
print(f"jq -c .          : {t_jq:8.2f} s  {int(b['events']) / t_jq:10.0f} events/s  "
      f"{size / t_jq / 1e6:6.1f} MB/s")
print(f"build / jq       : {t_jq / t_rh:.1f}x (target >= 5x)")
ms = statistics.median(float(x["open_and_page_ms"]) for x in q)
rss = max(int(x["peak_rss_kib"]) for x in q)
print(f"open + 100 rows (job & state): {ms:.2f} ms (target < 50 ms), RSS {rss / 1024:.1f} MiB "
      f"(target < 64), {q[0]['num_filtered']} matches")
PY
