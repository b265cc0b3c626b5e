/* archive_import.h - what the import's files share (archive.h): the
 * entries read so far, the session folders found, and the steps from one
 * to the other. archive_import.c reads and holds entries;
 * archive_nodes.c captures the session folders from what is held. */
#ifndef RH_ARCHIVE_IMPORT_H
#define RH_ARCHIVE_IMPORT_H

#include "archive_source.h"

#include <rayhist/archive.h>

struct archive;

#define EXPORT_DIR "rayhist-export"

enum { K_FILE = RH__AK_FILE, K_DIR = RH__AK_DIR, K_LINK = RH__AK_LINK };

/* One name of the archive. */
struct slot {
	char *path;              /* NULL: a free slot */
	char *target;            /* a symbolic link's */
	uint64_t seq;            /* the entry that last gave it */
	int fd;                  /* a file's bytes, or -1 */
	unsigned char kind;      /* K_FILE, K_DIR, K_LINK */
	unsigned char in_memory; /* fd is a memfd */
};

/* How an archive is read: a file is read twice, first to check every
 * entry and find its session folders, their node ids and where each one
 * ends, then to capture each folder as soon as its last entry is read and
 * let its entries go; a pipe once, every entry held to the end. Either
 * way nothing is stored unless every entry is accepted. */
enum { ONE = 0, SURVEY, HOLD };

/* A session folder: its last entry, its node id (found by the survey). */
struct node {
	char *dir;
	uint64_t last;
	char id[130];
	int done;
};

/* A hard link, made once every file is held. */
struct link {
	char *path, *target;
};

struct imp {
	struct archive *a;
	const rh_import_options *o;
	rh_import_stats *stats;
	const char *tmpdir; /* where bytes past max_memory go */
	uint64_t max_entry, max_total, ratio, max_memory;
	uint64_t in_memory; /* bytes held in memfds */
	struct slot *slots; /* every name, folders implied by a path
				     included (open addressing) */
	size_t nnames, cap;
	int pass;      /* SURVEY, HOLD (then capture node by node)
				     or ONE (hold everything) */
	uint64_t seq;  /* entries read so far */
	uint64_t size; /* of the archive, read twice */
	rh_store *st;
	struct node *nodes; /* session folders, as the survey found */
	size_t nnodes;
	struct link *links;
	size_t nlinks, alinks;
	rh__atree tree;  /* the names, sorted, once all are read */
	int first_error; /* a node with paths not stored */
	int64_t last_progress;
};

/* Resolve the hard links below `dir` (NULL: all), each once. */
int rh_archive__make_links(struct imp *im, const char *dir);
/* Every name, sorted. With `move` the names move into t; else t borrows
 * them (free only t->v). */
int rh_archive__make_tree(rh__atree *t, struct imp *im, int move);
/* The session folders of t, their node ids and last entries. */
int rh_archive__plan_nodes(struct imp *im, const rh__atree *t);
/* Second read of a file: capture the nodes whose last entry went by. */
int rh_archive__capture_ended(struct imp *im);
/* A pipe, read once: capture every node from im->tree. */
int rh_archive__capture_all(struct imp *im);
/* An export's event batches, stored back under their names. */
int rh_archive__store_events(struct imp *im, rh_store *st);

#endif
