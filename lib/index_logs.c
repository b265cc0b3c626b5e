/* index_logs.c - where a task's, an actor's or a submission's log is: the
 * one resolution behind rayhist-ls --logs and /api/v0/logs/file?task_id=
 * (and actor_id=, submission_id=), so both say the same thing. */
#include "internal.h"

#include <rayhist/history.h>

#include <stdio.h>
#include <string.h>

static int
open_query(rh_query **q, rh_index *ix, rh_entity what, const rh_filter *f,
           size_t nf, uint64_t limit, int64_t at_ns)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;

	o.filters = f;
	o.nfilters = nf;
	o.limit = limit;
	o.count = 0;
	o.detail = 1; /* log info and friends are detail columns */
	o.exclude_driver = 0;
	o.at_ns = at_ns;
	return rh_query_open(q, ix, what, &o);
}

static int
set(rh_buf *b, const char *s)
{
	rh_buf_clear(b);
	return rh_buf_puts(b, s);
}

/* The highest attempt number of task `task_id`. */
static int
latest_attempt(int64_t *out, rh_index *ix, const char *task_id, int64_t at_ns)
{
	rh_filter f = { "task_id", "=", task_id };
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	*out = -1;
	if ((error = open_query(&q, ix, RH_ENTITY_TASK, &f, 1, 0, at_ns)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0)
		if (row->u.task.attempt_number > *out)
			*out = row->u.task.attempt_number;
	rh_query_close(q);
	if (error != RH_ITEROVER)
		return error;
	if (*out < 0)
		return rh__error(RH_ENOTFOUND, "task %s not found", task_id);
	return 0;
}

/* Where task row t's stdout or stderr (err) is; RH_ENOTFOUND, in Ray's
 * words, when the attempt recorded none. */
static int
task_log(rh_log_location *out, const rh_task_row *t, const char *task_id,
         const char *suffix, int err)
{
	const char *file =
		err ? t->log_info.stderr_file : t->log_info.stdout_file;
	const char *base;
	int64_t s, e;
	int error;

	out->attempt_number = t->attempt_number;
	if (!t->has_log_info || !file || !*file) {
		if (t->type == RH_TASK_TYPE_ACTOR_TASK)
			return rh__error(
				RH_ENOTFOUND,
				"For actor task, please query "
				"actor log for actor(%s): e.g. "
				"api/v0/logs/file?actor_id=%s&suffix=%s. "
				"Or set RAY_ENABLE_RECORD_ACTOR_TASK_LOGGING=1 "
				"in the cluster to query logs of actor tasks.",
				t->actor_id ? t->actor_id : "?",
				t->actor_id ? t->actor_id : "?", suffix);
		return rh__error(RH_ENOTFOUND,
		                 "task %s has no %s log "
		                 "information",
		                 task_id, suffix);
	}
	if (!t->node_id)
		return rh__error(RH_ENOTFOUND,
		                 "task %s: the node it ran on is "
		                 "unknown",
		                 task_id);
	s = err ? t->log_info.stderr_start : t->log_info.stdout_start;
	e = err ? t->log_info.stderr_end : t->log_info.stdout_end;
	out->start = s > 0 ? (uint64_t)s : 0;
	out->end = e >= 0 ? (uint64_t)e : UINT64_MAX;
	out->match = RH_LOG_MATCH_NAME; /* Ray records a base name */
	base = strrchr(file, '/');
	if ((error = set(&out->node_id, t->node_id)) < 0 ||
	    (error = set(&out->key, base ? base + 1 : file)) < 0)
		return error;
	return 0;
}

static int
locate_task(rh_log_location *out, rh_index *ix, const char *task_id,
            int64_t attempt, const char *suffix, int64_t at_ns)
{
	char num[24];
	rh_filter f[2] = { { "task_id", "=", task_id },
		           { "attempt_number", "=", num } };
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if ((error = rh__check_hex_id("task_id", task_id)) < 0 ||
	    (attempt < 0 &&
	     (error = latest_attempt(&attempt, ix, task_id, at_ns)) < 0))
		return error;
	snprintf(num, sizeof(num), "%lld", (long long)attempt);
	if ((error = open_query(&q, ix, RH_ENTITY_TASK, f, 2, 1, at_ns)) < 0)
		return error;
	if ((error = rh_query_next(&row, q)) == 0)
		error = task_log(out, &row->u.task, task_id, suffix,
		                 !strcmp(suffix, "err"));
	else if (error == RH_ITEROVER)
		error = rh__error(RH_ENOTFOUND,
		                  "task %s (attempt %lld) not found", task_id,
		                  (long long)attempt);
	rh_query_close(q);
	return error;
}

/* The worker and node of an actor's creation task: an actor that died
 * while being created never became ALIVE, yet its worker wrote the error. */
static int
creation_worker(rh_log_location *out, rh_index *ix, const char *actor_id,
                int64_t at_ns)
{
	rh_filter f[2] = { { "actor_id", "=", actor_id },
		           { "type", "=", "ACTOR_CREATION_TASK" } };
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if ((error = open_query(&q, ix, RH_ENTITY_TASK, f, 2, 0, at_ns)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task; /* the last attempt wins */
		if (!t->worker_id || !t->node_id)
			continue;
		if ((error = set(&out->key, t->worker_id)) < 0 ||
		    (error = set(&out->node_id, t->node_id)) < 0)
			break;
	}
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

static int
locate_actor(rh_log_location *out, rh_index *ix, const char *actor_id,
             int64_t at_ns)
{
	rh_filter f = { "actor_id", "=", actor_id };
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if ((error = rh__check_hex_id("actor_id", actor_id)) < 0)
		return error;
	if ((error = open_query(&q, ix, RH_ENTITY_ACTOR, &f, 1, 1, at_ns)) <
	            0 ||
	    (error = rh_query_next(&row, q)) < 0) {
		if (error == RH_ITEROVER)
			error = rh__error(RH_ENOTFOUND, "actor %s not found",
			                  actor_id);
		goto done;
	}
	out->match = RH_LOG_MATCH_WORKER;
	if (row->u.actor.worker_id && row->u.actor.node_id) {
		if ((error = set(&out->key, row->u.actor.worker_id)) < 0 ||
		    (error = set(&out->node_id, row->u.actor.node_id)) < 0)
			goto done;
	} else if ((error = creation_worker(out, ix, actor_id, at_ns)) < 0) {
		goto done;
	}
	if (!out->key.size)
		error = rh__error(RH_ENOTFOUND,
		                  "actor %s never ran on a worker, "
		                  "so it has no logs",
		                  actor_id);
done:
	rh_query_close(q);
	return error;
}

static int
locate_submission(rh_log_location *out, rh_index *ix, const char *id,
                  int64_t at_ns)
{
	rh_filter f = { "submission_id", "=", id };
	const rh_row *row;
	rh_query *q = NULL;
	size_t i;
	int error;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '_' ||
		      id[i] == '-') ||
		    i > 200)
			return rh__error(
				RH_EINVAL,
				"submission_id: \"%.60s\" has "
				"characters a submission id cannot have",
				id);
	if (!i)
		return rh__error(RH_EINVAL, "submission_id: empty");
	error = open_query(&q, ix, RH_ENTITY_JOB, &f, 1, 1, at_ns);
	if (error == 0 && (error = rh_query_next(&row, q)) == RH_ITEROVER &&
	    rh_id_is_hex(id, strlen(id))) {
		/* a job id of a submitted job names its submission too */
		rh_filter g = { "job_id", "=", id };
		rh_query_close(q);
		q = NULL;
		if ((error = open_query(&q, ix, RH_ENTITY_JOB, &g, 1, 1,
		                        at_ns)) == 0 &&
		    (error = rh_query_next(&row, q)) == 0 &&
		    !row->u.job.submission_id)
			error = rh__error(RH_ENOTFOUND,
			                  "job %s was not submitted "
			                  "through the job API, so it has no "
			                  "driver log of its own; see its "
			                  "driver's worker logs",
			                  id);
	}
	if (error < 0 && error != RH_ITEROVER)
		goto done;
	/* an unknown submission may still have its driver log on the head */
	if (error == 0 && row->u.job.driver_node_id &&
	    (error = set(&out->node_id, row->u.job.driver_node_id)) < 0)
		goto done;
	out->match = RH_LOG_MATCH_PATH;
	rh_buf_clear(&out->key);
	error = rh_buf_printf(&out->key, "logs/job-driver-%s.log",
	                      error == 0 && row->u.job.submission_id ?
	                              row->u.job.submission_id :
	                              id);
done:
	rh_query_close(q);
	return error;
}

RH_EXTERN int
rh_index_log_locate(rh_log_location *out, rh_index *ix, rh_log_owner owner,
                    const char *id, int64_t attempt, const char *suffix,
                    int64_t at_ns)
{
	if (!out || !ix || !id)
		return rh__error(RH_EINVAL,
		                 "rh_index_log_locate: NULL argument");
	rh_buf_clear(&out->node_id);
	rh_buf_clear(&out->key);
	out->match = RH_LOG_MATCH_PATH;
	out->start = 0;
	out->end = UINT64_MAX;
	out->attempt_number = -1;
	if (!suffix)
		suffix = "out";
	if (strcmp(suffix, "out") && strcmp(suffix, "err"))
		return rh__error(RH_EINVAL,
		                 "suffix: \"%.20s\" is not out or err", suffix);
	switch (owner) {
	case RH_LOG_OF_TASK:
		return locate_task(out, ix, id, attempt, suffix, at_ns);
	case RH_LOG_OF_ACTOR: return locate_actor(out, ix, id, at_ns);
	case RH_LOG_OF_SUBMISSION: return locate_submission(out, ix, id, at_ns);
	}
	return rh__error(RH_EINVAL, "rh_index_log_locate: unknown owner %d",
	                 (int)owner);
}

RH_EXTERN void
rh_log_location_dispose(rh_log_location *loc)
{
	if (!loc)
		return;
	rh_buf_dispose(&loc->node_id);
	rh_buf_dispose(&loc->key);
}
