/* index_replay.c - replay a session's event objects into a history for its
 * index: each object is decompressed and parsed, its events handed to the
 * history in object order.
 *
 * Parsing (decompression, JSON, ids to hex) is most of a rebuild and each
 * object parses alone, while the history must take the events one at a time
 * and in order. So worker threads parse objects ahead into private copies
 * of their events, and the calling thread merges them in object order: the
 * history sees exactly the events, in exactly the order, that one thread
 * parsing everything would give it. The workers are joined before return. */
#include "internal.h"
#include "index_internal.h"
#include "history_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define READ_CHUNK (4u << 20)

/* Decompressing an event file takes about as long per byte as parsing its
 * events. For a large blob a reader thread decompresses the next chunk
 * while this one parses the last, which takes the decompression off the
 * first visit's wait when a second core is free. Two buffers pass between
 * them: the reader fills one while the parser empties the other. */
typedef struct ahead {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	rh_seekable *sk;
	uint64_t off, size;
	rh_buf buf[2];
	int full[2]; /* filled by the reader, not yet parsed */
	int done;    /* the reader will fill nothing more */
	int stop;    /* the parser gave up: the reader ends */
	int error;   /* the reader's failure, with its message */
	char msg[512];
} ahead;

static void *
ahead_main(void *arg)
{
	ahead *a = arg;
	int k = 0, error = 0;
	uint64_t off;

	for (off = a->off; off < a->size && !error; off += READ_CHUNK, k ^= 1) {
		pthread_mutex_lock(&a->lock);
		while (a->full[k] && !a->stop)
			pthread_cond_wait(&a->cond, &a->lock);
		pthread_mutex_unlock(&a->lock);
		if (a->stop)
			break;
		rh_buf_clear(&a->buf[k]);
		if ((error = rh_seekable_read(&a->buf[k], a->sk, off,
		                              READ_CHUNK)) < 0)
			break;
		pthread_mutex_lock(&a->lock);
		a->full[k] = a->buf[k].size > 0;
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
		if (!a->buf[k].size)
			break;
	}
	pthread_mutex_lock(&a->lock);
	if (error < 0) {
		a->error = error;
		snprintf(a->msg, sizeof(a->msg), "%s", rh_error_last());
	}
	a->done = 1;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Parse what the reader thread decompresses; 0, the parser's stop code, or
 * the reader's error (raised again on this thread). *ran is 0 when no
 * thread could be started (nothing was fed then). */
static int
feed_ahead(int *ran, rh_event_parser *p, rh_seekable *sk, uint64_t skip,
           uint64_t size)
{
	ahead a;
	pthread_t t;
	int k = 0, error = 0;

	*ran = 0;
	memset(&a, 0, sizeof(a));
	a.sk = sk;
	a.off = skip;
	a.size = size;
	if (pthread_mutex_init(&a.lock, NULL) != 0)
		return rh__error(RH_ERROR, "cannot create a mutex");
	if (pthread_cond_init(&a.cond, NULL) != 0) {
		pthread_mutex_destroy(&a.lock);
		return rh__error(RH_ERROR,
		                 "cannot create a condition variable");
	}
	if (pthread_create(&t, NULL, ahead_main, &a) != 0)
		goto done;
	*ran = 1;
	for (;;) {
		pthread_mutex_lock(&a.lock);
		while (!a.full[k] && !a.done)
			pthread_cond_wait(&a.cond, &a.lock);
		if (!a.full[k]) {
			pthread_mutex_unlock(&a.lock);
			break;
		}
		pthread_mutex_unlock(&a.lock);
		error = rh_event_parser_feed(p, a.buf[k].ptr, a.buf[k].size);
		pthread_mutex_lock(&a.lock);
		a.full[k] = 0;
		if (error)
			a.stop = 1;
		pthread_cond_broadcast(&a.cond);
		pthread_mutex_unlock(&a.lock);
		if (error)
			break;
		k ^= 1;
	}
	pthread_join(t, NULL);
	if (!error && a.error)
		error = rh__error(a.error, "%s", a.msg);
done:
	rh_buf_dispose(&a.buf[0]);
	rh_buf_dispose(&a.buf[1]);
	pthread_cond_destroy(&a.cond);
	pthread_mutex_destroy(&a.lock);
	return error;
}

int
rh_index__feed_chunks(rh_event_parser *p, rh_seekable *sk, uint64_t skip,
                      uint64_t size, uint64_t *bytes_read)
{
	rh_buf b = RH_BUF_INIT;
	uint64_t off;
	int error = 0;

	for (off = skip; off < size; off += READ_CHUNK) {
		rh_buf_clear(&b);
		if ((error = rh_seekable_read(&b, sk, off, READ_CHUNK)) < 0)
			break;
		if (!b.size)
			break;
		if (bytes_read)
			*bytes_read += b.size;
		if ((error = rh_event_parser_feed(p, b.ptr, b.size)) != 0)
			break;
	}
	rh_buf_dispose(&b);
	return error;
}

/* Feed raw bytes [skip, end) of a stored seekable blob to the parser;
 * *size_out is its raw size. */
static int
feed_blob(rh_event_parser *p, uint64_t *size_out, rh_store *st, const char *key,
          uint64_t skip)
{
	rh_seekable *sk = NULL;
	uint64_t size;
	int error, ran = 0;

	*size_out = 0;
	if ((error = rh_seekable_open(&sk, st, key)) < 0)
		goto done;
	size = *size_out = rh_seekable_size(sk);
	if (size > skip && size - skip > 2 * (uint64_t)READ_CHUNK) {
		error = feed_ahead(&ran, p, sk, skip, size);
		if (ran || error)
			goto done;
	}
	error = rh_index__feed_chunks(p, sk, skip, size, NULL);
done:
	rh_seekable_close(sk);
	return error;
}

/* ---------------------------------------------------------------- copies */

/* What parsing one unit (a batch, or a captured file's parts) gave: its
 * events copied into an arena, unless they went straight to the history;
 * the damaged parts skipped; the parser's counters; its failure. */
typedef struct unit {
	size_t first, end; /* objects [first, end) */
	int direct;        /* events went to the history as parsed */
	rh_arena arena;
	rh_event *ev;
	size_t nev, aev;
	char **warn; /* messages of damaged parts, in order */
	size_t nwarn;
	rh_event_stats stats;
	int has_stats;
	int error; /* 0, a negative code (msg), or a stop code */
	char msg[512];
	int done;
} unit;

static void
unit_dispose(unit *u)
{
	rh_arena_dispose(&u->arena);
	free(u->ev);
	free(u->warn);
	u->ev = NULL;
	u->warn = NULL;
	u->nev = u->aev = u->nwarn = 0;
}

#define DUP(f)                                                                 \
	do {                                                                   \
		if (s->f && !(d->f = rh_arena_strndup(a, s->f, strlen(s->f)))) \
			return RH_ENOMEM;                                      \
	} while (0)

static int
copy_transitions(rh_arena *a, const rh_event_transition **out,
                 const rh_event_transition *src, size_t n)
{
	rh_event_transition *v;
	size_t i;

	*out = NULL;
	if (!n)
		return 0;
	if (n > SIZE_MAX / sizeof(*v) ||
	    !(v = rh_arena_alloc(a, n * sizeof(*v))))
		return RH_ENOMEM;
	memcpy(v, src, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		rh_event_transition *d = &v[i];
		const rh_event_transition *s = &src[i];

		DUP(node_id);
		DUP(worker_id);
		DUP(repr_name);
		DUP(death_cause);
		DUP(ip);
		DUP(reason);
		DUP(message);
		DUP(resources);
	}
	*out = v;
	return 0;
}

static int
copy_task(rh_arena *a, rh_event_task *d, const rh_event_task *s)
{
	rh_event_profile *pr;
	size_t i;

	DUP(task_id);
	DUP(job_id);
	DUP(name);
	DUP(func_or_class_name);
	DUP(language);
	DUP(parent_task_id);
	DUP(actor_id);
	DUP(placement_group_id);
	DUP(required_resources);
	DUP(runtime_env);
	DUP(call_site);
	DUP(label_selector);
	DUP(node_id);
	DUP(worker_id);
	DUP(actor_repr_name);
	DUP(error_type);
	DUP(error_message);
	DUP(log_info.stdout_file);
	DUP(log_info.stderr_file);
	DUP(component_type);
	DUP(component_id);
	DUP(node_ip_address);
	d->profile = NULL;
	if (s->nprofile) {
		if (s->nprofile > SIZE_MAX / sizeof(*pr) ||
		    !(pr = rh_arena_alloc(a, s->nprofile * sizeof(*pr))))
			return RH_ENOMEM;
		for (i = 0; i < s->nprofile; i++) {
			rh_event_profile *dp = &pr[i];
			const rh_event_profile *sp = &s->profile[i];

			*dp = *sp;
			if ((sp->event_name &&
			     !(dp->event_name = rh_arena_strndup(
				       a, sp->event_name,
				       strlen(sp->event_name)))) ||
			    (sp->extra_data &&
			     !(dp->extra_data = rh_arena_strndup(
				       a, sp->extra_data,
				       strlen(sp->extra_data)))))
				return RH_ENOMEM;
		}
		d->profile = pr;
	}
	return copy_transitions(a, &d->transitions, s->transitions,
	                        s->ntransitions);
}

static int
copy_actor(rh_arena *a, rh_event_actor *d, const rh_event_actor *s)
{
	DUP(actor_id);
	DUP(job_id);
	DUP(name);
	DUP(class_name);
	DUP(ray_namespace);
	DUP(placement_group_id);
	DUP(repr_name);
	DUP(required_resources);
	DUP(runtime_env);
	DUP(call_site);
	DUP(label_selector);
	return copy_transitions(a, &d->transitions, s->transitions,
	                        s->ntransitions);
}

static int
copy_job(rh_arena *a, rh_event_job *d, const rh_event_job *s)
{
	DUP(job_id);
	DUP(submission_id);
	DUP(entrypoint);
	DUP(driver_node_id);
	DUP(driver_ip);
	DUP(metadata);
	DUP(runtime_env);
	DUP(message);
	DUP(error_type);
	DUP(driver_agent_http_address);
	return copy_transitions(a, &d->transitions, s->transitions,
	                        s->ntransitions);
}

static int
copy_node(rh_arena *a, rh_event_node *d, const rh_event_node *s)
{
	DUP(node_id);
	DUP(node_ip);
	DUP(node_name);
	DUP(hostname);
	DUP(instance_id);
	DUP(instance_type_name);
	DUP(labels);
	DUP(resources_total);
	return copy_transitions(a, &d->transitions, s->transitions,
	                        s->ntransitions);
}

static int
copy_pg(rh_arena *a, rh_event_pg *d, const rh_event_pg *s)
{
	DUP(placement_group_id);
	DUP(name);
	DUP(creator_job_id);
	DUP(strategy);
	DUP(bundles);
	return copy_transitions(a, &d->transitions, s->transitions,
	                        s->ntransitions);
}

static int
copy_cluster(rh_arena *a, rh_event_cluster *d, const rh_event_cluster *s)
{
	DUP(event_id);
	DUP(source_type);
	DUP(host_name);
	DUP(severity);
	DUP(label);
	DUP(message);
	DUP(custom_fields);
	DUP(job_id);
	return 0;
}

/* A deep copy of `s` into d, its strings and arrays in the arena. Every
 * pointer of every kind is copied: the parser reuses its memory for the
 * next event. */
static int
copy_event(rh_arena *a, rh_event *d, const rh_event *s)
{
	*d = *s;
	DUP(object);
	DUP(event_id);
	DUP(session_name);
	switch (s->kind) {
	case RH_EVENT_TASK_DEFINITION:
	case RH_EVENT_TASK_LIFECYCLE:
	case RH_EVENT_TASK_PROFILE: return copy_task(a, &d->u.task, &s->u.task);
	case RH_EVENT_ACTOR_DEFINITION:
	case RH_EVENT_ACTOR_LIFECYCLE:
		return copy_actor(a, &d->u.actor, &s->u.actor);
	case RH_EVENT_DRIVER_JOB_DEFINITION:
	case RH_EVENT_DRIVER_JOB_LIFECYCLE:
	case RH_EVENT_SUBMISSION_JOB: return copy_job(a, &d->u.job, &s->u.job);
	case RH_EVENT_NODE_DEFINITION:
	case RH_EVENT_NODE_LIFECYCLE:
		return copy_node(a, &d->u.node, &s->u.node);
	case RH_EVENT_PLACEMENT_GROUP_DEFINITION:
	case RH_EVENT_PLACEMENT_GROUP_LIFECYCLE:
		return copy_pg(a, &d->u.pg, &s->u.pg);
	case RH_EVENT_CLUSTER:
		return copy_cluster(a, &d->u.cluster, &s->u.cluster);
	default: return 0;
	}
}
#undef DUP

static int
collect_cb(const rh_event *ev, void *payload)
{
	unit *u = payload;

	if (u->nev == u->aev) {
		size_t na = u->aev ? u->aev * 2 : 256;
		rh_event *v;

		if (!(v = rh__realloc(u->ev, na * sizeof(*v))))
			return RH_ENOMEM;
		u->ev = v;
		u->aev = na;
	}
	if (copy_event(&u->arena, &u->ev[u->nev], ev) < 0)
		return rh__error(RH_ENOMEM, "out of memory for parsed events");
	u->nev++;
	return 0;
}

static int
add_warning(unit *u, const char *msg)
{
	char **w, *s;

	if (!(s = rh_arena_strndup(&u->arena, msg, strlen(msg))) ||
	    !(w = rh__realloc(u->warn, (u->nwarn + 1) * sizeof(*w))))
		return RH_ENOMEM;
	w[u->nwarn++] = s;
	u->warn = w;
	return 0;
}

/* ---------------------------------------------------------------- units */

typedef struct job {
	rh_history *h;
	rh_store *st;
	const rh_index__obj *v;
	size_t plen;
	rh_event_parse_options po;
	unit *units;
	size_t nunits;
	/* the pipeline */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next;   /* the next unit a worker takes */
	size_t merged; /* units merged so far */
	size_t window; /* units parsed ahead at most */
	int stop;
	int sync; /* lock and cond were set up */
} job;

/* Parse unit u: its events to the history (direct) or into u's copies;
 * the damaged parts skipped and noted. The objects of a captured file are
 * its parts in offset order (the listing's key order), an overlap skipped
 * and a gap broken by a newline so no line joins across it. */
static void
parse_unit(job *J, unit *u)
{
	const rh_index__obj *x = &J->v[u->first];
	const char *name = x->file ? x->file : x->key + J->plen;
	rh_event_parser *p = NULL;
	uint64_t expect = 0;
	size_t k;
	int error;

	if (u->direct)
		error = rh_event_parser_new(&p, name, &J->po,
		                            rh_history_event_cb, J->h);
	else
		error = rh_event_parser_new(&p, name, &J->po, collect_cb, u);
	if (error < 0)
		goto done;
	for (k = u->first; k < u->end; k++) {
		const rh_index__obj *part = &J->v[k];
		uint64_t skip = 0, n;

		if (x->file && part->offset > expect) {
			if ((error = rh_event_parser_feed(p, "\n", 1)) != 0)
				goto done;
		} else if (x->file && part->offset < expect) {
			skip = expect - part->offset;
		}
		error = feed_blob(p, &n, J->st, part->key, skip);
		if (error == RH_ECORRUPT) {
			/* one damaged object must not take the session
			 * offline: skip it, and say so in the index */
			if ((error = add_warning(u, rh_error_last())) < 0)
				goto done;
			rh_error_clear();
			if (x->file &&
			    (error = rh_event_parser_feed(p, "\n", 1)) != 0)
				goto done;
			continue;
		}
		if (error != 0)
			goto done;
		if (x->file && part->offset + n > expect)
			expect = part->offset + n;
	}
	error = rh_event_parser_finish(p);
done:
	if (p) {
		u->stats = *rh_event_parser_stats(p);
		u->has_stats = 1;
	}
	if ((u->error = error) < 0)
		snprintf(u->msg, sizeof(u->msg), "%s", rh_error_last());
	rh_event_parser_free(p);
}

/* Hand unit u's events (if copied), warnings and counters to the history,
 * and report its objects done. */
static int
merge_unit(job *J, unit *u, rh_progress *pr, rh_progress_cb progress,
           void *payload)
{
	size_t i;
	int error = 0;

	for (i = 0; i < u->nev && !error; i++)
		error = rh_history_add(J->h, &u->ev[i]);
	for (i = 0; i < u->nwarn && !error; i++)
		error = rh_history__warn(
			J->h, "skipped a damaged event object: %s", u->warn[i]);
	if (u->has_stats)
		rh_history__stats_add(J->h, &u->stats);
	for (i = u->first; i < u->end; i++) {
		pr->files_done++;
		pr->bytes_done += J->v[i].size;
		if (progress)
			progress(pr, payload);
	}
	if (error)
		return error;
	if (u->error < 0)
		return rh__error(u->error, "%s", u->msg);
	if (u->error > 0)
		return rh__error(RH_ERROR, "event replay stopped");
	return 0;
}

static void *
worker_main(void *arg)
{
	job *J = arg;
	unit *u;

	for (;;) {
		pthread_mutex_lock(&J->lock);
		while (!J->stop && J->next < J->nunits &&
		       J->next >= J->merged + J->window)
			pthread_cond_wait(&J->cond, &J->lock);
		if (J->stop || J->next >= J->nunits) {
			pthread_mutex_unlock(&J->lock);
			break;
		}
		u = &J->units[J->next++];
		pthread_mutex_unlock(&J->lock);
		if (!u->direct)
			parse_unit(J, u);
		pthread_mutex_lock(&J->lock);
		u->done = 1;
		pthread_cond_broadcast(&J->cond);
		pthread_mutex_unlock(&J->lock);
	}
	return NULL;
}

/* A unit whose objects are larger than this (stored bytes) is parsed on
 * the merging thread straight into the history, as a stream: its copies
 * could take memory in proportion to a whole captured event file. Batches
 * are well under it (at most 10,000 events). */
#define COPY_MAX ((uint64_t)8 << 20)

static int
make_units(job *J, size_t n)
{
	size_t i, j, k = 0;

	if (!(J->units = rh__calloc(n ? n : 1, sizeof(*J->units))))
		return RH_ENOMEM;
	for (i = 0; i < n; i = j) {
		const rh_index__obj *x = &J->v[i];
		uint64_t size = 0;

		for (j = i;
		     j < n && (j == i || (x->file && J->v[j].file &&
		                          !strcmp(J->v[j].file, x->file)));
		     j++)
			size += J->v[j].size;
		J->units[k].first = i;
		J->units[k].end = j;
		J->units[k].direct = size > COPY_MAX;
		k++;
	}
	J->nunits = k;
	return 0;
}

#define MAX_THREADS 16

/* How many parsing threads: `threads`, 0 for one per processor, at most
 * MAX_THREADS. */
static unsigned
thread_count(unsigned threads)
{
	if (threads == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		threads = c < 1 ? 1 : (unsigned)c;
	}
	return threads > MAX_THREADS ? MAX_THREADS : threads;
}

/* Start the parsing threads, when more than one is asked and there is
 * more than one unit; returns how many started (0: all parsed here). The
 * lock and condition are set up (J->sync) whenever any could start. */
static unsigned
start_workers(job *J, pthread_t *tid, unsigned threads)
{
	unsigned started = 0, t;

	if (threads <= 1 || J->nunits <= 1 ||
	    pthread_mutex_init(&J->lock, NULL) != 0)
		return 0;
	if (pthread_cond_init(&J->cond, NULL) != 0) {
		pthread_mutex_destroy(&J->lock);
		return 0;
	}
	J->sync = 1;
	J->window = 2 * (size_t)threads + 2;
	for (t = 0; t < threads; t++)
		if (pthread_create(&tid[started], NULL, worker_main, J) == 0)
			started++;
	return started;
}

/* Merge the units into the history in order, each once its worker parsed
 * it (or parsing it here); the workers stop at the first failure. */
static int
merge_all(job *J, unsigned started, rh_progress *pr, rh_progress_cb progress,
          void *payload)
{
	size_t i;
	int error = 0;

	for (i = 0; i < J->nunits; i++) {
		unit *u = &J->units[i];

		if (started) {
			pthread_mutex_lock(&J->lock);
			while (!u->done)
				pthread_cond_wait(&J->cond, &J->lock);
			pthread_mutex_unlock(&J->lock);
		} else {
			u->direct = 1; /* no worker: parse here, as a stream */
		}
		if (u->direct)
			parse_unit(J, u);
		error = merge_unit(J, u, pr, progress, payload);
		unit_dispose(u);
		if (started) {
			pthread_mutex_lock(&J->lock);
			J->merged = i + 1;
			if (error)
				J->stop = 1;
			pthread_cond_broadcast(&J->cond);
			pthread_mutex_unlock(&J->lock);
		}
		if (error)
			break;
	}
	return error;
}

int
rh_index__replay(rh_history *h, rh_store *st, const rh_index__obj *v, size_t n,
                 size_t plen, const char *ray_version, rh_progress_cb progress,
                 void *payload, unsigned threads)
{
	rh_event_parse_options po = RH_EVENT_PARSE_OPTIONS_INIT;
	rh_progress pr = { 0, 0, 0, 0 };
	pthread_t tid[MAX_THREADS];
	unsigned started, t;
	size_t i;
	job J;
	int error;

	memset(&J, 0, sizeof(J));
	po.ray_version = ray_version;
	J.h = h;
	J.st = st;
	J.v = v;
	J.plen = plen;
	J.po = po;
	pr.files_total = n;
	for (i = 0; i < n; i++)
		pr.bytes_total += v[i].size;
	if ((error = make_units(&J, n)) < 0)
		return error;
	started = start_workers(&J, tid, thread_count(threads));
	error = merge_all(&J, started, &pr, progress, payload);
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (i = 0; i < J.nunits; i++)
		unit_dispose(&J.units[i]);
	if (J.sync) {
		pthread_cond_destroy(&J.cond);
		pthread_mutex_destroy(&J.lock);
	}
	free(J.units);
	return error;
}
