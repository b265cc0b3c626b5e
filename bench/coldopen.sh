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
# Cold open is measured twice in the same run, on two copies of the
# imported store whose head node is then captured with --ended (a minimal
# session folder of the same name: the head's collector marking the end):
#   server-built     --ended --no-index: the server builds the index
#   collector-built  --ended: rayhist-collect builds it (collect_index.c)
# with the server's index-build counter read after the first 200, and the
# head capture timed with and without the build (the collector's extra
# time, against the --events import that stored the events).
# RUNS (default 1) runs of each; BENCH_DIR keeps the generated batches;
# QUICK=1 skips jq and the rayhist-ls build (minutes at 1M tasks): only the
# import, the head captures and the two cold opens are measured.
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
quick=${QUICK:-0}
jq="jq -c '.[]' $batches/*.json > /dev/null"
[ "$quick" = 0 ] || jq=true
python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
	"rm -rf $dir/store && $collect --store $dir/store --cluster prod --session $sess --events $batches/*.json > /dev/null" \
	-- "$jq" > "$dir/import.times"
if [ "$quick" = 0 ]; then
	python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
		"rm -rf $dir/store/default/prod/$sess/index && $ls -q --store $dir/store --tasks --limit 100 default/prod/$sess > /dev/null" \
		> "$dir/build.times"
else
	rm -f "$dir/build.times"
fi
# The head's last capture: a session folder of the same name whose raylet
# names the node (its other files do not matter here).
head="$dir/head/$sess"
mkdir -p "$head/logs"
printf '[2025-11-12 22:10:31,123 I 42 42] (raylet) main.cc:595: Setting node ID node_id=%s\n' \
	0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee > "$head/logs/raylet.out"
printf 'gcs\n' > "$head/logs/gcs_server.out"
# never-opened copies (objects are immutable: links will do)
for c in srv col; do
	rm -rf "$dir/store_$c" && cp -al "$dir/store" "$dir/store_$c"
	rm -rf "$dir/store_$c/default/prod/$sess/index"
done
python3 "$top/bench/timeit.py" -n "$runs" --peak-rss -- \
	"$collect -q --store $dir/store_srv --cluster prod --ended --no-index $head" \
	-- "$collect --store $dir/store_col --cluster prod --ended $head > $dir/head.out 2>/dev/null" \
	> "$dir/head.times"
# the collector's own account of the build (the last run's)
grep ': index ' "$dir/head.out" > "$dir/head.index" || true
for c in srv col; do
python3 - "$serve" "$dir/store_$c" "/c/default/prod/$sess/api/v0/tasks?limit=100&detail=1" \
	> "$dir/open_$c.out" <<'PY'
import http.client, re, subprocess, sys, time
serve, store, path = sys.argv[1:4]
p = subprocess.Popen([serve, "--store", store, "--listen", "127.0.0.1:0", "-q"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def get(port, target):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("GET", target)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body
try:
    port = int(re.search(r":(\d+)/", p.stdout.readline().decode()).group(1))
    t0, polls = time.perf_counter(), 0
    while True:
        status, body = get(port, path)
        polls += 1
        if status == 200:
            break
        if status != 202:
            sys.exit("cold open: %d %.200r" % (status, body))
        time.sleep(0.05)
    t = time.perf_counter() - t0
    _, m = get(port, "/metrics")
    builds = re.search(rb"^rayhist_session_index_builds_total ([0-9.e+]+)$", m, re.M)
    parsed = re.search(rb"^rayhist_index_event_bytes_total ([0-9.e+]+)$", m, re.M)
    print("open_s=%.3f polls=%d bytes=%d builds=%d parsed=%d" % (
        t, polls, len(body), float(builds.group(1)), float(parsed.group(1))))
finally:
    p.terminate()
    p.wait()
PY
done
python3 - "$dir" "$batches" <<'PY'
import os, re, sys
d, b = sys.argv[1], sys.argv[2]
def kv(line):
    return dict(re.findall(r"(\w+)=([^ ]+)", line))
imp = [kv(l) for l in open(d + "/import.times") if l.strip()]
quick = not os.path.exists(d + "/build.times")
bld = {} if quick else kv(open(d + "/build.times").read())
hd = [kv(l) for l in open(d + "/head.times") if l.strip()]
srv = kv(open(d + "/open_srv.out").read())
col = kv(open(d + "/open_col.out").read())
files = [f for f in os.listdir(b) if f.endswith(".json")]
size = sum(os.path.getsize(os.path.join(b, f)) for f in files)
t_imp = float(imp[0]["median_s"])
t_hn, t_hi = float(hd[0]["median_s"]), float(hd[1]["median_s"])
o_srv, o_col = float(srv["open_s"]), float(col["open_s"])
print(f"session: {open(d + '/gen.ok').read().strip()} task attempts, {len(files)} batches, "
      f"{size / 1e6:.0f} MB")
if quick:
    print(f"import --events  : {t_imp:8.2f} s  {size / t_imp / 1e6:6.1f} MB/s  (QUICK: no jq, no build)")
else:
    t_jq, t_bld = float(imp[1]["median_s"]), float(bld["median_s"])
    print(f"jq -c '.[]'      : {t_jq:8.2f} s  {size / t_jq / 1e6:6.1f} MB/s")
    print(f"import --events  : {t_imp:8.2f} s  {size / t_imp / 1e6:6.1f} MB/s  {t_jq / t_imp:5.2f}x jq "
          f"(target >= 10x)  peak RSS {int(imp[0]['peak_rss_kib']) / 1024:.0f} MiB")
    print(f"index build      : {t_bld:8.2f} s  {size / t_bld / 1e6:6.1f} MB/s  {t_jq / t_bld:5.2f}x jq "
          f"(target >= 20x)  peak RSS {int(bld['peak_rss_kib']) / 1024:.0f} MiB (target < 1024)")
print(f"head --ended     : {t_hn:8.2f} s --no-index, {t_hi:.2f} s with the index: the build adds "
      f"{t_hi - t_hn:.2f} s to a capture of {t_imp + t_hn:.2f} s (import + head), "
      f"{(t_hi - t_hn) / (t_imp + t_hn) * 100:.0f}%; peak RSS "
      f"{int(hd[1]['peak_rss_kib']) / 1024:.0f} MiB")
try:
    print(f"  collector said : {open(d + '/head.index').read().strip()}")
except OSError:
    pass
print(f"cold open (serve): {o_srv:8.2f} s  server-built index: first 200 of api/v0/tasks "
      f"({srv['polls']} polls, {int(srv['bytes']) / 1e3:.0f} KB, {srv['builds']} builds, "
      f"{int(srv['parsed']) / 1e6:.0f} MB parsed)")
print(f"cold open (serve): {o_col:8.2f} s  collector-built index ({col['polls']} polls, "
      f"{col['builds']} builds, {int(col['parsed']) / 1e6:.0f} MB parsed): "
      f"{o_srv / o_col:.0f}x faster (target < 5 s at 1M)")
PY
