/* ls_parallel.h - run one job per item on a few threads: rayhist-ls -l
 * reads a manifest per session or node, and over an object store each is
 * a round trip; read at once, a listing costs a few round trips, not one
 * per item. */
#ifndef LS_PARALLEL_H
#define LS_PARALLEL_H

#include <stddef.h>

/* Call job(i, payload) for every i in [0, n), on up to `threads` threads
 * (this one included; 1: all on this thread), and return when all are done.
 * Jobs must only touch item i's own data. */
void ls_parallel(size_t n, void (*job)(size_t i, void *payload), void *payload,
                 unsigned threads);

#endif
