#!/bin/sh
# rayhist-ls --grep of a rare string over >= 2 GiB of stored logs (8 files
# of SIZE/8 bytes on one node), against zstdcat of the same stored blobs
# piped to grep -c. Both find the same count; timed in turns, warm cache.
# Capture writes a search filter per 4 MiB frame (lib/seekable_filter.h):
# the rare string's frames are the only ones decompressed. The filters'
# share of the store is printed; their capture CPU is bench/search_filter.c's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/search
size=${SIZE:-2147483648}
runs=${RUNS:-5}
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
session=session_2025-11-12_22-10-31_123456_42
rare=RAREWORD_ISSUE14
mkdir -p "$dir"
# a store captured before search filters is made again
tag="$size filters-1"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$tag" ]; then
	rm -rf "$dir/$session" "$dir/store"
	mkdir -p "$dir/$session/logs"
	for i in 1 2 3 4 5 6 7 8; do
		f="$dir/$session/logs/worker-$i.out"
		python3 "$top/tests/gen/raygen.py" biglog --out "$f" --bytes $((size / 8)) --seed "$i" >/dev/null
	done
	# three rare lines: in the middle of one file, at the end of another
	python3 - "$dir/$session/logs" "$rare" <<'PY'
import os, sys
d, rare = sys.argv[1], sys.argv[2].encode()
p = os.path.join(d, "worker-3.out")
data = open(p, "rb").read()
mid = data.index(b"\n", len(data) // 2) + 1
open(p, "wb").write(data[:mid] + b"error: " + rare + b" in the middle\n" + data[mid:])
with open(os.path.join(d, "worker-8.out"), "ab") as f:
    f.write(b"again " + rare + b"\n" + rare + b" at the end\n")
PY
	"$bin/rayhist-collect" -q --store "$dir/store" --cluster bench --node-id "$node" "$dir/$session"
	echo "$tag" > "$dir/gen.ok"
fi
S="default/bench/$session"
blobs=$(find "$dir/store" -type f -path "*$node*" -path '*worker-*' | sort | tr '\n' ' ')
raw=$(du -cb "$dir/$session/logs" | tail -1 | cut -f1)
stored=$(du -cb $blobs | tail -1 | cut -f1)
# The search filters' share of the stored bytes: the skippable frame of
# magic 0x184D2A5B listed last in each blob's seek table with a raw size of
# 0 (lib/seekable_filter.h).
filters=$(python3 - $blobs <<'PY'
import struct, sys
total = 0
for p in sys.argv[1:]:
    d = open(p, "rb").read()
    n, desc = struct.unpack("<IB", d[-9:-4])
    es = 12 if desc & 0x80 else 8
    last = d[-9 - es:-9]
    csize, dsize = struct.unpack("<II", last[:8])
    start = len(d) - 17 - n * es - csize
    if n and dsize == 0 and d[start:start + 4] == struct.pack("<I", 0x184D2A5B):
        total += csize
print(total)
PY
)
a=$("$bin/rayhist-ls" --store "$dir/store" --grep "$rare" -F "$S" | wc -l)
b=$(zstdcat $blobs | grep -c -F "$rare")
[ "$a" = "$b" ] && [ "$a" = 3 ] || { echo "counts differ: $a vs $b" >&2; exit 1; }
python3 "$top/bench/timeit.py" -n "$runs" -- \
	"$bin/rayhist-ls --store $dir/store --grep $rare -F $S" -- \
	"zstdcat $blobs | LC_ALL=C grep -F $rare" -- \
	"$bin/rayhist-ls --store $dir/store --grep 'RAREWORD_[A-Z]+14' -E $S" > "$dir/times"
# The machines are shared: CPU seconds (user + system, children included)
# say what each costs whatever the load; wall time says what a user waits.
python3 - "$runs" "$bin/rayhist-ls --store $dir/store --grep $rare -F $S" \
	"zstdcat $blobs | LC_ALL=C grep -F $rare" \
	"$bin/rayhist-ls --store $dir/store --grep 'RAREWORD_[A-Z]+14' -E $S" > "$dir/cpu" <<'PY'
import os, statistics, subprocess, sys
runs, cmds = int(sys.argv[1]), sys.argv[2:]
cpu = [[] for _ in cmds]
for _ in range(runs):
    for i, c in enumerate(cmds):
        before = os.times()
        subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, check=True)
        after = os.times()
        cpu[i].append(after.children_user - before.children_user +
                      after.children_system - before.children_system)
print(" ".join("%.3f" % statistics.median(x) for x in cpu))
PY
t_rh=$(sed -n 1p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_z=$(sed -n 2p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_re=$(sed -n 3p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
python3 - "$t_rh" "$t_z" "$t_re" "$raw" "$stored" "$(nproc)" $(cat "$dir/cpu") "$filters" <<'PY'
import os, sys
t_rh, t_z, t_re = map(float, sys.argv[1:4])
raw, stored, cpus = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c_rh, c_z, c_re = float(sys.argv[7]), float(sys.argv[8]), float(sys.argv[9])
filters = int(sys.argv[10])
print(f"logs: {raw / 2**30:.2f} GiB raw, {stored / 2**20:.0f} MiB stored, {cpus} CPUs")
print(f"search filters: {filters / 2**20:.1f} MiB of the stored bytes "
      f"(+{100 * filters / max(stored - filters, 1):.2f}% over the blobs without them)")
print(f"rayhist-ls --grep RARE -F     : {t_rh:7.3f} s  ({raw / t_rh / 2**30:.2f} GiB/s; target < 1 s)")
print(f"zstdcat | grep -F RARE        : {t_z:7.3f} s  ({raw / t_z / 2**30:.2f} GiB/s)")
print(f"rayhist-ls --grep -E regex    : {t_re:7.3f} s")
print(f"speed-up: {t_z / t_rh:.1f}x (target >= 10x)")
print(f"CPU seconds: rayhist-ls {c_rh:.2f}, zstdcat | grep {c_z:.2f} ({c_z / c_rh:.1f}x less); "
      f"load average {os.getloadavg()[0]:.1f}")
print(f"CPU seconds of the -E regex: {c_re:.2f} ({c_re / c_rh:.2f} of -F: its literal is searched first)")
PY
