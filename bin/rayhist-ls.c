/* rayhist-ls - list what a store holds and read captured files back. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <rayhist/rayhist.h>

#include "cache_opts.h"
#include "cli.h"
#include "ls_export.h"
#include "ls_format.h"
#include "ls_parallel.h"
#include "ls_rows.h"
#include "ls_search.h"
#include "progress.h"

enum {
	OPT_STORE = 256,
	OPT_STORE_CONFIG,
	OPT_JSON,
	OPT_CAT,
	OPT_TAIL,
	OPT_RANGE,
	OPT_JOBS,
	OPT_TASKS,
	OPT_ACTORS,
	OPT_NODES,
	OPT_WORKERS,
	OPT_PGS,
	OPT_FILTER,
	OPT_LIMIT,
	OPT_DETAIL,
	OPT_AT,
	OPT_LOGS,
	OPT_ERR,
	OPT_ATTEMPT,
	OPT_FORMAT,
	OPT_SUMMARY,
	OPT_GET,
	OPT_EXPORT,
	OPT_GREP,
	OPT_NODE,
	OPT_FILE,
	OPT_MAX
};

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL",
	  "store to read (file path, file://, s3://, az://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE",
	  "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	{ 'l', "long", NULL, "add sizes (raw and stored), times and node IPs" },
	{ 'q', "quiet", NULL,
	  "no progress meter (index build, --export, --grep)" },
	{ OPT_JSON, "json", NULL,
	  "print machine-readable JSON (as --format json)" },
	{ OPT_FORMAT, "format", "FMT",
	  "entity output: table (default), json or yaml (default with --detail, as Ray); with --export: tar.zst, tar.gz or zip (default: from OUT's name; tar.zst for -)" },
	{ OPT_CAT, "cat", NULL,
	  "write the stored file's exact bytes to stdout" },
	{ OPT_TAIL, "tail", "N", "write the file's last N lines to stdout" },
	{ OPT_RANGE, "range", "A:B",
	  "write bytes A to B-1 of the file to stdout" },
	{ OPT_JOBS, "jobs", NULL,
	  "list the session's jobs (Ray state API rows)" },
	{ OPT_TASKS, "tasks", NULL, "list the session's task attempts" },
	{ OPT_ACTORS, "actors", NULL, "list the session's actors" },
	{ OPT_NODES, "nodes", NULL,
	  "list the session's nodes as Ray saw them" },
	{ OPT_WORKERS, "workers", NULL, "list the session's workers" },
	{ OPT_PGS, "placement-groups", NULL,
	  "list the session's placement groups" },
	{ OPT_SUMMARY, "summary", "WHAT",
	  "summarize tasks (by function), actors (by class) or objects, as ray summary" },
	{ OPT_GET, "get", "KIND",
	  "print one entity (task, actor, job, node, worker, placement-group) in full: --get KIND ID SESSION, as ray get" },
	{ OPT_FILTER, "filter", "KEY=VALUE",
	  "keep rows whose KEY is (=) or is not (!=) VALUE; repeatable" },
	{ OPT_LIMIT, "limit", "N",
	  "print at most N rows (default 100; 0: all)" },
	{ OPT_DETAIL, "detail", NULL, "print every column, as Ray's detail=1" },
	{ OPT_LOGS, "logs", "ID",
	  "write the log of a task, an actor (hex ids) or a job submission, as ray logs task/actor/job does; a task's latest attempt" },
	{ OPT_ERR, "err", NULL,
	  "with --logs: the stderr (a traceback) instead of the stdout" },
	{ OPT_ATTEMPT, "attempt", "N",
	  "with --logs of a task: attempt N (default: the latest)" },
	{ OPT_AT, "at", "TIME",
	  "show the session as it was at TIME (RFC 3339, or +SECONDS since its start); cuts --cat/--tail/--range at the last part captured by then" },
	{ OPT_EXPORT, "export", "OUT",
	  "write the session, node or files under PATH to archive OUT (.tar.zst, .tar.gz, .zip; - for stdout)" },
	{ OPT_GREP, "grep", "PATTERN",
	  "print the lines of the session's stored files that match PATTERN, as NODE/FILE:LINE:TEXT" },
	{ 'i', "ignore-case", NULL, "--grep: ignore ASCII case" },
	{ 'E', "extended-regexp", NULL,
	  "--grep: PATTERN is a POSIX extended regex (default: basic, as grep)" },
	{ 'F', "fixed-strings", NULL, "--grep: PATTERN is a fixed string" },
	{ OPT_NODE, "node", "ID",
	  "--grep: only the node ID (or a unique prefix of it)" },
	{ OPT_FILE, "file", "GLOB",
	  "--grep: only files matching GLOB (with a '/': the path in the session, else the base name)" },
	{ 'C', "context", "N",
	  "--grep: print N lines of context around each match" },
	{ OPT_MAX, "max", "N", "--grep: stop after N matching lines in all" },
	RH_CACHE_CLI_OPTS,
	{ 0, NULL, NULL, NULL }
};

enum mode { LIST, CAT, TAIL, RANGE, QUERY, LOGS, SUMMARY, GET, EXPORT, GREP };

struct path {
	char *parts[4];   /* ns, cluster, session, node (prefix) */
	int n;            /* how many of them were given */
	const char *file; /* the rest: a path inside the node, or NULL */
	rh_session_ref sref;
	rh_buf node; /* resolved node id */
};

struct ls {
	rh_store *st;
	int lng, json, quiet;
	int format;        /* enum ls_format of entity output */
	json_object *rows; /* --json output */
	struct path p;
	const char *at;  /* --at TIME, or NULL */
	int64_t at_ns;   /* resolved by resolve_at() */
	int status;      /* exit status: 1 once something could not be read */
	rh_buf shown[2]; /* names as show() writes them */
};

static rh_index *open_index(struct ls *ls, int rebuild);

/* A stored name as text: bytes outside UTF-8 (and, for a terminal, control
 * bytes) as \xHH, which --cat and a listing take back. Valid JSON with
 * --json. Lives until the next show() with the same `k`. */
static const char *
show(struct ls *ls, int k, const char *name)
{
	if (rh_catalog_display_path(&ls->shown[k], name,
	                            ls->json ? 0 : RH_DISPLAY_CONTROL) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	return ls->shown[k].ptr ? ls->shown[k].ptr : "";
}

/* ---- output -------------------------------------------------------------- */

static void
fmt_time(char *out, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, cap, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A JSON string of bytes that need not be UTF-8 (file names): mapped
 * reversibly (rh_buf_put_utf8), so --json output is always valid JSON. */
static json_object *
jstr(const char *s)
{
	rh_buf b = RH_BUF_INIT;
	json_object *o;

	if (rh_buf_put_utf8(&b, s, strlen(s)) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	o = json_object_new_string_len(b.ptr ? b.ptr : "", (int)b.size);
	rh_buf_dispose(&b);
	return o;
}

static void
emit_name(struct ls *ls, const char *name, const char *kind)
{
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(
			o, "name", json_object_new_string(show(ls, 0, name)));
		json_object_object_add(o, "type", json_object_new_string(kind));
		json_object_array_add(ls->rows, o);
	} else {
		printf("%s\n", show(ls, 0, name));
	}
}

static int
count_cb(const char *name, void *payload)
{
	(void)name;
	(*(int *)payload)++;
	return 0;
}

static int
first_cb(const rh_store_entry *e, void *payload)
{
	(void)e;
	*(int *)payload = 1;
	return 1;
}

/* A session name under which only an index is stored (older versions
 * wrote one for any name asked for): no session, not listed. */
static int
is_phantom(rh_store *st, const rh_session_ref *sref)
{
	rh_buf key = RH_BUF_INIT;
	int n = 0, events = 0;

	if (rh_catalog_list_nodes(st, sref, count_cb, &n) < 0 || n ||
	    rh_layout_session_prefix(&key, sref) < 0 ||
	    rh_buf_puts(&key, "events/") < 0 ||
	    rh_store_list(st, key.ptr, NULL, first_cb, &events) < 0)
		events = 1; /* cannot tell: list it */
	rh_buf_dispose(&key);
	rh_error_clear();
	return !events;
}

/* What -l shows of a session, read by load_session() on any thread. */
struct session_row {
	char *name;
	rh_session_info info;
	int error;   /* of rh_session_info_load() */
	int phantom; /* nothing but an index: not listed */
	char msg[512];
};

struct session_rows {
	struct ls *ls;
	struct session_row *v;
	size_t n, cap;
};

static void
load_session(size_t i, void *payload)
{
	struct session_rows *rs = payload;
	struct session_row *r = &rs->v[i];
	rh_session_ref sref = rs->ls->p.sref;

	sref.session = r->name;
	if ((r->error = rh_session_info_load(&r->info, rs->ls->st, &sref)) <
	    0) {
		snprintf(r->msg, sizeof(r->msg), "%s", rh_error_last());
		if (r->error == RH_ENOTFOUND)
			r->phantom = is_phantom(rs->ls->st, &sref);
		memset(&r->info, 0, sizeof(r->info));
	}
}

/* Room for row n of rows of `size` bytes at v (*cap allocated): v itself,
 * or grown, or NULL when out of memory (v is then still valid). The row is
 * zeroed. */
static void *
rows_room(void *v, size_t n, size_t *cap, size_t size)
{
	if (n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		if (!(v = realloc(v, c * size)))
			return NULL;
		*cap = c;
	}
	memset((char *)v + n * size, 0, size);
	return v;
}

static int
collect_session(const char *name, void *payload)
{
	struct session_rows *rs = payload;
	struct session_row *v = rows_room(rs->v, rs->n, &rs->cap, sizeof(*v));

	if (!v)
		return RH_ENOMEM;
	rs->v = v;
	if (!(v[rs->n].name = strdup(name)))
		return RH_ENOMEM;
	rs->n++;
	return 0;
}

static void
print_session(struct ls *ls, const struct session_row *r)
{
	const char *name = r->name, *kind = "session";
	const rh_session_info *ip = &r->info;
	char t1[32], t2[32];

	/* none: a session being captured, state unknown; one that cannot be
	 * read is damage, said and reflected in the exit */
	if (r->error < 0 && r->error != RH_ENOTFOUND) {
		rh_cli_warn("%s: %s", name, r->msg);
		ls->status = 1;
	} else if (r->error == RH_ENOTFOUND && r->phantom) {
		return;
	}
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jstr(name));
		json_object_object_add(o, "type", json_object_new_string(kind));
		json_object_object_add(o, "start_ms",
		                       json_object_new_int64(ip->start_ms));
		json_object_object_add(o, "end_ms",
		                       json_object_new_int64(ip->end_ms));
		json_object_object_add(
			o, "end_marked_ms",
			json_object_new_int64(ip->end_marked_ms));
		json_object_object_add(o, "updated_ms",
		                       json_object_new_int64(ip->updated_ms));
		json_object_object_add(o, "ray_version", jstr(ip->ray_version));
		json_object_object_add(o, "heartbeat_ms",
		                       json_object_new_int64(ip->heartbeat_ms));
		json_object_object_add(
			o, "state",
			json_object_new_string(
				rh_session_state_name(ip->state)));
		json_object_array_add(ls->rows, o);
	} else {
		/* The second time is when it ended: the end mark, or for a
		 * session whose collector died, its last heartbeat. */
		fmt_time(t1, sizeof(t1), ip->start_ms);
		fmt_time(t2, sizeof(t2),
		         ip->state == RH_SESSION_ENDED ? ip->end_ms :
		         ip->state == RH_SESSION_LIVE ||
		                         ip->state == RH_SESSION_ABANDONED ?
		                                         ip->heartbeat_ms :
		                                         ip->updated_ms);
		printf("%-20s  %-20s  %-9s  %s\n", t1, t2,
		       rh_session_state_name(ip->state), name);
	}
}

/* Requests in flight at once for -l: each session or node is a manifest
 * read (a round trip over an object store). */
#define LS_LOAD_THREADS 16

/* -l of a cluster: every session's manifest read at once, then printed in
 * the listing's order. */
static int
list_sessions_long(struct ls *ls)
{
	struct session_rows rs = { ls, NULL, 0, 0 };
	size_t i;
	int error;

	error = rh_catalog_list_sessions(ls->st, ls->p.parts[0], ls->p.parts[1],
	                                 collect_session, &rs);
	if (error == 0) {
		ls_parallel(rs.n, load_session, &rs, LS_LOAD_THREADS);
		for (i = 0; i < rs.n; i++)
			print_session(ls, &rs.v[i]);
	}
	for (i = 0; i < rs.n; i++)
		free(rs.v[i].name);
	free(rs.v);
	return error;
}

static int
print_name(const char *name, void *payload)
{
	struct ls *ls = payload;
	const char *kind = ls->p.n == 0 ? "namespace" :
	                   ls->p.n == 1 ? "cluster" :
	                                  "session";

	emit_name(ls, name, kind);
	return 0;
}

/* What -l shows of a node, read by load_node() on any thread. */
struct node_row {
	char *name;
	rh_node_manifest *m;
	char msg[512]; /* when m could not be read */
};

struct node_rows {
	struct ls *ls;
	struct node_row *v;
	size_t n, cap;
};

static void
load_node(size_t i, void *payload)
{
	struct node_rows *rs = payload;
	struct node_row *r = &rs->v[i];

	if (rh_node_manifest_load(&r->m, rs->ls->st, &rs->ls->p.sref, r->name) <
	    0)
		snprintf(r->msg, sizeof(r->msg), "%s", rh_error_last());
}

static int
collect_node(const char *name, void *payload)
{
	struct node_rows *rs = payload;
	struct node_row *v = rows_room(rs->v, rs->n, &rs->cap, sizeof(*v));

	if (!v)
		return RH_ENOMEM;
	rs->v = v;
	if (!(v[rs->n].name = strdup(name)))
		return RH_ENOMEM;
	rs->n++;
	return 0;
}

static void print_node_m(struct ls *ls, const char *node, rh_node_manifest *m);

/* -l of a session: every node's manifest read at once, then printed in the
 * listing's order. */
static int
list_nodes_long(struct ls *ls)
{
	struct node_rows rs = { ls, NULL, 0, 0 };
	size_t i;
	int error;

	error = rh_catalog_list_nodes(ls->st, &ls->p.sref, collect_node, &rs);
	if (error == 0) {
		ls_parallel(rs.n, load_node, &rs, LS_LOAD_THREADS);
		for (i = 0; i < rs.n; i++) {
			if (rs.v[i].m) {
				print_node_m(ls, rs.v[i].name, rs.v[i].m);
			} else {
				rh_cli_warn("node %s: %s", rs.v[i].name,
				            rs.v[i].msg);
				ls->status = 1; /* listed what it could */
			}
		}
	}
	for (i = 0; i < rs.n; i++) {
		free(rs.v[i].name);
		rh_node_manifest_free(rs.v[i].m);
	}
	free(rs.v);
	return error;
}

static int
print_node(const char *node, void *payload)
{
	emit_name(payload, node, "node");
	return 0;
}

static void
print_node_m(struct ls *ls, const char *node, rh_node_manifest *m)
{
	uint64_t raw = 0, stored = 0;
	size_t i, n;

	n = rh_node_manifest_file_count(m);
	for (i = 0; i < n; i++) {
		raw += rh_node_manifest_file(m, i)->size;
		stored += rh_node_manifest_file(m, i)->stored;
	}
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(node));
		json_object_object_add(o, "type",
		                       json_object_new_string("node"));
		json_object_object_add(o, "node_ip",
		                       jstr(rh_node_manifest_ip(m)));
		json_object_object_add(
			o, "is_head",
			json_object_new_boolean(rh_node_manifest_is_head(m)));
		json_object_object_add(o, "files",
		                       json_object_new_int64((int64_t)n));
		json_object_object_add(o, "size", json_object_new_uint64(raw));
		json_object_object_add(o, "stored",
		                       json_object_new_uint64(stored));
		json_object_object_add(
			o, "captured_ms",
			json_object_new_int64(rh_node_manifest_captured_ms(m)));
		json_object_array_add(ls->rows, o);
	} else {
		printf("%-15s %-6s %6zu files %14" PRIu64 " %14" PRIu64
		       "  %s\n",
		       *rh_node_manifest_ip(m) ? rh_node_manifest_ip(m) : "-",
		       rh_node_manifest_is_head(m) ? "head" : "worker", n, raw,
		       stored, node);
	}
}

static void
print_file(struct ls *ls, const rh_file_info *f, const char *name)
{
	char t[32];

	if (!ls->lng) {
		emit_name(ls, name, "file");
		return;
	}
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(
			o, "name", json_object_new_string(show(ls, 0, name)));
		json_object_object_add(o, "type",
		                       json_object_new_string("file"));
		json_object_object_add(
			o, "path",
			json_object_new_string(show(ls, 1, f->path)));
		json_object_object_add(o, "size",
		                       json_object_new_uint64(f->size));
		json_object_object_add(o, "stored",
		                       json_object_new_uint64(f->stored));
		json_object_object_add(
			o, "parts", json_object_new_int64((int64_t)f->nparts));
		json_object_object_add(o, "mtime_ms",
		                       json_object_new_int64(f->mtime_ms));
		json_object_array_add(ls->rows, o);
	} else {
		fmt_time(t, sizeof(t), f->mtime_ms);
		printf("%14" PRIu64 " %14" PRIu64 "  %-20s  %s\n", f->size,
		       f->stored, t, show(ls, 0, name));
	}
}

/* ---- path handling ------------------------------------------------------- */

static const char *level_names[] = { "namespace", "cluster", "session",
	                             "node" };

struct exists_ctx {
	const char *want;
	int found;
};

static int
exists_cb(const char *name, void *payload)
{
	struct exists_ctx *ctx = payload;

	if (strcmp(name, ctx->want) == 0) {
		ctx->found = 1;
		return 1;
	}
	return 0;
}

/* Whether each part of the path is a valid name. */
static void
check_names(struct ls *ls)
{
	int i, error;

	for (i = 0; i < ls->p.n && i < 3; i++)
		if ((error = rh_layout_check_name(level_names[i],
		                                  ls->p.parts[i])) < 0)
			rh_cli_die(error, "bad path");
}

struct levels {
	struct ls *ls;
	struct exists_ctx ctx[3];
	int error[4];
	char msg[4][512];
};

/* Whether level i of the path exists (3: resolve the node), on any
 * thread. */
static void
check_level(size_t i, void *payload)
{
	struct levels *lv = payload;
	struct ls *ls = lv->ls;
	int error;

	if (i < 3) {
		lv->ctx[i].want = ls->p.parts[i];
		lv->ctx[i].found = 0;
	}
	if (i == 0)
		error = rh_catalog_list_namespaces(ls->st, exists_cb,
		                                   &lv->ctx[i]);
	else if (i == 1)
		error = rh_catalog_list_clusters(ls->st, ls->p.parts[0],
		                                 exists_cb, &lv->ctx[i]);
	else if (i == 2)
		error = rh_catalog_list_sessions(ls->st, ls->p.parts[0],
		                                 ls->p.parts[1], exists_cb,
		                                 &lv->ctx[i]);
	else
		error = rh_catalog_resolve_node(&ls->p.node, ls->st,
		                                &ls->p.sref, ls->p.parts[3]);
	if ((lv->error[i] = error) < 0)
		snprintf(lv->msg[i], sizeof(lv->msg[i]), "%s", rh_error_last());
}

/* Say which part of the path does not exist. The levels are listed at
 * once (over an object store, one round trip instead of one per level),
 * then judged in order. */
static void
check_levels(struct ls *ls)
{
	struct levels lv;
	int i, n = ls->p.n < 3 ? ls->p.n : 3;

	check_names(ls);
	memset(&lv, 0, sizeof(lv));
	lv.ls = ls;
	/* a node "*" is every node: --tail across the cluster */
	if (ls->p.n == 4 && strcmp(ls->p.parts[3], "*"))
		n = 4;
	ls_parallel((size_t)n, check_level, &lv, 4);
	for (i = 0; i < n && i < 3; i++) {
		if (lv.error[i] < 0)
			rh_cli_die(0, "listing the store: %s", lv.msg[i]);
		if (!lv.ctx[i].found) {
			fprintf(stderr, "%s: %s \"%s\" not found", rh_cli_prog,
			        level_names[i], ls->p.parts[i]);
			if (i > 0)
				fprintf(stderr, " in %s%s%s", ls->p.parts[0],
				        i > 1 ? "/" : "",
				        i > 1 ? ls->p.parts[1] : "");
			fputc('\n', stderr);
			exit(rh_cli_die_status);
		}
	}
	if (n == 4 && lv.error[3] == RH_ENOTFOUND) {
		fprintf(stderr, "%s: node \"%s\" not found in %s/%s/%s\n",
		        rh_cli_prog, ls->p.parts[3], ls->p.parts[0],
		        ls->p.parts[1], ls->p.parts[2]);
		exit(rh_cli_die_status);
	}
	if (n == 4 && lv.error[3] < 0)
		rh_cli_die(0, "node: %s", lv.msg[3]);
}

static void
parse_path(struct path *p, char *arg)
{
	char *s = arg;

	memset(p, 0, sizeof(*p));
	while (*s == '/')
		s++;
	while (*s && p->n < 4) {
		char *slash = strchr(s, '/');
		p->parts[p->n++] = s;
		if (!slash)
			break;
		*slash = '\0';
		s = slash + 1;
		while (*s == '/')
			s++;
		if (p->n == 4 && *s)
			p->file = s;
	}
	if (p->file) {
		size_t n = strlen(p->file);
		while (n > 0 && ((char *)p->file)[n - 1] == '/')
			((char *)p->file)[--n] = '\0';
		if (!n)
			p->file = NULL;
	}
	p->sref.ns = p->parts[0];
	p->sref.cluster = p->parts[1];
	p->sref.session = p->parts[2];
}

/* A path not found as given may be a name --json printed with bytes that
 * are not UTF-8 mapped (rh_buf_put_utf8): use its bytes instead. 1 if that
 * changed the path. */
static int
unmap_file(struct ls *ls)
{
	rh_buf b = RH_BUF_INIT;
	size_t n = strlen(ls->p.file);

	if (rh_buf_put_from_utf8(&b, ls->p.file, n) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	if (b.size == n) { /* nothing mapped */
		rh_buf_dispose(&b);
		return 0;
	}
	memcpy((char *)ls->p.file, b.ptr, b.size + 1); /* shorter: fits */
	rh_buf_dispose(&b);
	return 1;
}

/* List the entries right below directory `dir` ("" for the node's root). */
static int
list_node_dir(struct ls *ls, rh_node_manifest *m, const char *dir)
{
	size_t i, n = rh_node_manifest_file_count(m), dlen = strlen(dir);
	char last[4096] = "";
	int found = 0;

	for (i = 0; i < n; i++) {
		const rh_file_info *f = rh_node_manifest_file(m, i);
		const char *rest, *slash;

		if (strncmp(f->path, dir, dlen) != 0 ||
		    (dlen && f->path[dlen] != '/'))
			continue;
		rest = f->path + dlen + (dlen ? 1 : 0);
		found = 1;
		if ((slash = strchr(rest, '/'))) {
			size_t k = (size_t)(slash - rest) + 1;
			if (k < sizeof(last) && strncmp(last, rest, k) == 0 &&
			    last[k] == '\0')
				continue;
			snprintf(last, sizeof(last), "%.*s", (int)k, rest);
			emit_name(ls, last, "dir");
		} else {
			print_file(ls, f, rest);
		}
	}
	return found;
}

static void
list_node(struct ls *ls)
{
	rh_node_manifest *m = NULL;
	const rh_file_info *f;
	int error;

	if ((error = rh_node_manifest_load(&m, ls->st, &ls->p.sref,
	                                   ls->p.node.ptr)) < 0)
		rh_cli_die(error, "node %s", ls->p.node.ptr);
	if (ls->p.file && !rh_node_manifest_find(m, ls->p.file))
		unmap_file(ls);
	if (ls->p.file && (f = rh_node_manifest_find(m, ls->p.file))) {
		print_file(ls, f, f->path);
	} else if (!list_node_dir(ls, m, ls->p.file ? ls->p.file : "") &&
	           ls->p.file) {
		fprintf(stderr, "%s: file \"%s\" not found on node %s\n",
		        rh_cli_prog, ls->p.file, ls->p.node.ptr);
		rh_node_manifest_free(m);
		exit(1);
	}
	rh_node_manifest_free(m);
}

static void
list(struct ls *ls)
{
	int error = 0;

	if (ls->json)
		ls->rows = json_object_new_array();
	switch (ls->p.n) {
	case 0:
		error = rh_catalog_list_namespaces(ls->st, print_name, ls);
		break;
	case 1:
		error = rh_catalog_list_clusters(ls->st, ls->p.parts[0],
		                                 print_name, ls);
		break;
	case 2:
		error = ls->lng ?
		                list_sessions_long(ls) :
		                rh_catalog_list_sessions(ls->st, ls->p.parts[0],
		                                         ls->p.parts[1],
		                                         print_name, ls);
		break;
	case 3:
		/* -l of a session also says what its index had to skip */
		if (ls->lng)
			rh_index_close(open_index(ls, 0));
		error = ls->lng ? list_nodes_long(ls) :
		                  rh_catalog_list_nodes(ls->st, &ls->p.sref,
		                                        print_node, ls);
		break;
	default:
		if (!strcmp(ls->p.parts[3], "*"))
			rh_cli_usage_die(
				"a node \"*\" (every node) goes with --tail");
		list_node(ls);
		break;
	}
	if (error < 0)
		rh_cli_die(error, "listing the store");
	if (ls->json) {
		puts(json_object_to_json_string_ext(
			ls->rows, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(ls->rows);
	}
}

/* ---- --at ---------------------------------------------------------------- */

/* --at TIME as ns: "+SECONDS" counts from the session's start. */
static void
resolve_at(struct ls *ls)
{
	rh_session_info info;
	int64_t start = RH_TIME_NONE;
	int error;

	ls->at_ns = RH_TIME_NONE;
	if (!ls->at)
		return;
	if (ls->p.n < 3)
		rh_cli_usage_die("--at needs a session: NS/CLUSTER/SESSION");
	if (ls->at[0] == '+' &&
	    rh_session_info_load(&info, ls->st, &ls->p.sref) == 0 &&
	    info.start_ms > 0)
		start = info.start_ms * 1000000;
	if ((error = rh_playback_time_parse(&ls->at_ns, ls->at, start)) < 0)
		rh_cli_usage_die("--at: %s", rh_error_last());
}

/* ---- reading a file ------------------------------------------------------ */

static void
write_out(const rh_buf *b)
{
	if (b->size && fwrite(b->ptr, 1, b->size, stdout) != b->size)
		rh_cli_die(0, "writing to stdout failed");
}

/* ---- --tail N NS/CLUSTER/SESSION/'*'/FILE: every node's tail ------------- */

struct tail_all {
	struct ls *ls;
	size_t nlines;
	int found;
};

/* Write buf's lines, each after `prefix`. */
static void
write_prefixed(const char *prefix, const rh_buf *b)
{
	size_t i = 0;

	while (i < b->size) {
		const char *nl = memchr(b->ptr + i, '\n', b->size - i);
		size_t n = nl ? (size_t)(nl - (b->ptr + i)) + 1 : b->size - i;
		if (fputs(prefix, stdout) == EOF ||
		    fwrite(b->ptr + i, 1, n, stdout) != n ||
		    (!nl && fputc('\n', stdout) == EOF))
			rh_cli_die(0, "writing to stdout failed");
		i += n;
	}
}

static int
tail_node_cb(const char *node, void *payload)
{
	struct tail_all *t = payload;
	struct ls *ls = t->ls;
	rh_node_manifest *m = NULL;
	rh_logfile *f = NULL;
	rh_buf out = RH_BUF_INIT;
	char prefix[96];
	uint64_t size;
	int error;

	if ((error = rh_node_manifest_load(&m, ls->st, &ls->p.sref, node)) <
	    0) {
		rh_cli_warn("node %s: %s", node, rh_error_last());
		ls->status = 1;
		return 0;
	}
	if ((error = rh_logfile_open_manifest(&f, ls->st, &ls->p.sref, m,
	                                      ls->p.file)) == RH_ENOTFOUND)
		goto done; /* this node has no such file */
	if (error < 0) {
		rh_cli_warn("node %s: %s: %s", node, ls->p.file,
		            rh_error_last());
		ls->status = 1;
		goto done;
	}
	t->found++;
	size = rh_logfile_size(f);
	if (ls->at_ns != RH_TIME_NONE)
		size = rh_logfile_size_at(f, ls->at_ns / 1000000 -
		                                     (ls->at_ns % 1000000 < 0));
	if ((error = rh_logfile_tail(&out, NULL, f, t->nlines, size)) < 0)
		rh_cli_die(error, "node %s: %s", node, ls->p.file);
	/* which node a line is from, as Ray's log monitor prefixes lines */
	snprintf(prefix, sizeof(prefix), "(%s, ip=%s, node=%.8s) ",
	         rh_node_manifest_is_head(m) ? "head" : "worker",
	         *rh_node_manifest_ip(m) ? rh_node_manifest_ip(m) : "?", node);
	write_prefixed(prefix, &out);
done:
	rh_buf_dispose(&out);
	rh_logfile_close(f);
	rh_node_manifest_free(m);
	return 0;
}

static void
tail_all_nodes(struct ls *ls, size_t nlines)
{
	struct tail_all t = { ls, nlines, 0 };
	int error;

	if (!ls->p.file)
		rh_cli_usage_die("give a file: NS/CLUSTER/SESSION/'*'/FILE");
	if ((error = rh_catalog_list_nodes(ls->st, &ls->p.sref, tail_node_cb,
	                                   &t)) < 0)
		rh_cli_die(error, "listing the session's nodes");
	if (fflush(stdout) != 0)
		rh_cli_die(0, "writing to stdout failed");
	if (!t.found) {
		fprintf(stderr, "%s: no node of %s has a file \"%s\"\n",
		        rh_cli_prog, ls->p.sref.session, ls->p.file);
		exit(1);
	}
}

static void
read_file(struct ls *ls, enum mode mode, uint64_t a, uint64_t b, size_t nlines)
{
	rh_logfile *f = NULL;
	rh_buf out = RH_BUF_INIT;
	uint64_t off, size;
	int error;

	if (ls->p.n < 4 || !ls->p.file)
		rh_cli_usage_die("give a file: NS/CLUSTER/SESSION/NODE/FILE");
	if (!strcmp(ls->p.parts[3], "*")) {
		if (mode != TAIL)
			rh_cli_usage_die(
				"a node \"*\" (every node) goes with --tail");
		tail_all_nodes(ls, nlines);
		return;
	}
	error = rh_logfile_open(&f, ls->st, &ls->p.sref, ls->p.node.ptr,
	                        ls->p.file);
	if (error == RH_ENOTFOUND && unmap_file(ls))
		error = rh_logfile_open(&f, ls->st, &ls->p.sref, ls->p.node.ptr,
		                        ls->p.file);
	if (error == RH_ENOTFOUND) {
		fprintf(stderr, "%s: file \"%s\" not found on node %s\n",
		        rh_cli_prog, ls->p.file, ls->p.node.ptr);
		exit(1);
	}
	if (error < 0)
		rh_cli_die(error, "%s", ls->p.file);
	size = rh_logfile_size(f);
	if (ls->at_ns !=
	    RH_TIME_NONE) /* as captured by then (part granularity) */
		size = rh_logfile_size_at(f, ls->at_ns / 1000000 -
		                                     (ls->at_ns % 1000000 < 0));
	if (ls->at_ns != RH_TIME_NONE && size == 0 && rh_logfile_size(f) > 0) {
		/* one-shot captures date every part at the capture: say so
		 * rather than print nothing */
		fprintf(stderr,
		        "%s: %s: nothing of it had been captured by %s "
		        "(its %" PRIu64 " bytes were captured later)\n",
		        rh_cli_prog, ls->p.file, ls->at, rh_logfile_size(f));
		rh_logfile_close(f);
		exit(1);
	}
	if (mode == TAIL) {
		if ((error = rh_logfile_tail(&out, NULL, f, nlines, size)) < 0)
			rh_cli_die(error, "%s", ls->p.file);
		write_out(&out);
	} else {
		if (mode == CAT) {
			a = 0;
			b = size;
		}
		/* Bounded chunks keep memory flat for a file of any size. */
		for (off = a; off < b && off < size; off += out.size) {
			uint64_t want =
				b - off < (8u << 20) ? b - off : (8u << 20);
			rh_buf_clear(&out);
			if ((error = rh_logfile_read(&out, f, off,
			                             (size_t)want)) < 0)
				rh_cli_die(error, "%s", ls->p.file);
			if (!out.size)
				break;
			write_out(&out);
		}
	}
	if (fflush(stdout) != 0)
		rh_cli_die(0, "writing to stdout failed");
	rh_buf_dispose(&out);
	rh_logfile_close(f);
}

/* ---- entity queries (the session index) ---------------------------------- */

#define MAX_FILTERS 32

/* The table's columns per entity without --detail: the state API's own
 * names, those "ray list" shows that fit a terminal, with what tells why
 * something failed (error_type, a dead node's state_message). */
static const char *const table_columns[][8] = {
	[RH_ENTITY_TASK] = { "task_id", "attempt_number", "name", "state",
	                     "type", "job_id", "error_type", NULL },
	[RH_ENTITY_ACTOR] = { "actor_id", "class_name", "name", "state",
	                      "job_id", "pid", NULL },
	[RH_ENTITY_JOB] = { "job_id", "submission_id", "type", "status",
	                    "error_type", "entrypoint", NULL },
	[RH_ENTITY_NODE] = { "node_id", "node_ip", "is_head_node", "state",
	                     "state_message", "node_name", NULL },
	[RH_ENTITY_WORKER] = { "worker_id", "is_alive", "worker_type", "pid",
	                       "exit_type", "node_id", NULL },
	[RH_ENTITY_PLACEMENT_GROUP] = { "placement_group_id", "name", "state",
	                                "creator_job_id", NULL },
};

static void
parse_filter(rh_filter *f, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (eq == arg + 1 && arg[0] == '!'))
		rh_cli_usage_die(
			"--filter takes KEY=VALUE or KEY!=VALUE, not \"%s\"",
			arg);
	f->value = eq + 1;
	if (eq > arg && eq[-1] == '!') {
		f->op = "!=";
		eq[-1] = '\0';
	} else {
		f->op = "=";
		*eq = '\0';
	}
	f->key = arg;
}

/* What the index could not take in (damaged objects it skipped), on
 * stderr: the rows printed are the rest of the session. */
static void
print_index_warnings(rh_index *ix, const char *prefix)
{
	uint64_t n = rh_index_warning_count(ix), i;
	const char *w;

	for (i = 0; i < n && (w = rh_index_warning(ix, (size_t)i)); i++)
		rh_cli_warn("warning: %s%s", prefix, w);
	if (i < n)
		rh_cli_warn("warning: %s%" PRIu64
		            " more damaged objects skipped",
		            prefix, n - i);
}

/* Open (building or rebuilding when needed) the index of the session in
 * ls->p; with `rebuild`, rebuild it first whatever it holds. Dies when it
 * cannot. */
struct info_job {
	struct ls *ls;
	int error;
	char msg[512];
};

/* Load session.json only to tell whether it is damaged. */
static void *
info_worker(void *arg)
{
	struct info_job *j = arg;
	rh_session_info info;

	if ((j->error = rh_session_info_load(&info, j->ls->st,
	                                     &j->ls->p.sref)) < 0)
		snprintf(j->msg, sizeof(j->msg), "%s", rh_error_last());
	return NULL;
}

static rh_index *
open_index(struct ls *ls, int rebuild)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_buf prefix = RH_BUF_INIT, key = RH_BUF_INIT;
	struct info_job info_job = { NULL, 0, "" };
	pthread_t info_tid;
	rh_index *ix = NULL;
	rh_meter meter;
	char msg[512];
	int error, info_started;

	if ((error = rh_layout_session_prefix(&prefix, &ls->p.sref)) < 0 ||
	    (error = rh_layout_index(&key, &ls->p.sref)) < 0)
		rh_cli_die(error, "bad session");
	/* Builds the index on first use, or when new events arrived (or
	 * whatever it holds with `rebuild`); a terminal sees how far it is. */
	rh_meter_init(&meter, "indexing the session's events", ls->quiet);
	ro.force = rebuild;
	ro.progress = rh_meter_update;
	ro.progress_payload = &meter;
	/* session.json is read meanwhile: over an object store, in the same
	 * round trips as the index */
	info_job.ls = ls;
	info_started =
		pthread_create(&info_tid, NULL, info_worker, &info_job) == 0;
	if (!info_started)
		info_worker(&info_job);
	error = rh_index_refresh_open(&ix, NULL, ls->st, prefix.ptr, &ro, NULL);
	if (info_started)
		pthread_join(info_tid, NULL);
	rh_meter_done(&meter);
	if (error == RH_ENOTFOUND) {
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
		check_levels(ls); /* which part of the path is missing */
	}
	if (error != RH_ENOTFOUND)
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
	if (error < 0)
		rh_cli_die(0, "%s: cannot %s the session index%s%s%s",
		           prefix.ptr, rebuild ? "rebuild" : "build",
		           error == RH_EACCES ?
		                   " (the store refuses writes and there is no "
		                   "--cache-dir to keep it in)" :
		                   "",
		           *msg ? ": " : "", msg);
	if (!rebuild)
		print_index_warnings(ix, "");
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&key);
	/* a session.json that cannot be read is damage too (none is fine:
	 * a session still being captured) */
	if (info_job.error < 0 && info_job.error != RH_ENOTFOUND) {
		rh_cli_warn("%s", info_job.msg);
		ls->status = 1;
	}
	return ix;
}

/* --at before anything happened shows nothing: say why, on stderr. */
static void
say_before_start(struct ls *ls)
{
	rh_session_info info;
	char t[32];

	if (rh_session_info_load(&info, ls->st, &ls->p.sref) == 0 &&
	    info.start_ms > 0 && ls->at_ns < info.start_ms * 1000000) {
		fmt_time(t, sizeof(t), info.start_ms);
		rh_cli_warn("nothing to show at %s: the session started at %s",
		            ls->at, t);
	} else {
		rh_cli_warn("nothing to show at %s: no event of the session is "
		            "dated at or before it",
		            ls->at);
	}
	rh_error_clear();
}

/* The state API's rows as they are (--json), or the rows to print. */
static int
fetch(struct ls *ls, rh_buf *json, struct ls_rows *rows,
      rh_query_counts *counts, rh_index *ix, rh_entity what,
      const rh_query_options *o)
{
	if (ls->format == LS_JSON)
		return rh_dashboard_list_json(json, counts, ix, what, o);
	ls_rows_dispose(rows);
	/* a table of the usual columns, or every column of whole rows */
	return ls_rows_fetch(rows, counts, ix, what, o,
	                     ls->format == LS_TABLE && !o->detail ?
	                             table_columns[what] :
	                             NULL);
}

static void
query(struct ls *ls, rh_entity what, const rh_query_options *o)
{
	rh_index *ix;
	rh_buf out = RH_BUF_INIT;
	struct ls_rows rows = { 0 };
	rh_query_counts counts;
	int error;

	if (ls->p.n != 3)
		rh_cli_usage_die("--%s takes a session: NS/CLUSTER/SESSION",
		                 rh_entity_name(what));
	ix = open_index(ls, 0);
	if ((error = fetch(ls, &out, &rows, &counts, ix, what, o)) ==
	    RH_ECORRUPT) {
		/* opening checks the index's ends; a damaged page shows only
		 * when read: rebuild it from the events, as the server does */
		rh_cli_warn(
			"%s: the session index is damaged (%s); rebuilding it",
			rh_entity_name(what), rh_error_last());
		rh_index_close(ix);
		ix = open_index(ls, 1);
		rh_buf_clear(&out);
		error = fetch(ls, &out, &rows, &counts, ix, what, o);
	}
	if (error == RH_EINVAL) { /* a filter it cannot take */
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
		rh_buf_dispose(&out); /* exit 2, not a leak report's 1 */
		ls_rows_dispose(&rows);
		rh_index_close(ix);
		rh_store_close(ls->st);
		rh_cli_usage_die("--filter: %s", msg);
	}
	if (error < 0)
		rh_cli_die(error, "%s", rh_entity_name(what));
	if (ls->at_ns != RH_TIME_NONE && counts.total == 0)
		say_before_start(ls);
	if (ls->format == LS_JSON) { /* the state API's rows as they are */
		printf("%s\n", out.ptr);
	} else {
		ls_rows_print(stdout, &rows, (enum ls_format)ls->format);
		/* a visible count instead of a silent limit */
		fprintf(stderr,
		        "%zu shown, %" PRIu64 " match, %" PRIu64 " in all%s\n",
		        rows.nrows, counts.num_filtered, counts.total,
		        rows.nrows < counts.num_filtered ?
		                " (--limit 0 shows all)" :
		                "");
	}
	ls_rows_dispose(&rows);
	rh_buf_dispose(&out);
	rh_index_close(ix);
}

/* ---- --summary, --get ------------------------------------------------------ */

/* "FAILED: 1, FINISHED: 4" of a state_counts object. */
static json_object *
counts_text(json_object *counts)
{
	char buf[1024] = "";

	if (counts) {
		json_object_object_foreach(counts, k, v)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		                 "%s%s: %s", *buf ? ", " : "", k,
		                 json_object_get_string(v));
	}
	return json_object_new_string(buf);
}

/* --summary WHAT takes tasks or actors of one session; objects are
 * refused here, with why. */
static void
summary_check(const struct ls *ls, const char *what_s, int actors)
{
	if (strcmp(what_s, "tasks") && !actors && strcmp(what_s, "objects"))
		rh_cli_usage_die(
			"--summary takes tasks, actors or objects, not \"%s\"",
			what_s);
	if (ls->p.n != 3)
		rh_cli_usage_die(
			"--summary takes a session: NS/CLUSTER/SESSION");
	if (!strcmp(what_s, "objects")) {
		/* Ray keeps object references in live workers only; no event
		 * carries them, so a stored session has none to count. */
		fprintf(stderr,
		        "%s: objects: Ray records no event of its objects; "
		        "a session's object references died with its workers\n",
		        rh_cli_prog);
		exit(1);
	}
}

/* The table row of group g: its fields, its state counts as one text, and
 * an empty type for tasks that have none. */
static json_object *
summary_row(json_object *g, int actors)
{
	json_object *row = json_object_new_object(), *c = NULL, *x;

	json_object_object_foreach(g, fk, fv)
	{
		if (strcmp(fk, "state_counts"))
			json_object_object_add(row, fk, json_object_get(fv));
	}
	json_object_object_get_ex(g, "state_counts", &c);
	json_object_object_add(row, "state_counts", counts_text(c));
	if (!json_object_object_get_ex(row, "type", &x) && !actors)
		json_object_object_add(row, "type", NULL);
	return row;
}

/* As ray summary: the totals, then one row per group. */
static void
summary_table(json_object *sum, int actors)
{
	static const char *const task_cols[] = { "func_or_class_name", "type",
		                                 "state_counts", NULL };
	static const char *const actor_cols[] = { "class_name", "state_counts",
		                                  NULL };
	json_object *groups = NULL, *rows = json_object_new_array();

	json_object_object_foreach(sum, k, v)
	{
		if (!strcmp(k, "summary"))
			groups = v;
		else if (!json_object_is_type(v, json_type_object))
			printf("%s: %s\n", k, json_object_get_string(v));
	}
	if (groups) {
		json_object_object_foreach(groups, gk, g)
		{
			(void)gk;
			json_object_array_add(rows, summary_row(g, actors));
		}
	}
	printf("\n");
	ls_print_rows(stdout, rows, actors ? actor_cols : task_cols, LS_TABLE);
	json_object_put(rows);
}

static void
summary(struct ls *ls, const char *what_s)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query_counts counts;
	rh_summary *typed;
	json_object *sum;
	rh_index *ix;
	int actors = !strcmp(what_s, "actors"), error;

	summary_check(ls, what_s, actors);
	ix = open_index(ls, 0);
	o.at_ns = ls->at_ns;
	o.exclude_driver = 1; /* as Ray's summary */
	if ((error = rh_summary_new(&typed, &counts, ix,
	                            actors ? RH_SUMMARY_ACTORS_BY_CLASS :
	                                     RH_SUMMARY_TASKS_BY_FUNC,
	                            &o)) < 0)
		rh_cli_die(error, "--summary %s", what_s);
	rh_index_close(ix);
	sum = ls_summary_json(typed);
	rh_summary_free(typed);
	if (ls->format == LS_TABLE)
		summary_table(sum, actors);
	else if (ls->format == LS_JSON)
		printf("%s\n",
		       json_object_to_json_string_ext(
			       sum, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		ls_print_yaml(stdout, sum);
	json_object_put(sum);
}

static const struct {
	const char *kind;
	rh_entity what;
	const char *col;
} get_kinds[] = {
	{ "task", RH_ENTITY_TASK, "task_id" },
	{ "actor", RH_ENTITY_ACTOR, "actor_id" },
	{ "job", RH_ENTITY_JOB, "job_id" },
	{ "node", RH_ENTITY_NODE, "node_id" },
	{ "worker", RH_ENTITY_WORKER, "worker_id" },
	{ "placement-group", RH_ENTITY_PLACEMENT_GROUP, "placement_group_id" },
	{ "placement_group", RH_ENTITY_PLACEMENT_GROUP, "placement_group_id" },
};

static void
get_one(struct ls *ls, const char *kind, const char *id)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { NULL, "=", id };
	rh_query_counts counts;
	struct ls_rows rows = { 0 };
	rh_index *ix;
	size_t i, n = sizeof(get_kinds) / sizeof(get_kinds[0]),
		  kl = strlen(kind);
	int error;

	/* "task" or "tasks", as ray get takes either */
	for (i = 0; i < n; i++)
		if (!strncmp(kind, get_kinds[i].kind,
		             strlen(get_kinds[i].kind)) &&
		    (kl == strlen(get_kinds[i].kind) ||
		     (kl == strlen(get_kinds[i].kind) + 1 &&
		      kind[kl - 1] == 's')))
			break;
	if (i == n)
		rh_cli_usage_die(
			"--get takes task, actor, job, node, worker or "
			"placement-group, not \"%s\"",
			kind);
	f.key = get_kinds[i].col;
	o.filters = &f;
	o.nfilters = 1;
	o.limit = 0;
	o.detail = 1;
	o.exclude_driver = 0;
	o.at_ns = ls->at_ns;
	ix = open_index(ls, 0);
	/* whole rows, whatever the format: --format json prints them indented */
	error = ls_rows_fetch(&rows, &counts, ix, get_kinds[i].what, &o, NULL);
	if (error == 0 && counts.returned == 0 &&
	    get_kinds[i].what == RH_ENTITY_JOB) {
		f.key = "submission_id"; /* a job by its submission id */
		ls_rows_dispose(&rows);
		error = ls_rows_fetch(&rows, &counts, ix, RH_ENTITY_JOB, &o,
		                      NULL);
	}
	rh_index_close(ix);
	if (error == RH_EINVAL) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
		ls_rows_dispose(&rows);
		rh_store_close(ls->st);
		rh_cli_usage_die("--get %s %s: %s", kind, id, msg);
	}
	if (error < 0)
		rh_cli_die(error, "--get %s %s", kind, id);
	if (counts.returned == 0) {
		fprintf(stderr, "%s: no %s %s in %s%s%s\n", rh_cli_prog,
		        get_kinds[i].kind, id, ls->p.sref.session,
		        ls->at ? " at " : "", ls->at ? ls->at : "");
		exit(1);
	}
	/* one entity: its row (a task: every attempt) */
	if (ls->format == LS_YAML && rows.nrows == 1)
		ls_print_yaml(stdout, json_object_array_get_idx(rows.rows, 0));
	else
		ls_rows_print(stdout, &rows, (enum ls_format)ls->format);
	ls_rows_dispose(&rows);
}

/* ---- --logs: an entity's log (the library's rh_index_log_locate, as the
 * server's api/v0/logs/file?task_id=) ------------------------------------- */

struct head_ctx {
	struct ls *ls;
	rh_node_manifest *m;
};

static int
head_cb(const char *node, void *payload)
{
	struct head_ctx *h = payload;
	rh_node_manifest *m = NULL;

	if (rh_node_manifest_load(&m, h->ls->st, &h->ls->p.sref, node) < 0)
		return 0; /* a damaged node is not the head we look for */
	if (rh_node_manifest_is_head(m)) {
		h->m = m;
		return 1;
	}
	rh_node_manifest_free(m);
	return 0;
}

/* A task id is 24 bytes, an actor id 16 (Ray's TaskID, ActorID); anything
 * else names a submission (or the job id of a submitted job). */
static rh_log_owner
log_owner(const char *id)
{
	size_t n = strlen(id);

	if (rh_id_is_hex(id, n) && n == 48)
		return RH_LOG_OF_TASK;
	if (rh_id_is_hex(id, n) && n == 32)
		return RH_LOG_OF_ACTOR;
	return RH_LOG_OF_SUBMISSION;
}

/* Where the index says the entity's log bytes are; dies when it cannot. */
static void
locate_log(rh_log_location *loc, struct ls *ls, rh_log_owner owner,
           const char *id, int64_t attempt, const char *suffix)
{
	rh_index *ix;
	int error;

	ix = open_index(ls, 0);
	error = rh_index_log_locate(loc, ix, owner, id, attempt, suffix,
	                            ls->at_ns);
	rh_index_close(ix);
	if (error == RH_EINVAL) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", rh_error_last());
		rh_log_location_dispose(loc);
		rh_store_close(ls->st);
		rh_cli_usage_die("--logs: %s", msg);
	}
	if (error == RH_ENOTFOUND) {
		fprintf(stderr, "%s: %s\n", rh_cli_prog, rh_error_last());
		exit(1);
	}
	if (error < 0)
		rh_cli_die(error, "--logs %s", id);
}

/* The manifest of the node the entity ran on (a driver: the head node). */
static rh_node_manifest *
log_node(struct ls *ls, const rh_log_location *loc, rh_log_owner owner,
         const char *id)
{
	rh_node_manifest *m = NULL;
	int error;

	if (!loc->node_id.size) { /* a driver log: on the head node */
		struct head_ctx h = { ls, NULL };
		if ((error = rh_catalog_list_nodes(ls->st, &ls->p.sref, head_cb,
		                                   &h)) < 0)
			rh_cli_die(error, "listing the session's nodes");
		if (!(m = h.m)) {
			fprintf(stderr,
			        "%s: submission %s: no head node was "
			        "captured\n",
			        rh_cli_prog, id);
			exit(1);
		}
	} else if ((error = rh_node_manifest_load(&m, ls->st, &ls->p.sref,
	                                          loc->node_id.ptr)) ==
	           RH_ENOTFOUND) {
		fprintf(stderr,
		        "%s: %s %s ran on node %s, which has no captured "
		        "files\n",
		        rh_cli_prog,
		        owner == RH_LOG_OF_TASK  ? "task" :
		        owner == RH_LOG_OF_ACTOR ? "actor" :
		                                   "submission",
		        id, loc->node_id.ptr);
		exit(1);
	} else if (error < 0) {
		rh_cli_die(error, "node %s", loc->node_id.ptr);
	}
	return m;
}

/* Bytes [start, end) of f to stdout, or with `tail` its last nlines
 * before end, never lines before start. */
static void
print_log_range(rh_logfile *f, const char *path, uint64_t start, uint64_t end,
                int tail, size_t nlines)
{
	rh_buf out = RH_BUF_INIT;
	uint64_t off, first;
	int error;

	if (tail) {
		if ((error = rh_logfile_tail(&out, &first, f, nlines, end)) < 0)
			rh_cli_die(error, "%s", path);
		/* the tail of the entity's bytes, never lines before them */
		if (first < start) {
			size_t cut = (size_t)(start - first) < out.size ?
			                     (size_t)(start - first) :
			                     out.size;
			memmove(out.ptr, out.ptr + cut, out.size - cut);
			out.size -= cut;
		}
		write_out(&out);
	}
	for (off = start; !tail && off < end; off += out.size) {
		uint64_t want = end - off < (8u << 20) ? end - off : (8u << 20);
		rh_buf_clear(&out);
		if ((error = rh_logfile_read(&out, f, off, (size_t)want)) < 0)
			rh_cli_die(error, "%s", path);
		if (!out.size)
			break;
		write_out(&out);
	}
	if (fflush(stdout) != 0)
		rh_cli_die(0, "writing to stdout failed");
	rh_buf_dispose(&out);
}

static void
entity_logs(struct ls *ls, const char *id, int64_t attempt, const char *suffix,
            int tail, size_t nlines)
{
	rh_log_location loc = RH_LOG_LOCATION_INIT;
	rh_log_owner owner = log_owner(id);
	rh_buf path = RH_BUF_INIT;
	rh_node_manifest *m;
	rh_logfile *f = NULL;
	uint64_t size, end, start;
	int error;

	if (ls->p.n != 3)
		rh_cli_usage_die("--logs takes a session: NS/CLUSTER/SESSION");
	locate_log(&loc, ls, owner, id, attempt, suffix);
	m = log_node(ls, &loc, owner, id);
	if ((error = rh_node_manifest_find_log(&path, m, loc.match, loc.key.ptr,
	                                       suffix)) == RH_ENOTFOUND) {
		if (owner == RH_LOG_OF_SUBMISSION)
			fprintf(stderr,
			        "%s: --logs %s: no job or submission of that "
			        "id has a driver log (a task id has 48 hex digits, "
			        "an actor id 32)\n",
			        rh_cli_prog, id);
		else
			fprintf(stderr, "%s: %s\n", rh_cli_prog,
			        rh_error_last());
		exit(1);
	}
	if (error < 0 || (error = rh_logfile_open_manifest(
				  &f, ls->st, &ls->p.sref, m, path.ptr)) < 0)
		rh_cli_die(error, "%s", path.ptr);
	size = rh_logfile_size(f);
	if (ls->at_ns != RH_TIME_NONE)
		size = rh_logfile_size_at(f, ls->at_ns / 1000000 -
		                                     (ls->at_ns % 1000000 < 0));
	end = loc.end < size ? loc.end : size;
	start = loc.start < end ? loc.start : end;
	if (ls->at_ns != RH_TIME_NONE && end <= start &&
	    loc.start < rh_logfile_size(f)) {
		fprintf(stderr,
		        "%s: %s: nothing of it had been captured by %s\n",
		        rh_cli_prog, path.ptr, ls->at);
		exit(1);
	}
	print_log_range(f, path.ptr, start, end, tail, nlines);
	rh_buf_dispose(&path);
	rh_logfile_close(f);
	rh_node_manifest_free(m);
	rh_log_location_dispose(&loc);
}

/* ---- usage checks -------------------------------------------------------- */

/* Columns whose values are one of Ray's enums: a filter value outside them
 * matches nothing, which is never what was meant. */
struct enum_col {
	rh_entity what;
	const char *col;
	const char *(*name)(int);
	int count;
	const char *const *names; /* instead of name() */
};

static const char *const job_types[] = { "SUBMISSION", "DRIVER", NULL };
static const char *const worker_types[] = { "WORKER", "DRIVER", "SPILL_WORKER",
	                                    "RESTORE_WORKER", NULL };

static const struct enum_col enum_cols[] = {
	{ RH_ENTITY_TASK, "state", rh_task_state_name, RH_TASK_STATE_COUNT,
	  NULL },
	{ RH_ENTITY_TASK, "type", rh_task_type_name, RH_TASK_TYPE_COUNT, NULL },
	{ RH_ENTITY_ACTOR, "state", rh_actor_state_name, RH_ACTOR_STATE_COUNT,
	  NULL },
	{ RH_ENTITY_JOB, "status", rh_job_status_name, RH_JOB_STATUS_COUNT,
	  NULL },
	{ RH_ENTITY_JOB, "type", NULL, 0, job_types },
	{ RH_ENTITY_NODE, "state", rh_node_state_name, RH_NODE_STATE_COUNT,
	  NULL },
	{ RH_ENTITY_WORKER, "worker_type", NULL, 0, worker_types },
	{ RH_ENTITY_PLACEMENT_GROUP, "state", rh_pg_state_name,
	  RH_PG_STATE_COUNT, NULL },
};

static const char *
enum_value(const struct enum_col *e, int i)
{
	if (e->names)
		return e->names[i];
	return i < e->count ? e->name(i) : NULL;
}

/* Edit distance of a and b, case-insensitive; both are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = d[0], cur;
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev + (toupper((unsigned char)a[i - 1]) !=
			                     toupper((unsigned char)b[j - 1]));
			cur = d[j];
			d[j] = sub;
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (cur + 1 < d[j])
				d[j] = cur + 1;
			prev = cur;
		}
	}
	return d[lb];
}

static void
check_filter_values(rh_entity what, const rh_filter *fs, size_t n)
{
	/* "tasks" -> "task" */
	int one = (int)strlen(rh_entity_name(what)) - 1;

	size_t i, k, best_d, dd;
	int v;

	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(enum_cols) / sizeof(enum_cols[0]); k++) {
			const struct enum_col *e = &enum_cols[k];
			const char *best = NULL, *name;
			char list[512] = "";

			if (e->what != what || strcasecmp(e->col, fs[i].key))
				continue;
			best_d = 99;
			for (v = 0; (name = enum_value(e, v)); v++) {
				if (!*name)
					continue;
				if (!strcasecmp(name, fs[i].value))
					break;
				if ((dd = distance(name, fs[i].value)) < best_d)
					best_d = dd, best = name;
				snprintf(list + strlen(list),
				         sizeof(list) - strlen(list), "%s%s",
				         *list ? ", " : "", name);
			}
			if (name)
				continue; /* known */
			if (best && best_d <= 2)
				rh_cli_usage_die(
					"--filter %s=%s: no %.*s has %s %s; did "
					"you mean %s?",
					fs[i].key, fs[i].value, one,
					rh_entity_name(what), e->col,
					fs[i].value, best);
			rh_cli_usage_die(
				"--filter %s=%s: no %.*s has %s %s; Ray's "
				"values are %s",
				fs[i].key, fs[i].value, one,
				rh_entity_name(what), e->col, fs[i].value,
				list);
		}
}

/* ---- --grep --------------------------------------------------------------- */

static int
grep(struct ls *ls, const char *pattern, const char *node, rh_search_options *o)
{
	rh_buf id = RH_BUF_INIT;
	int error, status;

	if (ls->p.n < 3)
		rh_cli_usage_die(
			"--grep takes a session: NS/CLUSTER/SESSION[/NODE[/FILE]]");
	if (node && ls->p.n > 3)
		rh_cli_usage_die("--node and a NODE in PATH: give one");
	if (ls->p.file && o->file_glob)
		rh_cli_usage_die("--file and a FILE in PATH: give one");
	if (node && (error = rh_catalog_resolve_node(&id, ls->st, &ls->p.sref,
	                                             node)) < 0)
		rh_cli_die(error, "--node %s", node);
	o->node = node ? id.ptr : ls->p.n > 3 ? ls->p.node.ptr : NULL;
	if (ls->p.file)
		o->file_glob = ls->p.file;
	/* a testing knob: small units put lines across unit edges */
	if (getenv("RAYHIST_SEARCH_CHUNK"))
		o->chunk_size = (size_t)rh_cli_number(
			"RAYHIST_SEARCH_CHUNK", getenv("RAYHIST_SEARCH_CHUNK"));
	if (ls->at_ns != RH_TIME_NONE)
		o->at_ms = ls->at_ns / 1000000 - (ls->at_ns % 1000000 < 0);
	status = rh_ls_grep(ls->st, &ls->p.sref, pattern, o, ls->json,
	                    ls->quiet);
	rh_buf_dispose(&id);
	return status;
}

/* The one action of a run: a second one conflicts (the last used to win). */
static void
set_mode(enum mode *mode, const char **given, enum mode m, const char *opt)
{
	if (*given && strcmp(*given, opt))
		rh_cli_usage_die("%s and %s: give one of them", *given, opt);
	*mode = m;
	*given = opt;
}

/* What the command line asks for. */
struct ls_args {
	enum mode mode;
	const char *given; /* the option that chose the mode */
	rh_store_options sopts;
	rh_query_options qopts;
	rh_filter filters[MAX_FILTERS];
	rh_entity what;
	const char *store_flag, *logs_id, *entity_only, *format, *summary_of,
		*get_kind, *get_id, *export, *pattern, *gnode;
	rh_search_options gopts;
	int grep_only;
	uint64_t a, b; /* --range */
	size_t nlines;
	int err, tail;
	int64_t attempt;
	rh_cache_cli cache;
};

static void
parse_args(struct ls_args *x, struct ls *ls, rh_cli *cli, int argc, char **argv)
{
	const char *arg;
	char *colon;
	int c;

	rh_cli_init(
		cli, "rayhist-ls",
		"[--store URL] [-l] [--json] [NS[/CLUSTER[/SESSION[/NODE[/FILE]]]]]\n"
		"[--store URL] [--at TIME] --cat PATH\n"
		"[--store URL] [--at TIME] --tail N PATH\n"
		"[--store URL] [--at TIME] --range A:B PATH\n"
		"[--store URL] [--at TIME] --logs TASK_ID|ACTOR_ID|SUBMISSION_ID [--err] [--attempt N] [--tail N] NS/CLUSTER/SESSION\n"
		"[--store URL] [--at TIME] [--format FMT] --export OUT NS/CLUSTER/SESSION[/NODE[/PREFIX]]\n"
		"[--store URL] --grep PATTERN [-i] [-E|-F] [--node ID] [--file GLOB] [--at TIME] [-C N] [--max N] [--json] NS/CLUSTER/SESSION[/NODE[/FILE]]\n"
		"[--store URL] --tasks|--jobs|--actors|--nodes|--workers|--placement-groups [--filter KEY=VALUE]... [--limit N] [--detail] [--at TIME] [--format table|json|yaml] NS/CLUSTER/SESSION\n"
		"[--store URL] --summary tasks|actors|objects [--at TIME] [--format FMT] NS/CLUSTER/SESSION\n"
		"[--store URL] --get task|actor|job|node|worker|placement-group ID [--at TIME] [--format FMT] NS/CLUSTER/SESSION",
		"List the level below PATH in a rayhist store - namespaces, clusters,\n"
		"sessions, nodes (NODE: an id, or a unique prefix of one), files - or\n"
		"write a stored file's bytes, or a task's, actor's or job's log, or\n"
		"list a session's jobs, tasks, actors, nodes, workers or placement\n"
		"groups from its index, with the field names and filter rules of\n"
		"Ray's state API.",
		options, argc, argv);
	while ((c = rh_cli_next(cli, &arg)) != -1) {
		if (rh_cache_cli_opt(&x->cache, c, arg))
			continue;
		switch (c) {
		case OPT_STORE: x->store_flag = arg; break;
		case OPT_STORE_CONFIG: x->sopts.config_file = arg; break;
		case 'l': ls->lng = 1; break;
		case 'q': ls->quiet = 1; break;
		case OPT_JSON: ls->json = 1; break;
		case OPT_JOBS:
			set_mode(&x->mode, &x->given, QUERY, "--jobs");
			x->what = RH_ENTITY_JOB;
			break;
		case OPT_TASKS:
			set_mode(&x->mode, &x->given, QUERY, "--tasks");
			x->what = RH_ENTITY_TASK;
			break;
		case OPT_ACTORS:
			set_mode(&x->mode, &x->given, QUERY, "--actors");
			x->what = RH_ENTITY_ACTOR;
			break;
		case OPT_NODES:
			set_mode(&x->mode, &x->given, QUERY, "--nodes");
			x->what = RH_ENTITY_NODE;
			break;
		case OPT_WORKERS:
			set_mode(&x->mode, &x->given, QUERY, "--workers");
			x->what = RH_ENTITY_WORKER;
			break;
		case OPT_PGS:
			set_mode(&x->mode, &x->given, QUERY,
			         "--placement-groups");
			x->what = RH_ENTITY_PLACEMENT_GROUP;
			break;
		case OPT_FILTER:
			if (x->qopts.nfilters == MAX_FILTERS)
				rh_cli_usage_die("at most %d --filter options",
				                 MAX_FILTERS);
			parse_filter(&x->filters[x->qopts.nfilters++],
			             (char *)arg);
			x->qopts.filters = x->filters;
			x->entity_only = "--filter";
			break;
		case OPT_LIMIT:
			x->qopts.limit = rh_cli_number("--limit", arg);
			x->entity_only = "--limit";
			break;
		case OPT_DETAIL:
			x->qopts.detail = 1;
			x->entity_only = "--detail";
			break;
		case OPT_AT: ls->at = arg; break;
		case OPT_LOGS:
			set_mode(&x->mode, &x->given, LOGS, "--logs");
			x->logs_id = arg;
			break;
		case OPT_ERR: x->err = 1; break;
		case OPT_FORMAT: x->format = arg; break;
		case OPT_SUMMARY:
			set_mode(&x->mode, &x->given, SUMMARY, "--summary");
			x->summary_of = arg;
			break;
		case OPT_GET:
			set_mode(&x->mode, &x->given, GET, "--get");
			x->get_kind = arg;
			break;
		case OPT_ATTEMPT:
			x->attempt = (int64_t)rh_cli_number("--attempt", arg);
			if (x->attempt > 1000000)
				rh_cli_usage_die(
					"--attempt: %s is not an attempt number",
					arg);
			break;
		case OPT_CAT:
			set_mode(&x->mode, &x->given, CAT, "--cat");
			break;
		case OPT_EXPORT:
			set_mode(&x->mode, &x->given, EXPORT, "--export");
			x->export = arg;
			break;
		case OPT_GREP:
			set_mode(&x->mode, &x->given, GREP, "--grep");
			x->pattern = arg;
			rh_cli_die_status = 2;
			break;
		case 'i':
			x->gopts.flags |= RH_SEARCH_ICASE;
			x->grep_only = c;
			break;
		case 'E':
			x->gopts.flags |= RH_SEARCH_EXTENDED;
			x->grep_only = c;
			break;
		case 'F':
			x->gopts.flags |= RH_SEARCH_FIXED;
			x->grep_only = c;
			break;
		case OPT_NODE:
			x->gnode = arg;
			x->grep_only = c;
			break;
		case OPT_FILE:
			x->gopts.file_glob = arg;
			x->grep_only = c;
			break;
		case 'C':
			x->gopts.context = (unsigned)rh_cli_number("-C", arg);
			x->grep_only = c;
			break;
		case OPT_MAX:
			x->gopts.max_matches = rh_cli_number("--max", arg);
			x->grep_only = c;
			break;
		case OPT_TAIL:
			x->tail = 1;
			x->nlines = (size_t)rh_cli_number("--tail", arg);
			break;
		case OPT_RANGE:
			set_mode(&x->mode, &x->given, RANGE, "--range");
			if (!(colon = strchr(arg, ':')))
				rh_cli_usage_die(
					"--range takes A:B, not \"%s\"", arg);
			*colon = '\0';
			x->a = rh_cli_number("--range", arg);
			x->b = *(colon + 1) ?
			               rh_cli_number("--range", colon + 1) :
			               UINT64_MAX;
			if (x->b < x->a)
				rh_cli_usage_die("--range A:B needs A <= B");
			break;
		}
	}
}

/* The options that go only with some modes; the output format. */
static void
check_args(struct ls_args *x, struct ls *ls)
{
	/* --tail is a mode of its own, or the length of --logs' output */
	if (x->tail && x->mode != LOGS)
		set_mode(&x->mode, &x->given, TAIL, "--tail");
	if (x->entity_only && x->mode != QUERY)
		rh_cli_usage_die(
			"%s goes with --tasks, --jobs, --actors, --nodes, "
			"--workers or --placement-groups",
			x->entity_only);
	if (x->grep_only && x->mode != GREP)
		rh_cli_usage_die(
			"-i, -E, -F, --node, --file, -C and --max go with --grep");
	if (x->err && x->mode != LOGS)
		rh_cli_usage_die("--err goes with --logs");
	if (x->attempt >= 0 && x->mode != LOGS)
		rh_cli_usage_die("--attempt goes with --logs");
	if ((ls->json || (x->format && x->mode != EXPORT)) &&
	    (x->mode == CAT || x->mode == TAIL || x->mode == RANGE ||
	     x->mode == LOGS || x->mode == EXPORT))
		rh_cli_usage_die(
			"%s goes with a listing; %s writes the bytes as "
			"they are",
			ls->json ? "--json" : "--format", x->given);
	/* --format of an export is the archive's (ls_export.c checks it) */
	if (x->format && x->mode != EXPORT &&
	    (ls->format = ls_format_parse(x->format)) < 0)
		rh_cli_usage_die(
			"--format takes table, json or yaml, not \"%s\"",
			x->format);
	if (x->format && ls->json && ls->format != LS_JSON)
		rh_cli_usage_die("--json and --format %s: give one of them",
		                 x->format);
	if (!x->format) /* as Ray: --detail and ray get print YAML */
		ls->format = ls->json                          ? LS_JSON :
		             x->qopts.detail || x->mode == GET ? LS_YAML :
		                                                 LS_TABLE;
	if (x->mode == LIST && ls->format == LS_YAML)
		rh_cli_usage_die("--format yaml goes with an entity listing, "
		                 "--summary or --get");
	if (x->mode == LIST && ls->format == LS_JSON)
		ls->json = 1;
}

/* The mode's work, once the store is open. */
static void
run(struct ls_args *x, struct ls *ls)
{
	if (x->mode == GREP)
		ls->status = grep(ls, x->pattern, x->gnode, &x->gopts);
	else if (x->mode == EXPORT)
		ls->status = rh_ls_export(
			ls->st, &ls->p.sref,
			ls->p.n > 3 ? ls->p.node.ptr : NULL, ls->p.file,
			ls->at_ns == RH_TIME_NONE ? 0 : ls->at_ns / 1000000,
			x->export, x->format, ls->quiet);
	else if (x->mode == QUERY)
		query(ls, x->what, &x->qopts);
	else if (x->mode == LOGS)
		entity_logs(ls, x->logs_id, x->attempt, x->err ? "err" : "out",
		            x->tail, x->nlines);
	else if (x->mode == SUMMARY)
		summary(ls, x->summary_of);
	else if (x->mode == GET)
		get_one(ls, x->get_kind, x->get_id);
	else if (x->mode == LIST)
		list(ls);
	else
		read_file(ls, x->mode, x->a, x->b, x->nlines);
}

int
main(int argc, char **argv)
{
	struct ls_args x = { .mode = LIST,
		             .sopts = RH_STORE_OPTIONS_INIT,
		             .qopts = RH_QUERY_OPTIONS_INIT,
		             .what = RH_ENTITY_TASK,
		             .gopts = RH_SEARCH_OPTIONS_INIT,
		             .attempt = -1 };
	struct ls ls;
	const char *url;
	rh_cli cli;
	char *path;
	int error;

	memset(&ls, 0, sizeof(ls));
	parse_args(&x, &ls, &cli, argc, argv);
	check_args(&x, &ls);
	if (x.mode == GET) { /* --get KIND ID SESSION */
		if (argc - optind != 2)
			rh_cli_usage_die(
				"--get %s takes an ID and a session: --get "
				"KIND ID NS/CLUSTER/SESSION",
				x.get_kind);
		x.get_id = argv[optind++];
	}
	if (argc - optind > 1)
		rh_cli_usage_die(
			"give one PATH, not %d (NS/CLUSTER/SESSION/NODE/FILE "
			"is one path)",
			argc - optind);
	if (x.mode == QUERY)
		check_filter_values(x.what, x.qopts.filters, x.qopts.nfilters);
	path = optind < argc ? argv[optind] : "";
	parse_path(&ls.p, path);
	url = rh_store_default_url(x.store_flag);
	x.sopts.must_exist = 1; /* a reader: a mistyped URL creates nothing */
	rh_cache_cli_apply(&x.cache, &x.sopts);
	if ((error = rh_store_open(&ls.st, url, &x.sopts)) < 0)
		rh_cli_die(error, "%s", url);
	/* An entity listing of a session opens its index first, which says
	 * when nothing is there (open_index() then names the missing part):
	 * no listing of the store's top levels before the first page. */
	if ((x.mode == QUERY || x.mode == SUMMARY || x.mode == GET ||
	     x.mode == LOGS) &&
	    ls.p.n == 3)
		check_names(&ls);
	else
		check_levels(&ls);
	if (x.mode == EXPORT && ls.p.n < 3)
		rh_cli_usage_die(
			"--export needs a session: NS/CLUSTER/SESSION[/NODE[/PREFIX]]");
	if (ls.at && x.mode == LIST)
		rh_cli_usage_die(
			"--at goes with an entity listing, --logs, --grep, "
			"--export or --cat, --tail, --range");
	resolve_at(&ls);
	x.qopts.at_ns = ls.at_ns;
	run(&x, &ls);
	rh_buf_dispose(&ls.p.node);
	rh_buf_dispose(&ls.shown[0]);
	rh_buf_dispose(&ls.shown[1]);
	rh_store_close(ls.st);
	rh_cli_free(&cli);
	return ls.status;
}
