/* events.c - the event parser: splits input into JSON values (lines, or the
 * elements of top-level arrays), parses each with the in-place JSON reader
 * (util/json.h) and dispatches it to the parser of its format
 * (events_rayevent.c, events_export.c, events_legacy.c). */
#include "internal.h"
#include "events_internal.h"
#include "swar.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

/* ---------------------------------------------------------------- names */

const char *const rh_events__task_state_names[RH_TASK_STATE_COUNT] = {
	"NIL",
	"PENDING_ARGS_AVAIL",
	"PENDING_NODE_ASSIGNMENT",
	"PENDING_OBJ_STORE_MEM_AVAIL",
	"PENDING_ARGS_FETCH",
	"SUBMITTED_TO_WORKER",
	"PENDING_ACTOR_TASK_ARGS_FETCH",
	"PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY",
	"RUNNING",
	"RUNNING_IN_RAY_GET",
	"RUNNING_IN_RAY_WAIT",
	"FINISHED",
	"FAILED",
	"GETTING_AND_PINNING_ARGS",
};
const char *const rh_events__task_type_names[RH_TASK_TYPE_COUNT] = {
	"", "NORMAL_TASK", "ACTOR_CREATION_TASK", "ACTOR_TASK", "DRIVER_TASK",
};
const char *const rh_events__actor_state_names[RH_ACTOR_STATE_COUNT] = {
	"DEPENDENCIES_UNREADY",
	"PENDING_CREATION",
	"ALIVE",
	"RESTARTING",
	"DEAD",
};
const char *const rh_events__node_state_names[RH_NODE_STATE_COUNT] = {
	"ALIVE",
	"DEAD",
};
const char *const rh_events__driver_state_names[RH_DRIVER_STATE_COUNT] = {
	"UNSPECIFIED",
	"CREATED",
	"FINISHED",
};
const char *const rh_events__job_status_names[RH_JOB_STATUS_COUNT] = {
	"PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED",
};
const char *const rh_events__pg_state_names[RH_PG_STATE_COUNT] = {
	"PENDING",
	"CREATED",
	"REMOVED",
	"RESCHEDULING",
};
static const char *const kind_names[RH_EVENT_KIND_COUNT] = {
	"NONE",
	"TASK_DEFINITION",
	"TASK_LIFECYCLE",
	"TASK_PROFILE",
	"ACTOR_DEFINITION",
	"ACTOR_LIFECYCLE",
	"DRIVER_JOB_DEFINITION",
	"DRIVER_JOB_LIFECYCLE",
	"SUBMISSION_JOB",
	"NODE_DEFINITION",
	"NODE_LIFECYCLE",
	"PLACEMENT_GROUP_DEFINITION",
	"PLACEMENT_GROUP_LIFECYCLE",
	"CLUSTER",
};

#define NAME_OF(table, v, dflt) \
	((v) >= 0 && (size_t)(v) < RH_ARRAY_SIZE(table) ? (table)[v] : (dflt))

/* Each public name lookup is one table with its default. */
#define NAME_FN(fn, table, dflt)                \
	RH_EXTERN const char *fn(int v)         \
	{                                       \
		return NAME_OF(table, v, dflt); \
	}

NAME_FN(rh_task_state_name, rh_events__task_state_names, "NIL")
NAME_FN(rh_task_type_name, rh_events__task_type_names, "")
NAME_FN(rh_actor_state_name, rh_events__actor_state_names, "")
NAME_FN(rh_node_state_name, rh_events__node_state_names, "")
NAME_FN(rh_driver_state_name, rh_events__driver_state_names, "")
NAME_FN(rh_job_status_name, rh_events__job_status_names, "")
NAME_FN(rh_pg_state_name, rh_events__pg_state_names, "")
NAME_FN(rh_event_kind_name, kind_names, "")

static int
lookup(const char *name, const char *const *names, int n)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i][0] && strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

RH_EXTERN int
rh_task_state_from_name(const char *name)
{
	return lookup(name, rh_events__task_state_names, RH_TASK_STATE_COUNT);
}

RH_EXTERN int
rh_actor_state_from_name(const char *name)
{
	return lookup(name, rh_events__actor_state_names, RH_ACTOR_STATE_COUNT);
}

RH_EXTERN int
rh_job_status_from_name(const char *name)
{
	return lookup(name, rh_events__job_status_names, RH_JOB_STATUS_COUNT);
}

int
rh_events__enum(rh_event_parser *p, rh_jv v, const char *const *names, int n)
{
	int64_t i;

	if (v == JNONE)
		return -1;
	if (JIS(p, v, RH_J_STRING))
		return lookup(JSTR(p, v), names, n);
	if (JIS(p, v, RH_J_NUMBER) && rh_events__num_i64(p, v, &i) == 0)
		return i >= 0 && i < n ? (int)i : -1;
	return -1;
}

int
rh_events__task_state_from_number(int64_t n, int old_numbering)
{
	/* Ray before 2.39 had no PENDING_ACTOR_TASK_* states: RUNNING = 6,
	 * RUNNING_IN_RAY_GET = 7, RUNNING_IN_RAY_WAIT = 8, FINISHED = 9,
	 * FAILED = 10 (reference/ray-formats.md §5.1, §8). */
	static const int old_map[] = { 0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12 };

	if (old_numbering)
		return n >= 0 && n < (int64_t)RH_ARRAY_SIZE(old_map) ?
		               old_map[n] :
		               -1;
	return n >= 0 && n < RH_TASK_STATE_COUNT ? (int)n : -1;
}

RH_EXTERN rh_event_format
rh_event_format_guess(const char *name)
{
	if (!name)
		return RH_EVENT_FORMAT_AUTO;
	if (strstr(name, "export_events/") || strstr(name, "event_EXPORT_"))
		return RH_EVENT_FORMAT_EXPORT;
	if (strstr(name, "events/event_") || strncmp(name, "event_", 6) == 0)
		return RH_EVENT_FORMAT_LEGACY;
	return RH_EVENT_FORMAT_RAYEVENT;
}

/* ---------------------------------------------------------------- values */

static rh_event_format
detect(rh_event_parser *p, rh_jv obj)
{
	const rh_json *j = &p->json;

	if (rh_json_member(j, obj, "eventType", 9) != JNONE ||
	    rh_json_member(j, obj, "event_type", 10) != JNONE)
		return RH_EVENT_FORMAT_RAYEVENT;
	if (rh_json_member(j, obj, "event_data", 10) != JNONE)
		return RH_EVENT_FORMAT_EXPORT;
	if (p->guess == RH_EVENT_FORMAT_LEGACY ||
	    p->guess == RH_EVENT_FORMAT_EXPORT)
		return p->guess;
	if (rh_json_member(j, obj, "event_id", 8) != JNONE ||
	    rh_json_member(j, obj, "source_type", 11) != JNONE)
		return RH_EVENT_FORMAT_LEGACY;
	return RH_EVENT_FORMAT_RAYEVENT;
}

/* A malformed value: counted and skipped, or the parse's failure. */
static int
malformed(rh_event_parser *p, int in_array)
{
	char msg[sizeof(p->errmsg)];

	if (in_array)
		snprintf(msg, sizeof(msg), "%s:%llu: element %llu: %s", p->name,
		         (unsigned long long)p->value_line,
		         (unsigned long long)p->elem_index, p->line_msg);
	else
		snprintf(msg, sizeof(msg), "%s:%llu: %s", p->name,
		         (unsigned long long)p->value_line, p->line_msg);
	p->line_bad = 0;
	if (p->opts.strict) {
		memcpy(p->errmsg, msg, sizeof(msg));
		p->error = RH_EINVAL;
		return rh__error(RH_EINVAL, "%s", msg);
	}
	if (p->stats.malformed++ == 0)
		snprintf(p->stats.first_error, sizeof(p->stats.first_error),
		         "%.*s", (int)sizeof(p->stats.first_error) - 1, msg);
	return 0;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
value_begin(rh_event_parser *p)
{
	p->stats.lines++;
	rh_arena_reset(&p->arena);
	p->line_bad = 0;
	p->hits = 0;
	p->pl = JNONE;
}

/* Dispatch the value p->json holds to the parser of its format. */
static int
handle_parsed(rh_event_parser *p, int in_array)
{
	rh_event_format fmt;
	int rc;

	if (!JIS(p, 0, RH_J_OBJECT)) {
		rh_events__bad(p, "not a JSON object");
		return malformed(p, in_array);
	}
	fmt = p->opts.format;
	if (fmt == RH_EVENT_FORMAT_AUTO)
		fmt = detect(p, 0);
	switch (fmt) {
	case RH_EVENT_FORMAT_EXPORT: rc = rh_events__export(p, 0); break;
	case RH_EVENT_FORMAT_LEGACY: rc = rh_events__legacy(p, 0); break;
	default: rc = rh_events__rayevent(p, 0); break;
	}
	if (p->line_bad)
		return malformed(p, in_array);
	if (rc) {
		p->error = rc;
		if (rc < 0)
			snprintf(p->errmsg, sizeof(p->errmsg), "%s",
			         rh_error_last());
	}
	return rc;
}

static int
handle_value(rh_event_parser *p, const char *data, size_t len, int in_array)
{
	const char *err = NULL;
	int rc;

	value_begin(p);
	/* The tokens point into a private copy, unescaped in place. */
	rh_buf_clear(&p->work);
	if ((rc = rh_buf_put(&p->work, data, len)) < 0)
		return p->error = rc;
	if ((rc = rh_json_parse(&p->json, p->work.ptr, len, &err)) < 0) {
		if (rc != RH_EINVAL)
			return p->error = rc;
		rh_events__bad(p, "%s", err);
		return malformed(p, in_array);
	}
	return handle_parsed(p, in_array);
}

/* ---------------------------------------------------------------- scanner */

static int
acc_add(rh_event_parser *p, const char *data, size_t n)
{
	p->acc_active = 1;
	return rh_buf_put(&p->acc, data, n);
}

static void
acc_drop(rh_event_parser *p)
{
	rh_buf_clear(&p->acc);
	p->acc_active = 0;
}

/* Bytes the element scanner stops at outside strings. */
static const unsigned char structural[256] = {
	['"'] = 1, ['{'] = 1, ['['] = 1,  ['}'] = 1,
	[']'] = 1, [','] = 1, ['\n'] = 1,
};

/* Index of the first '"', '\\' or '\n' in data[i, len), or len. Strings
 * are most of an event's bytes, so they are skipped eight bytes at a time
 * (the test of json.c's string()). */
static size_t
string_stop(const char *data, size_t i, size_t len)
{
	uint64_t w;

	for (; i + 8 <= len; i += 8)
		if (w = rh__swar_load(data + i),
		    (rh__swar_eq(w, '"') | rh__swar_eq(w, '\\') |
		     rh__swar_eq(w, '\n')) &
		            RH__SWAR_HIGH)
			break;
	while (i < len && data[i] != '"' && data[i] != '\\' && data[i] != '\n')
		i++;
	return i;
}

/* Scan array element bytes from data[i]; returns the index where the element
 * ended (at a ',' or ']' outside strings at depth 0), or len. */
static size_t
scan_elem(rh_event_parser *p, const char *data, size_t i, size_t len,
          int *ended)
{
	*ended = 0;
	while (i < len) {
		char c;

		if (p->in_string) {
			if (p->escape) {
				p->escape = 0;
				if (data[i] == '\n')
					p->lineno++;
				i++;
				continue;
			}
			if ((i = string_stop(data, i, len)) >= len)
				break;
			c = data[i++];
			if (c == '\n')
				p->lineno++;
			else if (c == '\\')
				p->escape = 1;
			else
				p->in_string = 0;
			continue;
		}
		while (i < len && !structural[(unsigned char)data[i]])
			i++;
		if (i >= len)
			break;
		switch ((c = data[i])) {
		case '\n': p->lineno++; break;
		case '"': p->in_string = 1; break;
		case '{':
		case '[': p->depth++; break;
		case '}':
		case ']':
			if (p->depth == 0 && c == ']') {
				*ended = 1;
				return i;
			}
			if (p->depth > 0)
				p->depth--;
			break;
		default: /* ',' */
			if (p->depth == 0) {
				*ended = 1;
				return i;
			}
			break;
		}
		i++;
	}
	return len;
}

/* An array element is usually whole in the bytes fed, and then scanning
 * it for its end (scan_elem) before parsing it went over every byte twice.
 * So an element starting with '{' is first parsed straight from a private
 * copy of the bytes that follow (the window, up to WINDOW bytes, copied
 * once for many elements), the parse finding its end. Whenever anything
 * is unusual - a parse error, the element or the ',' or ']' after it not
 * within the bytes fed, an over-long element, other bytes after it - this
 * gives up (*done 0) before changing any state, and the element goes the
 * scanning way, which decides everything about it exactly as before: both
 * ways end a well-formed element at the same byte. */
#define WINDOW ((size_t)1 << 20)

static int
window_at(rh_event_parser *p, const char *data, size_t i, size_t len)
{
	size_t n = len - i < WINDOW ? len - i : WINDOW;

	rh_buf_clear(&p->win);
	p->win_lo = i;
	p->win_hi = i + n;
	p->win_valid = 1;
	return rh_buf_put(&p->win, data + i, n);
}

static int
fast_elem(rh_event_parser *p, int *done, const char *data, size_t *ip,
          size_t len)
{
	size_t i = *ip, end = 0, j, nl = 0;
	const char *err = NULL, *q;
	int rc, tries;

	*done = 0;

	for (tries = 0;; tries++) {
		if (!p->win_valid || i < p->win_lo || i >= p->win_hi || tries)
			if ((rc = window_at(p, data, i, len)) < 0)
				return p->error = rc;
		rc = rh_json_parse_prefix(&p->json,
		                          p->win.ptr + (i - p->win_lo),
		                          p->win_hi - i, &end, &err);
		if (rc == 0)
			break;
		if (rc != RH_EINVAL) {
			p->win_valid = 0;
			return p->error = rc;
		}
		/* Undo the parse's unescaping, which wrote only before where
		 * it stopped: restoring the whole window instead would make
		 * many small bad elements cost a window each. */
		memcpy(p->win.ptr + (i - p->win_lo), data + i, end);
		/* again from a window that starts here, if it was cut short
		 * (the parse read to its end) */
		if (tries || p->win_hi == len || p->win_lo == i ||
		    i + end < p->win_hi)
			return 0;
	}
	for (j = i + end; j < len && is_ws((unsigned char)data[j]); j++)
		;
	if (j >= len || (data[j] != ',' && data[j] != ']') ||
	    j - i > p->opts.max_line)
		return 0;
	for (q = data + i; (q = memchr(q, '\n', (size_t)(data + j - q))); q++)
		nl++;
	p->lineno += nl;
	p->value_len = j - i;
	p->state = SCAN_ARRAY;
	*ip = j;
	*done = 1;
	value_begin(p);
	return handle_parsed(p, 1);
}

/* A whole value, from the accumulator if earlier input began it. */
static int
value_end(rh_event_parser *p, const char *data, size_t n, int in_array)
{
	int rc;

	if (!p->acc_active)
		return handle_value(p, data, n, in_array);
	if ((rc = acc_add(p, data, n)) < 0)
		return rc;
	rc = handle_value(p, p->acc.ptr, p->acc.size, in_array);
	acc_drop(p);
	return rc;
}

/* Between values: a line starts a value, '[' an array of them. */
static int
scan_top(rh_event_parser *p, const char *data, size_t *ip)
{
	size_t i = *ip;

	if (data[i] == '\n') {
		p->lineno++;
		i++;
	} else if (is_ws((unsigned char)data[i])) {
		i++;
	} else if (data[i] == '[') {
		p->state = SCAN_ARRAY;
		p->elem_index = 0;
		i++;
	} else {
		p->state = SCAN_LINE;
		p->value_line = p->lineno;
		p->value_len = 0;
		acc_drop(p);
	}
	*ip = i;
	return 0;
}

/* In a line: up to its end, or to the end of the input. */
static int
scan_line(rh_event_parser *p, const char *data, size_t *ip, size_t len)
{
	size_t i = *ip, end;
	const char *nl;
	int rc;

	nl = memchr(data + i, '\n', len - i);
	end = nl ? (size_t)(nl - data) : len;
	if (p->value_len + (end - i) > p->opts.max_line) {
		p->stats.too_long++;
		acc_drop(p);
		p->state = SCAN_SKIP_LINE;
		return 0;
	}
	p->value_len += end - i;
	if (!nl) {
		*ip = len;
		return acc_add(p, data + i, end - i);
	}
	rc = value_end(p, data + i, end - i, 0);
	p->lineno++;
	p->state = SCAN_TOP;
	*ip = end + 1;
	return rc;
}

/* In a line too long to parse: to its end. */
static int
scan_skip_line(rh_event_parser *p, const char *data, size_t *ip, size_t len)
{
	const char *nl = memchr(data + *ip, '\n', len - *ip);

	if (!nl) {
		*ip = len;
		return 0;
	}
	*ip = (size_t)(nl - data) + 1;
	p->lineno++;
	p->state = SCAN_TOP;
	return 0;
}

/* In a top-level array, between elements. */
static int
scan_array(rh_event_parser *p, const char *data, size_t *ip, size_t len)
{
	size_t i = *ip;
	int fast, rc = 0;

	if (data[i] == '\n') {
		p->lineno++;
		i++;
	} else if (is_ws((unsigned char)data[i]) || data[i] == ',') {
		i++;
	} else if (data[i] == ']') {
		p->state = SCAN_TOP;
		i++;
	} else {
		p->state = SCAN_ELEM;
		p->value_line = p->lineno;
		p->value_len = 0;
		p->depth = p->in_string = p->escape = 0;
		p->elem_too_long = 0;
		p->elem_index++;
		acc_drop(p);
		/* else the scanning way, SCAN_ELEM */
		if (data[i] == '{')
			rc = fast_elem(p, &fast, data, &i, len);
	}
	*ip = i;
	return rc;
}

/* In an array element: up to its end, or to the end of the input. */
static int
scan_elem_step(rh_event_parser *p, const char *data, size_t *ip, size_t len)
{
	size_t start = *ip, end;
	int ended;

	end = scan_elem(p, data, start, len, &ended);
	if (!p->elem_too_long &&
	    p->value_len + (end - start) > p->opts.max_line) {
		p->elem_too_long = 1;
		p->stats.too_long++;
		acc_drop(p);
	}
	p->value_len += end - start;
	*ip = end;
	if (!ended)
		return p->elem_too_long ? 0 :
		                          acc_add(p, data + start, end - start);
	p->state = SCAN_ARRAY;
	if (p->elem_too_long)
		return 0;
	return value_end(p, data + start, end - start, 1);
}

static int
feed(rh_event_parser *p, const char *data, size_t len)
{
	size_t i = 0;
	int rc = 0;

	p->win_valid = 0; /* the window is a copy of earlier bytes */
	while (i < len && !rc) {
		switch (p->state) {
		case SCAN_TOP: rc = scan_top(p, data, &i); break;
		case SCAN_LINE: rc = scan_line(p, data, &i, len); break;
		case SCAN_SKIP_LINE:
			rc = scan_skip_line(p, data, &i, len);
			break;
		case SCAN_ARRAY: rc = scan_array(p, data, &i, len); break;
		case SCAN_ELEM: rc = scan_elem_step(p, data, &i, len); break;
		}
	}
	if (rc && !p->error)
		p->error = rc;
	return rc;
}

/* ---------------------------------------------------------------- API */

RH_EXTERN int
rh_event_parser_new(rh_event_parser **out, const char *name,
                    const rh_event_parse_options *opts, rh_event_cb cb,
                    void *payload)
{
	static const rh_event_parse_options dflt = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_event_parser *p = NULL;
	int error = 0;

	if (!out)
		return rh__error(RH_EINVAL, "rh_event_parser_new: NULL out");
	*out = NULL;
	if (opts && opts->version != RH_EVENT_PARSE_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_event_parser_new: options version %u",
		                 opts->version);
	if (!(p = rh__calloc(1, sizeof(*p))))
		return RH_ENOMEM;
	p->opts = opts ? *opts : dflt;
	if (p->opts.max_line == 0)
		p->opts.max_line = dflt.max_line;
	if (p->opts.max_line > (size_t)INT32_MAX)
		p->opts.max_line = INT32_MAX; /* json-c takes an int length */
	p->opts.ray_version = NULL; /* not kept: the caller's string */
	p->old_numbering = -1;
	if (opts && opts->numbering == RH_TASK_NUMBERING_OLD)
		p->old_numbering = 1;
	else if (opts && opts->numbering == RH_TASK_NUMBERING_NEW)
		p->old_numbering = 0;
	else if (opts && opts->ray_version) {
		int major = 0, minor = 0;

		/* PENDING_ACTOR_TASK_* and the renumbering came with Ray 2.39
		 * (ray-project/ray#48242, October 2024), as tests/gen assumes. */
		if (sscanf(opts->ray_version, "%d.%d", &major, &minor) == 2)
			p->old_numbering =
				major < 2 || (major == 2 && minor < 39);
	}
	/* With AUTO, each value's shape decides; the name only breaks ties
	 * (older Ray wrote export events into logs/events/). */
	p->guess = rh_event_format_guess(name);
	if (!(p->name = rh__strdup(name ? name : "(events)"))) {
		error = rh__error(RH_ENOMEM,
		                  "out of memory for an event parser");
		goto done;
	}
	p->cb = cb;
	p->payload = payload;
	p->lineno = 1;
	*out = p, p = NULL;
done:
	rh_event_parser_free(p);
	return error;
}

RH_EXTERN int
rh_event_parser_feed(rh_event_parser *p, const void *data, size_t len)
{
	if (!p || (!data && len))
		return rh__error(RH_EINVAL,
		                 "rh_event_parser_feed: NULL argument");
	if (p->error)
		return p->error < 0 ? rh__error(p->error, "%s", p->errmsg) :
		                      p->error;
	p->stats.bytes += len;
	return feed(p, data, len);
}

RH_EXTERN int
rh_event_parser_finish(rh_event_parser *p)
{
	int rc = 0;

	if (!p)
		return rh__error(RH_EINVAL,
		                 "rh_event_parser_finish: NULL parser");
	if (p->error)
		return p->error < 0 ? rh__error(p->error, "%s", p->errmsg) :
		                      p->error;
	switch (p->state) {
	case SCAN_LINE:
		if (p->acc_active)
			rc = handle_value(p, p->acc.ptr, p->acc.size, 0);
		break;
	case SCAN_ELEM:
		/* A complete last element still counts. */
		if (p->acc_active && !p->elem_too_long && p->depth == 0 &&
		    !p->in_string &&
		    (rc = handle_value(p, p->acc.ptr, p->acc.size, 1)))
			break;
		/* fall through */
	case SCAN_ARRAY:
		rh_events__bad(p, "JSON array is not closed");
		rc = malformed(p, 0);
		break;
	default: break;
	}
	acc_drop(p);
	p->state = SCAN_TOP;
	if (rc && !p->error)
		p->error = rc;
	return rc;
}

RH_EXTERN const rh_event_stats *
rh_event_parser_stats(const rh_event_parser *p)
{
	return p ? &p->stats : NULL;
}

RH_EXTERN const char *
rh_event_parser_errmsg(const rh_event_parser *p)
{
	return p ? p->errmsg : "";
}

RH_EXTERN void
rh_event_parser_free(rh_event_parser *p)
{
	if (!p)
		return;
	rh_json_dispose(&p->json);
	rh_buf_dispose(&p->work);
	rh_buf_dispose(&p->win);
	rh_arena_dispose(&p->arena);
	rh_buf_dispose(&p->acc);
	free(p->name);
	free(p);
}

RH_EXTERN int
rh_event_parse(rh_event_stats *stats, const char *name, const void *data,
               size_t len, const rh_event_parse_options *opts, rh_event_cb cb,
               void *payload)
{
	rh_event_parser *p = NULL;
	int error;

	if ((error = rh_event_parser_new(&p, name, opts, cb, payload)) < 0)
		return error;
	if (!(error = rh_event_parser_feed(p, data, len)))
		error = rh_event_parser_finish(p);
	if (stats)
		*stats = p->stats;
	rh_event_parser_free(p);
	return error;
}
