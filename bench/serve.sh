#!/bin/sh
# rayhist-serve: the time from the first request for a never-opened session
# to its first full answer (indexing included), then wrk against
# /c/.../api/v0/tasks?limit=100&detail=1 and a 1,000-line log tail, next to
# nginx serving the same response bytes as static files. rayhist is run
# twice: as it is started by default (answers of repeated requests kept)
# and with --cache-size 0 (nothing kept: index query, log decompression
# for every answer, except that identical requests in flight at once share
# one computation, as 64 clients opening one page do), so both the polling
# client's cost and a first visit's are on record. A third run sends every
# request with a query parameter of its own (ignored by the API, so the
# bytes are the same), which nothing can share: the cost of computing each
# answer.
#   TASKS=N (default 10000)  LOG=BYTES (default 100M)  DURATION=s (default 10)
#   COLD_RUNS=N (default 3; 0 skips the cold measure)
#   CONNS=N (default 64)  THREADS=N (wrk threads, default 2)
# nginx runs one worker with sendfile on, the way it serves static files in
# production, so the ratio is against the cheapest way to send those bytes.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
tasks=${TASKS:-10000}
logsize=${LOG:-104857600}
dur=${DURATION:-10}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/serve-$tasks
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
session=session_2025-11-12_22-10-31_123456_42
for t in wrk nginx; do
	command -v $t >/dev/null || { echo "bench/serve.sh needs $t (apt-get install $t)" >&2; exit 1; }
done
mkdir -p "$dir"
if [ ! -f "$dir/gen.ok" ]; then
	rm -rf "$dir/$session" "$dir/store"
	mkdir -p "$dir/$session/logs/export_events"
	python3 "$top/tests/gen/raygen.py" bigtasks --format export --tasks "$tasks" \
		--out "$dir/$session/logs/export_events/event_EXPORT_TASK_1.log" >/dev/null
	python3 "$top/tests/gen/raygen.py" biglog --out "$dir/$session/logs/big.log" \
		--bytes "$logsize" >/dev/null
	printf '[2025-11-12 22:10:31,000 I 1 1] (raylet) main.cc:1: Setting node ID node_id=%s\n' \
		"$node" > "$dir/$session/logs/raylet.out"
	"$bin/rayhist-collect" -q --store "$dir/store" --cluster bench --node-id "$node" "$dir/$session"
	touch "$dir/gen.ok"
fi
tq="api/v0/tasks?limit=100&detail=1"
lq="api/v0/logs/file?node_id=$node&filename=big.log&lines=1000&format=text"
# The first answer of a never-opened session, COLD_RUNS times (default 3) on
# a fresh server with the index deleted; the median is reported.
first_answer() {	# -> seconds
	rm -rf "$dir/store/default/bench/$session/index"
	rm -f "$dir/cold.out"	# else the wait below may read the last run's port
	"$bin/rayhist-serve" --store "$dir/store" --listen 127.0.0.1:0 -q >"$dir/cold.out" 2>&1 &
	cpid=$!
	while ! grep -qs http:// "$dir/cold.out"; do sleep 0.05; done
	cport=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/cold.out")
	python3 - "http://127.0.0.1:$cport/c/default/bench/$session/$tq" <<'PY'
import sys, time, urllib.request, urllib.error
t0 = time.time()
while True:
    try:
        r = urllib.request.urlopen(sys.argv[1])
        if r.status == 200:
            r.read()
            break
    except urllib.error.HTTPError:
        pass
    time.sleep(0.01)
print("%.3f" % (time.time() - t0))
PY
	kill $cpid; wait $cpid 2>/dev/null || true
}
colds=""
for i in $(seq "${COLD_RUNS:-3}"); do colds="$colds $(first_answer)"; done
cold=$(echo $colds | tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : "nan"}')
rm -f "$dir/serve.out" "$dir/serve-nc.out"
"$bin/rayhist-serve" --store "$dir/store" --listen 127.0.0.1:0 -q >"$dir/serve.out" 2>&1 &
spid=$!
"$bin/rayhist-serve" --store "$dir/store" --listen 127.0.0.1:0 -q --cache-size 0 \
	>"$dir/serve-nc.out" 2>&1 &
spid2=$!
trap 'kill $spid $spid2 2>/dev/null; [ -n "${npid:-}" ] && kill $npid 2>/dev/null; true' EXIT
while ! grep -qs http:// "$dir/serve.out" || ! grep -qs http:// "$dir/serve-nc.out"; do sleep 0.05; done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/serve.out")
port2=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/serve-nc.out")
base="http://127.0.0.1:$port/c/default/bench/$session"
base2="http://127.0.0.1:$port2/c/default/bench/$session"
# Both servers open the index the last cold run built.
for b in "$base" "$base2"; do
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$b/$tq")" = 200 ]; do sleep 0.05; done
done
mkdir -p "$dir/www"
curl -s "$base/$tq" > "$dir/www/tasks.json"
curl -s "$base/$lq" > "$dir/www/tail.txt"
curl -s "$base2/$tq" | cmp -s - "$dir/www/tasks.json" || { echo "the two servers' tasks differ" >&2; exit 1; }
curl -s "$base2/$lq" | cmp -s - "$dir/www/tail.txt" || { echo "the two servers' tails differ" >&2; exit 1; }
nport=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
cat > "$dir/nginx.conf" <<NGX
daemon off; master_process off; worker_processes 1; pid $dir/nginx.pid;
error_log $dir/nginx.err; events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; server { listen 127.0.0.1:$nport; root $dir/www;
       location / { default_type application/json; } } }
NGX
nginx -c "$dir/nginx.conf" -p "$dir" &
npid=$!
sleep 0.5
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# bench URL PID -> "req/s p99_ms cpu_us_per_request": the server's own CPU
# time (user + system, all its threads) per answer, which other load on a
# shared machine changes much less than the rate.
bench() {
	c0=$(cputicks "$2")
	wrk -t"${THREADS:-2}" -c"${CONNS:-64}" -d"${dur}s" --latency \
		${WRK_SCRIPT:+-s "$WRK_SCRIPT"} "$1" > "$dir/wrk.out"
	c1=$(cputicks "$2")
	awk -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '
		/requests in/ {n=$1}
		/Requests\/sec/ {rps=$2}
		/^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
		END {print rps, p99, (n ? ticks / hz * 1e6 / n : 0)}' "$dir/wrk.out"
}
set -- $(bench "$base/$tq" $spid); rt=$1; rp=$2; rtc=$3
set -- $(bench "http://127.0.0.1:$nport/tasks.json" $npid); nt=$1; np=$2; ntc=$3
set -- $(bench "$base2/$tq" $spid2); ut=$1; up=$2; utc=$3
# Every request a different target (wrk -s): nothing kept, nothing shared.
cat > "$dir/distinct.lua" <<'LUA'
n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&_=" .. n .. "-" .. math.random(1, 1000000000))
end
LUA
curl -s "$base2/$tq&_=x" | cmp -s - "$dir/www/tasks.json" || { echo "an extra query parameter changes the answer" >&2; exit 1; }
WRK_SCRIPT="$dir/distinct.lua"
set -- $(bench "$base2/$tq" $spid2); dt=$1; dp=$2; dtc=$3
set -- $(bench "$base2/$lq" $spid2); dl=$1; dlp=$2; dlc=$3
WRK_SCRIPT=
set -- $(bench "$base/$lq" $spid); rl=$1; rlp=$2; rlc=$3
set -- $(bench "http://127.0.0.1:$nport/tail.txt" $npid); nl=$1; nlp=$2; nlc=$3
set -- $(bench "$base2/$lq" $spid2); ul=$1; ulp=$2; ulc=$3
python3 - "$tasks" "$cold" "${COLD_RUNS:-3}" "$colds" "${THREADS:-2}" "${CONNS:-64}" \
	"$rt" "$rp" "$rtc" "$nt" "$np" "$ntc" "$ut" "$up" "$utc" \
	"$rl" "$rlp" "$rlc" "$nl" "$nlp" "$nlc" "$ul" "$ulp" "$ulc" \
	"$dt" "$dp" "$dtc" "$dl" "$dlp" "$dlc" <<'PY'
import sys
a = sys.argv[1:]
n, cold, cruns, colds, wt, wc = a[:6]
(rt, rp, rtc, nt, np_, ntc, ut, up, utc,
 rl, rlp, rlc, nl, nlp, nlc, ul, ulp, ulc,
 dt, dp, dtc, dl, dlp, dlc) = map(float, a[6:])
if cruns != "0":
    print(f"first request, cold (index built): {float(cold):8.3f} s (median of {cruns}: {colds})")
print(f"session: {n} tasks; wrk -t{wt} -c{wc}; nginx: 1 worker, sendfile on")
print("targets: kept >= 0.8x; tasks uncached >= 0.3x, p99 < 20 ms; tail uncached >= 0.5x")
print("(cpu: the server's CPU time per answer; cpu ratio: nginx's over rayhist's)")
def row(name, r, p, c, n, q, nc):
    print(f"{name:32s} {r:6.0f} req/s p99 {p:6.2f} ms cpu {c:4.0f} us | "
          f"nginx {n:6.0f} req/s p99 {q:6.2f} ms cpu {nc:4.0f} us | "
          f"ratio {r / n:.2f}x, cpu {nc / c if c else 0:.2f}x")
row("tasks?limit=100&detail=1 (kept)", rt, rp, rtc, nt, np_, ntc)
row("  the same, --cache-size 0", ut, up, utc, nt, np_, ntc)
row("  --cache-size 0, all distinct", dt, dp, dtc, nt, np_, ntc)
row("1000-line log tail (kept)", rl, rlp, rlc, nl, nlp, nlc)
row("  the same, --cache-size 0", ul, ulp, ulc, nl, nlp, nlc)
row("  --cache-size 0, all distinct", dl, dlp, dlc, nl, nlp, nlc)
PY
