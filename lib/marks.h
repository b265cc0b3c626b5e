/* marks.h - a session's generation marks (marks.c): how writers of event
 * objects tell readers that something changed, in one listing of a few
 * objects instead of a listing of every event object.
 *
 * Each writer owns one mark, "<prefix>marks/WRITER@GEN" (layout.h). After
 * it has put event objects (or replaced or deleted them) it puts a mark
 * with a new GEN, then deletes its previous one. A reader lists marks/ and
 * hashes the names: the index records that digest, and is current while
 * the digest is the same. The mark is the commit point of the objects it
 * covers: a writer that dies between its objects and its mark leaves them
 * unannounced until its restart re-does the work and advances the mark
 * (the follower re-ships from its checkpoint, the receiver re-ships its
 * spool, an import is run again); an index built meanwhile from a listing
 * may already hold them, which is never wrong.
 *
 * Why one mark per writer and not one counter per session: several
 * collectors (one per node) and a receiver write into one session at once,
 * and an object store has no atomic increment; a shared counter would be a
 * read-modify-write that loses updates. With one object per writer no two
 * writers ever write the same key, and the reader's cost is one listing of
 * as many entries as there are writers, whatever the number of event
 * objects. */
#ifndef RH_MARKS_H
#define RH_MARKS_H

#include "internal.h"

#define RH__MARK_KEY_MAX 1200

/* The marks of a session as one listing saw them. */
typedef struct rh__marks {
	char **names; /* "WRITER@GEN", in key order */
	size_t n;
	uint8_t digest[32]; /* SHA-256 over the names */
} rh__marks;

/* List "<prefix>marks/". @return 0, RH_EINVAL, RH_EIO, RH_ENOMEM. */
int rh__marks_list(rh__marks *out, rh_store *st, const char *prefix);
void rh__marks_dispose(rh__marks *m);
/* 1 if some mark belongs to `writer`. */
int rh__marks_has_writer(const rh__marks *m, const char *writer);

/*
 * Advance `writer`'s mark of the session under `prefix` to `gen`: put the
 * new mark, delete the writer's older ones (its previous one, `last`, or on
 * a writer's first advance every other mark of that writer), and when the
 * session is marked ended delete its index, which readers never re-check
 * once it was built after the end mark. `last` (capacity RH__MARK_KEY_MAX)
 * holds the writer's current mark key between calls; "" at first. Nothing
 * is written when `last` already is that mark.
 * @return 0, RH_EINVAL, RH_EIO, RH_ENOMEM.
 */
int rh__mark_advance(rh_store *st, const char *prefix, const char *writer,
                     const char *gen, char *last);

/* The mark a reader leaves on a session written before marks existed,
 * once a listing showed its index current after the session's end mark:
 * "verified-ended@GEN", GEN the first 16 hex digits of the index's
 * listing fingerprint. It stands for no writer. The put is best effort. */
#define RH__MARK_VERIFIED "verified-ended"
void rh__mark_verified_ended(rh_store *st, const char *prefix, const char *gen);

/* A generation no earlier call made: the wall clock in ns and 32 random
 * bits, in 24 hex digits. */
void rh__mark_new_gen(char out[25]);
/* 16 random hex digits (a writer id). */
void rh__mark_random_hex(char out[17]);

#endif
