"""Realistic log text, fast.

Each log kind has templates written after the lines Ray's components print.
A pool of a few thousand rendered lines is built once per kind; filling N
bytes then only picks pool lines at random (random.choices, in C), prefixes a
timestamp from a per-second cache and joins them in 1-4k line blocks. Random
ids, numbers and words inside the templates keep zstd -3 at a 5-10x ratio,
like real Ray logs, rather than the 100x+ of one repeated line.

Line formats (§1.4): C++ '[YYYY-MM-DD HH:MM:SS,mmm L pid tid] (component)
file.cc:line: message'; Python '%(asctime)s\\t%(levelname)s
%(filename)s:%(lineno)s -- %(message)s'; worker stdout/stderr are free text.
"""

import re

from rg_util import MS, NS, _utc_second

WORDS = ("alpha beta gamma delta shard block batch chunk epoch step split train eval infer "
         "tokenize embed partition bucket window frame record sample image text audio vector "
         "matrix tensor gradient weight bias layer head query key value cache index segment "
         "region zone cluster replica leader follower commit offset cursor stream sink source "
         "map reduce filter join sort merge spill restore fetch push pull lease grant release "
         "queue worker driver actor task object plasma arrow parquet csv json s3 gcs local").split()
FUNCS = ("preprocess load_shard tokenize_batch train_step eval_step compute_stats write_parquet "
         "resize_image embed_text score_batch merge_results fetch_url parse_record checksum "
         "aggregate_window bench_task square_numbers sleep_and_echo simulate_step").split()
MODULES = ("train etl pipeline jobs.ingest jobs.score app.tasks __main__ workloads.bench").split()
CPP_LEVELS = {"I": "I", "W": "W", "E": "E", "D": "D"}

# --- C++ components (raylet, gcs_server, core workers) ------------------------
RAYLET = [
    ("I", "worker_pool.cc:{l}: Started worker process with pid {pid}, the token is {n}"),
    ("I", "worker_pool.cc:{l}: Returning worker {h56} to idle pool, num idle workers: {s}"),
    ("I", "node_manager.cc:{l}: Disconnecting client, graceful=true, disconnect_type={s}, has_creation_task_exception=false worker_id={h56} job_id={h8}"),
    ("I", "node_manager.cc:{l}: Worker {h56} is registered, pid={pid}, port={port}, language=PYTHON"),
    ("I", "local_lease_manager.cc:{l}: Granting lease {h48} to worker {h56} on node {h56}"),
    ("I", "cluster_lease_manager.cc:{l}: Queueing lease request for {func}, scheduling class {s}, {s} pending"),
    ("I", "object_store.cc:{l}: Object store current usage {f} / {gb} GB."),
    ("I", "pull_manager.cc:{l}: Pull request {n}: {s} objects, {mb} MiB active, {s} queued"),
    ("I", "object_manager.cc:{l}: Object {h56} pushed to node {h56} in {ms} ms ({mb} MiB)"),
    ("I", "local_object_manager.cc:{l}: Spilled {s} objects, {mb} MiB total, {ms} ms, {f} MiB/s"),
    ("W", "node_manager.cc:{l}: The lease request for {func} has been pending for {s} seconds; the cluster may not have enough {res}."),
    ("I", "accessor.cc:{l}: Received notification for node, IsAlive = 1 node_id={h56}"),
    ("I", "runtime_env_agent_client.cc:{l}: Create runtime env for job {h8}, runtime env hash {n}"),
    ("I", "main.cc:{l}: Ray raylet metrics agent port {port}, dashboard agent listen port {port}"),
    ("I", "metrics_agent_client.cc:{l}: Exporter initialized after {s} attempts."),
    ("I", "node_manager.cc:{l}: [state-dump] NodeManager: Node ID: {h56} Node name: {ip} InitialConfigResources: {{CPU: {s}, memory: {gb}e+09}}"),
    ("I", "node_manager.cc:{l}: [state-dump] Event stats: Global stats: {n} total ({s} active) Queueing time: mean = {f} us, max = {ms} ms"),
    ("I", "node_manager.cc:{l}: [state-dump] \tNodeManagerService.grpc_server.RequestWorkerLease - {n} total ({s} active), Execution time: mean = {f} us, total = {ms} ms"),
    ("I", "node_manager.cc:{l}: [state-dump] \tObjectManager.ObjectAdded - {n} total (0 active), Execution time: mean = {f} us, total = {ms} ms"),
    ("I", "node_manager.cc:{l}: [state-dump] \tRaySyncer.OnDemandBroadcasting - {n} total ({s} active), Execution time: mean = {f} us"),
    ("I", "node_manager.cc:{l}: [state-dump] \tCoreWorkerService.grpc_client.PubsubLongPolling - {n} total ({s} active)"),
    ("I", "node_manager.cc:{l}: [state-dump] DebugString() time ms: {s}"),
    ("I", "client_connection.cc:{l}: Connection to worker {h56} closed, {n} bytes read"),
    ("D", "scheduling_policy.cc:{l}: Hybrid policy picked node {h56} for {func} (score {f})"),
    ("W", "memory_monitor.cc:{l}: Node memory used {f} GB exceeds {f} of {gb} GB, waiting for workers to release memory"),
    ("E", "worker_pool.cc:{l}: Some workers of the worker process({pid}) have not registered within the timeout. The process is still alive, probably it's hanging during start."),
    ("I", "dependency_manager.cc:{l}: Task {h48} blocked on {s} objects, {mb} MiB to pull"),
]
GCS = [
    ("I", "gcs_node_manager.cc:{l}: Registering node info, address = {ip}, node name = {ip} node_id={h56}"),
    ("I", "gcs_job_manager.cc:{l}: Adding job, job id = {h8}, driver pid = {pid}"),
    ("I", "gcs_actor_manager.cc:{l}: Registering actor, job id = {h8}, actor id = {h32}"),
    ("I", "gcs_actor_manager.cc:{l}: Actor created successfully job_id={h8} actor_id={h32}"),
    ("I", "gcs_actor_scheduler.cc:{l}: Start leasing worker from node {h56} for actor {h32}"),
    ("I", "gcs_placement_group_manager.cc:{l}: Registering placement group, placement group id = {h36}, name = {word}, strategy = {s}"),
    ("I", "gcs_task_manager.cc:{l}: GcsTaskManager: num total task events {n}, num dropped {s}, num profile events {n}"),
    ("I", "gcs_server.cc:{l}: GcsNodeManager: RegisterNode request count: {s}, DrainNode request count: 0"),
    ("I", "gcs_server.cc:{l}: Event stats: Global stats: {n} total ({s} active) Queueing time: mean = {f} us"),
    ("I", "gcs_health_check_manager.cc:{l}: Health check for node {h56} succeeded, latency {ms} ms"),
    ("W", "gcs_health_check_manager.cc:{l}: Health check failed for node {h56}, remaining checks {s}, status UNAVAILABLE: failed to connect to all addresses"),
    ("I", "gcs_worker_manager.cc:{l}: Reporting worker exit, worker id = {h56}, node id = {h56}, address = {ip}, exit_type = INTENDED_USER_EXIT"),
    ("I", "gcs_kv_manager.cc:{l}: Put key {word}:{n} into namespace session, {s} bytes"),
    ("I", "pubsub_handler.cc:{l}: Subscriber {h56} long-polling, {s} messages queued"),
]
CORE_WORKER = [
    ("I", "core_worker_process.cc:{l}: Constructing CoreWorkerProcess. pid: {pid}"),
    ("I", "core_worker.cc:{l}: Initializing worker at address: {ip}:{port} worker_id={h56} node_id={h56}"),
    ("I", "task_event_buffer.cc:{l}: Reporting task events to GCS every {s}000ms."),
    ("I", "task_event_buffer.cc:{l}: Pushed task state events to GCS. [total_bytes={n}] [total_num_task_events={s}]"),
    ("I", "normal_task_submitter.cc:{l}: Lease granted to task {h48} from raylet {h56} with worker {h56}"),
    ("I", "task_receiver.cc:{l}: Executing task {h48} attempt {s} ({func})"),
    ("I", "reference_counter.cc:{l}: Object {h56} out of scope, {s} references remaining"),
    ("I", "core_worker.cc:{l}: Put object {h56} of size {n} bytes into plasma"),
    ("I", "direct_actor_task_submitter.cc:{l}: Connecting to actor {h32} at worker {h56}"),
    ("I", "grpc_server.cc:{l}: worker server started, listening on port {port}."),
    ("W", "core_worker.cc:{l}: Failed to fetch object {h56} from {ip}:{port}, retrying in {ms} ms"),
    ("I", "object_recovery_manager.cc:{l}: Recovery of object {h56} succeeded after {s} attempts"),
    ("I", "memory_store.cc:{l}: Memory store has {s} entries, {mb} MiB"),
    ("D", "core_worker.cc:{l}: GetObjects {s} ids, timeout {ms} ms"),
]
# --- Python components --------------------------------------------------------
DASHBOARD = [
    ("INFO", "head.py:{l} -- Dashboard head grpc address: {ip}:{port}"),
    ("INFO", "http_server_head.py:{l} -- Dashboard head http address: {ip}:8265"),
    ("INFO", "web_log.py:{l} -- {ip} [{clf}] 'GET /api/v0/tasks?detail=1&limit=10000&filter_keys=job_id&filter_predicates=%3D&filter_values={h8} HTTP/1.1' 200 {n} bytes {n} us '-' 'Mozilla/5.0 (X11; Linux x86_64)'"),
    ("INFO", "web_log.py:{l} -- {ip} [{clf}] 'GET /nodes?view=summary HTTP/1.1' 200 {n} bytes {n} us '-' 'Mozilla/5.0'"),
    ("INFO", "web_log.py:{l} -- {ip} [{clf}] 'GET /api/jobs/ HTTP/1.1' 200 {n} bytes {n} us '-' 'python-requests/2.32.3'"),
    ("INFO", "web_log.py:{l} -- {ip} [{clf}] 'GET /logical/actors HTTP/1.1' 200 {n} bytes {n} us '-' 'Mozilla/5.0'"),
    ("INFO", "event_head.py:{l} -- Received {s} events from {ip}, cached {n} events for job {h8}"),
    ("INFO", "job_head.py:{l} -- Submitting job with submission_id=raysubmit_{word}{n}."),
    ("WARNING", "state_aggregator.py:{l} -- {s} task events were dropped by GCS to save memory"),
    ("INFO", "metrics_head.py:{l} -- Generated prometheus and grafana configurations in: {path}"),
    ("INFO", "usage_stats_head.py:{l} -- Usage reporting is disabled."),
    ("INFO", "node_head.py:{l} -- Getting all actor info from GCS, {s} actors, took {ms} ms"),
]
AGENT = [
    ("INFO", "agent.py:{l} -- Dashboard agent grpc address: {ip}:{port}"),
    ("INFO", "reporter_agent.py:{l} -- Reporting stats: cpu {f}%, mem {gb} GiB, {s} workers"),
    ("INFO", "event_agent.py:{l} -- Report {s} events to {ip}:{port}."),
    ("INFO", "aggregator_agent.py:{l} -- Published {n} events to external service, {s} batches, buffer {n}/1000000"),
    ("WARNING", "aggregator_agent.py:{l} -- Failed to publish {s} events, retrying in {f}s: 503 Service Unavailable"),
    ("INFO", "log_agent.py:{l} -- Streaming file {path}, {n} bytes from offset {n}"),
    ("INFO", "runtime_env_agent.py:{l} -- Runtime env for job {h8} created in {ms} ms, uri gcs://_ray_pkg_{h16}.zip"),
]
MONITOR = [
    ("INFO", "monitor.py:{l} -- Autoscaler has not yet received load metrics. Waiting."),
    ("INFO", "autoscaler.py:{l} -- StandardAutoscaler: {s} nodes, {s} pending, resources {{'CPU': {s}.0, 'memory': {gb}e9}}"),
    ("INFO", "load_metrics.py:{l} -- LoadMetrics: usage {{'CPU': ({s}.0, {s}.0)}}, idle {s} nodes"),
    ("INFO", "resource_demand_scheduler.py:{l} -- Resource demands: [{{'CPU': 1.0}}] * {s}, placement groups: {s}"),
    ("INFO", "monitor.py:{l} -- Monitor: Updated cluster status in {ms} ms, {n} bytes"),
]
LOG_MONITOR = [
    ("INFO", "log_monitor.py:{l} -- Beginning to track file {path}"),
    ("INFO", "log_monitor.py:{l} -- Closed {s} files, moved to old: worker-{h56}-{h8}-{pid}.out"),
    ("INFO", "log_monitor.py:{l} -- Published {n} lines from {s} files"),
]
RUNTIME_ENV = [
    ("INFO", "runtime_env_agent.py:{l} -- Got request from {ip} to increase reference for runtime env: {{\"working_dir\": \"gcs://_ray_pkg_{h16}.zip\"}}."),
    ("INFO", "runtime_env_agent.py:{l} -- Successfully created runtime env: {{}}, the context: {{\"command_prefix\": [], \"env_vars\": {{}}}}"),
    ("INFO", "working_dir.py:{l} -- Downloaded and unpacked gcs://_ray_pkg_{h16}.zip in {ms} ms ({n} bytes)"),
    ("INFO", "uri_cache.py:{l} -- Added URI gcs://_ray_pkg_{h16}.zip with size {n}, total cache size {n}"),
]
# --- Worker stdout/stderr (what user code prints) -----------------------------
WORKER_OUT = [
    "Epoch {s}/{s} - step {n} - loss: {f} - acc: {f}",
    "Processed {n} records from {path} in {f}s",
    "[{func}] batch {n}: {s} rows, {mb} MiB, checksum {h16}",
    "{{'loss': {f}, 'lr': 0.000{n}, 'grad_norm': {f}, 'step': {n}}}",
    "writing {path} ({n} bytes)",
    "shard {s} of {s}: {n} items, {s} skipped",
    "{func}: {word} {word} {word} {n}",
    "INFO:{word}:{word} finished in {ms} ms",
    "tqdm {s}%|{bar}| {n}/{n} [00:{s}<00:{s}, {f}it/s]",
    "score={f} threshold={f} decision={word}",
    "Downloaded s3://bucket-{word}/{word}/{h16}.parquet ({mb} MiB)",
    "{word}_{word}: mean={f} std={f} min={f} max={f}",
]
WORKER_ERR = [
    "{path}:{s}: UserWarning: {word} is deprecated and will be removed in a future release.",
    "  warnings.warn(",
    "WARNING:{word}:retrying {word} after {f}s (attempt {s})",
    "E{n} {ms}:{s}:{s} {n} {word}.cc:{s}] {word} {word} failed: UNAVAILABLE",
    "DeprecationWarning: {word}() is deprecated, use {word}_v2()",
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _renderer(rng):
    """Placeholder -> random value. Ids are random hex (they do not compress),
    numbers vary in width, words come from a small vocabulary (they do)."""
    def hexs(n):
        return lambda: rng.getrandbits(n * 4).to_bytes((n * 4 + 7) // 8, "big").hex()[-n:].rjust(n, "0")
    table = {
        "l": lambda: str(rng.randrange(40, 2400)),
        "pid": lambda: str(rng.randrange(100, 65000)),
        "port": lambda: str(rng.randrange(10000, 65000)),
        "n": lambda: str(int(rng.expovariate(1 / 5000))),
        "s": lambda: str(rng.randrange(0, 64)),
        "f": lambda: "%.4f" % rng.random() if rng.random() < .5 else "%.2f" % (rng.random() * 100),
        "ms": lambda: "%.3f" % (rng.expovariate(1 / 40)),
        "mb": lambda: "%.2f" % (rng.expovariate(1 / 300)),
        "gb": lambda: "%.2f" % (rng.random() * 64),
        "h8": hexs(8), "h16": hexs(16), "h32": hexs(32), "h36": hexs(36),
        "h48": hexs(48), "h56": hexs(56),
        "ip": lambda: "10.244.%d.%d" % (rng.randrange(0, 4), rng.randrange(2, 250)),
        "word": lambda: rng.choice(WORDS),
        "func": lambda: rng.choice(FUNCS),
        "res": lambda: rng.choice(["CPU", "GPU", "memory", "object_store_memory"]),
        "path": lambda: "/home/ray/%s/%s_%d.%s" % (rng.choice(WORDS), rng.choice(WORDS),
                                                   rng.randrange(0, 999),
                                                   rng.choice(["parquet", "json", "csv", "npy"])),
        "clf": lambda: "12/Nov/2025:22:%02d:%02d +0000" % (rng.randrange(60), rng.randrange(60)),
        "bar": lambda: "#" * rng.randrange(0, 10) + " " * rng.randrange(0, 10),
    }

    def render(template):
        # "{{" / "}}" stand for literal braces, as in str.format templates.
        text = _PLACEHOLDER.sub(lambda m: table[m.group(1)](), template)
        return text.replace("{{", "{").replace("}}", "}")
    return render


def build_pool(rng, templates, size):
    """Render `size` lines; templates are picked with a skew (a few dominate,
    as in real logs)."""
    render = _renderer(rng)
    # One source line per template, as in a real binary.
    lines = {t: str(rng.randrange(40, 2400)) for t in templates}
    weights = [1.0 / (1 + i % 7) for i in range(len(templates))]
    picks = rng.choices(templates, weights=weights, k=size)
    out = []
    for t in picks:
        if isinstance(t, tuple):
            out.append((t[0], render(t[1].replace("{l}", lines[t]))))
        else:
            out.append(render(t))
    return out


class Pools:
    """Rendered line pools, built lazily once per generator run."""

    SPECS = {
        "raylet": RAYLET, "gcs": GCS, "core": CORE_WORKER, "dashboard": DASHBOARD,
        "agent": AGENT, "monitor": MONITOR, "log_monitor": LOG_MONITOR,
        "runtime_env": RUNTIME_ENV, "out": WORKER_OUT, "err": WORKER_ERR,
    }

    def __init__(self, rng, size=6000):
        self.rng = rng
        self.size = size
        self._pools = {}

    def get(self, kind):
        if kind not in self._pools:
            small = kind in ("monitor", "log_monitor", "runtime_env", "err")
            n = max(500, self.size // 4) if small else self.size
            self._pools[kind] = build_pool(self.rng, self.SPECS[kind], n)
        return self._pools[kind]

    def cpp_entries(self, kind, component, pid, tids):
        """Line tails after the timestamp: ' L pid tid] (component) body\\n'."""
        out = []
        for i, (lvl, body) in enumerate(self.get(kind)):
            out.append(" %s %d %d] (%s) %s\n" % (lvl, pid, tids[i % len(tids)], component, body))
        return out

    def py_entries(self, kind):
        return ["\t%s %s\n" % (lvl, body) for lvl, body in self.get(kind)]

    def plain_entries(self, kind):
        return [line + "\n" for line in self.get(kind)]


def cpp_line(ns, level, pid, tid, component, body):
    return "[%s,%03d %s %d %d] (%s) %s\n" % (
        _utc_second(ns // NS, "%Y-%m-%d %H:%M:%S"), (ns % NS) // MS, level, pid, tid, component, body)


def py_line(ns, level, body):
    return "%s,%03d\t%s %s\n" % (
        _utc_second(ns // NS, "%Y-%m-%d %H:%M:%S"), (ns % NS) // MS, level, body)


_MS_STR = [",%03d" % i for i in range(1000)]


def fill(write, nbytes, entries, rng, t0=None, t1=None, lead="", block=2048):
    """Write about `nbytes` of lines picked from `entries`, never more, ending
    on a line boundary. With t0/t1 each line gets a timestamp prefix
    (lead + 'YYYY-MM-DD HH:MM:SS,mmm'), increasing from t0 towards t1.
    Returns the byte count written."""
    if nbytes <= 0 or not entries:
        return 0
    avg = max(16, sum(len(e) for e in entries[:200]) // min(200, len(entries)) + (24 if t0 is not None else 0))
    total_lines = nbytes // avg + 1
    step = 0 if t0 is None else max(1, (t1 - t0) // total_lines)
    t = t0
    written = 0
    sec_cache = {}
    while written < nbytes:
        k = min(block, (nbytes - written) // avg + 1)
        picks = rng.choices(entries, k=k)
        if t0 is not None:
            # jittered, strictly increasing times; per-second prefix cached
            offs = rng.choices((0, step // 2, step, step, step * 2), k=k)
            lines = []
            append = lines.append
            for off, e in zip(offs, picks):
                t += off
                if t >= t1:
                    t = t1 - 1
                s = t // NS
                p = sec_cache.get(s)
                if p is None:
                    p = lead + _utc_second(s, "%Y-%m-%d %H:%M:%S")
                    sec_cache[s] = p
                append(p + _MS_STR[(t % NS) // MS] + e)
            data = "".join(lines).encode("utf-8")
        else:
            data = "".join(picks).encode("utf-8")
        room = nbytes - written
        if len(data) > room:
            cut = data.rfind(b"\n", 0, room)
            if cut < 0:
                break
            data = data[:cut + 1]
            write(data)
            written += len(data)
            break
        write(data)
        written += len(data)
    return written
