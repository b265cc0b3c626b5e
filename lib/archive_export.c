/* archive_export.c - a stored session as one archive (archive.h).
 *
 * libarchive writes the archive through a callback, and every file is
 * read from the store and handed to it a chunk at a time, so memory holds
 * one chunk and libarchive's block, whatever the session's size: the same
 * function serves a file on disk, stdout and an HTTP download. */
#include "internal.h"
#include "catalog_manifest.h"

#include <rayhist/archive.h>
#include <rayhist/catalog.h>

#include <archive.h>
#include <archive_entry.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#define CHUNK (1u << 20)
#define EXPORT_DIR "rayhist-export"

struct exp {
	rh_store *st;
	const rh_session_ref *s;
	const rh_export_options *o;
	rh_export_write_cb write;
	void *payload;
	struct archive *a;
	int cb_error; /* what the writer callback returned */
	char **nodes;
	size_t nnodes, anodes;
	json_object *mnodes; /* the manifest's "nodes" */
	uint64_t files, bytes, events;
	rh_buf buf, name;
};

static int
ns_len(const char *s, size_t n)
{
	return (int)(n > 0 && s ? n : 0);
}

static la_ssize_t
on_write(struct archive *a, void *payload, const void *data, size_t len)
{
	struct exp *x = payload;
	int error;

	(void)a;
	if ((error = x->write(data, len, x->payload)) < 0) {
		x->cb_error = error;
		return -1;
	}
	return (la_ssize_t)len;
}

/* A libarchive failure as an rh error (the writer's own code if it was
 * the callback that failed). */
static int
ar_fail(struct exp *x, const char *what)
{
	if (x->cb_error)
		return x->cb_error;
	return rh__error(RH_EIO, "export: %s: %s", what,
	                 archive_error_string(x->a) ?
	                         archive_error_string(x->a) :
	                         "failed");
}

static int
add_node(const char *name, void *payload)
{
	struct exp *x = payload;

	if (x->o->node_id && strcmp(name, x->o->node_id))
		return 0;
	if (x->nnodes == x->anodes) {
		size_t n = x->anodes ? x->anodes * 2 : 8;
		char **nn = realloc(x->nodes, n * sizeof(*nn));
		if (!nn)
			return RH_ENOMEM;
		x->nodes = nn;
		x->anodes = n;
	}
	if (!(x->nodes[x->nnodes] = strdup(name)))
		return RH_ENOMEM;
	x->nnodes++;
	return 0;
}

static int
header(struct exp *x, const char *path, uint64_t size, int64_t mtime_ms)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return RH_ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	if (mtime_ms > 0)
		archive_entry_set_mtime(e, mtime_ms / 1000,
		                        (long)(mtime_ms % 1000) * 1000000);
	r = archive_write_header(x->a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? ar_fail(x, path) : 0;
}

static int
data(struct exp *x, const void *p, size_t len)
{
	if (len && archive_write_data(x->a, p, len) < 0)
		return ar_fail(x, "data");
	return 0;
}

static int
one_file(struct exp *x, const rh_node_manifest *m, const rh_file_info *fi,
         const char *node)
{
	rh_logfile *lf = NULL;
	uint64_t size, off;
	int error;

	if (x->o->prefix &&
	    strncmp(fi->path, x->o->prefix, strlen(x->o->prefix)))
		return 0;
	if ((error = rh_logfile_open_manifest(&lf, x->st, x->s, m, fi->path)) <
	    0)
		return error;
	size = rh_logfile_size(lf);
	if (x->o->at_ms) {
		size = rh_logfile_size_at(lf, x->o->at_ms);
		/* Not captured yet at that instant. */
		if (size == 0 && fi->nparts &&
		    fi->parts[0].captured_ms > x->o->at_ms)
			goto done;
	}
	rh_buf_clear(&x->name);
	if ((error = rh_buf_printf(&x->name, "%s/%s/%s", node, x->s->session,
	                           fi->path)) < 0 ||
	    (error = header(x, x->name.ptr, size, fi->mtime_ms)) < 0)
		goto done;
	for (off = 0; off < size;) {
		size_t want = size - off > CHUNK ? CHUNK : (size_t)(size - off);
		rh_buf_clear(&x->buf);
		if ((error = rh_logfile_read(&x->buf, lf, off, want)) < 0)
			goto done;
		if (x->buf.size == 0) {
			error = rh__error(RH_ECORRUPT,
			                  "export: %s: ends at %" PRIu64
			                  " of %" PRIu64 " bytes",
			                  fi->path, off, size);
			goto done;
		}
		if ((error = data(x, x->buf.ptr, x->buf.size)) < 0)
			goto done;
		off += x->buf.size;
	}
	x->files++;
	x->bytes += size;
done:
	rh_logfile_close(lf);
	return error;
}

static int
one_node(struct exp *x, const char *node)
{
	rh_node_manifest *m = NULL;
	json_object *jn;
	size_t i, n;
	uint64_t files = x->files;
	int error;

	if ((error = rh_node_manifest_load(&m, x->st, x->s, node)) < 0)
		return error;
	n = rh_node_manifest_file_count(m);
	for (i = 0; i < n && error == 0; i++)
		error = one_file(x, m, rh_node_manifest_file(m, i), node);
	if (error == 0 && (jn = json_object_new_object())) {
		json_object_object_add(jn, "node_id",
		                       json_object_new_string(node));
		json_object_object_add(
			jn, "node_ip",
			json_object_new_string(rh_node_manifest_ip(m)));
		json_object_object_add(
			jn, "is_head",
			json_object_new_boolean(rh_node_manifest_is_head(m)));
		json_object_object_add(
			jn, "files",
			json_object_new_int64((int64_t)(x->files - files)));
		json_object_array_add(x->mnodes, jn);
	}
	rh_node_manifest_free(m);
	return error;
}

struct evlist {
	char **keys;
	size_t n, a;
};

static int
on_event(const rh_store_entry *ent, void *payload)
{
	struct evlist *l = payload;

	if (ent->is_prefix)
		return 0;
	if (l->n == l->a) {
		size_t n = l->a ? l->a * 2 : 64;
		char **nk = realloc(l->keys, n * sizeof(*nk));
		if (!nk)
			return RH_ENOMEM;
		l->keys = nk;
		l->a = n;
	}
	if (!(l->keys[l->n] = strdup(ent->key)))
		return RH_ENOMEM;
	l->n++;
	return 0;
}

/* The event batches, as stored (already zstd: each is read whole, they are
 * bounded by the receiver's body limit). */
static int
events(struct exp *x)
{
	struct evlist l = { NULL, 0, 0 };
	rh_buf prefix = RH_BUF_INIT;
	size_t i;
	int error;

	if ((error = rh_layout_events_prefix(&prefix, x->s)) < 0 ||
	    (error = rh_store_list(x->st, prefix.ptr, "/", on_event, &l)) < 0)
		goto done;
	for (i = 0; i < l.n && error == 0; i++) {
		const char *base = l.keys[i] + prefix.size;
		int64_t mtime = 0;
		uint64_t size;
		rh_buf_clear(&x->buf);
		rh_buf_clear(&x->name);
		if ((error = rh_store_head(&size, &mtime, x->st, l.keys[i])) <
		            0 ||
		    (error = rh_store_get(&x->buf, x->st, l.keys[i], 0,
		                          SIZE_MAX)) < 0 ||
		    (error = rh_buf_printf(&x->name, EXPORT_DIR "/%s/events/%s",
		                           x->s->session, base)) < 0 ||
		    (error = header(x, x->name.ptr, x->buf.size, mtime)) < 0 ||
		    (error = data(x, x->buf.ptr, x->buf.size)) < 0)
			break;
		x->events++;
	}
done:
	for (i = 0; i < l.n; i++)
		free(l.keys[i]);
	free(l.keys);
	rh_buf_dispose(&prefix);
	return error;
}

static int
manifest(struct exp *x)
{
	json_object *root = json_object_new_object();
	const char *text;
	int error;

	if (!root)
		return RH_ENOMEM;
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "namespace",
	                       json_object_new_string(x->s->ns));
	json_object_object_add(root, "cluster",
	                       json_object_new_string(x->s->cluster));
	json_object_object_add(root, "session",
	                       json_object_new_string(x->s->session));
	if (x->o->prefix)
		json_object_object_add(root, "prefix",
		                       json_object_new_string(x->o->prefix));
	if (x->o->at_ms)
		json_object_object_add(root, "at_ms",
		                       json_object_new_int64(x->o->at_ms));
	json_object_object_add(root, "files",
	                       json_object_new_int64((int64_t)x->files));
	json_object_object_add(root, "bytes",
	                       json_object_new_int64((int64_t)x->bytes));
	json_object_object_add(root, "event_batches",
	                       json_object_new_int64((int64_t)x->events));
	json_object_object_add(root, "nodes", json_object_get(x->mnodes));
	text = json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((error = header(x, EXPORT_DIR "/manifest.json", strlen(text),
	                    rh__now_ms())) == 0)
		error = data(x, text, strlen(text));
	json_object_put(root);
	return error;
}

RH_EXTERN int
rh_export_format_parse(rh_export_format *out, const char *s)
{
	if (!s)
		return rh__error(RH_EINVAL, "export: no format");
	if (!strcmp(s, "tar.zst") || !strcmp(s, "tzst"))
		*out = RH_EXPORT_TAR_ZST;
	else if (!strcmp(s, "tar.gz") || !strcmp(s, "tgz"))
		*out = RH_EXPORT_TAR_GZ;
	else if (!strcmp(s, "zip"))
		*out = RH_EXPORT_ZIP;
	else
		return rh__error(RH_EINVAL,
		                 "export: unknown format \"%s\" (tar.zst, "
		                 "tar.gz or zip)",
		                 s);
	return 0;
}

RH_EXTERN int
rh_export_format_from_name(rh_export_format *out, const char *name)
{
	static const char *const ext[] = { ".tar.zst", ".tzst", ".tar.gz",
		                           ".tgz", ".zip" };
	size_t i, n = name ? strlen(name) : 0;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);
		if (n > e && !strcmp(name + n - e, ext[i]))
			return rh_export_format_parse(out, ext[i] + 1);
	}
	return rh__error(RH_EINVAL,
	                 "export: \"%.*s\" does not end in .tar.zst, "
	                 ".tar.gz or .zip (or give the format)",
	                 ns_len(name, n), name ? name : "");
}

static int
open_writer(struct exp *x)
{
	char lvl[32];
	int r = ARCHIVE_OK;

	if (!(x->a = archive_write_new()))
		return RH_ENOMEM;
	switch (x->o->format) {
	case RH_EXPORT_TAR_ZST:
	case RH_EXPORT_TAR_GZ:
		/* pax keeps mtimes to the ns and any name, byte for byte. */
		r = archive_write_set_format_pax(x->a);
		if (r == ARCHIVE_OK)
			r = x->o->format == RH_EXPORT_TAR_ZST ?
			            archive_write_add_filter_zstd(x->a) :
			            archive_write_add_filter_gzip(x->a);
		if (r == ARCHIVE_OK && x->o->level) {
			snprintf(lvl, sizeof(lvl), "%d", x->o->level);
			r = archive_write_set_filter_option(
				x->a, NULL, "compression-level", lvl);
		}
		break;
	case RH_EXPORT_ZIP:
		r = archive_write_set_format_zip(x->a);
		if (r == ARCHIVE_OK && x->o->level) {
			snprintf(lvl, sizeof(lvl), "%d",
			         x->o->level > 9 ? 9 : x->o->level);
			r = archive_write_set_format_option(
				x->a, "zip", "compression-level", lvl);
		}
		break;
	default:
		return rh__error(RH_EINVAL, "export: unknown format %d",
		                 (int)x->o->format);
	}
	if (r != ARCHIVE_OK)
		return ar_fail(x, "format");
	/* libarchive pads the compressed stream to whole 10 KiB blocks, as
	 * tape drives wanted; zstd -d takes the padding for a bad frame. */
	archive_write_set_bytes_in_last_block(x->a, 1);
	if (archive_write_open2(x->a, x, NULL, on_write, NULL, NULL) !=
	    ARCHIVE_OK)
		return ar_fail(x, "open");
	return 0;
}

RH_EXTERN int
rh_archive_export(rh_store *st, const rh_session_ref *s,
                  const rh_export_options *opts, rh_export_write_cb write,
                  void *payload)
{
	struct exp x;
	size_t i;
	int error;

	if (!st || !s || !opts || !write ||
	    opts->version != RH_EXPORT_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "export: missing store, session, "
		                            "options or writer");
	memset(&x, 0, sizeof(x));
	x.st = st;
	x.s = s;
	x.o = opts;
	x.write = write;
	x.payload = payload;
	if ((error = rh_catalog_list_nodes(st, s, add_node, &x)) < 0)
		goto done;
	if (x.nnodes == 0) {
		error = opts->node_id ?
		                rh__error(RH_ENOTFOUND,
		                          "export: no node %s in %s/%s/%s",
		                          opts->node_id, s->ns, s->cluster,
		                          s->session) :
		                rh__error(RH_ENOTFOUND,
		                          "export: no session %s/%s/%s", s->ns,
		                          s->cluster, s->session);
		goto done;
	}
	if (!(x.mnodes = json_object_new_array())) {
		error = RH_ENOMEM;
		goto done;
	}
	if ((error = open_writer(&x)) < 0)
		goto done;
	for (i = 0; i < x.nnodes && error == 0; i++)
		error = one_node(&x, x.nodes[i]);
	if (error == 0 && !opts->prefix)
		error = events(&x);
	if (error == 0)
		error = manifest(&x);
	if (error == 0 && archive_write_close(x.a) != ARCHIVE_OK)
		error = ar_fail(&x, "close");
done:
	if (x.a)
		archive_write_free(x.a);
	for (i = 0; i < x.nnodes; i++)
		free(x.nodes[i]);
	free(x.nodes);
	json_object_put(x.mnodes);
	rh_buf_dispose(&x.buf);
	rh_buf_dispose(&x.name);
	return error;
}
