/* dashboard_chart.c - the session page (rayhist/session): an SVG timeline
 * chart of the session's tasks, nodes, actors and jobs, whose instants link
 * to the session as it was then, and the rayhist/at redirect of its form. */
#include "dashboard_routes.h"
#include "dashboard_html.h"

#include <stdio.h>

/* ---- the session page: a timeline chart ----------------------------------------
 * The session's entities' transitions swept into TL_BUCKETS instants: bucket
 * k shows the session as of its end, t0 + (k + 1) * span / TL_BUCKETS, the
 * instant its link opens (SESSION@TIME/), so a bar counts what the
 * dashboard under that link lists. Computed once per index. */

#define TL_BUCKETS 200
#define TL_MAX_TASKS 2000000
#define TL_NSTATES 14 /* rh_task_state values */
#define TL_MAX_JOBS 1000

typedef struct tl_job {
	char *id;
	int64_t start_ns, end_ns;
} tl_job;

struct rh_dash_tl {
	int64_t t0, t1;  /* t1 > t0, else nothing to draw */
	int sampled;     /* stopped after TL_MAX_TASKS tasks */
	int jobs_cut;    /* more jobs than TL_MAX_JOBS marks */
	uint64_t ntasks; /* tasks read */
	int32_t task[TL_NSTATES][TL_BUCKETS];
	int32_t nodes[TL_BUCKETS], actors[TL_BUCKETS];
	tl_job *jobs;
	size_t njobs;
};

static void
tl_free(struct rh_dash_tl *t)
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
	return t->t0 +
	       (int64_t)((__int128)(k + 1) * (t->t1 - t->t0) / TL_BUCKETS);
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
	int lo = tl_first(t, a),
	    hi = b == INT64_MAX ? TL_BUCKETS : tl_first(t, b);

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
	/* rows come with their transitions only in detail */
	return rh_dashboard__scan(q, s, what, NULL, 0, 1, RH_TIME_NONE);
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

	if (s->has_info && s->info.start_ms > 0 &&
	    s->info.end_ms > s->info.start_ms) {
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

/* Tasks: the state at T is the greatest of those reached by T. */
static int
tl_tasks(struct rh_dash_tl *t, const rh_dash_snap *s)
{
	rh_query *q = NULL;
	const rh_row *row;
	size_t i;
	int error;

	if ((error = tl_open(&q, s, RH_ENTITY_TASK)) < 0)
		return error;
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
			        i + 1 < r->ntransitions ?
			                r->transitions[i + 1].time_ns :
			                INT64_MAX);
		}
	}
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

/* Actors and nodes: the state of the last transition by T. */
static int
tl_alive(struct rh_dash_tl *t, const rh_dash_snap *s, int nodes)
{
	rh_entity what = nodes ? RH_ENTITY_NODE : RH_ENTITY_ACTOR;
	int alive = nodes ? RH_NODE_ALIVE : RH_ACTOR_ALIVE;
	int32_t *diff = nodes ? t->nodes : t->actors;
	rh_query *q = NULL;
	const rh_row *row;
	size_t i;
	int error;

	if ((error = tl_open(&q, s, what)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0) {
		const rh_transition *tr = nodes ? row->u.node.transitions :
		                                  row->u.actor.transitions;
		size_t n = nodes ? row->u.node.ntransitions :
		                   row->u.actor.ntransitions;

		for (i = 0; i < n; i++)
			if (tr[i].state == alive &&
			    tr[i].time_ns != RH_TIME_NONE)
				tl_span(t, diff, tr[i].time_ns,
				        i + 1 < n ? tr[i + 1].time_ns :
				                    INT64_MAX);
	}
	rh_query_close(q);
	return error == RH_ITEROVER ? 0 : error;
}

/* Jobs: their start and end, the first TL_MAX_JOBS of them. */
static int
tl_jobs(struct rh_dash_tl *t, const rh_dash_snap *s)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	if ((error = tl_open(&q, s, RH_ENTITY_JOB)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0 &&
	       t->njobs < TL_MAX_JOBS) {
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
		v[t->njobs].id =
			rh__strdup(j->job_id        ? j->job_id :
		                   j->submission_id ? j->submission_id :
		                                      "?");
		if (!v[t->njobs++].id) {
			error = RH_ENOMEM;
			goto done;
		}
	}
	if (error != RH_ITEROVER && error != 0)
		goto done;
	t->jobs_cut = error == 0; /* stopped at the cap with a row left */
	error = 0;
done:
	rh_query_close(q);
	return error;
}

static int
tl_compute(struct rh_dash_tl **out, const rh_dash_snap *s)
{
	struct rh_dash_tl *t = rh__calloc(1, sizeof(*t));
	int st, error;

	if (!t)
		return RH_ENOMEM;
	if ((error = tl_find_range(t, s)) < 0 || t->t1 <= t->t0)
		goto done;
	if ((error = tl_tasks(t, s)) < 0 || (error = tl_alive(t, s, 0)) < 0 ||
	    (error = tl_alive(t, s, 1)) < 0 || (error = tl_jobs(t, s)) < 0)
		goto done;
	for (st = 0; st < TL_NSTATES; st++)
		tl_prefix(t->task[st]);
	tl_prefix(t->nodes);
	tl_prefix(t->actors);
done:
	if (error < 0) {
		tl_free(t);
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
	if (!c->snap->timeline) {
		c->snap->timeline_free = tl_free;
		c->snap->timeline = t, t = NULL;
	}
	*out = c->snap->timeline;
	pthread_mutex_unlock(&c->d->lock);
	tl_free(t);
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

#define TL_W 800 /* chart area, user units */
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

	error = rh_buf_printf(b, "<path class=\"%s\" fill=\"none\" d=\"M0 %.1f",
	                      cls, (double)TL_H);
	for (k = 0; k < TL_BUCKETS && !error; k++) {
		double y = TL_H -
		           (max ? (double)v[k] * (TL_ALIVE_H - 4) / max : 0);
		error = rh_buf_printf(b, " L%.1f %.1f L%.1f %.1f", k * bw, y,
		                      (k + 1) * bw, y);
	}
	return error ? error : rh_buf_puts(b, "\"/>\n");
}

/* Bucket k: a link to the session at its instant, with its counts in data-
 * attributes and a title, over its stacked task bars. */
static int
tl_bucket(rh_buf *b, const struct rh_dash_tl *t, int k, int32_t tmax,
          const char *base, rh_buf *iso)
{
	static const char *const cls[3] = { "running", "waiting", "pending" };
	static const char *const fill[3] = { "#2e7d32", "#81c784", "#ffb74d" };
	const double bw = (double)TL_W / TL_BUCKETS;
	int32_t run = t->task[RH_TASK_RUNNING][k];
	int32_t wait = tl_sum(t, k, RH_TASK_RUNNING_IN_RAY_GET,
	                      RH_TASK_RUNNING_IN_RAY_WAIT);
	int32_t pend = tl_pending(t, k);
	const int32_t v[3] = { run, wait, pend };
	double x = k * bw, y = TL_TASK_H, h;
	int j, error;

	rh_buf_clear(iso);
	if ((error = rh_time_format(iso, tl_instant(t, k))) < 0)
		return error;
	error = rh_buf_printf(b,
	                      "<a class=\"bucket\" href=\"%s@%s/\" "
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
	                      base, iso->ptr, iso->ptr, run, wait, pend,
	                      t->task[RH_TASK_FINISHED][k],
	                      t->task[RH_TASK_FAILED][k], t->nodes[k],
	                      t->actors[k], iso->ptr, run, wait, pend,
	                      t->nodes[k], t->actors[k], x, bw, TL_H);
	for (j = 0; j < 3 && !error; j++) {
		if (!v[j] || !tmax)
			continue;
		h = (double)v[j] * (TL_TASK_H - 4) / tmax;
		y -= h;
		error = rh_buf_printf(b,
		                      "<rect class=\"%s\" x=\"%.2f\" "
		                      "y=\"%.2f\" width=\"%.2f\" "
		                      "height=\"%.2f\" fill=\"%s\"/>",
		                      cls[j], x, y, bw, h, fill[j]);
	}
	return error ? error : rh_buf_puts(b, "</a>\n");
}

/* Dashed lines where jobs started and ended. */
static int
tl_job_marks(rh_buf *b, const struct rh_dash_tl *t)
{
	size_t i;
	int error = 0;

	for (i = 0; i < t->njobs && !error; i++) {
		const tl_job *j = &t->jobs[i];

		error = rh_buf_printf(
			b,
			"<line class=\"job-start\" x1=\"%.2f\" y1=\"0\" "
			"x2=\"%.2f\" y2=\"%d\" stroke=\"#00897b\" "
			"stroke-dasharray=\"4 2\"><title>job ",
			tl_x(t, j->start_ns), tl_x(t, j->start_ns), TL_H);
		error = error ? error : rh_dashboard__html(b, j->id);
		error = error ? error :
		                rh_buf_puts(b, " started</title></line>\n");
		if (error || j->end_ns == RH_TIME_NONE)
			continue;
		error = rh_buf_printf(
			b,
			"<line class=\"job-end\" x1=\"%.2f\" y1=\"0\" "
			"x2=\"%.2f\" y2=\"%d\" stroke=\"#c62828\" "
			"stroke-dasharray=\"4 2\"><title>job ",
			tl_x(t, j->end_ns), tl_x(t, j->end_ns), TL_H);
		error = error ? error : rh_dashboard__html(b, j->id);
		error = error ? error :
		                rh_buf_puts(b, " ended</title></line>\n");
	}
	return error;
}

static int
tl_svg(rh_buf *b, const struct rh_dash_tl *t, const char *base)
{
	rh_buf iso = RH_BUF_INIT;
	int32_t tmax = 0, amax = 0;
	int k, error;

	for (k = 0; k < TL_BUCKETS; k++) {
		int32_t n = tl_sum(t, k, RH_TASK_RUNNING,
		                   RH_TASK_RUNNING_IN_RAY_WAIT) +
		            tl_pending(t, k);
		if (n > tmax)
			tmax = n;
		if (t->nodes[k] > amax)
			amax = t->nodes[k];
		if (t->actors[k] > amax)
			amax = t->actors[k];
	}
	error = rh_buf_printf(
		b,
		"<svg id=\"timeline\" "
		"viewBox=\"0 0 %d %d\" width=\"100%%\" "
		"preserveAspectRatio=\"none\" style=\"max-width:%dpx;"
		"height:%dpx;border:1px solid #ddd\" role=\"img\">\n"
		"<rect class=\"band\" x=\"0\" y=\"%d\" width=\"%d\" "
		"height=\"%d\" fill=\"#f8f8f8\"/>\n",
		TL_W, TL_H, TL_W * 3 / 2, TL_H * 3 / 2, TL_TASK_H + TL_GAP,
		TL_W, TL_ALIVE_H);
	for (k = 0; k < TL_BUCKETS && !error; k++)
		error = tl_bucket(b, t, k, tmax, base, &iso);
	error = error ? error :
	                tl_step_path(
				b,
				"nodes\" stroke=\"#1565c0\" stroke-width=\"2",
				t->nodes, amax);
	error = error ? error :
	                tl_step_path(
				b,
				"actors\" stroke=\"#8e24aa\" stroke-width=\"1.5",
				t->actors, amax);
	error = error ? error : tl_job_marks(b, t);
	error = error ? error : rh_buf_puts(b, "</svg>\n");
	rh_buf_dispose(&iso);
	return error;
}

/* The page's head, its links and its title. */
static int
session_head(rh_buf *b, const char *base, const char *title)
{
	int error;

	if ((error = rh_dashboard__page_begin(b, title)) < 0 ||
	    (error = rh_buf_puts(b, rh_dashboard__plain_css)) < 0 ||
	    (error = rh_buf_puts(
		     b, "</head><body><p><a href=\"/\">All sessions</a> "
			"&middot; <a href=\"")) < 0 ||
	    (error = rh_dashboard__html(b, base)) < 0 ||
	    (error = rh_buf_puts(b, "/\">Session</a></p><h1 id=\"session\">")) <
	            0 ||
	    (error = rh_dashboard__html(b, title)) < 0 ||
	    (error = rh_buf_puts(b, "</h1>\n")) < 0)
		return error;
	return 0;
}

/* The chart with its legend and notes, or why there is none. */
static int
session_chart(rh_buf *b, const struct rh_dash_tl *t, const char *base)
{
	rh_buf t0 = RH_BUF_INIT, t1 = RH_BUF_INIT;
	int error;

	if (t->t1 <= t->t0) {
		error = rh_buf_puts(b,
		                    "<p id=\"no-timeline\">The session has no "
		                    "timed transitions to draw.</p>\n");
	} else {
		if ((error = rh_time_format(&t0, t->t0)) < 0 ||
		    (error = rh_time_format(&t1, t->t1)) < 0)
			goto done;
		error = rh_buf_printf(
			b,
			"<p>From <span id=\"t0\">%s</span> to "
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
			error = rh_buf_printf(
				b,
				"<p class=\"note\" id=\"sampled\">"
				"Sampled: only the first %llu tasks "
				"are counted.</p>\n",
				(unsigned long long)t->ntasks);
		error = error ? error : tl_svg(b, t, base);
	}
	if (!error && t->jobs_cut)
		error = rh_buf_printf(
			b,
			"<p class=\"note\" id=\"jobs-cut\">Only "
			"the first %d jobs are marked; the session "
			"has more (see Jobs).</p>\n",
			TL_MAX_JOBS);
done:
	rh_buf_dispose(&t0);
	rh_buf_dispose(&t1);
	return error;
}

/* The form that opens the dashboard at a time, and the reply. */
static int
session_tail(rh_dash_ctx *c, rh_buf *b, const char *base)
{
	int error;

	error = rh_buf_puts(b, "<form id=\"at\" method=\"get\" action=\"");
	error = error ? error : rh_dashboard__html(b, base);
	error = error ? error :
	                rh_buf_puts(
				b, "/rayhist/at\"><label>Open the "
				   "dashboard at <input name=\"t\" size=\"32\" "
				   "placeholder=\"2025-11-12T22:15:00Z or "
				   "+300\" required></label> <button "
				   "type=\"submit\">Open</button></form>\n"
				   "</body></html>\n");
	error = error ? error :
	                rh_dashboard__header(c->resp, "Cache-Control",
	                                     "no-cache");
	error = error ? error :
	                rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
	return error;
}

int
rh_dashboard__session_page(rh_dash_ctx *c)
{
	const rh_dash_snap *s = c->snap;
	const struct rh_dash_tl *t;
	rh_buf *b = &c->resp->body;
	rh_buf base = RH_BUF_INIT, title = RH_BUF_INIT;
	int error;

	if ((error = tl_get(&t, c)) < 0 || (error = tl_base(&base, c)) < 0 ||
	    (error = rh_buf_printf(&title, "%s/%s/%s: timeline", s->ns,
	                           s->cluster, s->session)) < 0)
		goto done;
	rh_buf_clear(b);
	if ((error = session_head(b, base.ptr, title.ptr)) < 0 ||
	    (error = session_chart(b, t, base.ptr)) < 0)
		goto done;
	error = session_tail(c, b, base.ptr);
done:
	rh_buf_dispose(&base);
	rh_buf_dispose(&title);
	return error;
}

/* rayhist/at?t=TIME: 302 to SESSION@TIME/, 400 on a bad time. */
int
rh_dashboard__at_redirect(rh_dash_ctx *c)
{
	const char *t = rh_dashboard_url_param(c->url, "t");
	const rh_dash_snap *s = c->snap;
	rh_buf loc = RH_BUF_INIT;
	int64_t ns;
	int error;

	while (t && (*t == ' ' || *t == '\t'))
		t++;
	if (!t || !*t)
		return rh_dashboard__fail(
			c, 400,
			"t: missing (want RFC 3339, "
			"e.g. 2025-11-12T22:15:00Z, or +SECONDS "
			"since the session start)");
	if (rh_playback_time_parse(&ns, t,
	                           s->has_info && s->info.start_ms > 0 ?
	                                   s->info.start_ms * 1000000 :
	                                   RH_TIME_NONE) < 0) {
		error = rh_dashboard__fail(
			c, 400,
			"t: bad time \"%.80s\" (want "
			"RFC 3339, e.g. 2025-11-12T22:15:00Z, "
			"or +SECONDS since the session start): %s",
			t, rh_error_last());
		rh_error_clear();
		return error;
	}
	if ((error = tl_base(&loc, c)) < 0 ||
	    (error = rh_buf_puts(&loc, "@")) < 0 ||
	    (error = rh_dashboard__urlenc(&loc, t)) < 0 ||
	    (error = rh_buf_puts(&loc, "/")) < 0 ||
	    (error = rh_dashboard__header(c->resp, "Location", "%s", loc.ptr)) <
	            0)
		goto done;
	rh_buf_clear(&c->resp->body);
	error = rh_buf_puts(&c->resp->body,
	                    "<!DOCTYPE html><title>Redirect</title>"
	                    "<p>Moved to <a href=\"");
	error = error ? error : rh_dashboard__html(&c->resp->body, loc.ptr);
	error = error ? error :
	                rh_buf_puts(&c->resp->body, "\">here</a>.</p>\n");
	error = error ? error :
	                rh_dashboard__reply(c, 302, "text/html; charset=utf-8");
done:
	rh_buf_dispose(&loc);
	return error;
}
