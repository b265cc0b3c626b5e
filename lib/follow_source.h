/* follow_source.h - where the capture engine reads a session's files from
 * (follow_internal.h): a folder on disk, or the entries of an archive held
 * in memory (archive_import.c).
 *
 * The engine needs four things of a session: list a folder, look at an
 * entry (lstat, or stat through links), resolve a link to where it points
 * inside the session, and open a file to read it at any offset. Everything
 * it decides (what is a file, what is skipped, which node it is, how parts
 * are cut) is decided on what these return, so a session read from an
 * archive is stored exactly as the same folder read from disk.
 *
 * Paths are relative to the session folder ("" is the folder itself). */
#ifndef RH_FOLLOW_SOURCE_H
#define RH_FOLLOW_SOURCE_H

#include <stddef.h>

struct rh__fid;
typedef struct rh__fsrc rh__fsrc;

/* Called for each entry of a folder (not "." or ".."); a negative return
 * stops the listing and is returned. */
typedef int (*rh__fsrc_entry_cb)(const char *name, void *payload);

typedef struct rh__fsrc_ops {
	/* lstat() (follow 0) or stat() of rel: 0, or -1 with errno. */
	int (*stat)(rh__fsrc *s, const char *rel, int follow,
	            struct rh__fid *out);
	/* Each entry of folder rel: 0, the callback's (negative) error, or
	 * 1 with errno when the folder cannot be listed (ENOENT, ENOTDIR:
	 * there is no such folder). */
	int (*list)(rh__fsrc *s, const char *rel, rh__fsrc_entry_cb cb,
	            void *payload);
	/* Where link rel ends up, every link on the way followed, as a path
	 * inside the session: 0 with out set; 1 when it leaves the session;
	 * -1 with errno when it leads nowhere. */
	int (*resolve)(rh__fsrc *s, const char *rel, char *out, size_t cap);
	/* A descriptor of rel (links followed) to pread() from, the caller's
	 * to close: >= 0, or -1 with errno. */
	int (*open)(rh__fsrc *s, const char *rel);
} rh__fsrc_ops;

struct rh__fsrc {
	const rh__fsrc_ops *ops;
	/* How messages name the session folder: its path on disk, or in
	 * the archive. */
	const char *shown;
};

/* A folder on disk (follow_source.c): `root` is its real path (links
 * resolved), copied. */
typedef struct rh__fsrc_dir {
	rh__fsrc base;
	char root[4096];
} rh__fsrc_dir;

void rh__fsrc_dir_init(rh__fsrc_dir *d, const char *root);

/* The node id of the session `src` holds, by the rules of
 * rh_capture_node_id() (capture_nodeid.c). */
int rh__capture_node_id_src(char *out, rh__fsrc *src);

/* rh_capture_session() of session `name` held by `src` (capture.c). */
struct rh_capture_stats;
struct rh_capture_options;
struct rh_store;
int rh__capture_session_src(struct rh_capture_stats *stats, struct rh_store *st,
                            rh__fsrc *src, const char *name,
                            const struct rh_capture_options *opts);

#endif
