/* catalog_manifest.h - node manifests in memory, and their JSON form in the store.
 *
 * A node manifest (NS/CLUSTER/SESSION/nodes/NODE/node.json) lists every file
 * captured from a node with its append parts. Capture reads it to know what
 * was shipped and writes it after the parts it lists, so a manifest never
 * names a part that is not in the store. */
#ifndef RH_MANIFEST_H
#define RH_MANIFEST_H

#include "internal.h"
#include "seekable_cache.h"

#define RH_MANIFEST_FORMAT 1

typedef struct rh__mfile {
	rh_file_info info; /* public view; info.path and info.parts owned */
	size_t aparts;
	uint64_t head_hash; /* FNV-1a of the first bytes: a replaced file */
	uint32_t head_len;  /* how many bytes head_hash covers */
	char *object;       /* the path its parts are named by (layout.h)
				   when not info.path: a file that moved
				   (rotation, logs/old/) keeps its parts'
				   names; NULL = info.path */
} rh__mfile;

/* The path a file's part objects are named by. */
static inline const char *
rh__mfile_object(const rh__mfile *f)
{
	return f->object ? f->object : f->info.path;
}

typedef struct rh__skip {
	char *path;
	char *why;
	int not_stored; /* 1: data that should have been stored was
				   not (unreadable, a name that cannot be
				   stored); 0: left out on purpose (a socket,
				   a lock file, a link leaving the session) */
} rh__skip;

struct rh_node_manifest {
	char *node_id;
	char *node_ip;
	char *hostname;
	int is_head;
	int64_t captured_ms;
	rh__mfile *files; /* sorted by path */
	size_t nfiles, afiles;
	rh__skip *skipped;
	size_t nskipped, askipped;
};

int rh__manifest_new(rh_node_manifest **out, const char *node_id);
/* Parse JSON text; `name` is used in messages. */
int rh__manifest_parse(rh_node_manifest **out, const char *json, size_t len,
                       const char *name);
int rh__manifest_serialize(rh_buf *out, const rh_node_manifest *m);
/* Find or add (keeping order) the file at `path`. */
int rh__manifest_file(rh__mfile **out, rh_node_manifest *m, const char *path);
/* Remove the file at `path` if no byte of it is stored (it could not be
 * read): it is listed as skipped instead, not as an empty file. */
void rh__manifest_drop_unstored(rh_node_manifest *m, const char *path);
/* Forget all parts of a file (it was replaced or truncated). */
void rh__manifest_file_reset(rh__mfile *f);
int rh__manifest_add_part(rh__mfile *f, const rh_file_part *part);
int rh__manifest_add_skip(rh_node_manifest *m, const char *path,
                          const char *why, int not_stored);
int rh__manifest_set(char **field, const char *value);

/* A node's manifest, shared through `cache` by every reader of it
 * (catalog.c): a copy put less than fresh_ms ago is used as it is, an older
 * one while the stored object keeps its size and time (one HEAD instead of
 * a GET and a parse); else it is loaded and kept. Errors as
 * rh_node_manifest_load(). NULL cache: rh_node_manifest_load(). Give *out
 * back with rh__manifest_release(). */
int rh__manifest_load_shared(const rh_node_manifest **out, rh__frame_ref **ref,
                             rh_frame_cache *cache, rh_store *st,
                             const rh_session_ref *s, const char *node_id,
                             int64_t fresh_ms);
void rh__manifest_release(rh_frame_cache *cache, rh__frame_ref *ref,
                          const rh_node_manifest *m);

/* The reader of part i of f (borrowed from f), for a search that asks its
 * search filter (search.c). Errors as rh_logfile_read(). */
int rh__logfile_part(rh_seekable **out, rh_logfile *f, size_t i);

#endif
