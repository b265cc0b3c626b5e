/* Tests of the typed summaries (lib/index_summary.c rh_summary, lib/
 * index_lineage.c) against Ray's JSON the dashboard writes of them (lib/
 * dashboard_summary.c rh_dashboard_summary_json), node for node, and of
 * rh_dashboard_summary_walk against the same JSON: rayhist-ls prints its
 * summary tables from them without parsing JSON. */
#include "evtest.h"

#include <json-c/json.h>

static rh_buf idx;
static rh_index *ix;

static void
teardown(void)
{
	rh_index_close(ix);
	ix = NULL;
	rh_buf_dispose(&idx);
}

TestSuite(summary, .fini = teardown);

/* A task of job 1 named `name`, created at second `sec`, under `parent`
 * (NULL: the driver); with `actor`, an actor's creation task or (type 2)
 * one of its tasks. */
static void
task_ev(rh_buf *out, const ev_id *t, const ev_id *job, const char *name,
        const ev_id *parent, int sec, const ev_id *actor, int type)
{
	char t0[64], t1[64];

	ev_ts(t0, sec, 0);
	ev_ts(t1, sec + 1, 0);
	if (type == 2)
		rh_buf_printf(
			out,
			"{\"eventType\":\"ACTOR_TASK_DEFINITION_EVENT\",\"actorTaskDefinitionEvent\":{\"taskId\":\"%s\",\"taskAttempt\":0,\"jobId\":\"%s\",\"actorTaskName\":\"%s\",\"actorFunc\":{\"pythonFunctionDescriptor\":{\"moduleName\":\"m\",\"className\":\"Counter\",\"functionName\":\"%s\"}},\"actorId\":\"%s\",\"parentTaskId\":\"%s\"}}\n",
			t->b, job->b, name, name, actor->b,
			parent ? parent->b :
				 "//////////////////////////8BAAAA");
	else
		rh_buf_printf(
			out,
			"{\"eventType\":\"TASK_DEFINITION_EVENT\",\"taskDefinitionEvent\":{\"taskId\":\"%s\",\"taskAttempt\":0,\"jobId\":\"%s\",\"taskType\":\"%s\",\"taskName\":\"%s\",\"taskFunc\":{\"pythonFunctionDescriptor\":{\"moduleName\":\"m\",\"className\":\"\",\"functionName\":\"%s\"}}%s%s%s,\"parentTaskId\":\"%s\"}}\n",
			t->b, job->b,
			actor ? "ACTOR_CREATION_TASK" : "NORMAL_TASK", name,
			name, actor ? ",\"actorId\":\"" : "",
			actor ? actor->b : "", actor ? "\"" : "",
			parent ? parent->b :
				 "//////////////////////////8BAAAA");
	rh_buf_printf(
		out,
		"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"%s\",\"taskAttempt\":0,\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"PENDING_ARGS_AVAIL\",\"timestamp\":\"%s\"},{\"state\":\"%s\",\"timestamp\":\"%s\"}]}}\n",
		t->b, job->b, t0, sec % 3 ? "FINISHED" : "RUNNING", t1);
}

/* ev_session's tasks, plus a tree: outer -> 3 x inner (same name, merged
 * into a GROUP) -> a non-ASCII leaf; the Counter actor's creation task and
 * two of its tasks; and, with `chain`, a line of `chain` tasks each
 * created by the one before, deeper than RH_SUMMARY_MAX_DEPTH. */
static void
build(int chain)
{
	rh_buf ev = RH_BUF_INIT;
	ev_id job1, a1, outer, inner, leaf, ct, at, prev, t;
	int i;

	ev_session(&ev, 12);
	ev_job(&job1, 1);
	ev_actor(&a1, 1, 1);
	ev_task(&outer, 1, 1000);
	task_ev(&ev, &outer, &job1, "outer", NULL, 3, NULL, 0);
	for (i = 0; i < 3; i++) {
		ev_task(&inner, 1, 1001 + i);
		task_ev(&ev, &inner, &job1, "inner", &outer, 4 + i, NULL, 0);
	}
	ev_task(&leaf, 1, 1010);
	task_ev(&ev, &leaf, &job1, "f\\u00e9uille", &inner, 8, NULL, 0);
	ev_task(&ct, 1, 1020);
	task_ev(&ev, &ct, &job1, "Counter.__init__", &outer, 5, &a1, 1);
	for (i = 0; i < 2; i++) {
		ev_task(&at, 1, 1021 + i);
		task_ev(&ev, &at, &job1, "Counter.incr", &outer, 6 + i, &a1, 2);
	}
	for (i = 0; i < chain; i++) {
		ev_task(&t, 1, 2000 + i);
		task_ev(&ev, &t, &job1, i % 2 ? "odd" : "even",
		        i ? &prev : NULL, 9 + i % 40, NULL, 0);
		prev = t;
	}
	ev_index(&idx, ev.ptr, NULL);
	rh_buf_dispose(&ev);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0, "%s",
	             rh_error_last());
}

/* The JSON of summary `by`, parsed (deep enough for a lineage tree). */
static json_object *
summary_json(rh_summary_by by)
{
	rh_buf b = RH_BUF_INIT;
	json_tokener *tok = json_tokener_new_ex(4 * RH_SUMMARY_MAX_DEPTH + 16);
	json_object *o;

	cr_assert_eq(rh_dashboard_summary_json(&b, NULL, ix, by, NULL), 0, "%s",
	             rh_error_last());
	o = json_tokener_parse_ex(tok, b.ptr, (int)b.size);
	cr_assert_not_null(
		o, "%s", json_tokener_error_desc(json_tokener_get_error(tok)));
	json_tokener_free(tok);
	rh_buf_dispose(&b);
	return o;
}

static json_object *
member(json_object *o, const char *k)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, k, &v), "no \"%s\" in %s", k,
	          json_object_to_json_string(o));
	return v;
}

static void
check_counts(const rh_summary_node *n, json_object *o, int actors)
{
	json_object *c = member(o, "state_counts");
	size_t i, nz = 0;

	cr_assert_eq(n->nstates, actors ? (size_t)RH_ACTOR_STATE_COUNT :
	                                  (size_t)RH_TASK_STATE_COUNT);
	for (i = 0; i < n->nstates; i++) {
		const char *name = actors ? rh_actor_state_name((int)i) :
		                            rh_task_state_name((int)i);

		if (!n->state_counts[i])
			continue;
		nz++;
		cr_assert_eq((uint64_t)json_object_get_int64(member(c, name)),
		             n->state_counts[i], "%s", name);
	}
	cr_assert_eq((size_t)json_object_object_length(c), nz);
}

static void
check_str(const char *typed, json_object *o, const char *k)
{
	json_object *v = member(o, k);

	if (!typed) {
		cr_assert(json_object_is_type(v, json_type_null), "%s", k);
		return;
	}
	cr_assert_str_eq(json_object_get_string(v), typed, "%s", k);
}

/* Node i and its subtree against JSON node o; returns the nodes seen. */
static size_t
check_lineage(const rh_summary *s, size_t i, json_object *o, int depth)
{
	const rh_summary_node *n = rh_summary_node_get(s, i);
	json_object *kids = member(o, "children"), *ts = member(o, "timestamp");
	json_object *link = member(o, "link");
	size_t k, seen = 1;

	cr_assert_not_null(n);
	check_str(n->name, o, "name");
	check_str(n->key, o, "key");
	check_str(n->type, o, "type");
	if (n->time_ns == RH_TIME_NONE)
		cr_assert(json_object_is_type(ts, json_type_null));
	else
		cr_assert_eq(json_object_get_double(ts),
		             (double)(n->time_ns / 1000000));
	check_counts(n, o, 0);
	if (n->link == RH_SUMMARY_LINK_NONE) {
		cr_assert(json_object_is_type(link, json_type_null));
		cr_assert_null(n->link_id);
	} else {
		check_str(n->link == RH_SUMMARY_LINK_TASK ? "task" : "actor",
		          link, "type");
		check_str(n->link_id, link, "id");
	}
	cr_assert_eq(json_object_array_length(kids), n->nchildren);
	if (depth >= RH_SUMMARY_MAX_DEPTH)
		cr_assert_eq(n->nchildren, 0, "the tree goes past its depth");
	for (k = 0; k < n->nchildren; k++)
		seen += check_lineage(s, n->children[k],
		                      json_object_array_get_idx(kids, k),
		                      depth + 1);
	return seen;
}

static void
check_totals(const rh_summary *s, json_object *j, int actors)
{
	rh_summary_totals t;

	rh_summary_totals_get(&t, s);
	if (actors) {
		cr_assert_eq((uint64_t)json_object_get_int64(
				     member(j, "total_actors")),
		             t.actors);
		return;
	}
	cr_assert_eq((uint64_t)json_object_get_int64(member(j, "total_tasks")),
	             t.tasks);
	cr_assert_eq(
		(uint64_t)json_object_get_int64(member(j, "total_actor_tasks")),
		t.actor_tasks);
	cr_assert_eq((uint64_t)json_object_get_int64(
			     member(j, "total_actor_scheduled")),
	             t.actor_scheduled);
}

/* A summary by function or class: its top nodes are the JSON's groups,
 * in order. */
static void
check_groups(rh_summary_by by)
{
	int actors = by == RH_SUMMARY_ACTORS_BY_CLASS;
	json_object *j = summary_json(by), *groups = member(j, "summary");
	const size_t *top;
	rh_summary *s;
	size_t n, i = 0;

	cr_assert_eq(rh_summary_new(&s, NULL, ix, by, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_summary_kind(s), by);
	top = rh_summary_top(s, &n);
	cr_assert_gt(n, actors ? 0 : 1);
	cr_assert_eq((size_t)json_object_object_length(groups), n);
	json_object_object_foreach(groups, key, g)
	{
		const rh_summary_node *node = rh_summary_node_get(s, top[i++]);

		cr_assert_str_eq(node->key, key);
		cr_assert_str_eq(node->name, key);
		check_str(key, g, actors ? "class_name" : "func_or_class_name");
		if (actors)
			cr_assert(!json_object_object_get_ex(g, "type", NULL) &&
			          !node->type);
		else
			check_str(node->type, g, "type");
		check_counts(node, g, actors);
		cr_assert_eq(node->nchildren, 0);
	}
	check_totals(s, j, actors);
	rh_summary_free(s);
	json_object_put(j);
}

Test(summary, by_function_and_class_match_the_json)
{
	build(0);
	check_groups(RH_SUMMARY_TASKS_BY_FUNC);
	check_groups(RH_SUMMARY_ACTORS_BY_CLASS);
}

static void
check_tree(size_t *nodes_out)
{
	json_object *j = summary_json(RH_SUMMARY_TASKS_BY_LINEAGE);
	json_object *roots = member(j, "summary");
	const size_t *top;
	rh_summary *s;
	size_t n, i, seen = 0;

	cr_assert_eq(
		rh_summary_new(&s, NULL, ix, RH_SUMMARY_TASKS_BY_LINEAGE, NULL),
		0, "%s", rh_error_last());
	top = rh_summary_top(s, &n);
	cr_assert_eq(json_object_array_length(roots), n);
	for (i = 0; i < n; i++)
		seen += check_lineage(s, top[i],
		                      json_object_array_get_idx(roots, i), 0);
	cr_assert_null(rh_summary_node_get(s, SIZE_MAX));
	check_totals(s, j, 0);
	check_str("lineage", j, "summary_by");
	rh_summary_free(s);
	json_object_put(j);
	*nodes_out = seen;
}

Test(summary, by_lineage_matches_the_json)
{
	size_t seen;

	build(0);
	check_tree(&seen);
	cr_assert_gt(seen, 8, "%zu nodes", seen);
}

Test(summary, a_chain_deeper_than_the_limit_is_cut_alike)
{
	size_t seen;

	build(RH_SUMMARY_MAX_DEPTH + 40);
	check_tree(&seen);
	cr_assert_gt(seen, RH_SUMMARY_MAX_DEPTH, "%zu nodes", seen);
}

/* ---- the walk: the JSON's members, typed --------------------------------- */

#define MAX_NEST 64

struct tree {
	json_object *stack[MAX_NEST];
	int depth;
};

static int
put(struct tree *t, const char *key, json_object *o)
{
	if (key)
		json_object_object_add(t->stack[t->depth - 1], key, o);
	else
		json_object_array_add(t->stack[t->depth - 1], o);
	return 0;
}

static int
on_value(const char *key, const rh_value *v, void *payload)
{
	switch (v->type) {
	case RH_VALUE_STRING:
		return put(payload, key, json_object_new_string(v->s));
	case RH_VALUE_INT:
		return put(payload, key, json_object_new_int64(v->i));
	case RH_VALUE_FLOAT:
		return put(payload, key, json_object_new_double_s(v->d, v->s));
	case RH_VALUE_NULL: return put(payload, key, NULL);
	default: return 1;
	}
}

static int
on_open(const char *key, int is_array, void *payload)
{
	struct tree *t = payload;
	json_object *o =
		is_array ? json_object_new_array() : json_object_new_object();

	cr_assert_lt(t->depth, MAX_NEST);
	put(t, key, o);
	t->stack[t->depth++] = o;
	return 0;
}

static int
on_close(void *payload)
{
	((struct tree *)payload)->depth--;
	return 0;
}

static int
stop_at_total(const char *key, const rh_value *v, void *payload)
{
	(void)v;
	return key && !strncmp(key, "total_", 6) ? 42 :
	                                           on_value(key, v, payload);
}

Test(summary, walk_gives_the_json_members_typed)
{
	static const rh_dashboard_row_visitor visit = {
		RH_DASHBOARD_ROW_VISITOR_VERSION,
		on_value,
		on_open,
		on_close,
	};
	rh_dashboard_row_visitor stop = visit, bad = visit;
	static const rh_summary_by kinds[] = { RH_SUMMARY_TASKS_BY_FUNC,
		                               RH_SUMMARY_ACTORS_BY_CLASS,
		                               RH_SUMMARY_TASKS_BY_LINEAGE };
	size_t k;

	build(0);
	for (k = 0; k < 3; k++) {
		json_object *j = summary_json(kinds[k]);
		struct tree t = { { json_object_new_object() }, 1 };
		rh_summary *s;

		cr_assert_eq(rh_summary_new(&s, NULL, ix, kinds[k], NULL), 0);
		cr_assert_eq(rh_dashboard_summary_walk(s, &visit, &t), 0, "%s",
		             rh_error_last());
		cr_assert_eq(t.depth, 1);
		/* same members, order and float text */
		cr_assert_str_eq(json_object_to_json_string_ext(
					 t.stack[0], JSON_C_TO_STRING_PLAIN),
		                 json_object_to_json_string_ext(
					 j, JSON_C_TO_STRING_PLAIN));
		json_object_put(t.stack[0]);
		/* a visitor's non-zero stops the walk and comes back */
		stop.value = stop_at_total;
		t.stack[0] = json_object_new_object();
		t.depth = 1;
		cr_assert_eq(rh_dashboard_summary_walk(s, &stop, &t), 42);
		json_object_put(t.stack[0]);
		bad.version = 99;
		cr_assert_eq(rh_dashboard_summary_walk(s, &bad, &t), RH_EINVAL);
		cr_assert_eq(rh_dashboard_summary_walk(NULL, &visit, &t),
		             RH_EINVAL);
		rh_summary_free(s);
		json_object_put(j);
	}
	rh_summary_free(NULL);
}
