/* index_rows.c - decode index records into rh_row (the rows of
 * rh_query_next(); lib/dashboard_rows.c writes them as Ray prints them). */
#include "internal.h"
#include "index_internal.h"

static const char *const entity_names[RH_ENTITY_COUNT] = {
	"tasks",   "actors",           "jobs",           "nodes",
	"workers", "placement_groups", "cluster_events",
};

RH_EXTERN const char *
rh_entity_name(rh_entity what)
{
	return (unsigned)what < RH_ENTITY_COUNT ? entity_names[what] : NULL;
}

RH_EXTERN int
rh_entity_from_name(const char *name)
{
	int i;
	size_t n;

	if (!name)
		return -1;
	n = strlen(name);
	for (i = 0; i < RH_ENTITY_COUNT; i++) {
		size_t k = strlen(entity_names[i]);

		if (!strcmp(name, entity_names[i]) ||
		    (n + 1 == k && !strncmp(name, entity_names[i], n)))
			return i;
	}
	return -1;
}

RH_EXTERN int
rh_state_at(const rh_transition *tr, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	if (!tr)
		return -1;
	/* the first transition after t */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tr[mid].time_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? tr[lo - 1].state : -1;
}

/* ---------------------------------------------------------------- decode */

static int64_t
i64(const unsigned char *p)
{
	return (int64_t)ix_get64(p);
}

static int
refs(rh_index *ix, rh_arena *a, const unsigned char *r, const char ***outs,
     size_t n)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((error = ix_string(ix, a, ix_get32(r + 4 * i), outs[i])) <
		    0)
			return error;
	return 0;
}

/* The variable part [xoff, xoff+xlen) of a record, read whole. */
static int
extra(rh_index *ix, rh_arena *a, uint64_t xoff, uint32_t xlen,
      const unsigned char **out)
{
	unsigned char *p;

	if (xlen > ix->sec[IX_EXTRA].size)
		return ix_corrupt(ix, "record extra too large");
	if (!(p = rh_arena_alloc(a, xlen ? xlen : 1)))
		return RH_ENOMEM;
	*out = p;
	return ix_sec_read(ix, IX_EXTRA, xoff, xlen, p);
}

/* u32 n, n x (i64 t, u32 state); advances *pos. */
static int
transitions(rh_index *ix, rh_arena *a, const unsigned char *x, uint32_t xlen,
            uint32_t *pos, int nstates, const rh_transition **out, size_t *nout)
{
	rh_transition *t;
	uint32_t n, i;

	if (xlen - *pos < 4)
		return ix_corrupt(ix, "short transitions");
	n = ix_get32(x + *pos);
	*pos += 4;
	if (n > (xlen - *pos) / 12)
		return ix_corrupt(ix, "transition count too large");
	if (!(t = rh_arena_alloc(a, (n ? n : 1) * sizeof(*t))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		t[i].time_ns = i64(x + *pos);
		t[i].state = (int)ix_get32(x + *pos + 8);
		if (t[i].state < 0 || t[i].state >= nstates)
			return ix_corrupt(ix, "transition state out of range");
		*pos += 12;
	}
	*out = t;
	*nout = n;
	return 0;
}

static const char hexd[] = "0123456789abcdef";

/* The id and attempt of task record r. */
static int
task_id(rh_index *ix, rh_arena *a, const unsigned char *r, const char **id,
        int32_t *attempt)
{
	char *hex;
	int error, i;

	*attempt = (int32_t)ix_get32(r + TK_ATTEMPT);
	if (r[TK_FLAGS] & TK_F_IDSTR) {
		if ((error = ix_string(ix, a, ix_get32(r + TK_ID), id)) < 0)
			return error;
		return *id ? 0 : ix_corrupt(ix, "task without an id");
	}
	if (!(hex = rh_arena_alloc(a, 49)))
		return RH_ENOMEM;
	for (i = 0; i < 24; i++) {
		hex[2 * i] = hexd[r[TK_ID + i] >> 4];
		hex[2 * i + 1] = hexd[r[TK_ID + i] & 15];
	}
	hex[48] = '\0';
	*id = hex;
	return 0;
}

int
ix_task_id(rh_index *ix, rh_arena *a, uint64_t row, const char **id,
           int32_t *attempt)
{
	unsigned char r[IX_TASK_SIZE];
	int error;

	if ((error = ix_elem(ix, IX_TASK, row, r)) < 0)
		return error;
	return task_id(ix, a, r, id, attempt);
}

static int
task_extra(rh_index *ix, rh_arena *a, const unsigned char *r, rh_task_row *t)
{
	const unsigned char *x;
	uint32_t xlen = ix_get32(r + TK_XLEN), pos = 0, has_log, nprof, i;
	rh_event_profile *pr;
	int error;

	if ((error = extra(ix, a, ix_get64(r + TK_XOFF), xlen, &x)) < 0 ||
	    (error = transitions(ix, a, x, xlen, &pos, RH_TASK_STATE_COUNT,
	                         &t->transitions, &t->ntransitions)) < 0)
		return error;
	if (xlen - pos < 4)
		return ix_corrupt(ix, "short task extra");
	has_log = ix_get32(x + pos);
	pos += 4;
	if (has_log) {
		if (xlen - pos < 40)
			return ix_corrupt(ix, "short task log info");
		t->has_log_info = 1;
		if ((error = ix_string(ix, a, ix_get32(x + pos),
		                       &t->log_info.stdout_file)) < 0 ||
		    (error = ix_string(ix, a, ix_get32(x + pos + 4),
		                       &t->log_info.stderr_file)) < 0)
			return error;
		t->log_info.stdout_start = i64(x + pos + 8);
		t->log_info.stdout_end = i64(x + pos + 16);
		t->log_info.stderr_start = i64(x + pos + 24);
		t->log_info.stderr_end = i64(x + pos + 32);
		pos += 40;
	}
	if (xlen - pos < 16)
		return ix_corrupt(ix, "short task profile");
	if ((error = ix_string(ix, a, ix_get32(x + pos), &t->component_type)) <
	            0 ||
	    (error = ix_string(ix, a, ix_get32(x + pos + 4),
	                       &t->component_id)) < 0 ||
	    (error = ix_string(ix, a, ix_get32(x + pos + 8),
	                       &t->node_ip_address)) < 0)
		return error;
	nprof = ix_get32(x + pos + 12);
	pos += 16;
	if (nprof > (xlen - pos) / 24)
		return ix_corrupt(ix, "profile count too large");
	if (!(pr = rh_arena_alloc(a, (nprof ? nprof : 1) * sizeof(*pr))))
		return RH_ENOMEM;
	for (i = 0; i < nprof; i++, pos += 24) {
		if ((error = ix_string(ix, a, ix_get32(x + pos),
		                       &pr[i].event_name)) < 0 ||
		    (error = ix_string(ix, a, ix_get32(x + pos + 4),
		                       &pr[i].extra_data)) < 0)
			return error;
		pr[i].start_ns = i64(x + pos + 8);
		pr[i].end_ns = i64(x + pos + 16);
	}
	t->profile = pr;
	t->nprofile = nprof;
	return 0;
}

static int
decode_task(rh_index *ix, rh_arena *a, uint64_t row, int detail, rh_task_row *t)
{
	unsigned char r[IX_TASK_SIZE];
	const char **s[] = {
		&t->job_id,
		&t->name,
		&t->func_or_class_name,
		&t->parent_task_id,
		&t->actor_id,
		&t->node_id,
		&t->worker_id,
		&t->placement_group_id,
		&t->error_type,
		&t->error_message,
		&t->language,
		&t->required_resources,
		&t->runtime_env_info,
		&t->call_site,
		&t->label_selector,
	};
	int error;

	memset(t, 0, sizeof(*t));
	if ((error = ix_elem(ix, IX_TASK, row, r)) < 0 ||
	    (error = task_id(ix, a, r, &t->task_id, &t->attempt_number)) < 0 ||
	    (error = refs(ix, a, r + TK_JOB, s, RH_ARRAY_SIZE(s))) < 0)
		return error;
	t->worker_pid = (int32_t)ix_get32(r + TK_PID);
	t->type = r[TK_TYPE];
	t->state = r[TK_STATE];
	t->is_debugger_paused = r[TK_DBG] == 2 ? -1 : r[TK_DBG];
	if (t->type >= RH_TASK_TYPE_COUNT || t->state >= RH_TASK_STATE_COUNT ||
	    r[TK_DBG] > 2)
		return ix_corrupt(ix, "task enum out of range");
	t->creation_time_ns = i64(r + TK_CREATION);
	t->start_time_ns = i64(r + TK_START);
	t->end_time_ns = i64(r + TK_END);
	t->log_info.stdout_start = t->log_info.stdout_end = -1;
	t->log_info.stderr_start = t->log_info.stderr_end = -1;
	return detail ? task_extra(ix, a, r, t) : 0;
}

static int
decode_actor(rh_index *ix, rh_arena *a, uint64_t row, int detail,
             rh_actor_row *o)
{
	unsigned char r[IX_ACTOR_SIZE];
	const char **s[AC_NREFS] = {
		&o->actor_id,
		&o->class_name,
		&o->job_id,
		&o->name,
		&o->node_id,
		&o->worker_id,
		&o->ip_address,
		&o->ray_namespace,
		&o->serialized_runtime_env,
		&o->required_resources,
		&o->death_cause,
		&o->exit_detail,
		&o->placement_group_id,
		&o->repr_name,
		&o->call_site,
		&o->label_selector,
	};
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_ACTOR, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, AC_NREFS)) < 0)
		return error;
	o->pid = i64(r + 64);
	o->num_restarts = i64(r + 72);
	o->start_time_ns = i64(r + 80);
	o->end_time_ns = i64(r + 88);
	o->state = r[96];
	o->is_detached = r[97] == 2 ? -1 : r[97];
	if (o->state >= RH_ACTOR_STATE_COUNT || r[97] > 2)
		return ix_corrupt(ix, "actor enum out of range");
	if (detail) {
		const unsigned char *x;
		uint32_t xlen = ix_get32(r + 100), pos = 0;

		if ((error = extra(ix, a, ix_get64(r + 104), xlen, &x)) < 0 ||
		    (error = transitions(ix, a, x, xlen, &pos,
		                         RH_ACTOR_STATE_COUNT, &o->transitions,
		                         &o->ntransitions)) < 0)
			return error;
	}
	return 0;
}

static int
decode_job(rh_index *ix, rh_arena *a, uint64_t row, int detail, rh_job_row *o)
{
	unsigned char r[IX_JOB_SIZE];
	const char **s[JB_NREFS] = {
		&o->job_id,      &o->submission_id,
		&o->entrypoint,  &o->message,
		&o->error_type,  &o->metadata,
		&o->runtime_env, &o->driver_node_id,
		&o->driver_ip,   &o->driver_agent_http_address,
	};
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_JOB, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, JB_NREFS)) < 0)
		return error;
	o->start_time_ns = i64(r + 40);
	o->end_time_ns = i64(r + 48);
	o->driver_pid = i64(r + 56);
	o->driver_exit_code = i64(r + 64);
	o->type = r[72];
	o->status = r[73];
	if (o->type > RH_JOB_TYPE_DRIVER || o->status >= RH_JOB_STATUS_COUNT)
		return ix_corrupt(ix, "job enum out of range");
	if (detail) {
		const unsigned char *x;
		uint32_t xlen = ix_get32(r + 76), pos = 0;
		int n = o->type == RH_JOB_TYPE_DRIVER ? RH_DRIVER_STATE_COUNT :
		                                        RH_JOB_STATUS_COUNT;

		if ((error = extra(ix, a, ix_get64(r + 80), xlen, &x)) < 0 ||
		    (error = transitions(ix, a, x, xlen, &pos, n,
		                         &o->transitions, &o->ntransitions)) <
		            0)
			return error;
	}
	return 0;
}

static int
decode_node(rh_index *ix, rh_arena *a, uint64_t row, int detail, rh_node_row *o)
{
	unsigned char r[IX_NODE_SIZE];
	const char **s[ND_NREFS] = {
		&o->node_id,
		&o->node_ip,
		&o->state_message,
		&o->node_name,
		&o->hostname,
		&o->resources_total,
		&o->labels,
		&o->death_reason,
		&o->death_reason_message,
		&o->instance_id,
		&o->instance_type_name,
	};
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_NODE, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, ND_NREFS)) < 0)
		return error;
	o->state = r[44];
	o->is_head_node = r[45];
	if (o->state >= RH_NODE_STATE_COUNT || r[45] > 1)
		return ix_corrupt(ix, "node enum out of range");
	o->start_time_ns = i64(r + 48);
	o->end_time_ns = i64(r + 56);
	/* spare bytes an older index left zero: unknown */
	o->raylet_pid = ix_get32(r + ND_RAYLET_PID);
	o->node_manager_port = r[ND_PORT] | r[ND_PORT + 1] << 8;
	if (detail) {
		const unsigned char *x;
		uint32_t xlen = ix_get32(r + 72), pos = 0;

		if ((error = extra(ix, a, ix_get64(r + 64), xlen, &x)) < 0 ||
		    (error = transitions(ix, a, x, xlen, &pos,
		                         RH_NODE_STATE_COUNT, &o->transitions,
		                         &o->ntransitions)) < 0)
			return error;
	}
	return 0;
}

static int
decode_worker(rh_index *ix, rh_arena *a, uint64_t row, rh_worker_row *o)
{
	unsigned char r[IX_WORKER_SIZE];
	const char **s[WK_NREFS] = { &o->worker_id, &o->node_id, &o->ip };
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_WORKER, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, WK_NREFS)) < 0)
		return error;
	o->is_alive = r[12] != 0;
	o->worker_type = r[13] ? "DRIVER" : "WORKER";
	o->pid = i64(r + 16);
	o->start_time_ns = i64(r + 24);
	o->end_time_ns = i64(r + 32);
	/* a spare ref an older index left zero: no exit type */
	return ix_string(ix, a, ix_get32(r + WK_EXIT_TYPE), &o->exit_type);
}

static int
decode_pg(rh_index *ix, rh_arena *a, uint64_t row, int detail, rh_pg_row *o)
{
	unsigned char r[IX_PG_SIZE];
	const char **s[PG_NREFS] = {
		&o->placement_group_id, &o->name,    &o->creator_job_id,
		&o->strategy,           &o->bundles,
	};
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_PG, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, PG_NREFS)) < 0)
		return error;
	o->state = r[20];
	o->is_detached = r[21] == 2 ? -1 : r[21];
	if (o->state >= RH_PG_STATE_COUNT || r[21] > 2)
		return ix_corrupt(ix, "placement group enum out of range");
	if (detail) {
		const unsigned char *x;
		uint32_t xlen = ix_get32(r + 32), pos = 0;

		if ((error = extra(ix, a, ix_get64(r + 24), xlen, &x)) < 0 ||
		    (error = transitions(ix, a, x, xlen, &pos,
		                         RH_PG_STATE_COUNT, &o->transitions,
		                         &o->ntransitions)) < 0)
			return error;
	}
	return 0;
}

static int
decode_cevent(rh_index *ix, rh_arena *a, uint64_t row, rh_cluster_event_row *o)
{
	unsigned char r[IX_CEVENT_SIZE];
	const char **s[CE_NREFS] = {
		&o->event_id, &o->source_type, &o->host_name,     &o->severity,
		&o->label,    &o->message,     &o->custom_fields, &o->job_id,
	};
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ix_elem(ix, IX_CEVENT, row, r)) < 0 ||
	    (error = refs(ix, a, r, s, CE_NREFS)) < 0)
		return error;
	o->pid = i64(r + 32);
	o->time_ns = i64(r + 40);
	return 0;
}

static int
decode(rh_index *ix, rh_arena *a, rh_entity what, uint64_t row, int detail,
       rh_row *out)
{
	switch (what) {
	case RH_ENTITY_TASK:
		return decode_task(ix, a, row, detail, &out->u.task);
	case RH_ENTITY_ACTOR:
		return decode_actor(ix, a, row, detail, &out->u.actor);
	case RH_ENTITY_JOB: return decode_job(ix, a, row, detail, &out->u.job);
	case RH_ENTITY_NODE:
		return decode_node(ix, a, row, detail, &out->u.node);
	case RH_ENTITY_WORKER: return decode_worker(ix, a, row, &out->u.worker);
	case RH_ENTITY_PLACEMENT_GROUP:
		return decode_pg(ix, a, row, detail, &out->u.pg);
	case RH_ENTITY_CLUSTER_EVENT:
		return decode_cevent(ix, a, row, &out->u.event);
	default: return rh__error(RH_EINVAL, "unknown entity %d", (int)what);
	}
}

int
ix_decode(rh_index *ix, rh_arena *a, rh_entity what, uint64_t row, int detail,
          rh_row *out)
{
	int took, error;

	out->entity = what;
	out->rownum = row;
	/* A row is some 40 small reads (record, strings, extra): one lock
	 * for all of them, not one each that the workers then fight over. */
	took = ix_hold(ix);
	error = decode(ix, a, what, row, detail, out);
	ix_unhold(ix, took);
	return error;
}
