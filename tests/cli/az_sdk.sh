#!/bin/sh
# Interoperability with Microsoft's Azure Storage Blob SDK for JavaScript:
# what rayhist captures into a container (single Put Blobs and staged
# blocks) the SDK lists and reads back byte for byte, and a store written
# blob by blob by the SDK (the largest as staged blocks) rayhist reads,
# whole, by byte ranges and by tail.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/az/lib.sh"
az_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
sess=$(make_session "$tmp/ray")
head -c 3000000 /dev/urandom > "$sess/logs/random.bin" # stays ~3 MB compressed
$RH_GEN biglog --out "$sess/logs/big.out" --bytes 2000000 >/dev/null
az_start
session=$(basename "$sess")
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
files="logs/raylet.out logs/gcs_server.out logs/random.bin logs/big.out"

# rayhist -> SDK: the same capture to a folder and to the container gives
# the same objects; the SDK reads the container's, and they decompress to
# the files; the random file's blob is made of committed blocks
"$RH_COLLECT" --store "$tmp/st" --cluster c1 -q "$tmp/ray/session_latest"
RAYHIST_AZ_BLOCK_THRESHOLD=1MiB RAYHIST_AZ_BLOCK_SIZE=256KiB \
	"$RH_COLLECT" --store az://rayhist/w --cluster c1 -q "$tmp/ray/session_latest"
[ "$(az_requests 'PUT [^ ]*comp=blocklist')" -ge 1 ] || fail "rayhist staged no blocks"
az_sdk list rayhist w/ > "$tmp/sdk-keys" || fail "the SDK cannot list"
(cd "$tmp/st" && find . -type f | sed 's|^\./|w/|' | LC_ALL=C sort) > "$tmp/want-keys"
diff -u "$tmp/want-keys" "$tmp/sdk-keys" || fail "the SDK lists other blobs"
for f in $files; do
	key="w/default/c1/$session/nodes/$node/files/$f@00000000000000000000.zst"
	az_sdk get rayhist "$key" "$tmp/blob" || fail "the SDK cannot get $key"
	zstd -q -d -c "$tmp/blob" | cmp -s - "$sess/$f" || fail "$f read by the SDK differs"
	[ "$(az_sdk size rayhist "$key")" -eq "$(wc -c < "$tmp/blob")" ] || fail "$key: size"
done
key="w/default/c1/$session/nodes/$node/files/logs/random.bin@00000000000000000000.zst"
[ "$(az_sdk blocklist rayhist "$key")" -ge 11 ] || fail "random.bin was not staged in 256 KiB blocks"

# SDK -> rayhist: the folder's objects uploaded by the SDK, the random blob
# (the largest) as staged blocks of 512 KiB
(cd "$tmp/st" && find . -type f | sed 's|^\./||') | while read -r k; do
	case "$k" in
	*random.bin*) n=$(az_sdk blocks rayhist "sdk/$k" "$tmp/st/$k" 524288) ||
		fail "SDK staged upload"
		[ "$n" -ge 5 ] || fail "only $n blocks" ;;
	*) az_sdk put rayhist "sdk/$k" "$tmp/st/$k" || fail "SDK put $k" ;;
	esac
done
for f in $files; do
	p="default/c1/$session/$node/$f"
	"$RH_LS" --store az://rayhist/sdk --cat "$p" > "$tmp/got" || fail "rayhist cannot read $f"
	cmp -s "$tmp/got" "$sess/$f" || fail "$f written by the SDK reads differently"
	size=$(wc -c < "$sess/$f")
	ranges="0:1 1:$size"
	[ "$size" -gt 100 ] && ranges="0:1 1:17 $((size / 3)):$((size / 3 + 100000)) $((size - 10)):$size $((size / 2)):"
	for r in $ranges; do
		a=${r%%:*}
		b=${r#*:}
		"$RH_LS" --store az://rayhist/sdk --range "$r" "$p" > "$tmp/got" || fail "range $r of $f"
		python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); a=int(sys.argv[2]); b=int(sys.argv[3]) if sys.argv[3] else len(d); sys.stdout.buffer.write(d[a:b])' \
			"$sess/$f" "$a" "$b" | cmp -s - "$tmp/got" || fail "range $r of $f differs"
	done
	"$RH_LS" --store az://rayhist/sdk --tail 5 "$p" > "$tmp/got" || fail "tail of $f"
done
tail -n 5 "$sess/logs/big.out" | cmp -s - "$tmp/got" || fail "tail of big.out differs"
"$RH_LS" --store az://rayhist/sdk "default/c1/$session/$node" > "$tmp/ls" || fail "listing the SDK's objects"
grep -qx "logs/" "$tmp/ls" || fail "the listing lacks logs/"
pass
