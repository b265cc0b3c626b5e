/* test_store_s3_url.c - AWS canonical URLs and store URLs
 * (lib/store_s3_url.c). */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_s3.h"

TestSuite(store_s3_url);

static char *
enc(const char *s, size_t len, int keep_slash)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_s3__encode(&b, s, len, keep_slash), 0);
	cr_assert_eq(rh_buf_puts(&b, ""), 0);
	return b.ptr;
}

Test(store_s3_url, encode_keeps_only_unreserved_bytes)
{
	char *s;
	int c;

	s = enc("a b+c/d~e", 9, 1);
	cr_assert_str_eq(s, "a%20b%2Bc/d~e");
	free(s);
	s = enc("a b+c/d~e", 9, 0);
	cr_assert_str_eq(s, "a%20b%2Bc%2Fd~e");
	free(s);
	s = enc("\xc3\xbc!*'()", 7, 1);
	cr_assert_str_eq(s, "%C3%BC%21%2A%27%28%29");
	free(s);
	for (c = 1; c < 256; c++) {
		char in = (char)c;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || strchr("-._~", c);

		s = enc(&in, 1, 0);
		cr_assert_eq(strlen(s), keep ? 1u : 3u, "byte 0x%02x -> %s", c,
		             s);
		if (!keep)
			cr_assert(s[0] == '%' && !strpbrk(s + 1, "abcdef"),
			          "0x%02x -> %s", c, s);
		free(s);
	}
}

static char *
query(const char *const *pairs)
{
	rh_s3__query q = { .n = 0 };
	rh_buf b = RH_BUF_INIT;

	for (; *pairs; pairs += 2)
		cr_assert_eq(rh_s3__query_add(&q, pairs[0], pairs[1]), 0);
	cr_assert_eq(rh_buf_puts(&b, ""), 0);
	cr_assert_eq(rh_s3__query_build(&b, &q), 0);
	rh_s3__query_dispose(&q);
	return b.ptr;
}

Test(store_s3_url, query_is_sorted_and_encoded)
{
	const char *list[] = { "prefix",    "a/b+c d",  "list-type",
		               "2",         "max-keys", "1000",
		               "delimiter", "/",        "continuation-token",
		               "x=y/z+",    NULL };
	const char *up[] = { "uploads", "", NULL };
	const char *part[] = { "uploadId", "2~x.y_z/+=", "partNumber", "12",
		               NULL };
	char *s;

	s = query(list);
	cr_assert_str_eq(
		s,
		"continuation-token=x%3Dy%2Fz%2B&delimiter=%2F&list-type=2&max-keys=1000&prefix=a%2Fb%2Bc%20d");
	free(s);
	s = query(up);
	cr_assert_str_eq(s, "uploads=");
	free(s);
	s = query(part);
	cr_assert_str_eq(s, "partNumber=12&uploadId=2~x.y_z%2F%2B%3D");
	free(s);
}

static rh_s3__config
cfg_of(const char *scheme, const char *host, unsigned port, int path_style)
{
	rh_s3__config c;

	memset(&c, 0, sizeof(c));
	c.scheme = (char *)scheme;
	c.host = (char *)host;
	c.port = port;
	c.bucket = (char *)"bkt";
	c.path_style = path_style;
	return c;
}

static char *
url(const rh_s3__config *c, const char *key, const char *q)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_s3__object_url(&b, c, key, q), 0);
	return b.ptr;
}

Test(store_s3_url, object_urls_in_both_styles)
{
	rh_s3__config p = cfg_of("http", "127.0.0.1", 9000, 1);
	rh_s3__config v = cfg_of("https", "s3.eu-west-1.amazonaws.com", 0, 0);
	char *s;

	s = url(&p, "pre/k x+y", "uploads=");
	cr_assert_str_eq(s, "http://127.0.0.1:9000/bkt/pre/k%20x%2By?uploads=");
	free(s);
	s = url(&p, NULL, "list-type=2");
	cr_assert_str_eq(s, "http://127.0.0.1:9000/bkt?list-type=2");
	free(s);
	s = url(&v, "a/b", NULL);
	cr_assert_str_eq(s, "https://bkt.s3.eu-west-1.amazonaws.com/a/b");
	free(s);
	s = url(&v, NULL, "delete=");
	cr_assert_str_eq(s, "https://bkt.s3.eu-west-1.amazonaws.com/?delete=");
	free(s);
}

Test(store_s3_url, local_hosts_get_path_style)
{
	cr_assert(rh_s3__host_is_local("localhost"));
	cr_assert(rh_s3__host_is_local("LOCALHOST"));
	cr_assert(rh_s3__host_is_local("minio.localhost"));
	cr_assert(rh_s3__host_is_local("127.0.0.1"));
	cr_assert(rh_s3__host_is_local("10.1.2.3"));
	cr_assert(rh_s3__host_is_local("[::1]"));
	cr_assert(rh_s3__host_is_local("[fe80::1]"));
	cr_assert_not(rh_s3__host_is_local("s3.amazonaws.com"));
	cr_assert_not(rh_s3__host_is_local("127.0.0.1.nip.io"));
	cr_assert_not(rh_s3__host_is_local("[zz]"));
	cr_assert_not(rh_s3__host_is_local("localhost.example.com"));
}

Test(store_s3_url, bucket_dns_names)
{
	cr_assert(rh_s3__bucket_dns_ok("my-bucket", 1));
	cr_assert(rh_s3__bucket_dns_ok("my.bucket", 0));
	cr_assert_not(rh_s3__bucket_dns_ok("my.bucket", 1)); /* TLS wildcard */
	cr_assert_not(rh_s3__bucket_dns_ok("My_Bucket", 0));
	cr_assert_not(rh_s3__bucket_dns_ok("ab", 0));
	cr_assert_not(rh_s3__bucket_dns_ok("192.168.1.1", 0));
	cr_assert_not(rh_s3__bucket_dns_ok("a..b", 0));
	cr_assert_not(rh_s3__bucket_dns_ok("-ab", 0));
}

static void
url_ok(const char *u, const char *bucket, const char *prefix)
{
	char *b, *p;

	cr_assert_eq(rh_s3__parse_url(&b, &p, u), 0, "%s: %s", u,
	             rh_error_last());
	cr_assert_str_eq(b, bucket, "%s", u);
	cr_assert_str_eq(p, prefix, "%s", u);
	free(b);
	free(p);
}

static void
url_bad(const char *u, const char *msg)
{
	char *b, *p;

	cr_assert_eq(rh_s3__parse_url(&b, &p, u), RH_EINVAL, "%s", u);
	cr_assert_null(b);
	cr_assert_null(p);
	cr_assert(strstr(rh_error_last(), msg), "%s: %s", u, rh_error_last());
}

Test(store_s3_url, store_urls)
{
	url_ok("s3://b", "b", "");
	url_ok("s3://b/", "b", "");
	url_ok("S3://my-bucket/p/q//", "my-bucket", "p/q");
	url_ok("s3://b/a b/%41", "b", "a b/%41"); /* literal, as the AWS CLI */
	url_bad("s3://", "no bucket");
	url_bad("s3:///x", "no bucket");
	url_bad("s3://b!/x", "has a '!'");
	url_bad("s3://b/a//b", "empty component");
	url_bad("s3://b/./x", "\".\" component");
	url_bad("s3://b/x\x01y", "control byte");
	url_bad("file:///x", "not an s3:// URL");
}

static void
ep_ok(const char *e, const char *scheme, const char *host, unsigned port)
{
	char *s, *h;
	unsigned p;

	cr_assert_eq(rh_s3__parse_endpoint(&s, &h, &p, e, "test"), 0, "%s: %s",
	             e, rh_error_last());
	cr_assert_str_eq(s, scheme);
	cr_assert_str_eq(h, host);
	cr_assert_eq(p, port);
	free(s);
	free(h);
}

Test(store_s3_url, endpoints)
{
	const char *bad[] = { "ftp://x",        "http://",       "http://h:0",
		              "http://h:99999", "http://h/path", "http://u@h",
		              "http://h?x",     "http://h:9x",   "h:9000",
		              "http://[::1",    "http://h h",    NULL };
	char *s, *h;
	unsigned p;
	size_t i;

	ep_ok("https://s3.amazonaws.com", "https", "s3.amazonaws.com", 0);
	ep_ok("http://127.0.0.1:9000/", "http", "127.0.0.1", 9000);
	ep_ok("http://[::1]:9000", "http", "[::1]", 9000);
	ep_ok("HTTPS://Minio.Example:443", "https", "minio.example", 443);
	for (i = 0; bad[i]; i++) {
		cr_assert_eq(rh_s3__parse_endpoint(&s, &h, &p, bad[i],
		                                   "AWS_ENDPOINT_URL"),
		             RH_EINVAL, "%s", bad[i]);
		cr_assert(strstr(rh_error_last(), "AWS_ENDPOINT_URL"), "%s",
		          rh_error_last());
	}
}
