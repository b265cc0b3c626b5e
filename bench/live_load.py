"""The load and the measures of bench/live.sh (see there)."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

from rhserve import Server


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hwm_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    return int(m.group(1)) / 1024.0 if m else 0.0


def total(srv, base):
    try:
        st, _, body = srv.request(base + "api/v0/tasks?limit=1&detail=0", timeout=60)
    except OSError:
        return None
    if st != 200:
        return None
    return json.loads(body)["data"]["result"]["total"]


def parsed_bytes(srv):
    st, _, body = srv.get("/metrics")
    m = re.search(rb"^rayhist_index_event_bytes_total ([0-9.e+]+)", body, re.M)
    return float(m.group(1)) if m else 0.0


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir")
    ap.add_argument("--session")
    ap.add_argument("--events-file")
    ap.add_argument("--rate", type=int)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--flush")
    ap.add_argument("--base", type=int)
    a = ap.parse_args()
    build = os.environ["top_builddir"]
    store = os.path.join(a.dir, "store")
    base = "/c/default/bench/%s/" % a.session
    # one POST a second of `rate` events; the distinct attempts they name
    secs = []
    with open(a.events_file) as f:
        for _ in range(a.seconds):
            lines = [f.readline().strip() for _ in range(a.rate)]
            lines = [x for x in lines if x]
            ids = set()
            for x in lines:
                m = re.search(r'"taskId":\s*"([^"]+)"', x)
                t = re.search(r'"taskAttempt":\s*(\d+)', x)
                if m:
                    ids.add((m.group(1), t.group(1) if t else "0"))
            secs.append(("[" + ",".join(lines) + "]", ids))
    clog = open(os.path.join(a.dir, "collect.log"), "wb")
    coll = subprocess.Popen([os.path.join(build, "bin", "rayhist-collect"), "--follow",
                             "--store", store, "--cluster", "bench",
                             "--ray-root", os.path.join(a.dir, "ray"),
                             "--state-dir", os.path.join(a.dir, "state"),
                             "--flush-interval", a.flush, "--events-pack-interval", "0",
                             "--events-listen", "127.0.0.1:0"], stdout=clog, stderr=subprocess.STDOUT)
    port = None
    while port is None:
        time.sleep(0.1)
        with open(os.path.join(a.dir, "collect.log"), "rb") as f:
            m = re.search(rb"receiving events on http://[^ ]*:(\d+)/v1/events", f.read())
        port = int(m.group(1)) if m else None
    url = "http://127.0.0.1:%d/v1/events" % port
    srv = Server(store, "--refresh", "1s")
    srv.__enter__()
    t0 = time.time()
    while total(srv, base) is None:	# the first visit builds the base index
        time.sleep(0.2)
    first_build = time.time() - t0
    base_total = total(srv, base)
    polls = []
    stop = threading.Event()

    def poller():
        while not stop.is_set():
            n = total(srv, base)
            if n is not None:
                polls.append((time.time(), n))
            time.sleep(0.1)

    parsed0 = parsed_bytes(srv)
    th = threading.Thread(target=poller)
    th.start()
    cpu0 = cpu_of(srv.proc.pid)
    w0 = time.time()
    posted = []	# (time, cumulative distinct attempts)
    seen = set()
    sent_bytes = 0
    for k, (body, ids) in enumerate(secs):
        due = w0 + k
        if time.time() < due:
            time.sleep(due - time.time())
        data = body.encode()
        sent_bytes += len(data)
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).read()
        seen |= ids
        posted.append((time.time(), base_total + len(seen)))
    # let the last seconds show up (at most 30 s)
    end = time.time() + 30
    while time.time() < end and (not polls or polls[-1][1] < posted[-1][1]):
        time.sleep(0.2)
    stop.set()
    th.join()
    wall = time.time() - w0
    cpu = cpu_of(srv.proc.pid) - cpu0
    rss = hwm_mib(srv.proc.pid)
    parsed = parsed_bytes(srv) - parsed0
    stale = []
    for t, want in posted:
        hit = next((pt for pt, n in polls if pt >= t and n >= want), None)
        if hit is not None:
            stale.append(hit - t)
    missed = len(posted) - len(stale)
    coll.send_signal(signal.SIGTERM)
    coll.wait(timeout=120)
    time.sleep(2.5)	# the server writes the final index
    srv.__exit__(None, None, None)
    idx = os.path.join(store, "default", "bench", a.session, "index")
    nidx = len(os.listdir(idx)) if os.path.isdir(idx) else 0
    # cold open: a fresh server, first full answer from the stored index
    t1 = time.time()
    with Server(store) as fresh:
        fresh.wait_ready(base, timeout=3600)
        n_final = total(fresh, base)
    cold = time.time() - t1
    # one-shot build of the same session (what every update cost before)
    shutil.rmtree(idx, ignore_errors=True)
    t2 = time.time()
    subprocess.run([os.path.join(build, "bin", "rayhist-ls"), "--store", store, "--tasks",
                    "--limit", "1", "default/bench/" + a.session],
                   stdout=subprocess.DEVNULL, check=True)
    oneshot = time.time() - t2
    flush = float(a.flush)
    print("session: %d attempts before, %d after; %d events/s for %d s (flush %.1f s)"
          % (base_total, n_final, a.rate, a.seconds, flush))
    print("staleness p50 %.2f s, p99 %.2f s (goal p99 < %.1f s)%s"
          % (pct(stale, 0.5), pct(stale, 0.99), 2 * flush,
             "; %d seconds never seen" % missed if missed else ""))
    print("server: %.1f%% of a core over %.0f s (goal < 25%%), peak RSS %.0f MiB; "
          "event bytes parsed %.0f MB for %.0f MB posted (base: first build %.1f s)"
          % (100.0 * cpu / wall, wall, rss, parsed / 1e6, sent_bytes / 1e6, first_build))
    print("index objects in the store: %d" % nidx)
    print("cold open (fresh server, first answer) %.2f s vs one-shot build %.2f s: %.2fx"
          % (cold, oneshot, oneshot / cold if cold else float("nan")))


main()
