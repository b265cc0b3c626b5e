/* dashboard_query.c - request targets and query values, checked strictly
 * (dashboard.h). Everything a browser sends arrives here first, so nothing
 * that decodes to a path trick (an encoded '/', "..", NUL) gets past. */
#include "dashboard_reply.h"

#include <errno.h>
#include <stdio.h>

#define MAX_SEGS 64
#define MAX_PARAMS 256

/* Decode [s, s+n) into a new string. `what` names the part in messages;
 * `plus` turns '+' into ' ' (query strings). */
static int
decode(char **out, const char *s, size_t n, int plus, const char *what)
{
	char *d, *p;
	size_t i;

	*out = NULL;
	if (!(d = rh__malloc(n + 1)))
		return RH_ENOMEM;
	for (i = 0, p = d; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n) {
				free(d);
				return rh__error(RH_EINVAL,
				                 "%s: truncated "
				                 "percent escape",
				                 what);
			}
			if (rh__hexval((unsigned char)s[i + 1]) < 0 ||
			    rh__hexval((unsigned char)s[i + 2]) < 0) {
				free(d);
				return rh__error(RH_EINVAL,
				                 "%s: bad percent "
				                 "escape \"%%%c%c\"",
				                 what, s[i + 1], s[i + 2]);
			}
			c = (unsigned char)(rh__hexval(
						    (unsigned char)s[i + 1]) *
			                            16 +
			                    rh__hexval(
						    (unsigned char)s[i + 2]));
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == 0) {
			free(d);
			return rh__error(RH_EINVAL, "%s: NUL byte", what);
		}
		if (c < 0x20 || c == 0x7f) {
			free(d);
			return rh__error(RH_EINVAL, "%s: control byte 0x%02x",
			                 what, c);
		}
		*p++ = (char)c;
	}
	*p = '\0';
	*out = d;
	return 0;
}

static int
add_seg(rh_dashboard_url *u, const char *s, size_t n)
{
	char *seg, **segs;
	int error;

	if (u->nsegs >= MAX_SEGS)
		return rh__error(RH_EINVAL, "path: more than %d segments",
		                 MAX_SEGS);
	if ((error = decode(&seg, s, n, 0, "path")) < 0)
		return error;
	if (strchr(seg, '/') || strchr(seg, '\\')) {
		free(seg);
		return rh__error(RH_EINVAL, "path: encoded '/' or '\\' in a "
		                            "segment");
	}
	if (!strcmp(seg, ".") || !strcmp(seg, "..")) {
		error = rh__error(RH_EINVAL,
		                  "path: \"%s\" segments are not "
		                  "allowed",
		                  seg);
		free(seg);
		return error;
	}
	if (!(segs = rh__realloc(u->segs, (u->nsegs + 1) * sizeof(*segs)))) {
		free(seg);
		return RH_ENOMEM;
	}
	u->segs = segs;
	u->segs[u->nsegs++] = seg;
	return 0;
}

static int
parse_path(rh_dashboard_url *u, const char *s, size_t n)
{
	rh_buf path = RH_BUF_INIT;
	size_t i = 0, j;
	int error = 0;

	while (i < n) {
		for (j = i; j < n && s[j] != '/'; j++)
			;
		if (j > i && (error = add_seg(u, s + i, j - i)) < 0)
			goto done;
		i = j + 1;
	}
	u->trailing_slash = n == 0 || s[n - 1] == '/';
	for (i = 0; i < u->nsegs && !error; i++)
		error = rh_buf_printf(&path, "/%s", u->segs[i]);
	if (!error && u->nsegs == 0)
		error = rh_buf_puts(&path, "/");
	if (!error)
		u->path = path.ptr, path.ptr = NULL;
done:
	rh_buf_dispose(&path);
	return error;
}

static int
add_param(rh_dashboard_url *u, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	rh_dashboard_param *ps, p = { NULL, NULL };
	char what[80];
	int error;

	if (n == 0)
		return 0;
	if (u->nparams >= MAX_PARAMS)
		return rh__error(RH_EINVAL, "query: more than %d parameters",
		                 MAX_PARAMS);
	if ((error = decode(&p.key, s, klen, 1, "query parameter name")) < 0)
		return error;
	snprintf(what, sizeof(what), "query parameter %.40s", p.key);
	if (eq)
		error = decode(&p.value, eq + 1, n - klen - 1, 1, what);
	else if (!(p.value = rh__strdup("")))
		error = RH_ENOMEM;
	if (error < 0) {
		free(p.key);
		return error;
	}
	if (!(ps = rh__realloc(u->params, (u->nparams + 1) * sizeof(*ps)))) {
		free(p.key);
		free(p.value);
		return RH_ENOMEM;
	}
	u->params = ps;
	u->params[u->nparams++] = p;
	return 0;
}

static int
parse_query(rh_dashboard_url *u, const char *s, size_t n)
{
	size_t i = 0, j;
	int error;

	while (i < n) {
		for (j = i; j < n && s[j] != '&'; j++)
			;
		if ((error = add_param(u, s + i, j - i)) < 0)
			return error;
		i = j + 1;
	}
	return 0;
}

RH_EXTERN int
rh_dashboard_url_parse(rh_dashboard_url *out, const char *target)
{
	const char *path, *q, *end;
	size_t len, i;
	int error;

	if (!out)
		return rh__error(RH_EINVAL, "rh_dashboard_url_parse: NULL url");
	memset(out, 0, sizeof(*out));
	if (!target)
		return rh__error(RH_EINVAL, "request target: missing");
	len = strnlen(target, RH_DASHBOARD_MAX_TARGET + 1);
	if (len > RH_DASHBOARD_MAX_TARGET)
		return rh__error(RH_EINVAL,
		                 "request target: longer than %d "
		                 "bytes",
		                 RH_DASHBOARD_MAX_TARGET);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];
		if (c <= 0x20 || c == 0x7f)
			return rh__error(RH_EINVAL,
			                 "request target: space or "
			                 "control byte 0x%02x",
			                 c);
	}
	path = target;
	if (!strncasecmp(path, "http://", 7) ||
	    !strncasecmp(path, "https://", 8)) {
		path = strstr(path, "//") + 2;
		path += strcspn(path, "/?#");
		if (*path != '/')
			return rh__error(RH_EINVAL, "request target: no path "
			                            "after the authority");
	}
	if (*path != '/')
		return rh__error(RH_EINVAL,
		                 "request target: must start with '/'");
	end = path + strcspn(path, "#");
	q = memchr(path, '?', (size_t)(end - path));
	if ((error = parse_path(out, path, (size_t)((q ? q : end) - path))) <
	            0 ||
	    (q &&
	     (error = parse_query(out, q + 1, (size_t)(end - q - 1))) < 0)) {
		return error;
	}
	return 0;
}

RH_EXTERN const char *
rh_dashboard_url_param(const rh_dashboard_url *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->nparams; i++)
		if (!strcmp(u->params[i].key, key))
			return u->params[i].value;
	return NULL;
}

RH_EXTERN void
rh_dashboard_url_dispose(rh_dashboard_url *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nsegs; i++)
		free(u->segs[i]);
	for (i = 0; i < u->nparams; i++) {
		free(u->params[i].key);
		free(u->params[i].value);
	}
	free(u->segs);
	free(u->params);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

/* ---- query values --------------------------------------------------------- */

int
rh_dashboard__param_int(int64_t *out, const rh_dashboard_url *u,
                        const char *key, int64_t def, int64_t min, int64_t max)
{
	const char *v = rh_dashboard_url_param(u, key);
	char *end;
	long long n;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	if (!*v || (*v != '-' && (*v < '0' || *v > '9')) ||
	    (n = strtoll(v, &end, 10), errno) || *end)
		return rh__error(RH_EINVAL, "%s: \"%.40s\" is not an integer",
		                 key, v);
	if (n < min || n > max)
		return rh__error(RH_EINVAL,
		                 "%s: %lld is out of range (%lld to "
		                 "%lld)",
		                 key, n, (long long)min, (long long)max);
	*out = n;
	return 0;
}

int
rh_dashboard__parse_bool(int *out, const char *key, const char *v)
{
	if (!strcasecmp(v, "1") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		*out = 1;
	else if (!strcasecmp(v, "0") || !strcasecmp(v, "false") ||
	         !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		*out = 0;
	else
		return rh__error(RH_EINVAL,
		                 "%s: \"%.40s\" is not a boolean "
		                 "(true/false/1/0)",
		                 key, v);
	return 0;
}

int
rh_dashboard__param_bool(int *out, const rh_dashboard_url *u, const char *key,
                         int def)
{
	const char *v = rh_dashboard_url_param(u, key);

	*out = def;
	if (!v)
		return 0;
	return rh_dashboard__parse_bool(out, key, v);
}

int
rh_dashboard__param_enum(int *out, const rh_dashboard_url *u, const char *key,
                         const char *const *names, int def)
{
	const char *v = rh_dashboard_url_param(u, key);
	rh_buf list = RH_BUF_INIT;
	int i;

	*out = def;
	if (!v)
		return 0;
	for (i = 0; names[i]; i++) {
		if (!strcmp(v, names[i])) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; names[i]; i++)
		rh_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
	rh__error(RH_EINVAL, "%s: \"%.40s\" is not one of %s", key, v,
	          list.ptr ? list.ptr : "");
	rh_buf_dispose(&list);
	return RH_EINVAL;
}

int
rh_dashboard__check_id(const char *what, const char *id)
{
	return rh__check_hex_id(what, id);
}
