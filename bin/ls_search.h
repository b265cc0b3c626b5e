/* ls_search.h - rayhist-ls --grep: print what rh_search_session() finds. */
#ifndef RH_LS_SEARCH_H
#define RH_LS_SEARCH_H

#include <rayhist/rayhist.h>

/* Search session `s` and print NODE/FILE:LINE:TEXT lines (grep -n style,
 * "-" for context lines and "--" between groups), or a JSON array with
 * `json`. Returns the exit status as grep's: 0 a line matched, 1 none did,
 * 2 trouble (a file could not be read, or the search failed). A meter
 * shows the bytes and files searched on a terminal unless `quiet`. */
int rh_ls_grep(rh_store *st, const rh_session_ref *s, const char *pattern,
               const rh_search_options *o, int json, int quiet);

#endif
