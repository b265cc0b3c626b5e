/* ls_format.h - rayhist-ls's output of rows: aligned tables with a header,
 * as "ray list" prints them, YAML (as "ray list --detail" and "ray get"),
 * or JSON. */
#ifndef RH_LS_FORMAT_H
#define RH_LS_FORMAT_H

#include <stdio.h>

#include <json-c/json.h>

enum ls_format { LS_TABLE, LS_JSON, LS_YAML };

/* "table", "json", "yaml"; -1 for anything else. */
int ls_format_parse(const char *s);

/* Print an array of row objects. Table: the columns `cols` (NULL-ended;
 * NULL for every key of the rows, in first-seen order), upper-case
 * headers, cells padded to the widest, missing or null cells "-", nested
 * values as compact JSON, control characters as spaces. */
void ls_print_rows(FILE *fp, json_object *rows, const char *const *cols,
                   enum ls_format fmt);

/* A table's cell, malloc'd (NULL when out of memory): "-" for NULL or "",
 * control characters (a traceback's newlines) as spaces so a row stays one
 * line. */
char *ls_cell(const char *s);

/* Print a table of `nrows` x `ncols` cells (row by row) under the columns
 * `cols`, as ls_print_rows() does. */
void ls_print_cells(FILE *fp, const char *const *cols, size_t ncols,
                    char *const *cells, size_t nrows);

/* Print any JSON value as YAML (block style; strings quoted when plain
 * YAML would read them as something else). */
void ls_print_yaml(FILE *fp, json_object *v);

#endif
