/* dashboard_picker.c - the cluster picker: every stored session, as an HTML
 * page (/) with inline CSS and no script, or as JSON (/clusters). */
#include "dashboard_routes.h"
#include "dashboard_html.h"

#include <stdio.h>
#include <time.h>

typedef struct pick_row {
	char ns[256], cluster[256], session[256];
	rh_session_info info;
	int has_info;
	int64_t nodes, jobs, tasks, actors; /* -1: not known yet */
	int phantom;                        /* nothing but an index */
	char version[64];
} pick_row;

typedef struct pick_list {
	pick_row *v;
	size_t n;
	rh_dashboard *d;
	const char *ns, *cluster;
	const char *const *allowed; /* namespaces shown; NULL: all */
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

	if (l->allowed) { /* the caller's grant (request version 4) */
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
		snprintf(r->version, sizeof(r->version), "%s",
		         r->info.ray_version);
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
 * PICK_THREADS at a time rather than one after another. They are joined
 * before the picker answers: no thread outlives the call (dashboard.h). */
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
	while (nt + 1 < want &&
	       pthread_create(&t[nt], NULL, pick_main, &w) == 0)
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
	for (i = k = 0; i < l->n; i++) /* names that hold no session */
		if (!l->v[i].phantom)
			l->v[k++] = l->v[i];
	l->n = k;
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), row_cmp);
	return 0;
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
		const rh_dash_build *b =
			rh_dashboard__build_for(c->d, NULL, r->version);

		rh__jw_obj(&w);
		rh__jw_kstr(&w, "name", r->cluster);
		rh__jw_kstr(&w, "namespace", r->ns);
		rh__jw_kstr(&w, "sessionName", r->session);
		rh_dashboard__fmt_ms(iso, sizeof(iso), row_start(r), 1);
		rh__jw_kstr(&w, "createTime", iso);
		rh__jw_kint(&w, "createTimeStamp", row_start(r) / 1000);
		count_or_null(&w, "startTimeMs",
		              r->has_info && r->info.start_ms ?
		                      r->info.start_ms :
		                      -1);
		count_or_null(&w, "endTimeMs",
		              r->has_info && r->info.end_ms ? r->info.end_ms :
		                                              -1);
		count_or_null(&w, "updatedTimeMs",
		              r->has_info && r->info.updated_ms ?
		                      r->info.updated_ms :
		                      -1);
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

static int
cell_count(rh_buf *b, int64_t v)
{
	return v < 0 ? rh_buf_puts(b, "<td class=\"n\">-</td>") :
	               rh_buf_printf(b, "<td class=\"n\">%lld</td>",
	                             (long long)v);
}

static int
picker_row(rh_buf *b, rh_dashboard *d, const pick_row *r)
{
	const rh_dash_build *dflt =
		rh_dashboard__build_for(d, NULL, r->version);
	rh_buf base = RH_BUF_INIT, enter = RH_BUF_INIT;
	char t1[40], t2[40];
	size_t i;
	int error;

	rh_dashboard__fmt_ms(t1, sizeof(t1), row_start(r), 0);
	rh_dashboard__fmt_ms(t2, sizeof(t2), r->has_info ? r->info.end_ms : 0,
	                     0);
	if ((error = base_of(&base, r, "/c/")) < 0 ||
	    (error = base_of(&enter, r, "/enter_cluster/")) < 0)
		goto done;
	error = rh_buf_puts(b, "<tr class=\"session\"><td>");
	error = error ? error : rh_dashboard__html(b, r->ns);
	error = error ? error : rh_buf_puts(b, "</td><td>");
	error = error ? error : rh_dashboard__html(b, r->cluster);
	error = error ? error :
	                rh_buf_puts(b, "</td><td><a class=\"share\" href=\"");
	error = error ? error : rh_dashboard__html(b, base.ptr);
	error = error ? error : rh_buf_puts(b, "/\">");
	error = error ? error : rh_dashboard__html(b, r->session);
	error = error ? error :
	                rh_buf_printf(b, "</a></td><td>%s</td><td>%s</td>", t1,
	                              t2);
	error = error ? error : cell_count(b, r->nodes);
	error = error ? error : cell_count(b, r->jobs);
	error = error ? error : cell_count(b, r->tasks);
	error = error ? error : rh_buf_puts(b, "<td>");
	error = error ? error :
	                rh_dashboard__html(b, r->version[0] ? r->version : "-");
	error = error ? error :
	                rh_buf_puts(b,
	                            "</td><td><form method=\"get\" action=\"");
	error = error ? error : rh_dashboard__html(b, enter.ptr);
	error = error ? error : rh_buf_puts(b, "\">");
	if (!error && d->nbuilds > 1) {
		error = rh_buf_puts(
			b, "<select name=\"build\" title=\"dashboard build\">");
		for (i = 0; !error && i < d->nbuilds; i++) {
			error = rh_buf_printf(
				b, "<option%s value=\"",
				&d->builds[i] == dflt ? " selected" : "");
			error = error ? error :
			                rh_dashboard__html(b,
			                                   d->builds[i].name);
			error = error ? error : rh_buf_puts(b, "\">");
			error = error ? error :
			                rh_dashboard__html(b,
			                                   d->builds[i].name);
			error = error ? error : rh_buf_puts(b, "</option>");
		}
		error = error ? error : rh_buf_puts(b, "</select> ");
	}
	error = error ? error :
	                rh_buf_puts(b, "<button type=\"submit\">Open</button>"
	                               "</form><a class=\"timeline\" href=\"");
	error = error ? error : rh_dashboard__html(b, base.ptr);
	error = error ? error :
	                rh_buf_puts(b, "/rayhist/session\">Timeline</a>"
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

	if ((error = rh_dashboard__page_begin(
		     b, "rayhist: stored Ray clusters")) < 0 ||
	    (error = rh_buf_puts(b, rh_dashboard__plain_css)) < 0 ||
	    (error = rh_buf_puts(
		     b, "</head><body><h1>Stored Ray clusters</h1>\n")) < 0)
		return error;
	if (!c->d->nbuilds &&
	    (error = rh_buf_puts(
		     b, "<p class=\"note\" id=\"no-build\">No Ray dashboard "
			"build is configured, so sessions open on a page "
			"of links to their data. To browse them with Ray's "
			"own dashboard, restart <code>rayhist-serve</code> "
			"with <code>--dashboard-dir DIR</code>, DIR being "
			"<code>python/ray/dashboard/client/build</code> "
			"from an installed Ray (or a folder of such builds "
			"named by Ray version).</p>\n")) < 0)
		return error;
	if (c->d->nbuilds > 1 &&
	    (error = rh_buf_printf(b,
	                           "<p>%zu dashboard builds are available; "
	                           "each session offers the one matching its "
	                           "Ray version first.</p>\n",
	                           c->d->nbuilds)) < 0)
		return error;
	if (!l->n)
		return rh_buf_puts(
			b, "<p id=\"empty\">The store holds no sessions "
			   "yet. Capture one with <code>rayhist-collect "
			   "--store URL --cluster NAME "
			   "/tmp/ray/session_latest</code>.</p></body>"
			   "</html>\n");
	if ((error = rh_buf_printf(
		     b,
		     "<p>%zu session%s, newest first. "
		     "<a href=\"/clusters\">As JSON</a>.</p>\n"
		     "<table id=\"sessions\"><thead><tr><th>Namespace"
		     "</th><th>Cluster</th><th>Session</th><th>"
		     "Started</th><th>Ended</th><th>Nodes</th><th>"
		     "Jobs</th><th>Tasks</th><th>Ray</th><th></th>"
		     "</tr></thead><tbody>\n",
		     l->n, l->n == 1 ? "" : "s")) < 0)
		return error;
	for (i = 0; i < l->n; i++)
		if ((error = picker_row(b, c->d, &l->v[i])) < 0)
			return error;
	return rh_buf_puts(b,
	                   "</tbody></table>\n<p>Jobs and tasks show \"-\" "
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
		error = rh_dashboard__header(c->resp, "Cache-Control",
		                             "no-cache");
		if (!error)
			error = rh_dashboard__reply(c, 200,
			                            "text/html; charset=utf-8");
	}
	free(l.v);
	return error;
}
