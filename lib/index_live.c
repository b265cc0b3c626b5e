/* index_live.c - a live session's index from only what is new.
 *
 * Rebuilding a session's index whenever something arrives reads and parses
 * every event object again: O(n) per update, O(n^2) over a live session's
 * life. This builder keeps the session's history between updates and feeds
 * it each event object once: new batches through the parallel replay
 * (index_replay.c), captured event files through one parser per file kept
 * open across updates, so a line split between two parts joins as it does
 * in a one-shot build. Each update writes the index from a copy of the
 * history (history_clone.c), since finishing is one-way.
 *
 * Why a resident history and not stored delta segments merged at query
 * time: an index row is derived from all of an entity's events and from
 * other entities (a task's state from its transitions in enum order,
 * coarse export transitions folded into precise ones, workers from tasks,
 * actors and log file names, drivers linked to submissions, actor tasks
 * named after their actor's repr). The index keeps the derived rows, not
 * the raw facts, so a new segment could not be merged exactly from the
 * old ones without reading their events again. The history is exactly
 * those raw facts, in memory, deduplicated and order-free. */
#include "internal.h"
#include "index_live.h"
#include "history_internal.h"

#include <stdio.h>
#include <time.h>

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct lv_seen {
	uint64_t size; /* stored size when fed */
	uint32_t file; /* captured file: index + 1 in files; batch: 0 */
} lv_seen;

typedef struct lv_file {
	char *name; /* relative path up to '@' */
	rh_event_parser *p;
	uint64_t expect; /* raw bytes of the file fed so far */
} lv_file;

struct rh_index__live {
	char *prefix;
	rh_history *h;
	hb_map seen_map; /* hash of the object's key -> index + 1 in seen */
	lv_seen *seen;
	size_t nseen, aseen;
	hb_map file_map; /* hash of the file name -> index + 1 in files */
	lv_file *files;
	size_t nfiles, afiles;
	uint8_t digest[32]; /* the marks the last index step was built after */
	int done;           /* ended or unmarked: rh_index_refresh() decides */
	rh_index__live_stats stats;
};

static void
lv_reset(rh_index__live *lv)
{
	size_t i;

	for (i = 0; i < lv->nfiles; i++) {
		rh_event_parser_free(lv->files[i].p);
		free(lv->files[i].name);
	}
	free(lv->files);
	free(lv->seen);
	hb_map_dispose(&lv->seen_map);
	hb_map_dispose(&lv->file_map);
	rh_history_free(lv->h);
	lv->h = NULL;
	lv->files = NULL;
	lv->seen = NULL;
	lv->nfiles = lv->afiles = lv->nseen = lv->aseen = 0;
	memset(lv->digest, 0, sizeof(lv->digest));
}

int
rh_index__live_new(rh_index__live **out, const char *session_prefix)
{
	rh_index__live *lv;

	*out = NULL;
	if (!(lv = rh__calloc(1, sizeof(*lv))))
		return RH_ENOMEM;
	if (!(lv->prefix = rh__strdup(session_prefix))) {
		free(lv);
		return RH_ENOMEM;
	}
	*out = lv;
	return 0;
}

void
rh_index__live_free(rh_index__live *lv)
{
	if (!lv)
		return;
	lv_reset(lv);
	free(lv->prefix);
	free(lv);
}

void
rh_index__live_stats_get(rh_index__live_stats *out, const rh_index__live *lv)
{
	*out = lv->stats;
	out->live = lv->h != NULL;
}

static uint64_t
key_hash(const char *s)
{
	uint64_t k = hb_hash(s, strlen(s));

	return k ? k : 1;
}

static int
seen_add(rh_index__live *lv, const char *rel, uint64_t size, uint32_t file)
{
	if (lv->nseen == lv->aseen) {
		size_t na = lv->aseen ? lv->aseen * 2 : 256;
		lv_seen *v = rh__realloc(lv->seen, na * sizeof(*v));

		if (!v)
			return RH_ENOMEM;
		lv->seen = v;
		lv->aseen = na;
	}
	lv->seen[lv->nseen].size = size;
	lv->seen[lv->nseen].file = file;
	lv->nseen++;
	return hb_map_put(&lv->seen_map, key_hash(rel), (uint32_t)lv->nseen);
}

/* The file `name`'s state (index + 1), made on first sight. */
static int
file_get(rh_index__live *lv, uint32_t *out, const char *name,
         const rh_event_parse_options *po)
{
	uint64_t k = key_hash(name);
	lv_file *f;
	int error;

	if ((*out = hb_map_get(&lv->file_map, k)))
		return 0;
	if (lv->nfiles == lv->afiles) {
		size_t na = lv->afiles ? lv->afiles * 2 : 16;
		lv_file *v = rh__realloc(lv->files, na * sizeof(*v));

		if (!v)
			return RH_ENOMEM;
		lv->files = v;
		lv->afiles = na;
	}
	f = &lv->files[lv->nfiles];
	memset(f, 0, sizeof(*f));
	if (!(f->name = rh__strdup(name)))
		return RH_ENOMEM;
	if ((error = rh_event_parser_new(&f->p, name, po, rh_history_event_cb,
	                                 lv->h)) < 0) {
		free(f->name);
		return error;
	}
	lv->nfiles++;
	*out = (uint32_t)lv->nfiles;
	return hb_map_put(&lv->file_map, k, *out);
}

/* Feed raw bytes [skip, end) of a stored blob to the file's parser. */
static int
feed_blob(rh_index__live *lv, rh_event_parser *p, uint64_t *size_out,
          rh_store *st, const char *key, uint64_t skip)
{
	rh_seekable *sk = NULL;
	uint64_t size;
	int error;

	*size_out = 0;
	if ((error = rh_seekable_open(&sk, st, key)) < 0)
		return error;
	lv->stats.objects_read++;
	size = *size_out = rh_seekable_size(sk);
	error = rh_index__feed_chunks(p, sk, skip, size, &lv->stats.bytes_read);
	rh_seekable_close(sk);
	if (error > 0)
		error = rh__error(RH_ERROR, "event replay stopped");
	return error;
}

/* Feed one new (or grown) part of a captured file, as a one-shot build's
 * replay does: a gap before it is a line break, bytes already fed are
 * skipped, a damaged part is skipped with a warning. */
static int
feed_part(rh_index__live *lv, rh_store *st, const rh_index__obj *x,
          const rh_event_parse_options *po)
{
	uint32_t fi;
	lv_file *f;
	uint64_t skip = 0, n;
	int error;

	if ((error = file_get(lv, &fi, x->file, po)) < 0)
		return error;
	f = &lv->files[fi - 1];
	if (x->offset > f->expect) {
		if ((error = rh_event_parser_feed(f->p, "\n", 1)) != 0)
			return error < 0 ? error : RH_ERROR;
	} else if (x->offset < f->expect) {
		skip = f->expect - x->offset;
	}
	error = feed_blob(lv, f->p, &n, st, x->key, skip);
	if (error == RH_ECORRUPT) {
		if ((error = rh_history__warn(lv->h,
		                              "skipped a damaged event "
		                              "object: %s",
		                              rh_error_last())) < 0)
			return error;
		rh_error_clear();
		error = rh_event_parser_feed(f->p, "\n", 1);
		return error > 0 ? RH_ERROR : error;
	}
	if (error < 0)
		return error;
	if (x->offset + n > f->expect)
		f->expect = x->offset + n;
	return 0;
}

static int
part_cmp(const void *a, const void *b)
{
	const rh_index__obj *x = *(rh_index__obj *const *)a;
	const rh_index__obj *y = *(rh_index__obj *const *)b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return (x->offset > y->offset) - (x->offset < y->offset);
}

typedef struct lv_new {
	rh_index__obj
		*batches; /* copies of the listing's entries (borrowed keys) */
	size_t nbatches;
	rh_index__obj **parts;
	size_t nparts;
} lv_new;

/* Sort the listing into what is new; *restart when something indexed
 * went away or changed in a way only a rebuild gets right. */
static int
classify(lv_new *nw, int *restart, rh_index__live *lv, const rh_index__objs *o)
{
	size_t i, present = 0;

	*restart = 0;
	memset(nw, 0, sizeof(*nw));
	if (!(nw->batches =
	              rh__calloc(o->n ? o->n : 1, sizeof(*nw->batches))) ||
	    !(nw->parts = rh__calloc(o->n ? o->n : 1, sizeof(*nw->parts))))
		return RH_ENOMEM;
	for (i = 0; i < o->n; i++) {
		const rh_index__obj *x = &o->v[i];
		uint32_t s =
			hb_map_get(&lv->seen_map, key_hash(x->key + o->plen));

		if (s) {
			const lv_seen *e = &lv->seen[s - 1];

			present++;
			if (e->size == x->size)
				continue;
			/* a rewritten batch, or a part that shrank: the
			 * events it gave cannot be taken back */
			if (!x->file || x->size < e->size) {
				*restart = 1;
				return 0;
			}
		}
		if (x->file)
			nw->parts[nw->nparts++] = (rh_index__obj *)x;
		else
			nw->batches[nw->nbatches++] = *x;
	}
	if (present != lv->nseen)
		*restart = 1; /* an indexed object is gone */
	if (nw->nparts > 1)
		qsort(nw->parts, nw->nparts, sizeof(*nw->parts), part_cmp);
	return 0;
}

static void
new_dispose(lv_new *nw)
{
	free(nw->batches);
	free(nw->parts);
}

/* Remember what was fed, by key and stored size. */
static int
mark_seen(rh_index__live *lv, const rh_index__obj *x, size_t plen)
{
	const char *rel = x->key + plen;
	uint32_t s = hb_map_get(&lv->seen_map, key_hash(rel));

	if (s) {
		lv->seen[s - 1].size = x->size;
		return 0;
	}
	return seen_add(lv, rel, x->size, x->file ? 1 : 0);
}

static int
feed_new(rh_index__live *lv, rh_store *st, const lv_new *nw, size_t plen,
         const char *ray_version, const rh_index_refresh_options *opts)
{
	rh_event_parse_options po = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_progress_cb progress = NULL;
	void *payload = NULL;
	unsigned threads = 0;
	size_t i;
	int error;

	po.ray_version = ray_version;
	if (opts && opts->version >= 2) {
		progress = opts->progress;
		payload = opts->progress_payload;
	}
	if (opts && opts->version >= 3)
		threads = opts->threads;
	if (nw->nbatches) {
		uint64_t before = rh_history_stats(lv->h)->bytes;

		if ((error = rh_index__replay(lv->h, st, nw->batches,
		                              nw->nbatches, plen, ray_version,
		                              progress, payload, threads)) < 0)
			return error;
		lv->stats.objects_read += nw->nbatches;
		lv->stats.bytes_read += rh_history_stats(lv->h)->bytes - before;
		for (i = 0; i < nw->nbatches; i++) {
			if ((error = mark_seen(lv, &nw->batches[i], plen)) < 0)
				return error;
		}
	}
	for (i = 0; i < nw->nparts; i++)
		if ((error = feed_part(lv, st, nw->parts[i], &po)) < 0 ||
		    (error = mark_seen(lv, nw->parts[i], plen)) < 0)
			return error;
	return 0;
}

/* An index step: a copy of the history, with what the open parsers counted
 * and what the node manifests tell, finished and written. */
static int
write_step(rh_index__live *lv, rh_store *st, const char *key,
           const rh__marks *m)
{
	uint8_t fp[RH_FINGERPRINT_SIZE];
	rh_history *c = NULL;
	int64_t t0 = mono_ms();
	size_t i;
	int error;

	if ((error = rh_history__clone(&c, lv->h)) < 0)
		goto done;
	for (i = 0; i < lv->nfiles; i++)
		rh_history__stats_add(c, rh_event_parser_stats(lv->files[i].p));
	if ((error = rh_index__feed_files(c, st, lv->prefix)) < 0)
		goto done;
	rh_index__mark_fp(fp, m, 0);
	rh_history_set_fingerprint(c, fp);
	if ((error = rh_history_finish(c)) < 0 ||
	    (error = rh_index_write(st, key, c)) < 0)
		goto done;
	lv->stats.steps++;
done:
	rh_history_free(c);
	lv->stats.last_fixed_ms = mono_ms() - t0;
	return error;
}

/* The session ended: finish the parsers (a last line without its newline
 * counts, as in a one-shot build), write the final index, let go. */
static int
write_final(rh_index__live *lv, rh_store *st, const char *key,
            const rh__marks *m)
{
	uint8_t fp[RH_FINGERPRINT_SIZE];
	size_t i;
	int error;

	for (i = 0; i < lv->nfiles; i++) {
		if ((error = rh_event_parser_finish(lv->files[i].p)) != 0)
			return error < 0 ? error :
			                   rh__error(RH_ERROR,
			                             "event replay stopped");
		rh_history__stats_add(lv->h,
		                      rh_event_parser_stats(lv->files[i].p));
	}
	if ((error = rh_index__feed_files(lv->h, st, lv->prefix)) < 0)
		return error;
	rh_index__mark_fp(fp, m, 1);
	rh_history_set_fingerprint(lv->h, fp);
	if ((error = rh_history_finish(lv->h)) < 0 ||
	    (error = rh_index_write(st, key, lv->h)) < 0 ||
	    (error = rh_index__check_sealed(st, lv->prefix, key, m)) < 0)
		return error;
	lv->stats.steps++;
	return 0;
}

/* 1 if the session's manifest says it ended, 0 if not, -1 when there is
 * none (a session still arriving) or it cannot be read; `info` (may be
 * NULL) gets the manifest. */
static int
session_ended(rh_store *st, const char *prefix, rh_session_info *info)
{
	rh_session_info tmp;
	rh_session_ref ref;
	char parts[3][256];
	int ended = -1;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if (rh_index__session_ref(&ref, parts, prefix) == 0 &&
	    rh_session_info_load(info, st, &ref) == 0)
		ended = info->end_ms > 0 || info->end_marked_ms > 0;
	rh_error_clear();
	return ended;
}

/* rh_index_refresh(), counting the objects a rebuild reads (its progress
 * reports each one) in the builder's stats. */
struct count_ctx {
	rh_progress_cb cb;
	void *payload;
	uint64_t files;
};

static void
count_cb(const rh_progress *p, void *payload)
{
	struct count_ctx *c = payload;

	c->files = p->files_done;
	if (c->cb)
		c->cb(p, c->payload);
}

static int
defer(rh_index **ix_out, int *rebuilt_out, rh_index__live *lv, rh_store *st,
      const rh_index_refresh_options *opts)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	struct count_ctx c = { NULL, NULL, 0 };
	rh_event_stats es;
	int rebuilt = 0, error;
	int64_t t0 = mono_ms();

	memset(&es, 0, sizeof(es));
	ro.stats = &es;
	if (opts) {
		ro.force = opts->force;
		ro.ray_version = opts->ray_version;
		if (opts->version >= 2) {
			c.cb = opts->progress;
			c.payload = opts->progress_payload;
		}
		if (opts->version >= 3)
			ro.threads = opts->threads;
	}
	ro.progress = count_cb;
	ro.progress_payload = &c;
	if (ix_out)
		error = rh_index_refresh_open(ix_out, &rebuilt, st, lv->prefix,
		                              &ro, NULL);
	else
		error = rh_index_refresh(&rebuilt, st, lv->prefix, &ro);
	lv->stats.objects_read += c.files;
	lv->stats.bytes_read += es.bytes;
	if (opts && opts->stats)
		*opts->stats = es;
	if (rebuilt) {
		lv->stats.full_builds++;
		lv->stats.last_fixed_ms = mono_ms() - t0;
	}
	if (rebuilt_out)
		*rebuilt_out = rebuilt;
	return error;
}

/* Whether the stored index is current as of marks m (or final). */
static int
stored_current(rh_store *st, const char *key, const rh__marks *m)
{
	uint8_t want[RH_FINGERPRINT_SIZE];
	rh_index *ix = NULL;
	int cur = 0;

	if (rh_index_open(&ix, st, key, NULL) == 0) {
		const uint8_t *fp = rh_index_fingerprint(ix);

		rh_index__mark_fp(want, m, 0);
		cur = rh_index__fp_kind(fp) == 'e' ||
		      !memcmp(fp, want, sizeof(want));
	}
	rh_index_close(ix);
	rh_error_clear();
	return cur;
}

/* Nothing moved since the last step. The end mark moves no mark (a writer
 * with nothing more to ship writes none), so the session's manifest is
 * asked too: one small GET. */
static int
quiet_step(rh_index__live *lv, int *rebuilt_out, rh_store *st, const char *key,
           const rh__marks *m)
{
	int error;

	if (session_ended(st, lv->prefix, NULL) <= 0)
		return 0;
	error = write_final(lv, st, key, m);
	lv_reset(lv);
	lv->done = 1;
	if (error == 0 && rebuilt_out)
		*rebuilt_out = 1;
	return error;
}

/* Feed what is new among the listed objects `o` to the history (a new one
 * if the objects do not carry on from the last step), then write the step,
 * or the final index once the session ended. */
static int
feed_step(rh_index__live *lv, int *rebuilt_out, rh_store *st, const char *key,
          const rh__marks *m, const rh_index__objs *o,
          const rh_index_refresh_options *opts)
{
	rh_session_info info;
	const char *ray_version = opts ? opts->ray_version : NULL;
	lv_new nw;
	int error, ended, restart = 0;

	memset(&nw, 0, sizeof(nw));
	ended = session_ended(st, lv->prefix, &info);
	if (!ray_version && ended >= 0 && info.ray_version[0])
		ray_version = info.ray_version;
	if (lv->h && (error = classify(&nw, &restart, lv, o)) < 0)
		goto done;
	if (!lv->h || restart) {
		rh_history_options ho = RH_HISTORY_OPTIONS_INIT;

		if (restart)
			lv->stats.restarts++;
		lv_reset(lv);
		new_dispose(&nw);
		if ((error = rh_history_new(&lv->h, &ho)) < 0 ||
		    (error = classify(&nw, &restart, lv, o)) < 0)
			goto done;
	}
	if ((error = feed_new(lv, st, &nw, o->plen, ray_version, opts)) < 0)
		goto done;
	if (ended > 0) {
		error = write_final(lv, st, key, m);
		lv_reset(lv);
		lv->done = 1;
	} else {
		error = write_step(lv, st, key, m);
		memcpy(lv->digest, m->digest, sizeof(lv->digest));
	}
	if (error == 0 && rebuilt_out)
		*rebuilt_out = 1;
done:
	new_dispose(&nw);
	return error;
}

static int
live_refresh(rh_index **ix_out, int *rebuilt_out, rh_index__live *lv,
             rh_store *st, const rh_index_refresh_options *opts)
{
	rh_buf key = RH_BUF_INIT;
	rh_index__objs o;
	rh__marks m;
	int error, covered = 0, deferred = 0;

	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	if (rebuilt_out)
		*rebuilt_out = 0;
	lv->stats.last_fixed_ms = 0;
	if (opts && opts->force)
		lv_reset(lv);
	if (lv->done || (opts && opts->force))
		return defer(ix_out, rebuilt_out, lv, st, opts);
	if ((error = rh_index__session_key(&key, lv->prefix)) < 0 ||
	    (error = rh__marks_list(&m, st, lv->prefix)) < 0)
		goto done;
	if (lv->h && !memcmp(m.digest, lv->digest, sizeof(m.digest))) {
		error = quiet_step(lv, rebuilt_out, st, key.ptr, &m);
		goto done;
	}
	if (!lv->h && (!m.n || stored_current(st, key.ptr, &m))) {
		/* nothing to carry on from: the stored index decides, and a
		 * history is built when something new arrives */
		error = defer(ix_out, rebuilt_out, lv, st, opts);
		deferred = 1;
		goto done;
	}
	if ((error = rh_index__list_objects(&o, st, lv->prefix)) < 0 ||
	    (!o.n &&
	     (error = rh_index__check_session_exists(st, lv->prefix)) < 0) ||
	    (error = rh_index__marks_cover(&covered, &m, &o, st, lv->prefix)) <
	            0)
		goto done;
	if (!covered) {
		/* a writer keeps no mark: only a listing tells what changed */
		lv_reset(lv);
		lv->done = 1;
		error = defer(ix_out, rebuilt_out, lv, st, opts);
		deferred = 1;
		goto done;
	}
	error = feed_step(lv, rebuilt_out, st, key.ptr, &m, &o, opts);
done:
	if (error < 0 && lv->h) {
		/* a half-fed history cannot be trusted: start over next time */
		lv_reset(lv);
	}
	/* the index as it is now, unless rh_index_refresh_open() gave it */
	if (error == 0 && ix_out && !deferred)
		error = rh_index_open(ix_out, st, key.ptr, NULL);
	rh__marks_dispose(&m);
	rh_index__objs_dispose(&o);
	rh_buf_dispose(&key);
	return error;
}

int
rh_index__live_refresh(rh_index **ix_out, int *rebuilt_out, rh_index__live *lv,
                       rh_store *st, const rh_index_refresh_options *opts)
{
	if (ix_out)
		*ix_out = NULL;
	return live_refresh(ix_out, rebuilt_out, lv, st, opts);
}
