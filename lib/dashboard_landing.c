/* dashboard_landing.c - a session's landing page: the dashboard build's
 * index.html, or a page of links when there is no build, the "preparing"
 * page while its index is built, and the plain-text job and task tables
 * under rayhist/. Self-contained HTML with inline CSS and no script (but
 * the preparing page's one-line reload), so it works offline and behind any
 * proxy. */
#include "dashboard_routes.h"
#include "dashboard_html.h"

#include <stdio.h>

/* ---- a session's landing page ------------------------------------------------ */

static int
preparing_page(rh_dash_ctx *c, const char *msg)
{
	rh_buf *b = &c->resp->body;
	int error;

	rh_buf_clear(b);
	if ((error = rh_dashboard__page_begin(b, "Preparing session")) < 0 ||
	    /* A script reload keeps the URL's #/route: Chromium takes a meta
	     * refresh of a URL with a fragment for a same-page jump and never
	     * reloads, so a shared link to a dashboard page of a session not
	     * yet indexed stayed here. The meta refresh is for no script. */
	    (error = rh_buf_puts(b,
	                         "<script>setTimeout(function(){"
	                         "location.reload()},2000)</script><noscript>"
	                         "<meta http-equiv=\"refresh\" content=\"2\">"
	                         "</noscript>")) < 0 ||
	    (error = rh_buf_puts(b, rh_dashboard__plain_css)) < 0 ||
	    (error = rh_buf_puts(b,
	                         "</head><body><h1 id=\"preparing\">Preparing "
	                         "session ")) < 0 ||
	    (error = rh_dashboard__html(b, c->sref.session)) < 0 ||
	    (error = rh_buf_puts(b, "</h1><p>")) < 0 ||
	    (error = rh_dashboard__html(b, msg)) < 0 ||
	    (error = rh_buf_puts(
		     b, "</p><p>This page reloads by itself. "
			"<a href=\"/\">All sessions</a></p></body></html>\n")) <
	            0)
		return error;
	c->resp->content_type = "text/html; charset=utf-8";
	return 0;
}

static int
link(rh_buf *b, const char *href, const char *text)
{
	int error;

	if ((error = rh_buf_puts(b, "<a href=\"")) < 0 ||
	    (error = rh_dashboard__html(b, href)) < 0 ||
	    (error = rh_buf_puts(b, "\">")) < 0 ||
	    (error = rh_dashboard__html(b, text)) < 0)
		return error;
	return rh_buf_puts(b, "</a>");
}

/* What of the session could not be read, if anything: a reader must not
 * take a partial picture for the whole one. */
static int
warnings_html(rh_buf *b, const rh_dash_snap *s)
{
	uint64_t n = rh_dashboard__warning_count(s), i;
	int error = 0;

	if (!n)
		return 0;
	if ((error = rh_buf_printf(
		     b,
		     "<div class=\"note\" id=\"warnings\"><p>"
		     "Part of this session could not be read and "
		     "is left out (%llu damaged object%s):</p><ul>",
		     (unsigned long long)n, n == 1 ? "" : "s")) < 0)
		return error;
	for (i = 0; i < n && !error && *rh_dashboard__warning(s, i); i++) {
		error = rh_buf_puts(b, "<li>");
		error = error ? error :
		                rh_dashboard__html(b,
		                                   rh_dashboard__warning(s, i));
		error = error ? error : rh_buf_puts(b, "</li>");
	}
	if (!error && i < n)
		error = rh_buf_printf(b, "<li>and %llu more</li>",
		                      (unsigned long long)(n - i));
	return error ? error : rh_buf_puts(b, "</ul></div>\n");
}

/* Rows of an entity as the API counts them at the page's instant (its
 * "total": tasks without drivers), so the page and the API under the same
 * SESSION@TIME/ agree; 0 when the query fails (said in the log only). */
static uint64_t
count_at(rh_dash_ctx *c, rh_entity what)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query_counts k = { 0, 0, 0 };
	rh_query *q = NULL;

	o.limit = 1;
	o.count = 0;
	o.at_ns = c->at_ns;
	if (rh_query_open(&q, c->snap->ix, what, &o) < 0) {
		rh_error_clear();
		return 0;
	}
	rh_query_counts_get(&k, q);
	rh_query_close(q);
	return k.total;
}

/* The built-in page of a session when there is no dashboard build. */
/* The landing page's head: the session, its times, counts at the instant
 * shown, what could not be read, and why Ray's dashboard is not here. */
static int
landing_head(rh_dash_ctx *c, rh_buf *b)
{
	const rh_dash_snap *s = c->snap;
	rh_buf title = RH_BUF_INIT;
	char t1[40], t2[40];
	int error;

	uint64_t njobs = count_at(c, RH_ENTITY_JOB),
		 ntasks = count_at(c, RH_ENTITY_TASK);
	uint64_t nactors = count_at(c, RH_ENTITY_ACTOR);
	size_t nnodes = c->at_ns == RH_TIME_NONE ?
	                        s->nnodes :
	                        (size_t)count_at(c, RH_ENTITY_NODE);
	char tat[40] = "";

	rh_buf_printf(&title, "%s/%s/%s", s->ns, s->cluster, s->session);
	rh_dashboard__fmt_ms(t1, sizeof(t1), s->has_info ? s->info.start_ms : 0,
	                     0);
	rh_dashboard__fmt_ms(t2, sizeof(t2), s->has_info ? s->info.end_ms : 0,
	                     0);
	if (c->at_ns != RH_TIME_NONE)
		rh_dashboard__fmt_ms(tat, sizeof(tat),
		                     rh_dashboard__ms(c->at_ns), 1);
	if ((error = rh_dashboard__page_begin(b, title.ptr)) < 0 ||
	    (error = rh_buf_puts(b, rh_dashboard__plain_css)) < 0 ||
	    (error = rh_buf_puts(
		     b, "</head><body><p><a href=\"/\">All sessions</a>"
			"</p><h1 id=\"session\">")) < 0 ||
	    (error = rh_dashboard__html(b, title.ptr)) < 0 ||
	    (error = rh_buf_printf(
		     b,
		     "</h1><p>Started %s, ended %s. Ray %s. "
		     "%s%s%s<span id=\"counts\">%zu nodes, %llu jobs, "
		     "%llu tasks, %llu actors</span>.</p>\n",
		     t1, t2,
		     s->ray_version[0] ? s->ray_version : "version unknown",
		     tat[0] ? "<span id=\"at\">As of " : "", tat,
		     tat[0] ? ":</span> " : "", nnodes,
		     (unsigned long long)njobs, (unsigned long long)ntasks,
		     (unsigned long long)nactors)) < 0 ||
	    (error = warnings_html(b, s)) < 0 ||
	    (error = rh_buf_puts(
		     b,
		     "<p class=\"note\" id=\"no-build\">No Ray "
		     "dashboard build is configured on this server. "
		     "To see this session in Ray's own dashboard, "
		     "restart <code>rayhist-serve</code> with "
		     "<code>--dashboard-dir DIR</code>, DIR being "
		     "<code>python/ray/dashboard/client/build</code> "
		     "of an installed Ray (find it with <code>python "
		     "-c 'import ray, os; print(os.path.dirname("
		     "ray.__file__))'</code>), or a folder of such "
		     "builds named by Ray version.</p>\n<p><a id=\"timeline-link\" "
		     "href=\"rayhist/session\">Timeline of the session"
		     "</a>: a chart of its tasks, nodes, actors and "
		     "jobs over time; click a time to see the session "
		     "as it was then.</p>\n<h2>Data</h2>"
		     "<ul id=\"links\">")) < 0)
		goto done;
done:
	rh_buf_dispose(&title);
	return error;
}

/* The session's data as JSON and text, one link each. */
static int
landing_links(rh_buf *b)
{
	static const char *const links[][3] = {
		{ "api/jobs/", "Jobs", "rayhist/jobs.txt" },
		{ "api/v0/tasks?detail=1&limit=1000", "Tasks",
		  "rayhist/tasks.txt" },
		{ "logical/actors", "Actors", NULL },
		{ "nodes?view=summary", "Nodes", NULL },
		{ "api/v0/placement_groups?detail=1&limit=1000",
		  "Placement groups", NULL },
		{ "api/cluster_status?format=1", "Cluster status", NULL },
		{ "events", "Events", NULL },
		{ "api/v0/tasks/timeline?download=1",
		  "Timeline (Chrome tracing)", NULL },
	};
	size_t i;
	int error = 0;

	for (i = 0; i < RH_ARRAY_SIZE(links) && !error; i++) {
		error = rh_buf_printf(b, "<li>%s: ", links[i][1]);
		error = error ? error : link(b, links[i][0], "JSON");
		if (!error && links[i][2]) {
			error = rh_buf_puts(b, ", ");
			error = error ? error : link(b, links[i][2], "text");
		}
		error = error ? error : rh_buf_puts(b, "</li>\n");
	}
	return error;
}

/* Each node's log files, with links to the viewer. */
static int
landing_nodes(rh_dash_ctx *c, rh_buf *b)
{
	const rh_dash_snap *s = c->snap;
	rh_buf href = RH_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < s->nnodes && !error; i++) {
		const rh_dash_node *n = &s->nodes[i];

		error = rh_buf_printf(b, "<h3 class=\"node\">Node %s%s (%s) ",
		                      n->node_id, n->is_head ? ", head" : "",
		                      n->ip ? n->ip : "IP unknown");
		rh_buf_clear(&href);
		rh_buf_printf(&href, "api/v0/logs?node_id=%s", n->node_id);
		error = error ? error : link(b, href.ptr, "JSON");
		error = error ? error : rh_buf_puts(b, "</h3>");
		error = error ? error :
		                rh_dashboard__files_list(c, b, n, 0,
		                                         "rayhist/");
	}
	rh_buf_dispose(&href);
	return error;
}

static int
builtin_landing(rh_dash_ctx *c)
{
	rh_buf *b = &c->resp->body;
	int error;

	if ((error = landing_head(c, b)) < 0 ||
	    (error = landing_links(b)) < 0 ||
	    (error = rh_buf_puts(b, "</ul><h2 id=\"failed\">Failed "
	                            "tasks</h2>\n")) < 0 ||
	    (error = rh_dashboard__tasks_table(c, b, "state", "FAILED", 0, 20,
	                                       "rayhist/")) < 0 ||
	    (error = rh_buf_puts(b,
	                         "<p><a href=\"rayhist/tasks\">All tasks</a>, "
	                         "<a href=\"rayhist/actors\">all actors</a></p>"
	                         "<h2 id=\"jobs\">Jobs</h2>\n")) < 0 ||
	    (error = rh_dashboard__jobs_table(c, b, "rayhist/")) < 0 ||
	    (error = rh_buf_puts(b, "<h2>Logs</h2>\n")) < 0 ||
	    (error = landing_nodes(c, b)) < 0 ||
	    (error = rh_buf_puts(b, "</body></html>\n")) < 0 ||
	    (error = rh_dashboard__header(c->resp, "Cache-Control",
	                                  "no-cache")) < 0)
		return error;
	return rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
}

static int
cookie_build(char *out, size_t cap, const char *hdr)
{
	const char *p = hdr ? strstr(hdr, "rayhist_build=") : NULL;
	size_t n;

	if (!p || (p != hdr && p[-1] != ' ' && p[-1] != ';'))
		return 0;
	p += 14;
	n = strcspn(p, "; ");
	if (!n || n >= cap)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

int
rh_dashboard__landing(rh_dash_ctx *c)
{
	const char *param = rh_dashboard_url_param(c->url, "build");
	const rh_dash_build *b;
	char want[128] = "", msg[600];
	int r, error;

	if ((r = rh_dashboard__session_snap(c)) != RH_DASH_GO_ON) {
		if (r < 0)
			return r;
		if (c->resp->status == 202) {
			/* c->resp holds the JSON message; show it as a page. */
			rh_buf copy = RH_BUF_INIT;
			json_object *o = json_tokener_parse(c->resp->body.ptr);
			json_object *m = NULL;

			json_object_object_get_ex(o, "msg", &m);
			rh_buf_puts(&copy, m ? json_object_get_string(m) :
			                       "preparing");
			json_object_put(o);
			error = preparing_page(c, copy.ptr);
			rh_buf_dispose(&copy);
			return error;
		}
		return 0;
	}
	(void)msg;
	if (param && *param) {
		if (!(b = rh_dashboard__build_for(c->d, param, NULL)))
			return rh_dashboard__fail(c, 400,
			                          "build: no dashboard "
			                          "build named \"%.60s\"",
			                          param);
	} else {
		cookie_build(want, sizeof(want), c->req->cookie);
		b = rh_dashboard__build_for(c->d, want, NULL);
		if (!b || !want[0] || strcmp(b->name, want))
			b = rh_dashboard__build_for(c->d, NULL,
			                            c->snap->ray_version);
	}
	if (!b)
		return builtin_landing(c);
	if ((error = rh_dashboard__header(
		     c->resp, "Set-Cookie",
		     "rayhist_build=%s; Path=%s; SameSite=Lax", b->name,
		     c->base)) < 0)
		return error;
	if ((r = rh_dashboard__static(c, b, NULL, 0)) != 0)
		return r < 0 ? r :
		               rh_dashboard__fail(c, 404,
		                                  "dashboard build %s "
		                                  "has no index.html",
		                                  b->name);
	return 0;
}

/* ---- text tables --------------------------------------------------------------- */

static int
text_jobs(rh_dash_ctx *c, rh_buf *b)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	/* SESSION@TIME/: the jobs as they were then */
	if ((error = rh_dashboard__scan(&q, c->snap, RH_ENTITY_JOB, NULL, 0, 1,
	                                c->at_ns)) < 0)
		return error;
	error = rh_buf_printf(b, "%-10s %-11s %-10s %-24s %-24s %s\n", "JOB_ID",
	                      "TYPE", "STATUS", "START", "END",
	                      "SUBMISSION_ID / ENTRYPOINT");
	while (!error && (error = rh_query_next(&row, q)) == 0) {
		const rh_job_row *j = &row->u.job;
		char t1[40], t2[40];

		rh_dashboard__fmt_ms(t1, sizeof(t1),
		                     rh_dashboard__ms(j->start_time_ns), 1);
		rh_dashboard__fmt_ms(t2, sizeof(t2),
		                     rh_dashboard__ms(j->end_time_ns), 1);
		error = rh_buf_printf(
			b, "%-10s %-11s %-10s %-24s %-24s %s %s\n",
			j->job_id ? j->job_id : "-",
			j->type == RH_JOB_TYPE_SUBMISSION ? "SUBMISSION" :
							    "DRIVER",
			rh_job_status_name(j->status), t1[0] ? t1 : "-",
			t2[0] ? t2 : "-",
			j->submission_id ? j->submission_id : "-",
			j->entrypoint ? j->entrypoint : "");
	}
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

static int
text_tasks(rh_dash_ctx *c, rh_buf *b)
{
	rh_dash_state_opts o;
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	rh_query_counts k;

	const char *state = rh_dashboard_url_param(c->url, "state");

	if ((error = rh_dashboard__state_opts(c, &o, 1000)) < 0)
		return error;
	if (state && *state) { /* ?state=FAILED, beside Ray's filter triples */
		if (o.q.nfilters >= RH_DASH_MAX_FILTERS)
			return rh__error(RH_EINVAL, "state: too many filters");
		o.filters[o.q.nfilters].key = "state";
		o.filters[o.q.nfilters].op = "=";
		o.filters[o.q.nfilters].value = state;
		o.q.filters = o.filters;
		o.q.nfilters++;
	}
	o.q.count = 1; /* to say how many the row limit left out */
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_TASK, &o.q)) < 0)
		return error;
	error = rh_buf_printf(b, "%-48s %-3s %-10s %-20s %-26s %s\n", "TASK_ID",
	                      "TRY", "JOB_ID", "STATE", "TYPE", "NAME / ERROR");
	while (!error && (error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task;

		error = rh_buf_printf(
			b, "%-48s %-3d %-10s %-20s %-26s %s%s%s\n", t->task_id,
			(int)t->attempt_number, t->job_id ? t->job_id : "-",
			rh_task_state_name(t->state),
			rh_task_type_name(t->type), t->name ? t->name : "",
			t->error_type ? "  " : "",
			t->error_type ? t->error_type : "");
	}
	rh_query_counts_get(&k, q);
	rh_query_close(q);
	if (error != RH_ITEROVER)
		return error;
	if (k.num_filtered != UINT64_MAX && k.num_filtered > k.returned)
		return rh_buf_printf(
			b,
			"... %llu of %llu tasks shown: the row limit "
			"is %lld (?limit=N, at most %d, shows more)\n",
			(unsigned long long)k.returned,
			(unsigned long long)k.num_filtered, (long long)o.limit,
			10000);
	return 0;
}

int
rh_dashboard__text(rh_dash_ctx *c)
{
	rh_buf *b = &c->resp->body;
	int error;

	if (c->nsegs != 2)
		return rh_dashboard__fail(c, 404, "%s: no such page", c->sub);
	if ((error = rh_dashboard__pages(c, c->segs[1])) != 1)
		return error;
	if (!strcmp(c->segs[1], "session"))
		return rh_dashboard__session_page(c);
	if (!strcmp(c->segs[1], "at"))
		return rh_dashboard__at_redirect(c);
	if (!strcmp(c->segs[1], "jobs.txt"))
		error = text_jobs(c, b);
	else if (!strcmp(c->segs[1], "tasks.txt"))
		error = text_tasks(c, b);
	else
		return rh_dashboard__fail(c, 404, "%s: no such page", c->sub);
	if (error < 0) {
		rh_buf_clear(b);
		return rh_dashboard__fail_code(c, error);
	}
	return rh_dashboard__reply(c, 200, "text/plain; charset=utf-8");
}
