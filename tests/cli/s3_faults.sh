#!/bin/sh
# Faults between rayhist and the bucket: with a share of requests failing
# (500, 503 and 429 SlowDown answers, connections reset before or after the
# request was served, answers cut short, answers later than the timeout),
# captures and reads still succeed with the same results, and the store
# contract still holds; once a failure outlasts max_attempts it is reported
# (how many attempts, the last error), never swallowed, and a later capture
# ships what the failed one could not.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 5 --nodes 1 >/dev/null
root=$(ls -d "$tmp"/gen/*/session_latest | head -n 1)
sdir=$(cd "$root" && pwd -P)
session=$(basename "$sdir")
node=$(grep -o 'node_id=[0-9a-f]*' "$sdir/logs/raylet.out" | head -n 1 | cut -d= -f2)
head -c 1500000 /dev/urandom > "$sdir/logs/random.bin" # a multipart upload

s3_start faults --faults "share=0.12;kinds=500,503,429,reset,reset_after,delay,truncate;delay_ms=1500;seed=3"
RAYHIST_S3_TIMEOUT=1s
RAYHIST_S3_MAX_ATTEMPTS=15
RAYHIST_S3_MULTIPART_THRESHOLD=512KiB
RAYHIST_S3_PART_SIZE=128KiB
export RAYHIST_S3_TIMEOUT RAYHIST_S3_MAX_ATTEMPTS RAYHIST_S3_MULTIPART_THRESHOLD RAYHIST_S3_PART_SIZE

# capture and read back through the faulty proxy
"$RH_COLLECT" --store s3://rayhist/f --cluster e2e -q "$root" || fail "capture through faults failed"
"$RH_LS" --store s3://rayhist/f "default/e2e/$session" > "$tmp/nodes"
[ "$(cat "$tmp/nodes")" = "$node" ] || fail "nodes listed: $(cat "$tmp/nodes")"
n=0
for f in $(cd "$sdir" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort); do
	"$RH_LS" --store s3://rayhist/f --cat "default/e2e/$session/$node/$f" > "$tmp/got" ||
		fail "cannot read $f through faults"
	cmp -s "$tmp/got" "$sdir/$f" || fail "$f differs"
	n=$((n + 1))
done
[ "$n" -gt 10 ] || fail "only $n files"
"$top_builddir/tests/s3/store_check" "$tmp/folder" > "$tmp/file.txt"
"$top_builddir/tests/s3/store_check" s3://rayhist/contract > "$tmp/s3.txt" ||
	fail "store_check through faults failed"
diff -u "$tmp/file.txt" "$tmp/s3.txt" || fail "through faults the store behaves unlike file://"
stats=$(s3_stats)
echo "faults injected: $stats"
[ "$(s3_stats faults)" -ge 30 ] || fail "too few faults to mean anything: $stats"
[ "$(s3_stats signature_failures)" -eq 0 ] || fail "bad signatures: $stats"

# past the retry limit: every request fails; the error says how and when
s3_faults "share=1;kinds=503"
# (rayhist-ls lists a path's levels together: each listing is tried
# exactly 3 times - the harness's log has every request)
logged=$(wc -l < "$S3_DIR/requests.log")
RAYHIST_S3_MAX_ATTEMPTS=3 expect_fail 1 "$RH_LS" --store s3://rayhist/f "default/e2e/$session"
echo "$err" | grep -q "gave up after 3 attempts (max_attempts): 503 SlowDown: Please reduce your request rate" ||
	fail "503: $err"
tail -n +"$((logged + 1))" "$S3_DIR/requests.log" | grep -v '^  ->' | awk '{print $1, $2}' |
	sort | uniq -c > "$tmp/attempts"
[ -s "$tmp/attempts" ] || fail "no request logged"
awk '$1 != 3 { bad = 1 } END { exit bad }' "$tmp/attempts" ||
	fail "not exactly 3 attempts of each request: $(cat "$tmp/attempts")"
s3_faults "share=1;kinds=reset"
RAYHIST_S3_MAX_ATTEMPTS=2 expect_fail 1 "$RH_LS" --store s3://rayhist/f --cat "default/e2e/$session/$node/logs/raylet.out"
echo "$err" | grep -q "gave up after 2 attempts (max_attempts): .*\[endpoint http://127.0.0.1:$S3_PORT from AWS_ENDPOINT_URL\]" ||
	fail "reset: $err"
s3_faults "share=1;kinds=delay;delay_ms=3000"
RAYHIST_S3_MAX_ATTEMPTS=2 expect_fail 1 "$RH_LS" --store s3://rayhist/f "default/e2e/$session"
echo "$err" | grep -q "gave up after 2 attempts.*no progress within the timeout" || fail "delay: $err"

# a capture that fails midway is reported; the next one ships the rest
$RH_GEN append --out "$tmp/gen" > /dev/null
s3_faults "share=1;kinds=500;ops=upload_part,put"
RAYHIST_S3_MAX_ATTEMPTS=2 expect_fail 1 "$RH_COLLECT" --store s3://rayhist/f --cluster e2e -q "$root"
echo "$err" | grep -q "gave up after 2 attempts (max_attempts): 500 InternalError" || fail "capture: $err"
s3_faults "share=0.1;kinds=500,reset,truncate;seed=9"
"$RH_COLLECT" --store s3://rayhist/f --cluster e2e -q "$root" || fail "the capture after the outage failed"
for f in $(cd "$sdir" && find . -type f ! -name '*.lock' | sed 's|^\./||' | sort); do
	"$RH_LS" --store s3://rayhist/f --cat "default/e2e/$session/$node/$f" | cmp -s - "$sdir/$f" ||
		fail "$f differs after the outage"
done
pass
