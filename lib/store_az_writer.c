/* store_az_writer.c - streamed writes to an az:// store.
 *
 * An object up to block_threshold bytes is buffered and sent with one
 * "Put Blob". A larger one is staged as blocks of block_size bytes ("Put
 * Block", comp=block&blockid=...) as the bytes come, and published by
 * "Put Block List" (comp=blocklist) naming them in order: until then no
 * reader sees anything, and an older blob of the key stays whole. Blocks
 * of an abandoned writer are never committed; the service drops
 * uncommitted blocks after a week, so abort has nothing to send. Blocks go
 * up one at a time from the writer's thread (unlike s3://'s parallel
 * parts).
 */
#include "internal.h"

#include <stdio.h>

#include "store_az.h"

typedef struct az_writer {
	rh_store_backend_writer parent;
	rh_az__backend *b;
	char *key;
	rh_buf buf;      /* bytes not yet sent */
	unsigned blocks; /* staged so far */
} az_writer;

/* Block ids must all have the same length before base64: a fixed-width
 * counter, "rayhist-block-000001". */
static int
block_id(rh_buf *out, unsigned n)
{
	char raw[32];
	int len = snprintf(raw, sizeof(raw), "rayhist-block-%06u", n);

	rh_buf_clear(out);
	return rh_az__base64_encode(out, raw, (size_t)len);
}

static int
put_block(az_writer *w, const void *data, size_t len)
{
	rh_buf id = RH_BUF_INIT, query = RH_BUF_INIT;
	rh_az__req q;
	int error;

	memset(&q, 0, sizeof(q));
	if (w->blocks >= RH_AZ__MAX_BLOCKS) {
		error = rh__error(
			RH_EINVAL,
			"%s/%s: more than %d blocks: raise block_size (RAYHIST_AZ_BLOCK_SIZE)",
			w->b->cfg.url, w->key, RH_AZ__MAX_BLOCKS);
		goto done;
	}
	if ((error = block_id(&id, w->blocks)) < 0 ||
	    (error = rh_buf_puts(&query, "comp=block&blockid=")) < 0 ||
	    (error = rh_s3__encode(&query, id.ptr, id.size, 0)) < 0 ||
	    (error = rh_az__req_init(&q, w->b, "PUT", "Put Block", w->key,
	                             query.ptr)) < 0)
		goto done;
	q.r.body = data;
	q.r.body_len = len;
	q.content_type = "application/octet-stream";
	if ((error = rh_az__perform(&q)) < 0)
		goto done;
	w->blocks++;
done:
	rh_az__req_dispose(&q);
	rh_buf_dispose(&id);
	rh_buf_dispose(&query);
	return error;
}

/* Send every whole block of the buffer once the object is known to be
 * large. */
static int
flush_blocks(az_writer *w, int all)
{
	size_t bs = (size_t)w->b->cfg.block_size, off = 0;
	int error = 0;

	while (w->buf.size - off >= bs || (all && w->buf.size > off)) {
		size_t n = w->buf.size - off < bs ? w->buf.size - off : bs;

		if ((error = put_block(w, w->buf.ptr + off, n)) < 0)
			break;
		off += n;
	}
	if (off) {
		memmove(w->buf.ptr, w->buf.ptr + off, w->buf.size - off);
		w->buf.size -= off;
		w->buf.ptr[w->buf.size] = '\0';
	}
	return error;
}

int
rh_az__writer_open(rh_store_backend_writer **out, rh_store_backend *be,
                   const char *key)
{
	az_writer *w;
	int error;

	*out = NULL;
	if ((error = rh_az__check_name(&((rh_az__backend *)be)->cfg, key,
	                               "key")) < 0)
		return error;
	if (!(w = rh__calloc(1, sizeof(*w))))
		return RH_ENOMEM;
	if (!(w->key = rh__strdup(key))) {
		free(w);
		return RH_ENOMEM;
	}
	w->parent.be = be;
	w->b = (rh_az__backend *)be;
	*out = &w->parent;
	return 0;
}

int
rh_az__writer_write(rh_store_backend_writer *bw, const void *data, size_t len)
{
	az_writer *w = (az_writer *)bw;
	int error;

	if ((error = rh_buf_put(&w->buf, data, len)) < 0)
		return error;
	if (w->blocks || w->buf.size > w->b->cfg.put_threshold)
		return flush_blocks(w, 0);
	return 0;
}

static void
writer_free(az_writer *w)
{
	rh_buf_dispose(&w->buf);
	free(w->key);
	free(w);
}

/* "Put Block List": every staged block, in order, as <Latest>. */
static int
put_block_list(az_writer *w)
{
	rh_buf body = RH_BUF_INIT, id = RH_BUF_INIT;
	rh_az__req q;
	unsigned i;
	int error;

	memset(&q, 0, sizeof(q));
	if ((error = rh_buf_puts(
		     &body,
		     "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>")) <
	    0)
		goto done;
	for (i = 0; i < w->blocks; i++)
		if ((error = block_id(&id, i)) < 0 ||
		    (error = rh_buf_printf(&body, "<Latest>%s</Latest>",
		                           id.ptr)) < 0)
			goto done;
	if ((error = rh_buf_puts(&body, "</BlockList>")) < 0 ||
	    (error = rh_az__req_init(&q, w->b, "PUT", "Put Block List", w->key,
	                             "comp=blocklist")) < 0)
		goto done;
	q.r.body = body.ptr;
	q.r.body_len = body.size;
	q.content_type = "application/xml";
	q.ms_extra[0] = "x-ms-blob-content-type:application/octet-stream";
	error = rh_az__perform(&q);
done:
	rh_az__req_dispose(&q);
	rh_buf_dispose(&body);
	rh_buf_dispose(&id);
	return error;
}

int
rh_az__writer_commit(rh_store_backend_writer *bw)
{
	az_writer *w = (az_writer *)bw;
	int error;

	if (w->blocks == 0)
		error = w->parent.be->ops->put(w->parent.be, w->key,
		                               w->buf.ptr ? w->buf.ptr : "",
		                               w->buf.size);
	else if ((error = flush_blocks(w, 1)) == 0)
		error = put_block_list(w);
	writer_free(w);
	return error;
}

void
rh_az__writer_abort(rh_store_backend_writer *bw)
{
	writer_free((az_writer *)bw);
}
