#!/bin/sh
# A live session served while it grows (issue 15): a session that already
# holds BASE task attempts (default 20,000; BASE=1000000 for the issue's
# 1M) keeps receiving RATE RayEvents/s (default 5,000) through a following
# rayhist-collect (--flush-interval FLUSH, default 1 s) for SECONDS_ seconds
# (default 30; the run is 600), while rayhist-serve --refresh 1s is
# polled ten times a second. Reported:
#  - staleness: from a second's events posted to the first answer holding
#    all of its tasks, p50/p99 (goal p99 < 2 x FLUSH);
#  - the server's CPU share of one core and peak RSS over the load (goal
#    < 25% of a core), and the event bytes it parsed vs those posted;
#  - index objects in the store at the end;
#  - cold open of the resulting session by a fresh server (first answer)
#    vs a one-shot build of its index (rayhist-ls after deleting it);
#  - what one update costs whatever arrived, at the session's size: copying
#    the history, finishing the copy, serializing the index (live_step.c).
# Baseline in the same run: the one-shot build, which is what each update
# of the server cost before the live index.
#
# Run from the top of the source tree after building into $BUILD (default
# _build): sh bench/live.sh.
set -eu
top=$(pwd)
build=${BUILD:-$top/_build}
dir=${BENCH_DIR:-/tmp/rayhist-bench}/live
base=${BASE:-20000}
rate=${RATE:-5000}
seconds=${SECONDS_:-30}
flush=${FLUSH:-1}
[ -x "$build/bin/rayhist-serve" ] || { echo "build first: no $build/bin/rayhist-serve" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/ray"
session=session_2025-11-12_22-10-31_123456_42	# the generator's events name it
mkdir -p "$dir/ray/$session/logs"
printf '[2025-11-13 01:02:03,456 I 1 1] (raylet) main.cc:595: Setting node ID node_id=%s\n' \
	0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee > "$dir/ray/$session/logs/raylet.out"
ln -s "$session" "$dir/ray/session_latest"
# the session before: BASE attempts, imported as batches
python3 "$top/tests/gen/raygen.py" bigtasks --out "$dir/base.jsonl" --tasks "$base" --arrays --seed 1 2>/dev/null
"$build/bin/rayhist-collect" --store "$dir/store" --cluster bench --session "$session" \
	--events "$dir/base.jsonl" > "$dir/import.log" 2>&1
# what arrives live: other attempts (another seed: other ids)
ntasks=$((rate * seconds / 4 + 100))
python3 "$top/tests/gen/raygen.py" bigtasks --out "$dir/live.jsonl" --tasks "$ntasks" --seed 2 2>/dev/null
PYTHONPATH="$top/tests/cli" top_builddir="$build" python3 "$top/bench/live_load.py" \
	--dir "$dir" --session "$session" --events-file "$dir/live.jsonl" --rate "$rate" \
	--seconds "$seconds" --flush "$flush" --base "$base"
# one update's fixed cost at this size (the part that grows with the session)
cc -O2 -I"$top/include" -I"$top/lib" -I"$top/lib/util" -I"$build" "$top/bench/live_step.c" \
	"$build/.libs/librayhist_core.a" $(pkg-config --libs libzstd json-c libcurl libarchive) \
	-lpthread -o "$dir/live_step"
printf 'one update, whatever arrived: '
"$dir/live_step" "$dir/base.jsonl" "$dir/live.jsonl"
rm -f "$dir/base.jsonl" "$dir/live.jsonl"
