/* dashboard_json.h - the bottom of the dashboard (dashboard_json.c): json-c
 * values through the JSON writer (json_write.h), Ray's camelCase names,
 * HTML and URL escaping, times in ms. It knows nothing of requests or
 * sessions. */
#ifndef RH_DASHBOARD_JSON_H
#define RH_DASHBOARD_JSON_H

#include "json_write.h"

#include <json-c/json.h>

/* A json-c value; with `camel`, every object key goes through
 * rh_dashboard__camel() as Ray's to_google_style() does. */
void rh__jw_json(rh__jw *w, json_object *o, int camel);
/* Parse JSON text and write it (camel-cased keys with `camel`); text that
 * does not parse, or NULL, writes `dflt` ("null", "{}", ...). */
void rh__jw_json_text(rh__jw *w, const char *text, int camel, const char *dflt);

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
