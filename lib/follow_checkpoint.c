/* follow_checkpoint.c - a follower's state and its checkpoint file
 * (follow_internal.h).
 *
 * The checkpoint is JSON, small next to the logs it describes (one entry per
 * file, one array of four numbers per part), rewritten whole after each
 * commit by the temp + fsync + rename dance, so a reader after kill -9 sees
 * the previous or the next version, never a mix. It is also outside input:
 * a disk error or a hand edit can damage it, so parsing checks every
 * invariant the follower relies on and refuses the rest (RH_ECORRUPT). */
#include "follow_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include "jsonc.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- state --------------------------------------------------------------- */

int
rh__fstate_new(rh__fstate **out)
{
	*out = rh__calloc(1, sizeof(**out));
	return *out ? 0 : RH_ENOMEM;
}

void
rh__ffile_free(rh__ffile *f)
{
	if (!f)
		return;
	if (f->hold)
		close(f->hold - 1);
	free(f->path);
	free(f->obj);
	free(f->parts);
	free(f);
}

void
rh__fstate_free(rh__fstate *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nfiles; i++)
		rh__ffile_free(s->files[i]);
	for (i = 0; i < s->ndeletes; i++)
		free(s->deletes[i]);
	free(s->files);
	free(s->deletes);
	free(s->store_url);
	free(s->ns);
	free(s->cluster);
	free(s->session);
	free(s->node_id);
	free(s->node_ip);
	free(s);
}

static const char *
ffile_path(const void *files, size_t i)
{
	return ((rh__ffile *const *)files)[i]->path;
}

long
rh__fstate_find(const rh__fstate *s, const char *path)
{
	return rh__sorted_find(s->files, s->nfiles, path, ffile_path);
}

int
rh__fstate_insert(rh__fstate *s, rh__ffile *f)
{
	long at = rh__fstate_find(s, f->path);
	size_t pos;

	if (at >= 0)
		return rh__error(RH_EEXISTS, "%s: tracked twice", f->path);
	pos = (size_t)(-at - 1);
	if (s->nfiles == s->afiles) {
		size_t n = s->afiles ? s->afiles * 2 : 32;
		rh__ffile **p = rh__realloc(s->files, n * sizeof(*p));
		if (!p)
			return RH_ENOMEM;
		s->files = p;
		s->afiles = n;
	}
	memmove(&s->files[pos + 1], &s->files[pos],
	        (s->nfiles - pos) * sizeof(*s->files));
	s->files[pos] = f;
	s->nfiles++;
	return 0;
}

rh__ffile *
rh__fstate_take(rh__fstate *s, size_t i)
{
	rh__ffile *f = s->files[i];

	memmove(&s->files[i], &s->files[i + 1],
	        (s->nfiles - i - 1) * sizeof(*s->files));
	s->nfiles--;
	return f;
}

int
rh__fstate_add_delete(rh__fstate *s, const char *key)
{
	if (s->ndeletes == s->adeletes) {
		size_t n = s->adeletes ? s->adeletes * 2 : 16;
		char **p = rh__realloc(s->deletes, n * sizeof(*p));
		if (!p)
			return RH_ENOMEM;
		s->deletes = p;
		s->adeletes = n;
	}
	if (!(s->deletes[s->ndeletes] = rh__strdup(key)))
		return RH_ENOMEM;
	s->ndeletes++;
	return 0;
}

int
rh__fstate_obj_in_use(const rh__fstate *s, const char *obj)
{
	size_t i, n = strlen(obj);

	for (i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i]->obj, obj) == 0)
			return 1;
	/* A queued delete ".../files/OBJ@OFFSET.zst" still owns its name
	 * until it is done: a new generation under it would be deleted. */
	for (i = 0; i < s->ndeletes; i++) {
		const char *k = strstr(s->deletes[i], "/files/");
		const char *at = k ? strrchr(k, '@') : NULL;
		if (at && (size_t)(at - (k + 7)) == n &&
		    memcmp(k + 7, obj, n) == 0)
			return 1;
	}
	return 0;
}

int
rh__ffile_add_part(rh__ffile *f, const rh_file_part *p)
{
	if (f->nparts == f->aparts) {
		size_t n = f->aparts ? f->aparts * 2 : 4;
		rh_file_part *q = rh__realloc(f->parts, n * sizeof(*q));
		if (!q)
			return RH_ENOMEM;
		f->parts = q;
		f->aparts = n;
	}
	f->parts[f->nparts++] = *p;
	f->size = p->offset + p->length;
	f->stored += p->stored;
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void
add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

int
rh__checkpoint_serialize(rh_buf *out, const rh__fstate *s)
{
	json_object *root = json_object_new_object(), *files, *dels;
	size_t i, j;
	int error;

	if (!root)
		return rh__error(RH_ENOMEM,
		                 "out of memory building a checkpoint");
	add_u64(root, "format", RH_CHECKPOINT_FORMAT);
	add_str(root, "store", s->store_url);
	add_str(root, "namespace", s->ns);
	add_str(root, "cluster", s->cluster);
	add_str(root, "session", s->session);
	add_str(root, "node_id", s->node_id);
	add_str(root, "node_ip", s->node_ip);
	json_object_object_add(root, "is_head",
	                       json_object_new_boolean(s->is_head));
	add_u64(root, "seq", s->seq);
	files = json_object_new_array_ext((int)s->nfiles);
	json_object_object_add(root, "files", files);
	for (i = 0; i < s->nfiles; i++) {
		const rh__ffile *f = s->files[i];
		json_object *jf = json_object_new_object();
		json_object *parts = json_object_new_array_ext((int)f->nparts);

		add_str(jf, "path", f->path);
		add_str(jf, "object", f->obj);
		add_u64(jf, "dev", f->dev);
		add_u64(jf, "ino", f->ino);
		json_object_object_add(jf, "btime_ns",
		                       json_object_new_int64(f->btime_ns));
		add_u64(jf, "size", f->size);
		add_u64(jf, "seen", f->seen);
		json_object_object_add(jf, "mtime_ms",
		                       json_object_new_int64(f->mtime_ms));
		add_u64(jf, "head_hash", f->head_hash);
		add_u64(jf, "head_len", f->head_len);
		json_object_object_add(jf, "gone",
		                       json_object_new_boolean(f->gone));
		json_object_object_add(jf, "link",
		                       json_object_new_boolean(f->is_link));
		for (j = 0; j < f->nparts; j++) {
			json_object *jp = json_object_new_array_ext(4);
			json_object_array_add(
				jp, json_object_new_uint64(f->parts[j].offset));
			json_object_array_add(
				jp, json_object_new_uint64(f->parts[j].length));
			json_object_array_add(
				jp, json_object_new_uint64(f->parts[j].stored));
			json_object_array_add(
				jp,
				json_object_new_int64(f->parts[j].captured_ms));
			json_object_array_add(parts, jp);
		}
		json_object_object_add(jf, "parts", parts);
		json_object_array_add(files, jf);
	}
	dels = json_object_new_array_ext((int)s->ndeletes);
	json_object_object_add(root, "deletes", dels);
	for (i = 0; i < s->ndeletes; i++)
		json_object_array_add(dels,
		                      json_object_new_string(s->deletes[i]));
	rh_buf_clear(out);
	error = rh_buf_puts(
		out, json_object_to_json_string_ext(
			     root, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return error;
}

struct pctx {
	const char *name;
	rh__fstate *s;
};

static int
bad(const struct pctx *c, const char *what)
{
	return rh__error(RH_ECORRUPT, "%s: %s", c->name, what);
}

/* A non-negative integer (json-c keeps values above INT64_MAX unsigned). */
static int
num_u64(uint64_t *out, json_object *v)
{
	if (!v || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return -1;
	*out = json_object_get_uint64(v);
	return 0;
}

static int
get_u64(uint64_t *out, json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? num_u64(out, v) : -1;
}

static int
get_bool(int *out, json_object *o, const char *k)
{
	json_object *v = rh__jc_get(o, k, json_type_boolean);

	if (!v)
		return -1;
	*out = json_object_get_boolean(v);
	return 0;
}

static int
dup_field(char **out, const struct pctx *c, json_object *root, const char *k)
{
	const char *v = rh__jc_str(root, k);

	if (!v)
		return rh__error(RH_ECORRUPT, "%s: no \"%s\"", c->name, k);
	return (*out = rh__strdup(v)) ? 0 : RH_ENOMEM;
}

static int
parse_parts(rh__ffile *f, const struct pctx *c, json_object *parts)
{
	size_t j, n = json_object_array_length(parts);
	uint64_t expect = 0;
	int error;

	for (j = 0; j < n; j++) {
		json_object *jp = json_object_array_get_idx(parts, j);
		rh_file_part p;
		json_object *ms;

		if (!json_object_is_type(jp, json_type_array) ||
		    json_object_array_length(jp) != 4 ||
		    num_u64(&p.offset, json_object_array_get_idx(jp, 0)) < 0 ||
		    num_u64(&p.length, json_object_array_get_idx(jp, 1)) < 0 ||
		    num_u64(&p.stored, json_object_array_get_idx(jp, 2)) < 0 ||
		    !(ms = json_object_array_get_idx(jp, 3)) ||
		    !json_object_is_type(ms, json_type_int))
			return bad(
				c,
				"a part is not [offset, length, stored, ms]");
		p.captured_ms = json_object_get_int64(ms);
		/* Parts tile the file from 0, none empty, none overflowing. */
		if (p.offset != expect || p.length == 0 ||
		    p.length > UINT64_MAX - p.offset ||
		    p.stored > UINT64_MAX - f->stored)
			return rh__error(RH_ECORRUPT,
			                 "%s: %s: part at %llu does "
			                 "not follow the previous one",
			                 c->name, f->path,
			                 (unsigned long long)p.offset);
		expect = p.offset + p.length;
		if ((error = rh__ffile_add_part(f, &p)) < 0)
			return error;
	}
	return 0;
}

static int
parse_file(const struct pctx *c, json_object *jf)
{
	rh__ffile *f = NULL;
	json_object *parts;
	const char *path, *obj;
	uint64_t size = 0, head_len = 0, seen = 0;
	int64_t mtime = 0;
	int error;

	if (!json_object_is_type(jf, json_type_object) ||
	    !(path = rh__jc_str(jf, "path")) ||
	    rh_layout_check_path(path) < 0 ||
	    !(obj = rh__jc_str(jf, "object")) ||
	    rh_layout_check_path(obj) < 0) {
		rh_error_clear();
		return bad(c, "a file has a bad path or object");
	}
	if (!(f = rh__calloc(1, sizeof(*f))) || !(f->path = rh__strdup(path)) ||
	    !(f->obj = rh__strdup(obj))) {
		error = RH_ENOMEM;
		goto done;
	}
	{
		json_object *v;
		if (json_object_object_get_ex(jf, "mtime_ms", &v) &&
		    json_object_is_type(v, json_type_int))
			mtime = json_object_get_int64(v);
		else
			mtime = INT64_MIN;
		if (json_object_object_get_ex(jf, "btime_ns", &v) &&
		    json_object_is_type(v, json_type_int))
			f->btime_ns = json_object_get_int64(v);
		else
			mtime = INT64_MIN; /* missing: refused below */
	}
	if (get_u64(&f->dev, jf, "dev") < 0 ||
	    get_u64(&f->ino, jf, "ino") < 0 || get_u64(&size, jf, "size") < 0 ||
	    get_u64(&seen, jf, "seen") < 0 ||
	    get_u64(&f->head_hash, jf, "head_hash") < 0 ||
	    get_u64(&head_len, jf, "head_len") < 0 || mtime == INT64_MIN ||
	    get_bool(&f->gone, jf, "gone") < 0 ||
	    get_bool(&f->is_link, jf, "link") < 0 ||
	    !json_object_object_get_ex(jf, "parts", &parts) ||
	    !json_object_is_type(parts, json_type_array)) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: file %s: a field is missing "
		                  "or malformed",
		                  c->name, path);
		goto done;
	}
	f->mtime_ms = mtime;
	f->seen = seen;
	if ((error = parse_parts(f, c, parts)) < 0)
		goto done;
	if (f->size != size || head_len > RH_HEAD_LEN || head_len > size) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: file %s: size or head does "
		                  "not match its parts",
		                  c->name, path);
		goto done;
	}
	f->head_len = (uint32_t)head_len;
	if ((error = rh__fstate_insert(c->s, f)) < 0) {
		error = rh__error(RH_ECORRUPT, "%s: file %s is listed twice",
		                  c->name, path);
		goto done;
	}
	f = NULL;
done:
	rh__ffile_free(f);
	return error;
}

/* Only this node's part objects may be deleted on a checkpoint's word. */
static int
parse_deletes(const struct pctx *c, json_object *dels)
{
	rh_session_ref sref = { c->s->ns, c->s->cluster, c->s->session };
	rh_buf prefix = RH_BUF_INIT, path = RH_BUF_INIT;
	size_t i, n = json_object_array_length(dels);
	uint64_t off;
	int error = 0;

	if ((error = rh_layout_files_prefix(&prefix, &sref, c->s->node_id)) <
	    0) {
		error = bad(c, "bad names");
		goto done;
	}
	for (i = 0; i < n && !error; i++) {
		json_object *v = json_object_array_get_idx(dels, i);
		const char *k = json_object_is_type(v, json_type_string) ?
		                        json_object_get_string(v) :
		                        NULL;
		if (!k || strncmp(k, prefix.ptr, prefix.size) != 0 ||
		    rh_layout_parse_part(&path, &off, k + prefix.size) < 0) {
			rh_error_clear();
			error = bad(
				c,
				"a key to delete is not a part of this node");
		} else {
			error = rh__fstate_add_delete(c->s, k);
		}
	}
done:
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&path);
	return error;
}

static int
cmp_obj(const void *a, const void *b)
{
	return strcmp((*(rh__ffile *const *)a)->obj,
	              (*(rh__ffile *const *)b)->obj);
}

/* The entry of a duplicated object name, or NULL: two files naming their
 * parts alike would overwrite each other's. */
static const rh__ffile *
duplicate_obj(const rh__fstate *s)
{
	rh__ffile **v;
	const rh__ffile *dup = NULL;
	size_t i;

	if (s->nfiles < 2)
		return NULL;
	if (!(v = rh__malloc(s->nfiles * sizeof(*v))))
		return s->files[0]; /* cannot tell: refuse */
	memcpy(v, s->files, s->nfiles * sizeof(*v));
	qsort(v, s->nfiles, sizeof(*v), cmp_obj);
	for (i = 1; i < s->nfiles && !dup; i++)
		if (strcmp(v[i - 1]->obj, v[i]->obj) == 0)
			dup = v[i];
	free(v);
	return dup;
}

static int
parse_root(struct pctx *c, json_object *root)
{
	json_object *files, *dels;
	uint64_t format = 0;
	size_t i, n;
	int error;

	if (get_u64(&format, root, "format") < 0 ||
	    format != RH_CHECKPOINT_FORMAT)
		return bad(c, "unknown checkpoint format");
	if ((error = dup_field(&c->s->store_url, c, root, "store")) < 0 ||
	    (error = dup_field(&c->s->ns, c, root, "namespace")) < 0 ||
	    (error = dup_field(&c->s->cluster, c, root, "cluster")) < 0 ||
	    (error = dup_field(&c->s->session, c, root, "session")) < 0 ||
	    (error = dup_field(&c->s->node_id, c, root, "node_id")) < 0 ||
	    (error = dup_field(&c->s->node_ip, c, root, "node_ip")) < 0)
		return error;
	if (rh_layout_check_name("namespace", c->s->ns) < 0 ||
	    rh_layout_check_name("cluster", c->s->cluster) < 0 ||
	    rh_layout_check_name("session", c->s->session) < 0 ||
	    rh_layout_check_node_id(c->s->node_id) < 0) {
		rh_error_clear();
		return bad(c, "bad namespace, cluster, session or node id");
	}
	if (get_bool(&c->s->is_head, root, "is_head") < 0 ||
	    get_u64(&c->s->seq, root, "seq") < 0 ||
	    !json_object_object_get_ex(root, "files", &files) ||
	    !json_object_is_type(files, json_type_array) ||
	    !json_object_object_get_ex(root, "deletes", &dels) ||
	    !json_object_is_type(dels, json_type_array))
		return bad(c, "a field is missing or of the wrong type");
	n = json_object_array_length(files);
	for (i = 0; i < n; i++)
		if ((error = parse_file(
			     c, json_object_array_get_idx(files, i))) < 0)
			return error;
	{
		const rh__ffile *dup = duplicate_obj(c->s);
		if (dup)
			return rh__error(RH_ECORRUPT,
			                 "%s: object %s is used "
			                 "twice",
			                 c->name, dup->obj);
	}
	return parse_deletes(c, dels);
}

int
rh__checkpoint_parse(rh__fstate **out, const char *json, size_t len,
                     const char *name)
{
	json_tokener *tok = NULL;
	json_object *root = NULL;
	struct pctx c = { name, NULL };
	int error;

	*out = NULL;
	if (len > INT32_MAX)
		return rh__error(RH_ECORRUPT, "%s: checkpoint too large", name);
	if (!(tok = json_tokener_new()))
		return rh__error(RH_ENOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(root, json_type_object)) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: not a whole JSON object "
		                  "(a torn or damaged checkpoint)",
		                  name);
		goto done;
	}
	if ((error = rh__fstate_new(&c.s)) < 0 ||
	    (error = parse_root(&c, root)) < 0)
		goto done;
	*out = c.s, c.s = NULL;
done:
	rh__fstate_free(c.s);
	json_object_put(root);
	json_tokener_free(tok);
	return error;
}

/* ---- files --------------------------------------------------------------- */

int
rh__fid_get(rh__fid *out, int fd, const char *path, int follow)
{
	struct stat sb;

	memset(out, 0, sizeof(*out));
#ifdef STATX_BTIME
	{
		struct statx sx;
		int flags = path ? (follow ? 0 : AT_SYMLINK_NOFOLLOW) :
		                   AT_EMPTY_PATH;

		if (statx(path ? AT_FDCWD : fd, path ? path : "", flags,
		          STATX_BASIC_STATS | STATX_BTIME, &sx) == 0) {
			out->dev = (uint64_t)makedev(sx.stx_dev_major,
			                             sx.stx_dev_minor);
			out->ino = sx.stx_ino;
			out->size = sx.stx_size;
			out->mode = sx.stx_mode;
			out->mtime_ms = (int64_t)sx.stx_mtime.tv_sec * 1000 +
			                sx.stx_mtime.tv_nsec / 1000000;
			if (sx.stx_mask & STATX_BTIME)
				out->btime_ns = (int64_t)sx.stx_btime.tv_sec *
				                        1000000000 +
				                sx.stx_btime.tv_nsec;
			return 0;
		}
		if (errno != ENOSYS)
			return -1;
	}
#endif
	if ((path ? (follow ? stat(path, &sb) : lstat(path, &sb)) :
	            fstat(fd, &sb)) < 0)
		return -1;
	out->dev = (uint64_t)sb.st_dev;
	out->ino = (uint64_t)sb.st_ino;
	out->size = (uint64_t)sb.st_size;
	out->mode = sb.st_mode;
	out->mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
	                sb.st_mtim.tv_nsec / 1000000;
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rh__write_file_atomic(const char *dir, const char *name, const void *data,
                      size_t len)
{
	char tmp[4096], dst[4096];
	int fd = -1, dfd = -1, error = 0;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >=
	            (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst))
		return rh__error(RH_EINVAL, "%s: path too long", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
	            0 ||
	    write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		error = rh__error(RH_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = rh__error(RH_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, dst) < 0) {
		error = rh__error(RH_EIO, "%s: %s", dst, strerror(errno));
		goto done;
	}
	/* The rename is durable only once the directory is. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) < 0)
		error = rh__error(RH_EIO, "%s: %s", dir, strerror(errno));
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return error;
}

int
rh__checkpoint_write(const char *dir, const char *name, const rh__fstate *s)
{
	rh_buf text = RH_BUF_INIT;
	int error;

	if ((error = rh__checkpoint_serialize(&text, s)) == 0)
		error = rh__write_file_atomic(dir, name, text.ptr, text.size);
	rh_buf_dispose(&text);
	return error;
}

int
rh__checkpoint_read(rh__fstate **out, const char *dir, const char *name)
{
	char path[4096];
	rh_buf text = RH_BUF_INIT;
	struct stat sb;
	ssize_t n;
	int fd, error = 0;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return rh__error(RH_EINVAL, "%s: path too long", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rh__error(errno == ENOENT ? RH_ENOTFOUND : RH_EIO,
		                 "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		error = rh__error(RH_EIO, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (sb.st_size > (1 << 30)) {
		error = rh__error(RH_ECORRUPT, "%s: implausibly large", path);
		goto done;
	}
	if ((error = rh_buf_grow(&text, (size_t)sb.st_size + 1)) < 0)
		goto done;
	while ((n = read(fd, text.ptr + text.size,
	                 text.asize - text.size - 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EIO, "%s: %s", path,
			                  strerror(errno));
			goto done;
		}
		text.size += (size_t)n;
		if (text.size + 1 >= text.asize &&
		    (error = rh_buf_grow(&text, text.asize * 2)) < 0)
			goto done;
	}
	text.ptr[text.size] = '\0';
	error = rh__checkpoint_parse(out, text.ptr, text.size, path);
done:
	close(fd);
	rh_buf_dispose(&text);
	return error;
}

/* ---- to and from a node manifest ------------------------------------------ */

int
rh__fstate_to_manifest(rh_node_manifest **out, const rh__fstate *s)
{
	rh_node_manifest *m = NULL;
	rh__mfile *mf;
	size_t i, j;
	int error;

	*out = NULL;
	if ((error = rh__manifest_new(&m, s->node_id)) < 0 ||
	    (error = rh__manifest_set(&m->node_ip, s->node_ip)) < 0)
		goto done;
	m->is_head = s->is_head;
	m->captured_ms = rh__now_ms();
	for (i = 0; i < s->nfiles; i++) {
		const rh__ffile *f = s->files[i];

		if ((error = rh__manifest_file(&mf, m, f->path)) < 0)
			goto done;
		for (j = 0; j < f->nparts; j++)
			if ((error = rh__manifest_add_part(mf, &f->parts[j])) <
			    0)
				goto done;
		mf->info.mtime_ms = f->mtime_ms;
		mf->head_hash = f->head_hash;
		mf->head_len = f->head_len;
		if (strcmp(f->obj, f->path) != 0 &&
		    !(mf->object = rh__strdup(f->obj))) {
			error = RH_ENOMEM;
			goto done;
		}
	}
	*out = m, m = NULL;
done:
	rh_node_manifest_free(m);
	return error;
}

int
rh__fstate_adopt_manifest(rh__fstate *s, const rh_node_manifest *m)
{
	size_t i, j;
	int error;

	for (i = 0; i < m->nfiles; i++) {
		const rh__mfile *mf = &m->files[i];
		rh__ffile *f;

		if (!(f = rh__calloc(1, sizeof(*f))) ||
		    !(f->path = rh__strdup(mf->info.path)) ||
		    !(f->obj = rh__strdup(rh__mfile_object(mf)))) {
			rh__ffile_free(f);
			return RH_ENOMEM;
		}
		for (j = 0; j < mf->info.nparts; j++)
			if ((error = rh__ffile_add_part(
				     f, &mf->info.parts[j])) < 0) {
				rh__ffile_free(f);
				return error;
			}
		f->head_hash = mf->head_hash;
		f->head_len = mf->head_len <= f->size ? mf->head_len : 0;
		f->mtime_ms = mf->info.mtime_ms;
		f->seen = f->size;
		if ((error = rh__fstate_insert(s, f)) < 0) {
			rh__ffile_free(f);
			return error;
		}
	}
	/* A damaged manifest naming one object twice: forget those files,
	 * they ship anew under fresh names. */
	for (;;) {
		const rh__ffile *dup = duplicate_obj(s);
		long at;
		if (!dup)
			break;
		at = rh__fstate_find(s, dup->path);
		rh__ffile_free(rh__fstate_take(s, (size_t)at));
	}
	return 0;
}
