#!/bin/sh
# Interoperability with the official AWS SDK for JavaScript: what rayhist
# writes to a bucket (single PUTs and multipart uploads) the SDK reads back
# byte for byte, and a store written object by object by the SDK (one
# object as a multipart upload) rayhist reads, whole and by byte ranges.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
sess=$(make_session "$tmp/ray")
head -c 3000000 /dev/urandom > "$sess/logs/random.bin" # stays ~3 MB compressed
$RH_GEN biglog --out "$sess/logs/big.out" --bytes 2000000 >/dev/null
s3_start sdk
session=$(basename "$sess")
node=0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee
files="logs/raylet.out logs/gcs_server.out logs/random.bin logs/big.out"

# rayhist -> SDK: the same capture to a folder and to the bucket gives the
# same objects; the SDK reads the bucket's, and they decompress to the files
"$RH_COLLECT" --store "$tmp/st" --cluster c1 -q "$tmp/ray/session_latest"
RAYHIST_S3_MULTIPART_THRESHOLD=1MiB RAYHIST_S3_PART_SIZE=256KiB \
	"$RH_COLLECT" --store s3://rayhist/w --cluster c1 -q "$tmp/ray/session_latest"
[ "$(s3_stats complete_mpu)" -ge 1 ] || fail "rayhist made no multipart upload: $(s3_stats)"
s3_sdk list rayhist w/ > "$tmp/sdk-keys" || fail "the SDK cannot list"
(cd "$tmp/st" && find . -type f | sed 's|^\./|w/|' | LC_ALL=C sort) > "$tmp/want-keys"
diff -u "$tmp/want-keys" "$tmp/sdk-keys" || fail "the SDK lists other keys"
for f in $files; do
	key="w/default/c1/$session/nodes/$node/files/$f@00000000000000000000.zst"
	s3_sdk get rayhist "$key" "$tmp/blob" || fail "the SDK cannot get $key"
	zstd -q -d -c "$tmp/blob" | cmp -s - "$sess/$f" || fail "$f read by the SDK differs"
	[ "$(s3_sdk head rayhist "$key")" -eq "$(wc -c < "$tmp/blob")" ] || fail "$key: HEAD size"
done

# SDK -> rayhist: the folder's objects uploaded by the SDK, the random blob
# (the largest) as a multipart upload of 512 KiB parts
(cd "$tmp/st" && find . -type f | sed 's|^\./||') | while read -r k; do
	case "$k" in
	*random.bin*) n=$(s3_sdk mpu rayhist "sdk/$k" "$tmp/st/$k" 524288) ||
		fail "SDK multipart upload"
		[ "$n" -ge 5 ] || fail "only $n parts" ;;
	*) s3_sdk put rayhist "sdk/$k" "$tmp/st/$k" || fail "SDK put $k" ;;
	esac
done
for f in $files; do
	p="default/c1/$session/$node/$f"
	"$RH_LS" --store s3://rayhist/sdk --cat "$p" > "$tmp/got" || fail "rayhist cannot read $f"
	cmp -s "$tmp/got" "$sess/$f" || fail "$f written by the SDK reads differently"
	size=$(wc -c < "$sess/$f")
	ranges="0:1 1:$size"
	[ "$size" -gt 100 ] && ranges="0:1 1:17 $((size / 3)):$((size / 3 + 100000)) $((size - 10)):$size $((size / 2)):"
	for r in $ranges; do
		a=${r%%:*}
		b=${r#*:}
		"$RH_LS" --store s3://rayhist/sdk --range "$r" "$p" > "$tmp/got" || fail "range $r of $f"
		python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); a=int(sys.argv[2]); b=int(sys.argv[3]) if sys.argv[3] else len(d); sys.stdout.buffer.write(d[a:b])' \
			"$sess/$f" "$a" "$b" | cmp -s - "$tmp/got" || fail "range $r of $f differs"
	done
	"$RH_LS" --store s3://rayhist/sdk --tail 5 "$p" > "$tmp/got" || fail "tail of $f"
done
tail -n 5 "$sess/logs/big.out" | cmp -s - "$tmp/got" || fail "tail of big.out differs"
"$RH_LS" --store s3://rayhist/sdk "default/c1/$session/$node" > "$tmp/ls" || fail "listing the SDK's objects"
[ "$(s3_stats signature_failures)" -eq 0 ] || fail "bad signatures: $(s3_stats)"
pass
