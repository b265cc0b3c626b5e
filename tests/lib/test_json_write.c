/* Tests of lib/util/json_write.c: the one JSON writer of the index's rows and the
 * dashboard's answers. */
#include <criterion/criterion.h>
#include <stdio.h>
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
			cr_assert_str_eq(out.ptr, ref.ptr, "byte 0x%02x, escape_del %d",
					 c, del);
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
	cr_assert_str_eq(out.ptr, "{\"min\":-9223372036854775808,"
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
	cr_assert_str_eq(out.ptr, "{\"placement_group_id\":\"ab\","
			 "\"name\":\"n\x7f\\\"\\n\\uefff\",\"creator_job_id\":null,"
			 "\"state\":\"PENDING\"}");
}
