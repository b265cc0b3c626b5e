#!/bin/sh
# Parallel paths give the sequential answers: `rayhist-collect --events` on
# one thread and on several stores the same objects and reports the files in
# the same order (a bad file among them included); the index built with the
# batches parsed on 1, 2 or 4 threads is the same, byte for byte, and
# answers the same whatever order the batches came in. The session is production-shaped (raygen prodevents: aggregator
# batches split by node, profile events, retries up to attempt 2).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN prodevents --out "$tmp/b" --tasks 600 --batch-events 97 2>/dev/null
set -- "$tmp"/b/*.json
[ $# -ge 20 ] || fail "the generator wrote only $# batches"
printf '[{"eventType": "TASK_LIFECYCLE_EVENT", "taskLifecycleEvent": ' > "$tmp/bad.json"
sess=session_2025-11-12_22-10-31_123456_42
# the bad file sits among the good ones
files="$(echo "$@" | cut -d' ' -f1-7) $tmp/bad.json $(echo "$@" | cut -d' ' -f8-)"
st=0
"$RH_COLLECT" --store "$tmp/s1" --cluster c --session $sess --threads 1 \
	--events $files > "$tmp/out1" 2> "$tmp/err1" || st=$?
[ "$st" = 1 ] || fail "a bad batch: exit $st, want 1"
st=0
"$RH_COLLECT" --store "$tmp/s4" --cluster c --session $sess --threads 4 \
	--events $files > "$tmp/out4" 2> "$tmp/err4" || st=$?
[ "$st" = 1 ] || fail "a bad batch on 4 threads: exit $st, want 1"
cmp "$tmp/out1" "$tmp/out4" || fail "reports differ between 1 and 4 threads"
cmp "$tmp/err1" "$tmp/err4" || fail "warnings differ between 1 and 4 threads"
grep -q "bad.json" "$tmp/err1" || fail "the bad file is not named: $(cat "$tmp/err1")"
n=$(grep -c "stored as" "$tmp/out1")
[ "$n" = $# ] || fail "$n of $# batches reported stored"
# (each run's generation mark names a writer of its own: one per side)
for s in 1 4; do
	[ "$(find "$tmp/s$s" -path '*/marks/import-*' | wc -l)" = 1 ] ||
		fail "$s threads: not one import mark: $(find "$tmp/s$s" -path '*/marks/*')"
	(cd "$tmp/s$s" && find . -type f ! -path '*/marks/import-*' | sort | xargs cksum) > "$tmp/objs$s"
done
cmp "$tmp/objs1" "$tmp/objs4" || fail "stored objects differ between 1 and 4 threads"

# Batches in reverse and in shuffled order: the same index answers.
"$RH_COLLECT" --store "$tmp/s2" --cluster c --session $sess -q \
	--events $(ls "$tmp"/b/*.json | sort -r)
"$RH_COLLECT" --store "$tmp/s3" --cluster c --session $sess -q \
	--events $(ls "$tmp"/b/*.json | shuf --random-source="$tmp/bad.json")
path=default/c/$sess
ix=$path/index/session.idx
"$top_builddir/tests/cli/index_threads" "$tmp/s1" $path/ 1 > "$tmp/stats1"
cp "$tmp/s1/$ix" "$tmp/idx1"
for t in 2 4 0; do
	"$top_builddir/tests/cli/index_threads" "$tmp/s1" $path/ $t > "$tmp/stats$t"
	cmp "$tmp/stats1" "$tmp/stats$t" || fail "parse counters differ on $t threads"
	cmp "$tmp/idx1" "$tmp/s1/$ix" || fail "the index built on $t threads differs from 1 thread's"
done
grep -q "records=3000 " "$tmp/stats1" || fail "counters: $(cat "$tmp/stats1")"
for s in s1 s2 s3; do
	"$RH_LS" -q --store "$tmp/$s" --tasks --detail --json --limit 0 $path > "$tmp/$s.tasks"
	"$RH_LS" -q --store "$tmp/$s" --tasks --json --limit 0 --filter state=FAILED $path > "$tmp/$s.failed"
	"$RH_LS" -q --store "$tmp/$s" --summary tasks --json $path > "$tmp/$s.summary"
done
for k in tasks failed summary; do
	cmp "$tmp/s1.$k" "$tmp/s2.$k" || fail "--$k differs with batches reversed"
	cmp "$tmp/s1.$k" "$tmp/s3.$k" || fail "--$k differs with batches shuffled"
done
python3 - "$tmp/s1.tasks" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
def fail(m):
    sys.exit("FAIL: " + m)
if len(rows) != 600:
    fail("%d task attempts, want 600" % len(rows))
if max(r["attempt_number"] for r in rows) != 2:
    fail("no attempt 2 among the retries")
prof = [r for r in rows if r.get("profiling_data")]
if not prof:
    fail("no row carries profile events")
PY
echo "events_parallel: ok ($# batches)"
