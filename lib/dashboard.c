/* dashboard.c - the dashboard handle and the top-level routes: the picker,
 * /clusters, /enter_cluster, the shareable /c/NS/CLUSTER/SESSION/ prefix and
 * the cookie-selected root API (dashboard.h). Areas live in
 * dashboard_<area>.c (dashboard_routes.h); replies, errors and compression
 * are the reply layer's (dashboard_reply.c), which routes call down into:
 * this file only decides who answers. */
#include "dashboard_routes.h"
#include "index_live.h"

#include <stdio.h>
#include <time.h>

#define DEFAULT_MAX_SESSIONS 32
#define DEFAULT_REFRESH_MS 30000
#define DEFAULT_MAX_BODY (256u << 20)
#define DEFAULT_CACHE_BYTES (64u << 20)

/* Room for the last frames of a few dozen busy logs. */
#define FRAME_CACHE_BYTES (256u << 20)

/* ---- the handle ------------------------------------------------------------ */

RH_EXTERN int
rh_dashboard_new(rh_dashboard **out, rh_store *st,
                 const rh_dashboard_options *opts)
{
	rh_dashboard_options defaults = RH_DASHBOARD_OPTIONS_INIT;
	rh_dashboard *d = NULL;
	int error = 0;

	if (!out || !st)
		return rh__error(RH_EINVAL, "rh_dashboard_new: NULL argument");
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != RH_DASHBOARD_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_new: options version "
		                 "%u, expected %u",
		                 opts->version, RH_DASHBOARD_OPTIONS_VERSION);
	if (!(d = rh__calloc(1, sizeof(*d))))
		return RH_ENOMEM;
	d->st = st;
	d->opts = *opts;
	if (!d->opts.max_sessions)
		d->opts.max_sessions = DEFAULT_MAX_SESSIONS;
	if (!d->opts.refresh_ms)
		d->opts.refresh_ms = DEFAULT_REFRESH_MS;
	if (!d->opts.max_body)
		d->opts.max_body = DEFAULT_MAX_BODY;
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		free(d);
		return rh__error(RH_ERROR, "rh_dashboard_new: cannot create a "
		                           "mutex");
	}
	if (pthread_cond_init(&d->loaded, NULL) != 0) {
		pthread_mutex_destroy(&d->lock);
		free(d);
		return rh__error(RH_ERROR, "rh_dashboard_new: cannot create a "
		                           "mutex");
	}
	if (!(d->tz_name = rh__strdup(opts->tz_name ? opts->tz_name : "UTC")) ||
	    (opts->dashboard_dir &&
	     !(d->dashboard_dir = rh__strdup(opts->dashboard_dir)))) {
		error = RH_ENOMEM;
		goto done;
	}
	d->opts.dashboard_dir = d->dashboard_dir;
	d->opts.tz_name = d->tz_name;
	if ((error = rh_frame_cache_new(&d->frames, FRAME_CACHE_BYTES)) < 0)
		goto done;
	if ((error = rh_dashboard__facts_new(&d->facts)) < 0)
		goto done;
	if (opts->cache_bytes >= 0 &&
	    (error = rh_dashboard__cache_new(
		     &d->cache, opts->cache_bytes ? (size_t)opts->cache_bytes :
						    DEFAULT_CACHE_BYTES)) < 0)
		goto done;
	if (d->dashboard_dir && (error = rh_dashboard__builds_scan(d)) < 0)
		goto done;
	*out = d, d = NULL;
done:
	rh_dashboard_free(d);
	return error;
}

RH_EXTERN int
rh_dashboard_stats_get(rh_dashboard_stats *out, rh_dashboard *d)
{
	size_t bytes;

	if (!out || !d)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_stats_get: NULL argument");
	pthread_mutex_lock(&d->lock);
	out->sessions_indexed = d->stats.indexed;
	out->index_failures = d->stats.index_failures;
	out->index_seconds = (double)d->stats.index_ms / 1000.0;
	out->sessions_open = d->nentries;
	if (out->version >= 2) /* a version 1 struct ends before */
		out->index_builds = d->stats.builds;
	if (out->version >= 3)
		out->index_event_bytes = d->stats.bytes_read;
	pthread_mutex_unlock(&d->lock);
	out->frame_hits = out->frame_misses = 0;
	if (d->frames)
		rh_frame_cache_stats(&out->frame_hits, &out->frame_misses,
		                     &bytes, d->frames);
	return 0;
}

RH_EXTERN const char *
rh_dashboard_build_name(const rh_dashboard *d, size_t i)
{
	return d && i < d->nbuilds ? d->builds[i].name : NULL;
}

RH_EXTERN void
rh_dashboard_free(rh_dashboard *d)
{
	rh_dash_entry *e, *next;

	if (!d)
		return;
	for (e = d->entries; e; e = next) {
		next = e->next;
		if (e->snap) {
			e->snap->refs = 1;
			rh_dashboard__snap_release(d, e->snap);
		}
		rh_index__live_free(e->live);
		free(e->ns);
		free(e->cluster);
		free(e->session);
		free(e);
	}
	rh_dashboard__builds_free(d);
	rh_frame_cache_free(d->frames);
	rh_dashboard__cache_free(d->cache);
	rh_dashboard__facts_free(d->facts);
	pthread_cond_destroy(&d->loaded);
	pthread_mutex_destroy(&d->lock);
	free(d->dashboard_dir);
	free(d->tz_name);
	free(d);
}

/* ---- routes ---------------------------------------------------------------- */

static int
text_reply(rh_dash_ctx *c, int status, const char *text)
{
	int error;

	rh_buf_clear(&c->resp->body);
	if ((error = rh_buf_puts(&c->resp->body, text)) < 0)
		return error;
	return rh_dashboard__reply(c, status, "text/plain; charset=utf-8");
}

static int
check_names(rh_dash_ctx *c)
{
	if (rh_layout_check_name("namespace", c->sref.ns) < 0 ||
	    rh_layout_check_name("cluster", c->sref.cluster) < 0 ||
	    rh_layout_check_name("session", c->sref.session) < 0)
		return rh_dashboard__fail(c, 400, "%s", rh_error_last()) == 0 ?
		               1 :
		               -1;
	return 0;
}

static int
make_base(rh_dash_ctx *c)
{
	rh_buf b = RH_BUF_INIT;
	int error;

	if ((error = rh_buf_puts(&b, "/c/")) < 0 ||
	    (error = rh_dashboard__urlenc(&b, c->sref.ns)) < 0 ||
	    (error = rh_buf_puts(&b, "/")) < 0 ||
	    (error = rh_dashboard__urlenc(&b, c->sref.cluster)) < 0 ||
	    (error = rh_buf_puts(&b, "/")) < 0 ||
	    (error = rh_dashboard__urlenc(&b, c->sref.session)) < 0 ||
	    (c->at_text &&
	     ((error = rh_buf_puts(&b, "@")) < 0 ||
	      (error = rh_dashboard__urlenc(&b, c->at_text)) < 0)) ||
	    (error = rh_buf_puts(&b, "/")) < 0) {
		rh_buf_dispose(&b);
		return error;
	}
	c->base = b.ptr;
	return 0;
}

/* Point the context at the segments after the session prefix. */
static int
set_sub(rh_dash_ctx *c, char **segs, size_t nsegs)
{
	size_t i;
	int error = 0;

	c->segs = segs;
	c->nsegs = nsegs;
	rh_buf_clear(&c->subbuf);
	for (i = 0; i < nsegs && !error; i++)
		error = rh_buf_printf(&c->subbuf, "%s%s", i ? "/" : "",
		                      segs[i]);
	if (!error && !c->subbuf.ptr)
		error = rh_buf_puts(&c->subbuf, "");
	c->sub = c->subbuf.ptr;
	return error;
}

/* The instant of a SESSION@TIME prefix into c->at_ns (RFC 3339, or
 * +SECONDS after the session's start). Returns 0, or 1 when a response
 * (400 for a malformed time) was written. */
static int
playback_time(rh_dash_ctx *c)
{
	rh_session_info info;
	int64_t start_ns = RH_TIME_NONE;
	int error;

	if (!c->at_text)
		return 0;
	if (rh_session_info_load(&info, c->d->st, &c->sref) == 0 &&
	    info.start_ms > 0)
		start_ns = info.start_ms * 1000000;
	if (rh_playback_time_parse(&c->at_ns, c->at_text, start_ns) < 0) {
		error = rh_dashboard__fail(c, 400,
		                           "%s@TIME: bad time \"%.80s\" "
		                           "(want RFC 3339, e.g. "
		                           "2025-11-12T22:15:00Z, or +SECONDS "
		                           "since the session start): %s",
		                           c->sref.session, c->at_text,
		                           rh_error_last());
		return error < 0 ? error : 1;
	}
	rh_error_clear();
	return 0;
}

/* Everything under a session: the API, the landing page, static files. */
static int
session_route(rh_dash_ctx *c)
{
	const rh_dash_build *b;
	char want[128] = "";
	int r;

	if ((r = check_names(c)) != 0 || (r = make_base(c)) < 0)
		return r < 0 ? r : 0;
	if ((r = rh_dashboard__session_enter(c)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if ((r = playback_time(c)) != 0)
		return r < 0 ? r : 0;
	if ((r = set_sub(c, c->segs, c->nsegs)) < 0)
		return r;
	if (c->nsegs > 0 && rh_dashboard__is_api_path(c->segs, c->nsegs)) {
		c->cacheable = 1;
		return rh_dashboard__api(c);
	}
	if (c->req->cookie)
		rh_dashboard__cookie_get(want, sizeof(want), c->req->cookie,
		                         "rayhist_build");
	if (c->nsegs == 0 ||
	    (c->nsegs == 1 && !strcmp(c->segs[0], "index.html")))
		return rh_dashboard__landing(c);
	b = rh_dashboard__build_for(c->d, want, NULL);
	if (b && (r = rh_dashboard__static(c, b, c->segs, c->nsegs)) <= 0)
		return r;
	return rh_dashboard__fail(c, 404,
	                          "%s: no such page or API path in "
	                          "this session",
	                          c->url->path);
}

static int
redirect(rh_dash_ctx *c, int status, const char *location)
{
	rh_buf *b = &c->resp->body;
	int error;

	rh_buf_clear(b);
	if ((error = rh_dashboard__header(c->resp, "Location", "%s",
	                                  location)) < 0 ||
	    (error = rh_buf_puts(b, "<!DOCTYPE html><title>Redirect</title>"
	                            "<p>Moved to <a href=\"")) < 0 ||
	    (error = rh_dashboard__html(b, location)) < 0 ||
	    (error = rh_buf_puts(b, "\">here</a>.</p>\n")) < 0)
		return error;
	return rh_dashboard__reply(c, status, "text/html; charset=utf-8");
}

struct newest {
	char name[256];
};

static int
newest_cb(const char *name, void *payload)
{
	struct newest *n = payload;

	if (strcmp(name, n->name) > 0 && strlen(name) < sizeof(n->name))
		strcpy(n->name, name);
	return 0;
}

/* Does the client ask for an HTML page? A browser following a link or a
 * form names text/html in Accept; KubeRay's clients (its e2e test, its
 * Next.js dashboard's fetch) send none and read JSON. */
static int
wants_html(const rh_dashboard_request *req)
{
	const char *a = req->version >= 2 ? req->accept : NULL;

	for (; a && *a; a++)
		if (!strncasecmp(a, "text/html", 9))
			return 1;
	return 0;
}

/* KubeRay's answer to a client entering a session: 200 and
 * {"result": "success", "name", "namespace", "session"} (the session the
 * cookies now name: "latest" resolved). */
static int
entered_json(rh_dash_ctx *c)
{
	rh__jw w;

	rh_buf_clear(&c->resp->body);
	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_kstr(&w, "result", "success");
	rh__jw_kstr(&w, "name", c->sref.cluster);
	rh__jw_kstr(&w, "namespace", c->sref.ns);
	rh__jw_kstr(&w, "session", c->sref.session);
	rh__jw_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

/* KubeRay's history server loads a session before it answers
 * /enter_cluster, and its clients ask the API right after (no retry on the
 * 202 a session being prepared answers): wait for the session, up to
 * KubeRay's own budget for a load. RH_DASH_GO_ON when ready,
 * RH_DASH_ANSWERED when an error answer was written. */
#define ENTER_WAIT_MS (120 * 1000)

static int
wait_ready(rh_dash_ctx *c)
{
	int64_t t0 = rh_dashboard__now_ms();
	int r;

	for (;;) {
		if ((r = rh_dashboard__session_snap(c)) < 0 ||
		    r == RH_DASH_GO_ON)
			return r;
		if (c->resp->status != 202)
			return RH_DASH_ANSWERED; /* failed: its answer is written */
		rh_dashboard_response_dispose(c->resp);
		if (rh_dashboard__now_ms() - t0 > ENTER_WAIT_MS) {
			r = rh_dashboard__fail(c, 503,
			                       "session %s/%s/%s is still "
			                       "being prepared after %d s; try "
			                       "again",
			                       c->sref.ns, c->sref.cluster,
			                       c->sref.session,
			                       ENTER_WAIT_MS / 1000);
			return r < 0 ? r : RH_DASH_ANSWERED;
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
}

/* /enter_cluster/NS/CLUSTER[/SESSION] or /enter_cluster/NS/KIND/CLUSTER/
 * SESSION (KubeRay's form); a missing SESSION or "latest" is the newest. */
static int
enter(rh_dash_ctx *c, char **segs, size_t nsegs)
{
	const char *build = rh_dashboard_url_param(c->url, "build");
	const rh_dash_build *b = NULL;
	struct newest latest = { "" };
	const char *names[3] = { NULL, NULL, NULL };
	int error, r;

	if (nsegs == 4 && (!strcasecmp(segs[1], "raycluster") ||
	                   !strcasecmp(segs[1], "rayjob") ||
	                   !strcasecmp(segs[1], "rayservice"))) {
		names[0] = segs[0], names[1] = segs[2], names[2] = segs[3];
	} else if (nsegs == 2 || nsegs == 3) {
		names[0] = segs[0], names[1] = segs[1];
		names[2] = nsegs == 3 ? segs[2] : NULL;
	} else {
		return rh_dashboard__fail(c, 404,
		                          "use /enter_cluster/NAMESPACE/"
		                          "CLUSTER/SESSION");
	}
	c->sref.ns = names[0];
	c->sref.cluster = names[1];
	c->sref.session =
		names[2] && strcmp(names[2], "latest") ? names[2] : NULL;
	if (!c->sref.session) {
		if (rh_layout_check_name("namespace", c->sref.ns) < 0 ||
		    rh_layout_check_name("cluster", c->sref.cluster) < 0)
			return rh_dashboard__fail(c, 400, "%s",
			                          rh_error_last());
		if ((error = rh_catalog_list_sessions(c->d->st, c->sref.ns,
		                                      c->sref.cluster,
		                                      newest_cb, &latest)) < 0)
			return rh_dashboard__fail_code(c, error);
		if (!latest.name[0])
			return rh_dashboard__fail(c, 404,
			                          "no sessions of cluster "
			                          "%s/%s in the store",
			                          c->sref.ns, c->sref.cluster);
		c->sref.session = latest.name;
	}
	if ((r = check_names(c)) != 0 || (r = make_base(c)) < 0)
		return r < 0 ? r : 0;
	if (build && *build &&
	    !(b = rh_dashboard__build_for(c->d, build, NULL)))
		return rh_dashboard__fail(c, 400,
		                          "build: no dashboard build "
		                          "named \"%.60s\"",
		                          build);
	if ((r = rh_dashboard__session_enter(c)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if (!wants_html(c->req) && (r = wait_ready(c)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if ((error = rh_dashboard__header(
		     c->resp, "Set-Cookie",
		     "cluster_namespace=%s; Path=/; SameSite=Lax",
		     c->sref.ns)) < 0 ||
	    (error = rh_dashboard__header(
		     c->resp, "Set-Cookie",
		     "cluster_name=%s; Path=/; SameSite=Lax",
		     c->sref.cluster)) < 0 ||
	    (error = rh_dashboard__header(
		     c->resp, "Set-Cookie",
		     "session_name=%s; Path=/; SameSite=Lax",
		     c->sref.session)) < 0)
		return error;
	if (b && (error = rh_dashboard__header(c->resp, "Set-Cookie",
	                                       "rayhist_build=%s; Path=%s; "
	                                       "SameSite=Lax",
	                                       b->name, c->base)) < 0)
		return error;
	if ((error = rh_dashboard__header(c->resp, "Vary", "Accept")) < 0)
		return error;
	if (!wants_html(c->req))
		return entered_json(c);
	return redirect(c, 302, c->base);
}

/* Root paths of the session API, answered for the session the cookies
 * name (as KubeRay's history server does). */
static int
cookie_route(rh_dash_ctx *c, char **segs, size_t nsegs)
{
	char cns[256], ccl[256], cse[256];
	const char *h = c->req->cookie;
	int r;

	if (!h ||
	    !rh_dashboard__cookie_get(cns, sizeof(cns), h,
	                              "cluster_namespace") ||
	    !rh_dashboard__cookie_get(ccl, sizeof(ccl), h, "cluster_name") ||
	    !rh_dashboard__cookie_get(cse, sizeof(cse), h, "session_name"))
		return rh_dashboard__fail(
			c, 400,
			"no session selected: the "
			"cookies cluster_namespace, "
			"cluster_name and session_name are "
			"not set; open / to pick a session, "
			"or use /c/NAMESPACE/CLUSTER/SESSION%s",
			c->url->path);
	c->sref.ns = cns;
	c->sref.cluster = ccl;
	c->sref.session = cse;
	if ((r = check_names(c)) != 0 || (r = make_base(c)) < 0)
		return r < 0 ? r : 0;
	if ((r = rh_dashboard__session_enter(c)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if ((r = set_sub(c, segs, nsegs)) < 0)
		return r;
	return rh_dashboard__api(c);
}

static int
is_get(const char *m)
{
	return m && (!strcmp(m, "GET") || !strcmp(m, "HEAD"));
}

static int
route(rh_dash_ctx *c)
{
	const rh_dashboard_url *u = c->url;
	char **s = u->segs;
	size_t n = u->nsegs;

	if (!is_get(c->req->method)) {
		int error = rh_dashboard__header(c->resp, "Allow", "GET, HEAD");
		if (error < 0)
			return error;
		return rh_dashboard__fail(c, 405,
		                          "%s %s: the cluster is gone; "
		                          "rayhist serves a stored session "
		                          "read-only, so only GET and HEAD are "
		                          "answered",
		                          c->req->method, u->path);
	}
	if (n == 0)
		return rh_dashboard__picker(c, 0);
	if (n == 1 && !strcmp(s[0], "clusters"))
		return rh_dashboard__picker(c, 1);
	if (n == 1 && (!strcmp(s[0], "livez") || !strcmp(s[0], "readz")))
		return text_reply(c, 200, "ok\n");
	if (!strcmp(s[0], "enter_cluster"))
		return enter(c, s + 1, n - 1);
	if (!strcmp(s[0], "c")) {
		char *at;

		if (n < 4)
			return rh_dashboard__fail(c, 404,
			                          "use /c/NAMESPACE/"
			                          "CLUSTER/SESSION/");
		c->sref.ns = s[1];
		c->sref.cluster = s[2];
		c->sref.session = s[3];
		if ((at = strrchr(s[3], '@'))) {
			/* SESSION@TIME (session names cannot hold '@') */
			*at = '\0';
			c->at_text = at + 1;
		}
		if (n == 4 && !u->trailing_slash) {
			int r;
			rh_buf loc = RH_BUF_INIT;
			const char *q = strchr(c->req->target, '?');

			if ((r = check_names(c)) != 0 || (r = make_base(c)) < 0)
				return r < 0 ? r : 0;
			if ((r = rh_buf_printf(&loc, "%s%s", c->base,
			                       q ? q : "")) == 0)
				r = redirect(c, 301, loc.ptr);
			rh_buf_dispose(&loc);
			return r;
		}
		c->segs = s + 4;
		c->nsegs = n - 4;
		return session_route(c);
	}
	if (rh_dashboard__is_api_path(s, n))
		return cookie_route(c, s, n);
	if (n == 1 && !strcmp(s[0], "favicon.ico"))
		return text_reply(c, 404, "no favicon\n");
	return rh_dashboard__fail(c, 404,
	                          "%s: no such page; open / to pick a "
	                          "session",
	                          u->path);
}

RH_EXTERN int
rh_dashboard_handle(rh_dashboard_response *out, rh_dashboard *d,
                    const rh_dashboard_request *req)
{
	rh_dashboard_url url = RH_DASHBOARD_URL_INIT;
	rh_dash_ctx c;
	int error;

	if (!out || !d || !req)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_handle: NULL argument");
	rh_dashboard_response_dispose(out);
	memset(&c, 0, sizeof(c));
	c.max_body = d->opts.max_body;
	c.now_ms = req->now_ms ? req->now_ms : rh_dashboard__now_ms();
	if ((error = rh_dashboard__cache_get(out, d, req, c.now_ms)) != 0)
		return error > 0 ? 0 : error;
	c.d = d;
	c.req = req;
	c.resp = out;
	c.url = &url;
	c.at_ns = RH_TIME_NONE;
	if ((error = rh_dashboard_url_parse(&url, req->target)) < 0) {
		if (error == RH_EINVAL)
			error = rh_dashboard__fail(&c, 400, "%s",
			                           rh_error_last());
		goto done;
	}
	error = route(&c);
done:
	if (!error)
		error = rh_dashboard__maybe_gzip(out, req);
	if (!error) {
		if (!out->status)
			out->status = 200;
		if (!out->content_type)
			out->content_type = RH_DASH_JSON_TYPE;
		if (!out->stream) /* nothing to keep: the bytes are not here */
			rh_dashboard__cache_put(d, req, &c, out);
	}
	if (c.snap)
		rh_dashboard__snap_release(d, c.snap);
	if (c.entry) {
		pthread_mutex_lock(&d->lock);
		c.entry->used_ms = c.now_ms;
		c.entry->users--;
		if (c.damaged) { /* rebuild it (dashboard_session.c) */
			c.entry->damaged = 1;
			c.entry->checked_ms = 0;
		}
		pthread_mutex_unlock(&d->lock);
	}
	free(c.base);
	rh_buf_dispose(&c.subbuf);
	rh_dashboard_url_dispose(&url);
	if (error < 0) {
		const char *msg = rh_error_last();
		rh_dashboard_stream_free(out->stream);
		out->stream = NULL;
		rh_buf_clear(&out->body);
		out->status = 500;
		out->content_type = "text/plain; charset=utf-8";
		rh_buf_printf(&out->body, "internal error: %s\n",
		              *msg ? msg : rh_error_name(error));
		return error == RH_ENOMEM ? error : 0;
	}
	return 0;
}

RH_EXTERN int
rh_dashboard_handle_cached(rh_dashboard_response *out, rh_dashboard *d,
                           const rh_dashboard_request *req)
{
	int error;

	if (!out || !d || !req)
		return rh__error(RH_EINVAL, "rh_dashboard_handle_cached: NULL "
		                            "argument");
	error = rh_dashboard__cache_get(out, d, req,
	                                req->now_ms ? req->now_ms :
	                                              rh_dashboard__now_ms());
	if (error == RH_ENOMEM)
		rh_error_clear(); /* the full path will say it */
	return error > 0;
}
