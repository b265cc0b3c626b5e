#!/bin/sh
# Replay every fuzz target's seed corpus with the standalone driver: each
# tests/fuzz/<name>_replay runs over tests/fuzz/corpus/<name>/. Fails when a
# replay fails (the target aborts on a broken invariant, the sanitizers on
# bad memory use) or when a target has no corpus.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"

bad=""
ran=0
for bin in "$top_builddir"/tests/fuzz/*_replay; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	name=${name%_replay}
	corpus=$top_srcdir/tests/fuzz/corpus/$name
	ran=$((ran + 1))
	if [ ! -d "$corpus" ]; then
		echo "$name: no corpus directory $corpus" >&2
		bad="$bad $name"
		continue
	fi
	if "$bin" "$corpus" 2>"$tmp/$name.log"; then
		echo "$name: $(tail -n 1 "$tmp/$name.log")"
	else
		echo "$name: replay failed; the end of its log:" >&2
		tail -n 30 "$tmp/$name.log" >&2
		bad="$bad $name"
	fi
done
[ "$ran" -gt 0 ] || fail "no tests/fuzz/*_replay programs in $top_builddir"
[ -z "$bad" ] || fail "fuzz corpus replay failed for:$bad"
pass
