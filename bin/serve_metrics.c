/* serve_metrics.c - rayhist-serve's /metrics and JSON access log
 * (serve_metrics.h). Counters sit behind one mutex: they are bumped once
 * per answer, far from the cost of the answer itself. */
#include "serve_metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const routes[] = { "picker", "clusters", "enter", "page",
	                              "static", "api",      "logs",  "timeline",
	                              "health", "metrics",  "other" };
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Latency buckets, seconds: a kept answer takes microseconds, an index
 * build on first visit seconds. */
static const double bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
	                         0.25,  0.5,   1,    2.5,   5,    10 };
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))
#define MAX_CODES 48

struct code_count {
	int status;
	uint64_t n[NROUTES];
};

struct serve_metrics {
	pthread_mutex_t lock;
	struct code_count codes[MAX_CODES];
	size_t ncodes;
	uint64_t hist[NROUTES][NBOUNDS + 1]; /* per bucket, not cumulative */
	double sum[NROUTES];
	uint64_t count[NROUTES];
	uint64_t bytes[NROUTES];
	uint64_t cache_hit, cache_miss;
	uint64_t coalesced;
	uint64_t retention_deleted, retention_bytes, retention_failed_runs;
	double start_s;
};

serve_metrics *
serve_metrics_new(void)
{
	serve_metrics *m = calloc(1, sizeof(*m));
	struct timespec ts;

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	return m;
}

/* The segment of `t` starting at `p` equals `word` (then '/', '?' or end). */
static int
seg_is(const char *p, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(p, word, n) && (!p[n] || p[n] == '/' || p[n] == '?');
}

static size_t
route_index(const char *t)
{
	const char *p;
	int i;

	if (!t || *t != '/')
		return NROUTES - 1;
	t++;
	if (!*t || *t == '?')
		return 0;
	if (seg_is(t, "clusters"))
		return 1;
	if (seg_is(t, "enter_cluster"))
		return 2;
	if (seg_is(t, "livez") || seg_is(t, "readyz") || seg_is(t, "readz"))
		return 8;
	if (seg_is(t, "metrics"))
		return 9;
	p = t;
	if (seg_is(t, "c")) { /* c/NS/CLUSTER/SESSION/rest */
		for (i = 0; i < 4 && p; i++)
			if ((p = strchr(p, '/')))
				p++;
		if (!p || !*p || *p == '?' || seg_is(p, "index.html"))
			return 3;
	}
	if (seg_is(p, "static") || seg_is(p, "favicon.ico") ||
	    seg_is(p, "manifest.json") || seg_is(p, "logo192.png"))
		return 4;
	if (!strncmp(p, "api/v0/tasks/timeline", 21))
		return 7;
	if (!strncmp(p, "api/v0/logs", 11) ||
	    (!strncmp(p, "api/jobs/", 9) && strstr(p, "/logs")))
		return 6;
	if (seg_is(p, "api") || seg_is(p, "nodes") || seg_is(p, "logical") ||
	    seg_is(p, "events") || seg_is(p, "timezone") ||
	    seg_is(p, "usage_stats_enabled") || seg_is(p, "rayhist"))
		return 5;
	return NROUTES - 1;
}

const char *
serve_metrics_route(const char *target)
{
	return routes[route_index(target)];
}

void
serve_metrics_request(serve_metrics *m, const char *target, int status,
                      uint64_t bytes, double seconds)
{
	size_t r = route_index(target), i, b;

	if (!m)
		return;
	for (b = 0; b < NBOUNDS && seconds > bounds[b]; b++)
		;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->ncodes && m->codes[i].status != status; i++)
		;
	if (i == m->ncodes && m->ncodes < MAX_CODES)
		m->codes[m->ncodes++].status = status;
	if (i < m->ncodes) /* past MAX_CODES distinct codes: uncounted */
		m->codes[i].n[r]++;
	m->hist[r][b]++;
	m->sum[r] += seconds;
	m->count[r]++;
	m->bytes[r] += bytes;
	pthread_mutex_unlock(&m->lock);
}

void
serve_metrics_coalesced(serve_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->coalesced++;
	pthread_mutex_unlock(&m->lock);
}

void
serve_metrics_cache(serve_metrics *m, int hit)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	if (hit)
		m->cache_hit++;
	else
		m->cache_miss++;
	pthread_mutex_unlock(&m->lock);
}

void
serve_metrics_retention(serve_metrics *m, uint64_t deleted, uint64_t bytes,
                        int failed)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->retention_deleted += deleted;
	m->retention_bytes += bytes;
	m->retention_failed_runs += failed != 0;
	pthread_mutex_unlock(&m->lock);
}

static void
help(struct evbuffer *o, const char *name, const char *type, const char *text)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, text, name,
	                    type);
}

static void
one(struct evbuffer *o, const char *name, const char *type, const char *text,
    double v)
{
	help(o, name, type, text);
	evbuffer_add_printf(o, "%s %.17g\n", name, v);
}

/* Store calls by backend, verb and outcome, and their retries; only
 * backends used, so a file:// server shows no s3 lines. */
static void
store_render(struct evbuffer *o)
{
	rh_store_stats st = RH_STORE_STATS_INIT;
	int b, v, k, used[RH_STORE_STATS_BACKENDS] = { 0 };

	(void)rh_store_stats_get(&st);
	for (b = 0; b < RH_STORE_STATS_BACKENDS; b++)
		for (v = 0; v < RH_STORE_STATS_VERBS; v++)
			for (k = 0; k < RH_STORE_STATS_OUTCOMES; k++)
				used[b] |= st.requests[b][v][k] != 0;
	help(o, "rayhist_store_requests_total", "counter",
	     "Store calls, by backend, verb and outcome (ok, not_found, error).");
	for (b = 0; b < RH_STORE_STATS_BACKENDS; b++)
		for (v = 0; used[b] && v < RH_STORE_STATS_VERBS; v++)
			for (k = 0; k < RH_STORE_STATS_OUTCOMES; k++)
				evbuffer_add_printf(
					o,
					"rayhist_store_requests_total"
					"{backend=\"%s\",verb=\"%s\",outcome=\"%s\"} %llu\n",
					rh_store_stats_name(0, b),
					rh_store_stats_name(1, v),
					rh_store_stats_name(2, k),
					(unsigned long long)
						st.requests[b][v][k]);
	help(o, "rayhist_store_retries_total", "counter",
	     "Extra HTTP attempts of s3:// and az:// store calls, by backend and verb.");
	for (b = 1; b < RH_STORE_STATS_BACKENDS;
	     b++) /* 0, file, never retries */
		for (v = 0; used[b] && v < RH_STORE_STATS_VERBS; v++)
			evbuffer_add_printf(
				o,
				"rayhist_store_retries_total"
				"{backend=\"%s\",verb=\"%s\"} %llu\n",
				rh_store_stats_name(0, b),
				rh_store_stats_name(1, v),
				(unsigned long long)st.retries[b][v]);
}

/* The request, answer-cache and retention metrics; under m->lock. */
static void
requests_render(struct evbuffer *o, const serve_metrics *m)
{
	size_t r, i, b;

	help(o, "rayhist_http_requests_total", "counter",
	     "HTTP answers sent, by route class and status code.");
	for (i = 0; i < m->ncodes; i++)
		for (r = 0; r < NROUTES; r++)
			if (m->codes[i].n[r])
				evbuffer_add_printf(
					o,
					"rayhist_http_requests_total"
					"{route=\"%s\",code=\"%d\"} %llu\n",
					routes[r], m->codes[i].status,
					(unsigned long long)m->codes[i].n[r]);
	help(o, "rayhist_http_request_duration_seconds", "histogram",
	     "Time from a request read to its answer sent (streamed answers: "
	     "to the last byte), by route class.");
	for (r = 0; r < NROUTES; r++) {
		uint64_t cum = 0;

		if (!m->count[r])
			continue;
		for (b = 0; b < NBOUNDS; b++) {
			cum += m->hist[r][b];
			evbuffer_add_printf(
				o,
				"rayhist_http_request_duration_seconds_bucket"
				"{route=\"%s\",le=\"%g\"} %llu\n",
				routes[r], bounds[b], (unsigned long long)cum);
		}
		evbuffer_add_printf(
			o,
			"rayhist_http_request_duration_seconds_bucket"
			"{route=\"%s\",le=\"+Inf\"} %llu\n",
			routes[r], (unsigned long long)m->count[r]);
		evbuffer_add_printf(o,
		                    "rayhist_http_request_duration_seconds_sum"
		                    "{route=\"%s\"} %.9g\n",
		                    routes[r], m->sum[r]);
		evbuffer_add_printf(
			o,
			"rayhist_http_request_duration_seconds_count"
			"{route=\"%s\"} %llu\n",
			routes[r], (unsigned long long)m->count[r]);
	}
	help(o, "rayhist_http_response_bytes_total", "counter",
	     "Body bytes sent, by route class.");
	for (r = 0; r < NROUTES; r++)
		if (m->count[r])
			evbuffer_add_printf(o,
			                    "rayhist_http_response_bytes_total"
			                    "{route=\"%s\"} %llu\n",
			                    routes[r],
			                    (unsigned long long)m->bytes[r]);
	help(o, "rayhist_answer_cache_requests_total", "counter",
	     "GET requests answered from kept answers (hit) or computed (miss).");
	evbuffer_add_printf(
		o,
		"rayhist_answer_cache_requests_total{result=\"hit\"} %llu\n"
		"rayhist_answer_cache_requests_total{result=\"miss\"} %llu\n",
		(unsigned long long)m->cache_hit,
		(unsigned long long)m->cache_miss);
	one(o, "rayhist_answer_coalesced_total", "counter",
	    "Requests answered with the answer of an identical request computed "
	    "at the same time.",
	    (double)m->coalesced);
	one(o, "rayhist_retention_deleted_sessions_total", "counter",
	    "Sessions deleted by the retention cleaner.",
	    (double)m->retention_deleted);
	one(o, "rayhist_retention_deleted_bytes_total", "counter",
	    "Stored bytes of the sessions the retention cleaner deleted.",
	    (double)m->retention_bytes);
	one(o, "rayhist_retention_failed_runs_total", "counter",
	    "Retention runs that stopped on an error.",
	    (double)m->retention_failed_runs);
	one(o, "process_start_time_seconds", "gauge",
	    "Start time of the process since the epoch, in seconds.",
	    m->start_s);
}

/* The dashboard's session index and log frame cache metrics. */
static void
index_render(struct evbuffer *o, const rh_dashboard_stats *ds)
{
	one(o, "rayhist_sessions_indexed_total", "counter",
	    "Session index builds and refreshes that worked.",
	    (double)ds->sessions_indexed);
	one(o, "rayhist_session_index_builds_total", "counter",
	    "Session indexes this server built and wrote (not those it found current).",
	    (double)ds->index_builds);
	one(o, "rayhist_index_event_bytes_total", "counter",
	    "Event bytes parsed to build or update session indexes (a live "
	    "session's update parses only what is new).",
	    (double)ds->index_event_bytes);
	one(o, "rayhist_session_index_failures_total", "counter",
	    "Session index builds and refreshes that failed.",
	    (double)ds->index_failures);
	one(o, "rayhist_session_index_seconds_total", "counter",
	    "Time spent building and refreshing session indexes.",
	    ds->index_seconds);
	one(o, "rayhist_sessions_open", "gauge", "Sessions held in memory.",
	    (double)ds->sessions_open);
	help(o, "rayhist_log_frame_cache_requests_total", "counter",
	     "Log frames found decompressed (hit) or decompressed (miss).");
	evbuffer_add_printf(
		o,
		"rayhist_log_frame_cache_requests_total{result=\"hit\"} %llu\n"
		"rayhist_log_frame_cache_requests_total{result=\"miss\"} %llu\n",
		(unsigned long long)ds->frame_hits,
		(unsigned long long)ds->frame_misses);
}

/* The connection metrics. */
static void
conns_render(struct evbuffer *o, const serve_conn_stats *cs)
{
	one(o, "rayhist_http_connections_open", "gauge",
	    "Client connections open.", (double)cs->open);
	one(o, "rayhist_http_connections_accepted_total", "counter",
	    "Client connections accepted.", (double)cs->accepted);
	one(o, "rayhist_http_request_timeouts_total", "counter",
	    "Connections closed for not sending a request in time.",
	    (double)cs->timed_out);
	one(o, "rayhist_http_accept_errors_total", "counter",
	    "accept() failures, such as the open-files limit.",
	    (double)cs->accept_errors);
	one(o, "rayhist_http_connection_cap_pauses_total", "counter",
	    "Times the connection cap stopped accepting.",
	    (double)cs->full_pauses);
}

int
serve_metrics_render(struct evbuffer *o, serve_metrics *m, rh_dashboard *d,
                     const serve_conn_stats *cs)
{
	rh_dashboard_stats ds = RH_DASHBOARD_STATS_INIT;

	(void)rh_dashboard_stats_get(&ds, d);
	pthread_mutex_lock(&m->lock);
	requests_render(o, m);
	pthread_mutex_unlock(&m->lock);
	index_render(o, &ds);
	store_render(o);
	conns_render(o, cs);
	return 0;
}

void
serve_metrics_free(serve_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(fp, "\\u%04x", ch); /* bytes, as Latin-1 */
		else
			fputc(ch, fp);
	}
	fputc('"', fp);
}

void
serve_access_json(FILE *fp, const char *peer, const char *method,
                  const char *target, int status, uint64_t bytes, double ms,
                  int cache_hit)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(fp);
	fprintf(fp, "{\"time\":\"%s.%03ldZ\",\"peer\":", when,
	        ts.tv_nsec / 1000000);
	json_str(fp, peer ? peer : "");
	fputs(",\"method\":", fp);
	json_str(fp, method);
	fputs(",\"target\":", fp);
	json_str(fp, target);
	fprintf(fp,
	        ",\"route\":\"%s\",\"status\":%d,\"bytes\":%llu,\"ms\":%.3f,"
	        "\"cache\":%s}\n",
	        serve_metrics_route(target), status, (unsigned long long)bytes,
	        ms, cache_hit ? "true" : "false");
	funlockfile(fp);
}
