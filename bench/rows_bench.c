/* rows_bench.c - the CPU cost of an uncached task page, split into reading
 * the rows and writing Ray's JSON (the profile of `bench/serve.sh`'s
 * distinct-requests run points at the writer).
 *
 *   rows_bench STOREDIR SESSION [PAGES]
 *
 * With PAGES 0 it prints every task row instead (detail=1), the bytes two
 * builds can be compared on.
 *
 * SESSION is a stored session ("default/prod/session_..."), its index built
 * (run `rayhist-ls --tasks` on it once). For PAGES pages (default 2,000) of
 * `api/v0/tasks?limit=100&detail=1` (the first page, as `bench/serve.sh`'s
 * distinct requests ask for it: nothing kept between pages) it measures, in
 * turns in one run: the query alone (rh_query_next() over the rows), and the
 * query plus the JSON (rh_dashboard_list_json()). Prints CPU microseconds per
 * page for both, their difference (the writer's cost) per page and per row,
 * and the answer's bytes. Build as bench/README.md says:
 *   cc -O2 -Iinclude bench/rows_bench.c _build/.libs/librayhist_core.a \
 *      $(pkg-config --libs libzstd json-c libcurl libarchive) -lpthread */
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
die(const char *what)
{
	fprintf(stderr, "rows_bench: %s: %s\n", what, rh_error_last());
	return 1;
}

int
main(int argc, char **argv)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf out = RH_BUF_INIT;
	rh_query_counts c;
	rh_index *ix;
	rh_store *st;
	long pages = argc > 3 ? atol(argv[3]) : 2000, p, rows = 0;
	double t_query = 0, t_json = 0, t0, bytes = 0;
	int round;

	if (argc < 3) {
		fprintf(stderr, "usage: rows_bench STOREDIR SESSION [PAGES]\n");
		return 2;
	}
	if (rh_store_open(&st, argv[1], NULL) < 0)
		return die(argv[1]);
	if (rh_index_open_session(&ix, st, argv[2], NULL) < 0)
		return die(argv[2]);
	o.limit = pages ? 100 : 0;
	o.detail = 1;
	if (rh_dashboard_list_json(&out, &c, ix, RH_ENTITY_TASK, &o) < 0)
		return die("query");
	if (!pages) {
		fwrite(out.ptr, 1, out.size, stdout);
		return 0;
	}
	/* alternate the two measures in rounds, so load changes hit both */
	for (round = 0; round < 4; round++) {
		long from = pages * round / 4, to = pages * (round + 1) / 4;

		t0 = cpu_us();
		for (p = from; p < to; p++) {
			rh_query *q;
			const rh_row *row;
			int error;

			if (rh_query_open(&q, ix, RH_ENTITY_TASK, &o) < 0)
				return die("query");
			while ((error = rh_query_next(&row, q)) == 0)
				rows++;
			if (error != RH_ITEROVER)
				return die("query");
			rh_query_close(q);
		}
		t_query += cpu_us() - t0;
		t0 = cpu_us();
		for (p = from; p < to; p++) {
			rh_buf_clear(&out);
			if (rh_dashboard_list_json(&out, &c, ix, RH_ENTITY_TASK,
			                           &o) < 0)
				return die("json");
			bytes += (double)out.size;
		}
		t_json += cpu_us() - t0;
	}
	printf("pages=%ld rows_per_page=%.1f bytes_per_page=%.0f query_us=%.1f "
	       "query_json_us=%.1f json_us=%.1f json_ns_per_row=%.0f\n",
	       pages, (double)rows / pages, bytes / pages, t_query / pages,
	       t_json / pages, (t_json - t_query) / pages,
	       (t_json - t_query) * 1e3 / rows);
	rh_buf_dispose(&out);
	rh_index_close(ix);
	rh_store_close(st);
	return 0;
}
