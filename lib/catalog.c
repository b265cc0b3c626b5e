/* catalog.c - listing what a store holds, level by level (catalog.h). */
#include "catalog_manifest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

struct level_ctx {
	size_t prefix_len;
	rh_catalog_name_cb cb;
	void *payload;
	rh_buf name;
	rh_buf dead; /* names of tombstones met, '\n'-separated */
};

/* Is NAME (len bytes) among the tombstoned names met so far? */
static int
tombstoned(const rh_buf *dead, const char *name, size_t len)
{
	const char *p = dead->ptr, *end = dead->ptr + dead->size;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl && (size_t)(nl - p) == len && !memcmp(p, name, len))
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Each listed common prefix "a/b/NAME/" yields NAME. Entries whose NAME is
 * not a valid name (a stray object, a temp file) are passed over, so a
 * damaged store still lists what it can. A session being deleted
 * ("NAME!deleting", listed just before "NAME/") is passed over too. */
static int
level_entry(const rh_store_entry *e, void *payload)
{
	static const char tomb[] = RH_LAYOUT_TOMBSTONE_SUFFIX;
	struct level_ctx *ctx = payload;
	const char *name = e->key + ctx->prefix_len;
	size_t len = strlen(name);
	int error;

	if (!e->is_prefix && len > sizeof(tomb) - 1 &&
	    !strcmp(name + len - (sizeof(tomb) - 1), tomb)) {
		if ((error = rh_buf_put(&ctx->dead, name,
		                        len - (sizeof(tomb) - 1))) < 0 ||
		    (error = rh_buf_puts(&ctx->dead, "\n")) < 0)
			return error;
		return 0;
	}
	if (!e->is_prefix || len < 2)
		return 0;
	if (ctx->dead.size && tombstoned(&ctx->dead, name, len - 1))
		return 0;
	rh_buf_clear(&ctx->name);
	if ((error = rh_buf_put(&ctx->name, name, len - 1)) < 0)
		return error;
	if (rh_layout_check_name("name", ctx->name.ptr) < 0 &&
	    rh_layout_check_node_id(ctx->name.ptr) < 0) {
		rh_error_clear();
		return 0;
	}
	return ctx->cb(ctx->name.ptr, ctx->payload);
}

static int
list_level(rh_store *st, const char *prefix, rh_catalog_name_cb cb,
           void *payload)
{
	struct level_ctx ctx = { strlen(prefix), cb, payload, RH_BUF_INIT,
		                 RH_BUF_INIT };
	int error = rh_store_list(st, prefix, "/", level_entry, &ctx);

	rh_buf_dispose(&ctx.name);
	rh_buf_dispose(&ctx.dead);
	return error;
}

RH_EXTERN int
rh_catalog_list_namespaces(rh_store *st, rh_catalog_name_cb cb, void *payload)
{
	return list_level(st, "", cb, payload);
}

RH_EXTERN int
rh_catalog_list_clusters(rh_store *st, const char *ns, rh_catalog_name_cb cb,
                         void *payload)
{
	rh_buf key = RH_BUF_INIT;
	int error;

	if ((error = rh_layout_ns_prefix(&key, ns)) == 0)
		error = list_level(st, key.ptr, cb, payload);
	rh_buf_dispose(&key);
	return error;
}

RH_EXTERN int
rh_catalog_list_sessions(rh_store *st, const char *ns, const char *cluster,
                         rh_catalog_name_cb cb, void *payload)
{
	rh_buf key = RH_BUF_INIT;
	int error;

	if ((error = rh_layout_cluster_prefix(&key, ns, cluster)) == 0)
		error = list_level(st, key.ptr, cb, payload);
	rh_buf_dispose(&key);
	return error;
}

RH_EXTERN int
rh_catalog_list_nodes(rh_store *st, const rh_session_ref *s,
                      rh_catalog_name_cb cb, void *payload)
{
	rh_buf key = RH_BUF_INIT;
	int error;

	if ((error = rh_layout_nodes_prefix(&key, s)) == 0)
		error = list_level(st, key.ptr, cb, payload);
	rh_buf_dispose(&key);
	return error;
}

struct resolve_ctx {
	const char *prefix;
	rh_buf *out;
	rh_buf all;
	int matches;
	int exact;
};

static int
resolve_entry(const char *name, void *payload)
{
	struct resolve_ctx *ctx = payload;
	int error;

	if (strncmp(name, ctx->prefix, strlen(ctx->prefix)) != 0)
		return 0;
	/* An exact id wins over ids it is a prefix of. */
	if (!strcmp(name, ctx->prefix)) {
		ctx->exact = 1;
		rh_buf_clear(ctx->out);
		return rh_buf_puts(ctx->out, name);
	}
	if (ctx->matches++ == 0 && !ctx->exact) {
		rh_buf_clear(ctx->out);
		if ((error = rh_buf_puts(ctx->out, name)) < 0)
			return error;
	}
	return rh_buf_printf(&ctx->all, "%s%s", ctx->all.size ? ", " : "",
	                     name);
}

RH_EXTERN int
rh_catalog_resolve_node(rh_buf *out, rh_store *st, const rh_session_ref *s,
                        const char *prefix)
{
	struct resolve_ctx ctx = { prefix, out, RH_BUF_INIT, 0, 0 };
	int error;

	if (rh_layout_check_node_id(prefix) < 0)
		return rh__error(RH_EINVAL,
		                 "node \"%.64s\" is not a hex node id "
		                 "or prefix",
		                 prefix);
	if ((error = rh_catalog_list_nodes(st, s, resolve_entry, &ctx)) < 0)
		goto done;
	if (ctx.exact)
		error = 0;
	else if (ctx.matches == 0)
		error = rh__error(RH_ENOTFOUND, "%s/%s/%s: no node %s", s->ns,
		                  s->cluster, s->session, prefix);
	else if (ctx.matches > 1)
		error = rh__error(RH_EINVAL,
		                  "node prefix %s is ambiguous: %.800s", prefix,
		                  ctx.all.ptr);
done:
	rh_buf_dispose(&ctx.all);
	return error;
}

RH_EXTERN int
rh_node_manifest_load(rh_node_manifest **out, rh_store *st,
                      const rh_session_ref *s, const char *node_id)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = rh_layout_node_manifest(&key, s, node_id)) < 0 ||
	    (error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX)) < 0)
		goto done;
	error = rh__manifest_parse(out, data.ptr ? data.ptr : "", data.size,
	                           key.ptr);
done:
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

/* A manifest as a frame cache keeps it, with the object's size and time
 * when it was read. */
struct shared_manifest {
	rh_node_manifest *m;
	uint64_t size;
	int64_t mtime_ms;
};

static void
shared_manifest_free(void *obj)
{
	struct shared_manifest *sm = obj;

	rh_node_manifest_free(sm->m);
	free(sm);
}

/* The cached copy if it is fresh: put less than fresh_ms ago, or still the
 * stored object's size and time. NULL (after a failed HEAD too: the caller
 * then loads it and reports what that finds) or the copy. */
static const rh_node_manifest *
cached_manifest(rh__frame_ref **ref, uint64_t *size, int64_t *mtime_ms,
                rh_frame_cache *cache, rh_store *st, const char *key,
                int64_t fresh_ms)
{
	struct shared_manifest *sm;
	int64_t born = 0;

	*size = 0;
	*mtime_ms = 0;
	sm = rh__frame_cache_obj_acquire(ref, &born, cache,
	                                 RH__CACHE_OBJ_MANIFEST, key, 0);
	if (sm && rh__mono_ms() - born < fresh_ms)
		return sm->m;
	if (rh_store_head(size, mtime_ms, st, key) < 0) {
		*size = 0;
		*mtime_ms = 0;
	} else if (sm && *mtime_ms && sm->size == *size &&
	           sm->mtime_ms == *mtime_ms) {
		return sm->m;
	}
	rh__frame_cache_release(cache, *ref);
	*ref = NULL;
	return NULL;
}

int
rh__manifest_load_shared(const rh_node_manifest **out, rh__frame_ref **ref,
                         rh_frame_cache *cache, rh_store *st,
                         const rh_session_ref *s, const char *node_id,
                         int64_t fresh_ms)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	struct shared_manifest *sm = NULL;
	rh_node_manifest *m = NULL;
	uint64_t size;
	int64_t mtime_ms;
	int error;

	*out = NULL;
	*ref = NULL;
	if (!cache) {
		error = rh_node_manifest_load(&m, st, s, node_id);
		*out = m;
		return error;
	}
	if ((error = rh_layout_node_manifest(&key, s, node_id)) < 0)
		goto done;
	if ((*out = cached_manifest(ref, &size, &mtime_ms, cache, st, key.ptr,
	                            fresh_ms)))
		goto done;
	/* as rh_node_manifest_load() */
	if ((error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX)) < 0 ||
	    (error = rh__manifest_parse(&m, data.ptr ? data.ptr : "", data.size,
	                                key.ptr)) < 0)
		goto done;
	*out = m;
	if (!mtime_ms || !(sm = malloc(sizeof(*sm))))
		goto done; /* cannot tell versions apart: not kept */
	sm->m = m;
	sm->size = size;
	sm->mtime_ms = mtime_ms;
	if (rh__frame_cache_obj_put(ref, cache, RH__CACHE_OBJ_MANIFEST, key.ptr,
	                            0, sm, sizeof(*sm) + 2 * data.size,
	                            shared_manifest_free, rh__mono_ms()) < 0)
		free(sm); /* best effort: m stays the caller's */
done:
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

void
rh__manifest_release(rh_frame_cache *cache, rh__frame_ref *ref,
                     const rh_node_manifest *m)
{
	if (ref)
		rh__frame_cache_release(cache, ref);
	else
		rh_node_manifest_free((rh_node_manifest *)m);
}

static void
copy_str(char *dst, size_t cap, json_object *o, const char *k)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(dst, cap, "%s", json_object_get_string(v));
}

static int64_t
get_ms(json_object *o, const char *k)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

RH_EXTERN int
rh_session_info_load(rh_session_info *out, rh_store *st,
                     const rh_session_ref *s)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	json_object *root = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = rh_layout_session_manifest(&key, s)) < 0 ||
	    (error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX)) < 0)
		goto done;
	if (!data.ptr || !(root = json_tokener_parse(data.ptr)) ||
	    !json_object_is_type(root, json_type_object)) {
		error = rh__error(RH_ECORRUPT, "%s: not a JSON object",
		                  key.ptr);
		goto done;
	}
	snprintf(out->ns, sizeof(out->ns), "%s", s->ns);
	snprintf(out->cluster, sizeof(out->cluster), "%s", s->cluster);
	snprintf(out->session, sizeof(out->session), "%s", s->session);
	copy_str(out->ray_version, sizeof(out->ray_version), root,
	         "ray_version");
	out->start_ms = get_ms(root, "start_ms");
	out->end_ms = get_ms(root, "end_ms");
	out->updated_ms = get_ms(root, "updated_ms");
	out->heartbeat_ms = get_ms(root, "heartbeat_ms");
	out->heartbeat_interval_ms = get_ms(root, "heartbeat_interval_ms");
	out->end_marked_ms = get_ms(root, "end_marked_ms");
	out->state = rh_session_state_at(out, rh__now_ms(), 0);
done:
	json_object_put(root);
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

RH_EXTERN rh_session_state
rh_session_state_at(const rh_session_info *info, int64_t now_ms,
                    int64_t stale_ms)
{
	int64_t every;

	if (!info)
		return RH_SESSION_UNKNOWN;
	if (info->end_ms > 0)
		return RH_SESSION_ENDED;
	if (info->heartbeat_ms <= 0)
		return RH_SESSION_UNKNOWN;
	if (stale_ms <= 0) {
		/* A few missed beats, plus slack for a slow store, before a
		 * head is declared dead. */
		every = info->heartbeat_interval_ms > 0 ?
		                info->heartbeat_interval_ms :
		                5000;
		stale_ms = RH_SESSION_STALE_FACTOR * every +
		           RH_SESSION_STALE_SLACK_MS;
	}
	return now_ms - info->heartbeat_ms > stale_ms ? RH_SESSION_ABANDONED :
	                                                RH_SESSION_LIVE;
}

RH_EXTERN const char *
rh_session_state_name(rh_session_state state)
{
	switch (state) {
	case RH_SESSION_LIVE: return "live";
	case RH_SESSION_ENDED: return "ended";
	case RH_SESSION_ABANDONED: return "abandoned";
	default: return "unknown";
	}
}
