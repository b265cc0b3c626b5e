/* End to end: a session made by tests/gen/raygen.py (aggregator batches,
 * export and legacy event files on every node) is ingested into a store,
 * indexed with rh_index_refresh(), and every task, actor, job, node and
 * placement group row of the index is compared with the generator's
 * truth.json - what Ray's state API would answer. Fields the generator marks
 * approximate are compared loosely or not at all. */
#include "evtest.h"

#include <dirent.h>
#include <json-c/json.h>
#include <sys/stat.h>

static char tmp[256];
static rh_store *st;
static json_object *truth;
static char prefix[512];
static rh_buf problems;
static int nproblems;

static void
problem(const char *fmt, ...)
{
	va_list ap;

	if (nproblems++ > 60)
		return;
	va_start(ap, fmt);
	rh_buf_vprintf(&problems, fmt, ap);
	va_end(ap);
	rh_buf_puts(&problems, "\n");
}

static const char *gen_args;
static int gen_pg_events;

static void
setup(void)
{
	char cmd[1024], url[512], path[600];
	const char *top = getenv("top_srcdir");
	json_object *sess, *nodes, *name;
	size_t i;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-truth-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(
		cmd, sizeof(cmd),
		"python3 '%s/tests/gen/raygen.py' session --out '%s/gen' %s 2>/dev/null",
		top ? top : RH_TOP_SRCDIR, tmp, gen_args);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/gen/truth.json", tmp);
	cr_assert_not_null(truth = json_object_from_file(path));
	snprintf(url, sizeof(url), "%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0);
	json_object_object_get_ex(truth, "session", &sess);
	json_object_object_get_ex(sess, "name", &name);
	snprintf(prefix, sizeof(prefix), "default/gen/%s/",
	         json_object_get_string(name));

	/* the aggregator's POST bodies */
	snprintf(path, sizeof(path), "%s/gen/aggregator", tmp);
	ev_ingest_dir(st, prefix, path);
	/* each node's captured event files */
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
	}
}

static void
teardown(void)
{
	char cmd[300];

	json_object_put(truth);
	rh_store_close(st);
	rh_buf_dispose(&problems);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

/* ---------------------------------------------------------------- compare */

static int
num(json_object *v, double *d)
{
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		*d = json_object_get_double(v);
		return 1;
	}
	return 0;
}

static int
same(json_object *a, json_object *b)
{
	double x, y;

	if (!a || !b)
		return !a && !b;
	if (num(a, &x) && num(b, &y)) {
		double d = x > y ? x - y : y - x, m = x < 0 ? -x : x;

		return d <= 1e-6 * (m > 1 ? m : 1);
	}
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	if (json_object_is_type(a, json_type_object)) {
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, v)
		{
			json_object *w;

			if (!json_object_object_get_ex(b, k, &w) || !same(v, w))
				return 0;
		}
		return 1;
	}
	if (json_object_is_type(a, json_type_array)) {
		size_t i, n = json_object_array_length(a);

		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!same(json_object_array_get_idx(a, i),
			          json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	}
	return !strcmp(json_object_get_string(a), json_object_get_string(b));
}

static int
skipped(const char *const *skip, const char *k)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, k))
			return 1;
	return 0;
}

/* truth's keys of `t` must be in `o` with the same values (o may have more) */
static int
subset(json_object *t, json_object *o)
{
	if (!json_object_is_type(t, json_type_object) ||
	    !json_object_is_type(o, json_type_object))
		return same(t, o);
	json_object_object_foreach(t, k, v)
	{
		json_object *w;

		if (!json_object_object_get_ex(o, k, &w) || !subset(v, w))
			return 0;
	}
	return 1;
}

typedef void (*keyfn)(char *out, size_t n, json_object *row);

static const char *
field(json_object *row, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(row, k, &v) && v ?
	               json_object_get_string(v) :
	               "";
}

static void
task_key(char *out, size_t n, json_object *r)
{
	snprintf(out, n, "%s/%s", field(r, "task_id"),
	         field(r, "attempt_number"));
}

static void
actor_key(char *out, size_t n, json_object *r)
{
	snprintf(out, n, "%s", field(r, "actor_id"));
}

static void
job_key(char *out, size_t n, json_object *r)
{
	snprintf(out, n, "%s|%s", field(r, "submission_id"),
	         field(r, "job_id"));
}

static void
node_key(char *out, size_t n, json_object *r)
{
	snprintf(out, n, "%s", field(r, "node_id"));
}

static void
pg_key(char *out, size_t n, json_object *r)
{
	snprintf(out, n, "%s", field(r, "placement_group_id"));
}

static void
compare_rows(rh_index *ix, const char *what, rh_entity ent, keyfn key,
             const char *const *skip, const char *const *loose)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	json_object *state, *rows, *ours;
	rh_buf b = RH_BUF_INIT;
	size_t i, j, n, m;

	json_object_object_get_ex(truth, "state", &state);
	json_object_object_get_ex(state, what, &rows);
	o.limit = 0;
	o.detail = 1;
	o.exclude_driver = 0;
	cr_assert_eq(rh_dashboard_list_json(&b, NULL, ix, ent, &o), 0, "%s",
	             rh_error_last());
	cr_assert_not_null(ours = json_tokener_parse(b.ptr), "%s", b.ptr);
	n = json_object_array_length(rows);
	m = json_object_array_length(ours);
	if (n != m)
		problem("%s: truth has %zu rows, the index %zu", what, n, m);
	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(rows, i),
			    *mine = NULL;
		char kt[512], ko[512];

		key(kt, sizeof(kt), t);
		for (j = 0; j < m && !mine; j++) {
			key(ko, sizeof(ko), json_object_array_get_idx(ours, j));
			if (!strcmp(kt, ko))
				mine = json_object_array_get_idx(ours, j);
		}
		if (!mine) {
			problem("%s %s: not in the index", what, kt);
			continue;
		}
		json_object_object_foreach(t, k, v)
		{
			json_object *w = NULL;

			if (skipped(skip, k))
				continue;
			json_object_object_get_ex(mine, k, &w);
			if (skipped(loose, k) ? subset(v, w) : same(v, w))
				continue;
			problem("%s %s .%s: truth %.300s, index %.300s", what,
			        kt, k, json_object_to_json_string(v),
			        w ? json_object_to_json_string(w) : "(none)");
		}
	}
	json_object_put(ours);
	rh_buf_dispose(&b);
}

static void
check_session(void)
{
	static const char *const task_skip[] = { "runtime_env_info",
		                                 "profiling_data", NULL };
	static const char *const actor_loose[] = { "death_cause", NULL };
	static const char *const pg_skip[] = { "bundles", "stats", NULL };
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_event_stats stats;
	json_object *sess, *ver;
	rh_index *ix;
	int rebuilt;

	json_object_object_get_ex(truth, "session", &sess);
	json_object_object_get_ex(sess, "ray_version", &ver);
	ro.ray_version = json_object_get_string(ver);
	ro.stats = &stats;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(stats.malformed, 0, "%s", stats.first_error);
	cr_assert_eq(rh_index_open_session(&ix, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	compare_rows(ix, "tasks", RH_ENTITY_TASK, task_key, task_skip, NULL);
	compare_rows(ix, "actors", RH_ENTITY_ACTOR, actor_key, NULL,
	             actor_loose);
	compare_rows(ix, "jobs", RH_ENTITY_JOB, job_key, NULL, NULL);
	compare_rows(ix, "nodes", RH_ENTITY_NODE, node_key, NULL, NULL);
	/* without placement group events the index knows no groups (the state
	 * API would, from the GCS) */
	if (gen_pg_events)
		compare_rows(ix, "placement_groups", RH_ENTITY_PLACEMENT_GROUP,
		             pg_key, pg_skip, NULL);
	rh_index_close(ix);
	cr_assert_eq(nproblems, 0, "%d differences from truth.json:\n%s",
	             nproblems, problems.ptr ? problems.ptr : "");
}

static void
setup_default(void)
{
	gen_args = "--seed 3";
	gen_pg_events = 1;
	setup();
}

static void
setup_snake_old(void)
{
	/* snake_case, JSON lines, Ray 2.35: the old TaskStatus numbering */
	gen_args = "--seed 7 --snake-case --jsonl --ray-version 2.35.0";
	gen_pg_events = 1;
	setup();
}

static void
setup_more(void)
{
	gen_args =
		"--seed 11 --nodes 4 --jobs 6 --tasks 120 --actors 5 --no-pg-events";
	setup();
}

Test(truth, default_session, .init = setup_default, .fini = teardown)
{
	check_session();
}

Test(truth, snake_case_json_lines_old_numbering, .init = setup_snake_old,
     .fini = teardown)
{
	check_session();
}

Test(truth, bigger_session_without_pg_events, .init = setup_more,
     .fini = teardown)
{
	check_session();
}
