/* dashboard_reply.c - the reply layer under every route file: response
 * headers, status and type, Ray's {"result", "msg", "data"} envelope and its
 * failures, the size limit, gzip and the Cookie header (dashboard_reply.h).
 * It calls nothing above it: routes call down into it, never the reverse. */
#include "dashboard_reply.h"

#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include <stdio.h>
#include <zlib.h>

#define GZIP_MIN 860

/* ---- responses --------------------------------------------------------------- */

int
rh_dashboard__header(rh_dashboard_response *r, const char *name,
                     const char *fmt, ...)
{
	rh_buf v = RH_BUF_INIT;
	va_list ap;
	int error;

	if (r->nheaders >= RH_DASHBOARD_MAX_HEADERS)
		return rh__error(RH_ERROR, "too many response headers");
	va_start(ap, fmt);
	error = rh_buf_vprintf(&v, fmt, ap);
	va_end(ap);
	if (error < 0)
		return error;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = v.ptr;
	r->nheaders++;
	return 0;
}

RH_EXTERN const char *
rh_dashboard_response_header(const rh_dashboard_response *r, const char *name)
{
	size_t i;

	for (i = 0; r && i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

int
rh_dashboard__reply(rh_dash_ctx *c, int status, const char *type)
{
	c->resp->status = status;
	c->resp->content_type = type;
	return 0;
}

int
rh_dashboard__fail(rh_dash_ctx *c, int status, const char *fmt, ...)
{
	rh_buf msg = RH_BUF_INIT;
	rh__jw w;
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = rh_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (error < 0)
		return error;
	rh_buf_clear(&c->resp->body);
	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_kbool(&w, "result", 0);
	rh__jw_kstr(&w, "msg", msg.ptr);
	rh__jw_key(&w, "data");
	rh__jw_obj(&w);
	rh__jw_end(&w);
	rh__jw_end(&w);
	rh_buf_dispose(&msg);
	if (w.err)
		return w.err;
	return rh_dashboard__reply(c, status, RH_DASH_JSON_TYPE);
}

int
rh_dashboard__fail_code(rh_dash_ctx *c, int error)
{
	int status = error == RH_EINVAL    ? 400 :
	             error == RH_ENOTFOUND ? 404 :
	             error == RH_EBUSY     ? 503 :
	                                     500;
	const char *msg = rh_error_last();

	if (error == RH_ECORRUPT)
		c->damaged = 1;
	return rh_dashboard__fail(c, status, "%s",
	                          *msg ? msg : rh_error_name(error));
}

void
rh_dashboard__envelope_begin(rh__jw *w, const char *msg)
{
	rh__jw_obj(w);
	rh__jw_kbool(w, "result", 1);
	rh__jw_kstr(w, "msg", msg);
	rh__jw_key(w, "data");
	rh__jw_obj(w);
}

void
rh_dashboard__envelope_end(rh__jw *w)
{
	/* the envelope is the document: what the answer left open ends too */
	while (w->depth > 0)
		rh__jw_end(w);
}

int
rh_dashboard__reply_jw(rh_dash_ctx *c, rh__jw *w)
{
	if (w->err)
		return w->err;
	if (c->resp->body.size > c->max_body)
		return rh_dashboard__fail(c, 413,
		                          "the response would be %zu "
		                          "bytes, more than this server's "
		                          "limit of %zu; ask for less (limit, "
		                          "lines, filters)",
		                          c->resp->body.size, c->max_body);
	return rh_dashboard__reply(c, 200, RH_DASH_JSON_TYPE);
}

/* ---- gzip ------------------------------------------------------------------ */

int
rh_dashboard__gzip(rh_buf *out, const void *data, size_t len, int level)
{
	z_stream z;
	int zr, error;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return rh__error(RH_ENOMEM, "gzip: cannot start a compressor");
	if ((error = rh_buf_grow(out, out->size + deflateBound(&z, (uLong)len) +
	                                      32)) < 0) {
		deflateEnd(&z);
		return error;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->ptr + out->size;
	z.avail_out = (uInt)(out->asize - out->size - 1);
	zr = deflate(&z, Z_FINISH);
	if (zr == Z_STREAM_END)
		out->size += z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END)
		return rh__error(RH_ERROR, "gzip: compression failed (%d)", zr);
	out->ptr[out->size] = '\0';
	return 0;
}

/* Does Accept-Encoding allow gzip? A "gzip" (or "*") token whose q is not
 * zero. */
int
rh_dashboard__accepts_gzip(const char *ae)
{
	const char *p = ae;

	while (p && *p) {
		const char *end = p + strcspn(p, ",");
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *tok_end = semi ? semi : end;
		size_t n;

		while (p < tok_end && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(tok_end - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == 4 && !strncasecmp(p, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(p, "x-gzip", 6)) ||
		    (n == 1 && *p == '*')) {
			const char *q = semi ? strstr(semi, "q=") : NULL;
			if (!q || q > end || strtod(q + 2, NULL) > 0)
				return 1;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int
compressible(const char *type)
{
	return type && (!strncmp(type, "text/", 5) ||
	                !strncmp(type, "application/json", 16) ||
	                !strncmp(type, "application/javascript", 22) ||
	                !strncmp(type, "application/manifest+json", 25) ||
	                !strncmp(type, "image/svg+xml", 13));
}

int
rh_dashboard__maybe_gzip(rh_dashboard_response *r,
                         const rh_dashboard_request *req)
{
	rh_buf z = RH_BUF_INIT;
	int error;

	if (r->stream || r->body.size < GZIP_MIN ||
	    !compressible(r->content_type) ||
	    !rh_dashboard__accepts_gzip(req->accept_encoding) ||
	    rh_dashboard_response_header(r, "Content-Encoding"))
		return 0;
	/* Level 6 costs milliseconds on a page of 100 detailed tasks, several
	 * times the query itself; past 64 KiB level 1 (a little larger, three
	 * times faster) is the better trade on any network a browser is on. */
	if ((error = rh_dashboard__gzip(&z, r->body.ptr, r->body.size,
	                                r->body.size < (64u << 10) ? 6 : 1)) <
	    0)
		return error;
	if (r->nheaders + 2 > RH_DASHBOARD_MAX_HEADERS) {
		rh_buf_dispose(&z);
		return 0;
	}
	rh_buf_dispose(&r->body);
	r->body = z;
	if ((error = rh_dashboard__header(r, "Content-Encoding", "gzip")) < 0)
		return error;
	return rh_dashboard__header(r, "Vary", "Accept-Encoding");
}

/* The value of cookie `name` in a Cookie header, copied into out. */
int
rh_dashboard__cookie_get(char *out, size_t cap, const char *hdr,
                         const char *name)
{
	size_t nlen = strlen(name);
	const char *p = hdr;

	while (p && *p) {
		const char *end;
		size_t vlen;

		while (*p == ' ' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > nlen && !strncmp(p, name, nlen) &&
		    p[nlen] == '=') {
			const char *v = p + nlen + 1;
			vlen = (size_t)(end - v);
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			if (vlen == 0 || vlen >= cap)
				return 0;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}
