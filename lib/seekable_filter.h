/* seekable_filter.h - the per-frame search filter of a seekable blob: what
 * a search needs to skip a frame that cannot hold a string without
 * decompressing it.
 *
 * Stored as one more skippable frame just before the seek table, listed in
 * the table with a raw size of 0 - so `zstd -d`, zstd's seekable reader
 * and rayhist readers that predate it all pass over it - and only in blobs
 * with a frame worth it (see rh__filter_build()). Its bytes, integers
 * little endian:
 *
 *   u32 skippable magic 0x184D2A5B     (the seek table's is 0x184D2A5E)
 *   u32 frame size                     bytes that follow
 *   u32 tag 0x46544852 ("RHTF")
 *   u8  version (1), u8 stride (2), u16 reserved (0)
 *   u32 nframes                        data frames described: every frame
 *                                      of the blob before this one
 *   u32 CRC-32C of every byte after this field (a flipped bit in a
 *                                      bitset would hide a match; a
 *                                      filter that fails it is ignored)
 *   nframes entries of 12 bytes:
 *     u32 '\n' count of the frame
 *     u16 head length                  bytes before the frame's first '\n'
 *     u16 tail length                  bytes after its last '\n'
 *     u8  lg                           the bitset has 2^lg bits; 0: no
 *                                      filter, a search reads the frame
 *     u8[3] reserved (0)
 *   for each entry with lg != 0, in frame order: its head bytes, its tail
 *   bytes, its bitset (2^lg / 8 bytes; bit b is bit b%8 of byte b/8).
 *
 * The bitset: for every even position i of the frame (counted from its
 * first byte) with i+3 <= its size, the trigram of bytes i..i+2, each
 * OR-ed with 0x20 (two bytes equal but for ASCII case stay equal), as
 * t = b0 | b1 << 8 | b2 << 16, sets bit
 * (((t << 8) * 0x9E3779B1 mod 2^32) >> 15) mod 2^lg.
 * Only every second position is inserted: half the capture CPU, and a
 * string of 4 bytes or more still has all of its trigrams at one parity
 * inserted wherever it sits. */
#ifndef RH_SEEKABLE_FILTER_H
#define RH_SEEKABLE_FILTER_H

#include "internal.h"

#define RH_FILTER_SKIPPABLE_MAGIC 0x184D2A5Bu
#define RH_FILTER_TAG 0x46544852u
#define RH_FILTER_VERSION 1u
#define RH_FILTER_STRIDE 4u       /* what the writer uses */
#define RH_FILTER_STRIDE_MAX 8u   /* what a reader accepts */
#define RH_FILTER_HEADER_SIZE 24u /* magic, size, tag, version.. crc */
#define RH_FILTER_ENTRY_SIZE 12u
#define RH_FILTER_LG_MIN 9u
#define RH_FILTER_LG_MAX 17u
/* Longest head or tail a frame may have and still get a filter: a skipped
 * frame gives the search its ragged ends from here. */
#define RH_FILTER_EDGE_MAX 4096u
/* Frames smaller than this get none: they decompress in microseconds, and
 * a filter would be a large share of their stored size. */
#define RH_FILTER_MIN_FRAME (64u << 10)

/* Scratch of a filter builder: one per thread. */
typedef struct rh__filter_scratch {
	unsigned char bits[(1u << RH_FILTER_LG_MAX) / 8];
} rh__filter_scratch;

/* Append one frame's entry (12 bytes) to `idx` and its data (head, tail,
 * bitset) to `data`, for the raw bytes p[0..n). Returns 0 or RH_ENOMEM. */
int rh__filter_build(rh_buf *idx, rh_buf *data, rh__filter_scratch *s,
                     const unsigned char *p, size_t n);

/* Append the whole filter frame (header included) for `nframes` entries
 * to `out`. Returns 0, RH_ENOMEM, or RH_ERROR when it would not fit its
 * u32 size (the caller then writes none). */
int rh__filter_write(rh_buf *out, const rh_buf *idx, const rh_buf *data,
                     uint32_t nframes);

/* A parsed filter frame; points into the bytes it was parsed from. */
typedef struct rh__filter {
	uint32_t nframes;
	unsigned stride;
	const unsigned char *entries;
	const unsigned char **data; /* per frame: its head, or NULL */
} rh__filter;

/* One frame's facts. */
typedef struct rh__filter_frame {
	uint32_t nl;
	const char *head, *tail;
	size_t head_len, tail_len;
	const unsigned char *bits; /* NULL: no filter */
	unsigned lg, stride;
} rh__filter_frame;

/* Parse a filter frame p[0..n) (skippable header included) that must
 * describe `nframes` frames. Untrusted: every length is checked. Returns
 * 0, RH_ECORRUPT (message names `name`), RH_ENOMEM. */
int rh__filter_parse(rh__filter *f, const unsigned char *p, size_t n,
                     uint32_t nframes, const char *name);
void rh__filter_dispose(rh__filter *f);

/* Frame i's facts (i < f->nframes). */
void rh__filter_frame_get(rh__filter_frame *out, const rh__filter *f,
                          uint32_t i);

/* Folded trigram hashes of a string every match holds: `needle` of `n`
 * bytes. Fewer than 4 bytes give nothing to test (*count 0). */
typedef struct rh__filter_query {
	uint32_t *h; /* 17-bit hashes, positions 0..n-3 */
	size_t count;
} rh__filter_query;

int rh__filter_query_init(rh__filter_query *q, const char *needle, size_t n);
void rh__filter_query_dispose(rh__filter_query *q);

/* 0 when the frame cannot hold the needle anywhere inside it; 1 when it
 * may (or has no filter, or the query is empty). */
int rh__filter_may_hold(const rh__filter_frame *fr, const rh__filter_query *q);

/* ---- reading it (seekable_read.c) --- */

/* Parse the filter frame of `sk` into *f, keeping its bytes in `hold`
 * (which must outlive f). Returns 1 with a filter, 0 when the blob has
 * none (written before filters, or without them), RH_ECORRUPT, RH_EIO,
 * RH_ENOMEM. */
int rh_seekable__filter(rh__filter *f, rh_buf *hold, rh_seekable *sk);

/* The frames first..last whose raw bytes are exactly [off, off+len):
 * 0, or -1 when the range starts or ends inside a frame. Empty frames
 * between them are counted in. */
int rh_seekable__frames_exactly(unsigned *first, unsigned *last,
                                const rh_seekable *sk, uint64_t off,
                                uint64_t len);

#endif
