#!/bin/sh
# /api/jobs/ID/logs of a driver log larger than the streaming threshold is
# sent piece by piece as {"logs": "..."} (chunked, no Content-Length): the
# JSON parses to exactly the log's text, whatever UTF-8 sequences, quotes,
# backslashes and control bytes the piece boundaries cut
# (tests/cli/serve_joblogs.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 1 >/dev/null || fail "raygen failed"
log=$(ls "$tmp"/gen/*/session_latest/logs/job-driver-*.log | head -n 1)
[ -n "$log" ] || fail "the generated session has no job driver log"
# 3 MB of text in which every kind of byte JSON escapes falls on piece
# boundaries somewhere: multi-byte UTF-8 of 2, 3 and 4 bytes, quotes,
# backslashes, tabs and control bytes, in lines of varying length.
$PY - "$log" <<'PYEOF'
import sys
with open(sys.argv[1], "a", encoding="utf-8") as f:
    n = i = 0
    while n < 3 * 1024 * 1024:
        t = "%d caf\u00e9 \u65e5\u672c \U0001F600 \"q\" \\b\\ \t\x01%s\n" % (i, "\u00e9" * (i % 7) + "x" * (i % 13))
        f.write(t)
        n += len(t.encode())
        i += 1
PYEOF
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$tmp/store" --cluster rc1 -q "$n" || fail "rayhist-collect $n failed"
done
session=$(basename "$(readlink -f "$tmp"/gen/*head*/session_latest)")
"$top_builddir/tests/cli/ingest_events" "$tmp/store" "default/rc1/$session" \
	"$tmp"/gen/aggregator/*.json || fail "ingesting the event batches failed"
$PY "$top_srcdir/tests/cli/serve_joblogs.py" "$tmp/store" "$tmp/gen" "$log"
