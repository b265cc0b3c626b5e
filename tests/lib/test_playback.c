/* State playback (rh_query_options.at_ns): a session made by
 * tests/gen/raygen.py is ingested as in test_truth.c, and at several
 * instants the task, actor, node and job rows and the task and actor
 * summaries of the index are compared with what the test derives itself
 * from the generator's data: tasks from truth.json's per-attempt "events",
 * nodes and jobs from their start and end times and final states, actors
 * from the export actor events the generator wrote (second precision: an
 * actor with an event in the second before an instant is not compared). */
/* strptime, timegm: _DEFAULT_SOURCE (Makefile.am) */
#include "evtest.h"

#include <dirent.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <time.h>

static char tmp[256];
static rh_store *st;
static rh_index *ix;
static json_object *truth, *actor_events;
static char prefix[512];

/* base64 to lower-case hex (export events' ids) */
static void
b64_hex(char *out, size_t cap, const char *in)
{
	static const char *al =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (; *in && *in != '='; in++) {
		const char *p = strchr(al, *in);

		acc = (acc << 6) | (unsigned)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 3 < cap)
				o += (size_t)snprintf(out + o, cap - o, "%02x",
				                      (acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
}

/* Every EXPORT_ACTOR line of the head node: [{id, state, s}] */
static void
load_actor_events(const char *sdir)
{
	char path[1400], line[65536];
	FILE *f;

	snprintf(path, sizeof(path),
	         "%s/logs/export_events/event_EXPORT_ACTOR.log", sdir);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		json_object *e = json_tokener_parse(line), *d, *v, *o;
		char hex[128];

		cr_assert_not_null(e);
		json_object_object_get_ex(e, "event_data", &d);
		json_object_object_get_ex(d, "actor_id", &v);
		b64_hex(hex, sizeof(hex), json_object_get_string(v));
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(hex));
		json_object_object_get_ex(d, "state", &v);
		json_object_object_add(o, "state", json_object_get(v));
		json_object_object_get_ex(e, "timestamp", &v);
		json_object_object_add(o, "s", json_object_get(v));
		json_object_array_add(actor_events, o);
		json_object_put(e);
	}
	fclose(f);
}

static void
setup(void)
{
	char cmd[1024], url[512], path[600];
	const char *top = getenv("top_srcdir");
	json_object *sess, *nodes, *name;
	size_t i;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-playback-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(
		cmd, sizeof(cmd),
		"python3 '%s/tests/gen/raygen.py' session --out '%s/gen' --seed 1 2>/dev/null",
		top ? top : RH_TOP_SRCDIR, tmp);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/gen/truth.json", tmp);
	cr_assert_not_null(truth = json_object_from_file(path));
	actor_events = json_object_new_array();
	snprintf(url, sizeof(url), "%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0);
	json_object_object_get_ex(truth, "session", &sess);
	json_object_object_get_ex(sess, "name", &name);
	snprintf(prefix, sizeof(prefix), "default/gen/%s/",
	         json_object_get_string(name));
	snprintf(path, sizeof(path), "%s/gen/aggregator", tmp);
	ev_ingest_dir(st, prefix, path);
	json_object_object_get_ex(truth, "node_dirs", &nodes);
	for (i = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i), *id, *sd;
		char sdir[1200];

		json_object_object_get_ex(n, "node_id", &id);
		json_object_object_get_ex(n, "session_dir", &sd);
		snprintf(sdir, sizeof(sdir), "%s/gen/%s", tmp,
		         json_object_get_string(sd));
		ev_put_dir(st, prefix, json_object_get_string(id), sdir,
		           "logs/events");
		ev_put_dir(st, prefix, json_object_get_string(id), sdir,
		           "logs/export_events");
		load_actor_events(sdir);
	}
	cr_assert_eq(rh_index_open_session(&ix, st, prefix, NULL), 0, "%s",
	             rh_error_last());
}

static void
teardown(void)
{
	char cmd[300];

	rh_index_close(ix);
	json_object_put(truth);
	json_object_put(actor_events);
	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(playback, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- truth */

static json_object *
state_list(const char *what)
{
	json_object *s, *l;

	json_object_object_get_ex(truth, "state", &s);
	json_object_object_get_ex(s, what, &l);
	return l;
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
	               json_object_get_string(v) :
	               NULL;
}

static double
dbl(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ?
	               json_object_get_double(v) :
	               0;
}

/* A task attempt's state at t_ms from its events (NULL: it did not exist
 * yet): the last event at or before t_ms, in time order. */
static const char *
truth_task_at(json_object *task, double t_ms)
{
	json_object *evs;
	const char *state = NULL;
	double best = -1;
	size_t i;

	if (!json_object_object_get_ex(task, "events", &evs) || !evs)
		return NULL;
	for (i = 0; i < json_object_array_length(evs); i++) {
		json_object *e = json_object_array_get_idx(evs, i);
		double at = dbl(e, "created_ms");

		if (at <= t_ms && at >= best) {
			best = at;
			state = str(e, "state");
		}
	}
	return state;
}

/* A node's or job's state at t_ms from its times and final state. */
static const char *
truth_node_at(json_object *n, double t_ms)
{
	double end = dbl(n, "end_time_ms");

	if (dbl(n, "start_time_ms") > t_ms)
		return NULL;
	return end > 0 && end <= t_ms ? "DEAD" : "ALIVE";
}

static const char *
truth_job_at(json_object *j, double t_ms)
{
	double end = dbl(j, "end_time");

	if (dbl(j, "start_time") > t_ms)
		return NULL;
	return end > 0 && end <= t_ms ? str(j, "status") : "RUNNING";
}

/* An actor's state at t_ms from the export events; "?" if an event fell in
 * the second before (its exact time is not in the export event). */
static const char *
truth_actor_at(const char *id, double t_ms, int *restarts)
{
	const char *state = NULL;
	size_t i;

	*restarts = 0;
	for (i = 0; i < json_object_array_length(actor_events); i++) {
		json_object *e = json_object_array_get_idx(actor_events, i);
		double s = dbl(e, "s") * 1000;

		if (strcmp(str(e, "id"), id))
			continue;
		if (s <= t_ms && t_ms < s + 1000)
			return "?";
		if (s > t_ms)
			continue;
		state = str(e, "state");
		*restarts += !strcmp(state, "RESTARTING");
	}
	/* the states before ALIVE are not in Ray's actor table rows */
	return state;
}

/* ---------------------------------------------------------------- index */

static int64_t
ns(double t_ms)
{
	/* half a millisecond past: truth times are whole milliseconds */
	return (int64_t)t_ms * 1000000 + 500000;
}

/* Rows of an entity at t as "id=STATE" lines sorted, and num_filtered. */
static char *
index_rows(rh_entity what, double t_ms, const rh_filter *f, uint64_t *nf)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query_counts c;
	rh_query *q;
	const rh_row *r;
	rh_buf b = RH_BUF_INIT;
	int e;

	o.limit = 0;
	o.at_ns = ns(t_ms);
	o.filters = f;
	o.nfilters = f ? 1 : 0;
	cr_assert_eq(rh_query_open(&q, ix, what, &o), 0, "%s", rh_error_last());
	while ((e = rh_query_next(&r, q)) == 0) {
		switch (what) {
		case RH_ENTITY_TASK:
			rh_buf_printf(&b, "%s/%d=%s\n", r->u.task.task_id,
			              r->u.task.attempt_number,
			              rh_task_state_name(r->u.task.state));
			break;
		case RH_ENTITY_NODE:
			rh_buf_printf(&b, "%s=%s\n", r->u.node.node_id,
			              rh_node_state_name(r->u.node.state));
			break;
		case RH_ENTITY_JOB:
			rh_buf_printf(&b, "%s=%s\n", r->u.job.job_id,
			              rh_job_status_name(r->u.job.status));
			break;
		default: break;
		}
	}
	cr_assert_eq(e, RH_ITEROVER);
	rh_query_counts_get(&c, q);
	*nf = c.num_filtered;
	rh_query_close(q);
	rh_buf_puts(&b, "");
	return b.ptr;
}

static int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of s in place (a copy is returned). */
static char *
sorted(const char *s)
{
	char *dup = strdup(s ? s : ""), *p, *save = NULL, *lines[4096];
	size_t n = 0, i;
	rh_buf b = RH_BUF_INIT;

	for (p = strtok_r(dup, "\n", &save); p && n < 4096;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	qsort(lines, n, sizeof(*lines), cmp_lines);
	for (i = 0; i < n; i++)
		rh_buf_printf(&b, "%s\n", lines[i]);
	rh_buf_puts(&b, "");
	free(dup);
	return b.ptr;
}

static void
expect_same(const char *what, double t_ms, char *got, rh_buf *want)
{
	char *g = sorted(got), *w = sorted(want->ptr);

	cr_expect_str_eq(g, w, "%s at %.0f ms:\ngot\n%s\nwant\n%s", what, t_ms,
	                 g, w);
	free(g);
	free(w);
	rh_buf_dispose(want);
	free(got);
}

/* Tasks, RUNNING count, nodes, jobs, actors and both summaries at t_ms. */
static void
check_at(double t_ms)
{
	json_object *l = state_list("tasks");
	rh_filter running = { "state", "=", "RUNNING" };
	rh_buf want = RH_BUF_INIT, js = RH_BUF_INIT;
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	uint64_t nf, nrun = 0, ntasks = 0;
	json_object *sum, *groups;
	size_t i;
	char *got;

	for (i = 0; i < json_object_array_length(l); i++) {
		json_object *t = json_object_array_get_idx(l, i);
		const char *s = truth_task_at(t, t_ms);

		if (!s || !strcmp(str(t, "type"), "DRIVER_TASK"))
			continue;
		rh_buf_printf(&want, "%s/%d=%s\n", str(t, "task_id"),
		              (int)dbl(t, "attempt_number"), s);
		nrun += !strcmp(s, "RUNNING");
		ntasks++;
	}
	got = index_rows(RH_ENTITY_TASK, t_ms, NULL, &nf);
	cr_expect_eq(nf, ntasks, "tasks at %.0f: %llu, want %llu", t_ms,
	             (unsigned long long)nf, (unsigned long long)ntasks);
	expect_same("tasks", t_ms, got, &want);
	free(index_rows(RH_ENTITY_TASK, t_ms, &running, &nf));
	cr_expect_eq(nf, nrun, "RUNNING at %.0f: %llu, want %llu", t_ms,
	             (unsigned long long)nf, (unsigned long long)nrun);

	l = state_list("nodes");
	for (i = 0; i < json_object_array_length(l); i++) {
		json_object *n = json_object_array_get_idx(l, i);
		const char *s = truth_node_at(n, t_ms);

		if (s)
			rh_buf_printf(&want, "%s=%s\n", str(n, "node_id"), s);
	}
	expect_same("nodes", t_ms, index_rows(RH_ENTITY_NODE, t_ms, NULL, &nf),
	            &want);

	l = state_list("jobs");
	for (i = 0; i < json_object_array_length(l); i++) {
		json_object *j = json_object_array_get_idx(l, i);
		const char *s = truth_job_at(j, t_ms);

		if (s)
			rh_buf_printf(&want, "%s=%s\n", str(j, "job_id"), s);
	}
	expect_same("jobs", t_ms, index_rows(RH_ENTITY_JOB, t_ms, NULL, &nf),
	            &want);

	/* actors: each compared by id, unless the truth is unsure */
	l = state_list("actors");
	for (i = 0; i < json_object_array_length(l); i++) {
		rh_filter f = { "actor_id", "=",
			        str(json_object_array_get_idx(l, i),
			            "actor_id") };
		rh_query_options ao = RH_QUERY_OPTIONS_INIT;
		int restarts, e;
		const char *s = truth_actor_at(f.value, t_ms, &restarts);
		const rh_row *r;
		rh_query *q;

		if (s && !strcmp(s, "?"))
			continue;
		ao.at_ns = ns(t_ms);
		ao.filters = &f;
		ao.nfilters = 1;
		cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_ACTOR, &ao), 0);
		e = rh_query_next(&r, q);
		if (!s) {
			cr_expect_eq(e, RH_ITEROVER, "actor %s at %.0f exists",
			             f.value, t_ms);
		} else {
			cr_expect_eq(e, 0, "actor %s at %.0f missing", f.value,
			             t_ms);
			if (!e) {
				cr_expect_str_eq(
					rh_actor_state_name(r->u.actor.state),
					s, "actor %s at %.0f", f.value, t_ms);
				cr_expect_eq(r->u.actor.num_restarts, restarts);
			}
		}
		rh_query_close(q);
	}

	/* the task summary: its totals as of t */
	o.at_ns = ns(t_ms);
	cr_assert_eq(rh_dashboard_summary_json(&js, NULL, ix,
	                                       RH_SUMMARY_TASKS_BY_FUNC, &o),
	             0);
	cr_assert_not_null(sum = json_tokener_parse(js.ptr));
	cr_expect_eq((uint64_t)(dbl(sum, "total_tasks") +
	                        dbl(sum, "total_actor_tasks") +
	                        dbl(sum, "total_actor_scheduled")),
	             ntasks, "summary at %.0f: %s", t_ms, js.ptr);
	json_object_object_get_ex(sum, "summary", &groups);
	{
		uint64_t nsum = 0;

		json_object_object_foreach(groups, k, g)
		{
			json_object *sc;

			(void)k;
			json_object_object_get_ex(g, "state_counts", &sc);
			nsum += (uint64_t)dbl(sc, "RUNNING");
		}
		cr_expect_eq(nsum, nrun, "summary RUNNING at %.0f: %s", t_ms,
		             js.ptr);
	}
	json_object_put(sum);
	rh_buf_dispose(&js);
}

/* ---------------------------------------------------------------- tests */

static double
session_ms(const char *key)
{
	json_object *s, *v;
	struct tm tm = { 0 };
	double sec = 0;

	json_object_object_get_ex(truth, "session", &s);
	json_object_object_get_ex(s, key, &v);
	cr_assert_eq(sscanf(json_object_get_string(v), "%d-%d-%dT%d:%d:%lf",
	                    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	                    &tm.tm_min, &sec),
	             6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ((double)timegm(&tm) + sec) * 1000;
}

/* The first attempt that ran and failed: [first event, RUNNING, FAILED]. */
static json_object *
failed_task(double *created, double *running, double *failed)
{
	json_object *l = state_list("tasks"), *evs;
	size_t i, k;

	for (i = 0; i < json_object_array_length(l); i++) {
		json_object *t = json_object_array_get_idx(l, i);

		*created = *running = *failed = 0;
		if (strcmp(str(t, "state"), "FAILED") ||
		    !json_object_object_get_ex(t, "events", &evs))
			continue;
		for (k = 0; k < json_object_array_length(evs); k++) {
			json_object *e = json_object_array_get_idx(evs, k);
			double at = dbl(e, "created_ms");

			if (!k)
				*created = at;
			if (!strcmp(str(e, "state"), "RUNNING"))
				*running = at;
			if (!strcmp(str(e, "state"), "FAILED"))
				*failed = at;
		}
		if (*running && *failed > *running + 2)
			return t;
	}
	return NULL;
}

static const char *
task_state_at(json_object *t, double t_ms)
{
	static char state[64];
	rh_filter f = { "task_id", "=", str(t, "task_id") };
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	const rh_row *r;
	rh_query *q;

	o.at_ns = ns(t_ms);
	o.filters = &f;
	o.nfilters = 1;
	strcpy(state, "absent");
	cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_TASK, &o), 0);
	while (rh_query_next(&r, q) == 0)
		if (r->u.task.attempt_number == (int)dbl(t, "attempt_number")) {
			snprintf(state, sizeof(state), "%s",
			         rh_task_state_name(r->u.task.state));
			if (r->u.task.state != RH_TASK_FAILED)
				cr_expect_eq(r->u.task.end_time_ns,
				             RH_TIME_NONE);
			else
				cr_expect_str_eq(r->u.task.error_type,
				                 str(t, "error_type"));
		}
	rh_query_close(q);
	return state;
}

Test(playback, task_before_while_and_after_it_failed)
{
	double created = 0, running = 0, failed = 0;
	json_object *t = failed_task(&created, &running, &failed);

	cr_assert_not_null(t, "no failed task that ran");
	cr_expect_str_eq(task_state_at(t, created - 1), "absent");
	cr_expect_str_eq(task_state_at(t, running + 1), "RUNNING");
	cr_expect_str_eq(task_state_at(t, failed + 1), "FAILED");
	check_at(created - 1);
	check_at(running + 1);
	check_at(failed + 1);
}

Test(playback, node_before_and_after_it_died)
{
	double died = session_ms("node_died");
	json_object *l = state_list("nodes");
	uint64_t nf;
	size_t i;
	int seen = 0;

	for (i = 0; i < json_object_array_length(l); i++) {
		json_object *n = json_object_array_get_idx(l, i);
		double end = dbl(n, "end_time_ms");
		char *before, *after, line[200];

		if (end <= 0)
			continue;
		seen = 1;
		before = index_rows(RH_ENTITY_NODE, end - 1000, NULL, &nf);
		after = index_rows(RH_ENTITY_NODE, end + 1000, NULL, &nf);
		snprintf(line, sizeof(line), "%s=ALIVE\n", str(n, "node_id"));
		cr_expect_not_null(strstr(before, line), "%s", before);
		snprintf(line, sizeof(line), "%s=DEAD\n", str(n, "node_id"));
		cr_expect_not_null(strstr(after, line), "%s", after);
		free(before);
		free(after);
	}
	cr_assert(seen, "no node died");
	check_at(died - 1000);
	check_at(died + 1000);
}

Test(playback, actor_while_restarting)
{
	size_t i, k, n = json_object_array_length(actor_events);
	int seen = 0;

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(actor_events, i);
		double s, next = 0, t;
		rh_filter f = { "actor_id", "=", str(e, "id") };
		rh_query_options o = RH_QUERY_OPTIONS_INIT;
		const rh_row *r;
		rh_query *q;

		if (strcmp(str(e, "state"), "RESTARTING"))
			continue;
		s = dbl(e, "s") * 1000;
		for (k = i + 1; k < n && !next; k++) {
			json_object *x =
				json_object_array_get_idx(actor_events, k);

			if (!strcmp(str(x, "id"), f.value))
				next = dbl(x, "s") * 1000;
		}
		if (next < s + 2000)
			continue;
		t = s + 1000 + (next - s - 1000) / 2;
		o.at_ns = ns(t);
		o.filters = &f;
		o.nfilters = 1;
		cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_ACTOR, &o), 0);
		cr_assert_eq(rh_query_next(&r, q), 0);
		cr_expect_str_eq(rh_actor_state_name(r->u.actor.state),
		                 "RESTARTING");
		cr_expect_geq(r->u.actor.num_restarts, 1);
		cr_expect_eq(r->u.actor.end_time_ns, RH_TIME_NONE);
		cr_expect_null(r->u.actor.death_cause);
		rh_query_close(q);
		check_at(t);
		seen = 1;
	}
	cr_assert(seen, "no actor restart of two seconds or more");
}

Test(playback, before_start_empty_after_end_final)
{
	double start = session_ms("start"), end = session_ms("cluster_died");
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query_counts c, fc;
	rh_buf a = RH_BUF_INIT, b = RH_BUF_INIT;
	int what;

	for (what = 0; what < RH_ENTITY_COUNT; what++) {
		o.at_ns = ns(start - 60000);
		o.detail = 1;
		cr_assert_eq(
			rh_dashboard_list_json(&a, &c, ix, (rh_entity)what, &o),
			0);
		cr_expect_str_eq(a.ptr, "[]", "%s before start",
		                 rh_entity_name((rh_entity)what));
		cr_expect_eq(c.total, 0);
		cr_expect_eq(c.num_filtered, 0);
		rh_buf_dispose(&a);

		/* far after the end: byte-identical to the final rows */
		o.at_ns = ns(end + 3600000);
		cr_assert_eq(
			rh_dashboard_list_json(&a, &c, ix, (rh_entity)what, &o),
			0);
		o.at_ns = RH_TIME_NONE;
		cr_assert_eq(rh_dashboard_list_json(&b, &fc, ix,
		                                    (rh_entity)what, &o),
		             0);
		cr_expect_str_eq(a.ptr, b.ptr, "%s after end",
		                 rh_entity_name((rh_entity)what));
		cr_expect_eq(c.num_filtered, fc.num_filtered);
		cr_expect_eq(c.total, fc.total);
		rh_buf_dispose(&a);
		rh_buf_dispose(&b);
	}
	check_at(start - 60000);
	check_at(end + 3600000);
	cr_assert_eq(rh_dashboard_summary_json(&a, NULL, ix,
	                                       RH_SUMMARY_ACTORS_BY_CLASS, &o),
	             0);
	o.at_ns = ns(end + 3600000);
	cr_assert_eq(rh_dashboard_summary_json(&b, NULL, ix,
	                                       RH_SUMMARY_ACTORS_BY_CLASS, &o),
	             0);
	cr_expect_str_eq(a.ptr, b.ptr);
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
}

Test(playback, page_at_instant_matches_filtered_full_list)
{
	double mid = (session_ms("start") + session_ms("cluster_died")) / 2;
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query_counts c;
	rh_buf all = RH_BUF_INIT, page = RH_BUF_INIT;
	json_object *ja, *jp;
	size_t i;

	o.at_ns = ns(mid);
	o.limit = 0;
	cr_assert_eq(rh_dashboard_list_json(&all, &c, ix, RH_ENTITY_TASK, &o),
	             0);
	o.limit = 5;
	o.offset = 3;
	cr_assert_eq(
		rh_dashboard_list_json(&page, NULL, ix, RH_ENTITY_TASK, &o), 0);
	ja = json_tokener_parse(all.ptr);
	jp = json_tokener_parse(page.ptr);
	cr_assert_geq(json_object_array_length(ja), 8);
	for (i = 0; i < json_object_array_length(jp); i++)
		cr_expect_str_eq(json_object_to_json_string(
					 json_object_array_get_idx(jp, i)),
		                 json_object_to_json_string(
					 json_object_array_get_idx(ja, i + 3)));
	json_object_put(ja);
	json_object_put(jp);
	rh_buf_dispose(&all);
	rh_buf_dispose(&page);
}
