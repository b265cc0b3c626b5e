/* rayhist-serve - serve the Ray Dashboard's API for every stored session.
 *
 * libevent's HTTP server reads requests on one thread. An answer the
 * dashboard kept from an identical earlier request is sent from that thread
 * at once (rh_dashboard_kept_get(): no store reads, no thread switch, no
 * copy: the kept bytes by reference, a large body with sendfile() from the
 * memfd it is kept in, its reference dropped once libevent is done);
 * any other request goes to a small pool of worker threads that answer it
 * through rh_dashboard_handle() (store reads, log tails, JSON); a separate
 * pool runs the slow work the dashboard schedules (indexing a session on
 * its first visit), so that work never holds up other requests. A finished
 * answer goes back to the event loop through an event made active from the
 * worker (evthread locking). Bodies are handed to libevent by reference,
 * not copied. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <rayhist/rayhist.h>

#include "cli.h"
#include "serve_conn.h"
#include "serve_metrics.h"
#include "retention_opts.h"
#include "cache_opts.h"
#include "serve_auth.h"
#include "serve_coalesce.h"
#include "serve_download.h"

enum {
	OPT_STORE = 256,
	OPT_LISTEN,
	OPT_DASHBOARD,
	OPT_THREADS,
	OPT_STORE_CONFIG,
	OPT_CACHE,
	OPT_MAX_CONN,
	OPT_REQ_TIMEOUT,
	OPT_ACCESS_LOG,
	OPT_RET_INTERVAL,
	OPT_AUTH_TOKENS,
	OPT_AUTH_HTPASSWD,
	OPT_AUTH_GRANTS,
	OPT_TRUSTED_PROXY,
	OPT_REFRESH
};

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL",
	  "store to read (file path, file://, s3://, az://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE",
	  "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	{ OPT_LISTEN, "listen", "ADDR:PORT",
	  "address to listen on (default 127.0.0.1:8080; port 0 picks one)" },
	{ OPT_DASHBOARD, "dashboard-dir", "DIR",
	  "a Ray dashboard client build, or a folder of builds named by Ray version" },
	{ OPT_THREADS, "threads", "N",
	  "worker threads answering requests (default 4)" },
	{ OPT_CACHE, "cache-size", "MB",
	  "memory for answers kept for repeated requests (default 64; 0: none)" },
	{ OPT_MAX_CONN, "max-connections", "N",
	  "connections open at once; more wait to be accepted (default 3/4 of the open-files limit)" },
	{ OPT_REQ_TIMEOUT, "request-timeout", "SEC",
	  "time a client has to send a whole request, headers and body (default 30)" },
	RH_RETENTION_CLI_OPTS,
	{ OPT_REFRESH, "refresh", "DURATION",
	  "how often a session still running is checked for new events (default 30s; a check lists only its marks)" },
	{ OPT_RET_INTERVAL, "retention-interval", "DURATION",
	  "with a retention policy: run it at start and this often (default 1h)" },
	{ OPT_AUTH_TOKENS, "auth-tokens", "FILE",
	  "bearer tokens: lines \"TOKEN NS[,NS...]\" or \"TOKEN *\" (re-read on change)" },
	{ OPT_AUTH_HTPASSWD, "auth-htpasswd", "FILE",
	  "HTTP basic users: htpasswd lines USER:HASH (bcrypt, SHA-crypt; re-read on change)" },
	{ OPT_AUTH_GRANTS, "auth-grants", "FILE",
	  "namespaces of users and groups: lines \"user:NAME NS,...\", \"group:NAME NS,...\"" },
	{ OPT_TRUSTED_PROXY, "trusted-proxy", "ADDRS",
	  "believe X-Forwarded-User/-Groups (X-Auth-Request-*) from these addresses" },
	{ OPT_ACCESS_LOG, "access-log", "FORMAT",
	  "how requests are logged on stderr: text (default) or json (one object a line)" },
	{ 'q', "quiet", NULL, "do not log requests on stderr" },
	RH_CACHE_CLI_OPTS,
	{ 0, NULL, NULL, NULL }
};

#define MAX_QUEUE 4096
/* A streamed answer is read and sent this much at a time, one piece per
 * client in memory at once: what a client that stops reading costs (plus
 * its open log file, a few KiB). */
#define PIECE (256u << 10)
#define PREP_THREADS 2

struct server;
struct job;
static const char *method_name(enum evhttp_cmd_type t);
static int enqueue(struct server *srv, struct job *j, size_t cap);

struct job {
	struct job *next;
	struct server *srv;
	struct evhttp_request *req;
	struct event *done;
	char *method, *uri, *accept_encoding, *cookie, *inm, *accept, *peer;
	int head;
	int readyz;        /* a /readyz probe, not a dashboard request */
	serve_grant grant; /* the caller's; used when limited */
	int limited;       /* only grant.ns may be listed */
	rh_dashboard_response resp;
	struct timespec t0;
	/* A streamed answer (resp.stream): the piece a worker read, sent once
	 * the previous one has left; only the loop thread touches the flags. */
	int streaming, busy, aborted, stream_done, stream_error;
	rh_buf piece;
	uint64_t sent;
	/* Leading the computation of identical requests (serve_coalesce.h):
	 * they get its answer when it is done. */
	serve_flight *flight;
	int answered; /* sent by land() */
};

struct work {
	struct work *next;
	rh_dashboard_work_fn fn;
	void *arg;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;  /* a job is waiting (workers) */
	pthread_cond_t wcond; /* work is waiting (prep threads) */
	struct job *head, *tail;
	struct work *whead, *wtail;
	size_t njobs, nwork;
	int quit;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	rh_dashboard *dash;
	struct queue q;
	pthread_t *workers, preps[PREP_THREADS];
	int nworkers, npreps;
	int quiet, log_json;
	serve_conns *conns;
	serve_metrics *metrics;
	rh_store *st; /* /readyz, retention, downloads */
	/* Retention (retention.h): run on the prep pool, one run at a time. */
	rh_retention_options retention;
	struct event *retention_timer;
	int retention_running;  /* under q.lock */
	serve_auth *auth;       /* NULL: no authentication */
	serve_flights *flights; /* requests in flight; loop thread only */
	unsigned test_delay_ms; /* RAYHIST_TEST_ANSWER_DELAY_MS (tests) */
};

static char *
xstrdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	if (!(p = strdup(s))) {
		fprintf(stderr, "%s: out of memory\n", rh_cli_prog);
		exit(1);
	}
	return p;
}

static void
job_free(struct job *j)
{
	if (!j)
		return;
	if (j->flight) {
		/* Only at shutdown: the followers were never answered
		 * (evhttp_free() frees their requests). */
		void **items;
		size_t i, n = serve_flight_land(&items, j->srv->flights,
		                                j->flight);

		j->flight = NULL;
		for (i = 0; i < n; i++)
			job_free(items[i]);
		free(items);
	}
	if (j->done)
		event_free(j->done);
	rh_dashboard_response_dispose(&j->resp);
	rh_buf_dispose(&j->piece);
	serve_grant_dispose(&j->grant);
	free(j->method);
	free(j->uri);
	free(j->accept_encoding);
	free(j->cookie);
	free(j->inm);
	free(j->accept);
	free(j->peer);
	free(j);
}

/* evbuffer_add_reference()'s cleanup: the body the response held. */
static void
body_free(const void *data, size_t len, void *extra)
{
	rh_buf b = RH_BUF_INIT;

	(void)data, (void)len;
	b.ptr = extra;
	rh_buf_dispose(&b);
}

/* The headers of resp on req (and, for HEAD, the length GET would send). */
static void
answer_headers(struct evhttp_request *req, const rh_dashboard_response *resp,
               int head)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char len[32];
	size_t i;

	evhttp_add_header(h, "Content-Type", resp->content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < resp->nheaders; i++)
		evhttp_add_header(
			h, resp->headers[i].name,
			resp->headers[i].value ? resp->headers[i].value : "");
	if (head) {
		/* HEAD: the headers of GET, no body. */
		uint64_t n = resp->stream ?
		                     rh_dashboard_stream_size(resp->stream) :
		                     resp->body.size;
		if (n != UINT64_MAX) {
			snprintf(len, sizeof(len), "%" PRIu64, n);
			evhttp_add_header(h, "Content-Length", len);
		}
	}
}

/* On the event loop: send resp, taking its body. */
static void
send_answer(struct evhttp_request *req, rh_dashboard_response *resp, int head)
{
	struct evbuffer *body = evbuffer_new();

	answer_headers(req, resp, head);
	if (!head && body && resp->body.size &&
	    evbuffer_add_reference(body, resp->body.ptr, resp->body.size,
	                           body_free, resp->body.ptr) == 0) {
		/* The evbuffer owns the bytes now. */
		resp->body.ptr = NULL;
		resp->body.asize = 0;
	}
	/* NULL: libevent writes the reason phrase for the status */
	evhttp_send_reply(req, resp->status, NULL, body);
	if (body)
		evbuffer_free(body);
}

/* An answer went out: count it, and log it unless quiet. */
static void
log_request(struct server *srv, const char *peer, const char *method,
            const char *uri, int status, size_t size, const struct timespec *t0,
            int cache_hit)
{
	struct timespec t1;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
	serve_metrics_request(srv->metrics, uri, status,
	                      strcmp(method, "HEAD") ? size : 0, ms / 1e3);
	if (cache_hit >= 0)
		serve_metrics_cache(srv->metrics, cache_hit);
	if (srv->quiet)
		return;
	if (srv->log_json)
		serve_access_json(stderr, peer, method, uri, status, size, ms,
		                  cache_hit > 0);
	else
		fprintf(stderr, "%s \"%s %s\" %d %zu %.1fms\n",
		        peer ? peer : "-", method, uri, status, size, ms);
}

/* Was this answer one the dashboard may keep (1 when it came from the kept
 * ones, 0 computed), or not such an answer (-1)? */
static int
cache_result(const char *method, const char *uri,
             const rh_dashboard_response *r)
{
	if (rh_dashboard_response_header(r, "X-Rayhist-Cache"))
		return 1;
	return strcmp(method, "GET") || r->status != 200 ||
	                       strncmp(uri, "/c/", 3) ?
	               -1 :
	               0;
}

static void stream_next(struct job *j);

/* The client went away while its answer was streaming (libevent frees the
 * request with the connection). */
static void
on_stream_close(struct evhttp_connection *conn, void *arg)
{
	struct job *j = arg;

	(void)conn;
	/* On a write error or timeout libevent detaches a request whose
	 * answer is unfinished from its connection and leaves it to us. */
	if (j->req && !evhttp_request_get_connection(j->req))
		evhttp_request_free(j->req);
	j->req = NULL;
	if (j->busy)
		j->aborted = 1; /* on_done frees it when the worker is back */
	else
		job_free(j);
}

/* The end of a streamed answer, complete or cut short by a store error. */
static void
stream_end(struct job *j)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(j->req);

	evhttp_connection_set_closecb(conn, NULL, NULL);
	if (j->stream_error) {
		/* Content-Length (or the chunked encoding's end) must not
		 * claim a whole answer: drop the connection. */
		evhttp_connection_free(conn);
	} else {
		evhttp_send_reply_end(j->req);
	}
	log_request(j->srv, j->peer, j->method, j->uri, j->resp.status,
	            (size_t)j->sent, &j->t0, -1);
	job_free(j);
}

/* libevent wrote the last piece out: read the next one. */
static void
on_piece_sent(struct evhttp_connection *conn, void *arg)
{
	struct job *j = arg;

	(void)conn;
	if (j->stream_done || j->stream_error)
		stream_end(j);
	else
		stream_next(j);
}

static void
stream_next(struct job *j)
{
	j->busy = 1;
	/* No cap: the client's request was admitted already. */
	(void)enqueue(j->srv, j, (size_t)-1);
}

/* On the event loop: a worker read a piece of a streamed answer. */
static void
stream_piece(struct job *j)
{
	struct evbuffer *out;

	j->busy = 0;
	if (j->aborted) {
		job_free(j);
		return;
	}
	if (!j->piece.size) {
		if (j->stream_done || j->stream_error)
			stream_end(j);
		else
			stream_next(j);
		return;
	}
	if (!(out = evbuffer_new()) ||
	    evbuffer_add_reference(out, j->piece.ptr, j->piece.size, body_free,
	                           j->piece.ptr) < 0) {
		if (out)
			evbuffer_free(out);
		j->stream_error = 1;
		stream_end(j);
		return;
	}
	j->sent += j->piece.size;
	j->piece.ptr = NULL; /* the evbuffer owns the bytes now */
	j->piece.size = j->piece.asize = 0;
	evhttp_send_reply_chunk_with_cb(j->req, out, on_piece_sent, j);
	evbuffer_free(out);
}

/* On the event loop: start sending a streamed answer. */
static void
stream_start(struct job *j)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(j->req);
	uint64_t n = rh_dashboard_stream_size(j->resp.stream);
	char len[32];
	size_t i;

	evhttp_add_header(h, "Content-Type", j->resp.content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < j->resp.nheaders; i++)
		evhttp_add_header(h, j->resp.headers[i].name,
		                  j->resp.headers[i].value ?
		                          j->resp.headers[i].value :
		                          "");
	if (n != UINT64_MAX) { /* else chunked (HTTP/1.1) or until close */
		snprintf(len, sizeof(len), "%" PRIu64, n);
		evhttp_add_header(h, "Content-Length", len);
	}
	evhttp_send_reply_start(j->req, j->resp.status, NULL);
	evhttp_connection_set_closecb(evhttp_request_get_connection(j->req),
	                              on_stream_close, j);
	j->streaming = 1;
	stream_next(j);
}

/* One answer's body sent to every request of a flight: freed when the
 * last of them has left (all on the loop thread). */
struct shared_body {
	size_t refs;
	char *ptr;
};

static void
shared_body_free(const void *data, size_t len, void *extra)
{
	struct shared_body *sb = extra;

	(void)data, (void)len;
	if (--sb->refs == 0) {
		body_free(NULL, 0, sb->ptr);
		free(sb);
	}
}

/* On the event loop: send resp to follower f of a flight, the body by
 * reference to sb. */
static void
send_shared(struct job *f, const rh_dashboard_response *resp,
            struct shared_body *sb)
{
	struct evbuffer *body = evbuffer_new();

	answer_headers(f->req, resp, f->head);
	if (!f->head && body && resp->body.size &&
	    evbuffer_add_reference(body, sb->ptr, resp->body.size,
	                           shared_body_free, sb) == 0)
		sb->refs++;
	evhttp_send_reply(f->req, resp->status, NULL, body);
	if (body)
		evbuffer_free(body);
}

/* On the event loop: leader j's answer is done; answer the identical
 * requests that waited for it, with the same bytes. A streamed answer is
 * read piece by piece for one client: each of them is queued for its own. */
static void
land(struct job *j)
{
	struct shared_body *sb = NULL;
	void **items;
	size_t i, n = serve_flight_land(&items, j->srv->flights, j->flight);

	j->flight = NULL;
	if (n && !j->resp.stream && j->resp.body.size &&
	    (sb = calloc(1, sizeof(*sb)))) {
		/* The flight's own reference, dropped below. */
		sb->refs = 1;
		sb->ptr = j->resp.body.ptr;
		j->resp.body.ptr = NULL;
		j->resp.body.asize = 0;
	}
	for (i = 0; i < n; i++) {
		struct job *f = items[i];

		if (j->resp.stream || (j->resp.body.size && !sb)) {
			/* Computed again, on its own. */
			if (enqueue(f->srv, f, MAX_QUEUE) < 0) {
				evhttp_send_error(f->req, 503,
				                  "too many "
				                  "requests waiting");
				job_free(f);
			}
			continue;
		}
		send_shared(f, &j->resp, sb);
		serve_metrics_coalesced(j->srv->metrics);
		log_request(f->srv, f->peer, f->method, f->uri, j->resp.status,
		            j->resp.body.size, &f->t0, -1);
		job_free(f);
	}
	free(items);
	if (sb) {
		/* The leader's too; then the flight's reference goes. */
		send_shared(j, &j->resp, sb);
		j->answered = 1;
		shared_body_free(NULL, 0, sb);
	}
}

/* On the event loop: send the answer a worker computed. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	size_t size = j->resp.body.size;
	int hit;

	(void)fd, (void)what;
	if (j->streaming) {
		stream_piece(j);
		return;
	}
	if (j->flight)
		land(j);
	if (j->resp.stream && !j->head) {
		stream_start(j);
		return;
	}
	hit = cache_result(j->method, j->uri, &j->resp);
	if (!j->answered)
		send_answer(j->req, &j->resp, j->head);
	log_request(j->srv, j->peer, j->method, j->uri, j->resp.status, size,
	            &j->t0, hit);
	job_free(j);
}

/* The last of a kept answer's bytes left (or its connection was freed):
 * the evbuffer's cleanup, for a body added by reference. */
static void
kept_body_free(const void *data, size_t len, void *extra)
{
	(void)data, (void)len;
	rh_dashboard_kept_release(extra);
}

/* ... and for a body added as a file segment. */
static void
kept_segment_free(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
	(void)seg, (void)flags;
	rh_dashboard_kept_release(arg);
}

/* The body of kept answer k into `body`, taking the reference k: from its
 * memfd with sendfile() when it has one (the kernel sends the pages as
 * they are, as nginx sends a static file), else by reference. 0, or -1
 * (k is then still the caller's). */
static int
kept_body(struct evbuffer *body, rh_dashboard_kept *k)
{
	const rh_dashboard_response *r = rh_dashboard_kept_response(k);
	struct evbuffer_file_segment *seg;
	int fd = rh_dashboard_kept_fd(k);

	if (fd >= 0 &&
	    evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD) == 0 &&
	    (seg = evbuffer_file_segment_new(fd, 0, (ev_off_t)r->body.size,
	                                     EVBUF_FS_DISABLE_LOCKING))) {
		/* Only the loop thread touches the segment: no lock. */
		evbuffer_file_segment_add_cleanup_cb(seg, kept_segment_free, k);
		if (evbuffer_add_file_segment(body, seg, 0,
		                              (ev_off_t)r->body.size) == 0) {
			evbuffer_file_segment_free(seg); /* the chain's now */
			return 0;
		}
		/* never added: freeing it must not release k */
		evbuffer_file_segment_add_cleanup_cb(seg, NULL, NULL);
		evbuffer_file_segment_free(seg);
	}
	return evbuffer_add_reference(body, r->body.ptr, r->body.size,
	                              kept_body_free, k);
}

/* On the event loop: answer from what the dashboard kept, if it kept it,
 * sending the kept bytes themselves (no copy, no worker). */
static int
answer_cached(struct server *srv, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const rh_dashboard_response *r;
	rh_dashboard_kept *k;
	struct evbuffer *body = NULL;
	struct timespec t0;
	char *peer = NULL;
	ev_uint16_t port = 0;
	int status;
	size_t i, size;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rq.method = method_name(cmd);
	rq.target = evhttp_request_get_uri(req);
	rq.accept_encoding = evhttp_find_header(in, "Accept-Encoding");
	rq.cookie = evhttp_find_header(in, "Cookie");
	rq.if_none_match = evhttp_find_header(in, "If-None-Match");
	rq.accept = evhttp_find_header(in, "Accept");
	if (rh_dashboard_kept_get(&k, srv->dash, &rq) != 1)
		return 0;
	r = rh_dashboard_kept_response(k);
	status = r->status;
	size = r->body.size;
	if (cmd == EVHTTP_REQ_GET &&
	    (!(body = evbuffer_new()) || (size && kept_body(body, k) < 0))) {
		/* no memory: a worker answers (and says so if it must) */
		if (body)
			evbuffer_free(body);
		rh_dashboard_kept_release(k);
		return 0;
	}
	evhttp_add_header(h, "Content-Type", r->content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < r->nheaders; i++)
		evhttp_add_header(h, r->headers[i].name,
		                  r->headers[i].value ? r->headers[i].value :
		                                        "");
	if (!body) {
		/* HEAD: the headers of GET, no body. */
		char len[32];

		snprintf(len, sizeof(len), "%zu", size);
		evhttp_add_header(h, "Content-Length", len);
		rh_dashboard_kept_release(k);
	} else if (!size) {
		rh_dashboard_kept_release(k); /* nothing was added */
	}
	/* Logged first: the target and the peer belong to req, which
	 * sending may free. */
	if (conn)
		evhttp_connection_get_peer(conn, &peer, &port);
	log_request(srv, peer, rq.method, rq.target, status, size, &t0, 1);
	/* k (when the body holds it) may be released from here on */
	evhttp_send_reply(req, status, NULL, body);
	if (body)
		evbuffer_free(body);
	return 1;
}

static const char *
method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "UNKNOWN";
	}
}

/* Hand j to the workers; -1 when `cap` jobs are waiting already. */
static int
enqueue(struct server *srv, struct job *j, size_t cap)
{
	pthread_mutex_lock(&srv->q.lock);
	if (srv->q.njobs >= cap) {
		pthread_mutex_unlock(&srv->q.lock);
		return -1;
	}
	j->next = NULL;
	if (srv->q.tail)
		srv->q.tail->next = j;
	else
		srv->q.head = j;
	srv->q.tail = j;
	srv->q.njobs++;
	pthread_cond_signal(&srv->q.cond);
	pthread_mutex_unlock(&srv->q.lock);
	return 0;
}

/* Is the path of request target t exactly p (a query may follow)? */
static int
path_is(const char *t, const char *p)
{
	size_t n = strlen(p);

	return !strncmp(t, p, n) && (!t[n] || t[n] == '?');
}

/* On the event loop: /livez (the loop is turning) and /metrics, answered
 * here so that they work while every worker is busy. 1 when answered. */
static int
answer_here(struct server *srv, struct evhttp_request *req, const char *uri)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct evbuffer *body;
	struct timespec t0;
	serve_conn_stats cs;
	char *peer = NULL;
	ev_uint16_t port = 0;
	size_t size;
	int metrics = path_is(uri, "/metrics");

	if ((cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) ||
	    (!metrics && !path_is(uri, "/livez")))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!(body = evbuffer_new())) {
		evhttp_send_error(req, 503, "out of memory");
		return 1;
	}
	if (metrics) {
		serve_conns_stats(srv->conns, &cs);
		serve_metrics_render(body, srv->metrics, srv->dash, &cs);
		evhttp_add_header(h, "Content-Type",
		                  "text/plain; version=0.0.4; charset=utf-8");
	} else {
		evbuffer_add(body, "ok\n", 3);
		evhttp_add_header(h, "Content-Type",
		                  "text/plain; charset=utf-8");
	}
	evhttp_add_header(h, "Cache-Control", "no-store");
	size = evbuffer_get_length(body);
	if (cmd == EVHTTP_REQ_HEAD) {
		char len[32];

		snprintf(len, sizeof(len), "%zu", size);
		evhttp_add_header(h, "Content-Length", len);
		evbuffer_drain(body, size);
	}
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
	if (conn)
		evhttp_connection_get_peer(conn, &peer, &port);
	log_request(srv, peer, method_name(cmd), uri, 200, size, &t0, -1);
	return 1;
}

/* Send a plain-text refusal. */
static void
refuse(struct server *srv, struct evhttp_request *req, const char *uri,
       int status, const char *challenge, const char *msg)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct timespec t0;
	char *peer = NULL;
	ev_uint16_t port = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (challenge)
		evhttp_add_header(h, "WWW-Authenticate", challenge);
	if (body)
		evbuffer_add_printf(body, "%s\n", msg);
	evhttp_send_reply(req, status, NULL, body);
	if (body)
		evbuffer_free(body);
	if (conn)
		evhttp_connection_get_peer(conn, &peer, &port);
	log_request(srv, peer, method_name(evhttp_request_get_command(req)),
	            uri, status, strlen(msg) + 1, &t0, -1);
}

/* Who is asking, and may they read the namespace the target names? 0 with
 * *g filled, or -1 when a 401 or 403 was sent. */
static int
authorize(struct server *srv, struct evhttp_request *req, const char *uri,
          serve_grant *g)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *challenge;
	char ns[256];

	if (serve_auth_check(srv->auth, req, g, &challenge) != 0) {
		refuse(srv, req, uri, 401, challenge,
		       "authentication required: a bearer token, a user and "
		       "password, or a trusted proxy's identity");
		return -1;
	}
	if (serve_auth_target_ns(ns, sizeof(ns), uri,
	                         evhttp_find_header(in, "Cookie")) &&
	    !serve_grant_allows(g, ns)) {
		char msg[512];

		snprintf(msg, sizeof(msg),
		         "%.128s may not read namespace %.255s", g->who, ns);
		serve_grant_dispose(g);
		refuse(srv, req, uri, 403, NULL, msg);
		return -1;
	}
	return 0;
}

/* On a worker: /readyz. Ready when the store answers a HEAD of one key
 * (found or not): one cheap request, never a listing. */
static void
readyz(struct server *srv, rh_dashboard_response *resp)
{
	uint64_t size;
	int error = rh_store_head(&size, NULL, srv->st, "rayhist-readyz-probe");

	resp->content_type = "text/plain; charset=utf-8";
	if (error == 0 || error == RH_ENOTFOUND) {
		resp->status = 200;
		(void)rh_buf_puts(&resp->body, "ok\n");
	} else {
		resp->status = 503;
		(void)rh_buf_printf(&resp->body, "store %s unreachable: %s\n",
		                    rh_store_url(srv->st), rh_error_last());
	}
}

/* Put s (NULL too, told apart from "") and a NUL into key. */
static int
key_part(rh_buf *key, const char *s)
{
	return s ? rh_buf_put(key, s, strlen(s) + 1) : rh_buf_put(key, "\1", 2);
}

/* On the event loop: does j join a flight of identical requests already
 * in the air (1: it waits there), or lead one (0: it is computed, and
 * j->flight is set when other requests may join)? The key is everything
 * of the request rh_dashboard_handle() reads, so two requests with the
 * same key get the same answer from the same snapshot. */
static int
coalesce(struct server *srv, struct job *j)
{
	rh_buf key = RH_BUF_INIT;
	serve_flight *fl = NULL;
	int r = -1;

	if (strcmp(j->method, "GET") && strcmp(j->method, "HEAD"))
		return 0;
	if (key_part(&key, j->method) == 0 && key_part(&key, j->uri) == 0 &&
	    key_part(&key, j->accept_encoding) == 0 &&
	    key_part(&key, j->cookie) == 0 && key_part(&key, j->inm) == 0 &&
	    key_part(&key, j->accept) == 0)
		r = serve_flights_join(&fl, srv->flights, key.ptr, key.size, j);
	rh_buf_dispose(&key);
	rh_error_clear();
	if (r == 0)
		j->flight = fl;
	return r == 1;
}

/* On the event loop: queue the request for a worker. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *uri = evhttp_request_get_uri(req);
	struct job *j;
	char *peer = NULL;
	ev_uint16_t port = 0;

	serve_grant grant;
	int limited = 0;

	serve_conns_request_read(srv->conns, req);
	memset(&grant, 0, sizeof(grant));
	if (srv->auth && !path_is(uri, "/livez") && !path_is(uri, "/readyz") &&
	    !path_is(uri, "/readz") && !path_is(uri, "/metrics")) {
		if (authorize(srv, req, uri, &grant) < 0)
			return;
		limited = !grant.all;
	}
	/* A download's namespace was authorized above, like any /c/ path. */
	if (answer_here(srv, req, uri) ||
	    rh_serve_download(req, srv->base, srv->st, srv->quiet) ||
	    (!limited && answer_cached(srv, req)) ||
	    (limited && !path_is(uri, "/") && !path_is(uri, "/clusters") &&
	     answer_cached(srv, req))) {
		serve_grant_dispose(&grant);
		return;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		serve_grant_dispose(&grant);
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	j->grant = grant; /* the job owns it now */
	j->limited = limited;
	if (limited && !j->grant.ns &&
	    !(j->grant.ns = calloc(1, sizeof(char *)))) {
		job_free(j);
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->srv = srv;
	j->req = req;
	j->method = xstrdup(method_name(evhttp_request_get_command(req)));
	j->head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
	j->readyz =
		(path_is(uri, "/readyz") || path_is(uri, "/readz")) &&
		(j->head || evhttp_request_get_command(req) == EVHTTP_REQ_GET);
	j->uri = xstrdup(evhttp_request_get_uri(req));
	j->accept_encoding = xstrdup(evhttp_find_header(in, "Accept-Encoding"));
	j->cookie = xstrdup(evhttp_find_header(in, "Cookie"));
	j->inm = xstrdup(evhttp_find_header(in, "If-None-Match"));
	j->accept = xstrdup(evhttp_find_header(in, "Accept"));
	if (conn)
		evhttp_connection_get_peer(conn, &peer, &port);
	j->peer = xstrdup(peer);
	if (!(j->done = event_new(srv->base, -1, 0, on_done, j))) {
		job_free(j);
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	if (!limited && !j->readyz && coalesce(srv, j))
		return; /* answered with the flight it joined */
	if (enqueue(srv, j, MAX_QUEUE) < 0) {
		job_free(j);
		evhttp_send_error(req, 503, "too many requests waiting");
	}
}

static void *
worker_main(void *arg)
{
	struct server *srv = arg;
	struct job *j;

	for (;;) {
		rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

		pthread_mutex_lock(&srv->q.lock);
		while (!srv->q.head && !srv->q.quit)
			pthread_cond_wait(&srv->q.cond, &srv->q.lock);
		if (srv->q.quit) {
			pthread_mutex_unlock(&srv->q.lock);
			return NULL;
		}
		j = srv->q.head;
		srv->q.head = j->next;
		if (!srv->q.head)
			srv->q.tail = NULL;
		srv->q.njobs--;
		pthread_mutex_unlock(&srv->q.lock);

		if (j->streaming) {
			int done = 0;

			if (rh_dashboard_stream_read(&j->piece, &done,
			                             j->resp.stream,
			                             PIECE) < 0) {
				fprintf(stderr, "%s: %s: %s\n", rh_cli_prog,
				        j->uri, rh_error_last());
				j->stream_error = 1;
			}
			j->stream_done = done;
			event_active(j->done, 0, 0);
			continue;
		}
		if (j->readyz) {
			readyz(srv, &j->resp);
			event_active(j->done, 0, 0);
			continue;
		}
		if (srv->test_delay_ms)
			nanosleep(
				&(struct timespec){
					srv->test_delay_ms / 1000,
					(long)(srv->test_delay_ms % 1000) *
						1000000 },
				NULL);
		rq.method = j->method;
		rq.target = j->uri;
		rq.stream_ok = 1;
		if (j->limited)
			rq.namespaces = (const char *const *)j->grant.ns;
		rq.accept_encoding = j->accept_encoding;
		rq.cookie = j->cookie;
		rq.if_none_match = j->inm;
		rq.accept = j->accept;
		if (rh_dashboard_handle(&j->resp, srv->dash, &rq) < 0 &&
		    !j->resp.status) {
			j->resp.status = 500;
			j->resp.content_type = "text/plain";
		}
		event_active(j->done, 0, 0);
	}
}

static void *
prep_main(void *arg)
{
	struct server *srv = arg;
	struct work *w;

	for (;;) {
		pthread_mutex_lock(&srv->q.lock);
		while (!srv->q.whead && !srv->q.quit)
			pthread_cond_wait(&srv->q.wcond, &srv->q.lock);
		if (srv->q.quit && !srv->q.whead) {
			pthread_mutex_unlock(&srv->q.lock);
			return NULL;
		}
		w = srv->q.whead;
		srv->q.whead = w->next;
		if (!srv->q.whead)
			srv->q.wtail = NULL;
		srv->q.nwork--;
		pthread_mutex_unlock(&srv->q.lock);
		w->fn(w->arg);
		free(w);
	}
}

/* The dashboard's schedule callback: queue slow work for the prep pool. */
static int
schedule(rh_dashboard_work_fn fn, void *arg, void *payload)
{
	struct server *srv = payload;
	struct work *w;

	if (!(w = calloc(1, sizeof(*w))))
		return -1;
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&srv->q.lock);
	if (srv->q.quit || srv->q.nwork >= MAX_QUEUE) {
		pthread_mutex_unlock(&srv->q.lock);
		free(w);
		return -1;
	}
	if (srv->q.wtail)
		srv->q.wtail->next = w;
	else
		srv->q.whead = w;
	srv->q.wtail = w;
	srv->q.nwork++;
	pthread_cond_signal(&srv->q.wcond);
	pthread_mutex_unlock(&srv->q.lock);
	return 0;
}

static void
retention_report(const rh_retention_session *s, int error, void *payload)
{
	(void)payload;
	if (error < 0)
		fprintf(stderr, "%s: retention: %s/%s/%s: %s\n", rh_cli_prog,
		        s->ref.ns, s->ref.cluster, s->ref.session,
		        rh_error_last());
	else
		rh_retention_cli_print(stderr,
		                       "rayhist-serve: retention: deleted", s);
}

/* On a prep thread: one retention run. */
static void
retention_run(void *arg)
{
	struct server *srv = arg;
	rh_retention_result res;
	int error;

	error = rh_retention_run(&res, srv->st, &srv->retention,
	                         retention_report, srv);
	serve_metrics_retention(srv->metrics, res.deleted + res.finished,
	                        res.bytes, error < 0);
	if (error < 0)
		fprintf(stderr, "%s: retention: %s\n", rh_cli_prog,
		        rh_error_last());
	else if (res.deleted || res.finished)
		fprintf(stderr,
		        "%s: retention: %zu of %zu sessions deleted, %llu "
		        "bytes; %zu unfinished deletions finished\n",
		        rh_cli_prog, res.deleted, res.sessions,
		        (unsigned long long)res.bytes, res.finished);
	pthread_mutex_lock(&srv->q.lock);
	srv->retention_running = 0;
	pthread_mutex_unlock(&srv->q.lock);
}

/* On the event loop: time for a retention run (unless one still runs). */
static void
on_retention_timer(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	int busy;

	(void)fd, (void)what;
	pthread_mutex_lock(&srv->q.lock);
	busy = srv->retention_running;
	srv->retention_running = 1;
	pthread_mutex_unlock(&srv->q.lock);
	if (busy)
		return;
	if (schedule(retention_run, srv, srv) < 0) {
		pthread_mutex_lock(&srv->q.lock);
		srv->retention_running = 0;
		pthread_mutex_unlock(&srv->q.lock);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;

	(void)sig, (void)what;
	event_base_loopexit(srv->base, NULL);
}

/* The local time zone, for /timezone: offset east of UTC and a name. */
static void
local_tz(int *offset_min, char *name, size_t cap)
{
	time_t now = time(NULL);
	const char *tz = getenv("TZ");
	char link[PATH_MAX];
	struct tm tm;
	ssize_t n;

	localtime_r(&now, &tm);
	*offset_min = (int)(tm.tm_gmtoff / 60);
	if (tz && *tz && *tz != ':' && *tz != '/') {
		snprintf(name, cap, "%s", tz);
		return;
	}
	n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		const char *z;
		link[n] = '\0';
		if ((z = strstr(link, "zoneinfo/"))) {
			snprintf(name, cap, "%s", z + 9);
			return;
		}
	}
	snprintf(name, cap, "%s",
	         tm.tm_zone && *tm.tm_zone ? tm.tm_zone : "UTC");
}

/* What the command line asks for. */
struct serve_args {
	rh_dashboard_options o;
	const char *store_flag, *listen;
	rh_store_options sopts;
	serve_auth_config acfg;
	size_t max_conns;
	int req_timeout;
	int64_t retention_every_ms;
	rh_retention_options ropts;
	rh_cache_cli cache;
	char tz[128]; /* o.tz_name */
};

static void
parse_args(struct serve_args *a, struct server *srv, rh_cli *cli, int argc,
           char **argv)
{
	const char *arg;
	int c;

	rh_cli_init(
		cli, "rayhist-serve",
		"[--store URL] [--listen ADDR:PORT] [--dashboard-dir DIR]",
		"Serve the Ray Dashboard's HTTP API for every session a rayhist store\n"
		"holds: a cluster picker at /, each session's dashboard and API under\n"
		"/c/NAMESPACE/CLUSTER/SESSION/, and the same API at the root for the\n"
		"session chosen through /enter_cluster/NAMESPACE/CLUSTER/SESSION\n"
		"(cookies, as KubeRay's history server). The store gets only the\n"
		"sessions' indexes (in --cache-dir instead when it refuses them, or\n"
		"with --read-only) and, with a retention policy, deletions.",
		options, argc, argv);
	while ((c = rh_cli_next(cli, &arg)) != -1) {
		if (rh_retention_cli_opt(&a->ropts, c, arg) ||
		    rh_cache_cli_opt(&a->cache, c, arg))
			continue;
		switch (c) {
		case OPT_STORE: a->store_flag = arg; break;
		case OPT_STORE_CONFIG: a->sopts.config_file = arg; break;
		case OPT_LISTEN: a->listen = arg; break;
		case OPT_AUTH_TOKENS: a->acfg.tokens_file = arg; break;
		case OPT_AUTH_HTPASSWD: a->acfg.htpasswd_file = arg; break;
		case OPT_AUTH_GRANTS: a->acfg.grants_file = arg; break;
		case OPT_TRUSTED_PROXY: a->acfg.trusted_proxies = arg; break;
		case OPT_RET_INTERVAL:
			if ((a->retention_every_ms = rh_cli_duration_ms(
				     "--retention-interval", arg)) < 1000)
				rh_cli_usage_die(
					"--retention-interval must be 1s or more");
			break;
		case OPT_REFRESH:
			if ((a->o.refresh_ms = rh_cli_duration_ms("--refresh",
			                                          arg)) < 1000)
				rh_cli_usage_die(
					"--refresh must be 1s or more");
			break;
		case OPT_DASHBOARD: a->o.dashboard_dir = arg; break;
		case OPT_THREADS:
			srv->nworkers = (int)rh_cli_number("--threads", arg);
			if (srv->nworkers < 1 || srv->nworkers > 256)
				rh_cli_usage_die("--threads must be 1 to 256");
			break;
		case OPT_CACHE: {
			unsigned long long mb =
				rh_cli_number("--cache-size", arg);
			if (mb > (unsigned long long)(INT64_MAX >> 20))
				rh_cli_usage_die("--cache-size %s is too large",
				                 arg);
			a->o.cache_bytes = mb ? (int64_t)mb << 20 : -1;
			break;
		}
		case OPT_MAX_CONN: {
			unsigned long long n =
				rh_cli_number("--max-connections", arg);
			if (n < 1 || n > 1000000)
				rh_cli_usage_die(
					"--max-connections must be 1 to 1000000");
			a->max_conns = (size_t)n;
			break;
		}
		case OPT_REQ_TIMEOUT:
			a->req_timeout =
				(int)rh_cli_number("--request-timeout", arg);
			if (a->req_timeout < 1 || a->req_timeout > 3600)
				rh_cli_usage_die(
					"--request-timeout must be 1 to 3600");
			break;
		case OPT_ACCESS_LOG:
			if (!strcmp(arg, "json"))
				srv->log_json = 1;
			else if (strcmp(arg, "text"))
				rh_cli_usage_die(
					"--access-log must be text or json");
			break;
		case 'q': srv->quiet = 1; break;
		}
	}
	if (optind != argc)
		rh_cli_usage_die("unexpected argument \"%s\"", argv[optind]);
}

/* The HTTP server on host:port, with its connection cap and timeouts. */
static struct evhttp_bound_socket *
listen_http(struct server *srv, const struct serve_args *a, const char *host,
            unsigned port)
{
	struct evhttp_bound_socket *bound;

	if (!(srv->base = event_base_new()) ||
	    !(srv->http = evhttp_new(srv->base)))
		rh_cli_die(0, "cannot start libevent");
	evhttp_set_allowed_methods(
		srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
				   EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(srv->http, 64 << 10);
	evhttp_set_max_body_size(srv->http, 1 << 20);
	evhttp_set_timeout(srv->http, 60);
	evhttp_set_gencb(srv->http, on_request, srv);
	if (!(bound = evhttp_bind_socket_with_handle(srv->http, host,
	                                             (ev_uint16_t)port)))
		rh_cli_die(0, "cannot listen on %s: %s", a->listen,
		           strerror(errno));
	/* Answers leave in more than one segment (headers, then a body by
	 * reference); with Nagle's algorithm the last one waits for the
	 * client's delayed ACK, 40 ms a request. Accepted sockets inherit
	 * TCP_NODELAY from the listener (Linux, BSDs). */
	{
		int one = 1;
		(void)setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP,
		                 TCP_NODELAY, &one, sizeof(one));
	}
	if (!(srv->conns = serve_conns_new(
		      srv->base, srv->http,
		      evhttp_bound_socket_get_listener(bound),
		      a->max_conns ? a->max_conns : serve_conns_default_max(),
		      a->req_timeout, rh_cli_prog)))
		rh_cli_die(RH_ENOMEM, "connections");
	return bound;
}

/* The answer workers, the preparation pool and the retention timer. */
static void
start_threads(struct server *srv, const struct serve_args *a)
{
	int i;

	if (!(srv->workers =
	              calloc((size_t)srv->nworkers, sizeof(*srv->workers))))
		rh_cli_die(RH_ENOMEM, "threads");
	for (i = 0; i < srv->nworkers; i++)
		if (pthread_create(&srv->workers[i], NULL, worker_main, srv) !=
		    0)
			rh_cli_die(0, "cannot start a worker thread");
	for (i = 0; i < PREP_THREADS; i++, srv->npreps++)
		if (pthread_create(&srv->preps[i], NULL, prep_main, srv) != 0)
			rh_cli_die(0, "cannot start a worker thread");
	srv->retention = a->ropts;
	if (rh_retention_cli_any(&a->ropts)) {
		struct timeval every = {
			(time_t)(a->retention_every_ms / 1000),
			(suseconds_t)(a->retention_every_ms % 1000) * 1000
		};
		struct timeval now = { 0, 0 };

		if (!(srv->retention_timer =
		              event_new(srv->base, -1, EV_PERSIST,
		                        on_retention_timer, srv)) ||
		    event_add(srv->retention_timer, &every) < 0)
			rh_cli_die(0, "cannot start the retention timer");
		event_base_once(srv->base, -1, EV_TIMEOUT, on_retention_timer,
		                srv, &now);
	}
}

/* After the loop: stop and join the threads, deliver what they finished
 * and drop the jobs never answered. */
static void
stop_threads(struct server *srv)
{
	int i;

	pthread_mutex_lock(&srv->q.lock);
	srv->q.quit = 1;
	pthread_cond_broadcast(&srv->q.cond);
	pthread_cond_broadcast(&srv->q.wcond);
	pthread_mutex_unlock(&srv->q.lock);
	for (i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	for (i = 0; i < srv->npreps; i++)
		pthread_join(srv->preps[i], NULL);
	/* Answers the workers finished after the loop stopped are still
	 * active events: deliver them, so nothing is left behind. */
	event_base_loop(srv->base, EVLOOP_NONBLOCK);
	while (srv->q.head) {
		struct job *j = srv->q.head;
		srv->q.head = j->next;
		if (j->streaming && j->req) /* evhttp_free() would call it */
			evhttp_connection_set_closecb(
				evhttp_request_get_connection(j->req), NULL,
				NULL);
		job_free(j);
	}
}

static void
server_free(struct server *srv)
{
	if (srv->retention_timer)
		event_free(srv->retention_timer);
	evhttp_free(srv->http);
	serve_conns_free(srv->conns);
	serve_metrics_free(srv->metrics);
	serve_flights_free(srv->flights);
	serve_auth_free(srv->auth);
	event_base_free(srv->base);
	rh_dashboard_free(srv->dash);
	rh_store_close(srv->st);
	pthread_mutex_destroy(&srv->q.lock);
	pthread_cond_destroy(&srv->q.cond);
	pthread_cond_destroy(&srv->q.wcond);
	free(srv->workers);
}

/* The store, authentication, metrics and dashboard of the server. */
static void
server_open(struct server *srv, struct serve_args *a)
{
	const char *aerr = NULL, *url;
	int error;

	url = rh_store_default_url(a->store_flag);
	a->sopts.must_exist = 1; /* a reader: a mistyped URL creates nothing */
	rh_cache_cli_apply(&a->cache, &a->sopts);
	if (a->cache.read_only && rh_retention_cli_any(&a->ropts))
		rh_cli_usage_die(
			"--read-only and a retention policy (--max-age, "
			"...) exclude each other: retention deletes");
	if ((error = rh_store_open(&srv->st, url, &a->sopts)) < 0)
		rh_cli_die(error, "%s", url);
	if (a->acfg.grants_file && !a->acfg.htpasswd_file &&
	    !a->acfg.trusted_proxies)
		rh_cli_usage_die(
			"--auth-grants needs --auth-htpasswd or --trusted-proxy");
	if (!(srv->auth = serve_auth_new(&a->acfg, &aerr)) && aerr)
		rh_cli_die(0, "%s: %s", aerr, strerror(errno));
	if (!(srv->metrics = serve_metrics_new()) ||
	    !(srv->flights = serve_flights_new()))
		rh_cli_die(RH_ENOMEM, "metrics");
	/* Tests hold every answer this long on its worker, so that requests
	 * meet in flight deterministically. */
	if (getenv("RAYHIST_TEST_ANSWER_DELAY_MS"))
		srv->test_delay_ms = (unsigned)strtoul(
			getenv("RAYHIST_TEST_ANSWER_DELAY_MS"), NULL, 10);
	local_tz(&a->o.tz_offset_min, a->tz, sizeof(a->tz));
	a->o.tz_name = a->tz;
	a->o.schedule = schedule;
	a->o.schedule_payload = srv;
	if ((error = rh_dashboard_new(&srv->dash, srv->st, &a->o)) < 0)
		rh_cli_die(error, "%s",
		           a->o.dashboard_dir ? a->o.dashboard_dir :
		                                "dashboard");
	pthread_mutex_init(&srv->q.lock, NULL);
	pthread_cond_init(&srv->q.cond, NULL);
	pthread_cond_init(&srv->q.wcond, NULL);
}

int
main(int argc, char **argv)
{
	struct serve_args a = { .o = RH_DASHBOARD_OPTIONS_INIT,
		                .listen = "127.0.0.1:8080",
		                .sopts = RH_STORE_OPTIONS_INIT,
		                .req_timeout = 30,
		                .retention_every_ms = 3600000,
		                .ropts = RH_RETENTION_OPTIONS_INIT };
	struct evhttp_bound_socket *bound;
	struct event *sigint = NULL, *sigterm = NULL;
	struct server srv;
	char host[256];
	unsigned port;
	rh_cli cli;
	size_t b;

	memset(&srv, 0, sizeof(srv));
	srv.nworkers = 4;
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	/* Every computed answer is a fresh buffer of up to a few MB, freed
	 * once the kernel has taken it. glibc gave such memory back to the
	 * system at once (trimming, or a mapping of its own) and faulted it
	 * in again for the next answer: a fifth of the CPU of a 150 KB task
	 * list. Keep what was freed for reuse instead; the high-water mark
	 * stays bounded by the answers in flight (connections x answer). */
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
	parse_args(&a, &srv, &cli, argc, argv);
	rh_cli_parse_listen("--listen", "ADDRESS:PORT", a.listen, host,
	                    sizeof(host), &port);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() < 0)
		rh_cli_die(0, "cannot set up libevent for threads");
	server_open(&srv, &a);
	bound = listen_http(&srv, &a, host, port);
	start_threads(&srv, &a);
	sigint = evsignal_new(srv.base, SIGINT, on_signal, &srv);
	sigterm = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
	if (!sigint || !sigterm || event_add(sigint, NULL) < 0 ||
	    event_add(sigterm, NULL) < 0)
		rh_cli_die(0, "cannot catch signals");
	printf("rayhist-serve: serving %s on http://%s%s%s:%u/\n",
	       rh_store_url(srv.st), strchr(host, ':') ? "[" : "", host,
	       strchr(host, ':') ? "]" : "",
	       rh_cli_bound_port(evhttp_bound_socket_get_fd(bound)));
	for (b = 0; rh_dashboard_build_name(srv.dash, b); b++)
		printf("rayhist-serve: dashboard build %s\n",
		       rh_dashboard_build_name(srv.dash, b));
	fflush(stdout);

	event_base_dispatch(srv.base);

	stop_threads(&srv);
	event_free(sigint);
	event_free(sigterm);
	server_free(&srv);
	rh_cli_free(&cli);
	return 0;
}
