/* retention.c - deleting old sessions (retention.h). A run lists the store
 * level by level, reads each session's session.json (one small GET), sorts
 * the sessions newest first, marks those a policy sends away (never a live
 * one) and deletes them oldest first, each behind a tombstone; reading and
 * deleting run on a few threads. */
#include "catalog_manifest.h"
#include "layout_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 1000 /* keys per DeleteObjects */
#define LIVE_MS_DEFAULT (10 * 60 * 1000)
#define THREADS_DEFAULT 8
#define THREADS_MAX 64

typedef struct cand {
	char *ns, *cluster, *session;
	int64_t last_ms;
	uint64_t bytes;
	int bytes_known, live, tomb;
	const char *reason;
} cand;

typedef struct scan {
	rh_store *st;
	const rh_retention_options *o;
	int64_t now_ms;
	cand *v;
	size_t n, cap;
	const char *ns, *cluster; /* the level being listed */
	size_t prefix_len;
	int error;
} scan;

/* ---- one session ----------------------------------------------------------- */

typedef struct keys {
	char **v;
	size_t n, cap;
	uint64_t bytes;
	int64_t newest_ms;
} keys;

static void
keys_dispose(keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int
keys_cb(const rh_store_entry *e, void *payload)
{
	keys *k = payload;

	if (e->is_prefix)
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		char **v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return RH_ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	if (!(k->v[k->n] = rh__strdup(e->key)))
		return RH_ENOMEM;
	k->n++;
	k->bytes += e->size;
	if (e->mtime_ms > k->newest_ms)
		k->newest_ms = e->mtime_ms;
	return 0;
}

/* Every object under the session's prefix. */
static int
session_keys(keys *out, rh_store *st, const rh_session_ref *s)
{
	rh_buf prefix = RH_BUF_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = rh_layout_session_prefix(&prefix, s)) == 0)
		error = rh_store_list(st, prefix.ptr, NULL, keys_cb, out);
	rh_buf_dispose(&prefix);
	return error;
}

/* The session's objects, session.json first (then a reader that opens it
 * finds no session rather than half of one). */
static int
delete_objects(rh_store *st, const rh_session_ref *s, keys *k)
{
	rh_buf manifest = RH_BUF_INIT;
	size_t i;
	int error;

	if ((error = rh_layout_session_manifest(&manifest, s)) < 0)
		return error;
	for (i = 0; i < k->n; i++)
		if (!strcmp(k->v[i], manifest.ptr)) {
			char *t = k->v[0];
			k->v[0] = k->v[i];
			k->v[i] = t;
			break;
		}
	rh_buf_dispose(&manifest);
	if (k->n && (error = rh_store_delete_many(st, (const char *const *)k->v,
	                                          1)) < 0)
		return error;
	for (i = 1; i < k->n; i += BATCH)
		if ((error = rh_store_delete_many(
			     st, (const char *const *)k->v + i,
			     k->n - i < BATCH ? k->n - i : BATCH)) < 0)
			return error;
	return 0;
}

RH_EXTERN int
rh_session_delete(rh_store *st, const rh_session_ref *s, uint64_t *objects_out,
                  uint64_t *bytes_out)
{
	rh_buf tomb = RH_BUF_INIT, body = RH_BUF_INIT;
	keys k;
	int error;

	memset(&k, 0, sizeof(k));
	if (objects_out)
		*objects_out = 0;
	if (bytes_out)
		*bytes_out = 0;
	if (!st || !s)
		return rh__error(RH_EINVAL, "rh_session_delete: NULL argument");
	if ((error = rh_layout_session_tombstone(&tomb, s)) < 0 ||
	    (error = rh_buf_printf(&body, "{\"deleting_ms\": %lld}\n",
	                           (long long)rh__now_ms())) < 0)
		goto done;
	/* 1. gone from listings; 2. its objects; 3. the tombstone. */
	if ((error = rh_store_put(st, tomb.ptr, body.ptr, body.size)) < 0 ||
	    (error = session_keys(&k, st, s)) < 0 ||
	    (error = delete_objects(st, s, &k)) < 0 ||
	    (error = rh_store_delete(st, tomb.ptr)) < 0)
		goto done;
	if (objects_out)
		*objects_out = k.n;
	if (bytes_out)
		*bytes_out = k.bytes;
done:
	keys_dispose(&k);
	rh_buf_dispose(&tomb);
	rh_buf_dispose(&body);
	return error;
}

/* ---- listing ---------------------------------------------------------------- */

static int
cand_add(scan *sc, const char *session, int tomb)
{
	cand *c;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 256;
		cand *v = realloc(sc->v, cap * sizeof(*v));

		if (!v)
			return RH_ENOMEM;
		sc->v = v;
		sc->cap = cap;
	}
	c = &sc->v[sc->n];
	memset(c, 0, sizeof(*c));
	if (!(c->ns = rh__strdup(sc->ns)) ||
	    !(c->cluster = rh__strdup(sc->cluster)) ||
	    !(c->session = rh__strdup(session))) {
		free(c->ns);
		free(c->cluster);
		return RH_ENOMEM;
	}
	c->tomb = tomb;
	sc->n++;
	return 0;
}

/* One entry of a cluster's level: a session folder or a tombstone. */
static int
session_entry(const rh_store_entry *e, void *payload)
{
	static const char suffix[] = RH_LAYOUT_TOMBSTONE_SUFFIX;
	scan *sc = payload;
	const char *name = e->key + sc->prefix_len;
	size_t len = strlen(name), sl = sizeof(suffix) - 1;
	char buf[256];

	if (!e->is_prefix && len > sl && len - sl < sizeof(buf) &&
	    !strcmp(name + len - sl, suffix)) {
		memcpy(buf, name, len - sl);
		buf[len - sl] = '\0';
		if (rh_layout_check_name("session", buf) < 0) {
			rh_error_clear();
			return 0;
		}
		return cand_add(sc, buf, 1);
	}
	if (!e->is_prefix || len < 2 || len - 1 >= sizeof(buf))
		return 0;
	memcpy(buf, name, len - 1);
	buf[len - 1] = '\0';
	if (rh_layout_check_name("session", buf) < 0) {
		rh_error_clear();
		return 0;
	}
	return cand_add(sc, buf, 0);
}

static int
cluster_cb(const char *cluster, void *payload)
{
	scan *sc = payload;
	rh_buf prefix = RH_BUF_INIT;
	int error;

	sc->cluster = cluster;
	if ((error = rh_layout_cluster_prefix(&prefix, sc->ns, cluster)) == 0) {
		sc->prefix_len = prefix.size;
		error = rh_store_list(sc->st, prefix.ptr, "/", session_entry,
		                      sc);
	}
	rh_buf_dispose(&prefix);
	return error;
}

static int
ns_cb(const char *ns, void *payload)
{
	scan *sc = payload;

	sc->ns = ns;
	return rh_catalog_list_clusters(sc->st, ns, cluster_cb, sc);
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* When the session was last active, whether it is live, and (when needed)
 * its size. */
static int
examine(scan *sc, cand *c)
{
	rh_session_ref ref = { c->ns, c->cluster, c->session };
	int64_t live_ms = sc->o->live_ms > 0 ? sc->o->live_ms : LIVE_MS_DEFAULT;
	rh_session_info info;
	keys k;
	int error, have_info;

	error = rh_session_info_load(&info, sc->st, &ref);
	if (error < 0 && error != RH_ENOTFOUND && error != RH_ECORRUPT)
		return error;
	rh_error_clear();
	have_info = error == 0;
	if (have_info) {
		c->last_ms = max64(max64(info.updated_ms, info.heartbeat_ms),
		                   max64(info.end_ms, info.start_ms));
		c->live = rh_session_state_at(&info, sc->now_ms, 0) ==
		          RH_SESSION_LIVE;
	}
	if (have_info && !sc->o->max_bytes)
		return 0;
	/* No manifest (a capture starting, or damage): its objects say; and
	 * the bytes policy needs every size. */
	if ((error = session_keys(&k, sc->st, &ref)) < 0) {
		keys_dispose(&k);
		return error;
	}
	c->bytes = k.bytes;
	c->bytes_known = 1;
	if (!have_info) {
		c->last_ms = max64(k.newest_ms,
		                   rh_layout__session_start_ms(c->session));
		c->live = k.newest_ms && sc->now_ms - k.newest_ms < live_ms;
	}
	keys_dispose(&k);
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const cand *x = a, *y = b;

	if (x->last_ms != y->last_ms)
		return x->last_ms < y->last_ms ? 1 : -1;
	return strcmp(y->session, x->session);
}

static int by_cluster_cmp; /* qsort has no payload; runs are serial */

/* Group (namespace, then cluster when by_cluster_cmp), newest first. */
static int
group_newest(const void *a, const void *b)
{
	const cand *x = *(cand *const *)a, *y = *(cand *const *)b;
	int r = strcmp(x->ns, y->ns);

	if (!r && by_cluster_cmp)
		r = strcmp(x->cluster, y->cluster);
	return r ? r : newest_first(x, y);
}

/* Keep the newest n of each group (same namespace, and cluster when
 * by_cluster); mark the rest. Tombstones take no place. */
static int
mark_count(cand *v, size_t nv, size_t n, int by_cluster, const char *reason)
{
	cand **p;
	size_t i, k = 0, seen = 0;

	if (!(p = rh__calloc(nv ? nv : 1, sizeof(*p))))
		return RH_ENOMEM;
	for (i = 0; i < nv; i++)
		if (!v[i].tomb)
			p[k++] = &v[i];
	by_cluster_cmp = by_cluster;
	qsort(p, k, sizeof(*p), group_newest);
	for (i = 0; i < k; i++) {
		if (i &&
		    (strcmp(p[i]->ns, p[i - 1]->ns) ||
		     (by_cluster && strcmp(p[i]->cluster, p[i - 1]->cluster))))
			seen = 0;
		if (seen++ >= n && !p[i]->live && !p[i]->reason)
			p[i]->reason = reason;
	}
	free(p);
	return 0;
}

static int
mark(scan *sc)
{
	const rh_retention_options *o = sc->o;
	size_t i;
	int error;

	qsort(sc->v, sc->n, sizeof(*sc->v), newest_first);
	for (i = 0; i < sc->n; i++)
		if (sc->v[i].tomb)
			sc->v[i].reason = "unfinished deletion";
	if (o->max_age_ms > 0)
		for (i = 0; i < sc->n; i++)
			if (!sc->v[i].reason && !sc->v[i].live &&
			    sc->v[i].last_ms < sc->now_ms - o->max_age_ms)
				sc->v[i].reason = "age";
	if (o->keep_per_cluster &&
	    (error = mark_count(sc->v, sc->n, o->keep_per_cluster, 1,
	                        "count per cluster")) < 0)
		return error;
	if (o->keep_per_namespace &&
	    (error = mark_count(sc->v, sc->n, o->keep_per_namespace, 0,
	                        "count per namespace")) < 0)
		return error;
	if (o->max_bytes) {
		uint64_t total = 0;

		for (i = 0; i < sc->n; i++)
			if (!sc->v[i].reason)
				total += sc->v[i].bytes;
		for (i = sc->n; i-- > 0 && total > o->max_bytes;)
			if (!sc->v[i].reason && !sc->v[i].live) {
				sc->v[i].reason = "total bytes";
				total -= sc->v[i].bytes;
			}
	}
	return 0;
}

static int
by_name_names(const cand *x, const cand *y)
{
	int r;

	if ((r = strcmp(x->ns, y->ns)) || (r = strcmp(x->cluster, y->cluster)))
		return r;
	return strcmp(x->session, y->session);
}

static int
by_name(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	int r;

	if ((r = strcmp(x->ns, y->ns)) ||
	    (r = strcmp(x->cluster, y->cluster)) ||
	    (r = strcmp(x->session, y->session)))
		return r;
	return y->tomb - x->tomb; /* the tombstone first */
}

static void
cand_free(cand *c)
{
	free(c->ns);
	free(c->cluster);
	free(c->session);
}

/* A session behind a tombstone is the tombstone's business only. */
static void
drop_tombstoned(scan *sc)
{
	size_t i, k = 0;

	qsort(sc->v, sc->n, sizeof(*sc->v), by_name);
	for (i = 0; i < sc->n; i++) {
		if (k && !sc->v[i].tomb && sc->v[k - 1].tomb &&
		    !by_name_names(&sc->v[k - 1], &sc->v[i])) {
			cand_free(&sc->v[i]);
			continue;
		}
		sc->v[k++] = sc->v[i];
	}
	sc->n = k;
}

/* The sessions are read, and the marked ones deleted, by a few threads at
 * once: on S3 each costs a handful of requests whose latency, not
 * bandwidth, sets the pace. */
typedef struct pool {
	scan *sc;
	rh_retention_result *out;
	rh_retention_cb cb;
	void *payload;
	size_t *order, n, next; /* indices into sc->v, in order */
	int deleting;           /* else examining */
	pthread_mutex_t lock;
	int error;
	char msg[512];
} pool;

static void
pool_fail(pool *p, int error)
{
	pthread_mutex_lock(&p->lock);
	if (!p->error) {
		p->error = error;
		snprintf(p->msg, sizeof(p->msg), "%s",
		         *rh_error_last() ? rh_error_last() :
		                            rh_error_name(error));
	}
	pthread_mutex_unlock(&p->lock);
}

/* Delete (or, dry, size) one marked session and report it. */
static int
drop(pool *p, cand *c)
{
	const rh_retention_options *o = p->sc->o;
	rh_retention_session rs;
	int error = 0;

	memset(&rs, 0, sizeof(rs));
	rs.ref.ns = c->ns;
	rs.ref.cluster = c->cluster;
	rs.ref.session = c->session;
	rs.last_ms = c->last_ms;
	rs.reason = c->reason;
	rs.bytes = c->bytes;
	if (!o->dry_run) {
		error = rh_session_delete(p->sc->st, &rs.ref, &rs.objects,
		                          &rs.bytes);
	} else if (!c->bytes_known) { /* say how much would go */
		keys k;

		if ((error = session_keys(&k, p->sc->st, &rs.ref)) == 0)
			rs.bytes = k.bytes;
		keys_dispose(&k);
		if (error < 0)
			return error;
	}
	pthread_mutex_lock(&p->lock);
	if (p->cb)
		p->cb(&rs, error, p->payload);
	if (error == 0) {
		p->out->objects += rs.objects;
		p->out->bytes += rs.bytes;
		if (c->tomb)
			p->out->finished++;
		else
			p->out->deleted++;
	}
	pthread_mutex_unlock(&p->lock);
	return error;
}

static void *
pool_main(void *arg)
{
	pool *p = arg;

	for (;;) {
		size_t i;
		int error;

		pthread_mutex_lock(&p->lock);
		if (p->error || p->next >= p->n) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		i = p->order[p->next++];
		pthread_mutex_unlock(&p->lock);
		error = p->deleting ? drop(p, &p->sc->v[i]) :
		                      examine(p->sc, &p->sc->v[i]);
		if (error < 0)
			pool_fail(p, error);
	}
}

/* Run the pool over p->order[0..n); the first failure, with its message. */
static int
pool_run(pool *p)
{
	unsigned want = p->sc->o->threads ? p->sc->o->threads : THREADS_DEFAULT;
	pthread_t t[THREADS_MAX];
	unsigned nt = 0, i;

	if (want > THREADS_MAX)
		want = THREADS_MAX;
	p->next = 0;
	for (i = 1; i < want && i < p->n; i++, nt++)
		if (pthread_create(&t[nt], NULL, pool_main, p) != 0)
			break;
	pool_main(p); /* this thread works too */
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	return p->error ? rh__error(p->error, "%s", p->msg) : 0;
}

RH_EXTERN int
rh_retention_run(rh_retention_result *out, rh_store *st,
                 const rh_retention_options *opts, rh_retention_cb cb,
                 void *payload)
{
	rh_retention_options dflt = RH_RETENTION_OPTIONS_INIT;
	scan sc;
	pool p;
	size_t i;
	int error = 0;

	if (!out || !st)
		return rh__error(RH_EINVAL, "rh_retention_run: NULL argument");
	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	sc.st = st;
	sc.o = opts ? opts : &dflt;
	sc.now_ms = sc.o->now_ms ? sc.o->now_ms : rh__now_ms();
	if ((error = rh_catalog_list_namespaces(st, ns_cb, &sc)) < 0)
		goto done;
	drop_tombstoned(&sc);
	p.sc = &sc;
	p.out = out;
	p.cb = cb;
	p.payload = payload;
	if (!(p.order = rh__calloc(sc.n ? sc.n : 1, sizeof(*p.order)))) {
		error = RH_ENOMEM;
		goto done;
	}
	for (i = 0; i < sc.n; i++)
		if (!sc.v[i].tomb)
			p.order[p.n++] = i;
	if ((error = pool_run(&p)) < 0)
		goto done;
	for (i = 0; i < sc.n; i++)
		if (!sc.v[i].tomb) {
			out->sessions++;
			out->live += sc.v[i].live;
		}
	if ((error = mark(&sc)) < 0)
		goto done;
	p.n = 0;
	for (i = sc.n; i-- > 0;) /* oldest first */
		if (sc.v[i].reason)
			p.order[p.n++] = i;
	p.deleting = 1;
	error = pool_run(&p);
done:
	for (i = 0; i < sc.n; i++)
		cand_free(&sc.v[i]);
	free(sc.v);
	free(p.order);
	pthread_mutex_destroy(&p.lock);
	return error;
}
