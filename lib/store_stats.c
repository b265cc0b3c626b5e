/* store_stats.c - process-wide counters of store calls and retries
 * (rh_store_stats_get). Relaxed atomics: a counter is bumped once per
 * store call, next to a system call or an HTTP request. The HTTP engine
 * learns which call it serves from a thread-local note store.c sets
 * around each backend call (its parallel part uploads run in the
 * caller's thread through curl's multi interface). */
#include "store_backend.h"
#include "store_defer.h"

#include <stdatomic.h>

static _Atomic uint64_t requests[RH_STORE_STATS_BACKENDS][RH_STORE_STATS_VERBS]
				[RH_STORE_STATS_OUTCOMES];
static _Atomic uint64_t retries[RH_STORE_STATS_BACKENDS][RH_STORE_STATS_VERBS];
static _Atomic uint64_t barriers;

/* backend * RH_STORE_STATS_VERBS + verb + 1 of the call this thread is in
 * the middle of; 0 when none. */
static _Thread_local int current;

static const char *const names[3][RH_STORE_STATS_VERBS] = {
	{ "file", "s3", "az", NULL, NULL, NULL },
	{ "get", "put", "head", "list", "delete", "writer" },
	{ "ok", "not_found", "error", NULL, NULL, NULL },
};

int
rh_store__stats_backend(const char *scheme)
{
	int b;

	for (b = 0; b < RH_STORE_STATS_BACKENDS; b++)
		if (!strcmp(names[0][b], scheme))
			return b;
	return -1;
}

void
rh_store__stats_begin(int backend, int verb)
{
	current = backend < 0 ? 0 : backend * RH_STORE_STATS_VERBS + verb + 1;
}

int
rh_store__stats_end(int backend, int verb, int error)
{
	int o = error >= 0 ? 0 : error == RH_ENOTFOUND ? 1 : 2;

	current = 0;
	if (backend >= 0)
		atomic_fetch_add_explicit(&requests[backend][verb][o], 1,
		                          memory_order_relaxed);
	return error;
}

void
rh_store__stats_retry(void)
{
	int c = current - 1;

	if (c >= 0)
		atomic_fetch_add_explicit(&retries[c / RH_STORE_STATS_VERBS]
		                                  [c % RH_STORE_STATS_VERBS],
		                          1, memory_order_relaxed);
}

void
rh_store__stats_barrier(void)
{
	atomic_fetch_add_explicit(&barriers, 1, memory_order_relaxed);
}

uint64_t
rh_store__barriers(void)
{
	return atomic_load_explicit(&barriers, memory_order_relaxed);
}

RH_EXTERN int
rh_store_stats_get(rh_store_stats *out)
{
	int b, v, o;

	if (!out)
		return rh__error(RH_EINVAL, "rh_store_stats_get: out is NULL");
	if (out->version != RH_STORE_STATS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_store_stats version %u is not %d",
		                 out->version, RH_STORE_STATS_VERSION);
	for (b = 0; b < RH_STORE_STATS_BACKENDS; b++)
		for (v = 0; v < RH_STORE_STATS_VERBS; v++) {
			for (o = 0; o < RH_STORE_STATS_OUTCOMES; o++)
				out->requests[b][v][o] = atomic_load_explicit(
					&requests[b][v][o],
					memory_order_relaxed);
			out->retries[b][v] = atomic_load_explicit(
				&retries[b][v], memory_order_relaxed);
		}
	return 0;
}

RH_EXTERN const char *
rh_store_stats_name(int dim, int i)
{
	static const int n[3] = { RH_STORE_STATS_BACKENDS, RH_STORE_STATS_VERBS,
		                  RH_STORE_STATS_OUTCOMES };

	if (dim < 0 || dim > 2 || i < 0 || i >= n[dim])
		return NULL;
	return names[dim][i];
}
