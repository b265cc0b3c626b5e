/* layout.c - the only place that names objects in a store (layout.h). */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>

#define PART_SUFFIX ".zst"
#define OFFSET_DIGITS 20

RH_EXTERN int
rh_layout_check_name(const char *what, const char *name)
{
	size_t i, n;

	if (!name || !*name)
		return rh__error(RH_EINVAL, "%s name is empty", what);
	n = strlen(name);
	if (n > 253)
		return rh__error(RH_EINVAL, "%s name is longer than 253 bytes", what);
	if (name[0] == '.')
		return rh__error(RH_EINVAL, "%s name \"%s\" starts with '.'",
				 what, name);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return rh__error(RH_EINVAL,
					 "%s name \"%.64s\" has a character "
					 "other than letters, digits, '.', '_', '-'",
					 what, name);
	}
	return 0;
}

RH_EXTERN int
rh_layout_check_node_id(const char *id)
{
	size_t i, n;

	if (!id || !*id)
		return rh__error(RH_EINVAL, "node id is empty");
	n = strlen(id);
	if (n > 128)
		return rh__error(RH_EINVAL, "node id is longer than 128 digits");
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return rh__error(RH_EINVAL,
					 "node id \"%.64s\" is not lower-case hex",
					 id);
	return 0;
}

RH_EXTERN int
rh_layout_check_path(const char *path)
{
	const char *p, *comp;

	if (!path || !*path)
		return rh__error(RH_EINVAL, "file path is empty");
	if (path[0] == '/')
		return rh__error(RH_EINVAL, "file path \"%.200s\" is absolute",
				 path);
	for (comp = p = path;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - comp);
			if (len == 0 || (len == 1 && comp[0] == '.') ||
			    (len == 2 && comp[0] == '.' && comp[1] == '.'))
				return rh__error(RH_EINVAL,
						 "file path \"%.200s\" has an empty, "
						 "'.' or '..' component", path);
			if (*p == '\0')
				break;
			comp = p + 1;
		} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			return rh__error(RH_EINVAL,
					 "file path has a control character");
		}
	}
	return 0;
}

static int
check_session(const rh_session_ref *s)
{
	int error;

	if (!s)
		return rh__error(RH_EINVAL, "no session given");
	if ((error = rh_layout_check_name("namespace", s->ns)) < 0 ||
	    (error = rh_layout_check_name("cluster", s->cluster)) < 0 ||
	    (error = rh_layout_check_name("session", s->session)) < 0)
		return error;
	return 0;
}

RH_EXTERN int
rh_layout_ns_prefix(rh_buf *out, const char *ns)
{
	int error;

	if ((error = rh_layout_check_name("namespace", ns)) < 0)
		return error;
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s/", ns);
}

RH_EXTERN int
rh_layout_cluster_prefix(rh_buf *out, const char *ns, const char *cluster)
{
	int error;

	if ((error = rh_layout_check_name("namespace", ns)) < 0 ||
	    (error = rh_layout_check_name("cluster", cluster)) < 0)
		return error;
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s/%s/", ns, cluster);
}

RH_EXTERN int
rh_layout_session_prefix(rh_buf *out, const rh_session_ref *s)
{
	int error;

	if ((error = check_session(s)) < 0)
		return error;
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s/%s/%s/", s->ns, s->cluster, s->session);
}

static int
session_key(rh_buf *out, const rh_session_ref *s, const char *rest)
{
	int error;

	if ((error = rh_layout_session_prefix(out, s)) < 0)
		return error;
	return rh_buf_puts(out, rest);
}

RH_EXTERN int
rh_layout_session_manifest(rh_buf *out, const rh_session_ref *s)
{
	return session_key(out, s, "session.json");
}

RH_EXTERN int
rh_layout_session_tombstone(rh_buf *out, const rh_session_ref *s)
{
	int error;

	if ((error = rh_layout_session_prefix(out, s)) < 0)
		return error;
	out->ptr[--out->size] = '\0';	/* the '/' */
	return rh_buf_puts(out, RH_LAYOUT_TOMBSTONE_SUFFIX);
}

RH_EXTERN int
rh_layout_nodes_prefix(rh_buf *out, const rh_session_ref *s)
{
	return session_key(out, s, "nodes/");
}

static int
node_key(rh_buf *out, const rh_session_ref *s, const char *node,
	 const char *rest)
{
	int error;

	if ((error = rh_layout_check_node_id(node)) < 0 ||
	    (error = rh_layout_session_prefix(out, s)) < 0)
		return error;
	return rh_buf_printf(out, "nodes/%s/%s", node, rest);
}

RH_EXTERN int
rh_layout_node_prefix(rh_buf *out, const rh_session_ref *s, const char *node)
{
	return node_key(out, s, node, "");
}

RH_EXTERN int
rh_layout_node_manifest(rh_buf *out, const rh_session_ref *s, const char *node)
{
	return node_key(out, s, node, "node.json");
}

RH_EXTERN int
rh_layout_files_prefix(rh_buf *out, const rh_session_ref *s, const char *node)
{
	return node_key(out, s, node, "files/");
}

RH_EXTERN int
rh_layout_file_part(rh_buf *out, const rh_session_ref *s, const char *node,
		    const char *path, uint64_t offset)
{
	int error;

	/* Parts are named by start offset, not upload time: a collector
	 * restarted after kill -9 re-sends its last part under the same name,
	 * replacing it instead of adding a duplicate. */
	if ((error = rh_layout_check_path(path)) < 0 ||
	    (error = node_key(out, s, node, "files/")) < 0)
		return error;
	return rh_buf_printf(out, "%s@%0*" PRIu64 PART_SUFFIX, path,
			     OFFSET_DIGITS, offset);
}

RH_EXTERN int
rh_layout_parse_part(rh_buf *path_out, uint64_t *offset_out, const char *rel)
{
	const char *at, *digits;
	size_t n = rel ? strlen(rel) : 0, slen = strlen(PART_SUFFIX);
	uint64_t off = 0;
	int i, error;

	if (n < 1 + 1 + OFFSET_DIGITS + slen ||
	    strcmp(rel + n - slen, PART_SUFFIX) != 0)
		return rh__error(RH_EINVAL, "\"%.200s\" is not a part name",
				 rel ? rel : "");
	digits = rel + n - slen - OFFSET_DIGITS;
	at = digits - 1;
	if (*at != '@')
		return rh__error(RH_EINVAL, "\"%.200s\" is not a part name", rel);
	for (i = 0; i < OFFSET_DIGITS; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return rh__error(RH_EINVAL,
					 "\"%.200s\" has a bad part offset", rel);
		if (off > (UINT64_MAX - (uint64_t)(digits[i] - '0')) / 10)
			return rh__error(RH_EINVAL,
					 "\"%.200s\" has a part offset too large",
					 rel);
		off = off * 10 + (uint64_t)(digits[i] - '0');
	}
	rh_buf_clear(path_out);
	if ((error = rh_buf_put(path_out, rel, (size_t)(at - rel))) < 0)
		return error;
	if ((error = rh_layout_check_path(path_out->ptr)) < 0)
		return error;
	*offset_out = off;
	return 0;
}

RH_EXTERN int
rh_layout_events_prefix(rh_buf *out, const rh_session_ref *s)
{
	return session_key(out, s, "events/");
}

RH_EXTERN int
rh_layout_event_batch(rh_buf *out, const rh_session_ref *s, const char *digest)
{
	int error;
	size_t i;

	if (!digest || !*digest || strlen(digest) > 128)
		return rh__error(RH_EINVAL, "event batch digest is empty or too long");
	for (i = 0; digest[i]; i++)
		if (!((digest[i] >= '0' && digest[i] <= '9') ||
		      (digest[i] >= 'a' && digest[i] <= 'f')))
			return rh__error(RH_EINVAL,
					 "event batch digest is not lower-case hex");
	if ((error = session_key(out, s, "events/")) < 0)
		return error;
	return rh_buf_printf(out, "%s.json.zst", digest);
}

RH_EXTERN int
rh_layout_index(rh_buf *out, const rh_session_ref *s)
{
	return session_key(out, s, "index/session.idx");
}
