"""Every field of every public struct in the headers below is documented in
a man page (as .Va NAME) that also names the struct: the structs a C caller
fills or reads (rh_query_options, rh_task_row, rh_capture_stats, ...).

usage: man_fields.py SRCDIR
"""

import glob
import os
import re
import sys

top = sys.argv[1]
HEADERS = ["history.h", "common.h", "buf.h", "events.h", "store.h", "capture.h", "follow.h",
           "dashboard.h", "catalog.h", "archive.h", "search.h", "retention.h"]
pages = []  # (text, names documented with .Va)
for f in sorted(glob.glob(os.path.join(top, "man", "*"))):
    text = open(f).read()
    documented = set()
    for line in text.split("\n"):
        # ".Va a , b , c No ...": every name up to the next macro
        for m in re.finditer(r"\bVa\s+(.*)", line):
            for tok in m.group(1).split():
                if tok in (",", ";", ".", ")", "("):
                    continue
                if not re.match(r"^[a-z_][a-z0-9_]*[,.;]?$", tok):
                    break
                documented.add(tok.rstrip(",.;"))
    pages.append((text, documented))


def declarators(decl):
    """The member names of one declaration: "type a, *b, c[4]" -> a, b, c."""
    out = []
    for i, d in enumerate(decl.split(",")):
        d = re.sub(r"\[[^\]]*\]", "", d).strip()
        m = re.search(r"(\w+)\s*$", d)
        if m and (i > 0 or len(d.split()) > 1 or d.startswith("}")):
            out.append(m.group(1))
    return out


missing, nfields = [], 0
for h in HEADERS:
    src = open(os.path.join(top, "include", "rayhist", h)).read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    for m in re.finditer(r"typedef struct (\w+) \{(.*?)\n\} (\w+);", src, re.S):
        body = m.group(2)
        sname = m.group(3)
        docs = set()
        for text, documented in pages:
            if re.search(r"\b%s\b" % sname, text):
                docs |= documented
        for f in [n for decl in re.findall(r"([^;{}]*);", body)
                  for n in declarators(decl)]:
            nfields += 1
            if f not in docs:
                missing.append("%s: %s.%s" % (h, m.group(3), f))
if nfields < 150:
    sys.exit("FAIL: only %d struct fields found: the header parser broke" % nfields)
if missing:
    sys.exit("FAIL: struct fields without a man page (.Va NAME):\n  " + "\n  ".join(missing))
print("PASS: man_fields (%d fields)" % nfields)
