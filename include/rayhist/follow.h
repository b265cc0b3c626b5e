/*
 * rayhist/follow.h - collect a live Ray node: follow its session directory
 * as it grows, and receive the events Ray's aggregator agent pushes.
 *
 * Following - HowTo (one follower per node, e.g. a sidecar container):
 *   rh_follow_options o = RH_FOLLOW_OPTIONS_INIT;
 *   o.cluster = "my-cluster";              ray_root, state_dir, role: defaults
 *   rh_follow_open(&f, st, &o);
 *   for (;;) {                             any event loop will do:
 *           poll rh_follow_fd(f) for reading (-1: none), at most
 *           rh_follow_timeout_ms(f) ms, then
 *           rh_follow_step(f);             does whatever is due
 *   }
 *   rh_follow_finish(f, 1);                final flush; marks the session
 *                                          ended when this is the head
 *   rh_follow_close(f);
 *
 * The follower waits for RAY_ROOT/session_latest, then for the node id
 * (opts.node_id, or the raylet's "Setting node ID node_id=HEX" line in
 * logs/raylet.out), and from then on ships every regular file's new bytes
 * as append parts (layout.h) at least every flush interval, and as soon as
 * a file's unshipped bytes reach opts.flush_bytes. It tracks each file by
 * device, inode and a hash of its first 4 KiB, so:
 *   - a file renamed by log rotation (raylet.out -> raylet.out.1) or moved
 *     into logs/old/ keeps the bytes already shipped under the names of its
 *     first path and ships only the rest; the new raylet.out is a new file;
 *   - a file truncated or replaced in place (logrotate's copytruncate) is
 *     stored anew, and the bytes shipped before stay readable as an earlier
 *     generation at "PATH~N" (N = 1, 2, ...: the first free);
 *   - a deleted file stays in the store as it was last shipped, until
 *     another file takes its path (then its parts are deleted once the
 *     manifest no longer names them);
 *   - a file or folder that cannot be read (permissions, I/O errors) is
 *     skipped and reported as "not stored", listed so in the node manifest
 *     and counted in rh_follow_stats.files_not_stored; the rest goes on.
 * A one-shot capture (capture.h) is one pass of this same engine.
 * When session_latest moves to a new session, the old one gets a last full
 * flush and, on the head, an end mark (end_ms in its session.json: the
 * latest modification time of the node's files, the time of marking kept
 * as end_marked_ms); the new
 * session's node is a new node entry. The head's follower also keeps a
 * heartbeat in session.json (rh_session_info.heartbeat_ms), so readers can
 * tell a live session from one whose collector died (catalog.h).
 *
 * Never lose, never duplicate: after every flush the follower writes the
 * parts, then the node manifest, then a checkpoint in opts.state_dir
 * (temp file, fsync, rename). Part names are deterministic, so a follower
 * restarted after a crash or kill -9 at any moment resumes from its
 * checkpoint and rewrites the parts it may have written since, instead of
 * adding new ones; every byte is stored once. A missing or damaged
 * checkpoint falls back to the node manifest in the store.
 *
 * Watching uses inotify where the kernel has it (directory changes: new,
 * moved and deleted files), and stats recently active files every second
 * for growth; a full rescan every opts.rescan_ms is the safety net (it is
 * the only mechanism without inotify). Memory is bounded by the number of
 * files and parts, never by the bytes: files are streamed in chunks.
 *
 * Receiving events - HowTo (rayhist-collect wires this to an HTTP server):
 *   rh_spool_open(&sp, "/tmp/ray/rayhist-state/spool", &ropts);
 *   on each POST:   rh_spool_accept(&reply, sp, body, len);
 *                   answer reply.status (+ Retry-After: reply.retry_after)
 *   periodically:   rh_spool_ship(&n, sp, st, ns, cluster, session);
 *   rh_spool_close(sp);
 * A batch (a JSON array of RayEvents, reference/ray-formats.md §4c) is
 * checked, then written durably (fsync) to the spool before the 200 reply;
 * shipping packs the batches of a session, in arrival order, into event
 * objects bounded by size and age (rh_spool_options.pack_bytes, pack_ms),
 * each stored with rh_events_ingest() (named by its content digest), moves
 * the receiver's generation mark of the session (so readers see the new
 * events without listing every object), and deletes the batches from the
 * spool only then. A journal in the spool makes a pack cut short by a crash
 * finish as the same object: nothing lost, nothing stored twice; a batch
 * Ray posts twice (its reply was late) is stored once.
 *
 * Thread-safety: a follower belongs to one thread at a time. A spool may
 * take rh_spool_accept() on one thread while rh_spool_ship() runs on
 * another (the programs receive on the event-loop thread and ship on a
 * worker); each of the two at most on one thread at a time. The store may
 * be shared.
 */
#ifndef RAYHIST_FOLLOW_H
#define RAYHIST_FOLLOW_H

#include "common.h"
#include "buf.h"
#include "store.h"

RH_BEGIN_DECL

typedef struct rh_follow rh_follow;
typedef struct rh_spool rh_spool;

/** Which node of the cluster the follower runs beside. */
typedef enum rh_follow_role {
	RH_FOLLOW_ROLE_AUTO = 0, /**< head when logs/gcs_server.* exists */
	RH_FOLLOW_ROLE_HEAD,     /**< keeps the heartbeat and the end mark */
	RH_FOLLOW_ROLE_WORKER,
} rh_follow_role;

/** What a follower reports as it goes. */
typedef enum rh_follow_event {
	RH_FOLLOW_SESSION_FOUND, /**< `path`: the session name */
	RH_FOLLOW_NODE_FOUND,    /**< `path`: session; `detail`: node id */
	RH_FOLLOW_SESSION_ENDED, /**< `path`: session finished (a new one
				        replaced it, or finish) */
	RH_FOLLOW_FILE_SHIPPED,  /**< `detail`: "N bytes" */
	RH_FOLLOW_FILE_MOVED,    /**< `path`: new path; `detail`: old path */
	RH_FOLLOW_FILE_REPLACED, /**< truncated or replaced: stored anew */
	RH_FOLLOW_FILE_GONE,     /**< deleted from the node */
	RH_FOLLOW_FILE_SKIPPED,  /**< `detail`: why (socket, lock, link) */
	RH_FOLLOW_WARNING,       /**< a failure that will be retried, or a
				        hint; `detail`: the message */
} rh_follow_event;

/** Report callback; `path` and `detail` are borrowed and may be "". */
typedef void (*rh_follow_report_cb)(rh_follow_event ev, const char *path,
                                    const char *detail, void *payload);

typedef struct rh_follow_options {
	unsigned version;      /**< RH_FOLLOW_OPTIONS_VERSION */
	const char *ns;        /**< namespace; NULL = "default" */
	const char *cluster;   /**< cluster name; required */
	const char *node_id;   /**< NULL = read from the raylet's log */
	const char *ray_root;  /**< NULL = "/tmp/ray" */
	const char *state_dir; /**< NULL = RAY_ROOT/rayhist-state; created */
	rh_follow_role role;
	unsigned flush_interval_ms; /**< 0 = 5000 */
	uint64_t flush_bytes;  /**< ship a file at once when this many of its
				      bytes are pending; 0 = 4 MiB */
	unsigned heartbeat_ms; /**< head's heartbeat period; 0 = the flush
				      interval */
	unsigned rescan_ms;    /**< full rescan period; 0 = 30000 with
				      inotify, the flush interval without */
	int no_inotify;        /**< 1: poll only */
	size_t frame_size;     /**< seekable frame size; 0 = 4 MiB */
	int level;             /**< zstd level; 0 = 3 */
	rh_follow_report_cb report;
	void *payload;
} rh_follow_options;

#define RH_FOLLOW_OPTIONS_VERSION 1
#define RH_FOLLOW_OPTIONS_INIT                                               \
	{                                                                    \
		RH_FOLLOW_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL,     \
			RH_FOLLOW_ROLE_AUTO, 0, 0, 0, 0, 0, 0, 0, NULL, NULL \
	}

/** Counters of a follower since it was opened. Initialise with
 * RH_FOLLOW_STATS_INIT: the version says which fields the caller knows of. */
typedef struct rh_follow_stats {
	unsigned version;  /**< RH_FOLLOW_STATS_VERSION */
	char session[256]; /**< the session followed; "" while none */
	char node_id[130]; /**< "" while unknown */
	int following;     /**< 1 once session and node id are known */
	int is_head;
	uint64_t files;                 /**< files tracked in the session */
	uint64_t bytes_pending;         /**< seen on disk, not yet shipped */
	uint64_t parts_written;         /**< part objects written (a rewritten
				      newest part counts again) */
	uint64_t bytes_shipped;         /**< raw bytes read and shipped */
	uint64_t bytes_stored;          /**< compressed bytes written */
	uint64_t commits;               /**< manifest + checkpoint writes */
	uint64_t sessions_ended;        /**< sessions finished */
	uint64_t moves, replaced, gone; /**< files seen moved, replaced, gone */
	uint64_t scans, full_scans;
	int64_t last_commit_ms; /**< wall clock of the last commit; 0 none */
	int inotify;            /**< 1 when inotify is in use */
	/* Since issue 11: */
	uint64_t files_not_stored; /**< paths of the current session whose
				      data is not stored (unreadable, a name
				      that cannot be stored); reported as
				      RH_FOLLOW_FILE_SKIPPED "not stored: ..."
				      and listed in the node manifest */
} rh_follow_stats;

#define RH_FOLLOW_STATS_VERSION 1
#define RH_FOLLOW_STATS_INIT                                                   \
	{                                                                      \
		RH_FOLLOW_STATS_VERSION, "", "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
			0, 0, 0, 0, 0, 0, 0                                    \
	}

/**
 * Create a follower. Nothing is read from the Ray root yet; the first
 * rh_follow_step() starts. Takes an exclusive lock on
 * STATE_DIR/lock, so two followers cannot share a state directory.
 * @param[out] out  release with rh_follow_close()
 * @param st  borrowed: must outlive the follower
 * @return 0; RH_EINVAL (no cluster, bad names or options); RH_EBUSY
 *         (another follower holds the state directory); RH_EIO (the state
 *         directory cannot be created).
 */
RH_EXTERN int rh_follow_open(rh_follow **out, rh_store *st,
                             const rh_follow_options *opts);

/** A descriptor to poll for reading (inotify), or -1 when there is none:
 * then only the timeout matters. Borrowed; stays the same while open. */
RH_EXTERN int rh_follow_fd(const rh_follow *f);

/** Milliseconds until rh_follow_step() has work (0: now). */
RH_EXTERN int rh_follow_timeout_ms(rh_follow *f);

/**
 * Do what is due: look for a (new) session and the node id, rescan, ship
 * new bytes, commit (parts, manifest, checkpoint), beat the heartbeat. A
 * step ships at most 64 MiB, then asks to be called again at once.
 * Failures of the store are reported (RH_FOLLOW_WARNING), kept in
 * rh_follow_errmsg() and retried by later steps; nothing is lost.
 * @return 0, or the code of a failure that will be retried (RH_EIO, ...).
 */
RH_EXTERN int rh_follow_step(rh_follow *f);

/** Rescan the session, ship every pending byte now (no 64 MiB cap) and
 * commit. Does nothing before the session and node id are known.
 * @return 0 or the code of the first failure. */
RH_EXTERN int rh_follow_flush(rh_follow *f);

/**
 * Finish: a full rescan, rh_follow_flush(), and with `end_session` on the
 * head an end mark in session.json. The checkpoint stays, so a follower
 * restarted on the same session resumes (and lifts the end mark). After
 * finishing, only rh_follow_close() and rh_follow_stats() are allowed.
 * @return 0 or the code of the first failure (bytes not shipped stay on
 *         disk for the next follower).
 */
RH_EXTERN int rh_follow_finish(rh_follow *f, int end_session);

/** Counters so far, into `out` initialised with RH_FOLLOW_STATS_INIT.
 * @return 0, or RH_EINVAL for a version this library does not know. */
RH_EXTERN int rh_follow_stats_get(rh_follow_stats *out, const rh_follow *f);

/** The follower's last failure ("" if none). Borrowed. */
RH_EXTERN const char *rh_follow_errmsg(const rh_follow *f);

/** Close the follower (without a final flush) and release its lock. NULL
 * is fine. */
RH_EXTERN void rh_follow_close(rh_follow *f);

/* ------------------------------------------------------------ receiver */

/** Receiver and spool settings; NULL means RH_SPOOL_OPTIONS_INIT. */
typedef struct rh_spool_options {
	unsigned version;  /**< RH_SPOOL_OPTIONS_VERSION */
	size_t max_body;   /**< larger POST bodies get 413; 0 = 32 MiB */
	uint64_t cap;      /**< spool bytes on disk before 503; 0 = 256 MiB */
	uint64_t min_free; /**< also 503 when the file system has less
				      free; 0 = 64 MiB */
	unsigned retry_after_s; /**< Retry-After of a 503; 0 = 5 */
	/* version 2: */
	uint64_t pack_bytes; /**< batches of a session are stored
				      together, as one event object of about
				      this many bytes at most; 0 = 16 MiB */
	unsigned pack_ms;    /**< a pack not full waits until its oldest
				      batch is this old (0: shipped at every
				      rh_spool_ship()); never once intake is
				      closed */
} rh_spool_options;

/* Version 1 callers (without the pack fields) are still accepted. */
#define RH_SPOOL_OPTIONS_VERSION 2
#define RH_SPOOL_OPTIONS_INIT                              \
	{                                                  \
		RH_SPOOL_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0 \
	}

/** The answer to one POST. */
typedef struct rh_receiver_reply {
	int status;           /**< 200, 400, 413, 500 or 503 */
	unsigned retry_after; /**< seconds, for 503; else 0 */
	unsigned events;      /**< events in an accepted batch */
	char message[256];    /**< "" for 200; else one line saying why */
} rh_receiver_reply;

/**
 * Check a POST body without storing anything (a pure function): it must be
 * at most `max_body` bytes (else 413), a JSON array of JSON objects whose
 * "sessionName", when present and not empty, is a valid session name, and
 * every element must parse as a RayEvent (rh_event_parse(), strict) -
 * else 400. Unknown event types are fine.
 * @param max_body  0 = 32 MiB
 * @return 0 when the body is acceptable (reply->status 200), RH_EINVAL
 *         (400 or 413, reply->message says why), RH_ENOMEM.
 */
RH_EXTERN int rh_receiver_check(rh_receiver_reply *reply, const void *body,
                                size_t len, size_t max_body);

/**
 * Open (create) a spool directory; leftovers of an interrupted write are
 * removed and the spooled bytes counted.
 * @param[out] out  release with rh_spool_close()
 * @return 0, RH_EINVAL, RH_EIO.
 */
RH_EXTERN int rh_spool_open(rh_spool **out, const char *dir,
                            const rh_spool_options *opts);

/**
 * Accept one POST body: rh_receiver_check(), then the spool's cap and the
 * free disk space (503), then the batch is written and fsync'ed, with its
 * directory, before this returns 200. Events of different sessions are
 * split into one spooled batch per session; events without a sessionName
 * go to the session being followed when shipped. The same batch sent twice
 * is spooled twice and stored once (rh_events_ingest() names objects by
 * their content).
 * @param[out] reply  always filled
 * @return 0 (200), RH_EINVAL (400/413), RH_EBUSY (503: full, or closed by
 *         rh_spool_close_intake()), RH_EIO (500: the write failed).
 */
RH_EXTERN int rh_spool_accept(rh_receiver_reply *reply, rh_spool *sp,
                              const void *body, size_t len);

/** From now on rh_spool_accept() answers 503 (shutting down); batches
 * accepted before are all visible to the next rh_spool_ship(). */
RH_EXTERN void rh_spool_close_intake(rh_spool *sp);

/** Counters of a spool. Initialise with RH_SPOOL_STATS_INIT. */
typedef struct rh_spool_stats {
	unsigned version;  /**< RH_SPOOL_STATS_VERSION */
	uint64_t bytes;    /**< spooled bytes on disk now */
	uint64_t batches;  /**< spooled batches on disk now */
	uint64_t accepted; /**< batches accepted since open */
	uint64_t rejected; /**< 400/413 answers */
	uint64_t refused;  /**< 503 answers */
	uint64_t shipped;  /**< batches shipped since open */
	uint64_t stored;   /**< of them, new objects in the store */
} rh_spool_stats;

#define RH_SPOOL_STATS_VERSION 1
#define RH_SPOOL_STATS_INIT                                 \
	{                                                   \
		RH_SPOOL_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0 \
	}

/** Counters so far, into `out` initialised with RH_SPOOL_STATS_INIT.
 * @return 0, or RH_EINVAL for a version this library does not know. */
RH_EXTERN int rh_spool_stats_get(rh_spool_stats *out, rh_spool *sp);

/**
 * Ship spooled batches into `ns`/`cluster`, each under its events'
 * session (batches without one under `session`; they wait while it is
 * NULL), packed into event objects of at most opts.pack_bytes (a larger
 * batch alone) once the oldest has waited opts.pack_ms, and delete them
 * from the spool once stored and announced by the receiver's generation
 * mark. At most `budget` bytes are shipped per call (0 = no limit). A batch the store refuses as
 * invalid is moved to DIR/rejected/ and reported through the return code
 * only if nothing else failed.
 * @param[out] more_out  1 when batches are left (budget or failures);
 *                       may be NULL
 * @return 0; RH_EIO and the like when a batch could not be stored (it stays
 *         spooled; later calls retry it); RH_EINVAL for a rejected batch.
 */
RH_EXTERN int rh_spool_ship(int *more_out, rh_spool *sp, rh_store *st,
                            const char *ns, const char *cluster,
                            const char *session, uint64_t budget);

/** Close a spool (what is spooled stays on disk). NULL is fine. */
RH_EXTERN void rh_spool_close(rh_spool *sp);

RH_END_DECL

#endif
