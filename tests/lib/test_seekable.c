/* Tests of lib/seekable_write.c and lib/seekable_read.c. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <ftw.h>
#include <rayhist/rayhist.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KiB 1024u
#define MiB (1024u * 1024u)

/* ------------------------------------------------------------ helpers */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static char *
gen_random(size_t n, uint64_t seed)
{
	char *p = malloc(n ? n : 1);
	size_t i;

	cr_assert_not_null(p);
	for (i = 0; i < n; i++)
		p[i] = (char)rnd(&seed);
	return p;
}

/* Random bytes in lines of 0..159: text that does not compress. */
static char *
gen_random_lines(size_t n, uint64_t seed)
{
	char *p = gen_random(n, seed);
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' || rnd(&seed) % 80 == 0)
			p[i] = rnd(&seed) % 2 ? '\n' : 'x';
	return p;
}

/* Log-like text: lines of 0..199 characters, some empty. */
static char *
gen_text(size_t n, uint64_t seed)
{
	static const char words[] = "INFO worker.py:123 -- task finished "
				    "actor_id=ffa0 node 10.0.0.1 ";
	char *p = malloc(n ? n : 1);
	size_t i = 0, line = 0, linelen = 0;

	cr_assert_not_null(p);
	while (i < n) {
		if (line == linelen) {
			p[i++] = '\n';
			line = 0;
			linelen = rnd(&seed) % 200;
			continue;
		}
		p[i++] = words[(line + linelen) % (sizeof(words) - 1)];
		line++;
	}
	return p;
}

static rh_seekable_options
opts_fs(size_t frame_size)
{
	rh_seekable_options o = RH_SEEKABLE_OPTIONS_INIT;

	o.frame_size = frame_size;
	return o;
}

static void
compress_fs(rh_buf *blob, const void *data, size_t n, size_t frame_size)
{
	rh_seekable_options o = opts_fs(frame_size);

	cr_assert_eq(rh_seekable_compress(blob, data, n, &o), 0, "%s",
	             rh_error_last());
}

static rh_seekable *
open_mem_ok(const rh_buf *blob)
{
	rh_seekable *sk = NULL;

	cr_assert_eq(rh_seekable_open_mem(&sk, blob->ptr, blob->size), 0, "%s",
	             rh_error_last());
	cr_assert_not_null(sk);
	return sk;
}

static void
assert_reads_whole(rh_seekable *sk, const char *data, size_t n)
{
	rh_buf got = RH_BUF_INIT;

	cr_assert_eq(rh_seekable_size(sk), n);
	cr_assert_eq(rh_seekable_read(&got, sk, 0, SIZE_MAX), 0, "%s",
	             rh_seekable_errmsg(sk));
	cr_assert_eq(got.size, n);
	cr_assert(n == 0 || memcmp(got.ptr, data, n) == 0);
	rh_buf_dispose(&got);
}

static void
roundtrip(const char *data, size_t n, size_t frame_size)
{
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;

	compress_fs(&blob, data, n, frame_size);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_frame_count(sk),
	             (n + frame_size - 1) / frame_size);
	cr_assert_eq(rh_seekable_stored_size(sk), blob.size);
	assert_reads_whole(sk, data, n);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
}

/* `tail -n` done the obvious way, forwards: a line is everything up to and
 * including a '\n', or the bytes after the last '\n'. */
static size_t
ref_tail_start(const char *p, size_t n, size_t nlines)
{
	size_t *starts = malloc((n + 1) * sizeof(*starts));
	size_t count = 0, i, r;

	cr_assert_not_null(starts);
	for (i = 0; i < n; i++)
		if (i == 0 || p[i - 1] == '\n')
			starts[count++] = i;
	r = nlines == 0 ? n : nlines >= count ? 0 : starts[count - nlines];
	free(starts);
	return r;
}

static void
assert_tail(rh_seekable *sk, const char *data, size_t n, size_t nlines)
{
	size_t want = ref_tail_start(data, n, nlines);
	rh_buf got = RH_BUF_INIT;
	uint64_t start = 12345;

	cr_assert_eq(rh_seekable_tail(&got, &start, sk, nlines), 0, "%s",
	             rh_seekable_errmsg(sk));
	cr_assert_eq(start, want, "tail %zu of %zu bytes: start %llu, want %zu",
	             nlines, n, (unsigned long long)start, want);
	cr_assert_eq(got.size, n - want);
	cr_assert(got.size == 0 || memcmp(got.ptr, data + want, got.size) == 0);
	rh_buf_dispose(&got);
}

static void
tail_all_counts(const char *data, size_t n, size_t frame_size)
{
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;
	size_t k;

	compress_fs(&blob, data, n, frame_size);
	sk = open_mem_ok(&blob);
	for (k = 0; k < 12; k++)
		assert_tail(sk, data, n, k);
	assert_tail(sk, data, n, SIZE_MAX);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
}

static void
assert_open_corrupt(const void *p, size_t n)
{
	rh_seekable *sk = (rh_seekable *)1;

	rh_error_clear();
	cr_assert_eq(rh_seekable_open_mem(&sk, p, n), RH_ECORRUPT,
	             "blob of %zu bytes opened", n);
	cr_assert_null(sk);
	cr_assert_neq(rh_error_last()[0], '\0');
}

/* A damaged blob must fail with RH_ECORRUPT and a message, or give back
 * exactly the original bytes: never different ones. */
static void
assert_corrupt_or_exact(const rh_buf *blob, const char *data, size_t n)
{
	rh_buf got = RH_BUF_INIT;
	rh_seekable *sk = NULL;
	int error;

	rh_error_clear();
	error = rh_seekable_open_mem(&sk, blob->ptr, blob->size);
	if (error < 0) {
		cr_assert_eq(error, RH_ECORRUPT, "%s", rh_error_last());
		cr_assert_neq(rh_error_last()[0], '\0');
		return;
	}
	error = rh_seekable_read(&got, sk, 0, SIZE_MAX);
	if (error < 0) {
		cr_assert_eq(error, RH_ECORRUPT, "%s", rh_error_last());
		cr_assert_neq(rh_seekable_errmsg(sk)[0], '\0');
		cr_assert_eq(got.size, 0);
	} else {
		cr_assert_eq(got.size, n);
		cr_assert(n == 0 || memcmp(got.ptr, data, n) == 0);
	}
	rh_buf_clear(&got);
	error = rh_seekable_tail(&got, NULL, sk, 3);
	cr_assert(error == 0 || error == RH_ECORRUPT);
	rh_buf_dispose(&got);
	rh_seekable_close(sk);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static char tmpdir[256];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/rh-seekable-XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
remove_tmpdir(void)
{
	if (tmpdir[0] && !getenv("RH_TEST_KEEP"))
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ round trips */

Test(seekable_roundtrip, sizes_around_the_frame_size)
{
	static const size_t fs[] = { 1, 7, 1000, 1u << 20 };
	size_t i, d, n;
	char *data;

	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		size_t sizes[] = {
			0, 1, fs[i] - 1, fs[i], fs[i] + 1, 3 * fs[i]
		};
		for (d = 0; d < sizeof(sizes) / sizeof(sizes[0]); d++) {
			n = sizes[d];
			if (fs[i] == 1 && n > 3)
				continue;
			data = gen_text(n, n + 1);
			roundtrip(data, n, fs[i]);
			free(data);
		}
	}
}

Test(seekable_roundtrip, several_mib_of_random_bytes)
{
	size_t n = 5 * MiB + 123;
	char *data = gen_random(n, 42);

	roundtrip(data, n, 256 * KiB);
	roundtrip(data, n, 1u << 20);
	free(data);
}

Test(seekable_roundtrip, several_mib_of_text)
{
	size_t n = 6 * MiB + 7;
	char *data = gen_text(n, 7);

	roundtrip(data, n, 64 * KiB);
	roundtrip(data, n, 1u << 20);
	free(data);
}

Test(seekable_roundtrip, default_options_give_four_mib_frames)
{
	size_t n = 8 * MiB + 1;
	char *data = gen_text(n, 3);
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;

	cr_assert_eq(rh_seekable_compress(&blob, data, n, NULL), 0);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_frame_count(sk), 3);
	assert_reads_whole(sk, data, n);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	free(data);
}

Test(seekable_roundtrip, without_table_checksums)
{
	rh_seekable_options o = opts_fs(1000);
	size_t n = 10000;
	char *data = gen_text(n, 9);
	rh_buf blob = RH_BUF_INIT, with = RH_BUF_INIT;
	rh_seekable *sk;

	o.checksum = 0;
	cr_assert_eq(rh_seekable_compress(&blob, data, n, &o), 0);
	compress_fs(&with, data, n, 1000);
	/* 10 frames: 4 bytes less per entry, same descriptor otherwise */
	cr_assert_eq(with.size - blob.size, 40);
	cr_assert_eq((unsigned char)blob.ptr[blob.size - 5], 0);
	cr_assert_eq((unsigned char)with.ptr[with.size - 5], 0x80);
	sk = open_mem_ok(&blob);
	assert_reads_whole(sk, data, n);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&with);
	free(data);
}

Test(seekable_roundtrip, empty_input_is_a_lone_seek_table)
{
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;

	cr_assert_eq(rh_seekable_compress(&blob, "", 0, NULL), 0);
	cr_assert_eq(blob.size, 17);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_frame_count(sk), 0);
	assert_reads_whole(sk, "", 0);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
}

Test(seekable_roundtrip, compress_appends_to_what_out_holds)
{
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;

	cr_assert_eq(rh_buf_puts(&blob, "prefix"), 0);
	cr_assert_eq(rh_seekable_compress(&blob, "hello\n", 6, NULL), 0);
	cr_assert_eq(memcmp(blob.ptr, "prefix", 6), 0);
	cr_assert_eq(rh_seekable_open_mem(&sk, blob.ptr + 6, blob.size - 6), 0);
	assert_reads_whole(sk, "hello\n", 6);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
}

/* ------------------------------------------------------------ range reads */

Test(seekable_read, random_ranges_equal_the_original)
{
	size_t n = 3 * MiB + 11, len;
	char *data = gen_text(n, 11);
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	uint64_t seed = 5, off;
	rh_seekable *sk;
	int i;

	compress_fs(&blob, data, n, 64 * KiB);
	sk = open_mem_ok(&blob);
	for (i = 0; i < 2000; i++) {
		off = rnd(&seed) % (n + 100);
		switch (i % 4) {
		case 0: len = rnd(&seed) % 100; break;
		case 1: len = rnd(&seed) % (200 * KiB); break;
		case 2: len = rnd(&seed) % n; break;
		default: len = SIZE_MAX; break;
		}
		rh_buf_clear(&got);
		cr_assert_eq(rh_seekable_read(&got, sk, off, len), 0);
		if (off >= n) {
			cr_assert_eq(got.size, 0);
			continue;
		}
		if (len > n - off)
			len = n - off;
		cr_assert_eq(got.size, len, "read %llu+%zu",
		             (unsigned long long)off, len);
		cr_assert(len == 0 || memcmp(got.ptr, data + off, len) == 0);
	}
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
	free(data);
}

Test(seekable_read, every_range_of_a_small_blob)
{
	const char *data = "0123456789abcdefghijklmnopqrstuvwxyz";
	size_t n = strlen(data), off, len;
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk;

	compress_fs(&blob, data, n, 5);
	sk = open_mem_ok(&blob);
	for (off = 0; off <= n + 1; off++)
		for (len = 0; len <= n + 1; len++) {
			size_t want = off >= n ? 0 : n - off;

			if (len < want)
				want = len;

			rh_buf_clear(&got);
			cr_assert_eq(rh_seekable_read(&got, sk, off, len), 0);
			cr_assert_eq(got.size, want);
			cr_assert(want == 0 ||
			          memcmp(got.ptr, data + off, want) == 0);
		}
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
}

Test(seekable_read, past_the_end_is_empty)
{
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk;

	compress_fs(&blob, "abc", 3, 2);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_read(&got, sk, 3, 10), 0);
	cr_assert_eq(rh_seekable_read(&got, sk, UINT64_MAX, SIZE_MAX), 0);
	cr_assert_eq(got.size, 0);
	cr_assert_eq(rh_seekable_read(&got, sk, 1, SIZE_MAX), 0);
	cr_assert_str_eq(got.ptr, "bc");
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
}

Test(seekable_read, appends_to_what_out_holds)
{
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk;

	compress_fs(&blob, "hello world", 11, 4);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_buf_puts(&got, ">"), 0);
	cr_assert_eq(rh_seekable_read(&got, sk, 6, 5), 0);
	cr_assert_eq(rh_seekable_read(&got, sk, 0, 5), 0);
	cr_assert_str_eq(got.ptr, ">worldhello");
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
}

Test(seekable_read, null_arguments_are_einval)
{
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk;

	cr_assert_eq(rh_seekable_read(&got, NULL, 0, 1), RH_EINVAL);
	cr_assert_eq(rh_seekable_tail(&got, NULL, NULL, 1), RH_EINVAL);
	cr_assert_eq(rh_seekable_open_mem(NULL, "", 0), RH_EINVAL);
	cr_assert_eq(rh_seekable_open_mem(&sk, NULL, 5), RH_EINVAL);
	compress_fs(&blob, "x", 1, 4);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_read(NULL, sk, 0, 1), RH_EINVAL);
	cr_assert_neq(rh_seekable_errmsg(sk)[0], '\0');
	rh_seekable_close(sk);
	rh_seekable_close(NULL);
	cr_assert_eq(rh_seekable_size(NULL), 0);
	cr_assert_str_eq(rh_seekable_errmsg(NULL), "");
	rh_buf_dispose(&blob);
}

/* ------------------------------------------------------------ tail */

Test(seekable_tail, zero_lines_is_nothing)
{
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	uint64_t start = 0;
	rh_seekable *sk;

	compress_fs(&blob, "a\nb\n", 4, 2);
	sk = open_mem_ok(&blob);
	cr_assert_eq(rh_seekable_tail(&got, &start, sk, 0), 0);
	cr_assert_eq(got.size, 0);
	cr_assert_eq(start, 4);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
}

Test(seekable_tail, small_cases_match_tail_n)
{
	static const struct {
		const char *data;
		size_t n;
		const char *want;
	} cases[] = {
		{ "a\nb\nc\n", 1, "c\n" },
		{ "a\nb\nc", 1, "c" },
		{ "a\nb\nc\n", 2, "b\nc\n" },
		{ "a\nb\nc", 2, "b\nc" },
		{ "a\nb\nc\n", 9, "a\nb\nc\n" },
		{ "\n", 1, "\n" },
		{ "\n\n\n", 2, "\n\n" },
		{ "abc", 1, "abc" },
		{ "abc", 5, "abc" },
		{ "", 3, "" },
		{ "a\n\nb\n", 2, "\nb\n" },
	};
	static const size_t fs[] = { 1, 2, 3, 100 };
	size_t i, f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (f = 0; f < sizeof(fs) / sizeof(fs[0]); f++) {
			rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
			size_t n = strlen(cases[i].data);
			uint64_t start;
			rh_seekable *sk;

			compress_fs(&blob, cases[i].data, n, fs[f]);
			sk = open_mem_ok(&blob);
			cr_assert_eq(
				rh_seekable_tail(&got, &start, sk, cases[i].n),
				0);
			cr_assert_eq(got.size, strlen(cases[i].want));
			cr_assert(got.size == 0 ||
			                  strcmp(got.ptr, cases[i].want) == 0,
			          "tail -n %zu of \"%s\" in %zu-byte frames",
			          cases[i].n, cases[i].data, fs[f]);
			cr_assert_eq(start, n - got.size);
			rh_seekable_close(sk);
			rh_buf_dispose(&blob);
			rh_buf_dispose(&got);
		}
}

Test(seekable_tail, text_with_and_without_trailing_newline)
{
	size_t n = 300 * KiB;
	char *data = gen_text(n, 17);

	data[n - 1] = '\n';
	tail_all_counts(data, n, 4 * KiB);
	tail_all_counts(data, n, 64);
	data[n - 1] = 'x';
	tail_all_counts(data, n, 4 * KiB);
	tail_all_counts(data, n, 64);
	free(data);
}

Test(seekable_tail, line_longer_than_a_frame)
{
	size_t n = 5000;
	char *data = malloc(n);

	memset(data, 'y', n);
	data[10] = '\n';
	data[n - 1] = '\n';
	tail_all_counts(data, n, 16);
	data[n - 1] = 'y';
	tail_all_counts(data, n, 16);
	memset(data, 'z', n); /* one line, no newline at all */
	tail_all_counts(data, n, 100);
	free(data);
}

Test(seekable_tail, empty_blob)
{
	tail_all_counts("", 0, 1000);
}

Test(seekable_tail, many_lines_over_many_frames)
{
	size_t n = 2 * MiB;
	char *data = gen_text(n, 23);
	rh_buf blob = RH_BUF_INIT;
	rh_seekable *sk;

	compress_fs(&blob, data, n, 32 * KiB);
	sk = open_mem_ok(&blob);
	assert_tail(sk, data, n, 1000);
	assert_tail(sk, data, n, 20000);
	assert_tail(sk, data, n, 1000000);
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	free(data);
}

/* ------------------------------------------------------------ writer */

static void
write_in_chunks(rh_buf *blob, const char *data, size_t n, size_t frame_size,
                uint64_t seed, size_t maxchunk)
{
	rh_seekable_options o = opts_fs(frame_size);
	rh_seekable_writer *w;
	size_t off = 0, c;

	cr_assert_eq(rh_seekable_writer_new(&w, &o), 0);
	while (off < n) {
		c = maxchunk == 1 ? 1 : rnd(&seed) % maxchunk;
		if (c > n - off)
			c = n - off;
		cr_assert_eq(rh_seekable_writer_write(w, data + off, c, blob),
		             0);
		off += c;
		cr_assert_eq(rh_seekable_writer_raw_size(w), off);
	}
	cr_assert_eq(rh_seekable_writer_finish(w, blob), 0);
	rh_seekable_writer_free(w);
}

Test(seekable_writer, tiny_chunks_equal_whole)
{
	size_t n = 200 * KiB + 3;
	char *data = gen_text(n, 29);
	rh_buf whole = RH_BUF_INIT, bytes = RH_BUF_INIT, mixed = RH_BUF_INIT;

	compress_fs(&whole, data, n, 10 * KiB);
	write_in_chunks(&bytes, data, 10000, 10 * KiB, 1, 1);
	write_in_chunks(&mixed, data, n, 10 * KiB, 2, 25 * KiB);
	cr_assert_eq(mixed.size, whole.size);
	cr_assert_eq(memcmp(mixed.ptr, whole.ptr, whole.size), 0);
	rh_buf_clear(&whole);
	compress_fs(&whole, data, 10000, 10 * KiB);
	cr_assert_eq(bytes.size, whole.size);
	cr_assert_eq(memcmp(bytes.ptr, whole.ptr, whole.size), 0);
	rh_buf_dispose(&whole);
	rh_buf_dispose(&bytes);
	rh_buf_dispose(&mixed);
	free(data);
}

/* Worker threads change who compresses, never what is written. */
Test(seekable_writer, workers_write_the_same_blob)
{
	size_t n = 3 * 1024 * KiB + 777;
	char *data = gen_text(n, 31);
	rh_buf one = RH_BUF_INIT, many = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable_options o = opts_fs(64 * KiB);
	rh_seekable_writer *w;
	rh_seekable *sk;
	unsigned workers;
	size_t off, c;

	compress_fs(&one, data, n, 64 * KiB);
	for (workers = 2; workers <= 5; workers += 3) {
		o.workers = workers;
		rh_buf_clear(&many);
		cr_assert_eq(rh_seekable_writer_new(&w, &o), 0);
		for (off = 0; off < n; off += c) {
			c = n - off < 100 * KiB + 7 ? n - off : 100 * KiB + 7;
			cr_assert_eq(rh_seekable_writer_write(w, data + off, c,
			                                      &many),
			             0);
		}
		cr_assert_eq(rh_seekable_writer_finish(w, &many), 0);
		rh_seekable_writer_free(w);
		cr_assert_eq(many.size, one.size, "workers=%u", workers);
		cr_assert_eq(memcmp(many.ptr, one.ptr, one.size), 0);
	}
	cr_assert_eq(rh_seekable_open_mem(&sk, many.ptr, many.size), 0);
	cr_assert_eq(rh_seekable_read(&got, sk, 0, SIZE_MAX), 0);
	cr_assert_eq(got.size, n);
	cr_assert_eq(memcmp(got.ptr, data, n), 0);
	rh_seekable_close(sk);
	rh_buf_dispose(&one);
	rh_buf_dispose(&many);
	rh_buf_dispose(&got);
	free(data);
}

Test(seekable_writer, freeing_a_busy_writer_is_clean)
{
	size_t n = 2 * 1024 * KiB;
	char *data = gen_text(n, 37);
	rh_seekable_options o = opts_fs(64 * KiB);
	rh_seekable_writer *w;
	rh_buf out = RH_BUF_INIT;

	o.workers = 3;
	cr_assert_eq(rh_seekable_writer_new(&w, &o), 0);
	cr_assert_eq(rh_seekable_writer_write(w, data, n, &out), 0);
	rh_seekable_writer_free(
		w); /* frames still in flight: no leak, no hang */
	rh_buf_dispose(&out);
	free(data);
}

Test(seekable_writer, write_appends_completed_frames_only)
{
	rh_seekable_options o = opts_fs(100);
	rh_seekable_writer *w;
	rh_buf out = RH_BUF_INIT;
	char data[250];

	memset(data, 'q', sizeof(data));
	cr_assert_eq(rh_seekable_writer_new(&w, &o), 0);
	cr_assert_eq(rh_seekable_writer_write(w, data, 99, &out), 0);
	cr_assert_eq(out.size, 0);
	cr_assert_eq(rh_seekable_writer_write(w, data, 151, &out), 0);
	cr_assert_gt(out.size, 0);
	cr_assert_eq(rh_seekable_writer_raw_size(w), 250);
	cr_assert_eq(rh_seekable_writer_finish(w, &out), 0);
	rh_seekable_writer_free(w);
	rh_buf_dispose(&out);
}

Test(seekable_writer, calls_after_finish_are_einval)
{
	rh_seekable_writer *w;
	rh_buf out = RH_BUF_INIT;

	cr_assert_eq(rh_seekable_writer_new(&w, NULL), 0);
	cr_assert_eq(rh_seekable_writer_write(w, "ab", 2, &out), 0);
	cr_assert_eq(rh_seekable_writer_finish(w, &out), 0);
	rh_error_clear();
	cr_assert_eq(rh_seekable_writer_write(w, "c", 1, &out), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	cr_assert_eq(rh_seekable_writer_finish(w, &out), RH_EINVAL);
	rh_seekable_writer_free(w);
	rh_seekable_writer_free(NULL);
	rh_buf_dispose(&out);
}

Test(seekable_writer, bad_options_are_einval)
{
	rh_seekable_options o = RH_SEEKABLE_OPTIONS_INIT;
	rh_seekable_writer *w = (rh_seekable_writer *)1;
	rh_buf out = RH_BUF_INIT;

	o.frame_size = RH_SEEKABLE_MAX_FRAME_SIZE + 1;
	cr_assert_eq(rh_seekable_writer_new(&w, &o), RH_EINVAL);
	cr_assert_null(w);
	cr_assert_neq(rh_error_last()[0], '\0');
	o = (rh_seekable_options)RH_SEEKABLE_OPTIONS_INIT;
	o.level = 1000;
	cr_assert_eq(rh_seekable_writer_new(&w, &o), RH_EINVAL);
	o = (rh_seekable_options)RH_SEEKABLE_OPTIONS_INIT;
	o.version = 99;
	cr_assert_eq(rh_seekable_writer_new(&w, &o), RH_EINVAL);
	cr_assert_eq(rh_seekable_compress(&out, "x", 1, &o), RH_EINVAL);
	cr_assert_eq(out.size, 0);
	cr_assert_eq(rh_seekable_writer_new(NULL, NULL), RH_EINVAL);
}

/* ------------------------------------------------------------ zstd CLI */

static void
zstd_cli_check(const char *data, size_t n, size_t frame_size)
{
	char in[300], dec[300], cmd[1024];
	rh_buf blob = RH_BUF_INIT;
	char *back;
	FILE *f;
	size_t got;

	if (system("zstd --version >/dev/null 2>&1") != 0)
		cr_skip_test("no zstd program");
	compress_fs(&blob, data, n, frame_size);
	snprintf(in, sizeof(in), "%s/blob.zst", tmpdir);
	snprintf(dec, sizeof(dec), "%s/blob", tmpdir);
	write_file(in, blob.ptr, blob.size);
	snprintf(cmd, sizeof(cmd), "zstd -q -t '%s'", in);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(cmd, sizeof(cmd), "zstd -q -d -f -o '%s' '%s'", dec, in);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	back = malloc(n + 1);
	cr_assert_not_null(f = fopen(dec, "rb"));
	got = fread(back, 1, n + 1, f);
	fclose(f);
	cr_assert_eq(got, n);
	cr_assert(n == 0 || memcmp(back, data, n) == 0);
	free(back);
	rh_buf_dispose(&blob);
}

TestSuite(seekable_zstd_cli, .init = make_tmpdir, .fini = remove_tmpdir);

Test(seekable_zstd_cli, empty_blob_decompresses_to_nothing)
{
	zstd_cli_check("", 0, 1000);
}

Test(seekable_zstd_cli, one_frame)
{
	zstd_cli_check("hello\n", 6, 1000);
}

Test(seekable_zstd_cli, many_frames_of_text_and_random)
{
	size_t n = 3 * MiB + 5;
	char *text = gen_text(n, 31), *bin = gen_random(n, 37);

	zstd_cli_check(text, n, 100 * KiB);
	zstd_cli_check(bin, n, 1u << 20);
	free(text);
	free(bin);
}

/* ------------------------------------------------------------ corrupt */

static char *corrupt_data;
static size_t corrupt_n;
static rh_buf corrupt_blob;

static void
make_corrupt_fixture(void)
{
	corrupt_n = 20000;
	corrupt_data = gen_text(corrupt_n, 41);
	compress_fs(&corrupt_blob, corrupt_data, corrupt_n, 4000);
}

static void
free_corrupt_fixture(void)
{
	free(corrupt_data);
	rh_buf_dispose(&corrupt_blob);
}

TestSuite(seekable_corrupt, .init = make_corrupt_fixture,
          .fini = free_corrupt_fixture);

Test(seekable_corrupt, truncated_anywhere_is_ecorrupt)
{
	size_t n = corrupt_blob.size, cut;
	char *copy = malloc(n);

	/* A fresh copy each time so ASan sees any read past the cut. */
	for (cut = 0; cut < n; cut++) {
		if (cut > 200 && cut < n - 200 && cut % 97)
			continue;
		memcpy(copy, corrupt_blob.ptr, cut);
		assert_open_corrupt(copy, cut);
		/* the same bytes at the end of a longer buffer */
		assert_open_corrupt(corrupt_blob.ptr + n - cut, cut);
	}
	free(copy);
}

Test(seekable_corrupt, every_table_byte_flipped)
{
	size_t n = corrupt_blob.size, tsize = 8 + 5 * 12 + 9, i;
	rh_buf copy = RH_BUF_INIT;
	unsigned mask;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	for (i = n - tsize; i < n; i++)
		for (mask = 1; mask < 256; mask <<= 1) {
			copy.ptr[i] ^= (char)mask;
			assert_corrupt_or_exact(&copy, corrupt_data, corrupt_n);
			copy.ptr[i] ^= (char)mask;
		}
	rh_buf_dispose(&copy);
}

Test(seekable_corrupt, every_frame_byte_flipped)
{
	size_t n = corrupt_blob.size, tsize = 8 + 5 * 12 + 9, i;
	rh_buf copy = RH_BUF_INIT;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	for (i = 0; i < n - tsize; i++) {
		copy.ptr[i] ^= (char)0xff;
		assert_corrupt_or_exact(&copy, corrupt_data, corrupt_n);
		copy.ptr[i] ^= (char)(0xff ^ 0x10);
		assert_corrupt_or_exact(&copy, corrupt_data, corrupt_n);
		copy.ptr[i] ^= (char)0x10;
	}
	rh_buf_dispose(&copy);
}

/* Offset of entry i's field (0 compressed, 4 raw, 8 checksum) in a blob of
 * size n with `nframes` checksummed entries. */
static size_t
entry_at(size_t n, unsigned nframes, unsigned i, unsigned field)
{
	return n - 9 - (size_t)nframes * 12 + (size_t)i * 12 + field;
}

static void
put32(char *p, uint32_t v)
{
	p[0] = (char)v;
	p[1] = (char)(v >> 8);
	p[2] = (char)(v >> 16);
	p[3] = (char)(v >> 24);
}

static void
read_fails_with(const rh_buf *blob, const char *needle)
{
	rh_buf got = RH_BUF_INIT;
	rh_seekable *sk = open_mem_ok(blob);

	rh_error_clear();
	cr_assert_eq(rh_seekable_read(&got, sk, 0, SIZE_MAX), RH_ECORRUPT);
	cr_assert_eq(got.size, 0);
	cr_assert_not_null(strstr(rh_seekable_errmsg(sk), needle), "%s",
	                   rh_seekable_errmsg(sk));
	rh_error_clear();
	/* the handle keeps its message when the thread's slot is reused */
	cr_assert_not_null(strstr(rh_seekable_errmsg(sk), needle));
	rh_seekable_close(sk);
	rh_buf_dispose(&got);
}

Test(seekable_corrupt, wrong_raw_size_names_both_sizes)
{
	rh_buf copy = RH_BUF_INIT;
	size_t n = corrupt_blob.size;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	put32(copy.ptr + entry_at(n, 5, 2, 4), 3999);
	read_fails_with(&copy, "frame 2 (at offset");
	read_fails_with(&copy, "holds 4000 bytes by its header, the seek table "
	                       "says 3999");
	put32(copy.ptr + entry_at(n, 5, 2, 4), 4001);
	read_fails_with(&copy,
	                "frame 2 decompresses to 4000 bytes, table says 4001");
	rh_buf_dispose(&copy);
}

/* Damaged frame data is called corrupt, never a size mismatch of two equal
 * sizes ("decompresses to 4000 bytes, table says 4000"). */
Test(seekable_corrupt, garbled_frame_data_is_called_corrupt)
{
	rh_buf copy = RH_BUF_INIT, got = RH_BUF_INIT;
	size_t n = corrupt_blob.size, k;
	rh_seekable *sk;

	for (k = 0; k < 4; k++) {
		rh_buf_clear(&copy);
		cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
		/* a run of bytes inside frame 0, past its header */
		memset(copy.ptr + 16 + 24 * k, (int)(0x5a + k), 24);
		sk = open_mem_ok(&copy);
		cr_assert_eq(rh_seekable_read(&got, sk, 0, SIZE_MAX),
		             RH_ECORRUPT);
		cr_assert_not_null(strstr(rh_seekable_errmsg(sk), "frame 0"),
		                   "%s", rh_seekable_errmsg(sk));
		cr_assert_not_null(strstr(rh_seekable_errmsg(sk), "corrupt"),
		                   "%s", rh_seekable_errmsg(sk));
		cr_assert_null(
			strstr(rh_seekable_errmsg(sk), "table says 4000"), "%s",
			rh_seekable_errmsg(sk));
		rh_seekable_close(sk);
	}
	rh_buf_dispose(&copy);
	rh_buf_dispose(&got);
}

Test(seekable_corrupt, wrong_checksum_in_table)
{
	rh_buf copy = RH_BUF_INIT;
	size_t n = corrupt_blob.size;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	copy.ptr[entry_at(n, 5, 4, 8)] ^= 1;
	read_fails_with(&copy, "frame 4 has checksum");
	rh_buf_dispose(&copy);
}

Test(seekable_corrupt, table_claiming_huge_sizes)
{
	rh_buf copy = RH_BUF_INIT;
	size_t n = corrupt_blob.size;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	put32(copy.ptr + n - 9, 0xffffffffu); /* frame count */
	assert_open_corrupt(copy.ptr, n);
	put32(copy.ptr + n - 9, 0x7ffffffu);
	assert_open_corrupt(copy.ptr, n);
	put32(copy.ptr + n - 9, 5);
	put32(copy.ptr + entry_at(n, 5, 1, 4), 0xffffffffu);
	assert_open_corrupt(copy.ptr, n);
	put32(copy.ptr + entry_at(n, 5, 1, 4), 64u << 20);
	read_fails_with(&copy, "frame 1 decompresses to 4000 bytes");
	put32(copy.ptr + entry_at(n, 5, 1, 4), 4000);
	put32(copy.ptr + entry_at(n, 5, 3, 0), 0xffffffffu);
	assert_open_corrupt(copy.ptr, n);
	cr_assert_not_null(strstr(rh_error_last(), "before the table"), "%s",
	                   rh_error_last());
	put32(copy.ptr + entry_at(n, 5, 3, 0), 0);
	assert_open_corrupt(copy.ptr, n);
	cr_assert_not_null(strstr(rh_error_last(), "in 0 stored bytes"), "%s",
	                   rh_error_last());
	rh_buf_dispose(&copy);
}

Test(seekable_corrupt, wrong_magics)
{
	rh_buf copy = RH_BUF_INIT;
	size_t n = corrupt_blob.size;

	cr_assert_eq(rh_buf_put(&copy, corrupt_blob.ptr, n), 0);
	copy.ptr[n - 1] ^= 0x40; /* seekable magic */
	assert_open_corrupt(copy.ptr, n);
	cr_assert_not_null(strstr(rh_error_last(), "not a seekable blob"));
	copy.ptr[n - 1] ^= 0x40;
	copy.ptr[n - 5] |= 0x04; /* reserved descriptor bit */
	assert_open_corrupt(copy.ptr, n);
	copy.ptr[n - 5] &= ~0x04;
	copy.ptr[entry_at(n, 5, 0, 0) - 8] ^= 1; /* skippable magic */
	assert_open_corrupt(copy.ptr, n);
	rh_buf_dispose(&copy);
}

Test(seekable_corrupt, garbage_and_plain_zstd_are_ecorrupt)
{
	char *g = gen_random(5000, 43);
	size_t n;

	for (n = 0; n < 5000; n += 7)
		assert_open_corrupt(g, n);
	/* two blobs back to back: the last table does not cover the first */
	{
		rh_buf two = RH_BUF_INIT;

		cr_assert_eq(
			rh_buf_put(&two, corrupt_blob.ptr, corrupt_blob.size),
			0);
		cr_assert_eq(
			rh_buf_put(&two, corrupt_blob.ptr, corrupt_blob.size),
			0);
		assert_open_corrupt(two.ptr, two.size);
		rh_buf_dispose(&two);
	}
	/* a frame with no seek table after it */
	assert_open_corrupt(corrupt_blob.ptr,
	                    corrupt_blob.size - 8 - 5 * 12 - 9);
	free(g);
}

/* ------------------------------------------------------------ store */

TestSuite(seekable_store, .init = make_tmpdir, .fini = remove_tmpdir);

static rh_store *
open_tmp_store(void)
{
	rh_store *st = NULL;

	cr_assert_eq(rh_store_open(&st, tmpdir, NULL), 0, "%s",
	             rh_error_last());
	return st;
}

Test(seekable_store, open_and_read_a_stored_blob)
{
	size_t n = 12 * MiB + 3;
	char *data = gen_random_lines(n, 47);
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_store *st = open_tmp_store();
	rh_seekable *sk;
	uint64_t seed = 3, off;
	size_t len;
	int i;

	/* 64 KiB frames: reads span several 8 MiB batched gets */
	compress_fs(&blob, data, n, 64 * KiB);
	cr_assert_eq(rh_store_put(st, "c/s/n/log.zst", blob.ptr, blob.size), 0);
	cr_assert_eq(rh_seekable_open(&sk, st, "c/s/n/log.zst"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_seekable_stored_size(sk), blob.size);
	assert_reads_whole(sk, data, n);
	for (i = 0; i < 300; i++) {
		off = rnd(&seed) % n;
		len = rnd(&seed) % (i % 2 ? 300 * KiB : 100);
		rh_buf_clear(&got);
		cr_assert_eq(rh_seekable_read(&got, sk, off, len), 0);
		if (len > n - off)
			len = n - off;
		cr_assert_eq(got.size, len);
		cr_assert(len == 0 || memcmp(got.ptr, data + off, len) == 0);
	}
	assert_tail(sk, data, n, 10);
	assert_tail(sk, data, n, 5000);
	rh_seekable_close(sk);
	rh_store_close(st);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
	free(data);
}

Test(seekable_store, table_larger_than_the_prefetch)
{
	size_t n = 100 * KiB;
	char *data = gen_text(n, 53);
	rh_buf blob = RH_BUF_INIT;
	rh_store *st = open_tmp_store();
	rh_seekable *sk;

	compress_fs(&blob, data, n, 16); /* 6400 frames, 77 KiB table */
	cr_assert_eq(rh_store_put(st, "big-table", blob.ptr, blob.size), 0);
	cr_assert_eq(rh_seekable_open(&sk, st, "big-table"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_seekable_frame_count(sk), 6400);
	/* before anything else is fetched: backwards scans fetch 1, 2, 4...
	 * frames at a time */
	assert_tail(sk, data, n, 700);
	assert_tail(sk, data, n, 3);
	assert_reads_whole(sk, data, n);
	rh_seekable_close(sk);
	rh_store_close(st);
	rh_buf_dispose(&blob);
	free(data);
}

Test(seekable_store, missing_key_is_enotfound)
{
	rh_store *st = open_tmp_store();
	rh_seekable *sk = (rh_seekable *)1;

	cr_assert_eq(rh_seekable_open(&sk, st, "no/such/blob"), RH_ENOTFOUND);
	cr_assert_null(sk);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_store_close(st);
}

Test(seekable_store, stored_garbage_is_ecorrupt_naming_the_key)
{
	rh_store *st = open_tmp_store();
	rh_seekable *sk;

	cr_assert_eq(rh_store_put(st, "junk", "not a blob at all", 17), 0);
	cr_assert_eq(rh_seekable_open(&sk, st, "junk"), RH_ECORRUPT);
	cr_assert_not_null(strstr(rh_error_last(), "junk"), "%s",
	                   rh_error_last());
	cr_assert_eq(rh_store_put(st, "tiny", "x", 1), 0);
	cr_assert_eq(rh_seekable_open(&sk, st, "tiny"), RH_ECORRUPT);
	rh_store_close(st);
}

/* A shared frame cache: a second reader of the same blob copies frames
 * instead of decompressing them, bytes stay exact, the budget holds. */
Test(seekable_store, shared_frame_cache_serves_other_readers)
{
	size_t n = 3 * 64 * KiB + 5;
	char *data = gen_text(n, 41);
	rh_buf blob = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable_options o = opts_fs(64 * KiB);
	rh_frame_cache *fc;
	rh_seekable *a, *b;
	uint64_t hits = 0, misses = 0;
	size_t bytes = 0;
	rh_store *st = open_tmp_store();

	cr_assert_eq(rh_seekable_compress(&blob, data, n, &o), 0);
	cr_assert_eq(rh_store_put(st, "c/blob", blob.ptr, blob.size), 0);
	cr_assert_eq(rh_frame_cache_new(&fc, 200 * KiB), 0);
	cr_assert_eq(rh_seekable_open(&a, st, "c/blob"), 0);
	rh_seekable_set_cache(a, fc);
	cr_assert_eq(rh_seekable_tail(&got, NULL, a, 3), 0);
	rh_frame_cache_stats(&hits, &misses, &bytes, fc);
	cr_assert_eq(hits, 0);
	cr_assert_gt(misses, 0);
	cr_assert_gt(bytes, 0);
	cr_assert_eq(rh_seekable_open(&b, st, "c/blob"), 0);
	rh_seekable_set_cache(b, fc);
	rh_buf_clear(&got);
	cr_assert_eq(rh_seekable_read(&got, b, n - 10, 10), 0);
	cr_assert_eq(memcmp(got.ptr, data + n - 10, 10), 0);
	rh_frame_cache_stats(&hits, NULL, NULL, fc);
	cr_assert_eq(hits, 1);
	/* reading every frame through the cache keeps it under budget */
	rh_buf_clear(&got);
	cr_assert_eq(rh_seekable_read(&got, b, 1, n - 2), 0);
	cr_assert_eq(memcmp(got.ptr, data + 1, n - 2), 0);
	rh_frame_cache_stats(NULL, NULL, &bytes, fc);
	cr_assert_leq(bytes, 200 * KiB);
	rh_seekable_close(a);
	rh_seekable_close(b);
	rh_frame_cache_free(fc);
	rh_frame_cache_free(NULL);
	rh_store_close(st);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&got);
	free(data);
}
