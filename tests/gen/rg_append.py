"""`raygen.py append`: grow an already generated session, as a live cluster would.

Appends new lines to every live node's raylet.out, to the .out files of up to
two live workers, one line to the head's events/event_RAYLET.log, and starts a
new worker (a new .out/.err pair). truth.json's file sizes are updated; the
returned dict maps "<node dir>/<path>" to the number of bytes added (for a
new file: its whole size), so a test can check that a second capture ships
exactly those bytes.
"""

import json
import os

import rg_util as U
from rg_text import Pools, cpp_line, fill
from rg_util import NS


def load_truth(out):
    with open(os.path.join(out, "truth.json")) as f:
        return json.load(f)


def append(out, nbytes):
    truth = load_truth(out)
    rounds = truth.get("append_rounds", 0) + 1
    rng = U.rng_for(truth["generator"]["seed"], "append/%d" % rounds)
    pools = Pools(rng, 1500)
    t0 = _parse_ts(truth["session"]["cluster_died"]) + rounds * 60 * NS
    S = truth["session"]["name"]
    grown = {}
    live = [n for n in truth["node_dirs"] if n["alive_at_end"]]

    def grow(node, rel, data_fn):
        path = os.path.join(out, node["dir"], rel)
        before = os.path.getsize(path) if os.path.exists(path) else 0
        with open(path, "ab") as f:
            data_fn(f.write)
        added = os.path.getsize(path) - before
        grown["%s/%s" % (node["dir"], rel)] = added
        _record(node, rel, before + added)

    share = max(1, nbytes // (2 * len(live) + 3))
    for node in live:
        pid = node["raylet_pid"]
        entries = pools.cpp_entries("raylet", "raylet", pid, [pid, pid + 17])
        grow(node, "%s/logs/raylet.out" % S,
             lambda w, e=entries: fill(w, share, e, rng, t0, t0 + 30 * NS, lead="["))
    for node, rel in _live_worker_outs(truth, live)[:2]:
        grow(node, rel, lambda w: (w(b"[append] round %d\n" % rounds),
                                   fill(w, share, pools.plain_entries("out"), rng)))
    head = next(n for n in truth["node_dirs"] if n["is_head"])
    grow(head, "%s/logs/events/event_RAYLET.log" % S, lambda w: w((U.cpp_json({
        "timestamp": t0 // NS, "severity": "WARNING", "label": "RAY_WORKER_STARTUP_SLOW",
        "event_id": U.hex_event_id(rng), "source_type": "RAYLET", "host_name": head["hostname"],
        "pid": str(head["raylet_pid"]), "message": "Worker startup took %d ms" % rng.randrange(900, 5000),
        "custom_fields": {"job_id": "", "node_id": head["node_id"], "task_id": ""}}) + "\n").encode()))
    # A worker started after the first capture: files that did not exist before.
    wid, pid = rng.randbytes(28).hex(), rng.randrange(70000, 90000)
    stem = "%s/logs/worker-%s-%s-%d" % (S, wid, "ffffffff", pid)
    grow(head, stem + ".out", lambda w: fill(w, share, pools.plain_entries("out"), rng))
    grow(head, stem + ".err", lambda w: w(cpp_line(t0, "I", pid, pid, "python-core-worker",
                                                    "core_worker.cc:491: worker started").encode()))
    truth["append_rounds"] = rounds
    _save(out, truth)
    return grown


def _live_worker_outs(truth, live):
    alive = {w["worker_id"] for w in truth["state"]["workers"]
             if w["is_alive"] and w["worker_type"] == "WORKER"}
    found = []
    for node in live:
        for f in node["files"]:
            p = f["path"]
            name = p.rsplit("/", 1)[-1]
            if (f["type"] == "file" and "/logs/worker-" in p and p.endswith(".out")
                    and "/old/" not in p and name.split("-")[1] in alive):
                found.append((node, p))
    return found


def _record(node, rel, size):
    for f in node["files"]:
        if f["path"] == rel:
            f["size"] = size
            return
    node["files"].append({"path": rel, "type": "file", "size": size})
    node["files"].sort(key=lambda f: f["path"])


def _parse_ts(text):
    """Inverse of rg_util.rfc3339 for the truth's own timestamps."""
    import calendar
    import time
    base, _, frac = text.rstrip("Z").partition(".")
    sec = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return sec * NS + (int(frac.ljust(9, "0")) if frac else 0)


def _save(out, truth):
    tmp = os.path.join(out, "truth.json.tmp")
    with open(tmp, "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "truth.json"))
