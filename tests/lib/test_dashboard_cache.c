/* Tests of the answer cache (lib/dashboard_cache.c) through its by-reference
 * entry point, rh_dashboard_kept_get(): a kept answer is the computed one,
 * byte for byte; a large body is also a sealed file for sendfile(); a held
 * answer outlives its eviction; memfds stay within their cap and none is
 * left behind. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dashboard_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-01-02_03-04-05_678901_99"
#define BASE "/c/default/c1/" SESSION "/"
#define BIG_LINES 2500 /* ~200 KB: over the memfd threshold */
#define BIG_TAIL \
	BASE "api/v0/logs/file?node_id=" NODE "&filename=big.log&lines=-1"
#define NOW 1735787100000

static const char RAYLET_OUT[] =
	"[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: Setting node ID node_id=" NODE
	"\n";
static const char LEGACY[] =
	"{\"custom_fields\":{\"job_id\":\"01000000\"},\"event_id\":\"e1\","
	"\"host_name\":\"h\",\"label\":\"JOB\",\"message\":\"job started\","
	"\"pid\":\"1\",\"severity\":\"INFO\",\"source_type\":\"GCS\","
	"\"timestamp\":1735787046}\n";

static char tmp[256];
static rh_store *st;
static rh_dashboard *d;
static rh_buf big = RH_BUF_INIT;
static int fds0;

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(p, "wb"), "%s", p);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* Open file descriptors of this process. */
static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(dir);
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n - 1; /* opendir's own */
}

static void
open_dashboard(int64_t cache_bytes)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;

	rh_dashboard_free(d);
	o.cache_bytes = cache_bytes;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

static void
setup(void)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	char sdir[300], logs[400], url[300], cmd[1000];
	int i;

	fds0 = count_fds();
	snprintf(tmp, sizeof(tmp), "/tmp/rh_dcache_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	snprintf(logs, sizeof(logs), "%s/logs", sdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/events", logs);
	cr_assert_eq(system(cmd), 0);
	write_file(logs, "raylet.out", RAYLET_OUT, sizeof(RAYLET_OUT) - 1);
	write_file(logs, "events/event_GCS.log", LEGACY, sizeof(LEGACY) - 1);
	for (i = 0; i < BIG_LINES; i++)
		rh_buf_printf(&big,
		              "[2025-01-02 03:04:05,%03d I 1 1] line %d of "
		              "the big log, padded to be longer\n",
		              i % 1000, i);
	write_file(logs, "big.log", big.ptr, big.size);
	snprintf(url, sizeof(url), "file://%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s", rh_error_last());
	o.cluster = "c1";
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
	open_dashboard(0);
}

static void
teardown(void)
{
	char cmd[300];

	rh_dashboard_free(d);
	d = NULL;
	rh_store_close(st);
	st = NULL;
	rh_buf_dispose(&big);
	/* every memfd closed with its entry */
	cr_expect_eq(count_fds(), fds0, "file descriptors left open");
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		(void)system(cmd);
	}
}

TestSuite(dashboard_cache, .init = setup, .fini = teardown);

static void
compute(rh_dashboard_response *out, const char *target)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.target = target;
	rq.now_ms = NOW;
	cr_assert_eq(rh_dashboard_handle(out, d, &rq), 0, "%s",
	             rh_error_last());
	cr_assert_eq(out->status, 200, "%s: %d %.300s", target, out->status,
	             out->body.ptr ? out->body.ptr : "");
}

static int
kept(rh_dashboard_kept **k, const char *target)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.target = target;
	rq.now_ms = NOW;
	return rh_dashboard_kept_get(k, d, &rq);
}

/* The body as the file descriptor gives it. */
static void
assert_fd_holds(int fd, const rh_buf *body)
{
	char *p = malloc(body->size + 1);
	ssize_t n;

	cr_assert_not_null(p);
	n = pread(fd, p, body->size + 1, 0);
	/* the bytes, then a NUL (as an rh_buf) and nothing more */
	cr_assert_eq(n, (ssize_t)body->size + 1);
	cr_assert_eq(memcmp(p, body->ptr, body->size), 0);
	cr_assert_eq(p[body->size], '\0');
	free(p);
}

Test(dashboard_cache, a_kept_answer_is_the_computed_one)
{
	rh_dashboard_response first = RH_DASHBOARD_RESPONSE_INIT;
	const rh_dashboard_response *r;
	rh_dashboard_kept *k = (void *)1;
	size_t i;

	cr_assert_eq(kept(&k, BIG_TAIL), 0, "kept before it was computed");
	cr_assert_null(k);
	compute(&first, BIG_TAIL);
	cr_assert_eq(first.body.size, big.size);
	cr_assert_null(rh_dashboard_response_header(&first, "X-Rayhist-Cache"));
	cr_assert_eq(kept(&k, BIG_TAIL), 1);
	r = rh_dashboard_kept_response(k);
	cr_assert_eq(r->status, first.status);
	cr_assert_str_eq(r->content_type, first.content_type);
	/* the computed headers in their order, then where it came from */
	cr_assert_eq(r->nheaders, first.nheaders + 1);
	for (i = 0; i < first.nheaders; i++) {
		cr_assert_str_eq(r->headers[i].name, first.headers[i].name);
		cr_assert_str_eq(r->headers[i].value, first.headers[i].value);
	}
	cr_assert_str_eq(r->headers[i].name, "X-Rayhist-Cache");
	cr_assert_str_eq(r->headers[i].value, "hit");
	cr_assert_eq(r->body.size, first.body.size);
	cr_assert_eq(memcmp(r->body.ptr, first.body.ptr, first.body.size), 0);
	cr_assert_eq(memcmp(r->body.ptr, big.ptr, big.size), 0);
	rh_dashboard_kept_release(k);
	rh_dashboard_response_dispose(&first);
}

Test(dashboard_cache, a_large_body_is_a_sealed_file_too)
{
	rh_dashboard_response first = RH_DASHBOARD_RESPONSE_INIT;
	rh_dashboard_kept *k;
	struct stat sb;
	int fd;

	compute(&first, BIG_TAIL);
	cr_assert_eq(kept(&k, BIG_TAIL), 1);
	fd = rh_dashboard_kept_fd(k);
	cr_assert_geq(fd, 0, "a %zu-byte body has no file", first.body.size);
	cr_assert_eq(fstat(fd, &sb), 0);
	cr_assert_eq((size_t)sb.st_size, first.body.size + 1);
	assert_fd_holds(fd, &first.body);
	/* nobody can change the bytes a sendfile() is reading */
	errno = 0;
	cr_assert_eq(pwrite(fd, "x", 1, 0), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fd, 1), -1);
	assert_fd_holds(fd, &first.body);
	rh_dashboard_kept_release(k);
	rh_dashboard_response_dispose(&first);
}

Test(dashboard_cache, a_small_body_stays_in_memory)
{
	rh_dashboard_response first = RH_DASHBOARD_RESPONSE_INIT;
	rh_dashboard_kept *k;

	compute(&first, BASE "api/jobs/");
	cr_assert_lt(first.body.size, 4096);
	cr_assert_eq(kept(&k, BASE "api/jobs/"), 1);
	cr_assert_eq(rh_dashboard_kept_fd(k), -1);
	cr_assert_eq(rh_dashboard_kept_response(k)->body.size, first.body.size);
	cr_assert_eq(memcmp(rh_dashboard_kept_response(k)->body.ptr,
	                    first.body.ptr, first.body.size),
	             0);
	rh_dashboard_kept_release(k);
	rh_dashboard_response_dispose(&first);
}

Test(dashboard_cache, a_held_answer_outlives_its_eviction)
{
	rh_dashboard_response r = RH_DASHBOARD_RESPONSE_INIT;
	rh_dashboard_kept *k, *k2;
	char t[512];
	int i, fd;

	/* room for a few bodies of ~200 KB (each at most a sixteenth) */
	open_dashboard(4 << 20);
	compute(&r, BIG_TAIL);
	cr_assert_eq(kept(&k, BIG_TAIL), 1);
	fd = rh_dashboard_kept_fd(k);
	cr_assert_geq(fd, 0);
	for (i = 0; i < 40; i++) {
		snprintf(t, sizeof(t), "%s&n=%d", BIG_TAIL, i);
		compute(&r, t);
	}
	cr_assert_eq(kept(&k2, BIG_TAIL), 0,
	             "not evicted: the test proves nothing");
	/* still whole, and its file still open */
	cr_assert_eq(rh_dashboard_kept_response(k)->body.size, big.size);
	cr_assert_eq(memcmp(rh_dashboard_kept_response(k)->body.ptr, big.ptr,
	                    big.size),
	             0);
	assert_fd_holds(fd, &big);
	rh_dashboard_kept_release(k); /* the last reference frees it */
	errno = 0;
	cr_assert_eq(fcntl(fd, F_GETFD), -1,
	             "the evicted entry's memfd is open");
	rh_dashboard_response_dispose(&r);
}

Test(dashboard_cache, memfds_stay_within_their_cap)
{
	rh_dashboard_response r = RH_DASHBOARD_RESPONSE_INIT;
	rh_dashboard_kept *k;
	char t[512];
	int i, before = count_fds(), with_fd = 0;

	for (i = 0; i < 80; i++) {
		snprintf(t, sizeof(t), "%s&n=%d", BIG_TAIL, i);
		compute(&r, t);
	}
	cr_assert_leq(count_fds() - before, 64);
	/* all kept all the same, the rest on the heap */
	for (i = 0; i < 80; i++) {
		snprintf(t, sizeof(t), "%s&n=%d", BIG_TAIL, i);
		cr_assert_eq(kept(&k, t), 1, "%s not kept", t);
		with_fd += rh_dashboard_kept_fd(k) >= 0;
		cr_assert_eq(rh_dashboard_kept_response(k)->body.size,
		             big.size);
		rh_dashboard_kept_release(k);
	}
	cr_assert_eq(with_fd, 64);
	rh_dashboard_response_dispose(&r);
}

Test(dashboard_cache, null_arguments_are_refused)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	rh_dashboard_kept *k;

	cr_assert_eq(rh_dashboard_kept_get(NULL, d, &rq), RH_EINVAL);
	cr_assert_eq(rh_dashboard_kept_get(&k, NULL, &rq), RH_EINVAL);
	cr_assert_null(k);
	cr_assert_eq(rh_dashboard_kept_get(&k, d, NULL), RH_EINVAL);
	cr_assert_str_neq(rh_error_last(), "");
	rh_dashboard_kept_release(NULL);
}
