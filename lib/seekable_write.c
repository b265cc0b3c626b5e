/* seekable_write.c - compress raw bytes into a seekable blob
 * (rayhist/seekable.h; the layout is in seekable_format.h). */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <zstd.h>

#include "seekable_format.h"
#include "seekable_filter.h"

#define DEFAULT_FRAME_SIZE (4u << 20)
#define MAX_WORKERS 64
#define DEFAULT_LEVEL 3

enum writer_state {
	WRITER_OPEN,
	WRITER_FINISHED,
	WRITER_FAILED, /* a frame failed: `out` and the table disagree now */
};

struct pool;

struct rh_seekable_writer {
	ZSTD_CCtx *cctx;   /* reused for every frame */
	struct pool *pool; /* with workers > 1: frames compress there */
	int level;
	size_t frame_size;
	int checksum; /* table entries carry a checksum */
	enum writer_state state;
	rh_buf pending; /* raw bytes of the frame being filled */
	rh_buf table;   /* entries of the frames written so far */
	/* With options.filter: the frames' search filter entries and data
	 * (seekable_filter.h), written before the table by finish. */
	int filter;
	rh__filter_scratch *fs;
	rh_buf fidx, fdata;
	uint32_t nframes;
	uint64_t raw_size;
};

static int
check_options(const rh_seekable_options *opts)
{
	if (opts->version < 1 || opts->version > RH_SEEKABLE_OPTIONS_VERSION)
		return rh__error(
			RH_EINVAL,
			"seekable options: version %u, expected 1 to %u",
			opts->version, RH_SEEKABLE_OPTIONS_VERSION);
	if (opts->frame_size > RH_SEEKABLE_MAX_FRAME_SIZE)
		return rh__error(RH_EINVAL,
		                 "seekable options: frame size %zu is over the "
		                 "limit of %u bytes",
		                 opts->frame_size, RH_SEEKABLE_MAX_FRAME_SIZE);
	if (opts->level < ZSTD_minCLevel() || opts->level > ZSTD_maxCLevel())
		return rh__error(RH_EINVAL,
		                 "seekable options: zstd level %d is not in "
		                 "[%d, %d]",
		                 opts->level, ZSTD_minCLevel(),
		                 ZSTD_maxCLevel());
	return 0;
}

static int
set_cparams(ZSTD_CCtx *cctx, int level)
{
	size_t r;

	/* The content checksum makes zstd itself verify every frame when it is
	 * decompressed, by us or by `zstd -d`; it also gives the seek table its
	 * checksum for free (see compress_frame). */
	if (ZSTD_isError(r = ZSTD_CCtx_setParameter(
				 cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(
		    r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(r = ZSTD_CCtx_setParameter(cctx,
	                                            ZSTD_c_contentSizeFlag, 1)))
		return rh__error(RH_ERROR, "zstd: cannot set parameters: %s",
		                 ZSTD_getErrorName(r));
	return 0;
}

/* ---- parallel compression ------------------------------------------------
 * With workers > 1, full frames are copied into a ring of jobs that worker
 * threads compress, each with its own context; the writer appends finished
 * frames to `out` strictly in submission order, so the blob is byte for byte
 * the one the single-threaded path writes. The ring holds two jobs a worker,
 * which bounds memory at about 4 x frame_size a worker. */

enum job_state { JOB_FREE, JOB_QUEUED, JOB_BUSY, JOB_DONE, JOB_FAILED };

struct job {
	unsigned char *raw; /* frame_size bytes */
	size_t n;
	unsigned char *dst; /* ZSTD_compressBound(frame_size) bytes */
	size_t csize;
	rh_buf fidx, fdata; /* its search filter, with options.filter */
	enum job_state state;
	char err[160];
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t done; /* a job finished */
	struct job *jobs;
	unsigned njobs;
	uint64_t submitted, taken, collected; /* ring positions */
	pthread_t *threads;
	unsigned nthreads;
	int stop;
	int level;
	int filter;
	size_t frame_size;
};

static void *
pool_worker(void *arg)
{
	struct pool *p = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	rh__filter_scratch *fs = p->filter ? malloc(sizeof(*fs)) : NULL;
	struct job *j;
	size_t r;
	int failed;

	if (cctx && set_cparams(cctx, p->level) < 0) {
		ZSTD_freeCCtx(cctx);
		cctx = NULL;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->submitted)
			break; /* stopping, nothing left */
		j = &p->jobs[p->taken++ % p->njobs];
		j->state = JOB_BUSY;
		pthread_mutex_unlock(&p->mu);
		rh_buf_clear(&j->fidx);
		rh_buf_clear(&j->fdata);
		r = 0;
		failed = 1;
		if (!cctx || (p->filter && !fs)) {
			snprintf(j->err, sizeof(j->err),
			         "zstd: cannot create a context");
		} else if (p->filter &&
		           rh__filter_build(&j->fidx, &j->fdata, fs, j->raw,
		                            j->n) < 0) {
			snprintf(j->err, sizeof(j->err),
			         "out of memory (search filter)");
		} else {
			r = ZSTD_compress2(cctx, j->dst,
			                   ZSTD_compressBound(p->frame_size),
			                   j->raw, j->n);
			failed = ZSTD_isError(r) != 0;
			if (failed)
				snprintf(j->err, sizeof(j->err),
				         "zstd: cannot compress a frame: %s",
				         ZSTD_getErrorName(r));
		}
		pthread_mutex_lock(&p->mu);
		j->csize = r;
		j->state = failed ? JOB_FAILED : JOB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	ZSTD_freeCCtx(cctx);
	free(fs);
	return NULL;
}

static void
pool_free(struct pool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; p->jobs && i < p->njobs; i++) {
		free(p->jobs[i].raw);
		free(p->jobs[i].dst);
		rh_buf_dispose(&p->jobs[i].fidx);
		rh_buf_dispose(&p->jobs[i].fdata);
	}
	free(p->jobs);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static int
pool_new(struct pool **out, unsigned workers, int level, int filter,
         size_t frame_size)
{
	struct pool *p;
	unsigned i;

	*out = NULL;
	if (!(p = rh__calloc(1, sizeof(*p))))
		return RH_ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->level = level;
	p->filter = filter;
	p->frame_size = frame_size;
	p->njobs = workers * 2;
	if (!(p->jobs = rh__calloc(p->njobs, sizeof(*p->jobs))) ||
	    !(p->threads = rh__calloc(workers, sizeof(*p->threads)))) {
		pool_free(p);
		return RH_ENOMEM;
	}
	for (i = 0; i < p->njobs; i++)
		if (!(p->jobs[i].raw = rh__malloc(frame_size)) ||
		    !(p->jobs[i].dst =
		              rh__malloc(ZSTD_compressBound(frame_size)))) {
			pool_free(p);
			return RH_ENOMEM;
		}
	for (i = 0; i < workers; i++) {
		if (pthread_create(&p->threads[i], NULL, pool_worker, p) != 0) {
			pool_free(p);
			return rh__error(RH_ERROR, "cannot start a compression "
			                           "thread");
		}
		p->nthreads++;
	}
	*out = p;
	return 0;
}

static int append_frame(rh_seekable_writer *w, const unsigned char *frame,
                        size_t csize, size_t n, rh_buf *out);

/* Append the oldest job's frame to `out` if it is finished, or - when
 * `wait` - once it is. Returns 1 if a frame was appended, 0 if none was
 * ready (or none is in flight), or an error. */
static int
pool_collect(rh_seekable_writer *w, rh_buf *out, int wait)
{
	struct pool *p = w->pool;
	struct job *j;
	int error;

	pthread_mutex_lock(&p->mu);
	if (p->collected == p->submitted) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	j = &p->jobs[p->collected % p->njobs];
	while (wait && j->state != JOB_DONE && j->state != JOB_FAILED)
		pthread_cond_wait(&p->done, &p->mu);
	if (j->state != JOB_DONE && j->state != JOB_FAILED) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	pthread_mutex_unlock(&p->mu);
	/* The job is ours until it is marked free: no worker touches it. */
	if (j->state == JOB_FAILED)
		error = rh__error(RH_ERROR, "%s", j->err);
	else if ((error = append_frame(w, j->dst, j->csize, j->n, out)) == 0 &&
	         w->filter &&
	         (error = rh_buf_put(&w->fidx, j->fidx.ptr, j->fidx.size)) == 0)
		error = rh_buf_put(&w->fdata, j->fdata.ptr, j->fdata.size);
	pthread_mutex_lock(&p->mu);
	j->state = JOB_FREE;
	p->collected++;
	pthread_mutex_unlock(&p->mu);
	return error < 0 ? error : 1;
}

static int
pool_submit(rh_seekable_writer *w, const void *src, size_t n, rh_buf *out)
{
	struct pool *p = w->pool;
	struct job *j;
	int error;

	/* Full ring: the oldest frame must be written out first. */
	while (p->submitted - p->collected == p->njobs)
		if ((error = pool_collect(w, out, 1)) < 0)
			return error;
	j = &p->jobs[p->submitted % p->njobs];
	memcpy(j->raw, src, n);
	j->n = n;
	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	p->submitted++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* Write out whatever is finished without waiting. */
	while ((error = pool_collect(w, out, 0)) == 1)
		;
	return error;
}

static int
pool_drain(rh_seekable_writer *w, rh_buf *out)
{
	int error;

	while ((error = pool_collect(w, out, 1)) == 1)
		;
	return error;
}

RH_EXTERN int
rh_seekable_writer_new(rh_seekable_writer **out,
                       const rh_seekable_options *opts)
{
	rh_seekable_options defaults = RH_SEEKABLE_OPTIONS_INIT;
	rh_seekable_writer *w = NULL;
	int error;

	if (!out)
		return rh__error(RH_EINVAL,
		                 "rh_seekable_writer_new: out is NULL");
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if ((error = check_options(opts)) < 0)
		return error;
	if (!(w = rh__calloc(1, sizeof(*w))))
		return RH_ENOMEM;
	w->frame_size =
		opts->frame_size ? opts->frame_size : DEFAULT_FRAME_SIZE;
	w->checksum = opts->checksum != 0;
	if (!(w->cctx = ZSTD_createCCtx())) {
		error = rh__error(RH_ENOMEM, "out of memory (zstd context)");
		goto done;
	}
	w->level = opts->level ? opts->level : DEFAULT_LEVEL;
	if ((error = set_cparams(w->cctx, w->level)) < 0)
		goto done;
	w->filter = opts->version >= 2 && opts->filter;
	if (w->filter && opts->workers <= 1 &&
	    !(w->fs = rh__malloc(sizeof(*w->fs)))) {
		error = RH_ENOMEM;
		goto done;
	}
	if (opts->workers > 1 &&
	    (error = pool_new(&w->pool,
	                      opts->workers > MAX_WORKERS ? MAX_WORKERS :
	                                                    opts->workers,
	                      w->level, w->filter, w->frame_size)) < 0)
		goto done;
	*out = w, w = NULL;
done:
	rh_seekable_writer_free(w);
	return error;
}

/* Record a compressed frame of `n` raw bytes, which already sits at the end
 * of `out` (frame == out->ptr + out->size) or elsewhere (copied in). `out`
 * only grows once the frame and its entry are both in place. */
static int
append_frame(rh_seekable_writer *w, const unsigned char *frame, size_t csize,
             size_t n, rh_buf *out)
{
	unsigned char entry[RH_SEEK_ENTRY_SIZE_CHECKSUM];
	int error;

	if (w->nframes >= RH_SEEK_MAX_FRAMES)
		return rh__error(RH_ERROR, "seekable blob: more than %u frames",
		                 RH_SEEK_MAX_FRAMES);
	rh_seekable__put32(entry, (uint32_t)csize);
	rh_seekable__put32(entry + 4, (uint32_t)n);
	/* A zstd content checksum is the low 32 bits of XXH64 of the frame's
	 * raw bytes, stored in its last 4 bytes: exactly what a seek table
	 * entry holds. Copying it costs nothing, and libzstd exports no XXH64
	 * to compute it again. */
	if (w->checksum)
		memcpy(entry + 8, frame + csize - 4, 4);
	if (frame != (const unsigned char *)out->ptr + out->size) {
		if ((error = rh_buf_grow(out, out->size + csize)) < 0)
			return error;
		memcpy(out->ptr + out->size, frame, csize);
	}
	if ((error = rh_buf_put(&w->table, entry,
	                        w->checksum ? RH_SEEK_ENTRY_SIZE_CHECKSUM :
	                                      RH_SEEK_ENTRY_SIZE)) < 0)
		return error;
	out->size += csize;
	out->ptr[out->size] = '\0';
	w->nframes++;
	return 0;
}

/* Compress `n` raw bytes as one frame: on a worker when there is a pool,
 * else straight into the free space of `out` (no staging buffer: a 1 GiB
 * capture goes through here). */
static int
compress_frame(rh_seekable_writer *w, const void *src, size_t n, rh_buf *out)
{
	size_t bound = ZSTD_compressBound(n), csize;
	unsigned char *dst;
	int error;

	if (w->pool)
		return pool_submit(w, src, n, out);
	if (w->filter &&
	    (error = rh__filter_build(&w->fidx, &w->fdata, w->fs, src, n)) < 0)
		return error;
	if (bound > SIZE_MAX - 1 - out->size)
		return rh__error(RH_ENOMEM, "seekable blob: output too large");
	if ((error = rh_buf_grow(out, out->size + bound)) < 0)
		return error;
	dst = (unsigned char *)out->ptr + out->size;
	csize = ZSTD_compress2(w->cctx, dst, bound, src, n);
	if (ZSTD_isError(csize))
		return rh__error(RH_ERROR, "zstd: cannot compress a frame: %s",
		                 ZSTD_getErrorName(csize));
	return append_frame(w, dst, csize, n, out);
}

static int
write_data(rh_seekable_writer *w, const unsigned char *p, size_t len,
           rh_buf *out)
{
	size_t take;
	int error;

	while (len > 0) {
		/* Whole frames of the caller's data go straight to zstd. */
		if (w->pending.size == 0 && len >= w->frame_size) {
			if ((error = compress_frame(w, p, w->frame_size, out)) <
			    0)
				return error;
			take = w->frame_size;
		} else {
			if (!w->pending.ptr &&
			    (error = rh_buf_grow(&w->pending, w->frame_size)) <
			            0)
				return error;
			take = w->frame_size - w->pending.size;
			if (take > len)
				take = len;
			if ((error = rh_buf_put(&w->pending, p, take)) < 0)
				return error;
			if (w->pending.size == w->frame_size) {
				if ((error = compress_frame(w, w->pending.ptr,
				                            w->pending.size,
				                            out)) < 0)
					return error;
				rh_buf_clear(&w->pending);
			}
		}
		p += take;
		len -= take;
		w->raw_size += take;
	}
	return 0;
}

static int
check_open(const rh_seekable_writer *w, const char *fn)
{
	if (!w)
		return rh__error(RH_EINVAL, "%s: writer is NULL", fn);
	if (w->state == WRITER_FINISHED)
		return rh__error(RH_EINVAL, "%s: writer is finished", fn);
	if (w->state == WRITER_FAILED)
		return rh__error(RH_EINVAL, "%s: writer failed earlier", fn);
	return 0;
}

RH_EXTERN int
rh_seekable_writer_write(rh_seekable_writer *w, const void *data, size_t len,
                         rh_buf *out)
{
	int error;

	if ((error = check_open(w, "rh_seekable_writer_write")) < 0)
		return error;
	if (!out || (!data && len))
		return rh__error(RH_EINVAL,
		                 "rh_seekable_writer_write: NULL argument");
	if ((error = write_data(w, data, len, out)) < 0)
		w->state = WRITER_FAILED;
	return error;
}

static int
write_table(rh_seekable_writer *w, rh_buf *out)
{
	uint64_t tsize = rh_seekable__table_size(w->nframes, w->checksum);
	unsigned char *p;
	int error;

	if (tsize > SIZE_MAX - 1 - out->size)
		return rh__error(RH_ENOMEM, "seekable blob: output too large");
	if ((error = rh_buf_grow(out, out->size + (size_t)tsize)) < 0)
		return error;
	p = (unsigned char *)out->ptr + out->size;
	rh_seekable__put32(p, RH_SEEK_SKIPPABLE_MAGIC);
	rh_seekable__put32(p + 4,
	                   (uint32_t)(tsize - RH_SEEK_SKIPPABLE_HEADER_SIZE));
	p += RH_SEEK_SKIPPABLE_HEADER_SIZE;
	if (w->table.size)
		memcpy(p, w->table.ptr, w->table.size);
	p += w->table.size;
	rh_seekable__put32(p, w->nframes);
	p[4] = w->checksum ? RH_SEEK_DESC_CHECKSUM : 0;
	rh_seekable__put32(p + 5, RH_SEEK_MAGIC);
	out->size += (size_t)tsize;
	out->ptr[out->size] = '\0';
	return 0;
}

/* The search filter frame, listed in the table with a raw size of 0, when
 * at least one frame has a filter; a blob of small frames gets none. */
static int
write_filter(rh_seekable_writer *w, rh_buf *out)
{
	unsigned char entry[RH_SEEK_ENTRY_SIZE_CHECKSUM] = { 0 };
	size_t size0 = out->size, i;
	int any = 0, error;

	for (i = 0; i < w->nframes; i++)
		any |= w->fidx.ptr[i * RH_FILTER_ENTRY_SIZE + 8] != 0;
	if (!any || w->nframes >= RH_SEEK_MAX_FRAMES)
		return 0;
	if ((error = rh__filter_write(out, &w->fidx, &w->fdata, w->nframes)) <
	    0) {
		if (out->ptr) {
			out->size = size0;
			out->ptr[size0] = '\0';
		}
		if (error == RH_ENOMEM)
			return error;
		rh_error_clear(); /* too large to list: none */
		return 0;
	}
	rh_seekable__put32(entry, (uint32_t)(out->size - size0));
	if ((error = rh_buf_put(&w->table, entry,
	                        w->checksum ? RH_SEEK_ENTRY_SIZE_CHECKSUM :
	                                      RH_SEEK_ENTRY_SIZE)) < 0)
		return error;
	w->nframes++;
	return 0;
}

RH_EXTERN int
rh_seekable_writer_finish(rh_seekable_writer *w, rh_buf *out)
{
	int error;

	if ((error = check_open(w, "rh_seekable_writer_finish")) < 0)
		return error;
	if (!out)
		return rh__error(RH_EINVAL,
		                 "rh_seekable_writer_finish: out is NULL");
	/* Empty input yields zero frames and just the table: `zstd -d` reads
	 * a lone skippable frame as an empty file. */
	if (w->pending.size &&
	    (error = compress_frame(w, w->pending.ptr, w->pending.size, out)) <
	            0)
		goto done;
	rh_buf_clear(&w->pending);
	if (w->pool && (error = pool_drain(w, out)) < 0)
		goto done;
	if (w->filter && (error = write_filter(w, out)) < 0)
		goto done;
	error = write_table(w, out);
done:
	w->state = error < 0 ? WRITER_FAILED : WRITER_FINISHED;
	return error;
}

RH_EXTERN uint64_t
rh_seekable_writer_raw_size(const rh_seekable_writer *w)
{
	return w ? w->raw_size : 0;
}

RH_EXTERN void
rh_seekable_writer_free(rh_seekable_writer *w)
{
	if (!w)
		return;
	pool_free(w->pool);
	ZSTD_freeCCtx(w->cctx);
	rh_buf_dispose(&w->pending);
	rh_buf_dispose(&w->table);
	rh_buf_dispose(&w->fidx);
	rh_buf_dispose(&w->fdata);
	free(w->fs);
	free(w);
}

RH_EXTERN int
rh_seekable_compress(rh_buf *out, const void *data, size_t len,
                     const rh_seekable_options *opts)
{
	rh_seekable_writer *w = NULL;
	size_t size0;
	int error;

	if (!out || (!data && len))
		return rh__error(RH_EINVAL,
		                 "rh_seekable_compress: NULL argument");
	size0 = out->size;
	if ((error = rh_seekable_writer_new(&w, opts)) < 0 ||
	    (error = rh_seekable_writer_write(w, data, len, out)) < 0 ||
	    (error = rh_seekable_writer_finish(w, out)) < 0)
		goto done;
done:
	/* All or nothing: never leave half a blob behind in `out`. */
	if (error < 0 && out->ptr) {
		out->size = size0;
		out->ptr[size0] = '\0';
	}
	rh_seekable_writer_free(w);
	return error;
}
