#!/bin/sh
# Settings and their errors: a store config file (--store-config,
# RAYHIST_STORE_CONFIG) carries everything; AWS shared files and profiles
# work as for the AWS CLI; every mistake - no or half credentials, a bad
# file, key, number, endpoint, URL or bucket, an unreachable server, an
# untrusted certificate - gives a message that names it and what to fix;
# TLS verifies certificates, against a CA bundle when one is given.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
make_session "$tmp/ray" >/dev/null
s3_start config
"$RH_COLLECT" --store s3://rayhist/c --cluster c1 -q "$tmp/ray/session_latest"
"$RH_LS" --store s3://rayhist/c default/c1 > "$tmp/want"
endpoint=$AWS_ENDPOINT_URL
unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION

# expect_msg TEXT CMD...: CMD fails (exit 1) and its message has TEXT
expect_msg() {
	msg=$1
	shift
	expect_fail 1 "$@"
	case "$err" in *"$msg"*) ;; *) fail "expected \"$msg\" in: $err" ;; esac
}

# everything from a config file, as a Kubernetes ConfigMap/Secret would hold it
cat > "$tmp/store.conf" <<EOC
# rayhist store settings
endpoint = $endpoint
region = us-east-1
access_key_id = $S3_KEY_ID
secret_access_key = $S3_SECRET
path_style = true
max_attempts = 4
timeout = 10s
EOC
"$RH_LS" --store s3://rayhist/c --store-config "$tmp/store.conf" default/c1 > "$tmp/got"
cmp -s "$tmp/want" "$tmp/got" || fail "--store-config lists other things"
RAYHIST_STORE_CONFIG="$tmp/store.conf" "$RH_LS" --store s3://rayhist/c default/c1 > "$tmp/got"
cmp -s "$tmp/want" "$tmp/got" || fail "RAYHIST_STORE_CONFIG lists other things"
RAYHIST_STORE=s3://rayhist/c RAYHIST_STORE_CONFIG="$tmp/store.conf" \
	"$RH_COLLECT" --cluster c2 -q "$tmp/ray/session_latest" || fail "collect with a config file"

# the AWS shared files: a profile's keys, region and endpoint
mkdir -p "$tmp/aws"
printf '[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n[test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$S3_KEY_ID" "$S3_SECRET" > "$tmp/aws/credentials"
printf '[profile test]\nregion = us-east-1\nendpoint_url = %s\n' "$endpoint" > "$tmp/aws/config"
AWS_SHARED_CREDENTIALS_FILE="$tmp/aws/credentials" AWS_CONFIG_FILE="$tmp/aws/config" AWS_PROFILE=test \
	"$RH_LS" --store s3://rayhist/c default/c1 > "$tmp/got" || fail "AWS_PROFILE=test"
cmp -s "$tmp/want" "$tmp/got" || fail "the profile lists other things"
AWS_SHARED_CREDENTIALS_FILE="$tmp/aws/credentials" AWS_PROFILE=gone AWS_ENDPOINT_URL=$endpoint \
	expect_msg 'no credentials: profile "gone" (from AWS_PROFILE) has none in' "$RH_LS" --store s3://rayhist/c

# what is missing or wrong, and where it came from
export AWS_ENDPOINT_URL="$endpoint"
expect_msg "no credentials for s3://rayhist/c: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE" \
	"$RH_LS" --store s3://rayhist/c
AWS_ACCESS_KEY_ID=x expect_msg "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not (in the environment): give both" \
	"$RH_LS" --store s3://rayhist/c
export AWS_ACCESS_KEY_ID="$S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET"
expect_msg "store config $tmp/none: cannot open: No such file or directory" \
	"$RH_LS" --store s3://rayhist/c --store-config "$tmp/none"
printf 'region = us-east-1\nendpiont = http://x\n' > "$tmp/bad.conf"
expect_msg "$tmp/bad.conf:2: unknown setting \"endpiont\" (known: endpoint, region" \
	"$RH_LS" --store s3://rayhist/c --store-config "$tmp/bad.conf"
printf 'max_attempts = lots\n' > "$tmp/bad.conf"
expect_msg "max_attempts \"lots\" (from max_attempts in $tmp/bad.conf:1) is not a number from 1 to 100" \
	"$RH_LS" --store s3://rayhist/c --store-config "$tmp/bad.conf"
printf 'this is no setting\n' > "$tmp/bad.conf"
expect_msg "$tmp/bad.conf:1: expected \"key = value\"" "$RH_LS" --store s3://rayhist/c --store-config "$tmp/bad.conf"
# rayhist-serve reads the same file (and fails before it listens)
expect_msg "$tmp/bad.conf:1: expected \"key = value\"" "$RH_SERVE" --store s3://rayhist/c \
	--store-config "$tmp/bad.conf" --listen 127.0.0.1:0
AWS_ENDPOINT_URL=ftp://127.0.0.1 expect_msg 'endpoint "ftp://127.0.0.1" (from AWS_ENDPOINT_URL) is no http:// or https:// URL' \
	"$RH_LS" --store s3://rayhist/c
RAYHIST_S3_PATH_STYLE=maybe expect_msg 'path_style "maybe" (from RAYHIST_S3_PATH_STYLE) is not true, false or auto' \
	"$RH_LS" --store s3://rayhist/c
RAYHIST_S3_PART_SIZE=1 expect_msg 'part_size "1" (from RAYHIST_S3_PART_SIZE) is not a size' "$RH_LS" --store s3://rayhist/c
expect_msg 's3://: no bucket (write s3://BUCKET or s3://BUCKET/PREFIX)' "$RH_LS" --store s3://
expect_msg "bucket \"no*such\" has a '*'" "$RH_LS" --store 's3://no*such/x'
expect_msg 'the prefix is no valid key: key "a//b" has an empty component' "$RH_LS" --store 's3://rayhist/a//b'
# (RGW's error answers have an empty <Message>: status, code and hint say it)
expect_msg "404 NoSuchBucket: (the server gave no message) (check the bucket name in the store URL, the endpoint and the region)" \
	"$RH_LS" --store s3://nosuchbucket/x
AWS_ENDPOINT_URL=http://127.0.0.1:1 RAYHIST_S3_MAX_ATTEMPTS=2 expect_msg \
	"gave up after 2 attempts (max_attempts): " "$RH_LS" --store s3://rayhist/c
case "$err" in *"[endpoint http://127.0.0.1:1 from AWS_ENDPOINT_URL]; is the server up, and the endpoint's port right?"*) ;;
	*) fail "unreachable endpoint: $err" ;; esac

# TLS: a self-signed certificate is refused, unless it is the CA bundle
command -v openssl >/dev/null 2>&1 || _s3_missing "openssl is not installed"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 || fail "openssl cannot make a certificate"
s3_start tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
AWS_ENDPOINT_URL="https://127.0.0.1:$S3_PORT"
RAYHIST_S3_MAX_ATTEMPTS=2 expect_msg "the server's TLS certificate is not trusted: point ca_bundle (RAYHIST_S3_CA_BUNDLE or AWS_CA_BUNDLE) at its CA certificate (PEM)" \
	"$RH_COLLECT" --store s3://rayhist/tls --cluster c1 -q "$tmp/ray/session_latest"
[ "$(s3_stats requests)" -eq 0 ] || fail "a request passed an untrusted certificate"
RAYHIST_S3_CA_BUNDLE="$tmp/cert.pem" "$RH_COLLECT" --store s3://rayhist/tls --cluster c1 -q "$tmp/ray/session_latest" ||
	fail "TLS with RAYHIST_S3_CA_BUNDLE failed"
printf 'ca_bundle = %s\n' "$tmp/cert.pem" > "$tmp/tls.conf"
"$RH_LS" --store s3://rayhist/tls --store-config "$tmp/tls.conf" default/c1 > "$tmp/got" || fail "TLS with ca_bundle"
cmp -s "$tmp/want" "$tmp/got" || fail "TLS lists other things"
RAYHIST_S3_CA_BUNDLE="$tmp/none.pem" expect_msg "ca_bundle $tmp/none.pem (from RAYHIST_S3_CA_BUNDLE): No such file" \
	"$RH_LS" --store s3://rayhist/tls
pass
