"""A session indexed by rayhist-collect --ended is served from that index
(tests/cli/collect_index.sh): rayhist-serve's first open of it builds
nothing and parses no event byte (its counters
rayhist_session_index_builds_total and rayhist_index_event_bytes_total stay
0), and every answer equals, byte for byte, what a server answers from the
index it built itself on the same session captured with --no-index, whose
first open does build (the counters move).

Usage: collect_index.py PRE_STORE LAZY_STORE NS/CLUSTER/SESSION
"""

import re
import sys

from rhserve import Server, check, finish

ENDPOINTS = [
    "api/v0/tasks?limit=10000&detail=1",
    "api/v0/tasks/summarize?summary_by=func_name",
    "api/v0/actors?limit=10000&detail=1",
    "api/v0/nodes?limit=10000&detail=1",
    "api/v0/placement_groups?limit=10000&detail=1",
    "api/v0/workers?limit=10000&detail=1",
    "api/jobs/",
]


def metric(srv, name):
    st, _, body = srv.get("/metrics")
    check(st == 200, "/metrics: %d" % st)
    m = re.search(rb"^" + name.encode() + rb" ([0-9.e+]+)$", body, re.M)
    check(m is not None, "no %s in /metrics" % name)
    return float(m.group(1)) if m else -1.0


def serve(store, base):
    with Server(store) as srv:
        srv.wait_ready(base)
        answers = {}
        for e in ENDPOINTS:
            st, _, body = srv.get(base + e)
            check(st == 200, "%s%s: %d %.200r" % (base, e, st, body))
            answers[e] = body
        counts = (metric(srv, "rayhist_session_index_builds_total"),
                  metric(srv, "rayhist_index_event_bytes_total"),
                  metric(srv, "rayhist_sessions_indexed_total"))
    return answers, counts


def main():
    pre, lazy, path = sys.argv[1:4]
    base = "/c/%s/" % path
    got, (builds, parsed, indexed) = serve(pre, base)
    check(builds == 0, "the server built the collector's index again (%g builds)" % builds)
    check(parsed == 0, "the server parsed %g event bytes of an indexed session" % parsed)
    check(indexed >= 1, "the session was never opened (%g)" % indexed)
    want, (builds, parsed, _) = serve(lazy, base)
    check(builds == 1, "--no-index: the server built %g indexes, not 1" % builds)
    check(parsed > 0, "--no-index: the server parsed no event byte")
    for e in ENDPOINTS:
        check(got[e] == want[e], "%s differs: %.200r vs %.200r" % (e, got[e], want[e]))
    check(b"task_id" in got[ENDPOINTS[0]], "no task rows: %.200r" % got[ENDPOINTS[0]])
    finish("collect_index.py")


main()
