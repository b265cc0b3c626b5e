/*
 * rayhist/events.h - parse every Ray event source into one normalized record.
 *
 * Ray writes events in three shapes (reference/ray-formats.md §4):
 *   - RayEvents as the dashboard aggregator agent POSTs them: a JSON array or
 *     JSON lines, lowerCamelCase or snake_case, ids in base64, RFC 3339
 *     times, int64 values as strings (RH_EVENT_FORMAT_RAYEVENT);
 *   - export-API events, logs/export_events/event_EXPORT_*.log
 *     (RH_EVENT_FORMAT_EXPORT);
 *   - legacy events, logs/events/event_*.log, in the Python and the C++
 *     writer's line shapes (RH_EVENT_FORMAT_LEGACY).
 * Each parser turns a line (or array element) into zero or more rh_event
 * records and hands each to a callback. Every record has ids as lower-case
 * hex, times as int64 nanoseconds since the epoch and enum values as the
 * rh_*_state numbers below, whatever the source.
 *
 * Parsing - HowTo:
 *   rh_event_parse(name, data, len, &opts, cb, payload)   a whole object, or
 *   rh_event_parser_new(&p, name, &opts, cb, payload)
 *   rh_event_parser_feed(p, data, len)                     repeatedly
 *   rh_event_parser_finish(p)                              the last line
 *   rh_event_parser_stats(p) / rh_event_parser_free(p)
 *
 * Untrusted input: unknown event types, unknown fields and lines longer than
 * opts.max_line are skipped and counted (rh_event_stats), never fatal. A line
 * that is not JSON, or whose known fields have the wrong type, is a malformed
 * line: with opts.strict it fails the parse with RH_EINVAL and a message
 * naming the object and the line ("events/event_GCS.log:17: ..."); otherwise
 * it is counted, its message kept in rh_event_stats.first_error, and skipped.
 *
 * Thread-safety: a parser belongs to one thread at a time; rh_event_parse()
 * and the helpers are reentrant.
 */
#ifndef RAYHIST_EVENTS_H
#define RAYHIST_EVENTS_H

#include "common.h"
#include "buf.h"
#include "store.h"
#include "timefmt.h"

RH_BEGIN_DECL

/** An absent time (no timestamp in the event). */
#define RH_TIME_NONE INT64_MIN

/** Where a record came from. */
typedef enum rh_event_format {
	RH_EVENT_FORMAT_AUTO = 0, /**< guess from the first line / name */
	RH_EVENT_FORMAT_RAYEVENT, /**< aggregator RayEvents (JSON array or lines) */
	RH_EVENT_FORMAT_EXPORT, /**< logs/export_events/event_EXPORT_*.log */
	RH_EVENT_FORMAT_LEGACY, /**< logs/events/event_*.log */
} rh_event_format;

/** What a record describes. One source line may yield several records
 * (an export task event carries a definition, a lifecycle update and
 * profile events at once). */
typedef enum rh_event_kind {
	RH_EVENT_NONE = 0,
	RH_EVENT_TASK_DEFINITION, /**< task or actor task definition */
	RH_EVENT_TASK_LIFECYCLE, /**< task state transitions, log info, error */
	RH_EVENT_TASK_PROFILE,   /**< profile events of one task attempt */
	RH_EVENT_ACTOR_DEFINITION,
	RH_EVENT_ACTOR_LIFECYCLE,
	RH_EVENT_DRIVER_JOB_DEFINITION,
	RH_EVENT_DRIVER_JOB_LIFECYCLE,
	RH_EVENT_SUBMISSION_JOB, /**< export submission job status */
	RH_EVENT_NODE_DEFINITION,
	RH_EVENT_NODE_LIFECYCLE,
	RH_EVENT_PLACEMENT_GROUP_DEFINITION,
	RH_EVENT_PLACEMENT_GROUP_LIFECYCLE,
	RH_EVENT_CLUSTER, /**< a legacy event (logs/events/) */
	RH_EVENT_KIND_COUNT
} rh_event_kind;

/** Task states, numbered as Ray 2.51's common.proto numbers TaskStatus
 * (§8). Export events of older Ray releases are mapped to these. */
typedef enum rh_task_state {
	RH_TASK_NIL = 0,
	RH_TASK_PENDING_ARGS_AVAIL = 1,
	RH_TASK_PENDING_NODE_ASSIGNMENT = 2,
	RH_TASK_PENDING_OBJ_STORE_MEM_AVAIL = 3,
	RH_TASK_PENDING_ARGS_FETCH = 4,
	RH_TASK_SUBMITTED_TO_WORKER = 5,
	RH_TASK_PENDING_ACTOR_TASK_ARGS_FETCH = 6,
	RH_TASK_PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY = 7,
	RH_TASK_RUNNING = 8,
	RH_TASK_RUNNING_IN_RAY_GET = 9,
	RH_TASK_RUNNING_IN_RAY_WAIT = 10,
	RH_TASK_FINISHED = 11,
	RH_TASK_FAILED = 12,
	RH_TASK_GETTING_AND_PINNING_ARGS = 13,
	RH_TASK_STATE_COUNT
} rh_task_state;

/** Task types. */
typedef enum rh_task_type {
	RH_TASK_TYPE_UNKNOWN = 0,
	RH_TASK_TYPE_NORMAL_TASK,
	RH_TASK_TYPE_ACTOR_CREATION_TASK,
	RH_TASK_TYPE_ACTOR_TASK,
	RH_TASK_TYPE_DRIVER_TASK,
	RH_TASK_TYPE_COUNT
} rh_task_type;

/** Actor states (= ExportActorData / ActorLifecycleEvent numbers). */
typedef enum rh_actor_state {
	RH_ACTOR_DEPENDENCIES_UNREADY = 0,
	RH_ACTOR_PENDING_CREATION = 1,
	RH_ACTOR_ALIVE = 2,
	RH_ACTOR_RESTARTING = 3,
	RH_ACTOR_DEAD = 4,
	RH_ACTOR_STATE_COUNT
} rh_actor_state;

/** Node states. RayEvent "IDLE_OR_ACTIVE" and "DRAINING" count as ALIVE. */
typedef enum rh_node_state {
	RH_NODE_ALIVE = 0,
	RH_NODE_DEAD = 1,
	RH_NODE_STATE_COUNT
} rh_node_state;

/** Driver job lifecycle states (DriverJobLifecycleEvent). */
typedef enum rh_driver_state {
	RH_DRIVER_UNSPECIFIED = 0,
	RH_DRIVER_CREATED = 1,
	RH_DRIVER_FINISHED = 2,
	RH_DRIVER_STATE_COUNT
} rh_driver_state;

/** Job statuses as the job API shows them (= ExportSubmissionJobEventData). */
typedef enum rh_job_status {
	RH_JOB_PENDING = 0,
	RH_JOB_RUNNING = 1,
	RH_JOB_STOPPED = 2,
	RH_JOB_SUCCEEDED = 3,
	RH_JOB_FAILED = 4,
	RH_JOB_STATUS_COUNT
} rh_job_status;

/** Placement group states. */
typedef enum rh_pg_state {
	RH_PG_PENDING = 0,
	RH_PG_CREATED = 1,
	RH_PG_REMOVED = 2,
	RH_PG_RESCHEDULING = 3,
	RH_PG_STATE_COUNT
} rh_pg_state;

/**
 * One state transition. `state` is an rh_task_state, rh_actor_state,
 * rh_node_state, rh_driver_state, rh_job_status or rh_pg_state according to
 * the record's kind. The other fields are set only by the kinds named.
 * Strings are borrowed, NULL when absent.
 */
typedef struct rh_event_transition {
	int state;
	int64_t time_ns; /**< RH_TIME_NONE if the time was missing */
	/* actor lifecycle */
	const char *node_id;   /**< hex */
	const char *worker_id; /**< hex */
	const char *repr_name;
	int64_t pid;             /**< -1 when absent (also from deathCause) */
	const char *death_cause; /**< JSON object, snake_case keys, or NULL */
	const char *ip;          /**< the death cause's node IP address */
	/* actor death, node death, driver job end */
	const char *reason;  /**< node death reason / driver error_type */
	const char *message; /**< death/error message (newlines restored) */
	int64_t exit_code;   /**< driver job: -1 when absent */
	/* node lifecycle */
	const char *resources; /**< JSON object {"CPU": 2.0, ...}, or NULL */
} rh_event_transition;

/** A task's stdout/stderr files and byte offsets; -1 for an absent offset. */
typedef struct rh_event_log_info {
	const char *stdout_file, *stderr_file;
	int64_t stdout_start, stdout_end, stderr_start, stderr_end;
} rh_event_log_info;

/** One profile event of a task attempt; times in ns. */
typedef struct rh_event_profile {
	const char *event_name;
	int64_t start_ns, end_ns;
	const char *extra_data; /**< the raw extraData string, or NULL */
} rh_event_profile;

/** Task definition / lifecycle / profile fields (kinds RH_EVENT_TASK_*). */
typedef struct rh_event_task {
	const char *task_id; /**< hex; never NULL */
	int32_t attempt;
	const char *job_id;
	/* definition */
	int type; /**< rh_task_type */
	const char *name;
	const char *func_or_class_name; /**< "Class.method" or "function" */
	const char *language;
	const char *parent_task_id;
	const char *actor_id;
	const char *placement_group_id;
	const char *required_resources; /**< JSON object or NULL */
	const char *runtime_env;        /**< serialized runtime env or NULL */
	const char *call_site;
	const char *label_selector; /**< JSON object or NULL */
	/* lifecycle */
	const rh_event_transition *transitions;
	size_t ntransitions;
	const char *node_id;
	const char *worker_id;
	int64_t worker_pid;     /**< -1 when absent */
	int is_debugger_paused; /**< -1 absent, 0, 1 */
	const char *actor_repr_name;
	const char *error_type;    /**< rayErrorInfo.errorType */
	const char *error_message; /**< ANSI colour codes stripped */
	int has_log_info;
	rh_event_log_info log_info;
	/* profile */
	const char *component_type, *component_id, *node_ip_address;
	const rh_event_profile *profile;
	size_t nprofile;
} rh_event_task;

/** Actor fields (RH_EVENT_ACTOR_*). */
typedef struct rh_event_actor {
	const char *actor_id; /**< hex; never NULL */
	const char *job_id;
	const char *name;
	const char *class_name;
	const char *ray_namespace;
	const char *placement_group_id;
	const char *repr_name;
	const char *required_resources; /**< JSON object or NULL */
	const char *runtime_env;
	const char *call_site;
	const char *label_selector;
	int is_detached; /**< -1 absent */
	const rh_event_transition *transitions;
	size_t ntransitions;
} rh_event_actor;

/** Driver or submission job fields (RH_EVENT_DRIVER_JOB_*,
 * RH_EVENT_SUBMISSION_JOB). Times of a submission job are transitions
 * (state = rh_job_status) plus start/end. */
typedef struct rh_event_job {
	const char *job_id; /**< hex; NULL for a submission job */
	const char *submission_id;
	const char *entrypoint;
	const char *driver_node_id;
	const char *driver_ip;
	int64_t driver_pid;      /**< -1 absent */
	const char *metadata;    /**< JSON object or NULL */
	const char *runtime_env; /**< JSON text or NULL */
	const char *message;
	const char *error_type;
	const char *driver_agent_http_address;
	int64_t driver_exit_code; /**< -1 absent */
	int64_t start_ns, end_ns; /**< RH_TIME_NONE when absent */
	int is_dead;              /**< export driver job: -1 absent */
	const rh_event_transition *transitions;
	size_t ntransitions;
} rh_event_job;

/** Node fields (RH_EVENT_NODE_*). */
typedef struct rh_event_node {
	const char *node_id; /**< hex; never NULL */
	const char *node_ip;
	const char *node_name;
	const char *hostname;
	const char *instance_id;
	const char *instance_type_name;
	const char *labels;          /**< JSON object or NULL */
	const char *resources_total; /**< JSON object or NULL */
	int is_head_node;            /**< -1 absent */
	int64_t start_ns, end_ns;    /**< RH_TIME_NONE when absent */
	const rh_event_transition *transitions;
	size_t ntransitions;
} rh_event_node;

/** Placement group fields (RH_EVENT_PLACEMENT_GROUP_*). */
typedef struct rh_event_pg {
	const char *placement_group_id; /**< hex; never NULL */
	const char *name;
	const char *creator_job_id;
	const char *strategy;
	const char *bundles; /**< JSON array of state-API bundles */
	int is_detached;     /**< -1 absent */
	const rh_event_transition *transitions;
	size_t ntransitions;
} rh_event_pg;

/** A legacy cluster event (RH_EVENT_CLUSTER), as /events shows it. */
typedef struct rh_event_cluster {
	const char *event_id;    /**< as written (36 or 18 hex digits) */
	const char *source_type; /**< "GCS", "JOBS", ... */
	const char *host_name;
	int64_t pid; /**< -1 absent */
	const char *severity;
	const char *label;
	const char *message;       /**< literal "\n" and "\r" restored */
	int64_t time_ns;           /**< seconds in the file, as ns */
	const char *custom_fields; /**< JSON object or NULL */
	const char *job_id;        /**< custom_fields.job_id, or NULL */
} rh_event_cluster;

/**
 * A normalized event record. All pointers are borrowed and valid only during
 * the callback that receives the record; copy what you keep. Unknown string
 * fields are NULL.
 */
typedef struct rh_event {
	rh_event_kind kind;
	rh_event_format format;   /**< which parser produced it */
	const char *object;       /**< the name given to the parser */
	uint64_t line;            /**< 1-based line of the source */
	const char *event_id;     /**< hex (RayEvent/export), or NULL */
	int64_t time_ns;          /**< envelope timestamp, or RH_TIME_NONE */
	const char *session_name; /**< RayEvent sessionName, or NULL */
	union {
		rh_event_task task;
		rh_event_actor actor;
		rh_event_job job;
		rh_event_node node;
		rh_event_pg pg;
		rh_event_cluster cluster;
	} u;
} rh_event;

/** Called for each record; return 0 to go on, non-zero to stop parsing
 * (the parse function then returns that value). */
typedef int (*rh_event_cb)(const rh_event *ev, void *payload);

/** Counters of one parse. */
typedef struct rh_event_stats {
	uint64_t lines;   /**< non-blank lines / array elements seen */
	uint64_t records; /**< records handed to the callback */
	uint64_t
		unknown_types; /**< events of a type no parser knows: skipped */
	uint64_t unknown_fields; /**< unknown top-level payload fields */
	uint64_t too_long;       /**< lines over max_line: skipped */
	uint64_t malformed;      /**< malformed lines skipped (not strict) */
	uint64_t bytes;          /**< bytes fed */
	char first_error[256];   /**< message of the first malformed line */
} rh_event_stats;

/** How export events number task states (§8). */
typedef enum rh_task_numbering {
	RH_TASK_NUMBERING_AUTO = 0, /**< from ray_version (new from 2.39 on),
				       else guessed per event */
	RH_TASK_NUMBERING_OLD,      /**< RUNNING = 6 ... FAILED = 10 */
	RH_TASK_NUMBERING_NEW,      /**< RUNNING = 8 ... FAILED = 12 */
} rh_task_numbering;

/** Parse options; NULL means RH_EVENT_PARSE_OPTIONS_INIT. */
typedef struct rh_event_parse_options {
	unsigned version;        /**< RH_EVENT_PARSE_OPTIONS_VERSION */
	rh_event_format format;  /**< AUTO: guess per object */
	size_t max_line;         /**< longest line parsed; default 16 MiB */
	int strict;              /**< fail on the first malformed line */
	const char *ray_version; /**< e.g. "2.51.0"; NULL if unknown */
	rh_task_numbering numbering;
} rh_event_parse_options;

#define RH_EVENT_PARSE_OPTIONS_VERSION 1
#define RH_EVENT_PARSE_OPTIONS_INIT                                   \
	{                                                             \
		RH_EVENT_PARSE_OPTIONS_VERSION, RH_EVENT_FORMAT_AUTO, \
			16u << 20, 0, NULL, RH_TASK_NUMBERING_AUTO    \
	}

typedef struct rh_event_parser rh_event_parser;

/**
 * Start a streaming parse of object `name` (used in messages). With
 * RH_EVENT_FORMAT_AUTO each line's shape decides its parser ("eventType":
 * RayEvent, "event_data": export, else legacy); the name breaks ties, as
 * rh_event_format_guess() says.
 * @param[out] out  the parser; release with rh_event_parser_free()
 * @param name      object name for messages; copied
 * @param opts      NULL for defaults
 * @param cb        receives each record
 * @return 0, RH_EINVAL (bad options), RH_ENOMEM.
 */
RH_EXTERN int rh_event_parser_new(rh_event_parser **out, const char *name,
                                  const rh_event_parse_options *opts,
                                  rh_event_cb cb, void *payload);

/**
 * Feed the next `len` bytes. Complete lines (or array elements) are parsed
 * and their records delivered before this returns; an incomplete tail is
 * kept for the next call.
 * @return 0; the callback's non-zero value; RH_EINVAL for a malformed line
 *         with opts.strict; RH_ENOMEM. After a failure the parser refuses
 *         further input with the same code.
 */
RH_EXTERN int rh_event_parser_feed(rh_event_parser *p, const void *data,
                                   size_t len);

/** Parse what is left (a last line without '\n'). Same returns as _feed(),
 * plus RH_EINVAL with strict when a JSON array is not closed. */
RH_EXTERN int rh_event_parser_finish(rh_event_parser *p);

/** Counters so far. Borrowed from p. */
RH_EXTERN const rh_event_stats *rh_event_parser_stats(const rh_event_parser *p);

/** The parser's last failure message ("" if none). Borrowed. */
RH_EXTERN const char *rh_event_parser_errmsg(const rh_event_parser *p);

/** Free a parser. NULL is fine. */
RH_EXTERN void rh_event_parser_free(rh_event_parser *p);

/**
 * Parse a whole object held in memory: _new, _feed, _finish, _free in one.
 * @param[out] stats  counters; may be NULL
 * @return as rh_event_parser_feed().
 */
RH_EXTERN int rh_event_parse(rh_event_stats *stats, const char *name,
                             const void *data, size_t len,
                             const rh_event_parse_options *opts, rh_event_cb cb,
                             void *payload);

/** The guess rh_event_parser_new() makes from an object name. */
RH_EXTERN rh_event_format rh_event_format_guess(const char *name);

/* ------------------------------------------------------------ enum names */

/** Upper-case names as Ray prints them ("RUNNING", "NORMAL_TASK", ...);
 * "NIL"/"" for out-of-range values. Static strings. */
RH_EXTERN const char *rh_task_state_name(int state);
RH_EXTERN const char *rh_task_type_name(int type);
RH_EXTERN const char *rh_actor_state_name(int state);
RH_EXTERN const char *rh_node_state_name(int state);
RH_EXTERN const char *rh_driver_state_name(int state);
RH_EXTERN const char *rh_job_status_name(int status);
RH_EXTERN const char *rh_pg_state_name(int state);
RH_EXTERN const char *rh_event_kind_name(int kind);

/** Look a name up (case-insensitive). @return the value, or -1. */
RH_EXTERN int rh_task_state_from_name(const char *name);
RH_EXTERN int rh_actor_state_from_name(const char *name);
RH_EXTERN int rh_job_status_from_name(const char *name);

/* ------------------------------------------------------------ ids, times */

/**
 * Normalize a Ray id to lower-case hex as KubeRay does: a string of hex
 * digits is lower-cased; otherwise it is decoded as base64 (standard or
 * URL-safe, padding optional) and hex-encoded. "" stays "".
 * @param[out] out  the hex text is appended (NUL-terminated)
 * @return 0, RH_EINVAL (neither hex nor base64; `out` unchanged), RH_ENOMEM.
 */
RH_EXTERN int rh_id_to_hex(rh_buf *out, const char *id, size_t len);

/** 1 if `s` is `len` hex digits (len > 0), else 0. */
RH_EXTERN int rh_id_is_hex(const char *s, size_t len);

/* ------------------------------------------------------------ ingest */

/**
 * Store a RayEvent batch in a session. `data` is a JSON array or JSON lines,
 * optionally gzip- or zstd-compressed (detected by magic). It must parse
 * (every line or element; unknown event types are fine); then it is stored
 * as a seekable .zst object named
 * "<session_prefix>events/<sha256 of the raw JSON, hex>.json.zst",
 * so ingesting the same bytes twice stores nothing new.
 * @param[out] key_out  the object's key (appended; may be NULL)
 * @param[out] added_out 1 if the object was new, 0 if it existed; may be NULL
 * @param session_prefix a store key prefix ending in '/'
 * @param name  for messages (e.g. the file name)
 * @return 0; RH_EINVAL (not JSON, malformed line - message names the line,
 *         bad compression); RH_EIO; RH_ENOMEM.
 */
RH_EXTERN int rh_events_ingest(rh_buf *key_out, int *added_out, rh_store *st,
                               const char *session_prefix, const char *name,
                               const void *data, size_t len);

/**
 * Announce the event objects this process stored in a session with
 * rh_events_ingest() to readers: puts a new generation mark of the
 * session, "<session_prefix>marks/import-ID@GEN" (layout.h), ID new for
 * each call. A stored index is judged current from the session's marks
 * alone, so objects stored without a later announce are not seen by an
 * index already built (until some writer of the session moves its mark).
 * Call it once, after the last rh_events_ingest() of a run.
 * @return 0, RH_EINVAL (a bad prefix), RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_events_announce(rh_store *st, const char *session_prefix);

RH_END_DECL

#endif
