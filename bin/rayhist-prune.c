/* rayhist-prune - delete old sessions from a store, once (retention.h).
 * rayhist-serve runs the same policies on a schedule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

#include "cli.h"
#include "retention_opts.h"

enum { OPT_STORE = 256, OPT_STORE_CONFIG, OPT_DRY_RUN };

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL",
	  "store to prune (file path, file://, s3://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE",
	  "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	RH_RETENTION_CLI_OPTS,
	{ OPT_DRY_RUN, "dry-run", NULL,
	  "list the sessions that would be deleted; delete nothing" },
	{ 0, NULL, NULL, NULL }
};

static void
report(const rh_retention_session *s, int error, void *payload)
{
	int dry = *(int *)payload;

	if (error < 0)
		fprintf(stderr, "rayhist-prune: %s/%s/%s: %s\n", s->ref.ns,
		        s->ref.cluster, s->ref.session, rh_error_last());
	else
		rh_retention_cli_print(stdout, dry ? "would delete" : "deleted",
		                       s);
}

int
main(int argc, char **argv)
{
	rh_retention_options o = RH_RETENTION_OPTIONS_INIT;
	rh_store_options sopts = RH_STORE_OPTIONS_INIT;
	rh_retention_result res;
	const char *store_flag = NULL, *arg, *url;
	rh_store *st = NULL;
	rh_cli cli;
	int c, error;

	rh_cli_init(
		&cli, "rayhist-prune",
		"[--store URL] [--max-age DURATION] [--keep-per-cluster N]\n"
		"[--keep-per-namespace N] [--max-bytes SIZE] [--dry-run]",
		"Delete the sessions of a rayhist store that a retention policy sends\n"
		"away, oldest first, never one whose collector is still beating. Each\n"
		"session disappears from listings before its objects are deleted; a\n"
		"run cut short is finished by the next. rayhist-serve runs the same\n"
		"policies on a schedule.",
		options, argc, argv);
	while ((c = rh_cli_next(&cli, &arg)) != -1) {
		if (rh_retention_cli_opt(&o, c, arg))
			continue;
		switch (c) {
		case OPT_STORE: store_flag = arg; break;
		case OPT_STORE_CONFIG: sopts.config_file = arg; break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		}
	}
	if (optind != argc)
		rh_cli_usage_die("unexpected argument \"%s\"", argv[optind]);
	if (!rh_retention_cli_any(&o))
		rh_cli_usage_die(
			"give a policy: --max-age, --keep-per-cluster, "
			"--keep-per-namespace or --max-bytes");
	url = rh_store_default_url(store_flag);
	sopts.must_exist = 1;
	if ((error = rh_store_open(&st, url, &sopts)) < 0)
		rh_cli_die(error, "%s", url);
	error = rh_retention_run(&res, st, &o, report, &o.dry_run);
	fprintf(stderr,
	        "rayhist-prune: %zu of %zu sessions %s (%zu live, kept), "
	        "%llu bytes, %llu objects; %zu unfinished deletions %s\n",
	        res.deleted, res.sessions, o.dry_run ? "would go" : "deleted",
	        res.live, (unsigned long long)res.bytes,
	        (unsigned long long)res.objects, res.finished,
	        o.dry_run ? "to finish" : "finished");
	if (error < 0)
		rh_cli_die(error, "%s", url);
	rh_store_close(st);
	rh_cli_free(&cli);
	return 0;
}
