/* collect_index.c - the session's index, built by the collector that marks
 * the session ended: the final state written at the source, as Spark's
 * snapshots and ByteDance's UIMeta do, so that no reader ever replays the
 * events of a finished session. The build is the one rayhist-ls and
 * rayhist-serve run (rh_index_refresh()), and the index it writes after
 * the end mark is final for them: they open it without checking it
 * against the event objects again (rayhist-store(5), "marks"). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "collect_index.h"
#include "progress.h"

int
rh_collect_index(rh_store *st, const rh_session_ref *s, unsigned threads,
                 int quiet)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_event_stats es;
	rh_buf prefix = RH_BUF_INIT;
	rh_index *ix = NULL;
	rh_meter meter;
	uint64_t nwarn, i;
	int64_t t0 = rh_cli_mono_ms();
	int error, rebuilt = 0;

	memset(&es, 0, sizeof(es));
	if ((error = rh_layout_session_prefix(&prefix, s)) < 0) {
		rh_cli_warn("index not built: %s", rh_error_last());
		return 1;
	}
	rh_meter_init(&meter, "indexing the session's events", quiet);
	ro.progress = rh_meter_update;
	ro.progress_payload = &meter;
	ro.threads = threads;
	ro.stats = &es;
	error = rh_index_refresh_open(&ix, &rebuilt, st, prefix.ptr, &ro, NULL);
	rh_meter_done(&meter);
	if (error < 0) {
		/* Nothing captured is touched by a failed build: say so, and
		 * who builds it instead. */
		rh_cli_warn("%s: index not built (the capture is stored; "
		            "rayhist-serve and rayhist-ls build the index on "
		            "first open): %s",
		            prefix.ptr, rh_error_last());
		rh_buf_dispose(&prefix);
		return 1;
	}
	nwarn = rh_index_warning_count(ix);
	if (!quiet)
		printf("%s: index %s: %" PRIu64 " task attempts, %" PRIu64
		       " actors, %" PRIu64 " jobs; %" PRIu64 " event bytes read"
		       " in %.2f s%s\n",
		       prefix.ptr, rebuilt ? "built" : "already current",
		       rh_index_count(ix, RH_ENTITY_TASK),
		       rh_index_count(ix, RH_ENTITY_ACTOR),
		       rh_index_count(ix, RH_ENTITY_JOB), (uint64_t)es.bytes,
		       (double)(rh_cli_mono_ms() - t0) / 1000.0,
		       nwarn ? "; with warnings" : "");
	fflush(stdout);
	/* what a reader would show beside the rows: say it here first */
	for (i = 0; i < nwarn && i < RH_INDEX_MAX_WARNINGS; i++)
		rh_cli_warn("index: %s", rh_index_warning(ix, (size_t)i));
	if (nwarn > RH_INDEX_MAX_WARNINGS)
		rh_cli_warn("index: %" PRIu64 " more warnings",
		            nwarn - RH_INDEX_MAX_WARNINGS);
	rh_index_close(ix);
	rh_buf_dispose(&prefix);
	return 0;
}
