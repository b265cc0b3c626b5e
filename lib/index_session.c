/* index_session.c - a stored session's index: fingerprint the session's
 * event objects, and rebuild "<prefix>index/session.idx" from them when the
 * fingerprint changed (or the index is missing, damaged or of another
 * format version). */
#include "internal.h"
#include "index_internal.h"
#include "sha256.h"
#include "rayhist/catalog.h"
#include "history_internal.h"
#include "marks.h"
#include "index_live.h"

#include <stdio.h>

typedef rh_index__obj obj;
typedef rh_index__objs objs;

void
rh_index__objs_dispose(objs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].key);
		free(o->v[i].file);
	}
	free(o->v);
}

static int
is_event_file(const char *rel)
{
	/* nodes/<node>/files/logs/{events,export_events}/... */
	const char *f;

	if (strncmp(rel, "nodes/", 6) || !(f = strstr(rel, "/files/logs/")))
		return 0;
	f += strlen("/files/logs/");
	return !strncmp(f, "events/", 7) || !strncmp(f, "export_events/", 14);
}

static int
list_cb(const rh_store_entry *e, void *payload)
{
	objs *o = payload;
	const char *rel = e->key + o->plen, *at;
	obj *x;
	char *end;

	if (e->is_prefix)
		return 0;
	if (strncmp(rel, "events/", 7) != 0 && !is_event_file(rel))
		return 0;
	if (o->n == o->a) {
		size_t na = o->a ? o->a * 2 : 64;

		if (!(x = rh__realloc(o->v, na * sizeof(*x))))
			return RH_ENOMEM;
		o->v = x;
		o->a = na;
	}
	x = &o->v[o->n];
	memset(x, 0, sizeof(*x));
	x->size = e->size;
	if (!(x->key = rh__strdup(e->key)))
		return RH_ENOMEM;
	if (rel[0] == 'n') {
		/* an append part: PATH@OFFSET.zst */
		if (!(at = strrchr(rel, '@'))) {
			free(x->key);
			return 0;
		}
		x->offset = strtoull(at + 1, &end, 10);
		if (strcmp(end, ".zst") != 0 ||
		    !(x->file = rh__strndup(rel, (size_t)(at - rel)))) {
			free(x->key);
			return strcmp(end, ".zst") ? 0 : RH_ENOMEM;
		}
	}
	o->n++;
	return 0;
}

int
rh_index__list_objects(objs *o, rh_store *st, const char *prefix)
{
	rh_buf p = RH_BUF_INIT;
	int error;

	memset(o, 0, sizeof(*o));
	o->plen = strlen(prefix);
	if ((error = rh_buf_printf(&p, "%sevents/", prefix)) < 0 ||
	    (error = rh_store_list(st, p.ptr, NULL, list_cb, o)) < 0)
		goto done;
	rh_buf_clear(&p);
	if ((error = rh_buf_printf(&p, "%snodes/", prefix)) < 0)
		goto done;
	error = rh_store_list(st, p.ptr, NULL, list_cb, o);
	if (error > 0)
		error = RH_ERROR;
done:
	rh_buf_dispose(&p);
	return error;
}

static int
check_prefix(const char *prefix)
{
	size_t n;

	if (!prefix || !(n = strlen(prefix)) || prefix[n - 1] != '/')
		return rh__error(RH_EINVAL,
		                 "session prefix \"%s\" does not end in '/'",
		                 prefix ? prefix : "(null)");
	return 0;
}

static int scan_files(rh_store *st, const char *prefix, rh_sha256 *sha,
                      rh_history *h);

int
rh_index__feed_files(rh_history *h, rh_store *st, const char *prefix)
{
	return scan_files(st, prefix, NULL, h);
}

static int
fingerprint(uint8_t fp[RH_FINGERPRINT_SIZE], const objs *o, rh_store *st,
            const char *prefix)
{
	rh_sha256 sha;
	size_t i;
	int error;

	rh__sha256_init(&sha);
	rh__sha256_update(&sha, "rayhist-events-1\n", 17);
	for (i = 0; i < o->n; i++) {
		char size[32];
		const char *rel = o->v[i].key + o->plen;

		rh__sha256_update(&sha, rel, strlen(rel) + 1);
		snprintf(size, sizeof(size), "%llu\n",
		         (unsigned long long)o->v[i].size);
		rh__sha256_update(&sha, size, strlen(size));
	}
	if ((error = scan_files(st, prefix, &sha, NULL)) < 0)
		return error;
	rh__sha256_final(&sha, fp);
	return 0;
}

RH_EXTERN int
rh_index_session_fingerprint(uint8_t fp[RH_FINGERPRINT_SIZE],
                             uint64_t *nobjects_out, rh_store *st,
                             const char *session_prefix)
{
	objs o;
	int error;

	if (!fp || !st)
		return rh__error(RH_EINVAL,
		                 "rh_index_session_fingerprint: NULL argument");
	if ((error = check_prefix(session_prefix)) < 0)
		return error;
	if ((error = rh_index__list_objects(&o, st, session_prefix)) < 0 ||
	    (error = fingerprint(fp, &o, st, session_prefix)) < 0)
		goto done;
	if (nobjects_out)
		*nobjects_out = o.n;
done:
	rh_index__objs_dispose(&o);
	return error;
}

/* -------------------------------------------------------- captured files */

/* Beside their events, the index takes from a session's captured files
 * each node's raylet (host name, pid, port: the first lines of
 * logs/raylet.out) and its workers (the names of their log files, and
 * whether log_monitor moved them to logs/old/). The fingerprint covers
 * those names and how much of raylet.out's head there is, so a worker that
 * appears or dies rebuilds the index as a new event does. */

#define RAYLET_HEAD (64u << 10) /* the raylet logs its start lines first */

typedef struct files_ctx {
	rh_store *st;
	const rh_session_ref *sref;
	rh_sha256 *sha; /* fingerprinting: what the index depends on */
	rh_history *h;  /* rebuilding: where the facts go */
	int error;
} files_ctx;

static int
feed_raylet(files_ctx *c, const rh_node_manifest *m, const char *node_id)
{
	rh_logfile *f = NULL;
	rh_buf b = RH_BUF_INIT;
	char host[256];
	int64_t pid;
	int port, error;

	if ((error = rh_logfile_open_manifest(&f, c->st, c->sref, m,
	                                      "logs/raylet.out")) < 0 ||
	    (error = rh_logfile_read(&b, f, 0, RAYLET_HEAD)) < 0)
		goto done;
	rh_history__parse_raylet_head(b.ptr ? b.ptr : "", b.size, host,
	                              sizeof(host), &pid, &port);
	error = rh_history__raylet(c->h, node_id, host, pid, port);
done:
	if (error == RH_ENOTFOUND || error == RH_ECORRUPT) {
		rh_error_clear(); /* a damaged file: the node stays */
		error = 0;
	}
	rh_buf_dispose(&b);
	rh_logfile_close(f);
	return error;
}

static int
node_files_cb(const char *node_id, void *payload)
{
	files_ctx *c = payload;
	rh_node_manifest *m = NULL;
	const rh_file_info *fi;
	size_t i;
	int error;

	if ((error = rh_node_manifest_load(&m, c->st, c->sref, node_id)) < 0) {
		if (error != RH_ENOTFOUND && error != RH_ECORRUPT)
			return c->error = error;
		/* no or a damaged manifest: no facts; a damaged one is said */
		if (error == RH_ECORRUPT && c->h &&
		    (error = rh_history__warn(c->h, "skipped node %s: %s",
		                              node_id, rh_error_last())) < 0)
			return c->error = error;
		rh_error_clear();
		return 0;
	}
	for (i = 0; (fi = rh_node_manifest_file(m, i)); i++) {
		char id[57];
		int64_t pid;
		int driver, gone;

		if (!strcmp(fi->path, "logs/raylet.out")) {
			if (c->sha) {
				char line[96];

				snprintf(
					line, sizeof(line), "raylet %s %llu\n",
					node_id,
					(unsigned long long)(fi->size < RAYLET_HEAD ?
				                                     fi->size :
				                                     RAYLET_HEAD));
				rh__sha256_update(c->sha, line, strlen(line));
			}
			if (c->h && (error = feed_raylet(c, m, node_id)) < 0)
				break;
		} else if (rh_history__parse_worker_file(fi->path, id, &pid,
		                                         &driver, &gone)) {
			if (c->sha) {
				rh__sha256_update(c->sha, node_id,
				                  strlen(node_id));
				rh__sha256_update(c->sha, fi->path,
				                  strlen(fi->path) + 1);
			}
			if (c->h &&
			    (error = rh_history__worker_file(
				     c->h, node_id, id, pid, driver, gone)) < 0)
				break;
		}
	}
	rh_node_manifest_free(m);
	return error < 0 ? (c->error = error) : 0;
}

static int session_ref(rh_session_ref *ref, char parts[3][256],
                       const char *prefix);

/* Hash (sha) or feed (h) what the session's node files tell. */
static int
scan_files(rh_store *st, const char *prefix, rh_sha256 *sha, rh_history *h)
{
	files_ctx c = { st, NULL, sha, h, 0 };
	rh_session_ref ref;
	char parts[3][256];
	int error;

	if (session_ref(&ref, parts, prefix) < 0)
		return 0; /* not NS/CLUSTER/SESSION/: no node files */
	c.sref = &ref;
	error = rh_catalog_list_nodes(st, &ref, node_files_cb, &c);
	if (c.error < 0)
		return c.error;
	return error == RH_ENOTFOUND ? 0 : error;
}

/* "NS/CLUSTER/SESSION/" as a session reference, if it is one. */
static int
session_ref(rh_session_ref *ref, char parts[3][256], const char *prefix)
{
	const char *s = prefix, *slash;
	int i;

	for (i = 0; i < 3; i++) {
		if (!(slash = strchr(s, '/')) || slash == s ||
		    (size_t)(slash - s) >= sizeof(parts[i]))
			return -1;
		memcpy(parts[i], s, (size_t)(slash - s));
		parts[i][slash - s] = '\0';
		s = slash + 1;
	}
	if (*s)
		return -1;
	ref->ns = parts[0];
	ref->cluster = parts[1];
	ref->session = parts[2];
	return 0;
}

int
rh_index__session_ref(rh_session_ref *ref, char parts[3][256],
                      const char *prefix)
{
	return session_ref(ref, parts, prefix);
}

int
rh_index__session_key(rh_buf *out, const char *prefix)
{
	rh_session_ref ref;
	char parts[3][256];

	if (session_ref(&ref, parts, prefix) == 0 &&
	    rh_layout_index(out, &ref) == 0)
		return 0;
	rh_buf_clear(out);
	return rh_buf_printf(out, "%s%s", prefix, RH_SESSION_INDEX_NAME);
}

/* Whether anything but an index is stored under the session prefix. A
 * session nobody captured (a mistyped name) has nothing there, and its index
 * must not be written: that alone would make it appear in every listing. */
struct exists_ctx {
	size_t plen;
	int found;
};

static int
exists_cb(const rh_store_entry *e, void *payload)
{
	struct exists_ctx *c = payload;

	if (!strcmp(e->key + c->plen, "index/"))
		return 0;
	c->found = 1;
	return 1; /* one is enough: stop the listing */
}

int
rh_index__check_session_exists(rh_store *st, const char *prefix)
{
	struct exists_ctx c = { strlen(prefix), 0 };
	int error = rh_store_list(st, prefix, "/", exists_cb, &c);

	if (error < 0)
		return error;
	if (!c.found)
		return rh__error(RH_ENOTFOUND,
		                 "%s: no such session (nothing "
		                 "captured there)",
		                 prefix);
	return 0;
}

/* ------------------------------------------------------------ currency */

/* Whether the stored index is current is decided without listing the event
 * objects whenever the session's writers keep generation marks (marks.h):
 *
 *  - an index built after the session's end mark is never checked again
 *    (writers that add to an ended session delete it: rh__mark_advance);
 *  - else one listing of "<prefix>marks/" (one entry per writer) is hashed
 *    and compared with what the index recorded;
 *  - a session some of whose writers keep no mark (written by an older
 *    version) is checked by listing and hashing its event objects, as
 *    before marks; once its index is found current after the end mark, a
 *    "verified-ended" mark lets later readers skip the listing.
 *
 * What the index recorded is its 32-byte fingerprint: a SHA-256 of the
 * listing (sessions without marks), or "RHMARK", 'o' (open) or 'e' (built
 * after the end mark), a NUL and the first 24 bytes of the marks' digest.
 * A listing digest starting with those 8 bytes has odds of 2^-64. */
#define FP_MAGIC "RHMARK"

int
rh_index__fp_kind(const uint8_t *fp)
{
	if (memcmp(fp, FP_MAGIC, 6) != 0 || fp[7] != 0 ||
	    (fp[6] != 'o' && fp[6] != 'e'))
		return 0; /* a listing fingerprint */
	return fp[6];
}

void
rh_index__mark_fp(uint8_t fp[RH_FINGERPRINT_SIZE], const rh__marks *m,
                  int ended)
{
	memcpy(fp, FP_MAGIC, 6);
	fp[6] = ended ? 'e' : 'o';
	fp[7] = 0;
	memcpy(fp + 8, m->digest, RH_FINGERPRINT_SIZE - 8);
}

/* The verified-ended generation of a listing fingerprint. */
static void
verified_gen(char gen[17], const uint8_t *fp)
{
	int i;

	for (i = 0; i < 8; i++)
		snprintf(gen + 2 * i, 3, "%02x", fp[i]);
}

static int
only_verified(const rh__marks *m, const uint8_t *fp)
{
	char want[64], gen[17];

	verified_gen(gen, fp);
	snprintf(want, sizeof(want), RH__MARK_VERIFIED "@%s", gen);
	return m->n == 1 && !strcmp(m->names[0], want);
}

struct cover_ctx {
	const rh__marks *m;
	int covered;
};

static int
cover_node_cb(const char *node_id, void *payload)
{
	struct cover_ctx *c = payload;
	char writer[160];

	snprintf(writer, sizeof(writer), "node-%s", node_id);
	if (!rh__marks_has_writer(c->m, writer)) {
		c->covered = 0;
		return 1; /* one is enough */
	}
	return 0;
}

/* Whether every writer of what the index reads keeps a mark: every node
 * (its event files and its manifest's facts) and, for batches under
 * events/, a receiver or an import. */
int
rh_index__marks_cover(int *covered, const rh__marks *m, const objs *o,
                      rh_store *st, const char *prefix)
{
	struct cover_ctx c = { m, 1 };
	rh_session_ref ref;
	char parts[3][256];
	size_t i;
	int error, batches = 0, batch_writer = 0;

	*covered = 0;
	for (i = 0; i < m->n; i++)
		if (strncmp(m->names[i], "node-", 5) &&
		    strncmp(m->names[i], RH__MARK_VERIFIED "@",
		            strlen(RH__MARK_VERIFIED) + 1))
			batch_writer = 1;
	for (i = 0; i < o->n; i++)
		if (!strncmp(o->v[i].key + o->plen, "events/", 7))
			batches = 1;
	if (batches && !batch_writer)
		return 0;
	if (session_ref(&ref, parts, prefix) < 0) {
		*covered = 1; /* no node files under a bare prefix */
		return 0;
	}
	error = rh_catalog_list_nodes(st, &ref, cover_node_cb, &c);
	if (error == RH_ENOTFOUND) {
		rh_error_clear();
		error = 0;
	}
	if (error < 0)
		return error;
	*covered = c.covered;
	return 0;
}

/* An index just written after the end mark is never checked again: if a
 * writer advanced its mark while it was being built, that writer may have
 * looked for the end mark before this index existed, so take the index
 * back (the next reader rebuilds it). */
int
rh_index__check_sealed(rh_store *st, const char *prefix, const char *key,
                       const rh__marks *before)
{
	rh__marks now;
	int error;

	if ((error = rh__marks_list(&now, st, prefix)) < 0)
		return error;
	if (memcmp(now.digest, before->digest, sizeof(now.digest)) != 0)
		error = rh_store_delete(st, key);
	rh__marks_dispose(&now);
	return error;
}

/* The marks listed on a thread of their own while the index opens: over
 * a remote store the two then cost one round trip, not two. */
struct marks_job {
	pthread_t tid;
	rh_store *st;
	const char *prefix;
	rh__marks m;
	int error, started;
};

static void *
marks_worker(void *arg)
{
	struct marks_job *j = arg;

	if ((j->error = rh__marks_list(&j->m, j->st, j->prefix)) < 0)
		rh_error_clear(); /* listed again, for the message */
	return NULL;
}

/* Wait for the listing; 1 when it filled *out. */
static int
marks_join(struct marks_job *j, rh__marks *out)
{
	if (!j->started)
		return 0;
	pthread_join(j->tid, NULL);
	j->started = 0;
	if (out && j->error == 0) {
		*out = j->m;
		return 1;
	}
	rh__marks_dispose(&j->m);
	return 0;
}

/* Whether the stored index is the session's as it is now. */
enum freshness { INDEX_STALE = 0, INDEX_CURRENT };

/* What one refresh works with, step by step. */
struct refresh {
	rh_store *st;
	const char *prefix;
	rh_buf key; /* the index's key */
	int check;  /* 0: rebuild whatever (opts->force) */
	const char *ray_version;
	rh_progress_cb progress;
	void *payload;
	unsigned threads;
	rh_index *ix; /* the stored index, while wanted */
	int have;     /* one was stored: its fingerprint in old */
	uint8_t old[RH_FINGERPRINT_SIZE], fp[RH_FINGERPRINT_SIZE];
	struct marks_job mj;
	rh__marks m;
	objs o;
	int covered, ended;
	rh_history *h;
};

/* The options, checked; what a version of the struct lacks stays unset. */
static int
refresh_opts(struct refresh *r, const rh_index_refresh_options *opts)
{
	r->check = 1;
	if (!opts)
		return 0;
	if (opts->version < 1 ||
	    opts->version > RH_INDEX_REFRESH_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_index_refresh: options version %u",
		                 opts->version);
	r->ray_version = opts->ray_version;
	if (opts->version >= 2) { /* a version 1 struct ends before */
		r->progress = opts->progress;
		r->payload = opts->progress_payload;
	}
	if (opts->version >= 3)
		r->threads = opts->threads;
	r->check = !opts->force;
	return 0;
}

/* Open the stored index, the marks listed meanwhile on a thread of their
 * own; keep the index only if the caller wants it. */
static int
open_stored(struct refresh *r, const rh_index_options *iopts, int want)
{
	int error;

	r->mj.st = r->st;
	r->mj.prefix = r->prefix;
	if (r->check && ix_fetch_parallel(r->st))
		r->mj.started = pthread_create(&r->mj.tid, NULL, marks_worker,
		                               &r->mj) == 0;
	error = rh_index_open(&r->ix, r->st, r->key.ptr, iopts);
	if (error < 0 && error != RH_ENOTFOUND && error != RH_ECORRUPT)
		return error;
	if (error == 0) {
		r->have = 1;
		memcpy(r->old, rh_index_fingerprint(r->ix), sizeof(r->old));
	}
	if (!want || !r->have) { /* else handed out if current */
		rh_index_close(r->ix);
		r->ix = NULL;
	}
	rh_error_clear();
	return 0;
}

/* Whether the marks alone show the stored index current: built after the
 * end mark, or from the marks as they are. */
static int
current_by_marks(enum freshness *out, struct refresh *r)
{
	uint8_t fp[RH_FINGERPRINT_SIZE];
	int error;

	*out = INDEX_STALE;
	if (r->have && r->check && rh_index__fp_kind(r->old) == 'e') {
		*out = INDEX_CURRENT; /* built after the end mark: final */
		return 0;
	}
	/* The marks are read before the objects are listed: an object a
	 * writer adds after this listing comes with a mark this one lacks
	 * (the index opened above was read before either: no matter). */
	if (!marks_join(&r->mj, &r->m) &&
	    (error = rh__marks_list(&r->m, r->st, r->prefix)) < 0)
		return error;
	if (!r->have || !r->check || !r->m.n)
		return 0;
	if (rh_index__fp_kind(r->old) == 'o') {
		rh_index__mark_fp(fp, &r->m, 0);
		if (memcmp(fp, r->old, sizeof(fp)) == 0)
			*out = INDEX_CURRENT;
	} else if (only_verified(&r->m, r->old)) {
		*out = INDEX_CURRENT;
	}
	return 0;
}

/* List the session's objects and fingerprint them (or its marks, when
 * marks cover every writer); current if the stored index has that print. */
static int
current_by_listing(enum freshness *out, struct refresh *r)
{
	rh_session_info info;
	rh_session_ref ref;
	char parts[3][256], gen[17];
	int error;

	*out = INDEX_STALE;
	if ((error = rh_index__list_objects(&r->o, r->st, r->prefix)) < 0 ||
	    (!r->o.n &&
	     (error = rh_index__check_session_exists(r->st, r->prefix)) < 0) ||
	    (r->m.n && (error = rh_index__marks_cover(&r->covered, &r->m, &r->o,
	                                              r->st, r->prefix)) < 0))
		return error;
	if (session_ref(&ref, parts, r->prefix) == 0 &&
	    rh_session_info_load(&info, r->st, &ref) == 0) {
		r->ended = info.end_ms > 0 || info.end_marked_ms > 0;
		if (!r->ray_version && info.ray_version[0])
			r->ray_version = info.ray_version;
	}
	rh_error_clear();
	if (r->covered) {
		/* a listing-fingerprinted index is rebuilt once, to the marks */
		rh_index__mark_fp(r->fp, &r->m, r->ended);
		return 0;
	}
	if ((error = fingerprint(r->fp, &r->o, r->st, r->prefix)) < 0)
		return error;
	if (r->have && r->check && memcmp(r->fp, r->old, sizeof(r->fp)) == 0) {
		if (r->ended && (r->m.n == 0 ||
		                 (r->m.n == 1 &&
		                  !strncmp(r->m.names[0], RH__MARK_VERIFIED "@",
		                           strlen(RH__MARK_VERIFIED) + 1)))) {
			verified_gen(gen, r->fp);
			rh__mark_verified_ended(r->st, r->prefix, gen);
		}
		*out = INDEX_CURRENT;
	}
	return 0;
}

/* Build the index from the listed objects and store it. */
static int
rebuild(struct refresh *r)
{
	rh_history_options ho = RH_HISTORY_OPTIONS_INIT;
	int error;

	if ((error = rh_history_new(&r->h, &ho)) < 0 ||
	    (error = rh_index__replay(r->h, r->st, r->o.v, r->o.n, r->o.plen,
	                              r->ray_version, r->progress, r->payload,
	                              r->threads)) < 0 ||
	    (error = scan_files(r->st, r->prefix, NULL, r->h)) < 0)
		return error;
	rh_history_set_fingerprint(r->h, r->fp);
	if ((error = rh_history_finish(r->h)) < 0 ||
	    (error = rh_index_write(r->st, r->key.ptr, r->h)) < 0)
		return error;
	if (r->covered && r->ended)
		return rh_index__check_sealed(r->st, r->prefix, r->key.ptr,
		                              &r->m);
	return 0;
}

static int
refresh(rh_index **ix_out, int *rebuilt_out, rh_store *st,
        const char *session_prefix, const rh_index_refresh_options *opts,
        const rh_index_options *iopts)
{
	struct refresh r;
	enum freshness fresh = INDEX_STALE;
	int error;

	memset(&r, 0, sizeof(r));
	r.st = st;
	r.prefix = session_prefix;
	if (rebuilt_out)
		*rebuilt_out = 0;
	if (!st)
		return rh__error(RH_EINVAL, "rh_index_refresh: NULL store");
	if ((error = refresh_opts(&r, opts)) < 0 ||
	    (error = check_prefix(session_prefix)) < 0 ||
	    (error = rh_index__session_key(&r.key, session_prefix)) < 0 ||
	    (error = open_stored(&r, iopts, ix_out != NULL)) < 0 ||
	    (error = current_by_marks(&fresh, &r)) < 0 ||
	    (fresh == INDEX_STALE &&
	     (error = current_by_listing(&fresh, &r)) < 0))
		goto done;
	if (fresh == INDEX_STALE) {
		if ((error = rebuild(&r)) < 0)
			goto done;
		if (rebuilt_out)
			*rebuilt_out = 1;
		rh_index_close(r.ix); /* what it was before */
		r.ix = NULL;
	}
	/* the index as it is now: the one opened above if it was current */
	if (ix_out && !r.ix)
		error = rh_index_open(&r.ix, st, r.key.ptr, iopts);
	if (ix_out && error == 0)
		*ix_out = r.ix, r.ix = NULL;
done:
	marks_join(&r.mj, NULL);
	if (opts && opts->stats && r.h)
		*opts->stats = *rh_history_stats(r.h);
	rh_history_free(r.h);
	rh_index_close(r.ix);
	rh__marks_dispose(&r.m);
	rh_index__objs_dispose(&r.o);
	rh_buf_dispose(&r.key);
	return error;
}

RH_EXTERN int
rh_index_refresh(int *rebuilt_out, rh_store *st, const char *session_prefix,
                 const rh_index_refresh_options *opts)
{
	return refresh(NULL, rebuilt_out, st, session_prefix, opts, NULL);
}

RH_EXTERN int
rh_index_refresh_open(rh_index **out, int *rebuilt_out, rh_store *st,
                      const char *session_prefix,
                      const rh_index_refresh_options *opts,
                      const rh_index_options *iopts)
{
	if (!out)
		return rh__error(RH_EINVAL, "rh_index_refresh_open: NULL out");
	*out = NULL;
	return refresh(out, rebuilt_out, st, session_prefix, opts, iopts);
}

RH_EXTERN int
rh_index_open_session(rh_index **out, rh_store *st, const char *session_prefix,
                      const rh_index_options *opts)
{
	if (!out)
		return rh__error(RH_EINVAL, "rh_index_open_session: NULL out");
	*out = NULL;
	return refresh(out, NULL, st, session_prefix, NULL, opts);
}
