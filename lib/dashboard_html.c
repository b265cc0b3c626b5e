/* dashboard_html.c - the pieces every built-in page is made of: the two
 * style sheets, the page head, escaping, times, links, the page frame under
 * rayhist/ (title, breadcrumbs, instant, skip link), error pages, the pager,
 * definition rows and transition tables (dashboard_html.h). */
#include "dashboard_html.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- the picker's, the landing page's and the session page's head ---------- */

const char rh_dashboard__plain_css[] =
	"<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
	"th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;"
	"vertical-align:top}th{background:#f4f4f4}td.n{text-align:right}"
	"code{background:#f4f4f4;padding:0 .2em}.note{background:#fff8e0;"
	"border:1px solid #eed;padding:.6em 1em;margin:1em 0}"
	"a{color:#0b5fb3}form{margin:0}caption{text-align:left;font-weight:bold;"
	"padding:.4em 0}td,th{overflow-wrap:anywhere}</style>";

int
rh_dashboard__page_begin(rh_buf *b, const char *title)
{
	int error;

	if ((error = rh_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	                            "<meta charset=\"utf-8\"><title>")) < 0 ||
	    (error = rh_dashboard__html(b, title)) < 0 ||
	    (error = rh_buf_puts(b, "</title>")) < 0)
		return error;
	return 0;
}

void
rh_dashboard__fmt_ms(char *out, size_t cap, int64_t ms, int iso)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, cap, iso ? "" : "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, cap, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC",
	         &tm);
}

/* ---- pages under rayhist/ -------------------------------------------------- */

static const char CSS[] =
	"<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.4em}table{border-collapse:collapse;width:100%}"
	"caption{text-align:left;font-weight:bold;padding:.4em 0}"
	"th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid #ddd;"
	"vertical-align:top;overflow-wrap:anywhere}th{background:#f4f4f4}"
	"td.n{text-align:right}code{background:#f4f4f4;padding:0 .2em}.note{background:#fff8e0;"
	"border:1px solid #eed;padding:.6em 1em;margin:1em 0}"
	"pre{background:#f8f8f8;border:1px solid #ddd;padding:.6em;"
	"white-space:pre-wrap;word-break:break-all}"
	"a{color:#0b5fb3}a:focus,pre:focus{outline:3px solid #f90}"
	".skip{position:absolute;left:-999px}.skip:focus{left:1em;top:1em;"
	"background:#fff;padding:.3em}nav.pages a{margin-right:1em}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}"
	"dt{font-weight:bold}dd{margin:0}</style>";

/* ---- HTML helpers ---------------------------------------------------------- */

/* Escape n bytes (a log: NUL and all). */
int
rh_dashboard__pg_esc_n(rh_buf *b, const char *s, size_t n)
{
	size_t i, from = 0;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		const char *r = s[i] == '<'  ? "&lt;" :
		                s[i] == '>'  ? "&gt;" :
		                s[i] == '&'  ? "&amp;" :
		                s[i] == '"'  ? "&quot;" :
		                s[i] == '\0' ? "\xef\xbf\xbd" :
		                               NULL;
		if (!r)
			continue;
		if ((error = rh_buf_put(b, s + from, i - from)) == 0)
			error = rh_buf_puts(b, r);
		from = i + 1;
	}
	return error ? error : rh_buf_put(b, s + from, n - from);
}

int
rh_dashboard__pg_esc(rh_buf *b, const char *s)
{
	return rh_dashboard__html(b, s ? s : "");
}

void
rh_dashboard__pg_time(char *out, size_t cap, int64_t ns)
{
	time_t t;
	struct tm tm;
	int64_t ms = rh_dashboard__ms(ns);

	if (ms <= 0) {
		snprintf(out, cap, "-");
		return;
	}
	t = (time_t)(ms / 1000);
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), cap - strlen(out), ".%03dZ",
	         (int)(ms % 1000));
}

/* <a href="HREF">TEXT</a>, both escaped. */
int
rh_dashboard__pg_link(rh_buf *b, const char *href, const char *text)
{
	int error;

	if ((error = rh_buf_puts(b, "<a href=\"")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, href)) < 0 ||
	    (error = rh_buf_puts(b, "\">")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, text)) < 0)
		return error;
	return rh_buf_puts(b, "</a>");
}

/* The head of a page under rayhist/: title, breadcrumbs (all sessions, this
 * session), the instant it shows, a skip link. */
int
rh_dashboard__pg_start(rh_dash_ctx *c, rh_buf *b, const char *title)
{
	const rh_dash_snap *s = c->snap;
	char at[40];
	int error;

	rh_buf_clear(b);
	if ((error = rh_buf_puts(
		     b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
			"<meta charset=\"utf-8\"><meta name=\"viewport\" "
			"content=\"width=device-width\"><title>")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, title)) < 0 ||
	    (error = rh_buf_puts(b, " - ")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, s->session)) < 0 ||
	    (error = rh_buf_puts(b, "</title>")) < 0 ||
	    (error = rh_buf_puts(b, CSS)) < 0 ||
	    (error = rh_buf_puts(
		     b, "</head><body><a class=\"skip\" href=\"#main\">"
			"Skip to content</a><nav aria-label=\"Breadcrumb\">"
			"<a href=\"/\">All sessions</a> / "
			"<a id=\"session-link\" href=\"../\">")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, s->cluster)) < 0 ||
	    (error = rh_buf_puts(b, "/")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, s->session)) < 0 ||
	    (error = rh_buf_puts(b, "</a></nav><main id=\"main\"><h1>")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, title)) < 0 ||
	    (error = rh_buf_puts(b, "</h1>\n")) < 0)
		return error;
	if (c->at_ns != RH_TIME_NONE) {
		rh_dashboard__pg_time(at, sizeof(at), c->at_ns);
		error = rh_buf_printf(b,
		                      "<p class=\"note\" id=\"at\">As of %s: "
		                      "what had happened by then.</p>\n",
		                      at);
	}
	return error;
}

int
rh_dashboard__pg_end(rh_dash_ctx *c, rh_buf *b, int status)
{
	int error;

	if ((error = rh_buf_puts(b, "</main></body></html>\n")) < 0 ||
	    (error = rh_dashboard__header(c->resp, "Cache-Control",
	                                  "no-cache")) < 0)
		return error;
	return rh_dashboard__reply(c, status, "text/html; charset=utf-8");
}

/* A page saying what was not found (404) or was wrong (400). */
int
rh_dashboard__pg_fail(rh_dash_ctx *c, int status, const char *title,
                      const char *msg)
{
	rh_buf *b = &c->resp->body;
	int error;

	if ((error = rh_dashboard__pg_start(c, b, title)) < 0 ||
	    (error = rh_buf_puts(b, "<p id=\"error\" role=\"alert\">")) < 0 ||
	    (error = rh_dashboard__pg_esc(b, msg)) < 0 ||
	    (error = rh_buf_puts(b, "</p>")) < 0)
		return error;
	return rh_dashboard__pg_end(c, b, status);
}

int
rh_dashboard__pg_fail_code(rh_dash_ctx *c, const char *title, int code)
{
	int status = code == RH_EINVAL ? 400 : code == RH_ENOTFOUND ? 404 : 500;
	char msg[600];

	if (code == RH_ENOMEM)
		return code;
	snprintf(msg, sizeof(msg), "%s",
	         *rh_error_last() ? rh_error_last() : rh_error_name(code));
	rh_error_clear();
	return rh_dashboard__pg_fail(c, status, title, msg);
}

/* "Showing A-B of N" and previous / next links of a paged list; `href` is
 * the page's URL up to where "offset=K" is appended. */
int
rh_dashboard__pg_pager(rh_buf *b, const char *id, const char *what,
                       const char *href, uint64_t offset, uint64_t shown,
                       uint64_t total, uint64_t per)
{
	rh_buf h = RH_BUF_INIT;
	int error;

	if (!shown)
		error = rh_buf_printf(b, "<p id=\"%s-count\">No %s%s.</p>\n",
		                      id, what, total ? " on this page" : "");
	else
		error = rh_buf_printf(
			b,
			"<p id=\"%s-count\">Showing %llu&ndash;%llu "
			"of %llu %s.</p>\n",
			id, (unsigned long long)offset + 1,
			(unsigned long long)(offset + shown),
			(unsigned long long)total, what);
	if (error < 0 || (offset == 0 && offset + shown >= total))
		return error;
	error = rh_buf_printf(
		b, "<nav class=\"pages\" aria-label=\"Pages of %s\">", what);
	if (!error && offset > 0) {
		rh_buf_printf(
			&h, "%s%llu", href,
			(unsigned long long)(offset > per ? offset - per : 0));
		error = rh_dashboard__pg_link(b, h.ptr, "Previous page");
	}
	if (!error && offset + shown < total) {
		rh_buf_clear(&h);
		rh_buf_printf(&h, "%s%llu", href,
		              (unsigned long long)(offset + shown));
		error = rh_dashboard__pg_link(b, h.ptr, "Next page");
	}
	rh_buf_dispose(&h);
	return error ? error : rh_buf_puts(b, "</nav>\n");
}

int
rh_dashboard__pg_transitions(rh_buf *b, const rh_transition *tr, size_t n,
                             const char *(*name)(int))
{
	char when[40];
	size_t i;
	int error;

	if ((error = rh_buf_puts(
		     b, "<table id=\"transitions\"><caption>State "
			"transitions</caption><thead><tr><th scope=\"col\">"
			"State</th><th scope=\"col\">Time (UTC)</th></tr>"
			"</thead><tbody>")) < 0)
		return error;
	for (i = 0; i < n && !error; i++) {
		rh_dashboard__pg_time(when, sizeof(when), tr[i].time_ns);
		error = rh_buf_printf(b, "<tr><td>%s</td><td>%s</td></tr>",
		                      name(tr[i].state), when);
	}
	return error ? error : rh_buf_puts(b, "</tbody></table>\n");
}

int
rh_dashboard__pg_dd(rh_buf *b, const char *term, const char *id,
                    const char *value)
{
	int error;

	if ((error = rh_buf_printf(b, "<dt>%s</dt><dd id=\"%s\">", term, id)) <
	            0 ||
	    (error = rh_dashboard__pg_esc(b, value && *value ? value : "-")) <
	            0)
		return error;
	return rh_buf_puts(b, "</dd>");
}

int
rh_dashboard__pg_pre(rh_buf *b, const char *title, const char *id,
                     const char *text)
{
	int error;

	if (!text)
		return 0;
	if ((error = rh_buf_printf(b,
	                           "<h2>%s</h2><pre id=\"%s\" tabindex=\"0\">",
	                           title, id)) < 0 ||
	    (error = rh_dashboard__pg_esc(b, text)) < 0)
		return error;
	return rh_buf_puts(b, "</pre>\n");
}
