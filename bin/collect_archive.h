/* collect_archive.h - rayhist-collect --archive. */
#ifndef RH_COLLECT_ARCHIVE_H
#define RH_COLLECT_ARCHIVE_H

#include <rayhist/rayhist.h>

/* Import the archive at `path` ("-": stdin) with `o` (its report, progress
 * and payload are set here). Progress goes to stderr when it is a
 * terminal and not `quiet`. Returns the exit status: 0; 1 when the
 * archive was refused or the store failed (the message says why). */
int rh_collect_archive(rh_store *st, const char *path, rh_import_options *o,
                       int quiet, int verbose);

#endif
