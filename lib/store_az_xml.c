/* store_az_xml.c - the answer of "List Blobs" (EnumerationResults) into the
 * page type the S3 listing uses, on the S3 backend's XML parser (which
 * refuses DOCTYPEs, deep nesting and long names). */
#include "internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>

#include "store_az.h"

typedef struct az_list_ctx {
	rh_s3__list_page *page;
	rh_s3__list_item cur;
	int checked;
} az_list_ctx;

#define BLOB "EnumerationResults/Blobs/Blob"
#define BLOBPFX "EnumerationResults/Blobs/BlobPrefix"

static int
az_start(const char *path, void *payload)
{
	az_list_ctx *c = payload;

	if (!c->checked) {
		c->checked = 1;
		if (strcmp(path, "EnumerationResults") != 0)
			return rh__error(
				RH_ECORRUPT,
				"the answer to List Blobs is a <%s>, not an <EnumerationResults>",
				path);
	}
	if (strcmp(path, BLOB) == 0 || strcmp(path, BLOBPFX) == 0) {
		free(c->cur.key);
		memset(&c->cur, 0, sizeof(c->cur));
		c->cur.is_prefix = strcmp(path, BLOBPFX) == 0;
	}
	return 0;
}

static int
push(rh_s3__list_page *page, rh_s3__list_item *it)
{
	if (page->n == page->cap) {
		size_t cap = page->cap ? page->cap * 2 : 64;
		rh_s3__list_item *v =
			rh__realloc(page->items, cap * sizeof(*v));

		if (!v)
			return RH_ENOMEM;
		page->items = v, page->cap = cap;
	}
	page->items[page->n++] = *it;
	memset(it, 0, sizeof(*it));
	return 0;
}

static int
az_end(const char *path, const char *text, size_t len, void *payload)
{
	az_list_ctx *c = payload;
	char *end;

	if (strcmp(path, BLOB "/Name") == 0 ||
	    strcmp(path, BLOBPFX "/Name") == 0) {
		if (!text || c->cur.key)
			return rh__error(
				RH_ECORRUPT,
				"List Blobs: a repeated or structured <Name>");
		if (!(c->cur.key = rh__strndup(text, len)))
			return RH_ENOMEM;
	} else if (strcmp(path, BLOB "/Properties/Content-Length") == 0) {
		if (!text || !isdigit((unsigned char)text[0]))
			return rh__error(
				RH_ECORRUPT,
				"List Blobs: <Content-Length> is no number");
		errno = 0;
		c->cur.size = strtoull(text, &end, 10);
		if (errno || *end)
			return rh__error(
				RH_ECORRUPT,
				"List Blobs: <Content-Length> \"%.40s\" is no number",
				text);
	} else if (strcmp(path, BLOB "/Properties/Last-Modified") == 0) {
		time_t t = text ? curl_getdate(text, NULL) : -1;

		c->cur.mtime_ms = t > 0 ? (int64_t)t * 1000 : 0;
	} else if (strcmp(path, BLOB) == 0 || strcmp(path, BLOBPFX) == 0) {
		if (!c->cur.key)
			return rh__error(
				RH_ECORRUPT,
				"List Blobs: an entry without a <Name>");
		return push(c->page, &c->cur);
	} else if (strcmp(path, "EnumerationResults/NextMarker") == 0) {
		free(c->page->next_token);
		c->page->next_token = NULL;
		if (!text)
			return rh__error(
				RH_ECORRUPT,
				"List Blobs: a structured <NextMarker>");
		c->page->truncated = len > 0;
		if (len && !(c->page->next_token = rh__strndup(text, len)))
			return RH_ENOMEM;
	}
	return 0;
}

static int
cmp_items(const void *a, const void *b)
{
	return strcmp(((const rh_s3__list_item *)a)->key,
	              ((const rh_s3__list_item *)b)->key);
}

int
rh_az__xml_list_parse(rh_s3__list_page *page, const char *xml, size_t len)
{
	az_list_ctx c;
	rh_s3__xml_cb cb = { az_start, az_end, &c };
	int error;

	memset(page, 0, sizeof(*page));
	memset(&c, 0, sizeof(c));
	c.page = page;
	if ((error = rh_s3__xml_parse(xml, len, &cb)) == 0 && !c.checked)
		error = rh__error(RH_ECORRUPT, "List Blobs: an empty answer");
	free(c.cur.key);
	if (error < 0) {
		rh_s3__list_page_dispose(page);
		return error;
	}
	if (page->n)
		qsort(page->items, page->n, sizeof(*page->items), cmp_items);
	return 0;
}
