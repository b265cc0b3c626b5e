/* cli.h - what the three programs share: one options table that drives both
 * parsing and --help (so the man pages can be checked against it), and
 * error exits. */
#ifndef RH_CLI_H
#define RH_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

typedef struct rh_cli_opt {
	int id; /* returned by rh_cli_next(); a short letter or >= 256 */
	const char *name; /* long name without "--" */
	const char *arg;  /* argument placeholder, or NULL for a flag */
	const char *help; /* one line */
} rh_cli_opt;

typedef struct rh_cli {
	const char *prog;
	const char *synopsis;   /* lines after "usage: ", '\n'-separated */
	const char *about;      /* one paragraph printed by --help */
	const rh_cli_opt *opts; /* ends with an entry whose name is NULL */
	struct option *lopts;
	char shorts[128];
	int argc;
	char **argv;
} rh_cli;

enum { RH_CLI_HELP = 1000, RH_CLI_VERSION };

void rh_cli_init(rh_cli *cli, const char *prog, const char *synopsis,
                 const char *about, const rh_cli_opt *opts, int argc,
                 char **argv);
/* The next option's id and its argument; -1 at the end (then optind points
 * at the operands). Handles --help and --version itself (exit 0) and bad
 * options (usage on stderr, exit 2). */
int rh_cli_next(rh_cli *cli, const char **arg);
void rh_cli_usage(const rh_cli *cli, FILE *fp);
void rh_cli_free(rh_cli *cli);

/* "PROG: <message>: <rh_error_last()>" on stderr, then exit(1). */
/* A clock that never jumps (CLOCK_MONOTONIC), in ms: for intervals. */
int64_t rh_cli_mono_ms(void);
void rh_cli_die(int error, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* rh_cli_die()'s exit status: 1, or 2 where 1 means "not found" (grep). */
extern int rh_cli_die_status;
/* "PROG: <message>" on stderr, then exit(2): a usage error. */
void rh_cli_usage_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* "PROG: <message>" on stderr. */
void rh_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse a non-negative decimal integer or die naming the option. */
unsigned long long rh_cli_number(const char *opt, const char *arg);
/* "HOST:PORT" or "[V6]:PORT" of option `opt` into host (cap bytes) and
 * port, or a usage error naming opt and the accepted `forms`. */
void rh_cli_parse_listen(const char *opt, const char *forms, const char *arg,
                         char *host, size_t cap, unsigned *port);
/* The port a listening socket was given (for port 0); 0 if unknown. */
unsigned rh_cli_bound_port(int fd);

extern const char *rh_cli_prog;

#endif
