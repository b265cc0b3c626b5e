/* ls_export.h - rayhist-ls --export. */
#ifndef RH_LS_EXPORT_H
#define RH_LS_EXPORT_H

#include <rayhist/rayhist.h>

/* Write session `s` (one node when `node` is not NULL; files under
 * `prefix` when it is not NULL; as at `at_ms` when not 0) to `out` ("-":
 * stdout) in `format` (NULL: from out's extension). A file is written
 * beside OUT and renamed into place when complete, so a failed export
 * leaves no partial OUT. A meter shows the bytes written on a terminal
 * unless `quiet`. Returns the exit status (0 or 1). */
int rh_ls_export(rh_store *st, const rh_session_ref *s, const char *node,
                 const char *prefix, int64_t at_ms, const char *out,
                 const char *format, int quiet);

#endif
