"""Production-shaped event sessions: what the aggregator agents of a busy
Ray cluster POST, as thousands of batch files.

Each node runs its own aggregator agent (§4c); it buffers the RayEvents its
node's core workers send and POSTs them as one JSON array (json.dumps
separators, lowerCamelCase) when the buffer holds `batch_events` events or
a flush interval has passed. So a task attempt's events are split between
two aggregators: the owner's (the driver on the head node) gets the
definition and the pending states, the executor's node gets RUNNING, the
end state and the worker's TASK_PROFILE_EVENT (the profiling entries Ray's
timeline shows, about 1.5 KB). A batch from a busy node can thus reach the
store before the head's batch holding the definition of its tasks.

Retries: an attempt that fails with retry_exceptions is retried as the
next attempt number (every 25th attempt, and some retries fail again and
are retried once more, reaching attempt 2); every 97th attempt fails for
good. Events are rendered from templates compiled with the real encoder
(rg_bench.Template), so bytes match the session generator's format.

`prod(out_dir, tasks)` writes out_dir/batch-NNNNNN.json and returns
(batches, events, bytes). Deterministic for a seed.
"""

import json
import os

import rg_util as U
from rg_bench import SESSION, Template, lifecycle
from rg_proto import encode
from rg_util import MS

# The profiling entries a worker records for one executed task: the task
# itself and its phases (as rg_story.add_profile), plus the calls made from
# inside it; the timeline colours them by name (§5.5).
PROFILE_NAMES = ["task::%s", "task:deserialize_arguments", "task:execute",
                 "ray.get", "ray.put", "task:store_outputs"]


def templates():
    """Templates whose attempt number is a value, so retries reach any
    attempt (rg_bench's only have attempts 0 and 1)."""
    out = {}
    T = Template()
    ev = encode("RayEvent", {
        "event_id": T.b("eid"), "source_type": "CORE_WORKER",
        "event_type": "TASK_DEFINITION_EVENT", "timestamp": T.ts("ts"), "severity": "INFO",
        "message": "", "session_name": SESSION,
        "task_definition_event": {
            "task_id": T.b("tid"), "task_attempt": T.i("attempt"), "task_type": "NORMAL_TASK",
            "language": "PYTHON",
            "task_func": {"python_function_descriptor": {
                "module_name": "prod_pipeline", "class_name": "",
                "function_name": T.s("func"), "function_hash": T.s("hash")}},
            "task_name": T.s("name"), "required_resources": {"CPU": 1.0},
            "job_id": T.b("jid"), "parent_task_id": T.b("parent"),
            "placement_group_id": b"\xff" * U.PG_ID_LEN, "ref_ids": {},
            "serialized_runtime_env": "{}"},
        "node_id": T.b("env_node")}, True)
    out["def"] = (T.compile(U.py_json(ev)), T)

    T = Template()
    ev = lifecycle(T, T.i("attempt"), True, [("PENDING_ARGS_AVAIL", T.ts("t0")),
                                             ("PENDING_NODE_ASSIGNMENT", T.ts("t1")),
                                             ("SUBMITTED_TO_WORKER", T.ts("t2"))],
                   node_id=T.b("node"), worker_id=T.b("wid"))
    out["pending"] = (T.compile(U.py_json(ev)), T)

    T = Template()
    ev = lifecycle(T, T.i("attempt"), True, [("RUNNING", T.ts("t0"))], node_id=T.b("node"),
                   worker_id=T.b("wid"), worker_pid=T.i("pid"), task_log_info={
                       "stdout_file": T.s("out"), "stderr_file": T.s("err"),
                       "stdout_start": T.i("out_start"), "stderr_start": T.i("err_start")})
    out["running"] = (T.compile(U.py_json(ev)), T)

    for state in ("FINISHED", "FAILED"):
        T = Template()
        extra = {}
        if state == "FAILED":
            extra["ray_error_info"] = {"error_message": T.s("error"),
                                       "error_type": "TASK_EXECUTION_EXCEPTION"}
        ev = lifecycle(T, T.i("attempt"), True, [(state, T.ts("t0"))], node_id=T.b("node"),
                       worker_id=T.b("wid"), worker_pid=T.i("pid"),
                       task_log_info={"stdout_end": T.i("out_end"), "stderr_end": T.i("err_end")},
                       **extra)
        out[state] = (T.compile(U.py_json(ev)), T)

    T = Template()
    entries = [{"event_name": T.s("n%d" % k), "start_time": T.i("s%d" % k),
                "end_time": T.i("e%d" % k), "extra_data": T.s("x%d" % k)}
               for k in range(len(PROFILE_NAMES))]
    ev = encode("RayEvent", {
        "event_id": T.b("eid"), "source_type": "CORE_WORKER",
        "event_type": "TASK_PROFILE_EVENT", "timestamp": T.ts("ts"), "severity": "INFO",
        "message": "", "session_name": SESSION,
        "task_profile_events": {
            "task_id": T.b("tid"), "attempt_number": T.i("attempt"), "job_id": T.b("jid"),
            "profile_events": {"component_type": "worker", "component_id": T.b("wid"),
                               "node_ip_address": T.s("ip"), "events": entries}},
        "node_id": T.b("env_node")}, True)
    out["profile"] = (T.compile(U.py_json(ev)), T)
    return out


def render(tpl, key, values):
    fmt, T = tpl[key]
    return fmt % tuple(values[k] for k in T.order)


def jstr(s):
    """s as it sits inside a JSON string (the templates hold raw text)."""
    return json.dumps(s)[1:-1]


class Aggregator:
    """One node's aggregator agent: a buffer flushed by size or by time."""

    def __init__(self, node):
        self.node = node
        self.events = []
        self.first_ns = None


class Writer:
    def __init__(self, out_dir, batch_events, interval_ns):
        self.out_dir = out_dir
        self.batch_events = batch_events
        self.interval_ns = interval_ns
        self.batches = self.events = self.bytes = 0

    def add(self, agg, t, event):
        if agg.first_ns is None:
            agg.first_ns = t
        agg.events.append(event)
        if len(agg.events) >= self.batch_events or t - agg.first_ns >= self.interval_ns:
            self.flush(agg)

    def flush(self, agg):
        if not agg.events:
            return
        self.batches += 1
        body = "[" + ", ".join(agg.events) + "]"
        path = os.path.join(self.out_dir, "batch-%06d.json" % self.batches)
        with open(path, "w", encoding="ascii") as f:
            f.write(body)
        self.events += len(agg.events)
        self.bytes += len(body)
        agg.events = []
        agg.first_ns = None


def profile_values(rng, v, func, task_hex):
    """The six profiling entries of one executed attempt, as template values."""
    a, b = v["run"], v["end"]
    d = max(b - a, 4000)
    spans = [(a, b), (a + d // 100, a + d // 20), (a + d // 20, b - d // 20),
             (a + d // 10, a + d // 5), (a + d // 4, a + d // 3), (b - d // 20, b - d // 200)]
    objs = ["%040x" % rng.getrandbits(160) for _ in range(3)]
    extras = [{"name": func, "task_id": task_hex},
              {"task_id": task_hex, "num_args": 2},
              {"task_id": task_hex, "function": "prod_pipeline.%s" % func},
              {"object_refs": objs[:2], "timeout": -1},
              {"object_ref": objs[2], "size_bytes": rng.randrange(1 << 10, 1 << 24)},
              {"task_id": task_hex, "num_returns": 1}]
    out = {}
    for k, name in enumerate(PROFILE_NAMES):
        out["n%d" % k] = name % func if "%s" in name else name
        out["s%d" % k], out["e%d" % k] = spans[k]
        out["x%d" % k] = jstr(U.py_json(extras[k]))
    return out


def prod(out_dir, tasks, seed=1, nodes=8, workers_per_node=32, jobs=4,
         batch_events=1000, interval_s=1.0):
    rng = U.rng_for(seed, "prod")
    tpl = templates()
    r = U.rfc3339
    node_ids = [rng.randbytes(U.NODE_ID_LEN) for _ in range(nodes)]
    ips = ["10.244.%d.%d" % (k // 200, 10 + k % 200) for k in range(nodes)]
    workers = [(k, rng.randbytes(U.WORKER_ID_LEN), rng.randrange(100, 60000))
               for k in range(nodes) for _ in range(workers_per_node)]
    b64 = {x: U.b64(x) for x in node_ids + [w[1] for w in workers]}
    job_ids = [U.job_id(j + 1) for j in range(jobs)]
    parents = {j: U.b64(U.driver_task_id(j)) for j in job_ids}
    funcs = ["load_shard", "tokenize_batch", "score_batch", "resize_image", "write_parquet"]
    hashes = {f: "%032x" % rng.getrandbits(128) for f in funcs}
    aggs = [Aggregator(k) for k in range(nodes)]
    head = aggs[0]
    os.makedirs(out_dir, exist_ok=True)
    w_out = Writer(out_dir, batch_events, int(interval_s * 1e9))
    eid = lambda: U.b64(rng.randbytes(U.EVENT_ID_LEN))
    t = 1762985431 * 10 ** 9
    offsets, prev = {}, None
    for i in range(tasks):
        job = job_ids[i % jobs]
        if prev is not None and (i % 25 == 24 or (i % 200 == 0 and i > 0)):
            task_id, attempt = prev[0], prev[1] + 1
        else:
            task_id, attempt = U.normal_task_id(rng, job), 0
        prev = (task_id, attempt)
        job = task_id[-4:]              # a retry keeps its task's job
        failed = i % 97 == 13 or i % 25 == 23 or i % 200 == 199
        t += rng.randrange(50_000, 3_000_000)
        node, wid, pid = workers[rng.randrange(len(workers))]
        off = offsets.get(wid, 120)
        length = rng.randrange(0, 4000)
        offsets[wid] = off + length + 60
        func = funcs[i % len(funcs)]
        t3 = t + 5 * MS
        run = t3 + MS
        end = run + rng.randrange(1, 400) * MS
        stem = "/tmp/ray/%s/logs/worker-%s-%s-%d" % (SESSION, wid.hex(), job.hex(), pid)
        v = {"tid": U.b64(task_id), "jid": U.b64(job), "node": b64[node_ids[node]],
             "wid": b64[wid], "pid": pid, "func": func, "name": func, "hash": hashes[func],
             "parent": parents[job], "attempt": attempt, "run": run, "end": end,
             "out": stem + ".out", "err": stem + ".err", "out_start": off, "err_start": off,
             "out_end": off + length, "err_end": off, "ip": ips[node],
             "error": "ValueError: bad input in %s (attempt %d)" % (func, attempt)}
        owner = dict(v, env_node=b64[node_ids[0]])
        w_out.add(head, t, render(tpl, "def", dict(owner, eid=eid(), ts=r(t))))
        w_out.add(head, t3, render(tpl, "pending", dict(
            owner, eid=eid(), ts=r(t3), t0=r(t), t1=r(t + 200_000), t2=r(t3))))
        agg, here = aggs[node], dict(v, env_node=b64[node_ids[node]])
        w_out.add(agg, run, render(tpl, "running", dict(here, eid=eid(), ts=r(run), t0=r(run))))
        state = "FAILED" if failed else "FINISHED"
        w_out.add(agg, end, render(tpl, state, dict(here, eid=eid(), ts=r(end), t0=r(end))))
        pv = profile_values(rng, v, func, task_id.hex())
        w_out.add(agg, end + 2 * MS, render(tpl, "profile", dict(
            here, **pv, eid=eid(), ts=r(end + 2 * MS))))
    for agg in aggs:
        w_out.flush(agg)
    return w_out.batches, w_out.events, w_out.bytes
