/* catalog_logs.c - find a worker's or a named log file in a node's logs/
 * and logs/old/ (Ray moves a dead worker's files there), for the task and
 * actor log lookups of rayhist-ls --logs and /api/v0/logs/file. */
#include "internal.h"

#include <rayhist/catalog.h>

#include <string.h>

static int
has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s + 1 && name[n - s - 1] == '.' &&
	       !strcmp(name + n - s, suffix);
}

/* Does `name` (a file name in logs/ or logs/old/) match? */
static int
matches(const char *name, rh_log_match how, const char *key, const char *suffix)
{
	size_t n = strlen(name), k = strlen(key), s = strlen(suffix);

	switch (how) {
	case RH_LOG_MATCH_NAME: return !strcmp(name, key);
	case RH_LOG_MATCH_WORKER:
		return strstr(name, "worker") && strstr(name, key) &&
		       has_suffix(name, suffix);
	case RH_LOG_MATCH_PID: /* worker-<id>-<job>-<PID>.<suffix> */
		return strstr(name, "worker") && has_suffix(name, suffix) &&
		       n > k + s + 2 && name[n - s - 2 - k] == '-' &&
		       !strncmp(name + n - s - 1 - k, key, k);
	default: return 0;
	}
}

RH_EXTERN int
rh_node_manifest_find_log(rh_buf *path_out, const rh_node_manifest *m,
                          rh_log_match how, const char *key, const char *suffix)
{
	static const char *const dirs[] = { "logs/", "logs/old/" };
	size_t i, pass, count;

	if (!path_out || !m || !key)
		return rh__error(RH_EINVAL,
		                 "rh_node_manifest_find_log: NULL argument");
	if (!suffix)
		suffix = "";
	rh_buf_clear(path_out);
	if (how == RH_LOG_MATCH_PATH) {
		if (rh_node_manifest_find(m, key))
			return rh_buf_puts(path_out, key);
		return rh__error(RH_ENOTFOUND, "node %s: no log file %s",
		                 rh_node_manifest_node_id(m), key);
	}
	count = rh_node_manifest_file_count(m);
	for (pass = 0; pass < 2; pass++) {
		size_t dl = strlen(dirs[pass]);

		for (i = 0; i < count; i++) {
			const char *p = rh_node_manifest_file(m, i)->path;

			if (strncmp(p, dirs[pass], dl) || strchr(p + dl, '/'))
				continue;
			if (matches(p + dl, how, key, suffix))
				return rh_buf_puts(path_out, p);
		}
	}
	if (how == RH_LOG_MATCH_NAME)
		return rh__error(RH_ENOTFOUND,
		                 "node %s: no log file %s in logs/ "
		                 "or logs/old/",
		                 rh_node_manifest_node_id(m), key);
	return rh__error(RH_ENOTFOUND,
	                 "node %s: no %s log file of %s %s in logs/ "
	                 "or logs/old/",
	                 rh_node_manifest_node_id(m), suffix,
	                 how == RH_LOG_MATCH_PID ? "pid" : "worker", key);
}
