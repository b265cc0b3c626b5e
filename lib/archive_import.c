/* archive_import.c - Ray session directories from an archive into a store
 * (archive.h).
 *
 * The capture engine reads a session folder through a file source
 * (follow_source.h), and an archive is one sequential stream in which a
 * node's raylet.out - the only thing that names the node - may come after
 * every other file of the node. So every entry is checked and held as it
 * is read (its bytes in memory, past a bound in unnamed temporary files),
 * and once the archive is read to its end every session folder in it is
 * captured by the engine from what is held (archive_source.c): one engine,
 * one resolver, and the result is by construction what capturing the same
 * folders directly gives. No folder is unpacked on disk.
 *
 * Names are checked as they come: a name given twice, or a path going
 * through a link or a file, is refused; hard links are resolved once every
 * file is held. */
#define _GNU_SOURCE
#include "internal.h"
#include "catalog_manifest.h"
#include "archive_source.h"

#include <rayhist/archive.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEF_MAX_ENTRY (64ull << 30)
#define DEF_MAX_TOTAL (256ull << 30)
#define DEF_RATIO 1000u
/* Small archives may compress well past any ratio (a file of zeros). */
#define RATIO_FREE (16ull << 20)
#define DEF_MAX_MEMORY (256ull << 20)
#define EXPORT_DIR "rayhist-export"

enum { K_FILE = RH__AK_FILE, K_DIR = RH__AK_DIR, K_LINK = RH__AK_LINK };

/* A hard link, made once every file is held. */
struct link {
	char *path, *target;
};

struct imp {
	struct archive *a;
	const rh_import_options *o;
	rh_import_stats *stats;
	const char *tmpdir;       /* where bytes past max_memory go */
	uint64_t max_entry, max_total, ratio, max_memory;
	uint64_t in_memory;       /* bytes held in memfds */
	char **names;             /* every name, folders implied by a path
				     included (open addressing) */
	unsigned char *isdir;     /* kind of each name: K_FILE, K_DIR, K_LINK */
	int *fds;                 /* a file's bytes, or -1 */
	char **targets;           /* a symbolic link's target, or NULL */
	size_t nnames, cap;
	struct link *links;
	size_t nlinks, alinks;
	rh__atree tree;           /* the names, sorted, once all are read */
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

/* The slot of `path`, or the empty slot where it would go. */
static size_t
slot_of(const struct imp *im, const char *path)
{
	size_t i, mask = im->cap - 1;

	for (i = hash_str(path) & mask; im->names[i]; i = (i + 1) & mask)
		if (!strcmp(im->names[i], path))
			break;
	return i;
}

/* The kind `path` was given as, or -1. */
static int
name_kind(const struct imp *im, const char *path)
{
	size_t i;

	if (!im->cap)
		return -1;
	i = slot_of(im, path);
	return im->names[i] ? im->isdir[i] : -1;
}

static int
grow_names(struct imp *im)
{
	size_t ncap = im->cap ? im->cap * 2 : 1024, j, i;
	char **nn = calloc(ncap, sizeof(*nn)), **nt = calloc(ncap, sizeof(*nt));
	unsigned char *nd = calloc(ncap, 1);
	int *nf = malloc(ncap * sizeof(*nf));

	if (!nn || !nd || !nt || !nf) {
		free(nn);
		free(nd);
		free(nt);
		free(nf);
		return RH_ENOMEM;
	}
	for (j = 0; j < ncap; j++)
		nf[j] = -1;
	for (j = 0; j < im->cap; j++) {
		if (!im->names[j])
			continue;
		for (i = hash_str(im->names[j]) & (ncap - 1); nn[i];
		     i = (i + 1) & (ncap - 1))
			;
		nn[i] = im->names[j];
		nd[i] = im->isdir[j];
		nf[i] = im->fds[j];
		nt[i] = im->targets[j];
	}
	free(im->names);
	free(im->isdir);
	free(im->fds);
	free(im->targets);
	im->names = nn;
	im->isdir = nd;
	im->fds = nf;
	im->targets = nt;
	im->cap = ncap;
	return 0;
}

/* Add `path` (not there yet) as `kind`; *slot is where. */
static int
add_name(struct imp *im, const char *path, int kind, size_t *slot)
{
	size_t i;
	int error;

	if ((im->nnames + 1) * 2 > im->cap && (error = grow_names(im)) < 0)
		return error;
	i = slot_of(im, path);
	if (!(im->names[i] = strdup(path)))
		return RH_ENOMEM;
	im->isdir[i] = (unsigned char)kind;
	im->nnames++;
	*slot = i;
	return 0;
}

/* Remember `path`; a name given twice is refused, except a folder named
 * again as a folder (tar lists them so), and so is a path that goes
 * through a link or a file named before (an entry below a link would land
 * beside it, not where the link points). The folders a path implies are
 * names too: a file named as one of them is a name given twice. */
static int
note_name(struct imp *im, char *path, int kind, size_t *slot)
{
	size_t i;
	int error;

	for (char *sl = strchr(path, '/'); sl; sl = strchr(sl + 1, '/')) {
		int k;
		*sl = '\0';
		k = name_kind(im, path);
		if (k == K_LINK || k == K_FILE) {
			error = rh__error(RH_EINVAL, "archive entry \"%s/%s\": "
					  "its folder \"%s\" is %s; refused",
					  path, sl + 1, path, k == K_LINK
					  ? "a link" : "a file");
			*sl = '/';
			return error;
		}
		error = k < 0 ? add_name(im, path, K_DIR, &i) : 0;
		*sl = '/';
		if (error < 0)
			return error;
	}
	if (im->cap && im->names[i = slot_of(im, path)]) {
		if (kind == K_DIR && im->isdir[i] == K_DIR) {
			*slot = i;
			return 0;
		}
		return rh__error(RH_EINVAL, "archive entry \"%s\": the name is "
				 "given twice; refused", path);
	}
	return add_name(im, path, kind, slot);
}

/* ---- holding entries ------------------------------------------------------ */

/* Where an entry's bytes go: memory while the entries held there stay
 * within max_memory, else an unnamed file under tmpdir that the kernel
 * removes when it is closed - nothing is left behind, even by a crash. */
static int
new_body(struct imp *im, const char *path, uint64_t claimed, int *out)
{
	int fd = -1;

	if (im->in_memory + claimed <= im->max_memory &&
	    (fd = memfd_create("rayhist-import", MFD_CLOEXEC)) >= 0) {
		*out = fd;
		return 0;
	}
#ifdef O_TMPFILE
	fd = open(im->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
	if (fd < 0) {
		/* No O_TMPFILE here: a named file, unlinked at once. */
		char tmpl[PATH_MAX];
		if (snprintf(tmpl, sizeof(tmpl), "%s/rayhist-import.XXXXXX",
			     im->tmpdir) >= (int)sizeof(tmpl))
			return rh__error(RH_EINVAL, "import: %s: path too long",
					 im->tmpdir);
		if ((fd = mkostemp(tmpl, O_CLOEXEC)) >= 0)
			unlink(tmpl);
	}
	if (fd < 0)
		return rh__error(RH_EIO, "archive entry \"%s\": a temporary file "
				 "in %s: %s", path, im->tmpdir, strerror(errno));
	*out = -2 - fd; /* marks it spilled */
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
write_file(struct imp *im, struct archive_entry *ent, char *path, size_t slot)
{
	const void *data;
	size_t len;
	la_int64_t off;
	uint64_t written = 0, claimed = 0, end;
	int has_size = archive_entry_size_is_set(ent);
	int fd = -1, r, spilled, error;
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
	if ((error = new_body(im, path, claimed, &fd)) < 0)
		return error;
	spilled = fd < -1;
	if (spilled)
		fd = -2 - fd;
	im->fds[slot] = fd; /* closed with the names */
	for (;;) {
		r = archive_read_data_block(im->a, &data, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return rh__error(RH_EINVAL, "archive entry \"%s\": %s", path,
					 archive_error_string(im->a));
		end = (uint64_t)off + len;
		if (off < 0 || end > im->max_entry || (has_size && end > claimed))
			return rh__error(RH_EINVAL, "archive entry \"%s\": data "
					 "runs past the %" PRIu64 " bytes it "
					 "claims; refused", path,
					 has_size ? claimed : im->max_entry);
		/* Checked before a byte is held: never more than max_total. */
		if (len > im->max_total - im->stats->bytes_unpacked)
			return rh__error(RH_EINVAL, "archive unpacks to more than "
					 "%" PRIu64 " bytes; refused", im->max_total);
		if (len && pwrite(fd, data, len, (off_t)off) != (ssize_t)len)
			return rh__error(RH_EIO, "archive entry \"%s\": %s (is %s "
					 "full?)", path, strerror(errno),
					 spilled ? im->tmpdir : "memory");
		written += len;
		im->stats->bytes_unpacked += len;
		if (spilled)
			im->stats->bytes_spilled += len;
		else
			im->in_memory += len;
		if ((error = check_ratio(im)) < 0)
			return error;
		if (end > written && end - written > im->max_total)
			return rh__error(RH_EINVAL, "archive entry \"%s\": holes "
					 "too large; refused", path);
	}
	/* A sparse file's last hole. */
	if (has_size && ftruncate(fd, (off_t)claimed) < 0)
		return rh__error(RH_EIO, "archive entry \"%s\": %s", path,
				 strerror(errno));
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = archive_entry_mtime(ent);
	ts[1].tv_nsec = archive_entry_mtime_nsec(ent);
	if (archive_entry_mtime_is_set(ent))
		futimens(fd, ts);
	return 0;
}

static int
add_link(struct imp *im, const char *path, const char *target)
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
	size_t slot;
	int error;

	if (!raw)
		raw = archive_entry_pathname_utf8(ent);
	if (!hard)
		hard = archive_entry_hardlink_utf8(ent);
	if ((error = clean_path(&path, raw)) != 0)
		return error > 0 ? 0 : error;
	im->stats->entries++;
	if (!hard && type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK) {
		error = rh__error(RH_EINVAL, "archive entry \"%s\": %s refused",
				  path, type == AE_IFCHR || type == AE_IFBLK
					? "a device" : type == AE_IFIFO ? "a FIFO"
					: type == AE_IFSOCK ? "a socket"
					: "an entry of unknown type");
		goto done;
	}
	if ((error = note_name(im, path, hard || type == AE_IFLNK ? K_LINK
					  : type == AE_IFDIR ? K_DIR : K_FILE,
			       &slot)) < 0)
		goto done;
	if (hard) {
		/* A hard link names another entry of the archive; it is
		 * resolved once every file is there. */
		if ((error = clean_path(&tpath, hard)) != 0) {
			error = rh__error(RH_EINVAL, "archive entry \"%s\": hard "
					  "link to \"%s\", not a file of its "
					  "session folder; refused", path, hard);
			goto done;
		}
		error = add_link(im, path, tpath);
	} else if (type == AE_IFREG) {
		error = write_file(im, ent, path, slot);
	} else if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(ent);
		if (!t)
			t = archive_entry_symlink_utf8(ent);
		if (!t || !*t)
			error = rh__error(RH_EINVAL, "archive entry \"%s\": link "
					  "with no target; refused", path);
		else if (!(im->targets[slot] = strdup(t)))
			error = RH_ENOMEM;
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

/* Hard links after every file, only to a file of the same session folder:
 * then they are that file under a second name. */
static int
make_links(struct imp *im)
{
	size_t i, at, to;

	for (i = 0; i < im->nlinks; i++) {
		struct link *l = &im->links[i];
		size_t sp = session_prefix(l->path);
		if (!sp || strncmp(l->target, l->path, sp + 1) ||
		    name_kind(im, l->target) != K_FILE ||
		    im->fds[to = slot_of(im, l->target)] < 0)
			return rh__error(RH_EINVAL, "archive entry \"%s\": hard "
					 "link to \"%s\", not a file of its "
					 "session folder; refused", l->path,
					 l->target);
		at = slot_of(im, l->path);
		if ((im->fds[at] = fcntl(im->fds[to], F_DUPFD_CLOEXEC, 0)) < 0)
			return rh__error(RH_EIO, "archive entry \"%s\": %s",
					 l->path, strerror(errno));
		im->isdir[at] = K_FILE;
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

/* ---- what was read --------------------------------------------------------- */

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const rh__aent *)a)->path, ((const rh__aent *)b)->path);
}

/* Every name, sorted (archive_source.h); the names move into the tree. */
static int
make_tree(struct imp *im)
{
	size_t i, n = 0;

	if (!(im->tree.v = calloc(im->nnames ? im->nnames : 1, sizeof(*im->tree.v))))
		return RH_ENOMEM;
	for (i = 0; i < im->cap; i++) {
		rh__aent *e;
		if (!im->names[i])
			continue;
		e = &im->tree.v[n++];
		e->path = im->names[i];
		e->kind = im->isdir[i];
		e->fd = im->fds[i];
		e->target = im->targets[i];
		im->names[i] = NULL;
		im->targets[i] = NULL;
		im->fds[i] = -1;
	}
	im->tree.n = n;
	qsort(im->tree.v, n, sizeof(*im->tree.v), cmp_ent);
	return 0;
}

static int
valid_session(const char *name, size_t n)
{
	char tmp[256];
	int ok;

	if (n < 9 || n >= sizeof(tmp) || strncmp(name, "session_", 8))
		return 0;
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	ok = rh_layout_check_name("session", tmp) == 0;
	rh_error_clear();
	return ok;
}

/* Is folder `path` a session folder to capture: named session_*, not
 * below another one, and not an export's own folder? (A link named
 * session_latest is a link, not a folder.) */
static int
is_session_dir(const char *path)
{
	const char *p = path, *end;
	int depth = 0;

	if (!strncmp(path, EXPORT_DIR "/", sizeof(EXPORT_DIR)))
		return 0;
	for (;;) {
		end = strchr(p, '/');
		if (++depth > 65)
			return 0;
		if (!end)
			return valid_session(p, strlen(p));
		if (valid_session(p, (size_t)(end - p)))
			return 0; /* below another session folder */
		p = end + 1;
	}
}

/* Event batches of an export: rayhist-export/SESSION/events/HEX.json.zst,
 * stored back under their names. */
static int
store_events(struct imp *im, rh_store *st)
{
	static const char pre[] = EXPORT_DIR "/";
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	char sess[256], hex[256];
	size_t i;
	int error = 0;

	for (i = 0; error == 0 && i < im->tree.n; i++) {
		const rh__aent *e = &im->tree.v[i];
		const char *p = e->path + sizeof(pre) - 1, *sl, *name;
		size_t n, k;
		struct stat sb;
		rh_session_ref ref = { im->o->ns ? im->o->ns : RH_DEFAULT_NAMESPACE,
				       im->o->cluster, sess };
		if (e->kind != K_FILE || strncmp(e->path, pre, sizeof(pre) - 1) ||
		    !(sl = strchr(p, '/')) || (size_t)(sl - p) >= sizeof(sess) ||
		    strncmp(sl, "/events/", 8))
			continue;
		memcpy(sess, p, (size_t)(sl - p));
		sess[sl - p] = '\0';
		name = sl + 8;
		n = strlen(name);
		if (rh_layout_check_name("session", sess) < 0) {
			rh_error_clear();
			continue;
		}
		if (n <= 9 || n - 9 >= sizeof(hex) || strchr(name, '/') ||
		    strcmp(name + n - 9, ".json.zst"))
			continue;
		for (k = 0; k < n - 9; k++)
			if (!strchr("0123456789abcdef", name[k]))
				break;
		if (k < n - 9)
			continue;
		memcpy(hex, name, n - 9);
		hex[n - 9] = '\0';
		rh_buf_clear(&data);
		if (fstat(e->fd, &sb) < 0 ||
		    (error = rh_buf_grow(&data, (size_t)sb.st_size)) < 0)
			continue;
		if (pread(e->fd, data.ptr, (size_t)sb.st_size, 0) != sb.st_size)
			continue;
		data.size = (size_t)sb.st_size;
		if ((error = rh_layout_event_batch(&key, &ref, hex)) == 0 &&
		    (error = rh_store_put(st, key.ptr, data.ptr, data.size)) == 0)
			im->stats->event_batches++;
	}
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

/* The bytes of the entries below folder `dir` are not needed any more:
 * let them go (memory, or temporary files) before the next node. */
static void
release_below(struct imp *im, const char *dir)
{
	size_t i, n = strlen(dir);

	for (i = 0; i < im->tree.n; i++) {
		rh__aent *e = &im->tree.v[i];
		if (e->fd >= 0 && !strncmp(e->path, dir, n) && e->path[n] == '/') {
			close(e->fd);
			e->fd = -1;
		}
	}
}

static int
capture_all(struct imp *im, rh_store *st)
{
	rh_capture_options co = RH_CAPTURE_OPTIONS_INIT;
	rh_capture_stats cs = RH_CAPTURE_STATS_INIT;
	const char **dirs = NULL;
	char (*ids)[130] = NULL;
	size_t i, n = 0;
	int error, first_error = 0;

	for (i = 0; i < im->tree.n; i++)
		n += im->tree.v[i].kind == K_DIR && is_session_dir(im->tree.v[i].path);
	if (n == 0)
		return rh__error(RH_EINVAL, "no session_* folder in the archive "
				 "(it must hold Ray session folders, e.g. "
				 "session_latest/ or /tmp/ray)");
	if (!(dirs = calloc(n, sizeof(*dirs))) || !(ids = calloc(n, sizeof(*ids)))) {
		error = RH_ENOMEM;
		goto done;
	}
	for (i = n = 0; i < im->tree.n; i++)
		if (im->tree.v[i].kind == K_DIR && is_session_dir(im->tree.v[i].path))
			dirs[n++] = im->tree.v[i].path; /* sorted, as the tree */
	/* Every node known before anything is stored. */
	for (i = 0; i < n; i++) {
		rh__asrc src;
		rh__asrc_init(&src, &im->tree, dirs[i]);
		if ((error = rh__capture_node_id_src(ids[i], &src.base)) < 0) {
			error = rh__error(RH_EINVAL, "%s: %s", dirs[i], rh_error_last());
			goto done;
		}
	}
	co.ns = im->o->ns;
	co.cluster = im->o->cluster;
	co.frame_size = im->o->frame_size;
	co.level = im->o->level;
	co.workers = im->o->workers;
	co.ended = im->o->ended;
	co.report = im->o->report;
	co.payload = im->o->payload;
	for (i = 0; i < n; i++) {
		const char *base = strrchr(dirs[i], '/');
		rh__asrc src;
		rh__asrc_init(&src, &im->tree, dirs[i]);
		co.node_id = ids[i];
		error = rh__capture_session_src(&cs, st, &src.base,
						base ? base + 1 : dirs[i], &co);
		release_below(im, dirs[i]);
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
	free(dirs);
	free(ids);
	return error;
}

/* A node's files are held open at once while it is captured (twice: the
 * entry and the engine's descriptor): allow as many as the system lets
 * this process have. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
imp_free(struct imp *im)
{
	size_t i;

	if (im->a)
		archive_read_free(im->a);
	for (i = 0; i < im->cap; i++) {
		free(im->names[i]);
		free(im->targets[i]);
		if (im->fds[i] >= 0)
			close(im->fds[i]);
	}
	free(im->names);
	free(im->isdir);
	free(im->fds);
	free(im->targets);
	for (i = 0; i < im->tree.n; i++) {
		free(im->tree.v[i].path);
		free(im->tree.v[i].target);
		if (im->tree.v[i].fd >= 0)
			close(im->tree.v[i].fd);
	}
	free(im->tree.v);
	for (i = 0; i < im->nlinks; i++) {
		free(im->links[i].path);
		free(im->links[i].target);
	}
	free(im->links);
}

RH_EXTERN int
rh_archive_import(rh_import_stats *stats, rh_store *st, int fd,
		  const char *name, const rh_import_options *opts)
{
	rh_import_stats local;
	struct imp im;
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
	im.max_entry = opts->max_entry ? opts->max_entry : DEF_MAX_ENTRY;
	im.max_total = opts->max_total ? opts->max_total : DEF_MAX_TOTAL;
	im.ratio = opts->max_ratio ? opts->max_ratio : DEF_RATIO;
	im.max_memory = opts->max_memory ? opts->max_memory : DEF_MAX_MEMORY;
	im.tmpdir = opts->tmpdir ? opts->tmpdir : getenv("TMPDIR");
	if (!im.tmpdir || !*im.tmpdir)
		im.tmpdir = "/tmp";
	raise_fd_limit();
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
	if (im.a) {
		/* Read to its end: the decompressor's buffers can go. */
		archive_read_free(im.a);
		im.a = NULL;
	}
	if (error == 0 && (error = make_tree(&im)) == 0)
		error = capture_all(&im, st);
	imp_free(&im);
	return error;
}
