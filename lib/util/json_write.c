/* json_write.c - writing JSON: strings (valid UTF-8 out, whatever comes
 * in), doubles as Python prints them, and a writer that puts the commas in
 * (json_write.h). Ray's programs are Python, so every JSON rayhist writes
 * for Ray's clients, the index's rows and the dashboard's answers, goes
 * through here. Nothing Ray-specific: the shapes are the callers'. */
#include "json_write.h"
#include "swar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings and numbers ---------------------------------------------------- */

int
rh__json_strn(rh_buf *b, const char *s, size_t n, int escape_del)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, run = 0;
	int error = 0;

	/* Reserve the common case (nothing to escape) at once, so the bytes go
	 * in with one copy. */
	if ((error = rh_buf_grow(b, b->size + n + 2)) < 0 ||
	    (error = rh_buf_put(b, "\"", 1)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		size_t elen = 2;

		size_t k;

		if (c >= 0x80 && (k = rh_utf8_kept_len(s + i, n - i))) {
			i += k - 1; /* valid UTF-8: as it is */
			continue;
		}
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
		    (c != 0x7f || !escape_del))
			continue;
		if ((error = rh_buf_put(b, s + run, i - run)) < 0)
			return error;
		run = i + 1;
		if (c >= 0x80) {
			/* not UTF-8: the byte as U+EF00+byte, which
			 * rh_buf_put_from_utf8() turns back into it */
			esc[2] = 'e';
			esc[3] = 'f';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			if ((error = rh_buf_put(b, esc, 6)) < 0)
				return error;
			esc[2] = esc[3] = '0';
			continue;
		}
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			e = esc;
			elen = 6;
		}
		if ((error = rh_buf_put(b, e, elen)) < 0)
			return error;
	}
	if ((error = rh_buf_put(b, s + run, n - run)) < 0)
		return error;
	return rh_buf_put(b, "\"", 1);
}

int
rh__json_str(rh_buf *b, const char *s)
{
	if (!s)
		return rh_buf_put(b, "null", 4);
	return rh__json_strn(b, s, strlen(s), 0);
}

/* The digits below, for d not whole, 1 <= |d| < 2^53 (all of a profile's
 * times in ms, the bulk of a detailed task page), worked out in integers:
 * printf's "%.*e" and strtod() cost some microseconds a value. The same
 * answer as the search below: the value rounded (half to even, as printf)
 * to 15, then 16, then 17 significant digits, the first that reads back as
 * d (nearest, ties to even, as strtod), printed with its trailing zeros
 * trimmed. Returns the length written to out, 0 when d is outside the
 * range (or at the bottom of a binade, where the gap below is half the gap
 * above): the search then decides. */
#ifdef __SIZEOF_INT128__
static int
pyfloat_fast(char *out, double d)
{
	typedef unsigned __int128 u128;
	static const uint64_t p10[] = {
		1ull,
		10ull,
		100ull,
		1000ull,
		10000ull,
		100000ull,
		1000000ull,
		10000000ull,
		100000000ull,
		1000000000ull,
		10000000000ull,
		100000000000ull,
		1000000000000ull,
		10000000000000ull,
		100000000000000ull,
		1000000000000000ull,
		10000000000000000ull,
	};
	double a = d < 0 ? -d : d;
	uint64_t bits, m, ip;
	int s, intdigits = 0, sig, f, o = 0, n, i;
	char digs[40];
	u128 pow10, nn, q = 0, r, half, dist, c;

	if (!(a >= 1.0 && a < 9007199254740992.0))
		return 0;
	memcpy(&bits, &a, 8);
	m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
	s = 1075 - (int)(bits >> 52); /* a = m / 2^s, 0 <= s <= 52 */
	if (m == 1ull << 52 || s <= 0)
		return 0;
	for (ip = m >> s; ip; ip /= 10)
		intdigits++;
	if (intdigits > 15) /* 15 digits would round to tens */
		return 0;
	for (sig = 15; sig <= 17; sig++) {
		f = sig - intdigits;
		pow10 = p10[f];
		nn = (u128)m * pow10; /* a * 10^f * 2^s, < 2^107 */
		q = nn >> s;
		r = nn & (((u128)1 << s) - 1);
		half = (u128)1 << (s - 1);
		if (r > half || (r == half && (q & 1)))
			q++;
		c = q << s;
		dist = c > nn ? c - nn : nn - c;
		if (2 * dist < pow10 || (2 * dist == pow10 && !(m & 1)))
			break;
	}
	if (sig > 17) /* 17 digits always read back; not reached */
		return 0;
	/* q < 10^17: its digits in 64 bits (a 128-bit division is a call) */
	for (n = 0, ip = (uint64_t)q; ip; ip /= 10)
		digs[n++] = (char)('0' + (int)(ip % 10));
	/* digs: n digits, least significant first; f of them after the point */
	i = 0;
	while (i < f - 1 && digs[i] == '0')
		i++; /* trailing zeros, keeping one fractional digit */
	if (d < 0)
		out[o++] = '-';
	while (n > f)
		out[o++] = digs[--n];
	out[o++] = '.';
	if (f == 0)
		out[o++] = '0';
	while (n > i)
		out[o++] = digs[--n];
	return o;
}
#else
/* no 128-bit integers (32-bit targets): the search decides every value */
static int
pyfloat_fast(char *out, double d)
{
	(void)out;
	(void)d;
	return 0;
}
#endif

/* A double as Python's repr() prints it: the shortest digits that read back
 * the same, in fixed notation for exponents -4..15 and with ".0" on whole
 * numbers; Ray's state API prints resources through Python. */
int
rh__json_pyfloat(rh_buf *b, double d)
{
	char tmp[40], digs[24], out[64];
	int prec, exp10, nd = 0, i, o = 0;
	char *e;

	if (d != d)
		return rh_buf_puts(b, "NaN");
	if (d > 1.7976931348623157e308)
		return rh_buf_puts(b, "Infinity");
	if (d < -1.7976931348623157e308)
		return rh_buf_puts(b, "-Infinity");
	/* Whole numbers (times in ms, CPU counts) are most values: print them
	 * as Python does, "N.0", without the round-trip search below. */
	if (d > -1e16 && d < 1e16 && d == (double)(long long)d) {
		int n = snprintf(out, sizeof(out), "%lld.0", (long long)d);
		if (d == 0 && signbit(d))
			return rh_buf_puts(b, "-0.0");
		return rh_buf_put(b, out, (size_t)n);
	}
	if ((o = pyfloat_fast(out, d)) > 0)
		return rh_buf_put(b, out, (size_t)o);
	/* The shortest digits that read back as d (Python's repr): 15
	 * significant digits round-trip unless d needs 16 or 17, and a
	 * shorter form, if any, shows as trailing zeros trimmed below. */
	for (prec = 14; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]d.ddde[+-]xx */
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	for (i = 0; tmp + i < e; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9')
			digs[nd++] = tmp[i];
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	if (d < 0)
		out[o++] = '-';
	if (exp10 < -4 || exp10 >= 16) {
		out[o++] = digs[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digs + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		o += snprintf(out + o, sizeof(out) - (size_t)o, "e%c%02d",
		              exp10 < 0 ? '-' : '+',
		              exp10 < 0 ? -exp10 : exp10);
	} else if (exp10 < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = -1; i > exp10; i--)
			out[o++] = '0';
		memcpy(out + o, digs, (size_t)nd);
		o += nd;
	} else {
		for (i = 0; i <= exp10; i++)
			out[o++] = i < nd ? digs[i] : '0';
		out[o++] = '.';
		if (nd > exp10 + 1) {
			memcpy(out + o, digs + exp10 + 1,
			       (size_t)(nd - exp10 - 1));
			o += nd - exp10 - 1;
		} else {
			out[o++] = '0';
		}
	}
	return rh_buf_put(b, out, (size_t)o);
}

/* ---- the writer ------------------------------------------------------------ */

void
rh__jw_init(rh__jw *w, rh_buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->escape_del = 1;
}

/* A page of rows is some thousand small appends (keys, ids, numbers): they
 * go straight into the buffer's spare room, which grows only when short;
 * rh_buf_put()'s checks and printf's two passes were most of a row's cost.
 * Room for n more bytes (and the NUL), or NULL after a failure (sticky). */
static inline char *
room(rh__jw *w, size_t n)
{
	rh_buf *b = w->b;

	if (w->err)
		return NULL;
	if (b->size + n >= b->asize &&
	    (w->err = rh_buf_grow(b, b->size + n)) < 0)
		return NULL;
	return b->ptr + b->size;
}

/* n bytes were written at room()'s pointer. */
static inline void
done(rh__jw *w, size_t n)
{
	w->b->size += n;
	w->b->ptr[w->b->size] = '\0';
}

static void
put(rh__jw *w, const char *s, size_t n)
{
	char *p;

	if ((p = room(w, n))) {
		memcpy(p, s, n);
		done(w, n);
	}
}

/* Before a value or a key: does a comma go first? Not for the first member
 * of a container nor right after a key. */
static inline int
comma(rh__jw *w)
{
	int c;

	if (w->after_key) {
		w->after_key = 0;
		return 0;
	}
	if (w->depth == 0)
		return 0;
	c = !(w->first[w->depth - 1] & 1);
	w->first[w->depth - 1] &= (unsigned char)~1u;
	return c;
}

static void
sep(rh__jw *w)
{
	if (comma(w))
		put(w, ",", 1);
}

/* first[] per open container: bit 0 "nothing written yet", bit 1 "array" */
static void
open_(rh__jw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth >= RH_JW_MAX_DEPTH) {
		if (!w->err)
			w->err = rh__error(RH_ERROR, "JSON nested too deep");
		return;
	}
	w->first[w->depth++] = (unsigned char)(1 | (*c == '[' ? 2 : 0));
}

void
rh__jw_obj(rh__jw *w)
{
	open_(w, "{");
}

void
rh__jw_arr(rh__jw *w)
{
	open_(w, "[");
}

void
rh__jw_end(rh__jw *w)
{
	if (w->depth == 0)
		return;
	w->depth--;
	put(w, (w->first[w->depth] & 2) ? "]" : "}", 1);
}

/* A plain byte goes out as it is: printable ASCII but '"' and '\\', and
 * 0x7f unless escape_del (Python's json.dumps() escapes it; the index's
 * rows do not). Everything else goes to rh__json_strn(): control bytes are
 * escaped, bytes >= 0x80 are checked for UTF-8 (rh_buf_put_utf8()'s
 * mapping for those that are not). */
static inline int
plain_byte(unsigned char c, int escape_del)
{
	return c >= 0x20 && c < (escape_del ? 0x7f : 0x80) && c != '"' &&
	       c != '\\';
}

/* Does any of the 8 bytes of x (SWAR) possibly need more than a copy: a
 * control byte, '"', '\\', 0x7f or a byte >= 0x80? Never a false "no"
 * (the borrow of a byte below 0x20 can only flag bytes above it): a "yes"
 * is settled byte by byte with plain_byte(). */
static inline uint64_t
swar_special(uint64_t x)
{
	return (x | rh__swar_below(x, 0x20) | rh__swar_eq(x, '"') |
	        rh__swar_eq(x, '\\') | rh__swar_eq(x, 0x7f)) &
	       RH__SWAR_HIGH;
}

/* The length of the plain run at the start of [s, s+n): the bytes that go
 * out as they are. Task rows are ids, names and paths, all plain: 8 bytes
 * are checked at once, and only a block holding a special byte is walked
 * byte by byte. */
static inline size_t
plain_run(const rh__jw *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	int del = w->escape_del != 0;
	size_t i = 0;
	uint64_t x;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, u + i, 8);
		if (swar_special(x))
			break;
	}
	/* the last 1-7 bytes: the 8 that end the string, when it has 8 */
	if (i < n && n >= 8 && i + 8 > n) {
		memcpy(&x, u + n - 8, 8);
		if (!swar_special(x))
			return n;
	}
	while (i < n && plain_byte(u[i], del))
		i++;
	return i;
}

/* [s, s+n) as a JSON string after a comma when `c`: one copy when nothing
 * needs escaping, else rh__json_strn(). */
static void
put_string(rh__jw *w, int c, const char *s, size_t n)
{
	size_t k = plain_run(w, s, n);
	char *p;

	if (k < n) {
		if (c)
			put(w, ",", 1);
		if (!w->err)
			w->err = rh__json_strn(w->b, s, n, w->escape_del);
		return;
	}
	if ((p = room(w, n + 2 + (size_t)c))) {
		if (c)
			*p++ = ',';
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		done(w, n + 2 + (size_t)c);
	}
}

void
rh__jw_key(rh__jw *w, const char *k)
{
	put_string(w, comma(w), k, strlen(k));
	put(w, ":", 1);
	w->after_key = 1;
}

void
rh__jw_name_n(rh__jw *w, const char *k, size_t n)
{
	int c = comma(w);
	char *p;

	if ((p = room(w, n + 3 + (size_t)c))) {
		if (c)
			*p++ = ',';
		p[0] = '"';
		memcpy(p + 1, k, n);
		p[n + 1] = '"';
		p[n + 2] = ':';
		done(w, n + 3 + (size_t)c);
	}
	w->after_key = 1;
}

void
rh__jw_strn(rh__jw *w, const char *s, size_t n)
{
	put_string(w, comma(w), s, n);
}

void
rh__jw_str(rh__jw *w, const char *s)
{
	if (!s) {
		rh__jw_null(w);
		return;
	}
	put_string(w, comma(w), s, strlen(s));
}

/* Decimal digits of v, as "%lld" prints them; returns the length. Two
 * digits a division: times in ms have 13. */
static size_t
fmt_i64(char *dst, int64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t len;

	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);

		u /= 100;
		p -= 2;
		memcpy(p, pairs + 2 * r, 2);
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * u, 2);
	} else {
		*--p = (char)('0' + u);
	}
	if (v < 0)
		*--p = '-';
	len = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(dst, p, len);
	return len;
}

void
rh__jw_int_suffix(rh__jw *w, int64_t v, const char *suffix)
{
	size_t slen = strlen(suffix), n;
	int c = comma(w);
	char *p;

	if ((p = room(w, 25 + slen))) {
		if (c)
			*p++ = ',';
		n = fmt_i64(p, v);
		memcpy(p + n, suffix, slen);
		done(w, n + slen + (size_t)c);
	}
}

void
rh__jw_int(rh__jw *w, int64_t v)
{
	rh__jw_int_suffix(w, v, "");
}

/* The shortest digits that read back the same, as Python's repr(); whole
 * numbers get ".0" and the exponent form is used outside 1e-4..1e16. */
void
rh__jw_num(rh__jw *w, double d)
{
	sep(w);
	/* JSON has no NaN or infinities: Ray's dashboard sends null. */
	if (d != d || d > 1.7976931348623157e308 ||
	    d < -1.7976931348623157e308) {
		put(w, "null", 4);
		return;
	}
	if (w->err == 0)
		w->err = rh__json_pyfloat(w->b, d);
}

void
rh__jw_bool(rh__jw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
rh__jw_null(rh__jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
rh__jw_raw(rh__jw *w, const char *json)
{
	if (!json || !*json) {
		rh__jw_null(w);
		return;
	}
	sep(w);
	put(w, json, strlen(json));
}

void
rh__jw_pyfloat(rh__jw *w, double d)
{
	sep(w);
	if (!w->err)
		w->err = rh__json_pyfloat(w->b, d);
}
