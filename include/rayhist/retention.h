/*
 * rayhist/retention.h - deleting old sessions from a store.
 *
 * HowTo:
 *   rh_retention_options o = RH_RETENTION_OPTIONS_INIT;
 *   o.max_age_ms = 30 * 86400000LL;     sessions idle for 30 days go
 *   o.keep_per_cluster = 100;           and all but each cluster's newest 100
 *   o.dry_run = 1;                      list only
 *   rh_retention_run(&res, st, &o, print_cb, NULL);
 *
 * Policies (any combination; a session goes when one says so):
 *   max_age_ms          its last activity (collector heartbeat, capture,
 *                       end mark; without a session.json its newest
 *                       object) is older than this
 *   keep_per_cluster    it is not among its cluster's newest N sessions
 *   keep_per_namespace  it is not among its namespace's newest N sessions
 *   max_bytes           the oldest go until the sessions kept take at most
 *                       this many stored bytes
 * A live session (its head collector's heartbeat is recent, catalog.h
 * RH_SESSION_LIVE; or, without a session.json, an object written in the
 * last live_ms) is never deleted, though it counts among the N kept.
 *
 * Deleting one session is safe for readers and restartable: a tombstone
 * (layout.h) is written first, so listings (catalog.h, the picker,
 * rayhist-ls) stop showing the session at once; then its objects go,
 * session.json first, in batches (rh_store_delete_many(): DeleteObjects of
 * up to 1000 keys on S3); the tombstone goes last. A run that stops half-way
 * leaves a tombstone and no listed session; the next run (any policy, dry
 * run excepted) finishes the job first.
 *
 * Thread-safety: one run at a time per store; readers may run meanwhile.
 */
#ifndef RAYHIST_RETENTION_H
#define RAYHIST_RETENTION_H

#include "common.h"
#include "store.h"
#include "layout.h"

RH_BEGIN_DECL

typedef struct rh_retention_options {
	unsigned version;          /**< RH_RETENTION_OPTIONS_VERSION */
	int64_t max_age_ms;        /**< 0: no age limit */
	size_t keep_per_cluster;   /**< 0: no limit */
	size_t keep_per_namespace; /**< 0: no limit */
	uint64_t max_bytes;        /**< 0: no limit */
	int dry_run;               /**< report what would go; delete nothing */
	int64_t now_ms;            /**< 0: the clock */
	/** A session without session.json is live while an object of it is
	 * younger than this; 0 = 10 minutes. */
	int64_t live_ms;
	/** Sessions read and deleted at once (store requests in flight);
	 * 0 = 8. Order is then oldest first only roughly. */
	unsigned threads;
} rh_retention_options;

#define RH_RETENTION_OPTIONS_VERSION 1
#define RH_RETENTION_OPTIONS_INIT                                    \
	{                                                            \
		RH_RETENTION_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 \
	}

/** A session a run deletes (or would). Strings borrowed for the callback. */
typedef struct rh_retention_session {
	rh_session_ref ref;
	int64_t last_ms;  /**< its last activity; 0 if unknown */
	uint64_t bytes;   /**< stored bytes (after deletion: deleted) */
	uint64_t objects; /**< objects deleted; 0 in a dry run */
	/** "age", "count per cluster", "count per namespace", "total bytes",
	 * "unfinished deletion" (a tombstone from an earlier run). Static. */
	const char *reason;
} rh_retention_session;

/** Called once per session deleted (or, dry, to be deleted), roughly
 * oldest first, one call at a time (from the run's threads); `error` is 0
 * or the deletion's failure (the run then stops). */
typedef void (*rh_retention_cb)(const rh_retention_session *s, int error,
                                void *payload);

typedef struct rh_retention_result {
	size_t sessions;  /**< sessions looked at */
	size_t live;      /**< of those, live (kept whatever the policy) */
	size_t deleted;   /**< deleted (in a dry run: to be deleted) */
	size_t finished;  /**< earlier runs' deletions completed */
	uint64_t objects; /**< objects deleted */
	uint64_t bytes;   /**< stored bytes deleted (or to be) */
} rh_retention_result;

/**
 * Apply the policies to every session of the store.
 * @param[out] out  what was done (also on failure: up to it)
 * @param cb        NULL, or called for each session that goes
 * @return 0; RH_EIO (the store failed; sessions before stay deleted),
 *         RH_ENOMEM, RH_EINVAL.
 */
RH_EXTERN int rh_retention_run(rh_retention_result *out, rh_store *st,
                               const rh_retention_options *opts,
                               rh_retention_cb cb, void *payload);

/**
 * Delete one session as described above (tombstone, objects, tombstone).
 * @param[out] objects_out, bytes_out  what was deleted; may be NULL
 * @return 0 (also when nothing was there), RH_EINVAL, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_session_delete(rh_store *st, const rh_session_ref *s,
                                uint64_t *objects_out, uint64_t *bytes_out);

RH_END_DECL

#endif
