/* serve_conn.c - rayhist-serve's connections (serve_conn.h).
 *
 * libevent 2.1's evhttp has no connection cap, no per-request deadline (its
 * timeout restarts with every byte, so one header byte a second keeps a
 * connection for ever) and no hook when a connection closes. It does let
 * the program make each connection's bufferevent (evhttp_set_bevcb): each
 * one is recorded here with an extra reference, so it stays valid after
 * evhttp lets go of it; evhttp clears its callbacks when it does, which a
 * sweep every SWEEP_MS notices, dropping the reference. The same sweep
 * shuts down connections whose request is late (evhttp then sees the end
 * of the stream and closes them itself) and resumes accepting. */
#include "serve_conn.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>

#define SWEEP_MS 100
#define NBUCKETS 1024
#define ACCEPT_PAUSE_MS 1000
#define LOG_EVERY_MS 60000
#define MAX_SINGLE_WRITE (4u << 20)

struct conn {
	struct bufferevent *bev;
	int64_t deadline_ms; /* 0: answering, not on the clock */
	int shut;
	struct conn *hnext; /* bucket chain */
};

struct serve_conns {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *sweep;
	struct conn *buckets[NBUCKETS];
	size_t max;
	int64_t timeout_ms;
	const char *prog;
	int listening;           /* the listener is enabled */
	int64_t paused_until_ms; /* after an accept() error */
	int64_t logged_ms;       /* last accept error logged */
	uint64_t errors_unlogged;
	serve_conn_stats st;
};

/* The listener's callback argument is evhttp's; its error callback finds
 * the tracker here (one server per process). */
static serve_conns *listener_owner;

static size_t
bucket(const struct bufferevent *bev)
{
	uintptr_t p = (uintptr_t)bev;

	return (size_t)((p >> 4) ^ (p >> 14)) % NBUCKETS;
}

static struct conn *
find(serve_conns *cs, const struct bufferevent *bev)
{
	struct conn *c;

	for (c = cs->buckets[bucket(bev)]; c; c = c->hnext)
		if (c->bev == bev)
			return c;
	return NULL;
}

static void
listen_on(serve_conns *cs, int on)
{
	if (on == cs->listening)
		return;
	if (on)
		evconnlistener_enable(cs->lev);
	else
		evconnlistener_disable(cs->lev);
	cs->listening = on;
}

/* evhttp's bevcb: a connection was accepted. */
static struct bufferevent *
make_bev(struct event_base *base, void *arg)
{
	serve_conns *cs = arg;
	struct bufferevent *bev;
	struct conn *c;
	size_t b;

	/* Without BEV_OPT_CLOSE_ON_FREE: evhttp closes the socket itself when
	 * it frees the connection, so the reference kept here holds no fd. */
	if (!(bev = bufferevent_socket_new(base, -1, 0)))
		return NULL;
	/* libevent writes at most 16 KiB per call by default: a 150 KB answer
	 * took ten trips through the loop and ten writev()s. Let the kernel
	 * take what its socket buffer holds. */
	bufferevent_set_max_single_write(bev, MAX_SINGLE_WRITE);
	if (!(c = calloc(1, sizeof(*c))))
		return bev; /* served, just not tracked */
	bufferevent_incref(bev);
	c->bev = bev;
	c->deadline_ms = rh_cli_mono_ms() + cs->timeout_ms;
	b = bucket(bev);
	c->hnext = cs->buckets[b];
	cs->buckets[b] = c;
	cs->st.open++;
	cs->st.accepted++;
	if (cs->st.open >= cs->max) {
		cs->st.full_pauses++;
		listen_on(cs, 0);
	}
	return bev;
}

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	serve_conns *cs = arg;
	int64_t now = rh_cli_mono_ms();
	size_t i;

	(void)fd, (void)what;
	for (i = 0; i < NBUCKETS; i++) {
		struct conn **pp = &cs->buckets[i], *c;

		while ((c = *pp)) {
			bufferevent_event_cb eventcb = NULL;

			bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
			if (!eventcb) { /* evhttp freed the connection */
				*pp = c->hnext;
				bufferevent_decref(c->bev);
				free(c);
				cs->st.open--;
				continue;
			}
			if (c->deadline_ms && now >= c->deadline_ms &&
			    !c->shut) {
				evutil_socket_t s = bufferevent_getfd(c->bev);

				if (s >= 0)
					shutdown(s, SHUT_RDWR);
				c->shut = 1;
				cs->st.timed_out++;
			}
			pp = &c->hnext;
		}
	}
	if (!cs->listening && cs->st.open < cs->max &&
	    now >= cs->paused_until_ms)
		listen_on(cs, 1);
}

/* accept() failed (libevent's default logs and retries at once: at the fd
 * limit, a busy loop writing the same line). */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	serve_conns *cs = listener_owner;
	int err = EVUTIL_SOCKET_ERROR();
	int64_t now = rh_cli_mono_ms();

	(void)lev, (void)arg;
	cs->st.accept_errors++;
	cs->paused_until_ms = now + ACCEPT_PAUSE_MS;
	listen_on(cs, 0);
	if (cs->logged_ms && now - cs->logged_ms < LOG_EVERY_MS) {
		cs->errors_unlogged++;
		return;
	}
	fprintf(stderr,
	        "%s: accept: %s; not accepting for %d ms (%llu more "
	        "since the last message)\n",
	        cs->prog, strerror(err), ACCEPT_PAUSE_MS,
	        (unsigned long long)cs->errors_unlogged);
	cs->errors_unlogged = 0;
	cs->logged_ms = now;
}

serve_conns *
serve_conns_new(struct event_base *base, struct evhttp *http,
                struct evconnlistener *lev, size_t max, int request_timeout_s,
                const char *prog)
{
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	serve_conns *cs;

	if (!(cs = calloc(1, sizeof(*cs))))
		return NULL;
	cs->base = base;
	cs->lev = lev;
	cs->max = max ? max : 1;
	cs->timeout_ms = (int64_t)request_timeout_s * 1000;
	cs->prog = prog;
	cs->listening = 1;
	if (!(cs->sweep = event_new(base, -1, EV_PERSIST, sweep, cs)) ||
	    event_add(cs->sweep, &tv) < 0) {
		serve_conns_free(cs);
		return NULL;
	}
	evhttp_set_bevcb(http, make_bev, cs);
	listener_owner = cs;
	evconnlistener_set_error_cb(lev, accept_error);
	return cs;
}

static void
on_complete(struct evhttp_request *req, void *arg)
{
	serve_conns *cs = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	/* The answer is out: the next request must arrive in time. */
	if (evcon && (c = find(cs, evhttp_connection_get_bufferevent(evcon))))
		c->deadline_ms = rh_cli_mono_ms() + cs->timeout_ms;
}

void
serve_conns_request_read(serve_conns *cs, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct conn *c;

	if (!cs || !evcon ||
	    !(c = find(cs, evhttp_connection_get_bufferevent(evcon))))
		return;
	c->deadline_ms = 0;
	evhttp_request_set_on_complete_cb(req, on_complete, cs);
}

void
serve_conns_stats(const serve_conns *cs, serve_conn_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (cs)
		*out = cs->st;
}

size_t
serve_conns_default_max(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 65536;
	n = rl.rlim_cur / 4 * 3;
	return n ? (size_t)n : 1;
}

void
serve_conns_free(serve_conns *cs)
{
	size_t i;

	if (!cs)
		return;
	if (listener_owner == cs)
		listener_owner = NULL;
	if (cs->sweep)
		event_free(cs->sweep);
	for (i = 0; i < NBUCKETS; i++) {
		struct conn *c, *next;

		for (c = cs->buckets[i]; c; c = next) {
			next = c->hnext;
			bufferevent_decref(c->bev);
			free(c);
		}
	}
	free(cs);
}
