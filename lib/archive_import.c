/* archive_import.c - Ray session directories from an archive into a store
 * (archive.h).
 *
 * The capture engine reads a session folder from a file system (its scan
 * walks folders, its resolver reads the raylet's log by path, its ship
 * reads files by offset), and an archive is one sequential stream in which
 * a node's raylet.out - the only thing that names the node - may come
 * after every other file of the node. So the archive is unpacked, entry by
 * entry and each one checked, into a private staging folder, and every
 * session folder in it is then captured by rh_capture_session(): one
 * engine, one resolver, and the result is by construction what capturing
 * the same folders directly gives. The staging folder is bounded
 * (max_total) and always removed.
 *
 * Files are created through openat() from the staging root, one component
 * at a time with O_NOFOLLOW, and links are made only after every file is
 * written: no entry can be written through a link, or outside the root. */
#define _GNU_SOURCE
#include "internal.h"
#include "catalog_manifest.h"

#include <rayhist/archive.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEF_MAX_ENTRY (64ull << 30)
#define DEF_MAX_TOTAL (256ull << 30)
#define DEF_RATIO 1000u
/* Small archives may compress well past any ratio (a file of zeros). */
#define RATIO_FREE (16ull << 20)
#define EXPORT_DIR "rayhist-export"

enum { K_FILE = 0, K_DIR = 1, K_LINK = 2 };

struct link {
	char *path, *target;
	int hard;
};

struct imp {
	struct archive *a;
	const rh_import_options *o;
	rh_import_stats *stats;
	int root;                 /* staging folder */
	char rootpath[PATH_MAX];
	uint64_t max_entry, max_total, ratio;
	char **names;             /* entries seen (open addressing) */
	unsigned char *isdir;     /* kind of each name: K_FILE, K_DIR, K_LINK */
	size_t nnames, cap;
	struct link *links;
	size_t nlinks, alinks;
	unsigned char *buf;
	int64_t last_progress;
};

/* ---- names ---------------------------------------------------------------- */

/* The entry's path made relative and clean: empty and "." components
 * dropped ("./a//b" is "a/b"); absolute paths and ".." refused. */
static int
clean_path(char **out, const char *raw)
{
	const char *whole = raw;
	char *p, *q, *start;
	size_t n;

	*out = NULL;
	if (!raw || !*raw)
		return rh__error(RH_EINVAL, "archive entry with an empty name");
	if (raw[0] == '/')
		return rh__error(RH_EINVAL, "archive entry \"%s\": absolute path "
				 "refused", raw);
	if (!(p = malloc(strlen(raw) + 1)))
		return RH_ENOMEM;
	q = p;
	while (*raw) {
		start = (char *)raw;
		while (*raw && *raw != '/')
			raw++;
		n = (size_t)(raw - start);
		if (*raw)
			raw++;
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			free(p);
			return rh__error(RH_EINVAL, "archive entry \"%s\": \"..\" "
					 "refused", whole);
		}
		if (q != p)
			*q++ = '/';
		memcpy(q, start, n);
		q += n;
	}
	*q = '\0';
	if (q == p) {
		free(p);
		return 1; /* the archive's root itself: nothing to do */
	}
	*out = p;
	return 0;
}

static uint64_t
hash_str(const char *s)
{
	return rh__fnv1a(s, strlen(s));
}

/* The kind `path` was given as, or -1. */
static int
name_kind(const struct imp *im, const char *path)
{
	size_t i, mask = im->cap - 1;

	if (!im->cap)
		return -1;
	for (i = hash_str(path) & mask; im->names[i]; i = (i + 1) & mask)
		if (!strcmp(im->names[i], path))
			return im->isdir[i];
	return -1;
}

/* Remember `path`; a name given twice is refused, except a folder named
 * again as a folder (tar lists them so), and so is a path that goes
 * through a link named before (links are made last, but an entry below
 * one would land beside it, not where the link points). */
static int
note_name(struct imp *im, char *path, int kind)
{
	size_t i, mask;

	if ((im->nnames + 1) * 2 > im->cap) {
		size_t ncap = im->cap ? im->cap * 2 : 1024, j;
		char **nn = calloc(ncap, sizeof(*nn));
		unsigned char *nd = calloc(ncap, 1);
		if (!nn || !nd) {
			free(nn);
			free(nd);
			return RH_ENOMEM;
		}
		for (j = 0; j < im->cap; j++) {
			if (!im->names[j])
				continue;
			for (i = hash_str(im->names[j]) & (ncap - 1); nn[i];
			     i = (i + 1) & (ncap - 1))
				;
			nn[i] = im->names[j];
			nd[i] = im->isdir[j];
		}
		free(im->names);
		free(im->isdir);
		im->names = nn;
		im->isdir = nd;
		im->cap = ncap;
	}
	for (char *sl = strchr(path, '/'); sl; sl = strchr(sl + 1, '/')) {
		int k;
		*sl = '\0';
		k = name_kind(im, path);
		if (k == K_LINK || k == K_FILE) {
			int error = rh__error(RH_EINVAL, "archive entry \"%s/%s\": "
					      "its folder \"%s\" is %s; refused",
					      path, sl + 1, path, k == K_LINK
					      ? "a link" : "a file");
			*sl = '/';
			return error;
		}
		*sl = '/';
	}
	mask = im->cap - 1;
	for (i = hash_str(path) & mask; im->names[i]; i = (i + 1) & mask) {
		if (strcmp(im->names[i], path))
			continue;
		if (kind == K_DIR && im->isdir[i] == K_DIR)
			return 0;
		return rh__error(RH_EINVAL, "archive entry \"%s\": the name is "
				 "given twice; refused", path);
	}
	if (!(im->names[i] = strdup(path)))
		return RH_ENOMEM;
	im->isdir[i] = (unsigned char)kind;
	im->nnames++;
	return 0;
}

/* ---- staging -------------------------------------------------------------- */

/* The folder holding `path` (made as needed, never through a link), as an
 * fd; *base points at the last component. */
static int
open_parent(struct imp *im, char *path, const char **base, int *out)
{
	char *p = path, *slash;
	int fd = dup(im->root), next;

	if (fd < 0)
		return rh__error(RH_EIO, "staging: %s", strerror(errno));
	while ((slash = strchr(p, '/'))) {
		*slash = '\0';
		if (mkdirat(fd, p, 0700) < 0 && errno != EEXIST) {
			*slash = '/';
			close(fd);
			return rh__error(RH_EIO, "staging %s: %s", path,
					 strerror(errno));
		}
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		close(fd);
		if (next < 0)
			return rh__error(RH_EINVAL, "archive entry \"%s\": a folder "
					 "of its path is a file or a link; "
					 "refused", path);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	*out = fd;
	return 0;
}

static int
check_ratio(struct imp *im)
{
	uint64_t in = (uint64_t)archive_filter_bytes(im->a, -1);
	uint64_t out = im->stats->bytes_unpacked;

	im->stats->bytes_read = in;
	if (out > RATIO_FREE && out / (in ? in : 1) > im->ratio)
		return rh__error(RH_EINVAL, "archive unpacks to more than %" PRIu64
				 " times its size (%" PRIu64 " bytes from %" PRIu64
				 "): a zip bomb? refused", im->ratio, out, in);
	if (im->o->progress) {
		int64_t now = rh__mono_ms();
		if (now - im->last_progress >= 200) {
			im->last_progress = now;
			im->o->progress(in, out, im->o->payload);
		}
	}
	return 0;
}

static int
write_file(struct imp *im, struct archive_entry *ent, char *path)
{
	const void *data;
	size_t len;
	la_int64_t off;
	uint64_t written = 0, claimed = 0, end;
	int has_size = archive_entry_size_is_set(ent);
	const char *base;
	int dir, fd, r, error;
	struct timespec ts[2];

	if (has_size) {
		claimed = (uint64_t)archive_entry_size(ent);
		if (archive_entry_size(ent) < 0 || claimed > im->max_entry)
			return rh__error(RH_EINVAL, "archive entry \"%s\" claims "
					 "%" PRId64 " bytes, more than the %" PRIu64
					 " allowed; refused", path,
					 (int64_t)archive_entry_size(ent),
					 im->max_entry);
	}
	if ((error = open_parent(im, path, &base, &dir)) < 0)
		return error;
	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	close(dir);
	if (fd < 0)
		return errno == EEXIST
		       ? rh__error(RH_EINVAL, "archive entry \"%s\": the name is "
				   "given twice; refused", path)
		       : rh__error(RH_EIO, "staging %s: %s", path, strerror(errno));
	for (;;) {
		r = archive_read_data_block(im->a, &data, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			error = rh__error(RH_EINVAL, "archive entry \"%s\": %s", path,
					  archive_error_string(im->a));
			goto fail;
		}
		end = (uint64_t)off + len;
		if (off < 0 || end > im->max_entry || (has_size && end > claimed)) {
			error = rh__error(RH_EINVAL, "archive entry \"%s\": data "
					  "runs past the %" PRIu64 " bytes it "
					  "claims; refused", path,
					  has_size ? claimed : im->max_entry);
			goto fail;
		}
		/* Checked before a byte is written: the staging folder never
		 * holds more than max_total. */
		if (len > im->max_total - im->stats->bytes_unpacked) {
			error = rh__error(RH_EINVAL, "archive unpacks to more than "
					  "%" PRIu64 " bytes; refused", im->max_total);
			goto fail;
		}
		if (len && pwrite(fd, data, len, (off_t)off) != (ssize_t)len) {
			error = rh__error(RH_EIO, "staging %s: %s (is %s full?)",
					  path, strerror(errno), im->rootpath);
			goto fail;
		}
		written += len;
		im->stats->bytes_unpacked += len;
		if ((error = check_ratio(im)) < 0)
			goto fail;
		if (end > written && end - written > im->max_total) {
			error = rh__error(RH_EINVAL, "archive entry \"%s\": holes "
					  "too large; refused", path);
			goto fail;
		}
	}
	/* A sparse file's last hole. */
	if (has_size && ftruncate(fd, (off_t)claimed) < 0) {
		error = rh__error(RH_EIO, "staging %s: %s", path, strerror(errno));
		goto fail;
	}
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = archive_entry_mtime(ent);
	ts[1].tv_nsec = archive_entry_mtime_nsec(ent);
	if (archive_entry_mtime_is_set(ent))
		futimens(fd, ts);
	close(fd);
	return 0;
fail:
	close(fd);
	return error;
}

static int
add_link(struct imp *im, const char *path, const char *target, int hard)
{
	struct link *l;

	if (im->nlinks == im->alinks) {
		size_t n = im->alinks ? im->alinks * 2 : 16;
		struct link *nl = realloc(im->links, n * sizeof(*nl));
		if (!nl)
			return RH_ENOMEM;
		im->links = nl;
		im->alinks = n;
	}
	l = &im->links[im->nlinks];
	l->path = strdup(path);
	l->target = strdup(target);
	l->hard = hard;
	if (!l->path || !l->target) {
		free(l->path);
		free(l->target);
		return RH_ENOMEM;
	}
	im->nlinks++;
	return 0;
}

static int
one_entry(struct imp *im, struct archive_entry *ent)
{
	/* Names as the archive holds them; a zip name flagged UTF-8 that the
	 * C locale cannot convert comes as its UTF-8 bytes. */
	const char *raw = archive_entry_pathname(ent);
	const char *hard = archive_entry_hardlink(ent);
	mode_t type = archive_entry_filetype(ent);
	char *path = NULL, *tpath = NULL;
	const char *base;
	int dir, error;

	if (!raw)
		raw = archive_entry_pathname_utf8(ent);
	if (!hard)
		hard = archive_entry_hardlink_utf8(ent);
	if ((error = clean_path(&path, raw)) != 0)
		return error > 0 ? 0 : error;
	im->stats->entries++;
	if ((error = note_name(im, path, hard || type == AE_IFLNK ? K_LINK
					  : type == AE_IFDIR ? K_DIR : K_FILE)) < 0)
		goto done;
	if (hard) {
		/* A hard link names another entry of the archive; it is
		 * made once every file is there. */
		if ((error = clean_path(&tpath, hard)) != 0) {
			error = rh__error(RH_EINVAL, "archive entry \"%s\": hard "
					  "link to \"%s\", not a file of its "
					  "session folder; refused", path, hard);
			goto done;
		}
		error = add_link(im, path, tpath, 1);
	} else if (type == AE_IFDIR) {
		char *slashed = malloc(strlen(path) + 2);
		if (!slashed) {
			error = RH_ENOMEM;
			goto done;
		}
		sprintf(slashed, "%s/", path);
		if ((error = open_parent(im, slashed, &base, &dir)) == 0)
			close(dir);
		free(slashed);
	} else if (type == AE_IFREG) {
		error = write_file(im, ent, path);
	} else if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(ent);
		if (!t)
			t = archive_entry_symlink_utf8(ent);
		if (!t || !*t)
			error = rh__error(RH_EINVAL, "archive entry \"%s\": link "
					  "with no target; refused", path);
		else
			error = add_link(im, path, t, 0);
	} else {
		error = rh__error(RH_EINVAL, "archive entry \"%s\": %s refused",
				  path, type == AE_IFCHR || type == AE_IFBLK
					? "a device" : type == AE_IFIFO ? "a FIFO"
					: type == AE_IFSOCK ? "a socket"
					: "an entry of unknown type");
	}
done:
	free(path);
	free(tpath);
	return error;
}

/* The folder of the session `path` is in: the length of its prefix up to
 * the last "session_*" component, 0 if none. */
static size_t
session_prefix(const char *path)
{
	const char *p = path;
	size_t best = 0;

	while (*p) {
		const char *end = strchr(p, '/');
		if (!strncmp(p, "session_", 8) && end)
			best = (size_t)(end - path);
		if (!end)
			break;
		p = end + 1;
	}
	return best;
}

/* Links after every file: symbolic ones as they are (capture skips those
 * that leave their session, as it does on a node); hard ones only to a
 * file of the same session folder. */
static int
make_links(struct imp *im)
{
	size_t i;
	const char *base;
	int dir, error;

	for (i = 0; i < im->nlinks; i++) {
		struct link *l = &im->links[i];
		if (l->hard) {
			size_t sp = session_prefix(l->path);
			struct stat sb;
			if (!sp || strncmp(l->target, l->path, sp + 1) ||
			    fstatat(im->root, l->target, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(sb.st_mode))
				return rh__error(RH_EINVAL, "archive entry \"%s\": hard "
						 "link to \"%s\", not a file of "
						 "its session folder; refused",
						 l->path, l->target);
		}
		if ((error = open_parent(im, l->path, &base, &dir)) < 0)
			return error;
		if (l->hard)
			error = linkat(im->root, l->target, dir, base, 0);
		else
			error = symlinkat(l->target, dir, base);
		close(dir);
		if (error < 0)
			return errno == EEXIST
			       ? rh__error(RH_EINVAL, "archive entry \"%s\": the "
					   "name is given twice; refused", l->path)
			       : rh__error(RH_EIO, "staging %s: %s", l->path,
					   strerror(errno));
	}
	return 0;
}

static int
read_all(struct imp *im, int fd, const char *name)
{
	struct archive_entry *ent;
	int r, error = 0;

	if (!(im->a = archive_read_new()))
		return RH_ENOMEM;
	archive_read_support_filter_all(im->a);
	archive_read_support_format_tar(im->a);
	archive_read_support_format_gnutar(im->a);
	archive_read_support_format_zip(im->a);
	archive_read_support_format_7zip(im->a);
	archive_read_support_format_cpio(im->a);
	if (archive_read_open_fd(im->a, fd, 1 << 16) != ARCHIVE_OK)
		return rh__error(RH_EINVAL, "%s: %s", name,
				 archive_error_string(im->a));
	for (;;) {
		r = archive_read_next_header(im->a, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return rh__error(RH_EINVAL, "%s: %s", name,
					 archive_error_string(im->a));
		if ((error = one_entry(im, ent)) < 0)
			return error;
	}
	im->stats->bytes_read = (uint64_t)archive_filter_bytes(im->a, -1);
	if (im->o->progress)
		im->o->progress(im->stats->bytes_read, im->stats->bytes_unpacked,
				im->o->payload);
	return make_links(im);
}

/* ---- what was unpacked ------------------------------------------------- */

struct found {
	char **dirs;
	size_t n, a;
};

static int
found_add(struct found *fd, const char *path)
{
	if (fd->n == fd->a) {
		size_t n = fd->a ? fd->a * 2 : 8;
		char **nd = realloc(fd->dirs, n * sizeof(*nd));
		if (!nd)
			return RH_ENOMEM;
		fd->dirs = nd;
		fd->a = n;
	}
	if (!(fd->dirs[fd->n] = strdup(path)))
		return RH_ENOMEM;
	fd->n++;
	return 0;
}

/* Every real folder named session_* below `dir` (not below another). */
static int
find_sessions(struct found *out, const char *dir, int depth)
{
	char sub[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int error = 0;

	if (depth > 64 || !(d = opendir(dir)))
		return 0;
	while (error == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (depth == 0 && !strcmp(de->d_name, EXPORT_DIR))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub) ||
		    lstat(sub, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (!strncmp(de->d_name, "session_", 8) &&
		    rh_layout_check_name("session", de->d_name) == 0)
			error = found_add(out, sub);
		else
			error = find_sessions(out, sub, depth + 1);
	}
	closedir(d);
	return error;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Event batches of an export: rayhist-export/SESSION/events/HEX.json.zst,
 * stored back under their names. */
static int
store_events(struct imp *im, rh_store *st)
{
	char sdir[PATH_MAX + 64], edir[PATH_MAX * 2], file[PATH_MAX * 3];
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	struct dirent *se, *ee;
	DIR *sd, *ed;
	int error = 0;

	snprintf(sdir, sizeof(sdir), "%s/" EXPORT_DIR, im->rootpath);
	if (!(sd = opendir(sdir)))
		return 0;
	while (error == 0 && (se = readdir(sd))) {
		rh_session_ref ref = { im->o->ns ? im->o->ns : RH_DEFAULT_NAMESPACE,
				       im->o->cluster, se->d_name };
		if (se->d_name[0] == '.' || rh_layout_check_name("session", se->d_name) < 0)
			continue;
		snprintf(edir, sizeof(edir), "%s/%s/events", sdir, se->d_name);
		if (!(ed = opendir(edir)))
			continue;
		while (error == 0 && (ee = readdir(ed))) {
			size_t n = strlen(ee->d_name), i;
			struct stat sb;
			int fd;
			if (n <= 9 || strcmp(ee->d_name + n - 9, ".json.zst"))
				continue;
			for (i = 0; i < n - 9; i++)
				if (!strchr("0123456789abcdef", ee->d_name[i]))
					break;
			if (i < n - 9)
				continue;
			snprintf(file, sizeof(file), "%s/%s", edir, ee->d_name);
			((char *)ee->d_name)[n - 9] = '\0';
			rh_buf_clear(&data);
			if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				continue;
			if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
			    (error = rh_buf_grow(&data, (size_t)sb.st_size)) < 0) {
				close(fd);
				continue;
			}
			if (read(fd, data.ptr, (size_t)sb.st_size) == sb.st_size) {
				data.size = (size_t)sb.st_size;
				if ((error = rh_layout_event_batch(&key, &ref, ee->d_name)) == 0 &&
				    (error = rh_store_put(st, key.ptr, data.ptr, data.size)) == 0)
					im->stats->event_batches++;
			}
			close(fd);
		}
		closedir(ed);
	}
	closedir(sd);
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

static void
add_stats(rh_capture_stats *t, const rh_capture_stats *s)
{
	memcpy(t->session, s->session, sizeof(t->session));
	memcpy(t->node_id, s->node_id, sizeof(t->node_id));
	t->files_seen += s->files_seen;
	t->files_stored += s->files_stored;
	t->files_skipped += s->files_skipped;
	t->parts_written += s->parts_written;
	t->bytes_new += s->bytes_new;
	t->bytes_stored += s->bytes_stored;
	t->bytes_total += s->bytes_total;
	t->files_not_stored += s->files_not_stored;
}

/* The resolver's message, with the staging folder taken out of the paths
 * it names (they are the archive's). */
static int
no_node_id(const struct imp *im, const char *dir)
{
	char msg[2048], out[2048];
	size_t rl = strlen(im->rootpath), o = 0;
	const char *p;

	snprintf(msg, sizeof(msg), "%s", rh_error_last());
	for (p = msg; *p && o + 1 < sizeof(out);) {
		if (!strncmp(p, im->rootpath, rl) && p[rl] == '/') {
			p += rl + 1;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
	return rh__error(RH_EINVAL, "%s: %s", dir + rl + 1, out);
}

static int
capture_all(struct imp *im, rh_store *st)
{
	rh_capture_options co = RH_CAPTURE_OPTIONS_INIT;
	struct found f = { NULL, 0, 0 };
	rh_capture_stats cs = RH_CAPTURE_STATS_INIT;
	char id[130];
	size_t i;
	int error, first_error = 0;

	if ((error = find_sessions(&f, im->rootpath, 0)) < 0)
		goto done;
	if (f.n == 0) {
		error = rh__error(RH_EINVAL, "no session_* folder in the archive "
				  "(it must hold Ray session folders, e.g. "
				  "session_latest/ or /tmp/ray)");
		goto done;
	}
	qsort(f.dirs, f.n, sizeof(*f.dirs), cmp_str);
	/* Every node known before anything is stored. */
	for (i = 0; i < f.n; i++)
		if ((error = rh_capture_node_id(id, f.dirs[i], NULL)) < 0) {
			error = no_node_id(im, f.dirs[i]);
			goto done;
		}
	co.ns = im->o->ns;
	co.cluster = im->o->cluster;
	co.frame_size = im->o->frame_size;
	co.level = im->o->level;
	co.workers = im->o->workers;
	co.ended = im->o->ended;
	co.report = im->o->report;
	co.payload = im->o->payload;
	for (i = 0; i < f.n; i++) {
		error = rh_capture_session(&cs, st, f.dirs[i], &co);
		add_stats(&im->stats->total, &cs);
		if (error == RH_EIO && cs.files_not_stored && !first_error) {
			first_error = error; /* the rest still goes in */
			continue;
		}
		if (error < 0)
			goto done;
		im->stats->nodes++;
	}
	error = store_events(im, st);
	if (error == 0 && first_error)
		error = rh__error(first_error, "%" PRIu64 " path(s) not stored",
				  im->stats->total.files_not_stored);
done:
	for (i = 0; i < f.n; i++)
		free(f.dirs[i]);
	free(f.dirs);
	return error;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

RH_EXTERN int
rh_archive_import(rh_import_stats *stats, rh_store *st, int fd,
		  const char *name, const rh_import_options *opts)
{
	rh_import_stats local;
	struct imp im;
	const char *tmp;
	size_t i;
	int error;

	if (stats && (error = rh__version_check(stats->version,
			RH_IMPORT_STATS_VERSION, "rh_import_stats")) < 0)
		return error;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	stats->version = RH_IMPORT_STATS_VERSION;
	stats->total.version = RH_CAPTURE_STATS_VERSION;
	if (!st || !opts || opts->version != RH_IMPORT_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "import: missing store or options");
	if (!opts->cluster)
		return rh__error(RH_EINVAL, "import: no cluster name given");
	if ((error = rh_layout_check_name("cluster", opts->cluster)) < 0 ||
	    (opts->ns && (error = rh_layout_check_name("namespace", opts->ns)) < 0))
		return error;
	memset(&im, 0, sizeof(im));
	im.o = opts;
	im.stats = stats;
	im.root = -1;
	im.max_entry = opts->max_entry ? opts->max_entry : DEF_MAX_ENTRY;
	im.max_total = opts->max_total ? opts->max_total : DEF_MAX_TOTAL;
	im.ratio = opts->max_ratio ? opts->max_ratio : DEF_RATIO;
	tmp = opts->tmpdir ? opts->tmpdir : getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(im.rootpath, sizeof(im.rootpath), "%s/rayhist-import.XXXXXX",
		     tmp) >= (int)sizeof(im.rootpath))
		return rh__error(RH_EINVAL, "import: staging path too long");
	if (!mkdtemp(im.rootpath))
		return rh__error(RH_EIO, "import: staging folder in %s: %s", tmp,
				 strerror(errno));
	if ((im.root = open(im.rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		error = rh__error(RH_EIO, "%s: %s", im.rootpath, strerror(errno));
		goto done;
	}
	{
		/* Zip names flagged UTF-8 are converted to the locale's
		 * charset, and in the C locale they cannot be: read them in
		 * a UTF-8 locale, on this thread only. Other names are bytes
		 * and stay as they are. */
		locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
		error = read_all(&im, fd, name ? name : "archive");
		if (utf8) {
			uselocale(old);
			freelocale(utf8);
		}
	}
	if (error == 0)
		error = capture_all(&im, st);
done:
	if (im.a)
		archive_read_free(im.a);
	if (im.root >= 0)
		close(im.root);
	nftw(im.rootpath, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < im.cap; i++)
		free(im.names[i]);
	free(im.names);
	free(im.isdir);
	for (i = 0; i < im.nlinks; i++) {
		free(im.links[i].path);
		free(im.links[i].target);
	}
	free(im.links);
	return error;
}
