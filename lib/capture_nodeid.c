/* capture_nodeid.c - which node a session directory belongs to (capture.h).
 *
 * The only sources are lines in which the raylet describes itself: its
 * "Setting node ID" start-up line (in raylet.out or any rotation of it,
 * logs/old/ included), the "Node ID:" line after "NodeManager:" in
 * debug_state.txt, and the raylet's other start-up lines that name its own
 * id ("Initializing NodeManager", "Raylet of id, ..."). A line that merely
 * carries a node_id= field is never one: the raylet logs notifications about
 * every other node of the cluster with the same suffix (accessor.cc
 * "Received notification for node"), and after a rotation those are what the
 * current raylet.out starts with. Every source is read; when they name more
 * than one id the node is not guessed. */
#include "follow_internal.h"

#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_ID_HEX 56
/* The self-describing lines are among a raylet's first (its first few
 * dozen lines, written in its first second): only the head of each
 * generation is read, so that a node's rotated logs cost little. 16 MiB
 * of each of seven generations was a third of a capture's time. */
#define SCAN_LIMIT (1u << 20)
#define MAX_FILES 64
#define MAX_IDS 8

struct found {
	char id[NODE_ID_HEX + 1];
	char where[PATH_MAX + 96]; /* the first line that gave it */
};

struct resolve {
	struct found ids[MAX_IDS];
	size_t nids;
	rh_buf searched; /* "logs/raylet.out, ..." for messages */
};

/* The 56 hex digits at p, lower-cased into out, when exactly 56 follow. */
static int
take_id(char *out, const char *p)
{
	size_t n = 0;

	while (n <= NODE_ID_HEX && rh__hexval((unsigned char)p[n]) >= 0) {
		if (n < NODE_ID_HEX)
			out[n] = (char)(p[n] >= 'A' && p[n] <= 'F' ? p[n] + 32 :
			                                             p[n]);
		n++;
	}
	out[NODE_ID_HEX] = '\0';
	return n == NODE_ID_HEX ? 0 : -1;
}

/* p just after `"key":` with an optional space, then `"`. */
static const char *
json_value(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	if (!p)
		return NULL;
	p += strlen(key);
	if (*p == ' ')
		p++;
	return *p == '"' ? p + 1 : NULL;
}

/* A JSON log line (RAY_LOG_FORMAT=json) whose message starts with `msg`. */
static int
json_message_is(const char *line, const char *msg)
{
	const char *v = json_value(line, "\"message\":");

	return v && !strncmp(v, msg, strlen(msg));
}

/* The text-format message: after "[TIME L PID TID] (raylet) file.cc:LINE: "
 * (the "(raylet) " tag is absent in older Ray). NULL for another shape. */
static const char *
text_message(const char *line)
{
	const char *p = strstr(line, "] ");

	if (line[0] != '[' || !p)
		return NULL;
	p += 2;
	if (*p == '(' && (p = strstr(p, ") ")))
		p += 2;
	if (!p || !(p = strstr(p, ": ")))
		return NULL;
	return p + 2;
}

/* Kinds of raylet log lines that state the raylet's own id. */
enum { LINE_NONE, LINE_SETTING, LINE_OTHER };

/* Which self-describing line `line` is; its id into id. */
static int
classify(char *id, const char *line)
{
	static const struct {
		const char *msg;
		int kind;
	} field_lines[] = {
		{ "Setting node ID", LINE_SETTING }, /* main.cc */
		{ "Initializing NodeManager",
		  LINE_OTHER }, /* node_manager.cc */
	};
	const char *m = text_message(line), *v;
	size_t i, n;

	for (i = 0; i < RH_ARRAY_SIZE(field_lines); i++) {
		n = strlen(field_lines[i].msg);
		/* WithField(node_id) text form: "MSG node_id=HEX" */
		if (m && !strncmp(m, field_lines[i].msg, n) &&
		    !strncmp(m + n, " node_id=", 9) &&
		    take_id(id, m + n + 9) == 0)
			return field_lines[i].kind;
		if (!m && json_message_is(line, field_lines[i].msg)) {
			const char *q = json_value(line, "\"message\":");
			if (q[n] == '"' &&
			    (v = json_value(line, "\"node_id\":")) &&
			    take_id(id, v) == 0 && v[NODE_ID_HEX] == '"')
				return field_lines[i].kind;
		}
	}
	/* raylet.cc: "Raylet of id, HEX started. ..." */
	if (!m && (v = json_value(line, "\"message\":")))
		m = v;
	if (m && !strncmp(m, "Raylet of id, ", 14) &&
	    take_id(id, m + 14) == 0 &&
	    !strncmp(m + 14 + NODE_ID_HEX, " started", 8))
		return LINE_OTHER;
	return LINE_NONE;
}

static int
note(struct resolve *r, const char *id, const char *rel, unsigned long line,
     const char *what)
{
	size_t i;

	for (i = 0; i < r->nids; i++)
		if (!strcmp(r->ids[i].id, id))
			return 0;
	if (r->nids == MAX_IDS)
		return 0; /* enough to say they disagree */
	memcpy(r->ids[r->nids].id, id, NODE_ID_HEX + 1);
	snprintf(r->ids[r->nids].where, sizeof(r->ids[0].where),
	         "%s line %lu (%s)", rel, line, what);
	r->nids++;
	return 0;
}

/* Read the head of dir/rel line by line; `debug_state` picks the rules. */
static int
scan_file(struct resolve *r, rh__fsrc *src, const char *rel, int debug_state)
{
	char line[8192], id[NODE_ID_HEX + 1];
	size_t scanned = 0, len;
	unsigned long lineno = 0;
	int whole = 1, prev_nm = 0, kind, fd, error = 0;
	FILE *fp = NULL;

	if ((fd = src->ops->open(src, rel)) >= 0 && !(fp = fdopen(fd, "r")))
		close(fd);
	if (!fp)
		return rh_buf_printf(&r->searched, "%s%s (%s)",
		                     r->searched.size ? ", " : "", rel,
		                     strerror(errno));
	if ((error = rh_buf_printf(&r->searched, "%s%s",
	                           r->searched.size ? ", " : "", rel)) < 0)
		goto done;
	while (scanned < SCAN_LIMIT && fgets(line, sizeof(line), fp)) {
		int started = whole;
		len = strlen(line);
		scanned += len;
		whole = len > 0 && line[len - 1] == '\n';
		if (!started)
			continue; /* the rest of a line longer than the buffer */
		lineno++;
		if (whole)
			line[len - 1] = '\0';
		if (debug_state) {
			/* NodeManager::DebugString(): "NodeManager:" then
			 * "Node ID: HEX" */
			if (prev_nm && !strncmp(line, "Node ID: ", 9) &&
			    take_id(id, line + 9) == 0 &&
			    line[9 + NODE_ID_HEX] == '\0')
				error = note(r, id, rel, lineno, "Node ID");
			prev_nm = !strcmp(line, "NodeManager:");
		} else if ((kind = classify(id, line)) != LINE_NONE) {
			error = note(r, id, rel, lineno,
			             kind == LINE_SETTING ?
			                     "Setting node ID" :
			                     "raylet start-up line");
		}
		if (error < 0)
			break;
	}
done:
	fclose(fp);
	return error;
}

/* "raylet.out" or "raylet.out.N" */
static int
is_raylet_log(const char *name)
{
	const char *p;

	if (strncmp(name, "raylet.out", 10))
		return 0;
	if (!name[10])
		return 1;
	if (name[10] != '.' || !name[11])
		return 0;
	for (p = name + 11; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* raylet.out first, then .1, .2, ... by number: messages read in order. */
static int
cmp_gen(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	unsigned long nx = x[10] ? strtoul(x + 11, NULL, 10) + 1 : 0;
	unsigned long ny = y[10] ? strtoul(y + 11, NULL, 10) + 1 : 0;

	return nx < ny ? -1 : nx > ny;
}

struct gens {
	char *names[MAX_FILES];
	size_t n;
};

static int
add_gen(const char *name, void *payload)
{
	struct gens *g = payload;

	if (g->n == MAX_FILES || !is_raylet_log(name))
		return 0;
	if (!(g->names[g->n] = rh__strdup(name)))
		return RH_ENOMEM;
	g->n++;
	return 0;
}

static int
scan_raylet_logs(struct resolve *r, rh__fsrc *src, const char *sub)
{
	char rel[PATH_MAX];
	struct gens g;
	size_t i;
	int error;

	g.n = 0;
	if ((error = src->ops->list(src, sub, add_gen, &g)) > 0)
		error = 0; /* no such folder */
	qsort(g.names, g.n, sizeof(*g.names), cmp_gen);
	for (i = 0; i < g.n; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", sub, g.names[i]);
		if (error == 0)
			error = scan_file(r, src, rel, 0);
		free(g.names[i]);
	}
	return error;
}

RH_EXTERN int
rh_capture_node_id(char *out, const char *dir, const char *given)
{
	rh__fsrc_dir d;

	if (given) {
		if (strlen(given) != NODE_ID_HEX || take_id(out, given) < 0)
			return rh__error(RH_EINVAL,
			                 "node id \"%.80s\" is not a "
			                 "full node id (56 hex digits)",
			                 given);
		return 0;
	}
	if (!dir)
		return rh__error(RH_EINVAL,
		                 "node id: no session directory given");
	rh__fsrc_dir_init(&d, dir);
	return rh__capture_node_id_src(out, &d.base);
}

int
rh__capture_node_id_src(char *out, rh__fsrc *src)
{
	struct resolve r;
	rh_buf msg = RH_BUF_INIT;
	size_t i;
	int error;

	memset(&r, 0, sizeof(r));
	if ((error = scan_raylet_logs(&r, src, "logs")) < 0 ||
	    (error = scan_raylet_logs(&r, src, "logs/old")) < 0 ||
	    (error = scan_file(&r, src, "logs/debug_state.txt", 1)) < 0)
		goto done;
	if (r.nids == 1) {
		memcpy(out, r.ids[0].id, NODE_ID_HEX + 1);
		goto done;
	}
	if (r.nids == 0) {
		error = rh__error(
			RH_ENOTFOUND,
			"no node id: none of %s has a line "
			"in which the raylet names itself (\"Setting "
			"node ID node_id=...\", \"Initializing "
			"NodeManager node_id=...\", \"Raylet of id, ... "
			"started\", debug_state.txt \"Node ID: ...\"); "
			"pass the node id (--node-id HEX)",
			r.searched.size ? r.searched.ptr : "logs/raylet.out");
		goto done;
	}
	for (i = 0; i < r.nids && error == 0; i++)
		error = rh_buf_printf(&msg, "%s%s says %s", i ? "; " : "",
		                      r.ids[i].where, r.ids[i].id);
	if (error == 0)
		error = rh__error(
			RH_EINVAL,
			"the node's own files disagree on "
			"its id: %s; pass the right one (--node-id HEX)",
			msg.ptr);
done:
	rh_buf_dispose(&msg);
	rh_buf_dispose(&r.searched);
	return error;
}

RH_EXTERN int
rh_capture_find_node_id(char *out, const char *raylet_log)
{
	struct resolve r;
	const char *slash = strrchr(raylet_log, '/');
	char dir[PATH_MAX];
	int error;

	/* One file, by the same rules. */
	rh__fsrc_dir d;

	snprintf(dir, sizeof(dir), "%.*s",
	         slash ? (int)(slash - raylet_log) : 1,
	         slash ? raylet_log : ".");
	rh__fsrc_dir_init(&d, dir);
	memset(&r, 0, sizeof(r));
	error = scan_file(&r, &d.base, slash ? slash + 1 : raylet_log, 0);
	if (error == 0 && r.nids == 1)
		memcpy(out, r.ids[0].id, NODE_ID_HEX + 1);
	else if (error == 0 && r.nids == 0)
		error = rh__error(
			RH_ENOTFOUND,
			"%s: no line in which the raylet "
			"names itself (\"Setting node ID node_id=...\")",
			r.searched.size ? r.searched.ptr : raylet_log);
	else if (error == 0)
		error = rh__error(RH_EINVAL,
		                  "%s names more than one node as "
		                  "its own: %s, %s",
		                  raylet_log, r.ids[0].id, r.ids[1].id);
	rh_buf_dispose(&r.searched);
	return error;
}
