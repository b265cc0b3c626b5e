"""rayhist-serve over a generated, captured session: every endpoint of the
Ray dashboard client's table answers with the right status, envelope and
field names (reference/ray-formats.md §2.2, §2.4, §3), and the tasks, actors,
jobs, nodes and placement groups match the generator's truth.json; the state
API's filters, limit and detail behave as Ray's.

usage: serve_api.py STORE GENDIR
"""

import json
import os
import sys
import urllib.parse

from rhserve import Server, check, dig, fail, finish, session_base

store, gendir = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
S = truth["session"]["name"]
BASE = session_base(truth)
EQ = "%3D"


def keys_present(obj, keys, what):
    if not isinstance(obj, dict):
        fail("%s: not an object: %.200r" % (what, obj))
        return
    missing = [k for k in keys if k not in obj]
    check(not missing, "%s: missing fields %s" % (what, missing))


def envelope(doc, what, msg=None):
    if not isinstance(doc, dict):
        fail("%s: not an object" % what)
        return {}
    keys_present(doc, ["result", "msg", "data"], what)
    check(doc.get("result") is True, "%s: result is %r" % (what, doc.get("result")))
    if msg is not None:
        check(doc.get("msg") == msg, "%s: msg %r, expected %r" % (what, doc.get("msg"), msg))
    return doc.get("data") or {}


def state_list(srv, path, what):
    doc = srv.get_json(BASE + path)
    data = envelope(doc, what)
    res = data.get("result") if isinstance(data, dict) else None
    keys_present(res, ["total", "num_after_truncation", "num_filtered", "result",
                       "partial_failure_warning", "warnings"], what + " list envelope")
    return res or {"result": [], "total": -1, "num_filtered": -1}


def q(**params):
    return urllib.parse.urlencode(params, doseq=True, safe="")


with Server(store) as srv:
    # ---- the picker ------------------------------------------------------
    st, h, body = srv.get("/")
    check(st == 200 and h.get("content-type", "").startswith("text/html"), "/ is not an HTML page")
    page = body.decode("utf-8", "replace")
    check(S in page and "rc1" in page, "picker does not list the session")
    check("/enter_cluster/default/rc1/" + S in page, "picker has no way to enter the session")
    clusters = srv.get_json("/clusters")
    row = next((c for c in clusters or [] if c.get("sessionName") == S), None)
    if check(row is not None, "/clusters lacks the session"):
        keys_present(row, ["name", "namespace", "sessionName", "createTime", "createTimeStamp",
                           "nodes", "jobs", "tasks", "rayVersion", "url"], "/clusters row")
        check(row["nodes"] == len(T["nodes"]), "/clusters nodes %r" % row["nodes"])
        check(row["url"] == BASE, "/clusters url %r" % row["url"])

    # ---- entering: cookies and redirect ------------------------------------
    st, h, _ = srv.get("/enter_cluster/default/rc1/" + S, headers={"Accept": "text/html"})
    check(st == 302 and h.get("location") == BASE, "enter_cluster: %d %r" % (st, h.get("location")))
    cookies = h.get("set-cookie", "")
    for c in ("cluster_namespace=default", "cluster_name=rc1", "session_name=" + S):
        check(c in cookies, "enter_cluster sets no cookie %s" % c)

    # ---- first visit prepares the session, then it is ready -----------------
    srv.wait_ready(BASE)
    after = srv.get_json("/clusters")
    row = next((c for c in after or [] if c.get("sessionName") == S), {})
    check(row.get("tasks") == len(T["tasks"]), "/clusters tasks %r after indexing" % row.get("tasks"))
    check(row.get("jobs") == len(T["jobs"]), "/clusters jobs %r after indexing" % row.get("jobs"))
    check(row.get("rayVersion") == truth["session"]["ray_version"], "/clusters rayVersion %r"
          % row.get("rayVersion"))

    # ---- every page: nodes, timezone, grafana, prometheus ------------------
    data = envelope(srv.get_json(BASE + "nodes?view=summary"), "nodes", "Node summary fetched.")
    summary = data.get("summary") or []
    check(len(summary) == len(T["nodes"]), "nodes: %d, expected %d" % (len(summary), len(T["nodes"])))
    by_id = {}
    for n in summary:
        keys_present(n, ["hostname", "ip", "cpu", "raylet", "loadAvg", "networkSpeed",
                         "bootTime", "now", "cmdline", "gpus"], "NodeDetail")
        # no physical statistics: left out as Ray leaves them out (the client
        # guards them; zeros drew 0B/0B bars and NaN% for workers)
        check(not {"mem", "cpus", "disk"} & set(n), "NodeDetail has made-up mem/cpus/disk")
        keys_present(n.get("raylet"), ["nodeId", "state", "isHeadNode", "stateMessage", "startTime",
                                       "objectStoreAvailableMemory", "objectStoreUsedMemory",
                                       "labels", "numWorkers", "pid"], "Raylet")
        by_id[dig(n, "raylet.nodeId")] = n
    for tn in T["nodes"]:
        n = by_id.get(tn["node_id"])
        if not check(n is not None, "node %s missing" % tn["node_id"]):
            continue
        check(n["ip"] == tn["node_ip"], "node %s ip %r" % (tn["node_id"], n["ip"]))
        check(n["raylet"]["state"] == tn["state"], "node %s state %r, truth %r"
              % (tn["node_id"], n["raylet"]["state"], tn["state"]))
        check(n["raylet"]["isHeadNode"] == tn["is_head_node"], "node %s isHeadNode" % tn["node_id"])
        check(tn["node_id"] in data.get("nodeLogicalResources", {}), "nodeLogicalResources lacks %s" % tn["node_id"])
        check("CPU" in data["nodeLogicalResources"].get(tn["node_id"], ""), "no CPU in logical resources")
    head = next(tn["node_id"] for tn in T["nodes"] if tn["is_head_node"])
    det = envelope(srv.get_json(BASE + "nodes/" + head), "node detail", "Node details fetched.")
    keys_present(det.get("detail"), ["raylet", "workers", "actors", "ip", "hostname"], "NodeDetailExtend")
    check(dig(det, "detail.raylet.nodeId") == head, "node detail id")
    for nid, n in by_id.items():
        one = envelope(srv.get_json(BASE + "nodes/" + nid), "node detail").get("detail") or {}
        nw = len(one.get("workers") or [])
        check(dig(one, "raylet.numWorkers") == nw == n["raylet"]["numWorkers"],
              "node %s numWorkers: detail %r, summary %r, %d workers listed"
              % (nid, dig(one, "raylet.numWorkers"), n["raylet"]["numWorkers"], nw))
        check(not {"mem", "cpus", "disk"} & set(one), "node detail has made-up mem/cpus/disk")
    tz = srv.get_json(BASE + "timezone")
    keys_present(tz, ["offset", "value"], "timezone")
    for p in ("api/grafana_health", "api/prometheus_health"):
        doc = srv.get_json(BASE + p)
        check(isinstance(doc, dict) and doc.get("result") is False, "%s should say not available" % p)

    # ---- overview ------------------------------------------------------------
    data = envelope(srv.get_json(BASE + "api/cluster_status?format=1"), "cluster_status",
                    "Got formatted cluster status.")
    cs = data.get("clusterStatus") or ""
    check("Node status" in cs and "Resources" in cs and "CPU" in cs, "cluster_status text: %.300r" % cs)
    data = envelope(srv.get_json(BASE + "api/cluster_status"), "cluster_status raw")
    keys_present(data, ["autoscalingStatus", "autoscalingError", "clusterStatus"], "cluster_status raw")
    serve = srv.get_json(BASE + "api/serve/applications/")
    check(isinstance(serve, dict) and serve.get("applications") == {}, "serve applications not empty")
    # Ray's get_empty_schema_dict(): the client shows "Serve not started" only
    # when http_options is absent (a null drew an empty Serve system)
    check(isinstance(serve, dict) and not {"http_options", "grpc_options", "proxy_location"} & set(serve)
          and serve.get("controller_info") == {} and serve.get("proxies") == {},
          "serve applications is not the empty schema: %r" % (serve,))
    ev = envelope(srv.get_json(BASE + "events"), "events", "All events fetched.")
    check(isinstance(ev.get("events"), dict), "events: data.events is not an object")
    total_legacy = sum(len(v) for v in ev.get("events", {}).values())
    check(total_legacy > 0, "events: no legacy events")
    for bucket in ev.get("events", {}).values():
        for e in bucket[:3]:
            keys_present(e, ["eventId", "sourceType", "hostName", "severity", "message", "timestamp",
                             "customFields", "label"], "Event")

    # ---- jobs ------------------------------------------------------------------
    jobs = srv.get_json(BASE + "api/jobs/")
    check(isinstance(jobs, list), "api/jobs/ is not a bare array")
    jobs = jobs if isinstance(jobs, list) else []
    check(len(jobs) == len(T["jobs"]), "api/jobs/: %d jobs, truth %d" % (len(jobs), len(T["jobs"])))
    seen_driver = False
    for j in jobs:
        keys_present(j, ["job_id", "submission_id", "type", "status", "entrypoint", "message",
                         "error_type", "start_time", "end_time", "metadata", "runtime_env",
                         "driver_info", "driver_agent_http_address", "driver_node_id"], "JobDetails")
        if j.get("type") == "DRIVER":
            seen_driver = True
        else:
            check(not seen_driver, "api/jobs/: submission jobs must come first")
    tjobs = {j["job_id"]: j for j in T["jobs"]}
    for j in jobs:
        t = tjobs.get(j.get("job_id"))
        if not check(t is not None, "api/jobs/: unknown job %r" % j.get("job_id")):
            continue
        for k in ("type", "submission_id", "entrypoint", "start_time", "end_time"):
            # a job still running ends at 0 (Ray's proto default) or null
            same = j.get(k) == t.get(k) or (k == "end_time" and not j.get(k) and not t.get(k))
            check(same, "job %s %s: %r, truth %r" % (t["job_id"], k, j.get(k), t.get(k)))
        if t["type"] == "SUBMISSION":
            check(j.get("status") == t["status"], "job %s status %r, truth %r"
                  % (t["job_id"], j.get("status"), t["status"]))
    for t in T["jobs"]:
        one = srv.get_json(BASE + "api/jobs/" + t["job_id"])
        check(isinstance(one, dict) and one.get("job_id") == t["job_id"], "api/jobs/%s" % t["job_id"])
        if t.get("submission_id"):
            one = srv.get_json(BASE + "api/jobs/" + t["submission_id"])
            check(isinstance(one, dict) and one.get("job_id") == t["job_id"],
                  "api/jobs/<submission id> %s" % t["submission_id"])
    st, h, body = srv.get(BASE + "api/jobs/ffffff01")
    check(st == 404 and b"does not exist" in body, "unknown job: %d %r" % (st, body[:100]))
    job = T["jobs"][0]["job_id"]
    check(srv.get_json(BASE + "api/data/datasets/" + job) == {"datasets": []}, "datasets not empty")

    # ---- tasks -----------------------------------------------------------------
    res = state_list(srv, "api/v0/tasks?detail=1&limit=10000", "tasks")
    rows = res["result"]
    check(res["total"] == len(T["tasks"]), "tasks total %r, truth %d" % (res["total"], len(T["tasks"])))
    check(len(rows) == len(T["tasks"]), "tasks rows %d, truth %d" % (len(rows), len(T["tasks"])))
    got = {(r.get("task_id"), r.get("attempt_number")): r for r in rows}
    cols = ["task_id", "attempt_number", "name", "state", "job_id", "actor_id", "type",
            "func_or_class_name", "parent_task_id", "node_id", "worker_id", "worker_pid",
            "error_type", "language", "required_resources", "placement_group_id",
            "creation_time_ms", "start_time_ms", "end_time_ms", "error_message"]
    for t in T["tasks"]:
        r = got.get((t["task_id"], t["attempt_number"]))
        if not check(r is not None, "task %s/%d missing" % (t["task_id"], t["attempt_number"])):
            continue
        keys_present(r, cols + ["events", "task_log_info", "profiling_data", "runtime_env_info"], "TaskState")
        for k in cols:
            check(r.get(k) == t.get(k), "task %s %s: %r, truth %r" % (t["task_id"], k, r.get(k), t.get(k)))
        check([e.get("state") for e in r.get("events") or []] == [e["state"] for e in t["events"]],
              "task %s events" % t["task_id"])
    # filters, limit, detail as Ray's
    by_job = {}
    for t in T["tasks"]:
        by_job[t["job_id"]] = by_job.get(t["job_id"], 0) + 1
    for jid, n in by_job.items():
        res = state_list(srv, "api/v0/tasks?detail=1&limit=10000&" +
                         q(filter_keys="job_id", filter_predicates="=", filter_values=jid), "tasks of job")
        check(res["num_filtered"] == n and len(res["result"]) == n,
              "job %s: %r tasks, truth %d" % (jid, res["num_filtered"], n))
        check(all(r["job_id"] == jid for r in res["result"]), "job filter returned other jobs")
    res = state_list(srv, "api/v0/tasks?limit=5", "tasks limit")
    check(len(res["result"]) == 5 and res["num_filtered"] == len(T["tasks"]),
          "limit=5: %d rows, num_filtered %r" % (len(res["result"]), res["num_filtered"]))
    check(all("events" not in r and "task_log_info" not in r for r in res["result"]),
          "detail columns without detail=1")
    check(all("task_id" in r and "state" in r for r in res["result"]), "base columns missing")
    nfin = sum(1 for t in T["tasks"] if t["state"] != "FINISHED")
    res = state_list(srv, "api/v0/tasks?limit=10000&" + q(filter_keys="state", filter_predicates="!=",
                                                          filter_values="finished"), "tasks !=")
    check(res["num_filtered"] == nfin, "state!=finished: %r, truth %d" % (res["num_filtered"], nfin))
    one = T["tasks"][-1]
    res = state_list(srv, "api/v0/tasks?detail=1&limit=1&" +
                     q(filter_keys="task_id", filter_predicates="=", filter_values=one["task_id"]), "getTask")
    check(len(res["result"]) == 1 and res["result"][0]["task_id"] == one["task_id"], "task by id")
    # summaries
    for jid, n in by_job.items():
        data = envelope(srv.get_json(BASE + "api/v0/tasks/summarize?" +
                                     q(filter_keys="job_id", filter_predicates="=", filter_values=jid)),
                        "summarize")
        cl = dig(data, "result.result.node_id_to_summary.cluster")
        check(isinstance(cl, dict) and cl.get("summary_by") == "func_name", "summary_by func_name")
        if isinstance(cl, dict):
            tot = sum(sum(v["state_counts"].values()) for v in cl.get("summary", {}).values())
            check(tot == n, "summary of job %s counts %d, truth %d" % (jid, tot, n))
            for v in cl.get("summary", {}).values():
                keys_present(v, ["func_or_class_name", "state_counts", "type"], "TaskSummary")
        data = envelope(srv.get_json(BASE + "api/v0/tasks/summarize?" +
                                     q(filter_keys="job_id", filter_predicates="=", filter_values=jid,
                                       summary_by="lineage")), "lineage")
        cl = dig(data, "result.result.node_id_to_summary.cluster")
        check(isinstance(cl, dict) and isinstance(cl.get("summary"), list)
              and cl.get("summary_by") == "lineage", "lineage summary")
        for node in (cl or {}).get("summary", [])[:5]:
            keys_present(node, ["name", "key", "type", "state_counts", "children"], "NestedTaskSummary")
    # timeline
    jid = max(by_job, key=lambda k: by_job[k])
    st, h, body = srv.get(BASE + "api/v0/tasks/timeline?download=1&job_id=" + jid)
    check(st == 200 and "attachment" in h.get("content-disposition", "")
          and ("timeline-%s-" % jid) in h.get("content-disposition", ""), "timeline download headers")
    try:
        trace = json.loads(body)
    except ValueError:
        trace = None
        fail("timeline is not JSON")
    if check(isinstance(trace, list), "timeline is not an array"):
        xs = [e for e in trace if e.get("ph") == "X"]
        want = sum(len((t.get("profiling_data") or {}).get("events", [])) for t in T["tasks"]
                   if t["job_id"] == jid and (t.get("profiling_data") or {}).get("component_type")
                   in ("worker", "driver"))
        check(len(xs) == want, "timeline: %d events, truth %d" % (len(xs), want))
        for e in xs[:5]:
            keys_present(e, ["cat", "name", "pid", "tid", "ts", "dur", "cname", "args"], "trace event")
            keys_present(e.get("args"), ["task_id", "job_id", "attempt_number"], "trace args")
        check(any(e.get("name") == "process_name" for e in trace), "timeline: no process names")

    # ---- actors ----------------------------------------------------------------
    data = envelope(srv.get_json(BASE + "logical/actors"), "actors", "All actors fetched.")
    actors = data.get("actors") or {}
    check(set(actors) == {a["actor_id"] for a in T["actors"]}, "actor ids differ")
    for a in T["actors"]:
        x = actors.get(a["actor_id"])
        if not x:
            continue
        keys_present(x, ["actorId", "jobId", "state", "pid", "address", "name", "numRestarts",
                         "actorClass", "startTime", "endTime", "requiredResources", "exitDetail",
                         "reprName", "placementGroupId"], "ActorDetail")
        keys_present(x.get("address"), ["nodeId", "rayletId", "ipAddress", "port", "workerId"], "Address")
        check(x["state"] == a["state"], "actor %s state %r, truth %r" % (a["actor_id"], x["state"], a["state"]))
        check(x["actorClass"] == a["class_name"], "actor %s class" % a["actor_id"])
        check(x["jobId"] == a["job_id"], "actor %s job" % a["actor_id"])
        check(isinstance(x["numRestarts"], str), "numRestarts is not a string")
        check("mem" not in x, "actor %s has a made-up mem (drew NaN%%)" % a["actor_id"])
        d = envelope(srv.get_json(BASE + "logical/actors/" + a["actor_id"]), "actor", "Actor details fetched.")
        check(dig(d, "detail.actorId") == a["actor_id"], "actor detail")
    srv.get_json(BASE + "logical/actors/" + "0" * 32, status=404)

    # ---- placement groups and the state API for the CLI and SDK -----------------
    res = state_list(srv, "api/v0/placement_groups?detail=1&limit=10000", "placement_groups")
    check({p.get("placement_group_id") for p in res["result"]} ==
          {p["placement_group_id"] for p in T["placement_groups"]}, "placement group ids")
    for p in res["result"]:
        keys_present(p, ["placement_group_id", "name", "creator_job_id", "state", "bundles"], "PlacementGroup")
    for path, n in (("actors", len(T["actors"])), ("nodes", len(T["nodes"])), ("jobs", len(T["jobs"]))):
        res = state_list(srv, "api/v0/%s?limit=10000" % path, path)
        check(res["total"] == n, "api/v0/%s total %r, truth %d" % (path, res["total"], n))
    # workers are not derivable from the events raygen writes (truth.json's
    # approximate_fields): only the envelope and the row fields are checked
    res = state_list(srv, "api/v0/workers?limit=10000&detail=1", "workers")
    for w in res["result"][:5]:
        keys_present(w, ["worker_id", "is_alive", "worker_type", "node_id", "pid"], "WorkerState")
    res = state_list(srv, "api/v0/actors?detail=1&limit=10000&" +
                     q(filter_keys="state", filter_predicates="=", filter_values="DEAD"), "actors dead")
    check(res["num_filtered"] == sum(1 for a in T["actors"] if a["state"] == "DEAD"), "actors state filter")
    state_list(srv, "api/v0/cluster_events?limit=100", "cluster_events")
    state_list(srv, "api/v0/objects", "objects")

    # ---- logs list ---------------------------------------------------------------
    data = envelope(srv.get_json(BASE + "api/v0/logs?node_id=" + head), "logs")
    cats = data.get("result") or {}
    check("raylet" in cats and "gcs_server" in cats, "log categories: %s" % sorted(cats))
    check("old/" in cats.get("internal", []), "logs list lacks old/")
    nd = next(n for n in truth["node_dirs"] if n["node_id"] == head)
    ondisk = {f["path"].split("/logs/", 1)[1] for f in nd["files"] if "/logs/" in f["path"]}
    for files in cats.values():
        for f in files:
            check(f.endswith("/") or f in ondisk, "logs list names %s, not on the node" % f)

    # ---- other non-state endpoints --------------------------------------------------
    data = envelope(srv.get_json(BASE + "api/v0/cluster_metadata"), "cluster_metadata")
    keys_present(data, ["rayVersion", "pythonVersion", "sessionId", "gitCommit", "os"], "cluster_metadata")
    check(data.get("rayVersion") == truth["session"]["ray_version"], "rayVersion %r, truth %r"
          % (data.get("rayVersion"), truth["session"]["ray_version"]))
    check(data.get("sessionId") == S, "cluster_metadata sessionId")
    data = envelope(srv.get_json(BASE + "usage_stats_enabled"), "usage_stats_enabled")
    keys_present(data, ["usageStatsEnabled", "usageStatsPromptEnabled"], "usage stats")
    check(srv.get_json(BASE + "api/authentication_mode") == {"authentication_mode": "disabled"}, "auth mode")
    keys_present(srv.get_json(BASE + "api/version"), ["version", "ray_version", "ray_commit", "session_name"],
                 "version")

    # ---- live-only and writes ----------------------------------------------------------
    doc = srv.get_json(BASE + "worker/traceback?ip=10.0.0.1&pid=1", status=501)
    check(isinstance(doc, dict) and "cluster is gone" in doc.get("msg", ""), "traceback message")
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        st, h, body = srv.request(BASE + "api/jobs/", method=m, body=b"{}")
        check(st == 405 and b"cluster is gone" in body, "%s api/jobs/: %d" % (m, st))

    # ---- compression, HEAD, cookies at the root -------------------------------------------
    st, h, body = srv.get(BASE + "api/v0/tasks?detail=1&limit=10000", headers={"Accept-Encoding": "gzip"})
    check(st == 200 and h.get("content-encoding") == "gzip", "no gzip for Accept-Encoding: gzip")
    check(json.loads(body)["data"]["result"]["total"] == len(T["tasks"]), "gzip body")
    st, h, body = srv.request(BASE + "api/jobs/", method="HEAD")
    check(st == 200 and body == b"" and int(h.get("content-length", "0")) > 2, "HEAD: %d %r" % (st, h))
    cookie = "cluster_namespace=default; cluster_name=rc1; session_name=" + S
    jobs2 = srv.get_json("/api/jobs/", headers={"Cookie": cookie})
    check(isinstance(jobs2, list) and len(jobs2) == len(T["jobs"]), "root api/jobs/ with cookies")
    srv.get_json("/api/jobs/", status=400)

    # ---- repeated requests: kept answers, sent from the event loop -------------------------
    nid = truth["node_dirs"][0]["node_id"]
    for target in (BASE + "api/v0/tasks?detail=1&limit=5",
                   BASE + "api/v0/logs/file?" + q(node_id=nid, filename="raylet.out", lines=20)):
        st1, h1, b1 = srv.get(target)
        st2, h2, b2 = srv.get(target)
        check(st1 == 200 and "x-rayhist-cache" not in h1, "%s: first answer was a kept one" % target)
        check(st2 == 200 and h2.get("x-rayhist-cache") == "hit", "%s: repeat not kept: %r" % (target, h2))
        check(b2 == b1 and h2.get("content-length") == str(len(b1)), "%s: kept answer differs" % target)
        check(h2.get("content-type") == h1.get("content-type"), "%s: kept content type" % target)
        st, h, body = srv.request(target, method="HEAD")
        check(st == 200 and body == b"" and h.get("x-rayhist-cache") == "hit"
              and h.get("content-length") == str(len(b1)), "%s: HEAD of a kept answer: %r" % (target, h))
        gz = {"Accept-Encoding": "gzip"}
        st, h, body = srv.get(target, headers=gz)
        check(st == 200 and "x-rayhist-cache" not in h, "%s: gzip answer is another one" % target)
        st, h, body = srv.get(target, headers=gz)
        check(st == 200 and h.get("x-rayhist-cache") == "hit" and body == b1,
              "%s: kept gzip answer: %r" % (target, h))

    # ---- bad query values name the parameter ----------------------------------------------
    for path, param in (("api/v0/tasks?limit=abc", "limit"), ("api/v0/tasks?limit=100000", "limit"),
                        ("api/v0/tasks?detail=maybe", "detail"),
                        ("api/v0/tasks?filter_keys=job_id&filter_predicates=%3E&filter_values=1",
                         "filter_predicates"),
                        ("api/v0/tasks?filter_keys=nope&filter_predicates=%3D&filter_values=1", "nope"),
                        ("api/v0/tasks/summarize?summary_by=x", "summary_by"),
                        ("nodes?view=x", "view"), ("api/v0/tasks/timeline?job_id=zz", "job_id")):
        doc = srv.get_json(BASE + path, status=400)
        check(isinstance(doc, dict) and param in doc.get("msg", ""), "%s: message %r lacks %s"
              % (path, (doc or {}).get("msg"), param))

# ---- nodes' raylets and workers against truth.json ----------------------------
# What the captured files tell beside the events (lib/index_session.c): the
# raylet's host name, pid and port from logs/raylet.out ("Raylet of id, ...
# hostname: H", src/ray/raylet/raylet.cc), and the workers from their log
# files' names - python-core-driver-* for drivers, logs/old/ for the dead.
# Workers' times and most exit types stay approximate (truth.json's
# approximate_fields); the set, type, pid, node, ip and is_alive are exact.
with Server(store) as srv:
    srv.wait_ready(BASE)
    data = envelope(srv.get_json(BASE + "nodes?view=summary"), "nodes (raylet)")
    by_id = {dig(n, "raylet.nodeId"): n for n in data.get("summary") or []}
    for nd in truth["node_dirs"]:
        n = by_id.get(nd["node_id"]) or {}
        for what, got in (("summary", n),
                          ("detail", envelope(srv.get_json(BASE + "nodes/" + nd["node_id"]),
                                              "node detail (raylet)").get("detail") or {})):
            check(got.get("hostname") == nd["hostname"], "node %s %s hostname %r, truth %r"
                  % (nd["node_id"], what, got.get("hostname"), nd["hostname"]))
            check(dig(got, "raylet.nodeManagerHostname") == nd["hostname"],
                  "node %s %s raylet.nodeManagerHostname %r" % (nd["node_id"], what,
                                                               dig(got, "raylet.nodeManagerHostname")))
            check(dig(got, "raylet.pid") == nd["raylet_pid"], "node %s %s raylet.pid %r, truth %r"
                  % (nd["node_id"], what, dig(got, "raylet.pid"), nd["raylet_pid"]))
            check((dig(got, "raylet.nodeManagerPort") or 0) > 0, "node %s %s nodeManagerPort %r"
                  % (nd["node_id"], what, dig(got, "raylet.nodeManagerPort")))
    res = state_list(srv, "api/v0/workers?limit=10000&detail=1", "workers (truth)")
    ours = {w.get("worker_id"): w for w in res["result"]}
    tw = {w["worker_id"]: w for w in T["workers"]}
    check(res["total"] == len(tw), "api/v0/workers total %r, truth %d" % (res["total"], len(tw)))
    check(set(ours) == set(tw), "workers: missing %s, extra %s"
          % (sorted(set(tw) - set(ours))[:5], sorted(set(ours) - set(tw))[:5]))
    for wid, w in tw.items():
        o = ours.get(wid)
        if not o:
            continue
        for f in ("worker_type", "pid", "node_id", "ip", "is_alive"):
            check(o.get(f) == w[f], "worker %s %s %r, truth %r" % (wid, f, o.get(f), w[f]))
        # exit types known from the data: drivers by their job's end, and
        # workers still running when their node died
        died_with_node = any(n["node_id"] == w["node_id"] and n["state"] == "DEAD" and
                             n["end_time_ms"] == w["end_time_ms"] for n in T["nodes"])
        if w["worker_type"] == "DRIVER" or died_with_node:
            check(o.get("exit_type") == w["exit_type"], "worker %s exit_type %r, truth %r"
                  % (wid, o.get("exit_type"), w["exit_type"]))
    alive = state_list(srv, "api/v0/workers?limit=10000&" +
                       q(filter_keys="is_alive", filter_predicates="=", filter_values="true"),
                       "workers alive")
    check(alive["num_filtered"] == sum(1 for w in tw.values() if w["is_alive"]),
          "workers is_alive filter: %r" % alive["num_filtered"])
    for nd in truth["node_dirs"]:
        one = envelope(srv.get_json(BASE + "nodes/" + nd["node_id"]), "node workers").get("detail") or {}
        listed = {dig(x, "coreWorkerStats")[0]["workerId"]: x for x in one.get("workers") or []
                  if dig(x, "coreWorkerStats")}
        mine = {k for k, w in tw.items() if w["node_id"] == nd["node_id"]}
        check(set(listed) == mine, "node %s lists workers %d, truth %d"
              % (nd["node_id"], len(listed), len(mine)))
        for k in mine & set(listed):
            check(listed[k].get("isAlive") == tw[k]["is_alive"] and listed[k].get("pid") == tw[k]["pid"],
                  "node %s worker %s isAlive/pid" % (nd["node_id"], k))

# Without a cache every answer is computed.
with Server(store, "--cache-size", "0") as srv:
    srv.wait_ready(BASE)
    for i in range(3):
        st, h, body = srv.get(BASE + "api/v0/tasks?detail=1&limit=5")
        check(st == 200 and "x-rayhist-cache" not in h, "--cache-size 0 kept an answer")

finish("serve_api")
