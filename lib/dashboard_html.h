/* dashboard_html.h - what the built-in pages are made of (dashboard_html.c):
 * the style sheets and page head of the picker, landing and session pages;
 * for pages under rayhist/, escaping, links, the page frame (title,
 * breadcrumbs, the instant shown, skip link), error pages, the
 * "Showing A-B of N" pager, definition rows and transition tables. */
#ifndef RH_DASHBOARD_HTML_H
#define RH_DASHBOARD_HTML_H

#include "dashboard_internal.h"

/* The style sheet of the picker, landing and session pages. */
extern const char rh_dashboard__plain_css[];
/* "<!DOCTYPE html>...<head>...<title>TITLE</title>", the head left open. */
int rh_dashboard__page_begin(rh_buf *b, const char *title);
/* ms since the epoch as "2025-11-12 23:20:25 UTC", or with `iso`
 * "2025-11-12T23:20:25Z"; none (<= 0) is "-", or "" with `iso`. */
void rh_dashboard__fmt_ms(char *out, size_t cap, int64_t ms, int iso);

int rh_dashboard__pg_esc_n(rh_buf *b, const char *s, size_t n);
int rh_dashboard__pg_esc(rh_buf *b, const char *s); /* NULL is "" */
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
/* <h2>TITLE</h2><pre id=ID>TEXT</pre>, focusable so that a keyboard can
 * scroll it; nothing when text is NULL. */
int rh_dashboard__pg_pre(rh_buf *b, const char *title, const char *id,
                         const char *text);
/* A table of transitions, states named by `name`. */
int rh_dashboard__pg_transitions(rh_buf *b, const rh_transition *tr, size_t n,
                                 const char *(*name)(int));

#endif
