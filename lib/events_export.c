/* events_export.c - export-API events, logs/export_events/event_EXPORT_*.log
 * (reference/ray-formats.md §4b): {"event_id", "source_type", "timestamp"
 * (seconds), "event_data": protobuf JSON with proto field names, bytes in
 * base64, int64 as strings}. Each line is a snapshot of one entity; it
 * becomes a definition record plus a lifecycle record. */
#include "internal.h"
#include "events_internal.h"

#include <strings.h>

#define GET(o, name) JGET(p, (o), (name), (name))

#define MS_TO_NS(ms) \
	((ms) > 0 && (ms) < INT64_MAX / 1000000 ? (ms)*1000000 : RH_TIME_NONE)

/* A snapshot's start and end times (ms, 0: not yet) in ns. */
static int
ms_times(rh_event_parser *p, int64_t *start_ns, int64_t *end_ns, rh_jv d,
         const char *start_key, const char *end_key)
{
	int64_t start_ms = 0, end_ms = 0;
	int error;

	TRY(rh_events__int(p, &start_ms, GET(d, start_key), start_key));
	TRY(rh_events__int(p, &end_ms, GET(d, end_key), end_key));
	*start_ns = MS_TO_NS(start_ms);
	*end_ns = MS_TO_NS(end_ms);
	return 0;
}

static int
log_info(rh_event_parser *p, rh_event_task *t, rh_jv li)
{
	rh_event_log_info *l = &t->log_info;
	int error;

	TRY(rh_events__log_info(p, t, li, 1));
	if (!t->has_log_info)
		return 0;
	/* always_print_primitive_fields prints absent offsets as 0; an end of
	 * 0 is "not known yet". */
	if (l->stdout_end == 0)
		l->stdout_end = -1;
	if (l->stderr_end == 0)
		l->stderr_end = -1;
	return 0;
}

/* Each part of an export task snapshot is a record of its own about the
 * same task attempt. */
struct task_key {
	const char *task_id, *job_id;
	int64_t attempt;
};

static void
task_start(rh_event_task *t, const struct task_key *k)
{
	rh_events__task_init(t);
	t->task_id = k->task_id;
	t->attempt = (int32_t)k->attempt;
	t->job_id = k->job_id;
}

/* task_info: the definition. */
static int
task_info(rh_event_parser *p, rh_event *ev, rh_jv ti)
{
	rh_event_task *t = &ev->u.task;
	int error, type;

	type = rh_events__enum(p, GET(ti, "type"), rh_events__task_type_names,
	                       RH_TASK_TYPE_COUNT);
	t->type = type > 0 ? type : RH_TASK_TYPE_NORMAL_TASK;
	TRY(rh_events__str(p, &t->language, GET(ti, "language"), "language"));
	TRY(rh_events__str(p, &t->func_or_class_name,
	                   GET(ti, "func_or_class_name"),
	                   "func_or_class_name"));
	TRY(rh_events__str(p, &t->name, GET(ti, "name"), "name"));
	if (!t->name || !*t->name)
		t->name = t->func_or_class_name;
	TRY(rh_events__id(p, &t->parent_task_id, GET(ti, "parent_task_id"),
	                  "parent_task_id", 0));
	TRY(rh_events__id(p, &t->actor_id, GET(ti, "actor_id"), "actor_id", 1));
	TRY(rh_events__id(p, &t->placement_group_id,
	                  GET(ti, "placement_group_id"), "placement_group_id",
	                  1));
	TRY(rh_events__resources(p, &t->required_resources,
	                         GET(ti, "required_resources"),
	                         "required_resources"));
	TRY(rh_events__json(p, &t->runtime_env, GET(ti, "runtime_env_info"),
	                    1));
	TRY(rh_events__str(p, &t->call_site, GET(ti, "call_site"),
	                   "call_site"));
	TRY(rh_events__json(p, &t->label_selector, GET(ti, "label_selector"),
	                    0));
	ev->kind = RH_EVENT_TASK_DEFINITION;
	return rh_events__emit(p, ev);
}

/* state_updates: the lifecycle. */
static int
task_updates(rh_event_parser *p, rh_event *ev, rh_jv su)
{
	rh_event_task *t = &ev->u.task;
	const char *msg = NULL;
	rh_jv ei;
	int error;

	if (!JIS(p, su, RH_J_OBJECT))
		return rh_events__bad(p, "\"state_updates\" is not an object");
	TRY(rh_events__id(p, &t->node_id, GET(su, "node_id"), "node_id", 1));
	TRY(rh_events__id(p, &t->worker_id, GET(su, "worker_id"), "worker_id",
	                  1));
	TRY(rh_events__int(p, &t->worker_pid, GET(su, "worker_pid"),
	                   "worker_pid"));
	if (t->worker_pid == 0)
		t->worker_pid = -1;
	TRY(rh_events__bool(p, &t->is_debugger_paused,
	                    GET(su, "is_debugger_paused"),
	                    "is_debugger_paused"));
	TRY(rh_events__str(p, &t->actor_repr_name, GET(su, "actor_repr_name"),
	                   "actor_repr_name"));
	if (t->actor_repr_name && !*t->actor_repr_name)
		t->actor_repr_name = NULL;
	if ((ei = GET(su, "error_info")) != JNONE) {
		TRY(rh_events__str(p, &t->error_type, GET(ei, "error_type"),
		                   "error_type"));
		TRY(rh_events__str(p, &msg, GET(ei, "error_message"),
		                   "error_message"));
		t->error_message = rh_events__strip_ansi(p, msg);
	}
	TRY(log_info(p, t, GET(su, "task_log_info")));
	if (GET(su, "state_ts_ns"))
		TRY(rh_events__state_map(p, t, GET(su, "state_ts_ns"), 1));
	ev->kind = RH_EVENT_TASK_LIFECYCLE;
	return rh_events__emit(p, ev);
}

static int
task(rh_event_parser *p, rh_event *ev, rh_jv d)
{
	rh_event_task *t = &ev->u.task;
	struct task_key k = { NULL, NULL, 0 };
	rh_jv v;
	int error;

	TRY(rh_events__require_id(p, &k.task_id, d, "task_id", "task_id"));
	TRY(rh_events__int(p, &k.attempt, GET(d, "attempt_number"),
	                   "attempt_number"));
	TRY(rh_events__id(p, &k.job_id, GET(d, "job_id"), "job_id", 0));
	if ((v = GET(d, "task_info")) != JNONE) {
		task_start(t, &k);
		TRY(task_info(p, ev, v));
	}
	if ((v = GET(d, "state_updates")) != JNONE) {
		task_start(t, &k);
		TRY(task_updates(p, ev, v));
	}
	if ((v = GET(d, "profile_events")) != JNONE) {
		task_start(t, &k);
		TRY(rh_events__profile(p, t, v, 1));
		ev->kind = RH_EVENT_TASK_PROFILE;
		TRY(rh_events__emit(p, ev));
	}
	return 0;
}

static int
actor(rh_event_parser *p, rh_event *ev, rh_jv d)
{
	rh_event_actor *a = &ev->u.actor;
	rh_event_transition *tr;
	rh_jv dc;
	const char *renv = NULL;
	int error, st;

	rh_events__actor_init(a);
	TRY(rh_events__require_id(p, &a->actor_id, d, "actor_id", "actor_id"));
	TRY(rh_events__id(p, &a->job_id, GET(d, "job_id"), "job_id", 0));
	TRY(rh_events__bool(p, &a->is_detached, GET(d, "is_detached"),
	                    "is_detached"));
	TRY(rh_events__str(p, &a->name, GET(d, "name"), "name"));
	TRY(rh_events__str(p, &a->ray_namespace, GET(d, "ray_namespace"),
	                   "ray_namespace"));
	TRY(rh_events__str(p, &renv, GET(d, "serialized_runtime_env"),
	                   "serialized_runtime_env"));
	a->runtime_env = renv;
	TRY(rh_events__str(p, &a->class_name, GET(d, "class_name"),
	                   "class_name"));
	TRY(rh_events__resources(p, &a->required_resources,
	                         GET(d, "required_resources"),
	                         "required_resources"));
	TRY(rh_events__id(p, &a->placement_group_id,
	                  GET(d, "placement_group_id"), "placement_group_id",
	                  1));
	TRY(rh_events__str(p, &a->repr_name, GET(d, "repr_name"), "repr_name"));
	if (a->repr_name && !*a->repr_name)
		a->repr_name = NULL;
	TRY(rh_events__str(p, &a->call_site, GET(d, "call_site"), "call_site"));
	TRY(rh_events__json(p, &a->label_selector, GET(d, "label_selector"),
	                    0));
	ev->kind = RH_EVENT_ACTOR_DEFINITION;
	TRY(rh_events__emit(p, ev));

	st = rh_events__enum(p, GET(d, "state"), rh_events__actor_state_names,
	                     RH_ACTOR_STATE_COUNT);
	if (st < 0)
		return 0;
	if (!(tr = rh_events__transitions(p, 1)))
		return RH_ENOMEM;
	tr->state = st;
	tr->time_ns = ev->time_ns;
	tr->repr_name = a->repr_name;
	TRY(rh_events__id(p, &tr->node_id, GET(d, "node_id"), "node_id", 1));
	TRY(rh_events__int(p, &tr->pid, GET(d, "pid"), "pid"));
	if (tr->pid == 0)
		tr->pid = -1;
	if ((dc = GET(d, "death_cause")) != JNONE && st == RH_ACTOR_DEAD) {
		rh_jv c = GET(dc, "actor_died_error_context");

		TRY(rh_events__json(p, &tr->death_cause, dc, 1));
		if (c == JNONE)
			c = GET(dc, "runtime_env_failed_context");
		if (c == JNONE)
			c = GET(dc, "actor_unschedulable_context");
		TRY(rh_events__str(p, &tr->message, GET(c, "error_message"),
		                   "error_message"));
		TRY(rh_events__str(p, &tr->ip, GET(c, "node_ip_address"),
		                   "node_ip_address"));
	}
	a->transitions = tr;
	a->ntransitions = 1;
	ev->kind = RH_EVENT_ACTOR_LIFECYCLE;
	return rh_events__emit(p, ev);
}

static int
node(rh_event_parser *p, rh_event *ev, rh_jv d)
{
	rh_event_node *n = &ev->u.node;
	rh_event_transition *tr;
	rh_jv di;
	size_t k = 0;
	int error, st;

	rh_events__node_init(n);
	TRY(rh_events__require_id(p, &n->node_id, d, "node_id", "node_id"));
	TRY(rh_events__str(p, &n->node_ip, GET(d, "node_manager_address"),
	                   "node_manager_address"));
	TRY(rh_events__str(p, &n->node_name, GET(d, "node_name"), "node_name"));
	TRY(rh_events__resources(p, &n->resources_total,
	                         GET(d, "resources_total"), "resources_total"));
	TRY(rh_events__json(p, &n->labels, GET(d, "labels"), 0));
	TRY(rh_events__bool(p, &n->is_head_node, GET(d, "is_head_node"),
	                    "is_head_node"));
	TRY(ms_times(p, &n->start_ns, &n->end_ns, d, "start_time_ms",
	             "end_time_ms"));
	ev->kind = RH_EVENT_NODE_DEFINITION;
	TRY(rh_events__emit(p, ev));

	st = rh_events__enum(p, GET(d, "state"), rh_events__node_state_names,
	                     RH_NODE_STATE_COUNT);
	if (!(tr = rh_events__transitions(p, 2)))
		return RH_ENOMEM;
	/* The snapshot's own times are exact (ms); the envelope's only to
	 * the second. */
	if (n->start_ns != RH_TIME_NONE || st == RH_NODE_ALIVE) {
		tr[k].state = RH_NODE_ALIVE;
		tr[k].time_ns =
			n->start_ns != RH_TIME_NONE ? n->start_ns : ev->time_ns;
		tr[k].resources = n->resources_total;
		k++;
	}
	if (st == RH_NODE_DEAD) {
		tr[k].state = RH_NODE_DEAD;
		tr[k].time_ns =
			n->end_ns != RH_TIME_NONE ? n->end_ns : ev->time_ns;
		if ((di = GET(d, "death_info")) != JNONE) {
			TRY(rh_events__str(p, &tr[k].reason, GET(di, "reason"),
			                   "reason"));
			TRY(rh_events__str(p, &tr[k].message,
			                   GET(di, "reason_message"),
			                   "reason_message"));
		}
		k++;
	}
	n->transitions = tr;
	n->ntransitions = k;
	ev->kind = RH_EVENT_NODE_LIFECYCLE;
	return rh_events__emit(p, ev);
}

static int
driver_job(rh_event_parser *p, rh_event *ev, rh_jv d)
{
	rh_event_job *j = &ev->u.job;
	rh_event_transition *tr;
	rh_jv cfg, md;
	size_t k = 0;
	int error;

	rh_events__job_init(j);
	TRY(rh_events__require_id(p, &j->job_id, d, "job_id", "job_id"));
	TRY(rh_events__bool(p, &j->is_dead, GET(d, "is_dead"), "is_dead"));
	TRY(rh_events__int(p, &j->driver_pid, GET(d, "driver_pid"),
	                   "driver_pid"));
	TRY(rh_events__str(p, &j->entrypoint, GET(d, "entrypoint"),
	                   "entrypoint"));
	TRY(rh_events__str(p, &j->driver_ip, GET(d, "driver_ip_address"),
	                   "driver_ip_address"));
	TRY(ms_times(p, &j->start_ns, &j->end_ns, d, "start_time", "end_time"));
	cfg = GET(d, "config");
	md = GET(cfg, "metadata");
	TRY(rh_events__json(p, &j->metadata, md, 0));
	TRY(rh_events__json(p, &j->runtime_env, GET(cfg, "runtime_env_info"),
	                    1));
	TRY(rh_events__str(p, &j->submission_id, GET(md, "job_submission_id"),
	                   "job_submission_id"));
	if (j->submission_id && !*j->submission_id)
		j->submission_id = NULL;
	ev->kind = RH_EVENT_DRIVER_JOB_DEFINITION;
	TRY(rh_events__emit(p, ev));

	if (!(tr = rh_events__transitions(p, 2)))
		return RH_ENOMEM;
	if (j->start_ns != RH_TIME_NONE) {
		tr[k].state = RH_DRIVER_CREATED;
		tr[k++].time_ns = j->start_ns;
	}
	if (j->is_dead == 1) {
		tr[k].state = RH_DRIVER_FINISHED;
		tr[k++].time_ns =
			j->end_ns != RH_TIME_NONE ? j->end_ns : ev->time_ns;
	}
	j->transitions = tr;
	j->ntransitions = k;
	ev->kind = RH_EVENT_DRIVER_JOB_LIFECYCLE;
	return rh_events__emit(p, ev);
}

static int
submission_job(rh_event_parser *p, rh_event *ev, rh_jv d)
{
	rh_event_job *j = &ev->u.job;
	rh_event_transition *tr;
	const char *renv = NULL;
	int error, st;

	rh_events__job_init(j);
	TRY(rh_events__str(p, &j->submission_id, GET(d, "submission_job_id"),
	                   "submission_job_id"));
	if (!j->submission_id || !*j->submission_id)
		return rh_events__bad(p, "\"submission_job_id\" is missing");
	TRY(rh_events__str(p, &j->entrypoint, GET(d, "entrypoint"),
	                   "entrypoint"));
	TRY(rh_events__str(p, &j->message, GET(d, "message"), "message"));
	TRY(rh_events__str(p, &j->error_type, GET(d, "error_type"),
	                   "error_type"));
	if (j->error_type && !*j->error_type)
		j->error_type = NULL;
	TRY(ms_times(p, &j->start_ns, &j->end_ns, d, "start_time", "end_time"));
	TRY(rh_events__json(p, &j->metadata, GET(d, "metadata"), 0));
	TRY(rh_events__str(p, &renv, GET(d, "runtime_env_json"),
	                   "runtime_env_json"));
	if (renv && *renv && rh_events__is_json(renv))
		j->runtime_env = renv;
	TRY(rh_events__str(p, &j->driver_agent_http_address,
	                   GET(d, "driver_agent_http_address"),
	                   "driver_agent_http_address"));
	TRY(rh_events__id(p, &j->driver_node_id, GET(d, "driver_node_id"),
	                  "driver_node_id", 1));
	TRY(rh_events__int(p, &j->driver_exit_code, GET(d, "driver_exit_code"),
	                   "driver_exit_code"));
	st = rh_events__enum(p, GET(d, "status"), rh_events__job_status_names,
	                     RH_JOB_STATUS_COUNT);
	if (st >= 0) {
		if (!(tr = rh_events__transitions(p, 1)))
			return RH_ENOMEM;
		tr->state = st;
		tr->time_ns = ev->time_ns;
		tr->message = j->message;
		tr->reason = j->error_type;
		j->transitions = tr;
		j->ntransitions = 1;
	}
	ev->kind = RH_EVENT_SUBMISSION_JOB;
	return rh_events__emit(p, ev);
}

int
rh_events__export(rh_event_parser *p, rh_jv obj)
{
	rh_jv d, v;
	const char *src = NULL, *id = NULL;
	int64_t secs = 0;
	rh_event ev;
	int error;

	rh_events__record_init(&ev, RH_EVENT_FORMAT_EXPORT);
	p->snake = 1;
	TRY(rh_events__str(p, &src, GET(obj, "source_type"), "source_type"));
	if (!src)
		return rh_events__bad(p, "no \"source_type\"");
	if ((d = GET(obj, "event_data")) == JNONE || !JIS(p, d, RH_J_OBJECT))
		return rh_events__bad(p, "no \"event_data\" object");
	/* Export event ids are 36 (C++) or 18 (Python) hex digits. */
	TRY(rh_events__str(p, &id, GET(obj, "event_id"), "event_id"));
	ev.event_id = id && *id ? id : NULL;
	if ((v = GET(obj, "timestamp")) != JNONE) {
		TRY(rh_events__int(p, &secs, v, "timestamp"));
		if (secs > 0 && secs < INT64_MAX / 1000000000)
			ev.time_ns = secs * 1000000000;
	}
	if (!strcmp(src, "EXPORT_TASK"))
		return task(p, &ev, d);
	if (!strcmp(src, "EXPORT_ACTOR"))
		return actor(p, &ev, d);
	if (!strcmp(src, "EXPORT_NODE"))
		return node(p, &ev, d);
	if (!strcmp(src, "EXPORT_DRIVER_JOB"))
		return driver_job(p, &ev, d);
	if (!strcmp(src, "EXPORT_SUBMISSION_JOB"))
		return submission_job(p, &ev, d);
	p->stats.unknown_types++;
	return 0;
}
