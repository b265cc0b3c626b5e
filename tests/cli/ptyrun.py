"""stderr_of(): run a program with its stderr on a pseudo-terminal or a
pipe, for the tests of progress meters (which draw only on a terminal)."""
import os
import pty
import subprocess


def stderr_of(args, tty):
    """(exit status, stderr bytes) of `args`, stdout discarded; with `tty`
    stderr is a pty, read until the child closes it."""
    if not tty:
        p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return p.returncode, p.stderr
    m, s = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=s)
    os.close(s)
    out = b""
    while True:
        try:
            d = os.read(m, 65536)
        except OSError:  # EIO once the child closed its end
            break
        if not d:
            break
        out += d
    os.close(m)
    return p.wait(), out
