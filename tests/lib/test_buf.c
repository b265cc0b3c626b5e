/* Tests of lib/buf.c and lib/errors.c. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>
#include <string.h>

Test(buf, put_appends_and_keeps_nul)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_buf_put(&b, "ab", 2), 0);
	cr_assert_eq(rh_buf_puts(&b, "cd"), 0);
	cr_assert_eq(b.size, 4);
	cr_assert_str_eq(b.ptr, "abcd");
	rh_buf_dispose(&b);
	cr_assert_null(b.ptr);
	cr_assert_eq(b.size, 0);
}

Test(buf, printf_grows_past_initial_size)
{
	rh_buf b = RH_BUF_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		cr_assert_eq(rh_buf_printf(&b, "%04d,", i), 0);
	cr_assert_eq(b.size, 5000);
	cr_assert_eq(strncmp(b.ptr + 4995, "0999,", 5), 0);
	rh_buf_clear(&b);
	cr_assert_eq(b.size, 0);
	cr_assert_str_eq(b.ptr, "");
	rh_buf_dispose(&b);
}

Test(buf, dispose_accepts_null)
{
	rh_buf_dispose(NULL);
}

Test(buf, huge_growth_fails_with_enomem)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_buf_grow(&b, SIZE_MAX - 1), RH_ENOMEM);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_buf_dispose(&b);
}

Test(errors, names_and_clear)
{
	cr_assert_str_eq(rh_error_name(RH_ENOTFOUND), "RH_ENOTFOUND");
	cr_assert_str_eq(rh_error_name(12345), "RH_UNKNOWN");
	rh_error_clear();
	cr_assert_str_eq(rh_error_last(), "");
}

Test(version, matches_header)
{
	cr_assert_str_eq(rh_version(), RH_VERSION_STRING);
	cr_assert(rh_features() & RH_FEATURE_FILE);
}

/* UTF-8 of U+EF80..U+EFFF: EE BE|BF 80..BF */
static int
is_mapped(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return u[0] == 0xee && (u[1] == 0xbe || u[1] == 0xbf) && u[2] >= 0x80 &&
	       u[2] <= 0xbf;
}

/* Bytes that are not UTF-8 become U+EF80..U+EFFF and come back exactly; a
 * real U+EF80 in the input is mapped too, so the way back is a bijection. */
Test(buf, utf8_mapping_round_trips_any_bytes)
{
	static const char *const kept[] = { "abc", "caf\xc3\xa9",
		                            "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		                            "\xee\xbd\xbf" };
	static const char *const mapped[] = {
		"\x80",
		"\xff",
		"\xc3",
		"\xc0\xaf" /* overlong */,
		"\xed\xa0\x80" /* surrogate */,
		"\xf4\x90\x80\x80" /* > U+10FFFF */,
		"\xee\xbe\x80" /* a real U+EF80 */,
	};
	rh_buf m = RH_BUF_INIT, back = RH_BUF_INIT;
	unsigned char all[256 * 3];
	size_t i, k;

	for (i = 0; i < sizeof(kept) / sizeof(*kept); i++) {
		rh_buf_clear(&m);
		cr_assert_eq(rh_buf_put_utf8(&m, kept[i], strlen(kept[i])), 0);
		cr_assert_str_eq(m.ptr, kept[i]);
	}
	for (i = 0; i < sizeof(mapped) / sizeof(*mapped); i++) {
		rh_buf_clear(&m);
		rh_buf_clear(&back);
		cr_assert_eq(rh_buf_put_utf8(&m, mapped[i], strlen(mapped[i])),
		             0);
		cr_assert_eq(m.size, 3 * strlen(mapped[i]), "case %zu", i);
		for (k = 0; k < m.size; k += 3)
			cr_assert(is_mapped(m.ptr + k), "case %zu", i);
		cr_assert_eq(rh_buf_put_from_utf8(&back, m.ptr, m.size), 0);
		cr_assert_str_eq(back.ptr, mapped[i]);
	}
	/* every byte value, and pairs of them, round trip */
	for (i = 0; i < 256; i++) {
		all[3 * i] = (unsigned char)i;
		all[3 * i + 1] = (unsigned char)(255 - i);
		all[3 * i + 2] = (unsigned char)(i * 7);
	}
	rh_buf_clear(&m);
	rh_buf_clear(&back);
	cr_assert_eq(rh_buf_put_utf8(&m, all, sizeof(all)), 0);
	for (k = 0; k < m.size;) {
		size_t n = is_mapped(m.ptr + k) ?
		                   3 :
		                   rh_utf8_kept_len(m.ptr + k, m.size - k);
		cr_assert_neq(n, 0, "invalid UTF-8 at %zu", k);
		k += n;
	}
	cr_assert_eq(rh_buf_put_from_utf8(&back, m.ptr, m.size), 0);
	cr_assert_eq(back.size, sizeof(all));
	cr_assert_eq(memcmp(back.ptr, all, sizeof(all)), 0);
	rh_buf_dispose(&m);
	rh_buf_dispose(&back);
}
