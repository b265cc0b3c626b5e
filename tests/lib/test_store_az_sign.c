/* test_store_az_sign.c - Azure Shared Key (lib/store_az_sign.c): the string
 * to sign and the Authorization header for known requests, HMAC-SHA256 and
 * base64; connection strings and settings (lib/store_az_config.c); store
 * URLs (lib/store_az_url.c); List Blobs answers (lib/store_az_xml.c).
 *
 * The expected strings and signatures were computed independently from
 * the spec's rules with Python's hmac/hashlib/base64 by
 * tests/gen/az_sign_vectors.py (run it to print them again). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "store_az.h"

TestSuite(store_az_sign);

static const char key_b64[] =
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

static void
check_vector(const rh_az__sign_req *r, const char *account,
             const char *want_sts, const char *want_auth)
{
	rh_buf key = RH_BUF_INIT, sts = RH_BUF_INIT, auth = RH_BUF_INIT;

	cr_assert_eq(rh_az__base64_decode(&key, key_b64), 0);
	cr_assert_eq(key.size, 64);
	cr_assert_eq(rh_az__string_to_sign(&sts, account, r), 0);
	cr_assert_str_eq(sts.ptr, want_sts);
	cr_assert_eq(rh_az__authorization(&auth, account,
	                                  (unsigned char *)key.ptr, key.size,
	                                  r),
	             0);
	cr_assert_str_eq(auth.ptr, want_auth);
	rh_buf_dispose(&key);
	rh_buf_dispose(&sts);
	rh_buf_dispose(&auth);
}

/* The emulator's path-style URL: the account twice in the resource; an
 * encoded path kept as sent; Range signed. */
Test(store_az_sign, get_range_path_style)
{
	const char *ms[] = { "x-ms-version:2021-12-02",
		             "x-ms-date:Mon, 07 Dec 2026 16:00:00 GMT", NULL };
	rh_az__sign_req r = {
		.method = "GET",
		.url = "http://127.0.0.1:10000/devstoreaccount1/box/p/k%20x",
		.range = "bytes=5-104",
		.ms_headers = ms
	};

	check_vector(
		&r, "devstoreaccount1",
		"GET\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"bytes=5-104\n"
		"x-ms-date:Mon, 07 Dec 2026 16:00:00 GMT\n"
		"x-ms-version:2021-12-02\n"
		"/devstoreaccount1/devstoreaccount1/box/p/k%20x",
		"SharedKey devstoreaccount1:coLKkOxV0miNZ2xGe+vj06wCAGz2BxHLA+ZhQjF5/iQ=");
}

/* Header names lower-cased and sorted, spaces around ':' trimmed; query
 * names sorted and values decoded; Content-Length and Content-Type. */
Test(store_az_sign, put_block_query)
{
	const char *ms[] = { "X-MS-Version : 2021-12-02",
		             "x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT", NULL };
	rh_az__sign_req r = {
		.method = "PUT",
		.url = "https://acct.blob.core.windows.net/box/a/b?comp=block&blockid=cmF5aGlzdC1ibG9jay0wMDAwMDE%3D",
		.content_length = 5,
		.content_type = "application/octet-stream",
		.ms_headers = ms
	};

	check_vector(
		&r, "acct",
		"PUT\n"
		"\n"
		"\n"
		"5\n"
		"\n"
		"application/octet-stream\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT\n"
		"x-ms-version:2021-12-02\n"
		"/acct/box/a/b\n"
		"blockid:cmF5aGlzdC1ibG9jay0wMDAwMDE=\n"
		"comp:block",
		"SharedKey acct:VZjEiEfltlBJsPJa2tWRqE0P5dVg7o2RQIslc06x/Q0=");
}

Test(store_az_sign, list_query_sorted_decoded)
{
	const char *ms[] = { "x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT",
		             "x-ms-version:2021-12-02", NULL };
	rh_az__sign_req r = {
		.method = "GET",
		.url = "https://acct.blob.core.windows.net/box?restype=container&comp=list&maxresults=3&prefix=a%2Fb%20c&delimiter=%2F&marker=2%21abc",
		.ms_headers = ms
	};

	check_vector(
		&r, "acct",
		"GET\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT\n"
		"x-ms-version:2021-12-02\n"
		"/acct/box\n"
		"comp:list\n"
		"delimiter:/\n"
		"marker:2!abc\n"
		"maxresults:3\n"
		"prefix:a/b c\n"
		"restype:container",
		"SharedKey acct:JG+s/PYC6B9B98tkNg3gqez65AnHQ2kopRZSbgFh36c=");
}

/* Version 2015-02-21 and later: a Content-Length of 0 signs as "". */
Test(store_az_sign, empty_put)
{
	const char *ms[] = { "x-ms-version:2021-12-02",
		             "x-ms-blob-type:BlockBlob",
		             "x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT", NULL };
	rh_az__sign_req r = { .method = "PUT",
		              .url = "https://acct.blob.core.windows.net/box/e",
		              .content_length = 0,
		              .content_type = "application/octet-stream",
		              .ms_headers = ms };

	check_vector(
		&r, "acct",
		"PUT\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"application/octet-stream\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"\n"
		"x-ms-blob-type:BlockBlob\n"
		"x-ms-date:Tue, 01 Jan 2030 00:00:00 GMT\n"
		"x-ms-version:2021-12-02\n"
		"/acct/box/e",
		"SharedKey acct:PldVJ3BU+U0KYSTPJt1z1QNlbslx8g3sFpgJzkWOh/8=");
}

static void
hex(char *out, const unsigned char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

Test(store_az_sign, hmac_sha256)
{
	unsigned char mac[32], longkey[131];
	char h[65];
	const char *msg = "what do ya want for nothing?";
	const char *msg2 =
		"Test Using Larger Than Block-Size Key - Hash Key First";

	rh_az__hmac_sha256(mac, "Jefe", 4, msg, strlen(msg));
	hex(h, mac, 32);
	cr_assert_str_eq(
		h,
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(longkey, 0xaa, sizeof(longkey));
	rh_az__hmac_sha256(mac, longkey, sizeof(longkey), msg2, strlen(msg2));
	hex(h, mac, 32);
	cr_assert_str_eq(
		h,
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(store_az_sign, base64)
{
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
		                           "Zm9vYg==" };
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!",
		                           "=Zg=", "Zg==Zg==" };
	rh_buf b = RH_BUF_INIT, d = RH_BUF_INIT;
	size_t i;

	for (i = 0; i < 5; i++) {
		rh_buf_clear(&b);
		rh_buf_clear(&d);
		cr_assert_eq(rh_az__base64_encode(&b, "foob", i), 0);
		cr_assert_str_eq(b.ptr, enc[i]);
		cr_assert_eq(rh_az__base64_decode(&d, enc[i]), 0);
		cr_assert_eq(d.size, i);
		cr_assert(i == 0 || memcmp(d.ptr, "foob", i) == 0);
	}
	for (i = 0; i < 5; i++) {
		rh_buf_clear(&d);
		cr_assert_eq(rh_az__base64_decode(&d, bad[i]), RH_EINVAL, "%s",
		             bad[i]);
	}
	rh_buf_dispose(&b);
	rh_buf_dispose(&d);
}

/* ---------------------------------------------------------------- config */

typedef struct fake_env {
	const char *const *kv; /* name, value, ..., NULL */
} fake_env;

static const char *
getenv_fake(const char *name, void *payload)
{
	const fake_env *e = payload;
	size_t i;

	for (i = 0; e->kv[i]; i += 2)
		if (strcmp(e->kv[i], name) == 0)
			return e->kv[i + 1];
	return NULL;
}

static int
load(rh_az__config *cfg, const char *url, const char *const *kv)
{
	fake_env e = { kv };

	return rh_az__config_load(cfg, url, NULL, getenv_fake, &e);
}

Test(store_az_config, connection_string)
{
	const char *env[] = {
		"AZURE_STORAGE_CONNECTION_STRING",
		"DefaultEndpointsProtocol=http; AccountName=acct;AccountKey=Zm9vYg==;"
		"BlobEndpoint=http://127.0.0.1:10000/acct/;",
		NULL
	};
	rh_az__config cfg;

	cr_assert_eq(load(&cfg, "az://box/p/q/", env), 0, "%s",
	             rh_error_last());
	cr_assert_str_eq(cfg.url, "az://box/p/q");
	cr_assert_str_eq(cfg.container, "box");
	cr_assert_str_eq(cfg.prefix, "p/q");
	cr_assert_str_eq(cfg.account, "acct");
	cr_assert_str_eq(cfg.endpoint, "http://127.0.0.1:10000/acct");
	cr_assert_eq(cfg.key_len, 4);
	cr_assert_eq(memcmp(cfg.key, "foob", 4), 0);
	cr_assert_null(cfg.sas);
	cr_assert_eq(cfg.block_size, RH_AZ__DEFAULT_BLOCK_SIZE);
	rh_az__config_dispose(&cfg);
}

Test(store_az_config, https_url_and_sas)
{
	const char *env[] = { "AZURE_STORAGE_SAS_TOKEN", "?sv=2021&sig=abc%3D",
		              "RAYHIST_AZ_BLOCK_SIZE", "4MiB", NULL };
	rh_az__config cfg;

	cr_assert_eq(
		load(&cfg, "https://myacct.blob.core.windows.net/box", env), 0,
		"%s", rh_error_last());
	cr_assert_str_eq(cfg.account, "myacct");
	cr_assert_str_eq(cfg.endpoint, "https://myacct.blob.core.windows.net");
	cr_assert_str_eq(cfg.url, "https://myacct.blob.core.windows.net/box");
	cr_assert_str_eq(cfg.sas, "sv=2021&sig=abc%3D");
	cr_assert_null(cfg.key);
	cr_assert_eq(cfg.block_size, 4u << 20);
	rh_az__config_dispose(&cfg);
}

Test(store_az_config, account_key_default_endpoint)
{
	const char *env[] = { "AZURE_STORAGE_ACCOUNT", "acct",
		              "AZURE_STORAGE_KEY", "Zm9v", NULL };
	rh_az__config cfg;

	cr_assert_eq(load(&cfg, "az://box", env), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.endpoint, "https://acct.blob.core.windows.net");
	cr_assert_str_eq(cfg.cred_src, "AZURE_STORAGE_KEY");
	rh_az__config_dispose(&cfg);
}

Test(store_az_config, development_storage)
{
	const char *env[] = { "AZURE_STORAGE_CONNECTION_STRING",
		              "UseDevelopmentStorage=true", NULL };
	rh_az__config cfg;

	cr_assert_eq(load(&cfg, "az://box", env), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.account, "devstoreaccount1");
	cr_assert_str_eq(cfg.endpoint,
	                 "http://127.0.0.1:10000/devstoreaccount1");
	cr_assert_eq(cfg.key_len, 64);
	rh_az__config_dispose(&cfg);
}

Test(store_az_config, errors_name_the_fix)
{
	const char *none[] = { "AZURE_STORAGE_ACCOUNT", "acct", NULL };
	const char *badkey[] = { "AZURE_STORAGE_ACCOUNT", "acct",
		                 "AZURE_STORAGE_KEY", "not base64!", NULL };
	const char *badconn[] = { "AZURE_STORAGE_CONNECTION_STRING",
		                  "AccountName=a;junk", NULL };
	const char *noacct[] = { "AZURE_STORAGE_KEY", "Zm9v", NULL };
	rh_az__config cfg;

	cr_assert_eq(load(&cfg, "az://box", none), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "no credentials for az://box"), "%s",
	          rh_error_last());
	cr_assert_eq(load(&cfg, "az://box", badkey), RH_EINVAL);
	cr_assert(strstr(rh_error_last(),
	                 "(from AZURE_STORAGE_KEY) is not base64"),
	          "%s", rh_error_last());
	cr_assert_eq(load(&cfg, "az://box", badconn), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "part \"junk\" without '='"), "%s",
	          rh_error_last());
	cr_assert_eq(load(&cfg, "az://box", noacct), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "no storage account"), "%s",
	          rh_error_last());
	cr_assert_eq(load(&cfg, "az://Box", noacct), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "lower-case"), "%s", rh_error_last());
	cr_assert_eq(load(&cfg, "az://ab", noacct), RH_EINVAL);
	cr_assert_eq(load(&cfg, "az://box?sig=x", noacct), RH_EINVAL);
	cr_assert_eq(load(&cfg, "https://example.com/box", noacct), RH_EINVAL);
}

/* ---------------------------------------------------------------- xml */

Test(store_az_xml, list_blobs_page)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<EnumerationResults ServiceEndpoint=\"http://x/\" ContainerName=\"box\">"
		"<Prefix>p/</Prefix><MaxResults>3</MaxResults><Delimiter>/</Delimiter>"
		"<Blobs><Blob><Name>p/b&amp;c</Name><Properties>"
		"<Last-Modified>Tue, 01 Jan 2030 00:00:01 GMT</Last-Modified>"
		"<Content-Length>12</Content-Length></Properties></Blob>"
		"<BlobPrefix><Name>p/a/</Name></BlobPrefix>"
		"<Blob><Name>p/z</Name><Properties><Content-Length>0</Content-Length></Properties></Blob>"
		"</Blobs><NextMarker>2!72!MDAw</NextMarker></EnumerationResults>";
	rh_s3__list_page page;

	cr_assert_eq(rh_az__xml_list_parse(&page, xml, sizeof(xml) - 1), 0,
	             "%s", rh_error_last());
	cr_assert_eq(page.n, 3);
	cr_assert_str_eq(page.items[0].key, "p/a/");
	cr_assert(page.items[0].is_prefix);
	cr_assert_str_eq(page.items[1].key, "p/b&c");
	cr_assert_eq(page.items[1].size, 12);
	cr_assert_eq(page.items[1].mtime_ms, INT64_C(1893456001000));
	cr_assert_eq(page.items[2].size, 0);
	cr_assert(page.truncated);
	cr_assert_str_eq(page.next_token, "2!72!MDAw");
	rh_s3__list_page_dispose(&page);
}

Test(store_az_xml, last_page_and_garbage)
{
	static const char last[] =
		"<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
	static const char other[] = "<ListBucketResult></ListBucketResult>";
	static const char bad[] =
		"<EnumerationResults><Blobs><Blob><Properties>"
		"<Content-Length>x</Content-Length></Properties></Blob></Blobs>"
		"</EnumerationResults>";
	rh_s3__list_page page;

	cr_assert_eq(rh_az__xml_list_parse(&page, last, sizeof(last) - 1), 0);
	cr_assert_eq(page.n, 0);
	cr_assert(!page.truncated);
	rh_s3__list_page_dispose(&page);
	cr_assert_eq(rh_az__xml_list_parse(&page, other, sizeof(other) - 1),
	             RH_ECORRUPT);
	cr_assert_eq(rh_az__xml_list_parse(&page, bad, sizeof(bad) - 1),
	             RH_ECORRUPT);
}

/* A SAS connection string names no account: the endpoint does. */
Test(store_az_config, sas_connection_string_account_from_endpoint)
{
	const char *cloud[] = {
		"AZURE_STORAGE_CONNECTION_STRING",
		"BlobEndpoint=https://acct9.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=x",
		NULL
	};
	const char *emu[] = {
		"AZURE_STORAGE_CONNECTION_STRING",
		"BlobEndpoint=http://127.0.0.1:10000/emu1;SharedAccessSignature=sv=1&sig=x",
		NULL
	};
	rh_az__config cfg;

	cr_assert_eq(load(&cfg, "az://box", cloud), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.account, "acct9");
	cr_assert_str_eq(cfg.endpoint, "https://acct9.blob.core.windows.net");
	cr_assert_str_eq(cfg.sas, "sv=1&sig=x");
	rh_az__config_dispose(&cfg);
	cr_assert_eq(load(&cfg, "az://box", emu), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.account, "emu1");
	rh_az__config_dispose(&cfg);
	cr_assert_eq(load(&cfg, "az://box/a\\b", emu), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "reads '\\'"), "%s", rh_error_last());
}

Test(store_az_config, feature_bit)
{
	cr_assert(rh_features() & RH_FEATURE_AZ);
}
