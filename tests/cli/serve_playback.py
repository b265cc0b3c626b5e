"""rayhist-serve's playback prefix /c/NS/CLUSTER/SESSION@TIME/ answers as
the library does at TIME: the state API's tasks, jobs, actors and nodes
equal rayhist-ls --at TIME --json --limit 0 at instants within the session
(RFC 3339, percent-encoded, and +SECONDS), a time before the session's start
gives an empty cluster, one after its end the final state, a malformed time
400 naming it; a log under @TIME ends at the last part captured by TIME.

usage: serve_playback.py STORE GENDIR MID
  MID: an RFC 3339 instant between the two captures of the head's raylet.out
"""

import datetime
import json
import os
import subprocess
import sys
import urllib.parse

from rhserve import Server, check, finish

store, gendir, mid = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
S = truth["session"]["name"]
SREF = "default/rc1/" + S
RH_LS = os.environ["RH_LS"]
LISTS = {"tasks": "--tasks", "jobs": "--jobs", "actors": "--actors", "nodes": "--nodes"}


def rfc(s):
    return datetime.datetime.strptime(s.replace("Z", "+00:00"), "%Y-%m-%dT%H:%M:%S.%f%z")


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ls(*args):
    out = subprocess.run([RH_LS, "--store", store] + list(args), check=True,
                         stdout=subprocess.PIPE).stdout
    return out


def canon(rows):
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


def base(at):
    return "/c/default/rc1/%s@%s/" % (S, at)


def api_rows(srv, at, what):
    doc = srv.get_json(base(at) + "api/v0/%s?limit=10000" % what)
    res = ((doc or {}).get("data") or {}).get("result") or {}
    return res.get("result"), res.get("total")


start = rfc(truth["session"]["start"])
node_died = rfc(truth["session"]["node_died"])
died = rfc(truth["session"]["cluster_died"])
instants = [
    # (text in the URL, text for rayhist-ls)
    ("+60", "+60"),
    (urllib.parse.quote(fmt(node_died - datetime.timedelta(seconds=1)), safe=""),
     fmt(node_died - datetime.timedelta(seconds=1))),
    (fmt(node_died + datetime.timedelta(seconds=1)), fmt(node_died + datetime.timedelta(seconds=1))),
]

with Server(store) as srv:
    srv.wait_ready("/c/default/rc1/%s/" % S)
    # ---- the API at T equals the library at T ------------------------------
    for url_at, ls_at in instants:
        for what, opt in sorted(LISTS.items()):
            got, total = api_rows(srv, url_at, what)
            want = json.loads(ls(opt, "--json", "--limit", "0", "--at", ls_at, SREF))
            check(got is not None and canon(got) == canon(want),
                  "@%s %s: %s rows from the API, %d from rayhist-ls --at"
                  % (url_at, what, None if got is None else len(got), len(want)))
    # the instants differ: the node that died is ALIVE before, DEAD after
    before, _ = api_rows(srv, instants[1][0], "nodes")
    after, _ = api_rows(srv, instants[2][0], "nodes")
    check(sorted(n["state"] for n in before or []) != sorted(n["state"] for n in after or []),
          "node states the same before and after the node died")
    # ---- before the start: an empty cluster ---------------------------------
    early = fmt(start - datetime.timedelta(seconds=60))
    for what in LISTS:
        got, total = api_rows(srv, early, what)
        check(got == [] and total == 0, "@%s (before the start) %s: %r rows, total %r"
              % (early, what, None if got is None else len(got), total))
    summary = srv.get_json(base(early) + "nodes?view=summary")
    check(((summary or {}).get("data") or {}).get("summary") == [],
          "node summary before the start is not empty")
    # ---- after the end: the final state ------------------------------------
    late = fmt(died + datetime.timedelta(hours=1))
    for what, opt in sorted(LISTS.items()):
        got, _ = api_rows(srv, late, what)
        final = srv.get_json("/c/default/rc1/%s/api/v0/%s?limit=10000" % (S, what))
        final = final["data"]["result"]["result"]
        check(got is not None and canon(got) == canon(final),
              "@%s (after the end) %s differs from the final state" % (late, what))
    # ---- a malformed time: 400 naming it ------------------------------------
    for bad in ("yesterday", "2025-13-45T99:00:00Z", "+abc", ""):
        st, _, body = srv.get(base(bad) + "api/v0/tasks")
        check(st == 400 and (bad == "" or bad.encode() in body),
              "@%r: status %d %.200r" % (bad, st, body))
    # ---- a log under @TIME ends at the captured part ------------------------
    head = next(n for n in truth["node_dirs"] if "head" in n["session_dir"])
    nid = head["node_id"]
    path = "%s/%s/logs/raylet.out" % (SREF, nid)
    at_mid = ls("--at", mid, "--cat", path)
    whole = ls("--cat", path)
    check(whole.endswith(b"a line captured after the instant\n") and
          len(at_mid) < len(whole) and whole.startswith(at_mid),
          "rayhist-ls --at: %d of %d bytes" % (len(at_mid), len(whole)))
    q = urllib.parse.urlencode({"node_id": nid, "filename": "raylet.out",
                                "lines": -1, "format": "text"})
    st, _, body = srv.get(base(mid) + "api/v0/logs/file?" + q)
    check(st == 200 and body == at_mid, "@%s raylet.out: status %d, %d bytes, expected %d"
          % (mid, st, len(body), len(at_mid)))
    q = urllib.parse.urlencode({"node_id": nid, "filename": "raylet.out",
                                "lines": 2, "format": "text"})
    st, _, body = srv.get(base(mid) + "api/v0/logs/file?" + q)
    want = b"\n".join(at_mid.rstrip(b"\n").split(b"\n")[-2:]) + b"\n"
    check(st == 200 and body == want, "@%s raylet.out tail: %.200r, expected %.200r"
          % (mid, body, want))
    st, _, body = srv.get("/c/default/rc1/%s/api/v0/logs/file?" % S + q)
    check(st == 200 and body.endswith(b"a line captured after the instant\n"),
          "without an instant the log does not end with the last part: %.200r" % body)

finish("serve_playback")
