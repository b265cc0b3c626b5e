#!/bin/sh
# The store contract on az:// is the one on file://: tests/s3/store_check
# runs the same operations (awkward keys, ranged reads, listings with and
# without a delimiter, early stops, deletes, streamed writes large enough
# for staged blocks, aborts, eight threads on one handle) on a folder and
# on an Azurite container (delete_many as one Blob Batch), and the
# transcripts must be identical but for
# the one key holding '\', which Azure would store as '/' and az:// refuses.
# Credentials: a connection string (small list pages, 1 MiB block threshold,
# 256 KiB blocks, with a prefix), a SAS token with an explicit endpoint
# (no prefix), and a --store-config file with account and key.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/az/lib.sh"
az_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
check="$top_builddir/tests/s3/store_check"
"$check" "$tmp/folder" > "$tmp/file.txt"
az_start
# every line about the key with '\' (the only key under h/) differs
same() {
	grep -v ' h/' "$tmp/file.txt" > "$tmp/want"
	grep -v ' h/\|^put h/' "$1" > "$tmp/got"
	diff -u "$tmp/want" "$tmp/got" || fail "$2 behaves unlike file://"
	grep -q "^put h/\[x\]{y}^\`|\\\\ -> RH_EINVAL: .*reads '\\\\' in a blob name as '/'" "$1" ||
		fail "$2 did not refuse the key with '\\'"
}
RAYHIST_AZ_LIST_MAX_RESULTS=3 RAYHIST_AZ_BLOCK_THRESHOLD=1MiB RAYHIST_AZ_BLOCK_SIZE=256KiB \
	"$check" az://rayhist/contract/a > "$tmp/az.txt"
same "$tmp/az.txt" "az://rayhist/contract/a"
grep -q '^threads: 0 failed' "$tmp/az.txt" || fail "threads sharing a store failed"
# staged blocks: 3 MiB in 256 KiB blocks, then one Put Block List each
[ "$(az_requests 'PUT /rayhist/rayhist/contract/a/w/big\?comp=block&')" -eq 12 ] ||
	fail "w/big was not sent as 12 blocks: $(az_requests 'PUT [^ ]*comp=block&')"
[ "$(az_requests 'PUT /rayhist/rayhist/contract/a/w/big\?comp=blocklist')" -eq 1 ] ||
	fail "w/big was not committed by one Put Block List"
[ "$(az_requests 'PUT /rayhist/rayhist/contract/a/w/aborted\?comp=blocklist')" -eq 0 ] ||
	fail "an aborted writer committed its blocks"
[ "$(az_requests 'GET /rayhist/rayhist\?restype=container&comp=list&maxresults=3')" -gt 10 ] ||
	fail "listings were not paginated"
grep -q '"[A-Z]* [^"]*%5[Cc]' "$AZ_DIR/azurite.out" && fail "a key with '\\' reached Azurite"
# delete_many is one Blob Batch (three keys and an absent one) with a key
[ "$(az_requests 'POST /rayhist/rayhist\?restype=container&comp=batch')" -eq 1 ] ||
	fail "delete_many made no single Blob Batch request"

# a container of its own with no prefix, a SAS token (read, add, create,
# write, delete, list) and the endpoint setting: no account key anywhere
az_sdk mkcontainer bare || fail "cannot create container bare"
sas=$(az_sdk sas bare racwdl) || fail "the SDK made no SAS"
env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT=rayhist \
	AZURE_STORAGE_SAS_TOKEN="?$sas" RAYHIST_AZ_ENDPOINT="$AZ_BLOB_ENDPOINT" \
	"$check" az://bare > "$tmp/sas.txt" 2> "$tmp/sas.err" || { cat "$tmp/sas.err"; fail "az:// with a SAS token"; }
same "$tmp/sas.txt" "az://bare (no prefix) with a SAS token"
# with a SAS token there is no key to sign sub-requests: one Delete Blob each
[ "$(az_requests 'POST /rayhist/bare\?')" -eq 0 ] || fail "a Blob Batch was sent with a SAS token"
[ "$(az_requests 'DELETE /rayhist/bare/')" -eq 6 ] ||
	fail "not one Delete Blob per key with a SAS token: $(az_requests 'DELETE /rayhist/bare/')"

# the settings file of --store-config (RAYHIST_STORE_CONFIG for store_check)
cat > "$tmp/store.conf" <<CONF
# az:// settings
account = $AZ_ACCOUNT
account_key = $AZ_KEY
endpoint = $AZ_BLOB_ENDPOINT/
block_threshold = 2MiB
block_size = 1MiB
CONF
env -u AZURE_STORAGE_CONNECTION_STRING RAYHIST_STORE_CONFIG="$tmp/store.conf" \
	"$check" az://rayhist/conf > "$tmp/conf.txt"
same "$tmp/conf.txt" "az://rayhist/conf from a settings file"

# a wrong key fails at once (403 is not retried) and says so
bad=$(python3 -c 'import base64; print(base64.b64encode(b"x" * 64).decode())')
start=$(date +%s)
if env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT=rayhist AZURE_STORAGE_KEY="$bad" \
	RAYHIST_AZ_ENDPOINT="$AZ_BLOB_ENDPOINT" "$RH_LS" --store az://rayhist/contract/a > "$tmp/out" 2> "$tmp/err"; then
	fail "a wrong account key was accepted"
fi
# Azure says AuthenticationFailed, Azurite AuthorizationFailure; one line
grep -qE "403 (AuthenticationFailed|AuthorizationFailure): Server failed to authenticate the request" "$tmp/err" ||
	{ cat "$tmp/err"; fail "no authentication failure message"; }
[ "$(wc -l < "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "the message is not one line"; }
[ $(($(date +%s) - start)) -lt 5 ] || fail "a 403 was retried"
# a SAS without write permission cannot write
rosas=$(az_sdk sas rayhist rl)
printf 'x' > "$tmp/x"
if env -u AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT=rayhist AZURE_STORAGE_SAS_TOKEN="$rosas" \
	RAYHIST_AZ_ENDPOINT="$AZ_BLOB_ENDPOINT" "$check" az://rayhist/ro > "$tmp/ro.txt" 2> "$tmp/ro.err"; then
	fail "a read-only SAS could write"
fi
grep -q "403 AuthorizationPermissionMismatch" "$tmp/ro.txt" "$tmp/ro.err" ||
	{ cat "$tmp/ro.txt" "$tmp/ro.err"; fail "no permission message for a read-only SAS"; }
grep -q "sig=" "$tmp/ro.txt" "$tmp/ro.err" && fail "a message shows the SAS signature"
pass
