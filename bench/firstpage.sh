#!/bin/sh
# First page of an indexed session against the number of its event objects:
# `rayhist-ls --tasks --limit 100` on a session whose index is built, when
# the same TASKS task attempts (default 100,000, about 4 RayEvents each,
# tests/gen/raygen.py bigtasks) are stored as 1,000, 10,000 and 100,000
# event objects (COUNTS). Deciding whether the index is current must not
# grow with the objects (generation marks, rayhist-store(5)): flat is the
# goal, < 50 ms. Printed beside it: the same query when the session has no
# marks (as written by an older version: every object is listed, as every
# query did before), and `find | stat` over the session's folder, what
# listing and stat'ing the objects costs at least.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RH_BUILD:-$top/_build}
bin=$build/bin
# the program itself, not libtool's wrapper script of an uninstalled build
# (a bash script that costs 15-20 ms before the program starts: more than
# the first page itself)
if [ -x "$bin/.libs/rayhist-ls" ]; then
	bin=$bin/.libs
	LD_LIBRARY_PATH=$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
fi
dir=${BENCH_DIR:-/tmp/rayhist-bench}/firstpage
tasks=${TASKS:-100000}
counts=${COUNTS:-1000 10000 100000}
runs=${RUNS:-5}
mkdir -p "$dir"
events=$dir/events-$tasks.jsonl
[ -s "$events" ] || python3 "$top/tests/gen/raygen.py" bigtasks --out "$events" \
	--tasks "$tasks" >/dev/null
cc -O2 -I"$top/include" "$top/bench/firstpage_gen.c" "$build/.libs/librayhist_core.a" \
	$(pkg-config --libs libzstd json-c libcurl libarchive) -lpthread -o "$dir/firstpage_gen"
session=session_2025-11-12_22-10-31_123456_42
out=$dir/results
# median user+sys ms of 5 runs of a command
cpu_ms() {
	for i in 1 2 3 4 5; do
		/usr/bin/time -f '%U %S' -o "$dir/cpu" $1 >/dev/null 2>&1
		awk '{print ($1 + $2) * 1000}' "$dir/cpu"
	done | sort -n | sed -n 3p
}
# stat, open and directory-read system calls of one run (strace)
fs_calls() {
	if command -v strace >/dev/null 2>&1; then
		strace -f -qq -c -o "$dir/strace" -e trace=stat,lstat,fstat,newfstatat,statx,getdents64,openat \
			$1 >/dev/null 2>&1
		awk '$NF == "total" {print $4}' "$dir/strace"
	else
		echo -
	fi
}
: > "$out"
for n in $counts; do
	store=$dir/store-$tasks-$n
	path=default/bench/$session
	if [ ! -f "$store.ok" ]; then
		rm -rf "$store"
		"$dir/firstpage_gen" "$events" "$store" "$path/" "$n" >/dev/null
		touch "$store.ok"
	fi
	ls="$bin/rayhist-ls --store $store --tasks --limit 100 $path"
	$ls >/dev/null 2>&1	# builds the index, outside the timing
	# the same session as an older version wrote it: no marks
	nomarks=$dir/nomarks-$tasks-$n
	rm -rf "$nomarks" && cp -a "$store" "$nomarks" && rm -rf "$nomarks/$path/marks"
	lsold="$bin/rayhist-ls --store $nomarks --tasks --limit 100 $path"
	$lsold >/dev/null 2>&1	# rebuilds it once for the listing
	find="find $store/$path -type f -exec stat -c %s {} +"
	objs=$(ls "$store/$path/events" | wc -l)
	set -- $(python3 "$top/bench/timeit.py" -n "$runs" -- "$ls" -- "$lsold" -- "$find" |
		awk '{sub("median_s=","",$1); print $1}')
	# CPU time (the machine is shared: wall time carries other load) and
	# file system calls of one query, with and without marks
	cpu=$(cpu_ms "$ls") cpuold=$(cpu_ms "$lsold")
	sys=$(fs_calls "$ls") sysold=$(fs_calls "$lsold")
	echo "$n $objs $1 $2 $3 $cpu $cpuold $sys $sysold" >> "$out"
done
python3 - "$out" "$tasks" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
base = float(rows[0][2])
print(f"first 100-row page of rayhist-ls --tasks, {sys.argv[2]} task attempts, index built")
print(f"{'objects':>8} {'marks ms':>9} {'vs first':>8} {'cpu ms':>7} {'fs calls':>8} | "
      f"{'no marks ms':>11} {'cpu ms':>7} {'fs calls':>8} | {'find+stat ms':>12}")
for n, objs, t, old, find, cpu, cpuold, sc, scold in rows:
    t, old, find = float(t), float(old), float(find)
    print(f"{int(objs):8d} {t * 1000:9.1f} {t / base:7.2f}x {float(cpu):7.0f} {sc:>8} | "
          f"{old * 1000:11.1f} {float(cpuold):7.0f} {scold:>8} | {find * 1000:12.1f}")
worst = max(float(r[2]) for r in rows)
print(f"target: < 50 ms and flat; worst {worst * 1000:.1f} ms, "
      f"{worst / base:.2f}x the {rows[0][1]}-object session")
PY
