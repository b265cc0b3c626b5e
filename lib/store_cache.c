/* store_cache.c - a local folder that takes the writes a store refuses.
 *
 * A server over a store it may only read (a read-only mount, S3 or Azure
 * credentials without write rights) still derives objects from it - the
 * session indexes - and must keep them somewhere. This backend wraps the
 * store's own and sends writes to a file:// cache under
 * cache_dir/<hash of the store URL>/ once the store has refused one
 * (RH_EACCES), or from the start with read_only; nothing is then written
 * to the store. Reads look in the cache first for the keys it holds (an
 * in-memory table, so other keys cost no extra system call), then in the
 * store. The cache is bounded: past cache_max_bytes the least recently
 * used objects are removed.
 *
 * The store's answer to a write is only known at its end on S3 and Azure
 * (a PUT, or CompleteMultipartUpload), when the bytes of a streamed object
 * are gone. Until one write has gone through or been refused, a writer to
 * such a store therefore also streams its bytes into a temporary cache
 * file: committed in the cache if the store refuses, thrown away if it
 * accepts. A file:// store refuses at writer_open already.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "store_backend.h"

enum { MODE_UNKNOWN, MODE_STORE, MODE_CACHE };

/* How often a cache file's mtime follows its use. */
#define TOUCH_MS 1000

typedef struct centry {
	struct centry *hnext;
	uint64_t size;
	int64_t used; /* ms; the cache file's mtime until first used */
	char key[];
} centry;

typedef struct cache_backend {
	rh_store_backend parent;
	rh_store_backend *base;
	rh_store_backend *cache; /* NULL until needed */
	char *dir;               /* cache_dir/<hash> */
	uint64_t max;
	int read_only;
	int base_is_file;
	atomic_int mode;
	pthread_mutex_t lock; /* everything below, and `cache` */
	centry **buckets;
	size_t nbuckets;
	/* entries; atomic so that reads of a store whose cache is empty (a
	 * writable store, the usual case) skip the lock */
	atomic_size_t n;
	uint64_t bytes;
} cache_backend;

typedef struct cache_writer {
	rh_store_backend_writer parent;
	rh_store_backend_writer *base; /* NULL when writing the cache only */
	rh_store_backend_writer *tee;  /* the cache's copy, or NULL */
	int tee_failed;
	char key[];
} cache_writer;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* The entry of `key`, or NULL. With the lock. */
static centry **
slot(cache_backend *cb, const char *key)
{
	centry **pp = &cb->buckets[hash(key) % cb->nbuckets];

	while (*pp && strcmp((*pp)->key, key))
		pp = &(*pp)->hnext;
	return pp;
}

static void
forget(cache_backend *cb, centry **pp)
{
	centry *e = *pp;

	*pp = e->hnext;
	cb->bytes -= e->size;
	atomic_fetch_sub(&cb->n, 1);
	free(e);
}

/* Note object `key` of `size` bytes in the cache. With the lock. */
static int
remember(cache_backend *cb, const char *key, uint64_t size, int64_t used)
{
	centry **pp = slot(cb, key), *e;

	if (*pp) {
		cb->bytes -= (*pp)->size;
		(*pp)->size = size;
		(*pp)->used = used;
		cb->bytes += size;
		return 0;
	}
	if (!(e = rh__malloc(sizeof(*e) + strlen(key) + 1)))
		return RH_ENOMEM;
	strcpy(e->key, key);
	e->size = size;
	e->used = used;
	e->hnext = NULL;
	*pp = e;
	atomic_fetch_add(&cb->n, 1);
	cb->bytes += size;
	return 0;
}

/* Remove least recently used objects until the cache is within its
 * bound, sparing `keep` (the object just written: a bound smaller than one
 * index must not make the server rebuild it on every visit). The table is
 * scanned per removal; removals follow writes, which are rare. With the
 * lock. */
static void
evict(cache_backend *cb, const char *keep)
{
	while (cb->max && cb->bytes > cb->max) {
		centry **victim = NULL, **pp;
		size_t i;

		for (i = 0; i < cb->nbuckets; i++)
			for (pp = &cb->buckets[i]; *pp; pp = &(*pp)->hnext)
				if (strcmp((*pp)->key, keep) &&
				    (!victim || (*pp)->used < (*victim)->used))
					victim = pp;
		if (!victim)
			return;
		/* a failed delete still drops the entry: the bound counts
		 * what this process relies on */
		(void)cb->cache->ops->del(cb->cache, (*victim)->key);
		forget(cb, victim);
	}
}

static int
scan_cb(const rh_store_entry *e, void *payload)
{
	cache_backend *cb = payload;

	return remember(cb, e->key, e->size, e->mtime_ms);
}

/* Open the cache folder (creating it when `create`) and learn what it
 * holds. With the lock. */
static int
open_cache(cache_backend *cb, int create)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	struct stat sb;
	int error;

	if (cb->cache)
		return 0;
	if (!create && stat(cb->dir, &sb) < 0)
		return 0; /* nothing cached yet: made on first write */
	o.fsync = 0;      /* a torn cache object fails its checks: rebuilt */
	if ((error = rh_store__file_open(&cb->cache, cb->dir, &o)) < 0)
		return error;
	if ((error = cb->cache->ops->list(cb->cache, "", NULL, scan_cb, cb)) <
	    0)
		return error;
	evict(cb, "");
	return 0;
}

/* The cache's copy of `key` is to be read: is there one? Marks it used,
 * and at most once a second also its file's mtime, which is where the next
 * process (a restarted server, rayhist-ls) learns the order of use. */
static int
cached(cache_backend *cb, const char *key)
{
	centry **pp;
	int yes = 0, touch = 0;
	int64_t now;

	if (!atomic_load(&cb->n))
		return 0;
	now = now_ms();
	pthread_mutex_lock(&cb->lock);
	if (*(pp = slot(cb, key))) {
		touch = now - (*pp)->used >= TOUCH_MS;
		(*pp)->used = now;
		yes = 1;
	}
	pthread_mutex_unlock(&cb->lock);
	if (touch) {
		rh_buf path = RH_BUF_INIT;

		/* best effort: a failure only makes the order less exact */
		if (rh_buf_printf(&path, "%s/%s", cb->dir, key) == 0)
			(void)utimensat(AT_FDCWD, path.ptr, NULL, 0);
		rh_buf_dispose(&path);
	}
	return yes;
}

/* The cache lost `key` behind our back (another process, an operator). */
static void
lost(cache_backend *cb, const char *key)
{
	centry **pp;

	pthread_mutex_lock(&cb->lock);
	if (*(pp = slot(cb, key)))
		forget(cb, pp);
	pthread_mutex_unlock(&cb->lock);
}

/* The store took `key`: a cached copy would hide it. */
static void
stored(cache_backend *cb, const char *key)
{
	centry **pp;
	int unknown = MODE_UNKNOWN;

	/* only from "not known yet": a refusal seen meanwhile by another
	 * thread stands */
	atomic_compare_exchange_strong(&cb->mode, &unknown, MODE_STORE);
	pthread_mutex_lock(&cb->lock);
	if (atomic_load(&cb->n) && *(pp = slot(cb, key))) {
		(void)cb->cache->ops->del(cb->cache, key);
		forget(cb, pp);
	}
	pthread_mutex_unlock(&cb->lock);
}

/* `key` of `size` bytes is now in the cache. */
static int
cache_added(cache_backend *cb, const char *key, uint64_t size)
{
	int error;

	pthread_mutex_lock(&cb->lock);
	if ((error = remember(cb, key, size, now_ms())) == 0)
		evict(cb, key);
	pthread_mutex_unlock(&cb->lock);
	return error;
}

static rh_store_backend *
cache_be(cache_backend *cb, int *error)
{
	rh_store_backend *c;

	pthread_mutex_lock(&cb->lock);
	*error = open_cache(cb, 1);
	c = cb->cache;
	pthread_mutex_unlock(&cb->lock);
	return *error < 0 ? NULL : c;
}

/* The store refused a write: from now on the cache takes them all. */
static void
divert(cache_backend *cb)
{
	atomic_store(&cb->mode, MODE_CACHE);
	rh_error_clear();
}

static int
cput(rh_store_backend *be, const char *key, const void *data, size_t len)
{
	cache_backend *cb = (cache_backend *)be;
	rh_store_backend *c;
	int error;

	if (atomic_load(&cb->mode) != MODE_CACHE) {
		error = cb->base->ops->put(cb->base, key, data, len);
		if (error == 0)
			stored(cb, key);
		if (error != RH_EACCES)
			return error;
		divert(cb);
	}
	if (!(c = cache_be(cb, &error)) ||
	    (error = c->ops->put(c, key, data, len)) < 0)
		return error;
	return cache_added(cb, key, len);
}

static int
cget(rh_buf *out, rh_store_backend *be, const char *key, uint64_t off,
     size_t len)
{
	cache_backend *cb = (cache_backend *)be;
	int error;

	if (cached(cb, key)) {
		error = cb->cache->ops->get(out, cb->cache, key, off, len);
		if (error != RH_ENOTFOUND)
			return error;
		lost(cb, key);
	}
	return cb->base->ops->get(out, cb->base, key, off, len);
}

static int
chead(uint64_t *size_out, int64_t *mtime_ms_out, rh_store_backend *be,
      const char *key)
{
	cache_backend *cb = (cache_backend *)be;
	int error;

	if (cached(cb, key)) {
		error = cb->cache->ops->head(size_out, mtime_ms_out, cb->cache,
		                             key);
		if (error != RH_ENOTFOUND)
			return error;
		lost(cb, key);
	}
	return cb->base->ops->head(size_out, mtime_ms_out, cb->base, key);
}

/* Listings are the store's: what the cache holds is derived from it and
 * found by name (rh_layout_index), never by listing. */
static int
clist(rh_store_backend *be, const char *prefix, const char *delim,
      rh_store_list_cb cb_, void *payload)
{
	cache_backend *cb = (cache_backend *)be;

	return cb->base->ops->list(cb->base, prefix, delim, cb_, payload);
}

static int
cdel(rh_store_backend *be, const char *key)
{
	cache_backend *cb = (cache_backend *)be;
	centry **pp;
	int error = 0, had = 0;

	pthread_mutex_lock(&cb->lock);
	if (atomic_load(&cb->n) && *(pp = slot(cb, key))) {
		error = cb->cache->ops->del(cb->cache, key);
		forget(cb, pp);
		had = 1;
	}
	pthread_mutex_unlock(&cb->lock);
	if (error < 0 || atomic_load(&cb->mode) == MODE_CACHE) {
		/* a delete is a write: once the store refused one, or with
		 * read_only, it is not asked (nor is success pretended) */
		if (error < 0 || had)
			return error;
		return rh__error(
			RH_EACCES, "%s: not deleted: the store %s", key,
			cb->read_only ? "is read-only" : "refuses writes");
	}
	return cb->base->ops->del(cb->base, key);
}

static int
cwriter_open(rh_store_backend_writer **out, rh_store_backend *be,
             const char *key)
{
	cache_backend *cb = (cache_backend *)be;
	rh_store_backend *c;
	cache_writer *w;
	int error = 0, mode = atomic_load(&cb->mode);

	if (!(w = rh__calloc(1, sizeof(*w) + strlen(key) + 1)))
		return RH_ENOMEM;
	w->parent.be = be;
	strcpy(w->key, key);
	if (mode != MODE_CACHE) {
		error = cb->base->ops->writer_open(&w->base, cb->base, key);
		if (error == RH_EACCES) {
			divert(cb);
			mode = MODE_CACHE;
		} else if (error < 0) {
			goto done;
		}
	}
	/* the copy that survives a refusal at commit (see the top) */
	if (mode == MODE_CACHE || (mode == MODE_UNKNOWN && !cb->base_is_file)) {
		if (!(c = cache_be(cb, &error)) ||
		    (error = c->ops->writer_open(&w->tee, c, key)) < 0)
			goto done;
	}
	*out = &w->parent, w = NULL;
done:
	if (w && w->base)
		cb->base->ops->writer_abort(w->base);
	free(w);
	return error;
}

static int
cwriter_write(rh_store_backend_writer *bw, const void *data, size_t len)
{
	cache_writer *w = (cache_writer *)bw;
	cache_backend *cb = (cache_backend *)bw->be;
	int error;

	if (w->tee && !w->tee_failed &&
	    (error = cb->cache->ops->writer_write(w->tee, data, len)) < 0) {
		if (!w->base)
			return error; /* the cache is all there is */
		w->tee_failed = 1;    /* the store may still take it */
		rh_error_clear();
	}
	if (w->base &&
	    (error = cb->base->ops->writer_write(w->base, data, len)) < 0)
		return error;
	return 0;
}

/* Remove the folders of `key` left empty in the cache by a copy thrown
 * away, so that a writable store served with a cache folder does not fill
 * it with empty ones. The store's subfolder itself stays. */
static void
prune_dirs(cache_backend *cb, const char *key)
{
	rh_buf path = RH_BUF_INIT;
	char *slash;
	size_t root = strlen(cb->dir);

	if (rh_buf_printf(&path, "%s/%s", cb->dir, key) < 0)
		goto done;
	while ((slash = strrchr(path.ptr, '/')) &&
	       (size_t)(slash - path.ptr) > root) {
		*slash = '\0';
		if (rmdir(path.ptr) < 0)
			break;
	}
done:
	rh_buf_dispose(&path);
}

static void
cwriter_abort(rh_store_backend_writer *bw)
{
	cache_writer *w = (cache_writer *)bw;
	cache_backend *cb = (cache_backend *)bw->be;

	if (w->base)
		cb->base->ops->writer_abort(w->base);
	if (w->tee) {
		cb->cache->ops->writer_abort(w->tee);
		prune_dirs(cb, w->key);
	}
	free(w);
}

static int
cwriter_commit(rh_store_backend_writer *bw)
{
	cache_writer *w = (cache_writer *)bw;
	cache_backend *cb = (cache_backend *)bw->be;
	rh_store_backend_writer *tee = w->tee;
	uint64_t size;
	int error = 0;

	if (w->base) {
		error = cb->base->ops->writer_commit(w->base);
		w->base = NULL;
		if (error == 0)
			stored(cb, w->key);
		if (error != RH_EACCES || !tee || w->tee_failed) {
			cwriter_abort(bw);
			return error;
		}
		divert(cb);
	}
	w->tee = NULL;
	if ((error = cb->cache->ops->writer_commit(tee)) == 0 &&
	    (error = cb->cache->ops->head(&size, NULL, cb->cache, w->key)) == 0)
		error = cache_added(cb, w->key, size);
	free(w);
	return error;
}

static void
cclose(rh_store_backend *be)
{
	cache_backend *cb = (cache_backend *)be;
	size_t i;

	for (i = 0; cb->buckets && i < cb->nbuckets; i++)
		while (cb->buckets[i])
			forget(cb, &cb->buckets[i]);
	free(cb->buckets);
	if (cb->cache)
		cb->cache->ops->close(cb->cache);
	if (cb->base)
		cb->base->ops->close(cb->base);
	pthread_mutex_destroy(&cb->lock);
	free(cb->dir);
	free(cb);
}

static int
cdel_many(rh_store_backend *be, const char *const *keys, size_t n)
{
	cache_backend *cb = (cache_backend *)be;
	size_t i;
	int error;

	if (atomic_load(&cb->mode) == MODE_CACHE || !cb->base->ops->del_many) {
		for (i = 0; i < n; i++)
			if ((error = cdel(be, keys[i])) < 0)
				return error;
		return 0;
	}
	for (i = 0; i < n; i++) {
		centry **pp;

		pthread_mutex_lock(&cb->lock);
		if (atomic_load(&cb->n) && *(pp = slot(cb, keys[i]))) {
			(void)cb->cache->ops->del(cb->cache, keys[i]);
			forget(cb, pp);
		}
		pthread_mutex_unlock(&cb->lock);
	}
	return cb->base->ops->del_many(cb->base, keys, n);
}

/* "DIR/HASH", absolute: a relative DIR is taken from the working folder
 * now, as store URLs are. */
static int
cache_path(char **out, const char *dir, const char *hash)
{
	char cwd[4096];
	rh_buf b = RH_BUF_INIT;
	int error;

	if (*dir != '/' && !getcwd(cwd, sizeof(cwd)))
		return rh__error(RH_EIO,
		                 "%s: cannot resolve the cache folder: "
		                 "no working folder",
		                 dir);
	if ((error = rh_buf_printf(&b, "%s%s%s/%s", *dir == '/' ? "" : cwd,
	                           *dir == '/' ? "" : "/", dir, hash)) < 0) {
		rh_buf_dispose(&b);
		return error;
	}
	*out = b.ptr; /* the buffer's bytes are the caller's now */
	return 0;
}

int
rh_store__cache_wrap(rh_store_backend **be, const char *url,
                     const rh_store_options *opts)
{
	static const rh_store_backend_ops ops_template = {
		NULL,
		cput,
		cget,
		chead,
		clist,
		cdel,
		cwriter_open,
		cwriter_write,
		cwriter_commit,
		cwriter_abort,
		cclose,
		cdel_many,
		/* Readers (serve, ls) wrap a store; they write an index now and
		 * then, durable at each commit: no deferred sync. */
		NULL,
		NULL,
	};
	unsigned char digest[32];
	char hex[65];
	rh_sha256 h;
	cache_backend *cb;
	rh_store_backend_ops *ops;
	int error;

	if (!(cb = rh__calloc(1, sizeof(*cb) + sizeof(*ops))))
		return RH_ENOMEM;
	/* the wrapper counts as its store in statistics and messages */
	ops = (rh_store_backend_ops *)(cb + 1);
	*ops = ops_template;
	ops->scheme = (*be)->ops->scheme;
	cb->parent.ops = ops;
	pthread_mutex_init(&cb->lock, NULL);
	cb->max = opts->cache_max_bytes;
	cb->read_only = opts->read_only;
	cb->base_is_file = !strcmp((*be)->ops->scheme, "file");
	atomic_init(&cb->mode, opts->read_only ? MODE_CACHE : MODE_UNKNOWN);
	atomic_init(&cb->n, 0);
	rh__sha256_init(&h);
	rh__sha256_update(&h, url, strlen(url));
	rh__sha256_final(&h, digest);
	rh__sha256_hex(hex, digest);
	hex[16] = '\0'; /* 64 bits tell a host's stores apart */
	cb->nbuckets = 1021;
	if (!(cb->buckets = rh__calloc(cb->nbuckets, sizeof(*cb->buckets)))) {
		error = RH_ENOMEM;
		goto fail;
	}
	if ((error = cache_path(&cb->dir, opts->cache_dir, hex)) < 0)
		goto fail;
	pthread_mutex_lock(&cb->lock);
	error = open_cache(cb, opts->read_only);
	pthread_mutex_unlock(&cb->lock);
	if (error < 0)
		goto fail;
	cb->base = *be;
	*be = &cb->parent;
	return 0;
fail:
	cclose(&cb->parent);
	return error;
}
