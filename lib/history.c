/* history.c - the history builder: interns strings and merges each record
 * into its entity. Every merge rule is commutative (a maximum over a total
 * order, a set union, a min/max of offsets), so any arrival order of the same
 * events gives the same entities and a byte-identical index; see
 * history_derive.c for what is computed once all events are in. */
#include "internal.h"
#include "history_internal.h"

#include <stdio.h>

/* ---------------------------------------------------------------- merging */

static int
intern(rh_history *h, uint32_t *out, const char *s)
{
	return rh_strtab_intern(&h->strs, out, s, s ? strlen(s) : 0);
}

/* Keep the larger of two string ids by their bytes: the same result for any
 * order of arrival. */
static void
lexmax(rh_history *h, uint32_t *cur, uint32_t nw)
{
	if (nw && (!*cur || rh_strtab_cmp(&h->strs, nw, *cur) > 0))
		*cur = nw;
}

static int
merge_str(rh_history *h, uint32_t *cur, const char *s)
{
	uint32_t id;
	int error;

	if (!s)
		return 0;
	/* The value it already holds (a task's job, node and component come
	 * again in each of its lifecycle events): the maximum is unchanged,
	 * and a look-up in a table of millions of strings is saved. */
	if (*cur) {
		size_t n = strlen(s);

		if (rh_strtab_len(&h->strs, *cur) == n &&
		    memcmp(rh_strtab_get(&h->strs, *cur), s, n) == 0)
			return 0;
	}
	if ((error = intern(h, &id, s)) < 0)
		return error;
	lexmax(h, cur, id);
	return 0;
}

/* (time, value) ordering for fields that may change over a lifetime: the
 * value of the latest event wins; at equal times the larger value. */
static int
merge_timed(rh_history *h, uint32_t *cur, int64_t *cur_ts, const char *s,
            int64_t ts)
{
	uint32_t id;
	int error;

	if (!s)
		return 0;
	if ((error = intern(h, &id, s)) < 0)
		return error;
	if (!*cur || ts > *cur_ts ||
	    (ts == *cur_ts && rh_strtab_cmp(&h->strs, id, *cur) > 0)) {
		*cur = id;
		*cur_ts = ts;
	}
	return 0;
}

static void
min_present(int64_t *cur, int64_t v)
{
	if (v >= 0 && (*cur < 0 || v < *cur))
		*cur = v;
}

static void
max_present(int64_t *cur, int64_t v)
{
	if (v >= 0 && v > *cur)
		*cur = v;
}

static void
min_time(int64_t *cur, int64_t v)
{
	if (v != HB_NONE && (*cur == HB_NONE || v < *cur))
		*cur = v;
}

static void
max_time(int64_t *cur, int64_t v)
{
	if (v != HB_NONE && v > *cur)
		*cur = v;
}

static int64_t
event_time(const rh_event *ev, const rh_event_transition *tr, size_t n)
{
	int64_t t = HB_NONE;
	size_t i;

	for (i = 0; i < n; i++)
		if (tr[i].time_ns > t)
			t = tr[i].time_ns;
	return t != HB_NONE ? t : ev->time_ns;
}

/* ---------------------------------------------------------------- tasks */

static int
task_get(rh_history *h, hb_task **out, const char *id, int32_t attempt)
{
	uint32_t sid, idx;
	uint64_t key;
	hb_task *t;
	int error;

	if ((error = intern(h, &sid, id)) < 0)
		return error;
	key = (uint64_t)sid << 32 | (uint32_t)attempt;
	if ((idx = hb_map_get(&h->task_map, key))) {
		*out = hb_pool_at(&h->tasks, idx - 1);
		return 0;
	}
	if (!(t = hb_pool_add(&h->tasks, &idx)))
		return RH_ENOMEM;
	t->id = sid;
	t->attempt = attempt;
	t->pid = -1;
	t->node_ts = t->worker_ts = t->pid_ts = HB_NONE;
	t->err_ts = t->misc_ts = HB_NONE;
	t->out_start = t->out_end = t->err_start = t->err_end = -1;
	t->dbg = 2;
	if ((error = hb_map_put(&h->task_map, key, idx + 1)) < 0)
		return error;
	*out = t;
	return 0;
}

static int
add_task_def(rh_history *h, const rh_event_task *e)
{
	hb_task *t;
	int error;

	if ((error = task_get(h, &t, e->task_id, e->attempt)) < 0 ||
	    (error = merge_str(h, &t->job, e->job_id)) < 0 ||
	    (error = merge_str(h, &t->name, e->name)) < 0 ||
	    (error = merge_str(h, &t->func, e->func_or_class_name)) < 0 ||
	    (error = merge_str(h, &t->lang, e->language)) < 0 ||
	    (error = merge_str(h, &t->parent, e->parent_task_id)) < 0 ||
	    (error = merge_str(h, &t->actor, e->actor_id)) < 0 ||
	    (error = merge_str(h, &t->pg, e->placement_group_id)) < 0 ||
	    (error = merge_str(h, &t->res, e->required_resources)) < 0 ||
	    (error = merge_str(h, &t->renv, e->runtime_env)) < 0 ||
	    (error = merge_str(h, &t->callsite, e->call_site)) < 0 ||
	    (error = merge_str(h, &t->labels, e->label_selector)) < 0)
		return error;
	if (e->type > t->type)
		t->type = (uint8_t)e->type;
	t->has_def = 1;
	return 0;
}

static int
add_task_life(rh_history *h, const rh_event *ev, const rh_event_task *e)
{
	int64_t ts = event_time(ev, e->transitions, e->ntransitions);
	hb_task *t;
	size_t i;
	int error;

	if ((error = task_get(h, &t, e->task_id, e->attempt)) < 0 ||
	    (error = merge_str(h, &t->job, e->job_id)) < 0)
		return error;
	for (i = 0; i < e->ntransitions; i++)
		if ((error = hb_tr_add(&t->tr, e->transitions[i].state,
		                       e->transitions[i].time_ns, 0, NULL,
		                       NULL)) < 0)
			return error;
	/* Where the task ran can change (retries on spillback): each of node,
	 * worker and pid is the value of the latest event that names it. */
	if ((error = merge_timed(h, &t->node, &t->node_ts, e->node_id, ts)) <
	            0 ||
	    (error = merge_timed(h, &t->worker, &t->worker_ts, e->worker_id,
	                         ts)) < 0)
		return error;
	if (e->worker_pid >= 0 &&
	    (t->pid < 0 || ts > t->pid_ts ||
	     (ts == t->pid_ts && e->worker_pid > t->pid))) {
		t->pid = (int32_t)e->worker_pid;
		t->pid_ts = ts;
	}
	if (e->error_type || e->error_message) {
		uint32_t et = 0, em = 0;

		if ((error = intern(h, &et, e->error_type)) < 0 ||
		    (error = intern(h, &em, e->error_message)) < 0)
			return error;
		if ((!t->etype && !t->emsg) || ts > t->err_ts ||
		    (ts == t->err_ts &&
		     (rh_strtab_cmp(&h->strs, et, t->etype) > 0 ||
		      (et == t->etype &&
		       rh_strtab_cmp(&h->strs, em, t->emsg) > 0)))) {
			t->etype = et;
			t->emsg = em;
			t->err_ts = ts;
		}
	}
	if (e->is_debugger_paused >= 0 &&
	    (t->dbg == 2 || ts > t->misc_ts ||
	     (ts == t->misc_ts && e->is_debugger_paused > t->dbg))) {
		t->dbg = (uint8_t)e->is_debugger_paused;
		t->misc_ts = ts;
	}
	if ((error = merge_str(h, &t->repr, e->actor_repr_name)) < 0)
		return error;
	if (e->has_log_info) {
		const rh_event_log_info *l = &e->log_info;

		t->has_log = 1;
		if ((error = merge_str(h, &t->out_file, l->stdout_file)) < 0 ||
		    (error = merge_str(h, &t->err_file, l->stderr_file)) < 0)
			return error;
		/* Ray sends the start offsets when the task starts and the
		 * end offsets when it ends, in separate events. */
		min_present(&t->out_start, l->stdout_start);
		min_present(&t->err_start, l->stderr_start);
		max_present(&t->out_end, l->stdout_end);
		max_present(&t->err_end, l->stderr_end);
	}
	return 0;
}

static int
add_task_profile(rh_history *h, const rh_event_task *e)
{
	hb_task *t;
	size_t i;
	uint32_t k;
	int error;

	if ((error = task_get(h, &t, e->task_id, e->attempt)) < 0 ||
	    (error = merge_str(h, &t->job, e->job_id)) < 0 ||
	    (error = merge_str(h, &t->ctype, e->component_type)) < 0 ||
	    (error = merge_str(h, &t->cid, e->component_id)) < 0 ||
	    (error = merge_str(h, &t->cip, e->node_ip_address)) < 0)
		return error;
	for (i = 0; i < e->nprofile; i++) {
		const rh_event_profile *p = &e->profile[i];
		uint32_t name, extra;

		if ((error = intern(h, &name, p->event_name)) < 0 ||
		    (error = intern(h, &extra, p->extra_data)) < 0)
			return error;
		for (k = 0; k < t->nprof; k++) {
			hb_prof *q = &t->prof[k];

			if (q->name == name && q->start == p->start_ns &&
			    q->end == p->end_ns) {
				lexmax(h, &q->extra, extra);
				break;
			}
		}
		if (k < t->nprof)
			continue;
		if (t->nprof == t->aprof) {
			/* room for the rest of this event's entries (most
			 * tasks have one profile event): doubling left a
			 * quarter of ~6M entries unused at 1M tasks */
			size_t na = t->aprof ? (size_t)t->aprof * 2 : 2;
			hb_prof *np;

			if (na < t->nprof + (e->nprofile - i))
				na = t->nprof + (e->nprofile - i);
			if (na > UINT32_MAX / sizeof(*np) ||
			    !(np = rh__realloc(t->prof, na * sizeof(*np))))
				return RH_ENOMEM;
			t->prof = np;
			t->aprof = (uint32_t)na;
		}
		t->prof[t->nprof].name = name;
		t->prof[t->nprof].extra = extra;
		t->prof[t->nprof].start = p->start_ns;
		t->prof[t->nprof].end = p->end_ns;
		t->nprof++;
	}
	return 0;
}

/* ---------------------------------------------------------------- extras */

static int
x_cmp(const void *ctx, uint32_t a, uint32_t b)
{
	const rh_history *h = ctx;
	const rh_strtab *st = &h->strs;
	const hb_x *x, *y;
	int c;

	if (!a || !b)
		return a ? 1 : (b ? -1 : 0);
	x = hb_pool_at(&h->xs, a - 1);
	y = hb_pool_at(&h->xs, b - 1);
	/* Twin transitions keep the larger extra, so that the result does not
	 * depend on arrival order: any fixed order will do, and this one
	 * (member by member as hb_x declares them) is the one indexes built
	 * so far were made with. */
	if ((c = rh_strtab_cmp(st, x->node, y->node)) ||
	    (c = rh_strtab_cmp(st, x->worker, y->worker)) ||
	    (c = rh_strtab_cmp(st, x->repr, y->repr)) ||
	    (c = rh_strtab_cmp(st, x->death, y->death)) ||
	    (c = rh_strtab_cmp(st, x->ip, y->ip)) ||
	    (c = rh_strtab_cmp(st, x->reason, y->reason)) ||
	    (c = rh_strtab_cmp(st, x->message, y->message)) ||
	    (c = rh_strtab_cmp(st, x->resources, y->resources)))
		return c;
	if (x->pid != y->pid)
		return x->pid > y->pid ? 1 : -1;
	if (x->exit_code != y->exit_code)
		return x->exit_code > y->exit_code ? 1 : -1;
	return 0;
}

static int
add_x(rh_history *h, uint32_t *out, const rh_event_transition *t)
{
	hb_x *x;
	uint32_t idx;
	int error;

	*out = 0;
	if (!t->node_id && !t->worker_id && !t->repr_name && !t->death_cause &&
	    !t->ip && !t->reason && !t->message && !t->resources &&
	    t->pid < 0 && t->exit_code < 0)
		return 0;
	if (!(x = hb_pool_add(&h->xs, &idx)))
		return RH_ENOMEM;
	x->pid = t->pid;
	x->exit_code = t->exit_code;
	if ((error = intern(h, &x->node, t->node_id)) < 0 ||
	    (error = intern(h, &x->worker, t->worker_id)) < 0 ||
	    (error = intern(h, &x->repr, t->repr_name)) < 0 ||
	    (error = intern(h, &x->death, t->death_cause)) < 0 ||
	    (error = intern(h, &x->ip, t->ip)) < 0 ||
	    (error = intern(h, &x->reason, t->reason)) < 0 ||
	    (error = intern(h, &x->message, t->message)) < 0 ||
	    (error = intern(h, &x->resources, t->resources)) < 0)
		return error;
	*out = idx + 1;
	return 0;
}

static int
add_transitions(rh_history *h, hb_trvec *v, const rh_event *ev,
                const rh_event_transition *tr, size_t n)
{
	int coarse = ev->format == RH_EVENT_FORMAT_EXPORT ? HB_COARSE : 0;
	size_t i;
	uint32_t x;
	int error;

	for (i = 0; i < n; i++)
		if ((error = add_x(h, &x, &tr[i])) < 0 ||
		    (error = hb_tr_add(v, tr[i].state | coarse, tr[i].time_ns,
		                       x, x_cmp, h)) < 0)
			return error;
	return 0;
}

int
hb_x_cmp(const rh_history *h, uint32_t a, uint32_t b)
{
	return x_cmp(h, a, b);
}

/* The entity of a string key in `map`, created zeroed if new. */
static int
entity_get(rh_history *h, void **out, uint32_t *sid_out, hb_map *map,
           hb_pool *pool, const char *key)
{
	uint32_t sid, idx;
	int error;

	if ((error = intern(h, &sid, key)) < 0)
		return error;
	*sid_out = sid;
	if ((idx = hb_map_get(map, sid))) {
		*out = hb_pool_at(pool, idx - 1);
		return 0;
	}
	if (!(*out = hb_pool_add(pool, &idx)))
		return RH_ENOMEM;
	return hb_map_put(map, sid, idx + 1);
}

/* ---------------------------------------------------------------- actors */

static int
actor_get(rh_history *h, hb_actor **out, const char *id)
{
	uint32_t sid;
	int error;

	if ((error = entity_get(h, (void **)out, &sid, &h->actor_map,
	                        &h->actors, id)) < 0)
		return error;
	if (!(*out)->id) {
		(*out)->id = sid;
		(*out)->detached = -1;
	}
	return 0;
}

static int
add_actor(rh_history *h, const rh_event *ev, const rh_event_actor *e)
{
	hb_actor *a;
	int error;

	if ((error = actor_get(h, &a, e->actor_id)) < 0 ||
	    (error = merge_str(h, &a->job, e->job_id)) < 0 ||
	    (error = merge_str(h, &a->name, e->name)) < 0 ||
	    (error = merge_str(h, &a->cls, e->class_name)) < 0 ||
	    (error = merge_str(h, &a->ns, e->ray_namespace)) < 0 ||
	    (error = merge_str(h, &a->pg, e->placement_group_id)) < 0 ||
	    (error = merge_str(h, &a->repr, e->repr_name)) < 0 ||
	    (error = merge_str(h, &a->res, e->required_resources)) < 0 ||
	    (error = merge_str(h, &a->renv, e->runtime_env)) < 0 ||
	    (error = merge_str(h, &a->callsite, e->call_site)) < 0 ||
	    (error = merge_str(h, &a->labels, e->label_selector)) < 0)
		return error;
	if (e->is_detached > a->detached)
		a->detached = (int8_t)e->is_detached;
	return add_transitions(h, &a->tr, ev, e->transitions, e->ntransitions);
}

/* ---------------------------------------------------------------- nodes */

static int
add_node(rh_history *h, const rh_event *ev, const rh_event_node *e)
{
	hb_node *n;
	uint32_t sid;
	int error;

	if ((error = entity_get(h, (void **)&n, &sid, &h->node_map, &h->nodes,
	                        e->node_id)) < 0)
		return error;
	if (!n->id) {
		n->id = sid;
		n->head = -1;
		n->start = n->end = HB_NONE;
	}
	if ((error = merge_str(h, &n->ip, e->node_ip)) < 0 ||
	    (error = merge_str(h, &n->name, e->node_name)) < 0 ||
	    (error = merge_str(h, &n->host, e->hostname)) < 0 ||
	    (error = merge_str(h, &n->inst_id, e->instance_id)) < 0 ||
	    (error = merge_str(h, &n->inst_type, e->instance_type_name)) < 0 ||
	    (error = merge_str(h, &n->labels, e->labels)) < 0 ||
	    (error = merge_str(h, &n->res, e->resources_total)) < 0)
		return error;
	if (e->is_head_node > n->head)
		n->head = (int8_t)e->is_head_node;
	min_time(&n->start, e->start_ns);
	max_time(&n->end, e->end_ns);
	return add_transitions(h, &n->tr, ev, e->transitions, e->ntransitions);
}

/* ---------------------------------------------------------------- jobs */

static int
job_get(rh_history *h, hb_job **out, const char *key, int submission)
{
	uint32_t sid;
	int error;

	if ((error = entity_get(h, (void **)out, &sid,
	                        submission ? &h->sub_map : &h->driver_map,
	                        &h->jobs, key)) < 0)
		return error;
	if (!(*out)->job_id && !(*out)->sub_id) {
		hb_job *j = *out;

		j->is_submission = submission;
		if (submission)
			j->sub_id = sid;
		else
			j->job_id = sid;
		j->dpid = j->dexit = -1;
		j->start = j->end = HB_NONE;
		j->dead = -1;
	}
	return 0;
}

static int
add_job(rh_history *h, const rh_event *ev, const rh_event_job *e)
{
	int submission = ev->kind == RH_EVENT_SUBMISSION_JOB;
	hb_job *j;
	int error;

	if (!submission && !e->job_id)
		return 0;
	if ((error = job_get(h, &j, submission ? e->submission_id : e->job_id,
	                     submission)) < 0)
		return error;
	if ((submission && (error = merge_str(h, &j->job_id, e->job_id)) < 0) ||
	    (!submission &&
	     (error = merge_str(h, &j->sub_id, e->submission_id)) < 0) ||
	    (error = merge_str(h, &j->entry, e->entrypoint)) < 0 ||
	    (error = merge_str(h, &j->dnode, e->driver_node_id)) < 0 ||
	    (error = merge_str(h, &j->dip, e->driver_ip)) < 0 ||
	    (error = merge_str(h, &j->meta, e->metadata)) < 0 ||
	    (error = merge_str(h, &j->renv, e->runtime_env)) < 0 ||
	    (error = merge_str(h, &j->http, e->driver_agent_http_address)) < 0)
		return error;
	if (e->driver_pid > j->dpid)
		j->dpid = e->driver_pid;
	if (e->driver_exit_code > j->dexit)
		j->dexit = e->driver_exit_code;
	if (e->is_dead > j->dead)
		j->dead = (int8_t)e->is_dead;
	min_time(&j->start, e->start_ns);
	max_time(&j->end, e->end_ns);
	return add_transitions(h, &j->tr, ev, e->transitions, e->ntransitions);
}

/* ---------------------------------------------------------------- groups */

static int
add_pg(rh_history *h, const rh_event *ev, const rh_event_pg *e)
{
	hb_pg *g;
	uint32_t sid;
	int error;

	if ((error = entity_get(h, (void **)&g, &sid, &h->pg_map, &h->pgs,
	                        e->placement_group_id)) < 0)
		return error;
	if (!g->id) {
		g->id = sid;
		g->detached = -1;
	}
	if ((error = merge_str(h, &g->name, e->name)) < 0 ||
	    (error = merge_str(h, &g->job, e->creator_job_id)) < 0 ||
	    (error = merge_str(h, &g->strategy, e->strategy)) < 0 ||
	    (error = merge_str(h, &g->bundles, e->bundles)) < 0)
		return error;
	if (e->is_detached > g->detached)
		g->detached = (int8_t)e->is_detached;
	return add_transitions(h, &g->tr, ev, e->transitions, e->ntransitions);
}

/* ---------------------------------------------------------------- events */

static int
cevent_greater(rh_history *h, const hb_cevent *a, const hb_cevent *b)
{
	const uint32_t *sa = &a->id, *sb = &b->id;
	size_t i;
	int c;

	if (a->t != b->t)
		return a->t > b->t;
	if (a->pid != b->pid)
		return a->pid > b->pid;
	for (i = 0; i < 8; i++)
		if ((c = rh_strtab_cmp(&h->strs, sa[i], sb[i])))
			return c > 0;
	return 0;
}

static int
add_cluster(rh_history *h, const rh_event_cluster *e)
{
	hb_cevent n, *c;
	uint32_t idx;
	int error;

	memset(&n, 0, sizeof(n));
	n.pid = e->pid;
	n.t = e->time_ns;
	if ((error = intern(h, &n.id, e->event_id)) < 0 ||
	    (error = intern(h, &n.src, e->source_type)) < 0 ||
	    (error = intern(h, &n.host, e->host_name)) < 0 ||
	    (error = intern(h, &n.sev, e->severity)) < 0 ||
	    (error = intern(h, &n.label, e->label)) < 0 ||
	    (error = intern(h, &n.msg, e->message)) < 0 ||
	    (error = intern(h, &n.fields, e->custom_fields)) < 0 ||
	    (error = intern(h, &n.job, e->job_id)) < 0)
		return error;
	/* The dashboard keeps one event per event_id. */
	if ((idx = hb_map_get(&h->cevent_map, n.id))) {
		c = hb_pool_at(&h->cevents, idx - 1);
		if (cevent_greater(h, &n, c))
			*c = n;
		return 0;
	}
	if (!(c = hb_pool_add(&h->cevents, &idx)))
		return RH_ENOMEM;
	*c = n;
	return hb_map_put(&h->cevent_map, n.id, idx + 1);
}

/* ---------------------------------------------------------------- API */

int
rh_history__fail(rh_history *h, int code)
{
	snprintf(h->errmsg, sizeof(h->errmsg), "%s", rh_error_last());
	return code;
}

void
rh_history__pools_init(rh_history *h)
{
	h->tasks.item = sizeof(hb_task);
	h->actors.item = sizeof(hb_actor);
	h->nodes.item = sizeof(hb_node);
	h->jobs.item = sizeof(hb_job);
	h->pgs.item = sizeof(hb_pg);
	h->workers.item = sizeof(hb_worker);
	h->cevents.item = sizeof(hb_cevent);
	h->xs.item = sizeof(hb_x);
}

RH_EXTERN int
rh_history_new(rh_history **out, const rh_history_options *opts)
{
	rh_history *h;

	if (!out)
		return rh__error(RH_EINVAL, "rh_history_new: NULL out");
	*out = NULL;
	if (opts && opts->version != RH_HISTORY_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_history_new: options version %u",
		                 opts->version);
	if (!(h = rh__calloc(1, sizeof(*h))))
		return RH_ENOMEM;
	h->opts.version = RH_HISTORY_OPTIONS_VERSION;
	if (opts && opts->ray_version &&
	    !(h->ray_version = rh__strdup(opts->ray_version))) {
		free(h);
		return RH_ENOMEM;
	}
	h->opts.ray_version = h->ray_version;
	rh_history__pools_init(h);
	if (rh_strtab_init(&h->strs) < 0) {
		free(h);
		return RH_ENOMEM;
	}
	*out = h;
	return 0;
}

RH_EXTERN int
rh_history_add(rh_history *h, const rh_event *ev)
{
	int error = 0;

	if (!h || !ev)
		return rh__error(RH_EINVAL, "rh_history_add: NULL argument");
	if (h->finished)
		return rh__error(RH_EINVAL,
		                 "rh_history_add: history already finished");
	switch (ev->kind) {
	case RH_EVENT_TASK_DEFINITION:
		error = add_task_def(h, &ev->u.task);
		break;
	case RH_EVENT_TASK_LIFECYCLE:
		error = add_task_life(h, ev, &ev->u.task);
		break;
	case RH_EVENT_TASK_PROFILE:
		error = add_task_profile(h, &ev->u.task);
		break;
	case RH_EVENT_ACTOR_DEFINITION:
	case RH_EVENT_ACTOR_LIFECYCLE:
		error = add_actor(h, ev, &ev->u.actor);
		break;
	case RH_EVENT_DRIVER_JOB_DEFINITION:
	case RH_EVENT_DRIVER_JOB_LIFECYCLE:
	case RH_EVENT_SUBMISSION_JOB: error = add_job(h, ev, &ev->u.job); break;
	case RH_EVENT_NODE_DEFINITION:
	case RH_EVENT_NODE_LIFECYCLE:
		error = add_node(h, ev, &ev->u.node);
		break;
	case RH_EVENT_PLACEMENT_GROUP_DEFINITION:
	case RH_EVENT_PLACEMENT_GROUP_LIFECYCLE:
		error = add_pg(h, ev, &ev->u.pg);
		break;
	case RH_EVENT_CLUSTER: error = add_cluster(h, &ev->u.cluster); break;
	default: break;
	}
	return error < 0 ? rh_history__fail(h, error) : 0;
}

RH_EXTERN int
rh_history_event_cb(const rh_event *ev, void *payload)
{
	return rh_history_add(payload, ev);
}

static void
stats_add(rh_event_stats *to, const rh_event_stats *s)
{
	if (!to->first_error[0] && s->first_error[0])
		memcpy(to->first_error, s->first_error,
		       sizeof(to->first_error));
	to->lines += s->lines;
	to->records += s->records;
	to->unknown_types += s->unknown_types;
	to->unknown_fields += s->unknown_fields;
	to->too_long += s->too_long;
	to->malformed += s->malformed;
	to->bytes += s->bytes;
}

void
rh_history__stats_add(rh_history *h, const rh_event_stats *s)
{
	stats_add(&h->stats, s);
}

int
rh_history__warn(rh_history *h, const char *fmt, ...)
{
	va_list ap;
	int error = 0;

	if (h->nwarnings++ >= RH_HISTORY_MAX_WARNINGS)
		return 0; /* counted; the index says how many more */
	va_start(ap, fmt);
	if ((error = rh_buf_vprintf(&h->warnings, fmt, ap)) == 0)
		error = rh_buf_put(&h->warnings, "", 1); /* its NUL */
	va_end(ap);
	return error;
}

RH_EXTERN int
rh_history_add_object(rh_history *h, const char *name, const void *data,
                      size_t len, const rh_event_parse_options *opts)
{
	rh_event_stats st;
	int error;

	if (!h)
		return rh__error(RH_EINVAL,
		                 "rh_history_add_object: NULL history");
	rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;

	memset(&st, 0, sizeof(st));
	if (opts)
		o = *opts;
	if (!o.ray_version)
		o.ray_version = h->ray_version;
	error = rh_event_parse(&st, name, data, len, &o, rh_history_event_cb,
	                       h);
	stats_add(&h->stats, &st);
	return error < 0 ? rh_history__fail(h, error) : error;
}

RH_EXTERN void
rh_history_set_fingerprint(rh_history *h, const uint8_t fp[RH_FINGERPRINT_SIZE])
{
	if (h && fp)
		memcpy(h->fp, fp, RH_FINGERPRINT_SIZE);
}

RH_EXTERN int
rh_history_finish(rh_history *h)
{
	int error;

	if (!h)
		return rh__error(RH_EINVAL, "rh_history_finish: NULL history");
	if (h->finished)
		return 0;
	if ((error = rh_history__finish(h)) < 0)
		return rh_history__fail(h, error);
	h->finished = 1;
	return 0;
}

RH_EXTERN uint64_t
rh_history_count(const rh_history *h, rh_entity what)
{
	if (!h)
		return 0;
	switch (what) {
	case RH_ENTITY_TASK: return h->tasks.n;
	case RH_ENTITY_ACTOR: return h->actors.n;
	case RH_ENTITY_JOB: return h->finished ? h->njob_rows : h->jobs.n;
	case RH_ENTITY_NODE: return h->nodes.n;
	case RH_ENTITY_WORKER: return h->workers.n;
	case RH_ENTITY_PLACEMENT_GROUP: return h->pgs.n;
	case RH_ENTITY_CLUSTER_EVENT: return h->cevents.n;
	default: return 0;
	}
}

RH_EXTERN const rh_event_stats *
rh_history_stats(const rh_history *h)
{
	return h ? &h->stats : NULL;
}

RH_EXTERN const char *
rh_history_errmsg(const rh_history *h)
{
	return h ? h->errmsg : "";
}

RH_EXTERN void
rh_history_free(rh_history *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->tasks.n; i++) {
		hb_task *t = hb_pool_at(&h->tasks, i);

		free(t->tr.v);
		free(t->prof);
	}
	for (i = 0; i < h->actors.n; i++)
		free(((hb_actor *)hb_pool_at(&h->actors, i))->tr.v);
	for (i = 0; i < h->nodes.n; i++)
		free(((hb_node *)hb_pool_at(&h->nodes, i))->tr.v);
	for (i = 0; i < h->jobs.n; i++)
		free(((hb_job *)hb_pool_at(&h->jobs, i))->tr.v);
	for (i = 0; i < h->pgs.n; i++)
		free(((hb_pg *)hb_pool_at(&h->pgs, i))->tr.v);
	rh_buf_dispose(&h->warnings);
	hb_pool_dispose(&h->tasks);
	hb_pool_dispose(&h->actors);
	hb_pool_dispose(&h->nodes);
	hb_pool_dispose(&h->jobs);
	hb_pool_dispose(&h->pgs);
	hb_pool_dispose(&h->workers);
	hb_pool_dispose(&h->cevents);
	hb_pool_dispose(&h->xs);
	hb_map_dispose(&h->task_map);
	hb_map_dispose(&h->actor_map);
	hb_map_dispose(&h->node_map);
	hb_map_dispose(&h->driver_map);
	hb_map_dispose(&h->sub_map);
	hb_map_dispose(&h->pg_map);
	hb_map_dispose(&h->worker_map);
	hb_map_dispose(&h->cevent_map);
	rh_strtab_dispose(&h->strs);
	free(h->task_order);
	free(h->actor_order);
	free(h->node_order);
	free(h->job_order);
	free(h->pg_order);
	free(h->worker_order);
	free(h->cevent_order);
	free(h->ray_version);
	free(h);
}
