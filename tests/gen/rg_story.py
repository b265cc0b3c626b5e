"""The cluster story, built into the rg_model classes. It is made to exercise
the cases a history server gets wrong (see README.md):

* a worker node dies mid-session (UNEXPECTED_TERMINATION); tasks running on it
  fail with NODE_DIED and are retried elsewhere as attempt 1;
* a worker process crashes (WORKER_DIED), its task is retried as attempt 1;
* an application error (TASK_EXECUTION_EXCEPTION, message with ANSI colours);
* tasks still RUNNING, and one still PENDING_NODE_ASSIGNMENT, when the whole
  cluster dies (no end events at all);
* a nested task owned by another task's worker;
* actors: one finishes with its job, one restarts after the node death
  (ALIVE -> RESTARTING -> ALIVE -> DEAD by ray.kill), one detached actor alive
  at the end, one whose __init__ raises (DEAD, creation_task_failure_context);
* jobs: a submission job (SUCCEEDED or FAILED by seed), a driver job that
  finished, one whose driver failed, one still running at the end;
* placement groups: one CREATED, one REMOVED with its job.
"""

import rg_util as U
from rg_model import (Actor, Attempt, Cluster, Job, Node, PlacementGroup, Task, Worker)
from rg_util import MS, NS

DURATION_NS = 900 * NS
JOB_ROLES = ["submission", "driver_ok", "driver_fail", "driver_running"]
ACTOR_ROLES = ["counter", "trainer_restart", "cache_detached", "flaky_init"]
TASK_COVERAGE = ["app_fail", "worker_crash_retry", "node_death_retry", "running_at_end",
                 "pending_at_end", "nested", "pg_task", "big_output", "binary_err"]
BASE_TIME_NS = 1762985431 * NS   # 2025-11-12T22:10:31Z, shifted per seed below


class StoryBuilder:
    def __init__(self, opts):
        self.o = opts
        self.ids = U.rng_for(opts.seed, "ids")
        self.rng = U.rng_for(opts.seed, "story")
        t0 = BASE_TIME_NS + (opts.seed % 997) * 3600 * NS + self.rng.randrange(0, NS // 1000) * 1000
        self.c = Cluster(opts=opts, t0=t0, t_end=t0 + DURATION_NS, t_die=None,
                         session_pid=self.rng.randrange(8, 60))
        self.c.status_names = U.task_status_names(opts.version, opts.numbering)
        self.pool = {}      # (node index, job index) -> [Worker]

    # --- helpers -----------------------------------------------------------
    def secs(self, lo, hi):
        return int(self.rng.uniform(lo, hi) * NS)

    def frac(self, f):
        return self.c.t0 + int(DURATION_NS * f)

    def states(self, names_and_times):
        """Drop states this Ray version does not have (§8: the PENDING_ACTOR_TASK_*
        states exist only in the newer numbering)."""
        valid = set(self.c.status_names)
        return [(s, t) for s, t in names_and_times if s in valid]

    def new_worker(self, node, job, run_start, kind="WORKER", actor=None):
        start = run_start - self.secs(0.05, 0.6)
        launch = start - self.secs(0.3, 1.2)
        w = Worker(worker_id=U.unique_id(self.ids), pid=node.alloc_pid(self.rng), node=node,
                   job=job, kind=kind, launch_ns=max(launch, node.start_ns + NS),
                   start_ns=max(start, node.start_ns + 2 * NS),
                   port=self.rng.randrange(10002, 11000), actor=actor)
        node.workers.append(w)
        if actor is None and kind == "WORKER" and job is not None:
            self.pool.setdefault((node.index, job.index), []).append(w)
        return w

    def lease(self, node, job, a, b):
        """A pooled worker of `job` on `node` free over [a, b), or a new one."""
        for w in self.pool.get((node.index, job.index), []):
            if w.can_run(a, b):
                break
        else:
            w = self.new_worker(node, job, a)
        w.busy.append((a, b))
        return w

    def pick_node(self, a, b, exclude=()):
        ok = [n for n in self.c.nodes if n not in exclude and n.alive_during(a, b)]
        return self.rng.choice(ok) if ok else self.c.head

    # --- nodes ---------------------------------------------------------------
    def build_nodes(self):
        c, rng = self.c, self.rng
        cluster = "raycluster-" + U.alnum(rng, 5).lower()
        for i in range(self.o.nodes):
            head = i == 0
            ip = "10.244.%d.%d" % (i, rng.randrange(2, 250))
            nid = U.unique_id(self.ids)
            host = "%s-%s-%s" % (cluster, "head" if head else "workergroup-worker",
                                 U.alnum(rng, 5).lower())
            res = {"CPU": 4.0 if head else 8.0,
                   "memory": float((8 if head else 16) * 1024 ** 3),
                   "object_store_memory": float(rng.randrange(1500, 4000) * 1024 ** 2),
                   "node:%s" % ip: 1.0}
            if head:
                res["node:__internal_head__"] = 1.0
            labels = {"ray.io/node-group": "headgroup" if head else "workergroup",
                      "ray.io/node-id": nid.hex()}
            start = c.t0 if head else c.t0 + self.secs(3, 6) + i * NS // 2
            node = Node(index=i, hostname=host, ip=ip, node_id=nid, is_head=head,
                        start_ns=start, resources=res, labels=labels,
                        next_pid=rng.randrange(10, 40) if head else rng.randrange(5, 20))
            comps = ["raylet", "dashboard_agent", "runtime_env_agent", "log_monitor"]
            if head:
                comps = ["gcs_server", "dashboard", "monitor"] + comps
                node.next_pid = c.session_pid
            for comp in comps:
                node.pids[comp] = node.alloc_pid(rng)
            c.nodes.append(node)
        if len(c.nodes) >= 2:
            dying = c.nodes[-1]
            c.t_die = self.frac(0.5)
            dying.death_ns = c.t_die
            dying.death_reason = "UNEXPECTED_TERMINATION"
            dying.death_message = "health check failed due to missing too many heartbeats"

    def build_prestarted_workers(self):
        """One idle worker per node started without a job (file name job id
        ffffffff), killed for idleness a minute later -> moved to logs/old/."""
        for node in self.c.nodes:
            w = self.new_worker(node, None, node.start_ns + 3 * NS)
            w.end_ns = w.start_ns + 60 * NS
            w.exit_type = "INTENDED_SYSTEM_EXIT"
            w.exit_detail = ("Worker exits because it was idle (it doesn't have objects it owns "
                             "while no task or actor has been scheduled) for a long time.")

    # --- jobs ----------------------------------------------------------------
    def build_jobs(self):
        c, rng = self.c, self.rng
        ends = {"submission": 0.80, "driver_ok": 0.65, "driver_fail": 0.70, "driver_running": None}
        for i in range(self.o.jobs):
            role = JOB_ROLES[i] if i < len(JOB_ROLES) else "driver_ok"
            start = c.t0 + 20 * NS + i * 20 * NS
            f = ends[role]
            end = None if f is None else self.frac(f) + (i // len(JOB_ROLES)) * 3 * NS
            ns = "%08x-%04x-4%03x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                 rng.getrandbits(12), (rng.getrandbits(16) & 0x3fff) | 0x8000,
                                                 rng.getrandbits(48))
            job = Job(index=i, job_id=U.job_id(i + 1), role=role, start_ns=start, end_ns=end,
                      status="RUNNING", namespace=ns,
                      entrypoint="python %s" % rng.choice(["train.py --epochs 3", "etl.py",
                                                           "bench.py --tasks 200", "score.py"]))
            self.finish_job_fields(job)
            job.driver = self.new_worker(c.head, job, start + NS // 2, kind="DRIVER")
            job.driver.start_ns = start
            job.driver.launch_ns = start - NS // 3
            c.jobs.append(job)

    def finish_job_fields(self, job):
        rng = self.rng
        if job.role == "submission":
            job.submission_id = "raysubmit_" + U.alnum(rng, 16)
            job.submit_ns = job.start_ns - self.secs(1, 2)
            job.runtime_env = {"working_dir": "gcs://_ray_pkg_%016x.zip" % rng.getrandbits(64)}
            job.user_metadata = {"owner": "ml-team"}
            job.entrypoint = "python train.py --epochs 3"
            if rng.random() < 0.5:
                job.status, job.exit_code = "SUCCEEDED", 0
                job.message = "Job finished successfully."
            else:
                job.status, job.exit_code = "FAILED", 1
                job.error_type = "JOB_ENTRYPOINT_COMMAND_ERROR"
                job.message = ("Job entrypoint command failed with exit code 1, last available logs "
                               "(truncated to 20,000 chars):\n    raise RuntimeError(\"validation "
                               "accuracy below threshold\")\nRuntimeError: validation accuracy below "
                               "threshold\n")
        elif job.role == "driver_ok":
            job.status, job.exit_code = "SUCCEEDED", 0
        elif job.role == "driver_fail":
            # Ray's get_driver_jobs reports only RUNNING/SUCCEEDED; the project
            # wants FAILED for a driver that exited non-zero (README.md).
            job.status, job.exit_code = "FAILED", 1

    def job_by_role(self, *roles):
        for role in roles:
            for j in self.c.jobs:
                if j.role == role:
                    return j
        return None

    def job_window(self, job, margin=10):
        end = job.end_ns if job.end_ns is not None else self.c.t_end
        return job.start_ns + 5 * NS, end - margin * NS

    # --- placement groups ----------------------------------------------------
    def build_pgs(self):
        c, rng = self.c, self.rng
        specs = [("driver_running", "pg_inference", "PACK"), ("driver_ok", "pg_etl", "SPREAD")]
        for role, name, strategy in specs:
            job = self.job_by_role(role)
            if job is None:
                continue
            created = job.start_ns + self.secs(2, 4)
            nodes = [n for n in c.nodes if n.death_ns is None]
            bundles = [(i, {"CPU": 1.0}, nodes[i % len(nodes)]) for i in range(2)]
            trans = [("PENDING", created, "QUEUED"),
                     ("CREATED", created + self.secs(0.01, 0.2), "FINISHED")]
            if job.end_ns is not None:
                trans.append(("REMOVED", job.end_ns + self.secs(0.1, 0.5), "SCHEDULING_REMOVED"))
            c.pgs.append(PlacementGroup(pg_id=U.placement_group_id(self.ids, job.job_id), job=job,
                                        name=name, strategy=strategy, bundles=bundles,
                                        transitions=trans, namespace=job.namespace))

    # --- normal tasks ----------------------------------------------------------
    def add_task(self, job, name, owner, parent, kind, resources=None, pg=None, module=None):
        t = Task(task_id=U.normal_task_id(self.ids, job.job_id), job=job, name=name,
                 module=module or self.rng.choice(["__main__", "train", "etl", "pipeline"]),
                 class_name="", function_name=name, type="NORMAL_TASK", owner=owner,
                 parent_task_id=parent, required_resources=resources or {"CPU": 1.0},
                 kind=kind, pg=pg)
        self.c.tasks.append(t)
        return t

    def run_attempt(self, task, number, submit, node, run_for, outcome="FINISHED", err=None,
                    crash_at=None):
        """One scheduled attempt: PENDING_ARGS_AVAIL -> PENDING_NODE_ASSIGNMENT ->
        SUBMITTED_TO_WORKER -> RUNNING -> FINISHED|FAILED (§5.1). run_for None:
        still running when the cluster died. crash_at: the executor dies then."""
        a = submit + self.secs(0.05, 1.2)
        b = None if run_for is None else a + run_for
        if crash_at is not None:
            b = crash_at
        if crash_at is not None:
            # a worker that is going to crash must not be handed later tasks
            w = self.new_worker(node, task.job, a)
            w.busy.append((a, b))
        else:
            w = self.lease(node, task.job, a, b)
        at = Attempt(task=task, number=number, node=node, worker=w, run_start=a)
        tr = [("PENDING_ARGS_AVAIL", submit),
              ("PENDING_NODE_ASSIGNMENT", submit + self.secs(0.0001, 0.002)),
              ("SUBMITTED_TO_WORKER", a - self.secs(0.001, 0.03)), ("RUNNING", a)]
        if crash_at is not None:
            at.crashed = True
            at.run_end = crash_at
            at.outcome = "FAILED"
            fail_ts = crash_at + self.secs(0.2, 2.0)
            tr.append(("FAILED", fail_ts))
            at.error_type, at.error_message = err
        elif b is not None:
            at.run_end = b
            at.outcome = outcome
            tr.append((outcome, b))
            if outcome == "FAILED":
                at.error_type, at.error_message = err
        at.transitions = self.states(tr)
        w.attempts.append(at)
        task.attempts.append(at)
        if at.outcome and not at.crashed:
            self.add_profile(at)
        return at

    def add_profile(self, at):
        """TASK_PROFILE_EVENT entries the worker records for an executed attempt:
        the whole task plus its phases (§5.5 colour table names)."""
        a, b = at.run_start, at.run_end
        d = max(b - a, 4000)
        extra = U.py_json({"name": at.task.func_or_class_name, "task_id": at.task.hex})
        at.profile = [
            ("task::%s" % at.task.func_or_class_name, a, b, extra),
            ("task:deserialize_arguments", a + d // 100, a + d // 20, None),
            ("task:execute", a + d // 20, b - d // 20, None),
            ("task:store_outputs", b - d // 20, b - d // 200, None),
        ]

    def build_tasks(self):
        c, rng = self.c, self.rng
        kinds = [k for k in TASK_COVERAGE if self.task_kind_possible(k)]
        n = self.o.tasks
        plan = kinds[:n] + ["ok"] * max(0, n - len(kinds))
        ok_jobs = [j for j in c.jobs]
        for i, kind in enumerate(plan):
            getattr(self, "task_" + kind)(ok_jobs[i % len(ok_jobs)])

    def task_kind_possible(self, kind):
        if kind in ("running_at_end", "pending_at_end"):
            return self.job_by_role("driver_running") is not None
        if kind == "node_death_retry":
            return self.c.t_die is not None and self.job_alive_after_death() is not None
        if kind == "pg_task":
            return any(pg.state == "CREATED" for pg in self.c.pgs)
        if kind in ("big_output", "binary_err"):
            return self.o.quirks
        return True

    def job_alive_after_death(self):
        for j in self.c.jobs:
            if j.start_ns < self.c.t_die - 40 * NS and (j.end_ns is None or j.end_ns > self.c.t_die + 60 * NS):
                return j
        return None

    def task_ok(self, job, name=None, quirk=None, node=None):
        lo, hi = self.job_window(job)
        run = self.secs(0.3, 12)
        s = lo + int(self.rng.random() * max(1, hi - lo - run - 2 * NS))
        node = node or self.pick_node(s, s + run + 2 * NS)
        t = self.add_task(job, name or self.rng.choice(U_FUNCS), job.driver, U.driver_task_id(job.job_id), "ok")
        at = self.run_attempt(t, 0, s, node, run)
        at.quirk = quirk
        return t

    def task_big_output(self, job):
        job = self.job_by_role("driver_ok", "submission") or job
        self.task_ok(job, name="dump_big_record", quirk="big_output", node=self.c.head)

    def task_binary_err(self, job):
        node = self.c.nodes[1] if len(self.c.nodes) > 1 and self.c.nodes[1].death_ns is None else self.c.head
        job = self.job_by_role("driver_ok", "submission") or job
        self.task_ok(job, name="decode_blob", quirk="binary_err", node=node)

    def task_app_fail(self, job):
        job = self.job_by_role("driver_fail", "submission", "driver_ok") or job
        lo, hi = self.job_window(job, margin=30)
        s = hi - self.secs(5, 20)
        node = self.pick_node(s, s + 10 * NS)
        t = self.add_task(job, "validate_batch", job.driver, U.driver_task_id(job.job_id), "app_fail",
                          module="etl")
        at = self.run_attempt(t, 0, s, node, self.secs(0.5, 3), outcome="FAILED",
                              err=("TASK_EXECUTION_EXCEPTION", ""))
        at.error_message = (   # Ray colours the task name (§3.5 strips it again)

            "\x1b[36mray::validate_batch()\x1b[39m (pid=%d, ip=%s)\n"
            "  File \"/home/ray/etl.py\", line 88, in validate_batch\n"
            "    raise ValueError(f\"invalid value {value!r} in column 'prix'\")\n"
            "ValueError: invalid value 'caf\u00e9' in column 'prix'" % (at.worker.pid, node.ip))

    def task_worker_crash_retry(self, job):
        job = self.job_by_role("submission", "driver_ok") or job
        lo, hi = self.job_window(job, margin=40)
        s = lo + self.secs(10, 30)
        survivors = [n for n in self.c.nodes if n.death_ns is None]
        node = self.rng.choice(survivors[1:] or survivors)
        t = self.add_task(job, "train_step", job.driver, U.driver_task_id(job.job_id),
                          "worker_crash_retry", resources={"CPU": 2.0}, module="train")
        a0 = self.run_attempt(t, 0, s, node, None, crash_at=s + self.secs(2, 4), err=("WORKER_DIED", ""))
        w = a0.worker
        w.crash_ns = a0.run_end
        a0.error_message = (
            "(raylet) A worker died or was killed while executing a task by an unexpected system "
            "error. To troubleshoot the problem, check the logs for the dead worker. RayTask ID: %s "
            "Worker ID: %s Node ID: %s Worker IP address: %s Worker port: %d Worker PID: %d Worker "
            "exit type: SYSTEM_ERROR Worker exit detail: Worker unexpectedly exits with a connection "
            "error code 2. End of file. There are some potential root causes. (1) The process is "
            "killed by SIGKILL by OOM killer due to high memory usage. (2) ray stop --force is "
            "called. (3) The worker is crashed unexpectedly due to SIGSEGV or other unexpected "
            "errors." % (t.hex, w.hex, node.hex, node.ip, w.port, w.pid))
        retry_at = a0.transitions[-1][1] + self.secs(0.01, 0.1)
        self.run_attempt(t, 1, retry_at, self.pick_node(retry_at, retry_at + 10 * NS), self.secs(1, 4))

    def task_node_death_retry(self, job):
        job = self.job_alive_after_death()
        dying = self.c.dying_node
        s = self.c.t_die - self.secs(5, 25)
        t = self.add_task(job, "load_shard", job.driver, U.driver_task_id(job.job_id),
                          "node_death_retry", module="etl")
        a0 = self.run_attempt(t, 0, s, dying, None, crash_at=self.c.t_die,
                              err=("NODE_DIED", ""))
        a0.error_message = (
            "Task failed because the node it was running on is dead or unavailable. Node IP: %s, "
            "node ID: %s. This can happen if the instance where the node was running failed, the "
            "node ran out of memory, or the node was preempted. Raylet logs can be found in "
            "/tmp/ray/session_latest/logs/raylet.out on the node." % (dying.ip, dying.hex))
        retry_at = a0.transitions[-1][1] + self.secs(0.01, 0.1)
        self.run_attempt(t, 1, retry_at, self.c.head, self.secs(1, 5))

    def task_running_at_end(self, job):
        job = self.job_by_role("driver_running")
        s = self.c.t_end - self.secs(20, 60)
        node = self.pick_node(s, None)
        t = self.add_task(job, "simulate_step", job.driver, U.driver_task_id(job.job_id), "running_at_end")
        self.run_attempt(t, 0, s, node, None)

    def task_pending_at_end(self, job):
        job = self.job_by_role("driver_running")
        s = self.c.t_end - self.secs(30, 90)
        t = self.add_task(job, "gpu_infer", job.driver, U.driver_task_id(job.job_id), "pending_at_end",
                          resources={"CPU": 1.0, "GPU": 1.0})
        at = Attempt(task=t, number=0, transitions=self.states(
            [("PENDING_ARGS_AVAIL", s), ("PENDING_NODE_ASSIGNMENT", s + self.secs(0.0001, 0.002))]))
        t.attempts.append(at)

    def task_nested(self, job):
        lo, hi = self.job_window(job, margin=30)
        s = lo + self.secs(5, 20)
        node = self.pick_node(s, s + 20 * NS)
        parent = self.add_task(job, "aggregate_window", job.driver, U.driver_task_id(job.job_id), "nested_parent")
        pa = self.run_attempt(parent, 0, s, node, self.secs(8, 12))
        cs = pa.run_start + self.secs(0.2, 1)
        child = self.add_task(job, "compute_stats", pa.worker, parent.task_id, "nested")
        self.run_attempt(child, 0, cs, self.pick_node(cs, cs + 6 * NS), self.secs(1, 3))

    def task_pg_task(self, job):
        pg = next(pg for pg in self.c.pgs if pg.state == "CREATED")
        lo, hi = self.job_window(pg.job)
        s = max(lo, pg.transitions[1][1] + NS) + self.secs(1, 30)
        node = pg.bundles[0][2]
        t = self.add_task(pg.job, "score_batch", pg.job.driver, U.driver_task_id(pg.job.job_id),
                          "pg_task", pg=pg)
        self.run_attempt(t, 0, s, node, self.secs(1, 4))

    # --- actors --------------------------------------------------------------
    def build_actors(self):
        for i in range(self.o.actors):
            role = ACTOR_ROLES[i] if i < len(ACTOR_ROLES) else "counter"
            getattr(self, "actor_" + role)(i)

    def new_actor(self, job, class_name, role, **kw):
        a = Actor(actor_id=U.actor_id(self.ids, job.job_id), job=job, class_name=class_name,
                  role=role, namespace=job.namespace, **kw)
        ct = Task(task_id=U.actor_creation_task_id(a.actor_id), job=job,
                  name="%s.__init__" % class_name, module="__main__", class_name=class_name,
                  function_name="__init__", type="ACTOR_CREATION_TASK", owner=job.driver,
                  parent_task_id=U.driver_task_id(job.job_id),
                  required_resources=dict(a.required_resources), kind="actor_creation", actor=a)
        a.creation_task = ct
        self.c.tasks.append(ct)
        self.c.actors.append(a)
        return a

    def create_incarnation(self, actor, number, submit, node, fail_err=None):
        """Run the creation task attempt `number` on a fresh dedicated worker and
        record the GCS actor transitions (§5.2)."""
        ct = actor.creation_task
        a = submit + self.secs(0.3, 1.5)
        w = self.new_worker(node, actor.job, a, actor=actor)
        actor.workers.append(w)
        dur = self.secs(0.2, 2)
        at = Attempt(task=ct, number=number, node=node, worker=w, run_start=a, run_end=a + dur)
        tr = [("PENDING_ARGS_AVAIL", submit),
              ("PENDING_NODE_ASSIGNMENT", submit + self.secs(0.0001, 0.002)),
              ("SUBMITTED_TO_WORKER", a - self.secs(0.001, 0.03)), ("RUNNING", a)]
        if fail_err:
            at.outcome, (at.error_type, at.error_message) = "FAILED", fail_err
        else:
            at.outcome = "FINISHED"
        tr.append((at.outcome, a + dur))
        at.transitions = self.states(tr)
        at.actor_repr_name = actor.repr_name or None
        w.busy.append((a, None))
        w.attempts.append(at)
        ct.attempts.append(at)
        self.add_profile(at)
        return at

    def alive(self, actor, ns, at):
        actor.transitions.append({"state": "ALIVE", "ns": ns, "node": at.node, "worker": at.worker,
                                  "repr_name": actor.repr_name})

    def actor_tasks(self, actor, method, start, end, count, node, worker, in_flight_fail=None):
        """Sequential method calls on the actor's worker in [start, end)."""
        made = []
        step = max(NS, (end - start) // max(1, count))
        for k in range(count):
            s = start + k * step + self.secs(0.01, 0.5)
            t = Task(task_id=U.actor_task_id(self.ids, actor.actor_id), job=actor.job,
                     name="%s.%s" % (actor.class_name, method), module="__main__",
                     class_name=actor.class_name, function_name=method, type="ACTOR_TASK",
                     owner=actor.job.driver, parent_task_id=U.driver_task_id(actor.job.job_id),
                     required_resources={}, kind="actor_task", actor=actor)
            self.c.tasks.append(t)
            made.append(t)
            self.actor_task_attempt(t, 0, s, node, worker, min(step // 2, self.secs(0.05, 2)))
        return made

    def actor_task_attempt(self, t, number, s, node, worker, run_for, fail=None, fail_at=None):
        """Actor tasks: PENDING_ARGS_AVAIL -> SUBMITTED_TO_WORKER ->
        PENDING_ACTOR_TASK_ARGS_FETCH -> PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY
        -> RUNNING -> FINISHED (§5.1 lifecycle comment; §8 numbering)."""
        a = s + self.secs(0.003, 0.05)
        tr = [("PENDING_ARGS_AVAIL", s), ("SUBMITTED_TO_WORKER", s + self.secs(0.0005, 0.001)),
              ("PENDING_ACTOR_TASK_ARGS_FETCH", s + self.secs(0.001, 0.002)),
              ("PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY", s + self.secs(0.002, 0.003)),
              ("RUNNING", a)]
        at = Attempt(task=t, number=number, node=node, worker=worker, run_start=a,
                     actor_repr_name=t.actor.repr_name or None)
        if fail:
            at.crashed, at.outcome, at.run_end = True, "FAILED", fail_at
            at.error_type, at.error_message = fail
            tr.append(("FAILED", fail_at + self.secs(0.5, 2)))
        elif run_for is None:
            pass
        else:
            at.outcome, at.run_end = "FINISHED", a + run_for
            tr.append(("FINISHED", a + run_for))
        at.transitions = self.states(tr)
        worker.attempts.append(at)
        t.attempts.append(at)
        if at.outcome == "FINISHED":
            self.add_profile(at)
        return at

    def owner_died_cause(self, actor, node, worker):
        drv = actor.job.driver
        return {"actor_died_error_context": {
            "error_message": "The actor is dead because its owner has died. Owner Id: %s Owner Ip "
                             "address: %s Owner worker exit type: INTENDED_USER_EXIT Worker exit "
                             "detail: Owner's worker process has crashed." % (drv.hex, drv.node.ip),
            "pid": worker.pid, "node_ip_address": node.ip}}

    def actor_counter(self, i):
        job = self.job_by_role("driver_ok", "submission", "driver_fail") or self.c.jobs[0]
        a = self.new_actor(job, "Counter", "counter")
        reg = job.start_ns + self.secs(3, 8) + i * NS
        a.transitions.append({"state": "DEPENDENCIES_UNREADY", "ns": reg})
        a.transitions.append({"state": "PENDING_CREATION", "ns": reg + self.secs(0.001, 0.01)})
        end = job.end_ns or self.c.t_end
        node = self.pick_node(reg, end)
        at = self.create_incarnation(a, 0, reg + self.secs(0.01, 0.05), node)
        self.alive(a, at.run_end + MS, at)
        self.actor_tasks(a, "increment", at.run_end + NS, end - 20 * NS, 4, node, at.worker)
        if job.end_ns is not None:
            dead = job.end_ns + self.secs(0.1, 0.5)
            a.death_cause = self.owner_died_cause(a, node, at.worker)
            a.transitions.append({"state": "DEAD", "ns": dead, "death_cause": a.death_cause})
            self.end_worker(at.worker, dead, "INTENDED_SYSTEM_EXIT",
                            "The actor is dead because its owner has died.")

    def actor_trainer_restart(self, i):
        dying = self.c.dying_node
        job = self.job_alive_after_death() if dying else None
        job = job or self.job_by_role("submission", "driver_ok") or self.c.jobs[0]
        a = self.new_actor(job, "Trainer", "trainer_restart", repr_name="Trainer(rank=0)",
                           required_resources={"CPU": 2.0})
        a.late_definition = True
        reg = job.start_ns + self.secs(5, 10)
        a.transitions.append({"state": "DEPENDENCIES_UNREADY", "ns": reg})
        a.transitions.append({"state": "PENDING_CREATION", "ns": reg + self.secs(0.001, 0.01)})
        node = dying or self.pick_node(reg, job.end_ns)
        at0 = self.create_incarnation(a, 0, reg + self.secs(0.01, 0.05), node)
        self.alive(a, at0.run_end + MS, at0)
        kill_at = (job.end_ns or self.c.t_end) - self.secs(20, 40)
        if dying is None:
            self.actor_tasks(a, "train_epoch", at0.run_end + NS, kill_at - 5 * NS, 4, node, at0.worker)
        else:
            t_die = self.c.t_die
            self.actor_tasks(a, "train_epoch", at0.run_end + NS, t_die - 20 * NS, 3, node, at0.worker)
            # One call in flight when the node dies: attempt 0 fails with
            # ACTOR_DIED, attempt 1 runs on the restarted actor.
            inflight = Task(task_id=U.actor_task_id(self.ids, a.actor_id), job=job,
                            name="Trainer.train_epoch", module="__main__", class_name="Trainer",
                            function_name="train_epoch", type="ACTOR_TASK", owner=job.driver,
                            parent_task_id=U.driver_task_id(job.job_id), required_resources={},
                            kind="actor_task_retry", actor=a)
            self.c.tasks.append(inflight)
            msg = ("The actor died unexpectedly before finishing this task.\n\tclass_name: Trainer\n"
                   "\tactor_id: %s\n\tpid: %d\n\tnamespace: %s\n\tip: %s\nThe actor is dead because "
                   "its node has died. Node Id: %s" % (a.hex, at0.worker.pid, a.namespace, node.ip,
                                                      node.hex))
            self.actor_task_attempt(inflight, 0, t_die - self.secs(2, 8), node, at0.worker, None,
                                    fail=("ACTOR_DIED", msg), fail_at=t_die)
            at0.worker.busy[-1] = (at0.run_start, t_die)
            restart = t_die + self.secs(1, 3)
            a.transitions.append({"state": "RESTARTING", "ns": restart,
                                  "restart_reason": "ACTOR_FAILURE"})
            at1 = self.create_incarnation(a, 1, restart + self.secs(0.01, 0.1), self.c.head)
            self.alive(a, at1.run_end + MS, at1)
            self.actor_task_attempt(inflight, 1, at1.run_end + self.secs(0.01, 0.2), self.c.head,
                                    at1.worker, self.secs(1, 3))
            self.actor_tasks(a, "train_epoch", at1.run_end + 5 * NS, kill_at - 5 * NS, 2,
                             self.c.head, at1.worker)
        node_now, w_now = a.last_placement()
        a.death_cause = {"actor_died_error_context": {
            "error_message": "The actor is dead because it was killed by `ray.kill`.",
            "pid": w_now.pid, "node_ip_address": node_now.ip}}
        a.transitions.append({"state": "DEAD", "ns": kill_at, "death_cause": a.death_cause})
        self.end_worker(w_now, kill_at, "INTENDED_USER_EXIT",
                        "Worker exits because the actor is killed by ray.kill.")

    def actor_cache_detached(self, i):
        job = self.job_by_role("driver_running", "submission") or self.c.jobs[-1]
        pg = next((p for p in self.c.pgs if p.job is job and p.state == "CREATED"), None)
        a = self.new_actor(job, "KVCache", "cache_detached", name="kv_cache", is_detached=True,
                           required_resources={"CPU": 1.0}, pg=pg)
        a.creation_task.pg = pg
        reg = job.start_ns + self.secs(4, 9)
        a.transitions.append({"state": "DEPENDENCIES_UNREADY", "ns": reg})
        a.transitions.append({"state": "PENDING_CREATION", "ns": reg + self.secs(0.001, 0.01)})
        node = pg.bundles[0][2] if pg else self.pick_node(reg, None)
        at = self.create_incarnation(a, 0, reg + self.secs(0.01, 0.05), node)
        self.alive(a, at.run_end + MS, at)
        end = self.c.t_end - 30 * NS
        self.actor_tasks(a, "get", at.run_end + NS, end, 3, node, at.worker)
        if job.end_ns is None:
            # one call still running when the cluster dies
            t = Task(task_id=U.actor_task_id(self.ids, a.actor_id), job=job, name="KVCache.put",
                     module="__main__", class_name="KVCache", function_name="put", type="ACTOR_TASK",
                     owner=job.driver, parent_task_id=U.driver_task_id(job.job_id),
                     required_resources={}, kind="actor_task_running", actor=a)
            self.c.tasks.append(t)
            self.actor_task_attempt(t, 0, self.c.t_end - self.secs(3, 10), node, at.worker, None)

    def actor_flaky_init(self, i):
        job = self.job_by_role("driver_fail", "driver_ok") or self.c.jobs[0]
        a = self.new_actor(job, "FlakyLoader", "flaky_init")
        reg = job.start_ns + self.secs(6, 12)
        a.transitions.append({"state": "DEPENDENCIES_UNREADY", "ns": reg})
        a.transitions.append({"state": "PENDING_CREATION", "ns": reg + self.secs(0.001, 0.01)})
        node = self.pick_node(reg, reg + 20 * NS)
        text = ("\x1b[36mray::FlakyLoader.__init__()\x1b[39m (pid=%d, ip=%s)\n"
                "  File \"/home/ray/etl.py\", line 31, in __init__\n"
                "    self.conn = connect(os.environ[\"WAREHOUSE_URL\"])\n"
                "KeyError: 'WAREHOUSE_URL'")
        at = self.create_incarnation(a, 0, reg + self.secs(0.01, 0.05), node,
                                     fail_err=("TASK_EXECUTION_EXCEPTION", ""))
        at.error_message = text % (at.worker.pid, node.ip)
        dead = at.run_end + self.secs(0.005, 0.05)
        a.death_cause = {"creation_task_failure_context": {
            "formatted_exception_string": U.strip_ansi(at.error_message)}}
        a.transitions.append({"state": "DEAD", "ns": dead, "death_cause": a.death_cause,
                              "node": node, "worker": at.worker})
        self.end_worker(at.worker, dead + self.secs(0.01, 0.1), "USER_ERROR",
                        "The actor creation task raised an exception: KeyError: 'WAREHOUSE_URL'")
        # A call made on the dead actor fails without ever running.
        t = Task(task_id=U.actor_task_id(self.ids, a.actor_id), job=job, name="FlakyLoader.load",
                 module="__main__", class_name="FlakyLoader", function_name="load", type="ACTOR_TASK",
                 owner=job.driver, parent_task_id=U.driver_task_id(job.job_id),
                 required_resources={}, kind="actor_task_never_ran", actor=a)
        self.c.tasks.append(t)
        s = dead - self.secs(0.1, 0.3)
        at2 = Attempt(task=t, number=0, outcome="FAILED", error_type="ACTOR_DIED",
                      error_message="The actor died because of an error raised in its creation "
                                    "task, \x1b[36mray::FlakyLoader.__init__()\x1b[39m (pid=%d, ip=%s)"
                                    % (at.worker.pid, node.ip),
                      transitions=self.states([("PENDING_ARGS_AVAIL", s), ("FAILED", dead + MS)]))
        t.attempts.append(at2)

    # --- worker ends -----------------------------------------------------------
    def end_worker(self, w, ns, exit_type, detail):
        w.end_ns, w.exit_type, w.exit_detail = ns, exit_type, detail

    def finalize_workers(self):
        c = self.c
        for w in c.workers():
            if w.crash_ns is not None:
                self.end_worker(w, w.crash_ns, "SYSTEM_ERROR",
                                "Worker unexpectedly exits with a connection error code 2. End of "
                                "file. There are some potential root causes. (1) The process is "
                                "killed by SIGKILL by OOM killer due to high memory usage. (2) ray "
                                "stop --force is called. (3) The worker is crashed unexpectedly due "
                                "to SIGSEGV or other unexpected errors.")
                continue
            if w.node.death_ns is not None and (w.end_ns is None or w.end_ns > w.node.death_ns):
                self.end_worker(w, w.node.death_ns, "SYSTEM_ERROR",
                                "The node %s running this worker has died." % w.node.hex)
                continue
            if w.end_ns is not None:
                continue
            if w.kind == "DRIVER":
                if w.job.end_ns is not None:
                    failed = w.job.exit_code not in (0, None)
                    self.end_worker(w, w.job.end_ns, "USER_ERROR" if failed else "INTENDED_USER_EXIT",
                                    "Driver exited with exit code %d" % w.job.exit_code if failed
                                    else "The driver exited normally.")
                continue
            detached = w.actor is not None and w.actor.is_detached
            if w.job is not None and w.job.end_ns is not None and not detached:
                self.end_worker(w, w.job.end_ns + self.secs(0.2, 1.0), "INTENDED_SYSTEM_EXIT",
                                "Worker exits because the job %s it belongs to has finished."
                                % w.job.hex)

    def mark_late_definitions(self):
        """Definition events that the aggregator posts only after lifecycle
        events of the same entity (kuberay-hs.md §4.4)."""
        for i, at in enumerate(self.c.attempts()):
            if i % 7 == 3:
                at.late_definition = True

    def build(self):
        self.build_nodes()
        self.build_jobs()
        self.build_prestarted_workers()
        self.build_pgs()
        self.build_actors()
        self.build_tasks()
        self.finalize_workers()
        self.mark_late_definitions()
        return self.c


U_FUNCS = ["preprocess", "tokenize_batch", "compute_stats", "write_parquet", "resize_image",
           "embed_text", "score_batch", "merge_results", "fetch_url", "parse_record", "checksum",
           "bench_task", "square_numbers"]


def build_cluster(opts):
    return StoryBuilder(opts).build()
