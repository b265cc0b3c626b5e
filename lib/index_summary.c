/* index_summary.c - rh_summary: counts of the rows a query matches, grouped
 * as Ray's TaskSummaries / ActorSummaries group them (reference/
 * ray-formats.md §3.2), typed; the dashboard writes them as Ray's JSON
 * (dashboard_summary.c). Groups keep first-seen (row) order. */
#include "internal.h"
#include "index_internal.h"
#include "history_internal.h" /* hb_hash */

typedef struct group {
	char *key;
	char *type; /* task type name (func summary) */
	uint64_t counts[RH_TASK_STATE_COUNT]; /* more than actor states */
} group;

typedef struct groups {
	group *g;
	size_t n, a;
	hb_smap keys; /* key -> index + 1 */
} groups;

static void
groups_free(void *impl)
{
	groups *gs = impl;
	size_t i;

	if (!gs)
		return;
	for (i = 0; i < gs->n; i++) {
		free(gs->g[i].key);
		free(gs->g[i].type);
	}
	free(gs->g);
	hb_smap_dispose(&gs->keys);
	free(gs);
}

static int
group_get(groups *gs, group **out, const char *key, const char *type)
{
	size_t i;
	group *g;

	if ((i = hb_smap_get(&gs->keys, key))) {
		*out = &gs->g[i - 1];
		return 0;
	}
	if (gs->n == gs->a) {
		size_t na = gs->a ? gs->a * 2 : 16;

		if (!(g = rh__realloc(gs->g, na * sizeof(*g))))
			return RH_ENOMEM;
		gs->g = g;
		gs->a = na;
	}
	g = &gs->g[gs->n];
	memset(g, 0, sizeof(*g));
	if (!(g->key = rh__strdup(key)) ||
	    (type && !(g->type = rh__strdup(type)))) {
		free(g->key);
		return RH_ENOMEM;
	}
	gs->n++;
	if (hb_smap_put(&gs->keys, g->key, gs->n) < 0)
		return RH_ENOMEM; /* freed with the others */
	*out = g;
	return 0;
}

/* The groups as the summary's nodes, all at the top, in first-seen order;
 * `s` owns `gs` from here on, whatever the outcome. */
static int
groups_to_nodes(rh_summary *s, groups *gs, size_t nstates)
{
	size_t i;

	s->impl = gs;
	s->impl_free = groups_free;
	if (!gs->n)
		return 0;
	if (!(s->nodes = rh__calloc(gs->n, sizeof(*s->nodes))) ||
	    !(s->top = rh__calloc(gs->n, sizeof(*s->top))))
		return RH_ENOMEM;
	for (i = 0; i < gs->n; i++) {
		rh_summary_node *n = &s->nodes[i];

		n->name = n->key = gs->g[i].key;
		n->type = gs->g[i].type;
		n->time_ns = RH_TIME_NONE;
		n->state_counts = gs->g[i].counts;
		n->nstates = nstates;
		s->top[i] = i;
	}
	s->nnodes = s->ntop = gs->n;
	return 0;
}

void
rh_index__count_task(rh_summary_totals *t, int type)
{
	if (type == RH_TASK_TYPE_NORMAL_TASK)
		t->tasks++;
	else if (type == RH_TASK_TYPE_ACTOR_CREATION_TASK)
		t->actor_scheduled++;
	else if (type == RH_TASK_TYPE_ACTOR_TASK)
		t->actor_tasks++;
}

/* Tasks by func_or_class_name (with their type), or actors by class_name. */
static int
by_name(rh_summary *s, rh_query *q, int actors)
{
	groups *gs = rh__calloc(1, sizeof(*gs));
	const rh_row *row;
	int error;

	if (!gs)
		return RH_ENOMEM;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task;
		const rh_actor_row *a = &row->u.actor;
		group *g;

		if (actors)
			error = group_get(gs, &g,
			                  a->class_name ? a->class_name : "",
			                  NULL);
		else
			error = group_get(
				gs, &g,
				t->func_or_class_name ? t->func_or_class_name :
							"",
				t->type ? rh_task_type_name(t->type) : "");
		if (error < 0)
			break;
		g->counts[actors ? (int)a->state : (int)t->state]++;
		if (actors)
			s->totals.actors++;
		else
			rh_index__count_task(&s->totals, t->type);
	}
	if (error != RH_ITEROVER) {
		groups_free(gs);
		return error;
	}
	return groups_to_nodes(
		s, gs, actors ? RH_ACTOR_STATE_COUNT : RH_TASK_STATE_COUNT);
}

RH_EXTERN int
rh_summary_new(rh_summary **out, rh_query_counts *counts, rh_index *ix,
               rh_summary_by by, const rh_query_options *opts)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query *q = NULL;
	rh_summary *s = NULL;
	rh_entity what = by == RH_SUMMARY_ACTORS_BY_CLASS ? RH_ENTITY_ACTOR :
	                                                    RH_ENTITY_TASK;
	int error;

	if (out)
		*out = NULL;
	if (!out || !ix)
		return rh__error(RH_EINVAL, "rh_summary_new: NULL argument");
	if (by != RH_SUMMARY_TASKS_BY_FUNC &&
	    by != RH_SUMMARY_ACTORS_BY_CLASS &&
	    by != RH_SUMMARY_TASKS_BY_LINEAGE)
		return rh__error(RH_EINVAL, "unknown summary %d", (int)by);
	if (opts)
		o = *opts;
	o.limit = 0;
	o.offset = 0;
	o.detail = 0;
	if ((error = rh_query_open(&q, ix, what, &o)) < 0)
		return error;
	if (!(s = rh__calloc(1, sizeof(*s)))) {
		error = RH_ENOMEM;
		goto done;
	}
	s->by = by;
	if (by == RH_SUMMARY_TASKS_BY_LINEAGE)
		error = rh_index__lineage(s, ix, q);
	else
		error = by_name(s, q, by == RH_SUMMARY_ACTORS_BY_CLASS);
	if (error < 0)
		goto done;
	if (counts)
		rh_query_counts_get(counts, q);
	*out = s, s = NULL;
done:
	rh_summary_free(s);
	rh_query_close(q);
	return error;
}

RH_EXTERN rh_summary_by
rh_summary_kind(const rh_summary *s)
{
	return s->by;
}

RH_EXTERN void
rh_summary_totals_get(rh_summary_totals *out, const rh_summary *s)
{
	*out = s->totals;
}

RH_EXTERN const size_t *
rh_summary_top(const rh_summary *s, size_t *n)
{
	*n = s->ntop;
	return s->top;
}

RH_EXTERN const rh_summary_node *
rh_summary_node_get(const rh_summary *s, size_t i)
{
	return i < s->nnodes ? &s->nodes[i] : NULL;
}

RH_EXTERN void
rh_summary_free(rh_summary *s)
{
	if (!s)
		return;
	if (s->impl_free)
		s->impl_free(s->impl);
	free(s->nodes);
	free(s->top);
	free(s);
}
