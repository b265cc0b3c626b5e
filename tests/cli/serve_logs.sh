#!/bin/sh
# rayhist-serve's log reads (by node and file, task, actor, submission) give
# the exact bytes the generator wrote, whole and as tails
# (tests/cli/serve_logs.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_logs.py" "$served_store" "$tmp/gen"
