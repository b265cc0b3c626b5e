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
	char version[64];
} pick_row;

typedef struct pick_list {
	pick_row *v;
	size_t n;
	rh_dashboard *d;
	const char *ns, *cluster;
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

	l->ns = name;
	return rh_catalog_list_clusters(l->d->st, name, cluster_cb, l);
}

static int
count_cb(const char *name, void *payload)
{
	(void)name;
	(*(int64_t *)payload)++;
	return 0;
}

/* Counts from the open snapshot, else from an index built earlier. */
static void
row_counts(rh_dashboard *d, pick_row *r)
{
	rh_session_ref s = { r->ns, r->cluster, r->session };
	rh_dash_entry *e;
	rh_buf key = RH_BUF_INIT;
	rh_index *ix = NULL;
	int found = 0;

	r->has_info = rh_session_info_load(&r->info, d->st, &s) == 0;
	if (r->has_info)
		snprintf(r->version, sizeof(r->version), "%s", r->info.ray_version);
	r->nodes = 0;
	if (rh_catalog_list_nodes(d->st, &s, count_cb, &r->nodes) < 0)
		r->nodes = -1;
	r->jobs = r->tasks = r->actors = -1;
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
			found = 1;
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (!found && rh_layout_session_prefix(&key, &s) == 0 &&
	    rh_buf_puts(&key, RH_SESSION_INDEX_NAME) == 0 &&
	    rh_index_open(&ix, d->st, key.ptr, NULL) == 0) {
		r->jobs = (int64_t)rh_index_count(ix, RH_ENTITY_JOB);
		r->tasks = (int64_t)rh_index_count(ix, RH_ENTITY_TASK);
		r->actors = (int64_t)rh_index_count(ix, RH_ENTITY_ACTOR);
	}
	rh_index_close(ix);
	rh_buf_dispose(&key);
	rh_error_clear();
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

static int
gather(pick_list *l, rh_dashboard *d)
{
	size_t i;
	int error;

	memset(l, 0, sizeof(*l));
	l->d = d;
	if ((error = rh_catalog_list_namespaces(d->st, ns_cb, l)) < 0)
		return error;
	for (i = 0; i < l->n; i++)
		row_counts(d, &l->v[i]);
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
	"a{color:#0b5fb3}form{margin:0}</style>";

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
					    "</form></td></tr>\n");
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

	if ((error = gather(&l, c->d)) < 0) {
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

/* The built-in page of a session when there is no dashboard build. */
static int
builtin_landing(rh_dash_ctx *c)
{
	const rh_dash_snap *s = c->snap;
	rh_buf *b = &c->resp->body;
	rh_buf href = RH_BUF_INIT, title = RH_BUF_INIT;
	rh_node_manifest *m = NULL;
	char t1[40], t2[40];
	size_t i, k;
	int error;

	rh_buf_printf(&title, "%s/%s/%s", s->ns, s->cluster, s->session);
	fmt_time(t1, sizeof(t1), s->has_info ? s->info.start_ms : 0, 0);
	fmt_time(t2, sizeof(t2), s->has_info ? s->info.end_ms : 0, 0);
	if ((error = page_begin(b, title.ptr)) < 0 || (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(b, "</head><body><p><a href=\"/\">All sessions</a>"
				 "</p><h1 id=\"session\">")) < 0 ||
	    (error = rh_dashboard__html(b, title.ptr)) < 0 ||
	    (error = rh_buf_printf(b, "</h1><p>Started %s, ended %s. Ray %s. "
				   "<span id=\"counts\">%zu nodes, %llu jobs, "
				   "%llu tasks, %llu actors</span>.</p>\n", t1, t2,
				   s->ray_version[0] ? s->ray_version
						     : "version unknown",
				   s->nnodes, (unsigned long long)s->njobs,
				   (unsigned long long)s->ntasks,
				   (unsigned long long)s->nactors)) < 0 ||
	    (error = rh_buf_puts(b, "<p class=\"note\" id=\"no-build\">No Ray "
				 "dashboard build is configured on this server. "
				 "To see this session in Ray's own dashboard, "
				 "restart <code>rayhist-serve</code> with "
				 "<code>--dashboard-dir DIR</code>, DIR being "
				 "<code>python/ray/dashboard/client/build</code> "
				 "of an installed Ray (find it with <code>python "
				 "-c 'import ray, os; print(os.path.dirname("
				 "ray.__file__))'</code>), or a folder of such "
				 "builds named by Ray version.</p>\n<h2>Data</h2>"
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
	if (error < 0 || (error = rh_buf_puts(b, "</ul><h2>Logs</h2>\n")) < 0)
		goto done;
	for (i = 0; i < s->nnodes && !error; i++) {
		const rh_dash_node *n = &s->nodes[i];
		size_t shown = 0, nfiles;

		error = rh_buf_printf(b, "<h3 class=\"node\">Node %s%s (%s) ",
				      n->node_id, n->is_head ? ", head" : "",
				      n->ip ? n->ip : "IP unknown");
		rh_buf_clear(&href);
		rh_buf_printf(&href, "api/v0/logs?node_id=%s", n->node_id);
		error = error ? error : link(b, href.ptr, "JSON");
		error = error ? error : rh_buf_puts(b, "</h3><ul class=\"logs\">");
		if (error || rh_node_manifest_load(&m, c->d->st, &c->sref, n->node_id) < 0) {
			rh_error_clear();
			error = error ? error : rh_buf_puts(b, "<li>no files captured</li></ul>\n");
			continue;
		}
		nfiles = rh_node_manifest_file_count(m);
		for (k = 0; k < nfiles && !error; k++) {
			const rh_file_info *f = rh_node_manifest_file(m, k);
			if (strncmp(f->path, "logs/", 5) || strchr(f->path + 5, '/'))
				continue;
			if (shown++ >= 300)
				continue;
			rh_buf_clear(&href);
			error = rh_buf_printf(&href, "api/v0/logs/file?node_id=%s&"
					      "format=text&lines=-1&filename=",
					      n->node_id);
			error = error ? error : rh_dashboard__urlenc(&href, f->path + 5);
			error = error ? error : rh_buf_puts(b, "<li>");
			error = error ? error : link(b, href.ptr, f->path + 5);
			error = error ? error : rh_buf_printf(b, " (%llu bytes)</li>",
							      (unsigned long long)f->size);
		}
		if (!error && shown > 300)
			error = rh_buf_printf(b, "<li>... and %zu more (see JSON)</li>",
					      shown - 300);
		error = error ? error : rh_buf_puts(b, "</ul>\n");
		rh_node_manifest_free(m);
		m = NULL;
	}
	if (!error)
		error = rh_buf_puts(b, "</body></html>\n");
	if (!error)
		error = rh_dashboard__header(c->resp, "Cache-Control", "no-cache");
	if (!error)
		error = rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
done:
	rh_node_manifest_free(m);
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

	if ((error = rh_dashboard__state_opts(c, &o, 1000)) < 0)
		return error;
	o.q.count = 0;
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
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

int
rh_dashboard__text(rh_dash_ctx *c)
{
	rh_buf *b = &c->resp->body;
	int error;

	if (c->nsegs != 2)
		return rh_dashboard__fail(c, 404, "%s: no such page", c->sub);
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
