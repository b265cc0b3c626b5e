/* collect_progress.h - rayhist-collect's progress meter for a one-shot
 * capture (progress.h): the session directory is walked first for the
 * totals (regular files and their bytes), then every file the capture
 * reports counts as done. Silent unless stderr is a terminal. */
#ifndef RH_COLLECT_PROGRESS_H
#define RH_COLLECT_PROGRESS_H

#include "progress.h"

struct collect_progress {
	rh_meter meter;
	rh_progress p;
	char dir[4096];
};

void collect_progress_start(struct collect_progress *cp, const char *dir,
                            int quiet);
/* A file (relative to the session directory) was stored or skipped. */
void collect_progress_file(struct collect_progress *cp, const char *path);
/* Erase the line before other output (a warning); the next file redraws. */
void collect_progress_pause(struct collect_progress *cp);
void collect_progress_done(struct collect_progress *cp);

#endif
