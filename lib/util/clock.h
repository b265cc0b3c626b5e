/* clock.h - the library's two clocks, in milliseconds (clock.c). */
#ifndef RH_CLOCK_H
#define RH_CLOCK_H

#include <stdint.h>

/** Wall clock, ms since the epoch: for times that are stored or shown. */
int64_t rh__now_ms(void);
/** A clock that never jumps (CLOCK_MONOTONIC), ms: for ages, timeouts and
 * intervals, which a stepped wall clock would stretch or reverse. */
int64_t rh__mono_ms(void);

#endif
