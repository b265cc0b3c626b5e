/* index_bench.c - the index benchmark's driver (see bench/events.sh).
 *
 *   index_bench build EVENTS STOREDIR KEY   stream EVENTS (JSON lines) into a
 *                                           history, write the index to KEY
 *   index_bench query STOREDIR KEY JOB STATE [N]  open the index, fetch the
 *                                           first 100 tasks of JOB in STATE
 *
 * Each prints one line of key=value numbers, including peak RSS. */
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
die(const char *what)
{
	fprintf(stderr, "index_bench: %s: %s\n", what, rh_error_last());
	return 1;
}

static int
build(const char *events, const char *storedir, const char *key)
{
	rh_history *h;
	rh_event_parser *p;
	rh_store *st;
	FILE *f;
	static char buf[16 << 20];
	size_t n;
	double t0 = now(), t1, t2;
	const rh_event_stats *s;

	if (!(f = fopen(events, "rb")))
		return die(events);
	if (rh_store_open(&st, storedir, NULL) < 0 ||
	    rh_history_new(&h, NULL) < 0 ||
	    rh_event_parser_new(&p, "bench.jsonl", NULL, rh_history_event_cb,
	                        h) < 0)
		return die("setup");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (rh_event_parser_feed(p, buf, n) != 0)
			return die("parse");
	if (rh_event_parser_finish(p) != 0)
		return die("parse");
	fclose(f);
	t1 = now();
	if (rh_history_finish(h) < 0 || rh_index_write(st, key, h) < 0)
		return die("write");
	t2 = now();
	s = rh_event_parser_stats(p);
	printf("events=%llu bytes=%llu tasks=%llu parse_s=%.3f write_s=%.3f total_s=%.3f "
	       "events_per_s=%.0f mb_per_s=%.1f malformed=%llu peak_rss_kib=%ld\n",
	       (unsigned long long)s->records, (unsigned long long)s->bytes,
	       (unsigned long long)rh_history_count(h, RH_ENTITY_TASK), t1 - t0,
	       t2 - t1, t2 - t0, s->records / (t2 - t0),
	       s->bytes / (t2 - t0) / 1e6, (unsigned long long)s->malformed,
	       peak_rss_kib());
	rh_event_parser_free(p);
	rh_history_free(h);
	rh_store_close(st);
	return 0;
}

static int
query(const char *storedir, const char *key, const char *job, const char *state)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f[2] = { { "job_id", "=", job }, { "state", "=", state } };
	rh_query_counts c;
	rh_buf out = RH_BUF_INIT;
	rh_index *ix;
	rh_store *st;
	double t0, t1;

	if (rh_store_open(&st, storedir, NULL) < 0)
		return die(storedir);
	t0 = now();
	if (rh_index_open(&ix, st, key, NULL) < 0)
		return die("open");
	o.filters = f;
	o.nfilters = 2;
	o.limit = 100;
	if (rh_dashboard_list_json(&out, &c, ix, RH_ENTITY_TASK, &o) < 0)
		return die("query");
	t1 = now();
	printf("open_and_page_ms=%.2f rows=%llu num_filtered=%llu total=%llu json_bytes=%zu "
	       "peak_rss_kib=%ld\n",
	       (t1 - t0) * 1e3, (unsigned long long)c.returned,
	       (unsigned long long)c.num_filtered, (unsigned long long)c.total,
	       out.size, peak_rss_kib());
	rh_buf_dispose(&out);
	rh_index_close(ix);
	rh_store_close(st);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "build"))
		return build(argv[2], argv[3], argv[4]);
	if (argc == 6 && !strcmp(argv[1], "query"))
		return query(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: index_bench build EVENTS STOREDIR KEY\n"
	                "       index_bench query STOREDIR KEY JOB STATE\n");
	return 2;
}
