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

#define RH_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

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

/**
 * Bytes as text, reversibly (file names and values need not be UTF-8, JSON
 * must be): a valid UTF-8 sequence is kept, except those of U+EF80..U+EFFF;
 * every other byte B (0x80..0xff) becomes U+EF00+B, a private-use code
 * point, written in UTF-8. rh_buf_put_from_utf8() undoes it exactly, so a
 * client can send back a name it was given (e.g. percent-encoded in a URL)
 * and the server find the bytes. JSON written by librayhist uses this
 * mapping (as "\uefXX" escapes).
 * @return 0 or RH_ENOMEM.
 */
RH_EXTERN int rh_buf_put_utf8(rh_buf *buf, const void *data, size_t len);

/** The inverse of rh_buf_put_utf8(): U+EF80..U+EFFF (in UTF-8) become the
 * bytes 0x80..0xff; everything else is copied. @return 0 or RH_ENOMEM. */
RH_EXTERN int rh_buf_put_from_utf8(rh_buf *buf, const char *text, size_t len);

/** Length of the UTF-8 sequence at s[0..n) that rh_buf_put_utf8() keeps as
 * it is (1 for ASCII, 2-4), or 0 when s[0] is a byte it maps. */
RH_EXTERN size_t rh_utf8_kept_len(const void *s, size_t n);

/** Drop the contents but keep the memory. */
RH_EXTERN void rh_buf_clear(rh_buf *buf);

RH_END_DECL

#endif
