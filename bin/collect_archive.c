/* collect_archive.c - rayhist-collect --archive: import an archive of Ray
 * session folders (archive.h) and say what was stored. */
#include "collect_archive.h"
#include "cli.h"
#include "collect_index.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct run {
	int quiet, verbose;
	rh_meter meter;
	rh_progress p;   /* bytes of the archive read, of its size if known */
	char **sessions; /* the sessions captured, each once */
	size_t nsessions;
};

static void
on_report(rh_capture_event ev, const char *path, const char *detail,
          void *payload)
{
	struct run *run = payload;

	if (ev == RH_CAPTURE_FILE_SKIPPED) {
		rh_meter_done(&run->meter); /* the warning's line */
		if (!run->quiet || strncmp(detail, "not stored", 10) == 0)
			rh_cli_warn("skipped %s: %s", path, detail);
	} else if (run->verbose) {
		printf("%s %s (%s)\n",
		       ev == RH_CAPTURE_FILE_REPLACED ? "replaced" : "stored",
		       path, detail);
	}
}

/* A session folder was captured: remember its session for the index. */
static void
on_session(const rh_session_ref *s, void *payload)
{
	struct run *run = payload;
	char **grown, *name;
	size_t i;

	for (i = 0; i < run->nsessions; i++)
		if (!strcmp(run->sessions[i], s->session))
			return;
	if (!(name = strdup(s->session)) ||
	    !(grown = realloc(run->sessions,
	                      (run->nsessions + 1) * sizeof(*grown)))) {
		free(name);
		rh_cli_warn("%s: out of memory: its index is left to the "
		            "first reader",
		            s->session);
		return;
	}
	run->sessions = grown;
	run->sessions[run->nsessions++] = name;
}

/* --ended: each session captured gets its index now (collect_index.h), as
 * a captured SESSION_DIR does; a failed build is a warning only. */
static void
index_sessions(struct run *run, rh_store *st, const rh_import_options *o,
               unsigned threads)
{
	size_t i;

	for (i = 0; i < run->nsessions; i++) {
		rh_session_ref r = { o->ns ? o->ns : RH_DEFAULT_NAMESPACE,
			             o->cluster, run->sessions[i] };

		rh_collect_index(st, &r, threads, run->quiet);
	}
}

/* The meter (on a terminal, without -q): bytes of the archive read. */
static void
on_progress(uint64_t read, uint64_t unpacked, void *payload)
{
	struct run *run = payload;

	(void)unpacked;
	run->p.bytes_done = read;
	rh_meter_update(&run->p, &run->meter);
}

int
rh_collect_archive(rh_store *st, const char *path, rh_import_options *o,
                   int quiet, int verbose, int build_index, unsigned threads)
{
	struct run run = { quiet, verbose, { 0 }, { 0, 0, 0, 0 }, NULL, 0 };
	rh_import_stats stats = RH_IMPORT_STATS_INIT;
	struct stat sb;
	int fd, error;

	if (!strcmp(path, "-"))
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", rh_cli_prog, path,
		        strerror(errno));
		return 1;
	}
	/* a file's size is the total; a pipe's is unknown (no ETA) */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		run.p.bytes_total = (uint64_t)sb.st_size;
	rh_meter_init(&run.meter, "importing archive", quiet);
	o->report = on_report;
	o->progress = on_progress;
	o->session_done = on_session;
	o->payload = &run;
	error = rh_archive_import(&stats, st, fd, path, o);
	if (error == 0) {
		/* the final state is always drawn, then erased for the summary */
		run.p.bytes_done = stats.bytes_read;
		rh_meter_final(&run.meter, &run.p);
	}
	rh_meter_done(&run.meter);
	if (fd)
		close(fd);
	if (!quiet && (error == 0 || stats.nodes))
		printf("%s: %" PRIu64 " entries, %" PRIu64
		       " node session%s, %" PRIu64 " event batches; %" PRIu64
		       " files, %" PRIu64 " new bytes stored as %" PRIu64
		       "; %" PRIu64 " skipped, %" PRIu64 " not stored\n",
		       path, stats.entries, stats.nodes,
		       stats.nodes == 1 ? "" : "s", stats.event_batches,
		       stats.total.files_seen, stats.total.bytes_new,
		       stats.total.bytes_stored, stats.total.files_skipped,
		       stats.total.files_not_stored);
	if (!quiet && stats.bytes_spilled)
		printf("%s: %" PRIu64 " bytes held in temporary files (past "
		       "--max-memory)\n",
		       path, stats.bytes_spilled);
	fflush(stdout);
	if (error < 0)
		fprintf(stderr, "%s: %s: %s\n", rh_cli_prog, path,
		        rh_error_last());
	if (o->ended && build_index)
		index_sessions(&run, st, o, threads);
	while (run.nsessions)
		free(run.sessions[--run.nsessions]);
	free(run.sessions);
	return error < 0 ? 1 : 0;
}
