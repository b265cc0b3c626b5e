/* store_az.c - the az:// store backend: blobs in a container of Azure Blob
 * Storage (or the Azurite emulator), one block blob per key under the
 * store's prefix.
 *
 * Each operation is one REST call of the Blob service ("Put Blob", "Get
 * Blob" with x-ms-range semantics through Range, "Get Blob Properties",
 * "Delete Blob", "List Blobs" one page of up to 5000 names at a time, "Blob
 * Batch" for deleting many), signed with Shared Key (store_az_sign.c) or
 * carrying a SAS token, and run with retries by the S3 backend's HTTP
 * engine (store_s3_http.c). Listings give the same entries in the same
 * order as file:// does, through the listing code s3:// uses.
 *
 * The handle holds no mutable state but the HTTP engine's pool and
 * atomics, so any number of threads may use it at once.
 */
#include "internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <time.h>

#include "store_az.h"

#define LIST_RESP_MAX (64u << 20)

/* ---------------------------------------------------------------- requests */

/* "Authorize with Shared Key": x-ms-date and x-ms-version on every request,
 * then the Authorization header over the string to sign; with a SAS token
 * the token in the URL is the authorization and nothing is signed. Run
 * before every attempt, so a retry carries a fresh date. */
static int
presign(rh_s3__req *r, void *arg)
{
	rh_az__req *q = arg;
	const rh_az__config *cfg = &q->b->cfg;
	const char *ms[8];
	char date[64], datehdr[80], range[64];
	rh_az__sign_req s;
	rh_buf auth = RH_BUF_INIT;
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0, i;
	int error;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(datehdr, sizeof(datehdr), "x-ms-date:%s", date);
	ms[n++] = datehdr;
	ms[n++] = "x-ms-version:" RH_AZ__VERSION;
	for (i = 0; i < RH_ARRAY_SIZE(q->ms_extra) && q->ms_extra[i]; i++)
		ms[n++] = q->ms_extra[i];
	ms[n] = NULL;
	rh_buf_clear(&r->extra);
	for (i = 0; i < n; i++)
		if ((error = rh_buf_printf(&r->extra, "%s\n", ms[i])) < 0)
			goto done;
	if (q->content_type &&
	    (error = rh_buf_printf(&r->extra, "Content-Type: %s\n",
	                           q->content_type)) < 0)
		goto done;
	if (cfg->key) {
		memset(&s, 0, sizeof(s));
		s.method = r->method;
		s.url = r->url;
		s.content_length =
			strcmp(r->method, "PUT") == 0 ||
					strcmp(r->method, "POST") == 0 ?
				r->body_len :
				0;
		s.content_type = q->content_type;
		if (r->has_range) {
			rh_s3__range_value(range, sizeof(range), r->range_off,
			                   r->range_len);
			s.range = range;
		}
		s.ms_headers = ms;
		if ((error = rh_az__authorization(&auth, cfg->account, cfg->key,
		                                  cfg->key_len, &s)) < 0 ||
		    (error = rh_buf_printf(&r->extra, "Authorization: %s\n",
		                           auth.ptr)) < 0)
			goto done;
	}
	error = 0;
done:
	rh_buf_dispose(&auth);
	return error;
}

int
rh_az__check_name(const rh_az__config *cfg, const char *name, const char *what)
{
	/* "Naming and Referencing Containers, Blobs, and Metadata": the
	 * service reads '\' in a blob name as '/', so "a\b" would be the
	 * blob "a/b": refused rather than silently aliased. */
	if (strchr(name, '\\'))
		return rh__error(
			RH_EINVAL,
			"%s/%s: Azure Blob Storage reads '\\' in a blob name as '/': this %s cannot be stored in an az:// store",
			cfg->url, name, what);
	return 0;
}

int
rh_az__req_init(rh_az__req *q, rh_az__backend *b, const char *method,
                const char *op, const char *key, const char *query)
{
	const rh_az__config *cfg = &b->cfg;
	int error;

	memset(q, 0, sizeof(*q));
	q->b = b;
	if (key && (error = rh_az__check_name(cfg, key, "key")) < 0)
		return error;
	if ((error = rh_buf_printf(&q->url, "%s/%s", cfg->endpoint,
	                           cfg->container)) < 0)
		return error;
	if (key) {
		if ((error = rh_buf_puts(&q->url, "/")) < 0 ||
		    (*cfg->prefix &&
		     ((error = rh_s3__encode(&q->url, cfg->prefix,
		                             strlen(cfg->prefix), 1)) < 0 ||
		      (error = rh_buf_puts(&q->url, "/")) < 0)) ||
		    (error = rh_s3__encode(&q->url, key, strlen(key), 1)) < 0)
			return error;
	}
	if (query && *query &&
	    (error = rh_buf_printf(&q->url, "?%s", query)) < 0)
		return error;
	if (cfg->sas &&
	    (error = rh_buf_printf(&q->url, "%c%s", query && *query ? '&' : '?',
	                           cfg->sas)) < 0)
		return error;
	if ((error = key ? rh_buf_printf(&q->what, "%s/%s", cfg->url, key) :
	                   rh_buf_puts(&q->what, cfg->url)) < 0)
		return error;
	q->r.method = method;
	q->r.op = op;
	q->r.url = q->url.ptr;
	q->r.what = q->what.ptr;
	q->r.presign = presign;
	q->r.presign_arg = q;
	q->r.secret_url = cfg->sas != NULL;
	return 0;
}

int
rh_az__perform(rh_az__req *q)
{
	q->r.url = q->url.ptr;
	q->r.what = q->what.ptr;
	return rh_s3__perform(q->b->http, &q->r);
}

void
rh_az__req_dispose(rh_az__req *q)
{
	rh_s3__req_dispose(&q->r);
	rh_buf_dispose(&q->url);
	rh_buf_dispose(&q->what);
}

/* ---------------------------------------------------------------- objects */

/* "Put Blob": a block blob in one request, replacing any older one. */
static int
az_put(rh_store_backend *be, const char *key, const void *data, size_t len)
{
	rh_az__backend *b = (rh_az__backend *)be;
	rh_az__req q;
	int error;

	if ((error = rh_az__req_init(&q, b, "PUT", "Put Blob", key, NULL)) ==
	    0) {
		q.ms_extra[0] = "x-ms-blob-type:BlockBlob";
		q.r.body = data;
		q.r.body_len = len;
		q.content_type = "application/octet-stream";
		error = rh_az__perform(&q);
	}
	rh_az__req_dispose(&q);
	return error;
}

/* "Get Blob" of bytes [off, off+len) into `out`. */
static int
az_get_range(rh_az__backend *b, rh_buf *out, const char *key, uint64_t off,
             size_t len)
{
	rh_az__req q;
	int error;

	if ((error = rh_az__req_init(&q, b, "GET", "Get Blob", key, NULL)) ==
	    0) {
		q.r.sink = out;
		q.r.has_range = off > 0 || len != SIZE_MAX;
		q.r.range_off = off;
		q.r.range_len = len;
		error = rh_az__perform(&q);
		/* Past the end: 416 InvalidRange; a store answers nothing. */
		if (error < 0 && q.r.status == 416) {
			rh_error_clear();
			error = 0;
		}
	}
	rh_az__req_dispose(&q);
	return error;
}

/* "Get Blob Properties": the answer has no body, but x-ms-error-code says
 * BlobNotFound or ContainerNotFound (store_s3_http.c keeps it). */
static int
az_head(uint64_t *size_out, int64_t *mtime_ms_out, rh_store_backend *be,
        const char *key)
{
	rh_az__backend *b = (rh_az__backend *)be;
	rh_az__req q;
	int error;

	if ((error = rh_az__req_init(&q, b, "HEAD", "Get Blob Properties", key,
	                             NULL)) < 0 ||
	    (error = rh_az__perform(&q)) < 0)
		goto done;
	if (!q.r.have_length) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: HEAD: the answer has no Content-Length",
		                  q.what.ptr);
		goto done;
	}
	*size_out = q.r.length;
	if (mtime_ms_out)
		*mtime_ms_out = q.r.mtime_ms;
done:
	if (error == RH_ENOTFOUND)
		rh__error(RH_ENOTFOUND, "%s: no such object", q.what.ptr);
	rh_az__req_dispose(&q);
	return error;
}

static int
az_get(rh_buf *out, rh_store_backend *be, const char *key, uint64_t off,
       size_t len)
{
	rh_az__backend *b = (rh_az__backend *)be;
	uint64_t size;
	size_t base = out->size;

	if (len == 0)
		return az_head(&size, NULL, be, key);
	return rh_store__get_rollback(out, base,
	                              az_get_range(b, out, key, off, len));
}

/* "Delete Blob"; BlobNotFound is no error, ContainerNotFound is. */
static int
az_del(rh_store_backend *be, const char *key)
{
	rh_az__backend *b = (rh_az__backend *)be;
	rh_az__req q;
	int error;

	if ((error = rh_az__req_init(&q, b, "DELETE", "Delete Blob", key,
	                             NULL)) == 0 &&
	    (error = rh_az__perform(&q)) == RH_ENOTFOUND &&
	    strcmp(q.r.err.code, "BlobNotFound") == 0) {
		rh_error_clear();
		error = 0;
	}
	if (error == RH_ENOTFOUND)
		error = RH_EIO;
	rh_az__req_dispose(&q);
	return error;
}

/* ---------------------------------------------------------------- list */

/* The query of one List Blobs page: `full` is the prefix in the container,
 * `marker` where the last page ended (NULL for the first). */
static int
list_query(rh_buf *query, const rh_az__config *cfg, const rh_buf *full,
           const char *delim, const char *marker)
{
	int error;

	rh_buf_clear(query);
	if ((error = rh_buf_printf(
		     query, "restype=container&comp=list&maxresults=%u&prefix=",
		     cfg->list_max)) < 0 ||
	    (error = rh_s3__encode(query, full->ptr, full->size, 0)) < 0 ||
	    (delim &&
	     ((error = rh_buf_puts(query, "&delimiter=")) < 0 ||
	      (error = rh_s3__encode(query, delim, strlen(delim), 0)) < 0)) ||
	    (marker &&
	     ((error = rh_buf_puts(query, "&marker=")) < 0 ||
	      (error = rh_s3__encode(query, marker, strlen(marker), 0)) < 0)))
		return error;
	return 0;
}

/* Fetch and parse one page. A missing container is an I/O error: the
 * store was opened on it. */
static int
list_page(rh_az__backend *b, const char *query, rh_s3__list_page *page)
{
	rh_az__req q;
	int error;

	if ((error = rh_az__req_init(&q, b, "GET", "List Blobs", NULL,
	                             query)) == 0) {
		q.r.resp_max = LIST_RESP_MAX;
		error = rh_az__perform(&q);
	}
	if (error == 0 && (error = rh_az__xml_list_parse(
				   page, q.r.resp.ptr ? q.r.resp.ptr : "",
				   q.r.resp.size)) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", rh_error_last());
		error = rh__error(RH_EIO, "%s: List Blobs: %s", b->cfg.url,
		                  why);
	}
	rh_az__req_dispose(&q);
	if (error == RH_ENOTFOUND) /* the container */
		error = RH_EIO;
	return error;
}

/* "List Blobs": restype=container&comp=list with prefix, delimiter,
 * maxresults and the marker of the last page, until NextMarker is empty. */
static int
az_list(rh_store_backend *be, const char *prefix, const char *delim,
        rh_store_list_cb cb, void *payload)
{
	rh_az__backend *b = (rh_az__backend *)be;
	const rh_az__config *cfg = &b->cfg;
	rh_buf full = RH_BUF_INIT, query = RH_BUF_INIT;
	rh_s3__list_page page = { 0 };
	rh_s3__list_emit c;
	char *marker = NULL;
	int error, more;

	memset(&c, 0, sizeof(c));
	if ((error = rh_az__check_name(cfg, prefix, "prefix")) < 0)
		return error;
	c.store_prefix = cfg->prefix;
	c.strip = *cfg->prefix ? strlen(cfg->prefix) + 1 : 0;
	c.cb = cb;
	c.payload = payload;
	/* Azurite 3.35 cuts a BlobPrefix one byte after where a delimiter
	 * starts, so a delimiter longer than one byte is rolled up here. */
	if (delim && strlen(delim) > 1) {
		c.rollup = delim;
		c.rollup_from = strlen(prefix);
		delim = NULL;
	}
	if ((error = *cfg->prefix ? rh_buf_printf(&full, "%s/%s", cfg->prefix,
	                                          prefix) :
	                            rh_buf_puts(&full, prefix)) < 0)
		goto done;
	do {
		if ((error = list_query(&query, cfg, &full, delim, marker)) <
		            0 ||
		    (error = list_page(b, query.ptr, &page)) < 0 ||
		    (error = rh_s3__list_turn(&more, &marker, &c, &page,
		                              cfg->url, "List Blobs",
		                              "marker")) != 0)
			goto done;
	} while (more);
done:
	rh_s3__list_page_dispose(&page);
	free(marker);
	rh_buf_dispose(&full);
	rh_buf_dispose(&query);
	rh_s3__list_emit_dispose(&c);
	return error;
}

/* ---------------------------------------------------------------- open, close */

static void
az_close(rh_store_backend *be)
{
	rh_az__backend *b = (rh_az__backend *)be;

	if (b->http) {
		rh_s3__http_release(b->http);
		rh_s3__config_dispose(&b->http->cfg);
		free(b->http);
	}
	rh_az__config_dispose(&b->cfg);
	free(b);
}

static const rh_store_backend_ops az_ops = {
	.scheme = "az",
	.put = az_put,
	.get = az_get,
	.head = az_head,
	.list = az_list,
	.del = az_del,
	.writer_open = rh_az__writer_open,
	.writer_write = rh_az__writer_write,
	.writer_commit = rh_az__writer_commit,
	.writer_abort = rh_az__writer_abort,
	.close = az_close,
	.del_many = rh_az__del_many,
};

/* The S3 engine's settings that an Azure request uses: timeouts, attempts,
 * CA bundle, and the names in messages. */
static int
http_new(rh_az__backend *b)
{
	rh_s3__backend *h;

	if (!(b->http = h = rh__calloc(1, sizeof(*h))))
		return RH_ENOMEM;
	rh_s3__engine_init(h);
	h->cfg.max_attempts = b->cfg.max_attempts;
	h->cfg.timeout_ms = b->cfg.timeout_ms;
	h->cfg.cred_kind = RH_S3__CRED_STATIC;
	if (!(h->cfg.endpoint = rh__strdup(b->cfg.endpoint)) ||
	    !(h->cfg.endpoint_src = rh__strdup(b->cfg.endpoint_src)) ||
	    !(h->cfg.cred_src = rh__strdup(b->cfg.cred_src)) ||
	    (b->cfg.ca_bundle &&
	     !(h->cfg.ca_bundle = rh__strdup(b->cfg.ca_bundle))))
		return RH_ENOMEM;
	return 0;
}

int
rh_store__az_open(rh_store_backend **out, char **url_out, const char *url,
                  const rh_store_options *opts)
{
	rh_az__backend *b;
	int error;

	*out = NULL;
	if ((error = rh_s3__curl_ready()) < 0)
		return error;
	if (!(b = rh__calloc(1, sizeof(*b))))
		return RH_ENOMEM;
	b->parent.ops = &az_ops;
	if ((error = rh_az__config_load(&b->cfg, url, opts, NULL, NULL)) < 0 ||
	    (error = http_new(b)) < 0 ||
	    (error = (*url_out = rh__strdup(b->cfg.url)) ? 0 : RH_ENOMEM) < 0)
		goto fail;
	*out = &b->parent;
	return 0;
fail:
	az_close(&b->parent);
	return error;
}
