"""Writing each node's Ray temp root: the session directory of §1.

Per node: DIR/<hostname>/session_<...>/ plus a session_latest link, the
node_ip_address.json / ports_by_node.json pair with their .lock files,
sockets/, runtime_resources/, metrics/ (head), and logs/ with every component
log of §1.4, rotated generations (§1.5), logs/old/ for dead workers' files,
and the worker .out/.err files whose byte offsets become each task attempt's
task_log_info (§3.6). Event files (logs/events, logs/export_events) are added
by rg_events through the same NodeFS ledger.
"""

import json
import os

import rg_driver
import rg_raylet
import rg_util as U
from rg_fs import NodeFS
from rg_text import Pools, cpp_line, fill, py_line
from rg_util import MS, NS

# Share of --log-bytes per file family (the rest of each node's files are small).
SHARES = {"raylet": 0.22, "core": 0.13, "worker_out": 0.42, "worker_err": 0.05, "python": 0.18}
BIG_LINE_BYTES = 3 * 1024 * 1024


def timeline(out, lines, pad, entries, rng, t_begin, t_end, lead="", stamped=True):
    """Write `lines` [(ns, text)] in time order with about `pad` bytes of
    pool lines spread over the gaps, timestamps increasing throughout
    (stamped=False: the pool lines are free text without a timestamp)."""
    lines = sorted(lines, key=lambda x: x[0])
    marks = [t_begin] + [ns for ns, _ in lines] + [max(t_end, lines[-1][0] + 1 if lines else t_end)]
    span = max(1, marks[-1] - marks[0])
    for i in range(len(marks) - 1):
        a, b = marks[i], marks[i + 1]
        share = pad * (b - a) // span
        if share > 0 and b - a > 2 * MS:
            if stamped:
                fill(out.write, share, entries, rng, a + MS, b - MS, lead=lead)
            else:
                fill(out.write, share, entries, rng)
        if i < len(lines):
            out.write(lines[i][1])


class SessionWriter:
    def __init__(self, cluster, out_dir, log_bytes):
        self.c = cluster
        self.o = cluster.opts
        self.out_dir = out_dir
        self.log_bytes = log_bytes
        self.rng = U.rng_for(self.o.seed, "text")
        pool_size = min(16000, max(1500, log_bytes // 1500))
        self.pools = Pools(self.rng, pool_size)
        self.fs = {}
        self.quirks = {}
        self.S = cluster.session_name

    # --- small helpers ---------------------------------------------------------
    def note_quirk(self, name, node, rel):
        self.quirks.setdefault(name, []).append("%s/%s" % (node.hostname, rel))

    def logs(self, name):
        return "%s/logs/%s" % (self.S, name)

    def abs_log(self, name):
        """Ray records absolute paths under its temp dir (§3.6, specimen taskLogInfo)."""
        return "%s/logs/%s" % (self.c.session_dir(), name)

    def end_of(self, node):
        return node.death_ns if node.death_ns is not None else self.c.t_end

    def budget(self, node, family, parts=1):
        return int(self.log_bytes * SHARES[family]) // max(1, parts)

    # --- driver ----------------------------------------------------------------
    def write_all(self):
        for node in self.c.nodes:
            self.write_node(node)
        return self.fs

    def write_node(self, node):
        fs = NodeFS(os.path.join(self.out_dir, node.hostname))
        self.fs[node.index] = fs
        for d in ("logs", "logs/old", "logs/events", "logs/export_events", "sockets",
                  "runtime_resources"):
            fs.mkdir("%s/%s" % (self.S, d))
        # Ray links with an absolute target (§1.1); relative keeps the tree movable.
        fs.symlink("session_latest", self.S)
        self.write_node_info(fs, node)
        if self.o.quirks:
            fs.socket("%s/sockets/plasma_store" % self.S)
            fs.socket("%s/sockets/raylet" % self.S)
            self.note_quirk("sockets", node, "%s/sockets/plasma_store" % self.S)
        self.write_raylet(fs, node)
        if node.is_head:
            self.write_gcs(fs, node)
            self.write_dashboard(fs, node)
            self.write_monitor(fs, node)
            self.write_metrics(fs, node)
            self.write_job_driver_logs(fs, node)
        self.write_python_components(fs, node)
        self.write_core_logs(fs, node)
        self.write_worker_logs(fs, node)
        self.write_debug_state(fs, node)
        self.write_runtime_resources(fs, node)
        if self.o.quirks:
            self.write_quirks(fs, node)

    # --- small per-node files ----------------------------------------------------
    def write_node_info(self, fs, node):
        """node_ip_address.json and ports_by_node.json, each with the FileLock
        file Ray leaves next to it (§1.2)."""
        fs.write("%s/node_ip_address.json" % self.S, json.dumps({"node_ip_address": node.ip}))
        fs.write("%s/node_ip_address.json.lock" % self.S, b"")
        key = "%s:%s/sockets/plasma_store" % (node.ip, self.c.session_dir())
        ports = {"metrics_agent_port": self.rng.randrange(50000, 60000),
                 "metrics_export_port": 8080, "dashboard_agent_listen_port": 52365,
                 "runtime_env_agent_port": self.rng.randrange(50000, 60000)}
        if node.is_head:
            ports["gcs_server_port"] = 6379
        fs.write("%s/ports_by_node.json" % self.S, json.dumps({key: ports}))
        fs.write("%s/ports_by_node.json.lock" % self.S, b"")
        self.note_quirk("lock_files", node, "%s/ports_by_node.json.lock" % self.S)

    # --- raylet ------------------------------------------------------------------
    def write_raylet(self, fs, node):
        pid = node.pids["raylet"]
        tids = [pid, pid + 17, pid + 18, pid + 31]
        t = node.start_ns + 200 * MS
        L = []

        def line(ns, lvl, body, tid=pid):
            L.append((ns, cpp_line(ns, lvl, pid, tid, "raylet", body)))
        line(t, "I", "main.cc:266: Ray raylet version: %s" % self.o.ray_version)
        # §9: the node id, as WithField(raylet_node_id) prints it in text logs.
        line(t + 2 * MS, "I", "main.cc:595: Setting node ID node_id=%s" % node.hex)
        line(t + 9 * MS, "I", "store_runner.cc:32: Allowing the Plasma store to use up to %.5gGB of "
             "memory." % (node.resources["object_store_memory"] / 1e9))
        line(t + 30 * MS, "I", "node_manager.cc:311: Initializing NodeManager node_id=%s" % node.hex)
        line(t + 61 * MS, "I", "raylet.cc:136: Raylet of id, %s started. Raylet consists of "
             "node_manager and object_manager. node_manager address: %s:%d object_manager address: "
             "%s:%d hostname: %s" % (node.hex, node.ip, 10001, node.ip, 10002, node.hostname))
        for w in node.workers:
            if w.kind != "WORKER":
                continue
            line(w.launch_ns, "I", "worker_pool.cc:529: Started worker process with pid %d, the "
                 "token is %d" % (w.pid, self.rng.randrange(1, 900)), tids[1])
            if w.end_ns is not None and w.end_ns < self.end_of(node):
                if w.exit_type == "SYSTEM_ERROR":
                    line(w.end_ns + MS, "W", "node_manager.cc:1163: Worker %s (pid=%d) died "
                         "unexpectedly, exit_type=SYSTEM_ERROR" % (w.hex, w.pid), tids[2])
                else:
                    line(w.end_ns + MS, "I", "node_manager.cc:1472: Disconnecting client, "
                         "graceful=true, disconnect_type=%s worker_id=%s job_id=%s"
                         % (w.exit_type, w.hex, w.job_hex), tids[2])
        with fs.open(self.logs("raylet.out")) as out:
            timeline(out, L, self.budget(node, "raylet"),
                     self.pools.cpp_entries("raylet", "raylet", pid, tids), self.rng,
                     t, self.end_of(node), lead="[")
        fs.write(self.logs("raylet.err"), b"")
        self.note_quirk("empty_files", node, self.logs("raylet.err"))

    # --- head-only components ------------------------------------------------------
    def write_gcs(self, fs, node):
        pid = node.pids["gcs_server"]
        L = []

        def line(ns, lvl, body):
            L.append((ns, cpp_line(ns, lvl, pid, pid, "gcs_server", body)))
        line(node.start_ns + 50 * MS, "I", "gcs_server_main.cc:111: Ray cluster metadata "
             "ray_version=%s ray_commit=%040x" % (self.o.ray_version, self.rng.getrandbits(160)))
        for n in self.c.nodes:
            line(n.start_ns + 300 * MS, "I", "gcs_node_manager.cc:84: Registering node info, "
                 "address = %s, node name = %s node_id=%s" % (n.ip, n.ip, n.hex))
            if n.death_ns is not None:
                # A multi-line message, as Ray logs it.
                line(n.death_ns, "W", "gcs_health_check_manager.cc:108: The node with node id: %s "
                     "and address: %s and node name: %s has been marked dead because the detector "
                     "has missed too many heartbeats from it. This can happen when a \t(1) raylet "
                     "crashes unexpectedly (OOM, etc.) \n\t(2) raylet has lagging heartbeats due to "
                     "slow network or busy workload." % (n.hex, n.ip, n.ip))
        for j in self.c.jobs:
            line(j.start_ns, "I", "gcs_job_manager.cc:97: Adding job, job id = %s, driver pid = %d"
                 % (j.hex, j.driver.pid))
            if j.end_ns is not None:
                line(j.end_ns + 5 * MS, "I", "gcs_job_manager.cc:170: Finished marking job state, "
                     "job id = %s" % j.hex)
        for a in self.c.actors:
            line(a.transitions[0]["ns"], "I", "gcs_actor_manager.cc:389: Registering actor, job id = "
                 "%s, actor id = %s" % (a.job.hex, a.hex))
        with fs.open(self.logs("gcs_server.out")) as out:
            timeline(out, L, self.budget(node, "python") // 3,
                     self.pools.cpp_entries("gcs", "gcs_server", pid, [pid, pid + 5, pid + 9]),
                     self.rng, node.start_ns + 10 * MS, self.c.t_end, lead="[")
        fs.write(self.logs("gcs_server.err"), b"")
        self.note_quirk("empty_files", node, self.logs("gcs_server.err"))

    def rotated(self, fs, node, name, kind, generations, pad, first_lines):
        """A Python RotatingFileHandler log: name.N is older than name.N-1,
        the bare name is current (§1.5)."""
        t0, t1 = node.start_ns + 100 * MS, self.c.t_end
        cuts = [t0 + (t1 - t0) * k // (generations + 1) for k in range(generations + 2)]
        for gen in range(generations, -1, -1):
            rel = self.logs(name if gen == 0 else "%s.%d" % (name, gen))
            a, b = cuts[generations - gen], cuts[generations - gen + 1]
            lines = first_lines if gen == generations else []
            with fs.open(rel) as out:
                timeline(out, lines, pad // (generations + 1), self.pools.py_entries(kind),
                         self.rng, a, b)
            if gen:
                self.note_quirk("rotated_files", node, rel)

    def write_dashboard(self, fs, node):
        t = node.start_ns + 400 * MS
        first = [(t, py_line(t, "INFO", "head.py:250 -- Starting dashboard metrics server on port "
                                        "44227")),
                 (t + MS, py_line(t + MS, "INFO", "head.py:362 -- Dashboard head grpc address: "
                                                  "%s:%d" % (node.ip, 46577)))]
        self.rotated(fs, node, "dashboard.log", "dashboard", 2, self.budget(node, "python") // 3,
                     first)
        fs.write(self.logs("dashboard.out"), b"")
        fs.write(self.logs("dashboard.err"),
                 py_line(t + 2 * MS, "WARNING", "head.py:182 -- Grafana server is not reachable; "
                                                "dashboard metrics are disabled."))

    def write_monitor(self, fs, node):
        t = node.start_ns + 700 * MS
        first = [(t, py_line(t, "INFO", "monitor.py:690 -- Starting monitor using ray installation: "
                                        "/home/ray/anaconda3/lib/python3.11/site-packages/ray/"
                                        "__init__.py"))]
        self.rotated(fs, node, "monitor.log", "monitor", 1, self.budget(node, "python") // 6, first)
        fs.write(self.logs("monitor.out"), self.autoscaler_status(self.c.t_end - 5 * NS))
        fs.write(self.logs("monitor.err"), b"")

    def autoscaler_status(self, ns):
        """The `ray status` text the autoscaler prints (monitor.out)."""
        alive = [n for n in self.c.nodes if n.death_ns is None]
        cpus = sum(n.resources["CPU"] for n in alive)
        lines = ["======== Autoscaler status: %s ========" % U.log_ts(ns).replace(",", "."),
                 "Node status", "-" * 63, "Active:",
                 " 1 headgroup"]
        if len(alive) > 1:
            lines.append(" %d workergroup" % (len(alive) - 1))
        lines += ["Pending:", " (no pending nodes)", "Recent failures:"]
        dead = [n for n in self.c.nodes if n.death_ns is not None]
        lines += [" workergroup: NodeTerminated (ip: %s)" % n.ip for n in dead] or [" (no failures)"]
        lines += ["", "Resources", "-" * 63, "Usage:", " 3.0/%.1f CPU" % cpus,
                  " 0B/%.2fGiB memory" % (sum(n.resources["memory"] for n in alive) / 1024 ** 3),
                  "", "Demands:", " {'CPU': 1.0, 'GPU': 1.0}: 1+ pending tasks/actors", ""]
        return "\n".join(lines)

    def write_metrics(self, fs, node):
        """metrics/ as written by metrics_head.py (§1.2)."""
        m = "%s/metrics" % self.S
        fs.write(m + "/grafana/grafana.ini",
                 "[security]\nallow_embedding = true\n\n[auth.anonymous]\nenabled = true\n"
                 "org_name = Main Org.\norg_role = Viewer\n\n[paths]\nprovisioning = %s/metrics/"
                 "grafana/provisioning\n" % self.c.session_dir())
        fs.write(m + "/grafana/provisioning/dashboards/default.yml",
                 "apiVersion: 1\nproviders:\n  - name: Ray\n    folder: Ray\n    type: file\n"
                 "    options:\n      path: %s/metrics/grafana/dashboards\n" % self.c.session_dir())
        fs.write(m + "/grafana/provisioning/datasources/default.yml",
                 "apiVersion: 1\ndatasources:\n  - name: Prometheus\n    url: http://localhost:9090\n"
                 "    uid: prometheus\n    isDefault: true\n    access: proxy\n    type: prometheus\n")
        for dash in ("default", "serve", "serve_deployment", "data"):
            body = {"title": "%s Dashboard" % dash.replace("_", " ").title(),
                    "uid": "rayDefaultDashboard" if dash == "default" else "ray%sDashboard" % dash,
                    "panels": [{"id": i, "title": "panel %d" % i, "type": "timeseries",
                                "targets": [{"expr": "ray_tasks{SessionName=\"%s\"}" % self.S}]}
                               for i in range(4)]}
            fs.write(m + "/grafana/dashboards/%s_grafana_dashboard.json" % dash,
                     json.dumps(body, indent=2))
        fs.write(m + "/prometheus/prometheus.yml",
                 "global:\n  scrape_interval: 10s\n  evaluation_interval: 10s\n\nscrape_configs:\n"
                 "- job_name: 'ray'\n  file_sd_configs:\n  - files:\n    - '%s/"
                 "prom_metrics_service_discovery.json'\n" % self.o.temp_dir)
        # Lives in the temp dir, not the session dir (§1.2).
        fs.write("prom_metrics_service_discovery.json", json.dumps(
            [{"labels": {"job": "ray"},
              "targets": ["%s:8080" % n.ip for n in self.c.nodes if n.death_ns is None]}]))

    def write_job_driver_logs(self, fs, node):
        """job-driver-<submission_id>.log: the submitted driver's stdout (§1.4),
        including worker lines the log monitor forwarded with '(name pid=, ip=)'."""
        for job in self.c.jobs:
            if not job.is_submission:
                continue
            t = job.start_ns + 300 * MS
            end = job.end_ns or self.c.t_end
            L = [(t, py_line(t, "INFO", "worker.py:1694 -- Connecting to existing Ray cluster at "
                                        "address: %s:6379..." % node.ip)),
                 (t + 50 * MS, py_line(t + 50 * MS, "INFO", "worker.py:1879 -- Connected to Ray "
                                       "cluster. View the dashboard at http://%s:8265 " % node.ip))]
            for at in self.c.attempts():
                if at.task.job is job and at.run_start and at.worker and at.task.type == "NORMAL_TASK":
                    L.append((at.run_start + 5 * MS, rg_driver.forwarded(
                        at.task.name, at.worker.pid, at.node.ip,
                        "%s started attempt %d" % (at.task.name, at.number))))
            if job.status == "FAILED":
                L.append((end - 10 * MS, "Traceback (most recent call last):\n  File \"/home/ray/"
                          "train.py\", line 57, in <module>\n    raise RuntimeError(\"validation "
                          "accuracy below threshold\")\nRuntimeError: validation accuracy below "
                          "threshold\n"))
            else:
                L.append((end - 10 * MS, "Training finished: 3 epochs, val_acc=0.9123\n"))
            with fs.open(self.logs("job-driver-%s.log" % job.submission_id)) as out:
                timeline(out, L, self.budget(node, "python") // 6, self.pools.plain_entries("out"),
                         self.rng, t, end, stamped=False)

    # --- per-node Python components -------------------------------------------------
    def write_python_components(self, fs, node):
        end = self.end_of(node)
        pad = self.budget(node, "python") // (6 if node.is_head else 3)
        specs = [("dashboard_agent.log", "agent", "agent.py:208 -- Dashboard agent grpc address: "
                  "%s:%d" % (node.ip, 52366)),
                 ("log_monitor.log", "log_monitor", "log_monitor.py:577 -- Starting log monitor "
                  "with [max open files=200], [is_autoscaler_v2=False]"),
                 ("runtime_env_agent.log", "runtime_env", "runtime_env_agent.py:248 -- Starting "
                  "runtime env agent at pid %d" % node.pids["runtime_env_agent"])]
        for name, kind, first in specs:
            t = node.start_ns + 500 * MS
            L = [(t, py_line(t, "INFO", first))]
            if name == "log_monitor.log":
                for w in node.workers:
                    if w.moved_to_old:
                        L.append((w.end_ns + 2 * NS, py_line(w.end_ns + 2 * NS, "INFO",
                                  "log_monitor.py:356 -- Moving %s.out to old" % w.file_stem())))
            with fs.open(self.logs(name)) as out:
                timeline(out, L, pad, self.pools.py_entries(kind), self.rng, t, end)

    # --- core worker / driver logs ---------------------------------------------------
    def write_core_logs(self, fs, node):
        workers = [w for w in node.workers]
        for w in workers:
            comp = "python-core-driver" if w.kind == "DRIVER" else "python-core-worker"
            tids = [w.pid, w.pid + 11, w.pid + 12]
            end = w.end_ns if w.end_ns is not None else self.end_of(node)
            L = [(w.start_ns, cpp_line(w.start_ns, "I", w.pid, w.pid, comp,
                                       "core_worker_process.cc:175: Constructing CoreWorkerProcess. "
                                       "pid: %d" % w.pid)),
                 (w.start_ns + 3 * MS, cpp_line(w.start_ns + 3 * MS, "I", w.pid, w.pid, comp,
                                                "core_worker.cc:491: Initializing worker at address: "
                                                "%s:%d worker_id=%s node_id=%s"
                                                % (node.ip, w.port, w.hex, node.hex)))]
            for at in w.attempts:
                L.append((at.run_start, cpp_line(at.run_start, "I", w.pid, tids[1], comp,
                          "task_receiver.cc:226: Executing task %s attempt %d (%s)"
                          % (at.task.hex, at.number, at.task.func_or_class_name))))
            pad = self.budget(node, "core", len(workers))
            with fs.open(self.logs(w.core_log_name())) as out:
                timeline(out, L, pad, self.pools.cpp_entries("core", comp, w.pid, tids), self.rng,
                         w.start_ns, end, lead="[")

    # --- worker stdout/stderr with task log offsets --------------------------------------
    def write_worker_logs(self, fs, node):
        workers = [w for w in node.workers if w.kind == "WORKER"]
        busy = [w for w in workers if w.attempts] or workers
        for w in workers:
            sub = "old/" if w.moved_to_old else ""
            out_rel = self.logs(sub + w.file_stem() + ".out")
            err_rel = self.logs(sub + w.file_stem() + ".err")
            with fs.open(out_rel) as out, fs.open(err_rel) as err:
                self.write_worker_streams(node, w, out, err,
                                          self.budget(node, "worker_out", len(busy)),
                                          self.budget(node, "worker_err", len(busy)))
            if sub:
                self.note_quirk("moved_to_old", node, out_rel)

    def write_worker_streams(self, node, w, out, err, pad_out, pad_err):
        """Ray's magic tokens (§1.4; task-log layout from log_agent.py):
        :job_id:<job>, then per task :task_name:<name>, :task_attempt_start:
        <task_id>-<attempt>, the user's output, :task_attempt_end:<...>; an actor
        worker announces :actor_name:<class> (and its repr once constructed).
        task_log_info start offsets point just after the start marker, end
        offsets at the end marker (§3.6)."""
        def both(text):
            out.write(text)
            err.write(text)
        if w.job is not None:
            both(":job_id:%s\n" % w.job.hex)
        attempts = sorted(w.attempts, key=lambda a: a.run_start)
        n = max(1, len(attempts))
        for at in attempts:
            task = at.task
            if task.type == "ACTOR_CREATION_TASK":
                both(":actor_name:%s\n" % task.class_name)
            elif task.type == "NORMAL_TASK":
                both(":task_name:%s\n" % task.name)
            if at.records_log:
                both(":task_attempt_start:%s-%d\n" % (task.hex, at.number))
                at.log = {"stdout_file": self.abs_log(w.file_stem() + ".out"),
                          "stderr_file": self.abs_log(w.file_stem() + ".err"),
                          "stdout_start": out.pos, "stderr_start": err.pos}
            self.task_output(node, w, at, out, err, pad_out // n, pad_err // n)
            ended = at.outcome is not None and not at.crashed
            if at.records_log and ended:
                at.log["stdout_end"] = out.pos
                at.log["stderr_end"] = err.pos
                both(":task_attempt_end:%s-%d\n" % (task.hex, at.number))
            if task.type == "ACTOR_CREATION_TASK" and at.outcome == "FINISHED" and task.actor.repr_name:
                both(":actor_name:%s\n" % task.actor.repr_name)
        if self.o.quirks and any(a.task.kind == "node_death_retry" and a.crashed for a in attempts):
            # The node died mid-write: the file ends without a newline.
            out.write("Processed 4096 records from /home/ray/shard_0031.parquet in 0.7")
            self.note_quirk("no_trailing_newline", node, out.rel)

    def task_output(self, node, w, at, out, err, pad_out, pad_err):
        task = at.task
        out.write("[%s] attempt %d on %s: starting\n" % (task.name, at.number, node.ip))
        fill(out.write, pad_out, self.pools.plain_entries("out"), self.rng)
        if at.quirk == "big_output":
            self.big_line(out)
            self.note_quirk("line_3mib", node, out.rel)
        if at.quirk == "binary_err":
            err.write(b"decode_blob: raw header \xff\xfe\x00\x01\x80\x81\xc3\x28 not UTF-8\n")
            self.note_quirk("non_utf8", node, err.rel)
        if pad_err and self.rng.random() < 0.4:
            fill(err.write, pad_err, self.pools.plain_entries("err"), self.rng)
        if at.outcome == "FAILED" and at.error_type == "TASK_EXECUTION_EXCEPTION":
            err.write("Traceback (most recent call last):\n" + U.strip_ansi(at.error_message)
                      .split("\n", 1)[-1] + "\n")
        if at.outcome == "FINISHED":
            out.write("[%s] attempt %d done\n" % (task.name, at.number))

    def big_line(self, out):
        """One 3 MiB line (a task printing a huge record), built in pieces."""
        rng = self.rng
        written = out.write("big_record=[")
        piece = ", ".join("%.6f" % rng.random() for _ in range(4096))
        while written + len(piece) + 3 < BIG_LINE_BYTES:
            written += out.write(piece + ", ")
        out.write("0" * max(0, BIG_LINE_BYTES - written - 1) + "]\n")   # 3 MiB before the \n

    # --- debug_state.txt ----------------------------------------------------------------
    def write_debug_state(self, fs, node):
        """logs/debug_state.txt, the raylet's periodic dump, in the shape the
        KubeRay history server parses (kuberay-hs.md §3.5, debug_state_test.go)."""
        res = node.resources
        def fmt(d, scale=10000, brackets=True):
            return ", ".join("%s: %s" % (k, "[%d]" % (v * scale) if brackets else int(v * scale))
                             for k, v in d.items())
        idle = 1 if not any(w.end_ns is None and w.attempts for w in node.workers) else 0
        labels = "".join('"%s":"%s",' % kv for kv in node.labels.items())
        text = ("NodeManager:\nNode ID: %s\nNode name: %s\nInitialConfigResources: {%s}\n"
                "ClusterLeaseManager:\n========== Node: %s =================\n"
                "Infeasible queue length: %d\nSchedule queue length: 0\nGrant queue length: 0\n"
                "cluster_resource_scheduler state:\nLocal id: %d Local resources: {\"total\":{%s}}, "
                "\"available\": {%s}}, \"labels\":{%s} is_draining: 0 is_idle: %d Cluster resources\n"
                % (node.hex, node.ip, ", ".join("%s: %g" % kv for kv in res.items()), node.hex,
                   1 if node.is_head else 0, self.rng.randrange(-2 ** 62, 2 ** 62), fmt(res),
                   fmt(res), labels, idle))
        fs.write(self.logs("debug_state.txt"), text + rg_raylet.object_manager_section(node))
        if node.is_head:
            fs.write(self.logs("debug_state_gcs.txt"),
                     "Gcs Debug state:\n\nGcsNodeManager: \n- RegisterNode request count: %d\n"
                     "- DrainNode request count: 0\n- Finished jobs count: %d\n"
                     % (len(self.c.nodes), sum(1 for j in self.c.jobs if j.end_ns)))

    # --- runtime_resources and quirks ---------------------------------------------------
    def write_runtime_resources(self, fs, node):
        rr = "%s/runtime_resources" % self.S
        fs.mkdir(rr + "/pip")
        for job in self.c.jobs:
            wd = job.runtime_env.get("working_dir")
            if wd:
                pkg = wd.rsplit("/", 1)[-1][:-4]
                fs.write("%s/working_dir_files/%s/train.py" % (rr, pkg),
                         "import ray\n\n@ray.remote\ndef train_step(batch):\n    return len(batch)\n")

    def write_quirks(self, fs, node):
        if not node.is_head:
            return
        rr = "%s/runtime_resources" % self.S
        blob = bytes(self.rng.randrange(256) for _ in range(4096))
        fs.write(rr + "/working_dir_files/model.bin", b"\x00\xffRAYGEN\x80" + blob)
        self.note_quirk("binary_file", node, rr + "/working_dir_files/model.bin")
        fs.write(rr + "/tpu_logs/tpu_driver.INFO",
                 "I1112 22:10:35.000000 %d tpu_driver.cc:91] TPU driver not present\n" % node.pids["raylet"])
        # logs/tpu_logs-style link to a file inside the session (§1.1) ...
        fs.symlink(self.logs("tpu_logs"), "../runtime_resources/tpu_logs/tpu_driver.INFO")
        self.note_quirk("symlink_inside", node, self.logs("tpu_logs"))
        # ... and one leaving the session entirely.
        fs.symlink(self.logs("host_hostname"), "/etc/hostname")
        self.note_quirk("symlink_outside", node, self.logs("host_hostname"))
