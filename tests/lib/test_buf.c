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
