/* index_internal.h - the opened index (index_read.c) as the row decoders
 * (index_rows.c), queries (index_query.c) and sessions (index_session.c)
 * use it. */
#ifndef RH_INDEX_INTERNAL_H
#define RH_INDEX_INTERNAL_H

#include <pthread.h>

#include "rayhist/history.h"
#include "index_format.h"
#include "events_internal.h" /* rh_arena */

/* One event object of a session, as the index's rebuild lists them. */
typedef struct rh_index__obj {
	char *key;     /* full key */
	char *file;    /* captured file: key up to '@'; batch: NULL */
	uint64_t size; /* stored size */
	uint64_t offset;
} rh_index__obj;

/* Replay objects v[0, n) into h in their order (index_replay.c): a batch
 * is one object, a captured file its consecutive parts; plen is the session
 * prefix's length. `threads` parse objects ahead (0: one per CPU, 1: none);
 * h gets the same events in the same order whatever their number. */
/* Feed bytes [skip, size) of an open seekable blob to a parser, a chunk
 * at a time, adding what was read to *bytes_read (may be NULL). Returns 0,
 * the read's RH_E*, or the parser's non-zero (a callback stopped it). */
int rh_index__feed_chunks(rh_event_parser *p, rh_seekable *sk, uint64_t skip,
                          uint64_t size, uint64_t *bytes_read);
int rh_index__replay(rh_history *h, rh_store *st, const rh_index__obj *v,
                     size_t n, size_t plen, const char *ray_version,
                     rh_progress_cb progress, void *payload, unsigned threads);

#define IX_NSEC_IDS 15 /* section ids are 1..14 */

typedef struct ix_sec {
	uint64_t off, size, count;
	uint32_t elem;
	int present;
} ix_sec;

typedef struct ix_page {
	uint64_t no;
	struct ix_page *prev, *next; /* LRU, most recent first */
	struct ix_page *hnext;
	uint32_t len;
	unsigned char data[];
} ix_page;

struct rh_index {
	rh_store *st;
	char *key;
	const unsigned char *mem;
	uint64_t size;
	uint8_t fp[RH_FINGERPRINT_SIZE];
	unsigned version;
	uint64_t crc_off, npages;
	uint32_t *page_crcs;
	ix_sec sec[IX_NSEC_IDS];
	pthread_mutex_t lock;
	ix_page **buckets;
	size_t nbuckets, npages_cached, max_pages;
	ix_page *lru_head, *lru_tail;
	uint64_t reads; /* pages fetched from the store, for tests */
	char *warn;     /* IX_WARN's messages, loaded at open */
	const char **warnv;
	size_t nwarn;       /* messages kept */
	uint64_t nwarn_all; /* warnings in all, kept or not */
};

/* Hold the index's page cache lock across many reads (a whole row's):
 * reads on this thread then skip it. Returns whether it was taken, for
 * ix_unhold(); nested holds are free. */
int ix_hold(rh_index *ix);
void ix_unhold(rh_index *ix, int took);
/* Copy [off, off+len) of section `id` to dst. @return 0, RH_ECORRUPT (out
 * of the section, damaged page), RH_EIO, RH_ENOMEM. */
int ix_sec_read(rh_index *ix, int id, uint64_t off, size_t len, void *dst);
/* Element `i` of a fixed-size section into dst (elem bytes). */
int ix_elem(rh_index *ix, int id, uint64_t i, void *dst);
/* The string at `ref` copied NUL-terminated into `a` (NULL for ref 0). */
int ix_string(rh_index *ix, rh_arena *a, uint32_t ref, const char **out);
/* Compare the string at `ref` with s (bytes); ref 0 sorts first. */
int ix_strcmp(rh_index *ix, uint32_t ref, const char *s, size_t n, int *cmp);
int ix_corrupt(rh_index *ix, const char *what);

/* Whether page `no` is in the cache; call with the lock (ix_hold). */
int ix_page_cached(rh_index *ix, uint64_t no);
/* Check `len` bytes fetched for page `no` against its CRC and keep them;
 * call with the lock. @return 0, RH_ECORRUPT, RH_ENOMEM. */
int ix_page_put(rh_index *ix, uint64_t no, const void *data, size_t len);

/* index_fetch.c: reads of one object issued together - in parallel over a
 * remote store, in turn in a local folder. Each request gets its own
 * outcome; the thread's error message is left clear. */
typedef struct ix_fetch_req {
	uint64_t off;
	size_t len;
	int head; /* 1: the object's size into `size`, no bytes */
	uint64_t size;
	rh_buf buf; /* the bytes; the caller disposes of it */
	int error;
} ix_fetch_req;
void ix_fetch_all(rh_store *st, const char *key, ix_fetch_req *r, size_t n);
/* Whether ix_fetch_all() runs requests at once on this store. */
int ix_fetch_parallel(rh_store *st);
/* Fetch pages nos[0, n) not yet cached, at once (nos is sorted in place).
 * Best effort: a page that fails is read, and its failure reported, when a
 * decoder needs it. */
void ix_prefetch_pages(rh_index *ix, uint64_t *nos, size_t n);
/* Fetch ahead what decoding rows[0, n) of `what` reads: their records,
 * then the strings they name (and with `detail`, their variable parts). */
void ix_prefetch_rows(rh_index *ix, rh_entity what, const uint64_t *rows,
                      size_t n, int detail);

/* Decode row `row` of an entity into `out` (strings in `a`). With
 * `detail`, also the variable parts (transitions, log info, profile). */
int ix_decode(rh_index *ix, rh_arena *a, rh_entity what, uint64_t row,
              int detail, rh_row *out);
/* Task id of a task row (hex, in `a`) without decoding the rest. */
int ix_task_id(rh_index *ix, rh_arena *a, uint64_t row, const char **id,
               int32_t *attempt);

/* Cut a row decoded with its transitions at instant t (index_at.c).
 * @return 1 if the entity existed at t (the row now shows it as it was),
 * 0 if not. */
int ix_row_at(rh_row *r, int64_t t);
/* A task's place in row order: its creation time, else its first
 * transition's; RH_TIME_NONE (sorted last) if neither. */
int64_t ix_task_sort_time(const rh_task_row *r);

/* A summary (index_summary.c): typed nodes over the storage of whichever
 * grouping built them (`impl`, released with impl_free). */
struct rh_summary {
	rh_summary_by by;
	rh_summary_totals totals;
	rh_summary_node *nodes;
	size_t nnodes;
	size_t *top;
	size_t ntop;
	void *impl;
	void (*impl_free)(void *impl);
};
/* Count a task of `type` in Ray's totals (index_summary.c). */
void rh_index__count_task(rh_summary_totals *t, int type);
/* Fill `s` with the tasks of `q` by lineage (index_lineage.c). */
int rh_index__lineage(rh_summary *s, rh_index *ix, rh_query *q);

#endif
