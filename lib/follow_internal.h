/* follow_internal.h - what the follower's files share (follow.h): the state
 * of one followed session (what has been shipped of every file), its
 * checkpoint form, the directory watcher and the scan.
 *
 * The state is the truth a follower resumes from: a file's parts tile
 * [0, size) and every one of them is in the store. It is written to the
 * checkpoint only after the parts and the node manifest it implies. */
#ifndef RH_FOLLOW_INTERNAL_H
#define RH_FOLLOW_INTERNAL_H

#include "catalog_manifest.h"
#include "follow_source.h"

#include <limits.h>
#include <pthread.h>

#define RH_CHECKPOINT_FORMAT 1
/* How many of a file's first bytes identify it. */
#define RH_HEAD_LEN 4096
/* Files are read in chunks of this size: memory never follows file size. */
#define RH__READ_CHUNK (1u << 20)

/* One file of the node, in one of its generations. */
typedef struct rh__ffile {
	char *path;          /* where it is now, relative to the session dir */
	char *obj;           /* the path its part objects are named by */
	uint64_t dev, ino;   /* identity; ino 0 = unknown (adopted from a
				manifest, or a link) */
	int64_t btime_ns;    /* birth time, where the file system keeps one
				(0 = unknown): tells a moved file from a new
				one that got a deleted file's inode */
	rh_file_part *parts; /* by offset, tiling [0, size) */
	size_t nparts, aparts;
	uint64_t size;      /* bytes shipped */
	uint64_t stored;    /* stored bytes of the parts */
	uint64_t head_hash; /* FNV-1a of the first head_len shipped bytes */
	uint32_t head_len;
	int64_t mtime_ms; /* at the last observation */
	uint64_t seen;    /* size at the last observation */
	int gone;         /* deleted from the node: nothing more comes */
	int is_link;      /* a link to a file inside the session */
	/* not in the checkpoint: */
	int64_t active_ms; /* monotonic time it last grew; 0 = never */
	int hold;          /* an open descriptor of the file plus 1 (0:
				none): its bytes stay readable, and its last
				path known, after it is moved and deleted
				between two looks */
	int matched;       /* scratch of a scan */
	int recheck;       /* its bytes looked like another file's when
				read: until a part of it is shipped, scans
				read its head, even if size and mtime are as
				last seen */
} rh__ffile;

/* The state of one session of one node. */
typedef struct rh__fstate {
	char *store_url, *ns, *cluster, *session, *node_id, *node_ip;
	int is_head;
	uint64_t seq;      /* commits so far */
	rh__ffile **files; /* sorted by path, unique */
	size_t nfiles, afiles;
	char **deletes; /* part keys to delete once the checkpoint
				    naming them is durable */
	size_t ndeletes, adeletes;
} rh__fstate;

int rh__fstate_new(rh__fstate **out);
void rh__fstate_free(rh__fstate *s);
void rh__ffile_free(rh__ffile *f);
/* Index of `path`, or -(insertion point) - 1. */
long rh__fstate_find(const rh__fstate *s, const char *path);
/* Insert (keeping order); RH_EEXISTS if the path is taken. */
int rh__fstate_insert(rh__fstate *s, rh__ffile *f);
/* Take entry i out of the array (the caller owns it). */
rh__ffile *rh__fstate_take(rh__fstate *s, size_t i);
int rh__fstate_add_delete(rh__fstate *s, const char *key);
/* 1 if some entry (or a queued delete) names parts by `obj`. */
int rh__fstate_obj_in_use(const rh__fstate *s, const char *obj);
int rh__ffile_add_part(rh__ffile *f, const rh_file_part *p);

/* Checkpoint text. parse() checks everything (it is read back from disk
 * and fuzzed): names, paths, parts tiling each file, unique paths and
 * objects, and that every key to delete is a part of this node. */
int rh__checkpoint_serialize(rh_buf *out, const rh__fstate *s);
int rh__checkpoint_parse(rh__fstate **out, const char *json, size_t len,
                         const char *name);
/* Write atomically: DIR/.NAME.tmp, fsync, rename to DIR/NAME, fsync DIR. */
int rh__checkpoint_write(const char *dir, const char *name,
                         const rh__fstate *s);
/* RH_ENOTFOUND when absent, RH_ECORRUPT when damaged. */
int rh__checkpoint_read(rh__fstate **out, const char *dir, const char *name);

/* The node manifest the state implies, and the reverse (identities
 * unknown). */
int rh__fstate_to_manifest(rh_node_manifest **out, const rh__fstate *s);
int rh__fstate_adopt_manifest(rh__fstate *s, const rh_node_manifest *m);

/* What identifies a file on disk (statx: stat plus the birth time). */
typedef struct rh__fid {
	uint64_t dev, ino, size;
	int64_t mtime_ms, btime_ns;
	unsigned mode;
} rh__fid;

/* stat() (follow 1) or lstat() of `path`, or fstat() of fd with path NULL.
 * -1 with errno on failure. */
int rh__fid_get(rh__fid *out, int fd, const char *path, int follow);

/* Is the file with this identity tracked file `e`? A birth time known on
 * both sides must agree. */
static inline int
rh__ffile_is(const rh__ffile *e, uint64_t dev, uint64_t ino, int64_t btime)
{
	return e->ino == ino && e->dev == dev &&
	       (!e->btime_ns || !btime || e->btime_ns == btime);
}

/* How many tracked files a follower holds open at most. */
#define RH__MAX_HOLD 256
/* Hold `e` (the file at `full`, checked to be e) open, if there is room
 * in *nheld. */
void rh__ffile_hold(rh__ffile *e, const char *full, size_t *nheld);
/* Close what e holds. */
void rh__ffile_release(rh__ffile *e, size_t *nheld);

/* Write a file atomically (temp, fsync, rename, fsync of the dir). */
int rh__write_file_atomic(const char *dir, const char *name, const void *data,
                          size_t len);

/* ---- directory watcher (follow_watch.c) ---------------------------------
 * Watches directories for entries created, deleted or moved; growth is
 * polled. Events name the directory (relative to the root it was added
 * with) and the entry. */
typedef struct rh__watch rh__watch;

typedef enum rh__watch_kind {
	RH__WATCH_CHANGED,  /* an entry appeared, vanished or moved */
	RH__WATCH_DIR_GONE, /* the watched directory itself went away */
	RH__WATCH_OVERFLOW, /* events were lost: rescan everything */
} rh__watch_kind;

typedef void (*rh__watch_cb)(rh__watch_kind kind, int tag, const char *dir,
                             const char *name, void *payload);

/* RH_ENOTFOUND when the kernel has no inotify (the caller polls). */
int rh__watch_open(rh__watch **out);
int rh__watch_fd(const rh__watch *w);
/* Watch `full` (an absolute path), reported as `rel` with `tag`. Adding a
 * directory already watched only updates rel/tag. RH_EBUSY when the
 * kernel's watch limit is reached. */
int rh__watch_add(rh__watch *w, const char *full, const char *rel, int tag);
/* 1 if `rel` (with `tag`) is watched. */
int rh__watch_has(const rh__watch *w, const char *rel, int tag);
/* Stop watching everything added with `tag`. */
void rh__watch_drop_tag(rh__watch *w, int tag);
/* Read what is pending (never blocks). */
int rh__watch_read(rh__watch *w, rh__watch_cb cb, void *payload);
size_t rh__watch_count(const rh__watch *w);
void rh__watch_close(rh__watch *w);

/* ---- the follower (follow.c, follow_scan.c, follow_ship.c) ---- */

/* Where a follower is with its current session. */
enum rh__phase {
	RH__NO_SESSION = 0, /* waiting for RAY_ROOT/session_latest */
	RH__NO_NODE,        /* waiting for the node id */
	RH__FOLLOWING,
};

/* What rh__follow_session_json() writes. */
enum rh__sj_mode {
	RH__SJ_CREATE, /* a worker: write only when there is none */
	RH__SJ_START,  /* head starts (or resumes): beat, lift end mark */
	RH__SJ_BEAT,   /* head: heartbeat */
	RH__SJ_END,    /* head (or --ended): end mark */
	RH__SJ_ONCE,   /* one-shot capture: update, keep an end mark,
				no heartbeat */
};

struct rh_follow {
	rh_store *st;
	char *ns, *cluster, *node_id_opt;
	char root[PATH_MAX]; /* the Ray root */
	char state_dir[PATH_MAX];
	rh_follow_role role;
	unsigned flush_ms, heartbeat_ms, rescan_ms;
	uint64_t flush_bytes;
	rh_seekable_options sopts;
	rh_follow_report_cb report;
	void *payload;
	int lock_fd;
	int once;            /* one pass (rh_capture_session): no state
				      directory, lock, watcher or checkpoint */
	unsigned workers;    /* compression threads for big parts */
	uint64_t max_part;   /* raw bytes one ship writes at most */
	uint64_t small_part; /* a newest part smaller is rewritten
				      with the new bytes; 0 = never */
	rh__watch *w;        /* NULL: polling only */
	int root_watched;
	int finished;

	/* the current session */
	enum rh__phase phase;
	char session[256];
	char sdir[PATH_MAX]; /* its directory, links resolved (or
				      its path in an archive) */
	rh__fsrc *src;       /* where its files are read from: &dirsrc,
				      or an archive's entries (one pass) */
	rh__fsrc_dir dirsrc;
	rh_session_ref sref; /* points into ns, cluster, session */
	rh__fstate *s;       /* RH__FOLLOWING only */
	int is_head;
	int changed;           /* state newer than the checkpoint */
	int started;           /* session.json written this run */
	int gc_done;           /* stray parts removed this run */
	uint64_t share;        /* bytes a shipping thread has to do
				      (capture_pool.c); 0: one thread */
	int unsynced;          /* parts committed without a barrier
				      since the last rh_store__sync() */
	uint64_t raylet_tried; /* raylet.out size at the last id search */
	char node_found[130];  /* the id read from it, once found */
	int64_t wait_since;
	int warned;
	rh__skip *skipped; /* of the last full scan */
	size_t nskipped, askipped;
	size_t nheld;     /* tracked files held open */
	rh__skip *unread; /* tracked files whose bytes could not be
				      read; until they are */
	size_t nunread, aunread;
	uint64_t scan_files;    /* files the last full scan found */
	uint64_t files_shipped; /* ships that stored new bytes */

	/* schedule, monotonic ms */
	int64_t next_flush, next_full, next_hot, next_beat, next_session,
		next_node, next_dirty, retry_at;
	int full_due, session_due, more;
	char **dirty; /* directories with changed entries */
	size_t ndirty, adirty;

	/* the node's generation mark (capture_mark.c) */
	char mark_last[1200];  /* its key as last written; "" at first */
	uint64_t mark_deleted; /* objects this run deleted */

	unsigned char *chunk;
	rh_buf out, key;
	rh_follow_stats stats;
	char errmsg[512];
};

void rh__follow_report(rh_follow *f, rh_follow_event ev, const char *path,
                       const char *detail);
/* Keep the thread's message as the follower's and report it. */
int rh__follow_fail(rh_follow *f, int error);

/* Walk the session (everything, or the dirty directories) and bring the
 * state in line: moves, new, replaced and gone files. RH__UNSETTLED (> 0)
 * when the directory kept changing while it was walked and nothing was
 * applied (a later scan will be). */
#define RH__UNSETTLED 1
int rh__follow_scan(rh_follow *f, int full);
void rh__follow_clear_skips(rh_follow *f);
/* Bytes of tracked file `path` could not be read (`why`): listed in the
 * manifest as not stored, and reported once, until they are shipped
 * (rh__follow_unread_done). */
int rh__follow_unread(rh_follow *f, const char *path, const char *why);
void rh__follow_unread_done(rh_follow *f, const char *path);
/* Skips of the last full scan plus unread files that are not stored. */
uint64_t rh__follow_not_stored(const rh_follow *f);
/* Ship the pending bytes of `e` (at most *budget, which is decreased). */
int rh__follow_ship(rh_follow *f, rh__ffile *e, uint64_t *budget);
/* The buffers one shipping thread works with. */
typedef struct rh__ship_buf {
	unsigned char *chunk; /* RH__READ_CHUNK bytes */
	rh_buf *out, *key;
} rh__ship_buf;
/* rh__follow_ship() from any thread, with its own buffers: `mu` (NULL:
 * one thread) guards f and every file's state; it is released while the
 * part is compressed and written. */
int rh__follow_ship_with(rh_follow *f, rh__ffile *e, uint64_t *budget,
                         const rh__ship_buf *b, pthread_mutex_t *mu);
/* Tests only: when set, called with the path of a file about to be
 * shipped - stage 0 before it is opened and stat'ed, stage 1 just before
 * its bytes are read for a part: the windows in which a node can truncate
 * it after the scan looked at it. */
extern void (*rh__follow_test_before_read)(const char *path, int stage);
/* One pass (f->once) ships every file's pending bytes, several files at
 * once on f->workers threads (capture_pool.c). */
int rh__follow_ship_parallel(rh_follow *f);
/* Queue the deletion of a file's parts (after the next checkpoint). */
int rh__follow_drop_parts(rh_follow *f, const rh__ffile *e);
/* Parts, then manifest, then checkpoint, then deletes. */
int rh__follow_commit(rh_follow *f);
/* Advance the node's generation mark if what the index reads of the node
 * changed (capture_mark.c); the last step of a commit. */
int rh__follow_mark(rh_follow *f);
int rh__follow_session_json(rh_follow *f, enum rh__sj_mode mode);
/* session.json (capture_end.c): read what is there (nothing when
 * `only_if_none` and there is something), set the fields every writer
 * sets, let `edit` add its own (heartbeat, end mark), write it back. */
struct json_object;
typedef void (*rh__session_json_edit)(struct json_object *root, int64_t now,
                                      void *ctx);
int rh__session_json_update(rh_store *st, const rh_session_ref *s,
                            int only_if_none, rh__session_json_edit edit,
                            void *ctx);
/* The end mark in root: end (when the session last wrote; 0: now), never
 * before the session's start, a later end kept; end_marked_ms set once. */
void rh__session_json_end(struct json_object *root, const char *session,
                          int64_t end, int64_t now);
/* When the session last wrote: the latest mtime of its files (0: none). */
int64_t rh__follow_last_write_ms(const rh_follow *f);

/* One-shot capture as one pass of the follower (capture.c): open a
 * follower with no state directory, then capture session directory `dir`
 * once - node id, the store's node manifest as the state, a full scan,
 * everything shipped, node manifest and session.json (end mark when
 * `ended`). */
int rh__follow_open_once(rh_follow **out, rh_store *st,
                         const rh_follow_options *opts, unsigned workers);
int rh__follow_once(rh_follow *f, const char *dir, int ended);
/* The same from a file source (follow_source.h): session `name`, shown in
 * messages as src->shown. The source must outlive the follower. */
int rh__follow_once_src(rh_follow *f, rh__fsrc *src, const char *name,
                        int ended);
/* "checkpoint-SESSION.json" */
void rh__follow_ckpt_name(char *out, size_t cap, const char *session);

#endif
