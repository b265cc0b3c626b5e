/* rayhist-serve - serve the Ray Dashboard's API for every stored session.
 *
 * libevent's HTTP server reads requests on one thread. An answer the
 * dashboard kept from an identical earlier request is sent from that thread
 * at once (rh_dashboard_handle_cached(): no store reads, no thread switch);
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

enum { OPT_STORE = 256, OPT_LISTEN, OPT_DASHBOARD, OPT_THREADS, OPT_STORE_CONFIG,
       OPT_CACHE };

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL", "store to read (file path, file://, s3://, az://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE", "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	{ OPT_LISTEN, "listen", "ADDR:PORT", "address to listen on (default 127.0.0.1:8080; port 0 picks one)" },
	{ OPT_DASHBOARD, "dashboard-dir", "DIR", "a Ray dashboard client build, or a folder of builds named by Ray version" },
	{ OPT_THREADS, "threads", "N", "worker threads answering requests (default 4)" },
	{ OPT_CACHE, "cache-size", "MB", "memory for answers kept for repeated requests (default 64; 0: none)" },
	{ 'q', "quiet", NULL, "do not log requests on stderr" },
	{ 0, NULL, NULL, NULL }
};

#define MAX_QUEUE 4096
#define PREP_THREADS 2

struct server;
static const char *method_name(enum evhttp_cmd_type t);

struct job {
	struct job *next;
	struct server *srv;
	struct evhttp_request *req;
	struct event *done;
	char *method, *uri, *accept_encoding, *cookie, *inm, *accept, *peer;
	int head;
	rh_dashboard_response resp;
	struct timespec t0;
};

struct work {
	struct work *next;
	rh_dashboard_work_fn fn;
	void *arg;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* a job is waiting (workers) */
	pthread_cond_t wcond;      /* work is waiting (prep threads) */
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
	int quiet;
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
	if (j->done)
		event_free(j->done);
	rh_dashboard_response_dispose(&j->resp);
	free(j->method);
	free(j->uri);
	free(j->accept_encoding);
	free(j->cookie);
	free(j->inm);
	free(j->accept);
	free(j->peer);
	free(j);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "";
	}
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

/* On the event loop: send resp, taking its body. */
static void
send_answer(struct evhttp_request *req, rh_dashboard_response *resp, int head)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();
	char len[32];
	size_t i;

	evhttp_add_header(h, "Content-Type", resp->content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (i = 0; i < resp->nheaders; i++)
		evhttp_add_header(h, resp->headers[i].name,
				  resp->headers[i].value ? resp->headers[i].value : "");
	if (head) {
		/* HEAD: the headers of GET, no body. */
		snprintf(len, sizeof(len), "%zu", resp->body.size);
		evhttp_add_header(h, "Content-Length", len);
	} else if (body && resp->body.size &&
		   evbuffer_add_reference(body, resp->body.ptr, resp->body.size,
					  body_free, resp->body.ptr) == 0) {
		/* The evbuffer owns the bytes now. */
		resp->body.ptr = NULL;
		resp->body.asize = 0;
	}
	evhttp_send_reply(req, resp->status, reason(resp->status), body);
	if (body)
		evbuffer_free(body);
}

static void
log_request(const char *peer, const char *method, const char *uri, int status,
	    size_t size, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "%s \"%s %s\" %d %zu %.1fms\n", peer ? peer : "-",
		method, uri, status, size,
		(double)(t1.tv_sec - t0->tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0->tv_nsec) / 1e6);
}

/* On the event loop: send the answer a worker computed. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	size_t size = j->resp.body.size;

	(void)fd, (void)what;
	send_answer(j->req, &j->resp, j->head);
	if (!j->srv->quiet)
		log_request(j->peer, j->method, j->uri, j->resp.status, size,
			    &j->t0);
	job_free(j);
}

/* On the event loop: answer from what the dashboard kept, if it kept it. */
static int
answer_cached(struct server *srv, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	rh_dashboard_response resp = RH_DASHBOARD_RESPONSE_INIT;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct timespec t0;
	size_t size;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rq.method = method_name(cmd);
	rq.target = evhttp_request_get_uri(req);
	rq.accept_encoding = evhttp_find_header(in, "Accept-Encoding");
	rq.cookie = evhttp_find_header(in, "Cookie");
	rq.if_none_match = evhttp_find_header(in, "If-None-Match");
	rq.accept = evhttp_find_header(in, "Accept");
	if (rh_dashboard_handle_cached(&resp, srv->dash, &rq) != 1)
		return 0;
	size = resp.body.size;
	send_answer(req, &resp, cmd == EVHTTP_REQ_HEAD);
	if (!srv->quiet) {
		struct evhttp_connection *conn = evhttp_request_get_connection(req);
		char *peer = NULL;
		ev_uint16_t port = 0;

		if (conn)
			evhttp_connection_get_peer(conn, &peer, &port);
		log_request(peer, rq.method, rq.target, resp.status, size, &t0);
	}
	rh_dashboard_response_dispose(&resp);
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

/* On the event loop: queue the request for a worker. */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct job *j;
	char *peer = NULL;
	ev_uint16_t port = 0;

	if (answer_cached(srv, req))
		return;
	if (!(j = calloc(1, sizeof(*j)))) {
		evhttp_send_error(req, 503, "out of memory");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->srv = srv;
	j->req = req;
	j->method = xstrdup(method_name(evhttp_request_get_command(req)));
	j->head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
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
	pthread_mutex_lock(&srv->q.lock);
	if (srv->q.njobs >= MAX_QUEUE) {
		pthread_mutex_unlock(&srv->q.lock);
		job_free(j);
		evhttp_send_error(req, 503, "too many requests waiting");
		return;
	}
	if (srv->q.tail)
		srv->q.tail->next = j;
	else
		srv->q.head = j;
	srv->q.tail = j;
	srv->q.njobs++;
	pthread_cond_signal(&srv->q.cond);
	pthread_mutex_unlock(&srv->q.lock);
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

		rq.method = j->method;
		rq.target = j->uri;
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
	snprintf(name, cap, "%s", tm.tm_zone && *tm.tm_zone ? tm.tm_zone : "UTC");
}

int
main(int argc, char **argv)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
	const char *store_flag = NULL, *listen = "127.0.0.1:8080", *arg, *url;
	rh_store_options sopts = RH_STORE_OPTIONS_INIT;
	struct evhttp_bound_socket *bound;
	struct event *sigint = NULL, *sigterm = NULL;
	struct server srv;
	rh_store *st = NULL;
	char host[256], tz[128];
	unsigned port;
	rh_cli cli;
	int c, error, i;
	size_t b;

	memset(&srv, 0, sizeof(srv));
	srv.nworkers = 4;
	rh_cli_init(&cli, "rayhist-serve",
		    "[--store URL] [--listen ADDR:PORT] [--dashboard-dir DIR]",
		    "Serve the Ray Dashboard's HTTP API for every session a rayhist store\n"
		    "holds: a cluster picker at /, each session's dashboard and API under\n"
		    "/c/NAMESPACE/CLUSTER/SESSION/, and the same API at the root for the\n"
		    "session chosen through /enter_cluster/NAMESPACE/CLUSTER/SESSION\n"
		    "(cookies, as KubeRay's history server). Nothing is ever written.",
		    options, argc, argv);
	while ((c = rh_cli_next(&cli, &arg)) != -1) {
		switch (c) {
		case OPT_STORE: store_flag = arg; break;
		case OPT_STORE_CONFIG: sopts.config_file = arg; break;
		case OPT_LISTEN: listen = arg; break;
		case OPT_DASHBOARD: o.dashboard_dir = arg; break;
		case OPT_THREADS:
			srv.nworkers = (int)rh_cli_number("--threads", arg);
			if (srv.nworkers < 1 || srv.nworkers > 256)
				rh_cli_usage_die("--threads must be 1 to 256");
			break;
		case OPT_CACHE: {
			unsigned long long mb = rh_cli_number("--cache-size", arg);
			if (mb > (unsigned long long)(INT64_MAX >> 20))
				rh_cli_usage_die("--cache-size %s is too large", arg);
			o.cache_bytes = mb ? (int64_t)mb << 20 : -1;
			break;
		}
		case 'q': srv.quiet = 1; break;
		}
	}
	if (optind != argc)
		rh_cli_usage_die("unexpected argument \"%s\"", argv[optind]);
	rh_cli_parse_listen("--listen", "ADDRESS:PORT", listen, host, sizeof(host),
			    &port);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() < 0)
		rh_cli_die(0, "cannot set up libevent for threads");
	url = rh_store_default_url(store_flag);
	sopts.must_exist = 1;	/* a reader: a mistyped URL creates nothing */
	if ((error = rh_store_open(&st, url, &sopts)) < 0)
		rh_cli_die(error, "%s", url);
	local_tz(&o.tz_offset_min, tz, sizeof(tz));
	o.tz_name = tz;
	o.schedule = schedule;
	o.schedule_payload = &srv;
	if ((error = rh_dashboard_new(&srv.dash, st, &o)) < 0)
		rh_cli_die(error, "%s", o.dashboard_dir ? o.dashboard_dir : "dashboard");
	pthread_mutex_init(&srv.q.lock, NULL);
	pthread_cond_init(&srv.q.cond, NULL);
	pthread_cond_init(&srv.q.wcond, NULL);
	if (!(srv.base = event_base_new()) || !(srv.http = evhttp_new(srv.base)))
		rh_cli_die(0, "cannot start libevent");
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
				   EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(srv.http, 64 << 10);
	evhttp_set_max_body_size(srv.http, 1 << 20);
	evhttp_set_timeout(srv.http, 60);
	evhttp_set_gencb(srv.http, on_request, &srv);
	if (!(bound = evhttp_bind_socket_with_handle(srv.http, host, (ev_uint16_t)port)))
		rh_cli_die(0, "cannot listen on %s: %s", listen, strerror(errno));
	/* Answers leave in more than one segment (headers, then a body by
	 * reference); with Nagle's algorithm the last one waits for the
	 * client's delayed ACK, 40 ms a request. Accepted sockets inherit
	 * TCP_NODELAY from the listener (Linux, BSDs). */
	{
		int one = 1;
		(void)setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP,
				 TCP_NODELAY, &one, sizeof(one));
	}
	if (!(srv.workers = calloc((size_t)srv.nworkers, sizeof(*srv.workers))))
		rh_cli_die(RH_ENOMEM, "threads");
	for (i = 0; i < srv.nworkers; i++)
		if (pthread_create(&srv.workers[i], NULL, worker_main, &srv) != 0)
			rh_cli_die(0, "cannot start a worker thread");
	for (i = 0; i < PREP_THREADS; i++, srv.npreps++)
		if (pthread_create(&srv.preps[i], NULL, prep_main, &srv) != 0)
			rh_cli_die(0, "cannot start a worker thread");
	sigint = evsignal_new(srv.base, SIGINT, on_signal, &srv);
	sigterm = evsignal_new(srv.base, SIGTERM, on_signal, &srv);
	if (!sigint || !sigterm || event_add(sigint, NULL) < 0 ||
	    event_add(sigterm, NULL) < 0)
		rh_cli_die(0, "cannot catch signals");
	printf("rayhist-serve: serving %s on http://%s%s%s:%u/\n", rh_store_url(st),
	       strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	       rh_cli_bound_port(evhttp_bound_socket_get_fd(bound)));
	for (b = 0; rh_dashboard_build_name(srv.dash, b); b++)
		printf("rayhist-serve: dashboard build %s\n",
		       rh_dashboard_build_name(srv.dash, b));
	fflush(stdout);

	event_base_dispatch(srv.base);

	pthread_mutex_lock(&srv.q.lock);
	srv.q.quit = 1;
	pthread_cond_broadcast(&srv.q.cond);
	pthread_cond_broadcast(&srv.q.wcond);
	pthread_mutex_unlock(&srv.q.lock);
	for (i = 0; i < srv.nworkers; i++)
		pthread_join(srv.workers[i], NULL);
	for (i = 0; i < srv.npreps; i++)
		pthread_join(srv.preps[i], NULL);
	/* Answers the workers finished after the loop stopped are still
	 * active events: deliver them, so nothing is left behind. */
	event_base_loop(srv.base, EVLOOP_NONBLOCK);
	while (srv.q.head) {
		struct job *j = srv.q.head;
		srv.q.head = j->next;
		job_free(j);
	}
	event_free(sigint);
	event_free(sigterm);
	evhttp_free(srv.http);
	event_base_free(srv.base);
	rh_dashboard_free(srv.dash);
	rh_store_close(st);
	pthread_mutex_destroy(&srv.q.lock);
	pthread_cond_destroy(&srv.q.cond);
	pthread_cond_destroy(&srv.q.wcond);
	free(srv.workers);
	rh_cli_free(&cli);
	return 0;
}
