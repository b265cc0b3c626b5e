#!/bin/sh
# A session shaped like production (tests/gen/rg_prod.py: TASKS task
# attempts, default 100,000, arriving as aggregator batches of ~1,000
# RayEvents each, every attempt with a ~1.9 KB TASK_PROFILE_EVENT, retries
# up to attempt 2), measured in one run against `jq -c '.[]'` over the same
# batch files:
#   import      rayhist-collect --events BATCHES...      target >= 10x jq
#   index build rayhist-ls --tasks --limit 100 (first)   target >= 20x jq, < 1 GiB
#   cold open   rayhist-serve, never-opened session: first full 200 answer
#               of api/v0/tasks?limit=100&detail=1, polling through the 202
#               "preparing" answers                       target < 5 s at 1M
# RUNS (default 1) runs of each; BENCH_DIR keeps the generated batches.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RH_BUILD:-$top/_build}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/coldopen
tasks=${TASKS:-100000}
runs=${RUNS:-1}
batches="$dir/batches"
sess=session_2025-11-12_22-10-31_123456_42
mkdir -p "$dir"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$tasks" ]; then
	rm -rf "$batches"
	python3 "$top/tests/gen/raygen.py" prodevents --out "$batches" --tasks "$tasks"
	echo "$tasks" > "$dir/gen.ok"
fi
collect="$build/bin/rayhist-collect"
ls="$build/bin/rayhist-ls"
serve="$build/bin/rayhist-serve"
python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
	"rm -rf $dir/store && $collect --store $dir/store --cluster prod --session $sess --events $batches/*.json > /dev/null" \
	-- "jq -c '.[]' $batches/*.json > /dev/null" > "$dir/import.times"
# a never-opened copy for the server (objects are immutable: links will do)
rm -rf "$dir/store2" && cp -al "$dir/store" "$dir/store2"
python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
	"rm -rf $dir/store/default/prod/$sess/index && $ls -q --store $dir/store --tasks --limit 100 default/prod/$sess > /dev/null" \
	> "$dir/build.times"
python3 - "$serve" "$dir/store2" "/c/default/prod/$sess/api/v0/tasks?limit=100&detail=1" \
	> "$dir/open.out" <<'PY'
import http.client, re, subprocess, sys, time
serve, store, path = sys.argv[1:4]
p = subprocess.Popen([serve, "--store", store, "--listen", "127.0.0.1:0", "-q"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
try:
    port = int(re.search(r":(\d+)/", p.stdout.readline().decode()).group(1))
    t0, polls = time.perf_counter(), 0
    while True:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        polls += 1
        if r.status == 200:
            break
        if r.status != 202:
            sys.exit("cold open: %d %.200r" % (r.status, body))
        time.sleep(0.05)
    t = time.perf_counter() - t0
    print("open_s=%.3f polls=%d bytes=%d" % (t, polls, len(body)))
finally:
    p.terminate()
    p.wait()
PY
python3 - "$dir" "$batches" <<'PY'
import os, re, sys
d, b = sys.argv[1], sys.argv[2]
def kv(line):
    return dict(re.findall(r"(\w+)=([^ ]+)", line))
imp = [kv(l) for l in open(d + "/import.times") if l.strip()]
bld = kv(open(d + "/build.times").read())
op = kv(open(d + "/open.out").read())
files = [f for f in os.listdir(b) if f.endswith(".json")]
size = sum(os.path.getsize(os.path.join(b, f)) for f in files)
t_imp, t_jq, t_bld = float(imp[0]["median_s"]), float(imp[1]["median_s"]), float(bld["median_s"])
print(f"session: {open(d + '/gen.ok').read().strip()} task attempts, {len(files)} batches, "
      f"{size / 1e6:.0f} MB")
print(f"jq -c '.[]'      : {t_jq:8.2f} s  {size / t_jq / 1e6:6.1f} MB/s")
print(f"import --events  : {t_imp:8.2f} s  {size / t_imp / 1e6:6.1f} MB/s  {t_jq / t_imp:5.2f}x jq "
      f"(target >= 10x)  peak RSS {int(imp[0]['peak_rss_kib']) / 1024:.0f} MiB")
print(f"index build      : {t_bld:8.2f} s  {size / t_bld / 1e6:6.1f} MB/s  {t_jq / t_bld:5.2f}x jq "
      f"(target >= 20x)  peak RSS {int(bld['peak_rss_kib']) / 1024:.0f} MiB (target < 1024)")
print(f"cold open (serve): {float(op['open_s']):8.2f} s  to the first 200 of api/v0/tasks "
      f"({op['polls']} polls, {int(op['bytes']) / 1e3:.0f} KB; target < 5 s at 1M)")
PY
