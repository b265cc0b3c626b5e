/* test_store_stats.c - the counters of store calls (lib/store_stats.c,
 * rh_store_stats_get): each rh_store_* call on a file:// store moves
 * exactly its backend/verb/outcome counter. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rayhist/rayhist.h>

enum { FILE_B = 0 };
enum { GET, PUT, HEAD, LIST, DEL, WRITER };
enum { OK, NOT_FOUND, ERROR };

static uint64_t
req(const rh_store_stats *a, const rh_store_stats *b, int v, int o)
{
	return b->requests[FILE_B][v][o] - a->requests[FILE_B][v][o];
}

static int
count_cb(const rh_store_entry *e, void *payload)
{
	(void)e;
	++*(int *)payload;
	return 0;
}

Test(store_stats, names)
{
	cr_assert_str_eq(rh_store_stats_name(0, 0), "file");
	cr_assert_str_eq(rh_store_stats_name(0, 1), "s3");
	cr_assert_str_eq(rh_store_stats_name(0, 2), "az");
	cr_assert_str_eq(rh_store_stats_name(1, WRITER), "writer");
	cr_assert_str_eq(rh_store_stats_name(2, NOT_FOUND), "not_found");
	cr_assert_null(rh_store_stats_name(0, 3));
	cr_assert_null(rh_store_stats_name(1, 6));
	cr_assert_null(rh_store_stats_name(3, 0));
	cr_assert_null(rh_store_stats_name(-1, 0));
}

Test(store_stats, bad_version)
{
	rh_store_stats s = RH_STORE_STATS_INIT;

	cr_assert_eq(rh_store_stats_get(NULL), RH_EINVAL);
	s.version = 99;
	cr_assert_eq(rh_store_stats_get(&s), RH_EINVAL);
}

Test(store_stats, file_calls_counted)
{
	rh_store_stats a = RH_STORE_STATS_INIT, b = RH_STORE_STATS_INIT;
	char dir[1024];
	const char *base = getenv("TMPDIR");
	const char *keys[] = { "x/1", "x/2" };
	rh_buf buf = RH_BUF_INIT;
	rh_store_writer *w;
	rh_store *st;
	uint64_t size;
	int n = 0, v, o;

	snprintf(dir, sizeof(dir), "%s/rh-stats-XXXXXX",
	         base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(rh_store_open(&st, dir, NULL), 0, "%s", rh_error_last());
	cr_assert_eq(rh_store_stats_get(&a), 0);

	cr_assert_eq(rh_store_put(st, "x/1", "ab", 2), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_store_put(st, "x/2", "cd", 2), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_store_get(&buf, st, "x/1", 0, SIZE_MAX), 0);
	cr_assert_eq(rh_store_get(&buf, st, "nope", 0, SIZE_MAX), RH_ENOTFOUND);
	cr_assert_eq(rh_store_head(&size, NULL, st, "x/1"), 0);
	cr_assert_eq(rh_store_head(&size, NULL, st, "nope"), RH_ENOTFOUND);
	cr_assert_eq(rh_store_list(st, "x/", NULL, count_cb, &n), 0);
	cr_assert_eq(n, 2);
	/* refused before the backend: not counted */
	cr_assert_eq(rh_store_get(&buf, st, "../bad", 0, SIZE_MAX), RH_EINVAL);
	cr_assert_eq(rh_store_writer_open(&w, st, "x/3"), 0);
	cr_assert_eq(rh_store_writer_write(w, "ef", 2), 0);
	cr_assert_eq(rh_store_writer_commit(w), 0, "%s", rh_error_last());
	cr_assert_eq(rh_store_writer_open(&w, st, "x/4"), 0);
	rh_store_writer_abort(w); /* not counted */
	cr_assert_eq(rh_store_delete(st, "x/3"), 0);
	cr_assert_eq(rh_store_delete_many(st, keys, 2), 0);
	/* a put over a folder fails: an error */
	cr_assert_eq(rh_store_put(st, "y/z", "1", 1), 0);
	cr_assert_lt(rh_store_put(st, "y", "1", 1), 0);

	cr_assert_eq(rh_store_stats_get(&b), 0);
	cr_assert_eq(req(&a, &b, PUT, OK), 3);
	cr_assert_eq(req(&a, &b, PUT, ERROR), 1);
	cr_assert_eq(req(&a, &b, GET, OK), 1);
	cr_assert_eq(req(&a, &b, GET, NOT_FOUND), 1);
	cr_assert_eq(req(&a, &b, HEAD, OK), 1);
	cr_assert_eq(req(&a, &b, HEAD, NOT_FOUND), 1);
	cr_assert_eq(req(&a, &b, LIST, OK), 1);
	cr_assert_eq(req(&a, &b, WRITER, OK), 1);
	cr_assert_eq(req(&a, &b, DEL, OK), 2);
	for (v = 0; v < RH_STORE_STATS_VERBS; v++) {
		for (o = 0; o < RH_STORE_STATS_OUTCOMES; o++) {
			if (o == OK || (v == PUT && o == ERROR) ||
			    (o == NOT_FOUND && (v == GET || v == HEAD)))
				continue; /* checked above */
			cr_assert_eq(req(&a, &b, v, o), 0, "verb %d outcome %d",
			             v, o);
		}
		cr_assert_eq(b.retries[FILE_B][v], 0);
	}
	cr_assert_eq(b.requests[1][GET][OK] + b.requests[2][GET][OK], 0,
	             "no s3/az call was made");
	cr_assert_eq(rh_store_delete(st, "y/z"), 0);
	rh_buf_dispose(&buf);
	rh_store_close(st);
	cr_assert_eq(rmdir(dir), 0, "%s: %s", dir, strerror(errno));
}
