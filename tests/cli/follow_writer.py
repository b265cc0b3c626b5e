#!/usr/bin/env python3
"""Act as a live Ray node on a generated Ray root while a collector follows it:
append to many logs, rotate logs the way Python's RotatingFileHandler does
(name.2 -> name.3, name.1 -> name.2, name -> name.1, a new name; the oldest
generation deleted), truncate a log, start workers whose .out/.err later move
to logs/old/ (as Ray's log monitor does), delete files that have been idle a
while, and optionally start a new session (Ray restarted on the node).
Deterministic for a seed, apart from timing.

usage: follow_writer.py ROOT --seed N (--steps K | --seconds T)
                        [--interval S] [--no-delete] [--no-truncate]
                        [--graveyard DIR] [--new-session-at STEP]
                        [--restart-pause S]
ROOT is a Ray temp root (it has session_latest). Deleted files are copied to
GRAVEYARD/<session>/<path> first, so a checker knows what the store must
still hold. Prints a summary line on stderr."""
import argparse
import os
import random
import shutil
import signal
import sys
import time

WORDS = ("task actor raylet object spill lease worker node gcs heartbeat "
         "schedule resource pending running finished failed placement group "
         "memory plasma store grpc timeout retry driver job submit").split()
ROTATED = ("logs/dashboard.log", "logs/monitor.log")
BACKUPS = 3


def text(rng, n):
    out = []
    size = 0
    while size < n:
        line = "[2025-11-13 01:%02d:%02d,%03d I %d %d] (raylet) node_manager.cc:%d: %s\n" % (
            rng.randrange(60), rng.randrange(60), rng.randrange(1000), rng.randrange(99999),
            rng.randrange(99999), rng.randrange(3000),
            " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 25))))
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


class Node:
    def __init__(self, root, rng, args):
        self.root = root
        self.rng = rng
        self.args = args
        self.touched = {}       # rel path -> monotonic time of last write
        self.counts = {}
        self.workers = 0
        self.sdir = os.path.realpath(os.path.join(root, "session_latest"))

    def p(self, rel):
        return os.path.join(self.sdir, rel)

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def write(self, rel, data, mode="ab"):
        with open(self.p(rel), mode) as f:
            f.write(data)
        self.touched[rel] = time.monotonic()

    def live_logs(self):
        logs = os.path.join(self.sdir, "logs")
        out = []
        for name in sorted(os.listdir(logs)):
            full = os.path.join(logs, name)
            if os.path.isfile(full) and not os.path.islink(full) and not name.endswith(".lock"):
                out.append("logs/" + name)
        return out

    def append(self):
        rels = self.live_logs()
        rel = self.rng.choice(rels)
        n = self.rng.choice([10, 100, 1000, 5000, 40000, 200000])
        self.write(rel, text(self.rng, n))
        self.count("append")

    def rotate(self):
        base = self.rng.choice(ROTATED)
        if not os.path.exists(self.p(base)):
            return
        oldest = "%s.%d" % (base, BACKUPS)
        if os.path.exists(self.p(oldest)):
            self.bury(oldest, keep=False)  # its path is reused at once
        for i in range(BACKUPS - 1, 0, -1):
            src = "%s.%d" % (base, i)
            if os.path.exists(self.p(src)):
                os.rename(self.p(src), self.p("%s.%d" % (base, i + 1)))
        os.rename(self.p(base), self.p(base + ".1"))
        self.write(base, text(self.rng, self.rng.randrange(1, 3000)), "wb")
        self.count("rotate")

    def truncate(self):
        rel = self.rng.choice(["logs/raylet.err", "logs/dashboard_agent.log",
                               "logs/log_monitor.log"])
        if os.path.exists(self.p(rel)):
            if self.args.truncated:
                # what it held: its stored bytes must stay readable as an
                # earlier generation (follow_check.py --truncated)
                self.count("truncate")
                dst = os.path.join(self.args.truncated, os.path.basename(self.sdir),
                                   "%s.%d" % (rel, self.counts["truncate"]))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(self.p(rel), dst)
            else:
                self.count("truncate")
            self.write(rel, text(self.rng, self.rng.randrange(0, 500)), "wb")

    def new_worker(self):
        self.workers += 1
        wid = "%056x" % self.rng.getrandbits(224)
        for ext in ("out", "err"):
            rel = "logs/worker-%s-01000000-%d.%s" % (wid, 50000 + self.workers, ext)
            self.write(rel, text(self.rng, self.rng.randrange(0, 4000)), "wb")
        self.count("new_worker")

    def move_old(self):
        rels = [r for r in self.live_logs() if r.startswith("logs/worker-")]
        if not rels:
            return
        rel = self.rng.choice(rels)
        dst = "logs/old/" + os.path.basename(rel)
        os.makedirs(self.p("logs/old"), exist_ok=True)
        if os.path.exists(self.p(dst)):
            return
        os.rename(self.p(rel), self.p(dst))
        # idle from now: a file moved and deleted before anyone saw it
        # move is stored under the path it had when last seen
        self.touched.pop(rel, None)
        self.touched[dst] = time.monotonic()
        self.count("move_old")

    def bury(self, rel, keep=True):
        if keep and self.args.graveyard:
            dst = os.path.join(self.args.graveyard, os.path.basename(self.sdir), rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(self.p(rel), dst)
        os.unlink(self.p(rel))
        self.touched.pop(rel, None)

    def delete(self):
        # Only files idle for a while: bytes written just before a
        # delete cannot be shipped by anyone.
        old = os.path.join(self.sdir, "logs", "old")
        if not os.path.isdir(old):
            return
        now = time.monotonic()
        for name in sorted(os.listdir(old)):
            rel = "logs/old/" + name
            if now - self.touched.get(rel, 0) > self.args.idle:
                self.bury(rel)
                self.count("delete")
                return

    def new_session(self):
        name = "session_2025-11-13_02-00-00_%06d_77" % self.rng.randrange(999999)
        sdir = os.path.join(self.root, name)
        os.makedirs(os.path.join(sdir, "logs", "old"))
        node = "%056x" % self.rng.getrandbits(224)
        with open(os.path.join(sdir, "logs", "raylet.out"), "wb") as f:
            f.write(("[2025-11-13 02:00:00,000 I 1 1] (raylet) main.cc:595: Setting node ID "
                     "node_id=%s\n" % node).encode())
        with open(os.path.join(sdir, "logs", "gcs_server.out"), "wb") as f:
            f.write(b"gcs up\n")
        for rel in ROTATED:
            with open(os.path.join(sdir, rel), "wb") as f:
                f.write(text(self.rng, 100))
        tmp = os.path.join(self.root, ".session_latest.tmp")
        os.symlink(name, tmp)
        os.replace(tmp, os.path.join(self.root, "session_latest"))
        self.sdir = sdir
        self.touched = {}
        self.count("new_session")

    def step(self):
        acts = [(self.append, 60), (self.new_worker, 8), (self.move_old, 8),
                (self.rotate, 8)]
        if not self.args.no_truncate:
            acts.append((self.truncate, 4))
        if not self.args.no_delete:
            acts.append((self.delete, 4))
        total = sum(w for _, w in acts)
        r = self.rng.randrange(total)
        for act, w in acts:
            if r < w:
                act()
                return
            r -= w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--no-delete", action="store_true")
    ap.add_argument("--no-truncate", action="store_true")
    ap.add_argument("--graveyard")
    ap.add_argument("--truncated", help="keep each truncated file's bytes here")
    ap.add_argument("--idle", type=float, default=2.0)
    ap.add_argument("--new-session-at", type=int, default=-1)
    # how long the node is quiet before the new session (Ray restarting)
    ap.add_argument("--restart-pause", type=float, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    node = Node(args.root, rng, args)
    end = time.monotonic() + args.seconds
    i = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop and ((args.steps and i < args.steps) or
                        (args.seconds and time.monotonic() < end)):
        if i == args.new_session_at:
            time.sleep(args.restart_pause)
            node.new_session()
        node.step()
        i += 1
        time.sleep(rng.uniform(0, 2 * args.interval))
    print("follow_writer: %d steps: %s" % (i, " ".join(
        "%s=%d" % kv for kv in sorted(node.counts.items()))), file=sys.stderr)


main()
