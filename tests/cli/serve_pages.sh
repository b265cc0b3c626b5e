#!/bin/sh
# The built-in pages' story of issue 17 in headless Chromium, without a Ray
# dashboard build: the session page lists the failed tasks (error type and
# message) -> a failed task's page (transitions, node, worker, error, log
# links) -> its stderr in the built-in log viewer, the traceback byte for byte;
# at SESSION@TIME the same pages show the session as it was; the viewer pages
# through a log without losing or repeating a line; every log file (logs/old/
# too) is listed with a count; job and actor pages lead to their logs the same
# way. Screenshots of each page are kept in
# tests/cli/serve_pages-shots/ of the build tree (tests/cli/serve_pages.py).
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
shots="$top_builddir/tests/cli/serve_pages-shots"
rm -rf "$shots"
mkdir -p "$shots"
"$RH_SERVE" --store "$served_store" --listen 127.0.0.1:0 -q >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; _on_exit' EXIT
i=0
while ! grep -q 'http://' "$tmp/serve.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "rayhist-serve did not start: $(cat "$tmp/serve.err")"
	sleep 0.1
done
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.out")
$PY "$top_srcdir/tests/cli/serve_pages.py" "$CHROME" "http://127.0.0.1:$port" \
	"$tmp/gen" "$tmp" "$shots"
kill "$pid"
wait "$pid" || fail "rayhist-serve exited $? on SIGTERM"
trap _on_exit EXIT
pass
