/* collect_progress.c - rayhist-collect's capture meter (collect_progress.h). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect_progress.h"

/* nftw() has no payload: the totals being summed (one walk at a time). */
static rh_progress *walk_totals;

static int
walk_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(sb->st_mode)) {
		walk_totals->files_total++;
		walk_totals->bytes_total += (uint64_t)sb->st_size;
	}
	return 0;
}

void
collect_progress_start(struct collect_progress *cp, const char *dir, int quiet)
{
	char real[PATH_MAX];

	memset(cp, 0, sizeof(*cp));
	rh_meter_init(&cp->meter, "capturing", quiet);
	if (!cp->meter.on)
		return; /* no terminal: no walk either */
	/* session_latest is a link: walk where it points, not into links */
	snprintf(cp->dir, sizeof(cp->dir), "%s",
	         realpath(dir, real) ? real : dir);
	walk_totals = &cp->p;
	nftw(cp->dir, walk_cb, 16, FTW_PHYS);
	walk_totals = NULL;
}

void
collect_progress_file(struct collect_progress *cp, const char *path)
{
	char full[4096 + 1024];
	struct stat sb;

	if (!cp->meter.on)
		return;
	snprintf(full, sizeof(full), "%s/%s", cp->dir, path);
	cp->p.files_done++;
	if (lstat(full, &sb) == 0 && S_ISREG(sb.st_mode))
		cp->p.bytes_done += (uint64_t)sb.st_size;
	if (cp->p.bytes_done > cp->p.bytes_total) /* files grew meanwhile */
		cp->p.bytes_total = cp->p.bytes_done;
	if (cp->p.files_done > cp->p.files_total)
		cp->p.files_total = cp->p.files_done;
	rh_meter_update(&cp->p, &cp->meter);
}

void
collect_progress_pause(struct collect_progress *cp)
{
	rh_meter_done(&cp->meter);
}

void
collect_progress_done(struct collect_progress *cp)
{
	/* The last state is drawn whatever the redraw interval (and after a
	 * warning paused the meter), so a capture quicker than one interval
	 * still ends on its real count. */
	if (cp->meter.on && cp->p.files_done > 0) {
		cp->meter.last_ms = cp->meter.start_ms - 1000000;
		rh_meter_update(&cp->p, &cp->meter);
	}
	rh_meter_done(&cp->meter);
}
