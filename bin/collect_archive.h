/* collect_archive.h - rayhist-collect --archive. */
#ifndef RH_COLLECT_ARCHIVE_H
#define RH_COLLECT_ARCHIVE_H

#include <rayhist/rayhist.h>

/* Import the archive at `path` ("-": stdin) with `o` (its report, progress
 * and payload are set here). Progress goes to stderr when it is a
 * terminal and not `quiet`. With o->ended and `build_index`, each session
 * captured then gets its index (collect_index.h, `threads` parsers).
 * Returns the exit status: 0; 1 when the archive was refused or the store
 * failed (the message says why); a failed index build changes nothing. */
int rh_collect_archive(rh_store *st, const char *path, rh_import_options *o,
                       int quiet, int verbose, int build_index,
                       unsigned threads);

#endif
