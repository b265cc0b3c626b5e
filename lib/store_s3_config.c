/* store_s3_config.c - every setting of an s3:// store, and where it came
 * from.
 *
 * A setting is taken from the first place that has it: rh_store_options,
 * the store config file (opts->config_file, else $RAYHIST_STORE_CONFIG),
 * the environment, the AWS shared config and credentials files (the
 * profile of the config file's `profile`, else $AWS_PROFILE, else
 * "default"), then a default. The environment and the AWS files are read
 * under the names the AWS CLI and SDKs use, so a set-up that works for
 * `aws s3` works here; RAYHIST_S3_* name what AWS has no name for.
 * Credentials are one set from one place, never a key id from here and a
 * secret from there. Every message names the setting, where its value came
 * from, and what would fix it.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_backend.h"
#include "store_s3.h"

/* Settings files are small; a bigger one is a mistake. */
#define CONFIG_MAX (1u << 20)

/* ---------------------------------------------------------------- syntax */

int
rh_s3__parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "1", "true", "yes", "on", NULL };
	static const char *const no[] = { "0", "false", "no", "off", NULL };
	size_t i;

	for (i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	return RH_EINVAL;
}

int
rh_s3__parse_size(uint64_t *out, const char *s)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = { { "", 0 },     { "b", 0 },   { "k", 10 },  { "kb", 10 },
		      { "kib", 10 }, { "m", 20 },  { "mb", 20 }, { "mib", 20 },
		      { "g", 30 },   { "gb", 30 }, { "gib", 30 } };
	uint64_t v = 0;
	size_t i;

	if (!isdigit((unsigned char)*s))
		return RH_EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return RH_EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ')
		s++;
	for (i = 0; i < RH_ARRAY_SIZE(units); i++)
		if (strcasecmp(s, units[i].suffix) == 0) {
			if (v > (UINT64_MAX >> units[i].shift))
				return RH_EINVAL;
			*out = v << units[i].shift;
			return 0;
		}
	return RH_EINVAL;
}

int
rh_s3__parse_duration_ms(unsigned *out, const char *s)
{
	uint64_t v = 0, mul;

	if (!isdigit((unsigned char)*s))
		return RH_EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > 100000000)
			return RH_EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ')
		s++;
	if (!*s || strcasecmp(s, "s") == 0)
		mul = 1000;
	else if (strcasecmp(s, "ms") == 0)
		mul = 1;
	else if (strcasecmp(s, "m") == 0 || strcasecmp(s, "min") == 0)
		mul = 60000;
	else
		return RH_EINVAL;
	if (v * mul > UINT32_MAX)
		return RH_EINVAL;
	*out = (unsigned)(v * mul);
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Where rh_s3__ini_parse is: the current section and, after "key =" with
 * no value, the key that indented settings below it nest under. */
struct ini {
	const char *path;
	rh_s3__ini_cb cb;
	void *payload;
	char *section, *nest;
	unsigned lineno;
};

/* A "[name]" line (trimmed): it starts a section and ends any nesting. */
static int
ini_section(struct ini *in, char *line)
{
	char *close = strchr(line, ']');
	int error = 0;

	if (!close || trim(close + 1)[0])
		return rh__error(RH_EINVAL,
		                 "%s:%u: a section header is \"[name]\"",
		                 in->path, in->lineno);
	*close = '\0';
	free(in->section);
	if (!(in->section = rh__strdup(trim(line + 1))))
		error = RH_ENOMEM;
	free(in->nest);
	in->nest = NULL;
	return error;
}

/* A "key = value" line (trimmed); `indented` when it began with a blank. */
static int
ini_setting(struct ini *in, char *line, int indented)
{
	char *eq, *key, *value;
	int error;

	if (!(eq = strchr(line, '=')))
		return rh__error(
			RH_EINVAL,
			"%s:%u: expected \"key = value\", found \"%.60s\"",
			in->path, in->lineno, line);
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!*key)
		return rh__error(RH_EINVAL, "%s:%u: a setting without a name",
		                 in->path, in->lineno);
	if (indented && in->nest) {
		/* "s3 =" then "  addressing_style = path" */
		char *full = rh__malloc(strlen(in->nest) + strlen(key) + 2);

		if (!full)
			return RH_ENOMEM;
		sprintf(full, "%s.%s", in->nest, key);
		error = in->cb(in->section, full, value, in->lineno,
		               in->payload);
		free(full);
		return error;
	}
	free(in->nest);
	in->nest = NULL;
	if (!*value && !(in->nest = rh__strdup(key)))
		return RH_ENOMEM;
	return in->cb(in->section, key, value, in->lineno, in->payload);
}

int
rh_s3__ini_parse(const char *text, size_t len, const char *path,
                 rh_s3__ini_cb cb, void *payload)
{
	struct ini in = { path, cb, payload, NULL, NULL, 0 };
	char *copy, *line, *next;
	int error = 0;

	if (memchr(text, '\0', len))
		return rh__error(RH_EINVAL,
		                 "%s: has a NUL byte: not a text file", path);
	if (!(copy = rh__strndup(text, len)))
		return RH_ENOMEM;
	for (line = copy; line && error == 0; line = next) {
		int indented;

		in.lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		indented = line[0] == ' ' || line[0] == '\t';
		line = trim(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		error = *line == '[' ? ini_section(&in, line) :
		                       ini_setting(&in, line, indented);
	}
	free(in.section);
	free(in.nest);
	free(copy);
	return error;
}

/* ---------------------------------------------------------------- files */

/* One setting read from a file. */
typedef struct kv {
	char *key;
	char *value;
	char *src; /* "path:line" */
} kv;

typedef struct kv_list {
	kv *v;
	size_t n;
	const char *want; /* section to keep; NULL: settings outside sections */
	const char *want2; /* another name of it ("profile x" / "x") */
	const char *path;
	int strict; /* the store config: unknown keys and sections fail */
	int found_section;
} kv_list;

static const char *const store_keys[] = { "endpoint",
	                                  "endpoint_url",
	                                  "region",
	                                  "path_style",
	                                  "ca_bundle",
	                                  "max_attempts",
	                                  "timeout",
	                                  "multipart_threshold",
	                                  "part_size",
	                                  "parallel",
	                                  "list_max_keys",
	                                  "access_key_id",
	                                  "aws_access_key_id",
	                                  "secret_access_key",
	                                  "aws_secret_access_key",
	                                  "session_token",
	                                  "aws_session_token",
	                                  "profile",
	                                  "role_arn",
	                                  "web_identity_token_file",
	                                  "role_session_name",
	                                  "sts_endpoint",
	                                  NULL };

static void
kv_dispose(kv_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
		free(l->v[i].src);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const kv *
kv_get(const kv_list *l, const char *key)
{
	size_t i;

	for (i = l->n; i > 0; i--) /* the last one wins */
		if (strcmp(l->v[i - 1].key, key) == 0)
			return &l->v[i - 1];
	return NULL;
}

static int
known_key(const char *key)
{
	size_t i;

	for (i = 0; store_keys[i]; i++)
		if (strcmp(key, store_keys[i]) == 0)
			return 1;
	return 0;
}

static int
kv_add(const char *section, const char *key, const char *value, unsigned line,
       void *payload)
{
	kv_list *l = payload;
	kv *v;
	char src[1200];

	if (l->strict && section)
		return rh__error(
			RH_EINVAL,
			"%s:%u: the store config has no sections: write \"key = value\" lines only",
			l->path, line);
	if (l->strict && !known_key(key))
		return rh__error(
			RH_EINVAL,
			"%s:%u: unknown setting \"%s\" (known: endpoint, region, path_style, ca_bundle, access_key_id, secret_access_key, session_token, profile, role_arn, web_identity_token_file, role_session_name, sts_endpoint, max_attempts, timeout, multipart_threshold, part_size, parallel, list_max_keys)",
			l->path, line, key);
	if (!l->strict) {
		if (!section || (strcmp(section, l->want) != 0 &&
		                 (!l->want2 || strcmp(section, l->want2) != 0)))
			return 0;
		l->found_section = 1;
	}
	if (!(v = rh__realloc(l->v, (l->n + 1) * sizeof(*v))))
		return RH_ENOMEM;
	l->v = v;
	v = &l->v[l->n];
	snprintf(src, sizeof(src), "%s:%u", l->path, line);
	v->key = rh__strdup(key);
	v->value = rh__strdup(value);
	v->src = rh__strdup(src);
	if (!v->key || !v->value || !v->src) {
		free(v->key), free(v->value), free(v->src);
		return RH_ENOMEM;
	}
	l->n++;
	return 0;
}

/* Read file `path` whole. *missing_out (when not NULL) is set instead of
 * failing when it does not exist. */
static int
read_text(rh_buf *out, const char *path, int *missing_out, const char *what)
{
	struct stat sb;
	ssize_t n;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (missing_out && errno == ENOENT) {
			*missing_out = 1;
			return 0;
		}
		return rh__error(RH_EINVAL, "%s %s: cannot open: %s", what,
		                 path, strerror(errno));
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > CONFIG_MAX) {
		error = rh__error(
			RH_EINVAL,
			"%s %s: not a regular file of at most %u bytes", what,
			path, CONFIG_MAX);
		goto done;
	}
	for (;;) {
		if ((error = rh_buf_grow(out, out->size + 4096)) < 0)
			goto done;
		n = read(fd, out->ptr + out->size, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EINVAL, "%s %s: read: %s", what,
			                  path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		if (out->size > CONFIG_MAX) {
			error = rh__error(RH_EINVAL,
			                  "%s %s: larger than %u bytes", what,
			                  path, CONFIG_MAX);
			goto done;
		}
	}
	if ((error = rh_buf_puts(out, "")) < 0)
		goto done;
done:
	close(fd);
	return error;
}

static int
load_file(kv_list *l, const char *path, int *missing, const char *what)
{
	rh_buf text = RH_BUF_INIT;
	int error;

	l->path = path;
	if ((error = read_text(&text, path, missing, what)) == 0 &&
	    !(missing && *missing))
		error = rh_s3__ini_parse(text.ptr, text.size, path, kv_add, l);
	rh_buf_dispose(&text);
	return error;
}

/* ---------------------------------------------------------------- resolve */

typedef struct ctx {
	rh_s3__config *cfg;
	const rh_store_options *opts;
	rh_s3__getenv_fn env;
	void *env_payload;
	kv_list store;     /* the store config file */
	kv_list profile;   /* [profile X] of the AWS config file */
	kv_list profcreds; /* [X] of the AWS credentials file */
	char *config_path; /* the store config file, or NULL */
	char *aws_config;  /* paths of the AWS shared files */
	char *aws_creds;
	const char *profile_name;
	const char *profile_src;
	int aws_config_missing, aws_creds_missing;
} ctx;

const char *
rh_s3__env(rh_s3__getenv_fn env, void *payload, const char *name)
{
	const char *v = env ? env(name, payload) : getenv(name);

	return v && *v ? v : NULL;
}

int
rh_s3__set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = NULL;
	if (v && !(*dst = rh__strdup(v)))
		return RH_ENOMEM;
	return 0;
}

static const char *
env_get(const ctx *c, const char *name)
{
	return rh_s3__env(c->env, c->env_payload, name);
}

/* A resolved value and where it came from. */
typedef struct found {
	const char *value;
	char src[1200];
} found;

/* Look `what` up: the store config under `key`, then the environment
 * variables `envs` (NULL-terminated, may be NULL), then the AWS profile
 * under `aws_key` (NULL: not there). */
static int
lookup(found *f, const ctx *c, const char *key, const char *alias,
       const char *const *envs, const char *aws_key, const char *aws_key2)
{
	const kv *v;

	f->value = NULL;
	f->src[0] = '\0';
	if ((v = kv_get(&c->store, key)) ||
	    (alias && (v = kv_get(&c->store, alias)))) {
		f->value = v->value;
		snprintf(f->src, sizeof(f->src), "%s in %s", v->key, v->src);
		return 1;
	}
	for (; envs && *envs; envs++)
		if ((f->value = env_get(c, *envs))) {
			snprintf(f->src, sizeof(f->src), "%s", *envs);
			return 1;
		}
	if ((aws_key && (v = kv_get(&c->profile, aws_key))) ||
	    (aws_key2 && (v = kv_get(&c->profile, aws_key2)))) {
		f->value = v->value;
		snprintf(f->src, sizeof(f->src), "%s of profile \"%s\" in %s",
		         v->key, c->profile_name, v->src);
		return 1;
	}
	return 0;
}

static int
bad_value(const char *name, const found *f, const char *want)
{
	return rh__error(RH_EINVAL, "%s \"%s\" (from %s) is not %s", name,
	                 f->value, f->src, want);
}

static int
resolve_number(const ctx *c, unsigned *out, unsigned from_opts, const char *key,
               const char *const *envs, const char *aws_key, unsigned def,
               unsigned min, unsigned max, int duration)
{
	found f;
	uint64_t v;
	unsigned d;
	char want[96];

	*out = def;
	if (from_opts) {
		if (from_opts < min || from_opts > max)
			return rh__error(
				RH_EINVAL,
				"rh_store_options: the %s %u is not between %u and %u",
				key, from_opts, min, max);
		*out = from_opts;
		return 0;
	}
	if (!lookup(&f, c, key, NULL, envs, aws_key, NULL))
		return 0;
	if (duration) {
		snprintf(want, sizeof(want),
		         "a duration from %ums to %us (\"30s\", \"500ms\")",
		         min, max / 1000);
		if (rh_s3__parse_duration_ms(&d, f.value) < 0 || d < min ||
		    d > max)
			return bad_value(key, &f, want);
		*out = d;
		return 0;
	}
	snprintf(want, sizeof(want), "a number from %u to %u", min, max);
	if (rh_s3__parse_size(&v, f.value) < 0 || v < min || v > max)
		return bad_value(key, &f, want);
	*out = (unsigned)v;
	return 0;
}

static int
resolve_size(const ctx *c, uint64_t *out, uint64_t from_opts, const char *key,
             const char *env, uint64_t def, uint64_t min, uint64_t max)
{
	const char *envs[] = { env, NULL };
	char want[96];
	found f;

	*out = def;
	if (from_opts) {
		if (from_opts < min || from_opts > max)
			return rh__error(
				RH_EINVAL,
				"rh_store_options: the %s %llu is not between %llu and %llu bytes",
				key, (unsigned long long)from_opts,
				(unsigned long long)min,
				(unsigned long long)max);
		*out = from_opts;
		return 0;
	}
	if (!lookup(&f, c, key, NULL, envs, NULL, NULL))
		return 0;
	snprintf(want, sizeof(want),
	         "a size from %llu bytes to %llu MiB (\"8MiB\")",
	         (unsigned long long)min, (unsigned long long)(max >> 20));
	if (rh_s3__parse_size(out, f.value) < 0 || *out < min || *out > max)
		return bad_value(key, &f, want);
	return 0;
}

/* The store config file: opts->config_file, else $RAYHIST_STORE_CONFIG. */
static int
load_store_config(ctx *c)
{
	const char *path = c->opts->config_file;

	if (!path)
		path = env_get(c, "RAYHIST_STORE_CONFIG");
	if (!path)
		return 0;
	if (!(c->config_path = rh__strdup(path)))
		return RH_ENOMEM;
	c->store.strict = 1;
	return load_file(&c->store, c->config_path, NULL, "store config");
}

/* The AWS shared files, for the profile of the store config, else
 * $AWS_PROFILE, else "default". A file that does not exist is no error. */
static int
load_aws_files(ctx *c)
{
	const char *home = env_get(c, "HOME"), *p;
	const kv *v;
	char *want2 = NULL;
	int error;

	if ((v = kv_get(&c->store, "profile"))) {
		c->profile_name = v->value;
		c->profile_src = v->src;
	} else if ((p = env_get(c, "AWS_PROFILE"))) {
		c->profile_name = p;
		c->profile_src = "AWS_PROFILE";
	} else {
		c->profile_name = "default";
	}
	if ((p = env_get(c, "AWS_CONFIG_FILE")))
		c->aws_config = rh__strdup(p);
	else if (home && (c->aws_config = rh__malloc(strlen(home) + 16)))
		sprintf(c->aws_config, "%s/.aws/config", home);
	if ((p = env_get(c, "AWS_SHARED_CREDENTIALS_FILE")))
		c->aws_creds = rh__strdup(p);
	else if (home && (c->aws_creds = rh__malloc(strlen(home) + 24)))
		sprintf(c->aws_creds, "%s/.aws/credentials", home);
	if ((home || env_get(c, "AWS_CONFIG_FILE")) && !c->aws_config)
		return RH_ENOMEM;
	if ((home || env_get(c, "AWS_SHARED_CREDENTIALS_FILE")) &&
	    !c->aws_creds)
		return RH_ENOMEM;
	/* The config file names profiles "[profile x]", but the default one
	 * "[default]"; the credentials file names them "[x]". */
	if (!(want2 = rh__malloc(strlen(c->profile_name) + 9)))
		return RH_ENOMEM;
	sprintf(want2, "profile %s", c->profile_name);
	c->profile.want =
		strcmp(c->profile_name, "default") == 0 ? "default" : want2;
	c->profile.want2 = want2;
	c->profcreds.want = c->profile_name;
	error = 0;
	if (c->aws_config)
		error = load_file(&c->profile, c->aws_config,
		                  &c->aws_config_missing, "AWS config file");
	if (error == 0 && c->aws_creds)
		error = load_file(&c->profcreds, c->aws_creds,
		                  &c->aws_creds_missing,
		                  "AWS credentials file");
	/* kv_list keeps pointers to want/want2 only while loading. */
	c->profile.want = c->profile.want2 = c->profcreds.want = NULL;
	free(want2);
	return error;
}

static int
resolve_region(ctx *c)
{
	static const char *const envs[] = { "AWS_REGION", "AWS_DEFAULT_REGION",
		                            NULL };
	rh_s3__config *cfg = c->cfg;
	const char *r;
	found f;

	if (c->opts->s3_region) {
		r = c->opts->s3_region;
		strcpy(f.src, "rh_store_options");
	} else if (lookup(&f, c, "region", NULL, envs, "region", NULL)) {
		r = f.value;
	} else {
		r = "us-east-1";
		strcpy(f.src, "the default");
	}
	for (const char *p = r; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return rh__error(
				RH_EINVAL,
				"region \"%s\" (from %s) is no region name (like \"eu-west-1\")",
				r, f.src);
	if (!*r || strlen(r) > 60)
		return rh__error(RH_EINVAL,
		                 "region \"%s\" (from %s) is no region name", r,
		                 f.src);
	if (rh_s3__set_str(&cfg->region, r) < 0 ||
	    rh_s3__set_str(&cfg->region_src, f.src) < 0)
		return RH_ENOMEM;
	return 0;
}

static int
resolve_endpoint(ctx *c)
{
	static const char *const envs[] = { "AWS_ENDPOINT_URL_S3",
		                            "AWS_ENDPOINT_URL", NULL };
	rh_s3__config *cfg = c->cfg;
	char def[128];
	const char *e;
	found f;
	int error;

	if (c->opts->s3_endpoint) {
		e = c->opts->s3_endpoint;
		strcpy(f.src, "rh_store_options");
	} else if (lookup(&f, c, "endpoint", "endpoint_url", envs,
	                  "s3.endpoint_url", "endpoint_url")) {
		e = f.value;
	} else {
		snprintf(def, sizeof(def), "https://s3.%s.amazonaws.com%s",
		         cfg->region,
		         strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
		e = def;
		snprintf(f.src, sizeof(f.src),
		         "AWS's endpoint for region %s (from %s)", cfg->region,
		         cfg->region_src);
	}
	if ((error = rh_s3__parse_endpoint(&cfg->scheme, &cfg->host, &cfg->port,
	                                   e, f.src)) < 0)
		return error;
	if (rh_s3__set_str(&cfg->endpoint_src, f.src) < 0 ||
	    !(cfg->endpoint =
	              rh__malloc(strlen(cfg->scheme) + strlen(cfg->host) + 16)))
		return RH_ENOMEM;
	sprintf(cfg->endpoint, "%s://%s", cfg->scheme, cfg->host);
	if (cfg->port)
		sprintf(cfg->endpoint + strlen(cfg->endpoint), ":%u",
		        cfg->port);
	return 0;
}

static int
resolve_path_style(ctx *c)
{
	static const char *const envs[] = { "RAYHIST_S3_PATH_STYLE", NULL };
	rh_s3__config *cfg = c->cfg;
	int https = strcmp(cfg->scheme, "https") == 0,
	    mode = c->opts->s3_addressing;
	found f;

	if (mode < RH_STORE_S3_AUTO || mode > RH_STORE_S3_VIRTUAL)
		return rh__error(
			RH_EINVAL,
			"rh_store_options: s3_addressing %d is none of RH_STORE_S3_AUTO, _PATH, _VIRTUAL",
			mode);
	if (mode == RH_STORE_S3_AUTO && lookup(&f, c, "path_style", NULL, envs,
	                                       "s3.addressing_style", NULL)) {
		int b;

		if (strcasecmp(f.value, "auto") == 0)
			mode = RH_STORE_S3_AUTO;
		else if (strcasecmp(f.value, "path") == 0)
			mode = RH_STORE_S3_PATH;
		else if (strcasecmp(f.value, "virtual") == 0)
			mode = RH_STORE_S3_VIRTUAL;
		else if (rh_s3__parse_bool(&b, f.value) == 0)
			mode = b ? RH_STORE_S3_PATH : RH_STORE_S3_VIRTUAL;
		else
			return bad_value("path_style", &f,
			                 "true, false or auto");
	}
	if (mode == RH_STORE_S3_AUTO)
		cfg->path_style = rh_s3__host_is_local(cfg->host) ||
		                  !rh_s3__bucket_dns_ok(cfg->bucket, https);
	else
		cfg->path_style = mode == RH_STORE_S3_PATH;
	if (!cfg->path_style && !rh_s3__bucket_dns_ok(cfg->bucket, https))
		return rh__error(
			RH_EINVAL,
			"bucket \"%s\" cannot be addressed virtual-hosted style (%s.%s): it is no DNS name%s; use path-style (path_style = true)",
			cfg->bucket, cfg->bucket, cfg->host,
			https ? " usable with TLS" : "");
	return 0;
}

static int
resolve_tuning(ctx *c)
{
	static const char *const ca_envs[] = { "RAYHIST_S3_CA_BUNDLE",
		                               "AWS_CA_BUNDLE", NULL };
	static const char *const att_envs[] = { "RAYHIST_S3_MAX_ATTEMPTS",
		                                "AWS_MAX_ATTEMPTS", NULL };
	static const char *const to_envs[] = { "RAYHIST_S3_TIMEOUT", NULL };
	static const char *const par_envs[] = { "RAYHIST_S3_PARALLEL", NULL };
	static const char *const lmk_envs[] = { "RAYHIST_S3_LIST_MAX_KEYS",
		                                NULL };
	rh_s3__config *cfg = c->cfg;
	const rh_store_options *o = c->opts;
	found f;
	int error;

	if (o->s3_ca_bundle)
		error = rh_s3__set_str(&cfg->ca_bundle, o->s3_ca_bundle);
	else
		error = rh_s3__set_str(&cfg->ca_bundle,
		                       lookup(&f, c, "ca_bundle", NULL, ca_envs,
		                              "ca_bundle", NULL) ?
		                               f.value :
		                               NULL);
	if (error < 0)
		return error;
	if (cfg->ca_bundle && access(cfg->ca_bundle, R_OK) < 0)
		return rh__error(RH_EINVAL, "ca_bundle %s (from %s): %s",
		                 cfg->ca_bundle,
		                 o->s3_ca_bundle ? "rh_store_options" : f.src,
		                 strerror(errno));
	if ((error = resolve_number(c, &cfg->max_attempts, o->s3_max_attempts,
	                            "max_attempts", att_envs, "max_attempts",
	                            RH_S3__DEFAULT_MAX_ATTEMPTS, 1, 100, 0)) <
	            0 ||
	    (error = resolve_number(
		     c, &cfg->timeout_ms, o->s3_timeout_ms, "timeout", to_envs,
		     NULL, RH_S3__DEFAULT_TIMEOUT_MS, 100, 3600000, 1)) < 0 ||
	    (error = resolve_number(c, &cfg->parallel, o->s3_parallel,
	                            "parallel", par_envs, NULL,
	                            RH_S3__DEFAULT_PARALLEL, 1, 64, 0)) < 0 ||
	    (error = resolve_number(c, &cfg->list_max_keys, 0, "list_max_keys",
	                            lmk_envs, NULL, 1000, 1, 1000, 0)) < 0 ||
	    (error = resolve_size(c, &cfg->part_size, o->s3_part_size,
	                          "part_size", "RAYHIST_S3_PART_SIZE",
	                          RH_S3__DEFAULT_PART_SIZE, 1024,
	                          (uint64_t)5 << 30)) < 0 ||
	    (error = resolve_size(
		     c, &cfg->multipart_threshold, o->s3_multipart_threshold,
		     "multipart_threshold", "RAYHIST_S3_MULTIPART_THRESHOLD",
		     RH_S3__DEFAULT_THRESHOLD, 1024, (uint64_t)5 << 30)) < 0)
		return error;
	return 0;
}

/* ---------------------------------------------------------------- creds */

static int
set_static(rh_s3__config *cfg, const char *akid, const char *secret,
           const char *token, const char *src)
{
	cfg->cred_kind = RH_S3__CRED_STATIC;
	if (rh_s3__set_str(&cfg->access_key_id, akid) < 0 ||
	    rh_s3__set_str(&cfg->secret_access_key, secret) < 0 ||
	    rh_s3__set_str(&cfg->session_token,
	                   token && *token ? token : NULL) < 0 ||
	    rh_s3__set_str(&cfg->cred_src, src) < 0)
		return RH_ENOMEM;
	if (strchr(akid, ':') || strpbrk(akid, " \t") ||
	    strpbrk(secret, "\r\n") || (token && strpbrk(token, "\r\n")))
		return rh__error(
			RH_EINVAL,
			"the credentials from %s hold spaces, ':' or line breaks: check them",
			src);
	return 0;
}

/* Exactly one of a pair given is a mistake worth its own message. */
static int
half_pair(const char *have, const char *missing, const char *where)
{
	return rh__error(RH_EINVAL, "%s is set but %s is not (%s): give both",
	                 have, missing, where);
}

static int
set_web_identity(ctx *c, const char *role, const char *token_file,
                 const char *session, const char *src)
{
	static const char *const sts_envs[] = { "AWS_ENDPOINT_URL_STS",
		                                "AWS_ENDPOINT_URL", NULL };
	rh_s3__config *cfg = c->cfg;
	char def[128], *scheme = NULL, *host = NULL;
	unsigned port;
	const char *e;
	found f;
	int error;

	cfg->cred_kind = RH_S3__CRED_WEB_IDENTITY;
	if (lookup(&f, c, "sts_endpoint", NULL, sts_envs, NULL, NULL)) {
		e = f.value;
	} else {
		snprintf(def, sizeof(def), "https://sts.%s.amazonaws.com%s",
		         cfg->region,
		         strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
		e = def;
		strcpy(f.src, "the default for the region");
	}
	/* Checked now, so that a typo fails at open, not at the first
	 * renewal an hour later. */
	if ((error = rh_s3__parse_endpoint(&scheme, &host, &port, e, f.src)) <
	    0)
		return error;
	free(scheme);
	free(host);
	if (rh_s3__set_str(&cfg->role_arn, role) < 0 ||
	    rh_s3__set_str(&cfg->web_identity_token_file, token_file) < 0 ||
	    rh_s3__set_str(&cfg->role_session_name,
	                   session ? session : "rayhist") < 0 ||
	    rh_s3__set_str(&cfg->sts_endpoint, e) < 0 ||
	    rh_s3__set_str(&cfg->cred_src, src) < 0)
		return RH_ENOMEM;
	while (cfg->sts_endpoint[0] &&
	       cfg->sts_endpoint[strlen(cfg->sts_endpoint) - 1] == '/')
		cfg->sts_endpoint[strlen(cfg->sts_endpoint) - 1] = '\0';
	return 0;
}

static const char *
store_val(const ctx *c, const char *key, const char *alias)
{
	const kv *v = kv_get(&c->store, key);

	if (!v && alias)
		v = kv_get(&c->store, alias);
	return v ? v->value : NULL;
}

static const char *
prof_val(const kv_list *l, const char *key)
{
	const kv *v = kv_get(l, key);

	return v ? v->value : NULL;
}

/* Credentials from the AWS shared files' profile. */
static int
profile_creds(ctx *c)
{
	const kv_list *lists[2] = { &c->profcreds, &c->profile };
	const char *files[2] = { c->aws_creds, c->aws_config };
	char src[1400];
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *akid = prof_val(lists[i], "aws_access_key_id");
		const char *secret =
			prof_val(lists[i], "aws_secret_access_key");
		const char *role = prof_val(lists[i], "role_arn");
		const char *tokf =
			prof_val(lists[i], "web_identity_token_file");

		snprintf(src, sizeof(src), "profile \"%s\" in %s",
		         c->profile_name, files[i] ? files[i] : "?");
		if (akid && secret)
			return set_static(
				c->cfg, akid, secret,
				prof_val(lists[i], "aws_session_token"), src);
		if (akid || secret)
			return half_pair(akid ? "aws_access_key_id" :
			                        "aws_secret_access_key",
			                 akid ? "aws_secret_access_key" :
			                        "aws_access_key_id",
			                 src);
		if (role && tokf)
			return set_web_identity(
				c, role, tokf,
				prof_val(lists[i], "role_session_name"), src);
		if (role || prof_val(lists[i], "credential_process") ||
		    prof_val(lists[i], "sso_start_url") ||
		    prof_val(lists[i], "sso_session"))
			return rh__error(
				RH_EINVAL,
				"%s: only keys (aws_access_key_id, aws_secret_access_key) and web identity (role_arn with web_identity_token_file) are supported, not source_profile, credential_process or SSO: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead",
				src);
	}
	return RH_ENOTFOUND;
}

/* Credentials from rh_store_options; RH_ENOTFOUND when it has none. */
static int
creds_from_options(ctx *c)
{
	const rh_store_options *o = c->opts;

	if (!o->s3_access_key_id && !o->s3_secret_access_key)
		return RH_ENOTFOUND;
	if (!o->s3_access_key_id || !o->s3_secret_access_key)
		return half_pair(o->s3_access_key_id ? "s3_access_key_id" :
		                                       "s3_secret_access_key",
		                 o->s3_access_key_id ? "s3_secret_access_key" :
		                                       "s3_access_key_id",
		                 "rh_store_options");
	return set_static(c->cfg, o->s3_access_key_id, o->s3_secret_access_key,
	                  o->s3_session_token, "rh_store_options");
}

/* Keys, then web identity, from the store config; RH_ENOTFOUND when it
 * has neither. */
static int
creds_from_store_config(ctx *c)
{
	const char *a, *s, *r, *t;
	char src[1200];

	a = store_val(c, "access_key_id", "aws_access_key_id");
	s = store_val(c, "secret_access_key", "aws_secret_access_key");
	snprintf(src, sizeof(src), "store config %s",
	         c->config_path ? c->config_path : "");
	if (a || s) {
		if (!a || !s)
			return half_pair(
				a ? "access_key_id" : "secret_access_key",
				a ? "secret_access_key" : "access_key_id", src);
		return set_static(
			c->cfg, a, s,
			store_val(c, "session_token", "aws_session_token"),
			src);
	}
	r = store_val(c, "role_arn", NULL);
	t = store_val(c, "web_identity_token_file", NULL);
	if (r || t) {
		if (!r || !t)
			return half_pair(
				r ? "role_arn" : "web_identity_token_file",
				r ? "web_identity_token_file" : "role_arn",
				src);
		return set_web_identity(
			c, r, t, store_val(c, "role_session_name", NULL), src);
	}
	return RH_ENOTFOUND;
}

/* Keys, then web identity, from the environment; RH_ENOTFOUND when it
 * has neither. */
static int
creds_from_env(ctx *c)
{
	const char *a, *s, *r, *t;

	a = env_get(c, "AWS_ACCESS_KEY_ID");
	s = env_get(c, "AWS_SECRET_ACCESS_KEY");
	if (a || s) {
		if (!a || !s)
			return half_pair(a ? "AWS_ACCESS_KEY_ID" :
			                     "AWS_SECRET_ACCESS_KEY",
			                 a ? "AWS_SECRET_ACCESS_KEY" :
			                     "AWS_ACCESS_KEY_ID",
			                 "in the environment");
		return set_static(
			c->cfg, a, s, env_get(c, "AWS_SESSION_TOKEN"),
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	}
	r = env_get(c, "AWS_ROLE_ARN");
	t = env_get(c, "AWS_WEB_IDENTITY_TOKEN_FILE");
	if (r || t) {
		if (!r || !t)
			return half_pair(r ? "AWS_ROLE_ARN" :
			                     "AWS_WEB_IDENTITY_TOKEN_FILE",
			                 r ? "AWS_WEB_IDENTITY_TOKEN_FILE" :
			                     "AWS_ROLE_ARN",
			                 "in the environment");
		return set_web_identity(
			c, r, t, env_get(c, "AWS_ROLE_SESSION_NAME"),
			"web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)");
	}
	return RH_ENOTFOUND;
}

/* The first source that has credentials wins: options, store config,
 * environment, AWS profile. */
static int
resolve_creds(ctx *c)
{
	int error;

	if ((error = creds_from_options(c)) != RH_ENOTFOUND ||
	    (error = creds_from_store_config(c)) != RH_ENOTFOUND ||
	    (error = creds_from_env(c)) != RH_ENOTFOUND ||
	    (error = profile_creds(c)) != RH_ENOTFOUND)
		return error;
	if (c->profile_src)
		return rh__error(
			RH_EINVAL,
			"no credentials: profile \"%s\" (from %s) has none in %s%s or %s%s",
			c->profile_name, c->profile_src,
			c->aws_creds ? c->aws_creds : "~/.aws/credentials",
			c->aws_creds_missing ? " (missing)" : "",
			c->aws_config ? c->aws_config : "~/.aws/config",
			c->aws_config_missing ? " (missing)" : "");
	return rh__error(
		RH_EINVAL,
		"no credentials for %s: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in ~/.aws/credentials, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, or access_key_id and secret_access_key in the store config (--store-config, RAYHIST_STORE_CONFIG)",
		c->cfg->url);
}

/* ---------------------------------------------------------------- load */

int
rh_s3__config_load(rh_s3__config *cfg, const char *url,
                   const rh_store_options *opts, rh_s3__getenv_fn env,
                   void *env_payload)
{
	ctx c;
	int error;

	memset(cfg, 0, sizeof(*cfg));
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.opts = opts;
	c.env = env;
	c.env_payload = env_payload;
	if ((error = rh_s3__parse_url(&cfg->bucket, &cfg->prefix, url)) < 0)
		goto done;
	if (!(cfg->url = rh__malloc(strlen(cfg->bucket) + strlen(cfg->prefix) +
	                            8))) {
		error = RH_ENOMEM;
		goto done;
	}
	sprintf(cfg->url, "s3://%s%s%s", cfg->bucket, *cfg->prefix ? "/" : "",
	        cfg->prefix);
	if ((error = load_store_config(&c)) < 0 ||
	    (error = load_aws_files(&c)) < 0 ||
	    (error = resolve_region(&c)) < 0 ||
	    (error = resolve_endpoint(&c)) < 0 ||
	    (error = resolve_path_style(&c)) < 0 ||
	    (error = resolve_tuning(&c)) < 0 || (error = resolve_creds(&c)) < 0)
		goto done;
done:
	kv_dispose(&c.store);
	kv_dispose(&c.profile);
	kv_dispose(&c.profcreds);
	free(c.config_path);
	free(c.aws_config);
	free(c.aws_creds);
	if (error < 0)
		rh_s3__config_dispose(cfg);
	return error;
}

void
rh_s3__config_dispose(rh_s3__config *cfg)
{
	char **strs[] = { &cfg->bucket,
		          &cfg->prefix,
		          &cfg->url,
		          &cfg->endpoint,
		          &cfg->endpoint_src,
		          &cfg->scheme,
		          &cfg->host,
		          &cfg->region,
		          &cfg->region_src,
		          &cfg->ca_bundle,
		          &cfg->cred_src,
		          &cfg->access_key_id,
		          &cfg->secret_access_key,
		          &cfg->session_token,
		          &cfg->role_arn,
		          &cfg->web_identity_token_file,
		          &cfg->role_session_name,
		          &cfg->sts_endpoint };
	size_t i;

	for (i = 0; i < RH_ARRAY_SIZE(strs); i++) {
		if (*strs[i] == cfg->secret_access_key && *strs[i])
			memset(*strs[i], 0, strlen(*strs[i]));
		free(*strs[i]);
		*strs[i] = NULL;
	}
}
