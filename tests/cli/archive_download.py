#!/usr/bin/env python3
"""archive_download.py STORE SESSION GEN BIGSTORE - rayhist-serve's session download.

- GET /c/NS/CLUSTER/SESSION/rayhist/download?format=zip|tar.zst|tar.gz
  [&node=ID] answers the archive rayhist-ls --export writes: every stored
  file byte for byte under NODE/SESSION/PATH, with Content-Disposition;
- @TIME, HEAD, bad format / node / session answer as they should;
- flat memory: on a session of BIGSTORE larger than the server's window, a
  client that stops reading leaves the server's RSS about where it was
  (the export waits; 11 MiB of buffers measured, 26 MiB under ASan: the
  window, a decompressed
  frame, the compressor), and then gets the whole archive; without the
  window the server holds all of it (about 50 MB here)."""
import io
import os
import socket
import subprocess
import sys
import tarfile
import time
import zipfile

from rhserve import Server, finish  # noqa: E402


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def originals(gen):
    """{node_id: session dir} of the generated nodes."""
    out = {}
    for n in os.listdir(gen):
        link = os.path.join(gen, n, "session_latest")
        if not os.path.islink(link):
            continue
        sdir = os.path.realpath(link)
        text = open(os.path.join(sdir, "logs", "raylet.out"), "rb").read()
        i = text.index(b"node_id=") + 8
        out[text[i:i + 56].decode()] = sdir
    return out


def check_members(names_and_data, nodes, session, only=None):
    seen = 0
    for name, data in names_and_data:
        if name.startswith("rayhist-export/"):
            continue
        node, sess, rel = name.split("/", 2)
        if sess != session:
            fail("member %s of another session" % name)
        if only and node != only:
            fail("member %s of another node" % name)
        want = open(os.path.join(nodes[node], rel), "rb").read()
        if want != data:
            fail("%s differs from the original" % name)
        seen += 1
    if seen < 20:
        fail("only %d files in the download" % seen)


def main():
    store, session, gen, big = sys.argv[1:5]
    nodes = originals(gen)
    base = "/c/default/rc1/%s/rayhist/download" % session
    with Server(store) as srv:
        st, h, body = srv.request(base + "?format=zip")
        if st != 200 or h.get("content-type") != "application/zip":
            fail("zip download: %d %r" % (st, h))
        if 'filename="%s.zip"' % session not in h.get("content-disposition", ""):
            fail("no Content-Disposition: %r" % h)
        z = zipfile.ZipFile(io.BytesIO(body))
        check_members(((n, z.read(n)) for n in z.namelist()), nodes, session)
        node = sorted(nodes)[0]
        st, h, body = srv.request(base + "?format=tar.gz&node=" + node[:8])
        if st != 200:
            fail("tar.gz node download: %d" % st)
        t = tarfile.open(fileobj=io.BytesIO(body), mode="r:gz")
        check_members(((m.name, t.extractfile(m).read()) for m in t.getmembers()
                       if m.isfile()), nodes, session, only=node)
        # the same bytes rayhist-ls --export writes (but the manifest's date)
        st, h, body = srv.request(base + "?format=tar.zst")
        if st != 200 or subprocess.run(["zstd", "-q", "-t"], input=body).returncode:
            fail("tar.zst download is not a valid zstd stream")
        st, h, _ = srv.request("/c/default/rc1/%s@+1/rayhist/download" % session, method="HEAD")
        if st != 200 or "zip" not in h.get("content-type", ""):
            fail("HEAD at an instant: %d %r" % (st, h))
        for target, want in ((base + "?format=rar", 400),
                             (base + "?node=xyz", 400),
                             (base + "?node=ffffffff", 404),
                             ("/c/default/rc1/session_nope/rayhist/download", 404),
                             ("/c/default/rc1/../x/rayhist/download", 400)):
            st, _, body = srv.request(target)
            if st != want:
                fail("%s: %d, expected %d (%r)" % (target, st, want, body[:200]))

    # flat memory: stop reading and watch the server
    with Server(big) as srv:
        bsession = os.listdir(os.path.join(big, "default", "rc1"))[0]
        time.sleep(0.3)
        before = rss_kb(srv.proc.pid)
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(("GET /c/default/rc1/%s/rayhist/download?format=tar.zst HTTP/1.1\r\n"
                   "Host: x\r\nConnection: close\r\n\r\n" % bsession).encode())
        got = s.recv(65536)
        time.sleep(4)  # the client reads nothing meanwhile
        during = rss_kb(srv.proc.pid)
        total = len(got)
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            total += len(b)
        s.close()
        grew = during - before
        print("download of %d bytes; server RSS %d KiB before, %d KiB while "
              "the client waited (+%d KiB)" % (total, before, during, grew))
        if total < 40 << 20:
            fail("the big download is only %d bytes: not larger than the window" % total)
        if grew > 36 << 10:
            fail("server memory grew by %d KiB while the client did not read" % grew)
    finish("archive_download")


main()
