"""Ray's three event streams for the cluster story.

* RayEvents as the dashboard aggregator agent POSTs them (§4c): JSON arrays of
  at most 10,000 events, lowerCamelCase (or snake_case with
  --snake-case, RAY_DASHBOARD_AGGREGATOR_AGENT_PRESERVE_PROTO_FIELD_NAME), ids
  base64, RFC 3339 timestamps, int64 as strings, always-printed defaults.
  Written to DIR/aggregator/batch-NNNN.json (or .jsonl, one event a line).
* Export API events, logs/export_events/event_EXPORT_*.log (§4b).
* Legacy events, logs/events/event_*.log, in both line shapes (§4a).

Who emits what: the owner's core worker reports a task's definition and its
pending states, the executing worker RUNNING, the log offsets and the end
state; GCS reports actors, jobs, nodes and placement groups. Each node's
aggregator posts what its own components reported, so a RayEvent's envelope
nodeId is the reporting node.
"""

import copy
import os

import rg_util as U
from rg_proto import encode
from rg_util import MS, NS

MAX_BATCH = 10_000          # MAX_EVENT_SEND_BATCH_SIZE (§4c)
NIL_PG = b"\xff" * U.PG_ID_LEN
PRE_RUN = {"PENDING_ARGS_AVAIL", "PENDING_NODE_ASSIGNMENT", "PENDING_OBJ_STORE_MEM_AVAIL",
           "PENDING_ARGS_FETCH", "SUBMITTED_TO_WORKER", "PENDING_ACTOR_TASK_ARGS_FETCH",
           "PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY"}
PAYLOAD = {
    "TASK_DEFINITION_EVENT": ("task_definition_event", "TaskDefinitionEvent"),
    "TASK_LIFECYCLE_EVENT": ("task_lifecycle_event", "TaskLifecycleEvent"),
    "ACTOR_TASK_DEFINITION_EVENT": ("actor_task_definition_event", "ActorTaskDefinitionEvent"),
    "TASK_PROFILE_EVENT": ("task_profile_events", "TaskProfileEvents"),
    "DRIVER_JOB_DEFINITION_EVENT": ("driver_job_definition_event", "DriverJobDefinitionEvent"),
    "DRIVER_JOB_LIFECYCLE_EVENT": ("driver_job_lifecycle_event", "DriverJobLifecycleEvent"),
    "NODE_DEFINITION_EVENT": ("node_definition_event", "NodeDefinitionEvent"),
    "NODE_LIFECYCLE_EVENT": ("node_lifecycle_event", "NodeLifecycleEvent"),
    "ACTOR_DEFINITION_EVENT": ("actor_definition_event", "ActorDefinitionEvent"),
    "ACTOR_LIFECYCLE_EVENT": ("actor_lifecycle_event", "ActorLifecycleEvent"),
    "PLACEMENT_GROUP_DEFINITION_EVENT": ("placement_group_definition_event",
                                         "PlacementGroupDefinitionEvent"),
    "PLACEMENT_GROUP_LIFECYCLE_EVENT": ("placement_group_lifecycle_event",
                                        "PlacementGroupLifecycleEvent"),
}
TEN_TYPES = list(PAYLOAD)[:10]
UNKNOWN_TYPE = "RAYHIST_UNKNOWN_TEST_EVENT"     # stands for any type newer than the reader


class RawEvent:
    """One RayEvent before encoding: who posts it, when, and its payload."""
    __slots__ = ("ts", "node", "source", "etype", "values", "post", "key", "seq", "extra", "late")

    def __init__(self, ts, node, source, etype, values, key, late=False):
        self.ts, self.node, self.source, self.etype = ts, node, source, etype
        self.values, self.key, self.late = values, key, late
        self.post, self.seq, self.extra = None, 0, None


def func_hash(name):
    return "%032x" % (hash_str(name) & (2 ** 128 - 1))


def hash_str(s):
    h = 1469598103934665603
    for ch in s.encode():
        h = ((h ^ ch) * 1099511628211) & (2 ** 128 - 1)
    return h


# =============================================================================
# RayEvents

class RayEventPlan:
    def __init__(self, cluster, pg_events=True):
        self.c = cluster
        self.rng = U.rng_for(cluster.opts.seed, "rayevents")
        self.pg_events = pg_events
        self.events = []

    def add(self, ts, node, source, etype, values, key, late=False):
        ev = RawEvent(ts, node, source, etype, values, key, late)
        ev.seq = len(self.events)
        self.events.append(ev)
        return ev

    def build(self):
        for node in self.c.nodes:
            self.node_events(node)
        for job in self.c.jobs:
            self.job_events(job)
        for actor in self.c.actors:
            self.actor_events(actor)
        for task in self.c.tasks:
            for at in task.attempts:
                self.attempt_events(at)
        if self.pg_events:
            for pg in self.c.pgs:
                self.pg_events_for(pg)
        self.assign_post_times()
        return self.events

    # --- tasks -------------------------------------------------------------------
    def definition_values(self, at):
        t = at.task
        fd = {"python_function_descriptor": {
            "module_name": t.module, "class_name": t.class_name, "function_name": t.function_name,
            "function_hash": "" if t.type == "ACTOR_TASK" else func_hash(t.func_or_class_name)}}
        v = {"task_id": t.task_id, "task_attempt": at.number, "language": "PYTHON",
             "required_resources": t.required_resources, "job_id": t.job.job_id,
             "parent_task_id": t.parent_task_id,
             # The core worker always fills the PG id; nil when none (§4c docs example).
             "placement_group_id": t.pg.pg_id if t.pg else NIL_PG,
             "ref_ids": {}, "serialized_runtime_env": t.job.serialized_runtime_env}
        if t.type == "ACTOR_TASK":
            v.update(actor_func=fd, actor_task_name=t.name, actor_id=t.actor.actor_id)
            return "ACTOR_TASK_DEFINITION_EVENT", v
        v.update(task_type=t.type, task_func=fd, task_name=t.name)
        return "TASK_DEFINITION_EVENT", v

    def lifecycle(self, at, transitions, **fields):
        v = {"task_id": at.task.task_id, "task_attempt": at.number, "job_id": at.task.job.job_id,
             "state_transitions": [{"state": s, "timestamp": ns} for s, ns in transitions]}
        v.update({k: x for k, x in fields.items() if x is not None})
        return v

    def attempt_events(self, at):
        t = at.task
        key = ("task", t.task_id, at.number)
        owner = t.owner.node
        etype, dv = self.definition_values(at)
        submit = at.transitions[0][1]
        self.add(submit, owner, "CORE_WORKER", etype, dv, key, late=at.late_definition)
        pre = [(s, ns) for s, ns in at.transitions if s in PRE_RUN]
        placed = at.worker is not None
        self.add(pre[-1][1], owner, "CORE_WORKER", "TASK_LIFECYCLE_EVENT", self.lifecycle(
            at, pre, node_id=at.node.node_id if placed else None,
            worker_id=at.worker.worker_id if placed else None), key)
        if at.run_start is not None:
            self.executor_events(at, key)
        if at.outcome == "FAILED" and (at.crashed or at.run_start is None):
            # The executor is gone (or never existed): the owner reports the failure.
            fail = [(s, ns) for s, ns in at.transitions if s == "FAILED"]
            self.add(fail[0][1], owner, "CORE_WORKER", "TASK_LIFECYCLE_EVENT", self.lifecycle(
                at, fail, ray_error_info=self.error_info(at)), key)

    def error_info(self, at):
        return {"error_message": at.error_message, "error_type": at.error_type}

    def executor_events(self, at, key):
        node, w = at.node, at.worker
        ids = dict(node_id=node.node_id, worker_id=w.worker_id, worker_pid=w.pid,
                   actor_repr_name=at.actor_repr_name)
        run = [(s, ns) for s, ns in at.transitions if s == "RUNNING"]
        start_log = None
        if at.log:
            start_log = {k: at.log[k] for k in ("stdout_file", "stderr_file", "stdout_start",
                                                "stderr_start")}
        if start_log and at.number % 2 == 0 and self.rng.random() < 0.5:
            # Like the Ray 2.56 capture: log offsets alone, empty transitions.
            self.add(run[0][1] + MS, node, "CORE_WORKER", "TASK_LIFECYCLE_EVENT",
                     self.lifecycle(at, [], task_log_info=start_log), key)
            start_log = None
        self.add(run[0][1], node, "CORE_WORKER", "TASK_LIFECYCLE_EVENT",
                 self.lifecycle(at, run, task_log_info=start_log, **ids), key)
        if at.outcome is None or at.crashed:
            return
        end = [(s, ns) for s, ns in at.transitions if s in ("FINISHED", "FAILED")]
        end_log = None
        if at.log and "stdout_end" in at.log:
            end_log = {"stdout_end": at.log["stdout_end"], "stderr_end": at.log["stderr_end"]}
        self.add(end[0][1], node, "CORE_WORKER", "TASK_LIFECYCLE_EVENT", self.lifecycle(
            at, end, task_log_info=end_log,
            ray_error_info=self.error_info(at) if at.outcome == "FAILED" else None, **ids), key)
        if at.profile:
            self.add(at.run_end + 2 * MS, node, "CORE_WORKER", "TASK_PROFILE_EVENT", {
                "task_id": at.task.task_id, "attempt_number": at.number,
                "job_id": at.task.job.job_id,
                "profile_events": {"component_type": "worker", "component_id": w.worker_id,
                                   "node_ip_address": node.ip,
                                   "events": [{"event_name": n, "start_time": a, "end_time": b,
                                               "extra_data": x} for n, a, b, x in at.profile]}}, key)

    # --- GCS entities ----------------------------------------------------------------
    def actor_events(self, a):
        head = self.c.head
        key = ("actor", a.actor_id)
        self.add(a.transitions[0]["ns"], head, "GCS", "ACTOR_DEFINITION_EVENT", {
            "actor_id": a.actor_id, "job_id": a.job.job_id, "is_detached": a.is_detached,
            "name": a.name, "ray_namespace": a.namespace, "serialized_runtime_env": "{}",
            "class_name": a.class_name, "required_resources": a.required_resources,
            "placement_group_id": a.pg.pg_id if a.pg else b"", "label_selector": {}},
            key, late=a.late_definition)
        # GCS flushes transitions that happen close together in one event.
        groups, cur = [], []
        for tr in a.transitions:
            if cur and tr["ns"] - cur[-1]["ns"] > NS // 2:
                groups.append(cur)
                cur = []
            cur.append(tr)
        groups.append(cur)
        for g in groups:
            self.add(g[-1]["ns"], head, "GCS", "ACTOR_LIFECYCLE_EVENT", {
                "actor_id": a.actor_id,
                "state_transitions": [self.actor_transition(tr) for tr in g]}, key)

    @staticmethod
    def actor_transition(tr):
        v = {"state": tr["state"], "timestamp": tr["ns"]}
        if tr["state"] == "ALIVE":
            w = tr["worker"]
            v.update(node_id=tr["node"].node_id, worker_id=w.worker_id, repr_name=tr["repr_name"],
                     pid=w.pid, port=w.port)
        if tr["state"] == "RESTARTING":
            v["restart_reason"] = tr.get("restart_reason", "ACTOR_FAILURE")
        if tr["state"] == "DEAD":
            v["death_cause"] = tr["death_cause"]
        return v

    def job_events(self, job):
        head = self.c.head
        key = ("job", job.job_id)
        self.add(job.start_ns, head, "GCS", "DRIVER_JOB_DEFINITION_EVENT", {
            "job_id": job.job_id, "driver_pid": job.driver.pid, "driver_node_id": head.node_id,
            "entrypoint": job.entrypoint,
            "config": {"serialized_runtime_env": job.serialized_runtime_env,
                       "metadata": job.config_metadata}}, key, late=job.index == 1)
        self.add(job.start_ns + MS, head, "GCS", "DRIVER_JOB_LIFECYCLE_EVENT", {
            "job_id": job.job_id,
            "state_transitions": [{"state": "CREATED", "timestamp": job.start_ns + MS}]}, key)
        if job.end_ns is not None:
            self.add(job.end_ns, head, "GCS", "DRIVER_JOB_LIFECYCLE_EVENT", {
                "job_id": job.job_id,
                "state_transitions": [{"state": "FINISHED", "timestamp": job.end_ns,
                                       "exit_code": job.exit_code}]}, key)

    def node_events(self, node):
        head = self.c.head
        key = ("node", node.node_id)
        reg = node.start_ns + 300 * MS
        late = not node.is_head and node.death_ns is None and node.index == 1
        self.add(reg, head, "GCS", "NODE_DEFINITION_EVENT", {
            "node_id": node.node_id, "node_ip_address": node.ip, "labels": node.labels,
            "start_timestamp": node.start_ns}, key, late=late)
        self.add(reg + MS, head, "GCS", "NODE_LIFECYCLE_EVENT", {
            "node_id": node.node_id, "state_transitions": [
                {"state": "ALIVE", "timestamp": reg + MS, "resources": node.resources}]}, key)
        if node.death_ns is not None:
            self.add(node.death_ns, head, "GCS", "NODE_LIFECYCLE_EVENT", {
                "node_id": node.node_id, "state_transitions": [
                    {"state": "DEAD", "timestamp": node.death_ns,
                     "death_info": {"reason": node.death_reason,
                                    "reason_message": node.death_message}}]}, key)

    def pg_events_for(self, pg):
        head = self.c.head
        key = ("pg", pg.pg_id)
        created = pg.transitions[0][1]
        self.add(created, head, "GCS", "PLACEMENT_GROUP_DEFINITION_EVENT", {
            "placement_group_id": pg.pg_id, "name": pg.name, "ray_namespace": pg.namespace,
            "strategy": pg.strategy, "is_detached": False, "creator_job_id": pg.job.job_id,
            "creator_actor_id": b"",
            "bundles": [{"bundle_index": i, "unit_resources": r, "label_selector": {}}
                        for i, r, _ in pg.bundles],
            "creation_request_received_ns": created}, key)
        for state, ns, sched in pg.transitions:
            self.add(ns, head, "GCS", "PLACEMENT_GROUP_LIFECYCLE_EVENT", {
                "placement_group_id": pg.pg_id, "state_transitions": [
                    {"state": state, "timestamp": ns, "scheduling_state": sched,
                     "scheduling_attempt": 1}]}, key)

    # --- delivery timing ----------------------------------------------------------------
    def assign_post_times(self):
        """Normally an event reaches the aggregator's POST within a fraction of
        a second; a late definition only after its entity's lifecycle events."""
        last_lifecycle = {}
        for ev in self.events:
            if "LIFECYCLE" in ev.etype:
                last_lifecycle[ev.key] = max(last_lifecycle.get(ev.key, 0), ev.ts)
        for ev in self.events:
            ev.post = ev.ts + self.rng.randrange(20, 400) * MS
            if ev.late:
                ev.post = max(ev.post, last_lifecycle.get(ev.key, ev.ts)) + self.rng.randrange(1, 4) * NS
            end = ev.node.death_ns if ev.node.death_ns is not None else self.c.t_end
            ev.post = min(ev.post, end - MS)


class Batch:
    def __init__(self, node, events, post):
        self.node, self.events, self.post = node, events, post
        self.duplicate_of = None
        self.file = None


def make_batches(plan, rng):
    """Each node's aggregator flushes what it buffered every 0.1-1 s, in
    batches of at most MAX_BATCH; batches of all nodes are then ordered by the
    time they were posted."""
    per_node = {}
    for ev in plan.events:
        per_node.setdefault(ev.node.index, []).append(ev)
    batches = []
    for idx in sorted(per_node):
        evs = sorted(per_node[idx], key=lambda e: (e.post, e.seq))
        cur, window_end = [], None
        for ev in evs:
            if cur and (ev.post > window_end or len(cur) >= MAX_BATCH):
                batches.append(Batch(cur[0].node, cur, window_end))
                cur = []
            if not cur:
                # MAX_BUFFER_SEND_INTERVAL_SECONDS is 0.1-1 s; slower under load
                window_end = ev.post + rng.randrange(300, 3000) * MS
            cur.append(ev)
        if cur:
            batches.append(Batch(cur[0].node, cur, window_end))
    batches.sort(key=lambda b: (b.post, b.node.index))
    return batches


class AggregatorWriter:
    """Encodes the plan and writes DIR/aggregator/, recording what it did for
    the truth file."""

    def __init__(self, cluster, out_dir, snake=False, jsonl=False):
        self.c = cluster
        self.dir = os.path.join(out_dir, "aggregator")
        self.camel = not snake
        self.jsonl = jsonl
        self.rng = U.rng_for(cluster.opts.seed, "aggregator")
        self.node_id_in_envelope = cluster.opts.version >= U.ENVELOPE_NODE_ID_SINCE
        self.summary = {}

    def k(self, name):
        return name if not self.camel else {"rayhist_unknown_field": "rayhistUnknownField",
                                            "rayhist_unknown_test_event": "rayhistUnknownTestEvent"
                                            }.get(name, name)

    def encode(self, ev):
        field, _schema = PAYLOAD[ev.etype]
        values = {"event_id": self.rng.randbytes(U.EVENT_ID_LEN), "source_type": ev.source,
                  "event_type": ev.etype, "timestamp": ev.ts, "severity": "INFO", "message": "",
                  "session_name": self.c.session_name, field: ev.values}
        if self.node_id_in_envelope:
            values["node_id"] = ev.node.node_id
        return encode("RayEvent", values, self.camel)

    def unknown_event(self, node, ts):
        """An event type this reader cannot know (a newer Ray's): must be skipped."""
        env = encode("RayEvent", {"event_id": self.rng.randbytes(U.EVENT_ID_LEN),
                                  "source_type": "GCS", "timestamp": ts, "severity": "INFO",
                                  "session_name": self.c.session_name}, self.camel)
        env["eventType" if self.camel else "event_type"] = UNKNOWN_TYPE
        env[self.k("rayhist_unknown_test_event")] = {"someId": "AQAAAA==", "count": "3"}
        return env

    def write(self, plan):
        os.makedirs(self.dir, exist_ok=True)
        batches = make_batches(plan, self.rng)
        encoded = [[self.encode(ev) for ev in b.events] for b in batches]
        self.perturb(batches, encoded)
        files = []
        for i, (b, evs) in enumerate(zip(batches, encoded)):
            name = "batch-%04d.%s" % (i + 1, "jsonl" if self.jsonl else "json")
            b.file = name
            if self.jsonl:
                data = "".join(U.py_json(e) + "\n" for e in evs)
            else:
                data = U.py_json(evs)      # aiohttp post(json=...) uses json.dumps
            with open(os.path.join(self.dir, name), "w", encoding="ascii") as f:
                f.write(data)
            files.append({"file": name, "node_id": b.node.hex, "node": b.node.hostname,
                          "events": len(evs), "posted_at": U.rfc3339(b.post),
                          "duplicate_of": b.duplicate_of.file if b.duplicate_of else None,
                          "size": len(data)})
        self.summarize(plan, batches, files)
        return files

    def perturb(self, batches, encoded):
        """Unknown event types and fields first, then exact duplicates (deep
        copies, so they stay byte-identical): a whole batch re-POSTed after a
        timeout, and two events repeated inside another batch."""
        s = self.summary
        n = len(batches)
        if n == 0:
            s.update(duplicate_events=0, unknown_type_events=0, events_with_unknown_fields=0)
            return
        mid = n // 2
        others = [i for i in range(n) if i != mid] or [mid]
        s["unknown_type_events"] = 0
        at = others[len(others) // 3]
        for k in range(2):
            encoded[at].insert(k, self.unknown_event(batches[at].node, batches[at].post - MS))
            s["unknown_type_events"] += 1
        s["events_with_unknown_fields"] = 0
        for i in others[:2]:
            encoded[i][-1][self.k("rayhist_unknown_field")] = {"nested": [1, 2, 3], "note": "skip me"}
            s["events_with_unknown_fields"] += 1
        key = "taskDefinitionEvent" if self.camel else "task_definition_event"
        hit = next(((i, e) for i in others for e in encoded[i] if key in e), None)
        if hit:
            hit[1][key][self.k("rayhist_unknown_field")] = "unknown payload field"
            s["events_with_unknown_fields"] += 1
        s["duplicate_events"] = 0
        inner = next((i for i in others if len(encoded[i]) >= 3), None)
        if inner is not None:
            encoded[inner].extend([copy.deepcopy(encoded[inner][0]), copy.deepcopy(encoded[inner][2])])
            s["duplicate_events"] += 2
        dup = Batch(batches[mid].node, batches[mid].events, batches[mid].post + 3 * NS)
        dup.duplicate_of = batches[mid]
        batches.insert(mid + 1, dup)
        encoded.insert(mid + 1, copy.deepcopy(encoded[mid]))
        s["duplicate_events"] += len(encoded[mid])

    def summarize(self, plan, batches, files):
        """Counts a test can check its parser against, and the entities whose
        lifecycle events were posted before their definition."""
        by_type = {}
        for ev in plan.events:
            by_type[ev.etype] = by_type.get(ev.etype, 0) + 1
        first_def, first_life = {}, {}
        pos = 0
        for b in batches:
            if b.duplicate_of:
                continue
            for ev in b.events:
                pos += 1
                target = first_def if "DEFINITION" in ev.etype else first_life
                target.setdefault(ev.key, pos)
        late = []
        for key, p in first_def.items():
            if key in first_life and first_life[key] < p:
                late.append(_key_json(key))
        self.summary.update({
            "format": "jsonl" if self.jsonl else "json-array",
            "case": "camel" if self.camel else "snake",
            "envelope_node_id": self.node_id_in_envelope,
            "batches": files,
            "unique_events": len(plan.events),
            "total_events": sum(f["events"] for f in files),
            "by_type": by_type,
            "unknown_event_types": [UNKNOWN_TYPE] + ([t for t in by_type if t not in TEN_TYPES]),
            "lifecycle_before_definition": late,
        })


def _key_json(key):
    kind = key[0]
    out = {"kind": kind, "id": key[1].hex()}
    if kind == "task":
        out["attempt"] = key[2]
    return out


# =============================================================================
# Export API events (§4b)

class ExportWriter:
    def __init__(self, cluster, fs_by_node, session_rel):
        self.c = cluster
        self.fs = fs_by_node
        self.S = session_rel
        self.rng = U.rng_for(cluster.opts.seed, "export")
        self.status_num = {name: i for i, name in enumerate(cluster.status_names)}
        self.lines = {}          # (node index, file) -> [(ts, line)]
        self.counts = {}

    def emit(self, node, name, ts, source, data, python=False):
        if python:
            # export_event_logger.py: json.dumps, insertion order, 18 hex id.
            line = U.py_json({"event_id": U.hex_event_id(self.rng, 18, U.PY_HEXDIGITS),
                              "timestamp": ts // NS, "source_type": source, "event_data": data})
        else:
            line = U.cpp_json({"timestamp": ts // NS, "event_id": U.hex_event_id(self.rng),
                               "source_type": source, "event_data": data})
        self.lines.setdefault((node.index, name), []).append((ts, line))

    def task_line(self, at, worker, ts, task_info=False, states=(), **upd):
        t = at.task
        data = {"task_id": t.task_id, "attempt_number": at.number, "job_id": t.job.job_id}
        if task_info:
            info = {"type": t.type, "language": "PYTHON", "func_or_class_name": t.func_or_class_name,
                    "task_id": t.task_id, "parent_task_id": t.parent_task_id,
                    "required_resources": t.required_resources,
                    "runtime_env_info": {"serialized_runtime_env": t.job.serialized_runtime_env}}
            if t.actor is not None:
                info["actor_id"] = t.actor.actor_id
            if t.pg is not None:
                info["placement_group_id"] = t.pg.pg_id
            data["task_info"] = info
        su = {k: v for k, v in upd.items() if v is not None and k != "profile"}
        su["state_ts_ns"] = {self.status_num[s]: ns for s, ns in states}
        data["state_updates"] = su
        if upd.get("profile"):
            data["profile_events"] = upd["profile"]
        enc = encode("ExportTaskEventData", data, use_camel=False)
        self.emit(worker.node, "event_EXPORT_TASK_%d.log" % worker.pid, ts, "EXPORT_TASK", enc)

    def task_events(self, at):
        owner = at.task.owner
        pre = [(s, ns) for s, ns in at.transitions if s in PRE_RUN]
        placed = at.worker is not None
        self.task_line(at, owner, pre[-1][1], task_info=True, states=pre,
                       node_id=at.node.node_id if placed else None,
                       worker_id=at.worker.worker_id if placed else None)
        if at.run_start is not None:
            w = at.worker
            log = {k: v for k, v in at.log.items() if k in ("stdout_file", "stderr_file",
                                                           "stdout_start", "stderr_start")}
            self.task_line(at, w, at.run_start, states=[("RUNNING", at.run_start)],
                           node_id=at.node.node_id, worker_id=w.worker_id, worker_pid=w.pid,
                           task_log_info=log or None)
            if at.outcome and not at.crashed:
                end = [(s, ns) for s, ns in at.transitions if s in ("FINISHED", "FAILED")]
                log = {k: v for k, v in at.log.items() if k in ("stdout_end", "stderr_end")}
                prof = None
                if at.profile:
                    prof = {"component_type": "worker", "component_id": w.worker_id,
                            "node_ip_address": at.node.ip,
                            "events": [{"event_name": n, "start_time": a, "end_time": b,
                                        "extra_data": x} for n, a, b, x in at.profile]}
                err = ({"error_message": at.error_message, "error_type": at.error_type}
                       if at.outcome == "FAILED" else None)
                self.task_line(at, w, end[0][1], states=end, worker_pid=w.pid,
                               task_log_info=log or None, error_info=err, profile=prof)
        if at.outcome == "FAILED" and (at.crashed or at.run_start is None):
            fail = [(s, ns) for s, ns in at.transitions if s == "FAILED"]
            self.task_line(at, owner, fail[0][1], states=fail,
                           error_info={"error_message": at.error_message,
                                       "error_type": at.error_type})

    def actor_events(self, a):
        head = self.c.head
        for tr in a.transitions:
            data = {"actor_id": a.actor_id, "job_id": a.job.job_id, "state": tr["state"],
                    "is_detached": a.is_detached, "name": a.name, "ray_namespace": a.namespace,
                    "serialized_runtime_env": "{}", "class_name": a.class_name,
                    "required_resources": a.required_resources, "repr_name": ""}
            placed = [x for x in a.transitions if x["ns"] <= tr["ns"] and x.get("worker")]
            if placed:
                data["node_id"] = placed[-1]["node"].node_id
                data["pid"] = placed[-1]["worker"].pid
                data["repr_name"] = a.repr_name
            if a.pg is not None:
                data["placement_group_id"] = a.pg.pg_id
            if tr["state"] == "DEAD":
                data["death_cause"] = tr["death_cause"]
            self.emit(head, "event_EXPORT_ACTOR.log", tr["ns"], "EXPORT_ACTOR",
                      encode("ExportActorData", data, use_camel=False))

    def node_events(self, n):
        base = {"node_id": n.node_id, "node_manager_address": n.ip, "resources_total": n.resources,
                "node_name": n.ip, "start_time_ms": n.start_ns // MS, "end_time_ms": 0,
                "is_head_node": n.is_head, "labels": n.labels, "state": "ALIVE"}
        self.emit(self.c.head, "event_EXPORT_NODE.log", n.start_ns + 300 * MS, "EXPORT_NODE",
                  encode("ExportNodeData", base, use_camel=False))
        if n.death_ns is not None:
            dead = dict(base, state="DEAD", end_time_ms=n.death_ns // MS,
                        death_info={"reason": n.death_reason, "reason_message": n.death_message})
            self.emit(self.c.head, "event_EXPORT_NODE.log", n.death_ns, "EXPORT_NODE",
                      encode("ExportNodeData", dead, use_camel=False))

    def job_events(self, j):
        head = self.c.head
        base = {"job_id": j.job_id, "is_dead": False, "driver_pid": j.driver.pid,
                "config": {"runtime_env_info": {"serialized_runtime_env": j.serialized_runtime_env},
                           "metadata": j.config_metadata},
                "start_time": j.start_ns // MS, "end_time": 0, "entrypoint": j.entrypoint,
                "driver_ip_address": head.ip}
        self.emit(head, "event_EXPORT_DRIVER_JOB.log", j.start_ns, "EXPORT_DRIVER_JOB",
                  encode("ExportDriverJobEventData", base, use_camel=False))
        if j.end_ns is not None:
            self.emit(head, "event_EXPORT_DRIVER_JOB.log", j.end_ns, "EXPORT_DRIVER_JOB",
                      encode("ExportDriverJobEventData",
                             dict(base, is_dead=True, end_time=j.end_ns // MS), use_camel=False))
        if j.is_submission:
            self.submission_events(j)

    def submission_events(self, j):
        """PENDING -> RUNNING -> final, written by the Python job manager (§4b,
        test_generate_export_events.py expects exactly these three)."""
        head = self.c.head
        base = {"submission_job_id": j.submission_id, "status": "PENDING", "entrypoint": j.entrypoint,
                "message": "Job has not started yet.", "start_time": j.submit_ns // MS,
                "metadata": j.user_metadata, "runtime_env_json": U.py_json(j.runtime_env)}
        steps = [(j.submit_ns, base),
                 (j.start_ns, dict(base, status="RUNNING", message="Job is currently running.",
                                   driver_agent_http_address="http://%s:52365" % head.ip,
                                   driver_node_id=head.hex))]
        if j.end_ns is not None:
            final = dict(steps[1][1], status=j.status, message=j.message, end_time=j.end_ns // MS,
                         driver_exit_code=j.exit_code)
            if j.error_type:
                final["error_type"] = j.error_type
            steps.append((j.end_ns, final))
        for ts, data in steps:
            self.emit(head, "event_EXPORT_SUBMISSION_JOB.log", ts, "EXPORT_SUBMISSION_JOB",
                      encode("ExportSubmissionJobEventData", data, use_camel=False), python=True)

    def write(self):
        for at in self.c.attempts():
            self.task_events(at)
        for a in self.c.actors:
            self.actor_events(a)
        for n in self.c.nodes:
            self.node_events(n)
        for j in self.c.jobs:
            self.job_events(j)
        return write_event_files(self.fs, self.S, "export_events", self.lines, self.counts)


def write_event_files(fs_by_node, session, subdir, lines, counts):
    files = []
    for (idx, name), items in sorted(lines.items()):
        items.sort(key=lambda x: x[0])
        rel = "%s/logs/%s/%s" % (session, subdir, name)
        fs_by_node[idx].write(rel, "".join(line + "\n" for _, line in items))
        counts[rel] = len(items)
        files.append({"node_index": idx, "path": rel, "lines": len(items)})
    return files


# =============================================================================
# Legacy events (§4a)

class LegacyWriter:
    def __init__(self, cluster, fs_by_node, session_rel):
        self.c = cluster
        self.fs = fs_by_node
        self.S = session_rel
        self.rng = U.rng_for(cluster.opts.seed, "legacy")
        self.lines = {}
        self.counts = {}
        self.by_job = {}

    def cpp(self, node, name, ts, source, pid, severity, label, message, custom):
        """LogEventReporter::EventToString: seconds as a number, pid as a string,
        newlines replaced by a literal backslash-n, keys sorted by nlohmann."""
        line = U.cpp_json({"timestamp": ts // NS, "severity": severity, "label": label,
                           "event_id": U.hex_event_id(self.rng), "source_type": source,
                           "host_name": node.hostname, "pid": str(pid),
                           "message": message.replace("\n", "\\n").replace("\r", "\\n"),
                           "custom_fields": custom})
        self.lines.setdefault((node.index, name), []).append((ts, line))
        self.count_job(custom)

    def py(self, node, name, ts, source, pid, severity, message, custom, label=""):
        """EventLoggerAdapter._emit: MessageToDict(including_default_value_fields)
        then json.dumps; timestamp int64 -> string, source_pid a number."""
        data = encode("Event", {"event_id": U.hex_event_id(self.rng, 36, U.PY_HEXDIGITS),
                                "source_type": source, "source_hostname": node.hostname,
                                "source_pid": pid, "severity": severity, "label": label,
                                "message": message, "timestamp": ts // NS,
                                "custom_fields": custom}, use_camel=False)
        self.lines.setdefault((node.index, name), []).append((ts, U.py_json(data)))
        self.count_job(custom)

    def count_job(self, custom):
        job = custom.get("job_id") or "global"
        self.by_job[job] = self.by_job.get(job, 0) + 1

    def write(self):
        c, head = self.c, self.c.head
        gcs_pid = head.pids["gcs_server"]
        for n in c.nodes:
            self.cpp(head, "event_GCS.log", n.start_ns + 300 * MS, "GCS", gcs_pid, "INFO",
                     "RAY_NODE_ADDED", "Node %s (%s) was added to the cluster." % (n.hex, n.ip),
                     {"node_id": n.hex, "job_id": "", "task_id": ""})
            if n.death_ns is not None:
                self.cpp(head, "event_GCS.log", n.death_ns, "GCS", gcs_pid, "ERROR",
                         "RAY_NODE_REMOVED",
                         "The node with node id: %s and address: %s has been marked dead.\n"
                         "Reason: %s" % (n.hex, n.ip, n.death_message),
                         {"node_id": n.hex, "job_id": "", "task_id": ""})
            # Every raylet opens its event file at start, even if it never writes to it.
            self.lines.setdefault((n.index, "event_RAYLET.log"), [])
        for w in c.workers():
            if w.exit_type == "SYSTEM_ERROR" and w.crash_ns is not None:
                self.cpp(w.node, "event_RAYLET.log", w.end_ns, "RAYLET", w.node.pids["raylet"],
                         "ERROR", "RAY_WORKER_FAILURE",
                         "A worker died or was killed while executing a task.\nWorker ID: %s\n"
                         "Worker PID: %d\nExit type: SYSTEM_ERROR" % (w.hex, w.pid),
                         {"job_id": w.job_hex, "node_id": w.node.hex, "task_id": ""})
        for at in c.attempts():
            if at.error_type == "TASK_EXECUTION_EXCEPTION" and at.task.type == "NORMAL_TASK":
                w = at.worker
                self.cpp(w.node, "event_CORE_WORKER_%d.log" % w.pid, at.run_end, "CORE_WORKER",
                         w.pid, "ERROR", "RAY_TASK_FAILED", U.strip_ansi(at.error_message),
                         {"job_id": at.task.job.hex, "node_id": at.node.hex,
                          "task_id": at.task.hex})
        self.python_events()
        return write_event_files(self.fs, self.S, "events", self.lines, self.counts)

    def python_events(self):
        c, head = self.c, self.c.head
        dash = head.pids["dashboard"]
        for j in c.jobs:
            if not j.is_submission:
                continue
            custom = {"job_id": j.hex, "submission_id": j.submission_id}
            self.py(head, "event_JOBS.log", j.start_ns, "JOBS", dash, "INFO",
                    "Started a ray job %s." % j.submission_id, custom)
            if j.end_ns is not None:
                self.py(head, "event_JOBS.log", j.end_ns, "JOBS", dash,
                        "INFO" if j.status == "SUCCEEDED" else "ERROR",
                        "Completed a ray job %s with a status %s." % (j.submission_id, j.status),
                        custom)
        mon = head.pids["monitor"]
        for n in c.nodes[1:]:
            self.py(head, "event_AUTOSCALER.log", n.start_ns - 2 * NS, "AUTOSCALER", mon, "INFO",
                    "Adding 1 node(s) of type workergroup.", {})
        cpus = sum(n.resources["CPU"] for n in c.nodes)
        self.py(head, "event_AUTOSCALER.log", c.nodes[-1].start_ns + 5 * NS, "AUTOSCALER", mon,
                "INFO", "Resized to %d CPUs." % cpus, {})
        dead = c.dying_node
        if dead is not None:
            # The Python writer keeps a real newline (JSON "\n").
            self.py(head, "event_AUTOSCALER.log", dead.death_ns + 3 * NS, "AUTOSCALER", mon,
                    "WARNING", "Removing 1 nodes of type workergroup (lost contact with raylet).\n"
                    "Node ip: %s" % dead.ip, {})
