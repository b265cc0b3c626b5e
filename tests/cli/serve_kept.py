"""Kept answers sent by reference from rayhist-serve's event loop (run by
serve_kept.sh). argv: STORE GEN_DIR TMP.

A kept answer (the second identical request) must be the computed one byte
for byte, headers included (less X-Rayhist-Cache and Date), for GET, HEAD and
gzip; large bodies go out with sendfile() from a memfd, small ones by
reference. 64 clients at once all get whole, right bodies; clients that
leave mid-answer harm nothing (the server checks its references under
ASan); authentication still refuses whoever may not read the namespace,
kept answer or not; /metrics counts the hits."""

import http.client
import json
import os
import socket
import sys
import threading
import time

from rhserve import Server, check, fail, finish, session_base

STORE, GEN, TMP = sys.argv[1:4]
with open(os.path.join(GEN, "truth.json")) as f:
    TRUTH = json.load(f)
BASE = session_base(TRUTH)
HEAD_NODE = [n for n in TRUTH["node_dirs"] if n["is_head"]][0]["node_id"]
BIG_TASKS = BASE + "api/v0/tasks?detail=1&limit=10000"
SMALL = BASE + "api/v0/actors?detail=1"
TAIL = BASE + "api/v0/logs/file?node_id=%s&filename=raylet.out&lines=1000" % HEAD_NODE
TARGETS = (BIG_TASKS, SMALL, TAIL)
MEMFD_MIN = 32 << 10    # lib/dashboard_cache.c FD_MIN_BODY


def raw(srv, target, method="GET", headers=None, conn=None):
    """(status, [(name, value)] in the order sent, body bytes as sent)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        if not conn:
            c.close()


def comparable(hdrs):
    """The headers a kept answer must repeat exactly: all but the clock and
    the mark of where it came from."""
    return [(k.lower(), v) for k, v in hdrs if k.lower() not in ("date", "x-rayhist-cache")]


def hit(hdrs):
    return dict((k.lower(), v) for k, v in hdrs).get("x-rayhist-cache") == "hit"


def metric(srv, result):
    st, h, body = raw(srv, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith('rayhist_answer_cache_requests_total{result="%s"}' % result):
            return float(line.split()[-1])
    return 0.0


with Server(STORE) as srv:
    srv.wait_ready(BASE)
    want = {}
    # ---- a kept answer is the computed one ---------------------------------------------
    for target in TARGETS:
        for hd in ({}, {"Accept-Encoding": "gzip"}):
            st1, h1, b1 = raw(srv, target, headers=hd)
            st2, h2, b2 = raw(srv, target, headers=hd)
            check(st1 == 200 and not hit(h1), "%s %r: the first answer was kept" % (target, hd))
            check(st2 == 200 and hit(h2), "%s %r: the second was not kept: %r" % (target, hd, h2))
            check(b2 == b1, "%s %r: kept body differs (%d vs %d bytes)" % (target, hd, len(b2), len(b1)))
            check(comparable(h2) == comparable(h1), "%s %r: kept headers differ:\n%r\n%r"
                  % (target, hd, comparable(h1), comparable(h2)))
            st3, h3, b3 = raw(srv, target, method="HEAD", headers=hd)
            check(st3 == 200 and b3 == b"" and hit(h3) and comparable(h3) == comparable(h1),
                  "%s %r: HEAD of a kept answer: %d %r" % (target, hd, st3, h3))
            if not hd:
                want[target] = b1
    check(len(want[BIG_TASKS]) >= MEMFD_MIN and len(want[TAIL]) >= MEMFD_MIN,
          "the large answers are too small to be sent from a memfd: %d, %d"
          % (len(want[BIG_TASKS]), len(want[TAIL])))
    check(len(want[SMALL]) < MEMFD_MIN, "the small answer is %d bytes" % len(want[SMALL]))
    hits0 = metric(srv, "hit")

    # ---- 64 clients at once, 4 requests each on one connection -------------------------
    errors = []

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        try:
            for j in range(4):
                target = TARGETS[(i + j) % len(TARGETS)]
                st, h, body = raw(srv, target, conn=conn)
                if st != 200 or not hit(h) or body != want[target]:
                    errors.append("client %d request %d %s: %d, hit %s, %d bytes (want %d)"
                                  % (i, j, target, st, hit(h), len(body), len(want[target])))
        except Exception as e:  # noqa: BLE001 - any failure is the test's
            errors.append("client %d: %r" % (i, e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "concurrent clients: %d failures, first %s" % (len(errors), errors[:3]))
    check(metric(srv, "hit") - hits0 >= 64 * 4, "/metrics counted %r hits for 256 kept answers"
          % (metric(srv, "hit") - hits0))

    # ---- clients that leave mid-answer --------------------------------------------------
    for i in range(48):
        s = socket.create_connection(("127.0.0.1", srv.port))
        target = (BIG_TASKS, TAIL)[i % 2]
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target).encode() * (1 + i % 3))
        if i % 4 == 1:
            s.recv(1000)            # part of the answer, then gone
        if i % 4 == 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()                   # (with SO_LINGER 0: a reset)
    for target in TARGETS:
        st, h, body = raw(srv, target)
        check(st == 200 and hit(h) and body == want[target], "%s after clients left: %d, %d bytes"
              % (target, st, len(body)))

# ---- authentication: a kept answer goes only to who may read it -------------------------
tokens = os.path.join(TMP, "tokens")
with open(tokens, "w") as f:
    f.write("all-0123456789 *\ndefault-abcdef default\nteam-abcdef team\n")
with Server(STORE, "--auth-tokens", tokens) as srv:
    for _ in range(600):     # the index is loaded on the first visit
        if raw(srv, BIG_TASKS, method="HEAD", headers={"Authorization": "Bearer all-0123456789"})[0] != 202:
            break
        time.sleep(0.1)
    for tok in ("all-0123456789", "default-abcdef"):
        auth = {"Authorization": "Bearer " + tok}
        # The server's first visit may start a background refresh that
        # gives the session a new snapshot (and so new kept answers) between
        # two requests: ask until the answer comes from the cache; each
        # answer must be the right one.
        for _ in range(5):
            st, h, body = raw(srv, BIG_TASKS, headers=auth)
            check(st == 200 and body == want[BIG_TASKS], "%s: answer %d %r" % (tok, st, h))
            if hit(h):
                break
        check(hit(h), "%s: never a kept answer %d %r" % (tok, st, h))
    for hd, status in (({}, 401), ({"Authorization": "Bearer nope"}, 401),
                       ({"Authorization": "Bearer team-abcdef"}, 403)):
        for method in ("GET", "HEAD"):
            st, h, body = raw(srv, BIG_TASKS, method=method, headers=hd)
            check(st == status and not hit(h) and b"task_id" not in body,
                  "%s %r: %d, a kept answer to whom may not read it" % (method, hd, st))

finish("serve_kept")
