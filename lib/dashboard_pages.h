/* dashboard_pages.h - what the built-in pages share (dashboard_pages.c):
 * escaping, links, the page frame under rayhist/ (title, breadcrumbs, the
 * instant shown, skip link), error pages and the "Showing A-B of N" pager;
 * and the pages of jobs and actors (dashboard_pages_jobs.c). */
#ifndef RH_DASHBOARD_PAGES_H
#define RH_DASHBOARD_PAGES_H

#include "dashboard_internal.h"

int rh_dashboard__pg_esc_n(rh_buf *b, const char *s, size_t n);
int rh_dashboard__pg_esc(rh_buf *b, const char *s);	/* NULL is "" */
/* "2025-11-12T23:20:25.615Z", "-" for none */
void rh_dashboard__pg_time(char *out, size_t cap, int64_t ns);
int rh_dashboard__pg_link(rh_buf *b, const char *href, const char *text);
/* Start a page under rayhist/ (clears the body). */
int rh_dashboard__pg_start(rh_dash_ctx *c, rh_buf *b, const char *title);
/* Close the page and reply with `status`. */
int rh_dashboard__pg_end(rh_dash_ctx *c, rh_buf *b, int status);
int rh_dashboard__pg_fail(rh_dash_ctx *c, int status, const char *title,
			  const char *msg);
/* RH_EINVAL 400, RH_ENOTFOUND 404, else 500, with rh_error_last(). */
int rh_dashboard__pg_fail_code(rh_dash_ctx *c, const char *title, int code);
/* "Showing A-B of TOTAL WHAT." (id ID-count) and previous/next links to
 * HREF followed by an offset. */
int rh_dashboard__pg_pager(rh_buf *b, const char *id, const char *what,
			   const char *href, uint64_t offset, uint64_t shown,
			   uint64_t total, uint64_t per);
/* <dt>TERM</dt><dd id=ID>VALUE or -</dd> */
int rh_dashboard__pg_dd(rh_buf *b, const char *term, const char *id,
			const char *value);
/* A table of transitions, states named by `name`. */
int rh_dashboard__pg_transitions(rh_buf *b, const rh_transition *tr, size_t n,
				 const char *(*name)(int));

/* rayhist/job?job_id=J|submission_id=S, rayhist/actor?actor_id=A,
 * rayhist/actors (dashboard_pages_jobs.c). */
int rh_dashboard__job_page(rh_dash_ctx *c);
int rh_dashboard__actor_page(rh_dash_ctx *c);
int rh_dashboard__actors_page(rh_dash_ctx *c);

#endif
