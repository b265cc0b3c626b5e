/* dashboard_facts.c - what the picker shows of each stored session (its
 * manifest, node count, and the counts of an index built earlier), kept
 * between page loads.
 *
 * Gathering them costs a manifest GET, a node LIST and an index-header GET
 * per session: nothing on a local folder, seconds per thousand sessions on
 * S3, which made every load of / and /clusters as slow as the store is
 * large. They change rarely: a live session's as it grows, any session's
 * counts once its index is first built. So they are kept FACTS_LIVE_MS for
 * a session that may still change (or whose index is not built yet), and
 * FACTS_FINAL_MS for one that is marked ended or abandoned. */
#include "dashboard_internal.h"

#include <stdint.h>

#define FACTS_LIVE_MS 30000
#define FACTS_FINAL_MS 600000
#define NBUCKETS 4096
#define MAX_KEPT 100000 /* past this, start over: sessions get deleted */

typedef struct fact_ent {
	struct fact_ent *next;
	uint64_t hash;
	char *key; /* "NS/CLUSTER/SESSION" */
	rh_dash_facts f;
	int64_t expires_ms;
} fact_ent;

struct rh_dash_facts_cache {
	pthread_mutex_t lock;
	fact_ent *buckets[NBUCKETS];
	size_t n;
};

int
rh_dashboard__facts_new(rh_dash_facts_cache **out)
{
	rh_dash_facts_cache *c;

	*out = NULL;
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return rh__error(RH_ERROR, "dashboard: cannot create a mutex");
	}
	*out = c;
	return 0;
}

static void
clear(rh_dash_facts_cache *c)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		while (c->buckets[i]) {
			fact_ent *e = c->buckets[i];

			c->buckets[i] = e->next;
			free(e->key);
			free(e);
		}
	}
	c->n = 0;
}

void
rh_dashboard__facts_free(rh_dash_facts_cache *c)
{
	if (!c)
		return;
	clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int
count_cb(const char *name, void *payload)
{
	(void)name;
	(*(int64_t *)payload)++;
	return 0;
}

static int
first_cb(const rh_store_entry *e, void *payload)
{
	(void)e;
	*(int *)payload = 1;
	return 1;
}

/* Read them from the store; what cannot be read stays unknown. */
static void
load(rh_dash_facts *f, rh_store *st, const rh_session_ref *s)
{
	rh_buf key = RH_BUF_INIT;
	rh_index *ix = NULL;
	int error, events = 0;

	memset(f, 0, sizeof(*f));
	error = rh_session_info_load(&f->info, st, s);
	f->has_info = error == 0;
	if (rh_catalog_list_nodes(st, s, count_cb, &f->nodes) < 0)
		f->nodes = -1;
	/* no manifest and no node: events alone, or nothing but an index
	 * (one more listing, only for such rare names) */
	if (error == RH_ENOTFOUND && f->nodes == 0 &&
	    rh_layout_session_prefix(&key, s) == 0 &&
	    rh_buf_puts(&key, "events/") == 0 &&
	    rh_store_list(st, key.ptr, NULL, first_cb, &events) >= 0)
		f->phantom = !events;
	rh_buf_clear(&key);
	f->jobs = f->tasks = f->actors = -1;
	if (rh_layout_session_prefix(&key, s) == 0 &&
	    rh_buf_puts(&key, RH_SESSION_INDEX_NAME) == 0 &&
	    rh_index_open(&ix, st, key.ptr, NULL) == 0) {
		f->jobs = (int64_t)rh_index_count(ix, RH_ENTITY_JOB);
		f->tasks = (int64_t)rh_index_count(ix, RH_ENTITY_TASK);
		f->actors = (int64_t)rh_index_count(ix, RH_ENTITY_ACTOR);
	}
	rh_index_close(ix);
	rh_buf_dispose(&key);
	rh_error_clear();
}

static uint64_t
hash_str(const char *p)
{
	uint64_t h = 1469598103934665603ull;

	while (*p) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

void
rh_dashboard__facts_get(rh_dash_facts *out, rh_dashboard *d,
                        const rh_session_ref *s, int64_t now_ms)
{
	rh_dash_facts_cache *c = d->facts;
	rh_buf key = RH_BUF_INIT;
	fact_ent *e;
	uint64_t h;
	int final;

	if (!c || rh_buf_printf(&key, "%s/%s/%s", s->ns, s->cluster,
	                        s->session) < 0) {
		rh_buf_dispose(&key);
		load(out, d->st, s);
		return;
	}
	h = hash_str(key.ptr);
	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && !strcmp(e->key, key.ptr))
			break;
	if (e && e->expires_ms > now_ms) {
		*out = e->f;
		pthread_mutex_unlock(&c->lock);
		rh_buf_dispose(&key);
		return;
	}
	pthread_mutex_unlock(&c->lock);

	/* Concurrent loads of one session may both read; the last one stays. */
	load(out, d->st, s);
	final = out->has_info && out->tasks >= 0 &&
	        (out->info.end_ms > 0 ||
	         out->info.state == RH_SESSION_ABANDONED);
	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && !strcmp(e->key, key.ptr))
			break;
	if (!e) {
		if (c->n >= MAX_KEPT)
			clear(c);
		if ((e = calloc(1, sizeof(*e)))) {
			e->hash = h;
			e->key = key.ptr, key.ptr = NULL;
			e->next = c->buckets[h % NBUCKETS];
			c->buckets[h % NBUCKETS] = e;
			c->n++;
		}
	}
	if (e) {
		e->f = *out;
		e->expires_ms =
			now_ms + (final ? FACTS_FINAL_MS : FACTS_LIVE_MS);
	}
	pthread_mutex_unlock(&c->lock);
	rh_buf_dispose(&key);
}
