#!/bin/sh
# The tasks' timeline (api/v0/tasks/timeline) of a session with 10,000 tasks
# of 12 profile events each (tens of MB) is written piece by piece as the
# client reads: the answer is whole and right, 20 clients that never read it
# cost the server a few MB, and the snapshot it is read from stays open while
# a stream is under way (tests/cli/serve_timeline_stream.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
s=$(make_session "$tmp/node")
"$RH_COLLECT" --store "$tmp/store" --cluster big -q "$tmp/node/session_latest" ||
	fail "rayhist-collect failed"
$PY "$top_srcdir/tests/cli/serve_timeline_stream.py" "$tmp/store" "$s" "$tmp"
