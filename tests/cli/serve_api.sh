#!/bin/sh
# rayhist-serve over a generated, captured session: every endpoint of the
# dashboard client's table, envelopes and field names, contents against the
# generator's truth, filters/limit/detail (tests/cli/serve_api.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_api.py" "$served_store" "$tmp/gen"
