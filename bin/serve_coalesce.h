/* serve_coalesce.h - rayhist-serve's requests in flight: identical requests
 * that arrive while one is being answered wait for that answer instead of
 * computing it again.
 *
 * A session's answer is a function of the request (method, target, the
 * headers the dashboard reads) and the snapshot it is computed from; two
 * identical requests in flight at once read the same snapshot, so the
 * first one's answer is the second one's too. Without this, a page opened
 * by many clients at once (or a poll that every tab sends after a restart)
 * computes one answer per client before the kept-answer cache holds it,
 * and with the cache off (--cache-size 0) every time: 64 clients made 64
 * index queries of the same page, queued behind each other on the workers.
 *
 * The table lives on the event loop thread only: no lock. Items are the
 * caller's (rayhist-serve's jobs); the table keeps them in arrival order. */
#ifndef RH_SERVE_COALESCE_H
#define RH_SERVE_COALESCE_H

#include <stddef.h>

typedef struct serve_flights serve_flights;
typedef struct serve_flight serve_flight;

/* NULL when out of memory. */
serve_flights *serve_flights_new(void);
/* Every flight must have landed. NULL is fine. */
void serve_flights_free(serve_flights *t);

/* Join the flight computing `key` (`n` bytes): when one is in the air,
 * `item` is queued on it and *out is that flight (1 is returned: the
 * caller waits for serve_flight_land()); else a new flight led by the
 * caller is registered, *out is it (0 is returned: the caller computes).
 * -1 when out of memory (*out NULL: compute alone). */
int serve_flights_join(serve_flight **out, serve_flights *t, const char *key,
                       size_t n, void *item);

/* The leader's answer is done: `fl` is removed from the table (a request
 * arriving from now on leads a new flight) and freed. Its followers, in
 * arrival order, are handed over in *items (the caller frees the array
 * with free()); their count is returned. */
size_t serve_flight_land(void ***items, serve_flights *t, serve_flight *fl);

/* How many flights are in the air (tests, metrics). */
size_t serve_flights_count(const serve_flights *t);

#endif
