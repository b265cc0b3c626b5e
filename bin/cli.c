/* cli.c - option tables, --help and error exits for the programs. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <rayhist/rayhist.h>

const char *rh_cli_prog = "rayhist";

void
rh_cli_init(rh_cli *cli, const char *prog, const char *synopsis,
            const char *about, const rh_cli_opt *opts, int argc, char **argv)
{
	size_t n = 0, i, s = 0;

	memset(cli, 0, sizeof(*cli));
	rh_cli_prog = prog;
	cli->prog = prog;
	cli->synopsis = synopsis;
	cli->about = about;
	cli->opts = opts;
	cli->argc = argc;
	cli->argv = argv;
	while (opts[n].name)
		n++;
	if (!(cli->lopts = calloc(n + 3, sizeof(*cli->lopts)))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	cli->shorts[s++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < n; i++) {
		cli->lopts[i].name = opts[i].name;
		cli->lopts[i].has_arg =
			opts[i].arg ? required_argument : no_argument;
		cli->lopts[i].val = opts[i].id;
		if (opts[i].id < 256 && s + 3 < sizeof(cli->shorts)) {
			cli->shorts[s++] = (char)opts[i].id;
			if (opts[i].arg)
				cli->shorts[s++] = ':';
		}
	}
	cli->lopts[n].name = "help";
	cli->lopts[n].val = RH_CLI_HELP;
	cli->lopts[n + 1].name = "version";
	cli->lopts[n + 1].val = RH_CLI_VERSION;
	cli->shorts[s++] = 'h';
	cli->shorts[s] = '\0';
}

void
rh_cli_free(rh_cli *cli)
{
	free(cli->lopts);
	cli->lopts = NULL;
}

void
rh_cli_usage(const rh_cli *cli, FILE *fp)
{
	const char *line = cli->synopsis, *nl;

	while (*line) {
		nl = strchr(line, '\n');
		fprintf(fp, "%s %s %.*s\n",
		        line == cli->synopsis ? "usage:" : "      ", cli->prog,
		        (int)(nl ? nl - line : (long)strlen(line)), line);
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void
print_help(const rh_cli *cli)
{
	const rh_cli_opt *o;
	char left[64];

	rh_cli_usage(cli, stdout);
	printf("\n%s\n\noptions:\n", cli->about);
	for (o = cli->opts; o->name; o++) {
		if (o->id < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id,
			         o->name, o->arg ? " " : "",
			         o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			         o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-28s %s\n", left, o->help);
	}
	printf("  %-28s %s\n", "-h, --help", "show this help and exit");
	printf("  %-28s %s\n", "    --version", "show the version and exit");
	printf("\nenvironment:\n  RAYHIST_STORE                store URL when --store is not given\n"
	       "                               (default ./rayhist-store)\n");
}

int
rh_cli_next(rh_cli *cli, const char **arg)
{
	int c;

	opterr = 0;
	c = getopt_long(cli->argc, cli->argv, cli->shorts, cli->lopts, NULL);
	*arg = optarg;
	switch (c) {
	case -1: return -1;
	case 'h':
	case RH_CLI_HELP: print_help(cli); exit(0);
	case RH_CLI_VERSION:
		printf("%s (rayhist) %s\n", cli->prog, rh_version());
		exit(0);
	case ':':
		rh_cli_usage_die("option %s needs an argument",
		                 cli->argv[optind - 1]);
	case '?': rh_cli_usage_die("unknown option %s", cli->argv[optind - 1]);
	default: return c;
	}
}

/* grep-like modes exit 2 on trouble, as 1 means "nothing found" there */
int rh_cli_die_status = 1;

void
rh_cli_die(int error, const char *fmt, ...)
{
	va_list ap;
	const char *msg = rh_error_last();

	fprintf(stderr, "%s: ", rh_cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (error < 0 && *msg)
		fprintf(stderr, ": %s", msg);
	fputc('\n', stderr);
	exit(rh_cli_die_status);
}

void
rh_cli_usage_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", rh_cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n",
	        rh_cli_prog);
	exit(2);
}

void
rh_cli_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", rh_cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

unsigned long long
rh_cli_number(const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!arg || *arg < '0' || *arg > '9')
		rh_cli_usage_die("%s takes a non-negative number, not \"%s\"",
		                 opt, arg ? arg : "");
	v = strtoull(arg, &end, 10);
	if (errno || *end)
		rh_cli_usage_die("%s takes a non-negative number, not \"%s\"",
		                 opt, arg);
	return v;
}

void
rh_cli_parse_listen(const char *opt, const char *forms, const char *arg,
                    char *host, size_t cap, unsigned *port)
{
	const char *colon;
	char what[64];
	size_t n;

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (!end || end[1] != ':')
			rh_cli_usage_die("%s: \"%s\" is not [ADDRESS]:PORT",
			                 opt, arg);
		n = (size_t)(end - arg - 1);
		colon = end + 1;
		arg++;
	} else {
		if (!(colon = strrchr(arg, ':')))
			rh_cli_usage_die("%s: \"%s\" is not %s", opt, arg,
			                 forms);
		n = (size_t)(colon - arg);
	}
	if (n == 0 || n >= cap)
		rh_cli_usage_die("%s: bad address in \"%s\"", opt, arg);
	memcpy(host, arg, n);
	host[n] = '\0';
	snprintf(what, sizeof(what), "%s port", opt);
	*port = (unsigned)rh_cli_number(what, colon + 1);
	if (*port > 65535)
		rh_cli_usage_die("%s: port %u is out of range", opt, *port);
}

unsigned
rh_cli_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int64_t
rh_cli_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
