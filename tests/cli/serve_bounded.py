"""rayhist-serve with clients that misbehave (run by serve_bounded.sh).

argv: STORE SESSION_DIR DASHBOARD_DIR. The store holds one session,
default/big, whose node 0f69... captured logs/big.log (100 MB, with colour
codes). Memory is read from /proc/PID/status (VmRSS), CPU time from
/proc/PID/stat: figures of the process, not timings of the test.
"""

import os
import re
import resource
import socket
import subprocess
import sys
import time

from rhserve import Server, check, fail, finish, stalled_readers

STORE, SESSION_DIR, DASH = sys.argv[1:4]
NODE = "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
BASE = "/c/default/big/%s/" % os.path.basename(SESSION_DIR)
LOG = (BASE + "api/v0/logs/file?node_id=%s&filename=big.log&format=text"
       "&lines=-1" % NODE)
with open(os.path.join(SESSION_DIR, "logs", "big.log"), "rb") as f:
    BIG = f.read()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def streamed_bytes(srv):
    """Whole logs come back exact, streamed: text, leading_1, without
    colour codes (cut at piece boundaries), HEAD with the length."""
    st, h, body = srv.request(LOG, timeout=120)
    check(st == 200, "whole log: status %d" % st)
    check(body == BIG, "whole log: %d bytes differ from the %d written"
          % (len(body), len(BIG)))
    check(h.get("content-length") == str(len(BIG)),
          "whole log: Content-Length %r" % h.get("content-length"))
    st, h, body = srv.request(LOG.replace("format=text", "format=leading_1"),
                              timeout=120)
    check(st == 200 and body == b"1" + BIG,
          "leading_1: status %d, %d bytes" % (st, len(body)))
    st, h, body = srv.request(LOG + "&filter_ansi_code=true", timeout=120)
    want = re.sub(rb"\x1b\[[0-9;]+m", b"", BIG)
    check(st == 200 and body == want,
          "filter_ansi_code: status %d, %d bytes, want %d" % (st, len(body), len(want)))
    check(h.get("transfer-encoding") == "chunked",
          "filter_ansi_code: not chunked: %r" % h)
    st, h, body = srv.request(LOG + "&download_filename=big.txt", timeout=120)
    check(st == 200 and body == BIG and
          h.get("content-disposition") == "attachment; filename=big.txt",
          "download: status %d, headers %r" % (st, h))
    st, h, body = srv.request(LOG, method="HEAD")
    check(st == 200 and body == b"" and h.get("content-length") == str(len(BIG)),
          "HEAD: status %d, headers %r" % (st, h))
    # A tail is still an answer held whole, and exact.
    st, h, body = srv.request(LOG.replace("lines=-1", "lines=3"))
    check(st == 200 and body == b"".join(BIG.splitlines(True)[-3:]),
          "tail: status %d, %r" % (st, body[:200]))


def slow_readers(srv):
    """20 clients ask for the 100 MB log and never read: the server keeps a
    piece per client, not the log."""
    before, peak = stalled_readers(srv, LOG, BASE)
    print("20 non-reading clients of a %d MB log: RSS %d KiB before, peak %d KiB "
          "(+%d KiB)" % (len(BIG) >> 20, before, peak, peak - before))
    check(peak - before < 32 * 1024,
          "20 stalled readers of a 100 MB log grew the server by %d KiB"
          % (peak - before))


def fifo(srv):
    """A FIFO in --dashboard-dir is not a file to serve: 404 at once, and
    the workers stay free."""
    st, h, body = srv.request(BASE + "static/pipe.js", timeout=20)
    check(st == 404, "FIFO in the dashboard folder: status %d" % st)
    st, h, body = srv.request("/livez", timeout=5)
    check(st == 200, "/livez after the FIFO: %d" % st)


def closed(s):
    """Has the server closed this connection (non-blocking check)?"""
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def slow_senders(srv):
    """100 connections that send one header byte a second are shut down at
    the request deadline (--request-timeout 2), while others are served."""
    pid = srv.proc.pid
    fds_before = open_fds(pid)
    req = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60
    socks = []
    for _ in range(100):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.setblocking(False)
        socks.append(s)
    open_at = [None] * len(socks)
    start = time.time()
    for sec in range(12):
        for i, s in enumerate(socks):
            if open_at[i] is not None:
                continue
            if closed(s):
                open_at[i] = time.time() - start
                continue
            try:
                s.send(req[sec:sec + 1])
            except OSError:
                open_at[i] = time.time() - start
        if all(t is not None for t in open_at):
            break
        if sec == 1:
            st, h, body = srv.request("/livez", timeout=5)
            check(st == 200, "/livez beside 100 slow senders: %d" % st)
        time.sleep(1)
    n_closed = sum(t is not None for t in open_at)
    print("slow senders: %d of 100 closed by the server, the last after %.1f s"
          % (n_closed, max([t for t in open_at if t is not None] or [0])))
    check(n_closed == 100, "only %d of 100 one-byte-a-second senders were "
          "closed within 12 s (deadline 2 s)" % n_closed)
    for s in socks:
        s.close()
    time.sleep(0.5)
    check(open_fds(pid) <= fds_before + 2, "fds after the slow senders: %d, "
          "before %d" % (open_fds(pid), fds_before))


def start_limited(args, log):
    """rayhist-serve under `ulimit -n 64`, stderr to `log`."""
    builddir = os.environ.get("top_builddir", ".")
    errf = open(log, "wb")
    proc = subprocess.Popen(
        [os.path.join(builddir, "bin", "rayhist-serve"), "--store", STORE,
         "--listen", "127.0.0.1:0", "-q", "--request-timeout", "2"] + args,
        stdout=subprocess.PIPE, stderr=errf,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    errf.close()
    line = proc.stdout.readline().decode()
    m = re.search(r":(\d+)/", line)
    if not m:
        proc.kill()
        raise SystemExit("rayhist-serve did not start: %r" % line)
    return proc, int(m.group(1))


def fd_limit(label, args):
    """100 idle connections against a server limited to 64 open files: it
    neither spins nor floods its log, and serves again once they go."""
    log = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       "serve_bounded.%d.err" % os.getpid())
    proc, port = start_limited(args, log)
    try:
        socks = []
        for _ in range(100):
            socks.append(socket.create_connection(("127.0.0.1", port)))
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(3)
        cpu = cpu_seconds(proc.pid) - cpu0
        # Idle connections reach the request deadline and make room: a
        # request made now is answered, whatever waits in the backlog.
        c = socket.create_connection(("127.0.0.1", port), timeout=15)
        c.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = c.recv(4096)
        except OSError as e:
            answer = repr(e).encode()
        c.close()
        for s in socks:
            s.close()
        size = os.path.getsize(log)
        with open(log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        print("fd limit (%s): %.2f s CPU in 3 s with 100 connections held, "
              "%d bytes of log" % (label, cpu, size))
        check(cpu < 0.5, "%s: %.2f s of CPU in 3 s at the fd limit" % (label, cpu))
        check(size < 2048, "%s: %d bytes logged at the fd limit: %.300r"
              % (label, size, text))
        check(answer.startswith(b"HTTP/1.1 200"),
              "%s: no answer at the fd limit once idle connections timed "
              "out: %r" % (label, answer[:100]))
        return text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        os.unlink(log)


with Server(STORE, "--dashboard-dir", DASH, "--threads", "2",
            "--request-timeout", "2") as srv:
    srv.wait_ready(BASE)
    streamed_bytes(srv)
    slow_readers(srv)
    fifo(srv)
    slow_senders(srv)

# The default cap (3/4 of 64) stops accepting before the fds run out.
fd_limit("default cap", [])
# A cap above the limit: accept() fails with EMFILE and is paused.
text = fd_limit("cap above the limit", ["--max-connections", "1000"])
check("accept: Too many open files" in text,
      "no message about the accept() failure: %r" % text)

finish("serve_bounded")
