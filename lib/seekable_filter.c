/* seekable_filter.c - build, store, parse and ask the per-frame search
 * filter of a seekable blob (seekable_filter.h has the format). */
#include "seekable_filter.h"

#include <inttypes.h>
#include <string.h>

#include "seekable_format.h"
#include "hash.h"
#include "lines.h"

#define HASH_K 0x9E3779B1u
#define FOLD 0x2020202020202020ull

/* The trigram in the low 24 bits of t (bits above are shifted out, so
 * the loop needs no mask). */
static inline uint32_t
tri_hash(uint32_t t)
{
	return (((t | 0x202020u) << 8) * HASH_K) >> (32 - RH_FILTER_LG_MAX);
}

static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

#define SET(h) (bits[(h) >> 3] |= (unsigned char)(1u << ((h)&7)))

/* Insert the trigrams at every RH_FILTER_STRIDE-th position of p[0..n).
 * The loop is the whole cost of a filter: sixteen bytes are loaded and
 * folded at once and give the trigrams at positions 0, 2, 4, 6. */
static void
insert(unsigned char *bits, const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint32_t h0, h1, h2, h3, t;

	for (; i + 16 <= n; i += 16) {
		uint64_t x = load64(p + i) | FOLD, y = load64(p + i + 8) | FOLD;

		h0 = tri_hash((uint32_t)x);
		h1 = tri_hash((uint32_t)(x >> 32));
		h2 = tri_hash((uint32_t)y);
		h3 = tri_hash((uint32_t)(y >> 32));
		SET(h0);
		SET(h1);
		SET(h2);
		SET(h3);
	}
	for (; i + 3 <= n; i += RH_FILTER_STRIDE) {
		t = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
		    (uint32_t)p[i + 2] << 16;
		h0 = tri_hash(t);
		bits[h0 >> 3] |= (unsigned char)(1u << (h0 & 7));
	}
}

/* Halve the bitset while at most a fifth of the smaller one's bits would
 * be set: a string of 14 trigrams (7 of one parity) then passes a frame
 * without it once in about 10^5, and the set stays small where a frame's
 * text repeats itself, as logs do. Returns the lg kept. */
static unsigned
shrink(unsigned char *bits)
{
	unsigned lg = RH_FILTER_LG_MAX;
	size_t half, i, c;
	uint64_t a, b;

	while (lg > RH_FILTER_LG_MIN) {
		half = ((size_t)1 << lg) / 16; /* bytes in half the set */
		for (i = 0, c = 0; i < half; i += 8) {
			memcpy(&a, bits + i, 8);
			memcpy(&b, bits + half + i, 8);
			c += (size_t)__builtin_popcountll(a | b);
		}
		if (c * 5 > half * 8)
			break;
		for (i = 0; i < half; i++)
			bits[i] |= bits[half + i];
		lg--;
	}
	return lg;
}

int
rh__filter_build(rh_buf *idx, rh_buf *data, rh__filter_scratch *s,
                 const unsigned char *p, size_t n)
{
	unsigned char e[RH_FILTER_ENTRY_SIZE];
	const unsigned char *first, *last;
	size_t head, tail;
	uint64_t nl;
	unsigned lg;
	int error;

	memset(e, 0, sizeof(e));
	first = n ? memchr(p, '\n', n) : NULL;
	if (n < RH_FILTER_MIN_FRAME || !first)
		return rh_buf_put(idx, e, sizeof(e));
	last = memrchr(p, '\n', n);
	head = (size_t)(first - p);
	tail = n - (size_t)(last - p) - 1;
	if (head > RH_FILTER_EDGE_MAX || tail > RH_FILTER_EDGE_MAX)
		return rh_buf_put(idx, e, sizeof(e));
	nl = rh__count_nl((const char *)first, (size_t)(last - first) + 1);
	if (nl > UINT32_MAX)
		return rh_buf_put(idx, e, sizeof(e));
	memset(s->bits, 0, sizeof(s->bits));
	insert(s->bits, p, n);
	lg = shrink(s->bits);
	rh_seekable__put32(e, (uint32_t)nl);
	e[4] = (unsigned char)head;
	e[5] = (unsigned char)(head >> 8);
	e[6] = (unsigned char)tail;
	e[7] = (unsigned char)(tail >> 8);
	e[8] = (unsigned char)lg;
	if ((error = rh_buf_put(idx, e, sizeof(e))) < 0 ||
	    (error = rh_buf_put(data, p, head)) < 0 ||
	    (error = rh_buf_put(data, last + 1, tail)) < 0)
		return error;
	return rh_buf_put(data, s->bits, ((size_t)1 << lg) / 8);
}

int
rh__filter_write(rh_buf *out, const rh_buf *idx, const rh_buf *data,
                 uint32_t nframes)
{
	uint64_t body =
		RH_FILTER_HEADER_SIZE - 8 + (uint64_t)idx->size + data->size;
	unsigned char h[RH_FILTER_HEADER_SIZE];
	int error;

	if (body > UINT32_MAX - 8)
		return rh__error(RH_ERROR,
		                 "seekable filter: %" PRIu64
		                 " bytes is too large",
		                 body);
	rh_seekable__put32(h, RH_FILTER_SKIPPABLE_MAGIC);
	rh_seekable__put32(h + 4, (uint32_t)body);
	rh_seekable__put32(h + 8, RH_FILTER_TAG);
	h[12] = RH_FILTER_VERSION;
	h[13] = RH_FILTER_STRIDE;
	h[14] = h[15] = 0;
	rh_seekable__put32(h + 16, nframes);
	rh_seekable__put32(h + 20,
	                   rh__crc32c(rh__crc32c(0, idx->ptr, idx->size),
	                              data->ptr, data->size));
	if ((error = rh_buf_put(out, h, sizeof(h))) < 0 ||
	    (error = rh_buf_put(out, idx->ptr, idx->size)) < 0)
		return error;
	return rh_buf_put(out, data->ptr, data->size);
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int
rh__filter_parse(rh__filter *f, const unsigned char *p, size_t n,
                 uint32_t nframes, const char *name)
{
	const unsigned char *e, *d, *end = p + n;
	size_t need;
	uint32_t i;
	unsigned lg, head, tail;

	memset(f, 0, sizeof(*f));
	if (n < RH_FILTER_HEADER_SIZE ||
	    rh_seekable__get32(p) != RH_FILTER_SKIPPABLE_MAGIC ||
	    rh_seekable__get32(p + 4) != n - 8 ||
	    rh_seekable__get32(p + 8) != RH_FILTER_TAG)
		return rh__error(RH_ECORRUPT, "%s: not a search filter frame",
		                 name);
	if (p[12] != RH_FILTER_VERSION || p[13] < 1 ||
	    p[13] > RH_FILTER_STRIDE_MAX || p[14] || p[15])
		return rh__error(RH_ECORRUPT,
		                 "%s: search filter version %u "
		                 "stride %u, want %u and 1 to %u",
		                 name, p[12], p[13], RH_FILTER_VERSION,
		                 RH_FILTER_STRIDE_MAX);
	if (rh_seekable__get32(p + 16) != nframes ||
	    nframes > (n - RH_FILTER_HEADER_SIZE) / RH_FILTER_ENTRY_SIZE)
		return rh__error(RH_ECORRUPT,
		                 "%s: search filter describes "
		                 "%" PRIu32 " frames, the blob has %" PRIu32,
		                 name, rh_seekable__get32(p + 16), nframes);
	if (rh_seekable__get32(p + 20) !=
	    rh__crc32c(0, p + RH_FILTER_HEADER_SIZE, n - RH_FILTER_HEADER_SIZE))
		return rh__error(RH_ECORRUPT,
		                 "%s: search filter fails its "
		                 "checksum",
		                 name);
	if (nframes && !(f->data = rh__calloc(nframes, sizeof(*f->data))))
		return RH_ENOMEM;
	f->nframes = nframes;
	f->stride = p[13];
	f->entries = p + RH_FILTER_HEADER_SIZE;
	d = f->entries + (size_t)nframes * RH_FILTER_ENTRY_SIZE;
	for (i = 0; i < nframes; i++) {
		e = f->entries + (size_t)i * RH_FILTER_ENTRY_SIZE;
		lg = e[8];
		if (!lg)
			continue;
		head = get16(e + 4);
		tail = get16(e + 6);
		if (lg < RH_FILTER_LG_MIN || lg > RH_FILTER_LG_MAX ||
		    head > RH_FILTER_EDGE_MAX || tail > RH_FILTER_EDGE_MAX) {
			rh__filter_dispose(f);
			return rh__error(RH_ECORRUPT,
			                 "%s: search filter of "
			                 "frame %" PRIu32 " is out of bounds",
			                 name, i);
		}
		need = head + tail + ((size_t)1 << lg) / 8;
		if (need > (size_t)(end - d)) {
			rh__filter_dispose(f);
			return rh__error(RH_ECORRUPT,
			                 "%s: search filter is "
			                 "truncated at frame %" PRIu32,
			                 name, i);
		}
		f->data[i] = d;
		d += need;
	}
	if (d != end) {
		rh__filter_dispose(f);
		return rh__error(RH_ECORRUPT,
		                 "%s: search filter has %zu "
		                 "bytes too many",
		                 name, (size_t)(end - d));
	}
	return 0;
}

void
rh__filter_dispose(rh__filter *f)
{
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void
rh__filter_frame_get(rh__filter_frame *out, const rh__filter *f, uint32_t i)
{
	const unsigned char *e = f->entries + (size_t)i * RH_FILTER_ENTRY_SIZE;

	memset(out, 0, sizeof(*out));
	if (!f->data[i])
		return;
	out->nl = rh_seekable__get32(e);
	out->head_len = get16(e + 4);
	out->tail_len = get16(e + 6);
	out->lg = e[8];
	out->stride = f->stride;
	out->head = (const char *)f->data[i];
	out->tail = out->head + out->head_len;
	out->bits = f->data[i] + out->head_len + out->tail_len;
}

int
rh__filter_query_init(rh__filter_query *q, const char *needle, size_t n)
{
	const unsigned char *p = (const unsigned char *)needle;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (n < 4)
		return 0;
	if (!(q->h = rh__calloc(n - 2, sizeof(*q->h))))
		return RH_ENOMEM;
	for (i = 0; i + 3 <= n; i++)
		q->h[i] = tri_hash((uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
		                   (uint32_t)p[i + 2] << 16);
	q->count = n - 2;
	return 0;
}

void
rh__filter_query_dispose(rh__filter_query *q)
{
	free(q->h);
	memset(q, 0, sizeof(*q));
}

/* Are the needle's trigrams at positions phase, phase+stride, ... all
 * set? A match starting at position o of the frame has those of the phase
 * (-o mod stride) inserted. */
static int
phase_set(const rh__filter_frame *fr, const rh__filter_query *q, size_t phase)
{
	uint32_t mask = ((uint32_t)1 << fr->lg) - 1, b;
	size_t j;

	for (j = phase; j < q->count; j += fr->stride) {
		b = q->h[j] & mask;
		if (!(fr->bits[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

int
rh__filter_may_hold(const rh__filter_frame *fr, const rh__filter_query *q)
{
	size_t phase;

	/* with fewer trigrams than phases, some phase has none to test */
	if (!fr->bits || q->count < fr->stride)
		return 1;
	for (phase = 0; phase < fr->stride; phase++)
		if (phase_set(fr, q, phase))
			return 1;
	return 0;
}
