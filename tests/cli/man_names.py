"""Every public header has a man page and every function it exports is
named in the NAME section of one (STYLE.md 6: one page per layer whose NAME
lists all its functions), and every page is installed (man_MANS).

usage: man_names.py SRCDIR
"""

import glob
import os
import re
import sys

top = sys.argv[1]
named = {}
for f in sorted(glob.glob(os.path.join(top, "man", "*.3"))):
    text = open(f).read()
    m = re.search(r"^\.Sh NAME\n(.*?)^\.Sh ", text, re.S | re.M)
    if not m:
        sys.exit("FAIL: %s has no NAME section" % f)
    for n in re.findall(r"^\.Nm (rh_\w+)", m.group(1), re.M):
        named.setdefault(n, os.path.basename(f))

problems, nfuncs = [], 0
for h in sorted(glob.glob(os.path.join(top, "include", "rayhist", "*.h"))):
    base = os.path.basename(h)
    if base == "rayhist.h":  # the umbrella: librayhist(3)
        continue
    src = re.sub(r"/\*.*?\*/", "", open(h).read(), flags=re.S)
    for fn in re.findall(r"RH_EXTERN[^;(]*?\b(rh_\w+)\s*\(", src, re.S):
        nfuncs += 1
        if fn not in named:
            problems.append("%s: %s is in no man page's NAME" % (base, fn))
if nfuncs < 150:
    sys.exit("FAIL: only %d public functions found: the header parser broke" % nfuncs)

am = open(os.path.join(top, "Makefile.am")).read()
for f in sorted(glob.glob(os.path.join(top, "man", "*.[1-9]"))):
    if not re.search(r"\bman/%s\b" % re.escape(os.path.basename(f)), am):
        problems.append("%s is not installed: add it to man_MANS" % f)

if problems:
    print("\n".join(problems))
    sys.exit("FAIL: %d man page gaps" % len(problems))
print("%d public functions named in man pages" % nfuncs)
