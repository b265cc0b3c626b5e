/* test_search.c - rh_search_session() against a line-by-line reference, for
 * every way lines can fall across frames (16-byte frames) and work units (1
 * byte and up), on 1 and 3 threads; --max; bad patterns. */
#define _GNU_SOURCE 1 /* memmem */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "search_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-11-12_22-10-31_123456_42"

static char tmp[256], sdir[512];
static rh_store *st;
static const rh_session_ref S = { "default", "c1", SESSION };
static char *data[2];
static size_t dlen[2];
static const char *names[2] = { "logs/a.log", "logs/b.log" };

static void
put_file(const char *rel, const char *p, size_t n)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_not_null(fp = fopen(path, "wb"));
	cr_assert_eq(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

static void
setup(void)
{
	const char *raylet =
		"[2025-11-12 22:10:31,123 I 1 1] (raylet) main.cc:595: "
		"Setting node ID node_id=" NODE "\n";
	const char alphabet[] = "aabbAB \n\n\xff";
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	char path[600];
	size_t i, k;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-search-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	cr_assert_eq(mkdir(sdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs", sdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	put_file("logs/raylet.out", raylet, strlen(raylet));
	srand(14);
	for (k = 0; k < 2; k++) {
		dlen[k] = k ? 3000 : 1200;
		/* NUL after the end: ASan's regexec() reads to one even with
		 * REG_STARTEND */
		data[k] = calloc(1, dlen[k] + 1);
		for (i = 0; i < dlen[k]; i++)
			data[k][i] = alphabet[rand() % (sizeof(alphabet) - 1)];
		/* a long line, and (b) no '\n' at the end */
		memset(data[k] + 100, 'a', 300);
		if (k)
			data[k][dlen[k] - 1] = 'b';
		put_file(names[k], data[k], dlen[k]);
	}
	snprintf(path, sizeof(path), "%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, path, NULL), 0, "%s", rh_error_last());
	o.cluster = "c1";
	o.frame_size = 16;
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
}

static void
teardown(void)
{
	char cmd[600];

	rh_store_close(st);
	free(data[0]);
	free(data[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(search, .init = setup, .fini = teardown);

/* "path:line:text\n" for each reported line */
static int
collect(const rh_search_line *l, void *payload)
{
	rh_buf *b = payload;

	cr_assert_str_eq(l->node_id, NODE);
	cr_assert_eq(l->context, 0);
	rh_buf_printf(b, "%s:%llu:", l->path, (unsigned long long)l->line);
	rh_buf_put(b, l->text, l->len);
	rh_buf_put(b, "\n", 1);
	return 0;
}

static int
line_matches(const char *p, size_t n, const char *pat, unsigned flags)
{
	if (!(flags & RH_SEARCH_FIXED)) {
		regex_t re;
		regmatch_t pm = { 0, (regoff_t)n };
		int r;
		cr_assert_eq(
			regcomp(&re, pat,
		                ((flags & RH_SEARCH_EXTENDED) ? REG_EXTENDED :
		                                                0) |
		                        ((flags & RH_SEARCH_ICASE) ? REG_ICASE :
		                                                     0)),
			0);
		r = regexec(&re, p, 1, &pm, REG_STARTEND) == 0;
		regfree(&re);
		return r;
	}
	if (flags & RH_SEARCH_ICASE) {
		size_t i, k, m = strlen(pat);
		for (i = 0; i + m <= n; i++) {
			for (k = 0;
			     k < m && (p[i + k] | 0x20) == (pat[k] | 0x20); k++)
				;
			if (k == m)
				return 1;
		}
		return 0;
	}
	return memmem(p, n, pat, strlen(pat)) != NULL;
}

/* The reference: every line of both files, in order, tested alone. */
static void
reference(rh_buf *b, const char *pat, unsigned flags, uint64_t max)
{
	uint64_t found = 0;
	size_t k, s, e, line;

	for (k = 0; k < 2; k++) {
		for (s = 0, line = 1; s < dlen[k]; s = e + 1, line++) {
			const char *nl = memchr(data[k] + s, '\n', dlen[k] - s);
			e = nl ? (size_t)(nl - data[k]) : dlen[k];
			if (!line_matches(data[k] + s, e - s, pat, flags))
				continue;
			if (max && found++ == max)
				return;
			rh_buf_printf(b, "%s:%zu:", names[k], line);
			rh_buf_put(b, data[k] + s, e - s);
			rh_buf_put(b, "\n", 1);
		}
	}
}

static void
check(const char *pat, unsigned flags, uint64_t max)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 16, 17, 64, 301, 0 };
	rh_search_options o = RH_SEARCH_OPTIONS_INIT;
	rh_buf want = RH_BUF_INIT, got = RH_BUF_INIT;
	rh_search_stats stats = RH_SEARCH_STATS_INIT;
	size_t i;
	unsigned t;

	reference(&want, pat, flags, max);
	rh_buf_puts(&want, "");
	o.flags = flags;
	o.max_matches = max;
	o.file_glob = "?.log";
	for (t = 1; t <= 3; t += 2) {
		for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
			o.threads = t;
			o.chunk_size = chunks[i];
			rh_buf_clear(&got);
			rh_buf_puts(&got, "");
			cr_assert_eq(rh_search_session(&stats, st, &S, pat, &o,
			                               collect, &got),
			             0, "%s", rh_error_last());
			cr_assert_eq(got.size, want.size,
			             "\"%s\" chunk %zu threads %u: "
			             "%zu bytes, want %zu\n%s\n---\n%s",
			             pat, chunks[i], t, got.size, want.size,
			             got.ptr, want.ptr);
			cr_assert(!memcmp(got.ptr, want.ptr, want.size),
			          "\"%s\" chunk %zu threads %u:\n%s\n---\n%s",
			          pat, chunks[i], t, got.ptr, want.ptr);
			cr_assert_eq(stats.errors, 0);
		}
	}
	rh_buf_dispose(&want);
	rh_buf_dispose(&got);
}

Test(search, fixed_strings_across_every_edge)
{
	check("ab", RH_SEARCH_FIXED, 0);
	check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", RH_SEARCH_FIXED, 0);
	check("b \xff", RH_SEARCH_FIXED, 0);
	check("Ab", RH_SEARCH_FIXED | RH_SEARCH_ICASE, 0);
	check("", RH_SEARCH_FIXED, 0);
}

Test(search, regexes_stay_inside_their_line)
{
	check("^a+b$", RH_SEARCH_EXTENDED, 0);
	check("b[[:space:]]+a", RH_SEARCH_EXTENDED, 0); /* '\n' is a space */
	check("^$", RH_SEARCH_EXTENDED, 0);
	check("(ab|ba) ", RH_SEARCH_EXTENDED | RH_SEARCH_ICASE, 0);
	check("b$", RH_SEARCH_EXTENDED, 0);
}

/* Regexes searched through their literal (search_match.c): lines that hold
 * it without matching, literals made optional by a quantifier or a group,
 * BRE against ERE, case folding. */
Test(search, regexes_with_a_literal_match_as_without)
{
	check("ab+a", RH_SEARCH_EXTENDED, 0);
	check("a?bA", RH_SEARCH_EXTENDED, 0);
	check("[ab]b A", RH_SEARCH_EXTENDED, 0);
	check("b(a|b)*A", RH_SEARCH_EXTENDED, 0);
	check("aB*b a", RH_SEARCH_EXTENDED, 0);
	check("(ab)+ ", RH_SEARCH_EXTENDED, 0);
	check("B a{2}", RH_SEARCH_EXTENDED | RH_SEARCH_ICASE, 0);
	check("^b.*a \xff", RH_SEARCH_EXTENDED, 0);
	check("ab*a", 0, 0);
	check("a+b", 0, 0); /* '+' is a byte in a BRE */
	check("b\\.*A", 0, 0);
	check("\\(ab\\)*A", 0, 0);
	check("bA$", RH_SEARCH_ICASE, 3);
}

struct lit_case {
	const char *pattern;
	int ere, icase;
	const char *want; /* NULL: none */
};

Test(search, the_literal_of_a_regex_is_in_every_match)
{
	static const struct lit_case cases[] = {
		{ "RAREWORD_[A-Z]+14", 1, 0, "RAREWORD_" },
		{ "ab+cd", 1, 0, "ab" },
		{ "abc?def", 1, 0, "def" },
		{ "abcd*e", 0, 0, "abc" },
		{ "x{2,3}yz", 1, 0, "yz" },
		{ "a|bcd", 1, 0, NULL },
		{ "(abc)*de", 1, 0, "de" },
		{ "(abcdef)?", 1, 0, NULL },
		{ "a\\|bcd", 0, 0, NULL },
		{ "\\(abc\\)*", 0, 0, NULL },
		{ "ab\\wcd", 0, 0, NULL },
		{ "a+bc", 0, 0, "a+bc" },
		{ "a\\.b[x]cd", 1, 0, "a.b" },
		{ "[]ab]cd", 0, 0, "cd" },
		{ "[[:alpha:]]xyz", 1, 0, "xyz" },
		{ "^Error: .*$", 1, 1, "error: " },
		{ "\xc3\x89t\xc3\xa9", 1, 1, "t" },
		{ "\xc3\x89t\xc3\xa9", 1, 0, "\xc3\x89t\xc3\xa9" },
		{ ".*", 1, 0, NULL },
	};
	size_t i, len;
	char *lit;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lit_case *c = &cases[i];
		cr_assert_eq(rh__regex_literal(&lit, &len, c->pattern, c->ere,
		                               c->icase),
		             0);
		if (!c->want) {
			cr_assert_null(lit, "%s: \"%s\"", c->pattern, lit);
			cr_assert_eq(len, 0);
			continue;
		}
		cr_assert_not_null(lit, "%s: none, want \"%s\"", c->pattern,
		                   c->want);
		cr_assert_str_eq(lit, c->want, "%s", c->pattern);
		cr_assert_eq(len, strlen(c->want));
		free(lit);
	}
}

static int
note_line(size_t ls, size_t le, void *payload)
{
	rh_buf *b = payload;

	rh_buf_printf(b, "%zu-%zu ", ls, le);
	return 0;
}

/* A buffer past the point where a literal found on most lines is given up,
 * and one where it is rare: the same lines as regexec() alone. */
Test(search, a_literal_on_most_lines_or_few_finds_the_same)
{
	static const char *const pats[] = { "ab+A", "b A+", "A[ab]a",
		                            "\xff[[:space:]]*a" };
	const char alphabet[] = "aabbAB \n\xff";
	size_t n = 300000, i, k, d;
	char *buf = malloc(n + 1);
	rh_buf with = RH_BUF_INIT, without = RH_BUF_INIT;
	rh__matcher m;

	for (d = 0; d < 2; d++) {
		srand(7);
		for (i = 0; i < n; i++) /* d = 1: few lines hold "A" */
			buf[i] = d && (rand() % 1000) ?
			                 "ab \n"[rand() % 4] :
			                 alphabet[rand() %
			                          (sizeof(alphabet) - 1)];
		buf[n] = '\0';
		for (k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
			rh_buf_clear(&with);
			rh_buf_clear(&without);
			cr_assert_eq(rh__matcher_init(&m, pats[k],
			                              RH_SEARCH_EXTENDED),
			             0);
			cr_assert_not_null(m.lit, "%s", pats[k]);
			cr_assert_eq(
				rh__matcher_scan(&m, buf, n, note_line, &with),
				0);
			free(m.lit);
			m.lit = NULL; /* regexec() over everything */
			cr_assert_eq(rh__matcher_scan(&m, buf, n, note_line,
			                              &without),
			             0);
			rh__matcher_dispose(&m);
			cr_assert(with.size > 0 || d, "%s: no line matched",
			          pats[k]);
			cr_assert_eq(with.size, without.size, "%s (%zu)",
			             pats[k], d);
			cr_assert(!memcmp(with.ptr, without.ptr, with.size),
			          "%s", pats[k]);
		}
	}
	rh_buf_dispose(&with);
	rh_buf_dispose(&without);
	free(buf);
}

static int
count_line(size_t ls, size_t le, void *payload)
{
	(void)ls;
	(void)le;
	++*(size_t *)payload;
	return 0;
}

/* -i folds ASCII letters only, whatever byte is next to them in the
 * vector of sixteen that lower-cases the text. */
Test(search, icase_folds_ascii_letters_only)
{
	static const char pats[] = "@[`{AZaz\xc0\xe0";
	char buf[256 * 18];
	size_t n = 0, i, found;
	unsigned b;
	rh__matcher m;
	char pat[2] = { 0, 0 };

	for (b = 1; b < 256; b++) {
		if (b == '\n')
			continue;
		memset(buf + n, '-', (size_t)b % 17);
		n += (size_t)b % 17;
		buf[n++] = (char)b;
		buf[n++] = '\n';
	}
	for (i = 0; pats[i]; i++) {
		pat[0] = pats[i];
		found = 0;
		cr_assert_eq(
			rh__matcher_init(&m, pat,
		                         RH_SEARCH_FIXED | RH_SEARCH_ICASE),
			0);
		cr_assert_eq(rh__matcher_scan(&m, buf, n, count_line, &found),
		             0);
		rh__matcher_dispose(&m);
		cr_assert_eq(
			found,
			((pat[0] | 0x20) >= 'a' && (pat[0] | 0x20) <= 'z') ?
				2u :
				1u,
			"'%c': %zu lines", pat[0], found);
	}
}

Test(search, max_stops_after_n_lines_in_all)
{
	check("a", RH_SEARCH_FIXED, 1);
	check("b", RH_SEARCH_FIXED, 7);
	check("^a", RH_SEARCH_EXTENDED, 40);
}

Test(search, bad_patterns_are_einval)
{
	rh_buf got = RH_BUF_INIT;

	cr_assert_eq(rh_search_session(NULL, st, &S, "a[", NULL, collect, &got),
	             RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "bad pattern"), "%s",
	          rh_error_last());
	cr_assert_eq(
		rh_search_session(NULL, st, &S, "a\nb", NULL, collect, &got),
		RH_EINVAL);
	cr_assert_eq(got.size, 0);
}

struct prog {
	rh_progress last;
	int calls;
};

static void
on_progress(const rh_progress *p, void *payload)
{
	struct prog *pr = payload;

	cr_assert_geq(p->bytes_done, pr->last.bytes_done, "bytes went back");
	cr_assert_geq(p->files_done, pr->last.files_done, "files went back");
	cr_assert_leq(p->bytes_done, p->bytes_total);
	cr_assert_leq(p->files_done, p->files_total);
	pr->last = *p;
	pr->calls++;
}

static int
ignore(const rh_search_line *l, void *payload)
{
	(void)l;
	(void)payload;
	return 0;
}

Test(search, progress_counts_up_to_every_file)
{
	rh_search_options o = RH_SEARCH_OPTIONS_INIT;
	struct prog pr;

	memset(&pr, 0, sizeof(pr));
	o.file_glob = "?.log";
	o.chunk_size = 7;
	o.threads = 2;
	o.progress = on_progress;
	o.progress_payload = &pr;
	cr_assert_eq(rh_search_session(NULL, st, &S, "a", &o, ignore, NULL), 0,
	             "%s", rh_error_last());
	cr_assert_gt(pr.calls, 2, "%d progress calls", pr.calls);
	cr_assert_eq(pr.last.files_total, 2);
	cr_assert_eq(pr.last.files_done, 2);
	cr_assert_eq(pr.last.bytes_total, dlen[0] + dlen[1]);
	cr_assert_eq(pr.last.bytes_done, dlen[0] + dlen[1]);
	/* version 1 options have no progress fields: never read */
	memset(&pr, 0, sizeof(pr));
	o.version = 1;
	cr_assert_eq(rh_search_session(NULL, st, &S, "a", &o, ignore, NULL), 0,
	             "%s", rh_error_last());
	cr_assert_eq(pr.calls, 0);
	o.version = RH_SEARCH_OPTIONS_VERSION + 1;
	cr_assert_eq(rh_search_session(NULL, st, &S, "a", &o, ignore, NULL),
	             RH_EINVAL);
}
