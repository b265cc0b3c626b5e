/*
 * rayhist/store.h - immutable objects in a local folder or an object store.
 *
 * How to use a store:
 *   1. rh_store_open(&st, url, NULL)     url: "file:///path", "/path", "path"
 *                                         (a plain path means file://)
 *   2. write:  rh_store_put(st, key, data, len)         small objects, or
 *              rh_store_writer_open / _write / _commit   streamed ones
 *      read:   rh_store_get(&buf, st, key, off, len), rh_store_head(),
 *              rh_store_list(st, prefix, delim, cb, payload)
 *      remove: rh_store_delete(st, key)
 *   3. rh_store_close(st)
 *
 * Keys are '/'-separated relative names ("ns/cluster/session/..."): no
 * leading or trailing '/', no empty, "." or ".." component, no NUL or control
 * bytes; anything else returns RH_EINVAL, so a key can never name something
 * outside the store. Objects are written whole and atomically: a reader sees
 * either the old object, the new one, or none - never a partial one.
 *
 * Thread-safety: one rh_store may serve any number of threads at once; a
 * writer handle belongs to one thread. Store handles keep no error message of
 * their own: read rh_error_last() right after a failing call.
 */
#ifndef RAYHIST_STORE_H
#define RAYHIST_STORE_H

#include "common.h"
#include "buf.h"

RH_BEGIN_DECL

typedef struct rh_store rh_store;
typedef struct rh_store_writer rh_store_writer;

/** Options for rh_store_open(); NULL means all defaults. */
typedef struct rh_store_options {
	unsigned version; /**< RH_STORE_OPTIONS_VERSION */
	int fsync;        /**< file://: fsync objects before rename (default 1) */
} rh_store_options;

#define RH_STORE_OPTIONS_VERSION 1
#define RH_STORE_OPTIONS_INIT { RH_STORE_OPTIONS_VERSION, 1 }

/** The default store when none is given: "./rayhist-store". */
#define RH_STORE_DEFAULT_URL "./rayhist-store"

/** One entry seen by rh_store_list(). Borrowed for the callback's duration. */
typedef struct rh_store_entry {
	const char *key;   /**< full key; for a common prefix it ends in delim */
	uint64_t size;     /**< object size in bytes; 0 for a prefix */
	int64_t mtime_ms;  /**< last modification, ms since the epoch; 0 if unknown */
	int is_prefix;     /**< 1 for a "directory" rolled up by the delimiter */
} rh_store_entry;

/** Called for each listed entry, in key order. Return 0 to go on, or a
 * non-zero value to stop the listing; rh_store_list() then returns it. */
typedef int (*rh_store_list_cb)(const rh_store_entry *entry, void *payload);

/**
 * Pick the store URL the way every program does: `flag` when not NULL, else
 * $RAYHIST_STORE when set and non-empty, else RH_STORE_DEFAULT_URL.
 * @return a borrowed string (flag, the environment, or a static default).
 */
RH_EXTERN const char *rh_store_default_url(const char *flag);

/**
 * Open a store.
 * @param[out] out  the store; release with rh_store_close()
 * @param url   "file:///abs/path", a plain path, or "s3://bucket[/prefix]"
 * @param opts  NULL for defaults
 * @return 0; RH_EINVAL for a malformed or unsupported URL; RH_EIO when a
 *         file:// folder cannot be created or is not a writable folder.
 *         A file:// folder that does not exist yet is created.
 */
RH_EXTERN int rh_store_open(rh_store **out, const char *url,
			    const rh_store_options *opts);

/** The URL the store was opened with (normalised). Borrowed from st. */
RH_EXTERN const char *rh_store_url(const rh_store *st);

/**
 * Write a whole object atomically, replacing any object of that key.
 * @return 0, RH_EINVAL for a bad key, RH_EIO once retries are spent.
 */
RH_EXTERN int rh_store_put(rh_store *st, const char *key, const void *data,
			   size_t len);

/**
 * Read bytes [off, off+len) of object `key`; shorter at the end of the
 * object, empty past it. len may be SIZE_MAX for "to the end".
 * @param[out] out  receives the bytes (appended to whatever it holds);
 *                  release with rh_buf_dispose()
 * @return 0, RH_ENOTFOUND if `key` is absent, RH_EINVAL for a bad key,
 *         RH_EIO once retries are spent.
 */
RH_EXTERN int rh_store_get(rh_buf *out, rh_store *st, const char *key,
			   uint64_t off, size_t len);

/**
 * The size of object `key`.
 * @param[out] size_out   its size in bytes
 * @param[out] mtime_ms_out  its modification time in ms since the epoch, or 0
 *                        if unknown; may be NULL
 * @return 0, RH_ENOTFOUND, RH_EINVAL, RH_EIO.
 */
RH_EXTERN int rh_store_head(uint64_t *size_out, int64_t *mtime_ms_out,
			    rh_store *st, const char *key);

/**
 * List the objects whose keys start with `prefix` ("" for all), in key order.
 * With `delim` (usually "/"), keys that contain `delim` after the prefix are
 * rolled up into one prefix entry each, as S3's ListObjectsV2 does.
 * @return 0 when all entries were seen; the callback's non-zero value when it
 *         stopped early; RH_EINVAL, RH_EIO.
 */
RH_EXTERN int rh_store_list(rh_store *st, const char *prefix,
			    const char *delim, rh_store_list_cb cb,
			    void *payload);

/** Delete object `key`. Deleting an absent object is not an error.
 * @return 0, RH_EINVAL, RH_EIO. */
RH_EXTERN int rh_store_delete(rh_store *st, const char *key);

/**
 * Start streaming a new object. Nothing is visible under `key` until
 * rh_store_writer_commit() succeeds.
 * @param[out] out  the writer; finish it with _commit() or _abort()
 * @return 0, RH_EINVAL, RH_EIO.
 */
RH_EXTERN int rh_store_writer_open(rh_store_writer **out, rh_store *st,
				   const char *key);

/** Append bytes to a writer. @return 0, RH_EIO, RH_ENOMEM. */
RH_EXTERN int rh_store_writer_write(rh_store_writer *w, const void *data,
				    size_t len);

/** Bytes written to `w` so far. */
RH_EXTERN uint64_t rh_store_writer_size(const rh_store_writer *w);

/**
 * Make the object visible atomically and free the writer (also on failure).
 * @return 0, RH_EIO.
 */
RH_EXTERN int rh_store_writer_commit(rh_store_writer *w);

/** Throw the object away and free the writer. NULL is fine. */
RH_EXTERN void rh_store_writer_abort(rh_store_writer *w);

/** Close the store. NULL is fine. */
RH_EXTERN void rh_store_close(rh_store *st);

RH_END_DECL

#endif
