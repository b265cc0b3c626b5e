/* Fuzz target for lib/seekable_read.c and lib/seekable_write.c.
 *
 * Every input is used twice:
 *   1. as a seekable blob: open it from memory, read ranges and tails. Any
 *      failure must be RH_ECORRUPT with a message; whatever is returned must
 *      agree with a whole read of the blob.
 *   2. as raw bytes: compress them (frame size from the first byte, fed
 *      whole and in chunks), then read back at an offset derived from the
 *      input and compare (after facebook/zstd:tests/fuzz/seekable_roundtrip.c).
 * See README.md for running it under libFuzzer.
 */
#include <rayhist/rayhist.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Blobs whose raw size is above this get only small reads: a tiny input can
 * legitimately claim gigabytes of zeros. */
#define FULL_READ_LIMIT (16u << 20)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

static uint64_t
mix(uint64_t *s)
{
	/* splitmix64: offsets and lengths derived from the input itself, so a
	 * crash reproduces from the file alone */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
seed_of(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h;
}

/* Where `tail -n nlines` starts in p[0, n), counted forwards. */
static size_t
ref_tail_start(const char *p, size_t n, size_t nlines)
{
	size_t i, count = 0;

	if (nlines == 0)
		return n;
	for (i = n; i > 0; i--) {
		/* a line starts at i-1 when i-1 == 0 or p[i-2] == '\n' */
		if (i - 1 == 0 || p[i - 2] == '\n')
			if (++count == nlines)
				return i - 1;
	}
	return 0;
}

static void
check_failure(int error, rh_seekable *sk)
{
	CHECK(error == RH_ECORRUPT);
	CHECK(rh_error_last()[0] != '\0');
	CHECK(!sk || rh_seekable_errmsg(sk)[0] != '\0');
}

static void
check_tail(rh_seekable *sk, const rh_buf *whole, size_t nlines)
{
	rh_buf got = RH_BUF_INIT;
	uint64_t start = 0;
	size_t want;
	int error;

	error = rh_seekable_tail(&got, &start, sk, nlines);
	if (error < 0) {
		check_failure(error, sk);
		CHECK(got.size == 0);
	} else if (whole) {
		want = ref_tail_start(whole->ptr, whole->size, nlines);
		CHECK(start == want);
		CHECK(got.size == whole->size - want);
		CHECK(got.size == 0 ||
		      memcmp(got.ptr, whole->ptr + want, got.size) == 0);
	} else {
		CHECK(start + got.size == rh_seekable_size(sk));
	}
	rh_buf_dispose(&got);
}

/* Mode 1: the input is a blob. */
static void
fuzz_reader(const uint8_t *data, size_t size, uint64_t seed)
{
	rh_buf whole = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable *sk = NULL;
	uint64_t raw, off;
	size_t len, want;
	int error, i, have_whole = 0;

	if ((error = rh_seekable_open_mem(&sk, data, size)) < 0) {
		check_failure(error, NULL);
		CHECK(sk == NULL);
		return;
	}
	raw = rh_seekable_size(sk);
	CHECK(rh_seekable_stored_size(sk) == size);
	if (raw <= FULL_READ_LIMIT) {
		error = rh_seekable_read(&whole, sk, 0, SIZE_MAX);
		if (error < 0)
			check_failure(error, sk);
		else
			CHECK(whole.size == raw);
		have_whole = error == 0;
	}
	for (i = 0; i < 8; i++) {
		off = raw ? mix(&seed) % (raw + 2) : mix(&seed) % 4;
		len = (size_t)(mix(&seed) % (i % 2 ? 4096 : 64));
		rh_buf_clear(&got);
		error = rh_seekable_read(&got, sk, off, len);
		if (error < 0) {
			check_failure(error, sk);
			CHECK(got.size == 0);
			continue;
		}
		if (off >= raw)
			want = 0;
		else
			want = len < raw - off ? len : (size_t)(raw - off);
		CHECK(got.size == want);
		if (have_whole && want)
			CHECK(memcmp(got.ptr, whole.ptr + off, want) == 0);
	}
	check_tail(sk, have_whole ? &whole : NULL, 0);
	check_tail(sk, have_whole ? &whole : NULL, 1);
	check_tail(sk, have_whole ? &whole : NULL, 1 + mix(&seed) % 50);
	rh_seekable_close(sk);
	rh_buf_dispose(&whole);
	rh_buf_dispose(&got);
}

/* Mode 2: the input is raw bytes to compress and read back. */
static void
fuzz_roundtrip(const uint8_t *data, size_t size, uint64_t seed)
{
	rh_seekable_options o = RH_SEEKABLE_OPTIONS_INIT;
	rh_buf blob = RH_BUF_INIT, chunked = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_seekable_writer *w = NULL;
	rh_seekable *sk = NULL;
	size_t off, len, c, pos;

	o.frame_size = size ? 1 + (size_t)data[0] * 31 : 1;
	o.level = 1;
	o.checksum = size ? data[size - 1] & 1 : 1;
	CHECK(rh_seekable_compress(&blob, data, size, &o) == 0);

	/* the same bytes fed in chunks of varying size give the same blob */
	CHECK(rh_seekable_writer_new(&w, &o) == 0);
	for (pos = 0; pos < size; pos += c) {
		c = 1 + (size_t)(mix(&seed) % (2 * o.frame_size + 1));
		if (c > size - pos)
			c = size - pos;
		CHECK(rh_seekable_writer_write(w, data + pos, c, &chunked) ==
		      0);
	}
	CHECK(rh_seekable_writer_finish(w, &chunked) == 0);
	CHECK(rh_seekable_writer_raw_size(w) == size);
	rh_seekable_writer_free(w);
	CHECK(chunked.size == blob.size);
	CHECK(memcmp(chunked.ptr, blob.ptr, blob.size) == 0);

	CHECK(rh_seekable_open_mem(&sk, blob.ptr, blob.size) == 0);
	CHECK(rh_seekable_size(sk) == size);
	CHECK(rh_seekable_frame_count(sk) ==
	      (size + o.frame_size - 1) / o.frame_size);
	off = size ? (size_t)(mix(&seed) % size) : 0;
	len = (size_t)(mix(&seed) % (size - off + 1));
	CHECK(rh_seekable_read(&got, sk, off, len) == 0);
	CHECK(got.size == len);
	CHECK(len == 0 || memcmp(got.ptr, data + off, len) == 0);
	rh_buf_clear(&got);
	CHECK(rh_seekable_read(&got, sk, 0, SIZE_MAX) == 0);
	CHECK(got.size == size);
	CHECK(size == 0 || memcmp(got.ptr, data, size) == 0);
	check_tail(sk, &got, 1 + (size_t)(mix(&seed) % 20));
	rh_seekable_close(sk);
	rh_buf_dispose(&blob);
	rh_buf_dispose(&chunked);
	rh_buf_dispose(&got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t seed = seed_of(data, size);

	fuzz_reader(data, size, seed);
	fuzz_roundtrip(data, size, seed);
	return 0;
}
