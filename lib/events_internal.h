/* events_internal.h - what the event parsers (events*.c) share: the parser
 * handle, a per-line arena, and tolerant JSON getters over json-c. */
#ifndef RH_EVENTS_INTERNAL_H
#define RH_EVENTS_INTERNAL_H

#include <sys/types.h>
#include "json.h"
#include "json_write.h"

#include "rayhist/events.h"

/* ---------------------------------------------------------------- arena */

/* A bump allocator whose memory lives until rh_events__arena_reset(): the
 * strings of one line's records (hex ids, JSON text) are made here, so a
 * record costs no malloc once the arena has grown to its working size. */
typedef struct rh_arena_chunk {
	struct rh_arena_chunk *next;
	size_t size, used;
	char data[];
} rh_arena_chunk;

typedef struct rh_arena {
	rh_arena_chunk *head; /* current chunk, others follow */
} rh_arena;

void *rh_arena_alloc(rh_arena *a, size_t n);
char *rh_arena_strndup(rh_arena *a, const char *s, size_t n);
void rh_arena_reset(rh_arena *a);
void rh_arena_dispose(rh_arena *a);

/* ---------------------------------------------------------------- ids */

size_t rh_events__id_hex_max(size_t len);
ssize_t rh_events__id_to_hex(char *dst, const char *s, size_t len);
int rh_events__is_nil_hex(const char *hex);

/* ---------------------------------------------------------------- parser */

enum scan_state {
	SCAN_TOP = 0,   /* between top-level values */
	SCAN_LINE,      /* inside a line holding a top-level object */
	SCAN_SKIP_LINE, /* dropping the rest of an over-long or bad line */
	SCAN_ARRAY,     /* inside a top-level array, between elements */
	SCAN_ELEM,      /* inside an array element */
};

struct rh_event_parser {
	char *name;
	rh_event_parse_options opts;
	rh_event_format guess; /* from the object name */
	rh_event_cb cb;
	void *payload;
	rh_event_stats stats;
	int error; /* sticky failure code, 0 if none */
	char errmsg[512];

	/* scanner */
	enum scan_state state;
	uint64_t lineno;     /* 1-based line of the next byte */
	uint64_t value_line; /* line where the current value began */
	uint64_t elem_index; /* element number within the array */
	rh_buf acc;          /* bytes of a value split across feeds */
	int acc_active;      /* acc holds the start of the value */
	size_t value_len;    /* bytes of the current value so far */
	int depth, in_string, escape, elem_too_long;
	rh_buf win; /* copy of fed bytes [win_lo, win_hi) */
	size_t win_lo, win_hi;
	int win_valid; /* win is of the bytes of this feed */

	/* per value */
	rh_json json; /* tokens of the current value */
	rh_buf work;  /* mutable copy the tokens point into */
	rh_arena arena;
	int line_bad; /* rh_events__bad() was called */
	char line_msg[384];
	int snake;         /* the value uses snake_case names */
	int old_numbering; /* export: -1 unknown, 0 new, 1 old */
	unsigned hits;     /* members found by getters */
	rh_jv pl;          /* the RayEvent payload object */
	unsigned pl_hits;  /* members of it found by getters */
};

/* Report the current line as malformed: keeps the message and returns
 * RH_EINVAL; the scanner then counts or fails it (opts.strict). */
int rh_events__bad(rh_event_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fill the common fields and hand `ev` to the callback. */
int rh_events__emit(rh_event_parser *p, rh_event *ev);

/* One JSON object value per format. */
int rh_events__rayevent(rh_event_parser *p, rh_jv obj);
int rh_events__export(rh_event_parser *p, rh_jv obj);
int rh_events__legacy(rh_event_parser *p, rh_jv obj);

/* ---------------------------------------------------------------- getters */

#define JNONE RH_JV_NONE
#define JTYPE(p, v) rh_json_type(&(p)->json, (v))
#define JIS(p, v, t) ((v) != RH_JV_NONE && (p)->json.tok[v].type == (t))
#define JSTR(p, v) rh_json_str(&(p)->json, (v))
#define JLEN(p, v) rh_json_len(&(p)->json, (v))
#define JCOUNT(p, v) ((v) == RH_JV_NONE ? 0u : (p)->json.tok[v].count)
#define JFIRST(p, c) rh_json_first(&(p)->json, (c))
#define JNEXT(p, c, v) rh_json_next(&(p)->json, (c), (v))
#define JNEXTKEY(p, o, k) rh_json_next_key(&(p)->json, (o), (k))

/* A number token as int64 (integral doubles too) / double; 0 or -1. */
int rh_events__num_i64(rh_event_parser *p, rh_jv v, int64_t *out);
double rh_events__num_double(rh_event_parser *p, rh_jv v);

/* The member `camel` or its snake_case spelling `snake`, in the order the
 * value's casing suggests; JNONE if absent or JSON null. */
rh_jv rh_events__get(rh_event_parser *p, rh_jv o, const char *camel,
                     const char *snake);
#define JGET(p, o, camel, snake) rh_events__get((p), (o), (camel), (snake))

/* Return from the calling function (which has an `int error`) on failure. */
#define TRY(x)                         \
	do {                           \
		if ((error = (x)) < 0) \
			return error;  \
	} while (0)

/* A task record with every optional number at its "unknown" value. */
void rh_events__task_init(rh_event_task *t);
/* An event and the other records with every optional member at its
 * "unknown" value (events_parts.c). */
void rh_events__record_init(rh_event *ev, rh_event_format format);
void rh_events__job_init(rh_event_job *j);
void rh_events__node_init(rh_event_node *n);
void rh_events__actor_init(rh_event_actor *a);
void rh_events__pg_init(rh_event_pg *g);
/* A task's taskLogInfo / profileEvents object into t. With `proto`, the
 * export format: members only by their proto (snake_case) names, and so
 * named in messages; else either casing, named in camelCase. */
int rh_events__log_info(rh_event_parser *p, rh_event_task *t, rh_jv li,
                        int proto);
int rh_events__profile(rh_event_parser *p, rh_event_task *t, rh_jv pe,
                       int proto);
/* A task's {"<TaskStatus number>": time} map (export state_ts_ns, proto;
 * the Ray 2.49-era RayEvent taskState) as its transitions. */
int rh_events__state_map(rh_event_parser *p, rh_event_task *t, rh_jv map,
                         int proto);
/* The id member `camel` (or `snake`) of object `o`, as hex into *out;
 * RH_EINVAL via rh_events__bad() when it is missing or not an id. */
int rh_events__require_id(rh_event_parser *p, const char **out, rh_jv o,
                          const char *camel, const char *snake);

/* Typed getters. Each returns 0 (value set, or left at its default when
 * the member is absent) or RH_EINVAL via rh_events__bad() naming `what`
 * when the member has the wrong type. */
int rh_events__str(rh_event_parser *p, const char **out, rh_jv v,
                   const char *what);
int rh_events__int(rh_event_parser *p, int64_t *out, rh_jv v, const char *what);
int rh_events__bool(rh_event_parser *p, int *out, rh_jv v, const char *what);
int rh_events__time(rh_event_parser *p, int64_t *out, rh_jv v,
                    const char *what);
/* An id as hex in the arena; "" and, with nil_is_null, all-ff give NULL. */
int rh_events__id(rh_event_parser *p, const char **out, rh_jv v,
                  const char *what, int nil_is_null);
/* JSON text of an object/array; with snake, keys are re-cased. */
int rh_events__json(rh_event_parser *p, const char **out, rh_jv v,
                    int snake_keys);
/* A {"name": number} map printed as Python prints floats ({"CPU": 1.0}). */
int rh_events__resources(rh_event_parser *p, const char **out, rh_jv v,
                         const char *what);
/* A string with ANSI colour codes removed, as Ray's state API does. */
const char *rh_events__strip_ansi(rh_event_parser *p, const char *s);
/* A string with literal "\n" / "\r" turned into newlines (legacy events). */
const char *rh_events__restore_newlines(rh_event_parser *p, const char *s);

/* 1 if `s` is one whole JSON value (checked with a scratch copy). */
int rh_events__is_json(const char *s);

/* Enum lookups over the name tables; -1 when unknown. Accepts a JSON
 * string (name) or integer. */
int rh_events__enum(rh_event_parser *p, rh_jv v, const char *const *names,
                    int n);

extern const char *const rh_events__task_state_names[RH_TASK_STATE_COUNT];
extern const char *const rh_events__task_type_names[RH_TASK_TYPE_COUNT];
extern const char *const rh_events__actor_state_names[RH_ACTOR_STATE_COUNT];
extern const char *const rh_events__node_state_names[RH_NODE_STATE_COUNT];
extern const char *const rh_events__driver_state_names[RH_DRIVER_STATE_COUNT];
extern const char *const rh_events__job_status_names[RH_JOB_STATUS_COUNT];
extern const char *const rh_events__pg_state_names[RH_PG_STATE_COUNT];

/* Map an export state_ts_ns key to rh_task_state under a numbering. */
int rh_events__task_state_from_number(int64_t n, int old_numbering);

/* "Class.method" / "function" from a FunctionDescriptor object, in the
 * arena; NULL when none. */
const char *rh_events__func_name(rh_event_parser *p, rh_jv desc);

/* Grow an array of transitions kept in the arena. */
rh_event_transition *rh_events__transitions(rh_event_parser *p, size_t n);

#endif
