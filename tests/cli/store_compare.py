#!/usr/bin/env python3
"""store_compare.py [--mtime-precision MS] A B - two file:// stores hold the same objects.

Every object key must be in both; blobs (.zst parts, event batches) must be
byte-identical (marks of --events imports aside: see walk()); JSON manifests equal after dropping the fields that date a
capture rather than describe the data (IGNORED below). Skips that an archive
cannot carry (sockets: tar and zip leave them out) are dropped from both
sides; --no-skips drops the skip lists altogether (an export holds files
only). --mtime-precision MS compares files' mtime_ms truncated to what the
archive kept (GNU tar: 1000; zip: 2000 DOS time, 1000 with the UT field). Exit 0 when equal, else 1 with every difference on stderr."""
import json
import os
import sys

# When the capture ran, not what it stored: differ between any two captures.
IGNORED = {"captured_ms", "updated_ms", "end_marked_ms", "heartbeat_ms"}


def walk(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            # An --events import's generation mark names a writer of its
            # own per run (a random id, so that two imports never share a
            # mark): two stores with the same data hold different ones.
            if os.path.basename(d) == "marks" and f.startswith("import-"):
                continue
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = p
    return out


PREC = 1
NO_SKIPS = False


def scrub(v):
    if isinstance(v, dict):
        r = {k: scrub(x) for k, x in v.items() if k not in IGNORED}
        if isinstance(r.get("mtime_ms"), int):
            r["mtime_ms"] //= PREC
        if isinstance(r.get("skipped"), list):
            r["skipped"] = [s for s in r["skipped"] if s.get("why") != "socket"]
            if NO_SKIPS:
                del r["skipped"]
        return r
    if isinstance(v, list):
        return [scrub(x) for x in v]
    return v


def main():
    global PREC, NO_SKIPS
    args = sys.argv[1:]
    while args and args[0].startswith("--"):
        if args[0] == "--mtime-precision":
            PREC = int(args[1])
            args = args[2:]
        elif args[0] == "--no-skips":
            NO_SKIPS = True
            args = args[1:]
        else:
            sys.exit("unknown option " + args[0])
    a, b = walk(args[0]), walk(args[1])
    bad = 0
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            print("only in %s: %s" % ("A" if k in a else "B", k), file=sys.stderr)
            bad += 1
            continue
        da = open(a[k], "rb").read()
        db = open(b[k], "rb").read()
        if k.endswith(".json") and not k.endswith(".json.zst"):
            ja = scrub(json.loads(da.decode("utf-8", "surrogateescape")))
            jb = scrub(json.loads(db.decode("utf-8", "surrogateescape")))
            if ja != jb:
                print("differs: %s\n  A %s\n  B %s" % (k, json.dumps(ja)[:400],
                      json.dumps(jb)[:400]), file=sys.stderr)
                bad += 1
        elif da != db:
            print("differs: %s" % k, file=sys.stderr)
            bad += 1
    print("%d objects compared, %d differences" % (len(set(a) | set(b)), bad))
    sys.exit(1 if bad else 0)


main()
