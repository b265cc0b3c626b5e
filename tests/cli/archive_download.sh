#!/bin/sh
# rayhist-serve's session download streams the archive rayhist-ls --export
# writes, with bounded memory (tests/cli/archive_download.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
# a session larger than the server's download window many times over
$RH_GEN session --out "$tmp/big" --seed 3 --nodes 1 --log-bytes 300M >/dev/null 2>&1
"$RH_COLLECT" --store "$tmp/bigstore" --cluster rc1 -q --frame-size 262144 "$tmp"/big/*/session_latest 2>/dev/null
# (the big store is a folder even when $served_store is s3://: the memory
# bound is the server's, whatever the store)
$PY "$top_srcdir/tests/cli/archive_download.py" "$served_store" "$session" "$tmp/gen" "$tmp/bigstore"
