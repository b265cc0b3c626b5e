/* follow_spool.c - the receiver's durable queue between Ray's POSTs and the store
 * (follow.h).
 *
 * One file per batch (per session of a batch), named SESSION@TIME-SEQ.json
 * ("_" when the events name no session), so the spool ships in arrival
 * order. A batch Ray sends twice (it retries when a reply is late) may be
 * spooled twice, but it is stored once: rh_events_ingest() names objects by
 * the SHA-256 of their bytes and skips one it finds. (Hashing here as well
 * cost a third of the receiver's CPU at Ray's event rates.) A file appears
 * in the spool only whole (written under a dot name, fsync'ed, renamed,
 * directory fsync'ed) and leaves it only after the store has it. */
#include "internal.h"
#include "follow_internal.h"
#include "follow_receiver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define NO_SESSION "_"

struct rh_spool {
	char dir[PATH_MAX];
	rh_spool_options o;
	/* accept() and ship() may run on two threads: the counters and the
	 * intake flag are shared. */
	pthread_mutex_t mu;
	int closed;
	uint64_t seq;           /* names of this run's files */
	rh_spool_stats stats;
};

RH_EXTERN int
rh_spool_open(rh_spool **out, const char *dir, const rh_spool_options *opts)
{
	rh_spool_options defaults = RH_SPOOL_OPTIONS_INIT;
	rh_spool *sp;
	struct dirent *de;
	struct stat sb;
	char path[PATH_MAX + 300];
	DIR *d;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!dir || opts->version != RH_SPOOL_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "spool: no directory, or bad options");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return rh__error(RH_EIO, "%s: %s", dir, strerror(errno));
	if (!(d = opendir(dir)))
		return rh__error(RH_EIO, "%s: %s", dir, strerror(errno));
	if (!(sp = rh__calloc(1, sizeof(*sp)))) {
		closedir(d);
		return RH_ENOMEM;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->o = *opts;
	if (!sp->o.max_body)
		sp->o.max_body = 32u << 20;
	if (!sp->o.cap)
		sp->o.cap = 256u << 20;
	if (!sp->o.min_free)
		sp->o.min_free = 64u << 20;
	if (!sp->o.retry_after_s)
		sp->o.retry_after_s = 5;
	pthread_mutex_init(&sp->mu, NULL);
	/* Leftovers of a write cut short were never acknowledged: Ray sends
	 * them again. */
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' && n > 4 && !strcmp(de->d_name + n - 4, ".tmp"))
			unlink(path);
		else if (de->d_name[0] != '.' && n > 5 &&
			 !strcmp(de->d_name + n - 5, ".json") &&
			 stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			sp->stats.bytes += (uint64_t)sb.st_size;
			sp->stats.batches++;
		}
	}
	closedir(d);
	*out = sp;
	return 0;
}

RH_EXTERN void
rh_spool_close(rh_spool *sp)
{
	if (!sp)
		return;
	pthread_mutex_destroy(&sp->mu);
	free(sp);
}

RH_EXTERN void
rh_spool_close_intake(rh_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	sp->closed = 1;
	pthread_mutex_unlock(&sp->mu);
}

RH_EXTERN int
rh_spool_stats_get(rh_spool_stats *out, rh_spool *sp)
{
	int error;

	if (!out || !sp)
		return rh__error(RH_EINVAL, "rh_spool_stats_get: NULL argument");
	if ((error = rh__version_check(out->version, RH_SPOOL_STATS_VERSION,
				       "rh_spool_stats")) < 0)
		return error;
	pthread_mutex_lock(&sp->mu);
	*out = sp->stats;
	pthread_mutex_unlock(&sp->mu);
	out->version = RH_SPOOL_STATS_VERSION;
	return 0;
}

/* Unique, and in arrival order: the wall clock in ns and a counter
 * (a clock stepped back cannot reuse a name of this run's, as the counter
 * grows; a name from an earlier run has another time). */
static void
file_name(char *out, size_t cap, rh_spool *sp, const char *session)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, cap, "%s@%016llx-%08llx.json", *session ? session : NO_SESSION,
		 (unsigned long long)ts.tv_sec * 1000000000ull +
		 (unsigned long long)ts.tv_nsec,
		 (unsigned long long)(sp->seq++ & 0xffffffffu));
}

static int
refuse(rh_spool *sp, rh_receiver_reply *r, const char *why)
{
	r->status = 503;
	r->retry_after = sp->o.retry_after_s;
	snprintf(r->message, sizeof(r->message), "%s", why);
	sp->stats.refused++;
	return rh__error(RH_EBUSY, "%s", why);
}

/* Is there room for `need` more bytes? Called with the lock held. */
static int
has_room(rh_spool *sp, rh_receiver_reply *r, uint64_t need)
{
	struct statvfs vfs;
	char why[200];

	if (sp->stats.bytes + need > sp->o.cap) {
		snprintf(why, sizeof(why), "the event spool is full (%llu of %llu "
			 "bytes); try again later",
			 (unsigned long long)sp->stats.bytes,
			 (unsigned long long)sp->o.cap);
		return refuse(sp, r, why);
	}
	if (statvfs(sp->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < sp->o.min_free + need)
		return refuse(sp, r, "the disk of the event spool is nearly full; "
			      "try again later");
	return 0;
}

RH_EXTERN int
rh_spool_accept(rh_receiver_reply *r, rh_spool *sp, const void *body,
		size_t len)
{
	rh__rsplit split;
	uint64_t need = 0;
	char name[400];
	size_t i;
	int error;

	if ((error = rh__receiver_split(&split, r, body, len, sp->o.max_body)) < 0) {
		if (error == RH_ENOMEM) {
			r->status = 503;
			r->retry_after = sp->o.retry_after_s;
			snprintf(r->message, sizeof(r->message), "out of memory");
		}
		pthread_mutex_lock(&sp->mu);
		if (error == RH_EINVAL)
			sp->stats.rejected++;
		pthread_mutex_unlock(&sp->mu);
		return error;
	}
	for (i = 0; i < split.ngroups; i++)
		need += split.ngroups == 1 ? len : split.groups[i].body.size;
	/* The lock is held through the writes: once close_intake() returns,
	 * no batch is half way into the spool. */
	pthread_mutex_lock(&sp->mu);
	if (sp->closed) {
		error = refuse(sp, r, "the collector is shutting down");
		goto done;
	}
	if ((error = has_room(sp, r, need)) < 0)
		goto done;
	for (i = 0; i < split.ngroups; i++) {
		const void *data = split.ngroups == 1 ? body : split.groups[i].body.ptr;
		size_t n = split.ngroups == 1 ? len : split.groups[i].body.size;

		file_name(name, sizeof(name), sp, split.groups[i].session);
		if ((error = rh__write_file_atomic(sp->dir, name, data, n)) < 0) {
			r->status = 500;
			snprintf(r->message, sizeof(r->message), "%s", rh_error_last());
			goto done;
		}
		sp->stats.bytes += n;
		sp->stats.batches++;
	}
	sp->stats.accepted++;
done:
	pthread_mutex_unlock(&sp->mu);
	rh__rsplit_free(&split);
	return error;
}

/* ---- shipping ------------------------------------------------------------ */

static int
read_all(rh_buf *out, const char *path)
{
	char chunk[65536];
	ssize_t n;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rh__error(errno == ENOENT ? RH_ENOTFOUND : RH_EIO, "%s: %s",
				 path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EIO, "%s: %s", path, strerror(errno));
			break;
		}
		if (out->size + (size_t)n > (1u << 30)) {
			error = rh__error(RH_EINVAL, "%s: implausibly large", path);
			break;
		}
		if ((error = rh_buf_put(out, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return error;
}

/* Move a batch the store refuses out of the way, so it does not block the
 * rest; kept for a person to look at. */
static void
reject(rh_spool *sp, const char *name)
{
	char from[PATH_MAX + 400], to[PATH_MAX + 420], dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/rejected", sp->dir);
	mkdir(dir, 0700);
	snprintf(from, sizeof(from), "%s/%s", sp->dir, name);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	rename(from, to);
}

static int
ship_one(rh_spool *sp, rh_store *st, const char *ns, const char *cluster,
	 const char *fallback, const char *name, int *skipped, uint64_t *size)
{
	char session[256], path[PATH_MAX + 400];
	const char *at = strchr(name, '@');
	rh_buf data = RH_BUF_INIT, prefix = RH_BUF_INIT;
	rh_session_ref ref;
	int error, added = 0;

	*skipped = 0;
	*size = 0;
	if (!at || (size_t)(at - name) >= sizeof(session))
		return 0;
	snprintf(session, sizeof(session), "%.*s", (int)(at - name), name);
	if (!strcmp(session, NO_SESSION)) {
		if (!fallback) {
			*skipped = 1; /* waits for a session to be followed */
			return 0;
		}
		snprintf(session, sizeof(session), "%s", fallback);
	}
	ref.ns = ns;
	ref.cluster = cluster;
	ref.session = session;
	snprintf(path, sizeof(path), "%s/%s", sp->dir, name);
	if ((error = rh_layout_session_prefix(&prefix, &ref)) < 0 ||
	    (error = read_all(&data, path)) < 0)
		goto done;
	error = rh_events_ingest(NULL, &added, st, prefix.ptr, name,
				 data.ptr ? data.ptr : "", data.size);
	if (error == RH_EINVAL) {
		reject(sp, name);
	} else if (error == 0) {
		/* Only now that the store has it. */
		unlink(path);
	}
	*size = data.size;
	pthread_mutex_lock(&sp->mu);
	if (error == 0 || error == RH_EINVAL) {
		sp->stats.bytes -= sp->stats.bytes >= data.size ? data.size
								: sp->stats.bytes;
		if (sp->stats.batches)
			sp->stats.batches--;
	}
	if (error == 0) {
		sp->stats.shipped++;
		sp->stats.stored += (uint64_t)added;
	}
	pthread_mutex_unlock(&sp->mu);
done:
	rh_buf_dispose(&data);
	rh_buf_dispose(&prefix);
	return error;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

RH_EXTERN int
rh_spool_ship(int *more_out, rh_spool *sp, rh_store *st, const char *ns,
	      const char *cluster, const char *session, uint64_t budget)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	uint64_t spent = 0, size;
	int error = 0, first_invalid = 0, more = 0, skipped;
	DIR *d;

	if (more_out)
		*more_out = 0;
	if (!sp || !st || !ns || !cluster)
		return rh__error(RH_EINVAL, "spool: NULL argument");
	if (!(d = opendir(sp->dir)))
		return rh__error(RH_EIO, "%s: %s", sp->dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **v = rh__realloc(names, (cap = cap ? cap * 2 : 64) *
							      sizeof(*v));
			if (!v) {
				error = RH_ENOMEM;
				goto done;
			}
			names = v;
		}
		if (!(names[n] = rh__strdup(de->d_name))) {
			error = RH_ENOMEM;
			goto done;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if (budget && spent >= budget) {
			more = 1;
			break;
		}
		error = ship_one(sp, st, ns, cluster, session, names[i], &skipped,
				 &size);
		spent += size;
		more |= skipped;
		if (error == RH_EINVAL) {
			/* moved aside; report it, but ship the rest */
			if (!first_invalid)
				first_invalid = 1;
			rh_error_clear();
			error = 0;
			continue;
		}
		if (error == RH_ENOTFOUND) { /* gone meanwhile */
			rh_error_clear();
			error = 0;
			continue;
		}
		if (error < 0) {
			more = 1;
			break;
		}
	}
	if (error == 0 && first_invalid)
		error = rh__error(RH_EINVAL, "%s: a batch the store refused was "
				  "moved to rejected/", sp->dir);
done:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (more_out)
		*more_out = more;
	return error;
}
