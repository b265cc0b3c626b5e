/* follow_ship.c - a follower's writes to the store (follow_internal.h):
 * append parts, the node manifest, the session manifest with the head's
 * heartbeat and end mark, the checkpoint, and deletes.
 *
 * The order is what makes a crash harmless: parts, then one barrier that
 * makes them all durable (store_defer.h: parts are written without one
 * each), then the manifest naming them, then the checkpoint saying they
 * are done, then deletes of parts no longer named. A follower killed (or a
 * machine losing power) anywhere in between restarts from the previous
 * checkpoint and rewrites the same part names. */
#include "follow_internal.h"
#include "store_defer.h"
#include "layout_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- one part ------------------------------------------------------------ */

void (*rh__follow_test_before_read)(const char *path, int stage);

/* Does fd still begin with the head shipped of its file (`len` bytes
 * hashing to `hash`)? */
static int
head_still(int fd, uint32_t len, uint64_t hash)
{
	unsigned char head[RH_HEAD_LEN];
	ssize_t n;

	do
		n = pread(fd, head, len, 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len && rh__fnv1a(head, len) == hash;
}

/* What stream() must check before it commits a part. */
struct expect {
	uint64_t past;     /* the end of what is stored */
	uint32_t head_len; /* the file's first bytes as shipped */
	uint64_t head_hash;
};

/* Ship [from, to) of fd as one part, with buffers `b`, unless the file
 * was truncated meanwhile: then nothing is written and part->length is 0.
 * A read failure sets *unreadable to its errno (the file's fault, not the
 * store's) and writes nothing. Reads f's settings only: threads of
 * capture_pool.c run it on several files at once. */
static int
stream(rh_follow *f, rh__ffile *e, int fd, uint64_t from, uint64_t to,
       const struct expect *x, rh_file_part *part, int *unreadable,
       const rh__ship_buf *b)
{
	rh_seekable_writer *sw = NULL;
	rh_store_writer *w = NULL;
	rh_seekable_options sopts = f->sopts;
	ssize_t n;
	int error;

	part->offset = from;
	part->length = 0;
	/* Search reads a frame only when its filter allows (search.c). */
	sopts.filter = 1;
	/* Threads pay off only for several frames; a session has thousands
	 * of small files that one thread compresses faster than it starts
	 * two. When files ship on several threads (capture_pool.c), a file
	 * gets its own only if it is more than a thread's share of the
	 * work: it would be the last to finish otherwise. */
	if (to - from > 2 * (uint64_t)sopts.frame_size && to - from > f->share)
		sopts.workers = f->workers;
	if ((error = rh_layout_file_part(b->key, &f->sref, f->s->node_id,
	                                 e->obj, from)) < 0 ||
	    (error = rh_seekable_writer_new(&sw, &sopts)) < 0 ||
	    (error = rh_store__writer_open_nosync(&w, f->st, b->key->ptr)) < 0)
		goto done;
	if (rh__follow_test_before_read)
		rh__follow_test_before_read(e->path, 1);
	while (from + part->length < to) {
		uint64_t want = to - from - part->length;
		if (want > RH__READ_CHUNK)
			want = RH__READ_CHUNK;
		n = pread(fd, b->chunk, (size_t)want,
		          (off_t)(from + part->length));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*unreadable = errno ? errno : EIO;
			error = rh__error(RH_EIO, "read: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break; /* truncated meanwhile: ship what was read */
		part->length += (uint64_t)n;
		rh_buf_clear(b->out);
		if ((error = rh_seekable_writer_write(sw, b->chunk, (size_t)n,
		                                      b->out)) < 0 ||
		    (error = rh_store_writer_write(w, b->out->ptr,
		                                   b->out->size)) < 0)
			goto done;
	}
	/* The file was truncated since it was looked at - what was read
	 * ends short of what is stored, or the file no longer begins as it
	 * did (cut and written again past that end) - and these bytes are
	 * not its. Committed, they would replace the newest small part of
	 * it (a rewrite starts before `past`) with another file's bytes, or
	 * follow its bytes as if they were its own. Checked after the
	 * reads: a head that is still the file's means every read was of
	 * the file. The scan sorts the truncation out instead. */
	if (from + part->length <= x->past ||
	    (x->head_len && !head_still(fd, x->head_len, x->head_hash))) {
		part->length = 0;
		goto done;
	}
	rh_buf_clear(b->out);
	if ((error = rh_seekable_writer_finish(sw, b->out)) < 0 ||
	    (error = rh_store_writer_write(w, b->out->ptr, b->out->size)) < 0)
		goto done;
	part->stored = rh_store_writer_size(w);
	error = rh_store_writer_commit(w);
	w = NULL;
	part->captured_ms = rh__now_ms();
done:
	rh_store_writer_abort(w);
	rh_seekable_writer_free(sw);
	/* Large reads are not worth keeping in the page cache for us. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return error;
}

static int
update_head(rh__ffile *e, int fd)
{
	unsigned char head[RH_HEAD_LEN];
	uint32_t want = e->size < RH_HEAD_LEN ? (uint32_t)e->size : RH_HEAD_LEN;
	ssize_t n;

	if (e->head_len >= want)
		return 0;
	do
		n = pread(fd, head, want, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return rh__error(RH_EIO, "%s: read: %s", e->path,
		                 strerror(errno));
	e->head_len = (uint32_t)n;
	e->head_hash = rh__fnv1a(head, (size_t)n);
	return 0;
}

/* A file the node has but we cannot read (permissions, an I/O error):
 * what was shipped stays, the rest is reported and listed as not stored. */
static int
unreadable(rh_follow *f, const rh__ffile *e, const char *what, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "not stored: %s: %s", what, strerror(err));
	return rh__follow_unread(f, e->path, why);
}

static int ship(rh_follow *f, rh__ffile *e, uint64_t *budget,
                const rh__ship_buf *b, pthread_mutex_t *mu);

static void
lock(pthread_mutex_t *mu)
{
	if (mu)
		pthread_mutex_lock(mu);
}

static void
unlock(pthread_mutex_t *mu)
{
	if (mu)
		pthread_mutex_unlock(mu);
}

int
rh__follow_ship(rh_follow *f, rh__ffile *e, uint64_t *budget)
{
	rh__ship_buf b = { f->chunk, &f->out, &f->key };

	return rh__follow_ship_with(f, e, budget, &b, NULL);
}

int
rh__follow_ship_with(rh_follow *f, rh__ffile *e, uint64_t *budget,
                     const rh__ship_buf *b, pthread_mutex_t *mu)
{
	int error;

	lock(mu);
	error = ship(f, e, budget, b, mu);
	unlock(mu);
	return error;
}

/* A held file is read through its descriptor: moved or deleted since the
 * last look, its bytes are still its own. Sets *go when there is reading
 * to do. */
static int
look_held(rh_follow *f, rh__ffile *e, int fd, int *go)
{
	rh__fid id;

	if (rh__fid_get(&id, fd, NULL, 0) < 0)
		return unreadable(f, e, "stat", errno);
	if (id.size < e->size) {
		f->full_due = 1; /* truncated: the scan sorts it out */
		return 0;
	}
	if (!e->gone && id.mtime_ms != e->mtime_ms)
		e->mtime_ms = id.mtime_ms;
	if (id.size > e->seen)
		e->seen = id.size;
	*go = 1;
	return 0;
}

/* Open `e` by its path into *fdp (left -1 when it cannot be opened) and
 * check it is still the file followed. Sets *go when there is reading to
 * do. */
static int
look_path(rh_follow *f, rh__ffile *e, const char *full, int *fdp, int *go)
{
	rh__fid id;
	int fd;

	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0) {
		/* Unreadable now, but all it held when last looked at is
		 * stored: nothing is missing (yet). */
		if (errno != ENOENT && errno != ENOTDIR && e->seen > e->size)
			return unreadable(f, e, "open", errno);
		if (errno != ENOENT && errno != ENOTDIR)
			return 0;
		f->full_due = 1; /* moved or deleted: the scan will tell */
		return 0;
	}
	*fdp = fd;
	if (rh__fid_get(&id, fd, NULL, 0) < 0)
		return unreadable(f, e, "stat", errno);
	/* Another file at this path, or this one shrank: let the scan sort
	 * it out before a byte of it is shipped as e's. */
	if ((!e->is_link && !rh__ffile_is(e, id.dev, id.ino, id.btime_ns)) ||
	    id.size < e->size) {
		f->full_due = 1;
		return 0;
	}
	e->seen = id.size;
	e->mtime_ms = id.mtime_ms;
	*go = 1;
	return 0;
}

/* Book a part just added to `e`: stats, budget, report. */
static void
note_shipped(rh_follow *f, rh__ffile *e, const rh_file_part *part,
             uint64_t *budget)
{
	char detail[64];

	e->recheck = 0; /* its head was as shipped */
	rh__follow_unread_done(f, e->path);
	f->stats.parts_written++;
	f->stats.bytes_shipped += part->length;
	f->stats.bytes_stored += part->stored;
	f->files_shipped++;
	*budget = part->length >= *budget ? 0 : *budget - part->length;
	f->changed = 1;
	snprintf(detail, sizeof(detail), "%" PRIu64 " bytes", e->size);
	rh__follow_report(f, RH_FOLLOW_FILE_SHIPPED, e->path, detail);
	if (e->seen > e->size)
		f->more = 1; /* capped at max_part */
}

/* Ship e's bytes past what is stored, from `fd`, as one part (rewriting a
 * too small last part). `mu` is held on entry and return. */
static int
ship_range(rh_follow *f, rh__ffile *e, int fd, uint64_t *budget,
           const rh__ship_buf *b, pthread_mutex_t *mu)
{
	struct expect x;
	rh_file_part part, *last;
	uint64_t from, to;
	int error, rewrite = 0, bad_read = 0;

	if (e->seen <= e->size) {
		rh__follow_unread_done(f, e->path);
		return 0;
	}
	from = e->size;
	last = e->nparts ? &e->parts[e->nparts - 1] : NULL;
	if (last && last->length < f->small_part) {
		from = last->offset;
		rewrite = 1;
	}
	to = e->seen;
	if (to - from > f->max_part)
		to = from + f->max_part;
	/* The part may be half in even when this fails: sync it before the
	 * next manifest all the same. */
	f->unsynced = 1;
	x.past = e->size, x.head_len = e->head_len, x.head_hash = e->head_hash;
	unlock(mu);
	error = stream(f, e, fd, from, to, &x, &part, &bad_read, b);
	lock(mu);
	if (error < 0) {
		if (bad_read) {
			rh_error_clear();
			error = unreadable(f, e, "read", bad_read);
		}
		return error;
	}
	if (part.length == 0) {
		/* Truncated meanwhile: the scan sorts it out, and must look
		 * at its head although size and mtime may be as seen now. */
		e->recheck = 1;
		f->full_due = 1;
		return 0;
	}
	if (rewrite) {
		e->stored -= last->stored;
		e->nparts--;
	}
	if ((error = rh__ffile_add_part(e, &part)) < 0 ||
	    (error = update_head(e, fd)) < 0)
		return error;
	note_shipped(f, e, &part, budget);
	return 0;
}

/* Ship what `e` has new. With `mu` (held on entry and return), only the
 * compression and the store writes run without it. */
static int
ship(rh_follow *f, rh__ffile *e, uint64_t *budget, const rh__ship_buf *b,
     pthread_mutex_t *mu)
{
	char full[PATH_MAX];
	int fd = -1, error, go = 0;

	if ((e->gone && !e->hold) || *budget == 0)
		return 0;
	if (snprintf(full, sizeof(full), "%s/%s", f->sdir, e->path) >=
	    (int)sizeof(full))
		return 0;
	if (rh__follow_test_before_read)
		rh__follow_test_before_read(e->path, 0);
	if (e->hold) {
		fd = e->hold - 1;
		error = look_held(f, e, fd, &go);
	} else {
		error = look_path(f, e, full, &fd, &go);
		if (fd < 0)
			return error;
	}
	if (go)
		error = ship_range(f, e, fd, budget, b, mu);
	if (!e->hold)
		close(fd);
	else if (e->gone && e->seen <= e->size && error == 0)
		rh__ffile_release(e, &f->nheld); /* all it held is shipped */
	return error;
}

int
rh__follow_drop_parts(rh_follow *f, const rh__ffile *e)
{
	size_t i;
	int error;

	for (i = 0; i < e->nparts; i++)
		if ((error = rh_layout_file_part(&f->key, &f->sref,
		                                 f->s->node_id, e->obj,
		                                 e->parts[i].offset)) < 0 ||
		    (error = rh__fstate_add_delete(f->s, f->key.ptr)) < 0)
			return error;
	return 0;
}

/* ---- session.json -------------------------------------------------------- */

int64_t
rh__follow_last_write_ms(const rh_follow *f)
{
	int64_t last = 0;
	size_t i;

	for (i = 0; f->s && i < f->s->nfiles; i++)
		if (f->s->files[i]->mtime_ms > last)
			last = f->s->files[i]->mtime_ms;
	return last;
}

/* What a follower adds to session.json (rh__session_json_update). The
 * end mark is when the session last wrote a file (its logs and event
 * files are written up to its end), not when it was captured - a session
 * captured a year later did not last a year. Several nodes mark it: the
 * latest of their last writes wins. The capture time is kept apart. */
struct sj_edit {
	rh_follow *f;
	enum rh__sj_mode mode;
};

static void
follow_edit(json_object *root, int64_t now, void *ctx)
{
	const struct sj_edit *e = ctx;
	rh_follow *f = e->f;

	/* Only a follower beats: a one-shot capture is no sign of life. */
	if (e->mode != RH__SJ_CREATE && e->mode != RH__SJ_ONCE && !f->once) {
		json_object_object_add(root, "heartbeat_ms",
		                       json_object_new_int64(now));
		json_object_object_add(root, "heartbeat_interval_ms",
		                       json_object_new_int64(f->heartbeat_ms));
	}
	/* A head follower that starts on a session someone marked ended
	 * (its own earlier run, stopped by SIGTERM while Ray went on)
	 * finds it live again. */
	if (e->mode == RH__SJ_START) {
		json_object_object_del(root, "end_ms");
		json_object_object_del(root, "end_marked_ms");
	}
	if (e->mode == RH__SJ_END)
		rh__session_json_end(root, f->sref.session,
		                     rh__follow_last_write_ms(f), now);
}

/* A worker's follower writes session.json only when there is none, so
 * workers cannot undo the head's end mark. */
int
rh__follow_session_json(rh_follow *f, enum rh__sj_mode mode)
{
	struct sj_edit e = { f, mode };

	return rh__session_json_update(f->st, &f->sref, mode == RH__SJ_CREATE,
	                               follow_edit, &e);
}

/* ---- commit -------------------------------------------------------------- */

static int
write_manifest(rh_follow *f)
{
	rh_node_manifest *m = NULL;
	size_t i;
	int error;

	if ((error = rh__fstate_to_manifest(&m, f->s)) < 0)
		goto done;
	for (i = 0; i < f->nskipped; i++)
		if ((error = rh__manifest_add_skip(
			     m, f->skipped[i].path, f->skipped[i].why,
			     f->skipped[i].not_stored)) < 0)
			goto done;
	for (i = 0; i < f->nunread; i++) {
		rh__manifest_drop_unstored(m, f->unread[i].path);
		if ((error = rh__manifest_add_skip(m, f->unread[i].path,
		                                   f->unread[i].why, 1)) < 0)
			goto done;
	}
	if ((error = rh__manifest_serialize(&f->out, m)) < 0 ||
	    (error = rh_layout_node_manifest(&f->key, &f->sref,
	                                     f->s->node_id)) < 0)
		goto done;
	error = rh_store_put(f->st, f->key.ptr, f->out.ptr, f->out.size);
done:
	rh_node_manifest_free(m);
	return error;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct gc {
	rh_follow *f;
	char **keep; /* part keys the state names, sorted */
	size_t nkeep;
	rh_buf path;
	size_t prefix_len;
	uint64_t deleted;
};

static int
gc_entry(const rh_store_entry *ent, void *payload)
{
	struct gc *g = payload;
	const char *key = ent->key;
	uint64_t off;

	if (ent->is_prefix ||
	    rh_layout_parse_part(&g->path, &off, key + g->prefix_len) < 0) {
		rh_error_clear();
		return 0; /* not a part: not ours to judge */
	}
	if (bsearch(&key, g->keep, g->nkeep, sizeof(*g->keep), cmp_str))
		return 0;
	if (rh_store_delete(g->f->st, key) < 0)
		return 0; /* the next run tries again */
	g->deleted++;
	g->f->mark_deleted++;
	return 0;
}

/* Parts a crashed run wrote but never named in a checkpoint (it died
 * between the part and the commit, and the restarted run shipped those
 * bytes under other names) take space but no reader sees them: remove
 * them once this run's first commit names everything it keeps. */
static int
collect_garbage(rh_follow *f)
{
	struct gc g;
	rh_buf prefix = RH_BUF_INIT;
	size_t i, j, n = 0;
	int error;

	memset(&g, 0, sizeof(g));
	g.f = f;
	for (i = 0; i < f->s->nfiles; i++)
		n += f->s->files[i]->nparts;
	if (!(g.keep = rh__calloc(n ? n : 1, sizeof(*g.keep))))
		return RH_ENOMEM;
	for (i = 0; i < f->s->nfiles; i++) {
		const rh__ffile *e = f->s->files[i];
		for (j = 0; j < e->nparts; j++) {
			if ((error = rh_layout_file_part(
				     &f->key, &f->sref, f->s->node_id, e->obj,
				     e->parts[j].offset)) < 0 ||
			    !(g.keep[g.nkeep] = rh__strdup(f->key.ptr))) {
				error = error < 0 ? error : RH_ENOMEM;
				goto done;
			}
			g.nkeep++;
		}
	}
	qsort(g.keep, g.nkeep, sizeof(*g.keep), cmp_str);
	if ((error = rh_layout_files_prefix(&prefix, &f->sref, f->s->node_id)) <
	    0)
		goto done;
	g.prefix_len = prefix.size;
	error = rh_store_list(f->st, prefix.ptr, NULL, gc_entry, &g);
done:
	for (i = 0; i < g.nkeep; i++)
		free(g.keep[i]);
	free(g.keep);
	rh_buf_dispose(&g.path);
	rh_buf_dispose(&prefix);
	return error;
}

static int
sync_parts(rh_follow *f)
{
	int error;

	if (!f->unsynced)
		return 0;
	if ((error = rh_store__sync(f->st)) < 0)
		return error;
	f->unsynced = 0;
	return 0;
}

int
rh__follow_commit(rh_follow *f)
{
	char name[300];
	size_t i;
	int error;

	/* The parts shipped since the last commit were written without a
	 * barrier each: one for all of them, before the manifest names
	 * them. */
	if (f->changed) {
		if ((error = sync_parts(f)) < 0 ||
		    (error = write_manifest(f)) < 0)
			return error;
	}
	if (!f->started) {
		enum rh__sj_mode mode = f->once    ? RH__SJ_ONCE :
		                        f->is_head ? RH__SJ_START :
		                                     RH__SJ_CREATE;
		if ((error = rh__follow_session_json(f, mode)) < 0)
			return error;
		f->started = 1;
		f->next_beat = rh__mono_ms() + f->heartbeat_ms;
	}
	if (f->changed || f->s->ndeletes) {
		f->s->seq++;
		rh__follow_ckpt_name(name, sizeof(name), f->session);
		/* One pass keeps no checkpoint: the manifest is its state. */
		if (!f->once && (error = rh__checkpoint_write(
					 f->state_dir, name, f->s)) < 0) {
			f->s->seq--;
			return error;
		}
		f->changed = 0;
		f->stats.commits++;
		f->stats.last_commit_ms = rh__now_ms();
	}
	/* The checkpoint no longer names these parts; if a crash comes
	 * first, the next run deletes them from the checkpoint's list. */
	for (i = 0; i < f->s->ndeletes; i++)
		if ((error = rh_store_delete(f->st, f->s->deletes[i])) < 0)
			return error;
	f->mark_deleted += f->s->ndeletes;
	for (i = 0; i < f->s->ndeletes; i++)
		free(f->s->deletes[i]);
	if (f->s->ndeletes)
		f->changed = 1; /* the next checkpoint drops the list */
	f->s->ndeletes = 0;
	/* One pass rewrites the part names an interrupted pass used (they
	 * follow from the manifest), so it leaves the listing to followers,
	 * whose crashes are the usual source of strays. */
	if (!f->gc_done && !f->once) {
		if ((error = collect_garbage(f)) < 0)
			return error;
		f->gc_done = 1;
	}
	/* Last: the mark announces everything above to readers. */
	return rh__follow_mark(f);
}

void
rh__follow_ckpt_name(char *out, size_t cap, const char *session)
{
	snprintf(out, cap, "checkpoint-%s.json", session);
}
