# bench/lib/rgw.sh - sourced by the S3 benchmarks (bench/s3.sh,
# bench/roundtrips.sh): rgw_start starts Ceph's RADOS Gateway on loopback
# (tests/s3/rgw.sh: one monitor, one OSD, radosgw) in $dir/rgw, with a user
# "bench", behind tests/s3/harness.js, which counts requests and connections
# (and delays or fails them on request). It stops both on exit, sets
# $control (the harness's control URL) and exports the AWS_* variables that
# point rayhist and the AWS SDK at the bucket "bench". Needs $top and $dir.

# a port of the harness by name: s3 or control
port() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$dir/ports"; }

rgw_start() {
	if [ -d "$top/tests/s3/node_modules/@aws-sdk/client-s3" ]; then
		NODE_PATH="$top/tests/s3/node_modules"
	else
		mkdir -p "$dir/node"
		cp "$top/tests/s3/package.json" "$top/tests/s3/package-lock.json" "$dir/node/"
		(cd "$dir/node" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
		NODE_PATH="$dir/node/node_modules"
	fi
	export NODE_PATH
	rm -rf "$dir/ports"
	[ ! -d "$dir/rgw" ] || sh "$top/tests/s3/rgw.sh" stop "$dir/rgw"
	rm -rf "$dir/rgw"
	harness=""
	trap '[ -z "$harness" ] || kill $harness 2>/dev/null || true; sh "$top/tests/s3/rgw.sh" stop "$dir/rgw"; rm -rf "$dir/rgw"' EXIT INT TERM
	rgw=$(sh "$top/tests/s3/rgw.sh" start "$dir/rgw")
	sh "$top/tests/s3/rgw.sh" user "$dir/rgw" bench AKIDBENCH bench-secret
	node "$top/tests/s3/harness.js" --upstream "$rgw" --ports-file "$dir/ports" --bucket bench \
		--access-key-id AKIDBENCH --secret-access-key bench-secret >"$dir/harness.out" 2>&1 &
	harness=$!
	while [ ! -s "$dir/ports" ]; do
		kill -0 $harness 2>/dev/null || { cat "$dir/harness.out"; exit 1; }
		sleep 0.1
	done
	control="http://127.0.0.1:$(port control)"
	AWS_ENDPOINT_URL="http://127.0.0.1:$(port s3)"
	AWS_ACCESS_KEY_ID=AKIDBENCH
	AWS_SECRET_ACCESS_KEY=bench-secret
	AWS_REGION=us-east-1
	NO_PROXY=127.0.0.1
	export AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION NO_PROXY
}
