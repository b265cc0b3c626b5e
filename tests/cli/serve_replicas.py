"""Two rayhist-serve replicas over one store (serve_replicas.sh).

- A user's requests alternate between replicas A and B: once A has indexed
  the session, B answers 200 on its first request (no 202 "preparing") and
  builds nothing: the index object in the store is the one A wrote.
- Both replicas building the same session at once (the index build slowed
  down by RAYHIST_TEST_INDEX_DELAY_MS so that the builds overlap) leave one
  whole index: both serve the same answers, and a third server opens it
  without building again.
Builds are counted by each server's rayhist_session_index_builds_total and,
on a file:// store, by the index object: every build writes a new file (a
new inode).
"""
import json
import os
import re
import subprocess
import sys
import time

from rhserve import Server, check, finish, session_base

store, tmp = sys.argv[1:3]
truth = json.load(open(os.path.join(tmp, "gen", "truth.json")))
BASE = session_base(truth)
S = truth["session"]["name"]
PAGES = ["api/jobs/", "api/v0/tasks?limit=1000", "logical/actors", "api/v0/tasks/summarize"]
is_file = "://" not in store or store.startswith("file://")
root = store[len("file://"):] if store.startswith("file://") else store
INDEX = os.path.join(root, "default", "rc1", S, "index", "session.idx")


def index_id():
    """Who wrote the index: (inode, mtime) of the file; None when absent."""
    if not is_file:
        return None
    try:
        st = os.stat(INDEX)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def fresh_store():
    """Forget the index (a file:// store only)."""
    if is_file and os.path.exists(INDEX):
        os.unlink(INDEX)


def builds(srv):
    """rayhist_session_index_builds_total of a server's /metrics."""
    st, _, body = srv.get("/metrics")
    m = re.search(rb"^rayhist_session_index_builds_total (\d+)", body, re.M)
    check(st == 200 and m is not None, "/metrics has no index build count")
    return int(m.group(1)) if m else -1


def body_of(srv, page):
    st, _, body = srv.get(BASE + page)
    return st, body


# ---- alternating requests: one build, one "preparing" ----------------------
fresh_store()
with Server(store) as a, Server(store) as b:
    a.wait_ready(BASE)
    built = index_id()
    if is_file:
        check(built is not None, "replica A wrote no index")
    statuses = []
    answers = {}
    for i in range(12):
        srv = (a, b)[i % 2]
        page = PAGES[(i // 2) % len(PAGES)]
        st, body = body_of(srv, page)
        statuses.append(st)
        if st == 200:
            answers.setdefault(page, set()).add(body)
    check(statuses == [200] * len(statuses),
          "after A indexed the session, requests alternating A/B answered %r" % statuses)
    for page, bodies in answers.items():
        check(len(bodies) == 1, "%s: the replicas answer differently" % page)
    # B's background check for new events finds none: still A's index
    time.sleep(1.5)
    for page in PAGES:
        body_of(b, page)
    check(index_id() == built, "replica B built the index again")
    check(builds(a) == 1 and builds(b) == 0,
          "index builds: A %d, B %d (expected 1 and 0)" % (builds(a), builds(b)))

# ---- a restarted replica: no "preparing" either ----------------------------
with Server(store) as c:
    st, body = body_of(c, "api/jobs/")
    check(st == 200, "a new replica over an indexed session answered %d %.200r" % (st, body))
    time.sleep(1.5)    # its background check for new events
    body_of(c, "api/jobs/")
    check(builds(c) == 0, "the new replica built %d indexes" % builds(c))
check(index_id() == built, "the new replica built the index again")

# ---- two replicas building at once -----------------------------------------
if is_file:
    fresh_store()
    env = dict(os.environ, RAYHIST_TEST_INDEX_DELAY_MS="30")
    saved = os.environ.copy()
    os.environ.update(env)
    try:
        with Server(store) as a, Server(store) as b:
            # both find no index and start building
            sa, _ = body_of(a, "api/jobs/")
            sb, _ = body_of(b, "api/jobs/")
            check(sa == 202 and sb == 202, "both replicas should be preparing: %d %d" % (sa, sb))
            a.wait_ready(BASE)
            b.wait_ready(BASE)
            for page in PAGES:
                ra, rb = body_of(a, page), body_of(b, page)
                check(ra[0] == 200 and ra == rb, "%s: after a race the replicas differ" % page)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    raced = index_id()
    check(raced is not None, "no index after the race")
    leftovers = [n for n in os.listdir(os.path.dirname(INDEX)) if n != "session.idx"]
    check(not leftovers, "temporary files left: %r" % leftovers)
    builddir = os.environ.get("top_builddir", ".")
    r = subprocess.run([os.path.join(builddir, "bin", "rayhist-ls"), "--store", store, "-q",
                        "--jobs", "default/rc1/" + S], capture_output=True)
    check(r.returncode == 0 and not r.stderr.strip(b"\n").endswith(b"damaged"),
          "rayhist-ls after the race: %r" % (r,))
    check(index_id() == raced, "the index left by the race was not current: rebuilt")
finish("serve_replicas")
