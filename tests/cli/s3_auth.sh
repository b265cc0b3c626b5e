#!/bin/sh
# Credentials: a wrong secret or key id fails at once (no retries) with S3's
# error code and a message that says what to check; the right ones work,
# as do temporary credentials from web identity (STS
# AssumeRoleWithWebIdentity), which are renewed when they near expiry; a
# wrong region is named with the right one.
set -eu
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/s3/lib.sh"
s3_setup
tmp=$(mktemp -d)
cleanup_add "$tmp"
sess=$(make_session "$tmp/ray")
s3_start auth --sts-token "token-$$" --sts-role arn:aws:iam::123456789012:role/rayhist
store=s3://rayhist/auth

# the right secret
"$RH_COLLECT" --store "$store" --cluster c1 -q "$tmp/ray/session_latest"
"$RH_LS" --store "$store" default/c1 > "$tmp/ls" || fail "listing with the right secret failed"
[ -s "$tmp/ls" ] || fail "nothing listed"

# a wrong secret: SignatureDoesNotMatch, and no request tried twice
# (rayhist-ls lists a path's levels together; the harness logs each one)
s3_faults "share=0"
curl -sf -X POST "http://127.0.0.1:$S3_CONTROL/reset" || fail "cannot reset the harness's stats"
logged=$(wc -l < "$S3_DIR/requests.log")
AWS_SECRET_ACCESS_KEY=wrong expect_fail 1 "$RH_LS" --store "$store" default/c1
echo "$err" | grep -q "403 SignatureDoesNotMatch" || fail "no S3 code in: $err"
echo "$err" | grep -q "check the secret access key (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)" ||
	fail "the message does not say what to fix: $err"
tail -n +"$((logged + 1))" "$S3_DIR/requests.log" | grep -v '^  ->' | awk '{print $1, $2}' |
	sort | uniq -c > "$tmp/attempts"
[ -s "$tmp/attempts" ] || fail "no request logged"
awk '$1 != 1 { bad = 1 } END { exit bad }' "$tmp/attempts" ||
	fail "a bad signature was retried: $(cat "$tmp/attempts")"
[ "$(s3_stats signature_failures)" -ge 1 ] || fail "no signature failure counted: $(s3_stats)"
AWS_SECRET_ACCESS_KEY=wrong expect_fail 1 "$RH_COLLECT" --store "$store" --cluster c1 -q "$tmp/ray/session_latest"
echo "$err" | grep -q "SignatureDoesNotMatch" || fail "collect: $err"
AWS_SECRET_ACCESS_KEY=wrong expect_fail 1 "$RH_LS" --store "$store" --cat "default/c1/$(basename "$sess")/0f69/logs/raylet.out"
echo "$err" | grep -q "SignatureDoesNotMatch" || fail "cat: $err"

# a wrong key id
AWS_ACCESS_KEY_ID=AKIDWRONG expect_fail 1 "$RH_LS" --store "$store" default/c1
echo "$err" | grep -q "403 InvalidAccessKeyId: .*check the access key id" || fail "key id: $err"

# a wrong region: S3 names the right one, and so do we
AWS_REGION=eu-west-3 expect_fail 1 "$RH_LS" --store "$store" default/c1
echo "$err" | grep -q "the bucket is in region us-east-1: set AWS_REGION=us-east-1" || fail "region: $err"

# web identity: no keys, a role and a token file, exchanged with STS
printf 'token-%s\n' $$ > "$tmp/token"
(
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/rayhist
	export AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/token"
	export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$S3_STS"
	"$RH_LS" --store "$store" default/c1 > "$tmp/ls2" || fail "web identity failed"
	cmp -s "$tmp/ls" "$tmp/ls2" || fail "web identity lists something else"
	[ "$(s3_stats sts_calls)" -ge 1 ] || fail "STS was not asked"
	# a token STS refuses, and a missing token file
	printf 'stolen\n' > "$tmp/bad"
	AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/bad" expect_fail 1 "$RH_LS" --store "$store" default/c1
	echo "$err" | grep -q "AssumeRoleWithWebIdentity: 400 InvalidIdentityToken: .*check the web identity token file" ||
		fail "bad token: $err"
	AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/none" expect_fail 1 "$RH_LS" --store "$store" default/c1
	echo "$err" | grep -q "web identity token file $tmp/none: No such file" || fail "no token file: $err"
	AWS_ROLE_ARN=arn:aws:iam::123456789012:role/other expect_fail 1 "$RH_LS" --store "$store" default/c1
	echo "$err" | grep -q "403 AccessDenied" || fail "wrong role: $err"
)
# temporary keys in a long run: renewed five minutes before they expire
# (here: at once, as they live 300 s), and at once when S3 says
# ExpiredToken (here: they stop working after 40 requests); the store contract
# holds throughout
"$top_builddir/tests/s3/store_check" "$tmp/folder" > "$tmp/file.txt"
for how in "--sts-duration 300" "--sts-uses 40"; do
	# shellcheck disable=SC2086
	s3_start auth2 --sts-token "token-$$" $how
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
		export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/rayhist
		export AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/token"
		export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$S3_STS"
		"$top_builddir/tests/s3/store_check" s3://rayhist/renew > "$tmp/s3.txt" ||
			fail "store_check with $how failed"
	)
	diff -u "$tmp/file.txt" "$tmp/s3.txt" || fail "with $how the store behaves unlike file://"
	[ "$(s3_stats sts_calls)" -ge 2 ] || fail "$how: credentials were not renewed: $(s3_stats)"
done
grep -q "ExpiredToken" "$S3_DIR/requests.log" || fail "the credentials never expired"
[ "$(s3_stats signature_failures)" -eq 0 ] || fail "bad signatures with STS credentials"
pass
