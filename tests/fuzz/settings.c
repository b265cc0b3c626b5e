/* Fuzz target for the store settings parsers (lib/store_s3_config.c,
 * lib/store_az_config.c): the file named by --store-config or
 * $RAYHIST_STORE_CONFIG, the AWS shared config and credentials files and an
 * Azure connection string, all text a user or a mounted secret hands over.
 *
 * Every input is used as each of those in turn. A load either succeeds with
 * every setting resolved (names, endpoint, credentials, tuning within their
 * bounds) or fails with RH_EINVAL and a message; loading the same text twice
 * gives the same answer; the INI reader calls back with non-NULL keys and
 * values, and the number syntaxes it feeds return 0 or RH_EINVAL.
 */
#include <rayhist/rayhist.h>

#include "store_az.h"
#include "store_s3.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

/* "NAME=value" pairs, NULL-terminated. */
static const char *
env_of(const char *name, void *payload)
{
	const char *const *e = payload;
	size_t n = strlen(name);

	for (; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void
check_error(int error)
{
	CHECK(error == RH_EINVAL || error == RH_ENOMEM);
	CHECK(rh_error_last()[0] != '\0');
}

static void
check_s3(const rh_s3__config *c)
{
	CHECK(c->bucket && c->prefix && c->url);
	CHECK(c->endpoint && c->scheme && c->host && c->region);
	CHECK(strcmp(c->scheme, "http") == 0 ||
	      strcmp(c->scheme, "https") == 0);
	CHECK(c->max_attempts >= 1 && c->timeout_ms >= 1 && c->parallel >= 1);
	CHECK(c->part_size >= 1 && c->list_max_keys >= 1);
	CHECK(c->cred_kind == RH_S3__CRED_STATIC ||
	      c->cred_kind == RH_S3__CRED_WEB_IDENTITY);
	if (c->cred_kind == RH_S3__CRED_STATIC)
		CHECK(c->access_key_id && c->secret_access_key);
	else
		CHECK(c->role_arn && c->web_identity_token_file);
}

/* One s3:// load; the same text loaded again must give the same answer. */
static void
load_s3(const rh_store_options *o, const char *const *env)
{
	rh_s3__config a, b;
	char msg[512];
	int ea, eb;

	ea = rh_s3__config_load(&a, "s3://bucket/prefix", o, env_of,
	                        (void *)env);
	snprintf(msg, sizeof(msg), "%s", rh_error_last());
	eb = rh_s3__config_load(&b, "s3://bucket/prefix", o, env_of,
	                        (void *)env);
	CHECK(ea == eb);
	if (ea < 0) {
		check_error(ea);
		CHECK(strcmp(msg, rh_error_last()) == 0);
		CHECK(a.bucket == NULL && b.bucket == NULL);
		return;
	}
	check_s3(&a);
	CHECK(strcmp(a.endpoint, b.endpoint) == 0);
	CHECK(strcmp(a.region, b.region) == 0);
	CHECK(a.part_size == b.part_size && a.path_style == b.path_style);
	rh_s3__config_dispose(&a);
	rh_s3__config_dispose(&b);
}

static void
load_az(const rh_store_options *o, const char *const *env)
{
	rh_az__config c;
	int error;

	error = rh_az__config_load(&c, "az://box/p", o, env_of, (void *)env);
	if (error < 0) {
		check_error(error);
		CHECK(c.container == NULL);
		return;
	}
	CHECK(c.container && c.prefix && c.url && c.account && c.endpoint);
	CHECK((c.key != NULL) != (c.sas != NULL));
	CHECK(c.max_attempts >= 1 && c.block_size >= 1 && c.list_max >= 1);
	rh_az__config_dispose(&c);
}

static int
ini_cb(const char *section, const char *key, const char *value, unsigned line,
       void *payload)
{
	uint64_t size;
	unsigned ms;
	int b, error;

	(void)section;
	CHECK(key && value && line >= 1);
	++*(unsigned *)payload;
	error = rh_s3__parse_size(&size, value);
	CHECK(error == 0 || error == RH_EINVAL);
	error = rh_s3__parse_duration_ms(&ms, value);
	CHECK(error == 0 || error == RH_EINVAL);
	error = rh_s3__parse_bool(&b, value);
	CHECK(error == 0 || error == RH_EINVAL);
	CHECK(error < 0 || b == 0 || b == 1);
	return 0;
}

static int
connstr_cb(const char *key, const char *value, void *payload)
{
	CHECK(key && value);
	++*(unsigned *)payload;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/rh-fuzz-settings-XXXXXX";
	char cfgvar[64], credvar[80], *text;
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	unsigned calls = 0;
	int fd, error;

	if ((fd = mkstemp(path)) < 0 ||
	    write(fd, data, size) != (ssize_t)size || close(fd) != 0) {
		perror(path);
		abort();
	}
	snprintf(cfgvar, sizeof(cfgvar), "AWS_CONFIG_FILE=%s", path);
	snprintf(credvar, sizeof(credvar), "AWS_SHARED_CREDENTIALS_FILE=%s",
	         path);
	{
		/* as the store config file, with keys in the environment */
		const char *env[] = {
			"AWS_ACCESS_KEY_ID=AKID",
			"AWS_SECRET_ACCESS_KEY=SECRET",
			"HOME=/nonexistent",
			"AWS_CONFIG_FILE=/nonexistent",
			"AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
			NULL
		};
		o.config_file = path;
		load_s3(&o, env);
		o.config_file = NULL;
	}
	{
		/* as both AWS shared files, nothing else given */
		const char *env[] = { cfgvar, credvar, "HOME=/nonexistent",
			              NULL };
		load_s3(&o, env);
	}
	{
		/* as an az:// store config, and as a connection string */
		const char *env[] = { "AZURE_STORAGE_KEY=Zm9vYg==", NULL };
		o.config_file = path;
		load_az(&o, env);
		o.config_file = NULL;
	}
	if (!(text = malloc(size + 64)))
		abort();
	memcpy(text, "AZURE_STORAGE_CONNECTION_STRING=", 32);
	memcpy(text + 32, data, size);
	text[32 + size] = '\0';
	{
		const char *env[] = { text, NULL };
		if (strlen(text) > 32)
			load_az(&o, env);
		error = rh_az__connstr_parse(text + 32, "fuzz", connstr_cb,
		                             &calls);
		if (error < 0)
			check_error(error);
	}
	/* the INI reader itself */
	calls = 0;
	error = rh_s3__ini_parse((const char *)data, size, "fuzz", ini_cb,
	                         &calls);
	if (error < 0)
		check_error(error);
	else if (size == 0)
		CHECK(calls == 0);
	free(text);
	unlink(path);
	return 0;
}
