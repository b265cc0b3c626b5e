/* events_ingest.c - store a RayEvent batch in a session under a name derived
 * from its content, so the same batch ingested twice is stored once. */
#include "internal.h"
#include "events_internal.h"
#include "sha256.h"

#include <archive.h>
#include <zstd.h>

/* Decompressed batches larger than this are refused: a batch is at most
 * 10,000 events (the aggregator's MAX_EVENT_SEND_BATCH_SIZE), and a zip bomb
 * must not exhaust memory. */
#define INGEST_MAX_RAW ((size_t)4 << 30)

/* A batch may not decompress past INGEST_MAX_RAW (a zip bomb). */
static int
too_big(const char *name)
{
	return rh__error(RH_EINVAL, "%s: decompresses to more than %zu bytes",
	                 name, INGEST_MAX_RAW);
}

static int
unzstd(rh_buf *out, const char *name, const void *data, size_t len)
{
	ZSTD_DStream *ds;
	ZSTD_inBuffer in = { data, len, 0 };
	size_t rc = 1;
	int error = 0;

	if (!(ds = ZSTD_createDStream()))
		return rh__error(RH_ENOMEM, "out of memory for zstd");
	ZSTD_initDStream(ds);
	while (in.pos < in.size || rc != 0) {
		ZSTD_outBuffer ob;
		size_t before = in.pos;

		if ((error = rh_buf_grow(
			     out, out->size + ZSTD_DStreamOutSize())) < 0)
			goto done;
		ob.dst = out->ptr + out->size;
		ob.size = out->asize - out->size - 1;
		ob.pos = 0;
		rc = ZSTD_decompressStream(ds, &ob, &in);
		if (ZSTD_isError(rc)) {
			error = rh__error(RH_EINVAL, "%s: bad zstd data: %s",
			                  name, ZSTD_getErrorName(rc));
			goto done;
		}
		out->size += ob.pos;
		out->ptr[out->size] = '\0';
		if (out->size > INGEST_MAX_RAW) {
			error = too_big(name);
			goto done;
		}
		if (in.pos == in.size && ob.pos == 0 && in.pos == before) {
			if (rc != 0)
				error = rh__error(RH_EINVAL,
				                  "%s: truncated zstd data",
				                  name);
			break;
		}
	}
done:
	ZSTD_freeDStream(ds);
	return error;
}

static int
ungzip(rh_buf *out, const char *name, const void *data, size_t len)
{
	struct archive *a;
	struct archive_entry *ent;
	char chunk[65536];
	la_ssize_t n;
	int error = 0;

	if (!(a = archive_read_new()))
		return rh__error(RH_ENOMEM, "out of memory for libarchive");
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		error = rh__error(RH_EINVAL, "%s: bad gzip data: %s", name,
		                  archive_error_string(a));
		goto done;
	}
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if ((error = rh_buf_put(out, chunk, (size_t)n)) < 0)
			goto done;
		if (out->size > INGEST_MAX_RAW) {
			error = too_big(name);
			goto done;
		}
	}
	if (n < 0)
		error = rh__error(RH_EINVAL, "%s: bad gzip data: %s", name,
		                  archive_error_string(a));
done:
	archive_read_free(a);
	return error;
}

static int
count_cb(const rh_event *ev, void *payload)
{
	(void)ev;
	(*(uint64_t *)payload)++;
	return 0;
}

/* "NS/CLUSTER/SESSION/" -> the layout's batch name; any other prefix gets
 * "events/DIGEST.json.zst" appended the same way. */
static int
batch_key(rh_buf *out, const char *prefix, const char *digest)
{
	char part[3][254];
	const char *s = prefix, *slash;
	rh_session_ref ref;
	int i;

	for (i = 0; i < 3; i++) {
		if (!(slash = strchr(s, '/')) || slash == s ||
		    (size_t)(slash - s) >= sizeof(part[i]))
			break;
		memcpy(part[i], s, (size_t)(slash - s));
		part[i][slash - s] = '\0';
		s = slash + 1;
	}
	if (i == 3 && !*s) {
		ref.ns = part[0];
		ref.cluster = part[1];
		ref.session = part[2];
		return rh_layout_event_batch(out, &ref, digest);
	}
	rh_buf_clear(out);
	return rh_buf_printf(out, "%sevents/%s.json.zst", prefix, digest);
}

RH_EXTERN int
rh_events_ingest(rh_buf *key_out, int *added_out, rh_store *st,
                 const char *session_prefix, const char *name, const void *data,
                 size_t len)
{
	rh_event_parse_options po = RH_EVENT_PARSE_OPTIONS_INIT;
	const unsigned char *b = data;
	rh_buf raw = RH_BUF_INIT, key = RH_BUF_INIT, blob = RH_BUF_INIT;
	const char *json;
	size_t jlen;
	unsigned char digest[32];
	char hex[65];
	rh_sha256 sha;
	uint64_t nrec = 0, size;
	size_t plen;
	int error;

	if (added_out)
		*added_out = 0;
	if (!st || !session_prefix || (!data && len))
		return rh__error(RH_EINVAL, "rh_events_ingest: NULL argument");
	plen = strlen(session_prefix);
	if (plen == 0 || session_prefix[plen - 1] != '/')
		return rh__error(RH_EINVAL,
		                 "session prefix \"%s\" does not end in '/'",
		                 session_prefix);
	if (!name)
		name = "(batch)";
	if (len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f &&
	    b[3] == 0xfd)
		error = unzstd(&raw, name, data, len);
	else if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		error = ungzip(&raw, name, data, len);
	else
		error = 0;
	if (error < 0)
		goto done;
	json = raw.ptr ? raw.ptr : data;
	jlen = raw.ptr ? raw.size : len;

	/* Every line must parse; the batch is stored as received, unknown
	 * event types included, so a newer reader can use them later. */
	po.format = RH_EVENT_FORMAT_RAYEVENT;
	po.strict = 1;
	if ((error = rh_event_parse(NULL, name, json, jlen, &po, count_cb,
	                            &nrec)) < 0)
		goto done;

	rh__sha256_init(&sha);
	rh__sha256_update(&sha, json, jlen);
	rh__sha256_final(&sha, digest);
	rh__sha256_hex(hex, digest);
	if ((error = batch_key(&key, session_prefix, hex)) < 0)
		goto done;
	error = rh_store_head(&size, NULL, st, key.ptr);
	if (error == RH_ENOTFOUND) {
		if ((error = rh_seekable_compress(&blob, json, jlen, NULL)) <
		            0 ||
		    (error = rh_store_put(st, key.ptr, blob.ptr, blob.size)) <
		            0)
			goto done;
		if (added_out)
			*added_out = 1;
	} else if (error < 0) {
		goto done;
	}
	if (key_out)
		error = rh_buf_put(key_out, key.ptr, key.size);
done:
	rh_buf_dispose(&raw);
	rh_buf_dispose(&key);
	rh_buf_dispose(&blob);
	return error;
}
