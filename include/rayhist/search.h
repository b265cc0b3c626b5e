/*
 * rayhist/search.h - grep across every stored file of a session.
 *
 * HowTo:
 *   rh_search_options o = RH_SEARCH_OPTIONS_INIT;
 *   o.flags = RH_SEARCH_FIXED | RH_SEARCH_ICASE;  o.max_matches = 100;
 *   rh_search_session(&stats, st, &sref, "OOM", &o, on_line, payload);
 *
 * Lines are reported as `grep -n` (in the C locale, with -a) would find
 * them in each file as it was on its node, in file order: nodes by id, then
 * the node's files by path, then lines by number. A line is the bytes up to
 * a '\n' (not included), and a file's last bytes without a '\n' are a line
 * too. Line numbers are exact: every byte before a match is counted, not
 * guessed from an index.
 *
 * Speed: a stored file is a run of independent zstd frames, so the files'
 * bytes are cut into chunks of about one frame that worker threads
 * decompress and search in parallel; lines that straddle two chunks are
 * joined and tested on the caller's thread. The workers are joined before
 * rh_search_session() returns (DESIGN's thread rule). With max_matches the
 * search stops taking new chunks once that many lines matched.
 *
 * Thread-safety: a call uses only its arguments; the callback runs on the
 * caller's thread, one line at a time, in output order.
 */
#ifndef RAYHIST_SEARCH_H
#define RAYHIST_SEARCH_H

#include "common.h"
#include "store.h"
#include "layout.h"

RH_BEGIN_DECL

/** Pattern kinds and matching, for rh_search_options.flags. Without
 * FIXED or EXTENDED the pattern is a POSIX basic regular expression, as
 * grep's default (-G). */
#define RH_SEARCH_FIXED 1u    /**< a fixed string (grep -F) */
#define RH_SEARCH_EXTENDED 2u /**< POSIX extended regex (grep -E) */
#define RH_SEARCH_ICASE 4u    /**< ignore ASCII case (grep -i) */

/** Search options; NULL means RH_SEARCH_OPTIONS_INIT. */
typedef struct rh_search_options {
	unsigned version;      /**< RH_SEARCH_OPTIONS_VERSION */
	unsigned flags;        /**< RH_SEARCH_* */
	const char *node;      /**< a full node id, or NULL: every node */
	const char *file_glob; /**< fnmatch(3) pattern; with a '/' it is
				     matched against the path in the session
				     directory ("logs/raylet.*"), without one
				     against the file's base name ("*.err");
				     NULL: every file */
	int64_t at_ms;         /**< search files as captured by this
				     instant (rh_logfile_size_at());
				     INT64_MAX (default): as last captured */
	unsigned context;      /**< lines of context before and after
				     each match (grep -C) */
	uint64_t max_matches;  /**< stop after this many matching lines in
				     all (0: no limit); unlike grep -m it
				     counts across files */
	unsigned threads;      /**< worker threads; 0 (default): one per
				     online CPU */
	size_t chunk_size;     /**< raw bytes per unit of work; 0
				     (default): 4 MiB, the default frame
				     size. Smaller ones put more lines
				     across unit edges (tests). */
	/* version 2: */
	rh_progress_cb progress; /**< called on the calling thread as the
				      search advances (raw bytes and files
				      searched of all; the last call has
				      every file done); may be NULL */
	void *progress_payload;
} rh_search_options;

/* Version 1 callers (without the progress fields) are still accepted. */
#define RH_SEARCH_OPTIONS_VERSION 2
#define RH_SEARCH_OPTIONS_INIT                                                \
	{                                                                     \
		RH_SEARCH_OPTIONS_VERSION, 0, NULL, NULL, INT64_MAX, 0, 0, 0, \
			0, NULL, NULL                                         \
	}

/** One line of output. Everything is borrowed for the callback's call. */
typedef struct rh_search_line {
	const char *node_id;
	const char *path; /**< raw bytes, relative to the session
				     directory; rh_catalog_display_path()
				     makes it text */
	uint64_t line;    /**< 1-based */
	uint64_t offset;  /**< byte offset of the line in its file */
	const char *text; /**< the line without its '\n'; may hold any
				     bytes, NUL included */
	size_t len;
	int context;     /**< 0: a matching line; 1: context (-C) */
	int group_start; /**< 1: not adjacent to the line reported
				     before it (another file, or a gap):
				     where grep -C prints "--" */
} rh_search_line;

/** Called once per line in output order; return non-zero to stop (the
 * search then returns that value). */
typedef int (*rh_search_cb)(const rh_search_line *line, void *payload);

/** What a search did. Initialise with RH_SEARCH_STATS_INIT. */
typedef struct rh_search_stats {
	unsigned version; /**< RH_SEARCH_STATS_VERSION */
	uint64_t matches; /**< matching lines reported */
	uint64_t files;   /**< files searched (whole or in part) */
	uint64_t bytes;   /**< raw bytes searched */
	uint64_t errors;  /**< files that could not be read; the first
				     one's message is in rh_error_last() */
	/* version 2: */
	uint64_t skipped; /**< raw bytes of `bytes` never decompressed:
				     frames whose search filter (written at
				     capture) says they cannot hold the
				     pattern, or the literal a regex needs */
} rh_search_stats;

/* Version 1 structs (without `skipped`) are still accepted. */
#define RH_SEARCH_STATS_VERSION 2
#define RH_SEARCH_STATS_INIT                           \
	{                                              \
		RH_SEARCH_STATS_VERSION, 0, 0, 0, 0, 0 \
	}

/**
 * Search the stored files of session `s` for lines matching `pattern`.
 * A file that cannot be read (a damaged part) is skipped and counted in
 * stats->errors; the other files are still searched.
 * @param[out] stats  initialised with RH_SEARCH_STATS_INIT; may be NULL
 * @param pattern  must not hold a '\n' (grep would take it as several
 *                 patterns)
 * @return 0 (whether or not any line matched; see stats->matches);
 *         RH_EINVAL (bad options, stats version or pattern: the message is
 *         regerror()'s for a pattern);
 *         RH_ENOTFOUND (no such session or node); RH_ENOMEM; RH_EIO or
 *         RH_ECORRUPT when a node manifest cannot be read; or the
 *         callback's non-zero value.
 */
RH_EXTERN int rh_search_session(rh_search_stats *stats, rh_store *st,
                                const rh_session_ref *s, const char *pattern,
                                const rh_search_options *opts, rh_search_cb cb,
                                void *payload);

RH_END_DECL

#endif
