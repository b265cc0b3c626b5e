/* search_filter.c - does the per-frame search filter pay for itself?
 * (issue 14; lib/seekable_filter.h). For FILE, in turns in one run:
 * rh_seekable_compress() without and with options.filter (CPU seconds,
 * median of RUNS: what capture pays for the filter, in the same process,
 * so the shared machine's load mostly cancels out), the stored size of
 * both, and for each PATTERN the frames whose filter lets a search skip
 * them (the rest are decompressed).
 *
 *   search_filter FILE RUNS PATTERN...
 *
 * Build as bench/README.md says:
 *   cc -O2 -Iinclude -Ilib -Ilib/util -I_build bench/search_filter.c \
 *      _build/.libs/librayhist_core.a \
 *      $(pkg-config --libs libzstd json-c libcurl libarchive) -lpthread */
#include "seekable_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
compress(rh_buf *out, const rh_buf *in, int filter)
{
	rh_seekable_options o = RH_SEEKABLE_OPTIONS_INIT;
	double t0 = cpu_s();

	o.filter = filter;
	rh_buf_clear(out);
	if (rh_seekable_compress(out, in->ptr, in->size, &o) < 0) {
		fprintf(stderr, "search_filter: %s\n", rh_error_last());
		exit(1);
	}
	return cpu_s() - t0;
}

int
main(int argc, char **argv)
{
	rh_buf in = RH_BUF_INIT, plain = RH_BUF_INIT, filt = RH_BUF_INIT;
	rh_buf hold = RH_BUF_INIT;
	double *t0, *t1;
	rh_seekable *sk = NULL;
	rh__filter f;
	FILE *fp;
	char chunk[1 << 16];
	size_t n;
	int runs, i, k, found;

	if (argc < 4 || !(fp = fopen(argv[1], "rb")))
		return fprintf(stderr, "usage: search_filter FILE RUNS "
		                       "PATTERN...\n"),
		       2;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (rh_buf_put(&in, chunk, n) < 0)
			return 1;
	fclose(fp);
	runs = atoi(argv[2]) > 0 ? atoi(argv[2]) : 5;
	t0 = calloc((size_t)runs, sizeof(double));
	t1 = calloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		t0[i] = compress(&plain, &in, 0);
		t1[i] = compress(&filt, &in, 1);
	}
	qsort(t0, (size_t)runs, sizeof(double), cmp_double);
	qsort(t1, (size_t)runs, sizeof(double), cmp_double);
	printf("%.1f MiB raw; zstd -3 alone %.3f s CPU, with the filter %.3f s "
	       "(+%.1f%%)\n",
	       in.size / 1048576.0, t0[runs / 2], t1[runs / 2],
	       100 * (t1[runs / 2] / t0[runs / 2] - 1));
	printf("stored %zu bytes, with the filter %zu (+%.2f%%)\n", plain.size,
	       filt.size, 100.0 * ((double)filt.size / plain.size - 1));
	if (rh_seekable_open_mem(&sk, filt.ptr, filt.size) < 0 ||
	    (found = rh_seekable__filter(&f, &hold, sk)) < 0)
		return fprintf(stderr, "search_filter: %s\n", rh_error_last()),
		       1;
	for (k = 3; k < argc; k++) {
		rh__filter_query q;
		rh__filter_frame fr;
		uint32_t j, may = 0, none = 0;

		if (rh__filter_query_init(&q, argv[k], strlen(argv[k])) < 0)
			return 1;
		for (j = 0; found && j < f.nframes; j++) {
			rh__filter_frame_get(&fr, &f, j);
			none += !fr.bits;
			may += rh__filter_may_hold(&fr, &q);
		}
		printf("\"%s\": %u of %u frames to read (%u without a "
		       "filter)\n",
		       argv[k], found ? may : 0, found ? f.nframes : 0, none);
		rh__filter_query_dispose(&q);
	}
	rh__filter_dispose(&f);
	rh_seekable_close(sk);
	rh_buf_dispose(&in);
	rh_buf_dispose(&plain);
	rh_buf_dispose(&filt);
	rh_buf_dispose(&hold);
	free(t0);
	free(t1);
	return 0;
}
