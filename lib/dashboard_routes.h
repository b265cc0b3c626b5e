/* dashboard_routes.h - the dashboard's areas, the top of the layer: the
 * entry points the routers (dashboard.c, dashboard_api.c) call, and the few
 * tables and options one area borrows from another. Below it, and never
 * calling up into it: the session cache (dashboard_internal.h), the reply
 * layer (dashboard_reply.h), the JSON writer (dashboard_json.h). */
#ifndef RH_DASHBOARD_ROUTES_H
#define RH_DASHBOARD_ROUTES_H

#include "dashboard_internal.h"

/* Ray's options_from_req() (dashboard_state.c): limit, timeout, detail,
 * exclude_driver and the filter triples; a bad value is RH_EINVAL naming the
 * parameter. limit 0 is kept in `limit` (q.limit is then 1). */
#define RH_DASH_MAX_FILTERS 32
typedef struct rh_dash_state_opts {
	rh_query_options q;
	rh_filter filters[RH_DASH_MAX_FILTERS];
	int64_t limit;
} rh_dash_state_opts;
int rh_dashboard__state_opts(rh_dash_ctx *c, rh_dash_state_opts *o,
                             int64_t def_limit);

/* ---- areas: each returns 0 (response written) or a negative code --------- */

/* Session API router (dashboard_api.c): 0 when it answered, 1 when the path
 * is not an API path. */
int rh_dashboard__api(rh_dash_ctx *c);
int rh_dashboard__is_api_path(char **segs, size_t nsegs);

int rh_dashboard__nodes(rh_dash_ctx *c); /* nodes, nodes/ID */
int rh_dashboard__cluster_status(rh_dash_ctx *c);
int rh_dashboard__actors(rh_dash_ctx *c); /* logical/actors[/ID] */
/* One ActorDetail object; and "id": {...} pairs of matching actors written
 * into an open object (dashboard_actors.c). */
void rh_dashboard__actor_json(rh__jw *w, const rh_dash_snap *s,
                              const rh_actor_row *a);
int rh_dashboard__actor_map(rh__jw *w, const rh_dash_snap *s,
                            const rh_filter *f, size_t nf, int64_t at_ns);
int rh_dashboard__jobs(rh_dash_ctx *c); /* api/jobs/... */
int rh_dashboard__state_list(rh_dash_ctx *c, rh_entity what);
int rh_dashboard__state_summary(rh_dash_ctx *c, const char *what);
int rh_dashboard__state_empty(rh_dash_ctx *c);
/* The "warnings" member of Ray's state envelope: null, or what of the
 * session could not be read (snapshot and index warnings). */
void rh_dashboard__jw_warnings(rh__jw *w, const rh_dash_snap *s);
/* How many such warnings; rh_dashboard__warning(s, i) gives each ("" past
 * the ones kept; the index keeps RH_INDEX_MAX_WARNINGS). */
uint64_t rh_dashboard__warning_count(const rh_dash_snap *s);
const char *rh_dashboard__warning(const rh_dash_snap *s, uint64_t i);
int rh_dashboard__timeline(rh_dash_ctx *c);
int rh_dashboard__events(rh_dash_ctx *c);
int rh_dashboard__logs_list(rh_dash_ctx *c);
int rh_dashboard__logs_file(rh_dash_ctx *c);
int rh_dashboard__job_logs(rh_dash_ctx *c, const char *job);
/* Whether a log read without `format` gets Ray's old leading "1": only for a
 * client older than Ray 2.33 (`version` "MAJOR.MINOR..."), which sent no
 * format and stripped that byte. Clients 2.33-2.44 always name the format;
 * 2.45 and later name none and take the body as it is, so an unknown or
 * newer version gets plain text. */
int rh_dashboard__log_leading_1_default(const char *version);

/* rayhist/search and rayhist/logline (dashboard_search.c); 1 when the
 * path is neither. */
int rh_dashboard__search_route(rh_dash_ctx *c);

/* The cluster picker, / as HTML or /clusters as JSON (dashboard_picker.c). */
int rh_dashboard__picker(rh_dash_ctx *c, int json);
/* A session's landing page; rayhist/jobs.txt, rayhist/tasks.txt: plain-text
 * tables; rayhist/session and rayhist/at go on to dashboard_chart.c
 * (dashboard_landing.c). */
int rh_dashboard__landing(rh_dash_ctx *c);
int rh_dashboard__text(rh_dash_ctx *c);
/* rayhist/session: the session page with its timeline chart;
 * rayhist/at?t=TIME: a redirect to the prefix SESSION@TIME/
 * (dashboard_chart.c). */
int rh_dashboard__session_page(rh_dash_ctx *c);
int rh_dashboard__at_redirect(rh_dash_ctx *c);

/* Built-in pages to find a failed task and read its logs
 * (dashboard_pages.c): rayhist/task, rayhist/tasks, rayhist/log,
 * rayhist/files; 1 when `page` is none of them. */
int rh_dashboard__pages(rh_dash_ctx *c, const char *page);
/* A table of tasks (dashboard_pages_jobs.c: those whose column `key` - state, job_id or actor_id -
 * is `value`, or all with key NULL) from `offset`, with a visible count and
 * previous/next links; `prefix` leads the links ("rayhist/" from the
 * session's page, "" from a page under rayhist/). */
int rh_dashboard__tasks_table(rh_dash_ctx *c, rh_buf *b, const char *key,
                              const char *value, uint64_t offset,
                              uint64_t limit, const char *prefix);
/* The session's jobs with links to their pages (dashboard_pages_jobs.c). */
int rh_dashboard__jobs_table(rh_dash_ctx *c, rh_buf *b, const char *prefix);
/* A node's log files (logs/ and every folder below, logs/old/ included),
 * one page from `offset`, with a visible count and links to the viewer. */
int rh_dashboard__files_list(rh_dash_ctx *c, rh_buf *b, const rh_dash_node *n,
                             uint64_t offset, const char *prefix);

/* Dashboard builds and static files (dashboard_static.c). */
int rh_dashboard__builds_scan(rh_dashboard *d);
void rh_dashboard__builds_free(rh_dashboard *d);
/* The build to use for a session: `cookie` when it names one, else the
 * session's Ray version when a build has that name, else the first. NULL
 * when there are no builds. */
const rh_dash_build *rh_dashboard__build_for(const rh_dashboard *d,
                                             const char *wanted,
                                             const char *ray_version);
/* Serve file `rel` (segments) of a build; 1 when there is no such file. */
int rh_dashboard__static(rh_dash_ctx *c, const rh_dash_build *b, char **segs,
                         size_t nsegs);

#endif
