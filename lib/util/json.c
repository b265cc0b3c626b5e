/* json.c - the in-place JSON reader (json.h). */
#include "internal.h"
#include "json.h"
#include "swar.h"

#define MAX_DEPTH 64

static int
push(rh_json *j, rh_jtype type, uint32_t start)
{
	rh_jtok *t;

	if (j->ntok == j->atok) {
		uint32_t n = j->atok ? j->atok * 2 : 256;

		if (n > UINT32_MAX / 2 / sizeof(*t) ||
		    !(t = rh__realloc(j->tok, (size_t)n * sizeof(*t))))
			return RH_ENOMEM;
		j->tok = t;
		j->atok = n;
	}
	t = &j->tok[j->ntok++];
	t->start = start;
	t->len = 0;
	t->next = 0;
	t->count = 0;
	t->type = (uint8_t)type;
	t->is_int = 0;
	return 0;
}

static int
hex4(const char *s, unsigned *out)
{
	int i, v;
	unsigned u = 0;

	for (i = 0; i < 4; i++) {
		if ((v = rh__hexval((unsigned char)s[i])) < 0)
			return -1;
		u = u << 4 | (unsigned)v;
	}
	*out = u;
	return 0;
}

static char *
put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80) {
		*d++ = (char)cp;
	} else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*d++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	return d;
}

/* Bytes that end the fast scan of a string: '"', '\\' and controls. */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, ['\\'] = 1,
};

/* The end of the run of plain bytes from i: eight bytes at a time while
 * none of them is '"', '\\' or a control byte, then byte by byte. */
static size_t
plain_run(const char *buf, size_t i, size_t len)
{
	uint64_t w;

	for (; i + 8 <= len; i += 8)
		if (w = rh__swar_load(buf + i),
		    (rh__swar_eq(w, '"') | rh__swar_eq(w, '\\') |
		     rh__swar_below(w, 0x20)) &
		            RH__SWAR_HIGH)
			break;
	while (i < len && !special[(unsigned char)buf[i]])
		i++;
	return i;
}

enum { ESC_OK, ESC_TRUNC, ESC_BAD };

/* The escape at buf[*ip] ('\\'), written at *dp; both move past it. */
static int
unescape(char **dp, const char *buf, size_t *ip, size_t len)
{
	size_t i = *ip;
	char *d = *dp;
	unsigned cp, lo;

	if (i + 1 >= len)
		return ESC_TRUNC;
	switch (buf[i + 1]) {
	case '"': *d++ = '"'; break;
	case '\\': *d++ = '\\'; break;
	case '/': *d++ = '/'; break;
	case 'b': *d++ = '\b'; break;
	case 'f': *d++ = '\f'; break;
	case 'n': *d++ = '\n'; break;
	case 'r': *d++ = '\r'; break;
	case 't': *d++ = '\t'; break;
	case 'u':
		if (i + 6 > len || hex4(buf + i + 2, &cp) < 0)
			return ESC_BAD;
		i += 6;
		if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= len &&
		    buf[i] == '\\' && buf[i + 1] == 'u' &&
		    hex4(buf + i + 2, &lo) == 0 && lo >= 0xdc00 &&
		    lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if (cp >= 0xd800 && cp < 0xe000) {
			cp = 0xfffd; /* a lone surrogate */
		}
		*dp = put_utf8(d, cp);
		*ip = i;
		return ESC_OK;
	default: return ESC_BAD;
	}
	*dp = d;
	*ip = i + 2;
	return ESC_OK;
}

/* s points after the opening quote. Unescape in place; returns the index
 * after the closing quote, or 0 on error. The text is NUL-terminated where
 * it lies (the closing quote or an earlier byte is overwritten). */
static size_t
string(char *buf, size_t i, size_t len, uint32_t *slen, const char **err)
{
	size_t start = i;
	char *d;
	int esc;

	/* Fast path: no escapes, the common case. */
	i = plain_run(buf, i, len);
	if (i >= len)
		goto trunc;
	if (buf[i] == '"') {
		*slen = (uint32_t)(i - start);
		buf[i] = '\0';
		return i + 1;
	}
	if ((unsigned char)buf[i] < 0x20)
		goto ctrl;
	d = buf + i;
	while (i < len) {
		char c = buf[i];

		if (c == '"') {
			*d = '\0';
			*slen = (uint32_t)(d - (buf + start));
			return i + 1;
		}
		if ((unsigned char)c < 0x20)
			goto ctrl;
		if (c != '\\') {
			*d++ = c;
			i++;
			continue;
		}
		if ((esc = unescape(&d, buf, &i, len)) == ESC_TRUNC)
			goto trunc;
		if (esc == ESC_BAD)
			goto badesc;
	}
trunc:
	*err = "truncated JSON";
	goto fail;
ctrl:
	*err = "control character in a JSON string";
	goto fail;
badesc:
	*err = "bad escape in a JSON string";
fail:
	/* how far it read; unescaping wrote only before that */
	*slen = (uint32_t)(i - start);
	return 0;
}

static size_t
number(const char *b, size_t i, size_t len, int *is_int)
{
	size_t s = i;

	*is_int = 1;
	if (i < len && b[i] == '-')
		i++;
	if (i >= len || b[i] < '0' || b[i] > '9')
		return 0;
	if (b[i] == '0')
		i++;
	else
		while (i < len && b[i] >= '0' && b[i] <= '9')
			i++;
	if (i < len && b[i] == '.') {
		*is_int = 0;
		if (++i >= len || b[i] < '0' || b[i] > '9')
			return 0;
		while (i < len && b[i] >= '0' && b[i] <= '9')
			i++;
	}
	if (i < len && (b[i] == 'e' || b[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < len && (b[i] == '+' || b[i] == '-'))
			i++;
		if (i >= len || b[i] < '0' || b[i] > '9')
			return 0;
		while (i < len && b[i] >= '0' && b[i] <= '9')
			i++;
	}
	return i > s ? i : 0;
}

static size_t
skip_ws(const char *b, size_t i, size_t len)
{
	while (i < len &&
	       (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* Where parse() stands. */
typedef struct pstate {
	rh_json *j;
	char *buf;
	size_t len, i;
	const char **err;
	int depth;
	/* expect: 0 a value, 1 a key (or '}' right after '{'), 2 ',' or
	 * closing bracket */
	int expect, first;
	uint32_t *stack; /* MAX_DEPTH open containers */
} pstate;

/* What a step returns besides 0 (go on) and a negative RH_E* code. */
enum { STEP_BAD = 1, STEP_FAIL = 2 };

static rh_jtok *
open_container(pstate *s)
{
	return &s->j->tok[s->stack[s->depth - 1]];
}

/* The closing bracket at i ends the innermost container. */
static int
close_container(pstate *s)
{
	open_container(s)->next = s->j->ntok;
	s->depth--;
	s->i++;
	s->expect = 2;
	return 0;
}

/* A string token from the quote at i; i moves past it. Inline: as a call
 * it cost a tenth of the parse of an event line. */
static inline int
push_string(pstate *s)
{
	rh_json *j = s->j;
	size_t e;
	int error;

	if ((error = push(j, RH_J_STRING, (uint32_t)s->i + 1)) < 0)
		return error;
	if (!(e = string(s->buf, s->i + 1, s->len, &j->tok[j->ntok - 1].len,
	                 s->err))) {
		s->i += 1 + j->tok[j->ntok - 1].len;
		return STEP_FAIL;
	}
	s->i = e;
	return 0;
}

/* expect 2: after a value inside a container, ',' or its closing bracket. */
static int
after_value(pstate *s)
{
	rh_jtok *c = open_container(s);
	char want = c->type == RH_J_OBJECT ? '}' : ']';

	if (s->buf[s->i] == ',') {
		s->i++;
		s->expect = c->type == RH_J_OBJECT ? 1 : 0;
		s->first = 0;
		return 0;
	}
	if (s->buf[s->i] != want)
		return STEP_BAD;
	return close_container(s);
}

/* expect 1: a member's key and ':' (or '}' of an empty object). */
static int
member_key(pstate *s)
{
	rh_json *j = s->j;
	int error;

	if (s->buf[s->i] == '}' && s->first)
		return close_container(s);
	if (s->buf[s->i] != '"')
		return STEP_BAD;
	if ((error = push_string(s)) != 0)
		return error;
	j->tok[j->ntok - 1].next = j->ntok;
	open_container(s)->count++;
	s->i = skip_ws(s->buf, s->i, s->len);
	if (s->i >= s->len || s->buf[s->i] != ':')
		return STEP_BAD;
	s->i++;
	s->expect = 0;
	s->first = 0;
	return 0;
}

/* A literal or a number at i. */
static int
push_scalar(pstate *s)
{
	const char *buf = s->buf;
	size_t i = s->i, e;
	int error, is_int;

	if (buf[i] == 't' || buf[i] == 'f' || buf[i] == 'n') {
		const char *lit = buf[i] == 't' ? "true" :
		                  buf[i] == 'f' ? "false" :
		                                  "null";
		size_t n = strlen(lit);

		if (i + n > s->len || memcmp(buf + i, lit, n) != 0)
			return STEP_BAD;
		if ((error = push(s->j,
		                  buf[i] == 't' ? RH_J_TRUE :
		                  buf[i] == 'f' ? RH_J_FALSE :
		                                  RH_J_NULL,
		                  (uint32_t)i)) < 0)
			return error;
		s->i = i + n;
		return 0;
	}
	if (!(e = number(buf, i, s->len, &is_int)))
		return STEP_BAD;
	if ((error = push(s->j, RH_J_NUMBER, (uint32_t)i)) < 0)
		return error;
	s->j->tok[s->j->ntok - 1].len = (uint32_t)(e - i);
	s->j->tok[s->j->ntok - 1].is_int = (uint8_t)is_int;
	s->i = e;
	return 0;
}

/* expect 0: a value (or ']' of an empty array). */
static int
value(pstate *s)
{
	rh_json *j = s->j;
	char c = s->buf[s->i];
	int error;

	if (s->depth > 0 && open_container(s)->type == RH_J_ARRAY) {
		if (c == ']' && s->first)
			return close_container(s);
		open_container(s)->count++;
	}
	s->first = 0;
	if (c == '{' || c == '[') {
		if (s->depth == MAX_DEPTH) {
			*s->err = "JSON nested too deeply";
			return STEP_FAIL;
		}
		if ((error = push(j, c == '{' ? RH_J_OBJECT : RH_J_ARRAY,
		                  (uint32_t)s->i)) < 0)
			return error;
		s->stack[s->depth++] = j->ntok - 1;
		s->expect = c == '{' ? 1 : 0;
		s->first = 1;
		s->i++;
		return 0;
	}
	if ((error = c == '"' ? push_string(s) : push_scalar(s)) != 0)
		return error;
	j->tok[j->ntok - 1].next = j->ntok;
	s->expect = 2;
	return 0;
}

/* Parse one value from buf[0]; with `end`, stop right after it (*end is
 * where it ended), else require only whitespace after it. On an error,
 * *end is how far it read: the bytes it changed are all before that. A
 * loop over the three things it can expect next. */
static int
parse(rh_json *j, char *buf, size_t len, size_t *end, const char **err)
{
	uint32_t stack[MAX_DEPTH];
	pstate s;
	int rc;

	s.j = j;
	s.buf = buf;
	s.len = len;
	s.i = 0;
	s.err = err;
	s.stack = stack;
	s.depth = s.expect = s.first = 0;
	j->buf = buf;
	j->ntok = 0;
	if (len >= UINT32_MAX) {
		*err = "JSON text too large";
		goto fail;
	}
	for (;;) {
		if (end && s.depth == 0 && s.expect == 2) {
			*end = s.i;
			return 0;
		}
		s.i = skip_ws(buf, s.i, len);
		if (s.i >= len) {
			if (s.depth == 0 && s.expect == 2)
				return 0;
			*err = j->ntok ? "truncated JSON" : "empty line";
			goto fail;
		}
		if (s.depth == 0 && s.expect == 2) {
			*err = "unexpected data after the JSON value";
			goto fail;
		}
		rc = s.expect == 2 ? after_value(&s) :
		     s.expect == 1 ? member_key(&s) :
		                     value(&s);
		if (rc == STEP_BAD)
			break;
		if (rc == STEP_FAIL)
			goto fail;
		if (rc < 0)
			return rc;
	}
	*err = s.i >= len ? "truncated JSON" : "not JSON: unexpected character";
fail:
	if (end)
		*end = s.i;
	return RH_EINVAL;
}

int
rh_json_parse(rh_json *j, char *buf, size_t len, const char **err)
{
	buf[len] = '\0';
	return parse(j, buf, len, NULL, err);
}

int
rh_json_parse_prefix(rh_json *j, char *buf, size_t len, size_t *end,
                     const char **err)
{
	*end = 0;
	return parse(j, buf, len, end, err);
}

void
rh_json_dispose(rh_json *j)
{
	free(j->tok);
	j->tok = NULL;
	j->ntok = j->atok = 0;
}

rh_jv
rh_json_member(const rh_json *j, rh_jv o, const char *key, size_t klen)
{
	rh_jv k;

	if (o == RH_JV_NONE || j->tok[o].type != RH_J_OBJECT)
		return RH_JV_NONE;
	for (k = rh_json_first(j, o); k != RH_JV_NONE;
	     k = rh_json_next_key(j, o, k))
		if (j->tok[k].len == klen &&
		    memcmp(j->buf + j->tok[k].start, key, klen) == 0)
			return k + 1;
	return RH_JV_NONE;
}
