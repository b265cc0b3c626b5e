"""rayhist-prune and the retention policies (run by retention.sh).

argv: TMP_DIR [N_BULK]. Builds file:// stores of synthetic sessions in the
store's exact layout (session.json, a node manifest, one file part), so
ages, heartbeats and sizes are chosen by the test; then checks which
sessions each policy deletes, that dry runs delete nothing, that live
sessions stay, that a deletion cut short is hidden from listings and
finished by the next run, and measures a run over N_BULK sessions.
"""

import json
import os
import shutil
import subprocess
import sys
import time

from rhserve import check, fail, finish

TMP = sys.argv[1]
N_BULK = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
BUILD = os.environ.get("top_builddir", ".")
PRUNE = os.path.join(BUILD, "bin", "rayhist-prune")
LS = os.path.join(BUILD, "bin", "rayhist-ls")
NOW = int(time.time() * 1000)
DAY = 86400000
NODE = "ab" * 28


def session_name(i, ms):
    t = time.gmtime(ms / 1000)
    return "session_%s_%06d_%d" % (time.strftime("%Y-%m-%d_%H-%M-%S", t), i % 1000000, 100 + i)


def make(store, ns, cluster, i, age_ms, size=1000, heartbeat=None, manifest=True):
    """One session last active age_ms ago; returns its name."""
    last = NOW - age_ms
    name = session_name(i, last - 3600000)
    d = os.path.join(store, ns, cluster, name)
    os.makedirs(os.path.join(d, "nodes", NODE, "files", "logs"))
    if manifest:
        info = {"format": 1, "namespace": ns, "cluster": cluster, "session": name,
                "start_ms": last - 3600000, "updated_ms": last, "ray_version": ""}
        if heartbeat is not None:
            info["heartbeat_ms"] = heartbeat
            info["heartbeat_interval_ms"] = 5000
        with open(os.path.join(d, "session.json"), "w") as f:
            json.dump(info, f)
    with open(os.path.join(d, "nodes", NODE, "node.json"), "w") as f:
        json.dump({"format": 1, "node_id": NODE, "node_ip": "", "hostname": "",
                   "is_head": True, "captured_ms": last, "files": []}, f)
    part = os.path.join(d, "nodes", NODE, "files", "logs", "raylet.out@%020d.zst" % 0)
    with open(part, "wb") as f:
        f.write(b"x" * size)
    if not manifest:   # its objects are what dates it
        for root, _, files in os.walk(d):
            for fn in files:
                os.utime(os.path.join(root, fn), (last / 1000, last / 1000))
    return "%s/%s/%s" % (ns, cluster, name)


def prune(store, *args, rc=0):
    p = subprocess.run([PRUNE, "--store", store] + list(args), capture_output=True,
                       text=True)
    check(p.returncode == rc, "rayhist-prune %s: exit %d, stderr %r"
          % (" ".join(args), p.returncode, p.stderr))
    return p


def listed(p, verb):
    return sorted(l.split()[2] if verb == "would" else l.split()[1]
                  for l in p.stdout.splitlines() if l.startswith(verb))


def sessions_on_disk(store):
    out = []
    for ns in sorted(os.listdir(store)):
        for c in sorted(os.listdir(os.path.join(store, ns))):
            for s in sorted(os.listdir(os.path.join(store, ns, c))):
                if os.path.isdir(os.path.join(store, ns, c, s)):
                    out.append("%s/%s/%s" % (ns, c, s))
    return out


def ls_sessions(store):
    out = []
    p = subprocess.run([LS, "--store", store], capture_output=True, text=True)
    for ns in p.stdout.split():
        q = subprocess.run([LS, "--store", store, ns], capture_output=True, text=True)
        for c in q.stdout.split():
            r = subprocess.run([LS, "--store", store, "%s/%s" % (ns, c)],
                               capture_output=True, text=True)
            out += ["%s/%s/%s" % (ns, c, s) for s in r.stdout.split()]
    return sorted(out)


def fresh_store(name):
    store = os.path.join(TMP, name)
    shutil.rmtree(store, ignore_errors=True)
    os.makedirs(store)
    s = {}
    for i, days in enumerate([1, 2, 4, 5, 6]):
        s["c1_%d" % days] = make(store, "default", "c1", i, days * DAY, size=1000 * (i + 1))
    for i, days in enumerate([1, 3, 8]):
        s["c2_%d" % days] = make(store, "default", "c2", 10 + i, days * DAY)
    for i, days in enumerate([2, 9]):
        s["t_%d" % days] = make(store, "team", "c3", 20 + i, days * DAY)
    # Live: started and last captured 40 days ago, but its collector beats.
    s["live"] = make(store, "default", "c1", 30, 40 * DAY, heartbeat=NOW - 2000)
    # No session.json, objects written a minute ago: a capture starting.
    s["starting"] = make(store, "default", "c2", 31, 60000, manifest=False)
    # No session.json, objects 30 days old.
    s["orphan"] = make(store, "default", "c2", 32, 30 * DAY, manifest=False)
    return store, s


# ---- policies, dry runs ------------------------------------------------------
store, s = fresh_store("policies")
before = sessions_on_disk(store)
prune(store, rc=2)                                     # no policy: usage error
p = prune(store, "--max-age", "80h", "--dry-run")
want = sorted([s["c1_4"], s["c1_5"], s["c1_6"], s["c2_8"], s["t_9"], s["orphan"]])
check(listed(p, "would") == want, "--max-age 80h would delete %r, want %r"
      % (listed(p, "would"), want))
check(sessions_on_disk(store) == before, "a dry run deleted something")
check("6 of 13 sessions would go (2 live, kept)" in p.stderr,
      "dry-run summary: %r" % p.stderr)

p = prune(store, "--keep-per-cluster", "2", "--dry-run")
# Newest first (a heartbeat is activity): c1: live, c1_1 | c1_2, c1_4..6;
# c2: starting (objects a minute old), c2_1 | c2_3, c2_8, orphan.
want = sorted([s["c1_2"], s["c1_4"], s["c1_5"], s["c1_6"], s["c2_3"], s["c2_8"],
               s["orphan"]])
check(listed(p, "would") == want, "--keep-per-cluster 2 would delete %r, want %r"
      % (listed(p, "would"), want))

p = prune(store, "--keep-per-namespace", "1", "--dry-run")
got = listed(p, "would")
check(s["t_9"] in got and s["t_2"] not in got and s["live"] not in got and
      s["starting"] not in got and len(got) == 13 - 3,
      "--keep-per-namespace 1 would delete %r" % got)

p = prune(store, "--max-bytes", "1", "--dry-run")
check(sorted(listed(p, "would")) == sorted(set(before) - {s["live"], s["starting"]}),
      "--max-bytes 1 would delete all but the live ones: %r" % listed(p, "would"))
p = prune(store, "--max-bytes", "10K", "--dry-run")
got = listed(p, "would")
check(s["t_9"] in got and s["orphan"] in got and s["c1_1"] not in got,
      "--max-bytes 10K would delete oldest first: %r" % got)

# ---- real deletion -------------------------------------------------------------
p = prune(store, "--max-age", "80h")
gone = listed(p, "deleted")
want = sorted([s["c1_4"], s["c1_5"], s["c1_6"], s["c2_8"], s["t_9"], s["orphan"]])
check(gone == want, "--max-age 80h deleted %r, want %r" % (gone, want))
left = sorted(set(before) - set(want))
check(sessions_on_disk(store) == left, "on disk after: %r" % sessions_on_disk(store))
check(ls_sessions(store) == left, "rayhist-ls after: %r" % ls_sessions(store))
check(s["live"] in left and s["starting"] in left, "a live session was deleted")
check(not any(n.endswith("!deleting") for _, _, fs in os.walk(store) for n in fs),
      "a tombstone was left behind")

# ---- a deletion cut short ------------------------------------------------------
store, s = fresh_store("crash")
ns, cl, name = s["c1_6"].split("/")
d = os.path.join(store, ns, cl, name)
# The cleaner wrote the tombstone and deleted session.json, then died.
with open(os.path.join(store, ns, cl, name + "!deleting"), "w") as f:
    f.write('{"deleting_ms": %d}\n' % NOW)
os.unlink(os.path.join(d, "session.json"))
ns2, cl2, name2 = s["c2_1"].split("/")     # only the tombstone, all objects there
with open(os.path.join(store, ns2, cl2, name2 + "!deleting"), "w") as f:
    f.write('{"deleting_ms": %d}\n' % NOW)
shown = ls_sessions(store)
check(s["c1_6"] not in shown and s["c2_1"] not in shown,
      "a session behind a tombstone is listed: %r" % shown)
check(s["c1_1"] in shown, "rayhist-ls lost a session next to a tombstone")
p = prune(store, "--max-age", "1000d", "--dry-run")
check(sorted(listed(p, "would")) == sorted([s["c1_6"], s["c2_1"]]),
      "dry run does not list the unfinished deletions: %r" % p.stdout)
p = prune(store, "--max-age", "1000d")
check(sorted(listed(p, "deleted")) == sorted([s["c1_6"], s["c2_1"]]) and
      "2 unfinished deletions finished" in p.stderr,
      "unfinished deletions: %r %r" % (p.stdout, p.stderr))
check(not os.path.exists(d) and not os.path.exists(d + "!deleting") and
      not os.path.exists(os.path.join(store, ns2, cl2, name2)),
      "an unfinished deletion was not finished")

# ---- rayhist-serve's schedule -------------------------------------------------------
store, s = fresh_store("serve")
want = sorted([s["c1_4"], s["c1_5"], s["c1_6"], s["c2_8"], s["t_9"], s["orphan"]])
errlog = os.path.join(TMP, "serve.err")
with open(errlog, "wb") as errf:
    srv = subprocess.Popen([os.path.join(BUILD, "bin", "rayhist-serve"), "--store", store,
                            "--listen", "127.0.0.1:0", "-q", "--max-age", "80h",
                            "--retention-interval", "1s"],
                           stdout=subprocess.PIPE, stderr=errf)
try:
    import re
    import urllib.request
    port = int(re.search(r":(\d+)/", srv.stdout.readline().decode()).group(1))
    deadline = time.time() + 30
    while time.time() < deadline and sessions_on_disk(store) != sorted(set(sessions_on_disk(store)) - set(want)):
        time.sleep(0.2)
    while time.time() < deadline and any(w in sessions_on_disk(store) for w in want):
        time.sleep(0.2)
    check(not any(w in sessions_on_disk(store) for w in want),
          "rayhist-serve's retention left %r" % [w for w in want if w in sessions_on_disk(store)])
    check(s["live"] in sessions_on_disk(store), "rayhist-serve deleted a live session")
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        m = r.read().decode()
    check("rayhist_retention_deleted_sessions_total 6\n" in m,
          "metrics after retention: %r" % [l for l in m.splitlines() if "retention" in l])
    with urllib.request.urlopen("http://127.0.0.1:%d/clusters" % port, timeout=10) as r:
        picker = r.read().decode()
    check(not any(w.split("/")[2] in picker for w in want) and
          s["c1_1"].split("/")[2] in picker,
          "the picker after retention: %.300r" % picker)
finally:
    srv.terminate()
    check(srv.wait(timeout=20) == 0, "rayhist-serve did not exit 0")
log = open(errlog).read()
check(log.count("retention: deleted") == 6, "serve's retention log: %r" % log)

# ---- throughput ------------------------------------------------------------------
store = os.path.join(TMP, "bulk")
os.makedirs(store)
for i in range(N_BULK):
    make(store, "ns%d" % (i % 10), "cluster%d" % (i % 100), 1000 + i,
         (10 + i % 50) * DAY, size=200)
t0 = time.time()
p = prune(store, "--max-age", "5d", "--dry-run")
dry = time.time() - t0
check(len(listed(p, "would")) == N_BULK, "bulk dry run: %d listed" % len(listed(p, "would")))
t0 = time.time()
p = prune(store, "--max-age", "5d")
wet = time.time() - t0
check(len(listed(p, "deleted")) == N_BULK and sessions_on_disk(store) == [],
      "bulk run deleted %d of %d" % (len(listed(p, "deleted")), N_BULK))
print("retention over %d sessions (file://, 4 objects each): dry run %.2f s, "
      "deleting all %.2f s (%.0f sessions/s)" % (N_BULK, dry, wet, N_BULK / wet))
finish("retention")
