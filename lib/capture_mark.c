/* capture_mark.c - a node's generation mark (marks.h): advanced at the end
 * of a commit whenever what the session index reads of this node changed.
 *
 * The index reads a node's event files (logs/events/, logs/export_events/:
 * their parts), the names of its files (workers' logs, and whether they
 * moved to logs/old/) and the head of logs/raylet.out. The mark's
 * generation is a digest of exactly that, taken from the follower's state,
 * so a log that only grows leaves the mark (and the index) alone, and a
 * restarted follower with nothing new rewrites nothing. Deleted objects
 * (truncated files' parts, a crashed run's strays) also advance it. */
#include "follow_internal.h"
#include "marks.h"
#include "sha256.h"

#include <stdio.h>

#define RAYLET_HEAD (64u << 10) /* as index_session.c reads it */

static int
is_event_path(const char *path)
{
	return !strncmp(path, "logs/events/", 12) ||
	       !strncmp(path, "logs/export_events/", 19);
}

static void
state_gen(char gen[33], const rh_follow *f)
{
	rh_sha256 sha;
	uint8_t d[32];
	char line[96];
	size_t i, j;

	rh__sha256_init(&sha);
	rh__sha256_update(&sha, "rayhist-node-mark-1\n", 20);
	for (i = 0; i < f->s->nfiles; i++) {
		const rh__ffile *e = f->s->files[i];

		rh__sha256_update(&sha, e->path, strlen(e->path) + 1);
		if (is_event_path(e->path)) {
			rh__sha256_update(&sha, e->obj, strlen(e->obj) + 1);
			for (j = 0; j < e->nparts; j++) {
				snprintf(
					line, sizeof(line), "%llu+%llu\n",
					(unsigned long long)e->parts[j].offset,
					(unsigned long long)e->parts[j].length);
				rh__sha256_update(&sha, line, strlen(line));
			}
		} else if (!strcmp(e->path, "logs/raylet.out")) {
			snprintf(line, sizeof(line), "%llu\n",
			         (unsigned long long)(e->size < RAYLET_HEAD ?
			                                      e->size :
			                                      RAYLET_HEAD));
			rh__sha256_update(&sha, line, strlen(line));
		}
	}
	snprintf(line, sizeof(line), "deleted %llu\n",
	         (unsigned long long)f->mark_deleted);
	rh__sha256_update(&sha, line, strlen(line));
	rh__sha256_final(&sha, d);
	for (i = 0; i < 16; i++)
		snprintf(gen + 2 * i, 3, "%02x", d[i]);
}

int
rh__follow_mark(rh_follow *f)
{
	char gen[33], writer[140];
	rh_buf prefix = RH_BUF_INIT;
	int error;

	if (!f->s)
		return 0;
	state_gen(gen, f);
	snprintf(writer, sizeof(writer), "node-%s", f->s->node_id);
	if ((error = rh_layout_session_prefix(&prefix, &f->sref)) == 0)
		error = rh__mark_advance(f->st, prefix.ptr, writer, gen,
		                         f->mark_last);
	rh_buf_dispose(&prefix);
	return error;
}
