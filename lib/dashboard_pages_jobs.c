/* dashboard_pages_jobs.c - the built-in tables of tasks and jobs and the
 * pages of jobs and actors: the task table of rayhist/tasks and of the
 * session page, the session page's job table, rayhist/job (a job: status,
 * entrypoint, error, driver, its driver log, its failed and other tasks),
 * rayhist/actor (an actor: state, node, worker, death cause, its worker's
 * logs, its tasks) and rayhist/actors (all actors, paged). As the task pages: plain HTML,
 * at the prefix's instant (dashboard_pages.c). */
#include "dashboard_pages.h"

#include <stdio.h>

#define ACTORS_PER_PAGE 50
#define JOBS_SHOWN 200
#define MSG_CUT 300 /* error message characters in a table */
#define TASKS_SHOWN 50

/* The end of a listing table once rh_query_next() stopped with error: the
 * query's counts in k and the table closed, or the error that stopped it. */
static int
table_end(rh_buf *b, rh_query *q, int error, rh_query_counts *k)
{
	if (error != RH_ITEROVER)
		return error;
	rh_query_counts_get(k, q);
	return rh_buf_puts(b, "</tbody></table>\n");
}

static const char *
job_type(int t)
{
	return t == RH_JOB_TYPE_SUBMISSION ? "SUBMISSION" : "DRIVER";
}

int
rh_dashboard__jobs_table(rh_dash_ctx *c, rh_buf *b, const char *prefix)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf href = RH_BUF_INIT;
	rh_query_counts k;
	const rh_row *row;
	rh_query *q = NULL;
	uint64_t shown = 0;
	int error;

	o.limit = JOBS_SHOWN;
	o.detail = 1;
	o.at_ns = c->at_ns;
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_JOB, &o)) < 0)
		return error;
	if ((error = rh_buf_puts(
		     b, "<table id=\"jobs\"><caption>Jobs</caption><thead>"
			"<tr><th scope=\"col\">Job</th><th scope=\"col\">"
			"Type</th><th scope=\"col\">Status</th><th scope="
			"\"col\">Entrypoint</th><th scope=\"col\">Message"
			"</th></tr></thead><tbody>\n")) < 0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_job_row *j = &row->u.job;
		const char *id = j->job_id ? j->job_id : j->submission_id;

		rh_buf_clear(&href);
		rh_buf_printf(&href, "%sjob?%s=%s", prefix,
		              j->job_id ? "job_id" : "submission_id",
		              id ? id : "");
		if ((error = rh_buf_puts(b, "<tr><th scope=\"row\">")) < 0 ||
		    (error = rh_dashboard__pg_link(b, href.ptr,
		                                   id ? id : "?")) < 0 ||
		    (j->submission_id && j->job_id &&
		     ((error = rh_buf_puts(b, "<br><code>")) < 0 ||
		      (error = rh_dashboard__pg_esc(b, j->submission_id)) < 0 ||
		      (error = rh_buf_puts(b, "</code>")) < 0)) ||
		    (error = rh_buf_printf(b, "</th><td>%s</td><td>%s</td><td>",
		                           job_type(j->type),
		                           rh_job_status_name(j->status))) <
		            0 ||
		    (error = rh_dashboard__pg_esc(b, j->entrypoint)) < 0 ||
		    (error = rh_buf_puts(b, "</td><td>")) < 0 ||
		    (error = rh_dashboard__pg_esc(b, j->message)) < 0 ||
		    (error = rh_buf_puts(b, "</td></tr>\n")) < 0)
			goto done;
		shown++;
	}
	if ((error = table_end(b, q, error, &k)) == 0)
		error = rh_buf_printf(
			b,
			"<p id=\"jobs-count\">Showing %llu of %llu "
			"jobs%s.</p>\n",
			(unsigned long long)shown,
			(unsigned long long)k.num_filtered,
			shown < k.num_filtered ?
				" (the first "
				"200; rayhist/jobs.txt lists all)" :
				"");
done:
	rh_query_close(q);
	rh_buf_dispose(&href);
	return error;
}

/* ---- tables of tasks ------------------------------------------------------------ */

/* An error message in a table cell: its last line, where Python puts the
 * exception ("ValueError: ..."), cut to MSG_CUT bytes. */
static int
msg_cell(rh_buf *b, const char *m)
{
	const char *line, *end;
	size_t n;
	int error;

	if (!m)
		return rh_buf_puts(b, "-");
	end = m + strlen(m);
	while (end > m && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (line = end; line > m && line[-1] != '\n'; line--)
		;
	n = (size_t)(end - line);
	if ((line > m && (error = rh_buf_puts(b, "&hellip; ")) < 0) ||
	    (error = rh_dashboard__pg_esc_n(b, line,
	                                    n > MSG_CUT ? MSG_CUT : n)) < 0)
		return error;
	return n > MSG_CUT ? rh_buf_puts(b, " &hellip;") : 0;
}

/* One row of a task table; href is scratch space. */
static int
task_tr(rh_buf *b, rh_buf *href, const rh_task_row *t, const char *prefix)
{
	int error;

	rh_buf_clear(href);
	if ((error = rh_buf_printf(href, "%stask?task_id=%s&attempt_number=%d",
	                           prefix, t->task_id,
	                           (int)t->attempt_number)) < 0 ||
	    (error = rh_buf_puts(b, "<tr class=\"task\"><th scope=\"row\">")) <
	            0 ||
	    (error = rh_dashboard__pg_link(
		     b, href->ptr, t->name ? t->name : t->task_id)) < 0 ||
	    (error = rh_buf_printf(b,
	                           "<br><code>%s</code></th><td class=\"n\">"
	                           "%d</td><td>%s</td><td>%s</td><td>",
	                           t->task_id, (int)t->attempt_number,
	                           rh_task_state_name(t->state),
	                           rh_task_type_name(t->type))) < 0)
		return error;
	rh_buf_clear(href);
	if (t->job_id)
		rh_buf_printf(href, "%sjob?job_id=%s", prefix, t->job_id);
	if ((error = t->job_id ?
	                     rh_dashboard__pg_link(b, href->ptr, t->job_id) :
	                     rh_buf_puts(b, "-")) < 0 ||
	    (error = rh_buf_puts(b, "</td><td>")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, t->error_type ? t->error_type :
	                                                     "-")) < 0 ||
	    (error = rh_buf_puts(b, "</td><td>")) < 0 ||
	    (error = msg_cell(b, t->error_message)) < 0)
		return error;
	return rh_buf_puts(b, "</td></tr>\n");
}

int
rh_dashboard__tasks_table(rh_dash_ctx *c, rh_buf *b, const char *key,
                          const char *value, uint64_t offset, uint64_t limit,
                          const char *prefix)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { key, "=", value };
	int failed = key && !strcmp(key, "state") && !strcmp(value, "FAILED");
	rh_query_counts k;
	rh_buf href = RH_BUF_INIT, cap = RH_BUF_INIT;
	const rh_row *row;
	rh_query *q = NULL;
	uint64_t shown = 0;
	int error;

	o.filters = key ? &f : NULL;
	o.nfilters = key ? 1 : 0;
	o.offset = offset;
	o.limit = limit;
	o.detail = 1;
	o.at_ns = c->at_ns;
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_TASK, &o)) < 0)
		goto done;
	if (!key)
		rh_buf_puts(&cap, "All tasks");
	else if (failed)
		rh_buf_puts(&cap, "Failed tasks");
	else if (!strcmp(key, "state"))
		rh_buf_printf(&cap, "Tasks in state %s", value);
	else
		rh_buf_printf(&cap, "Tasks of %s %s",
		              !strcmp(key, "job_id") ? "job" : "actor", value);
	if ((error = rh_buf_printf(b, "<table id=\"tasks-%s\"><caption>",
	                           failed ? "FAILED" :
	                           key    ? key :
	                                    "all")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, cap.ptr)) < 0 ||
	    (error = rh_buf_puts(
		     b,
		     "</caption><thead><tr><th scope=\"col\">Task"
		     "</th><th scope=\"col\">Attempt</th><th scope=\"col\">"
		     "State</th><th scope=\"col\">Type</th><th scope=\"col\">"
		     "Job</th><th scope=\"col\">Error type</th><th scope="
		     "\"col\">Error message</th></tr></thead><tbody>\n")) < 0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0) {
		if ((error = task_tr(b, &href, &row->u.task, prefix)) < 0)
			goto done;
		shown++;
	}
	if (error != RH_ITEROVER)
		goto done;
	rh_query_counts_get(&k, q);
	rh_buf_clear(&href);
	rh_buf_printf(&href, "%stasks?", prefix);
	if (key) {
		rh_buf_printf(&href, "%s=", key);
		rh_dashboard__urlenc(&href, value);
		rh_buf_puts(&href, "&");
	}
	rh_buf_printf(&href, "limit=%llu&offset=", (unsigned long long)limit);
	if ((error = rh_buf_puts(b, "</tbody></table>\n")) == 0)
		error = rh_dashboard__pg_pager(
			b, failed ? "failed" : "tasks",
			failed ? "failed tasks" : "tasks", href.ptr, offset,
			shown, k.num_filtered, limit);
done:
	rh_query_close(q);
	rh_buf_dispose(&href);
	rh_buf_dispose(&cap);
	return error;
}

/* ---- one job ------------------------------------------------------------------- */

static int
job_body(rh_dash_ctx *c, rh_buf *b, const rh_job_row *j)
{
	char t1[40], t2[40], pid[24], code[24];
	rh_buf href = RH_BUF_INIT;
	int error;

	rh_dashboard__pg_time(t1, sizeof(t1), j->start_time_ns);
	rh_dashboard__pg_time(t2, sizeof(t2), j->end_time_ns);
	snprintf(pid, sizeof(pid), "%lld", (long long)j->driver_pid);
	snprintf(code, sizeof(code), "%lld", (long long)j->driver_exit_code);
	if ((error = rh_buf_puts(b, "<dl>")) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Job id", "job-id", j->job_id)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Submission id", "job-submission",
	                                 j->submission_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Type", "job-type",
	                                 job_type(j->type))) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Status", "job-status",
	                                 rh_job_status_name(j->status))) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Entrypoint", "job-entrypoint",
	                                 j->entrypoint)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Error type", "job-error-type",
	                                 j->error_type)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Started", "job-start", t1)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Ended", "job-end", t2)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Driver node", "job-driver-node",
	                                 j->driver_node_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Driver pid", "job-driver-pid",
	                                 j->driver_pid > 0 ? pid : NULL)) < 0 ||
	    (error = rh_dashboard__pg_dd(
		     b, "Driver exit code", "job-exit-code",
		     j->driver_exit_code >= 0 ? code : NULL)) < 0 ||
	    (error = rh_buf_puts(b, "</dl>\n")) < 0)
		goto done;
	if ((error = rh_dashboard__pg_pre(b, "Message", "job-message",
	                                  j->message)) < 0)
		goto done;
	if (j->submission_id) { /* a submitted job has a driver log */
		rh_buf_printf(&href, "log?submission_id=%s", j->submission_id);
		if ((error = rh_buf_puts(b, "<h2>Logs</h2><p>")) < 0 ||
		    (error = rh_dashboard__pg_link(b, href.ptr, "Driver log")) <
		            0 ||
		    (error = rh_buf_puts(b, "</p>\n")) < 0)
			goto done;
	}
	error = rh_dashboard__pg_transitions(b, j->transitions, j->ntransitions,
	                                     j->type == RH_JOB_TYPE_SUBMISSION ?
	                                             rh_job_status_name :
	                                             rh_driver_state_name);
done:
	rh_buf_dispose(&href);
	return error;
}

/* The one row of `what` that f names, for page `title`. When there is
 * none (404 "No such NOUN in this session.") or the search fails, that
 * answer is written and *row is NULL: return what this returns. */
static int
page_find(rh_query **q, const rh_row **row, rh_dash_ctx *c, rh_entity what,
          const rh_filter *f, const char *title, const char *noun)
{
	char msg[80];
	int error;

	*row = NULL;
	if ((error = rh_dashboard__find(q, row, c->snap, what, f, c->at_ns)) ==
	    0)
		return 0;
	*row = NULL;
	if (error != RH_ITEROVER)
		return rh_dashboard__pg_fail_code(c, title, error);
	snprintf(msg, sizeof(msg), "No such %s in this session.", noun);
	return rh_dashboard__pg_fail(c, 404, title, msg);
}

/* The tasks whose `col` is `id`, under their heading. */
static int
tasks_section(rh_dash_ctx *c, rh_buf *b, const char *col, const char *id)
{
	int error;

	if ((error = rh_buf_puts(b, "<h2>Tasks</h2>\n")) < 0)
		return error;
	return rh_dashboard__tasks_table(c, b, col, id, 0, TASKS_SHOWN, "");
}

/* rayhist/job?job_id=J or ?submission_id=S */
int
rh_dashboard__job_page(rh_dash_ctx *c)
{
	const char *jid = rh_dashboard_url_param(c->url, "job_id");
	const char *sid = rh_dashboard_url_param(c->url, "submission_id");
	rh_filter f = { jid && *jid ? "job_id" : "submission_id", "=",
		        jid && *jid ? jid : sid };
	rh_buf *b = &c->resp->body, id = RH_BUF_INIT;
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if (!f.value || !*f.value || strlen(f.value) > 200 ||
	    strpbrk(f.value, "<>&\"'/ "))
		return rh_dashboard__pg_fail(c, 400, "Job",
		                             "give job_id or "
		                             "submission_id");
	if ((error = page_find(&q, &row, c, RH_ENTITY_JOB, &f, "Job", "job")) <
	            0 ||
	    !row)
		return error;
	if (row->u.job.job_id)
		rh_buf_puts(&id, row->u.job.job_id);
	if ((error = rh_dashboard__pg_start(c, b, "Job")) < 0 ||
	    (error = job_body(c, b, &row->u.job)) < 0)
		goto done;
	rh_query_close(q);
	q = NULL;
	/* its tasks */
	if (id.size && (error = tasks_section(c, b, "job_id", id.ptr)) < 0)
		goto done;
	error = rh_dashboard__pg_end(c, b, 200);
done:
	rh_query_close(q);
	rh_buf_dispose(&id);
	return error;
}

/* ---- actors ------------------------------------------------------------------------ */

static int
actor_logs(rh_dash_ctx *c, rh_buf *b, const char *actor_id)
{
	rh_log_location loc = RH_LOG_LOCATION_INIT;
	int error;

	if (rh_index_log_locate(&loc, c->snap->ix, RH_LOG_OF_ACTOR, actor_id,
	                        -1, "err", c->at_ns) < 0) {
		error = rh_buf_puts(b, "<h2>Logs</h2><p id=\"actor-logs\">");
		error = error ? error :
		                rh_dashboard__pg_esc(b, rh_error_last());
		rh_error_clear();
		error = error ? error : rh_buf_puts(b, "</p>\n");
	} else {
		rh_buf href = RH_BUF_INIT;
		rh_buf_printf(&href, "log?actor_id=%s&suffix=out", actor_id);
		error = rh_buf_puts(b,
		                    "<h2>Logs</h2><ul id=\"actor-logs\"><li>");
		error = error ? error :
		                rh_dashboard__pg_link(b, href.ptr, "stdout");
		rh_buf_clear(&href);
		rh_buf_printf(&href, "log?actor_id=%s&suffix=err", actor_id);
		error = error ? error : rh_buf_puts(b, "</li><li>");
		error = error ? error :
		                rh_dashboard__pg_link(b, href.ptr, "stderr");
		error = error ? error : rh_buf_puts(b, "</li></ul>\n");
		rh_buf_dispose(&href);
	}
	rh_log_location_dispose(&loc);
	return error;
}

static int
actor_body(rh_dash_ctx *c, rh_buf *b, const rh_actor_row *a)
{
	char pid[24], restarts[24];
	int error;

	snprintf(pid, sizeof(pid), "%lld", (long long)a->pid);
	snprintf(restarts, sizeof(restarts), "%lld",
	         (long long)a->num_restarts);
	if ((error = rh_buf_puts(b, "<dl>")) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Actor id", "actor-id",
	                                 a->actor_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Class", "actor-class",
	                                 a->class_name)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Name", "actor-name", a->name)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(
		     b, "State", "actor-state",
		     a->state >= 0 ? rh_actor_state_name(a->state) : NULL)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Job", "actor-job", a->job_id)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Node", "actor-node", a->node_id)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Worker", "actor-worker",
	                                 a->worker_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Pid", "actor-pid",
	                                 a->pid > 0 ? pid : NULL)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Restarts", "actor-restarts",
	                                 a->num_restarts >= 0 ? restarts :
	                                                        NULL)) < 0 ||
	    (error = rh_buf_puts(b, "</dl>\n")) < 0)
		return error;
	if ((error = rh_dashboard__pg_pre(b, "Death cause", "actor-death",
	                                  a->exit_detail)) < 0)
		return error;
	if ((error = actor_logs(c, b, a->actor_id)) < 0)
		return error;
	return rh_dashboard__pg_transitions(b, a->transitions, a->ntransitions,
	                                    rh_actor_state_name);
}

/* rayhist/actor?actor_id=A */
int
rh_dashboard__actor_page(rh_dash_ctx *c)
{
	const char *aid = rh_dashboard_url_param(c->url, "actor_id");
	rh_filter f = { "actor_id", "=", aid };
	rh_buf *b = &c->resp->body;
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if (!aid || rh_dashboard__check_id("actor_id", aid) < 0)
		return rh_dashboard__pg_fail(c, 400, "Actor",
		                             "actor_id: give the "
		                             "hex id of an actor");
	if ((error = page_find(&q, &row, c, RH_ENTITY_ACTOR, &f, "Actor",
	                       "actor")) < 0 ||
	    !row)
		return error;
	if ((error = rh_dashboard__pg_start(c, b,
	                                    row->u.actor.class_name ?
	                                            row->u.actor.class_name :
	                                            "Actor")) < 0 ||
	    (error = actor_body(c, b, &row->u.actor)) < 0)
		goto done;
	rh_query_close(q);
	q = NULL;
	if ((error = tasks_section(c, b, "actor_id", aid)) < 0)
		goto done;
	error = rh_dashboard__pg_end(c, b, 200);
done:
	rh_query_close(q);
	return error;
}

/* rayhist/actors?offset=K */
int
rh_dashboard__actors_page(rh_dash_ctx *c)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf *b = &c->resp->body, href = RH_BUF_INIT;
	rh_query_counts k;
	const rh_row *row;
	rh_query *q = NULL;
	uint64_t shown = 0;
	int64_t offset;
	int error;

	if ((error = rh_dashboard__param_int(&offset, c->url, "offset", 0, 0,
	                                     INT64_MAX)) < 0)
		return rh_dashboard__pg_fail_code(c, "Actors", error);
	o.offset = (uint64_t)offset;
	o.limit = ACTORS_PER_PAGE;
	o.detail = 1;
	o.at_ns = c->at_ns;
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_ACTOR, &o)) < 0)
		return rh_dashboard__pg_fail_code(c, "Actors", error);
	if ((error = rh_dashboard__pg_start(c, b, "Actors")) < 0 ||
	    (error = rh_buf_puts(
		     b,
		     "<table id=\"actors\"><caption>Actors</caption>"
		     "<thead><tr><th scope=\"col\">Actor</th><th scope="
		     "\"col\">State</th><th scope=\"col\">Job</th><th "
		     "scope=\"col\">Death cause</th></tr></thead><tbody>\n")) <
	            0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_actor_row *a = &row->u.actor;
		rh_buf_clear(&href);
		rh_buf_printf(&href, "actor?actor_id=%s", a->actor_id);
		if ((error = rh_buf_puts(b, "<tr><th scope=\"row\">")) < 0 ||
		    (error = rh_dashboard__pg_link(
			     b, href.ptr,
			     a->class_name ? a->class_name : a->actor_id)) <
		            0 ||
		    (error = rh_buf_printf(
			     b,
			     "<br><code>%s</code></th><td>%s</td>"
			     "<td>%s</td><td>",
			     a->actor_id,
			     a->state >= 0 ? rh_actor_state_name(a->state) :
					     "-",
			     a->job_id ? a->job_id : "-")) < 0 ||
		    (error = rh_dashboard__pg_esc(
			     b, a->exit_detail ? a->exit_detail : "-")) < 0 ||
		    (error = rh_buf_puts(b, "</td></tr>\n")) < 0)
			goto done;
		shown++;
	}
	if ((error = table_end(b, q, error, &k)) < 0 ||
	    (error = rh_dashboard__pg_pager(
		     b, "actors", "actors", "actors?offset=", (uint64_t)offset,
		     shown, k.num_filtered, ACTORS_PER_PAGE)) < 0)
		goto done;
	error = rh_dashboard__pg_end(c, b, 200);
done:
	rh_query_close(q);
	rh_buf_dispose(&href);
	return error;
}
