/* events_rayevent.c - RayEvents as Ray's dashboard aggregator agent posts
 * them (reference/ray-formats.md §4c): lowerCamelCase or snake_case protobuf
 * JSON, ids in base64, RFC 3339 times, int64 values as strings. */
#include "internal.h"
#include "events_internal.h"

#include <strings.h>

#define GET(o, c, s) JGET(p, (o), (c), (s))

typedef int (*payload_fn)(rh_event_parser *p, rh_event *ev, rh_jv pl,
                          int variant);

/* Known payload members, camelCase; snake_case spellings match too. */
static const char *const task_def_fields[] = {
	"taskId",
	"taskAttempt",
	"taskType",
	"language",
	"taskFunc",
	"taskName",
	"requiredResources",
	"runtimeEnvInfo",
	"jobId",
	"parentTaskId",
	"placementGroupId",
	"refIds",
	"serializedRuntimeEnv",
	"callSite",
	"labelSelector",
	"actorFunc",
	"actorTaskName",
	"actorId",
	NULL,
};
static const char *const task_life_fields[] = {
	"taskId",
	"taskAttempt",
	"stateTransitions",
	"rayErrorInfo",
	"nodeId",
	"workerId",
	"workerPid",
	"jobId",
	"isDebuggerPaused",
	"actorReprName",
	"taskLogInfo",
	"taskState",
	NULL,
};
static const char *const task_prof_fields[] = {
	"taskId", "attemptNumber", "taskAttempt",
	"jobId",  "profileEvents", NULL,
};
static const char *const job_def_fields[] = {
	"jobId",      "submissionId", "driverPid",           "driverNodeId",
	"entrypoint", "config",       "driverNodeIpAddress", NULL,
};
static const char *const job_life_fields[] = {
	"jobId",
	"stateTransitions",
	NULL,
};
static const char *const node_def_fields[] = {
	"nodeId",           "nodeIpAddress",
	"labels",           "startTimestamp",
	"instanceTypeName", "instanceId",
	"hostname",         "nodeName",
	"isHeadNode",       NULL,
};
static const char *const node_life_fields[] = {
	"nodeId",
	"stateTransitions",
	NULL,
};
static const char *const actor_def_fields[] = {
	"actorId",          "jobId",
	"isDetached",       "name",
	"rayNamespace",     "serializedRuntimeEnv",
	"className",        "requiredResources",
	"placementGroupId", "labelSelector",
	"callSite",         "parentId",
	"reprName",         NULL,
};
static const char *const actor_life_fields[] = {
	"actorId",
	"stateTransitions",
	NULL,
};
static const char *const pg_def_fields[] = {
	"placementGroupId", "name",    "creatorJobId",
	"strategy",         "bundles", "isDetached",
	"rayNamespace",     "state",   NULL,
};
static const char *const pg_life_fields[] = {
	"placementGroupId",
	"stateTransitions",
	NULL,
};

/* `key` is `camel` or its snake_case spelling. */
static int
key_matches(const char *k, const char *camel)
{
	for (;;) {
		char c = *camel;

		if (c >= 'A' && c <= 'Z') {
			if (*k == c) {
				k++, camel++;
				continue;
			}
			if (k[0] == '_' && k[1] == c + 32) {
				k += 2, camel++;
				continue;
			}
			return 0;
		}
		if (*k != c)
			return 0;
		if (!c)
			return 1;
		k++, camel++;
	}
}

static void
count_unknown(rh_event_parser *p, rh_jv pl, const char *const *known)
{
	rh_jv key;

	/* Every member was read by a getter: nothing to look for. */
	if (JCOUNT(p, pl) <= p->pl_hits)
		return;

	for (key = JFIRST(p, pl); key != JNONE; key = JNEXTKEY(p, pl, key)) {
		const char *const *k;

		for (k = known; *k; k++)
			if (key_matches(JSTR(p, key), *k))
				break;
		if (!*k)
			p->stats.unknown_fields++;
	}
}

/* The record is read: name its kind, count the members no reader asked
 * for, and hand it on. */
static int
finish(rh_event_parser *p, rh_event *ev, rh_jv pl, rh_event_kind kind,
       const char *const *known)
{
	ev->kind = kind;
	count_unknown(p, pl, known);
	return rh_events__emit(p, ev);
}

/* *out = b's text in the arena, unless error; b is disposed of. */
static int
keep(rh_event_parser *p, const char **out, rh_buf *b, int error)
{
	if (!error && !(*out = rh_arena_strndup(&p->arena, b->ptr, b->size)))
		error = RH_ENOMEM;
	rh_buf_dispose(b);
	return error;
}

/* The members every task record starts with: its id, attempt (in member
 * `attempt`, named `attempt_name`) and job. */
static int
task_start(rh_event_parser *p, rh_event_task *t, rh_jv pl, rh_jv attempt,
           const char *attempt_name)
{
	int64_t n = 0;
	int error;

	rh_events__task_init(t);
	TRY(rh_events__require_id(p, &t->task_id, pl, "taskId", "task_id"));
	TRY(rh_events__int(p, &n, attempt, attempt_name));
	t->attempt = (int32_t)n;
	return rh_events__id(p, &t->job_id, GET(pl, "jobId", "job_id"), "jobId",
	                     0);
}

/* A serialized runtime env string as the JSON Ray's state API shows for
 * runtime_env_info: {"serialized_runtime_env": "..."}. */
static int
runtime_env_info(rh_event_parser *p, const char **out, rh_jv info,
                 rh_jv serialized)
{
	rh_buf b = RH_BUF_INIT;
	const char *s = NULL;
	int error;

	if (info && JIS(p, info, RH_J_OBJECT))
		return rh_events__json(p, out, info, 1);
	TRY(rh_events__str(p, &s, serialized ? serialized : info,
	                   "serializedRuntimeEnv"));
	if (!s)
		return 0;
	if (!(error = rh_buf_puts(&b, "{\"serialized_runtime_env\":")) &&
	    !(error = rh__json_str(&b, s)))
		error = rh_buf_puts(&b, "}");
	return keep(p, out, &b, error);
}

static int
task_def(rh_event_parser *p, rh_event *ev, rh_jv pl, int actor)
{
	rh_event_task *t = &ev->u.task;
	int error;

	TRY(task_start(p, t, pl, GET(pl, "taskAttempt", "task_attempt"),
	               "taskAttempt"));
	TRY(rh_events__str(p, &t->language, GET(pl, "language", "language"),
	                   "language"));
	if (actor) {
		t->type = RH_TASK_TYPE_ACTOR_TASK;
		t->func_or_class_name = rh_events__func_name(
			p, GET(pl, "actorFunc", "actor_func"));
		TRY(rh_events__str(p, &t->name,
		                   GET(pl, "actorTaskName", "actor_task_name"),
		                   "actorTaskName"));
		TRY(rh_events__id(p, &t->actor_id,
		                  GET(pl, "actorId", "actor_id"), "actorId",
		                  1));
	} else {
		int type = rh_events__enum(p, GET(pl, "taskType", "task_type"),
		                           rh_events__task_type_names,
		                           RH_TASK_TYPE_COUNT);
		t->type = type > 0 ? type : RH_TASK_TYPE_NORMAL_TASK;
		t->func_or_class_name = rh_events__func_name(
			p, GET(pl, "taskFunc", "task_func"));
		TRY(rh_events__str(p, &t->name,
		                   GET(pl, "taskName", "task_name"),
		                   "taskName"));
		TRY(rh_events__id(p, &t->actor_id,
		                  GET(pl, "actorId", "actor_id"), "actorId",
		                  1));
	}
	if (p->line_bad)
		return RH_EINVAL;
	TRY(rh_events__resources(
		p, &t->required_resources,
		GET(pl, "requiredResources", "required_resources"),
		"requiredResources"));
	TRY(runtime_env_info(
		p, &t->runtime_env,
		GET(pl, "runtimeEnvInfo", "runtime_env_info"),
		GET(pl, "serializedRuntimeEnv", "serialized_runtime_env")));
	TRY(rh_events__id(p, &t->parent_task_id,
	                  GET(pl, "parentTaskId", "parent_task_id"),
	                  "parentTaskId", 0));
	TRY(rh_events__id(p, &t->placement_group_id,
	                  GET(pl, "placementGroupId", "placement_group_id"),
	                  "placementGroupId", 1));
	TRY(rh_events__str(p, &t->call_site, GET(pl, "callSite", "call_site"),
	                   "callSite"));
	TRY(rh_events__json(p, &t->label_selector,
	                    GET(pl, "labelSelector", "label_selector"), 0));
	return finish(p, ev, pl, RH_EVENT_TASK_DEFINITION, task_def_fields);
}

/* stateTransitions[] of any entity; `state_of` maps a state member to the
 * entity's enum (-1: unknown state, skipped); `extra` reads the rest. */
typedef int (*state_fn)(rh_event_parser *p, rh_jv v);
typedef int (*extra_fn)(rh_event_parser *p, rh_event_transition *t, rh_jv o);

static int
transitions(rh_event_parser *p, const rh_event_transition **out, size_t *nout,
            rh_jv arr, state_fn state_of, extra_fn extra)
{
	rh_event_transition *t;
	size_t n, k = 0;
	rh_jv o;
	int error;

	*out = NULL;
	*nout = 0;
	if (arr == JNONE)
		return 0;
	if (!JIS(p, arr, RH_J_ARRAY))
		return rh_events__bad(p,
		                      "\"stateTransitions\" is not an array");
	n = JCOUNT(p, arr);
	if (!(t = rh_events__transitions(p, n)))
		return RH_ENOMEM;
	for (o = JFIRST(p, arr); o != JNONE; o = JNEXT(p, arr, o)) {
		int st;

		if (!JIS(p, o, RH_J_OBJECT))
			return rh_events__bad(
				p, "a state transition is not an object");
		st = state_of(p, GET(o, "state", "state"));
		if (st < 0) {
			p->stats.unknown_fields++;
			continue;
		}
		t[k].state = st;
		TRY(rh_events__time(p, &t[k].time_ns,
		                    GET(o, "timestamp", "timestamp"),
		                    "timestamp"));
		if (extra)
			TRY(extra(p, &t[k], o));
		k++;
	}
	*out = t;
	*nout = k;
	return 0;
}

/* A *LifecycleEvent: the entity's id and its stateTransitions[]. */
struct life {
	const char *id_camel, *id_snake;
	state_fn state_of;
	extra_fn extra;
	rh_event_kind kind;
	const char *const *known;
};

static int
lifecycle(rh_event_parser *p, rh_event *ev, rh_jv pl, const char **id,
          const rh_event_transition **tr, size_t *ntr, const struct life *how)
{
	int error;

	TRY(rh_events__require_id(p, id, pl, how->id_camel, how->id_snake));
	TRY(transitions(p, tr, ntr,
	                GET(pl, "stateTransitions", "state_transitions"),
	                how->state_of, how->extra));
	return finish(p, ev, pl, how->kind, how->known);
}

static int
task_state_of(rh_event_parser *p, rh_jv v)
{
	return rh_events__enum(p, v, rh_events__task_state_names,
	                       RH_TASK_STATE_COUNT);
}

static int
error_info(rh_event_parser *p, rh_event_task *t, rh_jv ei)
{
	const char *msg = NULL;
	int error;

	if (ei == JNONE)
		return 0;
	if (!JIS(p, ei, RH_J_OBJECT))
		return rh_events__bad(p, "\"rayErrorInfo\" is not an object");
	TRY(rh_events__str(p, &t->error_type,
	                   GET(ei, "errorType", "error_type"), "errorType"));
	TRY(rh_events__str(p, &msg, GET(ei, "errorMessage", "error_message"),
	                   "errorMessage"));
	t->error_message = rh_events__strip_ansi(p, msg);
	return 0;
}

static int
task_life(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_task *t = &ev->u.task;
	rh_jv v;
	int error;

	(void)variant;
	TRY(task_start(p, t, pl, GET(pl, "taskAttempt", "task_attempt"),
	               "taskAttempt"));
	if ((v = GET(pl, "stateTransitions", "state_transitions")) != JNONE)
		TRY(transitions(p, &t->transitions, &t->ntransitions, v,
		                task_state_of, NULL));
	else if ((v = GET(pl, "taskState", "task_state")) != JNONE)
		TRY(rh_events__state_map(p, t, v, 0));
	TRY(error_info(p, t, GET(pl, "rayErrorInfo", "ray_error_info")));
	TRY(rh_events__id(p, &t->node_id, GET(pl, "nodeId", "node_id"),
	                  "nodeId", 1));
	TRY(rh_events__id(p, &t->worker_id, GET(pl, "workerId", "worker_id"),
	                  "workerId", 1));
	TRY(rh_events__int(p, &t->worker_pid,
	                   GET(pl, "workerPid", "worker_pid"), "workerPid"));
	if (t->worker_pid == 0)
		t->worker_pid = -1; /* proto default: not set */
	TRY(rh_events__bool(p, &t->is_debugger_paused,
	                    GET(pl, "isDebuggerPaused", "is_debugger_paused"),
	                    "isDebuggerPaused"));
	TRY(rh_events__str(p, &t->actor_repr_name,
	                   GET(pl, "actorReprName", "actor_repr_name"),
	                   "actorReprName"));
	if (t->actor_repr_name && !*t->actor_repr_name)
		t->actor_repr_name = NULL;
	TRY(rh_events__log_info(p, t, GET(pl, "taskLogInfo", "task_log_info"),
	                        0));
	return finish(p, ev, pl, RH_EVENT_TASK_LIFECYCLE, task_life_fields);
}

static int
task_profile(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_task *t = &ev->u.task;
	rh_jv v;
	int error;

	(void)variant;
	if ((v = GET(pl, "attemptNumber", "attempt_number")) == JNONE)
		v = GET(pl, "taskAttempt", "task_attempt");
	TRY(task_start(p, t, pl, v, "attemptNumber"));
	TRY(rh_events__profile(p, t, GET(pl, "profileEvents", "profile_events"),
	                       0));
	return finish(p, ev, pl, RH_EVENT_TASK_PROFILE, task_prof_fields);
}

/* A JSON-holding string (serialized runtime env): its text if it is JSON,
 * else the string as a JSON string. */
static int
json_text_of_string(rh_event_parser *p, const char **out, const char *s)
{
	rh_buf b = RH_BUF_INIT;

	if (!s)
		return 0;
	if (rh_events__is_json(s)) {
		*out = s;
		return 0;
	}
	return keep(p, out, &b, rh__json_str(&b, s));
}

static int
job_def(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_job *j = &ev->u.job;
	rh_jv cfg, md;
	const char *renv = NULL;
	int error;

	(void)variant;
	rh_events__job_init(j);
	TRY(rh_events__require_id(p, &j->job_id, pl, "jobId", "job_id"));
	TRY(rh_events__str(p, &j->submission_id,
	                   GET(pl, "submissionId", "submission_id"),
	                   "submissionId"));
	TRY(rh_events__str(p, &j->entrypoint,
	                   GET(pl, "entrypoint", "entrypoint"), "entrypoint"));
	TRY(rh_events__id(p, &j->driver_node_id,
	                  GET(pl, "driverNodeId", "driver_node_id"),
	                  "driverNodeId", 1));
	TRY(rh_events__str(
		p, &j->driver_ip,
		GET(pl, "driverNodeIpAddress", "driver_node_ip_address"),
		"driverNodeIpAddress"));
	TRY(rh_events__int(p, &j->driver_pid,
	                   GET(pl, "driverPid", "driver_pid"), "driverPid"));
	cfg = GET(pl, "config", "config");
	md = GET(cfg, "metadata", "metadata");
	TRY(rh_events__json(p, &j->metadata, md, 0));
	TRY(rh_events__str(
		p, &renv,
		GET(cfg, "serializedRuntimeEnv", "serialized_runtime_env"),
		"serializedRuntimeEnv"));
	TRY(json_text_of_string(p, &j->runtime_env, renv));
	if (!j->submission_id || !*j->submission_id) {
		j->submission_id = NULL;
		TRY(rh_events__str(
			p, &j->submission_id,
			GET(md, "job_submission_id", "job_submission_id"),
			"job_submission_id"));
	}
	if (j->submission_id && !*j->submission_id)
		j->submission_id = NULL;
	return finish(p, ev, pl, RH_EVENT_DRIVER_JOB_DEFINITION,
	              job_def_fields);
}

static int
driver_state_of(rh_event_parser *p, rh_jv v)
{
	return rh_events__enum(p, v, rh_events__driver_state_names,
	                       RH_DRIVER_STATE_COUNT);
}

static int
job_tr_extra(rh_event_parser *p, rh_event_transition *t, rh_jv o)
{
	int error;

	TRY(rh_events__str(p, &t->message, GET(o, "message", "message"),
	                   "message"));
	TRY(rh_events__str(p, &t->reason, GET(o, "errorType", "error_type"),
	                   "errorType"));
	TRY(rh_events__int(p, &t->exit_code, GET(o, "exitCode", "exit_code"),
	                   "exitCode"));
	if (t->message && !*t->message)
		t->message = NULL;
	if (t->reason && !*t->reason)
		t->reason = NULL;
	return 0;
}

static int
job_life(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	static const struct life how = {
		"jobId",
		"job_id",
		driver_state_of,
		job_tr_extra,
		RH_EVENT_DRIVER_JOB_LIFECYCLE,
		job_life_fields,
	};
	rh_event_job *j = &ev->u.job;

	(void)variant;
	rh_events__job_init(j);
	return lifecycle(p, ev, pl, &j->job_id, &j->transitions,
	                 &j->ntransitions, &how);
}

static int
node_def(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_node *n = &ev->u.node;
	int error;

	(void)variant;
	rh_events__node_init(n);
	TRY(rh_events__require_id(p, &n->node_id, pl, "nodeId", "node_id"));
	TRY(rh_events__str(p, &n->node_ip,
	                   GET(pl, "nodeIpAddress", "node_ip_address"),
	                   "nodeIpAddress"));
	TRY(rh_events__json(p, &n->labels, GET(pl, "labels", "labels"), 0));
	TRY(rh_events__time(p, &n->start_ns,
	                    GET(pl, "startTimestamp", "start_timestamp"),
	                    "startTimestamp"));
	TRY(rh_events__str(p, &n->instance_type_name,
	                   GET(pl, "instanceTypeName", "instance_type_name"),
	                   "instanceTypeName"));
	TRY(rh_events__str(p, &n->instance_id,
	                   GET(pl, "instanceId", "instance_id"), "instanceId"));
	TRY(rh_events__str(p, &n->hostname, GET(pl, "hostname", "hostname"),
	                   "hostname"));
	TRY(rh_events__str(p, &n->node_name, GET(pl, "nodeName", "node_name"),
	                   "nodeName"));
	TRY(rh_events__bool(p, &n->is_head_node,
	                    GET(pl, "isHeadNode", "is_head_node"),
	                    "isHeadNode"));
	return finish(p, ev, pl, RH_EVENT_NODE_DEFINITION, node_def_fields);
}

static int
node_state_of(rh_event_parser *p, rh_jv v)
{
	const char *s;

	if (v && JIS(p, v, RH_J_STRING)) {
		s = JSTR(p, v);
		/* NodeLifecycleEvent.State: ALIVE (or IDLE_OR_ACTIVE in one
		 * proto version) and DRAINING are alive, DEAD is dead. */
		if (!strcasecmp(s, "ALIVE") ||
		    !strcasecmp(s, "IDLE_OR_ACTIVE") ||
		    !strcasecmp(s, "DRAINING") || !strcasecmp(s, "IDLE") ||
		    !strcasecmp(s, "ACTIVE"))
			return RH_NODE_ALIVE;
		if (!strcasecmp(s, "DEAD"))
			return RH_NODE_DEAD;
		return -1;
	}
	return rh_events__enum(p, v, rh_events__node_state_names,
	                       RH_NODE_STATE_COUNT);
}

static int
node_tr_extra(rh_event_parser *p, rh_event_transition *t, rh_jv o)
{
	rh_jv di;
	const char *msg = NULL;
	int error;

	TRY(rh_events__resources(p, &t->resources,
	                         GET(o, "resources", "resources"),
	                         "resources"));
	if ((di = GET(o, "deathInfo", "death_info")) != JNONE) {
		TRY(rh_events__str(p, &t->reason, GET(di, "reason", "reason"),
		                   "reason"));
		TRY(rh_events__str(p, &msg,
		                   GET(di, "reasonMessage", "reason_message"),
		                   "reasonMessage"));
		t->message = msg;
	}
	return 0;
}

static int
node_life(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	static const struct life how = {
		"nodeId",
		"node_id",
		node_state_of,
		node_tr_extra,
		RH_EVENT_NODE_LIFECYCLE,
		node_life_fields,
	};
	rh_event_node *n = &ev->u.node;

	(void)variant;
	rh_events__node_init(n);
	return lifecycle(p, ev, pl, &n->node_id, &n->transitions,
	                 &n->ntransitions, &how);
}

static int
actor_def(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_actor *a = &ev->u.actor;
	const char *renv = NULL;
	int error;

	(void)variant;
	rh_events__actor_init(a);
	TRY(rh_events__require_id(p, &a->actor_id, pl, "actorId", "actor_id"));
	TRY(rh_events__id(p, &a->job_id, GET(pl, "jobId", "job_id"), "jobId",
	                  0));
	TRY(rh_events__bool(p, &a->is_detached,
	                    GET(pl, "isDetached", "is_detached"),
	                    "isDetached"));
	TRY(rh_events__str(p, &a->name, GET(pl, "name", "name"), "name"));
	TRY(rh_events__str(p, &a->ray_namespace,
	                   GET(pl, "rayNamespace", "ray_namespace"),
	                   "rayNamespace"));
	TRY(rh_events__str(
		p, &renv,
		GET(pl, "serializedRuntimeEnv", "serialized_runtime_env"),
		"serializedRuntimeEnv"));
	a->runtime_env = renv;
	TRY(rh_events__str(p, &a->class_name,
	                   GET(pl, "className", "class_name"), "className"));
	TRY(rh_events__resources(
		p, &a->required_resources,
		GET(pl, "requiredResources", "required_resources"),
		"requiredResources"));
	TRY(rh_events__id(p, &a->placement_group_id,
	                  GET(pl, "placementGroupId", "placement_group_id"),
	                  "placementGroupId", 1));
	TRY(rh_events__json(p, &a->label_selector,
	                    GET(pl, "labelSelector", "label_selector"), 0));
	TRY(rh_events__str(p, &a->call_site, GET(pl, "callSite", "call_site"),
	                   "callSite"));
	TRY(rh_events__str(p, &a->repr_name, GET(pl, "reprName", "repr_name"),
	                   "reprName"));
	if (a->repr_name && !*a->repr_name)
		a->repr_name = NULL;
	return finish(p, ev, pl, RH_EVENT_ACTOR_DEFINITION, actor_def_fields);
}

static int
actor_state_of(rh_event_parser *p, rh_jv v)
{
	return rh_events__enum(p, v, rh_events__actor_state_names,
	                       RH_ACTOR_STATE_COUNT);
}

/* Ray's node_head.py takes the actor's exit detail from the first death
 * context that has a message. */
static int
death_cause(rh_event_parser *p, rh_event_transition *t, rh_jv dc)
{
	static const char *const ctx[][3] = {
		{ "actorDiedErrorContext", "actor_died_error_context",
		  "errorMessage" },
		{ "runtimeEnvFailedContext", "runtime_env_failed_context",
		  "errorMessage" },
		{ "actorUnschedulableContext", "actor_unschedulable_context",
		  "errorMessage" },
		{ "creationTaskFailureContext", "creation_task_failure_context",
		  "formattedExceptionString" },
	};
	rh_jv c;
	size_t i;
	int error;

	if (!JIS(p, dc, RH_J_OBJECT))
		return rh_events__bad(p, "\"deathCause\" is not an object");
	TRY(rh_events__json(p, &t->death_cause, dc, 1));
	for (i = 0; i < RH_ARRAY_SIZE(ctx); i++) {
		char snake[64];
		size_t k, o = 0;

		if ((c = GET(dc, ctx[i][0], ctx[i][1])) == JNONE)
			continue;
		for (k = 0; ctx[i][2][k] && o < sizeof(snake) - 2; k++) {
			char ch = ctx[i][2][k];

			if (ch >= 'A' && ch <= 'Z') {
				snake[o++] = '_';
				ch = (char)(ch + 32);
			}
			snake[o++] = ch;
		}
		snake[o] = '\0';
		if (!t->message)
			TRY(rh_events__str(p, &t->message,
			                   GET(c, ctx[i][2], snake),
			                   ctx[i][2]));
		if (i == 0) {
			if (t->pid < 0)
				TRY(rh_events__int(p, &t->pid,
				                   GET(c, "pid", "pid"),
				                   "pid"));
			TRY(rh_events__str(
				p, &t->ip,
				GET(c, "nodeIpAddress", "node_ip_address"),
				"nodeIpAddress"));
		}
	}
	return 0;
}

static int
actor_tr_extra(rh_event_parser *p, rh_event_transition *t, rh_jv o)
{
	rh_jv dc;
	int error;

	TRY(rh_events__id(p, &t->node_id, GET(o, "nodeId", "node_id"), "nodeId",
	                  1));
	TRY(rh_events__id(p, &t->worker_id, GET(o, "workerId", "worker_id"),
	                  "workerId", 1));
	TRY(rh_events__str(p, &t->repr_name, GET(o, "reprName", "repr_name"),
	                   "reprName"));
	if (t->repr_name && !*t->repr_name)
		t->repr_name = NULL;
	TRY(rh_events__int(p, &t->pid, GET(o, "pid", "pid"), "pid"));
	if (t->pid == 0)
		t->pid = -1;
	TRY(rh_events__str(p, &t->reason,
	                   GET(o, "restartReason", "restart_reason"),
	                   "restartReason"));
	if ((dc = GET(o, "deathCause", "death_cause")) != JNONE)
		TRY(death_cause(p, t, dc));
	return 0;
}

static int
actor_life(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	static const struct life how = {
		"actorId",
		"actor_id",
		actor_state_of,
		actor_tr_extra,
		RH_EVENT_ACTOR_LIFECYCLE,
		actor_life_fields,
	};
	rh_event_actor *a = &ev->u.actor;

	(void)variant;
	rh_events__actor_init(a);
	return lifecycle(p, ev, pl, &a->actor_id, &a->transitions,
	                 &a->ntransitions, &how);
}

static int
pg_state_of(rh_event_parser *p, rh_jv v)
{
	return rh_events__enum(p, v, rh_events__pg_state_names,
	                       RH_PG_STATE_COUNT);
}

static int
pg_def(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	rh_event_pg *g = &ev->u.pg;
	rh_jv b;
	int error;

	(void)variant;
	rh_events__pg_init(g);
	TRY(rh_events__require_id(p, &g->placement_group_id, pl,
	                          "placementGroupId", "placement_group_id"));
	TRY(rh_events__str(p, &g->name, GET(pl, "name", "name"), "name"));
	TRY(rh_events__id(p, &g->creator_job_id,
	                  GET(pl, "creatorJobId", "creator_job_id"),
	                  "creatorJobId", 0));
	TRY(rh_events__str(p, &g->strategy, GET(pl, "strategy", "strategy"),
	                   "strategy"));
	if ((b = GET(pl, "bundles", "bundles")) != JNONE) {
		if (!JIS(p, b, RH_J_ARRAY))
			return rh_events__bad(p, "\"bundles\" is not an array");
		TRY(rh_events__json(p, &g->bundles, b, 1));
	}
	TRY(rh_events__bool(p, &g->is_detached,
	                    GET(pl, "isDetached", "is_detached"),
	                    "isDetached"));
	return finish(p, ev, pl, RH_EVENT_PLACEMENT_GROUP_DEFINITION,
	              pg_def_fields);
}

static int
pg_life(rh_event_parser *p, rh_event *ev, rh_jv pl, int variant)
{
	static const struct life how = {
		"placementGroupId",
		"placement_group_id",
		pg_state_of,
		NULL,
		RH_EVENT_PLACEMENT_GROUP_LIFECYCLE,
		pg_life_fields,
	};
	rh_event_pg *g = &ev->u.pg;

	(void)variant;
	rh_events__pg_init(g);
	return lifecycle(p, ev, pl, &g->placement_group_id, &g->transitions,
	                 &g->ntransitions, &how);
}

static const struct rayevent_type {
	const char *name;  /* eventType */
	int number;        /* EventType enum value (§8), 0 if none */
	const char *camel; /* payload member */
	const char *snake;
	payload_fn fn;
	int variant;
} types[] = {
	{ "TASK_DEFINITION_EVENT", 1, "taskDefinitionEvent",
	  "task_definition_event", task_def, 0 },
	{ "TASK_LIFECYCLE_EVENT", 2, "taskLifecycleEvent",
	  "task_lifecycle_event", task_life, 0 },
	{ "TASK_EXECUTION_EVENT", 0, "taskExecutionEvent",
	  "task_execution_event", task_life, 0 },
	{ "ACTOR_TASK_DEFINITION_EVENT", 3, "actorTaskDefinitionEvent",
	  "actor_task_definition_event", task_def, 1 },
	{ "ACTOR_TASK_EXECUTION_EVENT", 0, "actorTaskExecutionEvent",
	  "actor_task_execution_event", task_life, 1 },
	{ "TASK_PROFILE_EVENT", 4, "taskProfileEvents", "task_profile_events",
	  task_profile, 0 },
	{ "DRIVER_JOB_DEFINITION_EVENT", 5, "driverJobDefinitionEvent",
	  "driver_job_definition_event", job_def, 0 },
	{ "DRIVER_JOB_LIFECYCLE_EVENT", 6, "driverJobLifecycleEvent",
	  "driver_job_lifecycle_event", job_life, 0 },
	{ "DRIVER_JOB_EXECUTION_EVENT", 0, "driverJobExecutionEvent",
	  "driver_job_execution_event", job_life, 0 },
	{ "NODE_DEFINITION_EVENT", 7, "nodeDefinitionEvent",
	  "node_definition_event", node_def, 0 },
	{ "NODE_LIFECYCLE_EVENT", 8, "nodeLifecycleEvent",
	  "node_lifecycle_event", node_life, 0 },
	{ "ACTOR_DEFINITION_EVENT", 9, "actorDefinitionEvent",
	  "actor_definition_event", actor_def, 0 },
	{ "ACTOR_LIFECYCLE_EVENT", 10, "actorLifecycleEvent",
	  "actor_lifecycle_event", actor_life, 0 },
	{ "PLACEMENT_GROUP_DEFINITION_EVENT", 0,
	  "placementGroupDefinitionEvent", "placement_group_definition_event",
	  pg_def, 0 },
	{ "PLACEMENT_GROUP_LIFECYCLE_EVENT", 0, "placementGroupLifecycleEvent",
	  "placement_group_lifecycle_event", pg_life, 0 },
};

static const struct rayevent_type *
find_type(rh_event_parser *p, rh_jv v)
{
	int64_t n;
	size_t i;

	if (JIS(p, v, RH_J_STRING)) {
		const char *s = JSTR(p, v);

		for (i = 0; i < RH_ARRAY_SIZE(types); i++)
			if (strcmp(s, types[i].name) == 0)
				return &types[i];
	} else if (JIS(p, v, RH_J_NUMBER) &&
	           rh_events__num_i64(p, v, &n) == 0) {
		for (i = 0; i < RH_ARRAY_SIZE(types); i++)
			if (types[i].number && types[i].number == n)
				return &types[i];
	}
	return NULL;
}

int
rh_events__rayevent(rh_event_parser *p, rh_jv obj)
{
	const struct rayevent_type *ty;
	rh_jv tv, pl;
	rh_event ev;
	int error;

	rh_events__record_init(&ev, RH_EVENT_FORMAT_RAYEVENT);
	p->snake = 0;
	if ((tv = rh_json_member(&p->json, obj, "eventType", 9)) == JNONE) {
		if ((tv = rh_json_member(&p->json, obj, "event_type", 10)) ==
		    JNONE)
			return rh_events__bad(p, "no \"eventType\"");
		p->snake = 1;
	}
	if (!(ty = find_type(p, tv))) {
		p->stats.unknown_types++;
		return 0;
	}
	if ((pl = GET(obj, ty->camel, ty->snake)) == JNONE)
		return rh_events__bad(p, "%s without \"%s\"", ty->name,
		                      ty->camel);
	if (!JIS(p, pl, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object", ty->camel);
	TRY(rh_events__id(p, &ev.event_id, GET(obj, "eventId", "event_id"),
	                  "eventId", 0));
	TRY(rh_events__time(p, &ev.time_ns, GET(obj, "timestamp", "timestamp"),
	                    "timestamp"));
	TRY(rh_events__str(p, &ev.session_name,
	                   GET(obj, "sessionName", "session_name"),
	                   "sessionName"));
	p->pl = pl;
	p->pl_hits = 0;
	return ty->fn(p, &ev, pl, ty->variant);
}
