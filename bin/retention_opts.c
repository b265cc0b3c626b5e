/* retention_opts.c - retention policy options (retention_opts.h). */
#include "retention_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* NUMBER[suffix] with suffixes from `units` ("s1000 m60000 ..."): the
 * number times the suffix's factor; a usage error naming opt otherwise. */
static uint64_t
scaled(const char *opt, const char *arg, const char *const *names,
       const uint64_t *factors, size_t n, uint64_t bare)
{
	char *end;
	unsigned long long v;
	size_t i;

	errno = 0;
	if (!arg || *arg < '0' || *arg > '9')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno)
		goto bad;
	if (!*end) {
		if (v > UINT64_MAX / bare)
			goto bad;
		return v * bare;
	}
	for (i = 0; i < n; i++)
		if (!strcmp(end, names[i])) {
			if (v > UINT64_MAX / factors[i])
				goto bad;
			return v * factors[i];
		}
bad:
	rh_cli_usage_die("%s: \"%s\" is not a number with a unit", opt,
	                 arg ? arg : "");
}

int64_t
rh_cli_duration_ms(const char *opt, const char *arg)
{
	static const char *const names[] = { "s", "m", "h", "d", "w" };
	static const uint64_t f[] = { 1000, 60000, 3600000, 86400000,
		                      604800000 };
	uint64_t ms = scaled(opt, arg, names, f, 5, 1000);

	if (ms > (uint64_t)INT64_MAX / 2)
		rh_cli_usage_die("%s %s is too long", opt, arg);
	return (int64_t)ms;
}

int
rh_retention_cli_opt(rh_retention_options *o, int id, const char *arg)
{
	static const char *const names[] = {
		"K", "M", "G", "T", "P", "KiB", "MiB", "GiB", "TiB", "PiB"
	};
	static const uint64_t f[] = { 1ull << 10, 1ull << 20, 1ull << 30,
		                      1ull << 40, 1ull << 50, 1ull << 10,
		                      1ull << 20, 1ull << 30, 1ull << 40,
		                      1ull << 50 };

	switch (id) {
	case RH_RET_OPT_MAX_AGE:
		if (!(o->max_age_ms = rh_cli_duration_ms("--max-age", arg)))
			rh_cli_usage_die("--max-age must be more than 0");
		return 1;
	case RH_RET_OPT_KEEP_CLUSTER:
		if (!(o->keep_per_cluster =
		              (size_t)rh_cli_number("--keep-per-cluster", arg)))
			rh_cli_usage_die(
				"--keep-per-cluster must be 1 or more");
		return 1;
	case RH_RET_OPT_KEEP_NS:
		if (!(o->keep_per_namespace = (size_t)rh_cli_number(
			      "--keep-per-namespace", arg)))
			rh_cli_usage_die(
				"--keep-per-namespace must be 1 or more");
		return 1;
	case RH_RET_OPT_MAX_BYTES:
		if (!(o->max_bytes =
		              scaled("--max-bytes", arg, names, f, 10, 1)))
			rh_cli_usage_die("--max-bytes must be more than 0");
		return 1;
	}
	return 0;
}

int
rh_retention_cli_any(const rh_retention_options *o)
{
	return o->max_age_ms || o->keep_per_cluster || o->keep_per_namespace ||
	       o->max_bytes;
}

void
rh_retention_cli_print(FILE *fp, const char *prefix,
                       const rh_retention_session *s)
{
	char when[32] = "-";

	if (s->last_ms > 0) {
		time_t t = (time_t)(s->last_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	fprintf(fp, "%s %s/%s/%s\t%s\t%llu bytes\tlast active %s\n", prefix,
	        s->ref.ns, s->ref.cluster, s->ref.session, s->reason,
	        (unsigned long long)s->bytes, when);
}
