/* search_match.c - finding matching lines in a buffer of whole lines
 * (search_internal.h): memmem() for fixed strings, POSIX regexec() over the
 * whole buffer (REG_NEWLINE, REG_STARTEND) for regexes, so a chunk costs
 * one call per match rather than one per line. Bytes, not characters: the
 * C locale, as `LC_ALL=C grep -a`. */
#include "search_internal.h"

#include <ctype.h>
#include <string.h>

/* Characters that make a pattern more than a fixed string. */
static const char bre_special[] = "\\.[]*^$";
static const char ere_special[] = "\\.[]*^$+?(){}|";

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
	    !pattern[strcspn(pattern, (flags & RH_SEARCH_EXTENDED)
			     ? ere_special : bre_special)]) {
		m->plen = strlen(pattern);
		if (!(m->pat = rh__strdup(pattern)))
			return RH_ENOMEM;
		for (i = 0; m->icase && i < m->plen; i++)
			m->pat[i] = (char)tolower((unsigned char)m->pat[i]);
		return 0;
	}
	cflags = REG_NEWLINE;	/* not REG_NOSUB: the match's start is used */
	cflags |= (flags & RH_SEARCH_EXTENDED) ? REG_EXTENDED : 0;
	cflags |= m->icase ? REG_ICASE : 0;
	if ((rc = regcomp(&m->re, pattern, cflags)) != 0) {
		char msg[256];

		regerror(rc, &m->re, msg, sizeof(msg));
		return rh__error(rc == REG_ESPACE ? RH_ENOMEM : RH_EINVAL,
				 "bad pattern \"%.100s\": %s", pattern, msg);
	}
	m->regex = 1;
	return 0;
}

void
rh__matcher_dispose(rh__matcher *m)
{
	if (m->regex)
		regfree(&m->re);
	free(m->pat);
	rh_buf_dispose(&m->low);
	memset(m, 0, sizeof(*m));
}

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
	for (i = 0; i < len; i++)
		m->low.ptr[i] = (char)tolower((unsigned char)buf[i]);
	m->low.ptr[len] = '\0';	/* rh_buf's promise */
	m->low.size = len;
	return m->low.ptr;
}

static size_t
line_start(const char *buf, size_t from, size_t pos)
{
	const char *nl = pos > from ? memrchr(buf + from, '\n', pos - from) : NULL;

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

static int
scan_regex(rh__matcher *m, const char *buf, size_t len, rh__match_cb cb,
	   void *payload)
{
	size_t from = 0, ls, le, so, eo;
	regmatch_t pm;
	int r;

	while (from <= len && rx_exec(m, buf, from, len, &pm) == 0) {
		so = (size_t)pm.rm_so;
		eo = (size_t)pm.rm_eo;
		if (so > len)
			break;
		ls = line_start(buf, 0, so);
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
			break;	/* an empty match at the very end: no line */
		if ((r = cb(ls, le, payload)) != 0)
			return r;
		from = le + 1;
	}
	return 0;
}

int
rh__matcher_scan(rh__matcher *m, const char *buf, size_t len,
		 rh__match_cb cb, void *payload)
{
	if (len == 0)
		return 0;
	return m->regex ? scan_regex(m, buf, len, cb, payload)
			: scan_fixed(m, buf, len, cb, payload);
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

/* Sixteen bytes at a time with GCC/Clang vector extensions (SSE2 or NEON
 * code, no intrinsics): a comparison gives -1 in each byte equal to '\n',
 * which is subtracted into byte counters emptied before they can wrap. A
 * scalar popcount loop took a fifth of a search's time (no -mpopcnt). */
typedef signed char rh__v16 __attribute__((vector_size(16)));

uint64_t
rh__count_nl(const char *p, size_t n)
{
	const rh__v16 nl = { '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
			     '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n' };
	uint64_t count = 0;
	size_t i = 0, k, j;

	while (i + 16 <= n) {
		rh__v16 acc = { 0 }, x;
		unsigned char b[16];

		for (k = 0; k < 255 && i + 16 <= n; k++, i += 16) {
			memcpy(&x, p + i, 16);
			acc -= (rh__v16)(x == nl);
		}
		memcpy(b, &acc, 16);
		for (j = 0; j < 16; j++)
			count += b[j];
	}
	for (; i < n; i++)
		count += p[i] == '\n';
	return count;
}
