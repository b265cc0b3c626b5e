#!/bin/sh
# Issue 11 on generated data: capture every node, then do to the session what
# production does (raygen.py trouble: logrotate's copytruncate of an agent log
# on every live node; a new unreadable file and an unreadable logs/old/ on
# one) and capture again as a user other than root. The node with unreadable
# paths exits 1 naming them and stores the rest; the others exit 0; every
# copytruncated log reads back as it is now, its earlier bytes as PATH~1;
# what was stored from logs/old/ before stays readable.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 12 --nodes 3 >/dev/null 2>&1
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	"$RH_COLLECT" --store "$store" --cluster t -q "$root/session_latest"
done
$RH_GEN trouble --out "$tmp/gen" > "$tmp/trouble.json"

as_user=
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || fail "setpriv is needed to run as nobody"
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$tmp"
	chown -R 65534:65534 "$store"
fi
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	d=$(basename "$root")
	set +e
	$as_user "$RH_COLLECT" --store "$store" --cluster t -q "$root/session_latest" \
		> "$tmp/out.$d" 2> "$tmp/err.$d"
	echo $? > "$tmp/rc.$d"
	set -e
done

python3 - "$tmp" "$RH_LS" "$store" <<'PY' || fail "see above"
import glob, json, os, re, subprocess, sys
tmp, ls, store = sys.argv[1:4]
tr = json.load(open(os.path.join(tmp, "trouble.json")))
problems = []
def node_of(d):
    sdir = os.path.realpath(os.path.join(tmp, "gen", d, "session_latest"))
    with open(os.path.join(sdir, "logs", "raylet.out"), "rb") as f:
        return os.path.basename(sdir), re.search(rb"node_id=([0-9a-f]{56})", f.read()).group(1).decode()
def cat(d, rel):
    session, node = node_of(d)
    r = subprocess.run([ls, "--store", store, "--cat", "default/t/%s/%s/%s" % (session, node, rel)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.stdout if r.returncode == 0 else None
def split(key):  # "<node dir>/<session>/<rel>" -> node dir, rel
    d, _, rest = key.partition("/")
    return d, rest.partition("/")[2]
bad_nodes = {split(k)[0] for k in tr["unreadable"]}
for rcfile in glob.glob(os.path.join(tmp, "rc.*")):
    d = rcfile.split("rc.", 1)[1]
    rc = int(open(rcfile).read())
    err = open(os.path.join(tmp, "err." + d)).read()
    if d in bad_nodes:
        if rc != 1:
            problems.append("%s: exit %d with unreadable paths, expected 1" % (d, rc))
        for k in tr["unreadable"]:
            nd, rel = split(k)
            if nd == d and ("skipped %s: not stored" % rel) not in err:
                problems.append("%s: %s not reported: %s" % (d, rel, err))
        if "2 paths not stored" not in err:
            problems.append("%s: no summary: %s" % (d, err))
    elif rc != 0:
        problems.append("%s: exit %d: %s" % (d, rc, err))
if not tr["copytruncated"]:
    problems.append("the generator truncated nothing")
for k, saved in tr["copytruncated"].items():
    d, rel = split(k)
    now = open(os.path.join(tmp, "gen", k), "rb").read()
    if cat(d, rel) != now:
        problems.append("%s: the current file does not read back" % k)
    if cat(d, rel + "~1") != open(saved, "rb").read():
        problems.append("%s~1: the bytes before copytruncate are lost" % k)
# logs/old/ was stored by the first capture: unreadable now, still there
for k in tr["unreadable"]:
    d, rel = split(k)
    if rel.endswith("logs/old"):
        old = os.path.join(tmp, "gen", k)
        os.chmod(old, 0o755)
        names = sorted(os.listdir(old))
        if not names:
            problems.append("%s: empty, nothing to check" % k)
        for name in names:
            if cat(d, rel + "/" + name) != open(os.path.join(old, name), "rb").read():
                problems.append("%s/%s: stored bytes lost" % (k, name))
    elif cat(d, rel) is not None:
        problems.append("%s: an unreadable file was stored?" % k)
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
pass
