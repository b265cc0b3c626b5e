/* collect_events.c - `rayhist-collect --events`: store RayEvent batches
 * (JSON arrays or JSON lines, plain, .gz or .zst) into a session as event
 * objects named by their content, so re-ingesting a file adds nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

#include "cli.h"
#include "collect_events.h"

/* Batches come from a file or stdin ("-"); they are held whole because a
 * batch is one object (Ray posts at most 10,000 events, a few MiB). */
static int
slurp(rh_buf *out, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[1 << 16];
	size_t n;
	int error = 0;

	if (!fp) {
		rh_cli_warn("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((error = rh_buf_put(out, chunk, n)) < 0)
			break;
	if (ferror(fp)) {
		rh_cli_warn("%s: read error", path);
		error = -1;
	}
	if (fp != stdin)
		fclose(fp);
	return error;
}

int
rh_collect_events(rh_store *st, const rh_session_ref *s, char **files,
		  int nfiles, int quiet)
{
	rh_buf prefix = RH_BUF_INIT, data = RH_BUF_INIT, key = RH_BUF_INIT;
	int i, added, error, failed = 0, nadded = 0;

	if ((error = rh_layout_session_prefix(&prefix, s)) < 0)
		rh_cli_die(error, "bad session");
	for (i = 0; i < nfiles; i++) {
		rh_buf_clear(&data);
		rh_buf_clear(&key);
		if (slurp(&data, files[i]) < 0) {
			failed++;
			continue;
		}
		/* A bad file is reported and skipped; the others still go in. */
		if ((error = rh_events_ingest(&key, &added, st, prefix.ptr,
					      files[i], data.ptr ? data.ptr : "",
					      data.size)) < 0) {
			rh_cli_warn("%s: %s", files[i], rh_error_last());
			failed++;
			continue;
		}
		nadded += added;
		if (!quiet)
			printf("%s: %s %s\n", files[i], added ? "stored as" : "already stored as",
			       key.ptr);
	}
	/* Announce the objects to readers (marks.h): one generation mark per
	 * import run, after all its objects. Objects found already stored
	 * count too: an import killed before its mark left them unannounced. */
	if (failed < nfiles && (error = rh_events_announce(st, prefix.ptr)) < 0) {
		rh_cli_warn("%s: %s", prefix.ptr, rh_error_last());
		failed++;
	}
	if (!quiet)
		printf("%s/%s/%s: %d of %d event files new, %d failed\n", s->ns,
		       s->cluster, s->session, nadded, nfiles, failed);
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&data);
	rh_buf_dispose(&key);
	return failed ? 1 : 0;
}
