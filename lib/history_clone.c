/* history_clone.c - a deep copy of a history still taking events.
 *
 * A live session's index is rebuilt from a history that keeps taking the
 * session's new events (index_live.c). rh_history_finish() derives in place
 * and is one-way (coarse transitions are folded, names derived), so each
 * index step finishes a copy and the original goes on taking events exactly
 * as a one-shot build's history would. A copy costs memory bandwidth, not
 * parsing: no event object is read again. */
#include "internal.h"
#include "history_internal.h"

static void *
dup_mem(const void *src, size_t n)
{
	void *p;

	if (!src)
		return NULL;
	if (!(p = rh__malloc(n ? n : 1)))
		return NULL;
	memcpy(p, src, n);
	return p;
}

static int
strtab_copy(rh_strtab *d, const rh_strtab *s)
{
	memset(d, 0, sizeof(*d));
	*d = *s;
	d->data = NULL;
	d->off = NULL;
	d->slots = NULL;
	d->hashes = NULL;
	if ((s->data && !(d->data = dup_mem(s->data, s->asize))) ||
	    !(d->off = dup_mem(s->off, s->a * sizeof(*s->off))) ||
	    !(d->hashes = dup_mem(s->hashes, s->a * sizeof(*s->hashes))) ||
	    !(d->slots =
	              dup_mem(s->slots, (s->mask + 1) * sizeof(*s->slots)))) {
		rh_strtab_dispose(d);
		return RH_ENOMEM;
	}
	return 0;
}

static int
map_copy(hb_map *d, const hb_map *s)
{
	*d = *s;
	d->keys = NULL;
	d->vals = NULL;
	if (!s->keys)
		return 0;
	if (!(d->keys = dup_mem(s->keys, (s->mask + 1) * sizeof(*s->keys))) ||
	    !(d->vals = dup_mem(s->vals, (s->mask + 1) * sizeof(*s->vals)))) {
		hb_map_dispose(d);
		return RH_ENOMEM;
	}
	return 0;
}

/* Copy a pool's items as bytes; their owned vectors are copied after. */
static int
pool_copy(hb_pool *d, const hb_pool *s)
{
	size_t i, used;

	memset(d, 0, sizeof(*d));
	d->item = s->item;
	if (!s->nchunks)
		return 0;
	if (!(d->chunks = rh__calloc(s->nchunks, sizeof(*d->chunks))))
		return RH_ENOMEM;
	for (i = 0; i < s->nchunks; i++, d->nchunks++) {
		/* the last chunk: only its used items are worth copying */
		used = (i + 1 == s->nchunks) ? s->n - (i << HB_CHUNK_SHIFT) :
		                               (size_t)1 << HB_CHUNK_SHIFT;
		if (!(d->chunks[i] = rh__malloc(s->item << HB_CHUNK_SHIFT)))
			return RH_ENOMEM;
		memcpy(d->chunks[i], s->chunks[i], used * s->item);
	}
	d->n = s->n;
	return 0;
}

static int
tr_copy(hb_trvec *v)
{
	hb_tr *c;

	if (!v->v)
		return 0;
	if (!(c = dup_mem(v->v, (size_t)v->a * sizeof(*v->v)))) {
		v->v = NULL; /* the copy owns nothing yet */
		v->n = v->a = 0;
		return RH_ENOMEM;
	}
	v->v = c;
	return 0;
}

/* Replace each item's borrowed vector pointers by copies. `trv` is the
 * offset of the item's hb_trvec. */
static int
pool_tr_copy(hb_pool *p, size_t trv)
{
	size_t i;
	int error = 0;

	for (i = 0; i < p->n; i++)
		if (!error)
			error = tr_copy(
				(hb_trvec *)((char *)hb_pool_at(p, i) + trv));
		else
			memset((char *)hb_pool_at(p, i) + trv, 0,
			       sizeof(hb_trvec));
	return error;
}

static int
tasks_copy(hb_pool *p)
{
	size_t i;
	int error = 0;

	for (i = 0; i < p->n; i++) {
		hb_task *t = hb_pool_at(p, i);
		hb_prof *pr = t->prof;

		if (error) {
			memset(&t->tr, 0, sizeof(t->tr));
			t->prof = NULL;
			continue;
		}
		t->prof = NULL;
		if ((error = tr_copy(&t->tr)) < 0)
			continue;
		if (pr &&
		    !(t->prof = dup_mem(pr, (size_t)t->aprof * sizeof(*pr))))
			error = RH_ENOMEM;
	}
	return error;
}

int
rh_history__clone(rh_history **out, const rh_history *h)
{
	rh_history *c;
	int error;

	*out = NULL;
	if (h->finished)
		return rh__error(RH_EINVAL,
		                 "rh_history__clone: history already finished");
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	c->opts = h->opts;
	rh_history__pools_init(c);
	c->stats = h->stats;
	c->nwarnings = h->nwarnings;
	memcpy(c->fp, h->fp, sizeof(c->fp));
	memcpy(c->errmsg, h->errmsg, sizeof(c->errmsg));
	if (h->ray_version && !(c->ray_version = rh__strdup(h->ray_version))) {
		error = RH_ENOMEM;
		goto fail;
	}
	c->opts.ray_version = c->ray_version;
	/* Each step is all-or-nothing for rh_history_free(): a pool holds
	 * either its own vectors or, after a failure, none. */
	if ((error = strtab_copy(&c->strs, &h->strs)) < 0 ||
	    (h->warnings.size &&
	     (error = rh_buf_put(&c->warnings, h->warnings.ptr,
	                         h->warnings.size)) < 0))
		goto fail;
	if ((error = pool_copy(&c->tasks, &h->tasks)) < 0 ||
	    (error = tasks_copy(&c->tasks)) < 0 ||
	    (error = pool_copy(&c->actors, &h->actors)) < 0 ||
	    (error = pool_tr_copy(&c->actors, offsetof(hb_actor, tr))) < 0 ||
	    (error = pool_copy(&c->nodes, &h->nodes)) < 0 ||
	    (error = pool_tr_copy(&c->nodes, offsetof(hb_node, tr))) < 0 ||
	    (error = pool_copy(&c->jobs, &h->jobs)) < 0 ||
	    (error = pool_tr_copy(&c->jobs, offsetof(hb_job, tr))) < 0 ||
	    (error = pool_copy(&c->pgs, &h->pgs)) < 0 ||
	    (error = pool_tr_copy(&c->pgs, offsetof(hb_pg, tr))) < 0 ||
	    (error = pool_copy(&c->workers, &h->workers)) < 0 ||
	    (error = pool_copy(&c->cevents, &h->cevents)) < 0 ||
	    (error = pool_copy(&c->xs, &h->xs)) < 0)
		goto fail;
	if ((error = map_copy(&c->task_map, &h->task_map)) < 0 ||
	    (error = map_copy(&c->actor_map, &h->actor_map)) < 0 ||
	    (error = map_copy(&c->node_map, &h->node_map)) < 0 ||
	    (error = map_copy(&c->driver_map, &h->driver_map)) < 0 ||
	    (error = map_copy(&c->sub_map, &h->sub_map)) < 0 ||
	    (error = map_copy(&c->pg_map, &h->pg_map)) < 0 ||
	    (error = map_copy(&c->worker_map, &h->worker_map)) < 0 ||
	    (error = map_copy(&c->cevent_map, &h->cevent_map)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	rh_history_free(c);
	return error;
}
