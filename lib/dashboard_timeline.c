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
	int *node; /* for threads: the node index */
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
	       !strcmp(k, "attempt_number") ||
	       !strcmp(k, "func_or_class_name") || !strcmp(k, "actor_id");
}

static void
complete_event(rh__jw *w, const rh_task_row *t, const rh_event_profile *p,
               int pid, int tid)
{
	json_object *extra =
		p->extra_data ? json_tokener_parse(p->extra_data) : NULL;
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
	rh__jw_num(w,
	           (double)p->end_ns / 1000.0 - (double)p->start_ns / 1000.0);
	rh__jw_kstr(w, "cname", cname);
	rh__jw_key(w, "args");
	rh__jw_obj(w);
	if (extra) {
		json_object_object_foreach(extra, k, val)
		{
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

/* The timeline produced a little at a time: one task's events, or one
 * process or thread name, per step, so that a client that reads slowly
 * holds a piece of the answer, never the answer (dashboard_stream.c). The
 * writer's state (its commas) carries over from step to step, so the bytes
 * are those of the document written in one go. */
enum { TL_ROWS, TL_PROCS, TL_THREADS, TL_DONE };

/* Memory a stream keeps for what a step wrote past a piece. */
#define GEN_KEEP (64u << 10)
/* Room past a piece for the last step's events, so that a piece is
 * usually written without a second allocation. */
#define GEN_SLACK (16u << 10)

typedef struct tl_gen {
	rh_dashboard *d;
	rh_dash_snap *snap; /* a reference: the index under the query */
	rh_query *q;
	names nodes, threads;
	rh_buf comp;
	rh_buf out; /* written, not handed out yet */
	rh__jw w;   /* writes into out */
	int phase;  /* TL_* */
	size_t i;   /* the next name of TL_PROCS, TL_THREADS */
} tl_gen;

static void
gen_free(void *arg)
{
	tl_gen *g = arg;

	if (!g)
		return;
	rh_query_close(g->q);
	if (g->snap)
		rh_dashboard__snap_release(g->d, g->snap);
	names_free(&g->nodes);
	names_free(&g->threads);
	rh_buf_dispose(&g->comp);
	rh_buf_dispose(&g->out);
	free(g);
}

static int
gen_open(tl_gen **out, rh_dashboard *d, rh_dash_snap *s,
         const rh_query_options *o)
{
	tl_gen *g;
	int error;

	*out = NULL;
	if (!(g = rh__calloc(1, sizeof(*g))))
		return RH_ENOMEM;
	g->d = d;
	rh_dashboard__snap_hold(d, s);
	g->snap = s;
	if ((error = rh_query_open(&g->q, s->ix, RH_ENTITY_TASK, o)) < 0) {
		gen_free(g);
		return error;
	}
	rh__jw_init(&g->w, &g->out);
	rh__jw_arr(&g->w);
	if ((error = g->w.err) < 0) {
		gen_free(g);
		return error;
	}
	g->phase = TL_ROWS;
	*out = g;
	return 0;
}

/* The complete events of the next task with profile events, or the end of
 * the rows. */
static int
step_row(tl_gen *g)
{
	const rh_row *row;
	size_t i, j;
	int error;

	while ((error = rh_query_next(&row, g->q)) == 0) {
		const rh_task_row *t = &row->u.task;
		int pid, tid;

		if (!t->nprofile || !t->component_type ||
		    (strcmp(t->component_type, "worker") &&
		     strcmp(t->component_type, "driver")))
			continue;
		rh_buf_clear(&g->comp);
		if ((error = rh_buf_printf(&g->comp, "%s:%s", t->component_type,
		                           t->component_id ? t->component_id :
		                                             "")) < 0)
			return error;
		if ((pid = name_index(&g->nodes,
		                      t->node_ip_address ? t->node_ip_address :
		                                           "",
		                      -1)) < 0)
			return pid;
		if ((tid = name_index(&g->threads, g->comp.ptr, pid)) < 0)
			return tid;
		/* tid counts within its node, as Ray numbers them. */
		for (i = 0, j = 0; i < (size_t)tid; i++)
			if (g->threads.node[i] == pid)
				j++;
		for (i = 0; i < t->nprofile; i++)
			complete_event(&g->w, t, &t->profile[i], pid, (int)j);
		return g->w.err;
	}
	if (error != RH_ITEROVER)
		return error;
	rh_query_close(g->q);
	g->q = NULL;
	g->phase = TL_PROCS;
	g->i = 0;
	return 0;
}

static int
step_proc(tl_gen *g)
{
	rh__jw *w = &g->w;
	rh_buf label = RH_BUF_INIT;
	int error;

	if (g->i >= g->nodes.n) {
		g->phase = TL_THREADS;
		g->i = 0;
		return 0;
	}
	if ((error = rh_buf_printf(&label, "Node %s", g->nodes.v[g->i])) < 0)
		return error;
	rh__jw_obj(w);
	rh__jw_kstr(w, "name", "process_name");
	rh__jw_kstr(w, "ph", "M");
	rh__jw_kint(w, "pid", (int64_t)g->i);
	rh__jw_knull(w, "tid");
	rh__jw_key(w, "args");
	rh__jw_obj(w);
	rh__jw_kstr(w, "name", label.ptr);
	rh__jw_end(w);
	rh__jw_end(w);
	rh_buf_dispose(&label);
	g->i++;
	return w->err;
}

static int
step_thread(tl_gen *g)
{
	rh__jw *w = &g->w;
	const names *th = &g->threads;
	size_t k, tid = 0, i = g->i;

	if (i >= th->n) {
		rh__jw_end(w);
		g->phase = TL_DONE;
		return w->err;
	}
	for (k = 0; k < i; k++)
		if (th->node[k] == th->node[i])
			tid++;
	rh__jw_obj(w);
	rh__jw_kstr(w, "name", "thread_name");
	rh__jw_kstr(w, "ph", "M");
	rh__jw_kint(w, "pid", th->node[i]);
	rh__jw_kint(w, "tid", (int64_t)tid);
	rh__jw_key(w, "args");
	rh__jw_obj(w);
	rh__jw_kstr(w, "name", th->v[i]);
	rh__jw_end(w);
	rh__jw_end(w);
	g->i++;
	return w->err;
}

/* Write into `into` until `want` bytes were added or the document is
 * whole. */
static int
gen_fill(tl_gen *g, rh_buf *into, size_t want)
{
	size_t at = into->size;
	int error = 0;

	g->w.b = into;
	while (!error && g->phase != TL_DONE && into->size - at < want)
		error = g->phase == TL_ROWS  ? step_row(g) :
		        g->phase == TL_PROCS ? step_proc(g) :
		                               step_thread(g);
	g->w.b = &g->out;
	return error;
}

/* rh_dashboard_stream_read() of the timeline: at most max bytes. Steps
 * write straight into `out`; what the last step wrote past max waits in
 * g->out for the next call, so a stream holds the piece in flight plus at
 * most one task's events. */
static int
gen_read(rh_buf *out, int *done, void *arg, size_t max)
{
	tl_gen *g = arg;
	size_t at = out->size, n;
	int error;

	*done = 0;
	if (!at && g->out.size >= max) {
		/* the answer's start, written by the handler: hand over its
		 * buffer rather than copy it (two copies per slow client) */
		rh_buf first = g->out;

		g->out = *out;
		*out = first;
		rh_buf_clear(&g->out);
		if ((error = rh_buf_put(&g->out, out->ptr + max,
		                        out->size - max)) < 0)
			return error;
		out->size = max;
		out->ptr[max] = '\0';
	} else if (g->out.size) {
		n = g->out.size < max ? g->out.size : max;
		if ((error = rh_buf_put(out, g->out.ptr, n)) < 0)
			return error;
		memmove(g->out.ptr, g->out.ptr + n, g->out.size - n);
		g->out.size -= n;
		g->out.ptr[g->out.size] = '\0';
	}
	if (!g->out.size) {
		/* one allocation for the piece, not a chain of growing ones */
		if ((error = rh_buf_grow(out, at + max + GEN_SLACK)) < 0 ||
		    (error = gen_fill(g, out, max - (out->size - at))) < 0)
			return error;
		if (out->size - at > max) {
			n = out->size - at - max;
			if ((error = rh_buf_put(&g->out, out->ptr + at + max,
			                        n)) < 0)
				return error;
			out->size = at + max;
			out->ptr[out->size] = '\0';
		}
	}
	/* what the handler wrote, or one task of many events, grew it past a
	 * step's size: give that memory back */
	if (!g->out.size && g->out.asize > GEN_KEEP)
		rh_buf_dispose(&g->out);
	*done = g->phase == TL_DONE && !g->out.size;
	return 0;
}

int
rh_dashboard__timeline(rh_dash_ctx *c)
{
	const char *job = rh_dashboard_url_param(c->url, "job_id");
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "job_id", "=", NULL };
	int download = 0, error;
	tl_gen *g = NULL;
	rh__jw w;

	if (job && !*job)
		job = NULL;
	if (job && (error = rh_dashboard__check_id("job_id", job)) < 0)
		return rh_dashboard__fail_code(c, error);
	if ((error = rh_dashboard__param_bool(&download, c->url, "download",
	                                      0)) < 0)
		return rh_dashboard__fail_code(c, error);
	o.limit = 10000;
	o.detail = 1;
	o.count = 0;
	if (job) {
		f.value = job;
		o.filters = &f;
		o.nfilters = 1;
	}
	if ((error = gen_open(&g, c->d, c->snap, &o)) < 0)
		return rh_dashboard__fail_code(c, error);
	/* An answer that stays under the streaming size is held whole as
	 * before (compressed, kept); a larger one goes out as it is written. */
	if ((error = gen_fill(g, &g->out,
	                      c->req->stream_ok ? RH_DASHBOARD_STREAM_MIN :
	                                          SIZE_MAX)) < 0) {
		gen_free(g);
		return rh_dashboard__fail_code(c, error);
	}
	if (g->phase == TL_DONE) {
		rh_buf_dispose(&c->resp->body);
		c->resp->body = g->out;
		g->out = (rh_buf)RH_BUF_INIT;
		gen_free(g);
		g = NULL;
	} else if ((error = rh_dashboard__stream_gen(&c->resp->stream, c->d,
	                                             gen_read, gen_free, g)) <
	           0) {
		gen_free(g);
		return error;
	}
	if (download) {
		time_t t = (time_t)(c->now_ms / 1000 +
		                    c->d->opts.tz_offset_min * 60);
		struct tm tm;
		char ts[32];

		c->cacheable = 0; /* the file name holds the clock */
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d_%H-%M-%S", &tm);
		if ((error = rh_dashboard__header(
			     c->resp, "Content-Disposition",
			     "attachment; filename=\"timeline-%s-%s.json\"",
			     job ? job : "None", ts)) < 0)
			return error;
	}
	if (g)
		return rh_dashboard__reply(c, 200, "application/json");
	rh__jw_init(&w, &c->resp->body); /* for the size check */
	return rh_dashboard__reply_jw(c, &w);
}
