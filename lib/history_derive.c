/* history_derive.c - what needs all events: transitions sorted, states and
 * times derived the way Ray's state API derives them, jobs linked to their
 * submissions, workers collected, and every entity put in index order. */
#include "internal.h"
#include "history_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_LAST(vec) ((vec)->n ? &(vec)->v[(vec)->n - 1] : NULL)

static const hb_x *
xat(const rh_history *h, uint32_t x)
{
	return x ? hb_pool_at(&h->xs, x - 1) : NULL;
}

static int
intern_cat(rh_history *h, uint32_t *out, const char *a, const char *sep,
           const char *b)
{
	rh_buf buf = RH_BUF_INIT;
	int error;

	if (!(error = rh_buf_printf(&buf, "%s%s%s", a, sep, b)))
		error = rh_strtab_intern(&h->strs, out, buf.ptr, buf.size);
	rh_buf_dispose(&buf);
	return error;
}

/* ---------------------------------------------------------------- coarse */

#define COARSE_WINDOW 2000000000LL /* ns: an export event's second, rounded */

/* An extra holding a's fields, and b's where a has none. */
static int
x_fill(rh_history *h, uint32_t *out, uint32_t a, uint32_t b)
{
	const hb_x *xa = xat(h, a), *xb = xat(h, b);
	hb_x *n;
	uint32_t idx;

	if (!xb || a == b) {
		*out = a;
		return 0;
	}
	if (!xa) {
		*out = b;
		return 0;
	}
	if (!(n = hb_pool_add(&h->xs, &idx)))
		return RH_ENOMEM;
	xa = xat(h, a); /* the pool does not move, but be plain about it */
	xb = xat(h, b);
	*n = *xa;
	if (!n->node)
		n->node = xb->node;
	if (!n->worker)
		n->worker = xb->worker;
	if (!n->repr)
		n->repr = xb->repr;
	if (!n->death)
		n->death = xb->death;
	if (!n->ip)
		n->ip = xb->ip;
	if (!n->reason)
		n->reason = xb->reason;
	if (!n->message)
		n->message = xb->message;
	if (!n->resources)
		n->resources = xb->resources;
	if (n->pid < 0)
		n->pid = xb->pid;
	if (n->exit_code < 0)
		n->exit_code = xb->exit_code;
	*out = idx + 1;
	return 0;
}

/* Fold each coarse transition into the precise one of its state nearest in
 * time (within COARSE_WINDOW), keeping what only the coarse one knew; coarse
 * transitions with no precise twin stay. Everything is sorted first, so the
 * result does not depend on arrival order. */
static int
reconcile(rh_history *h, hb_trvec *v)
{
	uint32_t i, j, k;
	int error, any = 0;

	for (i = 0; i < v->n && !any; i++)
		any = (v->v[i].state & HB_COARSE) != 0;
	if (!any)
		return 0;
	hb_tr_sort(v);
	for (i = 0; i < v->n; i++) {
		hb_tr *c = &v->v[i];
		int st = c->state & ~HB_COARSE;
		int64_t best = INT64_MAX;
		uint32_t bi = UINT32_MAX;

		if (!(c->state & HB_COARSE))
			continue;
		for (j = 0; j < v->n; j++) {
			const hb_tr *f = &v->v[j];
			int64_t d;

			if (f->state != st || f->t == HB_NONE ||
			    c->t == HB_NONE)
				continue;
			d = f->t > c->t ? f->t - c->t : c->t - f->t;
			if (d <= COARSE_WINDOW && d < best) {
				best = d;
				bi = j;
			}
		}
		if (bi == UINT32_MAX)
			continue;
		if ((error = x_fill(h, &v->v[bi].x, v->v[bi].x, c->x)) < 0)
			return error;
		c->state = -1; /* folded */
	}
	for (i = k = 0; i < v->n; i++) {
		if (v->v[i].state < 0)
			continue;
		v->v[i].state &= ~HB_COARSE;
		v->v[k++] = v->v[i];
	}
	v->n = k;
	/* coarse twins of one another (two export snapshots) */
	hb_tr_sort(v);
	for (i = k = 0; i < v->n; i++) {
		if (k && v->v[k - 1].state == v->v[i].state &&
		    v->v[k - 1].t == v->v[i].t) {
			if (hb_x_cmp(h, v->v[i].x, v->v[k - 1].x) > 0)
				v->v[k - 1].x = v->v[i].x;
			continue;
		}
		v->v[k++] = v->v[i];
	}
	v->n = k;
	return 0;
}

/* ---------------------------------------------------------------- tasks */

static int
prof_cmp(const void *a, const void *b, void *ctx)
{
	const hb_prof *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return rh_strtab_cmp(ctx, x->name, y->name);
}

static int
derive_task(rh_history *h, hb_task *t)
{
	uint32_t i;
	int have_first = 0;

	hb_tr_sort(&t->tr);
	if (t->nprof > 1)
		qsort_r(t->prof, t->nprof, sizeof(*t->prof), prof_cmp,
		        &h->strs);
	/* As protobuf_to_task_state_dict() (§3.5): GCS keeps one time per
	 * state (the latest); the state is the last of them in enum order, not
	 * in time order; PENDING_ARGS_AVAIL gives the creation time, RUNNING
	 * the start, FINISHED and then FAILED the end. */
	t->state = RH_TASK_NIL;
	t->creation = t->start = t->end = HB_NONE;
	for (i = 0; i < t->tr.n; i++) {
		const hb_tr *r = &t->tr.v[i];

		if (r->state > t->state)
			t->state = (uint8_t)r->state;
		if (r->state == RH_TASK_PENDING_ARGS_AVAIL)
			t->creation = r->t;
		else if (r->state == RH_TASK_RUNNING)
			t->start = r->t;
	}
	for (i = 0; i < t->tr.n; i++)
		if (t->tr.v[i].state == RH_TASK_FINISHED &&
		    t->state != RH_TASK_FAILED)
			t->end = t->tr.v[i].t;
		else if (t->tr.v[i].state == RH_TASK_FAILED)
			t->end = t->tr.v[i].t;
	(void)have_first;
	t->sort_t = t->creation != HB_NONE             ? t->creation :
	            t->tr.n && t->tr.v[0].t != HB_NONE ? t->tr.v[0].t :
	                                                 INT64_MAX;
	/* An actor task without a custom name is shown as
	 * "<actor repr>.<method>" (protobuf_to_task_state_dict). */
	if (t->type == RH_TASK_TYPE_ACTOR_TASK && t->repr && t->func &&
	    (!t->name || t->name == t->func)) {
		const char *f = rh_strtab_get(&h->strs, t->func),
			   *dot = strrchr(f, '.');
		char *method = rh__strdup(dot ? dot + 1 : f);
		char *repr;
		int error;

		if (!method)
			return RH_ENOMEM;
		if (!(repr = rh__strdup(rh_strtab_get(&h->strs, t->repr)))) {
			free(method);
			return RH_ENOMEM;
		}
		error = intern_cat(h, &t->name, repr, ".", method);
		free(method);
		free(repr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* Sort keys: sort time, then the id's first bytes, then (on a tie) the
 * whole id and the attempt. Kept in an array so the sort reads memory in
 * order instead of chasing a million tasks. */
typedef struct task_key {
	int64_t t;
	uint64_t prefix;
	uint32_t idx;
} task_key;

static int
task_key_cmp(const void *a, const void *b, void *ctx)
{
	const task_key *x = a, *y = b;
	rh_history *h = ctx;
	const hb_task *tx, *ty;
	int c;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	tx = hb_pool_at(&h->tasks, x->idx);
	ty = hb_pool_at(&h->tasks, y->idx);
	if ((c = rh_strtab_cmp(&h->strs, tx->id, ty->id)))
		return c;
	return (tx->attempt > ty->attempt) - (tx->attempt < ty->attempt);
}

static int
task_order(rh_history *h)
{
	size_t i, n = h->tasks.n;
	task_key *k;

	if (!(h->task_order =
	              rh__malloc((n ? n : 1) * sizeof(*h->task_order))) ||
	    !(k = rh__malloc((n ? n : 1) * sizeof(*k))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		const hb_task *t = hb_pool_at(&h->tasks, i);

		k[i].t = t->sort_t;
		k[i].prefix = rh_strtab_prefix(&h->strs, t->id);
		k[i].idx = (uint32_t)i;
	}
	if (n > 1)
		qsort_r(k, n, sizeof(*k), task_key_cmp, h);
	for (i = 0; i < n; i++)
		h->task_order[i] = k[i].idx;
	free(k);
	return 0;
}

/* ---------------------------------------------------------------- order */

typedef struct {
	rh_history *h;
	hb_pool *pool;
	size_t id_off; /* offsetof the uint32_t id */
} id_ctx;

static int
id_order_cmp(const void *a, const void *b, void *vctx)
{
	const id_ctx *c = vctx;
	const char *x = hb_pool_at(c->pool, *(const uint32_t *)a);
	const char *y = hb_pool_at(c->pool, *(const uint32_t *)b);
	uint32_t ix, iy;

	memcpy(&ix, x + c->id_off, 4);
	memcpy(&iy, y + c->id_off, 4);
	return rh_strtab_cmp(&c->h->strs, ix, iy);
}

static int
order_by_id(rh_history *h, uint32_t **out, hb_pool *pool, size_t id_off)
{
	id_ctx c = { h, pool, id_off };
	uint32_t *o;
	size_t i;

	if (!(o = rh__malloc((pool->n ? pool->n : 1) * sizeof(*o))))
		return RH_ENOMEM;
	for (i = 0; i < pool->n; i++)
		o[i] = (uint32_t)i;
	if (pool->n > 1)
		qsort_r(o, pool->n, sizeof(*o), id_order_cmp, &c);
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- actors */

static int
derive_actor(rh_history *h, hb_actor *a)
{
	const hb_tr *last;
	uint32_t i;
	int error;

	if ((error = reconcile(h, &a->tr)) < 0)
		return error;
	hb_tr_sort(&a->tr);
	last = T_LAST(&a->tr);
	a->state = last ? last->state : RH_ACTOR_DEPENDENCIES_UNREADY;
	a->pid = -1;
	a->start = a->end = HB_NONE;
	a->restarts = 0;
	for (i = 0; i < a->tr.n; i++) {
		const hb_tr *r = &a->tr.v[i];
		const hb_x *x = xat(h, r->x);

		if (r->state == RH_ACTOR_RESTARTING)
			a->restarts++;
		if (r->state == RH_ACTOR_ALIVE) {
			if (a->start == HB_NONE)
				a->start = r->t;
			if (x && x->node) {
				a->node = x->node;
				a->worker = x->worker;
			}
			if (x && x->pid >= 0)
				a->pid = x->pid;
		}
		if (x && x->repr && !a->repr)
			a->repr = x->repr;
		if (r->state == RH_ACTOR_DEAD && x) {
			a->death = x->death;
			a->exit_detail = x->message;
			if (x->ip)
				a->ip = x->ip;
			if (a->pid < 0 && x->pid >= 0)
				a->pid = x->pid;
		}
	}
	/* The latest repr name wins over the definition's empty one. */
	for (i = a->tr.n; i-- > 0;) {
		const hb_x *x = xat(h, a->tr.v[i].x);

		if (x && x->repr) {
			a->repr = x->repr;
			break;
		}
	}
	if (a->state == RH_ACTOR_DEAD && last)
		a->end = last->t;
	/* never ALIVE (its creation failed): where it was placed, if said */
	for (i = a->tr.n; !a->node && i-- > 0;) {
		const hb_x *x = xat(h, a->tr.v[i].x);

		if (x && x->node) {
			a->node = x->node;
			a->worker = x->worker;
		}
	}
	if (!a->ip && a->node) {
		uint32_t idx = hb_map_get(&h->node_map, a->node);

		if (idx)
			a->ip = ((hb_node *)hb_pool_at(&h->nodes, idx - 1))->ip;
	}
	return 0;
}

/* ---------------------------------------------------------------- nodes */

/* Ray's datacenter/node_head compose_state_message(). */
static const char *
death_text(const char *reason)
{
	if (!reason)
		return NULL;
	if (!strcmp(reason, "EXPECTED_TERMINATION"))
		return "Expected termination";
	if (!strcmp(reason, "UNEXPECTED_TERMINATION"))
		return "Unexpected termination";
	if (!strcmp(reason, "AUTOSCALER_DRAIN_PREEMPTED"))
		return "Terminated due to preemption";
	if (!strcmp(reason, "AUTOSCALER_DRAIN_IDLE"))
		return "Terminated due to idle (no Ray activity)";
	if (!strcmp(reason, "AUTOSCALER_DRAIN"))
		return "Terminated due to autoscaler down-scaling";
	return NULL;
}

static int
derive_node(rh_history *h, hb_node *n)
{
	const hb_tr *last;
	uint32_t i, res = 0;
	int error;

	if ((error = reconcile(h, &n->tr)) < 0)
		return error;
	hb_tr_sort(&n->tr);
	last = T_LAST(&n->tr);
	n->state = last ? last->state : RH_NODE_ALIVE;
	for (i = 0; i < n->tr.n; i++) {
		const hb_tr *r = &n->tr.v[i];
		const hb_x *x = xat(h, r->x);

		if (r->state == RH_NODE_ALIVE) {
			if (n->start == HB_NONE)
				n->start = r->t;
			if (x && x->resources)
				res = x->resources;
		}
		if (r->state == RH_NODE_DEAD && x) {
			n->reason = x->reason;
			n->reason_msg = x->message;
		}
	}
	if (res)
		n->res = res;
	if (n->state == RH_NODE_DEAD && last && last->t != HB_NONE)
		n->end = last->t;
	else if (n->state != RH_NODE_DEAD)
		n->end = HB_NONE;
	if (n->head < 0)
		n->head = n->res && strstr(rh_strtab_get(&h->strs, n->res),
		                           "\"node:__internal_head__\"") ?
		                  1 :
		                  0;
	if (!n->name)
		n->name = n->ip;
	if (n->state == RH_NODE_DEAD) {
		const char *txt =
			death_text(rh_strtab_get(&h->strs, n->reason));
		const char *msg = rh_strtab_get(&h->strs, n->reason_msg);
		char *m = msg && *msg ? rh__strdup(msg) : NULL;

		if (msg && *msg && !m)
			return RH_ENOMEM;
		if (txt && m)
			error = intern_cat(h, &n->state_msg, txt, ": ", m);
		else if (txt)
			error = rh_strtab_intern(&h->strs, &n->state_msg, txt,
			                         strlen(txt));
		else if (m)
			error = rh_strtab_intern(&h->strs, &n->state_msg, m,
			                         strlen(m));
		else
			error = 0;
		free(m);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---------------------------------------------------------------- jobs */

static int
derive_driver(rh_history *h, hb_job *j)
{
	const hb_tr *fin = NULL;
	uint32_t i;
	int failed, error;

	if ((error = reconcile(h, &j->tr)) < 0)
		return error;
	hb_tr_sort(&j->tr);
	for (i = 0; i < j->tr.n; i++) {
		const hb_tr *r = &j->tr.v[i];

		if (r->state == RH_DRIVER_CREATED && j->start == HB_NONE)
			j->start = r->t;
		if (r->state == RH_DRIVER_FINISHED)
			fin = r;
	}
	if (fin) {
		const hb_x *x = xat(h, fin->x);

		if (fin->t != HB_NONE)
			j->end = fin->t;
		if (x) {
			if (x->exit_code >= 0)
				j->dexit = x->exit_code;
			if (x->message)
				j->msg = x->message;
			if (x->reason)
				j->etype = x->reason;
		}
	}
	/* A driver that ended with an error or a non-zero exit failed; one
	 * that ended otherwise succeeded; anything else still runs - Ray's own
	 * get_driver_jobs says SUCCEEDED for every dead driver, which hides a
	 * crashed driver. */
	failed = j->etype || j->dexit > 0;
	if (fin || j->dead == 1)
		j->status = failed ? RH_JOB_FAILED : RH_JOB_SUCCEEDED;
	else
		j->status = RH_JOB_RUNNING;
	return 0;
}

static int
derive_submission(rh_history *h, hb_job *j)
{
	uint32_t i;
	int error;

	/* all of a submission's events are export snapshots: none is finer */
	if ((error = reconcile(h, &j->tr)) < 0)
		return error;
	hb_tr_sort(&j->tr);
	j->status = RH_JOB_PENDING;
	for (i = 0; i < j->tr.n; i++) {
		const hb_tr *r = &j->tr.v[i];
		const hb_x *x = xat(h, r->x);

		j->status = r->state;
		j->msg = x ? x->message : 0;
		j->etype = x ? x->reason : 0;
	}
	return 0;
}

/* Fold each driver into the submission that started it, as Ray's job API
 * does; a driver whose submission left no events of its own becomes a
 * submission row itself. */
static void
link_jobs(rh_history *h)
{
	size_t i;

	for (i = 0; i < h->jobs.n; i++) {
		hb_job *d = hb_pool_at(&h->jobs, i), *s;
		uint32_t idx;

		if (d->is_submission || !d->sub_id)
			continue;
		if (!(idx = hb_map_get(&h->sub_map, d->sub_id)))
			continue;
		s = hb_pool_at(&h->jobs, idx - 1);
		d->linked = idx;
		if (!s->job_id ||
		    rh_strtab_cmp(&h->strs, d->job_id, s->job_id) > 0)
			s->job_id = d->job_id;
		if (!s->entry)
			s->entry = d->entry;
		if (!s->dnode)
			s->dnode = d->dnode;
		if (!s->dip)
			s->dip = d->dip;
		if (s->dpid < 0)
			s->dpid = d->dpid;
		if (!s->meta)
			s->meta = d->meta;
		if (!s->renv)
			s->renv = d->renv;
		if (s->dexit < 0)
			s->dexit = d->dexit;
	}
}

static int
job_order_cmp(const void *a, const void *b, void *ctx)
{
	rh_history *h = ctx;
	const hb_job *x = hb_pool_at(&h->jobs, *(const uint32_t *)a);
	const hb_job *y = hb_pool_at(&h->jobs, *(const uint32_t *)b);
	int tx = x->is_submission || x->sub_id ? 0 : 1;
	int ty = y->is_submission || y->sub_id ? 0 : 1;
	int c;

	if (tx != ty)
		return tx - ty;
	if ((c = rh_strtab_cmp(&h->strs, tx ? x->job_id : x->sub_id,
	                       ty ? y->job_id : y->sub_id)))
		return c;
	return rh_strtab_cmp(&h->strs, x->job_id, y->job_id);
}

/* ---------------------------------------------------------------- workers */

static int
worker_get(rh_history *h, hb_worker **out, uint32_t id)
{
	uint32_t idx;
	hb_worker *w;
	int error;

	if ((idx = hb_map_get(&h->worker_map, id))) {
		*out = hb_pool_at(&h->workers, idx - 1);
		return 0;
	}
	if (!(w = hb_pool_add(&h->workers, &idx)))
		return RH_ENOMEM;
	w->id = id;
	w->pid = -1;
	w->start = w->end = HB_NONE;
	w->alive = 1;
	if ((error = hb_map_put(&h->worker_map, id, idx + 1)) < 0)
		return error;
	*out = w;
	return 0;
}

/* ------------------------------------------------------- captured files */

/* The node of id `node_id` if the events know it. */
static hb_node *
node_of(rh_history *h, const char *node_id)
{
	uint32_t sid, idx;

	if (!node_id ||
	    rh_strtab_intern(&h->strs, &sid, node_id, strlen(node_id)) < 0 ||
	    !(idx = hb_map_get(&h->node_map, sid)))
		return NULL;
	return hb_pool_at(&h->nodes, idx - 1);
}

int
rh_history__raylet(rh_history *h, const char *node_id, const char *hostname,
                   int64_t pid, int port)
{
	hb_node *n = node_of(h, node_id);
	int error;

	if (!n)
		return 0;
	/* GcsNodeInfo.node_manager_hostname is what the raylet logs as its
	 * host name (src/ray/raylet/raylet.cc, RegisterGcs) */
	if (hostname && *hostname && !n->host &&
	    (error = rh_strtab_intern(&h->strs, &n->host, hostname,
	                              strlen(hostname))) < 0)
		return error;
	if (pid > 0)
		n->raylet_pid = pid;
	if (port > 0)
		n->nm_port = port;
	return 0;
}

int
rh_history__worker_file(rh_history *h, const char *node_id,
                        const char *worker_id, int64_t pid, int is_driver,
                        int gone)
{
	uint32_t wid, nid;
	hb_worker *w;
	int error;

	if ((error = rh_strtab_intern(&h->strs, &wid, worker_id,
	                              strlen(worker_id))) < 0 ||
	    (error = rh_strtab_intern(&h->strs, &nid, node_id,
	                              strlen(node_id))) < 0 ||
	    (error = worker_get(h, &w, wid)) < 0)
		return error;
	/* the node whose logs/ holds the files ran the worker */
	w->node = nid;
	if (pid > 0)
		w->pid = pid;
	w->is_driver |= is_driver;
	w->gone |= gone;
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Digits up to `end` (a fixed suffix) as a pid; 0 when not that shape. */
static int64_t
pid_before(const char *s, const char *end)
{
	size_t n = strspn(s, "0123456789");
	int64_t pid = 0;
	size_t i;

	if (!n || n > 9 || strcmp(s + n, end))
		return 0;
	for (i = 0; i < n; i++)
		pid = pid * 10 + (s[i] - '0');
	return pid;
}

#define WORKER_ID_HEX 56 /* WorkerID: 28 bytes */

int
rh_history__parse_worker_file(const char *path, char id[57], int64_t *pid,
                              int *is_driver, int *gone)
{
	static const char wk[] = "worker-", cw[] = "python-core-worker-",
			  cd[] = "python-core-driver-";
	const char *b, *p;
	size_t n;

	*pid = 0;
	*is_driver = *gone = 0;
	if (!strncmp(path, "logs/old/", 9))
		b = path + 9, *gone = 1;
	else if (!strncmp(path, "logs/", 5) && !strchr(path + 5, '/'))
		b = path + 5;
	else
		return 0;
	if (!strncmp(b, cw, sizeof(cw) - 1) ||
	    !strncmp(b, cd, sizeof(cd) - 1)) {
		*is_driver = b[12] == 'd';
		p = b + sizeof(cw) - 1;
		if (!is_hex(p, WORKER_ID_HEX) || p[WORKER_ID_HEX] != '_' ||
		    !(*pid = pid_before(p + WORKER_ID_HEX + 1, ".log")))
			return 0;
		/* the core worker's own log is not what log_monitor moves */
		*gone = 0;
	} else if (!strncmp(b, wk, sizeof(wk) - 1)) {
		p = b + sizeof(wk) - 1;
		if (!is_hex(p, WORKER_ID_HEX) || p[WORKER_ID_HEX] != '-')
			return 0;
		b = p + WORKER_ID_HEX + 1;
		if (!(n = strspn(b, "0123456789abcdef")) || b[n] != '-' ||
		    (!(*pid = pid_before(b + n + 1, ".out")) &&
		     !(*pid = pid_before(b + n + 1, ".err"))))
			return 0;
	} else {
		return 0;
	}
	memcpy(id, p, WORKER_ID_HEX);
	id[WORKER_ID_HEX] = '\0';
	return 1;
}

/* Copy the token at s (up to whitespace) into out. */
static void
token(char *out, size_t outsz, const char *s, const char *end)
{
	size_t n = 0;

	while (s + n < end && s[n] != ' ' && s[n] != '\n' && s[n] != '\r' &&
	       s[n] != '\t')
		n++;
	if (n >= outsz)
		n = 0; /* too long to be a host name */
	memcpy(out, s, n);
	out[n] = '\0';
}

void
rh_history__parse_raylet_head(const char *buf, size_t len, char *host,
                              size_t hostsz, int64_t *pid, int *port)
{
	static const char started[] = "Raylet of id, ",
			  nm[] = " node_manager address: ",
			  hn[] = " hostname: ";
	const char *s = buf, *end = buf + len;

	*host = '\0';
	*pid = 0;
	*port = 0;
	while (s < end && (!*pid || !*port)) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		char line[512], addr[256];
		size_t n;

		if (!eol)
			break; /* a cut line: not trusted */
		n = (size_t)(eol - s) < sizeof(line) - 1 ? (size_t)(eol - s) :
		                                           sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		s = eol + 1;
		/* "[2025-11-12 22:10:31,123 I 1234 1234] (raylet) main.cc:..." */
		if (!*pid && line[0] == '[' && strstr(line, "] (raylet) ")) {
			long long v;

			if (sscanf(line, "[%*s %*s %*s %lld", &v) == 1 &&
			    v > 0 && v <= INT32_MAX)
				*pid = v;
		}
		if (!*port && strstr(line, started)) {
			const char *a = strstr(line, nm), *h = strstr(line, hn),
				   *colon;

			if (!a || !h)
				continue;
			token(addr, sizeof(addr), a + sizeof(nm) - 1, line + n);
			token(host, hostsz, h + sizeof(hn) - 1, line + n);
			if ((colon = strrchr(addr, ':'))) {
				*port = atoi(colon + 1);
				if (*port < 0 || *port > 65535)
					*port = 0;
				/* older raylets logged the address as the
				 * host name: no host name then */
				if (!strncmp(host, addr,
				             (size_t)(colon - addr)) &&
				    !host[colon - addr])
					*host = '\0';
			}
		}
	}
}

static void
worker_merge(rh_history *h, hb_worker *w, uint32_t node, int64_t pid,
             int64_t start, int64_t end)
{
	if (node && (!w->node || rh_strtab_cmp(&h->strs, node, w->node) > 0))
		w->node = node;
	if (pid > w->pid)
		w->pid = pid;
	if (start != HB_NONE && (w->start == HB_NONE || start < w->start))
		w->start = start;
	if (end != HB_NONE && end > w->end)
		w->end = end;
}

/* A driver (known from its python-core-driver log) ends with its job: the
 * driver job of the same node and pid. Its exit type follows the job's
 * end: a non-zero exit code or an error is USER_ERROR. */
static int
driver_end(rh_history *h, hb_worker *w)
{
	size_t i;

	for (i = 0; i < h->jobs.n; i++) {
		const hb_job *j = hb_pool_at(&h->jobs, i);

		if (j->is_submission || j->dpid != w->pid || !j->dnode ||
		    !w->node || rh_strtab_cmp(&h->strs, j->dnode, w->node))
			continue;
		if (j->start != HB_NONE &&
		    (w->start == HB_NONE || j->start < w->start))
			w->start = j->start;
		if (j->status == RH_JOB_RUNNING)
			return 0;
		w->alive = 0;
		if (j->end != HB_NONE)
			w->end = j->end;
		return intern_cat(h, &w->etype,
		                  j->etype || j->dexit > 0 ?
		                          "USER_ERROR" :
		                          "INTENDED_USER_EXIT",
		                  "", "");
	}
	return 0;
}

static int
derive_workers(rh_history *h)
{
	hb_worker *w;
	size_t i;
	int error;

	for (i = 0; i < h->tasks.n; i++) {
		hb_task *t = hb_pool_at(&h->tasks, i);

		if (!t->worker)
			continue;
		if ((error = worker_get(h, &w, t->worker)) < 0)
			return error;
		worker_merge(h, w, t->node, t->pid,
		             t->start != HB_NONE ? t->start : t->creation,
		             t->end);
	}
	for (i = 0; i < h->actors.n; i++) {
		hb_actor *a = hb_pool_at(&h->actors, i);

		if (!a->worker)
			continue;
		if ((error = worker_get(h, &w, a->worker)) < 0)
			return error;
		worker_merge(h, w, a->node, a->pid, a->start, a->end);
		if (a->state == RH_ACTOR_DEAD)
			w->alive = 0;
	}
	for (i = 0; i < h->workers.n; i++) {
		uint32_t idx;

		w = hb_pool_at(&h->workers, i);
		/* log_monitor moves a worker's .out/.err to logs/old/ once
		 * the worker died (reference/ray-formats.md §1.4) */
		if (w->gone)
			w->alive = 0;
		if (w->is_driver && (error = driver_end(h, w)) < 0)
			return error;
		if (w->node && (idx = hb_map_get(&h->node_map, w->node))) {
			hb_node *n = hb_pool_at(&h->nodes, idx - 1);

			w->ip = n->ip;
			/* known from its files only: it started after its
			 * node, the best bound there is (playback needs one) */
			if (w->start == HB_NONE)
				w->start = n->start;
			if (n->state == RH_NODE_DEAD && w->alive) {
				/* still running when its node died */
				w->alive = 0;
				if (w->end == HB_NONE || w->end > n->end)
					w->end = n->end;
				if ((error = intern_cat(h, &w->etype,
				                        "SYSTEM_ERROR", "",
				                        "")) < 0)
					return error;
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- events */

static int
cevent_order_cmp(const void *a, const void *b, void *ctx)
{
	rh_history *h = ctx;
	const hb_cevent *x = hb_pool_at(&h->cevents, *(const uint32_t *)a);
	const hb_cevent *y = hb_pool_at(&h->cevents, *(const uint32_t *)b);

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return rh_strtab_cmp(&h->strs, x->id, y->id);
}

static int
index_order(uint32_t **out, size_t n,
            int (*cmp)(const void *, const void *, void *), rh_history *h)
{
	uint32_t *o;
	size_t i;

	if (!(o = rh__malloc((n ? n : 1) * sizeof(*o))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++)
		o[i] = (uint32_t)i;
	if (n > 1)
		qsort_r(o, n, sizeof(*o), cmp, h);
	*out = o;
	return 0;
}

int
rh_history__finish(rh_history *h)
{
	size_t i, k;
	int error;

	for (i = 0; i < h->tasks.n; i++)
		if ((error = derive_task(h, hb_pool_at(&h->tasks, i))) < 0)
			return error;
	for (i = 0; i < h->nodes.n; i++)
		if ((error = derive_node(h, hb_pool_at(&h->nodes, i))) < 0)
			return error;
	for (i = 0; i < h->actors.n; i++)
		if ((error = derive_actor(h, hb_pool_at(&h->actors, i))) < 0)
			return error;
	for (i = 0; i < h->jobs.n; i++) {
		hb_job *j = hb_pool_at(&h->jobs, i);

		if ((error = j->is_submission ? derive_submission(h, j) :
		                                derive_driver(h, j)) < 0)
			return error;
	}
	link_jobs(h);
	for (i = 0; i < h->pgs.n; i++) {
		hb_pg *g = hb_pool_at(&h->pgs, i);

		if ((error = reconcile(h, &g->tr)) < 0)
			return error;
		hb_tr_sort(&g->tr);
		g->state = g->tr.n ? g->tr.v[g->tr.n - 1].state : RH_PG_PENDING;
	}
	if ((error = derive_workers(h)) < 0)
		return error;

	if ((error = task_order(h)) < 0 ||
	    (error = order_by_id(h, &h->actor_order, &h->actors,
	                         offsetof(hb_actor, id))) < 0 ||
	    (error = order_by_id(h, &h->node_order, &h->nodes,
	                         offsetof(hb_node, id))) < 0 ||
	    (error = order_by_id(h, &h->pg_order, &h->pgs,
	                         offsetof(hb_pg, id))) < 0 ||
	    (error = order_by_id(h, &h->worker_order, &h->workers,
	                         offsetof(hb_worker, id))) < 0 ||
	    (error = index_order(&h->cevent_order, h->cevents.n,
	                         cevent_order_cmp, h)) < 0 ||
	    (error = index_order(&h->job_order, h->jobs.n, job_order_cmp, h)) <
	            0)
		return error;
	/* Drivers folded into their submission leave the job rows. */
	for (i = k = 0; i < h->jobs.n; i++) {
		hb_job *j = hb_pool_at(&h->jobs, h->job_order[i]);

		if (!j->linked)
			h->job_order[k++] = h->job_order[i];
	}
	h->njob_rows = k;
	return 0;
}
