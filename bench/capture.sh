#!/bin/sh
# Capture throughput and stored size against tar + zstd -3 of the same folder.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/capture
size=${SIZE:-1100000000}
runs=${RUNS:-5}
mkdir -p "$dir"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$size" ]; then
	rm -rf "$dir/session"
	python3 "$top/tests/gen/raygen.py" session --out "$dir/session" --nodes 1 \
		--log-bytes "$size" --seed 7 >/dev/null
	echo "$size" > "$dir/gen.ok"
fi
sdir=$(cd "$(ls -d "$dir"/session/*/session_latest | head -n 1)" && pwd -P)
raw=$(du -sb --apparent-size "$sdir" | cut -f1)
# Warm the page cache so both sides read from memory.
find "$sdir" -type f -exec cat {} + >/dev/null
# tar warns about the sockets it leaves out, as rayhist-collect skips them.
tarcmd="tar -I 'zstd -3' -cf $dir/s.tar.zst -C $sdir . 2>/dev/null"
capcmd="rm -rf $dir/store && $bin/rayhist-collect -q --store $dir/store --cluster bench $sdir"
python3 "$top/bench/timeit.py" -n "$runs" -- "$tarcmd" -- "$capcmd" > "$dir/times"
t_tar=$(sed -n 1p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_rh=$(sed -n 2p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
sz_tar=$(stat -c %s "$dir/s.tar.zst")
sz_rh=$(find "$dir/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
python3 - "$raw" "$t_tar" "$t_rh" "$sz_tar" "$sz_rh" <<'PY'
import sys
raw, t_tar, t_rh, sz_tar, sz_rh = int(sys.argv[1]), *map(float, sys.argv[2:4]), int(sys.argv[4]), int(sys.argv[5])
mb = raw / 1e6
print(f"session: {raw} bytes of files")
print(f"tar+zstd -3 : {mb / t_tar:8.1f} MB/s  {sz_tar} bytes stored ({raw / sz_tar:.2f}x)")
print(f"rayhist     : {mb / t_rh:8.1f} MB/s  {sz_rh} bytes stored ({raw / sz_rh:.2f}x)")
print(f"throughput ratio rayhist/tar+zstd: {t_tar / t_rh:.2f} (target >= 1.0)")
print(f"size ratio rayhist/tar+zstd:       {sz_rh / sz_tar:.3f} (target <= 1.15)")
PY
