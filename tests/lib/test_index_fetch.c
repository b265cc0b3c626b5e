/* Tests of what a first page of an indexed session reads (index_fetch.c,
 * index_read.c's open, rh_index_refresh_open): opening an index reads its
 * size, its first page and its end in three store calls; a first page of
 * 100 task rows costs the same store calls whatever the number of event
 * objects, with the index opened once; fetching rows ahead leaves nothing
 * for their decoding to read. Counts, not times: rh_store_stats. */
#define STORETEST_TAG "fetch"
#include "storetest.h"
#include "index_internal.h"

TestSuite(index_fetch, .init = mkstore, .fini = rmstore);

/* Event object: one batch defining tasks i to i + n - 1, with names long
 * enough that 2,000 of them span several string pages. */
static void
put_batches(int i, int n)
{
	put_task_batch(i, n, 1);
}

/* What rayhist-ls --tasks --limit 100 reads of an indexed session. */
static void
first_page(uint64_t out[NVERBS])
{
	rh_query_options qo = RH_QUERY_OPTIONS_INIT;
	rh_store_stats before;
	rh_query_counts counts;
	rh_buf json = RH_BUF_INIT;
	rh_index *ix = NULL;
	int rebuilt = -1;

	qo.limit = 100;
	stats_now(&before);
	cr_assert_eq(
		rh_index_refresh_open(&ix, &rebuilt, st, PREFIX, NULL, NULL), 0,
		"%s", rh_error_last());
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(
		rh_dashboard_list_json(&json, &counts, ix, RH_ENTITY_TASK, &qo),
		0, "%s", rh_error_last());
	calls_since(&before, out);
	cr_assert_eq(counts.returned, 100);
	cr_assert_eq(counts.total, 2000);
	cr_assert_not_null(strstr(json.ptr, "a_task_with_a_longer_name_"));
	rh_buf_dispose(&json);
	rh_index_close(ix);
}

static void
build(int per_object)
{
	char last[RH__MARK_KEY_MAX] = "";
	int i, rebuilt = -1;

	for (i = 0; i < 2000; i += per_object)
		put_batches(i, per_object);
	advance("import-0001", last);
	cr_assert_eq(rh_index_refresh(&rebuilt, st, PREFIX, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
}

/* The same 2,000 tasks as 20 event objects and as 2,000. */
Test(index_fetch, first_page_costs_the_same_for_20_and_2000_objects)
{
	uint64_t small[NVERBS], big[NVERBS];
	int v;

	build(100);
	first_page(small);
	PREFIX = PREFIX2;
	build(1);
	first_page(big);
	for (v = 0; v < NVERBS; v++)
		cr_assert_eq(big[v], small[v],
		             "verb %d: %llu calls at 2000 objects, "
		             "%llu at 20",
		             v, (unsigned long long)big[v],
		             (unsigned long long)small[v]);
	/* the marks listed once; the index opened once: its size, its first
	 * page and its end; then the pages of 100 rows and their strings */
	cr_assert_eq(big[LIST], 1, "%llu listings",
	             (unsigned long long)big[LIST]);
	cr_assert_eq(big[HEAD], 1, "%llu heads: the index opened twice?",
	             (unsigned long long)big[HEAD]);
	cr_assert_eq(big[PUT] + big[DEL], 0);
	cr_assert_leq(big[GET], 12, "%llu gets", (unsigned long long)big[GET]);
}

Test(index_fetch, opening_reads_size_first_page_and_end_only)
{
	rh_store_stats before;
	uint64_t c[NVERBS];
	rh_index *ix = NULL;

	build(100);
	stats_now(&before);
	cr_assert_eq(rh_index_open(&ix, st, PREFIX1 "index/session.idx", NULL),
	             0, "%s", rh_error_last());
	calls_since(&before, c);
	cr_assert_eq(c[HEAD], 1);
	/* page 0 (the header's) and one read of the trailer, directory and
	 * page CRCs together */
	cr_assert_eq(c[GET], 2, "%llu gets", (unsigned long long)c[GET]);
	cr_assert_eq(c[LIST], 0);
	rh_index_close(ix);
}

/* After ix_prefetch_rows(), decoding those rows reads nothing more: over a
 * remote store, a page of rows costs its two parallel rounds and no
 * request after them. */
Test(index_fetch, rows_fetched_ahead_decode_without_reading)
{
	rh_store_stats before;
	rh_query_options qo = RH_QUERY_OPTIONS_INIT;
	rh_buf json = RH_BUF_INIT;
	uint64_t rows[100], c[NVERBS], reads;
	rh_index *ix = NULL;
	int i;

	build(100);
	cr_assert_eq(rh_index_open(&ix, st, PREFIX1 "index/session.idx", NULL),
	             0);
	for (i = 0; i < 100; i++)
		rows[i] = (uint64_t)i;
	reads = ix->reads;
	ix_prefetch_rows(ix, RH_ENTITY_TASK, rows, 100, 0);
	cr_assert_gt(ix->reads, reads + 1, "records and strings fetched");
	stats_now(&before);
	qo.limit = 100;
	cr_assert_eq(
		rh_dashboard_list_json(&json, NULL, ix, RH_ENTITY_TASK, &qo), 0,
		"%s", rh_error_last());
	calls_since(&before, c);
	cr_assert_not_null(strstr(json.ptr, "a_task_with_a_longer_name_"));
	cr_assert_eq(c[GET], 0, "%llu pages read after the prefetch",
	             (unsigned long long)c[GET]);
	rh_buf_dispose(&json);
	rh_index_close(ix);
}

/* A stale index is rebuilt and the new one handed back. */
Test(index_fetch, refresh_open_hands_back_the_rebuilt_index)
{
	char last[RH__MARK_KEY_MAX] = "";
	rh_index *ix = NULL;
	int rebuilt = -1;

	build(100);
	put_batches(2000, 10);
	advance("import-0002", last);
	cr_assert_eq(
		rh_index_refresh_open(&ix, &rebuilt, st, PREFIX, NULL, NULL), 0,
		"%s", rh_error_last());
	cr_assert_eq(rebuilt, 1);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_TASK), 2010);
	rh_index_close(ix);
	cr_assert_eq(rh_index_refresh_open(NULL, NULL, st, PREFIX, NULL, NULL),
	             RH_EINVAL);
	cr_assert_eq(rh_index_refresh_open(&ix, NULL, st,
	                                   "default/c1/session_none/", NULL,
	                                   NULL),
	             RH_ENOTFOUND);
	cr_assert_null(ix);
}
