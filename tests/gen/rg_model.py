"""The data model of a generated cluster: nodes, jobs, workers, tasks and their
attempts, actors, placement groups.

Plain data with integer-nanosecond UTC times. rg_story fills it in; rg_session
and rg_events render it to Ray's formats; rg_truth derives the state API rows
from it.
"""

from dataclasses import dataclass, field
from typing import Optional

import rg_util as U


@dataclass
class Options:
    seed: int = 1
    nodes: int = 3
    jobs: int = 4
    tasks: int = 40
    actors: int = 4
    ray_version: str = "2.52.0"
    numbering: str = "auto"
    quirks: bool = True
    temp_dir: str = "/tmp/ray"

    @property
    def version(self):
        return U.parse_version(self.ray_version)


@dataclass(eq=False)
class Node:
    index: int
    hostname: str
    ip: str
    node_id: bytes
    is_head: bool
    start_ns: int
    resources: dict
    labels: dict
    pids: dict = field(default_factory=dict)
    death_ns: Optional[int] = None
    death_reason: Optional[str] = None
    death_message: Optional[str] = None
    workers: list = field(default_factory=list)
    next_pid: int = 0

    def alloc_pid(self, rng):
        self.next_pid += rng.randrange(1, 40)
        return self.next_pid

    def alive_during(self, a, b):
        end = self.death_ns
        return self.start_ns < a and (end is None or (b is not None and b < end))

    @property
    def hex(self):
        return self.node_id.hex()


@dataclass(eq=False)
class Job:
    index: int
    job_id: bytes
    role: str
    start_ns: int
    end_ns: Optional[int]
    status: str                        # JobDetails status (§3.4)
    entrypoint: str
    namespace: str
    submission_id: Optional[str] = None
    submit_ns: Optional[int] = None    # submission PENDING time
    driver: Optional["Worker"] = None
    exit_code: Optional[int] = None
    message: Optional[str] = None
    error_type: Optional[str] = None
    runtime_env: dict = field(default_factory=dict)
    user_metadata: dict = field(default_factory=dict)

    @property
    def hex(self):
        return self.job_id.hex()

    @property
    def is_submission(self):
        return self.submission_id is not None

    @property
    def serialized_runtime_env(self):
        return U.py_json(self.runtime_env) if self.runtime_env else "{}"

    @property
    def config_metadata(self):
        """JobConfig metadata: a submitted job's driver carries its submission id (§3.4)."""
        md = dict(self.user_metadata)
        if self.submission_id:
            md["job_submission_id"] = self.submission_id
        return md


@dataclass(eq=False)
class Worker:
    worker_id: bytes
    pid: int
    node: Node
    job: Optional[Job]
    kind: str                          # WORKER | DRIVER
    launch_ns: int
    start_ns: int
    port: int
    end_ns: Optional[int] = None
    exit_type: Optional[str] = None
    exit_detail: Optional[str] = None
    crash_ns: Optional[int] = None
    actor: Optional["Actor"] = None
    busy: list = field(default_factory=list)
    attempts: list = field(default_factory=list)   # attempts it executed

    @property
    def hex(self):
        return self.worker_id.hex()

    @property
    def job_hex(self):
        return self.job.hex if self.job else U.NIL_JOB_ID.hex()

    def file_stem(self):
        """worker-<worker_id>-<job_id>-<pid> (§1.4)."""
        return "worker-%s-%s-%d" % (self.hex, self.job_hex, self.pid)

    def core_log_name(self):
        kind = "python-core-driver" if self.kind == "DRIVER" else "python-core-worker"
        return "%s-%s_%d.log" % (kind, self.hex, self.pid)

    def can_run(self, a, b):
        if self.actor is not None or self.start_ns >= a:
            return False
        if self.crash_ns is not None and (b is None or b > self.crash_ns):
            return False
        for x, y in self.busy:
            if (y is None or a < y) and (b is None or x < b):
                return False
        return True

    @property
    def moved_to_old(self):
        """log_monitor moves a dead worker's .out/.err to logs/old/ (§1.4) -
        only while its own node is still alive to notice."""
        if self.kind != "WORKER" or self.end_ns is None:
            return False
        return self.node.death_ns is None or self.end_ns < self.node.death_ns


@dataclass(eq=False)
class Task:
    task_id: bytes
    job: Job
    name: str
    module: str
    class_name: str
    function_name: str
    type: str                          # NORMAL_TASK | ACTOR_CREATION_TASK | ACTOR_TASK
    owner: Worker
    parent_task_id: bytes
    required_resources: dict
    kind: str = "ok"
    actor: Optional["Actor"] = None
    pg: Optional["PlacementGroup"] = None
    attempts: list = field(default_factory=list)

    @property
    def func_or_class_name(self):
        """FunctionDescriptor CallString(): 'Class.fn' or 'fn' (kuberay-hs.md §4.3)."""
        return "%s.%s" % (self.class_name, self.function_name) if self.class_name else self.function_name

    @property
    def hex(self):
        return self.task_id.hex()


@dataclass(eq=False)
class Attempt:
    task: Task
    number: int
    transitions: list = field(default_factory=list)   # [(state name, ns)] in time order
    node: Optional[Node] = None
    worker: Optional[Worker] = None
    run_start: Optional[int] = None
    run_end: Optional[int] = None      # None: still running when the cluster died
    outcome: Optional[str] = None      # FINISHED | FAILED | None
    error_type: Optional[str] = None
    error_message: Optional[str] = None  # raw, ANSI codes included
    crashed: bool = False              # executor died: no end marker, no end offsets
    actor_repr_name: Optional[str] = None
    late_definition: bool = False      # definition event posted after lifecycle events
    log: dict = field(default_factory=dict)       # task_log_info, filled by rg_session
    profile: list = field(default_factory=list)   # [(name, start_ns, end_ns, extra_json|None)]
    quirk: Optional[str] = None        # big_output | binary_err

    @property
    def records_log(self):
        """Task log offsets are recorded for normal and actor creation tasks;
        actor tasks need RAY_ENABLE_RECORD_ACTOR_TASK_LOGGING (§3.6)."""
        return self.task.type != "ACTOR_TASK" and self.run_start is not None


@dataclass(eq=False)
class Actor:
    actor_id: bytes
    job: Job
    class_name: str
    role: str
    name: str = ""
    namespace: str = ""
    is_detached: bool = False
    repr_name: str = ""
    required_resources: dict = field(default_factory=lambda: {"CPU": 1.0})
    pg: Optional["PlacementGroup"] = None
    transitions: list = field(default_factory=list)   # dicts: state, ns, node, worker, ...
    creation_task: Optional[Task] = None
    workers: list = field(default_factory=list)
    death_cause: Optional[dict] = None                # snake_case ActorDeathCause
    late_definition: bool = False

    @property
    def hex(self):
        return self.actor_id.hex()

    @property
    def state(self):
        return self.transitions[-1]["state"]

    @property
    def num_restarts(self):
        return sum(1 for t in self.transitions if t["state"] == "RESTARTING")

    def last_placement(self):
        for t in reversed(self.transitions):
            if t.get("worker") is not None:
                return t["node"], t["worker"]
        return None, None


@dataclass(eq=False)
class PlacementGroup:
    pg_id: bytes
    job: Job
    name: str
    strategy: str
    bundles: list                      # [(index, resources, node)]
    transitions: list                  # [(state, ns, scheduling_state)]
    namespace: str = ""

    @property
    def hex(self):
        return self.pg_id.hex()

    @property
    def state(self):
        return self.transitions[-1][0]


@dataclass(eq=False)
class Cluster:
    opts: Options
    t0: int
    t_end: int
    t_die: Optional[int]
    session_pid: int
    nodes: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    actors: list = field(default_factory=list)
    pgs: list = field(default_factory=list)
    status_names: list = field(default_factory=list)

    @property
    def session_name(self):
        return U.session_name(self.t0, self.session_pid)

    @property
    def head(self):
        return self.nodes[0]

    @property
    def dying_node(self):
        return next((n for n in self.nodes if n.death_ns is not None), None)

    def attempts(self):
        for t in self.tasks:
            yield from t.attempts

    def workers(self):
        for n in self.nodes:
            yield from n.workers

    def session_dir(self):
        """The absolute session path Ray itself would use (stdout_file etc.)."""
        return "%s/%s" % (self.opts.temp_dir.rstrip("/"), self.session_name)
