/* collect_events.h - rayhist-collect --events. */
#ifndef RH_COLLECT_EVENTS_H
#define RH_COLLECT_EVENTS_H

#include <rayhist/rayhist.h>

/* Ingest each file as an event batch of session `s`, `threads` files at
 * once (0: one per CPU); a file that cannot be read or parsed is reported
 * and skipped; reports come in the order of `files`. Returns the exit
 * status: 0, or 1 if any file failed. */
int rh_collect_events(rh_store *st, const rh_session_ref *s, char **files,
                      int nfiles, unsigned threads, int quiet);

#endif
