"""rayhist-serve's log reads return the exact bytes of the files the
generator wrote on each node: whole (lines=-1) and tails (lines=N, as the
client asks: lines=50000, filter_ansi_code=true, format=leading_1|text), by
node and file name, by task (task_log_info offsets), by actor (its worker's
out/err) and by submission id.

usage: serve_logs.py STORE GENDIR
"""

import json
import os
import re
import sys
import urllib.parse

from rhserve import Server, check, fail, finish, session_base

store, gendir = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
BASE = session_base(truth)
ANSI = re.compile(rb"\x1b\[[0-9;]+m")


def tail(data, n):
    """The last n lines, as `tail -n` prints them."""
    if n < 0:
        return data
    if n == 0 or not data:
        return b""
    body = data[:-1] if data.endswith(b"\n") else data
    cut = len(body)
    for _ in range(n):
        cut = body.rfind(b"\n", 0, cut)
        if cut < 0:
            return data
    return data[cut + 1:]


def node_logs(node_id):
    nd = next(n for n in truth["node_dirs"] if n["node_id"] == node_id)
    return os.path.join(gendir, nd["session_dir"], "logs")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def log_url(**params):
    return BASE + "api/v0/logs/file?" + urllib.parse.urlencode(params)


def expect(srv, url, want, what):
    st, h, body = srv.get(url)
    if not check(st == 200, "%s: status %d %.200r" % (what, st, body)):
        return
    check(h.get("content-type", "").startswith("text/plain"), "%s: content type %r" % (what, h.get("content-type")))
    check(body == want, "%s: %d bytes differ from the %d expected (first difference at %s)"
          % (what, len(body), len(want),
             next((i for i, (a, b) in enumerate(zip(body, want)) if a != b), min(len(body), len(want)))))


with Server(store) as srv:
    srv.wait_ready(BASE)
    checked = 0
    # ---- by node and file name, every file of every node's logs/ -----------
    for nd in truth["node_dirs"]:
        logs = node_logs(nd["node_id"])
        for root, dirs, files in os.walk(logs):
            for name in sorted(files):
                path = os.path.join(root, name)
                if os.path.islink(path) or not os.path.isfile(path) or name.endswith(".lock"):
                    continue
                rel = os.path.relpath(path, logs)
                data = read(path)
                nid = nd["node_id"]
                expect(srv, log_url(node_id=nid, filename=rel, lines=-1, format="text"), data,
                       "%s whole" % rel)
                expect(srv, log_url(node_id=nid, filename=rel, lines=3, format="text"), tail(data, 3),
                       "%s tail 3" % rel)
                expect(srv, log_url(node_id=nid, filename=rel, lines=50000, filter_ansi_code="true",
                                    format="leading_1"),
                       b"1" + ANSI.sub(b"", tail(data, 50000)), "%s viewer" % rel)
                checked += 1
        # the default: 1000 lines, by node IP; without format the bytes as
        # they are, as Ray 2.45+ answers (its client sends no format and shows
        # the body whole: a leading "1" was the first character of every log)
        raylet = read(os.path.join(logs, "raylet.out"))
        expect(srv, log_url(node_ip=nd["ip"], filename="raylet.out"), tail(raylet, 1000),
               "raylet.out by IP")
        # the 2.51+ viewer's request
        expect(srv, log_url(node_id=nd["node_id"], filename="raylet.out", lines=50000,
                            filter_ansi_code="true"),
               ANSI.sub(b"", tail(raylet, 50000)), "raylet.out, 2.51 viewer")
    check(checked > 20, "only %d files compared" % checked)

    # ---- by task: the byte range task_log_info names ------------------------
    ntask = 0
    for t in T["tasks"]:
        info = t.get("task_log_info") or {}
        if not info.get("stdout_file"):
            continue
        for suffix in ("out", "err"):
            name = os.path.basename(info["std%s_file" % suffix])
            logs = node_logs(t["node_id"])
            path = os.path.join(logs, name)
            if not os.path.exists(path):
                path = os.path.join(logs, "old", name)
            data = read(path)
            start = info.get("std%s_start" % suffix) or 0
            end = info.get("std%s_end" % suffix)
            want = data[start:end] if end is not None else data[start:]
            expect(srv, log_url(task_id=t["task_id"], attempt_number=t["attempt_number"],
                                suffix=suffix, lines=-1, format="text"), want,
                   "task %s %s" % (t["task_id"], suffix))
            expect(srv, log_url(task_id=t["task_id"], attempt_number=t["attempt_number"],
                                suffix=suffix, lines=2, format="text"), tail(want, 2),
                   "task %s %s tail" % (t["task_id"], suffix))
        ntask += 1
    check(ntask > 0, "no task had log info")

    # ---- by actor: its worker's out and err ----------------------------------
    nactor = 0
    for a in T["actors"]:
        worker = next((t["worker_id"] for t in T["tasks"] if t.get("actor_id") == a["actor_id"]
                       and t["type"] == "ACTOR_CREATION_TASK" and t.get("worker_id")), None)
        if not worker or not a.get("node_id"):
            continue
        logs = node_logs(a["node_id"])
        for suffix in ("out", "err"):
            cands = [os.path.join(d, f) for d in (logs, os.path.join(logs, "old")) if os.path.isdir(d)
                     for f in sorted(os.listdir(d)) if worker in f and f.endswith("." + suffix)]
            if not cands:
                continue
            expect(srv, log_url(actor_id=a["actor_id"], suffix=suffix, lines=-1, format="text"),
                   read(cands[0]), "actor %s %s" % (a["actor_id"], suffix))
            nactor += 1
    check(nactor > 0, "no actor log compared")

    # ---- by submission id ---------------------------------------------------
    for j in T["jobs"]:
        if not j.get("submission_id"):
            continue
        path = os.path.join(node_logs(j["driver_node_id"]), "job-driver-%s.log" % j["submission_id"])
        if os.path.exists(path):
            expect(srv, log_url(submission_id=j["submission_id"], lines=-1, format="text"), read(path),
                   "submission %s" % j["submission_id"])
            try:
                text = read(path).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                doc = srv.get_json(BASE + "api/jobs/%s/logs" % j["submission_id"])
                check(isinstance(doc, dict) and doc.get("logs") == text,
                      "api/jobs/%s/logs" % j["submission_id"])

    # ---- errors ---------------------------------------------------------------
    head = next(n["node_id"] for n in truth["node_dirs"] if n["is_head"])
    st, h, body = srv.get(log_url(node_id=head, filename="no-such.log", format="leading_1"))
    check(st == 404 and body.startswith(b"0"), "missing file: %d %r" % (st, body[:80]))
    st, h, body = srv.get(log_url(node_id=head, filename="no-such.log"))
    check(st == 404 and not body.startswith(b"0"), "missing file (no format): %d %r" % (st, body[:80]))
    st, h, body = srv.get(log_url(node_id=head, filename="no-such.log", format="text"))
    check(st == 404 and not body.startswith(b"0"), "missing file (text): %d" % st)
    st, h, body = srv.get(log_url(node_id="ab" * 28, filename="raylet.out"))
    check(st == 404, "unknown node: %d" % st)
    st, h, body = srv.get(log_url(node_id=head, filename="raylet.out", lines="many"))
    check(st == 400 and b"lines" in body, "bad lines: %d %r" % (st, body[:80]))
    st, h, body = srv.get(log_url(node_id=head, filename="raylet.out", suffix="exe"))
    check(st == 400 and b"suffix" in body, "bad suffix: %d" % st)
    st, h, body = srv.get(log_url(node_id=head, filename="raylet.out", format="html"))
    check(st == 400 and b"format" in body, "bad format: %d" % st)

finish("serve_logs")
