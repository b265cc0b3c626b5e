/* dashboard_actors.c - /logical/actors and /logical/actors/ID: Ray's
 * ActorDetail objects (camelCase keys, resources not camel-cased) built from
 * the index's actor rows (reference/ray-formats.md §2.4, §3.9). */
#include "dashboard_routes.h"

#include <stdio.h>

static void
ms_or_null(rh__jw *w, const char *k, int64_t ns)
{
	int64_t ms = rh_dashboard__ms(ns);

	rh__jw_key(w, k);
	if (ms < 0)
		rh__jw_null(w);
	else
		rh__jw_int(w, ms);
}

/* ActorDetail.address: where the actor's worker ran. */
static void
actor_address(rh__jw *w, const rh_actor_row *a, const char *ip)
{
	rh__jw_key(w, "address");
	rh__jw_obj(w);
	rh__jw_kstr(w, "rayletId", a->node_id ? a->node_id : "");
	rh__jw_kstr(w, "nodeId", a->node_id ? a->node_id : "");
	rh__jw_kstr(w, "ipAddress", ip ? ip : "");
	rh__jw_kint(w, "port", 0);
	rh__jw_kstr(w, "workerId", a->worker_id ? a->worker_id : "");
	rh__jw_end(w);
}

/* ActorDetail.processStats: what a live worker would report, empty. */
static void
actor_process_stats(rh__jw *w, const rh_actor_row *a)
{
	/* No "mem" (optional in ActorDetail): with no node statistics the
	 * client then leaves the Memory cell empty; [] drew "/(NaN%)". */
	rh__jw_key(w, "processStats");
	rh__jw_obj(w);
	rh__jw_key(w, "cmdline");
	rh__jw_arr(w);
	rh__jw_end(w);
	rh__jw_key(w, "cpuPercent");
	rh__jw_num(w, 0);
	rh__jw_key(w, "cpuTimes");
	rh__jw_obj(w);
	rh__jw_end(w);
	rh__jw_key(w, "createTime");
	if (a->start_time_ns != RH_TIME_NONE && a->start_time_ns > 0)
		rh__jw_num(w, (double)a->start_time_ns / 1e9);
	else
		rh__jw_num(w, 0);
	rh__jw_key(w, "memoryInfo");
	rh__jw_obj(w);
	rh__jw_end(w);
	rh__jw_key(w, "pid");
	if (a->pid > 0)
		rh__jw_int(w, a->pid);
	else
		rh__jw_null(w);
	rh__jw_end(w);
}

/* Ray's ActorDetail; `ip` fills address.ipAddress when the row lacks it. */
void
rh_dashboard__actor_json(rh__jw *w, const rh_dash_snap *s,
                         const rh_actor_row *a)
{
	const rh_dash_node *n = rh_dashboard__node(s, a->node_id);
	const char *ip = a->ip_address ? a->ip_address : n ? n->ip : NULL;
	int64_t last = RH_TIME_NONE;
	char restarts[32];

	if (a->ntransitions)
		last = a->transitions[a->ntransitions - 1].time_ns;
	snprintf(restarts, sizeof(restarts), "%lld",
	         (long long)(a->num_restarts > 0 ? a->num_restarts : 0));
	rh__jw_obj(w);
	rh__jw_kstr(w, "actorId", a->actor_id);
	rh__jw_kstr(w, "jobId", a->job_id);
	rh__jw_kstr(w, "placementGroupId", a->placement_group_id);
	rh__jw_kstr(w, "state",
	            a->state >= 0 ? rh_actor_state_name(a->state) :
	                            "DEPENDENCIES_UNREADY");
	rh__jw_key(w, "pid");
	if (a->pid > 0)
		rh__jw_int(w, a->pid);
	else
		rh__jw_null(w);
	actor_address(w, a, ip);
	rh__jw_kstr(w, "name", a->name ? a->name : "");
	rh__jw_kstr(w, "numRestarts", restarts);
	rh__jw_kstr(w, "actorClass", a->class_name ? a->class_name : "");
	rh__jw_kstr(w, "className", a->class_name ? a->class_name : "");
	ms_or_null(w, "startTime", a->start_time_ns);
	ms_or_null(w, "endTime",
	           a->state == RH_ACTOR_DEAD ? a->end_time_ns : RH_TIME_NONE);
	rh__jw_key(w, "requiredResources");
	rh__jw_json_text(w, a->required_resources, 0, "{}");
	rh__jw_kstr(w, "exitDetail",
	            a->exit_detail && *a->exit_detail ? a->exit_detail : "-");
	rh__jw_kstr(w, "reprName", a->repr_name ? a->repr_name : "");
	rh__jw_kstr(w, "callSite", a->call_site ? a->call_site : "");
	rh__jw_key(w, "labelSelector");
	rh__jw_json_text(w, a->label_selector, 0, "{}");
	rh__jw_kstr(w, "rayNamespace", a->ray_namespace);
	rh__jw_kbool(w, "isDetached", a->is_detached > 0);
	ms_or_null(w, "timestamp", last);
	rh__jw_key(w, "deathCause");
	rh__jw_json_text(w, a->death_cause, 1, "null");
	rh__jw_kstr(w, "workerId", a->worker_id ? a->worker_id : "");
	rh__jw_kint(w, "numPendingTasks", 0);
	rh__jw_kint(w, "taskQueueLength", 0);
	rh__jw_kint(w, "numExecutedTasks", 0);
	rh__jw_kint(w, "numInPlasma", 0);
	rh__jw_kint(w, "numLocalObjects", 0);
	rh__jw_kint(w, "numObjectRefsInScope", 0);
	rh__jw_kstr(w, "actorConstructor", "Unknown actor constructor");
	rh__jw_key(w, "gpus");
	rh__jw_arr(w);
	rh__jw_end(w);
	actor_process_stats(w, a);
	rh__jw_end(w);
}

/* Write "actorId": {...} pairs of every actor matching `filter` (NULL: all)
 * into an object already open. */
int
rh_dashboard__actor_map(rh__jw *w, const rh_dash_snap *s, const rh_filter *f,
                        size_t nf, int64_t at_ns)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	/* detail: transitions give "timestamp" */
	if ((error = rh_dashboard__scan(&q, s, RH_ENTITY_ACTOR, f, nf, 1,
	                                at_ns)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0 && !w->err) {
		rh__jw_key(w, row->u.actor.actor_id);
		rh_dashboard__actor_json(w, s, &row->u.actor);
	}
	rh_query_close(q);
	if (error == RH_ITEROVER)
		error = 0;
	return error < 0 ? error : w->err;
}

static int
actor_list(rh_dash_ctx *c)
{
	const char *ids = rh_dashboard_url_param(c->url, "ids");
	rh__jw w;
	int error = 0;

	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "All actors fetched.");
	rh__jw_key(&w, "actors");
	rh__jw_obj(&w);
	if (ids && *ids) {
		rh_buf one = RH_BUF_INIT;
		const char *p = ids;

		while (*p && !error) {
			size_t n = strcspn(p, ",");
			rh_filter f = { "actor_id", "=", NULL };

			rh_buf_clear(&one);
			if ((error = rh_buf_put(&one, p, n)) < 0)
				break;
			if (n && (error = rh_dashboard__check_id("ids",
			                                         one.ptr)) < 0)
				break;
			f.value = one.ptr;
			if (n)
				error = rh_dashboard__actor_map(&w, c->snap, &f,
				                                1, c->at_ns);
			p += n + (p[n] == ',');
		}
		rh_buf_dispose(&one);
	} else {
		error = rh_dashboard__actor_map(&w, c->snap, NULL, 0, c->at_ns);
	}
	if (error < 0) {
		rh_buf_clear(&c->resp->body);
		return rh_dashboard__fail_code(c, error);
	}
	rh_dashboard__envelope_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

static int
actor_detail(rh_dash_ctx *c, const char *id)
{
	rh_filter f = { "actor_id", "=", id };
	rh_query *q = NULL;
	const rh_row *row;
	rh__jw w;
	int error;

	if ((error = rh_dashboard__check_id("actor id", id)) < 0)
		return rh_dashboard__fail_code(c, error);
	if ((error = rh_dashboard__find(&q, &row, c->snap, RH_ENTITY_ACTOR, &f,
	                                c->at_ns)) < 0) {
		if (error == RH_ITEROVER)
			return rh_dashboard__fail(c, 404, "Actor %s not found",
			                          id);
		return rh_dashboard__fail_code(c, error);
	}
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "Actor details fetched.");
	rh__jw_key(&w, "detail");
	rh_dashboard__actor_json(&w, c->snap, &row->u.actor);
	rh_dashboard__envelope_end(&w);
	rh_query_close(q);
	return rh_dashboard__reply_jw(c, &w);
}

int
rh_dashboard__actors(rh_dash_ctx *c)
{
	if (c->nsegs == 2)
		return actor_list(c);
	return actor_detail(c, c->segs[2]);
}
