/*
 * rayhist/timefmt.h - RFC 3339 times <-> int64 ns since the epoch: the form
 * Ray's RayEvents, S3 listings and the dashboard's JSON use. A utility: it
 * knows nothing of Ray (lib/util/timefmt.c).
 * Thread-safety: pure functions; any thread.
 */
#ifndef RAYHIST_TIMEFMT_H
#define RAYHIST_TIMEFMT_H

#include "common.h"
#include "buf.h"

RH_BEGIN_DECL

/**
 * Parse an RFC 3339 time ("2026-08-08T01:45:57.009825296Z", any number of
 * fraction digits up to 9, 'Z' or +hh:mm) into ns since the epoch.
 * @return 0 or RH_EINVAL.
 */
RH_EXTERN int rh_time_parse(int64_t *ns_out, const char *s, size_t len);

/** Format ns since the epoch as RFC 3339 UTC with 9 fraction digits
 * ("1970-01-01T00:00:00.000000001Z"); `out` gets the text appended.
 * @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_time_format(rh_buf *out, int64_t ns);

RH_END_DECL

#endif
