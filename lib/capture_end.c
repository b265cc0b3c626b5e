/* capture_end.c - mark a stored session ended without capturing a node:
 * for a session whose events were imported as batches (rayhist-collect
 * --events --ended) and whose nodes' collectors will never mark it. The
 * mark is the one a head's capture writes (follow_ship.c: end_ms,
 * end_marked_ms in session.json), under the same rules: the end is when
 * the session last wrote, never before its start, and a later end already
 * there stays. */
#include "internal.h"
#include "layout_internal.h"

#include <json-c/json.h>

static void
set_int(json_object *root, const char *key, int64_t v)
{
	json_object_object_add(root, key, json_object_new_int64(v));
}

static void
set_str(json_object *root, const char *key, const char *v)
{
	json_object_object_add(root, key, json_object_new_string(v));
}

RH_EXTERN int
rh_capture_mark_ended(rh_store *st, const rh_session_ref *s, int64_t end_ms)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	json_object *root = NULL, *v;
	int64_t now = rh__now_ms(), start, old = 0;
	int error;

	if (!st || !s || !s->cluster || !s->session)
		return rh__error(RH_EINVAL,
		                 "rh_capture_mark_ended: NULL argument");
	if ((error = rh_layout_session_manifest(&key, s)) < 0)
		goto done;
	/* read-modify-write keeps what the collectors wrote (the Ray
	 * version, a heartbeat, their own end mark) */
	error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX);
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
	start = rh_layout__session_start_ms(s->session);
	set_int(root, "format", 1);
	set_str(root, "namespace", s->ns ? s->ns : RH_DEFAULT_NAMESPACE);
	set_str(root, "cluster", s->cluster);
	set_str(root, "session", s->session);
	set_int(root, "start_ms", start);
	set_int(root, "updated_ms", now);
	if (!json_object_object_get_ex(root, "ray_version", &v))
		set_str(root, "ray_version", "");
	if (json_object_object_get_ex(root, "end_ms", &v))
		old = json_object_get_int64(v);
	else
		set_int(root, "end_marked_ms", now);
	if (end_ms <= 0)
		end_ms = now; /* no time known: all we know */
	if (end_ms < start)
		end_ms = start;
	if (old > end_ms)
		end_ms = old;
	set_int(root, "end_ms", end_ms);
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
