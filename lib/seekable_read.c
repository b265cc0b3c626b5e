/* seekable_read.c - random access to a seekable blob in a store or in memory
 * (rayhist/seekable.h; the layout is in seekable_format.h). */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "seekable_format.h"
#include "seekable_cache.h"
#include "seekable_filter.h"

/* Content_Checksum_flag of a zstd frame header descriptor (the byte after
 * the magic), from zstd's format specification. */
#define FHD_CHECKSUM 0x04

/* Open fetches this much of the blob's end at once: the footer and, for any
 * blob up to ~5 GiB in 1 MiB frames, the whole table - one ranged GET
 * instead of two on an object store. */
#define TAIL_PREFETCH (64u << 10)
/* A read fetches consecutive frames in ranged GETs of up to this many bytes. */
#define FETCH_BATCH (8u << 20)

/* Frames a fetch may bring along with the one asked for: lo..hi. */
struct span {
	unsigned lo, hi;
};

struct frame_cache {
	rh_buf buf;         /* the frame's raw bytes, or */
	rh__frame_ref *ref; /* a shared cache's copy of them, and */
	rh_buf view;        /* its bytes as a buffer (not owned) */
	unsigned frame;
	unsigned stamp; /* for least-recently-used replacement */
	int valid;
};

struct rh_seekable {
	rh_store *st;             /* borrowed; NULL for a blob in memory */
	char *name;               /* the key, or "(memory)": for messages */
	const unsigned char *mem; /* borrowed blob, when st is NULL */
	uint64_t stored_size;
	uint64_t raw_size;
	unsigned nframes;
	uint64_t *coff; /* nframes+1 compressed offsets */
	uint64_t *roff; /* nframes+1 raw offsets */
	uint32_t *sums; /* per-frame checksums, NULL without them */
	/* With table_ref, the three arrays belong to a seek table shared
	 * through table_cache (rh__seekable_open_shared()). */
	rh__frame_ref *table_ref;
	rh_frame_cache *table_cache;
	ZSTD_DCtx *dctx; /* created on first use */
	rh_buf cbuf;     /* stored frames [cfirst, cend); store only */
	unsigned cfirst, cend;
	/* Two frames: tail scans a frame then reads it again, and a line
	 * often straddles two. */
	struct frame_cache cache[2];
	unsigned clock;
	rh_frame_cache *shared; /* borrowed, may be NULL */
	char errmsg[512];
};

/* Keep the thread's message on the handle too (see STYLE.md, "Error
 * details"); returns `code` unchanged. */
static int
sk_fail(rh_seekable *sk, int code)
{
	if (code < 0 && sk)
		snprintf(sk->errmsg, sizeof(sk->errmsg), "%s", rh_error_last());
	return code;
}

static int
sk_new(rh_seekable **out, const char *name)
{
	rh_seekable *sk;

	if (!(sk = rh__calloc(1, sizeof(*sk))))
		return RH_ENOMEM;
	if (!(sk->name = rh__strdup(name))) {
		free(sk);
		return RH_ENOMEM;
	}
	*out = sk;
	return 0;
}

/* Point *p at stored bytes [off, off+len): into the blob in memory, or into
 * `tmp` after a ranged get. A short answer means the object changed or lies
 * about its size. */
static int
sk_fetch(const unsigned char **p, rh_seekable *sk, rh_buf *tmp, uint64_t off,
         size_t len)
{
	int error;

	if (!sk->st) {
		*p = sk->mem + off;
		return 0;
	}
	rh_buf_clear(tmp);
	if ((error = rh_store_get(tmp, sk->st, sk->name, off, len)) < 0)
		return error;
	if (tmp->size != len)
		return rh__error(RH_ECORRUPT,
		                 "%s: short read: %zu of %zu bytes at offset "
		                 "%" PRIu64,
		                 sk->name, tmp->size, len, off);
	*p = (const unsigned char *)tmp->ptr;
	return 0;
}

static int
parse_footer(uint32_t *nframes, int *checksum, const rh_seekable *sk,
             const unsigned char *foot)
{
	uint32_t magic = rh_seekable__get32(foot + 5);
	unsigned desc = foot[4];

	if (magic != RH_SEEK_MAGIC)
		return rh__error(RH_ECORRUPT,
		                 "%s: not a seekable blob (ends in 0x%08" PRIx32
		                 ", not the seek table magic)",
		                 sk->name, magic);
	if (desc & RH_SEEK_DESC_RESERVED)
		return rh__error(RH_ECORRUPT,
		                 "%s: seek table descriptor 0x%02x sets "
		                 "reserved bits",
		                 sk->name, desc);
	*nframes = rh_seekable__get32(foot);
	*checksum = (desc & RH_SEEK_DESC_CHECKSUM) != 0;
	if (*nframes > RH_SEEK_MAX_FRAMES)
		return rh__error(RH_ECORRUPT,
		                 "%s: seek table claims %" PRIu32 " frames, "
		                 "more than the limit of %u",
		                 sk->name, *nframes, RH_SEEK_MAX_FRAMES);
	return 0;
}

/* Fill the offset arrays from the entries at `p`, checking every size
 * against the limits and the blob before it is used. */
static int
parse_entries(rh_seekable *sk, const unsigned char *p, uint64_t body)
{
	size_t esize =
		sk->sums ? RH_SEEK_ENTRY_SIZE_CHECKSUM : RH_SEEK_ENTRY_SIZE;
	uint32_t csize, dsize;
	unsigned i;

	for (i = 0; i < sk->nframes; i++, p += esize) {
		csize = rh_seekable__get32(p);
		dsize = rh_seekable__get32(p + 4);
		if (dsize > RH_SEEKABLE_MAX_FRAME_SIZE)
			return rh__error(RH_ECORRUPT,
			                 "%s: frame %u claims %" PRIu32
			                 " raw bytes, over the limit of %u",
			                 sk->name, i, dsize,
			                 RH_SEEKABLE_MAX_FRAME_SIZE);
		if (csize == 0 && dsize != 0)
			return rh__error(RH_ECORRUPT,
			                 "%s: frame %u claims %" PRIu32
			                 " raw bytes in 0 stored bytes",
			                 sk->name, i, dsize);
		sk->coff[i + 1] = sk->coff[i] + csize;
		sk->roff[i + 1] = sk->roff[i] + dsize;
		if (sk->coff[i + 1] > body)
			break;
		if (sk->sums)
			sk->sums[i] = rh_seekable__get32(p + 8);
	}
	/* No overflow above: at most 2^27 entries of at most 2^32 bytes. */
	if (i < sk->nframes || sk->coff[sk->nframes] != body)
		return rh__error(RH_ECORRUPT,
		                 "%s: seek table says frames take %s%" PRIu64
		                 " bytes, blob has %" PRIu64
		                 " before the table",
		                 sk->name, i < sk->nframes ? "over " : "",
		                 sk->coff[i < sk->nframes ? i + 1 : i], body);
	sk->raw_size = sk->roff[sk->nframes];
	return 0;
}

static int
load_table(rh_seekable *sk)
{
	rh_buf tmp = RH_BUF_INIT;
	const unsigned char *p;
	uint64_t size = sk->stored_size, tsize;
	size_t want;
	uint32_t nframes = 0;
	int checksum = 0, error;

	if (size < RH_SEEK_SKIPPABLE_HEADER_SIZE + RH_SEEK_FOOTER_SIZE) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: %" PRIu64 " bytes is too short for a "
		                  "seekable blob",
		                  sk->name, size);
		goto done;
	}
	want = size < TAIL_PREFETCH ? (size_t)size : TAIL_PREFETCH;
	if ((error = sk_fetch(&p, sk, &tmp, size - want, want)) < 0 ||
	    (error = parse_footer(&nframes, &checksum, sk,
	                          p + want - RH_SEEK_FOOTER_SIZE)) < 0)
		goto done;
	tsize = rh_seekable__table_size(nframes, checksum);
	if (tsize > size) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: seek table of %" PRIu32 " frames needs "
		                  "%" PRIu64 " bytes, blob has %" PRIu64,
		                  sk->name, nframes, tsize, size);
		goto done;
	}
	if (tsize <= want)
		p += want - tsize;
	else if ((error = sk_fetch(&p, sk, &tmp, size - tsize, (size_t)tsize)) <
	         0)
		goto done;
	if (rh_seekable__get32(p) != RH_SEEK_SKIPPABLE_MAGIC ||
	    rh_seekable__get32(p + 4) !=
	            tsize - RH_SEEK_SKIPPABLE_HEADER_SIZE) {
		error = rh__error(RH_ECORRUPT,
		                  "%s: seek table of %" PRIu32 " frames has no "
		                  "matching skippable frame header",
		                  sk->name, nframes);
		goto done;
	}
	sk->nframes = nframes;
	if (!(sk->coff = rh__calloc((size_t)nframes + 1, sizeof(uint64_t))) ||
	    !(sk->roff = rh__calloc((size_t)nframes + 1, sizeof(uint64_t))) ||
	    (checksum &&
	     !(sk->sums = rh__calloc((size_t)nframes + 1, sizeof(uint32_t))))) {
		error = RH_ENOMEM;
		goto done;
	}
	error = parse_entries(sk, p + RH_SEEK_SKIPPABLE_HEADER_SIZE,
	                      size - tsize);
done:
	rh_buf_dispose(&tmp);
	return error;
}

static int load_table_shared(rh_seekable *sk, rh_frame_cache *cache);

/* Open key; with a cache, its seek table is shared through it. */
static int
sk_open(rh_seekable **out, rh_store *st, const char *key, rh_frame_cache *cache)
{
	rh_seekable *sk = NULL;
	int error;

	if (!out || !st || !key)
		return rh__error(RH_EINVAL, "rh_seekable_open: NULL argument");
	*out = NULL;
	if ((error = sk_new(&sk, key)) < 0 ||
	    (error = rh_store_head(&sk->stored_size, NULL, st, key)) < 0)
		goto done;
	sk->st = st;
	if ((error = cache ? load_table_shared(sk, cache) : load_table(sk)) < 0)
		goto done;
	sk->shared = cache;
	*out = sk, sk = NULL;
done:
	rh_seekable_close(sk);
	return error;
}

RH_EXTERN int
rh_seekable_open(rh_seekable **out, rh_store *st, const char *key)
{
	return sk_open(out, st, key, NULL);
}

/* A seek table as a frame cache keeps it for other readers of the blob. */
struct shared_table {
	unsigned nframes;
	uint64_t raw_size;
	uint64_t *coff, *roff;
	uint32_t *sums;
};

static void
shared_table_free(void *obj)
{
	struct shared_table *t = obj;

	free(t->coff);
	free(t->roff);
	free(t->sums);
	free(t);
}

/* Take the table from the cache, or load it and leave it there. */
static int
load_table_shared(rh_seekable *sk, rh_frame_cache *cache)
{
	struct shared_table *t;
	int error;

	if ((t = rh__frame_cache_obj_acquire(&sk->table_ref, NULL, cache,
	                                     RH__CACHE_OBJ_SEEK_TABLE, sk->name,
	                                     sk->stored_size))) {
		sk->table_cache = cache;
		sk->nframes = t->nframes;
		sk->raw_size = t->raw_size;
		sk->coff = t->coff;
		sk->roff = t->roff;
		sk->sums = t->sums;
		return 0;
	}
	if ((error = load_table(sk)) < 0)
		return error;
	/* Sharing is best effort: without memory the reader keeps its own. */
	if (!(t = malloc(sizeof(*t))))
		return 0;
	t->nframes = sk->nframes;
	t->raw_size = sk->raw_size;
	t->coff = sk->coff;
	t->roff = sk->roff;
	t->sums = sk->sums;
	if (rh__frame_cache_obj_put(&sk->table_ref, cache,
	                            RH__CACHE_OBJ_SEEK_TABLE, sk->name,
	                            sk->stored_size, t,
	                            sizeof(*t) + ((size_t)sk->nframes + 1) * 20,
	                            shared_table_free, 0) < 0) {
		free(t);
		return 0;
	}
	sk->table_cache = cache;
	return 0;
}

int
rh__seekable_open_shared(rh_seekable **out, rh_store *st, const char *key,
                         rh_frame_cache *cache)
{
	return sk_open(out, st, key, cache);
}

RH_EXTERN int
rh_seekable_open_mem(rh_seekable **out, const void *data, size_t len)
{
	rh_seekable *sk = NULL;
	int error;

	if (!out || (!data && len))
		return rh__error(RH_EINVAL,
		                 "rh_seekable_open_mem: NULL argument");
	*out = NULL;
	if ((error = sk_new(&sk, "(memory)")) < 0)
		goto done;
	sk->mem = data;
	sk->stored_size = len;
	if ((error = load_table(sk)) < 0)
		goto done;
	*out = sk, sk = NULL;
done:
	rh_seekable_close(sk);
	return error;
}

/* Point *src at frame i's stored bytes. From a store, fetch it together with
 * neighbours the caller will want next - frames lo..i-1 before it, i+1..hi
 * after it - in one ranged get of at most FETCH_BATCH bytes (more if frame i
 * alone is bigger): on an object store a request costs more than bytes. */
static int
frame_src(const unsigned char **src, rh_seekable *sk, unsigned i,
          struct span want)
{
	unsigned a = i, b = i + 1;
	int error;

	if (sk->st && (i < sk->cfirst || i >= sk->cend)) {
		sk->cfirst = sk->cend = 0;
		while (a > want.lo &&
		       sk->coff[b] - sk->coff[a - 1] <= FETCH_BATCH)
			a--;
		while (b <= want.hi && b < sk->nframes &&
		       sk->coff[b + 1] - sk->coff[a] <= FETCH_BATCH)
			b++;
		if ((error = sk_fetch(src, sk, &sk->cbuf, sk->coff[a],
		                      (size_t)(sk->coff[b] - sk->coff[a]))) < 0)
			return error;
		sk->cfirst = a;
		sk->cend = b;
	}
	if (sk->st)
		*src = (const unsigned char *)sk->cbuf.ptr +
		       (sk->coff[i] - sk->coff[sk->cfirst]);
	else
		*src = sk->mem + sk->coff[i];
	return 0;
}

static int
frame_error(const rh_seekable *sk, unsigned i, const unsigned char *src,
            size_t csize, size_t dsize, size_t r)
{
	unsigned long long fcs;

	if (ZSTD_getErrorCode(r) != ZSTD_error_dstSize_tooSmall)
		return rh__error(RH_ECORRUPT,
		                 "%s: frame %u (at offset %" PRIu64 ") is "
		                 "corrupt: %s",
		                 sk->name, i, sk->coff[i],
		                 ZSTD_getErrorName(r));
	/* More output than room: either the frame and the seek table disagree
	 * on its size (the frame header says how much), or the frame's data
	 * is damaged and decodes past what its own header declares. */
	fcs = ZSTD_getFrameContentSize(src, csize);
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR &&
	    fcs != (unsigned long long)dsize)
		return rh__error(RH_ECORRUPT,
		                 "%s: frame %u (at offset %" PRIu64
		                 ") holds %llu "
		                 "bytes by its header, the seek table says %zu",
		                 sk->name, i, sk->coff[i], fcs, dsize);
	if (fcs == (unsigned long long)dsize)
		return rh__error(RH_ECORRUPT,
		                 "%s: frame %u (at offset %" PRIu64 ") is "
		                 "corrupt: its data decodes past the %zu bytes "
		                 "its header declares",
		                 sk->name, i, sk->coff[i], dsize);
	return rh__error(RH_ECORRUPT,
	                 "%s: frame %u (at offset %" PRIu64 ") is corrupt or "
	                 "not the one the seek table describes: it decodes to "
	                 "more than the %zu bytes the table gives",
	                 sk->name, i, sk->coff[i], dsize);
}

/* zstd has just verified the frame's content checksum against its bytes, so
 * comparing that checksum with the table's checks the table too. A frame
 * without a content checksum (written by another tool) would need XXH64,
 * which libzstd does not export: its table checksum goes unchecked. */
static int
check_sum(const rh_seekable *sk, unsigned i, const unsigned char *src,
          size_t csize)
{
	uint32_t got;

	if (!sk->sums || csize < 5 ||
	    rh_seekable__get32(src) != ZSTD_MAGICNUMBER ||
	    !(src[4] & FHD_CHECKSUM) ||
	    ZSTD_findFrameCompressedSize(src, csize) != csize)
		return 0;
	got = rh_seekable__get32(src + csize - 4);
	if (got != sk->sums[i])
		return rh__error(RH_ECORRUPT,
		                 "%s: frame %u has checksum 0x%08" PRIx32
		                 ", table says 0x%08" PRIx32,
		                 sk->name, i, got, sk->sums[i]);
	return 0;
}

/* Decompress frame i into dst, which has room for exactly its raw size. */
static int
decompress_frame(rh_seekable *sk, unsigned i, struct span want, char *dst)
{
	size_t csize = (size_t)(sk->coff[i + 1] - sk->coff[i]);
	size_t dsize = (size_t)(sk->roff[i + 1] - sk->roff[i]);
	const unsigned char *src;
	size_t r;
	int error;

	if ((error = frame_src(&src, sk, i, want)) < 0)
		return error;
	if (!sk->dctx && !(sk->dctx = ZSTD_createDCtx()))
		return rh__error(RH_ENOMEM, "out of memory (zstd context)");
	r = ZSTD_decompressDCtx(sk->dctx, dst, dsize, src, csize);
	if (ZSTD_isError(r))
		return frame_error(sk, i, src, csize, dsize, r);
	if (r != dsize)
		return rh__error(RH_ECORRUPT,
		                 "%s: frame %u decompresses to %zu bytes, "
		                 "table says %zu",
		                 sk->name, i, r, dsize);
	return check_sum(sk, i, src, csize);
}

static struct frame_cache *
cache_find(rh_seekable *sk, unsigned i)
{
	size_t k;

	for (k = 0; k < RH_ARRAY_SIZE(sk->cache); k++)
		if (sk->cache[k].valid && sk->cache[k].frame == i) {
			sk->cache[k].stamp = ++sk->clock;
			return &sk->cache[k];
		}
	return NULL;
}

/* Frame i's raw bytes, from the cache or decompressed into it. */
static int
frame_get(const rh_buf **f, rh_seekable *sk, unsigned i, struct span want)
{
	size_t dsize = (size_t)(sk->roff[i + 1] - sk->roff[i]);
	struct frame_cache *c;
	size_t k;
	int error;

	if ((c = cache_find(sk, i))) {
		*f = c->ref ? &c->view : &c->buf;
		return 0;
	}
	c = &sk->cache[0];
	for (k = 1; k < RH_ARRAY_SIZE(sk->cache); k++)
		if (!sk->cache[k].valid ||
		    (c->valid && sk->cache[k].stamp < c->stamp))
			c = &sk->cache[k];
	c->valid = 0;
	rh__frame_cache_release(sk->shared, c->ref);
	c->ref = NULL;
	if (sk->shared && (c->view.ptr = (char *)rh__frame_cache_acquire(
				   &c->ref, sk->shared, sk->name,
				   sk->stored_size, i, dsize))) {
		c->view.size = c->view.asize = dsize;
		c->frame = i;
		c->valid = 1;
		c->stamp = ++sk->clock;
		*f = &c->view;
		return 0;
	}
	rh_buf_clear(&c->buf);
	if ((error = rh_buf_grow(&c->buf, dsize)) < 0 ||
	    (error = decompress_frame(sk, i, want, c->buf.ptr)) < 0)
		return error;
	if (sk->shared)
		rh__frame_cache_put(sk->shared, sk->name, sk->stored_size, i,
		                    c->buf.ptr, dsize);
	c->buf.size = dsize;
	c->buf.ptr[dsize] = '\0';
	c->frame = i;
	c->valid = 1;
	c->stamp = ++sk->clock;
	*f = &c->buf;
	return 0;
}

/* The first frame holding raw offset `off` (< raw_size): the smallest i with
 * roff[i+1] > off, which skips empty frames. */
static unsigned
find_frame(const rh_seekable *sk, uint64_t off)
{
	unsigned lo = 0, hi = sk->nframes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sk->roff[mid + 1] > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Append raw [off, end) to out, end <= raw_size. Frames wholly inside the
 * range decompress straight into `out`; the partial ones at either end go
 * through the cache. */
static int
read_range(rh_buf *out, rh_seekable *sk, uint64_t off, uint64_t end)
{
	unsigned i = find_frame(sk, off);
	struct span want = { i, find_frame(sk, end - 1) };
	uint64_t fs, fe, a, b;
	const rh_buf *f;
	int error;

	for (; off < end; i++) {
		fs = sk->roff[i];
		fe = sk->roff[i + 1];
		if (fs == fe)
			continue;
		want.lo = i; /* the frames before are done with */
		a = off - fs;
		b = (end < fe ? end : fe) - fs;
		if (a == 0 && b == fe - fs && !cache_find(sk, i)) {
			if ((error = rh_buf_grow(out, out->size + b)) < 0 ||
			    (error = decompress_frame(
				     sk, i, want, out->ptr + out->size)) < 0)
				return error;
			out->size += b;
			out->ptr[out->size] = '\0';
		} else if ((error = frame_get(&f, sk, i, want)) < 0 ||
		           (error = rh_buf_put(out, f->ptr + a, b - a)) < 0) {
			return error;
		}
		off = fs + b;
	}
	return 0;
}

int
rh__seekable_view(const char **p, uint64_t *start, size_t *len, rh_seekable *sk,
                  uint64_t off, uint64_t from)
{
	unsigned i;
	const rh_buf *f;
	struct span want;
	int error;

	if (off >= sk->raw_size)
		return sk_fail(sk, rh__error(RH_EINVAL,
		                             "%s: offset %" PRIu64
		                             " is past the end (%" PRIu64 ")",
		                             sk->name, off, sk->raw_size));
	i = find_frame(sk, off);
	want.lo = find_frame(sk, from < off ? from : off);
	want.hi = i;
	if ((error = frame_get(&f, sk, i, want)) < 0)
		return sk_fail(sk, error);
	*p = f->ptr;
	*start = sk->roff[i];
	*len = f->size;
	return 0;
}

static int
check_reader(const rh_seekable *sk, const rh_buf *out, const char *fn)
{
	if (!sk || !out)
		return rh__error(RH_EINVAL, "%s: NULL argument", fn);
	return 0;
}

/* Run read_range, leaving `out` as it was on failure: a caller never sees
 * part of a range that failed. */
static int
read_all_or_nothing(rh_buf *out, rh_seekable *sk, uint64_t off, uint64_t end)
{
	size_t size0 = out->size;
	int error;

	if ((error = read_range(out, sk, off, end)) < 0 && out->ptr) {
		out->size = size0;
		out->ptr[size0] = '\0';
	}
	return sk_fail(sk, error);
}

RH_EXTERN int
rh_seekable_read(rh_buf *out, rh_seekable *sk, uint64_t off, size_t len)
{
	uint64_t end;
	int error;

	if ((error = check_reader(sk, out, "rh_seekable_read")) < 0)
		return sk_fail(sk, error);
	if (off >= sk->raw_size || len == 0)
		return 0;
	end = len < sk->raw_size - off ? off + len : sk->raw_size;
	return read_all_or_nothing(out, sk, off, end);
}

/* Where the last `nlines` lines start: scan frames backwards counting '\n'.
 * The blob's final '\n' ends the last line rather than starting one, so it
 * is not counted; with fewer lines than asked the answer is 0. Each fetch
 * from a store brings as many earlier frames as were scanned so far: one
 * request for the usual short tail, a doubling number for long ones. */
static int
find_tail_start(uint64_t *start, rh_seekable *sk, size_t nlines)
{
	unsigned i = sk->nframes, scanned = 0;
	struct span want;
	int at_end = 1;
	size_t seen = 0, len;
	const char *nl;
	const rh_buf *f;
	int error;

	while (i-- > 0) {
		if (sk->roff[i + 1] == sk->roff[i])
			continue;
		want.lo = i > scanned ? i - scanned : 0;
		want.hi = i;
		if ((error = frame_get(&f, sk, i, want)) < 0)
			return error;
		scanned++;
		len = f->size;
		if (at_end && f->ptr[len - 1] == '\n')
			len--;
		at_end = 0;
		while (len > 0 && (nl = memrchr(f->ptr, '\n', len))) {
			if (++seen == nlines) {
				*start = sk->roff[i] + (uint64_t)(nl - f->ptr) +
				         1;
				return 0;
			}
			len = (size_t)(nl - f->ptr);
		}
	}
	*start = 0;
	return 0;
}

RH_EXTERN int
rh_seekable_tail(rh_buf *out, uint64_t *start_out, rh_seekable *sk,
                 size_t nlines)
{
	uint64_t start;
	int error;

	if ((error = check_reader(sk, out, "rh_seekable_tail")) < 0)
		return sk_fail(sk, error);
	start = sk->raw_size;
	if (nlines > 0 && sk->raw_size > 0) {
		if ((error = find_tail_start(&start, sk, nlines)) < 0)
			return sk_fail(sk, error);
		if ((error = read_all_or_nothing(out, sk, start,
		                                 sk->raw_size)) < 0)
			return error;
	}
	if (start_out)
		*start_out = start;
	return 0;
}

RH_EXTERN uint64_t
rh_seekable_size(const rh_seekable *sk)
{
	return sk ? sk->raw_size : 0;
}

RH_EXTERN uint64_t
rh_seekable_stored_size(const rh_seekable *sk)
{
	return sk ? sk->stored_size : 0;
}

RH_EXTERN unsigned
rh_seekable_frame_count(const rh_seekable *sk)
{
	return sk ? sk->nframes : 0;
}

RH_EXTERN const char *
rh_seekable_errmsg(const rh_seekable *sk)
{
	return sk ? sk->errmsg : "";
}

RH_EXTERN void
rh_seekable_set_cache(rh_seekable *sk, rh_frame_cache *cache)
{
	size_t k;

	if (!sk || !sk->st)
		return;
	/* Frames held from the old cache go back to it first. */
	for (k = 0; k < RH_ARRAY_SIZE(sk->cache); k++)
		if (sk->cache[k].ref) {
			rh__frame_cache_release(sk->shared, sk->cache[k].ref);
			sk->cache[k].ref = NULL;
			sk->cache[k].valid = 0;
		}
	sk->shared = cache;
}

RH_EXTERN void
rh_seekable_close(rh_seekable *sk)
{
	size_t k;

	if (!sk)
		return;
	free(sk->name);
	if (sk->table_ref) {
		rh__frame_cache_release(sk->table_cache, sk->table_ref);
	} else {
		free(sk->coff);
		free(sk->roff);
		free(sk->sums);
	}
	ZSTD_freeDCtx(sk->dctx);
	rh_buf_dispose(&sk->cbuf);
	for (k = 0; k < RH_ARRAY_SIZE(sk->cache); k++) {
		rh__frame_cache_release(sk->shared, sk->cache[k].ref);
		rh_buf_dispose(&sk->cache[k].buf);
	}
	free(sk);
}

/* ---- the search filter (seekable_filter.h) ------------------------------- */

int
rh_seekable__filter(rh__filter *f, rh_buf *hold, rh_seekable *sk)
{
	const unsigned char *p;
	unsigned last;
	uint64_t len;
	int error;

	memset(f, 0, sizeof(*f));
	if (!sk->nframes)
		return 0;
	last = sk->nframes - 1;
	len = sk->coff[last + 1] - sk->coff[last];
	/* Old blobs have none: their last frame holds raw bytes. */
	if (sk->roff[last + 1] != sk->roff[last] ||
	    len < RH_FILTER_HEADER_SIZE || len > SIZE_MAX - 1)
		return 0;
	rh_buf_clear(hold);
	if ((error = sk_fetch(&p, sk, hold, sk->coff[last], 4)) < 0)
		return sk_fail(sk, error);
	/* Another tool's skippable frame is not ours: no filter. */
	if (rh_seekable__get32(p) != RH_FILTER_SKIPPABLE_MAGIC)
		return 0;
	rh_buf_clear(hold);
	if ((error = sk_fetch(&p, sk, hold, sk->coff[last], (size_t)len)) < 0)
		return sk_fail(sk, error);
	if (!sk->st && (error = rh_buf_put(hold, p, (size_t)len)) < 0)
		return error;
	if ((error = rh__filter_parse(f, (const unsigned char *)hold->ptr,
	                              (size_t)len, last, sk->name)) < 0)
		return sk_fail(sk, error);
	return 1;
}

int
rh_seekable__frames_exactly(unsigned *first, unsigned *last,
                            const rh_seekable *sk, uint64_t off, uint64_t len)
{
	unsigned i, j;

	if (!len || off >= sk->raw_size || len > sk->raw_size - off)
		return -1;
	i = find_frame(sk, off);
	j = find_frame(sk, off + len - 1);
	if (i >= sk->nframes || j >= sk->nframes || sk->roff[i] != off ||
	    sk->roff[j + 1] != off + len)
		return -1;
	*first = i;
	*last = j;
	return 0;
}
