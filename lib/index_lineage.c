/* index_lineage.c - the task summary by lineage (rh_summary), as Ray's
 * TaskSummaries.to_summary_by_lineage() builds it: tasks under the task (or,
 * for actor tasks, the actor) that created them, siblings of one name merged
 * into a GROUP, counts summed upwards, and each level sorted by running,
 * pending and failed counts, then time. Recursion is bounded, so a crafted
 * index with parent cycles cannot exhaust the stack. */
#include "internal.h"
#include "index_internal.h"
#include "history_internal.h" /* hb_hash */

#include <stdio.h>

#define MAX_DEPTH RH_SUMMARY_MAX_DEPTH
#define DRIVER_PREFIX "ffffffffffffffffffffffffffffffffffffffff"

typedef struct ltask {
	char *id, *name, *parent, *actor, *func;
	int type, state;
	int64_t created; /* ns, RH_TIME_NONE */
} ltask;

typedef struct lgroup {
	char *name, *key;
	const char *type; /* task type name, "ACTOR" or "GROUP" */
	int64_t ts;       /* ns, RH_TIME_NONE */
	rh_summary_link link;
	char *link_id;
	int task; /* ltask index for task groups, -1 */
	uint64_t counts[RH_TASK_STATE_COUNT];
	size_t *kids, nkids, akids;
	size_t order; /* creation order, the stable tie-break */
} lgroup;

typedef struct lin {
	rh_index *ix;
	ltask *t;
	size_t nt, at;
	lgroup *g;
	size_t ng, ag;
	hb_smap tasks, groups, creators;
	size_t *roots, nroots, aroots;
} lin;

/* ---------------------------------------------------------------- build */

static int
add_task(lin *l, const rh_task_row *r)
{
	ltask *t;
	int error;

	if (l->nt == l->at) {
		size_t na = l->at ? l->at * 2 : 256;

		if (!(t = rh__realloc(l->t, na * sizeof(*t))))
			return RH_ENOMEM;
		l->t = t;
		l->at = na;
	}
	t = &l->t[l->nt];
	memset(t, 0, sizeof(*t));
	t->type = r->type;
	t->state = r->state;
	t->created = r->creation_time_ns;
	if (!(t->id = rh__strdup(r->task_id)) ||
	    (r->parent_task_id &&
	     !(t->parent = rh__strdup(r->parent_task_id))) ||
	    (r->actor_id && !(t->actor = rh__strdup(r->actor_id))) ||
	    (r->func_or_class_name &&
	     !(t->func = rh__strdup(r->func_or_class_name))) ||
	    !(t->name =
	              rh__strdup(r->name && *r->name   ? r->name :
	                         r->func_or_class_name ? r->func_or_class_name :
	                                                 ""))) {
		free(t->id);
		free(t->parent);
		free(t->actor);
		free(t->func);
		return RH_ENOMEM;
	}
	l->nt++;
	if ((error = hb_smap_put(&l->tasks, t->id, l->nt)) < 0)
		return error;
	if (t->type == RH_TASK_TYPE_ACTOR_CREATION_TASK && t->actor)
		return hb_smap_put(&l->creators, t->actor, l->nt);
	return 0;
}

static int
new_group(lin *l, size_t *out, const char *name, const char *key,
          const char *type, int64_t ts, rh_summary_link link,
          const char *link_id, int task)
{
	lgroup *g;

	if (l->ng == l->ag) {
		size_t na = l->ag ? l->ag * 2 : 256;

		if (!(g = rh__realloc(l->g, na * sizeof(*g))))
			return RH_ENOMEM;
		l->g = g;
		l->ag = na;
	}
	g = &l->g[l->ng];
	memset(g, 0, sizeof(*g));
	g->type = type;
	g->ts = ts;
	g->link = link;
	g->task = task;
	g->order = l->ng;
	if (!(g->name = rh__strdup(name)) || !(g->key = rh__strdup(key)) ||
	    (link_id && !(g->link_id = rh__strdup(link_id)))) {
		free(g->name);
		free(g->key);
		return RH_ENOMEM;
	}
	*out = l->ng++;
	return 0;
}

static int
push(size_t **v, size_t *n, size_t *a, size_t x)
{
	if (*n == *a) {
		size_t na = *a ? *a * 2 : 4,
		       *nv = rh__realloc(*v, na * sizeof(*nv));

		if (!nv)
			return RH_ENOMEM;
		*v = nv;
		*a = na;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static int attach(lin *l, size_t gi, const char *parent, int depth);

static int task_group(lin *l, size_t *out, const char *task_id, int depth);

static int
is_root_parent(const char *parent)
{
	return !parent || !*parent ||
	       !strncmp(parent, DRIVER_PREFIX, strlen(DRIVER_PREFIX));
}

/* The actor's group ("actor:<id>") under its creation task's parent. */
static int
actor_group(lin *l, size_t *out, const char *actor_id, int depth)
{
	char key[300];
	size_t gi, ct;
	const ltask *c;
	const char *name;
	char *cls = NULL;
	int error;
	rh_row row;

	*out = 0;
	snprintf(key, sizeof(key), "actor:%s", actor_id);
	if ((gi = hb_smap_get(&l->groups, key))) {
		*out = gi;
		return 0;
	}
	if (!(ct = hb_smap_get(&l->creators, actor_id)))
		return 0; /* no data about its creation: the subtree is dropped */
	c = &l->t[ct - 1];
	/* repr name, else class name, of the actor; without the actor, the
	 * creation task's class */
	name = NULL;
	{
		rh_query_options o = RH_QUERY_OPTIONS_INIT;
		rh_filter f = { "actor_id", "=", actor_id };
		rh_query *q = NULL;
		const rh_row *r;

		o.filters = &f;
		o.nfilters = 1;
		o.count = 0;
		if ((error = rh_query_open(&q, l->ix, RH_ENTITY_ACTOR, &o)) < 0)
			return error;
		if ((error = rh_query_next(&r, q)) == 0) {
			row = *r;
			name = row.u.actor.repr_name && *row.u.actor.repr_name ?
			               row.u.actor.repr_name :
			               row.u.actor.class_name;
			if (name && !(cls = rh__strdup(name)))
				error = RH_ENOMEM;
		}
		rh_query_close(q);
		if (error < 0 && error != RH_ITEROVER)
			return error;
	}
	if (!cls) {
		const char *f = c->func ? c->func : "";
		const char *dot = strchr(f, '.');

		if (!(cls = rh__strndup(f,
		                        dot ? (size_t)(dot - f) : strlen(f))))
			return RH_ENOMEM;
	}
	error = new_group(l, &gi, cls, key, "ACTOR", c->created,
	                  RH_SUMMARY_LINK_ACTOR, actor_id, -1);
	free(cls);
	if (error < 0)
		return error;
	if ((error = hb_smap_put(&l->groups, l->g[gi].key, gi + 1)) < 0 ||
	    (error = attach(l, gi, c->parent, depth)) < 0)
		return error;
	*out = gi + 1;
	return 0;
}

/* Put group gi under `parent` (a task id), or at the top. */
static int
attach(lin *l, size_t gi, const char *parent, int depth)
{
	size_t pg;
	int error;

	if (is_root_parent(parent))
		return push(&l->roots, &l->nroots, &l->aroots, gi);
	if ((error = task_group(l, &pg, parent, depth + 1)) < 0)
		return error;
	if (pg)
		return push(&l->g[pg - 1].kids, &l->g[pg - 1].nkids,
		            &l->g[pg - 1].akids, gi);
	return 0;
}

static int
task_group(lin *l, size_t *out, const char *task_id, int depth)
{
	size_t ti, gi;
	const ltask *t;
	int error;

	*out = 0;
	if ((gi = hb_smap_get(&l->groups, task_id))) {
		*out = gi;
		return 0;
	}
	if (depth > MAX_DEPTH || !(ti = hb_smap_get(&l->tasks, task_id)))
		return 0;
	t = &l->t[ti - 1];
	if ((error = new_group(l, &gi, t->name, t->id,
	                       rh_task_type_name(t->type), t->created,
	                       RH_SUMMARY_LINK_TASK, t->id, (int)(ti - 1))) <
	            0 ||
	    (error = hb_smap_put(&l->groups, l->g[gi].key, gi + 1)) < 0)
		return error;
	*out = gi + 1;
	if (t->type == RH_TASK_TYPE_ACTOR_TASK ||
	    t->type == RH_TASK_TYPE_ACTOR_CREATION_TASK) {
		size_t ag;

		if (!t->actor)
			return 0;
		if ((error = actor_group(l, &ag, t->actor, depth + 1)) < 0)
			return error;
		if (ag)
			return push(&l->g[ag - 1].kids, &l->g[ag - 1].nkids,
			            &l->g[ag - 1].akids, gi);
		return 0;
	}
	return attach(l, gi, t->parent, depth);
}

/* ---------------------------------------------------------------- merge */

static int64_t
min_ts(int64_t a, int64_t b)
{
	if (a == RH_TIME_NONE)
		return b;
	if (b == RH_TIME_NONE)
		return a;
	return a < b ? a : b;
}

#define TOP SIZE_MAX /* merge()'s parent for the top level */

/* The list of children of group `parent` (TOP: the top level). Taken anew
 * after new_group(), which may move l->g and the lists' fields with it (the
 * lists themselves stay where they are). */
static void
kids_of(lin *l, size_t parent, size_t ***v, size_t **n, size_t **a)
{
	if (parent == TOP) {
		*v = &l->roots, *n = &l->nroots, *a = &l->aroots;
		return;
	}
	*v = &l->g[parent].kids;
	*n = &l->g[parent].nkids;
	*a = &l->g[parent].akids;
}

/* Merge the children of `parent` of one name into GROUP nodes; returns
 * the smallest time. */
static int
merge(lin *l, size_t parent, int64_t *min_out, int depth)
{
	size_t i, k, *in, nin, *out = NULL, nout = 0, aout = 0;
	size_t **kids, *nkids, *akids;
	int64_t mn = RH_TIME_NONE;
	hb_smap names = { 0 };
	int error = 0;

	*min_out = RH_TIME_NONE;
	kids_of(l, parent, &kids, &nkids, &akids);
	in = *kids;
	nin = *nkids;
	if (!nin || depth > MAX_DEPTH)
		return 0;
	for (i = 0; i < nin; i++) {
		lgroup *c;
		int64_t cm;
		size_t gi;

		if ((error = merge(l, in[i], &cm, depth + 1)) < 0)
			goto done;
		c = &l->g[in[i]];
		if (cm != RH_TIME_NONE && (c->ts == RH_TIME_NONE || cm < c->ts))
			c->ts = cm;
		if (!(gi = hb_smap_get(&names, c->name))) {
			size_t ng;

			if ((error = new_group(l, &ng, c->name, c->name,
			                       "GROUP", RH_TIME_NONE,
			                       RH_SUMMARY_LINK_NONE, NULL,
			                       -1)) < 0 ||
			    (error = hb_smap_put(&names, l->g[ng].name,
			                         ng + 1)) < 0 ||
			    (error = push(&out, &nout, &aout, ng)) < 0)
				goto done;
			gi = ng + 1;
			c = &l->g[in[i]];
		}
		if ((error = push(&l->g[gi - 1].kids, &l->g[gi - 1].nkids,
		                  &l->g[gi - 1].akids, in[i])) < 0)
			goto done;
		if (c->ts != RH_TIME_NONE && (l->g[gi - 1].ts == RH_TIME_NONE ||
		                              c->ts < l->g[gi - 1].ts)) {
			l->g[gi - 1].ts = c->ts;
			mn = min_ts(mn, c->ts);
		}
	}
	/* A group of one is just its child. */
	for (k = 0; k < nout; k++) {
		lgroup *g = &l->g[out[k]];

		if (g->nkids == 1)
			out[k] = g->kids[0];
	}
	kids_of(l, parent, &kids, &nkids, &akids);
	free(*kids);
	*kids = out, out = NULL;
	*nkids = nout;
	*akids = aout;
	*min_out = mn;
done:
	free(out);
	hb_smap_dispose(&names);
	return error;
}

static void
totals(lin *l, size_t gi, int depth)
{
	lgroup *g = &l->g[gi];
	size_t i;
	int s;

	if (depth > MAX_DEPTH)
		return;
	for (i = 0; i < g->nkids; i++) {
		totals(l, g->kids[i], depth + 1);
		g = &l->g[gi];
		for (s = 0; s < RH_TASK_STATE_COUNT; s++)
			g->counts[s] += l->g[g->kids[i]].counts[s];
	}
	if (g->link == RH_SUMMARY_LINK_TASK && g->task >= 0)
		g->counts[l->t[g->task].state]++;
}

static uint64_t
running(const lgroup *g)
{
	return g->counts[RH_TASK_RUNNING] +
	       g->counts[RH_TASK_RUNNING_IN_RAY_GET] +
	       g->counts[RH_TASK_RUNNING_IN_RAY_WAIT];
}

static uint64_t
pending(const lgroup *g)
{
	return g->counts[RH_TASK_PENDING_ARGS_AVAIL] +
	       g->counts[RH_TASK_PENDING_NODE_ASSIGNMENT] +
	       g->counts[RH_TASK_PENDING_OBJ_STORE_MEM_AVAIL] +
	       g->counts[RH_TASK_PENDING_ARGS_FETCH];
}

static int
group_cmp(const void *a, const void *b, void *ctx)
{
	const lin *l = ctx;
	const lgroup *x = &l->g[*(const size_t *)a],
		     *y = &l->g[*(const size_t *)b];
	int64_t tx = x->ts == RH_TIME_NONE ? INT64_MAX : x->ts;
	int64_t ty = y->ts == RH_TIME_NONE ? INT64_MAX : y->ts;
	int cx = strcmp(x->type, "ACTOR_CREATION_TASK") != 0;
	int cy = strcmp(y->type, "ACTOR_CREATION_TASK") != 0;

	if (running(x) != running(y))
		return running(x) > running(y) ? -1 : 1;
	if (pending(x) != pending(y))
		return pending(x) > pending(y) ? -1 : 1;
	if (x->counts[RH_TASK_FAILED] != y->counts[RH_TASK_FAILED])
		return x->counts[RH_TASK_FAILED] > y->counts[RH_TASK_FAILED] ?
		               -1 :
		               1;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (cx != cy)
		return cx - cy;
	return (x->order > y->order) - (x->order < y->order);
}

static void
sort_groups(lin *l, size_t *v, size_t n, int depth)
{
	size_t i;

	if (depth > MAX_DEPTH)
		return;
	if (n > 1)
		qsort_r(v, n, sizeof(*v), group_cmp, l);
	for (i = 0; i < n; i++)
		sort_groups(l, l->g[v[i]].kids, l->g[v[i]].nkids, depth + 1);
}

/* ---------------------------------------------------------------- output */

static void
lin_free(void *impl)
{
	lin *l = impl;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nt; i++) {
		free(l->t[i].id);
		free(l->t[i].name);
		free(l->t[i].parent);
		free(l->t[i].actor);
		free(l->t[i].func);
	}
	for (i = 0; i < l->ng; i++) {
		free(l->g[i].name);
		free(l->g[i].key);
		free(l->g[i].link_id);
		free(l->g[i].kids);
	}
	free(l->t);
	free(l->g);
	free(l->roots);
	hb_smap_dispose(&l->tasks);
	hb_smap_dispose(&l->groups);
	hb_smap_dispose(&l->creators);
	free(l);
}

/* Nodes below depth MAX_DEPTH show no children: each node has one parent,
 * so its depth is the one it is reached at from the top. */
static void
cut(rh_summary *s, const size_t *v, size_t n, int depth)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rh_summary_node *node = &s->nodes[v[i]];

		if (depth >= MAX_DEPTH)
			node->nchildren = 0;
		else
			cut(s, node->children, node->nchildren, depth + 1);
	}
}

/* The groups as the summary's nodes, one for one; `s` owns `l` from here
 * on, whatever the outcome. */
static int
groups_to_nodes(rh_summary *s, lin *l)
{
	size_t i;

	s->impl = l;
	s->impl_free = lin_free;
	s->top = l->roots, l->roots = NULL;
	s->ntop = l->nroots;
	if (!l->ng)
		return 0;
	if (!(s->nodes = rh__calloc(l->ng, sizeof(*s->nodes))))
		return RH_ENOMEM;
	for (i = 0; i < l->ng; i++) {
		const lgroup *g = &l->g[i];
		rh_summary_node *n = &s->nodes[i];

		n->name = g->name;
		n->key = g->key;
		n->type = g->type;
		n->time_ns = g->ts;
		n->link = g->link;
		n->link_id = g->link_id;
		n->state_counts = g->counts;
		n->nstates = RH_TASK_STATE_COUNT;
		n->children = g->kids;
		n->nchildren = g->nkids;
	}
	s->nnodes = l->ng;
	cut(s, s->top, s->ntop, 0);
	return 0;
}

/* Read the tasks, build the tree of their groups, merge same-named
 * siblings, sum the counts upwards and sort each level. */
static int
build(lin *l, rh_summary *s, rh_query *q)
{
	const rh_row *row;
	int64_t mn;
	size_t i, gi;
	int error;

	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task;

		if ((error = add_task(l, t)) < 0)
			return error;
		rh_index__count_task(&s->totals, t->type);
	}
	if (error != RH_ITEROVER)
		return error;
	for (i = 0; i < l->nt; i++)
		if ((error = task_group(l, &gi, l->t[i].id, 0)) < 0)
			return error;
	if ((error = merge(l, TOP, &mn, 0)) < 0)
		return error;
	for (i = 0; i < l->nroots; i++)
		totals(l, l->roots[i], 0);
	sort_groups(l, l->roots, l->nroots, 0);
	return 0;
}

int
rh_index__lineage(rh_summary *s, rh_index *ix, rh_query *q)
{
	lin *l = rh__calloc(1, sizeof(*l));
	int error;

	if (!l)
		return RH_ENOMEM;
	l->ix = ix;
	if ((error = build(l, s, q)) < 0) {
		lin_free(l);
		return error;
	}
	/* the tree keeps nothing of the index */
	l->ix = NULL;
	return groups_to_nodes(s, l);
}
