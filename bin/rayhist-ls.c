/* rayhist-ls - list what a store holds and read captured files back. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <rayhist/rayhist.h>

#include "cli.h"
#include "ls_search.h"

enum { OPT_STORE = 256, OPT_STORE_CONFIG, OPT_JSON, OPT_CAT, OPT_TAIL, OPT_RANGE,
       OPT_JOBS, OPT_TASKS, OPT_ACTORS, OPT_NODES, OPT_WORKERS, OPT_PGS,
       OPT_FILTER, OPT_LIMIT, OPT_DETAIL, OPT_AT,
       OPT_GREP, OPT_NODE, OPT_FILE, OPT_MAX };

static const rh_cli_opt options[] = {
	{ OPT_STORE, "store", "URL", "store to read (file path, file://, s3://)" },
	{ OPT_STORE_CONFIG, "store-config", "FILE", "settings file of an s3:// store (default $RAYHIST_STORE_CONFIG)" },
	{ 'l', "long", NULL, "add sizes (raw and stored), times and node IPs" },
	{ OPT_JSON, "json", NULL, "print machine-readable JSON" },
	{ OPT_CAT, "cat", NULL, "write the stored file's exact bytes to stdout" },
	{ OPT_TAIL, "tail", "N", "write the file's last N lines to stdout" },
	{ OPT_RANGE, "range", "A:B", "write bytes A to B-1 of the file to stdout" },
	{ OPT_JOBS, "jobs", NULL, "list the session's jobs (Ray state API rows)" },
	{ OPT_TASKS, "tasks", NULL, "list the session's task attempts" },
	{ OPT_ACTORS, "actors", NULL, "list the session's actors" },
	{ OPT_NODES, "nodes", NULL, "list the session's nodes as Ray saw them" },
	{ OPT_WORKERS, "workers", NULL, "list the session's workers" },
	{ OPT_PGS, "placement-groups", NULL, "list the session's placement groups" },
	{ OPT_FILTER, "filter", "KEY=VALUE", "keep rows whose KEY is (=) or is not (!=) VALUE; repeatable" },
	{ OPT_LIMIT, "limit", "N", "print at most N rows (default 100; 0: all)" },
	{ OPT_DETAIL, "detail", NULL, "print every column, as Ray's detail=1" },
	{ OPT_AT, "at", "TIME", "show the session as it was at TIME (RFC 3339, or +SECONDS since its start); cuts --cat/--tail/--range at the last part captured by then" },
	{ OPT_GREP, "grep", "PATTERN", "print the lines of the session's stored files that match PATTERN, as NODE/FILE:LINE:TEXT" },
	{ 'i', "ignore-case", NULL, "--grep: ignore ASCII case" },
	{ 'E', "extended-regexp", NULL, "--grep: PATTERN is a POSIX extended regex (default: basic, as grep)" },
	{ 'F', "fixed-strings", NULL, "--grep: PATTERN is a fixed string" },
	{ OPT_NODE, "node", "ID", "--grep: only the node ID (or a unique prefix of it)" },
	{ OPT_FILE, "file", "GLOB", "--grep: only files matching GLOB (with a '/': the path in the session, else the base name)" },
	{ 'C', "context", "N", "--grep: print N lines of context around each match" },
	{ OPT_MAX, "max", "N", "--grep: stop after N matching lines in all" },
	{ 0, NULL, NULL, NULL }
};

enum mode { LIST, CAT, TAIL, RANGE, QUERY, GREP };

struct path {
	char *parts[4];       /* ns, cluster, session, node (prefix) */
	int n;                /* how many of them were given */
	const char *file;     /* the rest: a path inside the node, or NULL */
	rh_session_ref sref;
	rh_buf node;          /* resolved node id */
};

struct ls {
	rh_store *st;
	int lng, json;
	json_object *rows;    /* --json output */
	struct path p;
	const char *at;       /* --at TIME, or NULL */
	int64_t at_ns;        /* resolved by resolve_at() */
	int status;           /* exit status: 1 once something could not be read */
	rh_buf shown[2];      /* names as show() writes them */
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
		json_object_object_add(o, "name", json_object_new_string(show(ls, 0, name)));
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
is_phantom(struct ls *ls)
{
	rh_buf key = RH_BUF_INIT;
	int n = 0, events = 0;

	if (rh_catalog_list_nodes(ls->st, &ls->p.sref, count_cb, &n) < 0 || n ||
	    rh_layout_session_prefix(&key, &ls->p.sref) < 0 ||
	    rh_buf_puts(&key, "events/") < 0 ||
	    rh_store_list(ls->st, key.ptr, NULL, first_cb, &events) < 0)
		events = 1;	/* cannot tell: list it */
	rh_buf_dispose(&key);
	rh_error_clear();
	return !events;
}

static int
print_name(const char *name, void *payload)
{
	struct ls *ls = payload;
	const char *kind = ls->p.n == 0 ? "namespace" : ls->p.n == 1 ? "cluster"
							: "session";
	rh_session_info info;
	char t1[32], t2[32];
	int error;

	if (!ls->lng || ls->p.n != 2) {
		emit_name(ls, name, kind);
		return 0;
	}
	ls->p.sref.session = name;
	if ((error = rh_session_info_load(&info, ls->st, &ls->p.sref)) < 0) {
		/* none: a session being captured, state unknown; one that
		 * cannot be read is damage, said and reflected in the exit */
		if (error != RH_ENOTFOUND) {
			rh_cli_warn("%s: %s", name, rh_error_last());
			ls->status = 1;
		} else if (is_phantom(ls)) {
			return 0;
		}
		memset(&info, 0, sizeof(info));
	}
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jstr(name));
		json_object_object_add(o, "type", json_object_new_string(kind));
		json_object_object_add(o, "start_ms", json_object_new_int64(info.start_ms));
		json_object_object_add(o, "end_ms", json_object_new_int64(info.end_ms));
		json_object_object_add(o, "end_marked_ms",
				       json_object_new_int64(info.end_marked_ms));
		json_object_object_add(o, "updated_ms", json_object_new_int64(info.updated_ms));
		json_object_object_add(o, "ray_version", jstr(info.ray_version));
		json_object_object_add(o, "heartbeat_ms", json_object_new_int64(info.heartbeat_ms));
		json_object_object_add(o, "state", json_object_new_string(
					       rh_session_state_name(info.state)));
		json_object_array_add(ls->rows, o);
	} else {
		/* The second time is when it ended: the end mark, or for a
		 * session whose collector died, its last heartbeat. */
		fmt_time(t1, sizeof(t1), info.start_ms);
		fmt_time(t2, sizeof(t2), info.state == RH_SESSION_ENDED ? info.end_ms
				 : info.state == RH_SESSION_LIVE ||
				   info.state == RH_SESSION_ABANDONED ? info.heartbeat_ms
				 : info.updated_ms);
		printf("%-20s  %-20s  %-9s  %s\n", t1, t2,
		       rh_session_state_name(info.state), name);
	}
	return 0;
}

static int
print_node(const char *node, void *payload)
{
	struct ls *ls = payload;
	rh_node_manifest *m = NULL;
	uint64_t raw = 0, stored = 0;
	size_t i, n;
	int error;

	if (!ls->lng) {
		emit_name(ls, node, "node");
		return 0;
	}
	if ((error = rh_node_manifest_load(&m, ls->st, &ls->p.sref, node)) < 0) {
		rh_cli_warn("node %s: %s", node, rh_error_last());
		ls->status = 1;	/* listed what it could; not a success */
		return 0;
	}
	n = rh_node_manifest_file_count(m);
	for (i = 0; i < n; i++) {
		raw += rh_node_manifest_file(m, i)->size;
		stored += rh_node_manifest_file(m, i)->stored;
	}
	if (ls->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(node));
		json_object_object_add(o, "type", json_object_new_string("node"));
		json_object_object_add(o, "node_ip", jstr(rh_node_manifest_ip(m)));
		json_object_object_add(o, "is_head", json_object_new_boolean(rh_node_manifest_is_head(m)));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "size", json_object_new_uint64(raw));
		json_object_object_add(o, "stored", json_object_new_uint64(stored));
		json_object_object_add(o, "captured_ms",
				       json_object_new_int64(rh_node_manifest_captured_ms(m)));
		json_object_array_add(ls->rows, o);
	} else {
		printf("%-15s %-6s %6zu files %14" PRIu64 " %14" PRIu64 "  %s\n",
		       *rh_node_manifest_ip(m) ? rh_node_manifest_ip(m) : "-",
		       rh_node_manifest_is_head(m) ? "head" : "worker", n, raw,
		       stored, node);
	}
	rh_node_manifest_free(m);
	return 0;
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
		json_object_object_add(o, "name", json_object_new_string(show(ls, 0, name)));
		json_object_object_add(o, "type", json_object_new_string("file"));
		json_object_object_add(o, "path", json_object_new_string(show(ls, 1, f->path)));
		json_object_object_add(o, "size", json_object_new_uint64(f->size));
		json_object_object_add(o, "stored", json_object_new_uint64(f->stored));
		json_object_object_add(o, "parts", json_object_new_int64((int64_t)f->nparts));
		json_object_object_add(o, "mtime_ms", json_object_new_int64(f->mtime_ms));
		json_object_array_add(ls->rows, o);
	} else {
		fmt_time(t, sizeof(t), f->mtime_ms);
		printf("%14" PRIu64 " %14" PRIu64 "  %-20s  %s\n", f->size,
		       f->stored, t, show(ls, 0, name));
	}
}

/* ---- path handling ------------------------------------------------------- */

static const char *level_names[] = { "namespace", "cluster", "session", "node" };

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

/* Say which part of the path does not exist. */
static void
check_levels(struct ls *ls)
{
	struct exists_ctx ctx;
	int i, error = 0;

	for (i = 0; i < ls->p.n && i < 3; i++) {
		if ((error = rh_layout_check_name(level_names[i], ls->p.parts[i])) < 0)
			rh_cli_die(error, "bad path");
		ctx.want = ls->p.parts[i];
		ctx.found = 0;
		if (i == 0)
			error = rh_catalog_list_namespaces(ls->st, exists_cb, &ctx);
		else if (i == 1)
			error = rh_catalog_list_clusters(ls->st, ls->p.parts[0],
							 exists_cb, &ctx);
		else
			error = rh_catalog_list_sessions(ls->st, ls->p.parts[0],
							 ls->p.parts[1], exists_cb, &ctx);
		if (error < 0)
			rh_cli_die(error, "listing the store");
		if (!ctx.found) {
			fprintf(stderr, "%s: %s \"%s\" not found", rh_cli_prog,
				level_names[i], ls->p.parts[i]);
			if (i > 0)
				fprintf(stderr, " in %s%s%s", ls->p.parts[0],
					i > 1 ? "/" : "", i > 1 ? ls->p.parts[1] : "");
			fputc('\n', stderr);
			exit(rh_cli_die_status);
		}
	}
	if (ls->p.n == 4) {
		error = rh_catalog_resolve_node(&ls->p.node, ls->st, &ls->p.sref,
						ls->p.parts[3]);
		if (error == RH_ENOTFOUND) {
			fprintf(stderr, "%s: node \"%s\" not found in %s/%s/%s\n",
				rh_cli_prog, ls->p.parts[3], ls->p.parts[0],
				ls->p.parts[1], ls->p.parts[2]);
			exit(rh_cli_die_status);
		}
		if (error < 0)
			rh_cli_die(error, "node");
	}
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
	if (b.size == n) {	/* nothing mapped */
		rh_buf_dispose(&b);
		return 0;
	}
	memcpy((char *)ls->p.file, b.ptr, b.size + 1);	/* shorter: fits */
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

		if (strncmp(f->path, dir, dlen) != 0 || (dlen && f->path[dlen] != '/'))
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

	if ((error = rh_node_manifest_load(&m, ls->st, &ls->p.sref, ls->p.node.ptr)) < 0)
		rh_cli_die(error, "node %s", ls->p.node.ptr);
	if (ls->p.file && !rh_node_manifest_find(m, ls->p.file))
		unmap_file(ls);
	if (ls->p.file && (f = rh_node_manifest_find(m, ls->p.file))) {
		print_file(ls, f, f->path);
	} else if (!list_node_dir(ls, m, ls->p.file ? ls->p.file : "") && ls->p.file) {
		fprintf(stderr, "%s: file \"%s\" not found on node %s\n", rh_cli_prog,
			ls->p.file, ls->p.node.ptr);
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
	case 0: error = rh_catalog_list_namespaces(ls->st, print_name, ls); break;
	case 1: error = rh_catalog_list_clusters(ls->st, ls->p.parts[0], print_name, ls); break;
	case 2: error = rh_catalog_list_sessions(ls->st, ls->p.parts[0], ls->p.parts[1],
						print_name, ls); break;
	case 3:
		/* -l of a session also says what its index had to skip */
		if (ls->lng)
			rh_index_close(open_index(ls, 0));
		error = rh_catalog_list_nodes(ls->st, &ls->p.sref, print_node, ls);
		break;
	default: list_node(ls); break;
	}
	if (error < 0)
		rh_cli_die(error, "listing the store");
	if (ls->json) {
		puts(json_object_to_json_string_ext(ls->rows, JSON_C_TO_STRING_PRETTY |
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
	    rh_session_info_load(&info, ls->st, &ls->p.sref) == 0 && info.start_ms > 0)
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

static void
read_file(struct ls *ls, enum mode mode, uint64_t a, uint64_t b, size_t nlines)
{
	rh_logfile *f = NULL;
	rh_buf out = RH_BUF_INIT;
	uint64_t off, size;
	int error;

	if (ls->p.n < 4 || !ls->p.file)
		rh_cli_usage_die("give a file: NS/CLUSTER/SESSION/NODE/FILE");
	error = rh_logfile_open(&f, ls->st, &ls->p.sref, ls->p.node.ptr, ls->p.file);
	if (error == RH_ENOTFOUND && unmap_file(ls))
		error = rh_logfile_open(&f, ls->st, &ls->p.sref, ls->p.node.ptr,
					ls->p.file);
	if (error == RH_ENOTFOUND) {
		fprintf(stderr, "%s: file \"%s\" not found on node %s\n", rh_cli_prog,
			ls->p.file, ls->p.node.ptr);
		exit(1);
	}
	if (error < 0)
		rh_cli_die(error, "%s", ls->p.file);
	size = rh_logfile_size(f);
	if (ls->at_ns != RH_TIME_NONE) /* as captured by then (part granularity) */
		size = rh_logfile_size_at(f, ls->at_ns / 1000000 -
					  (ls->at_ns % 1000000 < 0));
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
			uint64_t want = b - off < (8u << 20) ? b - off : (8u << 20);
			rh_buf_clear(&out);
			if ((error = rh_logfile_read(&out, f, off, (size_t)want)) < 0)
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

/* Columns of the text table per entity: the state API's own names. */
static const char *const text_columns[][6] = {
	[RH_ENTITY_TASK] = { "task_id", "attempt_number", "state", "name", "job_id", NULL },
	[RH_ENTITY_ACTOR] = { "actor_id", "state", "class_name", "name", "job_id", NULL },
	[RH_ENTITY_JOB] = { "job_id", "submission_id", "type", "status", "entrypoint", NULL },
	[RH_ENTITY_NODE] = { "node_id", "state", "node_ip", "is_head_node", "node_name", NULL },
	[RH_ENTITY_WORKER] = { "worker_id", "is_alive", "worker_type", "pid", "node_id", NULL },
	[RH_ENTITY_PLACEMENT_GROUP] = { "placement_group_id", "state", "name", "creator_job_id", NULL },
};

static void
print_cell(json_object *row, const char *col, int last)
{
	json_object *v = NULL;
	const char *s;

	json_object_object_get_ex(row, col, &v);
	s = v ? json_object_get_string(v) : "-";
	printf(last ? "%s\n" : "%s\t", s && *s ? s : "-");
}

static void
parse_filter(rh_filter *f, char *arg)
{
	char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (eq == arg + 1 && arg[0] == '!'))
		rh_cli_usage_die("--filter takes KEY=VALUE or KEY!=VALUE, not \"%s\"", arg);
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
		rh_cli_warn("warning: %s%" PRIu64 " more damaged objects skipped",
			    prefix, n - i);
}

/* Open (building or rebuilding when needed) the index of the session in
 * ls->p; with `rebuild`, rebuild it first whatever it holds. Dies when it
 * cannot. */
static rh_index *
open_index(struct ls *ls, int rebuild)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	rh_buf prefix = RH_BUF_INIT;
	rh_session_info info;
	rh_index *ix = NULL;
	int error;

	if ((error = rh_layout_session_prefix(&prefix, &ls->p.sref)) < 0)
		rh_cli_die(error, "bad session");
	ro.force = 1;
	if (rebuild && (error = rh_index_refresh(NULL, ls->st, prefix.ptr, &ro)) < 0)
		rh_cli_die(error, "%s: cannot rebuild the session index", prefix.ptr);
	/* Builds the index on first use, or when new events arrived. */
	if ((error = rh_index_open_session(&ix, ls->st, prefix.ptr, NULL)) < 0)
		rh_cli_die(error, "%s: cannot open the session index", prefix.ptr);
	if (!rebuild)
		print_index_warnings(ix, "");
	rh_buf_dispose(&prefix);
	/* a session.json that cannot be read is damage too (none is fine:
	 * a session still being captured) */
	if ((error = rh_session_info_load(&info, ls->st, &ls->p.sref)) < 0 &&
	    error != RH_ENOTFOUND) {
		rh_cli_warn("%s", rh_error_last());
		ls->status = 1;
	}
	return ix;
}

static void
query(struct ls *ls, rh_entity what, const rh_query_options *o)
{
	rh_index *ix;
	rh_buf out = RH_BUF_INIT;
	rh_query_counts counts;
	json_object *rows;
	size_t i, k;
	int error;

	if (ls->p.n != 3)
		rh_cli_usage_die("--%s takes a session: NS/CLUSTER/SESSION",
				 rh_entity_name(what));
	ix = open_index(ls, 0);
	if ((error = rh_index_list_json(&out, &counts, ix, what, o)) == RH_ECORRUPT) {
		/* opening checks the index's ends; a damaged page shows only
		 * when read: rebuild it from the events, as the server does */
		rh_cli_warn("%s: the session index is damaged (%s); rebuilding it",
			    rh_entity_name(what), rh_error_last());
		rh_index_close(ix);
		ix = open_index(ls, 1);
		rh_buf_clear(&out);
		error = rh_index_list_json(&out, &counts, ix, what, o);
	}
	if (error < 0)
		rh_cli_die(error, "%s", rh_entity_name(what));
	if (ls->json) {
		printf("%s\n", out.ptr);
	} else if (!(rows = json_tokener_parse(out.ptr))) {
		rh_cli_die(0, "cannot read back the rows");
	} else {
		const char *const *cols = text_columns[what];
		for (k = 0; cols[k]; k++)
			printf(cols[k + 1] ? "%s\t" : "%s\n", cols[k]);
		for (i = 0; i < json_object_array_length(rows); i++)
			for (k = 0; cols[k]; k++)
				print_cell(json_object_array_get_idx(rows, i), cols[k],
					   cols[k + 1] == NULL);
		json_object_put(rows);
		fprintf(stderr, "%zu shown, %" PRIu64 " match, %" PRIu64 " in all\n",
			i, counts.num_filtered, counts.total);
	}
	rh_buf_dispose(&out);
	rh_index_close(ix);
}

/* ---- --grep --------------------------------------------------------------- */

static int
grep(struct ls *ls, const char *pattern, const char *node,
     rh_search_options *o)
{
	rh_buf id = RH_BUF_INIT;
	int error, status;

	if (ls->p.n < 3)
		rh_cli_usage_die("--grep takes a session: NS/CLUSTER/SESSION[/NODE[/FILE]]");
	if (node && ls->p.n > 3)
		rh_cli_usage_die("--node and a NODE in PATH: give one");
	if (ls->p.file && o->file_glob)
		rh_cli_usage_die("--file and a FILE in PATH: give one");
	if (node && (error = rh_catalog_resolve_node(&id, ls->st, &ls->p.sref, node)) < 0)
		rh_cli_die(error, "--node %s", node);
	o->node = node ? id.ptr : ls->p.n > 3 ? ls->p.node.ptr : NULL;
	if (ls->p.file)
		o->file_glob = ls->p.file;
	/* a testing knob: small units put lines across unit edges */
	if (getenv("RAYHIST_SEARCH_CHUNK"))
		o->chunk_size = (size_t)rh_cli_number("RAYHIST_SEARCH_CHUNK",
						      getenv("RAYHIST_SEARCH_CHUNK"));
	if (ls->at_ns != RH_TIME_NONE)
		o->at_ms = ls->at_ns / 1000000 - (ls->at_ns % 1000000 < 0);
	status = rh_ls_grep(ls->st, &ls->p.sref, pattern, o, ls->json);
	rh_buf_dispose(&id);
	return status;
}

int
main(int argc, char **argv)
{
	struct ls ls;
	enum mode mode = LIST;
	rh_store_options sopts = RH_STORE_OPTIONS_INIT;
	rh_query_options qopts = RH_QUERY_OPTIONS_INIT;
	rh_filter filters[MAX_FILTERS];
	rh_entity what = RH_ENTITY_TASK;
	rh_search_options gopts = RH_SEARCH_OPTIONS_INIT;
	const char *store_flag = NULL, *arg, *url, *pattern = NULL, *gnode = NULL;
	uint64_t a = 0, b = 0;
	size_t nlines = 0;
	rh_cli cli;
	char *colon, *path;
	int c, error;

	memset(&ls, 0, sizeof(ls));
	rh_cli_init(&cli, "rayhist-ls",
		    "[--store URL] [-l] [--json] [NS/CLUSTER/SESSION/NODE/FILE...]\n"
		    "[--store URL] [--at TIME] --cat PATH\n"
		    "[--store URL] [--at TIME] --tail N PATH\n"
		    "[--store URL] [--at TIME] --range A:B PATH\n"
		    "[--store URL] --grep PATTERN [-i] [-E|-F] [--node ID] [--file GLOB] [--at TIME] [-C N] [--max N] [--json] NS/CLUSTER/SESSION[/NODE[/FILE]]\n"
		    "[--store URL] --tasks|--jobs|--actors|--nodes|--workers|--placement-groups [--filter KEY=VALUE]... [--limit N] [--detail] [--at TIME] [--json] NS/CLUSTER/SESSION",
		    "List the level below PATH in a rayhist store - namespaces, clusters,\n"
		    "sessions, nodes (NODE: an id, or a unique prefix of one), files - or\n"
		    "write a stored file's bytes, or list a session's jobs, tasks, actors,\n"
		    "nodes, workers or placement groups from its index, with the field\n"
		    "names and filter rules of Ray's state API.",
		    options, argc, argv);
	while ((c = rh_cli_next(&cli, &arg)) != -1) {
		switch (c) {
		case OPT_STORE: store_flag = arg; break;
		case OPT_STORE_CONFIG: sopts.config_file = arg; break;
		case 'l': ls.lng = 1; break;
		case OPT_JSON: ls.json = 1; break;
		case OPT_JOBS: mode = QUERY; what = RH_ENTITY_JOB; break;
		case OPT_TASKS: mode = QUERY; what = RH_ENTITY_TASK; break;
		case OPT_ACTORS: mode = QUERY; what = RH_ENTITY_ACTOR; break;
		case OPT_NODES: mode = QUERY; what = RH_ENTITY_NODE; break;
		case OPT_WORKERS: mode = QUERY; what = RH_ENTITY_WORKER; break;
		case OPT_PGS: mode = QUERY; what = RH_ENTITY_PLACEMENT_GROUP; break;
		case OPT_FILTER:
			if (qopts.nfilters == MAX_FILTERS)
				rh_cli_usage_die("at most %d --filter options", MAX_FILTERS);
			parse_filter(&filters[qopts.nfilters++], (char *)arg);
			qopts.filters = filters;
			break;
		case OPT_LIMIT: qopts.limit = rh_cli_number("--limit", arg); break;
		case OPT_DETAIL: qopts.detail = 1; break;
		case OPT_AT: ls.at = arg; break;
		case OPT_CAT: mode = CAT; break;
		case OPT_GREP: mode = GREP; pattern = arg; rh_cli_die_status = 2; break;
		case 'i': gopts.flags |= RH_SEARCH_ICASE; break;
		case 'E': gopts.flags |= RH_SEARCH_EXTENDED; break;
		case 'F': gopts.flags |= RH_SEARCH_FIXED; break;
		case OPT_NODE: gnode = arg; break;
		case OPT_FILE: gopts.file_glob = arg; break;
		case 'C': gopts.context = (unsigned)rh_cli_number("-C", arg); break;
		case OPT_MAX: gopts.max_matches = rh_cli_number("--max", arg); break;
		case OPT_TAIL:
			mode = TAIL;
			nlines = (size_t)rh_cli_number("--tail", arg);
			break;
		case OPT_RANGE:
			mode = RANGE;
			if (!(colon = strchr(arg, ':')))
				rh_cli_usage_die("--range takes A:B, not \"%s\"", arg);
			*colon = '\0';
			a = rh_cli_number("--range", arg);
			b = *(colon + 1) ? rh_cli_number("--range", colon + 1) : UINT64_MAX;
			if (b < a)
				rh_cli_usage_die("--range A:B needs A <= B");
			break;
		}
	}
	if (argc - optind > 1)
		rh_cli_usage_die("give at most one PATH");
	path = optind < argc ? argv[optind] : "";
	parse_path(&ls.p, path);
	url = rh_store_default_url(store_flag);
	sopts.must_exist = 1;	/* a reader: a mistyped URL creates nothing */
	if ((error = rh_store_open(&ls.st, url, &sopts)) < 0)
		rh_cli_die(error, "%s", url);
	check_levels(&ls);
	if (ls.at && mode == LIST)
		rh_cli_usage_die("--at goes with an entity listing or --cat, --tail, --range, --grep");
	resolve_at(&ls);
	qopts.at_ns = ls.at_ns;
	if (mode == GREP)
		ls.status = grep(&ls, pattern, gnode, &gopts);
	else if (mode == QUERY)
		query(&ls, what, &qopts);
	else if (mode == LIST)
		list(&ls);
	else
		read_file(&ls, mode, a, b, nlines);
	rh_buf_dispose(&ls.p.node);
	rh_buf_dispose(&ls.shown[0]);
	rh_buf_dispose(&ls.shown[1]);
	rh_store_close(ls.st);
	rh_cli_free(&cli);
	return ls.status;
}
