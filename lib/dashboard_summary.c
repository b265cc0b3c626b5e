/* dashboard_summary.c - a summary of the index (rh_summary) as Ray's state
 * API prints it at data.result.result.node_id_to_summary.cluster
 * (reference/ray-formats.md §3.2): TaskSummaries by func_name or lineage,
 * ActorSummaries by class. Ray's summary shapes, written here and only here
 * (DESIGN: the dashboard layer). */
#include "internal.h"
#include "json_write.h"

/* The shapes are written once for two readers, as the rows are
 * (dashboard_rows.c): Ray's JSON text, or typed values handed to a
 * caller's visitor (rh_dashboard_summary_walk(): rayhist-ls prints its
 * tables from them). The text goes straight into the buffer rather than
 * through rh__jw, whose nesting stops at RH_JW_MAX_DEPTH: a lineage tree
 * nests two levels a node, down to RH_SUMMARY_MAX_DEPTH nodes. */
typedef struct sink {
	rh_buf *out;                       /* JSON text, or else */
	const rh_dashboard_row_visitor *v; /* the visitor */
	void *payload;
	int comma;  /* a value came before, in this container */
	int err;    /* the first failure, or the visitor's non-zero */
	rh_buf num; /* a float's text, for v */
} sink;

/* The separator and key before a value (k NULL: an array's element). */
static void
json_key(sink *s, const char *k)
{
	if (!s->err && s->comma)
		s->err = rh_buf_puts(s->out, ",");
	if (!s->err && k && !(s->err = rh__json_str(s->out, k)))
		s->err = rh_buf_puts(s->out, ":");
	s->comma = 1;
}

static void
value(sink *s, const char *k, const rh_value *v)
{
	if (!s->err)
		s->err = s->v->value(k, v, s->payload);
}

static void
s_open(sink *s, const char *k, int is_array)
{
	if (s->out) {
		json_key(s, k);
		if (!s->err)
			s->err = rh_buf_puts(s->out, is_array ? "[" : "{");
	} else if (!s->err) {
		s->err = s->v->open(k, is_array, s->payload);
	}
	s->comma = 0;
}

static void
s_close(sink *s, int is_array)
{
	if (s->out) {
		if (!s->err)
			s->err = rh_buf_puts(s->out, is_array ? "]" : "}");
	} else if (!s->err) {
		s->err = s->v->close(s->payload);
	}
	s->comma = 1;
}

static void
s_str(sink *s, const char *k, const char *str)
{
	rh_value v = { str ? RH_VALUE_STRING : RH_VALUE_NULL, str, 0, 0 };

	if (!s->out) {
		value(s, k, &v);
		return;
	}
	json_key(s, k);
	if (!s->err)
		s->err = str ? rh__json_str(s->out, str) :
		               rh_buf_puts(s->out, "null");
}

static void
s_count(sink *s, const char *k, uint64_t n)
{
	rh_value v = { RH_VALUE_INT, NULL, (int64_t)n, 0 };

	if (!s->out) {
		value(s, k, &v);
		return;
	}
	json_key(s, k);
	if (!s->err)
		s->err = rh_buf_printf(s->out, "%llu", (unsigned long long)n);
}

/* A lineage node's time: ms as a Python float (ns // 1e6), or null. */
static void
s_time(sink *s, const char *k, int64_t ns)
{
	rh_value v = { RH_VALUE_FLOAT, NULL, 0, (double)(ns / 1000000) };
	rh_buf *b = s->out ? s->out : &s->num;

	if (ns == RH_TIME_NONE) {
		s_str(s, k, NULL);
		return;
	}
	if (s->out)
		json_key(s, k);
	else
		rh_buf_clear(&s->num);
	if (!s->err)
		s->err = rh__json_pyfloat(b, v.d);
	if (!s->out) {
		v.s = s->num.ptr;
		value(s, k, &v);
	}
}

/* {"<state>":N,...} of the states with rows. */
static void
state_counts(sink *s, const rh_summary *sum, const rh_summary_node *n)
{
	const char *(*name)(int) =
		rh_summary_kind(sum) == RH_SUMMARY_ACTORS_BY_CLASS ?
			rh_actor_state_name :
			rh_task_state_name;
	size_t i;

	s_open(s, "state_counts", 0);
	for (i = 0; i < n->nstates; i++)
		if (n->state_counts[i])
			s_count(s, name((int)i), n->state_counts[i]);
	s_close(s, 0);
}

/* TaskSummaries' "summary": {KEY: {"func_or_class_name": KEY, "type": T,
 * "state_counts": {...}}, ...}; ActorSummaries' has "class_name" and no
 * type. */
static void
groups(sink *s, const rh_summary *sum, const char *name_key)
{
	const size_t *top;
	size_t i, n;

	top = rh_summary_top(sum, &n);
	s_open(s, "summary", 0);
	for (i = 0; i < n; i++) {
		const rh_summary_node *g = rh_summary_node_get(sum, top[i]);

		s_open(s, g->key, 0);
		s_str(s, name_key, g->key);
		if (g->type)
			s_str(s, "type", g->type);
		state_counts(s, sum, g);
		s_close(s, 0);
	}
	s_close(s, 0);
}

/* NestedTaskSummary: name, key, type, timestamp, state_counts, children,
 * link. The summary cuts its tree at RH_SUMMARY_MAX_DEPTH, which bounds
 * the recursion. */
static void
lineage_node(sink *s, const rh_summary *sum, size_t i)
{
	const rh_summary_node *g = rh_summary_node_get(sum, i);
	size_t k;

	s_open(s, NULL, 0);
	s_str(s, "name", g->name);
	s_str(s, "key", g->key);
	s_str(s, "type", g->type);
	s_time(s, "timestamp", g->time_ns);
	state_counts(s, sum, g);
	s_open(s, "children", 1);
	for (k = 0; k < g->nchildren && !s->err; k++)
		lineage_node(s, sum, g->children[k]);
	s_close(s, 1);
	if (g->link == RH_SUMMARY_LINK_NONE) {
		s_str(s, "link", NULL);
	} else {
		s_open(s, "link", 0);
		s_str(s, "type",
		      g->link == RH_SUMMARY_LINK_TASK ? "task" : "actor");
		s_str(s, "id", g->link_id);
		s_close(s, 0);
	}
	s_close(s, 0);
}

static void
lineage(sink *s, const rh_summary *sum)
{
	const size_t *top;
	size_t i, n;

	top = rh_summary_top(sum, &n);
	s_open(s, "summary", 1);
	for (i = 0; i < n && !s->err; i++)
		lineage_node(s, sum, top[i]);
	s_close(s, 1);
}

/* The summary object's members, without its braces. */
static int
fields(sink *s, const rh_summary *sum)
{
	rh_summary_totals t;

	rh_summary_totals_get(&t, sum);
	switch (rh_summary_kind(sum)) {
	case RH_SUMMARY_ACTORS_BY_CLASS:
		groups(s, sum, "class_name");
		s_count(s, "total_actors", t.actors);
		s_str(s, "summary_by", "class");
		break;
	case RH_SUMMARY_TASKS_BY_LINEAGE:
	case RH_SUMMARY_TASKS_BY_FUNC:
		if (rh_summary_kind(sum) == RH_SUMMARY_TASKS_BY_LINEAGE)
			lineage(s, sum);
		else
			groups(s, sum, "func_or_class_name");
		s_count(s, "total_tasks", t.tasks);
		s_count(s, "total_actor_tasks", t.actor_tasks);
		s_count(s, "total_actor_scheduled", t.actor_scheduled);
		s_str(s, "summary_by",
		      rh_summary_kind(sum) == RH_SUMMARY_TASKS_BY_LINEAGE ?
		              "lineage" :
		              "func_name");
		break;
	}
	return s->err;
}

RH_EXTERN int
rh_dashboard_summary_walk(const rh_summary *sum,
                          const rh_dashboard_row_visitor *v, void *payload)
{
	sink s = { NULL, v, payload, 0, 0, RH_BUF_INIT };
	int error;

	if (!sum || !v || !v->value || !v->open || !v->close)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_summary_walk: NULL argument");
	if ((error = rh__version_check(v->version,
	                               RH_DASHBOARD_ROW_VISITOR_VERSION,
	                               "rh_dashboard_row_visitor")) < 0)
		return error;
	error = fields(&s, sum);
	rh_buf_dispose(&s.num);
	return error;
}

RH_EXTERN int
rh_dashboard_summary_json(rh_buf *out, rh_query_counts *counts, rh_index *ix,
                          rh_summary_by by, const rh_query_options *opts)
{
	rh_summary *sum = NULL;
	sink s = { out, NULL, NULL, 0, 0, RH_BUF_INIT };
	int error;

	if (!out)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_summary_json: NULL argument");
	if ((error = rh_summary_new(&sum, counts, ix, by, opts)) < 0)
		return error;
	if ((error = rh_buf_puts(out, "{")) == 0 &&
	    (error = fields(&s, sum)) == 0)
		error = rh_buf_puts(out, "}");
	rh_summary_free(sum);
	return error;
}
