#!/bin/sh
# A live session served while events arrive (tests/cli/serve_live.py): the
# answers only move forward, the final ones equal a one-shot build's (the
# index bytes too), a kill -9 of the server mid-way changes nothing, and
# each event object is read about once.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 5 --nodes 1 >/dev/null 2>&1 || fail "raygen failed"
$PY "$top_srcdir/tests/cli/serve_live.py" "$tmp" "$tmp/gen"
