#!/bin/sh
# The built-in session page's timeline (rayhist/session) in headless
# Chromium: the picker links it, the inline SVG chart renders with its
# buckets, lines and job marks, a bucket's link opens the session as of its
# instant (the API under SESSION@TIME/ counts what the bucket shows and what
# rayhist-ls --at says), and the time form's endpoint redirects to
# SESSION@TIME/ or answers 400 (tests/cli/serve_timeline.py). Chromium
# missing fails the test (CI installs it); RH_ALLOW_SKIP=1 turns that into a
# skip for local runs.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
CHROME=""
for c in chromium chromium-browser google-chrome; do
	command -v "$c" >/dev/null 2>&1 && { CHROME=$c; break; }
done
if [ -z "$CHROME" ]; then
	if [ "${RH_ALLOW_SKIP:-}" = 1 ]; then
		echo "SKIP: no chromium (apt-get install chromium)"
		exit 77
	fi
	fail "chromium is not installed (scripts/deps installs it for the tests)"
fi
tmp=$(mktemp -d)
cleanup_add "$tmp"
make_served_store "$tmp"
CHROME="$CHROME" RH_LS="$RH_LS" $PY "$top_srcdir/tests/cli/serve_timeline.py" \
	"$served_store" "$tmp/gen" "$tmp"
