/* ingest_events - a test helper: store RayEvent batch files in a session
 * through the library's rh_events_ingest(), as the aggregator's POSTs would
 * be (the serve tests use it so they depend only on the library).
 *
 *   usage: ingest_events STORE NS/CLUSTER/SESSION FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

int
main(int argc, char **argv)
{
	rh_store *st = NULL;
	rh_buf prefix = RH_BUF_INIT, data = RH_BUF_INIT;
	int i, error;

	if (argc < 4) {
		fprintf(stderr,
		        "usage: ingest_events STORE NS/CLUSTER/SESSION FILE...\n");
		return 2;
	}
	if ((error = rh_store_open(&st, argv[1], NULL)) < 0) {
		fprintf(stderr, "ingest_events: %s: %s\n", argv[1],
		        rh_error_last());
		return 1;
	}
	rh_buf_printf(&prefix, "%s/", argv[2]);
	for (i = 3; i < argc; i++) {
		char chunk[1 << 16];
		size_t n;
		FILE *f = fopen(argv[i], "rb");

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		rh_buf_clear(&data);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			rh_buf_put(&data, chunk, n);
		fclose(f);
		if ((error = rh_events_ingest(NULL, NULL, st, prefix.ptr,
		                              argv[i], data.ptr ? data.ptr : "",
		                              data.size)) < 0) {
			fprintf(stderr, "ingest_events: %s: %s\n", argv[i],
			        rh_error_last());
			return 1;
		}
	}
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&data);
	rh_store_close(st);
	return 0;
}
