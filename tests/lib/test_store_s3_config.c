/* test_store_s3_config.c - settings of s3:// stores and where they come
 * from (lib/store_s3_config.c): options, the store config file, the
 * environment, the AWS shared files; the messages of every mistake. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "store_s3.h"

TestSuite(store_s3_config);

/* The environment of one test: "NAME=VALUE" strings, NULL-terminated. */
static const char *
fake_env(const char *name, void *payload)
{
	const char *const *e = payload;
	size_t n = strlen(name);

	for (; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static rh_s3__config cfg;

static int
load(const char *url, const rh_store_options *opts, const char **env)
{
	rh_store_options defaults = RH_STORE_OPTIONS_INIT;

	return rh_s3__config_load(&cfg, url, opts ? opts : &defaults, fake_env,
	                          (void *)env);
}

static char *
write_tmp(const char *text)
{
	char *path = strdup("/tmp/rh-s3cfg-XXXXXX");
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
expect_error(const char *url, const rh_store_options *opts, const char **env,
             const char *msg)
{
	cr_assert_eq(load(url, opts, env), RH_EINVAL, "%s", msg);
	cr_assert(strstr(rh_error_last(), msg), "expected \"%s\" in: %s", msg,
	          rh_error_last());
	cr_assert_null(cfg.bucket);
}

#define KEYS "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=SECRET"
#define NOFILES                           \
	"AWS_CONFIG_FILE=/nonexistent/c", \
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/k"

Test(store_s3_config, environment_as_the_aws_tools_read_it)
{
	const char *env[] = { KEYS,
		              NOFILES,
		              "AWS_ENDPOINT_URL=http://127.0.0.1:9000",
		              "AWS_DEFAULT_REGION=eu-west-1",
		              "AWS_SESSION_TOKEN=TOK",
		              NULL };

	cr_assert_eq(load("s3://bkt/pre/fix/", NULL, env), 0, "%s",
	             rh_error_last());
	cr_assert_str_eq(cfg.bucket, "bkt");
	cr_assert_str_eq(cfg.prefix, "pre/fix");
	cr_assert_str_eq(cfg.url, "s3://bkt/pre/fix");
	cr_assert_str_eq(cfg.endpoint, "http://127.0.0.1:9000");
	cr_assert_str_eq(cfg.endpoint_src, "AWS_ENDPOINT_URL");
	cr_assert_str_eq(cfg.region, "eu-west-1");
	cr_assert(cfg.path_style); /* an IP endpoint */
	cr_assert_eq(cfg.cred_kind, RH_S3__CRED_STATIC);
	cr_assert_str_eq(cfg.access_key_id, "AKID");
	cr_assert_str_eq(cfg.secret_access_key, "SECRET");
	cr_assert_str_eq(cfg.session_token, "TOK");
	cr_assert_eq(cfg.max_attempts, RH_S3__DEFAULT_MAX_ATTEMPTS);
	cr_assert_eq(cfg.part_size, RH_S3__DEFAULT_PART_SIZE);
	cr_assert_null(cfg.ca_bundle);
	rh_s3__config_dispose(&cfg);
}

Test(store_s3_config, specific_names_win)
{
	const char *env[] = { KEYS,
		              NOFILES,
		              "AWS_ENDPOINT_URL=http://a:1",
		              "AWS_ENDPOINT_URL_S3=https://s3.example",
		              "AWS_REGION=ap-south-1",
		              "AWS_DEFAULT_REGION=eu-west-1",
		              "RAYHIST_S3_MAX_ATTEMPTS=3",
		              "AWS_MAX_ATTEMPTS=9",
		              NULL };

	cr_assert_eq(load("s3://bkt", NULL, env), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.endpoint, "https://s3.example");
	cr_assert_str_eq(cfg.region, "ap-south-1");
	cr_assert_not(cfg.path_style); /* a DNS endpoint: virtual-hosted */
	cr_assert_eq(cfg.max_attempts, 3);
	rh_s3__config_dispose(&cfg);
}

Test(store_s3_config, aws_default_endpoint)
{
	const char *env[] = { KEYS, NOFILES, "AWS_REGION=eu-west-3", NULL };
	const char *cn[] = { KEYS, NOFILES, "AWS_REGION=cn-north-1", NULL };

	cr_assert_eq(load("s3://my.bucket", NULL, env), 0, "%s",
	             rh_error_last());
	cr_assert_str_eq(cfg.endpoint, "https://s3.eu-west-3.amazonaws.com");
	cr_assert(cfg.path_style); /* dots and TLS */
	rh_s3__config_dispose(&cfg);
	cr_assert_eq(load("s3://bkt", NULL, cn), 0);
	cr_assert_str_eq(cfg.endpoint,
	                 "https://s3.cn-north-1.amazonaws.com.cn");
	cr_assert_not(cfg.path_style);
	rh_s3__config_dispose(&cfg);
}

Test(store_s3_config, options_win_over_everything)
{
	const char *env[] = { KEYS, NOFILES, "AWS_ENDPOINT_URL=http://a:1",
		              "AWS_REGION=x-1", NULL };
	rh_store_options o = RH_STORE_OPTIONS_INIT;

	o.s3_endpoint = "https://minio.example:9000";
	o.s3_region = "us-west-2";
	o.s3_access_key_id = "OPTKEY";
	o.s3_secret_access_key = "OPTSECRET";
	o.s3_addressing = RH_STORE_S3_PATH;
	o.s3_max_attempts = 2;
	o.s3_timeout_ms = 1500;
	o.s3_part_size = 5u << 20;
	o.s3_multipart_threshold = 64u << 20;
	o.s3_parallel = 8;
	cr_assert_eq(load("s3://bkt", &o, env), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.endpoint, "https://minio.example:9000");
	cr_assert_str_eq(cfg.region, "us-west-2");
	cr_assert_str_eq(cfg.access_key_id, "OPTKEY");
	cr_assert_str_eq(cfg.cred_src, "rh_store_options");
	cr_assert(cfg.path_style);
	cr_assert_eq(cfg.max_attempts, 2);
	cr_assert_eq(cfg.timeout_ms, 1500);
	cr_assert_eq(cfg.part_size, 5u << 20);
	cr_assert_eq(cfg.multipart_threshold, 64u << 20);
	cr_assert_eq(cfg.parallel, 8);
	rh_s3__config_dispose(&cfg);
	o.s3_secret_access_key = NULL;
	expect_error("s3://bkt", &o, env,
	             "s3_access_key_id is set but s3_secret_access_key is not");
	o.s3_secret_access_key = "s";
	o.s3_parallel = 1000;
	expect_error("s3://bkt", &o, env,
	             "parallel 1000 is not between 1 and 64");
}

Test(store_s3_config, config_file_wins_over_the_environment)
{
	char *path = write_tmp("# a ConfigMap\n\n"
	                       "endpoint = http://minio:9000\n"
	                       "region=eu-central-1\n"
	                       "  access_key_id   =  FILEKEY  \n"
	                       "secret_access_key = FILE SECRET=+/\n"
	                       "path_style = false\n"
	                       "multipart_threshold = 32MiB\n"
	                       "part_size = 5M\n"
	                       "timeout = 500ms\n"
	                       "parallel = 2\n"
	                       "list_max_keys = 10\n");
	const char *env[] = { KEYS, NOFILES, "AWS_ENDPOINT_URL=http://a:1",
		              "AWS_REGION=x-1", NULL };
	rh_store_options o = RH_STORE_OPTIONS_INIT;

	o.config_file = path;
	cr_assert_eq(load("s3://bkt/p", &o, env), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.endpoint, "http://minio:9000");
	cr_assert(strstr(cfg.endpoint_src, path));
	cr_assert_str_eq(cfg.region, "eu-central-1");
	cr_assert_str_eq(cfg.access_key_id, "FILEKEY");
	cr_assert_str_eq(cfg.secret_access_key, "FILE SECRET=+/");
	cr_assert(strstr(cfg.cred_src, path));
	cr_assert_not(cfg.path_style);
	cr_assert_eq(cfg.multipart_threshold, 32u << 20);
	cr_assert_eq(cfg.part_size, 5u << 20);
	cr_assert_eq(cfg.timeout_ms, 500);
	cr_assert_eq(cfg.parallel, 2);
	cr_assert_eq(cfg.list_max_keys, 10);
	rh_s3__config_dispose(&cfg);
	unlink(path);
	free(path);
}

Test(store_s3_config, config_file_from_the_environment_and_its_errors)
{
	char *unknown = write_tmp("region = x-1\nendpiont = http://x\n");
	char *section = write_tmp("[default]\nregion = x-1\n");
	char *garbage = write_tmp("region: x-1\n");
	char *half = write_tmp("access_key_id = A\n");
	char var[200];
	const char *env[] = { KEYS, NOFILES, var, NULL };

	snprintf(var, sizeof(var), "RAYHIST_STORE_CONFIG=%s", unknown);
	expect_error(
		"s3://b", NULL, env,
		":2: unknown setting \"endpiont\" (known: endpoint, region");
	snprintf(var, sizeof(var), "RAYHIST_STORE_CONFIG=%s", section);
	expect_error("s3://b", NULL, env,
	             ":2: the store config has no sections");
	snprintf(var, sizeof(var), "RAYHIST_STORE_CONFIG=%s", garbage);
	expect_error("s3://b", NULL, env,
	             ":1: expected \"key = value\", found \"region: x-1\"");
	snprintf(var, sizeof(var), "RAYHIST_STORE_CONFIG=%s", half);
	expect_error(
		"s3://b", NULL, env,
		"access_key_id is set but secret_access_key is not (store config");
	snprintf(var, sizeof(var),
	         "RAYHIST_STORE_CONFIG=/nonexistent/rayhist.conf");
	expect_error(
		"s3://b", NULL, env,
		"store config /nonexistent/rayhist.conf: cannot open: No such file");
	unlink(unknown), unlink(section), unlink(garbage), unlink(half);
	free(unknown), free(section), free(garbage), free(half);
}

Test(store_s3_config, bad_values_name_their_source)
{
	const char *a[] = { KEYS, NOFILES, "RAYHIST_S3_MAX_ATTEMPTS=0", NULL };
	const char *b[] = { KEYS, NOFILES, "RAYHIST_S3_TIMEOUT=soon", NULL };
	const char *c[] = { KEYS, NOFILES, "RAYHIST_S3_PART_SIZE=6GiB", NULL };
	const char *d[] = { KEYS, NOFILES, "RAYHIST_S3_PATH_STYLE=sometimes",
		            NULL };
	const char *e[] = { KEYS, NOFILES, "AWS_REGION=eu west", NULL };
	const char *f[] = { KEYS, NOFILES, "AWS_ENDPOINT_URL=s3.amazonaws.com",
		            NULL };
	const char *g[] = { KEYS, NOFILES,
		            "RAYHIST_S3_CA_BUNDLE=/nonexistent/ca.pem", NULL };
	const char *h[] = { KEYS, NOFILES,
		            "AWS_ENDPOINT_URL=https://s3.example",
		            "RAYHIST_S3_PATH_STYLE=false", NULL };

	expect_error(
		"s3://b", NULL, a,
		"max_attempts \"0\" (from RAYHIST_S3_MAX_ATTEMPTS) is not a number from 1 to 100");
	expect_error(
		"s3://b", NULL, b,
		"timeout \"soon\" (from RAYHIST_S3_TIMEOUT) is not a duration");
	expect_error(
		"s3://b", NULL, c,
		"part_size \"6GiB\" (from RAYHIST_S3_PART_SIZE) is not a size");
	expect_error(
		"s3://b", NULL, d,
		"path_style \"sometimes\" (from RAYHIST_S3_PATH_STYLE) is not true, false or auto");
	expect_error("s3://b", NULL, e,
	             "region \"eu west\" (from AWS_REGION) is no region name");
	expect_error(
		"s3://b", NULL, f,
		"endpoint \"s3.amazonaws.com\" (from AWS_ENDPOINT_URL) is no http:// or https:// URL");
	expect_error(
		"s3://b", NULL, g,
		"ca_bundle /nonexistent/ca.pem (from RAYHIST_S3_CA_BUNDLE)");
	expect_error("s3://my.bucket", NULL, h,
	             "cannot be addressed virtual-hosted style");
	expect_error("s3://", NULL, a, "no bucket");
}

Test(store_s3_config, credentials_messages)
{
	const char *none[] = { NOFILES, NULL };
	const char *half[] = { NOFILES, "AWS_SECRET_ACCESS_KEY=s", NULL };
	const char *role[] = { NOFILES, "AWS_ROLE_ARN=arn:aws:iam::1:role/r",
		               NULL };
	const char *colon[] = { NOFILES, "AWS_ACCESS_KEY_ID=a:b",
		                "AWS_SECRET_ACCESS_KEY=s", NULL };

	expect_error(
		"s3://b/p", NULL, none,
		"no credentials for s3://b/p: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE");
	expect_error(
		"s3://b", NULL, half,
		"AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not (in the environment): give both");
	expect_error(
		"s3://b", NULL, role,
		"AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
	expect_error("s3://b", NULL, colon, "hold spaces, ':' or line breaks");
}

Test(store_s3_config, web_identity_from_the_environment)
{
	const char *env[] = {
		NOFILES, "AWS_ROLE_ARN=arn:aws:iam::1:role/r",
		"AWS_REGION=eu-west-1",
		"AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/token", NULL
	};
	const char *sts[] = { NOFILES,
		              "AWS_ROLE_ARN=r",
		              "AWS_WEB_IDENTITY_TOKEN_FILE=t",
		              "AWS_ENDPOINT_URL=http://minio:9000",
		              "AWS_ROLE_SESSION_NAME=me",
		              NULL };
	const char *both[] = { NOFILES, KEYS, "AWS_ROLE_ARN=r",
		               "AWS_WEB_IDENTITY_TOKEN_FILE=t", NULL };

	cr_assert_eq(load("s3://b", NULL, env), 0, "%s", rh_error_last());
	cr_assert_eq(cfg.cred_kind, RH_S3__CRED_WEB_IDENTITY);
	cr_assert_str_eq(cfg.role_arn, "arn:aws:iam::1:role/r");
	cr_assert_str_eq(cfg.web_identity_token_file, "/var/run/secrets/token");
	cr_assert_str_eq(cfg.sts_endpoint,
	                 "https://sts.eu-west-1.amazonaws.com");
	cr_assert_str_eq(cfg.role_session_name, "rayhist");
	rh_s3__config_dispose(&cfg);
	/* AWS_ENDPOINT_URL is every service's, STS's too (MinIO has STS) */
	cr_assert_eq(load("s3://b", NULL, sts), 0);
	cr_assert_str_eq(cfg.sts_endpoint, "http://minio:9000");
	cr_assert_str_eq(cfg.role_session_name, "me");
	rh_s3__config_dispose(&cfg);
	/* keys come first, as in the AWS SDKs */
	cr_assert_eq(load("s3://b", NULL, both), 0);
	cr_assert_eq(cfg.cred_kind, RH_S3__CRED_STATIC);
	rh_s3__config_dispose(&cfg);
}

Test(store_s3_config, aws_shared_files_and_profiles)
{
	char *creds = write_tmp(
		"[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFS\n"
		"; a comment\n[prod]\naws_access_key_id=PROD\naws_secret_access_key=PRODS\n"
		"aws_session_token = PT\n[half]\naws_access_key_id = H\n");
	char *conf = write_tmp(
		"[default]\nregion = eu-north-1\n"
		"[profile prod]\nregion = us-west-1\ns3 =\n  addressing_style = path\n  endpoint_url = https://prod.example\n"
		"[profile web]\nrole_arn = arn:r\nweb_identity_token_file = /t\n"
		"[profile sso]\nsso_start_url = https://x\n");
	char c1[200], c2[200];
	const char *def[] = { c1, c2, NULL };
	const char *prod[] = { c1, c2, "AWS_PROFILE=prod", NULL };
	const char *web[] = { c1, c2, "AWS_PROFILE=web", NULL };
	const char *sso[] = { c1, c2, "AWS_PROFILE=sso", NULL };
	const char *gone[] = { c1, c2, "AWS_PROFILE=gone", NULL };
	const char *halfp[] = { c1, c2, "AWS_PROFILE=half", NULL };
	const char *home[] = { "HOME=/nonexistent/home", NULL };

	snprintf(c1, sizeof(c1), "AWS_SHARED_CREDENTIALS_FILE=%s", creds);
	snprintf(c2, sizeof(c2), "AWS_CONFIG_FILE=%s", conf);
	cr_assert_eq(load("s3://bkt", NULL, def), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.access_key_id, "DEF");
	cr_assert_str_eq(cfg.region, "eu-north-1");
	cr_assert(strstr(cfg.cred_src, "profile \"default\" in"));
	rh_s3__config_dispose(&cfg);
	cr_assert_eq(load("s3://bkt", NULL, prod), 0, "%s", rh_error_last());
	cr_assert_str_eq(cfg.access_key_id, "PROD");
	cr_assert_str_eq(cfg.session_token, "PT");
	cr_assert_str_eq(cfg.region, "us-west-1");
	cr_assert_str_eq(cfg.endpoint, "https://prod.example");
	cr_assert(cfg.path_style);
	rh_s3__config_dispose(&cfg);
	cr_assert_eq(load("s3://bkt", NULL, web), 0, "%s", rh_error_last());
	cr_assert_eq(cfg.cred_kind, RH_S3__CRED_WEB_IDENTITY);
	cr_assert_str_eq(cfg.role_arn, "arn:r");
	rh_s3__config_dispose(&cfg);
	expect_error("s3://bkt", NULL, sso,
	             "not source_profile, credential_process or SSO");
	expect_error(
		"s3://bkt", NULL, gone,
		"no credentials: profile \"gone\" (from AWS_PROFILE) has none in");
	expect_error(
		"s3://bkt", NULL, halfp,
		"aws_access_key_id is set but aws_secret_access_key is not (profile \"half\"");
	expect_error("s3://bkt", NULL, home, "no credentials");
	unlink(creds), unlink(conf);
	free(creds), free(conf);
}

static int
collect(const char *section, const char *key, const char *value, unsigned line,
        void *payload)
{
	rh_buf *b = payload;

	return rh_buf_printf(b, "[%s] %s=%s @%u\n", section ? section : "-",
	                     key, value, line);
}

Test(store_s3_config, ini_syntax)
{
	const char text[] =
		"top = 1\n# c\n; c\n[a b]\nk = v = w\ns3 =\n  x = 1\n\ty=2\nz=\n  \n[c]\nq=\r\n";
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_s3__ini_parse(text, strlen(text), "f", collect, &b), 0,
	             "%s", rh_error_last());
	cr_assert_str_eq(
		b.ptr,
		"[-] top=1 @1\n[a b] k=v = w @5\n[a b] s3= @6\n[a b] s3.x=1 @7\n"
		"[a b] s3.y=2 @8\n[a b] z= @9\n[c] q= @12\n");
	rh_buf_dispose(&b);
	cr_assert_eq(rh_s3__ini_parse("[open\n", 6, "f", collect, &b),
	             RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "f:1: a section header"));
	cr_assert_eq(rh_s3__ini_parse(" = v\n", 5, "f", collect, &b),
	             RH_EINVAL);
	cr_assert_eq(rh_s3__ini_parse("a\0b", 3, "f", collect, &b), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "NUL"));
	rh_buf_dispose(&b);
}

Test(store_s3_config, value_syntax)
{
	uint64_t v;
	unsigned ms;
	int b;

	cr_assert_eq(rh_s3__parse_size(&v, "8MiB"), 0);
	cr_assert_eq(v, 8u << 20);
	cr_assert_eq(rh_s3__parse_size(&v, "512k"), 0);
	cr_assert_eq(v, 512u << 10);
	cr_assert_eq(rh_s3__parse_size(&v, "1 GB"), 0);
	cr_assert_eq(v, 1u << 30);
	cr_assert_eq(rh_s3__parse_size(&v, "123"), 0);
	cr_assert_eq(v, 123);
	cr_assert_eq(rh_s3__parse_size(&v, "-1"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_size(&v, "1TiB"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_size(&v, "99999999999999999999"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_size(&v, "17179869184G"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_duration_ms(&ms, "30"), 0);
	cr_assert_eq(ms, 30000);
	cr_assert_eq(rh_s3__parse_duration_ms(&ms, "500ms"), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(rh_s3__parse_duration_ms(&ms, "2m"), 0);
	cr_assert_eq(ms, 120000);
	cr_assert_eq(rh_s3__parse_duration_ms(&ms, "1h"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_duration_ms(&ms, "99999999999"), RH_EINVAL);
	cr_assert_eq(rh_s3__parse_bool(&b, "Yes"), 0);
	cr_assert_eq(b, 1);
	cr_assert_eq(rh_s3__parse_bool(&b, "off"), 0);
	cr_assert_eq(b, 0);
	cr_assert_eq(rh_s3__parse_bool(&b, "maybe"), RH_EINVAL);
}

Test(store_s3_config, the_library_says_it_has_s3)
{
	cr_assert(rh_features() & RH_FEATURE_S3);
	cr_assert(rh_features() & RH_FEATURE_FILE);
}
