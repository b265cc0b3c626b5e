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
		return rh__error(RH_ENOMEM, "buffer of %zu bytes is too large", need);
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
