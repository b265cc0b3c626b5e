/* ls_format.c - tables, YAML and JSON of rayhist-ls rows (ls_format.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ls_format.h"

#define MAX_COLS 128

int
ls_format_parse(const char *s)
{
	if (!strcmp(s, "table"))
		return LS_TABLE;
	if (!strcmp(s, "json"))
		return LS_JSON;
	if (!strcmp(s, "yaml"))
		return LS_YAML;
	return -1;
}

/* Display width of UTF-8 text: code points, not bytes (wide characters
 * count one; close enough for ids, names and states). */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

char *
ls_cell(const char *s)
{
	char *out, *p;

	out = strdup(s && *s ? s : "-");
	for (p = out; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

/* A JSON value's cell: nested values as compact JSON. */
static char *
cell(json_object *row, const char *col)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(row, col, &v) || !v)
		return ls_cell(NULL);
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return ls_cell(json_object_to_json_string_ext(
			v, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	return ls_cell(json_object_get_string(v));
}

static size_t
collect_cols(const char **cols, json_object *rows)
{
	size_t n = 0, i, k;

	for (i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		json_object_object_foreach(row, key, val)
		{
			(void)val;
			for (k = 0; k < n && strcmp(cols[k], key); k++)
				;
			if (k == n && n < MAX_COLS)
				cols[n++] = key;
		}
	}
	return n;
}

static void
oom(void)
{
	fputs("out of memory\n", stderr);
	exit(1);
}

void
ls_print_cells(FILE *fp, const char *const *cols, size_t ncols,
               char *const *cells, size_t nrows)
{
	size_t i, k, w[MAX_COLS];

	if (!ncols)
		return;
	if (ncols > MAX_COLS)
		ncols = MAX_COLS;
	for (k = 0; k < ncols; k++)
		w[k] = width(cols[k]);
	for (i = 0; i < nrows; i++)
		for (k = 0; k < ncols; k++)
			if (width(cells[i * ncols + k]) > w[k])
				w[k] = width(cells[i * ncols + k]);
	for (k = 0; k < ncols; k++) {
		const char *c;
		for (c = cols[k]; *c; c++)
			fputc(toupper((unsigned char)*c), fp);
		if (k + 1 < ncols)
			fprintf(fp, "%*s", (int)(w[k] - width(cols[k]) + 2),
			        "");
	}
	fputc('\n', fp);
	for (i = 0; i < nrows; i++) {
		for (k = 0; k < ncols; k++) {
			const char *c = cells[i * ncols + k];
			fputs(c, fp);
			if (k + 1 < ncols)
				fprintf(fp, "%*s", (int)(w[k] - width(c) + 2),
				        "");
		}
		fputc('\n', fp);
	}
}

static void
print_table(FILE *fp, json_object *rows, const char *const *want)
{
	const char *cols[MAX_COLS];
	size_t ncols = 0, nrows = json_object_array_length(rows), i, k;
	char **cells;

	if (want)
		for (; want[ncols] && ncols < MAX_COLS; ncols++)
			cols[ncols] = want[ncols];
	else
		ncols = collect_cols(cols, rows);
	if (!ncols)
		return;
	if (!(cells = calloc(nrows * ncols + 1, sizeof(*cells))))
		oom();
	for (i = 0; i < nrows; i++)
		for (k = 0; k < ncols; k++)
			if (!(cells[i * ncols + k] =
			              cell(json_object_array_get_idx(rows, i),
			                   cols[k])))
				oom();
	ls_print_cells(fp, cols, ncols, cells, nrows);
	for (i = 0; i < nrows * ncols; i++)
		free(cells[i]);
	free(cells);
}

/* Can s be written as a plain YAML scalar and read back as this string? */
static int
plain_ok(const char *s)
{
	static const char *const special[] = { "true", "false", "yes",  "no",
		                               "on",   "off",   "null", "~",
		                               "y",    "n",     NULL };
	const char *p;
	char *end;
	size_t i;

	if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` ", *s) ||
	    s[strlen(s) - 1] == ' ')
		return 0;
	for (i = 0; special[i]; i++)
		if (!strcasecmp(s, special[i]))
			return 0;
	(void)strtod(s, &end);
	if (*end == '\0')
		return 0; /* reads as a number */
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '#' ||
		    (*p == ':' && (p[1] == ' ' || !p[1])) ||
		    (unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

static void
yaml_scalar(FILE *fp, json_object *v)
{
	const char *s;

	if (!v) {
		fputs("null", fp);
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_string:
		s = json_object_get_string(v);
		if (plain_ok(s))
			fputs(s, fp);
		else /* a JSON string is a YAML double-quoted scalar */
			fputs(json_object_to_json_string_ext(
				      v,
				      JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE),
			      fp);
		break;
	default:
		fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		      fp);
	}
}

static int
is_nonempty_container(json_object *v)
{
	return v && ((json_object_is_type(v, json_type_object) &&
	              json_object_object_length(v) > 0) ||
	             (json_object_is_type(v, json_type_array) &&
	              json_object_array_length(v) > 0));
}

static void yaml_value(FILE *fp, json_object *v, int indent, int inline_first);

static void
yaml_object(FILE *fp, json_object *v, int indent, int inline_first)
{
	int first = 1;

	json_object_object_foreach(v, key, val)
	{
		json_object *k = json_object_new_string(key);
		if (!(first && inline_first))
			fprintf(fp, "%*s", indent, "");
		first = 0;
		yaml_scalar(fp, k);
		json_object_put(k);
		fputc(':', fp);
		if (is_nonempty_container(val)) {
			fputc('\n', fp);
			yaml_value(fp, val,
			           json_object_is_type(val, json_type_array) ?
			                   indent :
			                   indent + 2,
			           0);
		} else {
			fputc(' ', fp);
			yaml_value(fp, val, indent + 2, 1);
		}
	}
}

static void
yaml_value(FILE *fp, json_object *v, int indent, int inline_first)
{
	size_t i;

	if (is_nonempty_container(v) &&
	    json_object_is_type(v, json_type_object)) {
		yaml_object(fp, v, indent, inline_first);
	} else if (is_nonempty_container(v)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i);
			fprintf(fp, "%*s- ", indent, "");
			if (is_nonempty_container(e))
				yaml_value(fp, e, indent + 2, 1);
			else {
				yaml_scalar(fp, e);
				fputc('\n', fp);
			}
		}
	} else {
		if (v && json_object_is_type(v, json_type_object))
			fputs("{}", fp);
		else if (v && json_object_is_type(v, json_type_array))
			fputs("[]", fp);
		else
			yaml_scalar(fp, v);
		fputc('\n', fp);
	}
}

void
ls_print_yaml(FILE *fp, json_object *v)
{
	yaml_value(fp, v, 0, 0);
}

void
ls_print_rows(FILE *fp, json_object *rows, const char *const *cols,
              enum ls_format fmt)
{
	switch (fmt) {
	case LS_JSON:
		fprintf(fp, "%s\n",
		        json_object_to_json_string_ext(
				rows, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE));
		break;
	case LS_YAML:
		if (json_object_array_length(rows))
			ls_print_yaml(fp, rows);
		else
			fputs("[]\n", fp);
		break;
	default: print_table(fp, rows, cols);
	}
}
