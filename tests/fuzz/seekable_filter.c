/* Fuzz target for lib/seekable_filter.c, the search filter a blob may
 * carry before its seek table (a reader parses it from stored bytes).
 *
 * Every input is used three times:
 *   1. as a seekable blob: open it from memory and read its filter; a
 *      failure must be RH_ECORRUPT with a message, and a filter that
 *      parses is asked about a needle taken from the input, touching
 *      every byte it points at.
 *   2. as a filter frame alone, claiming the frame count it holds.
 *   3. as text: a frame of the input repeated past the filter's minimum
 *      frame size gets a filter, which must answer "maybe" for every
 *      substring of the input of 4 bytes or more (no false negatives),
 *      in any ASCII case.
 * See README.md for running it under libFuzzer.
 */
#include <rayhist/rayhist.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seekable_filter.h"
#include "seekable_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

static void
check_fail(int r)
{
	CHECK(r == RH_ECORRUPT || r == RH_ENOMEM);
	CHECK(rh_error_last()[0] != '\0');
}

/* Ask every frame of f about a needle from the input, and read every
 * byte the frames point at. */
static void
ask(const rh__filter *f, const uint8_t *data, size_t size)
{
	rh__filter_query q;
	rh__filter_frame fr;
	unsigned sum = 0;
	uint32_t i;
	size_t k;

	CHECK(rh__filter_query_init(&q, (const char *)data,
	                            size < 24 ? size : 24) == 0);
	for (i = 0; i < f->nframes; i++) {
		rh__filter_frame_get(&fr, f, i);
		(void)rh__filter_may_hold(&fr, &q);
		if (!fr.bits)
			continue;
		for (k = 0; k < fr.head_len; k++)
			sum += (unsigned char)fr.head[k];
		for (k = 0; k < fr.tail_len; k++)
			sum += (unsigned char)fr.tail[k];
		for (k = 0; k < ((size_t)1 << fr.lg) / 8; k++)
			sum += fr.bits[k];
	}
	rh__filter_query_dispose(&q);
	(void)sum;
}

static void
as_blob(const uint8_t *data, size_t size)
{
	rh_seekable *sk = NULL;
	rh_buf hold = RH_BUF_INIT;
	rh__filter f;
	int r;

	if (rh_seekable_open_mem(&sk, data, size) < 0)
		return;
	r = rh_seekable__filter(&f, &hold, sk);
	if (r < 0)
		check_fail(r);
	else if (r == 1) {
		ask(&f, data, size);
		rh__filter_dispose(&f);
	}
	rh_seekable_close(sk);
	rh_buf_dispose(&hold);
}

static void
as_frame(const uint8_t *data, size_t size)
{
	rh__filter f;
	int r;

	if (size < RH_FILTER_HEADER_SIZE)
		return;
	r = rh__filter_parse(&f, data, size, rh_seekable__get32(data + 16),
	                     "(fuzz)");
	if (r < 0) {
		check_fail(r);
		return;
	}
	ask(&f, data, size);
	rh__filter_dispose(&f);
}

static void
as_text(const uint8_t *data, size_t size)
{
	rh_buf text = RH_BUF_INIT, idx = RH_BUF_INIT, fd = RH_BUF_INIT;
	rh_buf frame = RH_BUF_INIT;
	rh__filter_scratch *s;
	rh__filter f;
	rh__filter_query q;
	rh__filter_frame fr;
	char sub[32];
	size_t off, len, k;

	if (size < 4 || !memchr(data, '\n', size) || size > 4096)
		return;
	CHECK((s = malloc(sizeof(*s))) != NULL);
	while (text.size < RH_FILTER_MIN_FRAME)
		CHECK(rh_buf_put(&text, data, size) == 0);
	CHECK(rh__filter_build(&idx, &fd, s, (const unsigned char *)text.ptr,
	                       text.size) == 0);
	CHECK(rh__filter_write(&frame, &idx, &fd, 1) == 0);
	CHECK(rh__filter_parse(&f, (const unsigned char *)frame.ptr, frame.size,
	                       1, "(fuzz)") == 0);
	rh__filter_frame_get(&fr, &f, 0);
	for (off = 0; off + 4 <= size; off++) {
		len = size - off < sizeof(sub) ? size - off : sizeof(sub);
		memcpy(sub, data + off, len);
		for (k = 0; k < len; k++) /* another ASCII case */
			if ((sub[k] | 0x20) >= 'a' && (sub[k] | 0x20) <= 'z' &&
			    (data[k] & 1))
				sub[k] ^= 0x20;
		CHECK(rh__filter_query_init(&q, sub, len) == 0);
		CHECK(rh__filter_may_hold(&fr, &q) == 1);
		rh__filter_query_dispose(&q);
	}
	rh__filter_dispose(&f);
	free(s);
	rh_buf_dispose(&text);
	rh_buf_dispose(&idx);
	rh_buf_dispose(&fd);
	rh_buf_dispose(&frame);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_blob(data, size);
	as_frame(data, size);
	as_text(data, size);
	return 0;
}
