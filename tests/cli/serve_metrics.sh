#!/bin/sh
# rayhist-serve's /metrics pass `promtool check metrics` and are scraped by a
# real Prometheus; /livez, /readyz and /readz answer; --access-log json
# writes one JSON object per request (tests/cli/serve_metrics.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 ||
	fail "promtool and prometheus are needed (Debian package prometheus; scripts/deps with RH_DEPS_TEST=1)"
tmp=$(mktemp -d)
cleanup_add "$tmp"
make_served_store "$tmp"
TMPDIR=$tmp $PY "$top_srcdir/tests/cli/serve_metrics.py" "$served_store" "$tmp/gen" "$tmp"
