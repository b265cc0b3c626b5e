/* serve_coalesce.c - identical requests in flight share one answer
 * (serve_coalesce.h).
 *
 * A hash table of keys to flights; a flight holds its followers in a
 * growable array. Everything runs on the event loop thread. */
#include "serve_coalesce.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 256

struct serve_flight {
	serve_flight *next; /* hash chain */
	uint64_t hash;
	char *key;
	size_t keylen;
	void **items; /* followers, in arrival order */
	size_t nitems, aitems;
};

struct serve_flights {
	serve_flight *buckets[NBUCKETS];
	size_t count;
};

serve_flights *
serve_flights_new(void)
{
	return calloc(1, sizeof(serve_flights));
}

static void
flight_free(serve_flight *fl)
{
	free(fl->key);
	free(fl->items);
	free(fl);
}

void
serve_flights_free(serve_flights *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < NBUCKETS; i++)
		while (t->buckets[i]) {
			serve_flight *fl = t->buckets[i];
			t->buckets[i] = fl->next;
			flight_free(fl);
		}
	free(t);
}

/* FNV-1a */
static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

int
serve_flights_join(serve_flight **out, serve_flights *t, const char *key,
                   size_t n, void *item)
{
	uint64_t h = hash_bytes(key, n);
	serve_flight *fl;

	*out = NULL;
	for (fl = t->buckets[h % NBUCKETS]; fl; fl = fl->next)
		if (fl->hash == h && fl->keylen == n &&
		    !memcmp(fl->key, key, n))
			break;
	if (fl) {
		if (fl->nitems == fl->aitems) {
			size_t a = fl->aitems ? 2 * fl->aitems : 8;
			void **p = realloc(fl->items, a * sizeof(*p));

			if (!p)
				return -1;
			fl->items = p;
			fl->aitems = a;
		}
		fl->items[fl->nitems++] = item;
		*out = fl;
		return 1;
	}
	if (!(fl = calloc(1, sizeof(*fl))) || !(fl->key = malloc(n ? n : 1))) {
		free(fl);
		return -1;
	}
	memcpy(fl->key, key, n);
	fl->keylen = n;
	fl->hash = h;
	fl->next = t->buckets[h % NBUCKETS];
	t->buckets[h % NBUCKETS] = fl;
	t->count++;
	*out = fl;
	return 0;
}

size_t
serve_flight_land(void ***items, serve_flights *t, serve_flight *fl)
{
	serve_flight **pp = &t->buckets[fl->hash % NBUCKETS];
	size_t n = fl->nitems;

	while (*pp && *pp != fl)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = fl->next;
		t->count--;
	}
	*items = fl->items;
	fl->items = NULL;
	flight_free(fl);
	return n;
}

size_t
serve_flights_count(const serve_flights *t)
{
	return t ? t->count : 0;
}
