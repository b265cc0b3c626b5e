/* jsonc.h - typed member lookups on json-c objects, for the readers of
 * rayhist's own JSON files (node manifests, checkpoints, session.json):
 * a member that is missing or of another type reads as absent. */
#ifndef RH_UTIL_JSONC_H
#define RH_UTIL_JSONC_H

#include <json-c/json.h>

/* o's member k when it is of type t, else NULL. */
static inline json_object *
rh__jc_get(json_object *o, const char *k, json_type t)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* o's string member k, or NULL. */
static inline const char *
rh__jc_str(json_object *o, const char *k)
{
	json_object *v = rh__jc_get(o, k, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

#endif
