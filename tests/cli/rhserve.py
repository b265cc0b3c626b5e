"""Shared helpers of the rayhist-serve tests (tests/cli/serve_*.sh).

Starts bin/rayhist-serve on a free loopback port (--listen 127.0.0.1:0,
the port is read from its first line of output), sends HTTP requests with the
standard library only, and stops the server at the end. Python 3 stdlib.
"""

import gzip
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time

FAILURES = []


def fail(msg):
    """Record a failed check; the test exits 1 at the end (see finish())."""
    FAILURES.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish(name):
    if FAILURES:
        print("%s: %d check(s) failed" % (name, len(FAILURES)), file=sys.stderr)
        sys.exit(1)
    print("PASS: " + name)
    sys.exit(0)


class Server:
    """A running rayhist-serve; use as a context manager."""

    def __init__(self, store, *args):
        builddir = os.environ.get("top_builddir", ".")
        self.binary = os.path.join(builddir, "bin", "rayhist-serve")
        self.args = [self.binary, "--store", store, "--listen", "127.0.0.1:0", "-q"] + list(args)
        self.proc = None
        self.port = None
        self.stderr = None

    def __enter__(self):
        self.stderr = open(os.environ.get("RH_SERVE_LOG", os.devnull), "ab")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.stderr)
        line = self.proc.stdout.readline().decode("utf-8", "replace")
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise SystemExit("rayhist-serve did not start: %r" % line)
        self.port = int(m.group(1))
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                rc = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
                fail("rayhist-serve did not stop on SIGTERM")
            if rc != 0:
                fail("rayhist-serve exited %d after SIGTERM" % rc)
        if self.stderr:
            self.stderr.close()
        return False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, target, method="GET", headers=None, body=None, timeout=30):
        """Send `target` exactly as given (no normalisation); returns
        (status, headers dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            hdrs = {}
            for k, v in r.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + "\n" + v if k in hdrs else v
            if hdrs.get("content-encoding") == "gzip":
                data = gzip.decompress(data)
            return r.status, hdrs, data
        finally:
            conn.close()

    def get(self, target, headers=None):
        return self.request(target, headers=headers)

    def get_json(self, target, status=200, headers=None):
        """GET and parse JSON; records a failure for another status."""
        st, hdrs, body = self.request(target, headers=headers)
        check(st == status, "%s: status %d, expected %d: %.300r" % (target, st, status, body))
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError:
            fail("%s: not JSON: %.300r" % (target, body))
            return None

    def wait_ready(self, base, timeout=120):
        """Poll a session until it stops answering 202 (preparing)."""
        deadline = time.time() + timeout
        seen_202 = False
        while time.time() < deadline:
            st, hdrs, body = self.request(base + "api/jobs/")
            if st != 202:
                return seen_202
            seen_202 = True
            check("retry-after" in hdrs, "202 without Retry-After")
            time.sleep(0.2)
        raise SystemExit("session %s still preparing after %ds" % (base, timeout))


def dig(obj, path):
    """obj["a"]["b"][0]... by a dotted path; None when missing."""
    for part in path.split("."):
        if isinstance(obj, list):
            try:
                obj = obj[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(obj, dict):
            if part not in obj:
                return None
            obj = obj[part]
        else:
            return None
    return obj


def session_base(truth, ns="default", cluster="rc1"):
    return "/c/%s/%s/%s/" % (ns, cluster, truth["session"]["name"])


def rss_kib(pid):
    """Resident memory of process `pid` in KiB (/proc/PID/status VmRSS)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS for %d" % pid)


def raw_get(port, target, rcvbuf=None):
    """A connection that sends a GET and never reads the answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target).encode())
    return s


def stalled_readers(srv, target, base, n=20, polls=30, rcvbuf=4096):
    """`n` clients GET `target` and never read; the server's RSS is sampled
    every 0.1 s `polls` times, and another request must still be answered
    meanwhile. Returns (RSS before, peak RSS) in KiB; the clients are gone."""
    pid = srv.proc.pid
    before = rss_kib(pid)
    socks = [raw_get(srv.port, target, rcvbuf=rcvbuf) for _ in range(n)]
    peak = before
    for _ in range(polls):
        time.sleep(0.1)
        peak = max(peak, rss_kib(pid))
    st, h, body = srv.request(base + "api/jobs/")
    check(st == 200, "other requests wait behind %d stalled readers: %d" % (n, st))
    for s in socks:
        s.close()
    return before, peak
