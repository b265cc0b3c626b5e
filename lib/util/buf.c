/* buf.c - growable byte buffers (rayhist/buf.h). */
#include "internal.h"

#include <stdio.h>

RH_EXTERN void
rh_buf_dispose(rh_buf *buf)
{
	if (!buf)
		return;
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
}

RH_EXTERN void
rh_buf_clear(rh_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

RH_EXTERN int
rh_buf_grow(rh_buf *buf, size_t need)
{
	size_t want;
	char *p;

	if (need < SIZE_MAX && need + 1 <= buf->asize)
		return 0;
	if (need >= SIZE_MAX / 2)
		return rh__error(RH_ENOMEM, "buffer of %zu bytes is too large",
		                 need);
	/* Grow by half again so n appends cost O(n) copies in total. */
	want = buf->asize + buf->asize / 2;
	if (want < need + 1)
		want = need + 1;
	if (want < 64)
		want = 64;
	if (!(p = rh__realloc(buf->ptr, want)))
		return RH_ENOMEM;
	if (!buf->ptr)
		p[0] = '\0';
	buf->ptr = p;
	buf->asize = want;
	return 0;
}

RH_EXTERN int
rh_buf_put(rh_buf *buf, const void *data, size_t len)
{
	int error;

	if (len > SIZE_MAX - buf->size - 1)
		return rh__error(RH_ENOMEM, "buffer would overflow");
	if ((error = rh_buf_grow(buf, buf->size + len)) < 0)
		return error;
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

RH_EXTERN int
rh_buf_puts(rh_buf *buf, const char *s)
{
	return rh_buf_put(buf, s, strlen(s));
}

RH_EXTERN int
rh_buf_vprintf(rh_buf *buf, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, error;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return rh__error(RH_EINVAL, "bad format string");
	if ((error = rh_buf_grow(buf, buf->size + (size_t)n)) < 0)
		return error;
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	buf->size += (size_t)n;
	return 0;
}

RH_EXTERN int
rh_buf_printf(rh_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = rh_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return error;
}

/* ---- bytes as text ------------------------------------------------------ */

RH_EXTERN size_t
rh_utf8_kept_len(const void *data, size_t n)
{
	const unsigned char *s = data;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	/* RFC 3629's table: no overlong forms, surrogates or > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	/* U+EF80..U+EFFF carry mapped bytes: a real one is mapped too, so
	 * that the way back is exact */
	if (c == 0xee && s[1] >= 0xbe)
		return 0;
	return len;
}

RH_EXTERN int
rh_buf_put_utf8(rh_buf *buf, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t i = 0, k, run = 0;
	char m[3];
	int error;

	while (i < len) {
		if ((k = rh_utf8_kept_len(s + i, len - i))) {
			i += k;
			continue;
		}
		if ((error = rh_buf_put(buf, s + run, i - run)) < 0)
			return error;
		/* U+EF00 + byte: EE BC|BD|BE|BF xx; for bytes >= 0x80, BE/BF */
		m[0] = (char)0xee;
		m[1] = (char)(0xbc | (s[i] >> 6));
		m[2] = (char)(0x80 | (s[i] & 0x3f));
		if ((error = rh_buf_put(buf, m, 3)) < 0)
			return error;
		run = ++i;
	}
	return rh_buf_put(buf, s + run, len - run);
}

RH_EXTERN int
rh_buf_put_from_utf8(rh_buf *buf, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, run = 0;
	unsigned char b;
	int error;

	while (i < len) {
		if (s[i] != 0xee || len - i < 3 ||
		    (s[1 + i] != 0xbe && s[1 + i] != 0xbf) || s[2 + i] < 0x80 ||
		    s[2 + i] > 0xbf) {
			i++;
			continue;
		}
		if ((error = rh_buf_put(buf, s + run, i - run)) < 0)
			return error;
		b = (unsigned char)(((s[1 + i] & 0x03) << 6) |
		                    (s[2 + i] & 0x3f));
		if ((error = rh_buf_put(buf, &b, 1)) < 0)
			return error;
		run = i += 3;
	}
	return rh_buf_put(buf, s + run, len - run);
}
