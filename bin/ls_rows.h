/* ls_rows.h - the rows of a query as rayhist-ls prints them, read from the
 * library's typed rows (rh_query_next), never from JSON text: the cells of
 * a table's columns (rh_row_value), or whole rows in Ray's shape as json-c
 * values (rh_dashboard_row_walk) for --detail, YAML and --get. */
#ifndef RH_LS_ROWS_H
#define RH_LS_ROWS_H

#include <stdio.h>

#include <json-c/json.h>
#include <rayhist/rayhist.h>

#include "ls_format.h"

struct ls_rows {
	const char *const *cols; /* the table's columns; NULL: whole rows */
	size_t ncols;
	char **cells;      /* nrows x ncols, with cols */
	json_object *rows; /* an array of whole rows, without */
	size_t nrows, cap;
};

/* Run a query into `out` (zeroed first): the cells of `cols` (NULL-ended),
 * or with cols NULL whole rows, detail columns with o->detail. Returns 0 or
 * the library's RH_E* code (RH_ECORRUPT: a damaged page); dies when out of
 * memory. */
int ls_rows_fetch(struct ls_rows *out, rh_query_counts *counts, rh_index *ix,
                  rh_entity what, const rh_query_options *o,
                  const char *const *cols);

/* Print them: a table of the cells, or whole rows as ls_print_rows() does. */
void ls_rows_print(FILE *fp, const struct ls_rows *r, enum ls_format fmt);

/* Release them. */
void ls_rows_dispose(struct ls_rows *r);

/* A summary in Ray's shape as a json-c object, from the typed summary
 * (rh_dashboard_summary_walk); the caller puts it. Dies on failure. */
json_object *ls_summary_json(const rh_summary *sum);

#endif
