/* A live session's index (lib/index_live.c): a session made by
 * tests/gen/raygen.py arrives in steps (its aggregator batches a few at a
 * time, each captured event file in parts cut in the middle of a line) and
 * after each step the live builder's index must be byte for byte the index
 * a one-shot build of the same objects writes (so every query, summary,
 * lineage and playback answer is the same). The one-shot builds run on a
 * second store holding the same objects and marks; in the live store every
 * object already indexed is overwritten with garbage of its size after
 * each step, so reading one again would show as a damaged object. */
#include "evtest.h"
#include "marks.h"
#include "index_live.h"

#include <json-c/json.h>

#define STEPS 4

static char tmp[256];
static rh_store *live_st, *ref_st;
static json_object *truth;
static char prefix[512];
static char **batches; /* aggregator batch paths, sorted */
static size_t nbatches;

typedef struct efile {
	char node[64];
	char rel[256]; /* logs/events/x or logs/export_events/x */
	char *data;
	size_t len;
	size_t cut[STEPS + 1]; /* part s is [cut[s], cut[s+1]) */
} efile;

static efile files[128];
static size_t nfiles;

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
open_store(rh_store **st, const char *name)
{
	rh_store_options o = RH_STORE_OPTIONS_INIT;
	char url[600];

	o.fsync = 0;
	snprintf(url, sizeof(url), "file://%s/%s", tmp, name);
	cr_assert_eq(rh_store_open(st, url, &o), 0, "%s", rh_error_last());
}

/* Cut points of a file: in the middle of a line, never just before a
 * newline (a one-shot build parses a last line without its newline). */
static void
cut_file(efile *f)
{
	size_t s, c;

	f->cut[0] = 0;
	f->cut[STEPS] = f->len;
	for (s = 1; s < STEPS; s++) {
		c = f->len * s / STEPS;
		while (c < f->len && c > f->cut[s - 1] &&
		       (f->data[c] == '\n' || (c && f->data[c - 1] == '\n')))
			c++;
		if (c < f->cut[s - 1])
			c = f->cut[s - 1];
		f->cut[s] = c > f->len ? f->len : c;
	}
}

static void
load_dir(const char *node, const char *sdir, const char *rel)
{
	char path[1400];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		efile *f;
		char file[1700];

		if (e->d_name[0] == '.')
			continue;
		cr_assert_lt(nfiles, RH_ARRAY_SIZE(files));
		f = &files[nfiles++];
		snprintf(f->node, sizeof(f->node), "%s", node);
		snprintf(f->rel, sizeof(f->rel), "%.100s/%.150s", rel,
		         e->d_name);
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		f->data = ev_slurp(file, &f->len);
		cut_file(f);
	}
	closedir(d);
}

static void
setup(void)
{
	char cmd[1024], path[700];
	const char *top = getenv("top_srcdir");
	json_object *sess, *nodes, *name;
	struct dirent *e;
	DIR *d;
	size_t i;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-live-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(
		cmd, sizeof(cmd),
		"python3 '%s/tests/gen/raygen.py' session --out '%s/gen' --seed 1 2>/dev/null",
		top ? top : RH_TOP_SRCDIR, tmp);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(path, sizeof(path), "%s/gen/truth.json", tmp);
	cr_assert_not_null(truth = json_object_from_file(path));
	json_object_object_get_ex(truth, "session", &sess);
	json_object_object_get_ex(sess, "name", &name);
	snprintf(prefix, sizeof(prefix), "default/gen/%s/",
	         json_object_get_string(name));
	open_store(&live_st, "live");
	open_store(&ref_st, "ref");
	snprintf(path, sizeof(path), "%s/gen/aggregator", tmp);
	cr_assert_not_null(d = opendir(path));
	while ((e = readdir(d))) {
		char file[1000];

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		batches = realloc(batches, (nbatches + 1) * sizeof(*batches));
		batches[nbatches++] = strdup(file);
	}
	closedir(d);
	qsort(batches, nbatches, sizeof(*batches), strp_cmp);
	json_object_object_get_ex(truth, "node_dirs", &nodes);
	for (i = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i), *id, *sd;
		char sdir[1200];

		json_object_object_get_ex(n, "node_id", &id);
		json_object_object_get_ex(n, "session_dir", &sd);
		snprintf(sdir, sizeof(sdir), "%s/gen/%s", tmp,
		         json_object_get_string(sd));
		load_dir(json_object_get_string(id), sdir, "logs/events");
		load_dir(json_object_get_string(id), sdir,
		         "logs/export_events");
	}
	cr_assert_gt(nfiles, 10);
	cr_assert_gt(nbatches, 2 * STEPS);
}

static void
teardown(void)
{
	char cmd[300];
	size_t i;

	for (i = 0; i < nfiles; i++)
		free(files[i].data);
	for (i = 0; i < nbatches; i++)
		free(batches[i]);
	free(batches);
	json_object_put(truth);
	rh_store_close(live_st);
	rh_store_close(ref_st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(live, .init = setup, .fini = teardown, .timeout = 120);

/* ------------------------------------------------------------ arrival */

typedef struct keys {
	char **v;
	size_t n;
} keys;

static void
keys_add(keys *k, const char *key)
{
	k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
	k->v[k->n++] = strdup(key);
}

static void
keys_free(keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static int
list_cb(const rh_store_entry *e, void *payload)
{
	if (!e->is_prefix)
		keys_add(payload, e->key);
	return 0;
}

/* Every event object stored under the session so far. */
static void
event_keys(keys *k, rh_store *st)
{
	char p[700];

	snprintf(p, sizeof(p), "%sevents/", prefix);
	cr_assert_eq(rh_store_list(st, p, NULL, list_cb, k), 0);
	snprintf(p, sizeof(p), "%snodes/", prefix);
	cr_assert_geq(rh_store_list(st, p, NULL, list_cb, k), 0);
}

/* Step s's objects into both stores: batches [s*n/STEPS, (s+1)*n/STEPS),
 * part s of every event file; then every writer's mark moves to "gen-s"
 * (the same names in both stores, so both indexes get one fingerprint). */
static int grow_in_place; /* parts rewritten whole from offset 0 */
static int no_marks;      /* writers of older versions: no marks */

static void
arrive(int s)
{
	rh_store *sts[2] = { live_st, ref_st };
	size_t i, k;
	char gen[32];

	for (k = 0; k < 2; k++) {
		for (i = nbatches * (size_t)s / STEPS;
		     i < nbatches * (size_t)(s + 1) / STEPS; i++) {
			size_t len;
			char *data = ev_slurp(batches[i], &len);

			cr_assert_eq(
				rh_events_ingest(NULL, NULL, sts[k], prefix,
			                         strrchr(batches[i], '/') + 1,
			                         data, len),
				0, "%s", rh_error_last());
			free(data);
		}
		for (i = 0; i < nfiles; i++) {
			efile *f = &files[i];
			rh_buf blob = RH_BUF_INIT;
			char key[1600];
			size_t from = grow_in_place ? 0 : f->cut[s],
			       to = f->cut[s + 1];

			if (to <= from || (grow_in_place && to == f->cut[s]))
				continue;
			snprintf(key, sizeof(key),
			         "%.500snodes/%.63s/files/%.255s@%020zu.zst",
			         prefix, f->node, f->rel, from);
			cr_assert_eq(rh_seekable_compress(&blob, f->data + from,
			                                  to - from, NULL),
			             0);
			cr_assert_eq(
				rh_store_put(sts[k], key, blob.ptr, blob.size),
				0);
			rh_buf_dispose(&blob);
		}
	}
	snprintf(gen, sizeof(gen), "%024d", s + 1);
	for (k = 0; k < 2 && !no_marks; k++) {
		char writer[128], last[RH__MARK_KEY_MAX] = "";

		cr_assert_eq(rh__mark_advance(sts[k], prefix, "receiver-test",
		                              gen, last),
		             0);
		for (i = 0; i < nfiles; i++) {
			last[0] = '\0';
			snprintf(writer, sizeof(writer), "node-%.63s",
			         files[i].node);
			cr_assert_eq(rh__mark_advance(sts[k], prefix, writer,
			                              gen, last),
			             0, "%s", rh_error_last());
		}
	}
}

/* The session's end, as the head's collector marks it. */
static void
end_session(void)
{
	rh_store *sts[2] = { live_st, ref_st };
	char body[600], key[700];
	const char *sess = prefix + strlen("default/gen/");
	int k;

	snprintf(body, sizeof(body),
	         "{\"format\":1,\"namespace\":\"default\","
	         "\"cluster\":\"gen\",\"session\":\"%.*s\",\"start_ms\":"
	         "1767225600000,\"end_ms\":1767225700000,\"end_marked_ms\":"
	         "1767225800000}",
	         (int)strlen(sess) - 1, sess);
	snprintf(key, sizeof(key), "%ssession.json", prefix);
	for (k = 0; k < 2; k++)
		cr_assert_eq(rh_store_put(sts[k], key, body, strlen(body)), 0);
}

/* Overwrite each of these objects with garbage of its stored size. */
static void
spoil(const keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		rh_buf b = RH_BUF_INIT;
		char *junk;

		cr_assert_eq(rh_store_get(&b, live_st, k->v[i], 0, SIZE_MAX),
		             0);
		junk = malloc(b.size + 1);
		memset(junk, 'x', b.size + 1);
		cr_assert_eq(rh_store_put(live_st, k->v[i], junk, b.size), 0);
		free(junk);
		rh_buf_dispose(&b);
	}
}

static void
index_bytes(rh_buf *out, rh_store *st)
{
	rh_buf key = RH_BUF_INIT;

	cr_assert_eq(rh_index__session_key(&key, prefix), 0);
	cr_assert_eq(rh_store_get(out, st, key.ptr, 0, SIZE_MAX), 0, "%s",
	             rh_error_last());
	rh_buf_dispose(&key);
}

static void
one_shot(void)
{
	rh_index_refresh_options ro = RH_INDEX_REFRESH_OPTIONS_INIT;
	int rebuilt = 0;

	ro.force = 1;
	cr_assert_eq(rh_index_refresh(&rebuilt, ref_st, prefix, &ro), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rebuilt, 1);
}

static uint64_t
count(rh_store *st, rh_entity what)
{
	rh_buf b = RH_BUF_INIT;
	rh_index *ix = NULL;
	uint64_t n;

	index_bytes(&b, st);
	cr_assert_eq(rh_index_open_mem(&ix, b.ptr, b.size, NULL), 0, "%s",
	             rh_error_last());
	n = rh_index_count(ix, what);
	rh_index_close(ix);
	rh_buf_dispose(&b);
	return n;
}

static void
same_index(int step)
{
	rh_buf a = RH_BUF_INIT, b = RH_BUF_INIT;

	index_bytes(&a, live_st);
	index_bytes(&b, ref_st);
	cr_assert_eq(a.size, b.size,
	             "step %d: live index %zu bytes, one-shot %zu", step,
	             a.size, b.size);
	cr_assert(memcmp(a.ptr, b.ptr, a.size) == 0,
	          "step %d: live index differs from the one-shot build", step);
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
}

Test(live, each_step_equals_a_one_shot_build_and_nothing_is_read_twice)
{
	rh_index__live *lv = NULL;
	rh_index__live_stats ls;
	keys done = { 0 }, now = { 0 };
	uint64_t tasks_before = 0, read_before = 0;
	int s, rebuilt;

	cr_assert_eq(rh_index__live_new(&lv, prefix), 0);
	for (s = 0; s < STEPS; s++) {
		arrive(s);
		if (s == STEPS - 1)
			end_session();
		rebuilt = 0;
		cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st,
		                                    NULL),
		             0, "step %d: %s", s, rh_error_last());
		cr_assert_eq(rebuilt, 1, "step %d", s);
		rh_index__live_stats_get(&ls, lv);
		one_shot();
		same_index(s);
		/* only the objects that arrived in this step were opened */
		event_keys(&now, live_st);
		cr_assert_eq(
			ls.objects_read - read_before, now.n - done.n,
			"step %d: %llu objects read, %zu new", s,
			(unsigned long long)(ls.objects_read - read_before),
			now.n - done.n);
		read_before = ls.objects_read;
		cr_assert_eq(ls.restarts, 0);
		cr_assert_gt(count(live_st, RH_ENTITY_TASK), tasks_before);
		tasks_before = count(live_st, RH_ENTITY_TASK);
		/* nothing indexed may be read again: spoil it all */
		spoil(&now);
		keys_free(&done);
		done = now;
		memset(&now, 0, sizeof(now));
		/* nothing moved: no step, nothing read */
		rebuilt = 1;
		cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st,
		                                    NULL),
		             0);
		cr_assert_eq(rebuilt, 0);
	}
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.steps, STEPS);
	cr_assert_eq(ls.live, 0, "an ended session's history is let go");
	/* every task of the session is there, and no damaged-object warning */
	cr_assert_eq(count(live_st, RH_ENTITY_TASK),
	             count(ref_st, RH_ENTITY_TASK));
	keys_free(&done);
	rh_index__live_free(lv);
}

/* What a follower does: the last part of a file is rewritten longer under
 * the same name until it is big enough. Only the new bytes are parsed. */
Test(live, parts_rewritten_longer_are_read_from_where_they_stopped)
{
	rh_index__live *lv = NULL;
	rh_index__live_stats ls;
	uint64_t raw = 0;
	size_t i;
	int s;

	grow_in_place = 1;
	for (i = 0; i < nbatches; i++) {
		struct stat sb;

		cr_assert_eq(stat(batches[i], &sb), 0);
		raw += (uint64_t)sb.st_size;
	}
	for (i = 0; i < nfiles; i++)
		raw += files[i].len;
	cr_assert_eq(rh_index__live_new(&lv, prefix), 0);
	for (s = 0; s < STEPS; s++) {
		arrive(s);
		cr_assert_eq(
			rh_index__live_refresh(NULL, NULL, lv, live_st, NULL),
			0, "step %d: %s", s, rh_error_last());
		one_shot();
		same_index(s);
	}
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.restarts, 0);
	/* every byte once: the batches' and the files' */
	cr_assert_leq(ls.bytes_read, raw, "%llu bytes parsed of %llu",
	              (unsigned long long)ls.bytes_read,
	              (unsigned long long)raw);
	cr_assert_geq(ls.bytes_read * 10, raw * 9, "%llu bytes parsed of %llu",
	              (unsigned long long)ls.bytes_read,
	              (unsigned long long)raw);
	rh_index__live_free(lv);
}

/* An indexed object that goes away (retention, a rewrite) cannot be taken
 * out of the history: the builder starts over, and is right again. */
Test(live, an_indexed_object_gone_starts_over)
{
	rh_index__live *lv = NULL;
	rh_index__live_stats ls;
	keys k = { 0 };
	char gen[32], last[RH__MARK_KEY_MAX];
	int i;

	cr_assert_eq(rh_index__live_new(&lv, prefix), 0);
	arrive(0);
	cr_assert_eq(rh_index__live_refresh(NULL, NULL, lv, live_st, NULL), 0,
	             "%s", rh_error_last());
	event_keys(&k, live_st);
	cr_assert_gt(k.n, 0);
	for (i = 0; i < 2; i++) {
		rh_store *st = i ? ref_st : live_st;

		cr_assert_eq(rh_store_delete(st, k.v[0]), 0);
		snprintf(gen, sizeof(gen), "%024d", 99);
		last[0] = '\0';
		cr_assert_eq(rh__mark_advance(st, prefix, "receiver-test", gen,
		                              last),
		             0);
	}
	cr_assert_eq(rh_index__live_refresh(NULL, NULL, lv, live_st, NULL), 0,
	             "%s", rh_error_last());
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.restarts, 1);
	one_shot();
	same_index(1);
	keys_free(&k);
	rh_index__live_free(lv);
}

/* Sessions written before marks (no writer keeps one): only a listing
 * tells what changed, so the builder leaves them to rh_index_refresh(),
 * which still gives the same index. */
Test(live, sessions_without_marks_are_built_as_before)
{
	rh_index__live *lv = NULL;
	rh_index__live_stats ls;
	int rebuilt = 0;

	no_marks = 1;
	cr_assert_eq(rh_index__live_new(&lv, prefix), 0);
	arrive(0);
	arrive(1);
	cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st, NULL),
	             0, "%s", rh_error_last());
	cr_assert_eq(rebuilt, 1);
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.full_builds, 1);
	cr_assert_eq(ls.live, 0);
	one_shot();
	same_index(1);
	/* and nothing changed: nothing is built */
	cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st, NULL),
	             0);
	cr_assert_eq(rebuilt, 0);
	rh_index__live_free(lv);
}

/* A builder that holds nothing yet (a restarted server) opens the index
 * the store holds when it is current: nothing is read. */
Test(live, a_current_stored_index_is_used_as_it_is)
{
	rh_index__live *lv = NULL;
	rh_index__live_stats ls;
	int rebuilt = 1;

	arrive(0);
	cr_assert_eq(rh_index_refresh(NULL, live_st, prefix, NULL), 0);
	cr_assert_eq(rh_index__live_new(&lv, prefix), 0);
	cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st, NULL),
	             0);
	cr_assert_eq(rebuilt, 0);
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.bytes_read, 0);
	cr_assert_eq(ls.live, 0);
	/* new events: the history is built once, then grows */
	arrive(1);
	cr_assert_eq(rh_index__live_refresh(NULL, &rebuilt, lv, live_st, NULL),
	             0);
	cr_assert_eq(rebuilt, 1);
	rh_index__live_stats_get(&ls, lv);
	cr_assert_eq(ls.live, 1);
	one_shot();
	same_index(1);
	rh_index__live_free(lv);
}
