/* dashboard_json.h - the bottom of the dashboard (dashboard_json.c): a JSON
 * writer, Ray's camelCase names, HTML and URL escaping, times in ms. It
 * knows nothing of requests or sessions. */
#ifndef RH_DASHBOARD_JSON_H
#define RH_DASHBOARD_JSON_H

#include "internal.h"

#include <json-c/json.h>

/* ---- JSON writer ---------------------------------------------------------
 * Appends JSON text to a buffer, putting the commas in. Failures (only
 * RH_ENOMEM) are sticky in `err`, so a handler writes a whole document and
 * checks once. */
#define RH_JW_MAX_DEPTH 64

typedef struct rh__jw {
	rh_buf *b;
	int err;
	int depth;
	int after_key;
	unsigned char first[RH_JW_MAX_DEPTH];
} rh__jw;

void rh__jw_init(rh__jw *w, rh_buf *b);
void rh__jw_obj(rh__jw *w);
void rh__jw_arr(rh__jw *w);
void rh__jw_end(rh__jw *w);              /* closes the innermost container */
void rh__jw_key(rh__jw *w, const char *k);
void rh__jw_str(rh__jw *w, const char *s);   /* NULL -> null */
void rh__jw_strn(rh__jw *w, const char *s, size_t n);
void rh__jw_int(rh__jw *w, int64_t v);
void rh__jw_num(rh__jw *w, double v);        /* as Python prints a float */
void rh__jw_bool(rh__jw *w, int v);
void rh__jw_null(rh__jw *w);
/* A JSON value given as text (trusted: from the index); NULL -> null. */
void rh__jw_raw(rh__jw *w, const char *json);
/* A json-c value; with `camel`, every object key goes through
 * rh_dashboard__camel() as Ray's to_google_style() does. */
void rh__jw_json(rh__jw *w, json_object *o, int camel);
/* Parse JSON text and write it (camel-cased keys with `camel`); text that
 * does not parse, or NULL, writes `dflt` ("null", "{}", ...). */
void rh__jw_json_text(rh__jw *w, const char *text, int camel, const char *dflt);

static inline void rh__jw_kstr(rh__jw *w, const char *k, const char *v)
{ rh__jw_key(w, k); rh__jw_str(w, v); }
static inline void rh__jw_kint(rh__jw *w, const char *k, int64_t v)
{ rh__jw_key(w, k); rh__jw_int(w, v); }
static inline void rh__jw_kbool(rh__jw *w, const char *k, int v)
{ rh__jw_key(w, k); rh__jw_bool(w, v); }
static inline void rh__jw_knull(rh__jw *w, const char *k)
{ rh__jw_key(w, k); rh__jw_null(w); }

/* Ray's to_camel_case(): "object_store_memory" -> "objectStoreMemory",
 * Python str.title() on every component after the first. */
int rh_dashboard__camel(rh_buf *out, const char *snake);
/* HTML-escape `s` into out. */
int rh_dashboard__html(rh_buf *out, const char *s);
/* Percent-encode one path segment or query value. */
int rh_dashboard__urlenc(rh_buf *out, const char *s);
/* ns since the epoch -> ms (RH_TIME_NONE stays negative: -1). */
int64_t rh_dashboard__ms(int64_t ns);
int64_t rh_dashboard__now_ms(void);
/* Drop ANSI colour codes from b->ptr[from..], as Ray does. */
void rh_dashboard__strip_ansi(rh_buf *b, size_t from);

#endif
