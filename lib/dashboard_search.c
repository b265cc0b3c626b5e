/* dashboard_search.c - rayhist/search?q=PATTERN: rh_search_session() over
 * HTTP, each hit linked into Ray's log viewer and into rayhist/logline,
 * a built-in page that shows the lines around a hit, anchored at it.
 *
 * Parameters of rayhist/search: q (the pattern; required), mode (basic,
 * extended or fixed; default basic, as grep), i (1: ignore case), node (an
 * id or unique prefix), file (a glob, as rayhist-ls --file), context (0 to
 * 100 lines), max (matching lines, 1 to 100000, default 1000). A
 * SESSION@TIME prefix searches the files as captured by TIME. */
#include "dashboard_routes.h"
#include "search_internal.h"

#include <string.h>

#define DEFAULT_MAX 1000
#define LOGLINE_SPAN (32u << 10)

struct sreply {
	rh_dash_ctx *c;
	rh__jw *w;
	rh_buf name, href;
	int error;
};

/* Ray's log viewer takes a file name relative to the node's logs folder:
 * only files there have a viewer link. */
static int
add_links(struct sreply *r, const rh_search_line *l)
{
	rh_buf *h = &r->href;
	int error;

	rh_buf_clear(h);
	rh__jw_key(r->w, "viewer");
	if (!strncmp(l->path, "logs/", 5)) {
		if ((error = rh_buf_printf(
			     h, "%s#/logs/viewer?nodeId=%s&fileName=",
			     r->c->base, l->node_id)) < 0 ||
		    (error = rh_dashboard__urlenc(h, r->name.ptr + 5)) < 0)
			return error;
		rh__jw_str(r->w, h->ptr);
	} else {
		rh__jw_null(r->w);
	}
	rh_buf_clear(h);
	if ((error = rh_buf_printf(h, "%srayhist/logline?node=%s&file=",
	                           r->c->base, l->node_id)) < 0 ||
	    (error = rh_dashboard__urlenc(h, r->name.ptr)) < 0 ||
	    (error = rh_buf_printf(h, "&offset=%llu&line=%llu#L%llu",
	                           (unsigned long long)l->offset,
	                           (unsigned long long)l->line,
	                           (unsigned long long)l->line)) < 0)
		return error;
	rh__jw_kstr(r->w, "log", h->ptr);
	return 0;
}

static int
on_line(const rh_search_line *l, void *payload)
{
	struct sreply *r = payload;
	int error;

	if ((error = rh_catalog_display_path(&r->name, l->path, 0)) < 0)
		return error;
	rh__jw_obj(r->w);
	rh__jw_kstr(r->w, "node", l->node_id);
	rh__jw_kstr(r->w, "file", r->name.ptr);
	rh__jw_kint(r->w, "line", (int64_t)l->line);
	rh__jw_kint(r->w, "offset", (int64_t)l->offset);
	rh__jw_kbool(r->w, "match", !l->context);
	rh__jw_kbool(r->w, "group_start", l->group_start);
	rh__jw_key(r->w, "text");
	rh__jw_strn(r->w, l->text, l->len);
	if ((error = add_links(r, l)) < 0)
		return error;
	rh__jw_end(r->w);
	return r->w->err;
}

static const char *const modes[] = { "basic", "extended", "fixed", NULL };

static int
search_options(rh_dash_ctx *c, rh_search_options *o, rh_buf *node)
{
	const char *n = rh_dashboard_url_param(c->url, "node");
	int64_t ctx, max;
	int mode, icase, error;

	if ((error = rh_dashboard__param_enum(&mode, c->url, "mode", modes,
	                                      0)) < 0 ||
	    (error = rh_dashboard__param_bool(&icase, c->url, "i", 0)) < 0 ||
	    (error = rh_dashboard__param_int(&ctx, c->url, "context", 0, 0,
	                                     100)) < 0 ||
	    (error = rh_dashboard__param_int(&max, c->url, "max", DEFAULT_MAX,
	                                     1, 100000)) < 0)
		return error;
	o->flags = (mode == 1 ? RH_SEARCH_EXTENDED :
	            mode == 2 ? RH_SEARCH_FIXED :
	                        0) |
	           (icase ? RH_SEARCH_ICASE : 0);
	o->context = (unsigned)ctx;
	o->max_matches = (uint64_t)max;
	o->file_glob = rh_dashboard_url_param(c->url, "file");
	if (o->file_glob && !*o->file_glob)
		o->file_glob = NULL;
	if (c->at_ns != RH_TIME_NONE)
		o->at_ms = c->at_ns / 1000000 - (c->at_ns % 1000000 < 0);
	if (n && *n) {
		if ((error = rh_catalog_resolve_node(node, c->d->st, &c->sref,
		                                     n)) < 0)
			return error;
		o->node = node->ptr;
	}
	return 0;
}

static int
search(rh_dash_ctx *c)
{
	rh_search_options o = RH_SEARCH_OPTIONS_INIT;
	rh_search_stats stats = RH_SEARCH_STATS_INIT;
	const char *q = rh_dashboard_url_param(c->url, "q");
	struct sreply r;
	rh_buf node = RH_BUF_INIT;
	rh__jw w;
	int error;

	c->cacheable = 0; /* a live session's logs grow under it */
	if (!q)
		return rh_dashboard__fail(c, 400,
		                          "rayhist/search needs q=PATTERN");
	if ((error = search_options(c, &o, &node)) < 0) {
		rh_buf_dispose(&node);
		return rh_dashboard__fail_code(c, error);
	}
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.w = &w;
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "");
	rh__jw_key(&w, "pattern");
	rh__jw_strn(&w, q, strlen(q));
	rh__jw_key(&w, "lines");
	rh__jw_arr(&w);
	error = rh_search_session(&stats, c->d->st, &c->sref, q, &o, on_line,
	                          &r);
	rh_buf_dispose(&node);
	rh_buf_dispose(&r.name);
	rh_buf_dispose(&r.href);
	if (error < 0) {
		rh_buf_clear(&c->resp->body);
		return rh_dashboard__fail_code(c, error);
	}
	rh__jw_end(&w);
	rh__jw_kint(&w, "matches", (int64_t)stats.matches);
	rh__jw_kbool(&w, "truncated", stats.matches == o.max_matches);
	rh__jw_kint(&w, "files", (int64_t)stats.files);
	rh__jw_kint(&w, "bytes", (int64_t)stats.bytes);
	rh__jw_kint(&w, "unreadable_files", (int64_t)stats.errors);
	rh__jw_key(&w, "error");
	if (stats.errors)
		rh__jw_str(&w, rh_error_last());
	else
		rh__jw_null(&w);
	rh_dashboard__envelope_end(&w);
	return rh_dashboard__reply_jw(c, &w);
}

/* ---- rayhist/logline?node=ID&file=PATH&offset=O&line=N ------------------ */

/* One line as HTML: bytes outside UTF-8 shown as U+EF80.. would puzzle a
 * reader; they are kept as the JSON writer maps them, escaped. */
static int
html_line(rh_buf *b, const char *p, size_t n, uint64_t num, int here)
{
	rh_buf t = RH_BUF_INIT;
	size_t i;
	int error;

	if ((error = rh_buf_put_utf8(&t, p, n)) < 0 ||
	    (error = rh_buf_put(&t, "", 1)) < 0)
		goto done;
	for (i = 0; i + 1 < t.size; i++) /* a NUL would end the text */
		if (!t.ptr[i])
			t.ptr[i] = ' ';
	error = rh_buf_printf(b,
	                      "<span id=\"L%llu\"%s><a href=\"#L%llu\">%7llu"
	                      "</a>  ",
	                      (unsigned long long)num,
	                      here ? " class=\"hit\"" : "",
	                      (unsigned long long)num, (unsigned long long)num);
	error = error ? error : rh_dashboard__html(b, t.ptr);
	error = error ? error : rh_buf_puts(b, "</span>\n");
done:
	rh_buf_dispose(&t);
	return error;
}

static int
logline_body(rh_dash_ctx *c, rh_logfile *f, const char *file, uint64_t off,
             uint64_t line)
{
	rh_buf *b = &c->resp->body, data = RH_BUF_INIT;
	uint64_t start = off > LOGLINE_SPAN ? off - LOGLINE_SPAN : 0, num;
	const char *p, *e, *nl;
	int error;

	if ((error = rh_logfile_read(&data, f, start, 2 * LOGLINE_SPAN)) < 0)
		goto done;
	if (off > start &&
	    (off - start > data.size || data.ptr[off - start - 1] != '\n')) {
		error = rh_dashboard__fail(c, 400,
		                           "offset %llu does not start a "
		                           "line of %s",
		                           (unsigned long long)off, file);
		goto done;
	}
	p = data.ptr;
	e = data.ptr + data.size;
	/* skip a partial first line; count the lines before the hit */
	if (start > 0 && (nl = memchr(p, '\n', (size_t)(off - start))))
		p = nl + 1;
	num = line - rh__count_nl(p, (size_t)(data.ptr + (off - start) - p));
	error = rh_buf_puts(
		b, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
		   "<title>");
	error = error ? error : rh_dashboard__html(b, file);
	error = error ? error :
	                rh_buf_puts(b, "</title><style>.hit{background:"
	                               "#ffec99}pre{white-space:pre-wrap}"
	                               "</style></head><body><h1>");
	error = error ? error : rh_dashboard__html(b, file);
	error = error ? error : rh_buf_puts(b, "</h1><pre>");
	while (!error && p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl && start + data.size < rh_logfile_size(f))
			break; /* a partial last line */
		error = html_line(b, p, nl ? (size_t)(nl - p) : (size_t)(e - p),
		                  num, num == line);
		num++;
		p = nl ? nl + 1 : e;
	}
	error = error ? error : rh_buf_puts(b, "</pre></body></html>\n");
	error = error ? error :
	                rh_dashboard__reply(c, 200, "text/html; charset=utf-8");
done:
	rh_buf_dispose(&data);
	return error;
}

static int
logline(rh_dash_ctx *c)
{
	const char *node = rh_dashboard_url_param(c->url, "node");
	const char *file = rh_dashboard_url_param(c->url, "file");
	rh_buf id = RH_BUF_INIT;
	rh_logfile *f = NULL;
	int64_t off, line;
	int error;

	if (!node || !file)
		return rh_dashboard__fail(c, 400,
		                          "rayhist/logline needs node, "
		                          "file, offset and line");
	if ((error = rh_dashboard__param_int(&off, c->url, "offset", 0, 0,
	                                     INT64_MAX)) < 0 ||
	    (error = rh_dashboard__param_int(&line, c->url, "line", 1, 1,
	                                     INT64_MAX)) < 0 ||
	    (error = rh_catalog_resolve_node(&id, c->d->st, &c->sref, node)) <
	            0 ||
	    (error = rh_logfile_open(&f, c->d->st, &c->sref, id.ptr, file)) <
	            0) {
		rh_buf_dispose(&id);
		return rh_dashboard__fail_code(c, error);
	}
	if ((uint64_t)off > rh_logfile_size(f))
		error = rh_dashboard__fail(c, 400,
		                           "offset %lld is past the end of "
		                           "%s",
		                           (long long)off, file);
	else if ((error = logline_body(c, f, file, (uint64_t)off,
	                               (uint64_t)line)) < 0) {
		rh_buf_clear(&c->resp->body);
		error = rh_dashboard__fail_code(c, error);
	}
	rh_logfile_close(f);
	rh_buf_dispose(&id);
	return error;
}

int
rh_dashboard__search_route(rh_dash_ctx *c)
{
	if (c->nsegs != 2)
		return 1;
	if (!strcmp(c->segs[1], "search"))
		return search(c);
	if (!strcmp(c->segs[1], "logline"))
		return logline(c);
	return 1;
}
