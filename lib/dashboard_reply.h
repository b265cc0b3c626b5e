/* dashboard_reply.h - the reply layer every dashboard route calls down into
 * (dashboard_reply.c): the per-request context, response headers, status,
 * Ray's envelope and its failures, the size limit, gzip, cookies, query
 * values (dashboard_query.c). Nothing
 * here calls a route, the session cache or the router. */
#ifndef RH_DASHBOARD_REPLY_H
#define RH_DASHBOARD_REPLY_H

#include "dashboard_json.h"

#define RH_DASH_JSON_TYPE "application/json"

struct rh_dash_entry;
struct rh_dash_snap;

/* ---- per-request context -------------------------------------------------- */

typedef struct rh_dash_ctx {
	rh_dashboard *d;
	const rh_dashboard_request *req;
	const rh_dashboard_url *url;
	rh_dashboard_response *resp;
	rh_session_ref sref;         /* the session, when the URL names one */
	struct rh_dash_entry *entry; /* its cache entry (borrowed) */
	struct rh_dash_snap *snap; /* a reference, released after the handler */
	char **segs;               /* path segments after the session prefix */
	size_t nsegs;
	const char *sub; /* those segments '/'-joined ("" for none) */
	rh_buf subbuf;
	char *base; /* URL of the session prefix, "/c/NS/C/S/" */
	int64_t now_ms;
	const char *build; /* a dashboard build chosen by cookie */
	/* Playback: /c/NS/CLUSTER/SESSION@TIME/ shows the session at TIME. */
	const char *at_text; /* TIME as given, or NULL */
	int64_t at_ns;       /* its instant; RH_TIME_NONE: final state */
	/* The answer depends only on the request and the snapshot (not on the
	 * clock): it may be kept in the cache. Set by the router for session
	 * API paths; cleared by handlers that write the clock. */
	int cacheable;
	size_t max_body; /* the dashboard's opts.max_body */
	/* A handler met RH_ECORRUPT (rh_dashboard__fail_code()): the router
	 * marks the session's index for a rebuild. */
	int damaged;
} rh_dash_ctx;

/* ---- responses ------------------------------------------------------------ */

int rh_dashboard__header(rh_dashboard_response *r, const char *name,
                         const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The body is ready: set status and type. */
int rh_dashboard__reply(rh_dash_ctx *c, int status, const char *type);
/* {"result": false, "msg": MESSAGE, "data": {}} with `status`. */
int rh_dashboard__fail(rh_dash_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A failed library call: RH_EINVAL -> 400, RH_ENOTFOUND -> 404, else 500;
 * the message is rh_error_last(). */
int rh_dashboard__fail_code(rh_dash_ctx *c, int error);
/* Start Ray's envelope: {"result": true, "msg": MSG, "data": {... and
 * leave the writer inside the data object (Ray's is always one); w holds
 * nothing else. */
void rh_dashboard__envelope_begin(rh__jw *w, const char *msg);
/* End the envelope, and first whatever the answer still has open in it. */
void rh_dashboard__envelope_end(rh__jw *w);
/* The body as JSON with status 200, or a 500 when the writer failed. */
int rh_dashboard__reply_jw(rh_dash_ctx *c, rh__jw *w);
/* Compress r's body for req when it is worth it and the client takes gzip
 * (adds Content-Encoding and Vary). */
int rh_dashboard__maybe_gzip(rh_dashboard_response *r,
                             const rh_dashboard_request *req);
int rh_dashboard__gzip(rh_buf *out, const void *data, size_t len, int level);
/* Does an Accept-Encoding header value allow gzip? */
int rh_dashboard__accepts_gzip(const char *accept_encoding);
/* The value of cookie `name` in a Cookie header; 1 when found
 * and it fits in cap. */
int rh_dashboard__cookie_get(char *out, size_t cap, const char *hdr,
                             const char *name);

/* ---- query values (dashboard_query.c) ----------------------------------------------- */

int rh_dashboard__param_int(int64_t *out, const rh_dashboard_url *u,
                            const char *key, int64_t def, int64_t min,
                            int64_t max);
int rh_dashboard__param_bool(int *out, const rh_dashboard_url *u,
                             const char *key, int def);
int rh_dashboard__parse_bool(int *out, const char *key, const char *v);
int rh_dashboard__param_enum(int *out, const rh_dashboard_url *u,
                             const char *key, const char *const *names,
                             int def);
int rh_dashboard__check_id(const char *what, const char *id);

#endif
