/* serve_metrics.h - rayhist-serve's /metrics (Prometheus text format 0.0.4)
 * and its access log. */
#ifndef RH_SERVE_METRICS_H
#define RH_SERVE_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include <event2/buffer.h>
#include <rayhist/rayhist.h>

#include "serve_conn.h"

typedef struct serve_metrics serve_metrics;

serve_metrics *serve_metrics_new(void);
/* The route class of a request target, for labels: "picker", "clusters",
 * "enter", "page", "static", "api", "logs", "timeline", "health",
 * "metrics", "other". A static string. */
const char *serve_metrics_route(const char *target);
/* An answer was sent (or, streamed, finished): count it. Any thread. */
void serve_metrics_request(serve_metrics *m, const char *target, int status,
                           uint64_t bytes, double seconds);
/* A GET of the session API was answered from the kept answers (hit) or
 * computed (miss). */
void serve_metrics_cache(serve_metrics *m, int hit);
/* A request was answered with the answer of an identical one computed at
 * the same time (serve_coalesce.h), not computed itself. */
void serve_metrics_coalesced(serve_metrics *m);
/* Sessions the retention cleaner deleted (dry runs not counted), and its
 * failed runs. */
void serve_metrics_retention(serve_metrics *m, uint64_t deleted, uint64_t bytes,
                             int failed);
/* Append the exposition to `out`. */
int serve_metrics_render(struct evbuffer *out, serve_metrics *m,
                         rh_dashboard *d, const serve_conn_stats *conns);
void serve_metrics_free(serve_metrics *m);

/* One access log line as JSON on `fp`: time, peer, method, target, route,
 * status, bytes, ms, cache. */
void serve_access_json(FILE *fp, const char *peer, const char *method,
                       const char *target, int status, uint64_t bytes,
                       double ms, int cache_hit);

#endif
