/* dashboard_session.c - the cache of open sessions and their preparation.
 *
 * A session is answered from a snapshot: its index opened, its nodes and
 * counts gathered. Building the index the first time is slow, so it runs as
 * scheduled work while the session answers "preparing"; a later refresh
 * (events still arriving) builds a new snapshot while the old one keeps
 * serving, then swaps. Snapshots are reference counted, so a request that
 * started on the old one finishes on it. */
#include "dashboard_internal.h"
#include "index_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAILED_RETRY_MS 10000

/* ---- snapshots --------------------------------------------------------------- */

static void
snap_free(rh_dash_snap *s)
{
	size_t i;

	if (!s)
		return;
	if (s->timeline)
		s->timeline_free(s->timeline);
	rh_index_close(s->ix);
	for (i = 0; i < s->nnodes; i++) {
		free(s->nodes[i].node_id);
		free(s->nodes[i].ip);
		free(s->nodes[i].hostname);
		rh_dashboard__raylet_free(s->nodes[i].raylet);
	}
	free(s->nodes);
	free(s->ns);
	free(s->cluster);
	free(s->session);
	free(s->prefix);
	rh_buf_dispose(&s->warn);
	free(s);
}

/* Remember that part of the session could not be read. */
static int snap_warn(rh_dash_snap *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int
snap_warn(rh_dash_snap *s, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = rh_buf_vprintf(&s->warn, fmt, ap);
	va_end(ap);
	if (!error && (error = rh_buf_put(&s->warn, "", 1)) == 0)
		s->nwarn++;
	return error;
}

void
rh_dashboard__snap_release(rh_dashboard *d, rh_dash_snap *s)
{
	int last;

	if (!s)
		return;
	pthread_mutex_lock(&d->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&d->lock);
	if (last)
		snap_free(s);
}

void
rh_dashboard__snap_hold(rh_dashboard *d, rh_dash_snap *s)
{
	pthread_mutex_lock(&d->lock);
	s->refs++;
	pthread_mutex_unlock(&d->lock);
}

static int
node_cmp(const void *a, const void *b)
{
	return strcmp(((const rh_dash_node *)a)->node_id,
	              ((const rh_dash_node *)b)->node_id);
}

int
rh_dashboard__scan(rh_query **q, const rh_dash_snap *s, rh_entity what,
                   const rh_filter *f, size_t nf, int detail, int64_t at_ns)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;

	o.limit = 0;
	o.count = 0;
	o.filters = f;
	o.nfilters = nf;
	o.detail = detail;
	o.at_ns = at_ns;
	return rh_query_open(q, s->ix, what, &o);
}

int
rh_dashboard__find(rh_query **q, const rh_row **row, const rh_dash_snap *s,
                   rh_entity what, const rh_filter *f, int64_t at_ns)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	int error;

	*q = NULL;
	o.filters = f;
	o.nfilters = 1;
	o.limit = 1;
	o.count = 0;
	o.detail = 1;
	o.at_ns = at_ns;
	if ((error = rh_query_open(q, s->ix, what, &o)) < 0 ||
	    (error = rh_query_next(row, *q)) < 0) {
		rh_query_close(*q);
		*q = NULL;
	}
	return error;
}

const rh_dash_node *
rh_dashboard__node(const rh_dash_snap *s, const char *id)
{
	rh_dash_node key;

	if (!id || !s->nnodes)
		return NULL;
	key.node_id = (char *)(uintptr_t)id;
	return bsearch(&key, s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
}

const rh_dash_node *
rh_dashboard__node_by_ip(const rh_dash_snap *s, const char *ip)
{
	size_t i;

	for (i = 0; ip && i < s->nnodes; i++)
		if (s->nodes[i].ip && !strcmp(s->nodes[i].ip, ip))
			return &s->nodes[i];
	return NULL;
}

const rh_dash_node *
rh_dashboard__head(const rh_dash_snap *s)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i].is_head)
			return &s->nodes[i];
	return s->nnodes ? &s->nodes[0] : NULL;
}

static rh_dash_node *
node_add(rh_dash_snap *s, const char *id)
{
	rh_dash_node *n;
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (!strcmp(s->nodes[i].node_id, id))
			return &s->nodes[i];
	if (!(n = rh__realloc(s->nodes, (s->nnodes + 1) * sizeof(*n))))
		return NULL;
	s->nodes = n;
	n = &s->nodes[s->nnodes];
	memset(n, 0, sizeof(*n));
	if (!(n->node_id = rh__strdup(id)))
		return NULL;
	s->nnodes++;
	return n;
}

static int
set_str(char **field, const char *v)
{
	if (!v || !*v || *field)
		return 0;
	return (*field = rh__strdup(v)) ? 0 : RH_ENOMEM;
}

static int
nodes_from_index(rh_dash_snap *s)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	if ((error = rh_dashboard__scan(&q, s, RH_ENTITY_NODE, NULL, 0, 0,
	                                RH_TIME_NONE)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_node_row *r = &row->u.node;
		rh_dash_node *n;

		if (!r->node_id)
			continue;
		if (!(n = node_add(s, r->node_id)) ||
		    set_str(&n->ip, r->node_ip) < 0 ||
		    set_str(&n->hostname, r->hostname) < 0) {
			error = RH_ENOMEM;
			break;
		}
		n->has_events = 1;
		if (r->is_head_node > 0)
			n->is_head = 1;
	}
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

struct files_ctx {
	rh_dashboard *d;
	rh_dash_snap *s;
	rh_dash_snap *old; /* the snapshot being refreshed, or NULL */
	rh_session_ref sref;
};

/* A node's raylet facts: the refreshed snapshot's when its files did not
 * change, else read again (dashboard_raylet.c). */
static int
node_raylet(struct files_ctx *f, rh_dash_node *n, const rh_node_manifest *m)
{
	const rh_dash_node *o =
		f->old ? rh_dashboard__node(f->old, n->node_id) : NULL;
	uint64_t key;

	if (o && o->raylet && o->raylet->key &&
	    (key = rh_dashboard__raylet_key(m)) == o->raylet->key)
		return rh_dashboard__raylet_copy(&n->raylet, o->raylet);
	return rh_dashboard__raylet_load(&n->raylet, f->d->st, &f->sref, m);
}

static int
node_files_cb(const char *id, void *payload)
{
	struct files_ctx *f = payload;
	rh_node_manifest *m = NULL;
	rh_dash_node *n;
	int error;

	if (!(n = node_add(f->s, id)))
		return RH_ENOMEM;
	n->has_files = 1;
	if ((error = rh_node_manifest_load(&m, f->d->st, &f->sref, id)) < 0) {
		/* a damaged manifest: the node stays, and it is said */
		if (error != RH_ENOTFOUND &&
		    (error = snap_warn(f->s, "node %s: %s", id,
		                       rh_error_last())) < 0)
			return error;
		rh_error_clear();
		return 0;
	}
	error = set_str(&n->ip, rh_node_manifest_ip(m));
	if (rh_node_manifest_is_head(m))
		n->is_head = 1;
	if (!error && !n->raylet)
		error = node_raylet(f, n, m);
	rh_node_manifest_free(m);
	return error;
}

/* The Ray version a session ran: its manifest's, else what the head's
 * raylet logged first ("Ray raylet version: 2.52.0"). */
static void
find_ray_version(rh_dash_snap *s, rh_dashboard *d, const rh_session_ref *sref)
{
	const rh_dash_node *head = rh_dashboard__head(s);
	static const char key[] = "Ray raylet version: ";
	rh_logfile *f = NULL;
	rh_buf b = RH_BUF_INIT;
	const char *p;
	size_t n;

	if (s->has_info && s->info.ray_version[0]) {
		snprintf(s->ray_version, sizeof(s->ray_version), "%s",
		         s->info.ray_version);
		return;
	}
	if (!head ||
	    rh_logfile_open(&f, d->st, sref, head->node_id, "logs/raylet.out") <
	            0 ||
	    rh_logfile_read(&b, f, 0, 64u << 10) < 0 || !b.ptr ||
	    !(p = strstr(b.ptr, key))) {
		rh_error_clear();
		goto done;
	}
	p += sizeof(key) - 1;
	n = strspn(
		p,
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-");
	if (n && n < sizeof(s->ray_version))
		snprintf(s->ray_version, sizeof(s->ray_version), "%.*s", (int)n,
		         p);
done:
	rh_logfile_close(f);
	rh_buf_dispose(&b);
}

struct build_progress {
	rh_dashboard *d;
	rh_dash_entry *e;
	unsigned delay_ms;
};

/* Keep the index build's progress where the "preparing" answer reads it. */
static void
build_progress_cb(const rh_progress *p, void *payload)
{
	struct build_progress *bp = payload;

	pthread_mutex_lock(&bp->d->lock);
	bp->e->progress = *p;
	pthread_mutex_unlock(&bp->d->lock);
	/* Test hook: slow the build down so a test sees it under way. */
	if (bp->delay_ms) {
		struct timespec ts = { bp->delay_ms / 1000,
			               (long)(bp->delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Bring the session's index up to date, reporting progress, and open it;
 * with `stored`, open the index the store holds as it is (RH_ENOTFOUND
 * when none); with `force`, rebuild it from the events first. */
static int
open_index(rh_index **out, rh_dashboard *d, rh_dash_entry *e,
           const rh_session_ref *sref, const char *prefix, int stored,
           int force)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	struct build_progress bp = { d, e, 0 };
	const char *delay = getenv("RAYHIST_TEST_INDEX_DELAY_MS");
	rh_buf key = RH_BUF_INIT;
	int error = 0, rebuilt = 0;

	if (delay)
		bp.delay_ms = (unsigned)strtoul(delay, NULL, 10);
	ro.force = force;
	ro.progress = build_progress_cb;
	ro.progress_payload = &bp;
	/* A session seen again keeps its history: only new events are read
	 * (index_live.c). One prepare at a time uses e->live. */
	if (!stored && !e->live)
		error = rh_index__live_new(&e->live, prefix);
	if (!stored && error == 0) {
		rh_index__live_stats before, after;

		rh_index__live_stats_get(&before, e->live);
		/* the index the check found current (or just wrote) is the
		 * one served */
		error = rh_index__live_refresh(out, &rebuilt, e->live, d->st,
		                               &ro);
		rh_index__live_stats_get(&after, e->live);
		pthread_mutex_lock(&d->lock);
		d->stats.bytes_read += after.bytes_read - before.bytes_read;
		/* updates are spaced by what grows with the session, not by
		 * parsing what arrived (a first build parses everything) */
		e->prep_ms = after.last_fixed_ms;
		pthread_mutex_unlock(&d->lock);
	}
	if (error == 0 && rebuilt) {
		pthread_mutex_lock(&d->lock);
		d->stats.builds++;
		pthread_mutex_unlock(&d->lock);
	}
	if (error == 0 && stored && (error = rh_layout_index(&key, sref)) == 0)
		error = rh_index_open(out, d->st, key.ptr, NULL);
	rh_buf_dispose(&key);
	return error;
}

static int
build_snap_once(rh_dash_snap **out, rh_dashboard *d, rh_dash_entry *e,
                int stored, int force)
{
	rh_dash_snap *s;
	rh_buf prefix = RH_BUF_INIT;
	struct files_ctx f = { 0 };
	int error;

	*out = NULL;
	if (!(s = rh__calloc(1, sizeof(*s))))
		return RH_ENOMEM;
	s->refs = 1;
	if (!(s->ns = rh__strdup(e->ns)) ||
	    !(s->cluster = rh__strdup(e->cluster)) ||
	    !(s->session = rh__strdup(e->session))) {
		error = RH_ENOMEM;
		goto done;
	}
	f.d = d;
	f.s = s;
	pthread_mutex_lock(&d->lock);
	if ((f.old = e->snap))
		e->snap->refs++;
	pthread_mutex_unlock(&d->lock);
	f.sref.ns = s->ns;
	f.sref.cluster = s->cluster;
	f.sref.session = s->session;
	if ((error = rh_layout_session_prefix(&prefix, &f.sref)) < 0)
		goto done;
	s->prefix = prefix.ptr, prefix.ptr = NULL;
	if ((error = open_index(&s->ix, d, e, &f.sref, s->prefix, stored,
	                        force)) < 0)
		goto done;
	error = rh_session_info_load(&s->info, d->st, &f.sref);
	s->has_info = error == 0;
	/* none is a session still arriving; one that cannot be read is said */
	if (error < 0 && error != RH_ENOTFOUND &&
	    (error = snap_warn(s, "%s", rh_error_last())) < 0)
		goto done;
	rh_error_clear();
	if ((error = nodes_from_index(s)) < 0 ||
	    (error = rh_catalog_list_nodes(d->st, &f.sref, node_files_cb, &f)) <
	            0)
		goto done;
	if (s->nnodes)
		qsort(s->nodes, s->nnodes, sizeof(*s->nodes), node_cmp);
	find_ray_version(s, d, &f.sref);
	s->ntasks = rh_index_count(s->ix, RH_ENTITY_TASK);
	s->njobs = rh_index_count(s->ix, RH_ENTITY_JOB);
	s->nactors = rh_index_count(s->ix, RH_ENTITY_ACTOR);
	s->built_ms = rh_dashboard__now_ms();
	pthread_mutex_lock(&d->lock);
	s->gen = ++d->snap_gen;
	pthread_mutex_unlock(&d->lock);
	*out = s, s = NULL;
done:
	if (f.old)
		rh_dashboard__snap_release(d, f.old);
	rh_buf_dispose(&prefix);
	snap_free(s);
	return error;
}

/* A snapshot of e's session. Opening an index checks its ends; a damaged
 * page shows only when read (here, or by a later request, which sets
 * e->damaged): then the index is rebuilt from the events, as rayhist-ls
 * does, never served as an error for good. */
static int
build_snap(rh_dash_snap **out, rh_dashboard *d, rh_dash_entry *e, int stored)
{
	int force, error;

	pthread_mutex_lock(&d->lock);
	force = !stored && e->damaged;
	pthread_mutex_unlock(&d->lock);
	error = build_snap_once(out, d, e, stored, force);
	if (error == RH_ECORRUPT && !stored && !force)
		error = build_snap_once(out, d, e, 0, force = 1);
	if (error == 0 && force) {
		pthread_mutex_lock(&d->lock);
		e->damaged = 0;
		pthread_mutex_unlock(&d->lock);
	}
	return error;
}

/* Build a snapshot and publish it; on failure keep serving an older one,
 * else remember the failure. Runs on any thread. */
static void
prepare(rh_dashboard *d, rh_dash_entry *e)
{
	rh_dash_snap *s = NULL, *old = NULL;
	int64_t t0 = rh_dashboard__now_ms(), now;
	int error;

	pthread_mutex_lock(&d->lock);
	memset(&e->progress, 0, sizeof(e->progress));
	e->progress_t0_ms = t0;
	pthread_mutex_unlock(&d->lock);
	error = build_snap(&s, d, e, 0);
	now = rh_dashboard__now_ms();

	pthread_mutex_lock(&d->lock);
	d->stats.index_ms += (uint64_t)(now - t0);
	if (error == 0)
		d->stats.indexed++;
	else
		d->stats.index_failures++;
	if (error == 0) {
		old = e->snap;
		e->snap = s;
		e->state = DASH_READY;
	} else if (e->snap) {
		e->state = DASH_READY; /* a failed refresh: keep the old one */
	} else {
		e->state = DASH_FAILED;
		e->failed_ms = now;
		snprintf(e->errmsg, sizeof(e->errmsg), "%s/%s/%s: %s", e->ns,
		         e->cluster, e->session,
		         *rh_error_last() ? rh_error_last() :
		                            rh_error_name(error));
	}
	e->refreshing = 0;
	e->checked_ms = now;
	pthread_mutex_unlock(&d->lock);
	if (old)
		rh_dashboard__snap_release(d, old);
}

/* First visit to e here, with e->loading set: serve the index the store
 * holds, if any, at once. Another server over the same store (or this one
 * before a restart) built it; this one checks it for new events in the
 * background, as for any ready session (checked_ms 0 makes that due), so a
 * user bouncing between replicas sees "preparing" once per session, not
 * once per replica. Without a stored index e goes back to DASH_NEW. */
static void
load_stored(rh_dashboard *d, rh_dash_entry *e)
{
	rh_dash_snap *s = NULL;
	int64_t t0 = rh_dashboard__now_ms();
	int error = build_snap(&s, d, e, 1);

	pthread_mutex_lock(&d->lock);
	e->loading = 0;
	e->stored_tried = 1;
	if (error == 0) {
		d->stats.indexed++;
		d->stats.index_ms += (uint64_t)(rh_dashboard__now_ms() - t0);
		e->snap = s;
		e->state = DASH_READY;
		e->checked_ms = 0;
	} else {
		e->state = DASH_NEW;
	}
	pthread_cond_broadcast(&d->loaded);
	pthread_mutex_unlock(&d->lock);
	rh_error_clear(); /* none stored, or damaged: built as usual */
}

struct job {
	rh_dashboard *d;
	rh_dash_entry *e;
};

static void
prepare_job(void *arg)
{
	struct job *j = arg;

	prepare(j->d, j->e);
	free(j);
}

/* Start preparing e (its state is already DASH_PREPARING). Returns 0, or
 * < 0 when the work could not be scheduled (the state is reset). */
static int
start(rh_dashboard *d, rh_dash_entry *e)
{
	struct job *j;

	if (!d->opts.schedule) {
		prepare(d, e);
		return 0;
	}
	if (!(j = rh__malloc(sizeof(*j))))
		goto fail;
	j->d = d;
	j->e = e;
	if (d->opts.schedule(prepare_job, j, d->opts.schedule_payload) < 0) {
		free(j);
		rh__error(RH_EBUSY, "the server's work queue is full");
		goto fail;
	}
	return 0;
fail:
	pthread_mutex_lock(&d->lock);
	e->state = e->snap ? DASH_READY : DASH_NEW;
	e->refreshing = 0;
	pthread_mutex_unlock(&d->lock);
	return RH_EBUSY;
}

/* ---- the cache ----------------------------------------------------------------- */

static rh_dash_entry *
find(rh_dashboard *d, const rh_session_ref *s)
{
	rh_dash_entry *e;

	for (e = d->entries; e; e = e->next)
		if (!strcmp(e->session, s->session) &&
		    !strcmp(e->cluster, s->cluster) && !strcmp(e->ns, s->ns))
			return e;
	return NULL;
}

/* Drop least recently used entries nobody holds until there is room.
 * Called with the lock held; snapshots are released by the caller. */
static void
evict(rh_dashboard *d, rh_dash_snap **drop, size_t *ndrop, size_t cap)
{
	while (d->nentries >= d->opts.max_sessions && *ndrop < cap) {
		rh_dash_entry **pp, **victim = NULL;

		for (pp = &d->entries; *pp; pp = &(*pp)->next) {
			rh_dash_entry *e = *pp;
			if (e->users || e->state == DASH_PREPARING)
				continue;
			if (!victim || e->used_ms < (*victim)->used_ms)
				victim = pp;
		}
		if (!victim)
			return;
		{
			rh_dash_entry *e = *victim;
			*victim = e->next;
			d->nentries--;
			drop[(*ndrop)++] = e->snap;
			rh_index__live_free(e->live);
			free(e->ns);
			free(e->cluster);
			free(e->session);
			free(e);
		}
	}
}

struct any {
	int found;
};

static int
any_cb(const rh_store_entry *e, void *payload)
{
	size_t n = strlen(e->key);

	/* an index alone is no session (older versions wrote one for any
	 * name asked for) */
	if (n >= 7 && !strcmp(e->key + n - 7, "/index/"))
		return 0;
	((struct any *)payload)->found = 1;
	return 1;
}

/* Does the store hold anything of this session? */
static int
session_exists(rh_dashboard *d, const rh_session_ref *s)
{
	rh_session_info info;
	rh_buf prefix = RH_BUF_INIT;
	struct any a = { 0 };
	int error;

	if ((error = rh_session_info_load(&info, d->st, s)) == 0)
		return 1;
	if (error != RH_ENOTFOUND && error != RH_ECORRUPT)
		return error;
	if ((error = rh_layout_session_prefix(&prefix, s)) == 0)
		error = rh_store_list(d->st, prefix.ptr, "/", any_cb, &a);
	rh_buf_dispose(&prefix);
	if (error < 0)
		return error;
	return a.found;
}

int
rh_dashboard__session_enter(rh_dash_ctx *c)
{
	rh_dashboard *d = c->d;
	rh_dash_snap *drop[8];
	rh_dash_entry *e;
	size_t ndrop = 0, i;
	int r;

	pthread_mutex_lock(&d->lock);
	if ((e = find(d, &c->sref))) {
		e->users++;
		e->used_ms = c->now_ms;
	}
	pthread_mutex_unlock(&d->lock);
	if (e) {
		c->entry = e;
		return RH_DASH_GO_ON;
	}
	if ((r = session_exists(d, &c->sref)) < 0)
		return rh_dashboard__fail_code(c, r) < 0 ? -1 :
		                                           RH_DASH_ANSWERED;
	if (r == 0)
		return rh_dashboard__fail(c, 404,
		                          "no session %s/%s/%s in the "
		                          "store",
		                          c->sref.ns, c->sref.cluster,
		                          c->sref.session) < 0 ?
		               -1 :
		               RH_DASH_ANSWERED;
	pthread_mutex_lock(&d->lock);
	if (!(e = find(d, &c->sref))) {
		evict(d, drop, &ndrop, RH_ARRAY_SIZE(drop));
		if ((e = rh__calloc(1, sizeof(*e))) &&
		    (!(e->ns = rh__strdup(c->sref.ns)) ||
		     !(e->cluster = rh__strdup(c->sref.cluster)) ||
		     !(e->session = rh__strdup(c->sref.session)))) {
			free(e->ns);
			free(e->cluster);
			free(e);
			e = NULL;
		}
		if (e) {
			e->next = d->entries;
			d->entries = e;
			d->nentries++;
		}
	}
	if (e) {
		e->users++;
		e->used_ms = c->now_ms;
	}
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < ndrop; i++)
		if (drop[i])
			rh_dashboard__snap_release(d, drop[i]);
	if (!e)
		return RH_ENOMEM;
	c->entry = e;
	return RH_DASH_GO_ON;
}

int
rh_dashboard__session_state(rh_dash_ctx *c, char *msg, size_t cap)
{
	int state;

	pthread_mutex_lock(&c->d->lock);
	state = c->entry->snap ? DASH_READY : c->entry->state;
	if (msg && cap)
		snprintf(msg, cap, "%s", c->entry->errmsg);
	pthread_mutex_unlock(&c->d->lock);
	return state;
}

/* Would rh_dashboard__session_snap() hand out a snapshot now without
 * starting a refresh? The same test as there. With d->lock held. */
static int
refresh_due(const rh_dashboard *d, const rh_dash_entry *e, int64_t now_ms)
{
	/* A final session is still looked at now and then, ten times less
	 * often: a follower restarted after a crash takes an abandoned (or
	 * ended) session up again. */
	int64_t every = rh_dashboard__refresh_every(
		d->opts.refresh_ms, rh_dashboard__snap_final(e->snap),
		e->prep_ms);

	return e->state == DASH_READY && d->opts.refresh_ms > 0 &&
	       now_ms - e->checked_ms >= every;
}

int
rh_dashboard__session_serves(rh_dashboard *d, const rh_session_ref *s,
                             uint64_t gen, int64_t now_ms)
{
	rh_dash_entry *e;
	int yes;

	pthread_mutex_lock(&d->lock);
	e = find(d, s);
	yes = e && e->snap && e->snap->gen == gen && !refresh_due(d, e, now_ms);
	if (yes)
		e->used_ms = now_ms;
	pthread_mutex_unlock(&d->lock);
	return yes;
}

/* "; 3.1 of 12.0 MiB read, 4 of 9 files, 2.5 MiB/s, about 4 s left":
 * the index build's progress as the "preparing" answer shows it ("" before
 * its first object is read). The rate is over the wall clock since the
 * build began. */
static void
progress_text(char *out, size_t size, const rh_progress *p, int64_t t0_ms)
{
	double mib = 1024.0 * 1024.0, secs, rate;
	int n;

	*out = 0;
	if (!p->files_done && !p->bytes_done)
		return;
	n = snprintf(out, size, "; %.1f of %.1f MiB read, %llu of %llu files",
	             (double)p->bytes_done / mib, (double)p->bytes_total / mib,
	             (unsigned long long)p->files_done,
	             (unsigned long long)p->files_total);
	secs = (double)(rh_dashboard__now_ms() - t0_ms) / 1000.0;
	if (n < 0 || (size_t)n >= size || secs <= 0 || !p->bytes_done)
		return;
	rate = (double)p->bytes_done / secs;
	if (p->bytes_total > p->bytes_done)
		snprintf(out + n, size - (size_t)n,
		         ", %.1f MiB/s, about %.0f s left", rate / mib,
		         (double)(p->bytes_total - p->bytes_done) / rate);
	else
		snprintf(out + n, size - (size_t)n, ", %.1f MiB/s", rate / mib);
}

static int
preparing(rh_dash_ctx *c, int64_t since_ms)
{
	rh_progress p;
	int64_t t0;
	char done[200];
	int error;

	pthread_mutex_lock(&c->d->lock);
	p = c->entry->progress;
	t0 = c->entry->progress_t0_ms;
	pthread_mutex_unlock(&c->d->lock);
	progress_text(done, sizeof(done), &p, t0);
	if ((error = rh_dashboard__header(c->resp, "Retry-After", "2")) < 0 ||
	    (error = rh_dashboard__fail(
		     c, 202,
		     "preparing session %s/%s/%s: "
		     "its events are being indexed (first "
		     "visit, %lld s so far%s); retry in a few "
		     "seconds",
		     c->sref.ns, c->sref.cluster, c->sref.session,
		     (long long)((c->now_ms - since_ms) / 1000), done)) < 0)
		return error;
	return RH_DASH_ANSWERED;
}

/* Wait while another request opens the stored index; open it here if no
 * one tried yet (a scheduled dashboard). Called and returns with the
 * lock held. */
static void
load_stored_locked(rh_dash_ctx *c, rh_dashboard *d, rh_dash_entry *e)
{
	/* another request is opening the stored index: it takes a moment */
	while (e->loading)
		pthread_cond_wait(&d->loaded, &d->lock);
	if (e->state == DASH_NEW && !e->stored_tried && d->opts.schedule &&
	    d->opts.refresh_ms > 0) {
		e->state = DASH_PREPARING;
		e->started_ms = c->now_ms;
		e->loading = 1;
		pthread_mutex_unlock(&d->lock);
		load_stored(d, e);
		pthread_mutex_lock(&d->lock);
	}
}

/* Serve the snapshot e has; look for new events now and then while the
 * session has not ended. Called with the lock held; releases it. */
static void
take_snap_unlock(rh_dash_ctx *c, rh_dashboard *d, rh_dash_entry *e)
{
	int kick = 0;

	if (refresh_due(d, e, c->now_ms)) {
		e->state = DASH_PREPARING;
		e->refreshing = 1;
		kick = 1;
	}
	c->snap = e->snap;
	c->snap->refs++;
	pthread_mutex_unlock(&d->lock);
	if (kick && d->opts.schedule)
		(void)start(d, e);
	else if (kick) {
		/* Inline refresh would block this request: skip it. */
		pthread_mutex_lock(&d->lock);
		e->state = DASH_READY;
		e->refreshing = 0;
		e->checked_ms = c->now_ms;
		pthread_mutex_unlock(&d->lock);
	}
	rh_error_clear();
}

/* Start preparing the session (e in no other state); answer 202, or with
 * an inline dashboard take what it prepared. Returns as
 * rh_dashboard__session_snap(). */
static int
prepare_now(rh_dash_ctx *c, rh_dashboard *d, rh_dash_entry *e)
{
	char msg[600];
	int error;

	if ((error = start(d, e)) < 0) {
		error = rh_dashboard__fail(c, 503,
		                           "cannot prepare session "
		                           "%s/%s/%s now: %s",
		                           c->sref.ns, c->sref.cluster,
		                           c->sref.session, rh_error_last());
		return error < 0 ? error : RH_DASH_ANSWERED;
	}
	if (d->opts.schedule)
		return preparing(c, c->now_ms);
	/* Prepared inline: take the result. */
	pthread_mutex_lock(&d->lock);
	if (e->snap) {
		c->snap = e->snap;
		c->snap->refs++;
	}
	snprintf(msg, sizeof(msg), "%s", e->errmsg);
	pthread_mutex_unlock(&d->lock);
	if (c->snap)
		return RH_DASH_GO_ON;
	error = rh_dashboard__fail(c, 500, "cannot open session: %s", msg);
	return error < 0 ? error : RH_DASH_ANSWERED;
}

int
rh_dashboard__session_snap(rh_dash_ctx *c)
{
	rh_dashboard *d = c->d;
	rh_dash_entry *e = c->entry;
	int64_t started;
	char msg[600];
	int error;

	if (c->snap)
		return RH_DASH_GO_ON;
	pthread_mutex_lock(&d->lock);
	load_stored_locked(c, d, e);
	if (e->snap) {
		take_snap_unlock(c, d, e);
		return RH_DASH_GO_ON;
	}
	if (e->state == DASH_PREPARING) {
		started = e->started_ms;
		pthread_mutex_unlock(&d->lock);
		return preparing(c, started);
	}
	if (e->state == DASH_FAILED &&
	    c->now_ms - e->failed_ms < FAILED_RETRY_MS) {
		snprintf(msg, sizeof(msg), "%s", e->errmsg);
		pthread_mutex_unlock(&d->lock);
		error = rh_dashboard__fail(c, 500, "cannot open session: %s",
		                           msg);
		return error < 0 ? error : RH_DASH_ANSWERED;
	}
	e->state = DASH_PREPARING;
	e->started_ms = c->now_ms;
	pthread_mutex_unlock(&d->lock);
	return prepare_now(c, d, e);
}
