/* Tests of lib/marks.c and the index's currency check (index_session.c):
 * deciding whether a stored index is current costs one listing of the
 * session's marks (or nothing once the session ended), whatever the number
 * of event objects; a writer's new objects are seen once its mark moves;
 * writers never undo each other's marks; sessions without marks are still
 * checked by listing their objects. Counts, not times: rh_store_stats. */
#define STORETEST_TAG "marks"
#include "storetest.h"

#include <json-c/json.h>

TestSuite(marks, .init = mkstore, .fini = rmstore);

/* Event object `i`: one batch defining tasks i to i + n - 1. */
static void
put_batches(int i, int n)
{
	cr_assert_eq(put_task_batch(i, n, 0), 1);
}

static void
put_batch(int i)
{
	put_batches(i, 1);
}

static int
refresh(void)
{
	int rebuilt = -1;

	cr_assert_eq(rh_index_refresh(&rebuilt, st, PREFIX, NULL), 0, "%s",
	             rh_error_last());
	return rebuilt;
}

static uint64_t
tasks(void)
{
	rh_index *x = NULL;
	uint64_t n;

	cr_assert_eq(rh_index_open_session(&x, st, PREFIX, NULL), 0, "%s",
	             rh_error_last());
	n = rh_index_count(x, RH_ENTITY_TASK);
	rh_index_close(x);
	return n;
}

/* Store calls of verb v (all outcomes, file://) since `before`. */
static uint64_t
calls(const rh_store_stats *before, int v)
{
	uint64_t n[NVERBS];

	calls_since(before, n);
	return n[v];
}

/* The calls of one currency check of an indexed session. */
static void
check_calls(uint64_t out[5])
{
	rh_store_stats before = RH_STORE_STATS_INIT;
	int v;

	cr_assert_eq(rh_store_stats_get(&before), 0);
	cr_assert_eq(refresh(), 0);
	for (v = 0; v < 5; v++)
		out[v] = calls(&before, v);
}

static void
put_session_json(int ended)
{
	char body[300];

	snprintf(
		body, sizeof(body),
		"{\"format\":1,\"namespace\":\"default\","
		"\"cluster\":\"c1\",\"session\":\"%.*s\",\"start_ms\":"
		"1767225600000%s}",
		(int)strlen("session_2026-01-01_00-00-00_000000_1"),
		PREFIX + strlen("default/c1/"),
		ended ? ",\"end_ms\":1767225700000,\"end_marked_ms\":1767225800000" :
			"");
	char key[200];

	snprintf(key, sizeof(key), "%ssession.json", PREFIX);
	cr_assert_eq(rh_store_put(st, key, body, strlen(body)), 0);
}

/* The same 2,000 tasks as 20 event objects and as 2,000. */
Test(marks, currency_check_costs_the_same_for_20_and_2000_objects)
{
	char last[RH__MARK_KEY_MAX] = "";
	uint64_t small[5], big[5];
	int i;

	put_session_json(0);
	for (i = 0; i < 2000; i += 100)
		put_batches(i, 100);
	advance("import-0001", last);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 2000);
	check_calls(small);

	PREFIX = PREFIX2;
	last[0] = '\0';
	put_session_json(0);
	for (i = 0; i < 2000; i++)
		put_batch(i);
	advance("import-0001", last);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 2000);
	check_calls(big);
	PREFIX = PREFIX1;
	/* one listing (the marks), the index's size and a few reads of it */
	cr_assert_eq(big[LIST], 1, "%llu listings",
	             (unsigned long long)big[LIST]);
	cr_assert_leq(big[HEAD], 1); /* the index's size */
	cr_assert_eq(big[PUT] + big[DEL], 0);
	cr_assert_leq(big[GET], 8, "%llu gets", (unsigned long long)big[GET]);
	for (i = 0; i < 5; i++)
		cr_assert_eq(big[i], small[i],
		             "verb %d: %llu calls at 2000 objects, "
		             "%llu at 20",
		             i, (unsigned long long)big[i],
		             (unsigned long long)small[i]);
}

Test(marks, new_objects_are_seen_once_their_mark_moves)
{
	char last[RH__MARK_KEY_MAX] = "";
	int i;

	for (i = 0; i < 5; i++)
		put_batch(i);
	advance("recv-00aa", last);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(refresh(), 0);
	cr_assert_eq(tasks(), 5);
	/* the mark is the commit point: an object whose writer has not yet
	 * advanced its mark (it died before; its restart re-does the work)
	 * is not announced ... */
	put_batch(5);
	cr_assert_eq(refresh(), 0);
	/* ... and is seen as soon as the mark moves */
	advance("recv-00aa", last);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 6);
	cr_assert_eq(refresh(), 0);
}

static size_t
nmarks(void)
{
	rh__marks m;
	size_t n;

	cr_assert_eq(rh__marks_list(&m, st, PREFIX), 0);
	n = m.n;
	rh__marks_dispose(&m);
	return n;
}

Test(marks, writers_never_undo_each_others_marks)
{
	char a[RH__MARK_KEY_MAX] = "", b[RH__MARK_KEY_MAX] = "";
	char a2[RH__MARK_KEY_MAX] = "";

	put_batch(0);
	advance("node-0a", a);
	put_batch(1);
	advance("recv-0b", b);
	cr_assert_eq(nmarks(), 2);
	cr_assert_eq(refresh(), 1);
	/* each writer replaces only its own mark */
	put_batch(2);
	advance("node-0a", a);
	cr_assert_eq(nmarks(), 2);
	cr_assert_eq(refresh(), 1);
	put_batch(3);
	advance("recv-0b", b);
	cr_assert_eq(nmarks(), 2);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 4);
	/* a restarted writer (no memory of its mark) removes its old one */
	put_batch(4);
	advance("node-0a", a2);
	cr_assert_eq(nmarks(), 2);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 5);
	/* advancing to the same generation writes nothing */
	{
		rh_store_stats before = RH_STORE_STATS_INIT;
		const char *gen = strrchr(a2, '@') + 1;

		cr_assert_eq(rh_store_stats_get(&before), 0);
		cr_assert_eq(rh__mark_advance(st, PREFIX, "node-0a", gen, a2),
		             0);
		cr_assert_eq(calls(&before, PUT) + calls(&before, LIST), 0);
	}
}

Test(marks, an_ended_session_is_never_checked_again)
{
	char last[RH__MARK_KEY_MAX] = "";
	uint64_t c[5];
	uint64_t size;

	put_session_json(1);
	put_batch(0);
	advance("recv-0c", last);
	cr_assert_eq(refresh(), 1);
	check_calls(c);
	cr_assert_eq(c[LIST] + c[PUT] + c[DEL], 0, "%llu listings",
	             (unsigned long long)c[LIST]);
	cr_assert_leq(c[HEAD], 1);
	/* a late writer takes the sealed index back: the next reader
	 * rebuilds with its objects */
	put_batch(1);
	advance("recv-0c", last);
	cr_assert_eq(
		rh_store_head(&size, NULL, st, PREFIX1 "index/session.idx"),
		RH_ENOTFOUND);
	rh_error_clear();
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 2);
	check_calls(c);
	cr_assert_eq(c[LIST], 0);
}

Test(marks, sessions_without_marks_are_checked_by_listing)
{
	uint64_t c[5];

	put_session_json(0);
	put_batch(0);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(refresh(), 0);
	/* an older writer's new object, no mark: the listing sees it */
	put_batch(1);
	cr_assert_eq(refresh(), 1);
	cr_assert_eq(tasks(), 2);
	check_calls(c);
	cr_assert_geq(c[LIST], 2); /* marks/, then the objects */
	/* once ended and found current by a listing, it is listed no more */
	put_session_json(1);
	cr_assert_eq(refresh(), 0);
	cr_assert_eq(nmarks(), 1);
	check_calls(c);
	cr_assert_eq(c[LIST], 1);
	cr_assert_eq(tasks(), 2);
}

Test(marks, names_are_checked)
{
	rh_buf k = RH_BUF_INIT;

	cr_assert_eq(rh_layout__mark(&k, PREFIX, "node-0a", "00ff"), 0);
	cr_assert_str_eq(k.ptr, PREFIX1 "marks/node-0a@00ff");
	cr_assert_eq(rh_layout__mark(&k, PREFIX, "Node", "00"), RH_EINVAL);
	cr_assert_eq(rh_layout__mark(&k, PREFIX, "a/b", "00"), RH_EINVAL);
	cr_assert_eq(rh_layout__mark(&k, PREFIX, "a", "xyz"), RH_EINVAL);
	cr_assert_eq(rh_layout__mark(&k, PREFIX, "a", ""), RH_EINVAL);
	cr_assert_eq(rh_layout__mark(&k, "no-slash", "a", "00"), RH_EINVAL);
	cr_assert_str_neq(rh_error_last(), "");
	rh_buf_dispose(&k);
}
