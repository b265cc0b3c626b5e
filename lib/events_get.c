/* events_get.c - what the event parsers share: the per-line arena, tolerant
 * getters over the in-place JSON tokens (either casing, numbers given as
 * strings, ids in base64), and the compact JSON written back out for
 * nested values (resources, labels, death causes). */
#include "internal.h"

#include <math.h>
#include "events_internal.h"

#include <errno.h>
#include <stdio.h>
#include <strings.h>

/* ---------------------------------------------------------------- arena */

void *
rh_arena_alloc(rh_arena *a, size_t n)
{
	rh_arena_chunk *c = a->head;
	size_t size;

	n = (n + 15) & ~(size_t)15;
	if (c && c->size - c->used >= n) {
		void *p = c->data + c->used;
		c->used += n;
		return p;
	}
	/* Chunks double so a big line settles in a few allocations; after
	 * reset only the newest (largest) chunk is kept. */
	size = c ? c->size * 2 : 16384;
	while (size < n)
		size *= 2;
	if (!(c = rh__malloc(sizeof(*c) + size)))
		return NULL;
	c->size = size;
	c->used = n;
	c->next = a->head;
	a->head = c;
	return c->data;
}

char *
rh_arena_strndup(rh_arena *a, const char *s, size_t n)
{
	char *p = rh_arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
rh_arena_reset(rh_arena *a)
{
	rh_arena_chunk *c, *next;

	if (!a->head)
		return;
	for (c = a->head->next; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head->next = NULL;
	a->head->used = 0;
}

void
rh_arena_dispose(rh_arena *a)
{
	rh_arena_reset(a);
	free(a->head);
	a->head = NULL;
}

/* ---------------------------------------------------------------- getters */

int
rh_events__is_json(const char *s)
{
	rh_json j = { 0 };
	const char *err;
	size_t n = strlen(s);
	char *copy = rh__malloc(n + 1);
	int ok;

	if (!copy)
		return 0;
	memcpy(copy, s, n);
	ok = rh_json_parse(&j, copy, n, &err) == 0;
	rh_json_dispose(&j);
	free(copy);
	return ok;
}

rh_jv
rh_events__get(rh_event_parser *p, rh_jv o, const char *camel,
               const char *snake)
{
	const char *first = p->snake ? snake : camel;
	const char *second = p->snake ? camel : snake;
	rh_jv v;

	if (!JIS(p, o, RH_J_OBJECT))
		return JNONE;
	v = rh_json_member(&p->json, o, first, strlen(first));
	if (v == JNONE && second != first && strcmp(first, second) != 0)
		v = rh_json_member(&p->json, o, second, strlen(second));
	if (v != JNONE && JTYPE(p, v) == RH_J_NULL)
		return JNONE;
	if (v != JNONE) {
		p->hits++;
		if (o == p->pl)
			p->pl_hits++;
	}
	return v;
}

int
rh_events__num_i64(rh_event_parser *p, rh_jv v, int64_t *out)
{
	const char *s = JSTR(p, v);
	size_t i, n = JLEN(p, v);
	uint64_t acc = 0;
	int neg = 0;
	double d;

	if (p->json.tok[v].is_int && n < 19) {
		/* Up to 18 digits cannot overflow. */
		if (s[0] == '-')
			neg = 1;
		for (i = (size_t)neg; i < n; i++)
			acc = acc * 10 + (uint64_t)(s[i] - '0');
		*out = neg ? -(int64_t)acc : (int64_t)acc;
		return 0;
	}
	if (p->json.tok[v].is_int) {
		char *end;
		long long ll;

		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno)
			return -1;
		*out = ll;
		return 0;
	}
	d = strtod(s, NULL);
	if (!(d > -9.2e18 && d < 9.2e18) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

double
rh_events__num_double(rh_event_parser *p, rh_jv v)
{
	return strtod(JSTR(p, v), NULL);
}

int
rh_events__bad(rh_event_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->line_bad) {
		va_start(ap, fmt);
		vsnprintf(p->line_msg, sizeof(p->line_msg), fmt, ap);
		va_end(ap);
		p->line_bad = 1;
	}
	return RH_EINVAL;
}

int
rh_events__str(rh_event_parser *p, const char **out, rh_jv v, const char *what)
{
	if (v == JNONE)
		return 0;
	switch (JTYPE(p, v)) {
	case RH_J_STRING: *out = JSTR(p, v); return 0;
	case RH_J_TRUE: *out = "true"; return 0;
	case RH_J_FALSE: *out = "false"; return 0;
	case RH_J_NUMBER:
		/* The number's text is not NUL-terminated in place. */
		if (!(*out = rh_arena_strndup(&p->arena, JSTR(p, v),
		                              JLEN(p, v))))
			return RH_ENOMEM;
		return 0;
	default: return rh_events__bad(p, "\"%s\" is not a string", what);
	}
}

static int
parse_int_text(int64_t *out, const char *s)
{
	const char *d = s + (*s == '-');
	uint64_t acc = 0;
	char *end;
	long long v;
	size_t i;

	if (!*s)
		return 1; /* "" means unset */
	/* Times come as strings of 19 digits ("startTime" of every profile
	 * event); strtoll() took 400 instructions a call. Up to 19 plain
	 * digits fit in 64 unsigned bits: summed here when the value fits in
	 * an int64_t; anything else (signs, spaces, overflow) goes to
	 * strtoll() as before. */
	for (i = 0; i < 19 && d[i] >= '0' && d[i] <= '9'; i++)
		acc = acc * 10 + (uint64_t)(d[i] - '0');
	if (i > 0 && !d[i] && acc <= (uint64_t)INT64_MAX) {
		*out = d != s ? -(int64_t)acc : (int64_t)acc;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

int
rh_events__int(rh_event_parser *p, int64_t *out, rh_jv v, const char *what)
{
	if (v == JNONE)
		return 0;
	switch (JTYPE(p, v)) {
	case RH_J_NUMBER:
		if (rh_events__num_i64(p, v, out) == 0)
			return 0;
		break;
	case RH_J_STRING:
		if (parse_int_text(out, JSTR(p, v)) >= 0)
			return 0;
		break;
	default: break;
	}
	return rh_events__bad(p, "\"%s\" is not an integer", what);
}

int
rh_events__bool(rh_event_parser *p, int *out, rh_jv v, const char *what)
{
	const char *s;

	int64_t i;

	if (v == JNONE)
		return 0;
	switch (JTYPE(p, v)) {
	case RH_J_TRUE:
	case RH_J_FALSE: *out = JTYPE(p, v) == RH_J_TRUE; return 0;
	case RH_J_NUMBER:
		if (rh_events__num_i64(p, v, &i) < 0)
			break;
		*out = i != 0;
		return 0;
	case RH_J_STRING:
		s = JSTR(p, v);
		if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0) {
			*out = 0;
			return 0;
		}
		break;
	default: break;
	}
	return rh_events__bad(p, "\"%s\" is not a boolean", what);
}

int
rh_events__time(rh_event_parser *p, int64_t *out, rh_jv v, const char *what)
{
	const char *s;
	size_t n;

	if (v == JNONE)
		return 0;
	if (!JIS(p, v, RH_J_STRING))
		return rh_events__bad(p, "\"%s\" is not an RFC 3339 time",
		                      what);
	s = JSTR(p, v);
	n = (size_t)JLEN(p, v);
	if (n == 0)
		return 0;
	if (rh_time_parse(out, s, n) < 0)
		return rh_events__bad(
			p, "\"%s\" is not an RFC 3339 time: \"%.40s\"", what,
			s);
	return 0;
}

int
rh_events__id(rh_event_parser *p, const char **out, rh_jv v, const char *what,
              int nil_is_null)
{
	const char *s;
	size_t n;
	char *dst;

	if (v == JNONE)
		return 0;
	if (!JIS(p, v, RH_J_STRING))
		return rh_events__bad(p, "\"%s\" is not a string", what);
	s = JSTR(p, v);
	n = (size_t)JLEN(p, v);
	if (n == 0) {
		*out = NULL;
		return 0;
	}
	if (!(dst = rh_arena_alloc(&p->arena, rh_events__id_hex_max(n))))
		return RH_ENOMEM;
	if (rh_events__id_to_hex(dst, s, n) < 0)
		return rh_events__bad(
			p, "\"%s\" is neither hex nor base64: \"%.40s\"", what,
			s);
	*out = nil_is_null && rh_events__is_nil_hex(dst) ? NULL : dst;
	return 0;
}

static int
put_key(rh_buf *b, const char *k, int snake)
{
	char tmp[256];
	size_t i, o = 0;

	if (!snake)
		return rh__json_strn(b, k, strlen(k), 0);
	for (i = 0; k[i] && o < sizeof(tmp) - 2; i++) {
		char c = k[i];

		if (c >= 'A' && c <= 'Z') {
			if (i > 0)
				tmp[o++] = '_';
			tmp[o++] = (char)(c + 32);
		} else {
			tmp[o++] = c;
		}
	}
	if (k[i])
		return rh__json_strn(b, k, strlen(k), 0);
	return rh__json_strn(b, tmp, o, 0);
}

/* Members whose value is a map with keys of its own (resource names,
 * labels): re-casing stops there. */
static int
is_map_field(const char *k)
{
	static const char *const maps[] = {
		"unitResources",
		"unit_resources",
		"labelSelector",
		"label_selector",
		"resources",
		"requiredResources",
		"required_resources",
		"labels",
		"metadata",
		"refIds",
		"ref_ids",
	};
	size_t i;

	for (i = 0; i < RH_ARRAY_SIZE(maps); i++)
		if (!strcmp(k, maps[i]))
			return 1;
	return 0;
}

/* Serialize `v` compactly; resource maps print numbers as Python floats. */
static int
write_json(rh_event_parser *p, rh_buf *b, rh_jv v, int snake, int floats)
{
	rh_jv c;
	int error = 0;

	switch (JTYPE(p, v)) {
	case RH_J_NULL: return rh_buf_puts(b, "null");
	case RH_J_TRUE: return rh_buf_puts(b, "true");
	case RH_J_FALSE: return rh_buf_puts(b, "false");
	case RH_J_NUMBER:
		if (floats)
			return rh__json_pyfloat(b, rh_events__num_double(p, v));
		return rh_buf_put(b, JSTR(p, v), JLEN(p, v));
	case RH_J_STRING: return rh__json_strn(b, JSTR(p, v), JLEN(p, v), 0);
	case RH_J_ARRAY:
		if ((error = rh_buf_put(b, "[", 1)) < 0)
			return error;
		for (c = JFIRST(p, v); c != JNONE; c = JNEXT(p, v, c)) {
			if ((c != v + 1 &&
			     (error = rh_buf_put(b, ",", 1)) < 0) ||
			    (error = write_json(p, b, c, snake, floats)) < 0)
				return error;
		}
		return rh_buf_put(b, "]", 1);
	case RH_J_OBJECT:
		if ((error = rh_buf_put(b, "{", 1)) < 0)
			return error;
		for (c = JFIRST(p, v); c != JNONE; c = JNEXTKEY(p, v, c)) {
			if ((c != v + 1 &&
			     (error = rh_buf_put(b, ",", 1)) < 0) ||
			    (error = put_key(b, JSTR(p, c), snake)) < 0 ||
			    (error = rh_buf_put(b, ":", 1)) < 0 ||
			    (error = write_json(
				     p, b, c + 1,
				     snake && !is_map_field(JSTR(p, c)),
				     floats)) < 0)
				return error;
		}
		return rh_buf_put(b, "}", 1);
	default: return rh_buf_puts(b, "null");
	}
}

static int
json_to_arena(rh_event_parser *p, const char **out, rh_jv v, int snake,
              int floats)
{
	rh_buf b = RH_BUF_INIT;
	int error;

	if ((error = write_json(p, &b, v, snake, floats)) < 0)
		goto done;
	if (!(*out = rh_arena_strndup(&p->arena, b.ptr ? b.ptr : "", b.size)))
		error = RH_ENOMEM;
done:
	rh_buf_dispose(&b);
	return error;
}

int
rh_events__json(rh_event_parser *p, const char **out, rh_jv v, int snake_keys)
{
	if (v == JNONE)
		return 0;
	return json_to_arena(p, out, v, snake_keys, 0);
}

int
rh_events__resources(rh_event_parser *p, const char **out, rh_jv v,
                     const char *what)
{
	if (v == JNONE)
		return 0;
	if (!JIS(p, v, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object", what);
	return json_to_arena(p, out, v, 0, 1);
}

const char *
rh_events__strip_ansi(rh_event_parser *p, const char *s)
{
	char *o, *d;

	if (!s || !strchr(s, '\x1b'))
		return s;
	if (!(o = rh_arena_strndup(&p->arena, s, strlen(s))))
		return s;
	/* re.sub(r"\x1b[^m]*m", "", text) */
	for (d = o; *s; s++) {
		const char *m;

		if (*s == '\x1b' && (m = strchr(s, 'm'))) {
			s = m;
			continue;
		}
		*d++ = *s;
	}
	*d = '\0';
	return o;
}

const char *
rh_events__restore_newlines(rh_event_parser *p, const char *s)
{
	char *o, *d;

	if (!s || !strchr(s, '\\'))
		return s;
	if (!(o = rh_arena_strndup(&p->arena, s, strlen(s))))
		return s;
	for (d = o; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == 'r')) {
			*d++ = '\n';
			s++;
			continue;
		}
		*d++ = *s;
	}
	*d = '\0';
	return o;
}

static const char *
last_component(const char *s)
{
	const char *dot = strrchr(s, '.');

	return dot ? dot + 1 : s;
}

const char *
rh_events__func_name(rh_event_parser *p, rh_jv desc)
{
	rh_jv d;
	const char *cls = "", *fn = "";
	char *out;
	size_t nc, nf;
	int strip = 0;

	if (desc == JNONE)
		return NULL;
	if ((d = JGET(p, desc, "pythonFunctionDescriptor",
	              "python_function_descriptor")) != JNONE)
		strip = 1;
	else if ((d = JGET(p, desc, "javaFunctionDescriptor",
	                   "java_function_descriptor")) == JNONE &&
	         (d = JGET(p, desc, "cppFunctionDescriptor",
	                   "cpp_function_descriptor")) == JNONE)
		return NULL;
	if (rh_events__str(p, &cls, JGET(p, d, "className", "class_name"),
	                   "className") < 0 ||
	    rh_events__str(p, &fn, JGET(p, d, "functionName", "function_name"),
	                   "functionName") < 0)
		return NULL;
	/* As Ray's PythonFunctionDescriptor::CallString(): module paths are
	 * dropped, "Class.method" or "function". */
	if (strip) {
		fn = last_component(fn);
		if (*cls)
			cls = last_component(cls);
	}
	if (!*cls && !*fn)
		return NULL;
	nc = strlen(cls);
	nf = strlen(fn);
	if (!nc)
		return fn;
	if (!(out = rh_arena_alloc(&p->arena, nc + nf + 2)))
		return NULL;
	memcpy(out, cls, nc);
	out[nc] = '.';
	memcpy(out + nc + 1, fn, nf + 1);
	return out;
}

rh_event_transition *
rh_events__transitions(rh_event_parser *p, size_t n)
{
	rh_event_transition *t;
	size_t i;

	if (n > SIZE_MAX / sizeof(*t) / 2)
		return NULL;
	if (!(t = rh_arena_alloc(&p->arena, (n ? n : 1) * sizeof(*t))))
		return NULL;
	for (i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].time_ns = RH_TIME_NONE;
		t[i].pid = -1;
		t[i].exit_code = -1;
	}
	return t;
}

int
rh_events__emit(rh_event_parser *p, rh_event *ev)
{
	ev->object = p->name;
	ev->line = p->value_line;
	p->stats.records++;
	return p->cb ? p->cb(ev, p->payload) : 0;
}

void
rh_events__task_init(rh_event_task *t)
{
	memset(t, 0, sizeof(*t));
	t->worker_pid = -1;
	t->is_debugger_paused = -1;
	t->log_info.stdout_start = t->log_info.stdout_end = -1;
	t->log_info.stderr_start = t->log_info.stderr_end = -1;
}

int
rh_events__require_id(rh_event_parser *p, const char **out, rh_jv o,
                      const char *camel, const char *snake)
{
	int error;

	TRY(rh_events__id(p, out, JGET(p, o, camel, snake), camel, 0));
	if (!*out)
		return rh_events__bad(p, "\"%s\" is missing", camel);
	return 0;
}
