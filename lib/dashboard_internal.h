/* dashboard_internal.h - the dashboard handle and its session cache
 * (snapshots, nodes, log streams, the picker's facts, kept answers), which
 * the areas (dashboard_routes.h) build on. The request context, the reply
 * helpers and the JSON writer are below it, in dashboard_reply.h and
 * dashboard_json.h. Layers, top down: routers (dashboard.c,
 * dashboard_api.c), areas, built-in page pieces (dashboard_html.h), the
 * session cache, replies, JSON; a file calls and includes only down. */
#ifndef RH_DASHBOARD_INTERNAL_H
#define RH_DASHBOARD_INTERNAL_H

#include "dashboard_reply.h"

#include <pthread.h>
#include <strings.h>
#include <json-c/json.h>

/* ---- dashboard builds and the session cache ------------------------------ */

typedef struct rh_dash_build {
	char *name; /* Ray version, or "default" for a single build */
	char *dir;  /* realpath of the folder holding index.html */
} rh_dash_build;

/* What a node's captured files say of its raylet (dashboard_raylet.c);
 * NULL / 0 / -1: not known. */
typedef struct rh_dash_raylet {
	char *raylet_socket; /* GcsNodeInfo.raylet_socket_name */
	char *store_socket;  /* GcsNodeInfo.object_store_socket_name */
	int metrics_export_port;
	int runtime_env_agent_port;
	int object_manager_port;
	int64_t num_local_objects; /* the last debug_state.txt's */
	uint64_t key; /* rh_dashboard__raylet_key() it was read at */
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
	rh_dash_raylet *raylet; /* from its files; NULL without them */
} rh_dash_node;

/* One opened index of a session with what every request needs. Immutable
 * once published; shared by reference count (under the dashboard's lock). */
typedef struct rh_dash_snap {
	int refs;
	char *ns, *cluster, *session;
	char *prefix; /* store prefix "NS/CLUSTER/SESSION/" */
	rh_index *ix;
	rh_session_info info;
	int has_info;
	char ray_version[64]; /* the session's, else the raylet's log's */
	rh_dash_node *nodes;  /* by node id */
	size_t nnodes;
	uint64_t ntasks, njobs, nactors;
	int64_t built_ms;
	uint64_t gen; /* unique per snapshot: keys cached answers */
	/* What could not be read when it was built (a damaged session.json or
	 * node manifest): NUL-terminated messages back to back. With the
	 * index's own warnings they go to every answer that can carry them. */
	rh_buf warn;
	size_t nwarn;
	/* The session page's timeline (dashboard_chart.c), computed on first
	 * use; set once under the dashboard's lock, with the function that
	 * frees it, so that the session cache below the chart need not know
	 * what a timeline is. */
	struct rh_dash_tl *timeline;
	void (*timeline_free)(struct rh_dash_tl *t);
} rh_dash_snap;

/* Will nothing more be stored for the snapshot's session? Marked ended,
 * or its collector's heartbeat stopped (abandoned) when it was built.
 * Then its events are not looked at again and its answers are kept. */
static inline int
rh_dashboard__snap_final(const rh_dash_snap *s)
{
	return s->has_info &&
	       (s->info.end_ms > 0 || s->info.state == RH_SESSION_ABANDONED);
}

enum { DASH_NEW = 0, DASH_PREPARING, DASH_READY, DASH_FAILED };

/* How long after its last check a session is checked again: every
 * refresh_ms (ten times less often once final), and never sooner than
 * RH_DASH_UPDATE_SPACING times what the last update spent on work that
 * grows with the session. An update of a live session rewrites its whole
 * index (index_live.c), which takes seconds for a million tasks; spacing
 * updates by that cost keeps it under 1/(1 + spacing) of a core, whatever
 * the session's size, at the price of staleness growing with it. Parsing
 * what arrived is not counted: it is proportional to the events. */
#define RH_DASH_UPDATE_SPACING 4
static inline int64_t
rh_dashboard__refresh_every(int64_t refresh_ms, int final, int64_t last_ms)
{
	int64_t every = refresh_ms * (final ? 10 : 1);

	if (last_ms > 0 && last_ms * RH_DASH_UPDATE_SPACING > every)
		every = last_ms * RH_DASH_UPDATE_SPACING;
	return every;
}

typedef struct rh_dash_entry {
	struct rh_dash_entry *next;
	char *ns, *cluster, *session;
	int state;
	int refreshing;   /* PREPARING with an old snap still served */
	int loading;      /* PREPARING: opening a stored index inline */
	int stored_tried; /* ... done once; then build as usual */
	int users;        /* requests holding a pointer to it */
	/* Its stored index failed a checksum when read: the next build
	 * rebuilds it from the events whatever its fingerprint says. */
	int damaged;
	rh_dash_snap *snap;
	char errmsg[512];
	int64_t checked_ms, used_ms, failed_ms, started_ms;
	/* How far the index build under way has come (the "preparing"
	 * answer shows it); zero until its first object is read. */
	rh_progress progress;
	int64_t progress_t0_ms; /* wall clock when the build began */
	/* The live session's history between refreshes (index_live.h): each
	 * refresh reads only the event objects that are new. Used by the one
	 * prepare under way; NULL until the first refresh. */
	struct rh_index__live *live;
	int64_t prep_ms; /* what its last update spent on work that
				      grows with the session (index_live.h) */
} rh_dash_entry;

struct rh_dashboard {
	rh_store *st;
	rh_dashboard_options opts;
	char *dashboard_dir;
	char *tz_name;
	rh_dash_build *builds; /* newest version first */
	size_t nbuilds;
	int single_build; /* dashboard_dir itself holds index.html */
	pthread_mutex_t lock;
	pthread_cond_t loaded; /* an entry's `loading` went to 0 */
	rh_dash_entry *entries;
	size_t nentries;
	/* Decompressed log frames shared by all requests: the client polls
	 * the same tails, which then cost a copy instead of a decompression. */
	rh_frame_cache *frames;
	/* Finished answers (dashboard_cache.c); NULL when turned off. */
	struct rh_dash_cache *cache;
	/* What the picker shows of each session (dashboard_facts.c). */
	struct rh_dash_facts_cache *facts;
	uint64_t snap_gen; /* the last rh_dash_snap.gen given */
	struct {           /* for rh_dashboard_stats(); under lock */
		uint64_t indexed, index_failures, index_ms, builds;
		uint64_t bytes_read; /* event bytes parsed to index */
	} stats;
};

void rh_dashboard__snap_release(rh_dashboard *d, rh_dash_snap *s);
/* Take one more reference to s (a stream that outlives its request). */
void rh_dashboard__snap_hold(rh_dashboard *d, rh_dash_snap *s);
const rh_dash_node *rh_dashboard__node(const rh_dash_snap *s, const char *id);
/* Open a query over every row of `what` in s's index matching the filters
 * f[0..nf) (NULL, 0: all), as of at_ns (RH_TIME_NONE: the end): no paging,
 * no counting; detail for the rows' transitions. */
int rh_dashboard__scan(rh_query **q, const rh_dash_snap *s, rh_entity what,
                       const rh_filter *f, size_t nf, int detail,
                       int64_t at_ns);
/* The first row of `what` matching f, with detail, as of at_ns: 0 and *row,
 * which lives until the caller closes *q; else *q is closed and the result
 * is RH_ITEROVER (no such row) or the query's error. */
int rh_dashboard__find(rh_query **q, const rh_row **row, const rh_dash_snap *s,
                       rh_entity what, const rh_filter *f, int64_t at_ns);
const rh_dash_node *rh_dashboard__node_by_ip(const rh_dash_snap *s,
                                             const char *ip);
/* The head node, or the first node, or NULL. */
const rh_dash_node *rh_dashboard__head(const rh_dash_snap *s);

/* What a step of a request's handling returns when it may answer the
 * request itself; a negative RH_E* is a failure with nothing answered. */
enum rh_dash_step {
	RH_DASH_GO_ON = 0,    /* nothing answered: the caller goes on */
	RH_DASH_ANSWERED = 1, /* c->resp holds the answer (an error page...) */
};

/* Look a session up (404 when it does not exist) and find or add its cache
 * entry. Returns RH_DASH_GO_ON, or RH_DASH_ANSWERED when a response was
 * written. */
int rh_dashboard__session_enter(rh_dash_ctx *c);
/* Get the session's snapshot into c->snap, starting preparation when
 * needed. Returns RH_DASH_GO_ON with c->snap set, or RH_DASH_ANSWERED when
 * a response (202 preparing, 500 failed) was written. */
int rh_dashboard__session_snap(rh_dash_ctx *c);
/* Is snapshot `gen` what session s would answer from at now_ms, with no
 * refresh due? (dashboard_session.c) */
int rh_dashboard__session_serves(rh_dashboard *d, const rh_session_ref *s,
                                 uint64_t gen, int64_t now_ms);
/* The state of the session's preparation for pages: DASH_* */
int rh_dashboard__session_state(rh_dash_ctx *c, char *msg, size_t cap);

/* ---- log streams ----------------------------------------------------------- */

/* A stream of bytes [start, end) of a captured file, after `prefix`, with
 * colour codes dropped when ansi (dashboard_stream.c). */
int rh_dashboard__stream_log(rh_dashboard_stream **out, rh_dashboard *d,
                             const rh_session_ref *s, const char *node_id,
                             const char *path, uint64_t start, uint64_t end,
                             const char *prefix, int ansi);
/* Send the stream's bytes as the JSON {"logs":"..."} (/api/jobs/ID/logs). */
void rh_dashboard__stream_json(rh_dashboard_stream *st);
/* A stream whose bytes come from a producer: read() as
 * rh_dashboard_stream_read() (at most max bytes appended, done at the end);
 * free_fn(arg) when the stream is freed. On failure arg stays the caller's. */
typedef int (*rh_dash_gen_read)(rh_buf *out, int *done, void *arg, size_t max);
typedef void (*rh_dash_gen_free)(void *arg);
int rh_dashboard__stream_gen(rh_dashboard_stream **out, rh_dashboard *d,
                             rh_dash_gen_read read, rh_dash_gen_free free_fn,
                             void *arg);

/* ---- the picker's facts of each session (dashboard_facts.c) ----------------- */

typedef struct rh_dash_facts {
	rh_session_info info;
	int has_info;
	int64_t nodes, jobs, tasks, actors; /* -1: not known (no index yet) */
	int phantom; /* only an index is stored: a name older versions
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
