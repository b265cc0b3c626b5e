#!/bin/sh
# Generation marks end to end (rayhist-store(5)): a capture leaves its node's
# mark and moves it only when what the index reads changed; a query on an
# indexed session rebuilds nothing until a mark moves; an index built after
# the end mark is kept as it is, and an --events import into that ended
# session takes it back so the next query sees the new events.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 41 --nodes 1 >/dev/null 2>&1
root=$(ls -d "$tmp"/gen/*-head-*)
sdir=$(readlink -f "$root/session_latest")
session=$(basename "$sdir")
path=default/m/$session
idx=$store/$path/index/session.idx
capture() { "$RH_COLLECT" --store "$store" --cluster m -q "$@" "$sdir" || true; }
query() { "$RH_LS" --store "$store" --tasks --limit 3 "$path" >/dev/null 2>&1; }
marks() { ls "$store/$path/marks"; }
stamp() { stat -c %y "$idx" 2>/dev/null || echo none; }

capture
marks | grep -q '^node-[0-9a-f]*@[0-9a-f]*$' || fail "no node mark: $(marks)"
query
t1=$(stamp)
query
expect_eq "$(stamp)" "$t1"            # current: not rebuilt

# captured again with nothing new: the mark stays, the index too
m1=$(marks)
capture
expect_eq "$(marks)" "$m1"
query
expect_eq "$(stamp)" "$t1"

# a new event line: the node's mark moves and the next query rebuilds
tail -n 1 "$sdir/logs/events/event_GCS.log" >> "$sdir/logs/events/event_GCS.log"
capture
[ "$(marks)" != "$m1" ] || fail "the mark did not move"
[ "$(marks | wc -l)" -eq 1 ] || fail "the old mark stayed: $(marks)"
sleep 0.01
query
t2=$(stamp)
[ "$t2" != "$t1" ] || fail "the index was not rebuilt"

# an index built after the end mark is final: no check moves it
capture --ended
rm -f "$idx"
query
t3=$(stamp)
query
expect_eq "$(stamp)" "$t3"
tasks=$("$RH_LS" --store "$store" --tasks --limit 0 "$path" 2>&1 >/dev/null | tail -n 1)

# ... until a writer adds events to the ended session: it removes the index
cat > "$tmp/late.json" <<'JSON'
[{"eventId":"bGF0ZQ==","sourceType":"CORE_WORKER","eventType":"TASK_DEFINITION_EVENT","timestamp":"2025-11-14T15:20:00Z","severity":"INFO","taskDefinitionEvent":{"taskId":"3q2+796tvu/erb7v3q2+796tvu/erb7v","taskAttempt":0,"jobId":"AQAAAA==","taskType":"NORMAL_TASK","language":"PYTHON","taskName":"late_task"}}]
JSON
"$RH_COLLECT" --store "$store" --cluster m --session "$session" -q --events "$tmp/late.json"
[ ! -e "$idx" ] || fail "the import left the sealed index"
marks | grep -q '^import-' || fail "no import mark: $(marks)"
after=$("$RH_LS" --store "$store" --tasks --limit 0 "$path" 2>&1 >/dev/null | tail -n 1)
[ "$after" != "$tasks" ] || fail "the imported events are not seen ($after)"
"$RH_LS" --store "$store" --tasks --limit 0 "$path" 2>/dev/null | grep -q late_task ||
	fail "the late task is not listed"
pass
