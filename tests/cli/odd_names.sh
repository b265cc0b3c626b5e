#!/bin/sh
# Any file name Ray can write is stored and read back byte for byte (issue
# 11): a generated session whose head holds 231-255-byte names, names with a
# newline, a tab, a control byte and bytes that are not UTF-8 is captured
# (nothing skipped), listed by rayhist-ls (valid JSON with --json) and by
# rayhist-serve's logs API (valid JSON), and every file read back through
# both - by its raw name and by the listed name. Honours RH_TEST_STORE.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=${RH_TEST_STORE:-$tmp/store}

$RH_GEN session --out "$tmp/gen" --seed 3 --odd-names >/dev/null 2>&1 || fail "raygen failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster rc1 "$n" >>"$tmp/collect.out" 2>&1 ||
		fail "rayhist-collect $n failed: $(cat "$tmp/collect.out")"
done
head=$(ls -d "$tmp"/gen/*head*)
"$RH_COLLECT" --store "$store" --cluster rc1 -v "$head/session_latest" >"$tmp/again.out" 2>&1 ||
	fail "second capture failed"
if grep -a -q "cannot be stored" "$tmp/collect.out" "$tmp/again.out"; then
	fail "a name was skipped: $(grep -a "cannot be stored" "$tmp/again.out")"
fi

$PY - "$store" "$tmp/gen" <<'PYEOF'
import json, os, subprocess, sys, urllib.parse
from rhserve import Server, check, finish, session_base

store, gen = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(gen, "truth.json")))
odd = truth["odd_names"]
check(len(odd) >= 7, "odd names in truth: %d" % len(odd))
head = next(nd for nd in truth["node_dirs"] if nd["is_head"])
nid, sdir = head["node_id"], os.path.join(gen, head["session_dir"])
S = truth["session"]["name"]
ls = os.path.join(os.environ["top_builddir"], "bin", "rayhist-ls")


def shown(raw, control=False):
    """rh_catalog_display_path: bytes outside UTF-8 (and with `control`,
    control bytes) as \\xHH."""
    out, i = "", 0
    while i < len(raw):
        ch, k = None, 0
        for n in (1, 2, 3, 4):
            try:
                ch, k = raw[i:i + n].decode("utf-8"), n
                break
            except UnicodeDecodeError:
                pass
        if ch is None or (control and (ord(ch) < 0x20 or ord(ch) == 0x7f)):
            out += "\\x%02x" % raw[i]
            i += 1
        else:
            out += ch
            i += k
    return out


def run(*args):
    p = subprocess.run([ls, "--store", store] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


want = {}
for o in odd:
    rel = bytes.fromhex(o["path_hex"])
    with open(os.path.join(os.fsencode(sdir), rel), "rb") as f:
        want[rel] = f.read()
    check(len(want[rel]) == o["size"], "generator size of %r" % rel)

# ---- rayhist-ls: --json listing is valid JSON and names every file -----------
rc, out, err = run("--json", "-l", "default/rc1/%s/%s/logs" % (S, nid))
check(rc == 0, "rayhist-ls --json: %d %r" % (rc, err))
try:
    rows = json.loads(out.decode("utf-8"))          # strict UTF-8, strict JSON
except (UnicodeDecodeError, ValueError) as e:
    rows = []
    check(False, "rayhist-ls --json is not valid JSON: %s" % e)
names = {r["name"] for r in rows}
for rel, data in want.items():
    name = shown(rel[len(b"logs/"):])
    check(name in names, "rayhist-ls does not list %r" % name)
    row = next((r for r in rows if r["name"] == name), {})
    check(row.get("size") == len(data), "size of %r: %r" % (name, row.get("size")))
    # read back by the raw bytes and by the listed name
    for arg in (os.fsencode("default/rc1/%s/%s/" % (S, nid)) + rel,
                "default/rc1/%s/%s/logs/%s" % (S, nid, name)):
        rc, got, err = run("--cat", arg)
        check(rc == 0 and got == data, "rayhist-ls --cat %r: rc %d, %d bytes of %d (%r)"
              % (arg, rc, len(got), len(data), err))
# the plain listing stays one line per file
rc, out, err = run("default/rc1/%s/%s/logs" % (S, nid))
lines = out.split(b"\n")
for rel in want:
    check(sum(1 for l in lines if l.startswith(b"job-driver-raysubmit_L")) == 3,
          "long names listed %d times" % sum(1 for l in lines if l.startswith(b"job-driver-raysubmit_L")))
    break
check(b"worker-odd\\x0anewline.out" in lines, "newline name not shown on one line: %r" % out[:200])

# ---- rayhist-serve: the logs API ---------------------------------------------
base = session_base(truth)
with Server(store) as srv:
    srv.wait_ready(base)
    st, h, body = srv.get(base + "api/v0/logs?node_id=%s&glob=*" % nid)
    check(st == 200, "logs list: %d" % st)
    try:
        listing = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        listing = {}
        check(False, "logs listing is not valid JSON: %s" % e)
    listed = {n for v in listing.get("data", {}).get("result", {}).values() for n in v}
    for rel, data in want.items():
        raw = rel[len(b"logs/"):]
        name = shown(raw, control=True)
        check(name in listed, "serve does not list %r" % name)
        # the client sends back the listed string, URL-encoded as UTF-8;
        # raw bytes work too, except control bytes, which no request
        # target may carry (dashboard_query.c)
        ctl = any(c < 0x20 or c == 0x7f for c in raw)
        for fn, ok in ((name, True), (raw, not ctl)):
            q = urllib.parse.urlencode(dict(node_id=nid, filename=fn, lines=-1, format="text"))
            st, h, got = srv.get(base + "api/v0/logs/file?" + q)
            if ok:
                check(st == 200 and got == data, "serve %r: status %d, %d bytes of %d"
                      % (fn, st, len(got), len(data)))
            else:
                check(st == 400, "serve raw %r: status %d" % (fn, st))
finish("odd_names")
PYEOF
pass
