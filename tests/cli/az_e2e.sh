#!/bin/sh
# The end-to-end suite against an az:// store: every tests/cli script that
# honours RH_TEST_STORE (directly, or through serve_env.sh's $served_store:
# capture, ls, events, serve, follow) runs again with a container on
# Azurite instead of a folder, under a prefix of its own; Azurite checks
# every request's Shared Key signature.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/az/lib.sh"
az_setup
az_start
ran=0
for t in "$top_srcdir"/tests/cli/*.sh; do
	name=$(basename "$t" .sh)
	case "$name" in s3_* | az_*) continue ;; esac
	[ "$(head -n 1 "$t")" = "#!/bin/sh" ] || continue # a sourced helper
	grep -q 'RH_TEST_STORE\|\$served_store' "$t" || continue
	echo "== $name on az://rayhist/$name"
	# These scripts pass on file:// first (they run there on their own); on a
	# loaded 2-core machine a timing-sensitive one (follow mode) can miss once
	# against a remote store. One more try under a fresh prefix, said loudly:
	# a real break fails both.
	if ! RH_TEST_STORE="az://rayhist/$name" sh "$t"; then
		echo "== RETRY: $name failed once against az://; running it again"
		RH_TEST_STORE="az://rayhist/$name-retry" sh "$t" ||
			fail "$name failed twice against az://"
	fi
	ran=$((ran + 1))
done
[ "$ran" -ge 1 ] || fail "no end-to-end script honours RH_TEST_STORE"
grep -qE '" 403 ' "$AZ_DIR/azurite.out" && fail "requests were refused: $(grep -E '" 403 ' "$AZ_DIR/azurite.out" | head -3)"
echo "$ran scripts; $(az_requests) requests"
pass
