/* marks.c - a session's generation marks (marks.h): written by every writer
 * of event objects, read by the index's currency check. */
#include "marks.h"
#include "sha256.h"

#include <json-c/json.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void
rh__marks_dispose(rh__marks *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	memset(m, 0, sizeof(*m));
}

struct list_ctx {
	rh__marks *m;
	size_t plen, cap;
	rh_sha256 sha;
};

static int
list_cb(const rh_store_entry *e, void *payload)
{
	struct list_ctx *c = payload;
	const char *name = e->key + c->plen;
	char **v;

	if (e->is_prefix || !strchr(name, '@'))
		return 0; /* not a mark: nothing of ours */
	if (c->m->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		if (!(v = rh__realloc(c->m->names, c->cap * sizeof(*v))))
			return RH_ENOMEM;
		c->m->names = v;
	}
	if (!(c->m->names[c->m->n] = rh__strdup(name)))
		return RH_ENOMEM;
	c->m->n++;
	rh__sha256_update(&c->sha, name, strlen(name) + 1);
	return 0;
}

int
rh__marks_list(rh__marks *out, rh_store *st, const char *prefix)
{
	struct list_ctx c;
	rh_buf p = RH_BUF_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.m = out;
	rh__sha256_init(&c.sha);
	rh__sha256_update(&c.sha, "rayhist-marks-1\n", 16);
	if ((error = rh_layout__marks_prefix(&p, prefix)) < 0)
		goto done;
	c.plen = p.size;
	/* no delimiter: a mark is one level down, and nothing else is there */
	if ((error = rh_store_list(st, p.ptr, NULL, list_cb, &c)) > 0)
		error = RH_ERROR;
	if (error == 0)
		rh__sha256_final(&c.sha, out->digest);
done:
	rh_buf_dispose(&p);
	if (error < 0)
		rh__marks_dispose(out);
	return error;
}

int
rh__marks_has_writer(const rh__marks *m, const char *writer)
{
	size_t i, n = strlen(writer);

	for (i = 0; i < m->n; i++)
		if (!strncmp(m->names[i], writer, n) && m->names[i][n] == '@')
			return 1;
	return 0;
}

void
rh__mark_random_hex(char out[17])
{
	uint64_t r = 0;
	struct timespec ts;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		/* no entropy yet (early boot): time and pid still differ
		 * between writers that matter here */
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)r);
}

void
rh__mark_new_gen(char out[25])
{
	struct timespec ts;
	char rnd[17];

	clock_gettime(CLOCK_REALTIME, &ts);
	rh__mark_random_hex(rnd);
	snprintf(out, 25, "%016llx%.8s",
	         (unsigned long long)ts.tv_sec * 1000000000ull +
	                 (unsigned long long)ts.tv_nsec,
	         rnd);
}

/* Delete the writer's marks other than `keep` (a restarted writer's old
 * ones: it cannot know their names). */
struct own_ctx {
	rh_store *st;
	const char *keep;
	int error;
	int found; /* `keep` is there */
};

static int
own_cb(const rh_store_entry *e, void *payload)
{
	struct own_ctx *c = payload;
	int error;

	if (e->is_prefix)
		return 0;
	if (!strcmp(e->key, c->keep)) {
		c->found = 1;
		return 0;
	}
	if ((error = rh_store_delete(c->st, e->key)) < 0)
		c->error = error;
	return 0;
}

static int
delete_own(int *found, rh_store *st, const char *prefix, const char *writer,
           const char *keep)
{
	struct own_ctx c = { st, keep, 0, 0 };
	rh_buf p = RH_BUF_INIT;
	int error;

	if ((error = rh_layout__marks_prefix(&p, prefix)) < 0 ||
	    (error = rh_buf_printf(&p, "%s@", writer)) < 0)
		goto done;
	if ((error = rh_store_list(st, p.ptr, NULL, own_cb, &c)) > 0)
		error = RH_ERROR;
	if (error == 0)
		error = c.error;
	*found = c.found;
done:
	rh_buf_dispose(&p);
	return error;
}

/* A reader never re-checks an index built after the session's end mark:
 * a writer that adds objects to an ended session removes that index, so
 * the next reader rebuilds it. The reader closes the other half of the
 * race (it lists the marks again after writing such an index). */
static int
unseal_if_ended(rh_store *st, const char *prefix)
{
	rh_buf key = RH_BUF_INIT, data = RH_BUF_INIT;
	json_object *root = NULL, *v;
	int error, ended = 0;

	if ((error = rh_buf_printf(&key, "%ssession.json", prefix)) < 0)
		goto done;
	error = rh_store_get(&data, st, key.ptr, 0, SIZE_MAX);
	if (error == RH_ENOTFOUND) {
		rh_error_clear();
		error = 0;
		goto done;
	}
	if (error < 0)
		goto done;
	/* a damaged session.json: assume ended, which only costs a rebuild */
	root = data.ptr ? json_tokener_parse(data.ptr) : NULL;
	/* as readers judge it (rh_session_info: end_ms or end_marked_ms) */
	ended = !root ||
	        (json_object_object_get_ex(root, "end_ms", &v) &&
	         json_object_get_int64(v) > 0) ||
	        (json_object_object_get_ex(root, "end_marked_ms", &v) &&
	         json_object_get_int64(v) > 0);
	if (!ended)
		goto done;
	rh_buf_clear(&key);
	if ((error = rh_buf_printf(&key, "%s%s", prefix,
	                           RH_SESSION_INDEX_NAME)) < 0)
		goto done;
	error = rh_store_delete(st, key.ptr);
done:
	json_object_put(root);
	rh_buf_dispose(&key);
	rh_buf_dispose(&data);
	return error;
}

static int
advance(rh_store *st, const char *prefix, const char *writer, const char *gen,
        char *last, int unseal)
{
	rh_buf key = RH_BUF_INIT, body = RH_BUF_INIT;
	int error, found = 0;

	if ((error = rh_layout__mark(&key, prefix, writer, gen)) < 0)
		goto done;
	if (key.size >= RH__MARK_KEY_MAX) {
		error = rh__error(RH_EINVAL, "%s: mark key too long", key.ptr);
		goto done;
	}
	if (!strcmp(last, key.ptr))
		goto done; /* nothing new since the last advance */
	if (!last[0]) {
		/* A writer's first advance: its older marks go (a restarted
		 * writer cannot know their names); one that finds its mark
		 * already there (restarted with nothing new) writes nothing. */
		if ((error = delete_own(&found, st, prefix, writer, key.ptr)) <
		    0)
			goto done;
		if (found)
			goto put; /* (and look for an end mark again) */
	}
	/* The body is for people; readers go by the name. It holds no time:
	 * the same state makes the same object (an archive import and a
	 * capture of the same folders store the same bytes). */
	if ((error = rh_buf_printf(&body,
	                           "{\"writer\":\"%s\",\"gen\":\"%s\"}\n",
	                           writer, gen)) < 0 ||
	    (error = rh_store_put(st, key.ptr, body.ptr, body.size)) < 0)
		goto done;
	/* The new mark is in: the old one may go. Should a delete fail, the
	 * old mark stays (it only costs its listing entry) and the next
	 * advance looks for strays again. */
	if (last[0])
		error = rh_store_delete(st, last);
put:
	snprintf(last, RH__MARK_KEY_MAX, "%s", error < 0 ? "" : key.ptr);
	if (error < 0 || !unseal)
		goto done;
	/* Should this fail, the next advance, even to the same mark, looks
	 * again: a sealed index must not outlive a writer's new objects. */
	if ((error = unseal_if_ended(st, prefix)) < 0)
		last[0] = '\0';
done:
	rh_buf_dispose(&key);
	rh_buf_dispose(&body);
	return error;
}

int
rh__mark_advance(rh_store *st, const char *prefix, const char *writer,
                 const char *gen, char *last)
{
	return advance(st, prefix, writer, gen, last, 1);
}

void
rh__mark_verified_ended(rh_store *st, const char *prefix, const char *gen)
{
	char last[RH__MARK_KEY_MAX] = "";

	/* a read-only store or a failure only means the next reader lists
	 * the session again */
	if (advance(st, prefix, RH__MARK_VERIFIED, gen, last, 0) < 0)
		rh_error_clear();
}

RH_EXTERN int
rh_events_announce(rh_store *st, const char *session_prefix)
{
	char last[RH__MARK_KEY_MAX] = "", writer[32], id[17], gen[25];

	if (!st)
		return rh__error(RH_EINVAL, "rh_events_announce: NULL store");
	/* A writer of its own per call: two imports into one session at
	 * once never write the same mark. */
	rh__mark_random_hex(id);
	snprintf(writer, sizeof(writer), "import-%s", id);
	rh__mark_new_gen(gen);
	return rh__mark_advance(st, session_prefix, writer, gen, last);
}
