/*
 * rayhist/capture.h - storing a Ray session directory.
 *
 * HowTo (one-shot, for a session that has ended or a snapshot of one):
 *   rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
 *   o.cluster = "my-cluster";
 *   rh_capture_session(&stats, st, "/tmp/ray/session_latest", &o);
 *
 * A one-shot capture is one pass of the follower (follow.h), with the node
 * manifest in the store as its state: every rule below is the follower's.
 * Every regular file under the session directory is stored byte for byte
 * (empty, binary, non-UTF-8, huge lines, no final newline: all kept as
 * they are) as append parts (layout.h). A file that grew since the last
 * capture ships only its new bytes as a new part. A file renamed since
 * (rotation: raylet.out -> raylet.out.1, or moved into logs/old/) keeps its
 * stored bytes under its new path. A file that shrank or whose first bytes
 * changed (truncated in place, e.g. by logrotate's copytruncate, or
 * replaced) is stored anew, and the bytes stored before stay readable as an
 * earlier generation at "PATH~N" (N = 1, 2, ...; the first free).
 * Sockets, FIFOs, devices, lock files (*.lock), links that point outside the
 * session and links to directories are skipped and reported through the
 * report callback and in the node manifest. A link to a file inside the
 * session is stored with the file's content.
 *
 * Partial failure is never silent: a file or folder that cannot be read
 * (permissions, an I/O error) or whose name cannot be stored is skipped,
 * reported (RH_CAPTURE_FILE_SKIPPED, detail "not stored: ..."), listed in
 * the node manifest, and counted in stats.files_not_stored; everything else
 * is stored and both manifests are written, then the call returns RH_EIO.
 *
 * The session name is the directory's name (after resolving a
 * `session_latest` link). The node id is opts.node_id, else the one the
 * raylet states as its own (rh_capture_node_id()).
 *
 * Thread-safety: one capture at a time per node; the store may be shared.
 */
#ifndef RAYHIST_CAPTURE_H
#define RAYHIST_CAPTURE_H

#include "common.h"
#include "store.h"
#include "layout.h"

RH_BEGIN_DECL

/** Kinds of things capture reports as it goes. */
typedef enum rh_capture_event {
	RH_CAPTURE_FILE_STORED,   /**< a file got new bytes (`detail`: "N
				       bytes", its size stored now) */
	RH_CAPTURE_FILE_SKIPPED,  /**< a path was skipped (`detail`: why;
				       "not stored: ..." when data was left
				       behind) */
	RH_CAPTURE_FILE_REPLACED, /**< a file was truncated or replaced and is
				       stored anew (`detail`: "earlier bytes
				       kept as PATH~N") */
} rh_capture_event;

/** Called for every file stored or skipped. `path` is relative to the
 * session directory; `detail` a short text. Both borrowed. Files are
 * stored on several threads (rh_capture_options.workers): the callback
 * may run on any of them, never two calls at once, and all calls are
 * over when rh_capture_session() returns. */
typedef void (*rh_capture_report_cb)(rh_capture_event ev, const char *path,
                                     const char *detail, void *payload);

typedef struct rh_capture_options {
	unsigned version;    /**< RH_CAPTURE_OPTIONS_VERSION */
	const char *ns;      /**< namespace; NULL = "default" */
	const char *cluster; /**< cluster name; required */
	const char *node_id; /**< NULL = read from the raylet's log */
	size_t frame_size;   /**< seekable frame size; 0 = 4 MiB */
	int level;           /**< zstd level; 0 = 3 */
	unsigned workers;    /**< threads: this many files are stored
				      at once, and a file bigger than one
				      thread's share of the work compresses
				      its frames on this many threads too;
				      0 = one per online CPU. The stored
				      bytes are the same whatever the
				      number. */
	rh_capture_report_cb report;
	void *payload;
	/** The session has ended (its cluster is gone): mark it so in its
	 * manifest. end_ms is when it ended: the latest modification time of
	 * its files (never before its start; a later end mark already there
	 * stays), not the capture time, which is kept as end_marked_ms.
	 * Readers then take what is stored as final: rh_session_info.state is
	 * RH_SESSION_ENDED, and rayhist-serve stops looking for new events. */
	int ended;
} rh_capture_options;

#define RH_CAPTURE_OPTIONS_VERSION 1
#define RH_CAPTURE_OPTIONS_INIT                                              \
	{                                                                    \
		RH_CAPTURE_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, 0, NULL, \
			NULL, 0                                              \
	}

/** What one capture did. Initialise with RH_CAPTURE_STATS_INIT: the
 * version says which fields the caller knows of. */
typedef struct rh_capture_stats {
	unsigned version;       /**< RH_CAPTURE_STATS_VERSION */
	char session[256];      /**< the session name */
	char node_id[130];      /**< the node id used */
	uint64_t files_seen;    /**< regular files found */
	uint64_t files_stored;  /**< files that got new bytes */
	uint64_t files_skipped; /**< paths skipped (sockets, locks, links,
				      and those not stored) */
	uint64_t parts_written; /**< part objects written */
	uint64_t bytes_new;     /**< raw bytes shipped by this capture */
	uint64_t bytes_stored;  /**< stored bytes written by this capture */
	uint64_t bytes_total;   /**< raw bytes of all captured files */
	/* Since issue 11: */
	uint64_t files_not_stored; /**< of files_skipped, paths whose data
				      should have been stored and was not
				      (unreadable, a name that cannot be
				      stored); non-zero means RH_EIO */
} rh_capture_stats;

#define RH_CAPTURE_STATS_VERSION 1
#define RH_CAPTURE_STATS_INIT                                            \
	{                                                                \
		RH_CAPTURE_STATS_VERSION, "", "", 0, 0, 0, 0, 0, 0, 0, 0 \
	}

/**
 * Capture the session directory `dir` into the store.
 * @param[out] stats  what was done (initialised with RH_CAPTURE_STATS_INIT);
 *                    may be NULL
 * @return 0 when every file's data is stored; RH_EINVAL (no cluster, bad
 *         names, a stats version this library does not know, `dir` not a
 *         directory, no node id found and none given -
 *         the message says to pass one); RH_EIO when the store failed, or
 *         when some paths were not stored (stats->files_not_stored > 0:
 *         all else is stored and the manifests are written; the message
 *         names the first); RH_EBUSY (files kept being swapped while they
 *         were looked at). A damaged node manifest in the store is
 *         replaced: its files are stored again.
 */
RH_EXTERN int rh_capture_session(rh_capture_stats *stats, rh_store *st,
                                 const char *dir,
                                 const rh_capture_options *opts);

/**
 * Mark session `s` ended in its manifest, as a capture with `ended` does,
 * without capturing a node: for a session whose events were stored as
 * batches (rh_events_ingest()) and that no node's capture will mark.
 * `end_ms` is when the session last wrote (<= 0: unknown, now is taken);
 * the end is never before the session's start, and a later end already
 * marked stays. Other fields of the manifest are kept.
 * @return 0, RH_EINVAL (bad names), RH_EIO, RH_ENOMEM.
 */
RH_EXTERN int rh_capture_mark_ended(rh_store *st, const rh_session_ref *s,
                                    int64_t end_ms);

/**
 * The id of the node that wrote session directory `dir`, from lines in which
 * the raylet names itself, each read from the head of its file:
 *  - "Setting node ID node_id=HEX" (main.cc) in logs/raylet.out and every
 *    rotation of it (raylet.out.1 ... .N, also under logs/old/);
 *  - debug_state.txt's "Node ID: HEX" line after "NodeManager:";
 *  - the raylet's other start-up lines: "Initializing NodeManager
 *    node_id=HEX" (node_manager.cc), "Raylet of id, HEX started" (raylet.cc).
 * Text and JSON (RAY_LOG_FORMAT=json, "message" and "node_id" fields) log
 * lines are read. Lines about other nodes ("Received notification for
 * node", heartbeats, deaths) carry a node_id= too and are never a source.
 * @param[out] out  at least 130 bytes; receives the lower-case 56-hex id
 * @param dir    the session directory; unused when `given` is set
 * @param given  an id from the user (--node-id), or NULL: when set it is
 *               only checked (56 hex digits) and copied, lower-cased
 * @return 0; RH_ENOTFOUND (no source names the node: the message lists the
 *         files searched); RH_EINVAL (`given` is not a full id, or the
 *         sources name different ids: the message names each source, line
 *         and id); RH_ENOMEM.
 */
RH_EXTERN int rh_capture_node_id(char *out, const char *dir, const char *given);

/**
 * The node id the raylet logged in the one file `raylet_log`, by the rules
 * of rh_capture_node_id().
 * @param[out] out  at least 130 bytes; receives the lower-case hex id
 * @return 0, RH_ENOTFOUND (no such line, or no such file), RH_EINVAL (the
 *         file names two ids as its own).
 */
RH_EXTERN int rh_capture_find_node_id(char *out, const char *raylet_log);

RH_END_DECL

#endif
