#!/bin/sh
# An az:// container read with a SAS that may only read and list ("rl"):
# rayhist-ls keeps the session index in --cache-dir (the write answers 403
# AuthorizationPermissionMismatch), lists the same rows as with the account
# key, and the container does not change.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/az/lib.sh"
az_setup
az_start
tmp=$(mktemp -d)
cleanup_add "$tmp"
$RH_GEN session --out "$tmp/gen" --seed 7 --nodes 1 --log-bytes 20K >/dev/null 2>&1 ||
	fail "raygen failed"
for n in "$tmp"/gen/*/session_latest; do
	"$RH_COLLECT" --store az://rayhist/ro --cluster c1 -q "$n" || fail "collect $n"
done
session=default/c1/$(basename "$(readlink -f "$tmp"/gen/*/session_latest)")
before=$(az_sdk list rayhist "") || fail "cannot list the container"
rosas=$(az_sdk sas rayhist rl)
ro() {
	env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT=rayhist \
		AZURE_STORAGE_SAS_TOKEN="$rosas" RAYHIST_AZ_ENDPOINT="$AZ_BLOB_ENDPOINT" \
		HOME="$tmp/home" XDG_CACHE_HOME= "$@"
}
set +e
ro env -u HOME "$RH_LS" --store az://rayhist/ro -q --jobs "$session" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "403 AuthorizationPermissionMismatch" "$tmp/err" ||
	fail "no cache folder: exit $rc, $(cat "$tmp/err")"
ro "$RH_LS" --store az://rayhist/ro -q --cache-dir "$tmp/cache" --tasks "$session" \
	> "$tmp/ro.out" 2>"$tmp/err" || fail "rayhist-ls, read-only SAS: $(cat "$tmp/err")"
[ -n "$(find "$tmp/cache" -name session.idx)" ] || fail "no index in the cache folder"
[ "$(az_sdk list rayhist "")" = "$before" ] || fail "the container changed"
"$RH_LS" --store az://rayhist/ro -q --tasks "$session" > "$tmp/rw.out" || fail "rayhist-ls, account key"
cmp "$tmp/rw.out" "$tmp/ro.out" || fail "read-only rows differ from the account key's"
[ "$(az_sdk list rayhist "")" != "$before" ] || fail "sanity: the account key's rayhist-ls stored no index"
pass
