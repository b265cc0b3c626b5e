"""KubeRay's contract: the facts KubeRay's own end-to-end test of its history
server checks on a dead cluster (ray-project/kuberay,
historyserver/test/e2e/historyserver_test.go: every Dead-cluster test and
the helpers they call), asserted against rayhist-serve over a generated,
captured session, through both ways in:

  cookie  KubeRay's flow: GET /enter_cluster/NS/raycluster/NAME/SESSION as an
          API client (no text/html in Accept) answers 200 JSON and sets the
          cookies; then the root paths (/nodes, /api/v0/...) with them
  prefix  the shareable /c/NS/CLUSTER/SESSION/ prefix, no cookies

Where KubeRay's assertion is about its own workload (two nodes, a task that
prints "Processing 1"), the same fact is asserted of the generated session
(every node, a task whose log range sits inside a shared worker file).
Where Ray's own dashboard answers differently, Ray's answer is asserted and
the case is listed in docs/kuberay-contract.md (marked RAY-DIFFERS here).

usage: kuberay_contract.py STORE GENDIR
"""

import glob
import json
import os
import re
import sys
import urllib.parse

from rhserve import Server, check, fail, finish

store, gendir = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
S = truth["session"]["name"]
NS, CL = "default", "rc1"
ANSI = re.compile(rb"\x1b\[[0-9;]+m")      # the pattern KubeRay's test uses
q = urllib.parse.quote


def node_dir(node_ip):
    """The generated session directory of the node with this IP."""
    for d in glob.glob(os.path.join(gendir, "*", "session_latest")):
        try:
            if json.load(open(os.path.join(d, "node_ip_address.json")))["node_ip_address"] == node_ip:
                return d
        except (OSError, ValueError, KeyError):
            continue
    raise SystemExit("no generated node with IP %s" % node_ip)


class Flow:
    """One way into the session; get(path) takes a root path ("/nodes")."""

    def __init__(self, srv, name):
        self.srv, self.name, self.cookie = srv, name, None

    def url(self, path):
        if self.name == "prefix":
            return "/c/%s/%s/%s/%s" % (NS, CL, S, path.lstrip("/"))
        return path

    def get(self, path, headers=None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        return self.srv.get(self.url(path), headers=h)

    def json(self, path, what, status=200):
        st, h, body = self.get(path)
        if not check(st == status, "[%s] %s: %s: status %d, expected %d: %.300r"
                     % (self.name, what, path, st, status, body)):
            return None
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError:
            fail("[%s] %s: %s: not JSON: %.200r" % (self.name, what, path, body))
            return None


def chk(flow, cond, what):
    return check(cond, "[%s] %s" % (flow.name, what))


def has_keys(flow, obj, keys, what):
    missing = [k for k in keys if not isinstance(obj, dict) or k not in obj]
    return chk(flow, not missing, "%s: missing %s" % (what, missing))


# ---- setClusterContext / getClusterFromList --------------------------------

def enter(srv):
    """KubeRay's setClusterContext, and its cookie jar."""
    f = Flow(srv, "cookie")
    st, h, body = srv.get("/enter_cluster/%s/raycluster/%s/%s" % (NS, CL, S))
    check(st == 200, "enter_cluster (no Accept): status %d, expected 200: %.200r" % (st, body))
    try:
        doc = json.loads(body.decode("utf-8"))
    except ValueError:
        doc = {}
        fail("enter_cluster: not JSON: %.200r" % body)
    check(doc.get("result") == "success", "enter_cluster: result %r" % doc.get("result"))
    check(doc.get("name") == CL and doc.get("namespace") == NS and doc.get("session") == S,
          "enter_cluster: name/namespace/session %r" % doc)
    jar = {}
    for line in h.get("set-cookie", "").split("\n"):
        kv = line.split(";", 1)[0].strip()
        if "=" in kv:
            k, v = kv.split("=", 1)
            jar[k] = v
    for k, v in (("cluster_namespace", NS), ("cluster_name", CL), ("session_name", S)):
        check(jar.get(k) == v, "enter_cluster: cookie %s=%r" % (k, jar.get(k)))
    f.cookie = "; ".join("%s=%s" % kv for kv in jar.items())
    # a browser (text/html in Accept) keeps the redirect to the session's pages
    st, h, _ = srv.get("/enter_cluster/%s/raycluster/%s/%s" % (NS, CL, S),
                       headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    check(st == 302 and h.get("location") == "/c/%s/%s/%s/" % (NS, CL, S),
          "enter_cluster (browser): %d %r" % (st, h.get("location")))
    return f


def cluster_list(srv):
    st, _, body = srv.get("/clusters/")
    check(st == 200, "/clusters/: status %d" % st)
    rows = json.loads(body.decode("utf-8")) if st == 200 else []
    row = next((r for r in rows if r.get("name") == CL and r.get("namespace") == NS
                and r.get("sessionName") == S), None)
    check(row is not None, "/clusters/ lacks %s/%s %s" % (NS, CL, S))
    check(row is None or row.get("sessionName") != "live", "/clusters/: a dead session named live")


# ---- helpers of the Go test ---------------------------------------------------

def node_summary(f):
    doc = f.json("/nodes?view=summary", "GetOneOfNodeID") or {}
    return (doc.get("data") or {}).get("summary") or []


def one_node_id(f, head):
    for n in node_summary(f):
        r = n.get("raylet") or {}
        if not head or r.get("isHeadNode") is True:
            return r.get("nodeId")
    fail("[%s] no %snode in /nodes?view=summary" % (f.name, "head " if head else ""))
    return ""


def tasks(f, query=""):
    doc = f.json("/api/v0/tasks" + query, "tasks") or {}
    return ((doc.get("data") or {}).get("result") or {}).get("result") or []


def actors(f):
    doc = f.json("/logical/actors", "actors") or {}
    return (doc.get("data") or {}).get("actors") or {}


def one_job_id(f):
    """GetOneOfJobID: the first non-empty job_id of /api/jobs/."""
    st, _, body = f.get("/api/jobs/")
    chk(f, st == 200, "/api/jobs/: status %d" % st)
    jobs = json.loads(body.decode("utf-8")) if st == 200 else []
    chk(f, len(jobs) > 0, "/api/jobs/: no job")
    return next((j["job_id"] for j in jobs if j.get("job_id")), "")


# ---- testLogFileEndpointDeadCluster -----------------------------------------------

def log_file(f):
    L = "/api/v0/logs/file"
    nid = one_node_id(f, False)
    n = {"n": nid, "fn": "raylet.out"}
    table = [
        ("lines=100", "?node_id={n}&filename={fn}&lines=100", 200),
        ("lines default", "?node_id={n}&filename={fn}", 200),
        ("lines=-1", "?node_id={n}&filename={fn}&lines=-1", 200),
        ("timeout=5", "?node_id={n}&filename={fn}&timeout=5", 200),
        ("timeout=30", "?node_id={n}&filename={fn}&timeout=30", 200),
        ("attempt_number=0", "?node_id={n}&filename={fn}&attempt_number=0", 200),
        # RAY-DIFFERS: KubeRay reads FILENAME.1 (404); Ray's log manager uses
        # attempt_number only to find a task's log, a named file is that file
        ("attempt_number=1 with filename", "?node_id={n}&filename={fn}&attempt_number=1", 200),
        ("download_filename", "?node_id={n}&filename={fn}&download_filename=custom.log", 200),
        ("filter_ansi_code=true", "?node_id={n}&filename={fn}&filter_ansi_code=true", 200),
        ("filter_ansi_code=false", "?node_id={n}&filename={fn}&filter_ansi_code=false", 200),
        ("suffix=out", "?node_id={n}&filename={fn}&suffix=out", 200),
        ("suffix=err", "?node_id={n}&filename={fn}&suffix=err", 200),
        ("lines+timeout+filter", "?node_id={n}&filename={fn}&lines=50&timeout=10&filter_ansi_code=true", 200),
        ("all parameters", "?node_id={n}&filename={fn}&lines=100&timeout=15&attempt_number=0"
         "&download_filename=custom.log&filter_ansi_code=true", 200),
        ("missing node_id and node_ip", "?filename={fn}", 400),
        ("missing filename", "?node_id={n}", 400),
        ("missing both", "", 400),
        ("lines=abc", "?node_id={n}&filename={fn}&lines=abc", 400),
        ("timeout=invalid", "?node_id={n}&filename={fn}&timeout=invalid", 400),
        ("attempt_number=xyz", "?node_id={n}&filename={fn}&attempt_number=xyz", 400),
        ("file not found", "?node_id={n}&filename=nonexistent.log", 404),
        ("suffix=invalid", "?node_id={n}&filename={fn}&suffix=invalid", 400),
        ("task_id not an id", "?task_id=nonexistent-task-id", 400),
        ("pid not found", "?pid=999999&node_id={n}", 404),
        ("node_ip not found", "?node_ip=192.168.255.255&filename={fn}", 404),
        ("traversal ../etc/passwd", "?node_id={n}&filename=../etc/passwd", 400),
        ("traversal ..", "?node_id={n}&filename=..", 400),
        ("traversal /etc/passwd", "?node_id={n}&filename=/etc/passwd", 400),
        ("traversal ../../secret", "?node_id={n}&filename=../../secret", 400),
        ("traversal in node_id", "?node_id=../evil&filename={fn}", 400),
    ]
    for name, query, want in table:
        st, _, body = f.get(L + query.format(**n))
        chk(f, st == want, "logs/file %s: status %d, expected %d: %.200r" % (name, st, want, body))
        if want == 200:
            chk(f, len(body) > 0, "logs/file %s: empty body" % name)
    _, _, plain = f.get(L + "?node_id=%s&filename=raylet.out" % nid)
    _, _, a1 = f.get(L + "?node_id=%s&filename=raylet.out&attempt_number=1" % nid)
    chk(f, a1 == plain, "attempt_number=1 with filename: not the named file (Ray ignores it there)")

    # download_filename header validation
    st, h, _ = f.get(L + "?node_id=%s&filename=raylet.out&download_filename=custom_download.log" % nid)
    cd = h.get("content-disposition", "")
    chk(f, st == 200 and "attachment" in cd and "filename=custom_download.log" in cd,
        "download_filename: Content-Disposition %r" % cd)

    # filter_ansi_code behaviour, on a file that has ANSI codes: the
    # submitted driver's log (worker lines forwarded with a coloured prefix)
    head = one_node_id(f, True)
    sub = next((j for j in T["jobs"] if j.get("submission_id") and j.get("type") == "SUBMISSION"), None)
    if chk(f, sub is not None, "the generated session has no submitted job"):
        fn = "job-driver-%s.log" % sub["submission_id"]
        _, _, raw = f.get(L + "?node_id=%s&filename=%s&filter_ansi_code=false&lines=100" % (head, fn))
        _, _, clean = f.get(L + "?node_id=%s&filename=%s&filter_ansi_code=true&lines=100" % (head, fn))
        chk(f, ANSI.search(raw) is not None, "filter_ansi_code=false: %s has no ANSI code" % fn)
        chk(f, ANSI.search(clean) is None, "filter_ansi_code=true: ANSI codes left in %s" % fn)
        chk(f, ANSI.sub(b"", raw) == clean, "filter_ansi_code=true: more than the codes removed")

    # task_id parameter: some non-actor task that ran on a node answers 200
    ids = [t["task_id"] for t in tasks(f) if not t.get("actor_id") and t.get("node_id")]
    chk(f, len(ids) > 0, "no eligible task (non-actor, with node_id)")
    ok = [tid for tid in ids if f.get(L + "?task_id=" + q(tid))[0] == 200]
    chk(f, len(ok) > 0, "task_id: no eligible task's log answers 200")

    # actor_id parameter: some actor answers 200
    acts = list(actors(f))
    chk(f, len(acts) > 0, "no actor")
    ok = [a for a in acts if f.get(L + "?actor_id=" + q(a))[0] == 200]
    chk(f, len(ok) > 0, "actor_id: no actor's log answers 200")

    # pid parameter (getEligibleWorkerPID; KubeRay skips it: its export
    # events carry no worker_pid, ours do)
    t = next((t for t in tasks(f) if t.get("worker_pid") and t.get("node_id")), None)
    if chk(f, t is not None, "no task with worker_pid and node_id"):
        st, _, body = f.get(L + "?pid=%d&node_id=%s" % (t["worker_pid"], t["node_id"]))
        chk(f, st == 200 and body, "pid=%d node_id=%s: status %d" % (t["worker_pid"], t["node_id"], st))

    # node_ip parameter: the same file as by node_id
    hn = next(n for n in T["nodes"] if n["is_head_node"])
    st, _, by_ip = f.get(L + "?node_ip=%s&filename=raylet.out" % hn["node_ip"])
    st2, _, by_id = f.get(L + "?node_id=%s&filename=raylet.out" % hn["node_id"])
    chk(f, st == 200 and st2 == 200 and by_ip and len(by_ip) == len(by_id),
        "node_ip and node_id: %d/%d, %d/%d bytes" % (st, st2, len(by_ip), len(by_id)))


# ---- testLogStreamEndpoint (dead part) ----------------------------------------------

def log_stream(f):
    """RAY-DIFFERS: KubeRay answers 501 "Log streaming only available for live
    clusters"; Ray's stream endpoint answers 200 with the file's last lines
    and then follows it. A stored session's file no longer grows, so
    rayhist answers as Ray does up to the point where there is nothing more
    to follow."""
    nid = one_node_id(f, False)
    st, _, body = f.get("/api/v0/logs/stream?node_id=%s&filename=raylet.out&lines=-1" % nid)
    _, _, whole = f.get("/api/v0/logs/file?node_id=%s&filename=raylet.out&lines=-1" % nid)
    chk(f, st == 200 and body == whole and body, "logs/stream: status %d, %d bytes (file %d)"
        % (st, len(body), len(whole)))


# ---- testNodeLogsEndpointDeadCluster --------------------------------------------------

def logs_list(f, path):
    doc = f.json(path, "logs list") or {}
    return (doc.get("data") or {}).get("result")


def captured(node_ip, sub, pattern):
    """Files in the node's generated logs/SUB matching a glob, named as
    Ray's log agent lists them: relative to the logs folder ("events/x")."""
    d = os.path.join(node_dir(node_ip), "logs")
    return sorted(os.path.relpath(p, d) for p in glob.glob(os.path.join(d, sub, pattern))
                  if os.path.isfile(p) and not os.path.islink(p))


def node_logs(f):
    nid = one_node_id(f, False)
    ip = next(n["node_ip"] for n in T["nodes"] if n["node_id"] == nid)
    L = "/api/v0/logs?node_id=%s" % nid

    def files(res):
        return sorted(x for v in (res or {}).values() for x in v)

    # RAY-DIFFERS (the three events/ globs): KubeRay lists a file in a
    # folder by its base name ("event_RAYLET.log"); Ray's log agent lists it
    # relative to the logs folder ("events/event_RAYLET.log", ListLogs:
    # p.relative_to(log_dir)), the name logs/file then takes
    res = logs_list(f, L + "&glob=" + q("events/*RAYLET*"))
    chk(f, list((res or {}).keys()) == ["internal"] and files(res) == captured(ip, "events", "*RAYLET*"),
        "glob=events/*RAYLET*: %r" % res)
    res = logs_list(f, L + "&glob=" + q("*dashboard*"))
    chk(f, files(res) and all("dashboard" in x for x in files(res)), "glob=*dashboard*: %r" % res)
    chk(f, files(res) == captured(ip, "", "*dashboard*"), "glob=*dashboard*: %r" % files(res))
    res = logs_list(f, L + "&glob=" + q("events/*"))
    chk(f, files(res) == captured(ip, "events", "*") and files(res), "glob=events/*: %r" % res)
    res = logs_list(f, L)
    chk(f, len(files(res)) > 0, "no glob: no files")
    res = logs_list(f, L + "&glob=" + q("raylet*"))
    chk(f, list((res or {}).keys()) == ["raylet"] and files(res) == captured(ip, "", "raylet*")
        and {"raylet.out", "raylet.err"} <= set(files(res)), "glob=raylet*: %r" % res)
    res = logs_list(f, L + "&glob=" + q("nonexistent-*.xyz"))
    chk(f, res is not None and files(res) == [], "glob matching nothing: %r" % res)
    head = one_node_id(f, True)
    res = logs_list(f, "/api/v0/logs?node_id=%s&glob=%s" % (head, q("events/event_JOBS*")))
    chk(f, res == {"internal": ["events/event_JOBS.log"]}, "glob=events/event_JOBS* on the head: %r" % res)
    res = logs_list(f, L + "&glob=" + q("**/*.out"))
    chk(f, files(res) and all(x.endswith(".out") for x in files(res)), "glob=**/*.out: %r" % res)


# ---- testTimelineEndpointDeadCluster --------------------------------------------------

def timeline(f):
    jid = one_job_id(f)
    for job, download in (("", False), (jid, False), ("", True), (jid, True)):
        params = {}
        if job:
            params["job_id"] = job
        if download:
            params["download"] = "1"
        path = "/api/v0/tasks/timeline" + ("?" + urllib.parse.urlencode(params) if params else "")
        st, h, body = f.get(path)
        if not chk(f, st == 200, "%s: status %d" % (path, st)):
            continue
        if download:
            cd = h.get("content-disposition", "")
            chk(f, "attachment" in cd and "filename=" in cd and (not job or job in cd),
                "%s: Content-Disposition %r" % (path, cd))
        events = json.loads(body.decode("utf-8"))
        chk(f, isinstance(events, list) and len(events) > 0, "%s: no events" % path)
        kinds = set()
        for e in events:
            if e.get("ph") == "M" and e.get("name") in ("process_name", "thread_name"):
                kinds.add(e["name"])
                if e["name"] == "process_name":
                    chk(f, isinstance(e.get("args"), dict) and e["args"].get("name") is not None,
                        "%s: process_name without args.name" % path)
            if e.get("ph") == "X":
                kinds.add("X")
                args = e.get("args")
                chk(f, all(e.get(k) is not None for k in ("cat", "ts", "dur", "args"))
                    and isinstance(args, dict) and args.get("task_id") is not None
                    and args.get("job_id") is not None, "%s: trace event %r" % (path, e))
                if job:
                    chk(f, isinstance(args, dict) and args.get("job_id") == job,
                        "%s: event of job %r" % (path, (args or {}).get("job_id")))
        chk(f, kinds == {"process_name", "thread_name", "X"}, "%s: has %s" % (path, sorted(kinds)))


# ---- testLogicalActorsEndpointDeadCluster ---------------------------------------------

def logical_actors(f):
    doc = f.json("/logical/actors", "actors") or {}
    chk(f, doc.get("result") is True and doc.get("msg") == "All actors fetched.",
        "/logical/actors: result/msg %r/%r" % (doc.get("result"), doc.get("msg")))
    acts = (doc.get("data") or {}).get("actors") or {}
    chk(f, len(acts) > 0, "/logical/actors: none")
    for aid, a in list(acts.items())[:1]:
        has_keys(f, a, ["actorId", "jobId", "state", "address"], "actor")
        has_keys(f, a.get("address"), ["nodeId", "ipAddress"], "actor address")
    if acts:
        aid = next(iter(acts))
        doc = f.json("/logical/actors/" + aid, "actor") or {}
        # RAY-DIFFERS: KubeRay says "Actor fetched."; Ray's node_head says
        # "Actor details fetched." (rest_response of get_actor)
        chk(f, doc.get("result") is True and doc.get("msg") == "Actor details fetched.",
            "/logical/actors/ID: result/msg %r/%r" % (doc.get("result"), doc.get("msg")))
        d = (doc.get("data") or {}).get("detail") or {}
        chk(f, d.get("actorId") == aid, "/logical/actors/ID: actorId %r" % d.get("actorId"))
        has_keys(f, d, ["jobId", "state", "address"], "actor detail")
        has_keys(f, d.get("address"), ["nodeId", "ipAddress"], "actor detail address")
    # RAY-DIFFERS: KubeRay answers an unknown actor 200 {"result": false,
    # "msg": "Actor not found."}; Ray's get_actor answers 404 (the client
    # handles it, reference/ray-formats.md §2.2)
    st, _, body = f.get("/logical/actors/" + "f" * 32)
    chk(f, st == 404, "/logical/actors/UNKNOWN: status %d: %.200r" % (st, body))


# ---- testDeadClusterTasks ---------------------------------------------------------------

TASK_KEYS = ["task_id", "attempt_number", "name", "state", "job_id", "actor_id", "type",
             "func_or_class_name", "parent_task_id", "node_id", "worker_id", "worker_pid",
             "error_type"]
DETAIL_KEYS = ["language", "required_resources", "runtime_env_info", "placement_group_id",
               "events", "creation_time_ms", "start_time_ms", "end_time_ms", "task_log_info",
               "error_message", "is_debugger_paused", "call_site", "label_selector"]


def tasks_schema(f, doc, detail, what):
    chk(f, doc.get("result") is True and doc.get("msg") == "", "%s: result/msg" % what)
    res = (doc.get("data") or {}).get("result")
    has_keys(f, res, ["total", "result", "num_after_truncation", "num_filtered",
                      "partial_failure_warning", "warnings"], what)
    for t in (res or {}).get("result") or []:
        if not has_keys(f, t, TASK_KEYS + (DETAIL_KEYS if detail else []), what + " row"):
            break


def task_log_info(f):
    """verifyDeadClusterTaskLogInfo: a finished normal task whose stdout range
    lies inside a worker file shared with other tasks; the file read by name
    holds everything, the read by task_id only that range."""
    rows = tasks(f, "?detail=1&limit=10000")
    pick = None
    for t in rows:
        li = t.get("task_log_info") or {}
        if (t.get("type") == "NORMAL_TASK" and t.get("state") == "FINISHED" and t.get("worker_id")
                and li.get("stdout_file") and isinstance(li.get("stdout_start"), int)
                and isinstance(li.get("stdout_end"), int) and 0 < li["stdout_start"] < li["stdout_end"]):
            pick = t
            break
    if not chk(f, pick is not None, "no finished NORMAL_TASK with a stdout byte range after another's"):
        return
    li = pick["task_log_info"]
    # the file's name in the logs folder: log_monitor moved a dead worker's
    # files to old/ (reference/ray-formats.md §1.4), where Ray lists them
    ip = next(n["node_ip"] for n in T["nodes"] if n["node_id"] == pick["node_id"])
    name = os.path.basename(li["stdout_file"])
    if not os.path.exists(os.path.join(node_dir(ip), "logs", name)):
        name = "old/" + name
    st, _, whole = f.get("/api/v0/logs/file?node_id=%s&filename=%s&lines=-1"
                         % (q(pick["node_id"]), q(name)))
    chk(f, st == 200, "worker file by name: status %d" % st)
    st, _, part = f.get("/api/v0/logs/file?task_id=%s&suffix=out&lines=-1&attempt_number=%d"
                        % (q(pick["task_id"]), pick["attempt_number"]))
    chk(f, st == 200 and part, "log by task_id: status %d" % st)
    chk(f, part == whole[li["stdout_start"]:li["stdout_end"]],
        "log by task_id is not the task's range [%d, %d) of the worker file"
        % (li["stdout_start"], li["stdout_end"]))
    chk(f, whole[:li["stdout_start"]] and whole[:li["stdout_start"]] not in part,
        "the worker file holds no earlier output than the task's (nothing to tell apart)")


def tasks_table(f):
    task_log_info(f)
    jid = next((t["job_id"] for t in tasks(f) if t.get("job_id")), "")
    chk(f, jid != "", "getAllEligibleJobIDs: no task has a job_id")
    eq, ne = "filter_predicates=%3D", "filter_predicates=!%3D"
    cases = [
        ("", 200, False), ("limit=1", 200, False), ("limit=100", 200, False),
        ("limit=10000", 200, False), ("limit=0", 200, False), ("limit=abc", 400, False),
        ("exclude_driver=true", 200, False), ("exclude_driver=false", 200, False),
        ("exclude_driver=invalid", 400, False),
        ("filter_keys=state&%s&filter_values=FINISHED" % eq, 200, False),
        ("filter_keys=state&%s&filter_values=PENDING_ARGS_AVAIL" % ne, 200, False),
        ("filter_keys=job_id&%s&filter_values=%s" % (eq, jid), 200, False),
        # RAY-DIFFERS: KubeRay filters on "task_type"; Ray's TaskState column
        # is "type" and Ray refuses a column it does not have (do_filter)
        ("filter_keys=state&filter_keys=task_type&%s&%s&filter_values=FINISHED"
         "&filter_values=ACTOR_TASK" % (eq, eq), 400, False),
        ("filter_keys=state&filter_keys=type&%s&%s&filter_values=FINISHED"
         "&filter_values=ACTOR_TASK" % (eq, eq), 200, False),
        ("filter_keys=state&filter_keys=job_id&%s&filter_values=FINISHED" % eq, 400, False),
        ("filter_keys=state", 400, False),
        ("limit=5&detail=true", 200, False), ("limit=5&exclude_driver=true", 200, False),
        ("limit=5&detail=true&exclude_driver=false", 200, False),
        ("limit=10&filter_keys=state&%s&filter_values=FINISHED" % eq, 200, False),
        ("limit=10&detail=true&exclude_driver=false&filter_keys=state&%s&filter_values=FINISHED"
         % eq, 200, False),
        ("detail=true", 200, True), ("detail=false", 200, False), ("detail=1", 200, True),
        ("detail=invalid", 400, False),
    ]
    for query, want, detail in cases:
        st, _, body = f.get("/api/v0/tasks?" + query)
        if chk(f, st == want, "tasks?%s: status %d, expected %d: %.200r" % (query, st, want, body)) \
                and st == 200:
            tasks_schema(f, json.loads(body.decode("utf-8")), detail, "tasks?" + query)


# ---- testDeadClusterNodes / testDeadClusterNode ------------------------------------------

RAYLET_KEYS = ["storeStats", "nodeId", "nodeManagerAddress", "nodeManagerHostname",
               "rayletSocketName", "objectStoreSocketName", "metricsExportPort", "resourcesTotal",
               "nodeName", "instanceId", "nodeTypeName", "instanceTypeName", "startTimeMs",
               "isHeadNode", "labels", "state", "endTimeMs", "stateMessage"]


def node_schema(f, n, what):
    has_keys(f, n, ["now", "hostname", "ip", "raylet"], what)
    r = n.get("raylet") if isinstance(n, dict) else None
    has_keys(f, r, RAYLET_KEYS, what + " raylet")
    return r or {}


def raylet_files(f, r):
    """The raylet fields no event carries equal what the node's own files
    say (ports_by_node.json, the sockets, debug_state.txt)."""
    tn = next((n for n in T["nodes"] if n["node_id"] == r.get("nodeId")), None)
    if not chk(f, tn is not None, "node %r not in the truth" % r.get("nodeId")):
        return
    d = node_dir(tn["node_ip"])
    ports = json.load(open(os.path.join(d, "ports_by_node.json")))
    key, p = next(iter(ports.items()))
    chk(f, r.get("objectStoreSocketName") == key.split(":", 1)[1],
        "objectStoreSocketName %r" % r.get("objectStoreSocketName"))
    want_raylet = os.path.dirname(key.split(":", 1)[1]) + "/raylet"
    chk(f, os.path.exists(os.path.join(d, "sockets", "raylet")) and r.get("rayletSocketName") == want_raylet,
        "rayletSocketName %r" % r.get("rayletSocketName"))
    chk(f, r.get("metricsExportPort") == p["metrics_export_port"], "metricsExportPort %r"
        % r.get("metricsExportPort"))
    chk(f, r.get("nodeTypeName") == tn["labels"].get("ray.io/node-group"), "nodeTypeName %r"
        % r.get("nodeTypeName"))
    ds = open(os.path.join(d, "logs", "debug_state.txt")).read()
    m = re.search(r"ObjectManager:\n- num local objects: (\d+)\n", ds)
    ss = r.get("storeStats") or {}
    chk(f, m is not None and ss.get("numLocalObjects") == int(m.group(1)),
        "storeStats.numLocalObjects %r" % ss.get("numLocalObjects"))
    chk(f, ss.get("objectStoreBytesAvail") == int(tn["resources_total"]["object_store_memory"]),
        "storeStats.objectStoreBytesAvail %r" % ss.get("objectStoreBytesAvail"))


def nodes(f):
    doc = f.json("/nodes?view=summary", "nodes") or {}
    chk(f, doc.get("result") is True and doc.get("msg") == "Node summary fetched.", "nodes: result/msg")
    data = doc.get("data") or {}
    has_keys(f, data, ["summary", "nodeLogicalResources"], "nodes data")
    summary = data.get("summary") or []
    chk(f, len(summary) == len(T["nodes"]), "nodes: %d summaries for %d nodes"
        % (len(summary), len(T["nodes"])))
    for n in summary:
        raylet_files(f, node_schema(f, n, "node summary"))
    lr = data.get("nodeLogicalResources") or {}
    chk(f, len(lr) == len(T["nodes"]) and all(k and v for k, v in lr.items()),
        "nodeLogicalResources: %r" % lr)
    doc = f.json("/nodes?view=hostNameList", "hostNameList") or {}
    chk(f, doc.get("result") is True and doc.get("msg") == "Node hostname list fetched."
        and "hostNameList" in (doc.get("data") or {}), "hostNameList: %r" % doc)
    head = next(n["node_id"] for n in T["nodes"] if n["is_head_node"])
    worker = next(n["node_id"] for n in T["nodes"] if not n["is_head_node"])
    for nid in (head, worker):
        doc = f.json("/nodes/" + nid, "node detail") or {}
        chk(f, doc.get("result") is True and doc.get("msg") == "Node details fetched.",
            "nodes/%s: result/msg" % nid)
        r = node_schema(f, (doc.get("data") or {}).get("detail"), "node detail")
        chk(f, r.get("nodeId") == nid, "nodes/%s: nodeId %r" % (nid, r.get("nodeId")))
        raylet_files(f, r)


# ---- metadata, placement groups, summaries, events, timezone, status ---------------

def cluster_metadata(f):
    doc = f.json("/api/v0/cluster_metadata", "cluster_metadata") or {}
    has_keys(f, doc.get("data"), ["rayVersion", "pythonVersion"], "cluster_metadata data")


def placement_groups(f):
    doc = f.json("/api/v0/placement_groups?detail=1&limit=10000", "placement groups") or {}
    res = ((doc.get("data") or {}).get("result") or {})
    chk(f, doc.get("result") is True and isinstance(res.get("result"), list) and res["result"],
        "placement groups: %r" % doc)


def summary_envelope(f, doc, what):
    chk(f, doc.get("result") is True, what + ": result")
    res = (doc.get("data") or {}).get("result")
    has_keys(f, res, ["total", "num_after_truncation", "num_filtered", "result",
                      "partial_failure_warning"], what)
    n2s = ((res or {}).get("result") or {}).get("node_id_to_summary") or {}
    chk(f, len(n2s) > 0, what + ": node_id_to_summary empty")
    for s in n2s.values():
        has_keys(f, s, ["summary", "total_tasks", "total_actor_tasks", "total_actor_scheduled",
                        "summary_by"], what + " summaries")
    return list(n2s.values())


def lineage(f):
    doc = f.json("/api/v0/tasks/summarize?summary_by=lineage", "lineage") or {}
    for s in summary_envelope(f, doc, "lineage"):
        chk(f, s.get("summary_by") == "lineage", "lineage: summary_by")
        chk(f, isinstance(s.get("summary"), list) and s["summary"], "lineage: summary empty")
        st = {"types": set(), "nested": False, "group2": False, "actor_creation": False,
              "group_null": True, "link": True}

        def walk(node):
            if not has_keys(f, node, ["name", "key", "type", "timestamp", "state_counts",
                                      "children"], "lineage node"):
                return
            ty, kids = node["type"], node["children"]
            chk(f, ty in ("NORMAL_TASK", "ACTOR_CREATION_TASK", "ACTOR_TASK", "ACTOR", "GROUP"),
                "lineage type %r" % ty)
            chk(f, isinstance(node["state_counts"], dict) and node["state_counts"],
                "lineage state_counts %r" % node["state_counts"])
            link = node.get("link")
            if link is not None:
                chk(f, isinstance(link, dict) and link.get("type") in ("task", "actor") and "id" in link,
                    "lineage link %r" % link)
            st["types"].add(ty)
            st["nested"] |= ty == "NORMAL_TASK" and bool(kids)
            st["group2"] |= ty == "GROUP" and len(kids) > 1
            st["actor_creation"] |= ty == "ACTOR" and any(
                k.get("type") == "ACTOR_CREATION_TASK" for k in kids)
            if ty == "GROUP":
                st["group_null"] &= link is None
            else:
                st["link"] &= link is not None
            for k in kids:
                walk(k)
        for node in s.get("summary") or []:
            walk(node)
        chk(f, st["types"] == {"NORMAL_TASK", "ACTOR_CREATION_TASK", "ACTOR_TASK", "ACTOR", "GROUP"},
            "lineage node types %s" % sorted(st["types"]))
        chk(f, st["nested"], "lineage: no NORMAL_TASK with children")
        chk(f, st["group2"], "lineage: no GROUP with several children")
        chk(f, st["actor_creation"], "lineage: no ACTOR holding its ACTOR_CREATION_TASK")
        chk(f, st["group_null"], "lineage: a GROUP with a link")
        chk(f, st["link"], "lineage: a task or actor without a link")


def func_name(f):
    doc = f.json("/api/v0/tasks/summarize", "func_name summary") or {}
    for s in summary_envelope(f, doc, "func_name"):
        chk(f, s.get("summary_by") == "func_name", "func_name: summary_by")
        summ = s.get("summary")
        chk(f, isinstance(summ, dict) and summ, "func_name: summary %r" % type(summ))
        for name, e in (summ or {}).items():
            has_keys(f, e, ["func_or_class_name", "type", "state_counts"], "func_name entry")
            chk(f, e.get("func_or_class_name") == name, "func_name key %r vs %r"
                % (name, e.get("func_or_class_name")))
            chk(f, e.get("type") in ("NORMAL_TASK", "ACTOR_CREATION_TASK", "ACTOR_TASK"),
                "func_name type %r" % e.get("type"))
            chk(f, isinstance(e.get("state_counts"), dict) and e["state_counts"],
                "func_name state_counts %r" % e.get("state_counts"))


def events(f):
    doc = f.json("/events", "events") or {}
    chk(f, doc.get("result") is True and doc.get("msg") == "All events fetched.", "events: result/msg")
    evs = (doc.get("data") or {}).get("events")
    chk(f, isinstance(evs, dict) and evs, "events: data.events %r" % type(evs))
    for job, lst in (evs or {}).items():
        chk(f, isinstance(lst, list), "events of %s: not a list" % job)
        for e in lst or []:
            if not has_keys(f, e, ["eventId", "sourceType", "severity", "timestamp", "message"],
                            "event"):
                break
    for jid in ("nonexistent", ""):
        doc = f.json("/events?job_id=" + jid, "job events") or {}
        data = doc.get("data") or {}
        chk(f, doc.get("result") is True and doc.get("msg") == "Job events fetched."
            and data.get("jobId") == jid and data.get("events") == [],
            "events?job_id=%s: %r" % (jid, doc))


def timezone(f):
    doc = f.json("/timezone", "timezone") or {}
    chk(f, doc.get("offset") and doc.get("value"), "timezone: %r" % doc)


def cluster_status(f):
    doc = f.json("/api/cluster_status", "cluster_status") or {}
    chk(f, doc.get("result") is True and doc.get("msg") == "Got cluster status." and "data" in doc,
        "cluster_status: %r" % doc)
    doc = f.json("/api/cluster_status?format=1", "cluster_status format=1") or {}
    cs = (doc.get("data") or {}).get("clusterStatus")
    chk(f, doc.get("result") is True and doc.get("msg") == "Got formatted cluster status."
        and isinstance(cs, str) and "Autoscaler status" in cs, "cluster_status format=1: %r" % doc)


with Server(store) as srv:
    cluster_list(srv)
    flows = [enter(srv), Flow(srv, "prefix")]
    for f in flows:
        for part in (log_file, log_stream, node_logs, timeline, logical_actors, tasks_table,
                     nodes, cluster_metadata, placement_groups, lineage, func_name, events,
                     timezone, cluster_status):
            part(f)
finish("kuberay_contract")
