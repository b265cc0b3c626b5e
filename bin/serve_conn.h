/* serve_conn.h - rayhist-serve's connections: how many may be open, how long
 * a request may take to arrive, what happens when accept() fails. */
#ifndef RH_SERVE_CONN_H
#define RH_SERVE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

typedef struct serve_conns serve_conns;

typedef struct serve_conn_stats {
	size_t open;            /* connections open now */
	uint64_t accepted;      /* since start */
	uint64_t timed_out;     /* closed for a request not sent in time */
	uint64_t accept_errors; /* accept() failures (fd limit) */
	uint64_t full_pauses;   /* times the cap stopped accepting */
} serve_conn_stats;

/* Track the connections of `http` (evhttp_set_bevcb) accepted on `lev`:
 * at `max` open, stop accepting (new ones wait in the kernel's backlog)
 * until one closes; a connection must deliver each request whole (headers
 * and body) within `request_timeout_s` of its opening or of the previous
 * answer's end, else it is shut down; on an accept() error (EMFILE at the
 * fd limit) stop accepting for a second, logging once a minute at most,
 * instead of retrying at once. Returns NULL when out of memory. */
serve_conns *serve_conns_new(struct event_base *base, struct evhttp *http,
                             struct evconnlistener *lev, size_t max,
                             int request_timeout_s, const char *prog);
/* A request was read whole (from the request callback): its connection is
 * answering, no longer on the clock until the answer has been sent. */
void serve_conns_request_read(serve_conns *cs, struct evhttp_request *req);
void serve_conns_stats(const serve_conns *cs, serve_conn_stats *out);
/* The default cap: three quarters of RLIMIT_NOFILE's soft limit (the rest
 * for the store's files, logs and the listener), at least 1. */
size_t serve_conns_default_max(void);
/* After evhttp_free(): release what is left. NULL is fine. */
void serve_conns_free(serve_conns *cs);

#endif
