/* rayhist-collect - capture a Ray session directory into a store. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rayhist/rayhist.h>

#include "cli.h"
#include "collect_progress.h"
#include "collect_follow.h"
#include "collect_events.h"
#include "collect_archive.h"
#include "collect_index.h"

enum {
	OPT_STORE = 256,
	OPT_STORE_CONFIG,
	OPT_CLUSTER,
	OPT_NS,
	OPT_NODE_ID,
	OPT_FRAME,
	OPT_LEVEL,
	OPT_THREADS,
	OPT_ENDED,
	OPT_NO_INDEX
};
/* --events mode (collect_events.c) */
enum { OPT_SESSION = 300, OPT_EVENTS };
/* --follow mode (collect_follow.c) */
enum {
	OPT_FOLLOW = 320,
	OPT_ROLE,
	OPT_RAY_ROOT,
	OPT_STATE_DIR,
	OPT_FLUSH,
	OPT_LISTEN,
	OPT_DRAIN,
	OPT_SPOOL_CAP,
	OPT_MAX_BODY,
	OPT_EVENTS_TOKEN,
	OPT_PACK
};
/* --archive mode (collect_archive.c) */
enum {
	OPT_ARCHIVE = 340,
	OPT_STAGING,
	OPT_MAX_RATIO,
	OPT_MAX_ENTRY,
	OPT_MAX_TOTAL,
	OPT_MAX_MEMORY
};

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL",
	  "store to write to (file path, file://, s3://, az://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE",
	  "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	{ OPT_CLUSTER, "cluster", "NAME",
	  "name of the Ray cluster (required)" },
	{ OPT_NS, "namespace", "NS",
	  "namespace of the cluster (default: default)" },
	{ OPT_NODE_ID, "node-id", "HEX",
	  "the node's full id (56 hex digits), instead of the raylet's own lines" },
	{ OPT_FRAME, "frame-size", "BYTES",
	  "raw bytes per compressed frame (default 4194304)" },
	{ OPT_LEVEL, "level", "N", "zstd compression level (default 3)" },
	{ OPT_THREADS, "threads", "N",
	  "files stored at once, and frame threads of a big file; with --events, files ingested at once; with --ended, event parsers of the index build (default: CPUs)" },
	{ OPT_ENDED, "ended", NULL,
	  "the session has ended (the cluster is gone): mark it so, ending at its last file write, and build its index; also with --events" },
	{ OPT_NO_INDEX, "no-index", NULL,
	  "with --ended or --follow on the head: leave the index to the first reader" },
	{ OPT_FOLLOW, "follow", NULL,
	  "run beside a live Ray node until SIGTERM (no SESSION_DIR)" },
	{ OPT_ROLE, "role", "ROLE",
	  "follow: head or worker (default: head if it runs the GCS)" },
	{ OPT_RAY_ROOT, "ray-root", "DIR",
	  "follow: Ray's temp root (default /tmp/ray)" },
	{ OPT_STATE_DIR, "state-dir", "DIR",
	  "follow: checkpoint and event spool (default RAY_ROOT/rayhist-state)" },
	{ OPT_FLUSH, "flush-interval", "SECONDS",
	  "follow: ship new bytes at least this often (default 5)" },
	{ OPT_LISTEN, "events-listen", "ADDR:PORT",
	  "follow: receive Ray's events here, or off (default 0.0.0.0:8084)" },
	{ OPT_EVENTS_TOKEN, "events-token-file", "FILE",
	  "follow: require the token in FILE of event POSTs (Bearer or ?token=)" },
	{ OPT_DRAIN, "drain-timeout", "SECONDS",
	  "follow: on SIGTERM, finish within this (default 25)" },
	{ OPT_SPOOL_CAP, "spool-cap", "BYTES",
	  "follow: event spool size before 503 (default 268435456)" },
	{ OPT_MAX_BODY, "events-max-body", "BYTES",
	  "follow: larger event POSTs get 413 (default 33554432)" },
	{ OPT_PACK, "events-pack-interval", "SECONDS",
	  "follow: store received batches together once the oldest is this old (default 30; 0: every flush)" },
	{ OPT_EVENTS, "events", NULL,
	  "store the FILEs (RayEvent batches: JSON array or lines, .gz, .zst, - for stdin) into --session" },
	{ OPT_SESSION, "session", "NAME",
	  "events: the session the batches belong to" },
	{ OPT_ARCHIVE, "archive", "FILE",
	  "import the Ray session folders in a tar (.gz .bz2 .xz .zst), zip or 7z archive (- for stdin)" },
	{ OPT_STAGING, "staging-dir", "DIR",
	  "archive: where entries past --max-memory are held, in unnamed files (default $TMPDIR or /tmp)" },
	{ OPT_MAX_MEMORY, "max-memory", "BYTES",
	  "archive: bytes of entries held in memory at a time, the rest in unnamed files (default 268435456)" },
	{ OPT_MAX_RATIO, "max-ratio", "N",
	  "archive: refuse archives unpacking to more than N times their size (default 1000)" },
	{ OPT_MAX_ENTRY, "max-entry", "BYTES",
	  "archive: refuse entries larger than this (default 68719476736)" },
	{ OPT_MAX_TOTAL, "max-total", "BYTES",
	  "archive: refuse archives unpacking to more than this (default 274877906944)" },
	{ 'q', "quiet", NULL, "print only errors" },
	{ 'v', "verbose", NULL, "print every file stored or skipped" },
	{ 0, NULL, NULL, NULL }
};

struct run {
	int verbose, quiet;
	int no_index;                  /* --no-index */
	struct collect_progress *prog; /* the meter of a one-shot capture */
};

static void
on_report(rh_capture_event ev, const char *path, const char *detail,
          void *payload)
{
	struct run *run = payload;

	if (run->prog && ev == RH_CAPTURE_FILE_SKIPPED && !run->quiet)
		collect_progress_pause(run->prog); /* the warning's line */
	if (ev == RH_CAPTURE_FILE_SKIPPED) {
		/* Data left behind is an error, shown even with -q. */
		if (!run->quiet || strncmp(detail, "not stored", 10) == 0)
			rh_cli_warn("skipped %s: %s", path, detail);
	} else if (run->verbose) {
		printf("%s %s (%s)\n",
		       ev == RH_CAPTURE_FILE_REPLACED ? "replaced" : "stored",
		       path, detail);
	}
	if (run->prog) /* after any line of its own: the meter redraws */
		collect_progress_file(run->prog, path);
}

/* "5", "0.5", "2.25" seconds -> milliseconds. */
static unsigned
seconds_ms(const char *opt, const char *arg)
{
	const char *dot = strchr(arg, '.');
	unsigned long long whole, ms = 0;
	char buf[32];
	size_t i;

	if (!dot)
		whole = rh_cli_number(opt, arg);
	else {
		snprintf(buf, sizeof(buf), "%.*s", (int)(dot - arg), arg);
		whole = rh_cli_number(opt, *buf ? buf : "0");
		for (i = 1; i <= 3 && dot[i]; i++) {
			if (dot[i] < '0' || dot[i] > '9')
				rh_cli_usage_die("%s takes seconds, not \"%s\"",
				                 opt, arg);
			ms += (unsigned long long)(dot[i] - '0') *
			      (i == 1 ? 100 :
			       i == 2 ? 10 :
			                1);
		}
		if (dot[i])
			rh_cli_usage_die(
				"%s takes seconds with at most 3 decimals, "
				"not \"%s\"",
				opt, arg);
	}
	if (whole > 86400 * 7)
		rh_cli_usage_die("%s: %s seconds is too long", opt, arg);
	return (unsigned)(whole * 1000 + ms);
}

static void
follow_defaults(struct rh_follow_cfg *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->fo = (rh_follow_options)RH_FOLLOW_OPTIONS_INIT;
	fc->so = (rh_spool_options)RH_SPOOL_OPTIONS_INIT;
	/* few large event objects: a pack every 30 s at most */
	fc->so.pack_ms = 30000;
	fc->fo.ray_root = "/tmp/ray";
	fc->fo.flush_interval_ms = 5000;
	fc->listen = "0.0.0.0:8084";
	fc->drain_ms = 25000;
	fc->so.cap = 256u << 20;
	fc->so.max_body = 32u << 20;
}

static int
run_follow(struct rh_follow_cfg *fc, const rh_capture_options *o,
           const struct run *run, const char *store_flag,
           const rh_store_options *sopts, int argc, rh_cli *cli)
{
	static char state[4200];
	rh_store *st = NULL;
	const char *url;
	int error, status;

	if (optind != argc)
		rh_cli_usage_die(
			"--follow takes no SESSION_DIR (see --ray-root)");
	fc->fo.cluster = o->cluster;
	fc->fo.ns = o->ns;
	fc->fo.node_id = o->node_id;
	fc->fo.frame_size = o->frame_size;
	fc->fo.level = o->level;
	fc->quiet = run->quiet;
	fc->no_index = run->no_index;
	fc->verbose = run->verbose;
	if (!fc->fo.state_dir) {
		snprintf(state, sizeof(state), "%s/rayhist-state",
		         fc->fo.ray_root);
		fc->fo.state_dir = state;
	}
	url = rh_store_default_url(store_flag);
	if ((error = rh_store_open(&st, url, sopts)) < 0)
		rh_cli_die(error, "%s", url);
	status = rh_collect_follow(st, fc);
	rh_store_close(st);
	rh_cli_free(cli);
	free((char *)fc->token);
	return status;
}

/* The first line of `path`, a secret kept out of the command line (and so
 * out of ps and the pod spec). Lives until exit. */
static const char *
read_token(const char *path)
{
	char line[1024];
	FILE *fp = fopen(path, "re");
	char *t;

	if (!fp || !fgets(line, sizeof(line), fp))
		rh_cli_usage_die("--events-token-file %s: cannot read a token",
		                 path);
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	if (strlen(line) < 16)
		rh_cli_usage_die(
			"--events-token-file %s: the token must have 16 "
			"characters or more",
			path);
	if (!(t = strdup(line)))
		rh_cli_die(RH_ENOMEM, "token");
	return t;
}

/* --events --ended: the batches are all the session will have. Its end is
 * when they were last written (the files' latest modification time; now
 * for standard input), as a capture takes its files'; then the index is
 * built as after a captured SESSION_DIR. Returns the exit status. */
static int
events_ended(rh_store *st, const rh_session_ref *sref, char **files, int nfiles,
             const rh_capture_options *o, const struct run *run)
{
	int64_t end_ms = 0, ms;
	struct stat sb;
	int i, error;

	for (i = 0; i < nfiles; i++) {
		if (!strcmp(files[i], "-") || stat(files[i], &sb) < 0) {
			end_ms = -1; /* unknown: the library takes now */
			break;
		}
		ms = (int64_t)sb.st_mtim.tv_sec * 1000 +
		     sb.st_mtim.tv_nsec / 1000000;
		if (ms > end_ms)
			end_ms = ms;
	}
	if ((error = rh_capture_mark_ended(st, sref, end_ms)) < 0) {
		rh_cli_warn("%s/%s/%s: cannot mark the session ended: %s",
		            sref->ns, sref->cluster, sref->session,
		            rh_error_last());
		return 1;
	}
	if (!run->no_index)
		rh_collect_index(st, sref, o->workers, run->quiet);
	return 0;
}

/* Everything the command line sets, for the mode it picks. */
struct collect_args {
	rh_capture_options o;
	struct run run;
	rh_store_options sopts;
	struct rh_follow_cfg fc;
	rh_import_options io;
	const char *archive; /* --archive FILE */
	char node_id[130];   /* o.node_id points here */
	int follow, events;
	const char *session;    /* --session */
	const char *store_flag; /* --store */
};

/* The options into `a`, and the checks every mode shares. */
static void
parse_args(struct collect_args *a, rh_cli *cli, int argc, char **argv)
{
	const char *arg;
	int c;

	rh_cli_init(
		cli, "rayhist-collect",
		"[--store URL] --cluster NAME [--namespace NS] [--node-id HEX] SESSION_DIR\n"
		"[--store URL] --cluster NAME [--namespace NS] --session NAME [--ended] --events FILE...\n"
		"--follow [--store URL] --cluster NAME [--role head|worker] [--ray-root DIR]\n"
		"[--state-dir DIR] [--flush-interval S] [--events-listen ADDR:PORT|off]\n"
		"[--store URL] --cluster NAME [--namespace NS] [--ended] --archive FILE|-",
		"Capture a Ray session directory (or its session_latest link) into a\n"
		"rayhist store. Files that grew since the last capture ship only their\n"
		"new bytes; a file truncated in place keeps its earlier bytes as PATH~N.\n"
		"Sockets, lock files and links leaving the session are skipped and\n"
		"reported; files that cannot be read are reported as not stored, the rest\n"
		"is stored, and the exit status is 1 (0: all stored; 2: usage error).\n"
		"With --follow, run beside a live Ray node: follow its latest session as\n"
		"it grows, receive the events Ray's aggregator POSTs, and resume without\n"
		"loss or duplicates after a crash.",
		options, argc, argv);
	follow_defaults(&a->fc);
	while ((c = rh_cli_next(cli, &arg)) != -1) {
		switch (c) {
		case OPT_STORE: a->store_flag = arg; break;
		case OPT_STORE_CONFIG: a->sopts.config_file = arg; break;
		case OPT_EVENTS: a->events = 1; break;
		case OPT_SESSION: a->session = arg; break;
		case OPT_CLUSTER: a->o.cluster = arg; break;
		case OPT_NS: a->o.ns = arg; break;
		case OPT_NODE_ID:
			if (rh_capture_node_id(a->node_id, NULL, arg) < 0)
				rh_cli_usage_die("--node-id: %s",
				                 rh_error_last());
			a->o.node_id = a->node_id;
			break;
		case OPT_FRAME:
			a->o.frame_size =
				(size_t)rh_cli_number("--frame-size", arg);
			if (a->o.frame_size == 0 ||
			    a->o.frame_size > RH_SEEKABLE_MAX_FRAME_SIZE)
				rh_cli_usage_die(
					"--frame-size must be 1 to %u bytes",
					RH_SEEKABLE_MAX_FRAME_SIZE);
			break;
		case OPT_LEVEL:
			a->o.level = (int)rh_cli_number("--level", arg);
			if (a->o.level < 1 || a->o.level > 19)
				rh_cli_usage_die("--level must be 1 to 19");
			break;
		case OPT_THREADS:
			a->o.workers =
				(unsigned)rh_cli_number("--threads", arg);
			if (a->o.workers < 1 || a->o.workers > 64)
				rh_cli_usage_die("--threads must be 1 to 64");
			break;
		case OPT_FOLLOW: a->follow = 1; break;
		case OPT_ENDED: a->o.ended = 1; break;
		case OPT_NO_INDEX: a->run.no_index = 1; break;
		case OPT_ROLE:
			if (!strcmp(arg, "head"))
				a->fc.fo.role = RH_FOLLOW_ROLE_HEAD;
			else if (!strcmp(arg, "worker"))
				a->fc.fo.role = RH_FOLLOW_ROLE_WORKER;
			else
				rh_cli_usage_die(
					"--role takes head or worker, not \"%s\"",
					arg);
			break;
		case OPT_RAY_ROOT: a->fc.fo.ray_root = arg; break;
		case OPT_STATE_DIR: a->fc.fo.state_dir = arg; break;
		case OPT_FLUSH:
			a->fc.fo.flush_interval_ms =
				seconds_ms("--flush-interval", arg);
			if (!a->fc.fo.flush_interval_ms)
				rh_cli_usage_die(
					"--flush-interval must be more than 0");
			break;
		case OPT_LISTEN: a->fc.listen = arg; break;
		case OPT_EVENTS_TOKEN: a->fc.token = read_token(arg); break;
		case OPT_DRAIN:
			a->fc.drain_ms = seconds_ms("--drain-timeout", arg);
			break;
		case OPT_SPOOL_CAP:
			a->fc.so.cap = rh_cli_number("--spool-cap", arg);
			if (!a->fc.so.cap)
				rh_cli_usage_die(
					"--spool-cap must be more than 0");
			break;
		case OPT_MAX_BODY:
			a->fc.so.max_body =
				(size_t)rh_cli_number("--events-max-body", arg);
			if (!a->fc.so.max_body)
				rh_cli_usage_die(
					"--events-max-body must be more than 0");
			break;
		case OPT_PACK:
			a->fc.so.pack_ms = (unsigned)seconds_ms(
				"--events-pack-interval", arg);
			break;
		case OPT_ARCHIVE: a->archive = arg; break;
		case OPT_STAGING: a->io.tmpdir = arg; break;
		case OPT_MAX_MEMORY:
			a->io.max_memory = rh_cli_number("--max-memory", arg);
			if (!a->io.max_memory)
				rh_cli_usage_die(
					"--max-memory must be more than 0");
			break;
		case OPT_MAX_RATIO:
			a->io.max_ratio =
				(unsigned)rh_cli_number("--max-ratio", arg);
			if (!a->io.max_ratio)
				rh_cli_usage_die(
					"--max-ratio must be more than 0");
			break;
		case OPT_MAX_ENTRY:
			if (!(a->io.max_entry =
			              rh_cli_number("--max-entry", arg)))
				rh_cli_usage_die(
					"--max-entry must be more than 0");
			break;
		case OPT_MAX_TOTAL:
			if (!(a->io.max_total =
			              rh_cli_number("--max-total", arg)))
				rh_cli_usage_die(
					"--max-total must be more than 0");
			break;
		case 'q': a->run.quiet = 1; break;
		case 'v': a->run.verbose = 1; break;
		}
	}
	if (!a->o.cluster)
		rh_cli_usage_die("--cluster NAME is required");
	if (a->o.ended && a->follow)
		rh_cli_usage_die(
			"--ended marks a captured SESSION_DIR or imported "
			"events; a follower marks its session ended itself "
			"on SIGTERM");
}

/* --archive: import the session folders of one archive. */
static int
run_archive(struct collect_args *a, int argc, rh_cli *cli)
{
	rh_store *st = NULL;
	const char *url;
	int error;

	if (a->follow || a->events || a->o.node_id)
		rh_cli_usage_die(
			"--archive takes no --follow, --events or "
			"--node-id (each node's id is read from its files)");
	if (optind != argc)
		rh_cli_usage_die("--archive takes no SESSION_DIR");
	a->io.ns = a->o.ns;
	a->io.cluster = a->o.cluster;
	a->io.frame_size = a->o.frame_size;
	a->io.level = a->o.level;
	a->io.workers = a->o.workers;
	a->io.ended = a->o.ended;
	url = rh_store_default_url(a->store_flag);
	if ((error = rh_store_open(&st, url, &a->sopts)) < 0)
		rh_cli_die(error, "%s", url);
	error = rh_collect_archive(st, a->archive, &a->io, a->run.quiet,
	                           a->run.verbose, !a->run.no_index,
	                           a->o.workers);
	rh_store_close(st);
	rh_cli_free(cli);
	return error;
}

/* --events: store the batch FILEs into --session. */
static int
run_events(struct collect_args *a, int argc, char **argv, rh_cli *cli)
{
	rh_session_ref sref = { a->o.ns ? a->o.ns : RH_DEFAULT_NAMESPACE,
		                a->o.cluster, a->session };
	rh_store *st = NULL;
	const char *url;
	int error;

	if (!a->session)
		rh_cli_usage_die("--events needs --session NAME");
	if (optind >= argc)
		rh_cli_usage_die("--events needs at least one FILE");
	url = rh_store_default_url(a->store_flag);
	if ((error = rh_store_open(&st, url, &a->sopts)) < 0)
		rh_cli_die(error, "%s", url);
	error = rh_collect_events(st, &sref, argv + optind, argc - optind,
	                          a->o.workers, a->run.quiet);
	if (a->o.ended)
		error |= events_ended(st, &sref, argv + optind, argc - optind,
		                      &a->o, &a->run);
	rh_store_close(st);
	rh_cli_free(cli);
	return error;
}

/* The one-line summary of a capture, unless -q. */
static void
print_capture_stats(const struct collect_args *a, const rh_capture_stats *stats)
{
	if (a->run.quiet)
		return;
	printf("%s/%s/%s node %s: %" PRIu64 " files, %" PRIu64
	       " with new bytes; %" PRIu64 " new bytes stored as %" PRIu64
	       "; %" PRIu64 " skipped, %" PRIu64 " not stored\n",
	       a->o.ns ? a->o.ns : RH_DEFAULT_NAMESPACE, a->o.cluster,
	       stats->session, stats->node_id, stats->files_seen,
	       stats->files_stored, stats->bytes_new, stats->bytes_stored,
	       stats->files_skipped, stats->files_not_stored);
}

/* SESSION_DIR: capture one session directory. */
static int
run_capture(struct collect_args *a, int argc, char **argv, rh_cli *cli)
{
	rh_capture_stats stats = RH_CAPTURE_STATS_INIT;
	struct collect_progress prog;
	rh_store *st = NULL;
	const char *url;
	char msg[1024];
	int error;

	if (optind != argc - 1)
		rh_cli_usage_die("give exactly one SESSION_DIR");
	/* A node whose id cannot be told is a usage matter: say what was
	 * read and found, store nothing, exit 2. */
	if (!a->o.node_id &&
	    rh_capture_node_id(a->node_id, argv[optind], NULL) < 0) {
		fprintf(stderr, "%s: %s: %s\n", rh_cli_prog, argv[optind],
		        rh_error_last());
		exit(2);
	}
	if (!a->o.node_id)
		a->o.node_id = a->node_id;
	a->o.report = on_report;
	a->o.payload = &a->run;
	url = rh_store_default_url(a->store_flag);
	if ((error = rh_store_open(&st, url, &a->sopts)) < 0)
		rh_cli_die(error, "%s", url);
	/* a meter on a terminal, unless -q or -v (its lines would mix) */
	collect_progress_start(&prog, argv[optind],
	                       a->run.quiet || a->run.verbose);
	a->run.prog = &prog;
	error = rh_capture_session(&stats, st, argv[optind], &a->o);
	collect_progress_done(&prog);
	/* Some paths not stored: the rest is, and the summary says so. */
	if (error < 0 && !stats.files_not_stored)
		rh_cli_die(error, "%s", argv[optind]);
	print_capture_stats(a, &stats);
	fflush(stdout);
	if (error < 0)
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
	/* The session is final: its index is built now, once, rather than
	 * by the first reader (collect_index.c). Its failure loses nothing
	 * and is only a warning. */
	if (a->o.ended && !a->run.no_index) {
		rh_session_ref sref = { a->o.ns ? a->o.ns :
			                          RH_DEFAULT_NAMESPACE,
			                a->o.cluster, stats.session };

		rh_collect_index(st, &sref, a->o.workers, a->run.quiet);
	}
	if (error < 0)
		rh_cli_die(0, "%s%s%s", argv[optind], *msg ? ": " : "", msg);
	rh_store_close(st);
	rh_cli_free(cli);
	return 0;
}

int
main(int argc, char **argv)
{
	struct collect_args a = { .o = RH_CAPTURE_OPTIONS_INIT,
		                  .sopts = RH_STORE_OPTIONS_INIT,
		                  .io = RH_IMPORT_OPTIONS_INIT };
	rh_cli cli;

	parse_args(&a, &cli, argc, argv);
	if (a.archive)
		return run_archive(&a, argc, &cli);
	if (a.follow)
		return run_follow(&a.fc, &a.o, &a.run, a.store_flag, &a.sopts,
		                  argc, &cli);
	if (a.events)
		return run_events(&a, argc, argv, &cli);
	return run_capture(&a, argc, argv, &cli);
}
