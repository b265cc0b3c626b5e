/* catalog_logfile.c - reading a captured file back across its append parts
 * (catalog.h). Each part is a seekable blob; a reader opens a part only when
 * a read touches it, so a tail of a long log opens one or two parts. */
#include "catalog_manifest.h"
#include "seekable_cache.h"

#include <stdio.h>

#define TAIL_CHUNK (64u << 10)

struct rh_logfile {
	rh_store *st;
	rh_node_manifest *owned; /* when opened by rh_logfile_open() */
	const rh_file_info *info;
	rh_seekable **readers; /* one per part, opened lazily */
	rh_buf key;
	rh_session_ref sref;
	rh_frame_cache *cache; /* borrowed, may be NULL */
	char *node_id;
	char errmsg[512];
};

static int
fail(rh_logfile *f, int error)
{
	snprintf(f->errmsg, sizeof(f->errmsg), "%s", rh_error_last());
	return error;
}

RH_EXTERN int
rh_logfile_open_manifest(rh_logfile **out, rh_store *st,
                         const rh_session_ref *s, const rh_node_manifest *m,
                         const char *path)
{
	const rh_file_info *info;
	rh_logfile *f;

	*out = NULL;
	if (!(info = rh_node_manifest_find(m, path)))
		return rh__error(RH_ENOTFOUND, "%s/%s/%s/%s: no file %s", s->ns,
		                 s->cluster, s->session, m->node_id, path);
	if (!(f = rh__calloc(1, sizeof(*f))))
		return RH_ENOMEM;
	f->st = st;
	f->info = info;
	f->sref = *s;
	if (!(f->node_id = rh__strdup(m->node_id)) ||
	    !(f->readers = rh__calloc(info->nparts ? info->nparts : 1,
	                              sizeof(*f->readers)))) {
		rh_logfile_close(f);
		return RH_ENOMEM;
	}
	*out = f;
	return 0;
}

RH_EXTERN int
rh_logfile_open(rh_logfile **out, rh_store *st, const rh_session_ref *s,
                const char *node_id, const char *path)
{
	rh_node_manifest *m = NULL;
	int error;

	*out = NULL;
	if ((error = rh_node_manifest_load(&m, st, s, node_id)) < 0)
		return error;
	if ((error = rh_logfile_open_manifest(out, st, s, m, path)) < 0) {
		rh_node_manifest_free(m);
		return error;
	}
	(*out)->owned = m;
	return 0;
}

RH_EXTERN void
rh_logfile_set_cache(rh_logfile *f, rh_frame_cache *cache)
{
	size_t i;

	f->cache = cache;
	for (i = 0; i < f->info->nparts; i++)
		if (f->readers[i])
			rh_seekable_set_cache(f->readers[i], cache);
}

RH_EXTERN uint64_t
rh_logfile_size(const rh_logfile *f)
{
	return f->info->size;
}

RH_EXTERN uint64_t
rh_logfile_size_at(const rh_logfile *f, int64_t at_ms)
{
	uint64_t end = 0;
	size_t i;

	/* Parts are in offset order; a part re-sent after a collector restart
	 * keeps its offset and takes the later time. */
	for (i = 0; i < f->info->nparts; i++) {
		const rh_file_part *p = &f->info->parts[i];

		if (p->captured_ms <= at_ms && p->offset + p->length > end)
			end = p->offset + p->length;
	}
	return end < f->info->size ? end : f->info->size;
}

RH_EXTERN uint64_t
rh_logfile_stored_size(const rh_logfile *f)
{
	return f->info->stored;
}

RH_EXTERN const char *
rh_logfile_errmsg(const rh_logfile *f)
{
	return f->errmsg;
}

RH_EXTERN void
rh_logfile_close(rh_logfile *f)
{
	size_t i;

	if (!f)
		return;
	if (f->readers)
		for (i = 0; i < f->info->nparts; i++)
			rh_seekable_close(f->readers[i]);
	free(f->readers);
	free(f->node_id);
	rh_buf_dispose(&f->key);
	rh_node_manifest_free(f->owned);
	free(f);
}

static int
part_reader(rh_seekable **out, rh_logfile *f, size_t i)
{
	const rh_file_part *p = &f->info->parts[i];
	int error;

	if (!f->readers[i]) {
		/* info is the first member of its rh__mfile (catalog_manifest.h). */
		const char *obj = rh__mfile_object((const rh__mfile *)f->info);
		if ((error = rh_layout_file_part(&f->key, &f->sref, f->node_id,
		                                 obj, p->offset)) < 0)
			return error;
		error = rh__seekable_open_shared(&f->readers[i], f->st,
		                                 f->key.ptr, f->cache);
		/* A store written before names were mapped holds a non-UTF-8
		 * name's parts under its raw bytes. */
		if (error == RH_ENOTFOUND &&
		    rh_layout__legacy_part(&f->key, &f->sref, f->node_id, obj,
		                           p->offset) == 0) {
			rh_error_clear();
			error = rh__seekable_open_shared(&f->readers[i], f->st,
			                                 f->key.ptr, f->cache);
		}
		if (error < 0)
			return error;
		rh_seekable_set_cache(f->readers[i], f->cache);
		/* A follower rewrites its newest small part with more bytes
		 * before it rewrites the manifest: a part may be longer than
		 * the manifest says (its first bytes are the same), never
		 * shorter. */
		if (rh_seekable_size(f->readers[i]) < p->length) {
			rh_seekable_close(f->readers[i]);
			f->readers[i] = NULL;
			return rh__error(RH_ECORRUPT,
			                 "%s: holds fewer bytes than its "
			                 "manifest says",
			                 f->key.ptr);
		}
	}
	*out = f->readers[i];
	return 0;
}

int
rh__logfile_part(rh_seekable **out, rh_logfile *f, size_t i)
{
	int error;

	*out = NULL;
	if (i >= f->info->nparts)
		return fail(f, rh__error(RH_EINVAL, "%s: no part %zu",
		                         f->info->path, i));
	if ((error = part_reader(out, f, i)) < 0)
		return fail(f, error);
	return 0;
}

/* Index of the part holding byte `off` (off < size). */
static size_t
part_at(const rh_file_info *info, uint64_t off)
{
	size_t lo = 0, hi = info->nparts;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (info->parts[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

RH_EXTERN int
rh_logfile_read(rh_buf *out, rh_logfile *f, uint64_t off, size_t len)
{
	uint64_t end, size = f->info->size;
	size_t i;
	int error;

	if (off >= size || len == 0)
		return 0;
	end = (len >= size - off) ? size : off + len;
	for (i = part_at(f->info, off); i < f->info->nparts && off < end; i++) {
		const rh_file_part *p = &f->info->parts[i];
		rh_seekable *sk = NULL;
		uint64_t in_part = off - p->offset;
		uint64_t want = end - off;

		if (want > p->length - in_part)
			want = p->length - in_part;
		if ((error = part_reader(&sk, f, i)) < 0 ||
		    (error = rh_seekable_read(out, sk, in_part, (size_t)want)) <
		            0)
			return fail(f, error);
		off += want;
	}
	return 0;
}

/* Where the line `nth` from the end of [0, pos) starts: the offset just
 * past the nth '\n' before pos, or 0 when there are fewer. Reads chunks
 * backwards. */
static int
find_line_start_copy(uint64_t *at, rh_logfile *f, uint64_t pos, size_t nth)
{
	rh_buf chunk = RH_BUF_INIT;
	size_t seen = 0;
	int error = 0;

	*at = 0;
	while (pos > 0) {
		uint64_t from = pos > TAIL_CHUNK ? pos - TAIL_CHUNK : 0;
		size_t k;

		rh_buf_clear(&chunk);
		if ((error = rh_logfile_read(&chunk, f, from,
		                             (size_t)(pos - from))) < 0)
			break;
		if (chunk.size != pos - from) {
			error = fail(f, rh__error(RH_ECORRUPT, "%s: short read",
			                          f->info->path));
			break;
		}
		for (k = chunk.size; k > 0;) {
			const char *nl = memrchr(chunk.ptr, '\n', k);
			if (!nl)
				break;
			k = (size_t)(nl - chunk.ptr);
			if (++seen == nth) {
				*at = from + k + 1;
				goto done;
			}
		}
		pos = from;
	}
done:
	rh_buf_dispose(&chunk);
	return error;
}

/* The same, scanning the frames in place instead of copying them out (a
 * 1,000-line tail scanned 192 KiB of copies). Returns 1, having done
 * nothing, when parts do not tile [0, pos) as their manifest lists them:
 * find_line_start_copy() then reads them as rh_logfile_read() does. */
static int
find_line_start(uint64_t *at, rh_logfile *f, uint64_t pos, size_t nth)
{
	size_t seen = 0, i;

	for (i = 1; i < f->info->nparts; i++)
		if (f->info->parts[i].offset !=
		    f->info->parts[i - 1].offset + f->info->parts[i - 1].length)
			return 1;
	if (f->info->nparts && f->info->parts[0].offset != 0)
		return 1;
	while (pos > 0) {
		size_t len, k;
		const rh_file_part *p;
		uint64_t in, from, fs;
		rh_seekable *sk = NULL;
		const char *b, *nl;
		int error;

		i = part_at(f->info, pos - 1);
		p = &f->info->parts[i];
		in = pos - 1 - p->offset;
		if (pos - 1 < p->offset || in >= p->length)
			return 1;
		/* fetch as a read of the TAIL_CHUNK bytes before pos would */
		from = in >= TAIL_CHUNK ? in + 1 - TAIL_CHUNK : 0;
		if ((error = part_reader(&sk, f, i)) < 0 ||
		    (error = rh__seekable_view(&b, &fs, &len, sk, in, from)) <
		            0)
			return fail(f, error);
		/* the frame's bytes [fs, in] are the file's before pos */
		for (k = (size_t)(in - fs) + 1; k > 0;) {
			if (!(nl = memrchr(b, '\n', k)))
				break;
			k = (size_t)(nl - b);
			if (++seen == nth) {
				*at = p->offset + fs + k + 1;
				return 0;
			}
		}
		pos = p->offset + fs;
	}
	*at = 0;
	return 0;
}

RH_EXTERN int
rh_logfile_tail(rh_buf *out, uint64_t *start_out, rh_logfile *f, size_t nlines,
                uint64_t end)
{
	rh_buf last = RH_BUF_INIT;
	uint64_t start, pos;
	int error = 0;

	if (end > f->info->size)
		end = f->info->size;
	start = end;
	if (nlines == 0 || end == 0)
		goto found;
	/* A final '\n' ends the last line; it does not start another. */
	if ((error = rh_logfile_read(&last, f, end - 1, 1)) < 0)
		goto done;
	pos = end - (last.size == 1 && last.ptr[0] == '\n');
	if ((error = find_line_start(&start, f, pos, nlines)) == 1)
		error = find_line_start_copy(&start, f, pos, nlines);
	if (error < 0)
		goto done;
found:
	if (start_out)
		*start_out = start;
	if (start < end)
		error = rh_logfile_read(out, f, start, (size_t)(end - start));
done:
	rh_buf_dispose(&last);
	return error;
}
