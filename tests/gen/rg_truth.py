"""Ground truth: what Ray's state API would answer for the generated cluster.

Rows are derived from the story model (rg_model), never by reading back the
generated files. Field names and order follow §3.4 of ray-formats.md; the
TaskState derivation follows §3.5 (protobuf_to_task_state_dict). Values whose
exact Ray rendering could not be verified are listed in APPROXIMATE so tests
can leave them out of exact comparisons.
"""

import json

import rg_util as U
from rg_util import MS

APPROXIMATE = {
    "tasks": {
        "runtime_env_info": "Ray renders its RuntimeEnvInfo message; the exact keys were not verified",
        "profiling_data": "start/end are ns/1e6 floats (§3.5); extra_data decoded from JSON",
        "events[].created_ms": "Ray computes ts_ns // 1e6, a float such as 1762989031123.0; truth holds the int",
    },
    "actors": {
        "num_restarts": "uint64 in the proto; MessageToDict may render it as a string",
        "death_cause": "only the context fields raygen emits",
    },
    "jobs": {
        "status": "Ray's get_driver_jobs reports RUNNING/SUCCEEDED for driver jobs; truth uses "
                  "FAILED when the driver exited non-zero (project rule)",
        "driver_exit_code": "set for driver jobs from the FINISHED transition's exit_code",
    },
    "nodes": {"state_message": "compose_state_message text; null for alive nodes"},
    "workers": {"*": "not derivable from the three event streams raygen writes; model values"},
    "placement_groups": {"bundles": "proto-dict shape of Bundle (bundle_id nested)",
                         "stats": "not modelled (null)"},
}


def hx(raw):
    return None if raw is None else raw.hex()


# --- tasks -------------------------------------------------------------------------

def task_row(cluster, at):
    t = at.task
    order = cluster.status_names
    stamps = dict(at.transitions)
    events = [{"state": s, "created_ms": stamps[s] // MS} for s in order if s in stamps]
    state = events[-1]["state"] if events else "NIL"     # enum order, not time (§3.5)
    placed = at.worker is not None
    name = t.name
    if at.actor_repr_name and t.type == "ACTOR_TASK" and t.name == t.func_or_class_name:
        name = "%s.%s" % (at.actor_repr_name, t.function_name)
    failed = state == "FAILED"
    return {
        "task_id": t.hex,
        "attempt_number": at.number,
        "name": name,
        "state": state,
        "job_id": t.job.hex,
        "actor_id": hx(t.actor.actor_id) if t.actor else None,
        "type": t.type,
        "func_or_class_name": t.func_or_class_name,
        "parent_task_id": t.parent_task_id.hex(),
        "node_id": at.node.hex if placed else None,
        "worker_id": at.worker.hex if placed else None,
        "worker_pid": at.worker.pid if placed and at.run_start is not None else None,
        "error_type": at.error_type if failed else None,
        "language": "PYTHON",
        "required_resources": dict(t.required_resources),
        "runtime_env_info": {"serialized_runtime_env": t.job.serialized_runtime_env,
                             "runtime_env_config": {"setup_timeout_seconds": 600,
                                                    "eager_install": True}},
        "placement_group_id": t.pg.hex if t.pg else None,
        "events": events,
        "profiling_data": profiling(at),
        "creation_time_ms": ms_of(stamps, "PENDING_ARGS_AVAIL"),
        "start_time_ms": ms_of(stamps, "RUNNING"),
        "end_time_ms": ms_of(stamps, "FINISHED") or ms_of(stamps, "FAILED"),
        "task_log_info": dict(at.log) if at.log else None,
        "error_message": U.strip_ansi(at.error_message) if failed and at.error_message else None,
        "is_debugger_paused": None,
    }


def ms_of(stamps, state):
    return stamps[state] // MS if state in stamps else None


def profiling(at):
    if not at.profile:
        return {}
    events = []
    for name, a, b, extra in at.profile:
        ev = {"event_name": name, "start_time": a / 1e6, "end_time": b / 1e6}
        if extra is not None:
            ev["extra_data"] = json.loads(extra)
        events.append(ev)
    return {"component_type": "worker", "component_id": at.worker.hex,
            "node_ip_address": at.node.ip, "events": events}


# --- actors, jobs, nodes, workers, placement groups -------------------------------------

def actor_row(a):
    node, w = a.last_placement()
    return {
        "actor_id": a.hex,
        "class_name": a.class_name,
        "state": a.state,
        "job_id": a.job.hex,
        "name": a.name,
        "node_id": node.hex if node else None,
        "pid": w.pid if w else None,
        "ray_namespace": a.namespace,
        "serialized_runtime_env": "{}",
        "required_resources": dict(a.required_resources),
        "death_cause": a.death_cause if a.state == "DEAD" else None,
        "is_detached": a.is_detached,
        "placement_group_id": a.pg.hex if a.pg else None,
        "repr_name": a.repr_name,
        "num_restarts": a.num_restarts,
        "num_restarts_due_to_lineage_reconstruction": 0,
    }


def job_row(cluster, j):
    """JobDetails (§3.4). A submitted job is one row (its GCS driver job is
    folded into it); a plain driver job has type DRIVER."""
    head = cluster.head
    return {
        "type": "SUBMISSION" if j.is_submission else "DRIVER",
        "job_id": j.hex,
        "submission_id": j.submission_id,
        "driver_info": {"id": j.hex, "node_ip_address": head.ip, "pid": str(j.driver.pid)},
        "status": j.status,
        "entrypoint": j.entrypoint,
        "message": j.message,
        "error_type": j.error_type,
        "start_time": (j.submit_ns if j.is_submission else j.start_ns) // MS,
        "end_time": j.end_ns // MS if j.end_ns is not None else (None if j.is_submission else 0),
        "metadata": dict(j.user_metadata) if j.is_submission else j.config_metadata,
        "runtime_env": dict(j.runtime_env),
        "driver_agent_http_address": "http://%s:52365" % head.ip if j.is_submission else None,
        "driver_node_id": head.hex if j.is_submission else None,
        "driver_exit_code": j.exit_code if j.end_ns is not None else None,
    }


STATE_MESSAGE = {"EXPECTED_TERMINATION": "Expected termination",
                 "UNEXPECTED_TERMINATION": "Unexpected termination",
                 "AUTOSCALER_DRAIN_PREEMPTED": "Terminated due to preemption",
                 "AUTOSCALER_DRAIN_IDLE": "Terminated due to idle (no Ray activity)"}


def node_row(n):
    dead = n.death_ns is not None
    msg = None
    if dead:
        msg = STATE_MESSAGE.get(n.death_reason, "")
        msg = "%s: %s" % (msg, n.death_message) if msg else n.death_message
    return {
        "node_id": n.hex,
        "node_ip": n.ip,
        "is_head_node": n.is_head,
        "state": "DEAD" if dead else "ALIVE",
        "state_message": msg,
        "node_name": n.ip,
        "resources_total": dict(n.resources),
        "labels": dict(n.labels),
        "start_time_ms": n.start_ns // MS,
        "end_time_ms": n.death_ns // MS if dead else 0,
    }


def worker_row(w):
    return {
        "worker_id": w.hex,
        "is_alive": w.end_ns is None,
        "worker_type": w.kind,
        "exit_type": w.exit_type,
        "node_id": w.node.hex,
        "ip": w.node.ip,
        "pid": w.pid,
        "exit_detail": w.exit_detail,
        "worker_launch_time_ms": w.launch_ns // MS,
        "worker_launched_time_ms": w.start_ns // MS,
        "start_time_ms": w.start_ns // MS,
        "end_time_ms": w.end_ns // MS if w.end_ns is not None else 0,
        "debugger_port": None,
        "num_paused_threads": None,
    }


def pg_row(pg):
    return {
        "placement_group_id": pg.hex,
        "name": pg.name,
        "creator_job_id": pg.job.hex,
        "state": pg.state,
        "bundles": [{"bundle_id": {"placement_group_id": pg.hex, "bundle_index": i},
                     "unit_resources": dict(r), "node_id": n.hex}
                    for i, r, n in pg.bundles],
        "is_detached": False,
        "stats": None,
    }


# --- assembly ------------------------------------------------------------------------

def node_dirs(cluster, fs_by_node):
    out = []
    for n in cluster.nodes:
        fs = fs_by_node[n.index]
        out.append({"node_id": n.hex, "hostname": n.hostname, "dir": n.hostname,
                    "session_dir": "%s/%s" % (n.hostname, cluster.session_name), "ip": n.ip,
                    "is_head": n.is_head, "alive_at_end": n.death_ns is None,
                    "raylet_pid": n.pids["raylet"], "files": fs.listing()})
    return out


def build_truth(cluster, fs_by_node, args, sections):
    opts = cluster.opts
    tasks = [task_row(cluster, at) for at in cluster.attempts()]
    truth = {
        "generator": {"name": "raygen", "format_version": 1, "seed": opts.seed, "args": args},
        "session": {
            "name": cluster.session_name, "ray_version": opts.ray_version,
            "temp_dir": opts.temp_dir, "session_dir_in_events": cluster.session_dir(),
            "start": U.rfc3339(cluster.t0), "cluster_died": U.rfc3339(cluster.t_end),
            "node_died": U.rfc3339(cluster.t_die) if cluster.t_die else None,
            "task_status_numbering": {name: i for i, name in enumerate(cluster.status_names)},
        },
        "state": {
            "tasks": tasks,
            "actors": [actor_row(a) for a in cluster.actors],
            "jobs": [job_row(cluster, j) for j in sorted(cluster.jobs, key=lambda j: (not j.is_submission, j.index))],
            "nodes": [node_row(n) for n in cluster.nodes],
            "workers": [worker_row(w) for w in cluster.workers()],
            "placement_groups": [pg_row(pg) for pg in cluster.pgs],
        },
        "counts": {"task_attempts": len(tasks), "tasks": len(cluster.tasks),
                   "actors": len(cluster.actors), "jobs": len(cluster.jobs),
                   "nodes": len(cluster.nodes), "workers": sum(1 for _ in cluster.workers()),
                   "placement_groups": len(cluster.pgs)},
        "node_dirs": node_dirs(cluster, fs_by_node),
        "approximate_fields": APPROXIMATE,
    }
    truth.update(sections)
    return truth
