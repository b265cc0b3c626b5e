/* capture_end.c - session.json, as every writer of it updates it
 * (rh__session_json_update: the follower's start, heartbeat and end
 * mark, a one-shot capture), and the end mark alone for a stored session
 * whose events were imported as batches (rayhist-collect --events
 * --ended) and whose nodes' collectors will never mark it. */
#include "internal.h"
#include "follow_internal.h"
#include "layout_internal.h"

#include <json-c/json.h>

/* The end mark: when the session last wrote (`end`; 0: unknown, so now),
 * never before its start, a later end already there kept; the time of
 * marking is kept apart, once. */
void
rh__session_json_end(json_object *root, const char *session, int64_t end,
                     int64_t now)
{
	int64_t start, old = 0;
	json_object *v;

	if (json_object_object_get_ex(root, "end_ms", &v))
		old = json_object_get_int64(v);
	else
		json_object_object_add(root, "end_marked_ms",
		                       json_object_new_int64(now));
	if (end <= 0)
		end = now; /* no time known: all we know */
	start = rh_layout__session_start_ms(session);
	if (end < start)
		end = start;
	if (old > end)
		end = old;
	json_object_object_add(root, "end_ms", json_object_new_int64(end));
}

int
rh__session_json_update(rh_store *st, const rh_session_ref *s, int only_if_none,
                        rh__session_json_edit edit, void *ctx)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	const char *ns = s->ns ? s->ns : RH_DEFAULT_NAMESPACE;
	json_object *root = NULL, *v;
	int64_t now = rh__now_ms();
	int error;

	if ((error = rh_layout_session_manifest(&key, s)) < 0)
		goto done;
	/* Read-modify-write keeps what others wrote (the Ray version, an
	 * import's fields, a heartbeat, an end mark). */
	error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX);
	if (error == 0 && only_if_none)
		goto done;
	if (error < 0 && error != RH_ENOTFOUND)
		goto done;
	if (error == 0 && data.ptr)
		root = json_tokener_parse(data.ptr);
	rh_error_clear();
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root); /* none, or damaged: written anew */
		if (!(root = json_object_new_object())) {
			error = rh__error(RH_ENOMEM, "out of memory");
			goto done;
		}
	}
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "namespace", json_object_new_string(ns));
	json_object_object_add(root, "cluster",
	                       json_object_new_string(s->cluster));
	json_object_object_add(root, "session",
	                       json_object_new_string(s->session));
	json_object_object_add(
		root, "start_ms",
		json_object_new_int64(rh_layout__session_start_ms(s->session)));
	json_object_object_add(root, "updated_ms", json_object_new_int64(now));
	if (!json_object_object_get_ex(root, "ray_version", &v))
		json_object_object_add(root, "ray_version",
		                       json_object_new_string(""));
	if (edit)
		edit(root, now, ctx);
	rh_buf_clear(&data);
	if ((error = rh_buf_puts(&data,
	                         json_object_to_json_string_ext(
					 root, JSON_C_TO_STRING_PLAIN))) < 0)
		goto done;
	error = rh_store_put(st, key.ptr, data.ptr, data.size);
done:
	json_object_put(root);
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

struct end_at {
	const char *session;
	int64_t end_ms;
};

static void
edit_end(json_object *root, int64_t now, void *ctx)
{
	const struct end_at *e = ctx;

	rh__session_json_end(root, e->session, e->end_ms, now);
}

RH_EXTERN int
rh_capture_mark_ended(rh_store *st, const rh_session_ref *s, int64_t end_ms)
{
	struct end_at e;

	if (!st || !s || !s->cluster || !s->session)
		return rh__error(RH_EINVAL,
		                 "rh_capture_mark_ended: NULL argument");
	e.session = s->session;
	e.end_ms = end_ms;
	return rh__session_json_update(st, s, 0, edit_end, &e);
}
