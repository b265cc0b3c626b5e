/* Tests of lib/layout.c: object names are deterministic and validated. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <string.h>

#include "internal.h"

static const rh_session_ref S = { "default", "c1",
	                          "session_2025-11-12_22-10-31_123456_42" };
#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"

Test(layout, session_keys_are_deterministic)
{
	rh_buf k = RH_BUF_INIT;

	cr_assert_eq(rh_layout_session_manifest(&k, &S), 0);
	cr_assert_str_eq(
		k.ptr,
		"default/c1/session_2025-11-12_22-10-31_123456_42/session.json");
	cr_assert_eq(rh_layout_node_manifest(&k, &S, NODE), 0);
	cr_assert_str_eq(
		k.ptr,
		"default/c1/session_2025-11-12_22-10-31_123456_42/nodes/" NODE
		"/node.json");
	cr_assert_eq(rh_layout_index(&k, &S), 0);
	cr_assert_str_eq(
		k.ptr,
		"default/c1/session_2025-11-12_22-10-31_123456_42/index/session.idx");
	cr_assert_eq(rh_layout_event_batch(&k, &S, "ab12"), 0);
	cr_assert_str_eq(
		k.ptr,
		"default/c1/session_2025-11-12_22-10-31_123456_42/events/ab12.json.zst");
	rh_buf_dispose(&k);
}

Test(layout, part_names_round_trip)
{
	rh_buf k = RH_BUF_INIT, files = RH_BUF_INIT, path = RH_BUF_INIT;
	uint64_t off = 0;

	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs/old/raylet.out",
	                                 123456789),
	             0);
	cr_assert_eq(rh_layout_files_prefix(&files, &S, NODE), 0);
	cr_assert_eq(strncmp(k.ptr, files.ptr, files.size), 0);
	cr_assert_str_eq(k.ptr + files.size,
	                 "logs/old/raylet.out@00000000000123456789.zst");
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
	cr_assert_eq(
		rh_layout_parse_part(&path, &off, "x@0000000000000000000a.zst"),
		RH_EINVAL);
	cr_assert_eq(
		rh_layout_parse_part(&path, &off, "x@99999999999999999999.zst"),
		RH_EINVAL);
	cr_assert_eq(rh_layout_parse_part(&path, &off,
	                                  "../x@00000000000000000000.zst"),
	             RH_EINVAL);
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
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "/etc/passwd", 0),
	             RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs/../x", 0),
	             RH_EINVAL);
	cr_assert_eq(rh_layout_file_part(&k, &S, NODE, "logs//x", 0),
	             RH_EINVAL);
	cr_assert_eq(rh_layout_event_batch(&k, &S, "XYZ"), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_buf_dispose(&k);
}

/* ---- any file name maps to a valid object name ------------------------------ */

static const char *
part_of(rh_buf *k, const char *path)
{
	rh_buf files = RH_BUF_INIT;
	size_t n;

	cr_assert_eq(rh_layout_file_part(k, &S, NODE, path, 42), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_layout_files_prefix(&files, &S, NODE), 0);
	n = files.size;
	rh_buf_dispose(&files);
	return k->ptr + n;
}

/* Every key a store can hold: no control bytes, at most 1024 bytes, every
 * component at most 255 bytes (NAME_MAX), valid UTF-8. */
static void
check_storable(const rh_buf *k)
{
	const unsigned char *p = (const unsigned char *)k->ptr;
	size_t i, comp = 0, len;

	cr_assert_leq(k->size, 1024, "%zu-byte key", k->size);
	for (i = 0; i <= k->size; i++) {
		if (i == k->size || p[i] == '/') {
			cr_assert_leq(i - comp, 255,
			              "component of %zu bytes in %s", i - comp,
			              k->ptr);
			comp = i + 1;
			continue;
		}
		cr_assert(p[i] >= 0x20 && p[i] != 0x7f, "control byte in %s",
		          k->ptr);
		cr_assert_gt(len = rh__utf8_len(p + i, k->size - i), 0,
		             "not UTF-8: %s", k->ptr);
		i += len - 1;
	}
}

Test(layout, names_older_versions_stored_keep_their_object_names)
{
	rh_buf k = RH_BUF_INIT;
	char name[300];

	cr_assert_str_eq(
		part_of(&k, "logs/job-driver-raysubmit_x.log"),
		"logs/job-driver-raysubmit_x.log@00000000000000000042.zst");
	cr_assert_str_eq(
		part_of(&k, "logs/100%@x \xc3\xa9t\xc3\xa9 ~.log"),
		"logs/100%@x \xc3\xa9t\xc3\xa9 ~.log@00000000000000000042.zst");
	/* 230 bytes: with "@OFFSET.zst" exactly NAME_MAX */
	memset(name, 'a', 230);
	memcpy(name, "logs/", 5);
	name[235] = '\0';
	memset(name + 5, 'n', 230);
	cr_assert_eq(strncmp(part_of(&k, name), name, 235), 0);
	cr_assert_str_eq(part_of(&k, name) + 235, "@00000000000000000042.zst");
	check_storable(&k);
	rh_buf_dispose(&k);
}

Test(layout, long_names_are_hashed_keeping_a_recognizable_prefix)
{
	rh_buf k = RH_BUF_INIT, k2 = RH_BUF_INIT, path = RH_BUF_INIT;
	char name[300];
	const char *rel;
	uint64_t off;
	size_t total;

	for (total = 231; total <= 255; total++) {
		memcpy(name, "logs/job-driver-", 16);
		memset(name + 16, 'x', total - 16 + 5 - 4);
		memcpy(name + 5 + total - 4, ".log", 5);
		cr_assert_eq(strlen(name) - 5, total);
		rel = part_of(&k, name);
		check_storable(&k);
		cr_assert_eq(strncmp(rel, "logs/job-driver-xxxx", 20), 0, "%s",
		             rel);
		cr_assert_not_null(strstr(rel, "%~"), "%s", rel);
		cr_assert_str_eq(rel + strlen(rel) - 31,
		                 ".log@00000000000000000042.m.zst");
		cr_assert_eq(rh_layout_parse_part(&path, &off, rel), 0, "%s",
		             rh_error_last());
		cr_assert_eq(off, 42);
		/* the last byte alone tells two names apart */
		name[5 + total - 5] = 'y';
		part_of(&k2, name);
		cr_assert_str_neq(k.ptr, k2.ptr);
	}
	rh_buf_dispose(&k);
	rh_buf_dispose(&k2);
	rh_buf_dispose(&path);
}

Test(layout, odd_bytes_are_escaped)
{
	rh_buf k = RH_BUF_INIT, plain = RH_BUF_INIT;

	cr_assert_str_eq(
		part_of(&k, "logs/worker-odd\nnewline.out"),
		"logs/worker-odd%0Anewline.out@00000000000000000042.m.zst");
	check_storable(&k);
	cr_assert_str_eq(
		part_of(&k, "logs/tab\tin%-name.log"),
		"logs/tab%09in%25-name.log@00000000000000000042.m.zst");
	cr_assert_str_eq(
		part_of(&k, "logs/not-utf8-\xe9t\xc3\xa9-\xff.log"),
		"logs/not-utf8-%E9t\xc3\xa9-%FF.log@00000000000000000042.m.zst");
	check_storable(&k);
	cr_assert_str_eq(part_of(&k, "logs/.tmp-x"),
	                 "logs/%2Etmp-x@00000000000000000042.m.zst");
	/* a plain name spelled like an escaped one is another object */
	part_of(&k, "logs/worker-odd\nnewline.out");
	part_of(&plain, "logs/worker-odd%0Anewline.out");
	cr_assert_str_neq(k.ptr, plain.ptr);
	rh_buf_dispose(&k);
	rh_buf_dispose(&plain);
}

Test(layout, deep_paths_fit_the_key_limit)
{
	rh_buf k = RH_BUF_INIT, k2 = RH_BUF_INIT;
	char path[4096];
	size_t i, o = 0;

	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(path + o, sizeof(path) - o,
		                      "dir%02zu-%060d/", i, 0);
	snprintf(path + o, sizeof(path) - o, "last\n.log");
	{
		static const char tail[] =
			"/last%0A.log@00000000000000000042.m.zst";
		const char *rel = part_of(&k, path);
		cr_assert_str_eq(rel + strlen(rel) - strlen(tail), tail);
	}
	cr_assert_eq(strncmp(part_of(&k, path), "%~", 2), 0);
	check_storable(&k);
	path[3] = '9';
	part_of(&k2, path);
	cr_assert_str_neq(k.ptr, k2.ptr);
	/* a plain deep path over the limit is mapped too */
	path[o + 4] = '_';
	part_of(&k, path);
	check_storable(&k);
	rh_buf_dispose(&k);
	rh_buf_dispose(&k2);
}

Test(layout, legacy_names_of_non_utf8_files)
{
	rh_buf k = RH_BUF_INIT;

	cr_assert_eq(rh_layout__legacy_part(&k, &S, NODE, "logs/\xe9.log", 7),
	             0);
	cr_assert_str_eq(
		k.ptr,
		"default/c1/session_2025-11-12_22-10-31_123456_42/nodes/" NODE
		"/files/logs/\xe9.log@00000000000000000007.zst");
	cr_assert_eq(rh_layout__legacy_part(&k, &S, NODE, "logs/plain.log", 7),
	             RH_ENOTFOUND);
	cr_assert_eq(rh_layout__legacy_part(&k, &S, NODE, "logs/a\nb", 7),
	             RH_ENOTFOUND);
	rh_buf_dispose(&k);
}
