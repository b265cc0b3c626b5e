/* capture_pool.c - a one-shot capture ships several files at once
 * (follow_internal.h).
 *
 * A node is hundreds of small files and a few big ones. A big file's
 * frames compress on several threads (seekable_write.c), but a small file
 * is one frame: shipped in turn, the small ones left every core but one
 * idle. Here `workers` threads take whole files from one list, biggest
 * first, so that the big ones start early and the small ones fill the
 * gaps. The follower's state (every file's parts, the stats, the reports)
 * is touched only under one mutex, released while a part is compressed
 * and written. Part names follow from the file and the offset, not from
 * the order, so the store ends up as one thread would leave it; the
 * manifest is written after all threads are joined (capture_ship.c). */
#include "follow_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define MAX_THREADS 16
/* A file this many places ahead in the list is asked of the disk when a
 * thread takes one (prefetch()), and only when it is smaller than
 * PREFETCH_MAX: a big file's reads are sequential and the kernel reads
 * ahead of them already, but each small file is a read of its own that a
 * thread would otherwise wait for. */
#define PREFETCH_AHEAD 8
#define PREFETCH_MAX (1u << 20)

struct pool {
	rh_follow *f;
	rh__ffile **order; /* the files, biggest pending first */
	size_t n, next;    /* next to take; guarded by mu */
	pthread_mutex_t mu;
	int error;     /* the first failure, guarded by mu */
	char msg[512]; /* its message, from the thread that met it */
};

static uint64_t
pending(const rh__ffile *e)
{
	return e->seen > e->size ? e->seen - e->size : 0;
}

static int
cmp_pending(const void *a, const void *b)
{
	const rh__ffile *x = *(rh__ffile *const *)a;
	const rh__ffile *y = *(rh__ffile *const *)b;
	uint64_t px = pending(x), py = pending(y);

	if (px != py)
		return px < py ? 1 : -1;
	return strcmp(x->path, y->path);
}

/* Ask the kernel to start reading e (posix_fadvise WILLNEED) and return at
 * once, so that its bytes are in memory when a thread takes it: the
 * hundreds of small logs of a node, read one by one from a cold cache,
 * left the threads waiting on the disk in turn. Best effort: a file that
 * cannot be opened here is dealt with when it is shipped. */
struct ahead {
	char full[PATH_MAX];
	uint64_t off, len; /* len 0: nothing to read */
};

/* What to prefetch of e; with the lock held (e->size moves under it). */
static void
ahead_of(struct ahead *a, const rh_follow *f, const rh__ffile *e)
{
	a->len = pending(e);
	a->off = e->size;
	if (a->len > PREFETCH_MAX || e->hold || e->gone ||
	    snprintf(a->full, sizeof(a->full), "%s/%s", f->sdir, e->path) >=
	            (int)sizeof(a->full))
		a->len = 0;
}

/* Without the lock. */
static void
prefetch(const struct ahead *a)
{
	int fd;

	if (!a->len || (fd = open(a->full, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	                                           O_NOCTTY)) < 0)
		return;
	(void)posix_fadvise(fd, (off_t)a->off, (off_t)a->len,
	                    POSIX_FADV_WILLNEED);
	close(fd);
}

/* Keep the first failure; its message lives in this thread's slot. */
static void
fail(struct pool *p, int error)
{
	if (p->error)
		return;
	p->error = error;
	snprintf(p->msg, sizeof(p->msg), "%s", rh_error_last());
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	rh_buf out = RH_BUF_INIT, key = RH_BUF_INIT;
	rh__ship_buf b = { NULL, &out, &key };
	int error = 0;

	if (!(b.chunk = rh__malloc(RH__READ_CHUNK)))
		error = RH_ENOMEM;
	for (;;) {
		uint64_t budget = UINT64_MAX;
		struct ahead a = { "", 0, 0 };
		rh__ffile *e;

		pthread_mutex_lock(&p->mu);
		if (error < 0)
			fail(p, error);
		if (p->error || p->next == p->n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		e = p->order[p->next++];
		if (p->next + PREFETCH_AHEAD - 1 < p->n)
			ahead_of(&a, p->f,
			         p->order[p->next + PREFETCH_AHEAD - 1]);
		pthread_mutex_unlock(&p->mu);
		prefetch(&a);
		error = rh__follow_ship_with(p->f, e, &budget, &b, &p->mu);
	}
	free(b.chunk);
	rh_buf_dispose(&out);
	rh_buf_dispose(&key);
	return NULL;
}

int
rh__follow_ship_parallel(rh_follow *f)
{
	pthread_t th[MAX_THREADS];
	struct pool p;
	size_t i, nth = f->workers, started = 0;
	uint64_t total = 0;
	int error = 0;

	if (!f->s || f->s->nfiles == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.n = f->s->nfiles;
	if (nth > MAX_THREADS)
		nth = MAX_THREADS;
	if (nth > p.n)
		nth = p.n;
	if (!(p.order = rh__calloc(p.n, sizeof(*p.order))))
		return RH_ENOMEM;
	memcpy(p.order, f->s->files, p.n * sizeof(*p.order));
	qsort(p.order, p.n, sizeof(*p.order), cmp_pending);
	/* A file that ships on one thread runs no handoffs, which matter
	 * on a busy machine (a frame thread waiting for a descheduled
	 * one); only a file bigger than a thread's share compresses its
	 * frames on threads of its own too (capture_ship.c). */
	for (i = 0; i < p.n; i++)
		total += pending(p.order[i]);
	f->share = total / nth;
	pthread_mutex_init(&p.mu, NULL);
	/* The calling thread is one of the workers; a thread that cannot be
	 * started only makes the pass slower. */
	for (i = 1; i < nth; i++)
		if (pthread_create(&th[started], NULL, worker, &p) == 0)
			started++;
	worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.mu);
	f->share = 0;
	if (p.error)
		error = rh__error(p.error, "%s", p.msg);
	free(p.order);
	return error;
}
