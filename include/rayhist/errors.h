/*
 * rayhist/errors.h - return codes and the per-thread error message.
 *
 * Every library function that can fail returns 0 on success or one of the
 * negative codes below. A distinct code exists only where a caller acts
 * differently; the rest is RH_ERROR. The human-readable detail of the last
 * failure on the calling thread is rh_error_last(): read it right after the
 * failing call, before calling the library again on that thread.
 */
#ifndef RAYHIST_ERRORS_H
#define RAYHIST_ERRORS_H

#include "common.h"

RH_BEGIN_DECL

/** Return codes. 0 is success; all failures are negative. */
typedef enum rh_error_code {
	RH_OK = 0,
	RH_ERROR = -1,     /**< anything without a code of its own */
	RH_ENOTFOUND = -3, /**< the object, file or id does not exist */
	RH_EEXISTS = -4,   /**< it exists already */
	RH_EINVAL = -5,    /**< a bad argument, URL, key or query */
	RH_ECORRUPT = -6,  /**< stored data is truncated or damaged */
	RH_EIO = -7,       /**< I/O failed (after any retries) */
	RH_ENOMEM = -8,    /**< out of memory */
	RH_EBUSY = -9,     /**< try again later (e.g. an index being built) */
	RH_EACCES = -10,   /**< the store refuses this: a read-only folder or
				 mount, or credentials without the right */
	RH_ITEROVER = -31, /**< an iteration ended; not a failure */
} rh_error_code;

/**
 * The message of the calling thread's last failure: one line naming the
 * object and the problem. Never NULL ("" when there was none). Borrowed: valid
 * until the next failing library call on this thread.
 */
RH_EXTERN const char *rh_error_last(void);

/** A short static name for a code, e.g. "RH_ENOTFOUND". Never NULL. */
RH_EXTERN const char *rh_error_name(int code);

/** Forget the calling thread's last message. */
RH_EXTERN void rh_error_clear(void);

RH_END_DECL

#endif
