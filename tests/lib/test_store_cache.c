/* test_store_cache.c - the cache folder that takes a store's refused
 * writes (lib/store_cache.c), through rh_store_options.cache_dir. The
 * automatic switch on a refused write is tested as an unprivileged user in
 * tests/cli/serve_readonly.sh (root may write anywhere). */
#define _GNU_SOURCE /* nftw's FTW_PHYS */
#include <criterion/criterion.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rayhist/rayhist.h>

static char tmpdir[1024], storedir[1100], cachedir[1100];

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR");
	rh_store *st;

	snprintf(tmpdir, sizeof(tmpdir), "%s/rh-cache-XXXXXX",
	         base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	snprintf(storedir, sizeof(storedir), "%s/store", tmpdir);
	snprintf(cachedir, sizeof(cachedir), "%s/cache", tmpdir);
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_store_put(st, "ns/c/s/events/a", "event", 5), 0);
	cr_assert_eq(rh_store_put(st, "ns/c/s/index/session.idx", "old", 3), 0);
	rh_store_close(st);
}

static void
teardown(void)
{
	if (!getenv("RH_TEST_KEEP"))
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store_cache, .init = setup, .fini = teardown);

static rh_store *
open_cached(int read_only, uint64_t max)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	rh_store *st;

	o.must_exist = 1;
	o.cache_dir = cachedir;
	o.cache_max_bytes = max;
	o.read_only = read_only;
	cr_assert_eq(rh_store_open(&st, storedir, &o), 0, "%s",
	             rh_error_last());
	return st;
}

static void
assert_get(rh_store *st, const char *key, const char *want)
{
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_store_get(&b, st, key, 0, SIZE_MAX), 0, "%s: %s", key,
	             rh_error_last());
	cr_assert_eq(b.size, strlen(want), "%s: %zu bytes", key, b.size);
	cr_assert_eq(memcmp(b.ptr, want, b.size), 0, "%s", key);
	rh_buf_dispose(&b);
}

/* The store's own copy, read without the cache. */
static void
assert_store_has(const char *key, const char *want)
{
	rh_store *plain;

	cr_assert_eq(rh_store_open(&plain, storedir, NULL), 0);
	assert_get(plain, key, want);
	rh_store_close(plain);
}

/* Objects under the one per-store subfolder of the cache. */
static int
cache_count(void)
{
	char cmd[1300];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", cachedir);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

Test(store_cache, read_only_needs_a_cache_dir)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	rh_store *st = NULL;

	o.read_only = 1;
	cr_assert_eq(rh_store_open(&st, storedir, &o), RH_EINVAL);
	cr_assert_null(st);
	cr_assert(strstr(rh_error_last(), "cache_dir"), "%s", rh_error_last());
}

Test(store_cache, read_only_writes_go_to_the_cache_and_shadow_the_store)
{
	rh_store *st = open_cached(1, 0);
	rh_store_writer *w;
	uint64_t size;

	cr_assert_eq(rh_store_put(st, "ns/c/s/index/session.idx", "new!", 4), 0,
	             "%s", rh_error_last());
	assert_get(st, "ns/c/s/index/session.idx", "new!");
	assert_store_has("ns/c/s/index/session.idx", "old");
	cr_assert_eq(rh_store_head(&size, NULL, st, "ns/c/s/index/session.idx"),
	             0);
	cr_assert_eq(size, 4);
	/* a streamed object too */
	cr_assert_eq(rh_store_writer_open(&w, st, "ns/c/t/index/session.idx"),
	             0);
	cr_assert_eq(rh_store_writer_write(w, "abc", 3), 0);
	cr_assert_eq(rh_store_writer_write(w, "def", 3), 0);
	cr_assert_eq(rh_store_writer_commit(w), 0, "%s", rh_error_last());
	assert_get(st, "ns/c/t/index/session.idx", "abcdef");
	cr_assert_eq(rh_store_head(&size, NULL, st, "ns/c/t/index/session.idx"),
	             0);
	cr_assert_eq(size, 6);
	/* the store's objects are still read from the store */
	assert_get(st, "ns/c/s/events/a", "event");
	/* deletes: the cache's copy goes, the store is never touched */
	cr_assert_eq(rh_store_delete(st, "ns/c/s/events/a"), RH_EACCES);
	cr_assert_eq(rh_store_delete(st, "ns/c/s/index/session.idx"), 0);
	assert_get(st, "ns/c/s/index/session.idx", "old");
	assert_store_has("ns/c/s/events/a", "event");
	rh_store_close(st);
	cr_assert_eq(cache_count(), 1);
}

Test(store_cache, a_new_handle_finds_what_the_cache_holds)
{
	rh_store *st = open_cached(1, 0);

	cr_assert_eq(rh_store_put(st, "ns/c/s/index/session.idx", "cached", 6),
	             0);
	rh_store_close(st);
	/* not read-only now: the cache is still read first for what it holds */
	st = open_cached(0, 0);
	assert_get(st, "ns/c/s/index/session.idx", "cached");
	/* the store takes a write: the cache's copy must not hide it */
	cr_assert_eq(rh_store_put(st, "ns/c/s/index/session.idx", "stored", 6),
	             0);
	assert_get(st, "ns/c/s/index/session.idx", "stored");
	assert_store_has("ns/c/s/index/session.idx", "stored");
	cr_assert_eq(cache_count(), 0);
	rh_store_close(st);
}

Test(store_cache, a_lost_cache_file_falls_back_to_the_store)
{
	rh_store *st = open_cached(1, 0);
	char cmd[1300];

	cr_assert_eq(rh_store_put(st, "ns/c/s/index/session.idx", "cached", 6),
	             0);
	snprintf(cmd, sizeof(cmd), "find '%s' -type f -delete", cachedir);
	cr_assert_eq(system(cmd), 0);
	assert_get(st, "ns/c/s/index/session.idx", "old");
	rh_store_close(st);
}

Test(store_cache, the_bound_removes_the_least_recently_used)
{
	rh_store *st = open_cached(1, 25);
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_store_put(st, "a/1", "0123456789", 10), 0);
	usleep(2000);
	cr_assert_eq(rh_store_put(st, "a/2", "0123456789", 10), 0);
	usleep(2000);
	assert_get(st, "a/1", "0123456789"); /* a/2 is now the oldest use */
	usleep(2000);
	cr_assert_eq(rh_store_put(st, "a/3", "0123456789", 10), 0);
	assert_get(st, "a/1", "0123456789");
	assert_get(st, "a/3", "0123456789");
	cr_assert_eq(rh_store_get(&b, st, "a/2", 0, SIZE_MAX), RH_ENOTFOUND);
	cr_assert_eq(cache_count(), 2);
	/* one object over the bound stays: it was just written */
	cr_assert_eq(
		rh_store_put(st, "a/4", "0123456789012345678901234567890", 31),
		0);
	assert_get(st, "a/4", "0123456789012345678901234567890");
	cr_assert_eq(cache_count(), 1);
	rh_store_close(st);
	/* a new handle applies its bound to what it finds */
	st = open_cached(1, 20);
	cr_assert_eq(rh_store_get(&b, st, "a/4", 0, SIZE_MAX), RH_ENOTFOUND);
	cr_assert_eq(cache_count(), 0);
	rh_store_close(st);
	rh_buf_dispose(&b);
}

Test(store_cache, one_subfolder_per_store)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	char other[1200], cmd[1300];
	rh_store *a = open_cached(1, 0), *b;
	FILE *p;
	int n = 0;

	snprintf(other, sizeof(other), "%s/other", tmpdir);
	o.cache_dir = cachedir;
	o.read_only = 1;
	cr_assert_eq(rh_store_open(&b, other, &o), 0, "%s", rh_error_last());
	cr_assert_eq(rh_store_put(a, "k/x", "A", 1), 0);
	cr_assert_eq(rh_store_put(b, "k/x", "B", 1), 0);
	assert_get(a, "k/x", "A");
	assert_get(b, "k/x", "B");
	snprintf(cmd, sizeof(cmd), "ls '%s' | wc -l", cachedir);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	cr_assert_eq(n, 2);
	rh_store_close(a);
	rh_store_close(b);
}

Test(store_cache, deletes_never_reach_a_read_only_store)
{
	rh_store *st = open_cached(1, 0);
	const char *keys[] = { "ns/c/s/events/a", "ns/c/s/index/session.idx" };

	cr_assert_eq(rh_store_delete_many(st, keys, 2), RH_EACCES);
	cr_assert(strstr(rh_error_last(), "read-only"), "%s", rh_error_last());
	rh_store_close(st);
	assert_store_has("ns/c/s/events/a", "event");
	assert_store_has("ns/c/s/index/session.idx", "old");
}
