/* store_s3_retry.c - which failures of an S3 request are worth another
 * try, how long to wait first, and what to tell a person about the rest.
 *
 * AWS's own SDKs retry throttling (429, SlowDown and kin), server errors
 * (500, 502, 503, 504), S3's RequestTimeout, and connections that failed,
 * stalled or were reset; everything else is a property of the request
 * (credentials, permissions, names) that another try cannot change. That is
 * the rule here too, with one more case: temporary credentials that expired
 * (ExpiredToken) are renewed and the request tried again.
 */
#include "internal.h"

#include <curl/curl.h>
#include <stdio.h>

#include "store_s3.h"

static int
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int
curl_retryable(int code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}

int
rh_s3__classify(int curl_code, long status, const char *s3_code)
{
	static const char *const retry_codes[] = { "SlowDown",
		                                   "InternalError",
		                                   "ServiceUnavailable",
		                                   "RequestTimeout",
		                                   "Throttling",
		                                   "ThrottlingException",
		                                   "RequestThrottled",
		                                   "TooManyRequestsException",
		                                   "RequestLimitExceeded",
		                                   "BandwidthLimitExceeded",
		                                   "OperationAborted",
		                                   "IDPCommunicationError",
		                                   "PriorRequestNotComplete",
		                                   NULL };
	static const char *const refresh_codes[] = { "ExpiredToken",
		                                     "TokenRefreshRequired",
		                                     "RequestExpired", NULL };

	if (!s3_code)
		s3_code = "";
	if (curl_code != CURLE_OK)
		return curl_retryable(curl_code) ? RH_S3__RETRY : RH_S3__FAIL;
	if (status >= 200 && status < 300 && !*s3_code)
		return RH_S3__OK;
	if (in_list(s3_code, refresh_codes))
		return RH_S3__REFRESH;
	if (in_list(s3_code, retry_codes))
		return RH_S3__RETRY;
	switch (status) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504: return RH_S3__RETRY;
	default: return RH_S3__FAIL;
	}
}

int
rh_s3__fail_code(long status, const char *s3_code)
{
	if (!s3_code)
		s3_code = "";
	/* BlobNotFound: Azure's answer for an absent blob (store_az.c). */
	if (strcmp(s3_code, "NoSuchKey") == 0 ||
	    strcmp(s3_code, "BlobNotFound") == 0 ||
	    (status == 404 && !*s3_code))
		return RH_ENOTFOUND;
	/* Credentials that may read but not write: a caller with a local
	 * cache puts what it derives there instead. A bad signature or key
	 * is also a 403, but no permission problem. */
	if (status == 403 &&
	    (strcmp(s3_code, "AccessDenied") == 0 ||
	     strcmp(s3_code, "AllAccessDisabled") == 0 ||
	     strcmp(s3_code, "AuthorizationPermissionMismatch") == 0))
		return RH_EACCES;
	return RH_EIO;
}

unsigned
rh_s3__backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
                  uint64_t rnd)
{
	uint64_t d = base_ms ? base_ms : 1;
	unsigned i;

	for (i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	return (unsigned)(d / 2 + rnd % (d - d / 2 + 1));
}

uint64_t
rh_s3__random(atomic_uint_fast64_t *state)
{
	uint64_t z = atomic_fetch_add(state, UINT64_C(0x9e3779b97f4a7c15)) +
	             UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

const char *
rh_s3__hint(char *buf, size_t n, const char *code, const rh_s3__xml_error *err,
            const char *cred_src)
{
	if (!code)
		code = "";
	if (!cred_src)
		cred_src = "?";
	if (strcmp(code, "SignatureDoesNotMatch") == 0)
		snprintf(buf, n,
		         "check the secret access key (credentials from %s)",
		         cred_src);
	else if (strcmp(code, "InvalidAccessKeyId") == 0)
		snprintf(buf, n,
		         "check the access key id (credentials from %s)",
		         cred_src);
	else if (strcmp(code, "ExpiredToken") == 0 ||
	         strcmp(code, "InvalidToken") == 0 ||
	         strcmp(code, "TokenRefreshRequired") == 0)
		snprintf(
			buf, n,
			"the session token (from %s) is expired or invalid: renew it",
			cred_src);
	else if (strcmp(code, "AccessDenied") == 0 ||
	         strcmp(code, "AllAccessDisabled") == 0)
		snprintf(
			buf, n,
			"the credentials (from %s) may not do this: check the IAM policy and the bucket policy",
			cred_src);
	else if (strcmp(code, "NoSuchBucket") == 0)
		snprintf(
			buf, n,
			"check the bucket name in the store URL, the endpoint and the region");
	else if (strcmp(code, "InvalidBucketName") == 0)
		snprintf(buf, n, "check the bucket name in the store URL");
	else if (strcmp(code, "AuthorizationHeaderMalformed") == 0 && err &&
	         err->region[0])
		snprintf(
			buf, n,
			"the bucket is in region %s: set AWS_REGION=%s or region = %s in the store config",
			err->region, err->region, err->region);
	else if (strcmp(code, "PermanentRedirect") == 0 ||
	         strcmp(code, "IllegalLocationConstraintException") == 0)
		snprintf(
			buf, n,
			"the bucket is elsewhere%s%s: set the region (AWS_REGION) or the endpoint to match",
			err && err->endpoint[0] ? ", at " : "",
			err && err->endpoint[0] ? err->endpoint : "");
	else if (strcmp(code, "RequestTimeTooSkewed") == 0)
		snprintf(
			buf, n,
			"this machine's clock is more than 15 minutes off: set it right (NTP)");
	else if (strcmp(code, "EntityTooSmall") == 0)
		snprintf(
			buf, n,
			"multipart parts must be at least 5 MiB here: raise part_size (RAYHIST_S3_PART_SIZE)");
	else if (strcmp(code, "InvalidIdentityToken") == 0 ||
	         strcmp(code, "ExpiredTokenException") == 0)
		snprintf(
			buf, n,
			"check the web identity token file and the role's trust policy");
	else
		return NULL;
	return buf;
}

void
rh_s3__describe_error(char *buf, size_t n, long status,
                      const rh_s3__xml_error *err, const char *cred_src)
{
	char hint[400];
	const char *h =
		rh_s3__hint(hint, sizeof(hint), err->code, err, cred_src);

	snprintf(buf, n, "%ld %s: %.300s%s%s%s", status, err->code,
	         err->message[0] ? err->message :
	                           "(the server gave no message)",
	         h ? " (" : "", h ? h : "", h ? ")" : "");
}

const char *
rh_s3__curl_hint(int code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "check the endpoint's host name";
	case CURLE_COULDNT_CONNECT:
		return "is the server up, and the endpoint's port right?";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "the server's TLS certificate is not trusted: point ca_bundle (RAYHIST_S3_CA_BUNDLE or AWS_CA_BUNDLE) at its CA certificate (PEM)";
	case CURLE_SSL_CONNECT_ERROR:
		return "no TLS handshake: does the endpoint speak https, or should it be http://?";
	case CURLE_OPERATION_TIMEDOUT:
		return "no progress within the timeout (timeout, RAYHIST_S3_TIMEOUT)";
	default: return NULL;
	}
}
