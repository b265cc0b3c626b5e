/* dashboard_timeline.c - /api/v0/tasks/timeline: the tasks' profile events
 * as a Chrome tracing array (chrome_tracing_dump, reference/ray-formats.md
 * §3.8, §5.5): one process per node IP, one thread per worker, complete
 * ("X") events in microseconds, then the process and thread names. */
#include "dashboard_routes.h"

#include <stdio.h>
#include <time.h>

static const struct {
	const char *event, *color;
} colors[] = {
	{ "worker_idle", "cq_build_abandoned" },
	{ "task", "rail_response" },
	{ "task:deserialize_arguments", "rail_load" },
	{ "task:execute", "rail_animation" },
	{ "task:store_outputs", "rail_idle" },
	{ "wait_for_function", "detailed_memory_dump" },
	{ "ray.get", "good" },
	{ "ray.put", "terrible" },
	{ "ray.wait", "vsync_highlight_color" },
	{ "submit_task", "background_memory_dump" },
	{ "fetch_and_run_function", "detailed_memory_dump" },
	{ "register_remote_function", "detailed_memory_dump" },
};

static const char *
color_of(const char *name)
{
	size_t i;

	for (i = 0; name && i < RH_ARRAY_SIZE(colors); i++)
		if (!strcmp(colors[i].event, name))
			return colors[i].color;
	return "generic_work";
}

/* Names in first-seen order; the index is the id. */
typedef struct names {
	char **v;
	int *node;      /* for threads: the node index */
	size_t n;
} names;

static int
name_index(names *ns, const char *name, int node)
{
	char **v;
	int *nd;
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (ns->node[i] == node && !strcmp(ns->v[i], name))
			return (int)i;
	if (!(v = rh__realloc(ns->v, (ns->n + 1) * sizeof(*v))))
		return RH_ENOMEM;
	ns->v = v;
	if (!(nd = rh__realloc(ns->node, (ns->n + 1) * sizeof(*nd))))
		return RH_ENOMEM;
	ns->node = nd;
	if (!(ns->v[ns->n] = rh__strdup(name)))
		return RH_ENOMEM;
	ns->node[ns->n] = node;
	return (int)ns->n++;
}

static void
names_free(names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	free(ns->node);
}

static int
is_task_key(const char *k)
{
	return !strcmp(k, "task_id") || !strcmp(k, "job_id") ||
	       !strcmp(k, "attempt_number") || !strcmp(k, "func_or_class_name") ||
	       !strcmp(k, "actor_id");
}

static void
complete_event(rh__jw *w, const rh_task_row *t, const rh_event_profile *p,
	       int pid, int tid)
{
	json_object *extra = p->extra_data ? json_tokener_parse(p->extra_data) : NULL;
	json_object *v;
	const char *name = p->event_name ? p->event_name : "";
	const char *cname = color_of(name);

	if (extra && !json_object_is_type(extra, json_type_object)) {
		json_object_put(extra);
		extra = NULL;
	}
	if (extra && json_object_object_get_ex(extra, "name", &v) &&
	    json_object_is_type(v, json_type_string))
		name = json_object_get_string(v);
	if (extra && json_object_object_get_ex(extra, "cname", &v) &&
	    json_object_is_type(v, json_type_string))
		cname = color_of(json_object_get_string(v));
	rh__jw_obj(w);
	rh__jw_kstr(w, "cat", p->event_name ? p->event_name : "");
	rh__jw_kstr(w, "name", name);
	rh__jw_kint(w, "pid", pid);
	rh__jw_kint(w, "tid", tid);
	rh__jw_key(w, "ts");
	rh__jw_num(w, (double)p->start_ns / 1000.0);
	rh__jw_key(w, "dur");
	rh__jw_num(w, (double)p->end_ns / 1000.0 - (double)p->start_ns / 1000.0);
	rh__jw_kstr(w, "cname", cname);
	rh__jw_key(w, "args");
	rh__jw_obj(w);
	if (extra) {
		json_object_object_foreach(extra, k, val) {
			if (is_task_key(k))
				continue;
			rh__jw_key(w, k);
			rh__jw_json(w, val, 0);
		}
	}
	rh__jw_kstr(w, "task_id", t->task_id);
	rh__jw_kstr(w, "job_id", t->job_id);
	rh__jw_kint(w, "attempt_number", t->attempt_number);
	rh__jw_kstr(w, "func_or_class_name", t->func_or_class_name);
	rh__jw_kstr(w, "actor_id", t->actor_id);
	rh__jw_end(w);
	rh__jw_kstr(w, "ph", "X");
	rh__jw_end(w);
	json_object_put(extra);
}

static int
dump(rh__jw *w, const rh_dash_snap *s, rh_query_options *o)
{
	names nodes = { NULL, NULL, 0 }, threads = { NULL, NULL, 0 };
	rh_buf comp = RH_BUF_INIT;
	rh_query *q = NULL;
	const rh_row *row;
	size_t i, j;
	int error;

	if ((error = rh_query_open(&q, s->ix, RH_ENTITY_TASK, o)) < 0)
		return error;
	rh__jw_arr(w);
	while ((error = rh_query_next(&row, q)) == 0 && !w->err) {
		const rh_task_row *t = &row->u.task;
		int pid, tid;

		if (!t->nprofile || !t->component_type ||
		    (strcmp(t->component_type, "worker") &&
		     strcmp(t->component_type, "driver")))
			continue;
		rh_buf_clear(&comp);
		if ((error = rh_buf_printf(&comp, "%s:%s", t->component_type,
					   t->component_id ? t->component_id : "")) < 0 ||
		    (pid = name_index(&nodes, t->node_ip_address ? t->node_ip_address
				      : "", -1)) < 0 ||
		    (tid = name_index(&threads, comp.ptr, pid)) < 0) {
			error = error < 0 ? error : RH_ENOMEM;
			break;
		}
		/* tid counts within its node, as Ray numbers them. */
		for (i = 0, j = 0; i < (size_t)tid; i++)
			if (threads.node[i] == pid)
				j++;
		for (i = 0; i < t->nprofile; i++)
			complete_event(w, t, &t->profile[i], pid, (int)j);
	}
	rh_query_close(q);
	if (error == RH_ITEROVER)
		error = 0;
	for (i = 0; !error && i < nodes.n; i++) {
		rh_buf label = RH_BUF_INIT;

		rh_buf_printf(&label, "Node %s", nodes.v[i]);
		rh__jw_obj(w);
		rh__jw_kstr(w, "name", "process_name");
		rh__jw_kstr(w, "ph", "M");
		rh__jw_kint(w, "pid", (int64_t)i);
		rh__jw_knull(w, "tid");
		rh__jw_key(w, "args");
		rh__jw_obj(w);
		rh__jw_kstr(w, "name", label.ptr);
		rh__jw_end(w);
		rh__jw_end(w);
		rh_buf_dispose(&label);
	}
	for (i = 0; !error && i < threads.n; i++) {
		size_t k, tid = 0;

		for (k = 0; k < i; k++)
			if (threads.node[k] == threads.node[i])
				tid++;
		rh__jw_obj(w);
		rh__jw_kstr(w, "name", "thread_name");
		rh__jw_kstr(w, "ph", "M");
		rh__jw_kint(w, "pid", threads.node[i]);
		rh__jw_kint(w, "tid", (int64_t)tid);
		rh__jw_key(w, "args");
		rh__jw_obj(w);
		rh__jw_kstr(w, "name", threads.v[i]);
		rh__jw_end(w);
		rh__jw_end(w);
	}
	rh__jw_end(w);
	names_free(&nodes);
	names_free(&threads);
	rh_buf_dispose(&comp);
	return error < 0 ? error : w->err;
}

int
rh_dashboard__timeline(rh_dash_ctx *c)
{
	const char *job = rh_dashboard_url_param(c->url, "job_id");
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "job_id", "=", NULL };
	int download = 0, error;
	rh__jw w;

	if (job && !*job)
		job = NULL;
	if (job && (error = rh_dashboard__check_id("job_id", job)) < 0)
		return rh_dashboard__fail_code(c, error);
	if ((error = rh_dashboard__param_bool(&download, c->url, "download", 0)) < 0)
		return rh_dashboard__fail_code(c, error);
	o.limit = 10000;
	o.detail = 1;
	o.count = 0;
	if (job) {
		f.value = job;
		o.filters = &f;
		o.nfilters = 1;
	}
	rh__jw_init(&w, &c->resp->body);
	if ((error = dump(&w, c->snap, &o)) < 0) {
		rh_buf_clear(&c->resp->body);
		return rh_dashboard__fail_code(c, error);
	}
	if (download) {
		time_t t = (time_t)(c->now_ms / 1000 + c->d->opts.tz_offset_min * 60);
		struct tm tm;
		char ts[32];

		c->cacheable = 0;	/* the file name holds the clock */
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d_%H-%M-%S", &tm);
		if ((error = rh_dashboard__header(c->resp, "Content-Disposition",
						  "attachment; filename=\"timeline-%s-%s.json\"",
						  job ? job : "None", ts)) < 0)
			return error;
	}
	return rh_dashboard__reply_jw(c, &w);
}
