/* dashboard_internal.h - what the lib/dashboard*.c files share: the
 * dashboard handle, its session cache, the per-request context, a JSON
 * writer and response helpers. */
#ifndef RH_DASHBOARD_INTERNAL_H
#define RH_DASHBOARD_INTERNAL_H

#include "internal.h"

#include <pthread.h>
#include <strings.h>
#include <json-c/json.h>

/* ---- JSON writer ---------------------------------------------------------
 * Appends JSON text to a buffer, putting the commas in. Failures (only
 * RH_ENOMEM) are sticky in `err`, so a handler writes a whole document and
 * checks once. */
#define RH_JW_MAX_DEPTH 64

typedef struct rh__jw {
	rh_buf *b;
	int err;
	int depth;
	int after_key;
	unsigned char first[RH_JW_MAX_DEPTH];
} rh__jw;

void rh__jw_init(rh__jw *w, rh_buf *b);
void rh__jw_obj(rh__jw *w);
void rh__jw_arr(rh__jw *w);
void rh__jw_end(rh__jw *w);              /* closes the innermost container */
void rh__jw_key(rh__jw *w, const char *k);
void rh__jw_str(rh__jw *w, const char *s);   /* NULL -> null */
void rh__jw_strn(rh__jw *w, const char *s, size_t n);
void rh__jw_int(rh__jw *w, int64_t v);
void rh__jw_num(rh__jw *w, double v);        /* as Python prints a float */
void rh__jw_bool(rh__jw *w, int v);
void rh__jw_null(rh__jw *w);
/* A JSON value given as text (trusted: from the index); NULL -> null. */
void rh__jw_raw(rh__jw *w, const char *json);
/* A json-c value; with `camel`, every object key goes through
 * rh_dashboard__camel() as Ray's to_google_style() does. */
void rh__jw_json(rh__jw *w, json_object *o, int camel);
/* Parse JSON text and write it (camel-cased keys with `camel`); text that
 * does not parse, or NULL, writes `dflt` ("null", "{}", ...). */
void rh__jw_json_text(rh__jw *w, const char *text, int camel, const char *dflt);

static inline void rh__jw_kstr(rh__jw *w, const char *k, const char *v)
{ rh__jw_key(w, k); rh__jw_str(w, v); }
static inline void rh__jw_kint(rh__jw *w, const char *k, int64_t v)
{ rh__jw_key(w, k); rh__jw_int(w, v); }
static inline void rh__jw_kbool(rh__jw *w, const char *k, int v)
{ rh__jw_key(w, k); rh__jw_bool(w, v); }
static inline void rh__jw_knull(rh__jw *w, const char *k)
{ rh__jw_key(w, k); rh__jw_null(w); }

/* Ray's to_camel_case(): "object_store_memory" -> "objectStoreMemory",
 * Python str.title() on every component after the first. */
int rh_dashboard__camel(rh_buf *out, const char *snake);
/* HTML-escape `s` into out. */
int rh_dashboard__html(rh_buf *out, const char *s);
/* Percent-encode one path segment or query value. */
int rh_dashboard__urlenc(rh_buf *out, const char *s);
/* ns since the epoch -> ms (RH_TIME_NONE stays negative: -1). */
int64_t rh_dashboard__ms(int64_t ns);
int64_t rh_dashboard__now_ms(void);

/* ---- dashboard builds and the session cache ------------------------------ */

typedef struct rh_dash_build {
	char *name;   /* Ray version, or "default" for a single build */
	char *dir;    /* realpath of the folder holding index.html */
} rh_dash_build;

/* What a node's captured files say of its raylet (dashboard_raylet.c);
 * NULL / 0 / -1: not known. */
typedef struct rh_dash_raylet {
	char *raylet_socket;        /* GcsNodeInfo.raylet_socket_name */
	char *store_socket;         /* GcsNodeInfo.object_store_socket_name */
	int metrics_export_port;
	int runtime_env_agent_port;
	int object_manager_port;
	int64_t num_local_objects;  /* the last debug_state.txt's */
	uint64_t key;               /* rh_dashboard__raylet_key() it was read at */
} rh_dash_raylet;

/* A hash of what the facts are read from (those files' sizes, times and
 * parts, the skipped sockets, the IP): a snapshot refresh whose node has the
 * same key copies the facts instead of reading the files again. 0 when it
 * could not be computed. */
uint64_t rh_dashboard__raylet_key(const rh_node_manifest *m);
int rh_dashboard__raylet_copy(rh_dash_raylet **out, const rh_dash_raylet *r);

/* Read the facts from node manifest m's files into *out (the caller's, for
 * rh_dashboard__raylet_free()); only RH_ENOMEM fails. */
int rh_dashboard__raylet_load(rh_dash_raylet **out, rh_store *st,
			      const rh_session_ref *s,
			      const rh_node_manifest *m);
void rh_dashboard__raylet_free(rh_dash_raylet *r);

/* A node of a session: from its node events, its captured files, or both. */
typedef struct rh_dash_node {
	char *node_id;
	char *ip;
	char *hostname;
	int is_head;
	int has_events;
	int has_files;
	rh_dash_raylet *raylet;    /* from its files; NULL without them */
} rh_dash_node;

/* One opened index of a session with what every request needs. Immutable
 * once published; shared by reference count (under the dashboard's lock). */
typedef struct rh_dash_snap {
	int refs;
	char *ns, *cluster, *session;
	char *prefix;              /* store prefix "NS/CLUSTER/SESSION/" */
	rh_index *ix;
	rh_session_info info;
	int has_info;
	char ray_version[64];      /* the session's, else the raylet's log's */
	rh_dash_node *nodes;       /* by node id */
	size_t nnodes;
	uint64_t ntasks, njobs, nactors;
	int64_t built_ms;
	uint64_t gen;              /* unique per snapshot: keys cached answers */
	/* What could not be read when it was built (a damaged session.json or
	 * node manifest): NUL-terminated messages back to back. With the
	 * index's own warnings they go to every answer that can carry them. */
	rh_buf warn;
	size_t nwarn;
	/* The session page's timeline (dashboard_picker.c), computed on first
	 * use; set once under the dashboard's lock. */
	struct rh_dash_tl *timeline;
} rh_dash_snap;

void rh_dashboard__tl_free(struct rh_dash_tl *t);

/* Will nothing more be stored for the snapshot's session? Marked ended,
 * or its collector's heartbeat stopped (abandoned) when it was built.
 * Then its events are not looked at again and its answers are kept. */
static inline int
rh_dashboard__snap_final(const rh_dash_snap *s)
{
	return s->has_info && (s->info.end_ms > 0 ||
			       s->info.state == RH_SESSION_ABANDONED);
}

enum { DASH_NEW = 0, DASH_PREPARING, DASH_READY, DASH_FAILED };

typedef struct rh_dash_entry {
	struct rh_dash_entry *next;
	char *ns, *cluster, *session;
	int state;
	int refreshing;            /* PREPARING with an old snap still served */
	int users;                 /* requests holding a pointer to it */
	rh_dash_snap *snap;
	char errmsg[512];
	int64_t checked_ms, used_ms, failed_ms, started_ms;
	/* How far the index build under way has come (the "preparing"
	 * answer shows it); zero until its first object is read. */
	rh_progress progress;
	int64_t progress_t0_ms;    /* wall clock when the build began */
} rh_dash_entry;

struct rh_dashboard {
	rh_store *st;
	rh_dashboard_options opts;
	char *dashboard_dir;
	char *tz_name;
	rh_dash_build *builds;     /* newest version first */
	size_t nbuilds;
	int single_build;          /* dashboard_dir itself holds index.html */
	pthread_mutex_t lock;
	rh_dash_entry *entries;
	size_t nentries;
	/* Decompressed log frames shared by all requests: the client polls
	 * the same tails, which then cost a copy instead of a decompression. */
	rh_frame_cache *frames;
	/* Finished answers (dashboard_cache.c); NULL when turned off. */
	struct rh_dash_cache *cache;
	/* What the picker shows of each session (dashboard_facts.c). */
	struct rh_dash_facts_cache *facts;
	uint64_t snap_gen;         /* the last rh_dash_snap.gen given */
	struct {                   /* for rh_dashboard_stats(); under lock */
		uint64_t indexed, index_failures, index_ms;
	} stats;
};

void rh_dashboard__snap_release(rh_dashboard *d, rh_dash_snap *s);
const rh_dash_node *rh_dashboard__node(const rh_dash_snap *s, const char *id);
const rh_dash_node *rh_dashboard__node_by_ip(const rh_dash_snap *s,
					     const char *ip);
/* The head node, or the first node, or NULL. */
const rh_dash_node *rh_dashboard__head(const rh_dash_snap *s);

/* ---- per-request context -------------------------------------------------- */

typedef struct rh_dash_ctx {
	rh_dashboard *d;
	const rh_dashboard_request *req;
	const rh_dashboard_url *url;
	rh_dashboard_response *resp;
	rh_session_ref sref;       /* the session, when the URL names one */
	rh_dash_entry *entry;      /* its cache entry (borrowed) */
	rh_dash_snap *snap;        /* a reference, released after the handler */
	char **segs;               /* path segments after the session prefix */
	size_t nsegs;
	const char *sub;           /* those segments '/'-joined ("" for none) */
	rh_buf subbuf;
	char *base;                /* URL of the session prefix, "/c/NS/C/S/" */
	int64_t now_ms;
	const char *build;         /* a dashboard build chosen by cookie */
	/* Playback: /c/NS/CLUSTER/SESSION@TIME/ shows the session at TIME. */
	const char *at_text;       /* TIME as given, or NULL */
	int64_t at_ns;             /* its instant; RH_TIME_NONE: final state */
	/* The answer depends only on the request and the snapshot (not on the
	 * clock): it may be kept in the cache. Set by the router for session
	 * API paths; cleared by handlers that write the clock. */
	int cacheable;
} rh_dash_ctx;

/* Look a session up (404 when it does not exist) and find or add its cache
 * entry. Returns 0, or 1 when a response was written. */
int rh_dashboard__session_enter(rh_dash_ctx *c);
/* Get the session's snapshot into c->snap, starting preparation when
 * needed. Returns 0 with c->snap set, or 1 when a response (202 preparing,
 * 500 failed) was written. */
int rh_dashboard__session_snap(rh_dash_ctx *c);
/* Is snapshot `gen` what session s would answer from at now_ms, with no
 * refresh due? (dashboard_session.c) */
int rh_dashboard__session_serves(rh_dashboard *d, const rh_session_ref *s,
				 uint64_t gen, int64_t now_ms);
/* The state of the session's preparation for pages: DASH_* */
int rh_dashboard__session_state(rh_dash_ctx *c, char *msg, size_t cap);

/* ---- responses ------------------------------------------------------------ */

/* A stream of bytes [start, end) of a captured file, after `prefix`, with
 * colour codes dropped when ansi (dashboard_stream.c). */
int rh_dashboard__stream_log(rh_dashboard_stream **out, rh_dashboard *d,
			     const rh_session_ref *s, const char *node_id,
			     const char *path, uint64_t start, uint64_t end,
			     const char *prefix, int ansi);
/* Send the stream's bytes as the JSON {"logs":"..."} (/api/jobs/ID/logs). */
void rh_dashboard__stream_json(rh_dashboard_stream *st);
/* Drop ANSI colour codes from b->ptr[from..] (dashboard_logs.c). */
void rh_dashboard__strip_ansi(rh_buf *b, size_t from);

int rh_dashboard__header(rh_dashboard_response *r, const char *name,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The body is ready: set status and type. */
int rh_dashboard__reply(rh_dash_ctx *c, int status, const char *type);
/* {"result": false, "msg": MESSAGE, "data": {}} with `status`. */
int rh_dashboard__fail(rh_dash_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A failed library call: RH_EINVAL -> 400, RH_ENOTFOUND -> 404, else 500;
 * the message is rh_error_last(). */
int rh_dashboard__fail_code(rh_dash_ctx *c, int error);
/* Start Ray's envelope: {"result": true, "msg": MSG, "data": ... and leave
 * the writer inside "data"'s value position. rh__jw_end() twice... see
 * rh_dashboard__envelope_end(). */
void rh_dashboard__envelope_begin(rh__jw *w, const char *msg);
void rh_dashboard__envelope_end(rh__jw *w);
/* The body as JSON with status 200, or a 500 when the writer failed. */
int rh_dashboard__reply_jw(rh_dash_ctx *c, rh__jw *w);

/* ---- query values (dashboard_query.c) ----------------------------------------------- */

int rh_dashboard__param_int(int64_t *out, const rh_dashboard_url *u,
			    const char *key, int64_t def, int64_t min,
			    int64_t max);
int rh_dashboard__param_bool(int *out, const rh_dashboard_url *u,
			     const char *key, int def);
int rh_dashboard__parse_bool(int *out, const char *key, const char *v);
int rh_dashboard__param_enum(int *out, const rh_dashboard_url *u,
			     const char *key, const char *const *names,
			     int def);
int rh_dashboard__check_id(const char *what, const char *id);
/* The value of cookie `name` in a Cookie header (dashboard.c); 1 when found
 * and it fits in cap. */
int rh_dashboard__cookie_get(char *out, size_t cap, const char *hdr,
			     const char *name);

/* Ray's options_from_req() (dashboard_state.c): limit, timeout, detail,
 * exclude_driver and the filter triples; a bad value is RH_EINVAL naming the
 * parameter. limit 0 is kept in `limit` (q.limit is then 1). */
#define RH_DASH_MAX_FILTERS 32
typedef struct rh_dash_state_opts {
	rh_query_options q;
	rh_filter filters[RH_DASH_MAX_FILTERS];
	int64_t limit;
} rh_dash_state_opts;
int rh_dashboard__state_opts(rh_dash_ctx *c, rh_dash_state_opts *o,
			     int64_t def_limit);

/* ---- areas: each returns 0 (response written) or a negative code --------- */

/* Session API router (dashboard_api.c): 0 when it answered, 1 when the path
 * is not an API path. */
int rh_dashboard__api(rh_dash_ctx *c);
int rh_dashboard__is_api_path(char **segs, size_t nsegs);

int rh_dashboard__nodes(rh_dash_ctx *c);            /* nodes, nodes/ID */
int rh_dashboard__cluster_status(rh_dash_ctx *c);
int rh_dashboard__actors(rh_dash_ctx *c);           /* logical/actors[/ID] */
/* One ActorDetail object; and "id": {...} pairs of matching actors written
 * into an open object (dashboard_actors.c). */
void rh_dashboard__actor_json(rh__jw *w, const rh_dash_snap *s,
			      const rh_actor_row *a);
int rh_dashboard__actor_map(rh__jw *w, const rh_dash_snap *s,
			    const rh_filter *f, size_t nf, int64_t at_ns);
int rh_dashboard__jobs(rh_dash_ctx *c);             /* api/jobs/... */
int rh_dashboard__state_list(rh_dash_ctx *c, rh_entity what);
int rh_dashboard__state_summary(rh_dash_ctx *c, const char *what);
int rh_dashboard__state_empty(rh_dash_ctx *c);
/* The "warnings" member of Ray's state envelope: null, or what of the
 * session could not be read (snapshot and index warnings). */
void rh_dashboard__jw_warnings(rh__jw *w, const rh_dash_snap *s);
/* How many such warnings; rh_dashboard__warning(s, i) gives each ("" past
 * the ones kept; the index keeps RH_INDEX_MAX_WARNINGS). */
uint64_t rh_dashboard__warning_count(const rh_dash_snap *s);
const char *rh_dashboard__warning(const rh_dash_snap *s, uint64_t i);
int rh_dashboard__timeline(rh_dash_ctx *c);
int rh_dashboard__events(rh_dash_ctx *c);
int rh_dashboard__logs_list(rh_dash_ctx *c);
int rh_dashboard__logs_file(rh_dash_ctx *c);
int rh_dashboard__job_logs(rh_dash_ctx *c, const char *job);
/* Whether a log read without `format` gets Ray's old leading "1": only for a
 * client older than Ray 2.33 (`version` "MAJOR.MINOR..."), which sent no
 * format and stripped that byte. Clients 2.33-2.44 always name the format;
 * 2.45 and later name none and take the body as it is, so an unknown or
 * newer version gets plain text. */
int rh_dashboard__log_leading_1_default(const char *version);

/* rayhist/search and rayhist/logline (dashboard_search.c); 1 when the
 * path is neither. */
int rh_dashboard__search_route(rh_dash_ctx *c);

/* Pages (dashboard_picker.c). */
int rh_dashboard__picker(rh_dash_ctx *c, int json);
int rh_dashboard__landing(rh_dash_ctx *c);
int rh_dashboard__preparing_page(rh_dash_ctx *c, const char *msg);
/* rayhist/jobs.txt, rayhist/tasks.txt: plain-text tables; rayhist/session:
 * the session page with its timeline chart; rayhist/at?t=TIME: a redirect
 * to the prefix SESSION@TIME/. */
int rh_dashboard__text(rh_dash_ctx *c);

/* Built-in pages to find a failed task and read its logs
 * (dashboard_pages.c): rayhist/task, rayhist/tasks, rayhist/log,
 * rayhist/files; 1 when `page` is none of them. */
int rh_dashboard__pages(rh_dash_ctx *c, const char *page);
/* A table of tasks (those whose column `key` - state, job_id or actor_id -
 * is `value`, or all with key NULL) from `offset`, with a visible count and
 * previous/next links; `prefix` leads the links ("rayhist/" from the
 * session's page, "" from a page under rayhist/). */
int rh_dashboard__tasks_table(rh_dash_ctx *c, rh_buf *b, const char *key,
			      const char *value, uint64_t offset, uint64_t limit,
			      const char *prefix);
/* The session's jobs with links to their pages (dashboard_pages.c). */
int rh_dashboard__jobs_table(rh_dash_ctx *c, rh_buf *b, const char *prefix);
/* A node's log files (logs/ and every folder below, logs/old/ included),
 * one page from `offset`, with a visible count and links to the viewer. */
int rh_dashboard__files_list(rh_dash_ctx *c, rh_buf *b, const rh_dash_node *n,
			     uint64_t offset, const char *prefix);

/* Dashboard builds and static files (dashboard_static.c). */
int rh_dashboard__builds_scan(rh_dashboard *d);
void rh_dashboard__builds_free(rh_dashboard *d);
/* The build to use for a session: `cookie` when it names one, else the
 * session's Ray version when a build has that name, else the first. NULL
 * when there are no builds. */
const rh_dash_build *rh_dashboard__build_for(const rh_dashboard *d,
					     const char *wanted,
					     const char *ray_version);
/* Serve file `rel` (segments) of a build; 1 when there is no such file. */
int rh_dashboard__static(rh_dash_ctx *c, const rh_dash_build *b, char **segs,
			 size_t nsegs);

/* gzip (dashboard.c) */
int rh_dashboard__gzip(rh_buf *out, const void *data, size_t len, int level);
/* Does an Accept-Encoding header value allow gzip? */
int rh_dashboard__accepts_gzip(const char *accept_encoding);

/* ---- the picker's facts of each session (dashboard_facts.c) ----------------- */

typedef struct rh_dash_facts {
	rh_session_info info;
	int has_info;
	int64_t nodes, jobs, tasks, actors;   /* -1: not known (no index yet) */
	int phantom;   /* only an index is stored: a name older versions
			  indexed when asked for it, never a session */
} rh_dash_facts;

typedef struct rh_dash_facts_cache rh_dash_facts_cache;
int rh_dashboard__facts_new(rh_dash_facts_cache **out);
void rh_dashboard__facts_free(rh_dash_facts_cache *c);
/* The facts of session s as of a recent look (30 s; 10 min for an ended
 * session with an index): never fails, unknowns are -1 / has_info 0. */
void rh_dashboard__facts_get(rh_dash_facts *out, rh_dashboard *d,
			     const rh_session_ref *s, int64_t now_ms);

/* ---- the answer cache (dashboard_cache.c) --------------------------------- */

typedef struct rh_dash_cache rh_dash_cache;
int rh_dashboard__cache_new(rh_dash_cache **out, size_t max_bytes);
void rh_dashboard__cache_free(rh_dash_cache *c);
/* A kept answer for req into out: 1, or 0 when there is none (out is then
 * untouched), or RH_ENOMEM. Never reads the store. */
int rh_dashboard__cache_get(rh_dashboard_response *out, rh_dashboard *d,
			    const rh_dashboard_request *req, int64_t now_ms);
/* Keep r, the answer to req computed under ctx, when it may be kept. */
void rh_dashboard__cache_put(rh_dashboard *d, const rh_dashboard_request *req,
			     const rh_dash_ctx *ctx,
			     const rh_dashboard_response *r);

#endif
