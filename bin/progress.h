/* progress.h - a progress meter on a terminal for long work (an index
 * build, a capture): bytes, files, rate and ETA on one line of stderr,
 * redrawn at most ten times a second and erased when the work is done.
 * Off when stderr is not a terminal (a pipe, a file, a log) or with -q. */
#ifndef RH_PROGRESS_H
#define RH_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include <rayhist/rayhist.h>

typedef struct rh_meter {
	int on;
	const char *label;
	int64_t start_ms, last_ms;
	int drawn; /* a line is on the screen */
} rh_meter;

/* Start a meter; `quiet` (or stderr not a terminal) keeps it silent. */
void rh_meter_init(rh_meter *m, const char *label, int quiet);
/* An rh_progress_cb: `payload` is the rh_meter. */
void rh_meter_update(const rh_progress *p, void *payload);
/* Draw p whatever the redraw interval: the work's final state, for work
 * whose last update cannot be told from the others (no total known). */
void rh_meter_final(rh_meter *m, const rh_progress *p);
/* Erase the line, if one was drawn. */
void rh_meter_done(rh_meter *m);

/* The meter's line for progress p after elapsed_ms, into buf:
 * "LABEL: 1.2 MiB of 4.0 MiB (30%), 12 of 40 files, 2.0 MiB/s, ETA 0:02";
 * unknown parts (no total, no time yet) are left out or "-". */
void rh_meter_format(char *buf, size_t cap, const char *label,
                     const rh_progress *p, int64_t elapsed_ms);

#endif
