/* index_fetch.c - read several byte ranges of an index at once, and fetch
 * ahead the pages a query is about to decode.
 *
 * Over an object store every read is a round trip (~35 ms to Ceph RGW on
 * loopback), and decoding 100 task rows one after another touches some
 * 30 pages of records and strings: ~1 s. Fetched ahead, the same pages cost
 * two round trips: the records' pages at once, then the pages of the
 * strings those records name, at once. A local folder gains nothing from
 * threads (a read is a page-cache copy), so there the ranges are read in
 * turn. */
#include "internal.h"
#include "index_internal.h"

#include <stdatomic.h>

/* Requests in flight at once against a remote store. */
#define FETCH_THREADS 16

int
ix_fetch_parallel(rh_store *st)
{
	const char *url = st ? rh_store_url(st) : NULL;

	return url && strncmp(url, "file://", 7) != 0;
}

static void
fetch_one(rh_store *st, const char *key, ix_fetch_req *r)
{
	if (r->head)
		r->error = rh_store_head(&r->size, NULL, st, key);
	else
		r->error = rh_store_get(&r->buf, st, key, r->off, r->len);
	if (r->error < 0)
		rh_error_clear(); /* the caller re-reads and reports it */
}

struct fetch_ctx {
	rh_store *st;
	const char *key;
	ix_fetch_req *r;
	size_t n;
	atomic_size_t next;
};

static void *
fetch_worker(void *arg)
{
	struct fetch_ctx *c = arg;
	size_t i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n)
		fetch_one(c->st, c->key, &c->r[i]);
	return NULL;
}

void
ix_fetch_all(rh_store *st, const char *key, ix_fetch_req *r, size_t n)
{
	struct fetch_ctx c = { st, key, r, n, 0 };
	pthread_t tid[FETCH_THREADS];
	size_t i, nt = 0, want = n < FETCH_THREADS ? n : FETCH_THREADS;

	if (n > 1 && ix_fetch_parallel(st))
		for (; nt + 1 < want; nt++) /* this thread is one of them */
			if (pthread_create(&tid[nt], NULL, fetch_worker, &c) !=
			    0)
				break; /* fewer threads: still all fetched */
	fetch_worker(&c);
	for (i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
}

/* ---------------------------------------------------------------- pages */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void
ix_prefetch_pages(rh_index *ix, uint64_t *nos, size_t n)
{
	ix_fetch_req *r = NULL;
	size_t i, k = 0;
	int took;

	if (!ix->st || n < 1)
		return; /* an index in memory reads nothing */
	qsort(nos, n, sizeof(*nos), cmp_u64);
	took = ix_hold(ix);
	for (i = 0; i < n; i++)
		if ((i == 0 || nos[i] != nos[i - 1]) && nos[i] < ix->npages &&
		    !ix_page_cached(ix, nos[i]))
			nos[k++] = nos[i];
	ix_unhold(ix, took);
	/* at most half the cache: what is fetched must still be there when
	 * the rows are decoded */
	if (k > ix->max_pages / 2)
		k = ix->max_pages / 2;
	if (k < 1 || !(r = rh__calloc(k, sizeof(*r)))) {
		rh_error_clear();
		return; /* nothing to do, or no memory: pages come one by one */
	}
	for (i = 0; i < k; i++) {
		r[i].off = nos[i] * IX_PAGE_SIZE;
		r[i].len = IX_PAGE_SIZE;
	}
	ix_fetch_all(ix->st, ix->key, r, k);
	took = ix_hold(ix);
	for (i = 0; i < k; i++) {
		/* a failed or damaged page is read again, and reported, when
		 * it is needed */
		if (r[i].error == 0 &&
		    ix_page_put(ix, nos[i], r[i].buf.ptr, r[i].buf.size) < 0)
			rh_error_clear();
		rh_buf_dispose(&r[i].buf);
	}
	ix_unhold(ix, took);
	free(r);
}

/* Pages holding bytes [off, off+len) of section `id`, appended to v. */
static size_t
sec_pages(const rh_index *ix, int id, uint64_t off, uint64_t len, uint64_t *v,
          size_t n, size_t cap)
{
	const ix_sec *s = &ix->sec[id];
	uint64_t a, b;

	if (!len || off >= s->size)
		return n;
	if (len > s->size - off)
		len = s->size - off;
	for (a = (s->off + off) / IX_PAGE_SIZE,
	    b = (s->off + off + len - 1) / IX_PAGE_SIZE;
	     a <= b && n < cap; a++)
		v[n++] = a;
	return n;
}

/* Where each entity's record keeps its string references (u32 each) and
 * its variable part (xoff u64, xlen u32; 0 when it has none). */
static const struct rec_layout {
	int sec;
	uint32_t elem, refs, nrefs, xoff, xlen;
} layouts[RH_ENTITY_COUNT] = {
	[RH_ENTITY_TASK] = { IX_TASK, IX_TASK_SIZE, TK_JOB, 15, TK_XOFF,
	                     TK_XLEN },
	[RH_ENTITY_ACTOR] = { IX_ACTOR, IX_ACTOR_SIZE, 0, AC_NREFS, 104, 100 },
	[RH_ENTITY_JOB] = { IX_JOB, IX_JOB_SIZE, 0, JB_NREFS, 80, 76 },
	[RH_ENTITY_NODE] = { IX_NODE, IX_NODE_SIZE, 0, ND_NREFS, 64, 72 },
	[RH_ENTITY_WORKER] = { IX_WORKER, IX_WORKER_SIZE, 0, WK_NREFS, 0, 0 },
	[RH_ENTITY_PLACEMENT_GROUP] = { IX_PG, IX_PG_SIZE, 0, PG_NREFS, 24,
	                                32 },
	[RH_ENTITY_CLUSTER_EVENT] = { IX_CEVENT, IX_CEVENT_SIZE, 0, CE_NREFS, 0,
	                              0 },
};

/* A string's length prefix and its first bytes: most strings are short,
 * and one that runs onto the next page costs one more read, as before. */
#define STR_AHEAD 64

void
ix_prefetch_rows(rh_index *ix, rh_entity what, const uint64_t *rows, size_t n,
                 int detail)
{
	const struct rec_layout *l;
	unsigned char rec[IX_TASK_SIZE]; /* the largest record */
	uint64_t *v;
	size_t i, j, k = 0, cap;

	if (!ix->st || (unsigned)what >= RH_ENTITY_COUNT || n < 1)
		return;
	l = &layouts[what];
	if (!l->elem || l->elem > sizeof(rec) || !ix->sec[l->sec].present)
		return;
	cap = n * (l->nrefs + 6) + 2;
	if (!(v = rh__malloc(cap * sizeof(*v)))) {
		rh_error_clear();
		return;
	}
	/* 1: the records */
	for (i = 0; i < n; i++)
		k = sec_pages(ix, l->sec, rows[i] * l->elem, l->elem, v, k,
		              cap);
	ix_prefetch_pages(ix, v, k);
	/* 2: the strings they name (and with detail, their variable parts) */
	for (i = 0, k = 0; i < n; i++) {
		if (rows[i] >= ix->sec[l->sec].count ||
		    ix_elem(ix, l->sec, rows[i], rec) < 0) {
			rh_error_clear();
			continue;
		}
		for (j = 0; j < l->nrefs; j++) {
			uint32_t ref = ix_get32(rec + l->refs + 4 * j);

			if (ref)
				k = sec_pages(ix, IX_STRS, ref, STR_AHEAD, v, k,
				              cap);
		}
		if (what == RH_ENTITY_TASK && (rec[TK_FLAGS] & TK_F_IDSTR))
			k = sec_pages(ix, IX_STRS, ix_get32(rec + TK_ID),
			              STR_AHEAD, v, k, cap);
		if (detail && l->xlen)
			k = sec_pages(ix, IX_EXTRA, ix_get64(rec + l->xoff),
			              ix_get32(rec + l->xlen), v, k, cap);
	}
	ix_prefetch_pages(ix, v, k);
	free(v);
}
