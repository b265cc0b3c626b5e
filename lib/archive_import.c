/* archive_import.c - Ray session directories from an archive into a store
 * (archive.h).
 *
 * The capture engine reads a session folder through a file source
 * (follow_source.h), and an archive is one sequential stream in which a
 * node's raylet.out - the only thing that names the node - may come after
 * every other file of the node. So entries are checked and held as they
 * are read (their bytes in memory, past a bound in unnamed temporary
 * files), and the engine captures a session folder from what is held
 * (archive_source.c): one engine, one resolver, and the result is by
 * construction what capturing the same folders directly gives. No folder
 * is unpacked on disk.
 *
 * A file is read twice: the survey checks every entry (so that a bad one
 * at the end still stores nothing), lists the session folders, reads their
 * node ids from the heads of the raylet's logs (all it keeps) and notes
 * each folder's last entry; the second read captures each folder when its
 * last entry has gone by and lets it go, so that a node at a time is held,
 * not the archive. A pipe is read once and held whole.
 *
 * Names are checked as they come: a name given twice, or a path going
 * through a link or a file, is refused; hard links are resolved once the
 * files of their folder are held. The session folders are captured in
 * archive_nodes.c. */
#define _GNU_SOURCE
#include "internal.h"
#include "catalog_manifest.h"
#include "archive_import.h"

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
		return rh__error(RH_EINVAL,
		                 "archive entry \"%s\": absolute path "
		                 "refused",
		                 raw);
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
			return rh__error(RH_EINVAL,
			                 "archive entry \"%s\": \"..\" "
			                 "refused",
			                 whole);
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

	for (i = hash_str(path) & mask; im->slots[i].path; i = (i + 1) & mask)
		if (!strcmp(im->slots[i].path, path))
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
	return im->slots[i].path ? im->slots[i].kind : -1;
}

static int
grow_names(struct imp *im)
{
	size_t ncap = im->cap ? im->cap * 2 : 1024, j, i;
	struct slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return RH_ENOMEM;
	for (j = 0; j < im->cap; j++) {
		if (!im->slots[j].path)
			continue;
		for (i = hash_str(im->slots[j].path) & (ncap - 1); ns[i].path;
		     i = (i + 1) & (ncap - 1))
			;
		ns[i] = im->slots[j];
	}
	free(im->slots);
	im->slots = ns;
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
	if (!(im->slots[i].path = strdup(path)))
		return RH_ENOMEM;
	im->slots[i].kind = (unsigned char)kind;
	im->slots[i].fd = -1;
	im->slots[i].seq = im->seq;
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
			error = rh__error(RH_EINVAL,
			                  "archive entry \"%s/%s\": "
			                  "its folder \"%s\" is %s; refused",
			                  path, sl + 1, path,
			                  k == K_LINK ? "a link" : "a file");
			*sl = '/';
			return error;
		}
		error = k < 0 ? add_name(im, path, K_DIR, &i) : 0;
		*sl = '/';
		if (error < 0)
			return error;
	}
	if (im->cap && im->slots[i = slot_of(im, path)].path) {
		if (kind == K_DIR && im->slots[i].kind == K_DIR) {
			im->slots[i].seq = im->seq;
			*slot = i;
			return 0;
		}
		return rh__error(RH_EINVAL,
		                 "archive entry \"%s\": the name is "
		                 "given twice; refused",
		                 path);
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
		return rh__error(RH_EIO,
		                 "archive entry \"%s\": a temporary file "
		                 "in %s: %s",
		                 path, im->tmpdir, strerror(errno));
	*out = -2 - fd; /* marks it spilled */
	return 0;
}

/* Bytes read, for the progress callback: a file read twice counts each
 * read as half of its size. */
static uint64_t
progress_of(const struct imp *im, uint64_t in)
{
	if (im->pass == SURVEY)
		return in / 2;
	if (im->pass == HOLD)
		return im->size / 2 + in / 2;
	return in;
}

/* The node id is read from the head of these files (capture_nodeid.c
 * reads at most 1 MiB of each, plus a line): all the survey keeps. */
#define ID_HEAD (2u << 20)

static int
names_node(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "raylet.out", 10) ||
	       !strcmp(base, "debug_state.txt");
}

/* Is `path` in a session folder the survey found, or an export's event
 * batch? Nothing else is ever read. */
static int
wanted(const struct imp *im, const char *path)
{
	size_t k, n;

	if (!strncmp(path, EXPORT_DIR "/", sizeof(EXPORT_DIR)))
		return 1;
	for (k = 0; k < im->nnodes; k++) {
		n = strlen(im->nodes[k].dir);
		if (!strncmp(path, im->nodes[k].dir, n) && path[n] == '/')
			return 1;
	}
	return 0;
}

static int
check_ratio(struct imp *im)
{
	uint64_t in = (uint64_t)archive_filter_bytes(im->a, -1);
	uint64_t out = im->stats->bytes_unpacked;

	im->stats->bytes_read = in;
	if (out > RATIO_FREE && out / (in ? in : 1) > im->ratio)
		return rh__error(RH_EINVAL,
		                 "archive unpacks to more than %" PRIu64
		                 " times its size (%" PRIu64
		                 " bytes from %" PRIu64
		                 "): a zip bomb? refused",
		                 im->ratio, out, in);
	if (im->o->progress) {
		int64_t now = rh__mono_ms();
		if (now - im->last_progress >= 200) {
			im->last_progress = now;
			im->o->progress(progress_of(im, in), out,
			                im->o->payload);
		}
	}
	return 0;
}

/* Where an entry's bytes go in this pass. */
struct body {
	int fd;           /* -1: nowhere */
	int keep;         /* its bytes are written to fd */
	int spilled;      /* fd is a file in tmpdir, not memory */
	int has_size;     /* the entry claims a size: claimed */
	uint64_t claimed; /* bytes it claims to hold */
	uint64_t limit;   /* bytes past this are not written */
};

/* Refuse an entry that claims more than one may hold before reading it. */
static int
check_claim(const struct imp *im, struct archive_entry *ent, const char *path,
            struct body *b)
{
	b->has_size = archive_entry_size_is_set(ent);
	if (!b->has_size)
		return 0;
	b->claimed = (uint64_t)archive_entry_size(ent);
	if (archive_entry_size(ent) < 0 || b->claimed > im->max_entry)
		return rh__error(RH_EINVAL,
		                 "archive entry \"%s\" claims "
		                 "%" PRId64 " bytes, more than the %" PRIu64
		                 " allowed; refused",
		                 path, (int64_t)archive_entry_size(ent),
		                 im->max_entry);
	return 0;
}

/* Choose, by pass, whether and where the entry's bytes are kept. */
static int
open_body(struct imp *im, const char *path, struct body *b)
{
	int error;

	if (im->pass == SURVEY) {
		/* Only what names the node is kept, and only its head. */
		b->keep = names_node(path);
		b->limit = ID_HEAD;
		if (b->keep &&
		    (b->fd = memfd_create("rayhist-import", MFD_CLOEXEC)) < 0)
			return rh__error(RH_EIO, "archive entry \"%s\": %s",
			                 path, strerror(errno));
	} else if (im->pass == HOLD && !wanted(im, path)) {
		b->keep = 0; /* in no session folder: never read */
	} else if ((error = new_body(im, path, b->claimed, &b->fd)) < 0) {
		return error;
	}
	b->spilled = b->fd < -1;
	if (b->spilled)
		b->fd = -2 - b->fd;
	return 0;
}

/* Take one data block at `off`: check it against the limits, write what
 * is kept of it, and count it. *written sums the blocks' lengths. */
static int
take_block(struct imp *im, const char *path, const struct body *b,
           const void *data, size_t len, la_int64_t off, uint64_t *written)
{
	uint64_t end = (uint64_t)off + len;
	int error;

	if (off < 0 || end > im->max_entry || (b->has_size && end > b->claimed))
		return rh__error(RH_EINVAL,
		                 "archive entry \"%s\": data "
		                 "runs past the %" PRIu64 " bytes it "
		                 "claims; refused",
		                 path,
		                 b->has_size ? b->claimed : im->max_entry);
	/* Checked before a byte is held: never more than max_total. */
	if (len > im->max_total - im->stats->bytes_unpacked)
		return rh__error(RH_EINVAL,
		                 "archive unpacks to more than "
		                 "%" PRIu64 " bytes; refused",
		                 im->max_total);
	if (b->keep && len && (uint64_t)off < b->limit) {
		size_t w = len < b->limit - (uint64_t)off ?
		                   len :
		                   (size_t)(b->limit - (uint64_t)off);
		if (pwrite(b->fd, data, w, (off_t)off) != (ssize_t)w)
			return rh__error(RH_EIO,
			                 "archive entry \"%s\": %s "
			                 "(is %s full?)",
			                 path, strerror(errno),
			                 b->spilled ? im->tmpdir : "memory");
	}
	*written += len;
	im->stats->bytes_unpacked += len;
	if (im->pass == SURVEY)
		;
	else if (b->spilled)
		im->stats->bytes_spilled += len;
	else
		im->in_memory += len;
	if ((error = check_ratio(im)) < 0)
		return error;
	if (end > *written && end - *written > im->max_total)
		return rh__error(RH_EINVAL,
		                 "archive entry \"%s\": holes "
		                 "too large; refused",
		                 path);
	return 0;
}

/* Give a kept body its full length (a sparse file's last hole) and the
 * entry's mtime. */
static int
finish_body(struct archive_entry *ent, const char *path, const struct body *b)
{
	struct timespec ts[2];

	if (b->has_size &&
	    ftruncate(b->fd, (off_t)(b->claimed < b->limit ? b->claimed :
	                                                     b->limit)) < 0)
		return rh__error(RH_EIO, "archive entry \"%s\": %s", path,
		                 strerror(errno));
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = archive_entry_mtime(ent);
	ts[1].tv_nsec = archive_entry_mtime_nsec(ent);
	if (archive_entry_mtime_is_set(ent))
		futimens(b->fd, ts);
	return 0;
}

static int
write_file(struct imp *im, struct archive_entry *ent, char *path, size_t slot)
{
	struct body b = { -1, 1, 0, 0, 0, UINT64_MAX };
	const void *data;
	size_t len;
	la_int64_t off;
	uint64_t written = 0;
	int r, error;

	if ((error = check_claim(im, ent, path, &b)) < 0 ||
	    (error = open_body(im, path, &b)) < 0)
		return error;
	im->slots[slot].fd = b.fd; /* closed with the names */
	im->slots[slot].in_memory = im->pass != SURVEY && !b.spilled;
	for (;;) {
		r = archive_read_data_block(im->a, &data, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return rh__error(RH_EINVAL, "archive entry \"%s\": %s",
			                 path, archive_error_string(im->a));
		if ((error = take_block(im, path, &b, data, len, off,
		                        &written)) < 0)
			return error;
	}
	if (!b.keep)
		return 0;
	return finish_body(ent, path, &b);
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
		error = rh__error(
			RH_EINVAL, "archive entry \"%s\": %s refused", path,
			type == AE_IFCHR || type == AE_IFBLK ? "a device" :
			type == AE_IFIFO                     ? "a FIFO" :
			type == AE_IFSOCK                    ? "a socket" :
					    "an entry of unknown type");
		goto done;
	}
	if ((error = note_name(im, path,
	                       hard || type == AE_IFLNK ? K_LINK :
	                       type == AE_IFDIR         ? K_DIR :
	                                                  K_FILE,
	                       &slot)) < 0)
		goto done;
	if (hard) {
		/* A hard link names another entry of the archive; it is
		 * resolved once every file is there. */
		if ((error = clean_path(&tpath, hard)) != 0) {
			error = rh__error(RH_EINVAL,
			                  "archive entry \"%s\": hard "
			                  "link to \"%s\", not a file of its "
			                  "session folder; refused",
			                  path, hard);
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
			error = rh__error(RH_EINVAL,
			                  "archive entry \"%s\": link "
			                  "with no target; refused",
			                  path);
		else if (!(im->slots[slot].target = strdup(t)))
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
 * then they are that file under a second name. Those below `dir` (NULL:
 * all), each once. */
int
rh_archive__make_links(struct imp *im, const char *dir)
{
	size_t i, at, to, n = dir ? strlen(dir) : 0;

	for (i = 0; i < im->nlinks; i++) {
		struct link *l = &im->links[i];
		size_t sp;
		if (!l->path ||
		    (dir && (strncmp(l->path, dir, n) || l->path[n] != '/')))
			continue;
		sp = session_prefix(l->path);
		if (!sp || strncmp(l->target, l->path, sp + 1) ||
		    name_kind(im, l->target) != K_FILE ||
		    (im->pass != SURVEY &&
		     im->slots[slot_of(im, l->target)].fd < 0))
			return rh__error(RH_EINVAL,
			                 "archive entry \"%s\": hard "
			                 "link to \"%s\", not a file of its "
			                 "session folder; refused",
			                 l->path, l->target);
		at = slot_of(im, l->path);
		to = slot_of(im, l->target);
		if (im->slots[to].fd >= 0 &&
		    (im->slots[at].fd =
		             fcntl(im->slots[to].fd, F_DUPFD_CLOEXEC, 0)) < 0)
			return rh__error(RH_EIO, "archive entry \"%s\": %s",
			                 l->path, strerror(errno));
		im->slots[at].kind = K_FILE;
		free(l->path);
		free(l->target);
		l->path = l->target = NULL;
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
		im->seq++;
		if ((error = one_entry(im, ent)) < 0 ||
		    (im->pass == HOLD &&
		     (error = rh_archive__capture_ended(im)) < 0))
			return error;
	}
	im->stats->bytes_read = (uint64_t)archive_filter_bytes(im->a, -1);
	if (im->o->progress && im->pass != SURVEY)
		im->o->progress(progress_of(im, im->stats->bytes_read),
		                im->stats->bytes_unpacked, im->o->payload);
	return rh_archive__make_links(im, NULL);
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

/* Forget every entry read (names, links, tree); the plan stays. */
static void
forget_entries(struct imp *im)
{
	size_t i;

	if (im->a)
		archive_read_free(im->a);
	im->a = NULL;
	for (i = 0; i < im->cap; i++) {
		if (!im->slots[i].path)
			continue; /* free, or moved to the tree */
		free(im->slots[i].path);
		free(im->slots[i].target);
		if (im->slots[i].fd >= 0)
			close(im->slots[i].fd);
	}
	free(im->slots);
	im->slots = NULL;
	im->nnames = im->cap = 0;
	for (i = 0; i < im->tree.n; i++) {
		free(im->tree.v[i].path);
		free(im->tree.v[i].target);
		if (im->tree.v[i].fd >= 0)
			close(im->tree.v[i].fd);
	}
	free(im->tree.v);
	im->tree.v = NULL;
	im->tree.n = 0;
	for (i = 0; i < im->nlinks; i++) {
		free(im->links[i].path);
		free(im->links[i].target);
	}
	free(im->links);
	im->links = NULL;
	im->nlinks = im->alinks = 0;
	im->in_memory = 0;
	im->seq = 0;
}

static void
imp_free(struct imp *im)
{
	size_t i;

	forget_entries(im);
	for (i = 0; i < im->nnodes; i++)
		free(im->nodes[i].dir);
	free(im->nodes);
}

static int
read_in_utf8(struct imp *im, int fd, const char *name)
{
	/* Zip names flagged UTF-8 are converted to the locale's charset,
	 * and in the C locale they cannot be: read them in a UTF-8 locale,
	 * on this thread only. Other names are bytes and stay as they are. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
	int error = read_all(im, fd, name);

	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	if (im->a) {
		/* Read to its end: the decompressor's buffers can go. */
		archive_read_free(im->a);
		im->a = NULL;
	}
	return error;
}

/* A file: survey it, then read it again capturing each node as its last
 * entry goes by. */
static int
import_file(struct imp *im, int fd, const char *name, off_t start)
{
	size_t k;
	int error;

	im->pass = SURVEY;
	if ((error = read_in_utf8(im, fd, name)) < 0 ||
	    (error = rh_archive__make_tree(&im->tree, im, 1)) < 0 ||
	    (error = rh_archive__plan_nodes(im, &im->tree)) < 0)
		return error;
	forget_entries(im);
	im->stats->entries = im->stats->bytes_unpacked = 0;
	if (lseek(fd, start, SEEK_SET) != start)
		return rh__error(RH_EIO, "%s: seek: %s", name, strerror(errno));
	im->pass = HOLD;
	if ((error = read_in_utf8(im, fd, name)) < 0)
		return error;
	/* The same entries as the survey read: every node went by. */
	for (k = 0; k < im->nnodes; k++)
		if (!im->nodes[k].done)
			return rh__error(RH_EIO,
			                 "%s: %s changed while it was "
			                 "read",
			                 name, im->nodes[k].dir);
	return rh_archive__make_tree(&im->tree, im, 1);
}

RH_EXTERN int
rh_archive_import(rh_import_stats *stats, rh_store *st, int fd,
                  const char *name, const rh_import_options *opts)
{
	rh_import_stats local;
	struct imp im;
	struct stat sb;
	off_t start;
	int error;

	if (stats &&
	    (error = rh__version_check(stats->version, RH_IMPORT_STATS_VERSION,
	                               "rh_import_stats")) < 0)
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
	    (opts->ns &&
	     (error = rh_layout_check_name("namespace", opts->ns)) < 0))
		return error;
	memset(&im, 0, sizeof(im));
	im.o = opts;
	im.st = st;
	im.stats = stats;
	im.max_entry = opts->max_entry ? opts->max_entry : DEF_MAX_ENTRY;
	im.max_total = opts->max_total ? opts->max_total : DEF_MAX_TOTAL;
	im.ratio = opts->max_ratio ? opts->max_ratio : DEF_RATIO;
	im.max_memory = opts->max_memory ? opts->max_memory : DEF_MAX_MEMORY;
	im.tmpdir = opts->tmpdir ? opts->tmpdir : getenv("TMPDIR");
	if (!im.tmpdir || !*im.tmpdir)
		im.tmpdir = "/tmp";
	if (!name)
		name = "archive";
	raise_fd_limit();
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (start = lseek(fd, 0, SEEK_CUR)) >= 0) {
		im.size = (uint64_t)sb.st_size;
		error = import_file(&im, fd, name, start);
	} else {
		im.pass = ONE;
		if ((error = read_in_utf8(&im, fd, name)) == 0 &&
		    (error = rh_archive__make_tree(&im.tree, &im, 1)) == 0)
			error = rh_archive__capture_all(&im);
	}
	if (error == 0)
		error = rh_archive__store_events(&im, st);
	if (error == 0 && im.first_error)
		error = rh__error(im.first_error,
		                  "%" PRIu64 " path(s) not stored",
		                  stats->total.files_not_stored);
	imp_free(&im);
	return error;
}
