/* Fuzz target for lib/dashboard_query.c and the dashboard's routing (lib/dashboard.c).
 *
 * Every input is a request: its first byte picks the method ('G' GET, 'H'
 * HEAD, 'P' POST, others by value) and, by its bits, gzip and cookies; the
 * rest (up to a NUL) is the request target. It is used twice:
 *   1. parsed alone: on success the split must hold no "." or ".." segment,
 *      no segment with '/' and no NUL, and the path must start with '/';
 *      on failure the code must be RH_EINVAL with a message.
 *   2. answered by a dashboard over an empty temp store: the answer must be
 *      a status between 200 and 599 with a content type, never a crash.
 * The query values are also run through the strict value parsers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashboard_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

static char tmp[64];
static rh_store *st;
static rh_dashboard *dash;

static void
cleanup(void)
{
	char cmd[128];

	rh_dashboard_free(dash);
	rh_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(tmp, sizeof(tmp), "/tmp/rh_fuzz_query_XXXXXX");
	CHECK(mkdtemp(tmp) != NULL);
	CHECK(rh_store_open(&st, tmp, NULL) == 0);
	CHECK(rh_dashboard_new(&dash, st, NULL) == 0);
	atexit(cleanup);
	return 0;
}

static void
check_url(const char *target)
{
	rh_dashboard_url u = RH_DASHBOARD_URL_INIT;
	int64_t n;
	int b, e;
	size_t i;

	e = rh_dashboard_url_parse(&u, target);
	if (e < 0) {
		CHECK(e == RH_EINVAL || e == RH_ENOMEM);
		CHECK(*rh_error_last());
		rh_dashboard_url_dispose(&u);
		return;
	}
	CHECK(u.path && u.path[0] == '/');
	for (i = 0; i < u.nsegs; i++) {
		CHECK(*u.segs[i]);
		CHECK(strcmp(u.segs[i], ".") && strcmp(u.segs[i], ".."));
		CHECK(!strchr(u.segs[i], '/') && !strchr(u.segs[i], '\\'));
	}
	for (i = 0; i < u.nparams; i++) {
		CHECK(u.params[i].key && u.params[i].value);
		e = rh_dashboard__param_int(&n, &u, u.params[i].key, 0, -1,
		                            10000);
		CHECK(e == 0 || e == RH_EINVAL);
		if (e == 0)
			CHECK(n >= -1 && n <= 10000);
		e = rh_dashboard__param_bool(&b, &u, u.params[i].key, 0);
		CHECK(e == 0 || e == RH_EINVAL);
	}
	rh_dashboard_url_dispose(&u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "POST",
		                               "DELETE" };
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	rh_dashboard_response resp = RH_DASHBOARD_RESPONSE_INIT;
	char *target;

	if (!dash)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	CHECK((target = malloc(size)) != NULL);
	memcpy(target, data + 1, size - 1);
	target[size - 1] = '\0';
	check_url(target);
	rq.method = data[0] == 'G' ? "GET" :
	            data[0] == 'H' ? "HEAD" :
	            data[0] == 'P' ? "POST" :
	                             methods[data[0] % 4];
	rq.target = target;
	rq.accept_encoding = data[0] & 4 ? "gzip" : NULL;
	rq.cookie = data[0] & 8 ? "cluster_namespace=default; cluster_name=c; "
	                          "session_name=s" :
	                          NULL;
	CHECK(rh_dashboard_handle(&resp, dash, &rq) == 0);
	CHECK(resp.status >= 200 && resp.status <= 599);
	CHECK(resp.content_type != NULL);
	rh_dashboard_response_dispose(&resp);
	free(target);
	return 0;
}
