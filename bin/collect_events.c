/* collect_events.c - `rayhist-collect --events`: store RayEvent batches
 * (JSON arrays or JSON lines, plain, .gz or .zst) into a session as event
 * objects named by their content, so re-ingesting a file adds nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rayhist/rayhist.h>

#include "cli.h"
#include "collect_events.h"

/* Batches come from a file or stdin ("-"); they are held whole because a
 * batch is one object (Ray posts at most 10,000 events, a few MiB). */
static int
slurp(rh_buf *out, const char *path, char *msg, size_t msgsize)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[1 << 16];
	size_t n;
	int error = 0;

	if (!fp) {
		snprintf(msg, msgsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if ((error = rh_buf_put(out, chunk, n)) < 0) {
			snprintf(msg, msgsize, "%s: %s", path, rh_error_last());
			break;
		}
	if (ferror(fp)) {
		snprintf(msg, msgsize, "%s: read error", path);
		error = -1;
	}
	if (fp != stdin)
		fclose(fp);
	return error;
}

/* Files are ingested by worker threads, each taking the next file: the
 * work per file (parse to check, hash, compress, put) is CPU-bound and
 * independent, so two cores import twice as fast. Results are printed in
 * the order of the files, as each one's turn comes. */
typedef struct result {
	int done;
	int failed;
	int added;
	char *text; /* key, or the warning of a failure */
} result;

typedef struct pool {
	rh_store *st;
	const char *prefix;
	char **files;
	int nfiles;
	int next; /* the next file to take */
	result *res;
	pthread_mutex_t lock;
	pthread_cond_t cond;
} pool;

static void
ingest_one(pool *pl, int i, rh_buf *data, rh_buf *key)
{
	result *r = &pl->res[i];
	char msg[1024];
	int added = 0;

	rh_buf_clear(data);
	rh_buf_clear(key);
	msg[0] = '\0';
	if (slurp(data, pl->files[i], msg, sizeof(msg)) < 0) {
		r->failed = 1;
	} else if (rh_events_ingest(key, &added, pl->st, pl->prefix,
	                            pl->files[i], data->ptr ? data->ptr : "",
	                            data->size) < 0) {
		/* A bad file is reported and skipped; the others still go in. */
		snprintf(msg, sizeof(msg), "%s: %s", pl->files[i],
		         rh_error_last());
		r->failed = 1;
	}
	r->added = added;
	r->text = strdup(r->failed ? msg : key->ptr ? key->ptr : "");
	pthread_mutex_lock(&pl->lock);
	r->done = 1;
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
}

static void *
worker(void *arg)
{
	pool *pl = arg;
	rh_buf data = RH_BUF_INIT, key = RH_BUF_INIT;
	int i;

	for (;;) {
		pthread_mutex_lock(&pl->lock);
		i = pl->next < pl->nfiles ? pl->next++ : -1;
		pthread_mutex_unlock(&pl->lock);
		if (i < 0)
			break;
		ingest_one(pl, i, &data, &key);
	}
	rh_buf_dispose(&data);
	rh_buf_dispose(&key);
	return NULL;
}

int
rh_collect_events(rh_store *st, const rh_session_ref *s, char **files,
                  int nfiles, unsigned threads, int quiet)
{
	rh_buf prefix = RH_BUF_INIT;
	pthread_t tid[64];
	pool pl;
	int i, error, failed = 0, nadded = 0, started = 0;

	if ((error = rh_layout_session_prefix(&prefix, s)) < 0)
		rh_cli_die(error, "bad session");
	memset(&pl, 0, sizeof(pl));
	pl.st = st;
	pl.prefix = prefix.ptr;
	pl.files = files;
	pl.nfiles = nfiles;
	if (!(pl.res = calloc((size_t)nfiles, sizeof(*pl.res))))
		rh_cli_die(RH_ENOMEM, "out of memory");
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.cond, NULL);
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
	}
	if (threads > (unsigned)nfiles)
		threads = (unsigned)nfiles;
	for (i = 0; i < (int)threads; i++)
		if (pthread_create(&tid[started], NULL, worker, &pl) == 0)
			started++;
	for (i = 0; i < nfiles; i++) {
		result *r = &pl.res[i];

		if (!started) {
			/* no thread could start: this one does the work */
			rh_buf data = RH_BUF_INIT, key = RH_BUF_INIT;

			pl.next = i + 1;
			ingest_one(&pl, i, &data, &key);
			rh_buf_dispose(&data);
			rh_buf_dispose(&key);
		}
		pthread_mutex_lock(&pl.lock);
		while (!r->done)
			pthread_cond_wait(&pl.cond, &pl.lock);
		pthread_mutex_unlock(&pl.lock);
		if (r->failed) {
			rh_cli_warn("%s", r->text ? r->text : "out of memory");
			failed++;
		} else {
			nadded += r->added;
			if (!quiet)
				printf("%s: %s %s\n", files[i],
				       r->added ? "stored as" :
				                  "already stored as",
				       r->text ? r->text : "?");
		}
		free(r->text);
		r->text = NULL;
	}
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	/* Announce the objects to readers (marks.h): one generation mark per
	 * import run, after all its objects. Objects found already stored
	 * count too: an import killed before its mark left them unannounced. */
	if (failed < nfiles &&
	    (error = rh_events_announce(st, prefix.ptr)) < 0) {
		rh_cli_warn("%s: %s", prefix.ptr, rh_error_last());
		failed++;
	}
	if (!quiet)
		printf("%s/%s/%s: %d of %d event files new, %d failed\n", s->ns,
		       s->cluster, s->session, nadded, nfiles, failed);
	pthread_cond_destroy(&pl.cond);
	pthread_mutex_destroy(&pl.lock);
	free(pl.res);
	rh_buf_dispose(&prefix);
	return failed ? 1 : 0;
}
