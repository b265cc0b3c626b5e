#!/bin/sh
# az:// against file://, side by side: rayhist-collect of a generated session
# into a container on Azurite (Microsoft's emulator, on loopback, in memory)
# versus into a folder; reading its largest log back whole (rayhist-ls
# --cat); then listing a store of many sessions (names only, and -l, which
# reads every session's manifest). Azurite's access log counts the requests
# of each step.
#
#   SIZE=BYTES (300000000)  SESSIONS=N (2000)  RUNS=N (3)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/az
size=${SIZE:-300000000}
sessions=${SESSIONS:-2000}
runs=${RUNS:-3}
mkdir -p "$dir"

# ---------------------------------------------------------------- the server
if [ -d "$top/tests/az/node_modules/azurite" ]; then
	NODE_PATH="$top/tests/az/node_modules"
else
	mkdir -p "$dir/node"
	cp "$top/tests/az/package.json" "$top/tests/az/package-lock.json" "$dir/node/"
	(cd "$dir/node" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
	NODE_PATH="$dir/node/node_modules"
fi
export NODE_PATH
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AZ_ACCOUNT=bench
AZ_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
AZURITE_ACCOUNTS="$AZ_ACCOUNT:$AZ_KEY" node "$NODE_PATH/azurite/dist/src/blob/main.js" \
	--blobHost 127.0.0.1 --blobPort "$port" --inMemoryPersistence --disableTelemetry \
	>"$dir/azurite.out" 2>&1 &
azurite=$!
trap 'kill $azurite 2>/dev/null || true' EXIT INT TERM
until grep -q "successfully listen" "$dir/azurite.out"; do
	kill -0 $azurite 2>/dev/null || { cat "$dir/azurite.out"; exit 1; }
	sleep 0.1
done
AZ_BLOB_ENDPOINT="http://127.0.0.1:$port/$AZ_ACCOUNT"
AZURE_STORAGE_CONNECTION_STRING="AccountName=$AZ_ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=$AZ_BLOB_ENDPOINT"
NO_PROXY=127.0.0.1
export AZ_ACCOUNT AZ_KEY AZ_BLOB_ENDPOINT AZURE_STORAGE_CONNECTION_STRING NO_PROXY
sdk() { node "$top/tests/az/sdk.js" "$@"; }
sdk mkcontainer bench
# requests logged since the last mark, all or those matching an ERE
mark() { marked=$(grep -c '^127\.0\.0\.1 - - \[' "$dir/azurite.out" || true); }
since() {
	tail -n +"$((marked + 1))" "$dir/azurite.out" | grep '^127\.0\.0\.1 - - \[' |
		grep -cE "\"${1:-}" || true
}
med() { sed -n "$1p" "$2" | sed 's/.*median_s=\([^ ]*\).*/\1/'; }

# ---------------------------------------------------------------- capture
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$size" ]; then
	rm -rf "$dir/session"
	python3 "$top/tests/gen/raygen.py" session --out "$dir/session" --nodes 1 \
		--log-bytes "$size" --seed 7 >/dev/null
	echo "$size" > "$dir/gen.ok"
fi
sdir=$(cd "$(ls -d "$dir"/session/*/session_latest | head -n 1)" && pwd -P)
raw=$(du -sb --apparent-size "$sdir" | cut -f1)
find "$sdir" -type f -exec cat {} + >/dev/null
filecmd="rm -rf $dir/store && $bin/rayhist-collect -q --store $dir/store --cluster bench $sdir"
azcmd="$bin/rayhist-collect -q --store az://bench/cap-\$(date +%s%N) --cluster bench $sdir"
python3 "$top/bench/timeit.py" -n "$runs" -- "$filecmd" -- "$azcmd" > "$dir/times"
mark
$bin/rayhist-collect -q --store az://bench/counted --cluster bench "$sdir"
c_all=$(since) c_put=$(since 'PUT [^ ?]* ') c_block=$(since 'PUT [^ ]*comp=block&')
c_list=$(since 'PUT [^ ]*comp=blocklist')
objects=$(find "$dir/store" -type f | wc -l)
stored=$(find "$dir/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

# ---------------------------------------------------------------- read
big=$(find "$sdir/logs" -type f -printf '%s %P\n' | sort -n | tail -n 1 | cut -d' ' -f2)
bigsize=$(wc -c < "$sdir/logs/$big")
sess=$(basename "$sdir")
[ -L "$sdir" ] || true
sessname=$($bin/rayhist-ls --store "$dir/store" default/bench | head -n 1)
node=$($bin/rayhist-ls --store "$dir/store" "default/bench/$sessname" | grep -v '/$' | head -n 1 || true)
[ -n "$node" ] || node=$($bin/rayhist-ls --store "$dir/store" "default/bench/$sessname" | head -n 1 | tr -d /)
path="default/bench/$sessname/$node/logs/$big"
$bin/rayhist-ls --store "$dir/store" --cat "$path" | cmp -s - "$sdir/logs/$big" ||
	{ echo "file:// --cat $path differs" >&2; exit 1; }
$bin/rayhist-ls --store az://bench/counted --cat "$path" | cmp -s - "$sdir/logs/$big" ||
	{ echo "az:// --cat $path differs" >&2; exit 1; }
python3 "$top/bench/timeit.py" -n "$runs" -- \
	"$bin/rayhist-ls --store $dir/store --cat $path >/dev/null" -- \
	"$bin/rayhist-ls --store az://bench/counted --cat $path >/dev/null" > "$dir/rtimes"
mark
$bin/rayhist-ls --store az://bench/counted --cat "$path" >/dev/null
r_all=$(since) r_get=$(since 'GET [^ ?]* ')

# ---------------------------------------------------------------- listing
if [ ! -f "$dir/list.ok" ] || [ "$(cat "$dir/list.ok")" != "$sessions" ]; then
	rm -rf "$dir/many"
	python3 - "$dir/many" "$sessions" <<'PY'
import json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    s = "session_2026-%02d-%02d_%02d-%02d-%02d_%06d_%d" % (
        1 + i % 12, 1 + i % 28, i % 24, i % 60, (i // 60) % 60, i, i % 97)
    d = os.path.join(root, "default", "bench", s)
    os.makedirs(d)
    with open(os.path.join(d, "session.json"), "w") as f:
        json.dump({"format": 1, "namespace": "default", "cluster": "bench", "session": s,
                   "start_ms": 1767225600000 + i * 1000, "updated_ms": 1767225600000 + i * 1000 + 5000,
                   "ray_version": "2.49.0"}, f, separators=(",", ":"))
PY
	echo "$sessions" > "$dir/list.ok"
fi
sdk putdir bench many/ "$dir/many" >/dev/null
python3 "$top/bench/timeit.py" -n "$runs" -- \
	"$bin/rayhist-ls --store $dir/many default/bench" -- \
	"$bin/rayhist-ls --store az://bench/many default/bench" -- \
	"$bin/rayhist-ls -l --store $dir/many default/bench" -- \
	"$bin/rayhist-ls -l --store az://bench/many default/bench" > "$dir/ltimes"
[ "$($bin/rayhist-ls --store az://bench/many default/bench | wc -l)" -eq "$sessions" ] ||
	{ echo "az:// lists other than $sessions sessions" >&2; exit 1; }
mark
$bin/rayhist-ls --store az://bench/many default/bench >/dev/null
l1=$(since)
mark
$bin/rayhist-ls -l --store az://bench/many default/bench >/dev/null
l2=$(since)

python3 - "$raw" "$(med 1 "$dir/times")" "$(med 2 "$dir/times")" "$objects" "$stored" \
	"$c_all" "$c_put" "$c_block" "$c_list" "$bigsize" "$(med 1 "$dir/rtimes")" \
	"$(med 2 "$dir/rtimes")" "$r_all" "$r_get" "$sessions" "$(med 1 "$dir/ltimes")" \
	"$(med 2 "$dir/ltimes")" "$(med 3 "$dir/ltimes")" "$(med 4 "$dir/ltimes")" "$l1" "$l2" <<'PY'
import sys
a = sys.argv[1:]
raw = int(a[0]); tf, ta = float(a[1]), float(a[2])
objects, stored, call, cput, cblock, clist = map(int, a[3:9])
bigsize = int(a[9]); rf, ra = float(a[10]), float(a[11]); rall, rget = int(a[12]), int(a[13])
n = int(a[14]); l1f, l1a, l2f, l2a = map(float, a[15:19]); l1, l2 = int(a[19]), int(a[20])
mb = raw / 1e6
print(f"capture of {raw} bytes ({objects} objects, {stored} bytes stored):")
print(f"  file://  {tf:7.2f} s  {mb / tf:7.1f} MB/s")
print(f"  az://    {ta:7.2f} s  {mb / ta:7.1f} MB/s   az:// / file:// time ratio {ta / tf:.2f}")
print(f"  az:// requests: {call} ({cput} Put Blob, {cblock} Put Block, {clist} Put Block List, "
      f"the rest list/get/head), {call / objects:.2f} per object stored")
print(f"read (--cat) of a {bigsize}-byte log:")
print(f"  file://  {rf * 1000:8.1f} ms  {bigsize / 1e6 / rf:7.1f} MB/s")
print(f"  az://    {ra * 1000:8.1f} ms  {bigsize / 1e6 / ra:7.1f} MB/s   ratio {ra / rf:.2f}")
print(f"  az:// requests: {rall} ({rget} Get Blob)")
print(f"listing {n} sessions:")
print(f"  names:      file:// {l1f * 1000:8.1f} ms  az:// {l1a * 1000:8.1f} ms  ratio {l1a / l1f:6.2f}  requests {l1}")
print(f"  -l (reads): file:// {l2f * 1000:8.1f} ms  az:// {l2a * 1000:8.1f} ms  ratio {l2a / l2f:6.2f}  requests {l2}")
PY
