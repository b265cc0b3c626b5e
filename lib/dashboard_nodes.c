/* dashboard_nodes.c - /nodes?view=summary, /nodes/ID and
 * /api/cluster_status: Ray's NodeDetail objects (camelCase) and the text of
 * `ray status`, rebuilt from node events and captured node manifests
 * (reference/ray-formats.md §2.4, §3.9). A history server has no live
 * process statistics, so those fields are zeros. */
#include "dashboard_routes.h"

#include <stdio.h>
#include <time.h>

/* A node row, or a stand-in for a node known only from its files. */
typedef struct node_view {
	const rh_dash_node *n;
	int has_row;
	rh_node_row row; /* strings borrowed from the query */
} node_view;

static int
node_row(rh_query **q, node_view *v, const rh_dash_snap *s,
         const rh_dash_node *n, int64_t at_ns)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "node_id", "=", n->node_id };
	const rh_row *row;
	int error;

	memset(v, 0, sizeof(*v));
	v->n = n;
	*q = NULL;
	if (!n->has_events)
		return 0;
	o.filters = &f;
	o.nfilters = 1;
	o.limit = 1;
	o.count = 0;
	o.at_ns = at_ns;
	if ((error = rh_query_open(q, s->ix, RH_ENTITY_NODE, &o)) < 0)
		return error;
	if ((error = rh_query_next(&row, *q)) == 0) {
		v->row = row->u.node;
		v->has_row = 1;
	}
	return error == RH_ITEROVER ? 0 : error;
}

/* A node that had no known transition by the instant at_ns (playback):
 * it did not exist yet, so the views leave it out. */
#define NOT_YET(v, at_ns) ((at_ns) != RH_TIME_NONE && !(v)->has_row)

static const char *
view_state(const node_view *v)
{
	if (v->has_row && v->row.state == RH_NODE_DEAD)
		return "DEAD";
	return "ALIVE";
}

static int
is_memory(const char *k)
{
	size_t n = strlen(k);
	return n >= 6 && !strcmp(k + n - 6, "memory");
}

/* Ray's format_memory(). */
static int
fmt_memory(rh_buf *b, double bytes)
{
	static const char *const suf[] = { "TiB", "GiB", "MiB", "KiB" };
	int i;

	for (i = 0; i < 4; i++) {
		double p = (double)(1ull << ((4 - i) * 10));
		if (bytes >= p)
			return rh_buf_printf(b, "%.2f%s", bytes / p, suf[i]);
	}
	return rh_buf_printf(b, "%lldB", (long long)bytes);
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "0.0/8.0 CPU", "0B/25.75GiB memory" lines of a resources object, sorted by
 * name, node: and accelerator_type: entries left out; `sep` between lines. */
static int
resource_lines(rh_buf *b, json_object *res, const char *sep)
{
	const char *keys[256];
	size_t n = 0, i;
	int error = 0;

	if (!res || !json_object_is_type(res, json_type_object))
		return 0;
	json_object_object_foreach(res, k, v)
	{
		(void)v;
		if (!strncmp(k, "node:", 5) ||
		    !strncmp(k, "accelerator_type:", 17))
			continue;
		if (n < RH_ARRAY_SIZE(keys))
			keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n && !error; i++) {
		double t = json_object_get_double(
			json_object_object_get(res, keys[i]));

		if (i && (error = rh_buf_puts(b, sep)) < 0)
			break;
		if (is_memory(keys[i])) {
			if ((error = rh_buf_puts(b, "0B/")) < 0 ||
			    (error = fmt_memory(b, t)) < 0)
				break;
			error = rh_buf_printf(b, " %s", keys[i]);
		} else {
			error = rh_buf_printf(b, "0.0/%.1f %s", t, keys[i]);
		}
	}
	return error;
}

static void
zeros(rh__jw *w, const char *k, int n, int dbl)
{
	int i;

	if (k)
		rh__jw_key(w, k);
	rh__jw_arr(w);
	for (i = 0; i < n; i++) {
		if (dbl)
			rh__jw_num(w, 0);
		else
			rh__jw_int(w, 0);
	}
	rh__jw_end(w);
}

static void
ms_field(rh__jw *w, const char *k, int64_t ns, int64_t none)
{
	int64_t ms = rh_dashboard__ms(ns);

	rh__jw_kint(w, k, ms < 0 ? none : ms);
}

/* The node's group, the label KubeRay gives every Ray node it starts
 * ("headgroup", a worker group's name): what it also sets as
 * RAY_NODE_TYPE_NAME, the raylet's node_type_name. */
static const char *
node_type_name(json_object *labels)
{
	json_object *v;

	if (labels &&
	    json_object_object_get_ex(labels, "ray.io/node-group", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* The raylet fields of Ray's node detail that no event carries: its
 * sockets and ports (GcsNodeInfo) and its object store's numbers
 * (GetNodeStatsReply.store_stats, whose objectStoreBytesAvail is the store's
 * capacity, ObjectManager::FillObjectStoreStats), from the node's captured
 * files (dashboard_raylet.c); "" and 0 where they were not captured, as
 * protobuf prints an unset field. */
static void
raylet_files(rh__jw *w, const rh_dash_raylet *f, const rh_node_row *r,
             json_object *osm)
{
	json_object *labels =
		r && r->labels ? json_tokener_parse(r->labels) : NULL;

	rh__jw_kstr(w, "rayletSocketName",
	            f && f->raylet_socket ? f->raylet_socket : "");
	rh__jw_kstr(w, "objectStoreSocketName",
	            f && f->store_socket ? f->store_socket : "");
	rh__jw_kint(w, "metricsExportPort", f ? f->metrics_export_port : 0);
	rh__jw_kint(w, "runtimeEnvAgentPort",
	            f ? f->runtime_env_agent_port : 0);
	rh__jw_kint(w, "objectManagerPort", f ? f->object_manager_port : 0);
	rh__jw_kstr(w, "nodeTypeName", node_type_name(labels));
	rh__jw_key(w, "storeStats");
	rh__jw_obj(w);
	if (osm)
		rh__jw_kint(w, "objectStoreBytesAvail",
		            (int64_t)json_object_get_double(osm));
	if (f && f->num_local_objects >= 0)
		rh__jw_kint(w, "numLocalObjects", f->num_local_objects);
	rh__jw_end(w);
	json_object_put(labels);
}

/* The raylet object of a NodeDetail. */
static void
raylet(rh__jw *w, const node_view *v, int nworkers)
{
	const rh_node_row *r = v->has_row ? &v->row : NULL;
	const rh_dash_node *n = v->n;
	json_object *res = r && r->resources_total ?
	                           json_tokener_parse(r->resources_total) :
	                           NULL;
	json_object *osm = NULL;
	const char *ip = n->ip ? n->ip : r && r->node_ip ? r->node_ip : "";

	rh__jw_key(w, "raylet");
	rh__jw_obj(w);
	rh__jw_kstr(w, "nodeId", n->node_id);
	rh__jw_kbool(w, "isHeadNode", n->is_head);
	rh__jw_kstr(w, "state", view_state(v));
	rh__jw_kstr(w, "stateMessage", r ? r->state_message : NULL);
	rh__jw_kstr(w, "nodeManagerAddress", ip);
	rh__jw_kstr(w, "nodeManagerHostname", n->hostname ? n->hostname : "");
	/* port, pid and host name: what the raylet logged at its start
	 * (logs/raylet.out, index_session.c), 0 / the IP when not captured */
	rh__jw_kint(w, "nodeManagerPort", r ? r->node_manager_port : 0);
	rh__jw_kstr(w, "nodeName", r && r->node_name ? r->node_name : ip);
	rh__jw_kstr(w, "instanceId", r && r->instance_id ? r->instance_id : "");
	rh__jw_kstr(w, "instanceTypeName",
	            r && r->instance_type_name ? r->instance_type_name : "");
	rh__jw_kint(w, "numWorkers", nworkers);
	rh__jw_kint(w, "pid", r ? r->raylet_pid : 0);
	rh__jw_kint(w, "brpcPort", 0);
	ms_field(w, "startTime", r ? r->start_time_ns : RH_TIME_NONE, 0);
	ms_field(w, "startTimeMs", r ? r->start_time_ns : RH_TIME_NONE, 0);
	ms_field(w, "terminateTime",
	         r && r->state == RH_NODE_DEAD ? r->end_time_ns : RH_TIME_NONE,
	         -1);
	ms_field(w, "endTimeMs",
	         r && r->state == RH_NODE_DEAD ? r->end_time_ns : RH_TIME_NONE,
	         0);
	if (res)
		json_object_object_get_ex(res, "object_store_memory", &osm);
	rh__jw_kint(w, "objectStoreAvailableMemory",
	            osm ? (int64_t)json_object_get_double(osm) : 0);
	rh__jw_kint(w, "objectStoreUsedMemory", 0);
	rh__jw_key(w, "resourcesTotal");
	if (res)
		rh__jw_json(w, res, 1);
	else
		rh__jw_raw(w, "{}");
	rh__jw_key(w, "labels");
	rh__jw_json_text(w, r ? r->labels : NULL, 0, "{}");
	raylet_files(w, n->raylet, r, osm);
	if (r && r->state == RH_NODE_DEAD) {
		rh__jw_key(w, "deathInfo");
		rh__jw_obj(w);
		rh__jw_kstr(w, "reason", r->death_reason);
		rh__jw_kstr(w, "reasonMessage", r->death_reason_message);
		rh__jw_end(w);
	}
	rh__jw_end(w);
	json_object_put(res);
}

/* One NodeDetail object; the caller closes it (detail adds fields). */
static void
node_detail_open(rh__jw *w, const node_view *v, int64_t now_ms, int nworkers)
{
	const rh_node_row *r = v->has_row ? &v->row : NULL;
	const char *ip = v->n->ip        ? v->n->ip :
	                 r && r->node_ip ? r->node_ip :
	                                   "";
	rh_buf lr = RH_BUF_INIT;
	json_object *res = r && r->resources_total ?
	                           json_tokener_parse(r->resources_total) :
	                           NULL;

	rh__jw_obj(w);
	rh__jw_key(w, "now");
	rh__jw_num(w, (double)now_ms / 1000.0);
	rh__jw_kstr(w, "hostname", v->n->hostname ? v->n->hostname : ip);
	rh__jw_kstr(w, "ip", ip);
	rh__jw_key(w, "cpu");
	rh__jw_num(w, 0);
	/* No cpus, mem or disk: Ray leaves them out of a node its reporter
	 * agent gave no statistics for (node_physical_stats {}), and the
	 * client then leaves those cells empty; zeros drew 0B/0B bars and
	 * NaN% for every worker and actor. */
	rh__jw_kint(w, "shm", 0);
	rh__jw_key(w, "bootTime");
	rh__jw_num(w, r && r->start_time_ns > 0 ?
	                      (double)r->start_time_ns / 1e9 :
	                      0);
	rh__jw_key(w, "loadAvg");
	rh__jw_arr(w);
	zeros(w, NULL, 3, 1);
	zeros(w, NULL, 3, 1);
	rh__jw_end(w);
	zeros(w, "networkSpeed", 2, 1);
	rh__jw_key(w, "gpus");
	rh__jw_arr(w);
	rh__jw_end(w);
	rh__jw_key(w, "tpus");
	rh__jw_arr(w);
	rh__jw_end(w);
	rh__jw_kint(w, "logCounts", 0);
	rh__jw_kint(w, "errorCounts", 0);
	rh__jw_key(w, "cmdline");
	rh__jw_arr(w);
	rh__jw_end(w);
	rh__jw_kstr(w, "state", view_state(v));
	if (resource_lines(&lr, res, "\n  ") < 0 && !w->err)
		w->err = RH_ENOMEM;
	rh__jw_kstr(w, "logicalResources", lr.ptr ? lr.ptr : "");
	raylet(w, v, nworkers);
	rh_buf_dispose(&lr);
	json_object_put(res);
}

/* Workers per node (for raylet.numWorkers). */
static int
count_workers(int *counts, const rh_dash_snap *s, int64_t at_ns)
{
	rh_query *q = NULL;
	const rh_row *row;
	const rh_dash_node *n;
	int error;

	if ((error = rh_dashboard__scan(&q, s, RH_ENTITY_WORKER, NULL, 0, 0,
	                                at_ns)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0)
		if ((n = rh_dashboard__node(s, row->u.worker.node_id)))
			counts[n - s->nodes]++;
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

/* What each_node() calls for node i, as it was at the instant asked. */
typedef void (*node_fn)(rh__jw *w, const rh_dash_snap *s, size_t i,
                        const node_view *v, void *payload);

/* Call fn for each node that existed at at_ns (any node without one). */
static int
each_node(rh__jw *w, const rh_dash_snap *s, int64_t at_ns, node_fn fn,
          void *payload)
{
	size_t i;
	int error;

	for (i = 0; i < s->nnodes; i++) {
		rh_query *q = NULL;
		node_view v;

		if ((error = node_row(&q, &v, s, &s->nodes[i], at_ns)) == 0 &&
		    !NOT_YET(&v, at_ns))
			fn(w, s, i, &v, payload);
		rh_query_close(q); /* v's strings live until here */
		if (error < 0)
			return error;
	}
	return 0;
}

struct summary_ctx {
	rh_dash_ctx *c;
	const int *workers;
};

/* A node of the summary: its detail, no actors or workers. */
static void
summary_node(rh__jw *w, const rh_dash_snap *s, size_t i, const node_view *v,
             void *payload)
{
	struct summary_ctx *sc = payload;

	(void)s;
	sc->c->cacheable = 0; /* "now" is the clock */
	node_detail_open(w, v, sc->c->now_ms, sc->workers[i]);
	rh__jw_key(w, "actors");
	rh__jw_obj(w);
	rh__jw_end(w);
	rh__jw_key(w, "workers");
	rh__jw_arr(w);
	rh__jw_end(w);
	rh__jw_end(w);
}

/* nodeLogicalResources' entry of a node: its resources as lines. */
static void
node_resources(rh__jw *w, const rh_dash_snap *s, size_t i, const node_view *v,
               void *payload)
{
	json_object *res;
	rh_buf lr = RH_BUF_INIT;

	(void)payload;
	res = v->has_row && v->row.resources_total ?
	              json_tokener_parse(v->row.resources_total) :
	              NULL;
	if (resource_lines(&lr, res, "\n  ") < 0 && !w->err)
		w->err = RH_ENOMEM;
	rh__jw_kstr(w, s->nodes[i].node_id, lr.ptr ? lr.ptr : "");
	rh_buf_dispose(&lr);
	json_object_put(res);
}

static int
summary(rh_dash_ctx *c)
{
	const rh_dash_snap *s = c->snap;
	struct summary_ctx sc = { c, NULL };
	int *workers = NULL;
	rh__jw w;
	int error;

	if (!(workers = rh__calloc(s->nnodes + 1, sizeof(*workers))))
		return RH_ENOMEM;
	sc.workers = workers;
	if ((error = count_workers(workers, s, c->at_ns)) < 0)
		goto fail;
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "Node summary fetched.");
	rh__jw_key(&w, "summary");
	rh__jw_arr(&w);
	if ((error = each_node(&w, s, c->at_ns, summary_node, &sc)) < 0)
		goto fail;
	rh__jw_end(&w);
	rh__jw_key(&w, "nodeLogicalResources");
	rh__jw_obj(&w);
	if ((error = each_node(&w, s, c->at_ns, node_resources, NULL)) < 0)
		goto fail;
	rh_dashboard__envelope_end(&w);
	free(workers);
	return rh_dashboard__reply_jw(c, &w);
fail:
	free(workers);
	rh_buf_clear(&c->resp->body);
	return rh_dashboard__fail_code(c, error);
}

/* hostNameList's entry of a node: alive ones only. */
static void
hostname(rh__jw *w, const rh_dash_snap *s, size_t i, const node_view *v,
         void *payload)
{
	(void)payload;
	if (!strcmp(view_state(v), "ALIVE"))
		rh__jw_str(w, s->nodes[i].hostname ? s->nodes[i].hostname :
		              s->nodes[i].ip       ? s->nodes[i].ip :
		                                     s->nodes[i].node_id);
}

static int
hostnames(rh_dash_ctx *c)
{
	rh__jw w;
	int error;

	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "Node hostname list fetched.");
	rh__jw_key(&w, "hostNameList");
	rh__jw_arr(&w);
	if ((error = each_node(&w, c->snap, c->at_ns, hostname, NULL)) < 0) {
		rh_buf_clear(&c->resp->body);
		return rh_dashboard__fail_code(c, error);
	}
	rh_dashboard__envelope_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

static int
workers_of(rh__jw *w, const rh_dash_snap *s, const rh_dash_node *n,
           int64_t at_ns)
{
	rh_filter f = { "node_id", "=", n->node_id };
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	if ((error = rh_dashboard__scan(&q, s, RH_ENTITY_WORKER, &f, 1, 0,
	                                at_ns)) < 0)
		return error;
	rh__jw_key(w, "workers");
	rh__jw_arr(w);
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_worker_row *r = &row->u.worker;

		rh__jw_obj(w);
		rh__jw_key(w, "pid");
		if (r->pid > 0)
			rh__jw_int(w, r->pid);
		else
			rh__jw_null(w);
		rh__jw_key(w, "createTime");
		rh__jw_num(w, r->start_time_ns > 0 ?
		                      (double)r->start_time_ns / 1e9 :
		                      0);
		rh__jw_key(w, "cpuPercent");
		rh__jw_num(w, 0);
		rh__jw_key(w, "cmdline");
		rh__jw_arr(w);
		rh__jw_str(w,
		           r->worker_type && !strcmp(r->worker_type, "DRIVER") ?
		                   "ray::driver" :
		                   "ray::IDLE");
		rh__jw_end(w);
		rh__jw_key(w, "memoryInfo");
		rh__jw_obj(w);
		rh__jw_kint(w, "rss", 0);
		rh__jw_kint(w, "vms", 0);
		rh__jw_end(w);
		rh__jw_key(w, "cpuTimes");
		rh__jw_obj(w);
		rh__jw_key(w, "user");
		rh__jw_num(w, 0);
		rh__jw_key(w, "system");
		rh__jw_num(w, 0);
		rh__jw_end(w);
		rh__jw_kstr(w, "language", "PYTHON");
		rh__jw_kstr(w, "hostname", n->hostname ? n->hostname : "");
		rh__jw_kstr(w, "ip", r->ip ? r->ip : n->ip);
		rh__jw_kbool(w, "isAlive", r->is_alive > 0);
		rh__jw_kstr(w, "workerType", r->worker_type);
		rh__jw_kstr(w, "exitType", r->exit_type);
		rh__jw_kstr(w, "exitDetail", r->exit_detail);
		rh__jw_key(w, "coreWorkerStats");
		rh__jw_arr(w);
		rh__jw_obj(w);
		rh__jw_kstr(w, "workerId", r->worker_id);
		rh__jw_kstr(w, "ipAddress", r->ip ? r->ip : n->ip);
		rh__jw_kint(w, "port", 0);
		rh__jw_kint(w, "numExecutedTasks", 0);
		rh__jw_kint(w, "numPendingTasks", 0);
		rh__jw_kint(w, "numObjectRefsInScope", 0);
		rh__jw_kint(w, "numInPlasma", 0);
		rh__jw_kint(w, "numLocalObjects", 0);
		rh__jw_kint(w, "usedObjectStoreMemory", 0);
		rh__jw_end(w);
		rh__jw_end(w);
		rh__jw_end(w);
	}
	rh__jw_end(w);
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

static int
detail(rh_dash_ctx *c, const char *id)
{
	const rh_dash_snap *s = c->snap;
	const rh_dash_node *n;
	rh_filter f = { "node_id", "=", id };
	rh_query *q = NULL;
	node_view v;
	rh__jw w;
	int error, nworkers, *workers = NULL;

	if ((error = rh_dashboard__check_id("node id", id)) < 0)
		return rh_dashboard__fail_code(c, error);
	if (!(n = rh_dashboard__node(s, id)))
		return rh_dashboard__fail(c, 404, "node %s not found", id);
	/* raylet.numWorkers as in the summary: the Raylet tab shows it */
	if (!(workers = rh__calloc(s->nnodes + 1, sizeof(*workers))))
		return RH_ENOMEM;
	error = count_workers(workers, s, c->at_ns);
	nworkers = workers[n - s->nodes];
	free(workers);
	if (error < 0 || (error = node_row(&q, &v, s, n, c->at_ns)) < 0)
		goto fail;
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "Node details fetched.");
	rh__jw_key(&w, "detail");
	c->cacheable = 0; /* "now" is the clock */
	node_detail_open(&w, &v, c->now_ms, nworkers);
	rh__jw_key(&w, "actors");
	rh__jw_obj(&w);
	if ((error = rh_dashboard__actor_map(&w, s, &f, 1, c->at_ns)) < 0)
		goto fail;
	rh__jw_end(&w);
	if ((error = workers_of(&w, s, n, c->at_ns)) < 0)
		goto fail;
	rh_dashboard__envelope_end(&w);
	rh_query_close(q);
	return rh_dashboard__reply_jw(c, &w);
fail:
	rh_query_close(q);
	rh_buf_clear(&c->resp->body);
	return rh_dashboard__fail_code(c, error);
}

int
rh_dashboard__nodes(rh_dash_ctx *c)
{
	static const char *const views[] = { "summary", "hostNameList", NULL };
	int view, error;

	if (c->nsegs == 2)
		return detail(c, c->segs[1]);
	if ((error = rh_dashboard__param_enum(&view, c->url, "view", views,
	                                      0)) < 0)
		return rh_dashboard__fail_code(c, error);
	return view == 0 ? summary(c) : hostnames(c);
}

/* ---- /api/cluster_status ------------------------------------------------------ */

static int
add_resources(json_object *sum, const char *text)
{
	json_object *res = text ? json_tokener_parse(text) : NULL;

	if (!res)
		return 0;
	if (json_object_is_type(res, json_type_object)) {
		json_object_object_foreach(res, k, v)
		{
			json_object *cur;
			double add = json_object_get_double(v);

			if (json_object_object_get_ex(sum, k, &cur))
				add += json_object_get_double(cur);
			json_object_object_add(sum, k,
			                       json_object_new_double(add));
		}
	}
	json_object_put(res);
	return 0;
}

/* What status_text adds up over the nodes. */
typedef struct {
	json_object *sum;     /* resources of the nodes alive */
	json_object *sum_all; /* resources of every node */
	rh_buf fail;          /* the lines of "Recent failures" */
	size_t alive, failed;
} status_tally;

/* The title line, at `at_ns` or the session's last time, and the head of
 * the node list. */
static int
status_head(rh_buf *b, const rh_dash_snap *s, int64_t at_ns)
{
	int64_t when = s->has_info ? (s->info.end_ms ? s->info.end_ms :
	                                               s->info.updated_ms) :
	                             0;
	int error;

	if (at_ns != RH_TIME_NONE)
		when = at_ns >= 0 ? at_ns / 1000000 : 0;
	if (when > 0) {
		time_t t = (time_t)(when / 1000);
		struct tm tm;
		char ts[32];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		error = rh_buf_printf(b,
		                      "======== Autoscaler status: %s.%06d "
		                      "========\n",
		                      ts, (int)(when % 1000) * 1000);
	} else {
		error = rh_buf_puts(b,
		                    "======== Autoscaler status: time unknown "
		                    "========\n");
	}
	if (error < 0)
		return error;
	return rh_buf_puts(
		b,
		"Node status\n"
		"---------------------------------------------------------------\n"
		"Active:\n");
}

/* One line per node alive into b, one per node failed into t->fail, and
 * their resources into t's sums. */
static int
status_nodes(rh_buf *b, status_tally *t, const rh_dash_snap *s, int64_t at_ns)
{
	size_t i;
	int error = 0;

	for (i = 0; i < s->nnodes && !error; i++) {
		rh_query *q = NULL;
		node_view v;

		if ((error = node_row(&q, &v, s, &s->nodes[i], at_ns)) < 0) {
			rh_query_close(q);
			return error;
		}
		if (NOT_YET(&v, at_ns)) {
			rh_query_close(q);
			continue;
		}
		if (v.has_row)
			add_resources(t->sum_all, v.row.resources_total);
		if (!strcmp(view_state(&v), "ALIVE")) {
			t->alive++;
			if (v.has_row)
				add_resources(t->sum, v.row.resources_total);
			error = rh_buf_printf(b, " 1 node_%s\n",
			                      s->nodes[i].node_id);
		} else if (!v.row.death_reason ||
		           (strcmp(v.row.death_reason,
		                   "EXPECTED_TERMINATION") &&
		            strcmp(v.row.death_reason,
		                   "AUTOSCALER_DRAIN_IDLE"))) {
			t->failed++;
			error = rh_buf_printf(
				&t->fail, " node_%s: NodeTerminated (ip: %s)\n",
				s->nodes[i].node_id,
				s->nodes[i].ip ? s->nodes[i].ip : "unknown");
		}
		rh_query_close(q);
	}
	return error;
}

/* The rest: failures and the resources' totals; nothing is pending. */
static int
status_tail(rh_buf *b, const status_tally *t)
{
	int error;

	if ((!t->alive &&
	     (error = rh_buf_puts(b, " (no active nodes)\n")) < 0) ||
	    (error = rh_buf_puts(
		     b, "Idle:\n (no idle nodes)\nPending:\n (no pending "
			"nodes)\nRecent failures:\n")) < 0 ||
	    (error = rh_buf_puts(b, t->failed ? t->fail.ptr :
	                                        " (no failures)\n")) < 0 ||
	    (error = rh_buf_puts(
		     b,
		     "\nResources\n"
		     "---------------------------------------------------------------\n"
		     "Usage:\n ")) < 0 ||
	    (error = resource_lines(b, t->alive ? t->sum : t->sum_all, "\n ")) <
	            0 ||
	    (error = rh_buf_puts(b, "\n\nDemands:\n (no resource demands)\n")) <
	            0)
		return error;
	return 0;
}

/* The text `ray status` prints, from what was captured: nodes alive at the
 * end, dead ones as failures unless they ended on purpose, total resources.
 * Usage and pending demands are not known after the fact. */
static int
status_text(rh_buf *b, const rh_dash_snap *s, int64_t at_ns)
{
	status_tally t = { json_object_new_object(), json_object_new_object(),
		           RH_BUF_INIT, 0, 0 };
	int error;

	if (!t.sum || !t.sum_all)
		error = rh__error(RH_ENOMEM, "out of memory");
	else if ((error = status_head(b, s, at_ns)) >= 0 &&
	         (error = status_nodes(b, &t, s, at_ns)) >= 0)
		error = status_tail(b, &t);
	json_object_put(t.sum);
	json_object_put(t.sum_all);
	rh_buf_dispose(&t.fail);
	return error;
}

int
rh_dashboard__cluster_status(rh_dash_ctx *c)
{
	const char *fmt = rh_dashboard_url_param(c->url, "format");
	rh_buf text = RH_BUF_INIT;
	int formatted = 0, error;
	rh__jw w;

	if (fmt &&
	    (error = rh_dashboard__parse_bool(&formatted, "format", fmt)) < 0)
		return rh_dashboard__fail_code(c, error);
	rh__jw_init(&w, &c->resp->body);
	if (!formatted) {
		rh_dashboard__envelope_begin(&w, "Got cluster status.");
		rh__jw_knull(&w, "autoscalingStatus");
		rh__jw_knull(&w, "autoscalingError");
		rh__jw_knull(&w, "clusterStatus");
		rh_dashboard__envelope_end(&w);
		return rh_dashboard__reply_jw(c, &w);
	}
	if ((error = status_text(&text, c->snap, c->at_ns)) < 0) {
		rh_buf_dispose(&text);
		return rh_dashboard__fail_code(c, error);
	}
	rh_dashboard__envelope_begin(&w, "Got formatted cluster status.");
	rh__jw_kstr(&w, "clusterStatus", text.ptr);
	rh_dashboard__envelope_end(&w);
	rh_buf_dispose(&text);
	return rh_dashboard__reply_jw(c, &w);
}
