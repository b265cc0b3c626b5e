/* test_store_s3_retry.c - which failures are retried, the backoff, and the
 * hints in messages (lib/store_s3_retry.c); Content-MD5
 * (lib/store_s3_md5.c). */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <string.h>

#include "internal.h"
#include "store_s3.h"

TestSuite(store_s3_retry);

Test(store_s3_retry, transport_failures)
{
	cr_assert_eq(rh_s3__classify(CURLE_COULDNT_CONNECT, 0, ""),
	             RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_COULDNT_RESOLVE_HOST, 0, ""),
	             RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_OPERATION_TIMEDOUT, 0, ""),
	             RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_RECV_ERROR, 0, ""), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_SEND_ERROR, 0, ""), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_GOT_NOTHING, 0, ""), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_PARTIAL_FILE, 200, ""),
	             RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(CURLE_PEER_FAILED_VERIFICATION, 0, ""),
	             RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(CURLE_URL_MALFORMAT, 0, ""), RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(CURLE_OUT_OF_MEMORY, 0, ""), RH_S3__FAIL);
}

Test(store_s3_retry, http_answers)
{
	long retry[] = { 408, 429, 500, 502, 503, 504 };
	long fail[] = { 400, 401, 403, 404, 405, 409, 411, 412, 416, 501 };
	size_t i;

	cr_assert_eq(rh_s3__classify(0, 200, ""), RH_S3__OK);
	cr_assert_eq(rh_s3__classify(0, 204, NULL), RH_S3__OK);
	cr_assert_eq(rh_s3__classify(0, 206, ""), RH_S3__OK);
	for (i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
		cr_assert_eq(rh_s3__classify(0, retry[i], ""), RH_S3__RETRY,
		             "%ld", retry[i]);
	for (i = 0; i < sizeof(fail) / sizeof(fail[0]); i++)
		cr_assert_eq(rh_s3__classify(0, fail[i], ""), RH_S3__FAIL,
		             "%ld", fail[i]);
}

Test(store_s3_retry, s3_error_codes)
{
	cr_assert_eq(rh_s3__classify(0, 503, "SlowDown"), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(0, 429, "SlowDown"), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(0, 400, "RequestTimeout"), RH_S3__RETRY);
	/* CompleteMultipartUpload: 200 with an <Error> body */
	cr_assert_eq(rh_s3__classify(0, 200, "InternalError"), RH_S3__RETRY);
	cr_assert_eq(rh_s3__classify(0, 200, "AccessDenied"), RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(0, 400, "ExpiredToken"), RH_S3__REFRESH);
	cr_assert_eq(rh_s3__classify(0, 403, "SignatureDoesNotMatch"),
	             RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(0, 403, "AccessDenied"), RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(0, 404, "NoSuchKey"), RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(0, 404, "NoSuchBucket"), RH_S3__FAIL);
	cr_assert_eq(rh_s3__classify(0, 400, "IDPCommunicationError"),
	             RH_S3__RETRY);
}

Test(store_s3_retry, permanent_codes)
{
	cr_assert_eq(rh_s3__fail_code(404, "NoSuchKey"), RH_ENOTFOUND);
	cr_assert_eq(rh_s3__fail_code(404, ""), RH_ENOTFOUND); /* HEAD */
	cr_assert_eq(rh_s3__fail_code(404, NULL), RH_ENOTFOUND);
	cr_assert_eq(rh_s3__fail_code(404, "NoSuchBucket"), RH_EIO);
	/* no right to do this (a cache folder may take the write) ... */
	cr_assert_eq(rh_s3__fail_code(403, "AccessDenied"), RH_EACCES);
	cr_assert_eq(rh_s3__fail_code(403, "AllAccessDisabled"), RH_EACCES);
	cr_assert_eq(rh_s3__fail_code(403, "AuthorizationPermissionMismatch"),
	             RH_EACCES);
	/* ... unlike a wrong key or signature */
	cr_assert_eq(rh_s3__fail_code(403, "SignatureDoesNotMatch"), RH_EIO);
	cr_assert_eq(rh_s3__fail_code(403, "InvalidAccessKeyId"), RH_EIO);
	cr_assert_eq(rh_s3__fail_code(403, "AuthenticationFailed"), RH_EIO);
	cr_assert_eq(rh_s3__fail_code(400, ""), RH_EIO);
}

Test(store_s3_retry, backoff_grows_with_jitter_and_a_cap)
{
	uint64_t rnd[] = { 0, 1, 12345, UINT64_MAX, 0x8000000000000000ull };
	unsigned a, i, prev_max = 0;

	for (a = 1; a <= 40; a++) {
		unsigned d = 100;

		for (i = 1; i < a && d < 20000; i++)
			d *= 2;
		if (d > 20000)
			d = 20000;
		for (i = 0; i < sizeof(rnd) / sizeof(rnd[0]); i++) {
			unsigned ms = rh_s3__backoff_ms(a, 100, 20000, rnd[i]);

			cr_assert(ms >= d / 2 && ms <= d,
			          "attempt %u: %u not in [%u, %u]", a, ms,
			          d / 2, d);
		}
		cr_assert_geq(d, prev_max);
		prev_max = d;
	}
	cr_assert_eq(rh_s3__backoff_ms(1, 100, 20000, 0), 50);
	cr_assert_eq(rh_s3__backoff_ms(50, 100, 20000, 0), 10000);
}

Test(store_s3_retry, random_values_differ)
{
	atomic_uint_fast64_t s;
	uint64_t a, b, c;

	atomic_init(&s, 42);
	a = rh_s3__random(&s);
	b = rh_s3__random(&s);
	c = rh_s3__random(&s);
	cr_assert(a != b && b != c && a != c);
}

/* Ceph RGW's error answers have an empty <Message>: the status and the
 * code, and the hint, must still say what went wrong. */
Test(store_s3_retry, errors_without_a_message)
{
	rh_s3__xml_error err;
	char buf[640];

	memset(&err, 0, sizeof(err));
	strcpy(err.code, "SignatureDoesNotMatch");
	rh_s3__describe_error(buf, sizeof(buf), 403, &err,
	                      "AWS_SECRET_ACCESS_KEY");
	cr_assert_str_eq(
		buf,
		"403 SignatureDoesNotMatch: (the server gave no message) "
		"(check the secret access key (credentials from AWS_SECRET_ACCESS_KEY))");
	strcpy(err.code, "NoSuchUpload");
	rh_s3__describe_error(buf, sizeof(buf), 404, &err, "x");
	cr_assert_str_eq(buf, "404 NoSuchUpload: (the server gave no message)");
	strcpy(err.code, "SlowDown");
	strcpy(err.message, "Please reduce your request rate.");
	rh_s3__describe_error(buf, sizeof(buf), 503, &err, "x");
	cr_assert_str_eq(buf, "503 SlowDown: Please reduce your request rate.");
}

Test(store_s3_retry, hints_say_what_to_fix)
{
	rh_s3__xml_error err;
	char buf[400];

	memset(&err, 0, sizeof(err));
	cr_assert(strstr(
		rh_s3__hint(buf, sizeof(buf), "SignatureDoesNotMatch", &err,
	                    "AWS_SECRET_ACCESS_KEY"),
		"check the secret access key (credentials from AWS_SECRET_ACCESS_KEY)"));
	cr_assert(strstr(
		rh_s3__hint(buf, sizeof(buf), "InvalidAccessKeyId", &err, "x"),
		"access key id"));
	strcpy(err.region, "eu-west-3");
	cr_assert(strstr(rh_s3__hint(buf, sizeof(buf),
	                             "AuthorizationHeaderMalformed", &err, "x"),
	                 "AWS_REGION=eu-west-3"));
	cr_assert(
		strstr(rh_s3__hint(buf, sizeof(buf), "NoSuchBucket", &err, "x"),
	               "bucket name"));
	cr_assert(strstr(rh_s3__hint(buf, sizeof(buf), "RequestTimeTooSkewed",
	                             NULL, "x"),
	                 "clock"));
	cr_assert_null(
		rh_s3__hint(buf, sizeof(buf), "SomethingElse", &err, "x"));
	cr_assert_null(rh_s3__hint(buf, sizeof(buf), NULL, NULL, NULL));
	cr_assert(strstr(rh_s3__curl_hint(CURLE_PEER_FAILED_VERIFICATION),
	                 "ca_bundle"));
	cr_assert(strstr(rh_s3__curl_hint(CURLE_COULDNT_RESOLVE_HOST),
	                 "host name"));
	cr_assert_null(rh_s3__curl_hint(CURLE_OK));
}

Test(store_s3_retry, content_md5)
{
	static const struct {
		size_t n;
		const char *b64;
	} v[] = { { 0, "1B2M2Y8AsgTpgAmY7PhCfg==" },
		  { 55, "7xdytt/5oSI1hVKVStDfZQ==" },
		  { 56, "OwyKxwP4KLBMbBlwBtFyGA==" },
		  { 63, "sGUh85FT1hhVBga+KXRm1Q==" },
		  { 64, "AUhC1IC1cUlaSgNjeT9zZw==" },
		  { 65, "x0OkXg0uapXLhZra4CSENQ==" },
		  { 1000, "yr5F3MmuW2a6hmAMymuLqA==" } };
	char a[1000], out[25];
	size_t i;

	memset(a, 'a', sizeof(a));
	rh_s3__md5_base64(out, "abc", 3);
	cr_assert_str_eq(out, "kAFQmDzST7DWlj99KOF/cg==");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rh_s3__md5_base64(out, a, v[i].n);
		cr_assert_str_eq(out, v[i].b64, "%zu bytes", v[i].n);
	}
}
