"""Every field of every public struct in the headers below is documented in
a man page (as .Va NAME): the structs a C caller fills or reads
(rh_query_options, rh_task_row, ...).

usage: man_fields.py SRCDIR
"""

import glob
import os
import re
import sys

top = sys.argv[1]
HEADERS = ["history.h", "common.h", "buf.h"]
man = "\n".join(open(f).read() for f in glob.glob(os.path.join(top, "man", "*")))
documented = set()
for line in man.split("\n"):
    # ".Va a , b , c No ...": every name up to the next macro
    for m in re.finditer(r"\bVa\s+(.*)", line):
        for tok in m.group(1).split():
            if tok in (",", ";", ".", ")", "("):
                continue
            if not re.match(r"^[a-z_][a-z0-9_]*[,.;]?$", tok):
                break
            documented.add(tok.rstrip(",.;"))
missing, nfields = [], 0
for h in HEADERS:
    src = open(os.path.join(top, "include", "rayhist", h)).read()
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    for m in re.finditer(r"typedef struct (\w+) \{(.*?)\n\} (\w+);", src, re.S):
        body = m.group(2)
        for f in re.findall(r"(\w+)\s*(?:\[[^\]]*\])?\s*;", body):
            nfields += 1
            if f not in documented:
                missing.append("%s: %s.%s" % (h, m.group(3), f))
if nfields < 150:
    sys.exit("FAIL: only %d struct fields found: the header parser broke" % nfields)
if missing:
    sys.exit("FAIL: struct fields without a man page (.Va NAME):\n  " + "\n  ".join(missing))
print("PASS: man_fields (%d fields)" % nfields)
