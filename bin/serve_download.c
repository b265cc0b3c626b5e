/* serve_download.c - a stored session as one archive over HTTP.
 *
 * rh_archive_export() runs on a thread of its own and hands its bytes to
 * the event loop through a window: the producer waits while more than
 * RH_DOWNLOAD_WINDOW bytes are on their way to the client, so memory per
 * download is flat whatever the session's size, and a slow client slows
 * the export instead of filling memory. Headers (status,
 * Content-Disposition) go out with the first bytes, so a session or node
 * that is not there is still a plain 404. */
#include "serve_download.h"
#include "cli.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dl {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct event *wake;
	rh_store *st;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct evbuffer *pending; /* produced, not yet handed to evhttp */
	size_t inflight;          /* handed to evhttp, not yet written */
	int started, finished, closed, error, head, quiet;
	char errmsg[512];
	/* what to export */
	char ns[256], cluster[256], session[256], node[160], at[64];
	char filename[600];
	rh_export_options o;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_running;

static void
dl_free(struct dl *d)
{
	if (d->wake)
		event_free(d->wake);
	if (d->pending)
		evbuffer_free(d->pending);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
	pthread_mutex_lock(&g_lock);
	g_running--;
	pthread_mutex_unlock(&g_lock);
}

/* ---- the producer thread ------------------------------------------------- */

static int
produce(const void *data, size_t len, void *payload)
{
	struct dl *d = payload;
	int closed;

	pthread_mutex_lock(&d->lock);
	while (!d->closed && d->inflight + evbuffer_get_length(d->pending) >
	                             RH_DOWNLOAD_WINDOW)
		pthread_cond_wait(&d->cond, &d->lock);
	closed = d->closed;
	if (!closed)
		evbuffer_add(d->pending, data, len);
	pthread_mutex_unlock(&d->lock);
	if (closed)
		return RH_EIO; /* the client went away: stop */
	event_active(d->wake, 0, 0);
	return 0;
}

static void *
run(void *arg)
{
	struct dl *d = arg;
	rh_session_ref s = { d->ns, d->cluster, d->session };
	rh_buf node = RH_BUF_INIT;
	int error = 0;

	if (d->node[0]) {
		if ((error = rh_catalog_resolve_node(&node, d->st, &s,
		                                     d->node)) == 0)
			d->o.node_id = node.ptr;
	}
	if (error == 0 && d->at[0]) {
		rh_session_info info;
		int64_t start = RH_TIME_NONE, ns;
		if (d->at[0] == '+' &&
		    rh_session_info_load(&info, d->st, &s) == 0 &&
		    info.start_ms > 0)
			start = info.start_ms * 1000000;
		if ((error = rh_playback_time_parse(&ns, d->at, start)) == 0)
			d->o.at_ms = ns / 1000000;
	}
	if (error == 0 && !d->head)
		error = rh_archive_export(d->st, &s, &d->o, produce, d);
	else if (error == 0) {
		/* HEAD: is it there? */
		rh_session_info info;
		error = rh_session_info_load(&info, d->st, &s);
	}
	pthread_mutex_lock(&d->lock);
	d->error = error;
	if (error < 0)
		snprintf(d->errmsg, sizeof(d->errmsg), "%s", rh_error_last());
	d->finished = 1;
	rh_buf_dispose(&node);
	/* Under the lock: once it is released the loop may free d. */
	event_active(d->wake, 0, 0);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- the event loop -------------------------------------------------------- */

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct dl *d = arg;

	(void)conn;
	pthread_mutex_lock(&d->lock);
	d->closed = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	event_active(d->wake, 0, 0);
}

/* Everything handed to evhttp has been written to the socket. */
static void
on_sent(struct evhttp_connection *conn, void *arg)
{
	struct dl *d = arg;

	(void)conn;
	pthread_mutex_lock(&d->lock);
	d->inflight = 0;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void
headers(struct dl *d)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(d->req);
	char cd[700];
	static const char *const types[] = { "application/zstd",
		                             "application/gzip",
		                             "application/zip" };

	evhttp_add_header(h, "Content-Type", types[d->o.format]);
	snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", d->filename);
	evhttp_add_header(h, "Content-Disposition", cd);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct dl *d = arg;
	struct evbuffer *out = NULL;
	int finished, closed, error;
	char msg[600];

	(void)fd, (void)what;
	pthread_mutex_lock(&d->lock);
	finished = d->finished;
	closed = d->closed;
	error = d->error;
	snprintf(msg, sizeof(msg), "%s", d->errmsg);
	if (!closed && evbuffer_get_length(d->pending)) {
		out = evbuffer_new();
		if (out) {
			d->inflight += evbuffer_get_length(d->pending);
			evbuffer_add_buffer(out, d->pending);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (closed) {
		/* The request is gone with its connection; free once the
		 * producer has stopped. */
		if (out)
			evbuffer_free(out);
		if (finished)
			dl_free(d);
		return;
	}
	if (!d->started && (out || (finished && error == 0))) {
		headers(d);
		if (d->head) {
			evhttp_send_reply(d->req, 200, "OK", NULL);
			d->started = 2;
		} else {
			evhttp_send_reply_start(d->req, 200, "OK");
			d->started = 1;
		}
	}
	if (out) {
		if (d->started == 1)
			evhttp_send_reply_chunk_with_cb(d->req, out, on_sent,
			                                d);
		evbuffer_free(out);
	}
	if (!finished)
		return;
	if (!d->started) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(d->req);
		struct evbuffer *b = evbuffer_new();
		int status = error == RH_ENOTFOUND ? 404 :
		             error == RH_EINVAL    ? 400 :
		                                     500;
		evhttp_add_header(h, "Content-Type",
		                  "text/plain; charset=utf-8");
		if (b)
			evbuffer_add_printf(b, "%s\n", msg);
		evhttp_send_reply(d->req, status, NULL, b);
		if (b)
			evbuffer_free(b);
	} else if (d->started == 1) {
		/* A failure half way leaves a truncated archive, which every
		 * reader of tar.zst, tar.gz and zip rejects. */
		if (error < 0 && !d->quiet)
			fprintf(stderr, "%s: download %s: %s\n", rh_cli_prog,
			        d->filename, msg);
		evhttp_send_reply_end(d->req);
	}
	evhttp_connection_set_closecb(d->conn, NULL, NULL);
	dl_free(d);
}

/* ---- the request ----------------------------------------------------------- */

static int
segment(char *out, size_t cap, const char **p)
{
	const char *s = *p, *e = strchr(s, '/');
	size_t n = e ? (size_t)(e - s) : strlen(s);

	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = e ? e + 1 : s + n;
	return 0;
}

static void
reply_error(struct evhttp_request *req, int status, const char *msg)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "text/plain; charset=utf-8");
	if (b)
		evbuffer_add_printf(b, "%s\n", msg);
	evhttp_send_reply(req, status, NULL, b);
	if (b)
		evbuffer_free(b);
}

/* Whether `path` is a download: /c/NS/CLUSTER/SESSION/rayhist/download. */
static int
is_download(const char *path, enum evhttp_cmd_type cmd)
{
	static const char tail[] = "/rayhist/download";
	size_t n;

	if (!path || strncmp(path, "/c/", 3) ||
	    (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD))
		return 0;
	n = strlen(path);
	return !(n < sizeof(tail) ||
	         strcmp(path + n - (sizeof(tail) - 1), tail));
}

/* The format and node of the query string; NULL or the 400 message. */
static const char *
dl_query(struct dl *d, const struct evhttp_uri *uri)
{
	struct evkeyvalq params;
	const char *q = evhttp_uri_get_query(uri), *fmt, *node, *bad = NULL;

	TAILQ_INIT(&params);
	if (q && evhttp_parse_query_str(q, &params) < 0)
		return "download: bad query string";
	fmt = evhttp_find_header(&params, "format");
	node = evhttp_find_header(&params, "node");
	if (fmt && rh_export_format_parse(&d->o.format, fmt) < 0)
		bad = "download: format is tar.zst, tar.gz or zip";
	else if (node && (strlen(node) >= sizeof(d->node) || !*node ||
	                  strspn(node, "0123456789abcdef") != strlen(node)))
		bad = "download: node is a node id (hex) or a prefix of one";
	else if (node)
		snprintf(d->node, sizeof(d->node), "%s", node);
	evhttp_clear_headers(&params);
	return bad;
}

/* What the download URL asks for, into d; NULL or the 400 message. */
static const char *
dl_parse(struct dl *d, const struct evhttp_uri *uri, const char *path)
{
	const char *p = path + 3;
	char *at;

	d->o = (rh_export_options)RH_EXPORT_OPTIONS_INIT;
	d->o.format = RH_EXPORT_ZIP;
	if (segment(d->ns, sizeof(d->ns), &p) < 0 ||
	    segment(d->cluster, sizeof(d->cluster), &p) < 0 ||
	    segment(d->session, sizeof(d->session), &p) < 0 ||
	    strcmp(p, "rayhist/download"))
		return "download: expected /c/NS/CLUSTER/SESSION/rayhist/download";
	if ((at = strchr(d->session, '@'))) {
		*at++ = '\0';
		snprintf(d->at, sizeof(d->at), "%s", at);
	}
	if (rh_layout_check_name("namespace", d->ns) < 0 ||
	    rh_layout_check_name("cluster", d->cluster) < 0 ||
	    rh_layout_check_name("session", d->session) < 0)
		return rh_error_last();
	return dl_query(d, uri);
}

/* The attachment's name: SESSION[-NODE][-at-INSTANT].EXT, quote-safe. */
static void
dl_filename(struct dl *d)
{
	static const char *const ext[] = { "tar.zst", "tar.gz", "zip" };

	snprintf(d->filename, sizeof(d->filename), "%s%s%.8s%s%s.%s",
	         d->session, d->node[0] ? "-" : "", d->node,
	         d->at[0] ? "-at-" : "", d->at[0] ? d->at : "",
	         ext[d->o.format]);
	for (char *c = d->filename; *c; c++)
		if (*c == '"' || *c == '\\' || *c == ':' || *c == '/')
			*c = '_';
}

int
rh_serve_download(struct evhttp_request *req, struct event_base *base,
                  rh_store *st, int quiet)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL, *bad;
	struct dl *d;
	pthread_t th;

	if (!is_download(path, cmd))
		return 0;
	if (!(d = calloc(1, sizeof(*d)))) {
		reply_error(req, 503, "out of memory");
		return 1;
	}
	if ((bad = dl_parse(d, uri, path))) {
		free(d);
		reply_error(req, 400, bad);
		return 1;
	}
	dl_filename(d);
	pthread_mutex_lock(&g_lock);
	if (g_running >= RH_DOWNLOAD_MAX) {
		pthread_mutex_unlock(&g_lock);
		free(d);
		reply_error(req, 503,
		            "download: too many downloads running; try again");
		return 1;
	}
	g_running++;
	pthread_mutex_unlock(&g_lock);
	d->req = req;
	d->st = st;
	d->quiet = quiet;
	d->head = cmd == EVHTTP_REQ_HEAD;
	d->conn = evhttp_request_get_connection(req);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (!(d->pending = evbuffer_new()) ||
	    !(d->wake = event_new(base, -1, 0, on_wake, d))) {
		dl_free(d);
		reply_error(req, 503, "out of memory");
		return 1;
	}
	evhttp_connection_set_closecb(d->conn, on_close, d);
	if (pthread_create(&th, NULL, run, d) != 0) {
		evhttp_connection_set_closecb(d->conn, NULL, NULL);
		dl_free(d);
		reply_error(req, 503, "download: cannot start a thread");
		return 1;
	}
	pthread_detach(th);
	return 1;
}
