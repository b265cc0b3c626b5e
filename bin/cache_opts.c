/* cache_opts.c - the cache folder options (cache_opts.h). */
#include "cache_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX (UINT64_C(1) << 30)

/* "SIZE": bytes, or a number with K, M, G or T (powers of 1024). */
static uint64_t
size_arg(const char *opt, const char *arg)
{
	static const char units[] = "KMGT";
	const char *u;
	unsigned long long v;
	char *end;
	int shift;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno)
		goto bad;
	if (!*end)
		return v;
	if (end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		goto bad;
	if (!(u = strchr(units, end[0] & ~0x20)))
		goto bad;
	shift = 10 * (int)(u - units + 1);
	if (v > (UINT64_MAX >> shift))
		goto bad;
	return (uint64_t)v << shift;
bad:
	rh_cli_usage_die("%s: \"%s\" is not a size (bytes, or a number with K, "
	                 "M, G or T)",
	                 opt, arg);
}

int
rh_cache_cli_opt(rh_cache_cli *c, int id, const char *arg)
{
	switch (id) {
	case RH_CACHE_OPT_RO: c->read_only = 1; return 1;
	case RH_CACHE_OPT_DIR:
		if (!*arg)
			rh_cli_usage_die("--cache-dir is empty");
		c->dir = arg;
		return 1;
	case RH_CACHE_OPT_MAX:
		c->max = size_arg("--cache-dir-max", arg);
		c->max_set = 1;
		return 1;
	}
	return 0;
}

void
rh_cache_cli_apply(rh_cache_cli *c, rh_store_options *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n = -1;

	if (!c->dir) {
		/* the XDG base directory rules: $XDG_CACHE_HOME is used only
		 * when absolute */
		if (xdg && *xdg == '/')
			n = snprintf(c->buf, sizeof(c->buf), "%s/rayhist", xdg);
		else if (home && *home == '/')
			n = snprintf(c->buf, sizeof(c->buf),
			             "%s/.cache/rayhist", home);
		if (n > 0 && (size_t)n < sizeof(c->buf))
			c->dir = c->buf;
	}
	if (c->read_only && !c->dir)
		rh_cli_usage_die("--read-only needs --cache-dir (no $HOME to "
		                 "default to)");
	o->cache_dir = c->dir;
	o->cache_max_bytes = c->max_set ? c->max : DEFAULT_MAX;
	o->read_only = c->read_only;
}
