/* index_at.c - rows as they were at an instant (rh_query_options.at_ns).
 *
 * A decoded row (with its transitions) is cut at T: only the transitions at
 * or before T count, the state is recomputed from them with the entity's own
 * rule, times after T are unset and what only an ended entity has (error
 * type, death cause, exit detail) is dropped while it has not ended. A row
 * whose every transition is at or before T is left as it is, so an instant
 * after the session's end gives the final state exactly. */
#include "internal.h"
#include "index_internal.h"

/* Transitions at or before t: they are sorted by time, those without a
 * time (RH_TIME_NONE, the smallest) first, counted as before t as
 * rh_state_at() does. */
static size_t
prefix(const rh_transition *tr, size_t n, int64_t t)
{
	size_t k = 0;

	while (k < n && tr[k].time_ns <= t)
		k++;
	return k;
}

static int64_t
cut(int64_t v, int64_t t)
{
	return v != RH_TIME_NONE && v > t ? RH_TIME_NONE : v;
}

int64_t
ix_task_sort_time(const rh_task_row *r)
{
	if (r->creation_time_ns != RH_TIME_NONE)
		return r->creation_time_ns;
	if (r->ntransitions && r->transitions[0].time_ns != RH_TIME_NONE)
		return r->transitions[0].time_ns;
	return RH_TIME_NONE;
}

/* As history_derive.c derives a task's final columns, over the prefix:
 * the state is the last of its states in enum order (Ray's rule), the
 * creation the latest PENDING_ARGS_AVAIL, the start the latest RUNNING, the
 * end FAILED's time, else FINISHED's. */
static int
task_at(rh_task_row *r, int64_t t)
{
	int64_t begin = ix_task_sort_time(r);
	size_t i, k;

	if (begin == RH_TIME_NONE || begin > t)
		return 0;
	k = prefix(r->transitions, r->ntransitions, t);
	if (k == r->ntransitions)
		return 1;
	r->ntransitions = k;
	r->state = RH_TASK_NIL;
	r->creation_time_ns = r->start_time_ns = r->end_time_ns = RH_TIME_NONE;
	for (i = 0; i < k; i++) {
		const rh_transition *x = &r->transitions[i];

		if (x->state > r->state)
			r->state = x->state;
		if (x->state == RH_TASK_PENDING_ARGS_AVAIL)
			r->creation_time_ns = x->time_ns;
		else if (x->state == RH_TASK_RUNNING)
			r->start_time_ns = x->time_ns;
	}
	for (i = 0; i < k; i++)
		if ((r->transitions[i].state == RH_TASK_FINISHED &&
		     r->state != RH_TASK_FAILED) ||
		    r->transitions[i].state == RH_TASK_FAILED)
			r->end_time_ns = r->transitions[i].time_ns;
	if (r->creation_time_ns == RH_TIME_NONE)
		r->creation_time_ns = begin;
	if (r->state != RH_TASK_FAILED) {
		r->error_type = NULL;
		r->error_message = NULL;
	}
	return 1;
}

static int
actor_at(rh_actor_row *r, int64_t t)
{
	size_t i, k = prefix(r->transitions, r->ntransitions, t);

	if (!k && (r->ntransitions || r->start_time_ns == RH_TIME_NONE ||
	           r->start_time_ns > t))
		return 0;
	if (k == r->ntransitions)
		return 1;
	r->ntransitions = k;
	r->state = r->transitions[k - 1].state;
	r->num_restarts = 0;
	r->start_time_ns = r->end_time_ns = RH_TIME_NONE;
	for (i = 0; i < k; i++) {
		const rh_transition *x = &r->transitions[i];

		if (x->state == RH_ACTOR_RESTARTING)
			r->num_restarts++;
		else if (x->state == RH_ACTOR_ALIVE &&
		         r->start_time_ns == RH_TIME_NONE)
			r->start_time_ns = x->time_ns;
		else if (x->state == RH_ACTOR_DEAD)
			r->end_time_ns = x->time_ns;
	}
	if (r->state != RH_ACTOR_DEAD) {
		r->end_time_ns = RH_TIME_NONE;
		r->death_cause = NULL;
		r->exit_detail = NULL;
	}
	return 1;
}

static int
node_at(rh_node_row *r, int64_t t)
{
	size_t k = prefix(r->transitions, r->ntransitions, t);

	if (!k && (r->ntransitions || r->start_time_ns == RH_TIME_NONE ||
	           r->start_time_ns > t))
		return 0;
	r->start_time_ns = cut(r->start_time_ns, t);
	if (k == r->ntransitions)
		return 1;
	r->ntransitions = k;
	r->state = r->transitions[k - 1].state;
	if (r->state != RH_NODE_DEAD) {
		r->end_time_ns = RH_TIME_NONE;
		r->state_message = NULL;
		r->death_reason = NULL;
		r->death_reason_message = NULL;
	} else {
		r->end_time_ns = cut(r->end_time_ns, t);
	}
	return 1;
}

/* A driver runs from CREATED until FINISHED; a submission takes the status
 * of its latest snapshot. */
static int
job_at(rh_job_row *r, int64_t t)
{
	size_t k = prefix(r->transitions, r->ntransitions, t);
	int ended;

	if (!k && (r->start_time_ns == RH_TIME_NONE || r->start_time_ns > t))
		return 0;
	if (k == r->ntransitions &&
	    (r->end_time_ns == RH_TIME_NONE || r->end_time_ns <= t))
		return 1;
	r->ntransitions = k;
	r->start_time_ns = cut(r->start_time_ns, t);
	if (r->type == RH_JOB_TYPE_DRIVER) {
		ended = 0;
		r->status = RH_JOB_RUNNING;
	} else {
		r->status = k ? r->transitions[k - 1].state : RH_JOB_PENDING;
		ended = r->status >= RH_JOB_STOPPED;
	}
	if (!ended) {
		r->end_time_ns = RH_TIME_NONE;
		r->error_type = NULL;
		r->driver_exit_code = -1;
	}
	return 1;
}

static int
worker_at(rh_worker_row *r, int64_t t)
{
	if (r->start_time_ns == RH_TIME_NONE || r->start_time_ns > t)
		return 0;
	/* A worker known dead with no time of death (its files in logs/old/,
	 * nothing else): dead as far as anyone can tell, at every instant. */
	if ((r->end_time_ns == RH_TIME_NONE && r->is_alive) ||
	    (r->end_time_ns != RH_TIME_NONE && r->end_time_ns > t)) {
		r->end_time_ns = RH_TIME_NONE;
		r->is_alive = 1;
		r->exit_type = NULL;
		r->exit_detail = NULL;
	}
	return 1;
}

static int
pg_at(rh_pg_row *r, int64_t t)
{
	size_t k = prefix(r->transitions, r->ntransitions, t);

	if (!k)
		return 0;
	r->ntransitions = k;
	r->state = r->transitions[k - 1].state;
	return 1;
}

int
ix_row_at(rh_row *r, int64_t t)
{
	switch (r->entity) {
	case RH_ENTITY_TASK: return task_at(&r->u.task, t);
	case RH_ENTITY_ACTOR: return actor_at(&r->u.actor, t);
	case RH_ENTITY_JOB: return job_at(&r->u.job, t);
	case RH_ENTITY_NODE: return node_at(&r->u.node, t);
	case RH_ENTITY_WORKER: return worker_at(&r->u.worker, t);
	case RH_ENTITY_PLACEMENT_GROUP: return pg_at(&r->u.pg, t);
	case RH_ENTITY_CLUSTER_EVENT:
		return r->u.event.time_ns != RH_TIME_NONE &&
		       r->u.event.time_ns <= t;
	default: return 0;
	}
}

RH_EXTERN int
rh_playback_time_parse(int64_t *ns_out, const char *s, int64_t session_start_ns)
{
	uint64_t secs = 0, frac = 0;
	unsigned fd = 0;
	const char *p;

	if (!ns_out || !s)
		return rh__error(RH_EINVAL,
		                 "rh_playback_time_parse: NULL argument");
	*ns_out = RH_TIME_NONE;
	if (*s != '+')
		return rh_time_parse(ns_out, s, strlen(s));
	/* "+SECONDS[.FRACTION]" after the session start */
	for (p = s + 1; *p >= '0' && *p <= '9'; p++) {
		if (secs > 9000000000ull) /* past 2262 in ns: not a session */
			goto bad;
		secs = secs * 10 + (uint64_t)(*p - '0');
	}
	if (p == s + 1)
		goto bad;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (fd < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fd++;
			}
		if (!fd)
			goto bad;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (*p)
		goto bad;
	if (session_start_ns == RH_TIME_NONE)
		return rh__error(RH_EINVAL,
		                 "\"%s\": the session's start time is unknown",
		                 s);
	if (session_start_ns >
	    INT64_MAX - (int64_t)(secs * 1000000000ull + frac))
		goto bad;
	*ns_out = session_start_ns + (int64_t)(secs * 1000000000ull + frac);
	return 0;
bad:
	return rh__error(RH_EINVAL,
	                 "\"%.64s\" is neither an RFC 3339 time nor "
	                 "+SECONDS since the session start",
	                 s);
}
