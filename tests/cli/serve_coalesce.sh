#!/bin/sh
# rayhist-serve answers identical requests in flight at once with one
# computation: all get the same bytes, errors included; requests that
# differ (gzip, HEAD) are not mixed up; streamed answers are each streamed
# (tests/cli/serve_coalesce.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_coalesce.py" "$served_store" "$tmp/gen" "$tmp"
