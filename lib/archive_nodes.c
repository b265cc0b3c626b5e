/* archive_nodes.c - the session folders of an archive, captured from the
 * entries held (archive_import.h): found, their node ids read, each one
 * captured by the engine through the archive source (archive_source.c)
 * and let go; then an export's event batches. */
#include "internal.h"
#include "archive_import.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- what was read --------------------------------------------------------- */

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const rh__aent *)a)->path, ((const rh__aent *)b)->path);
}

/* Every name, sorted (archive_source.h). With `move` the names move into
 * the tree; else it borrows them (free only t->v). */
int
rh_archive__make_tree(rh__atree *t, struct imp *im, int move)
{
	size_t i, n = 0;

	if (!(t->v = calloc(im->nnames ? im->nnames : 1, sizeof(*t->v))))
		return RH_ENOMEM;
	for (i = 0; i < im->cap; i++) {
		struct slot *sl = &im->slots[i];
		rh__aent *e;
		if (!sl->path)
			continue;
		e = &t->v[n++];
		e->path = sl->path;
		e->kind = sl->kind;
		e->fd = sl->fd;
		e->target = sl->target;
		e->seq = sl->seq;
		if (move) {
			sl->path = sl->target = NULL;
			sl->fd = -1;
		}
	}
	t->n = n;
	qsort(t->v, n, sizeof(*t->v), cmp_ent);
	return 0;
}

static int
valid_session(const char *name, size_t n)
{
	char tmp[256];
	int ok;

	if (n < 9 || n >= sizeof(tmp) || strncmp(name, "session_", 8))
		return 0;
	memcpy(tmp, name, n);
	tmp[n] = '\0';
	ok = rh_layout_check_name("session", tmp) == 0;
	rh_error_clear();
	return ok;
}

/* Is folder `path` a session folder to capture: named session_*, not
 * below another one, and not an export's own folder? (A link named
 * session_latest is a link, not a folder.) */
static int
is_session_dir(const char *path)
{
	const char *p = path, *end;
	int depth = 0;

	if (!strncmp(path, EXPORT_DIR "/", sizeof(EXPORT_DIR)))
		return 0;
	for (;;) {
		end = strchr(p, '/');
		if (++depth > 65)
			return 0;
		if (!end)
			return valid_session(p, strlen(p));
		if (valid_session(p, (size_t)(end - p)))
			return 0; /* below another session folder */
		p = end + 1;
	}
}

/* Event batches of an export: rayhist-export/SESSION/events/HEX.json.zst,
 * stored back under their names. */
int
rh_archive__store_events(struct imp *im, rh_store *st)
{
	static const char pre[] = EXPORT_DIR "/";
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	char sess[256], hex[256];
	size_t i;
	int error = 0;

	for (i = 0; error == 0 && i < im->tree.n; i++) {
		const rh__aent *e = &im->tree.v[i];
		const char *p = e->path + sizeof(pre) - 1, *sl, *name;
		size_t n, k;
		struct stat sb;
		rh_session_ref ref = { im->o->ns ? im->o->ns :
			                           RH_DEFAULT_NAMESPACE,
			               im->o->cluster, sess };
		if (e->kind != K_FILE ||
		    strncmp(e->path, pre, sizeof(pre) - 1) ||
		    !(sl = strchr(p, '/')) ||
		    (size_t)(sl - p) >= sizeof(sess) ||
		    strncmp(sl, "/events/", 8))
			continue;
		memcpy(sess, p, (size_t)(sl - p));
		sess[sl - p] = '\0';
		name = sl + 8;
		n = strlen(name);
		if (rh_layout_check_name("session", sess) < 0) {
			rh_error_clear();
			continue;
		}
		if (n <= 9 || n - 9 >= sizeof(hex) || strchr(name, '/') ||
		    strcmp(name + n - 9, ".json.zst"))
			continue;
		for (k = 0; k < n - 9; k++)
			if (!strchr("0123456789abcdef", name[k]))
				break;
		if (k < n - 9)
			continue;
		memcpy(hex, name, n - 9);
		hex[n - 9] = '\0';
		rh_buf_clear(&data);
		if (fstat(e->fd, &sb) < 0 ||
		    (error = rh_buf_grow(&data, (size_t)sb.st_size)) < 0)
			continue;
		if (pread(e->fd, data.ptr, (size_t)sb.st_size, 0) != sb.st_size)
			continue;
		data.size = (size_t)sb.st_size;
		if ((error = rh_layout_event_batch(&key, &ref, hex)) == 0 &&
		    (error = rh_store_put(st, key.ptr, data.ptr, data.size)) ==
		            0)
			im->stats->event_batches++;
	}
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

static void
add_stats(rh_capture_stats *t, const rh_capture_stats *s)
{
	memcpy(t->session, s->session, sizeof(t->session));
	memcpy(t->node_id, s->node_id, sizeof(t->node_id));
	t->files_seen += s->files_seen;
	t->files_stored += s->files_stored;
	t->files_skipped += s->files_skipped;
	t->parts_written += s->parts_written;
	t->bytes_new += s->bytes_new;
	t->bytes_stored += s->bytes_stored;
	t->bytes_total += s->bytes_total;
	t->files_not_stored += s->files_not_stored;
}

/* The bytes of the entries below folder `dir` are not needed any more:
 * let them go (memory, or temporary files) before the next node. */
static void
release_below(struct imp *im, rh__atree *t, const char *dir)
{
	size_t i, n = strlen(dir);
	struct stat sb;

	for (i = 0; t && i < t->n; i++) {
		rh__aent *e = &t->v[i];
		if (e->fd >= 0 && !strncmp(e->path, dir, n) &&
		    e->path[n] == '/') {
			close(e->fd);
			e->fd = -1;
		}
	}
	for (i = 0; !t && i < im->cap; i++) {
		struct slot *sl = &im->slots[i];
		if (!sl->path || sl->fd < 0 || strncmp(sl->path, dir, n) ||
		    sl->path[n] != '/')
			continue;
		if (sl->in_memory && fstat(sl->fd, &sb) == 0 &&
		    (uint64_t)sb.st_size <= im->in_memory)
			im->in_memory -= (uint64_t)sb.st_size;
		close(sl->fd);
		sl->fd = -1;
	}
}

/* The session folders of tree `t`, their node ids and their last entries:
 * every node known before anything is stored. */
int
rh_archive__plan_nodes(struct imp *im, const rh__atree *t)
{
	size_t i, j, n = 0, len;
	int error;

	for (i = 0; i < t->n; i++)
		n += t->v[i].kind == K_DIR && is_session_dir(t->v[i].path);
	if (n == 0)
		return rh__error(RH_EINVAL,
		                 "no session_* folder in the archive "
		                 "(it must hold Ray session folders, e.g. "
		                 "session_latest/ or /tmp/ray)");
	if (!(im->nodes = calloc(n, sizeof(*im->nodes))))
		return RH_ENOMEM;
	for (i = 0; i < t->n; i++) {
		struct node *nd;
		rh__asrc src;
		if (t->v[i].kind != K_DIR || !is_session_dir(t->v[i].path))
			continue;
		nd = &im->nodes[im->nnodes++];
		if (!(nd->dir = strdup(t->v[i].path)))
			return RH_ENOMEM;
		/* Its entries sort right after it. */
		nd->last = t->v[i].seq;
		len = strlen(nd->dir);
		for (j = i + 1;
		     j < t->n && !strncmp(t->v[j].path, nd->dir, len) &&
		     t->v[j].path[len] <= '/';
		     j++)
			if (t->v[j].path[len] == '/' && t->v[j].seq > nd->last)
				nd->last = t->v[j].seq;
		rh__asrc_init(&src, t, nd->dir);
		if ((error = rh__capture_node_id_src(nd->id, &src.base)) < 0)
			return rh__error(RH_EINVAL, "%s: %s", nd->dir,
			                 rh_error_last());
	}
	return 0;
}

/* Capture node k from tree t. */
static int
capture_node(struct imp *im, size_t k, const rh__atree *t)
{
	rh_capture_options co = RH_CAPTURE_OPTIONS_INIT;
	rh_capture_stats cs = RH_CAPTURE_STATS_INIT;
	struct node *nd = &im->nodes[k];
	const char *base = strrchr(nd->dir, '/');
	rh__asrc src;
	int error;

	co.ns = im->o->ns;
	co.cluster = im->o->cluster;
	co.frame_size = im->o->frame_size;
	co.level = im->o->level;
	co.workers = im->o->workers;
	co.ended = im->o->ended;
	co.report = im->o->report;
	co.payload = im->o->payload;
	co.node_id = nd->id;
	rh__asrc_init(&src, t, nd->dir);
	error = rh__capture_session_src(&cs, im->st, &src.base,
	                                base ? base + 1 : nd->dir, &co);
	nd->done = 1;
	add_stats(&im->stats->total, &cs);
	if ((error == 0 || (error == RH_EIO && cs.files_not_stored)) &&
	    im->o->session_done && cs.session[0]) {
		rh_session_ref r = { co.ns ? co.ns : RH_DEFAULT_NAMESPACE,
			             co.cluster, cs.session };

		im->o->session_done(&r, im->o->payload);
	}
	if (error == RH_EIO && cs.files_not_stored) {
		/* The rest still goes in. */
		if (!im->first_error)
			im->first_error = error;
		return 0;
	}
	if (error < 0)
		return error;
	im->stats->nodes++;
	return 0;
}

/* Second read of a file: the nodes whose last entry was just read. */
int
rh_archive__capture_ended(struct imp *im)
{
	rh__atree t = { NULL, 0 };
	size_t k;
	int error = 0;

	for (k = 0; k < im->nnodes && error == 0; k++) {
		struct node *nd = &im->nodes[k];
		if (nd->done || nd->last > im->seq)
			continue;
		if ((error = rh_archive__make_links(im, nd->dir)) < 0 ||
		    (error = rh_archive__make_tree(&t, im, 0)) < 0)
			break;
		error = capture_node(im, k, &t);
		free(t.v);
		t.v = NULL;
		release_below(im, NULL, nd->dir);
	}
	return error;
}

/* A pipe, read once: every node from what is held. */
int
rh_archive__capture_all(struct imp *im)
{
	size_t k;
	int error;

	if ((error = rh_archive__plan_nodes(im, &im->tree)) < 0)
		return error;
	for (k = 0; k < im->nnodes; k++) {
		error = capture_node(im, k, &im->tree);
		release_below(im, &im->tree, im->nodes[k].dir);
		if (error < 0)
			return error;
	}
	return 0;
}
