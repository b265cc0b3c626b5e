"""`raygen.py selftest`: generate into a temp dir and check the invariants the
tests rely on. Prints one line per failed check; exit status 0 when all pass.

Unlike the truth (built from the model), these checks do read the output back:
that is their point.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile

from rg_events import TEN_TYPES

ID_BYTES = {"jobId": 4, "actorId": 16, "taskId": 24, "parentTaskId": 24, "nodeId": 28,
            "workerId": 28, "driverNodeId": 28, "componentId": 28, "eventId": 28,
            "job_id": 4, "actor_id": 16, "task_id": 24, "parent_task_id": 24, "node_id": 28,
            "worker_id": 28, "driver_node_id": 28, "component_id": 28, "event_id": 28,
            "placementGroupId": 18, "placement_group_id": 18, "creatorJobId": 4,
            "creator_job_id": 4}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")
CPP_KEYS = ["custom_fields", "event_id", "host_name", "label", "message", "pid", "severity",
            "source_type", "timestamp"]


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
        return cond


def run(keep=False):
    import raygen
    from rg_model import Options
    ck = Checker()
    tmp = tempfile.mkdtemp(prefix="raygen-selftest-")
    try:
        a = os.path.join(tmp, "a")
        os.makedirs(a)
        truth = raygen.generate_session(a, Options(seed=7), log_bytes=100 * 1024)
        check_truth(ck, truth)
        check_files(ck, a, truth)
        check_aggregator(ck, a, truth)
        check_event_files(ck, a, truth)
        check_task_logs(ck, a, truth)
        check_node_ids(ck, a, truth)
        check_quirks(ck, a, truth)
        b = os.path.join(tmp, "b")
        os.makedirs(b)
        raygen.generate_session(b, Options(seed=7), log_bytes=100 * 1024)
        check_deterministic(ck, a, b)
        check_append(ck, a)
        check_variants(ck, tmp)
        check_bench(ck, tmp)
    finally:
        if keep:
            print("selftest: output kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for f in ck.failed:
        print("FAIL: %s" % f)
    print("selftest: %d checks passed, %d failed" % (ck.passed, len(ck.failed)))
    return 1 if ck.failed else 0


def read_json(path):
    with open(path) as f:
        return json.load(f)


# --- truth ---------------------------------------------------------------------------

def check_truth(ck, truth):
    st = truth["state"]
    c = truth["counts"]
    ck.ok(len(st["tasks"]) == c["task_attempts"], "truth task rows == counts.task_attempts")
    keys = {(r["task_id"], r["attempt_number"]) for r in st["tasks"]}
    ck.ok(len(keys) == len(st["tasks"]), "task rows are unique per (task_id, attempt)")
    states = {r["state"] for r in st["tasks"]}
    for s in ("FINISHED", "FAILED", "RUNNING", "PENDING_NODE_ASSIGNMENT"):
        ck.ok(s in states, "some task is %s" % s)
    ck.ok(any(r["attempt_number"] == 1 for r in st["tasks"]), "some task has a retry")
    ck.ok({"WORKER_DIED", "NODE_DIED", "TASK_EXECUTION_EXCEPTION", "ACTOR_DIED"}
          <= {r["error_type"] for r in st["tasks"]}, "error types covered")
    ck.ok(all("\x1b" not in (r["error_message"] or "") for r in st["tasks"]),
          "error messages are ANSI-free")
    ck.ok({"ALIVE", "DEAD"} <= {r["state"] for r in st["actors"]}, "actors ALIVE and DEAD")
    ck.ok(any(r["num_restarts"] == 1 for r in st["actors"]), "an actor restarted")
    jobs = {r["status"] for r in st["jobs"]}
    ck.ok({"SUCCEEDED", "FAILED", "RUNNING"} <= jobs, "job statuses covered")
    ck.ok(any(r["type"] == "SUBMISSION" for r in st["jobs"]), "a submission job")
    ck.ok({"ALIVE", "DEAD"} == {r["state"] for r in st["nodes"]}, "nodes ALIVE and DEAD")
    for r in st["tasks"]:
        ck.ok(len(bytes.fromhex(r["task_id"])) == 24 and len(bytes.fromhex(r["job_id"])) == 4,
              "hex id sizes in task %s" % r["task_id"])
        if r["actor_id"]:
            ck.ok(len(bytes.fromhex(r["actor_id"])) == 16, "actor id size")
        if r["node_id"]:
            ck.ok(len(bytes.fromhex(r["node_id"])) == 28 and len(bytes.fromhex(r["worker_id"])) == 28,
                  "node/worker id size")
    for r in st["placement_groups"]:
        ck.ok(len(bytes.fromhex(r["placement_group_id"])) == 18, "placement group id size")


def check_files(ck, root, truth):
    """The ledger in truth.json matches the disk exactly."""
    for nd in truth["node_dirs"]:
        base = os.path.join(root, nd["dir"])
        listed = {f["path"]: f for f in nd["files"]}
        seen = set()
        for dirpath, dirs, files in os.walk(base):
            for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
                seen.add(os.path.relpath(os.path.join(dirpath, name), base))
        ck.ok(seen == set(listed), "%s: files on disk == truth list (extra %s, missing %s)" % (
            nd["dir"], sorted(seen - set(listed))[:3], sorted(set(listed) - seen)[:3]))
        for rel, f in listed.items():
            p = os.path.join(base, rel)
            st = os.lstat(p)
            if f["type"] == "file":
                ck.ok(stat.S_ISREG(st.st_mode) and st.st_size == f["size"], "%s size" % rel)
            elif f["type"] == "symlink":
                ck.ok(os.readlink(p) == f["target"], "%s link target" % rel)
            elif f["type"] == "socket":
                ck.ok(stat.S_ISSOCK(st.st_mode), "%s is a socket" % rel)


def walk_ids(ck, obj, where):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ID_BYTES and isinstance(v, str) and v:
                try:
                    raw = base64.b64decode(v, validate=True)
                    ck.ok(len(raw) == ID_BYTES[k], "%s: %s decodes to %d bytes, want %d"
                          % (where, k, len(raw), ID_BYTES[k]))
                except ValueError:
                    ck.ok(False, "%s: %s=%r is not base64" % (where, k, v))
            elif k not in ("labels", "requiredResources", "required_resources", "resources"):
                walk_ids(ck, v, where)
    elif isinstance(obj, list):
        for v in obj:
            walk_ids(ck, v, where)


def snake(name):
    return re.sub("([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def check_aggregator(ck, root, truth):
    agg = truth["aggregator"]
    K = (lambda n: n) if agg["case"] == "camel" else snake
    seen_ids, total, types, attempts_def, attempts_life = set(), 0, set(), set(), set()
    for b in agg["batches"]:
        path = os.path.join(root, "aggregator", b["file"])
        if agg["format"] == "jsonl":
            with open(path) as f:
                evs = [json.loads(line) for line in f]
        else:
            evs = read_json(path)
        if b["duplicate_of"]:
            with open(path, "rb") as f1, open(os.path.join(root, "aggregator", b["duplicate_of"]), "rb") as f2:
                ck.ok(f1.read() == f2.read(), "%s is a byte copy of %s" % (b["file"], b["duplicate_of"]))
        ck.ok(isinstance(evs, list) and 0 < len(evs) <= 10_000, "%s is an array of <= 10000" % b["file"])
        ck.ok(len(evs) == b["events"], "%s event count" % b["file"])
        for e in evs:
            total += 1
            seen_ids.add(e[K("eventId")])
            types.add(e[K("eventType")])
            for k in ("eventId", "sourceType", "eventType", "timestamp", "severity", "sessionName",
                      "message"):
                ck.ok(K(k) in e, "%s: envelope has %s" % (b["file"], K(k)))
            ck.ok(bool(RFC3339.match(e["timestamp"])), "RFC 3339 timestamp %s" % e["timestamp"])
            ck.ok(e[K("sessionName")] == truth["session"]["name"], "session name")
            walk_ids(ck, e, b["file"])
            for key, bucket in (("taskDefinitionEvent", attempts_def),
                                ("actorTaskDefinitionEvent", attempts_def),
                                ("taskLifecycleEvent", attempts_life)):
                p = e.get(K(key))
                if p:
                    bucket.add((base64.b64decode(p[K("taskId")]).hex(), p[K("taskAttempt")]))
    ck.ok(total == agg["total_events"], "total events")
    ck.ok(len(seen_ids) == agg["unique_events"] + agg["unknown_type_events"], "unique event ids")
    ck.ok(set(TEN_TYPES) <= types, "all ten RayEvent types present (missing %s)"
          % sorted(set(TEN_TYPES) - types))
    rows = {(r["task_id"], r["attempt_number"]) for r in truth["state"]["tasks"]}
    ck.ok(attempts_def == rows, "definition events cover exactly the truth's attempts")
    ck.ok(attempts_life == rows, "lifecycle events cover exactly the truth's attempts")
    ck.ok(len(agg["lifecycle_before_definition"]) > 0, "some lifecycle precedes its definition")
    ck.ok(agg["duplicate_events"] > 0 and any(b["duplicate_of"] for b in agg["batches"]),
          "duplicates present")


def check_event_files(ck, root, truth):
    numbers = set(str(v) for v in truth["session"]["task_status_numbering"].values())
    for kind in ("legacy_events", "export_events"):
        for f in truth[kind]["files"]:
            path = os.path.join(root, f["node"], f["path"])
            with open(path, encoding="utf-8") as fh:
                lines = fh.read().splitlines()
            ck.ok(len(lines) == f["lines"], "%s line count" % f["path"])
            for line in lines:
                e = json.loads(line)
                if kind == "legacy_events":
                    if "host_name" in e:
                        ck.ok(list(e) == CPP_KEYS and isinstance(e["pid"], str)
                              and isinstance(e["timestamp"], int) and "\n" not in e["message"]
                              and re.fullmatch("[0-9a-f]{36}", e["event_id"]) is not None,
                              "C++ legacy line shape in %s" % f["path"])
                    else:
                        ck.ok(isinstance(e["source_pid"], int) and isinstance(e["timestamp"], str)
                              and "source_hostname" in e, "Python legacy line shape in %s" % f["path"])
                else:
                    d = e["event_data"]
                    if e["source_type"] == "EXPORT_SUBMISSION_JOB":
                        # written by Python from the job info: the node id is hex
                        node = d.get("driver_node_id")
                        ck.ok(node is None or re.fullmatch("[0-9a-f]{56}", node) is not None,
                              "submission job driver_node_id is hex")
                        continue
                    walk_ids(ck, d, f["path"])
                    ts = d.get("state_updates", {}).get("state_ts_ns", {})
                    ck.ok(set(ts) <= numbers, "state_ts_ns keys are TaskStatus numbers")
                    ck.ok(all(isinstance(v, str) for v in ts.values()), "int64 as strings")


def locate(root, nd, path_in_event, session):
    """A task's stdout_file is the path Ray wrote; the file may since have
    been moved to logs/old/."""
    name = path_in_event.rsplit("/", 1)[-1]
    for sub in ("logs/", "logs/old/"):
        p = os.path.join(root, nd["dir"], session, sub + name)
        if os.path.exists(p):
            return p
    return None


def check_task_logs(ck, root, truth):
    dirs = {nd["node_id"]: nd for nd in truth["node_dirs"]}
    S = truth["session"]["name"]
    for r in truth["state"]["tasks"]:
        info = r["task_log_info"]
        if not info:
            continue
        for stream in ("stdout", "stderr"):
            p = locate(root, dirs[r["node_id"]], info[stream + "_file"], S)
            if not ck.ok(p is not None, "log file of %s exists" % r["task_id"]):
                continue
            with open(p, "rb") as f:
                data = f.read()
            start = info[stream + "_start"]
            marker = (":task_attempt_start:%s-%d\n" % (r["task_id"], r["attempt_number"])).encode()
            ck.ok(data[:start].endswith(marker), "start offset follows the start marker")
            if stream + "_end" in info:
                end = info[stream + "_end"]
                ck.ok(data[end:].startswith(b":task_attempt_end:"), "end offset at the end marker")
                if stream == "stdout":
                    ck.ok(data[start:end].startswith(("[%s] attempt" % r["name"]).encode())
                          or r["type"] == "ACTOR_CREATION_TASK", "task output in range")


def check_node_ids(ck, root, truth):
    for nd in truth["node_dirs"]:
        with open(os.path.join(root, nd["dir"], "session_latest", "logs", "raylet.out"), "rb") as f:
            head = f.read(4096)
        ck.ok(("Setting node ID node_id=%s" % nd["node_id"]).encode() in head,
              "%s raylet.out names its node id" % nd["dir"])


def check_quirks(ck, root, truth):
    q = truth["quirks"]
    for name in ("sockets", "lock_files", "empty_files", "rotated_files", "moved_to_old",
                 "line_3mib", "non_utf8", "no_trailing_newline", "binary_file", "symlink_inside",
                 "symlink_outside"):
        ck.ok(bool(q.get(name)), "quirk %s present" % name)
    p = os.path.join(root, q["line_3mib"][0])
    with open(p, "rb") as f:
        ck.ok(max(len(x) for x in f.read().split(b"\n")) >= 3 * 1024 * 1024, "a 3 MiB line")
    with open(os.path.join(root, q["non_utf8"][0]), "rb") as f:
        try:
            f.read().decode("utf-8")
            ck.ok(False, "non-UTF-8 file decodes")
        except UnicodeDecodeError:
            ck.ok(True, "")
    with open(os.path.join(root, q["no_trailing_newline"][0]), "rb") as f:
        ck.ok(not f.read().endswith(b"\n"), "file without trailing newline")


def tree_digest(root):
    h = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            if os.path.islink(p) or not os.path.isfile(p) or name == "truth.json":
                continue
            with open(p, "rb") as f:
                h[os.path.relpath(p, root)] = hashlib.sha256(f.read()).hexdigest()
    return h


def check_deterministic(ck, a, b):
    ck.ok(tree_digest(a) == tree_digest(b), "same seed, same bytes")
    ta, tb = read_json(os.path.join(a, "truth.json")), read_json(os.path.join(b, "truth.json"))
    ck.ok(ta == tb, "same seed, same truth")


def check_append(ck, root):
    import rg_append
    before = read_json(os.path.join(root, "truth.json"))
    sizes = {"%s/%s" % (nd["dir"], f["path"]): f.get("size")
             for nd in before["node_dirs"] for f in nd["files"]}
    grown = rg_append.append(root, 32 * 1024)
    ck.ok(len(grown) >= 5 and all(v > 0 for v in grown.values()), "append grew files")
    for key, added in grown.items():
        now = os.path.getsize(os.path.join(root, key))
        ck.ok(now == (sizes.get(key) or 0) + added, "append byte count for %s" % key)
    after = read_json(os.path.join(root, "truth.json"))
    check_files(ck, root, after)
    ck.ok(after["append_rounds"] == 1, "append round recorded")


def check_variants(ck, tmp):
    import raygen
    from rg_model import Options
    out = os.path.join(tmp, "snake")
    os.makedirs(out)
    t = raygen.generate_session(out, Options(seed=3, nodes=1, jobs=2, tasks=5, actors=1,
                                             ray_version="2.35.0", quirks=False),
                                log_bytes=20 * 1024, snake=True, jsonl=True)
    check_aggregator(ck, out, t)
    check_files(ck, out, t)
    check_task_logs(ck, out, t)
    b = t["aggregator"]["batches"][0]
    with open(os.path.join(out, "aggregator", b["file"])) as f:
        first = json.loads(f.readline())
    ck.ok("event_type" in first and "session_name" in first, "snake_case JSON lines")
    ck.ok(t["session"]["task_status_numbering"]["FINISHED"] == 9, "old TaskStatus numbering")
    ck.ok(not any("node_id" in json.loads(line) for line in open(
        os.path.join(out, "aggregator", b["file"]))), "no envelope node_id before 2.50")


def check_bench(ck, tmp):
    import rg_bench
    for fmt, per in (("rayevents", 4), ("export", 3)):
        p = os.path.join(tmp, "big." + fmt)
        n = rg_bench.bigtasks(p, 500, fmt)
        lines = open(p).read().splitlines()
        ck.ok(n == len(lines) == 500 * per, "bigtasks %s count" % fmt)
        for line in lines:
            e = json.loads(line)
            walk_ids(ck, e.get("event_data", e), "bigtasks")
    p = os.path.join(tmp, "big.log")
    rg_bench.biglog(p, 3 * 1024 * 1024 + 7)
    ck.ok(os.path.getsize(p) == 3 * 1024 * 1024 + 7, "biglog exact size")
