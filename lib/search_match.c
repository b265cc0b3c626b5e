/* search_match.c - finding matching lines in a buffer of whole lines
 * (search_internal.h): memmem() for fixed strings, POSIX regexec() over the
 * whole buffer (REG_NEWLINE, REG_STARTEND) for regexes, so a chunk costs
 * one call per match rather than one per line. A regex that holds a
 * literal every match must hold (RAREWORD_[A-Z]+) is first looked for by
 * that literal with memmem(), and regexec() runs only around the lines
 * that have it. Bytes, not characters: the C locale, as
 * `LC_ALL=C grep -a`. */
#include "search_internal.h"

#include <string.h>

/* Characters that make a pattern more than a fixed string. */
static const char bre_special[] = "\\.[]*^$";
static const char ere_special[] = "\\.[]*^$+?(){}|";
/* Candidate lines (holding the literal) closer than this are searched by
 * one regexec() over the bytes between: a call costs about as much as
 * scanning a few hundred bytes. */
#define LIT_GAP 1024

/* tolower() of the C locale whatever the process's, and without a call
 * per byte: loops of it become vector code. */
static inline unsigned char
lower(unsigned char c)
{
	return (unsigned char)(c + ((unsigned char)(c - 'A') < 26) * 32);
}
/* Bytes after which a literal found on most lines is given up. */
#define LIT_PROBE (64u << 10)

/* ---- the literal every match holds ----------------------------------------
 * A left-to-right walk that keeps runs of plain bytes outside brackets and
 * groups. Anything it does not understand ends the run (always safe: a
 * shorter literal, or none), except what could make a run optional as a
 * whole - alternation, unknown escapes - which gives up. */

struct lit {
	char *cur, *best;
	size_t clen, blen;
	int prev; /* the last byte of cur came just before */
};

static void
lit_end(struct lit *l)
{
	if (l->clen > l->blen) {
		memcpy(l->best, l->cur, l->clen);
		l->blen = l->clen;
	}
	l->clen = 0;
	l->prev = 0;
}

/* The end of the bracket expression starting at p ('['), or NULL. */
static const char *
bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++) {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];
			for (p += 2; *p && !(*p == close && p[1] == ']'); p++)
				;
			if (!*p)
				return NULL;
			p++;
		}
	}
	return *p ? p : NULL;
}

/* 0, or -1 to give up. */
static int
lit_walk(struct lit *l, const char *p, int ere, int icase)
{
	int depth = 0;
	unsigned char c;

	for (; *p; p++) {
		c = (unsigned char)*p;
		if (c == '\\') {
			if (!p[1] ||
			    !strchr(ere ? "\\.[]*^$+?(){}|/" : "\\.[]*^$/",
			            p[1]))
				return -1; /* \(, \|, \{, \w, \1, ... */
			c = (unsigned char)*++p;
		} else if (c == '[') {
			if (!(p = bracket_end(p)))
				return -1;
			lit_end(l);
			continue;
		} else if (c == '*' || (ere && (c == '?' || c == '{'))) {
			/* the byte before may occur zero times */
			if (l->prev)
				l->clen--;
			lit_end(l);
			if (c == '{' && !(p = strchr(p, '}')))
				return -1;
			continue;
		} else if (c == '.' || c == '^' || c == '$' ||
		           (ere && c == '+')) {
			lit_end(l);
			continue;
		} else if (ere && (c == '|')) {
			return -1;
		} else if (ere && (c == '(' || c == ')')) {
			/* a group may be repeated zero times: its bytes and the
			 * run around it are not certain */
			depth += c == '(' ? 1 : -1;
			lit_end(l);
			continue;
		}
		/* c is a plain byte; a case-folded one is certain only in
		 * ASCII (a UTF-8 locale folds other letters) */
		if (depth > 0 || (icase && c >= 0x80)) {
			lit_end(l);
			continue;
		}
		l->cur[l->clen++] = (char)(icase ? lower(c) : c);
		l->prev = 1;
	}
	lit_end(l);
	return 0;
}

int
rh__regex_literal(char **out, size_t *len, const char *pattern, int ere,
                  int icase)
{
	size_t n = strlen(pattern);
	struct lit l;

	*out = NULL;
	*len = 0;
	memset(&l, 0, sizeof(l));
	if (!(l.cur = malloc(n + 1)) || !(l.best = malloc(n + 1))) {
		free(l.cur);
		free(l.best);
		return RH_ENOMEM;
	}
	if (lit_walk(&l, pattern, ere, icase) == 0 && l.blen) {
		l.best[l.blen] = '\0';
		*out = l.best;
		*len = l.blen;
	} else {
		free(l.best);
	}
	free(l.cur);
	return 0;
}

int
rh__matcher_init(rh__matcher *m, const char *pattern, unsigned flags)
{
	size_t i;
	int cflags, rc;

	memset(m, 0, sizeof(*m));
	m->icase = !!(flags & RH_SEARCH_ICASE);
	if (strchr(pattern, '\n'))
		return rh__error(RH_EINVAL, "the pattern holds a newline; "
		                            "search for one line at a time");
	if ((flags & RH_SEARCH_FIXED) ||
	    !pattern[strcspn(pattern, (flags & RH_SEARCH_EXTENDED) ?
	                                      ere_special :
	                                      bre_special)]) {
		m->plen = strlen(pattern);
		if (!(m->pat = rh__strdup(pattern)))
			return RH_ENOMEM;
		for (i = 0; m->icase && i < m->plen; i++)
			m->pat[i] = (char)lower((unsigned char)m->pat[i]);
		return 0;
	}
	cflags = REG_NEWLINE; /* not REG_NOSUB: the match's start is used */
	cflags |= (flags & RH_SEARCH_EXTENDED) ? REG_EXTENDED : 0;
	cflags |= m->icase ? REG_ICASE : 0;
	if ((rc = regcomp(&m->re, pattern, cflags)) != 0) {
		char msg[256];

		regerror(rc, &m->re, msg, sizeof(msg));
		return rh__error(rc == REG_ESPACE ? RH_ENOMEM : RH_EINVAL,
		                 "bad pattern \"%.100s\": %s", pattern, msg);
	}
	m->regex = 1;
	return rh__regex_literal(&m->lit, &m->llen, pattern,
	                         !!(flags & RH_SEARCH_EXTENDED), m->icase);
}

void
rh__matcher_dispose(rh__matcher *m)
{
	if (m->regex)
		regfree(&m->re);
	free(m->pat);
	free(m->lit);
	rh_buf_dispose(&m->low);
	memset(m, 0, sizeof(*m));
}

typedef unsigned char rh__u16 __attribute__((vector_size(16)));

/* The text to search for a fixed string: itself, or a lower-cased copy. */
static const char *
haystack(rh__matcher *m, const char *buf, size_t len)
{
	size_t i;

	if (!m->icase)
		return buf;
	rh_buf_clear(&m->low);
	if (rh_buf_grow(&m->low, len + 1) < 0)
		return NULL;
	/* sixteen bytes at a time (vector extensions, as rh__count_nl):
	 * a loop of lower() is not vectorised at -O2 and took a tenth of
	 * an -i search */
	for (i = 0; i + 16 <= len; i += 16) {
		rh__u16 x;
		memcpy(&x, buf + i, 16);
		x += (rh__u16)((x - (unsigned char)'A') < 26) & 32;
		memcpy(m->low.ptr + i, &x, 16);
	}
	for (; i < len; i++)
		m->low.ptr[i] = (char)lower((unsigned char)buf[i]);
	m->low.ptr[len] = '\0'; /* rh_buf's promise */
	m->low.size = len;
	return m->low.ptr;
}

static size_t
line_start(const char *buf, size_t from, size_t pos)
{
	const char *nl =
		pos > from ? memrchr(buf + from, '\n', pos - from) : NULL;

	return nl ? (size_t)(nl - buf) + 1 : from;
}

static size_t
line_end(const char *buf, size_t len, size_t pos)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);

	return nl ? (size_t)(nl - buf) : len;
}

static int
scan_fixed(rh__matcher *m, const char *buf, size_t len, rh__match_cb cb,
           void *payload)
{
	const char *hay = haystack(m, buf, len), *hit;
	size_t from = 0, ls, le;
	int r;

	if (!hay)
		return RH_ENOMEM;
	while (from < len &&
	       (hit = memmem(hay + from, len - from, m->pat, m->plen))) {
		ls = line_start(hay, from, (size_t)(hit - hay));
		le = line_end(hay, len, (size_t)(hit - hay));
		if ((r = cb(ls, le, payload)) != 0)
			return r;
		from = le + 1;
	}
	return 0;
}

/* One regexec() over buf[from..len). */
static int
rx_exec(rh__matcher *m, const char *buf, size_t from, size_t len,
        regmatch_t *pm)
{
	int eflags = REG_STARTEND;

	pm->rm_so = (regoff_t)from;
	pm->rm_eo = (regoff_t)len;
	/* ^ matches at `from` only when a line starts there. */
	if (from > 0 && buf[from - 1] != '\n')
		eflags |= REG_NOTBOL;
	return regexec(&m->re, buf, 1, pm, eflags);
}

/* The matching lines of buf[from..len), whole lines. */
static int
scan_regex(rh__matcher *m, const char *buf, size_t from, size_t len,
           rh__match_cb cb, void *payload)
{
	size_t start = from, ls, le, so, eo;
	regmatch_t pm;
	int r;

	while (from <= len && rx_exec(m, buf, from, len, &pm) == 0) {
		so = (size_t)pm.rm_so;
		eo = (size_t)pm.rm_eo;
		if (so > len)
			break;
		ls = line_start(buf, start, so);
		le = line_end(buf, len, so);
		/* A bracket expression can match a '\n': a match that runs
		 * past its line is checked against that line alone. */
		if (eo > le) {
			if ((r = rh__matcher_line(m, buf + ls, le - ls)) < 0)
				return r;
			if (!r) {
				from = so + 1;
				continue;
			}
		}
		if (ls == len)
			break; /* an empty match at the very end: no line */
		if ((r = cb(ls, le, payload)) != 0)
			return r;
		from = le + 1;
	}
	return 0;
}

/* A regex with a known literal: only the lines holding it can match
 * (REG_NEWLINE keeps a match inside its line, and a match running past it
 * is tested on its line alone), so regexec() runs on windows of such
 * lines. A rare literal makes the search as fast as a fixed string's. */
static int
scan_regex_lit(rh__matcher *m, const char *buf, size_t len, rh__match_cb cb,
               void *payload)
{
	const char *hay = haystack(m, buf, len), *hit;
	size_t from = 0, ws, we, at, covered = 0;
	int r;

	if (!hay)
		return RH_ENOMEM;
	hit = memmem(hay, len, m->lit, m->llen);
	while (hit) {
		at = (size_t)(hit - hay);
		ws = line_start(hay, from, at);
		we = line_end(hay, len, at);
		/* join the next candidate lines while they are close; hit
		 * is left at the first one not joined */
		for (;;) {
			hit = we + 1 < len ? memmem(hay + we + 1, len - we - 1,
			                            m->lit, m->llen) :
			                     NULL;
			if (!hit || (size_t)(hit - hay) - we > LIT_GAP ||
			    we - ws >= LIT_PROBE)
				break;
			we = line_end(hay, len, (size_t)(hit - hay));
		}
		if ((r = scan_regex(m, buf, ws, we, cb, payload)) != 0)
			return r;
		covered += we - ws;
		from = we + 1;
		/* A literal on most lines only adds work to regexec()'s:
		 * search the rest without it. */
		if (hit && from > LIT_PROBE && covered > from / 2)
			return scan_regex(m, buf, from, len, cb, payload);
	}
	return 0;
}

int
rh__matcher_scan(rh__matcher *m, const char *buf, size_t len, rh__match_cb cb,
                 void *payload)
{
	if (len == 0)
		return 0;
	if (!m->regex)
		return scan_fixed(m, buf, len, cb, payload);
	return m->lit ? scan_regex_lit(m, buf, len, cb, payload) :
	                scan_regex(m, buf, 0, len, cb, payload);
}

int
rh__matcher_line(rh__matcher *m, const char *line, size_t len)
{
	regmatch_t pm;
	const char *hay;

	if (m->regex) {
		pm.rm_so = 0;
		pm.rm_eo = (regoff_t)len;
		return regexec(&m->re, line, 1, &pm, REG_STARTEND) == 0;
	}
	if (!(hay = haystack(m, line, len)))
		return RH_ENOMEM;
	return m->plen == 0 || memmem(hay, len, m->pat, m->plen) != NULL;
}
