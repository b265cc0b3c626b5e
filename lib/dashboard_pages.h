/* dashboard_pages.h - the pages of jobs and actors (dashboard_pages_jobs.c),
 * which the rayhist/ page router (dashboard_pages.c) calls; the pieces both
 * are made of are in dashboard_html.h. */
#ifndef RH_DASHBOARD_PAGES_H
#define RH_DASHBOARD_PAGES_H

#include "dashboard_routes.h"
#include "dashboard_html.h"

/* rayhist/job?job_id=J|submission_id=S, rayhist/actor?actor_id=A,
 * rayhist/actors (dashboard_pages_jobs.c). */
int rh_dashboard__job_page(rh_dash_ctx *c);
int rh_dashboard__actor_page(rh_dash_ctx *c);
int rh_dashboard__actors_page(rh_dash_ctx *c);

#endif
