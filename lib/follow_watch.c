/* follow_watch.c - directory watches for the follower (follow_internal.h).
 *
 * Only changes of directory entries are watched (created, deleted, moved in
 * or out): they are what rotation, logs/old/ moves and new workers do, and
 * they are rare. Growth is not watched: a busy log would wake the follower
 * for every write() (IN_MODIFY), thousands of times a second, to learn what
 * one stat() a second tells. Losing events is harmless, as the follower's
 * periodic full rescan finds everything again. */
#include "follow_internal.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

struct wentry {
	int wd;
	int tag;
	char *rel;
};

struct rh__watch {
	int fd;
	struct wentry *v;
	size_t n, cap;
};

#ifdef __linux__

#define WATCH_MASK                                             \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

int
rh__watch_open(rh__watch **out)
{
	rh__watch *w;

	*out = NULL;
	if (!(w = rh__calloc(1, sizeof(*w))))
		return RH_ENOMEM;
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		int e = errno;
		free(w);
		return rh__error(RH_ENOTFOUND, "inotify: %s", strerror(e));
	}
	*out = w;
	return 0;
}

static struct wentry *
find_wd(rh__watch *w, int wd)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->v[i].wd == wd)
			return &w->v[i];
	return NULL;
}

static void
forget(rh__watch *w, size_t i)
{
	free(w->v[i].rel);
	w->v[i] = w->v[--w->n];
}

int
rh__watch_add(rh__watch *w, const char *full, const char *rel, int tag)
{
	struct wentry *e;
	char *copy;
	int wd;

	if ((wd = inotify_add_watch(w->fd, full, WATCH_MASK)) < 0) {
		if (errno == ENOSPC)
			return rh__error(RH_EBUSY,
			                 "inotify: watch limit "
			                 "reached at %s",
			                 full);
		return rh__error(errno == ENOENT || errno == ENOTDIR ?
		                         RH_ENOTFOUND :
		                         RH_EIO,
		                 "inotify: %s: %s", full, strerror(errno));
	}
	if (!(copy = rh__strdup(rel)))
		return RH_ENOMEM;
	/* The kernel hands out one wd per inode: a directory watched again
	 * (or moved and found again) keeps it. */
	if ((e = find_wd(w, wd))) {
		free(e->rel);
		e->rel = copy;
		e->tag = tag;
		return 0;
	}
	if (w->n == w->cap) {
		size_t n = w->cap ? w->cap * 2 : 16;
		struct wentry *v = rh__realloc(w->v, n * sizeof(*v));
		if (!v) {
			free(copy);
			inotify_rm_watch(w->fd, wd);
			return RH_ENOMEM;
		}
		w->v = v;
		w->cap = n;
	}
	w->v[w->n].wd = wd;
	w->v[w->n].tag = tag;
	w->v[w->n].rel = copy;
	w->n++;
	return 0;
}

int
rh__watch_has(const rh__watch *w, const char *rel, int tag)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (w->v[i].tag == tag && strcmp(w->v[i].rel, rel) == 0)
			return 1;
	return 0;
}

void
rh__watch_drop_tag(rh__watch *w, int tag)
{
	size_t i = 0;

	while (i < w->n) {
		if (w->v[i].tag == tag) {
			inotify_rm_watch(w->fd, w->v[i].wd);
			forget(w, i);
		} else {
			i++;
		}
	}
}

int
rh__watch_read(rh__watch *w, rh__watch_cb cb, void *payload)
{
	char buf[16384]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	char *p;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return rh__error(RH_EIO, "inotify: %s",
			                 strerror(errno));
		if (n == 0)
			return 0;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			struct wentry *e;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				cb(RH__WATCH_OVERFLOW, 0, "", "", payload);
				continue;
			}
			if (!(e = find_wd(w, ev->wd)))
				continue;
			if (ev->mask & IN_IGNORED) {
				/* The kernel dropped the watch (the directory
				 * is gone): forget it too. */
				forget(w, (size_t)(e - w->v));
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				cb(RH__WATCH_DIR_GONE, e->tag, e->rel, "",
				   payload);
			else
				cb(RH__WATCH_CHANGED, e->tag, e->rel,
				   ev->len ? ev->name : "", payload);
		}
	}
}

#else /* no inotify: the follower polls */

int
rh__watch_open(rh__watch **out)
{
	*out = NULL;
	return rh__error(RH_ENOTFOUND, "no inotify on this system");
}

int
rh__watch_add(rh__watch *w, const char *full, const char *rel, int tag)
{
	return RH_ENOTFOUND;
}

int
rh__watch_has(const rh__watch *w, const char *rel, int tag)
{
	return 0;
}

void
rh__watch_drop_tag(rh__watch *w, int tag)
{
}

int
rh__watch_read(rh__watch *w, rh__watch_cb cb, void *payload)
{
	return 0;
}

#endif

int
rh__watch_fd(const rh__watch *w)
{
	return w ? w->fd : -1;
}

size_t
rh__watch_count(const rh__watch *w)
{
	return w ? w->n : 0;
}

void
rh__watch_close(rh__watch *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->n; i++)
		free(w->v[i].rel);
	free(w->v);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
