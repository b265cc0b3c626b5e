/*
 * rayhist/seekable.h - compressed blobs with random access.
 *
 * A seekable blob is a run of independent zstd frames, each holding at most
 * `frame_size` raw bytes, followed by a seek table in the zstd seekable
 * format (a skippable frame, magic 0x184D2A5E, whose last 9 bytes are the
 * frame count, a descriptor byte and the magic 0x8F92EAB1). Every blob is
 * therefore also a plain .zst file that `zstd -d` decompresses to the
 * original bytes. A concatenation of blobs is a valid .zst too, but not a
 * seekable blob: its last table does not cover the blobs before it, and
 * rh_seekable_open() refuses it (RH_ECORRUPT).
 *
 * Writing - HowTo:
 *   rh_seekable_writer_new(&w, &opts)
 *   rh_seekable_writer_write(w, data, len, &out)   repeatedly; each call
 *                              appends the frames it completed to `out`
 *   rh_seekable_writer_finish(w, &out)    last frame plus the seek table
 *   rh_seekable_writer_free(w)
 * or rh_seekable_compress() for a buffer in memory.
 *
 * Reading - HowTo:
 *   rh_seekable_open(&sk, store, key)     reads only the footer and table
 *   rh_seekable_read(&buf, sk, off, len)  decompresses only frames involved
 *   rh_seekable_tail(&buf, &start, sk, n) the last n lines
 *   rh_seekable_close(sk)
 *
 * Untrusted input: a blob may be truncated, corrupt or hostile. Every size in
 * the seek table is checked against the blob's size and against the limits
 * below before anything is allocated; decompressed frames must have exactly
 * the size the table claims. Failures return RH_ECORRUPT with a message that
 * names the key and the problem - never a crash and never wrong bytes.
 * Limits: at most RH_SEEKABLE_MAX_FRAME_SIZE raw bytes per frame, at most
 * 2^27 frames, and the entries' compressed sizes must add up to exactly the
 * bytes before the seek table.
 *
 * Checksums: every frame the writer makes carries zstd's content checksum,
 * which zstd verifies whenever the frame is decompressed (by this reader or
 * by `zstd -d`). The seek table's per-frame checksum (options.checksum) is
 * the same value - the low 32 bits of XXH64 of the raw bytes - copied from
 * the frame, and the reader compares the two. A frame written by another
 * tool without a content checksum is still read, but its table checksum is
 * not verified (libzstd exports no XXH64 to recompute it).
 *
 * Compatibility: blobs written by zstd's contrib/seekable_format writer are
 * read too, including skippable frames listed with a raw size of 0 (the
 * search filter of options.filter is one; readers before it pass over
 * it as over any skippable frame). A blob
 * of empty input is a lone seek table (17 bytes), which `zstd -d` reads as
 * an empty file.
 *
 * Thread-safety: a writer or reader belongs to one thread at a time.
 */
#ifndef RAYHIST_SEEKABLE_H
#define RAYHIST_SEEKABLE_H

#include "common.h"
#include "buf.h"
#include "store.h"

RH_BEGIN_DECL

typedef struct rh_seekable_writer rh_seekable_writer;
typedef struct rh_seekable rh_seekable;
typedef struct rh_frame_cache rh_frame_cache;

/** The largest raw frame size a reader accepts (and a writer allows). */
#define RH_SEEKABLE_MAX_FRAME_SIZE (64u << 20)

/** Writer options; NULL means RH_SEEKABLE_OPTIONS_INIT. */
typedef struct rh_seekable_options {
	unsigned version;  /**< RH_SEEKABLE_OPTIONS_VERSION */
	size_t frame_size; /**< raw bytes per frame, at most
				 RH_SEEKABLE_MAX_FRAME_SIZE; 0 or default:
				 4 MiB. Smaller frames make small reads cheaper
				 and compression worse: each frame starts with
				 an empty window (1 MiB frames store Ray logs
				 about 20% larger than 4 MiB ones). */
	int level;         /**< zstd level (ZSTD_minCLevel() to
				 ZSTD_maxCLevel()); 0 or default: 3 */
	int checksum;      /**< 1 (default): the seek table holds each
				 frame's checksum too (4 bytes a frame) */
	unsigned workers;  /**< threads compressing frames in parallel;
				 0 or 1 (default): the caller's thread. The
				 blob is byte for byte the same either way. */
	int filter;        /**< (version 2) 1: store a search filter of
				 each frame of 64 KiB or more - its folded
				 byte trigrams, '\n' count and ragged line
				 ends, in one more skippable frame before the
				 seek table (rayhist-store(5)) - that lets
				 rh_search_session() skip frames that cannot
				 hold what it looks for. 0 (default): none. */
} rh_seekable_options;

/** 2 adds `filter`; version 1 structs are still accepted. */
#define RH_SEEKABLE_OPTIONS_VERSION 2
#define RH_SEEKABLE_OPTIONS_INIT                                  \
	{                                                         \
		RH_SEEKABLE_OPTIONS_VERSION, 4u << 20, 3, 1, 1, 0 \
	}

/**
 * Create a writer.
 * @param[out] out  the writer; release with rh_seekable_writer_free()
 * @param opts  NULL for defaults
 * @return 0; RH_EINVAL for a wrong options version, a frame size over
 *         RH_SEEKABLE_MAX_FRAME_SIZE or a level zstd does not know;
 *         RH_ENOMEM.
 */
RH_EXTERN int rh_seekable_writer_new(rh_seekable_writer **out,
                                     const rh_seekable_options *opts);

/**
 * Feed raw bytes; the frames they complete are compressed and appended to
 * `out` (a caller may ship and clear `out` between calls). Bytes of an
 * unfinished frame are kept by the writer (at most frame_size), except that
 * whole frames of `data` are compressed without being copied.
 * @return 0; RH_EINVAL for NULL arguments or a writer already finished or
 *         failed; RH_ENOMEM; RH_ERROR (compression failed). After a failure
 *         the writer refuses every call but rh_seekable_writer_free().
 */
RH_EXTERN int rh_seekable_writer_write(rh_seekable_writer *w, const void *data,
                                       size_t len, rh_buf *out);

/**
 * Compress the last, partial frame and append it and the seek table to
 * `out`. Afterwards the writer can only be freed; rh_seekable_writer_raw_size()
 * still answers.
 * @return 0, RH_ENOMEM, RH_ERROR, RH_EINVAL (called twice or after a
 *         failure).
 */
RH_EXTERN int rh_seekable_writer_finish(rh_seekable_writer *w, rh_buf *out);

/** Raw bytes fed so far (0 for NULL). */
RH_EXTERN uint64_t rh_seekable_writer_raw_size(const rh_seekable_writer *w);

/** Free a writer. NULL is fine. */
RH_EXTERN void rh_seekable_writer_free(rh_seekable_writer *w);

/**
 * Compress `len` bytes into one whole blob appended to `out`: a writer's
 * new, write, finish and free in one call.
 * @param opts  NULL for defaults
 * @return as rh_seekable_writer_new() and _finish(). On failure `out` is
 *         left as it was.
 */
RH_EXTERN int rh_seekable_compress(rh_buf *out, const void *data, size_t len,
                                   const rh_seekable_options *opts);

/**
 * Open the blob stored under `key`: one rh_store_head() and one ranged
 * rh_store_get() of its last 64 KiB (a second one for larger tables).
 * @param[out] out  the reader; release with rh_seekable_close()
 * @param st   borrowed: must outlive the reader
 * @param key  copied
 * @return 0; RH_ENOTFOUND; RH_ECORRUPT (not a seekable blob, truncated, or a
 *         table that breaks the limits above or does not add up to the
 *         blob's size); RH_EINVAL (NULL argument or bad key); RH_EIO;
 *         RH_ENOMEM. The message is in rh_error_last() only, as there is
 *         no handle.
 */
RH_EXTERN int rh_seekable_open(rh_seekable **out, rh_store *st,
                               const char *key);

/** Open a blob held in memory (borrowed: `data` must outlive the reader);
 * messages name it "(memory)". Same returns as rh_seekable_open(), but for
 * RH_ENOTFOUND and RH_EIO. */
RH_EXTERN int rh_seekable_open_mem(rh_seekable **out, const void *data,
                                   size_t len);

/** Raw (decompressed) size of the blob, as its seek table says (0 for
 * NULL). */
RH_EXTERN uint64_t rh_seekable_size(const rh_seekable *sk);

/** Stored (compressed) size of the blob, seek table included. */
RH_EXTERN uint64_t rh_seekable_stored_size(const rh_seekable *sk);

/** Number of frames the seek table lists, skippable ones included (such
 * as the search filter of options.filter). */
RH_EXTERN unsigned rh_seekable_frame_count(const rh_seekable *sk);

/**
 * Append raw bytes [off, off+len) to `out`; shorter at the end of the blob,
 * nothing past it. len may be SIZE_MAX for "to the end". Only the frames
 * that hold the range are fetched (from a store, in ranged gets of up to
 * 8 MiB of consecutive frames) and decompressed; the reader keeps the last
 * two frames it decompressed partially, so small reads that walk forwards
 * or backwards do not decompress a frame twice.
 * @return 0, RH_ECORRUPT (a frame fails to decompress, or to the size or
 *         checksum the table says), RH_EIO, RH_ENOMEM, RH_EINVAL (NULL
 *         argument). On failure `out` is left as it was.
 */
RH_EXTERN int rh_seekable_read(rh_buf *out, rh_seekable *sk, uint64_t off,
                               size_t len);

/**
 * Append the last `nlines` lines of the blob to `out`, as `tail -n` prints
 * them: a line ends after a '\n', and a final line without '\n' counts as a
 * line. nlines 0 appends nothing; more lines than the blob holds append it
 * all. Frames are decompressed from the end backwards until enough '\n'
 * were seen, so the cost follows the size of the answer, not of the blob.
 * @param[out] start_out  raw offset where the appended bytes begin (the raw
 *                        size when nothing was appended); may be NULL
 * @return as rh_seekable_read().
 */
RH_EXTERN int rh_seekable_tail(rh_buf *out, uint64_t *start_out,
                               rh_seekable *sk, size_t nlines);

/**
 * A cache of decompressed frames shared by any number of readers, on any
 * number of threads: a server that reads the same log tails again and again
 * decompresses each frame once. Frames are keyed by object key, blob size and
 * frame number; the least recently used are dropped past `max_bytes`.
 * @param[out] out  release with rh_frame_cache_free() after every reader
 *                  using it is closed
 * @return 0, RH_EINVAL, RH_ENOMEM.
 * Thread-safety: a cache may be shared by readers on any threads.
 */
RH_EXTERN int rh_frame_cache_new(rh_frame_cache **out, size_t max_bytes);

/** Hits, misses and bytes held so far; any pointer may be NULL. */
RH_EXTERN void rh_frame_cache_stats(uint64_t *hits, uint64_t *misses,
                                    size_t *bytes, rh_frame_cache *cache);

/** Free a cache. NULL is fine. */
RH_EXTERN void rh_frame_cache_free(rh_frame_cache *cache);

/** Let a store-backed reader share `cache` (borrowed; NULL detaches). Only
 * readers opened with rh_seekable_open() use it. */
RH_EXTERN void rh_seekable_set_cache(rh_seekable *sk, rh_frame_cache *cache);

/** The reader's last failure message ("" if none), kept until its next
 * failure even when the thread's rh_error_last() moves on. Borrowed from
 * the reader. */
RH_EXTERN const char *rh_seekable_errmsg(const rh_seekable *sk);

/** Close a reader. NULL is fine. */
RH_EXTERN void rh_seekable_close(rh_seekable *sk);

RH_END_DECL

#endif
