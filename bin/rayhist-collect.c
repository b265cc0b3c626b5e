/* rayhist-collect - capture a Ray session directory into a store. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

#include "cli.h"

enum { OPT_STORE = 256, OPT_CLUSTER, OPT_NS, OPT_NODE_ID, OPT_FRAME, OPT_LEVEL,
       OPT_THREADS };

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL", "store to write to (file path, file://, s3://)" },
	{ OPT_CLUSTER, "cluster", "NAME", "name of the Ray cluster (required)" },
	{ OPT_NS, "namespace", "NS", "namespace of the cluster (default: default)" },
	{ OPT_NODE_ID, "node-id", "HEX", "node id, instead of reading the raylet's log" },
	{ OPT_FRAME, "frame-size", "BYTES", "raw bytes per compressed frame (default 4194304)" },
	{ OPT_LEVEL, "level", "N", "zstd compression level (default 3)" },
	{ OPT_THREADS, "threads", "N", "compression threads for large files (default: CPUs)" },
	{ 'q', "quiet", NULL, "print only errors" },
	{ 'v', "verbose", NULL, "print every file stored or skipped" },
	{ 0, NULL, NULL, NULL }
};

struct run {
	int verbose, quiet;
};

static void
on_report(rh_capture_event ev, const char *path, const char *detail,
	  void *payload)
{
	struct run *run = payload;

	if (ev == RH_CAPTURE_FILE_SKIPPED) {
		if (!run->quiet)
			rh_cli_warn("skipped %s: %s", path, detail);
	} else if (run->verbose) {
		printf("%s %s (%s)\n", ev == RH_CAPTURE_FILE_REPLACED ? "replaced"
								     : "stored",
		       path, detail);
	}
}

int
main(int argc, char **argv)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_capture_stats stats;
	struct run run = { 0, 0 };
	const char *store_flag = NULL, *arg, *url;
	rh_store *st = NULL;
	rh_cli cli;
	int c, error;

	rh_cli_init(&cli, "rayhist-collect",
		    "[--store URL] --cluster NAME [--namespace NS] [--node-id HEX] SESSION_DIR",
		    "Capture a Ray session directory (or its session_latest link) into a\n"
		    "rayhist store. Files that grew since the last capture ship only their\n"
		    "new bytes; sockets, lock files and links leaving the session are skipped\n"
		    "and reported.",
		    options, argc, argv);
	while ((c = rh_cli_next(&cli, &arg)) != -1) {
		switch (c) {
		case OPT_STORE: store_flag = arg; break;
		case OPT_CLUSTER: o.cluster = arg; break;
		case OPT_NS: o.ns = arg; break;
		case OPT_NODE_ID: o.node_id = arg; break;
		case OPT_FRAME:
			o.frame_size = (size_t)rh_cli_number("--frame-size", arg);
			if (o.frame_size == 0 || o.frame_size > RH_SEEKABLE_MAX_FRAME_SIZE)
				rh_cli_usage_die("--frame-size must be 1 to %u bytes",
						 RH_SEEKABLE_MAX_FRAME_SIZE);
			break;
		case OPT_LEVEL:
			o.level = (int)rh_cli_number("--level", arg);
			if (o.level < 1 || o.level > 19)
				rh_cli_usage_die("--level must be 1 to 19");
			break;
		case OPT_THREADS:
			o.workers = (unsigned)rh_cli_number("--threads", arg);
			if (o.workers < 1 || o.workers > 64)
				rh_cli_usage_die("--threads must be 1 to 64");
			break;
		case 'q': run.quiet = 1; break;
		case 'v': run.verbose = 1; break;
		}
	}
	if (!o.cluster)
		rh_cli_usage_die("--cluster NAME is required");
	if (optind != argc - 1)
		rh_cli_usage_die("give exactly one SESSION_DIR");
	o.report = on_report;
	o.payload = &run;
	url = rh_store_default_url(store_flag);
	if ((error = rh_store_open(&st, url, NULL)) < 0)
		rh_cli_die(error, "%s", url);
	if ((error = rh_capture_session(&stats, st, argv[optind], &o)) < 0)
		rh_cli_die(error, "%s", argv[optind]);
	if (!run.quiet)
		printf("%s/%s/%s node %s: %" PRIu64 " files, %" PRIu64
		       " with new bytes; %" PRIu64 " new bytes stored as %" PRIu64
		       "; %" PRIu64 " skipped\n",
		       o.ns ? o.ns : RH_DEFAULT_NAMESPACE, o.cluster, stats.session,
		       stats.node_id, stats.files_seen, stats.files_stored,
		       stats.bytes_new, stats.bytes_stored, stats.files_skipped);
	rh_store_close(st);
	rh_cli_free(&cli);
	return 0;
}
