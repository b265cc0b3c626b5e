/*
 * rayhist/history.h - replay events into entities and keep them as an index.
 *
 * A session's events (rayhist/events.h) are replayed into jobs, tasks (one
 * row per attempt), actors, nodes, workers, placement groups and cluster
 * events with Ray's merge rules: definition and lifecycle events in any
 * order, state transitions deduplicated by (state, time) and sorted, log
 * offsets from separate events merged, error and death information kept.
 * The result is written once as a compact binary index next to the session
 * and answered from there: opening an index reads its header only, and a
 * query reads the pages it needs through the store's ranged reads.
 *
 * Building - HowTo:
 *   rh_history_new(&h, NULL)
 *   rh_history_add(h, ev)              from an rh_event_cb, or
 *   rh_history_add_object(h, name, data, len, NULL)  parse + add
 *   rh_history_finish(h)               derive states, times, workers
 *   rh_history_write(&buf, h) or rh_index_write(st, key, h)
 *   rh_history_free(h)
 * or, for a stored session, rh_index_refresh(&rebuilt, st, prefix, NULL),
 * which lists the session's event objects and rebuilds
 * "<prefix>index/session.idx" only when their fingerprint changed.
 *
 * Querying - HowTo:
 *   rh_index_open(&ix, st, key)
 *   rh_query_open(&q, ix, RH_ENTITY_TASK, &opts)
 *   while (rh_query_next(&row, q) == 0) use row->u.task
 *   rh_query_close(q); rh_index_close(ix)
 * Ray's JSON of the rows (the state API's) is the dashboard's
 * (rayhist/dashboard.h: rh_dashboard_list_json()).
 *
 * Filters follow Ray's state API (reference/ray-formats.md §3.3): AND of all
 * filters; only "=" and "!="; string values compare case-insensitively;
 * numbers and booleans are converted; a row whose column is null matches
 * neither "=" nor "!="; an unknown column is RH_EINVAL naming it.
 *
 * Rows come in a fixed order per entity: tasks by (creation time, task id,
 * attempt), tasks without a time last; jobs submission jobs first, then
 * driver jobs, each by id; cluster events by (time, event id); the others by
 * id. The same events in any order, duplicates included, give a
 * byte-identical index.
 *
 * States follow Ray's state API: a task's state is the last of its states in
 * TaskStatus order (protobuf_to_task_state_dict), its JSON "events" list each
 * state once in that order; the typed row's transitions are every (state,
 * time) in time order, for rh_state_at(). Actors, nodes, jobs and placement
 * groups take the state of their latest transition. A driver job is FAILED
 * when it ended with an error type or a non-zero exit code, SUCCEEDED when it
 * ended otherwise, else RUNNING.
 *
 * Untrusted input: an index is checked before it is used - magic, format
 * version, sizes and offsets of every section, and a CRC-32C of every page
 * when the page is read. A truncated or corrupt index (or one of another
 * format version) fails with RH_ECORRUPT, never a crash or wrong rows.
 *
 * Thread-safety: an rh_history and an rh_query belong to one thread at a
 * time. One rh_index may serve any number of threads at once (its page cache
 * is locked), each with its own queries.
 */
#ifndef RAYHIST_HISTORY_H
#define RAYHIST_HISTORY_H

#include "common.h"
#include "buf.h"
#include "store.h"
#include "events.h"
#include "catalog.h"

RH_BEGIN_DECL

/** The index format version written by this library. Older versions are
 * refused by rh_index_open() (RH_ECORRUPT) and rebuilt by rh_index_refresh(). */
#define RH_INDEX_FORMAT_VERSION 1

/** Bytes of an index fingerprint (SHA-256 of the event objects' names and
 * sizes). */
#define RH_FINGERPRINT_SIZE 32

/** Where a session's index lives, relative to the session prefix. */
#define RH_SESSION_INDEX_NAME "index/session.idx"

/** The entity kinds an index holds. */
typedef enum rh_entity {
	RH_ENTITY_TASK = 0, /**< one row per task attempt */
	RH_ENTITY_ACTOR,
	RH_ENTITY_JOB, /**< submission and driver jobs */
	RH_ENTITY_NODE,
	RH_ENTITY_WORKER,
	RH_ENTITY_PLACEMENT_GROUP,
	RH_ENTITY_CLUSTER_EVENT, /**< legacy events (/events, cluster_events) */
	RH_ENTITY_COUNT
} rh_entity;

/** "tasks", "actors", "jobs", "nodes", "workers", "placement_groups",
 * "cluster_events"; NULL when out of range. */
RH_EXTERN const char *rh_entity_name(rh_entity what);

/** The entity of a name above (also singular), or -1. */
RH_EXTERN int rh_entity_from_name(const char *name);

/* ================================================================ build */

typedef struct rh_history rh_history;

typedef struct rh_history_options {
	unsigned version;        /**< RH_HISTORY_OPTIONS_VERSION */
	const char *ray_version; /**< for rh_history_add_object()'s parses when
				      their options name none (copied); NULL
				      if unknown */
} rh_history_options;

#define RH_HISTORY_OPTIONS_VERSION 1
#define RH_HISTORY_OPTIONS_INIT                  \
	{                                        \
		RH_HISTORY_OPTIONS_VERSION, NULL \
	}

/** Create an empty history. opts may be NULL. @return 0, RH_ENOMEM. */
RH_EXTERN int rh_history_new(rh_history **out, const rh_history_options *opts);

/**
 * Merge one record. Strings are copied (interned); the record may be freed
 * afterwards. Usable directly as an rh_event_cb with the history as payload
 * (see rh_history_event_cb()).
 * @return 0, RH_EINVAL (after rh_history_finish()), RH_ENOMEM.
 */
RH_EXTERN int rh_history_add(rh_history *h, const rh_event *ev);

/** An rh_event_cb that calls rh_history_add(payload, ev). */
RH_EXTERN int rh_history_event_cb(const rh_event *ev, void *payload);

/**
 * Parse a whole event object (any format, rh_event_parse()) and merge its
 * records. Counters are added to the history's totals (rh_history_stats()).
 * @return as rh_event_parse().
 */
RH_EXTERN int rh_history_add_object(rh_history *h, const char *name,
                                    const void *data, size_t len,
                                    const rh_event_parse_options *opts);

/** Record the fingerprint written into the index header (zeros if never
 * set). */
RH_EXTERN void rh_history_set_fingerprint(
	rh_history *h, const uint8_t fp[RH_FINGERPRINT_SIZE]);

/**
 * Derive what needs all events: task states and times, actor, job and node
 * states, workers. Afterwards only rh_history_write()/rh_index_write(),
 * rh_history_count() and rh_history_free() are allowed.
 * @return 0, RH_ENOMEM.
 */
RH_EXTERN int rh_history_finish(rh_history *h);

/** Entities of a kind (after finish: as they will be written). */
RH_EXTERN uint64_t rh_history_count(const rh_history *h, rh_entity what);

/** Parse counters summed over rh_history_add_object() calls. Borrowed. */
RH_EXTERN const rh_event_stats *rh_history_stats(const rh_history *h);

/** Serialize a finished history as an index (appended to `out`).
 * @return 0, RH_EINVAL (not finished), RH_ENOMEM. */
RH_EXTERN int rh_history_write(rh_buf *out, rh_history *h);

/** rh_history_write() into store object `key`.
 * @return 0, RH_EINVAL, RH_EIO, RH_ENOMEM. */
RH_EXTERN int rh_index_write(rh_store *st, const char *key, rh_history *h);

/** The history's last failure message ("" if none). Borrowed. */
RH_EXTERN const char *rh_history_errmsg(const rh_history *h);

/** Free a history. NULL is fine. */
RH_EXTERN void rh_history_free(rh_history *h);

/* ================================================================ sessions */

typedef struct rh_index_refresh_options {
	unsigned version;        /**< RH_INDEX_REFRESH_OPTIONS_VERSION */
	int force;               /**< rebuild even if the fingerprint matches */
	const char *ray_version; /**< for export events' task state numbers */
	rh_event_stats *stats;   /**< out: summed parse counters; may be NULL */
	/* version 2: */
	rh_progress_cb progress; /**< called after each event object read
				      while (re)building; may be NULL */
	void *progress_payload;
	/* version 3: */
	unsigned threads; /**< threads parsing event objects while
				      this one replays them in order; 0: one
				      per CPU, 1: none (all on this thread).
				      The index is the same whatever the
				      number. */
} rh_index_refresh_options;

/* Version 1 and 2 callers (without the later fields) are still accepted. */
#define RH_INDEX_REFRESH_OPTIONS_VERSION 3
#define RH_INDEX_REFRESH_OPTIONS_INIT                                          \
	{                                                                      \
		RH_INDEX_REFRESH_OPTIONS_VERSION, 0, NULL, NULL, NULL, NULL, 0 \
	}

/**
 * The fingerprint of a session's event objects: SHA-256 over the sorted
 * names and sizes of "<prefix>events/" batch objects and of the captured
 * export and legacy event files' parts under "<prefix>nodes/", and of what
 * the index takes from the node manifests: the workers' log file names and
 * how much of the first 64 KiB of each logs/raylet.out was captured.
 * @param session_prefix  e.g. "default/c1/session_x/" (ends in '/')
 * @param[out] nobjects_out  how many objects were found; may be NULL
 * @return 0, RH_EINVAL, RH_EIO.
 */
RH_EXTERN int rh_index_session_fingerprint(uint8_t fp[RH_FINGERPRINT_SIZE],
                                           uint64_t *nobjects_out, rh_store *st,
                                           const char *session_prefix);

/**
 * Bring "<prefix>index/session.idx" up to date: if it exists, is readable,
 * of this format version and is current, nothing is done. Current is
 * decided from the session's generation marks ("<prefix>marks/", one per
 * writer; rayhist-store(5)) in one listing, whatever the number of event
 * objects, and not at all for an index built after the session's end
 * mark; a session some of whose writers keep no mark (older versions) is
 * checked by its fingerprint (rh_index_session_fingerprint()). Otherwise all the session's event objects are read (RayEvent
 * batches, then each captured event file's parts in offset order), replayed
 * and the index is written. A corrupt or old index is replaced.
 * Malformed lines are skipped and counted (opts->stats). A damaged event
 * object (one that cannot be decompressed) or node manifest is skipped, and
 * the index records a warning naming it (rh_index_warning()): one bad object
 * never takes the rest of the session offline. Nothing is written for a
 * prefix under which nothing but an index is stored.
 * @param[out] rebuilt_out  1 if the index was (re)written; may be NULL
 * @return 0; RH_ENOTFOUND when no session is stored under the prefix;
 *         RH_EINVAL, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_index_refresh(int *rebuilt_out, rh_store *st,
                               const char *session_prefix,
                               const rh_index_refresh_options *opts);

/* ================================================================ read */

typedef struct rh_index rh_index;

typedef struct rh_index_options {
	unsigned version;   /**< RH_INDEX_OPTIONS_VERSION */
	size_t cache_bytes; /**< page cache budget; default 16 MiB */
} rh_index_options;

#define RH_INDEX_OPTIONS_VERSION 1
#define RH_INDEX_OPTIONS_INIT                       \
	{                                           \
		RH_INDEX_OPTIONS_VERSION, 16u << 20 \
	}

/**
 * Open the index stored under `key`. Reads and checks the header and the
 * section directory only; pages are read on demand.
 * @param[out] out  the index; release with rh_index_close()
 * @param opts      NULL for defaults
 * @return 0, RH_ENOTFOUND, RH_ECORRUPT (not an index, another format
 *         version, truncated, damaged), RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_index_open(rh_index **out, rh_store *st, const char *key,
                            const rh_index_options *opts);

/** Open an index held in memory (borrowed: `data` must outlive it). Same
 * returns as rh_index_open(). */
RH_EXTERN int rh_index_open_mem(rh_index **out, const void *data, size_t len,
                                const rh_index_options *opts);

/** rh_index_refresh() then rh_index_open() of the session's index. */
RH_EXTERN int rh_index_open_session(rh_index **out, rh_store *st,
                                    const char *session_prefix,
                                    const rh_index_options *opts);

/**
 * rh_index_refresh() with `ropts`, then the session's index opened with
 * `iopts`: the same as the two calls, but an index found current is the
 * one handed back, not read a second time (over an object store, each
 * read of an index's ends is a round trip).
 * @param[out] out  the index; release with rh_index_close(). NULL on
 *                  failure.
 * @return as rh_index_refresh(), and as rh_index_open() for the opening.
 */
RH_EXTERN int rh_index_refresh_open(rh_index **out, int *rebuilt_out,
                                    rh_store *st, const char *session_prefix,
                                    const rh_index_refresh_options *ropts,
                                    const rh_index_options *iopts);

/** The fingerprint the index was built for. Borrowed from ix. */
RH_EXTERN const uint8_t *rh_index_fingerprint(const rh_index *ix);

/** The format version in the header (RH_INDEX_FORMAT_VERSION). */
RH_EXTERN unsigned rh_index_format_version(const rh_index *ix);

/** Rows of an entity, before any filter. */
RH_EXTERN uint64_t rh_index_count(const rh_index *ix, rh_entity what);

/**
 * What could not be read when the index was built: each event object or
 * node manifest that was damaged and skipped (the rest of the session is
 * in the index). Readers should show these beside what they serve.
 * @return how many there were; rh_index_warning() gives the first
 *         RH_INDEX_MAX_WARNINGS of them.
 */
RH_EXTERN uint64_t rh_index_warning_count(const rh_index *ix);

/** Warning `i` ("KEY: what is wrong"), borrowed from ix; NULL past the
 * last one kept (at most RH_INDEX_MAX_WARNINGS). */
RH_EXTERN const char *rh_index_warning(const rh_index *ix, size_t i);

/** Warnings kept with their messages in an index; the rest are counted. */
#define RH_INDEX_MAX_WARNINGS 100

/** Close an index. NULL is fine. All its queries must be closed first. */
RH_EXTERN void rh_index_close(rh_index *ix);

/* ---------------------------------------------------------------- rows */

/** One state transition of an entity (state numbering as in events.h). */
typedef struct rh_transition {
	int state;
	int64_t time_ns;
} rh_transition;

/**
 * The state an entity was in at instant `t`: the state of its last
 * transition at or before t, or -1 if none was. Transitions must be sorted
 * (rows from an index are).
 */
RH_EXTERN int rh_state_at(const rh_transition *tr, size_t n, int64_t t);

/* In all rows below, strings are NULL when unknown (null in JSON), ids are
 * lower-case hex, times are ns since the epoch or RH_TIME_NONE, integers -1
 * when unknown, and "JSON" strings hold JSON text. */

typedef struct rh_task_row {
	const char *task_id;
	int32_t attempt_number;
	const char *name;
	int state; /**< rh_task_state (last in enum order);
					     RH_TASK_NIL if none */
	const char *job_id;
	const char *actor_id;
	int type; /**< rh_task_type */
	const char *func_or_class_name;
	const char *parent_task_id;
	const char *node_id;
	const char *worker_id;
	int64_t worker_pid;
	const char *error_type;
	const char *error_message;
	const char *language;
	const char *required_resources; /**< JSON */
	const char *runtime_env_info;   /**< JSON text or NULL */
	const char *placement_group_id;
	const char *call_site;
	const char *label_selector; /**< JSON */
	int is_debugger_paused;     /**< -1, 0, 1 */
	int64_t creation_time_ns;   /**< PENDING_ARGS_AVAIL (latest) */
	int64_t start_time_ns;      /**< RUNNING (latest) */
	int64_t end_time_ns;        /**< FAILED, else FINISHED */
	int has_log_info;
	rh_event_log_info log_info;
	const rh_transition *transitions; /**< sorted by (time, state) */
	size_t ntransitions;
	const char *component_type; /**< profile data, or NULL */
	const char *component_id;
	const char *node_ip_address;
	const rh_event_profile *profile; /**< sorted by (start, end, name) */
	size_t nprofile;
} rh_task_row;

typedef struct rh_actor_row {
	const char *actor_id;
	const char *class_name;
	int state; /**< rh_actor_state; -1 if unknown */
	const char *job_id;
	const char *name;
	const char *node_id; /**< of the latest ALIVE */
	const char *worker_id;
	int64_t pid;
	const char *ip_address; /**< from the death cause */
	const char *ray_namespace;
	const char *serialized_runtime_env;
	const char *required_resources; /**< JSON */
	const char *death_cause;        /**< JSON */
	const char *exit_detail;        /**< death cause's error message */
	int is_detached;
	const char *placement_group_id;
	const char *repr_name;
	const char *call_site;
	const char *label_selector; /**< JSON */
	int64_t num_restarts;       /**< RESTARTING transitions */
	int64_t start_time_ns;      /**< first ALIVE */
	int64_t end_time_ns;        /**< when DEAD last */
	const rh_transition *transitions;
	size_t ntransitions;
} rh_actor_row;

typedef enum rh_job_type {
	RH_JOB_TYPE_SUBMISSION = 0,
	RH_JOB_TYPE_DRIVER = 1,
} rh_job_type;

typedef struct rh_job_row {
	int type;           /**< rh_job_type */
	const char *job_id; /**< NULL for a submission not started */
	const char *submission_id;
	int status; /**< rh_job_status */
	const char *entrypoint;
	const char *message;
	const char *error_type;
	int64_t start_time_ns;
	int64_t end_time_ns;
	const char *metadata;    /**< JSON */
	const char *runtime_env; /**< JSON */
	const char *driver_node_id;
	const char *driver_ip;
	int64_t driver_pid;
	const char *driver_agent_http_address;
	int64_t driver_exit_code;
	const rh_transition
		*transitions; /**< driver lifecycle (rh_driver_state)
					       or submission (rh_job_status) */
	size_t ntransitions;
} rh_job_row;

typedef struct rh_node_row {
	const char *node_id;
	const char *node_ip;
	int is_head_node;
	int state;                 /**< rh_node_state; -1 unknown */
	const char *state_message; /**< from the death info */
	const char *node_name;
	const char *hostname;
	const char *resources_total; /**< JSON */
	const char *labels;          /**< JSON */
	const char *death_reason;
	const char *death_reason_message;
	const char *instance_id;
	const char *instance_type_name;
	int64_t start_time_ns;
	int64_t end_time_ns;
	const rh_transition *transitions;
	size_t ntransitions;
	int64_t raylet_pid;    /**< from logs/raylet.out; 0 unknown */
	int node_manager_port; /**< from logs/raylet.out; 0 unknown */
} rh_node_row;

typedef struct rh_worker_row {
	const char *worker_id;
	int is_alive;
	const char *worker_type; /**< "WORKER" or "DRIVER" */
	const char *exit_type;
	const char *exit_detail;
	const char *node_id;
	const char *ip;
	int64_t pid;
	int64_t start_time_ns; /**< first task or actor start on it */
	int64_t end_time_ns;   /**< when it was seen to end */
} rh_worker_row;

typedef struct rh_pg_row {
	const char *placement_group_id;
	const char *name;
	const char *creator_job_id;
	int state; /**< rh_pg_state; -1 unknown */
	const char *strategy;
	const char *bundles; /**< JSON array */
	int is_detached;
	const rh_transition *transitions;
	size_t ntransitions;
} rh_pg_row;

typedef struct rh_cluster_event_row {
	const char *event_id;
	const char *source_type;
	const char *host_name;
	int64_t pid;
	const char *severity;
	const char *label;
	const char *message;
	int64_t time_ns;
	const char *custom_fields; /**< JSON */
	const char *job_id;        /**< custom_fields.job_id */
} rh_cluster_event_row;

/** A row of any entity. */
typedef struct rh_row {
	rh_entity entity;
	uint64_t rownum; /**< position in the entity's order */
	union {
		rh_task_row task;
		rh_actor_row actor;
		rh_job_row job;
		rh_node_row node;
		rh_worker_row worker;
		rh_pg_row pg;
		rh_cluster_event_row event;
	} u;
} rh_row;

/** The type of an rh_value. */
typedef enum rh_value_type {
	RH_VALUE_NULL = 0, /**< unknown (Ray's null) */
	RH_VALUE_STRING,   /**< in `s` */
	RH_VALUE_INT,      /**< in `i` */
	RH_VALUE_BOOL,     /**< in `i`: 0 or 1 */
	RH_VALUE_FLOAT,    /**< in `d`; `s` holds it as Ray prints it */
	RH_VALUE_JSON,     /**< in `s`: JSON text as Ray stored it */
} rh_value_type;

/** One column of a row, typed. Strings are borrowed from the row. */
typedef struct rh_value {
	rh_value_type type;
	const char *s;
	int64_t i;
	double d;
} rh_value;

/**
 * The name of column `i` (from 0) of an entity's rows, or NULL past the
 * last: the columns rh_row_value() reads, Ray's state-API names. The
 * filterable ones (rh_query_options.filters) come first.
 */
RH_EXTERN const char *rh_entity_column(rh_entity what, size_t i);

/**
 * Column `column` of `row` ("state", "job_id", ...; rh_entity_column()),
 * typed: a string (states and types by their Ray names), an integer or a
 * boolean, or RH_VALUE_NULL when unknown (a negative pid, a tri-state
 * boolean never set), as the state API shows them.
 * @param[out] out  the value; its strings live as long as the row
 * @return 0, RH_ENOTFOUND for a column the entity does not have,
 *         RH_EINVAL for a NULL argument.
 */
RH_EXTERN int rh_row_value(rh_value *out, const rh_row *row,
                           const char *column);

/* ---------------------------------------------------------------- queries */

/** One filter: `key` `op` `value`, op "=" or "!=". */
typedef struct rh_filter {
	const char *key;
	const char *op;
	const char *value;
} rh_filter;

typedef struct rh_query_options {
	unsigned version; /**< RH_QUERY_OPTIONS_VERSION */
	const rh_filter *filters;
	size_t nfilters;
	uint64_t limit;       /**< rows at most; 0 = no limit */
	uint64_t offset;      /**< matching rows skipped first */
	int detail;           /**< JSON: include detail columns */
	int exclude_driver;   /**< tasks: skip DRIVER_TASK rows (Ray's
				       default, 1) */
	int64_t time_from_ns; /**< tasks: alive at or after; RH_TIME_NONE */
	int64_t time_to_ns;   /**< tasks: created at or before; RH_TIME_NONE */
	int count;            /**< compute counts.num_filtered (1) */
	int64_t at_ns;        /**< the instant to show; RH_TIME_NONE (the
				       default) for the final state. See
				       "Playback" above rh_query_open(). */
} rh_query_options;

#define RH_QUERY_OPTIONS_VERSION 1
#define RH_QUERY_OPTIONS_INIT                                                  \
	{                                                                      \
		RH_QUERY_OPTIONS_VERSION, NULL, 0, 100, 0, 0, 1, RH_TIME_NONE, \
			RH_TIME_NONE, 1, RH_TIME_NONE                          \
	}

/**
 * Parse an instant for opts.at_ns: an RFC 3339 time
 * ("2025-11-12T22:15:00Z", rh_time_parse()) or "+SECONDS[.FRACTION]"
 * after `session_start_ns` ("+300"; the rayhist-ls --at and the server's
 * "SESSION@TIME" syntax).
 * @param[out] ns_out  ns since the epoch
 * @param session_start_ns  RH_TIME_NONE if unknown (then "+..." fails)
 * @return 0, RH_EINVAL (malformed, or relative with no start) with a
 *         message naming the text.
 */
RH_EXTERN int rh_playback_time_parse(int64_t *ns_out, const char *s,
                                     int64_t session_start_ns);

/** The numbers of Ray's list envelope (§3.2). */
typedef struct rh_query_counts {
	uint64_t total;        /**< rows of the entity; for tasks, as
				       Ray's GCS counts them: those passing
				       the filters it applies at the source
				       (task_id, job_id, actor_id, name, state,
				       = and !=; exclude_driver) */
	uint64_t num_filtered; /**< rows matching the filters (with
				       opts.count; else UINT64_MAX) */
	uint64_t returned;     /**< rows produced */
} rh_query_counts;

typedef struct rh_query rh_query;

/*
 * Playback: with opts.at_ns = T, a query shows the session as it was at T.
 * An entity appears only if it existed at T: a task if its creation time
 * (PENDING_ARGS_AVAIL; else its first transition) is at or before T, an
 * actor, node or placement group if a transition is, a job if it started or
 * had a transition by T, a worker if it started by T, a cluster event if it
 * happened by T; an entity without any known time never appears at an
 * instant. Its row counts only the transitions at or before T (the typed
 * row's transitions, the JSON "events"), its state is derived from them
 * with the final state's rule (tasks: the last of those states in
 * TaskStatus order; actors, nodes, placement groups, submissions: the
 * latest; a driver job RUNNING until it finished), times after T are unset
 * (an end after T means "still running"), and what only an ended entity
 * carries (error type and message, death cause, exit detail and type) is
 * dropped until it ended. Filters (state=RUNNING), counts and summaries
 * are evaluated on these rows. A row whose transitions all are at or before
 * T (and that ended by T) is the final row, unchanged, so an instant after
 * the session's end gives the final state and one before its start an
 * empty cluster.
 *
 * Cost at T: tasks are in creation order, so the tasks existing at T are a
 * prefix of the rows found by binary search; a page and, without filters
 * other than job_id, name, func_or_class_name, node_id, actor_id,
 * worker_id, type or task_id, its num_filtered cost what they cost
 * without T (page rows are decoded with their transitions). A "state"
 * filter cannot use the final-state posting lists at T: the rows created
 * by T (of the driving list, if any) are scanned, and so are they for
 * num_filtered and for summaries, which read all matching rows at any T.
 * Other entities are scanned as without T.
 */

/**
 * Start a query. Filters are checked here: an unknown column, an operator
 * other than "=" / "!=", or a value that does not convert to the column's
 * type is RH_EINVAL with a message naming it. Filters on indexed columns
 * (tasks: task_id, job_id, state, name, func_or_class_name, node_id,
 * actor_id, worker_id, type; every entity's id) make the cost of a page
 * proportional to the page, not the session.
 * @return 0, RH_EINVAL, RH_ECORRUPT, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_query_open(rh_query **out, rh_index *ix, rh_entity what,
                            const rh_query_options *opts);

/**
 * The next matching row, after opts.offset rows were skipped and until
 * opts.limit were returned. The row and its strings are valid until the
 * next call on q.
 * @return 0, RH_ITEROVER at the end, RH_ECORRUPT, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_query_next(const rh_row **row, rh_query *q);

/** Counts so far; num_filtered is final once opts.count was set (it is
 * computed at rh_query_open()). */
RH_EXTERN void rh_query_counts_get(rh_query_counts *out, const rh_query *q);

/** The query's last failure message ("" if none). Borrowed. */
RH_EXTERN const char *rh_query_errmsg(const rh_query *q);

/** Close a query. NULL is fine. */
RH_EXTERN void rh_query_close(rh_query *q);

/** Summaries for /api/v0/{tasks,actors}/summarize. */
typedef enum rh_summary_by {
	RH_SUMMARY_TASKS_BY_FUNC =
		0, /**< TaskSummaries, summary_by "func_name" */
	RH_SUMMARY_TASKS_BY_LINEAGE, /**< TaskSummaries, summary_by "lineage" */
	RH_SUMMARY_ACTORS_BY_CLASS,  /**< ActorSummaries */
} rh_summary_by;

/**
 * A summary, typed: the groups Ray's TaskSummaries / ActorSummaries build
 * over the rows a query matches (reference/ray-formats.md §3.2), which the
 * dashboard writes as Ray's JSON (rh_dashboard_summary_json()) and
 * rayhist-ls prints as a table.
 *
 * How-to: rh_summary_new(), then rh_summary_totals_get() and, from the top
 * level (rh_summary_top()), each node (rh_summary_node()) and its children;
 * rh_summary_free().
 *
 * Thread-safety: one thread at a time; the summary keeps nothing of the
 * index, which may be closed once rh_summary_new() returned.
 */
typedef struct rh_summary rh_summary;

/** What a node of a summary by lineage stands for. */
typedef enum rh_summary_link {
	RH_SUMMARY_LINK_NONE = 0, /**< a group of same-named siblings, or a
				       group by function or class */
	RH_SUMMARY_LINK_TASK,     /**< the task `link_id` */
	RH_SUMMARY_LINK_ACTOR,    /**< the actor `link_id` */
} rh_summary_link;

/** One node of a summary. Strings live as long as the summary. */
typedef struct rh_summary_node {
	/** By function: func_or_class_name; by class: class_name; by
	 * lineage: the task's, the actor's or the group's name. */
	const char *name;
	/** By function or class: the same as name; by lineage: the task id,
	 * "actor:<actor id>", or a group's name. */
	const char *key;
	/** The task type's name ("NORMAL_TASK"; "" unknown); by lineage also
	 * "ACTOR" or "GROUP"; NULL in a summary of actors. */
	const char *type;
	/** By lineage: the earliest creation time under the node, in ns;
	 * otherwise RH_TIME_NONE. */
	int64_t time_ns;
	rh_summary_link link;
	const char *link_id; /**< the linked task or actor id, or NULL */
	/** Rows per state: rh_task_state (tasks) or rh_actor_state (actors)
	 * indexes [0, nstates). */
	const uint64_t *state_counts;
	size_t nstates;
	/** By lineage: the nodes below, in Ray's order, as indexes for
	 * rh_summary_node(); none past depth RH_SUMMARY_MAX_DEPTH. */
	const size_t *children;
	size_t nchildren;
} rh_summary_node;

/** How deep a summary by lineage goes: a crafted index with long or
 * circular parent chains stops there. */
#define RH_SUMMARY_MAX_DEPTH 256

/** The totals Ray prints beside the groups. */
typedef struct rh_summary_totals {
	uint64_t tasks;           /**< normal tasks (task summaries) */
	uint64_t actor_tasks;     /**< actor tasks (task summaries) */
	uint64_t actor_scheduled; /**< actor creation tasks (task summaries) */
	uint64_t actors;          /**< actors (the summary of actors) */
} rh_summary_totals;

/**
 * Summarize the rows that match opts' filters (limit, offset and detail
 * are ignored), as Ray's summary `by` groups them: by function and by class
 * in the order groups were first seen, by lineage as a tree sorted as Ray
 * sorts it (running, pending and failed counts, then time).
 * @param[out] out     the summary; release with rh_summary_free()
 * @param[out] counts  total and num_filtered of the query; may be NULL
 * @return as rh_query_open() / rh_query_next() (never RH_ITEROVER);
 *         RH_EINVAL for a NULL argument or an unknown `by`.
 */
RH_EXTERN int rh_summary_new(rh_summary **out, rh_query_counts *counts,
                             rh_index *ix, rh_summary_by by,
                             const rh_query_options *opts);

/** What the summary groups by. */
RH_EXTERN rh_summary_by rh_summary_kind(const rh_summary *s);

/** Its totals. */
RH_EXTERN void rh_summary_totals_get(rh_summary_totals *out,
                                     const rh_summary *s);

/** The top level: `*n` indexes for rh_summary_node(), in order. Borrowed. */
RH_EXTERN const size_t *rh_summary_top(const rh_summary *s, size_t *n);

/** Node `i` (an index from rh_summary_top() or a node's children), or NULL
 * past the last. Borrowed. */
RH_EXTERN const rh_summary_node *rh_summary_node_get(const rh_summary *s,
                                                     size_t i);

/** Release a summary. NULL is fine. */
RH_EXTERN void rh_summary_free(rh_summary *s);

/* ------------------------------------------------------- logs of entities */

/** Whose log rh_index_log_locate() looks for. */
typedef enum rh_log_owner {
	RH_LOG_OF_TASK = 0,   /**< a task attempt's worker output */
	RH_LOG_OF_ACTOR,      /**< an actor's worker */
	RH_LOG_OF_SUBMISSION, /**< a job's driver (submission id, or the
				       job id of a submitted job) */
} rh_log_owner;

/** Where an entity's log is: which node, how to find the file there
 * (rh_node_manifest_find_log()) and which bytes of it are the entity's. */
typedef struct rh_log_location {
	rh_buf node_id; /**< "" (empty): the head node */
	rh_log_match match;
	rh_buf key;             /**< what rh_node_manifest_find_log() matches */
	uint64_t start;         /**< the entity's bytes: [start, end) */
	uint64_t end;           /**< UINT64_MAX: to the end of the file */
	int32_t attempt_number; /**< tasks: the attempt found */
} rh_log_location;

#define RH_LOG_LOCATION_INIT                                                   \
	{                                                                      \
		RH_BUF_INIT, RH_LOG_MATCH_PATH, RH_BUF_INIT, 0, UINT64_MAX, -1 \
	}

/**
 * Locate an entity's stdout or stderr, as Ray's "ray logs --task-id /
 * --actor-id / --submission-id" and /api/v0/logs/file do: a task by the
 * log offsets its events recorded (task_log_info), an actor by the worker
 * it ran on (its creation task's worker when it died before it was
 * ALIVE), a submission by its driver log (logs/job-driver-ID.log on the
 * driver's node, else the head node; `suffix` is ignored).
 * @param[out] out  filled; release with rh_log_location_dispose()
 * @param id  hex task or actor id, or a submission id
 * @param attempt  tasks: the attempt number, or -1 for the latest
 * @param suffix  "out" or "err"
 * @param at_ns  the instant (playback), or RH_TIME_NONE
 * @return 0, RH_EINVAL (a malformed id or suffix), RH_ENOTFOUND (no such
 *         entity, or it has no log: the message says why and, for an actor
 *         task, where to look instead), RH_ECORRUPT, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_index_log_locate(rh_log_location *out, rh_index *ix,
                                  rh_log_owner owner, const char *id,
                                  int64_t attempt, const char *suffix,
                                  int64_t at_ns);

/** Release what an rh_log_location holds. NULL is fine. */
RH_EXTERN void rh_log_location_dispose(rh_log_location *loc);

RH_END_DECL

#endif
