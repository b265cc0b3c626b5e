"""rayhist-ls's progress meter while it builds a session's index: on a
terminal (a pty) one line redrawn in place with bytes, files, rate and ETA,
erased before the listing; never in a pipe, never with -q, and not when the
index is already up to date.

usage: ls_progress.py RAYHIST_LS STORE_DIR SESSION_PATH
"""

import os
import re
import shutil
import sys

from ptyrun import stderr_of

ls, store, path = sys.argv[1], sys.argv[2], sys.argv[3]
index_dir = os.path.join(store, path, "index")
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def run(args, tty):
    """stderr of rayhist-ls, on a pty or a pipe."""
    return stderr_of([ls, "--store", store] + args, tty)


def fresh():
    shutil.rmtree(index_dir, ignore_errors=True)


LINE = re.compile(rb"\rindexing the session's events: [0-9.]+ (?:B|KiB|MiB) of [0-9.]+ (?:B|KiB|MiB) "
                  rb"\((\d+)%\), (\d+) of (\d+) files, (?:[0-9.]+ (?:B|KiB|MiB)/s|- B/s)"
                  rb"(?:, ETA (?:\d+:\d\d|-))?\x1b\[K")

fresh()
rc, err = run(["--tasks", "--limit", "1", path], True)
lines = LINE.findall(err)
if rc or not lines:
    fail("no meter on a terminal: %d %r" % (rc, err[:400]))
else:
    pct, done, total = lines[-1]
    if pct != b"100" or done != total or int(total) < 10:
        fail("the last meter line is not complete: %r" % (lines[-1],))
    last = err.rfind(b"\r\x1b[K")
    if last < 0 or b"indexing" in err[last:] or b"1 shown" not in err[last:]:
        fail("the meter is not erased before the listing's count: %r" % err[-300:])
rc, err = run(["--tasks", "--limit", "1", path], True)
if rc or b"indexing" in err:
    fail("a meter although the index was up to date: %r" % err[:300])
fresh()
rc, err = run(["--tasks", "--limit", "1", path], False)
if rc or b"indexing" in err or b"\x1b" in err:
    fail("a meter in a pipe: %r" % err[:300])
fresh()
rc, err = run(["-q", "--tasks", "--limit", "1", path], True)
if rc or b"indexing" in err:
    fail("a meter with -q: %r" % err[:300])

if failures:
    sys.exit(1)
print("PASS: ls_progress")
