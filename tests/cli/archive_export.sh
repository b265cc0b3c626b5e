#!/bin/sh
# rayhist-ls --export: tar -xf of the export equals the original session
# folders byte for byte (cmp of every stored file, and its mtime), in
# .tar.zst, .tar.gz and .zip and on stdout; a node and a file prefix export
# only those; export -> import -> export gives the same files, events and
# manifests; non-UTF-8 names survive the round trip.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
tmp=$(mktemp -d)
cleanup_add "$tmp"
cmp_stores="${PYTHON:-python3} $top_srcdir/tests/cli/store_compare.py"

$RH_GEN session --out "$tmp/gen" --seed 11 --nodes 3 >/dev/null 2>&1
for root in "$tmp"/gen/*/; do
	[ -e "$root/session_latest" ] || continue
	"$RH_COLLECT" --store "$tmp/st" --cluster exp -q "$root/session_latest" 2>/dev/null
done
S=$("$RH_LS" --store "$tmp/st" default/exp)
"$RH_COLLECT" --store "$tmp/st" --cluster exp --session "$S" -q --events "$tmp"/gen/aggregator/*.json
nbatch=$(find "$tmp/st/default/exp/$S/events" -type f | wc -l)
[ "$nbatch" -gt 0 ] || fail "no event batches stored"

# check_tree DIR: every file the store holds of every node, byte for byte
# and with its mtime, under DIR/NODE/SESSION/.
check_tree() {
	n=0
	for root in "$tmp"/gen/*/; do
		[ -e "$root/session_latest" ] || continue
		sdir=$(cd "$root/session_latest" && pwd -P)
		node=$(grep -o 'node_id=[0-9a-f]*' "$sdir/logs/raylet.out" | head -n 1 | cut -d= -f2)
		[ -d "$1/$node/$S" ] || fail "no folder $node/$S in the export"
		for f in $(cd "$sdir" && find . \( -type f -o -type l \) ! -name '*.lock' | sed 's|^\./||' | sort); do
			if [ -L "$sdir/$f" ] && ! case "$(readlink -f "$sdir/$f")" in "$sdir"/*) true ;; *) false ;; esac; then
				[ ! -e "$1/$node/$S/$f" ] || fail "link leaving the session exported: $f"
				continue
			fi
			cmp -s "$sdir/$f" "$1/$node/$S/$f" || fail "$node/$f differs in the export"
			[ -L "$sdir/$f" ] ||
				[ "$(stat -c %Y "$sdir/$f")" = "$(stat -c %Y "$1/$node/$S/$f")" ] ||
				fail "$node/$f: mtime not kept"
			n=$((n + 1))
		done
	done
	[ "$n" -gt 100 ] || fail "only $n files compared"
	[ "$(find "$1/rayhist-export/$S/events" -type f | wc -l)" -eq "$nbatch" ] ||
		fail "event batches missing from the export"
	grep -q "\"session\":\"$S\"" "$1/rayhist-export/manifest.json" || fail "no manifest"
}

for fmt in tar.zst tar.gz zip; do
	"$RH_LS" --store "$tmp/st" --export "$tmp/e.$fmt" "default/exp/$S"
	mkdir "$tmp/x-$fmt"
	case $fmt in
	zip) (cd "$tmp/x-$fmt" && unzip -q "$tmp/e.$fmt") ;;
	*) tar -C "$tmp/x-$fmt" -xf "$tmp/e.$fmt" ;;
	esac
	check_tree "$tmp/x-$fmt"
done
# the stream is a plain zstd of a plain tar
zstd -q -t "$tmp/e.tar.zst" || fail "zstd -t rejects the export"
# stdout, with --format
"$RH_LS" --store "$tmp/st" --format tar.gz --export - "default/exp/$S" | tar -tzf - > "$tmp/list"
grep -q "rayhist-export/manifest.json" "$tmp/list" || fail "stdout export incomplete"
# a wrong name or format is a usage error, and leaves no file behind
expect_fail 2 "$RH_LS" --store "$tmp/st" --export "$tmp/e.rar" "default/exp/$S"
expect_fail 2 "$RH_LS" --store "$tmp/st" --format rar --export "$tmp/e.zip" "default/exp/$S"
expect_fail 1 "$RH_LS" --store "$tmp/st" --export "$tmp/none.zip" "default/exp/$S/ffff"
[ -z "$(ls "$tmp" | grep 'none\|\.part')" ] || fail "a failed export left a file: $(ls "$tmp")"

# one node; one node's files under a prefix
head=$(ls -d "$tmp"/gen/*head*/)
hsdir=$(cd "$head/session_latest" && pwd -P)
hnode=$(grep -o 'node_id=[0-9a-f]*' "$hsdir/logs/raylet.out" | head -n 1 | cut -d= -f2)
short=$(printf %.8s "$hnode")
"$RH_LS" --store "$tmp/st" --export "$tmp/node.tar.zst" "default/exp/$S/$short"
[ "$(tar -tf "$tmp/node.tar.zst" | grep -v '^rayhist-export/' | cut -d/ -f1 | sort -u)" = "$hnode" ] ||
	fail "node export holds other nodes"
"$RH_LS" --store "$tmp/st" --export "$tmp/sub.zip" "default/exp/$S/$short/logs/raylet"
unzip -Z1 "$tmp/sub.zip" | grep -v '^rayhist-export/' > "$tmp/sub.list"
[ -s "$tmp/sub.list" ] || fail "prefix export empty"
! grep -v "^$hnode/$S/logs/raylet" "$tmp/sub.list" || fail "prefix export holds other files"

# round trip: export -> import -> export
"$RH_COLLECT" --store "$tmp/back" --cluster exp -q --archive "$tmp/e.tar.zst"
"$RH_LS" --store "$tmp/back" --export "$tmp/again.tar.zst" "default/exp/$S"
mkdir "$tmp/x-again"
tar -C "$tmp/x-again" -xf "$tmp/again.tar.zst"
diff -r "$tmp/x-tar.zst" "$tmp/x-again" || fail "export -> import -> export differs"
# and the store it gives back holds what the first one held (the skips -
# lock files, a link leaving the session - are not files, and not exported)
$cmp_stores --no-skips "$tmp/back" "$tmp/st" || fail "imported export differs from the store"

# non-UTF-8 names through tar.zst and zip
s=$(make_session "$tmp/odd")
printf 'latin-1\n' > "$s/logs/caf$(printf '\351').log"
"$RH_COLLECT" --store "$tmp/odd-st" --cluster exp -q "$s"
OS=$(basename "$s")
for fmt in tar.zst zip; do
	"$RH_LS" --store "$tmp/odd-st" --export "$tmp/odd.$fmt" "default/exp/$OS"
	"$RH_COLLECT" --store "$tmp/odd-back-$fmt" --cluster exp -q --archive "$tmp/odd.$fmt"
	# zip keeps whole seconds (libarchive writes the UT extra field)
	prec=1; [ "$fmt" = zip ] && prec=1000
	$cmp_stores --no-skips --mtime-precision $prec "$tmp/odd-back-$fmt" "$tmp/odd-st" || fail "odd names: $fmt round trip differs"
done
pass
