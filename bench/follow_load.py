#!/usr/bin/env python3
"""Load for bench/follow.sh: act as a busy Ray node while rayhist-collect
--follow runs beside it, and measure the collector.

Writes RATE bytes/s of log lines spread over FILES files (one write per
file every 10 ms), POSTs EVENTS RayEvents/s in batches of 500 (bodies cut
from `raygen.py bigtasks` output) to the collector's receiver, and appends a
marker line to one file every second to time how long until the store's
node manifest covers it (the flush latency). Samples the collector's CPU
time (/proc/PID/stat) and peak RSS (VmHWM) and prints one JSON object.

usage: follow_load.py --pid PID --root RAY_ROOT --store DIR --cluster C
                      --url URL --events-file F [--seconds S] [--rate B]
                      [--files N] [--events N]"""
import argparse
import http.client
import json
import os
import threading
import time
import urllib.parse

TICK = 0.01
LINE = ("[2025-11-13 01:02:03,456 I 4242 4243] (raylet) node_manager.cc:1234: "
        "Lease granted to worker 8f2c0a1e worker_id=%08x task=%08x resources={CPU: 1}\n")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def rss_peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def batches(path, size):
    """Bodies of `size` events from a file of one RayEvent per line."""
    out, cur = [], []
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line:
                cur.append(line)
            if len(cur) == size:
                out.append(b"[" + b",".join(cur) + b"]")
                cur = []
    return out


def poster(url, bodies, per_sec, stop, stats):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    interval = 500.0 / per_sec
    nxt = time.monotonic()
    i = 0
    while not stop.is_set() and i < len(bodies):
        body = bodies[i]
        try:
            conn.request("POST", u.path, body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            stats[r.status] = stats.get(r.status, 0) + 1
            if r.status == 200:
                i += 1
        except OSError:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        nxt += interval
        stop.wait(max(0, nxt - time.monotonic()))
    stats["posted_batches"] = i


def manifest_size(path, rel):
    try:
        with open(path) as f:
            m = json.load(f)
    except (OSError, ValueError):
        return 0
    for e in m.get("files", []):
        if e["path"] == rel:
            return e["size"]
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--events-file", required=True)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate", type=float, default=20e6)
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--events", type=int, default=5000)
    a = ap.parse_args()
    sdir = os.path.realpath(os.path.join(a.root, "session_latest"))
    session = os.path.basename(sdir)
    with open(os.path.join(sdir, "logs", "raylet.out")) as f:
        node = f.read().split("node_id=")[1][:56]
    manifest = os.path.join(a.store, "default", a.cluster, session, "nodes", node, "node.json")
    fds = [open(os.path.join(sdir, "logs", "worker-%02d.out" % i), "ab", buffering=0)
           for i in range(a.files)]
    per_tick = int(a.rate * TICK / a.files)
    lines = b"".join((LINE % (i, i * 7)).encode() for i in range(per_tick // len(LINE) + 2))
    chunk = lines[:per_tick]
    bodies = batches(a.events_file, 500)
    stop = threading.Event()
    pstats = {}
    pt = threading.Thread(target=poster, args=(a.url, bodies, a.events, stop, pstats))
    # warm up: let the collector find the session
    deadline = time.monotonic() + 30
    while manifest_size(manifest, "logs/raylet.out") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    cpu0, t0 = cpu_seconds(a.pid), time.monotonic()
    pt.start()
    written = 0
    markers = []           # (offset after the marker, time written)
    latencies = []
    nxt = t0
    last_marker = t0
    while time.monotonic() - t0 < a.seconds:
        for f in fds:
            f.write(chunk)
            written += len(chunk)
        now = time.monotonic()
        if now - last_marker >= 1.0:
            fds[0].write(b"MARKER %f\n" % now)
            written += 26
            markers.append((os.fstat(fds[0].fileno()).st_size, now))
            last_marker = now
        # check pending markers cheaply, every 50 ms
        if markers and int(now * 20) != int((now - TICK) * 20):
            size = manifest_size(manifest, "logs/worker-00.out")
            while markers and markers[0][0] <= size:
                latencies.append(now - markers.pop(0)[1])
        nxt += TICK
        time.sleep(max(0, nxt - time.monotonic()))
    wall = time.monotonic() - t0
    cpu = cpu_seconds(a.pid) - cpu0
    stop.set()
    pt.join()
    # the last markers: wait for them (the drain test is the program's)
    deadline = time.monotonic() + 30
    while markers and time.monotonic() < deadline:
        size = manifest_size(manifest, "logs/worker-00.out")
        now = time.monotonic()
        while markers and markers[0][0] <= size:
            latencies.append(now - markers.pop(0)[1])
        time.sleep(0.02)
    latencies.sort()
    print(json.dumps({
        "seconds": round(wall, 2),
        "bytes_written": written,
        "write_mb_s": round(written / wall / 1e6, 2),
        "events_posted": pstats.get("posted_batches", 0) * 500,
        "events_per_s": round(pstats.get("posted_batches", 0) * 500 / wall),
        "http": {str(k): v for k, v in pstats.items() if k != "posted_batches"},
        "collector_cpu_s": round(cpu, 2),
        "collector_cpu_share": round(cpu / wall, 4),
        "collector_peak_rss_mib": round(rss_peak_kib(a.pid) / 1024, 1),
        "flush_latency_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "flush_latency_max_s": round(latencies[-1], 3) if latencies else None,
        "markers_unseen": len(markers),
    }))


main()
