#!/bin/sh
# rayhist-ls --grep prints what `LC_ALL=C grep -a -n` prints on the original
# folders (issue 14), with NODE/FILE in place of the folder: fixed strings,
# -i, basic and extended regexes, -C context, --max, --node, --file, lines
# across frame and work-unit edges (small --frame-size and
# RAYHIST_SEARCH_CHUNK), bytes outside UTF-8, a NUL, a 3 MB line, a last
# line without '\n'; exit statuses 0/1/2; --json is valid JSON. Then the
# same searches over a store captured in 64 KiB frames, which carry search
# filters, with work units of one frame: the frames a filter rules out are
# not read, and the lines are still grep's.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store

$RH_GEN session --out "$tmp/gen" --seed 14 >/dev/null 2>&1 || fail "raygen failed"
head=$(ls -d "$tmp"/gen/*head*/session_2*)
${PYTHON:-python3} "$top_srcdir/tests/gen/rg_search.py" "$head" 14 || fail "rg_search failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster rc1 --frame-size 4096 "$n" \
		>>"$tmp/collect.out" 2>&1 || fail "rayhist-collect $n failed: $(cat "$tmp/collect.out")"
done

check() {
${PYTHON:-python3} - "$1" "$tmp/gen" "$RH_LS" ${2:-} <<'PYEOF' || fail "search over $1 differs from grep"
import json, os, subprocess, sys, time

store, gen, ls = sys.argv[1:4]
# with a chunk size: only the cases below, with that chunk (filters)
only = int(sys.argv[4]) if len(sys.argv) > 4 else None
truth = json.load(open(os.path.join(gen, "truth.json")))
S = "default/rc1/" + truth["session"]["name"]
nodes = sorted((nd["node_id"], os.path.join(gen, nd["session_dir"]))
               for nd in truth["node_dirs"])
env = dict(os.environ, LC_ALL="C")


def nlines(b):
    """lines ending in '\n' (bytes.splitlines also cuts at '\r')"""
    return [x + b"\n" for x in b.split(b"\n")[:-1]]


def fail(msg):
    sys.exit("FAIL: " + msg)


def files_of(sdir, glob=None):
    out = []
    for root, dirs, names in os.walk(sdir):
        for n in names:
            p = os.path.join(root, n)
            # capture keeps links that stay inside the session only
            real = os.path.realpath(p)
            if os.path.isfile(p) and real.startswith(os.path.realpath(sdir) + "/"):
                out.append(os.path.relpath(p, sdir).encode())
    return sorted(out)


def expected(args, node=None, glob=None, maxn=None):
    """grep -n over each node's files in rayhist's order, prefixes mapped."""
    parts = []
    for nid, sdir in nodes:
        if node and nid != node:
            continue
        rels = [r for r in files_of(sdir)
                if glob is None or os.path.basename(r) == glob.encode()]
        if not rels:
            continue
        r = subprocess.run(["grep", "-a", "-n", "-H"] + args + ["--"] +
                           [os.path.join(sdir.encode(), x) for x in rels],
                           env=env, stdout=subprocess.PIPE)
        if r.returncode > 1:
            fail("grep %s failed" % args)
        pre = sdir.encode() + b"/"
        # one grep over all nodes would put "--" between them too
        if "-C" in args and parts and r.stdout:
            parts.append(b"--\n")
        for line in nlines(r.stdout):
            if line.startswith(pre):
                line = nid.encode() + b"/" + line[len(pre):]
            elif line != b"--\n":
                fail("unexpected grep line %r" % line[:80])
            parts.append(line)
    out = b"".join(parts)
    # grep prints "--" between groups of different files too
    if maxn is not None:
        kept, n = [], 0
        for line in nlines(out):
            if line != b"--\n" and line.split(b":", 2)[1:2] and \
               b":" in line and line.split(b"/", 1)[0] and \
               line.count(b":") >= 2 and is_match(line):
                n += 1
                if n > maxn:
                    break
            kept.append(line)
        out = b"".join(kept)
    return out


def is_match(line):
    # NODE/FILE:LINE:TEXT (file names here hold no ':')
    head = line.split(b":", 2)
    return len(head) == 3 and head[1].isdigit()


def run(args, chunk=None, status=None):
    e = dict(env)
    if chunk:
        e["RAYHIST_SEARCH_CHUNK"] = str(chunk)
    t0 = time.time()
    r = subprocess.run([ls, "--store", store] + args, env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    print("%.2fs %r chunk %s" % (time.time() - t0, args[:4], chunk), file=sys.stderr)
    if status is not None and r.returncode != status:
        fail("%s exited %d, want %d: %s" % (args, r.returncode, status,
                                            r.stderr.decode(errors="replace")))
    return r


cases = [
    (["-F"], "needle"),
    ([], "needle"),
    (["-i"], "needle"),
    (["-i", "-F"], "error"),
    (["-F"], "caf\xe9"),
    ([], "x1*2y"),
    (["-E"], "x[0-9]+y"),
    (["-E", "-i"], "^(alpha|beta) [a-z]+$"),
    ([], "^[0-9]*7 "),
    (["-E"], "needle$"),
    (["-F"], "LONGNEEDLE"),
    (["-E"], "LONGNEEDLE_(MID|END)"),
    (["-F"], "ERROR"),
    ([], "tab.here"),
    ([], ""),
]
for chunk in (only,) if only else (None, 5000, 61):
    for flags, pat in cases + [(["-F"], "LONGNEEDLE_AFTER"),
                               (["-F", "-i"], "longneedle_mid"),
                               (["-E"], "LONGNEEDLE_E[N]D")]:
        patb = pat.encode("latin-1")
        want = expected(flags + ["-e", patb])
        r = run(["--grep", patb] + flags + [S], chunk=chunk,
                status=0 if want else 1)
        if r.stdout != want:
            a, b = nlines(r.stdout), nlines(want)
            for i in range(max(len(a), len(b))):
                x = a[i] if i < len(a) else None
                y = b[i] if i < len(b) else None
                if x != y:
                    fail("--grep %r %s chunk %s: line %d:\n got  %r\n want %r"
                         % (pat, flags, chunk, i, (x or b"")[:200], (y or b"")[:200]))
            fail("differs")
if only:
    print("ok")
    sys.exit(0)
# -C context: grep's "-" lines and "--" separators
for chunk in (None, 333):
    for n in (1, 3):
        for flags, pat in ((["-F"], "needle"), (["-E"], "LONGNEEDLE_(MID|AFTER)"),
                           (["-F"], "ERROR")):
            want = expected(flags + ["-C", str(n), "-e", pat])
            r = run(["--grep", pat, "-C", str(n)] + flags + [S], chunk=chunk,
                    status=0)
            if r.stdout != want:
                fail("-C %d %r chunk %s:\n%s\n----want\n%s" % (
                    n, pat, chunk, r.stdout[:3000].decode(errors="replace"),
                    want[:3000].decode(errors="replace")))
# --node, --file, NODE in PATH
head_id = next(nd["node_id"] for nd in truth["node_dirs"] if nd["is_head"])
want = expected(["-F", "-e", "needle"], node=head_id, glob="search_many.log")
r = run(["--grep", "needle", "-F", "--node", head_id[:10], "--file",
         "search_many.log", S], status=0)
if r.stdout != want or not want:
    fail("--node/--file")
r = run(["--grep", "needle", "-F", S + "/" + head_id[:8] + "/logs/search_many.log"],
        status=0)
if r.stdout != want:
    fail("NODE/FILE in PATH")
# --max N: the first N matching lines in all, across files
for m in (1, 5, 250):
    full = nlines(run(["--grep", "needle", S], status=0).stdout)
    r = run(["--grep", "needle", "--max", str(m), S], status=0, chunk=7000)
    if r.stdout != b"".join(full[:m]):
        fail("--max %d: %r" % (m, r.stdout[-200:]))
# exit statuses: 1 for no match, 2 for a bad regex or path
run(["--grep", "no such string anywhere", S], status=1)
run(["--grep", "a[", S], status=2)
run(["--grep", "(", "-E", S], status=2)
run(["--grep", "x", "default/rc1/session_nope"], status=2)
run(["--grep", "x", S + "/ffff"], status=2)
run(["--grep", "x", "--node", "ffff", S], status=2)
# --json: valid JSON with the bytes outside UTF-8 mapped, one row a line
r = run(["--grep", "needle", "--json", "--file", "search_binary.log", S], status=0)
rows = json.loads(r.stdout)
want = [x[:-1] for x in nlines(expected(["-e", "needle"], glob="search_binary.log"))]
if len(rows) != len(want) or not all(x["match"] for x in rows):
    fail("--json rows: %r" % rows)
for row, w in zip(rows, want):
    node, rest = w.split(b"/", 1)
    fname, line, text = rest.split(b":", 2)
    if (row["node"].encode(), row["file"].encode(), str(row["line"]).encode()) != \
       (node, fname, line):
        fail("--json row %r vs %r" % (row, w))
    # U+EF80..U+EFFF stand for single bytes 0x80..0xff
    back = b"".join(bytes([ord(c) - 0xEF00]) if 0xEF80 <= ord(c) <= 0xEFFF
                    else c.encode() for c in row["text"])
    if back != text:
        fail("--json text %r vs %r" % (back, text))
print("ok")
PYEOF
}
check "$store"
# Search filters are written for frames of 64 KiB or more.
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$tmp/store64k" --cluster rc1 --frame-size 65536 "$n" \
		>>"$tmp/collect.out" 2>&1 || fail "rayhist-collect $n failed: $(cat "$tmp/collect.out")"
done
check "$tmp/store64k" 65536
pass
