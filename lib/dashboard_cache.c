/* dashboard_cache.c - finished answers of session API requests, kept for the
 * next identical request.
 *
 * Ray's dashboard client polls the same URLs every few seconds from every
 * open tab (tasks, actors, log tails); a stored session does not change
 * between those polls, so the second answer can be a copy of the first
 * instead of another index query or log decompression.
 *
 * What makes an answer reusable:
 *  - the request: its target as sent, whether it accepts gzip, and the
 *    dashboard build its cookie names (log reads depend on the client's
 *    Ray version);
 *  - the session snapshot it was computed from (rh_dash_snap.gen): a
 *    refreshed index publishes a new snapshot with a new generation, and
 *    every answer of the old one stops matching;
 *  - for a session that has not ended, at most LIVE_TTL_MS of age, because
 *    its logs can grow between snapshots; the answers of an ended session
 *    (or one whose collector stopped beating) live until they are
 *    evicted.
 * Only 200 answers of the /c/ prefix's API paths are kept (the handler
 * decides: rh_dash_ctx.cacheable), none that embed the clock, none larger
 * than max_entry. Memory is bounded by LRU eviction.
 *
 * An entry is the answer as it is sent, "X-Rayhist-Cache: hit" included,
 * and never changes once kept: a server sends it by reference
 * (rh_dashboard_kept_get()) without copying it or building its headers
 * again. A large body is kept in a sealed memfd, mapped read-only, so that
 * the server can also hand it to the kernel with sendfile() the way a
 * static file server sends a file (no copy into the socket's buffers);
 * the mapping is the bytes every other reader sees, so memory is not
 * doubled.
 *
 * Locking: the cache's own mutex guards the table, the LRU list and the
 * reference counts; an entry's bytes are read after the lock is dropped,
 * under a reference, and freed with the last reference. The dashboard's
 * lock is taken (by rh_dashboard__session_serves) only while the cache
 * lock is not held. */
#include "dashboard_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define LIVE_TTL_MS 1000
#define NBUCKETS 1024
/* Bodies from this size up go to a memfd (sendfile pays above a few pages;
 * below, a copy costs less than the file). */
#define FD_MIN_BODY (32u << 10)
/* At most this many memfds open at once: each is a file descriptor, taken
 * from what the server's connection cap leaves. */
#define FD_MAX 64

typedef struct rh_dashboard_kept cached;

struct rh_dashboard_kept {
	cached *hnext;        /* hash chain */
	cached *prev, *next;  /* LRU list, most recent first */
	rh_dash_cache *cache; /* for the last release */
	uint64_t hash;
	rh_buf key;
	char *ns, *cluster, *session;
	uint64_t gen;
	int64_t expires_ms; /* INT64_MAX: never (ended session) */
	int refs;           /* the table's and readers' */
	int linked;         /* still in the table */
	/* As sent. Its body is either owned (heap) or, when fd >= 0, the
	 * read-only mapping of the memfd fd (body.asize is then 0). */
	rh_dashboard_response resp;
	int fd;
	size_t cost;
};

struct rh_dash_cache {
	pthread_mutex_t lock;
	cached *buckets[NBUCKETS];
	cached *lru_head, *lru_tail;
	size_t bytes, max_bytes, max_entry;
	int nfds; /* entries holding a memfd */
};

int
rh_dashboard__cache_new(rh_dash_cache **out, size_t max_bytes)
{
	rh_dash_cache *c;

	*out = NULL;
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return rh__error(RH_ERROR,
		                 "dashboard cache: cannot create a mutex");
	}
	c->max_bytes = max_bytes;
	/* One answer may take a sixteenth: a few huge downloads must not
	 * push out every poll. */
	c->max_entry = max_bytes / 16;
	*out = c;
	return 0;
}

/* With the lock held, or before the entry is shared. */
static void
entry_free(cached *e)
{
	if (e->fd >= 0) {
		if (e->resp.body.ptr)
			munmap(e->resp.body.ptr, e->resp.body.size + 1);
		e->resp.body.ptr = NULL;
		close(e->fd);
		e->cache->nfds--;
	}
	rh_dashboard_response_dispose(&e->resp);
	rh_buf_dispose(&e->key);
	free(e->ns);
	free(e->cluster);
	free(e->session);
	free(e);
}

/* Drop the table's reference; with the lock held. */
static void
unlink_entry(rh_dash_cache *c, cached *e)
{
	cached **pp = &c->buckets[e->hash % NBUCKETS];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		c->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = e->hnext = NULL;
	e->linked = 0;
	c->bytes -= e->cost;
	if (--e->refs == 0)
		entry_free(e);
}

void
rh_dashboard__cache_free(rh_dash_cache *c)
{
	if (!c)
		return;
	while (c->lru_head)
		unlink_entry(c, c->lru_head);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void
release(rh_dash_cache *c, cached *e)
{
	pthread_mutex_lock(&c->lock);
	if (--e->refs == 0)
		entry_free(e);
	pthread_mutex_unlock(&c->lock);
}

/* The key of a request: "g" or "-" (gzip accepted), the build cookie, the
 * target. Returns 0, or < 0 (RH_ENOMEM). */
static int
make_key(rh_buf *key, rh_dashboard *d, const rh_dashboard_request *req)
{
	char build[128] = "";

	if (!d->single_build && req->cookie)
		rh_dashboard__cookie_get(build, sizeof(build), req->cookie,
		                         "rayhist_build");
	return rh_buf_printf(
		key, "%c%s\n%s",
		rh_dashboard__accepts_gzip(req->accept_encoding) ? 'g' : '-',
		build, req->target);
}

/* Could this request's answer be in the cache at all? Only session API
 * reads under /c/ are kept; testing the prefix saves making a key for
 * every static file and page. */
static int
worth_looking(const rh_dashboard_request *req)
{
	return req->target && !strncmp(req->target, "/c/", 3) && req->method &&
	       (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"));
}

/* The entry under `key` (its hash h), or NULL; call with the lock. */
static cached *
find_locked(rh_dash_cache *c, const rh_buf *key, uint64_t h)
{
	cached *e;

	for (e = c->buckets[h % NBUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->key.size == key->size &&
		    !memcmp(e->key.ptr, key->ptr, key->size))
			return e;
	return NULL;
}

/* Put e, in no list, at the front of the LRU list; call with the lock. */
static void
lru_front_locked(rh_dash_cache *c, cached *e)
{
	e->prev = NULL;
	e->next = c->lru_head;
	if (c->lru_head)
		c->lru_head->prev = e;
	c->lru_head = e;
	if (!c->lru_tail)
		c->lru_tail = e;
}

static int
copy_out(rh_dashboard_response *out, const cached *e)
{
	const rh_dashboard_response *r = &e->resp;
	size_t i;
	int error;

	out->status = r->status;
	out->content_type = r->content_type;
	for (i = 0; i < r->nheaders; i++)
		if ((error = rh_dashboard__header(out, r->headers[i].name, "%s",
		                                  r->headers[i].value)) < 0)
			return error;
	return rh_buf_put(&out->body, r->body.ptr ? r->body.ptr : "",
	                  r->body.size);
}

/* The entry kept for req, with a reference for the caller (release()),
 * or NULL (none, or none that may be used now). Returns 0 or RH_ENOMEM. */
static int
lookup(cached **out, rh_dashboard *d, const rh_dashboard_request *req,
       int64_t now_ms)
{
	rh_dash_cache *c = d->cache;
	rh_buf key = RH_BUF_INIT;
	rh_session_ref sref;
	uint64_t h;
	cached *e;
	int error;

	*out = NULL;
	if (!c || !worth_looking(req))
		return 0;
	if ((error = make_key(&key, d, req)) < 0)
		return error;
	h = rh__fnv1a(key.ptr, key.size);
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, &key, h);
	if (e && e->expires_ms <= now_ms) {
		unlink_entry(c, e);
		e = NULL;
	}
	if (e)
		e->refs++;
	pthread_mutex_unlock(&c->lock);
	rh_buf_dispose(&key);
	if (!e)
		return 0;
	sref.ns = e->ns;
	sref.cluster = e->cluster;
	sref.session = e->session;
	if (!rh_dashboard__session_serves(d, &sref, e->gen, now_ms)) {
		/* A newer snapshot, or one due for a refresh: the full path
		 * answers (and starts the refresh). */
		pthread_mutex_lock(&c->lock);
		if (e->linked)
			unlink_entry(c, e);
		pthread_mutex_unlock(&c->lock);
		release(c, e);
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	if (e->linked && e != c->lru_head) {
		/* most recently used to the front */
		e->prev->next = e->next;
		if (e->next)
			e->next->prev = e->prev;
		else
			c->lru_tail = e->prev;
		lru_front_locked(c, e);
	}
	pthread_mutex_unlock(&c->lock);
	*out = e;
	return 0;
}

int
rh_dashboard__cache_get(rh_dashboard_response *out, rh_dashboard *d,
                        const rh_dashboard_request *req, int64_t now_ms)
{
	cached *e;
	int error;

	if ((error = lookup(&e, d, req, now_ms)) < 0 || !e)
		return error;
	rh_dashboard_response_dispose(out);
	error = copy_out(out, e);
	release(d->cache, e);
	if (error < 0) {
		rh_dashboard_response_dispose(out);
		return error;
	}
	return 1;
}

RH_EXTERN int
rh_dashboard_kept_get(rh_dashboard_kept **out, rh_dashboard *d,
                      const rh_dashboard_request *req)
{
	int error;

	if (out)
		*out = NULL;
	if (!out || !d || !req)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_kept_get: NULL argument");
	error = lookup(out, d, req,
	               req->now_ms ? req->now_ms : rh_dashboard__now_ms());
	if (error < 0) {
		rh_error_clear(); /* the full path will say it */
		return 0;
	}
	return *out != NULL;
}

RH_EXTERN const rh_dashboard_response *
rh_dashboard_kept_response(const rh_dashboard_kept *k)
{
	return &k->resp;
}

RH_EXTERN int
rh_dashboard_kept_fd(const rh_dashboard_kept *k)
{
	return k->fd;
}

RH_EXTERN void
rh_dashboard_kept_release(rh_dashboard_kept *k)
{
	if (k)
		release(k->cache, k);
}

#if defined(MFD_CLOEXEC) && defined(F_ADD_SEALS)
/* The body in a sealed memfd, mapped read-only as e->resp.body; 0, or < 0
 * when the memfd cannot be made (the caller keeps the body on the heap). */
static int
body_to_fd(cached *e, const char *p, size_t n)
{
	size_t off = 0;
	void *m;
	int fd;

	if ((fd = memfd_create("rayhist-kept",
	                       MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return -1;
	/* with a NUL after the bytes, as an rh_buf's */
	while (off <= n) {
		ssize_t w = off < n ? write(fd, p + off, n - off) :
		                      write(fd, "", 1);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	/* Sealed: the bytes a sendfile() reads can never change under it. */
	if (fcntl(fd, F_ADD_SEALS,
	          F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	if ((m = mmap(NULL, n + 1, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		goto fail;
	e->resp.body.ptr = m;
	e->resp.body.size = n;
	e->resp.body.asize = 0;
	e->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}
#else
static int
body_to_fd(cached *e, const char *p, size_t n)
{
	(void)e, (void)p, (void)n;
	return -1;
}
#endif

/* A new entry for req's answer r: its key, session and headers; the body
 * is added by entry_body(). */
static int
entry_new(cached **out, rh_dashboard *d, const rh_dashboard_request *req,
          const rh_dash_snap *s, const rh_dashboard_response *r)
{
	cached *e;
	size_t i;

	if (!(*out = e = rh__calloc(1, sizeof(*e))))
		return RH_ENOMEM;
	e->cache = d->cache;
	e->fd = -1;
	if (make_key(&e->key, d, req) < 0 || !(e->ns = rh__strdup(s->ns)) ||
	    !(e->cluster = rh__strdup(s->cluster)) ||
	    !(e->session = rh__strdup(s->session)))
		return RH_ENOMEM;
	e->resp.status = r->status;
	e->resp.content_type = r->content_type;
	for (i = 0; i < r->nheaders; i++)
		if (rh_dashboard__header(
			    &e->resp, r->headers[i].name, "%s",
			    r->headers[i].value ? r->headers[i].value : "") < 0)
			return RH_ENOMEM;
	/* Says where the answer came from, for people and tests. */
	if (rh_dashboard__header(&e->resp, "X-Rayhist-Cache", "hit") < 0)
		return RH_ENOMEM;
	e->hash = rh__fnv1a(e->key.ptr, e->key.size);
	return 0;
}

/* The body: in a sealed memfd when large and one of the FD_MAX is free,
 * else on the heap. */
static int
entry_body(rh_dash_cache *c, cached *e, const char *body, size_t n)
{
	int fd_ok;

	pthread_mutex_lock(&c->lock);
	if ((fd_ok = n >= FD_MIN_BODY && c->nfds < FD_MAX))
		c->nfds++; /* reserved */
	pthread_mutex_unlock(&c->lock);
	if (fd_ok && body_to_fd(e, body, n) < 0) {
		pthread_mutex_lock(&c->lock);
		c->nfds--;
		pthread_mutex_unlock(&c->lock);
	}
	if (e->fd < 0 && rh_buf_put(&e->resp.body, body, n) < 0)
		return RH_ENOMEM;
	return 0;
}

/* Keep e, making room by dropping the least recently used. */
static void
entry_link(rh_dash_cache *c, cached *e)
{
	cached *old;

	e->cost = sizeof(*e) + e->key.asize + e->resp.body.size +
	          64 * e->resp.nheaders;
	e->refs = 1;
	e->linked = 1;
	pthread_mutex_lock(&c->lock);
	/* A concurrent request may have put the same answer first: the
	 * newer one replaces it. */
	if ((old = find_locked(c, &e->key, e->hash)))
		unlink_entry(c, old);
	while (c->lru_tail && c->bytes + e->cost > c->max_bytes)
		unlink_entry(c, c->lru_tail);
	e->hnext = c->buckets[e->hash % NBUCKETS];
	c->buckets[e->hash % NBUCKETS] = e;
	lru_front_locked(c, e);
	c->bytes += e->cost;
	pthread_mutex_unlock(&c->lock);
}

void
rh_dashboard__cache_put(rh_dashboard *d, const rh_dashboard_request *req,
                        const rh_dash_ctx *ctx, const rh_dashboard_response *r)
{
	rh_dash_cache *c = d->cache;
	const rh_dash_snap *s = ctx->snap;
	cached *e = NULL;

	if (!c || !s || !ctx->cacheable || r->status != 200 ||
	    !worth_looking(req) || r->body.size > c->max_entry ||
	    r->nheaders >= RH_DASHBOARD_MAX_HEADERS) /* room for ours */
		return;
	if (entry_new(&e, d, req, s, r) < 0 ||
	    entry_body(c, e, r->body.ptr ? r->body.ptr : "", r->body.size) <
	            0) {
		/* Not kept: the answer itself was sent; only the next one
		 * costs. */
		if (e) {
			pthread_mutex_lock(&c->lock);
			entry_free(e);
			pthread_mutex_unlock(&c->lock);
		}
		rh_error_clear();
		return;
	}
	e->gen = s->gen;
	/* A live answer's second counts from when it was done, not from when
	 * the request came (a slow one would be born stale); a request that
	 * names its own clock (tests) keeps to it. */
	e->expires_ms =
		rh_dashboard__snap_final(s) ?
			INT64_MAX :
			(req->now_ms ? ctx->now_ms : rh_dashboard__now_ms()) +
				LIVE_TTL_MS;
	entry_link(c, e);
}
