/* index_summary.c - /api/v0/{tasks,actors}/summarize: counts of the rows a
 * query matches, grouped as Ray's TaskSummaries / ActorSummaries group them
 * (reference/ray-formats.md §3.2). Groups keep first-seen (row) order. */
#include "internal.h"
#include "index_internal.h"
#include "history_internal.h" /* hb_hash */

typedef struct group {
	char *key;
	char *type;             /* task type name (func summary) */
	uint64_t counts[RH_TASK_STATE_COUNT]; /* more than actor states */
} group;

typedef struct groups {
	group *g;
	size_t n, a;
	size_t *slots;          /* hash -> index + 1 */
	size_t mask;
} groups;

static void
groups_dispose(groups *gs)
{
	size_t i;

	for (i = 0; i < gs->n; i++) {
		free(gs->g[i].key);
		free(gs->g[i].type);
	}
	free(gs->g);
	free(gs->slots);
}

static int
rehash(groups *gs)
{
	size_t nmask = gs->mask ? gs->mask * 2 + 1 : 63, i;
	size_t *slots = rh__calloc(nmask + 1, sizeof(*slots));

	if (!slots)
		return RH_ENOMEM;
	for (i = 0; i < gs->n; i++) {
		size_t s = hb_hash(gs->g[i].key, strlen(gs->g[i].key)) & nmask;

		while (slots[s])
			s = (s + 1) & nmask;
		slots[s] = i + 1;
	}
	free(gs->slots);
	gs->slots = slots;
	gs->mask = nmask;
	return 0;
}

static int
group_get(groups *gs, group **out, const char *key, const char *type)
{
	size_t s;
	group *g;
	int error;

	if ((gs->n + 1) * 2 > gs->mask && (error = rehash(gs)) < 0)
		return error;
	for (s = hb_hash(key, strlen(key)) & gs->mask; gs->slots[s];
	     s = (s + 1) & gs->mask)
		if (!strcmp(gs->g[gs->slots[s] - 1].key, key)) {
			*out = &gs->g[gs->slots[s] - 1];
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
	if (!(g->key = rh__strdup(key)) || (type && !(g->type = rh__strdup(type)))) {
		free(g->key);
		return RH_ENOMEM;
	}
	gs->slots[s] = ++gs->n;
	*out = g;
	return 0;
}

static int
json_counts(rh_buf *out, const uint64_t *counts, int n,
	    const char *(*name)(int))
{
	int i, first = 1, error;

	if ((error = rh_buf_puts(out, "{")) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (!counts[i])
			continue;
		if ((error = rh_buf_printf(out, "%s\"%s\":%llu", first ? "" : ",",
					   name(i), (unsigned long long)counts[i])) < 0)
			return error;
		first = 0;
	}
	return rh_buf_puts(out, "}");
}

/* {"summary":{KEY:{"<name>":KEY[,"type":TYPE],"state_counts":{...}},...
 * without the closing brace (the totals follow); a type where groups have
 * one (tasks). */
static int
json_groups(rh_buf *out, const groups *gs, const char *name, int nstates,
	    const char *(*state_name)(int))
{
	size_t i;
	int error;

	if ((error = rh_buf_puts(out, "{\"summary\":{")) < 0)
		return error;
	for (i = 0; i < gs->n; i++) {
		if ((i && (error = rh_buf_puts(out, ",")) < 0) ||
		    (error = rh__json_str(out, gs->g[i].key)) < 0 ||
		    (error = rh_buf_printf(out, ":{\"%s\":", name)) < 0 ||
		    (error = rh__json_str(out, gs->g[i].key)) < 0 ||
		    (gs->g[i].type &&
		     ((error = rh_buf_puts(out, ",\"type\":")) < 0 ||
		      (error = rh__json_str(out, gs->g[i].type)) < 0)) ||
		    (error = rh_buf_puts(out, ",\"state_counts\":")) < 0 ||
		    (error = json_counts(out, gs->g[i].counts, nstates,
					 state_name)) < 0 ||
		    (error = rh_buf_puts(out, "}")) < 0)
			return error;
	}
	return 0;
}

static int
tasks_by_func(rh_buf *out, rh_query *q)
{
	groups gs = { 0 };
	const rh_row *row;
	uint64_t total_tasks = 0, total_actor_tasks = 0, total_actor_scheduled = 0;
	int error;

	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task;
		group *g;

		if ((error = group_get(&gs, &g, t->func_or_class_name ? t->func_or_class_name : "",
				       t->type ? rh_task_type_name(t->type) : "")) < 0)
			goto done;
		g->counts[t->state]++;
		if (t->type == RH_TASK_TYPE_NORMAL_TASK)
			total_tasks++;
		else if (t->type == RH_TASK_TYPE_ACTOR_CREATION_TASK)
			total_actor_scheduled++;
		else if (t->type == RH_TASK_TYPE_ACTOR_TASK)
			total_actor_tasks++;
	}
	if (error != RH_ITEROVER)
		goto done;
	if ((error = json_groups(out, &gs, "func_or_class_name", RH_TASK_STATE_COUNT,
				 rh_task_state_name)) < 0)
		goto done;
	error = rh_buf_printf(out, "},\"total_tasks\":%llu,\"total_actor_tasks\":%llu,"
			      "\"total_actor_scheduled\":%llu,\"summary_by\":\"func_name\"}",
			      (unsigned long long)total_tasks,
			      (unsigned long long)total_actor_tasks,
			      (unsigned long long)total_actor_scheduled);
done:
	groups_dispose(&gs);
	return error;
}

static int
actors_by_class(rh_buf *out, rh_query *q)
{
	groups gs = { 0 };
	const rh_row *row;
	uint64_t total = 0;
	int error;

	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_actor_row *a = &row->u.actor;
		group *g;

		if ((error = group_get(&gs, &g, a->class_name ? a->class_name : "", NULL)) < 0)
			goto done;
		g->counts[a->state]++;
		total++;
	}
	if (error != RH_ITEROVER)
		goto done;
	if ((error = json_groups(out, &gs, "class_name", RH_ACTOR_STATE_COUNT,
				 rh_actor_state_name)) < 0)
		goto done;
	error = rh_buf_printf(out, "},\"total_actors\":%llu,\"summary_by\":\"class\"}",
			      (unsigned long long)total);
done:
	groups_dispose(&gs);
	return error;
}

int rh_index__lineage_json(rh_buf *out, rh_index *ix, rh_query *q);

RH_EXTERN int
rh_index_summary_json(rh_buf *out, rh_query_counts *counts, rh_index *ix,
		      rh_summary_by by, const rh_query_options *opts)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query *q = NULL;
	rh_entity what = by == RH_SUMMARY_ACTORS_BY_CLASS ? RH_ENTITY_ACTOR : RH_ENTITY_TASK;
	int error;

	if (!out || !ix)
		return rh__error(RH_EINVAL, "rh_index_summary_json: NULL argument");
	if (opts)
		o = *opts;
	o.limit = 0;
	o.offset = 0;
	o.detail = 0;
	if ((error = rh_query_open(&q, ix, what, &o)) < 0)
		return error;
	switch (by) {
	case RH_SUMMARY_TASKS_BY_FUNC:
		error = tasks_by_func(out, q);
		break;
	case RH_SUMMARY_ACTORS_BY_CLASS:
		error = actors_by_class(out, q);
		break;
	case RH_SUMMARY_TASKS_BY_LINEAGE:
		error = rh_index__lineage_json(out, ix, q);
		break;
	default:
		error = rh__error(RH_EINVAL, "unknown summary %d", (int)by);
	}
	if (!error && counts)
		rh_query_counts_get(counts, q);
	rh_query_close(q);
	return error;
}
