/* json_write.h - writing JSON (json_write.c): Ray-free, under the index and
 * the dashboard alike. */
#ifndef RH_JSON_WRITE_H
#define RH_JSON_WRITE_H

#include "internal.h"

#include <string.h>

/* A JSON string (null for NULL) and [s, s+n) as one; with escape_del, 0x7f
 * as \u007f too (Python's json.dumps() does, so the dashboard's answers
 * match Ray's bytes). Bytes that are not UTF-8 are written as "\uefXX"
 * (rh_buf_put_utf8()'s mapping), so the output is always valid JSON and the
 * bytes can be asked for back. */
int rh__json_str(rh_buf *b, const char *s);
int rh__json_strn(rh_buf *b, const char *s, size_t n, int escape_del);
/* A double as Python's repr() prints it (NaN, Infinity as Python's json
 * module writes them). */
int rh__json_pyfloat(rh_buf *b, double d);

/* ---- the writer -------------------------------------------------------------
 * Appends JSON text to a buffer, putting the commas in. Failures (only
 * RH_ENOMEM) are sticky in `err`, so a caller writes a whole document and
 * checks once. Values go straight into the buffer's spare room: a page of
 * index rows is thousands of small appends. */
#define RH_JW_MAX_DEPTH 64

typedef struct rh__jw {
	rh_buf *b;
	int err;
	int depth;
	int after_key;
	/* 0x7f as \u007f (the default, as Python's json.dumps()); the index's
	 * rows have always left it as it is */
	int escape_del;
	unsigned char first[RH_JW_MAX_DEPTH];
} rh__jw;

void rh__jw_init(rh__jw *w, rh_buf *b);
void rh__jw_obj(rh__jw *w);
void rh__jw_arr(rh__jw *w);
void rh__jw_end(rh__jw *w); /* closes the innermost container */
void rh__jw_key(rh__jw *w, const char *k);
/* A key known to need no escaping (a literal of plain ASCII), copied as it
 * is: the index's rows write some thirty per row. */
void rh__jw_name_n(rh__jw *w, const char *k, size_t n);
/* Inline, so a literal's length is known where it is written. */
static inline void
rh__jw_name(rh__jw *w, const char *k)
{
	rh__jw_name_n(w, k, strlen(k));
}
void rh__jw_str(rh__jw *w, const char *s); /* NULL -> null */
void rh__jw_strn(rh__jw *w, const char *s, size_t n);
void rh__jw_int(rh__jw *w, int64_t v);
/* v in decimal followed by `suffix` ("" or ".0": a whole float). */
void rh__jw_int_suffix(rh__jw *w, int64_t v, const char *suffix);
/* As Python prints a float, NaN and infinities as null (the dashboard's
 * answers). */
void rh__jw_num(rh__jw *w, double v);
/* rh__json_pyfloat() (the index's rows). */
void rh__jw_pyfloat(rh__jw *w, double v);
void rh__jw_bool(rh__jw *w, int v);
void rh__jw_null(rh__jw *w);
/* A JSON value given as text (trusted: from the index); NULL or "" -> null. */
void rh__jw_raw(rh__jw *w, const char *json);

static inline void
rh__jw_kstr(rh__jw *w, const char *k, const char *v)
{
	rh__jw_key(w, k);
	rh__jw_str(w, v);
}
static inline void
rh__jw_kint(rh__jw *w, const char *k, int64_t v)
{
	rh__jw_key(w, k);
	rh__jw_int(w, v);
}
static inline void
rh__jw_kbool(rh__jw *w, const char *k, int v)
{
	rh__jw_key(w, k);
	rh__jw_bool(w, v);
}
static inline void
rh__jw_knull(rh__jw *w, const char *k)
{
	rh__jw_key(w, k);
	rh__jw_null(w);
}

#endif
