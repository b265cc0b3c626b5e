/* test_store_file.c - the file:// store (lib/store.c, lib/store_file.c). */
#define _GNU_SOURCE /* nftw's FTW_PHYS */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rayhist/rayhist.h>

/* Each test runs in its own process (Criterion forks), so these are one
 * test's fixture. */
static char tmpdir[1024];
static char storedir[1100];
static rh_store *st;

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void
make_tmp_store(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rh-store-XXXXXX",
	         base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	snprintf(storedir, sizeof(storedir), "%s/store", tmpdir);
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0, "%s",
	             rh_error_last());
}

static void
remove_tmp_store(void)
{
	rh_store_close(st);
	st = NULL;
	if (getenv("RH_TEST_KEEP")) {
		fprintf(stderr, "kept %s\n", tmpdir);
		return;
	}
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store_file, .init = make_tmp_store, .fini = remove_tmp_store);

/* ---------------------------------------------------------------- helpers */

static void
put_str(const char *key, const char *s)
{
	cr_assert_eq(rh_store_put(st, key, s, strlen(s)), 0, "put %s: %s", key,
	             rh_error_last());
}

/* The whole object as a string (asserting it exists). */
static char *
get_str(const char *key)
{
	rh_buf b = RH_BUF_INIT;
	char *s;

	cr_assert_eq(rh_store_get(&b, st, key, 0, SIZE_MAX), 0, "get %s: %s",
	             key, rh_error_last());
	s = strndup(b.ptr ? b.ptr : "", b.size);
	rh_buf_dispose(&b);
	return s;
}

static void
assert_object(const char *key, const char *want)
{
	char *got = get_str(key);

	cr_assert_str_eq(got, want, "object %s", key);
	free(got);
}

static void
assert_fails(int got, int want, const char *what)
{
	cr_assert_eq(got, want, "%s: got %s (%s), want %s", what,
	             rh_error_name(got), rh_error_last(), rh_error_name(want));
	cr_assert_neq(rh_error_last()[0], '\0', "%s: no error message", what);
}

static int
collect(const rh_store_entry *e, void *payload)
{
	rh_buf *b = payload;

	cr_assert_eq(e->is_prefix ? e->size : 0, 0);
	return rh_buf_printf(b, "%s%s\n", e->key, e->is_prefix ? " P" : "");
}

/* The listing as lines "key" or "prefix P", each ended by '\n'. */
static char *
list_str(const char *prefix, const char *delim)
{
	rh_buf b = RH_BUF_INIT;
	char *s;

	cr_assert_eq(rh_store_list(st, prefix, delim, collect, &b), 0,
	             "list %s: %s", prefix, rh_error_last());
	s = strdup(b.ptr ? b.ptr : "");
	rh_buf_dispose(&b);
	return s;
}

static void
assert_list(const char *prefix, const char *delim, const char *want)
{
	char *got = list_str(prefix, delim);

	cr_assert_str_eq(got, want, "list prefix \"%s\" delim \"%s\"", prefix,
	                 delim ? delim : "(none)");
	free(got);
}

static int
path_exists(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", storedir, rel);
	return lstat(path, &sb) == 0;
}

static void
write_file(const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", storedir, rel);
	cr_assert_not_null(f = fopen(path, "w"), "%s: %s", path,
	                   strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* Names in folder `rel` of the store, sorted, joined by ' '. */
static char *
dir_names(const char *rel)
{
	char path[PATH_MAX * 2];
	struct dirent **names;
	rh_buf b = RH_BUF_INIT;
	char *s;
	int i, n;

	snprintf(path, sizeof(path), "%s/%s", storedir, rel);
	cr_assert_geq(n = scandir(path, &names, NULL, alphasort), 0, "%s",
	              path);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") &&
		    strcmp(names[i]->d_name, ".."))
			rh_buf_printf(&b, "%s%s", b.size ? " " : "",
			              names[i]->d_name);
		free(names[i]);
	}
	free(names);
	s = strdup(b.ptr ? b.ptr : "");
	rh_buf_dispose(&b);
	return s;
}

/* ---------------------------------------------------------------- put, get */

Test(store_file, put_then_get_returns_the_same_bytes)
{
	static const char data[] = "bin\0ary\n\xff\x01 bytes";
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_store_put(st, "ns/c1/s1/logs/raylet.out", data,
	                          sizeof(data)),
	             0, "%s", rh_error_last());
	cr_assert_eq(
		rh_store_get(&b, st, "ns/c1/s1/logs/raylet.out", 0, SIZE_MAX),
		0, "%s", rh_error_last());
	cr_assert_eq(b.size, sizeof(data));
	cr_assert_arr_eq(b.ptr, data, sizeof(data));
	cr_assert_eq(b.ptr[b.size], '\0', "the buffer stays NUL-terminated");
	rh_buf_dispose(&b);
}

Test(store_file, put_of_an_empty_object_then_get_returns_nothing)
{
	rh_buf b = RH_BUF_INIT;
	uint64_t size = 99;

	cr_assert_eq(rh_store_put(st, "empty", NULL, 0), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_store_head(&size, NULL, st, "empty"), 0);
	cr_assert_eq(size, 0);
	cr_assert_eq(rh_store_get(&b, st, "empty", 0, SIZE_MAX), 0);
	cr_assert_eq(b.size, 0);
	rh_buf_dispose(&b);
}

Test(store_file, put_then_get_of_a_large_object)
{
	size_t n = 3u << 20, i;
	unsigned char *data = malloc(n);
	rh_buf b = RH_BUF_INIT;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	cr_assert_eq(rh_store_put(st, "big/blob.zst", data, n), 0);
	cr_assert_eq(rh_store_get(&b, st, "big/blob.zst", 0, SIZE_MAX), 0);
	cr_assert_eq(b.size, n);
	cr_assert(memcmp(b.ptr, data, n) == 0);
	rh_buf_dispose(&b);
	free(data);
}

Test(store_file, get_of_a_range_returns_those_bytes)
{
	rh_buf b = RH_BUF_INIT;

	put_str("r", "0123456789");
	cr_assert_eq(rh_store_get(&b, st, "r", 3, 4), 0);
	cr_assert_eq(b.size, 4);
	cr_assert_str_eq(b.ptr, "3456");
	rh_buf_dispose(&b);
}

Test(store_file, get_of_a_range_crossing_the_end_is_short)
{
	rh_buf b = RH_BUF_INIT;

	put_str("r", "0123456789");
	cr_assert_eq(rh_store_get(&b, st, "r", 7, 100), 0);
	cr_assert_str_eq(b.ptr, "789");
	rh_buf_dispose(&b);
}

Test(store_file, get_past_end_returns_empty)
{
	rh_buf b = RH_BUF_INIT;

	put_str("a/b", "0123456789");
	cr_assert_eq(rh_store_get(&b, st, "a/b", 1u << 20, 10), 0);
	cr_assert_eq(b.size, 0);
	cr_assert_eq(rh_store_get(&b, st, "a/b", 10, SIZE_MAX), 0);
	cr_assert_eq(b.size, 0);
	cr_assert_eq(rh_store_get(&b, st, "a/b", UINT64_MAX, SIZE_MAX), 0);
	cr_assert_eq(b.size, 0);
	rh_buf_dispose(&b);
}

Test(store_file, get_appends_to_what_the_buffer_holds)
{
	rh_buf b = RH_BUF_INIT;

	put_str("x", "world");
	rh_buf_puts(&b, "hello ");
	cr_assert_eq(rh_store_get(&b, st, "x", 0, SIZE_MAX), 0);
	cr_assert_str_eq(b.ptr, "hello world");
	rh_buf_dispose(&b);
}

Test(store_file, get_and_head_of_a_missing_object_are_enotfound)
{
	rh_buf b = RH_BUF_INIT;
	uint64_t size;

	put_str("dir/obj", "x");
	assert_fails(rh_store_get(&b, st, "nope", 0, SIZE_MAX), RH_ENOTFOUND,
	             "get of a missing key");
	cr_assert_eq(b.size, 0);
	rh_error_clear();
	assert_fails(rh_store_head(&size, NULL, st, "dir/nope"), RH_ENOTFOUND,
	             "head of a missing key");
	rh_error_clear();
	assert_fails(rh_store_get(&b, st, "dir", 0, 1), RH_ENOTFOUND,
	             "get of a prefix");
	rh_error_clear();
	assert_fails(rh_store_head(&size, NULL, st, "dir"), RH_ENOTFOUND,
	             "head of a prefix");
	rh_error_clear();
	assert_fails(rh_store_get(&b, st, "dir/obj/under", 0, 1), RH_ENOTFOUND,
	             "get below an object");
	rh_buf_dispose(&b);
}

/* What is wrong is said: a folder is a prefix, not "no such object"; a
 * link or FIFO someone put in the folder is damage, never followed. */
Test(store_file, a_folder_link_or_fifo_at_a_key_is_named)
{
	char path[1200], target[1200];
	rh_buf b = RH_BUF_INIT;
	uint64_t size;

	put_str("dir/obj", "x");
	assert_fails(rh_store_get(&b, st, "dir", 0, 1), RH_ENOTFOUND,
	             "a folder");
	cr_assert(strstr(rh_error_last(), "a folder"), "%s", rh_error_last());
	cr_assert_null(strstr(rh_error_last(), "no such object"), "%s",
	               rh_error_last());
	snprintf(target, sizeof(target), "%s/dir/obj", storedir);
	snprintf(path, sizeof(path), "%s/link", storedir);
	cr_assert_eq(symlink(target, path), 0);
	assert_fails(rh_store_get(&b, st, "link", 0, SIZE_MAX), RH_ECORRUPT,
	             "a symbolic link");
	cr_assert(strstr(rh_error_last(), "symbolic link"), "%s",
	          rh_error_last());
	cr_assert_eq(b.size, 0);
	assert_fails(rh_store_head(&size, NULL, st, "link"), RH_ECORRUPT,
	             "head of a symbolic link");
	snprintf(path, sizeof(path), "%s/fifo", storedir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	assert_fails(rh_store_get(&b, st, "fifo", 0, SIZE_MAX), RH_ECORRUPT,
	             "a FIFO");
	cr_assert(strstr(rh_error_last(), "special file"), "%s",
	          rh_error_last());
	rh_buf_dispose(&b);
}

/* Readers open with must_exist: a mistyped folder is RH_ENOTFOUND and
 * nothing is created; an existing one opens. */
Test(store_file, must_exist_creates_nothing)
{
	rh_store_options opts = RH_STORE_OPTIONS_INIT;
	char path[1200];
	rh_store *s2 = (rh_store *)1;
	struct stat sb;

	opts.must_exist = 1;
	snprintf(path, sizeof(path), "%s/typo/store", tmpdir);
	assert_fails(rh_store_open(&s2, path, &opts), RH_ENOTFOUND, "missing");
	cr_assert_null(s2);
	cr_assert(strstr(rh_error_last(), "no such store folder"), "%s",
	          rh_error_last());
	snprintf(path, sizeof(path), "%s/typo", tmpdir);
	cr_assert_neq(stat(path, &sb), 0, "the reader created %s", path);
	cr_assert_eq(rh_store_open(&s2, storedir, &opts), 0, "%s",
	             rh_error_last());
	rh_store_close(s2);
	/* a version-1 options struct (no must_exist) still opens, creating */
	opts.version = 1;
	opts.must_exist = 1; /* past a v1 struct's end: not read */
	snprintf(path, sizeof(path), "%s/v1/store", tmpdir);
	cr_assert_eq(rh_store_open(&s2, path, &opts), 0, "%s", rh_error_last());
	rh_store_close(s2);
	cr_assert_eq(stat(path, &sb), 0);
}

Test(store_file, head_reports_size_and_mtime)
{
	struct timespec now;
	uint64_t size = 0;
	int64_t mtime = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	put_str("h/k", "12345");
	cr_assert_eq(rh_store_head(&size, &mtime, st, "h/k"), 0);
	cr_assert_eq(size, 5);
	cr_assert_geq(mtime, (int64_t)now.tv_sec * 1000 - 2000);
	cr_assert_leq(mtime, (int64_t)now.tv_sec * 1000 + 60000);
	cr_assert_eq(rh_store_head(&size, NULL, st, "h/k"), 0,
	             "mtime_ms_out may be NULL");
}

Test(store_file, put_overwrites_an_existing_object)
{
	put_str("o/k", "a long first version");
	put_str("o/k", "v2");
	assert_object("o/k", "v2");
	assert_list("o/", NULL, "o/k\n");
}

Test(store_file, keys_with_backslashes_dots_and_spaces_are_fine)
{
	put_str("a\\b", "1");
	put_str("..a/b..", "2");
	put_str("x/.../y z", "3");
	assert_object("a\\b", "1");
	assert_object("..a/b..", "2");
	assert_object("x/.../y z", "3");
}

/* ---------------------------------------------------------------- keys */

static void
assert_key_rejected(const char *key, const char *why)
{
	rh_store_writer *w = (rh_store_writer *)1;
	rh_buf b = RH_BUF_INIT;
	uint64_t size;

	rh_error_clear();
	assert_fails(rh_store_put(st, key, "x", 1), RH_EINVAL, why);
	rh_error_clear();
	assert_fails(rh_store_get(&b, st, key, 0, 1), RH_EINVAL, why);
	rh_error_clear();
	assert_fails(rh_store_head(&size, NULL, st, key), RH_EINVAL, why);
	rh_error_clear();
	assert_fails(rh_store_delete(st, key), RH_EINVAL, why);
	rh_error_clear();
	assert_fails(rh_store_writer_open(&w, st, key), RH_EINVAL, why);
	cr_assert_null(w, "%s: *out is cleared", why);
	cr_assert_eq(b.size, 0);
}

Test(store_file, bad_keys_are_einval)
{
	char longkey[1100];

	memset(longkey, 'k', 1025);
	longkey[1025] = '\0';
	assert_key_rejected(NULL, "NULL key");
	assert_key_rejected("", "empty key");
	assert_key_rejected("/abs", "leading '/'");
	assert_key_rejected("a/", "trailing '/'");
	assert_key_rejected("a//b", "empty component");
	assert_key_rejected(".", "\".\"");
	assert_key_rejected("./a", "leading \".\" component");
	assert_key_rejected("a/./b", "\".\" component");
	assert_key_rejected("..", "\"..\"");
	assert_key_rejected("../escape", "leading \"..\" component");
	assert_key_rejected("a/../../escape", "\"..\" component");
	assert_key_rejected("a/..", "trailing \"..\" component");
	assert_key_rejected("a\nb", "newline");
	assert_key_rejected("a\x01", "control byte");
	assert_key_rejected("\x7f", "DEL byte");
	assert_key_rejected(longkey, "1025-byte key");
	assert_key_rejected(".tmp-1-2-x", "temporary-file name");
	assert_key_rejected("a/.tmp-x/b", "temporary-file folder");
	cr_assert_not(path_exists("escape"));
	cr_assert_not(path_exists("../escape"));
}

Test(store_file, a_key_of_1024_bytes_is_fine)
{
	char key[1025];
	int i;

	/* Five 200-byte components, as a file system allows 255 per name. */
	memset(key, 'k', 1024);
	for (i = 1; i <= 4; i++)
		key[i * 201 - 1] = '/';
	key[1024] = '\0';
	put_str(key, "long");
	assert_object(key, "long");
}

Test(store_file, bad_arguments_are_einval)
{
	rh_buf b = RH_BUF_INIT;
	rh_store_writer *w;

	assert_fails(rh_store_put(NULL, "k", "x", 1), RH_EINVAL,
	             "put NULL store");
	rh_error_clear();
	assert_fails(rh_store_put(st, "k", NULL, 1), RH_EINVAL,
	             "put NULL data");
	rh_error_clear();
	assert_fails(rh_store_get(NULL, st, "k", 0, 1), RH_EINVAL,
	             "get NULL out");
	rh_error_clear();
	assert_fails(rh_store_get(&b, NULL, "k", 0, 1), RH_EINVAL,
	             "get NULL store");
	rh_error_clear();
	assert_fails(rh_store_head(NULL, NULL, st, "k"), RH_EINVAL,
	             "head NULL size");
	rh_error_clear();
	assert_fails(rh_store_list(st, "", NULL, NULL, NULL), RH_EINVAL,
	             "list NULL callback");
	rh_error_clear();
	assert_fails(rh_store_list(NULL, "", NULL, collect, &b), RH_EINVAL,
	             "list NULL store");
	rh_error_clear();
	assert_fails(rh_store_delete(NULL, "k"), RH_EINVAL,
	             "delete NULL store");
	rh_error_clear();
	assert_fails(rh_store_writer_open(NULL, st, "k"), RH_EINVAL,
	             "writer_open NULL out");
	rh_error_clear();
	assert_fails(rh_store_writer_open(&w, NULL, "k"), RH_EINVAL,
	             "writer_open NULL store");
	rh_error_clear();
	assert_fails(rh_store_writer_write(NULL, "x", 1), RH_EINVAL,
	             "write NULL writer");
	rh_error_clear();
	assert_fails(rh_store_writer_commit(NULL), RH_EINVAL,
	             "commit NULL writer");
	rh_store_writer_abort(NULL);
	rh_store_close(NULL);
	cr_assert_eq(rh_store_writer_size(NULL), 0);
	rh_buf_dispose(&b);
}

Test(store_file, bad_prefixes_are_einval)
{
	rh_buf b = RH_BUF_INIT;

	assert_fails(rh_store_list(st, "/a", NULL, collect, &b), RH_EINVAL,
	             "'/a'");
	rh_error_clear();
	assert_fails(rh_store_list(st, "a//b", NULL, collect, &b), RH_EINVAL,
	             "'a//b'");
	rh_error_clear();
	assert_fails(rh_store_list(st, "../", "/", collect, &b), RH_EINVAL,
	             "'../'");
	rh_error_clear();
	assert_fails(rh_store_list(st, "a/./", "/", collect, &b), RH_EINVAL,
	             "'a/./'");
	rh_error_clear();
	assert_fails(rh_store_list(st, "a\tb", NULL, collect, &b), RH_EINVAL,
	             "tab");
	cr_assert_eq(b.size, 0);
	rh_buf_dispose(&b);
}

/* ---------------------------------------------------------------- list */

static void
put_tree(void)
{
	/* Chosen so that folder order and key order differ: '-' and '.' sort
	 * before '/', '0' after it. */
	put_str("a/y/z", "1");
	put_str("a0", "1");
	put_str("a-b", "1");
	put_str("a/x", "1");
	put_str("a/p0", "1");
	put_str("b", "1");
	put_str("a.c", "1");
	put_str("A", "1");
	put_str("a/p/r", "1");
	put_str("a/p-q", "1");
}

Test(store_file, list_without_delimiter_gives_every_key_in_byte_order)
{
	put_tree();
	assert_list("", NULL,
	            "A\na-b\na.c\na/p-q\na/p/r\na/p0\na/x\na/y/z\na0\nb\n");
}

static int
check_size(const rh_store_entry *e, void *payload)
{
	(void)payload;
	cr_assert_not(e->is_prefix);
	cr_assert_eq(e->size, strlen(e->key) % 7, "%s", e->key);
	cr_assert_gt(e->mtime_ms, 0);
	return 0;
}

Test(store_file, list_entries_carry_size_and_mtime)
{
	static const char *keys[] = { "s/a", "s/bb", "s/ccc/d", "s/e" };
	char body[8] = "xxxxxxx";
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		cr_assert_eq(
			rh_store_put(st, keys[i], body, strlen(keys[i]) % 7),
			0);
	cr_assert_eq(rh_store_list(st, "", NULL, check_size, NULL), 0);
}

Test(store_file, list_with_delimiter_rolls_up_folders_like_s3)
{
	put_tree();
	assert_list("", "/", "A\na-b\na.c\na/ P\na0\nb\n");
	assert_list("a/", "/", "a/p-q\na/p/ P\na/p0\na/x\na/y/ P\n");
	assert_list("a/p/", "/", "a/p/r\n");
	assert_list("a/p", "/", "a/p-q\na/p/ P\na/p0\n");
}

Test(store_file, list_with_a_prefix_ending_mid_name)
{
	put_str("ns/session_1/a", "1");
	put_str("ns/session_2/b/c", "1");
	put_str("ns/sessions", "1");
	put_str("ns/other/x", "1");
	put_str("ns/sess", "1");
	assert_list("ns/sess", NULL,
	            "ns/sess\nns/session_1/a\nns/session_2/b/c\nns/sessions\n");
	assert_list("ns/sess", "/",
	            "ns/sess\nns/session_1/ P\nns/session_2/ P\nns/sessions\n");
	assert_list("ns/session_2/b/", "/", "ns/session_2/b/c\n");
	assert_list("n", "/", "ns/ P\n");
	assert_list("ns/session_1/a", "/", "ns/session_1/a\n");
}

Test(store_file, list_with_another_delimiter_rolls_up_at_its_first_match)
{
	put_str("s_1/a", "1");
	put_str("s_1/b", "1");
	put_str("s_2", "1");
	put_str("s-3", "1");
	put_str("t/u_v/w", "1");
	assert_list("", "_", "s-3\ns_ P\nt/u_ P\n");
	assert_list("s_", "_", "s_1/a\ns_1/b\ns_2\n");
	assert_list("", "1/", "s-3\ns_1/ P\ns_2\nt/u_v/w\n");
}

Test(store_file, list_of_a_missing_prefix_is_empty)
{
	put_tree();
	assert_list("zzz", NULL, "");
	assert_list("nope/", "/", "");
	assert_list("b/", "/", "");
	assert_list("a/x/deep/", NULL, "");
	assert_list("a/y/z/", "/", "");
}

Test(store_file, list_of_an_empty_store_is_empty)
{
	assert_list("", NULL, "");
	assert_list("", "/", "");
}

static int
stop_after_two(const rh_store_entry *e, void *payload)
{
	int *n = payload;

	(void)e;
	return ++*n == 2 ? 42 : 0;
}

Test(store_file, list_stops_when_the_callback_returns_non_zero)
{
	int n = 0;

	put_tree();
	cr_assert_eq(rh_store_list(st, "", NULL, stop_after_two, &n), 42);
	cr_assert_eq(n, 2);
	n = 0;
	cr_assert_eq(rh_store_list(st, "", "/", stop_after_two, &n), 42);
	cr_assert_eq(n, 2);
}

Test(store_file, list_skips_empty_folders_temporary_files_and_bad_names)
{
	char path[PATH_MAX * 2];

	put_str("keep/k", "1");
	snprintf(path, sizeof(path), "%s/empty", storedir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/empty/deeper", storedir);
	mkdir(path, 0777);
	write_file(".tmp-1-2-root", "partial");
	write_file("keep/.tmp-3-4-k", "partial");
	snprintf(path, sizeof(path), "%s/onlytmp", storedir);
	mkdir(path, 0777);
	write_file("onlytmp/.tmp-5-6-z", "partial");
	write_file("keep/bad\nname", "not a key");
	assert_list("", NULL, "keep/k\n");
	assert_list("", "/", "keep/ P\n");
	assert_list(".tmp", NULL, "");
	assert_list("keep/.tmp-3-4-k", NULL, "");
}

/* ---------------------------------------------------------------- delete */

Test(store_file, delete_removes_the_object_and_the_folders_it_empties)
{
	put_str("a/b/c", "1");
	put_str("a/d", "1");
	cr_assert_eq(rh_store_delete(st, "a/b/c"), 0, "%s", rh_error_last());
	cr_assert_not(path_exists("a/b"), "a/b was emptied, so it is removed");
	cr_assert(path_exists("a/d"));
	assert_list("", NULL, "a/d\n");
	cr_assert_eq(rh_store_delete(st, "a/d"), 0);
	cr_assert_not(path_exists("a"));
	cr_assert(access(storedir, F_OK) == 0, "the store folder stays");
	assert_list("", "/", "");
}

Test(store_file, delete_of_a_missing_object_succeeds)
{
	put_str("a/b", "1");
	cr_assert_eq(rh_store_delete(st, "nope"), 0);
	cr_assert_eq(rh_store_delete(st, "a/nope/deeper"), 0);
	cr_assert_eq(rh_store_delete(st, "a/b/below-an-object"), 0);
	cr_assert_eq(rh_store_delete(st, "a"), 0, "a prefix is no object");
	assert_object("a/b", "1");
}

Test(store_file, put_after_delete_recreates_folders)
{
	put_str("x/y/z", "1");
	cr_assert_eq(rh_store_delete(st, "x/y/z"), 0);
	put_str("x/y/z", "2");
	assert_object("x/y/z", "2");
}

/* ---------------------------------------------------------------- writer */

Test(store_file, writer_commit_makes_the_object_visible_at_once)
{
	rh_store_writer *w;
	uint64_t size;
	char *names;
	int i;

	cr_assert_eq(rh_store_writer_open(&w, st, "w/obj"), 0, "%s",
	             rh_error_last());
	for (i = 0; i < 100; i++)
		cr_assert_eq(rh_store_writer_write(w, "0123456789", 10), 0);
	cr_assert_eq(rh_store_writer_write(w, NULL, 0), 0);
	cr_assert_eq(rh_store_writer_size(w), 1000);

	assert_fails(rh_store_head(&size, NULL, st, "w/obj"), RH_ENOTFOUND,
	             "head before commit");
	assert_list("", NULL, "");
	assert_list("", "/", "");
	names = dir_names("w");
	cr_assert(strncmp(names, ".tmp-", 5) == 0 && !strchr(names, ' '),
	          "one temporary file, got \"%s\"", names);
	free(names);

	cr_assert_eq(rh_store_writer_commit(w), 0, "%s", rh_error_last());
	cr_assert_eq(rh_store_head(&size, NULL, st, "w/obj"), 0);
	cr_assert_eq(size, 1000);
	assert_list("", NULL, "w/obj\n");
	names = dir_names("w");
	cr_assert_str_eq(names, "obj", "no temporary file is left");
	free(names);
}

Test(store_file, writer_abort_leaves_the_old_object_and_no_file)
{
	rh_store_writer *w;
	char *names;

	put_str("w/obj", "old");
	cr_assert_eq(rh_store_writer_open(&w, st, "w/obj"), 0);
	cr_assert_eq(rh_store_writer_write(w, "new bytes", 9), 0);
	assert_object("w/obj", "old");
	rh_store_writer_abort(w);
	assert_object("w/obj", "old");
	names = dir_names("w");
	cr_assert_str_eq(names, "obj");
	free(names);
}

Test(store_file, writer_replaces_an_old_object_only_at_commit)
{
	rh_store_writer *w;

	put_str("w/obj", "old");
	cr_assert_eq(rh_store_writer_open(&w, st, "w/obj"), 0);
	cr_assert_eq(rh_store_writer_write(w, "new", 3), 0);
	assert_object("w/obj", "old");
	assert_list("w/", NULL, "w/obj\n");
	cr_assert_eq(rh_store_writer_commit(w), 0);
	assert_object("w/obj", "new");
}

Test(store_file, writer_abort_of_a_new_key_leaves_nothing)
{
	rh_store_writer *w;

	cr_assert_eq(rh_store_writer_open(&w, st, "new/key"), 0);
	cr_assert_eq(rh_store_writer_write(w, "x", 1), 0);
	rh_store_writer_abort(w);
	assert_list("", NULL, "");
	assert_fails(rh_store_get(&(rh_buf)RH_BUF_INIT, st, "new/key", 0, 1),
	             RH_ENOTFOUND, "aborted key");
}

/* A file size limit stands in for a full disk: write(2) fails with EFBIG. */
static void
limit_file_size(rlim_t max)
{
	struct rlimit rl = { max, max };

	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "%s", strerror(errno));
}

Test(store_file, a_failed_write_leaves_no_object_and_no_file)
{
	static char big[8192];
	rh_store_writer *w;
	char *names;

	put_str("f/old", "old");
	limit_file_size(4096);
	assert_fails(rh_store_put(st, "f/old", big, sizeof(big)), RH_EIO,
	             "put past the limit");
	assert_object("f/old", "old");

	cr_assert_eq(rh_store_writer_open(&w, st, "f/new"), 0);
	cr_assert_eq(rh_store_writer_write(w, big, 100), 0);
	assert_fails(rh_store_writer_write(w, big, sizeof(big)), RH_EIO,
	             "write past the limit");
	rh_error_clear();
	assert_fails(rh_store_writer_write(w, "x", 1), RH_EIO,
	             "write after a failed one");
	rh_error_clear();
	assert_fails(rh_store_writer_commit(w), RH_EIO,
	             "commit after a failed write");
	assert_list("f/", NULL, "f/old\n");
	names = dir_names("f");
	cr_assert_str_eq(names, "old", "no temporary file is left");
	free(names);
}

/* ---------------------------------------------------------------- file:// limits */

Test(store_file, a_key_below_an_object_is_eexists)
{
	put_str("a", "object");
	assert_fails(rh_store_put(st, "a/b", "x", 1), RH_EEXISTS, "put below");
	put_str("c/d", "1");
	assert_fails(rh_store_put(st, "c", "x", 1), RH_EEXISTS, "put above");
	assert_object("a", "object");
	assert_object("c/d", "1");
	assert_list("", NULL, "a\nc/d\n");
}

Test(store_file, an_empty_left_over_folder_does_not_block_a_put)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/e", storedir);
	cr_assert_eq(mkdir(path, 0777), 0);
	put_str("e", "1");
	assert_object("e", "1");
}

/* ---------------------------------------------------------------- open */

Test(store_file, open_creates_a_missing_folder_and_its_parents)
{
	char path[PATH_MAX * 2];
	rh_store *s2;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/new/deeper/store", tmpdir);
	cr_assert_eq(rh_store_open(&s2, path, NULL), 0, "%s", rh_error_last());
	cr_assert(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
	rh_store_close(s2);
}

Test(store_file, an_unwritable_store_path_is_eio)
{
	char path[PATH_MAX * 2];
	rh_store *s2 = (rh_store *)1;

	/* Tests may run as root, whom permissions do not stop: use paths
	 * that no one can make a folder of. */
	write_file("plainfile", "x");
	snprintf(path, sizeof(path), "%s/plainfile/store", storedir);
	assert_fails(rh_store_open(&s2, path, NULL), RH_EIO,
	             "parent is a regular file");
	cr_assert_null(s2);
	snprintf(path, sizeof(path), "%s/plainfile", storedir);
	assert_fails(rh_store_open(&s2, path, NULL), RH_EIO,
	             "path is a regular file");
	assert_fails(rh_store_open(&s2, "/proc/rayhist-no-such/store", NULL),
	             RH_EIO, "path under /proc");
	assert_fails(rh_store_open(&s2, "/proc/self/cmdline", NULL), RH_EIO,
	             "path is a /proc file");
}

Test(store_file, bad_urls_are_einval)
{
	rh_store_options opts = RH_STORE_OPTIONS_INIT;
	rh_store *s2 = (rh_store *)1;

	/* s3:// URLs go to store_s3.c (tests/lib/test_store_s3_*.c) */
	assert_fails(rh_store_open(&s2, "s3://", NULL), RH_EINVAL,
	             "s3 without a bucket");
	cr_assert(strstr(rh_error_last(), "no bucket"), "%s", rh_error_last());
	cr_assert_null(s2);
	assert_fails(rh_store_open(&s2, "http://host/x", NULL), RH_EINVAL,
	             "http");
	assert_fails(rh_store_open(&s2, "", NULL), RH_EINVAL, "empty");
	assert_fails(rh_store_open(&s2, NULL, NULL), RH_EINVAL, "NULL");
	assert_fails(rh_store_open(&s2, "file://host/x", NULL), RH_EINVAL,
	             "file:// with a host");
	assert_fails(rh_store_open(&s2, "file://", NULL), RH_EINVAL,
	             "file:// without a path");
	assert_fails(rh_store_open(&s2, "file:///tmp/x%zz", NULL), RH_EINVAL,
	             "bad %-escape");
	assert_fails(rh_store_open(&s2, "file:///tmp/x%00", NULL), RH_EINVAL,
	             "%00");
	assert_fails(rh_store_open(&s2, "file:///tmp/x?y", NULL), RH_EINVAL,
	             "query");
	assert_fails(rh_store_open(NULL, storedir, NULL), RH_EINVAL,
	             "NULL out");
	opts.version = 99;
	assert_fails(rh_store_open(&s2, storedir, &opts), RH_EINVAL,
	             "options version");
}

Test(store_file, url_is_normalised_to_an_absolute_file_url)
{
	char url[PATH_MAX * 3], want[PATH_MAX * 3], path[PATH_MAX * 2];
	rh_store *s2;
	struct stat sb;

	snprintf(want, sizeof(want), "file://%s", storedir);
	cr_assert_str_eq(rh_store_url(st), want);

	snprintf(url, sizeof(url), "file://%s/./sp%%20ace//", tmpdir);
	cr_assert_eq(rh_store_open(&s2, url, NULL), 0, "%s", rh_error_last());
	snprintf(path, sizeof(path), "%s/sp ace", tmpdir);
	cr_assert(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
	snprintf(want, sizeof(want), "file://%s/sp%%20ace", tmpdir);
	cr_assert_str_eq(rh_store_url(s2), want);
	rh_store_close(s2);

	snprintf(url, sizeof(url), "FILE://localhost%s/sp%%20ace", tmpdir);
	cr_assert_eq(rh_store_open(&s2, url, NULL), 0, "%s", rh_error_last());
	cr_assert_str_eq(rh_store_url(s2), want);
	rh_store_close(s2);

	cr_assert_eq(chdir(tmpdir), 0);
	cr_assert_eq(rh_store_open(&s2, "rel/store/", NULL), 0, "%s",
	             rh_error_last());
	snprintf(want, sizeof(want), "file://%s/rel/store", tmpdir);
	cr_assert_str_eq(rh_store_url(s2), want);
	cr_assert_eq(chdir("/"), 0);
	cr_assert_eq(rh_store_put(s2, "k", "v", 1), 0,
	             "a relative store survives chdir: %s", rh_error_last());
	rh_store_close(s2);
	snprintf(path, sizeof(path), "%s/rel/store/k", tmpdir);
	cr_assert_eq(access(path, F_OK), 0);
}

Test(store_file, a_store_works_without_fsync)
{
	rh_store_options opts = RH_STORE_OPTIONS_INIT;
	rh_store_writer *w;
	rh_store *s2;
	rh_buf b = RH_BUF_INIT;

	opts.fsync = 0;
	cr_assert_eq(rh_store_open(&s2, storedir, &opts), 0);
	cr_assert_eq(rh_store_put(s2, "n/a", "1", 1), 0);
	cr_assert_eq(rh_store_writer_open(&w, s2, "n/b"), 0);
	cr_assert_eq(rh_store_writer_write(w, "22", 2), 0);
	cr_assert_eq(rh_store_writer_commit(w), 0);
	cr_assert_eq(rh_store_get(&b, s2, "n/b", 0, SIZE_MAX), 0);
	cr_assert_str_eq(b.ptr, "22");
	rh_buf_dispose(&b);
	rh_store_close(s2);
	assert_object("n/a", "1");
}

Test(store_file, default_url_prefers_the_flag_then_the_environment)
{
	cr_assert_eq(unsetenv("RAYHIST_STORE"), 0);
	cr_assert_str_eq(rh_store_default_url(NULL), RH_STORE_DEFAULT_URL);
	cr_assert_str_eq(rh_store_default_url(NULL), "./rayhist-store");
	cr_assert_str_eq(rh_store_default_url("/from/flag"), "/from/flag");
	cr_assert_eq(setenv("RAYHIST_STORE", "", 1), 0);
	cr_assert_str_eq(rh_store_default_url(NULL), RH_STORE_DEFAULT_URL,
	                 "an empty $RAYHIST_STORE counts as unset");
	cr_assert_eq(setenv("RAYHIST_STORE", "s3://bucket/env", 1), 0);
	cr_assert_str_eq(rh_store_default_url(NULL), "s3://bucket/env");
	cr_assert_str_eq(rh_store_default_url("/from/flag"), "/from/flag");
	unsetenv("RAYHIST_STORE");
}

/* ---------------------------------------------------------------- threads */

#define NTHREADS 8
#define NROUNDS 150

typedef struct worker {
	pthread_t tid;
	int id;
	int failures;
	char first_failure[512];
} worker;

static atomic_int go;

static void
fail(worker *wk, const char *what, int code)
{
	if (!wk->failures++)
		snprintf(wk->first_failure, sizeof(wk->first_failure),
		         "thread %d: %s: %s: %s", wk->id, what,
		         rh_error_name(code), rh_error_last());
}

/* A body tells its own length and is filled with one byte, so that a torn
 * or mixed read shows. */
static size_t
make_body(char *buf, int id, int round)
{
	size_t len = 16 + (size_t)((id * 131 + round * 17) % 3000);

	memset(buf, 'A' + id, len);
	snprintf(buf, 16, "%010zu", len);
	buf[10] = (char)('A' + id);
	return len;
}

static int
body_ok(const rh_buf *b)
{
	size_t len, i;

	if (b->size < 16 || sscanf(b->ptr, "%10zu", &len) != 1 ||
	    len != b->size)
		return 0;
	for (i = 11; i < len; i++)
		if (b->ptr[i] != b->ptr[10])
			return 0;
	return 1;
}

static int
count_entry(const rh_store_entry *e, void *payload)
{
	(void)e;
	++*(int *)payload;
	return 0;
}

static void *
work(void *arg)
{
	worker *wk = arg;
	char key[128], body[4096];
	rh_buf b = RH_BUF_INIT;
	int r, code, n;

	while (!atomic_load(&go))
		;
	for (r = 0; r < NROUNDS; r++) {
		size_t len = make_body(body, wk->id, r);
		rh_store_writer *w;

		/* Own key: must read back exactly. */
		snprintf(key, sizeof(key), "own/t%d/k%d", wk->id, r % 10);
		if ((code = rh_store_put(st, key, body, len)) < 0)
			fail(wk, "put own", code);
		rh_buf_clear(&b);
		if ((code = rh_store_get(&b, st, key, 0, SIZE_MAX)) < 0)
			fail(wk, "get own", code);
		else if (b.size != len || memcmp(b.ptr, body, len) != 0)
			fail(wk, "own object changed", 0);

		/* Shared keys, overwritten by all: any whole version. */
		snprintf(key, sizeof(key), "shared/k%d", r % 4);
		if (r % 2 == 0) {
			if ((code = rh_store_put(st, key, body, len)) < 0)
				fail(wk, "put shared", code);
		} else if ((code = rh_store_writer_open(&w, st, key)) < 0) {
			fail(wk, "open shared", code);
		} else if ((code = rh_store_writer_write(w, body, len / 2)) <
		                   0 ||
		           (code = rh_store_writer_write(w, body + len / 2,
		                                         len - len / 2)) < 0) {
			fail(wk, "write shared", code);
			rh_store_writer_abort(w);
		} else if ((code = rh_store_writer_commit(w)) < 0) {
			fail(wk, "commit shared", code);
		}
		rh_buf_clear(&b);
		if ((code = rh_store_get(&b, st, key, 0, SIZE_MAX)) < 0)
			fail(wk, "get shared", code);
		else if (!body_ok(&b))
			fail(wk, "torn shared object", 0);

		/* Folders emptied by one thread's delete while another puts
		 * into them. */
		snprintf(key, sizeof(key), "churn/d%d/e/t%d-%d", r % 3, wk->id,
		         r);
		if ((code = rh_store_put(st, key, body, len)) < 0)
			fail(wk, "put churn", code);
		if ((code = rh_store_delete(st, key)) < 0)
			fail(wk, "delete churn", code);

		if (r % 10 == 0) {
			n = 0;
			if ((code = rh_store_list(st, "", NULL, count_entry,
			                          &n)) < 0 ||
			    (code = rh_store_list(st, "churn/", "/",
			                          count_entry, &n)) < 0)
				fail(wk, "list", code);
		}
	}
	rh_buf_dispose(&b);
	return NULL;
}

Test(store_file, one_store_serves_many_threads_at_once)
{
	worker wk[NTHREADS] = { 0 };
	char key[64];
	int i, j;

	for (i = 0; i < NTHREADS; i++) {
		wk[i].id = i;
		cr_assert_eq(pthread_create(&wk[i].tid, NULL, work, &wk[i]), 0);
	}
	atomic_store(&go, 1);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(wk[i].tid, NULL);
	for (i = 0; i < NTHREADS; i++)
		cr_expect_eq(wk[i].failures, 0, "%d failures, first: %s",
		             wk[i].failures, wk[i].first_failure);

	/* Every own key holds its last version; churn left no folders. */
	for (i = 0; i < NTHREADS; i++)
		for (j = 0; j < 10; j++) {
			rh_buf b = RH_BUF_INIT;
			char body[4096];
			size_t len = make_body(body, i, NROUNDS - 10 + j);

			snprintf(key, sizeof(key), "own/t%d/k%d", i, j);
			cr_assert_eq(rh_store_get(&b, st, key, 0, SIZE_MAX), 0);
			cr_assert_eq(b.size, len, "%s", key);
			cr_assert(memcmp(b.ptr, body, len) == 0, "%s", key);
			rh_buf_dispose(&b);
		}
	assert_list("churn/", NULL, "");
	assert_list("", "/", "own/ P\nshared/ P\n");
	cr_assert_not(path_exists("churn"), "emptied folders are removed");
}
