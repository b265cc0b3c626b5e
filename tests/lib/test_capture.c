/* Tests of lib/capture.c, lib/catalog.c, lib/catalog_logfile.c and lib/catalog_manifest.c:
 * a hand-made session directory is captured, read back, grown and
 * captured again. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#include "catalog_manifest.h"
#include "internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-11-12_22-10-31_123456_42"

static char tmp[256], sdir[512], storedir[512];
static rh_store *st;

static void
write_file(const char *rel, const void *data, size_t len, const char *mode)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_not_null(fp = fopen(path, mode), "%s: %s", path,
	                   strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static void
mkdirs(const char *rel)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_eq(mkdir(path, 0755), 0, "%s", path);
}

static void
setup(void)
{
	const char *raylet =
		"[2025-11-12 22:10:31,123 I 1234 1234] (raylet) main.cc:595: "
		"Setting node ID node_id=" NODE "\nline two\n";

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-capture-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	cr_assert_eq(mkdir(sdir, 0755), 0);
	mkdirs("logs");
	mkdirs("logs/old");
	mkdirs("sockets");
	write_file("logs/raylet.out", raylet, strlen(raylet), "w");
	write_file("logs/gcs_server.out", "gcs\n", 4, "w");
	write_file("logs/empty.log", "", 0, "w");
	write_file("logs/nonl.log", "no newline at end", 17, "w");
	write_file("logs/binary.bin", "\xff\xfe\x00\x01\x80", 5, "w");
	write_file("logs/old/worker-1.out", "old worker\n", 11, "w");
	write_file("node_ip_address.json",
	           "{\"node_ip_address\": \"10.0.0.7\"}", 31, "w");
	write_file("node_ip_address.json.lock", "", 0, "w");
	{
		char path[1024];
		snprintf(path, sizeof(path), "%s/logs/outside", sdir);
		cr_assert_eq(symlink("/etc/hostname", path), 0);
		snprintf(path, sizeof(path), "%s/logs/inside", sdir);
		cr_assert_eq(symlink("gcs_server.out", path), 0);
	}
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		cr_assert_lt(snprintf(sa.sun_path, sizeof(sa.sun_path),
		                      "%s/sockets/raylet", sdir),
		             (int)sizeof(sa.sun_path));
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0, "%s",
	             rh_error_last());
}

static void
teardown(void)
{
	char cmd[600];

	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(capture, .init = setup, .fini = teardown);

static const rh_session_ref S = { "default", "c1", SESSION };

static int
capture(rh_capture_stats *stats)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;

	o.cluster = "c1";
	o.frame_size = 16; /* many frames and parts even for small files */
	return rh_capture_session(stats, st, sdir, &o);
}

static void
assert_file_equals(const char *rel)
{
	char path[1024];
	rh_logfile *f = NULL;
	rh_buf got = RH_BUF_INIT, want = RH_BUF_INIT;
	FILE *fp;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_not_null(fp = fopen(path, "rb"));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rh_buf_put(&want, chunk, n);
	fclose(fp);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, rel), 0, "%s: %s", rel,
	             rh_error_last());
	cr_assert_eq(rh_logfile_read(&got, f, 0, SIZE_MAX), 0, "%s",
	             rh_error_last());
	cr_assert_eq(got.size, want.size, "%s: %zu vs %zu", rel, got.size,
	             want.size);
	cr_assert(got.size == 0 || memcmp(got.ptr, want.ptr, got.size) == 0,
	          "%s", rel);
	rh_logfile_close(f);
	rh_buf_dispose(&got);
	rh_buf_dispose(&want);
}

/* The stats struct carries the version its caller was compiled with: a
 * library that does not know it refuses before touching anything. */
Test(capture, stats_of_an_unknown_version_are_refused)
{
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	rh_node_manifest *m = NULL;

	stats.version = 0;
	cr_assert_eq(capture(&stats), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "rh_capture_stats"), "%s",
	          rh_error_last());
	cr_assert_eq(rh_node_manifest_load(&m, st, &S, NODE), RH_ENOTFOUND);
	stats.version = RH_CAPTURE_STATS_VERSION + 1;
	cr_assert_eq(capture(&stats), RH_EINVAL);
	/* NULL still means "no stats wanted"; the version survives a call */
	cr_assert_eq(capture(NULL), 0, "%s", rh_error_last());
	stats.version = RH_CAPTURE_STATS_VERSION;
	cr_assert_eq(capture(&stats), 0, "%s", rh_error_last());
	cr_assert_eq(stats.version, RH_CAPTURE_STATS_VERSION);
}

Test(capture, stores_every_file_byte_for_byte)
{
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	rh_node_manifest *m = NULL;

	cr_assert_eq(capture(&stats), 0, "%s", rh_error_last());
	cr_assert_str_eq(stats.node_id, NODE);
	cr_assert_str_eq(stats.session, SESSION);
	assert_file_equals("logs/raylet.out");
	assert_file_equals("logs/empty.log");
	assert_file_equals("logs/nonl.log");
	assert_file_equals("logs/binary.bin");
	assert_file_equals("logs/old/worker-1.out");
	assert_file_equals("logs/inside");
	assert_file_equals("node_ip_address.json");
	cr_assert_eq(rh_node_manifest_load(&m, st, &S, NODE), 0);
	cr_assert_str_eq(rh_node_manifest_ip(m), "10.0.0.7");
	cr_assert_eq(rh_node_manifest_is_head(m), 1);
	cr_assert_null(rh_node_manifest_find(m, "logs/outside"));
	cr_assert_null(rh_node_manifest_find(m, "sockets/raylet"));
	cr_assert_null(rh_node_manifest_find(m, "node_ip_address.json.lock"));
	cr_assert_eq(stats.files_skipped, 3);
	rh_node_manifest_free(m);
}

Test(capture, second_run_ships_only_new_bytes)
{
	rh_capture_stats s1 = RH_CAPTURE_STATS_INIT, s2 = RH_CAPTURE_STATS_INIT,
			 s3 = RH_CAPTURE_STATS_INIT;

	cr_assert_eq(capture(&s1), 0, "%s", rh_error_last());
	cr_assert_eq(capture(&s2), 0, "%s", rh_error_last());
	cr_assert_eq(s2.bytes_new, 0);
	cr_assert_eq(s2.parts_written, 0);
	write_file("logs/raylet.out", "appended line\n", 14, "a");
	write_file("logs/new.log", "fresh\n", 6, "w");
	cr_assert_eq(capture(&s3), 0, "%s", rh_error_last());
	cr_assert_eq(s3.bytes_new, 14 + 6);
	cr_assert_eq(s3.parts_written, 2);
	assert_file_equals("logs/raylet.out");
	assert_file_equals("logs/new.log");
}

Test(capture, ended_marks_the_session_once)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_session_info info;
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	int64_t first;

	cr_assert_eq(capture(&stats), 0, "%s", rh_error_last());
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0, "%s",
	             rh_error_last());
	cr_assert_eq(info.state, RH_SESSION_UNKNOWN);
	cr_assert_eq(info.end_ms, 0);
	o.cluster = "c1";
	o.ended = 1;
	cr_assert_eq(rh_capture_session(&stats, st, sdir, &o), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0);
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	cr_assert_gt(info.end_ms, 0);
	first = info.end_ms;
	/* a later capture, ended or not, keeps the time it ended */
	usleep(5000);
	cr_assert_eq(rh_capture_session(&stats, st, sdir, &o), 0, "%s",
	             rh_error_last());
	cr_assert_eq(capture(&stats), 0, "%s", rh_error_last());
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0);
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	cr_assert_eq(info.end_ms, first);
}

Test(capture, replaced_file_is_stored_anew)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_node_manifest *m = NULL;

	cr_assert_eq(capture(&s), 0);
	write_file("logs/nonl.log", "Different content, longer than before\n",
	           38, "w");
	cr_assert_eq(capture(&s), 0);
	assert_file_equals("logs/nonl.log");
	write_file("logs/nonl.log", "short\n", 6, "w");
	cr_assert_eq(capture(&s), 0);
	assert_file_equals("logs/nonl.log");
	cr_assert_eq(rh_node_manifest_load(&m, st, &S, NODE), 0);
	cr_assert_eq(rh_node_manifest_find(m, "logs/nonl.log")->nparts, 1);
	rh_node_manifest_free(m);
}

Test(capture, tail_spans_parts)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_logfile *f = NULL;
	rh_buf out = RH_BUF_INIT;
	uint64_t start = 0;

	cr_assert_eq(capture(&s), 0);
	write_file("logs/raylet.out", "three\nfour\n", 11, "a");
	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, "logs/raylet.out"), 0);
	cr_assert_eq(rh_logfile_tail(&out, &start, f, 3, UINT64_MAX), 0);
	cr_assert_str_eq(out.ptr, "line two\nthree\nfour\n");
	rh_buf_clear(&out);
	cr_assert_eq(rh_logfile_tail(&out, NULL, f, 1, rh_logfile_size(f) - 5),
	             0);
	cr_assert_str_eq(out.ptr, "three\n");
	rh_buf_clear(&out);
	cr_assert_eq(rh_logfile_tail(&out, &start, f, 1000, UINT64_MAX), 0);
	cr_assert_eq(start, 0);
	cr_assert_eq(out.size, rh_logfile_size(f));
	rh_buf_clear(&out);
	cr_assert_eq(rh_logfile_tail(&out, NULL, f, 0, UINT64_MAX), 0);
	cr_assert_eq(out.size, 0);
	rh_logfile_close(f);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, "logs/nonl.log"), 0);
	rh_buf_clear(&out);
	cr_assert_eq(rh_logfile_tail(&out, NULL, f, 1, UINT64_MAX), 0);
	cr_assert_str_eq(out.ptr, "no newline at end");
	rh_logfile_close(f);
	rh_buf_dispose(&out);
}

/* Tails read through a shared frame cache (seek tables shared, frames
 * scanned in place) equal tails read without one, for every line count and
 * end, across parts and 16-byte frames. */
Test(capture, shared_cache_tail_matches_plain_tail)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_frame_cache *fc = NULL;
	rh_logfile *plain = NULL, *shared[2] = { NULL, NULL };
	rh_buf a = RH_BUF_INIT, b = RH_BUF_INIT;
	uint64_t sa = 0, sb = 0, size, end;
	size_t n;
	int k;

	cr_assert_eq(capture(&s), 0);
	write_file("logs/raylet.out", "three\n\nfive, after an empty line\n",
	           34, "a");
	cr_assert_eq(capture(&s), 0);
	write_file("logs/raylet.out", "six\nseven without newline", 25, "a");
	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_frame_cache_new(&fc, 1 << 20), 0);
	cr_assert_eq(rh_logfile_open(&plain, st, &S, NODE, "logs/raylet.out"),
	             0);
	for (k = 0; k < 2; k++) {
		cr_assert_eq(rh_logfile_open(&shared[k], st, &S, NODE,
		                             "logs/raylet.out"),
		             0);
		rh_logfile_set_cache(shared[k], fc);
	}
	size = rh_logfile_size(plain);
	for (end = 0; end <= size + 1; end++)
		for (n = 0; n < 10; n++)
			for (k = 0; k < 2; k++) {
				rh_buf_clear(&a);
				rh_buf_clear(&b);
				cr_assert_eq(
					rh_logfile_tail(&a, &sa, plain, n, end),
					0);
				cr_assert_eq(rh_logfile_tail(&b, &sb, shared[k],
				                             n, end),
				             0, "%s",
				             rh_logfile_errmsg(shared[k]));
				cr_assert_eq(sa, sb, "n %zu end %llu", n,
				             (unsigned long long)end);
				cr_assert_eq(a.size, b.size);
				cr_assert(!a.size ||
				          !memcmp(a.ptr, b.ptr, a.size));
			}
	rh_logfile_close(plain);
	rh_logfile_close(shared[0]);
	rh_logfile_close(shared[1]);
	rh_frame_cache_free(fc);
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
}

/* A shared manifest is used again while fresh and reloaded once the stored
 * one changed and the copy is older than fresh_ms. */
Test(capture, shared_manifest_follows_the_store)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_frame_cache *fc = NULL;
	const rh_node_manifest *m1 = NULL, *m2 = NULL, *m3 = NULL;
	rh__frame_ref *r1 = NULL, *r2 = NULL, *r3 = NULL;

	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_frame_cache_new(&fc, 1 << 20), 0);
	cr_assert_eq(
		rh__manifest_load_shared(&m1, &r1, fc, st, &S, NODE, 60000), 0);
	cr_assert_eq(
		rh__manifest_load_shared(&m2, &r2, fc, st, &S, NODE, 60000), 0);
	cr_assert_eq(m1, m2, "a fresh copy is shared");
	cr_assert_null(rh_node_manifest_find(m2, "logs/later.log"));
	usleep(5000); /* another mtime */
	write_file("logs/later.log", "later\n", 6, "w");
	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh__manifest_load_shared(&m3, &r3, fc, st, &S, NODE, 0),
	             0);
	cr_assert_neq(m3, m1);
	cr_assert_not_null(rh_node_manifest_find(m3, "logs/later.log"));
	cr_assert_null(rh_node_manifest_find(m1, "logs/later.log"),
	               "a holder keeps its copy");
	rh__manifest_release(fc, r1, m1);
	rh__manifest_release(fc, r2, m2);
	rh__manifest_release(fc, r3, m3);
	cr_assert_eq(rh__manifest_load_shared(&m1, &r1, NULL, st, &S, NODE, 0),
	             0);
	cr_assert_null(r1);
	cr_assert_not_null(rh_node_manifest_find(m1, "logs/later.log"));
	rh__manifest_release(NULL, r1, m1);
	cr_assert_eq(rh__manifest_load_shared(&m1, &r1, fc, st, &S, "ffff", 0),
	             RH_ENOTFOUND);
	rh_frame_cache_free(fc);
}

Test(capture, catalog_lists_each_level)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_buf id = RH_BUF_INIT;
	rh_session_info info;

	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &S, "0f69"), 0);
	cr_assert_str_eq(id.ptr, NODE);
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &S, "abcd"),
	             RH_ENOTFOUND);
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &S, "../x"), RH_EINVAL);
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0);
	cr_assert_eq(info.start_ms, 1762985431123LL);
	rh_buf_dispose(&id);
}

Test(capture, missing_node_id_is_a_clear_error)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/logs/raylet.out", sdir);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(capture(NULL), RH_EINVAL);
	cr_assert_not_null(strstr(rh_error_last(), "--node-id"), "%s",
	                   rh_error_last());
}

Test(capture, missing_file_reads_as_not_found)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_logfile *f = NULL;

	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, "logs/nope"),
	             RH_ENOTFOUND);
	cr_assert_neq(rh_error_last()[0], '\0');
	cr_assert_eq(rh_logfile_open(&f, st, &S, "abcdef", "logs/raylet.out"),
	             RH_ENOTFOUND);
}

Test(capture, damaged_part_is_reported_not_trusted)
{
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_logfile *f = NULL;
	rh_buf key = RH_BUF_INIT, out = RH_BUF_INIT;

	cr_assert_eq(capture(&s), 0);
	cr_assert_eq(rh_layout_file_part(&key, &S, NODE, "logs/raylet.out", 0),
	             0);
	cr_assert_eq(rh_store_put(st, key.ptr, "garbage", 7), 0);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, "logs/raylet.out"), 0);
	cr_assert_eq(rh_logfile_read(&out, f, 0, SIZE_MAX), RH_ECORRUPT);
	cr_assert_neq(rh_logfile_errmsg(f)[0], '\0');
	rh_logfile_close(f);
	rh_buf_dispose(&key);
	rh_buf_dispose(&out);
}

Test(capture, not_a_directory_is_einval)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;

	o.cluster = "c1";
	cr_assert_eq(rh_capture_session(NULL, st, "/nonexistent/session_x", &o),
	             RH_EINVAL);
	o.cluster = NULL;
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), RH_EINVAL);
	o.cluster = "bad/name";
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), RH_EINVAL);
}

/* Odd names are captured, found by their real bytes or their shown form,
 * and a store written before names were mapped (a non-UTF-8 name's parts
 * under its raw bytes) still reads. */
Test(capture, odd_names_are_stored_and_old_stores_still_read)
{
	static const char *names[] = { "logs/a\nb.log", "logs/tab\tx.log",
		                       "logs/not-utf8-\xe9\xff.log" };
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	rh_node_manifest *m = NULL;
	rh_buf key = RH_BUF_INIT, shown = RH_BUF_INIT, data = RH_BUF_INIT;
	rh_logfile *f = NULL;
	char from[1024], to[1024];
	size_t i, k, nparts;

	for (i = 0; i < 3; i++) {
		char body[256];
		snprintf(body, sizeof(body), "%s%s%s", names[i], names[i],
		         names[i]);
		write_file(names[i], body, strlen(body), "w");
	}
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	cr_assert_eq(
		s.files_skipped, 3,
		"only what the base case skips (socket, lock, outside link)");
	for (i = 0; i < 3; i++)
		assert_file_equals(names[i]);
	write_file(names[2], "more\n", 5, "a"); /* a second part */
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	assert_file_equals(names[2]);
	cr_assert_eq(rh_node_manifest_load(&m, st, &S, NODE), 0);
	cr_assert_eq(rh_catalog_display_path(&shown, names[2], 0), 0);
	cr_assert_str_eq(shown.ptr, "logs/not-utf8-\\xe9\\xff.log");
	cr_assert_eq(rh_node_manifest_find(m, shown.ptr),
	             rh_node_manifest_find(m, names[2]));
	cr_assert_eq(
		rh_catalog_display_path(&shown, names[0], RH_DISPLAY_CONTROL),
		0);
	cr_assert_str_eq(shown.ptr, "logs/a\\x0ab.log");
	cr_assert_not_null(rh_node_manifest_find(m, shown.ptr));
	nparts = rh_node_manifest_find(m, names[2])->nparts;
	cr_assert_gt(nparts, 1);
	/* Move the non-UTF-8 file's parts to the names older versions gave them. */
	for (k = 0; k < nparts; k++) {
		uint64_t off =
			rh_node_manifest_find(m, names[2])->parts[k].offset;
		cr_assert_eq(rh_layout_file_part(&key, &S, NODE, names[2], off),
		             0);
		snprintf(from, sizeof(from), "%s/%s", storedir, key.ptr);
		cr_assert_not_null(strstr(key.ptr, "%E9%FF.log@"), "%s",
		                   key.ptr);
		cr_assert_eq(
			rh_layout__legacy_part(&key, &S, NODE, names[2], off),
			0);
		snprintf(to, sizeof(to), "%s/%s", storedir, key.ptr);
		cr_assert_eq(rename(from, to), 0, "%s -> %s: %s", from, to,
		             strerror(errno));
	}
	assert_file_equals(names[2]);
	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE,
	                             "logs/not-utf8-\\xe9\\xff.log"),
	             0);
	cr_assert_eq(rh_logfile_read(&data, f, 0, SIZE_MAX), 0, "%s",
	             rh_error_last());
	cr_assert_eq(data.size, strlen(names[2]) * 3 + 5);
	rh_logfile_close(f);
	rh_node_manifest_free(m);
	rh_buf_dispose(&key);
	rh_buf_dispose(&shown);
	rh_buf_dispose(&data);
}

/* ---- issue 11: history, end time, partial failure ------------------------ */

static void
assert_stored_is(const char *rel, const char *want)
{
	rh_logfile *f = NULL;
	rh_buf got = RH_BUF_INIT;

	cr_assert_eq(rh_logfile_open(&f, st, &S, NODE, rel), 0, "%s: %s", rel,
	             rh_error_last());
	cr_assert_eq(rh_logfile_read(&got, f, 0, SIZE_MAX), 0, "%s",
	             rh_error_last());
	cr_assert_eq(got.size, strlen(want), "%s: %zu bytes", rel, got.size);
	cr_assert(memcmp(got.ptr, want, got.size) == 0, "%s", rel);
	rh_logfile_close(f);
	rh_buf_dispose(&got);
}

/* logrotate's copytruncate: the same file, truncated and written again.
 * The bytes stored before stay readable as an earlier generation. */
Test(capture, truncated_file_keeps_its_earlier_generation)
{
	const char *first = "first generation, line one\nline two\n";
	const char *second = "second\n";
	const char *third = "third generation, longer than the first one was\n";
	rh_capture_stats s = RH_CAPTURE_STATS_INIT;
	char path[1024];

	write_file("logs/app.log", first, strlen(first), "w");
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	snprintf(path, sizeof(path), "%s/logs/app.log", sdir);
	cr_assert_eq(truncate(path, 0), 0);
	write_file("logs/app.log", second, strlen(second), "a");
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	assert_stored_is("logs/app.log", second);
	assert_stored_is("logs/app.log~1", first);
	/* again, with other first bytes and more of them */
	cr_assert_eq(truncate(path, 0), 0);
	write_file("logs/app.log", third, strlen(third), "a");
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	assert_stored_is("logs/app.log", third);
	assert_stored_is("logs/app.log~1", first);
	assert_stored_is("logs/app.log~2", second);
	/* a capture with nothing new changes nothing */
	cr_assert_eq(capture(&s), 0, "%s", rh_error_last());
	cr_assert_eq(s.bytes_new, 0);
	assert_stored_is("logs/app.log~2", second);
}

/* Set every file's times (links' own too) to `t` seconds. */
static void
age_everything(time_t t)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "find '%s' -exec touch -h -d @%lld {} +",
	         sdir, (long long)t);
	cr_assert_eq(system(cmd), 0);
}

Test(capture, ended_is_the_last_write_not_the_capture_time)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	rh_session_info info;
	time_t year_ago = time(NULL) - 365 * 86400, last = year_ago + 240;
	char path[1024];
	struct timespec ts[2] = { { last, 0 }, { last, 0 } };
	int64_t before = (int64_t)time(NULL) * 1000;

	age_everything(year_ago);
	snprintf(path, sizeof(path), "%s/logs/raylet.out", sdir);
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	o.cluster = "c1";
	o.ended = 1;
	cr_assert_eq(rh_capture_session(&stats, st, sdir, &o), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0, "%s",
	             rh_error_last());
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	cr_assert_eq(info.end_ms, (int64_t)last * 1000,
	             "end_ms %lld, last write %lld", (long long)info.end_ms,
	             (long long)last * 1000);
	cr_assert_geq(info.end_marked_ms, before);
	cr_assert_geq(info.updated_ms, before);
}

Test(capture, end_is_never_before_the_start)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_session_info info;

	age_everything(86400); /* 1970: before the session's name says */
	o.cluster = "c1";
	o.ended = 1;
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_session_info_load(&info, st, &S), 0);
	cr_assert_eq(info.end_ms, info.start_ms);
	cr_assert_gt(info.start_ms, 0);
}

/* Run `fn` as user nobody in a child (tests run as root; an unreadable
 * file is only unreadable to someone else). The child's exit status is
 * returned. No way to drop privileges fails the test. */
static int
as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return fn(arg); /* not root: already unprivileged */
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(100);
		if (setuid(0) == 0)
			_exit(101); /* still privileged */
		_exit(fn(arg));
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_neq(WEXITSTATUS(status), 100, "cannot drop privileges");
	cr_assert_neq(WEXITSTATUS(status), 101, "still privileged");
	return WEXITSTATUS(status);
}

struct unreadable_run {
	int rc;
	rh_capture_stats stats;
	char msg[512];
};

static int
capture_unprivileged(void *arg)
{
	struct unreadable_run *r = arg;
	rh_store *mine = NULL;
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	int fd = open(storedir, O_RDONLY);
	char path[1024];
	FILE *fp;

	close(fd);
	if (rh_store_open(&mine, storedir, NULL) < 0)
		return 10;
	o.cluster = "c1";
	r->rc = rh_capture_session(&r->stats, mine, sdir, &o);
	snprintf(r->msg, sizeof(r->msg), "%s", rh_error_last());
	rh_store_close(mine);
	/* hand the result to the parent through a file */
	snprintf(path, sizeof(path), "%s/result", tmp);
	if (!(fp = fopen(path, "w")))
		return 11;
	fwrite(r, sizeof(*r), 1, fp);
	fclose(fp);
	return 0;
}

Test(capture, unreadable_paths_are_reported_and_the_rest_stored)
{
	struct unreadable_run r;
	rh_node_manifest *m = NULL;
	char path[1024], cmd[1200];
	FILE *fp;
	size_t i, n;
	int found_file = 0, found_dir = 0;

	write_file("logs/secret.log", "you cannot read me\n", 19, "w");
	mkdirs("logs/private");
	write_file("logs/private/inner.log", "nor me\n", 7, "w");
	snprintf(path, sizeof(path), "%s/logs/secret.log", sdir);
	cr_assert_eq(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/logs/private", sdir);
	cr_assert_eq(chmod(path, 0700), 0);
	/* everything else readable by all; the store and tmp writable by
	 * nobody */
	cr_assert_eq(chmod(tmp, 0777), 0);
	rh_store_close(st);
	st = NULL;
	snprintf(cmd, sizeof(cmd), "chown -R 65534:65534 '%s'", storedir);
	cr_assert_eq(system(cmd), 0);
	memset(&r, 0, sizeof(r));
	r.stats.version = RH_CAPTURE_STATS_VERSION;
	cr_assert_eq(as_nobody(capture_unprivileged, &r), 0);
	snprintf(path, sizeof(path), "%s/result", tmp);
	cr_assert_not_null(fp = fopen(path, "r"));
	cr_assert_eq(fread(&r, sizeof(r), 1, fp), 1);
	fclose(fp);
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0, "%s",
	             rh_error_last());

	/* not silent: an error saying what, after storing the rest */
	cr_assert_eq(r.rc, RH_EIO, "rc %d: %s", r.rc, r.msg);
	cr_assert_eq(r.stats.files_not_stored, 2, "%s", r.msg);
	cr_assert(strstr(r.msg, "2 paths not stored"), "%s", r.msg);
	assert_file_equals("logs/raylet.out");
	assert_file_equals("logs/old/worker-1.out");
	assert_file_equals("node_ip_address.json");
	cr_assert_eq(rh_node_manifest_load(&m, st, &S, NODE), 0, "%s",
	             rh_error_last());
	cr_assert_null(rh_node_manifest_find(m, "logs/secret.log"));
	cr_assert_null(rh_node_manifest_find(m, "logs/private/inner.log"));
	n = m->nskipped;
	for (i = 0; i < n; i++) {
		if (!strcmp(m->skipped[i].path, "logs/secret.log"))
			found_file = m->skipped[i].not_stored;
		if (!strcmp(m->skipped[i].path, "logs/private"))
			found_dir = m->skipped[i].not_stored;
		if (!strcmp(m->skipped[i].path, "sockets/raylet"))
			cr_assert_eq(m->skipped[i].not_stored, 0);
	}
	cr_assert(found_file, "logs/secret.log not listed as not stored");
	cr_assert(found_dir, "logs/private not listed as not stored");
	rh_node_manifest_free(m);
}
