/* cache_opts.h - the options rayhist-serve and rayhist-ls share for a store
 * they may only read: where the objects they derive (indexes) go instead,
 * and how much room those may take. */
#ifndef RH_CACHE_OPTS_H
#define RH_CACHE_OPTS_H

#include <rayhist/rayhist.h>

#include "cli.h"

enum { RH_CACHE_OPT_DIR = 700, RH_CACHE_OPT_MAX, RH_CACHE_OPT_RO };

#define RH_CACHE_CLI_OPTS                                                                                                   \
	{ RH_CACHE_OPT_RO, "read-only", NULL,                                                                               \
	  "never write to the store: keep indexes in the cache folder" },                                                   \
		{ RH_CACHE_OPT_DIR, "cache-dir", "DIR",                                                                     \
		  "where indexes go when the store refuses writes (default $XDG_CACHE_HOME/rayhist or ~/.cache/rayhist)" }, \
	{                                                                                                                   \
		RH_CACHE_OPT_MAX, "cache-dir-max", "SIZE",                                                                  \
			"bound of the cache folder; least recently used first out (default 1G; 0: none)"                    \
	}

typedef struct rh_cache_cli {
	const char *dir;
	uint64_t max;
	int read_only;
	int max_set;
	char buf[4096]; /* the default folder */
} rh_cache_cli;

/* 1 when `id` was a cache option (then applied to c), else 0. */
int rh_cache_cli_opt(rh_cache_cli *c, int id, const char *arg);
/* Fill the cache fields of `o` from c and the defaults; a usage error
 * when --read-only has no folder to use. */
void rh_cache_cli_apply(rh_cache_cli *c, rh_store_options *o);

#endif
