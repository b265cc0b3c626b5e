#!/bin/sh
# rayhist-ls --at TIME: entity listings as of an instant match what the test
# derives from the generator's per-task events and node/job times (RFC 3339
# and +SECONDS forms); a malformed TIME is a usage error (exit 2); before
# the session's start the cluster is empty, after its end the listings are
# the final ones; --cat/--tail --at stop at the last part captured by then.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
gen=$tmp/gen
$RH_GEN session --out "$gen" --seed 1 >/dev/null 2>&1
for n in "$gen"/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster pb -q "$n"
done
session=$("$RH_LS" --store "$store" default/pb)
path="default/pb/$session"
"$RH_COLLECT" --store "$store" --cluster pb --session "$session" -q --events "$gen"/aggregator/*

# the instants, from truth.json: [label, RFC 3339 or +SECONDS, ms]
python3 - "$gen/truth.json" > "$tmp/instants" <<'PY'
import json, sys, datetime
t = json.load(open(sys.argv[1]))
def ms(s):
    d = datetime.datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
def rfc(m):
    d = datetime.datetime.fromtimestamp(m / 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f") + "500Z"   # + half a ms
start, died = ms(t["session"]["start"]), ms(t["session"]["node_died"])
task = next(x for x in t["state"]["tasks"] if x["state"] == "FAILED" and
            any(e["state"] == "RUNNING" for e in x.get("events", [])))
ev = {e["state"]: e["created_ms"] for e in task["events"]}
for label, m in (("before_task", task["events"][0]["created_ms"] - 1),
                 ("running", ev["RUNNING"] + 1), ("failed", ev["FAILED"] + 1)):
    print(label, rfc(m), m)
# whole seconds after the start: +SECONDS
for label, m in (("node_alive", died - 1000), ("node_dead", died + 1000)):
    s = (m - start) // 1000
    print(label, "+%d" % s, start + s * 1000)
PY

check() { # label TIME MS
	for e in tasks nodes jobs; do
		"$RH_LS" --store "$store" --$e --json --limit 0 --at "$2" "$path" > "$tmp/$e.json"
	done
	"$RH_LS" --store "$store" --tasks --json --limit 0 --filter state=RUNNING \
		--at "$2" "$path" > "$tmp/running.json"
	python3 - "$gen/truth.json" "$tmp" "$3" "$1" <<'PY' || fail "at $1 ($2)"
import json, sys
truth = json.load(open(sys.argv[1]))["state"]
d, t, label = sys.argv[2], float(sys.argv[3]) + 0.5, sys.argv[4]
load = lambda n: json.load(open(f"{d}/{n}.json"))
def fail(msg):
    sys.exit(f"FAIL at {label}: {msg}")
want = {}
for x in truth["tasks"]:
    if x.get("type") == "DRIVER_TASK":
        continue
    seen = [e for e in x.get("events") or [] if e["created_ms"] <= t]
    if seen:
        want[(x["task_id"], x["attempt_number"])] = max(seen, key=lambda e: e["created_ms"])["state"]
got = {(x["task_id"], x["attempt_number"]): x["state"] for x in load("tasks")}
if got != want:
    fail(f"tasks: {sorted(set(got.items()) ^ set(want.items()))[:5]}")
run = {k for k, s in want.items() if s == "RUNNING"}
if {(x["task_id"], x["attempt_number"]) for x in load("running")} != run:
    fail("state=RUNNING")
nodes = {n["node_id"]: ("DEAD" if 0 < n["end_time_ms"] <= t else "ALIVE")
         for n in truth["nodes"] if n["start_time_ms"] <= t}
if {n["node_id"]: n["state"] for n in load("nodes")} != nodes:
    fail(f"nodes: {load('nodes')}")
jobs = {j["job_id"]: (j["status"] if 0 < j["end_time"] <= t else "RUNNING")
        for j in truth["jobs"] if j["start_time"] <= t}
if {j["job_id"]: j["status"] for j in load("jobs")} != jobs:
    fail(f"jobs: {[(j['job_id'], j['status']) for j in load('jobs')]} vs {jobs}")
PY
}
while read -r label time ms; do
	check "$label" "$time" "$ms"
done < "$tmp/instants"

# malformed instants: usage errors naming the text
for bad in 2025-13-45T00:00:00Z yesterday +abc + "+1e3" 2025-11-12; do
	expect_fail 2 "$RH_LS" --store "$store" --tasks --at "$bad" "$path"
	case "$err" in *"--at"*"$bad"*) ;; *) fail "--at $bad: $err" ;; esac
done
expect_fail 2 "$RH_LS" --store "$store" --at +5 default/pb

# before the start: nothing; long after the end: the final listings
for e in tasks actors jobs nodes workers placement-groups; do
	out=$("$RH_LS" --store "$store" --$e --json --limit 0 --at 2000-01-01T00:00:00Z "$path")
	expect_eq "$out" "[]"
	a=$("$RH_LS" --store "$store" --$e --json --limit 0 --detail --at 2100-01-01T00:00:00Z "$path")
	b=$("$RH_LS" --store "$store" --$e --json --limit 0 --detail "$path")
	[ "$a" = "$b" ] || fail "--$e after the end differs from the final state"
done

# logs: a second capture appends a part; --at between the captures shows the
# first part only (part granularity), later the whole file
head_dir=$(ls -d "$gen"/*/session_latest | head -n 1)
node=$(grep -o 'node_id=[0-9a-f]*' "$head_dir/logs/raylet.out" | head -n 1 | cut -d= -f2)
cp "$head_dir/logs/raylet.out" "$tmp/raylet.first"
sleep 1.1
mid=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
sleep 1.1
$RH_GEN append --out "$gen" >/dev/null
"$RH_COLLECT" --store "$store" --cluster pb -q "$head_dir"
file="$path/$node/logs/raylet.out"
"$RH_LS" --store "$store" --cat "$file" | cmp -s - "$head_dir/logs/raylet.out" ||
	fail "--cat without --at is not the whole file"
cmp -s "$tmp/raylet.first" "$head_dir/logs/raylet.out" && fail "append added nothing"
"$RH_LS" --store "$store" --at "$mid" --cat "$file" | cmp -s - "$tmp/raylet.first" ||
	fail "--cat --at between the captures is not the first capture"
a=$("$RH_LS" --store "$store" --at "$mid" --tail 3 "$file")
expect_eq "$a" "$(tail -n 3 "$tmp/raylet.first")"
a=$("$RH_LS" --store "$store" --at 2100-01-01T00:00:00Z --tail 3 "$file")
expect_eq "$a" "$(tail -n 3 "$head_dir/logs/raylet.out")"
a=$("$RH_LS" --store "$store" --at 2000-01-01T00:00:00Z --cat "$file" | wc -c)
expect_eq "$a" 0
pass
