/* storetest.h - a fresh file:// store per test, with event batches, marks
 * and counts of the store calls a test makes (rh_store_stats), for the
 * tests that count what reading an indexed session costs (test_marks.c,
 * test_index_fetch.c). Define STORETEST_TAG (the temp folder's name)
 * before including. */
#ifndef RH_TEST_STORETEST_H
#define RH_TEST_STORETEST_H

#include "evtest.h"
#include "marks.h"

#ifndef STORETEST_TAG
#define STORETEST_TAG "store"
#endif

#define PREFIX1 "default/c1/session_2026-01-01_00-00-00_000000_1/"
#define PREFIX2 "default/c1/session_2026-01-01_00-00-00_000000_2/"
static const char *PREFIX = PREFIX1;

static char tmpdir[256];
static rh_store *st;

static inline void
mkstore(void)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	char url[300];

	o.fsync = 0; /* thousands of objects; durability is not tested */
	snprintf(tmpdir, sizeof(tmpdir),
	         "/tmp/rh-test-" STORETEST_TAG "-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(url, sizeof(url), "file://%s/store", tmpdir);
	cr_assert_eq(rh_store_open(&st, url, &o), 0, "%s", rh_error_last());
}

static inline void
rmstore(void)
{
	char cmd[300];

	rh_store_close(st);
	st = NULL;
	PREFIX = PREFIX1;
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

/* Event object "b" under PREFIX: one batch defining tasks i to i + n - 1
 * of job 1; `long_names` gives names long enough that 2,000 of them span
 * several string pages. Returns how many objects it added. */
static inline int
put_task_batch(int i, int n, int long_names)
{
	rh_buf b = RH_BUF_INIT;
	ev_id t, job;
	int added = 0, k;

	ev_job(&job, 1);
	for (k = i; k < i + n; k++) {
		ev_task(&t, 1, k);
		rh_buf_printf(&b,
		              "{\"eventType\":\"TASK_DEFINITION_EVENT\","
		              "\"taskDefinitionEvent\":{\"taskId\":\"%s\","
		              "\"taskAttempt\":0,\"jobId\":\"%s\",\"taskType\":"
		              "\"NORMAL_TASK\",\"language\":\"PYTHON\",",
		              t.b, job.b);
		if (long_names)
			rh_buf_printf(
				&b,
				"\"taskName\":\"a_task_with_a_longer_name_%d\","
				"\"taskFunc\":{\"pythonFunctionDescriptor\":{"
				"\"functionName\":\"module.function_number_%d\"}}}}\n",
				k, k);
		else
			rh_buf_printf(&b, "\"taskName\":\"t%d\"}}\n", k);
	}
	cr_assert_eq(
		rh_events_ingest(NULL, &added, st, PREFIX, "b", b.ptr, b.size),
		0, "%s", rh_error_last());
	rh_buf_dispose(&b);
	return added;
}

/* Move `writer`'s mark under PREFIX to a new generation. */
static inline void
advance(const char *writer, char *last)
{
	char gen[25];

	rh__mark_new_gen(gen);
	cr_assert_eq(rh__mark_advance(st, PREFIX, writer, gen, last), 0, "%s",
	             rh_error_last());
}

enum { GET, PUT, HEAD, LIST, DEL, NVERBS };

static inline void
stats_now(rh_store_stats *s)
{
	s->version = RH_STORE_STATS_VERSION;
	cr_assert_eq(rh_store_stats_get(s), 0);
}

/* Store calls of each verb (file://, all outcomes) since `before`. */
static inline void
calls_since(const rh_store_stats *before, uint64_t out[NVERBS])
{
	rh_store_stats now;
	int v, o;

	stats_now(&now);
	for (v = 0; v < NVERBS; v++) {
		out[v] = 0;
		for (o = 0; o < RH_STORE_STATS_OUTCOMES; o++)
			out[v] += now.requests[0][v][o] -
			          before->requests[0][v][o];
	}
}

#endif
