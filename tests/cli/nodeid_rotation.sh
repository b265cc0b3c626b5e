#!/bin/sh
# A node's files are filed under its own id even when its raylet.out rotated
# and now starts with notifications naming other nodes (issue 11): a 3-node
# generated session with one node rotated to raylet.out.1 and one to
# logs/old/raylet.out.1 is stored as exactly 3 nodes with the right ids,
# rayhist-ls shows them, and the rotated nodes' task logs answer through
# rayhist-serve. Disagreeing sources, no source, and a --node-id that is not
# a full id make rayhist-collect store nothing and exit 2.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store="$tmp/store"

$RH_GEN session --out "$tmp/gen" --seed 7 --raylet-rotation 1,2:old >/dev/null 2>&1 ||
	fail "raygen failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster rc1 -q "$n" ||
		fail "rayhist-collect $n failed"
done
session=$(basename "$(readlink -f "$tmp"/gen/*head*/session_latest)")
"$top_builddir/tests/cli/ingest_events" "$store" "default/rc1/$session" \
	"$tmp"/gen/aggregator/*.json || fail "ingesting the event batches failed"

want=$($PY -c 'import json,sys; print("\n".join(sorted(n["node_id"] for n in json.load(open(sys.argv[1]))["node_dirs"])))' "$tmp/gen/truth.json")
expect_eq "$(echo "$want" | wc -l)" 3
stored=$(ls "$store/default/rc1/$session/nodes" | sort)
expect_eq "$stored" "$want"
listed=$("$RH_LS" --store "$store" "default/rc1/$session" | sed 's#/$##' | sort)
expect_eq "$listed" "$want"

# The rotated nodes' raylet.out starts with other nodes' ids; their task
# logs are served from their own node.
$PY - "$store" "$tmp/gen" <<'PYEOF'
import json, os, sys, urllib.parse
from rhserve import Server, check, finish, session_base
store, gen = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(gen, "truth.json")))
rot = truth["raylet_rotation"]
check(sorted(rot.values()) == ["old", "rotated"], "rotation section %r" % rot)
nodes = {nd["hostname"]: nd["node_id"] for nd in truth["node_dirs"]}
rotated_ids = {nodes[h] for h in rot}
base = session_base(truth)
n = 0
with Server(store) as srv:
    srv.wait_ready(base)
    for t in truth["state"]["tasks"]:
        info = t.get("task_log_info") or {}
        if t.get("node_id") not in rotated_ids or not info.get("stdout_file"):
            continue
        url = base + "api/v0/logs/file?" + urllib.parse.urlencode(
            dict(task_id=t["task_id"], attempt_number=t["attempt_number"], suffix="out",
                 lines=-1, format="text"))
        st, h, body = srv.get(url)
        check(st == 200, "task %s on a rotated node: status %d %.200r" % (t["task_id"], st, body))
        n += 1
    for nid in rotated_ids:
        st, h, body = srv.get(base + "api/v0/logs/file?" + urllib.parse.urlencode(
            dict(node_id=nid, filename="raylet.out", lines=-1, format="text")))
        check(st == 200 and b"Received notification for node" in body,
              "raylet.out of %s: %d" % (nid, st))
check(n > 0, "no task ran on a rotated node")
finish("nodeid_rotation (serve)")
PYEOF

# Disagreeing sources: nothing stored, exit 2, both ids and files named.
$RH_GEN session --out "$tmp/gen2" --seed 8 --raylet-rotation 1:conflict >/dev/null 2>&1 ||
	fail "raygen failed"
host=$($PY -c 'import json,sys; print(list(json.load(open(sys.argv[1]))["raylet_rotation"])[0])' "$tmp/gen2/truth.json")
expect_fail 2 "$RH_COLLECT" --store "$tmp/store2" --cluster rc2 -q "$tmp/gen2/$host/session_latest"
case "$err" in *"disagree"*"raylet.out.1 line"*"Setting node ID"*"debug_state.txt line"*) ;;
	*) fail "conflict message: $err" ;; esac
[ ! -e "$tmp/store2/default/rc2" ] || fail "a conflicting node stored something"

# No source at all: a clear message listing what was searched.
s=$(make_session "$tmp/none")
printf '[2025-01-02 03:04:05,678 I 99 99] (raylet) accessor.cc:762: Received notification for node, IsAlive = 1 node_id=%s\n' \
	a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c > "$s/logs/raylet.out"
expect_fail 2 "$RH_COLLECT" --store "$tmp/store3" --cluster rc3 -q "$s"
case "$err" in *"logs/raylet.out"*"debug_state.txt"*"--node-id"*) ;;
	*) fail "no-source message: $err" ;; esac
case "$err" in *a1b2c3d4e5f6*) fail "another node's id was offered: $err" ;; esac
[ ! -e "$tmp/store3/default" ] || fail "a node without an id stored something"

# --node-id must be a full id.
expect_fail 2 "$RH_COLLECT" --store "$tmp/store3" --cluster rc3 --node-id 0f690c018f33 "$s"
case "$err" in *"56 hex digits"*) ;; *) fail "--node-id prefix message: $err" ;; esac
"$RH_COLLECT" --store "$tmp/store3" --cluster rc3 -q \
	--node-id 0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee "$s" ||
	fail "a full --node-id was refused"
pass
