/* dashboard_picker.c - the built-in pages: the cluster picker (/ and
 * /clusters), a session's landing page (the dashboard build's index.html,
 * or a page of links when there is no build), the "preparing" page, and
 * plain-text job and task tables. Pages are self-contained HTML with inline
 * CSS and no script (but the preparing page's one-line reload), so they work
 * offline and behind any proxy. */
#include "dashboard_internal.h"

#include <stdio.h>
#include <time.h>

typedef struct pick_row {
	char ns[256], cluster[256], session[256];
	rh_session_info info;
	int has_info;
	int64_t nodes, jobs, tasks, actors;   /* -1: not known yet */
	int phantom;                          /* nothing but an index */
	char version[64];
} pick_row;

typedef struct pick_list {
	pick_row *v;
	size_t n;
	rh_dashboard *d;
	const char *ns, *cluster;
	const char *const *allowed;   /* namespaces shown; NULL: all */
} pick_list;

static int
session_cb(const char *name, void *payload)
{
	pick_list *l = payload;
	pick_row *v, *r;

	if (!(v = rh__realloc(l->v, (l->n + 1) * sizeof(*v))))
		return RH_ENOMEM;
	l->v = v;
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->ns, sizeof(r->ns), "%s", l->ns);
	snprintf(r->cluster, sizeof(r->cluster), "%s", l->cluster);
	snprintf(r->session, sizeof(r->session), "%s", name);
	return 0;
}

static int
cluster_cb(const char *name, void *payload)
{
	pick_list *l = payload;

	l->cluster = name;
	return rh_catalog_list_sessions(l->d->st, l->ns, name, session_cb, l);
}

static int
ns_cb(const char *name, void *payload)
{
	pick_list *l = payload;
	size_t i;

	if (l->allowed) {	/* the caller's grant (request version 4) */
		for (i = 0; l->allowed[i] && strcmp(l->allowed[i], name); i++)
			;
		if (!l->allowed[i])
			return 0;
	}
	l->ns = name;
	return rh_catalog_list_clusters(l->d->st, name, cluster_cb, l);
}

/* Counts from the open snapshot, else the stored facts. */
static void
row_counts(rh_dashboard *d, pick_row *r, int64_t now_ms)
{
	rh_session_ref s = { r->ns, r->cluster, r->session };
	rh_dash_facts f;
	rh_dash_entry *e;

	rh_dashboard__facts_get(&f, d, &s, now_ms);
	r->info = f.info;
	r->has_info = f.has_info;
	if (r->has_info)
		snprintf(r->version, sizeof(r->version), "%s", r->info.ray_version);
	r->nodes = f.nodes;
	r->phantom = f.phantom;
	r->jobs = f.jobs;
	r->tasks = f.tasks;
	r->actors = f.actors;
	pthread_mutex_lock(&d->lock);
	for (e = d->entries; e; e = e->next) {
		if (e->snap && !strcmp(e->session, r->session) &&
		    !strcmp(e->cluster, r->cluster) && !strcmp(e->ns, r->ns)) {
			r->jobs = (int64_t)e->snap->njobs;
			r->tasks = (int64_t)e->snap->ntasks;
			r->actors = (int64_t)e->snap->nactors;
			snprintf(r->version, sizeof(r->version), "%s",
				 e->snap->ray_version);
			if ((int64_t)e->snap->nnodes > r->nodes)
				r->nodes = (int64_t)e->snap->nnodes;
		}
	}
	pthread_mutex_unlock(&d->lock);
}

static int64_t
row_start(const pick_row *r)
{
	return r->has_info ? r->info.start_ms : 0;
}

static int
row_cmp(const void *a, const void *b)
{
	const pick_row *x = a, *y = b;
	int64_t sx = row_start(x), sy = row_start(y);
	int c;

	if (sx != sy)
		return sx < sy ? 1 : -1;
	if ((c = strcmp(y->session, x->session)))
		return c;
	if ((c = strcmp(x->ns, y->ns)))
		return c;
	return strcmp(x->cluster, y->cluster);
}

/* Rows not kept from an earlier load cost three store requests each: a
 * few threads take them in turn, so that an S3 store's latency is paid
 * PICK_THREADS at a time rather than one after another. */
#define PICK_THREADS 8
#define PICK_ROWS_PER_THREAD 16

typedef struct pick_work {
	pthread_mutex_t lock;
	pick_list *l;
	int64_t now_ms;
	size_t next;
} pick_work;

static void *
pick_main(void *arg)
{
	pick_work *w = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (i >= w->l->n)
			return NULL;
		row_counts(w->l->d, &w->l->v[i], w->now_ms);
	}
}

static void
all_row_counts(pick_list *l, int64_t now_ms)
{
	pthread_t t[PICK_THREADS - 1];
	size_t nt = 0, want = l->n / PICK_ROWS_PER_THREAD, i;
	pick_work w;

	memset(&w, 0, sizeof(w));
	w.l = l;
	w.now_ms = now_ms;
	if (want > PICK_THREADS)
		want = PICK_THREADS;
	if (want < 2 || pthread_mutex_init(&w.lock, NULL) != 0) {
		for (i = 0; i < l->n; i++)
			row_counts(l->d, &l->v[i], now_ms);
		return;
	}
	/* This thread is one of them; a thread that cannot start is one
	 * fewer. */
	while (nt + 1 < want && pthread_create(&t[nt], NULL, pick_main, &w) == 0)
		nt++;
	pick_main(&w);
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&w.lock);
}

static int
gather(pick_list *l, rh_dashboard *d, int64_t now_ms,
       const rh_dashboard_request *req)
{
	size_t i, k;
	int error;

	memset(l, 0, sizeof(*l));
	l->d = d;
	l->allowed = req->version >= 4 ? req->namespaces : NULL;
	if ((error = rh_catalog_list_namespaces(d->st, ns_cb, l)) < 0)
		return error;
	all_row_counts(l, now_ms);
	for (i = k = 0; i < l->n; i++)	/* names that hold no session */
		if (!l->v[i].phantom)
			l->v[k++] = l->v[i];
	l->n = k;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), row_cmp);
	return 0;
}

static void
fmt_time(char *out, size_t cap, int64_t ms, int iso)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, cap, iso ? "" : "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, cap, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int
base_of(rh_buf *out, const pick_row *r, const char *root)
{
	int error;

	if ((error = rh_buf_puts(out, root)) < 0 ||
	    (error = rh_dashboard__urlenc(out, r->ns)) < 0 ||
	    (error = rh_buf_puts(out, "/")) < 0 ||
	    (error = rh_dashboard__urlenc(out, r->cluster)) < 0 ||
	    (error = rh_buf_puts(out, "/")) < 0 ||
	    (error = rh_dashboard__urlenc(out, r->session)) < 0)
		return error;
	return 0;
}

static void
count_or_null(rh__jw *w, const char *k, int64_t v)
{
	rh__jw_key(w, k);
	if (v < 0)
		rh__jw_null(w);
	else
		rh__jw_int(w, v);
}

static int
picker_json(rh_dash_ctx *c, const pick_list *l)
{
	rh_buf url = RH_BUF_INIT;
	char iso[40];
	rh__jw w;
	size_t i;

	rh__jw_init(&w, &c->resp->body);
	rh__jw_arr(&w);
	for (i = 0; i < l->n; i++) {
		const pick_row *r = &l->v[i];
		const rh_dash_build *b = rh_dashboard__build_for(c->d, NULL,
								 r->version);

		rh__jw_obj(&w);
		rh__jw_kstr(&w, "name", r->cluster);
		rh__jw_kstr(&w, "namespace", r->ns);
		rh__jw_kstr(&w, "sessionName", r->session);
		fmt_time(iso, sizeof(iso), row_start(r), 1);
		rh__jw_kstr(&w, "createTime", iso);
		rh__jw_kint(&w, "createTimeStamp", row_start(r) / 1000);
		count_or_null(&w, "startTimeMs", r->has_info && r->info.start_ms
			      ? r->info.start_ms : -1);
		count_or_null(&w, "endTimeMs", r->has_info && r->info.end_ms
			      ? r->info.end_ms : -1);
		count_or_null(&w, "updatedTimeMs", r->has_info && r->info.updated_ms
			      ? r->info.updated_ms : -1);
		count_or_null(&w, "nodes", r->nodes);
		count_or_null(&w, "jobs", r->jobs);
		count_or_null(&w, "tasks", r->tasks);
		count_or_null(&w, "actors", r->actors);
		rh__jw_kstr(&w, "rayVersion", r->version);
		rh__jw_kbool(&w, "indexed", r->tasks >= 0);
		rh__jw_kstr(&w, "dashboardBuild", b ? b->name : NULL);
		rh_buf_clear(&url);
		base_of(&url, r, "/c/");
		rh_buf_puts(&url, "/");
		rh__jw_kstr(&w, "url", url.ptr);
		rh_buf_clear(&url);
		base_of(&url, r, "/enter_cluster/");
		rh__jw_kstr(&w, "enterUrl", url.ptr);
		rh__jw_end(&w);
	}
	rh__jw_end(&w);
	rh_buf_dispose(&url);
	return rh_dashboard__reply_jw(c, &w);
}

static const char CSS[] =
	"<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;"
	"vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}"
	"code{background:#f4f4f4;padding:0 .2em}.note{background:#fff8e0;"
	"border:1px solid #eed;padding:.6em 1em;margin:1em 0}"
	"a{color:#0b5fb3}form{margin:0}caption{text-align:left;font-weight:bold;"
	"padding:.4em 0}td,th{overflow-wrap:anywhere}</style>";

static int
page_begin(rh_buf *b, const char *title)
{
	int error;

	if ((error = rh_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
				 "<meta charset=\"utf-8\"><title>")) < 0 ||
	    (error = rh_dashboard__html(b, title)) < 0 ||
	    (error = rh_buf_puts(b, "</title>")) < 0)
		return error;
	return 0;
}

static int
cell_count(rh_buf *b, int64_t v)
{
	return v < 0 ? rh_buf_puts(b, "<td class=\"n\">-</td>")
		     : rh_buf_printf(b, "<td class=\"n\">%lld</td>", (long long)v);
}

static int
picker_row(rh_buf *b, rh_dashboard *d, const pick_row *r)
{
	const rh_dash_build *dflt = rh_dashboard__build_for(d, NULL, r->version);
	rh_buf base = RH_BUF_INIT, enter = RH_BUF_INIT;
	char t1[40], t2[40];
	size_t i;
	int error;

	fmt_time(t1, sizeof(t1), row_start(r), 0);
	fmt_time(t2, sizeof(t2), r->has_info ? r->info.end_ms : 0, 0);
	if ((error = base_of(&base, r, "/c/")) < 0 ||
	    (error = base_of(&enter, r, "/enter_cluster/")) < 0)
		goto done;
	error = rh_buf_puts(b, "<tr class=\"session\"><td>");
	error = error ? error : rh_dashboard__html(b, r->ns);
	error = error ? error : rh_buf_puts(b, "</td><td>");
	error = error ? error : rh_dashboard__html(b, r->cluster);
	error = error ? error : rh_buf_puts(b, "</td><td><a class=\"share\" href=\"");
	error = error ? error : rh_dashboard__html(b, base.ptr);
	error = error ? error : rh_buf_puts(b, "/\">");
	error = error ? error : rh_dashboard__html(b, r->session);
	error = error ? error : rh_buf_printf(b, "</a></td><td>%s</td><td>%s</td>",
					      t1, t2);
	error = error ? error : cell_count(b, r->nodes);
	error = error ? error : cell_count(b, r->jobs);
	error = error ? error : cell_count(b, r->tasks);
	error = error ? error : rh_buf_puts(b, "<td>");
	error = error ? error : rh_dashboard__html(b, r->version[0] ? r->version
								 : "-");
	error = error ? error : rh_buf_puts(b, "</td><td><form method=\"get\" action=\"");
	error = error ? error : rh_dashboard__html(b, enter.ptr);
	error = error ? error : rh_buf_puts(b, "\">");
	if (!error && d->nbuilds > 1) {
		error = rh_buf_puts(b, "<select name=\"build\" title=\"dashboard build\">");
		for (i = 0; !error && i < d->nbuilds; i++) {
			error = rh_buf_printf(b, "<option%s value=\"",
					      &d->builds[i] == dflt ? " selected" : "");
			error = error ? error : rh_dashboard__html(b, d->builds[i].name);
			error = error ? error : rh_buf_puts(b, "\">");
			error = error ? error : rh_dashboard__html(b, d->builds[i].name);
			error = error ? error : rh_buf_puts(b, "</option>");
		}
		error = error ? error : rh_buf_puts(b, "</select> ");
	}
	error = error ? error : rh_buf_puts(b, "<button type=\"submit\">Open</button>"
					    "</form><a class=\"timeline\" href=\"");
	error = error ? error : rh_dashboard__html(b, base.ptr);
	error = error ? error : rh_buf_puts(b, "/rayhist/session\">Timeline</a>"
					    "</td></tr>\n");
done:
	rh_buf_dispose(&base);
	rh_buf_dispose(&enter);
	return error;
}

static int
picker_html(rh_dash_ctx *c, const pick_list *l)
{
	rh_buf *b = &c->resp->body;
	size_t i;
	int error;

	if ((error = page_begin(b, "rayhist: stored Ray clusters")) < 0 ||
	    (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(b, "</head><body><h1>Stored Ray clusters</h1>\n")) < 0)
		return error;
	if (!c->d->nbuilds &&
	    (error = rh_buf_puts(b, "<p class=\"note\" id=\"no-build\">No Ray dashboard "
				 "build is configured, so sessions open on a page "
				 "of links to their data. To browse them with Ray's "
				 "own dashboard, restart <code>rayhist-serve</code> "
				 "with <code>--dashboard-dir DIR</code>, DIR being "
				 "<code>python/ray/dashboard/client/build</code> "
				 "from an installed Ray (or a folder of such builds "
				 "named by Ray version).</p>\n")) < 0)
		return error;
	if (c->d->nbuilds > 1 &&
	    (error = rh_buf_printf(b, "<p>%zu dashboard builds are available; "
				   "each session offers the one matching its "
				   "Ray version first.</p>\n", c->d->nbuilds)) < 0)
		return error;
	if (!l->n)
		return rh_buf_puts(b, "<p id=\"empty\">The store holds no sessions "
				   "yet. Capture one with <code>rayhist-collect "
				   "--store URL --cluster NAME "
				   "/tmp/ray/session_latest</code>.</p></body>"
				   "</html>\n");
	if ((error = rh_buf_printf(b, "<p>%zu session%s, newest first. "
				   "<a href=\"/clusters\">As JSON</a>.</p>\n"
				   "<table id=\"sessions\"><thead><tr><th>Namespace"
				   "</th><th>Cluster</th><th>Session</th><th>"
				   "Started</th><th>Ended</th><th>Nodes</th><th>"
				   "Jobs</th><th>Tasks</th><th>Ray</th><th></th>"
				   "</tr></thead><tbody>\n", l->n,
				   l->n == 1 ? "" : "s")) < 0)
		return error;
	for (i = 0; i < l->n; i++)
		if ((error = picker_row(b, c->d, &l->v[i])) < 0)
			return error;
	return rh_buf_puts(b, "</tbody></table>\n<p>Jobs and tasks show \"-\" "
			   "until a session was opened once (its events are "
			   "indexed on the first visit).</p></body></html>\n");
}

int
rh_dashboard__picker(rh_dash_ctx *c, int json)
{
	pick_list l;
	int error;

	if ((error = gather(&l, c->d, c->now_ms, c->req)) < 0) {
		free(l.v);
		return rh_dashboard__fail_code(c, error);
	}
	if (json)
		error = picker_json(c, &l);
	else if ((error = picker_html(c, &l)) == 0) {
		error = rh_dashboard__header(c->resp, "Cache-Control", "no-cache");
		if (!error)
			error = rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
	}
	free(l.v);
	return error;
}

/* ---- a session's landing page ------------------------------------------------ */

int
rh_dashboard__preparing_page(rh_dash_ctx *c, const char *msg)
{
	rh_buf *b = &c->resp->body;
	int error;

	rh_buf_clear(b);
	if ((error = page_begin(b, "Preparing session")) < 0 ||
	    /* A script reload keeps the URL's #/route: Chromium takes a meta
	     * refresh of a URL with a fragment for a same-page jump and never
	     * reloads, so a shared link to a dashboard page of a session not
	     * yet indexed stayed here. The meta refresh is for no script. */
	    (error = rh_buf_puts(b, "<script>setTimeout(function(){"
				 "location.reload()},2000)</script><noscript>"
				 "<meta http-equiv=\"refresh\" content=\"2\">"
				 "</noscript>")) < 0 ||
	    (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(b, "</head><body><h1 id=\"preparing\">Preparing "
				 "session ")) < 0 ||
	    (error = rh_dashboard__html(b, c->sref.session)) < 0 ||
	    (error = rh_buf_puts(b, "</h1><p>")) < 0 ||
	    (error = rh_dashboard__html(b, msg)) < 0 ||
	    (error = rh_buf_puts(b, "</p><p>This page reloads by itself. "
				 "<a href=\"/\">All sessions</a></p></body></html>\n")) < 0)
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
	if ((error = rh_buf_printf(b, "<div class=\"note\" id=\"warnings\"><p>"
				   "Part of this session could not be read and "
				   "is left out (%llu damaged object%s):</p><ul>",
				   (unsigned long long)n, n == 1 ? "" : "s")) < 0)
		return error;
	for (i = 0; i < n && !error && *rh_dashboard__warning(s, i); i++) {
		error = rh_buf_puts(b, "<li>");
		error = error ? error : rh_dashboard__html(b, rh_dashboard__warning(s, i));
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
static int
builtin_landing(rh_dash_ctx *c)
{
	const rh_dash_snap *s = c->snap;
	rh_buf *b = &c->resp->body;
	rh_buf href = RH_BUF_INIT, title = RH_BUF_INIT;
	char t1[40], t2[40];
	size_t i;
	int error;

	uint64_t njobs = count_at(c, RH_ENTITY_JOB), ntasks = count_at(c, RH_ENTITY_TASK);
	uint64_t nactors = count_at(c, RH_ENTITY_ACTOR);
	size_t nnodes = c->at_ns == RH_TIME_NONE ? s->nnodes
			: (size_t)count_at(c, RH_ENTITY_NODE);
	char tat[40] = "";

	rh_buf_printf(&title, "%s/%s/%s", s->ns, s->cluster, s->session);
	fmt_time(t1, sizeof(t1), s->has_info ? s->info.start_ms : 0, 0);
	fmt_time(t2, sizeof(t2), s->has_info ? s->info.end_ms : 0, 0);
	if (c->at_ns != RH_TIME_NONE)
		fmt_time(tat, sizeof(tat), rh_dashboard__ms(c->at_ns), 1);
	if ((error = page_begin(b, title.ptr)) < 0 || (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(b, "</head><body><p><a href=\"/\">All sessions</a>"
				 "</p><h1 id=\"session\">")) < 0 ||
	    (error = rh_dashboard__html(b, title.ptr)) < 0 ||
	    (error = rh_buf_printf(b, "</h1><p>Started %s, ended %s. Ray %s. "
				   "%s%s%s<span id=\"counts\">%zu nodes, %llu jobs, "
				   "%llu tasks, %llu actors</span>.</p>\n", t1, t2,
				   s->ray_version[0] ? s->ray_version
						     : "version unknown",
				   tat[0] ? "<span id=\"at\">As of " : "", tat,
				   tat[0] ? ":</span> " : "", nnodes,
				   (unsigned long long)njobs,
				   (unsigned long long)ntasks,
				   (unsigned long long)nactors)) < 0 ||
	    (error = warnings_html(b, s)) < 0 ||
	    (error = rh_buf_puts(b, "<p class=\"note\" id=\"no-build\">No Ray "
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
	{
		static const char *const links[][3] = {
			{ "api/jobs/", "Jobs", "rayhist/jobs.txt" },
			{ "api/v0/tasks?detail=1&limit=1000", "Tasks", "rayhist/tasks.txt" },
			{ "logical/actors", "Actors", NULL },
			{ "nodes?view=summary", "Nodes", NULL },
			{ "api/v0/placement_groups?detail=1&limit=1000",
			  "Placement groups", NULL },
			{ "api/cluster_status?format=1", "Cluster status", NULL },
			{ "events", "Events", NULL },
			{ "api/v0/tasks/timeline?download=1", "Timeline (Chrome tracing)", NULL },
		};
		for (i = 0; i < RH_ARRAY_SIZE(links) && !error; i++) {
			error = rh_buf_printf(b, "<li>%s: ", links[i][1]);
			error = error ? error : link(b, links[i][0], "JSON");
			if (!error && links[i][2]) {
				error = rh_buf_puts(b, ", ");
				error = error ? error : link(b, links[i][2], "text");
			}
			error = error ? error : rh_buf_puts(b, "</li>\n");
		}
	}
	if (error < 0 || (error = rh_buf_puts(b, "</ul><h2 id=\"failed\">Failed "
					     "tasks</h2>\n")) < 0 ||
	    (error = rh_dashboard__tasks_table(c, b, "state", "FAILED", 0, 20,
					       "rayhist/")) < 0 ||
	    (error = rh_buf_puts(b, "<p><a href=\"rayhist/tasks\">All tasks</a>, "
				 "<a href=\"rayhist/actors\">all actors</a></p>"
				 "<h2 id=\"jobs\">Jobs</h2>\n")) < 0 ||
	    (error = rh_dashboard__jobs_table(c, b, "rayhist/")) < 0 ||
	    (error = rh_buf_puts(b, "<h2>Logs</h2>\n")) < 0)
		goto done;
	for (i = 0; i < s->nnodes && !error; i++) {
		const rh_dash_node *n = &s->nodes[i];

		error = rh_buf_printf(b, "<h3 class=\"node\">Node %s%s (%s) ",
				      n->node_id, n->is_head ? ", head" : "",
				      n->ip ? n->ip : "IP unknown");
		rh_buf_clear(&href);
		rh_buf_printf(&href, "api/v0/logs?node_id=%s", n->node_id);
		error = error ? error : link(b, href.ptr, "JSON");
		error = error ? error : rh_buf_puts(b, "</h3>");
		error = error ? error : rh_dashboard__files_list(c, b, n, 0, "rayhist/");
	}
	if (!error)
		error = rh_buf_puts(b, "</body></html>\n");
	if (!error)
		error = rh_dashboard__header(c->resp, "Cache-Control", "no-cache");
	if (!error)
		error = rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
done:
	rh_buf_dispose(&href);
	rh_buf_dispose(&title);
	return error;
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

	if ((r = rh_dashboard__session_snap(c)) != 0) {
		if (r < 0)
			return r;
		if (c->resp->status == 202) {
			/* c->resp holds the JSON message; show it as a page. */
			rh_buf copy = RH_BUF_INIT;
			json_object *o = json_tokener_parse(c->resp->body.ptr);
			json_object *m = NULL;

			json_object_object_get_ex(o, "msg", &m);
			rh_buf_puts(&copy, m ? json_object_get_string(m) : "preparing");
			json_object_put(o);
			error = rh_dashboard__preparing_page(c, copy.ptr);
			rh_buf_dispose(&copy);
			return error;
		}
		return 0;
	}
	(void)msg;
	if (param && *param) {
		if (!(b = rh_dashboard__build_for(c->d, param, NULL)))
			return rh_dashboard__fail(c, 400, "build: no dashboard "
						  "build named \"%.60s\"", param);
	} else {
		cookie_build(want, sizeof(want), c->req->cookie);
		b = rh_dashboard__build_for(c->d, want, NULL);
		if (!b || !want[0] || strcmp(b->name, want))
			b = rh_dashboard__build_for(c->d, NULL,
						    c->snap->ray_version);
	}
	if (!b)
		return builtin_landing(c);
	if ((error = rh_dashboard__header(c->resp, "Set-Cookie",
					  "rayhist_build=%s; Path=%s; SameSite=Lax",
					  b->name, c->base)) < 0)
		return error;
	if ((r = rh_dashboard__static(c, b, NULL, 0)) != 0)
		return r < 0 ? r : rh_dashboard__fail(c, 404, "dashboard build %s "
						      "has no index.html", b->name);
	return 0;
}

/* ---- text tables --------------------------------------------------------------- */

static int
text_jobs(rh_dash_ctx *c, rh_buf *b)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	o.limit = 0;
	o.count = 0;
	o.detail = 1;
	o.at_ns = c->at_ns;	/* SESSION@TIME/: the jobs as they were then */
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_JOB, &o)) < 0)
		return error;
	error = rh_buf_printf(b, "%-10s %-11s %-10s %-24s %-24s %s\n", "JOB_ID",
			      "TYPE", "STATUS", "START", "END", "SUBMISSION_ID / ENTRYPOINT");
	while (!error && (error = rh_query_next(&row, q)) == 0) {
		const rh_job_row *j = &row->u.job;
		char t1[40], t2[40];

		fmt_time(t1, sizeof(t1), rh_dashboard__ms(j->start_time_ns), 1);
		fmt_time(t2, sizeof(t2), rh_dashboard__ms(j->end_time_ns), 1);
		error = rh_buf_printf(b, "%-10s %-11s %-10s %-24s %-24s %s %s\n",
				      j->job_id ? j->job_id : "-",
				      j->type == RH_JOB_TYPE_SUBMISSION ? "SUBMISSION" : "DRIVER",
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
	if (state && *state) {	/* ?state=FAILED, beside Ray's filter triples */
		if (o.q.nfilters >= RH_DASH_MAX_FILTERS)
			return rh__error(RH_EINVAL, "state: too many filters");
		o.filters[o.q.nfilters].key = "state";
		o.filters[o.q.nfilters].op = "=";
		o.filters[o.q.nfilters].value = state;
		o.q.filters = o.filters;
		o.q.nfilters++;
	}
	o.q.count = 1;	/* to say how many the row limit left out */
	if ((error = rh_query_open(&q, c->snap->ix, RH_ENTITY_TASK, &o.q)) < 0)
		return error;
	error = rh_buf_printf(b, "%-48s %-3s %-10s %-20s %-26s %s\n", "TASK_ID",
			      "TRY", "JOB_ID", "STATE", "TYPE", "NAME / ERROR");
	while (!error && (error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *t = &row->u.task;

		error = rh_buf_printf(b, "%-48s %-3d %-10s %-20s %-26s %s%s%s\n",
				      t->task_id, (int)t->attempt_number,
				      t->job_id ? t->job_id : "-",
				      rh_task_state_name(t->state),
				      rh_task_type_name(t->type),
				      t->name ? t->name : "",
				      t->error_type ? "  " : "",
				      t->error_type ? t->error_type : "");
	}
	rh_query_counts_get(&k, q);
	rh_query_close(q);
	if (error != RH_ITEROVER)
		return error;
	if (k.num_filtered != UINT64_MAX && k.num_filtered > k.returned)
		return rh_buf_printf(b, "... %llu of %llu tasks shown: the row limit "
				     "is %lld (?limit=N, at most %d, shows more)\n",
				     (unsigned long long)k.returned,
				     (unsigned long long)k.num_filtered,
				     (long long)o.limit, 10000);
	return 0;
}

/* ---- the session page: a timeline chart ----------------------------------------
 * The session's entities' transitions swept into TL_BUCKETS instants: bucket
 * k shows the session as of its end, t0 + (k + 1) * span / TL_BUCKETS, the
 * instant its link opens (SESSION@TIME/), so a bar counts what the
 * dashboard under that link lists. Computed once per index. */

#define TL_BUCKETS 200
#define TL_MAX_TASKS 2000000
#define TL_NSTATES 14                  /* rh_task_state values */
#define TL_MAX_JOBS 1000

typedef struct tl_job {
	char *id;
	int64_t start_ns, end_ns;
} tl_job;

struct rh_dash_tl {
	int64_t t0, t1;                /* t1 > t0, else nothing to draw */
	int sampled;                   /* stopped after TL_MAX_TASKS tasks */
	int jobs_cut;                  /* more jobs than TL_MAX_JOBS marks */
	uint64_t ntasks;               /* tasks read */
	int32_t task[TL_NSTATES][TL_BUCKETS];
	int32_t nodes[TL_BUCKETS], actors[TL_BUCKETS];
	tl_job *jobs;
	size_t njobs;
};

void
rh_dashboard__tl_free(struct rh_dash_tl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->njobs; i++)
		free(t->jobs[i].id);
	free(t->jobs);
	free(t);
}

static int64_t
tl_instant(const struct rh_dash_tl *t, int k)
{
	return t->t0 + (int64_t)((__int128)(k + 1) * (t->t1 - t->t0) / TL_BUCKETS);
}

/* The first bucket whose instant is at or after `ns` (TL_BUCKETS if none). */
static int
tl_first(const struct rh_dash_tl *t, int64_t ns)
{
	int lo = 0, hi = TL_BUCKETS;

	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (tl_instant(t, mid) >= ns)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Add 1 to diff[] over the buckets whose instant is in [a, b). */
static void
tl_span(const struct rh_dash_tl *t, int32_t *diff, int64_t a, int64_t b)
{
	int lo = tl_first(t, a), hi = b == INT64_MAX ? TL_BUCKETS : tl_first(t, b);

	if (lo < hi) {
		diff[lo]++;
		if (hi < TL_BUCKETS)
			diff[hi]--;
	}
}

static void
tl_prefix(int32_t *v)
{
	int k;

	for (k = 1; k < TL_BUCKETS; k++)
		v[k] += v[k - 1];
}

static void
tl_range(int64_t *lo, int64_t *hi, const rh_transition *tr, size_t n)
{
	if (!n)
		return;
	if (tr[0].time_ns != RH_TIME_NONE && tr[0].time_ns < *lo)
		*lo = tr[0].time_ns;
	if (tr[n - 1].time_ns != RH_TIME_NONE && tr[n - 1].time_ns > *hi)
		*hi = tr[n - 1].time_ns;
}

static int
tl_open(rh_query **q, const rh_dash_snap *s, rh_entity what)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;

	o.limit = 0;
	o.count = 0;
	o.detail = 1;   /* rows come with their transitions only in detail */
	return rh_query_open(q, s->ix, what, &o);
}

/* Time range of the entities (info's start and end when it has both). */
static int
tl_find_range(struct rh_dash_tl *t, const rh_dash_snap *s)
{
	static const rh_entity ents[] = { RH_ENTITY_NODE, RH_ENTITY_ACTOR,
					  RH_ENTITY_JOB, RH_ENTITY_TASK };
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	uint64_t seen = 0;
	size_t e;
	int error = 0;

	if (s->has_info && s->info.start_ms > 0 && s->info.end_ms > s->info.start_ms) {
		t->t0 = s->info.start_ms * 1000000;
		t->t1 = s->info.end_ms * 1000000;
		return 0;
	}
	if (s->has_info && s->info.start_ms > 0)
		lo = s->info.start_ms * 1000000;
	for (e = 0; e < RH_ARRAY_SIZE(ents) && !error; e++) {
		rh_query *q = NULL;
		const rh_row *row;

		if ((error = tl_open(&q, s, ents[e])) < 0)
			break;
		while ((error = rh_query_next(&row, q)) == 0) {
			switch (ents[e]) {
			case RH_ENTITY_NODE:
				tl_range(&lo, &hi, row->u.node.transitions,
					 row->u.node.ntransitions);
				break;
			case RH_ENTITY_ACTOR:
				tl_range(&lo, &hi, row->u.actor.transitions,
					 row->u.actor.ntransitions);
				break;
			case RH_ENTITY_JOB:
				if (row->u.job.start_time_ns != RH_TIME_NONE &&
				    row->u.job.start_time_ns < lo)
					lo = row->u.job.start_time_ns;
				if (row->u.job.end_time_ns != RH_TIME_NONE &&
				    row->u.job.end_time_ns > hi)
					hi = row->u.job.end_time_ns;
				break;
			default:
				tl_range(&lo, &hi, row->u.task.transitions,
					 row->u.task.ntransitions);
				break;
			}
			if (ents[e] == RH_ENTITY_TASK && ++seen >= TL_MAX_TASKS)
				break;
		}
		rh_query_close(q);
		error = error == RH_ITEROVER ? 0 : error;
	}
	if (lo != INT64_MAX && hi > lo)
		t->t0 = lo, t->t1 = hi;
	return error;
}

static int
tl_compute(struct rh_dash_tl **out, const rh_dash_snap *s)
{
	struct rh_dash_tl *t = rh__calloc(1, sizeof(*t));
	rh_query *q = NULL;
	const rh_row *row;
	size_t i;
	int st, error;

	if (!t)
		return RH_ENOMEM;
	if ((error = tl_find_range(t, s)) < 0 || t->t1 <= t->t0)
		goto done;
	/* tasks: the state at T is the greatest of those reached by T */
	if ((error = tl_open(&q, s, RH_ENTITY_TASK)) < 0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_task_row *r = &row->u.task;
		int cur = RH_TASK_NIL;

		if (t->ntasks >= TL_MAX_TASKS) {
			t->sampled = 1;
			break;
		}
		t->ntasks++;
		for (i = 0; i < r->ntransitions; i++) {
			const rh_transition *x = &r->transitions[i];
			if (x->time_ns == RH_TIME_NONE)
				continue;
			if (x->state > cur && x->state < TL_NSTATES)
				cur = x->state;
			tl_span(t, t->task[cur], x->time_ns,
				i + 1 < r->ntransitions ? r->transitions[i + 1].time_ns
							: INT64_MAX);
		}
	}
	rh_query_close(q);
	q = NULL;
	if (error != RH_ITEROVER && error != 0)
		goto done;
	/* actors and nodes: the state of the last transition by T */
	for (st = 0; st < 2; st++) {
		rh_entity what = st ? RH_ENTITY_NODE : RH_ENTITY_ACTOR;
		int alive = st ? RH_NODE_ALIVE : RH_ACTOR_ALIVE;
		int32_t *diff = st ? t->nodes : t->actors;

		if ((error = tl_open(&q, s, what)) < 0)
			goto done;
		while ((error = rh_query_next(&row, q)) == 0) {
			const rh_transition *tr = st ? row->u.node.transitions
						     : row->u.actor.transitions;
			size_t n = st ? row->u.node.ntransitions
				      : row->u.actor.ntransitions;

			for (i = 0; i < n; i++)
				if (tr[i].state == alive && tr[i].time_ns != RH_TIME_NONE)
					tl_span(t, diff, tr[i].time_ns,
						i + 1 < n ? tr[i + 1].time_ns : INT64_MAX);
		}
		rh_query_close(q);
		q = NULL;
		if (error != RH_ITEROVER)
			goto done;
	}
	/* jobs: their start and end */
	if ((error = tl_open(&q, s, RH_ENTITY_JOB)) < 0)
		goto done;
	while ((error = rh_query_next(&row, q)) == 0 && t->njobs < TL_MAX_JOBS) {
		const rh_job_row *j = &row->u.job;
		tl_job *v;

		if (j->start_time_ns == RH_TIME_NONE)
			continue;
		if (!(v = rh__realloc(t->jobs, (t->njobs + 1) * sizeof(*v)))) {
			error = RH_ENOMEM;
			goto done;
		}
		t->jobs = v;
		v[t->njobs].start_ns = j->start_time_ns;
		v[t->njobs].end_ns = j->end_time_ns;
		v[t->njobs].id = rh__strdup(j->job_id ? j->job_id
					    : j->submission_id ? j->submission_id : "?");
		if (!v[t->njobs++].id) {
			error = RH_ENOMEM;
			goto done;
		}
	}
	if (error != RH_ITEROVER && error != 0)
		goto done;
	t->jobs_cut = error == 0;	/* stopped at the cap with a row left */
	for (st = 0; st < TL_NSTATES; st++)
		tl_prefix(t->task[st]);
	tl_prefix(t->nodes);
	tl_prefix(t->actors);
	error = 0;
done:
	rh_query_close(q);
	if (error < 0) {
		rh_dashboard__tl_free(t);
		return error;
	}
	*out = t;
	return 0;
}

/* The snapshot's timeline, computed on first use. */
static int
tl_get(const struct rh_dash_tl **out, rh_dash_ctx *c)
{
	struct rh_dash_tl *t = NULL;
	int error;

	pthread_mutex_lock(&c->d->lock);
	*out = c->snap->timeline;
	pthread_mutex_unlock(&c->d->lock);
	if (*out)
		return 0;
	if ((error = tl_compute(&t, c->snap)) < 0)
		return error;
	pthread_mutex_lock(&c->d->lock);
	if (!c->snap->timeline)
		c->snap->timeline = t, t = NULL;
	*out = c->snap->timeline;
	pthread_mutex_unlock(&c->d->lock);
	rh_dashboard__tl_free(t);
	return 0;
}

/* "/c/NS/CLUSTER/SESSION" of the context's session (no instant, no slash). */
static int
tl_base(rh_buf *b, const rh_dash_ctx *c)
{
	int error;

	if ((error = rh_buf_puts(b, "/c/")) < 0 ||
	    (error = rh_dashboard__urlenc(b, c->sref.ns)) < 0 ||
	    (error = rh_buf_puts(b, "/")) < 0 ||
	    (error = rh_dashboard__urlenc(b, c->sref.cluster)) < 0 ||
	    (error = rh_buf_puts(b, "/")) < 0)
		return error;
	return rh_dashboard__urlenc(b, c->sref.session);
}

static int32_t
tl_sum(const struct rh_dash_tl *t, int k, int from, int to)
{
	int32_t n = 0;
	int s;

	for (s = from; s <= to; s++)
		n += t->task[s][k];
	return n;
}

static int32_t
tl_pending(const struct rh_dash_tl *t, int k)
{
	return tl_sum(t, k, RH_TASK_PENDING_ARGS_AVAIL,
		      RH_TASK_PENDING_ACTOR_TASK_ORDERING_OR_CONCURRENCY) +
	       t->task[RH_TASK_GETTING_AND_PINNING_ARGS][k];
}

#define TL_W 800                      /* chart area, user units */
#define TL_TASK_H 160
#define TL_GAP 10
#define TL_ALIVE_H 60
#define TL_H (TL_TASK_H + TL_GAP + TL_ALIVE_H)

static double
tl_x(const struct rh_dash_tl *t, int64_t ns)
{
	if (ns < t->t0)
		ns = t->t0;
	if (ns > t->t1)
		ns = t->t1;
	return (double)(ns - t->t0) * TL_W / (double)(t->t1 - t->t0);
}

static int
tl_step_path(rh_buf *b, const char *cls, const int32_t *v, int32_t max)
{
	const double bw = (double)TL_W / TL_BUCKETS;
	int k, error;

	error = rh_buf_printf(b, "<path class=\"%s\" fill=\"none\" d=\"M0 %.1f", cls,
			      (double)TL_H);
	for (k = 0; k < TL_BUCKETS && !error; k++) {
		double y = TL_H - (max ? (double)v[k] * (TL_ALIVE_H - 4) / max : 0);
		error = rh_buf_printf(b, " L%.1f %.1f L%.1f %.1f", k * bw, y,
				      (k + 1) * bw, y);
	}
	return error ? error : rh_buf_puts(b, "\"/>\n");
}

static int
tl_svg(rh_buf *b, const struct rh_dash_tl *t, const char *base)
{
	const double bw = (double)TL_W / TL_BUCKETS;
	rh_buf iso = RH_BUF_INIT;
	int32_t tmax = 0, amax = 0;
	size_t i;
	int k, error;

	for (k = 0; k < TL_BUCKETS; k++) {
		int32_t n = tl_sum(t, k, RH_TASK_RUNNING, RH_TASK_RUNNING_IN_RAY_WAIT) +
			    tl_pending(t, k);
		if (n > tmax)
			tmax = n;
		if (t->nodes[k] > amax)
			amax = t->nodes[k];
		if (t->actors[k] > amax)
			amax = t->actors[k];
	}
	error = rh_buf_printf(b, "<svg id=\"timeline\" "
			      "viewBox=\"0 0 %d %d\" width=\"100%%\" "
			      "preserveAspectRatio=\"none\" style=\"max-width:%dpx;"
			      "height:%dpx;border:1px solid #ddd\" role=\"img\">\n"
			      "<rect class=\"band\" x=\"0\" y=\"%d\" width=\"%d\" "
			      "height=\"%d\" fill=\"#f8f8f8\"/>\n",
			      TL_W, TL_H, TL_W * 3 / 2, TL_H * 3 / 2, TL_TASK_H + TL_GAP,
			      TL_W, TL_ALIVE_H);
	for (k = 0; k < TL_BUCKETS && !error; k++) {
		int32_t run = t->task[RH_TASK_RUNNING][k];
		int32_t wait = tl_sum(t, k, RH_TASK_RUNNING_IN_RAY_GET,
				      RH_TASK_RUNNING_IN_RAY_WAIT);
		int32_t pend = tl_pending(t, k);
		double x = k * bw, y = TL_TASK_H, h;

		rh_buf_clear(&iso);
		if ((error = rh_time_format(&iso, tl_instant(t, k))) < 0)
			break;
		error = rh_buf_printf(b, "<a class=\"bucket\" href=\"%s@%s/\" "
				      "data-t=\"%s\" data-running=\"%d\" "
				      "data-running-in-ray-get-or-wait=\"%d\" "
				      "data-pending=\"%d\" data-finished=\"%d\" "
				      "data-failed=\"%d\" data-nodes=\"%d\" "
				      "data-actors=\"%d\"><title>%s: %d running, "
				      "%d in ray.get/wait, %d pending; %d nodes, "
				      "%d actors alive</title>"
				      "<rect class=\"hit\" x=\"%.2f\" y=\"0\" "
				      "width=\"%.2f\" height=\"%d\" fill=\"#fff\" "
				      "fill-opacity=\"0\"/>",
				      base, iso.ptr, iso.ptr, run, wait, pend,
				      t->task[RH_TASK_FINISHED][k],
				      t->task[RH_TASK_FAILED][k], t->nodes[k],
				      t->actors[k], iso.ptr, run, wait, pend,
				      t->nodes[k], t->actors[k], x, bw, TL_H);
		{
			const int32_t v[3] = { run, wait, pend };
			static const char *const cls[3] = { "running", "waiting", "pending" };
			static const char *const fill[3] = { "#2e7d32", "#81c784", "#ffb74d" };
			int j;

			for (j = 0; j < 3 && !error; j++) {
				if (!v[j] || !tmax)
					continue;
				h = (double)v[j] * (TL_TASK_H - 4) / tmax;
				y -= h;
				error = rh_buf_printf(b, "<rect class=\"%s\" x=\"%.2f\" "
						      "y=\"%.2f\" width=\"%.2f\" "
						      "height=\"%.2f\" fill=\"%s\"/>",
						      cls[j], x, y, bw, h, fill[j]);
			}
		}
		error = error ? error : rh_buf_puts(b, "</a>\n");
	}
	error = error ? error : tl_step_path(b, "nodes\" stroke=\"#1565c0\" stroke-width=\"2",
					     t->nodes, amax);
	error = error ? error : tl_step_path(b, "actors\" stroke=\"#8e24aa\" stroke-width=\"1.5",
					     t->actors, amax);
	for (i = 0; i < t->njobs && !error; i++) {
		const tl_job *j = &t->jobs[i];

		error = rh_buf_printf(b, "<line class=\"job-start\" x1=\"%.2f\" y1=\"0\" "
				      "x2=\"%.2f\" y2=\"%d\" stroke=\"#00897b\" "
				      "stroke-dasharray=\"4 2\"><title>job ",
				      tl_x(t, j->start_ns), tl_x(t, j->start_ns), TL_H);
		error = error ? error : rh_dashboard__html(b, j->id);
		error = error ? error : rh_buf_puts(b, " started</title></line>\n");
		if (error || j->end_ns == RH_TIME_NONE)
			continue;
		error = rh_buf_printf(b, "<line class=\"job-end\" x1=\"%.2f\" y1=\"0\" "
				      "x2=\"%.2f\" y2=\"%d\" stroke=\"#c62828\" "
				      "stroke-dasharray=\"4 2\"><title>job ",
				      tl_x(t, j->end_ns), tl_x(t, j->end_ns), TL_H);
		error = error ? error : rh_dashboard__html(b, j->id);
		error = error ? error : rh_buf_puts(b, " ended</title></line>\n");
	}
	error = error ? error : rh_buf_puts(b, "</svg>\n");
	rh_buf_dispose(&iso);
	return error;
}

static int
tl_page(rh_dash_ctx *c)
{
	const rh_dash_snap *s = c->snap;
	const struct rh_dash_tl *t;
	rh_buf *b = &c->resp->body;
	rh_buf base = RH_BUF_INIT, title = RH_BUF_INIT, t0 = RH_BUF_INIT,
	       t1 = RH_BUF_INIT;
	int error;

	if ((error = tl_get(&t, c)) < 0 || (error = tl_base(&base, c)) < 0 ||
	    (error = rh_buf_printf(&title, "%s/%s/%s: timeline", s->ns,
				   s->cluster, s->session)) < 0)
		goto done;
	rh_buf_clear(b);
	if ((error = page_begin(b, title.ptr)) < 0 ||
	    (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(b, "</head><body><p><a href=\"/\">All sessions</a> "
				 "&middot; <a href=\"")) < 0 ||
	    (error = rh_dashboard__html(b, base.ptr)) < 0 ||
	    (error = rh_buf_puts(b, "/\">Session</a></p><h1 id=\"session\">")) < 0 ||
	    (error = rh_dashboard__html(b, title.ptr)) < 0 ||
	    (error = rh_buf_puts(b, "</h1>\n")) < 0)
		goto done;
	if (t->t1 <= t->t0) {
		error = rh_buf_puts(b, "<p id=\"no-timeline\">The session has no "
				    "timed transitions to draw.</p>\n");
	} else {
		if ((error = rh_time_format(&t0, t->t0)) < 0 ||
		    (error = rh_time_format(&t1, t->t1)) < 0)
			goto done;
		error = rh_buf_printf(b, "<p>From <span id=\"t0\">%s</span> to "
				      "<span id=\"t1\">%s</span>, in %d steps. Bars: "
				      "tasks <span style=\"color:#2e7d32\">running"
				      "</span>, <span style=\"color:#81c784\">in "
				      "ray.get/wait</span>, <span style=\"color:"
				      "#ffb74d\">pending</span>; lines below: "
				      "<span style=\"color:#1565c0\">alive nodes"
				      "</span>, <span style=\"color:#8e24aa\">alive "
				      "actors</span>; dashed: job <span style=\""
				      "color:#00897b\">start</span> and <span "
				      "style=\"color:#c62828\">end</span>. Click a "
				      "time to open the session as it was then.</p>\n",
				      t0.ptr, t1.ptr, TL_BUCKETS);
		if (!error && t->sampled)
			error = rh_buf_printf(b, "<p class=\"note\" id=\"sampled\">"
					      "Sampled: only the first %llu tasks "
					      "are counted.</p>\n",
					      (unsigned long long)t->ntasks);
		error = error ? error : tl_svg(b, t, base.ptr);
	}
	if (!error && t->jobs_cut)
		error = rh_buf_printf(b, "<p class=\"note\" id=\"jobs-cut\">Only "
				      "the first %d jobs are marked; the session "
				      "has more (see Jobs).</p>\n", TL_MAX_JOBS);
	error = error ? error : rh_buf_puts(b, "<form id=\"at\" method=\"get\" action=\"");
	error = error ? error : rh_dashboard__html(b, base.ptr);
	error = error ? error : rh_buf_puts(b, "/rayhist/at\"><label>Open the "
					    "dashboard at <input name=\"t\" size=\"32\" "
					    "placeholder=\"2025-11-12T22:15:00Z or "
					    "+300\" required></label> <button "
					    "type=\"submit\">Open</button></form>\n"
					    "</body></html>\n");
	error = error ? error : rh_dashboard__header(c->resp, "Cache-Control", "no-cache");
	error = error ? error : rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
done:
	rh_buf_dispose(&base);
	rh_buf_dispose(&title);
	rh_buf_dispose(&t0);
	rh_buf_dispose(&t1);
	return error;
}

/* rayhist/at?t=TIME: 302 to SESSION@TIME/, 400 on a bad time. */
static int
tl_at(rh_dash_ctx *c)
{
	const char *t = rh_dashboard_url_param(c->url, "t");
	const rh_dash_snap *s = c->snap;
	rh_buf loc = RH_BUF_INIT;
	int64_t ns;
	int error;

	while (t && (*t == ' ' || *t == '\t'))
		t++;
	if (!t || !*t)
		return rh_dashboard__fail(c, 400, "t: missing (want RFC 3339, "
					  "e.g. 2025-11-12T22:15:00Z, or +SECONDS "
					  "since the session start)");
	if (rh_playback_time_parse(&ns, t, s->has_info && s->info.start_ms > 0
				   ? s->info.start_ms * 1000000 : RH_TIME_NONE) < 0) {
		error = rh_dashboard__fail(c, 400, "t: bad time \"%.80s\" (want "
					   "RFC 3339, e.g. 2025-11-12T22:15:00Z, "
					   "or +SECONDS since the session start): %s",
					   t, rh_error_last());
		rh_error_clear();
		return error;
	}
	if ((error = tl_base(&loc, c)) < 0 || (error = rh_buf_puts(&loc, "@")) < 0 ||
	    (error = rh_dashboard__urlenc(&loc, t)) < 0 ||
	    (error = rh_buf_puts(&loc, "/")) < 0 ||
	    (error = rh_dashboard__header(c->resp, "Location", "%s", loc.ptr)) < 0)
		goto done;
	rh_buf_clear(&c->resp->body);
	error = rh_buf_puts(&c->resp->body, "<!DOCTYPE html><title>Redirect</title>"
			    "<p>Moved to <a href=\"");
	error = error ? error : rh_dashboard__html(&c->resp->body, loc.ptr);
	error = error ? error : rh_buf_puts(&c->resp->body, "\">here</a>.</p>\n");
	error = error ? error : rh_dashboard__reply(c, 302, "text/html; charset=utf-8");
done:
	rh_buf_dispose(&loc);
	return error;
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
		return tl_page(c);
	if (!strcmp(c->segs[1], "at"))
		return tl_at(c);
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
