#!/bin/sh
# Capture throughput and stored size against tar + zstd -3 (all cores) of
# the same folder, measured in turns in the same run; medians of RUNS.
#
# SHAPE=node (default): one node shaped like production (tests/gen/rg_node.py:
#   raylet.out rotated 6 times, hundreds of small worker logs, a few big
#   ones, odd names), SIZE bytes in all (default 300 MB).
# SHAPE=session: the session generator's node, SIZE bytes of logs spread
#   evenly over a few dozen files (default 1.1 GB).
# COLD=1: drop the page cache before every run of either side (needs root:
#   echo 3 > /proc/sys/vm/drop_caches); otherwise both read a warm cache.
# Both sides write to the same file system. rayhist's capture is durable
# (its parts and manifests are synced before it returns); tar's output is
# not synced, as tar does not.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/capture
shape=${SHAPE:-node}
runs=${RUNS:-5}
cold=${COLD:-0}
case $shape in
node) size=${SIZE:-300000000} ;;
session) size=${SIZE:-1100000000} ;;
*) echo "capture.sh: SHAPE is node or session" >&2; exit 2 ;;
esac
mkdir -p "$dir"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$shape $size" ]; then
	rm -rf "$dir/session"
	if [ "$shape" = node ]; then
		python3 "$top/tests/gen/raygen.py" prodnode --out "$dir/session" \
			--bytes "$size" --seed 7 >/dev/null
	else
		python3 "$top/tests/gen/raygen.py" session --out "$dir/session" \
			--nodes 1 --log-bytes "$size" --seed 7 >/dev/null
	fi
	echo "$shape $size" > "$dir/gen.ok"
fi
sdir=$(cd "$(ls -d "$dir"/session/*/session_latest | head -n 1)" && pwd -P)
raw=$(du -sb --apparent-size "$sdir" | cut -f1)
files=$(find "$sdir" -type f | wc -l)
if [ "$cold" = 1 ]; then
	# No sync(1) here: it would charge one side for the other's unsynced
	# output; the source files are clean pages, dropped without it.
	drop="echo 3 > /proc/sys/vm/drop_caches && "
else
	drop=""
	# Warm the page cache so both sides read from memory.
	find "$sdir" -type f -exec cat {} + >/dev/null
fi
# tar warns about the sockets it leaves out, as rayhist-collect skips them.
tarcmd="${drop}tar -I 'zstd -3 -T0' -cf $dir/s.tar.zst -C $sdir . 2>/dev/null"
# The binary itself, not libtool's wrapper script (a shell and a few sed
# runs per call) when run from the build tree.
collect=$bin/rayhist-collect
if [ -x "$bin/.libs/rayhist-collect" ]; then
	collect="env LD_LIBRARY_PATH=$(cd "$bin/.." && pwd)/.libs $bin/.libs/rayhist-collect"
fi
# The last run's store is moved aside, not deleted, inside the timed
# command: deleting ~900 files is not capture's work (tar's side replaces
# one file), and on a busy disk it took seconds.
rm -rf "$dir/store" "$dir/trash"
mkdir -p "$dir/trash"
capcmd="mv $dir/store $dir/trash/\$(date +%s%N) 2>/dev/null; ${drop}$collect -q --store $dir/store --cluster bench $sdir"
python3 "$top/bench/timeit.py" -n "$runs" --cpu -- "$tarcmd" -- "$capcmd" > "$dir/times"
rm -rf "$dir/trash"
t_tar=$(sed -n 1p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
t_rh=$(sed -n 2p "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/')
# CPU time (user + system, children included): steadier than the wall
# time on a shared machine, where the scheduler's share decides the rest.
c_tar=$(sed -n 1p "$dir/times" | sed 's/.*cpu_s=\([^ ]*\).*/\1/')
c_rh=$(sed -n 2p "$dir/times" | sed 's/.*cpu_s=\([^ ]*\).*/\1/')
sz_tar=$(stat -c %s "$dir/s.tar.zst")
sz_rh=$(find "$dir/store" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
python3 - "$raw" "$t_tar" "$t_rh" "$sz_tar" "$sz_rh" "$files" "$shape" "$cold" "$runs" "$c_tar" "$c_rh" <<'PY'
import sys
raw, t_tar, t_rh, sz_tar, sz_rh = int(sys.argv[1]), *map(float, sys.argv[2:4]), int(sys.argv[4]), int(sys.argv[5])
files, shape, cold, runs = sys.argv[6:10]
c_tar, c_rh = map(float, sys.argv[10:12])
mb = raw / 1e6
print(f"{shape}: {raw} bytes in {files} files; page cache {'cold' if cold == '1' else 'warm'}; median of {runs} runs")
print(f"tar+zstd -3 -T0: {t_tar:6.2f} s {mb / t_tar:8.1f} MB/s  {sz_tar} bytes stored ({raw / sz_tar:.2f}x)")
print(f"rayhist-collect: {t_rh:6.2f} s {mb / t_rh:8.1f} MB/s  {sz_rh} bytes stored ({raw / sz_rh:.2f}x)")
print(f"throughput ratio rayhist/tar+zstd: {t_tar / t_rh:.2f} (target >= 1.0)")
print(f"size ratio rayhist/tar+zstd:       {sz_rh / sz_tar:.3f} (target <= 1.15)")
print(f"CPU (user+sys): tar+zstd {c_tar:.2f} s ({c_tar * 1000 / mb:.2f} ms/MB), "
      f"rayhist {c_rh:.2f} s ({c_rh * 1000 / mb:.2f} ms/MB); ratio {c_tar / c_rh:.2f}")
PY
