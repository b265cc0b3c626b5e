#!/bin/sh
# rayhist-collect --ended (after a capture, an --events or an --archive
# import) builds the session's index (collect_index.c), so that
# rayhist-serve's first open of the session reads it and builds nothing
# (tests/cli/collect_index.py, by the server's counters), answering byte for
# byte what a server-built index answers; --no-index leaves the build to
# the server as before. A build that fails (the index cannot be written)
# or reads a damaged event object keeps the capture and says so.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 7 --nodes 2 >/dev/null 2>&1 || fail "raygen failed"
head=$(readlink -f "$tmp"/gen/*-head-*/session_latest)
worker=$(readlink -f "$tmp"/gen/*-worker-*/session_latest)
session=$(basename "$head")
path=default/c/$session

# A cluster's history as it arrives: the worker's collector, the events the
# aggregator posted, then the head's collector marking the end.
store_up_to_end() {
	"$RH_COLLECT" --store "$1" --cluster c -q "$worker" || fail "worker capture"
	"$RH_COLLECT" --store "$1" --cluster c --session "$session" -q \
		--events "$tmp"/gen/aggregator/*.json || fail "events import"
}
store_up_to_end "$tmp/base"
# the same objects and marks in both stores: their indexes can be compared
cp -a "$tmp/base" "$tmp/pre"
cp -a "$tmp/base" "$tmp/lazy"
"$RH_COLLECT" --store "$tmp/pre" --cluster c --ended "$head" >"$tmp/out" 2>"$tmp/err" ||
	fail "capture --ended exited $? ($(cat "$tmp/err"))"
grep -q "^$path/: index built: [1-9][0-9]* task attempts" "$tmp/out" ||
	fail "no index line: $(cat "$tmp/out")"
! grep -q "index" "$tmp/err" || fail "unexpected stderr: $(cat "$tmp/err")"
[ -f "$tmp/pre/$path/index/session.idx" ] || fail "no index stored"
# -q says nothing of it
"$RH_COLLECT" --store "$tmp/pre" --cluster c -q --ended "$head" >"$tmp/out2"
[ ! -s "$tmp/out2" ] || fail "-q printed: $(cat "$tmp/out2")"

"$RH_COLLECT" --store "$tmp/lazy" --cluster c --ended --no-index "$head" >"$tmp/out" ||
	fail "capture --ended --no-index"
! grep -q "index" "$tmp/out" || fail "--no-index still indexed: $(cat "$tmp/out")"
[ ! -e "$tmp/lazy/$path/index" ] || fail "--no-index stored an index"
# without --ended nothing is built either: the session may still grow
"$RH_COLLECT" --store "$tmp/open" --cluster c -q "$head"
[ ! -e "$tmp/open/$path/index" ] || fail "an open session was indexed"

# rayhist-ls reads the collector's index as it is: not rewritten
before=$(stat -c '%i %Y %s' "$tmp/pre/$path/index/session.idx")
"$RH_LS" --store "$tmp/pre" --tasks --limit 3 "$path" >/dev/null
expect_eq "$(stat -c '%i %Y %s' "$tmp/pre/$path/index/session.idx")" "$before"

$PY "$top_srcdir/tests/cli/collect_index.py" "$tmp/pre" "$tmp/lazy" "$path" ||
	fail "collect_index.py"
cmp "$tmp/pre/$path/index/session.idx" "$tmp/lazy/$path/index/session.idx" ||
	fail "the collector's index differs from the server's"

# Events imported as batches alone, marked ended by the import: the same.
"$RH_COLLECT" --store "$tmp/ev" --cluster c --session "$session" --ended \
	--events "$tmp"/gen/aggregator/*.json >"$tmp/out" || fail "--events --ended"
grep -q "^$path/: index built: [1-9][0-9]* task attempts" "$tmp/out" ||
	fail "no index line: $(cat "$tmp/out")"
grep -q '"end_ms":[1-9]' "$tmp/ev/$path/session.json" || fail "not marked ended"
"$RH_COLLECT" --store "$tmp/ev-lazy" --cluster c --session "$session" --ended \
	--no-index -q --events "$tmp"/gen/aggregator/*.json || fail "--events --no-index"
[ ! -e "$tmp/ev-lazy/$path/index" ] || fail "--no-index stored an index"
$PY "$top_srcdir/tests/cli/collect_index.py" "$tmp/ev" "$tmp/ev-lazy" "$path" ||
	fail "collect_index.py (--events)"

# An archive of both nodes imported with --ended: its session is indexed
# once, after both nodes are in (collect_archive.c), as a capture's is.
(cd "$tmp/gen" && tar -czf "$tmp/nodes.tgz" *-head-* *-worker-*) 2>/dev/null ||
	fail "tar" # (its sockets are left out, as capture leaves them)
"$RH_COLLECT" --store "$tmp/ar" --cluster c --ended --archive "$tmp/nodes.tgz" \
	>"$tmp/out" 2>"$tmp/err" || fail "--archive --ended ($(cat "$tmp/err"))"
expect_eq "$(grep -c "^$path/: index built: [1-9][0-9]* task attempts" "$tmp/out")" 1
[ -f "$tmp/ar/$path/index/session.idx" ] || fail "no index stored (--archive)"
"$RH_COLLECT" --store "$tmp/ar-lazy" --cluster c --ended --no-index -q \
	--archive "$tmp/nodes.tgz" || fail "--archive --no-index"
[ ! -e "$tmp/ar-lazy/$path/index" ] || fail "--no-index stored an index (--archive)"
"$RH_COLLECT" --store "$tmp/ar-open" --cluster c -q --archive "$tmp/nodes.tgz" ||
	fail "--archive"
[ ! -e "$tmp/ar-open/$path/index" ] || fail "an open archived session was indexed"
$PY "$top_srcdir/tests/cli/collect_index.py" "$tmp/ar" "$tmp/ar-lazy" "$path" ||
	fail "collect_index.py (--archive)"

# The index cannot be written (a file where its folder goes): the capture
# is stored and ended, the warning says so, the exit status stays 0.
mkdir -p "$tmp/ro/$path"
: > "$tmp/ro/$path/index"
store_up_to_end "$tmp/ro"
"$RH_COLLECT" --store "$tmp/ro" --cluster c --ended "$head" >"$tmp/out" 2>"$tmp/err" ||
	fail "a failed index build failed the capture ($(cat "$tmp/err"))"
grep -q "index not built (the capture is stored" "$tmp/err" ||
	fail "no warning: $(cat "$tmp/err")"
grep -q " node [0-9a-f]*: .* 0 not stored$" "$tmp/out" || fail "$(cat "$tmp/out")"
node=$(sed -n 's/.* node \([0-9a-f]*\): .*/\1/p' "$tmp/out")
[ -f "$tmp/ro/$path/nodes/$node/node.json" ] || fail "no manifest of the head ($node)"
grep -q '"end_ms":[1-9]' "$tmp/ro/$path/session.json" || fail "not marked ended"
rm "$tmp/ro/$path/index"
"$RH_LS" --store "$tmp/ro" --tasks --limit 0 "$path" 2>"$tmp/n.ro" >/dev/null
"$RH_LS" --store "$tmp/pre" --tasks --limit 0 "$path" 2>"$tmp/n.pre" >/dev/null
expect_eq "$(tail -n 1 "$tmp/n.ro")" "$(tail -n 1 "$tmp/n.pre")"

# A damaged event object: the index is built without it, and says which.
store_up_to_end "$tmp/bad"
"$RH_COLLECT" --store "$tmp/bad" --cluster c -q "$head"
part=$(ls "$tmp/bad/$path"/nodes/*/files/logs/export_events/*.zst | head -n 1)
printf 'not zstd' > "$part"
"$RH_COLLECT" --store "$tmp/bad" --cluster c --ended "$head" >"$tmp/out" 2>"$tmp/err" ||
	fail "a damaged event object failed the capture ($(cat "$tmp/err"))"
grep -q "index built: .*; with warnings$" "$tmp/out" || fail "$(cat "$tmp/out")"
grep -q "index: .*$(basename "$part")" "$tmp/err" || fail "no warning: $(cat "$tmp/err")"
[ -f "$tmp/bad/$path/index/session.idx" ] || fail "no index stored"

# On a terminal the build shows a meter (progress.h), erased when done;
# not with -q.
cp -a "$tmp/base" "$tmp/tty"
$PY - "$RH_COLLECT" "$tmp/tty" "$head" <<'PY' || fail "index meter"
import re, sys
from ptyrun import stderr_of
collect, store, head = sys.argv[1:4]
args = [collect, "--store", store, "--cluster", "c", "--ended"]
rc, err = stderr_of(args + [head], True)
m = re.findall(rb"\rindexing the session's events: [^\x1b]*\x1b\[K", err)
if rc or not m or not err.rstrip(b"\n").endswith(b"\r\x1b[K"):
    sys.exit("no index meter, or not erased: %d %r" % (rc, err[-400:]))
rc, err = stderr_of(args + ["-q", head], True)
if rc or b"indexing" in err:
    sys.exit("a meter with -q: %r" % err[-300:])
PY
pass
