/* events_ids.c - Ray ids: base64 (as protobuf JSON prints bytes) to lower-case hex. */
#include "internal.h"
#include "events_internal.h"

#include <pthread.h>

static const char hexdigits[] = "0123456789abcdef";

/* 0..63 for base64 digits ('-' and '_' are the URL-safe alphabet), 64 for
 * anything else; and 0..15 / 16 for hex digits. Tables, since every event
 * carries several ids. */
static unsigned char b64tab[256], hextab[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void
init_tables(void)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int i;

	memset(b64tab, 64, sizeof(b64tab));
	memset(hextab, 16, sizeof(hextab));
	for (i = 0; i < 64; i++)
		b64tab[(unsigned char)alpha[i]] = (unsigned char)i;
	b64tab['-'] = 62;
	b64tab['_'] = 63;
	for (i = 0; i < 10; i++)
		hextab['0' + i] = (unsigned char)i;
	for (i = 0; i < 6; i++) {
		hextab['a' + i] = (unsigned char)(10 + i);
		hextab['A' + i] = (unsigned char)(10 + i);
	}
}

static inline int
hexval(unsigned char c)
{
	return hextab[c] < 16 ? hextab[c] : -1;
}

RH_EXTERN int
rh_id_is_hex(const char *s, size_t len)
{
	size_t i;

	if (!s || len == 0)
		return 0;
	pthread_once(&tables_once, init_tables);
	for (i = 0; i < len; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

size_t
rh_events__id_hex_max(size_t len)
{
	/* base64 of len chars decodes to <= len*3/4 bytes = len*3/2 hex;
	 * hex input stays len. */
	return len * 2 + 1;
}

/* Write the hex form of id [s, s+len) to `dst` (room for
 * rh_events__id_hex_max(len) bytes, NUL included). Returns the hex length,
 * or -1 when the id is neither hex nor base64. */
ssize_t
rh_events__id_to_hex(char *dst, const char *s, size_t len)
{
	size_t i, n = 0, end = len;
	unsigned acc = 0;
	int bits = 0;

	if (rh_id_is_hex(s, len)) {
		/* A hex id: protobuf base64 never looks like this except for
		 * ids whose base64 happens to use only [0-9a-fA-F]; those are
		 * multiples of 4 long and of an even number of bytes, which a
		 * Ray id is too. KubeRay treats such strings as hex; so do we,
		 * since hex is what Ray's own tools write. */
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			dst[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
		}
		dst[len] = '\0';
		return (ssize_t)len;
	}
	while (end > 0 && s[end - 1] == '=')
		end--;
	if (len - end > 2 || end % 4 == 1)
		return -1;
	/* Four digits at a time, then the 2 or 3 left over. */
	for (i = 0; i + 4 <= end; i += 4) {
		unsigned a = b64tab[(unsigned char)s[i]],
			 b = b64tab[(unsigned char)s[i + 1]];
		unsigned c = b64tab[(unsigned char)s[i + 2]],
			 d = b64tab[(unsigned char)s[i + 3]];
		unsigned v;

		if ((a | b | c | d) & 64)
			return -1;
		v = a << 18 | b << 12 | c << 6 | d;
		dst[n++] = hexdigits[v >> 20];
		dst[n++] = hexdigits[v >> 16 & 15];
		dst[n++] = hexdigits[v >> 12 & 15];
		dst[n++] = hexdigits[v >> 8 & 15];
		dst[n++] = hexdigits[v >> 4 & 15];
		dst[n++] = hexdigits[v & 15];
	}
	for (; i < end; i++) {
		unsigned v = b64tab[(unsigned char)s[i]];

		if (v & 64)
			return -1;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			unsigned char b;

			bits -= 8;
			b = (unsigned char)(acc >> bits);
			dst[n++] = hexdigits[b >> 4];
			dst[n++] = hexdigits[b & 15];
			acc &= (1u << bits) - 1;
		}
	}
	dst[n] = '\0';
	return (ssize_t)n;
}

RH_EXTERN int
rh_id_to_hex(rh_buf *out, const char *id, size_t len)
{
	ssize_t n;
	int error;

	if (!out || (!id && len))
		return rh__error(RH_EINVAL, "rh_id_to_hex: NULL argument");
	if ((error = rh_buf_grow(out, out->size + rh_events__id_hex_max(len))) <
	    0)
		return error;
	if ((n = rh_events__id_to_hex(out->ptr + out->size, id ? id : "",
	                              len)) < 0) {
		if (out->ptr)
			out->ptr[out->size] = '\0';
		return rh__error(RH_EINVAL,
		                 "\"%.*s\" is neither hex nor base64",
		                 (int)(len > 64 ? 64 : len), id);
	}
	out->size += (size_t)n;
	return 0;
}

int
rh_events__is_nil_hex(const char *hex)
{
	size_t i;

	if (!hex || !hex[0])
		return 1;
	for (i = 0; hex[i]; i++)
		if (hex[i] != 'f')
			return 0;
	return 1;
}
