"""rayhist-collect's progress meter for a one-shot capture: on a terminal (a
pty) a line with bytes and files done of the session directory's totals,
rate and ETA, ending at 100% and erased before the summary; never in a
pipe or with -q.

usage: collect_progress.py RAYHIST_COLLECT SESSION_DIR TMPDIR
"""

import os
import re
import sys

from ptyrun import stderr_of

collect, session, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def run(store, extra, tty):
    args = [collect, "--store", os.path.join(tmp, store), "--cluster", "prog"] + extra + [session]
    return stderr_of(args, tty)


real = os.path.realpath(session)
nfiles = sum(1 for root, dirs, files in os.walk(real) for f in files
             if os.path.isfile(os.path.join(root, f)) and not os.path.islink(os.path.join(root, f)))
LINE = re.compile(rb"\rcapturing: [0-9.]+ (?:B|KiB|MiB) of [0-9.]+ (?:B|KiB|MiB) \((\d+)%\), "
                  rb"(\d+) of (\d+) files, (?:[0-9.]+ (?:B|KiB|MiB)/s|- B/s)(?:, ETA (?:\d+:\d\d|-))?\x1b\[K")
rc, err = run("s1", [], True)
lines = LINE.findall(err)
if rc or not lines:
    fail("no meter on a terminal: %d %r" % (rc, err[:400]))
else:
    totals = {int(t) for _, _, t in lines}
    if totals != {nfiles} and max(totals) < nfiles:
        fail("the meter's file total %r is not the directory's %d files" % (totals, nfiles))
    # every meter line is erased before anything else is written: a
    # warning never shares a line with it, and none is left at the end
    for m in re.finditer(rb"\rcapturing: [^\x1b]*\x1b\[K", err):
        if not err[m.end():].startswith((b"\r\x1b[K", b"\rcapturing: ")):
            fail("a meter line is not erased before %r" % err[m.end():m.end() + 80])
            break
    if int(lines[-1][1]) < 2:
        fail("the meter never advanced: %r" % (lines,))
rc, err = run("s2", [], False)
if rc or b"capturing:" in err or b"\x1b" in err:
    fail("a meter in a pipe: %r" % err[:300])
rc, err = run("s3", ["-q"], True)
if rc or b"capturing:" in err:
    fail("a meter with -q: %r" % err[:300])
if failures:
    sys.exit(1)
print("PASS: collect_progress (%d files)" % nfiles)
