/*
 * list_sessions - print every session in a rayhist store, one per line, as
 * NS/CLUSTER/SESSION with its start time. Uses only the public API:
 *
 *   cc list_sessions.c $(pkg-config --cflags --libs rayhist) -o list_sessions
 *   ./list_sessions [STORE_URL]
 */
#include <stdio.h>
#include <rayhist/rayhist.h>

struct walk {
	rh_store *st;
	const char *ns;
	const char *cluster;
};

static int
on_session(const char *name, void *payload)
{
	struct walk *w = payload;
	rh_session_ref ref = { w->ns, w->cluster, name };
	rh_session_info info;

	if (rh_session_info_load(&info, w->st, &ref) < 0)
		info.start_ms = 0;
	printf("%s/%s/%s\t%lld\n", w->ns, w->cluster, name,
	       (long long)info.start_ms);
	return 0;
}

static int
on_cluster(const char *name, void *payload)
{
	struct walk *w = payload;

	w->cluster = name;
	return rh_catalog_list_sessions(w->st, w->ns, name, on_session, w);
}

static int
on_namespace(const char *name, void *payload)
{
	struct walk *w = payload;

	w->ns = name;
	return rh_catalog_list_clusters(w->st, name, on_cluster, w);
}

int
main(int argc, char **argv)
{
	struct walk w = { NULL, NULL, NULL };
	const char *url = rh_store_default_url(argc > 1 ? argv[1] : NULL);
	int error;

	if ((error = rh_store_open(&w.st, url, NULL)) < 0) {
		fprintf(stderr, "list_sessions: %s: %s\n", url,
		        rh_error_last());
		return 1;
	}
	error = rh_catalog_list_namespaces(w.st, on_namespace, &w);
	if (error < 0)
		fprintf(stderr, "list_sessions: %s\n", rh_error_last());
	rh_store_close(w.st);
	return error < 0 ? 1 : 0;
}
