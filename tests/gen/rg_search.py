"""rg_search - log files that make a search go wrong if it cuts lines at the
wrong place (issue 14): bytes outside UTF-8, a NUL, a 3 MB single line,
a last line without '\\n', many short lines whose ends fall anywhere in a
frame, mixed case. Run as a script: python3 rg_search.py SESSION_DIR SEED."""
import os
import random
import sys


def add_search_files(session_dir, seed=14):
    rnd = random.Random(seed)
    logs = os.path.join(session_dir, "logs")
    os.makedirs(logs, exist_ok=True)
    words = [b"alpha", b"beta", b"needle", b"NeEdLe", b"haystack", b"ERROR",
             b"caf\xc3\xa9", b"caf\xe9", b"\xff\xfe", b"x12y", b"x1y", b"tab\there"]
    with open(os.path.join(logs, "search_many.log"), "wb") as f:
        for i in range(30000):
            n = rnd.randint(0, 9)
            line = b" ".join(rnd.choice(words) for _ in range(n))
            f.write(b"%d %s\n" % (i, line))
    with open(os.path.join(logs, "search_binary.log"), "wb") as f:
        f.write(b"plain line\n")
        f.write(b"latin1 caf\xe9 ERROR here\n")
        f.write(b"bytes \x80\x81\xfe\xff needle\n")
        f.write(b"nul \x00 in needle line\n")
        f.write(b"\n\n")
        f.write(b"CRLF needle line\r\n")
        f.write(b"last line without newline needle")
    with open(os.path.join(logs, "search_longline.log"), "wb") as f:
        f.write(b"before the long line\n")
        body = bytearray()
        while len(body) < 3 * 1024 * 1024:
            body += b"filler %08x " % rnd.getrandbits(32)
        mid = len(body) // 2
        body[mid:mid] = b" LONGNEEDLE_MID "
        body += b" LONGNEEDLE_END"
        f.write(bytes(body) + b"\n")
        f.write(b"after the long line LONGNEEDLE_AFTER\n")
    with open(os.path.join(logs, "search_empty.log"), "wb"):
        pass


if __name__ == "__main__":
    add_search_files(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 14)
