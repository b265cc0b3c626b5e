"""rayhist-serve refuses path tricks and bad values with 400/404 and a
message, never reaching outside the session or the dashboard folder, and
keeps serving afterwards. Targets are sent byte for byte (http.client).

usage: serve_hostile.py STORE GENDIR DASHBOARD_DIR
"""

import json
import os
import sys

from rhserve import Server, check, finish, session_base

store, gendir, dashdir = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
BASE = session_base(truth)
S = truth["session"]["name"]
head = next(n["node_id"] for n in truth["node_dirs"] if n["is_head"])
LOG = BASE + "api/v0/logs/file?node_id=" + head + "&format=text&filename="

CASES = [
    # (target, allowed statuses, text the body must hold)
    (BASE + "../../../etc/passwd", (400,), b".."),
    (BASE + "%2e%2e/%2e%2e/%2e%2e/etc/passwd", (400,), b".."),
    (BASE + "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", (400,), b"encoded"),
    ("/c/default/rc1/" + S + "%2f..%2f/nodes", (400,), b"encoded"),
    ("/c/%2e%2e/rc1/" + S + "/nodes", (400,), b".."),
    ("/c/default/rc1/" + S + "/nodes%00", (400,), b"NUL"),
    ("/c/default/rc1/" + S + "/static/..%5c..%5cx", (400,), b"encoded"),
    (LOG + "../../session.json", (400,), b"filename"),
    (LOG + "%2e%2e%2f%2e%2e%2fnode.json", (400,), b"filename"),
    (LOG + "/etc/passwd", (400,), b"filename"),
    (LOG + "%2Fetc%2Fpasswd", (400,), b"filename"),
    (LOG + "raylet.out%00.txt", (400,), b"NUL"),
    (LOG + "old/../../x", (400,), b"filename"),
    (BASE + "api/v0/logs/file?node_id=../../x&filename=raylet.out", (400,), b"node_id"),
    (BASE + "api/v0/logs/file?node_id=" + "f" * 56 + "&filename=raylet.out", (404,), b"node"),
    (BASE + "api/v0/logs?node_id=zz", (400,), b"node_id"),
    (BASE + "api/v0/logs?node_id=" + head + "&glob=../*", (400,), b"glob"),
    (BASE + "api/v0/logs?node_id=" + head + "&glob=/etc/*", (400,), b"glob"),
    (BASE + "nodes/..%2f..", (400,), b"encoded"),
    (BASE + "nodes/" + "0" * 56, (404,), b"not found"),
    (BASE + "logical/actors/not-an-id", (400,), b"hex"),
    (BASE + "api/jobs/..%2f", (400,), b"encoded"),
    (BASE + "api/jobs/%3Cscript%3E", (400,), b"job id"),
    ("/c/default/rc1/session_nope/nodes", (404,), b"no session"),
    ("/c/default/nope/" + S + "/nodes", (404,), b"no session"),
    ("/c/default/rc1/.." , (400,), b".."),
    ("/c/default/rc1/" + S + "/static/%2e%2e/%2e%2e/%2e%2e/secret.txt", (400,), b".."),
    ("/c/default/rc1/" + S + "/static/js/leak.js", (404,), b""),
    ("/c/default/rc1/" + S + "/.secret", (404,), b""),
    ("/etc/passwd", (404,), b"no such page"),
    ("/enter_cluster/default/rc1/%2e%2e", (400,), b".."),
    ("/enter_cluster/../x/y", (400,), b".."),
    (BASE + "api/v0/tasks?limit=-5", (400,), b"limit"),
    (BASE + "api/v0/tasks?limit=1e9", (400,), b"limit"),
    (BASE + "api/v0/tasks?timeout=soon", (400,), b"timeout"),
    (BASE + "api/v0/tasks?exclude_driver=perhaps", (400,), b"exclude_driver"),
    (BASE + "api/v0/tasks?filter_values=%ZZ", (400,), b"filter_values"),
    (BASE + "api/v0/logs/file?node_id=" + head + "&filename=raylet.out&lines=1.5", (400,), b"lines"),
    (BASE + "api/v0/logs/file?node_id=" + head + "&filename=raylet.out&download_filename=a%22b", (400,),
     b"download_filename"),
    ("/" + "a" * 9000, (400, 413, 414), b""),
]

with Server(store, "--dashboard-dir", dashdir) as srv:
    srv.wait_ready(BASE)
    for target, statuses, needle in CASES:
        st, h, body = srv.get(target)
        check(st in statuses, "%.120s: status %d, expected %s: %.200r" % (target, st, statuses, body))
        check(needle in body, "%.120s: body %.200r lacks %r" % (target, body, needle))
        check(b"root:" not in body and b"TOP SECRET" not in body, "%.120s leaked a file" % target)
    st, _, body = srv.get("/livez")
    check(st == 200 and body == b"ok\n", "server not alive after the hostile requests")
    st, _, body = srv.get(BASE + "static/js/main.js")
    check(st == 200, "a legitimate static file is still served: %d" % st)

finish("serve_hostile")
