"""The built-in pages' story (issue 17) in headless Chromium: session page ->
failed task -> its stderr, checked against the generator's truth and files,
also at SESSION@TIME; plus the log viewer's paging, the listing of every log
file (logs/old/ included) with a visible count, and tasks.txt?state=.

usage: serve_pages.py CHROME BASE_URL GENDIR TMPDIR SHOTDIR
"""

import datetime
import html
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

chrome, base, gendir, tmp, shots = sys.argv[1:6]
truth = json.load(open(os.path.join(gendir, "truth.json")))
T = truth["state"]
head = next(n for n in truth["node_dirs"] if n.get("is_head"))
session = os.path.basename(os.path.realpath(os.path.join(gendir, head["session_dir"])))
prefix = "%s/c/default/rc1/%s" % (base, session)
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def http(url):
    try:
        r = urllib.request.urlopen(url)
        return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def browse(name, url):
    """The page's DOM after Chromium loaded it, and a screenshot of it."""
    common = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--user-data-dir=%s/chrome-%s" % (tmp, name)]
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, timeout=120)
    if dom.returncode:
        fail("chromium on %s: %s" % (url, dom.stderr[-500:]))
    shot = os.path.join(shots, name + ".png")
    subprocess.run(common + ["--window-size=1280,1400", "--screenshot=" + shot, url],
                   capture_output=True, timeout=120)
    if not os.path.getsize(shot) if os.path.exists(shot) else True:
        fail("no screenshot of %s" % url)
    return dom.stdout.decode("utf-8", "replace")


def element(page, tag, ident):
    m = re.search(r'<%s[^>]*\bid="%s"[^>]*>(.*?)</%s>' % (tag, re.escape(ident), tag), page, re.S)
    return m.group(1) if m else None


def text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment or ""))


def href_of(page, label):
    m = re.search(r'<a href="([^"]*)"[^>]*>%s</a>' % re.escape(label), page)
    return html.unescape(m.group(1)) if m else None


for _ in range(600):  # the first visit builds the index
    if http(prefix + "/api/jobs/")[0] == 200:
        break
    time.sleep(0.2)

failed = [t for t in T["tasks"] if t["state"] == "FAILED"]
story = next(t for t in failed if t.get("error_type") == "TASK_EXECUTION_EXCEPTION"
             and t.get("task_log_info") and t["type"] == "NORMAL_TASK")

# ---- 1. the session page: the failed tasks, with error type and message ----
landing = browse("1-session", prefix + "/")
table = element(landing, "table", "tasks-FAILED")
if not table:
    fail("the session page has no failed-task table: %s" % landing[:1500])
    table = ""
for t in failed:
    row = next((r for r in table.split("<tr") if t["task_id"] in r), None)
    if not row:
        fail("failed task %s is not in the session page's table" % t["task_id"])
        continue
    if t.get("error_type") and t["error_type"] not in row:
        fail("failed task %s: no error type %s" % (t["task_id"], t["error_type"]))
    last = (t.get("error_message") or "").strip().splitlines()[-1][:80]
    if last and html.escape(last, quote=False) not in row.replace("&#39;", "'").replace("&quot;", '"'):
        fail("failed task %s: the message's last line %r is not shown" % (t["task_id"], last))
if "Showing 1\u20136 of 6 failed tasks" != text(element(landing, "p", "failed-count")).strip().rstrip(".") \
        and len(failed) == 6:
    fail("failed-task count: %r" % element(landing, "p", "failed-count"))
if '<th scope="col">Error type</th>' not in landing or "<caption>Failed tasks</caption>" not in landing:
    fail("the failed-task table lacks a caption or header cells")

# ---- 2. the failed task's page -------------------------------------------------
href = href_of(landing, story["name"])
if not href or story["task_id"] not in href:
    fail("no link to task %s on the session page" % story["task_id"])
    sys.exit(1)
task_url = urllib.parse.urljoin(prefix + "/", href)
tpage = browse("2-task", task_url)
want = {"task-id": story["task_id"], "task-state": "FAILED", "task-type": story["type"],
        "task-job": story["job_id"], "task-error-type": story["error_type"],
        "task-worker": story["worker_id"]}
for k, v in want.items():
    got = text(element(tpage, "dd", k)).strip()
    if got != v:
        fail("task page %s is %r, want %r" % (k, got, v))
if story["node_id"] not in text(element(tpage, "dd", "task-node")):
    fail("task page: node %s missing" % story["node_id"])
if text(element(tpage, "pre", "task-error")).strip() != story["error_message"].strip():
    fail("task page: error message %r" % text(element(tpage, "pre", "task-error"))[:300])
trs = re.findall(r"<tr><td>([A-Z_]+)</td><td>([^<]+)</td></tr>", element(tpage, "table", "transitions") or "")
if not trs or trs[-1][0] != "FAILED" or "RUNNING" not in [s for s, _ in trs]:
    fail("task page transitions: %r" % trs)
if 'class="skip" href="#main"' not in tpage or 'aria-label="Breadcrumb"' not in tpage:
    fail("task page: no skip link or labelled navigation")

# ---- 3. its stderr in the built-in viewer ----------------------------------------
href = href_of(tpage, "stderr")
if not href:
    fail("task page has no stderr link: %s" % element(tpage, "ul", "task-logs"))
    sys.exit(1)
log_url = urllib.parse.urljoin(task_url, href)
lpage = browse("3-stderr", log_url)
info = story["task_log_info"]
name = os.path.basename(info["stderr_file"])
logs = os.path.join(gendir, next(n for n in truth["node_dirs"] if n["node_id"] == story["node_id"])["session_dir"], "logs")
path = os.path.join(logs, name) if os.path.exists(os.path.join(logs, name)) else os.path.join(logs, "old", name)
data = open(path, "rb").read()
want = data[info.get("stderr_start") or 0:info.get("stderr_end")].decode()
got = text(element(lpage, "pre", "log"))
if got != want or "Traceback (most recent call last)" not in got:
    fail("the stderr page shows %r, want %r" % (got[-300:], want[-300:]))

# ---- 4. at SESSION@TIME: before the task failed, it had not --------------------
ev = {e["state"]: e["created_ms"] for e in story.get("events", [])}
if "RUNNING" in ev and "FAILED" in ev and ev["FAILED"] > ev["RUNNING"] + 2:
    at_ms = (ev["RUNNING"] + ev["FAILED"]) // 2
    at = datetime.datetime.fromtimestamp(at_ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (at_ms % 1000)
    at_prefix = "%s/c/default/rc1/%s@%s" % (base, session, urllib.parse.quote(at))
    lat = browse("4-session-at", at_prefix + "/")
    if story["task_id"] in (element(lat, "table", "tasks-FAILED") or ""):
        fail("at %s, before it failed, task %s is listed as failed" % (at, story["task_id"]))
    if 'id="at"' not in lat:
        fail("the session page at %s does not say which instant it shows" % at)
    tat = browse("5-task-at", urllib.parse.urljoin(at_prefix + "/", href_of(landing, story["name"])))
    if text(element(tat, "dd", "task-state")).strip() != "RUNNING" or element(tat, "pre", "task-error"):
        fail("task page at %s: state %r, error %r" % (at, element(tat, "dd", "task-state"),
                                                     element(tat, "pre", "task-error")))
else:
    fail("story task has no RUNNING and FAILED times: %r" % ev)

# ---- 5. the viewer pages through a log: every line once ------------------------
raylet = open(os.path.join(gendir, head["session_dir"], "logs", "raylet.out"), "rb").read()
url = prefix + "/rayhist/log?node_id=%s&filename=raylet.out&bytes=2048&offset=0" % head["node_id"]
got, pages = b"", 0
while url and pages < 1000:
    st, page = http(url)
    if st != 200:
        fail("log page %s: %d" % (url, st))
        break
    got += text(element(page, "pre", "log")).encode()
    pages += 1
    if pages == 2 and not re.search(r'<p id="log-count">Bytes \d+&ndash;\d+ of 0&ndash;%d' % len(raylet), page):
        fail("log page count: %r" % element(page, "p", "log-count"))
    nxt = href_of(page, "Next page")
    url = urllib.parse.urljoin(url, nxt) if nxt else None
if got != raylet or pages < len(raylet) // 2048:
    fail("paging raylet.out by 2048 bytes: %d pages, %d bytes, want %d" % (pages, len(got), len(raylet)))
st, page = http(prefix + "/rayhist/log?node_id=%s&filename=raylet.out&bytes=2048" % head["node_id"])
if not raylet.endswith(text(element(page, "pre", "log")).encode()) or not href_of(page, "Previous page"):
    fail("the viewer without offset does not show the last page")

# ---- 6. every log file, logs/old/ too, with a count ----------------------------
nold = 0
for nd in truth["node_dirs"]:
    ul = element(landing, "ul", "files-" + nd["node_id"]) or ""
    listed = set(text(a) for a in re.findall(r"<a [^>]*>(.*?)</a>", ul))
    old = os.path.join(gendir, nd["session_dir"], "logs", "old")
    for f in sorted(os.listdir(old)) if os.path.isdir(old) else []:
        nold += 1
        if "old/" + f not in listed:
            fail("node %s: logs/old/%s is not listed" % (nd["node_id"], f))
    cnt = text(element(landing, "p", nd["node_id"] + "-count"))
    if "of %d log files" % len(listed) not in cnt:
        fail("node %s: count %r for %d files" % (nd["node_id"], cnt, len(listed)))
if not nold:
    fail("the generated session has no logs/old/ files")
st, page = http(prefix + "/rayhist/files?node_id=%s&offset=1" % head["node_id"])
if st != 200 or not re.search(r"Showing 2&ndash;\d+ of \d+ log files", page) or not href_of(page, "Previous page"):
    fail("files page from offset 1: %d %r" % (st, element(page, "p", head["node_id"] + "-count")))

# ---- 7. tasks.txt?state=, tasks pages, a missing task ------------------------
st, txt = http(prefix + "/rayhist/tasks.txt?state=FAILED")
rows = txt.strip().split("\n")[1:]
if st != 200 or len(rows) != len(failed) or any(" FAILED " not in r for r in rows):
    fail("tasks.txt?state=FAILED: %d %r" % (st, txt[:500]))
st, page = http(prefix + "/rayhist/tasks?limit=10")
ntasks = sum(1 for t in T["tasks"] if t["type"] != "DRIVER_TASK")
if st != 200 or "Showing 1&ndash;10 of %d tasks" % ntasks not in page or not href_of(page, "Next page"):
    fail("tasks page: %d %r" % (st, element(page, "p", "tasks-count")))
st, page = http(prefix + "/rayhist/task?task_id=" + "ab" * 24)
if st != 404 or 'role="alert"' not in page:
    fail("an unknown task: %d" % st)
st, page = http(prefix + "/rayhist/tasks?state=FAILD")
if st != 400:
    fail("tasks?state=FAILD: %d" % st)

# ---- 8. job and actor pages: the same way to their logs -----------------------
sub = next(j for j in T["jobs"] if j.get("submission_id") and j["status"] == "FAILED")
jobs = element(landing, "table", "jobs") or ""
href = href_of(jobs, sub["job_id"])
if not href:
    fail("the session page's job table has no link to job %s" % sub["job_id"])
else:
    job_url = urllib.parse.urljoin(prefix + "/", href)
    jpage = browse("6-job", job_url)
    for k, v in (("job-id", sub["job_id"]), ("job-submission", sub["submission_id"]),
                 ("job-status", "FAILED"), ("job-entrypoint", sub["entrypoint"])):
        if text(element(jpage, "dd", k)).strip() != v:
            fail("job page %s: %r, want %r" % (k, element(jpage, "dd", k), v))
    dl = href_of(jpage, "Driver log")
    node = sub.get("driver_node_id") or head["node_id"]
    ndir = next(n for n in truth["node_dirs"] if n["node_id"] == node)["session_dir"]
    driver = open(os.path.join(gendir, ndir, "logs", "job-driver-%s.log" % sub["submission_id"]), "rb").read()
    st, page = http(urllib.parse.urljoin(job_url, dl or "none"))
    if st != 200 or not driver.endswith(text(element(page, "pre", "log")).encode()) or \
            not text(element(page, "pre", "log")):
        fail("the job's driver log page: %d %r" % (st, element(page, "pre", "log")))
    if sub["job_id"] not in (element(jpage, "table", "tasks-job_id") or ""):
        fail("the job page lists no tasks of job %s" % sub["job_id"])
creation = next(t for t in failed if t["type"] == "ACTOR_CREATION_TASK")
st, tp = http(prefix + "/rayhist/task?task_id=" + creation["task_id"])
actor_href = href_of(tp, "its actor")
if st != 200 or not actor_href:
    fail("the failed actor creation task's page has no actor link")
else:
    actor_url = urllib.parse.urljoin(prefix + "/rayhist/task", actor_href)
    st, ap = http(actor_url)
    if text(element(ap, "dd", "actor-state")).strip() != "DEAD" or \
            creation["error_message"].splitlines()[-1] not in text(element(ap, "pre", "actor-death")):
        fail("actor page: state %r, death %r" % (element(ap, "dd", "actor-state"),
                                                  element(ap, "pre", "actor-death")))
    st, lp = http(urllib.parse.urljoin(actor_url, href_of(ap, "stderr") or "none"))
    if st != 200 or "Traceback (most recent call last)" not in text(element(lp, "pre", "log")):
        fail("the actor's stderr page: %d %r" % (st, element(lp, "pre", "log")))
st, page = http(prefix + "/rayhist/actors")
if st != 200 or "Showing 1&ndash;%d of %d actors" % (len(T["actors"]), len(T["actors"])) not in page:
    fail("actors page: %d %r" % (st, element(page, "p", "actors-count")))

if failures:
    sys.exit(1)
print("PASS: serve_pages (%d failed tasks, %d pages of raylet.out, %d logs/old files)"
      % (len(failed), pages, nold))
