"""Benchmark inputs: huge task event streams and one huge log file, fast.

Events are not built with json.dumps per event. A template is made once per
event shape by running the real encoder (rg_proto) on sentinel values and
serialising with the real writer, so the bytes have exactly the session
generator's format; each event is then one %-substitution.
"""

import base64

import rg_util as U
from rg_proto import encode
from rg_text import Pools, fill
from rg_util import MS, NS

SESSION = "session_2025-11-12_22-10-31_123456_42"


class Template:
    """Turns an event built from named sentinel values into a '%s' format
    string plus the order in which the named values fill it.

    Sentinel k is the text '@@k@@' for strings, the integer 90000000k for
    ints and int64s, 4102444800 s + 123456000 + k ns for timestamps (the
    year 2100) and the base64 of b'@@kk@@' for bytes fields.
    """

    def __init__(self):
        self.marks = []          # (name, text as it appears in the output)

    def _add(self, name, text, value):
        self.marks.append((name, text))
        return value

    def s(self, name):
        m = "@@%d@@" % len(self.marks)
        return self._add(name, m, m)

    def i(self, name):
        v = 900000000 + len(self.marks)
        return self._add(name, str(v), v)

    def ts(self, name):
        v = 4102444800 * NS + 123456000 + len(self.marks)
        return self._add(name, U.rfc3339(v), v)

    def b(self, name):
        raw = ("@@%02d@@" % len(self.marks)).encode()
        return self._add(name, base64.b64encode(raw).decode(), raw)

    def compile(self, text):
        text = text.replace("%", "%%")
        for name, m in self.marks:
            if text.count(m) != 1:
                raise AssertionError("sentinel %s=%r appears %d times" % (name, m, text.count(m)))
        found = sorted((text.index(m), name, m) for name, m in self.marks)
        fmt, pos = [], 0
        for at, name, m in found:
            fmt.append(text[pos:at])
            fmt.append("%s")
            pos = at + len(m)
        fmt.append(text[pos:])
        self.order = [name for _, name, _ in found]
        return "".join(fmt)


def rayevent_templates(snake=False):
    """The events rg_events emits for a normal task attempt: definition, the
    owner's pending states, the executor's RUNNING (+ log start) and its end
    state (+ log end, error)."""
    camel = not snake
    out = {}
    for attempt in (0, 1):
        T = Template()
        ev = encode("RayEvent", {
            "event_id": T.b("eid"), "source_type": "CORE_WORKER",
            "event_type": "TASK_DEFINITION_EVENT", "timestamp": T.ts("ts"), "severity": "INFO",
            "message": "", "session_name": SESSION,
            "task_definition_event": {
                "task_id": T.b("tid"), "task_attempt": attempt, "task_type": "NORMAL_TASK",
                "language": "PYTHON",
                "task_func": {"python_function_descriptor": {
                    "module_name": "bench", "class_name": "", "function_name": T.s("func"),
                    "function_hash": T.s("hash")}},
                "task_name": T.s("name"), "required_resources": {"CPU": 1.0},
                "job_id": T.b("jid"), "parent_task_id": T.b("parent"),
                "placement_group_id": b"\xff" * U.PG_ID_LEN, "ref_ids": {},
                "serialized_runtime_env": "{}"},
            "node_id": T.b("env_node")}, camel)
        out[("def", attempt)] = (T.compile(U.py_json(ev)), T)

        T = Template()
        ev = lifecycle(T, attempt, camel, [("PENDING_ARGS_AVAIL", T.ts("t0")),
                                           ("PENDING_NODE_ASSIGNMENT", T.ts("t1")),
                                           ("SUBMITTED_TO_WORKER", T.ts("t2"))],
                       node_id=T.b("node"), worker_id=T.b("wid"))
        out[("lc1", attempt)] = (T.compile(U.py_json(ev)), T)

        T = Template()
        ev = lifecycle(T, attempt, camel, [("RUNNING", T.ts("t0"))], node_id=T.b("node"),
                       worker_id=T.b("wid"), worker_pid=T.i("pid"), task_log_info={
                           "stdout_file": T.s("out"), "stderr_file": T.s("err"),
                           "stdout_start": T.i("out_start"), "stderr_start": T.i("err_start")})
        out[("lc2", attempt)] = (T.compile(U.py_json(ev)), T)

        for state in ("FINISHED", "FAILED"):
            T = Template()
            extra = {}
            if state == "FAILED":
                extra["ray_error_info"] = {"error_message": T.s("error"),
                                           "error_type": "TASK_EXECUTION_EXCEPTION"}
            ev = lifecycle(T, attempt, camel, [(state, T.ts("t0"))], node_id=T.b("node"),
                           worker_id=T.b("wid"), worker_pid=T.i("pid"),
                           task_log_info={"stdout_end": T.i("out_end"), "stderr_end": T.i("err_end")},
                           **extra)
            out[("lc3" + state, attempt)] = (T.compile(U.py_json(ev)), T)
    return out


def lifecycle(T, attempt, camel, transitions, **fields):
    body = {"task_id": T.b("tid"), "task_attempt": attempt, "job_id": T.b("jid"),
            "state_transitions": [{"state": s, "timestamp": ns} for s, ns in transitions]}
    body.update(fields)
    return encode("RayEvent", {
        "event_id": T.b("eid"), "source_type": "CORE_WORKER", "event_type": "TASK_LIFECYCLE_EVENT",
        "timestamp": T.ts("ts"), "severity": "INFO", "message": "", "session_name": SESSION,
        "task_lifecycle_event": body, "node_id": T.b("env_node")}, camel)


def export_templates(status):
    """event_EXPORT_TASK lines (C++ writer: keys sorted, compact; §4b)."""
    tpl = {}
    for attempt in (0, 1):
        for kind in ("def", "run", "FINISHED", "FAILED"):
            T = Template()
            data = {"task_id": T.b("tid"), "attempt_number": attempt, "job_id": T.b("jid")}
            if kind == "def":
                data["task_info"] = {"type": "NORMAL_TASK", "language": "PYTHON",
                                     "func_or_class_name": T.s("func"), "task_id": T.b("tid2"),
                                     "parent_task_id": T.b("parent"),
                                     "required_resources": {"CPU": 1.0}}
                su = {"node_id": T.b("node"), "worker_id": T.b("wid"),
                      "state_ts_ns": {status["PENDING_ARGS_AVAIL"]: T.i("t0"),
                                      status["PENDING_NODE_ASSIGNMENT"]: T.i("t1"),
                                      status["SUBMITTED_TO_WORKER"]: T.i("t2")}}
            elif kind == "run":
                su = {"node_id": T.b("node"), "worker_id": T.b("wid"), "worker_pid": T.i("pid"),
                      "task_log_info": {"stdout_file": T.s("out"), "stderr_file": T.s("err"),
                                        "stdout_start": T.i("out_start"),
                                        "stderr_start": T.i("err_start")},
                      "state_ts_ns": {status["RUNNING"]: T.i("t0")}}
            else:
                su = {"worker_pid": T.i("pid"),
                      "task_log_info": {"stdout_end": T.i("out_end"), "stderr_end": T.i("err_end")},
                      "state_ts_ns": {status[kind]: T.i("t0")}}
                if kind == "FAILED":
                    su["error_info"] = {"error_message": T.s("error"),
                                        "error_type": "TASK_EXECUTION_EXCEPTION"}
            data["state_updates"] = su
            line = U.cpp_json({"timestamp": T.i("sec"), "event_id": T.s("eid"),
                               "source_type": "EXPORT_TASK",
                               "event_data": encode("ExportTaskEventData", data, use_camel=False)})
            tpl[(kind, attempt)] = (T.compile(line), T)
    return tpl


def render(tpl, key, values):
    fmt, T = tpl[key]
    return fmt % tuple(values[k] for k in T.order)


class Cluster:
    """A fixed pool of nodes, workers and jobs that the attempts are spread over."""

    def __init__(self, rng, nodes=8, workers_per_node=32, jobs=4):
        self.nodes = [rng.randbytes(28) for _ in range(nodes)]
        self.workers = [(n, rng.randbytes(28), rng.randrange(100, 60000))
                        for n in self.nodes for _ in range(workers_per_node)]
        self.jobs = [U.job_id(j + 1) for j in range(jobs)]
        self.b64 = {x: U.b64(x) for x in self.nodes + [w[1] for w in self.workers] + self.jobs}
        self.driver_tasks = {j: U.b64(U.driver_task_id(j)) for j in self.jobs}


def attempt_values(cl, rng, task_id, job, w, t, func, off, length, failed):
    """Everything the templates need for one attempt, rendered once."""
    node, wid, pid = w
    t3 = t + 5 * MS
    end = t3 + rng.randrange(1, 400) * MS
    stem = "/tmp/ray/%s/logs/worker-%s-%s-%d" % (SESSION, wid.hex(), job.hex(), pid)
    return {"tid": U.b64(task_id), "jid": cl.b64[job], "node": cl.b64[node], "wid": cl.b64[wid],
            "pid": pid, "func": func, "parent": cl.driver_tasks[job], "t": t, "t1": t + 200_000,
            "t3": t3, "run": t3 + MS, "end": end, "out": stem + ".out", "err": stem + ".err",
            "out_start": off, "err_start": off, "out_end": off + length, "err_end": off,
            "error": "ValueError: bad input in %s" % func if failed else None}


def rayevents_for(tpl, cl, rng, hashes, v, attempt, late):
    r = U.rfc3339
    eid = lambda: base64.b64encode(rng.getrandbits(224).to_bytes(28, "big")).decode()
    head = cl.b64[cl.nodes[0]]
    a = min(attempt, 1)
    d = render(tpl, ("def", a), dict(v, eid=eid(), ts=r(v["t"]), hash=hashes[v["func"]],
                                     name=v["func"], env_node=head))
    lc1 = render(tpl, ("lc1", a), dict(v, eid=eid(), ts=r(v["t3"]), t0=r(v["t"]), t1=r(v["t1"]),
                                       t2=r(v["t3"]), env_node=head))
    lc2 = render(tpl, ("lc2", a), dict(v, eid=eid(), ts=r(v["run"]), t0=r(v["run"]),
                                       env_node=v["node"]))
    state = "FAILED" if v["error"] else "FINISHED"
    lc3 = render(tpl, ("lc3" + state, a), dict(v, eid=eid(), ts=r(v["end"]), t0=r(v["end"]),
                                               env_node=v["node"]))
    return [lc1, lc2, lc3, d] if late else [d, lc1, lc2, lc3]


def export_for(tpl, rng, v, attempt, late):
    eid = lambda: "%036x" % rng.getrandbits(144)
    a = min(attempt, 1)
    d = render(tpl, ("def", a), dict(v, tid2=v["tid"], t0=v["t"], t1=v["t1"], t2=v["t3"],
                                     sec=v["t"] // NS, eid=eid()))
    run = render(tpl, ("run", a), dict(v, t0=v["run"], sec=v["run"] // NS, eid=eid()))
    state = "FAILED" if v["error"] else "FINISHED"
    e = render(tpl, (state, a), dict(v, t0=v["end"], sec=v["end"] // NS, eid=eid()))
    return [run, e, d] if late else [d, run, e]


def bigtasks(path, n, fmt="rayevents", seed=1, arrays=False, version="2.52.0"):
    """n task attempts: every 25th retries the previous (failed) task as
    attempt 1, every 97th fails too, every 10th has its definition after its
    lifecycle events."""
    rng = U.rng_for(seed, "bigtasks")
    cl = Cluster(rng)
    status = {s: i for i, s in enumerate(U.task_status_names(U.parse_version(version)))}
    funcs = ["bench_task", "square_numbers", "tokenize_batch", "score_batch", "resize_image"]
    hashes = {f: "%032x" % rng.getrandbits(128) for f in funcs}
    tpl = rayevent_templates() if fmt == "rayevents" else export_templates(status)
    t = 1762985431 * NS
    offsets, prev, written, batch = {}, None, 0, []
    with open(path, "w", encoding="ascii", buffering=1 << 20) as f:
        for i in range(n):
            job = cl.jobs[i % len(cl.jobs)]
            if prev is not None and i % 25 == 24:
                task_id, attempt = prev, 1
            else:
                task_id, attempt = U.normal_task_id(rng, job), 0
                prev = task_id
            job = task_id[-4:]          # a retry keeps its task's job
            t += rng.randrange(50_000, 3_000_000)
            w = cl.workers[rng.randrange(len(cl.workers))]
            off = offsets.get(w[1], 120)
            length = rng.randrange(0, 4000)
            offsets[w[1]] = off + length + 60
            # an attempt that is retried next failed (retry_exceptions=True)
            v = attempt_values(cl, rng, task_id, job, w, t, funcs[i % len(funcs)], off, length,
                               failed=i % 97 == 13 or i % 25 == 23)
            if fmt == "rayevents":
                batch.extend(rayevents_for(tpl, cl, rng, hashes, v, attempt, late=i % 10 == 7))
            else:
                batch.extend(export_for(tpl, rng, v, attempt, late=i % 10 == 7))
            if len(batch) >= 10_000 or i == n - 1:
                written += flush(f, batch, fmt == "rayevents" and arrays)
                batch = []
    return written


def flush(f, events, arrays):
    if not events:
        return 0
    if arrays:
        for k in range(0, len(events), 10_000):
            f.write("[" + ", ".join(events[k:k + 10_000]) + "]\n")
    else:
        f.write("\n".join(events))
        f.write("\n")
    return len(events)


def biglog(path, nbytes, seed=1):
    """A raylet.out-like file of exactly `nbytes`, ending in a newline."""
    rng = U.rng_for(seed, "biglog")
    pools = Pools(rng, 16000)
    pid = 4242
    entries = pools.cpp_entries("raylet", "raylet", pid, [pid, pid + 17, pid + 18, pid + 31])
    t0 = 1762985431 * NS
    span = max(3600 * NS, (nbytes // 150) * 2 * MS)     # ~500 lines a second
    with open(path, "wb", buffering=1 << 22) as f:
        n = fill(f.write, nbytes, entries, rng, t0, t0 + span, lead="[")
        gap = nbytes - n
        if gap > 0:
            # top up with one last line of exactly the missing length
            head = "[%s I %d %d] (raylet) node_manager.cc:1290: " % (U.log_ts(t0 + span), pid, pid)
            line = (head + "x" * gap)[:max(0, gap - 1)] + "\n" if gap > 1 else "\n"
            f.write(line.encode())
            n += len(line)
    return n
