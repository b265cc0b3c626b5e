/* follow.c - following a live Ray node (follow.h): sessions, node
 * identity, the schedule of scans, flushes and heartbeats.
 *
 * One step at a time, driven by the caller's event loop: a step does what
 * is due and says (rh_follow_timeout_ms) when the next thing is. Store
 * failures never end following: they are reported, kept in errmsg, and the
 * work is retried by later steps, since everything not yet committed is
 * still on the node's disk. */
#include "follow_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TAG_ROOT 0
#define TAG_SESSION 1
#define STEP_BUDGET (64ull << 20)
#define HOT_MS 1000         /* stat recently active files this often */
#define HOT_WINDOW_MS 30000 /* "recently" */
#define DIRTY_DELAY_MS 20   /* let a rotation's rename + create land */
#define NODE_WAIT_WARN_MS 30000
#define RETRY_MS 1000 /* after a store failure, at the soonest */
/* The newest part of a file is rewritten with the new bytes while it is
 * smaller than this, so a log that grows slowly becomes a few parts of this
 * size, not one per flush: at most this much is re-read and re-compressed
 * per flush. */
#define SMALL_PART (256u << 10)
/* The largest part one ship writes; the rest follows in the next. */
#define MAX_PART (64ull << 20)

void
rh__follow_report(rh_follow *f, rh_follow_event ev, const char *path,
                  const char *detail)
{
	if (f->report)
		f->report(ev, path ? path : "", detail ? detail : "",
		          f->payload);
}

int
rh__follow_fail(rh_follow *f, int error)
{
	snprintf(f->errmsg, sizeof(f->errmsg), "%s", rh_error_last());
	rh__follow_report(f, RH_FOLLOW_WARNING, f->session, f->errmsg);
	return error;
}

/* ---- open / close -------------------------------------------------------- */

static int
mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return rh__error(RH_EINVAL, "%s: path too long", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return rh__error(RH_EIO, "%s: %s", tmp,
			                 strerror(errno));
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return rh__error(RH_EIO, "%s: %s", tmp, strerror(errno));
	return 0;
}

static int
copy_opt(char **out, const char *v)
{
	return !v || (*out = rh__strdup(v)) ? 0 : RH_ENOMEM;
}

static int
set_paths(rh_follow *f, const rh_follow_options *opts)
{
	const char *root = opts->ray_root ? opts->ray_root : "/tmp/ray";
	int n;

	if (snprintf(f->root, sizeof(f->root), "%s", root) >=
	    (int)sizeof(f->root))
		return rh__error(RH_EINVAL, "%.100s...: path too long", root);
	if (opts->state_dir)
		n = snprintf(f->state_dir, sizeof(f->state_dir), "%s",
		             opts->state_dir);
	else
		n = snprintf(f->state_dir, sizeof(f->state_dir),
		             "%s/rayhist-state", f->root);
	if (n >= (int)sizeof(f->state_dir))
		return rh__error(RH_EINVAL, "%.100s...: path too long",
		                 f->state_dir);
	return 0;
}

/* A follower with its options checked and copied; nothing opened. */
static int
follow_new(rh_follow **out, rh_store *st, const rh_follow_options *opts)
{
	rh_follow *f = NULL;
	char f_id[130];
	int error;

	*out = NULL;
	if (!st || !opts || opts->version != RH_FOLLOW_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "follow: missing store or options");
	if (!opts->cluster)
		return rh__error(RH_EINVAL, "follow: no cluster name given");
	if ((error = rh_layout_check_name(
		     "namespace", opts->ns ? opts->ns : RH_DEFAULT_NAMESPACE)) <
	            0 ||
	    (error = rh_layout_check_name("cluster", opts->cluster)) < 0 ||
	    (opts->node_id &&
	     (error = rh_capture_node_id(f_id, NULL, opts->node_id)) < 0))
		return error;
	if (opts->role > RH_FOLLOW_ROLE_WORKER)
		return rh__error(RH_EINVAL, "follow: bad role");
	if (opts->frame_size > RH_SEEKABLE_MAX_FRAME_SIZE)
		return rh__error(RH_EINVAL, "follow: frame size over %u",
		                 RH_SEEKABLE_MAX_FRAME_SIZE);
	if (!(f = rh__calloc(1, sizeof(*f))))
		return RH_ENOMEM;
	f->lock_fd = -1;
	f->st = st;
	rh__fsrc_dir_init(&f->dirsrc, "");
	f->src = &f->dirsrc.base;
	if ((error = copy_opt(&f->ns, opts->ns ? opts->ns :
	                                         RH_DEFAULT_NAMESPACE)) < 0 ||
	    (error = copy_opt(&f->cluster, opts->cluster)) < 0 ||
	    (error = copy_opt(&f->node_id_opt, opts->node_id)) < 0)
		goto done;
	if ((error = set_paths(f, opts)) < 0)
		goto done;
	f->role = opts->role;
	f->flush_ms = opts->flush_interval_ms ? opts->flush_interval_ms : 5000;
	f->heartbeat_ms = opts->heartbeat_ms ? opts->heartbeat_ms : f->flush_ms;
	f->flush_bytes = opts->flush_bytes ? opts->flush_bytes : (4u << 20);
	f->report = opts->report;
	f->payload = opts->payload;
	f->sopts = (rh_seekable_options)RH_SEEKABLE_OPTIONS_INIT;
	if (opts->frame_size)
		f->sopts.frame_size = opts->frame_size;
	if (opts->level)
		f->sopts.level = opts->level;
	f->workers = 1;
	f->max_part = MAX_PART;
	f->small_part = SMALL_PART;
	f->raylet_tried = UINT64_MAX;
	if (!(f->chunk = rh__malloc(RH__READ_CHUNK)))
		error = RH_ENOMEM;
done:
	if (error < 0)
		rh_follow_close(f);
	else
		*out = f;
	return error;
}

RH_EXTERN int
rh_follow_open(rh_follow **out, rh_store *st, const rh_follow_options *opts)
{
	rh_follow *f = NULL;
	char lock[PATH_MAX + 8];
	int error;

	if ((error = follow_new(&f, st, opts)) < 0)
		return error;
	if (!opts->no_inotify && rh__watch_open(&f->w) < 0)
		rh_error_clear(); /* no inotify: poll */
	f->stats.inotify = f->w != NULL;
	f->rescan_ms = opts->rescan_ms ? opts->rescan_ms :
	                                 (f->w ? 30000 : f->flush_ms);
	if ((error = mkdirs(f->state_dir)) < 0)
		goto done;
	snprintf(lock, sizeof(lock), "%s/lock", f->state_dir);
	if ((f->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		error = rh__error(RH_EIO, "%s: %s", lock, strerror(errno));
		goto done;
	}
	if (flock(f->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		error = rh__error(
			errno == EWOULDBLOCK ? RH_EBUSY : RH_EIO, "%s: %s",
			lock,
			errno == EWOULDBLOCK ?
				"another follower uses this state directory" :
				strerror(errno));
		goto done;
	}
	*out = f, f = NULL;
done:
	rh_follow_close(f);
	return error;
}

/* One pass needs no watcher, lock or state directory: what was shipped is
 * read back from the node manifest in the store. The parts of a big file
 * are compressed by `workers` threads, and a file ships whole in one part
 * (only its new bytes when it grew), as one-shot capture always did. */
int
rh__follow_open_once(rh_follow **out, rh_store *st,
                     const rh_follow_options *opts, unsigned workers)
{
	int error = follow_new(out, st, opts);

	if (error < 0)
		return error;
	(*out)->once = 1;
	(*out)->workers = workers ? workers : 1;
	(*out)->max_part = UINT64_MAX;
	(*out)->small_part = 0;
	return 0;
}

static void
leave_session(rh_follow *f)
{
	size_t i;

	rh__fstate_free(f->s); /* closes what it held */
	f->s = NULL;
	f->nheld = 0;
	if (f->w)
		rh__watch_drop_tag(f->w, TAG_SESSION);
	for (i = 0; i < f->ndirty; i++)
		free(f->dirty[i]);
	f->ndirty = 0;
	rh__follow_clear_skips(f);
	f->phase = RH__NO_SESSION;
	f->session[0] = f->sdir[0] = '\0';
	rh__fsrc_dir_init(&f->dirsrc, "");
	f->src = &f->dirsrc.base;
	f->changed = f->started = f->gc_done = f->warned = 0;
	f->node_found[0] = '\0';
	f->mark_last[0] = '\0';
	f->raylet_tried = UINT64_MAX;
	memset(f->stats.session, 0, sizeof(f->stats.session));
	memset(f->stats.node_id, 0, sizeof(f->stats.node_id));
	f->stats.following = 0;
}

RH_EXTERN void
rh_follow_close(rh_follow *f)
{
	if (!f)
		return;
	leave_session(f);
	free(f->skipped);
	free(f->unread);
	free(f->dirty);
	rh__watch_close(f->w);
	if (f->lock_fd >= 0)
		close(f->lock_fd); /* releases the lock */
	free(f->ns);
	free(f->cluster);
	free(f->node_id_opt);
	free(f->chunk);
	rh_buf_dispose(&f->out);
	rh_buf_dispose(&f->key);
	free(f);
}

RH_EXTERN int
rh_follow_fd(const rh_follow *f)
{
	return f ? rh__watch_fd(f->w) : -1;
}

RH_EXTERN const char *
rh_follow_errmsg(const rh_follow *f)
{
	return f ? f->errmsg : "";
}

RH_EXTERN int
rh_follow_stats_get(rh_follow_stats *out, const rh_follow *f)
{
	size_t i;
	int error;

	if (!out || !f)
		return rh__error(RH_EINVAL,
		                 "rh_follow_stats_get: NULL argument");
	if ((error = rh__version_check(out->version, RH_FOLLOW_STATS_VERSION,
	                               "rh_follow_stats")) < 0)
		return error;
	*out = f->stats;
	out->version = RH_FOLLOW_STATS_VERSION;
	out->files = f->s ? f->s->nfiles : 0;
	out->files_not_stored = rh__follow_not_stored(f);
	out->bytes_pending = 0;
	for (i = 0; f->s && i < f->s->nfiles; i++)
		if (!f->s->files[i]->gone &&
		    f->s->files[i]->seen > f->s->files[i]->size)
			out->bytes_pending +=
				f->s->files[i]->seen - f->s->files[i]->size;
	return 0;
}

/* ---- watch events -------------------------------------------------------- */

static void
add_dirty(rh_follow *f, const char *dir)
{
	size_t i;
	char *copy;

	for (i = 0; i < f->ndirty; i++)
		if (strcmp(f->dirty[i], dir) == 0)
			return;
	if (f->ndirty == f->adirty) {
		size_t n = f->adirty ? f->adirty * 2 : 8;
		char **v = rh__realloc(f->dirty, n * sizeof(*v));
		if (!v) {
			rh_error_clear();
			f->full_due = 1;
			return;
		}
		f->dirty = v;
		f->adirty = n;
	}
	if (!(copy = rh__strdup(dir))) {
		rh_error_clear();
		f->full_due = 1;
		return;
	}
	if (f->ndirty == 0)
		f->next_dirty = rh__mono_ms() + DIRTY_DELAY_MS;
	f->dirty[f->ndirty++] = copy;
}

static void
on_watch(rh__watch_kind kind, int tag, const char *dir, const char *name,
         void *payload)
{
	rh_follow *f = payload;

	if (kind == RH__WATCH_OVERFLOW) {
		f->full_due = f->session_due = 1;
		return;
	}
	if (tag == TAG_ROOT) {
		if (kind == RH__WATCH_DIR_GONE)
			f->root_watched = 0;
		if (kind == RH__WATCH_DIR_GONE ||
		    strcmp(name, "session_latest") == 0)
			f->session_due = 1;
		return;
	}
	if (kind == RH__WATCH_DIR_GONE)
		f->full_due = 1;
	else if (f->phase == RH__FOLLOWING)
		add_dirty(f, dir);
}

/* ---- sessions ------------------------------------------------------------ */

/* RAY_ROOT/session_latest -> name and directory. */
static int
latest_session(rh_follow *f, char *name, size_t ncap, char *dir)
{
	char link[PATH_MAX + 32];
	const char *base;
	struct stat sb;

	snprintf(link, sizeof(link), "%s/session_latest", f->root);
	if (!realpath(link, dir) || stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return RH_ENOTFOUND;
	base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	if (rh_layout_check_name("session", base) < 0 ||
	    snprintf(name, ncap, "%s", base) >= (int)ncap) {
		rh_error_clear();
		return RH_ENOTFOUND;
	}
	return 0;
}

static void
start_session(rh_follow *f, const char *name, const char *dir)
{
	leave_session(f);
	snprintf(f->session, sizeof(f->session), "%s", name);
	snprintf(f->sdir, sizeof(f->sdir), "%s", dir);
	rh__fsrc_dir_init(&f->dirsrc, dir);
	f->src = &f->dirsrc.base;
	snprintf(f->stats.session, sizeof(f->stats.session), "%s", name);
	f->sref.ns = f->ns;
	f->sref.cluster = f->cluster;
	f->sref.session = f->session;
	f->phase = RH__NO_NODE;
	f->wait_since = rh__mono_ms();
	f->next_node = 0;
	rh__follow_report(f, RH_FOLLOW_SESSION_FOUND, name, dir);
}

static int
file_exists(rh_follow *f, const char *rel)
{
	rh__fid id;

	return f->src->ops->stat(f->src, rel, 1, &id) == 0;
}

/* node_ip_address.json: a few dozen bytes; more is not Ray's. */
#define NODE_IP_MAX 4096

static int
read_node_ip(rh_follow *f)
{
	char text[NODE_IP_MAX + 1];
	json_object *root, *v;
	ssize_t n;
	int fd, error = 0;

	if ((fd = f->src->ops->open(f->src, "node_ip_address.json")) < 0)
		return 0; /* optional */
	do
		n = pread(fd, text, NODE_IP_MAX, 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (!(root = json_tokener_parse(text)))
		return 0;
	if (json_object_object_get_ex(root, "node_ip_address", &v) &&
	    json_object_is_type(v, json_type_string))
		error = rh__manifest_set(&f->s->node_ip,
		                         json_object_get_string(v));
	json_object_put(root);
	return error;
}

/* A checkpoint belongs to this follower when it was written for the same
 * store, names and node. */
static int
ckpt_matches(const rh_follow *f, const rh__fstate *s, const char *node_id)
{
	return strcmp(s->store_url, rh_store_url(f->st)) == 0 &&
	       strcmp(s->ns, f->ns) == 0 &&
	       strcmp(s->cluster, f->cluster) == 0 &&
	       strcmp(s->session, f->session) == 0 &&
	       (!node_id || strcmp(s->node_id, node_id) == 0);
}

/* The state to resume from: the checkpoint; else the node manifest in the
 * store (a lost or damaged state directory); else nothing shipped yet. */
static int
load_state(rh_follow *f, const char *node_id)
{
	char name[300], from[PATH_MAX + 320], to[PATH_MAX + 330];
	rh_node_manifest *m = NULL;
	rh__fstate *s = NULL;
	int error, adopted = 0;

	rh__follow_ckpt_name(name, sizeof(name), f->session);
	error = f->once ? RH_ENOTFOUND :
	                  rh__checkpoint_read(&s, f->state_dir, name);
	if (error == 0 && !ckpt_matches(f, s, node_id)) {
		rh__fstate_free(s);
		s = NULL;
		rh__error(RH_EINVAL,
		          "%s/%s: written for another store, cluster "
		          "or node: starting from the store's manifest",
		          f->state_dir, name);
		rh__follow_fail(f, 0);
	} else if (error == RH_ECORRUPT) {
		/* Keep it for a post-mortem, out of the way. */
		rh__follow_fail(f, 0);
		snprintf(from, sizeof(from), "%s/%s", f->state_dir, name);
		snprintf(to, sizeof(to), "%s/%s.corrupt", f->state_dir, name);
		rename(from, to);
	} else if (error < 0 && error != RH_ENOTFOUND) {
		return error;
	}
	if (!s) {
		if ((error = rh__fstate_new(&s)) < 0)
			return error;
		error = rh_node_manifest_load(&m, f->st, &f->sref, node_id);
		if (error == 0)
			error = rh__fstate_adopt_manifest(s, m);
		else if (error == RH_ENOTFOUND || error == RH_ECORRUPT)
			error = 0;
		rh_node_manifest_free(m);
		if (error < 0) {
			rh__fstate_free(s);
			return error;
		}
		rh_error_clear();
		f->changed = 1;
		adopted = 1;
	}
	free(s->store_url);
	free(s->ns);
	free(s->cluster);
	free(s->session);
	free(s->node_id);
	s->store_url = s->ns = s->cluster = s->session = s->node_id = NULL;
	if (!(s->store_url = rh__strdup(rh_store_url(f->st))) ||
	    !(s->ns = rh__strdup(f->ns)) ||
	    !(s->cluster = rh__strdup(f->cluster)) ||
	    !(s->session = rh__strdup(f->session)) ||
	    !(s->node_id = rh__strdup(node_id)) ||
	    (!s->node_ip && !(s->node_ip = rh__strdup("")))) {
		rh__fstate_free(s);
		return RH_ENOMEM;
	}
	f->s = s;
	/* A checkpoint from the start: a follower killed before its first
	 * commit restarts from this state (nothing shipped, or what the
	 * store's manifest said), not by adopting the manifest it may have
	 * written meanwhile, whose files it could only know by path. */
	if (adopted && !f->once) {
		rh__follow_ckpt_name(name, sizeof(name), f->session);
		if ((error = rh__checkpoint_write(f->state_dir, name, s)) < 0)
			return error;
	}
	return 0;
}

static int
enter_following(rh_follow *f, const char *node_id)
{
	int error;
	int64_t now = rh__mono_ms();

	if ((error = load_state(f, node_id)) < 0 ||
	    (error = read_node_ip(f)) < 0)
		return error;
	f->is_head = f->role == RH_FOLLOW_ROLE_HEAD ||
	             (f->role == RH_FOLLOW_ROLE_AUTO &&
	              (file_exists(f, "logs/gcs_server.out") ||
	               file_exists(f, "logs/gcs_server.err")));
	f->s->is_head = f->is_head;
	f->stats.is_head = f->is_head;
	f->phase = RH__FOLLOWING;
	f->full_due = 1;
	f->next_flush = now;
	f->next_hot = now + HOT_MS;
	f->next_full = now + f->rescan_ms;
	snprintf(f->stats.node_id, sizeof(f->stats.node_id), "%s", node_id);
	f->stats.following = 1;
	rh__follow_report(f, RH_FOLLOW_NODE_FOUND, f->session, node_id);
	return 0;
}

/* The node id the session's files name: THE one place capture (one-shot
 * and following) looks it up. RH_ENOTFOUND while there is none yet (a
 * follower waits); the message says what was searched. */
static int
lookup_node_id(rh_follow *f, char *out)
{
	return rh__capture_node_id_src(out, f->src);
}

static int
try_node_id(rh_follow *f)
{
	char path[PATH_MAX + 32], id[130], msg[PATH_MAX + 256];
	struct stat sb;
	int64_t now = rh__mono_ms();
	int error;

	if (f->node_id_opt)
		return enter_following(f, f->node_id_opt);
	if (f->node_found[0]) /* found before; the store failed us */
		return enter_following(f, f->node_found);
	f->next_node = now + 1000;
	snprintf(path, sizeof(path), "%s/logs/raylet.out", f->sdir);
	/* Look again only when the raylet's log changed: the id line is
	 * among the raylet's first. */
	if (stat(path, &sb) == 0 && (uint64_t)sb.st_size != f->raylet_tried) {
		f->raylet_tried = (uint64_t)sb.st_size;
		if ((error = lookup_node_id(f, id)) == 0) {
			snprintf(f->node_found, sizeof(f->node_found), "%s",
			         id);
			return enter_following(f, id);
		}
		if (error != RH_ENOTFOUND) { /* disagreement: never a guess */
			f->raylet_tried = UINT64_MAX;
			return error;
		}
		rh_error_clear();
	}
	if (!f->warned && now - f->wait_since > NODE_WAIT_WARN_MS) {
		f->warned = 1;
		snprintf(
			msg, sizeof(msg),
			"no node id in %s, its rotations or "
			"debug_state.txt yet (\"Setting node ID node_id=...\"); "
			"waiting, or pass --node-id HEX",
			path);
		rh__follow_report(f, RH_FOLLOW_WARNING, f->session, msg);
	}
	return 0;
}

static void on_watch(rh__watch_kind kind, int tag, const char *dir,
                     const char *name, void *payload);

/* Shipping many files to a slow store takes seconds, in which Ray creates,
 * moves and deletes files. A step that ships (`yield`) ends after LOOK_MS
 * when something changed, so that the next step (due at once) looks at it
 * and holds the new files (follow_internal.h) before they can go. */
#define LOOK_MS 100

/* Everything pending now (within budget). */
static int
ship_all(rh_follow *f, uint64_t budget, int yield)
{
	int64_t look = rh__mono_ms() + LOOK_MS;
	size_t i;
	int error = 0;

	/* One pass has no budget and nothing to look at meanwhile. */
	if (f->once && f->workers > 1 && budget == UINT64_MAX)
		return rh__follow_ship_parallel(f);
	for (i = 0; f->s && i < f->s->nfiles && error == 0; i++) {
		rh__ffile *e = f->s->files[i];
		if (budget == 0) {
			f->more = 1;
			break;
		}
		error = rh__follow_ship(f, e, &budget);
		if (error == 0 && yield && f->w && i + 1 < f->s->nfiles &&
		    rh__mono_ms() >= look) {
			look = rh__mono_ms() + LOOK_MS;
			if (rh__watch_read(f->w, on_watch, f) < 0)
				rh_error_clear();
			if (f->ndirty || f->full_due || f->session_due) {
				f->more = 1;
				break;
			}
		}
	}
	return error;
}

/* Finish the session being followed: a full scan, everything shipped, and
 * on the head the end mark. */
static int
finish_session(rh_follow *f, int end_mark)
{
	int error, tries, round;

	if (f->phase != RH__FOLLOWING)
		return 0;
	/* A file that shrank, moved or went between the scan and its ship
	 * asks for another scan (full_due): a few rounds, so that the last
	 * look misses nothing. */
	for (round = 0; round < 3; round++) {
		/* The last look at this session: it must settle. A session
		 * that is being replaced has stopped changing, or nearly. */
		f->full_due = 0;
		for (tries = 0;
		     (error = rh__follow_scan(f, 1)) == RH__UNSETTLED &&
		     tries < 50;
		     tries++)
			usleep(20000);
		if (error < 0)
			return error;
		if (error == RH__UNSETTLED && f->once)
			return rh__error(RH_EBUSY,
			                 "%s: files kept being swapped "
			                 "while they were looked at; try again",
			                 f->sdir);
		do {
			f->more = 0;
			if ((error = ship_all(f, UINT64_MAX, 0)) < 0 ||
			    (error = rh__follow_commit(f)) < 0)
				return error;
		} while (f->more);
		if (!f->full_due)
			break;
	}
	/* A follower marks only its head's session; one-shot capture marks
	 * what the user says has ended. */
	if (end_mark && (f->is_head || f->once) &&
	    (error = rh__follow_session_json(f, RH__SJ_END)) < 0)
		return error;
	f->stats.sessions_ended += end_mark;
	rh__follow_report(f, RH_FOLLOW_SESSION_ENDED, f->session,
	                  end_mark && (f->is_head || f->once) ? "marked ended" :
	                                                        "flushed");
	return 0;
}

/* A checkpoint of a session that is no longer the latest is one this
 * follower (an earlier run) was following when it stopped: finish it. */
static int
finish_leftovers(rh_follow *f, const char *latest)
{
	static const char prefix[] = "checkpoint-";
	const size_t plen = sizeof(prefix) - 1;
	char dir[PATH_MAX + 300], node[130], path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int error = 0;

	if (!(d = opendir(f->state_dir)))
		return 0;
	while ((de = readdir(d)) && error == 0) {
		size_t n = strlen(de->d_name);
		char session[256];
		rh__fstate *s = NULL;

		if (strncmp(de->d_name, prefix, plen) != 0 || n <= plen + 5 ||
		    strcmp(de->d_name + n - 5, ".json") != 0 ||
		    n - 5 - plen >= sizeof(session))
			continue;
		snprintf(session, sizeof(session), "%.*s", (int)(n - 5 - plen),
		         de->d_name + plen);
		if (strcmp(session, latest) == 0 ||
		    rh_layout_check_name("session", session) < 0 ||
		    rh__checkpoint_read(&s, f->state_dir, de->d_name) < 0) {
			rh_error_clear();
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/%s", f->root, session);
		snprintf(node, sizeof(node), "%s", s->node_id);
		start_session(f, session, dir);
		if (!ckpt_matches(f, s, NULL)) {
			rh__fstate_free(s);
			leave_session(f);
			continue; /* another configuration's: not ours */
		}
		rh__fstate_free(s);
		if ((error = enter_following(f, node)) < 0 ||
		    (error = finish_session(f, 1)) < 0)
			break;
		snprintf(path, sizeof(path), "%s/%s", f->state_dir, de->d_name);
		unlink(path);
		leave_session(f);
	}
	closedir(d);
	return error;
}

static int
check_session(rh_follow *f)
{
	char name[256], dir[PATH_MAX];
	int error;

	if (f->w && !f->root_watched) {
		if (rh__watch_add(f->w, f->root, "", TAG_ROOT) == 0)
			f->root_watched = 1;
		else
			rh_error_clear();
	}
	if (latest_session(f, name, sizeof(name), dir) < 0 ||
	    strcmp(name, f->session) == 0)
		return 0;
	/* A new session replaces the old: Ray restarted on this node. */
	if (f->phase != RH__NO_SESSION) {
		char ckpt[300], path[PATH_MAX + 310];
		if ((error = finish_session(f, 1)) < 0)
			return error;
		rh__follow_ckpt_name(ckpt, sizeof(ckpt), f->session);
		snprintf(path, sizeof(path), "%s/%s", f->state_dir, ckpt);
		unlink(path);
	}
	start_session(f, name, dir);
	return 0;
}

/* ---- the step ------------------------------------------------------------ */

static void
stat_files(rh_follow *f, int hot_only)
{
	char full[PATH_MAX];
	int64_t now = rh__mono_ms();
	rh__fid id;
	size_t i;

	for (i = 0; i < f->s->nfiles; i++) {
		rh__ffile *e = f->s->files[i];
		if (e->gone ||
		    (hot_only &&
		     (!e->active_ms || now - e->active_ms > HOT_WINDOW_MS)))
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", f->sdir, e->path) >=
		    (int)sizeof(full))
			continue;
		if (rh__fid_get(&id, -1, full, 1) < 0 ||
		    (!e->is_link &&
		     !rh__ffile_is(e, id.dev, id.ino, id.btime_ns))) {
			f->full_due = 1; /* moved, replaced or deleted */
			continue;
		}
		if (id.size != e->seen)
			e->active_ms = now;
		e->seen = id.size;
	}
}

static int
follow_step(rh_follow *f, int64_t now, uint64_t budget)
{
	size_t i;
	int error = 0;

	if (f->full_due || now >= f->next_full) {
		f->full_due = 0;
		f->next_full = now + f->rescan_ms;
		if ((error = rh__follow_scan(f, 1)) < 0)
			return error;
	} else if (f->ndirty && now >= f->next_dirty) {
		if ((error = rh__follow_scan(f, 0)) < 0)
			return error;
	}
	error = 0; /* an unsettled scan is retried by a later step */
	if (now >= f->next_flush) {
		stat_files(f, 0);
		if ((error = ship_all(f, budget, 1)) < 0)
			return error;
		if (!f->more)
			f->next_flush = now + f->flush_ms;
	} else if (now >= f->next_hot) {
		f->next_hot = now + HOT_MS;
		stat_files(f, 1);
		for (i = 0; i < f->s->nfiles && error == 0 && budget; i++) {
			rh__ffile *e = f->s->files[i];
			if (!e->gone && e->seen >= e->size + f->flush_bytes)
				error = rh__follow_ship(f, e, &budget);
		}
		if (error < 0)
			return error;
	}
	if (f->changed || f->s->ndeletes || !f->started || !f->gc_done) {
		if ((error = rh__follow_commit(f)) < 0)
			return error;
	}
	if (f->is_head && now >= f->next_beat) {
		f->next_beat = now + f->heartbeat_ms;
		if ((error = rh__follow_session_json(f, RH__SJ_BEAT)) < 0)
			return error;
	}
	return 0;
}

RH_EXTERN int
rh_follow_step(rh_follow *f)
{
	int64_t now;
	int error = 0;

	if (!f || f->finished)
		return rh__error(RH_EINVAL, "follow: step after finish");
	now = rh__mono_ms();
	f->more = 0;
	if (f->w && (error = rh__watch_read(f->w, on_watch, f)) < 0)
		return rh__follow_fail(f, error);
	if (now < f->retry_at)
		return 0;
	if (f->session_due || now >= f->next_session) {
		f->session_due = 0;
		f->next_session =
			now + (f->phase == RH__FOLLOWING ? f->flush_ms : 1000);
		if (f->phase == RH__NO_SESSION) {
			char name[256], dir[PATH_MAX];
			if (latest_session(f, name, sizeof(name), dir) == 0 &&
			    (error = finish_leftovers(f, name)) < 0)
				goto fail;
		}
		if ((error = check_session(f)) < 0)
			goto fail;
	}
	if (f->phase == RH__NO_NODE && now >= f->next_node &&
	    (error = try_node_id(f)) < 0)
		goto fail;
	if (f->phase == RH__FOLLOWING &&
	    (error = follow_step(f, now, STEP_BUDGET)) < 0)
		goto fail;
	return 0;
fail:
	/* Everything not committed is still on disk: try again soon. */
	f->retry_at = now + RETRY_MS;
	f->more = 0;
	return rh__follow_fail(f, error);
}

RH_EXTERN int
rh_follow_timeout_ms(rh_follow *f)
{
	int64_t now = rh__mono_ms(), next;

	if (f->finished)
		return 60000;
	if (f->more || f->full_due || f->session_due)
		return now < f->retry_at ? (int)(f->retry_at - now) : 0;
	next = f->next_session;
	if (f->phase == RH__NO_NODE && f->next_node < next)
		next = f->next_node;
	if (f->phase == RH__FOLLOWING) {
		if (f->next_flush < next)
			next = f->next_flush;
		if (f->next_full < next)
			next = f->next_full;
		if (f->next_hot < next)
			next = f->next_hot;
		if (f->ndirty && f->next_dirty < next)
			next = f->next_dirty;
		if (f->is_head && f->next_beat < next)
			next = f->next_beat;
	}
	if (f->retry_at > next)
		next = f->retry_at;
	return next <= now ? 0 :
	                     (next - now > 60000 ? 60000 : (int)(next - now));
}

RH_EXTERN int
rh_follow_flush(rh_follow *f)
{
	int error;

	if (!f || f->finished)
		return rh__error(RH_EINVAL, "follow: flush after finish");
	if (f->phase == RH__NO_SESSION && (error = check_session(f)) < 0)
		return rh__follow_fail(f, error);
	if (f->phase == RH__NO_NODE && (error = try_node_id(f)) < 0)
		return rh__follow_fail(f, error);
	if (f->phase != RH__FOLLOWING)
		return 0;
	f->full_due = 0;
	if ((error = rh__follow_scan(f, 1)) < 0)
		return rh__follow_fail(f, error);
	stat_files(f, 0);
	do {
		f->more = 0;
		if ((error = ship_all(f, UINT64_MAX, 0)) < 0 ||
		    (error = rh__follow_commit(f)) < 0)
			return rh__follow_fail(f, error);
	} while (f->more);
	return 0;
}

RH_EXTERN int
rh_follow_finish(rh_follow *f, int end_session)
{
	int error;

	if (!f || f->finished)
		return rh__error(RH_EINVAL, "follow: finished twice");
	f->finished = 1;
	if (f->w)
		rh__watch_read(f->w, on_watch, f);
	if (f->phase == RH__NO_NODE && !f->node_id_opt)
		try_node_id(f);
	if ((error = finish_session(f, end_session)) < 0)
		return rh__follow_fail(f, error);
	return 0;
}

/* ---- one pass (rh_capture_session) --------------------------------------- */

/* The one pass itself, on the session just started. */
static int
once(rh_follow *f, int ended)
{
	char id[130];
	int error;

	if (f->node_id_opt) {
		snprintf(id, sizeof(id), "%s", f->node_id_opt);
	} else if ((error = lookup_node_id(f, id)) < 0) {
		/* The resolver's message says what was searched and found. */
		return error == RH_ENOTFOUND ? RH_EINVAL : error;
	}
	if ((error = enter_following(f, id)) < 0)
		return error;
	return finish_session(f, ended);
}

int
rh__follow_once(rh_follow *f, const char *dir, int ended)
{
	char real[PATH_MAX];
	const char *base;
	struct stat sb;
	int error;

	if (!realpath(dir, real) || stat(real, &sb) < 0)
		return rh__error(RH_EINVAL, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return rh__error(RH_EINVAL, "%s: not a directory", dir);
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if ((error = rh_layout_check_name("session", base)) < 0)
		return error;
	if (strlen(base) >= sizeof(f->session))
		return rh__error(RH_EINVAL, "%s: session name too long", dir);
	start_session(f, base, real);
	return once(f, ended);
}

int
rh__follow_once_src(rh_follow *f, rh__fsrc *src, const char *name, int ended)
{
	int error;

	if ((error = rh_layout_check_name("session", name)) < 0)
		return error;
	if (strlen(name) >= sizeof(f->session))
		return rh__error(RH_EINVAL, "%s: session name too long",
		                 src->shown);
	start_session(f, name, src->shown);
	f->src = src;
	return once(f, ended);
}
