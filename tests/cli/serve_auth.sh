#!/bin/sh
# rayhist-serve's authentication: bearer tokens, htpasswd users (bcrypt and
# SHA-crypt), a trusted proxy's headers; 401 with WWW-Authenticate, 403
# outside the grant, listings filtered, spoofed proxy headers ignored,
# files re-read on change (tests/cli/serve_auth.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
served_tmp_store
# A second namespace, "team", with one session.
s=$(make_session "$tmp/team")
"$RH_COLLECT" --store "$served_store" --namespace team --cluster t1 -q "$s" ||
	fail "rayhist-collect (team) failed"
$PY "$top_srcdir/tests/cli/serve_auth.py" "$served_store" "$tmp/gen" "$tmp" "$(basename "$s")"
