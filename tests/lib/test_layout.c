/* Tests of lib/layout.c: object names are deterministic and validated. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

static const rh_session_ref S = { "default", "c1",
				  "session_2025-11-12_22-10-31_123456_42" };
#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"

Test(layout, session_keys_are_deterministic)
{
	rh_buf k = RH_BUF_INIT;

	cr_assert_eq(rh_layout_session_manifest(&k, &S), 0);
	cr_assert_str_eq(k.ptr, "default/c1/session_2025-11-12_22-10-31_123456_42/session.json");
	cr_assert_eq(rh_layout_node_manifest(&k, &S, NODE), 0);
	cr_assert_str_eq(k.ptr, "default/c1/session_2025-11-12_22-10-31_123456_42/nodes/" NODE "/node.json");
	cr_assert_eq(rh_layout_index(&k, &S), 0);
	cr_assert_str_eq(k.ptr, "default/c1/session_2025-11-12_22-10-31_123456_42/index/session.idx");
	cr_assert_eq(rh_layout_event_batch(&k, &S, "ab12"), 0);
	cr_assert_str_eq(k.ptr, "default/c1/session_2025-11-12_22-10-31_123456_42/events/ab12.json.zst");
	rh_buf_dispose(&k);
}

Test(layout, part_names_round_trip)
{
	rh_buf k = RH_BUF_INIT, files = RH_BUF_INIT, path = RH_BUF_INIT;
	uint64_t off = 0;

	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs/old/raylet.out", 123456789), 0);
	cr_assert_eq(rh_layout_files_prefix(&files, &S, NODE), 0);
	cr_assert_eq(strncmp(k.ptr, files.ptr, files.size), 0);
	cr_assert_str_eq(k.ptr + files.size, "logs/old/raylet.out@00000000000123456789.zst");
	cr_assert_eq(rh_layout_parse_part(&path, &off, k.ptr + files.size), 0);
	cr_assert_str_eq(path.ptr, "logs/old/raylet.out");
	cr_assert_eq(off, 123456789);
	/* a path holding '@' itself still splits at the last one */
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "a@b", UINT64_MAX), 0);
	cr_assert_eq(rh_layout_parse_part(&path, &off, k.ptr + files.size), 0);
	cr_assert_str_eq(path.ptr, "a@b");
	cr_assert_eq(off, UINT64_MAX);
	rh_buf_dispose(&k);
	rh_buf_dispose(&files);
	rh_buf_dispose(&path);
}

Test(layout, bad_part_names_are_rejected)
{
	rh_buf path = RH_BUF_INIT;
	uint64_t off;

	cr_assert_eq(rh_layout_parse_part(&path, &off, "x.zst"), RH_EINVAL);
	cr_assert_eq(rh_layout_parse_part(&path, &off, "x@0000000000000000000a.zst"), RH_EINVAL);
	cr_assert_eq(rh_layout_parse_part(&path, &off, "x@99999999999999999999.zst"), RH_EINVAL);
	cr_assert_eq(rh_layout_parse_part(&path, &off, "../x@00000000000000000000.zst"), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_buf_dispose(&path);
}

Test(layout, names_are_checked)
{
	rh_buf k = RH_BUF_INIT;
	rh_session_ref bad = S;

	bad.cluster = "../etc";
	cr_assert_eq(rh_layout_session_prefix(&k, &bad), RH_EINVAL);
	bad.cluster = ".hidden";
	cr_assert_eq(rh_layout_session_prefix(&k, &bad), RH_EINVAL);
	bad.cluster = "";
	cr_assert_eq(rh_layout_session_prefix(&k, &bad), RH_EINVAL);
	bad.cluster = "a/b";
	cr_assert_eq(rh_layout_session_prefix(&k, &bad), RH_EINVAL);
	cr_assert_eq(rh_layout_node_prefix(&k, &S, "0F69"), RH_EINVAL);
	cr_assert_eq(rh_layout_node_prefix(&k, &S, "xyz"), RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "/etc/passwd", 0), RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs/../x", 0), RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs//x", 0), RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs/\nx", 0), RH_EINVAL);
	cr_assert_eq(rh_layout_event_batch(&k, &S, "XYZ"), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_buf_dispose(&k);
}
