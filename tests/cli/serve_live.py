"""A live session served while it grows (tests/cli/serve_live.sh, and
bench/live.sh with --bench).

A generated session is replayed into a following rayhist-collect in
rounds: each round posts the next aggregator batches to its receiver and
appends the next slice of every captured export event file (cut in the
middle of a line). rayhist-serve (--refresh 1s) is queried all along; the
task count it answers never goes back, and once everything has arrived it
answers exactly what a server building the same objects from scratch
answers, endpoint for endpoint, from byte-identical indexes. Halfway, the
server is killed with SIGKILL and started again, which changes nothing in
the end. Each event object is read about once: the server's
rayhist_index_event_objects_read_total stays under twice the number of
event objects, where rebuilding at every update reads them all each time.

Usage: serve_live.py TMP GEN_DIR [--rounds N] [--bench]
"""

import argparse
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from rhserve import Server, check, fail, finish

ENDPOINTS = [
    "api/v0/tasks?limit=10000&detail=1",
    "api/v0/tasks?limit=10000&detail=0&filter_keys=state&filter_predicates=%3D&filter_values=FINISHED",
    "api/v0/tasks/summarize?summary_by=func_name",
    "api/v0/actors?limit=10000&detail=1",
    "api/v0/nodes?limit=10000&detail=1",
    "api/v0/placement_groups?limit=10000&detail=1",
    "api/jobs/",
]


def post(url, path):
    with open(path, "rb") as f:
        req = urllib.request.Request(url, data=f.read(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


def metric(srv, name):
    st, _, body = srv.get("/metrics")
    m = re.search(rb"^" + name.encode() + rb" ([0-9.e+]+)", body, re.M)
    return float(m.group(1)) if m else 0.0


def event_objects(store, session):
    n = 0
    for d in glob.glob(os.path.join(store, "default", "live", session, "events")):
        n += len(os.listdir(d))
    for p in glob.glob(os.path.join(store, "default", "live", session, "nodes", "*",
                                    "files", "logs", "*events", "*")):
        n += 1
    return n


def task_count(srv, base):
    st, _, body = srv.request(base + "api/v0/tasks?limit=1&detail=0")
    if st != 200:
        return None
    return json.loads(body)["data"]["result"]["total"]


def answers(srv, base):
    out = {}
    for e in ENDPOINTS:
        st, _, body = srv.request(base + e)
        check(st == 200, "%s: status %d" % (e, st))
        doc = json.loads(body) if st == 200 else None
        if isinstance(doc, dict):
            doc.pop("msg", None)
        out[e] = doc
    return out


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tmp")
    ap.add_argument("gen")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--flush", default="0.2")
    a = ap.parse_args()
    builddir = os.environ.get("top_builddir", ".")
    store = os.path.join(a.tmp, "store")
    root = glob.glob(os.path.join(a.gen, "*-head-*"))[0]
    session = os.path.basename(os.path.realpath(os.path.join(root, "session_latest")))
    sdir = os.path.join(root, session)
    batches = sorted(glob.glob(os.path.join(a.gen, "aggregator", "*.json")))
    raw = sum(os.path.getsize(b) for b in batches)
    raw += sum(os.path.getsize(p) for p in glob.glob(os.path.join(sdir, "logs", "*events", "*")))
    # hold the export event files back: they grow round by round
    grow = {}
    for p in sorted(glob.glob(os.path.join(sdir, "logs", "export_events", "*.log"))):
        with open(p, "rb") as f:
            grow[p] = f.read()
        open(p, "wb").close()
    clog = open(os.path.join(a.tmp, "collect.log"), "wb")
    coll = subprocess.Popen([os.path.join(builddir, "bin", "rayhist-collect"), "--follow",
                             "--store", store, "--cluster", "live", "--ray-root", root,
                             "--state-dir", os.path.join(a.tmp, "state"),
                             "--flush-interval", a.flush, "--events-pack-interval", "0",
                             "--events-listen", "127.0.0.1:0"],
                            stdout=clog, stderr=subprocess.STDOUT)
    port = None
    for _ in range(600):
        with open(os.path.join(a.tmp, "collect.log"), "rb") as f:
            m = re.search(rb"receiving events on http://[^ ]*:(\d+)/v1/events", f.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if not port:
        coll.kill()
        raise SystemExit("the collector did not start")
    events_url = "http://127.0.0.1:%d/v1/events" % port
    base = "/c/default/live/%s/" % session
    srv = Server(store, "--refresh", "1s")
    srv.__enter__()
    last = 0
    stale = []
    cpu0 = cpu_of(srv.proc.pid)
    t_start = time.time()
    killed = False
    try:
        for r in range(a.rounds):
            t_round = time.time()
            for b in batches[len(batches) * r // a.rounds:len(batches) * (r + 1) // a.rounds]:
                check(post(events_url, b) == 200, "POST %s" % b)
            for p, data in grow.items():
                lo, hi = len(data) * r // a.rounds, len(data) * (r + 1) // a.rounds
                with open(p, "ab") as f:
                    f.write(data[lo:hi])
            # poll every 0.1 s until the answer moves (or 10 s)
            want_more = True
            deadline = time.time() + 10
            while time.time() < deadline:
                n = task_count(srv, base)
                if n is not None:
                    check(n >= last, "round %d: %d tasks after %d" % (r, n, last))
                    if n > last:
                        stale.append(time.time() - t_round)
                        last = n
                        want_more = False
                        break
                time.sleep(0.1)
            if want_more and not a.bench and r == 0:
                fail("round 0: no tasks served within 10 s")
            if r == a.rounds // 2 and not a.bench:
                # kill -9 the server mid-way: a new one takes over
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait()
                srv.proc = None
                srv.__exit__(None, None, None)
                srv = Server(store, "--refresh", "1s")
                srv.__enter__()
                killed = True
                cpu0 = cpu_of(srv.proc.pid)
        coll.send_signal(signal.SIGTERM)
        coll.wait(timeout=60)
        cpu = cpu_of(srv.proc.pid) - cpu0
        wall = time.time() - t_start
        # a server that builds from scratch over a copy of the same objects
        ref = os.path.join(a.tmp, "ref")
        shutil.copytree(store, ref)
        for p in glob.glob(os.path.join(ref, "default", "live", session, "index")):
            shutil.rmtree(p)
        with Server(ref) as one:
            one.wait_ready(base)
            want = answers(one, base)
            want_n = task_count(one, base)
            # the live server catches up within a few refreshes: its
            # index becomes the one-shot one, byte for byte
            ix = glob.glob(os.path.join(store, "default", "live", session, "index", "*"))
            rix = glob.glob(os.path.join(ref, "default", "live", session, "index", "*"))
            check(len(ix) == 1 and len(rix) == 1, "index objects: %r %r" % (ix, rix))
            same = False
            deadline = time.time() + 30
            while not same and time.time() < deadline and len(ix) == 1 and len(rix) == 1:
                task_count(srv, base)	# a request makes a refresh due
                with open(ix[0], "rb") as f1, open(rix[0], "rb") as f2:
                    same = f1.read() == f2.read()
                time.sleep(0.2)
            check(same, "the live index is not the one-shot one")
            time.sleep(1.5)	# the snapshot of that index is served
            got = answers(srv, base)
            for e in ENDPOINTS:
                check(got[e] == want[e], "%s: the live server answers differently "
                      "from a one-shot build" % e)
        nobj = event_objects(store, session)
        read = metric(srv, "rayhist_index_event_bytes_total")
        builds = metric(srv, "rayhist_session_index_builds_total")
        if a.bench:
            stale.sort()
            p = lambda q: stale[min(len(stale) - 1, int(q * len(stale)))] if stale else float("nan")
            print("rounds %d, tasks %d, event objects %d, index updates %d" % (a.rounds, last, nobj, builds))
            print("staleness (post to answer) p50 %.2f s, p99 %.2f s" % (p(0.5), p(0.99)))
            print("server CPU %.2f s over %.1f s wall (%.1f%% of a core); event bytes parsed %d "
                  "of %d sent" % (cpu, wall, 100.0 * cpu / wall, read, raw))
        else:
            check(killed, "the server was not killed mid-way")
            check(builds >= 3, "only %d index updates after the restart" % builds)
            check(0 < read <= raw * 1.05, "%d event bytes parsed for %d sent: events "
                  "parsed again at each update" % (read, raw))
    finally:
        if coll.poll() is None:
            coll.kill()
        srv.__exit__(None, None, None)
    finish("serve_live")


main()
