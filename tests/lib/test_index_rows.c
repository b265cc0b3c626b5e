/* Tests of a row's JSON (lib/index_rows.c, rh_dashboard_row_json): numbers written
 * two digits a step print as "%lld" does at every length and sign, and
 * strings take the escaping path exactly when they need it. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void
task_with_offsets(rh_row *row, int64_t v)
{
	memset(row, 0, sizeof(*row));
	row->entity = RH_ENTITY_TASK;
	row->u.task.task_id =
		"c8ef45ccd0112571ffffffffffffffffffffffff01000000";
	row->u.task.worker_pid = -1;
	row->u.task.creation_time_ns = row->u.task.start_time_ns =
		row->u.task.end_time_ns = RH_TIME_NONE;
	row->u.task.has_log_info = 1;
	row->u.task.log_info.stdout_start = v;
	row->u.task.log_info.stdout_end = v;
	row->u.task.log_info.stderr_start = -1;
	row->u.task.log_info.stderr_end = -1;
}

Test(index_rows, numbers_print_as_printf_does)
{
	/* log offsets: never negative (a negative one is left out) */
	static const int64_t vals[] = {
		0,
		1,
		9,
		10,
		11,
		99,
		100,
		101,
		999,
		1000,
		1009,
		12345,
		99999,
		100000,
		1762985431001,
		1000000000000000000,
		INT64_MAX - 1,
		INT64_MAX,
	};
	/* attempt numbers: any int32 */
	static const int32_t attempts[] = {
		-1,   -9,     -10,           -99,       -100,
		-101, -12345, INT32_MIN + 1, INT32_MIN, INT32_MAX,
	};
	size_t i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		rh_buf out = RH_BUF_INIT;
		char want[64];
		rh_row row;

		task_with_offsets(&row, vals[i]);
		cr_assert_eq(rh_dashboard_row_json(&out, &row, 1), 0, "%s",
		             rh_error_last());
		snprintf(want, sizeof(want),
		         "\"stdout_start\":%" PRId64 ",\"stdout_end\":%" PRId64
		         "}",
		         vals[i], vals[i]);
		cr_assert_not_null(strstr(out.ptr, want), "%" PRId64 ": %s",
		                   vals[i], out.ptr);
		rh_buf_dispose(&out);
	}
	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		rh_buf out = RH_BUF_INIT;
		char want[64];
		rh_row row;

		task_with_offsets(&row, 0);
		row.u.task.attempt_number = attempts[i];
		cr_assert_eq(rh_dashboard_row_json(&out, &row, 0), 0, "%s",
		             rh_error_last());
		snprintf(want, sizeof(want), "\"attempt_number\":%" PRId32 ",",
		         attempts[i]);
		cr_assert_not_null(strstr(out.ptr, want), "%" PRId32 ": %s",
		                   attempts[i], out.ptr);
		rh_buf_dispose(&out);
	}
}

Test(index_rows, times_print_as_python_floats)
{
	static const struct {
		int64_t ns;
		const char *ms;
	} t[] = {
		{ 0, "0.0" },
		{ 999999, "0.0" },
		{ 1000000, "1.0" },
		/* Python: float(1762985431001000000) is ...0999936 */
		{ 1762985431001000000, "1762985431000.0" },
		{ 1762985431001500000, "1762985431001.0" },
		{ -1, "-1.0" },
		{ -1000000, "-1.0" },
		{ -1000001, "-2.0" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rh_buf out = RH_BUF_INIT;
		char want[64];
		rh_row row;

		task_with_offsets(&row, 0);
		row.u.task.start_time_ns = t[i].ns;
		cr_assert_eq(rh_dashboard_row_json(&out, &row, 1), 0);
		snprintf(want, sizeof(want), "\"start_time_ms\":%s,", t[i].ms);
		cr_assert_not_null(strstr(out.ptr, want), "%" PRId64 ": %s",
		                   t[i].ns, out.ptr);
		rh_buf_dispose(&out);
	}
}

Test(index_rows, strings_are_escaped_when_they_need_it)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "plain ascii /path-1_2.log",
		  "\"plain ascii /path-1_2.log\"" },
		{ "quote \" back \\ nl \n tab \t",
		  "\"quote \\\" back \\\\ nl \\n tab \\t\"" },
		{ "\x01", "\"\\u0001\"" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"" },
		{ "", "\"\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rh_buf out = RH_BUF_INIT;
		json_object *doc;
		char want[128];
		rh_row row;

		task_with_offsets(&row, 0);
		row.u.task.name = t[i].in;
		cr_assert_eq(rh_dashboard_row_json(&out, &row, 0), 0);
		snprintf(want, sizeof(want), "\"name\":%s,", t[i].out);
		cr_assert_not_null(strstr(out.ptr, want), "%s", out.ptr);
		cr_assert_not_null(doc = json_tokener_parse(out.ptr), "%s",
		                   out.ptr);
		json_object_put(doc);
		rh_buf_dispose(&out);
	}
}
