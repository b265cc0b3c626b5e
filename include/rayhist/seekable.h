/*
 * rayhist/seekable.h - compressed blobs with random access.
 *
 * A seekable blob is a run of independent zstd frames, each holding at most
 * `frame_size` raw bytes, followed by a seek table in the zstd seekable
 * format (a skippable frame, magic 0x184D2A5E, whose last 9 bytes are the
 * frame count, a descriptor byte and the magic 0x8F92EAB1). Every blob is
 * therefore also a plain .zst file that `zstd -d` decompresses to the
 * original bytes, and a concatenation of blobs is one too.
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

/** The largest raw frame size a reader accepts (and a writer allows). */
#define RH_SEEKABLE_MAX_FRAME_SIZE (64u << 20)

typedef struct rh_seekable_options {
	unsigned version;   /**< RH_SEEKABLE_OPTIONS_VERSION */
	size_t frame_size;  /**< raw bytes per frame; default 1 MiB */
	int level;          /**< zstd level; default 3 */
	int checksum;       /**< store an XXH64-based checksum per frame (1) */
} rh_seekable_options;

#define RH_SEEKABLE_OPTIONS_VERSION 1
#define RH_SEEKABLE_OPTIONS_INIT { RH_SEEKABLE_OPTIONS_VERSION, 1u << 20, 3, 1 }

/** Create a writer. opts may be NULL. @return 0, RH_EINVAL, RH_ENOMEM. */
RH_EXTERN int rh_seekable_writer_new(rh_seekable_writer **out,
				     const rh_seekable_options *opts);

/** Feed raw bytes; completed frames are appended to `out`.
 * @return 0, RH_ENOMEM, RH_ERROR (compression failed). */
RH_EXTERN int rh_seekable_writer_write(rh_seekable_writer *w,
				       const void *data, size_t len,
				       rh_buf *out);

/** Flush the last frame and append the seek table to `out`. The writer can
 * only be freed afterwards. @return 0, RH_ENOMEM, RH_ERROR, RH_EINVAL. */
RH_EXTERN int rh_seekable_writer_finish(rh_seekable_writer *w, rh_buf *out);

/** Raw bytes fed so far. */
RH_EXTERN uint64_t rh_seekable_writer_raw_size(const rh_seekable_writer *w);

/** Free a writer. NULL is fine. */
RH_EXTERN void rh_seekable_writer_free(rh_seekable_writer *w);

/** Compress `len` bytes into one whole blob appended to `out`. */
RH_EXTERN int rh_seekable_compress(rh_buf *out, const void *data, size_t len,
				   const rh_seekable_options *opts);

/**
 * Open the blob stored under `key`: reads its footer and seek table.
 * @param[out] out  the reader; release with rh_seekable_close()
 * @return 0, RH_ENOTFOUND, RH_ECORRUPT (not a seekable blob, truncated or
 *         inconsistent table), RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_seekable_open(rh_seekable **out, rh_store *st,
			       const char *key);

/** Open a blob held in memory (borrowed: `data` must outlive the reader).
 * Same returns as rh_seekable_open(). */
RH_EXTERN int rh_seekable_open_mem(rh_seekable **out, const void *data,
				   size_t len);

/** Raw (decompressed) size of the blob. */
RH_EXTERN uint64_t rh_seekable_size(const rh_seekable *sk);

/** Stored (compressed) size of the blob, seek table included. */
RH_EXTERN uint64_t rh_seekable_stored_size(const rh_seekable *sk);

/** Number of frames. */
RH_EXTERN unsigned rh_seekable_frame_count(const rh_seekable *sk);

/**
 * Append raw bytes [off, off+len) to `out`; shorter at the end of the blob,
 * nothing past it. len may be SIZE_MAX for "to the end". Only the frames
 * that hold the range are fetched and decompressed.
 * @return 0, RH_ECORRUPT, RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_seekable_read(rh_buf *out, rh_seekable *sk, uint64_t off,
			       size_t len);

/**
 * Append the last `nlines` lines of the blob to `out`, as `tail -n` prints
 * them (a final line without '\n' counts as a line).
 * @param[out] start_out  raw offset where the appended bytes begin; may be NULL
 * @return as rh_seekable_read().
 */
RH_EXTERN int rh_seekable_tail(rh_buf *out, uint64_t *start_out,
			       rh_seekable *sk, size_t nlines);

/** The reader's last failure message ("" if none). Borrowed. */
RH_EXTERN const char *rh_seekable_errmsg(const rh_seekable *sk);

/** Close a reader. NULL is fine. */
RH_EXTERN void rh_seekable_close(rh_seekable *sk);

RH_END_DECL

#endif
