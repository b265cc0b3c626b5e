/* index_query.c - filters, paging and summaries over an opened index.
 *
 * A task query is planned from its filters: "task_id =" uses the id table;
 * "job_id =" with "state =" uses the (job, state) posting list; otherwise the
 * shortest posting list of an indexed "=" filter drives; failing all that,
 * every row. The driving list is in row order, so the first page costs reads
 * proportional to the page (plus the rows the other filters reject).
 *
 * At an instant T (opts.at_ns) the state posting lists, which hold final
 * states, are not used; the tasks created by T are the rows below a cut
 * found by binary search (rows are in creation order), so the driving list
 * is clipped there and rows are cut at T by index_at.c. */
#include "internal.h"
#include "index_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>

enum { V_NULL = 0, V_STR, V_INT, V_BOOL };

typedef int (*col_get)(const rh_row *r, const char **s, int64_t *i);

typedef struct col_def {
	const char *name;
	int type; /* V_STR, V_INT, V_BOOL */
	col_get get;
	int ixcol; /* tasks: IX_COL_* or 0; SHOWN: not a filter */
} col_def;

/* A column rh_row_value() reads that Ray does not filter on; these come
 * last in their table. */
#define SHOWN (-1)

#define GS(fn, expr)                                               \
	static int fn(const rh_row *r, const char **s, int64_t *i) \
	{                                                          \
		(void)i;                                           \
		*s = (expr);                                       \
		return *s ? V_STR : V_NULL;                        \
	}
#define GI(fn, expr, nullcond)                                     \
	static int fn(const rh_row *r, const char **s, int64_t *i) \
	{                                                          \
		(void)s;                                           \
		*i = (expr);                                       \
		return (nullcond) ? V_NULL : V_INT;                \
	}
#define GB(fn, expr)                                               \
	static int fn(const rh_row *r, const char **s, int64_t *i) \
	{                                                          \
		(void)s;                                           \
		*i = (expr);                                       \
		return *i < 0 ? V_NULL : V_BOOL;                   \
	}

GS(t_task_id, r->u.task.task_id)
GI(t_attempt, r->u.task.attempt_number, 0)
GS(t_name, r->u.task.name)
GS(t_state, rh_task_state_name(r->u.task.state))
GS(t_job, r->u.task.job_id)
GS(t_actor, r->u.task.actor_id)
GS(t_type, r->u.task.type ? rh_task_type_name(r->u.task.type) : NULL)
GS(t_func, r->u.task.func_or_class_name)
GS(t_parent, r->u.task.parent_task_id)
GS(t_node, r->u.task.node_id)
GS(t_worker, r->u.task.worker_id)
GI(t_pid, r->u.task.worker_pid, *i < 0)
GS(t_etype, r->u.task.error_type)
GS(t_lang, r->u.task.language)
GS(t_pg, r->u.task.placement_group_id)
GB(t_dbg, r->u.task.is_debugger_paused)

static const col_def task_cols[] = {
	{ "task_id", V_STR, t_task_id, 0 },
	{ "attempt_number", V_INT, t_attempt, 0 },
	{ "name", V_STR, t_name, IX_COL_NAME },
	{ "state", V_STR, t_state, IX_COL_STATE },
	{ "job_id", V_STR, t_job, IX_COL_JOB },
	{ "actor_id", V_STR, t_actor, IX_COL_ACTOR },
	{ "type", V_STR, t_type, IX_COL_TYPE },
	{ "func_or_class_name", V_STR, t_func, IX_COL_FUNC },
	{ "parent_task_id", V_STR, t_parent, 0 },
	{ "node_id", V_STR, t_node, IX_COL_NODE },
	{ "worker_id", V_STR, t_worker, IX_COL_WORKER },
	{ "worker_pid", V_INT, t_pid, 0 },
	{ "error_type", V_STR, t_etype, 0 },
	{ "language", V_STR, t_lang, 0 },
	{ "placement_group_id", V_STR, t_pg, 0 },
	{ "is_debugger_paused", V_BOOL, t_dbg, 0 },
	{ NULL, 0, NULL, 0 },
};

GS(a_id, r->u.actor.actor_id)
GS(a_class, r->u.actor.class_name)
GS(a_state, rh_actor_state_name(r->u.actor.state))
GS(a_job, r->u.actor.job_id)
GS(a_name, r->u.actor.name)
GS(a_node, r->u.actor.node_id)
GI(a_pid, r->u.actor.pid, *i < 0)
GS(a_ns, r->u.actor.ray_namespace)
GS(a_pg, r->u.actor.placement_group_id)
GS(a_repr, r->u.actor.repr_name)

static const col_def actor_cols[] = {
	{ "actor_id", V_STR, a_id, 0 },
	{ "class_name", V_STR, a_class, 0 },
	{ "state", V_STR, a_state, 0 },
	{ "job_id", V_STR, a_job, 0 },
	{ "name", V_STR, a_name, 0 },
	{ "node_id", V_STR, a_node, 0 },
	{ "pid", V_INT, a_pid, 0 },
	{ "ray_namespace", V_STR, a_ns, 0 },
	{ "placement_group_id", V_STR, a_pg, 0 },
	{ "repr_name", V_STR, a_repr, 0 },
	{ NULL, 0, NULL, 0 },
};

GS(j_id, r->u.job.job_id)
GS(j_type, r->u.job.type == RH_JOB_TYPE_DRIVER ? "DRIVER" : "SUBMISSION")
GS(j_status, rh_job_status_name(r->u.job.status))
GS(j_sub, r->u.job.submission_id)
GS(j_etype, r->u.job.error_type)
GS(j_entry, r->u.job.entrypoint)

static const col_def job_cols[] = {
	{ "job_id", V_STR, j_id, 0 },
	{ "type", V_STR, j_type, 0 },
	{ "status", V_STR, j_status, 0 },
	{ "submission_id", V_STR, j_sub, 0 },
	{ "error_type", V_STR, j_etype, SHOWN },
	{ "entrypoint", V_STR, j_entry, SHOWN },
	{ NULL, 0, NULL, 0 },
};

GS(n_id, r->u.node.node_id)
GS(n_ip, r->u.node.node_ip)
GB(n_head, r->u.node.is_head_node)
GS(n_state, rh_node_state_name(r->u.node.state))
GS(n_name, r->u.node.node_name)
GS(n_msg, r->u.node.state_message)

static const col_def node_cols[] = {
	{ "node_id", V_STR, n_id, 0 },
	{ "node_ip", V_STR, n_ip, 0 },
	{ "is_head_node", V_BOOL, n_head, 0 },
	{ "state", V_STR, n_state, 0 },
	{ "node_name", V_STR, n_name, 0 },
	{ "state_message", V_STR, n_msg, SHOWN },
	{ NULL, 0, NULL, 0 },
};

GS(w_id, r->u.worker.worker_id)
GB(w_alive, r->u.worker.is_alive)
GS(w_type, r->u.worker.worker_type)
GS(w_exit, r->u.worker.exit_type)
GS(w_node, r->u.worker.node_id)
GS(w_ip, r->u.worker.ip)
GI(w_pid, r->u.worker.pid, *i < 0)
GI(w_null, 0, 1)

static const col_def worker_cols[] = {
	{ "worker_id", V_STR, w_id, 0 },
	{ "is_alive", V_BOOL, w_alive, 0 },
	{ "worker_type", V_STR, w_type, 0 },
	{ "exit_type", V_STR, w_exit, 0 },
	{ "node_id", V_STR, w_node, 0 },
	{ "ip", V_STR, w_ip, 0 },
	{ "pid", V_INT, w_pid, 0 },
	{ "debugger_port", V_INT, w_null, 0 },
	{ "num_paused_threads", V_INT, w_null, 0 },
	{ NULL, 0, NULL, 0 },
};

GS(g_id, r->u.pg.placement_group_id)
GS(g_name, r->u.pg.name)
GS(g_job, r->u.pg.creator_job_id)
GS(g_state, rh_pg_state_name(r->u.pg.state))
GB(g_det, r->u.pg.is_detached)

static const col_def pg_cols[] = {
	{ "placement_group_id", V_STR, g_id, 0 },
	{ "name", V_STR, g_name, 0 },
	{ "creator_job_id", V_STR, g_job, 0 },
	{ "state", V_STR, g_state, 0 },
	{ "is_detached", V_BOOL, g_det, 0 },
	{ NULL, 0, NULL, 0 },
};

GS(e_sev, r->u.event.severity)
GS(e_src, r->u.event.source_type)
GS(e_id, r->u.event.event_id)
GS(e_job, r->u.event.job_id)

static const col_def cevent_cols[] = {
	{ "severity", V_STR, e_sev, 0 },
	{ "source_type", V_STR, e_src, 0 },
	{ "event_id", V_STR, e_id, 0 },
	/* not a Ray column: the bucket /events groups by */
	{ "job_id", V_STR, e_job, 0 },
	{ NULL, 0, NULL, 0 },
};

static const col_def *const entity_cols[RH_ENTITY_COUNT] = {
	task_cols,   actor_cols, job_cols,    node_cols,
	worker_cols, pg_cols,    cevent_cols,
};

static const int entity_sec[RH_ENTITY_COUNT] = {
	IX_TASK, IX_ACTOR, IX_JOB, IX_NODE, IX_WORKER, IX_PG, IX_CEVENT,
};

RH_EXTERN const char *
rh_entity_column(rh_entity what, size_t i)
{
	const col_def *c;

	if ((unsigned)what >= RH_ENTITY_COUNT)
		return NULL;
	for (c = entity_cols[what]; c->name && i; c++, i--)
		;
	return c->name;
}

RH_EXTERN int
rh_row_value(rh_value *out, const rh_row *row, const char *column)
{
	const col_def *c;

	if (!out || !row || !column)
		return rh__error(RH_EINVAL, "rh_row_value: NULL argument");
	memset(out, 0, sizeof(*out));
	if ((unsigned)row->entity >= RH_ENTITY_COUNT)
		return rh__error(RH_EINVAL, "rh_row_value: unknown entity %d",
		                 (int)row->entity);
	for (c = entity_cols[row->entity]; c->name && strcmp(c->name, column);
	     c++)
		;
	if (!c->name)
		return rh__error(RH_ENOTFOUND, "%s have no column %s",
		                 rh_entity_name(row->entity), column);
	switch (c->get(row, &out->s, &out->i)) {
	case V_STR: out->type = RH_VALUE_STRING; break;
	case V_INT: out->type = RH_VALUE_INT; break;
	case V_BOOL: out->type = RH_VALUE_BOOL; break;
	default:
		out->type = RH_VALUE_NULL;
		out->s = NULL;
		out->i = 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- query */

typedef struct qfilter {
	const col_def *col;
	int neg;
	char *sval; /* lower-cased */
	int64_t ival;
} qfilter;

enum { SRC_ROWS, SRC_POST, SRC_BYID, SRC_NONE };

struct rh_query {
	rh_index *ix;
	rh_entity what;
	rh_query_options o;
	qfilter *f;
	size_t nf;
	int src;
	uint64_t first,
		count; /* POST: entries; BYID/ROWS: [first, first+count) */
	uint64_t pos;
	int residual; /* filters beyond the driving list */
	int at;       /* o.at_ns is set */
	uint64_t cut; /* tasks at T: rows below exist at T */
	uint64_t skipped, returned;
	rh_query_counts counts;
	uint32_t batch[512];
	size_t bn, bi;
	uint64_t ahead; /* candidates up to here are fetched ahead */
	rh_arena arena;
	rh_row row;
	char errmsg[512];
};

static int
qfail(rh_query *q, int code)
{
	if (q)
		snprintf(q->errmsg, sizeof(q->errmsg), "%s", rh_error_last());
	return code;
}

static char *
lower_dup(const char *s)
{
	char *d = rh__strdup(s);
	size_t i;

	for (i = 0; d && d[i]; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	return d;
}

static int
parse_filters(rh_query *q, const rh_filter *fs, size_t n)
{
	const col_def *cols = entity_cols[q->what];
	size_t i;

	if (n && !fs)
		return rh__error(RH_EINVAL, "filters: NULL array");
	if (!(q->f = rh__calloc(n ? n : 1, sizeof(*q->f))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		const col_def *c;
		char *key;
		qfilter *f = &q->f[i];

		if (!fs[i].key || !fs[i].op || !fs[i].value)
			return rh__error(
				RH_EINVAL,
				"filter %zu: NULL key, predicate or value", i);
		if (!(key = lower_dup(fs[i].key)))
			return RH_ENOMEM;
		for (c = cols;
		     c->name && (c->ixcol == SHOWN || strcmp(c->name, key));
		     c++)
			;
		if (!c->name) { /* Ray's message, with every column */
			char list[1024] = "";
			const col_def *k;
			int e;

			for (k = cols; k->name && k->ixcol != SHOWN; k++)
				snprintf(list + strlen(list),
				         sizeof(list) - strlen(list), "%s%s",
				         k == cols ? "" : ", ", k->name);
			e = rh__error(RH_EINVAL,
			              "The given filter column %s is not "
			              "supported. Supported filter columns: %s",
			              key, list);
			free(key);
			return e;
		}
		free(key);
		f->col = c;
		q->nf++;
		if (!strcmp(fs[i].op, "="))
			f->neg = 0;
		else if (!strcmp(fs[i].op, "!="))
			f->neg = 1;
		else
			return rh__error(
				RH_EINVAL,
				"Unsupported filter predicate %s is given. "
				"Available predicates: =, !=",
				fs[i].op);
		if (c->type == V_INT) {
			char *end;

			errno = 0;
			f->ival = strtoll(fs[i].value, &end, 10);
			if (errno || *end || end == fs[i].value)
				return rh__error(
					RH_EINVAL,
					"filter %s: \"%s\" is not an integer",
					c->name, fs[i].value);
		} else if (c->type == V_BOOL) {
			if (!strcasecmp(fs[i].value, "true"))
				f->ival = 1;
			else if (!strcasecmp(fs[i].value, "false"))
				f->ival = 0;
			else
				return rh__error(
					RH_EINVAL,
					"filter %s: \"%s\" is not true or false",
					c->name, fs[i].value);
		}
		if (!(f->sval = lower_dup(fs[i].value)))
			return RH_ENOMEM;
	}
	return 0;
}

/* Does a decoded row pass every filter? */
static int
row_passes(const rh_query *q, const rh_row *r)
{
	size_t i;

	for (i = 0; i < q->nf; i++) {
		const qfilter *f = &q->f[i];
		const char *s = NULL;
		int64_t v = 0;
		int kind = f->col->get(r, &s, &v), eq;

		if (kind == V_NULL)
			return 0; /* Ray: a row without the column matches nothing */
		if (kind == V_STR)
			eq = strcasecmp(s, f->sval) == 0;
		else
			eq = v == f->ival;
		if (eq == f->neg)
			return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- planning */

/* Binary search the dictionary for (col, key[, key2]); the first entry and
 * count of its posting list, count 0 when absent. */
static int
dict_find(rh_index *ix, int col, const char *skey, uint32_t nkey, uint32_t key2,
          uint64_t *first, uint64_t *count)
{
	uint64_t lo = 0, hi = ix->sec[IX_DICT].count;
	unsigned char d[IX_DICT_SIZE];
	int error, is_enum = col == IX_COL_STATE || col == IX_COL_TYPE;

	*count = 0;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int c;
		uint32_t dcol;

		if ((error = ix_elem(ix, IX_DICT, mid, d)) < 0)
			return error;
		dcol = ix_get32(d);
		if (dcol != (uint32_t)col) {
			c = dcol < (uint32_t)col ? -1 : 1;
		} else if (is_enum) {
			uint32_t k = ix_get32(d + 4);

			c = k < nkey ? -1 : k > nkey;
		} else {
			if ((error = ix_strcmp(ix, ix_get32(d + 4), skey,
			                       strlen(skey), &c)) < 0)
				return error;
			if (!c && col == IX_COL_JOB_STATE) {
				uint32_t k2 = ix_get32(d + 8);

				c = k2 < key2 ? -1 : k2 > key2;
			}
		}
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			*first = ix_get64(d + 16);
			*count = ix_get32(d + 12);
			if (*first > ix->sec[IX_POST].count ||
			    *count > ix->sec[IX_POST].count - *first)
				return ix_corrupt(ix,
				                  "posting list out of range");
			return 0;
		}
	}
	return 0;
}

/* The BYID range of `task_id`. */
static int
byid_range(rh_query *q, const char *id, uint64_t *first, uint64_t *count)
{
	rh_index *ix = q->ix;
	uint64_t n = ix->sec[IX_TASK_BYID].count, lo = 0, hi = n, start;
	unsigned char b[4];
	int error;

	/* lower bound of id */
	for (int pass = 0; pass < 2; pass++) {
		lo = pass ? start : 0;
		hi = n;
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;
			const char *rid;
			int32_t att;
			int c;

			if ((error = ix_elem(ix, IX_TASK_BYID, mid, b)) < 0 ||
			    (error = ix_task_id(ix, &q->arena, ix_get32(b),
			                        &rid, &att)) < 0)
				return error;
			c = strcmp(rid, id);
			if (c < 0 || (pass && c == 0))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!pass)
			start = lo;
	}
	rh_arena_reset(&q->arena);
	*first = start;
	*count = lo - start;
	return 0;
}

static const qfilter *
find_eq(const rh_query *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nf; i++)
		if (!q->f[i].neg && !strcmp(q->f[i].col->name, name))
			return &q->f[i];
	return NULL;
}

static int
plan_tasks(rh_query *q)
{
	rh_index *ix = q->ix;
	const qfilter *fid = find_eq(q, "task_id"), *fj = find_eq(q, "job_id");
	const qfilter *fs = find_eq(q, "state");
	uint64_t first, count, best = UINT64_MAX;
	size_t i;
	int error, used = 0;

	q->src = SRC_ROWS;
	q->first = 0;
	q->count = ix->sec[IX_TASK].count;
	q->residual = q->nf > 0;
	if (fid) {
		if ((error = byid_range(q, fid->sval, &q->first, &q->count)) <
		    0)
			return error;
		q->src = SRC_BYID;
		return 0;
	}
	if (fj && fs && !q->at) {
		int st = rh_task_state_from_name(fs->sval);

		if (st < 0) {
			q->src = SRC_NONE;
			return 0;
		}
		if ((error = dict_find(ix, IX_COL_JOB_STATE, fj->sval, 0,
		                       (uint32_t)st, &first, &count)) < 0)
			return error;
		q->src = SRC_POST;
		q->first = first;
		q->count = count;
		q->residual = q->nf > 2;
		return 0;
	}
	for (i = 0; i < q->nf; i++) {
		const qfilter *f = &q->f[i];
		int col = f->col->ixcol;
		uint32_t num = 0;

		if (f->neg || !col || (q->at && col == IX_COL_STATE))
			continue;
		if (col == IX_COL_STATE || col == IX_COL_TYPE) {
			int v = col == IX_COL_STATE ?
			                rh_task_state_from_name(f->sval) :
			                -1;

			if (col == IX_COL_TYPE) {
				for (v = 1; v < RH_TASK_TYPE_COUNT; v++)
					if (!strcasecmp(rh_task_type_name(v),
					                f->sval))
						break;
				if (v == RH_TASK_TYPE_COUNT)
					v = -1;
			}
			if (v < 0) {
				q->src = SRC_NONE;
				return 0;
			}
			num = (uint32_t)v;
		}
		if ((error = dict_find(ix, col, f->sval, num, 0, &first,
		                       &count)) < 0)
			return error;
		if (count < best) {
			best = count;
			q->src = SRC_POST;
			q->first = first;
			q->count = count;
			used = 1;
		}
	}
	q->residual = q->nf > (size_t)used;
	return 0;
}

/* The sort time of task row `row` (index_at.c), reading its transitions
 * only when it has no creation time. */
static int
task_sort_time(rh_query *q, uint64_t row, int64_t *t)
{
	unsigned char r[IX_TASK_SIZE];
	rh_row dec;
	int error;

	if ((error = ix_elem(q->ix, IX_TASK, row, r)) < 0)
		return error;
	*t = (int64_t)ix_get64(r + TK_CREATION);
	if (*t != RH_TIME_NONE)
		return 0;
	rh_arena_reset(&q->arena);
	if ((error = ix_decode(q->ix, &q->arena, RH_ENTITY_TASK, row, 1,
	                       &dec)) < 0)
		return error;
	*t = ix_task_sort_time(&dec.u.task);
	return 0;
}

/* At T: find the cut (the first task row created after T, or without a
 * time) and clip the driving list to the rows below it. */
static int
clip_tasks_at(rh_query *q)
{
	uint64_t lo = 0, hi = q->ix->sec[IX_TASK].count;
	unsigned char b[4];
	int error;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int64_t t;

		if ((error = task_sort_time(q, mid, &t)) < 0)
			return error;
		if (t != RH_TIME_NONE && t <= q->o.at_ns)
			lo = mid + 1;
		else
			hi = mid;
	}
	q->cut = lo;
	if (q->src == SRC_ROWS) {
		if (q->count > q->cut)
			q->count = q->cut;
	} else if (q->src == SRC_POST) {
		/* posting lists are in row order: keep the entries below the cut */
		lo = 0;
		hi = q->count;
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;

			if ((error = ix_sec_read(q->ix, IX_POST,
			                         (q->first + mid) * 4, 4, b)) <
			    0)
				return error;
			if (ix_get32(b) < q->cut)
				lo = mid + 1;
			else
				hi = mid;
		}
		q->count = lo;
	}
	return 0;
}

/* Other entities are few: scan them, or binary search an id "=" filter on
 * the rows, which are sorted by that id. */
static int
plan_other(rh_query *q)
{
	static const char *const idcol[RH_ENTITY_COUNT] = {
		NULL,        "actor_id",           NULL, "node_id",
		"worker_id", "placement_group_id", NULL,
	};
	rh_index *ix = q->ix;
	int sec = entity_sec[q->what];
	const qfilter *f = idcol[q->what] ? find_eq(q, idcol[q->what]) : NULL;
	uint64_t lo = 0, hi = ix->sec[sec].count;
	unsigned char r[IX_ACTOR_SIZE]; /* the largest record read here */
	int error;

	q->src = SRC_ROWS;
	q->first = 0;
	q->count = hi;
	q->residual = q->nf > 0;
	if (!f)
		return 0;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		int c;

		if ((error = ix_elem(ix, sec, mid, r)) < 0 ||
		    (error = ix_strcmp(ix, ix_get32(r), f->sval,
		                       strlen(f->sval), &c)) < 0)
			return error;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	q->first = lo;
	q->count = q->first < ix->sec[sec].count ? 1 : 0;
	return 0;
}

/* ---------------------------------------------------------------- iterate */

/* The next candidate row of the driving list; RH_ITEROVER at its end. */
static int
next_candidate(rh_query *q, uint64_t *row)
{
	unsigned char b[4];
	int error;

	if (q->src == SRC_NONE || q->pos >= q->count)
		return RH_ITEROVER;
	switch (q->src) {
	case SRC_ROWS: *row = q->first + q->pos++; return 0;
	case SRC_BYID:
		if ((error = ix_elem(q->ix, IX_TASK_BYID, q->first + q->pos++,
		                     b)) < 0)
			return error;
		*row = ix_get32(b);
		return 0;
	default:
		if (q->bi == q->bn) {
			size_t n = q->count - q->pos < RH_ARRAY_SIZE(q->batch) ?
			                   (size_t)(q->count - q->pos) :
			                   RH_ARRAY_SIZE(q->batch),
			       i;
			unsigned char raw[sizeof(q->batch)];

			if ((error = ix_sec_read(q->ix, IX_POST,
			                         (q->first + q->pos) * 4, n * 4,
			                         raw)) < 0)
				return error;
			for (i = 0; i < n; i++)
				q->batch[i] = ix_get32(raw + 4 * i);
			q->bn = n;
			q->bi = 0;
		}
		q->pos++;
		*row = q->batch[q->bi++];
		return 0;
	}
}

static int
time_passes(const rh_query *q, const rh_task_row *t)
{
	int64_t begin = t->creation_time_ns != RH_TIME_NONE ?
	                        t->creation_time_ns :
	                        t->start_time_ns;

	if (q->o.time_to_ns != RH_TIME_NONE && begin != RH_TIME_NONE &&
	    begin > q->o.time_to_ns)
		return 0;
	if (q->o.time_from_ns != RH_TIME_NONE &&
	    t->end_time_ns != RH_TIME_NONE &&
	    t->end_time_ns < q->o.time_from_ns)
		return 0;
	return 1;
}

/* Whether a row must be decoded to know if it matches at T: every row of
 * the driving list below the cut exists at T, but task ids are not in row
 * order and other entities are not clipped. */
static int
at_needs_row(const rh_query *q)
{
	return q->at && (q->what != RH_ENTITY_TASK || q->src == SRC_BYID);
}

/* Decode `row` into q->row. */
static int
decode(rh_query *q, uint64_t row, int detail)
{
	return ix_decode(q->ix, &q->arena, q->what, row, detail, &q->row);
}

/* Whether `row` matches; decodes into q->row when a check needs it. */
static int
matches(rh_query *q, uint64_t row, int *ok)
{
	int is_task = q->what == RH_ENTITY_TASK, error;
	int timed = (is_task && (q->o.time_from_ns != RH_TIME_NONE ||
	                         q->o.time_to_ns != RH_TIME_NONE)) ||
	            at_needs_row(q);

	*ok = 1;
	if (!q->residual && !timed && !(is_task && q->o.exclude_driver))
		return 0;
	if (!q->residual && !timed) {
		unsigned char r[IX_TASK_SIZE];

		if ((error = ix_elem(q->ix, IX_TASK, row, r)) < 0)
			return error;
		*ok = r[TK_TYPE] != RH_TASK_TYPE_DRIVER_TASK;
		return 0;
	}
	rh_arena_reset(&q->arena);
	if ((error = decode(q, row, q->at)) < 0)
		return error;
	if (q->at && !ix_row_at(&q->row, q->o.at_ns))
		*ok = 0;
	else if (is_task && q->o.exclude_driver &&
	         q->row.u.task.type == RH_TASK_TYPE_DRIVER_TASK)
		*ok = 0;
	else if (is_task && !time_passes(q, &q->row.u.task))
		*ok = 0;
	else
		*ok = row_passes(q, &q->row);
	return 0;
}

/* Drivers inside the driving list, to correct an exact count. */
static int
drivers_in_source(rh_query *q, uint64_t *n)
{
	rh_index *ix = q->ix;
	uint64_t i, nd = ix->sec[IX_DRIVERS].count;
	unsigned char b[4];
	int error;

	*n = 0;
	for (i = 0; i < nd; i++) {
		uint32_t drow, lo = 0, hi;

		if ((error = ix_elem(ix, IX_DRIVERS, i, b)) < 0)
			return error;
		drow = ix_get32(b);
		if (q->src == SRC_ROWS) {
			*n += drow >= q->first && drow < q->first + q->count;
			continue;
		}
		hi = (uint32_t)q->count;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if ((error = ix_sec_read(ix, IX_POST,
			                         (q->first + mid) * 4, 4, b)) <
			    0)
				return error;
			if (ix_get32(b) < drow)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < q->count) {
			if ((error = ix_sec_read(ix, IX_POST,
			                         (q->first + lo) * 4, 4, b)) <
			    0)
				return error;
			*n += ix_get32(b) == drow;
		}
	}
	return 0;
}

/* counts.total at T: the entity's rows that existed at T. */
static int
count_total_at(rh_query *q)
{
	rh_index *ix = q->ix;
	uint64_t i, n = 0, nd = ix->sec[IX_DRIVERS].count;
	unsigned char b[4];
	int error;

	if (q->what == RH_ENTITY_TASK) {
		n = q->cut;
		for (i = 0; q->o.exclude_driver && i < nd; i++) {
			if ((error = ix_elem(ix, IX_DRIVERS, i, b)) < 0)
				return error;
			n -= n && ix_get32(b) < q->cut;
		}
		q->counts.total = n;
		return 0;
	}
	for (i = 0; i < ix->sec[entity_sec[q->what]].count; i++) {
		rh_arena_reset(&q->arena);
		if ((error = ix_decode(ix, &q->arena, q->what, i, 1, &q->row)) <
		    0)
			return error;
		n += ix_row_at(&q->row, q->o.at_ns);
	}
	q->counts.total = n;
	return 0;
}

static int
count_filtered(rh_query *q)
{
	int timed = (q->what == RH_ENTITY_TASK &&
	             (q->o.time_from_ns != RH_TIME_NONE ||
	              q->o.time_to_ns != RH_TIME_NONE)) ||
	            at_needs_row(q);
	uint64_t n = 0, row, saved = q->pos;
	int error, ok;

	if (q->src == SRC_NONE) {
		q->counts.num_filtered = 0;
		return 0;
	}
	if (!q->residual && !timed && q->src != SRC_BYID) {
		uint64_t d = 0;

		if (q->what == RH_ENTITY_TASK && q->o.exclude_driver &&
		    (error = drivers_in_source(q, &d)) < 0)
			return error;
		q->counts.num_filtered = q->count - d;
		return 0;
	}
	while ((error = next_candidate(q, &row)) == 0) {
		if ((error = matches(q, row, &ok)) < 0)
			return error;
		n += ok;
	}
	if (error != RH_ITEROVER)
		return error;
	q->counts.num_filtered = n;
	q->pos = saved;
	q->bn = q->bi = 0;
	return 0;
}

/* Ray's GCS filters tasks itself by these columns (GetTaskEventsRequest
 * Filters, both = and !=, and exclude_driver) before the dashboard sees
 * them, so its list "total" counts the tasks that pass them, not all tasks
 * (state_aggregator.py list_tasks: total = what GCS returned + dropped). */
static int
is_source_filter(const char *key)
{
	static const char *const keys[] = { "task_id", "job_id", "actor_id",
		                            "name", "state" };
	size_t i;

	for (i = 0; i < RH_ARRAY_SIZE(keys); i++)
		if (!strcmp(key, keys[i]))
			return 1;
	return 0;
}

/* counts.total of a task query that has source-side filters: the rows that
 * pass only those (at the same instant, drivers excluded the same way). */
static int
source_total(rh_query *q, const rh_query_options *opts)
{
	rh_filter src[64];
	rh_query_options so;
	rh_query *sub = NULL;
	size_t i, n = 0;
	int error;

	if (q->what != RH_ENTITY_TASK || !opts)
		return 0;
	for (i = 0; i < opts->nfilters; i++)
		if (is_source_filter(opts->filters[i].key) &&
		    n < RH_ARRAY_SIZE(src))
			src[n++] = opts->filters[i];
	if (!n)
		return 0;
	if (n == opts->nfilters && q->o.count &&
	    q->o.time_from_ns == RH_TIME_NONE &&
	    q->o.time_to_ns == RH_TIME_NONE) {
		q->counts.total = q->counts.num_filtered; /* the same rows */
		return 0;
	}
	so = q->o;
	so.filters = src;
	so.nfilters = n;
	so.count = 1;
	so.limit = 1;
	so.offset = 0;
	so.time_from_ns = so.time_to_ns = RH_TIME_NONE;
	if ((error = rh_query_open(&sub, q->ix, q->what, &so)) < 0)
		return error;
	q->counts.total = sub->counts.num_filtered;
	rh_query_close(sub);
	return 0;
}

RH_EXTERN int
rh_query_open(rh_query **out, rh_index *ix, rh_entity what,
              const rh_query_options *opts)
{
	static const rh_query_options dflt = RH_QUERY_OPTIONS_INIT;
	rh_query *q = NULL;
	int error;

	if (!out || !ix)
		return rh__error(RH_EINVAL, "rh_query_open: NULL argument");
	*out = NULL;
	if ((unsigned)what >= RH_ENTITY_COUNT)
		return rh__error(RH_EINVAL, "rh_query_open: unknown entity %d",
		                 (int)what);
	if (opts && opts->version != RH_QUERY_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "rh_query_open: options version %u",
		                 opts->version);
	if (!(q = rh__calloc(1, sizeof(*q))))
		return RH_ENOMEM;
	q->ix = ix;
	q->what = what;
	q->o = opts ? *opts : dflt;
	q->o.filters = NULL;
	q->at = q->o.at_ns != RH_TIME_NONE;
	if ((error = parse_filters(q, opts ? opts->filters : NULL,
	                           opts ? opts->nfilters : 0)) < 0)
		goto done;
	error = what == RH_ENTITY_TASK ? plan_tasks(q) : plan_other(q);
	if (error < 0 ||
	    (q->at && what == RH_ENTITY_TASK && (error = clip_tasks_at(q)) < 0))
		goto done;
	q->counts.total = ix->sec[entity_sec[what]].count;
	if (what == RH_ENTITY_TASK && q->o.exclude_driver &&
	    ix->sec[IX_DRIVERS].count <= q->counts.total)
		q->counts.total -= ix->sec[IX_DRIVERS].count;
	q->counts.num_filtered = UINT64_MAX;
	if (q->at && (error = count_total_at(q)) < 0)
		goto done;
	if ((q->o.count && (error = count_filtered(q)) < 0) ||
	    (error = source_total(q, opts)) < 0)
		goto done;
	*out = q, q = NULL;
done:
	rh_query_close(q);
	return error;
}

/* Rows fetched ahead at once: a page of answers and what it skips. */
#define AHEAD_MAX 256

/* Over a remote store, fetch what the next candidates' decoding reads, at
 * once (ix_prefetch_rows): two round trips for a page of rows instead of
 * one per page touched. A local folder reads as it decodes. */
static void
fetch_ahead(rh_query *q)
{
	uint64_t rows[AHEAD_MAX], want, n, i;
	unsigned char raw[4 * AHEAD_MAX];
	int sec = q->src == SRC_POST ? IX_POST : IX_TASK_BYID;

	if (q->pos < q->ahead || q->src == SRC_NONE ||
	    !ix_fetch_parallel(q->ix->st))
		return;
	want = (q->o.limit ? q->o.limit - q->returned : AHEAD_MAX) +
	       (q->o.offset > q->skipped ? q->o.offset - q->skipped : 0);
	n = q->count - q->pos;
	if (n > want)
		n = want;
	if (n > AHEAD_MAX)
		n = AHEAD_MAX;
	q->ahead = q->pos + (n ? n : 1);
	if (!n)
		return;
	if (q->src != SRC_ROWS &&
	    ix_sec_read(q->ix, sec, (q->first + q->pos) * 4, n * 4, raw) < 0) {
		rh_error_clear(); /* reported when read for the rows */
		return;
	}
	for (i = 0; i < n; i++)
		rows[i] = q->src == SRC_ROWS ? q->first + q->pos + i :
		                               ix_get32(raw + 4 * i);
	ix_prefetch_rows(q->ix, q->what, rows, (size_t)n, q->o.detail || q->at);
}

RH_EXTERN int
rh_query_next(const rh_row **row, rh_query *q)
{
	uint64_t r;
	int error, ok;

	if (!row || !q)
		return rh__error(RH_EINVAL, "rh_query_next: NULL argument");
	*row = NULL;
	for (;;) {
		if (q->o.limit && q->returned >= q->o.limit)
			return RH_ITEROVER;
		fetch_ahead(q);
		if ((error = next_candidate(q, &r)) < 0)
			return error == RH_ITEROVER ? error : qfail(q, error);
		if ((error = matches(q, r, &ok)) < 0)
			return qfail(q, error);
		if (!ok)
			continue;
		if (q->skipped < q->o.offset) {
			q->skipped++;
			continue;
		}
		rh_arena_reset(&q->arena);
		if ((error = decode(q, r, q->o.detail || q->at)) < 0)
			return qfail(q, error);
		if (q->at)
			(void)ix_row_at(&q->row,
			                q->o.at_ns); /* it exists: matched */
		q->returned++;
		q->counts.returned = q->returned;
		*row = &q->row;
		return 0;
	}
}

RH_EXTERN void
rh_query_counts_get(rh_query_counts *out, const rh_query *q)
{
	if (out && q)
		*out = q->counts;
}

RH_EXTERN const char *
rh_query_errmsg(const rh_query *q)
{
	return q ? q->errmsg : "";
}

RH_EXTERN void
rh_query_close(rh_query *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; q->f && i < q->nf; i++)
		free(q->f[i].sval);
	free(q->f);
	rh_arena_dispose(&q->arena);
	free(q);
}
