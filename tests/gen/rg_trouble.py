"""`raygen.py trouble`: do to an already generated (and captured) session what
production does and a capture must survive (issue 11).

- copytruncate: logrotate's `copytruncate` on one agent log of every live
  node - the file is copied away and truncated in place, then Ray goes on
  writing into it. The copy does not stay in the session (logrotate
  compresses or drops it), so only the store can keep the earlier bytes:
  a capture must keep them as the earlier generation `PATH~1`. The bytes
  are saved to `<out>/trouble/<node dir>/<rel>` for the check.
- unreadable: on one node, a new log file mode 0600 and an existing folder
  mode 0700 (both owned by root): a capture run as another user cannot read
  them, must say so, store the rest and exit 1.

Prints a JSON object: {"copytruncated": {"<node dir>/<rel>": "<saved copy>"},
"unreadable": ["<node dir>/<rel>", ...]}.
"""

import json
import os
import shutil

import rg_util as U
from rg_append import _parse_ts, _record, _save, load_truth
from rg_text import Pools, fill
from rg_util import NS

AGENT_LOGS = ("dashboard_agent.log", "runtime_env_agent.log", "log_monitor.log",
              "monitor.log", "dashboard.log")


def trouble(out):
    truth = load_truth(out)
    rng = U.rng_for(truth["generator"]["seed"], "trouble")
    pools = Pools(rng, 500)
    t0 = _parse_ts(truth["session"]["cluster_died"]) + 3600 * NS
    S = truth["session"]["name"]
    live = [n for n in truth["node_dirs"] if n["alive_at_end"]]
    done = {"copytruncated": {}, "unreadable": []}
    for node in live:
        for name in AGENT_LOGS:
            rel = "%s/logs/%s" % (S, name)
            path = os.path.join(out, node["dir"], rel)
            if os.path.isfile(path) and os.path.getsize(path) > 0:
                break
        else:
            continue
        saved = os.path.join(out, "trouble", node["dir"], rel)
        os.makedirs(os.path.dirname(saved), exist_ok=True)
        shutil.copyfile(path, saved)
        with open(path, "r+b") as f:       # the same inode, as logrotate does
            f.truncate(0)
            fill(f.write, 2000, pools.py_entries("agent"), rng, t0, t0 + 10 * NS)
        _record(node, rel, os.path.getsize(path))
        done["copytruncated"]["%s/%s" % (node["dir"], rel)] = saved
    node = live[-1]
    secret = "%s/logs/trouble-secret.log" % S
    path = os.path.join(out, node["dir"], secret)
    with open(path, "wb") as f:
        f.write(b"only root may read this\n")
    os.chmod(path, 0o600)
    _record(node, secret, os.path.getsize(path))
    done["unreadable"].append("%s/%s" % (node["dir"], secret))
    old = os.path.join(out, node["dir"], S, "logs", "old")
    os.makedirs(old, exist_ok=True)
    os.chmod(old, 0o700)
    done["unreadable"].append("%s/%s/logs/old" % (node["dir"], S))
    _save(out, truth)
    return done
