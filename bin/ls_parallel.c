/* ls_parallel.c - one job per item, on a few threads (ls_parallel.h). */
#include "ls_parallel.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_THREADS 32

struct par {
	void (*job)(size_t i, void *payload);
	void *payload;
	size_t n;
	atomic_size_t next;
};

static void *
worker(void *arg)
{
	struct par *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->job(i, p->payload);
	return NULL;
}

void
ls_parallel(size_t n, void (*job)(size_t i, void *payload), void *payload,
            unsigned threads)
{
	struct par p = { job, payload, n, 0 };
	pthread_t tid[MAX_THREADS];
	size_t i, nt = 0;

	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	while (nt + 1 < threads && nt + 1 < n &&
	       pthread_create(&tid[nt], NULL, worker, &p) == 0)
		nt++;
	worker(&p);
	for (i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
}
