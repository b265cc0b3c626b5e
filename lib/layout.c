/* layout.c - the only place that names objects in a store (layout.h). */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layout_internal.h"
#include "sha256.h"

#define PART_SUFFIX ".zst"
#define OFFSET_DIGITS 20
/* Parts of a file whose name is mapped (escaped or hashed) end in ".m.zst":
 * a plain part name ends in a digit before ".zst", so the two never meet. */
#define MAPPED_SUFFIX ".m.zst"
#define KEY_MAX 1024      /* S3's key limit, and the store's */
#define COMPONENT_MAX 255 /* NAME_MAX of a file:// store */
/* A plain name's last component with "@OFFSET.zst" fits in NAME_MAX. */
#define PLAIN_LAST_MAX (COMPONENT_MAX - 1 - OFFSET_DIGITS - 4)
/* A mapped component longer than this is cut to its first ESC_KEEP bytes
 * (so it stays recognizable) plus "%~" and the SHA-256 of the whole. */
#define ESC_MAX 200
#define ESC_KEEP 120
#define EXT_KEEP 16           /* and its extension, this long at most */
#define TMP_COMPONENT ".tmp-" /* refused by the file:// store */

RH_EXTERN int
rh_layout_check_name(const char *what, const char *name)
{
	size_t i, n;

	if (!name || !*name)
		return rh__error(RH_EINVAL, "%s name is empty", what);
	n = strlen(name);
	if (n > 253)
		return rh__error(RH_EINVAL, "%s name is longer than 253 bytes",
		                 what);
	if (name[0] == '.')
		return rh__error(RH_EINVAL, "%s name \"%s\" starts with '.'",
		                 what, name);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return rh__error(
				RH_EINVAL,
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
		return rh__error(RH_EINVAL,
		                 "node id is longer than 128 digits");
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return rh__error(
				RH_EINVAL,
				"node id \"%.64s\" is not lower-case hex", id);
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
				return rh__error(
					RH_EINVAL,
					"file path \"%.200s\" has an empty, "
					"'.' or '..' component",
					path);
			if (*p == '\0')
				break;
			comp = p + 1;
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
	out->ptr[--out->size] = '\0'; /* the '/' */
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

/* ---- file names to object names ---------------------------------------- */

/* Whether `path` is stored under its own bytes: the names older versions
 * stored (no control bytes, and short enough for a file:// store and S3),
 * so their stores read the same; today also only UTF-8 names, which every
 * S3 accepts. `prefix_len` is the key's length before the path. */
static int
is_plain(const char *path, size_t prefix_len)
{
	const unsigned char *p = (const unsigned char *)path;
	size_t n = strlen(path), i = 0, comp = 0, k;

	if (prefix_len + n + 1 + OFFSET_DIGITS + strlen(PART_SUFFIX) > KEY_MAX)
		return 0;
	while (i <= n) {
		if (i == n || p[i] == '/') {
			size_t len = i - comp;
			if (len > (i == n ? PLAIN_LAST_MAX : COMPONENT_MAX) ||
			    !strncmp(path + comp, TMP_COMPONENT,
			             strlen(TMP_COMPONENT)))
				return 0;
			comp = ++i;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    !(k = rh__utf8_len(p + i, n - i)))
			return 0;
		i += k;
	}
	return 1;
}

static int
put_hash(rh_buf *out, const void *data, size_t len)
{
	rh_sha256 h;
	unsigned char d[32];
	char hex[65];

	rh__sha256_init(&h);
	rh__sha256_update(&h, data, len);
	rh__sha256_final(&h, d);
	rh__sha256_hex(hex, d);
	return rh_buf_printf(out, "%%~%s", hex);
}

/* Append component c[0..n) escaped: control bytes, '%', a leading '.' and
 * bytes outside valid UTF-8 as %XX; when that is longer than ESC_MAX, its
 * first characters, the hash of the whole and its extension. */
static int
put_component(rh_buf *out, const char *c, size_t n)
{
	const unsigned char *p = (const unsigned char *)c;
	size_t start = out->size, i, k, cut;
	char extbuf[EXT_KEEP + 1] = "";
	const char *ext;
	int error = 0;

	for (i = 0; i < n && error == 0; i += k) {
		k = rh__utf8_len(p + i, n - i);
		if (k == 0 || p[i] < 0x20 || p[i] == 0x7f || p[i] == '%' ||
		    (i == 0 && p[i] == '.')) {
			error = rh_buf_printf(out, "%%%02X", p[i]);
			k = 1;
		} else {
			error = rh_buf_put(out, c + i, k);
		}
	}
	if (error < 0 || out->size - start <= ESC_MAX)
		return error;
	/* Keep the extension too (".log"), so the name still says its kind. */
	ext = memrchr(out->ptr + start + 1, '.', out->size - start - 1);
	if (ext && (size_t)(out->ptr + out->size - ext) <= EXT_KEEP)
		snprintf(extbuf, sizeof(extbuf), "%s", ext);
	/* Cut at a whole character: an escape is 3 bytes, the rest UTF-8. */
	for (cut = start; cut < out->size; cut += k) {
		k = out->ptr[cut] == '%' ?
		            3 :
		            rh__utf8_len((unsigned char *)out->ptr + cut,
		                         out->size - cut);
		if (k == 0) /* cannot be: the escaped text is UTF-8 */
			k = 1;
		if (cut + k - start > ESC_KEEP)
			break;
	}
	out->size = cut;
	out->ptr[cut] = '\0';
	if ((error = put_hash(out, c, n)) < 0)
		return error;
	return rh_buf_puts(out, extbuf);
}

/* The mapped form of `path`: every component escaped (put_component); if
 * the key would still pass KEY_MAX, "%~HASH/" and the last component. */
static int
put_mapped(rh_buf *out, const char *path)
{
	size_t start = out->size, n = strlen(path), comp = 0, i;
	const char *last = strrchr(path, '/');
	int error = 0;

	for (i = 0; i <= n && error == 0; i++) {
		if (i < n && path[i] != '/')
			continue;
		if (comp && (error = rh_buf_put(out, "/", 1)) < 0)
			break;
		error = put_component(out, path + comp, i - comp);
		comp = i + 1;
	}
	if (error < 0)
		return error;
	if (out->size + 1 + OFFSET_DIGITS + strlen(MAPPED_SUFFIX) <= KEY_MAX)
		return 0;
	out->size = start;
	last = last ? last + 1 : path;
	if ((error = put_hash(out, path, n)) < 0 ||
	    (error = rh_buf_put(out, "/", 1)) < 0 ||
	    (error = put_component(out, last, strlen(last))) < 0)
		return error;
	if (out->size + 1 + OFFSET_DIGITS + strlen(MAPPED_SUFFIX) > KEY_MAX)
		return rh__error(RH_EINVAL,
		                 "no object name of %zu bytes or "
		                 "fewer fits this session's prefix",
		                 (size_t)KEY_MAX);
	return 0;
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
	if (is_plain(path, out->size))
		return rh_buf_printf(out, "%s@%0*" PRIu64 PART_SUFFIX, path,
		                     OFFSET_DIGITS, offset);
	/* Any other name a node can hold gets an object name of its own. */
	if ((error = put_mapped(out, path)) < 0)
		return error;
	return rh_buf_printf(out, "@%0*" PRIu64 MAPPED_SUFFIX, OFFSET_DIGITS,
	                     offset);
}

int
rh_layout__legacy_part(rh_buf *out, const rh_session_ref *s, const char *node,
                       const char *path, uint64_t offset)
{
	size_t i;
	int error;

	if ((error = rh_layout_check_path(path)) < 0 ||
	    (error = node_key(out, s, node, "files/")) < 0)
		return error;
	if (is_plain(path, out->size))
		return RH_ENOTFOUND; /* the same name as today */
	for (i = 0; path[i]; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return RH_ENOTFOUND; /* never stored before */
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

	if (n >= strlen(MAPPED_SUFFIX) &&
	    !strcmp(rel + n - strlen(MAPPED_SUFFIX), MAPPED_SUFFIX))
		slen = strlen(MAPPED_SUFFIX);
	if (n < 1 + 1 + OFFSET_DIGITS + slen ||
	    strcmp(rel + n - slen,
	           slen == strlen(PART_SUFFIX) ? PART_SUFFIX : MAPPED_SUFFIX) !=
	            0)
		return rh__error(RH_EINVAL, "\"%.200s\" is not a part name",
		                 rel ? rel : "");
	digits = rel + n - slen - OFFSET_DIGITS;
	at = digits - 1;
	if (*at != '@')
		return rh__error(RH_EINVAL, "\"%.200s\" is not a part name",
		                 rel);
	for (i = 0; i < OFFSET_DIGITS; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return rh__error(RH_EINVAL,
			                 "\"%.200s\" has a bad part offset",
			                 rel);
		if (off > (UINT64_MAX - (uint64_t)(digits[i] - '0')) / 10)
			return rh__error(
				RH_EINVAL,
				"\"%.200s\" has a part offset too large", rel);
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
		return rh__error(RH_EINVAL,
		                 "event batch digest is empty or too long");
	for (i = 0; digest[i]; i++)
		if (!((digest[i] >= '0' && digest[i] <= '9') ||
		      (digest[i] >= 'a' && digest[i] <= 'f')))
			return rh__error(
				RH_EINVAL,
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

/* ---- generation marks ---------------------------------------------------- */

int
rh_layout__marks_prefix(rh_buf *out, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (!n || prefix[n - 1] != '/')
		return rh__error(RH_EINVAL,
		                 "session prefix \"%s\" does not end "
		                 "in '/'",
		                 prefix ? prefix : "(null)");
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s" RH_LAYOUT__MARKS, prefix);
}

static int
check_mark_part(const char *what, const char *s, size_t max, int hex_only)
{
	size_t i, n = s ? strlen(s) : 0;

	if (!n || n > max)
		return rh__error(RH_EINVAL,
		                 "mark %s is empty or longer than %zu "
		                 "bytes",
		                 what, max);
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f') ||
		      (!hex_only &&
		       ((s[i] >= 'g' && s[i] <= 'z') || s[i] == '-'))))
			return rh__error(RH_EINVAL,
			                 "mark %s \"%.64s\" has a character "
			                 "other than %s",
			                 what, s,
			                 hex_only ? "lower-case hex" :
			                            "[a-z0-9-]");
	return 0;
}

int
rh_layout__mark(rh_buf *out, const char *prefix, const char *writer,
                const char *gen)
{
	int error;

	if ((error = check_mark_part("writer", writer, 160, 0)) < 0 ||
	    (error = check_mark_part("generation", gen, 64, 1)) < 0 ||
	    (error = rh_layout__marks_prefix(out, prefix)) < 0)
		return error;
	return rh_buf_printf(out, "%s@%s", writer, gen);
}

int64_t
rh_layout__session_start_ms(const char *name)
{
	struct tm tm;
	int us = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(name, "session_%4d-%2d-%2d_%2d-%2d-%2d_%6d", &tm.tm_year,
	           &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	           &us) != 7)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + us / 1000;
}
