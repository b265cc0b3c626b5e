/* seekable_cache.c - decompressed frames shared by many readers
 * (rh_frame_cache in seekable.h).
 *
 * A server answers the same log tail again and again (the dashboard polls
 * it); without sharing, every request opens a fresh reader and decompresses
 * the last frame again. Entries are keyed by object key, blob size and frame
 * number: blobs are immutable, and a part rewritten under its old name (a
 * resumed capture) has another size. A reader holds a reference to the
 * entries it uses instead of copying them (a 4 MiB copy per request was half
 * a log tail's cost); an entry evicted while referenced is freed by its last
 * release. */
#include "internal.h"

#include <pthread.h>

#include "seekable_cache.h"

#define NBUCKETS 1024

struct entry {
	struct entry *hnext;       /* bucket chain */
	struct entry *prev, *next; /* LRU list, most recent first */
	char *key;
	uint64_t blob_size;
	unsigned frame;
	uint64_t hash;
	size_t size;
	unsigned char *data;
	unsigned refs; /* readers holding it */
	int dead;      /* evicted; freed at the last release */
	/* an object (RH__CACHE_OBJ_*), not frame bytes: */
	void (*free_fn)(void *obj); /* frees data */
	int64_t born_ms;            /* when it was put */
};

struct rh_frame_cache {
	pthread_mutex_t mu;
	size_t max_bytes, bytes;
	struct entry *buckets[NBUCKETS];
	struct entry *head, *tail;
	uint64_t hits, misses;
};

static uint64_t
hash_of(const char *key, uint64_t blob_size, unsigned frame)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	h = (h ^ blob_size) * 0x100000001b3ULL;
	return (h ^ frame) * 0x100000001b3ULL;
}

RH_EXTERN int
rh_frame_cache_new(rh_frame_cache **out, size_t max_bytes)
{
	rh_frame_cache *c;

	if (!out)
		return rh__error(RH_EINVAL, "rh_frame_cache_new: out is NULL");
	*out = NULL;
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	c->max_bytes = max_bytes;
	*out = c;
	return 0;
}

static void
lru_unlink(rh_frame_cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(rh_frame_cache *c, struct entry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void
entry_free(struct entry *e)
{
	free(e->key);
	if (e->free_fn)
		e->free_fn(e->data);
	else
		free(e->data);
	free(e);
}

static void
evict(rh_frame_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[e->hash % NBUCKETS];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->bytes -= e->size;
	if (e->refs)
		e->dead = 1;
	else
		entry_free(e);
}

static struct entry *
find(rh_frame_cache *c, uint64_t h, const char *key, uint64_t blob_size,
     unsigned frame)
{
	struct entry *e;

	for (e = c->buckets[h % NBUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->frame == frame &&
		    e->blob_size == blob_size && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

const void *
rh__frame_cache_acquire(rh__frame_ref **ref, rh_frame_cache *c, const char *key,
                        uint64_t blob_size, unsigned frame, size_t size)
{
	uint64_t h = hash_of(key, blob_size, frame);
	struct entry *e;

	*ref = NULL;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, h, key, blob_size, frame)) && e->size == size) {
		e->refs++;
		lru_unlink(c, e);
		lru_push(c, e);
		c->hits++;
		*ref = (rh__frame_ref *)e;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->mu);
	return *ref ? e->data : NULL;
}

void
rh__frame_cache_release(rh_frame_cache *c, rh__frame_ref *ref)
{
	struct entry *e = (struct entry *)ref;
	int gone;

	if (!e)
		return;
	pthread_mutex_lock(&c->mu);
	gone = --e->refs == 0 && e->dead;
	pthread_mutex_unlock(&c->mu);
	if (gone)
		entry_free(e);
}

void
rh__frame_cache_put(rh_frame_cache *c, const char *key, uint64_t blob_size,
                    unsigned frame, const void *src, size_t size)
{
	uint64_t h = hash_of(key, blob_size, frame);
	struct entry *e;

	/* Caching is best effort: a frame too big or no memory just misses. */
	if (size > c->max_bytes / 2)
		return;
	if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key)) ||
	    !(e->data = malloc(size ? size : 1))) {
		if (e)
			entry_free(e);
		return;
	}
	memcpy(e->data, src, size);
	e->blob_size = blob_size;
	e->frame = frame;
	e->hash = h;
	e->size = size;
	pthread_mutex_lock(&c->mu);
	if (find(c, h, key, blob_size, frame)) {
		pthread_mutex_unlock(&c->mu);
		entry_free(e); /* another thread was first */
		return;
	}
	while (c->tail && c->bytes + size > c->max_bytes)
		evict(c, c->tail);
	e->hnext = c->buckets[h % NBUCKETS];
	c->buckets[h % NBUCKETS] = e;
	lru_push(c, e);
	c->bytes += size;
	pthread_mutex_unlock(&c->mu);
}

/* ---- objects ----------------------------------------------------------- */

void *
rh__frame_cache_obj_acquire(rh__frame_ref **ref, int64_t *born_ms,
                            rh_frame_cache *c, unsigned kind, const char *key,
                            uint64_t tag)
{
	uint64_t h = hash_of(key, tag, kind);
	struct entry *e;

	*ref = NULL;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, h, key, tag, kind)) && e->free_fn) {
		e->refs++;
		lru_unlink(c, e);
		lru_push(c, e);
		*ref = (rh__frame_ref *)e;
		if (born_ms)
			*born_ms = e->born_ms;
	}
	pthread_mutex_unlock(&c->mu);
	return *ref ? e->data : NULL;
}

int
rh__frame_cache_obj_put(rh__frame_ref **ref, rh_frame_cache *c, unsigned kind,
                        const char *key, uint64_t tag, void *obj, size_t cost,
                        void (*free_fn)(void *obj), int64_t now_ms)
{
	uint64_t h = hash_of(key, tag, kind);
	struct entry *e, *old;

	*ref = NULL;
	if (cost > c->max_bytes / 2)
		return RH_ERROR;
	if (!(e = calloc(1, sizeof(*e))) || !(e->key = strdup(key))) {
		free(e);
		return RH_ENOMEM;
	}
	e->data = obj;
	e->free_fn = free_fn;
	e->born_ms = now_ms;
	e->blob_size = tag;
	e->frame = kind;
	e->hash = h;
	e->size = cost;
	e->refs = 1;
	pthread_mutex_lock(&c->mu);
	/* A newer copy replaces the one there (readers keep theirs). */
	if ((old = find(c, h, key, tag, kind)))
		evict(c, old);
	while (c->tail && c->bytes + cost > c->max_bytes)
		evict(c, c->tail);
	e->hnext = c->buckets[h % NBUCKETS];
	c->buckets[h % NBUCKETS] = e;
	lru_push(c, e);
	c->bytes += cost;
	pthread_mutex_unlock(&c->mu);
	*ref = (rh__frame_ref *)e;
	return 0;
}

RH_EXTERN void
rh_frame_cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes,
                     rh_frame_cache *c)
{
	pthread_mutex_lock(&c->mu);
	if (hits)
		*hits = c->hits;
	if (misses)
		*misses = c->misses;
	if (bytes)
		*bytes = c->bytes;
	pthread_mutex_unlock(&c->mu);
}

RH_EXTERN void
rh_frame_cache_free(rh_frame_cache *c)
{
	if (!c)
		return;
	while (c->tail)
		evict(c, c->tail);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
