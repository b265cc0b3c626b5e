/* archive_source.h - an archive's entries, held, as a file source
 * (follow_source.h) for the capture engine (archive_import.c).
 *
 * Every name of the archive is in the tree, folders implied by a path
 * included, sorted by strcmp(): a folder's entries are the names right
 * after "FOLDER/". A file's bytes are in a descriptor (memfd, or an
 * unnamed temporary file); a symbolic link keeps its target as the archive
 * gave it; hard links are files sharing their target's descriptor. */
#ifndef RH_ARCHIVE_SOURCE_H
#define RH_ARCHIVE_SOURCE_H

#include "follow_source.h"

#include <stdint.h>

enum { RH__AK_FILE = 0, RH__AK_DIR = 1, RH__AK_LINK = 2 };

typedef struct rh__aent {
	char *path;   /* clean, relative to the archive's root */
	int kind;     /* RH__AK_* */
	int fd;       /* a file's bytes; -1 for the rest */
	char *target; /* a symbolic link's */
	uint64_t seq; /* the archive entry that last gave it */
} rh__aent;

typedef struct rh__atree {
	rh__aent *v; /* sorted by path */
	size_t n;
} rh__atree;

/* The entry named `path`, or -1. */
long rh__atree_find(const rh__atree *t, const char *path);

/* One session folder (`prefix`, a folder of the tree) as a source;
 * `shown` names it in messages. Borrows the tree and the strings. */
typedef struct rh__asrc {
	rh__fsrc base;
	const rh__atree *t;
	const char *prefix;
	size_t plen;
} rh__asrc;

void rh__asrc_init(rh__asrc *s, const rh__atree *t, const char *prefix);

#endif
