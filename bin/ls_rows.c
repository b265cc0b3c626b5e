/* ls_rows.c - a query's rows for rayhist-ls's tables, YAML and --get
 * (ls_rows.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ls_rows.h"

static void *
must(void *p)
{
	if (!p)
		rh_cli_die(RH_ENOMEM, "out of memory");
	return p;
}

/* A string as the library's JSON writes it: bytes outside UTF-8 mapped
 * reversibly (rh_buf_put_utf8), as the state API's rows carry them. */
static json_object *
jstring(const char *s)
{
	rh_buf b = RH_BUF_INIT;
	json_object *o;

	if (rh_buf_put_utf8(&b, s, strlen(s)) < 0)
		rh_cli_die(RH_ENOMEM, "out of memory");
	o = must(json_object_new_string_len(b.ptr ? b.ptr : "", (int)b.size));
	rh_buf_dispose(&b);
	return o;
}

/* ---- table cells: rh_row_value() ----------------------------------------- */

static char *
value_cell(const rh_value *v)
{
	rh_buf b = RH_BUF_INIT;
	char num[32], *c;

	switch (v->type) {
	case RH_VALUE_STRING:
		if (rh_buf_put_utf8(&b, v->s, strlen(v->s)) < 0 ||
		    rh_buf_put(&b, "", 1) < 0)
			rh_cli_die(RH_ENOMEM, "out of memory");
		c = must(ls_cell(b.ptr));
		rh_buf_dispose(&b);
		return c;
	case RH_VALUE_INT:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		return must(ls_cell(num));
	case RH_VALUE_BOOL: return must(ls_cell(v->i ? "true" : "false"));
	default: return must(ls_cell(NULL));
	}
}

static int
add_cells(struct ls_rows *r, const rh_row *row)
{
	size_t k;
	int error;

	if (r->nrows == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->cells = must(realloc(r->cells,
		                        r->cap * r->ncols * sizeof(*r->cells)));
	}
	for (k = 0; k < r->ncols; k++) {
		rh_value v;

		if ((error = rh_row_value(&v, row, r->cols[k])) < 0)
			return error;
		r->cells[r->nrows * r->ncols + k] = value_cell(&v);
	}
	r->nrows++;
	return 0;
}

/* ---- whole rows: rh_dashboard_row_walk() into json-c values ------------- */

#define MAX_DEPTH 16

struct build {
	json_object *stack[MAX_DEPTH];
	int depth;
};

static json_object *
value_json(const rh_value *v)
{
	json_object *o;

	switch (v->type) {
	case RH_VALUE_STRING: return jstring(v->s);
	case RH_VALUE_INT: return must(json_object_new_int64(v->i));
	case RH_VALUE_BOOL: return must(json_object_new_boolean(v->i != 0));
	case RH_VALUE_FLOAT: /* printed as Ray prints it */
		return must(json_object_new_double_s(v->d, v->s));
	case RH_VALUE_JSON:
		/* JSON text Ray stored (resources, labels): a value to show
		 * nested; kept as a string should it not parse */
		return (o = json_tokener_parse(v->s)) ? o : jstring(v->s);
	default: return NULL;
	}
}

/* Whether s has bytes outside ASCII, which may not be UTF-8. */
static int
has_high(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static int
put(struct build *b, const char *key, json_object *o)
{
	json_object *top = b->stack[b->depth - 1];
	rh_buf k = RH_BUF_INIT;

	if (!key) {
		json_object_array_add(top, o);
	} else if (!has_high(key)) {
		json_object_object_add(top, key, o);
	} else {
		/* a summary's keys are names: mapped as the library's JSON
		 * writes them, as values are (jstring) */
		if (rh_buf_put_utf8(&k, key, strlen(key)) < 0 ||
		    rh_buf_put(&k, "", 1) < 0)
			rh_cli_die(RH_ENOMEM, "out of memory");
		json_object_object_add(top, k.ptr, o);
		rh_buf_dispose(&k);
	}
	return 0;
}

static int
on_value(const char *key, const rh_value *v, void *payload)
{
	return put(payload, key, value_json(v));
}

static int
on_open(const char *key, int is_array, void *payload)
{
	struct build *b = payload;
	json_object *o = must(is_array ? json_object_new_array() :
	                                 json_object_new_object());

	if (b->depth == MAX_DEPTH) {
		json_object_put(o);
		return RH_ERROR;
	}
	put(b, key, o);
	b->stack[b->depth++] = o;
	return 0;
}

static int
on_close(void *payload)
{
	struct build *b = payload;

	b->depth--;
	return 0;
}

/* The walks of rows and summaries hand their fields to these, which build
 * the JSON object rooted at b->stack[0]. */
static const rh_dashboard_row_visitor to_json = {
	RH_DASHBOARD_ROW_VISITOR_VERSION,
	on_value,
	on_open,
	on_close,
};

static void
build_begin(struct build *b)
{
	b->stack[0] = must(json_object_new_object());
	b->depth = 1;
}

static int
add_row(struct ls_rows *r, const rh_row *row, int detail)
{
	struct build b;
	int error;

	build_begin(&b);
	if ((error = rh_dashboard_row_walk(row, detail, &to_json, &b)) != 0) {
		json_object_put(b.stack[0]);
		return error < 0 ? error : RH_ERROR;
	}
	json_object_array_add(r->rows, b.stack[0]);
	r->nrows++;
	return 0;
}

json_object *
ls_summary_json(const rh_summary *sum)
{
	struct build b;
	int error;

	build_begin(&b);
	if ((error = rh_dashboard_summary_walk(sum, &to_json, &b)) != 0)
		rh_cli_die(error < 0 ? error : RH_ERROR, "--summary");
	return b.stack[0];
}

/* ------------------------------------------------------------------------- */

int
ls_rows_fetch(struct ls_rows *out, rh_query_counts *counts, rh_index *ix,
              rh_entity what, const rh_query_options *o,
              const char *const *cols)
{
	rh_query *q = NULL;
	const rh_row *row;
	int error;

	memset(out, 0, sizeof(*out));
	if ((out->cols = cols))
		while (cols[out->ncols])
			out->ncols++;
	else
		out->rows = must(json_object_new_array());
	if ((error = rh_query_open(&q, ix, what, o)) < 0)
		return error;
	while ((error = rh_query_next(&row, q)) == 0)
		if ((error = cols ? add_cells(out, row) :
		                    add_row(out, row, o->detail)) < 0)
			break;
	if (error == RH_ITEROVER) {
		error = 0;
		rh_query_counts_get(counts, q);
	}
	rh_query_close(q);
	return error;
}

void
ls_rows_print(FILE *fp, const struct ls_rows *r, enum ls_format fmt)
{
	if (r->cols)
		ls_print_cells(fp, r->cols, r->ncols, r->cells, r->nrows);
	else
		ls_print_rows(fp, r->rows, NULL, fmt);
}

void
ls_rows_dispose(struct ls_rows *r)
{
	size_t i;

	for (i = 0; r->cols && i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	json_object_put(r->rows);
	memset(r, 0, sizeof(*r));
}
