#!/bin/sh
# rayhist-serve and rayhist-ls over a store they may not write (a folder
# made read-only, read by an unprivileged user; or --read-only): the same
# answers as over a writable copy, nothing written in the store, the
# indexes in --cache-dir, within --cache-dir-max (tests/cli/serve_readonly.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
# a user other than root could not remove the read-only folders
trap 'chmod -R u+w "$tmp" 2>/dev/null; _on_exit' EXIT
chmod 755 "$tmp"
# three small sessions, one per cluster
for i in 1 2 3; do
	$RH_GEN session --out "$tmp/gen$i" --seed "$i" --nodes 1 --log-bytes 20K \
		>/dev/null 2>&1 || fail "raygen failed"
	for n in "$tmp"/gen$i/*/session_latest; do
		"$RH_COLLECT" --store "$tmp/ro" --cluster "c$i" -q "$n" ||
			fail "rayhist-collect $n failed"
	done
done
cp -a "$tmp/ro" "$tmp/rw"
cp -a "$tmp/ro" "$tmp/flag"
chmod -R a-w "$tmp/ro"
# Root writes anyway: read it as nobody then. setpriv, unlike runuser,
# needs no PAM set-up.
as_user=
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv is needed to run as nobody"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
mkdir "$tmp/cache"
[ -z "$as_user" ] || chown 65534:65534 "$tmp/cache"
# the cache folder is named by default from $HOME, which nobody lacks
HOME=$tmp/cache/home XDG_CACHE_HOME= AS_USER=$as_user \
	$PY "$top_srcdir/tests/cli/serve_readonly.py" "$tmp"
