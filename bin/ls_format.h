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

/* Print any JSON value as YAML (block style; strings quoted when plain
 * YAML would read them as something else). */
void ls_print_yaml(FILE *fp, json_object *v);

#endif
