/* Tests of lib/capture_end.c: a session whose events were imported is
 * marked ended as a capture marks it - end at the given time, never before
 * the session's start, a later end kept - and what the manifest held stays. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION "session_2026-01-01_00-00-00_000000_1"
#define START_MS 1767225600000LL /* 2026-01-01 00:00:00 UTC */
#define STORETEST_TAG "capend"
#include "storetest.h" /* mkstore, rmstore: st in tmpdir */

static const rh_session_ref ref = { "default", "c1", SESSION };

TestSuite(capture_end, .init = mkstore, .fini = rmstore);

static rh_session_info
load(void)
{
	rh_session_info info;

	cr_assert_eq(rh_session_info_load(&info, st, &ref), 0, "%s",
	             rh_error_last());
	return info;
}

Test(capture_end, marks_a_session_without_manifest)
{
	rh_session_info info;

	cr_assert_eq(rh_capture_mark_ended(st, &ref, START_MS + 5000), 0, "%s",
	             rh_error_last());
	info = load();
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	cr_assert_eq(info.end_ms, START_MS + 5000);
	cr_assert_gt(info.end_marked_ms, START_MS + 5000); /* now */
	cr_assert_eq(info.start_ms, START_MS);
}

Test(capture_end, end_never_before_start_and_later_end_stays)
{
	cr_assert_eq(rh_capture_mark_ended(st, &ref, START_MS - 1000), 0);
	cr_assert_eq(load().end_ms, START_MS);
	cr_assert_eq(rh_capture_mark_ended(st, &ref, START_MS + 9000), 0);
	cr_assert_eq(load().end_ms, START_MS + 9000);
	cr_assert_eq(rh_capture_mark_ended(st, &ref, START_MS + 2000), 0);
	cr_assert_eq(load().end_ms, START_MS + 9000);
}

Test(capture_end, keeps_the_manifest_fields)
{
	const char *json =
		"{\"format\":1,\"namespace\":\"default\",\"cluster\":\"c1\","
		"\"session\":\"" SESSION "\",\"start_ms\":1767225600000,"
		"\"ray_version\":\"2.55.0\",\"end_ms\":1767225700000,"
		"\"end_marked_ms\":1767225800000}";
	rh_buf key = RH_BUF_INIT;
	rh_session_info info;

	cr_assert_eq(rh_layout_session_manifest(&key, &ref), 0);
	cr_assert_eq(rh_store_put(st, key.ptr, json, strlen(json)), 0);
	cr_assert_eq(rh_capture_mark_ended(st, &ref, 0), 0); /* now */
	info = load();
	cr_assert_str_eq(info.ray_version, "2.55.0");
	cr_assert_eq(info.end_marked_ms,
	             1767225800000LL); /* the first mark's */
	cr_assert_gt(info.end_ms, 1767225800000LL);
	rh_buf_dispose(&key);
}

Test(capture_end, bad_names_are_einval)
{
	rh_session_ref bad = { "default", "../x", SESSION };

	cr_assert_eq(rh_capture_mark_ended(st, &bad, 1), RH_EINVAL);
	cr_assert_neq(*rh_error_last(), '\0');
	cr_assert_eq(rh_capture_mark_ended(NULL, &ref, 1), RH_EINVAL);
}
