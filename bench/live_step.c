/* live_step.c - where one live index update's time goes (bench/live.sh).
 *
 *   live_step EVENTS...   replay the files (JSON lines or arrays) into a
 *                         history, then time what each update of a live
 *                         session's index does whatever arrived: copy the
 *                         history, finish the copy, serialize it.
 *
 * Prints one line of key=value numbers. Built against the static library
 * and lib/'s internal headers (rh_history__clone is internal). */
#include "internal.h"
#include "history_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	rh_event_parse_options po = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_history *h = NULL, *c = NULL;
	rh_buf out = RH_BUF_INIT;
	double t0, t_clone, t_finish, t_write;
	char buf[1 << 16];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: live_step EVENTS...\n");
		return 2;
	}
	if (rh_history_new(&h, NULL) < 0)
		return 1;
	for (i = 1; i < argc; i++) {
		rh_event_parser *p = NULL;
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f || rh_event_parser_new(&p, argv[i], &po,
		                              rh_history_event_cb, h) < 0)
			return 1;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			if (rh_event_parser_feed(p, buf, n) != 0)
				return 1;
		if (rh_event_parser_finish(p) != 0)
			return 1;
		rh_event_parser_free(p);
		fclose(f);
	}
	t0 = now();
	if (rh_history__clone(&c, h) < 0)
		return 1;
	t_clone = now() - t0;
	t0 = now();
	if (rh_history_finish(c) < 0)
		return 1;
	t_finish = now() - t0;
	t0 = now();
	if (rh_history_write(&out, c) < 0)
		return 1;
	t_write = now() - t0;
	printf("tasks=%llu clone_s=%.3f finish_s=%.3f write_s=%.3f index_mb=%.1f\n",
	       (unsigned long long)rh_history_count(c, RH_ENTITY_TASK), t_clone,
	       t_finish, t_write, out.size / 1e6);
	rh_buf_dispose(&out);
	rh_history_free(c);
	rh_history_free(h);
	return 0;
}
