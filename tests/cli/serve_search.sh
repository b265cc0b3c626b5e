#!/bin/sh
# rayhist-serve's rayhist/search answers what rayhist-ls --grep --json
# prints (itself checked against grep by search_grep.sh), as valid JSON for
# bytes outside UTF-8, with links into Ray's log viewer and into
# rayhist/logline, which shows the hit's line under its number
# (tests/cli/serve_search.py).
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=$tmp/store
$RH_GEN session --out "$tmp/gen" --seed 14 >/dev/null 2>&1 || fail "raygen failed"
head=$(ls -d "$tmp"/gen/*head*/session_2*)
$PY "$top_srcdir/tests/gen/rg_search.py" "$head" 14 || fail "rg_search failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store "$store" --cluster rc1 -q --frame-size 4096 "$n" ||
		fail "rayhist-collect $n failed"
done
"$top_builddir/tests/cli/ingest_events" "$store" "default/rc1/$(basename "$head")" \
	"$tmp"/gen/aggregator/*.json || fail "ingesting the event batches failed"
$PY "$top_srcdir/tests/cli/serve_search.py" "$store" "$tmp/gen" "$RH_LS"
