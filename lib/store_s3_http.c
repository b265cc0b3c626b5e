/* store_s3_http.c - one S3 (or STS) request: curl handles from a pool,
 * SigV4 by libcurl, the body streamed in or out, and retries.
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4). Two things it leaves to us: the
 * URL must already be canonical (store_s3_url.c), and x-amz-content-sha256
 * must be sent by hand with the body's real SHA-256 - libcurl 7.88 hashes
 * only POSTFIELDS and would sign an upload streamed by a read callback as
 * the empty string. Every header set here is signed by libcurl 7.88, so
 * none may be empty (an empty one is not sent but would be signed).
 *
 * Connections are reused: an idle easy handle keeps its connections, and
 * handles wait in a small pool of the backend between requests. A handle is
 * used by one thread at a time; only the pool is shared, under a mutex.
 */
#include "internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "sha256.h"
#include "store_s3.h"

/* Largest answer kept in memory when the caller did not say. */
#define RESP_MAX_DEFAULT (1u << 20)
/* The first retry waits about this long; later ones twice as long each. */
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 20000

struct rh_s3__xfer {
	rh_s3__backend *b;
	rh_s3__req *r;
	CURL *easy;
	CURLM *multi;
	struct curl_slist *headers;
	rh_buf akid, secret, token;
	char errbuf[CURL_ERROR_SIZE];
	size_t body_off;  /* of the upload */
	size_t sink_base; /* r->sink->size before this attempt */
	uint64_t skip;    /* bytes of a 200 answer before the range */
	uint64_t left;    /* bytes of the range still wanted */
	int decided;      /* the answer's status is known */
	int to_sink;
	int cb_error; /* a callback failed: RH_ENOMEM, RH_ECORRUPT */
};

/* ---------------------------------------------------------------- pool */

static CURL *
easy_get(rh_s3__backend *b)
{
	CURL *e = NULL;

	pthread_mutex_lock(&b->pool_lock);
	if (b->n_easy)
		e = b->easy_pool[--b->n_easy];
	pthread_mutex_unlock(&b->pool_lock);
	if (e)
		curl_easy_reset(e); /* keeps its connections */
	else if (!(e = curl_easy_init()))
		rh__error(RH_ENOMEM, "curl_easy_init failed");
	return e;
}

static void
easy_put(rh_s3__backend *b, CURL *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&b->pool_lock);
	if (b->n_easy < RH_ARRAY_SIZE(b->easy_pool))
		b->easy_pool[b->n_easy++] = e, e = NULL;
	pthread_mutex_unlock(&b->pool_lock);
	if (e)
		curl_easy_cleanup(e);
}

void *
rh_s3__multi_get(rh_s3__backend *b)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&b->pool_lock);
	if (b->n_multi)
		m = b->multi_pool[--b->n_multi];
	pthread_mutex_unlock(&b->pool_lock);
	if (!m && !(m = curl_multi_init()))
		rh__error(RH_ENOMEM, "curl_multi_init failed");
	return m;
}

void
rh_s3__multi_put(rh_s3__backend *b, void *multi)
{
	if (!multi)
		return;
	pthread_mutex_lock(&b->pool_lock);
	if (b->n_multi < RH_ARRAY_SIZE(b->multi_pool))
		b->multi_pool[b->n_multi++] = multi, multi = NULL;
	pthread_mutex_unlock(&b->pool_lock);
	if (multi)
		curl_multi_cleanup(multi);
}

/* ---------------------------------------------------------------- callbacks */

static size_t
on_read(char *dst, size_t size, size_t nmemb, void *ud)
{
	rh_s3__xfer *x = ud;
	size_t n = size * nmemb, left = x->r->body_len - x->body_off;

	if (n > left)
		n = left;
	memcpy(dst, (const char *)x->r->body + x->body_off, n);
	x->body_off += n;
	return n;
}

static int
on_seek(void *ud, curl_off_t off, int origin)
{
	rh_s3__xfer *x = ud;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->r->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->body_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static void
decide(rh_s3__xfer *x)
{
	rh_s3__req *r = x->r;
	uint64_t want;
	long status = 0;

	x->decided = 1;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	x->to_sink = r->sink && status >= 200 && status < 300;
	x->skip = 0;
	x->left = UINT64_MAX;
	if (!x->to_sink)
		return;
	if (r->has_range) {
		x->left = r->range_len;
		/* A server that ignores Range answers 200 with everything. */
		if (status == 200)
			x->skip = r->range_off;
	}
	/* Room for the whole answer at once when its size is known; if
	 * that fails, rh_buf_put() reports it. */
	want = x->left;
	if (r->have_length && r->length < want)
		want = r->length;
	if (want != UINT64_MAX && want < SIZE_MAX / 2 - r->sink->size)
		rh_buf_grow(r->sink, r->sink->size + (size_t)want);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	rh_s3__xfer *x = ud;
	rh_s3__req *r = x->r;
	size_t n = size * nmemb, max;

	if (!x->decided)
		decide(x);
	if (x->to_sink) {
		size_t k = x->skip < n ? (size_t)x->skip : n, take;

		x->skip -= k;
		take = n - k;
		if (take > x->left)
			take = (size_t)x->left;
		if (take && rh_buf_put(r->sink, p + k, take) < 0) {
			x->cb_error = RH_ENOMEM;
			return 0;
		}
		x->left -= take;
		return n;
	}
	max = r->resp_max ? r->resp_max : RESP_MAX_DEFAULT;
	if (r->resp.size + n > max) {
		long status = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			x->cb_error = rh__error(
				RH_ECORRUPT,
				"the answer is larger than %zu bytes", max);
			return 0;
		}
		n = max - r->resp.size; /* an error body: its start will do */
		if (n == 0)
			return size * nmemb;
	}
	if (rh_buf_put(&r->resp, p, n) < 0) {
		x->cb_error = RH_ENOMEM;
		return 0;
	}
	return size * nmemb;
}

/* Does header line p[0..n) name `name` ("etag:")? Then its trimmed value
 * goes to dst. */
static int
header_value(char *dst, size_t dstsz, const char *p, size_t n, const char *name)
{
	size_t l = strlen(name);

	if (n < l || strncasecmp(p, name, l) != 0)
		return 0;
	p += l, n -= l;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 1;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	rh_s3__xfer *x = ud;
	rh_s3__req *r = x->r;
	size_t n = size * nmemb;
	char v[256];

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new answer (after "100 Continue"): forget the last. */
		r->have_length = 0;
		r->length = 0;
		r->mtime_ms = 0;
		r->etag[0] = r->bucket_region[0] = r->ms_error_code[0] = '\0';
	} else if (header_value(v, sizeof(v), p, n, "content-length:")) {
		char *end;

		r->length = strtoull(v, &end, 10);
		r->have_length = end != v && !*end;
	} else if (header_value(v, sizeof(v), p, n, "last-modified:")) {
		time_t t = curl_getdate(v, NULL);

		r->mtime_ms = t > 0 ? (int64_t)t * 1000 : 0;
	} else if (header_value(r->etag, sizeof(r->etag), p, n, "etag:")) {
		/* kept */
	} else if (header_value(r->ms_error_code, sizeof(r->ms_error_code), p,
	                        n, "x-ms-error-code:")) {
		/* Azure's error code, also on a bodiless HEAD answer */
	} else {
		header_value(r->bucket_region, sizeof(r->bucket_region), p, n,
		             "x-amz-bucket-region:");
	}
	return n;
}

/* ---------------------------------------------------------------- setup */

static void
xfer_free(rh_s3__xfer *x)
{
	if (!x)
		return;
	if (x->easy) {
		if (x->multi)
			curl_multi_remove_handle(x->multi, x->easy);
		easy_put(x->b, x->easy);
	}
	curl_slist_free_all(x->headers);
	if (x->secret.ptr)
		memset(x->secret.ptr, 0, x->secret.size);
	rh_buf_dispose(&x->akid);
	rh_buf_dispose(&x->secret);
	rh_buf_dispose(&x->token);
	free(x);
}

static int
add_header(rh_s3__xfer *x, const char *fmt, const char *value)
{
	char line[8192];
	struct curl_slist *l;

	if ((size_t)snprintf(line, sizeof(line), fmt, value) >= sizeof(line))
		return rh__error(RH_EINVAL, "a header is longer than %zu bytes",
		                 sizeof(line));
	if (!(l = curl_slist_append(x->headers, line)))
		return rh__error(RH_ENOMEM, "out of memory (curl header list)");
	x->headers = l;
	return 0;
}

static int
body_sha256(rh_s3__req *r)
{
	rh_sha256 s;
	unsigned char d[32];

	if (r->sha256[0])
		return 0;
	rh__sha256_init(&s);
	if (r->body_len)
		rh__sha256_update(&s, r->body, r->body_len);
	rh__sha256_final(&s, d);
	rh__sha256_hex(r->sha256, d);
	return 0;
}

#define SETOPT(opt, val)                                              \
	do {                                                          \
		if ((cc = curl_easy_setopt(e, opt, val)) != CURLE_OK) \
			goto curl_failed;                             \
	} while (0)

static int
set_method(rh_s3__xfer *x, CURL *e)
{
	rh_s3__req *r = x->r;
	CURLcode cc;

	if (strcmp(r->method, "HEAD") == 0) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "PUT") == 0) {
		SETOPT(CURLOPT_UPLOAD, 1L);
		SETOPT(CURLOPT_READFUNCTION, on_read);
		SETOPT(CURLOPT_READDATA, x);
		SETOPT(CURLOPT_SEEKFUNCTION, on_seek);
		SETOPT(CURLOPT_SEEKDATA, x);
		SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
	} else if (strcmp(r->method, "POST") == 0) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDS, r->body ? r->body : "");
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	} else if (strcmp(r->method, "GET") != 0) {
		SETOPT(CURLOPT_CUSTOMREQUEST, r->method);
	}
	return 0;
curl_failed:
	return rh__error(RH_ERROR, "curl: %s", curl_easy_strerror(cc));
}

void
rh_s3__range_value(char *out, size_t n, uint64_t off, size_t len)
{
	if (len == SIZE_MAX || off + len < off ||
	    off + len - 1 >= UINT64_MAX / 2)
		snprintf(out, n, "bytes=%llu-", (unsigned long long)off);
	else
		snprintf(out, n, "bytes=%llu-%llu", (unsigned long long)off,
		         (unsigned long long)(off + len - 1));
}

/* The caller's own header lines (r->extra, '\n'-separated), as they are:
 * Azure's Shared Key signs them itself (store_az_sign.c). */
static int
add_extra_headers(rh_s3__xfer *x)
{
	const char *p = x->r->extra.ptr, *nl;
	char line[8192];
	int error;

	for (; p && *p; p = nl + 1) {
		size_t n;

		if (!(nl = strchr(p, '\n')))
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n >= sizeof(line))
			return rh__error(RH_EINVAL,
			                 "a header is longer than %zu bytes",
			                 sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (n && (error = add_header(x, "%s", line)) < 0)
			return error;
		if (!*nl)
			break;
	}
	return 0;
}

static int
set_headers(rh_s3__xfer *x)
{
	rh_s3__req *r = x->r;
	char range[64];
	int error = 0;

	if (r->sign && ((error = add_header(x, "x-amz-content-sha256: %s",
	                                    r->sha256)) < 0 ||
	                (x->token.size &&
	                 (error = add_header(x, "x-amz-security-token: %s",
	                                     x->token.ptr)) < 0)))
		return error;
	if (r->has_range) {
		rh_s3__range_value(range, sizeof(range), r->range_off,
		                   r->range_len);
		if ((error = add_header(x, "Range: %s", range)) < 0)
			return error;
	}
	if (r->content_type &&
	    (error = add_header(x, "Content-Type: %s", r->content_type)) < 0)
		return error;
	if (r->content_md5 &&
	    (error = add_header(x, "Content-MD5: %s", r->content_md5)) < 0)
		return error;
	return add_extra_headers(x);
}

static int
xfer_setup(rh_s3__xfer **out, rh_s3__backend *b, rh_s3__req *r)
{
	const rh_s3__config *cfg = &b->cfg;
	char sigv4[128];
	long stall_s;
	rh_s3__xfer *x;
	CURLcode cc;
	CURL *e;
	int error;

	*out = NULL;
	if (!(x = rh__calloc(1, sizeof(*x))))
		return RH_ENOMEM;
	x->b = b;
	x->r = r;
	r->status = 0;
	r->have_length = 0;
	r->length = 0;
	r->mtime_ms = 0;
	r->etag[0] = r->bucket_region[0] = r->ms_error_code[0] = '\0';
	memset(&r->err, 0, sizeof(r->err));
	rh_buf_clear(&r->resp);
	if (r->sink)
		x->sink_base = r->sink->size;
	if (r->sign) {
		if ((error = rh_s3__creds_get(
			     b->creds, &x->akid, &x->secret, &x->token,
			     r->force_refresh ? r->used_akid : NULL)) < 0)
			goto done;
		r->force_refresh = 0;
		snprintf(r->used_akid, sizeof(r->used_akid), "%s", x->akid.ptr);
		body_sha256(r);
	}
	if (r->presign && (error = r->presign(r, r->presign_arg)) < 0)
		goto done;
	if ((error = set_headers(x)) < 0)
		goto done;
	if (!(x->easy = e = easy_get(b))) {
		error = RH_ENOMEM;
		goto done;
	}
	stall_s = (long)((cfg->timeout_ms + 999) / 1000);
	SETOPT(CURLOPT_URL, r->url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_HTTPHEADER, x->headers);
	SETOPT(CURLOPT_USERAGENT, "rayhist/" PACKAGE_VERSION);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	/* A stall, not a slow transfer, fails an attempt: big objects may
	 * take long, but never "timeout" without a byte. */
	SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(CURLOPT_LOW_SPEED_TIME, stall_s);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (cfg->ca_bundle)
		SETOPT(CURLOPT_CAINFO, cfg->ca_bundle);
	if (r->sign) {
		snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", cfg->region);
		SETOPT(CURLOPT_AWS_SIGV4, sigv4);
		SETOPT(CURLOPT_USERNAME, x->akid.ptr);
		SETOPT(CURLOPT_PASSWORD, x->secret.ptr);
	}
	if ((error = set_method(x, e)) < 0)
		goto done;
	*out = x, x = NULL;
done:
	xfer_free(x);
	return error;
curl_failed:
	error = rh__error(RH_ERROR, "curl: %s", curl_easy_strerror(cc));
	goto done;
}

/* ---------------------------------------------------------------- results */

/* Is the root element of `xml` an <Error>? (S3 answers 200 to
 * CompleteMultipartUpload and then may report a failure in the body.) */
static int
root_is_error(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
		} else if (end - p >= 2 && p[0] == '<' &&
		           (p[1] == '?' || p[1] == '!')) {
			const char *q = memchr(p, '>', (size_t)(end - p));

			if (!q)
				return 0;
			p = q + 1;
		} else {
			return end - p >= 7 && memcmp(p, "<Error", 6) == 0 &&
			       (p[6] == '>' || p[6] == ' ');
		}
	}
	return 0;
}

static const char *
reason(long status)
{
	switch (status) {
	case 301: return "Moved Permanently (wrong region or endpoint)";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 403: return "Forbidden (access denied or bad credentials)";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* Describe the attempt's failure into r->last. */
static void
describe(rh_s3__xfer *x, int curl_code)
{
	rh_s3__backend *b = x->b;
	rh_s3__req *r = x->r;
	const char *h;

	if (curl_code != CURLE_OK) {
		const char *msg =
			x->errbuf[0] ? x->errbuf :
				       curl_easy_strerror((CURLcode)curl_code);
		size_t n;

		if (r->sign || r->secret_url)
			snprintf(r->last, sizeof(r->last),
			         "%s [endpoint %s from %s]", msg,
			         b->cfg.endpoint, b->cfg.endpoint_src);
		else
			snprintf(r->last, sizeof(r->last), "%s [%.200s]", msg,
			         r->url);
		if ((h = rh_s3__curl_hint(curl_code))) {
			n = strlen(r->last);
			snprintf(r->last + n, sizeof(r->last) - n, "; %s", h);
		}
		return;
	}
	/* Azure's messages go on with "\nRequestId:...\nTime:...": the
	 * first line is the message. */
	r->err.message[strcspn(r->err.message, "\r\n")] = '\0';
	if (r->err.code[0])
		rh_s3__describe_error(r->last, sizeof(r->last), r->status,
		                      &r->err, b->cfg.cred_src);
	else
		snprintf(r->last, sizeof(r->last), "HTTP %ld %s%s%s", r->status,
		         reason(r->status),
		         r->bucket_region[0] ? "; the bucket is in region " :
		                               "",
		         r->bucket_region);
}

/* The verdict on a finished attempt of x; frees x. For RH_S3__FAIL the
 * error code is in *code_out and the thread's message is set. */
static int
xfer_finish(int *code_out, rh_s3__xfer *x, int curl_code)
{
	rh_s3__backend *b = x->b;
	rh_s3__req *r = x->r;
	int verdict, cb_error = x->cb_error;

	*code_out = 0;
	r->last[0] = '\0';
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (cb_error < 0) {
		/* Out of memory, or an answer too big: no retry helps. */
		if (r->sink) {
			r->sink->size = x->sink_base;
			if (r->sink->ptr)
				r->sink->ptr[r->sink->size] = '\0';
		}
		xfer_free(x);
		*code_out = cb_error;
		return RH_S3__FAIL;
	}
	if (curl_code == CURLE_OK &&
	    (r->status >= 300 || root_is_error(r->resp.ptr, r->resp.size)))
		rh_s3__xml_error_parse(&r->err, r->resp.ptr ? r->resp.ptr : "",
		                       r->resp.size);
	if (curl_code == CURLE_OK && r->status >= 300 && !r->err.code[0] &&
	    r->ms_error_code[0])
		snprintf(r->err.code, sizeof(r->err.code), "%s",
		         r->ms_error_code);
	verdict = rh_s3__classify(curl_code, r->status, r->err.code);
	if (curl_code == CURLE_OK && r->status >= 200 && r->status < 300 &&
	    !r->err.code[0] && r->sign)
		atomic_store(&b->bucket_ok, 1);
	if (verdict == RH_S3__REFRESH &&
	    b->cfg.cred_kind != RH_S3__CRED_WEB_IDENTITY)
		verdict = RH_S3__FAIL;
	if (verdict != RH_S3__OK) {
		describe(x, curl_code);
		/* What a failed attempt appended is not the caller's. */
		if (r->sink) {
			r->sink->size = x->sink_base;
			if (r->sink->ptr)
				r->sink->ptr[r->sink->size] = '\0';
		}
	}
	if (verdict == RH_S3__FAIL) {
		*code_out = curl_code != CURLE_OK ?
		                    RH_EIO :
		                    rh_s3__fail_code(r->status, r->err.code);
		rh__error(*code_out, "%s: %s: %s", r->what, r->op, r->last);
	}
	if (verdict == RH_S3__REFRESH)
		r->force_refresh = 1;
	xfer_free(x);
	return verdict;
}

unsigned
rh_s3__retry_delay(rh_s3__backend *b, unsigned attempt)
{
	return rh_s3__backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS,
	                         rh_s3__random(&b->rnd));
}

int
rh_s3__gave_up(rh_s3__backend *b, rh_s3__req *r)
{
	(void)b;
	return rh__error(RH_EIO,
	                 "%s: %s: gave up after %u attempts (max_attempts): %s",
	                 r->what, r->op, r->attempts, r->last);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		               (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

void
rh_s3__req_dispose(rh_s3__req *r)
{
	rh_buf_dispose(&r->resp);
	rh_buf_dispose(&r->extra);
}

void
rh_s3__http_release(rh_s3__backend *b)
{
	size_t i;

	for (i = 0; i < b->n_easy; i++)
		curl_easy_cleanup(b->easy_pool[i]);
	for (i = 0; i < b->n_multi; i++)
		curl_multi_cleanup(b->multi_pool[i]);
	b->n_easy = b->n_multi = 0;
	pthread_mutex_destroy(&b->pool_lock);
}

int
rh_s3__perform(rh_s3__backend *b, rh_s3__req *r)
{
	rh_s3__xfer *x;
	int error, verdict, code;

	for (;;) {
		if (++r->attempts > 1)
			rh_store__stats_retry();
		if ((error = xfer_setup(&x, b, r)) < 0)
			return error;
		verdict = xfer_finish(&code, x, curl_easy_perform(x->easy));
		switch (verdict) {
		case RH_S3__OK: return 0;
		case RH_S3__FAIL: return code;
		case RH_S3__REFRESH:
			if (r->attempts < b->cfg.max_attempts)
				continue; /* at once, with new credentials */
			return rh_s3__gave_up(b, r);
		default:
			if (r->attempts >= b->cfg.max_attempts)
				return rh_s3__gave_up(b, r);
			sleep_ms(rh_s3__retry_delay(b, r->attempts));
		}
	}
}

/* ---------------------------------------------------------------- multi */

int
rh_s3__xfer_start(rh_s3__xfer **out, rh_s3__backend *b, rh_s3__req *r,
                  void *multi)
{
	rh_s3__xfer *x;
	CURLMcode mc;
	int error;

	*out = NULL;
	if (++r->attempts > 1)
		rh_store__stats_retry();
	if ((error = xfer_setup(&x, b, r)) < 0)
		return error;
	if ((mc = curl_multi_add_handle(multi, x->easy)) != CURLM_OK) {
		xfer_free(x);
		return rh__error(RH_ERROR, "curl: %s", curl_multi_strerror(mc));
	}
	x->multi = multi;
	*out = x;
	return 0;
}

int
rh_s3__xfer_done(int *code_out, rh_s3__xfer *x, int curl_code)
{
	return xfer_finish(code_out, x, curl_code);
}

void
rh_s3__xfer_cancel(rh_s3__xfer *x)
{
	xfer_free(x);
}

void *
rh_s3__xfer_easy(rh_s3__xfer *x)
{
	return x->easy;
}

rh_s3__req *
rh_s3__xfer_req(rh_s3__xfer *x)
{
	return x->r;
}
