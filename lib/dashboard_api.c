/* dashboard_api.c - the session API's routes (reference/ray-formats.md §2.2,
 * §3.9) and the endpoints whose answer does not depend on the session's
 * events: timezone, usage stats, Grafana and Prometheus health, Serve, Ray
 * Data, authentication, and the live-only paths that only say the cluster
 * is gone. */
#include "dashboard_routes.h"

#include <stdio.h>

static const char *const api_roots[] = { "nodes",   "logical",
	                                 "events",  "timezone",
	                                 "api",     "usage_stats_enabled",
	                                 "worker",  "task",
	                                 "utils",   "namespaces",
	                                 "rayhist", NULL };

int
rh_dashboard__is_api_path(char **segs, size_t nsegs)
{
	size_t i;

	if (nsegs == 0)
		return 0;
	for (i = 0; api_roots[i]; i++)
		if (!strcmp(segs[0], api_roots[i]))
			return 1;
	return 0;
}

static int
gone(rh_dash_ctx *c)
{
	return rh_dashboard__fail(c, 501,
	                          "the cluster is gone: %s needs a "
	                          "live Ray cluster (profiling, tracebacks, "
	                          "job submission and log streaming do); "
	                          "rayhist serves the stored session %s/%s/%s "
	                          "read-only",
	                          c->sub, c->sref.ns, c->sref.cluster,
	                          c->sref.session);
}

static int
not_found(rh_dash_ctx *c)
{
	return rh_dashboard__fail(c, 404, "%s: no such API path", c->sub);
}

static int
timezone_(rh_dash_ctx *c)
{
	int off = c->d->opts.tz_offset_min, a = off < 0 ? -off : off;
	char offset[16];
	rh__jw w;

	snprintf(offset, sizeof(offset), "%c%02d:%02d", off < 0 ? '-' : '+',
	         a / 60 % 100, a % 60);
	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_kstr(&w, "offset", offset);
	rh__jw_kstr(&w, "value", c->d->opts.tz_name);
	rh__jw_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

static int
usage_stats(rh_dash_ctx *c)
{
	rh__jw w;

	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "Fetched usage stats enabled");
	rh__jw_kbool(&w, "usageStatsEnabled", 0);
	rh__jw_kbool(&w, "usageStatsPromptEnabled", 0);
	rh_dashboard__envelope_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

/* Metrics: the client shows its "not available" state for result false. */
static int
health(rh_dash_ctx *c, const char *msg)
{
	rh__jw w;

	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_kbool(&w, "result", 0);
	rh__jw_kstr(&w, "msg", msg);
	rh__jw_key(&w, "data");
	rh__jw_obj(&w);
	rh__jw_kstr(&w, "exception",
	            "the cluster is gone: rayhist serves a "
	            "stored session and keeps no metrics");
	rh__jw_end(&w);
	rh__jw_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

/* ServeInstanceDetails.get_empty_schema_dict(), Ray's answer when no Serve
 * controller runs: nothing of Serve is captured. It has no http_options key
 * at all - the client tells "Serve not started" from http_options being
 * undefined; a null there made it draw an empty Serve system whose
 * controller log request lacked a node. */
static int
serve(rh_dash_ctx *c)
{
	int error =
		rh_buf_puts(&c->resp->body,
	                    "{\"deploy_mode\":\"MULTI_APP\","
	                    "\"controller_info\":{},\"proxies\":{},"
	                    "\"applications\":{},\"target_capacity\":null}");

	return error < 0 ? error :
	                   rh_dashboard__reply(c, 200, "application/json");
}

static int
datasets(rh_dash_ctx *c)
{
	int error = rh_buf_puts(&c->resp->body, "{\"datasets\":[]}");

	return error < 0 ? error :
	                   rh_dashboard__reply(c, 200, "application/json");
}

static int
auth_mode(rh_dash_ctx *c)
{
	int error = rh_buf_puts(&c->resp->body,
	                        "{\"authentication_mode\":\"disabled\"}");

	return error < 0 ? error :
	                   rh_dashboard__reply(c, 200, "application/json");
}

static const char *
ray_version(const rh_dash_snap *s)
{
	return s->ray_version;
}

static int
version(rh_dash_ctx *c)
{
	rh__jw w;

	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_kstr(&w, "version", "5");
	rh__jw_kstr(&w, "ray_version", ray_version(c->snap));
	rh__jw_kstr(&w, "ray_commit", "");
	rh__jw_kstr(&w, "session_name", c->snap->session);
	rh__jw_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

static int
cluster_metadata(rh_dash_ctx *c)
{
	rh__jw w;

	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "");
	rh__jw_kstr(&w, "rayVersion", ray_version(c->snap));
	rh__jw_kstr(&w, "pythonVersion", "");
	rh__jw_kstr(&w, "sessionId", c->snap->session);
	rh__jw_kstr(&w, "gitCommit", "");
	rh__jw_kstr(&w, "os", "linux");
	rh__jw_kint(&w, "sessionStartTimestampMs",
	            c->snap->has_info ? c->snap->info.start_ms : 0);
	rh__jw_kstr(&w, "clusterName", c->snap->cluster);
	rh_dashboard__envelope_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

/* api/v0/...: the state API. */
static int
state_api(rh_dash_ctx *c, char **s, size_t n)
{
	static const struct {
		const char *name;
		rh_entity what;
	} lists[] = {
		{ "tasks", RH_ENTITY_TASK },
		{ "actors", RH_ENTITY_ACTOR },
		{ "nodes", RH_ENTITY_NODE },
		{ "jobs", RH_ENTITY_JOB },
		{ "workers", RH_ENTITY_WORKER },
		{ "placement_groups", RH_ENTITY_PLACEMENT_GROUP },
		{ "cluster_events", RH_ENTITY_CLUSTER_EVENT },
	};
	size_t i;

	if (n == 1 &&
	    (!strcmp(s[0], "objects") || !strcmp(s[0], "runtime_envs")))
		return rh_dashboard__state_empty(c);
	if (n == 1 && !strcmp(s[0], "cluster_metadata"))
		return cluster_metadata(c);
	if (n == 2 && !strcmp(s[1], "summarize") &&
	    (!strcmp(s[0], "tasks") || !strcmp(s[0], "actors") ||
	     !strcmp(s[0], "objects")))
		return rh_dashboard__state_summary(c, s[0]);
	if (n == 2 && !strcmp(s[0], "tasks") && !strcmp(s[1], "timeline"))
		return rh_dashboard__timeline(c);
	if (!strcmp(s[0], "logs")) {
		if (n == 1)
			return rh_dashboard__logs_list(c);
		if (n == 2 &&
		    (!strcmp(s[1], "file") || !strcmp(s[1], "stream")))
			return rh_dashboard__logs_file(c);
		return not_found(c);
	}
	for (i = 0; n == 1 && i < RH_ARRAY_SIZE(lists); i++)
		if (!strcmp(s[0], lists[i].name))
			return rh_dashboard__state_list(c, lists[i].what);
	return not_found(c);
}

/* Paths answered without the session's index. */
static int
constant(rh_dash_ctx *c, char **s, size_t n)
{
	if (n == 1 && !strcmp(s[0], "timezone"))
		return timezone_(c);
	if (n == 1 && !strcmp(s[0], "usage_stats_enabled"))
		return usage_stats(c);
	if (!strcmp(s[0], "worker") || !strcmp(s[0], "task") ||
	    !strcmp(s[0], "utils") || !strcmp(s[0], "namespaces"))
		return gone(c);
	if (strcmp(s[0], "api") || n < 2)
		return 1;
	s++, n--;
	if (n == 1 && !strcmp(s[0], "grafana_health"))
		return health(c, "Grafana healtcheck failed");
	if (n == 1 && !strcmp(s[0], "prometheus_health"))
		return health(c, "prometheus healthcheck failed.");
	if (n == 2 && !strcmp(s[0], "serve") && !strcmp(s[1], "applications"))
		return serve(c);
	if (n == 3 && !strcmp(s[0], "data") && !strcmp(s[1], "datasets"))
		return datasets(c);
	if (n == 1 && !strcmp(s[0], "authentication_mode"))
		return auth_mode(c);
	if ((n == 1 && (!strcmp(s[0], "gcs_healthz") ||
	                !strcmp(s[0], "local_raylet_healthz") ||
	                !strcmp(s[0], "component_activities") ||
	                !strcmp(s[0], "launch_profiling") ||
	                !strcmp(s[0], "ray_config"))) ||
	    (n == 4 && !strcmp(s[0], "jobs") && !strcmp(s[2], "logs") &&
	     !strcmp(s[3], "tail")) ||
	    (n == 3 && !strcmp(s[0], "jobs") && !strcmp(s[2], "stop")))
		return gone(c);
	return 1;
}

int
rh_dashboard__api(rh_dash_ctx *c)
{
	char **s = c->segs;
	size_t n = c->nsegs;
	int r;

	if ((r = constant(c, s, n)) <= 0)
		return r;
	if ((r = rh_dashboard__session_snap(c)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if (!strcmp(s[0], "nodes") && n <= 2)
		return rh_dashboard__nodes(c);
	if (!strcmp(s[0], "logical") && n >= 2 && n <= 3 &&
	    !strcmp(s[1], "actors"))
		return rh_dashboard__actors(c);
	if (!strcmp(s[0], "events") && n == 1)
		return rh_dashboard__events(c);
	if (!strcmp(s[0], "rayhist") &&
	    (r = rh_dashboard__search_route(c)) != 1)
		return r;
	if (!strcmp(s[0], "rayhist"))
		return rh_dashboard__text(c);
	if (strcmp(s[0], "api") || n < 2)
		return not_found(c);
	s++, n--;
	if (!strcmp(s[0], "jobs"))
		return rh_dashboard__jobs(c);
	if (!strcmp(s[0], "v0") && n >= 2)
		return state_api(c, s + 1, n - 1);
	if (n == 1 && !strcmp(s[0], "cluster_status"))
		return rh_dashboard__cluster_status(c);
	if (n == 1 && !strcmp(s[0], "version"))
		return version(c);
	return not_found(c);
}
