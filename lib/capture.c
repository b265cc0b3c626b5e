/* capture.c - one-shot capture of a Ray session directory (capture.h).
 *
 * A one-shot capture is one pass of the follower (follow_internal.h): the
 * node manifest in the store is its state, one full scan matches the files
 * on disk to it, every new byte is shipped, then the node manifest and the
 * session manifest are written. Parts go first: a manifest never lists a
 * part that is not stored, and a capture cut short is simply redone by the
 * next run, which rewrites the same part names. Every rule (what a file
 * is, rotation, truncation, skips, the end mark) is the follower's. */
#include "follow_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* The node id: capture_nodeid.c (rh_capture_node_id). */

struct once {
	const rh_capture_options *opts;
};

/* The follower's reports, as capture.h names them. */
static void
on_report(rh_follow_event ev, const char *path, const char *detail,
          void *payload)
{
	struct once *o = payload;

	if (!o->opts->report)
		return;
	if (ev == RH_FOLLOW_FILE_SHIPPED)
		o->opts->report(RH_CAPTURE_FILE_STORED, path, detail,
		                o->opts->payload);
	else if (ev == RH_FOLLOW_FILE_SKIPPED)
		o->opts->report(RH_CAPTURE_FILE_SKIPPED, path, detail,
		                o->opts->payload);
	else if (ev == RH_FOLLOW_FILE_REPLACED)
		o->opts->report(RH_CAPTURE_FILE_REPLACED, path, detail,
		                o->opts->payload);
}

static void
fill_stats(rh_capture_stats *out, const rh_follow *f)
{
	size_t i;

	snprintf(out->session, sizeof(out->session), "%s", f->session);
	snprintf(out->node_id, sizeof(out->node_id), "%s", f->stats.node_id);
	out->files_seen = f->scan_files;
	out->files_stored = f->files_shipped;
	out->files_skipped = f->nskipped + f->nunread;
	out->files_not_stored = rh__follow_not_stored(f);
	out->parts_written = f->stats.parts_written;
	out->bytes_new = f->stats.bytes_shipped;
	out->bytes_stored = f->stats.bytes_stored;
	for (i = 0; f->s && i < f->s->nfiles; i++)
		if (!f->s->files[i]->gone)
			out->bytes_total += f->s->files[i]->size;
}

/* Everything stored but some paths: say which, after the manifests that
 * list them are written. */
static int
partial(const rh_follow *f, const rh_capture_stats *stats)
{
	const rh__skip *first = NULL;
	size_t i;

	for (i = 0; !first && i < f->nskipped; i++)
		if (f->skipped[i].not_stored)
			first = &f->skipped[i];
	if (!first && f->nunread)
		first = &f->unread[0];
	return rh__error(RH_EIO,
	                 "%" PRIu64 " path%s not stored (%s: %s%s); "
	                 "the rest is stored",
	                 stats->files_not_stored,
	                 stats->files_not_stored == 1 ? "" : "s",
	                 first ? first->path : "?", first ? first->why : "?",
	                 stats->files_not_stored > 1 ? ", ..." : "");
}

/* One pass over folder `dir`, or over session `name` of file source `src`
 * (follow_source.h). */
static int
capture(rh_capture_stats *stats, rh_store *st, const char *dir, rh__fsrc *src,
        const char *name, const rh_capture_options *opts)
{
	rh_follow_options fo = RH_FOLLOW_OPTIONS_INIT;
	rh_capture_stats local;
	rh_follow *f = NULL;
	struct once o;
	unsigned workers;
	int error;

	if (stats &&
	    (error = rh__version_check(stats->version, RH_CAPTURE_STATS_VERSION,
	                               "rh_capture_stats")) < 0)
		return error;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	stats->version = RH_CAPTURE_STATS_VERSION;
	if (!st || (!dir && !src) || !opts ||
	    opts->version != RH_CAPTURE_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "capture: missing store, directory "
		                            "or options");
	if (!opts->cluster)
		return rh__error(RH_EINVAL, "capture: no cluster name given");
	o.opts = opts;
	fo.ns = opts->ns;
	fo.cluster = opts->cluster;
	fo.node_id = opts->node_id;
	fo.frame_size = opts->frame_size;
	fo.level = opts->level;
	fo.report = on_report;
	fo.payload = &o;
	workers = opts->workers;
	if (!workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		workers = n > 0 ? (unsigned)(n > 16 ? 16 : n) : 1;
	}
	if ((error = rh__follow_open_once(&f, st, &fo, workers)) < 0)
		return error;
	error = src ? rh__follow_once_src(f, src, name, opts->ended) :
	              rh__follow_once(f, dir, opts->ended);
	fill_stats(stats, f);
	if (error == 0 && stats->files_not_stored)
		error = partial(f, stats);
	rh_follow_close(f);
	return error;
}

RH_EXTERN int
rh_capture_session(rh_capture_stats *stats, rh_store *st, const char *dir,
                   const rh_capture_options *opts)
{
	return capture(stats, st, dir, NULL, NULL, opts);
}

int
rh__capture_session_src(rh_capture_stats *stats, rh_store *st, rh__fsrc *src,
                        const char *name, const rh_capture_options *opts)
{
	return capture(stats, st, NULL, src, name, opts);
}
