/* store_az_batch.c - deleting many blobs in one request: "Blob Batch"
 * (POST container?restype=container&comp=batch), up to 256 "Delete Blob"
 * sub-requests in a multipart/mixed body, each signed with Shared Key on
 * its own as the spec's "Blob Batch" section requires. The answer is a
 * multipart/mixed body with one HTTP answer per sub-request (by
 * Content-ID): 202 deleted, 404 BlobNotFound is "already absent", anything
 * else fails the call. With a SAS token there is no key to sign the
 * sub-requests with, so each key gets its own Delete Blob.
 */
#include "internal.h"

#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "store_az.h"

#define BATCH_MAX 256 /* "Blob Batch": sub-requests per batch */

/* One sub-request: "DELETE /path HTTP/1.1" with its own date and
 * signature; `path` is the blob URL's path as the batch sends it. */
static int
sub_request(rh_buf *body, rh_az__backend *b, const char *boundary, size_t id,
            const char *url, const char *date)
{
	const rh_az__config *cfg = &b->cfg;
	const char *path = strchr(strstr(url, "://") + 3, '/');
	char datehdr[80];
	const char *ms[] = { datehdr, NULL };
	rh_az__sign_req s;
	rh_buf auth = RH_BUF_INIT;
	int error;

	snprintf(datehdr, sizeof(datehdr), "x-ms-date:%s", date);
	memset(&s, 0, sizeof(s));
	s.method = "DELETE";
	s.url = url;
	s.ms_headers = ms;
	if ((error = rh_az__authorization(&auth, cfg->account, cfg->key,
	                                  cfg->key_len, &s)) < 0)
		goto done;
	error = rh_buf_printf(body,
	                      "--%s\r\n"
	                      "Content-Type: application/http\r\n"
	                      "Content-Transfer-Encoding: binary\r\n"
	                      "Content-ID: %zu\r\n"
	                      "\r\n"
	                      "DELETE %s HTTP/1.1\r\n"
	                      "x-ms-date: %s\r\n"
	                      "Authorization: %s\r\n"
	                      "Content-Length: 0\r\n"
	                      "\r\n",
	                      boundary, id, path, date, auth.ptr);
done:
	rh_buf_dispose(&auth);
	return error;
}

/* Check each sub-response of `resp`: "Content-ID: N", a blank line, then
 * "HTTP/1.1 STATUS REASON" and headers. 0 when every one of the n
 * sub-requests succeeded or found its blob absent. */
static int
check_answers(rh_az__backend *b, const char *resp, size_t n,
              const char *const *keys)
{
	const char *p = resp;
	size_t seen = 0;

	while ((p = strstr(p, "HTTP/1.1 "))) {
		long status = strtol(p + 9, NULL, 10);
		const char *end = strstr(p, "\r\n\r\n"), *code, *idp;
		char errcode[64] = "";
		long id = -1;

		/* the Content-ID before this status line */
		for (idp = p; idp > resp; idp--)
			if (strncasecmp(idp, "Content-ID:", 11) == 0) {
				id = strtol(idp + 11, NULL, 10);
				break;
			}
		if ((code = strstr(p, "x-ms-error-code:")) &&
		    (!end || code < end))
			sscanf(code + 16, " %63[^\r\n]", errcode);
		seen++;
		if (status != 202 &&
		    !(status == 404 && strcmp(errcode, "BlobNotFound") == 0))
			return rh__error(
				RH_EIO,
				"%s/%s: Blob Batch: Delete Blob answered %ld %s",
				b->cfg.url,
				id >= 0 && (size_t)id < n ? keys[id] : "?",
				status, errcode[0] ? errcode : "");
		p += 9;
	}
	if (seen != n)
		return rh__error(RH_EIO,
		                 "%s: Blob Batch: %zu answers to %zu deletes",
		                 b->cfg.url, seen, n);
	return 0;
}

static int
batch(rh_az__backend *b, const char *const *keys, size_t n)
{
	rh_buf body = RH_BUF_INIT, ctype = RH_BUF_INIT;
	rh_az__req q, blob;
	char boundary[64], date[64];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;
	int error;

	memset(&q, 0, sizeof(q));
	memset(&blob, 0, sizeof(blob));
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(boundary, sizeof(boundary), "batch_rayhist_%08lx%04zx",
	         (unsigned long)now, n);
	for (i = 0; i < n; i++) {
		rh_az__req_dispose(&blob);
		if ((error = rh_az__req_init(&blob, b, "DELETE", "Delete Blob",
		                             keys[i], NULL)) < 0 ||
		    (error = sub_request(&body, b, boundary, i, blob.url.ptr,
		                         date)) < 0)
			goto done;
	}
	if ((error = rh_buf_printf(&body, "--%s--\r\n", boundary)) < 0 ||
	    (error = rh_buf_printf(&ctype, "multipart/mixed; boundary=%s",
	                           boundary)) < 0 ||
	    (error = rh_az__req_init(&q, b, "POST", "Blob Batch", NULL,
	                             "restype=container&comp=batch")) < 0)
		goto done;
	q.r.body = body.ptr;
	q.r.body_len = body.size;
	q.content_type = ctype.ptr;
	q.r.resp_max = 16u << 20;
	if ((error = rh_az__perform(&q)) < 0)
		goto done;
	error = check_answers(b, q.r.resp.ptr ? q.r.resp.ptr : "", n, keys);
done:
	rh_az__req_dispose(&blob);
	rh_az__req_dispose(&q);
	rh_buf_dispose(&body);
	rh_buf_dispose(&ctype);
	return error;
}

int
rh_az__del_many(rh_store_backend *be, const char *const *keys, size_t n)
{
	rh_az__backend *b = (rh_az__backend *)be;
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((error = rh_az__check_name(&b->cfg, keys[i], "key")) < 0)
			return error;
	if (!b->cfg.key) { /* a SAS: one Delete Blob each */
		for (i = 0; i < n; i++)
			if ((error = be->ops->del(be, keys[i])) < 0)
				return error;
		return 0;
	}
	for (i = 0; i < n; i += BATCH_MAX)
		if ((error = batch(b, keys + i,
		                   n - i < BATCH_MAX ? n - i : BATCH_MAX)) < 0)
			return error;
	return 0;
}
