/* dashboard_pages.c - the built-in pages that find a failed task and read
 * its logs without Ray's dashboard build: rayhist/tasks (any state, paged;
 * the table itself is dashboard_pages_jobs.c's), rayhist/task (one task:
 * its attempts, transitions, node, worker, error and log links),
 * rayhist/log (a log viewer that pages through a file, or a task's, an
 * actor's or a job's part of one, reading only the frames a page needs) and
 * rayhist/files (a node's log files, logs/old/ included, paged). Every page
 * shows the session at the prefix's instant (SESSION@TIME/). Plain HTML: no
 * script, no outside asset; tables with captions and header cells, a skip
 * link, labelled navigation, so keyboard and screen reader users get it. */
#include "dashboard_pages.h"

#include <stdio.h>
#include <time.h>

#define PAGE_ROWS 50            /* table rows per page */
#define FILES_PER_PAGE 200      /* log files per node per page */
#define LOG_PAGE (64u << 10)    /* bytes of a log per page */
#define LOG_LINE_MAX (1u << 20) /* a page ends at most this far past its end */

/* The task filters the pages take: one column and its value. */
static const char *const task_keys[] = { "state", "job_id", "actor_id", NULL };

/* rayhist/tasks?[state=S|job_id=J|actor_id=A]&offset=K&limit=N */
static int
tasks_page(rh_dash_ctx *c)
{
	const char *key = NULL, *value = NULL, *title = "Tasks";
	rh_buf *b = &c->resp->body;
	int64_t offset, limit;
	int error, i;

	for (i = 0; task_keys[i]; i++) {
		const char *v = rh_dashboard_url_param(c->url, task_keys[i]);
		if (v && *v) {
			key = task_keys[i];
			value = v;
			break;
		}
	}
	if (key && !strcmp(key, "state") && rh_task_state_from_name(value) < 0)
		return rh_dashboard__pg_fail(
			c, 400, "Tasks",
			"state: not one of Ray's task "
			"states (FAILED, FINISHED, RUNNING, ...)");
	if (key && strcmp(key, "state") &&
	    rh_dashboard__check_id(key, value) < 0)
		return rh_dashboard__pg_fail_code(c, "Tasks", RH_EINVAL);
	if ((error = rh_dashboard__param_int(&offset, c->url, "offset", 0, 0,
	                                     INT64_MAX)) < 0 ||
	    (error = rh_dashboard__param_int(&limit, c->url, "limit", PAGE_ROWS,
	                                     1, 1000)) < 0)
		return rh_dashboard__pg_fail_code(c, "Tasks", error);
	if (key && !strcmp(key, "state"))
		title = !strcmp(value, "FAILED") ? "Failed tasks" : value;
	if ((error = rh_dashboard__pg_start(c, b, title)) < 0 ||
	    (error = rh_dashboard__tasks_table(c, b, key, value,
	                                       (uint64_t)offset,
	                                       (uint64_t)limit, "")) < 0)
		return error == RH_EINVAL ?
		               rh_dashboard__pg_fail_code(c, "Tasks", error) :
		               error;
	return rh_dashboard__pg_end(c, b, 200);
}

/* The stdout and stderr links of an attempt, or why there is none. */
static int
task_logs(rh_dash_ctx *c, rh_buf *b, const rh_task_row *t)
{
	static const char *const sfx[] = { "out", "err" };
	rh_log_location loc = RH_LOG_LOCATION_INIT;
	rh_buf href = RH_BUF_INIT;
	int i, error = 0;

	if ((error = rh_buf_puts(b, "<h2>Logs</h2><ul id=\"task-logs\">")) < 0)
		goto done;
	for (i = 0; i < 2 && !error; i++) {
		int e = rh_index_log_locate(&loc, c->snap->ix, RH_LOG_OF_TASK,
		                            t->task_id, t->attempt_number,
		                            sfx[i], c->at_ns);
		rh_buf_clear(&href);
		if (e == RH_ENOTFOUND || e == RH_EINVAL) {
			error = rh_buf_printf(
				b, "<li id=\"std%s\">std%s: ", sfx[i], sfx[i]);
			error = error ? error :
			                rh_dashboard__pg_esc(b,
			                                     rh_error_last());
			rh_error_clear();
			if (!error && t->actor_id) {
				rh_buf_printf(&href,
				              "log?actor_id=%s&suffix=%s",
				              t->actor_id, sfx[i]);
				error = rh_buf_puts(b, " ");
				error = error ? error :
				                rh_dashboard__pg_link(
							b, href.ptr,
							i ? "The actor's stderr" :
							    "The actor's stdout");
			}
			error = error ? error : rh_buf_puts(b, "</li>");
			continue;
		}
		if (e < 0) {
			error = e;
			break;
		}
		rh_buf_printf(&href,
		              "log?task_id=%s&attempt_number=%d&suffix=%s",
		              t->task_id, (int)t->attempt_number, sfx[i]);
		error = rh_buf_printf(b, "<li>");
		error = error ? error :
		                rh_dashboard__pg_link(b, href.ptr,
		                                      i ? "stderr" : "stdout");
		error = error ? error : rh_buf_puts(b, " (");
		error = error ? error : rh_dashboard__pg_esc(b, loc.key.ptr);
		error = error ? error : rh_buf_puts(b, ")</li>");
	}
	if (!error)
		error = rh_buf_puts(b, "</ul>\n");
done:
	rh_log_location_dispose(&loc);
	rh_buf_dispose(&href);
	return error;
}

static int
task_body(rh_dash_ctx *c, rh_buf *b, const rh_task_row *t)
{
	const rh_dash_node *n =
		t->node_id ? rh_dashboard__node(c->snap, t->node_id) : NULL;
	char pid[24];
	rh_buf node = RH_BUF_INIT;
	int error;

	rh_buf_printf(&node, "%s%s%s%s", t->node_id ? t->node_id : "-",
	              n && n->ip ? " (" : "", n && n->ip ? n->ip : "",
	              n && n->ip ? ")" : "");
	snprintf(pid, sizeof(pid), "%lld", (long long)t->worker_pid);
	if ((error = rh_buf_puts(b, "<dl>")) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Task id", "task-id", t->task_id)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Name", "task-name", t->name)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "State", "task-state",
	                                 rh_task_state_name(t->state))) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Type", "task-type",
	                                 rh_task_type_name(t->type))) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Job", "task-job", t->job_id)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Actor", "task-actor",
	                                 t->actor_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Node", "task-node", node.ptr)) <
	            0 ||
	    (error = rh_dashboard__pg_dd(b, "Worker", "task-worker",
	                                 t->worker_id)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Worker pid", "task-pid",
	                                 t->worker_pid > 0 ? pid : NULL)) < 0 ||
	    (error = rh_dashboard__pg_dd(b, "Error type", "task-error-type",
	                                 t->error_type)) < 0 ||
	    (error = rh_buf_puts(b, "</dl>\n")) < 0)
		goto done;
	if (t->job_id || t->actor_id) { /* where it belongs */
		rh_buf href = RH_BUF_INIT;
		error = rh_buf_puts(b, "<p id=\"task-links\">");
		if (!error && t->job_id) {
			rh_buf_printf(&href, "job?job_id=%s", t->job_id);
			error = rh_dashboard__pg_link(b, href.ptr, "Its job");
		}
		if (!error && t->actor_id) {
			rh_buf_clear(&href);
			rh_buf_printf(&href, "actor?actor_id=%s", t->actor_id);
			error = rh_buf_puts(b, t->job_id ? ", " : "");
			error = error ? error :
			                rh_dashboard__pg_link(b, href.ptr,
			                                      "its actor");
		}
		rh_buf_dispose(&href);
		if (error || (error = rh_buf_puts(b, "</p>\n")) < 0)
			goto done;
	}
	if ((error = rh_dashboard__pg_pre(b, "Error", "task-error",
	                                  t->error_message)) < 0)
		goto done;
	if ((error = task_logs(c, b, t)) < 0)
		goto done;
	error = rh_dashboard__pg_transitions(b, t->transitions, t->ntransitions,
	                                     rh_task_state_name);
done:
	rh_buf_dispose(&node);
	return error;
}

/* The attempt numbers of task `id` in o's query (its first filter), at
 * most `cap` of them. */
static int
task_attempts(int *attempts, int cap, int *na, rh_dash_ctx *c,
              const rh_query_options *o)
{
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_TASK, o)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0)
		if (*na < cap)
			attempts[(*na)++] = row->u.task.attempt_number;
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

/* "attempt 0, attempt 1": a link to each attempt but the one shown. */
static int
attempt_links(rh_buf *b, const char *id, const int *attempts, int na,
              int64_t want)
{
	rh_buf href = RH_BUF_INIT;
	int i, error = 0;

	for (i = 0; i < na && !error; i++) {
		char label[32];
		rh_buf_clear(&href);
		rh_buf_printf(&href, "task?task_id=%s&attempt_number=%d", id,
		              attempts[i]);
		snprintf(label, sizeof(label), "attempt %d", attempts[i]);
		error = i ? rh_buf_puts(b, ", ") : 0;
		error = error ? error :
		        attempts[i] == want ?
		                rh_buf_printf(
					b,
					"<strong aria-current=\"page\">%s</strong>",
					label) :
		                rh_dashboard__pg_link(b, href.ptr, label);
	}
	rh_buf_dispose(&href);
	return error ? error : rh_buf_puts(b, "</p>\n");
}

/* rayhist/task?task_id=ID[&attempt_number=N]: the latest attempt unless N. */
static int
task_page(rh_dash_ctx *c)
{
	const char *id = rh_dashboard_url_param(c->url, "task_id");
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f[2] = { { "task_id", "=", id },
		           { "attempt_number", "=", NULL } };
	rh_buf *b = &c->resp->body;
	char num[24];
	int attempts[64], na = 0, i;
	int64_t want;
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	if (!id || rh_dashboard__check_id("task_id", id) < 0)
		return rh_dashboard__pg_fail(
			c, 400, "Task", "task_id: give the hex id of a task");
	if ((error = rh_dashboard__param_int(&want, c->url, "attempt_number",
	                                     -1, 0, 1000000)) < 0)
		return rh_dashboard__pg_fail_code(c, "Task", error);
	o.filters = f;
	o.nfilters = 1;
	o.limit = 0;
	o.count = 0;
	o.exclude_driver = 0;
	o.at_ns = c->at_ns;
	if ((error = task_attempts(attempts, (int)RH_ARRAY_SIZE(attempts), &na,
	                           c, &o)) < 0)
		return rh_dashboard__pg_fail_code(c, "Task", error);
	if (!na)
		return rh_dashboard__pg_fail(
			c, 404, "Task",
			c->at_ns != RH_TIME_NONE ?
				"No such task in this session at this time." :
				"No such task in this session.");
	if (want < 0)
		for (i = 0; i < na; i++)
			want = attempts[i] > want ? attempts[i] : want;
	snprintf(num, sizeof(num), "%lld", (long long)want);
	f[1].value = num;
	o.nfilters = 2;
	o.limit = 1;
	o.detail = 1;
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_TASK, &o)) < 0 ||
	    (error = rh_query_next(&row, q)) < 0) {
		rh_query_close(q);
		if (error == RH_ITEROVER)
			return rh_dashboard__pg_fail(
				c, 404, "Task",
				"This task has no such attempt.");
		return rh_dashboard__pg_fail_code(c, "Task", error);
	}
	if ((error = rh_dashboard__pg_start(
		     c, b, row->u.task.name ? row->u.task.name : "Task")) >=
	            0 &&
	    (error = rh_buf_printf(b, "<p id=\"attempts\">Attempt %lld of %d: ",
	                           (long long)want, na)) >= 0 &&
	    (error = attempt_links(b, id, attempts, na, want)) >= 0)
		error = task_body(c, b, &row->u.task);
	rh_query_close(q);
	return error < 0 ? error : rh_dashboard__pg_end(c, b, 200);
}

/* ---- the log viewer ---------------------------------------------------------------- */

typedef struct logpage {
	const rh_dash_node *node;
	rh_buf path;         /* relative to the session */
	uint64_t start, end; /* the part shown: [start, end) */
	rh_buf what;         /* "stderr of task X" */
	rh_buf self;         /* this page's URL without offset */
	uint64_t per;        /* bytes per page (?bytes=N) */
} logpage;

/* The log file `file` of node `node`. */
static int
log_by_file(rh_dash_ctx *c, logpage *lp, const char *node, const char *file)
{
	int error;

	if (!node || rh_dashboard__check_id("node_id", node) < 0 ||
	    !(lp->node = rh_dashboard__node(c->snap, node)))
		return rh__error(RH_ENOTFOUND, "node_id: no such node in "
		                               "this session");
	if ((error = rh_buf_puts(&lp->path, "logs/")) < 0 ||
	    (error = rh_buf_puts(&lp->path, file)) < 0)
		return error;
	if (rh_layout_check_path(lp->path.ptr) < 0)
		return rh__error(RH_EINVAL,
		                 "filename: a path relative to "
		                 "the node's logs folder, without \"..\"");
	lp->end = UINT64_MAX;
	rh_buf_puts(&lp->what, "Log file");
	rh_buf_printf(&lp->self, "log?node_id=%s&filename=", node);
	return rh_dashboard__urlenc(&lp->self, file);
}

/* The std`suffix` of a task, actor or job: where the index says it is, in
 * loc, and on which node. */
static int
log_by_owner(rh_dash_ctx *c, logpage *lp, rh_log_location *loc,
             const char *suffix)
{
	const char *task = rh_dashboard_url_param(c->url, "task_id");
	const char *actor = rh_dashboard_url_param(c->url, "actor_id");
	const char *sub = rh_dashboard_url_param(c->url, "submission_id");
	rh_log_owner owner = task  ? RH_LOG_OF_TASK :
	                     actor ? RH_LOG_OF_ACTOR :
	                             RH_LOG_OF_SUBMISSION;
	const char *id = task ? task : actor ? actor : sub;
	int64_t attempt;
	int error;

	if (!id || !*id)
		return rh__error(RH_EINVAL,
		                 "give node_id and filename, or task_id, "
		                 "actor_id or submission_id");
	if ((error = rh_dashboard__param_int(&attempt, c->url, "attempt_number",
	                                     -1, 0, 1000000)) < 0 ||
	    (error = rh_index_log_locate(loc, c->snap->ix, owner, id, attempt,
	                                 suffix, c->at_ns)) < 0)
		return error;
	lp->node = loc->node_id.size ?
	                   rh_dashboard__node(c->snap, loc->node_id.ptr) :
	                   rh_dashboard__head(c->snap);
	if (!lp->node)
		return rh__error(RH_ENOTFOUND,
		                 "it ran on node %s, which has no "
		                 "captured files",
		                 loc->node_id.size ? loc->node_id.ptr :
		                                     "(the head)");
	lp->start = loc->start;
	lp->end = loc->end;
	rh_buf_printf(&lp->what, "std%s of %s %s", suffix,
	              task  ? "task" :
	              actor ? "actor" :
	                      "job",
	              id);
	if (task && loc->attempt_number >= 0)
		rh_buf_printf(&lp->what, " (attempt %d)",
		              (int)loc->attempt_number);
	rh_buf_printf(&lp->self, "log?%s=%s&suffix=%s",
	              task  ? "task_id" :
	              actor ? "actor_id" :
	                      "submission_id",
	              id, suffix);
	if (task && loc->attempt_number >= 0)
		rh_buf_printf(&lp->self, "&attempt_number=%d",
		              (int)loc->attempt_number);
	return error;
}

/* Which file and bytes: node_id + filename, or a task, actor or job. */
static int
resolve_log(rh_dash_ctx *c, logpage *lp, rh_node_manifest **m)
{
	const char *file = rh_dashboard_url_param(c->url, "filename");
	const char *suffix = rh_dashboard_url_param(c->url, "suffix");
	rh_log_location loc = RH_LOG_LOCATION_INIT;
	int error;

	if (!suffix || !*suffix)
		suffix = "out";
	if (file && *file)
		error = log_by_file(
			c, lp, rh_dashboard_url_param(c->url, "node_id"), file);
	else
		error = log_by_owner(c, lp, &loc, suffix);
	if (error < 0 || (error = rh_node_manifest_load(m, c->d->st, &c->sref,
	                                                lp->node->node_id)) < 0)
		goto done;
	if (loc.key.size)
		error = rh_node_manifest_find_log(&lp->path, *m, loc.match,
		                                  loc.key.ptr, suffix);
done:
	rh_log_location_dispose(&loc);
	return error;
}

/* Where the page holding `off` starts and ends: the lines that start in
 * [off, off + per), whole. */
static int
page_bounds(uint64_t *from, uint64_t *to, rh_logfile *f, uint64_t off,
            uint64_t start, uint64_t end, uint64_t per)
{
	rh_buf chunk = RH_BUF_INIT;
	const char *nl;
	int error = 0;

	*from = off;
	if (off > start) { /* off is inside a line: start at the next one */
		if ((error = rh_logfile_read(
			     &chunk, f, off - 1,
			     (size_t)(end - off + 1 < LOG_LINE_MAX ?
		                              end - off + 1 :
		                              LOG_LINE_MAX))) < 0)
			goto done;
		if (chunk.size && chunk.ptr[0] != '\n') {
			nl = memchr(chunk.ptr, '\n', chunk.size);
			*from = nl ? off + (uint64_t)(nl - chunk.ptr) :
			             off - 1 + chunk.size;
		}
	}
	*to = off + per < end ? off + per : end;
	if (*to < end) { /* finish the line that crosses the page's end */
		rh_buf_clear(&chunk);
		if ((error = rh_logfile_read(
			     &chunk, f, *to - 1,
			     (size_t)(end - *to + 1 < LOG_LINE_MAX ?
		                              end - *to + 1 :
		                              LOG_LINE_MAX))) < 0)
			goto done;
		if (chunk.size && chunk.ptr[0] != '\n') {
			nl = memchr(chunk.ptr, '\n', chunk.size);
			*to = nl ? *to + (uint64_t)(nl - chunk.ptr) :
			           *to - 1 + chunk.size;
		}
	}
	if (*from > *to)
		*from = *to;
done:
	rh_buf_dispose(&chunk);
	return error;
}

static int
log_nav(rh_buf *b, const logpage *lp, uint64_t off, uint64_t to, uint64_t last)
{
	rh_buf h = RH_BUF_INIT;
	int error;

	if (off <= lp->start && to >= lp->end)
		return 0; /* one page: nothing to go to */
	error = rh_buf_puts(
		b, "<nav class=\"pages\" aria-label=\"Pages of the log\">");

	if (!error && off > lp->start) {
		rh_buf_printf(&h, "%s&offset=%llu", lp->self.ptr,
		              (unsigned long long)lp->start);
		error = rh_dashboard__pg_link(b, h.ptr, "First page");
		rh_buf_clear(&h);
		rh_buf_printf(&h, "%s&offset=%llu", lp->self.ptr,
		              (unsigned long long)(off - lp->start > lp->per ?
		                                           off - lp->per :
		                                           lp->start));
		error = error ? error :
		                rh_dashboard__pg_link(b, h.ptr,
		                                      "Previous page");
	}
	if (!error && to < lp->end) {
		rh_buf_clear(&h);
		rh_buf_printf(&h, "%s&offset=%llu", lp->self.ptr,
		              (unsigned long long)(off + lp->per));
		error = rh_dashboard__pg_link(b, h.ptr, "Next page");
		rh_buf_clear(&h);
		rh_buf_printf(&h, "%s&offset=%llu", lp->self.ptr,
		              (unsigned long long)last);
		error = error ? error :
		                rh_dashboard__pg_link(b, h.ptr, "Last page");
	}
	rh_buf_dispose(&h);
	return error ? error : rh_buf_puts(b, "</nav>\n");
}

/* The log page's text around page [from, to) of the log: what and where
 * it is, the navigation above and below. */
static int
log_body(rh_dash_ctx *c, rh_buf *b, const logpage *lp, const rh_buf *text,
         uint64_t from, uint64_t to, uint64_t off, uint64_t last)
{
	rh_buf raw = RH_BUF_INIT;
	int error;

	rh_buf_printf(&raw,
	              "../api/v0/logs/file?node_id=%s&format=text&lines=-1"
	              "&filename=",
	              lp->node->node_id);
	rh_dashboard__urlenc(&raw, lp->path.ptr + 5);
	if ((error = rh_dashboard__pg_start(c, b, "Log")) < 0 ||
	    (error = rh_buf_puts(b, "<p id=\"log-what\">")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, lp->what.ptr)) < 0 ||
	    (error = rh_buf_puts(b, ": <code id=\"log-path\">")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, lp->path.ptr)) < 0 ||
	    (error = rh_buf_printf(
		     b,
		     "</code> on node %s%s%s%s.</p>\n<p id=\"log-count\">"
		     "Bytes %llu&ndash;%llu of %llu&ndash;%llu "
		     "(%llu bytes%s). ",
		     lp->node->node_id, lp->node->ip ? " (" : "",
		     lp->node->ip ? lp->node->ip : "", lp->node->ip ? ")" : "",
		     (unsigned long long)from, (unsigned long long)to,
		     (unsigned long long)lp->start, (unsigned long long)lp->end,
		     (unsigned long long)(lp->end - lp->start),
		     c->at_ns != RH_TIME_NONE ? ", as captured by then" : "")) <
	            0 ||
	    (error = rh_dashboard__pg_link(b, raw.ptr,
	                                   "The whole file as text")) < 0 ||
	    (error = rh_buf_puts(b, "</p>\n")) < 0 ||
	    (error = log_nav(b, lp, off, to, last)) < 0 ||
	    (error = rh_buf_puts(
		     b, "<pre id=\"log\" tabindex=\"0\" aria-label=\"Log "
			"text\">")) < 0 ||
	    (error = rh_dashboard__pg_esc_n(b, text->ptr ? text->ptr : "",
	                                    text->size)) < 0 ||
	    (error = rh_buf_puts(b, "</pre>\n")) < 0 ||
	    (error = log_nav(b, lp, off, to, last)) < 0)
		goto done;
	error = 0;
done:
	rh_buf_dispose(&raw);
	return error;
}

/* rayhist/log?...&offset=K: one page of the log; without offset the last
 * page, where a traceback is. */
static int
log_page(rh_dash_ctx *c)
{
	logpage lp = { NULL,        RH_BUF_INIT, 0,       0,
		       RH_BUF_INIT, RH_BUF_INIT, LOG_PAGE };
	rh_node_manifest *m = NULL;
	rh_logfile *f = NULL;
	rh_buf *b = &c->resp->body, text = RH_BUF_INIT;
	uint64_t size, off, from, to, last;
	int64_t ioff, per;
	int error;

	if ((error = rh_dashboard__param_int(&per, c->url, "bytes", LOG_PAGE,
	                                     256, LOG_LINE_MAX)) < 0)
		return rh_dashboard__pg_fail_code(c, "Log", error);
	lp.per = (uint64_t)per;
	if ((error = resolve_log(c, &lp, &m)) < 0 ||
	    (error = rh_logfile_open_manifest(&f, c->d->st, &c->sref, m,
	                                      lp.path.ptr)) < 0) {
		error = rh_dashboard__pg_fail_code(c, "Log", error);
		goto done;
	}
	rh_logfile_set_cache(f, c->d->frames);
	size = c->at_ns != RH_TIME_NONE ?
	               rh_logfile_size_at(f, c->at_ns / 1000000) :
	               rh_logfile_size(f);
	if (lp.end > size)
		lp.end = size;
	if (lp.start > lp.end)
		lp.start = lp.end;
	last = lp.end - lp.start > lp.per ? lp.end - lp.per : lp.start;
	if (per != LOG_PAGE) /* links keep the page size */
		rh_buf_printf(&lp.self, "&bytes=%lld", (long long)per);
	if ((error = rh_dashboard__param_int(&ioff, c->url, "offset", -1, 0,
	                                     INT64_MAX)) < 0) {
		error = rh_dashboard__pg_fail_code(c, "Log", error);
		goto done;
	}
	off = ioff < 0 ? last : (uint64_t)ioff;
	off = off < lp.start ? lp.start : off > lp.end ? lp.end : off;
	if ((error = page_bounds(&from, &to, f, off, lp.start, lp.end,
	                         lp.per)) < 0 ||
	    (error = rh_logfile_read(&text, f, from, (size_t)(to - from))) <
	            0) {
		error = rh_dashboard__pg_fail_code(c, "Log", error);
		goto done;
	}
	if ((error = log_body(c, b, &lp, &text, from, to, off, last)) < 0)
		goto done;
	error = rh_dashboard__pg_end(c, b, 200);
done:
	rh_logfile_close(f);
	rh_node_manifest_free(m);
	rh_buf_dispose(&lp.path);
	rh_buf_dispose(&lp.what);
	rh_buf_dispose(&lp.self);
	rh_buf_dispose(&text);
	return error;
}

/* ---- a node's log files ---------------------------------------------------------- */

int
rh_dashboard__files_list(rh_dash_ctx *c, rh_buf *b, const rh_dash_node *n,
                         uint64_t offset, const char *prefix)
{
	rh_node_manifest *m = NULL;
	rh_buf href = RH_BUF_INIT;
	uint64_t total = 0, shown = 0;
	size_t k, nfiles;
	int error;

	if ((error = rh_node_manifest_load(&m, c->d->st, &c->sref,
	                                   n->node_id)) < 0) {
		rh_error_clear();
		return rh_buf_puts(
			b, "<p>No files were captured from this node.</p>\n");
	}
	if ((error = rh_buf_printf(b, "<ul class=\"logs\" id=\"files-%s\">",
	                           n->node_id)) < 0)
		goto done;
	nfiles = rh_node_manifest_file_count(m);
	for (k = 0; k < nfiles && !error; k++) {
		const rh_file_info *f = rh_node_manifest_file(m, k);
		uint64_t size = f->size;
		size_t p;

		if (strncmp(f->path, "logs/", 5))
			continue;
		if (c->at_ns != RH_TIME_NONE) { /* what existed by then */
			for (size = 0, p = 0; p < f->nparts; p++)
				if (f->parts[p].captured_ms <=
				    c->at_ns / 1000000)
					size = f->parts[p].offset +
					       f->parts[p].length;
			if (!size)
				continue;
		}
		if (total++ < offset || shown >= FILES_PER_PAGE)
			continue;
		shown++;
		rh_buf_clear(&href);
		error = rh_buf_printf(&href,
		                      "%slog?node_id=%s&filename=", prefix,
		                      n->node_id);
		error = error ? error :
		                rh_dashboard__urlenc(&href, f->path + 5);
		error = error ? error : rh_buf_puts(b, "<li>");
		error = error ? error :
		                rh_dashboard__pg_link(b, href.ptr, f->path + 5);
		error = error ? error :
		                rh_buf_printf(b, " (%llu bytes)</li>",
		                              (unsigned long long)size);
	}
	if (error || (error = rh_buf_puts(b, "</ul>\n")) < 0)
		goto done;
	rh_buf_clear(&href);
	rh_buf_printf(&href, "%sfiles?node_id=%s&offset=", prefix, n->node_id);
	error = rh_dashboard__pg_pager(b, n->node_id, "log files", href.ptr,
	                               offset, shown, total, FILES_PER_PAGE);
done:
	rh_buf_dispose(&href);
	rh_node_manifest_free(m);
	return error;
}

/* rayhist/files?node_id=ID&offset=K */
static int
files_page(rh_dash_ctx *c)
{
	const char *id = rh_dashboard_url_param(c->url, "node_id");
	const rh_dash_node *n;
	rh_buf *b = &c->resp->body;
	int64_t offset;
	int error;

	if (!id || rh_dashboard__check_id("node_id", id) < 0 ||
	    !(n = rh_dashboard__node(c->snap, id)))
		return rh_dashboard__pg_fail(c, 404, "Log files",
		                             "node_id: no such node in this "
		                             "session");
	if ((error = rh_dashboard__param_int(&offset, c->url, "offset", 0, 0,
	                                     INT64_MAX)) < 0)
		return rh_dashboard__pg_fail_code(c, "Log files", error);
	if ((error = rh_dashboard__pg_start(c, b, "Log files")) < 0 ||
	    (error = rh_buf_printf(b, "<p>Node %s%s%s%s.</p>", n->node_id,
	                           n->ip ? " (" : "", n->ip ? n->ip : "",
	                           n->ip ? ")" : "")) < 0 ||
	    (error = rh_dashboard__files_list(c, b, n, (uint64_t)offset, "")) <
	            0)
		return error;
	return rh_dashboard__pg_end(c, b, 200);
}

int
rh_dashboard__pages(rh_dash_ctx *c, const char *page)
{
	if (!strcmp(page, "task"))
		return task_page(c);
	if (!strcmp(page, "tasks"))
		return tasks_page(c);
	if (!strcmp(page, "log"))
		return log_page(c);
	if (!strcmp(page, "files"))
		return files_page(c);
	if (!strcmp(page, "job"))
		return rh_dashboard__job_page(c);
	if (!strcmp(page, "actor"))
		return rh_dashboard__actor_page(c);
	if (!strcmp(page, "actors"))
		return rh_dashboard__actors_page(c);
	return 1;
}
