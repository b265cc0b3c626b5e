/* index_write.c - serialize a finished history as an index (index_format.h)
 * in one streaming pass: sections are generated in order into a small
 * buffer, page CRCs are computed on the way, and the directory and trailer
 * come last, so nothing is held twice in memory. */
#include "internal.h"
#include "history_internal.h"
#include "index_format.h"

#include <ctype.h>

#define FLUSH_AT (1u << 20)

typedef int (*ixw_sink)(void *ctx, const void *data, size_t len);

typedef struct ixw_dirent {
	uint32_t id, elem;
	uint64_t off, size, count;
} ixw_dirent;

typedef struct ixw {
	ixw_sink sink;
	void *ctx;
	rh_buf buf;
	uint64_t pos;
	uint32_t page_crc;
	size_t page_fill; /* bytes of the page summed in page_crc */
	size_t crc_from;  /* buf's bytes from here on are not summed */
	rh_buf crcs;
	int paging;
	ixw_dirent dir[IX_MAX_SECTIONS];
	int nsec;
	rh_history *h;
	uint32_t *soff, *row_of, *rank;
	hb_map lc;     /* string id -> id of its lower case; see lower_of() */
	uint64_t xoff; /* next offset in IX_EXTRA while sizing */
} ixw;

/* ---------------------------------------------------------------- output */

static int
w_flush(ixw *w)
{
	int error = 0;

	if (w->buf.size)
		error = w->sink(w->ctx, w->buf.ptr, w->buf.size);
	rh_buf_clear(&w->buf);
	w->crc_from = 0;
	return error;
}

static int
page_done(ixw *w)
{
	unsigned char b[4];

	ix_put32(b, w->page_crc);
	w->page_crc = 0;
	w->page_fill = 0;
	return rh_buf_put(&w->crcs, b, 4);
}

/* Sum the buffered bytes not summed yet into their pages' CRCs. Pages are
 * summed when they fill or before the buffer is flushed, not on every put:
 * most puts are 4 or 8 bytes, and a CRC call each was 5% of writing an
 * index. */
static int
crc_catch_up(ixw *w)
{
	const unsigned char *p =
		(const unsigned char *)w->buf.ptr + w->crc_from;
	size_t left = w->buf.size - w->crc_from;
	int error;

	w->crc_from = w->buf.size;
	while (left) {
		size_t n = IX_PAGE_SIZE - w->page_fill;

		if (n > left)
			n = left;
		w->page_crc = rh__crc32c(w->page_crc, p, n);
		w->page_fill += n;
		p += n;
		left -= n;
		if (w->page_fill == IX_PAGE_SIZE && (error = page_done(w)) < 0)
			return error;
	}
	return 0;
}

static int
w_put(ixw *w, const void *data, size_t len)
{
	int error;

	if ((error = rh_buf_put(&w->buf, data, len)) < 0)
		return error;
	w->pos += len;
	if (!w->paging)
		w->crc_from = w->buf.size;
	else if (w->page_fill + (w->buf.size - w->crc_from) >= IX_PAGE_SIZE &&
	         (error = crc_catch_up(w)) < 0)
		return error;
	if (w->buf.size < FLUSH_AT)
		return 0;
	if (w->paging && (error = crc_catch_up(w)) < 0)
		return error;
	return w_flush(w);
}

static int
w_u32(ixw *w, uint32_t v)
{
	unsigned char b[4];

	ix_put32(b, v);
	return w_put(w, b, 4);
}

static int
w_u64(ixw *w, uint64_t v)
{
	unsigned char b[8];

	ix_put64(b, v);
	return w_put(w, b, 8);
}

static int
w_align(ixw *w)
{
	static const unsigned char zero[8];

	return w->pos % 8 ? w_put(w, zero, 8 - w->pos % 8) : 0;
}

static int
sec_begin(ixw *w, uint32_t id, uint32_t elem)
{
	int error;

	if ((error = w_align(w)) < 0)
		return error;
	if (w->nsec == IX_MAX_SECTIONS)
		return rh__error(RH_ERROR, "too many index sections");
	w->dir[w->nsec].id = id;
	w->dir[w->nsec].elem = elem;
	w->dir[w->nsec].off = w->pos;
	return 0;
}

static void
sec_end(ixw *w, uint64_t count)
{
	w->dir[w->nsec].size = w->pos - w->dir[w->nsec].off;
	w->dir[w->nsec].count = count;
	w->nsec++;
}

/* ---------------------------------------------------------------- strings */

static uint32_t
S(const ixw *w, uint32_t id)
{
	return id ? w->soff[id] : 0;
}

/* The id of the lower-cased string of `id` (itself when already lower). */
static int
lower_of(ixw *w, uint32_t *out, uint32_t id)
{
	rh_strtab *t = &w->h->strs;
	const char *s;
	char *tmp;
	uint32_t n, i, lid;
	int error, upper = 0;

	*out = 0;
	if (!id)
		return 0;
	if ((lid = hb_map_get(&w->lc, id))) {
		*out = lid;
		return 0;
	}
	s = rh_strtab_get(t, id);
	n = rh_strtab_len(t, id);
	for (i = 0; i < n && !upper; i++)
		upper = s[i] >= 'A' && s[i] <= 'Z';
	lid = id;
	if (upper) {
		if (!(tmp = rh__malloc(n + 1)))
			return RH_ENOMEM;
		for (i = 0; i < n; i++)
			tmp[i] = (char)tolower(
				(unsigned char)rh_strtab_get(t, id)[i]);
		error = rh_strtab_intern(t, &lid, tmp, n);
		free(tmp);
		if (error < 0)
			return error;
	}
	/* a map, not an array by id: few strings are keys, and the array
	 * cost 8 B for every string at the build's peak (issue 18) */
	if ((error = hb_map_put(&w->lc, id, lid)) < 0 ||
	    (lid != id && (error = hb_map_put(&w->lc, lid, lid)) < 0))
		return error;
	*out = lid;
	return 0;
}

static int
task_keys_lower(ixw *w)
{
	size_t i;
	uint32_t dummy;
	int error;

	for (i = 0; i < w->h->tasks.n; i++) {
		hb_task *t = hb_pool_at(&w->h->tasks, i);

		if ((error = lower_of(w, &dummy, t->job)) < 0 ||
		    (error = lower_of(w, &dummy, t->name)) < 0 ||
		    (error = lower_of(w, &dummy, t->func)) < 0 ||
		    (error = lower_of(w, &dummy, t->node)) < 0 ||
		    (error = lower_of(w, &dummy, t->actor)) < 0 ||
		    (error = lower_of(w, &dummy, t->worker)) < 0)
			return error;
	}
	return 0;
}

typedef struct skey {
	uint64_t prefix;
	uint64_t prefix2; /* bytes 8 to 15, big-endian, zero-padded */
	uint32_t id, aux;
} skey;

static int
skey_cmp(const void *a, const void *b, void *ctx)
{
	const skey *x = a, *y = b;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if (x->prefix2 != y->prefix2)
		return x->prefix2 < y->prefix2 ? -1 : 1;
	if ((c = rh_strtab_cmp(ctx, x->id, y->id)))
		return c;
	return (x->aux > y->aux) - (x->aux < y->aux);
}

/* Sorting the string table: per string id, the 16 bytes from the depth
 * being sorted as two big-endian integers, and whether more bytes follow.
 * The sort moves 4-byte ids and reads these beside them: moving whole keys
 * (and qsort's merge buffer of as many) cost 48 bytes a string at the
 * index build's peak, ~6M strings at 1M tasks (issue 18). */
typedef struct ckey {
	uint64_t a, b;
} ckey;

typedef struct csort {
	const rh_strtab *t;
	ckey *k;       /* by string id */
	uint8_t *more; /* by string id: bytes follow the chunk */
} csort;

/* The 16 bytes of string `id` from `depth` on, big-endian, zero-padded. */
static void
chunk_key(csort *c, uint32_t id, size_t depth)
{
	const unsigned char *s = (const unsigned char *)rh_strtab_get(c->t, id);
	size_t n = rh_strtab_len(c->t, id), i;
	unsigned char b[16] = { 0 };
	uint64_t x = 0, y = 0;

	if (n > depth)
		memcpy(b, s + depth, n - depth < 16 ? n - depth : 16);
	for (i = 0; i < 8; i++) {
		x = x << 8 | b[i];
		y = y << 8 | b[8 + i];
	}
	c->k[id].a = x;
	c->k[id].b = y;
	c->more[id] = n > depth + 16;
}

static int
chunk_cmp(const void *a, const void *b, void *ctx)
{
	const ckey *k = ((const csort *)ctx)->k;
	const ckey *x = &k[*(const uint32_t *)a], *y = &k[*(const uint32_t *)b];

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return 0;
}

static int
full_cmp(const void *a, const void *b, void *ctx)
{
	return rh_strtab_cmp(((const csort *)ctx)->t, *(const uint32_t *)a,
	                     *(const uint32_t *)b);
}

/* Sort distinct string ids v[0, n) whose first `depth` bytes are equal, 16
 * bytes at a time: the chunks are compared as two integers, and only runs
 * that share a chunk go on to the next one. Many strings share long
 * prefixes (JSON texts such as '{"name": "f", "task_id": "...'), which
 * made comparing whole strings most of writing an index. The strings are
 * distinct, so the order does not depend on the sort algorithm. */
static void
sort_strings(csort *c, uint32_t *v, size_t n, size_t depth)
{
	size_t i, j, m;

	if (n < 2)
		return;
	if (n < 16 || depth > 4096) {
		/* few, or very long shared prefixes: compare whole strings */
		qsort_r(v, n, sizeof(*v), full_cmp, c);
		return;
	}
	for (i = 0; i < n; i++)
		chunk_key(c, v[i], depth);
	qsort_r(v, n, sizeof(*v), chunk_cmp, c);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !chunk_cmp(&v[i], &v[j], c); j++)
			;
		if (j - i < 2)
			continue;
		for (m = i; m < j && !c->more[v[m]]; m++)
			;
		if (m == j) {
			/* all end within the chunk: equal but for trailing
			 * NULs, so the shorter comes first */
			qsort_r(v + i, j - i, sizeof(*v), full_cmp, c);
			continue;
		}
		sort_strings(c, v + i, j - i, depth + 16);
	}
}

static int
emit_strings(ixw *w)
{
	rh_strtab *t = &w->h->strs;
	csort c = { t, NULL, NULL };
	uint32_t *order, i;
	uint64_t off = 1;
	int error = 0;

	if (!(order = rh__malloc(t->n * sizeof(*order))))
		return RH_ENOMEM;
	if (!(c.k = rh__malloc(t->n * sizeof(*c.k))) ||
	    !(c.more = rh__malloc(t->n))) {
		free(c.k);
		free(order);
		return RH_ENOMEM;
	}
	for (i = 1; i < t->n; i++)
		order[i - 1] = i;
	sort_strings(&c, order, t->n - 1, 0);
	free(c.k);
	free(c.more);
	/* allocated after the sort's keys are gone, to keep the peak low */
	if (!(w->soff = rh__calloc(t->n, sizeof(*w->soff))) ||
	    !(w->rank = rh__calloc(t->n, sizeof(*w->rank)))) {
		free(order);
		return RH_ENOMEM;
	}
	if ((error = sec_begin(w, IX_STRS, 1)) < 0 ||
	    (error = w_put(w, "", 1)) < 0)
		goto done;
	for (i = 0; i + 1 < t->n; i++) {
		unsigned char leb[5];
		uint32_t n, v;
		size_t k = 0;

		/* sorted order visits the text at random: ask for it early */
		if (i + 16 + 1 < t->n)
			__builtin_prefetch(t->data + t->off[order[i + 16]]);
		if (i + 32 + 1 < t->n)
			__builtin_prefetch(&t->off[order[i + 32]]);
		n = v = rh_strtab_len(t, order[i]);

		if (off > UINT32_MAX - 16 - (uint64_t)n) {
			error = rh__error(RH_ENOMEM,
			                  "index strings exceed 4 GiB");
			goto done;
		}
		w->soff[order[i]] = (uint32_t)off;
		w->rank[order[i]] = i + 1;
		do {
			leb[k] = v & 0x7f;
			v >>= 7;
			if (v)
				leb[k] |= 0x80;
			k++;
		} while (v);
		if ((error = w_put(w, leb, k)) < 0 ||
		    (error = w_put(w, rh_strtab_get(t, order[i]), n)) < 0)
			goto done;
		off += k + n;
	}
	sec_end(w, t->n - 1);
done:
	free(order);
	return error;
}

/* ---------------------------------------------------------------- extras */

static uint32_t
task_extra_size(const hb_task *t)
{
	return 4 + t->tr.n * 12 + 4 + (t->has_log ? 40 : 0) + 16 +
	       t->nprof * 24;
}

static uint32_t
tr_extra_size(const hb_trvec *v)
{
	return 4 + v->n * 12;
}

static int
w_trs(ixw *w, const hb_trvec *v)
{
	uint32_t i;
	int error;

	if ((error = w_u32(w, v->n)) < 0)
		return error;
	for (i = 0; i < v->n; i++)
		if ((error = w_u64(w, (uint64_t)v->v[i].t)) < 0 ||
		    (error = w_u32(w, (uint32_t)v->v[i].state)) < 0)
			return error;
	return 0;
}

static int
emit_extras(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_EXTRA, 1)) < 0)
		return error;
	for (i = 0; i < h->tasks.n; i++) {
		const hb_task *t = hb_pool_at(&h->tasks, h->task_order[i]);
		uint32_t k;

		if ((error = w_trs(w, &t->tr)) < 0 ||
		    (error = w_u32(w, t->has_log)) < 0)
			return error;
		if (t->has_log &&
		    ((error = w_u32(w, S(w, t->out_file))) < 0 ||
		     (error = w_u32(w, S(w, t->err_file))) < 0 ||
		     (error = w_u64(w, (uint64_t)t->out_start)) < 0 ||
		     (error = w_u64(w, (uint64_t)t->out_end)) < 0 ||
		     (error = w_u64(w, (uint64_t)t->err_start)) < 0 ||
		     (error = w_u64(w, (uint64_t)t->err_end)) < 0))
			return error;
		if ((error = w_u32(w, S(w, t->ctype))) < 0 ||
		    (error = w_u32(w, S(w, t->cid))) < 0 ||
		    (error = w_u32(w, S(w, t->cip))) < 0 ||
		    (error = w_u32(w, t->nprof)) < 0)
			return error;
		for (k = 0; k < t->nprof; k++)
			if ((error = w_u32(w, S(w, t->prof[k].name))) < 0 ||
			    (error = w_u32(w, S(w, t->prof[k].extra))) < 0 ||
			    (error = w_u64(w, (uint64_t)t->prof[k].start)) <
			            0 ||
			    (error = w_u64(w, (uint64_t)t->prof[k].end)) < 0)
				return error;
	}
	for (i = 0; i < h->actors.n; i++)
		if ((error = w_trs(w, &((hb_actor *)hb_pool_at(
						&h->actors, h->actor_order[i]))
		                               ->tr)) < 0)
			return error;
	for (i = 0; i < h->njob_rows; i++)
		if ((error = w_trs(w, &((hb_job *)hb_pool_at(&h->jobs,
		                                             h->job_order[i]))
		                               ->tr)) < 0)
			return error;
	for (i = 0; i < h->nodes.n; i++)
		if ((error = w_trs(w, &((hb_node *)hb_pool_at(&h->nodes,
		                                              h->node_order[i]))
		                               ->tr)) < 0)
			return error;
	for (i = 0; i < h->pgs.n; i++)
		if ((error = w_trs(
			     w, &((hb_pg *)hb_pool_at(&h->pgs, h->pg_order[i]))
					 ->tr)) < 0)
			return error;
	sec_end(w, 0);
	return 0;
}

/* ---------------------------------------------------------------- tasks */

static int
hex_to_bin(unsigned char *out, const char *s, uint32_t n)
{
	uint32_t i;

	if (n != 48)
		return -1;
	for (i = 0; i < 48; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' :
		        c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		                               -1;

		if (v < 0)
			return -1;
		if (i % 2)
			out[i / 2] |= (unsigned char)v;
		else
			out[i / 2] = (unsigned char)(v << 4);
	}
	return 0;
}

static int
emit_tasks(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_TASK, IX_TASK_SIZE)) < 0)
		return error;
	for (i = 0; i < h->tasks.n; i++) {
		const hb_task *t = hb_pool_at(&h->tasks, h->task_order[i]);
		unsigned char r[IX_TASK_SIZE];
		uint32_t xlen = task_extra_size(t);

		memset(r, 0, sizeof(r));
		if (hex_to_bin(r + TK_ID, rh_strtab_get(&h->strs, t->id),
		               rh_strtab_len(&h->strs, t->id)) < 0) {
			memset(r, 0, 24);
			ix_put32(r + TK_ID, S(w, t->id));
			r[TK_FLAGS] |= TK_F_IDSTR;
		}
		ix_put32(r + TK_ATTEMPT, (uint32_t)t->attempt);
		ix_put32(r + TK_JOB, S(w, t->job));
		ix_put32(r + TK_NAME, S(w, t->name));
		ix_put32(r + TK_FUNC, S(w, t->func));
		ix_put32(r + TK_PARENT, S(w, t->parent));
		ix_put32(r + TK_ACTOR, S(w, t->actor));
		ix_put32(r + TK_NODE, S(w, t->node));
		ix_put32(r + TK_WORKER, S(w, t->worker));
		ix_put32(r + TK_PG, S(w, t->pg));
		ix_put32(r + TK_ETYPE, S(w, t->etype));
		ix_put32(r + TK_EMSG, S(w, t->emsg));
		ix_put32(r + TK_LANG, S(w, t->lang));
		ix_put32(r + TK_RES, S(w, t->res));
		ix_put32(r + TK_RENV, S(w, t->renv));
		ix_put32(r + TK_CALLSITE, S(w, t->callsite));
		ix_put32(r + TK_LABELS, S(w, t->labels));
		ix_put32(r + TK_PID, (uint32_t)t->pid);
		r[TK_TYPE] = t->type;
		r[TK_STATE] = t->state;
		r[TK_DBG] = t->dbg;
		ix_put64(r + TK_CREATION, (uint64_t)t->creation);
		ix_put64(r + TK_START, (uint64_t)t->start);
		ix_put64(r + TK_END, (uint64_t)t->end);
		ix_put64(r + TK_XOFF, w->xoff);
		ix_put32(r + TK_XLEN, xlen);
		w->xoff += xlen;
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->tasks.n);
	return 0;
}

static int
emit_byid(ixw *w)
{
	rh_history *h = w->h;
	skey *idx;
	size_t i, n = h->tasks.n;
	int error;

	/* (id, attempt): the attempt rides in aux, biased to sort as signed */
	if (!(idx = rh__malloc((n ? n : 1) * sizeof(*idx))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		const hb_task *t = hb_pool_at(&h->tasks, i);

		/* the strings are ranked already (emit_strings()): a
		 * rank orders as its string does */
		idx[i].prefix = w->rank[t->id];
		idx[i].prefix2 = 0;
		idx[i].id = t->id;
		idx[i].aux = (uint32_t)t->attempt ^ 0x80000000u;
	}
	if (n > 1)
		qsort_r(idx, n, sizeof(*idx), skey_cmp, &h->strs);
	if ((error = sec_begin(w, IX_TASK_BYID, 4)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		uint64_t key =
			(uint64_t)idx[i].id << 32 | (idx[i].aux ^ 0x80000000u);
		uint32_t ti = hb_map_get(&h->task_map, key);

		if ((error = w_u32(w, w->row_of[ti - 1])) < 0)
			goto done;
	}
	sec_end(w, n);
	error = 0;
done:
	free(idx);
	return error;
}

/* ---------------------------------------------------------------- postings */

typedef struct pair {
	uint64_t
		key; /* string rank or enum value, composite: rank << 8 | state */
	uint32_t row;
	uint32_t key_ref, key2;
} pair;

/* Sort pairs by (key, row). They arrive in row order, so a stable sort by
 * key is enough: LSD radix, 16 bits a pass, as many passes as the largest
 * key needs (one for states and types, two for string ranks) - a tenth of
 * what qsort() took on a million tasks per column. `tmp` holds n pairs,
 * `count` RADIX entries. Returns the sorted array: p or tmp. */
#define RADIX (1u << 16)

static pair *
sort_pairs(pair *p, pair *tmp, size_t n, size_t *count)
{
	uint64_t max = 0;
	unsigned shift;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].key > max)
			max = p[i].key;
	for (shift = 0; shift < 64 && (max >> shift); shift += 16) {
		size_t sum = 0;
		pair *t;

		memset(count, 0, RADIX * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(p[i].key >> shift) & 0xffff]++;
		for (i = 0; i < RADIX; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(p[i].key >> shift) & 0xffff]++] = p[i];
		t = p, p = tmp, tmp = t;
	}
	return p;
}

typedef struct dict_ent {
	uint32_t col, key, key2, count;
	uint64_t first;
} dict_ent;

typedef struct postings {
	dict_ent *d;
	size_t nd, ad;
	uint64_t nrows; /* u32 entries written to IX_POST */
	uint32_t *rank; /* string id -> rank in byte order */
} postings;

static uint32_t
task_col(const hb_task *t, int col)
{
	switch (col) {
	case IX_COL_JOB: return t->job;
	case IX_COL_STATE: return t->state;
	case IX_COL_NAME: return t->name;
	case IX_COL_FUNC: return t->func;
	case IX_COL_NODE: return t->node;
	case IX_COL_ACTOR: return t->actor;
	case IX_COL_WORKER: return t->worker;
	case IX_COL_TYPE: return t->type;
	default: return 0;
	}
}

static int
emit_column(ixw *w, postings *ps, int col, pair *pairs, pair *tmp,
            size_t *count)
{
	rh_history *h = w->h;
	size_t i, n = 0, start;
	int error, is_enum = col == IX_COL_STATE || col == IX_COL_TYPE;

	for (i = 0; i < h->tasks.n; i++) {
		const hb_task *t = hb_pool_at(&h->tasks, h->task_order[i]);
		uint32_t v =
			task_col(t, col == IX_COL_JOB_STATE ? IX_COL_JOB : col);

		if (is_enum) {
			pairs[n].key = v;
			pairs[n].key_ref = v;
			pairs[n].key2 = 0;
		} else {
			uint32_t lid;

			if (!v)
				continue;
			if ((error = lower_of(w, &lid, v)) < 0)
				return error;
			pairs[n].key = (uint64_t)ps->rank[lid] << 8;
			pairs[n].key_ref = S(w, lid);
			pairs[n].key2 = 0;
			if (col == IX_COL_JOB_STATE) {
				pairs[n].key |= t->state;
				pairs[n].key2 = t->state;
			}
		}
		pairs[n].row = (uint32_t)i;
		n++;
	}
	pairs = sort_pairs(pairs, tmp, n, count);
	for (start = 0; start < n; start = i) {
		dict_ent *d;

		for (i = start; i < n && pairs[i].key == pairs[start].key; i++)
			if ((error = w_u32(w, pairs[i].row)) < 0)
				return error;
		if (ps->nd == ps->ad) {
			size_t na = ps->ad ? ps->ad * 2 : 256;

			if (!(d = rh__realloc(ps->d, na * sizeof(*d))))
				return RH_ENOMEM;
			ps->d = d;
			ps->ad = na;
		}
		d = &ps->d[ps->nd++];
		d->col = (uint32_t)col;
		d->key = pairs[start].key_ref;
		d->key2 = pairs[start].key2;
		d->count = (uint32_t)(i - start);
		d->first = ps->nrows;
		ps->nrows += i - start;
	}
	return 0;
}

static int
emit_postings(ixw *w)
{
	static const int cols[] = {
		IX_COL_JOB,    IX_COL_STATE, IX_COL_NAME,
		IX_COL_FUNC,   IX_COL_NODE,  IX_COL_ACTOR,
		IX_COL_WORKER, IX_COL_TYPE,  IX_COL_JOB_STATE,
	};
	rh_history *h = w->h;
	postings ps;
	pair *pairs = NULL, *tmp = NULL;
	size_t *count = NULL;
	uint32_t i;
	size_t c;
	int error;

	memset(&ps, 0, sizeof(ps));
	ps.rank = w->rank;
	if (!(pairs = rh__malloc((h->tasks.n ? h->tasks.n : 1) *
	                         sizeof(*pairs))) ||
	    !(tmp = rh__malloc((h->tasks.n ? h->tasks.n : 1) * sizeof(*tmp))) ||
	    !(count = rh__malloc(RADIX * sizeof(*count)))) {
		error = RH_ENOMEM;
		goto done;
	}
	if ((error = sec_begin(w, IX_POST, 4)) < 0)
		goto done;
	for (c = 0; c < RH_ARRAY_SIZE(cols); c++)
		if ((error = emit_column(w, &ps, cols[c], pairs, tmp, count)) <
		    0)
			goto done;
	sec_end(w, ps.nrows);
	if ((error = sec_begin(w, IX_DICT, IX_DICT_SIZE)) < 0)
		goto done;
	for (c = 0; c < ps.nd; c++)
		if ((error = w_u32(w, ps.d[c].col)) < 0 ||
		    (error = w_u32(w, ps.d[c].key)) < 0 ||
		    (error = w_u32(w, ps.d[c].key2)) < 0 ||
		    (error = w_u32(w, ps.d[c].count)) < 0 ||
		    (error = w_u64(w, ps.d[c].first)) < 0)
			goto done;
	sec_end(w, ps.nd);

	if ((error = sec_begin(w, IX_DRIVERS, 4)) < 0)
		goto done;
	for (c = i = 0; c < h->tasks.n; c++) {
		const hb_task *tk = hb_pool_at(&h->tasks, h->task_order[c]);

		if (tk->type == RH_TASK_TYPE_DRIVER_TASK) {
			if ((error = w_u32(w, (uint32_t)c)) < 0)
				goto done;
			i++;
		}
	}
	sec_end(w, i);
	error = 0;
done:
	free(pairs);
	free(tmp);
	free(count);
	free(ps.d);
	return error;
}

/* ---------------------------------------------------------------- others */

static void
put_refs(const ixw *w, unsigned char *r, const uint32_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ix_put32(r + 4 * i, S(w, ids[i]));
}

static int
emit_actors(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_ACTOR, IX_ACTOR_SIZE)) < 0)
		return error;
	for (i = 0; i < h->actors.n; i++) {
		const hb_actor *a = hb_pool_at(&h->actors, h->actor_order[i]);
		unsigned char r[IX_ACTOR_SIZE];
		uint32_t refs[AC_NREFS] = {
			a->id,   a->cls,    a->job,      a->name,
			a->node, a->worker, a->ip,       a->ns,
			a->renv, a->res,    a->death,    a->exit_detail,
			a->pg,   a->repr,   a->callsite, a->labels,
		};

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, AC_NREFS);
		ix_put64(r + 64, (uint64_t)a->pid);
		ix_put64(r + 72, (uint64_t)a->restarts);
		ix_put64(r + 80, (uint64_t)a->start);
		ix_put64(r + 88, (uint64_t)a->end);
		r[96] = (unsigned char)a->state;
		r[97] = a->detached < 0 ? 2 : (unsigned char)a->detached;
		ix_put32(r + 100, tr_extra_size(&a->tr));
		ix_put64(r + 104, w->xoff);
		w->xoff += tr_extra_size(&a->tr);
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->actors.n);
	return 0;
}

static int
emit_jobs(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_JOB, IX_JOB_SIZE)) < 0)
		return error;
	for (i = 0; i < h->njob_rows; i++) {
		const hb_job *j = hb_pool_at(&h->jobs, h->job_order[i]);
		unsigned char r[IX_JOB_SIZE];
		uint32_t refs[JB_NREFS] = {
			j->job_id, j->sub_id, j->entry, j->msg, j->etype,
			j->meta,   j->renv,   j->dnode, j->dip, j->http,
		};

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, JB_NREFS);
		ix_put64(r + 40, (uint64_t)j->start);
		ix_put64(r + 48, (uint64_t)j->end);
		ix_put64(r + 56, (uint64_t)j->dpid);
		ix_put64(r + 64, (uint64_t)j->dexit);
		r[72] = j->is_submission || j->sub_id ? RH_JOB_TYPE_SUBMISSION :
		                                        RH_JOB_TYPE_DRIVER;
		r[73] = (unsigned char)j->status;
		ix_put32(r + 76, tr_extra_size(&j->tr));
		ix_put64(r + 80, w->xoff);
		w->xoff += tr_extra_size(&j->tr);
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->njob_rows);
	return 0;
}

static int
emit_nodes(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_NODE, IX_NODE_SIZE)) < 0)
		return error;
	for (i = 0; i < h->nodes.n; i++) {
		const hb_node *n = hb_pool_at(&h->nodes, h->node_order[i]);
		unsigned char r[IX_NODE_SIZE];
		uint32_t refs[ND_NREFS] = {
			n->id,         n->ip,      n->state_msg, n->name,
			n->host,       n->res,     n->labels,    n->reason,
			n->reason_msg, n->inst_id, n->inst_type,
		};

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, ND_NREFS);
		r[44] = (unsigned char)n->state;
		r[45] = n->head > 0;
		r[ND_PORT] = (unsigned char)(n->nm_port & 0xff);
		r[ND_PORT + 1] = (unsigned char)((n->nm_port >> 8) & 0xff);
		ix_put32(r + ND_RAYLET_PID,
		         n->raylet_pid > 0 && n->raylet_pid <= UINT32_MAX ?
		                 (uint32_t)n->raylet_pid :
		                 0);
		ix_put64(r + 48, (uint64_t)n->start);
		ix_put64(r + 56, (uint64_t)n->end);
		ix_put64(r + 64, w->xoff);
		ix_put32(r + 72, tr_extra_size(&n->tr));
		w->xoff += tr_extra_size(&n->tr);
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->nodes.n);
	return 0;
}

static int
emit_pgs(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_PG, IX_PG_SIZE)) < 0)
		return error;
	for (i = 0; i < h->pgs.n; i++) {
		const hb_pg *g = hb_pool_at(&h->pgs, h->pg_order[i]);
		unsigned char r[IX_PG_SIZE];
		uint32_t refs[PG_NREFS] = { g->id, g->name, g->job, g->strategy,
			                    g->bundles };

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, PG_NREFS);
		r[20] = (unsigned char)g->state;
		r[21] = g->detached < 0 ? 2 : (unsigned char)g->detached;
		ix_put64(r + 24, w->xoff);
		ix_put32(r + 32, tr_extra_size(&g->tr));
		w->xoff += tr_extra_size(&g->tr);
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->pgs.n);
	return 0;
}

static int
emit_workers(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_WORKER, IX_WORKER_SIZE)) < 0)
		return error;
	for (i = 0; i < h->workers.n; i++) {
		const hb_worker *k =
			hb_pool_at(&h->workers, h->worker_order[i]);
		unsigned char r[IX_WORKER_SIZE];
		uint32_t refs[WK_NREFS] = { k->id, k->node, k->ip };

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, WK_NREFS);
		r[12] = (unsigned char)k->alive;
		r[13] = (unsigned char)k->is_driver;
		ix_put64(r + 16, (uint64_t)k->pid);
		ix_put64(r + 24, (uint64_t)k->start);
		ix_put64(r + 32, (uint64_t)k->end);
		ix_put32(r + WK_EXIT_TYPE, S(w, k->etype));
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->workers.n);
	return 0;
}

static int
emit_cevents(ixw *w)
{
	rh_history *h = w->h;
	size_t i;
	int error;

	if ((error = sec_begin(w, IX_CEVENT, IX_CEVENT_SIZE)) < 0)
		return error;
	for (i = 0; i < h->cevents.n; i++) {
		const hb_cevent *c =
			hb_pool_at(&h->cevents, h->cevent_order[i]);
		unsigned char r[IX_CEVENT_SIZE];
		uint32_t refs[CE_NREFS] = {
			c->id,    c->src, c->host,   c->sev,
			c->label, c->msg, c->fields, c->job,
		};

		memset(r, 0, sizeof(r));
		put_refs(w, r, refs, CE_NREFS);
		ix_put64(r + 32, (uint64_t)c->pid);
		ix_put64(r + 40, (uint64_t)c->t);
		if ((error = w_put(w, r, sizeof(r))) < 0)
			return error;
	}
	sec_end(w, h->cevents.n);
	return 0;
}

/* What could not be read while building (IX_WARN). */
static int
emit_warnings(ixw *w)
{
	const rh_history *h = w->h;
	size_t kept = h->nwarnings < RH_HISTORY_MAX_WARNINGS ?
	                      h->nwarnings :
	                      RH_HISTORY_MAX_WARNINGS;
	int error;

	if ((error = sec_begin(w, IX_WARN, 1)) < 0 ||
	    (error = w_u64(w, (uint64_t)h->nwarnings)) < 0 ||
	    (h->warnings.size &&
	     (error = w_put(w, h->warnings.ptr, h->warnings.size)) < 0))
		return error;
	sec_end(w, kept);
	return 0;
}

/* ---------------------------------------------------------------- file */

static int
emit_tail(ixw *w)
{
	unsigned char tr[IX_TRAILER_SIZE];
	uint64_t crc_off, dir_off, npages;
	uint32_t crc;
	int i, error;

	if ((error = w_align(w)) < 0)
		return error;
	if ((error = crc_catch_up(w)) < 0 ||
	    (w->page_fill && (error = page_done(w)) < 0))
		return error;
	w->paging = 0;
	crc_off = w->pos;
	npages = w->crcs.size / 4;
	if ((error = w_put(w, w->crcs.ptr ? w->crcs.ptr : "", w->crcs.size)) <
	    0)
		return error;
	crc = rh__crc32c(0, w->crcs.ptr ? w->crcs.ptr : "", w->crcs.size);
	dir_off = w->pos;
	for (i = 0; i < w->nsec; i++) {
		unsigned char d[IX_DIRENT_SIZE];

		memset(d, 0, sizeof(d));
		ix_put32(d, w->dir[i].id);
		ix_put32(d + 4, w->dir[i].elem);
		ix_put64(d + 8, w->dir[i].off);
		ix_put64(d + 16, w->dir[i].size);
		ix_put64(d + 24, w->dir[i].count);
		crc = rh__crc32c(crc, d, sizeof(d));
		if ((error = w_put(w, d, sizeof(d))) < 0)
			return error;
	}
	memset(tr, 0, sizeof(tr));
	memcpy(tr, w->h->fp, RH_FINGERPRINT_SIZE);
	ix_put64(tr + 32, w->pos + IX_TRAILER_SIZE);
	ix_put64(tr + 40, dir_off);
	ix_put32(tr + 48, (uint32_t)w->nsec);
	ix_put32(tr + 52, RH_INDEX_FORMAT_VERSION);
	ix_put64(tr + 56, crc_off);
	ix_put64(tr + 64, npages);
	crc = rh__crc32c(crc, tr, 72);
	ix_put32(tr + 72, crc);
	memcpy(tr + 80, IX_END_MAGIC, 8);
	if ((error = w_put(w, tr, sizeof(tr))) < 0)
		return error;
	return w_flush(w);
}

static int
write_index(rh_history *h, ixw_sink sink, void *ctx)
{
	unsigned char hdr[IX_HEADER_SIZE];
	ixw w;
	size_t i;
	int error;

	if (!h->finished)
		return rh__error(
			RH_EINVAL,
			"rh_history_write: call rh_history_finish() first");
	memset(&w, 0, sizeof(w));
	w.sink = sink;
	w.ctx = ctx;
	w.h = h;
	w.paging = 1;
	if (!(w.row_of = rh__malloc((h->tasks.n ? h->tasks.n : 1) *
	                            sizeof(*w.row_of)))) {
		error = RH_ENOMEM;
		goto done;
	}
	for (i = 0; i < h->tasks.n; i++)
		w.row_of[h->task_order[i]] = (uint32_t)i;
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, IX_MAGIC, 8);
	ix_put32(hdr + 8, RH_INDEX_FORMAT_VERSION);
	ix_put32(hdr + 12, IX_PAGE_SIZE);
	if ((error = w_put(&w, hdr, sizeof(hdr))) < 0 ||
	    (error = task_keys_lower(&w)) < 0 ||
	    (error = emit_strings(&w)) < 0 || (error = emit_tasks(&w)) < 0 ||
	    (error = emit_actors(&w)) < 0 || (error = emit_jobs(&w)) < 0 ||
	    (error = emit_nodes(&w)) < 0 || (error = emit_pgs(&w)) < 0 ||
	    (error = emit_extras(&w)) < 0 || (error = emit_byid(&w)) < 0 ||
	    (error = emit_postings(&w)) < 0 || (error = emit_workers(&w)) < 0 ||
	    (error = emit_cevents(&w)) < 0 || (error = emit_warnings(&w)) < 0 ||
	    (error = emit_tail(&w)) < 0)
		goto done;
done:
	rh_buf_dispose(&w.buf);
	rh_buf_dispose(&w.crcs);
	free(w.soff);
	free(w.rank);
	hb_map_dispose(&w.lc);
	free(w.row_of);
	return error;
}

static int
buf_sink(void *ctx, const void *data, size_t len)
{
	return rh_buf_put(ctx, data, len);
}

RH_EXTERN int
rh_history_write(rh_buf *out, rh_history *h)
{
	int error;

	if (!out || !h)
		return rh__error(RH_EINVAL, "rh_history_write: NULL argument");
	if ((error = write_index(h, buf_sink, out)) < 0)
		return rh_history__fail(h, error);
	return 0;
}

static int
store_sink(void *ctx, const void *data, size_t len)
{
	return rh_store_writer_write(ctx, data, len);
}

RH_EXTERN int
rh_index_write(rh_store *st, const char *key, rh_history *h)
{
	rh_store_writer *wr = NULL;
	int error;

	if (!st || !key || !h)
		return rh__error(RH_EINVAL, "rh_index_write: NULL argument");
	if (!h->finished)
		return rh__error(
			RH_EINVAL,
			"rh_index_write: call rh_history_finish() first");
	if ((error = rh_store_writer_open(&wr, st, key)) < 0)
		return rh_history__fail(h, error);
	if ((error = write_index(h, store_sink, wr)) < 0) {
		rh_store_writer_abort(wr);
		return rh_history__fail(h, error);
	}
	if ((error = rh_store_writer_commit(wr)) < 0)
		return rh_history__fail(h, error);
	return 0;
}
