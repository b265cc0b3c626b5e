/* store_az_sign.c - Azure Storage "Authorize with Shared Key" (Microsoft
 * Learn, Storage Services REST API): the string to sign of the Blob
 * service, HMAC-SHA256 under the decoded account key, and the base64 both
 * need. libcurl signs AWS SigV4 but knows nothing of Shared Key, so it is
 * written here; the steps and their names follow the spec's sections
 * "Blob, Queue, and File services (Shared Key authorization)",
 * "Constructing the canonicalized headers string" and "Shared Key format
 * for 2009-09-19 and later" (canonicalized resource).
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>

#include "sha256.h"
#include "store_az.h"

/* ---------------------------------------------------------------- base64 */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
rh_az__base64_encode(rh_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;
	int error;

	for (i = 0; i + 2 < len; i += 3) {
		char q[4] = { b64[p[i] >> 2],
			      b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
			      b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6],
			      b64[p[i + 2] & 63] };

		if ((error = rh_buf_put(out, q, 4)) < 0)
			return error;
	}
	if (len - i == 1) {
		char q[4] = { b64[p[i] >> 2], b64[(p[i] & 3) << 4], '=', '=' };

		return rh_buf_put(out, q, 4);
	}
	if (len - i == 2) {
		char q[4] = { b64[p[i] >> 2],
			      b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
			      b64[(p[i + 1] & 15) << 2], '=' };

		return rh_buf_put(out, q, 4);
	}
	return rh_buf_puts(out, "");
}

static int
b64_val(int c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int
rh_az__base64_decode(rh_buf *out, const char *s)
{
	size_t n = strlen(s), i;
	int error;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n % 4)
		return RH_EINVAL;
	for (i = 0; i < n; i += 4) {
		int v[4], k, pad = 0;
		unsigned char o[3];

		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0, pad++;
			} else if (pad ||
			           (v[k] = b64_val((unsigned char)s[i + k])) <
			                   0) {
				return RH_EINVAL;
			}
		}
		o[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		o[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		o[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
		if ((error = rh_buf_put(out, o, (size_t)(3 - pad))) < 0)
			return error;
	}
	return 0;
}

/* ---------------------------------------------------------------- hmac */

void
rh_az__hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
                   const void *msg, size_t len)
{
	unsigned char k[64] = { 0 }, pad[64], inner[32];
	rh_sha256 s;
	size_t i;

	if (keylen > 64) {
		rh__sha256_init(&s);
		rh__sha256_update(&s, key, keylen);
		rh__sha256_final(&s, k);
	} else if (keylen) {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	rh__sha256_init(&s);
	rh__sha256_update(&s, pad, 64);
	rh__sha256_update(&s, msg, len);
	rh__sha256_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	rh__sha256_init(&s);
	rh__sha256_update(&s, pad, 64);
	rh__sha256_update(&s, inner, 32);
	rh__sha256_final(&s, out);
	memset(k, 0, sizeof(k));
	memset(pad, 0, sizeof(pad));
}

/* ---------------------------------------------------------------- string */

/* Percent-decode s[0..n) into out ('+' stays '+': the query values we
 * send are encoded with %20). */
static int
decode(rh_buf *out, const char *s, size_t n)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		int hi, lo;
		char c = s[i];

		if (c == '%' && i + 2 < n &&
		    (hi = rh__hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = rh__hexval((unsigned char)s[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if ((error = rh_buf_put(out, &c, 1)) < 0)
			return error;
	}
	return 0;
}

typedef struct qparam {
	char *name;  /* lower-cased, decoded */
	char *value; /* decoded */
} qparam;

static int
qparam_cmp(const void *a, const void *b)
{
	return strcmp(((const qparam *)a)->name, ((const qparam *)b)->name);
}

static int
header_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "Constructing the canonicalized headers string": every x-ms- header,
 * name lower-cased, sorted by name, "name:value\n", whitespace around the
 * colon trimmed. The caller sends each header once. */
static int
canonical_headers(rh_buf *out, const char *const *hdrs)
{
	char **v = NULL;
	size_t n = 0, i;
	int error = 0;

	for (i = 0; hdrs && hdrs[i]; i++)
		n++;
	if (n && !(v = rh__calloc(n, sizeof(*v))))
		return RH_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *colon = strchr(hdrs[i], ':'), *val;
		size_t nl, j;

		if (!colon) {
			error = rh__error(RH_EINVAL, "header \"%s\" has no ':'",
			                  hdrs[i]);
			goto done;
		}
		nl = (size_t)(colon - hdrs[i]);
		while (nl && hdrs[i][nl - 1] == ' ')
			nl--;
		val = colon + 1;
		while (*val == ' ')
			val++;
		if (!(v[i] = rh__malloc(nl + strlen(val) + 2))) {
			error = RH_ENOMEM;
			goto done;
		}
		for (j = 0; j < nl; j++)
			v[i][j] = (char)tolower((unsigned char)hdrs[i][j]);
		v[i][nl] = ':';
		strcpy(v[i] + nl + 1, val);
	}
	if (n)
		qsort(v, n, sizeof(*v), header_cmp);
	for (i = 0; i < n; i++)
		if ((error = rh_buf_puts(out, v[i])) < 0 ||
		    (error = rh_buf_puts(out, "\n")) < 0)
			goto done;
done:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return error;
}

/* "Shared Key format for 2009-09-19 and later": "/" account, the URL's
 * path as sent (for the emulator's path-style URLs it starts with the
 * account again), then each query parameter, name lower-cased, sorted,
 * "\nname:decoded value". */
static int
canonical_resource(rh_buf *out, const char *account, const char *url)
{
	const char *p = strstr(url, "://"), *q;
	qparam *v = NULL;
	size_t n = 0, cap = 0, i;
	rh_buf tmp = RH_BUF_INIT;
	int error;

	p = p ? strchr(p + 3, '/') : NULL;
	if (!p)
		p = "/";
	q = strchr(p, '?');
	if ((error = rh_buf_printf(out, "/%s", account)) < 0 ||
	    (error = rh_buf_put(out, p, q ? (size_t)(q - p) : strlen(p))) < 0)
		goto done;
	for (q = q ? q + 1 : NULL; q && *q;) {
		size_t len = strcspn(q, "&"), nl = strcspn(q, "=");
		qparam *nv;

		if (nl > len)
			nl = len;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(nv = rh__realloc(v, cap * sizeof(*v)))) {
				error = RH_ENOMEM;
				goto done;
			}
			v = nv;
		}
		rh_buf_clear(&tmp);
		if ((error = decode(&tmp, q, nl)) < 0 ||
		    (error = rh_buf_puts(&tmp, "")) < 0)
			goto done;
		for (i = 0; i < tmp.size; i++)
			tmp.ptr[i] = (char)tolower((unsigned char)tmp.ptr[i]);
		v[n].name = tmp.ptr, tmp.ptr = NULL, tmp.size = tmp.asize = 0;
		v[n].value = NULL;
		n++;
		if ((error = nl < len ? decode(&tmp, q + nl + 1, len - nl - 1) :
		                        0) < 0 ||
		    (error = rh_buf_puts(&tmp, "")) < 0)
			goto done;
		v[n - 1].value = tmp.ptr, tmp.ptr = NULL,
		      tmp.size = tmp.asize = 0;
		q += len;
		if (*q == '&')
			q++;
	}
	if (n)
		qsort(v, n, sizeof(*v), qparam_cmp);
	for (i = 0; i < n; i++)
		if ((error = rh_buf_printf(out, "\n%s:%s", v[i].name,
		                           v[i].value)) < 0)
			goto done;
done:
	for (i = 0; i < n; i++)
		free(v[i].name), free(v[i].value);
	free(v);
	rh_buf_dispose(&tmp);
	return error;
}

int
rh_az__string_to_sign(rh_buf *out, const char *account,
                      const rh_az__sign_req *r)
{
	char len[32] = "";
	int error;

	/* Version 2015-02-21 and later: a Content-Length of 0 is "". */
	if (r->content_length)
		snprintf(len, sizeof(len), "%llu",
		         (unsigned long long)r->content_length);
	/* VERB, Content-Encoding, Content-Language, Content-Length,
	 * Content-MD5, Content-Type, Date (empty: x-ms-date is sent),
	 * If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since,
	 * Range. */
	if ((error = rh_buf_printf(out, "%s\n\n\n%s\n%s\n%s\n\n\n\n\n\n%s\n",
	                           r->method, len,
	                           r->content_md5 ? r->content_md5 : "",
	                           r->content_type ? r->content_type : "",
	                           r->range ? r->range : "")) < 0 ||
	    (error = canonical_headers(out, r->ms_headers)) < 0 ||
	    (error = canonical_resource(out, account, r->url)) < 0)
		return error;
	return 0;
}

int
rh_az__authorization(rh_buf *out, const char *account, const unsigned char *key,
                     size_t keylen, const rh_az__sign_req *r)
{
	rh_buf sts = RH_BUF_INIT;
	unsigned char mac[32];
	int error;

	if ((error = rh_az__string_to_sign(&sts, account, r)) < 0)
		goto done;
	rh_az__hmac_sha256(mac, key, keylen, sts.ptr, sts.size);
	if ((error = rh_buf_printf(out, "SharedKey %s:", account)) < 0 ||
	    (error = rh_az__base64_encode(out, mac, sizeof(mac))) < 0)
		goto done;
done:
	rh_buf_dispose(&sts);
	return error;
}
