/* follow_receiver.c - checking what Ray's aggregator agent POSTs (follow.h), as pure
 * functions: no sockets, no files.
 *
 * A body is a JSON array of RayEvents (reference/ray-formats.md §4c). It is
 * split into its top-level elements without building a tree of the whole
 * (a batch of 10,000 events as json-c objects would take ten times its
 * size); each element is parsed on its own to find its session, and the
 * whole is run through the event parser in strict mode, which is what
 * rh_events_ingest() will do when the batch is shipped, so nothing is
 * spooled that the store would refuse. */
#include "internal.h"
#include "json.h"
#include "follow_receiver.h"

#include <stdarg.h>
#include <stdio.h>

#define DEFAULT_MAX_BODY (32u << 20)

static int reply_set(rh_receiver_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reply_set(rh_receiver_reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return rh__error(status == 200 ? 0 : RH_EINVAL, "%s", r->message);
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of the array element starting at p[i]: the index of the ',' or
 * ']' after it at depth 0, or len. */
static size_t
elem_end(const char *p, size_t i, size_t len)
{
	int in_str = 0, esc = 0;
	size_t depth = 0;

	for (; i < len; i++) {
		char c = p[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && depth > 0)
			depth--;
		else if ((c == ',' || c == ']') && depth == 0)
			return i;
	}
	return len;
}

static int
add_group(rh__rsplit *sp, const char *session)
{
	rh__rgroup *g;

	if (sp->ngroups == sp->agroups) {
		size_t n = sp->agroups ? sp->agroups * 2 : 2;
		if (!(g = rh__realloc(sp->groups, n * sizeof(*g))))
			return RH_ENOMEM;
		sp->groups = g;
		sp->agroups = n;
	}
	g = &sp->groups[sp->ngroups];
	memset(g, 0, sizeof(*g));
	snprintf(g->session, sizeof(g->session), "%s", session);
	return (int)sp->ngroups++;
}

static int
group_of(rh__rsplit *sp, const char *session)
{
	size_t i;

	for (i = 0; i < sp->ngroups; i++)
		if (strcmp(sp->groups[i].session, session) == 0)
			return (int)i;
	return add_group(sp, session);
}

static int
add_elem(rh__rsplit *sp, size_t start, size_t end, int group)
{
	if (sp->nelems == sp->aelems) {
		size_t n = sp->aelems ? sp->aelems * 2 : 64;
		rh__relem *v = rh__realloc(sp->elems, n * sizeof(*v));
		if (!v)
			return RH_ENOMEM;
		sp->elems = v;
		sp->aelems = n;
	}
	sp->elems[sp->nelems].start = start;
	sp->elems[sp->nelems].end = end;
	sp->elems[sp->nelems].group = group;
	sp->nelems++;
	return 0;
}

/* The session an event names; "" for none. */
static int
elem_session(rh_receiver_reply *r, char *out, size_t cap, rh_buf *work,
             rh_json *j, const char *p, size_t len, size_t index)
{
	const char *err = NULL;
	rh_jv v;
	int error;

	rh_buf_clear(work);
	if ((error = rh_buf_put(work, p, len)) < 0)
		return error;
	if ((error = rh_json_parse(j, work->ptr, len, &err)) < 0) {
		if (error != RH_EINVAL)
			return error;
		return reply_set(r, 400, "element %zu is not JSON: %s", index,
		                 err);
	}
	if (rh_json_type(j, 0) != RH_J_OBJECT)
		return reply_set(r, 400, "element %zu is not a JSON object",
		                 index);
	v = rh_json_member(j, 0, "sessionName", 11);
	if (v == RH_JV_NONE)
		v = rh_json_member(j, 0, "session_name", 12);
	out[0] = '\0';
	if (v == RH_JV_NONE || rh_json_type(j, v) == RH_J_NULL)
		return 0;
	if (rh_json_type(j, v) != RH_J_STRING)
		return reply_set(r, 400,
		                 "element %zu: sessionName is not a string",
		                 index);
	if (rh_json_len(j, v) == 0)
		return 0;
	if (rh_json_len(j, v) >= cap ||
	    rh_layout_check_name("session", rh_json_str(j, v)) < 0) {
		rh_error_clear();
		return reply_set(r, 400,
		                 "element %zu: sessionName \"%.64s\" is "
		                 "not a valid session name",
		                 index, rh_json_str(j, v));
	}
	memcpy(out, rh_json_str(j, v), rh_json_len(j, v) + 1);
	return 0;
}

static int
count_cb(const rh_event *ev, void *payload)
{
	(void)ev;
	(void)payload;
	return 0;
}

/* What rh_events_ingest() will check again when the batch is shipped. */
static int
strict_parse(rh_receiver_reply *r, const void *body, size_t len)
{
	rh_event_parse_options po = RH_EVENT_PARSE_OPTIONS_INIT;
	int error;

	po.format = RH_EVENT_FORMAT_RAYEVENT;
	po.strict = 1;
	error = rh_event_parse(NULL, "body", body, len, &po, count_cb, NULL);
	if (error == RH_EINVAL)
		return reply_set(r, 400, "%s", rh_error_last());
	return error;
}

void
rh__rsplit_free(rh__rsplit *sp)
{
	size_t i;

	for (i = 0; i < sp->ngroups; i++)
		rh_buf_dispose(&sp->groups[i].body);
	free(sp->groups);
	free(sp->elems);
	memset(sp, 0, sizeof(*sp));
}

/* One body per session: the original bytes when there is only one. */
static int
build_groups(rh__rsplit *sp, const char *p)
{
	size_t i;
	int error;

	if (sp->ngroups <= 1)
		return 0;
	for (i = 0; i < sp->ngroups; i++)
		if ((error = rh_buf_put(&sp->groups[i].body, "[", 1)) < 0)
			return error;
	for (i = 0; i < sp->nelems; i++) {
		rh_buf *b = &sp->groups[sp->elems[i].group].body;
		if ((b->size > 1 && (error = rh_buf_put(b, ",", 1)) < 0) ||
		    (error = rh_buf_put(b, p + sp->elems[i].start,
		                        sp->elems[i].end -
		                                sp->elems[i].start)) < 0)
			return error;
	}
	for (i = 0; i < sp->ngroups; i++)
		if ((error = rh_buf_put(&sp->groups[i].body, "]", 1)) < 0)
			return error;
	return 0;
}

int
rh__receiver_split(rh__rsplit *sp, rh_receiver_reply *r, const void *body,
                   size_t len, size_t max_body)
{
	const char *p = body;
	rh_json j = { 0 };
	rh_buf work = RH_BUF_INIT;
	char session[256];
	size_t i = 0, index = 0;
	int error = 0, g;

	memset(sp, 0, sizeof(*sp));
	memset(r, 0, sizeof(*r));
	r->status = 200;
	if (!max_body)
		max_body = DEFAULT_MAX_BODY;
	if (len > max_body)
		return reply_set(r, 413,
		                 "body of %zu bytes is over the limit of "
		                 "%zu bytes",
		                 len, max_body);
	if (!body && len)
		return reply_set(r, 400, "no body");
	while (i < len && is_ws(p[i]))
		i++;
	if (i == len || p[i] != '[')
		return reply_set(r, 400, "not a JSON array of events");
	for (i++;;) {
		size_t s, e;
		while (i < len && is_ws(p[i]))
			i++;
		if (i < len && p[i] == ']' && index == 0) {
			i++;
			break; /* [] */
		}
		s = i;
		e = elem_end(p, i, len);
		if (e == len) {
			error = reply_set(r, 400,
			                  "the JSON array is not closed");
			goto done;
		}
		i = e + 1;
		while (e > s && is_ws(p[e - 1]))
			e--;
		if (e == s) {
			error = reply_set(r, 400, "element %zu is empty",
			                  index);
			goto done;
		}
		if ((error = elem_session(r, session, sizeof(session), &work,
		                          &j, p + s, e - s, index)) < 0)
			goto done;
		if ((g = group_of(sp, session)) < 0 ||
		    (error = add_elem(sp, s, e, g)) < 0) {
			error = g < 0 ? g : error;
			goto done;
		}
		index++;
		if (p[i - 1] == ']')
			break;
	}
	while (i < len && is_ws(p[i]))
		i++;
	if (i < len) {
		error = reply_set(r, 400, "bytes after the JSON array");
		goto done;
	}
	r->events = (unsigned)index;
	if ((error = strict_parse(r, body, len)) < 0 ||
	    (error = build_groups(sp, p)) < 0)
		goto done;
done:
	rh_json_dispose(&j);
	rh_buf_dispose(&work);
	if (error < 0)
		rh__rsplit_free(sp);
	return error;
}

RH_EXTERN int
rh_receiver_check(rh_receiver_reply *reply, const void *body, size_t len,
                  size_t max_body)
{
	rh__rsplit sp;
	int error = rh__receiver_split(&sp, reply, body, len, max_body);

	if (error == RH_ENOMEM)
		reply_set(reply, 500, "out of memory");
	rh__rsplit_free(&sp);
	return error;
}
