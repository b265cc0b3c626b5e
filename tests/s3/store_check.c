/* store_check.c - the store contract, as a transcript: run one scripted set
 * of operations (puts of awkward keys, ranged gets, heads, listings with
 * and without a delimiter, early stops, deletes, batch deletes, streamed
 * writes large enough for a multipart upload, aborts, and threads sharing
 * the handle) on the store at URL and print what each returned.
 * tests/cli/s3_store.sh runs it on a folder and on a bucket and requires
 * the two transcripts to be identical: an s3:// store must behave exactly
 * as a file:// one.
 *
 *   store_check URL
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

static rh_store *st;

#define CHECK(expr)                                                          \
	do {                                                                 \
		int rc_ = (expr);                                            \
		if (rc_ < 0) {                                               \
			fprintf(stderr, "store_check: %s: %s (%s)\n", #expr, \
			        rh_error_name(rc_), rh_error_last());        \
			exit(1);                                             \
		}                                                            \
	} while (0)

static const char *const keys[] = {
	"k-b",
	"k.b",
	"k/b",
	"k/c/d",
	"k/c/e",
	"k0",
	"k/c-x",
	"b/x y+z",
	"b/\xc3\xbc/\xc3\xa9",
	"c/!$&'()*,;=:@",
	"d/%41%2F",
	"e/~t",
	"f/q?x=1&y=2#h",
	"g/a b/c",
	"h/[x]{y}^`|\\",
	"kk/1",
	"kk/2/3",
};

static void
fill(char *buf, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (char)(seed >> 16);
	}
}

static uint64_t
hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static void
show_get(const char *key, uint64_t off, size_t len)
{
	rh_buf b = RH_BUF_INIT;
	int rc = rh_store_get(&b, st, key, off, len);

	printf("get %s %llu %lld -> %s", key, (unsigned long long)off,
	       len == SIZE_MAX ? -1LL : (long long)len, rh_error_name(rc));
	if (rc == 0)
		printf(" %zu bytes %016llx", b.size,
		       (unsigned long long)hash(b.ptr, b.size));
	else if (!*rh_error_last())
		printf(" (no message)");
	printf("\n");
	rh_buf_dispose(&b);
}

static void
show_head(const char *key)
{
	uint64_t size = 0;
	int64_t mtime = 0;
	int rc = rh_store_head(&size, &mtime, st, key);

	printf("head %s -> %s", key, rh_error_name(rc));
	if (rc == 0)
		printf(" %llu mtime%s", (unsigned long long)size,
		       mtime > 0 ? ">0" : "=0");
	printf("\n");
}

typedef struct lctx {
	int n, stop_after;
} lctx;

static int
on_entry(const rh_store_entry *e, void *payload)
{
	lctx *c = payload;

	printf("  %s %s %llu%s\n", e->is_prefix ? "P" : "O", e->key,
	       (unsigned long long)e->size,
	       e->is_prefix    ? "" :
	       e->mtime_ms > 0 ? " mtime>0" :
	                         " mtime=0");
	if (++c->n == c->stop_after)
		return 7;
	return 0;
}

static void
show_list(const char *prefix, const char *delim, int stop_after)
{
	lctx c = { 0, stop_after };
	int rc;

	printf("list \"%s\" \"%s\"%s\n", prefix, delim ? delim : "(none)",
	       stop_after ? " (stop early)" : "");
	rc = rh_store_list(st, prefix, delim, on_entry, &c);
	printf("  -> %d (%s)\n", rc, rc < 0 ? rh_error_name(rc) : "ok");
}

static void
writer_test(const char *key, size_t total, size_t chunk, int commit)
{
	rh_store_writer *w;
	char *data = malloc(total ? total : 1);
	size_t off = 0;
	int rc;

	fill(data, total, (unsigned)total);
	CHECK(rh_store_writer_open(&w, st, key));
	while (off < total) {
		size_t n = total - off < chunk ? total - off : chunk;

		CHECK(rh_store_writer_write(w, data + off, n));
		off += n;
		chunk = chunk * 3 / 2 + 1; /* uneven writes */
	}
	printf("writer %s %zu bytes, size %llu, %s", key, total,
	       (unsigned long long)rh_store_writer_size(w),
	       commit ? "commit" : "abort");
	if (commit) {
		rc = rh_store_writer_commit(w);
		printf(" -> %s\n", rh_error_name(rc));
		if (rc < 0)
			fprintf(stderr, "store_check: commit: %s\n",
			        rh_error_last());
	} else {
		rh_store_writer_abort(w);
		printf("\n");
	}
	printf("  data %016llx\n", (unsigned long long)hash(data, total));
	free(data);
}

/* ---------------------------------------------------------------- threads */

static void *
worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, i;
	char key[64], data[3000];
	int bad = 0;

	for (i = 0; i < 12 && !bad; i++) {
		rh_buf b = RH_BUF_INIT;
		uint64_t size;

		snprintf(key, sizeof(key), "t/%u/%u", id, i);
		fill(data, sizeof(data) - i, id * 100 + i);
		if (rh_store_put(st, key, data, sizeof(data) - i) < 0 ||
		    rh_store_get(&b, st, key, 0, SIZE_MAX) < 0 ||
		    b.size != sizeof(data) - i ||
		    memcmp(b.ptr, data, b.size) != 0 ||
		    rh_store_head(&size, NULL, st, key) < 0 || size != b.size) {
			fprintf(stderr, "store_check: thread %u, %s: %s\n", id,
			        key, rh_error_last());
			bad = 1;
		}
		rh_buf_dispose(&b);
	}
	return (void *)(uintptr_t)bad;
}

static void
threads_test(void)
{
	pthread_t t[8];
	lctx c = { 0, 0 };
	void *ret;
	unsigned i, bad = 0;

	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], &ret);
		bad += (unsigned)(uintptr_t)ret;
	}
	printf("threads: %u failed\n", bad);
	CHECK(rh_store_list(st, "t/", NULL, on_entry, &c));
	printf("threads: %d objects\n", c.n);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *prefix, *delim;
	} lists[] = { { "", NULL },    { "", "/" },    { "k", "/" },
		      { "k/", "/" },   { "k/c", "/" }, { "k/c/", NULL },
		      { "zzz", "/" },  { "b/", "/" },  { "kk", NULL },
		      { "k/c/", "/" }, { "", "c/" } };
	const char *batch[] = { "k/c/e", "no/such/key", "k0", "kk/2/3" };
	char data[5000];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: store_check URL\n");
		return 2;
	}
	CHECK(rh_store_open(&st, argv[1], NULL));
	fill(data, sizeof(data), 42);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* A key a backend refuses (az:// refuses '\\') is reported,
		 * not fatal: the caller compares transcripts. */
		int rc = rh_store_put(st, keys[i], data, 100 + i * 37);

		if (rc < 0)
			printf("put %s -> %s: %s\n", keys[i], rh_error_name(rc),
			       rh_error_last());
	}
	CHECK(rh_store_put(st, "empty", "", 0));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		show_get(keys[i], 0, SIZE_MAX);
		show_head(keys[i]);
	}
	show_get("k/b", 0, 1);
	show_get("k/b", 1, 3);
	show_get("k/b", 173, 10);
	show_get("k/b", 174, 5);
	show_get("k/b", 1000, 5);
	show_get("k/b", 5, 0);
	show_get("k/b", 100, SIZE_MAX);
	show_get("empty", 0, SIZE_MAX);
	show_get("empty", 0, 10);
	show_head("empty");
	show_get("no/such", 0, SIZE_MAX);
	show_get("no/such", 0, 0);
	show_head("no/such");
	show_head("k"); /* a prefix is no object */
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		show_list(lists[i].prefix, lists[i].delim, 0);
	show_list("", "/", 3);
	show_list("k/", NULL, 2);
	printf("delete k/c/d -> %s\n",
	       rh_error_name(rh_store_delete(st, "k/c/d")));
	printf("delete k/c/d -> %s\n",
	       rh_error_name(rh_store_delete(st, "k/c/d")));
	printf("delete_many -> %s\n",
	       rh_error_name(rh_store_delete_many(
		       st, batch, sizeof(batch) / sizeof(batch[0]))));
	show_list("k", NULL, 0);
	show_list("kk/", "/", 0);
	/* overwrite */
	CHECK(rh_store_put(st, "k/b", "new", 3));
	show_get("k/b", 0, SIZE_MAX);
	writer_test("w/small", 1000, 300, 1);
	writer_test("w/empty", 0, 1, 1);
	writer_test("w/big", 3u << 20, 50000, 1);
	writer_test("w/big2", (1u << 20) + 12345, 70000, 1);
	writer_test("w/aborted", 2u << 20, 100000, 0);
	writer_test("k/b", 2000, 128, 1); /* replaces an object */
	show_get("w/small", 0, SIZE_MAX);
	show_get("w/empty", 0, SIZE_MAX);
	show_get("w/big", 0, SIZE_MAX);
	show_get("w/big", (1u << 20) - 7, 100000);
	show_get("w/big2", 0, SIZE_MAX);
	show_get("w/aborted", 0, SIZE_MAX);
	show_get("k/b", 0, SIZE_MAX);
	show_list("w/", "/", 0);
	threads_test();
	rh_store_close(st);
	return 0;
}
