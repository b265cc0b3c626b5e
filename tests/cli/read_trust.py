"""Reading and serving must be trustworthy (see read_trust.sh).

usage: read_trust.py STORE GENDIR SESSION  (RH_LS in the environment)

The store holds the generated session with a log file named
b"odd-\\xff\\xfe-caf\\xc3\\xa9.log" on the head node and an error message with
the bytes ff fe. Checks, in order: valid JSON and the way back for those
bytes; Ray's task total with a job_id filter; the built-in pages at an
instant; then damage (an event object, the index, session.json, a node
manifest) and what the API, the pages and rayhist-ls make of it.
"""

import glob
import json
import os
import re
import subprocess
import sys
import urllib.parse

from rhserve import Server, check, fail, finish

store, gendir, S = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
SREF = "default/rc1/" + S
BASE = "/c/default/rc1/%s/" % S
SDIR = os.path.join(store, "default", "rc1", S)
RH_LS = os.environ["RH_LS"]
HEAD = next(n["node_id"] for n in truth["node_dirs"] if n["is_head"])
# File names are listed with bytes outside UTF-8 as \xHH (catalog.h,
# rh_catalog_display_path); values such as error messages carry them as
# U+EF80..U+EFFF (buf.h, rh_buf_put_utf8).
ODD = "odd-\\xff\\xfe-caf\u00e9.log"   # b"odd-\xff\xfe-caf\xc3\xa9.log", shown


def ls(*args):
    r = subprocess.run([RH_LS, "--store", store] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def strict(body, what):
    """JSON that a strict UTF-8 reader (a browser's) takes."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("%s: not valid JSON: %s: %.200r" % (what, e, body))
        return None


def get_strict(srv, target):
    st, _, body = srv.get(target)
    check(st == 200, "%s: status %d: %.300r" % (target, st, body))
    return strict(body, target)


def result(doc):
    return doc["data"]["result"] if doc else {}


def counts_of(page):
    m = re.search(r'id="counts">(\d+) nodes, (\d+) jobs, (\d+) tasks, (\d+) actors', page)
    return tuple(int(x) for x in m.groups()) if m else None


# An index alone, as older versions wrote for any session name asked for,
# is no session: not listed, not served.
PHANTOM = "session_2020-01-01_00-00-00_000000_1"
os.makedirs(os.path.join(store, "default", "rc1", PHANTOM, "index"))
open(os.path.join(store, "default", "rc1", PHANTOM, "index", "session.idx"), "wb").write(b"x")
rc, out, err = ls("-l", "default/rc1")
check(rc == 0 and S.encode() in out and PHANTOM.encode() not in out,
      "rayhist-ls -l with an index-only name: rc %d: %r %s" % (rc, out, err))

with Server(store) as srv:
    srv.wait_ready(BASE)
    for target in ("/clusters", "/"):
        st, _, body = srv.get(target)
        check(st == 200 and S.encode() in body and PHANTOM.encode() not in body,
              "%s lists the index-only name: %d" % (target, st))
    st, _, body = srv.get("/c/default/rc1/%s/api/v0/tasks" % PHANTOM)
    check(st == 404, "an index-only name is served: %d %.200r" % (st, body))

    # ---- valid JSON always, and the way back ----------------------------------
    logs = get_strict(srv, BASE + "api/v0/logs?node_id=" + HEAD)
    names = [n for cat in (logs or {}).get("data", {}).get("result", {}).values()
             for n in cat]
    check(ODD in names, "the odd file is not listed as %r: %r"
          % (ODD, [n for n in names if n.startswith("odd")]))
    url = BASE + "api/v0/logs/file?" + urllib.parse.urlencode(
        {"node_id": HEAD, "filename": ODD, "lines": -1, "format": "text"})
    st, _, body = srv.get(url)
    check(st == 200 and body == b"a line with \xff in it\n",
          "the listed name does not find the file: %d %.200r" % (st, body))
    doc = get_strict(srv, BASE + "api/v0/tasks?detail=1&limit=10000")
    msgs = [t.get("error_message") or "" for t in result(doc).get("result", [])]
    check(any("bad \uefff\ueffe bytes: " in m for m in msgs),
          "no error message with the mapped bytes: %r" % [m[:40] for m in msgs if m][:5])
    rc, out, err = ls("--json", "%s/%s/logs" % (SREF, HEAD[:8]))
    rows = strict(out, "rayhist-ls --json of the logs folder")
    check(rc == 0 and rows is not None and any(r["name"] == ODD for r in rows),
          "rayhist-ls --json: rc %d, odd name missing: %s" % (rc, err))
    rc, out, err = ls("--cat", "%s/%s/logs/%s" % (SREF, HEAD[:8], ODD))
    check(rc == 0 and out == b"a line with \xff in it\n",
          "rayhist-ls --cat of the name --json gave: rc %d %r %s" % (rc, out, err))
    rc, out, err = ls("--tasks", "--detail", "--json", "--limit", "0", SREF)
    check(rc == 0 and strict(out, "rayhist-ls --tasks --json") is not None,
          "rayhist-ls --tasks --json rc %d: %s" % (rc, err))

    # ---- Ray's counting: a job_id filter is applied by GCS first ----------------
    for job in {t["job_id"] for t in truth["state"]["tasks"] if t["job_id"]}:
        n = sum(1 for t in truth["state"]["tasks"]
                if t["job_id"] == job and t["type"] != "DRIVER_TASK")
        r = result(get_strict(srv, BASE + "api/v0/tasks?limit=1&filter_keys=job_id&"
                              "filter_predicates=%3D&filter_values=" + job))
        check((r.get("total"), r.get("num_after_truncation"), r.get("num_filtered"))
              == (n, n, n), "job %s: total/after/filtered %r, the job has %d tasks"
              % (job, (r.get("total"), r.get("num_after_truncation"),
                       r.get("num_filtered")), n))
    r = result(get_strict(srv, BASE + "api/v0/tasks?limit=1"))
    check(r.get("total") == len(truth["state"]["tasks"]), "unfiltered total %r"
          % r.get("total"))

    # ---- built-in pages at an instant agree with the API there ------------------
    AT = "/c/default/rc1/%s@+30/" % S
    final = counts_of(srv.get(BASE)[2].decode("utf-8", "replace"))
    page = srv.get(AT)[2].decode("utf-8", "replace")
    got = counts_of(page)
    jobs_at = get_strict(srv, AT + "api/jobs/") or []
    want = (got[0] if got else None, len(jobs_at),
            result(get_strict(srv, AT + "api/v0/tasks?limit=1")).get("total"),
            result(get_strict(srv, AT + "api/v0/actors?limit=1")).get("total"))
    check(got == want, "@+30 page counts %r, the API there %r" % (got, want))
    check(final and got and final[1:] != got[1:], "@+30 shows the final counts %r" % (final,))
    check('id="at"' in page, "the page at an instant does not say which")
    text = srv.get(AT + "rayhist/jobs.txt")[2].decode("utf-8", "replace").splitlines()[1:]
    check(sorted((l.split()[0], l.split()[2]) for l in text)
          == sorted((j["job_id"], j["status"]) for j in jobs_at),
          "jobs.txt @+30 %r, api/jobs/ there %r" % (text, [(j["job_id"], j["status"]) for j in jobs_at]))
    ntasks = len(truth["state"]["tasks"])
    text = srv.get(BASE + "rayhist/tasks.txt?limit=5")[2].decode("utf-8", "replace")
    check(("5 of %d tasks shown" % ntasks) in text,
          "tasks.txt at its row limit does not say so: %.300r" % text[-300:])
    text = srv.get(BASE + "rayhist/tasks.txt")[2].decode("utf-8", "replace")
    check(len(text.splitlines()) == ntasks + 1 and " of " not in text.splitlines()[-1],
          "tasks.txt under its limit: %d lines" % len(text.splitlines()))

# ---- one damaged event object ---------------------------------------------------
# Garble the zstd frame of one aggregator batch (same name and size, so the
# index must be built again to meet it, as it would be on first use).
victim = sorted(glob.glob(os.path.join(SDIR, "events", "*.zst")))[3]
data = bytearray(open(victim, "rb").read())
for i in range(12, min(len(data) - 30, 60)):
    data[i] ^= 0x5a
open(victim, "wb").write(bytes(data))
os.remove(os.path.join(SDIR, "index", "session.idx"))
vname = os.path.basename(victim)
with Server(store) as srv:
    srv.wait_ready(BASE)
    for path in ("api/v0/tasks?limit=5", "api/v0/actors", "api/v0/tasks/summarize"):
        r = result(get_strict(srv, BASE + path))
        w = r.get("warnings") or []
        check(any(vname in x for x in w), "%s: warnings %r do not name %s" % (path, w, vname))
        check(r.get("total", 0) > 0, "%s: nothing served: %r" % (path, r.get("total")))
    url = BASE + "api/v0/logs/file?" + urllib.parse.urlencode(
        {"node_id": HEAD, "filename": "raylet.out", "lines": 5, "format": "text"})
    st, _, body = srv.get(url)
    check(st == 200 and body, "logs with a damaged event object: %d %.200r" % (st, body))
    page = srv.get(BASE)[2].decode("utf-8", "replace")
    check('id="warnings"' in page and vname in page, "the session page does not say "
          "what was skipped")
rc, out, err = ls("--tasks", SREF)
check(rc == 0 and out.count(b"\n") > 10 and "warning" in err and vname in err,
      "rayhist-ls --tasks with a damaged object: rc %d, %d lines, %s"
      % (rc, out.count(b"\n"), err))
rc, out, err = ls("-l", SREF)
check(vname in err, "rayhist-ls -l does not say what was skipped: %s" % err)

# ---- a damaged index: rayhist-ls rebuilds it --------------------------------------
idx = os.path.join(SDIR, "index", "session.idx")
rc, before, _ = ls("--tasks", "--limit", "0", SREF)
data = bytearray(open(idx, "rb").read())
data[len(data) // 3] ^= 0xff
open(idx, "wb").write(bytes(data))
rc, out, err = ls("--tasks", "--limit", "0", SREF)
check(rc == 0 and out == before, "a damaged index page: rc %d, %d vs %d bytes: %s"
      % (rc, len(out), len(before), err))
data = open(idx, "rb").read()
open(idx, "wb").write(data[:len(data) // 2])
rc, out, err = ls("--tasks", "--limit", "0", SREF)
check(rc == 0 and out == before, "a truncated index: rc %d: %s" % (rc, err))

# ---- session.json: garbage, a symbolic link ----------------------------------------
sj = os.path.join(SDIR, "session.json")
good = open(sj, "rb").read()
open(sj, "wb").write(b"garbage{")
rc, out, err = ls("-l", "default/rc1")
check(rc != 0 and "session.json" in err, "garbage session.json: rc %d: %s" % (rc, err))
rc, out, err = ls("--jobs", SREF)
check(rc != 0 and "session.json" in err, "garbage session.json, --jobs: rc %d: %s" % (rc, err))
with Server(store) as srv:
    srv.wait_ready(BASE)
    w = result(get_strict(srv, BASE + "api/v0/tasks?limit=1")).get("warnings") or []
    check(any("session.json" in x for x in w), "the API does not say session.json "
          "is damaged: %r" % w)
os.remove(sj)
os.symlink("/etc/hostname", sj)
rc, out, err = ls("-l", "default/rc1")
check(rc != 0 and "session.json" in err and "symbolic link" in err,
      "symlinked session.json: rc %d: %s" % (rc, err))
os.remove(sj)
open(sj, "wb").write(good)

# ---- a node manifest that does not load ---------------------------------------------
nj = os.path.join(SDIR, "nodes", HEAD, "node.json")
open(nj, "wb").write(b"\x00\x01 not a manifest")
rc, out, err = ls("-l", SREF)
check(rc != 0 and HEAD in err and "node.json" in err,
      "a damaged node manifest: rc %d: %s" % (rc, err))

finish("read_trust")
