/* ls_search.c - rayhist-ls --grep: the library searches, this prints. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "ls_search.h"
#include "progress.h"

struct out {
	rh_meter meter; /* on stderr; erased before each line printed */
	int json;
	unsigned context;
	uint64_t n; /* lines printed */
	rh_buf name, text;
};

static void
put(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		rh_cli_die(0, "writing to stdout failed");
}

/* A JSON string of any bytes: those outside UTF-8 mapped reversibly
 * (rh_buf_put_utf8), so the output is always valid JSON. */
static json_object *
jbytes(rh_buf *b, const char *s, size_t n)
{
	rh_buf_clear(b);
	if (rh_buf_put_utf8(b, s, n) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	return json_object_new_string_len(b->ptr ? b->ptr : "", (int)b->size);
}

static int
print_line(const rh_search_line *l, void *payload)
{
	struct out *o = payload;
	char num[32];

	rh_meter_done(&o->meter); /* a match never shares the meter's line */

	if (rh_catalog_display_path(&o->name, l->path,
	                            o->json ? 0 : RH_DISPLAY_CONTROL) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	if (o->json) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "node",
		                       json_object_new_string(l->node_id));
		json_object_object_add(
			j, "file",
			json_object_new_string(o->name.ptr ? o->name.ptr : ""));
		json_object_object_add(j, "line",
		                       json_object_new_int64((int64_t)l->line));
		json_object_object_add(
			j, "offset", json_object_new_int64((int64_t)l->offset));
		json_object_object_add(j, "match",
		                       json_object_new_boolean(!l->context));
		json_object_object_add(j, "text",
		                       jbytes(&o->text, l->text, l->len));
		printf("%s%s", o->n ? ",\n" : "[\n",
		       json_object_to_json_string_ext(j,
		                                      JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		if (l->group_start && o->context)
			put("--\n", 3);
		printf("%s/%s%c", l->node_id, o->name.ptr ? o->name.ptr : "",
		       l->context ? '-' : ':');
		snprintf(num, sizeof(num), "%" PRIu64 "%c", l->line,
		         l->context ? '-' : ':');
		put(num, strlen(num));
		put(l->text, l->len);
		put("\n", 1);
	}
	o->n++;
	if (o->meter.on)
		fflush(stdout); /* out before the meter is drawn again */
	return 0;
}

int
rh_ls_grep(rh_store *st, const rh_session_ref *s, const char *pattern,
           const rh_search_options *opts, int json, int quiet)
{
	rh_search_options mo = *opts;
	struct out o;
	rh_search_stats stats = RH_SEARCH_STATS_INIT;
	int error;

	memset(&o, 0, sizeof(o));
	o.json = json;
	o.context = opts->context;
	rh_meter_init(&o.meter, "searching", quiet);
	mo.progress = rh_meter_update;
	mo.progress_payload = &o.meter;
	error = rh_search_session(&stats, st, s, pattern, &mo, print_line, &o);
	fflush(stdout);
	rh_meter_done(&o.meter);
	if (json)
		printf("%s]\n", o.n ? "\n" : "[");
	if (fflush(stdout) != 0)
		rh_cli_die(0, "writing to stdout failed");
	rh_buf_dispose(&o.name);
	rh_buf_dispose(&o.text);
	if (error == RH_EINVAL) {
		rh_cli_warn("%s", rh_error_last());
		return 2;
	}
	if (error < 0)
		rh_cli_die(error, "searching %s/%s/%s", s->ns, s->cluster,
		           s->session);
	if (stats.errors) {
		rh_cli_warn("%" PRIu64
		            " file(s) could not be read; the first: %s",
		            stats.errors, rh_error_last());
		return 2;
	}
	return stats.matches ? 0 : 1;
}
