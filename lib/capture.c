/* capture.c - one-shot capture of a Ray session directory (capture.h).
 *
 * Walks the directory in name order, ships every regular file's new bytes
 * as an append part, then writes the node manifest and the session
 * manifest. Parts go first: a manifest never lists a part that is not
 * stored, and a capture cut short is simply redone by the next run, which
 * rewrites the same part names. */
#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEAD_HASH_LEN 4096
#define READ_CHUNK (1u << 20)

struct capture {
	rh_store *st;
	const rh_capture_options *opts;
	rh_capture_stats *stats;
	rh_session_ref sref;
	char root[PATH_MAX];
	rh_node_manifest *m;
	rh_seekable_options sopts;
	unsigned workers;        /* for files of several frames */
	unsigned char *chunk;
	rh_buf out, key;
};

static void
report(struct capture *c, rh_capture_event ev, const char *path,
       const char *detail)
{
	if (c->opts->report)
		c->opts->report(ev, path, detail, c->opts->payload);
}

static int
skip(struct capture *c, const char *rel, const char *why)
{
	c->stats->files_skipped++;
	report(c, RH_CAPTURE_FILE_SKIPPED, rel, why);
	return rh__manifest_add_skip(c->m, rel, why);
}

static int
read_node_ip(struct capture *c)
{
	char path[PATH_MAX + 32];
	json_object *root, *v;
	int error = 0;

	snprintf(path, sizeof(path), "%s/node_ip_address.json", c->root);
	if (!(root = json_object_from_file(path)))
		return 0; /* optional: older Ray versions do not write it */
	if (json_object_object_get_ex(root, "node_ip_address", &v) &&
	    json_object_is_type(v, json_type_string))
		error = rh__manifest_set(&c->m->node_ip, json_object_get_string(v));
	json_object_put(root);
	return error;
}

static int
exists(const char *root, const char *rel)
{
	char path[PATH_MAX + 64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return lstat(path, &sb) == 0;
}

/* ---- one file ------------------------------------------------------------ */

static int
delete_parts(struct capture *c, const rh__mfile *f)
{
	size_t i;
	int error;

	for (i = 0; i < f->info.nparts; i++) {
		if (f->info.parts[i].offset == 0)
			continue; /* rewritten in place by the new first part */
		if ((error = rh_layout_file_part(&c->key, &c->sref, c->m->node_id,
						 rh__mfile_object(f),
						 f->info.parts[i].offset)) < 0 ||
		    (error = rh_store_delete(c->st, c->key.ptr)) < 0)
			return error;
	}
	return 0;
}

/* Ship bytes from `offset` to EOF of fd as one part. */
static int
ship_part(struct capture *c, rh__mfile *f, int fd, uint64_t offset,
	  const char *rel)
{
	rh_seekable_writer *sw = NULL;
	rh_store_writer *w = NULL;
	rh_file_part part = { offset, 0, 0, 0 };
	rh_seekable_options sopts = c->sopts;
	struct stat sb;
	ssize_t n;
	int error;

	/* Threads pay off only for several frames; a session has thousands of
	 * small files that one thread compresses faster than it starts two. */
	if (fstat(fd, &sb) == 0 &&
	    (uint64_t)sb.st_size > offset + 2 * (uint64_t)sopts.frame_size)
		sopts.workers = c->workers;
	/* A file that a follower saw move keeps naming parts by its first
	 * path (rh__mfile.object). */
	if ((error = rh_layout_file_part(&c->key, &c->sref, c->m->node_id,
					 rh__mfile_object(f), offset)) < 0 ||
	    (error = rh_seekable_writer_new(&sw, &sopts)) < 0 ||
	    (error = rh_store_writer_open(&w, c->st, c->key.ptr)) < 0)
		goto done;
	for (;;) {
		n = pread(fd, c->chunk, READ_CHUNK, (off_t)(offset + part.length));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EIO, "%s: read: %s", rel, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		part.length += (uint64_t)n;
		rh_buf_clear(&c->out);
		if ((error = rh_seekable_writer_write(sw, c->chunk, (size_t)n,
						      &c->out)) < 0 ||
		    (error = rh_store_writer_write(w, c->out.ptr, c->out.size)) < 0)
			goto done;
	}
	if (part.length == 0)
		goto done; /* it shrank to the old size meanwhile: nothing new */
	rh_buf_clear(&c->out);
	if ((error = rh_seekable_writer_finish(sw, &c->out)) < 0 ||
	    (error = rh_store_writer_write(w, c->out.ptr, c->out.size)) < 0)
		goto done;
	part.stored = rh_store_writer_size(w);
	error = rh_store_writer_commit(w);
	w = NULL;
	if (error < 0)
		goto done;
	part.captured_ms = rh__now_ms();
	if ((error = rh__manifest_add_part(f, &part)) < 0)
		goto done;
	c->stats->parts_written++;
	c->stats->bytes_new += part.length;
	c->stats->bytes_stored += part.stored;
done:
	rh_store_writer_abort(w);
	rh_seekable_writer_free(sw);
	return error;
}

static int
capture_file(struct capture *c, const char *rel, const char *full)
{
	unsigned char head[HEAD_HASH_LEN];
	struct stat sb;
	rh__mfile *f;
	ssize_t hn;
	uint64_t old_size;
	int fd, error, replaced = 0;
	char detail[64];

	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
		return rh__error(RH_EIO, "%s: %s", rel, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		error = rh__error(RH_EIO, "%s: %s", rel, strerror(errno));
		goto done;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((error = rh__manifest_file(&f, c->m, rel)) < 0)
		goto done;
	c->stats->files_seen++;
	if ((hn = pread(fd, head, sizeof(head), 0)) < 0) {
		error = rh__error(RH_EIO, "%s: read: %s", rel, strerror(errno));
		goto done;
	}
	old_size = f->info.size;
	/* A file that shrank, or whose first bytes differ from what was
	 * shipped, is a new file under an old name (rotation, a restarted
	 * process): its old parts no longer describe it. */
	if (old_size > 0 &&
	    ((uint64_t)sb.st_size < old_size || (size_t)hn < f->head_len ||
	     rh__fnv1a(head, f->head_len) != f->head_hash)) {
		if ((error = delete_parts(c, f)) < 0)
			goto done;
		rh__manifest_file_reset(f);
		replaced = 1;
	}
	f->info.mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
			   sb.st_mtim.tv_nsec / 1000000;
	if ((uint64_t)sb.st_size > f->info.size || replaced) {
		uint64_t before = f->info.size;
		if ((error = ship_part(c, f, fd, f->info.size, rel)) < 0)
			goto done;
		if (f->info.size > before) {
			c->stats->files_stored++;
			snprintf(detail, sizeof(detail), "%" PRIu64 " new bytes",
				 f->info.size - before);
			report(c, replaced ? RH_CAPTURE_FILE_REPLACED
					   : RH_CAPTURE_FILE_STORED, rel, detail);
		}
	}
	f->head_len = (uint32_t)((uint64_t)hn < f->info.size ? (uint64_t)hn
							     : f->info.size);
	f->head_hash = rh__fnv1a(head, f->head_len);
	c->stats->bytes_total += f->info.size;
done:
	close(fd);
	return error;
}

/* ---- the walk ------------------------------------------------------------ */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct capture *c, const char *rel);

static int
visit(struct capture *c, const char *rel)
{
	char full[PATH_MAX], real[PATH_MAX];
	struct stat sb;
	size_t rootlen = strlen(c->root), n = strlen(rel);

	if (snprintf(full, sizeof(full), "%s/%s", c->root, rel) >= (int)sizeof(full))
		return skip(c, rel, "path too long");
	if (lstat(full, &sb) < 0)
		return errno == ENOENT ? 0 /* gone meanwhile */
				       : rh__error(RH_EIO, "%s: %s", rel, strerror(errno));
	if (rh_layout_check_path(rel) < 0) {
		rh_error_clear();
		return skip(c, rel, "name cannot be stored");
	}
	if (S_ISLNK(sb.st_mode)) {
		if (!realpath(full, real))
			return skip(c, rel, "dangling link");
		if (strncmp(real, c->root, rootlen) != 0 || real[rootlen] != '/')
			return skip(c, rel, "link points outside the session");
		if (stat(real, &sb) < 0 || !S_ISREG(sb.st_mode))
			return skip(c, rel, "link to something other than a file");
	}
	if (S_ISDIR(sb.st_mode))
		return walk(c, rel);
	if (S_ISSOCK(sb.st_mode))
		return skip(c, rel, "socket");
	if (!S_ISREG(sb.st_mode))
		return skip(c, rel, "not a regular file");
	if (n > 5 && strcmp(rel + n - 5, ".lock") == 0)
		return skip(c, rel, "lock file");
	return capture_file(c, rel, full);
}

static int
walk(struct capture *c, const char *rel)
{
	char full[PATH_MAX], child[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int error = 0;

	if (snprintf(full, sizeof(full), "%s%s%s", c->root, *rel ? "/" : "",
		     rel) >= (int)sizeof(full))
		return skip(c, rel, "path too long");
	if (!(d = opendir(full)))
		return rh__error(RH_EIO, "%s: %s", *rel ? rel : c->root,
				 strerror(errno));
	/* Sorted, so the manifest and the order of reports are stable. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **p = rh__realloc(names, (cap = cap ? cap * 2 : 64) *
							      sizeof(*names));
			if (!p) {
				error = RH_ENOMEM;
				goto done;
			}
			names = p;
		}
		if (!(names[n] = rh__strdup(de->d_name))) {
			error = RH_ENOMEM;
			goto done;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && error == 0; i++) {
		if (snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "",
			     names[i]) >= (int)sizeof(child))
			error = skip(c, names[i], "path too long");
		else
			error = visit(c, child);
	}
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return error;
}

/* ---- manifests ----------------------------------------------------------- */

/* session_YYYY-MM-DD_HH-MM-SS_UUUUUU_PID -> ms since the epoch (UTC). */
int64_t
rh__session_start_ms(const char *name)
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

static int
write_session_manifest(struct capture *c)
{
	json_object *root = NULL, *v;
	rh_buf data = RH_BUF_INIT;
	int error;

	if ((error = rh_layout_session_manifest(&c->key, &c->sref)) < 0)
		return error;
	/* Keep what others wrote (an end mark, the Ray version). */
	error = rh_store_get(&data, c->st, c->key.ptr, 0, SIZE_MAX);
	if (error == 0 && data.ptr)
		root = json_tokener_parse(data.ptr);
	else if (error != RH_ENOTFOUND && error < 0)
		goto done;
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		root = json_object_new_object();
	}
	json_object_object_add(root, "format", json_object_new_int(1));
	json_object_object_add(root, "namespace", json_object_new_string(c->sref.ns));
	json_object_object_add(root, "cluster", json_object_new_string(c->sref.cluster));
	json_object_object_add(root, "session", json_object_new_string(c->sref.session));
	json_object_object_add(root, "start_ms",
			       json_object_new_int64(rh__session_start_ms(c->sref.session)));
	json_object_object_add(root, "updated_ms", json_object_new_int64(rh__now_ms()));
	if (!json_object_object_get_ex(root, "ray_version", &v))
		json_object_object_add(root, "ray_version", json_object_new_string(""));
	/* An earlier end mark stays: the session ended then, not now. */
	if (c->opts->ended && !json_object_object_get_ex(root, "end_ms", &v))
		json_object_object_add(root, "end_ms", json_object_new_int64(rh__now_ms()));
	rh_buf_clear(&data);
	if ((error = rh_buf_puts(&data, json_object_to_json_string_ext(
					 root, JSON_C_TO_STRING_PLAIN))) < 0)
		goto done;
	error = rh_store_put(c->st, c->key.ptr, data.ptr, data.size);
done:
	json_object_put(root);
	rh_buf_dispose(&data);
	return error;
}

static int
load_manifest(struct capture *c, const char *node_id)
{
	int error = rh_node_manifest_load(&c->m, c->st, &c->sref, node_id);

	if (error == RH_ENOTFOUND) {
		rh_error_clear();
		return rh__manifest_new(&c->m, node_id);
	}
	if (error == 0) {
		/* Skips are re-found by this walk; keep only fresh ones. */
		size_t i;
		for (i = 0; i < c->m->nskipped; i++) {
			free(c->m->skipped[i].path);
			free(c->m->skipped[i].why);
		}
		c->m->nskipped = 0;
	}
	return error;
}

RH_EXTERN int
rh_capture_session(rh_capture_stats *stats, rh_store *st, const char *dir,
		   const rh_capture_options *opts)
{
	rh_capture_stats local;
	struct capture c;
	char node_id[130];
	const char *base;
	struct stat sb;
	int error;

	memset(&c, 0, sizeof(c));
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (!st || !dir || !opts || opts->version != RH_CAPTURE_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "capture: missing store, directory "
				 "or options");
	if (!opts->cluster)
		return rh__error(RH_EINVAL, "capture: no cluster name given");
	c.st = st;
	c.opts = opts;
	c.stats = stats;
	if (!realpath(dir, c.root) || stat(c.root, &sb) < 0)
		return rh__error(RH_EINVAL, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return rh__error(RH_EINVAL, "%s: not a directory", dir);
	base = strrchr(c.root, '/');
	base = base ? base + 1 : c.root;
	c.sref.ns = opts->ns ? opts->ns : RH_DEFAULT_NAMESPACE;
	c.sref.cluster = opts->cluster;
	c.sref.session = base;
	if ((error = rh_layout_check_name("namespace", c.sref.ns)) < 0 ||
	    (error = rh_layout_check_name("cluster", c.sref.cluster)) < 0 ||
	    (error = rh_layout_check_name("session", c.sref.session)) < 0)
		return error;
	if ((error = rh_capture_node_id(node_id, c.root, opts->node_id)) < 0)
		return error == RH_ENOTFOUND ? RH_EINVAL : error;
	if (snprintf(stats->session, sizeof(stats->session), "%s", base) < 0 ||
	    snprintf(stats->node_id, sizeof(stats->node_id), "%s", node_id) < 0)
		return rh__error(RH_ERROR, "capture: bad session name");

	c.sopts = (rh_seekable_options)RH_SEEKABLE_OPTIONS_INIT;
	if (opts->frame_size)
		c.sopts.frame_size = opts->frame_size;
	if (opts->level)
		c.sopts.level = opts->level;
	c.workers = opts->workers;
	if (!c.workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c.workers = n > 0 ? (unsigned)(n > 16 ? 16 : n) : 1;
	}
	if (!(c.chunk = rh__malloc(READ_CHUNK)))
		return RH_ENOMEM;
	if ((error = load_manifest(&c, node_id)) < 0 ||
	    (error = read_node_ip(&c)) < 0)
		goto done;
	c.m->is_head = exists(c.root, "logs/gcs_server.out") ||
		       exists(c.root, "logs/gcs_server.err");
	if ((error = walk(&c, "")) < 0)
		goto done;
	c.m->captured_ms = rh__now_ms();
	if ((error = rh__manifest_serialize(&c.out, c.m)) < 0 ||
	    (error = rh_layout_node_manifest(&c.key, &c.sref, node_id)) < 0 ||
	    (error = rh_store_put(st, c.key.ptr, c.out.ptr, c.out.size)) < 0)
		goto done;
	error = write_session_manifest(&c);
done:
	rh_node_manifest_free(c.m);
	rh_buf_dispose(&c.out);
	rh_buf_dispose(&c.key);
	free(c.chunk);
	return error;
}
