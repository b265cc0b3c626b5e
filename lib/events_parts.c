/* events_parts.c - what the RayEvent and the export parsers read the same
 * way: the records' "unknown" defaults, a task's state-number map, its log
 * offsets and its profile events. Only the spelling differs: RayEvents take lowerCamelCase
 * or snake_case and name members in camelCase in messages; export events
 * take and name proto (snake_case) names only. */
#include "internal.h"
#include "events_internal.h"

/* A member as { camel, snake }. */
typedef const char *const spelling[2];

static rh_jv
get(rh_event_parser *p, rh_jv o, spelling k, int proto)
{
	return proto ? JGET(p, o, k[1], k[1]) : JGET(p, o, k[0], k[1]);
}

static const char *
name(spelling k, int proto)
{
	return k[proto ? 1 : 0];
}

/* Which numbering a state_ts_ns map uses when the Ray version is unknown:
 * only the new numbering has keys 11..13; a terminal 9/10 without 8 is the
 * old FINISHED/FAILED (in the new numbering 9/10 are sub-states of RUNNING
 * = 8). Otherwise new. */
static int
guess_old(rh_event_parser *p, rh_jv map)
{
	int has[16] = { 0 };

	rh_jv k;

	for (k = JFIRST(p, map); k != JNONE; k = JNEXTKEY(p, map, k)) {
		long n = strtol(JSTR(p, k), NULL, 10);

		if (n >= 0 && n < 16)
			has[n] = 1;
	}
	if (has[11] || has[12] || has[13])
		return 0;
	if ((has[9] || has[10]) && !has[8])
		return 1;
	return 0;
}

int
rh_events__state_map(rh_event_parser *p, rh_event_task *t, rh_jv map, int proto)
{
	const char *what = proto ? "state_ts_ns" : "taskState";
	rh_event_transition *tr;
	size_t n, k = 0;
	int error, old;
	rh_jv kv;

	if (!JIS(p, map, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object", what);
	if (proto)
		old = p->old_numbering >= 0 ? p->old_numbering :
		                              guess_old(p, map);
	else
		old = p->old_numbering == 1;
	n = (size_t)JCOUNT(p, map);
	if (!(tr = rh_events__transitions(p, n)))
		return RH_ENOMEM;
	for (kv = JFIRST(p, map); kv != JNONE; kv = JNEXTKEY(p, map, kv)) {
		const char *key = JSTR(p, kv);
		rh_jv val = kv + 1;
		char *end;
		int64_t num = strtoll(key, &end, 10);
		int64_t ns = proto ? 0 : RH_TIME_NONE;
		int st;

		if (*end || end == key)
			return rh_events__bad(
				p, "\"%s\" key \"%.20s\" is not a number", what,
				key);
		/* export times are integers, read whatever the state;
		 * RayEvent times only for the states kept */
		if (proto)
			TRY(rh_events__int(p, &ns, val, what));
		if ((st = rh_events__task_state_from_number(num, old)) < 0) {
			p->stats.unknown_fields++;
			continue;
		}
		if (!proto)
			TRY(rh_events__time(p, &ns, val, what));
		tr[k].state = st;
		tr[k].time_ns = ns;
		k++;
	}
	t->transitions = tr;
	t->ntransitions = k;
	return 0;
}

void
rh_events__record_init(rh_event *ev, rh_event_format format)
{
	memset(ev, 0, sizeof(*ev));
	ev->format = format;
	ev->time_ns = RH_TIME_NONE;
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
	static spelling info = { "taskLogInfo", "task_log_info" };
	static spelling file[2] = {
		{ "stdoutFile", "stdout_file" },
		{ "stderrFile", "stderr_file" },
	};
	static spelling off[4] = {
		{ "stdoutStart", "stdout_start" },
		{ "stdoutEnd", "stdout_end" },
		{ "stderrStart", "stderr_start" },
		{ "stderrEnd", "stderr_end" },
	};
	rh_event_log_info *l = &t->log_info;
	const char **files[2] = { &l->stdout_file, &l->stderr_file };
	int64_t *offs[4] = { &l->stdout_start, &l->stdout_end, &l->stderr_start,
		             &l->stderr_end };
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
	static spelling ev_name = { "eventName", "event_name" };
	static spelling start = { "startTime", "start_time" };
	static spelling end = { "endTime", "end_time" };
	static spelling extra = { "extraData", "extra_data" };
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
	static spelling comp_id = { "componentId", "component_id" };
	static spelling comp_type = { "componentType", "component_type" };
	static spelling ip = { "nodeIpAddress", "node_ip_address" };
	rh_jv arr, o;
	rh_event_profile *pr;
	size_t i, n;
	int error;

	if (!JIS(p, pe, RH_J_OBJECT))
		return rh_events__bad(p, "\"%s\" is not an object",
		                      proto ? "profile_events" :
		                              "profileEvents");
	TRY(rh_events__id(p, &t->component_id, get(p, pe, comp_id, proto),
	                  name(comp_id, proto), 0));
	TRY(rh_events__str(p, &t->component_type, get(p, pe, comp_type, proto),
	                   name(comp_type, proto)));
	TRY(rh_events__str(p, &t->node_ip_address, get(p, pe, ip, proto),
	                   name(ip, proto)));
	arr = JGET(p, pe, "events", "events");
	if (arr != JNONE && !JIS(p, arr, RH_J_ARRAY))
		return rh_events__bad(p, "\"%s.events\" is not an array",
		                      proto ? "profile_events" :
		                              "profileEvents");
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
