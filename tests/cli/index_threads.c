/* index_threads - a test helper: (re)build a session's index with
 * rh_index_refresh() parsing on a given number of threads.
 *
 *   usage: index_threads STORE NS/CLUSTER/SESSION/ THREADS */
#include <stdio.h>
#include <stdlib.h>

#include <rayhist/rayhist.h>

int
main(int argc, char **argv)
{
	rh_index_refresh_options o = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_event_stats stats;
	rh_store *st = NULL;
	int rebuilt = 0;

	if (argc != 4) {
		fprintf(stderr,
		        "usage: index_threads STORE NS/CLUSTER/SESSION/ THREADS\n");
		return 2;
	}
	if (rh_store_open(&st, argv[1], NULL) < 0) {
		fprintf(stderr, "index_threads: %s: %s\n", argv[1],
		        rh_error_last());
		return 1;
	}
	o.force = 1;
	o.threads = (unsigned)atoi(argv[3]);
	o.stats = &stats;
	if (rh_index_refresh(&rebuilt, st, argv[2], &o) < 0 || !rebuilt) {
		fprintf(stderr, "index_threads: %s: %s\n", argv[2],
		        rh_error_last());
		rh_store_close(st);
		return 1;
	}
	printf("records=%llu lines=%llu malformed=%llu\n",
	       (unsigned long long)stats.records,
	       (unsigned long long)stats.lines,
	       (unsigned long long)stats.malformed);
	rh_store_close(st);
	return 0;
}
