#!/bin/sh
# The last 1,000 lines of a stored 1 GiB log, against zstdcat | tail.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/tail
size=${SIZE:-1073741824}
runs=${RUNS:-5}
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
session=session_2025-11-12_22-10-31_123456_42
mkdir -p "$dir"
log="$dir/$session/logs/big.log"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$size" ]; then
	rm -rf "$dir/$session" "$dir/store"
	mkdir -p "$dir/$session/logs"
	python3 "$top/tests/gen/raygen.py" biglog --out "$log" --bytes "$size"
	zstd -q -3 -f "$log" -o "$dir/big.log.zst"
	"$bin/rayhist-collect" -q --store "$dir/store" --cluster bench --node-id "$node" "$dir/$session"
	echo "$size" > "$dir/gen.ok"
fi
path="default/bench/$session/$node/logs/big.log"
a=$("$bin/rayhist-ls" --store "$dir/store" --tail 1000 "$path" | sha256sum)
b=$(zstdcat "$dir/big.log.zst" | tail -n 1000 | sha256sum)
[ "$a" = "$b" ] || { echo "outputs differ" >&2; exit 1; }
python3 "$top/bench/timeit.py" -n "$runs" -- "$bin/rayhist-ls --store $dir/store --tail 1000 $path" \
	-- "zstdcat $dir/big.log.zst | tail -n 1000" > "$dir/times"
t_rh=$(sed -n 1p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_z=$(sed -n 2p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
python3 - "$t_rh" "$t_z" "$size" <<'PY'
import sys
t_rh, t_z, size = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"log: {size} bytes")
print(f"rayhist-ls --tail 1000      : {t_rh * 1000:8.2f} ms (target < 20 ms)")
print(f"zstdcat | tail -n 1000      : {t_z * 1000:8.2f} ms")
print(f"speed-up: {t_z / t_rh:.0f}x (target >= 100x)")
PY
