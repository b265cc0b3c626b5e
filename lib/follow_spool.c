/* follow_spool.c - the receiver's durable queue between Ray's POSTs and the store
 * (follow.h).
 *
 * One file per batch (per session of a batch), named SESSION@TIME-SEQ.json
 * ("_" when the events name no session), so the spool ships in arrival
 * order. Shipping packs a session's batches into few large event objects
 * (see "shipping: packs" below): a batch Ray sends twice (it retries when a
 * reply is late) may be spooled twice, but it is stored once - also when
 * the repeat comes after a restart (the batches shipped lately are kept in
 * DIR/.recent-batches). A file
 * appears in the spool only whole (written under a dot name, fsync'ed,
 * renamed, directory fsync'ed) and leaves it only after the store has it
 * and the receiver's generation mark (marks.h) announced it. */
#include "internal.h"
#include "follow_internal.h"
#include "follow_receiver.h"
#include "marks.h"

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
#define RH__SPOOL_RECENT 1024

struct rh_spool {
	char dir[PATH_MAX];
	rh_spool_options o;
	/* accept() and ship() may run on two threads: the counters and the
	 * intake flag are shared. */
	pthread_mutex_t mu;
	int closed;
	uint64_t seq; /* names of this run's files */
	rh_spool_stats stats;
	/* this receiver's generation marks (marks.h): "recv-ID", ID kept in
	 * DIR/.writer-id so a restarted receiver replaces its own mark; the
	 * key last written, for the session last shipped to */
	char writer[24];
	char mark_session[256];
	char mark_last[RH__MARK_KEY_MAX];
	/* batches shipped lately, to store a repeated POST once */
	struct {
		uint64_t hash, len;
	} recent[RH__SPOOL_RECENT];
	uint64_t nrecent;
	int single; /* a pack was refused: ship one by one */
};

/* The receiver's writer id: read from DIR/.writer-id, or made and kept. */
static int
writer_id(rh_spool *sp)
{
	char path[PATH_MAX + 16], id[17];
	FILE *fp;
	size_t n = 0, i;
	int error;

	snprintf(path, sizeof(path), "%s/.writer-id", sp->dir);
	if ((fp = fopen(path, "r"))) {
		n = fread(id, 1, 16, fp);
		fclose(fp);
		for (i = 0; i < n && rh__hexval(id[i]) >= 0 &&
		            !(id[i] >= 'A' && id[i] <= 'F');
		     i++)
			;
		if (n == 16 && i == 16) {
			id[16] = '\0';
			snprintf(sp->writer, sizeof(sp->writer), "recv-%s", id);
			return 0;
		}
	}
	rh__mark_random_hex(id);
	if ((error = rh__write_file_atomic(sp->dir, ".writer-id", id, 16)) < 0)
		return error;
	snprintf(sp->writer, sizeof(sp->writer), "recv-%s", id);
	return 0;
}

/* DIR/.recent-batches: the batches shipped lately, so that a batch Ray
 * sends again after a restart is not stored twice. Only a hint for that:
 * a file that is not exactly what recent_save() writes is ignored. */
#define RECENT_FILE ".recent-batches"
static const char recent_magic[8] = { 'R', 'H', 'R', 'E', 'C', 'N', 'T', '1' };

static int read_all(rh_buf *out, const char *path);

static void
recent_load(rh_spool *sp)
{
	char path[PATH_MAX + 32];
	rh_buf b = RH_BUF_INIT;

	snprintf(path, sizeof(path), "%s/" RECENT_FILE, sp->dir);
	if (read_all(&b, path) == 0 && b.size == 16 + sizeof(sp->recent) &&
	    memcmp(b.ptr, recent_magic, sizeof(recent_magic)) == 0) {
		memcpy(&sp->nrecent, b.ptr + 8, 8);
		memcpy(sp->recent, b.ptr + 16, sizeof(sp->recent));
	}
	rh_buf_dispose(&b);
	rh_error_clear(); /* none yet, or damaged: only a hint lost */
}

static int
recent_save(rh_spool *sp)
{
	unsigned char buf[8 + 8 + sizeof(sp->recent)];

	memcpy(buf, recent_magic, sizeof(recent_magic));
	memcpy(buf + 8, &sp->nrecent, 8);
	memcpy(buf + 16, sp->recent, sizeof(sp->recent));
	return rh__write_file_atomic(sp->dir, RECENT_FILE, buf, sizeof(buf));
}

RH_EXTERN int
rh_spool_open(rh_spool **out, const char *dir, const rh_spool_options *opts)
{
	rh_spool_options defaults = RH_SPOOL_OPTIONS_INIT;
	rh_spool *sp;
	struct dirent *de;
	struct stat sb;
	char path[PATH_MAX + 300];
	DIR *d;
	int error;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!dir || !opts->version || opts->version > RH_SPOOL_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "spool: no directory, or bad options");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return rh__error(RH_EIO, "%s: %s", dir, strerror(errno));
	if (!(d = opendir(dir)))
		return rh__error(RH_EIO, "%s: %s", dir, strerror(errno));
	if (!(sp = rh__calloc(1, sizeof(*sp)))) {
		closedir(d);
		return RH_ENOMEM;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	/* a version 1 struct ends before the pack fields */
	memcpy(&sp->o, opts,
	       opts->version < 2 ? offsetof(rh_spool_options, pack_bytes) :
	                           sizeof(sp->o));
	sp->o.version = RH_SPOOL_OPTIONS_VERSION;
	if (!sp->o.max_body)
		sp->o.max_body = 32u << 20;
	if (!sp->o.cap)
		sp->o.cap = 256u << 20;
	if (!sp->o.min_free)
		sp->o.min_free = 64u << 20;
	if (!sp->o.retry_after_s)
		sp->o.retry_after_s = 5;
	if (opts->version < 2)
		sp->o.pack_bytes = 0, sp->o.pack_ms = 0;
	if (!sp->o.pack_bytes)
		sp->o.pack_bytes = 16u << 20;
	pthread_mutex_init(&sp->mu, NULL);
	/* Leftovers of a write cut short were never acknowledged: Ray sends
	 * them again. */
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' && n > 4 &&
		    !strcmp(de->d_name + n - 4, ".tmp"))
			unlink(path);
		else if (de->d_name[0] != '.' && n > 5 &&
		         !strcmp(de->d_name + n - 5, ".json") &&
		         stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			sp->stats.bytes += (uint64_t)sb.st_size;
			sp->stats.batches++;
		}
	}
	closedir(d);
	if ((error = writer_id(sp)) < 0) {
		rh_spool_close(sp);
		return error;
	}
	recent_load(sp);
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
		return rh__error(RH_EINVAL,
		                 "rh_spool_stats_get: NULL argument");
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
	snprintf(out, cap, "%s@%016llx-%08llx.json",
	         *session ? session : NO_SESSION,
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
		snprintf(why, sizeof(why),
		         "the event spool is full (%llu of %llu "
		         "bytes); try again later",
		         (unsigned long long)sp->stats.bytes,
		         (unsigned long long)sp->o.cap);
		return refuse(sp, r, why);
	}
	if (statvfs(sp->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < sp->o.min_free + need)
		return refuse(sp, r,
		              "the disk of the event spool is nearly full; "
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

	if ((error = rh__receiver_split(&split, r, body, len, sp->o.max_body)) <
	    0) {
		if (error == RH_ENOMEM) {
			r->status = 503;
			r->retry_after = sp->o.retry_after_s;
			snprintf(r->message, sizeof(r->message),
			         "out of memory");
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
		const void *data =
			split.ngroups == 1 ? body : split.groups[i].body.ptr;
		size_t n = split.ngroups == 1 ? len : split.groups[i].body.size;

		file_name(name, sizeof(name), sp, split.groups[i].session);
		if ((error = rh__write_file_atomic(sp->dir, name, data, n)) <
		    0) {
			r->status = 500;
			snprintf(r->message, sizeof(r->message), "%s",
			         rh_error_last());
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
		return rh__error(errno == ENOENT ? RH_ENOTFOUND : RH_EIO,
		                 "%s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EIO, "%s: %s", path,
			                  strerror(errno));
			break;
		}
		if (out->size + (size_t)n > (1u << 30)) {
			error = rh__error(RH_EINVAL, "%s: implausibly large",
			                  path);
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

/* ---- shipping: packs ------------------------------------------------------
 *
 * Batches of one session are shipped together, as one event object (a JSON
 * array of all their events) bounded by opts.pack_bytes, once the oldest
 * has waited opts.pack_ms (or the pack is full, or intake is closed): Ray
 * posts every second, and one object per batch would make tens of
 * thousands of objects a day. Exactly once, through a crash at any point:
 *
 *   1. the pack's members are chosen (consecutive batches of one session in
 *      name order, identical ones kept once: Ray posts a batch again when
 *      its reply is late) and written to DIR/.pack-journal, kept and
 *      dropped members apart;
 *   2. the kept members are stored as one object named by the digest of
 *      its bytes (rh_events_ingest(), which skips an object it finds);
 *   3. the receiver's generation mark of the session moves (marks.h);
 *   4. the members are deleted from the spool, then the journal.
 *
 * A restart finds the journal and finishes it first: with every kept
 * member still there it rebuilds the same bytes, hence the same object
 * name, and stores nothing twice; with one gone, step 2 was done. */

#define JOURNAL ".pack-journal"

static int
seen_recently(const rh_spool *sp, uint64_t h, uint64_t len)
{
	size_t i;

	for (i = 0; i < RH__SPOOL_RECENT; i++)
		if (sp->recent[i].len == len && sp->recent[i].hash == h && len)
			return 1;
	return 0;
}

static void
remember(rh_spool *sp, uint64_t h, uint64_t len)
{
	sp->recent[sp->nrecent % RH__SPOOL_RECENT].hash = h;
	sp->recent[sp->nrecent % RH__SPOOL_RECENT].len = len;
	sp->nrecent++;
}

/* The events of a spooled batch (a JSON array): the bytes between its
 * brackets, trimmed; empty for "[]". RH_EINVAL when it is no array (it
 * did not come through rh_spool_accept()). */
static int
inner(const char **p, size_t *n, const rh_buf *b, const char *name)
{
	const char *s = b->ptr ? b->ptr : "", *e = s + b->size;

	while (s < e && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' ||
	                 e[-1] == '\t'))
		e--;
	if (e - s < 2 || *s != '[' || e[-1] != ']')
		return rh__error(RH_EINVAL, "%s: not a JSON array", name);
	s++, e--;
	while (s < e && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' ||
	                 e[-1] == '\t'))
		e--;
	*p = s;
	*n = (size_t)(e - s);
	return 0;
}

typedef struct pack {
	char session[256]; /* where it goes */
	char **names;      /* members, in order */
	int *keep;         /* 1: stored; 0: a repeat, dropped */
	size_t n;
	uint64_t bytes; /* spooled bytes of all members */
} pack;

static void
pack_free(pack *pk)
{
	size_t i;

	for (i = 0; i < pk->n; i++)
		free(pk->names[i]);
	free(pk->names);
	free(pk->keep);
	memset(pk, 0, sizeof(*pk));
}

static int
pack_add(pack *pk, const char *name, int keep)
{
	char **v;
	int *k;

	if (!(v = rh__realloc(pk->names, (pk->n + 1) * sizeof(*v))))
		return RH_ENOMEM;
	pk->names = v;
	if (!(k = rh__realloc(pk->keep, (pk->n + 1) * sizeof(*k))))
		return RH_ENOMEM;
	pk->keep = k;
	if (!(pk->names[pk->n] = rh__strdup(name)))
		return RH_ENOMEM;
	pk->keep[pk->n++] = keep;
	return 0;
}

static int
journal_write(rh_spool *sp, const pack *pk)
{
	rh_buf b = RH_BUF_INIT;
	size_t i;
	int error;

	if ((error = rh_buf_printf(&b, "%s\n", pk->session)) < 0)
		goto done;
	for (i = 0; i < pk->n; i++)
		if ((error = rh_buf_printf(&b, "%c %s\n",
		                           pk->keep[i] ? '+' : '-',
		                           pk->names[i])) < 0)
			goto done;
	error = rh__write_file_atomic(sp->dir, JOURNAL, b.ptr, b.size);
done:
	rh_buf_dispose(&b);
	return error;
}

static int
journal_read(pack *pk, rh_spool *sp)
{
	char path[PATH_MAX + 32];
	rh_buf b = RH_BUF_INIT;
	char *line, *save = NULL;
	int error, first = 1;

	memset(pk, 0, sizeof(*pk));
	snprintf(path, sizeof(path), "%s/" JOURNAL, sp->dir);
	if ((error = read_all(&b, path)) < 0)
		goto done;
	for (line = strtok_r(b.ptr ? b.ptr : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (first) {
			snprintf(pk->session, sizeof(pk->session), "%s", line);
			first = 0;
		} else if ((line[0] == '+' || line[0] == '-') &&
		           line[1] == ' ' && !strchr(line + 2, '/') &&
		           line[2] != '.') {
			if ((error = pack_add(pk, line + 2, line[0] == '+')) <
			    0)
				goto done;
		}
	}
	if (first || rh_layout_check_name("session", pk->session) < 0) {
		rh_error_clear();
		error = rh__error(RH_ECORRUPT, "%s: damaged", path);
	}
done:
	rh_buf_dispose(&b);
	if (error < 0)
		pack_free(pk);
	return error;
}

static void
journal_remove(rh_spool *sp)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/" JOURNAL, sp->dir);
	unlink(path);
}

/* Step 2's input: the kept batches' events as one JSON array in `data`
 * (*nev: how many batches gave events), each batch's hash and length in
 * hs[i] and lens[i]. */
static int
pack_join(rh_buf *data, size_t *nev, uint64_t *hs, uint64_t *lens,
          const rh_spool *sp, const pack *pk)
{
	char path[PATH_MAX + 400];
	rh_buf one = RH_BUF_INIT;
	const char *p = NULL;
	size_t i, n = 0;
	int error;

	*nev = 0;
	if ((error = rh_buf_put(data, "[", 1)) < 0)
		goto done;
	for (i = 0; i < pk->n; i++) {
		if (!pk->keep[i])
			continue;
		rh_buf_clear(&one);
		snprintf(path, sizeof(path), "%s/%s", sp->dir, pk->names[i]);
		if ((error = read_all(&one, path)) < 0)
			goto done;
		if ((error = inner(&p, &n, &one, pk->names[i])) < 0)
			goto done;
		hs[i] = rh__fnv1a(one.ptr, one.size), lens[i] = one.size;
		if (!n)
			continue;
		if (((*nev)++ && (error = rh_buf_put(data, ",", 1)) < 0) ||
		    (error = rh_buf_put(data, p, n)) < 0)
			goto done;
	}
	error = rh_buf_put(data, "]", 1);
done:
	rh_buf_dispose(&one);
	return error;
}

/* Step 4: the pack's batches and the journal leave the spool. */
static void
pack_drop(rh_spool *sp, const pack *pk, int added)
{
	char path[PATH_MAX + 400];
	size_t i;

	for (i = 0; i < pk->n; i++) {
		snprintf(path, sizeof(path), "%s/%s", sp->dir, pk->names[i]);
		unlink(path);
	}
	journal_remove(sp);
	pthread_mutex_lock(&sp->mu);
	sp->stats.bytes -=
		sp->stats.bytes >= pk->bytes ? pk->bytes : sp->stats.bytes;
	sp->stats.batches -=
		sp->stats.batches >= pk->n ? pk->n : sp->stats.batches;
	sp->stats.shipped += pk->n;
	sp->stats.stored += (uint64_t)added;
	pthread_mutex_unlock(&sp->mu);
}

/* Steps 2 to 4 for a journaled pack. `whole`: every kept member is there
 * (else the object was stored before the first was deleted). */
static int
pack_finish(rh_spool *sp, rh_store *st, const char *ns, const char *cluster,
            const pack *pk, int whole)
{
	char *last;
	rh_buf data = RH_BUF_INIT, prefix = RH_BUF_INIT;
	rh_session_ref ref = { ns, cluster, pk->session };
	uint64_t *hs = NULL, *lens = NULL; /* the kept batches, to remember */
	size_t i, nev = 0;
	int error, added = 0;
	char gen[25];

	if ((error = rh_layout_session_prefix(&prefix, &ref)) < 0)
		goto done;
	if (whole && (!(hs = rh__calloc(pk->n ? pk->n : 1, sizeof(*hs))) ||
	              !(lens = rh__calloc(pk->n ? pk->n : 1, sizeof(*lens))))) {
		error = RH_ENOMEM;
		goto done;
	}
	if (whole &&
	    ((error = pack_join(&data, &nev, hs, lens, sp, pk)) < 0 ||
	     (nev && (error = rh_events_ingest(NULL, &added, st, prefix.ptr,
	                                       pk->names[0], data.ptr,
	                                       data.size)) < 0)))
		goto done;
	/* One mark per session this receiver ships to; the last one's key
	 * is remembered (the others are looked up). */
	last = sp->mark_last;
	if (strcmp(sp->mark_session, pk->session) != 0) {
		last[0] = '\0';
		snprintf(sp->mark_session, sizeof(sp->mark_session), "%s",
		         pk->session);
	}
	rh__mark_new_gen(gen);
	if ((error = rh__mark_advance(st, prefix.ptr, sp->writer, gen, last)) <
	    0)
		goto done;
	/* Before the batches leave the spool: a repeat that comes after a
	 * restart is then still known. */
	if (whole) {
		for (i = 0; i < pk->n; i++)
			if (pk->keep[i] && lens[i])
				remember(sp, hs[i], lens[i]);
		if ((error = recent_save(sp)) < 0)
			goto done;
	}
	pack_drop(sp, pk, added);
done:
	free(hs);
	free(lens);
	rh_buf_dispose(&data);
	rh_buf_dispose(&prefix);
	return error;
}

/* A journal left by a run that stopped in the middle of a pack. */
static int
recover(rh_spool *sp, rh_store *st, const char *ns, const char *cluster)
{
	char path[PATH_MAX + 400];
	struct stat sb;
	pack pk;
	size_t i;
	int error, whole = 1;

	snprintf(path, sizeof(path), "%s/" JOURNAL, sp->dir);
	if (stat(path, &sb) < 0)
		return 0;
	if ((error = journal_read(&pk, sp)) < 0) {
		/* written atomically, so never seen damaged; should it be, its
		 * members are still batches in the spool */
		rh_error_clear();
		journal_remove(sp);
		return 0;
	}
	for (i = 0; i < pk.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", sp->dir, pk.names[i]);
		if (stat(path, &sb) < 0) {
			if (pk.keep[i])
				whole = 0;
		} else {
			pk.bytes += (uint64_t)sb.st_size;
		}
	}
	error = pack_finish(sp, st, ns, cluster, &pk, whole);
	if (error == RH_EINVAL) {
		/* the store refuses it: its members go aside, one by one */
		for (i = 0; i < pk.n; i++)
			reject(sp, pk.names[i]);
		journal_remove(sp);
	}
	pack_free(&pk);
	return error;
}

struct ent {
	char *name;
	uint64_t size;
};

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name,
	              ((const struct ent *)b)->name);
}

/* The session part of a spooled name, and its arrival time in ns. */
static int
name_parts(char *session, size_t cap, uint64_t *ns_out, const char *name)
{
	const char *at = strchr(name, '@');

	if (!at || (size_t)(at - name) >= cap)
		return -1;
	snprintf(session, cap, "%.*s", (int)(at - name), name);
	*ns_out = strtoull(at + 1, NULL, 16);
	return 0;
}

/* Choose, journal and ship the pack of names[k..e). */
static int
ship_pack(rh_spool *sp, rh_store *st, const char *ns, const char *cluster,
          const char *session, char **names, size_t k, size_t e,
          const uint64_t *sizes)
{
	char path[PATH_MAX + 400];
	rh_buf b = RH_BUF_INIT;
	uint64_t *h = NULL;
	pack pk;
	size_t i, j;
	int error = 0, keep;

	memset(&pk, 0, sizeof(pk));
	snprintf(pk.session, sizeof(pk.session), "%s", session);
	if (!(h = rh__calloc(e - k, sizeof(*h))))
		return RH_ENOMEM;
	for (i = k; i < e && error == 0; i++) {
		rh_buf_clear(&b);
		snprintf(path, sizeof(path), "%s/%s", sp->dir, names[i]);
		if ((error = read_all(&b, path)) < 0)
			break;
		h[i - k] = rh__fnv1a(b.ptr, b.size);
		keep = !seen_recently(sp, h[i - k], b.size);
		for (j = k; j < i && keep; j++)
			if (pk.keep[j - k] && sizes[j] == b.size &&
			    h[j - k] == h[i - k])
				keep = 0; /* the same batch twice in this pack */
		error = pack_add(&pk, names[i], keep);
		pk.bytes += sizes[i];
	}
	if (error < 0 || (error = journal_write(sp, &pk)) < 0 ||
	    (error = pack_finish(sp, st, ns, cluster, &pk, 1)) < 0)
		goto done;
done:
	if (error == RH_EINVAL) {
		/* one bad batch must not hold the others back: ship them one
		 * by one next time, and move this one aside */
		journal_remove(sp);
		if (e - k == 1) {
			reject(sp, names[k]);
			pthread_mutex_lock(&sp->mu);
			sp->stats.bytes -= sp->stats.bytes >= sizes[k] ?
			                           sizes[k] :
			                           sp->stats.bytes;
			if (sp->stats.batches)
				sp->stats.batches--;
			pthread_mutex_unlock(&sp->mu);
		} else {
			sp->single = 1;
		}
	}
	rh_buf_dispose(&b);
	free(h);
	pack_free(&pk);
	return error;
}

/* The spooled batches, sorted by name (arrival time within a session). */
struct batches {
	char **names;
	uint64_t *sizes;
	size_t n, cap;
};

static void
batches_dispose(struct batches *bt)
{
	size_t i;

	for (i = 0; i < bt->n; i++)
		free(bt->names[i]);
	free(bt->names);
	free(bt->sizes);
}

static int
batches_add(struct batches *bt, const char *name, uint64_t size)
{
	if (bt->n == bt->cap) {
		char **v;
		uint64_t *z;
		bt->cap = bt->cap ? bt->cap * 2 : 64;
		if (!(v = rh__realloc(bt->names, bt->cap * sizeof(*v))) ||
		    !(bt->names = v,
		      z = rh__realloc(bt->sizes, bt->cap * sizeof(*z))))
			return RH_ENOMEM;
		bt->sizes = z;
	}
	if (!(bt->names[bt->n] = rh__strdup(name)))
		return RH_ENOMEM;
	bt->sizes[bt->n++] = size;
	return 0;
}

/* sort names, and their sizes with them */
static int
batches_sort(struct batches *bt)
{
	struct ent *v;
	size_t i, n = bt->n;

	if (n <= 1)
		return 0;
	if (!(v = rh__malloc(n * sizeof(*v))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++)
		v[i].name = bt->names[i], v[i].size = bt->sizes[i];
	qsort(v, n, sizeof(*v), cmp_ent);
	for (i = 0; i < n; i++)
		bt->names[i] = v[i].name, bt->sizes[i] = v[i].size;
	free(v);
	return 0;
}

/* The *.json regular files of the spool folder, open as `d`. */
static int
batches_list(struct batches *bt, rh_spool *sp, DIR *d)
{
	char path[PATH_MAX + 400];
	struct dirent *de;
	struct stat sb;
	int error;

	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sp->dir, de->d_name);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if ((error = batches_add(bt, de->d_name,
		                         (uint64_t)sb.st_size)) < 0)
			return error;
	}
	return batches_sort(bt);
}

/* One rh_spool_ship() call: where it stands. */
struct ship_run {
	rh_spool *sp;
	rh_store *st;
	const char *ns, *cluster;
	uint64_t budget, spent, now;
	int closed, more, first_invalid;
};

/* Ship session `sess`'s batches [i, *gp) in packs; *gp becomes where to
 * go on (i or less: stop). */
static int
ship_session(struct ship_run *r, const struct batches *bt, const char *sess,
             size_t i, size_t *gp)
{
	rh_spool *sp = r->sp;
	char sess2[256];
	uint64_t t0;
	size_t g = *gp, k, e;
	int error = 0;

	for (k = i; k < g; k = e) {
		uint64_t bytes = 0;
		uint64_t most = sp->o.pack_bytes;
		if (r->budget && r->budget - r->spent < most)
			most = r->budget - r->spent;
		for (e = k; e < g && (e == k || (!sp->single &&
		                                 bytes + bt->sizes[e] <= most));
		     e++)
			bytes += bt->sizes[e];
		name_parts(sess2, sizeof(sess2), &t0, bt->names[k]);
		/* wait for more, unless full, old enough or the last */
		if (!r->closed && e == g && bytes < sp->o.pack_bytes &&
		    r->now < t0 + (uint64_t)sp->o.pack_ms * 1000000ull)
			break;
		if (r->budget && r->spent >= r->budget) {
			r->more = 1;
			break;
		}
		error = ship_pack(sp, r->st, r->ns, r->cluster, sess, bt->names,
		                  k, e, bt->sizes);
		r->spent += bytes;
		if (error == RH_EINVAL) {
			/* moved aside or split; report it, ship the rest */
			r->first_invalid = 1;
			r->more = 1;
			rh_error_clear();
			error = 0;
			g = k; /* look at this session again next call */
			break;
		}
		if (error == RH_ENOTFOUND) { /* gone meanwhile */
			rh_error_clear();
			error = 0;
			r->more = 1;
			break;
		}
		if (error < 0) {
			r->more = 1;
			break;
		}
		if (e - k == 1)
			sp->single = 0;
	}
	*gp = g;
	return error;
}

/* Ship the sorted batches session by session. */
static int
ship_all(struct ship_run *r, const struct batches *bt, const char *session)
{
	char sess[256], sess2[256];
	uint64_t t0, t;
	size_t i, g, n = bt->n;
	int error = 0;

	for (i = 0; i < n && error == 0; i = g) {
		if (name_parts(sess, sizeof(sess), &t0, bt->names[i]) < 0) {
			g = i + 1;
			continue;
		}
		for (g = i + 1; g < n; g++)
			if (name_parts(sess2, sizeof(sess2), &t, bt->names[g]) <
			            0 ||
			    strcmp(sess, sess2) != 0)
				break;
		if (!strcmp(sess, NO_SESSION)) {
			if (!session) {
				r->more =
					1; /* waits for a session to be followed */
				continue;
			}
			snprintf(sess, sizeof(sess), "%s", session);
		}
		error = ship_session(r, bt, sess, i, &g);
		if (g <= i)
			g = n; /* stop */
	}
	return error;
}

RH_EXTERN int
rh_spool_ship(int *more_out, rh_spool *sp, rh_store *st, const char *ns,
              const char *cluster, const char *session, uint64_t budget)
{
	struct ship_run r = { sp, st, ns, cluster, budget, 0, 0, 0, 0, 0 };
	struct batches bt = { NULL, NULL, 0, 0 };
	struct timespec ts;
	int error = 0;
	DIR *d;

	if (more_out)
		*more_out = 0;
	if (!sp || !st || !ns || !cluster)
		return rh__error(RH_EINVAL, "spool: NULL argument");
	if ((error = recover(sp, st, ns, cluster)) < 0) {
		if (error != RH_EINVAL)
			goto out;
		r.first_invalid = 1;
		rh_error_clear();
		error = 0;
	}
	if (!(d = opendir(sp->dir)))
		return rh__error(RH_EIO, "%s: %s", sp->dir, strerror(errno));
	if ((error = batches_list(&bt, sp, d)) < 0)
		goto done;
	pthread_mutex_lock(&sp->mu);
	r.closed = sp->closed;
	pthread_mutex_unlock(&sp->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	r.now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	error = ship_all(&r, &bt, session);
	if (error == 0 && r.first_invalid)
		error = rh__error(RH_EINVAL,
		                  "%s: a batch the store refused was "
		                  "moved to rejected/",
		                  sp->dir);
done:
	closedir(d);
	batches_dispose(&bt);
out:
	if (more_out)
		*more_out = r.more;
	return error;
}
