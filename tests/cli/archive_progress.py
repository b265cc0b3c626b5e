"""Progress meters of rayhist-ls --export, rayhist-collect --archive and
rayhist-ls --grep: on a terminal (a pty) one line redrawn in place (bytes,
rate; for an import from a file also its total, percent and ETA; for a
search bytes and files of all), its final state always drawn and erased at
the end (a search's before each match printed); never in a pipe or with -q.

usage: archive_progress.py RAYHIST_LS RAYHIST_COLLECT STORE SESSION_PATH TMPDIR
"""

import os
import re
import sys

from ptyrun import stderr_of

ls, collect, store, path, tmp = sys.argv[1:6]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, file=sys.stderr)


def run(args, tty):
    return stderr_of(args, tty)


SIZE = rb"[0-9.]+ (?:B|KiB|MiB|GiB)"


def check_meter(what, err, line_re, label):
    """Meter lines as line_re; each erased or redrawn; returns the matches."""
    lines = [m for m in re.finditer(line_re, err)]
    if not lines:
        fail("%s: no meter on a terminal: %r" % (what, err[:400]))
        return lines
    for m in re.finditer(rb"\r" + label + rb": [^\x1b]*\x1b\[K", err):
        if not err[m.end():].startswith((b"\r\x1b[K", b"\r" + label + b": ")):
            fail("%s: a meter line is not erased before %r" % (what, err[m.end():m.end() + 80]))
            break
    if not err.rstrip(b"\n").endswith(b"\r\x1b[K") and b"\r\x1b[K" not in err:
        fail("%s: the meter is never erased" % what)
    return lines


# export: bytes written (the archive is compressed: no total)
archive = os.path.join(tmp, "progress-export.tar.gz")
rc, err = run([ls, "--store", store, "--export", archive, path], True)
if rc:
    fail("export on a pty exited %d: %r" % (rc, err[:300]))
lines = check_meter("export", err, rb"\rexporting: (" + SIZE + rb"), " + SIZE + rb"/s\x1b\[K",
                    b"exporting")
size = os.path.getsize(archive) if os.path.exists(archive) else -1
if lines:
    last = lines[-1].group(1).decode()
    num, unit = last.split()
    mult = {"B": 1, "KiB": 1024, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
    # the final state is drawn: the archive's whole size (to the meter's 0.1)
    if abs(float(num) * mult - size) > max(0.05 * mult, 1) + 0.05 * mult:
        fail("export: last meter %r is not the archive's %d bytes" % (last, size))
for args, tty, what in (([], False, "a pipe"), (["-q"], True, "-q")):
    out = os.path.join(tmp, "progress-export-%d.tar.gz" % len(args))
    rc, err = run([ls, "--store", store] + args + ["--export", out, path], tty)
    if rc or b"exporting" in err or b"\x1b" in err:
        fail("export: a meter with %s: %d %r" % (what, rc, err[:300]))

# import of that archive from a file: its size is the total
rc, err = run([collect, "--store", os.path.join(tmp, "progress-import"), "--cluster", "imp",
               "--archive", archive], True)
if rc:
    fail("import on a pty exited %d: %r" % (rc, err[:300]))
lines = check_meter("import", err, rb"\rimporting archive: " + SIZE + rb" of " + SIZE +
                    rb" \((\d+)%\)(?:, " + SIZE + rb"/s(?:, ETA \d+:\d\d)?|, - B/s, ETA -)\x1b\[K",
                    b"importing archive")
if lines and int(lines[-1].group(1)) != 100:
    fail("import: the final state (100%%) is not drawn: %r" % lines[-1].group(0))
for args, tty, what in (([], False, "a pipe"), (["-q"], True, "-q")):
    rc, err = run([collect, "--store", os.path.join(tmp, "progress-import-%s" % what[0]),
                   "--cluster", "imp"] + args + ["--archive", archive], tty)
    if rc or b"importing archive" in err or b"\x1b" in err:
        fail("import: a meter with %s: %d %r" % (what, rc, err[:300]))
# search: bytes and files of the session searched, of all
rc, err = run([ls, "--store", store, "--grep", "raylet", path], True)
if rc:
    fail("grep on a pty exited %d: %r" % (rc, err[:300]))
lines = check_meter("grep", err, rb"\rsearching: " + SIZE + rb" of " + SIZE + rb" \((\d+)%\), "
                    rb"(\d+) of (\d+) files(?:, " + SIZE + rb"/s(?:, ETA \d+:\d\d)?|, - B/s, ETA -)\x1b\[K",
                    b"searching")
if lines:
    last = lines[-1]
    if int(last.group(1)) != 100 or last.group(2) != last.group(3) or int(last.group(3)) < 2:
        fail("grep: the final state (every file) is not drawn: %r" % last.group(0))
for args, tty, what in (([], False, "a pipe"), (["-q"], True, "-q")):
    rc, err = run([ls, "--store", store] + args + ["--grep", "raylet", path], tty)
    if rc or b"searching" in err or b"\x1b" in err:
        fail("grep: a meter with %s: %d %r" % (what, rc, err[:300]))
if failures:
    sys.exit(1)
print("PASS: archive_progress (export %d bytes)" % size)
