/* lines.h - counting lines in a buffer, for search and the search filter
 * (which sits below it). */
#ifndef RH_UTIL_LINES_H
#define RH_UTIL_LINES_H

#include <stddef.h>
#include <stdint.h>

/* The number of '\n' bytes in p[0..n). */
uint64_t rh__count_nl(const char *p, size_t n);

#endif
