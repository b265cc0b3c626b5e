/* follow_scan.c - a follower's view of the session directory: walk it (or
 * the directories inotify says changed), then match what is on disk to the
 * files already tracked (follow_internal.h).
 *
 * A file is the same file when it has the same device and inode and its
 * first bytes (up to 4 KiB) still hash to what was shipped: then a new path
 * is a move (rotation, logs/old/), and its shipped bytes stay where they
 * are. An inode alone is not enough, as the kernel reuses the inode of a
 * deleted file; a path alone is not either, since rotation puts a new file
 * under the old name. Everything is matched before anything changes, so the
 * order in which a walk meets raylet.out and raylet.out.1 does not matter. */
#include "follow_internal.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG_SESSION 1
#define RACE 2 /* same_content(): the file changed under us */

struct obs {
	char *path;
	uint64_t dev, ino, size;
	int64_t mtime_ms, btime_ns;
	int is_link;
	rh__ffile *e; /* the tracked file it is */
};

struct scope {
	char *dir;
	int recursive;
};

struct scan {
	rh_follow *f;
	int full;
	struct obs *v;
	size_t n, cap;
	struct scope *sc;
	size_t nsc, asc;
	int escalate;    /* a partial scan saw something it cannot judge */
	rh__skip *skips; /* what this full scan skips */
	size_t nskips, askips;
};

/* ---- collecting ---------------------------------------------------------- */

static int
add_obs(struct scan *sc, const char *rel, const rh__fid *id, int is_link)
{
	struct obs *o;

	if (sc->n == sc->cap) {
		size_t n = sc->cap ? sc->cap * 2 : 256;
		struct obs *v = rh__realloc(sc->v, n * sizeof(*v));
		if (!v)
			return RH_ENOMEM;
		sc->v = v;
		sc->cap = n;
	}
	o = &sc->v[sc->n];
	memset(o, 0, sizeof(*o));
	if (!(o->path = rh__strdup(rel)))
		return RH_ENOMEM;
	o->dev = id->dev;
	o->ino = is_link ? 0 : id->ino;
	o->btime_ns = is_link ? 0 : id->btime_ns;
	o->size = id->size;
	o->mtime_ms = id->mtime_ms;
	o->is_link = is_link;
	sc->n++;
	return 0;
}

static int
add_scope(struct scan *sc, const char *dir, int recursive)
{
	if (sc->nsc == sc->asc) {
		size_t n = sc->asc ? sc->asc * 2 : 8;
		struct scope *v = rh__realloc(sc->sc, n * sizeof(*v));
		if (!v)
			return RH_ENOMEM;
		sc->sc = v;
		sc->asc = n;
	}
	if (!(sc->sc[sc->nsc].dir = rh__strdup(dir)))
		return RH_ENOMEM;
	sc->sc[sc->nsc++].recursive = recursive;
	return 0;
}

/* Is `path` inside what this scan looked at? */
static int
in_scope(const struct scan *sc, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 0, i;

	if (sc->full)
		return 1;
	for (i = 0; i < sc->nsc; i++) {
		const char *d = sc->sc[i].dir;
		size_t dl = strlen(d);
		if (dl == plen && strncmp(d, path, plen) == 0)
			return 1;
		if (sc->sc[i].recursive &&
		    (dl == 0 || (plen > dl && strncmp(d, path, dl) == 0 &&
		                 path[dl] == '/')))
			return 1;
	}
	return 0;
}

/* Leave `rel` out. `not_stored` when it holds data that should have been
 * stored and could not be (unreadable, a name the store cannot take): the
 * run then is a partial failure, never a silent success. */
static int
skip(struct scan *sc, const char *rel, const char *why, int not_stored)
{
	rh_follow *f = sc->f;
	rh__skip *s;
	size_t i;

	/* Skips are listed in the manifest from full scans only, where the
	 * list is rebuilt whole; each is reported once, when first seen. */
	if (!sc->full)
		return 0;
	if (sc->nskips == sc->askips) {
		size_t n = sc->askips ? sc->askips * 2 : 8;
		if (!(s = rh__realloc(sc->skips, n * sizeof(*s))))
			return RH_ENOMEM;
		sc->skips = s;
		sc->askips = n;
	}
	s = &sc->skips[sc->nskips];
	s->path = rh__strdup(rel);
	s->why = rh__strdup(why);
	s->not_stored = not_stored;
	if (!s->path || !s->why) {
		free(s->path);
		free(s->why);
		return RH_ENOMEM;
	}
	sc->nskips++;
	for (i = 0; i < f->nskipped; i++)
		if (strcmp(f->skipped[i].path, rel) == 0)
			return 0;
	rh__follow_report(f, RH_FOLLOW_FILE_SKIPPED, rel, why);
	return 0;
}

static int
cmp_skip(const void *a, const void *b)
{
	return strcmp(((const rh__skip *)a)->path, ((const rh__skip *)b)->path);
}

/* The skips of a full scan replace the follower's; sorted, so the manifest
 * does not change with the order of readdir(). */
static void
take_skips(struct scan *sc)
{
	rh_follow *f = sc->f;

	if (sc->nskips > 1)
		qsort(sc->skips, sc->nskips, sizeof(*sc->skips), cmp_skip);

	rh__follow_clear_skips(f);
	free(f->skipped);
	f->skipped = sc->skips;
	f->nskipped = sc->nskips;
	f->askipped = sc->askips;
	sc->skips = NULL;
	sc->nskips = sc->askips = 0;
}

void
rh__follow_clear_skips(rh_follow *f)
{
	size_t i;

	for (i = 0; i < f->nskipped; i++) {
		free(f->skipped[i].path);
		free(f->skipped[i].why);
	}
	f->nskipped = 0;
	for (i = 0; i < f->nunread; i++) {
		free(f->unread[i].path);
		free(f->unread[i].why);
	}
	f->nunread = 0;
}

int
rh__follow_unread(rh_follow *f, const char *path, const char *why)
{
	rh__skip *s;
	size_t i;

	for (i = 0; i < f->nunread; i++)
		if (strcmp(f->unread[i].path, path) == 0)
			return 0; /* known and reported */
	if (f->nunread == f->aunread) {
		size_t n = f->aunread ? f->aunread * 2 : 8;
		if (!(s = rh__realloc(f->unread, n * sizeof(*s))))
			return RH_ENOMEM;
		f->unread = s;
		f->aunread = n;
	}
	s = &f->unread[f->nunread];
	s->path = rh__strdup(path);
	s->why = rh__strdup(why);
	s->not_stored = 1;
	if (!s->path || !s->why) {
		free(s->path);
		free(s->why);
		return RH_ENOMEM;
	}
	f->nunread++;
	f->changed = 1;
	rh__follow_report(f, RH_FOLLOW_FILE_SKIPPED, path, why);
	return 0;
}

void
rh__follow_unread_done(rh_follow *f, const char *path)
{
	size_t i;

	for (i = 0; i < f->nunread; i++)
		if (strcmp(f->unread[i].path, path) == 0) {
			free(f->unread[i].path);
			free(f->unread[i].why);
			f->unread[i] = f->unread[--f->nunread];
			f->changed = 1;
			return;
		}
}

uint64_t
rh__follow_not_stored(const rh_follow *f)
{
	uint64_t n = f->nunread;
	size_t i;

	for (i = 0; i < f->nskipped; i++)
		n += f->skipped[i].not_stored != 0;
	return n;
}

/* Directories under logs/ (and the session's own) are watched: that is
 * where Ray creates, rotates and moves files. The rest (runtime_resources,
 * metrics) is left to the periodic rescan, so a big runtime env does not
 * use up the kernel's watches. */
static void
maybe_watch(struct scan *sc, const char *full, const char *rel)
{
	rh_follow *f = sc->f;

	if (!f->w ||
	    (*rel && strcmp(rel, "logs") != 0 && strncmp(rel, "logs/", 5) != 0))
		return;
	if (rh__watch_has(f->w, rel, TAG_SESSION))
		return;
	if (rh__watch_add(f->w, full, rel, TAG_SESSION) < 0)
		rh_error_clear(); /* the rescan still finds it */
}

static int walk_dir(struct scan *sc, const char *rel, int recursive);

static int
visit(struct scan *sc, const char *rel, int recursive)
{
	rh_follow *f = sc->f;
	char real[PATH_MAX];
	size_t n = strlen(rel);
	rh__fid id;
	int is_link = 0, r;

	if (strlen(f->sdir) + 1 + n >= PATH_MAX)
		return skip(sc, rel, "not stored: path too long", 1);
	if (f->src->ops->stat(f->src, rel, 0, &id) < 0) {
		if (errno == ENOENT)
			return 0; /* gone meanwhile */
		return skip(
			sc, rel,
			errno == EACCES || errno == EPERM ?
				"not stored: cannot be looked at: permission denied" :
				"not stored: cannot be looked at",
			1);
	}
	if (rh_layout_check_path(rel) < 0) {
		rh_error_clear();
		return skip(sc, rel, "not stored: name cannot be stored", 1);
	}
	if (S_ISLNK(id.mode)) {
		if ((r = f->src->ops->resolve(f->src, rel, real,
		                              sizeof(real))) < 0)
			return skip(sc, rel, "dangling link", 0);
		if (r > 0)
			return skip(sc, rel, "link points outside the session",
			            0);
		if (f->src->ops->stat(f->src, real, 1, &id) < 0 ||
		    !S_ISREG(id.mode))
			return skip(sc, rel,
			            "link to something other than a file", 0);
		is_link = 1;
	}
	if (S_ISDIR(id.mode)) {
		/* A directory a partial scan did not know yet is new: walk
		 * it whole. */
		if (!recursive && f->w &&
		    !rh__watch_has(f->w, rel, TAG_SESSION) &&
		    (strcmp(rel, "logs") == 0 ||
		     strncmp(rel, "logs/", 5) == 0)) {
			int error = add_scope(sc, rel, 1);
			return error < 0 ? error : walk_dir(sc, rel, 1);
		}
		return recursive ? walk_dir(sc, rel, 1) : 0;
	}
	if (S_ISSOCK(id.mode))
		return skip(sc, rel, "socket", 0);
	if (!S_ISREG(id.mode))
		return skip(sc, rel, "not a regular file", 0);
	if (n > 5 && strcmp(rel + n - 5, ".lock") == 0)
		return skip(sc, rel, "lock file", 0);
	return add_obs(sc, rel, &id, is_link);
}

struct walk {
	struct scan *sc;
	const char *rel;
	int recursive;
};

static int
walk_entry(const char *name, void *payload)
{
	struct walk *w = payload;
	char child[PATH_MAX];

	if (snprintf(child, sizeof(child), "%s%s%s", w->rel, *w->rel ? "/" : "",
	             name) >= (int)sizeof(child))
		return skip(w->sc, name, "not stored: path too long", 1);
	return visit(w->sc, child, w->recursive);
}

static int
walk_dir(struct scan *sc, const char *rel, int recursive)
{
	rh_follow *f = sc->f;
	char full[PATH_MAX], why[128];
	struct walk w = { sc, rel, recursive };
	int error;

	if (snprintf(full, sizeof(full), "%s%s%s", f->sdir, *rel ? "/" : "",
	             rel) >= (int)sizeof(full))
		return skip(sc, rel, "not stored: path too long", 1);
	/* Watch before listing: an entry made in between is then both seen
	 * and reported. */
	maybe_watch(sc, full, rel);
	if ((error = f->src->ops->list(f->src, rel, walk_entry, &w)) != 1)
		return error;
	if (errno == ENOENT || errno == ENOTDIR) {
		/* It went away: whatever was in it is judged by a full
		 * scan. */
		sc->escalate = 1;
		return 0;
	}
	/* The session itself unreadable is a failure; one folder in it is
	 * skipped and reported, the rest goes on. */
	if (!*rel)
		return rh__error(RH_EIO, "%s: %s", full, strerror(errno));
	snprintf(why, sizeof(why), "not stored: folder cannot be read: %s",
	         strerror(errno));
	return skip(sc, rel, why, 1);
}

/* ---- held files ---------------------------------------------------------- */

void
rh__ffile_hold(rh__ffile *e, const char *full, size_t *nheld)
{
	rh__fid id;
	int fd;

	if (e->hold || e->gone || e->is_link || !e->ino ||
	    *nheld >= RH__MAX_HOLD)
		return;
	if ((fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return; /* the path is read as before */
	if (rh__fid_get(&id, fd, NULL, 0) < 0 ||
	    !rh__ffile_is(e, id.dev, id.ino, id.btime_ns)) {
		close(fd);
		return;
	}
	e->hold = fd + 1;
	(*nheld)++;
}

void
rh__ffile_release(rh__ffile *e, size_t *nheld)
{
	if (!e->hold)
		return;
	close(e->hold - 1);
	e->hold = 0;
	if (*nheld)
		(*nheld)--;
}

/* A file of another source than a folder (an archive's entry) is read
 * through a descriptor the source gives, every one of them held: the
 * shipping code opens by path only what is not held. */
static int
hold_from_source(rh_follow *f, rh__ffile *e)
{
	int fd;

	if (e->gone)
		return 0;
	if ((fd = f->src->ops->open(f->src, e->path)) < 0)
		return rh__error(RH_EIO, "%s/%s: %s", f->sdir, e->path,
		                 strerror(errno));
	e->hold = fd + 1;
	f->nheld++;
	return 0;
}

/* Where a held file that no walk finds was last: the kernel keeps the
 * name its dentry had when it was unlinked ("PATH (deleted)"), which is
 * where it was moved to (a worker's log moved to logs/old/, then deleted)
 * even when no walk saw it there. 1 with *rel set (a path inside the
 * session, other than e's, valid, free); 0 otherwise. */
static int
last_path(rh_follow *f, const rh__ffile *e, char **rel)
{
	static const char mark[] = " (deleted)";
	const size_t mlen = sizeof(mark) - 1;
	char link[64], real[PATH_MAX + 1];
	size_t rootlen = strlen(f->sdir), n;
	struct stat sb;
	ssize_t len;

	*rel = NULL;
	if (f->src != &f->dirsrc.base || !e->hold ||
	    fstat(e->hold - 1, &sb) < 0 || sb.st_nlink != 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", e->hold - 1);
	if ((len = readlink(link, real, sizeof(real) - 1)) < 0 ||
	    (size_t)len >= sizeof(real) - 1)
		return 0;
	real[len] = '\0';
	n = (size_t)len;
	if (n <= mlen || strcmp(real + n - mlen, mark) != 0)
		return 0;
	real[n - mlen] = '\0';
	if (strncmp(real, f->sdir, rootlen) != 0 || real[rootlen] != '/' ||
	    strcmp(real + rootlen + 1, e->path) == 0 ||
	    rh__fstate_find(f->s, real + rootlen + 1) >= 0)
		return 0;
	if (rh_layout_check_path(real + rootlen + 1) < 0) {
		rh_error_clear();
		return 0;
	}
	*rel = rh__strdup(real + rootlen + 1);
	return *rel != NULL;
}

/* ---- matching ------------------------------------------------------------ */

/* Do the first head_len bytes of the file at o still hash as e's did?
 * 1 yes, 0 no, RACE when the path now holds another file than o saw,
 * negative on failure. */
static int
same_content(rh_follow *f, const rh__ffile *e, const struct obs *o)
{
	unsigned char head[RH_HEAD_LEN];
	rh__fid id;
	ssize_t n;
	int fd, r;

	if (o->size < e->size)
		return 0;
	if (e->head_len == 0)
		return 1;
	/* Unchanged since last looked at: no need to read. */
	if (!e->recheck && strcmp(e->path, o->path) == 0 &&
	    o->size == e->seen && o->mtime_ms == e->mtime_ms && e->ino &&
	    rh__ffile_is(e, o->dev, o->ino, o->btime_ns))
		return 1;
	if (strlen(f->sdir) + 1 + strlen(o->path) >= PATH_MAX)
		return 0;
	if ((fd = f->src->ops->open(f->src, o->path)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return RACE;
		/* Unreadable (permissions): its content cannot be judged.
		 * Where it was, or with its identity, it is taken for the
		 * same file, so what was shipped stays; shipping then
		 * reports it as not stored. */
		return strcmp(e->path, o->path) == 0 ||
		       (e->ino && rh__ffile_is(e, o->dev, o->ino, o->btime_ns));
	}
	if (rh__fid_get(&id, fd, NULL, 0) < 0 ||
	    (!o->is_link && (id.dev != o->dev || id.ino != o->ino))) {
		close(fd);
		return RACE;
	}
	do
		n = pread(fd, head, e->head_len, 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return rh__error(RH_EIO, "%s: read: %s", o->path,
		                 strerror(errno));
	r = (size_t)n == e->head_len &&
	    rh__fnv1a(head, e->head_len) == e->head_hash;
	return r;
}

/* An open-addressing table of tracked files by (dev, ino). */
struct itab {
	rh__ffile **slot;
	size_t mask;
};

static size_t
ihash(uint64_t dev, uint64_t ino)
{
	uint64_t h =
		(dev * 0x9e3779b97f4a7c15ULL) ^ (ino * 0xc2b2ae3d27d4eb4fULL);
	return (size_t)(h ^ (h >> 29));
}

static int
itab_build(struct itab *t, const rh__fstate *s)
{
	size_t n = 16, i;

	while (n < s->nfiles * 2)
		n *= 2;
	if (!(t->slot = rh__calloc(n, sizeof(*t->slot))))
		return RH_ENOMEM;
	t->mask = n - 1;
	for (i = 0; i < s->nfiles; i++) {
		rh__ffile *e = s->files[i];
		size_t h;
		/* Deleted files never come back; their inode may, for
		 * another file. */
		if (e->gone || e->is_link || !e->ino || e->matched)
			continue;
		for (h = ihash(e->dev, e->ino) & t->mask; t->slot[h];
		     h = (h + 1) & t->mask)
			;
		t->slot[h] = e;
	}
	return 0;
}

/* The unmatched tracked file with this identity, or NULL. */
static rh__ffile *
itab_find(const struct itab *t, uint64_t dev, uint64_t ino, int64_t btime)
{
	size_t h;

	for (h = ihash(dev, ino) & t->mask; t->slot[h]; h = (h + 1) & t->mask)
		if (rh__ffile_is(t->slot[h], dev, ino, btime) &&
		    !t->slot[h]->matched)
			return t->slot[h];
	return NULL;
}

static int
try_match(rh_follow *f, rh__ffile *e, struct obs *o)
{
	int r = same_content(f, e, o);

	if (r == 1) {
		o->e = e;
		e->matched = 1;
	}
	return r;
}

/* 3. Files taken over from a manifest, identity unknown, that moved while
 * no follower ran (the state directory was lost): known by their first
 * bytes. They get an identity at their first scan, so this is rare and
 * bounded. */
static int
match_adopted(struct scan *sc)
{
	rh__fstate *s = sc->f->s;
	size_t i, j, tries = 0;
	int r = 0, any = 0;

	for (j = 0; j < s->nfiles && !any; j++)
		any = !s->files[j]->ino && !s->files[j]->matched &&
		      !s->files[j]->gone && !s->files[j]->is_link &&
		      s->files[j]->head_len > 0;
	for (i = 0; any && i < sc->n && r >= 0 && r != RACE; i++) {
		struct obs *o = &sc->v[i];
		if (o->e || o->is_link)
			continue;
		for (j = 0; j < s->nfiles && !o->e && r >= 0 && r != RACE;
		     j++) {
			rh__ffile *e = s->files[j];
			if (e->ino || e->matched || e->gone || e->is_link ||
			    e->head_len == 0 || o->size < e->size)
				continue;
			if (++tries > 4096)
				return 0;
			r = try_match(sc->f, e, o);
		}
	}
	return r;
}

static int
cmp_obs(const void *a, const void *b)
{
	return strcmp(((const struct obs *)a)->path,
	              ((const struct obs *)b)->path);
}

/* Pair observations with tracked files. Returns RACE when the directory
 * changed while it was being looked at (look again later). */
static int
match(struct scan *sc)
{
	rh_follow *f = sc->f;
	rh__fstate *s = f->s;
	struct itab t = { NULL, 0 };
	size_t i;
	long at;
	int r = 0;

	for (i = 0; i < s->nfiles; i++)
		s->files[i]->matched = 0;
	/* 1. The same file at the same path: the usual case. */
	for (i = 0; i < sc->n && r >= 0 && r != RACE; i++) {
		struct obs *o = &sc->v[i];
		rh__ffile *e;
		if ((at = rh__fstate_find(s, o->path)) < 0)
			continue;
		e = s->files[at];
		/* Adopted from a manifest (no identity), it may be a link:
		 * manifests do not say. */
		if (e->gone || (e->ino && e->is_link != o->is_link))
			continue;
		if (o->is_link || !e->ino ||
		    rh__ffile_is(e, o->dev, o->ino, o->btime_ns))
			r = try_match(f, e, o);
	}
	if (r < 0 || r == RACE)
		goto done;
	/* 2. The same inode elsewhere: a move. */
	if ((r = itab_build(&t, s)) < 0)
		goto done;
	for (i = 0; i < sc->n && r >= 0 && r != RACE; i++) {
		struct obs *o = &sc->v[i];
		rh__ffile *e;
		if (o->e || o->is_link ||
		    !(e = itab_find(&t, o->dev, o->ino, o->btime_ns)))
			continue;
		r = try_match(f, e, o);
	}
	if (r >= 0 && r != RACE)
		r = match_adopted(sc);
done:
	free(t.slot);
	return r < 0 ? r : (r == RACE ? RACE : 0);
}

/* ---- applying ------------------------------------------------------------ */

/* Forget tracked file i: it was deleted and its path is taken, or it was
 * replaced in place. Its parts go once the checkpoint no longer needs
 * them. */
static int
drop(rh_follow *f, size_t i, rh_follow_event ev)
{
	rh__ffile *x = rh__fstate_take(f->s, i);
	int error = rh__follow_drop_parts(f, x);

	rh__ffile_release(x, &f->nheld);

	if (ev == RH_FOLLOW_FILE_REPLACED) {
		f->stats.replaced++;
		rh__follow_report(f, ev, x->path, "stored anew");
	}
	rh__ffile_free(x);
	f->changed = 1;
	return error;
}

static const char *
obs_path(const void *v, size_t i)
{
	return ((const struct obs *)v)[i].path;
}

/* The observation at `path` in sorted-by-path walk `sc`, or NULL. */
static const struct obs *
obs_at(const struct scan *sc, const char *path)
{
	long i = rh__sorted_find(sc->v, sc->n, path, obs_path);

	return i < 0 ? NULL : &sc->v[i];
}

/* Tracked file i was truncated or replaced in place (logrotate's
 * copytruncate, a process that reopened its log with O_TRUNC): the bytes
 * shipped of it are history, kept as an earlier generation at "PATH~N"
 * (the first N free), as a rename rotation keeps "PATH.1". Its parts keep
 * their object names; nothing more is shipped of it. */
static int
keep_generation(struct scan *sc, size_t i)
{
	rh_follow *f = sc->f;
	rh__ffile *x = rh__fstate_take(f->s, i);
	rh_buf name = RH_BUF_INIT;
	unsigned n;
	int error = 0;

	/* The inode goes on as the new generation: not this one's bytes. */
	rh__ffile_release(x, &f->nheld);

	for (n = 1; error == 0; n++) {
		rh_buf_clear(&name);
		if ((error = rh_buf_printf(&name, "%s~%u", x->path, n)) == 0 &&
		    rh__fstate_find(f->s, name.ptr) < 0 &&
		    !obs_at(sc, name.ptr))
			break;
	}
	if (error < 0) {
		rh__fstate_insert(f->s, x); /* its old place is free */
		rh_buf_dispose(&name);
		return error;
	}
	{
		char detail[PATH_MAX + 40];
		snprintf(detail, sizeof(detail), "earlier bytes kept as %s",
		         name.ptr);
		rh__follow_report(f, RH_FOLLOW_FILE_REPLACED, x->path, detail);
	}
	free(x->path);
	x->path = name.ptr;
	x->gone = 1;
	f->stats.replaced++;
	f->changed = 1;
	if ((error = rh__fstate_insert(f->s, x)) < 0)
		rh__ffile_free(x);
	return error;
}

static int
new_file(rh_follow *f, const struct obs *o)
{
	rh__ffile *e;
	rh_buf name = RH_BUF_INIT;
	unsigned n;
	int error;

	if (!(e = rh__calloc(1, sizeof(*e))) ||
	    !(e->path = rh__strdup(o->path))) {
		error = RH_ENOMEM;
		goto done;
	}
	/* Parts are named by the path; a later generation of a path (the
	 * new raylet.out after rotation) whose name is still used by the
	 * older one gets "PATH~N". Chosen from the state alone, so a
	 * restarted follower picks the same name and overwrites its own
	 * parts. */
	if ((error = rh_buf_puts(&name, o->path)) < 0)
		goto done;
	for (n = 1; rh__fstate_obj_in_use(f->s, name.ptr); n++) {
		rh_buf_clear(&name);
		if ((error = rh_buf_printf(&name, "%s~%u", o->path, n)) < 0)
			goto done;
	}
	e->obj = name.ptr, name.ptr = NULL;
	e->dev = o->dev;
	e->ino = o->ino;
	e->btime_ns = o->btime_ns;
	e->is_link = o->is_link;
	e->seen = o->size;
	e->mtime_ms = o->mtime_ms;
	e->active_ms = rh__mono_ms();
	e->matched = 1; /* seen by this scan: not gone */
	if ((error = rh__fstate_insert(f->s, e)) < 0)
		goto done;
	e = NULL;
	f->changed = 1;
done:
	rh__ffile_free(e);
	rh_buf_dispose(&name);
	return error;
}

static void
observed(rh__ffile *e, const struct obs *o)
{
	if (o->size > e->seen || o->mtime_ms != e->mtime_ms)
		e->active_ms = rh__mono_ms();
	e->seen = o->size;
	e->mtime_ms = o->mtime_ms;
	e->is_link = o->is_link;
	e->dev = o->dev;
	e->ino = o->ino;
	e->btime_ns = o->btime_ns;
}

/* Moves: take every moved file out first, then put each at its new path,
 * so a chain (.1 -> .2 while raylet.out -> .1) needs no order. A file at
 * the new path that was not seen is gone, its path taken: dropped. */
static int
apply_moves(struct scan *sc)
{
	rh_follow *f = sc->f;
	rh__fstate *s = f->s;
	rh__ffile **moved;
	size_t i, n = 0, k = 0;
	long at;
	int error = 0;

	if (!(moved = rh__calloc(sc->n ? sc->n : 1, sizeof(*moved))))
		return RH_ENOMEM;
	for (i = 0; i < sc->n; i++) {
		struct obs *o = &sc->v[i];
		if (!o->e || strcmp(o->e->path, o->path) == 0)
			continue;
		at = rh__fstate_find(s, o->e->path);
		assert(at >= 0);
		moved[n++] = rh__fstate_take(s, (size_t)at);
	}
	for (i = 0; i < sc->n && error == 0; i++) {
		struct obs *o = &sc->v[i];
		char *old, *copy;
		if (!o->e || strcmp(o->e->path, o->path) == 0)
			continue;
		if ((at = rh__fstate_find(s, o->path)) >= 0 &&
		    (error = drop(f, (size_t)at, RH_FOLLOW_FILE_GONE)) < 0)
			break;
		if (!(copy = rh__strdup(o->path))) {
			error = RH_ENOMEM;
			break;
		}
		old = o->e->path;
		rh__follow_unread_done(f, old); /* its next ship says again */
		o->e->path = copy;
		rh__follow_report(f, RH_FOLLOW_FILE_MOVED, o->path, old);
		free(old);
		f->stats.moves++;
		f->changed = 1;
		/* moved[] is in the order of the obs: the k-th move is
		 * moved[k]. Once inserted it is no longer ours to free. */
		if ((error = rh__fstate_insert(s, o->e)) == 0)
			moved[k++] = NULL;
	}
	for (i = 0; i < n; i++) /* only after a failure */
		rh__ffile_free(moved[i]);
	free(moved);
	return error;
}

/* New files; one at a path still tracked replaced that file. */
static int
apply_new(struct scan *sc)
{
	rh_follow *f = sc->f;
	rh__fstate *s = f->s;
	size_t i;
	long at;
	int error = 0;

	for (i = 0; i < sc->n && error == 0; i++) {
		struct obs *o = &sc->v[i];
		if (o->e) {
			observed(o->e, o);
			continue;
		}
		if ((at = rh__fstate_find(s, o->path)) >= 0) {
			rh__ffile *e = s->files[at];
			/* The same file (or one whose identity is unknown)
			 * with other bytes was truncated in place: its
			 * history stays. A deleted file whose path another
			 * file took goes, as the node let it go. */
			if (!e->gone && e->nparts &&
			    (!e->ino ||
			     rh__ffile_is(e, o->dev, o->ino, o->btime_ns)))
				error = keep_generation(sc, (size_t)at);
			else
				error = drop(f, (size_t)at,
				             e->gone ? RH_FOLLOW_FILE_GONE :
				                       RH_FOLLOW_FILE_REPLACED);
			if (error < 0)
				break;
		}
		error = new_file(f, o);
	}
	return error;
}

/* Hold what was seen, while there is room. */
static int
hold_seen(struct scan *sc)
{
	rh_follow *f = sc->f;
	rh__fstate *s = f->s;
	size_t i;
	long at;
	int error = 0;

	for (i = 0; error == 0 && i < sc->n; i++) {
		char full[PATH_MAX];
		rh__ffile *e = sc->v[i].e;
		if (!e && (at = rh__fstate_find(s, sc->v[i].path)) >= 0)
			e = s->files[at];
		if (!e || e->hold)
			continue;
		if (f->src != &f->dirsrc.base)
			error = hold_from_source(f, e);
		else if (snprintf(full, sizeof(full), "%s/%s", f->sdir,
		                  e->path) < (int)sizeof(full))
			rh__ffile_hold(e, full, &f->nheld);
	}
	return error;
}

/* Move files[i] to `rel`, the path it was last held at (taking rel). */
static int
move_to(rh_follow *f, size_t i, char *rel)
{
	rh__fstate *s = f->s;
	rh__ffile *x = rh__fstate_take(s, i);
	char *old = x->path;
	int error;

	x->path = rel;
	if ((error = rh__fstate_insert(s, x)) < 0) {
		x->path = old;
		free(rel);
		rh__fstate_insert(s, x);
		return error;
	}
	rh__follow_unread_done(f, old);
	rh__follow_report(f, RH_FOLLOW_FILE_MOVED, rel, old);
	free(old);
	f->stats.moves++;
	return 0;
}

/* What a full scan did not find is gone; a held file that was deleted is
 * where it was last (it moved before it went). */
static int
mark_unfound(rh_follow *f)
{
	rh__fstate *s = f->s;
	size_t i;
	int error;

	for (i = 0; i < s->nfiles; i++) {
		rh__ffile *e = s->files[i];
		char *rel;
		if (e->matched || e->gone)
			continue;
		if (last_path(f, e, &rel)) {
			if ((error = move_to(f, i, rel)) < 0)
				return error;
			i = (size_t)-1; /* the order changed: look again */
			continue;
		}
		e->gone = 1;
		rh__follow_unread_done(f, e->path);
		f->stats.gone++;
		f->changed = 1;
		rh__follow_report(f, RH_FOLLOW_FILE_GONE, e->path, "deleted");
	}
	return 0;
}

static int
apply(struct scan *sc)
{
	int error;

	if ((error = apply_moves(sc)) < 0 || (error = apply_new(sc)) < 0 ||
	    (error = hold_seen(sc)) < 0 || !sc->full)
		return error;
	return mark_unfound(sc->f);
}

static void
free_scan(struct scan *sc)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		free(sc->v[i].path);
	for (i = 0; i < sc->nsc; i++)
		free(sc->sc[i].dir);
	for (i = 0; i < sc->nskips; i++) {
		free(sc->skips[i].path);
		free(sc->skips[i].why);
	}
	free(sc->v);
	free(sc->sc);
	free(sc->skips);
	memset(sc, 0, sizeof(*sc));
}

static int
collect(struct scan *sc)
{
	rh_follow *f = sc->f;
	size_t i;
	int error = 0;

	if (sc->full)
		return walk_dir(sc, "", 1);
	for (i = 0; i < f->ndirty && error == 0; i++)
		if ((error = add_scope(sc, f->dirty[i], 0)) == 0)
			error = walk_dir(sc, f->dirty[i], 0);
	return error;
}

struct ident {
	uint64_t dev, ino;
};

static int
cmp_ident(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The identities a walk saw, sorted; *dup is set when one was seen twice
 * (a file moved while the walk went on, or a hard link). */
static int
idents(struct ident **out, size_t *n_out, const struct scan *sc, int *dup)
{
	struct ident *v;
	size_t i, n = 0;

	*out = NULL;
	*n_out = 0;
	if (!(v = rh__calloc(sc->n ? sc->n : 1, sizeof(*v))))
		return RH_ENOMEM;
	for (i = 0; i < sc->n; i++)
		if (!sc->v[i].is_link) {
			v[n].dev = sc->v[i].dev;
			v[n++].ino = sc->v[i].ino;
		}
	qsort(v, n, sizeof(*v), cmp_ident);
	for (i = 1; dup && i < n; i++)
		if (!cmp_ident(&v[i - 1], &v[i]))
			*dup = 1;
	*out = v;
	*n_out = n;
	return 0;
}

/* Tracked files (with an identity) this walk did not find, in its scope. */
static int
has_missing(const struct scan *sc)
{
	const rh__fstate *s = sc->f->s;
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (!s->files[i]->matched && !s->files[i]->gone &&
		    in_scope(sc, s->files[i]->path))
			return 1;
	return 0;
}

/* Is there an observation of (dev, ino) at `path` in sorted-by-path walk
 * `sc`? */
static int
seen_at(const struct scan *sc, const char *path, uint64_t dev, uint64_t ino)
{
	const struct obs *o = obs_at(sc, path);

	return o && o->dev == dev && o->ino == ino;
}

/* A walk is no snapshot: a file renamed while it runs can be seen at both
 * paths, or at neither (moved from a directory not yet listed into one
 * already listed). The second shows as a duplicate identity; before walk
 * `a` makes a tracked file gone or replaced, a second full walk must not
 * find that file anywhere `a` did not already look at it (the kernel
 * reuses the inode of a deleted file for the next one, which `a` saw and
 * told apart by content). 1 if confirmed, 0 if not (walk again). */
static int
confirm_missing(rh_follow *f, const struct scan *a, int *error)
{
	struct scan b;
	size_t i, k;
	int ok = 1;

	memset(&b, 0, sizeof(b));
	b.f = f;
	b.full = 1;
	if ((*error = walk_dir(&b, "", 1)) < 0) {
		free_scan(&b);
		return 0;
	}
	for (i = 0; i < f->s->nfiles && ok; i++) {
		const rh__ffile *e = f->s->files[i];
		if (e->matched || e->gone || !e->ino || e->is_link)
			continue;
		for (k = 0; k < b.n && ok; k++)
			if (!b.v[k].is_link &&
			    rh__ffile_is(e, b.v[k].dev, b.v[k].ino,
			                 b.v[k].btime_ns) &&
			    !seen_at(a, b.v[k].path, e->dev, e->ino))
				ok = 0; /* it is there: it moved while we looked */
	}
	free_scan(&b);
	return ok;
}

int
rh__follow_scan(rh_follow *f, int full)
{
	struct scan sc;
	struct ident *v = NULL;
	size_t i, n;
	int error = 0, tries, dup;

	memset(&sc, 0, sizeof(sc));
	for (tries = 0; tries < 6; tries++) {
		free_scan(&sc);
		sc.f = f;
		sc.full = full;
		if ((error = collect(&sc)) < 0)
			break;
		if (sc.escalate && !full) {
			full = 1;
			continue;
		}
		if (sc.n > 1)
			qsort(sc.v, sc.n, sizeof(*sc.v), cmp_obs);
		dup = 0;
		if ((error = idents(&v, &n, &sc, &dup)) < 0)
			break;
		free(v);
		v = NULL;
		/* Hard links stay duplicates: after a few walks, take them. */
		if (dup && tries < 3)
			continue;
		if ((error = match(&sc)) < 0)
			break;
		if (error == RACE) {
			/* A file was swapped between stat and open. */
			error = 0;
			continue;
		}
		if (has_missing(&sc)) {
			/* A partial scan cannot tell deleted from moved out
			 * of its sight; a full one checks again. */
			if (!full) {
				full = 1;
				continue;
			}
			/* One pass tracks only what the store's manifest
			 * names, by path: nothing to confirm. */
			if (!f->once && !confirm_missing(f, &sc, &error)) {
				if (error < 0)
					break;
				continue;
			}
		}
		if ((error = apply(&sc)) < 0)
			break;
		if (full) {
			if (f->nskipped != sc.nskips)
				f->changed = 1;
			take_skips(&sc);
			f->scan_files = sc.n;
		}
		free_scan(&sc);
		f->stats.scans++;
		if (full)
			f->stats.full_scans++;
		for (i = 0; i < f->ndirty; i++)
			free(f->dirty[i]);
		f->ndirty = 0;
		return 0;
	}
	free_scan(&sc);
	/* The directory keeps changing under us: look again in a moment. */
	if (error == 0) {
		f->next_full = rh__mono_ms() + 200;
		error = RH__UNSETTLED;
	}
	return error;
}
