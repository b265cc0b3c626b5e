#!/bin/sh
# A bucket read with credentials that may not write (an RGW subuser with
# read access): rayhist-ls and rayhist-serve keep the session index in
# --cache-dir, answer as with write access, and the bucket does not change.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
. "$top_srcdir/tests/cli/serve_env.sh"
s3_setup
s3_start readonly
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 5 --nodes 1 --log-bytes 20K >/dev/null 2>&1 ||
	fail "raygen failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store s3://rayhist/ro --cluster c1 -q "$n" || fail "collect $n"
done
session=default/c1/$(basename "$(readlink -f "$tmp"/gen/*/session_latest)")

# a key of the same user that may only read
RO_KEY=AKRO$(echo "$S3_KEY_ID" | cut -c5-)
RO_SECRET=read-only-$S3_SECRET
out=$(timeout 60 radosgw-admin -c "$RGW_DIR/ceph.conf" -n client.rgw.a subuser create \
	--tenant "$tenant" --uid user --subuser user:ro --access read --key-type s3 \
	--access-key "$RO_KEY" --secret-key "$RO_SECRET" 2>&1) ||
	fail "radosgw-admin subuser create: $out"

# every key of the bucket, with the owner's key (the AWS SDK)
bucket_listing() {
	s3_sdk list rayhist "" || fail "cannot list the bucket"
}
# the premise: the read-only key is refused a write
echo x > "$tmp/x"
set +e
AWS_ENDPOINT_URL=$RGW_ENDPOINT AWS_ACCESS_KEY_ID=$RO_KEY AWS_SECRET_ACCESS_KEY=$RO_SECRET \
	s3_sdk put rayhist ro/probe "$tmp/x" > "$tmp/probe" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] && grep -q AccessDenied "$tmp/probe" ||
	fail "a PUT with the read-only key: exit $rc, $(cat "$tmp/probe")"
before=$(bucket_listing)
echo "$before" | grep -q "/node_" || echo "$before" | grep -q "session" || fail "no listing: $before"

ro() {
	AWS_ENDPOINT_URL=$RGW_ENDPOINT AWS_ACCESS_KEY_ID=$RO_KEY \
		AWS_SECRET_ACCESS_KEY=$RO_SECRET HOME=$tmp/home XDG_CACHE_HOME= "$@"
}
# without a cache folder the refusal is said
set +e
ro env -u HOME -u XDG_CACHE_HOME "$RH_LS" --store s3://rayhist/ro -q --jobs "$session" \
	>/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "403 AccessDenied" "$tmp/err" && grep -q "no --cache-dir" "$tmp/err" ||
	fail "no cache folder: exit $rc, $(cat "$tmp/err")"
# with one: the same rows as the owner sees, the index in the cache
ro "$RH_LS" --store s3://rayhist/ro -q --cache-dir "$tmp/cache" --tasks "$session" \
	> "$tmp/ro.out" 2>"$tmp/err" || fail "rayhist-ls, read-only key: $(cat "$tmp/err")"
idx=$(find "$tmp/cache" -name session.idx)
[ -n "$idx" ] || fail "no index in the cache folder"
[ "$(bucket_listing)" = "$before" ] || fail "the bucket changed"
# the server, by the default folder ($HOME/.cache/rayhist)
ro $PY - "$session" <<'PY' || fail "see above"
import sys
from rhserve import Server, check, finish
with Server("s3://rayhist/ro") as srv:
    base = "/c/%s/" % sys.argv[1]
    srv.wait_ready(base)
    st, _, body = srv.get(base + "api/v0/tasks?limit=10000")
    check(st == 200 and b'"result": true' in body.replace(b'":true', b'": true'),
          "tasks: %d %.300r" % (st, body))
finish("s3_readonly serve")
PY
[ -n "$(find "$tmp/home/.cache/rayhist" -name session.idx)" ] ||
	fail "the server kept no index in the default cache folder"
[ "$(bucket_listing)" = "$before" ] || fail "the bucket changed (serve)"
# the owner's view, built and stored in the bucket, is the same
"$RH_LS" --store s3://rayhist/ro -q --tasks "$session" > "$tmp/rw.out" || fail "rayhist-ls, owner"
cmp "$tmp/rw.out" "$tmp/ro.out" || fail "read-only rows differ from the owner's"
[ "$(bucket_listing)" != "$before" ] || fail "sanity: the owner's rayhist-ls stored no index"
pass
