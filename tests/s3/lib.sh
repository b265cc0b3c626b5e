# Helpers for tests/cli/s3_*.sh (sourced after tests/cli/lib.sh): a real S3
# server - Ceph's RADOS Gateway, one cluster shared by every s3 test of a
# build tree (tests/s3/rgw.sh) - behind tests/s3/harness.js, a proxy of the
# test's own that injects faults, counts requests and plays STS.
#
#   s3_setup              node, the npm packages and Ceph, or FAIL (CI) /
#                         SKIP; starts the shared RGW if none runs
#   s3_start NAME [ARG]   a harness NAME on free loopback ports for a new
#                         RGW user (in a tenant of its own, so its buckets
#                         are new and its own), with bucket "rayhist"; sets
#                         S3_PORT, S3_CONTROL, S3_STS, S3_DIR, S3_KEY_ID,
#                         S3_SECRET and the AWS_* environment for it
#   s3_faults SPEC        change the faults of the last harness started
#   s3_stats [FIELD]      its counters (JSON), or one of them
#   s3_sdk ARGS           run tests/s3/sdk.js (the AWS SDK for JavaScript)
# Harnesses are stopped on exit. The RGW cluster stops itself once no test
# process has used it for RH_RGW_IDLE seconds (default 20); its state is in
# $TMPDIR, named by the build tree, so that the plain and the sanitizer
# builds, and `make distcheck`, each have their own and leave nothing behind.
S3_SRC="$top_srcdir/tests/s3"
_s3_pids=""
_s3_n=0
_s3_stop() {
	for p in $_s3_pids; do kill "$p" 2>/dev/null || true; done
	for p in $_s3_pids; do wait "$p" 2>/dev/null || true; done
	_s3_pids=""
	[ -z "${RGW_DIR:-}" ] || rm -f "$RGW_DIR/users/$$"
}
trap '_s3_stop; _on_exit' EXIT
trap '_s3_stop; _on_exit; exit 1' INT TERM

# Missing tools FAIL in CI, where scripts/deps installs them, and SKIP
# (exit 77) on a developer's machine without them.
_s3_missing() {
	if [ -n "${CI:-}" ]; then
		fail "$1 (CI must have it: RH_DEPS_TEST=1 scripts/deps installs it)"
	fi
	echo "SKIP: $1" >&2
	exit 77
}

# Make the npm packages of tests/s3 available: in the source tree when
# someone ran `npm ci` there, else in a cache folder named by the lock
# file's hash (installed once, under a lock, and shared by every build tree,
# so that `make distcheck` leaves nothing behind in its build tree).
s3_setup() {
	command -v node >/dev/null 2>&1 || _s3_missing "node is not installed"
	for tool in ceph-mon ceph-osd radosgw radosgw-admin; do
		command -v "$tool" >/dev/null 2>&1 || _s3_missing "$tool is not installed (Debian: radosgw ceph-mon ceph-osd ceph-common)"
	done
	if [ -d "$S3_SRC/node_modules/@aws-sdk/client-s3" ]; then
		S3_MODULES="$S3_SRC/node_modules"
	else
		npm_modules "$S3_SRC" s3 || _s3_missing "npm is not installed"
		S3_MODULES=$NPM_MODULES
	fi
	NODE_PATH="$S3_MODULES"
	export NODE_PATH
	# The tests own the S3 settings: nothing from the caller's environment
	# or ~/.aws may leak in.
	unset AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN \
		AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL_STS AWS_CA_BUNDLE \
		AWS_MAX_ATTEMPTS RAYHIST_STORE RAYHIST_STORE_CONFIG RAYHIST_S3_PATH_STYLE \
		RAYHIST_S3_CA_BUNDLE RAYHIST_S3_MAX_ATTEMPTS RAYHIST_S3_TIMEOUT \
		RAYHIST_S3_PART_SIZE RAYHIST_S3_MULTIPART_THRESHOLD RAYHIST_S3_PARALLEL \
		RAYHIST_S3_LIST_MAX_KEYS
	AWS_CONFIG_FILE=/nonexistent/aws-config
	AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials
	NO_PROXY="127.0.0.1,localhost,.localhost"
	no_proxy=$NO_PROXY
	export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE NO_PROXY no_proxy
	_rgw_use
}

# _rgw_use: register this test as a user of the build tree's RGW, starting
# it if none runs; RGW_ENDPOINT, RGW_DIR. A lock (a folder holding its
# owner's PID) orders starts, registrations and the idle stop.
_rgw_use() {
	tree=$(cd "$top_builddir" && pwd -P)
	RGW_DIR="${TMPDIR:-/tmp}/rayhist-rgw-$(id -u)-$(printf '%s' "$tree" | sha256sum | cut -c1-12)"
	_rgw_lock
	if [ -f "$RGW_DIR/endpoint" ] && kill -0 "$(cat "$RGW_DIR/serve.pid" 2>/dev/null)" 2>/dev/null; then
		:
	else
		if [ -d "$RGW_DIR" ]; then # left by a watcher that was killed
			sh "$S3_SRC/rgw.sh" stop "$RGW_DIR" || true
			rm -rf "$RGW_DIR"
		fi
		t0=$(date +%s)
		RH_RGW_IDLE=${RH_RGW_IDLE:-20}
		# detached from our output, so that nobody waits for it
		sh "$S3_SRC/rgw.sh" serve "$RGW_DIR" "$RH_RGW_IDLE" </dev/null >"$RGW_DIR.log" 2>&1 &
		spid=$!
		n=0
		until [ -f "$RGW_DIR/endpoint" ]; do
			n=$((n + 1))
			if [ "$n" -gt 1800 ] || ! kill -0 "$spid" 2>/dev/null; then
				cat "$RGW_DIR.log" >&2
				rm -rf "$RGW_DIR.lock"
				fail "RGW did not start"
			fi
			sleep 0.1
		done
		echo "RGW started in $(($(date +%s) - t0)) s at $(cat "$RGW_DIR/endpoint") ($RGW_DIR)" >&2
	fi
	touch "$RGW_DIR/users/$$"
	rm -rf "$RGW_DIR.lock"
	RGW_ENDPOINT=$(cat "$RGW_DIR/endpoint")
}

_rgw_lock() {
	n=0
	until mkdir "$RGW_DIR.lock" 2>/dev/null; do
		# a lock whose owner died
		owner=$(cat "$RGW_DIR.lock/pid" 2>/dev/null || true)
		if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
			rm -rf "$RGW_DIR.lock"
			continue
		fi
		n=$((n + 1))
		[ "$n" -lt 3000 ] || fail "timed out waiting for $RGW_DIR.lock"
		sleep 0.1
	done
	echo $$ > "$RGW_DIR.lock/pid"
}

s3_start() {
	name=$1
	shift
	S3_DIR=$(mktemp -d)
	cleanup_add "$S3_DIR"
	# a new user in a tenant of its own: fresh buckets, unique keys
	_s3_n=$((_s3_n + 1))
	tenant="t$$_${_s3_n}_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	S3_KEY_ID="AKID$(echo "$tenant" | tr 'a-z' 'A-Z' | tr -d _)"
	S3_SECRET="rayhist-test-secret-$tenant"
	sh "$S3_SRC/rgw.sh" user "$RGW_DIR" "$tenant" "$S3_KEY_ID" "$S3_SECRET" ||
		fail "cannot create an RGW user"
	RH_HARNESS_MAX_SECONDS=${RH_HARNESS_MAX_SECONDS:-1800} \
		node "$S3_SRC/harness.js" --upstream "$RGW_ENDPOINT" --ports-file "$S3_DIR/ports" \
		--bucket rayhist --access-key-id "$S3_KEY_ID" --secret-access-key "$S3_SECRET" \
		--log "$S3_DIR/requests.log" "$@" >"$S3_DIR/harness.out" 2>&1 &
	_s3_pids="$_s3_pids $!"
	n=0
	while [ ! -s "$S3_DIR/ports" ]; do
		n=$((n + 1))
		if [ "$n" -gt 600 ] || ! kill -0 "$!" 2>/dev/null; then
			cat "$S3_DIR/harness.out" >&2
			fail "the S3 harness $name did not start"
		fi
		sleep 0.1
	done
	S3_PORT=$(_s3_port s3)
	S3_CONTROL=$(_s3_port control)
	S3_STS=$(_s3_port sts)
	AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
	AWS_ACCESS_KEY_ID=$S3_KEY_ID
	AWS_SECRET_ACCESS_KEY=$S3_SECRET
	AWS_REGION=us-east-1
	export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
}

_s3_port() {
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$S3_DIR/ports"
}

s3_faults() {
	curl -sf -X POST "http://127.0.0.1:$S3_CONTROL/faults?$1" >/dev/null ||
		fail "cannot set faults $1"
}

s3_stats() {
	out=$(curl -sf "http://127.0.0.1:$S3_CONTROL/stats") || fail "cannot read the harness's stats"
	if [ $# -eq 0 ]; then
		echo "$out"
	else
		echo "$out" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
	fi
}

s3_sdk() {
	node "$S3_SRC/sdk.js" "$@"
}
