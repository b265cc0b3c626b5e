#!/bin/sh
# Import (rayhist-collect --archive) and export (rayhist-ls --export) of a
# generated session against tar + zstd -3 on the same data, in one run:
#   import: a .tar.zst of the session folder into a store, vs
#           zstd -d | tar -x of the same archive (unpacking alone) and
#           unpacking followed by a capture of the folder;
#   export: the stored session as .tar.zst, vs tar -I 'zstd -3' -c of the
#           original folder.
# Then one import more, for its CPU time, peak RSS and the bytes it held in
# temporary files past --max-memory (MAX_MEMORY; entries up to it are held in
# memfds, which RSS does not count).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${RH_BIN:-$top/_build/bin}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/archive
size=${SIZE:-1100000000}
runs=${RUNS:-3}
mkdir -p "$dir"
if [ ! -f "$dir/gen.ok" ] || [ "$(cat "$dir/gen.ok")" != "$size" ]; then
	rm -rf "$dir/session"
	python3 "$top/tests/gen/raygen.py" session --out "$dir/session" --nodes 1 \
		--log-bytes "$size" --seed 7 >/dev/null
	echo "$size" > "$dir/gen.ok"
fi
sdir=$(cd "$(ls -d "$dir"/session/*/session_latest | head -n 1)" && pwd -P)
raw=$(du -sb --apparent-size "$sdir" | cut -f1)
find "$sdir" -type f -exec cat {} + >/dev/null
tar -I 'zstd -3' -cf "$dir/in.tar.zst" -C "$(dirname "$sdir")" "$(basename "$sdir")" 2>/dev/null || true
rm -rf "$dir/store0" && "$bin/rayhist-collect" -q --store "$dir/store0" --cluster bench "$sdir" 2>/dev/null
S=$(basename "$sdir")
untar="rm -rf $dir/x && mkdir $dir/x && tar -I zstd -xf $dir/in.tar.zst -C $dir/x"
import="rm -rf $dir/store && $bin/rayhist-collect -q --store $dir/store --cluster bench --staging-dir $dir --archive $dir/in.tar.zst"
tarc="tar -I 'zstd -3' -cf $dir/t.tar.zst -C $sdir . 2>/dev/null"
export="$bin/rayhist-ls --store $dir/store0 --export $dir/e.tar.zst default/bench/$S"
capture="rm -rf $dir/store1 && $bin/rayhist-collect -q --store $dir/store1 --cluster bench $sdir 2>/dev/null"
python3 "$top/bench/timeit.py" -n "$runs" -- "$untar" -- "$import" -- "$tarc" -- "$export" -- "$capture" > "$dir/times"
med() { sed -n "$1p" "$dir/times" | sed 's/.*median_s=\([^ ]*\).*/\1/'; }
python3 - "$raw" "$(med 1)" "$(med 2)" "$(med 3)" "$(med 4)" "$(med 5)" \
	"$(stat -c %s "$dir/t.tar.zst")" "$(stat -c %s "$dir/e.tar.zst")" <<'PY'
import sys
raw = int(sys.argv[1]); t_untar, t_imp, t_tar, t_exp, t_cap = map(float, sys.argv[2:7])
sz_tar, sz_exp = int(sys.argv[7]), int(sys.argv[8])
mb = raw / 1e6
print(f"session: {raw} bytes of files")
print(f"import  zstd -d | tar -x : {mb / t_untar:8.1f} MB/s")
print(f"capture of the folder    : {mb / t_cap:8.1f} MB/s")
print(f"import  rayhist --archive: {mb / t_imp:8.1f} MB/s   ratio {t_untar / t_imp:.2f} to unpacking, "
      f"{(t_untar + t_cap) / t_imp:.2f} to unpacking + capture")
print(f"export  tar + zstd -3    : {mb / t_tar:8.1f} MB/s   {sz_tar} bytes")
print(f"export  rayhist --export : {mb / t_exp:8.1f} MB/s   {sz_exp} bytes   ratio {t_tar / t_exp:.2f}, size {sz_exp / sz_tar:.3f}")
PY
rm -rf "$dir/store"
/usr/bin/time -f "%e %U %S %M" -o "$dir/import.time" "$bin/rayhist-collect" \
	--store "$dir/store" --cluster bench --staging-dir "$dir" \
	${MAX_MEMORY:+--max-memory "$MAX_MEMORY"} --archive "$dir/in.tar.zst" \
	> "$dir/import.out" 2>/dev/null
read -r w u s m < "$dir/import.time"
spill=$(sed -n 's/.*: \([0-9]*\) bytes held in temporary files.*/\1/p' "$dir/import.out")
stored=$(du -sb --apparent-size "$dir/store" | cut -f1)
echo "import once: wall ${w} s, cpu $(awk "BEGIN { print $u + $s }") s, peak RSS ${m} KiB, held in temporary files ${spill:-0} bytes, store ${stored} bytes"
