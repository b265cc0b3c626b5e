/* collect_archive.c - rayhist-collect --archive: import an archive of Ray
 * session folders (archive.h) and say what was stored. */
#include "collect_archive.h"
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct run {
	int quiet, verbose;
	rh_meter meter;
	rh_progress p; /* bytes of the archive read, of its size if known */
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
                   int quiet, int verbose)
{
	struct run run = { quiet, verbose, { 0 }, { 0, 0, 0, 0 } };
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
	if (error < 0) {
		fprintf(stderr, "%s: %s: %s\n", rh_cli_prog, path,
		        rh_error_last());
		return 1;
	}
	return 0;
}
