/* store_s3_writer.c - streamed writes to an s3:// store.
 *
 * An object up to multipart_threshold bytes is held in memory and sent by
 * one PUT at commit. A bigger one becomes a multipart upload as soon as it
 * passes the threshold: every part_size bytes written make a part, which
 * goes up while the caller writes on, up to `parallel` parts at once on
 * the writer's own curl multi handle (no threads). A part that fails
 * transiently is tried again after a backoff, alone; one that fails for
 * good, or runs out of attempts, fails the writer. Commit sends the last
 * part, waits for all, and completes the upload; abort, or any failure,
 * aborts it, so S3 keeps no orphan parts. Nothing is visible under the key
 * before the upload completes, as store.h promises.
 *
 * Memory: at most parallel + 1 parts of part_size bytes per writer.
 */
#include "internal.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "store_backend.h"
#include "store_s3.h"

enum { PART_WAITING, PART_RUNNING };

typedef struct part {
	unsigned number;
	rh_buf data;
	rh_buf url;
	rh_s3__req req;
	rh_s3__xfer *x;   /* while running */
	int64_t retry_at; /* ms; while waiting */
	int state;
} part;

typedef struct done_part {
	unsigned number;
	char etag[130];
} done_part;

typedef struct s3_writer {
	rh_store_backend_writer parent;
	rh_s3__backend *b;
	rh_buf key;  /* full key, with the store prefix */
	char *ukey;  /* the key as the caller named it */
	rh_buf what; /* for messages */
	rh_buf buf;  /* bytes in no part yet */
	uint64_t total;
	char *upload_id; /* NULL until the object passed the threshold */
	part **active;   /* parts sent or waiting to be; at most `parallel` */
	size_t nactive;
	done_part *done;
	size_t ndone, capdone;
	unsigned next_number;
	CURLM *multi;
} s3_writer;

static void
part_free(part *p)
{
	if (!p)
		return;
	rh_s3__xfer_cancel(p->x);
	rh_s3__req_dispose(&p->req);
	rh_buf_dispose(&p->data);
	rh_buf_dispose(&p->url);
	free(p);
}

static void
writer_free(s3_writer *w)
{
	size_t i;

	for (i = 0; i < w->nactive; i++)
		part_free(w->active[i]);
	free(w->active);
	free(w->done);
	rh_s3__multi_put(w->b, w->multi);
	free(w->upload_id);
	free(w->ukey);
	rh_buf_dispose(&w->key);
	rh_buf_dispose(&w->what);
	rh_buf_dispose(&w->buf);
	free(w);
}

/* A request to the object of w with canonical query `query`. */
static void
req_init(rh_s3__req *r, s3_writer *w, const char *method, const char *url,
         const char *op)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->url = url;
	r->what = w->what.ptr;
	r->op = op;
	r->sign = 1;
}

static int
object_url(rh_buf *out, s3_writer *w, const char *name1, const char *value1,
           const char *name2, const char *value2)
{
	rh_s3__query q = { .n = 0 };
	rh_buf query = RH_BUF_INIT;
	int error;

	if ((error = rh_s3__query_add(&q, name1, value1)) < 0 ||
	    (name2 && (error = rh_s3__query_add(&q, name2, value2)) < 0) ||
	    (error = rh_buf_puts(&query, "")) < 0 ||
	    (error = rh_s3__query_build(&query, &q)) < 0)
		goto done;
	rh_buf_clear(out);
	error = rh_s3__object_url(out, &w->b->cfg, w->key.ptr, query.ptr);
done:
	rh_s3__query_dispose(&q);
	rh_buf_dispose(&query);
	return error;
}

static int
start_upload(s3_writer *w)
{
	rh_buf url = RH_BUF_INIT;
	rh_s3__req r;
	int error;

	req_init(&r, w, "POST", NULL, "CreateMultipartUpload");
	if ((error = object_url(&url, w, "uploads", "", NULL, NULL)) < 0)
		goto done;
	r.url = url.ptr;
	if ((error = rh_s3__perform(w->b, &r)) < 0 ||
	    (error = rh_s3__xml_upload_id(&w->upload_id,
	                                  r.resp.ptr ? r.resp.ptr : "",
	                                  r.resp.size)) < 0)
		goto done;
	if (!(w->multi = rh_s3__multi_get(w->b)))
		error = RH_ENOMEM;
done:
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	return error;
}

/* Best effort, so that S3 keeps no parts: the writer already failed or was
 * abandoned, and that failure's message is what the caller wants. */
static void
abort_upload(s3_writer *w)
{
	rh_buf url = RH_BUF_INIT;
	char keep[1024];
	rh_s3__req r;
	size_t i;

	if (!w->upload_id)
		return;
	for (i = 0; i < w->nactive; i++) {
		rh_s3__xfer_cancel(w->active[i]->x);
		w->active[i]->x = NULL;
	}
	snprintf(keep, sizeof(keep), "%s", rh_error_last());
	req_init(&r, w, "DELETE", NULL, "AbortMultipartUpload");
	if (object_url(&url, w, "uploadId", w->upload_id, NULL, NULL) == 0) {
		r.url = url.ptr;
		rh_s3__perform(w->b, &r);
	}
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	rh__error(0, "%s", keep);
	free(w->upload_id);
	w->upload_id = NULL;
}

/* ---------------------------------------------------------------- parts */

static int
part_start(s3_writer *w, part *p)
{
	int error;

	if ((error = rh_s3__xfer_start(&p->x, w->b, &p->req, w->multi)) < 0)
		return error;
	p->state = PART_RUNNING;
	return 0;
}

static int
part_finished(s3_writer *w, size_t i)
{
	part *p = w->active[i];

	if (!p->req.etag[0])
		return rh__error(RH_ECORRUPT,
		                 "%s: UploadPart %u: the answer has no ETag",
		                 w->what.ptr, p->number);
	if (w->ndone == w->capdone) {
		size_t cap = w->capdone ? w->capdone * 2 : 64;
		done_part *d = rh__realloc(w->done, cap * sizeof(*d));

		if (!d)
			return RH_ENOMEM;
		w->done = d, w->capdone = cap;
	}
	w->done[w->ndone].number = p->number;
	memcpy(w->done[w->ndone].etag, p->req.etag, sizeof(p->req.etag));
	w->ndone++;
	part_free(p);
	w->active[i] = w->active[--w->nactive];
	return 0;
}

/* Handle the transfers that ended. */
static int
reap(s3_writer *w)
{
	CURLMsg *msg;
	int left, code, verdict;
	size_t i;

	while ((msg = curl_multi_info_read(w->multi, &left))) {
		part *p = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		for (i = 0; i < w->nactive; i++)
			if (w->active[i]->x &&
			    rh_s3__xfer_easy(w->active[i]->x) ==
			            msg->easy_handle) {
				p = w->active[i];
				break;
			}
		if (!p)
			continue;
		verdict = rh_s3__xfer_done(&code, p->x, msg->data.result);
		p->x = NULL;
		p->state = PART_WAITING;
		switch (verdict) {
		case RH_S3__OK:
			if ((code = part_finished(w, i)) < 0)
				return code;
			break;
		case RH_S3__FAIL: return code;
		case RH_S3__REFRESH: p->retry_at = 0; break;
		default:
			if (p->req.attempts >= w->b->cfg.max_attempts)
				return rh_s3__gave_up(w->b, &p->req);
			p->retry_at = rh__mono_ms() +
			              rh_s3__retry_delay(w->b, p->req.attempts);
		}
	}
	return 0;
}

/* Run the transfers a while: start waiting parts that are due, let curl
 * move data, handle what ended. With `block`, wait for something to
 * happen first. */
static int
drive(s3_writer *w, int block)
{
	int64_t now = rh__mono_ms(), next = -1;
	CURLMcode mc;
	size_t i;
	int running, error;

	for (i = 0; i < w->nactive; i++) {
		part *p = w->active[i];

		if (p->state != PART_WAITING)
			continue;
		if (p->retry_at <= now) {
			if ((error = part_start(w, p)) < 0)
				return error;
		} else if (next < 0 || p->retry_at < next) {
			next = p->retry_at;
		}
	}
	if (block) {
		int timeout = 1000;

		if (next >= 0 && next - now < timeout)
			timeout = (int)(next - now);
		if ((mc = curl_multi_poll(w->multi, NULL, 0,
		                          timeout < 0 ? 0 : timeout, NULL)) !=
		    CURLM_OK)
			return rh__error(RH_EIO, "%s: curl: %s", w->what.ptr,
			                 curl_multi_strerror(mc));
	}
	if ((mc = curl_multi_perform(w->multi, &running)) != CURLM_OK)
		return rh__error(RH_EIO, "%s: curl: %s", w->what.ptr,
		                 curl_multi_strerror(mc));
	return reap(w);
}

/* Send the bytes in w->buf as the next part, waiting for room first. */
static int
send_part(s3_writer *w)
{
	char number[16];
	part *p;
	int error;

	if (w->next_number >= RH_S3__MAX_PARTS)
		return rh__error(
			RH_EINVAL,
			"%s: more than %d parts of %llu bytes: raise part_size (RAYHIST_S3_PART_SIZE)",
			w->what.ptr, RH_S3__MAX_PARTS,
			(unsigned long long)w->b->cfg.part_size);
	while (w->nactive >= w->b->cfg.parallel)
		if ((error = drive(w, 1)) < 0)
			return error;
	if (!(p = rh__calloc(1, sizeof(*p))))
		return RH_ENOMEM;
	p->number = ++w->next_number;
	snprintf(number, sizeof(number), "%u", p->number);
	p->data = w->buf; /* the part takes the bytes; no copy */
	memset(&w->buf, 0, sizeof(w->buf));
	if ((error = object_url(&p->url, w, "partNumber", number, "uploadId",
	                        w->upload_id)) < 0) {
		part_free(p);
		return error;
	}
	req_init(&p->req, w, "PUT", p->url.ptr, "UploadPart");
	p->req.body = p->data.ptr ? p->data.ptr : "";
	p->req.body_len = p->data.size;
	w->active[w->nactive++] = p;
	if ((error = part_start(w, p)) < 0)
		return error;
	return drive(w, 0);
}

/* ---------------------------------------------------------------- api */

int
rh_s3__writer_open(rh_store_backend_writer **out, rh_store_backend *be,
                   const char *key)
{
	rh_s3__backend *b = (rh_s3__backend *)be;
	s3_writer *w;
	int error;

	if (!(w = rh__calloc(1, sizeof(*w))))
		return RH_ENOMEM;
	w->parent.be = be;
	w->b = b;
	if (!(w->active = rh__calloc(b->cfg.parallel, sizeof(*w->active)))) {
		free(w);
		return RH_ENOMEM;
	}
	if (!(w->ukey = rh__strdup(key))) {
		writer_free(w);
		return RH_ENOMEM;
	}
	if ((error = rh_s3__full_key(&w->key, b, key)) < 0 ||
	    (error = rh_s3__what(&w->what, b, key)) < 0) {
		writer_free(w);
		return error;
	}
	*out = &w->parent;
	return 0;
}

int
rh_s3__writer_write(rh_store_backend_writer *bw, const void *data, size_t len)
{
	s3_writer *w = (s3_writer *)bw;
	const rh_s3__config *cfg = &w->b->cfg;
	const char *p = data;
	int error;

	while (len) {
		size_t take = len;

		/* Fill up to the threshold (one PUT), or to a whole part. */
		if (!w->upload_id) {
			if (w->buf.size + take > cfg->multipart_threshold + 1)
				take = (size_t)(cfg->multipart_threshold + 1 -
				                w->buf.size);
		} else if (w->buf.size + take > cfg->part_size) {
			take = (size_t)(cfg->part_size - w->buf.size);
		}
		if ((error = rh_buf_put(&w->buf, p, take)) < 0)
			return error;
		p += take, len -= take;
		w->total += take;
		if (!w->upload_id && w->buf.size > cfg->multipart_threshold) {
			rh_buf rest = RH_BUF_INIT;
			size_t off;

			if ((error = start_upload(w)) < 0)
				return error;
			/* The held bytes become whole parts, the rest stays. */
			rest = w->buf;
			memset(&w->buf, 0, sizeof(w->buf));
			for (off = 0; rest.size - off >= cfg->part_size;
			     off += cfg->part_size)
				if ((error = rh_buf_put(
					     &w->buf, rest.ptr + off,
					     (size_t)cfg->part_size)) < 0 ||
				    (error = send_part(w)) < 0) {
					rh_buf_dispose(&rest);
					return error;
				}
			error = rh_buf_put(&w->buf, rest.ptr + off,
			                   rest.size - off);
			rh_buf_dispose(&rest);
			if (error < 0)
				return error;
		} else if (w->upload_id && w->buf.size == cfg->part_size &&
		           (error = send_part(w)) < 0) {
			return error;
		}
	}
	return 0;
}

static int
complete_body(rh_buf *body, s3_writer *w)
{
	size_t i, j;
	int error;

	/* Parts finish in any order; the list must be ascending. */
	for (i = 1; i < w->ndone; i++)
		for (j = i; j > 0 && w->done[j - 1].number > w->done[j].number;
		     j--) {
			done_part t = w->done[j];

			w->done[j] = w->done[j - 1];
			w->done[j - 1] = t;
		}
	if ((error = rh_buf_puts(
		     body,
		     "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")) <
	    0)
		return error;
	for (i = 0; i < w->ndone; i++)
		if ((error = rh_buf_printf(
			     body, "<Part><PartNumber>%u</PartNumber><ETag>",
			     w->done[i].number)) < 0 ||
		    (error = rh_s3__xml_escape(body, w->done[i].etag)) < 0 ||
		    (error = rh_buf_puts(body, "</ETag></Part>")) < 0)
			return error;
	return rh_buf_puts(body, "</CompleteMultipartUpload>");
}

static int
complete_upload(s3_writer *w)
{
	rh_buf url = RH_BUF_INIT, body = RH_BUF_INIT;
	rh_s3__req r;
	uint64_t size;
	char etag[130];
	int error;

	req_init(&r, w, "POST", NULL, "CompleteMultipartUpload");
	if ((error = complete_body(&body, w)) < 0 ||
	    (error = object_url(&url, w, "uploadId", w->upload_id, NULL,
	                        NULL)) < 0)
		goto done;
	r.url = url.ptr;
	r.body = body.ptr;
	r.body_len = body.size;
	r.content_type = "application/xml";
	error = rh_s3__perform(w->b, &r);
	/* A retry after an answer lost on the way finds the upload gone:
	 * if the object has our size, the first try did it. */
	if (error < 0 && r.attempts > 1 &&
	    strcmp(r.err.code, "NoSuchUpload") == 0 &&
	    w->b->parent.ops->head(&size, NULL, &w->b->parent, w->ukey) == 0 &&
	    size == w->total) {
		rh_error_clear();
		error = 0;
	} else if (error == 0 &&
	           (rh_s3__xml_complete_etag(etag, sizeof(etag),
	                                     r.resp.ptr ? r.resp.ptr : "",
	                                     r.resp.size) < 0 ||
	            !etag[0])) {
		/* No ETag to show the upload became the object (Ceph RGW 16
		 * answers <ETag></ETag>): the object's size must show it. */
		rh_error_clear();
		if ((error = w->b->parent.ops->head(&size, NULL, &w->b->parent,
		                                    w->ukey)) == 0 &&
		    size != w->total)
			error = rh__error(
				RH_ECORRUPT,
				"%s: CompleteMultipartUpload: the object has %" PRIu64
				" bytes after the upload of %" PRIu64,
				r.what, size, w->total);
	}
	if (error == 0) {
		free(w->upload_id); /* done: nothing to abort */
		w->upload_id = NULL;
	}
done:
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	rh_buf_dispose(&body);
	return error;
}

static int
put_whole(s3_writer *w)
{
	rh_buf url = RH_BUF_INIT;
	rh_s3__req r;
	int error;

	req_init(&r, w, "PUT", NULL, "PUT");
	if ((error = rh_s3__object_url(&url, &w->b->cfg, w->key.ptr, NULL)) < 0)
		goto done;
	r.url = url.ptr;
	r.body = w->buf.ptr ? w->buf.ptr : "";
	r.body_len = w->buf.size;
	error = rh_s3__perform(w->b, &r);
done:
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&url);
	return error;
}

int
rh_s3__writer_commit(rh_store_backend_writer *bw)
{
	s3_writer *w = (s3_writer *)bw;
	int error = 0;

	if (!w->upload_id) {
		error = put_whole(w);
		goto done;
	}
	if (w->buf.size && (error = send_part(w)) < 0)
		goto done;
	while (w->nactive)
		if ((error = drive(w, 1)) < 0)
			goto done;
	error = complete_upload(w);
done:
	abort_upload(w); /* after a failure; a no-op after success */
	writer_free(w);
	return error;
}

void
rh_s3__writer_abort(rh_store_backend_writer *bw)
{
	s3_writer *w = (s3_writer *)bw;

	abort_upload(w);
	writer_free(w);
}
