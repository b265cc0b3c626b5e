/* store_s3_xml.c - a small XML parser for what S3 and STS answer:
 * ListObjectsV2 pages, errors, multipart and batch-delete results,
 * AssumeRoleWithWebIdentity credentials.
 *
 * Those documents are elements and text only, so this reads exactly that
 * and refuses the rest of XML that could hurt: a DOCTYPE (and with it every
 * entity definition, so no "billion laughs"), unknown entities, more than
 * RH_S3__XML_MAX_DEPTH levels. Processing instructions, comments, CDATA and
 * attributes are read and skipped. The input is untrusted (any endpoint, or
 * a proxy, may answer anything): every loop is bounded by the input and
 * every failure is RH_ECORRUPT with the byte offset.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "store_s3.h"

typedef struct xml_parser {
	const char *start, *p, *end;
	const rh_s3__xml_cb *cb;
	char path[RH_S3__XML_MAX_DEPTH * (RH_S3__XML_MAX_NAME + 1) + 1];
	size_t seg[RH_S3__XML_MAX_DEPTH]; /* path length before each level */
	size_t pathlen;
	int depth;
	int has_child; /* the current element has child elements */
	int seen_root;
	rh_buf text;
} xml_parser;

static int
xml_fail(const xml_parser *x, const char *what)
{
	return rh__error(RH_ECORRUPT, "malformed XML at byte %zu: %s",
	                 (size_t)(x->p - x->start), what);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_name_char(unsigned char c)
{
	return !(is_space((char)c) || c == '/' || c == '>' || c == '<' ||
	         c == '=' || c == '"' || c == '\'' || c == '&' || c == '\0');
}

/* Does the input at x->p start with `s`? */
static int
looking_at(const xml_parser *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* Move past the first `s` after x->p; RH_ECORRUPT if there is none. */
static int
skip_past(xml_parser *x, const char *s, const char *what)
{
	size_t n = strlen(s);

	for (; (size_t)(x->end - x->p) >= n; x->p++)
		if (memcmp(x->p, s, n) == 0) {
			x->p += n;
			return 0;
		}
	x->p = x->end;
	return xml_fail(x, what);
}

static int
put_utf8(rh_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xc0 | cp >> 6),
		u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xe0 | cp >> 12),
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | cp >> 18),
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)),
		u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	return rh_buf_put(b, u, n);
}

/* Decode the entity at x->p ('&') into x->text. */
static int
entity(xml_parser *x)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "&lt;", '<' },
		      { "&gt;", '>' },
		      { "&amp;", '&' },
		      { "&quot;", '"' },
		      { "&apos;", '\'' } };
	uint32_t cp = 0;
	const char *q;
	size_t i;
	int hex, digits = 0;

	for (i = 0; i < RH_ARRAY_SIZE(named); i++)
		if (looking_at(x, named[i].name)) {
			x->p += strlen(named[i].name);
			return rh_buf_put(&x->text, &named[i].c, 1);
		}
	if (!looking_at(x, "&#"))
		return xml_fail(
			x,
			"unknown entity (only the five of XML and &#N; are read)");
	q = x->p + 2;
	hex = q < x->end && *q == 'x';
	q += hex;
	for (; q < x->end && *q != ';'; q++, digits++) {
		int d;

		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (hex && isxdigit((unsigned char)*q))
			d = tolower((unsigned char)*q) - 'a' + 10;
		else
			return xml_fail(x, "bad character reference");
		if (digits > 8)
			return xml_fail(x, "character reference too long");
		cp = cp * (hex ? 16u : 10u) + (uint32_t)d;
	}
	if (q >= x->end || digits == 0)
		return xml_fail(x, "unterminated character reference");
	/* Control characters are not XML 1.0 but S3 writes keys that have
	 * them this way; a NUL would cut the string, surrogates are no
	 * characters. */
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return xml_fail(x, "character reference to no character");
	x->p = q + 1;
	return put_utf8(&x->text, cp);
}

/* Text up to the next '<'. */
static int
text(xml_parser *x)
{
	int error;

	while (x->p < x->end && *x->p != '<') {
		if (*x->p == '&') {
			if (x->depth == 0)
				return xml_fail(
					x, "text outside the root element");
			if ((error = entity(x)) < 0)
				return error;
			continue;
		}
		if (*x->p == '\0')
			return xml_fail(x, "NUL byte");
		if (x->depth == 0 && !is_space(*x->p))
			return xml_fail(x, "text outside the root element");
		if (x->depth > 0 && (error = rh_buf_put(&x->text, x->p, 1)) < 0)
			return error;
		x->p++;
	}
	return 0;
}

/* Read a name at x->p into name[] (at most RH_S3__XML_MAX_NAME bytes),
 * namespace prefix removed. */
static int
read_name(xml_parser *x, char *name, size_t *len_out)
{
	const char *s = x->p, *local;
	size_t n;

	while (x->p < x->end && is_name_char((unsigned char)*x->p))
		x->p++;
	n = (size_t)(x->p - s);
	if (n == 0)
		return xml_fail(x, "missing element name");
	if (n > RH_S3__XML_MAX_NAME)
		return xml_fail(x, "element name too long");
	local = memchr(s, ':', n) ? (const char *)memrchr(s, ':', n) + 1 : s;
	n -= (size_t)(local - s);
	if (n == 0)
		return xml_fail(x, "empty local name");
	memcpy(name, local, n);
	name[n] = '\0';
	*len_out = n;
	return 0;
}

static void
skip_space(xml_parser *x)
{
	while (x->p < x->end && is_space(*x->p))
		x->p++;
}

/* Skip the attributes of a start tag up to '>' or "/>"; *empty_out is 1
 * for "/>". */
static int
attributes(xml_parser *x, int *empty_out)
{
	for (;;) {
		char q;

		skip_space(x);
		if (x->p >= x->end)
			return xml_fail(x, "unterminated tag");
		if (*x->p == '>') {
			x->p++;
			*empty_out = 0;
			return 0;
		}
		if (looking_at(x, "/>")) {
			x->p += 2;
			*empty_out = 1;
			return 0;
		}
		if (!is_name_char((unsigned char)*x->p))
			return xml_fail(x, "bad attribute");
		while (x->p < x->end && is_name_char((unsigned char)*x->p))
			x->p++;
		skip_space(x);
		if (x->p >= x->end || *x->p != '=')
			return xml_fail(x, "attribute without a value");
		x->p++;
		skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return xml_fail(x, "attribute value not quoted");
		q = *x->p++;
		while (x->p < x->end && *x->p != q) {
			if (*x->p == '<')
				return xml_fail(x, "'<' in an attribute value");
			x->p++;
		}
		if (x->p >= x->end)
			return xml_fail(x, "unterminated attribute value");
		x->p++;
	}
}

static int
end_element(xml_parser *x)
{
	int error = 0;

	if (x->cb->end) {
		if ((error = rh_buf_puts(&x->text, "")) < 0)
			return error;
		error = x->cb->end(x->path, x->has_child ? NULL : x->text.ptr,
		                   x->has_child ? 0 : x->text.size,
		                   x->cb->payload);
	}
	x->depth--;
	x->pathlen = x->seg[x->depth];
	x->path[x->pathlen] = '\0';
	x->has_child = 1; /* the parent has this child */
	rh_buf_clear(&x->text);
	return error;
}

static int
start_tag(xml_parser *x)
{
	char name[RH_S3__XML_MAX_NAME + 1];
	size_t n;
	int empty = 0, error;

	x->p++; /* '<' */
	if ((error = read_name(x, name, &n)) < 0 ||
	    (error = attributes(x, &empty)) < 0)
		return error;
	if (x->depth == 0 && x->seen_root)
		return xml_fail(x, "a second root element");
	if (x->depth >= RH_S3__XML_MAX_DEPTH)
		return xml_fail(x, "elements nested too deep");
	x->seen_root = 1;
	x->seg[x->depth++] = x->pathlen;
	if (x->pathlen)
		x->path[x->pathlen++] = '/';
	memcpy(x->path + x->pathlen, name, n + 1);
	x->pathlen += n;
	x->has_child = 0;
	rh_buf_clear(&x->text);
	if (x->cb->start &&
	    (error = x->cb->start(x->path, x->cb->payload)) != 0)
		return error;
	return empty ? end_element(x) : 0;
}

static int
end_tag(xml_parser *x)
{
	char name[RH_S3__XML_MAX_NAME + 1];
	const char *cur;
	size_t n;
	int error;

	x->p += 2; /* "</" */
	if ((error = read_name(x, name, &n)) < 0)
		return error;
	skip_space(x);
	if (x->p >= x->end || *x->p != '>')
		return xml_fail(x, "unterminated end tag");
	x->p++;
	if (x->depth == 0)
		return xml_fail(x, "end tag without a start tag");
	cur = x->path + x->seg[x->depth - 1] + (x->depth > 1);
	if (strcmp(cur, name) != 0)
		return xml_fail(x, "end tag does not match its start tag");
	return end_element(x);
}

static int
markup(xml_parser *x)
{
	if (looking_at(x, "<?"))
		return skip_past(x, "?>",
		                 "unterminated processing instruction");
	if (looking_at(x, "<!--"))
		return skip_past(x, "-->", "unterminated comment");
	if (looking_at(x, "<![CDATA[")) {
		const char *s = x->p + 9;
		int error;

		if (x->depth == 0)
			return xml_fail(x, "CDATA outside the root element");
		x->p = s;
		if ((error = skip_past(x, "]]>", "unterminated CDATA")) < 0)
			return error;
		if (memchr(s, '\0', (size_t)(x->p - 3 - s)))
			return xml_fail(x, "NUL byte");
		return rh_buf_put(&x->text, s, (size_t)(x->p - 3 - s));
	}
	if (looking_at(x, "<!"))
		return xml_fail(x, "DOCTYPE and declarations are not accepted");
	if (looking_at(x, "</"))
		return end_tag(x);
	return start_tag(x);
}

int
rh_s3__xml_parse(const char *xml, size_t len, const rh_s3__xml_cb *cb)
{
	xml_parser x;
	int error = 0;

	memset(&x, 0, sizeof(x));
	x.start = x.p = xml;
	x.end = xml + len;
	x.cb = cb;
	if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0)
		x.p += 3;
	while (x.p < x.end && error == 0)
		error = *x.p == '<' ? markup(&x) : text(&x);
	if (error == 0 && x.depth > 0)
		error = xml_fail(&x, "unexpected end inside an element");
	if (error == 0 && !x.seen_root)
		error = xml_fail(&x, "no root element");
	rh_buf_dispose(&x.text);
	return error;
}

int
rh_s3__xml_escape(rh_buf *out, const char *s)
{
	int error = 0;

	for (; *s && error == 0; s++) {
		switch (*s) {
		case '&': error = rh_buf_puts(out, "&amp;"); break;
		case '<': error = rh_buf_puts(out, "&lt;"); break;
		case '>': error = rh_buf_puts(out, "&gt;"); break;
		case '"': error = rh_buf_puts(out, "&quot;"); break;
		case '\'': error = rh_buf_puts(out, "&apos;"); break;
		default: error = rh_buf_put(out, s, 1);
		}
	}
	return error;
}

/* ---------------------------------------------------------------- times */

int64_t
rh_s3__parse_iso8601_ms(const char *s)
{
	char buf[64];
	size_t n = strlen(s);
	int64_t ns;

	/* rh_time_parse() reads RFC 3339; S3 also writes "+0100" offsets,
	 * which get their colon here, and never a space for the 'T'. */
	if (n < 11 || n >= sizeof(buf) - 1 || s[10] == ' ')
		return -1;
	memcpy(buf, s, n + 1);
	if (n > 5 && (buf[n - 5] == '+' || buf[n - 5] == '-') &&
	    isdigit((unsigned char)buf[n - 4]) &&
	    isdigit((unsigned char)buf[n - 1]) && buf[n - 3] != ':') {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
		n++;
	}
	if (rh_time_parse(&ns, buf, n) < 0)
		return -1;
	return ns / 1000000;
}

/* ---------------------------------------------------------------- errors */

/* Does `path` end with component sequence `tail` ("Error/Code")? */
static int
path_ends(const char *path, const char *tail)
{
	size_t n = strlen(path), t = strlen(tail);

	return n >= t && strcmp(path + n - t, tail) == 0 &&
	       (n == t || path[n - t - 1] == '/');
}

static void
copy_text(char *dst, size_t n, const char *text)
{
	snprintf(dst, n, "%s", text ? text : "");
}

typedef struct error_ctx {
	rh_s3__xml_error *err;
	int found;
	int root_checked;
} error_ctx;

static int
error_start(const char *path, void *payload)
{
	error_ctx *c = payload;

	if (!c->root_checked) {
		c->root_checked = 1;
		c->found = strcmp(path, "Error") == 0 ||
		           strcmp(path, "ErrorResponse") == 0;
	}
	return 0;
}

static int
error_end(const char *path, const char *text, size_t len, void *payload)
{
	error_ctx *c = payload;

	(void)len;
	if (!c->found || !text)
		return 0;
	/* S3: Error/Code; STS: ErrorResponse/Error/Code. */
	if (strcmp(path, "Error/Code") == 0 ||
	    strcmp(path, "ErrorResponse/Error/Code") == 0)
		copy_text(c->err->code, sizeof(c->err->code), text);
	else if (strcmp(path, "Error/Message") == 0 ||
	         strcmp(path, "ErrorResponse/Error/Message") == 0)
		copy_text(c->err->message, sizeof(c->err->message), text);
	else if (strcmp(path, "Error/Region") == 0)
		copy_text(c->err->region, sizeof(c->err->region), text);
	else if (strcmp(path, "Error/Endpoint") == 0)
		copy_text(c->err->endpoint, sizeof(c->err->endpoint), text);
	return 0;
}

int
rh_s3__xml_error_parse(rh_s3__xml_error *err, const char *xml, size_t len)
{
	error_ctx c = { err, 0, 0 };
	rh_s3__xml_cb cb = { error_start, error_end, &c };
	char keep[1024];

	memset(err, 0, sizeof(*err));
	/* A body that is no XML (an HTML page of a proxy) is no error body;
	 * the caller reports the status alone. The thread's message stays. */
	snprintf(keep, sizeof(keep), "%s", rh_error_last());
	if (rh_s3__xml_parse(xml, len, &cb) < 0) {
		rh__error(0, "%s", keep);
		memset(err, 0, sizeof(*err));
		return RH_ENOTFOUND;
	}
	return c.found && err->code[0] ? 0 : RH_ENOTFOUND;
}

/* ---------------------------------------------------------------- list */

typedef struct list_ctx {
	rh_s3__list_page *page;
	int root_ok;
	int checked;
	rh_s3__list_item cur;
	int have_key;
} list_ctx;

static void
item_dispose(rh_s3__list_item *it)
{
	free(it->key);
	memset(it, 0, sizeof(*it));
}

static int
push_item(rh_s3__list_page *page, rh_s3__list_item *it)
{
	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 64;
		rh_s3__list_item *items;

		if (!(items = rh__realloc(page->items, cap * sizeof(*items))))
			return RH_ENOMEM;
		page->items = items, page->cap = cap;
	}
	page->items[page->n++] = *it;
	memset(it, 0, sizeof(*it));
	return 0;
}

static int
list_start(const char *path, void *payload)
{
	list_ctx *c = payload;

	if (!c->checked) {
		c->checked = 1;
		c->root_ok = strcmp(path, "ListBucketResult") == 0;
		if (!c->root_ok)
			return rh__error(
				RH_ECORRUPT,
				"the answer to ListObjectsV2 is a <%s>, not a <ListBucketResult>",
				path);
	}
	if (strcmp(path, "ListBucketResult/Contents") == 0 ||
	    strcmp(path, "ListBucketResult/CommonPrefixes") == 0) {
		item_dispose(&c->cur);
		c->cur.is_prefix =
			strcmp(path, "ListBucketResult/CommonPrefixes") == 0;
	}
	return 0;
}

static int
list_end(const char *path, const char *text, size_t len, void *payload)
{
	list_ctx *c = payload;
	rh_s3__list_page *page = c->page;
	char *end;

	if (strcmp(path, "ListBucketResult/Contents/Key") == 0 ||
	    strcmp(path, "ListBucketResult/CommonPrefixes/Prefix") == 0) {
		if (!text || c->cur.key)
			return rh__error(
				RH_ECORRUPT,
				"ListObjectsV2: a repeated or structured <%s>",
				path);
		if (!(c->cur.key = rh__strndup(text, len)))
			return RH_ENOMEM;
	} else if (strcmp(path, "ListBucketResult/Contents/Size") == 0) {
		if (!text || !isdigit((unsigned char)text[0]))
			return rh__error(RH_ECORRUPT,
			                 "ListObjectsV2: <Size> is no number");
		errno = 0;
		c->cur.size = strtoull(text, &end, 10);
		if (errno || *end)
			return rh__error(
				RH_ECORRUPT,
				"ListObjectsV2: <Size> \"%.40s\" is no number",
				text);
	} else if (strcmp(path, "ListBucketResult/Contents/LastModified") ==
	           0) {
		int64_t t = text ? rh_s3__parse_iso8601_ms(text) : -1;

		c->cur.mtime_ms = t < 0 ? 0 : t;
	} else if (strcmp(path, "ListBucketResult/Contents") == 0 ||
	           strcmp(path, "ListBucketResult/CommonPrefixes") == 0) {
		if (!c->cur.key)
			return rh__error(
				RH_ECORRUPT,
				"ListObjectsV2: an entry without a key");
		return push_item(page, &c->cur);
	} else if (strcmp(path, "ListBucketResult/IsTruncated") == 0) {
		page->truncated = text && strcmp(text, "true") == 0;
	} else if (strcmp(path, "ListBucketResult/NextContinuationToken") ==
	           0) {
		free(page->next_token);
		if (!text || !(page->next_token = rh__strndup(text, len)))
			return text ? RH_ENOMEM :
			              rh__error(
					      RH_ECORRUPT,
					      "ListObjectsV2: a structured token");
	}
	return 0;
}

static int
cmp_items(const void *a, const void *b)
{
	const rh_s3__list_item *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int
rh_s3__xml_list_parse(rh_s3__list_page *page, const char *xml, size_t len)
{
	list_ctx c;
	rh_s3__xml_cb cb = { list_start, list_end, &c };
	int error;

	memset(&c, 0, sizeof(c));
	memset(page, 0, sizeof(*page));
	c.page = page;
	error = rh_s3__xml_parse(xml, len, &cb);
	item_dispose(&c.cur);
	if (error == 0 && page->truncated &&
	    (!page->next_token || !*page->next_token))
		error = rh__error(
			RH_ECORRUPT,
			"ListObjectsV2: a truncated page without a NextContinuationToken");
	if (error < 0) {
		rh_s3__list_page_dispose(page);
		return error;
	}
	/* S3 sends the objects, then the common prefixes, each in key order;
	 * callers want one sequence in key order. */
	if (page->n > 1)
		qsort(page->items, page->n, sizeof(*page->items), cmp_items);
	return 0;
}

void
rh_s3__list_page_dispose(rh_s3__list_page *page)
{
	size_t i;

	for (i = 0; i < page->n; i++)
		free(page->items[i].key);
	free(page->items);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* ---------------------------------------------------------------- small */

typedef struct one_ctx {
	const char *root;
	const char *path;
	char *value;
	int bad_root;
	int root_seen;
} one_ctx;

static int
one_start(const char *path, void *payload)
{
	one_ctx *c = payload;

	if (!strchr(path, '/')) {
		if (strcmp(path, c->root) != 0)
			c->bad_root = 1;
		else
			c->root_seen = 1;
	}
	return 0;
}

static int
one_end(const char *path, const char *text, size_t len, void *payload)
{
	one_ctx *c = payload;

	if (text && !c->value && strcmp(path, c->path) == 0 &&
	    !(c->value = rh__strndup(text, len)))
		return RH_ENOMEM;
	return 0;
}

int
rh_s3__xml_upload_id(char **out, const char *xml, size_t len)
{
	one_ctx c = { "InitiateMultipartUploadResult",
		      "InitiateMultipartUploadResult/UploadId", NULL, 0, 0 };
	rh_s3__xml_cb cb = { one_start, one_end, &c };
	int error;

	*out = NULL;
	if ((error = rh_s3__xml_parse(xml, len, &cb)) < 0)
		goto done;
	if (c.bad_root || !c.value || !*c.value) {
		error = rh__error(
			RH_ECORRUPT,
			"CreateMultipartUpload: the answer has no <UploadId>");
		goto done;
	}
	*out = c.value, c.value = NULL;
done:
	free(c.value);
	return error;
}

int
rh_s3__xml_complete_etag(char *etag, size_t n, const char *xml, size_t len)
{
	one_ctx c = { "CompleteMultipartUploadResult",
		      "CompleteMultipartUploadResult/ETag", NULL, 0, 0 };
	rh_s3__xml_cb cb = { one_start, one_end, &c };
	int error;

	etag[0] = '\0';
	if ((error = rh_s3__xml_parse(xml, len, &cb)) < 0)
		goto done;
	if (c.bad_root || !c.root_seen) {
		error = rh__error(
			RH_ECORRUPT,
			"CompleteMultipartUpload: the answer is no <CompleteMultipartUploadResult>");
		goto done;
	}
	snprintf(etag, n, "%s", c.value ? c.value : "");
done:
	free(c.value);
	return error;
}

typedef struct del_ctx {
	rh_s3__xml_error *err;
	rh_s3__xml_error cur;
	char *cur_key;
	char *key;
	int found;
} del_ctx;

static int
del_start(const char *path, void *payload)
{
	del_ctx *c = payload;

	if (strcmp(path, "DeleteResult/Error") == 0) {
		memset(&c->cur, 0, sizeof(c->cur));
		free(c->cur_key);
		c->cur_key = NULL;
	}
	return 0;
}

static int
del_end(const char *path, const char *text, size_t len, void *payload)
{
	del_ctx *c = payload;

	if (strcmp(path, "DeleteResult/Error/Key") == 0 && text) {
		free(c->cur_key);
		if (!(c->cur_key = rh__strndup(text, len)))
			return RH_ENOMEM;
	} else if (strcmp(path, "DeleteResult/Error/Code") == 0) {
		copy_text(c->cur.code, sizeof(c->cur.code), text);
	} else if (strcmp(path, "DeleteResult/Error/Message") == 0) {
		copy_text(c->cur.message, sizeof(c->cur.message), text);
	} else if (strcmp(path, "DeleteResult/Error") == 0 && !c->found &&
	           strcmp(c->cur.code, "NoSuchKey") != 0) {
		c->found = 1;
		*c->err = c->cur;
		c->key = c->cur_key, c->cur_key = NULL;
	}
	return 0;
}

int
rh_s3__xml_delete_result(rh_s3__xml_error *err, char **key_out, const char *xml,
                         size_t len)
{
	del_ctx c;
	rh_s3__xml_cb cb = { del_start, del_end, &c };
	int error;

	memset(&c, 0, sizeof(c));
	memset(err, 0, sizeof(*err));
	*key_out = NULL;
	c.err = err;
	if ((error = rh_s3__xml_parse(xml, len, &cb)) == 0 && c.found) {
		*key_out = c.key, c.key = NULL;
		error = 1;
	}
	free(c.cur_key);
	free(c.key);
	return error;
}

typedef struct sts_ctx {
	rh_s3__sts_creds *out;
	int expiration_bad;
} sts_ctx;

static int
sts_end(const char *path, const char *text, size_t len, void *payload)
{
	sts_ctx *c = payload;
	char **dst = NULL;

	if (!text)
		return 0;
	if (path_ends(path, "Credentials/AccessKeyId"))
		dst = &c->out->access_key_id;
	else if (path_ends(path, "Credentials/SecretAccessKey"))
		dst = &c->out->secret_access_key;
	else if (path_ends(path, "Credentials/SessionToken"))
		dst = &c->out->session_token;
	else if (path_ends(path, "Credentials/Expiration")) {
		int64_t t = rh_s3__parse_iso8601_ms(text);

		if (t < 0)
			c->expiration_bad = 1;
		else
			c->out->expires_ms = t;
	}
	if (dst) {
		free(*dst);
		if (!(*dst = rh__strndup(text, len)))
			return RH_ENOMEM;
	}
	return 0;
}

int
rh_s3__xml_sts_parse(rh_s3__sts_creds *out, const char *xml, size_t len)
{
	sts_ctx c = { out, 0 };
	rh_s3__xml_cb cb = { NULL, sts_end, &c };
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = rh_s3__xml_parse(xml, len, &cb)) < 0)
		goto fail;
	if (!out->access_key_id || !*out->access_key_id ||
	    !out->secret_access_key || !*out->secret_access_key) {
		error = rh__error(
			RH_ECORRUPT,
			"the STS answer has no <Credentials> with <AccessKeyId> and <SecretAccessKey>");
		goto fail;
	}
	if (c.expiration_bad) {
		error = rh__error(RH_ECORRUPT,
		                  "the STS answer has a bad <Expiration>");
		goto fail;
	}
	return 0;
fail:
	rh_s3__sts_creds_dispose(out);
	return error;
}

void
rh_s3__sts_creds_dispose(rh_s3__sts_creds *c)
{
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}
