/*
 * rayhist/archive.h - sessions in and out of archives (tar, zip, 7z).
 *
 * HowTo (import: any archive of Ray session directories into a store):
 *   rh_import_options o = RH_IMPORT_OPTIONS_INIT;
 *   o.cluster = "my-cluster";
 *   rh_archive_import(&stats, st, fd, "support-bundle.tgz", &o);
 *
 * HowTo (export: a stored session, or one node of it, as one archive):
 *   rh_export_options x = RH_EXPORT_OPTIONS_INIT;
 *   x.format = RH_EXPORT_TAR_ZST;
 *   rh_archive_export(st, &sref, &x, write_cb, payload);
 *
 * Import reads, through libarchive, a tar (plain, gzip, bzip2, xz, zstd),
 * zip or 7z archive that holds Ray session directories anywhere in it: one
 * node's `session_*` folder, a whole Ray temp root with its session_latest
 * link, or several nodes' folders side by side. Every folder named
 * `session_*` (a real folder, not a link) is one node's session directory;
 * it is captured by the capture engine itself (capture.h: the same node id
 * resolver, the same rules for files, links and skips), so an import
 * stores, object for object, what capturing the same folders directly
 * would - only the dates of the capture (captured_ms, updated_ms) differ,
 * and files' mtimes are what the archive kept (tar: seconds, or better in
 * pax archives; zip: 2 s, or 1 s with the extended-time field).
 *
 * How the stream is read: an archive is sequential and a node's raylet.out
 * (which names the node) may come after its other files. An archive in a
 * regular file is read twice: first every entry is checked, the session
 * folders listed, their node ids read and where each folder's last entry
 * is noted (only the heads of the raylet's logs are kept); then it is read
 * again and each folder is captured as soon as its last entry has been
 * read, and its entries let go. From a pipe it is read once and every
 * entry held to the end. Entries are held in memory (Linux memfd) up to
 * opts.max_memory bytes at a time, beyond that in unnamed temporary files
 * under opts.tmpdir (O_TMPFILE: nothing is left there, even after a crash),
 * all of it capped at opts.max_total bytes; the capture engine reads them
 * through a file source: no folder is unpacked on disk. Nothing is stored
 * unless the whole archive was read and every entry accepted, and every
 * node has an id.
 *
 * Hostile entries are refused and the import fails (RH_EINVAL, the
 * message names the entry and the rule) before anything is stored:
 * absolute paths, ".." components, links (symbolic or hard) whose target
 * leaves the session folder they are in, devices and FIFOs, a name given
 * twice, an entry larger than opts.max_entry or one whose data is longer
 * than it claims, archives unpacking to more than opts.max_total bytes,
 * and zip bombs: unpacked bytes more than opts.max_ratio times the bytes
 * read of the archive (after the first 16 MiB). Names are kept byte for
 * byte, non-UTF-8 included (layout.h maps them to object names).
 *
 * An archive written by rh_archive_export() also holds a session's event
 * batches (under "rayhist-export/SESSION/events/"); import stores them back
 * under the same object names.
 *
 * Export writes, for each node of a session (or the one asked for), the
 * node's files as they were captured, byte for byte, with their mtimes,
 * under "NODE_ID/SESSION/PATH" (earlier generations "PATH~N" are left out:
 * they were never files of the session folder), then the session's event
 * batches as stored and "rayhist-export/manifest.json" (what was exported).
 * Output goes through a callback as it is produced: memory stays flat
 * whatever the session's size.
 *
 * Thread-safety: one call per handle; the store may be shared.
 */
#ifndef RAYHIST_ARCHIVE_H
#define RAYHIST_ARCHIVE_H

#include "common.h"
#include "store.h"
#include "layout.h"
#include "capture.h"

RH_BEGIN_DECL

/** Called now and then while an archive is read: bytes read of the
 * archive so far and bytes unpacked. */
typedef void (*rh_import_progress_cb)(uint64_t read, uint64_t unpacked,
                                      void *payload);

/** Called after each session folder (one node of a session) is captured:
 * the session it went into. */
typedef void (*rh_import_session_cb)(const rh_session_ref *s, void *payload);

typedef struct rh_import_options {
	unsigned version;    /**< RH_IMPORT_OPTIONS_VERSION */
	const char *ns;      /**< namespace; NULL = "default" */
	const char *cluster; /**< cluster name; required */
	size_t frame_size;   /**< as rh_capture_options */
	int level;
	unsigned workers;
	uint64_t max_entry;          /**< largest entry; 0 = 64 GiB */
	uint64_t max_total;          /**< all entries together; 0 = 256 GiB */
	unsigned max_ratio;          /**< unpacked / read; 0 = 1000 */
	const char *tmpdir;          /**< where entries beyond max_memory go;
				      NULL = $TMPDIR, else /tmp */
	int ended;                   /**< mark the sessions ended (capture.h) */
	rh_capture_report_cb report; /**< files stored or skipped */
	rh_import_progress_cb progress;
	void *payload;
	uint64_t max_memory; /**< entries held in memory; 0 = 256 MiB */
	rh_import_session_cb session_done; /**< may be NULL */
} rh_import_options;

#define RH_IMPORT_OPTIONS_VERSION 2
#define RH_IMPORT_OPTIONS_INIT                                                 \
	{                                                                      \
		RH_IMPORT_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, \
			0, NULL, NULL, NULL, 0, NULL                           \
	}

/** What one import did. Initialise with RH_IMPORT_STATS_INIT. */
typedef struct rh_import_stats {
	unsigned version;        /**< RH_IMPORT_STATS_VERSION */
	uint64_t entries;        /**< archive entries read */
	uint64_t bytes_read;     /**< bytes of the archive read */
	uint64_t bytes_unpacked; /**< bytes of its entries */
	uint64_t nodes;          /**< session folders captured */
	uint64_t event_batches;  /**< event batches stored (exports) */
	rh_capture_stats total;  /**< the captures' stats added up (session
				      and node_id: the last one's) */
	uint64_t bytes_spilled;  /**< bytes held in temporary files (past
				      max_memory) rather than in memory */
} rh_import_stats;

#define RH_IMPORT_STATS_VERSION 2
#define RH_IMPORT_STATS_INIT                                                   \
	{                                                                      \
		RH_IMPORT_STATS_VERSION, 0, 0, 0, 0, 0, RH_CAPTURE_STATS_INIT, \
			0                                                      \
	}

/**
 * Import the archive read from `fd` (a file or a pipe; read to its end,
 * not closed). `name` names it in messages.
 * @param[out] stats  initialised with RH_IMPORT_STATS_INIT; may be NULL
 * @return 0; RH_EINVAL (no cluster, a stats version this library does not
 *         know, a hostile entry, a damaged or unknown
 *         archive, no session folder in it, no node id for one: the
 *         message says which); RH_EIO (the store failed, or files were not
 *         stored as capture.h says); RH_ENOMEM.
 */
RH_EXTERN int rh_archive_import(rh_import_stats *stats, rh_store *st, int fd,
                                const char *name,
                                const rh_import_options *opts);

/** Archive formats export writes. */
typedef enum rh_export_format {
	RH_EXPORT_TAR_ZST = 0, /**< .tar.zst (pax tar, zstd) */
	RH_EXPORT_TAR_GZ,      /**< .tar.gz (pax tar, gzip) */
	RH_EXPORT_ZIP,         /**< .zip (deflate) */
} rh_export_format;

/** The format a file name asks for (".tar.zst", ".tzst", ".tar.gz",
 * ".tgz", ".zip"). @return 0 or RH_EINVAL. */
RH_EXTERN int rh_export_format_from_name(rh_export_format *out,
                                         const char *name);
/** The format named "tar.zst", "tar.gz" or "zip". @return 0, RH_EINVAL. */
RH_EXTERN int rh_export_format_parse(rh_export_format *out, const char *s);

/** Receives the archive's bytes as they are produced. Return 0, or a
 * negative RH_E* code to stop (rh_archive_export() returns it). */
typedef int (*rh_export_write_cb)(const void *data, size_t len, void *payload);

typedef struct rh_export_options {
	unsigned version; /**< RH_EXPORT_OPTIONS_VERSION */
	rh_export_format format;
	const char *node_id; /**< one node (full id); NULL = every node */
	/** Only files whose path (relative to the session folder) starts
	 * with this ("logs/", "logs/raylet"); NULL = all. Event batches are
	 * exported only without a prefix. */
	const char *prefix;
	/** The session as it was at this instant (ms since the epoch): each
	 * file cut where rh_logfile_size_at() says, files not yet captured
	 * left out; 0 = everything stored. */
	int64_t at_ms;
	int level; /**< compression level; 0 = format default */
} rh_export_options;

#define RH_EXPORT_OPTIONS_VERSION 1
#define RH_EXPORT_OPTIONS_INIT                                                 \
	{                                                                      \
		RH_EXPORT_OPTIONS_VERSION, RH_EXPORT_TAR_ZST, NULL, NULL, 0, 0 \
	}

/**
 * Write session `s` (or the node or files opts ask for) as one archive,
 * through `write`.
 * @return 0; RH_ENOTFOUND (no such session or node); RH_ECORRUPT, RH_EIO
 *         (the store); RH_EINVAL; or what `write` returned.
 */
RH_EXTERN int rh_archive_export(rh_store *st, const rh_session_ref *s,
                                const rh_export_options *opts,
                                rh_export_write_cb write, void *payload);

RH_END_DECL

#endif
