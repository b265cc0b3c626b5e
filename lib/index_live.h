/* index_live.h - a live session's index kept current from only what is
 * new (index_live.c), and the parts of index_session.c it shares. */
#ifndef RH_INDEX_LIVE_H
#define RH_INDEX_LIVE_H

#include "index_internal.h"
#include "marks.h"
#include "rayhist/catalog.h"

/* The event objects of a session as one listing saw them (index_session.c). */
typedef struct rh_index__objs {
	rh_index__obj *v;
	size_t n, a;
	size_t plen; /* session prefix length */
} rh_index__objs;

int rh_index__list_objects(rh_index__objs *o, rh_store *st, const char *prefix);
void rh_index__objs_dispose(rh_index__objs *o);
/* Feed what the session's node manifests tell (raylets, worker files). */
int rh_index__feed_files(rh_history *h, rh_store *st, const char *prefix);
int rh_index__session_ref(rh_session_ref *ref, char parts[3][256],
                          const char *prefix);
int rh_index__session_key(rh_buf *out, const char *prefix);
int rh_index__check_session_exists(rh_store *st, const char *prefix);
/* 'o', 'e' for a marks fingerprint (open, built after the end mark), 0 for
 * a listing fingerprint. */
int rh_index__fp_kind(const uint8_t *fp);
void rh_index__mark_fp(uint8_t fp[RH_FINGERPRINT_SIZE], const rh__marks *m,
                       int ended);
int rh_index__marks_cover(int *covered, const rh__marks *m,
                          const rh_index__objs *o, rh_store *st,
                          const char *prefix);
int rh_index__check_sealed(rh_store *st, const char *prefix, const char *key,
                           const rh__marks *before);

/*
 * A live session's builder: a history that takes each event object once,
 * when it first appears, and is copied and finished for each index step.
 *
 * rh_index__live_refresh() is rh_index_refresh() for a caller that calls
 * it again and again on one session (the server): the same index comes out
 * (the same bytes as a one-shot build of the same objects, see below), but
 * an event object already indexed is never read again. A step lists the
 * marks (nothing more when nothing moved), then the event objects, reads
 * only the new ones (new batches; each captured event file from where the
 * last step stopped, its parser kept across steps so a line split between
 * parts joins), and writes the index from a copy of the history. Once the
 * session is marked ended, the parsers are finished and the final index
 * (marked 'e', never checked again) is written; the builder then holds
 * nothing and defers to rh_index_refresh().
 *
 * It defers to rh_index_refresh() (which rebuilds from every object) when
 * it holds nothing yet and the stored index is current, when some writer
 * keeps no mark (sessions of older versions), on `force`, and when an
 * object it indexed is gone or shrank (retention, a rewritten part): then
 * it starts over. One builder per session; one thread at a time.
 */
typedef struct rh_index__live rh_index__live;

int rh_index__live_new(rh_index__live **out, const char *session_prefix);
/* ix_out (may be NULL) gets the index as it is afterwards, opened with
 * default options: rh_index_refresh_open() for a live builder. */
int rh_index__live_refresh(rh_index **ix_out, int *rebuilt_out,
                           rh_index__live *lv, rh_store *st,
                           const rh_index_refresh_options *opts);
void rh_index__live_free(rh_index__live *lv);

typedef struct rh_index__live_stats {
	uint64_t steps;        /* index steps written from the live history */
	uint64_t objects_read; /* event objects opened, also by full builds */
	uint64_t bytes_read;   /* raw event bytes parsed, also by full builds */
	uint64_t restarts;     /* times the builder started over */
	uint64_t full_builds;  /* indexes rh_index_refresh() rebuilt for it */
	/* What the last refresh spent on work that grows with the session
	 * rather than with what arrived (copying, finishing and writing the
	 * index; a whole rebuild when deferring), in ms; 0 if it did none. */
	int64_t last_fixed_ms;
	int live; /* holds a history now */
} rh_index__live_stats;

void rh_index__live_stats_get(rh_index__live_stats *out,
                              const rh_index__live *lv);

#endif
