/* store_s3_url.c - store URLs, endpoints, and request URLs in AWS canonical
 * form.
 *
 * libcurl's SigV4 (7.88 and others) signs the path and query string exactly
 * as they stand in the URL, while S3 computes the signature over its own
 * canonical form of the request. The two agree only if the URL already is
 * canonical: every byte of a key but A-Z a-z 0-9 - . _ ~ '/' as upper-case
 * %XX, query names and values encoded the same way ('/' too, and '+' as
 * %2B, never as a space), parameters sorted by name, and "name=" for a
 * parameter without a value. So every URL is built here, never by hand.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "store_backend.h"
#include "store_s3.h"

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

int
rh_s3__encode(rh_buf *out, const char *s, size_t len, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, start = 0;
	int error;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (unreserved(c) || (keep_slash && c == '/'))
			continue;
		if ((error = rh_buf_put(out, s + start, i - start)) < 0)
			return error;
		esc[0] = '%', esc[1] = hex[c >> 4], esc[2] = hex[c & 15];
		if ((error = rh_buf_put(out, esc, 3)) < 0)
			return error;
		start = i + 1;
	}
	return rh_buf_put(out, s + start, len - start);
}

/* ---------------------------------------------------------------- query */

int
rh_s3__query_add(rh_s3__query *q, const char *name, const char *value)
{
	rh_buf n = RH_BUF_INIT, v = RH_BUF_INIT;
	int error;

	assert(q->n < RH_ARRAY_SIZE(q->p));
	/* Encoded now, so that sorting compares what is signed. */
	if ((error = rh_s3__encode(&n, name, strlen(name), 0)) < 0 ||
	    (error = rh_buf_puts(&n, "")) < 0 ||
	    (error = rh_s3__encode(&v, value, strlen(value), 0)) < 0 ||
	    (error = rh_buf_puts(&v, "")) < 0) {
		rh_buf_dispose(&n);
		rh_buf_dispose(&v);
		return error;
	}
	q->p[q->n].name = n.ptr;
	q->p[q->n].value = v.ptr;
	q->n++;
	return 0;
}

int
rh_s3__query_build(rh_buf *out, const rh_s3__query *q)
{
	size_t order[RH_ARRAY_SIZE(q->p)], i, j;
	int error;

	/* Insertion sort by encoded name, then value (AWS sorts by name;
	 * S3 requests never repeat one). */
	for (i = 0; i < q->n; i++) {
		size_t k = i;

		for (j = i; j > 0; j--) {
			int c = strcmp(q->p[order[j - 1]].name, q->p[k].name);

			if (c == 0)
				c = strcmp(q->p[order[j - 1]].value,
				           q->p[k].value);
			if (c <= 0)
				break;
			order[j] = order[j - 1];
		}
		order[j] = k;
	}
	for (i = 0; i < q->n; i++)
		if ((error = rh_buf_printf(out, "%s%s=%s", i ? "&" : "",
		                           q->p[order[i]].name,
		                           q->p[order[i]].value)) < 0)
			return error;
	return 0;
}

void
rh_s3__query_dispose(rh_s3__query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->p[i].name);
		free(q->p[i].value);
	}
	q->n = 0;
}

/* ---------------------------------------------------------------- hosts */

int
rh_s3__host_is_local(const char *host)
{
	unsigned char addr[16];
	char v6[64];
	size_t n = strlen(host), l = sizeof(".localhost") - 1;

	if (strcasecmp(host, "localhost") == 0 ||
	    (n > l && strcasecmp(host + n - l, ".localhost") == 0))
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return 1;
	if (host[0] == '[' && n > 2 && n - 2 < sizeof(v6)) {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		return inet_pton(AF_INET6, v6, addr) == 1;
	}
	return 0;
}

int
rh_s3__bucket_dns_ok(const char *bucket, int https)
{
	size_t n = strlen(bucket), i;
	unsigned char addr[4];

	if (n < 3 || n > 63 || !isalnum((unsigned char)bucket[0]) ||
	    !isalnum((unsigned char)bucket[n - 1]))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)bucket[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '.'))
			return 0;
		if (c == '.' && (https || bucket[i + 1] == '.'))
			return 0; /* a wildcard certificate covers one label */
	}
	return inet_pton(AF_INET, bucket, addr) != 1;
}

/* ---------------------------------------------------------------- parse */

static int
check_bucket(const char *url, const char *bucket)
{
	const char *p;

	if (!*bucket)
		return rh__error(
			RH_EINVAL,
			"%s: no bucket (write s3://BUCKET or s3://BUCKET/PREFIX)",
			url);
	if (strlen(bucket) > 255)
		return rh__error(RH_EINVAL,
		                 "%s: the bucket name is longer than 255 bytes",
		                 url);
	for (p = bucket; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return rh__error(
				RH_EINVAL,
				"%s: bucket \"%s\" has a '%c' (bucket names are letters, digits, '-', '.' and '_')",
				url, bucket,
				isprint((unsigned char)*p) ? *p : '?');
	return 0;
}

int
rh_s3__parse_url(char **bucket_out, char **prefix_out, const char *url)
{
	const char *rest, *slash;
	char *bucket = NULL, *prefix = NULL;
	size_t plen;
	int error;

	*bucket_out = *prefix_out = NULL;
	if (strncasecmp(url, "s3://", 5) != 0)
		return rh__error(RH_EINVAL, "%s: not an s3:// URL", url);
	rest = url + 5;
	slash = strchr(rest, '/');
	if (!(bucket = rh__strndup(rest, slash ? (size_t)(slash - rest) :
	                                         strlen(rest))))
		return RH_ENOMEM;
	if ((error = check_bucket(url, bucket)) < 0)
		goto done;
	/* The prefix is taken literally, as the AWS tools do: no
	 * %-decoding. Trailing '/' are dropped: "s3://b/p/" is "s3://b/p". */
	rest = slash ? slash + 1 : "";
	plen = strlen(rest);
	while (plen && rest[plen - 1] == '/')
		plen--;
	if (!(prefix = rh__strndup(rest, plen))) {
		error = RH_ENOMEM;
		goto done;
	}
	if (*prefix && rh_store__check_key(prefix) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", rh_error_last());
		error = rh__error(RH_EINVAL,
		                  "%s: the prefix is no valid key: %s", url,
		                  why);
		goto done;
	}
	if (strlen(prefix) > RH_STORE__KEY_MAX / 2) {
		error = rh__error(RH_EINVAL,
		                  "%s: the prefix is longer than %d bytes", url,
		                  RH_STORE__KEY_MAX / 2);
		goto done;
	}
	*bucket_out = bucket, bucket = NULL;
	*prefix_out = prefix, prefix = NULL;
done:
	free(bucket);
	free(prefix);
	return error;
}

int
rh_s3__parse_endpoint(char **scheme_out, char **host_out, unsigned *port_out,
                      const char *endpoint, const char *src)
{
	const char *p, *host, *hend, *colon = NULL;
	unsigned long port = 0;
	char *scheme = NULL;
	size_t i;

	*scheme_out = *host_out = NULL;
	*port_out = 0;
	if (strncasecmp(endpoint, "https://", 8) == 0)
		scheme = rh__strdup("https"), host = endpoint + 8;
	else if (strncasecmp(endpoint, "http://", 7) == 0)
		scheme = rh__strdup("http"), host = endpoint + 7;
	else
		return rh__error(
			RH_EINVAL,
			"endpoint \"%s\" (from %s) is no http:// or https:// URL (write https://HOST[:PORT])",
			endpoint, src);
	if (!scheme)
		return RH_ENOMEM;
	if (host[0] == '[') {
		if (!(hend = strchr(host, ']')))
			goto bad;
		hend++;
	} else {
		hend = host + strcspn(host, ":/?#");
	}
	if (hend == host)
		goto bad;
	for (p = host; p < hend; p++)
		if ((unsigned char)*p <= ' ' || *p == '@' || *p == '%' ||
		    *p == '\\' || (unsigned char)*p >= 0x7f)
			goto bad;
	p = hend;
	if (*p == ':') {
		colon = p;
		for (p++, i = 0; isdigit((unsigned char)*p) && i < 6; p++, i++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (p == colon + 1 || port == 0 || port > 65535)
			goto bad;
	}
	if (*p == '/')
		p++;
	if (*p)
		goto bad;
	if (!(*host_out = rh__strndup(host, (size_t)(hend - host)))) {
		free(scheme);
		return RH_ENOMEM;
	}
	for (i = 0; (*host_out)[i]; i++)
		(*host_out)[i] = (char)tolower((unsigned char)(*host_out)[i]);
	*scheme_out = scheme;
	*port_out = (unsigned)port;
	return 0;
bad:
	free(scheme);
	return rh__error(
		RH_EINVAL,
		"endpoint \"%s\" (from %s) is malformed: write http[s]://HOST[:PORT] with no path, user or query",
		endpoint, src);
}

/* ---------------------------------------------------------------- build */

int
rh_s3__object_url(rh_buf *out, const rh_s3__config *cfg, const char *key,
                  const char *query)
{
	int error;

	if ((error = rh_buf_printf(out, "%s://", cfg->scheme)) < 0)
		return error;
	if (!cfg->path_style && ((error = rh_buf_puts(out, cfg->bucket)) < 0 ||
	                         (error = rh_buf_puts(out, ".")) < 0))
		return error;
	if ((error = rh_buf_puts(out, cfg->host)) < 0 ||
	    (cfg->port && (error = rh_buf_printf(out, ":%u", cfg->port)) < 0))
		return error;
	if (cfg->path_style &&
	    ((error = rh_buf_puts(out, "/")) < 0 ||
	     (error = rh_s3__encode(out, cfg->bucket, strlen(cfg->bucket), 0)) <
	             0))
		return error;
	if (key) {
		if ((error = rh_buf_puts(out, "/")) < 0 ||
		    (error = rh_s3__encode(out, key, strlen(key), 1)) < 0)
			return error;
	} else if (!cfg->path_style && (error = rh_buf_puts(out, "/")) < 0) {
		return error;
	}
	if (query && *query &&
	    ((error = rh_buf_puts(out, "?")) < 0 ||
	     (error = rh_buf_puts(out, query)) < 0))
		return error;
	return 0;
}
