#!/bin/sh
# Two rayhist-serve over one store, as replicas behind a load balancer:
# a session indexed by one is served by the other at once, without a
# second build and without "preparing"; two that build at once leave one
# whole index (tests/cli/serve_replicas.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
$PY "$top_srcdir/tests/cli/serve_replicas.py" "$served_store" "$tmp"
