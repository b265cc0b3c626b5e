/* dashboard_rows.c - a row of the index (rh_row) as Ray's state API prints
 * it (reference/ray-formats.md §3.4, §3.5): Ray's row shapes, written here
 * and only here (DESIGN: the dashboard layer). */
#include "internal.h"
#include "json_write.h"
#include "events_internal.h"

#include <stdio.h>
#include <time.h>

/* Ray's row shapes, written once for two readers: Ray's JSON text, with
 * the shared writer (json_write.h), or typed values handed to a caller's
 * visitor (rh_dashboard_row_walk(): rayhist-ls prints its tables from
 * them). These helpers add what the rows need on top of either: a key
 * before each value, null for negative counts and tri-state booleans,
 * times in ms. */
typedef struct jw {
	rh__jw *json;                      /* JSON text, or else */
	const rh_dashboard_row_visitor *v; /* the visitor */
	void *payload;
	int err;    /* the visitor's first non-zero */
	rh_buf num; /* a float's text, for v */
} jw;

static void
emit(jw *w, const char *k, rh_value_type type, const char *s, int64_t i,
     double d)
{
	rh_value v;

	if (w->err)
		return;
	v.type = type;
	v.s = s;
	v.i = i;
	v.d = d;
	w->err = w->v->value(k, &v, w->payload);
}

static void
jstr(jw *w, const char *k, const char *v)
{
	if (!w->json) {
		emit(w, k, v ? RH_VALUE_STRING : RH_VALUE_NULL, v, 0, 0);
		return;
	}
	rh__jw_name(w->json, k);
	rh__jw_str(w->json, v);
}

/* JSON text as stored (objects), null when absent. */
static void
jraw(jw *w, const char *k, const char *v)
{
	if (!w->json) {
		emit(w, k, v && *v ? RH_VALUE_JSON : RH_VALUE_NULL,
		     v && *v ? v : NULL, 0, 0);
		return;
	}
	rh__jw_name(w->json, k);
	rh__jw_raw(w->json, v);
}

static void
jint(jw *w, const char *k, int64_t v, int null_if_negative)
{
	int null = null_if_negative && v < 0;

	if (!w->json) {
		emit(w, k, null ? RH_VALUE_NULL : RH_VALUE_INT, NULL,
		     null ? 0 : v, 0);
		return;
	}
	rh__jw_name(w->json, k);
	if (null)
		rh__jw_null(w->json);
	else
		rh__jw_int(w->json, v);
}

static void
jbool(jw *w, const char *k, int v)
{
	if (!w->json) {
		emit(w, k, v < 0 ? RH_VALUE_NULL : RH_VALUE_BOOL, NULL,
		     v < 0 ? 0 : v != 0, 0);
		return;
	}
	rh__jw_name(w->json, k);
	if (v < 0)
		rh__jw_null(w->json);
	else
		rh__jw_bool(w->json, v);
}

static void
jnull(jw *w, const char *k)
{
	if (!w->json) {
		emit(w, k, RH_VALUE_NULL, NULL, 0, 0);
		return;
	}
	rh__jw_name(w->json, k);
	rh__jw_null(w->json);
}

/* A float as Python's repr() prints it (profile times). */
static void
jpyfloat(jw *w, const char *k, double d)
{
	int error;

	if (!w->json) {
		rh_buf_clear(&w->num);
		if ((error = rh__json_pyfloat(&w->num, d)) < 0 && !w->err)
			w->err = error;
		emit(w, k, RH_VALUE_FLOAT, w->num.ptr, 0, d);
		return;
	}
	rh__jw_name(w->json, k);
	rh__jw_pyfloat(w->json, d);
}

/* ns -> ms as Ray prints task times: ts_ns // 1e6, a float. */
static void
jms_float(jw *w, const char *k, int64_t ns)
{
	/* Python's int // float: the int becomes a double first, then the
	 * exact floor of the quotient. */
	double d = (double)ns;
	int64_t v = d >= 9.2e18  ? INT64_MAX :
	            d <= -9.2e18 ? INT64_MIN :
	                           (int64_t)d;
	int64_t q = v / 1000000 - (v % 1000000 < 0);
	char text[32];

	if (ns == RH_TIME_NONE) {
		jnull(w, k);
	} else if (!w->json) {
		snprintf(text, sizeof(text), "%lld.0", (long long)q);
		emit(w, k, RH_VALUE_FLOAT, text, 0, (double)q);
	} else {
		/* |q| < 2^53: a whole double, which rh__json_pyfloat() prints
		 * as "Q.0" (never -0.0: q is an integer) */
		rh__jw_name(w->json, k);
		rh__jw_int_suffix(w->json, q, ".0");
	}
}

/* ns -> integer ms (jobs, nodes, workers) */
static void
jms(jw *w, const char *k, int64_t ns)
{
	if (ns == RH_TIME_NONE)
		jnull(w, k);
	else
		jint(w, k, ns / 1000000, 0);
}

/* A container, under key k when inside an object. */
static void
jopen(jw *w, const char *k, const char *br)
{
	if (!w->json) {
		if (!w->err)
			w->err = w->v->open(k, *br == '[', w->payload);
		return;
	}
	if (k)
		rh__jw_name(w->json, k);
	if (*br == '[')
		rh__jw_arr(w->json);
	else
		rh__jw_obj(w->json);
}

static void
jclose(jw *w)
{
	if (!w->json) {
		if (!w->err)
			w->err = w->v->close(w->payload);
		return;
	}
	rh__jw_end(w->json);
}

/* TaskState.events: state transitions. */
static void
task_events(jw *w, const rh_task_row *t)
{
	size_t i;
	int s;

	/* Ray lists each state once, in enum order, with its latest time */
	jopen(w, "events", "[");
	for (s = 0; s < RH_TASK_STATE_COUNT; s++) {
		int64_t at = RH_TIME_NONE;
		int seen = 0;

		for (i = 0; i < t->ntransitions; i++)
			if (t->transitions[i].state == s) {
				at = t->transitions[i].time_ns;
				seen = 1;
			}
		if (!seen)
			continue;
		jopen(w, NULL, "{");
		jstr(w, "state", rh_task_state_name(s));
		jms_float(w, "created_ms", at);
		jclose(w);
	}
	jclose(w);
}

/* TaskState.profiling_data: the worker's profile events, or null. */
static void
task_profile(jw *w, const rh_task_row *t)
{
	size_t i;

	if (t->component_type || t->nprofile) {
		jopen(w, "profiling_data", "{");
		jstr(w, "component_type", t->component_type);
		jstr(w, "component_id", t->component_id);
		jstr(w, "node_ip_address", t->node_ip_address);
		jopen(w, "events", "[");
		for (i = 0; i < t->nprofile; i++) {
			const rh_event_profile *p = &t->profile[i];

			jopen(w, NULL, "{");
			jstr(w, "event_name", p->event_name);
			jpyfloat(w, "start_time", (double)p->start_ns / 1e6);
			jpyfloat(w, "end_time", (double)p->end_ns / 1e6);
			/* extra_data is JSON text; Ray decodes it */
			if (p->extra_data && rh_events__is_json(p->extra_data))
				jraw(w, "extra_data", p->extra_data);
			else
				jstr(w, "extra_data", p->extra_data);
			jclose(w);
		}
		jclose(w);
		jclose(w);
	} else {
		jnull(w, "profiling_data");
	}
}

/* TaskState.task_log_info: where its stdout and stderr are, or null. */
static void
task_log_info(jw *w, const rh_task_row *t)
{
	if (t->has_log_info) {
		const rh_event_log_info *l = &t->log_info;

		jopen(w, "task_log_info", "{");
		if (l->stdout_file)
			jstr(w, "stdout_file", l->stdout_file);
		if (l->stderr_file)
			jstr(w, "stderr_file", l->stderr_file);
		if (l->stdout_start >= 0)
			jint(w, "stdout_start", l->stdout_start, 0);
		if (l->stdout_end >= 0)
			jint(w, "stdout_end", l->stdout_end, 0);
		if (l->stderr_start >= 0)
			jint(w, "stderr_start", l->stderr_start, 0);
		if (l->stderr_end >= 0)
			jint(w, "stderr_end", l->stderr_end, 0);
		jclose(w);
	} else {
		jnull(w, "task_log_info");
	}
}

static void
task_json(jw *w, const rh_task_row *t, int detail)
{
	jstr(w, "task_id", t->task_id);
	jint(w, "attempt_number", t->attempt_number, 0);
	jstr(w, "name", t->name);
	jstr(w, "state", rh_task_state_name(t->state));
	jstr(w, "job_id", t->job_id);
	jstr(w, "actor_id", t->actor_id);
	jstr(w, "type", t->type ? rh_task_type_name(t->type) : NULL);
	jstr(w, "func_or_class_name", t->func_or_class_name);
	jstr(w, "parent_task_id", t->parent_task_id);
	jstr(w, "node_id", t->node_id);
	jstr(w, "worker_id", t->worker_id);
	jint(w, "worker_pid", t->worker_pid, 1);
	jstr(w, "error_type", t->error_type);
	if (!detail)
		return;
	jstr(w, "language", t->language);
	jraw(w, "required_resources", t->required_resources);
	jraw(w, "runtime_env_info", t->runtime_env_info);
	jstr(w, "placement_group_id", t->placement_group_id);
	task_events(w, t);
	task_profile(w, t);
	jms_float(w, "creation_time_ms", t->creation_time_ns);
	jms_float(w, "start_time_ms", t->start_time_ns);
	jms_float(w, "end_time_ms", t->end_time_ns);
	task_log_info(w, t);
	jstr(w, "error_message", t->error_message);
	jbool(w, "is_debugger_paused", t->is_debugger_paused);
	jstr(w, "call_site", t->call_site);
	jraw(w, "label_selector", t->label_selector);
}

static void
actor_json(jw *w, const rh_actor_row *a, int detail)
{
	jstr(w, "actor_id", a->actor_id);
	jstr(w, "class_name", a->class_name);
	jstr(w, "state", rh_actor_state_name(a->state));
	jstr(w, "job_id", a->job_id);
	jstr(w, "name", a->name);
	jstr(w, "node_id", a->node_id);
	jint(w, "pid", a->pid, 1);
	jstr(w, "ray_namespace", a->ray_namespace);
	if (!detail)
		return;
	jstr(w, "serialized_runtime_env", a->serialized_runtime_env);
	jraw(w, "required_resources", a->required_resources);
	jraw(w, "death_cause", a->death_cause);
	jbool(w, "is_detached", a->is_detached);
	jstr(w, "placement_group_id", a->placement_group_id);
	jstr(w, "repr_name", a->repr_name ? a->repr_name : "");
	jint(w, "num_restarts", a->num_restarts, 1);
	jint(w, "num_restarts_due_to_lineage_reconstruction", 0, 0);
	jstr(w, "call_site", a->call_site);
	jraw(w, "label_selector", a->label_selector);
}

static void
job_json(jw *w, const rh_job_row *j, int detail)
{
	char pid[32];

	jstr(w, "job_id", j->job_id);
	jstr(w, "submission_id", j->submission_id);
	jstr(w, "entrypoint", j->entrypoint ? j->entrypoint : "");
	jstr(w, "type",
	     j->type == RH_JOB_TYPE_DRIVER ? "DRIVER" : "SUBMISSION");
	jstr(w, "status", rh_job_status_name(j->status));
	jstr(w, "message", j->message);
	jstr(w, "error_type", j->error_type);
	if (j->driver_pid >= 0 || j->driver_ip || j->driver_node_id) {
		/* DriverInfo as Ray's get_driver_jobs() fills it: the job id,
		 * the driver's IP and its pid as a string */
		jopen(w, "driver_info", "{");
		jstr(w, "id", j->job_id);
		jstr(w, "node_ip_address", j->driver_ip);
		snprintf(pid, sizeof(pid), "%lld", (long long)j->driver_pid);
		jstr(w, "pid", j->driver_pid >= 0 ? pid : NULL);
		jclose(w);
	} else {
		jnull(w, "driver_info");
	}
	if (!detail)
		return;
	/* the job table's times: 0 for "not yet" */
	jint(w, "start_time",
	     j->start_time_ns == RH_TIME_NONE ? 0 : j->start_time_ns / 1000000,
	     0);
	jint(w, "end_time",
	     j->end_time_ns == RH_TIME_NONE ? 0 : j->end_time_ns / 1000000, 0);
	jraw(w, "metadata", j->metadata);
	jraw(w, "runtime_env", j->runtime_env);
	jstr(w, "driver_agent_http_address", j->driver_agent_http_address);
	/* a driver job's row leaves the node to driver_info, as Ray's does */
	jstr(w, "driver_node_id",
	     j->type == RH_JOB_TYPE_SUBMISSION ? j->driver_node_id : NULL);
	jint(w, "driver_exit_code", j->driver_exit_code, 1);
}

static void
node_json(jw *w, const rh_node_row *n, int detail)
{
	jstr(w, "node_id", n->node_id);
	jstr(w, "node_ip", n->node_ip);
	jbool(w, "is_head_node", n->is_head_node);
	jstr(w, "state", rh_node_state_name(n->state));
	jstr(w, "state_message", n->state_message);
	jstr(w, "node_name", n->node_name);
	jraw(w, "resources_total", n->resources_total);
	jraw(w, "labels", n->labels);
	if (!detail)
		return;
	/* GcsNodeInfo's times: 0 for "not yet" */
	jint(w, "start_time_ms",
	     n->start_time_ns == RH_TIME_NONE ? 0 : n->start_time_ns / 1000000,
	     0);
	jint(w, "end_time_ms",
	     n->end_time_ns == RH_TIME_NONE ? 0 : n->end_time_ns / 1000000, 0);
}

static void
worker_json(jw *w, const rh_worker_row *k, int detail)
{
	jstr(w, "worker_id", k->worker_id);
	jbool(w, "is_alive", k->is_alive);
	jstr(w, "worker_type", k->worker_type);
	jstr(w, "exit_type", k->exit_type);
	jstr(w, "node_id", k->node_id);
	jstr(w, "ip", k->ip);
	jint(w, "pid", k->pid, 1);
	if (!detail)
		return;
	jstr(w, "exit_detail", k->exit_detail);
	jnull(w, "worker_launch_time_ms");
	jnull(w, "worker_launched_time_ms");
	jms(w, "start_time_ms", k->start_time_ns);
	jms(w, "end_time_ms", k->end_time_ns);
	jnull(w, "debugger_port");
	jnull(w, "num_paused_threads");
}

static void
pg_json(jw *w, const rh_pg_row *g, int detail)
{
	jstr(w, "placement_group_id", g->placement_group_id);
	jstr(w, "name", g->name ? g->name : "");
	jstr(w, "creator_job_id", g->creator_job_id);
	jstr(w, "state", rh_pg_state_name(g->state));
	if (!detail)
		return;
	jraw(w, "bundles", g->bundles);
	jbool(w, "is_detached", g->is_detached);
	jnull(w, "stats");
}

static void
cevent_json(jw *w, const rh_cluster_event_row *e, int detail)
{
	char when[64] = "";

	jstr(w, "severity", e->severity);
	if (e->time_ns != RH_TIME_NONE) {
		/* str(datetime.fromtimestamp(int(ts))), in UTC here */
		time_t secs = (time_t)(e->time_ns / 1000000000);
		struct tm tm;

		gmtime_r(&secs, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	jstr(w, "time", e->time_ns != RH_TIME_NONE ? when : NULL);
	jstr(w, "source_type", e->source_type);
	jstr(w, "message", e->message);
	jstr(w, "event_id", e->event_id);
	if (detail)
		jraw(w, "custom_fields", e->custom_fields);
}

/* The fields of one row, in Ray's order. */
static int
fields(jw *w, const rh_row *row, int detail)
{
	switch (row->entity) {
	case RH_ENTITY_TASK: task_json(w, &row->u.task, detail); break;
	case RH_ENTITY_ACTOR: actor_json(w, &row->u.actor, detail); break;
	case RH_ENTITY_JOB: job_json(w, &row->u.job, detail); break;
	case RH_ENTITY_NODE: node_json(w, &row->u.node, detail); break;
	case RH_ENTITY_WORKER: worker_json(w, &row->u.worker, detail); break;
	case RH_ENTITY_PLACEMENT_GROUP: pg_json(w, &row->u.pg, detail); break;
	case RH_ENTITY_CLUSTER_EVENT:
		cevent_json(w, &row->u.event, detail);
		break;
	default:
		return rh__error(RH_EINVAL, "unknown entity %d",
		                 (int)row->entity);
	}
	return 0;
}

RH_EXTERN int
rh_dashboard_row_json(rh_buf *out, const rh_row *row, int detail)
{
	rh__jw json;
	jw w = { &json, NULL, NULL, 0, RH_BUF_INIT };
	int error;

	if (!out || !row)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_row_json: NULL argument");
	rh__jw_init(&json, out);
	json.escape_del = 0;
	rh__jw_obj(&json);
	if ((error = fields(&w, row, detail)) < 0)
		return error;
	rh__jw_end(&json);
	return json.err;
}

RH_EXTERN int
rh_dashboard_row_walk(const rh_row *row, int detail,
                      const rh_dashboard_row_visitor *v, void *payload)
{
	jw w = { NULL, v, payload, 0, RH_BUF_INIT };
	int error;

	if (!row || !v || !v->value || !v->open || !v->close)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_row_walk: NULL argument");
	if ((error = rh__version_check(v->version,
	                               RH_DASHBOARD_ROW_VISITOR_VERSION,
	                               "rh_dashboard_row_visitor")) < 0)
		return error;
	error = fields(&w, row, detail);
	rh_buf_dispose(&w.num);
	return error < 0 ? error : w.err;
}

RH_EXTERN int
rh_dashboard_list_json(rh_buf *out, rh_query_counts *counts, rh_index *ix,
                       rh_entity what, const rh_query_options *opts)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error, first = 1, detail = opts ? opts->detail : 0;

	if (!out)
		return rh__error(RH_EINVAL, "rh_dashboard_list_json: NULL out");
	if ((error = rh_query_open(&q, ix, what, opts)) < 0)
		return error;
	if ((error = rh_buf_put(out, "[", 1)) < 0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0) {
		if ((!first && (error = rh_buf_put(out, ",", 1)) < 0) ||
		    (error = rh_dashboard_row_json(out, row, detail)) < 0)
			goto done;
		first = 0;
	}
	if (error != RH_ITEROVER)
		goto done;
	error = rh_buf_put(out, "]", 1);
	if (counts)
		rh_query_counts_get(counts, q);
done:
	rh_query_close(q);
	return error;
}
