"""rayhist-ls --logs: a task's, an actor's or a submission's log in one
command, byte for byte what the generator wrote in the range Ray recorded
(task_log_info), found in logs/ or logs/old/; --tail N of that range; and
the usage errors of issue 17 (exit 2, one line naming the option).

usage: ls_story.py RAYHIST_LS STORE GENDIR
"""

import json
import os
import subprocess
import sys

ls, store, gendir = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
head = next(n for n in truth["node_dirs"] if n.get("is_head"))
session = os.path.basename(os.path.realpath(os.path.join(gendir, head["session_dir"])))
PATH = "default/rc1/" + session
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def run(*args):
    p = subprocess.run([ls, "--store", store] + list(args), capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def tail(data, n):
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


def log_bytes(node_id, name):
    """A log file's bytes, and whether it was under logs/old/."""
    logs = node_logs(node_id)
    for d, old in ((logs, False), (os.path.join(logs, "old"), True)):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return open(p, "rb").read(), old
    return None, False


# ---- the story: failed task -> traceback, one command ---------------------
story = [t for t in T["tasks"] if t["state"] == "FAILED"
         and t.get("error_type") == "TASK_EXECUTION_EXCEPTION" and t.get("task_log_info")]
if not story:
    fail("the generated session has no failed task with a log")
for t in story:
    rc, out, err = run("--logs", t["task_id"], "--err", PATH)
    last = t["error_message"].strip().splitlines()[-1].encode()
    if rc != 0 or b"Traceback (most recent call last)" not in out or last not in out:
        fail("--logs %s --err: status %d, no traceback ending %r in %r (%s)"
             % (t["task_id"], rc, last, out[-300:], err))

# ---- every task attempt with log info: the exact range --------------------
compared = old_seen = 0
for t in T["tasks"]:
    info = t.get("task_log_info") or {}
    if not info.get("stdout_file") or not t.get("node_id"):
        continue
    for suffix in ("out", "err"):
        data, old = log_bytes(t["node_id"], os.path.basename(info["std%s_file" % suffix]))
        if data is None:
            continue
        start = info.get("std%s_start" % suffix) or 0
        end = info.get("std%s_end" % suffix)
        want = data[start:end] if end is not None else data[start:]
        args = ["--logs", t["task_id"], "--attempt", str(t["attempt_number"])]
        args += ["--err"] if suffix == "err" else []
        rc, out, err = run(*args, PATH)
        if rc != 0 or out != want:
            fail("%s %s: status %d, %d bytes, want %d (%s)"
                 % (" ".join(args), suffix, rc, len(out), len(want), err))
        rc, out, err = run(*args, "--tail", "2", PATH)
        if rc != 0 or out != tail(want, 2):
            fail("%s --tail 2: %r, want %r" % (" ".join(args), out, tail(want, 2)))
        compared += 1
        old_seen += old
if compared < 10:
    fail("only %d task logs compared" % compared)
if not old_seen:
    fail("no task log under logs/old/ was compared")

# ---- the latest attempt is the default --------------------------------------
retried = {}
for t in T["tasks"]:
    if t.get("task_log_info") and t.get("node_id"):
        retried.setdefault(t["task_id"], []).append(t)
for tid, ts in retried.items():
    ts = [t for t in ts if t["attempt_number"] > 0]
    if not ts:
        continue
    t = max(ts, key=lambda t: t["attempt_number"])
    a = run("--logs", tid, PATH)
    b = run("--logs", tid, "--attempt", str(t["attempt_number"]), PATH)
    if a != b or a[0] != 0:
        fail("--logs %s without --attempt is not attempt %d" % (tid, t["attempt_number"]))
    break
else:
    fail("no retried task with a log")

# ---- an actor's worker, a submission's driver ------------------------------
nactor = 0
for a in T["actors"]:
    worker = next((t["worker_id"] for t in T["tasks"] if t.get("actor_id") == a["actor_id"]
                   and t["type"] == "ACTOR_CREATION_TASK" and t.get("worker_id")), None)
    if not worker or not a.get("node_id"):
        continue
    logs = node_logs(a["node_id"])
    cands = [os.path.join(d, f) for d in (logs, os.path.join(logs, "old")) if os.path.isdir(d)
             for f in sorted(os.listdir(d)) if worker in f and f.endswith(".err")]
    if not cands:
        continue
    rc, out, err = run("--logs", a["actor_id"], "--err", PATH)
    if rc != 0 or out != open(cands[0], "rb").read():
        fail("--logs %s --err (actor): status %d (%s)" % (a["actor_id"], rc, err))
    nactor += 1
if not nactor:
    fail("no actor log compared")
nsub = 0
for j in T["jobs"]:
    sid = j.get("submission_id")
    if not sid:
        continue
    node = j.get("driver_node_id") or head["node_id"]
    data, _ = log_bytes(node, "job-driver-%s.log" % sid)
    if data is None:
        continue
    rc, out, err = run("--logs", sid, "--tail", "3", PATH)
    if rc != 0 or out != tail(data, 3):
        fail("--logs %s --tail 3: status %d (%s)" % (sid, rc, err))
    nsub += 1
if not nsub:
    fail("no submission log compared")

# ---- a task without a log says why, status 1 --------------------------------
nolog = next((t for t in T["tasks"] if not t.get("task_log_info")
              and t["type"] == "ACTOR_TASK" and t.get("actor_id")), None)
if nolog:
    rc, out, err = run("--logs", nolog["task_id"], "--attempt", str(nolog["attempt_number"]), PATH)
    if rc != 1 or "actor_id=" + nolog["actor_id"] not in err:
        fail("--logs of an actor task without log info: status %d, %r" % (rc, err))
rc, out, err = run("--logs", "ab" * 24, PATH)
if rc != 1 or "not found" not in err:
    fail("--logs of an unknown task: status %d, %r" % (rc, err))

# ---- usage errors: exit 2, one line, then where to look ---------------------
usage = [
    (["--tasks", "--jobs", PATH], "--tasks and --jobs"),
    (["--logs", "ab" * 24, "--cat", PATH], "--logs and --cat"),
    (["--filter", "state=FAILED", PATH], "--filter goes with"),
    (["--limit", "5", PATH], "--limit goes with"),
    (["--detail", PATH], "--detail goes with"),
    (["--err", PATH], "--err goes with --logs"),
    (["--attempt", "1", PATH], "--attempt goes with --logs"),
    ([PATH, PATH], "give one PATH, not 2"),
    (["--tasks", "--filter", "error_message=foo", PATH], "is_debugger_paused"),
    (["--tasks", "--filter", "state=FAILD", PATH], "did you mean FAILED?"),
    (["--actors", "--filter", "state=alive", PATH], None),  # case-insensitive, as Ray
    (["--jobs", "--filter", "status=SUCCEDED", PATH], "did you mean SUCCEEDED?"),
    (["--tasks", "--filter", "state=BOGUS", PATH], "Ray's values are NIL, PENDING_ARGS_AVAIL"),
    (["--logs", "abc/def", PATH], "submission_id"),
]
for args, want in usage:
    rc, out, err = run(*args)
    if want is None:
        if rc != 0:
            fail("%s: status %d (%s)" % (" ".join(args), rc, err))
        continue
    lines = err.splitlines()
    if rc != 2 or len(lines) != 2 or want not in lines[0] or "--help" not in lines[1]:
        fail("%s: status %d, stderr %r; want exit 2 and one line with %r"
             % (" ".join(args), rc, err, want))

# ---- --at before the session: say so ------------------------------------------
rc, out, err = run("--tasks", "--at", "2000-01-01T00:00:00Z", PATH)
if rc != 0 or "nothing to show at 2000-01-01T00:00:00Z" not in err:
    fail("--tasks --at before the start: status %d, %r" % (rc, err))
raylet = "default/rc1/%s/%s/logs/raylet.out" % (session, head["node_id"])
rc, out, err = run("--cat", "--at", "2000-01-01T00:00:00Z", raylet)
if rc != 1 or out or "nothing of it had been captured by" not in err:
    fail("--cat --at before the capture: status %d, %d bytes, %r" % (rc, len(out), err))

if failures:
    sys.exit(1)
print("PASS: ls_story (%d task logs, %d actors, %d submissions)" % (compared, nactor, nsub))
