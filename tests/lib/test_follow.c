/* Tests of lib/follow.c, lib/follow_scan.c, lib/follow_ship.c and
 * lib/follow_watch.c: a hand-made Ray root whose files grow, rotate, shrink,
 * move to logs/old/ and vanish while a follower runs; after each change the
 * store must hold exactly the files on disk, each byte shipped once. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "follow_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define NODE2 "aa690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define S1 "session_2025-11-12_22-10-31_123456_42"
#define S2 "session_2025-11-13_08-00-00_000001_43"

static char tmp[256], root[512], state[512], storedir[512];
static rh_store *st;
static rh_follow *f;

static void
pathf(char *out, size_t cap, const char *session, const char *rel)
{
	snprintf(out, cap, "%s/%s/%s", root, session, rel);
}

static void
put_file(const char *session, const char *rel, const void *data, size_t len,
         const char *mode)
{
	char path[1024];
	FILE *fp;

	pathf(path, sizeof(path), session, rel);
	cr_assert_not_null(fp = fopen(path, mode), "%s: %s", path,
	                   strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

/* `n` bytes of text that differ with `seed`. */
static void
grow(const char *session, const char *rel, size_t n, unsigned seed)
{
	char *b = malloc(n);
	size_t i;

	cr_assert_not_null(b);
	for (i = 0; i < n; i++)
		b[i] = (i % 61 == 60) ?
		               '\n' :
		               (char)('a' + (i * 7 + seed * 13 + i / 97) % 26);
	put_file(session, rel, b, n, "a");
	free(b);
}

static void
make_session(const char *session, const char *node)
{
	char path[1024], line[256];

	snprintf(path, sizeof(path), "%s/%s", root, session);
	cr_assert_eq(mkdir(path, 0755), 0);
	pathf(path, sizeof(path), session, "logs");
	cr_assert_eq(mkdir(path, 0755), 0);
	pathf(path, sizeof(path), session, "logs/old");
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(line, sizeof(line),
	         "[2025-11-12 22:10:31,123 I 1 1] (raylet) "
	         "main.cc:595: Setting node ID node_id=%s\n",
	         node);
	put_file(session, "logs/raylet.out", line, strlen(line), "w");
	put_file(session, "logs/gcs_server.out", "gcs\n", 4, "w");
	snprintf(path, sizeof(path), "%s/session_latest", root);
	unlink(path);
	cr_assert_eq(symlink(session, path), 0);
}

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-follow-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/ray", tmp);
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0);
	f = NULL;
}

static void
teardown(void)
{
	char cmd[600];

	rh_follow_close(f);
	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(follow, .init = setup, .fini = teardown);

static void
open_follower(int inotify)
{
	rh_follow_options o = RH_FOLLOW_OPTIONS_INIT;

	o.cluster = "c1";
	o.ray_root = root;
	o.state_dir = state;
	o.role = RH_FOLLOW_ROLE_HEAD;
	o.flush_interval_ms = 1;
	o.no_inotify = !inotify;
	cr_assert_eq(rh_follow_open(&f, st, &o), 0, "%s", rh_error_last());
}

static void
reopen(void)
{
	rh_follow_close(f);
	f = NULL;
	open_follower(0);
}

static void
flush(void)
{
	cr_assert_eq(rh_follow_flush(f), 0, "%s", rh_follow_errmsg(f));
}

static rh_follow_stats
stats(void)
{
	rh_follow_stats s = RH_FOLLOW_STATS_INIT;

	rh_follow_stats_get(&s, f);
	return s;
}

/* The stored file equals the one on disk (or `want` bytes). */
static void
check_stored(const char *session, const char *node, const char *rel)
{
	rh_session_ref sref = { "default", "c1", session };
	char path[1024];
	rh_logfile *lf = NULL;
	rh_buf got = RH_BUF_INIT;
	FILE *fp;
	char *want;
	long n;

	pathf(path, sizeof(path), session, rel);
	cr_assert_not_null(fp = fopen(path, "rb"), "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	want = malloc((size_t)n + 1);
	cr_assert_eq(fread(want, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, node, rel), 0, "%s: %s",
	             rel, rh_error_last());
	cr_assert_eq(rh_logfile_size(lf), (uint64_t)n,
	             "%s: size %llu, want %ld", rel,
	             (unsigned long long)rh_logfile_size(lf), n);
	cr_assert_eq(rh_logfile_read(&got, lf, 0, SIZE_MAX), 0, "%s",
	             rh_logfile_errmsg(lf));
	cr_assert_eq(got.size, (size_t)n);
	cr_assert(n == 0 || memcmp(got.ptr, want, (size_t)n) == 0, "%s differs",
	          rel);
	rh_logfile_close(lf);
	rh_buf_dispose(&got);
	free(want);
}

/* Part objects stored for the node, and their raw bytes in total. */
static size_t
count_parts(const char *session, const char *node, uint64_t *raw)
{
	rh_session_ref sref = { "default", "c1", session };
	rh_node_manifest *m = NULL;
	char cmd[1200], line[2048];
	size_t n = 0, i, j;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
	         "find '%s/default/c1/%s/nodes/%s/files' -name '*.zst' | wc -l",
	         storedir, session, node);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_not_null(fgets(line, sizeof(line), p));
	pclose(p);
	n = (size_t)atol(line);
	if (raw) {
		*raw = 0;
		cr_assert_eq(rh_node_manifest_load(&m, st, &sref, node), 0);
		for (i = 0; i < rh_node_manifest_file_count(m); i++) {
			const rh_file_info *fi = rh_node_manifest_file(m, i);
			for (j = 0; j < fi->nparts; j++)
				*raw += fi->parts[j].length;
		}
		rh_node_manifest_free(m);
	}
	return n;
}

static size_t
manifest_parts(const char *session, const char *node)
{
	rh_session_ref sref = { "default", "c1", session };
	rh_node_manifest *m = NULL;
	size_t n = 0, i;

	cr_assert_eq(rh_node_manifest_load(&m, st, &sref, node), 0);
	for (i = 0; i < rh_node_manifest_file_count(m); i++)
		n += rh_node_manifest_file(m, i)->nparts;
	rh_node_manifest_free(m);
	return n;
}

static int
stored_has(const char *session, const char *node, const char *rel)
{
	rh_session_ref sref = { "default", "c1", session };
	rh_node_manifest *m = NULL;
	int found;

	cr_assert_eq(rh_node_manifest_load(&m, st, &sref, node), 0);
	found = rh_node_manifest_find(m, rel) != NULL;
	rh_node_manifest_free(m);
	return found;
}

static void
ren(const char *session, const char *from, const char *to)
{
	char a[1024], b[1024];

	pathf(a, sizeof(a), session, from);
	pathf(b, sizeof(b), session, to);
	cr_assert_eq(rename(a, b), 0, "%s -> %s", a, b);
}

Test(follow, waits_for_the_session_then_the_node_id)
{
	char path[1024], link[1024];

	open_follower(1);
	cr_assert_eq(rh_follow_step(f), 0);
	cr_assert_eq(stats().following, 0);
	cr_assert_eq(stats().session[0], '\0');
	/* A session without the raylet's id line yet. */
	snprintf(path, sizeof(path), "%s/%s", root, S1);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/session_latest", root);
	cr_assert_eq(symlink(S1, link), 0);
	cr_assert_eq(rh_follow_flush(f), 0);
	cr_assert_str_eq(stats().session, S1);
	cr_assert_eq(stats().following, 0);
	rmdir(path);
	unlink(link);
	make_session(S1, NODE);
	flush();
	cr_assert_eq(stats().following, 1);
	cr_assert_str_eq(stats().node_id, NODE);
	check_stored(S1, NODE, "logs/raylet.out");
	check_stored(S1, NODE, "logs/gcs_server.out");
}

Test(follow, appends_ship_only_new_bytes)
{
	uint64_t shipped;

	make_session(S1, NODE);
	grow(S1, "logs/worker-1.out", 400000, 1);
	open_follower(0);
	flush();
	check_stored(S1, NODE, "logs/worker-1.out");
	shipped = stats().bytes_shipped;
	grow(S1, "logs/worker-1.out", 1000, 2);
	flush();
	check_stored(S1, NODE, "logs/worker-1.out");
	/* 400000 bytes make a closed part: only the 1000 new ones ship. */
	cr_assert_eq(stats().bytes_shipped - shipped, 1000);
	/* Small appends rewrite the small newest part: one part, not one per
	 * flush. */
	grow(S1, "logs/worker-1.out", 10, 3);
	flush();
	grow(S1, "logs/worker-1.out", 10, 4);
	flush();
	check_stored(S1, NODE, "logs/worker-1.out");
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, rotation_keeps_shipped_bytes_and_ships_only_the_rest)
{
	uint64_t raw, before;

	make_session(S1, NODE);
	grow(S1, "logs/dashboard.log", 300000, 1);
	open_follower(1);
	flush();
	before = stats().bytes_shipped;
	/* Bytes written just before the rotation, never shipped under the
	 * old name... */
	grow(S1, "logs/dashboard.log", 5000, 2);
	ren(S1, "logs/dashboard.log", "logs/dashboard.log.1");
	grow(S1, "logs/dashboard.log", 700, 3);
	flush();
	check_stored(S1, NODE, "logs/dashboard.log");
	check_stored(S1, NODE, "logs/dashboard.log.1");
	/* ...ship once, and the rotated generation is not shipped again. */
	cr_assert_eq(stats().bytes_shipped - before, 5000 + 700);
	cr_assert_geq(stats().moves, 1);
	/* A second rotation shifts both generations. */
	ren(S1, "logs/dashboard.log.1", "logs/dashboard.log.2");
	ren(S1, "logs/dashboard.log", "logs/dashboard.log.1");
	grow(S1, "logs/dashboard.log", 300, 4);
	flush();
	check_stored(S1, NODE, "logs/dashboard.log");
	check_stored(S1, NODE, "logs/dashboard.log.1");
	check_stored(S1, NODE, "logs/dashboard.log.2");
	cr_assert_eq(count_parts(S1, NODE, &raw), manifest_parts(S1, NODE));
	/* The oldest generation deleted, the others shifted onto its name. */
	{
		char p[1024];
		pathf(p, sizeof(p), S1, "logs/dashboard.log.2");
		cr_assert_eq(unlink(p), 0);
	}
	ren(S1, "logs/dashboard.log.1", "logs/dashboard.log.2");
	ren(S1, "logs/dashboard.log", "logs/dashboard.log.1");
	grow(S1, "logs/dashboard.log", 100, 5);
	flush();
	check_stored(S1, NODE, "logs/dashboard.log");
	check_stored(S1, NODE, "logs/dashboard.log.1");
	check_stored(S1, NODE, "logs/dashboard.log.2");
	/* The dropped generation's parts are deleted from the store. */
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, rotation_seen_only_by_the_periodic_rescan)
{
	uint64_t before;

	make_session(S1, NODE);
	grow(S1, "logs/monitor.log", 300000, 1);
	open_follower(0); /* no inotify */
	flush();
	before = stats().bytes_shipped;
	ren(S1, "logs/monitor.log", "logs/monitor.log.1");
	grow(S1, "logs/monitor.log", 100, 2);
	/* steps alone, as a program runs them */
	for (int i = 0; i < 50 && stats().moves == 0; i++) {
		usleep(3000);
		cr_assert_eq(rh_follow_step(f), 0, "%s", rh_follow_errmsg(f));
	}
	cr_assert_eq(stats().moves, 1);
	flush();
	check_stored(S1, NODE, "logs/monitor.log");
	check_stored(S1, NODE, "logs/monitor.log.1");
	cr_assert_eq(stats().bytes_shipped - before, 100);
}

/* Issue 11: this test said "the old parts are gone from the store"; a
 * file truncated in place (copytruncate) now keeps them as an earlier
 * generation, PATH~1, byte for byte. */
Test(follow, truncated_file_is_stored_anew_and_keeps_its_history)
{
	char p[1024], gen[1024];
	FILE *fp;
	rh_session_ref sref = { "default", "c1", S1 };
	rh_logfile *lf = NULL;
	rh_buf before = RH_BUF_INIT, got = RH_BUF_INIT;
	char chunk[65536];
	size_t n;

	make_session(S1, NODE);
	grow(S1, "logs/raylet.err", 300000, 1);
	grow(S1, "logs/raylet.err", 1000, 2);
	open_follower(0);
	flush();
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
	pathf(p, sizeof(p), S1, "logs/raylet.err");
	cr_assert_not_null(fp = fopen(p, "rb"));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rh_buf_put(&before, chunk, n);
	fclose(fp);
	cr_assert_eq(truncate(p, 0), 0);
	grow(S1, "logs/raylet.err", 50, 3);
	flush();
	check_stored(S1, NODE, "logs/raylet.err");
	cr_assert_geq(stats().replaced, 1);
	/* Every part is named by the manifest, the earlier ones by PATH~1. */
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
	snprintf(gen, sizeof(gen), "logs/raylet.err~1");
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE, gen), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_logfile_read(&got, lf, 0, SIZE_MAX), 0);
	cr_assert_eq(got.size, before.size);
	cr_assert(memcmp(got.ptr, before.ptr, got.size) == 0);
	rh_logfile_close(lf);
	/* A restarted follower keeps both and ships nothing again. */
	reopen();
	flush();
	cr_assert_eq(stats().bytes_shipped, 0);
	check_stored(S1, NODE, "logs/raylet.err");
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE, gen), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_logfile_size(lf), before.size);
	rh_logfile_close(lf);
	rh_buf_dispose(&before);
	rh_buf_dispose(&got);
}

/* Truncated between being looked at and being read: what the read finds
 * belongs to the next generation. It must not replace the newest small
 * part (the manifest would name fewer bytes than the part then holds, of
 * another file); the earlier generation keeps its own bytes. */
static int truncations;
static size_t truncated_to; /* what the node writes after the cut */
static int truncate_stage;  /* before the stat (0) or before the read (1) */

static void
truncate_before_read(const char *path, int stage)
{
	char other[1200], full[1024];
	int w;

	if (stage != truncate_stage || strcmp(path, "logs/raylet.err") != 0 ||
	    truncations++)
		return;
	memset(other, 'Z', sizeof(other));
	pathf(full, sizeof(full), S1, path);
	cr_assert_geq(w = open(full, O_WRONLY | O_TRUNC), 0);
	cr_assert_eq(write(w, other, truncated_to), (ssize_t)truncated_to);
	close(w);
}

/* Cut to 700 other bytes (fewer than stored), or to 1,200 (more: only the
 * file's first bytes tell). */
static void
truncated_while_rewritten(size_t to, int stage)
{
	char p[1024];
	FILE *fp;
	rh_session_ref sref = { "default", "c1", S1 };
	rh_logfile *lf = NULL;
	rh_buf before = RH_BUF_INIT, got = RH_BUF_INIT;
	char chunk[4096];
	size_t n;

	make_session(S1, NODE);
	grow(S1, "logs/raylet.err", 1000, 1);
	open_follower(0);
	flush();
	pathf(p, sizeof(p), S1, "logs/raylet.err");
	cr_assert_not_null(fp = fopen(p, "rb"));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rh_buf_put(&before, chunk, n);
	fclose(fp);
	cr_assert_eq(before.size, 1000);
	/* 500 bytes more: the next ship rewrites the small part [0, 1000)
	 * as [0, 1500) - but the file is cut to 700 other bytes first. */
	grow(S1, "logs/raylet.err", 500, 2);
	truncations = 0;
	truncated_to = to;
	truncate_stage = stage;
	rh__follow_test_before_read = truncate_before_read;
	flush();
	rh__follow_test_before_read = NULL;
	cr_assert_eq(truncations, 1);
	flush();
	check_stored(S1, NODE, "logs/raylet.err");
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE, "logs/raylet.err~1"),
	             0, "%s", rh_error_last());
	cr_assert_eq(rh_logfile_read(&got, lf, 0, SIZE_MAX), 0, "%s",
	             rh_error_last());
	cr_assert_eq(got.size, before.size);
	cr_assert(memcmp(got.ptr, before.ptr, got.size) == 0);
	rh_logfile_close(lf);
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
	rh_buf_dispose(&before);
	rh_buf_dispose(&got);
}

Test(follow, truncated_while_its_small_part_is_rewritten)
{
	truncated_while_rewritten(700, 1);
}

Test(follow, truncated_and_regrown_while_its_small_part_is_rewritten)
{
	truncated_while_rewritten(1200, 1);
}

/* Cut and regrown after the scan but before the ship's stat: the ship
 * sees the new size and mtime and refuses the part by its head; the
 * generation is kept and the new bytes stored after it. (That the next
 * scan reads the head although size and mtime are as the ship saw is what
 * follow_e2e.sh over s3:// caught; this order alone does not reach it.) */
Test(follow, truncated_and_regrown_between_scan_and_ship)
{
	truncated_while_rewritten(1200, 0);
}

/* Issue 11: a file and a folder the follower cannot read are skipped,
 * counted and listed as not stored; the rest ships. Root reads anything, so
 * the follower runs in a child as user nobody. */
static int
follow_unprivileged(void)
{
	rh_follow_options o = RH_FOLLOW_OPTIONS_INIT;
	rh_follow *g = NULL;
	rh_store *mine = NULL;
	rh_follow_stats fs = RH_FOLLOW_STATS_INIT;
	char sdir[1024];

	if (rh_store_open(&mine, storedir, NULL) < 0)
		return 10;
	snprintf(sdir, sizeof(sdir), "%s/state-nobody", tmp);
	o.cluster = "c1";
	o.ray_root = root;
	o.state_dir = sdir;
	o.role = RH_FOLLOW_ROLE_HEAD;
	o.no_inotify = 1;
	if (rh_follow_open(&g, mine, &o) < 0)
		return 11;
	if (rh_follow_flush(g) < 0)
		return 12;
	rh_follow_stats_get(&fs, g);
	if (fs.files_not_stored != 2)
		return 20 +
		       (int)(fs.files_not_stored > 9 ? 9 : fs.files_not_stored);
	if (rh_follow_finish(g, 1) < 0)
		return 13;
	rh_follow_close(g);
	rh_store_close(mine);
	return 0;
}

Test(follow, unreadable_paths_are_not_stored_and_said_so)
{
	char p[1024], cmd[1200];
	rh_session_ref sref = { "default", "c1", S1 };
	rh_node_manifest *m = NULL;
	pid_t pid;
	size_t i;
	int status, listed = 0;

	make_session(S1, NODE);
	grow(S1, "logs/dashboard.log", 5000, 1);
	grow(S1, "logs/secret.log", 100, 2);
	pathf(p, sizeof(p), S1, "logs/secret.log");
	cr_assert_eq(chmod(p, 0600), 0);
	pathf(p, sizeof(p), S1, "logs/private");
	cr_assert_eq(mkdir(p, 0700), 0);
	grow(S1, "logs/private/inner.log", 100, 3);
	cr_assert_eq(chmod(tmp, 0777), 0);
	rh_store_close(st);
	st = NULL;
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && chown -R 65534:65534 '%s'",
	         storedir, storedir);
	cr_assert_eq(system(cmd), 0);
	if (geteuid() == 0) {
		cr_assert_neq(pid = fork(), -1);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
			    setuid(65534) < 0 || setuid(0) == 0)
				_exit(100);
			_exit(follow_unprivileged());
		}
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status));
		cr_assert_eq(WEXITSTATUS(status), 0, "child: %d",
		             WEXITSTATUS(status));
	} else {
		cr_assert_eq(follow_unprivileged(), 0);
	}
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0);
	check_stored(S1, NODE, "logs/dashboard.log");
	cr_assert(!stored_has(S1, NODE, "logs/secret.log"));
	cr_assert_eq(rh_node_manifest_load(&m, st, &sref, NODE), 0, "%s",
	             rh_error_last());
	for (i = 0; i < m->nskipped; i++)
		if ((!strcmp(m->skipped[i].path, "logs/secret.log") ||
		     !strcmp(m->skipped[i].path, "logs/private")) &&
		    m->skipped[i].not_stored)
			listed++;
	cr_assert_eq(listed, 2);
	rh_node_manifest_free(m);
}

Test(follow, files_moved_to_logs_old_keep_their_bytes)
{
	uint64_t before;

	make_session(S1, NODE);
	grow(S1, "logs/worker-aa-01000000-77.out", 2000, 1);
	open_follower(1);
	flush();
	before = stats().bytes_shipped;
	grow(S1, "logs/worker-aa-01000000-77.out", 300, 2);
	ren(S1, "logs/worker-aa-01000000-77.out",
	    "logs/old/worker-aa-01000000-77.out");
	flush();
	check_stored(S1, NODE, "logs/old/worker-aa-01000000-77.out");
	cr_assert(!stored_has(S1, NODE, "logs/worker-aa-01000000-77.out"));
	/* 2000 bytes were a small part: it is rewritten with the 300 new
	 * ones, nothing else. */
	cr_assert_eq(stats().bytes_shipped - before, 2300);
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, deleted_file_stays_in_the_store)
{
	char p[1024];
	rh_session_ref sref = { "default", "c1", S1 };
	rh_logfile *lf = NULL;

	make_session(S1, NODE);
	grow(S1, "logs/runtime_env_agent.log", 777, 1);
	open_follower(1);
	flush();
	pathf(p, sizeof(p), S1, "logs/runtime_env_agent.log");
	cr_assert_eq(unlink(p), 0);
	flush();
	cr_assert_eq(stats().gone, 1);
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE,
	                             "logs/runtime_env_agent.log"),
	             0);
	cr_assert_eq(rh_logfile_size(lf), 777);
	rh_logfile_close(lf);
	/* A new file under that name later replaces it. */
	grow(S1, "logs/runtime_env_agent.log", 10, 2);
	flush();
	check_stored(S1, NODE, "logs/runtime_env_agent.log");
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, new_session_ends_the_old_one)
{
	rh_session_ref s1 = { "default", "c1", S1 },
		       s2 = { "default", "c1", S2 };
	rh_session_info info;
	char ck[1024];
	struct stat sb;

	make_session(S1, NODE);
	open_follower(1);
	flush();
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.state, RH_SESSION_LIVE);
	cr_assert_gt(info.heartbeat_ms, 0);
	grow(S1, "logs/raylet.out", 100, 1); /* written before Ray restarts */
	make_session(S2, NODE2);
	for (int i = 0; i < 200 && strcmp(stats().session, S2) != 0; i++) {
		usleep(10000);
		cr_assert_eq(rh_follow_step(f), 0, "%s", rh_follow_errmsg(f));
	}
	cr_assert_str_eq(stats().session, S2);
	flush();
	check_stored(S1, NODE, "logs/raylet.out");
	check_stored(S2, NODE2, "logs/raylet.out");
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	cr_assert_gt(info.end_ms, 0);
	cr_assert_eq(rh_session_info_load(&info, st, &s2), 0);
	cr_assert_eq(info.state, RH_SESSION_LIVE);
	snprintf(ck, sizeof(ck), "%s/checkpoint-%s.json", state, S1);
	cr_assert_neq(stat(ck, &sb), 0, "the old checkpoint is removed");
}

Test(follow, restart_resumes_without_shipping_again)
{
	make_session(S1, NODE);
	grow(S1, "logs/a.log", 500000, 1);
	grow(S1, "logs/b.log", 100, 2);
	open_follower(0);
	flush();
	reopen();
	flush();
	cr_assert_eq(stats().bytes_shipped, 0);
	grow(S1, "logs/a.log", 10, 3);
	flush();
	cr_assert_eq(stats().bytes_shipped, 10);
	check_stored(S1, NODE, "logs/a.log");
}

Test(follow, crash_between_part_and_checkpoint_stores_bytes_once)
{
	uint64_t budget = UINT64_MAX;
	long at;

	make_session(S1, NODE);
	grow(S1, "logs/a.log", 300000, 1);
	open_follower(0);
	flush();
	/* Ship new bytes of a.log, then "die" before the manifest and the
	 * checkpoint: the part is in the store, nobody names it. */
	grow(S1, "logs/a.log", 400000, 2);
	cr_assert_eq(rh__follow_scan(f, 1), 0);
	at = rh__fstate_find(f->s, "logs/a.log");
	cr_assert_geq(at, 0);
	cr_assert_eq(rh__follow_ship(f, f->s->files[at], &budget), 0);
	rh_follow_close(f);
	f = NULL;
	/* More bytes come before the restart. */
	grow(S1, "logs/a.log", 1000, 3);
	open_follower(0);
	flush();
	check_stored(S1, NODE, "logs/a.log");
	/* The part was rewritten under its name, no stray objects left. */
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, torn_checkpoint_falls_back_to_the_store_manifest)
{
	char ck[1024], bad[1100];
	struct stat sb;
	FILE *fp;

	make_session(S1, NODE);
	grow(S1, "logs/a.log", 300000, 1);
	open_follower(0);
	flush();
	rh_follow_close(f);
	f = NULL;
	snprintf(ck, sizeof(ck), "%s/checkpoint-%s.json", state, S1);
	cr_assert_not_null(fp = fopen(ck, "r+"));
	cr_assert_eq(ftruncate(fileno(fp), 40), 0); /* torn */
	fclose(fp);
	grow(S1, "logs/a.log", 50, 2);
	open_follower(0);
	flush();
	check_stored(S1, NODE, "logs/a.log");
	/* Files were recognised from the manifest: only the new bytes. */
	cr_assert_eq(stats().bytes_shipped, 50);
	snprintf(bad, sizeof(bad), "%s.corrupt", ck);
	cr_assert_eq(stat(bad, &sb), 0);
	cr_assert_neq(rh_follow_errmsg(f)[0], '\0');
}

Test(follow, second_follower_on_a_state_dir_is_ebusy)
{
	rh_follow_options o = RH_FOLLOW_OPTIONS_INIT;
	rh_follow *g = NULL;

	open_follower(0);
	o.cluster = "c1";
	o.ray_root = root;
	o.state_dir = state;
	cr_assert_eq(rh_follow_open(&g, st, &o), RH_EBUSY);
	cr_assert_neq(rh_error_last()[0], '\0');
	cr_assert_null(g);
	o.cluster = "bad/name";
	o.state_dir = NULL;
	cr_assert_eq(rh_follow_open(&g, st, &o), RH_EINVAL);
}

Test(follow, finish_marks_the_head_session_ended_and_heartbeat_ages)
{
	rh_session_ref s1 = { "default", "c1", S1 };
	rh_session_info info;

	make_session(S1, NODE);
	open_follower(0);
	flush();
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.state, RH_SESSION_LIVE);
	/* Without beats, the same manifest reads as abandoned later on. */
	cr_assert_eq(rh_session_state_at(&info, info.heartbeat_ms + 3600000, 0),
	             RH_SESSION_ABANDONED);
	cr_assert_str_eq(rh_session_state_name(RH_SESSION_ABANDONED),
	                 "abandoned");
	cr_assert_eq(rh_follow_finish(f, 1), 0);
	cr_assert_eq(rh_follow_step(f), RH_EINVAL);
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.state, RH_SESSION_ENDED);
	/* A follower started again on the same session lifts the mark. */
	reopen();
	flush();
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.state, RH_SESSION_LIVE);
}

Test(follow, worker_does_not_touch_the_heads_session_manifest)
{
	rh_session_ref s1 = { "default", "c1", S1 };
	rh_follow_options o = RH_FOLLOW_OPTIONS_INIT;
	rh_session_info info;

	make_session(S1, NODE);
	o.cluster = "c1";
	o.ray_root = root;
	o.state_dir = state;
	o.role = RH_FOLLOW_ROLE_WORKER;
	o.no_inotify = 1;
	cr_assert_eq(rh_follow_open(&f, st, &o), 0);
	flush();
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.heartbeat_ms, 0);
	cr_assert_eq(info.state, RH_SESSION_UNKNOWN);
	cr_assert_eq(rh_follow_finish(f, 1), 0);
	cr_assert_eq(rh_session_info_load(&info, st, &s1), 0);
	cr_assert_eq(info.end_ms, 0);
}

Test(follow, memory_does_not_follow_file_size)
{
	char p[1024];
	int fd;

	/* A sparse 200 MiB log: shipped in 64 MiB parts, streamed in 256 KiB
	 * reads; a step ships at most 64 MiB. */
	make_session(S1, NODE);
	pathf(p, sizeof(p), S1, "logs/huge.log");
	cr_assert_geq(fd = open(p, O_WRONLY | O_CREAT, 0644), 0);
	cr_assert_eq(ftruncate(fd, 200ll << 20), 0);
	close(fd);
	open_follower(0);
	cr_assert_eq(rh_follow_step(f), 0);
	cr_assert_leq(stats().bytes_shipped, (64u << 20) + 4096);
	cr_assert_eq(rh_follow_timeout_ms(f), 0, "more to do at once");
	flush();
	cr_assert_eq(stats().bytes_pending, 0);
	cr_assert_eq(manifest_parts(S1, NODE),
	             4 + 2); /* 200 MiB in 64 MiB parts + 2 small */
}

Test(follow, lost_state_dir_and_files_moved_meanwhile)
{
	char cmd[700];
	uint64_t before;

	make_session(S1, NODE);
	grow(S1, "logs/worker-1.out", 300000, 1);
	grow(S1, "logs/monitor.log", 300000, 2);
	open_follower(0);
	flush();
	rh_follow_close(f);
	f = NULL;
	/* The node lost the state directory; meanwhile a worker's log moved
	 * to logs/old/ and a log rotated. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	cr_assert_eq(system(cmd), 0);
	ren(S1, "logs/worker-1.out", "logs/old/worker-1.out");
	ren(S1, "logs/monitor.log", "logs/monitor.log.1");
	grow(S1, "logs/monitor.log", 10, 3);
	open_follower(0);
	flush();
	before = stats().bytes_shipped;
	check_stored(S1, NODE, "logs/old/worker-1.out");
	check_stored(S1, NODE, "logs/monitor.log");
	check_stored(S1, NODE, "logs/monitor.log.1");
	cr_assert(!stored_has(S1, NODE, "logs/worker-1.out"));
	/* recognised by their first bytes: only the new file shipped */
	cr_assert_eq(before, 10);
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, killed_between_part_and_commit_then_moved)
{
	uint64_t budget = UINT64_MAX;
	long at;

	make_session(S1, NODE);
	grow(S1, "logs/worker-2.out", 300000, 1);
	open_follower(0);
	/* ship new bytes, but die before the commit; the file moves while
	 * no follower runs */
	cr_assert_eq(rh_follow_step(f), 0);
	cr_assert_eq(rh__follow_scan(f, 1), 0);
	at = rh__fstate_find(f->s, "logs/worker-2.out");
	cr_assert_geq(at, 0);
	grow(S1, "logs/worker-2.out", 100, 2);
	cr_assert_eq(rh__follow_ship(f, f->s->files[at], &budget), 0);
	rh_follow_close(f);
	f = NULL;
	ren(S1, "logs/worker-2.out", "logs/old/worker-2.out");
	open_follower(0);
	flush();
	check_stored(S1, NODE, "logs/old/worker-2.out");
	cr_assert(!stored_has(S1, NODE, "logs/worker-2.out"));
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

Test(follow, new_file_on_a_deleted_files_inode_is_no_move)
{
	char a[1024];
	int i;

	/* Empty files have no first bytes to tell them apart: only their
	 * birth time shows that the kernel gave a deleted file's inode to a
	 * new one. Repeat, so an inode is reused at least once. */
	make_session(S1, NODE);
	open_follower(0);
	for (i = 0; i < 20; i++) {
		char name[64];
		snprintf(name, sizeof(name), "logs/old/empty-%d.err", i);
		put_file(S1, name, "", 0, "w");
		flush();
		pathf(a, sizeof(a), S1, name);
		cr_assert_eq(unlink(a), 0);
		snprintf(name, sizeof(name), "logs/new-%d.out", i);
		put_file(S1, name, "x", 1, "w");
		flush();
		snprintf(name, sizeof(name), "logs/old/empty-%d.err", i);
		cr_assert(stored_has(S1, NODE, name), "%s taken for a move",
		          name);
	}
	cr_assert_eq(stats().moves, 0);
	cr_assert_eq(stats().gone, 20);
}

/* A rotated raylet.out names other nodes first: the follower waits, never
 * takes one of them, and fails loudly when the node's own files disagree. */
Test(follow, node_id_waits_past_other_nodes_and_fails_on_disagreement)
{
	static const char other[] =
		"[2025-11-12 22:10:31,123 I 1 1] (raylet) accessor.cc:762: Received "
		"notification for node, IsAlive = 1 node_id="
		"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c\n";
	char line[256];

	make_session(S1, NODE);
	put_file(S1, "logs/raylet.out", other, strlen(other), "w");
	open_follower(0);
	cr_assert_eq(rh_follow_flush(f), 0, "%s", rh_follow_errmsg(f));
	cr_assert_eq(stats().following, 0, "took another node's id %s",
	             stats().node_id);
	/* The start-up line is in the older generation, debug_state agrees. */
	snprintf(line, sizeof(line),
	         "[2025-11-12 22:10:31,123 I 1 1] (raylet) "
	         "main.cc:595: Setting node ID node_id=%s\n",
	         NODE);
	put_file(S1, "logs/raylet.out.1", line, strlen(line), "w");
	put_file(S1, "logs/raylet.out", other, strlen(other), "a");
	flush();
	cr_assert_eq(stats().following, 1);
	cr_assert_str_eq(stats().node_id, NODE);
}

Test(follow, node_id_disagreement_is_an_error)
{
	static const char dbg[] =
		"NodeManager:\nNode ID: "
		"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c\n";

	make_session(S1, NODE);
	put_file(S1, "logs/debug_state.txt", dbg, strlen(dbg), "w");
	open_follower(0);
	cr_assert_eq(rh_follow_flush(f), RH_EINVAL);
	cr_assert_not_null(strstr(rh_follow_errmsg(f), "disagree"), "%s",
	                   rh_follow_errmsg(f));
	cr_assert_eq(stats().following, 0);
	/* and stays an error: the next try reads the files again */
	cr_assert_eq(rh_follow_flush(f), RH_EINVAL);
}

/* The follower stores any name as one-shot capture does: over-long, with a
 * newline or a tab, not UTF-8; and after a restart it resumes them. */
Test(follow, odd_file_names_are_stored)
{
	char long_name[300];
	const char *names[4];
	size_t i;

	memcpy(long_name, "logs/job-driver-", 16);
	memset(long_name + 16, 'x', 250 - 16 - 4 + 5);
	strcpy(long_name + 5 + 250 - 4, ".log");
	names[0] = long_name;
	names[1] = "logs/a\nb.out";
	names[2] = "logs/t\tab.log";
	names[3] = "logs/\xe9\xff.log";
	make_session(S1, NODE);
	for (i = 0; i < 4; i++)
		put_file(S1, names[i], names[i], strlen(names[i]), "w");
	open_follower(0);
	flush();
	for (i = 0; i < 4; i++)
		check_stored(S1, NODE, names[i]);
	for (i = 0; i < 4; i++)
		put_file(S1, names[i], "more\n", 5, "a");
	reopen();
	flush();
	for (i = 0; i < 4; i++)
		check_stored(S1, NODE, names[i]);
}

/* Ray restarts on the node right after a worker died: its .err moved to
 * logs/old/ (with a last line) and session_latest names a new session
 * before the follower's next step. The old session's manifest must have
 * the file under its new path, every byte, and no stray part. */
Test(follow, move_just_before_a_new_session_is_in_the_old_manifest)
{
	rh_session_ref sref = { "default", "c1", S1 };
	rh_logfile *lf = NULL;
	char p[1024];

	make_session(S1, NODE);
	grow(S1, "logs/worker-dd-01000000-90.err", 4000, 5);
	grow(S1, "logs/worker-bb-01000000-88.err", 3000, 1);
	grow(S1, "logs/worker-bb-01000000-88.out", 400000, 2);
	open_follower(1);
	flush();
	grow(S1, "logs/worker-bb-01000000-88.err", 200, 3);
	grow(S1, "logs/worker-bb-01000000-88.out", 500, 4);
	ren(S1, "logs/worker-bb-01000000-88.err",
	    "logs/old/worker-bb-01000000-88.err");
	ren(S1, "logs/worker-bb-01000000-88.out",
	    "logs/old/worker-bb-01000000-88.out");
	/* and one that moved, then was deleted before anyone looked */
	grow(S1, "logs/worker-dd-01000000-90.err", 250, 6);
	ren(S1, "logs/worker-dd-01000000-90.err",
	    "logs/old/worker-dd-01000000-90.err");
	pathf(p, sizeof(p), S1, "logs/old/worker-dd-01000000-90.err");
	cr_assert_eq(unlink(p), 0);
	make_session(S2, NODE2);
	for (int i = 0; i < 200 && strcmp(stats().session, S2) != 0; i++) {
		cr_assert_eq(rh_follow_step(f), 0, "%s", rh_follow_errmsg(f));
		if (strcmp(stats().session, S2) != 0)
			usleep(10000);
	}
	cr_assert_str_eq(stats().session, S2);
	cr_assert_eq(rh_follow_finish(f, 1), 0, "%s", rh_follow_errmsg(f));
	check_stored(S1, NODE, "logs/old/worker-bb-01000000-88.err");
	check_stored(S1, NODE, "logs/old/worker-bb-01000000-88.out");
	cr_assert(!stored_has(S1, NODE, "logs/worker-bb-01000000-88.err"));
	cr_assert(!stored_has(S1, NODE, "logs/worker-bb-01000000-88.out"));
	cr_assert(!stored_has(S1, NODE, "logs/worker-dd-01000000-90.err"));
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE,
	                             "logs/old/worker-dd-01000000-90.err"),
	             0, "%s", rh_error_last());
	cr_assert_eq(rh_logfile_size(lf), 4250);
	rh_logfile_close(lf);
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}

/* Bytes appended just before a file is deleted, and a worker's .err that
 * moved to logs/old/ and was deleted, all between two looks of a follower
 * that is behind: what the file held last is stored, under the last path
 * it had. */
Test(follow, bytes_and_moves_before_a_delete_are_stored)
{
	rh_session_ref sref = { "default", "c1", S1 };
	rh_logfile *lf = NULL;
	char p[1024];

	make_session(S1, NODE);
	grow(S1, "logs/runtime_env_agent.log", 3000, 1);
	grow(S1, "logs/worker-cc-01000000-99.err", 5000, 2);
	open_follower(1);
	flush();
	grow(S1, "logs/runtime_env_agent.log", 700, 3);
	grow(S1, "logs/worker-cc-01000000-99.err", 900, 4);
	ren(S1, "logs/worker-cc-01000000-99.err",
	    "logs/old/worker-cc-01000000-99.err");
	pathf(p, sizeof(p), S1, "logs/runtime_env_agent.log");
	cr_assert_eq(unlink(p), 0);
	pathf(p, sizeof(p), S1, "logs/old/worker-cc-01000000-99.err");
	cr_assert_eq(unlink(p), 0);
	flush();
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE,
	                             "logs/runtime_env_agent.log"),
	             0);
	cr_assert_eq(rh_logfile_size(lf), 3700);
	rh_logfile_close(lf);
	cr_assert(!stored_has(S1, NODE, "logs/worker-cc-01000000-99.err"));
	cr_assert_eq(rh_logfile_open(&lf, st, &sref, NODE,
	                             "logs/old/worker-cc-01000000-99.err"),
	             0, "%s", rh_error_last());
	cr_assert_eq(rh_logfile_size(lf), 5900);
	rh_logfile_close(lf);
	cr_assert_eq(count_parts(S1, NODE, NULL), manifest_parts(S1, NODE));
}
