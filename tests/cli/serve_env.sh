# Shared set-up of the rayhist-serve tests (sourced after lib.sh): a store
# holding one generated session (tests/gen/raygen.py, seed 1, three nodes)
# captured as default/rc1, with its aggregator event batches ingested.
#   make_served_store DIR   -> DIR/gen (the generator's output, truth.json)
#                              DIR/store (the store), or $RH_TEST_STORE
#                              when set (an s3:// URL); $served_store names it
#   served_tmp_store        -> make_served_store in a fresh $tmp (removed on
#                              exit)
PY=${PYTHON:-python3}
export PYTHONPATH="$top_srcdir/tests/cli${PYTHONPATH:+:$PYTHONPATH}"
# A fresh folder $tmp, removed on exit, holding the served store: the
# preamble of the tests that serve one generated session.
served_tmp_store() {
	tmp=$(mktemp -d)
	cleanup_add "$tmp"
	make_served_store "$tmp"
}
make_served_store() {
	served_store=${RH_TEST_STORE:-$1/store}
	$RH_GEN session --out "$1/gen" --seed 1 >/dev/null ||
		fail "raygen failed"
	for n in "$1"/gen/*/session_latest; do
		"$RH_COLLECT" --store "$served_store" --cluster rc1 -q "$n" ||
			fail "rayhist-collect $n failed"
	done
	session=$(basename "$(readlink -f "$1"/gen/*head*/session_latest)")
	"$top_builddir/tests/cli/ingest_events" "$served_store" "default/rc1/$session" \
		"$1"/gen/aggregator/*.json || fail "ingesting the event batches failed"
}
