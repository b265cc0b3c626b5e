#!/usr/bin/env python3
"""raygen - generate Ray session directories, Ray event streams and their ground truth.

Ray cannot run here, so rayhist's tests use this generator instead. Every
format detail follows shared/reference/ray-formats.md (cited as §N in the
modules) and the specimens; see tests/gen/README.md.

  raygen.py session  --out DIR [--seed S] [--nodes N] [--jobs J] [--tasks T] [--actors A]
                     [--log-bytes B] [--ray-version V] [--quirks|--no-quirks]
                     [--snake-case] [--jsonl] [--no-pg-events] [--force]
  raygen.py append   --out DIR [--bytes N]
  raygen.py trouble  --out DIR
  raygen.py bigtasks --out FILE --tasks N [--format rayevents|export] [--arrays]
  raygen.py prodevents --out DIR --tasks N [--batch-events E]
  raygen.py biglog   --out FILE --bytes N
  raygen.py selftest [--keep]

Python 3 standard library only (Debian 12's python3 is enough).
"""

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rg_util as U                                     # noqa: E402
from rg_events import AggregatorWriter, ExportWriter, LegacyWriter, RayEventPlan  # noqa: E402
from rg_model import Options                          # noqa: E402
from rg_story import build_cluster                     # noqa: E402
from rg_session import SessionWriter                   # noqa: E402
from rg_truth import build_truth                       # noqa: E402


def size_arg(text):
    """Byte counts accept K/M/G (binary) suffixes: 200K, 1G."""
    t = text.strip().upper().rstrip("B").rstrip("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    if mult > 1:
        t = t[:-1]
    return int(float(t) * mult)


def prepare_out(path, force):
    if os.path.exists(path) and os.listdir(path):
        if not force:
            sys.exit("raygen: %s exists and is not empty (use --force to replace it)" % path)
        shutil.rmtree(path)
    os.makedirs(path, exist_ok=True)


def generate_session(out, opts, log_bytes=200 * 1024, snake=False, jsonl=False, pg_events=True,
                     args=None):
    """Write a whole session into `out`; return the truth dict (also saved)."""
    cluster = build_cluster(opts)
    writer = SessionWriter(cluster, out, log_bytes)
    fs = writer.write_all()
    extra = trust_shapes(cluster, fs, writer, args or {})
    S = cluster.session_name
    legacy = LegacyWriter(cluster, fs, S)
    legacy_files = legacy.write()
    export = ExportWriter(cluster, fs, S)
    export_files = export.write()
    plan = RayEventPlan(cluster, pg_events=pg_events)
    plan.build()
    agg = AggregatorWriter(cluster, out, snake=snake, jsonl=jsonl)
    agg.write(plan)
    hosts = {n.index: n.hostname for n in cluster.nodes}
    for f in legacy_files + export_files:
        f["node"] = hosts[f.pop("node_index")]
    sections = {
        "aggregator": agg.summary,
        "legacy_events": {"files": legacy_files, "events_by_job": legacy.by_job},
        "export_events": {"files": export_files},
        "quirks": writer.quirks,
        "append_rounds": 0,
    }
    sections.update(extra)
    truth = build_truth(cluster, fs, args or {}, sections)
    save_truth(out, truth)
    return truth


def trust_shapes(cluster, fs, writer, args):
    """--raylet-rotation and --odd-names (rg_rotation): truth sections."""
    import rg_rotation
    extra = {}
    if args.get("raylet_rotation"):
        extra["raylet_rotation"] = rg_rotation.rotate_raylet(cluster, fs, writer,
                                                             args["raylet_rotation"])
    if args.get("odd_names"):
        extra["odd_names"] = rg_rotation.odd_names(cluster, fs)
    return extra


def save_truth(out, truth):
    tmp = os.path.join(out, "truth.json.tmp")
    with open(tmp, "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "truth.json"))


def cmd_session(a):
    if a.nodes < 1 or a.jobs < 1 or a.tasks < 0 or a.actors < 0 or a.log_bytes < 0:
        sys.exit("raygen: need --nodes >= 1, --jobs >= 1 and non-negative --tasks, --actors, "
                 "--log-bytes")
    try:
        U.parse_version(a.ray_version)
    except ValueError as e:
        sys.exit("raygen: %s" % e)
    prepare_out(a.out, a.force)
    opts = Options(seed=a.seed, nodes=a.nodes, jobs=a.jobs, tasks=a.tasks, actors=a.actors,
                   ray_version=a.ray_version, numbering=a.task_status_numbering, quirks=a.quirks,
                   temp_dir=a.temp_dir)
    t = time.time()
    args = {k: v for k, v in vars(a).items() if k != "func"}
    truth = generate_session(a.out, opts, a.log_bytes, a.snake_case, a.jsonl, a.pg_events, args)
    c = truth["counts"]
    print("raygen: %s: %d nodes, %d jobs, %d task attempts, %d actors, %d aggregator batches "
          "in %.1fs" % (truth["session"]["name"], c["nodes"], c["jobs"], c["task_attempts"],
                        c["actors"], len(truth["aggregator"]["batches"]), time.time() - t),
          file=sys.stderr)


def cmd_append(a):
    import rg_append
    print(json.dumps(rg_append.append(a.out, a.bytes), indent=1, sort_keys=True))


def cmd_trouble(a):
    import rg_trouble
    print(json.dumps(rg_trouble.trouble(a.out), indent=1, sort_keys=True))


def cmd_bigtasks(a):
    import rg_bench
    t = time.time()
    n = rg_bench.bigtasks(a.out, a.tasks, a.format, a.seed, a.arrays, a.ray_version)
    print("raygen: %d events for %d task attempts in %.1fs" % (n, a.tasks, time.time() - t),
          file=sys.stderr)


def cmd_prodevents(a):
    import rg_prod
    t = time.time()
    nb, ne, nbytes = rg_prod.prod(a.out, a.tasks, a.seed, batch_events=a.batch_events)
    print("raygen: %d events in %d batches (%d bytes) for %d task attempts in %.1fs"
          % (ne, nb, nbytes, a.tasks, time.time() - t), file=sys.stderr)


def cmd_biglog(a):
    import rg_bench
    t = time.time()
    n = rg_bench.biglog(a.out, a.bytes, a.seed)
    print("raygen: %d bytes in %.1fs" % (n, time.time() - t), file=sys.stderr)


def cmd_selftest(a):
    import rg_selftest
    sys.exit(rg_selftest.run(keep=a.keep))


def parser():
    p = argparse.ArgumentParser(prog="raygen.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("session", help="write a multi-node Ray session, its events and truth.json")
    s.add_argument("--out", required=True, help="output directory (one sub-directory per node)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--nodes", type=int, default=3, help="1 head + N-1 workers; the last worker dies "
                   "mid-session when N >= 2 (default 3)")
    s.add_argument("--jobs", type=int, default=4, help="default 4: submission, finished driver, "
                   "failed driver, running driver")
    s.add_argument("--tasks", type=int, default=40, help="normal tasks (actor tasks come on top)")
    s.add_argument("--actors", type=int, default=4)
    s.add_argument("--log-bytes", type=size_arg, default=200 * 1024,
                   help="bytes of padded log text per node (K/M/G suffixes; default 200K)")
    s.add_argument("--ray-version", default="2.52.0")
    s.add_argument("--task-status-numbering", choices=["auto", "old", "new"], default="auto",
                   help="TaskStatus integers for export state_ts_ns (auto: by --ray-version)")
    s.add_argument("--quirks", dest="quirks", action="store_true", default=True)
    s.add_argument("--no-quirks", dest="quirks", action="store_false")
    s.add_argument("--snake-case", action="store_true",
                   help="aggregator batches with proto field names (preserve_proto_field_name)")
    s.add_argument("--jsonl", action="store_true", help="aggregator batches as JSON lines")
    s.add_argument("--pg-events", dest="pg_events", action="store_true", default=True)
    s.add_argument("--no-pg-events", dest="pg_events", action="store_false",
                   help="omit PLACEMENT_GROUP_* RayEvents (newest Ray only)")
    s.add_argument("--temp-dir", default="/tmp/ray", help="Ray temp dir named inside events")
    s.add_argument("--force", action="store_true", help="replace a non-empty --out")
    s.add_argument("--raylet-rotation", metavar="SPEC", help="NODE[:rotated|old|conflict],...: "
                   "rotate those nodes' raylet.out (rg_rotation)")
    s.add_argument("--odd-names", action="store_true", help="head gets files with 231-255-byte, "
                   "newline, tab and non-UTF-8 names (rg_rotation)")
    s.set_defaults(func=cmd_session)

    s = sub.add_parser("append", help="grow an existing session's logs; print bytes per file")
    s.add_argument("--out", required=True)
    s.add_argument("--bytes", type=size_arg, default=64 * 1024, help="approximate total (default 64K)")
    s.set_defaults(func=cmd_append)

    s = sub.add_parser("trouble", help="copytruncate a log per node, make a file and a "
                       "folder unreadable (rg_trouble.py); print what was done")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_trouble)

    s = sub.add_parser("bigtasks", help="event stream for N task attempts (benchmarks)")
    s.add_argument("--out", required=True)
    s.add_argument("--tasks", type=int, required=True)
    s.add_argument("--format", choices=["rayevents", "export"], default="rayevents")
    s.add_argument("--arrays", action="store_true",
                   help="rayevents as POST bodies: one JSON array of <=10,000 events per line")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--ray-version", default="2.52.0")
    s.set_defaults(func=cmd_bigtasks)

    s = sub.add_parser("prodevents", help="production-shaped aggregator batches for N task "
                       "attempts, with profiling events and retries (benchmarks)")
    s.add_argument("--out", required=True, help="folder for batch-NNNNNN.json")
    s.add_argument("--tasks", type=int, required=True)
    s.add_argument("--batch-events", type=int, default=1000)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=cmd_prodevents)

    s = sub.add_parser("biglog", help="one realistic raylet-style log of exactly N bytes")
    s.add_argument("--out", required=True)
    s.add_argument("--bytes", type=size_arg, required=True)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=cmd_biglog)

    s = sub.add_parser("selftest", help="generate into a temp dir and check invariants")
    s.add_argument("--keep", action="store_true", help="keep the temp dir")
    s.set_defaults(func=cmd_selftest)
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    a.func(a)


if __name__ == "__main__":
    main()
