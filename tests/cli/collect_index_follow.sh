#!/bin/sh
# The head's follower builds the session's index at the end of its SIGTERM
# drain, after the end mark (collect_follow.c): the index is stored, final,
# and rayhist-ls reads it without rewriting it. --no-index leaves it to the
# first reader; a worker's follower, which marks nothing, builds none.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/follow_lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 53 --nodes 2 >/dev/null 2>&1
head=$(ls -d "$tmp"/gen/*-head-*)
worker=$(ls -d "$tmp"/gen/*-worker-*)
session=$(basename "$(readlink -f "$head/session_latest")")

# follow ROOT CLUSTER LOG [OPTION...]: follow until SIGTERM, drained
follow() {
	_root=$1 _cluster=$2 _log=$3
	shift 3
	start_collector "$_log" --store "$tmp/store" --cluster "$_cluster" \
		--ray-root "$_root" --state-dir "$_log.state" --flush-interval 0.2 \
		--events-listen off "$@"
	wait_for "$_log" "following session_"
	kill -TERM "$cpid"
	wait_exit "$cpid" 60
	expect_eq "$status" 0
}

follow "$head" c "$tmp/head.log" --role head
idx=$tmp/store/default/c/$session/index/session.idx
[ -f "$idx" ] || fail "the head's drain built no index: $(cat "$tmp/head.log")"
grep -q "^default/c/$session/: index built: [1-9][0-9]* task attempts" "$tmp/head.log" ||
	fail "no index line: $(cat "$tmp/head.log")"
before=$(stat -c '%i %Y %s' "$idx")
"$RH_LS" --store "$tmp/store" --tasks --limit 1 "default/c/$session" >/dev/null
expect_eq "$(stat -c '%i %Y %s' "$idx")" "$before"

follow "$head" lazy "$tmp/lazy.log" --role head --no-index
[ ! -e "$tmp/store/default/lazy/$session/index" ] || fail "--no-index built an index"
! grep -q "index" "$tmp/lazy.log" || fail "$(cat "$tmp/lazy.log")"

follow "$worker" w "$tmp/worker.log" --role worker
[ ! -e "$tmp/store/default/w/$session/index" ] || fail "a worker built an index"
pass
