/*
 * rayhist/buf.h - growable byte buffers that carry bytes out of the library.
 *
 * A buffer filled by the library belongs to the caller, who releases it with
 * rh_buf_dispose(). `ptr` is always NUL-terminated (the NUL is not counted in
 * `size`) once anything was written, so text can be used directly.
 * Thread-safety: a buffer is used by one thread at a time.
 */
#ifndef RAYHIST_BUF_H
#define RAYHIST_BUF_H

#include <stdarg.h>
#include "common.h"

RH_BEGIN_DECL

typedef struct rh_buf {
	char *ptr;    /**< the bytes; NULL while nothing was allocated */
	size_t size;  /**< bytes in use */
	size_t asize; /**< bytes allocated */
} rh_buf;

#define RH_BUF_INIT { NULL, 0, 0 }

/** Release the memory and reset to RH_BUF_INIT. NULL is fine. */
RH_EXTERN void rh_buf_dispose(rh_buf *buf);

/** Make room for at least `need` bytes in total (plus the NUL).
 * @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_buf_grow(rh_buf *buf, size_t need);

/** Append `len` bytes. @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_buf_put(rh_buf *buf, const void *data, size_t len);

/** Append a NUL-terminated string. @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_buf_puts(rh_buf *buf, const char *s);

/** Append printf-style text. @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_buf_printf(rh_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** As rh_buf_printf() with a va_list. */
RH_EXTERN int rh_buf_vprintf(rh_buf *buf, const char *fmt, va_list ap);

/** Drop the contents but keep the memory. */
RH_EXTERN void rh_buf_clear(rh_buf *buf);

RH_END_DECL

#endif
