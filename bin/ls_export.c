/* ls_export.c - rayhist-ls --export: a session, a node or a file subset as
 * one .tar.zst, .tar.gz or .zip (archive.h). */
#include "ls_export.h"
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sink {
	int fd;
	int err; /* errno of a failed write */
	rh_meter meter;
	rh_progress p; /* archive bytes written (no total: it is compressed) */
};

static int
write_fd(const void *data, size_t len, void *payload)
{
	struct sink *k = payload;
	const char *p = data;

	while (len) {
		ssize_t n = write(k->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			k->err = errno;
			return RH_EIO;
		}
		p += n;
		len -= (size_t)n;
		k->p.bytes_done += (uint64_t)n;
	}
	rh_meter_update(&k->p, &k->meter);
	return 0;
}

int
rh_ls_export(rh_store *st, const rh_session_ref *s, const char *node,
             const char *prefix, int64_t at_ms, const char *out,
             const char *format, int quiet)
{
	rh_export_options o = RH_EXPORT_OPTIONS_INIT;
	struct sink k = { 1, 0, { 0 }, { 0, 0, 0, 0 } };
	char *tmp = NULL;
	int error;

	if (format ? rh_export_format_parse(&o.format, format) < 0 :
	    strcmp(out, "-") == 0 ?
	             (o.format = RH_EXPORT_TAR_ZST, 0) :
	             rh_export_format_from_name(&o.format, out) < 0)
		rh_cli_usage_die("--export: %s", rh_error_last());
	o.node_id = node;
	o.prefix = prefix;
	o.at_ms = at_ms;
	if (strcmp(out, "-")) {
		size_t n = strlen(out) + 16;
		if (!(tmp = malloc(n)))
			rh_cli_die(RH_ENOMEM, "out of memory");
		snprintf(tmp, n, "%s.partXXXXXX", out);
		if ((k.fd = mkstemp(tmp)) < 0) {
			fprintf(stderr, "%s: %s: %s\n", rh_cli_prog, out,
			        strerror(errno));
			free(tmp);
			return 1;
		}
	}
	rh_meter_init(&k.meter, "exporting", quiet);
	error = rh_archive_export(st, s, &o, write_fd, &k);
	if (error == 0)
		rh_meter_final(&k.meter, &k.p); /* always the final state */
	rh_meter_done(&k.meter);
	if (tmp) {
		if (error == 0 && (fsync(k.fd) < 0 || fchmod(k.fd, 0644) < 0 ||
		                   rename(tmp, out) < 0)) {
			k.err = errno;
			error = RH_EIO;
		}
		close(k.fd);
		if (error < 0)
			unlink(tmp);
		free(tmp);
	}
	if (error < 0) {
		fprintf(stderr, "%s: --export %s: %s\n", rh_cli_prog, out,
		        k.err ? strerror(k.err) : rh_error_last());
		return 1;
	}
	return 0;
}
