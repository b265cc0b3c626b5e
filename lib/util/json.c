/* json.c - the in-place JSON reader (json.h). */
#include "internal.h"
#include "json.h"

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
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, ['\\'] = 1,
};

/* s points after the opening quote. Unescape in place; returns the index
 * after the closing quote, or 0 on error. The text is NUL-terminated where
 * it lies (the closing quote or an earlier byte is overwritten). */
static size_t
string(char *buf, size_t i, size_t len, uint32_t *slen, const char **err)
{
	size_t start = i;
	char *d;

	/* Fast path: no escapes, the common case; eight bytes at a time
	 * while none of them is '"', '\\' or a control byte. */
	while (i + 8 <= len) {
		uint64_t w, q, b, c;

		memcpy(&w, buf + i, 8);
		q = w ^ 0x2222222222222222ULL;
		b = w ^ 0x5c5c5c5c5c5c5c5cULL;
		c = ((q - 0x0101010101010101ULL) & ~q) |
		    ((b - 0x0101010101010101ULL) & ~b) |
		    ((w - 0x2020202020202020ULL) & ~w);
		if (c & 0x8080808080808080ULL)
			break;
		i += 8;
	}
	while (i < len && !special[(unsigned char)buf[i]])
		i++;
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
		if (i + 1 >= len)
			goto trunc;
		switch (buf[i + 1]) {
		case '"': *d++ = '"'; break;
		case '\\': *d++ = '\\'; break;
		case '/': *d++ = '/'; break;
		case 'b': *d++ = '\b'; break;
		case 'f': *d++ = '\f'; break;
		case 'n': *d++ = '\n'; break;
		case 'r': *d++ = '\r'; break;
		case 't': *d++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (i + 6 > len || hex4(buf + i + 2, &cp) < 0)
				goto badesc;
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= len &&
			    buf[i] == '\\' && buf[i + 1] == 'u' &&
			    hex4(buf + i + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			d = put_utf8(d, cp);
			continue;
		}
		default:
			goto badesc;
		}
		i += 2;
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
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* Parse one value from buf[0]; with `end`, stop right after it (*end is
 * where it ended), else require only whitespace after it. On an error,
 * *end is how far it read: the bytes it changed are all before that. */
#define FAIL \
	do { \
		if (end) \
			*end = i; \
		return RH_EINVAL; \
	} while (0)

static int
parse(rh_json *j, char *buf, size_t len, size_t *end, const char **err)
{
	uint32_t stack[MAX_DEPTH];
	int depth = 0, error, is_int;
	size_t i = 0, e;
	/* expect: 0 a value, 1 a key (or '}' right after '{'), 2 ',' or
	 * closing bracket */
	int expect = 0, first = 0;

	j->buf = buf;
	j->ntok = 0;
	if (len >= UINT32_MAX) {
		*err = "JSON text too large";
		FAIL;
	}
	for (;;) {
		if (end && depth == 0 && expect == 2) {
			*end = i;
			return 0;
		}
		i = skip_ws(buf, i, len);
		if (i >= len) {
			if (depth == 0 && expect == 2)
				return 0;
			*err = j->ntok ? "truncated JSON" : "empty line";
			FAIL;
		}
		if (depth == 0 && expect == 2) {
			*err = "unexpected data after the JSON value";
			FAIL;
		}
		if (expect == 2) {
			rh_jtok *c = &j->tok[stack[depth - 1]];
			char want = c->type == RH_J_OBJECT ? '}' : ']';

			if (buf[i] == ',') {
				i++;
				expect = c->type == RH_J_OBJECT ? 1 : 0;
				first = 0;
				continue;
			}
			if (buf[i] != want)
				goto bad;
			c->next = j->ntok;
			depth--;
			i++;
			expect = 2;
			continue;
		}
		if (expect == 1) {
			if (buf[i] == '}' && first) {
				rh_jtok *c = &j->tok[stack[depth - 1]];

				c->next = j->ntok;
				depth--;
				i++;
				expect = 2;
				continue;
			}
			if (buf[i] != '"')
				goto bad;
			if ((error = push(j, RH_J_STRING, (uint32_t)i + 1)) < 0)
				return error;
			if (!(e = string(buf, i + 1, len, &j->tok[j->ntok - 1].len, err))) {
				i += 1 + j->tok[j->ntok - 1].len;
				FAIL;
			}
			j->tok[j->ntok - 1].next = j->ntok;
			j->tok[stack[depth - 1]].count++;
			i = skip_ws(buf, e, len);
			if (i >= len || buf[i] != ':')
				goto bad;
			i++;
			expect = 0;
			first = 0;
			continue;
		}
		/* a value */
		if (depth > 0 && j->tok[stack[depth - 1]].type == RH_J_ARRAY) {
			if (buf[i] == ']' && first) {
				j->tok[stack[depth - 1]].next = j->ntok;
				depth--;
				i++;
				expect = 2;
				continue;
			}
			j->tok[stack[depth - 1]].count++;
		}
		first = 0;
		switch (buf[i]) {
		case '{':
		case '[':
			if (depth == MAX_DEPTH) {
				*err = "JSON nested too deeply";
				FAIL;
			}
			if ((error = push(j, buf[i] == '{' ? RH_J_OBJECT : RH_J_ARRAY,
					  (uint32_t)i)) < 0)
				return error;
			stack[depth++] = j->ntok - 1;
			expect = buf[i] == '{' ? 1 : 0;
			first = 1;
			i++;
			continue;
		case '"':
			if ((error = push(j, RH_J_STRING, (uint32_t)i + 1)) < 0)
				return error;
			if (!(e = string(buf, i + 1, len, &j->tok[j->ntok - 1].len, err))) {
				i += 1 + j->tok[j->ntok - 1].len;
				FAIL;
			}
			i = e;
			break;
		case 't':
		case 'f':
		case 'n': {
			const char *lit = buf[i] == 't' ? "true" : buf[i] == 'f' ? "false" : "null";
			size_t n = strlen(lit);

			if (i + n > len || memcmp(buf + i, lit, n) != 0)
				goto bad;
			if ((error = push(j, buf[i] == 't' ? RH_J_TRUE :
					     buf[i] == 'f' ? RH_J_FALSE : RH_J_NULL,
					  (uint32_t)i)) < 0)
				return error;
			i += n;
			break;
		}
		default:
			if (!(e = number(buf, i, len, &is_int)))
				goto bad;
			if ((error = push(j, RH_J_NUMBER, (uint32_t)i)) < 0)
				return error;
			j->tok[j->ntok - 1].len = (uint32_t)(e - i);
			j->tok[j->ntok - 1].is_int = (uint8_t)is_int;
			i = e;
			break;
		}
		j->tok[j->ntok - 1].next = j->ntok;
		expect = 2;
	}
bad:
	*err = i >= len ? "truncated JSON" : "not JSON: unexpected character";
	FAIL;
}
#undef FAIL

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
	for (k = rh_json_first(j, o); k != RH_JV_NONE; k = rh_json_next_key(j, o, k))
		if (j->tok[k].len == klen &&
		    memcmp(j->buf + j->tok[k].start, key, klen) == 0)
			return k + 1;
	return RH_JV_NONE;
}
