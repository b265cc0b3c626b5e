#!/usr/bin/env python3
"""Check that a store holds a followed node exactly: every file of the session
directory (and of a graveyard of deleted files) reads back byte for byte with
rayhist-ls --cat, the manifest lists nothing else, and every part object is
named in the manifest and holds exactly the bytes the manifest says (nothing
stored twice, nothing stray). With --events, every event of every aggregator
batch is stored exactly once (batches are packed into few objects, each
named by its SHA-256).

usage: follow_check.py --ls RAYHIST_LS --store STORE --cluster C --session-dir D
                       [--objects DIR] [--graveyard G] [--events BATCH_DIR] [--ns NS]
STORE is what rayhist-ls reads (a folder or s3://); the objects are checked
in DIR (default: STORE, a folder), for s3:// a copy of the bucket's prefix.
Prints a one-line summary; exits 1 with the problems on stderr."""
import argparse
import collections
import hashlib
import json
import os
import re
import stat
import subprocess
import sys

problems = []


def bad(msg):
    problems.append(msg)


def node_id_of(sdir):
    with open(os.path.join(sdir, "logs", "raylet.out"), "rb") as f:
        m = re.search(rb"node_id=([0-9a-f]{56})", f.read(1 << 20))
    if not m:
        sys.exit("no node id in %s/logs/raylet.out" % sdir)
    return m.group(1).decode()


def disk_files(sdir):
    """Files a capture stores, with the path whose bytes they hold."""
    out = {}
    real_root = os.path.realpath(sdir)
    for dirpath, dirnames, filenames in os.walk(sdir):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, sdir)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(full)
                if not target.startswith(real_root + "/") or not os.path.isfile(target):
                    continue
            elif not stat.S_ISREG(st.st_mode):
                continue
            if rel.endswith(".lock"):
                continue
            out[rel] = full
    return out


def cat(args, node, rel):
    return subprocess.run([args.ls, "--store", args.store, "--cat",
                           "%s/%s/%s/%s/%s" % (args.ns, args.cluster, args.session, node, rel)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def unzstd_len(path):
    r = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE)
    if r.returncode != 0:
        bad("%s: not a valid .zst" % path)
    return len(r.stdout), r.stdout


def truncated_contents(args, rel):
    d = os.path.join(args.truncated, args.session, os.path.dirname(rel))
    base = os.path.basename(rel) + "."
    out = []
    if os.path.isdir(d):
        for name in os.listdir(d):
            if name.startswith(base) and name[len(base):].isdigit():
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ls", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--objects")
    ap.add_argument("--ns", default="default")
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--session-dir", required=True)
    ap.add_argument("--graveyard")
    ap.add_argument("--events")
    ap.add_argument("--truncated", help="follow_writer.py --truncated DIR")
    args = ap.parse_args()
    sdir = os.path.realpath(args.session_dir)
    args.session = os.path.basename(sdir)
    node = node_id_of(sdir)
    want = disk_files(sdir)
    if args.graveyard and os.path.isdir(args.graveyard):
        for dirpath, _, filenames in os.walk(args.graveyard):
            for name in filenames:
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, args.graveyard)
                if rel not in want:
                    want[rel] = full
    objects = args.objects or args.store
    nodedir = os.path.join(objects, args.ns, args.cluster, args.session, "nodes", node)
    with open(os.path.join(nodedir, "node.json")) as f:
        manifest = json.load(f)
    listed = {e["path"]: e for e in manifest["files"]}
    # earlier generations of files truncated in place: "PATH~N"
    gens = {}
    for rel in listed:
        m = re.match(r"(.*)~\d+$", rel)
        if rel not in want and m and args.truncated:
            gens[rel] = truncated_contents(args, m.group(1))
        elif rel not in want:
            bad("%s: in the manifest but not on disk" % rel)
    # object level: every part named, each exactly its length
    filesdir = os.path.join(nodedir, "files")
    found = {}
    for dirpath, _, filenames in os.walk(filesdir):
        for name in filenames:
            if name.startswith(".tmp-"):
                continue
            full = os.path.join(dirpath, name)
            found[os.path.relpath(full, filesdir)] = full
    named = set()
    total = nparts = 0
    for i, (rel, full) in enumerate(sorted(want.items())):
        with open(full, "rb") as f:
            data = f.read()
        total += len(data)
        e = listed.get(rel)
        if e is None:
            bad("%s: not in the manifest" % rel)
            continue
        obj = e.get("object", rel)
        got = b""
        for p in e["parts"]:
            key = "%s@%020d.zst" % (obj, p["offset"])
            named.add(key)
            nparts += 1
            if key not in found:
                bad("%s: missing part object %s" % (rel, key))
                continue
            n, raw = unzstd_len(found[key])
            if n != p["length"]:
                bad("part %s holds %d bytes, the manifest says %d" % (key, n, p["length"]))
            got += raw[:p["length"]]
        if got != data:
            bad("%s: stored %d bytes differ from the %d on disk" % (rel, len(got), len(data)))
        # the reader too: every moved file, and a sample of the rest
        if obj != rel or i % 10 == 0:
            r = cat(args, node, rel)
            if r.returncode != 0:
                bad("%s: cannot read back: %s" % (rel, r.stderr.decode().strip()))
            elif r.stdout != data:
                bad("%s: rayhist-ls --cat gives %d bytes, not the %d on disk"
                    % (rel, len(r.stdout), len(data)))
    for rel, olds in sorted(gens.items()):
        e = listed[rel]
        got = b""
        for p in e["parts"]:
            key = "%s@%020d.zst" % (e.get("object", rel), p["offset"])
            named.add(key)
            if key not in found:
                bad("%s: missing part object %s" % (rel, key))
                continue
            n, raw = unzstd_len(found[key])
            # a killed run may have rewritten it longer, never shorter
            if n < p["length"]:
                bad("part %s holds %d bytes, the manifest says %d" % (key, n, p["length"]))
            got += raw[:p["length"]]
        # bytes written just before a truncation may never be shipped:
        # a generation is a prefix of what the file held
        if not got or not any(o.startswith(got) for o in olds):
            bad("%s: %d stored bytes are no earlier content of the file" % (rel, len(got)))
        r = cat(args, node, rel)
        if r.returncode != 0:
            bad("%s: cannot read back: %s" % (rel, r.stderr.decode().strip()))
        elif r.stdout != got:
            bad("%s: rayhist-ls --cat gives %d bytes, not the generation's %d (parts %s)"
                % (rel, len(r.stdout), len(got), e["parts"]))
    for key in sorted(found):
        if key not in named:
            bad("stray part object %s" % key)
    nbatches = 0
    if args.events:
        # Batches are packed into few objects (each a JSON array of the
        # events of consecutive batches): every event of every distinct
        # batch must be stored exactly once, and nothing else.
        evdir = os.path.join(objects, args.ns, args.cluster, args.session, "events")
        digests = {}
        for name in sorted(os.listdir(args.events)):
            with open(os.path.join(args.events, name), "rb") as f:
                data = f.read()
            digests[hashlib.sha256(data).hexdigest()] = data
        want = collections.Counter()
        for data in digests.values():
            for ev in json.loads(data):
                want[json.dumps(ev, sort_keys=True)] += 1
        # (.tmp-* are a killed writer's leftovers, which a store never lists)
        stored = sorted(n for n in os.listdir(evdir) if not n.startswith(".tmp-")) \
            if os.path.isdir(evdir) else []
        nbatches = len(stored)
        got = collections.Counter()
        for n in stored:
            p = os.path.join(evdir, n)
            data = unzstd_len(p)[1]
            if "%s.json.zst" % hashlib.sha256(data).hexdigest() != n:
                bad("events: %s is not named by its content" % n)
            try:
                for ev in json.loads(data):
                    got[json.dumps(ev, sort_keys=True)] += 1
            except ValueError as e:
                bad("events: %s is not a JSON array: %s" % (n, e))
        if got != want:
            twice = sum(1 for k, c in got.items() if c > want.get(k, 0))
            lost = sum(1 for k, c in want.items() if got.get(k, 0) < c)
            bad("events: %d objects hold %d events for %d (%d stored too often, "
                "%d missing)" % (len(stored), sum(got.values()), sum(want.values()),
                                 twice, lost))
    if problems:
        for p in problems[:30]:
            print("  " + p, file=sys.stderr)
        sys.exit("follow_check: %d problems in %s" % (len(problems), args.session))
    print("%s node %s: %d files (%d bytes), %d part objects, %d event objects: exact"
          % (args.session, node[:8], len(want), total, nparts, nbatches))


main()
