/* collect_index.h - rayhist-collect builds a session's index once it has
 * marked the session ended (collect_index.c), so that a server's first
 * open reads the index instead of replaying every event. */
#ifndef RH_COLLECT_INDEX_H
#define RH_COLLECT_INDEX_H

#include <rayhist/rayhist.h>

/*
 * Build (or find current) the index of session `s` with rh_index_refresh(),
 * on `threads` parsing threads (0: one per CPU), with a progress meter on
 * a terminal unless `quiet`. Prints one line saying what was done unless
 * `quiet`, and each warning the index records (a damaged event object that
 * was skipped) on stderr. A build that fails is a warning, not a failure:
 * the capture is stored whatever happens here, and a server builds the
 * index on first open as it does for a session nobody marked ended.
 * @return 0 when the index is built and current, 1 when it is not.
 */
int rh_collect_index(rh_store *st, const rh_session_ref *s, unsigned threads,
                     int quiet);

#endif
