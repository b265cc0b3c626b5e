#!/bin/sh
# End to end: generate a multi-node Ray session, capture every node, read
# every file back byte for byte, check every stored blob with zstd, then grow
# some logs, capture again, and check that only the new bytes were shipped.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
store=${RH_TEST_STORE:-$tmp/store}
$RH_GEN session --out "$tmp/gen" --seed 11 --nodes 3 >/dev/null 2>&1

# compare_node ROOT: every file of the node's session reads back exactly.
compare_node() {
	sdir=$(cd "$1/session_latest" && pwd -P)
	session=$(basename "$sdir")
	node=$(grep -o 'node_id=[0-9a-f]*' "$sdir/logs/raylet.out" | head -n 1 | cut -d= -f2)
	n=0
	for f in $(cd "$sdir" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort); do
		"$RH_LS" --store "$store" --cat "default/e2e/$session/$node/$f" > "$tmp/got" ||
			fail "cannot read $f of node $node"
		cmp -s "$tmp/got" "$sdir/$f" || fail "$f of node $node differs"
		n=$((n + 1))
	done
	# links inside the session read as their target's bytes
	for l in $(cd "$sdir" && find . -type l | sed 's|^\./||'); do
		if [ -f "$sdir/$l" ] && case "$(readlink -f "$sdir/$l")" in "$sdir"/*) true ;; *) false ;; esac; then
			"$RH_LS" --store "$store" --cat "default/e2e/$session/$node/$l" | cmp -s - "$sdir/$l" ||
				fail "link $l differs"
		else
			expect_fail 1 "$RH_LS" --store "$store" --cat "default/e2e/$session/$node/$l"
		fi
	done
	[ "$n" -gt 10 ] || fail "only $n files on node $node"
}

nodes=0
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	"$RH_COLLECT" --store "$store" --cluster e2e -q "$root/session_latest"
	nodes=$((nodes + 1))
done
[ "$nodes" -eq 3 ] || fail "expected 3 nodes, found $nodes"
session=$("$RH_LS" --store "$store" default/e2e)
[ "$("$RH_LS" --store "$store" "default/e2e/$session" | wc -l)" -eq 3 ] || fail "store lists other than 3 nodes"
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] && compare_node "$root"
done

# every stored blob is a valid .zst
if [ -z "${RH_TEST_STORE:-}" ]; then
	find "$store" -name '*.zst' > "$tmp/blobs"
	[ -s "$tmp/blobs" ] || fail "no blobs stored"
	xargs zstd -q -t < "$tmp/blobs" || fail "zstd -t rejects a stored blob"
fi

# grow some logs; a second capture ships exactly the new bytes
$RH_GEN append --out "$tmp/gen" > "$tmp/appended.json"
want=$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' "$tmp/appended.json")
[ "$want" -gt 0 ] || fail "the generator appended nothing"
got=0
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	out=$("$RH_COLLECT" --store "$store" --cluster e2e "$root/session_latest" 2>/dev/null)
	n=$(echo "$out" | sed -n 's/.*; \([0-9]*\) new bytes stored.*/\1/p')
	got=$((got + n))
done
expect_eq "$got" "$want"
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] && compare_node "$root"
done

# --ended: the cluster is gone; the session is marked, once
root=$(ls -d "$tmp"/gen/*/session_latest | head -n 1)
sname=$(basename "$(cd "$root" && pwd -P)")
"$RH_LS" --store "$store" -l default/e2e | grep -q "unknown  *$sname" ||
	fail "a one-shot capture is not in state unknown: $("$RH_LS" --store "$store" -l default/e2e)"
"$RH_COLLECT" -q --store "$store" --cluster e2e --ended "$root" || fail "--ended capture failed"
line=$("$RH_LS" --store "$store" -l default/e2e | grep "$sname")
echo "$line" | grep -q " ended  *$sname" || fail "--ended did not mark the session: $line"
expect_fail 2 "$RH_COLLECT" --store "$store" --cluster e2e --ended --follow

# the parts of a grown file, concatenated, are one valid .zst of the file
if [ -z "${RH_TEST_STORE:-}" ]; then
	root=$(dirname "$(ls -d "$tmp"/gen/*/session_latest | head -n 1)")
	sdir=$(cd "$root/session_latest" && pwd -P)
	node=$(grep -o 'node_id=[0-9a-f]*' "$sdir/logs/raylet.out" | head -n 1 | cut -d= -f2)
	parts=$(find "$store" -path "*/nodes/$node/files/logs/raylet.out@*" | sort)
	[ "$(echo "$parts" | wc -l)" -ge 2 ] || fail "raylet.out did not get a second part"
	# shellcheck disable=SC2086
	cat $parts | zstd -q -d | cmp -s - "$sdir/logs/raylet.out" || fail "concatenated parts differ"
fi
pass
