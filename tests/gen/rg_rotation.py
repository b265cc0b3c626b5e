"""Production shapes of a node's raylet log and file names (issue 11).

--raylet-rotation SPEC, SPEC a comma list of NODE[:KIND] (NODE a node index,
KIND one of):
  rotated  (default) the raylet's log rotated once (Ray's RotatingFileHandler,
           §9): everything written so far - its "Setting node ID" start-up
           lines included - is logs/raylet.out.1, and the current
           logs/raylet.out starts with accessor.cc notifications naming the
           OTHER nodes (`Received notification for node, IsAlive = 1
           node_id=<other>`), then a few of the raylet's own later lines.
  old      the same, with the older generation moved to logs/old/raylet.out.1.
  conflict rotated, and logs/debug_state.txt names another node's id: the
           node's own files disagree, so no collector may guess.
Each changed node is listed in truth["raylet_rotation"] {hostname: kind}.

--odd-names adds, to the head node's logs/, files whose names a store must
map to valid object names: names of 231..255 bytes (a job-driver log of a
long submission id), names with a newline and a tab, and a name that is not
UTF-8. truth["odd_names"] lists them as {"node", "path_hex", "size"}
(path_hex: the name's bytes in hex, since JSON cannot hold them all).
"""

import os

from rg_text import cpp_line
from rg_util import MS

KINDS = ("rotated", "old", "conflict")


def parse_spec(spec, nodes):
    out = {}
    for item in filter(None, (spec or "").split(",")):
        idx, _, kind = item.partition(":")
        kind = kind or "rotated"
        if kind not in KINDS or not idx.isdigit() or int(idx) >= nodes:
            raise ValueError("--raylet-rotation: bad item %r (NODE[:rotated|old|conflict], "
                             "NODE < %d)" % (item, nodes))
        out[int(idx)] = kind
    return out


def _move(fs, src, dst):
    fs._parent(dst)
    os.replace(fs.path(src), fs.path(dst))
    fs.entries[dst] = fs.entries.pop(src)


def rotate_raylet(cluster, fs_by_node, writer, spec):
    """Apply SPEC after every node is written; returns truth's section."""
    kinds = parse_spec(spec, len(cluster.nodes))
    S = cluster.session_name
    done = {}
    for node in cluster.nodes:
        kind = kinds.get(node.index)
        if not kind:
            continue
        fs = fs_by_node[node.index]
        cur = "%s/logs/raylet.out" % S
        older = "%s/logs/%sraylet.out.1" % (S, "old/" if kind == "old" else "")
        _move(fs, cur, older)
        pid = node.pids["raylet"]
        t = writer.end_of(node) - 500 * MS
        others = [n for n in cluster.nodes if n.index != node.index]
        with fs.open(cur) as out:
            # Ray's node accessor replays the membership it hears of after a
            # resubscribe: every other node, before anything about this one.
            for i, n in enumerate(others):
                out.write(cpp_line(t + i * MS, "I", pid, pid + 17, "raylet",
                                   "accessor.cc:762: Received notification for node, "
                                   "IsAlive = %d node_id=%s"
                                   % (0 if n.death_ns is not None else 1, n.hex)))
            out.write(cpp_line(t + 40 * MS, "I", pid, pid + 18, "raylet",
                               "core_worker_client_pool.cc:91: Disconnected from node "
                               "node_id=%s" % others[0].hex))
            out.write(cpp_line(t + 90 * MS, "I", pid, pid, "raylet",
                               "node_manager.cc:1025: [state-dump] Event stats:"))
        if kind == "conflict":
            dbg = "%s/logs/debug_state.txt" % S
            with open(fs.path(dbg)) as f:
                text = f.read()
            text = text.replace("Node ID: %s\n" % node.hex, "Node ID: %s\n" % others[0].hex, 1)
            fs.write(dbg, text)
        done[node.hostname] = kind
    return done


def _odd_name_list():
    """(name bytes, content bytes) pairs; lengths count the whole name."""
    names = []
    for total in (231, 240, 255):
        stem = b"job-driver-raysubmit_"
        pad = total - len(stem) - len(b".log")
        names.append(stem + (b"L%d_" % total + b"x" * pad)[:pad] + b".log")
    names.append(b"worker-odd\nnewline.out")
    names.append(b"tab\tin-name.log")
    names.append(b"not-utf8-\xe9t\xe9-\xff.log")
    names.append(b"%41-percent-and-\x01ctl.log")
    out = []
    for i, n in enumerate(names):
        body = b"".join(b"line %d of odd file %d: %s\n" % (j, i, n.replace(b"\n", b"\\n"))
                        for j in range(40 + 7 * i))
        out.append((n, body + b"raw \xe9\xff bytes\n"))
    return out


def odd_names(cluster, fs_by_node):
    head = next(n for n in cluster.nodes if n.is_head)
    fs = fs_by_node[head.index]
    S = cluster.session_name
    rows = []
    for name, body in _odd_name_list():
        rel = "%s/logs/%s" % (S, os.fsdecode(name))
        fs.write(rel, body)
        rows.append({"node": head.hostname, "path_hex": (b"logs/" + name).hex(),
                     "size": len(body)})
    return rows
