#!/bin/sh
# Reading and serving must be trustworthy (issue 11): a read never writes,
# one damaged object never takes a session offline, JSON is always valid
# (bytes that are not UTF-8 included, and asked back), Ray's task total with
# a job filter, built-in pages at an instant (tests/cli/read_trust.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
PY=${PYTHON:-python3}
export PYTHONPATH="$top_srcdir/tests/cli${PYTHONPATH:+:$PYTHONPATH}"
tmp=$(mktemp -d)
cleanup_add "$tmp"

# ---- a read never writes --------------------------------------------------
mkdir "$tmp/empty"
cd "$tmp/empty"
expect_fail 1 env -u RAYHIST_STORE "$RH_LS"
case $err in *"no such store folder"*) ;; *) fail "rayhist-ls: $err" ;; esac
expect_fail 1 env -u RAYHIST_STORE "$RH_SERVE" --listen 127.0.0.1:0 -q
case $err in *"no such store folder"*) ;; *) fail "rayhist-serve: $err" ;; esac
expect_fail 1 "$RH_LS" --store "$tmp/TYPO" -l
case $err in *TYPO*"no such store folder"*) ;; *) fail "--store TYPO: $err" ;; esac
[ ! -e "$tmp/TYPO" ] || fail "rayhist-ls --store TYPO created TYPO/"
[ -z "$(ls -A "$tmp/empty")" ] || fail "a read command left $(ls -A "$tmp/empty")"
cd "$tmp"

# ---- a session with a file name and an error message that are not UTF-8 ----
$RH_GEN session --out "$tmp/gen" --seed 1 >/dev/null 2>&1 || fail "raygen failed"
$PY - "$tmp/gen" <<'PYEOF' || fail "could not plant the odd bytes"
import glob, os, sys
gen = sys.argv[1]
head = glob.glob(os.path.join(gen, "*head*", "session_latest"))[0]
with open(os.path.join(os.fsencode(head), b"logs", b"odd-\xff\xfe-caf\xc3\xa9.log"), "wb") as f:
    f.write(b"a line with \xff in it\n")
for path in sorted(glob.glob(os.path.join(gen, "aggregator", "*.json"))):
    data = open(path, "rb").read()
    if b'"errorMessage": "' in data:
        open(path, "wb").write(data.replace(b'"errorMessage": "',
                                            b'"errorMessage": "bad \xff\xfe bytes: ', 1))
        break
else:
    sys.exit("no errorMessage in the batches")
PYEOF
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$tmp/store" --cluster rc1 -q "$n" ||
		fail "rayhist-collect $n failed"
done
session=$(basename "$(readlink -f "$tmp"/gen/*head*/session_latest)")
"$top_builddir/tests/cli/ingest_events" "$tmp/store" "default/rc1/$session" \
	"$tmp"/gen/aggregator/*.json || fail "ingesting the event batches failed"

# a mistyped session is not found and leaves nothing behind
expect_fail 1 "$RH_LS" --store "$tmp/store" --tasks default/rc1/nope
[ ! -e "$tmp/store/default/rc1/nope" ] || fail "rayhist-ls created the session nope"

RH_LS="$RH_LS" $PY "$top_srcdir/tests/cli/read_trust.py" "$tmp/store" "$tmp/gen" "$session"
