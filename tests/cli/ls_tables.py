"""rayhist-ls output like Ray's CLI: aligned tables with a header (ray list),
error_type and state_message in the default columns, --detail with every
column (YAML by default, as Ray), --format table|json|yaml, --summary
(ray summary), --get (ray get), and --tail N across every node.

usage: ls_tables.py RAYHIST_LS STORE GENDIR
"""

import json
import os
import subprocess
import sys

import yaml

ls, store, gendir = sys.argv[1], sys.argv[2], sys.argv[3]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
head = next(n for n in truth["node_dirs"] if n.get("is_head"))
session = os.path.basename(os.path.realpath(os.path.join(gendir, head["session_dir"])))
PATH = "default/rc1/" + session
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def run(*args):
    p = subprocess.run([ls, "--store", store] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def table(text):
    """Parse an aligned table: columns start where header words start, and
    every row has a cell starting at each of those offsets."""
    lines = text.rstrip("\n").split("\n")
    hdr = lines[0]
    starts = [i for i, c in enumerate(hdr) if c != " " and (i == 0 or hdr[i - 1] == " ")]
    names = hdr.split()
    if len(starts) != len(names) or any(n != n.upper() for n in names):
        fail("header %r is not upper-case words" % hdr)
    rows = []
    for ln in lines[1:]:
        cells = []
        for k, s in enumerate(starts):
            e = starts[k + 1] if k + 1 < len(starts) else len(ln)
            if s > 0 and ln[s - 1] != " " or (s < len(ln) and ln[s] == " "):
                fail("row %r is not aligned with the header at column %s" % (ln, names[k]))
            cells.append(ln[s:e].rstrip())
        rows.append(dict(zip([n.lower() for n in names], cells)))
    return rows


def cellstr(v):
    if v is None or v == "":
        return "-"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def same_rows(what, text, rows, cols):
    got = table(text)
    if len(got) != len(rows):
        fail("%s: %d table rows, %d JSON rows" % (what, len(got), len(rows)))
        return
    for g, r in zip(got, rows):
        for c in cols:
            want = " ".join(cellstr(r.get(c)).split())  # control chars -> spaces
            if " ".join(g.get(c, "?").split()) != want:
                fail("%s: column %s is %r, JSON %r" % (what, c, g.get(c), want))


# ---- default tables: aligned, header, the columns that say why -------------
for ent, cols in (("tasks", ["task_id", "attempt_number", "name", "state", "type", "job_id", "error_type"]),
                  ("nodes", ["node_id", "node_ip", "is_head_node", "state", "state_message", "node_name"]),
                  ("jobs", ["job_id", "submission_id", "type", "status", "error_type", "entrypoint"]),
                  ("actors", ["actor_id", "class_name", "name", "state", "job_id", "pid"]),
                  ("workers", ["worker_id", "is_alive", "worker_type", "pid", "exit_type", "node_id"])):
    rc, out, err = run("--" + ent, "--limit", "0", PATH)
    rcj, js, _ = run("--" + ent, "--limit", "0", "--json", PATH)
    if rc or rcj:
        fail("--%s: status %d %s" % (ent, rc, err))
        continue
    if [c.upper() for c in cols] != out.split("\n")[0].split():
        fail("--%s header %r" % (ent, out.split("\n")[0]))
    same_rows("--" + ent, out, json.loads(js), cols)
rc, out, _ = run("--nodes", PATH)
dead = [r for r in T["nodes"] if r["state"] == "DEAD" and r.get("state_message")]
if not dead or not all(r["state_message"].split()[0] in out for r in dead):
    fail("--nodes lacks a dead node's state_message: %r" % out)
rc, out, _ = run("--tasks", "--filter", "state=FAILED", PATH)
if "TASK_EXECUTION_EXCEPTION" not in out:
    fail("--tasks --filter state=FAILED lacks error_type: %r" % out)

# ---- a visible count instead of a silent limit -----------------------------
rc, out, err = run("--tasks", "--limit", "2", PATH)
if len(table(out)) != 2 or "2 shown" not in err or "--limit 0 shows all" not in err:
    fail("--limit 2: %r" % err)

# ---- --detail: every column; YAML by default, as Ray -----------------------
rc, js, _ = run("--tasks", "--detail", "--json", "--limit", "0", PATH)
rows = json.loads(js)
rc, ym, err = run("--tasks", "--detail", "--limit", "0", PATH)
if rc or yaml.safe_load(ym) != rows:
    fail("--tasks --detail (YAML) differs from --json --detail: %s" % err)
rc, tb, err = run("--tasks", "--detail", "--format", "table", "--limit", "0", PATH)
keys = []
for r in rows:
    keys += [k for k in r if k not in keys]
if rc or tb.split("\n")[0].split() != [k.upper() for k in keys]:
    fail("--detail --format table header %r, want every column %r" % (tb.split("\n")[0][:200], keys))
same_rows("--detail --format table", tb, rows, ["task_id", "error_message", "events"])
for ent in ("actors", "jobs", "nodes", "workers", "placement-groups"):
    rc, js, _ = run("--" + ent, "--detail", "--json", PATH)
    rc2, ym, err = run("--" + ent, "--format", "yaml", "--detail", PATH)
    if rc or rc2 or yaml.safe_load(ym) != json.loads(js):
        fail("--%s --format yaml differs from --json (%s)" % (ent, err))
rc, out, err = run("--tasks", "--format", "xml", PATH)
if rc != 2 or "--format takes table, json or yaml" not in err:
    fail("--format xml: %d %r" % (rc, err))

# ---- --summary tasks|actors|objects, as ray summary ------------------------
for what, key in (("tasks", "func_or_class_name"), ("actors", "class_name")):
    rc, js, err = run("--summary", what, "--format", "json", PATH)
    rc2, out, err2 = run("--summary", what, PATH)
    if rc or rc2:
        fail("--summary %s: %s %s" % (what, err, err2))
        continue
    s = json.loads(js)
    stats, _, tab = out.partition("\n\n")
    for k, v in s.items():
        if not isinstance(v, dict) and "%s: %s" % (k, v) not in stats.split("\n"):
            fail("--summary %s: no line %s: %s in %r" % (what, k, v, stats))
    got = {r[key]: r["state_counts"] for r in table(tab)}
    for g in s["summary"].values():
        want = ", ".join("%s: %s" % kv for kv in g["state_counts"].items())
        if got.get(g[key]) != want:
            fail("--summary %s: %s counts %r, want %r" % (what, g[key], got.get(g[key]), want))
# against the truth: tasks per function, drivers left out as Ray does
rc, js, _ = run("--summary", "tasks", "--format", "json", PATH)
s = json.loads(js)
want = {}
for t in T["tasks"]:
    if t["type"] != "DRIVER_TASK":
        c = want.setdefault(t["func_or_class_name"], {})
        c[t["state"]] = c.get(t["state"], 0) + 1
got = {g["func_or_class_name"]: g["state_counts"] for g in s["summary"].values()}
if got != want:
    fail("--summary tasks: %r, truth %r" % (got, want))
rc, out, err = run("--summary", "objects", PATH)
if rc != 1 or "objects" not in err:
    fail("--summary objects: %d %r" % (rc, err))
rc, out, err = run("--summary", "nodes", PATH)
if rc != 2:
    fail("--summary nodes: %d %r" % (rc, err))

# ---- --get KIND ID, as ray get -----------------------------------------------
t = next(t for t in T["tasks"] if t["state"] == "FAILED" and t.get("task_log_info"))
rc, js, _ = run("--tasks", "--detail", "--json", "--filter", "task_id=" + t["task_id"], PATH)
rc2, ym, err = run("--get", "task", t["task_id"], PATH)
want = json.loads(js)
if rc2 or yaml.safe_load(ym) != (want[0] if len(want) == 1 else want):
    fail("--get task %s: %s" % (t["task_id"], err))
if t["error_message"].splitlines()[-1] not in ym:
    fail("--get task: no error message in %r" % ym)
sub = next(j for j in T["jobs"] if j.get("submission_id"))
rc, ym, err = run("--get", "job", sub["submission_id"], PATH)
if rc or yaml.safe_load(ym).get("submission_id") != sub["submission_id"]:
    fail("--get job SUBMISSION_ID: %d %s" % (rc, err))
rc, ym, err = run("--get", "nodes", head["node_id"], "--format", "json", PATH)
if rc or json.loads(ym)[0]["node_id"] != head["node_id"]:
    fail("--get nodes ID --format json: %d %s" % (rc, err))
rc, _, err = run("--get", "task", "ab" * 24, PATH)
if rc != 1 or "no task" not in err:
    fail("--get of an unknown task: %d %r" % (rc, err))
rc, _, err = run("--get", "task", PATH)
if rc != 2:
    fail("--get without an id: %d %r" % (rc, err))

# ---- --tail N across every node ------------------------------------------------
rc, out, err = run("--tail", "3", PATH + "/*/logs/raylet.out")
if rc:
    fail("--tail 3 */logs/raylet.out: %d %s" % (rc, err))
nodes = 0
for nd in truth["node_dirs"]:
    p = os.path.join(gendir, nd["session_dir"], "logs", "raylet.out")
    if not os.path.exists(p):
        continue
    data = open(p, "rb").read().decode()
    lines = data.rstrip("\n").split("\n")[-3:]
    pre = "(%s, ip=%s, node=%s) " % ("head" if nd.get("is_head") else "worker", nd["ip"], nd["node_id"][:8])
    mine = [ln[len(pre):] for ln in out.split("\n") if ln.startswith(pre)]
    if mine != lines:
        fail("--tail across nodes, node %s: %r, want %r" % (nd["node_id"], mine, lines))
    nodes += 1
if nodes < 2:
    fail("--tail across nodes compared %d nodes" % nodes)

if failures:
    sys.exit(1)
print("PASS: ls_tables (%d nodes tailed)" % nodes)
