/* sorted.h - binary search over names kept in byte order (sorted.c). */
#ifndef RH_SORTED_H
#define RH_SORTED_H

#include <stddef.h>

/* The name of element i of `arr`. */
typedef const char *(*rh__name_at_fn)(const void *arr, size_t i);

/** Index of `key` among the `n` names of `arr` (in strcmp() order), or,
 * when absent, -(the index where it would go) - 1. */
long rh__sorted_find(const void *arr, size_t n, const char *key,
                     rh__name_at_fn name_at);

#endif
