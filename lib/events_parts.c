/* events_parts.c - what the RayEvent and the export parsers read the same
 * way: the records' "unknown" defaults, a task's log offsets and its
 * profile events. Only the spelling differs: RayEvents take lowerCamelCase
 * or snake_case and name members in camelCase in messages; export events
 * take and name proto (snake_case) names only. */
#include "internal.h"
#include "events_internal.h"

/* A member as { camel, snake }. */
typedef const char *const key[2];

static rh_jv
get(rh_event_parser *p, rh_jv o, key k, int proto)
{
	return proto ? JGET(p, o, k[1], k[1]) : JGET(p, o, k[0], k[1]);
}

static const char *
name(key k, int proto)
{
	return k[proto ? 1 : 0];
}

void
rh_events__job_init(rh_event_job *j)
{
	memset(j, 0, sizeof(*j));
	j->driver_pid = j->driver_exit_code = -1;
	j->start_ns = j->end_ns = RH_TIME_NONE;
	j->is_dead = -1;
}

void
rh_events__node_init(rh_event_node *n)
{
	memset(n, 0, sizeof(*n));
	n->is_head_node = -1;
	n->start_ns = n->end_ns = RH_TIME_NONE;
}

void
rh_events__actor_init(rh_event_actor *a)
{
	memset(a, 0, sizeof(*a));
	a->is_detached = -1;
}

void
rh_events__pg_init(rh_event_pg *g)
{
	memset(g, 0, sizeof(*g));
	g->is_detached = -1;
}

int
rh_events__log_info(rh_event_parser *p, rh_event_task *t, rh_jv li, int proto)
{
	static key info = { "taskLogInfo", "task_log_info" };
	static key file[2] = {
		{ "stdoutFile", "stdout_file" }, { "stderrFile", "stderr_file" },
	};
	static key off[4] = {
		{ "stdoutStart", "stdout_start" }, { "stdoutEnd", "stdout_end" },
		{ "stderrStart", "stderr_start" }, { "stderrEnd", "stderr_end" },
	};
	rh_event_log_info *l = &t->log_info;
	const char **files[2] = { &l->stdout_file, &l->stderr_file };
	int64_t *offs[4] = { &l->stdout_start, &l->stdout_end,
			     &l->stderr_start, &l->stderr_end };
	size_t i;
	int error;

	if (li == JNONE)
		return 0;
	if (!JIS(p, li, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object",
				      name(info, proto));
	t->has_log_info = 1;
	for (i = 0; i < 2; i++)
		TRY(rh_events__str(p, files[i], get(p, li, file[i], proto),
				   name(file[i], proto)));
	for (i = 0; i < 4; i++)
		TRY(rh_events__int(p, offs[i], get(p, li, off[i], proto),
				   name(off[i], proto)));
	for (i = 0; i < 2; i++)
		if (*files[i] && !**files[i])
			*files[i] = NULL;
	return 0;
}

/* One element of profileEvents.events[]. */
static int
profile_event(rh_event_parser *p, rh_event_profile *pr, rh_jv o, int proto)
{
	static key ev_name = { "eventName", "event_name" };
	static key start = { "startTime", "start_time" };
	static key end = { "endTime", "end_time" };
	static key extra = { "extraData", "extra_data" };
	int error;

	memset(pr, 0, sizeof(*pr));
	pr->start_ns = pr->end_ns = RH_TIME_NONE;
	if (!JIS(p, o, RH_J_OBJECT))
		return rh_events__bad(p, "a profile event is not an object");
	TRY(rh_events__str(p, &pr->event_name, get(p, o, ev_name, proto),
			   name(ev_name, proto)));
	TRY(rh_events__int(p, &pr->start_ns, get(p, o, start, proto),
			   name(start, proto)));
	TRY(rh_events__int(p, &pr->end_ns, get(p, o, end, proto),
			   name(end, proto)));
	TRY(rh_events__str(p, &pr->extra_data, get(p, o, extra, proto),
			   name(extra, proto)));
	return 0;
}

int
rh_events__profile(rh_event_parser *p, rh_event_task *t, rh_jv pe, int proto)
{
	static key comp_id = { "componentId", "component_id" };
	static key comp_type = { "componentType", "component_type" };
	static key ip = { "nodeIpAddress", "node_ip_address" };
	rh_jv arr, o;
	rh_event_profile *pr;
	size_t i, n;
	int error;

	if (!JIS(p, pe, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object",
				      proto ? "profile_events" : "profileEvents");
	TRY(rh_events__id(p, &t->component_id, get(p, pe, comp_id, proto),
			  name(comp_id, proto), 0));
	TRY(rh_events__str(p, &t->component_type, get(p, pe, comp_type, proto),
			   name(comp_type, proto)));
	TRY(rh_events__str(p, &t->node_ip_address, get(p, pe, ip, proto),
			   name(ip, proto)));
	arr = JGET(p, pe, "events", "events");
	if (arr != JNONE && !JIS(p, arr, RH_J_ARRAY))
		return rh_events__bad(p, "\"%s.events\" is not an array",
				      proto ? "profile_events" : "profileEvents");
	n = JCOUNT(p, arr);
	if (n > SIZE_MAX / sizeof(*pr) / 2 ||
	    !(pr = rh_arena_alloc(&p->arena, (n ? n : 1) * sizeof(*pr))))
		return RH_ENOMEM;
	for (i = 0, o = JFIRST(p, arr); o != JNONE; o = JNEXT(p, arr, o), i++)
		TRY(profile_event(p, &pr[i], o, proto));
	t->profile = pr;
	t->nprofile = n;
	return 0;
}
