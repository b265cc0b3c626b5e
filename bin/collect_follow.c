/* collect_follow.c - rayhist-collect --follow: the library's follower and
 * event spool (follow.h) wired to libevent.
 *
 * Two threads, each with its own event base. The main thread answers HTTP
 * (Ray's aggregator agent POSTs event batches; a batch is spooled to disk,
 * fsync'ed, before the 200) and catches SIGTERM/SIGINT. The worker thread
 * owns the follower and does every store write: its timer and the inotify
 * descriptor drive rh_follow_step(), and it ships the spool. So a slow store
 * (an S3 upload of a large part) never delays a reply to Ray, whose
 * publisher times out after a few seconds.
 *
 * On the first signal the worker flushes the files, closes the spool's
 * intake (later POSTs get 503 + Retry-After), ships the spool, and on the
 * head marks the session ended; the main thread exits when it is done, or
 * after --drain-timeout. Leaving early is safe at any moment: whatever was
 * not shipped is still on disk and the checkpoint says where to resume. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cli.h"
#include "collect_follow.h"
#include "collect_index.h"

#define SHIP_BUDGET (64ull << 20)

struct shared { /* what the main thread may read */
	pthread_mutex_t mu;
	rh_follow_stats fs;
	char errmsg[512];
	int indexing; /* everything is shipped: the index builds */
	int status;   /* the drain's exit status, once indexing */
};

struct app {
	struct rh_follow_cfg *cfg;
	rh_store *st;
	rh_follow *f;
	rh_spool *sp;
	char spool_dir[4200];

	/* main thread */
	struct event_base *base;
	struct evhttp *http;
	struct event *sigint, *sigterm, *done_ev, *drain_timer;
	int draining;
	int done_pipe[2]; /* worker -> main: drained */

	/* worker thread */
	pthread_t thread;
	struct event_base *wbase;
	struct event *wtimer, *winotify, *wctl;
	int ctl_pipe[2]; /* main -> worker: 'd' drain */
	int64_t next_ship;
	int ship_more;
	int status; /* exit status the worker decided */

	struct shared sh;
	char last_warn[512];
	time_t last_warn_t;
};

/* ---- reports ------------------------------------------------------------- */

static void
warn_once(struct app *a, const char *what, const char *msg)
{
	time_t t = time(NULL);

	/* A store outage repeats the same failure every retry: say it once
	 * a minute. */
	if (strcmp(a->last_warn, msg) == 0 && t - a->last_warn_t < 60)
		return;
	snprintf(a->last_warn, sizeof(a->last_warn), "%s", msg);
	a->last_warn_t = t;
	rh_cli_warn("%s%s%s", what, *what ? ": " : "", msg);
}

static void
on_report(rh_follow_event ev, const char *path, const char *detail,
          void *payload)
{
	struct app *a = payload;
	int quiet = a->cfg->quiet, verbose = a->cfg->verbose;

	switch (ev) {
	case RH_FOLLOW_WARNING: warn_once(a, path, detail); break;
	case RH_FOLLOW_SESSION_FOUND:
		if (!quiet)
			printf("session %s\n", path);
		break;
	case RH_FOLLOW_NODE_FOUND:
		if (!quiet)
			printf("following %s node %s\n", path, detail);
		break;
	case RH_FOLLOW_SESSION_ENDED:
		if (!quiet)
			printf("session %s %s\n", path, detail);
		break;
	case RH_FOLLOW_FILE_SKIPPED:
		/* Data left behind is an error, shown even with -q. */
		if (strncmp(detail, "not stored", 10) == 0)
			rh_cli_warn("skipped %s: %s", path, detail);
		else if (verbose)
			printf("skipped %s: %s\n", path, detail);
		break;
	case RH_FOLLOW_FILE_MOVED:
		if (verbose)
			printf("moved %s -> %s\n", detail, path);
		break;
	case RH_FOLLOW_FILE_REPLACED:
	case RH_FOLLOW_FILE_GONE:
	case RH_FOLLOW_FILE_SHIPPED:
		if (verbose)
			printf("%s %s (%s)\n",
			       ev == RH_FOLLOW_FILE_SHIPPED ? "shipped" :
			       ev == RH_FOLLOW_FILE_GONE    ? "gone" :
			                                      "replaced",
			       path, detail);
		break;
	}
	fflush(stdout);
}

/* ---- the worker thread --------------------------------------------------- */

static void
publish(struct app *a)
{
	pthread_mutex_lock(&a->sh.mu);
	rh_follow_stats_get(&a->sh.fs, a->f);
	snprintf(a->sh.errmsg, sizeof(a->sh.errmsg), "%s",
	         rh_follow_errmsg(a->f));
	pthread_mutex_unlock(&a->sh.mu);
}

static int
ship_spool(struct app *a, uint64_t budget)
{
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;
	int error;

	if (!a->sp)
		return 0;
	rh_follow_stats_get(&fs, a->f);
	error = rh_spool_ship(
		&a->ship_more, a->sp, a->st,
		a->cfg->fo.ns ? a->cfg->fo.ns : RH_DEFAULT_NAMESPACE,
		a->cfg->fo.cluster, fs.session[0] ? fs.session : NULL, budget);
	if (error < 0)
		warn_once(a, "events", rh_error_last());
	return error;
}

static void
rearm(struct app *a)
{
	int64_t ms = rh_follow_timeout_ms(a->f), until_ship;
	struct timeval tv;

	until_ship = a->ship_more ? 0 : a->next_ship - rh_cli_mono_ms();
	if (until_ship < ms)
		ms = until_ship < 0 ? 0 : until_ship;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(a->wtimer, &tv);
}

static void
on_work(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;

	(void)fd, (void)what;
	rh_follow_step(a->f); /* failures are reported and retried */
	if (a->ship_more || rh_cli_mono_ms() >= a->next_ship) {
		a->next_ship = rh_cli_mono_ms() + a->cfg->fo.flush_interval_ms;
		ship_spool(a, SHIP_BUDGET);
	}
	publish(a);
	rearm(a);
}

/* The head has shipped everything and marked the session ended: its index
 * is built now (collect_index.c), within what is left of the drain time.
 * Should the drain timer fire first, nothing is lost: the first reader
 * builds the index, as it does for a session captured with --no-index. */
static void
build_index(struct app *a, const char *session)
{
	rh_session_ref sref = { a->cfg->fo.ns ? a->cfg->fo.ns :
		                                RH_DEFAULT_NAMESPACE,
		                a->cfg->fo.cluster, session };

	pthread_mutex_lock(&a->sh.mu);
	a->sh.indexing = 1;
	a->sh.status = a->status;
	pthread_mutex_unlock(&a->sh.mu);
	rh_collect_index(a->st, &sref, 0, a->cfg->quiet);
	pthread_mutex_lock(&a->sh.mu);
	a->sh.indexing = 0;
	pthread_mutex_unlock(&a->sh.mu);
}

/* Drain: files, then the events accepted so far, then the end mark. */
static void
drain(struct app *a)
{
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;
	int error = 0;

	if (rh_follow_flush(a->f) < 0)
		error = -1;
	if (a->sp) {
		rh_spool_close_intake(a->sp);
		if (ship_spool(a, 0) < 0)
			error = -1;
	}
	if (rh_follow_finish(a->f, 1) < 0)
		error = -1;
	publish(a);
	rh_follow_stats_get(&fs, a->f);
	a->status = error < 0 || fs.files_not_stored ? 1 : 0;
	if (error < 0)
		rh_cli_warn(
			"drained with failures (what was not shipped stays on "
			"disk for the next run): %s",
			rh_follow_errmsg(a->f));
	if (fs.files_not_stored)
		rh_cli_warn("%s: %" PRIu64
		            " path%s not stored (see the \"skipped "
		            "... not stored\" warnings); the rest is stored",
		            fs.session, fs.files_not_stored,
		            fs.files_not_stored == 1 ? "" : "s");
	if (error == 0 && fs.is_head && fs.session[0] && !a->cfg->no_index)
		build_index(a, fs.session);
	event_base_loopbreak(a->wbase);
}

static void
on_ctl(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	char c;

	(void)what;
	if (read(fd, &c, 1) == 1 && c == 'd')
		drain(a);
}

static void *
worker(void *arg)
{
	struct app *a = arg;
	char c = 'x';

	event_base_dispatch(a->wbase);
	if (write(a->done_pipe[1], &c, 1) < 0)
		_exit(1);
	return NULL;
}

static int
start_worker(struct app *a)
{
	int fd = rh_follow_fd(a->f);

	if (pipe(a->ctl_pipe) < 0 || !(a->wbase = event_base_new()) ||
	    !(a->wtimer = evtimer_new(a->wbase, on_work, a)) ||
	    !(a->wctl = event_new(a->wbase, a->ctl_pipe[0],
	                          EV_READ | EV_PERSIST, on_ctl, a)) ||
	    event_add(a->wctl, NULL) < 0)
		return -1;
	if (fd >= 0 &&
	    (!(a->winotify = event_new(a->wbase, fd, EV_READ | EV_PERSIST,
	                               on_work, a)) ||
	     event_add(a->winotify, NULL) < 0))
		return -1;
	a->next_ship = rh_cli_mono_ms();
	event_active(a->wtimer, EV_TIMEOUT, 0);
	return pthread_create(&a->thread, NULL, worker, a) == 0 ? 0 : -1;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* The reason phrase is libevent's for the status (NULL asks for it). */
static void
reply_text(struct evhttp_request *req, int status, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "text/plain; charset=utf-8");
	if (b && text && *text)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, status, NULL, b);
	if (b)
		evbuffer_free(b);
}

static void
receive(struct app *a, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const unsigned char *body = len ? evbuffer_pullup(in, -1) : NULL;
	rh_receiver_reply r;
	char ra[32];

	if (!a->sp) {
		reply_text(req, 503, "the event receiver is off");
		return;
	}
	rh_spool_accept(&r, a->sp, body, len);
	if (r.status == 503) {
		snprintf(ra, sizeof(ra), "%u", r.retry_after);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Retry-After", ra);
	}
	if (r.status != 200 && a->cfg->verbose)
		rh_cli_warn("POST %s: %d %s", evhttp_request_get_uri(req),
		            r.status, r.message);
	reply_text(req, r.status, r.message);
}

/* The spool's counters and the follower's, as the worker last left them. */
static void
counters(struct app *a, rh_spool_stats *ss, rh_follow_stats *fs)
{
	*ss = (rh_spool_stats)RH_SPOOL_STATS_INIT;
	if (a->sp)
		rh_spool_stats_get(ss, a->sp);
	pthread_mutex_lock(&a->sh.mu);
	*fs = a->sh.fs;
	pthread_mutex_unlock(&a->sh.mu);
}

static void
status_page(struct app *a, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;

	if (!b) {
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	counters(a, &ss, &fs);
	/* Names are checked [A-Za-z0-9._-] and hex: nothing to escape. */
	evbuffer_add_printf(
		b,
		"{\"session\":\"%s\",\"node_id\":\"%s\",\"following\":%s,"
		"\"head\":%s,\"draining\":%s,\"files\":%" PRIu64 ","
		"\"bytes_pending\":%" PRIu64 ",\"bytes_shipped\":%" PRIu64 ","
		"\"commits\":%" PRIu64 ",\"spool_batches\":%" PRIu64 ","
		"\"spool_bytes\":%" PRIu64 ",\"batches_accepted\":%" PRIu64 ","
		"\"batches_shipped\":%" PRIu64 "}\n",
		fs.session, fs.node_id, fs.following ? "true" : "false",
		fs.is_head ? "true" : "false", a->draining ? "true" : "false",
		fs.files, fs.bytes_pending, fs.bytes_shipped, fs.commits,
		ss.batches, ss.bytes, ss.accepted, ss.shipped);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* /metrics: the follower's and the receiver's counters in the Prometheus
 * text format. Ship lag is time() minus the last commit's timestamp. */
static void
metrics_page(struct app *a, struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;

	if (!b) {
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	counters(a, &ss, &fs);
#define M(name, type, help)                                             \
	evbuffer_add_printf(b, "# HELP " name " " help "\n# TYPE " name \
	                       " " type "\n")
	M("rayhist_collect_following", "gauge",
	  "1 while a session and its node are followed.");
	evbuffer_add_printf(b, "rayhist_collect_following %d\n",
	                    fs.following ? 1 : 0);
	M("rayhist_collect_files", "gauge", "Files tracked in the session.");
	evbuffer_add_printf(b, "rayhist_collect_files %" PRIu64 "\n", fs.files);
	M("rayhist_collect_bytes_pending", "gauge",
	  "Bytes seen on disk, not yet shipped.");
	evbuffer_add_printf(b, "rayhist_collect_bytes_pending %" PRIu64 "\n",
	                    fs.bytes_pending);
	M("rayhist_collect_bytes_shipped_total", "counter",
	  "Raw file bytes shipped to the store.");
	evbuffer_add_printf(b,
	                    "rayhist_collect_bytes_shipped_total %" PRIu64 "\n",
	                    fs.bytes_shipped);
	M("rayhist_collect_bytes_stored_total", "counter",
	  "Compressed bytes written to the store.");
	evbuffer_add_printf(b,
	                    "rayhist_collect_bytes_stored_total %" PRIu64 "\n",
	                    fs.bytes_stored);
	M("rayhist_collect_commits_total", "counter",
	  "Manifest and checkpoint writes.");
	evbuffer_add_printf(b, "rayhist_collect_commits_total %" PRIu64 "\n",
	                    fs.commits);
	M("rayhist_collect_last_commit_timestamp_seconds", "gauge",
	  "When the last commit was written (ship lag: now minus this); 0 before the first.");
	evbuffer_add_printf(
		b, "rayhist_collect_last_commit_timestamp_seconds %.3f\n",
		(double)fs.last_commit_ms / 1e3);
	M("rayhist_collect_event_batches_total", "counter",
	  "Event batches received: accepted, rejected (400, 413), refused (503, spool full).");
	evbuffer_add_printf(
		b,
		"rayhist_collect_event_batches_total{result=\"accepted\"} %" PRIu64
		"\n"
		"rayhist_collect_event_batches_total{result=\"rejected\"} %" PRIu64
		"\n"
		"rayhist_collect_event_batches_total{result=\"refused\"} %" PRIu64
		"\n",
		ss.accepted, ss.rejected, ss.refused);
	M("rayhist_collect_event_batches_shipped_total", "counter",
	  "Event batches shipped to the store.");
	evbuffer_add_printf(
		b, "rayhist_collect_event_batches_shipped_total %" PRIu64 "\n",
		ss.shipped);
	M("rayhist_collect_spool_bytes", "gauge",
	  "Event bytes spooled on disk, not yet shipped.");
	evbuffer_add_printf(b, "rayhist_collect_spool_bytes %" PRIu64 "\n",
	                    ss.bytes);
	M("rayhist_collect_spool_batches", "gauge",
	  "Event batches spooled on disk, not yet shipped.");
	evbuffer_add_printf(b, "rayhist_collect_spool_batches %" PRIu64 "\n",
	                    ss.batches);
#undef M
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type",
	                  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* Equal, in time that depends only on the lengths. */
static int
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;
	unsigned char d = alen != blen;

	for (i = 0; i < n; i++)
		d |= (unsigned char)((i < alen ? a[i] : 0) ^
		                     (i < blen ? b[i] : 0));
	return d == 0;
}

/* With --events-token-file: does the request carry the token, as
 * "Authorization: Bearer TOKEN" or as "token=TOKEN" in the query? Ray's
 * aggregator posts to the exact URL it is given and sends no headers of
 * its own, so the query is how it can carry one. */
static int
authorized(struct app *a, struct evhttp_request *req,
           const struct evhttp_uri *uri)
{
	const char *h = evhttp_find_header(
		evhttp_request_get_input_headers(req), "Authorization");
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	const char *t = a->cfg->token;
	int ok = 0;

	if (!t)
		return 1;
	if (h && !strncasecmp(h, "Bearer ", 7))
		ok |= ct_equal(h + 7, strlen(h + 7), t, strlen(t));
	if (q) {
		struct evkeyvalq params;
		const char *v;

		TAILQ_INIT(&params);
		if (evhttp_parse_query_str(q, &params) == 0 &&
		    (v = evhttp_find_header(&params, "token")))
			ok |= ct_equal(v, strlen(v), t, strlen(t));
		evhttp_clear_headers(&params);
	}
	return ok;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct app *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int events =
		path && (!strcmp(path, "/v1/events") || !strcmp(path, "/"));

	if (!path)
		path = "";
	if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) &&
	    !strcmp(path, "/metrics")) { /* counters only: no token */
		metrics_page(a, req);
		return;
	}
	if (strcmp(path, "/healthz") && !authorized(a, req, uri)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "WWW-Authenticate",
		                  "Bearer realm=\"rayhist-collect\"");
		reply_text(
			req, 401,
			"a token is required: "
			"Authorization: Bearer TOKEN, or ?token=TOKEN in the URL");
		return;
	}
	if (cmd == EVHTTP_REQ_POST && events)
		receive(a, req);
	else if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) &&
	         (!strcmp(path, "/") || !strcmp(path, "/status")))
		status_page(a, req);
	else if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) &&
	         !strcmp(path, "/healthz"))
		reply_text(req, 200, "ok");
	else if (events)
		reply_text(req, 405, "POST a JSON array of RayEvents");
	else
		reply_text(req, 404, "not found");
}

static int
start_http(struct app *a)
{
	struct evhttp_bound_socket *h;
	char host[256];
	unsigned port;

	if (!strcmp(a->cfg->listen, "off"))
		return 0;
	rh_cli_parse_listen("--events-listen", "ADDRESS:PORT or off",
	                    a->cfg->listen, host, sizeof(host), &port);
	if (!(a->http = evhttp_new(a->base)))
		return -1;
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                                            EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(a->http, 64 << 10);
	/* Larger bodies are refused (413) while their headers are read,
	 * before their bytes take memory. */
	evhttp_set_max_body_size(a->http, (ev_ssize_t)a->cfg->so.max_body);
	evhttp_set_flags(a->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_timeout(a->http, 60);
	evhttp_set_gencb(a->http, on_request, a);
	if (!(h = evhttp_bind_socket_with_handle(a->http, host,
	                                         (ev_uint16_t)port))) {
		rh_cli_warn("--events-listen %s: cannot listen: %s",
		            a->cfg->listen, strerror(errno));
		return -1;
	}
	if (!a->cfg->quiet) {
		printf("receiving events on http://%s%s%s:%u/v1/events\n",
		       strchr(host, ':') ? "[" : "", host,
		       strchr(host, ':') ? "]" : "",
		       rh_cli_bound_port(evhttp_bound_socket_get_fd(h)));
		fflush(stdout);
	}
	return 0;
}

/* ---- main thread: signals ------------------------------------------------ */

static void
on_drained(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;

	(void)fd, (void)what;
	event_base_loopbreak(a->base);
}

static void
on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct app *a = arg;
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;
	int indexing, status;

	(void)fd, (void)what;
	pthread_mutex_lock(&a->sh.mu);
	fs = a->sh.fs;
	indexing = a->sh.indexing;
	status = a->sh.status;
	pthread_mutex_unlock(&a->sh.mu);
	if (indexing) {
		/* all is shipped: only the index is left, to the first reader */
		rh_cli_warn(
			"drain timeout after %u s while building the index: "
			"everything is stored; the index is built on first "
			"open",
			a->cfg->drain_ms / 1000);
		fflush(stdout);
		_exit(status);
	}
	rh_cli_warn("drain timeout after %u s: %" PRIu64 " bytes not shipped "
	            "stay on disk; the next run resumes from %s",
	            a->cfg->drain_ms / 1000, fs.bytes_pending,
	            a->cfg->fo.state_dir);
	fflush(stdout);
	/* The worker may be inside a store call: leaving now is what kill -9
	 * would do, which the checkpoint is made for. */
	_exit(1);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct app *a = arg;
	struct timeval tv;
	char c = 'd';

	(void)what;
	if (a->draining) {
		rh_cli_warn("second signal: leaving without draining");
		_exit(1);
	}
	a->draining = 1;
	if (!a->cfg->quiet) {
		printf("%s: draining (at most %u ms)\n",
		       sig == SIGTERM ? "SIGTERM" : "SIGINT", a->cfg->drain_ms);
		fflush(stdout);
	}
	tv.tv_sec = a->cfg->drain_ms / 1000;
	tv.tv_usec = (a->cfg->drain_ms % 1000) * 1000;
	if (!(a->drain_timer = evtimer_new(a->base, on_drain_timeout, a)) ||
	    evtimer_add(a->drain_timer, &tv) < 0 ||
	    write(a->ctl_pipe[1], &c, 1) != 1)
		_exit(1);
}

int
rh_collect_follow(rh_store *st, struct rh_follow_cfg *cfg)
{
	static struct app app; /* one per process; outlives the threads */
	struct app *a = &app;
	int error;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->st = st;
	a->done_pipe[0] = a->done_pipe[1] = a->ctl_pipe[0] = a->ctl_pipe[1] =
		-1;
	pthread_mutex_init(&a->sh.mu, NULL);
	a->sh.fs = (rh_follow_stats)RH_FOLLOW_STATS_INIT;
	signal(SIGPIPE, SIG_IGN);
	cfg->fo.report = on_report;
	cfg->fo.payload = a;
	if ((error = rh_follow_open(&a->f, st, &cfg->fo)) < 0)
		rh_cli_die(error, "cannot follow %s", cfg->fo.ray_root);
	snprintf(a->spool_dir, sizeof(a->spool_dir), "%s/spool",
	         cfg->fo.state_dir);
	if ((error = rh_spool_open(&a->sp, a->spool_dir, &cfg->so)) < 0)
		rh_cli_die(error, "event spool");
	if (!(a->base = event_base_new()) || pipe(a->done_pipe) < 0)
		rh_cli_die(0, "cannot set up the event loop");
	if (start_http(a) < 0)
		exit(1);
	if (!cfg->quiet) {
		printf("following %s (state in %s)\n", cfg->fo.ray_root,
		       cfg->fo.state_dir);
		fflush(stdout);
	}
	a->sigint = evsignal_new(a->base, SIGINT, on_signal, a);
	a->sigterm = evsignal_new(a->base, SIGTERM, on_signal, a);
	a->done_ev =
		event_new(a->base, a->done_pipe[0], EV_READ, on_drained, a);
	if (!a->sigint || !a->sigterm || !a->done_ev ||
	    event_add(a->sigint, NULL) < 0 || event_add(a->sigterm, NULL) < 0 ||
	    event_add(a->done_ev, NULL) < 0)
		rh_cli_die(0, "cannot catch signals");
	if (start_worker(a) < 0)
		rh_cli_die(0, "cannot start the worker thread");
	event_base_dispatch(a->base);
	pthread_join(a->thread, NULL);
	if (!cfg->quiet) {
		rh_follow_stats fs = RH_FOLLOW_STATS_INIT;
		rh_spool_stats ss = RH_SPOOL_STATS_INIT;
		rh_follow_stats_get(&fs, a->f);
		if (a->sp)
			rh_spool_stats_get(&ss, a->sp);
		printf("stopped: %" PRIu64 " bytes shipped in %" PRIu64
		       " parts, "
		       "%" PRIu64 " event batches stored, %" PRIu64
		       " bytes left\n",
		       fs.bytes_shipped, fs.parts_written, ss.shipped,
		       fs.bytes_pending);
	}
	if (a->http)
		evhttp_free(a->http);
	event_free(a->sigint);
	event_free(a->sigterm);
	event_free(a->done_ev);
	if (a->drain_timer)
		event_free(a->drain_timer);
	event_free(a->wtimer);
	event_free(a->wctl);
	if (a->winotify)
		event_free(a->winotify);
	event_base_free(a->wbase);
	event_base_free(a->base);
	rh_spool_close(a->sp);
	rh_follow_close(a->f);
	close(a->ctl_pipe[0]);
	close(a->ctl_pipe[1]);
	close(a->done_pipe[0]);
	close(a->done_pipe[1]);
	pthread_mutex_destroy(&a->sh.mu);
	return a->status;
}
