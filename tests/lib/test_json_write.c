/* Tests of lib/util/json_write.c: the one JSON writer of the index's rows and the
 * dashboard's answers. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"

static rh_buf out = RH_BUF_INIT, ref = RH_BUF_INIT;

static void
fini(void)
{
	rh_buf_dispose(&out);
	rh_buf_dispose(&ref);
}

TestSuite(json_write, .fini = fini);

/* The copy-as-is path must give rh__json_strn()'s bytes for every byte
 * value, alone and between plain text, with 0x7f escaped or not. */
Test(json_write, strings_match_the_escaping_reference_for_every_byte)
{
	char s[8];
	int c, del;

	for (del = 0; del <= 1; del++) {
		for (c = 0; c < 256; c++) {
			rh__jw w;

			snprintf(s, sizeof(s), "a%cb", c ? c : 'x');
			if (!c)
				s[1] = '\0';
			rh_buf_clear(&out);
			rh_buf_clear(&ref);
			rh__jw_init(&w, &out);
			w.escape_del = del;
			rh__jw_strn(&w, s, 3);
			cr_assert_eq(w.err, 0);
			cr_assert_eq(rh__json_strn(&ref, s, 3, del), 0);
			cr_assert_str_eq(out.ptr, ref.ptr,
			                 "byte 0x%02x, escape_del %d", c, del);
		}
	}
}

Test(json_write, del_is_escaped_by_default_and_kept_when_asked)
{
	rh__jw w;

	rh__jw_init(&w, &out);
	rh__jw_str(&w, "x\x7fy");
	cr_assert_str_eq(out.ptr, "\"x\\u007fy\"");
	rh_buf_clear(&out);
	rh__jw_init(&w, &out);
	w.escape_del = 0;
	rh__jw_str(&w, "x\x7fy");
	cr_assert_str_eq(out.ptr, "\"x\x7fy\"");
}

Test(json_write, commas_nesting_numbers_and_nulls)
{
	rh__jw w;

	rh__jw_init(&w, &out);
	rh__jw_obj(&w);
	rh__jw_kint(&w, "min", INT64_MIN);
	rh__jw_kint(&w, "max", INT64_MAX);
	rh__jw_key(&w, "ms");
	rh__jw_int_suffix(&w, -12, ".0");
	rh__jw_key(&w, "a");
	rh__jw_arr(&w);
	rh__jw_obj(&w);
	rh__jw_end(&w);
	rh__jw_str(&w, NULL);
	rh__jw_raw(&w, "");
	rh__jw_raw(&w, "{\"k\":1}");
	rh__jw_pyfloat(&w, 0.5);
	rh__jw_num(&w, 2.0);
	rh__jw_bool(&w, 0);
	rh__jw_end(&w);
	rh__jw_end(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_str_eq(out.ptr,
	                 "{\"min\":-9223372036854775808,"
	                 "\"max\":9223372036854775807,\"ms\":-12.0,"
	                 "\"a\":[{},null,null,{\"k\":1},0.5,2.0,false]}");
}

/* The index's rows go through the writer with 0x7f kept, as they always
 * were, and everything else escaped as the dashboard's answers are. */
Test(json_write, rows_keep_del_and_escape_the_rest)
{
	rh_row row;

	memset(&row, 0, sizeof(row));
	row.entity = RH_ENTITY_PLACEMENT_GROUP;
	row.u.pg.placement_group_id = "ab";
	row.u.pg.name = "n\x7f\"\n\xff";
	row.u.pg.creator_job_id = NULL;
	cr_assert_eq(rh_dashboard_row_json(&out, &row, 0), 0);
	cr_assert_str_eq(
		out.ptr,
		"{\"placement_group_id\":\"ab\","
		"\"name\":\"n\x7f\\\"\\n\\uefff\",\"creator_job_id\":null,"
		"\"state\":\"PENDING\"}");
}

/* The 8-bytes-at-once scan of plain text must stop for every byte that is
 * not copied as it is, wherever it sits against the 8-byte blocks: each
 * byte value at each position of strings of 1 to 24 bytes, NUL-terminated
 * and counted, against rh__json_strn(), 0x7f escaped and not. */
Test(json_write, strings_escape_every_byte_at_every_position)
{
	char s[32];
	size_t len, at;
	int c, del, counted;

	for (del = 0; del <= 1; del++)
		for (len = 1; len <= 24; len++)
			for (at = 0; at < len; at++)
				for (c = 1; c < 256; c++)
					for (counted = 0; counted <= 1;
					     counted++) {
						rh__jw w;

						memset(s, 'a', len);
						s[len] = '\0';
						s[at] = (char)c;
						rh_buf_clear(&out);
						rh_buf_clear(&ref);
						rh__jw_init(&w, &out);
						w.escape_del = del;
						if (counted)
							rh__jw_strn(&w, s, len);
						else
							rh__jw_str(&w, s);
						cr_assert_eq(w.err, 0);
						cr_assert_eq(
							rh__json_strn(&ref, s,
						                      len, del),
							0);
						cr_assert_eq(out.size,
						             ref.size);
						cr_assert(
							!memcmp(out.ptr,
						                ref.ptr,
						                out.size),
							"byte 0x%02x at %zu of %zu, escape_del %d",
							c, at, len, del);
					}
}

/* UTF-8 sequences across block edges stay as they are; broken ones (cut
 * at the end, bad continuation) are mapped, as rh__json_strn() does. */
Test(json_write, utf8_across_block_edges)
{
	static const char *seq[] = { "\xc3\xa9",         "\xe2\x82\xac",
		                     "\xf0\x9f\x98\x80", "\xc3",
		                     "\xe2\x82",         "\xed\xa0\x80",
		                     "\xc0\xaf" };
	char s[40];
	size_t at, i, n;

	for (i = 0; i < sizeof(seq) / sizeof(*seq); i++)
		for (at = 0; at < 20; at++) {
			rh__jw w;

			memset(s, 'z', sizeof(s));
			memcpy(s + at, seq[i], strlen(seq[i]));
			n = at + strlen(seq[i]) +
			    (at & 1) * 3; /* ending with it, or not */
			rh_buf_clear(&out);
			rh_buf_clear(&ref);
			rh__jw_init(&w, &out);
			rh__jw_strn(&w, s, n);
			cr_assert_eq(w.err, 0);
			cr_assert_eq(rh__json_strn(&ref, s, n, 1), 0);
			cr_assert_str_eq(out.ptr, ref.ptr,
			                 "sequence %zu at %zu", i, at);
		}
}

/* The search rh__json_pyfloat() does without its shortcut: 15, 16, then 17
 * significant digits, the first that reads back, trailing zeros trimmed,
 * fixed notation for exponents -4..15. */
static void
pyfloat_reference(char *text, size_t size, double d)
{
	char tmp[40], digs[24];
	int prec, exp10, nd = 0, i, o = 0;
	char *e;

	for (prec = 14; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	for (i = 0; tmp + i < e; i++)
		if (tmp[i] >= '0' && tmp[i] <= '9')
			digs[nd++] = tmp[i];
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	cr_assert(exp10 >= -4 && exp10 < 16, "%.17g outside the values tested",
	          d);
	if (d < 0)
		text[o++] = '-';
	if (exp10 < 0) {
		text[o++] = '0';
		text[o++] = '.';
		for (i = -1; i > exp10; i--)
			text[o++] = '0';
		for (i = 0; i < nd; i++)
			text[o++] = digs[i];
		text[o] = '\0';
		return;
	}
	for (i = 0; i <= exp10; i++)
		text[o++] = i < nd ? digs[i] : '0';
	text[o++] = '.';
	if (nd > exp10 + 1)
		for (i = exp10 + 1; i < nd; i++)
			text[o++] = digs[i];
	else
		text[o++] = '0';
	cr_assert((size_t)o < size);
	text[o] = '\0';
}

static void
pyfloat_check(double d)
{
	char want[64];

	pyfloat_reference(want, sizeof(want), d);
	rh_buf_clear(&out);
	cr_assert_eq(rh__json_pyfloat(&out, d), 0);
	cr_assert_str_eq(out.ptr, want, "%.17g", d);
}

/* The double next to d > 0, up (dir 1) or down (-1): no libm here. */
static double
step(double d, int dir)
{
	uint64_t bits;

	memcpy(&bits, &d, 8);
	bits = dir > 0 ? bits + 1 : bits - 1;
	memcpy(&d, &bits, 8);
	return d;
}

/* Non-whole values from 1 to 2^53 are worked out in integers: the same
 * text as printf's and strtod's search for profile times (ns / 1e6), for
 * random mantissas in every binade, exact halves and quarters (ties of the
 * rounding), values next to powers of ten and two, and negatives. */
Test(json_write, pyfloat_shortcut_matches_the_search)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	double p10 = 1;
	int i, k;

	for (i = 0; i < 200000; i++) {
		double d;
		uint64_t bits;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pyfloat_check((double)(int64_t)(1762985431000000000ull +
		                                x % 86400000000000ull) /
		              1e6);
		pyfloat_check((double)(int64_t)(x % 4000000000000ull) / 1e6 +
		              1);
		/* any mantissa, exponents 2^0 .. 2^52 */
		bits = ((uint64_t)(1023 + (x >> 58) % 53) << 52) |
		       (x & ((1ull << 52) - 1));
		memcpy(&d, &bits, 8);
		pyfloat_check(d);
		pyfloat_check(-d);
	}
	for (k = 0; k < 15; k++, p10 *= 10) {
		for (i = 1; i < 64; i++) {
			pyfloat_check(p10 + 0.5);
			pyfloat_check(p10 * i + 0.25);
			pyfloat_check(p10 * i + 0.75);
			pyfloat_check(step(p10, -1));
			pyfloat_check(step(p10, 1));
			pyfloat_check(step(p10 * i, -1));
		}
		pyfloat_check(step(p10 * 10, -1) - 0.5 * (k < 15));
	}
	for (k = 1; k < 53; k++) {
		double p2 = (double)(1ull << k);

		pyfloat_check(step(p2, -1));
		pyfloat_check(step(p2, 1));
		pyfloat_check(-step(p2, 1));
	}
	pyfloat_check(1.5);
	pyfloat_check(9.9999999999999995);
	pyfloat_check(999999999999999.9);
	pyfloat_check(4503599627370495.5);
	pyfloat_check(0.1 + 1);
}

/* Integers two digits at a time: the same text as "%lld" on both sides of
 * every power of ten, and for random values of every length. */
Test(json_write, integers_match_printf)
{
	uint64_t x = 0x243f6a8885a308d3ull, p = 1;
	char want[32];
	int i, k;

	for (k = 0; k < 60; k++) {
		int64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (i = -2; i <= 2; i++) {
			v = (int64_t)(k < 19 ? p : x >> (k % 64)) + i;
			for (int neg = 0; neg <= 1; neg++) {
				rh__jw w;
				int64_t val = neg ? -v : v;

				rh_buf_clear(&out);
				rh__jw_init(&w, &out);
				rh__jw_int_suffix(&w, val, neg ? ".0" : "");
				snprintf(want, sizeof(want), "%lld%s",
				         (long long)val, neg ? ".0" : "");
				cr_assert_eq(w.err, 0);
				cr_assert_str_eq(out.ptr, want);
			}
		}
		if (k < 19)
			p *= 10;
	}
}
