/* search.c - rh_search_session() (search.h): cut a session's stored files
 * into chunks of about one frame, let worker threads decompress and scan
 * them, and report in order on the caller's thread.
 *
 * A worker reports only the lines wholly inside its chunk (after its first
 * '\n', up to its last) with their line numbers relative to the chunk, its
 * count of '\n', and copies of its two ragged ends. The caller's thread
 * adds the chunks' counts up for exact line numbers and joins the ragged
 * end of one chunk to the start of the next - the lines that straddle a
 * frame boundary, or many frames (a 3 MB line) - and tests those itself.
 *
 * A chunk of whole frames of a blob with search filters
 * (seekable_filter.h) is not read at all when their filters say no frame
 * can hold the fixed string, or the literal every match of the regex
 * holds: the filters give the '\n' count and ragged ends, which is all the
 * caller's thread needs of a chunk without matches - a line that straddles
 * into or out of it is still joined and tested there, and one joining two
 * of its frames by the worker. */
#include "search_internal.h"
#include "catalog_manifest.h"

#include <fnmatch.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* A chunk is the default frame size: a worker decompresses each frame it
 * needs once, and no two workers share one. */
#define CHUNK (4u << 20)
/* Bytes of results (matching lines, ragged ends) that workers may hold
 * for chunks not reported yet. A count of chunks would be a worse bound:
 * chunks without matches hold next to nothing, and the workers must not
 * wait for the caller's thread after each one - on a busy machine every
 * wake-up of that thread costs a scheduling delay. */
#define HELD_MAX (64u << 20)

/* ---- workers -------------------------------------------------------------- */

struct worker {
	struct search *se;
	rh__matcher m;
	rh_logfile *f;
	size_t file; /* the file f reads */
	rh_buf buf;
	struct unit *u;   /* the unit being scanned */
	const char *base; /* its bytes after the first '\n' */
	size_t counted;   /* bytes of base whose '\n's are counted */
	uint64_t rel;
	int error; /* from rh__matcher_init() */
	/* the search filter of part `fpart` of file `file`, when has_filt */
	size_t fpart;
	int fvalid, has_filt;
	rh__filter filt;
	rh_buf fhold;
	pthread_t thread;
};

static int
add_hit(size_t ls, size_t le, void *payload)
{
	struct worker *w = payload;
	struct unit *u = w->u;
	struct hit *h;

	if (u->nhits == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct hit *n = realloc(u->hits, cap * sizeof(*n));
		if (!n)
			return RH_ENOMEM;
		u->hits = n;
		u->cap = cap;
	}
	w->rel += rh__count_nl(w->base + w->counted, ls - w->counted);
	w->counted = ls;
	h = &u->hits[u->nhits];
	h->off = u->off + (uint64_t)(w->base - w->buf.ptr) + ls;
	h->rel = w->rel;
	h->tpos = u->text.size;
	h->len = le - ls;
	if (rh_buf_put(&u->text, w->base + ls, le - ls) < 0)
		return RH_ENOMEM;
	u->nhits++;
	return 0;
}

/* Load the search filter of the unit's part, once per part. */
static int
part_filter(struct worker *w, const struct unit *u)
{
	rh_seekable *sk;
	int error;

	if (w->fvalid && w->fpart == u->part)
		return 0;
	rh__filter_dispose(&w->filt);
	w->fvalid = w->has_filt = 0;
	if ((error = rh__logfile_part(&sk, w->f, u->part)) < 0)
		return error;
	error = rh_seekable__filter(&w->filt, &w->fhold, sk);
	/* A damaged filter only costs speed: the frames are read instead. */
	if (error == RH_ECORRUPT) {
		rh_error_clear();
		error = 0;
	}
	if (error < 0)
		return error;
	w->has_filt = error;
	w->fvalid = 1;
	w->fpart = u->part;
	return 0;
}

/* Does the line joining frame `prev`'s tail to the next one's head
 * match? That line lies wholly inside a unit of several frames, so the
 * caller's thread never sees it. 1, 0 or RH_ENOMEM. */
static int
joined_matches(struct worker *w, const rh__filter_frame *prev,
               const rh__filter_frame *next)
{
	rh_buf_clear(&w->buf);
	if (rh_buf_put(&w->buf, prev->tail, prev->tail_len) < 0 ||
	    rh_buf_put(&w->buf, next->head, next->head_len) < 0)
		return RH_ENOMEM;
	return rh__matcher_line(&w->m, w->buf.ptr, w->buf.size);
}

/* 1 when no line of the unit can match: it is whole frames (one or more)
 * whose filters rule the pattern out, and the lines joining them do not
 * match. Its head, tail and '\n' count are then filled in from the
 * filters. 0 when it must be read. */
static int
try_skip(struct worker *w, struct unit *u)
{
	struct search *se = w->se;
	const rh_file_part *p = &se->files[u->file].info->parts[u->part];
	rh__filter_frame fr, prev;
	rh_seekable *sk;
	uint64_t nl = 0;
	unsigned i, first, last;
	int error;

	if ((error = part_filter(w, u)) < 0 || !w->has_filt)
		return error;
	if ((error = rh__logfile_part(&sk, w->f, u->part)) < 0)
		return error;
	memset(&prev, 0, sizeof(prev));
	if (rh_seekable__frames_exactly(&first, &last, sk, u->off - p->offset,
	                                u->end - u->off) < 0 ||
	    last >= w->filt.nframes)
		return 0;
	for (i = first; i <= last; i++) {
		rh__filter_frame_get(&fr, &w->filt, i);
		if (rh__filter_may_hold(&fr, &se->q))
			return 0;
		if (i > first && (error = joined_matches(w, &prev, &fr)) != 0)
			return error < 0 ? error : 0;
		nl += fr.nl;
		prev = fr;
		if (i == first &&
		    rh_buf_put(&u->head, fr.head, fr.head_len) < 0)
			return RH_ENOMEM;
	}
	if (rh_buf_put(&u->tail, fr.tail, fr.tail_len) < 0)
		return RH_ENOMEM;
	u->nl = nl;
	u->skipped = 1;
	return 1;
}

static int
scan_unit(struct worker *w, struct unit *u)
{
	struct search *se = w->se;
	const struct sfile *sf = &se->files[u->file];
	const char *p, *first, *last;
	size_t n;
	int error;

	if (!w->f || w->file != u->file) {
		rh_logfile_close(w->f);
		w->f = NULL;
		rh__filter_dispose(&w->filt);
		w->fvalid = w->has_filt = 0;
		if ((error = rh_logfile_open_manifest(
			     &w->f, se->st, se->s, sf->m, sf->info->path)) < 0)
			return error;
		w->file = u->file;
	}
	if (se->q.count && (error = try_skip(w, u)) != 0) {
		if (error > 0)
			return 0;
		return error;
	}
	/* a unit given up on may hold some head bytes already */
	rh_buf_clear(&u->head);
	rh_buf_clear(&w->buf);
	if ((error = rh_logfile_read(&w->buf, w->f, u->off,
	                             (size_t)(u->end - u->off))) < 0)
		return error;
	if (w->buf.size != u->end - u->off)
		return rh__error(RH_ECORRUPT,
		                 "%s: %llu bytes where the manifest "
		                 "says %llu",
		                 sf->info->path,
		                 (unsigned long long)(u->off + w->buf.size),
		                 (unsigned long long)u->end);
	p = w->buf.ptr;
	n = w->buf.size;
	if (!(first = memchr(p, '\n', n)))
		return rh_buf_put(&u->head, p, n);
	last = memrchr(p, '\n', n);
	if (rh_buf_put(&u->head, p, (size_t)(first - p)) < 0 ||
	    rh_buf_put(&u->tail, last + 1, (size_t)(p + n - last - 1)) < 0)
		return RH_ENOMEM;
	/* the whole lines: after the first '\n', up to and with the last */
	w->u = u;
	w->base = first + 1;
	w->counted = 0;
	w->rel = 1;
	if ((error = rh__matcher_scan(&w->m, w->base, (size_t)(last - first),
	                              add_hit, w)) < 0)
		return error;
	u->nl = 1 + rh__count_nl(first + 1, (size_t)(last - first));
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct search *se = w->se;
	struct unit *u;
	int error;

	for (;;) {
		pthread_mutex_lock(&se->lock);
		while (!se->stop && se->next < se->nunits &&
		       se->held > HELD_MAX)
			pthread_cond_wait(&se->cv_space, &se->lock);
		if (se->stop || se->next >= se->nunits) {
			pthread_mutex_unlock(&se->lock);
			break;
		}
		u = &se->units[se->next++];
		pthread_mutex_unlock(&se->lock);
		if ((error = scan_unit(w, u)) < 0) {
			u->error = error;
			u->errmsg = rh__strdup(rh_error_last());
		}
		pthread_mutex_lock(&se->lock);
		u->held = u->head.size + u->tail.size + u->text.size +
		          u->nhits * sizeof(*u->hits);
		se->held += u->held;
		u->done = 1;
		pthread_cond_broadcast(&se->cv_done);
		pthread_mutex_unlock(&se->lock);
	}
	rh_logfile_close(w->f);
	w->f = NULL;
	rh__filter_dispose(&w->filt);
	rh_buf_dispose(&w->fhold);
	return NULL;
}

/* ---- the files to search -------------------------------------------------- */

struct plan {
	struct search *se;
	const rh_search_options *o;
	rh_node_manifest **nodes;
	size_t nnodes, ncap, fcap, ucap;
};

static int
glob_ok(const char *glob, const char *path)
{
	const char *base = strrchr(path, '/');

	if (!glob)
		return 1;
	return fnmatch(glob, strchr(glob, '/') || !base ? path : base + 1, 0) ==
	       0;
}

static int
add_unit(struct plan *pl, size_t file, size_t part, uint64_t off, uint64_t end)
{
	struct search *se = pl->se;

	if (se->nunits == pl->ucap) {
		size_t cap = pl->ucap ? pl->ucap * 2 : 64;
		struct unit *n = realloc(se->units, cap * sizeof(*n));
		if (!n)
			return RH_ENOMEM;
		se->units = n;
		pl->ucap = cap;
	}
	memset(&se->units[se->nunits], 0, sizeof(se->units[0]));
	se->units[se->nunits].file = file;
	se->units[se->nunits].part = part;
	se->units[se->nunits].off = off;
	se->units[se->nunits].end = end;
	se->nunits++;
	return 0;
}

/* A file's chunks: each part's frames start at the part's first byte. */
static int
add_file(struct plan *pl, const rh_node_manifest *m, const rh_file_info *info)
{
	struct search *se = pl->se;
	struct sfile *sf;
	uint64_t end = info->size, o, pe;
	uint64_t chunk = pl->o->chunk_size ? pl->o->chunk_size : CHUNK;
	size_t i, k;
	int error;

	if (pl->o->at_ms != INT64_MAX) {
		uint64_t at = 0;
		for (i = 0; i < info->nparts; i++)
			if (info->parts[i].captured_ms <= pl->o->at_ms &&
			    info->parts[i].offset + info->parts[i].length > at)
				at = info->parts[i].offset +
				     info->parts[i].length;
		end = at < end ? at : end;
	}
	if (se->nfiles == pl->fcap) {
		size_t cap = pl->fcap ? pl->fcap * 2 : 64;
		struct sfile *n = realloc(se->files, cap * sizeof(*n));
		if (!n)
			return RH_ENOMEM;
		se->files = n;
		pl->fcap = cap;
	}
	k = se->nfiles++;
	sf = &se->files[k];
	sf->m = m;
	sf->info = info;
	sf->end = end;
	for (i = 0; i < info->nparts; i++) {
		const rh_file_part *p = &info->parts[i];

		pe = p->offset + p->length < end ? p->offset + p->length : end;
		for (o = p->offset; o < pe; o += chunk)
			if ((error = add_unit(pl, k, i, o,
			                      pe - o > chunk ? o + chunk :
			                                       pe)) < 0)
				return error;
	}
	return 0;
}

static int
add_node(struct plan *pl, const char *id)
{
	rh_node_manifest *m = NULL, **n;
	size_t i, count;
	int error;

	if ((error = rh_node_manifest_load(&m, pl->se->st, pl->se->s, id)) < 0)
		return error;
	if (pl->nnodes == pl->ncap) {
		size_t cap = pl->ncap ? pl->ncap * 2 : 16;
		if (!(n = realloc(pl->nodes, cap * sizeof(*n)))) {
			rh_node_manifest_free(m);
			return RH_ENOMEM;
		}
		pl->nodes = n;
		pl->ncap = cap;
	}
	pl->nodes[pl->nnodes++] = m;
	count = rh_node_manifest_file_count(m);
	for (i = 0; i < count; i++) {
		const rh_file_info *f = rh_node_manifest_file(m, i);
		if (glob_ok(pl->o->file_glob, f->path) &&
		    (error = add_file(pl, m, f)) < 0)
			return error;
	}
	return 0;
}

struct ids {
	char **v;
	size_t n, cap;
};

static int
collect_id(const char *name, void *payload)
{
	struct ids *ids = payload;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 16;
		char **n = realloc(ids->v, cap * sizeof(*n));
		if (!n)
			return RH_ENOMEM;
		ids->v = n;
		ids->cap = cap;
	}
	if (!(ids->v[ids->n] = rh__strdup(name)))
		return RH_ENOMEM;
	ids->n++;
	return 0;
}

static int
plan(struct plan *pl)
{
	struct ids ids = { NULL, 0, 0 };
	size_t i;
	int error;

	if (pl->o->node)
		return add_node(pl, pl->o->node);
	error = rh_catalog_list_nodes(pl->se->st, pl->se->s, collect_id, &ids);
	for (i = 0; i < ids.n && error >= 0; i++) {
		/* a node with files but no manifest yet has nothing to read */
		if ((error = add_node(pl, ids.v[i])) == RH_ENOTFOUND) {
			rh_error_clear();
			error = 0;
		}
	}
	for (i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	return error;
}

/* ---- the call ------------------------------------------------------------ */

/* Check the arguments, zeroing *stats first (up to the fields its version
 * has) so a caller sees no stale counts even on error. */
static int
check_args(rh_search_stats *stats, rh_store *st, const rh_session_ref *s,
           const char *pattern, rh_search_cb cb, const rh_search_options *o)
{
	rh_search_stats st0;

	if (stats &&
	    (stats->version < 1 || stats->version > RH_SEARCH_STATS_VERSION))
		return rh__error(RH_EINVAL,
		                 "rh_search_stats: version %u, want "
		                 "1 to %u (initialise it with its _INIT "
		                 "macro)",
		                 stats->version, RH_SEARCH_STATS_VERSION);
	memset(&st0, 0, sizeof(st0));
	if (stats) {
		st0.version = stats->version;
		memcpy(stats, &st0,
		       stats->version >= 2 ?
		               sizeof(st0) :
		               offsetof(rh_search_stats, skipped));
	}
	if (!st || !s || !pattern || !cb)
		return rh__error(RH_EINVAL, "rh_search_session: NULL argument");
	if (o->version < 1 || o->version > RH_SEARCH_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_search_options: version %u, "
		                 "want 1 to %u",
		                 o->version, RH_SEARCH_OPTIONS_VERSION);
	return 0;
}

/* Compile the pattern once, so a bad one is reported before anything is
 * read, and keep what a frame must hold: the fixed string, or the regex's
 * literal. */
static int
query_init(rh__filter_query *q, const char *pattern, unsigned flags)
{
	rh__matcher probe;
	int error;

	if ((error = rh__matcher_init(&probe, pattern, flags)) < 0)
		return error;
	error = probe.regex ? rh__filter_query_init(q, probe.lit, probe.llen) :
	                      rh__filter_query_init(q, probe.pat, probe.plen);
	rh__matcher_dispose(&probe);
	return error;
}

/* Start the `nw` workers of w, each with its own matcher; *started counts
 * those running, which stop_workers must join whatever this returns. */
static int
start_workers(struct search *se, struct worker *w, size_t nw,
              const char *pattern, unsigned flags, size_t *started)
{
	size_t i;
	int error;

	for (i = 0; i < nw; i++) {
		w[i].se = se;
		if ((error = rh__matcher_init(&w[i].m, pattern, flags)) < 0)
			return error;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			rh__matcher_dispose(&w[i].m);
			return rh__error(RH_ERROR,
			                 "cannot start a search thread");
		}
		(*started)++;
	}
	return 0;
}

static void
stop_workers(struct search *se, struct worker *w, size_t started)
{
	size_t i;

	pthread_mutex_lock(&se->lock);
	se->stop = 1;
	pthread_cond_broadcast(&se->cv_space);
	pthread_mutex_unlock(&se->lock);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		rh__matcher_dispose(&w[i].m);
		rh_buf_dispose(&w[i].buf);
	}
}

static void
search_dispose(struct search *se, struct plan *pl)
{
	size_t i;

	for (i = 0; i < se->nunits; i++)
		rh__search_unit_dispose(&se->units[i]);
	free(se->units);
	free(se->files);
	for (i = 0; i < pl->nnodes; i++)
		rh_node_manifest_free(pl->nodes[i]);
	free(pl->nodes);
	rh__filter_query_dispose(&se->q);
	pthread_cond_destroy(&se->cv_space);
	pthread_cond_destroy(&se->cv_done);
	pthread_mutex_destroy(&se->lock);
}

RH_EXTERN int
rh_search_session(rh_search_stats *stats, rh_store *st, const rh_session_ref *s,
                  const char *pattern, const rh_search_options *opts,
                  rh_search_cb cb, void *payload)
{
	static const rh_search_options dflt = RH_SEARCH_OPTIONS_INIT;
	const rh_search_options *o = opts ? opts : &dflt;
	struct search se;
	struct plan pl;
	struct worker *w = NULL;
	size_t nw = 0, started = 0;
	long cpus;
	int error;

	if ((error = check_args(stats, st, s, pattern, cb, o)) < 0)
		return error;
	memset(&se, 0, sizeof(se));
	if ((error = query_init(&se.q, pattern, o->flags)) < 0)
		return error;
	memset(&pl, 0, sizeof(pl));
	se.st = st;
	se.s = s;
	se.pattern = pattern;
	se.flags = o->flags;
	pl.se = &se;
	pl.o = o;
	pthread_mutex_init(&se.lock, NULL);
	pthread_cond_init(&se.cv_done, NULL);
	pthread_cond_init(&se.cv_space, NULL);
	if ((error = plan(&pl)) < 0)
		goto done;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	nw = o->threads ? o->threads : cpus > 0 ? (size_t)cpus : 1;
	nw = nw > se.nunits ? se.nunits : nw;
	if (nw && !(w = rh__calloc(nw, sizeof(*w)))) {
		error = RH_ENOMEM;
		goto done;
	}
	if ((error = start_workers(&se, w, nw, pattern, o->flags, &started)) ==
	    0)
		error = rh__search_report(&se, o, stats, cb, payload);
	stop_workers(&se, w, started);
done:
	search_dispose(&se, &pl);
	free(w);
	return error;
}
