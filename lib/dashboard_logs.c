/* dashboard_logs.c - /api/v0/logs (a node's log files by category),
 * /api/v0/logs/file (one file by node and name, by task, actor, submission
 * or pid; a tail of N lines or all of it) and /api/jobs/ID/logs
 * (reference/ray-formats.md §3.6-3.7). Files are read from their stored
 * parts through the seek tables: a tail decompresses only the frames that
 * hold it. */
#include "dashboard_routes.h"
#include "catalog_manifest.h"

#include <fnmatch.h>
#include <stdio.h>

#define TAIL_CHUNK (64u << 10)
#define MAX_LINES 100000000
/* A node's manifest is read once and shared by the requests after it
 * (parsing it cost more than the tail it names); a copy this old is checked
 * against the stored object again, so a live session's growing logs show
 * within this time. */
#define MANIFEST_FRESH_MS 1000

/* A step of a log request (find_node, load_manifest, open_log, the by_*
 * resolvers, read_log) returns an rh_dash_step: RH_DASH_GO_ON when it found
 * what the next step needs, RH_DASH_ANSWERED when it wrote the answer (an
 * error) itself, or a negative RH_E*. */

/* The step wrote the answer: RH_DASH_ANSWERED, or the failure writing it. */
static int
answered(int error)
{
	return error < 0 ? error : RH_DASH_ANSWERED;
}

/* ---- which node ------------------------------------------------------------ */

/* node_id or node_ip: RH_DASH_GO_ON (with *out NULL when neither was given and
 * !required), RH_DASH_ANSWERED when it does not resolve, or < 0. */
static int
find_node(const rh_dash_node **out, rh_dash_ctx *c, int required)
{
	const char *id = rh_dashboard_url_param(c->url, "node_id");
	const char *ip = rh_dashboard_url_param(c->url, "node_ip");
	int error;

	*out = NULL;
	if (id && *id) {
		if ((error = rh_dashboard__check_id("node_id", id)) < 0)
			return answered(rh_dashboard__fail_code(c, error));
		if (!(*out = rh_dashboard__node(c->snap, id)))
			return answered(
				rh_dashboard__fail(c, 404,
			                           "node_id: no "
			                           "node %s in session %s",
			                           id, c->snap->session));
		return RH_DASH_GO_ON;
	}
	if (ip && *ip) {
		if (!(*out = rh_dashboard__node_by_ip(c->snap, ip)))
			return answered(
				rh_dashboard__fail(c, 404,
			                           "node_ip: no "
			                           "node with IP %.60s in "
			                           "session %s",
			                           ip, c->snap->session));
		return RH_DASH_GO_ON;
	}
	if (!required)
		return RH_DASH_GO_ON;
	return answered(
		rh_dashboard__fail(c, 400,
	                           "node_id or node_ip: neither "
	                           "was given; name the node whose logs "
	                           "to read"));
}

/* The node's manifest, shared: give it back with unload_manifest(). */
static int
get_manifest(const rh_node_manifest **m, rh__frame_ref **ref, rh_dash_ctx *c,
             const char *node_id)
{
	return rh__manifest_load_shared(m, ref, c->d->frames, c->d->st,
	                                &c->sref, node_id, MANIFEST_FRESH_MS);
}

static void
unload_manifest(rh_dash_ctx *c, rh__frame_ref *ref, const rh_node_manifest *m)
{
	rh__manifest_release(c->d->frames, ref, m);
}

static int
load_manifest(const rh_node_manifest **m, rh__frame_ref **ref, rh_dash_ctx *c,
              const rh_dash_node *n)
{
	int error = get_manifest(m, ref, c, n->node_id);

	if (error == RH_ENOTFOUND)
		return answered(rh_dashboard__fail(c, 404,
		                                   "node %s: no files "
		                                   "were captured from it",
		                                   n->node_id));
	if (error < 0)
		return answered(rh_dashboard__fail_code(c, error));
	return RH_DASH_GO_ON;
}

/* ---- /api/v0/logs ------------------------------------------------------------- */

static const char *
category(const char *f)
{
	size_t n = strlen(f);
	int out = n >= 4 && !strcmp(f + n - 4, ".out");
	int err = n >= 4 && !strcmp(f + n - 4, ".err");
	int log = n >= 4 && !strcmp(f + n - 4, ".log");

	if (strstr(f, "worker") && out)
		return "worker_out";
	if (strstr(f, "worker") && err)
		return "worker_err";
	if (strstr(f, "core-worker") && log)
		return "core_worker";
	if (strstr(f, "core-driver") && log)
		return "driver";
	if (strstr(f, "raylet."))
		return "raylet";
	if (strstr(f, "gcs_server."))
		return "gcs_server";
	if (strstr(f, "log_monitor"))
		return "internal";
	if (strstr(f, "monitor"))
		return "autoscaler";
	if (strstr(f, "agent."))
		return "agent";
	if (strstr(f, "dashboard."))
		return "dashboard";
	return "internal";
}

static const char *const categories[] = {
	"worker_out", "worker_err", "core_worker", "driver",
	"raylet",     "gcs_server", "internal",    "autoscaler",
	"agent",      "dashboard",  NULL
};

typedef struct listing {
	char **names;
	size_t n;
} listing;

static int
listing_add(listing *l, const char *name, size_t len)
{
	char **v;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == len &&
		    !strncmp(l->names[i], name, len))
			return 0;
	if (!(v = rh__realloc(l->names, (l->n + 1) * sizeof(*v))))
		return RH_ENOMEM;
	l->names = v;
	if (!(l->names[l->n] = rh__strndup(name, len)))
		return RH_ENOMEM;
	l->n++;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files (and folders, as "name/") under logs/ matching `glob` as Python's
 * Path.glob() matches: '*' stays inside a folder unless "**" is used. */
static int
list_matching(listing *l, const rh_node_manifest *m, const char *glob)
{
	int flags = strstr(glob, "**") ? 0 : FNM_PATHNAME;
	size_t i, k;
	int error;

	for (i = 0; i < rh_node_manifest_file_count(m); i++) {
		const char *path = rh_node_manifest_file(m, i)->path;
		const char *rel;
		char dir[1024];

		if (strncmp(path, "logs/", 5))
			continue;
		rel = path + 5;
		for (k = 0; rel[k]; k++) {
			if (rel[k] != '/' || k >= sizeof(dir) - 1)
				continue;
			memcpy(dir, rel, k);
			dir[k] = '\0';
			if (fnmatch(glob, dir, flags) == 0) {
				dir[k] = '/';
				if ((error = listing_add(l, dir, k + 1)) < 0)
					return error;
			}
		}
		if (fnmatch(glob, rel, flags) == 0 &&
		    (error = listing_add(l, rel, strlen(rel))) < 0)
			return error;
	}
	if (l->n)
		qsort(l->names, l->n, sizeof(*l->names), name_cmp);
	return 0;
}

int
rh_dashboard__logs_list(rh_dash_ctx *c)
{
	const char *glob = rh_dashboard_url_param(c->url, "glob");
	const rh_dash_node *n;
	const rh_node_manifest *m = NULL;
	rh__frame_ref *mref = NULL;
	listing l = { NULL, 0 };
	rh_buf shown = RH_BUF_INIT;
	rh__jw w;
	size_t i, k;
	int r, error;

	if (!glob || !*glob)
		glob = "*";
	if (glob[0] == '/' || strstr(glob, "../") || !strcmp(glob, "..") ||
	    (strlen(glob) >= 3 && !strcmp(glob + strlen(glob) - 3, "/..")))
		return rh_dashboard__fail(
			c, 400,
			"glob: \"%.60s\" must be "
			"relative to the logs folder, without "
			"\"..\"",
			glob);
	if ((r = find_node(&n, c, 1)) != RH_DASH_GO_ON ||
	    (r = load_manifest(&m, &mref, c, n)) != RH_DASH_GO_ON)
		return r < 0 ? r : 0;
	if ((error = list_matching(&l, m, glob)) < 0)
		goto done;
	rh__jw_init(&w, &c->resp->body);
	rh_dashboard__envelope_begin(&w, "");
	rh__jw_key(&w, "result");
	rh__jw_obj(&w);
	for (k = 0; categories[k]; k++) {
		int open = 0;

		for (i = 0; i < l.n; i++) {
			if (strcmp(category(l.names[i]), categories[k]))
				continue;
			if (!open++) {
				rh__jw_key(&w, categories[k]);
				rh__jw_arr(&w);
			}
			/* Valid JSON for any name: bytes outside UTF-8, and
			 * control bytes (a request target may not carry them),
			 * as \xHH, which a request for the file gives back. */
			if ((error = rh_catalog_display_path(
				     &shown, l.names[i], RH_DISPLAY_CONTROL)) <
			    0)
				goto done;
			rh__jw_str(&w, shown.ptr);
		}
		if (open)
			rh__jw_end(&w);
	}
	rh_dashboard__envelope_end(&w);
	error = rh_dashboard__reply_jw(c, &w);
done:
	for (i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	rh_buf_dispose(&shown);
	unload_manifest(c, mref, m);
	return error;
}

/* ---- /api/v0/logs/file ---------------------------------------------------------- */

typedef struct logreq {
	int text;           /* format=text, else leading_1 */
	int ansi;           /* filter_ansi_code */
	int64_t lines;      /* -1 = all */
	const char *suffix; /* "out" or "err" */
	int64_t attempt;
	/* resolved */
	const rh_dash_node *node;
	rh_log_match match;  /* how path names the file */
	rh_buf path;         /* relative to the session directory, or the
				  key of rh_node_manifest_find_log() */
	uint64_t start, end; /* byte range; end UINT64_MAX = to the end */
} logreq;

/* A log error: 4xx/5xx with the message in the requested format. */
static int log_fail(rh_dash_ctx *c, const logreq *lr, int status,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
log_fail(rh_dash_ctx *c, const logreq *lr, int status, const char *fmt, ...)
{
	rh_buf *b = &c->resp->body;
	va_list ap;
	int error;

	rh_buf_clear(b);
	if (lr && !lr->text && (error = rh_buf_puts(b, "0")) < 0)
		return error;
	va_start(ap, fmt);
	error = rh_buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (error < 0 || (error = rh_buf_puts(b, "\n")) < 0)
		return error;
	return rh_dashboard__reply(c, status, "text/plain; charset=utf-8");
}

static int
log_fail_code(rh_dash_ctx *c, const logreq *lr, int error)
{
	int status = error == RH_EINVAL    ? 400 :
	             error == RH_ENOTFOUND ? 404 :
	                                     500;

	return log_fail(c, lr, status, "%s",
	                *rh_error_last() ? rh_error_last() :
	                                   rh_error_name(error));
}

/* Each resolver sets lr->node and how to find the file (lr->match,
 * lr->path) and a range: RH_DASH_GO_ON, RH_DASH_ANSWERED, or < 0. */
static int
by_filename(rh_dash_ctx *c, logreq *lr, const char *filename)
{
	int r;

	if ((r = find_node(&lr->node, c, 1)) != RH_DASH_GO_ON)
		return r;
	/* names that are not UTF-8 were listed as U+EF80.. (rh_buf_put_utf8)
	 * and come back so: turn them into the stored bytes */
	if (filename[0] == '/' || rh_buf_puts(&lr->path, "logs/") < 0 ||
	    rh_buf_put_from_utf8(&lr->path, filename, strlen(filename)) < 0 ||
	    rh_layout_check_path(lr->path.ptr) < 0)
		return answered(
			log_fail(c, lr, 400,
		                 "filename: \"%.80s\" must "
		                 "be a path relative to the node's logs "
		                 "folder, without \"..\"",
		                 filename));
	lr->match = RH_LOG_MATCH_PATH;
	return RH_DASH_GO_ON;
}

static int
one_row(rh_query **q, const rh_row **row, rh_dash_ctx *c, rh_entity what,
        const rh_filter *f, size_t nf)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	int error;

	o.filters = f;
	o.nfilters = nf;
	o.limit = 1;
	o.count = 0;
	o.detail = 1;
	o.exclude_driver = 0;
	o.at_ns = c->at_ns;
	if ((error = rh_query_open(q, c->snap->ix, what, &o)) < 0)
		return error;
	return rh_query_next(row, *q);
}

/* task_id, actor_id, submission_id: resolved by the library
 * (rh_index_log_locate), as rayhist-ls --logs does. */
static int
by_entity(rh_dash_ctx *c, logreq *lr, rh_log_owner owner, const char *id)
{
	rh_log_location loc = RH_LOG_LOCATION_INIT;
	int error, r = RH_DASH_GO_ON;

	if ((error = rh_index_log_locate(&loc, c->snap->ix, owner, id,
	                                 lr->attempt, lr->suffix, c->at_ns)) <
	    0) {
		r = answered(log_fail_code(c, lr, error));
		goto done;
	}
	lr->node = loc.node_id.size ?
	                   rh_dashboard__node(c->snap, loc.node_id.ptr) :
	                   rh_dashboard__head(c->snap);
	if (!lr->node) {
		r = answered(
			loc.node_id.size ?
				log_fail(c, lr, 404,
		                         "%s %s ran on node %s, which has no "
		                         "captured files",
		                         owner == RH_LOG_OF_TASK ? "task" :
		                         owner == RH_LOG_OF_ACTOR ?
		                                                   "actor" :
		                                                   "submission",
		                         id, loc.node_id.ptr) :
				log_fail(c, lr, 404,
		                         "submission %s: no node has captured "
		                         "files",
		                         id));
		goto done;
	}
	lr->match = loc.match;
	lr->start = loc.start;
	lr->end = loc.end;
	if ((error = rh_buf_puts(&lr->path, loc.key.ptr)) < 0)
		r = error;
done:
	rh_log_location_dispose(&loc);
	return r;
}

int
rh_dashboard__log_leading_1_default(const char *version)
{
	int major, minor;

	if (!version || sscanf(version, "%d.%d", &major, &minor) != 2)
		return 0;
	return major < 2 || (major == 2 && minor < 33);
}

/* The Ray version of the client asking: the build it was served (the
 * rayhist_build cookie its landing page set) when builds are named by
 * version, else the session's Ray version - a single build is expected to
 * match the sessions it shows. */
static const char *
client_version(rh_dash_ctx *c, char *buf, size_t cap)
{
	const rh_dash_build *b;

	if (!c->d->single_build && c->req->cookie &&
	    rh_dashboard__cookie_get(buf, cap, c->req->cookie,
	                             "rayhist_build") &&
	    (b = rh_dashboard__build_for(c->d, buf, NULL)) &&
	    !strcmp(b->name, buf))
		return buf;
	return c->snap && c->snap->ray_version[0] ? c->snap->ray_version : NULL;
}

static int
parse_logreq(rh_dash_ctx *c, logreq *lr)
{
	static const char *const formats[] = { "leading_1", "text", NULL };
	static const char *const suffixes[] = { "out", "err", NULL };
	const char *dl = rh_dashboard_url_param(c->url, "download_filename");
	char vbuf[128];
	int64_t timeout;
	int suffix, error;
	/* without format: Ray 2.45+ sends none and wants the bytes as they are
	 * (a leading "1" showed as the first character of every log) */
	int dflt = rh_dashboard__log_leading_1_default(
			   client_version(c, vbuf, sizeof(vbuf))) ?
	                   0 :
	                   1;

	if ((error = rh_dashboard__param_enum(&lr->text, c->url, "format",
	                                      formats, dflt)) < 0 ||
	    (error = rh_dashboard__param_enum(&suffix, c->url, "suffix",
	                                      suffixes, 0)) < 0 ||
	    (error = rh_dashboard__param_int(&lr->lines, c->url, "lines", 1000,
	                                     -1, MAX_LINES)) < 0 ||
	    (error = rh_dashboard__param_int(&lr->attempt, c->url,
	                                     "attempt_number", 0, 0, 1000000)) <
	            0 ||
	    (error = rh_dashboard__param_int(&timeout, c->url, "timeout", 30, 1,
	                                     86400)) < 0 ||
	    (error = rh_dashboard__param_bool(&lr->ansi, c->url,
	                                      "filter_ansi_code", 0)) < 0)
		return error;
	lr->suffix = suffixes[suffix];
	if (dl && (!*dl || strpbrk(dl, "\"\\/;") || strlen(dl) > 200))
		return rh__error(RH_EINVAL,
		                 "download_filename: \"%.60s\" must be "
		                 "a plain file name",
		                 dl);
	return 0;
}

/* Is s an RFC 7230 token (then Content-Disposition carries the file name
 * bare, "filename=custom.log", as Go's mime.FormatMediaType writes it and
 * KubeRay's clients look for it; anything else is quoted)? */
static int
is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", *s))
			return 0;
	return 1;
}

/* The last n lines of [start, end): read backwards in chunks from end, never
 * before start. */
static int
tail_range(rh_buf *out, rh_logfile *f, uint64_t start, uint64_t end, int64_t n)
{
	rh_buf chunk = RH_BUF_INIT;
	uint64_t pos, from = start;
	int64_t seen = 0;
	int error = 0;

	if (n == 0 || end <= start)
		return 0;
	if ((error = rh_logfile_read(&chunk, f, end - 1, 1)) < 0)
		goto done;
	pos = end - (chunk.size == 1 && chunk.ptr[0] == '\n' ? 1 : 0);
	while (pos > start) {
		uint64_t lo =
			pos - start > TAIL_CHUNK ? pos - TAIL_CHUNK : start;
		size_t k;

		rh_buf_clear(&chunk);
		if ((error = rh_logfile_read(&chunk, f, lo,
		                             (size_t)(pos - lo))) < 0)
			goto done;
		if (chunk.size != pos - lo) {
			error = rh__error(RH_ECORRUPT,
			                  "short read of a log file");
			goto done;
		}
		for (k = chunk.size; k > 0; k--) {
			if (chunk.ptr[k - 1] == '\n' && ++seen == n) {
				from = lo + k;
				goto found;
			}
		}
		pos = lo;
	}
found:
	error = rh_logfile_read(out, f, from, (size_t)(end - from));
done:
	rh_buf_dispose(&chunk);
	return error;
}

/* Open the file lr names on its node: RH_DASH_GO_ON with *f and *m (give the
 * manifest back with unload_manifest(), also on RH_DASH_ANSWERED), RH_DASH_ANSWERED
 * when the node or the file is not there, or < 0. */
static int
open_log(rh_logfile **f, const rh_node_manifest **m, rh__frame_ref **mref,
         rh_dash_ctx *c, logreq *lr)
{
	int error;

	if ((error = get_manifest(m, mref, c, lr->node->node_id)) < 0)
		return answered(
			error == RH_ENOTFOUND ?
				log_fail(c, lr, 404,
		                         "node %s: no files were captured "
		                         "from it",
		                         lr->node->node_id) :
				log_fail_code(c, lr, error));
	if (lr->match != RH_LOG_MATCH_PATH) {
		rh_buf key = RH_BUF_INIT;

		if ((error = rh_buf_puts(&key, lr->path.ptr)) == 0)
			error = rh_node_manifest_find_log(
				&lr->path, *m, lr->match, key.ptr, lr->suffix);
		rh_buf_dispose(&key);
		if (error < 0)
			return error == RH_ENOTFOUND ?
			               answered(log_fail_code(c, lr, error)) :
			               error;
	}
	if ((error = rh_logfile_open_manifest(f, c->d->st, &c->sref, *m,
	                                      lr->path.ptr)) == 0)
		rh_logfile_set_cache(*f, c->d->frames);
	if (error < 0)
		return answered(
			error == RH_ENOTFOUND ?
				log_fail(c, lr, 404, "node %s: no log file %s",
		                         lr->node->node_id, lr->path.ptr + 5) :
				log_fail_code(c, lr, error));
	return RH_DASH_GO_ON;
}

/* Read [lr->start, end), or its last lr->lines lines, into the body after
 * the "1" of the leading_1 format: RH_DASH_GO_ON, RH_DASH_ANSWERED when it could
 * not be read or is over the size limit, or < 0. */
static int
read_log(rh_dash_ctx *c, logreq *lr, rh_logfile *f, uint64_t end)
{
	rh_buf *b = &c->resp->body;
	size_t at;
	int error;

	if (!lr->text && (error = rh_buf_puts(b, "1")) < 0)
		return error;
	at = b->size;
	if (lr->lines < 0)
		error = rh_logfile_read(b, f, lr->start,
		                        (size_t)(end - lr->start));
	else if (lr->start == 0)
		error = rh_logfile_tail(b, NULL, f, (size_t)lr->lines, end);
	else
		error = tail_range(b, f, lr->start, end, lr->lines);
	if (error < 0)
		return answered(log_fail(c, lr, 500, "%s: %s", lr->path.ptr,
		                         rh_logfile_errmsg(f)[0] ?
		                                 rh_logfile_errmsg(f) :
		                                 rh_error_last()));
	if (b->size - at > c->d->opts.max_body)
		return answered(log_fail(
			c, lr, 413,
			"the last %lld lines of %s "
			"are more than this server's limit of %zu bytes "
			"per response; ask for fewer lines",
			(long long)lr->lines, lr->path.ptr,
			c->d->opts.max_body));
	if (lr->ansi)
		rh_dashboard__strip_ansi(b, at);
	return RH_DASH_GO_ON;
}

/* Answer with the resolved file: 0 once the answer (the bytes, a stream of
 * them, or an error) is written, or < 0. */
static int
serve_file(rh_dash_ctx *c, logreq *lr)
{
	const rh_node_manifest *m = NULL;
	rh__frame_ref *mref = NULL;
	rh_logfile *f = NULL;
	const char *dl = rh_dashboard_url_param(c->url, "download_filename");
	uint64_t size, end;
	int r, stream;

	if ((r = open_log(&f, &m, &mref, c, lr)) != RH_DASH_GO_ON)
		goto done;
	size = rh_logfile_size(f);
	if (c->at_ns != RH_TIME_NONE) /* playback: as captured by then */
		size = rh_logfile_size_at(f, c->at_ns / 1000000);
	end = lr->end > size ? size : lr->end;
	if (lr->start > end)
		lr->start = end;
	/* A large range, whole logs and downloads, when the caller can send
	 * a body piece by piece: no size limit, nothing held. */
	stream = lr->lines < 0 && c->req->version >= 3 && c->req->stream_ok &&
	         end - lr->start >= RH_DASHBOARD_STREAM_MIN;
	if (!stream && lr->lines < 0 && end - lr->start > c->d->opts.max_body) {
		r = log_fail(c, lr, 413,
		             "%s is %llu bytes, more than this "
		             "server's limit of %zu per response; ask for a "
		             "number of lines, or use rayhist-ls --cat",
		             lr->path.ptr,
		             (unsigned long long)(end - lr->start),
		             c->d->opts.max_body);
		goto done;
	}
	rh_buf_clear(&c->resp->body);
	if (stream) {
		/* A large range, whole logs and downloads: read as the client
		 * takes it, never held whole (dashboard_stream.c). */
		if ((r = rh_dashboard__stream_log(
			     &c->resp->stream, c->d, &c->sref,
			     lr->node->node_id, lr->path.ptr, lr->start, end,
			     lr->text ? "" : "1", lr->ansi)) < 0) {
			r = log_fail_code(c, lr, r);
			goto done;
		}
		c->cacheable = 0;
	} else if ((r = read_log(c, lr, f, end)) != RH_DASH_GO_ON) {
		goto done;
	}
	if (dl && (r = rh_dashboard__header(
			   c->resp, "Content-Disposition",
			   is_token(dl) ? "attachment; filename=%s" :
					  "attachment; filename=\"%s\"",
			   dl)) < 0)
		goto done;
	r = rh_dashboard__reply(c, 200, "text/plain; charset=utf-8");
done:
	rh_logfile_close(f);
	unload_manifest(c, mref, m);
	return r < 0 ? r : 0;
}

int
rh_dashboard__logs_file(rh_dash_ctx *c)
{
	const char *filename = rh_dashboard_url_param(c->url, "filename");
	const char *task = rh_dashboard_url_param(c->url, "task_id");
	const char *actor = rh_dashboard_url_param(c->url, "actor_id");
	const char *sub = rh_dashboard_url_param(c->url, "submission_id");
	const char *pid = rh_dashboard_url_param(c->url, "pid");
	logreq lr;
	int r, error;

	memset(&lr, 0, sizeof(lr));
	lr.end = UINT64_MAX;
	if ((error = parse_logreq(c, &lr)) < 0) {
		r = log_fail_code(c, &lr, error);
		goto done;
	}
	if (filename && *filename)
		r = by_filename(c, &lr, filename);
	else if (task && *task)
		r = by_entity(c, &lr, RH_LOG_OF_TASK, task);
	else if (actor && *actor)
		r = by_entity(c, &lr, RH_LOG_OF_ACTOR, actor);
	else if (sub && *sub)
		r = by_entity(c, &lr, RH_LOG_OF_SUBMISSION, sub);
	else if (pid && *pid) {
		int64_t p;
		if ((error = rh_dashboard__param_int(&p, c->url, "pid", 0, 1,
		                                     INT32_MAX)) < 0) {
			r = log_fail_code(c, &lr, error);
			goto done;
		}
		if ((r = find_node(&lr.node, c, 1)) == RH_DASH_GO_ON) {
			lr.match = RH_LOG_MATCH_PID;
			error = rh_buf_printf(&lr.path, "%lld", (long long)p);
			r = error < 0 ? error : RH_DASH_GO_ON;
		}
	} else {
		r = answered(log_fail(
			c, &lr, 400,
			"give filename (with node_id or "
			"node_ip), task_id, actor_id, submission_id or pid "
			"(with node_id or node_ip)"));
		goto done;
	}
	if (r == RH_DASH_GO_ON)
		r = serve_file(c, &lr);
done:
	rh_buf_dispose(&lr.path);
	return r < 0 ? r : 0;
}

/* The submission id of job `job` (a submission id or a job id) and the
 * node its driver ran on (else the head node): RH_DASH_GO_ON, RH_DASH_ANSWERED
 * (404: no such job, not submitted, no node), or < 0. */
static int
job_driver(rh_buf *sid, const rh_dash_node **n, rh_dash_ctx *c, const char *job)
{
	rh_filter f[1] = { { "submission_id", "=", job } };
	rh_filter g[1] = { { "job_id", "=", job } };
	const rh_row *row;
	rh_query *q = NULL;
	int error;

	*n = NULL;
	if ((error = one_row(&q, &row, c, RH_ENTITY_JOB, f, 1)) ==
	    RH_ITEROVER) {
		rh_query_close(q);
		q = NULL;
		error = one_row(&q, &row, c, RH_ENTITY_JOB, g, 1);
	}
	if (error == 0) {
		if (!row->u.job.submission_id) {
			rh_query_close(q);
			return answered(
				rh_dashboard__fail(c, 404,
			                           "job %s was not "
			                           "submitted through the "
			                           "job API, so it has no "
			                           "job logs; see its "
			                           "driver's worker logs",
			                           job));
		}
		error = rh_buf_puts(sid, row->u.job.submission_id);
		if (row->u.job.driver_node_id)
			*n = rh_dashboard__node(c->snap,
			                        row->u.job.driver_node_id);
	}
	rh_query_close(q);
	if (error == RH_ITEROVER)
		return answered(rh_dashboard__fail(
			c, 404, "Job %s does not exist", job));
	if (error < 0)
		return answered(rh_dashboard__fail_code(c, error));
	if (!*n)
		*n = rh_dashboard__head(c->snap);
	if (!*n)
		return answered(rh_dashboard__fail(c, 404,
		                                   "job %s: no node has "
		                                   "captured files",
		                                   job));
	return RH_DASH_GO_ON;
}

/* Send the `size` bytes of lf as {"logs": "..."}. */
static int
send_job_log(rh_dash_ctx *c, const rh_dash_node *n, const char *path,
             rh_logfile *lf, uint64_t size)
{
	rh_buf text = RH_BUF_INIT;
	rh__jw w;
	int error;

	if (c->req->version >= 3 && c->req->stream_ok &&
	    size >= RH_DASHBOARD_STREAM_MIN) {
		/* escaped piece by piece as the client reads: no size limit,
		 * nothing held whole (dashboard_stream.c) */
		if ((error = rh_dashboard__stream_log(
			     &c->resp->stream, c->d, &c->sref, n->node_id, path,
			     0, size, "", 0)) < 0)
			return rh_dashboard__fail_code(c, error);
		rh_dashboard__stream_json(c->resp->stream);
		c->cacheable = 0;
		return rh_dashboard__reply(c, 200, "application/json");
	}
	if (size > c->d->opts.max_body)
		return rh_dashboard__fail(c, 413,
		                          "%s is larger than this "
		                          "server's limit of %zu bytes per "
		                          "response; use api/v0/logs/file with "
		                          "lines",
		                          path, c->d->opts.max_body);
	if ((error = rh_logfile_read(&text, lf, 0, (size_t)size)) < 0) {
		rh_buf_dispose(&text);
		return rh_dashboard__fail_code(c, error);
	}
	rh__jw_init(&w, &c->resp->body);
	rh__jw_obj(&w);
	rh__jw_key(&w, "logs");
	rh__jw_strn(&w, text.ptr ? text.ptr : "", text.size);
	rh__jw_end(&w);
	rh_buf_dispose(&text);
	return rh_dashboard__reply_jw(c, &w);
}

/* /api/jobs/ID/logs: {"logs": "..."} of a submission's driver log. */
int
rh_dashboard__job_logs(rh_dash_ctx *c, const char *job)
{
	const rh_node_manifest *m = NULL;
	rh__frame_ref *mref = NULL;
	rh_logfile *lf = NULL;
	uint64_t size;
	const rh_dash_node *n = NULL;
	rh_buf sid = RH_BUF_INIT, path = RH_BUF_INIT;
	int error;

	if ((error = job_driver(&sid, &n, c, job)) != RH_DASH_GO_ON) {
		rh_buf_dispose(&sid);
		return error < 0 ? error : 0;
	}
	if ((error = rh_buf_printf(&path, "logs/job-driver-%s.log", sid.ptr)) <
	    0)
		goto done;
	if ((error = get_manifest(&m, &mref, c, n->node_id)) < 0 ||
	    (error = rh_logfile_open_manifest(&lf, c->d->st, &c->sref, m,
	                                      path.ptr)) < 0) {
		error = rh_dashboard__fail_code(c, error);
		goto done;
	}
	rh_logfile_set_cache(lf, c->d->frames);
	size = c->at_ns != RH_TIME_NONE /* playback: as captured by then */
	               ?
	               rh_logfile_size_at(lf, c->at_ns / 1000000) :
	               rh_logfile_size(lf);
	error = send_job_log(c, n, path.ptr, lf, size);
done:
	rh_logfile_close(lf);
	unload_manifest(c, mref, m);
	rh_buf_dispose(&sid);
	rh_buf_dispose(&path);
	return error;
}
