"""Identical requests in flight share one computation (run by
serve_coalesce.sh). argv: STORE GEN_DIR TMP.

The server runs with no kept answers (--cache-size 0) and one worker that
holds every answer RAYHIST_TEST_ANSWER_DELAY_MS before computing it, so the
requests sent at once below all arrive while the first is computed. Then:
N identical requests compute once (/metrics: one miss, N-1 coalesced) and
all get the same bytes; an error answer goes to all of them; requests that
differ in what the answer depends on (Accept-Encoding, HEAD) get their own;
a streamed answer (a whole log) is streamed to each client in full; clients
that leave while they wait harm neither the others nor the server (which
the ASan build checks)."""

import gzip
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

from rhserve import Server, check, finish, session_base

STORE, GEN, TMP = sys.argv[1:4]
with open(os.path.join(GEN, "truth.json")) as f:
    TRUTH = json.load(f)
BASE = session_base(TRUTH)
HEAD = [n for n in TRUTH["node_dirs"] if n["is_head"]][0]
TASKS = BASE + "api/v0/tasks?detail=1&limit=1000"
MISSING = BASE + "api/v0/logs/file?node_id=%s&filename=no-such.log&lines=10" % HEAD["node_id"]
STREAM_MIN = 256 << 10   # include/rayhist/dashboard.h RH_DASHBOARD_STREAM_MIN
DELAY_MS = 1000


def raw(srv, target, method="GET", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
    try:
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def metrics(srv):
    st, h, body = raw(srv, "/metrics")
    out = {}
    for line in body.decode().splitlines():
        if line.startswith('rayhist_answer_cache_requests_total{result="miss"}'):
            out["miss"] = float(line.split()[-1])
        elif line.startswith("rayhist_answer_coalesced_total"):
            out["coalesced"] = float(line.split()[-1])
    return out.get("miss", 0.0), out.get("coalesced", 0.0)


def at_once(srv, reqs):
    """Send every (target, method, headers) of reqs at the same time, each
    on its own connection; their answers in order."""
    answers = [None] * len(reqs)
    go = threading.Barrier(len(reqs))

    def one(i):
        target, method, headers = reqs[i]
        go.wait()
        try:
            answers[i] = raw(srv, target, method, headers)
        except Exception as e:  # noqa: BLE001 - any failure is the test's
            answers[i] = (0, {}, repr(e).encode())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(reqs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def biggest_log():
    logs = os.path.join(GEN, HEAD["session_dir"], "logs")
    best = None
    for d, _, files in os.walk(logs):
        for name in files:
            p = os.path.join(d, name)
            if name.endswith((".out", ".err", ".log")) and (best is None or os.path.getsize(p) > os.path.getsize(best)):
                best = p
    return os.path.relpath(best, logs), best


os.environ["RAYHIST_TEST_ANSWER_DELAY_MS"] = str(DELAY_MS)
with Server(STORE, "--cache-size", "0", "--threads", "1") as srv:
    srv.wait_ready(BASE, timeout=300)
    st, h, want = raw(srv, TASKS)
    check(st == 200 and len(want) > 1000, "%s: %d, %d bytes" % (TASKS, st, len(want)))
    st, h, want_missing = raw(srv, MISSING)
    check(st == 404, "%s: %d, expected 404" % (MISSING, st))

    # ---- N identical requests: computed once, the same bytes to all ------------------
    n = 16
    miss0, co0 = metrics(srv)
    answers = at_once(srv, [(TASKS, "GET", None)] * n)
    for i, (st, h, body) in enumerate(answers):
        check(st == 200 and body == want, "identical request %d: %d, %d bytes (want %d)"
              % (i, st, len(body), len(want)))
        check("x-rayhist-cache" not in h, "identical request %d: said kept with no cache" % i)
    miss1, co1 = metrics(srv)
    check(miss1 - miss0 == 1 and co1 - co0 == n - 1,
          "%d identical requests: %d computed, %d coalesced (want 1 and %d)"
          % (n, miss1 - miss0, co1 - co0, n - 1))

    # ---- an error goes to every request that waited for it ---------------------------
    answers = at_once(srv, [(MISSING, "GET", None)] * 8)
    for i, (st, h, body) in enumerate(answers):
        check(st == 404 and body == want_missing, "waiting for an error %d: %d %.200r" % (i, st, body))
    miss2, co2 = metrics(srv)
    check(co2 - co1 == 7, "8 identical failing requests: %d coalesced, want 7" % (co2 - co1))

    # ---- what differs is not mixed up: gzip, HEAD ------------------------------------
    reqs = ([(TASKS, "GET", {"Accept-Encoding": "gzip"})] * 4 + [(TASKS, "GET", None)] * 4
            + [(TASKS, "HEAD", None)] * 4)
    answers = at_once(srv, reqs)
    for i, ((target, method, hd), (st, h, body)) in enumerate(zip(reqs, answers)):
        if method == "HEAD":
            check(st == 200 and body == b"" and h.get("content-length") == str(len(want)),
                  "HEAD %d among GETs: %d, %d bytes, length %r" % (i, st, len(body), h.get("content-length")))
        elif hd:
            check(st == 200 and h.get("content-encoding") == "gzip" and gzip.decompress(body) == want,
                  "gzip %d among plain: %d, %r" % (i, st, h.get("content-encoding")))
        else:
            check(st == 200 and "content-encoding" not in h and body == want,
                  "plain %d among gzip: %d, %r, %d bytes" % (i, st, h.get("content-encoding"), len(body)))
    miss3, co3 = metrics(srv)
    check(co3 - co2 == 9, "3 kinds of 4 requests: %d coalesced, want 9" % (co3 - co2))

    # ---- clients that leave while they wait -----------------------------------------
    leavers = []
    for i in range(6):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % TASKS).encode())
        leavers.append(s)
    stayed = []
    waiting = threading.Thread(target=lambda: stayed.extend(at_once(srv, [(TASKS, "GET", None)] * 4)))
    waiting.start()
    time.sleep(DELAY_MS / 4000)     # all in flight, the answer not done
    for s in leavers[:3]:
        s.close()
    for s in leavers[3:]:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()                   # a reset
    waiting.join()
    answers = stayed
    check(len(answers) == 4, "%d answers for the 4 that stayed" % len(answers))
    for i, (st, h, body) in enumerate(answers):
        check(st == 200 and body == want, "stayed %d while others left: %d, %d bytes" % (i, st, len(body)))
    st, h, body = raw(srv, TASKS)
    check(st == 200 and body == want, "after clients left: %d, %d bytes" % (st, len(body)))

    # ---- a streamed answer is streamed to each ---------------------------------------
    rel, path = biggest_log()
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= STREAM_MIN, "the biggest log %s is %d bytes, too small to stream" % (rel, len(data)))
    whole = BASE + "api/v0/logs/file?" + urllib.parse.urlencode(
        {"node_id": HEAD["node_id"], "filename": rel, "lines": -1, "format": "text"})
    answers = at_once(srv, [(whole, "GET", None)] * 6)
    for i, (st, h, body) in enumerate(answers):
        check(st == 200 and body == data, "streamed %d: %d, %d bytes (want %d)" % (i, st, len(body), len(data)))

finish("serve_coalesce")
