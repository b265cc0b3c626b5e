#!/bin/sh
# rayhist-prune: each retention policy deletes the right sessions, dry runs
# delete nothing, live sessions stay, a deletion cut short is hidden from
# listings and finished by the next run (tests/cli/retention.py).
# RH_RETENTION_BULK sets the number of sessions of the throughput run.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$PY "$top_srcdir/tests/cli/retention.py" "$tmp" "${RH_RETENTION_BULK:-1000}"
