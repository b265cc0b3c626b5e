/*
 * rayhist/catalog.h - what a store holds: namespaces, clusters, sessions,
 * nodes, captured files; and reading captured files back.
 *
 * HowTo:
 *   rh_catalog_list_namespaces(st, cb, payload)         one level at a time,
 *   rh_catalog_list_clusters(st, ns, cb, payload)       names in byte order
 *   rh_catalog_list_sessions(st, ns, cluster, cb, payload)
 *   rh_catalog_list_nodes(st, &sref, cb, payload)
 *   rh_catalog_resolve_node(&id, st, &sref, "0f69")      unique id prefix
 *   rh_node_manifest_load(&m, st, &sref, node_id)        a node's files
 *   rh_logfile_open(&f, st, &sref, node_id, "logs/raylet.out")
 *   rh_logfile_read / rh_logfile_tail, rh_logfile_close(f)
 *
 * A captured file is stored as append parts (see layout.h); a reader sees
 * the concatenation of the parts listed in the node manifest, which is
 * byte for byte the file as it was on the node when last captured.
 *
 * Thread-safety: list functions may run on any thread at once (the store
 * is shared); a manifest or logfile handle belongs to one thread at a time.
 */
#ifndef RAYHIST_CATALOG_H
#define RAYHIST_CATALOG_H

#include "common.h"
#include "buf.h"
#include "store.h"
#include "layout.h"
#include "seekable.h"

RH_BEGIN_DECL

typedef struct rh_node_manifest rh_node_manifest;
typedef struct rh_logfile rh_logfile;

/** Called with each name of a level, in byte order; return non-zero to
 * stop (the list function returns that value). */
typedef int (*rh_catalog_name_cb)(const char *name, void *payload);

RH_EXTERN int rh_catalog_list_namespaces(rh_store *st, rh_catalog_name_cb cb,
                                         void *payload);
RH_EXTERN int rh_catalog_list_clusters(rh_store *st, const char *ns,
                                       rh_catalog_name_cb cb, void *payload);
RH_EXTERN int rh_catalog_list_sessions(rh_store *st, const char *ns,
                                       const char *cluster,
                                       rh_catalog_name_cb cb, void *payload);
/** Node ids of a session (those with a node manifest or any file). */
RH_EXTERN int rh_catalog_list_nodes(rh_store *st, const rh_session_ref *s,
                                    rh_catalog_name_cb cb, void *payload);

/**
 * Find the node whose id is `prefix`, else the one node whose id starts
 * with it: an exact id always wins over longer ids it is a prefix of.
 * @param[out] out  the full node id (replacing its contents)
 * @return 0; RH_ENOTFOUND if none matches; RH_EINVAL if several match (the
 *         message lists them) or the prefix is not hex.
 */
RH_EXTERN int rh_catalog_resolve_node(rh_buf *out, rh_store *st,
                                      const rh_session_ref *s,
                                      const char *prefix);

/** Whether a session is still being collected (rh_session_info.state). */
typedef enum rh_session_state {
	RH_SESSION_UNKNOWN = 0, /**< no heartbeat and no end mark: captured
				       one-shot, or by workers only */
	RH_SESSION_LIVE,        /**< the head's collector keeps a heartbeat */
	RH_SESSION_ENDED,       /**< marked ended (end_ms) */
	RH_SESSION_ABANDONED,   /**< the heartbeat stopped without an end
				       mark: ended abnormally, at about
				       heartbeat_ms */
} rh_session_state;

/** A session's manifest, as rh_session_info_load() reads it. */
typedef struct rh_session_info {
	char ns[256], cluster[256], session[256];
	int64_t start_ms;     /**< from the session name; 0 if unknown */
	int64_t end_ms;       /**< when it ended (its last file write),
				      once marked ended; 0 if not */
	int64_t updated_ms;   /**< last capture or heartbeat */
	char ray_version[64]; /**< "" when unknown */
	/* Since 0.1, with followers (follow.h): */
	int64_t heartbeat_ms; /**< the head collector's last heartbeat; 0
				      if none ever */
	int64_t heartbeat_interval_ms; /**< how often it beats; 0 if unknown */
	rh_session_state state; /**< as rh_session_state_at() at load time */
	/* Since issue 11: */
	int64_t end_marked_ms; /**< when the end mark was written (by a
				      capture, maybe much later); 0 if unknown */
} rh_session_info;

/** Read a session's manifest. `state` is computed for the current time.
 * @return 0, RH_ENOTFOUND, RH_ECORRUPT, RH_EIO. */
RH_EXTERN int rh_session_info_load(rh_session_info *out, rh_store *st,
                                   const rh_session_ref *s);

/**
 * A session's state at time `now_ms`: ENDED with an end mark; else LIVE
 * while the last heartbeat is at most `stale_ms` old; ABANDONED once it is
 * older; UNKNOWN without any heartbeat.
 * @param stale_ms  0 for the default, RH_SESSION_STALE_FACTOR heartbeat
 *                  intervals plus RH_SESSION_STALE_SLACK_MS
 */
RH_EXTERN rh_session_state rh_session_state_at(const rh_session_info *info,
                                               int64_t now_ms,
                                               int64_t stale_ms);

/** "unknown", "live", "ended", "abandoned". Static. */
RH_EXTERN const char *rh_session_state_name(rh_session_state state);

#define RH_SESSION_STALE_FACTOR 3
#define RH_SESSION_STALE_SLACK_MS 10000

/** One append part of a captured file. */
typedef struct rh_file_part {
	uint64_t offset;     /**< first byte of the file it holds */
	uint64_t length;     /**< raw bytes it holds */
	uint64_t stored;     /**< bytes it takes in the store */
	int64_t captured_ms; /**< when it was written to the store */
} rh_file_part;

/** A captured file as its node manifest describes it. Borrowed. */
typedef struct rh_file_info {
	const char *path; /**< relative to the session directory */
	uint64_t size;    /**< raw size captured so far */
	uint64_t stored;  /**< stored size of all parts */
	int64_t mtime_ms; /**< file's mtime when last captured */
	size_t nparts;
	const rh_file_part *parts; /**< by offset, contiguous from 0 */
} rh_file_info;

/**
 * Load a node's manifest.
 * @param[out] out  release with rh_node_manifest_free()
 * @return 0, RH_ENOTFOUND (no such node), RH_ECORRUPT, RH_EIO.
 */
RH_EXTERN int rh_node_manifest_load(rh_node_manifest **out, rh_store *st,
                                    const rh_session_ref *s,
                                    const char *node_id);
RH_EXTERN const char *rh_node_manifest_node_id(const rh_node_manifest *m);
/** The node's IP address, "" if unknown. */
RH_EXTERN const char *rh_node_manifest_ip(const rh_node_manifest *m);
/** 1 for the head node (it ran the GCS), else 0. */
RH_EXTERN int rh_node_manifest_is_head(const rh_node_manifest *m);
/** When the node was last captured, ms since the epoch. */
RH_EXTERN int64_t rh_node_manifest_captured_ms(const rh_node_manifest *m);
RH_EXTERN size_t rh_node_manifest_file_count(const rh_node_manifest *m);
/** Files are in path byte order. NULL past the end. */
RH_EXTERN const rh_file_info *rh_node_manifest_file(const rh_node_manifest *m,
                                                    size_t i);
/**
 * `path` as text, for JSON and terminals: each byte outside a valid UTF-8
 * sequence - and, with RH_DISPLAY_CONTROL, each control byte - becomes the
 * four characters "\xHH" (lower-case hex). Valid UTF-8 names without
 * control bytes come out as they are. rh_node_manifest_find() (and so
 * rh_logfile_open()) takes this form back.
 * @param[out] out  receives the text (replacing its contents)
 * @return 0 or RH_ENOMEM.
 */
RH_EXTERN int rh_catalog_display_path(rh_buf *out, const char *path,
                                      unsigned flags);
#define RH_DISPLAY_CONTROL 1u

/** The file at `path`, or NULL. A path with "\xHH" escapes that names no
 * file is read as rh_catalog_display_path() wrote it: the file whose
 * bytes those are. */
RH_EXTERN const rh_file_info *rh_node_manifest_find(const rh_node_manifest *m,
                                                    const char *path);
RH_EXTERN void rh_node_manifest_free(rh_node_manifest *m);

/**
 * Open a captured file for reading.
 * @return 0, RH_ENOTFOUND (no such node or file), RH_ECORRUPT, RH_EIO.
 */
RH_EXTERN int rh_logfile_open(rh_logfile **out, rh_store *st,
                              const rh_session_ref *s, const char *node_id,
                              const char *path);
/** As rh_logfile_open() on a manifest already loaded (borrowed: it must
 * outlive the logfile). */
RH_EXTERN int rh_logfile_open_manifest(rh_logfile **out, rh_store *st,
                                       const rh_session_ref *s,
                                       const rh_node_manifest *m,
                                       const char *path);
/** Share decompressed frames with other readers through `cache`
 * (seekable.h; borrowed, NULL detaches). */
RH_EXTERN void rh_logfile_set_cache(rh_logfile *f, rh_frame_cache *cache);

/** Raw size of the file. */
RH_EXTERN uint64_t rh_logfile_size(const rh_logfile *f);
/**
 * The file's raw size as it had been captured at `at_ms` (ms since the
 * epoch): the end of the last append part whose captured_ms is at or before
 * at_ms, 0 if none was. Use it as the `end` of rh_logfile_tail() or to cut
 * reads, to show a log as it was at an instant. Part granularity: a part
 * holds what was appended between two captures (a capture interval, or
 * one follow-mode flush), and is dated by when it reached the store, so the
 * cut can miss lines written up to one interval (plus upload time) before
 * at_ms; it never shows a line captured after it.
 */
RH_EXTERN uint64_t rh_logfile_size_at(const rh_logfile *f, int64_t at_ms);
/** Stored size of the file. */
RH_EXTERN uint64_t rh_logfile_stored_size(const rh_logfile *f);

/** Append bytes [off, off+len) of the file to `out` (shorter at its end;
 * len may be SIZE_MAX). Only the frames holding them are decompressed.
 * @return 0, RH_ECORRUPT, RH_EIO, RH_ENOMEM. */
RH_EXTERN int rh_logfile_read(rh_buf *out, rh_logfile *f, uint64_t off,
                              size_t len);

/** Append the last `nlines` lines of the file's first `end` bytes to `out`
 * (end = UINT64_MAX for the whole file), as `tail -n` prints them.
 * @param[out] start_out offset of the first byte appended; may be NULL */
RH_EXTERN int rh_logfile_tail(rh_buf *out, uint64_t *start_out, rh_logfile *f,
                              size_t nlines, uint64_t end);

/** How rh_node_manifest_find_log() recognises a log file by its name. */
typedef enum rh_log_match {
	RH_LOG_MATCH_PATH = 0, /**< `key` is the path itself (logs/...) */
	RH_LOG_MATCH_NAME,     /**< `key` is a file name: logs/KEY, else
				     logs/old/KEY (where Ray moves the files
				     of dead workers) */
	RH_LOG_MATCH_WORKER,   /**< a worker log naming worker id `key`
				     and ending in ".SUFFIX" */
	RH_LOG_MATCH_PID,      /**< a worker log ending in "-KEY.SUFFIX"
				     (KEY a process id) */
} rh_log_match;

/**
 * Find a log file of the node: in logs/, then in logs/old/ (the first in
 * path order that matches; files in deeper folders are not logs of a
 * worker). RH_LOG_MATCH_PATH checks only that the file is in the manifest.
 * @param[out] path_out  the file's path relative to the session directory
 *                       (for rh_logfile_open_manifest())
 * @param suffix  "out" or "err" (RH_LOG_MATCH_WORKER, RH_LOG_MATCH_PID)
 * @return 0, RH_ENOTFOUND (no such file; message names the node and what
 *         was looked for), RH_EINVAL (NULL key), RH_ENOMEM.
 */
RH_EXTERN int rh_node_manifest_find_log(rh_buf *path_out,
                                        const rh_node_manifest *m,
                                        rh_log_match how, const char *key,
                                        const char *suffix);

/** The logfile's last failure message. Borrowed. */
RH_EXTERN const char *rh_logfile_errmsg(const rh_logfile *f);
RH_EXTERN void rh_logfile_close(rh_logfile *f);

RH_END_DECL

#endif
