#!/bin/sh
# The CLI story of issue 17: from a failed task to its traceback in one
# command (rayhist-ls --logs ID --err), the same bytes the server answers for
# api/v0/logs/file?task_id=, for every task, actor and submission with a log;
# usage errors exit 2 with one line; --at before anything says so
# (tests/cli/ls_story.py); tables, --detail, --format, --summary, --get and
# --tail across nodes as Ray's CLI prints them (tests/cli/ls_tables.py); the
# progress meter of the first index build, on a pty only (ls_progress.py);
# the meters of export and import (archive_progress.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
session=$(basename "$(readlink -f "$tmp"/gen/*head*/session_latest)")
# the progress meter of the first index build (a folder store: the test
# removes the index between runs)
if [ -d "$served_store" ]; then
	$PY "$top_srcdir/tests/cli/ls_progress.py" "$RH_LS" "$served_store" "default/rc1/$session"
fi
# the meters of --export and of rayhist-collect --archive (archive_progress.py)
$PY "$top_srcdir/tests/cli/archive_progress.py" "$RH_LS" "$RH_COLLECT" "$served_store" \
	"default/rc1/$session" "$tmp"
# and rayhist-collect's, of a one-shot capture (collect_progress.py)
$PY "$top_srcdir/tests/cli/collect_progress.py" "$RH_COLLECT" \
	"$(readlink -f "$tmp"/gen/*head*/session_latest)" "$tmp"
$PY "$top_srcdir/tests/cli/ls_story.py" "$RH_LS" "$served_store" "$tmp/gen"
$PY "$top_srcdir/tests/cli/ls_tables.py" "$RH_LS" "$served_store" "$tmp/gen"
