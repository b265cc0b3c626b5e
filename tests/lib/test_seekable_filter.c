/* test_seekable_filter.c - the per-frame search filter (seekable_filter.c):
 * no false negatives on random data, absent strings ruled out, the blob
 * that holds it still reads everywhere (our reader, zstd -d, parallel
 * writer), damage detected, old blobs without one. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seekable_filter.h"
#include "seekable_format.h"

static uint64_t rng = 14;

static uint32_t
rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

/* n bytes drawn from `alpha` (NULL: any byte), '\n' every ~80 bytes. */
static char *
random_text(size_t n, const char *alpha)
{
	char *p = malloc(n + 1);
	size_t i, k = alpha ? strlen(alpha) : 0;

	cr_assert_not_null(p);
	for (i = 0; i < n; i++)
		p[i] = rnd() % 80 == 0 ? '\n' :
		       alpha           ? alpha[rnd() % k] :
		                         (char)rnd();
	p[n] = '\0';
	return p;
}

static void
build_one(rh__filter *f, rh_buf *blob, const char *p, size_t n)
{
	rh_buf idx = RH_BUF_INIT, data = RH_BUF_INIT;
	rh__filter_scratch *s = malloc(sizeof(*s));

	cr_assert_not_null(s);
	rh_buf_clear(blob);
	cr_assert_eq(
		rh__filter_build(&idx, &data, s, (const unsigned char *)p, n),
		0);
	cr_assert_eq(rh__filter_write(blob, &idx, &data, 1), 0);
	cr_assert_eq(rh__filter_parse(f, (const unsigned char *)blob->ptr,
	                              blob->size, 1, "test"),
	             0, "%s", rh_error_last());
	free(s);
	rh_buf_dispose(&idx);
	rh_buf_dispose(&data);
}

static int
may_hold(const rh__filter *f, const char *s, size_t n)
{
	rh__filter_query q;
	rh__filter_frame fr;
	int r;

	cr_assert_eq(rh__filter_query_init(&q, s, n), 0);
	rh__filter_frame_get(&fr, f, 0);
	cr_assert_not_null(fr.bits, "the frame has no filter");
	r = rh__filter_may_hold(&fr, &q);
	rh__filter_query_dispose(&q);
	return r;
}

static void
flip_case(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z' && rnd() % 2)
			s[i] ^= 0x20;
}

Test(seekable_filter, every_substring_may_be_held_in_any_case)
{
	static const char *alphas[] = {
		NULL, "abcAB_-", "0123456789abcdef",
		"The quick brown fox jumps over the lazy dog ERROR \xff\xfe"
	};
	rh__filter f;
	rh_buf blob = RH_BUF_INIT;
	char sub[64];
	size_t a, t, n, off, len;

	for (a = 0; a < sizeof(alphas) / sizeof(alphas[0]); a++) {
		n = RH_FILTER_MIN_FRAME + rnd() % (1u << 20);
		char *p = random_text(n, alphas[a]);

		build_one(&f, &blob, p, n);
		for (t = 0; t < 20000; t++) {
			len = 4 + rnd() % 40;
			off = rnd() % (n - len);
			memcpy(sub, p + off, len);
			if (t % 2)
				flip_case(sub, len);
			cr_assert(may_hold(&f, sub, len),
			          "alphabet %zu: %zu bytes at %zu ruled out", a,
			          len, off);
		}
		/* the very first and last bytes of the frame too */
		cr_assert(may_hold(&f, p, 4));
		cr_assert(may_hold(&f, p + n - 7, 7));
		rh__filter_dispose(&f);
		free(p);
	}
	rh_buf_dispose(&blob);
}

Test(seekable_filter, absent_strings_are_ruled_out)
{
	char *p = random_text(4u << 20, "abcdefghij .:[]0123");
	rh__filter f;
	rh_buf blob = RH_BUF_INIT;
	char s[24];
	int t, passed = 0;
	size_t i;

	build_one(&f, &blob, p, 4u << 20);
	for (t = 0; t < 1000; t++) {
		for (i = 0; i < sizeof(s); i++) /* letters the text lacks */
			s[i] = (char)('k' + rnd() % 16);
		passed += may_hold(&f, s, sizeof(s));
	}
	cr_assert_lt(passed, 10, "%d of 1000 absent strings pass", passed);
	/* too short to test: every frame may hold it */
	cr_assert(may_hold(&f, "zzz", 3));
	rh__filter_dispose(&f);
	rh_buf_dispose(&blob);
	free(p);
}

/* A blob of `n` bytes in 64 KiB frames, with the filter, made by `workers`
 * threads. */
static void
compress(rh_buf *out, const char *p, size_t n, int filter, unsigned workers)
{
	rh_seekable_options o = RH_SEEKABLE_OPTIONS_INIT;

	o.frame_size = RH_FILTER_MIN_FRAME;
	o.filter = filter;
	o.workers = workers;
	rh_buf_clear(out);
	cr_assert_eq(rh_seekable_compress(out, p, n, &o), 0, "%s",
	             rh_error_last());
}

Test(seekable_filter, blobs_with_it_read_as_before)
{
	size_t n = 5 * RH_FILTER_MIN_FRAME + 1000;
	char *p = random_text(n, "abc XYZ");
	rh_buf a = RH_BUF_INIT, b = RH_BUF_INIT, c = RH_BUF_INIT,
	       out = RH_BUF_INIT;
	rh_buf hold = RH_BUF_INIT;
	rh_seekable *sk = NULL;
	rh__filter f;
	rh__filter_frame fr;
	uint64_t start;
	unsigned first, last;
	char path[] = "/tmp/rh-test-filter-XXXXXX", cmd[256];
	int fd;
	FILE *fp;

	compress(&a, p, n, 1, 1);
	compress(&b, p, n, 1, 3);
	compress(&c, p, n, 0, 1);
	/* threads write the same bytes; the filter is one more frame */
	cr_assert_eq(a.size, b.size);
	cr_assert(!memcmp(a.ptr, b.ptr, a.size));
	cr_assert_gt(a.size, c.size);
	cr_assert_eq(rh_seekable_open_mem(&sk, a.ptr, a.size), 0);
	cr_assert_eq(rh_seekable_size(sk), n);
	cr_assert_eq(rh_seekable_frame_count(sk), 7); /* 6 + the filter */
	cr_assert_eq(rh_seekable_read(&out, sk, 0, SIZE_MAX), 0);
	cr_assert_eq(out.size, n);
	cr_assert(!memcmp(out.ptr, p, n));
	rh_buf_clear(&out);
	cr_assert_eq(rh_seekable_tail(&out, &start, sk, 3), 0);
	cr_assert_eq(start + out.size, n);
	/* six frames described; the last, 1000 bytes, is too small for one */
	cr_assert_eq(rh_seekable__filter(&f, &hold, sk), 1, "%s",
	             rh_error_last());
	cr_assert_eq(f.nframes, 6);
	rh__filter_frame_get(&fr, &f, 0);
	cr_assert_not_null(fr.bits);
	cr_assert_eq(fr.head_len, (size_t)((char *)memchr(p, '\n', n) - p));
	cr_assert(!memcmp(fr.head, p, fr.head_len));
	rh__filter_frame_get(&fr, &f, 5);
	cr_assert_null(fr.bits);
	cr_assert_eq(rh_seekable__frames_exactly(&first, &last, sk,
	                                         RH_FILTER_MIN_FRAME,
	                                         RH_FILTER_MIN_FRAME),
	             0);
	cr_assert_eq(first, 1);
	cr_assert_eq(last, 1);
	cr_assert_eq(rh_seekable__frames_exactly(&first, &last, sk,
	                                         RH_FILTER_MIN_FRAME,
	                                         n - RH_FILTER_MIN_FRAME),
	             0);
	cr_assert_eq(first, 1);
	cr_assert_eq(last, 5);
	cr_assert_eq(rh_seekable__frames_exactly(&first, &last, sk, 1,
	                                         RH_FILTER_MIN_FRAME),
	             -1);
	cr_assert_eq(rh_seekable__frames_exactly(&first, &last, sk, 0,
	                                         RH_FILTER_MIN_FRAME + 1),
	             -1);
	rh__filter_dispose(&f);
	rh_seekable_close(sk);
	/* zstd -d passes over it */
	cr_assert_geq(fd = mkstemp(path), 0);
	cr_assert_eq(write(fd, a.ptr, a.size), (ssize_t)a.size);
	close(fd);
	snprintf(cmd, sizeof(cmd), "zstd -dc -q '%s'", path);
	if ((fp = popen(cmd, "r"))) {
		char buf[65536];
		size_t k;

		rh_buf_clear(&out);
		while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
			rh_buf_put(&out, buf, k);
		cr_assert_eq(pclose(fp), 0, "zstd -d failed");
		cr_assert_eq(out.size, n);
		cr_assert(!memcmp(out.ptr, p, n));
	}
	unlink(path);
	/* version 1 options know no filter */
	{
		rh_seekable_options o1 = RH_SEEKABLE_OPTIONS_INIT;

		o1.version = 1;
		o1.frame_size = RH_FILTER_MIN_FRAME;
		o1.filter = 1; /* not read: a version 1 struct ends before */
		rh_buf_clear(&out);
		cr_assert_eq(rh_seekable_compress(&out, p, n, &o1), 0);
		cr_assert_eq(out.size, c.size);
		cr_assert(!memcmp(out.ptr, c.ptr, c.size));
	}
	/* an old blob has none */
	cr_assert_eq(rh_seekable_open_mem(&sk, c.ptr, c.size), 0);
	cr_assert_eq(rh_seekable__filter(&f, &hold, sk), 0);
	rh_seekable_close(sk);
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
	rh_buf_dispose(&c);
	rh_buf_dispose(&out);
	rh_buf_dispose(&hold);
	free(p);
}

Test(seekable_filter, damage_is_detected)
{
	size_t n = 2 * RH_FILTER_MIN_FRAME, at, start, len, i;
	char *p = random_text(n, "abcd");
	rh_buf a = RH_BUF_INIT, hold = RH_BUF_INIT;
	rh_seekable *sk = NULL;
	rh__filter f;
	int r;

	compress(&a, p, n, 1, 1);
	cr_assert_eq(rh_seekable_open_mem(&sk, a.ptr, a.size), 0);
	cr_assert_eq(rh_seekable__filter(&f, &hold, sk), 1);
	rh__filter_dispose(&f);
	rh_seekable_close(sk);
	/* the filter frame sits before the table of 3 entries of 12 bytes */
	len = rh_seekable__get32(a.ptr + a.size - 9 - 3 * 12 + 2 * 12);
	start = a.size - rh_seekable__table_size(3, 1) - len;
	cr_assert_eq(rh_seekable__get32(a.ptr + start),
	             RH_FILTER_SKIPPABLE_MAGIC);
	for (i = 0; i < 200; i++) {
		at = start + 4 + rnd() % (len - 4); /* past its magic */
		a.ptr[at] ^= (char)(1u << (rnd() % 8));
		cr_assert_eq(rh_seekable_open_mem(&sk, a.ptr, a.size), 0);
		r = rh_seekable__filter(&f, &hold, sk);
		cr_assert_eq(r, RH_ECORRUPT, "flip at %zu: %d", at - start, r);
		cr_assert_neq(rh_error_last()[0], '\0');
		rh_seekable_close(sk);
		compress(&a, p, n, 1, 1); /* undamaged again */
	}
	rh_buf_dispose(&a);
	rh_buf_dispose(&hold);
	free(p);
}
