#!/bin/sh
# s3:// against file://, side by side: rayhist-collect of a generated session
# with ~1 GiB of logs into a bucket on a loopback S3 server versus into a
# folder; then listing a store of 10,000 sessions (names only, and with -l,
# which reads every session's manifest); and reading every captured file
# back (rayhist-ls --cat). The S3 server is Ceph's RADOS Gateway on loopback
# (tests/s3/rgw.sh) behind tests/s3/harness.js, which counts requests and
# connections; the counts are printed with the times, per operation.
#
# As a yardstick for the server's own speed, the same listing is also done
# by the official AWS SDK for JavaScript against the same server.
#
#   SIZE=BYTES (1100000000)  SESSIONS=N (10000)  RUNS=N (3)
#   ONLY=capture|list        capture and read back, or the listing
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/s3
size=${SIZE:-1100000000}
sessions=${SESSIONS:-10000}
runs=${RUNS:-3}
mkdir -p "$dir"

# ---------------------------------------------------------------- the server
. "$top/bench/lib/rgw.sh"
rgw_start
stats() { curl -sf "$control/stats"; }
stat() { v=$(echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"); echo "${v:-0}"; }
reset() { curl -sf -X POST "$control/reset"; }

# ---------------------------------------------------------------- capture
only=${ONLY:-}
if [ "$only" != list ]; then
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
# a fresh prefix per run, so that every run ships everything
s3cmd="$bin/rayhist-collect -q --store s3://bench/cap-\$(date +%s%N) --cluster bench $sdir"
python3 "$top/bench/timeit.py" -n "$runs" -- "$filecmd" -- "$s3cmd" > "$dir/times"
t_file=$(sed -n 1p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_s3=$(sed -n 2p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
reset
$bin/rayhist-collect -q --store s3://bench/counted --cluster bench "$sdir"
cap=$(stats)
objects=$(find "$dir/store" -type f | wc -l)
stored=$(find "$dir/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
python3 - "$raw" "$t_file" "$t_s3" "$objects" "$stored" \
	"$(stat "$cap" requests)" "$(stat "$cap" connections)" "$(stat "$cap" upload_part)" \
	"$(stat "$cap" put)" "$(stat "$cap" bytes_in)" <<'PY'
import sys
a = sys.argv[1:]
raw, t_file, t_s3 = int(a[0]), float(a[1]), float(a[2])
objects, stored, req, conn, parts, puts, bytes_in = map(int, a[3:10])
mb = raw / 1e6
print(f"capture of {raw} bytes ({objects} objects, {stored} bytes stored):")
print(f"  file://  {t_file:7.2f} s  {mb / t_file:7.1f} MB/s")
print(f"  s3://    {t_s3:7.2f} s  {mb / t_s3:7.1f} MB/s")
print(f"  s3:// / file:// time ratio: {t_s3 / t_file:.2f}")
print(f"  s3:// requests: {req} ({puts} PUT, {parts} UploadPart, the rest list/get/head/multipart), "
      f"{conn} connections, {bytes_in} bytes sent")
print(f"  s3:// requests per stored object: {req / objects:.2f}")
PY

# read back: every captured file, one rayhist-ls --cat each
session=$(basename "$sdir")
node=$($bin/rayhist-ls --store "$dir/store" "default/bench/$session" | head -n 1)
(cd "$sdir" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort) > "$dir/files"
nfiles=$(wc -l < "$dir/files")
printf '%s\n' "while read -r f; do $bin/rayhist-ls --store \"\$1\" --cat \"default/bench/$session/$node/\$f\"; done < $dir/files | wc -c" > "$dir/read.sh"
python3 "$top/bench/timeit.py" -n "$runs" -- "sh $dir/read.sh $dir/store >/dev/null" -- \
	"sh $dir/read.sh s3://bench/counted >/dev/null" > "$dir/rtimes"
r_file=$(sed -n 1p "$dir/rtimes" | sed 's/.*median_s=\([^ ]*\).*/\1/')
r_s3=$(sed -n 2p "$dir/rtimes" | sed 's/.*median_s=\([^ ]*\).*/\1/')
reset
got=$(sh "$dir/read.sh" s3://bench/counted)
rd=$(stats)
[ "$got" -eq "$(sh "$dir/read.sh" "$dir/store")" ] || { echo "s3:// reads other bytes than file://" >&2; exit 1; }
python3 - "$got" "$nfiles" "$r_file" "$r_s3" "$(stat "$rd" requests)" "$(stat "$rd" connections)" \
	"$(stat "$rd" get)" "$(stat "$rd" bytes_out)" <<'PY'
import sys
a = sys.argv[1:]
raw, nfiles = int(a[0]), int(a[1])
t_file, t_s3 = float(a[2]), float(a[3])
req, conn, gets, bytes_out = map(int, a[4:8])
mb = raw / 1e6
print(f"read back of {raw} bytes in {nfiles} files (one rayhist-ls --cat each):")
print(f"  file://  {t_file:7.2f} s  {mb / t_file:7.1f} MB/s")
print(f"  s3://    {t_s3:7.2f} s  {mb / t_s3:7.1f} MB/s")
print(f"  s3:// / file:// time ratio: {t_s3 / t_file:.2f}")
print(f"  s3:// requests: {req} ({gets} GET), {conn} connections, {bytes_out} bytes received; "
      f"{req / nfiles:.2f} requests per file read ({t_s3 / req * 1000:.1f} ms per request)")
PY
fi
[ "$only" = capture ] && exit 0

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
reset
node "$top/tests/s3/sdk.js" putdir bench many/ "$dir/many" >/dev/null
put=$(stats)
python3 "$top/bench/timeit.py" -n "$runs" -- \
	"$bin/rayhist-ls --store $dir/many default/bench" -- \
	"$bin/rayhist-ls --store s3://bench/many default/bench" -- \
	"$bin/rayhist-ls -l --store $dir/many default/bench" -- \
	"$bin/rayhist-ls -l --store s3://bench/many default/bench" -- \
	"node $top/tests/s3/sdk.js list bench many/default/bench/ /" > "$dir/ltimes"
[ "$($bin/rayhist-ls --store s3://bench/many default/bench | wc -l)" -eq "$sessions" ] ||
	{ echo "s3:// lists other than $sessions sessions" >&2; exit 1; }
reset
$bin/rayhist-ls --store s3://bench/many default/bench >/dev/null
ls1=$(stats)
reset
$bin/rayhist-ls -l --store s3://bench/many default/bench >/dev/null
ls2=$(stats)

lt() { sed -n "$1p" "$dir/ltimes" | sed 's/.*median_s=\([^ ]*\).*/\1/'; }
python3 - "$sessions" "$(lt 1)" "$(lt 2)" "$(lt 3)" "$(lt 4)" "$(lt 5)" \
	"$(stat "$ls1" requests)" "$(stat "$ls1" connections)" \
	"$(stat "$ls2" requests)" "$(stat "$ls2" connections)" "$(stat "$put" requests)" <<'PY'
import sys
a = sys.argv[1:]
n, l1f, l1s, l2f, l2s, sdk = int(a[0]), *map(float, a[1:6])
r1, c1, r2, c2, fill = map(int, a[6:11])
print(f"listing {n} sessions (store filled with {fill} PUTs by the AWS SDK):")
print(f"  names:      file:// {l1f * 1000:8.1f} ms  s3:// {l1s * 1000:8.1f} ms  ratio {l1s / l1f:6.2f}  "
      f"s3 requests {r1}, connections {c1}")
print(f"              AWS SDK for JavaScript, same listing of the same bucket: {sdk * 1000:8.1f} ms "
      f"(rayhist / SDK {l1s / sdk:.2f})")
print(f"  -l (reads): file:// {l2f * 1000:8.1f} ms  s3:// {l2s * 1000:8.1f} ms  ratio {l2s / l2f:6.2f}  "
      f"s3 requests {r2}, connections {c2} ({l2s / r2 * 1000:.2f} ms per request)")
PY
