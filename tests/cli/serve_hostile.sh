#!/bin/sh
# rayhist-serve refuses path tricks (.., %2e%2e, %2f, absolute paths, NUL,
# unknown ids) and bad query values with 400/404 and a message, and never
# serves a file from outside a dashboard build (tests/cli/serve_hostile.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
# A stand-in dashboard build with a link that points outside it.
mkdir -p "$tmp/dash/static/js"
echo '<!DOCTYPE html><title>dash</title>' > "$tmp/dash/index.html"
echo 'var x = 1;' > "$tmp/dash/static/js/main.js"
echo 'TOP SECRET' > "$tmp/secret.txt"
ln -s "$tmp/secret.txt" "$tmp/dash/static/js/leak.js"
echo 'TOP SECRET' > "$tmp/dash/.secret"
$PY "$top_srcdir/tests/cli/serve_hostile.py" "$served_store" "$tmp/gen" "$tmp/dash"
