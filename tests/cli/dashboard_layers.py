"""The dashboard's files call and include only downwards (issue 16).

Reads the symbols of the built dashboard objects with nm: a file that calls
a function another dashboard file defines points at it. The test fails on
any circle of such arrows (the router and the route files used to call each
other), and on a reply-layer file (dashboard_json, dashboard_reply, dashboard_query)
calling anything above it. It also checks that each internal dashboard
header includes only headers below it, in the order
  dashboard_json.h < dashboard_reply.h < dashboard_internal.h
    < dashboard_html.h < dashboard_routes.h, dashboard_pages.h
usage: dashboard_layers.py TOP_SRCDIR TOP_BUILDDIR
"""
import glob
import os
import re
import subprocess
import sys

srcdir, builddir = sys.argv[1:3]
fails = []
objs = sorted(glob.glob(os.path.join(builddir, "lib", "librayhist_core_la-dashboard*.o")))
if len(objs) < 10:
    print("FAIL: found %d dashboard objects under %s/lib" % (len(objs), builddir))
    sys.exit(1)


def name(o):
    return os.path.basename(o)[len("librayhist_core_la-"):-2]


defs, uses = {}, {}
for o in objs:
    out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
    uses[name(o)] = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDRB":
            defs[f[2]] = name(o)
        elif len(f) == 2 and f[0] == "U":
            uses[name(o)].add(f[1])
edges = {a: {defs[s] for s in uses[a] if s in defs and defs[s] != a} for a in uses}

# circles: depth-first search for a back edge
state, stack = {}, []


def visit(v):
    state[v] = 1
    stack.append(v)
    for w in sorted(edges[v]):
        if state.get(w) == 1:
            fails.append("circle: " + " -> ".join(stack[stack.index(w):] + [w]))
        elif w not in state:
            visit(w)
    stack.pop()
    state[v] = 2


for v in sorted(edges):
    if v not in state:
        visit(v)

bottom = {"dashboard_json": 0, "dashboard_query": 1, "dashboard_reply": 1}
for a, lvl in bottom.items():
    for b in sorted(edges.get(a, ())):
        if bottom.get(b, 99) > lvl:
            fails.append("%s (reply layer) calls up into %s" % (a, b))

order = {"dashboard_json.h": 0, "dashboard_reply.h": 1, "dashboard_internal.h": 2,
         "dashboard_html.h": 3, "dashboard_routes.h": 4, "dashboard_pages.h": 5}
for h, lvl in order.items():
    p = os.path.join(srcdir, "lib", h)
    if not os.path.exists(p):
        fails.append("lib/%s is missing" % h)
        continue
    text = open(p).read()
    for inc in re.findall(r'#include "(dashboard\w*\.h)"', text):
        if order.get(inc, 99) >= lvl:
            fails.append("%s includes %s, which is not below it" % (h, inc))
for f in ("dashboard_json.c", "dashboard_reply.c", "dashboard_query.c"):
    p = os.path.join(srcdir, "lib", f)
    if os.path.exists(p):
        for inc in re.findall(r'#include "(dashboard\w*\.h)"', open(p).read()):
            if order.get(inc, 99) > 1:
                fails.append("%s (reply layer) includes %s" % (f, inc))

for m in fails:
    print("FAIL: " + m)
if fails:
    sys.exit(1)
print("%d dashboard objects, %d arrows, no circle, none pointing up" %
      (len(objs), sum(len(e) for e in edges.values())))
