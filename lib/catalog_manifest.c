/* catalog_manifest.c - node manifests: in-memory form and JSON (catalog_manifest.h). */
#include "catalog_manifest.h"

#include <json-c/json.h>
#include "jsonc.h"
#include <inttypes.h>
#include <time.h>

int
rh__manifest_set(char **field, const char *value)
{
	char *copy = rh__strdup(value ? value : "");

	if (!copy)
		return RH_ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int
rh__manifest_new(rh_node_manifest **out, const char *node_id)
{
	rh_node_manifest *m;

	*out = NULL;
	if (!(m = rh__calloc(1, sizeof(*m))))
		return RH_ENOMEM;
	if (rh__manifest_set(&m->node_id, node_id) < 0 ||
	    rh__manifest_set(&m->node_ip, "") < 0 ||
	    rh__manifest_set(&m->hostname, "") < 0) {
		rh_node_manifest_free(m);
		return RH_ENOMEM;
	}
	*out = m;
	return 0;
}

RH_EXTERN void
rh_node_manifest_free(rh_node_manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nfiles; i++) {
		free((char *)m->files[i].info.path);
		free((rh_file_part *)m->files[i].info.parts);
		free(m->files[i].object);
	}
	for (i = 0; i < m->nskipped; i++) {
		free(m->skipped[i].path);
		free(m->skipped[i].why);
	}
	free(m->files);
	free(m->skipped);
	free(m->node_id);
	free(m->node_ip);
	free(m->hostname);
	free(m);
}

static const char *
mfile_path(const void *files, size_t i)
{
	return ((const rh__mfile *)files)[i].info.path;
}

/* Index of `path`, or where it would go (negative - 1). */
static long
find_file(const rh_node_manifest *m, const char *path)
{
	return rh__sorted_find(m->files, m->nfiles, path, mfile_path);
}

int
rh__manifest_file(rh__mfile **out, rh_node_manifest *m, const char *path)
{
	long at = find_file(m, path);
	size_t pos;
	char *copy;

	if (at >= 0) {
		*out = &m->files[at];
		return 0;
	}
	pos = (size_t)(-at - 1);
	if (m->nfiles == m->afiles) {
		size_t n = m->afiles ? m->afiles * 2 : 16;
		rh__mfile *f = rh__realloc(m->files, n * sizeof(*f));
		if (!f)
			return RH_ENOMEM;
		m->files = f;
		m->afiles = n;
	}
	if (!(copy = rh__strdup(path)))
		return RH_ENOMEM;
	memmove(&m->files[pos + 1], &m->files[pos],
	        (m->nfiles - pos) * sizeof(*m->files));
	memset(&m->files[pos], 0, sizeof(*m->files));
	m->files[pos].info.path = copy;
	m->nfiles++;
	*out = &m->files[pos];
	return 0;
}

void
rh__manifest_drop_unstored(rh_node_manifest *m, const char *path)
{
	long at = find_file(m, path);
	rh__mfile *f;

	if (at < 0 || m->files[at].info.nparts)
		return;
	f = &m->files[at];
	free((char *)f->info.path);
	free((rh_file_part *)f->info.parts);
	free(f->object);
	memmove(f, f + 1, (m->nfiles - (size_t)at - 1) * sizeof(*f));
	m->nfiles--;
}

void
rh__manifest_file_reset(rh__mfile *f)
{
	f->info.nparts = 0;
	f->info.size = f->info.stored = 0;
	f->head_hash = 0;
	f->head_len = 0;
}

int
rh__manifest_add_part(rh__mfile *f, const rh_file_part *part)
{
	rh_file_part *parts = (rh_file_part *)f->info.parts;

	if (f->info.nparts == f->aparts) {
		size_t n = f->aparts ? f->aparts * 2 : 4;
		if (!(parts = rh__realloc(parts, n * sizeof(*parts))))
			return RH_ENOMEM;
		f->aparts = n;
		f->info.parts = parts;
	}
	parts[f->info.nparts++] = *part;
	f->info.size = part->offset + part->length;
	f->info.stored += part->stored;
	return 0;
}

int
rh__manifest_add_skip(rh_node_manifest *m, const char *path, const char *why,
                      int not_stored)
{
	if (m->nskipped == m->askipped) {
		size_t n = m->askipped ? m->askipped * 2 : 8;
		rh__skip *s = rh__realloc(m->skipped, n * sizeof(*s));
		if (!s)
			return RH_ENOMEM;
		m->skipped = s;
		m->askipped = n;
	}
	m->skipped[m->nskipped].path = rh__strdup(path);
	m->skipped[m->nskipped].why = rh__strdup(why);
	m->skipped[m->nskipped].not_stored = not_stored;
	if (!m->skipped[m->nskipped].path || !m->skipped[m->nskipped].why) {
		free(m->skipped[m->nskipped].path);
		free(m->skipped[m->nskipped].why);
		return RH_ENOMEM;
	}
	m->nskipped++;
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static int
add_u64(json_object *o, const char *k, uint64_t v)
{
	return json_object_object_add(o, k, json_object_new_uint64(v));
}

static int
add_i64(json_object *o, const char *k, int64_t v)
{
	return json_object_object_add(o, k, json_object_new_int64(v));
}

int
rh__manifest_serialize(rh_buf *out, const rh_node_manifest *m)
{
	json_object *root = json_object_new_object(), *files, *skipped;
	size_t i, j;
	int error = 0;

	if (!root)
		return rh__error(RH_ENOMEM, "out of memory building manifest");
	add_i64(root, "format", RH_MANIFEST_FORMAT);
	json_object_object_add(root, "node_id",
	                       json_object_new_string(m->node_id));
	json_object_object_add(root, "node_ip",
	                       json_object_new_string(m->node_ip));
	json_object_object_add(root, "hostname",
	                       json_object_new_string(m->hostname));
	json_object_object_add(root, "is_head",
	                       json_object_new_boolean(m->is_head));
	add_i64(root, "captured_ms", m->captured_ms);
	files = json_object_new_array_ext((int)m->nfiles);
	json_object_object_add(root, "files", files);
	for (i = 0; i < m->nfiles; i++) {
		const rh__mfile *f = &m->files[i];
		json_object *jf = json_object_new_object();
		json_object *parts =
			json_object_new_array_ext((int)f->info.nparts);

		json_object_object_add(jf, "path",
		                       json_object_new_string(f->info.path));
		if (f->object)
			json_object_object_add(
				jf, "object",
				json_object_new_string(f->object));
		add_u64(jf, "size", f->info.size);
		add_u64(jf, "stored", f->info.stored);
		add_i64(jf, "mtime_ms", f->info.mtime_ms);
		add_u64(jf, "head_hash", f->head_hash);
		add_u64(jf, "head_len", f->head_len);
		for (j = 0; j < f->info.nparts; j++) {
			const rh_file_part *p = &f->info.parts[j];
			json_object *jp = json_object_new_object();
			add_u64(jp, "offset", p->offset);
			add_u64(jp, "length", p->length);
			add_u64(jp, "stored", p->stored);
			add_i64(jp, "captured_ms", p->captured_ms);
			json_object_array_add(parts, jp);
		}
		json_object_object_add(jf, "parts", parts);
		json_object_array_add(files, jf);
	}
	skipped = json_object_new_array_ext((int)m->nskipped);
	json_object_object_add(root, "skipped", skipped);
	for (i = 0; i < m->nskipped; i++) {
		json_object *js = json_object_new_object();
		json_object_object_add(
			js, "path", json_object_new_string(m->skipped[i].path));
		json_object_object_add(
			js, "why", json_object_new_string(m->skipped[i].why));
		if (m->skipped[i].not_stored)
			json_object_object_add(js, "not_stored",
			                       json_object_new_boolean(1));
		json_object_array_add(skipped, js);
	}
	rh_buf_clear(out);
	error = rh_buf_puts(
		out, json_object_to_json_string_ext(
			     root, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return error;
}

static int
get_u64(uint64_t *out, json_object *o, const char *k)
{
	json_object *v = rh__jc_get(o, k, json_type_int);

	if (!v)
		return -1;
	*out = json_object_get_uint64(v);
	return 0;
}

static int
get_i64(int64_t *out, json_object *o, const char *k)
{
	json_object *v = rh__jc_get(o, k, json_type_int);

	if (!v)
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static int
parse_file(rh_node_manifest *m, json_object *jf, const char *name)
{
	const char *path = rh__jc_str(jf, "path"), *obj;
	json_object *parts;
	rh__mfile *f;
	uint64_t head_len = 0, expect = 0;
	size_t j, n;
	int error;

	if (!path || rh_layout_check_path(path) < 0)
		return rh__error(RH_ECORRUPT, "%s: a file entry has a bad path",
		                 name);
	if ((error = rh__manifest_file(&f, m, path)) < 0)
		return error;
	if (f->info.nparts)
		return rh__error(RH_ECORRUPT, "%s: file %s is listed twice",
		                 name, path);
	if (get_i64(&f->info.mtime_ms, jf, "mtime_ms") < 0 ||
	    get_u64(&f->head_hash, jf, "head_hash") < 0 ||
	    get_u64(&head_len, jf, "head_len") < 0 ||
	    !json_object_object_get_ex(jf, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array))
		return rh__error(RH_ECORRUPT, "%s: file %s lacks a field", name,
		                 path);
	f->head_len = (uint32_t)head_len;
	if ((obj = rh__jc_str(jf, "object")) && strcmp(obj, path) != 0) {
		if (rh_layout_check_path(obj) < 0)
			return rh__error(RH_ECORRUPT,
			                 "%s: file %s has a bad "
			                 "object name",
			                 name, path);
		if (!(f->object = rh__strdup(obj)))
			return RH_ENOMEM;
	}
	n = json_object_array_length(parts);
	for (j = 0; j < n; j++) {
		json_object *jp = json_object_array_get_idx(parts, j);
		rh_file_part p;
		if (get_u64(&p.offset, jp, "offset") < 0 ||
		    get_u64(&p.length, jp, "length") < 0 ||
		    get_u64(&p.stored, jp, "stored") < 0 ||
		    get_i64(&p.captured_ms, jp, "captured_ms") < 0)
			return rh__error(RH_ECORRUPT,
			                 "%s: file %s has a bad part", name,
			                 path);
		/* Parts must tile the file from 0 without gaps or overlaps. */
		if (p.offset != expect || p.length > UINT64_MAX - p.offset)
			return rh__error(RH_ECORRUPT,
			                 "%s: file %s part at %" PRIu64
			                 " does not follow the previous one",
			                 name, path, p.offset);
		expect = p.offset + p.length;
		if ((error = rh__manifest_add_part(f, &p)) < 0)
			return error;
	}
	return 0;
}

int
rh__manifest_parse(rh_node_manifest **out, const char *json, size_t len,
                   const char *name)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = NULL, *files, *skipped;
	rh_node_manifest *m = NULL;
	const char *s;
	int64_t format = 0;
	size_t i, n;
	int error = 0;

	*out = NULL;
	if (!tok)
		return rh__error(RH_ENOMEM, "out of memory");
	if (len > INT32_MAX)
		error = rh__error(RH_ECORRUPT, "%s: manifest too large", name);
	else if (!(root = json_tokener_parse_ex(tok, json, (int)len)) ||
	         !json_object_is_type(root, json_type_object))
		error = rh__error(RH_ECORRUPT, "%s: not a JSON object", name);
	if (error < 0)
		goto done;
	if (get_i64(&format, root, "format") < 0 ||
	    format != RH_MANIFEST_FORMAT) {
		error = rh__error(RH_ECORRUPT, "%s: unknown manifest format",
		                  name);
		goto done;
	}
	if (!(s = rh__jc_str(root, "node_id")) ||
	    rh_layout_check_node_id(s) < 0) {
		error = rh__error(RH_ECORRUPT, "%s: bad node_id", name);
		goto done;
	}
	if ((error = rh__manifest_new(&m, s)) < 0)
		goto done;
	if ((s = rh__jc_str(root, "node_ip")) &&
	    (error = rh__manifest_set(&m->node_ip, s)) < 0)
		goto done;
	if ((s = rh__jc_str(root, "hostname")) &&
	    (error = rh__manifest_set(&m->hostname, s)) < 0)
		goto done;
	{
		json_object *v;
		if (json_object_object_get_ex(root, "is_head", &v))
			m->is_head = json_object_get_boolean(v);
	}
	get_i64(&m->captured_ms, root, "captured_ms");
	if (!json_object_object_get_ex(root, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		error = rh__error(RH_ECORRUPT, "%s: no files array", name);
		goto done;
	}
	n = json_object_array_length(files);
	for (i = 0; i < n; i++)
		if ((error = parse_file(m, json_object_array_get_idx(files, i),
		                        name)) < 0)
			goto done;
	if (json_object_object_get_ex(root, "skipped", &skipped) &&
	    json_object_is_type(skipped, json_type_array)) {
		n = json_object_array_length(skipped);
		for (i = 0; i < n; i++) {
			json_object *js = json_object_array_get_idx(skipped, i);
			const char *p = rh__jc_str(js, "path"),
				   *w = rh__jc_str(js, "why");
			json_object *ns;
			int failed = json_object_object_get_ex(js, "not_stored",
			                                       &ns) &&
			             json_object_get_boolean(ns);
			if (p && w &&
			    (error = rh__manifest_add_skip(m, p, w, failed)) <
			            0)
				goto done;
		}
	}
	*out = m, m = NULL;
done:
	json_object_put(root);
	json_tokener_free(tok);
	rh_node_manifest_free(m);
	return error;
}

/* ---- public read-only accessors ------------------------------------------ */

RH_EXTERN const char *
rh_node_manifest_node_id(const rh_node_manifest *m)
{
	return m->node_id;
}

RH_EXTERN const char *
rh_node_manifest_ip(const rh_node_manifest *m)
{
	return m->node_ip;
}

RH_EXTERN int
rh_node_manifest_is_head(const rh_node_manifest *m)
{
	return m->is_head;
}

RH_EXTERN int64_t
rh_node_manifest_captured_ms(const rh_node_manifest *m)
{
	return m->captured_ms;
}

RH_EXTERN size_t
rh_node_manifest_file_count(const rh_node_manifest *m)
{
	return m->nfiles;
}

RH_EXTERN const rh_file_info *
rh_node_manifest_file(const rh_node_manifest *m, size_t i)
{
	return i < m->nfiles ? &m->files[i].info : NULL;
}

RH_EXTERN int
rh_catalog_display_path(rh_buf *out, const char *path, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)path;
	size_t n = strlen(path), i, k;
	int error = 0;

	rh_buf_clear(out);
	if ((error = rh_buf_grow(out, n + 1)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i += k) {
		k = rh__utf8_len(p + i, n - i);
		if (k == 0 || ((flags & RH_DISPLAY_CONTROL) &&
		               (p[i] < 0x20 || p[i] == 0x7f))) {
			error = rh_buf_printf(out, "\\x%02x", p[i]);
			k = 1;
		} else {
			error = rh_buf_put(out, path + i, k);
		}
	}
	return error;
}

/* Undo rh_catalog_display_path(): "\xHH" to its byte. 1 if anything was
 * undone, 0 if not, <0 on error. */
static int
undisplay(char **out, const char *path)
{
	size_t n = strlen(path), i, o = 0;
	char *s;

	if (!strstr(path, "\\x"))
		return 0;
	if (!(s = rh__malloc(n + 1)))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		int hi, lo;
		if (path[i] == '\\' && path[i + 1] == 'x' &&
		    (hi = rh__hexval((unsigned char)path[i + 2])) >= 0 &&
		    (lo = rh__hexval((unsigned char)path[i + 3])) >= 0 &&
		    (hi || lo)) {
			s[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			s[o++] = path[i];
		}
	}
	s[o] = '\0';
	*out = s;
	return 1;
}

RH_EXTERN const rh_file_info *
rh_node_manifest_find(const rh_node_manifest *m, const char *path)
{
	long at = find_file(m, path);
	char *raw = NULL;

	/* An exact name always wins over the escaped form of another. */
	if (at < 0 && undisplay(&raw, path) > 0) {
		at = find_file(m, raw);
		free(raw);
	}
	return at >= 0 ? &m->files[at].info : NULL;
}
