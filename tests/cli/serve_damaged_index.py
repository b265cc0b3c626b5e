"""rayhist-serve over a store whose session index was damaged after it was
written (serve_damaged_index.sh).

For each of several places in the index object (its first bytes, pages
through the middle, its last bytes) 32 bytes are flipped; a fresh server
must then answer every page the same as from the intact index, within a
rebuild's time: a damaged page read while the snapshot is built, or later
by a request, makes the server rebuild the index from the events. Before
this, a page that failed its checksum answered 500 "cannot open session"
until the server restarted, and again after.
"""
import os
import shutil
import sys
import time

from rhserve import Server, check, finish, session_base
import json

store, tmp = sys.argv[1:3]
truth = json.load(open(os.path.join(tmp, "gen", "truth.json")))
BASE = session_base(truth)
S = truth["session"]["name"]
INDEX = os.path.join(store, "default", "rc1", S, "index", "session.idx")
PAGES = ["api/v0/tasks?limit=1000&detail=1", "api/v0/actors?limit=1000&detail=1",
         "api/jobs/", "api/v0/tasks/summarize", "nodes?view=summary",
         "api/v0/tasks?limit=5&filter_keys=state&filter_predicates=%3D&filter_values=FAILED"]


def answers(srv, timeout=60):
    """Every page's 200 body; a page still failing after `timeout` s is
    recorded as its last status."""
    out = {}
    for p in PAGES:
        deadline = time.time() + timeout
        while True:
            st, _, body = srv.request(BASE + p)
            if st == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        out[p] = body if st == 200 else st
    return out


def stable(body):
    """The answer without the fields that say when it was made."""
    if not isinstance(body, bytes):
        return body
    try:
        obj = json.loads(body)
    except ValueError:
        return body

    def strip(o):
        if isinstance(o, dict):
            return {k: strip(v) for k, v in o.items() if k not in ("now", "timestamp")}
        if isinstance(o, list):
            return [strip(v) for v in o]
        return o
    return strip(obj)


with Server(store) as srv:
    srv.wait_ready(BASE)
    want = {p: stable(b) for p, b in answers(srv).items()}
for p, b in want.items():
    check(not isinstance(b, int), "%s: intact index answered %r" % (p, b))

intact = open(INDEX, "rb").read()
size = len(intact)
places = [0, 64] + [size * k // 8 for k in range(1, 8)] + [size - 48]
for off in places:
    damaged = bytearray(intact)
    for i in range(off, min(off + 32, size)):
        damaged[i] ^= 0xA5
    with open(INDEX, "wb") as f:
        f.write(damaged)
    with Server(store) as srv:
        got = answers(srv)
        # and once more, from whatever the server now keeps
        again = answers(srv, timeout=5)
    bad = [p for p in PAGES if stable(got[p]) != want[p] or stable(again[p]) != want[p]]
    for p in bad:
        check(False, "index damaged at %d of %d: %s answered %.200r, then %.200r"
              % (off, size, p, got[p], again[p]))
    if bad:
        break       # (each wrong page waited a minute: one place says enough)
    check(open(INDEX, "rb").read() != bytes(damaged),
          "index damaged at %d: still the damaged object after the answers" % off)
print("%d damaged places, %d pages each: all answered as from the intact index"
      % (len(places), len(PAGES)))
finish("serve_damaged_index")
