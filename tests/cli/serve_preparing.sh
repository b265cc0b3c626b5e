#!/bin/sh
# rayhist-serve's "preparing" answer (a session's first index build) shows
# how far the build has come: MiB and files read, rate, time left
# (tests/cli/serve_preparing.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_preparing.py" "$served_store" "$tmp/gen"
