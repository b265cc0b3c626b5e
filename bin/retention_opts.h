/* retention_opts.h - the retention policy options shared by rayhist-prune
 * and rayhist-serve: one table, one parser, one report line per session. */
#ifndef RH_RETENTION_OPTS_H
#define RH_RETENTION_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include <rayhist/rayhist.h>

#include "cli.h"

enum {
	RH_RET_OPT_MAX_AGE = 600,
	RH_RET_OPT_KEEP_CLUSTER,
	RH_RET_OPT_KEEP_NS,
	RH_RET_OPT_MAX_BYTES
};

#define RH_RETENTION_CLI_OPTS                                                                           \
	{ RH_RET_OPT_MAX_AGE, "max-age", "DURATION",                                                    \
	  "delete sessions idle longer than this (30d, 12h, 90m, seconds)" },                           \
		{ RH_RET_OPT_KEEP_CLUSTER, "keep-per-cluster", "N",                                     \
		  "keep only each cluster's newest N sessions" },                                       \
		{ RH_RET_OPT_KEEP_NS, "keep-per-namespace", "N",                                        \
		  "keep only each namespace's newest N sessions" },                                     \
	{                                                                                               \
		RH_RET_OPT_MAX_BYTES, "max-bytes", "SIZE",                                              \
			"delete the oldest sessions until the rest take at most SIZE (500G, 2T, bytes)" \
	}

/* 1 when `id` was a retention option (then applied to o), else 0. */
int rh_retention_cli_opt(rh_retention_options *o, int id, const char *arg);
/* Any policy set? */
int rh_retention_cli_any(const rh_retention_options *o);
/* "30d" / "12h" / "90m" / "45s" / "45" -> ms, or a usage error. */
int64_t rh_cli_duration_ms(const char *opt, const char *arg);
/* One line: "PREFIX NS/CLUSTER/SESSION  REASON  BYTES  LAST-ACTIVE". */
void rh_retention_cli_print(FILE *fp, const char *prefix,
                            const rh_retention_session *s);

#endif
