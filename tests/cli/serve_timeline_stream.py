"""The tasks' timeline streamed (run by serve_timeline_stream.sh).

argv: STORE SESSION_DIR TMP. The store holds default/big/SESSION, captured
from a hand-made session without events; this script stores a RayEvent batch
of TASKS tasks with EVENTS profile events each (their timeline is tens of MB)
and asks rayhist-serve for it. Memory is read from /proc/PID/status.
"""

import base64
import json
import os
import random
import subprocess
import sys
import time

from rhserve import Server, check, fail, finish, raw_get, rss_kib, stalled_readers

STORE, SESSION_DIR, TMP = sys.argv[1:4]
SESSION = os.path.basename(SESSION_DIR)
BASE = "/c/default/big/%s/" % SESSION
TIMELINE = BASE + "api/v0/tasks/timeline"
TASKS, EVENTS, NODES, WORKERS = 10000, 12, 4, 8
JOB = bytes([3, 0, 0, 0])
PHASES = ["task", "task:deserialize_arguments", "task:execute",
          "task:store_outputs", "ray.get", "ray.put", "ray.wait", "submit_task"]


def b64(b):
    return base64.b64encode(b).decode()


def make_batches():
    """TASK_PROFILE_EVENTs as Ray's aggregator posts them (base64 ids),
    1,000 tasks a file; returns {task_id hex: (node ip, worker hex, first
    start ns)}."""
    rng = random.Random(7)
    workers = [[bytes(rng.getrandbits(8) for _ in range(28)) for _ in range(WORKERS)]
               for _ in range(NODES)]
    tasks, files = {}, []
    t0 = 1786153558000000000
    for f in range(TASKS // 1000):
        batch = []
        for i in range(f * 1000, (f + 1) * 1000):
            tid = i.to_bytes(8, "big") + b"\xff" * 12 + JOB
            node = i % NODES
            w = workers[node][(i // NODES) % WORKERS]
            ip = "10.0.0.%d" % (node + 1)
            start = t0 + i * 1000003
            evs = []
            for k in range(EVENTS):
                extra = None
                if k == 0:
                    extra = json.dumps({"name": "f%d" % (i % 17), "task_id": tid.hex()})
                e = {"eventName": PHASES[k % len(PHASES)],
                     "startTime": str(start + k * 1000), "endTime": str(start + k * 1000 + 777)}
                if extra:
                    e["extraData"] = extra
                evs.append(e)
            batch.append({"eventId": b64(tid[:8] + b"p"), "sourceType": "CORE_WORKER",
                          "eventType": "TASK_PROFILE_EVENT",
                          "timestamp": "2026-08-08T00:00:00Z", "severity": "INFO",
                          "taskProfileEvents": {
                              "taskId": b64(tid), "attemptNumber": 0, "jobId": b64(JOB),
                              "profileEvents": {"componentId": b64(w), "componentType": "worker",
                                                "nodeIpAddress": ip, "events": evs}}})
            tasks[tid.hex()] = (ip, w.hex(), start)
        path = os.path.join(TMP, "batch-%02d.json" % f)
        with open(path, "w") as out:
            json.dump(batch, out)
        files.append(path)
    builddir = os.environ.get("top_builddir", ".")
    subprocess.run([os.path.join(builddir, "tests", "cli", "ingest_events"), STORE,
                    "default/big/" + SESSION] + files, check=True)
    return tasks


def whole_answer(srv, tasks):
    """The streamed answer is Ray's chrome tracing dump of every event."""
    st, h, body = srv.request(TIMELINE, timeout=300)
    check(st == 200, "timeline: status %d" % st)
    check(h.get("transfer-encoding") == "chunked" and "content-length" not in h,
          "timeline: not streamed: %r" % h)
    try:
        trace = json.loads(body)
    except ValueError:
        fail("timeline: not JSON (%d bytes): %.200r ... %.200r" % (len(body), body[:200], body[-200:]))
        return body
    xs = [e for e in trace if e.get("ph") == "X"]
    procs = {e["pid"]: e["args"]["name"] for e in trace if e.get("name") == "process_name"}
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace
               if e.get("name") == "thread_name"}
    check(len(xs) == TASKS * EVENTS, "timeline: %d events, want %d" % (len(xs), TASKS * EVENTS))
    check(len(procs) == NODES and len(threads) == NODES * WORKERS,
          "timeline: %d processes, %d threads" % (len(procs), len(threads)))
    seen = {}
    bad = 0
    for e in xs:
        tid = e["args"]["task_id"]
        ip, w, start = tasks[tid]
        k = seen.get(tid, 0)
        seen[tid] = k + 1
        # events in their recorded order, times in microseconds
        if (procs.get(e["pid"]) != "Node " + ip or
                threads.get((e["pid"], e["tid"])) != "worker:" + w or
                e["cat"] != PHASES[k % len(PHASES)] or
                e["ts"] != (start + k * 1000) / 1000.0 or
                e["dur"] != (start + k * 1000 + 777) / 1000.0 - (start + k * 1000) / 1000.0):
            bad += 1
    check(bad == 0, "timeline: %d events with the wrong node, worker, name or "
          "times" % bad)
    check(len(seen) == TASKS and set(seen.values()) == {EVENTS},
          "timeline: %d tasks, counts %r" % (len(seen), set(seen.values())))
    st, h, body2 = srv.request(TIMELINE + "?download=1", timeout=300)
    check(st == 200 and body2 == body and
          h.get("content-disposition", "").startswith('attachment; filename="timeline-None-'),
          "download: status %d, %d bytes, headers %r" % (st, len(body2), h))
    print("timeline of %d tasks x %d profile events: %d bytes, streamed"
          % (TASKS, EVENTS, len(body)))
    return body


def slow_readers(srv, size):
    """20 clients ask for the timeline and never read: the server holds a
    piece of it per client, not the answer."""
    before, peak = stalled_readers(srv, TIMELINE, BASE, polls=40)
    print("20 non-reading clients of a %d MB timeline: RSS %d KiB before, peak "
          "%d KiB (+%d KiB)" % (size >> 20, before, peak, peak - before))
    # A piece is 256 KiB: 20 of them are 5 MB. Under the sanitizers freed
    # pieces wait in ASan's quarantine and every block has red zones. Whole
    # answers would be 20 times the timeline.
    limit = (48 if os.environ.get("RH_SAN_FLAGS") else 16) * 1024
    check(peak - before < limit,
          "20 stalled readers of a %d MB timeline grew the server by %d KiB"
          % (size >> 20, peak - before))
    # Closed, they are gone: the server answers, and its memory does not
    # keep growing with more such clients.
    time.sleep(1)
    again = rss_kib(srv.proc.pid)
    socks = [raw_get(srv.port, TIMELINE, rcvbuf=4096) for _ in range(20)]
    time.sleep(2)
    for s in socks:
        s.close()
    time.sleep(1)
    after = rss_kib(srv.proc.pid)
    check(after - again < 8 * 1024, "a second round of 20 stalled readers: RSS "
          "%d KiB, then %d KiB" % (again, after))
    st, h, body = srv.request(TIMELINE + "?job_id=03000000", timeout=300)
    check(st == 200 and len(body) == size,
          "after the stalled readers: status %d, %d bytes" % (st, len(body)))


tasks = make_batches()
with Server(STORE, "--threads", "2") as srv:
    srv.wait_ready(BASE, timeout=300)
    body = whole_answer(srv, tasks)
    slow_readers(srv, len(body))
finish("serve_timeline_stream")
