"""The session page's timeline chart in headless Chromium (see
serve_timeline.sh).

usage: serve_timeline.py STORE GENDIR TMPDIR  (CHROME, RH_LS in the environment)
"""

import html
import json
import os
import re
import subprocess
import sys
import urllib.parse

from rhserve import Server, check, fail, finish

store, gendir, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
S = truth["session"]["name"]
SREF = "default/rc1/" + S
BASE = "/c/default/rc1/%s/" % S
CHROME = os.environ["CHROME"]
RH_LS = os.environ["RH_LS"]
runs = [0]


def dom(url):
    """The DOM Chromium built from `url`."""
    runs[0] += 1
    r = subprocess.run(
        [CHROME, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--user-data-dir=%s/chrome-%d" % (tmp, runs[0]),
         "--virtual-time-budget=5000", "--dump-dom", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        fail("chromium failed on %s: %s" % (url, r.stderr.decode("utf-8", "replace")[-600:]))
        sys.exit(1)
    return r.stdout.decode("utf-8", "replace")


def ls(*args):
    return json.loads(subprocess.run([RH_LS, "--store", store] + list(args), check=True,
                                     stdout=subprocess.PIPE).stdout)


with Server(store) as srv:
    srv.wait_ready(BASE)
    # ---- the picker links the session page ---------------------------------
    picker = dom(srv.url + "/")
    check(BASE + "rayhist/session" in picker, "the picker does not link the timeline")
    # ---- the chart renders, as parsed by the browser ------------------------
    page = dom(srv.url + BASE + "rayhist/session")
    svg = re.search(r"<svg[^>]*id=\"timeline\".*?</svg>", page, re.S)
    check(svg is not None, "no <svg id=timeline> in the DOM: %.800s" % page)
    if svg is None:
        finish("serve_timeline")
    svg = svg.group(0)
    buckets = re.findall(r"<a class=\"bucket\"([^>]*)>", svg)
    check(len(buckets) == 200, "%d buckets, expected 200" % len(buckets))
    check(svg.count("<rect") >= 200, "%d rects" % svg.count("<rect"))
    check(len(re.findall(r"<path class=\"(nodes|actors)\"", svg)) == 2, "no node/actor lines")
    jobs = truth["state"]["jobs"]
    started = svg.count("class=\"job-start\"")
    ended = svg.count("class=\"job-end\"")
    check(started == len(jobs), "%d job start marks for %d jobs" % (started, len(jobs)))
    check(0 < ended <= started, "%d job end marks" % ended)
    check("<script" not in page, "the page needs a script")
    check(" action=\"%srayhist/at\"" % BASE in page, "no time form")

    # ---- a bucket's link: the session as of its instant ----------------------
    def attrs(a):
        return {k: html.unescape(v) for k, v in re.findall(r"([\w-]+)=\"([^\"]*)\"", a)}
    rows = [attrs(a) for a in buckets]
    best = max(rows, key=lambda r: int(r["data-running"]))
    check(int(best["data-running"]) > 0, "no bucket with a running task")
    href = best["href"]
    check(href.startswith(BASE[:-1] + "@") and href.endswith("/"), "bucket link %s" % href)
    at = urllib.parse.unquote(href[len(BASE):-1])
    check(at == best["data-t"], "link %s for instant %s" % (href, best["data-t"]))
    opened = dom(srv.url + href)
    check(S in opened and "id=\"counts\"" in opened,
          "the bucket's link did not open the session: %.600s" % opened)
    want = {what: ls("--" + what, "--json", "--limit", "0", "--at", at, SREF)
            for what in ("tasks", "nodes", "actors")}
    doc = srv.get_json(href + "api/v0/tasks?limit=0")
    total = doc["data"]["result"]["total"] if doc else None
    check(total == len(want["tasks"]), "@%s: API total %r, rayhist-ls --at %d tasks"
          % (at, total, len(want["tasks"])))
    doc = srv.get_json(href + "api/v0/tasks?limit=10000&filter_keys=state&"
                       "filter_predicates=%3D&filter_values=RUNNING")
    running = [t for t in want["tasks"] if t["state"] == "RUNNING"]
    got = len(doc["data"]["result"]["result"]) if doc else None
    check(got == len(running), "@%s: API %r RUNNING, rayhist-ls --at %d"
          % (at, got, len(running)))
    check(int(best["data-running"]) == len(running), "bucket says %s running, rayhist-ls --at %d"
          % (best["data-running"], len(running)))
    for what in ("nodes", "actors"):
        alive = [x for x in want[what] if x["state"] == "ALIVE"]
        check(int(best["data-" + what]) == len(alive), "bucket says %s alive %s, rayhist-ls --at %d"
              % (best["data-" + what], what, len(alive)))
    # an earlier and a later bucket differ (the chart is not flat)
    check(len({r["data-running"] + "/" + r["data-nodes"] for r in rows}) > 1, "a flat chart")

    # ---- choosing a time: the form's endpoint -----------------------------------
    st, hdrs, _ = srv.get(BASE + "rayhist/at?t=%2B60")
    check(st == 302 and hdrs.get("location") == BASE[:-1] + "@%2B60/",
          "rayhist/at?t=+60: %d %r" % (st, hdrs.get("location")))
    opened = dom(srv.url + BASE + "rayhist/at?t=" + urllib.parse.quote(at, safe=""))
    check(S in opened and "id=\"counts\"" in opened,
          "the form's redirect did not open the session: %.600s" % opened)
    for bad in ("yesterday", "", "2025-13-45T99:00:00Z"):
        st, _, body = srv.get(BASE + "rayhist/at?t=" + bad)
        check(st == 400 and bad.encode() in body, "rayhist/at?t=%r: %d %.200r" % (bad, st, body))

finish("serve_timeline")
