/* store_az_config.c - every setting of an az:// store, and where it came
 * from.
 *
 * A setting is taken from the first place that has it: the store config
 * file (opts->config_file, else $RAYHIST_STORE_CONFIG; "key = value" lines
 * as for s3://, parsed by rh_s3__ini_parse), the environment under the
 * names the Azure CLI and SDKs use (AZURE_STORAGE_ACCOUNT, _KEY,
 * _SAS_TOKEN, _CONNECTION_STRING) or RAYHIST_AZ_* for what Azure has no
 * name for, a connection string ("Configure Azure Storage connection
 * strings": the config file's connection_string, else
 * $AZURE_STORAGE_CONNECTION_STRING), then a default. Credentials are one
 * set from one place: an account key or a SAS token, never a mix.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_az.h"

#define CONFIG_MAX (1u << 20)

/* The emulator's published account key ("Use the Azurite emulator for
 * local Azure Storage development"): what UseDevelopmentStorage=true
 * means. Not a secret. */
static const char devstore_key[] =
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

static const char *const file_keys[] = {
	"connection_string", "account",         "account_key",      "sas_token",
	"endpoint",          "ca_bundle",       "max_attempts",     "timeout",
	"block_size",        "block_threshold", "list_max_results", NULL
};

typedef struct setting {
	char *key, *value, *src;
} setting;

typedef struct ctx {
	rh_az__config *cfg;
	rh_az__getenv_fn env;
	void *env_payload;
	setting *file; /* the store config file */
	size_t n_file;
	setting *conn; /* the connection string's parts */
	size_t n_conn;
	char conn_src[1100];
	const char *path;
} ctx;

static const char *
env_get(const ctx *c, const char *name)
{
	return rh_s3__env(c->env, c->env_payload, name);
}

static int
push(setting **v, size_t *n, const char *key, const char *value,
     const char *src)
{
	setting *nv = rh__realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return RH_ENOMEM;
	*v = nv;
	nv[*n].key = rh__strdup(key);
	nv[*n].value = rh__strdup(value);
	nv[*n].src = rh__strdup(src);
	if (!nv[*n].key || !nv[*n].value || !nv[*n].src) {
		free(nv[*n].key), free(nv[*n].value), free(nv[*n].src);
		return RH_ENOMEM;
	}
	(*n)++;
	return 0;
}

static void
settings_free(setting *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].value)
			memset(v[i].value, 0, strlen(v[i].value));
		free(v[i].key), free(v[i].value), free(v[i].src);
	}
	free(v);
}

static const setting *
find(const setting *v, size_t n, const char *key, int nocase)
{
	size_t i;

	for (i = n; i > 0; i--) /* the last one wins */
		if (nocase ? strcasecmp(v[i - 1].key, key) == 0 :
		             strcmp(v[i - 1].key, key) == 0)
			return &v[i - 1];
	return NULL;
}

/* ---------------------------------------------------------------- files */

static int
file_kv(const char *section, const char *key, const char *value, unsigned line,
        void *payload)
{
	ctx *c = payload;
	char src[1100];
	size_t i;

	if (section)
		return rh__error(
			RH_EINVAL,
			"%s:%u: the store config has no sections: write \"key = value\" lines only",
			c->path, line);
	for (i = 0; file_keys[i] && strcmp(file_keys[i], key) != 0; i++)
		;
	if (!file_keys[i])
		return rh__error(
			RH_EINVAL,
			"%s:%u: unknown setting \"%s\" for an az:// store (known: connection_string, account, account_key, sas_token, endpoint, ca_bundle, max_attempts, timeout, block_size, block_threshold, list_max_results)",
			c->path, line, key);
	snprintf(src, sizeof(src), "%s in %s:%u", key, c->path, line);
	return push(&c->file, &c->n_file, key, value, src);
}

static int
load_file(ctx *c, const rh_store_options *opts)
{
	rh_buf text = RH_BUF_INIT;
	struct stat sb;
	ssize_t n;
	int fd, error = 0;

	c->path = opts && opts->config_file ?
	                  opts->config_file :
	                  env_get(c, "RAYHIST_STORE_CONFIG");
	if (!c->path)
		return 0;
	if ((fd = open(c->path, O_RDONLY | O_CLOEXEC)) < 0)
		return rh__error(RH_EINVAL, "store config %s: cannot open: %s",
		                 c->path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > CONFIG_MAX) {
		error = rh__error(
			RH_EINVAL,
			"store config %s: not a regular file of at most %u bytes",
			c->path, CONFIG_MAX);
		goto done;
	}
	for (;;) {
		if ((error = rh_buf_grow(&text, text.size + 4096)) < 0)
			goto done;
		n = read(fd, text.ptr + text.size, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EINVAL,
			                  "store config %s: read: %s", c->path,
			                  strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		text.size += (size_t)n;
		if (text.size > CONFIG_MAX) {
			error = rh__error(
				RH_EINVAL,
				"store config %s: larger than %u bytes",
				c->path, CONFIG_MAX);
			goto done;
		}
	}
	if ((error = rh_buf_puts(&text, "")) < 0)
		goto done;
	error = rh_s3__ini_parse(text.ptr, text.size, c->path, file_kv, c);
done:
	if (text.ptr)
		memset(text.ptr, 0, text.size);
	rh_buf_dispose(&text);
	close(fd);
	return error;
}

/* ---------------------------------------------------------------- connstr */

int
rh_az__connstr_parse(const char *s, const char *src, rh_az__kv_cb cb,
                     void *payload)
{
	char *copy, *part, *next;
	int error = 0;

	if (!(copy = rh__strdup(s)))
		return RH_ENOMEM;
	for (part = copy; part && error == 0; part = next) {
		char *eq, *k, *v, *e;

		if ((next = strchr(part, ';')))
			*next++ = '\0';
		for (k = part; isspace((unsigned char)*k); k++)
			;
		if (!*k)
			continue;
		if (!(eq = strchr(k, '='))) {
			error = rh__error(
				RH_EINVAL,
				"the connection string (from %s) has a part \"%.40s\" without '='",
				src, k);
			break;
		}
		*eq = '\0';
		for (e = eq; e > k && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		for (v = eq + 1; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);
		     e--)
			e[-1] = '\0';
		error = cb(k, v, payload);
	}
	memset(copy, 0, strlen(s));
	free(copy);
	return error;
}

static int
conn_kv(const char *key, const char *value, void *payload)
{
	ctx *c = payload;

	return push(&c->conn, &c->n_conn, key, value, c->conn_src);
}

static int
load_connstr(ctx *c)
{
	const setting *s = find(c->file, c->n_file, "connection_string", 0);
	const char *v;

	if (s) {
		snprintf(c->conn_src, sizeof(c->conn_src),
		         "the connection string of %s", s->src);
		v = s->value;
	} else if ((v = env_get(c, "AZURE_STORAGE_CONNECTION_STRING"))) {
		snprintf(c->conn_src, sizeof(c->conn_src),
		         "AZURE_STORAGE_CONNECTION_STRING");
	} else {
		return 0;
	}
	return rh_az__connstr_parse(v, c->conn_src, conn_kv, c);
}

/* ---------------------------------------------------------------- resolve */

/* Look a setting up: the config file's `key`, then `envvar`, then the
 * connection string's `conn_key`. *src_out names where it came from. */
static const char *
lookup(const ctx *c, const char *key, const char *envvar, const char *conn_key,
       char *src, size_t srcsz)
{
	const setting *s;
	const char *v;

	if (key && (s = find(c->file, c->n_file, key, 0))) {
		snprintf(src, srcsz, "%s", s->src);
		return s->value;
	}
	if (envvar && (v = env_get(c, envvar))) {
		snprintf(src, srcsz, "%s", envvar);
		return v;
	}
	if (conn_key && (s = find(c->conn, c->n_conn, conn_key, 1)) &&
	    *s->value) {
		snprintf(src, srcsz, "%s in %s", conn_key, s->src);
		return s->value;
	}
	return NULL;
}

static int
resolve_endpoint(ctx *c)
{
	rh_az__config *cfg = c->cfg;
	char src[1200];
	const char *v;
	size_t n;
	int dev;

	dev = find(c->conn, c->n_conn, "UseDevelopmentStorage", 1) &&
	      strcasecmp(find(c->conn, c->n_conn, "UseDevelopmentStorage", 1)
	                         ->value,
	                 "true") == 0;
	if ((v = lookup(c, "endpoint", "RAYHIST_AZ_ENDPOINT", "BlobEndpoint",
	                src, sizeof(src)))) {
		if (strncasecmp(v, "http://", 7) != 0 &&
		    strncasecmp(v, "https://", 8) != 0)
			return rh__error(
				RH_EINVAL,
				"endpoint \"%s\" (from %s) is not an http:// or https:// URL",
				v, src);
		if (strpbrk(v, "?#"))
			return rh__error(
				RH_EINVAL,
				"endpoint \"%s\" (from %s) may have no query or fragment",
				v, src);
		if (rh_s3__set_str(&cfg->endpoint, v) < 0 ||
		    rh_s3__set_str(&cfg->endpoint_src, src) < 0)
			return RH_ENOMEM;
	} else if (dev && !cfg->endpoint) {
		if (rh_s3__set_str(
			    &cfg->endpoint,
			    "http://127.0.0.1:10000/" RH_AZ__DEVSTORE_ACCOUNT) <
		            0 ||
		    rh_s3__set_str(
			    &cfg->endpoint_src,
			    "UseDevelopmentStorage in the connection string") <
		            0)
			return RH_ENOMEM;
	} else if (!cfg->endpoint) {
		const setting *proto =
			find(c->conn, c->n_conn, "DefaultEndpointsProtocol", 1);
		const setting *suffix =
			find(c->conn, c->n_conn, "EndpointSuffix", 1);
		rh_buf b = RH_BUF_INIT;

		if (rh_buf_printf(&b, "%s://%s.blob.%s",
		                  proto ? proto->value : "https", cfg->account,
		                  suffix ? suffix->value : "core.windows.net") <
		    0)
			return RH_ENOMEM;
		cfg->endpoint = b.ptr;
		if (rh_s3__set_str(&cfg->endpoint_src, "the account name") < 0)
			return RH_ENOMEM;
	} else if (rh_s3__set_str(&cfg->endpoint_src, "the store URL") < 0) {
		return RH_ENOMEM;
	}
	n = strlen(cfg->endpoint);
	while (n > 8 && cfg->endpoint[n - 1] == '/')
		cfg->endpoint[--n] = '\0';
	return 0;
}

static int account_from_endpoint(ctx *c);

static int
resolve_account(ctx *c)
{
	rh_az__config *cfg = c->cfg;
	char src[1200];
	const char *v = lookup(c, "account", "AZURE_STORAGE_ACCOUNT",
	                       "AccountName", src, sizeof(src));

	if (cfg->account) /* from an https URL: it names the account */
		return 0;
	if (!v && find(c->conn, c->n_conn, "UseDevelopmentStorage", 1))
		v = RH_AZ__DEVSTORE_ACCOUNT;
	if (!v)
		return account_from_endpoint(c);
	return rh_s3__set_str(&cfg->account, v);
}

/* A SAS connection string often has only BlobEndpoint and the token: the
 * account is the endpoint's first host label (ACCOUNT.blob.core...) or,
 * path-style (the emulator), its first path segment. */
static int
account_from_endpoint(ctx *c)
{
	rh_az__config *cfg = c->cfg;
	char src[1200];
	const char *v = lookup(c, "endpoint", "RAYHIST_AZ_ENDPOINT",
	                       "BlobEndpoint", src, sizeof(src));
	const char *host = v ? strstr(v, "://") : NULL, *slash, *dot;
	size_t n = 0;

	if (host) {
		host += 3;
		slash = host + strcspn(host, "/");
		dot = strchr(host, '.');
		if (dot && dot < slash && strstr(host, ".blob.") &&
		    strstr(host, ".blob.") < slash)
			n = (size_t)(dot - host);
		else if (*slash == '/' && slash[1])
			host = slash + 1, n = strcspn(host, "/");
	}
	if (!n)
		return rh__error(
			RH_EINVAL,
			"no storage account for %s: set AZURE_STORAGE_ACCOUNT or AZURE_STORAGE_CONNECTION_STRING, or account or connection_string in the store config (--store-config, RAYHIST_STORE_CONFIG)",
			cfg->url);
	if (!(cfg->account = rh__strndup(host, n)))
		return RH_ENOMEM;
	return 0;
}

/* One credential from the first place that has one: the file (key, SAS,
 * connection string), the environment (key, SAS), the environment's
 * connection string. */
static int
resolve_creds(ctx *c)
{
	rh_az__config *cfg = c->cfg;
	const setting *s;
	const char *key = NULL, *sas = NULL;
	char src[1200] = "";
	rh_buf dec = RH_BUF_INIT;
	int from_file_conn =
		find(c->file, c->n_file, "connection_string", 0) != NULL;

	if ((s = find(c->file, c->n_file, "account_key", 0)))
		key = s->value, snprintf(src, sizeof(src), "%s", s->src);
	else if ((s = find(c->file, c->n_file, "sas_token", 0)))
		sas = s->value, snprintf(src, sizeof(src), "%s", s->src);
	if (!key && !sas && from_file_conn) {
		if ((s = find(c->conn, c->n_conn, "AccountKey", 1)))
			key = s->value,
			snprintf(src, sizeof(src), "AccountKey in %s", s->src);
		else if ((s = find(c->conn, c->n_conn, "SharedAccessSignature",
		                   1)))
			sas = s->value,
			snprintf(src, sizeof(src),
			         "SharedAccessSignature in %s", s->src);
	}
	if (!key && !sas && (key = env_get(c, "AZURE_STORAGE_KEY")))
		snprintf(src, sizeof(src), "AZURE_STORAGE_KEY");
	if (!key && !sas && (sas = env_get(c, "AZURE_STORAGE_SAS_TOKEN")))
		snprintf(src, sizeof(src), "AZURE_STORAGE_SAS_TOKEN");
	if (!key && !sas && !from_file_conn) {
		if ((s = find(c->conn, c->n_conn, "AccountKey", 1)))
			key = s->value,
			snprintf(src, sizeof(src), "AccountKey in %s", s->src);
		else if ((s = find(c->conn, c->n_conn, "SharedAccessSignature",
		                   1)))
			sas = s->value,
			snprintf(src, sizeof(src),
			         "SharedAccessSignature in %s", s->src);
		else if ((s = find(c->conn, c->n_conn, "UseDevelopmentStorage",
		                   1)))
			key = devstore_key,
			snprintf(src, sizeof(src),
			         "UseDevelopmentStorage in %s", s->src);
	}
	if (rh_s3__set_str(&cfg->cred_src, src) < 0)
		return RH_ENOMEM;
	if (sas) {
		if (*sas == '?')
			sas++;
		if (!*sas || strpbrk(sas, "#& ") == sas)
			return rh__error(RH_EINVAL,
			                 "the SAS token (from %s) is empty",
			                 src);
		return rh_s3__set_str(&cfg->sas, sas);
	}
	if (!key)
		return rh__error(
			RH_EINVAL,
			"no credentials for %s: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or connection_string, account_key or sas_token in the store config (--store-config, RAYHIST_STORE_CONFIG)",
			cfg->url);
	if (rh_az__base64_decode(&dec, key) < 0 || dec.size == 0) {
		rh_buf_dispose(&dec);
		return rh__error(
			RH_EINVAL,
			"the account key (from %s) is not base64: copy it whole from the portal (Access keys)",
			src);
	}
	cfg->key = (unsigned char *)dec.ptr;
	cfg->key_len = dec.size;
	return 0;
}

static int
resolve_number(const ctx *c, uint64_t *out, const char *key, const char *envvar,
               uint64_t def, uint64_t min, uint64_t max, int duration)
{
	char src[1200];
	const char *v = lookup(c, key, envvar, NULL, src, sizeof(src));
	unsigned d;
	uint64_t n;

	*out = def;
	if (!v)
		return 0;
	if (duration ? rh_s3__parse_duration_ms(&d, v) < 0 :
	               rh_s3__parse_size(&n, v) < 0)
		return rh__error(RH_EINVAL, "%s \"%s\" (from %s) is not %s",
		                 key, v, src,
		                 duration ? "a duration (\"30s\", \"500ms\")" :
		                            "a number");
	if (duration)
		n = d;
	if (n < min || n > max)
		return rh__error(
			RH_EINVAL,
			"%s \"%s\" (from %s) is not between %llu and %llu", key,
			v, src, (unsigned long long)min,
			(unsigned long long)max);
	*out = n;
	return 0;
}

/* Attempts, timeout, block sizes, page size and CA bundle. */
static int
resolve_tuning(ctx *c)
{
	rh_az__config *cfg = c->cfg;
	char src[1200];
	const char *v;
	uint64_t n;
	int error;

	if ((error = resolve_number(
		     c, &n, "max_attempts", "RAYHIST_AZ_MAX_ATTEMPTS",
		     RH_S3__DEFAULT_MAX_ATTEMPTS, 1, 100, 0)) < 0)
		return error;
	cfg->max_attempts = (unsigned)n;
	if ((error = resolve_number(c, &n, "timeout", "RAYHIST_AZ_TIMEOUT",
	                            RH_S3__DEFAULT_TIMEOUT_MS, 100, 3600000,
	                            1)) < 0)
		return error;
	cfg->timeout_ms = (unsigned)n;
	if ((error = resolve_number(
		     c, &cfg->block_size, "block_size", "RAYHIST_AZ_BLOCK_SIZE",
		     RH_AZ__DEFAULT_BLOCK_SIZE, 1024, 1u << 30, 0)) < 0 ||
	    (error = resolve_number(c, &cfg->put_threshold, "block_threshold",
	                            "RAYHIST_AZ_BLOCK_THRESHOLD",
	                            RH_AZ__DEFAULT_THRESHOLD, 1024, 1u << 30,
	                            0)) < 0 ||
	    (error = resolve_number(c, &n, "list_max_results",
	                            "RAYHIST_AZ_LIST_MAX_RESULTS",
	                            RH_AZ__DEFAULT_LIST_MAX, 1, 5000, 0)) < 0)
		return error;
	cfg->list_max = (unsigned)n;
	if ((v = lookup(c, "ca_bundle", "RAYHIST_AZ_CA_BUNDLE", NULL, src,
	                sizeof(src))) &&
	    rh_s3__set_str(&cfg->ca_bundle, v) < 0)
		return RH_ENOMEM;
	return 0;
}

int
rh_az__config_load(rh_az__config *cfg, const char *url,
                   const rh_store_options *opts, rh_az__getenv_fn env,
                   void *env_payload)
{
	ctx c = { .cfg = cfg, .env = env, .env_payload = env_payload };
	int error;

	memset(cfg, 0, sizeof(*cfg));
	if ((error = rh_az__parse_url(&cfg->account, &cfg->container,
	                              &cfg->prefix, &cfg->endpoint, url)) < 0)
		goto done;
	{
		rh_buf u = RH_BUF_INIT;

		if ((error = rh_buf_printf(
			     &u, "%s/%s%s%s",
			     cfg->endpoint ? cfg->endpoint : "az:/",
			     cfg->container, *cfg->prefix ? "/" : "",
			     cfg->prefix)) < 0)
			goto done;
		cfg->url = u.ptr;
	}
	if ((error = load_file(&c, opts)) < 0 ||
	    (error = load_connstr(&c)) < 0 ||
	    (error = resolve_account(&c)) < 0 ||
	    (error = resolve_endpoint(&c)) < 0 ||
	    (error = resolve_tuning(&c)) < 0 || (error = resolve_creds(&c)) < 0)
		goto done;
done:
	settings_free(c.file, c.n_file);
	settings_free(c.conn, c.n_conn);
	if (error < 0)
		rh_az__config_dispose(cfg);
	return error;
}

void
rh_az__config_dispose(rh_az__config *cfg)
{
	if (cfg->key)
		memset(cfg->key, 0, cfg->key_len);
	if (cfg->sas)
		memset(cfg->sas, 0, strlen(cfg->sas));
	free(cfg->container), free(cfg->prefix), free(cfg->url);
	free(cfg->account), free(cfg->endpoint), free(cfg->endpoint_src);
	free(cfg->ca_bundle), free(cfg->key), free(cfg->sas),
		free(cfg->cred_src);
	memset(cfg, 0, sizeof(*cfg));
}
