/* dashboard_stream.c - answers sent piece by piece (dashboard.h,
 * rh_dashboard_stream): a whole log file, or a byte range of it, is read
 * through its seek tables one piece at a time as the client takes it, so a
 * 100 MB log costs a server the piece in flight, not 100 MB per client.
 * An answer made from the index (the tasks' timeline) comes from a
 * producer the same way (rh_dashboard__stream_gen()). */
#include "dashboard_internal.h"
#include "events_internal.h"

#include <stdio.h>

/* Longest ANSI colour code held back when a piece ends inside one. */
#define ANSI_HOLD 32

struct rh_dashboard_stream {
	rh_dashboard *d; /* borrowed: outlives the stream */
	rh_logfile *f;
	char *ns, *cluster, *session;
	rh_session_ref sref;       /* points at the three strings above */
	uint64_t off, end;         /* bytes of the file still to send */
	char prefix[4];            /* sent first (Ray's leading "1") */
	int ansi;                  /* drop colour codes (size then unknown) */
	rh_buf carry;              /* a code cut by the end of a piece */
	int json;                  /* as {"logs":"..."} (size then unknown) */
	int json_open;             /* its head is sent */
	rh_buf raw;                /* json: a UTF-8 sequence cut by a piece */
	rh_dash_gen_read gen_read; /* a producer instead of a log file */
	rh_dash_gen_free gen_free;
	void *gen;
};

int
rh_dashboard__stream_gen(rh_dashboard_stream **out, rh_dashboard *d,
                         rh_dash_gen_read read, rh_dash_gen_free free_fn,
                         void *arg)
{
	rh_dashboard_stream *st;

	*out = NULL;
	if (!(st = rh__calloc(1, sizeof(*st))))
		return RH_ENOMEM; /* arg stays the caller's */
	st->d = d;
	st->gen_read = read;
	st->gen_free = free_fn;
	st->gen = arg;
	*out = st;
	return 0;
}

void
rh_dashboard__stream_json(rh_dashboard_stream *st)
{
	st->json = 1;
}

/* How many bytes at the end of b start a UTF-8 sequence that the end cuts
 * (a lead byte without all its continuation bytes), so that each piece is
 * escaped as the whole text would be. */
static size_t
utf8_cut(const rh_buf *b)
{
	size_t i = b->size, lo = b->size > 3 ? b->size - 3 : 0;

	while (i > lo) {
		unsigned char c = (unsigned char)b->ptr[--i];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte */
		if (c < 0xc0)
			return 0;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return b->size - i < need ? b->size - i : 0;
	}
	return 0;
}

/* The json mode's piece: up to `max` bytes of the log, escaped. */
static int
read_json(rh_buf *out, int *done, rh_dashboard_stream *s, size_t max)
{
	size_t before, keep, at;
	int error;

	if (!s->json_open) {
		if ((error = rh_buf_puts(out, "{\"logs\":\"")) < 0)
			return error;
		s->json_open = 1;
	}
	if (s->off < s->end) {
		uint64_t n = s->end - s->off;

		if (n > max)
			n = max;
		before = s->raw.size;
		if ((error = rh_logfile_read(&s->raw, s->f, s->off,
		                             (size_t)n)) < 0)
			return error;
		if (s->raw.size == before)
			return rh__error(RH_ECORRUPT,
			                 "%s/%s/%s: a log file ended "
			                 "%llu bytes early",
			                 s->ns, s->cluster, s->session,
			                 (unsigned long long)(s->end - s->off));
		s->off += s->raw.size - before;
	}
	keep = s->off < s->end ? utf8_cut(&s->raw) : 0;
	if (s->raw.size > keep) {
		at = out->size;
		if ((error = rh__json_strn(out, s->raw.ptr, s->raw.size - keep,
		                           1)) < 0)
			return error;
		/* without the quotes rh__json_strn puts around the piece */
		memmove(out->ptr + at, out->ptr + at + 1, out->size - at - 2);
		out->size -= 2;
		out->ptr[out->size] = '\0';
		memmove(s->raw.ptr, s->raw.ptr + s->raw.size - keep, keep);
		s->raw.size = keep;
	}
	if (s->off >= s->end && (error = rh_buf_puts(out, "\"}")) < 0)
		return error;
	*done = s->off >= s->end;
	return 0;
}

int
rh_dashboard__stream_log(rh_dashboard_stream **out, rh_dashboard *d,
                         const rh_session_ref *s, const char *node_id,
                         const char *path, uint64_t start, uint64_t end,
                         const char *prefix, int ansi)
{
	rh_dashboard_stream *st;
	int error;

	*out = NULL;
	if (!(st = rh__calloc(1, sizeof(*st))))
		return RH_ENOMEM;
	st->d = d;
	st->off = start;
	st->end = end;
	st->ansi = ansi;
	snprintf(st->prefix, sizeof(st->prefix), "%s", prefix ? prefix : "");
	if (!(st->ns = rh__strdup(s->ns)) ||
	    !(st->cluster = rh__strdup(s->cluster)) ||
	    !(st->session = rh__strdup(s->session))) {
		rh_dashboard_stream_free(st);
		return RH_ENOMEM;
	}
	st->sref.ns = st->ns;
	st->sref.cluster = st->cluster;
	st->sref.session = st->session;
	/* Its own handle (and manifest copy): the request's are released when
	 * rh_dashboard_handle() returns, long before the client has read. */
	if ((error = rh_logfile_open(&st->f, d->st, &st->sref, node_id, path)) <
	    0) {
		rh_dashboard_stream_free(st);
		return error;
	}
	rh_logfile_set_cache(st->f, d->frames);
	*out = st;
	return 0;
}

/* Where a colour code that the piece [from, b->size) ends inside starts,
 * or b->size when it ends outside one. */
static size_t
cut_code(const rh_buf *b, size_t from)
{
	size_t i = b->size,
	       lo = b->size - from > ANSI_HOLD ? b->size - ANSI_HOLD : from;

	while (i > lo) {
		size_t j;

		if (b->ptr[--i] != '\x1b')
			continue;
		for (j = i + 1; j < b->size; j++) {
			char ch = b->ptr[j];
			if (j == i + 1 ?
			            ch != '[' :
			            !((ch >= '0' && ch <= '9') || ch == ';'))
				return b->size; /* complete, or not a code */
		}
		return i; /* ESC, ESC [, ESC [ 1;3 ... at the very end */
	}
	return b->size;
}

RH_EXTERN int
rh_dashboard_stream_read(rh_buf *out, int *done, rh_dashboard_stream *s,
                         size_t max)
{
	size_t at = out->size, before;
	int error;

	*done = 0;
	if (!max)
		return rh__error(RH_EINVAL,
		                 "rh_dashboard_stream_read: max is 0");
	if (s->gen_read)
		return s->gen_read(out, done, s->gen, max);
	if (s->json)
		return read_json(out, done, s, max);
	if (s->prefix[0]) {
		if ((error = rh_buf_puts(out, s->prefix)) < 0)
			return error;
		s->prefix[0] = '\0';
	}
	if (s->carry.size) {
		if ((error = rh_buf_put(out, s->carry.ptr, s->carry.size)) < 0)
			return error;
		rh_buf_clear(&s->carry);
	}
	if (s->off < s->end) {
		uint64_t n = s->end - s->off;

		if (n > max)
			n = max;
		before = out->size;
		if ((error = rh_logfile_read(out, s->f, s->off, (size_t)n)) < 0)
			return error;
		if (out->size == before)
			return rh__error(RH_ECORRUPT,
			                 "%s/%s/%s: a log file ended "
			                 "%llu bytes early",
			                 s->ns, s->cluster, s->session,
			                 (unsigned long long)(s->end - s->off));
		s->off += out->size - before;
	}
	if (s->ansi) {
		size_t cut = s->off < s->end ? cut_code(out, at) : out->size;

		if (cut < out->size) {
			if ((error = rh_buf_put(&s->carry, out->ptr + cut,
			                        out->size - cut)) < 0)
				return error;
			out->size = cut;
			out->ptr[cut] = '\0';
		}
		rh_dashboard__strip_ansi(out, at);
	}
	*done = s->off >= s->end && !s->carry.size;
	return 0;
}

RH_EXTERN uint64_t
rh_dashboard_stream_size(const rh_dashboard_stream *s)
{
	if (!s || s->ansi || s->json || s->gen_read)
		return UINT64_MAX;
	return strlen(s->prefix) + (s->end - s->off) + s->carry.size;
}

RH_EXTERN void
rh_dashboard_stream_free(rh_dashboard_stream *s)
{
	if (!s)
		return;
	if (s->gen_free)
		s->gen_free(s->gen);
	rh_logfile_close(s->f);
	rh_buf_dispose(&s->carry);
	rh_buf_dispose(&s->raw);
	free(s->ns);
	free(s->cluster);
	free(s->session);
	free(s);
}

/* A response's destructor lives with its stream, the one thing it owns
 * besides headers and bytes (the reply layer below never frees one). */
RH_EXTERN void
rh_dashboard_response_dispose(rh_dashboard_response *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	rh_buf_dispose(&r->body);
	rh_dashboard_stream_free(r->stream);
	memset(r, 0, sizeof(*r));
}
