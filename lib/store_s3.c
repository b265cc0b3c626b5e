/* store_s3.c - the s3:// store backend: objects in a bucket of AWS S3 or
 * any S3-compatible service (MinIO, Ceph RGW, GCS's XML API, OSS), one
 * object per key under the store's prefix.
 *
 * Each operation is one request (a listing, one per page of up to 1000
 * keys) built here and run by store_s3_http.c with retries; streamed
 * writes are store_s3_writer.c's. Listings give the same entries in the
 * same order as file:// does (store_file.c): key order, common prefixes
 * where their first key would be, each once, and no key a store could not
 * read (S3 allows "a//b" or "a/", a store does not).
 *
 * The handle holds no mutable state but a pool of curl handles and two
 * atomics, so any number of threads may use it at once.
 */
#include "internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "store_backend.h"
#include "store_s3.h"

/* A listing page of 1000 keys is about 300 KB of XML; this is plenty,
 * and keeps a hostile answer from taking all memory. */
#define LIST_RESP_MAX (64u << 20)
/* DeleteObjects takes at most this many keys. */
#define DELETE_BATCH 1000

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void
curl_init(void)
{
	/* Never cleaned up: the application may use libcurl as well. */
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
rh_s3__curl_ready(void)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return rh__error(RH_ERROR, "curl_global_init: %s",
		                 curl_easy_strerror(curl_init_result));
	return 0;
}

void
rh_s3__engine_init(rh_s3__backend *b)
{
	struct timespec ts;

	pthread_mutex_init(&b->pool_lock, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	atomic_init(&b->rnd, (uint64_t)ts.tv_nsec ^
	                             ((uint64_t)ts.tv_sec << 20) ^
	                             ((uint64_t)getpid() << 40) ^ (uintptr_t)b);
	atomic_init(&b->bucket_ok, 0);
}

/* ---------------------------------------------------------------- names */

int
rh_s3__full_key(rh_buf *out, const rh_s3__backend *b, const char *key)
{
	rh_buf_clear(out);
	if (*b->cfg.prefix)
		return rh_buf_printf(out, "%s/%s", b->cfg.prefix, key);
	return rh_buf_puts(out, key);
}

int
rh_s3__what(rh_buf *out, const rh_s3__backend *b, const char *key)
{
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s/%s", b->cfg.url, key);
}

/* The URL and the message name of `key` (NULL: the bucket), with `query`. */
static int
names(rh_buf *url, rh_buf *what, const rh_s3__backend *b, const char *key,
      const char *query)
{
	rh_buf full = RH_BUF_INIT;
	int error;

	if ((error = key ? rh_s3__full_key(&full, b, key) : 0) < 0 ||
	    (error = rh_s3__object_url(url, &b->cfg, key ? full.ptr : NULL,
	                               query)) < 0 ||
	    (error = key ? rh_s3__what(what, b, key) :
	                   rh_buf_puts(what, b->cfg.url)) < 0)
		goto done;
done:
	rh_buf_dispose(&full);
	return error;
}

/* ---------------------------------------------------------------- objects */

/* A signed request for one object and the names it points into. */
struct object_call {
	rh_s3__req r;
	rh_buf url, what;
};

/* The request for object `key`: `method` is also its name in messages.
 * Dispose of c with object_call_dispose() whatever this returns. */
static int
object_req(struct object_call *c, const rh_s3__backend *b, const char *key,
           const char *method)
{
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = names(&c->url, &c->what, b, key, NULL)) < 0)
		return error;
	c->r.method = method;
	c->r.op = method;
	c->r.url = c->url.ptr;
	c->r.what = c->what.ptr;
	c->r.sign = 1;
	return 0;
}

static void
object_call_dispose(struct object_call *c)
{
	rh_s3__req_dispose(&c->r);
	rh_buf_dispose(&c->url);
	rh_buf_dispose(&c->what);
}

static int
s3_put(rh_store_backend *be, const char *key, const void *data, size_t len)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	struct object_call c;
	int error;

	if ((error = object_req(&c, b, key, "PUT")) == 0) {
		c.r.body = data;
		c.r.body_len = len;
		error = rh_s3__perform(b, &c.r);
	}
	object_call_dispose(&c);
	return error;
}

/* GET bytes [off, off+len) of `key` into `sink` (NULL: a probe of one byte
 * into a scratch buffer, to learn why a HEAD failed). */
static int
get_range(rh_s3__backend *b, rh_buf *sink, const char *key, uint64_t off,
          size_t len, long *status_out)
{
	rh_buf scratch = RH_BUF_INIT;
	struct object_call c;
	int error;

	if ((error = object_req(&c, b, key, "GET")) < 0)
		goto done;
	c.r.sink = sink ? sink : &scratch;
	c.r.has_range = off > 0 || len != SIZE_MAX;
	c.r.range_off = off;
	c.r.range_len = len;
	error = rh_s3__perform(b, &c.r);
	if (status_out)
		*status_out = c.r.status;
	/* Past the end: S3 says 416 InvalidRange; a store answers nothing
	 * (the object exists, or S3 would have said NoSuchKey). */
	if (error < 0 && c.r.status == 416) {
		rh_error_clear();
		error = 0;
	}
done:
	object_call_dispose(&c);
	rh_buf_dispose(&scratch);
	return error;
}

static int
head_once(rh_s3__req *r, rh_s3__backend *b, const char *url, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->method = "HEAD";
	r->url = url;
	r->what = what;
	r->op = "HEAD";
	r->sign = 1;
	return rh_s3__perform(b, r);
}

static int
s3_head(uint64_t *size_out, int64_t *mtime_ms_out, rh_store_backend *be,
        const char *key)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	rh_buf url = RH_BUF_INIT, what = RH_BUF_INIT;
	rh_s3__req r;
	int error, probe, round;

	memset(&r, 0, sizeof(r));
	if ((error = names(&url, &what, b, key, NULL)) < 0)
		goto done;
	for (round = 0; round < 3; round++) {
		rh_s3__req_dispose(&r);
		if ((error = head_once(&r, b, url.ptr, what.ptr)) == 0)
			break;
		/* A HEAD answer has no body, so neither an S3 error code nor
		 * a message: a 404 may be a missing bucket, a 403 a wrong
		 * secret, a 400 expired credentials. A one-byte GET tells
		 * which (once per store for 404s); if it works, so may a
		 * second HEAD. */
		if (r.status == 0 || r.status >= 500 ||
		    (error == RH_ENOTFOUND && atomic_load(&b->bucket_ok)))
			break;
		if ((probe = get_range(b, NULL, key, 0, 1, NULL)) < 0) {
			error = probe;
			break;
		}
	}
	if (error == 0 && !r.have_length)
		error = rh__error(RH_ECORRUPT,
		                  "%s: HEAD: the answer has no Content-Length",
		                  what.ptr);
	if (error == 0) {
		*size_out = r.length;
		if (mtime_ms_out)
			*mtime_ms_out = r.mtime_ms;
	}
	if (error == RH_ENOTFOUND)
		rh__error(RH_ENOTFOUND, "%s: no such object", what.ptr);
done:
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	rh_buf_dispose(&what);
	return error;
}

static int
s3_get(rh_buf *out, rh_store_backend *be, const char *key, uint64_t off,
       size_t len)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	uint64_t size;
	size_t base = out->size;

	if (len == 0) /* no range says "nothing": ask whether it exists */
		return s3_head(&size, NULL, be, key);
	return rh_store__get_rollback(out, base,
	                              get_range(b, out, key, off, len, NULL));
}

static int
s3_del(rh_store_backend *be, const char *key)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	struct object_call c;
	int error;

	if ((error = object_req(&c, b, key, "DELETE")) < 0)
		goto done;
	if ((error = rh_s3__perform(b, &c.r)) == RH_ENOTFOUND &&
	    strcmp(c.r.err.code, "NoSuchKey") == 0) {
		rh_error_clear();
		error = 0;
	}
	if (error == RH_ENOTFOUND) /* a bodiless 404 is no "absent key" here */
		error = RH_EIO;
done:
	object_call_dispose(&c);
	return error;
}

/* One DeleteObjects request for keys[0..n). */
static int
delete_batch(rh_s3__backend *b, const char *const *keys, size_t n)
{
	rh_buf url = RH_BUF_INIT, body = RH_BUF_INIT, full = RH_BUF_INIT;
	rh_s3__xml_error err;
	rh_s3__req r;
	char md5[25], *bad = NULL;
	size_t i;
	int error;

	memset(&r, 0, sizeof(r));
	/* Quiet: the answer lists only the keys that failed. */
	if ((error = rh_buf_puts(
		     &body,
		     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		     "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		     "<Quiet>true</Quiet>")) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if ((error = rh_s3__full_key(&full, b, keys[i])) < 0 ||
		    (error = rh_buf_puts(&body, "<Object><Key>")) < 0 ||
		    (error = rh_s3__xml_escape(&body, full.ptr)) < 0 ||
		    (error = rh_buf_puts(&body, "</Key></Object>")) < 0)
			goto done;
	if ((error = rh_buf_puts(&body, "</Delete>")) < 0 ||
	    (error = rh_s3__object_url(&url, &b->cfg, NULL, "delete=")) < 0)
		goto done;
	rh_s3__md5_base64(md5, body.ptr, body.size);
	r.method = "POST";
	r.url = url.ptr;
	r.what = b->cfg.url;
	r.op = "DeleteObjects";
	r.sign = 1;
	r.body = body.ptr;
	r.body_len = body.size;
	r.content_type = "application/xml";
	r.content_md5 = md5;
	r.resp_max = LIST_RESP_MAX;
	if ((error = rh_s3__perform(b, &r)) < 0)
		goto done;
	error = rh_s3__xml_delete_result(
		&err, &bad, r.resp.ptr ? r.resp.ptr : "", r.resp.size);
	if (error < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", rh_error_last());
		error = rh__error(RH_EIO, "%s: DeleteObjects: %s", b->cfg.url,
		                  why);
	} else if (error > 0) {
		char hint[400];
		const char *h = rh_s3__hint(hint, sizeof(hint), err.code, &err,
		                            b->cfg.cred_src);

		error = rh__error(
			RH_EIO, "s3://%s/%s: DeleteObjects: %s: %.300s%s%s%s",
			b->cfg.bucket, bad ? bad : "?", err.code, err.message,
			h ? " (" : "", h ? h : "", h ? ")" : "");
	}
done:
	free(bad);
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	rh_buf_dispose(&body);
	rh_buf_dispose(&full);
	return error;
}

static int
s3_del_many(rh_store_backend *be, const char *const *keys, size_t n)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	size_t i;
	int error;

	for (i = 0; i < n; i += DELETE_BATCH)
		if ((error = delete_batch(
			     b, keys + i,
			     n - i < DELETE_BATCH ? n - i : DELETE_BATCH)) < 0)
			return error;
	return 0;
}

/* ---------------------------------------------------------------- list */

/* Would a store accept this entry? For a common prefix, its part up to
 * the last '/' must be a key (as a listing prefix's must, in store.c). */
static int
entry_ok(rh_s3__list_emit *c, const char *key, int is_prefix)
{
	const char *slash = strrchr(key, '/');
	char keep[1024];
	int ok = 1;

	if (!*key)
		return 0;
	snprintf(keep, sizeof(keep), "%s", rh_error_last());
	if (!is_prefix) {
		ok = rh_store__check_key(key) == 0;
	} else if (slash) {
		rh_buf_clear(&c->scratch);
		ok = rh_buf_put(&c->scratch, key, (size_t)(slash - key)) == 0 &&
		     rh_buf_puts(&c->scratch, "") == 0 &&
		     rh_store__check_key(c->scratch.ptr) == 0;
	}
	for (; ok && *key; key++)
		ok = (unsigned char)*key >= 0x20 && *key != 0x7f;
	rh__error(0, "%s", keep); /* a skipped entry is not this call's error */
	return ok;
}

/* Roll key up at the first c->rollup after c->rollup_from bytes, as a
 * server does with a delimiter; 1 when it falls under the prefix reported
 * last (then nothing is reported). */
static int
rollup(rh_s3__list_emit *c, rh_store_entry *e, const char *key)
{
	const char *d = strlen(key) > c->rollup_from ?
	                        strstr(key + c->rollup_from, c->rollup) :
	                        NULL;
	size_t n;
	int error;

	if (!d)
		return 0;
	n = (size_t)(d - key) + strlen(c->rollup);
	if (c->rolled.size == n && memcmp(c->rolled.ptr, key, n) == 0)
		return 1;
	rh_buf_clear(&c->rolled);
	if ((error = rh_buf_put(&c->rolled, key, n)) < 0)
		return error;
	e->key = c->rolled.ptr;
	e->is_prefix = 1;
	return 0;
}

int
rh_s3__list_emit_page(rh_s3__list_emit *c, const rh_s3__list_page *page)
{
	size_t i;
	int error;

	for (i = 0; i < page->n; i++) {
		const rh_s3__list_item *it = &page->items[i];
		rh_store_entry e = { 0 };
		const char *key = it->key;

		/* In key order, each once: pages of some servers overlap. */
		if (c->any && strcmp(key, c->last.ptr) <= 0)
			continue;
		rh_buf_clear(&c->last);
		if ((error = rh_buf_puts(&c->last, key)) < 0)
			return error;
		c->any = 1;
		if (c->strip &&
		    (strlen(key) <= c->strip || key[c->strip - 1] != '/' ||
		     strncmp(key, c->store_prefix, c->strip - 1) != 0))
			continue;
		key += c->strip;
		if (!entry_ok(c, key, it->is_prefix))
			continue;
		e.key = key;
		e.is_prefix = it->is_prefix;
		if (c->rollup && !it->is_prefix &&
		    (error = rollup(c, &e, key)) != 0) {
			if (error >
			    0) /* rolled into the prefix just reported */
				continue;
			return error;
		}
		e.size = e.is_prefix ? 0 : it->size;
		e.mtime_ms = e.is_prefix ? 0 : it->mtime_ms;
		if ((error = c->cb(&e, c->payload)) != 0)
			return error;
	}
	return 0;
}

int
rh_s3__list_turn(int *more, char **token, rh_s3__list_emit *c,
                 rh_s3__list_page *page, const char *what, const char *op,
                 const char *token_name)
{
	int error;

	*more = 0;
	if ((error = rh_s3__list_emit_page(c, page)) != 0 || !page->truncated)
		return error;
	if (*token && strcmp(*token, page->next_token) == 0)
		return rh__error(RH_EIO, "%s: %s gave the same %s twice", what,
		                 op, token_name);
	free(*token);
	*token = page->next_token;
	page->next_token = NULL;
	rh_s3__list_page_dispose(page);
	*more = 1;
	return 0;
}

void
rh_s3__list_emit_dispose(rh_s3__list_emit *c)
{
	rh_buf_dispose(&c->last);
	rh_buf_dispose(&c->scratch);
	rh_buf_dispose(&c->rolled);
}

/* The ListObjectsV2 query for one page (token: NULL for the first). */
static int
list_query(rh_buf *query, const char *full, const char *maxkeys,
           const char *delim, const char *token)
{
	rh_s3__query q = { .n = 0 };
	int error;

	rh_buf_clear(query);
	if ((error = rh_s3__query_add(&q, "list-type", "2")) == 0 &&
	    (error = rh_s3__query_add(&q, "prefix", full)) == 0 &&
	    (error = rh_s3__query_add(&q, "max-keys", maxkeys)) == 0 &&
	    (!delim ||
	     (error = rh_s3__query_add(&q, "delimiter", delim)) == 0) &&
	    (!token || (error = rh_s3__query_add(&q, "continuation-token",
	                                         token)) == 0) &&
	    (error = rh_buf_puts(query, "")) == 0)
		error = rh_s3__query_build(query, &q);
	rh_s3__query_dispose(&q);
	return error;
}

static int
s3_list(rh_store_backend *be, const char *prefix, const char *delim,
        rh_store_list_cb cb, void *payload)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	rh_buf full = RH_BUF_INIT, query = RH_BUF_INIT, url = RH_BUF_INIT;
	rh_buf what = RH_BUF_INIT;
	rh_s3__list_page page = { 0 };
	char *token = NULL, maxkeys[16];
	rh_s3__list_emit c;
	int error, more;

	memset(&c, 0, sizeof(c));
	c.store_prefix = b->cfg.prefix;
	c.cb = cb;
	c.payload = payload;
	c.strip = *b->cfg.prefix ? strlen(b->cfg.prefix) + 1 : 0;
	snprintf(maxkeys, sizeof(maxkeys), "%u", b->cfg.list_max_keys);
	if ((error = rh_s3__full_key(&full, b, prefix)) < 0 ||
	    (error = rh_s3__what(&what, b, prefix)) < 0)
		goto done;
	for (;;) {
		rh_s3__req r;

		memset(&r, 0, sizeof(r));
		rh_buf_clear(&url);
		if ((error = list_query(&query, full.ptr, maxkeys, delim,
		                        token)) < 0 ||
		    (error = rh_s3__object_url(&url, &b->cfg, NULL,
		                               query.ptr)) < 0)
			goto done;
		r.method = "GET";
		r.url = url.ptr;
		r.what = what.ptr;
		r.op = "ListObjectsV2";
		r.sign = 1;
		r.resp_max = LIST_RESP_MAX;
		error = rh_s3__perform(b, &r);
		if (error == 0 && (error = rh_s3__xml_list_parse(
					   &page, r.resp.ptr ? r.resp.ptr : "",
					   r.resp.size)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", rh_error_last());
			error = rh__error(RH_EIO, "%s: ListObjectsV2: %s",
			                  what.ptr, why);
		}
		rh_s3__req_dispose(&r);
		if (error == RH_ENOTFOUND) /* no NoSuchKey here: the bucket */
			error = RH_EIO;
		if (error < 0 ||
		    (error = rh_s3__list_turn(&more, &token, &c, &page,
		                              what.ptr, "ListObjectsV2",
		                              "continuation token")) != 0 ||
		    !more)
			goto done;
	}
done:
	rh_s3__list_page_dispose(&page);
	free(token);
	rh_buf_dispose(&full);
	rh_buf_dispose(&query);
	rh_buf_dispose(&url);
	rh_buf_dispose(&what);
	rh_s3__list_emit_dispose(&c);
	return error;
}

/* ---------------------------------------------------------------- open */

static void
s3_close(rh_store_backend *be)
{
	rh_s3__backend *b = (rh_s3__backend *)be;

	rh_s3__http_release(b);
	rh_s3__creds_free(b->creds);
	rh_s3__config_dispose(&b->cfg);
	free(b);
}

static const rh_store_backend_ops s3_ops = {
	.scheme = "s3",
	.put = s3_put,
	.get = s3_get,
	.head = s3_head,
	.list = s3_list,
	.del = s3_del,
	.writer_open = rh_s3__writer_open,
	.writer_write = rh_s3__writer_write,
	.writer_commit = rh_s3__writer_commit,
	.writer_abort = rh_s3__writer_abort,
	.close = s3_close,
	.del_many = s3_del_many,
};

int
rh_store__s3_open(rh_store_backend **out, char **url_out, const char *url,
                  const rh_store_options *opts)
{
	const curl_version_info_data *v;
	rh_s3__backend *b;
	int error;

	*out = NULL;
	if ((error = rh_s3__curl_ready()) < 0)
		return error;
	v = curl_version_info(CURLVERSION_NOW);
	if (v->version_num < 0x074b00)
		return rh__error(
			RH_EINVAL,
			"%s: libcurl %s has no SigV4 signing: s3:// stores need libcurl 7.75 or later",
			url, v->version);
	if (!(b = rh__calloc(1, sizeof(*b))))
		return RH_ENOMEM;
	b->parent.ops = &s3_ops;
	rh_s3__engine_init(b);
	if ((error = rh_s3__config_load(&b->cfg, url, opts, NULL, NULL)) < 0)
		goto fail;
	if ((error = rh_s3__creds_new(&b->creds, b)) < 0)
		goto fail;
	if (!(*url_out = rh__strdup(b->cfg.url))) {
		error = RH_ENOMEM;
		goto fail;
	}
	*out = &b->parent;
	return 0;
fail:
	s3_close(&b->parent);
	return error;
}
