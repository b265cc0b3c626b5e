/* internal.h - what every lib/ file shares: config, public headers, error and
 * allocation helpers. Never installed. */
#ifndef RH_INTERNAL_H
#define RH_INTERNAL_H

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "rayhist/rayhist.h"
#include "alloc.h"

/** Set the thread's message and return `code` (for `return rh__error(...)`). */
int rh__error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rh__verror(int code, const char *fmt, va_list ap);

#define RH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The value of a hex digit, or -1. */
static inline int
rh__hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
