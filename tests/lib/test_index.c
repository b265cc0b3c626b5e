/* Tests of lib/index_*.c: the index file, its checks, queries, paging and
 * the session refresh. */
#include "evtest.h"
#include "index_internal.h"

#include <pthread.h>

static rh_buf idx;
static rh_index *ix;

static void
build(int ntasks)
{
	rh_buf ev = RH_BUF_INIT;

	ev_session(&ev, ntasks);
	rh_buf_clear(&idx);
	ev_index(&idx, ev.ptr, NULL);
	rh_buf_dispose(&ev);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0, "%s",
	             rh_error_last());
}

static void
teardown(void)
{
	rh_index_close(ix);
	ix = NULL;
	rh_buf_dispose(&idx);
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

/* Query with filters "k op v" triples (NULL-terminated). */
static int
q(char **out, rh_query_counts *c, rh_entity what, uint64_t limit,
  uint64_t offset, ...)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f[8];
	rh_buf b = RH_BUF_INIT;
	va_list ap;
	const char *k;
	size_t n = 0;
	int rc;

	va_start(ap, offset);
	while ((k = va_arg(ap, const char *)) && n < 8) {
		f[n].key = k;
		f[n].op = va_arg(ap, const char *);
		f[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	o.filters = f;
	o.nfilters = n;
	o.limit = limit;
	o.offset = offset;
	rc = rh_dashboard_list_json(&b, c, ix, what, &o);
	*out = b.ptr ? b.ptr : strdup("");
	return rc;
}

TestSuite(index, .fini = teardown);

Test(index, filters_by_indexed_columns_with_exact_counts)
{
	rh_query_counts c;
	char *out;

	build(60);
	/* job 1 = i % 3 == 0: 20 tasks + retries of i in {3, 24, 45} */
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "job_id", "=",
	               "01000000", NULL),
	             0);
	cr_assert_eq(c.total, 23, "Ray's GCS filters by job first: %llu",
	             (unsigned long long)c.total);
	cr_assert_eq(c.num_filtered, 23, "%llu",
	             (unsigned long long)c.num_filtered);
	cr_assert_eq(count_of(out, "\"task_id\""), 23);
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "job_id", "=",
	               "01000000", "state", "=", "failed", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 3);
	cr_assert_eq(count_of(out, "\"state\":\"FAILED\""), 3);
	free(out);
	/* case-insensitive names; != ; a residual filter */
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "name", "=", "WORK",
	               "job_id", "!=", "01000000", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 20 + 3, "%llu",
	             (unsigned long long)c.num_filtered);
	cr_assert(!has(out, "\"job_id\":\"01000000\""));
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "worker_pid", "=",
	               "1000", "attempt_number", "=", "1", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 4); /* retries of i = 10, 24, 38, 52 */
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "state", "=",
	               "NO_SUCH_STATE", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 0);
	cr_assert_str_eq(out, "[]");
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "job_id", "=",
	               "ffffffff", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 0);
	free(out);
}

/* Ray's "total" of tasks counts what its GCS returned: the tasks passing
 * the filters GCS applies itself (task_id, job_id, actor_id, name, state),
 * while num_filtered also applies the dashboard's own (the rest). */
Test(index, task_total_counts_what_ray_gcs_filters)
{
	rh_query_counts c;
	char *out;

	build(60);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 1, 0, "job_id", "=",
	               "01000000", "state", "=", "failed", NULL),
	             0);
	cr_assert_eq(c.total, 3);
	cr_assert_eq(c.num_filtered, 3);
	free(out);
	/* a column GCS does not filter by: total is the job's tasks */
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 1, 0, "job_id", "=",
	               "01000000", "attempt_number", "=", "1", NULL),
	             0);
	cr_assert_eq(c.total, 23, "%llu", (unsigned long long)c.total);
	cr_assert_eq(c.num_filtered, 3);
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 1, 0, "job_id",
	               "!=", "01000000", NULL),
	             0);
	cr_assert_eq(c.total, 69 - 23);
	free(out);
	/* only dashboard-side filters: total is every task */
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 1, 0, "attempt_number", "=",
	               "1", NULL),
	             0);
	cr_assert_eq(c.total, 69);
	free(out);
	/* other entities keep the whole count */
	cr_assert_eq(q(&out, &c, RH_ENTITY_ACTOR, 1, 0, "job_id", "=",
	               "01000000", NULL),
	             0);
	cr_assert_eq(c.total, rh_index_count(ix, RH_ENTITY_ACTOR));
	free(out);
}

Test(index, pages_follow_row_order)
{
	rh_query_counts c;
	char *all, *p1, *p2;

	build(60);
	cr_assert_eq(q(&all, &c, RH_ENTITY_TASK, 0, 0, "state", "=", "FINISHED",
	               NULL),
	             0);
	cr_assert_eq(q(&p1, &c, RH_ENTITY_TASK, 10, 0, "state", "=", "FINISHED",
	               NULL),
	             0);
	cr_assert_eq(c.returned, 10);
	cr_assert_eq(c.num_filtered, 60);
	cr_assert_eq(q(&p2, &c, RH_ENTITY_TASK, 10, 10, "state", "=",
	               "FINISHED", NULL),
	             0);
	cr_assert_eq(count_of(p2, "\"task_id\""), 10);
	/* page 1 + page 2 is the start of the whole list */
	p1[strlen(p1) - 1] = ',';
	cr_assert(strncmp(all, p1, strlen(p1)) == 0);
	cr_assert(strncmp(all + strlen(p1), p2 + 1, strlen(p2) - 2) == 0);
	free(all);
	free(p1);
	free(p2);
	cr_assert_eq(q(&p1, &c, RH_ENTITY_TASK, 10, 1000, NULL), 0);
	cr_assert_str_eq(p1, "[]");
	free(p1);
}

Test(index, bad_filters_are_refused_with_a_message)
{
	rh_query_counts c;
	char *out;

	build(5);
	cr_assert_eq(
		q(&out, &c, RH_ENTITY_TASK, 0, 0, "colour", "=", "red", NULL),
		RH_EINVAL);
	cr_assert(has(rh_error_last(), "colour"), "%s", rh_error_last());
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "name", ">", "a", NULL),
	             RH_EINVAL);
	cr_assert(has(rh_error_last(), ">"), "%s", rh_error_last());
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_TASK, 0, 0, "worker_pid", "=", "x1",
	               NULL),
	             RH_EINVAL);
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_NODE, 0, 0, "is_head_node", "=",
	               "maybe", NULL),
	             RH_EINVAL);
	free(out);
	cr_assert_eq(q(&out, &c, RH_ENTITY_NODE, 0, 0, "is_head_node", "=",
	               "TRUE", NULL),
	             0);
	cr_assert_eq(c.num_filtered, 1);
	free(out);
	cr_assert_eq(
		q(&out, &c, RH_ENTITY_ACTOR, 0, 0, "STATE", "=", "dead", NULL),
		0);
	cr_assert_eq(c.num_filtered, 1);
	free(out);
}

Test(index, rows_have_ray_columns_and_nulls)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf b = RH_BUF_INIT;

	build(3);
	o.limit = 1;
	cr_assert_eq(rh_dashboard_list_json(&b, NULL, ix, RH_ENTITY_TASK, &o),
	             0);
	cr_assert(has(b.ptr, "\"actor_id\":null"), "%s", b.ptr);
	cr_assert(!has(b.ptr, "\"events\""), "%s", b.ptr);
	cr_assert(!has(b.ptr, "\"language\""), "%s", b.ptr);
	rh_buf_clear(&b);
	o.detail = 1;
	cr_assert_eq(rh_dashboard_list_json(&b, NULL, ix, RH_ENTITY_TASK, &o),
	             0);
	cr_assert(has(b.ptr, "\"language\":\"PYTHON\""), "%s", b.ptr);
	cr_assert(has(b.ptr, "\"is_debugger_paused\":null"), "%s", b.ptr);
	rh_buf_dispose(&b);
}

Test(index, typed_rows_and_state_at_an_instant)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query *qy;
	const rh_row *r;
	const rh_task_row *t;

	build(3);
	o.detail = 1;
	cr_assert_eq(rh_query_open(&qy, ix, RH_ENTITY_TASK, &o), 0);
	cr_assert_eq(rh_query_next(&r, qy), 0);
	t = &r->u.task;
	cr_assert_eq(r->entity, RH_ENTITY_TASK);
	cr_assert_eq(t->ntransitions, 5);
	cr_assert_eq(rh_state_at(t->transitions, t->ntransitions,
	                         t->creation_time_ns - 1),
	             -1);
	cr_assert_eq(
		rh_state_at(t->transitions, t->ntransitions, t->start_time_ns),
		RH_TASK_RUNNING);
	cr_assert_eq(rh_state_at(t->transitions, t->ntransitions,
	                         t->end_time_ns + 1),
	             RH_TASK_FINISHED);
	cr_assert_eq(rh_query_next(&r, qy), 0);
	cr_assert_eq(rh_query_next(&r, qy), 0);
	cr_assert_eq(rh_query_next(&r, qy), RH_ITEROVER);
	rh_query_close(qy);
}

Test(index, summaries_by_func_lineage_and_class)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "job_id", "=", "01000000" };
	rh_buf b = RH_BUF_INIT;

	build(12);
	cr_assert_eq(rh_dashboard_summary_json(&b, NULL, ix,
	                                       RH_SUMMARY_TASKS_BY_FUNC, NULL),
	             0);
	cr_assert(
		has(b.ptr,
	            "\"prep\":{\"func_or_class_name\":\"prep\",\"type\":\"NORMAL_TASK\",\"state_counts\":{\"FINISHED\":6,\"FAILED\":1}}"),
		"%s", b.ptr);
	cr_assert(
		has(b.ptr,
	            "\"Work\":{\"func_or_class_name\":\"Work\",\"type\":\"NORMAL_TASK\",\"state_counts\":{\"FINISHED\":6,\"FAILED\":1}}"),
		"%s", b.ptr);
	cr_assert(
		has(b.ptr,
	            "\"total_tasks\":14,\"total_actor_tasks\":0,\"total_actor_scheduled\":0,\"summary_by\":\"func_name\"}"),
		"%s", b.ptr);
	rh_buf_clear(&b);
	o.filters = &f;
	o.nfilters = 1;
	cr_assert_eq(rh_dashboard_summary_json(&b, NULL, ix,
	                                       RH_SUMMARY_TASKS_BY_LINEAGE, &o),
	             0);
	/* by time: prep (00:05) before Work (00:09); a retried task counts
	 * its last attempt, as Ray keys tasks by id */
	cr_assert(
		has(b.ptr,
	            "{\"summary\":[{\"name\":\"prep\",\"key\":\"prep\",\"type\":\"GROUP\",\"timestamp\":1767225605000.0,\"state_counts\":{\"FINISHED\":2}"),
		"%s", b.ptr);
	cr_assert(
		has(b.ptr,
	            "{\"name\":\"Work\",\"key\":\"Work\",\"type\":\"GROUP\",\"timestamp\":1767225609000.0,\"state_counts\":{\"FINISHED\":2}"),
		"%s", b.ptr);
	cr_assert(has(b.ptr, "\"summary_by\":\"lineage\""), "%s", b.ptr);
	rh_buf_clear(&b);
	cr_assert_eq(rh_dashboard_summary_json(
			     &b, NULL, ix, RH_SUMMARY_ACTORS_BY_CLASS, NULL),
	             0);
	cr_assert_str_eq(
		b.ptr,
		"{\"summary\":{\"Counter\":{\"class_name\":\"Counter\",\"state_counts\":{\"DEAD\":1}}},\"total_actors\":1,\"summary_by\":\"class\"}");
	rh_buf_dispose(&b);
}

/* ---------------------------------------------------------------- damage */

static int
query_all(rh_index *x)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf b = RH_BUF_INIT;
	int e, rc = 0;

	o.detail = 1;
	o.limit = 0;
	for (e = 0; e < RH_ENTITY_COUNT && !rc; e++) {
		rc = rh_dashboard_list_json(&b, NULL, x, (rh_entity)e, &o);
		rh_buf_clear(&b);
	}
	if (!rc)
		rc = rh_dashboard_summary_json(
			&b, NULL, x, RH_SUMMARY_TASKS_BY_LINEAGE, NULL);
	rh_buf_dispose(&b);
	return rc;
}

Test(index, any_flipped_byte_or_truncation_is_rh_ecorrupt)
{
	unsigned char *copy;
	size_t i, step;
	rh_index *x;

	build(40);
	copy = malloc(idx.size);
	step = idx.size / 97 + 1;
	for (i = 0; i < idx.size;
	     i += (i < 128 || i > idx.size - 512) ? 1 : step) {
		int rc;

		memcpy(copy, idx.ptr, idx.size);
		copy[i] ^= 0x20;
		rc = rh_index_open_mem(&x, copy, idx.size, NULL);
		if (rc == 0) {
			rc = query_all(x);
			rh_index_close(x);
		}
		cr_assert_eq(rc, RH_ECORRUPT, "byte %zu flipped: %d", i, rc);
		cr_assert(has(rh_error_last(), "index"), "%s", rh_error_last());
	}
	for (i = 0; i < idx.size; i += step) {
		cr_assert_eq(rh_index_open_mem(&x, idx.ptr, i, NULL),
		             RH_ECORRUPT, "%zu bytes", i);
	}
	free(copy);
}

Test(index, another_format_version_is_refused)
{
	unsigned char *copy;
	rh_index *x;

	build(3);
	copy = malloc(idx.size);
	memcpy(copy, idx.ptr, idx.size);
	copy[8] = 0; /* format version 0 */
	cr_assert_eq(rh_index_open_mem(&x, copy, idx.size, NULL), RH_ECORRUPT);
	cr_assert(has(rh_error_last(), "format version 0"), "%s",
	          rh_error_last());
	free(copy);
}

/* ---------------------------------------------------------------- threads */

static void *
reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		rh_query_options o = RH_QUERY_OPTIONS_INIT;
		rh_filter f = { "state", "=", "FINISHED" };
		rh_query_counts c;
		rh_buf b = RH_BUF_INIT;

		o.filters = &f;
		o.nfilters = 1;
		o.offset = (uint64_t)i * 3;
		if (rh_dashboard_list_json(&b, &c, ix, RH_ENTITY_TASK, &o) !=
		            0 ||
		    c.num_filtered != 200) {
			rh_buf_dispose(&b);
			return (void *)1;
		}
		rh_buf_dispose(&b);
	}
	return NULL;
}

Test(index, one_index_serves_many_threads)
{
	rh_index_options opts = RH_INDEX_OPTIONS_INIT;
	pthread_t th[8];
	void *rv;
	int i;

	build(200);
	rh_index_close(ix);
	opts.cache_bytes = 1; /* the minimum: pages are evicted all the time */
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, &opts), 0);
	for (i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, reader, NULL), 0);
	for (i = 0; i < 8; i++) {
		cr_assert_eq(pthread_join(th[i], &rv), 0);
		cr_assert_null(rv);
	}
}

Test(index, a_page_reads_pages_in_proportion_to_the_page)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f[2] = { { "job_id", "=", "02000000" },
		           { "state", "=", "FINISHED" } };
	rh_query_counts c;
	rh_buf b = RH_BUF_INIT;

	build(6000);
	o.filters = f;
	o.nfilters = 2;
	o.limit = 20;
	cr_assert_eq(rh_dashboard_list_json(&b, &c, ix, RH_ENTITY_TASK, &o), 0);
	cr_assert_eq(c.returned, 20);
	cr_assert_eq(c.num_filtered, 2000);
	/* header, strings, a dictionary probe or two, the postings and the 20
	 * rows: far fewer than the index's pages */
	cr_assert_lt(ix->reads, 30, "%llu pages of %llu",
	             (unsigned long long)ix->reads,
	             (unsigned long long)ix->npages);
	cr_assert_gt(ix->npages, 100);
	rh_buf_dispose(&b);
}

/* ---------------------------------------------------------------- sessions */

static char tmpdir[256];
static rh_store *st;

static void
mkstore(void)
{
	char url[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rh-test-index-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(url, sizeof(url), "file://%s/store", tmpdir);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s", rh_error_last());
}

static void
rmstore(void)
{
	char cmd[300];

	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

static int
count_cb(const rh_store_entry *e, void *payload)
{
	(void)e;
	(*(int *)payload)++;
	return 0;
}

struct first_key {
	rh_buf key;
};

static int
first_key_cb(const rh_store_entry *e, void *payload)
{
	struct first_key *fk = payload;

	rh_buf_puts(&fk->key, e->key);
	return 1;
}

/* RayEvent lines to `ray`, export and legacy lines to `other`. */
static void
split_lines(rh_buf *ray, rh_buf *other, const char *p)
{
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		int is_ray = strncmp(p, "{\"eventType\"", 12) == 0;

		rh_buf_put(is_ray ? ray : other, p, n);
		p += n;
	}
}

/* Store `data` as a captured file of node `node` in parts at `cuts`. */
static void
put_parts(const char *prefix, const char *node, const char *path,
          const char *data, const size_t *cuts, size_t ncuts)
{
	size_t i, len = strlen(data), start = 0;

	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		rh_buf blob = RH_BUF_INIT;
		char key[512];

		snprintf(key, sizeof(key), "%snodes/%s/files/%s@%020zu.zst",
		         prefix, node, path, start);
		cr_assert_eq(rh_seekable_compress(&blob, data + start,
		                                  end - start, NULL),
		             0);
		cr_assert_eq(rh_store_put(st, key, blob.ptr, blob.size), 0);
		rh_buf_dispose(&blob);
		start = end;
	}
}

/* The JSON row of task `id` holds `text`. */
static void
task_has(rh_index *x, const char *id, const char *text)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "task_id", "=", id };
	rh_buf b = RH_BUF_INIT;

	o.filters = &f;
	o.nfilters = 1;
	cr_assert_eq(rh_dashboard_list_json(&b, NULL, x, RH_ENTITY_TASK, &o),
	             0);
	cr_assert(has(b.ptr, text), "%s", b.ptr);
	rh_buf_dispose(&b);
}

Test(index_session, refresh_rebuilds_only_when_events_change, .init = mkstore,
     .fini = rmstore)
{
	const char *prefix = "default/c1/session_2026-01-01_00-00-00_000000_1/";
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_event_stats stats;
	rh_buf ev = RH_BUF_INIT, key = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_buf ray = RH_BUF_INIT, other = RH_BUF_INIT;
	size_t half;
	rh_index *x;
	char *exp, *leg, *json;
	size_t len, cuts[2] = { 0, 0 };
	uint8_t fp[RH_FINGERPRINT_SIZE];
	uint64_t nobj;
	int rebuilt, added;

	/* aggregator batches (the RayEvent lines), split in two; the export
	 * and legacy lines of the session go with the captured files */
	ev_session(&ev, 20);
	split_lines(&ray, &other, ev.ptr);
	half = strchr(ray.ptr + ray.size / 2, '\n') + 1 - ray.ptr;
	cr_assert_eq(
		rh_events_ingest(NULL, &added, st, prefix, "b1", ray.ptr, half),
		0, "%s", rh_error_last());
	cr_assert_eq(rh_events_ingest(NULL, &added, st, prefix, "b2",
	                              ray.ptr + half, ray.size - half),
	             0, "%s", rh_error_last());
	put_parts(prefix, "0f02", "logs/events/event_JOBS.log", other.ptr, cuts,
	          0);
	/* export and legacy events as captured files, a line cut across parts */
	exp = ev_read_file("events/export-events.jsonl", &len);
	cuts[0] = 100;
	cuts[1] = 2000;
	put_parts(prefix, "0f01", "logs/export_events/event_EXPORT_TASK_1.log",
	          exp, cuts, 2);
	leg = ev_read_file("events/legacy-events.jsonl", &len);
	put_parts(prefix, "0f01", "logs/events/event_GCS.log", leg, cuts, 0);
	/* an unrelated log is not an event object */
	put_parts(prefix, "0f01", "logs/raylet.out", "hello\n", cuts, 0);

	ro.stats = &stats;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(stats.malformed, 0, "%s", stats.first_error);
	cr_assert_eq(rh_index_session_fingerprint(fp, &nobj, st, prefix), 0);
	cr_assert_eq(nobj, 2 + 3 + 1 + 1);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0);
	cr_assert_eq(rebuilt, 0);

	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(memcmp(rh_index_fingerprint(x), fp, sizeof(fp)), 0);
	cr_assert_eq(rh_index_count(x, RH_ENTITY_CLUSTER_EVENT), 3);
	cr_assert_eq(rh_index_count(x, RH_ENTITY_TASK), 20 + 3 + 2);
	/* the export task split across parts was read */
	task_has(x, "c8ef45ccd0112571ffffffffffffffffffffffff01000000",
	         "\"attempt_number\":1,\"name\":null,\"state\":\"FAILED\"");
	rh_index_close(x);

	/* a new batch: rebuilt */
	cr_assert_eq(rh_events_ingest(NULL, &added, st, prefix, "b3", ray.ptr,
	                              ray.size),
	             0);
	cr_assert_eq(added, 1);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0);
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0);
	cr_assert_eq(rebuilt, 0);

	/* an index of an older format (or damaged) is rebuilt */
	rh_buf_printf(&key, "%sindex/session.idx", prefix);
	cr_assert_eq(rh_store_get(&got, st, key.ptr, 0, SIZE_MAX), 0);
	got.ptr[8] = 0;
	cr_assert_eq(rh_store_put(st, key.ptr, got.ptr, got.size), 0);
	cr_assert_eq(rh_index_open(&x, st, key.ptr, NULL), RH_ECORRUPT);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0);
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(rh_index_open(&x, st, key.ptr, NULL), 0);
	rh_index_close(x);
	got.ptr[8] = 1;
	got.size -= 10;
	cr_assert_eq(rh_store_put(st, key.ptr, got.ptr, got.size), 0);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0);
	cr_assert_eq(rebuilt, 1);

	json = NULL;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, "no-slash", NULL),
	             RH_EINVAL);
	free(json);
	free(exp);
	free(leg);
	rh_buf_dispose(&ev);
	rh_buf_dispose(&ray);
	rh_buf_dispose(&other);
	rh_buf_dispose(&key);
	rh_buf_dispose(&got);
}

/* Export task lines of `n` tasks (about 700 bytes each). */
static void
export_tasks(rh_buf *out, int n)
{
	int i;

	for (i = 0; i < n; i++)
		rh_buf_printf(
			out,
			"{\"event_data\":{\"attempt_number\":0,\"job_id\":"
			"\"AQAAAA==\",\"state_updates\":{\"node_id\":"
			"\"ZvxTI6x9dlMFqMlIHErJpg5UEGK1INsKhW2zyg==\",\"state_ts_ns\":"
			"{\"1\":\"1725389534467290000\",\"2\":\"1725389534467402000\","
			"\"5\":\"1725389534469074000\",\"8\":\"1725389534470000000\","
			"\"11\":\"1725389534480000000\"},\"worker_id\":"
			"\"hMybCNYIFi+/yInYYhdc+qH8yMF65j/8+uCTmw==\",\"worker_pid\":"
			"4242},\"task_id\":\"%08xffffffffffffffffffffffffffffffff01000000\","
			"\"task_info\":{\"func_or_class_name\":\"f%d\",\"language\":"
			"\"PYTHON\",\"type\":\"NORMAL_TASK\",\"required_resources\":"
			"{\"CPU\":1.0},\"parent_task_id\":\"//////////////////////////8BAAAA\","
			"\"placement_group_id\":\"\",\"actor_id\":\"\",\"runtime_env_info\":"
			"{\"serialized_runtime_env\":\"{}\"}}},\"event_id\":\"3f2a%08x\","
			"\"source_type\":\"EXPORT_TASK\",\"timestamp\":1725389534}\n",
			(unsigned)i, i % 7, (unsigned)i);
}

/* An event file of several read chunks is decompressed by a reader thread
 * while the events are parsed: every event arrives once, in order, and a
 * damaged frame far into the file ends that object with a warning naming
 * it. */
Test(index_session, large_event_files_are_read_ahead, .init = mkstore,
     .fini = rmstore)
{
	const char *prefix = "default/c1/session_2026-01-01_00-00-00_000000_1/";
	const char *file = "logs/export_events/event_EXPORT_TASK_1.log";
	size_t cuts[1] = { 0 };
	rh_buf ev = RH_BUF_INIT, key = RH_BUF_INIT, blob = RH_BUF_INIT;
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_event_stats stats;
	rh_index *x;
	int rebuilt;

	export_tasks(&ev, 16000);
	cr_assert_gt(ev.size, 10u << 20, "too small to be read ahead: %zu",
	             ev.size);
	put_parts(prefix, "0f01", file, ev.ptr, cuts, 0);
	ro.stats = &stats;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(stats.lines, 16000);
	cr_assert_eq(stats.malformed, 0, "%s", stats.first_error);
	cr_assert_eq(stats.bytes, ev.size);
	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_index_count(x, RH_ENTITY_TASK), 16000);
	task_has(x, "00003e7fffffffffffffffffffffffffffffffff01000000",
	         "\"name\":\"f4\""); /* the last one: 15999 % 7 */
	rh_index_close(x);

	/* damage a byte three quarters in: a frame the reader thread reads */
	rh_buf_printf(&key, "%snodes/0f01/files/%s@%020zu.zst", prefix, file,
	              (size_t)0);
	cr_assert_eq(rh_store_get(&blob, st, key.ptr, 0, SIZE_MAX), 0);
	blob.ptr[blob.size * 3 / 4] ^= 0x5a;
	cr_assert_eq(rh_store_put(st, key.ptr, blob.ptr, blob.size), 0);
	rh_buf_clear(&blob);
	rh_buf_printf(&blob, "%sindex/session.idx", prefix);
	cr_assert_eq(rh_store_delete(st, blob.ptr), 0);
	/* the frames before the damage are kept, the file is named in a
	 * warning of the index, not a failure of the whole session */
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_index_warning_count(x), 1);
	cr_assert(has(rh_index_warning(x, 0), "event_EXPORT_TASK_1.log"), "%s",
	          rh_index_warning(x, 0));
	cr_assert(has(rh_index_warning(x, 0), "corrupt"), "%s",
	          rh_index_warning(x, 0));
	cr_assert_null(rh_index_warning(x, 1));
	cr_assert_gt(rh_index_count(x, RH_ENTITY_TASK), 8000);
	cr_assert_lt(rh_index_count(x, RH_ENTITY_TASK), 16000);
	rh_index_close(x);
	rh_buf_dispose(&ev);
	rh_buf_dispose(&key);
	rh_buf_dispose(&blob);
}

/* A session nobody stored (a mistyped name) is not found, and asking for
 * it writes nothing: no index that would make it appear in listings. */
Test(index_session, a_missing_session_is_not_found_and_writes_nothing,
     .init = mkstore, .fini = rmstore)
{
	const char *prefix = "default/c1/nope/";
	struct {
		int n;
	} seen = { 0 };
	rh_index *x = (rh_index *)&seen;
	int rebuilt = 7;

	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), RH_ENOTFOUND);
	cr_assert_null(x);
	cr_assert(has(rh_error_last(), "nope"), "%s", rh_error_last());
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL),
	             RH_ENOTFOUND);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(rh_store_list(st, "", NULL, count_cb, &seen.n), 0);
	cr_assert_eq(seen.n, 0, "the store holds %d objects", seen.n);
	/* an index alone (as older versions left) is no session either */
	cr_assert_eq(
		rh_store_put(st, "default/c1/nope/index/session.idx", "x", 1),
		0);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL),
	             RH_ENOTFOUND);
}

/* Out of several aggregator batches, one damaged object is skipped: the
 * others are indexed and the index says which one was not. */
Test(index_session, a_damaged_batch_is_skipped_with_a_warning, .init = mkstore,
     .fini = rmstore)
{
	const char *prefix = "default/c1/session_2026-01-01_00-00-00_000000_1/";
	rh_buf ev = RH_BUF_INIT, ray = RH_BUF_INIT, other = RH_BUF_INIT;
	struct first_key fk = { RH_BUF_INIT };
	rh_buf blob = RH_BUF_INIT, evp = RH_BUF_INIT;
	rh_index *x;
	size_t half;
	int added, rebuilt;

	ev_session(&ev, 20);
	split_lines(&ray, &other, ev.ptr);
	half = strchr(ray.ptr + ray.size / 2, '\n') + 1 - ray.ptr;
	cr_assert_eq(
		rh_events_ingest(NULL, &added, st, prefix, "b1", ray.ptr, half),
		0);
	cr_assert_eq(rh_events_ingest(NULL, &added, st, prefix, "b2",
	                              ray.ptr + half, ray.size - half),
	             0);
	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_index_warning_count(x), 0);
	rh_index_close(x);

	/* garble the first batch object's zstd frame */
	rh_buf_printf(&evp, "%sevents/", prefix);
	cr_assert_eq(rh_store_list(st, evp.ptr, NULL, first_key_cb, &fk), 1);
	cr_assert_eq(rh_store_get(&blob, st, fk.key.ptr, 0, SIZE_MAX), 0);
	cr_assert_gt(blob.size, 40u);
	memset(blob.ptr + 12, 0x5a, 16);
	cr_assert_eq(rh_store_put(st, fk.key.ptr, blob.ptr, blob.size), 0);
	/* same name and size: the fingerprint holds, so force the rebuild the
	 * way a fresh store would need one */
	rh_buf_clear(&blob);
	rh_buf_printf(&blob, "%sindex/session.idx", prefix);
	cr_assert_eq(rh_store_delete(st, blob.ptr), 0);

	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(rh_index_open_session(&x, st, prefix, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_index_warning_count(x), 1);
	cr_assert(has(rh_index_warning(x, 0), fk.key.ptr), "%s",
	          rh_index_warning(x, 0));
	cr_assert_gt(rh_index_count(x, RH_ENTITY_TASK), 0);
	rh_index_close(x);
	rh_buf_dispose(&ev);
	rh_buf_dispose(&ray);
	rh_buf_dispose(&other);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&evp);
	rh_buf_dispose(&fk.key);
}

struct progress_log {
	rh_progress last;
	int calls, monotonic;
};

static void
progress_cb(const rh_progress *p, void *payload)
{
	struct progress_log *l = payload;

	if (l->calls && (p->bytes_done < l->last.bytes_done ||
	                 p->files_done < l->last.files_done ||
	                 p->bytes_total != l->last.bytes_total ||
	                 p->files_total != l->last.files_total))
		l->monotonic = 0;
	l->last = *p;
	l->calls++;
}

/* A build reports each event object read, up to the totals; a version 1
 * options struct (without the progress fields) is still accepted. */
Test(index_session, refresh_reports_progress, .init = mkstore, .fini = rmstore)
{
	const char *prefix = "default/c1/session_2026-01-01_00-00-00_000000_1/";
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	struct progress_log log = { { 0, 0, 0, 0 }, 0, 1 };
	rh_buf ev = RH_BUF_INIT, ray = RH_BUF_INIT, other = RH_BUF_INIT;
	size_t half;
	int rebuilt, added;

	ev_session(&ev, 20);
	split_lines(&ray, &other, ev.ptr);
	half = strchr(ray.ptr + ray.size / 2, '\n') + 1 - ray.ptr;
	cr_assert_eq(
		rh_events_ingest(NULL, &added, st, prefix, "b1", ray.ptr, half),
		0);
	cr_assert_eq(rh_events_ingest(NULL, &added, st, prefix, "b2",
	                              ray.ptr + half, ray.size - half),
	             0);
	ro.progress = progress_cb;
	ro.progress_payload = &log;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(log.calls, 2);
	cr_assert(log.monotonic);
	cr_assert_eq(log.last.files_done, 2);
	cr_assert_eq(log.last.files_total, 2);
	cr_assert_gt(log.last.bytes_total, 0);
	cr_assert_eq(log.last.bytes_done, log.last.bytes_total);
	/* up to date: nothing read, nothing reported */
	log.calls = 0;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(log.calls, 0);
	/* version 1 callers: force works, no progress field is read */
	ro.version = 1;
	ro.force = 1;
	ro.progress = NULL;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
	ro.version = 2;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), 0, "%s",
	             rh_error_last());
	ro.version = RH_INDEX_REFRESH_OPTIONS_VERSION + 1;
	cr_assert_eq(rh_index_refresh(&rebuilt, st, prefix, &ro), RH_EINVAL);
	rh_buf_dispose(&ev);
	rh_buf_dispose(&ray);
	rh_buf_dispose(&other);
}
