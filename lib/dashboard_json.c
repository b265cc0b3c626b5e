/* dashboard_json.c - writing JSON, HTML and URLs for the dashboard's
 * responses. Ray's dashboard is written in Python, so numbers are printed as
 * Python prints them and keys are camel-cased as its to_google_style()
 * does. */
#include "dashboard_json.h"
#include "events_internal.h"

#include <stdio.h>
#include <time.h>

void
rh__jw_json(rh__jw *w, json_object *o, int camel)
{
	rh_buf k = RH_BUF_INIT;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_null: rh__jw_null(w); break;
	case json_type_boolean:
		rh__jw_bool(w, json_object_get_boolean(o));
		break;
	case json_type_double: rh__jw_num(w, json_object_get_double(o)); break;
	case json_type_int: rh__jw_int(w, json_object_get_int64(o)); break;
	case json_type_string:
		rh__jw_strn(w, json_object_get_string(o),
		            (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		rh__jw_arr(w);
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			rh__jw_json(w, json_object_array_get_idx(o, i), camel);
		rh__jw_end(w);
		break;
	case json_type_object:
		rh__jw_obj(w);
		json_object_object_foreach(o, key, val)
		{
			if (camel) {
				rh_buf_clear(&k);
				if (rh_dashboard__camel(&k, key) < 0 && !w->err)
					w->err = RH_ENOMEM;
				rh__jw_key(w, k.ptr ? k.ptr : "");
			} else {
				rh__jw_key(w, key);
			}
			rh__jw_json(w, val, camel);
		}
		rh__jw_end(w);
		break;
	}
	rh_buf_dispose(&k);
}

void
rh__jw_json_text(rh__jw *w, const char *text, int camel, const char *dflt)
{
	json_object *o;

	if (!text || !*text || !(o = json_tokener_parse(text))) {
		rh__jw_raw(w, dflt);
		return;
	}
	rh__jw_json(w, o, camel);
	json_object_put(o);
}

/* ---- names, HTML, URLs, times --------------------------------------------- */

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int
rh_dashboard__camel(rh_buf *out, const char *snake)
{
	const char *p = snake, *us;
	int error, first = 1;

	while (p) {
		size_t n;
		int prev_cased = 0;

		us = strchr(p, '_');
		n = us ? (size_t)(us - p) : strlen(p);
		if (first) {
			if ((error = rh_buf_put(out, p, n)) < 0)
				return error;
			first = 0;
		} else {
			size_t i;
			for (i = 0; i < n; i++) {
				char ch = p[i];
				if (is_alpha(ch)) {
					if (prev_cased)
						ch = (char)(ch >= 'A' && ch <= 'Z' ?
						                    ch + 32 :
						                    ch);
					else
						ch = (char)(ch >= 'a' && ch <= 'z' ?
						                    ch - 32 :
						                    ch);
					prev_cased = 1;
				} else {
					prev_cased = 0;
				}
				if ((error = rh_buf_put(out, &ch, 1)) < 0)
					return error;
			}
		}
		p = us ? us + 1 : NULL;
	}
	return out->ptr ? 0 : rh_buf_puts(out, "");
}

int
rh_dashboard__html(rh_buf *out, const char *s)
{
	int error = 0;

	for (; s && *s && !error; s++) {
		switch (*s) {
		case '&': error = rh_buf_puts(out, "&amp;"); break;
		case '<': error = rh_buf_puts(out, "&lt;"); break;
		case '>': error = rh_buf_puts(out, "&gt;"); break;
		case '"': error = rh_buf_puts(out, "&quot;"); break;
		case '\'': error = rh_buf_puts(out, "&#39;"); break;
		default: error = rh_buf_put(out, s, 1);
		}
	}
	return error;
}

int
rh_dashboard__urlenc(rh_buf *out, const char *s)
{
	int error = 0;

	for (; s && *s && !error; s++) {
		unsigned char c = (unsigned char)*s;
		if (is_alpha(c) || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~')
			error = rh_buf_put(out, s, 1);
		else
			error = rh_buf_printf(out, "%%%02X", c);
	}
	return error;
}

int64_t
rh_dashboard__ms(int64_t ns)
{
	if (ns == RH_TIME_NONE || ns < 0)
		return -1;
	return ns / 1000000;
}

int64_t
rh_dashboard__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drop ANSI colour codes, ESC [ digits-and-semicolons m, as Ray does. */
void
rh_dashboard__strip_ansi(rh_buf *b, size_t from)
{
	size_t i = from, o = from;

	while (i < b->size) {
		if (b->ptr[i] == '\x1b' && i + 2 < b->size &&
		    b->ptr[i + 1] == '[') {
			size_t j = i + 2;
			while (j < b->size &&
			       ((b->ptr[j] >= '0' && b->ptr[j] <= '9') ||
			        b->ptr[j] == ';'))
				j++;
			if (j > i + 2 && j < b->size && b->ptr[j] == 'm') {
				i = j + 1;
				continue;
			}
		}
		b->ptr[o++] = b->ptr[i++];
	}
	b->size = o;
	if (b->ptr)
		b->ptr[o] = '\0';
}
