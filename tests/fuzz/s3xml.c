/* s3xml.c - fuzz target for the XML parser of S3 and STS answers
 * (lib/store_s3_xml.c): every input goes to every reader (the generic
 * parser, ListObjectsV2 pages, errors, multipart, batch delete and STS
 * results). A failure must be RH_ECORRUPT (or RH_ENOMEM) with a message; a
 * page must come out in key order with a key for every entry. Then the
 * input, escaped as the text of an element, must parse back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "store_s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_failure(int error)
{
	if (error == 0 || error == RH_ENOMEM)
		return;
	if (error != RH_ECORRUPT || !*rh_error_last())
		abort();
}

static int
count(const char *path, const char *text, size_t len, void *payload)
{
	(void)text;
	if (!path || !*path || (text && strlen(text) != len))
		abort();
	(*(size_t *)payload)++;
	return 0;
}

typedef struct rt {
	const char *want;
	size_t len;
	int seen;
} rt;

static int
round_trip(const char *path, const char *text, size_t len, void *payload)
{
	rt *r = payload;

	if (strcmp(path, "R/K") == 0) {
		if (!text || len != r->len || memcmp(text, r->want, len) != 0)
			abort();
		r->seen = 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *xml = (const char *)data;
	rh_s3__list_page page;
	rh_s3__xml_error err;
	rh_s3__sts_creds creds;
	size_t n = 0, i;
	rh_s3__xml_cb cb = { NULL, count, &n };
	char *s = NULL;
	int error;

	check_failure(rh_s3__xml_parse(xml, size, &cb));
	error = rh_s3__xml_list_parse(&page, xml, size);
	check_failure(error);
	if (error == 0) {
		for (i = 0; i < page.n; i++)
			if (!page.items[i].key ||
			    (i && strcmp(page.items[i - 1].key,
			                 page.items[i].key) > 0))
				abort();
		if (page.truncated && (!page.next_token || !*page.next_token))
			abort();
		rh_s3__list_page_dispose(&page);
	}
	rh_s3__xml_error_parse(&err, xml, size);
	if (strlen(err.code) >= sizeof(err.code) ||
	    strlen(err.message) >= sizeof(err.message))
		abort();
	check_failure(rh_s3__xml_upload_id(&s, xml, size));
	free(s);
	error = rh_s3__xml_delete_result(&err, &s, xml, size);
	if (error < 0)
		check_failure(error);
	free(s);
	if (rh_s3__xml_sts_parse(&creds, xml, size) == 0) {
		if (!creds.access_key_id || !creds.secret_access_key)
			abort();
		rh_s3__sts_creds_dispose(&creds);
	}

	/* any text without NUL survives escaping and parsing */
	if (size && !memchr(data, '\0', size)) {
		rh_buf b = RH_BUF_INIT, t = RH_BUF_INIT;
		rt r;
		rh_s3__xml_cb cb2 = { NULL, round_trip, &r };

		if (rh_buf_put(&t, data, size) == 0 &&
		    rh_buf_puts(&b, "<R><K>") == 0 &&
		    rh_s3__xml_escape(&b, t.ptr) == 0 &&
		    rh_buf_puts(&b, "</K></R>") == 0) {
			r.want = t.ptr, r.len = size, r.seen = 0;
			if (rh_s3__xml_parse(b.ptr, b.size, &cb2) != 0 ||
			    !r.seen)
				abort();
		}
		rh_buf_dispose(&b);
		rh_buf_dispose(&t);
	}
	return 0;
}
