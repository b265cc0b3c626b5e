/* archive_source.c - one session folder of an archive, held in memory, as
 * the capture engine's file source (archive_source.h).
 *
 * It answers what a folder on disk would after the archive was unpacked
 * there: the same entries, modes, sizes and mtimes, links resolved as
 * realpath() would, had the archive been unpacked into a fresh folder. A
 * link whose target is absolute names the machine's file system, as it
 * would on disk: it is outside the session (or dangling when nothing is
 * there); it is never read. */
#define _GNU_SOURCE
#include "follow_internal.h"
#include "archive_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* As the kernel allows (MAXSYMLINKS). */
#define MAX_HOPS 40

/* The first entry not sorting before `path`. */
static size_t
lower_bound(const rh__atree *t, const char *path)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->v[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long
rh__atree_find(const rh__atree *t, const char *path)
{
	size_t i = lower_bound(t, path);

	return i < t->n && strcmp(t->v[i].path, path) == 0 ? (long)i : -1;
}

static int
too_long(void)
{
	errno = ENAMETOOLONG;
	return -1;
}

/* Drop the last component of cur (of length *clen). */
static void
up(char *cur, size_t *clen)
{
	char *ls = strrchr(cur, '/');

	*clen = ls ? (size_t)(ls - cur) : 0;
	cur[*clen] = '\0';
}

/* `path`, every link on the way followed, as a name of the tree: 0 with
 * out set, 1 when it leaves the archive, -1 with errno when it leads to
 * nothing. */
static int
resolve_full(const rh__atree *t, const char *path, char *out, size_t cap)
{
	char cur[PATH_MAX], rest[PATH_MAX], next[PATH_MAX], host[PATH_MAX];
	size_t clen = 0;
	int hops = 0;
	char *p = rest;

	cur[0] = '\0';
	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return too_long();
	while (*p) {
		char *comp = p, *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		const rh__aent *e;
		long i;

		p = slash ? slash + 1 : p + n;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			if (clen == 0) {
				/* Above the archive's root: unpacked into a
				 * fresh folder, nothing would be there. */
				errno = ENOENT;
				return -1;
			}
			up(cur, &clen);
			continue;
		}
		if (clen + 1 + n >= sizeof(cur))
			return too_long();
		if (clen)
			cur[clen++] = '/';
		memcpy(cur + clen, comp, n);
		clen += n;
		cur[clen] = '\0';
		if ((i = rh__atree_find(t, cur)) < 0) {
			errno = ENOENT;
			return -1;
		}
		e = &t->v[i];
		if (e->kind == RH__AK_FILE && p[strspn(p, "/")]) {
			errno = ENOTDIR;
			return -1;
		}
		if (e->kind != RH__AK_LINK)
			continue;
		if (++hops > MAX_HOPS) {
			errno = ELOOP;
			return -1;
		}
		if (snprintf(next, sizeof(next), "%s%s%s", e->target,
		             *p ? "/" : "", p) >= (int)sizeof(next))
			return too_long();
		if (next[0] == '/')
			return realpath(next, host) ? 1 : -1;
		up(cur, &clen);
		memcpy(rest, next, strlen(next) + 1);
		p = rest;
	}
	if (snprintf(out, cap, "%s", cur) >= (int)cap)
		return too_long();
	return 0;
}

static int
full_name(char *out, size_t cap, const rh__asrc *s, const char *rel)
{
	if (snprintf(out, cap, "%s%s%s", s->prefix, *rel ? "/" : "", rel) >=
	    (int)cap)
		return too_long();
	return 0;
}

static int
src_stat(rh__fsrc *base, const char *rel, int follow, rh__fid *out)
{
	rh__asrc *s = (rh__asrc *)base;
	char full[PATH_MAX], real[PATH_MAX];
	const char *name = full;
	const rh__aent *e;
	long i;
	int r;

	memset(out, 0, sizeof(*out));
	if (full_name(full, sizeof(full), s, rel) < 0)
		return -1;
	if (follow) {
		if ((r = resolve_full(s->t, full, real, sizeof(real))) != 0) {
			if (r > 0)
				errno = ENOENT;
			return -1;
		}
		name = real;
	} else if (strchr(rel, '/')) {
		/* lstat() follows every link but the last component. */
		char *last = strrchr(full, '/');
		*last = '\0';
		r = resolve_full(s->t, full, real, sizeof(real) - 1);
		*last = '/';
		if (r != 0) {
			if (r > 0)
				errno = ENOENT;
			return -1;
		}
		if (strlen(real) + strlen(last) >= sizeof(real))
			return too_long();
		strcat(real, last);
		name = real;
	}
	if ((i = rh__atree_find(s->t, name)) < 0) {
		errno = ENOENT;
		return -1;
	}
	e = &s->t->v[i];
	if (e->kind == RH__AK_FILE)
		return rh__fid_get(out, e->fd, NULL, 0);
	out->mode = e->kind == RH__AK_DIR ? S_IFDIR | 0700 : S_IFLNK | 0777;
	return 0;
}

static int
src_list(rh__fsrc *base, const char *rel, rh__fsrc_entry_cb cb, void *payload)
{
	rh__asrc *s = (rh__asrc *)base;
	char name[PATH_MAX], full[PATH_MAX];
	size_t i, n;
	long at = -1;
	int error = 0;

	/* opendir() follows links. */
	if (full_name(name, sizeof(name), s, rel) < 0 ||
	    (error = resolve_full(s->t, name, full, sizeof(full) - 1)) != 0) {
		if (error > 0)
			errno = ENOENT;
		return 1;
	}
	if ((at = rh__atree_find(s->t, full)) < 0 ||
	    s->t->v[at].kind != RH__AK_DIR) {
		errno = at < 0 ? ENOENT : ENOTDIR;
		return 1;
	}
	n = strlen(full);
	full[n++] = '/';
	full[n] = '\0';
	/* The folder's entries, and everything below them, sort together
	 * right after "FOLDER/". */
	for (i = lower_bound(s->t, full);
	     error == 0 && i < s->t->n &&
	     strncmp(s->t->v[i].path, full, n) == 0;
	     i++)
		if (!strchr(s->t->v[i].path + n, '/'))
			error = cb(s->t->v[i].path + n, payload);
	return error;
}

static int
src_resolve(rh__fsrc *base, const char *rel, char *out, size_t cap)
{
	rh__asrc *s = (rh__asrc *)base;
	char full[PATH_MAX], real[PATH_MAX];
	int r;

	if (full_name(full, sizeof(full), s, rel) < 0)
		return -1;
	if ((r = resolve_full(s->t, full, real, sizeof(real))) != 0)
		return r;
	if (strncmp(real, s->prefix, s->plen) != 0 || real[s->plen] != '/')
		return 1;
	if (snprintf(out, cap, "%s", real + s->plen + 1) >= (int)cap)
		return too_long();
	return 0;
}

static int
src_open(rh__fsrc *base, const char *rel)
{
	rh__asrc *s = (rh__asrc *)base;
	char full[PATH_MAX], real[PATH_MAX], proc[64];
	long i;
	int r, fd;

	if (full_name(full, sizeof(full), s, rel) < 0)
		return -1;
	if ((r = resolve_full(s->t, full, real, sizeof(real))) != 0) {
		if (r > 0)
			errno = ENOENT;
		return -1;
	}
	if ((i = rh__atree_find(s->t, real)) < 0 ||
	    s->t->v[i].kind != RH__AK_FILE) {
		errno = i < 0 ? ENOENT : EISDIR;
		return -1;
	}
	/* A description of its own (its own offset: stdio reads it), of
	 * the same file. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->t->v[i].fd);
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	if ((fd = fcntl(s->t->v[i].fd, F_DUPFD_CLOEXEC, 0)) >= 0)
		lseek(fd, 0, SEEK_SET);
	return fd;
}

static const rh__fsrc_ops archive_ops = {
	src_stat,
	src_list,
	src_resolve,
	src_open,
};

void
rh__asrc_init(rh__asrc *s, const rh__atree *t, const char *prefix)
{
	s->base.ops = &archive_ops;
	s->base.shown = prefix;
	s->t = t;
	s->prefix = prefix;
	s->plen = strlen(prefix);
}
