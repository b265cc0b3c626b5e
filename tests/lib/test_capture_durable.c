/* Tests of capture's durability and threads (lib/capture_ship.c,
 * lib/capture_pool.c, lib/store_file.c, store_defer.h): parts are made
 * durable together, with a few barriers for a whole node; a power cut at
 * any write leaves a store whose manifest names only whole, readable
 * parts; files shipped on several threads are stored as one thread
 * stores them. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "store_defer.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-11-12_22-10-31_123456_42"

static char tmp[256], sdir[512];
static const rh_session_ref S = { "default", "c1", SESSION };

static void
write_file(const char *rel, const char *mode, size_t len, unsigned seed)
{
	char path[1024];
	size_t i;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_not_null(fp = fopen(path, mode), "%s: %s", path,
	                   strerror(errno));
	/* log-like lines that differ per file and per call */
	for (i = 0; i < len; i += 32)
		fprintf(fp, "%08x line %010zu of %s\n", seed, i, rel);
	fclose(fp);
}

static void
sh(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A session of `nfiles` worker logs besides the raylet's. */
static void
setup_session(int nfiles)
{
	char rel[64];
	const char *raylet = "[2025-11-12 22:10:31,123 I 1234 1234] (raylet) "
			     "main.cc:595: Setting node ID node_id=" NODE "\n";
	FILE *fp;
	char path[1024];
	int i;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-durable-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	cr_assert_eq(mkdir(sdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs", sdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs/raylet.out", sdir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs(raylet, fp);
	fclose(fp);
	for (i = 0; i < nfiles; i++) {
		snprintf(rel, sizeof(rel), "logs/worker-%03d.out", i);
		write_file(rel, "w", 200 + 97 * (size_t)i, (unsigned)i);
	}
}

static void
teardown(void)
{
	if (!getenv("RH_TEST_KEEP"))
		sh("rm -rf '%s'%s", tmp, "");
}

static int
capture_with(const char *storedir, rh_capture_stats *stats, unsigned workers)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_store *st = NULL;
	int error;

	o.cluster = "c1";
	o.workers = workers;
	o.frame_size = 4096; /* big files of several frames, here too */
	if ((error = rh_store_open(&st, storedir, NULL)) < 0)
		return error;
	error = rh_capture_session(stats, st, sdir, &o);
	rh_store_close(st);
	return error;
}

static int
capture_into(const char *storedir, rh_capture_stats *stats)
{
	return capture_with(storedir, stats, 0);
}

/* Every file the store's node manifest names reads back as the first
 * `size` bytes of the file on disk (files here only grow). */
static size_t
check_store(const char *storedir, int *found)
{
	rh_node_manifest *m = NULL;
	rh_store *st = NULL;
	size_t i, n = 0;
	int error;

	*found = 0;
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0, "%s",
	             rh_error_last());
	error = rh_node_manifest_load(&m, st, &S, NODE);
	if (error == RH_ENOTFOUND) {
		rh_store_close(st);
		return 0;
	}
	cr_assert_eq(error, 0, "%s: manifest: %s", storedir, rh_error_last());
	*found = 1;
	for (i = 0; i < rh_node_manifest_file_count(m); i++) {
		const rh_file_info *fi = rh_node_manifest_file(m, i);
		rh_buf got = RH_BUF_INIT;
		rh_logfile *lf = NULL;
		char path[1024];
		char *want;
		FILE *fp;

		cr_assert_eq(rh_logfile_open(&lf, st, &S, NODE, fi->path), 0,
		             "%s: %s", fi->path, rh_error_last());
		cr_assert_eq(rh_logfile_read(&got, lf, 0, SIZE_MAX), 0,
		             "%s: %s: %s", storedir, fi->path, rh_error_last());
		cr_assert_eq(got.size, fi->size,
		             "%s: %zu bytes, manifest says %llu", fi->path,
		             got.size, (unsigned long long)fi->size);
		snprintf(path, sizeof(path), "%s/%s", sdir, fi->path);
		cr_assert_not_null(fp = fopen(path, "rb"));
		cr_assert_not_null(want = malloc(got.size + 1));
		cr_assert_eq(fread(want, 1, got.size, fp), got.size);
		cr_assert(got.size == 0 || memcmp(want, got.ptr, got.size) == 0,
		          "%s: stored bytes differ", fi->path);
		fclose(fp);
		free(want);
		rh_buf_dispose(&got);
		rh_logfile_close(lf);
		n++;
	}
	rh_node_manifest_free(m);
	rh_store_close(st);
	return n;
}

TestSuite(capture_durable, .fini = teardown);

/* A barrier (fsync) per part and per folder rename made a node of 586
 * files cost 1,164 of them; one syncfs covers all parts now. */
Test(capture_durable, many_files_cost_a_few_barriers)
{
	char storedir[600];
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	uint64_t before, used;
	int found;

	setup_session(300);
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	before = rh_store__barriers();
	cr_assert_eq(capture_into(storedir, &stats), 0, "%s", rh_error_last());
	used = rh_store__barriers() - before;
	cr_assert_eq(stats.files_stored, 301);
	cr_assert_lt(used, 16, "%llu barriers for %llu files",
	             (unsigned long long)used,
	             (unsigned long long)stats.files_stored);
	cr_assert_eq(check_store(storedir, &found), 301);
	/* a second capture with grown files: again a few */
	write_file("logs/worker-007.out", "a", 5000, 77);
	write_file("logs/worker-200.out", "a", 5000, 78);
	before = rh_store__barriers();
	cr_assert_eq(capture_into(storedir, &stats), 0, "%s", rh_error_last());
	used = rh_store__barriers() - before;
	cr_assert_eq(stats.parts_written, 2);
	cr_assert_lt(used, 16);
	cr_assert_eq(check_store(storedir, &found), 301);
}

/* Capture `storedir` with a power cut as its write number `at` begins
 * (store_file.c, RAYHIST_TEST_POWERCUT_AT). 1 when it was cut, 0 when
 * the capture finished first. */
static int
capture_cut_at(const char *storedir, int at)
{
	char n[32];
	pid_t pid;
	int status;

	fflush(NULL);
	cr_assert_geq(pid = fork(), 0);
	if (pid == 0) {
		snprintf(n, sizeof(n), "%d", at);
		setenv("RAYHIST_TEST_POWERCUT_AT", n, 1);
		_exit(capture_into(storedir, NULL) == 0 ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "capture died of a signal");
	cr_assert(WEXITSTATUS(status) == 137 || WEXITSTATUS(status) == 0,
	          "cut at %d: capture failed (exit %d)", at,
	          WEXITSTATUS(status));
	return WEXITSTATUS(status) == 137;
}

/* At every write of a capture, first into an empty store and then over an
 * earlier capture: a power cut loses the bytes of every part not yet
 * made durable. The store must then hold either no manifest, the old one
 * or the new one - whichever, every file it names reads back whole - and
 * the next capture must store everything. */
Test(capture_durable, power_cut_at_any_write_leaves_whole_files)
{
	char base[600], cut[600];
	int round, at, found, cuts;
	size_t named;

	setup_session(12);
	snprintf(base, sizeof(base), "%s/base", tmp);
	snprintf(cut, sizeof(cut), "%s/cut", tmp);
	cr_assert_eq(mkdir(base, 0755), 0);
	for (round = 0; round < 2; round++) {
		cuts = 0;
		for (at = 1; at < 100; at++) {
			sh("rm -rf '%s'%s", cut, "");
			sh("cp -a '%s' '%s'", base, cut);
			if (!capture_cut_at(cut, at))
				break;
			cuts++;
			named = check_store(cut, &found);
			/* round 1 grows files the old manifest names */
			if (round == 1)
				cr_assert(found,
				          "cut at %d: the old manifest is gone",
				          at);
			cr_assert_eq(capture_into(cut, NULL), 0,
			             "after a cut at %d: %s", at,
			             rh_error_last());
			cr_assert_eq(check_store(cut, &found), 13,
			             "after a cut at %d (%zu named)", at,
			             named);
		}
		cr_assert_lt(at, 100);
		/* a part per new or grown file, a sync, the manifest,
		 * session.json */
		cr_assert_geq(cuts, round ? 3 + 3 : 13 + 3, "%d cut points",
		              cuts);
		cr_assert_eq(capture_into(base, NULL), 0, "%s",
		             rh_error_last());
		write_file("logs/worker-003.out", "a", 3000, 1003);
		write_file("logs/worker-010.out", "a", 3000, 1010);
		write_file("logs/raylet.out", "a", 400, 1);
	}
}

/* Several files at once (capture_pool.c), big ones with frame threads of
 * their own: the same objects, byte for byte, as one thread writes. */
Test(capture_durable, threads_store_what_one_thread_stores)
{
	char one[600], many[600], cmd[2048];
	rh_capture_stats s1 = RH_CAPTURE_STATS_INIT, s4 = RH_CAPTURE_STATS_INIT;
	int found;

	setup_session(60);
	write_file("logs/big-a.out", "w", 200000, 9001);
	write_file("logs/big-b.out", "w", 90000, 9002);
	snprintf(one, sizeof(one), "%s/one", tmp);
	snprintf(many, sizeof(many), "%s/many", tmp);
	cr_assert_eq(capture_with(one, &s1, 1), 0, "%s", rh_error_last());
	cr_assert_eq(capture_with(many, &s4, 4), 0, "%s", rh_error_last());
	cr_assert_eq(s4.files_stored, 63);
	cr_assert_eq(s4.parts_written, s1.parts_written);
	cr_assert_eq(s4.bytes_stored, s1.bytes_stored);
	cr_assert_eq(check_store(many, &found), 63);
	/* every part object the same; manifests differ only in times */
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && diff -r -x node.json -x session.json "
	         "'%s' '%s'",
	         tmp, one, many);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	/* grown files, on threads again */
	write_file("logs/big-a.out", "a", 50000, 9003);
	write_file("logs/worker-005.out", "a", 700, 9004);
	cr_assert_eq(capture_with(one, &s1, 1), 0, "%s", rh_error_last());
	cr_assert_eq(capture_with(many, &s4, 4), 0, "%s", rh_error_last());
	cr_assert_eq(s4.parts_written, 2);
	cr_assert_eq(check_store(many, &found), 63);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}
