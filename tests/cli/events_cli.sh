#!/bin/sh
# rayhist-collect --events and rayhist-ls --jobs/--tasks/...: ingest a
# generated session's aggregator batches (plain, .gz, .zst, stdin), check that
# re-ingesting adds nothing, that the listings match the generator's ground
# truth with Ray's field names, filters and limits, that the index is built
# once and rebuilt only for new events, and that a bad batch is refused.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=${RH_TEST_STORE:-$tmp/store}
gen="$tmp/gen"
$RH_GEN session --out "$gen" --seed 5 >/dev/null 2>&1
for n in "$gen"/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster ev -q "$n"
done
session=$("$RH_LS" --store "$store" default/ev)
path="default/ev/$session"
set -- "$gen"/aggregator/*.json
[ $# -gt 3 ] || fail "the generator wrote only $# batches"
# a few batches compressed, one through stdin
gzip -c "$1" > "$tmp/b1.json.gz"
zstd -q -c "$2" > "$tmp/b2.json.zst"
first=$1 second=$2 third=$3
shift 3
"$RH_COLLECT" --store "$store" --cluster ev --session "$session" -q \
	--events "$tmp/b1.json.gz" "$tmp/b2.json.zst" "$@"
"$RH_COLLECT" --store "$store" --cluster ev --session "$session" -q --events - < "$third"
out=$("$RH_COLLECT" --store "$store" --cluster ev --session "$session" \
	--events "$first" "$second" "$third" | tail -n 1)
case "$out" in *": 0 of 3 event files new, 0 failed") ;; *) fail "re-ingest: $out" ;; esac

"$RH_LS" --store "$store" --tasks --json --limit 0 --detail "$path" > "$tmp/tasks.json"
"$RH_LS" --store "$store" --jobs --json --limit 0 "$path" > "$tmp/jobs.json"
"$RH_LS" --store "$store" --actors --json --limit 0 "$path" > "$tmp/actors.json"
"$RH_LS" --store "$store" --nodes --json --limit 0 "$path" > "$tmp/nodes.json"
"$RH_LS" --store "$store" --tasks --json --limit 0 --filter state=FAILED "$path" > "$tmp/failed.json"
"$RH_LS" --store "$store" --tasks --json --limit 0 --filter state!=FAILED "$path" > "$tmp/notfailed.json"
"$RH_LS" --store "$store" --tasks --json --limit 3 "$path" > "$tmp/three.json"
python3 - "$gen/truth.json" "$tmp" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))["state"]
d = sys.argv[2]
load = lambda n: json.load(open(f"{d}/{n}.json"))
def fail(msg):
    sys.exit("FAIL: " + msg)
tasks = load("tasks")
want = {(t["task_id"], t["attempt_number"]): t for t in truth["tasks"] if t.get("type") != "DRIVER_TASK"}
got = {(t["task_id"], t["attempt_number"]): t for t in tasks}
if set(got) != set(want):
    fail(f"task attempts differ: {len(got)} vs {len(want)}")
for k, t in want.items():
    for f in ("state", "name", "job_id", "type", "func_or_class_name", "error_type"):
        if got[k].get(f) != t.get(f):
            fail(f"task {k} {f}: {got[k].get(f)!r} != {t.get(f)!r}")
for col in ("task_id", "attempt_number", "state", "job_id", "events", "start_time_ms", "end_time_ms", "task_log_info"):
    if col not in tasks[0]:
        fail(f"--detail row lacks {col}")
jobs = {j["job_id"]: j for j in load("jobs")}
for j in truth["jobs"]:
    if j["job_id"] in jobs and jobs[j["job_id"]]["status"] != j["status"]:
        fail(f"job {j['job_id']} status {jobs[j['job_id']]['status']} != {j['status']}")
if len(jobs) != len({j["job_id"] for j in truth["jobs"]}):
    fail("job count differs")
actors = {a["actor_id"]: a for a in load("actors")}
for a in truth["actors"]:
    if actors.get(a["actor_id"], {}).get("state") != a["state"]:
        fail(f"actor {a['actor_id']} state differs")
nodes = {n["node_id"]: n for n in load("nodes")}
for n in truth["nodes"]:
    if nodes.get(n["node_id"], {}).get("state") != n["state"]:
        fail(f"node {n['node_id']} state differs")
failed, notfailed = load("failed"), load("notfailed")
nf = sum(1 for t in want.values() if t["state"] == "FAILED")
if len(failed) != nf or any(t["state"] != "FAILED" for t in failed):
    fail(f"state=FAILED gave {len(failed)} rows, want {nf}")
if len(failed) + len(notfailed) != len(want):
    fail("= and != do not partition the tasks")
if len(load("three")) != 3 or "events" in load("three")[0]:
    fail("--limit 3 without --detail")
PY
# the index is built once, then reused until new events arrive
if [ -z "${RH_TEST_STORE:-}" ]; then
	idx="$store/$path/index/session.idx"
	[ -f "$idx" ] || fail "no index object"
	m1=$(stat -c %Y.%s "$idx")
	sleep 1.1
	"$RH_LS" --store "$store" --jobs "$path" >/dev/null 2>&1
	[ "$(stat -c %Y.%s "$idx")" = "$m1" ] || fail "index rebuilt without new events"
	printf '[{"eventId":"AAAA","sourceType":"GCS","eventType":"DRIVER_JOB_DEFINITION_EVENT","timestamp":"2025-11-13T00:00:00Z","severity":"INFO","sessionName":"%s","driverJobDefinitionEvent":{"jobId":"CQAAAA==","driverPid":"1","entrypoint":"python late.py","config":{"metadata":{}}},"message":""}]' \
		"$session" > "$tmp/late.json"
	"$RH_COLLECT" --store "$store" --cluster ev --session "$session" -q --events "$tmp/late.json"
	"$RH_LS" --store "$store" --jobs --json "$path" | grep -q '"09000000"' || fail "new event not indexed"
	[ "$(stat -c %Y.%s "$idx")" != "$m1" ] || fail "index not rebuilt for new events"
fi
# bad input: a malformed batch is refused with its line number, nothing stored
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[0]))' "$first" > "$tmp/bad.jsonl"
printf '{not json\n' >> "$tmp/bad.jsonl"
expect_fail 1 "$RH_COLLECT" --store "$store" --cluster ev --session "$session" --events "$tmp/bad.jsonl"
case "$err" in *bad.jsonl:2:*) ;; *) fail "message lacks the line: $err" ;; esac
# a usage error (issue 17): exit 2, and the message lists every column
expect_fail 2 "$RH_LS" --store "$store" --tasks --filter nosuchcolumn=1 "$path"
case "$err" in *nosuchcolumn*) ;; *) fail "message lacks the column: $err" ;; esac
expect_fail 2 "$RH_COLLECT" --store "$store" --cluster ev --events "$tmp/late.json"
pass
