/* internal.h - what every lib/ file shares: config, public headers, error and
 * allocation helpers. Never installed. */
#ifndef RH_INTERNAL_H
#define RH_INTERNAL_H

#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rayhist/rayhist.h"
#include "alloc.h"
#include "clock.h"
#include "hash.h"
#include "sorted.h"

/** Set the thread's message and return `code` (for `return rh__error(...)`). */
int rh__error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int rh__verror(int code, const char *fmt, va_list ap);
/** 0 when a caller's struct of type `type` ("rh_capture_stats") says
 * `version` == `want`; else RH_EINVAL naming the struct and its _INIT. */
int rh__version_check(unsigned version, unsigned want, const char *type);

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

/* 0 when id is 1 to 128 hex digits (a Ray id as a request names it), else
 * RH_EINVAL saying which argument (`what`) is not. */
static inline int
rh__check_hex_id(const char *what, const char *id)
{
	size_t i, n = strlen(id);

	for (i = 0; i < n && i <= 128; i++)
		if (rh__hexval((unsigned char)id[i]) < 0)
			break;
	if (n == 0 || n > 128 || i < n)
		return rh__error(RH_EINVAL, "%s: \"%.40s\" is not a hex id",
		                 what, id);
	return 0;
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0 when
 * p[0] does not start one (RFC 3629: no overlongs, surrogates or code
 * points past U+10FFFF). */
static inline size_t
rh__utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, lo = p[0] == 0xe0 ? 0xa0 : 0x80,
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, lo = p[0] == 0xf0 ? 0x90 : 0x80,
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* layout.c: the key older versions gave a part of `path` when it differs
 * from today's (a name that is not UTF-8 was stored under its raw bytes);
 * RH_ENOTFOUND when there is none. For reading old stores. */
int rh_layout__legacy_part(rh_buf *out, const rh_session_ref *s,
                           const char *node_id, const char *path,
                           uint64_t offset);

/* layout.c: a session's generation marks (layout.h), internal until the
 * name is promised: "<session_prefix>marks/" and
 * "<session_prefix>marks/WRITER@GEN". WRITER is 1 to 160 bytes of
 * [a-z0-9-], GEN 1 to 64 lower-case hex digits; RH_EINVAL otherwise. */
#define RH_LAYOUT__MARKS "marks/"
int rh_layout__marks_prefix(rh_buf *out, const char *session_prefix);
int rh_layout__mark(rh_buf *out, const char *session_prefix, const char *writer,
                    const char *gen);

#endif
