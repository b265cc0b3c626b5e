#!/bin/sh
# A stored session index damaged in the store (bytes flipped in its pages,
# its header or its footer) is rebuilt from the events by rayhist-serve, as
# rayhist-ls does: every answer comes back right, none stays a 500
# (tests/cli/serve_damaged_index.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_damaged_index.py" "$tmp/store" "$tmp"
