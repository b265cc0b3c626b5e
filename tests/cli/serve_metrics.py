"""/metrics, health paths and the JSON access log of rayhist-serve (run by
serve_metrics.sh). argv: STORE GEN_DIR TMP_DIR."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from rhserve import check, fail, finish, session_base

STORE, GEN, TMP = sys.argv[1:4]
with open(os.path.join(GEN, "truth.json")) as f:
    TRUTH = json.load(f)
BASE = session_base(TRUTH)


def get(port, target, method="GET"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, target),
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not check(m, "not a sample line: %r" % line):
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(s, name, **labels):
    return s.get((name, frozenset(labels.items())))


builddir = os.environ.get("top_builddir", ".")
logpath = os.path.join(TMP, "serve.err")
with open(logpath, "wb") as errf:
    srv = subprocess.Popen(
        [os.path.join(builddir, "bin", "rayhist-serve"), "--store", STORE,
         "--listen", "127.0.0.1:0", "--access-log", "json"],
        stdout=subprocess.PIPE, stderr=errf)
prom = None
try:
    m = re.search(r":(\d+)/", srv.stdout.readline().decode())
    if not m:
        raise SystemExit("rayhist-serve did not start")
    port = int(m.group(1))

    for path in ("/livez", "/readyz", "/readz"):
        st, h, body = get(port, path)
        check(st == 200 and body == b"ok\n", "%s: %d %r" % (path, st, body))
    st, h, body = get(port, "/readyz", "HEAD")
    check(st == 200 and body == b"", "HEAD /readyz: %d" % st)
    # Index the session, then ask twice: the second answer is a kept one.
    deadline = time.time() + 120
    while get(port, BASE + "api/jobs/")[0] == 202 and time.time() < deadline:
        time.sleep(0.2)
    for _ in range(2):
        st, h, body = get(port, BASE + "api/v0/tasks?limit=5")
        check(st == 200, "tasks: %d" % st)
    check(get(port, BASE + "api/v0/nodes/nope")[0] in (400, 404), "bad node")
    get(port, "/")

    st, h, body = get(port, "/metrics")
    check(st == 200, "/metrics: %d" % st)
    check(h.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          "/metrics Content-Type %r" % h.get("Content-Type"))
    text = body.decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=body,
                       capture_output=True)
    check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
          "promtool check metrics: rc %d %r %r" % (p.returncode, p.stdout, p.stderr))
    s = samples(text)
    check((value(s, "rayhist_http_requests_total", route="api", code="200") or 0) >= 3,
          "api 200 count: %r" % value(s, "rayhist_http_requests_total", route="api", code="200"))
    check(value(s, "rayhist_http_requests_total", route="health", code="200") == 4,
          "health 200 count: %r" % value(s, "rayhist_http_requests_total", route="health", code="200"))
    check(value(s, "rayhist_http_requests_total", route="picker", code="200") == 1,
          "picker count")
    check(value(s, "rayhist_answer_cache_requests_total", result="hit") >= 1,
          "no kept-answer hit counted")
    check(value(s, "rayhist_answer_cache_requests_total", result="miss") >= 1,
          "no kept-answer miss counted")
    check(value(s, "rayhist_sessions_indexed_total") >= 1, "sessions indexed")
    check(value(s, "rayhist_session_index_seconds_total") > 0, "index seconds")
    check(value(s, "rayhist_http_connections_open") >= 1, "open connections")
    check(value(s, "rayhist_http_request_duration_seconds_count", route="api")
          == value(s, "rayhist_http_request_duration_seconds_bucket", route="api", le="+Inf"),
          "histogram count != +Inf bucket")
    check(value(s, "rayhist_http_response_bytes_total", route="picker") > 0,
          "picker bytes")

    # Store calls by backend: the picker listed the store, the index read
    # its objects; only the backend in use shows, retries only for s3/az.
    backend = ("s3" if STORE.startswith("s3://") else
               "az" if STORE.startswith(("az://", "https://")) else "file")
    for verb in ("list", "get"):
        n = value(s, "rayhist_store_requests_total", backend=backend,
                  verb=verb, outcome="ok")
        check((n or 0) >= 1, "store %s %s ok: %r" % (backend, verb, n))
    check(all(dict(k[1]).get("backend") == backend for k in s
              if k[0].startswith("rayhist_store_")),
          "store lines of a backend not in use")
    check(any(k[0] == "rayhist_store_retries_total" for k in s) ==
          (backend != "file"), "retries lines for %s" % backend)
    lists = value(s, "rayhist_store_requests_total", backend=backend,
                  verb="list", outcome="ok")
    get(port, "/clusters?fresh=%d" % time.time())
    get(port, "/?fresh=%d" % time.time())
    s2 = samples(get(port, "/metrics")[2].decode())
    check((value(s2, "rayhist_store_requests_total", backend=backend,
                 verb="list", outcome="ok") or 0) > (lists or 0),
          "store list counter did not move")

    # What a scrape costs.
    t0 = time.time()
    for _ in range(200):
        get(port, "/metrics")
    per = (time.time() - t0) / 200
    print("/metrics: %d bytes, %.2f ms per scrape (200 scrapes, client "
          "included)" % (len(body), per * 1e3))

    # A real Prometheus scrapes it.
    pport = free_port()
    cfg = os.path.join(TMP, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                "  - job_name: rayhist\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    with open(os.path.join(TMP, "prometheus.log"), "wb") as plog:
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + cfg,
             "--storage.tsdb.path=" + os.path.join(TMP, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % pport],
            stdout=plog, stderr=plog)
    found = None
    deadline = time.time() + 60
    q = "/api/v1/query?query=rayhist_http_requests_total%7Broute%3D%22metrics%22%7D"
    while time.time() < deadline and not found:
        time.sleep(1)
        try:
            st, h, body = get(pport, q)
        except OSError:
            continue
        if st == 200:
            r = json.loads(body)["data"]["result"]
            if r:
                found = r
        st2, h2, body2 = get(pport, "/api/v1/targets")
    check(found, "Prometheus did not scrape rayhist_http_requests_total within 60 s")
    if found:
        st, h, body = get(pport, "/api/v1/targets")
        t = json.loads(body)["data"]["activeTargets"]
        check(t and t[0]["health"] == "up" and not t[0]["lastError"],
              "Prometheus target: %r" % t)
        print("Prometheus scraped: %s, last scrape %.2f ms" % (
            found[0]["value"][1], t[0]["lastScrapeDuration"] * 1e3))
finally:
    if prom:
        prom.terminate()
        prom.wait(timeout=30)
    srv.terminate()
    check(srv.wait(timeout=20) == 0, "rayhist-serve did not exit 0")

lines = open(logpath, encoding="utf-8").read().splitlines()
seen = 0
for line in lines:
    if not line.startswith("{"):
        continue
    try:
        o = json.loads(line)
    except ValueError:
        fail("access log line is not JSON: %r" % line)
        continue
    seen += 1
    for k in ("time", "peer", "method", "target", "route", "status", "bytes", "ms", "cache"):
        check(k in o, "access log line without %s: %r" % (k, line))
check(seen >= 10, "only %d JSON access log lines" % seen)
check(any(json.loads(l).get("cache") is True for l in lines if l.startswith("{")),
      "no access log line says cache: true")
finish("serve_metrics")
