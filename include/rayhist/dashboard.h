/*
 * rayhist/dashboard.h - the Ray Dashboard's HTTP API for stored sessions.
 *
 * The dashboard layer answers the requests Ray's dashboard web client makes
 * (reference/ray-formats.md §2-3), for any session a store holds, as pure
 * functions from a request to a response: no sockets, and no thread that
 * outlives a call. The cluster picker (/, /clusters) reads sessions not seen
 * lately on up to 7 threads besides the caller's, which it starts and joins
 * before it returns, so that an S3 store's latency is paid in parallel.
 * A program (rayhist-serve) reads the HTTP request, fills an
 * rh_dashboard_request, calls rh_dashboard_handle() and writes the response
 * out.
 *
 * HowTo:
 *   rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
 *   o.dashboard_dir = "/opt/ray-dashboard";   (optional)
 *   o.schedule = run_on_a_worker;             (optional; NULL = inline)
 *   rh_dashboard_new(&d, st, &o);
 *   for each request:
 *     rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
 *     rq.method = "GET";
 *     rq.target = "/c/default/c1/session_x/api/v0/tasks?limit=5";
 *     rh_dashboard_handle(&resp, d, &rq);
 *     ... send resp.status, resp.content_type, resp.headers, resp.body ...
 *     rh_dashboard_response_dispose(&resp);
 *   rh_dashboard_free(d);
 *
 * URLs (request targets as sent by a browser):
 *   /                        the cluster picker, an HTML page (no external
 *                            assets) listing every stored session
 *   /clusters                the same list as JSON
 *   /enter_cluster/NS/CLUSTER/SESSION[?build=NAME]
 *                            sets the cookies cluster_namespace,
 *                            cluster_name and session_name (as KubeRay's
 *                            history server does) and redirects to the
 *                            session's prefix; /enter_cluster/NS/KIND/CLUSTER/
 *                            SESSION (KubeRay's form) works too
 *   /c/NS/CLUSTER/SESSION/   a session's prefix: the dashboard build's
 *                            index.html (or a built-in page when there is no
 *                            build), its static files, and every API path of
 *                            the client relative to it, without cookies
 *   /nodes, /api/..., ...    the API paths at the root, for the session the
 *                            cookies name
 *   /livez, /readz           "ok" (rayhist-serve answers these itself, and
 *                            /readyz and /metrics, before asking here)
 *
 * The session API (paths after the prefix): nodes, nodes/ID,
 * logical/actors, logical/actors/ID, events, timezone, usage_stats_enabled,
 * api/jobs/, api/jobs/ID, api/jobs/ID/logs, api/v0/{tasks,actors,nodes,jobs,
 * workers,placement_groups,cluster_events,objects,runtime_envs},
 * api/v0/{tasks,actors,objects}/summarize, api/v0/tasks/timeline,
 * api/v0/logs, api/v0/logs/file, api/v0/logs/stream, api/cluster_status,
 * api/v0/cluster_metadata, api/grafana_health, api/prometheus_health,
 * api/serve/applications/, api/data/datasets/JOB, api/version,
 * api/authentication_mode. Live-only paths (profiling, tracebacks, job
 * submission) and every method but GET and HEAD answer a JSON error saying
 * the cluster is gone; nothing writes to a session.
 *
 * A session is answered from its index (history.h). Building an index the
 * first time a session is visited is slow, so it is never done inside
 * rh_dashboard_handle() when options.schedule is set: the session then
 * answers 202 with Retry-After ("preparing") while the scheduled work runs,
 * and answers normally once it is done.
 *
 * Untrusted input: the request target is checked before anything is looked
 * up - bad percent escapes, encoded slashes (%2F), NUL and control bytes,
 * "." and ".." segments, over-long targets are 400 with a message; unknown
 * clusters, sessions, node ids and files are 404. No request reaches outside
 * the store's session or the dashboard folder. Bad query values are 400
 * naming the parameter.
 *
 * Thread-safety: one rh_dashboard may serve any number of threads at once
 * (its session cache is locked); a request and a response belong to one
 * thread.
 */
#ifndef RAYHIST_DASHBOARD_H
#define RAYHIST_DASHBOARD_H

#include "common.h"
#include "buf.h"
#include "store.h"
#include "history.h"

RH_BEGIN_DECL

/* ================================================================ URLs */

/** One decoded query parameter. */
typedef struct rh_dashboard_param {
	char *key;
	char *value; /**< "" for a key without '=' */
} rh_dashboard_param;

/** A request target, split and decoded. */
typedef struct rh_dashboard_url {
	char *path;  /**< decoded path, '/'-joined, always starting '/' */
	char **segs; /**< decoded non-empty segments */
	size_t nsegs;
	int trailing_slash;         /**< the path ended in '/' (or was "/") */
	rh_dashboard_param *params; /**< in the order given; keys may repeat */
	size_t nparams;
} rh_dashboard_url;

#define RH_DASHBOARD_URL_INIT             \
	{                                 \
		NULL, NULL, 0, 0, NULL, 0 \
	}

/** Longest request target accepted, in bytes. */
#define RH_DASHBOARD_MAX_TARGET 8192

/**
 * Split a request target ("/a/b%20c?x=1&y") into decoded path segments and
 * query parameters ('+' is a space in the query). Empty segments ("//") are
 * dropped. A target in absolute form ("http://host/path") is accepted and
 * its authority ignored.
 * @param[out] out  release with rh_dashboard_url_dispose(), also on failure
 * @return 0; RH_EINVAL with a message naming the problem for: a target not
 *         starting with '/', longer than RH_DASHBOARD_MAX_TARGET, a bad
 *         percent escape, an encoded '/' or '\\' in a segment, a NUL or
 *         control byte anywhere, a "." or ".." segment, more than 64
 *         segments or 256 parameters; RH_ENOMEM.
 */
RH_EXTERN int rh_dashboard_url_parse(rh_dashboard_url *out, const char *target);

/** The first value of parameter `key`, or NULL. Borrowed from u. */
RH_EXTERN const char *rh_dashboard_url_param(const rh_dashboard_url *u,
                                             const char *key);

/** Release what rh_dashboard_url_parse() allocated; reset to _INIT. */
RH_EXTERN void rh_dashboard_url_dispose(rh_dashboard_url *u);

/* ================================================================ server */

typedef struct rh_dashboard rh_dashboard;

/** Slow work the dashboard asks to run elsewhere; call fn(arg) once. */
typedef void (*rh_dashboard_work_fn)(void *arg);

/** Run fn(arg) later on another thread. @return 0, or < 0 if it cannot be
 * queued (the request then answers 503). */
typedef int (*rh_dashboard_schedule_cb)(rh_dashboard_work_fn fn, void *arg,
                                        void *payload);

typedef struct rh_dashboard_options {
	unsigned version; /**< RH_DASHBOARD_OPTIONS_VERSION */
	/** A Ray dashboard client build (a folder holding index.html), or a
	 * folder of builds named by Ray version; NULL for none. */
	const char *dashboard_dir;
	/** Where slow work (building a session's index) runs; NULL = inside
	 * rh_dashboard_handle(), which then blocks until it is done. */
	rh_dashboard_schedule_cb schedule;
	void *schedule_payload;
	size_t max_sessions; /**< open sessions kept; 0 = 32 */
	/** How often a session's events are checked for news (ms); 0 = 30 s,
	 * negative = never after the first build. A session marked ended, or
	 * whose collector stopped beating, ten times less often. */
	int64_t refresh_ms;
	size_t max_body;     /**< largest body built; 0 = 256 MiB */
	int tz_offset_min;   /**< east of UTC, for /timezone */
	const char *tz_name; /**< for /timezone; NULL = "UTC" */
	/** Memory for finished answers kept for identical requests (see
	 * rh_dashboard_handle_cached()); 0 = 64 MiB, negative = keep none. */
	int64_t cache_bytes;
} rh_dashboard_options;

#define RH_DASHBOARD_OPTIONS_VERSION 1
#define RH_DASHBOARD_OPTIONS_INIT                                           \
	{                                                                   \
		RH_DASHBOARD_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0, 0, \
			NULL, 0                                             \
	}

/**
 * Create a dashboard over a store. The dashboard folder is scanned here for
 * builds.
 * @param[out] out  release with rh_dashboard_free()
 * @param st        borrowed: it must outlive the dashboard
 * @param opts      NULL for defaults; strings are copied
 * @return 0; RH_EINVAL (bad options; a dashboard_dir that is not a folder
 *         holding index.html or builds that do); RH_ENOMEM.
 */
RH_EXTERN int rh_dashboard_new(rh_dashboard **out, rh_store *st,
                               const rh_dashboard_options *opts);

/** The names of the dashboard builds found, in the order offered (newest
 * Ray version first); NULL past the end. Borrowed from d. */
RH_EXTERN const char *rh_dashboard_build_name(const rh_dashboard *d, size_t i);

/** Free a dashboard. NULL is fine. Scheduled work must have run first. */
RH_EXTERN void rh_dashboard_free(rh_dashboard *d);

/** An HTTP request, as far as the dashboard needs it. Strings borrowed. */
typedef struct rh_dashboard_request {
	unsigned version;            /**< RH_DASHBOARD_REQUEST_VERSION */
	const char *method;          /**< "GET", "HEAD", "POST", ... */
	const char *target;          /**< the raw request target */
	const char *accept_encoding; /**< header value or NULL */
	const char *cookie;          /**< Cookie header value or NULL */
	const char *if_none_match;   /**< If-None-Match header or NULL */
	int64_t now_ms;              /**< the time of the request; 0 = clock */
	/** Accept header value or NULL (version 2): /enter_cluster/... answers
	 * a client that asks for text/html with a redirect to the session's
	 * pages, any other with KubeRay's JSON ({"result": "success", "name",
	 * "namespace", "session"}); both set the cookies. */
	const char *accept;
	/** Non-zero (version 3): the caller can send a body piece by piece,
	 * so a large answer (a whole log file or a range of it, the tasks'
	 * timeline) may come back
	 * as rh_dashboard_response.stream instead of a body held whole. */
	int stream_ok;
	/** The namespaces the caller may see (version 4), NULL-terminated;
	 * NULL for all. The picker (/) and /clusters list only these. Other
	 * paths are not checked here: a server that authenticates callers
	 * refuses a session of another namespace before asking. */
	const char *const *namespaces;
} rh_dashboard_request;

#define RH_DASHBOARD_REQUEST_VERSION 4
#define RH_DASHBOARD_REQUEST_INIT                                              \
	{                                                                      \
		RH_DASHBOARD_REQUEST_VERSION, "GET", "/", NULL, NULL, NULL, 0, \
			NULL, 0, NULL                                          \
	}

#define RH_DASHBOARD_MAX_HEADERS 12

/** One response header; `name` is a static string, `value` owned. */
typedef struct rh_dashboard_header {
	const char *name;
	char *value;
} rh_dashboard_header;

/** A body read piece by piece (see rh_dashboard_stream_read()). */
typedef struct rh_dashboard_stream rh_dashboard_stream;

/** A response. Content-Length is the body's size; Content-Type is
 * content_type (a static string). When `stream` is set (only for a request
 * with stream_ok), the body is empty and its bytes come from the stream:
 * Content-Length is rh_dashboard_stream_size() unless that is UINT64_MAX
 * (unknown: send it chunked). */
typedef struct rh_dashboard_response {
	int status;
	const char *content_type;
	rh_dashboard_header headers[RH_DASHBOARD_MAX_HEADERS];
	size_t nheaders;
	rh_buf body;
	rh_dashboard_stream *stream; /**< owned; freed by _dispose() */
} rh_dashboard_response;

#define RH_DASHBOARD_RESPONSE_INIT                                \
	{                                                         \
		0, NULL, { { NULL, NULL } }, 0, RH_BUF_INIT, NULL \
	}

/** Answers of at least this many bytes are streamed (when allowed). */
#define RH_DASHBOARD_STREAM_MIN (256u << 10)

/**
 * Append the stream's next bytes, at most `max` (> 0) and at least one
 * unless it is done, to `out`. A stream holds one open log file and a
 * little state (under 1 KiB plus the file's part list); what it reads is
 * decompressed a frame at a time through the dashboard's frame cache, so
 * the memory one stream costs is bounded by `max` plus one frame, whatever
 * the file's size. A timeline stream holds an index query, the names of the
 * session's nodes and workers, and a reference to the session's index,
 * which stays open until the stream is freed; it costs `max` plus one
 * task's profile events.
 * @param[out] done  set to 1 once every byte has been appended
 * @return 0; RH_EIO, RH_ECORRUPT (the store failed: stop sending, the
 *         answer is cut short), RH_ENOMEM.
 * Thread-safety: reads the store; call it from a worker thread, one call at
 * a time per stream. The dashboard must outlive its streams.
 */
RH_EXTERN int rh_dashboard_stream_read(rh_buf *out, int *done,
                                       rh_dashboard_stream *s, size_t max);

/** The number of bytes the stream will give in all, or UINT64_MAX when it
 * is not known in advance. */
RH_EXTERN uint64_t rh_dashboard_stream_size(const rh_dashboard_stream *s);

/** Free a stream. NULL is fine. */
RH_EXTERN void rh_dashboard_stream_free(rh_dashboard_stream *s);

/**
 * Answer one request. Every outcome, errors included, is a response: 2xx,
 * 3xx, 4xx with a JSON (or, for pages, HTML) message, 5xx when the store
 * fails. The body is gzip-compressed (Content-Encoding) when the request's
 * Accept-Encoding allows it and compressing pays.
 * @param[out] out  filled (replacing what it held); release with
 *                  rh_dashboard_response_dispose()
 * @return 0; RH_ENOMEM (`out` then holds a 500 when it could be built);
 *         RH_EINVAL for a NULL argument.
 * Thread-safety: any number of threads may call this at once on one d.
 */
RH_EXTERN int rh_dashboard_handle(rh_dashboard_response *out, rh_dashboard *d,
                                  const rh_dashboard_request *req);

/**
 * Answer a request only if an identical earlier request's answer was kept,
 * without reading the store or computing anything: cheap enough for an
 * event loop's own thread, so a server can skip handing the request to a
 * worker. rh_dashboard_handle() looks in the same place first, so a caller
 * that gets 0 here simply calls it.
 *
 * Kept are 200 answers of the session API under /c/NS/CLUSTER/SESSION/
 * (not the pages, static files, or answers holding the clock), up to
 * options.cache_bytes, least recently used dropped first. An answer is
 * reused for the same request target, the same gzip acceptance and the
 * same rayhist_build cookie, while the session is answered from the index
 * snapshot it was computed from; for a session that has not ended (its
 * logs may grow) for at most one second. A reused answer carries the
 * header "X-Rayhist-Cache: hit".
 * @param[out] out  on 1, the answer (release with
 *                  rh_dashboard_response_dispose()); on 0, untouched
 * @return 1 (answered), 0 (not kept, or no memory to copy it), RH_EINVAL
 *         for a NULL argument.
 * Thread-safety: as rh_dashboard_handle().
 */
RH_EXTERN int rh_dashboard_handle_cached(rh_dashboard_response *out,
                                         rh_dashboard *d,
                                         const rh_dashboard_request *req);

/** An answer the dashboard kept, shared by reference: the same bytes for
 * every request that reuses it, never changed while a reference is held. */
typedef struct rh_dashboard_kept rh_dashboard_kept;

/**
 * As rh_dashboard_handle_cached(), without copying: a reference to the kept
 * answer itself, whose body and headers a server sends as they are (from
 * its event loop thread, by reference or with sendfile()).
 * @param[out] out  on 1, the answer; release it with
 *                  rh_dashboard_kept_release() once its bytes are sent (or
 *                  the client is gone); on 0, NULL
 * @return 1 (kept), 0 (not kept), RH_EINVAL for a NULL argument.
 * Thread-safety: as rh_dashboard_handle(). Every reference must be released
 * before rh_dashboard_free().
 */
RH_EXTERN int rh_dashboard_kept_get(rh_dashboard_kept **out, rh_dashboard *d,
                                    const rh_dashboard_request *req);

/** The kept answer: status, content type, headers ("X-Rayhist-Cache: hit"
 * among them) and body, exactly what rh_dashboard_handle() would give for
 * the same request. Borrowed from k; read only. */
RH_EXTERN const rh_dashboard_response *rh_dashboard_kept_response(
	const rh_dashboard_kept *k);

/** A read-only file descriptor (sealed against writes) whose bytes from
 * offset 0 are the body, for sendfile(); or -1 when the body is held in
 * memory only (small bodies, or no memfd on this system). Borrowed: valid
 * until k is released; never write, seek or close it. */
RH_EXTERN int rh_dashboard_kept_fd(const rh_dashboard_kept *k);

/** Drop a reference from rh_dashboard_kept_get(). NULL is fine. Any
 * thread. */
RH_EXTERN void rh_dashboard_kept_release(rh_dashboard_kept *k);

/** What a dashboard has done since it was created, for monitoring. */
typedef struct rh_dashboard_stats {
	unsigned version; /**< RH_DASHBOARD_STATS_VERSION */
	uint64_t
		sessions_indexed; /**< index builds and refreshes that worked */
	uint64_t index_failures;  /**< ... and that failed */
	double index_seconds;     /**< time spent in both */
	size_t sessions_open;     /**< sessions held in memory now */
	uint64_t frame_hits;      /**< log frames found decompressed */
	uint64_t frame_misses;    /**< ... and decompressed */
	/** Indexes this dashboard wrote (built or rebuilt); opening an index
	 * another server built, still current, is no build. Version 2. */
	uint64_t index_builds;
	/** Event bytes parsed (decompressed) to build or update indexes. A
	 * live session's index is updated from what is new only, so while the
	 * server runs this grows with what arrives, not with each update.
	 * Version 3. */
	uint64_t index_event_bytes;
} rh_dashboard_stats;

/* Versions 1 and 2 lack the later fields; rh_dashboard_stats_get() fills
 * only what the caller's version has. */
#define RH_DASHBOARD_STATS_VERSION 3
#define RH_DASHBOARD_STATS_INIT                                    \
	{                                                          \
		RH_DASHBOARD_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 \
	}

/** Fill `out` (initialised with RH_DASHBOARD_STATS_INIT). Cheap: counters
 * under the dashboard's lock. @return 0; RH_EINVAL for a NULL argument.
 * Thread-safety: as rh_dashboard_handle(). */
RH_EXTERN int rh_dashboard_stats_get(rh_dashboard_stats *out, rh_dashboard *d);

/** The value of response header `name` (case-insensitive), or NULL. */
RH_EXTERN const char *rh_dashboard_response_header(
	const rh_dashboard_response *r, const char *name);

/** Release a response's memory; reset it to _INIT. NULL is fine. */
RH_EXTERN void rh_dashboard_response_dispose(rh_dashboard_response *r);

/* ---------------------------------------------------------- Ray's rows */

/**
 * Append one row as a Ray state-API JSON object (§3.4): snake_case names,
 * ids hex, times in ms, missing columns null, detail columns only with
 * `detail`. Jobs follow JobDetails, cluster events ClusterEventState.
 * @return 0, RH_ENOMEM.
 */
RH_EXTERN int rh_dashboard_row_json(rh_buf *out, const rh_row *row, int detail);

/** A value: a string, number, boolean, null, or JSON text Ray stored
 * (RH_VALUE_JSON: required_resources, labels, ...). */
typedef int (*rh_dashboard_value_cb)(const char *key, const rh_value *v,
                                     void *payload);
/** An object (is_array 0) or an array begins. */
typedef int (*rh_dashboard_open_cb)(const char *key, int is_array,
                                    void *payload);
/** The innermost object or array ends. */
typedef int (*rh_dashboard_close_cb)(void *payload);

/**
 * What rh_dashboard_row_walk() calls for each field of a row, in the order
 * of rh_dashboard_row_json()'s keys. `key` is the field's name, NULL for an
 * element of an array. A callback returns 0 to go on; anything else stops
 * the walk, which returns it.
 */
typedef struct rh_dashboard_row_visitor {
	unsigned version;            /**< RH_DASHBOARD_ROW_VISITOR_VERSION */
	rh_dashboard_value_cb value; /**< a value */
	rh_dashboard_open_cb open;   /**< an object or array begins */
	rh_dashboard_close_cb close; /**< the innermost one ends */
} rh_dashboard_row_visitor;

#define RH_DASHBOARD_ROW_VISITOR_VERSION 1

/**
 * The fields of a row as rh_dashboard_row_json() writes them, handed to
 * `v` typed instead of as JSON text: the same names, order, nesting and
 * nulls, floats with the text Ray prints for them (RH_VALUE_FLOAT's `s`).
 * The row's own braces are not reported. Values live until the callback
 * returns.
 * @return 0, RH_EINVAL (NULL argument or callback, a version this library
 *         does not know), RH_ENOMEM, or a callback's non-zero return.
 */
RH_EXTERN int rh_dashboard_row_walk(const rh_row *row, int detail,
                                    const rh_dashboard_row_visitor *v,
                                    void *payload);

/**
 * Run a query and append its rows as a JSON array of rh_dashboard_row_json()
 * objects.
 * @param[out] counts  envelope numbers; may be NULL
 * @return as rh_query_open() / rh_query_next() (never RH_ITEROVER).
 */
RH_EXTERN int rh_dashboard_list_json(rh_buf *out, rh_query_counts *counts,
                                     rh_index *ix, rh_entity what,
                                     const rh_query_options *opts);

/**
 * Run a summary (rh_summary_new()) and append the object Ray puts at
 * data.result.result.node_id_to_summary.cluster of
 * /api/v0/{tasks,actors}/summarize (§3.2).
 * @param[out] counts  total and num_filtered; may be NULL
 * @return as rh_summary_new().
 */
RH_EXTERN int rh_dashboard_summary_json(rh_buf *out, rh_query_counts *counts,
                                        rh_index *ix, rh_summary_by by,
                                        const rh_query_options *opts);

/**
 * The members of a summary as rh_dashboard_summary_json() writes them,
 * handed to `v` typed instead of as JSON text (as rh_dashboard_row_walk()
 * hands a row's): the same names, order, nesting and nulls; a lineage
 * node's timestamp as RH_VALUE_FLOAT with Ray's text. The summary's own
 * braces are not reported. Values live until the callback returns.
 * @return 0, RH_EINVAL (NULL argument or callback, a version this library
 *         does not know), RH_ENOMEM, or a callback's non-zero return.
 */
RH_EXTERN int rh_dashboard_summary_walk(const rh_summary *sum,
                                        const rh_dashboard_row_visitor *v,
                                        void *payload);

RH_END_DECL

#endif
