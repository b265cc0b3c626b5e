"""A production-shaped node for capture benchmarks (issue 18).

The session generator spreads --log-bytes evenly over a few dozen files; a
real node that ran for hours looks different, and capture cost depends on
the shape (a barrier per file, threads per big file):

  - the raylet's log rotated many times: logs/raylet.out plus raylet.out.1
    .. raylet.out.N (Ray's RotatingFileHandler names, §1.5), the oldest
    holding the raylet's start-up lines (so the node id is found there);
  - gcs_server.out and dashboard.log rotated too;
  - hundreds of short-lived workers: worker-<id>-<job>-<pid>.out/.err and
    python-core-worker-<id>_<pid>.log of a few KB each, many .err empty,
    some moved to logs/old/ (dead workers);
  - a few long-lived chatty workers (an actor, a trainer) with tens of MB;
  - the odd names of rg_rotation (long, newline, tab, non-UTF-8).

prodnode(out, total, seed) first writes a 1-node session with the session
generator (odd names), then adds these files under its
logs/, so that the node's files total about `total` bytes.
"""

import os

import rg_util as U
from rg_text import Pools, fill
from rg_util import NS

# Shares of `total`: the rotated raylet generations, the other components'
# logs, the few big workers; the many small workers take what they take.
RAYLET_SHARE = 0.45
COMPONENT_SHARE = 0.12
BIG_WORKER_SHARE = 0.38
RAYLET_GENERATIONS = 6        # raylet.out.1 .. raylet.out.6
BIG_WORKERS = 3
SMALL_WORKERS = 240


def _hexid(rng, nbytes):
    return "%0*x" % (nbytes * 2, rng.getrandbits(nbytes * 8))


def _fill_file(path, nbytes, entries, rng, t0, t1, lead, mode="ab"):
    with open(path, mode, buffering=1 << 20) as f:
        return fill(f.write, nbytes, entries, rng, t0, t1, lead=lead)


def _session_dir(out):
    node = [d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))][0]
    latest = os.path.join(out, node, "session_latest")
    return os.path.realpath(latest)


def _raylet(logs, total, rng, pools, t0, t1):
    """Ray keeps raylet.out and N backups; .N is the oldest. The raylet's
    log as the session generator wrote it, start-up lines first, becomes
    the oldest generation; the newer ones are filled."""
    pid = 4242
    entries = pools.cpp_entries("raylet", "raylet", pid, [pid, pid + 17, pid + 18, pid + 31])
    n = RAYLET_GENERATIONS
    os.replace(os.path.join(logs, "raylet.out"), os.path.join(logs, "raylet.out.%d" % n))
    each = int(total * RAYLET_SHARE) // (n + 1)
    span = (t1 - t0) // (n + 1)
    written = 0
    for g in range(n, -1, -1):
        name = "raylet.out" if g == 0 else "raylet.out.%d" % g
        a = t0 + (n - g) * span
        written += _fill_file(os.path.join(logs, name), each, entries, rng, a, a + span, "[")
    return written


def _components(logs, total, rng, pools, t0, t1):
    budget = int(total * COMPONENT_SHARE)
    written = 0
    gcs = pools.cpp_entries("gcs", "gcs_server", 4100, [4100, 4113])
    for g in (2, 1, 0):
        name = "gcs_server.out" + ("" if g == 0 else ".%d" % g)
        written += _fill_file(os.path.join(logs, name), budget // 5, gcs, rng, t0, t1, "[")
    dash = pools.py_entries("dashboard")
    for g in (1, 0):
        name = "dashboard.log" + ("" if g == 0 else ".%d" % g)
        written += _fill_file(os.path.join(logs, name), budget // 5, dash, rng, t0, t1, "")
    return written


def _worker(logs, rng, pools, job, t0, t1, out_bytes, err_bytes, core_bytes, old=False):
    wid, pid = _hexid(rng, 28), rng.randrange(1000, 4000000)
    d = os.path.join(logs, "old") if old else logs
    stem = "worker-%s-%s-%d" % (wid, job, pid)
    written = 0
    with open(os.path.join(d, stem + ".out"), "ab") as f:
        f.write((":job_id:%s\n" % job).encode())
        written += fill(f.write, out_bytes, pools.plain_entries("out"), rng)
    with open(os.path.join(d, stem + ".err"), "ab") as f:
        if err_bytes:
            f.write((":job_id:%s\n" % job).encode())
            written += fill(f.write, err_bytes, pools.plain_entries("err"), rng)
    core = pools.cpp_entries("core", "python-core-worker", pid, [pid, pid + 3])
    written += _fill_file(os.path.join(d, "python-core-worker-%s_%d.log" % (wid, pid)),
                          core_bytes, core, rng, t0, t1, "[")
    return written + 3


def _workers(logs, total, rng, pools, t0, t1):
    os.makedirs(os.path.join(logs, "old"), exist_ok=True)
    jobs = ["%08x" % rng.getrandbits(32) for _ in range(4)]
    written, files = 0, 0
    big = int(total * BIG_WORKER_SHARE) // BIG_WORKERS
    for i in range(BIG_WORKERS):
        written += _worker(logs, rng, pools, jobs[i % len(jobs)], t0, t1,
                           int(big * 0.85), int(big * 0.05), int(big * 0.10))
        files += 3
    for i in range(SMALL_WORKERS):
        # Short-lived workers: a few KB, skewed; most print nothing to stderr.
        out_b = int(rng.lognormvariate(8.0, 1.2))
        err_b = 0 if rng.random() < 0.7 else int(rng.lognormvariate(6.5, 1.0))
        core_b = int(rng.lognormvariate(8.5, 0.6))
        a = t0 + rng.randrange(0, max(1, (t1 - t0) // 2))
        written += _worker(logs, rng, pools, jobs[i % len(jobs)], a, a + 60 * NS,
                           out_b, err_b, core_b, old=(i % 5 == 0))
        files += 3
    return written, files


def prodnode(out, total, seed=1):
    """Write the node into `out` (emptied first by the caller); returns
    {"bytes": ..., "files": ...} of the node's session directory."""
    import raygen
    from rg_model import Options
    opts = Options(seed=seed, nodes=1, jobs=4, tasks=40, actors=4)
    raygen.generate_session(out, opts, 2 << 20,
                            args={"odd_names": True})
    sdir = _session_dir(out)
    logs = os.path.join(sdir, "logs")
    rng = U.rng_for(seed, "prodnode")
    pools = Pools(rng, 16000)
    t1 = 1762985431 * NS
    t0 = t1 - 12 * 3600 * NS
    _raylet(logs, total, rng, pools, t0, t1)
    _components(logs, total, rng, pools, t0, t1)
    _workers(logs, total, rng, pools, t0, t1)
    size = files = 0
    for root, _, names in os.walk(sdir):
        for n in names:
            p = os.path.join(root, n)
            if os.path.isfile(p) and not os.path.islink(p):
                size += os.path.getsize(p)
                files += 1
    return {"bytes": size, "files": files, "session_dir": sdir}
