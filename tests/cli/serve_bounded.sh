#!/bin/sh
# rayhist-serve under clients that misbehave (tests/cli/serve_bounded.py):
# a 100 MB log is streamed piece by piece, so 20 clients that never read it
# cost a few MB; slow senders are cut off at the request deadline; a FIFO in
# --dashboard-dir is refused without blocking; at the fd limit (ulimit -n 64)
# the server neither spins nor floods its log.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
s=$(make_session "$tmp/node")
# 100 MB of log lines with colour codes, so filter_ansi_code has work at
# every piece boundary.
$PY - "$s/logs/big.log" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    n = i = 0
    while n < 100 * 1024 * 1024:
        t = "line %08d \x1b[32mINFO\x1b[0m \x1b[1;31mworker\x1b[0m output %s\n" % (i, "x" * (i % 50))
        f.write(t)
        n += len(t)
        i += 1
PYEOF
"$RH_COLLECT" --store "$tmp/store" --cluster big -q "$tmp/node/session_latest" ||
	fail "rayhist-collect failed"
mkdir -p "$tmp/dash/static"
echo '<!DOCTYPE html><title>dash</title>' > "$tmp/dash/index.html"
mkfifo "$tmp/dash/static/pipe.js"
$PY "$top_srcdir/tests/cli/serve_bounded.py" "$tmp/store" "$s" "$tmp/dash"
