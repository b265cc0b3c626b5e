/*
 * store_backend.h - the interface between store.c and one kind of store
 * (store_file.c, store_s3.c, store_az.c). Never installed.
 *
 * store.c owns everything a caller can get wrong: URL parsing, argument and
 * key checks, writer state. A backend sees only validated keys and prefixes
 * and does the I/O. Every operation returns 0 or a negative RH_E* code with
 * the thread's message set (rh__error), and must be safe to call from any
 * number of threads at once on one backend; a backend writer is used by one
 * thread at a time.
 *
 * A backend embeds struct rh_store_backend as its first member (and a writer
 * struct rh_store_backend_writer), so store.c can hold either through a
 * pointer to the common part (as libgit2's git_odb_backend).
 */
#ifndef RH_STORE_BACKEND_H
#define RH_STORE_BACKEND_H

#include "internal.h"

/* S3's limit on a key, applied to every backend so that a store can move
 * from a folder to a bucket without a key becoming unstorable. */
#define RH_STORE__KEY_MAX 1024

typedef struct rh_store_backend rh_store_backend;
typedef struct rh_store_backend_writer rh_store_backend_writer;
typedef struct rh_store_backend_ops rh_store_backend_ops;

struct rh_store_backend_ops {
	/** URL scheme served, without "://": "file", "s3", "az". */
	const char *scheme;

	/** Write a whole object atomically, replacing any older one. */
	int (*put)(rh_store_backend *be, const char *key, const void *data,
	           size_t len);

	/** Append bytes [off, off+len) of `key` to `out`; len SIZE_MAX means
	 * to the end; nothing past the end. RH_ENOTFOUND when absent. */
	int (*get)(rh_buf *out, rh_store_backend *be, const char *key,
	           uint64_t off, size_t len);

	/** Size and mtime (ms, 0 if unknown) of `key`; mtime_ms_out may be
	 * NULL. RH_ENOTFOUND when absent. */
	int (*head)(uint64_t *size_out, int64_t *mtime_ms_out,
	            rh_store_backend *be, const char *key);

	/** List keys starting with `prefix`, in byte order, rolling keys up
	 * at the first `delim` after the prefix (delim NULL: no roll-up), as
	 * S3 ListObjectsV2 does. Stops at and returns the first non-zero value
	 * of cb. */
	int (*list)(rh_store_backend *be, const char *prefix, const char *delim,
	            rh_store_list_cb cb, void *payload);

	/** Delete `key`; an absent key is not an error. */
	int (*del)(rh_store_backend *be, const char *key);

	/** Start a streamed object; nothing is visible until commit. */
	int (*writer_open)(rh_store_backend_writer **out, rh_store_backend *be,
	                   const char *key);

	/** Append bytes to the object being written. */
	int (*writer_write)(rh_store_backend_writer *w, const void *data,
	                    size_t len);

	/** Publish the object atomically; frees `w`, also on failure. */
	int (*writer_commit)(rh_store_backend_writer *w);

	/** Throw the object away and free `w`. Never called with NULL. */
	void (*writer_abort)(rh_store_backend_writer *w);

	/** Release the backend. Never called with NULL. */
	void (*close)(rh_store_backend *be);

	/** Delete `n` (> 0) validated keys; absent keys are no error. NULL:
	 * store.c calls del() for each. */
	int (*del_many)(rh_store_backend *be, const char *const *keys,
	                size_t n);

	/** As writer_open, for an object that need not be durable when its
	 * commit returns, only after the next sync() (store_defer.h). NULL:
	 * every commit is durable, and store.c uses writer_open. */
	int (*writer_open_nosync)(rh_store_backend_writer **out,
	                          rh_store_backend *be, const char *key);

	/** Make durable every object committed through writer_open_nosync
	 * writers before this call. NULL when writer_open_nosync is. */
	int (*sync)(rh_store_backend *be);
};

struct rh_store_backend {
	const rh_store_backend_ops *ops;
};

struct rh_store_backend_writer {
	rh_store_backend *be;
};

/**
 * Open (creating it if missing) the file:// store in folder `path`, an
 * absolute path. RH_EIO when it cannot be created or is not a writable
 * folder.
 */
int rh_store__file_open(rh_store_backend **out, const char *path,
                        const rh_store_options *opts);

/**
 * Open the s3:// store of URL `url` ("s3://bucket[/prefix]"), resolving its
 * settings from opts, the config file, the environment and the AWS shared
 * files. *url_out receives the normalised URL. RH_EINVAL for a bad URL or
 * setting, RH_EIO when web-identity credentials cannot be had.
 */
int rh_store__s3_open(rh_store_backend **out, char **url_out, const char *url,
                      const rh_store_options *opts);

/**
 * Open the az:// store of URL `url` ("az://container[/prefix]" or
 * "https://ACCOUNT.blob.core.windows.net/container[/prefix]"), resolving
 * its settings from the store config file and the environment (Azure's
 * names). *url_out receives the normalised URL. RH_EINVAL for a bad URL or
 * setting.
 */
int rh_store__az_open(rh_store_backend **out, char **url_out, const char *url,
                      const rh_store_options *opts);

/**
 * Put the cache of store_cache.c in front of backend *be (of the store
 * whose normalised URL is `url`), as opts->cache_dir, cache_max_bytes and
 * read_only ask; on success *be is the wrapper, which owns the old one.
 * On failure *be is unchanged. RH_EIO when the cache folder cannot be
 * created or read.
 */
int rh_store__cache_wrap(rh_store_backend **be, const char *url,
                         const rh_store_options *opts);

/** 0 when `key` follows the key rules of store.h, else RH_EINVAL with the
 * thread's message set (a listing skips foreign keys it could not read). */
int rh_store__check_key(const char *key);

/* store_stats.c. Verb indexes, as rh_store_stats_name() names them. */
enum {
	RH_STORE__GET,
	RH_STORE__PUT,
	RH_STORE__HEAD,
	RH_STORE__LIST,
	RH_STORE__DELETE,
	RH_STORE__WRITER
};
/** Index of backend `scheme` in rh_store_stats, -1 if not counted. */
int rh_store__stats_backend(const char *scheme);
/** Note that this thread starts a call of `verb` to `backend`. */
void rh_store__stats_begin(int backend, int verb);
/** Count the call's outcome, clear the note; returns `error`. */
int rh_store__stats_end(int backend, int verb, int error);
/** Count one more HTTP attempt for the call this thread is in. */
void rh_store__stats_retry(void);
/** Count one durability barrier (fsync, fdatasync or syncfs call). */
void rh_store__stats_barrier(void);

/* A get that fails leaves `out` as it found it, `base` bytes long, and
 * passes `error` on. */
static inline int
rh_store__get_rollback(rh_buf *out, size_t base, int error)
{
	if (error < 0) {
		out->size = base;
		if (out->ptr)
			out->ptr[base] = '\0';
	}
	return error;
}

#endif
