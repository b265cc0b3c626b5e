#!/bin/sh
# rayhist-serve sends kept answers from its event loop by reference (large
# ones with sendfile() from a memfd): byte for byte the computed answer,
# headers included, to 64 clients at once; clients leaving mid-answer harm
# nothing; authentication still refuses (tests/cli/serve_kept.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_kept.py" "$served_store" "$tmp/gen" "$tmp"
