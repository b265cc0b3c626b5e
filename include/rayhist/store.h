/*
 * rayhist/store.h - immutable objects in a local folder or an object store.
 *
 * How to use a store:
 *   1. rh_store_open(&st, url, NULL)     url: "file:///path", "/path", "path"
 *                                         (a plain path means file://), or
 *                                         "s3://bucket[/prefix]", or
 *                                         "az://container[/prefix]"
 *   2. write:  rh_store_put(st, key, data, len)         small objects, or
 *              rh_store_writer_open / _write / _commit   streamed ones
 *      read:   rh_store_get(&buf, st, key, off, len), rh_store_head(),
 *              rh_store_list(st, prefix, delim, cb, payload)
 *      remove: rh_store_delete(st, key), rh_store_delete_many()
 *   3. rh_store_close(st)
 *
 * Keys are '/'-separated relative names ("ns/cluster/session/..."): no
 * leading or trailing '/', no empty, "." or ".." component, no NUL or control
 * bytes (0x01-0x1f, 0x7f), at most 1024 bytes (S3's limit); anything else
 * returns RH_EINVAL, so a key can never name something outside the store.
 * Other bytes, '\' and spaces included, are fine. Objects are written whole
 * and atomically: a reader sees either the old object, the new one, or none -
 * never a partial one.
 *
 * file:// stores keep one file per object under the folder, so two limits
 * apply there that S3 does not have: a key cannot be both an object and a
 * prefix of another ("a" and "a/b"; the second write returns RH_EEXISTS),
 * and components starting with ".tmp-" are reserved for the temporary files
 * of writes in progress (RH_EINVAL). Temporary files are never listed.
 *
 * s3:// stores keep one object per key under "prefix/" in the bucket, on
 * AWS S3 or any S3-compatible service; every request is signed (SigV4) and
 * transient failures (5xx, 429/SlowDown, timeouts, resets) are retried with
 * exponential backoff and jitter before RH_EIO is returned. Settings
 * (endpoint, region, credentials, retries, multipart sizes) come from
 * rh_store_options, a config file, the environment (AWS_* as the AWS tools
 * read them, RAYHIST_S3_*) and the AWS shared files; see rh_store(3).
 *
 * az:// stores ("az://container[/prefix]", or the container's URL
 * "https://ACCOUNT.blob.core.windows.net/container[/prefix]") keep one block
 * blob per key under "prefix/" in an Azure Blob Storage container; requests
 * are signed with the account key (Shared Key) or carry a SAS token, and
 * are retried as s3:// ones are. Settings come from the config file and
 * the environment (AZURE_STORAGE_* as Azure's tools read them, a connection
 * string, RAYHIST_AZ_*); see rayhist-store(5). Azure reads '\' in a blob
 * name as '/', so an az:// store refuses keys holding '\' (RH_EINVAL).
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

/** s3:// addressing style (rh_store_options.s3_addressing). */
enum rh_store_s3_addressing {
	RH_STORE_S3_AUTO = 0,    /**< path-style for an IP or localhost
				      endpoint, virtual-hosted otherwise */
	RH_STORE_S3_PATH = 1,    /**< https://host/bucket/key */
	RH_STORE_S3_VIRTUAL = 2, /**< https://bucket.host/key */
};

/**
 * Options for rh_store_open(); NULL means all defaults. Initialise with
 * RH_STORE_OPTIONS_INIT. The s3_* fields override, when set (non-NULL,
 * non-zero), the same settings from the store config file, the environment
 * and the AWS shared files; rh_store(3) lists them all. Strings are copied
 * by rh_store_open().
 */
typedef struct rh_store_options {
	unsigned version; /**< RH_STORE_OPTIONS_VERSION */
	int fsync; /**< file://: fsync objects before rename (default 1) */
	/** s3://: a settings file of "key = value" lines; NULL means
	 * $RAYHIST_STORE_CONFIG when set. Ignored by file:// stores. */
	const char *config_file;
	const char *s3_endpoint; /**< "https://host[:port]" or "http://..." */
	const char *s3_region;   /**< signing region, e.g. "eu-west-1" */
	const char *s3_access_key_id;     /**< with s3_secret_access_key */
	const char *s3_secret_access_key; /**< with s3_access_key_id */
	const char *s3_session_token;     /**< temporary credentials */
	const char *s3_ca_bundle;         /**< PEM file of trusted CAs (default:
				        the system store) */
	int s3_addressing;                /**< enum rh_store_s3_addressing */
	unsigned s3_max_attempts; /**< tries per request, first included */
	unsigned s3_timeout_ms;   /**< an attempt with no progress for this
				        long fails (and is retried) */
	uint64_t s3_multipart_threshold; /**< bytes; larger objects go up in
					      parts */
	uint64_t s3_part_size;           /**< bytes per part */
	unsigned s3_parallel; /**< parts uploaded at once per object */
	/** file://: 1 opens only a folder that exists (RH_ENOTFOUND
	 * otherwise) and creates nothing, as readers want: a mistyped
	 * --store must not leave an empty store behind. 0 (the default)
	 * creates the folder and its parents. Added in version 2. */
	int must_exist;
	/** A local folder for the objects this handle writes when the store
	 * may not take them (derived objects such as indexes, for a server
	 * over a store it may only read). NULL: none, and a refused write
	 * fails with RH_EACCES. The folder (created if missing) gets one
	 * subfolder per store, named by a hash of the store's URL. Once a
	 * write is refused (RH_EACCES: a read-only folder or mount, S3
	 * AccessDenied, Azure AuthorizationPermissionMismatch), it and every
	 * later write go to the cache, never to the store (a delete of an
	 * object the cache does not hold then returns RH_EACCES); reads of an
	 * object the cache holds are answered from it. Added in version 3. */
	const char *cache_dir;
	/** Bytes the cache may hold (0: no bound); beyond it the least
	 * recently used objects are removed, never the one just written. */
	uint64_t cache_max_bytes;
	/** 1: never write or delete in the store; writes go to cache_dir
	 * (which must be set) from the start, deletes of objects not in the
	 * cache return RH_EACCES. */
	int read_only;
} rh_store_options;

/* Version 1 lacked must_exist, version 2 the cache fields; rh_store_open()
 * still takes both (as 0 and NULL). */
#define RH_STORE_OPTIONS_VERSION 3
#define RH_STORE_OPTIONS_INIT                                                 \
	{                                                                     \
		RH_STORE_OPTIONS_VERSION, 1, NULL, NULL, NULL, NULL, NULL,    \
			NULL, NULL, RH_STORE_S3_AUTO, 0, 0, 0, 0, 0, 0, NULL, \
			0, 0                                                  \
	}

/** The default store when none is given: "./rayhist-store". */
#define RH_STORE_DEFAULT_URL "./rayhist-store"

/** One entry seen by rh_store_list(). Borrowed for the callback's duration. */
typedef struct rh_store_entry {
	const char *key; /**< full key; for a common prefix it ends in delim */
	uint64_t size;   /**< object size in bytes; 0 for a prefix */
	int64_t mtime_ms; /**< last modification, ms since the epoch; 0 if unknown */
	int is_prefix; /**< 1 for a "directory" rolled up by the delimiter */
} rh_store_entry;

/** Called for each listed entry, in key order. Return 0 to go on, or a
 * non-zero value to stop the listing; rh_store_list() then returns it. */
typedef int (*rh_store_list_cb)(const rh_store_entry *entry, void *payload);

/**
 * Pick the store URL the way every program does: `flag` when not NULL, else
 * $RAYHIST_STORE when set and non-empty, else RH_STORE_DEFAULT_URL.
 * @return a borrowed string (flag, the environment, or a static default);
 *         never NULL. Reads the environment: do not call it while another
 *         thread calls setenv().
 */
RH_EXTERN const char *rh_store_default_url(const char *flag);

/**
 * Open a store.
 * @param[out] out  the store; release with rh_store_close(). NULL on failure.
 * @param url   "file:///abs/path" (percent-escapes decoded; "localhost" is
 *              the only host allowed; no query or fragment), a plain
 *              absolute or relative path, "s3://bucket[/prefix]" (the
 *              prefix, taken literally, follows the key rules; objects are
 *              stored as "prefix/key"), or "az://container[/prefix]" or
 *              "https://ACCOUNT.blob.core.windows.net/container[/prefix]"
 * @param opts  NULL for defaults; opts->version must be
 *              RH_STORE_OPTIONS_VERSION (or 1 or 2, the versions
 *              before must_exist and the cache fields)
 * @return 0; RH_EINVAL for a malformed or unsupported URL or a bad
 *         setting (an unreadable or malformed config file, no credentials,
 *         a bad endpoint: the message says which and where it came from);
 *         RH_EIO when a file:// folder cannot be created or is not a
 *         writable folder, or when s3:// web-identity credentials cannot be
 *         obtained from STS; RH_ENOTFOUND when opts->must_exist is set
 *         and the file:// folder does not exist; RH_EINVAL when
 *         opts->read_only is set without opts->cache_dir. With
 *         opts->must_exist a file:// folder that may not be written opens
 *         (writes then fail with RH_EACCES, or go to opts->cache_dir);
 *         without it, it is RH_EIO. An s3:// open sends no
 *         request to the bucket: a wrong bucket or secret shows on the
 *         first operation. A file:// folder that does not exist yet is
 *         created, with its parents, unless opts->must_exist is set. A relative path is resolved against the working folder
 *         once, here: a later chdir() does not move the store.
 */
RH_EXTERN int rh_store_open(rh_store **out, const char *url,
                            const rh_store_options *opts);

/** The URL the store was opened with, normalised: for a folder
 * "file://" + its absolute path, without "." components, repeated or
 * trailing '/', bytes other than letters, digits, '/' and -._~!$&'()*+,;=:@
 * written as %XX; for a bucket "s3://bucket" or "s3://bucket/prefix"
 * without a trailing '/'. rh_store_open() of it opens the same store.
 * Borrowed from st; "" when st is NULL. */
RH_EXTERN const char *rh_store_url(const rh_store *st);

/**
 * Write a whole object atomically, replacing any object of that key.
 * `data` may be NULL when `len` is 0. With opts->fsync (the default), a
 * file:// object and its folder are synced before this returns.
 * @return 0, RH_EINVAL for a bad key, RH_EEXISTS when a file:// store holds
 *         keys below `key` or an object at one of its folders, RH_EIO once
 *         retries are spent.
 */
RH_EXTERN int rh_store_put(rh_store *st, const char *key, const void *data,
                           size_t len);

/**
 * Read bytes [off, off+len) of object `key`; shorter at the end of the
 * object, empty past it. len may be SIZE_MAX for "to the end".
 * @param[out] out  receives the bytes (appended to whatever it holds;
 *                  nothing is appended on failure); release with
 *                  rh_buf_dispose()
 * @return 0, RH_ENOTFOUND if `key` is absent (a prefix is no object),
 *         RH_EINVAL for a bad key, RH_ENOMEM, RH_EIO once retries are spent,
 *         RH_ECORRUPT when a file:// store has a symbolic link or a special
 *         file at `key` (never followed or read).
 */
RH_EXTERN int rh_store_get(rh_buf *out, rh_store *st, const char *key,
                           uint64_t off, size_t len);

/**
 * The size of object `key`.
 * @param[out] size_out   its size in bytes
 * @param[out] mtime_ms_out  its modification time in ms since the epoch, or 0
 *                        if unknown; may be NULL
 * @return 0, RH_ENOTFOUND, RH_EINVAL, RH_EIO, RH_ECORRUPT as rh_store_get().
 */
RH_EXTERN int rh_store_head(uint64_t *size_out, int64_t *mtime_ms_out,
                            rh_store *st, const char *key);

/**
 * List the objects whose keys start with `prefix` ("" or NULL for all), in
 * byte order of their keys. The prefix may end mid-name ("ns/sess" finds
 * "ns/session_1/..."); its part up to the last '/' follows the key rules
 * (RH_EINVAL otherwise). With `delim` (usually "/"; NULL or "" for none),
 * keys that contain `delim` after the prefix are rolled up, as S3's
 * ListObjectsV2 does, into one entry per common prefix (the key up to and
 * including the first `delim` after `prefix`), reported once, where its first
 * key would be. An empty folder is no prefix.
 * Entries are streamed: a file:// store holds one folder level at a time in
 * memory, not the whole listing. Objects written or deleted during the
 * listing may or may not be seen.
 * @return 0 when all entries were seen; the callback's non-zero value when it
 *         stopped early; RH_EINVAL, RH_ENOMEM, RH_EIO.
 */
RH_EXTERN int rh_store_list(rh_store *st, const char *prefix, const char *delim,
                            rh_store_list_cb cb, void *payload);

/** Delete object `key`. Deleting an absent object is not an error. A
 * file:// store also removes the folders this leaves empty.
 * @return 0, RH_EINVAL, RH_EIO. */
RH_EXTERN int rh_store_delete(rh_store *st, const char *key);

/**
 * Delete `n` objects, as rh_store_delete() of each: absent ones are no
 * error. An s3:// store sends them in batches of up to 1000 keys per
 * request (DeleteObjects), an az:// store up to 256 per Blob Batch (with
 * an account key; one request per key with a SAS token), so retention can
 * clear a session at once.
 * Every key is checked before anything is deleted. Not atomic: on failure
 * some of the objects may be gone.
 * @param keys  `n` keys; may be NULL when n is 0
 * @return 0, RH_EINVAL for a bad key (nothing deleted), RH_EIO (the
 *         message names the first key that could not be deleted).
 */
RH_EXTERN int rh_store_delete_many(rh_store *st, const char *const *keys,
                                   size_t n);

/**
 * Start streaming a new object. Nothing is visible under `key` until
 * rh_store_writer_commit() succeeds; an older object of that key stays
 * readable until then.
 * @param[out] out  the writer; finish it with _commit() or _abort().
 *                  NULL on failure.
 * @return 0, RH_EINVAL, RH_EEXISTS (as rh_store_put()), RH_EIO.
 */
RH_EXTERN int rh_store_writer_open(rh_store_writer **out, rh_store *st,
                                   const char *key);

/** Append bytes to a writer. After a failed write the writer can only be
 * aborted: later writes and the commit return RH_EIO.
 * @return 0, RH_EINVAL, RH_EIO, RH_ENOMEM. */
RH_EXTERN int rh_store_writer_write(rh_store_writer *w, const void *data,
                                    size_t len);

/** Bytes written to `w` so far; 0 for NULL. */
RH_EXTERN uint64_t rh_store_writer_size(const rh_store_writer *w);

/**
 * Make the object visible atomically and free the writer (also on failure,
 * when nothing becomes visible).
 * @return 0, RH_EINVAL for a NULL writer, RH_EEXISTS (as rh_store_put()),
 *         RH_EIO.
 */
RH_EXTERN int rh_store_writer_commit(rh_store_writer *w);

/** Throw the object away and free the writer. NULL is fine. */
RH_EXTERN void rh_store_writer_abort(rh_store_writer *w);

/** Backends counted by rh_store_stats_get(), in array order. */
#define RH_STORE_STATS_BACKENDS 3 /* file, s3, az */
/** Verbs: get, put, head, list, delete (also one per delete_many call),
 * writer (a commit, or an open that failed; an abort is not counted). */
#define RH_STORE_STATS_VERBS 6
/** Outcomes: ok, not_found (RH_ENOTFOUND), error (any other failure). */
#define RH_STORE_STATS_OUTCOMES 3
#define RH_STORE_STATS_VERSION 1

/**
 * Store calls made by this process since it started, over every store it
 * opened, for metrics. requests[b][v][o] counts rh_store_* calls by
 * backend, verb and outcome (calls refused for a bad argument before
 * reaching a backend are not counted); retries[b][v] counts the extra
 * HTTP attempts an s3:// or az:// call needed (throttling, server errors,
 * expired credentials, stalls). Names come from rh_store_stats_name().
 */
typedef struct rh_store_stats {
	unsigned version; /* RH_STORE_STATS_VERSION */
	uint64_t requests[RH_STORE_STATS_BACKENDS][RH_STORE_STATS_VERBS]
			 [RH_STORE_STATS_OUTCOMES];
	uint64_t retries[RH_STORE_STATS_BACKENDS][RH_STORE_STATS_VERBS];
} rh_store_stats;

#define RH_STORE_STATS_INIT                            \
	{                                              \
		RH_STORE_STATS_VERSION, { { { 0 } } }, \
		{                                      \
			{                              \
				0                      \
			}                              \
		}                                      \
	}

/** Fill `out` (its version set by the caller); safe from any thread.
 * @return 0, RH_EINVAL (NULL or another version). */
RH_EXTERN int rh_store_stats_get(rh_store_stats *out);

/** The name of index `i` of dimension `dim` (0 backend, 1 verb,
 * 2 outcome): "file", "get", "not_found"...; NULL when out of range. */
RH_EXTERN const char *rh_store_stats_name(int dim, int i);

/** Close the store. NULL is fine. */
RH_EXTERN void rh_store_close(rh_store *st);

RH_END_DECL

#endif
