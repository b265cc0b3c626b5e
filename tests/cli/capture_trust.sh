#!/bin/sh
# rayhist-collect on data it must not get wrong (issue 11): a file or folder
# it cannot read is skipped and reported while the rest is stored, and the
# run exits 1 with a summary; a file truncated in place keeps its earlier
# bytes as PATH~1; --ended records the session's last write as its end, the
# capture time apart.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
s=$(make_session "$tmp/ray")
name=$(basename "$s")
at="default/trust/$name/$node"
printf 'first generation\nof the app log\n' > "$s/logs/app.log"
cp "$s/logs/app.log" "$tmp/app.first"
printf 'secret\n' > "$s/logs/secret.log"
mkdir "$s/logs/private"
printf 'inner\n' > "$s/logs/private/inner.log"
chmod 600 "$s/logs/secret.log"
chmod 700 "$s/logs/private"

# 1. Unreadable paths, as a user who cannot read them (tests run as root;
# no way to drop privileges is a failure, not a skip).
as_user=
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv is needed to run as nobody"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$tmp"
	mkdir "$store"
	chown 65534:65534 "$store"
	$as_user cat "$s/logs/secret.log" >/dev/null 2>&1 && fail "nobody can read the secret"
fi
set +e
$as_user "$RH_COLLECT" --store "$store" --cluster trust "$s" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "exit $rc with unreadable paths, expected 1: $(cat "$tmp/err")"
grep -q "skipped logs/secret.log: not stored" "$tmp/err" || fail "secret.log not reported: $(cat "$tmp/err")"
grep -q "skipped logs/private: not stored" "$tmp/err" || fail "logs/private not reported: $(cat "$tmp/err")"
grep -q "2 paths not stored" "$tmp/err" || fail "no summary: $(cat "$tmp/err")"
grep -q ", 2 not stored" "$tmp/out" || fail "the counts do not say it: $(cat "$tmp/out")"
"$RH_LS" --store "$store" --cat "$at/logs/app.log" | cmp -s - "$s/logs/app.log" ||
	fail "the readable files were not stored"
"$RH_LS" --store "$store" --cat "$at/logs/raylet.out" | cmp -s - "$s/logs/raylet.out" ||
	fail "raylet.out was not stored"
expect_fail 1 "$RH_LS" --store "$store" --cat "$at/logs/secret.log"
# -q hides the counts, never what was not stored
set +e
$as_user "$RH_COLLECT" -q --store "$store" --cluster trust "$s" > "$tmp/out" 2> "$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "-q: exit $rc"
grep -q "skipped logs/secret.log: not stored" "$tmp/err" || fail "-q hid a path not stored"
# readable again: everything stored, exit 0
chmod 644 "$s/logs/secret.log"
chmod 755 "$s/logs/private"
$as_user "$RH_COLLECT" -q --store "$store" --cluster trust "$s" || fail "exit $? once all is readable"
"$RH_LS" --store "$store" --cat "$at/logs/secret.log" | cmp -s - "$s/logs/secret.log" || fail "secret.log"
"$RH_LS" --store "$store" --cat "$at/logs/private/inner.log" | cmp -s - "$s/logs/private/inner.log" ||
	fail "private/inner.log"

# 2. copytruncate: the same file truncated and written again
truncate -s 0 "$s/logs/app.log"
printf 'second generation\n' >> "$s/logs/app.log"
"$RH_COLLECT" -q --store "$store" --cluster trust "$s"
"$RH_LS" --store "$store" --cat "$at/logs/app.log" | cmp -s - "$s/logs/app.log" ||
	fail "the current app.log differs"
"$RH_LS" --store "$store" --cat "$at/logs/app.log~1" | cmp -s - "$tmp/app.first" ||
	fail "the earlier generation of app.log is lost"
"$RH_LS" --store "$store" "$at/logs" | grep -qx 'app.log~1' || fail "rayhist-ls does not list app.log~1"

# 3. --ended a year later: the end is the last write, not now (a session
# of its own: the generation above was written today)
s=$(make_session "$tmp/ray3")
now=$(date +%s)
old=$((now - 365 * 86400))
find "$s" -exec touch -h -d "@$old" {} +
touch -d "@$((old + 240))" "$s/logs/raylet.out"
"$RH_COLLECT" -q --store "$store" --cluster old --ended "$s"
"$RH_LS" --store "$store" -l --json default/old > "$tmp/ls.json"
python3 - "$tmp/ls.json" "$old" "$now" <<'PY' || fail "end_ms: $(cat "$tmp/ls.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
old, now = int(sys.argv[2]), int(sys.argv[3])
row = rows[0] if isinstance(rows, list) else rows
assert row["state"] == "ended", row
assert row["end_ms"] == (old + 240) * 1000, (row["end_ms"], (old + 240) * 1000)
assert row["end_marked_ms"] >= now * 1000, row
PY
pass
