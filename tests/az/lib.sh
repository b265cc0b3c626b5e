# Helpers for tests/cli/az_*.sh (sourced after tests/cli/lib.sh): Azurite,
# Microsoft's Azure Storage emulator, started on loopback by the test itself
# with an account of its own ("rayhist", a random key), and the Azure SDK.
#
#   az_setup              node (>= 20, as @azure/storage-blob 12.29 and its
#                         @azure/core-* need) and the npm packages, or FAIL
#                         (CI) / SKIP
#   az_start              start Azurite's blob service on a free loopback
#                         port with container "rayhist"; sets AZ_PORT,
#                         AZ_BLOB_ENDPOINT, AZ_ACCOUNT, AZ_KEY, AZ_DIR and
#                         AZURE_STORAGE_CONNECTION_STRING
#   az_sdk ARGS           run tests/az/sdk.js (@azure/storage-blob)
#   az_requests [ERE]     how many requests Azurite served (whose request
#                         line matches ERE)
# Azurite is stopped on exit.
AZ_SRC="$top_srcdir/tests/az"
_az_pids=""
_az_stop() {
	for p in $_az_pids; do kill "$p" 2>/dev/null || true; done
	for p in $_az_pids; do wait "$p" 2>/dev/null || true; done
	_az_pids=""
}
trap '_az_stop; _on_exit' EXIT
trap '_az_stop; _on_exit; exit 1' INT TERM

_az_missing() {
	if [ -n "${CI:-}" ]; then
		fail "$1 (CI must have it: scripts/deps installs nodejs and npm)"
	fi
	echo "SKIP: $1" >&2
	exit 77
}

# The npm packages of tests/az: in the source tree when someone ran `npm ci`
# there, else installed once (under a lock) into a cache folder named by the
# lock file's hash, shared by every build tree (npm_modules, tests/cli/lib.sh).
az_setup() {
	command -v node >/dev/null 2>&1 || _az_missing "node is not installed"
	[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] ||
		_az_missing "node $(node --version) is older than 20 (the Azure SDK needs 20)"
	if [ -d "$AZ_SRC/node_modules/azurite" ] && [ -d "$AZ_SRC/node_modules/@azure/storage-blob" ]; then
		AZ_MODULES="$AZ_SRC/node_modules"
	else
		npm_modules "$AZ_SRC" az || _az_missing "npm is not installed"
		AZ_MODULES=$NPM_MODULES
	fi
	NODE_PATH="$AZ_MODULES"
	export NODE_PATH
	# The tests own the Azure settings: nothing from the caller leaks in.
	unset AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN \
		AZURE_STORAGE_CONNECTION_STRING RAYHIST_STORE RAYHIST_STORE_CONFIG \
		RAYHIST_AZ_ENDPOINT RAYHIST_AZ_CA_BUNDLE RAYHIST_AZ_MAX_ATTEMPTS \
		RAYHIST_AZ_TIMEOUT RAYHIST_AZ_BLOCK_SIZE RAYHIST_AZ_BLOCK_THRESHOLD \
		RAYHIST_AZ_LIST_MAX_RESULTS
	NO_PROXY="127.0.0.1,localhost"
	no_proxy=$NO_PROXY
	export NO_PROXY no_proxy
}

_az_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

az_start() {
	AZ_DIR=$(mktemp -d)
	cleanup_add "$AZ_DIR"
	AZ_ACCOUNT=rayhist
	AZ_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
	tries=0
	while :; do
		AZ_PORT=$(_az_free_port)
		# The access log on stdout counts requests (az_requests);
		# --loose is not given, so Azurite refuses what Azure would;
		# no telemetry leaves the machine.
		AZURITE_ACCOUNTS="$AZ_ACCOUNT:$AZ_KEY" node "$AZ_MODULES/azurite/dist/src/blob/main.js" \
			--blobHost 127.0.0.1 --blobPort "$AZ_PORT" --inMemoryPersistence \
			--disableTelemetry >"$AZ_DIR/azurite.out" 2>&1 &
		pid=$!
		n=0
		while ! grep -q "successfully listen" "$AZ_DIR/azurite.out" 2>/dev/null; do
			kill -0 "$pid" 2>/dev/null || break
			n=$((n + 1))
			[ "$n" -lt 300 ] || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null && grep -q "successfully listen" "$AZ_DIR/azurite.out"; then
			_az_pids="$_az_pids $pid"
			break
		fi
		kill "$pid" 2>/dev/null || true
		tries=$((tries + 1))
		if [ "$tries" -ge 3 ]; then
			cat "$AZ_DIR/azurite.out" >&2
			fail "Azurite did not start"
		fi
	done
	AZ_BLOB_ENDPOINT="http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT"
	AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=$AZ_ACCOUNT;AccountKey=$AZ_KEY;BlobEndpoint=$AZ_BLOB_ENDPOINT;"
	export AZ_BLOB_ENDPOINT AZ_ACCOUNT AZ_KEY AZURE_STORAGE_CONNECTION_STRING
	az_sdk mkcontainer rayhist || fail "cannot create container rayhist"
}

az_sdk() {
	node "$AZ_SRC/sdk.js" "$@"
}

# Requests Azurite served, from its access log: all, or those whose
# request line ("PUT /rayhist/rayhist/key?comp=block HTTP/1.1") starts
# with a match of the extended regular expression ERE.
az_requests() {
	grep -E '^127\.0\.0\.1 - - \[' "$AZ_DIR/azurite.out" | grep -cE "\"${1:-}" || true
}
