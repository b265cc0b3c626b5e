/* search_internal.h - the line matcher under rh_search_session(): one per
 * thread (glibc's regexec() serialises callers of one regex_t on a lock). */
#ifndef RH_SEARCH_INTERNAL_H
#define RH_SEARCH_INTERNAL_H

#include "internal.h"
#include "seekable_filter.h"

#include <regex.h>

typedef struct rh__matcher {
	int regex; /* 0: a fixed string, searched with memmem() */
	int icase;
	char *pat; /* the fixed string, lower-cased with icase */
	size_t plen;
	regex_t re;
	char *lit; /* regex: bytes every match holds (lower-cased
				with icase), NULL if none is known */
	size_t llen;
	rh_buf low; /* scratch: a lower-cased copy of the text */
} rh__matcher;

/* Compile `pattern` (RH_SEARCH_* flags). A regex without special
 * characters is searched as a fixed string: same lines, much faster.
 * Returns 0, RH_EINVAL (the message is regerror()'s), RH_ENOMEM. */
int rh__matcher_init(rh__matcher *m, const char *pattern, unsigned flags);
void rh__matcher_dispose(rh__matcher *m);

/* The longest run of bytes every match of `pattern` (a BRE, or an ERE
 * with `ere`) must hold, lower-cased with `icase`; *out NULL and *len 0
 * when none is certain (alternation, back-references, GNU escapes, ...).
 * A regex search looks for it with memmem() and runs regexec() only on
 * the lines that hold it. Returns 0 or RH_ENOMEM. */
int rh__regex_literal(char **out, size_t *len, const char *pattern, int ere,
                      int icase);

/* Called with each matching line [ls, le) of a region (le: its '\n' or the
 * region's end); non-zero stops the scan and is returned. */
typedef int (*rh__match_cb)(size_t ls, size_t le, void *payload);

/* Report the matching lines of buf[0..len), which holds whole lines (the
 * last may lack its '\n'), in order. Returns 0, the callback's value, or
 * RH_ENOMEM. */
int rh__matcher_scan(rh__matcher *m, const char *buf, size_t len,
                     rh__match_cb cb, void *payload);

/* Does the one line [line, line+len) (no '\n' in it) match? 1, 0, or
 * RH_ENOMEM. */
int rh__matcher_line(rh__matcher *m, const char *line, size_t len);

#include "lines.h" /* rh__count_nl */

/* ---- the search (search.c) and its reporting (search_report.c) ---------- */

#include <pthread.h>

struct sfile {
	const rh_node_manifest *m;
	const rh_file_info *info;
	uint64_t end; /* bytes to search: size, or at --at */
};

struct hit {
	uint64_t off;     /* of the line in its file */
	uint64_t rel;     /* '\n's in the chunk before the line */
	size_t tpos, len; /* its bytes in unit.text */
};

struct unit {
	size_t file;
	size_t part; /* of the file, holding the whole unit */
	int skipped; /* its frame's search filter ruled the
				      pattern out: head, tail and nl come
				      from the filter, nothing was read */
	uint64_t off, end;
	int done, error;
	uint64_t nl; /* '\n's in the chunk */
	rh_buf head; /* bytes before the first '\n' (all
				      bytes when there is none) */
	rh_buf tail; /* bytes after the last '\n' */
	rh_buf text; /* the matching lines' bytes */
	struct hit *hits;
	size_t nhits, cap;
	char *errmsg;
	size_t held; /* result bytes it holds */
};

struct search {
	rh_store *st;
	const rh_session_ref *s;
	const char *pattern;
	unsigned flags;
	rh__filter_query q; /* what a frame must hold to match */
	struct sfile *files;
	size_t nfiles;
	struct unit *units;
	size_t nunits;
	pthread_mutex_t lock;
	pthread_cond_t cv_done, cv_space;
	size_t next;     /* the next unit to hand out */
	size_t reported; /* units reported so far */
	size_t held;     /* result bytes of done, unreported units */
	int stop;
};

static inline void
rh__search_unit_dispose(struct unit *u)
{
	rh_buf_dispose(&u->head);
	rh_buf_dispose(&u->tail);
	rh_buf_dispose(&u->text);
	free(u->hits);
	free(u->errmsg);
	u->hits = NULL;
	u->errmsg = NULL;
}

/* Report the units in order as workers finish them, on the caller's
 * thread; returns 0, a negative code, or the callback's value. Sets
 * se->stop (under se->lock) when done early. Fills *stats as its version
 * allows (NULL: not at all). */
int rh__search_report(struct search *se, const rh_search_options *o,
                      rh_search_stats *stats, rh_search_cb cb, void *payload);

#endif
