"""rayhist-serve and rayhist-ls over a read-only store (serve_readonly.sh).

DIR/ro is a store nobody may write (chmod a-w; read as nobody when root),
DIR/rw and DIR/flag are writable copies of it. Checks that:
- a server over ro answers as one over rw, session by session;
- nothing in ro changes, and the indexes land in --cache-dir
  (DIR/cache/<hash>/NS/CLUSTER/SESSION/index/session.idx), or in the
  default $HOME/.cache/rayhist without --cache-dir;
- a restarted server (and rayhist-ls) reuses the cached index: not rebuilt;
- --read-only writes nothing even to a writable store;
- --cache-dir-max bounds the folder, least recently used out first.
"""
import glob
import json
import os
import subprocess
import sys
import time

from rhserve import Server, check, fail, finish

tmp = sys.argv[1]
as_user = os.environ.get("AS_USER", "").split()
builddir = os.environ.get("top_builddir", ".")
LS = os.path.join(builddir, "bin", "rayhist-ls")
RO, RW, FLAG = (os.path.join(tmp, d) for d in ("ro", "rw", "flag"))

SESSIONS = []
for c in ("c1", "c2", "c3"):
    (name,) = os.listdir(os.path.join(RO, "default", c))
    SESSIONS.append("default/%s/%s" % (c, name))
PAGES = ["api/jobs/", "api/v0/tasks?limit=1000&detail=1", "logical/actors",
         "api/v0/tasks/summarize", "nodes?view=summary"]


class UserServer(Server):
    """A server run as the test's unprivileged user."""

    def __init__(self, store, *args):
        Server.__init__(self, store, *args)
        self.args = as_user + self.args


def listing(root):
    """Every path under root with its size and mtime."""
    out = []
    for d, dirs, files in os.walk(root):
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            out.append((os.path.relpath(p, root), st.st_size, st.st_mtime_ns, st.st_mode))
    return sorted(out)


def cached_indexes(cache):
    """{session: (size, inode)} of the indexes under a cache folder (a
    rebuilt index is a new file: a new inode)."""
    got = {}
    for p in glob.glob(os.path.join(cache, "*", "*", "*", "*", "index", "session.idx")):
        parts = p[len(cache) + 1:].split(os.sep)
        st = os.stat(p)
        got["/".join(parts[1:4])] = (st.st_size, st.st_ino)
    return got


def comparable(body):
    """The answer without "now" fields (the time of the request)."""
    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k != "now"}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    try:
        return strip(json.loads(body.decode("utf-8")))
    except ValueError:
        return body


def answers(srv):
    got = {}
    for s in SESSIONS:
        base = "/c/%s/" % s
        srv.wait_ready(base)
        for page in PAGES:
            st, _, body = srv.get(base + page)
            check(st == 200, "%s%s: %d %.200r" % (base, page, st, body))
            got[(s, page)] = comparable(body)
    return got


def first_status(srv, s):
    st, _, _ = srv.get("/c/%s/api/jobs/" % s)
    return st


# ---- the same answers over a writable store and a read-only one ----------
with Server(RW) as srv:
    want = answers(srv)
check(len(cached_indexes(RW)) == 0, "sanity: the writable store has no cache layout")
check(all(os.path.exists(os.path.join(RW, s, "index", "session.idx")) for s in SESSIONS),
      "the writable store did not get its indexes")

before = listing(RO)
cache = os.path.join(tmp, "cache", "dir")
with UserServer(RO, "--cache-dir", cache) as srv:
    got = answers(srv)
for k in want:
    check(got.get(k) == want[k], "%s %s: the read-only store answers differently" % k)
check(listing(RO) == before, "the read-only store changed")
idx = cached_indexes(cache)
check(sorted(idx) == sorted(SESSIONS), "cache holds indexes of %r" % sorted(idx))
check(len(os.listdir(cache)) == 1, "one folder per store: %r" % os.listdir(cache))

# ---- a restart and rayhist-ls reuse the cached indexes -------------------
with UserServer(RO, "--cache-dir", cache) as srv:
    again = answers(srv)
check(again == want, "answers changed after a restart")
r = subprocess.run(as_user + [LS, "--store", RO, "--cache-dir", cache, "-q", "--jobs", SESSIONS[0]],
                   capture_output=True)
check(r.returncode == 0 and b"SUBMISSION" in r.stdout, "rayhist-ls: %r" % (r,))
now = cached_indexes(cache)
for s in SESSIONS:
    check(now.get(s) == idx[s], "%s: the cached index was rebuilt" % s)
check(listing(RO) == before, "the read-only store changed (restart, rayhist-ls)")

# ---- without --cache-dir: $HOME/.cache/rayhist ----------------------------
r = subprocess.run(as_user + [LS, "--store", RO, "-q", "--tasks", SESSIONS[1]], capture_output=True)
check(r.returncode == 0, "rayhist-ls, default cache folder: %r" % (r,))
home_cache = os.path.join(os.environ["HOME"], ".cache", "rayhist")
check(SESSIONS[1] in cached_indexes(home_cache), "no index in the default cache folder")

# ---- no usable cache folder: the refusal is said -------------------------
if as_user:
    r = subprocess.run(as_user + [LS, "--store", RO, "-q", "--jobs", SESSIONS[2],
                                  "--cache-dir", os.path.join(RO, "cache")], capture_output=True)
    check(r.returncode == 1 and b"Permission denied" in r.stderr, "unwritable cache folder: %r" % (r,))

# ---- --read-only: nothing written even where it could be ------------------
before_flag = listing(FLAG)
flag_cache = os.path.join(tmp, "cache", "flag")
with Server(FLAG, "--read-only", "--cache-dir", flag_cache) as srv:
    got = answers(srv)
for k in want:
    check(got.get(k) == want[k], "%s %s: --read-only answers differently" % k)
check(listing(FLAG) == before_flag, "--read-only wrote to the store")
check(sorted(cached_indexes(flag_cache)) == sorted(SESSIONS), "--read-only: indexes not cached")
r = subprocess.run([os.path.join(builddir, "bin", "rayhist-serve"), "--store", FLAG, "--read-only",
                    "--max-age", "1d"], capture_output=True)
check(r.returncode == 2 and b"retention" in r.stderr, "--read-only with retention: %r" % (r,))

# ---- --cache-dir-max: least recently used out first -----------------------
sizes = {s: idx[s][0] for s in SESSIONS}
bound = sum(sizes.values()) - 1    # all three do not fit, any two do
small = os.path.join(tmp, "cache", "small")


def ls_jobs(s):
    r = subprocess.run(as_user + [LS, "--store", RO, "--cache-dir", small, "--cache-dir-max",
                                  str(bound), "-q", "--jobs", s], capture_output=True)
    check(r.returncode == 0, "rayhist-ls %s: %r" % (s, r))
    time.sleep(1.1)    # uses are told apart by the files' mtimes


ls_jobs(SESSIONS[0])
ls_jobs(SESSIONS[1])
ls_jobs(SESSIONS[0])   # used again: now SESSIONS[1] is the least recent
ls_jobs(SESSIONS[2])
check(sorted(cached_indexes(small)) == sorted([SESSIONS[0], SESSIONS[2]]),
      "after the bound: %r" % sorted(cached_indexes(small)))
tiny = os.path.join(tmp, "cache", "tiny")
with UserServer(RO, "--cache-dir", tiny, "--cache-dir-max", "1") as srv:
    for s in SESSIONS:
        srv.wait_ready("/c/%s/" % s)
        check(list(cached_indexes(tiny)) == [s], "a 1-byte bound keeps the last index only: %r"
              % list(cached_indexes(tiny)))
check(listing(RO) == before, "the read-only store changed")
finish("serve_readonly")
