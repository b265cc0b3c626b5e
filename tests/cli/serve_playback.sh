#!/bin/sh
# rayhist-serve's playback prefix /c/NS/CLUSTER/SESSION@TIME/: the state API
# at several instants answers as rayhist-ls --at (the library), before the
# start an empty cluster, after the end the final state, a malformed time
# 400, and a log ends at the last part captured by TIME
# (tests/cli/serve_playback.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
# A second capture of the head's raylet.out with one more line: two parts,
# the second captured after $mid.
head_dir=$(readlink -f "$tmp"/gen/*head*/session_latest)
sleep 1
mid=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 1.2
printf 'a line captured after the instant\n' >>"$head_dir/logs/raylet.out"
"$RH_COLLECT" --store "$served_store" --cluster rc1 -q "$head_dir" ||
	fail "second rayhist-collect failed"
RH_LS="$RH_LS" $PY "$top_srcdir/tests/cli/serve_playback.py" "$served_store" "$tmp/gen" "$mid"
