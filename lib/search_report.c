/* search_report.c - the caller's side of rh_search_session(): take the
 * workers' chunks in file order, number their lines, test the lines that
 * straddle chunks, and add grep -C context read back from the store. */
#include "search_internal.h"

#include <string.h>

#define NO_FILE SIZE_MAX
#define READ_STEP (64u << 10)

struct rep {
	struct search *se;
	const rh_search_options *o;
	rh_search_stats *stats;
	rh_search_cb cb;
	void *payload;
	rh__matcher m;
	size_t file;        /* the file being reported, or NO_FILE */
	int broken;         /* a chunk of it could not be read */
	uint64_t line;      /* the number of the line `pending` holds */
	uint64_t pend_off;  /* its offset */
	rh_buf pending;     /* the start of a line a chunk ended in */
	rh_logfile *f;      /* for context lines, opened when needed */
	uint64_t last_line; /* the last line reported of this file */
	uint64_t last_end;  /* the offset after it and its '\n' */
	unsigned after;     /* lines of context still owed after it */
	int any;            /* has anything been reported? */
	size_t last_file;
	int stopped; /* max_matches reached */
	rh_buf tmp;
	rh_buf err; /* the first unreadable file's message */
};

static const struct sfile *
cur(const struct rep *r)
{
	return &r->se->files[r->file];
}

static int
report(struct rep *r, uint64_t line, uint64_t off, const char *text, size_t len,
       int context)
{
	rh_search_line l;

	l.node_id = rh_node_manifest_node_id(cur(r)->m);
	l.path = cur(r)->info->path;
	l.line = line;
	l.offset = off;
	l.text = text ? text : "";
	l.len = len;
	l.context = context;
	l.group_start =
		r->any && (r->last_file != r->file || line != r->last_line + 1);
	r->any = 1;
	r->last_file = r->file;
	r->last_line = line;
	r->last_end = off + len + 1;
	return r->cb(&l, r->payload);
}

static int
ctx_file(struct rep *r)
{
	if (r->f)
		return 0;
	return rh_logfile_open_manifest(&r->f, r->se->st, r->se->s, cur(r)->m,
	                                cur(r)->info->path);
}

/* The line at `off` (without its '\n') into r->tmp. */
static int
read_line(struct rep *r, uint64_t off)
{
	uint64_t end = cur(r)->end;
	size_t before;
	const char *nl;
	int error;

	rh_buf_clear(&r->tmp);
	while (off < end) {
		uint64_t want = end - off < READ_STEP ? end - off : READ_STEP;
		before = r->tmp.size;
		if ((error = rh_logfile_read(&r->tmp, r->f, off,
		                             (size_t)want)) < 0)
			return error;
		if (r->tmp.size == before)
			break;
		if ((nl = memchr(r->tmp.ptr + before, '\n',
		                 r->tmp.size - before))) {
			r->tmp.size = (size_t)(nl - r->tmp.ptr);
			break;
		}
		off += r->tmp.size - before;
	}
	return 0;
}

/* Context owed after the last line reported, up to line `limit`. */
static int
flush_after(struct rep *r, uint64_t limit)
{
	int error;

	while (r->after && r->last_line < limit && r->last_end < cur(r)->end) {
		if ((error = ctx_file(r)) < 0 ||
		    (error = read_line(r, r->last_end)) < 0)
			return error;
		r->after--;
		if ((error = report(r, r->last_line + 1, r->last_end,
		                    r->tmp.ptr, r->tmp.size, 1)) != 0)
			return error;
	}
	return 0;
}

/* Context before line `line` at `off`: up to o->context lines, none that
 * was reported already. Read backwards in growing windows. */
static int
before(struct rep *r, uint64_t line, uint64_t off)
{
	uint64_t first, k, lo, ws, win = 4096, j;
	size_t starts[64], *sv = starts, end, i;
	const char *nl;
	int error = 0;

	first = line > r->o->context ? line - r->o->context : 1;
	if (first <= r->last_line)
		first = r->last_line + 1;
	if (first >= line)
		return 0;
	k = line - first;
	lo = r->last_line ? r->last_end : 0;
	if ((error = ctx_file(r)) < 0)
		return error;
	for (;;) {
		ws = off - lo > win ? off - win : lo;
		rh_buf_clear(&r->tmp);
		if ((error = rh_logfile_read(&r->tmp, r->f, ws,
		                             (size_t)(off - ws))) < 0)
			return error;
		if (ws == lo || rh__count_nl(r->tmp.ptr, r->tmp.size) > k)
			break;
		win *= 4;
	}
	if (k > RH_ARRAY_SIZE(starts) && !(sv = malloc(k * sizeof(*sv))))
		return RH_ENOMEM;
	/* tmp ends with the '\n' of line-1; walk back k line starts */
	end = r->tmp.size;
	for (j = k; j-- > 0;) {
		nl = end > 1 ? memrchr(r->tmp.ptr, '\n', end - 1) : NULL;
		sv[j] = nl ? (size_t)(nl - r->tmp.ptr) + 1 : 0;
		end = sv[j];
	}
	for (i = 0; i < k && !error; i++) {
		end = i + 1 < k ? sv[i + 1] : r->tmp.size;
		error = report(r, line - k + i, ws + sv[i], r->tmp.ptr + sv[i],
		               end - sv[i] - 1, 1);
	}
	if (sv != starts)
		free(sv);
	return error;
}

static int
emit_match(struct rep *r, uint64_t line, uint64_t off, const char *text,
           size_t len)
{
	int error;

	if (r->o->context && ((error = flush_after(r, line - 1)) != 0 ||
	                      (error = before(r, line, off)) != 0))
		return error;
	if ((error = report(r, line, off, text, len, 0)) != 0)
		return error;
	r->after = r->o->context;
	if (++r->stats->matches == r->o->max_matches)
		r->stopped = 1;
	return 0;
}

static int
test_pending(struct rep *r)
{
	int error = rh__matcher_line(
		&r->m, r->pending.ptr ? r->pending.ptr : "", r->pending.size);

	if (error <= 0)
		return error;
	return emit_match(r, r->line, r->pend_off, r->pending.ptr,
	                  r->pending.size);
}

static int
end_file(struct rep *r)
{
	int error = 0;

	if (r->file == NO_FILE)
		return 0;
	/* the last line, when the file does not end with '\n' */
	if (!r->broken && !r->stopped && r->pending.size)
		error = test_pending(r);
	if (!error && !r->broken)
		error = flush_after(r, UINT64_MAX);
	r->stats->files++;
	rh_logfile_close(r->f);
	r->f = NULL;
	r->file = NO_FILE;
	return error;
}

static void
start_file(struct rep *r, size_t file)
{
	r->file = file;
	r->broken = 0;
	r->line = 1;
	r->pend_off = 0;
	rh_buf_clear(&r->pending);
	r->last_line = 0;
	r->last_end = 0;
	r->after = 0;
}

static int
take_unit(struct rep *r, const struct unit *u)
{
	size_t i;
	int error;

	r->stats->bytes += u->end - u->off;
	if (u->skipped)
		r->stats->skipped += u->end - u->off;
	if (u->error) {
		/* the rest of the file is skipped: its line numbers are lost */
		if (!r->stats->errors++ &&
		    rh_buf_puts(&r->err,
		                u->errmsg ? u->errmsg : "read failed") < 0)
			return RH_ENOMEM;
		r->broken = 1;
		return 0;
	}
	if (rh_buf_put(&r->pending, u->head.ptr, u->head.size) < 0)
		return RH_ENOMEM;
	if (u->nl == 0)
		return 0; /* the line goes on in the next chunk */
	if ((error = test_pending(r)) != 0)
		return error;
	for (i = 0; i < u->nhits && !r->stopped; i++) {
		const struct hit *h = &u->hits[i];
		if ((error = emit_match(r, r->line + h->rel, h->off,
		                        u->text.ptr + h->tpos, h->len)) != 0)
			return error;
	}
	r->line += u->nl;
	rh_buf_clear(&r->pending);
	r->pend_off = u->end - u->tail.size;
	return rh_buf_put(&r->pending, u->tail.ptr, u->tail.size);
}

/* Tell the caller how far the search has come (options version 2). */
static void
progress(const rh_search_options *o, const rh_search_stats *stats,
         rh_progress *p)
{
	if (o->version < 2 || !o->progress)
		return;
	p->bytes_done = stats->bytes;
	p->files_done = stats->files;
	o->progress(p, o->progress_payload);
}

int
rh__search_report(struct search *se, const rh_search_options *o,
                  rh_search_stats *stats, rh_search_cb cb, void *payload)
{
	rh_search_stats local; /* the newest version; copied out at the end */
	rh_progress p = { 0, 0, 0, 0 };
	struct rep r;
	size_t k;
	int error;

	for (k = 0; k < se->nfiles; k++)
		p.bytes_total += se->files[k].end;
	p.files_total = se->nfiles;

	memset(&r, 0, sizeof(r));
	memset(&local, 0, sizeof(local));
	r.se = se;
	r.o = o;
	local.version = RH_SEARCH_STATS_VERSION;
	r.stats = &local;
	r.cb = cb;
	r.payload = payload;
	r.file = NO_FILE;
	if ((error = rh__matcher_init(&r.m, se->pattern, se->flags)) < 0)
		return error;
	for (k = 0; k < se->nunits && !error && !r.stopped; k++) {
		struct unit *u = &se->units[k];

		pthread_mutex_lock(&se->lock);
		while (!u->done)
			pthread_cond_wait(&se->cv_done, &se->lock);
		pthread_mutex_unlock(&se->lock);
		if (u->file != r.file) {
			error = end_file(&r);
			start_file(&r, u->file);
		}
		if (!error && !r.broken)
			error = take_unit(&r, u);
		rh__search_unit_dispose(u);
		pthread_mutex_lock(&se->lock);
		se->reported = k + 1;
		se->held -= u->held;
		pthread_cond_broadcast(&se->cv_space);
		pthread_mutex_unlock(&se->lock);
		progress(o, r.stats, &p);
	}
	if (!error)
		error = end_file(&r);
	if (!error && !r.stopped) {
		/* every file is done: the final state */
		p.files_done = p.files_total;
		p.bytes_done = p.bytes_total;
		if (o->version >= 2 && o->progress)
			o->progress(&p, o->progress_payload);
	}
	if (!error && r.err.size)
		rh__error(0, "%s", r.err.ptr);
	rh__matcher_dispose(&r.m);
	rh_logfile_close(r.f);
	rh_buf_dispose(&r.pending);
	rh_buf_dispose(&r.tmp);
	rh_buf_dispose(&r.err);
	if (stats) {
		local.version = stats->version;
		memcpy(stats, &local,
		       stats->version >= 2 ?
		               sizeof(local) :
		               offsetof(rh_search_stats, skipped));
	}
	return error;
}
