/* collect_follow.h - rayhist-collect --follow: a follower and the event
 * receiver wired to libevent (collect_follow.c). */
#ifndef RH_COLLECT_FOLLOW_H
#define RH_COLLECT_FOLLOW_H

#include <rayhist/rayhist.h>

struct rh_follow_cfg {
	rh_follow_options fo; /* cluster, ns, node id, Ray root, ... */
	rh_spool_options so;  /* body limit, spool cap */
	const char *listen;   /* "ADDR:PORT", or "off" */
	const char *token;    /* required of POSTs and the status page */
	unsigned drain_ms;    /* SIGTERM: finish within this */
	int quiet, verbose;
	int no_index; /* no index build after the end mark */
};

/* Run until SIGTERM or SIGINT; returns the exit status. */
int rh_collect_follow(rh_store *st, struct rh_follow_cfg *cfg);

#endif
