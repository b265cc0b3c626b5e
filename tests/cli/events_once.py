#!/usr/bin/env python3
"""Check that a session's stored event objects hold every event of the given
aggregator batches exactly once (batches are packed into few objects; a
batch posted twice counts once) and nothing else.

usage: events_once.py EVENTS_DIR BATCH_FILE...
EVENTS_DIR is the session's events/ folder in a file:// store. Prints the
number of objects and events; exits 1 when they differ."""
import collections
import hashlib
import json
import os
import subprocess
import sys


def main():
    evdir, batches = sys.argv[1], sys.argv[2:]
    want = collections.Counter()
    seen = set()
    for b in batches:
        with open(b, "rb") as f:
            data = f.read()
        d = hashlib.sha256(data).hexdigest()
        if d in seen:
            continue
        seen.add(d)
        for ev in json.loads(data):
            want[json.dumps(ev, sort_keys=True)] += 1
    got = collections.Counter()
    names = sorted(n for n in os.listdir(evdir) if not n.startswith(".tmp-"))
    for n in names:
        r = subprocess.run(["zstd", "-dcq", os.path.join(evdir, n)],
                           stdout=subprocess.PIPE, check=True)
        for ev in json.loads(r.stdout):
            got[json.dumps(ev, sort_keys=True)] += 1
    print("%d objects, %d events" % (len(names), sum(got.values())))
    if got != want:
        sys.exit("events_once: stored %d events, want %d (%d too often, %d missing)"
                 % (sum(got.values()), sum(want.values()),
                    sum(1 for k, c in got.items() if c > want.get(k, 0)),
                    sum(1 for k, c in want.items() if got.get(k, 0) < c)))


main()
