/* store.c - the public store API (rayhist/store.h): URL dispatch, argument
 * and key checks, writer state; the I/O is a backend's (store_backend.h). */
#include "internal.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "store_backend.h"
#include "store_defer.h"

/* How much of a bad key or URL a message quotes. */
#define QUOTE_MAX 160

struct rh_store {
	rh_store_backend *be;
	char *url; /* normalised, as rh_store_url() returns it */
	int sb;    /* backend index in rh_store_stats, -1 if uncounted */
};

struct rh_store_writer {
	rh_store_backend_writer *bw;
	uint64_t size;
	/* A failed write may have stored part of its bytes: the object can
	 * only be thrown away, never committed. */
	int failed;
	int sb;     /* as rh_store's */
	char key[]; /* for messages */
};

/* Copy `s` into `dst` for a message: control bytes as \xNN, cut at
 * QUOTE_MAX bytes with "...". */
static const char *
quote(char *dst, size_t dstsz, const char *s)
{
	size_t o = 0;

	for (; *s && o + 8 < dstsz; s++) {
		unsigned char c = (unsigned char)*s;

		if (o >= QUOTE_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return dst;
}

/* Check the components of s[0..len), each ended by '/' or by len: none
 * empty, "." or "..". `what` is "key" or "prefix", for the message. */
static int
check_components(const char *s, size_t len, const char *full, const char *what)
{
	char q[QUOTE_MAX + 16];
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != '/')
			j++;
		if (j == i)
			return rh__error(RH_EINVAL,
			                 "%s \"%s\" has an empty component",
			                 what, quote(q, sizeof(q), full));
		if ((j - i == 1 && s[i] == '.') ||
		    (j - i == 2 && s[i] == '.' && s[i + 1] == '.'))
			return rh__error(RH_EINVAL,
			                 "%s \"%s\" has a \"%.*s\" component",
			                 what, quote(q, sizeof(q), full),
			                 (int)(j - i), s + i);
		i = j + 1;
	}
	return 0;
}

static int
check_bytes(const char *s, size_t *len_out, const char *what)
{
	char q[QUOTE_MAX + 16];
	size_t i;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return rh__error(
				RH_EINVAL,
				"%s \"%s\" has a control byte (0x%02x)", what,
				quote(q, sizeof(q), s), c);
		if (i >= RH_STORE__KEY_MAX)
			return rh__error(RH_EINVAL,
			                 "%s \"%s\" is longer than %d bytes",
			                 what, quote(q, sizeof(q), s),
			                 RH_STORE__KEY_MAX);
	}
	*len_out = i;
	return 0;
}

int
rh_store__check_key(const char *key)
{
	char q[QUOTE_MAX + 16];
	size_t len;
	int error;

	if (!key)
		return rh__error(RH_EINVAL, "key is NULL");
	if ((error = check_bytes(key, &len, "key")) < 0)
		return error;
	if (len == 0)
		return rh__error(RH_EINVAL, "key is empty");
	if (key[0] == '/')
		return rh__error(RH_EINVAL, "key \"%s\" starts with '/'",
		                 quote(q, sizeof(q), key));
	if (key[len - 1] == '/')
		return rh__error(RH_EINVAL, "key \"%s\" ends with '/'",
		                 quote(q, sizeof(q), key));
	return check_components(key, len, key, "key");
}

/* A prefix is a key cut anywhere: its folder part, up to the last '/',
 * follows the key rules; the rest is free (it may end mid-name). */
static int
check_prefix(const char *prefix)
{
	char q[QUOTE_MAX + 16];
	const char *slash;
	size_t len;
	int error;

	if ((error = check_bytes(prefix, &len, "prefix")) < 0)
		return error;
	if (prefix[0] == '/')
		return rh__error(RH_EINVAL, "prefix \"%s\" starts with '/'",
		                 quote(q, sizeof(q), prefix));
	if (!(slash = strrchr(prefix, '/')))
		return 0;
	return check_components(prefix, (size_t)(slash - prefix) + 1, prefix,
	                        "prefix");
}

static int
check_store(const rh_store *st, const char *fn)
{
	if (!st)
		return rh__error(RH_EINVAL, "%s: store is NULL", fn);
	return 0;
}

RH_EXTERN const char *
rh_store_default_url(const char *flag)
{
	const char *env;

	if (flag)
		return flag;
	if ((env = getenv("RAYHIST_STORE")) && *env)
		return env;
	return RH_STORE_DEFAULT_URL;
}

/* Length of "scheme" when url starts with "scheme://", else 0. */
static size_t
scheme_len(const char *url)
{
	size_t i = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[i]) || url[i] == '+' ||
	       url[i] == '-' || url[i] == '.')
		i++;
	return strncmp(url + i, "://", 3) == 0 ? i : 0;
}

/* The path of a file:// URL, percent-decoded. `rest` follows "file://". */
static int
file_url_path(char **out, const char *url, const char *rest)
{
	char q[QUOTE_MAX + 16];
	char *path, *o;
	const char *p;

	if (strncasecmp(rest, "localhost/", 10) == 0)
		rest += 9;
	if (rest[0] != '/')
		return rh__error(
			RH_EINVAL,
			"%s: a file:// URL needs an absolute path (file:///path)",
			quote(q, sizeof(q), url));
	if (strpbrk(rest, "?#"))
		return rh__error(
			RH_EINVAL,
			"%s: a store URL takes no query or fragment (write '?' as %%3F, '#' as %%23)",
			quote(q, sizeof(q), url));
	if (!(path = rh__malloc(strlen(rest) + 1)))
		return RH_ENOMEM;
	for (p = rest, o = path; *p; p++) {
		int hi, lo;

		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if ((hi = rh__hexval((unsigned char)p[1])) < 0 ||
		    (lo = rh__hexval((unsigned char)p[2])) < 0 ||
		    (hi == 0 && lo == 0)) {
			free(path);
			return rh__error(RH_EINVAL,
			                 "%s: bad %%-escape \"%.3s\"",
			                 quote(q, sizeof(q), url), p);
		}
		*o++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*o = '\0';
	*out = path;
	return 0;
}

/* Make `path` absolute and tidy: the working folder in front of a relative
 * path, no empty or "." components, no trailing '/'. ".." stays, since
 * folding it lexically would be wrong across symbolic links. */
static int
normalise_path(char **out, const char *path)
{
	rh_buf b = RH_BUF_INIT;
	char *cwd = NULL;
	const char *p;
	int error = 0;

	if (path[0] != '/') {
		if (!(cwd = getcwd(NULL, 0))) {
			error = rh__error(
				RH_EIO,
				"%s: cannot find the working folder: %s", path,
				strerror(errno));
			goto done;
		}
		if ((error = rh_buf_puts(&b, cwd)) < 0)
			goto done;
	}
	for (p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n && !(n == 1 && p[0] == '.'))
			if ((error = rh_buf_puts(&b, "/")) < 0 ||
			    (error = rh_buf_put(&b, p, n)) < 0)
				goto done;
		p += n;
		p += strspn(p, "/");
	}
	if (b.size == 0 && (error = rh_buf_puts(&b, "/")) < 0)
		goto done;
	*out = b.ptr, b.ptr = NULL;
done:
	free(cwd);
	rh_buf_dispose(&b);
	return error;
}

/* "file://" + `path` with every byte outside RFC 3986 pchar and '/' as %XX,
 * so that rh_store_open(rh_store_url()) opens the same folder. */
static int
file_url(char **out, const char *path)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	rh_buf b = RH_BUF_INIT;
	const unsigned char *p;
	int error;

	if ((error = rh_buf_puts(&b, "file://")) < 0)
		goto done;
	for (p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr(keep, *p))
			error = rh_buf_put(&b, p, 1);
		else
			error = rh_buf_printf(&b, "%%%02X", *p);
		if (error < 0)
			goto done;
	}
	*out = b.ptr, b.ptr = NULL;
done:
	rh_buf_dispose(&b);
	return error;
}

static int
open_file_store(rh_store *st, const char *url, const char *raw_path,
                const rh_store_options *opts)
{
	char *path = NULL;
	int error;

	if ((error = normalise_path(&path, raw_path)) < 0 ||
	    (error = rh_store__file_open(&st->be, path, opts)) < 0 ||
	    (error = file_url(&st->url, path)) < 0)
		goto done;
done:
	free(path);
	return error;
}

RH_EXTERN int
rh_store_open(rh_store **out, const char *url, const rh_store_options *opts)
{
	rh_store_options defaults = RH_STORE_OPTIONS_INIT;
	char q[QUOTE_MAX + 16];
	rh_store *st = NULL;
	char *path = NULL;
	size_t slen;
	int error;

	if (!out)
		return rh__error(RH_EINVAL, "rh_store_open: out is NULL");
	*out = NULL;
	if (!url || !*url)
		return rh__error(RH_EINVAL, "store URL is empty");
	if (opts && (opts->version == 1 || opts->version == 2)) {
		/* an older caller's struct ends before must_exist (1) or
		 * before the cache fields (2) */
		memcpy(&defaults, opts,
		       opts->version == 1 ?
		               offsetof(rh_store_options, must_exist) :
		               offsetof(rh_store_options, cache_dir));
		defaults.version = RH_STORE_OPTIONS_VERSION;
		opts = &defaults;
	}
	if (!opts)
		opts = &defaults;
	if (opts->version != RH_STORE_OPTIONS_VERSION)
		return rh__error(RH_EINVAL,
		                 "rh_store_options version %u is not %d",
		                 opts->version, RH_STORE_OPTIONS_VERSION);
	if (opts->read_only && (!opts->cache_dir || !*opts->cache_dir))
		return rh__error(
			RH_EINVAL,
			"a read-only store needs a cache "
			"folder for the objects it derives (cache_dir)");
	if (!(st = rh__calloc(1, sizeof(*st))))
		return RH_ENOMEM;

	slen = scheme_len(url);
	if (slen == 0) {
		error = open_file_store(st, url, url, opts);
	} else if (slen == 4 && strncasecmp(url, "file", 4) == 0) {
		if ((error = file_url_path(&path, url, url + 7)) == 0)
			error = open_file_store(st, url, path, opts);
	} else if (slen == 2 && strncasecmp(url, "s3", 2) == 0) {
		error = rh_store__s3_open(&st->be, &st->url, url, opts);
	} else if ((slen == 2 && strncasecmp(url, "az", 2) == 0) ||
	           (slen == 5 && strncasecmp(url, "https", 5) == 0)) {
		/* https://ACCOUNT.blob.core.windows.net/CONTAINER: the
		 * URL Azure's portal shows for a container */
		error = rh_store__az_open(&st->be, &st->url, url, opts);
	} else {
		error = rh__error(
			RH_EINVAL,
			"%s: unsupported store URL scheme \"%.*s\" (use file://, s3://, az:// or a path)",
			quote(q, sizeof(q), url), (int)slen, url);
	}
	if (error < 0)
		goto done;
	st->sb = rh_store__stats_backend(st->be->ops->scheme);
	if (opts->cache_dir && *opts->cache_dir &&
	    (error = rh_store__cache_wrap(&st->be, st->url, opts)) < 0)
		goto done;
	*out = st, st = NULL;
done:
	free(path);
	rh_store_close(st);
	return error;
}

RH_EXTERN const char *
rh_store_url(const rh_store *st)
{
	return st ? st->url : "";
}

RH_EXTERN void
rh_store_close(rh_store *st)
{
	if (!st)
		return;
	if (st->be)
		st->be->ops->close(st->be);
	free(st->url);
	free(st);
}

RH_EXTERN int
rh_store_put(rh_store *st, const char *key, const void *data, size_t len)
{
	int error;

	if ((error = check_store(st, "rh_store_put")) < 0 ||
	    (error = rh_store__check_key(key)) < 0)
		return error;
	if (!data && len)
		return rh__error(RH_EINVAL, "rh_store_put: data is NULL");
	rh_store__stats_begin(st->sb, RH_STORE__PUT);
	return rh_store__stats_end(st->sb, RH_STORE__PUT,
	                           st->be->ops->put(st->be, key, data, len));
}

RH_EXTERN int
rh_store_get(rh_buf *out, rh_store *st, const char *key, uint64_t off,
             size_t len)
{
	int error;

	if (!out)
		return rh__error(RH_EINVAL, "rh_store_get: out is NULL");
	if ((error = check_store(st, "rh_store_get")) < 0 ||
	    (error = rh_store__check_key(key)) < 0)
		return error;
	rh_store__stats_begin(st->sb, RH_STORE__GET);
	return rh_store__stats_end(
		st->sb, RH_STORE__GET,
		st->be->ops->get(out, st->be, key, off, len));
}

RH_EXTERN int
rh_store_head(uint64_t *size_out, int64_t *mtime_ms_out, rh_store *st,
              const char *key)
{
	int error;

	if (!size_out)
		return rh__error(RH_EINVAL, "rh_store_head: size_out is NULL");
	if ((error = check_store(st, "rh_store_head")) < 0 ||
	    (error = rh_store__check_key(key)) < 0)
		return error;
	rh_store__stats_begin(st->sb, RH_STORE__HEAD);
	return rh_store__stats_end(
		st->sb, RH_STORE__HEAD,
		st->be->ops->head(size_out, mtime_ms_out, st->be, key));
}

RH_EXTERN int
rh_store_list(rh_store *st, const char *prefix, const char *delim,
              rh_store_list_cb cb, void *payload)
{
	int error;

	if ((error = check_store(st, "rh_store_list")) < 0)
		return error;
	if (!cb)
		return rh__error(RH_EINVAL, "rh_store_list: callback is NULL");
	if (!prefix)
		prefix = "";
	if ((error = check_prefix(prefix)) < 0)
		return error;
	if (delim && !*delim)
		delim = NULL;
	rh_store__stats_begin(st->sb, RH_STORE__LIST);
	return rh_store__stats_end(
		st->sb, RH_STORE__LIST,
		st->be->ops->list(st->be, prefix, delim, cb, payload));
}

RH_EXTERN int
rh_store_delete(rh_store *st, const char *key)
{
	int error;

	if ((error = check_store(st, "rh_store_delete")) < 0 ||
	    (error = rh_store__check_key(key)) < 0)
		return error;
	rh_store__stats_begin(st->sb, RH_STORE__DELETE);
	return rh_store__stats_end(st->sb, RH_STORE__DELETE,
	                           st->be->ops->del(st->be, key));
}

RH_EXTERN int
rh_store_delete_many(rh_store *st, const char *const *keys, size_t n)
{
	size_t i;
	int error;

	if ((error = check_store(st, "rh_store_delete_many")) < 0)
		return error;
	if (!keys && n)
		return rh__error(RH_EINVAL,
		                 "rh_store_delete_many: keys is NULL");
	for (i = 0; i < n; i++)
		if ((error = rh_store__check_key(keys[i])) < 0)
			return error;
	if (n == 0)
		return 0;
	rh_store__stats_begin(st->sb, RH_STORE__DELETE);
	if (st->be->ops->del_many)
		error = st->be->ops->del_many(st->be, keys, n);
	else
		for (i = 0; i < n; i++)
			if ((error = st->be->ops->del(st->be, keys[i])) < 0)
				break;
	return rh_store__stats_end(st->sb, RH_STORE__DELETE, error);
}

static int
writer_open(rh_store_writer **out, rh_store *st, const char *key, int nosync)
{
	const rh_store_backend_ops *ops;
	rh_store_writer *w = NULL;
	int error;

	if (!out)
		return rh__error(RH_EINVAL,
		                 "rh_store_writer_open: out is NULL");
	*out = NULL;
	if ((error = check_store(st, "rh_store_writer_open")) < 0 ||
	    (error = rh_store__check_key(key)) < 0)
		return error;
	if (!(w = rh__calloc(1, sizeof(*w) + strlen(key) + 1)))
		return RH_ENOMEM;
	strcpy(w->key, key);
	w->sb = st->sb;
	ops = st->be->ops;
	rh_store__stats_begin(st->sb, RH_STORE__WRITER);
	if (nosync && ops->writer_open_nosync)
		error = ops->writer_open_nosync(&w->bw, st->be, key);
	else
		error = ops->writer_open(&w->bw, st->be, key);
	rh_store__stats_begin(-1, 0);
	if (error < 0) {
		rh_store__stats_end(st->sb, RH_STORE__WRITER, error);
		goto done;
	}
	*out = w, w = NULL;
done:
	free(w);
	return error;
}

RH_EXTERN int
rh_store_writer_open(rh_store_writer **out, rh_store *st, const char *key)
{
	return writer_open(out, st, key, 0);
}

int
rh_store__writer_open_nosync(rh_store_writer **out, rh_store *st,
                             const char *key)
{
	return writer_open(out, st, key, 1);
}

int
rh_store__sync(rh_store *st)
{
	int error;

	if ((error = check_store(st, "rh_store__sync")) < 0)
		return error;
	return st->be->ops->sync ? st->be->ops->sync(st->be) : 0;
}

RH_EXTERN int
rh_store_writer_write(rh_store_writer *w, const void *data, size_t len)
{
	int error;

	if (!w)
		return rh__error(RH_EINVAL,
		                 "rh_store_writer_write: writer is NULL");
	if (w->failed)
		return rh__error(
			RH_EIO,
			"%s: an earlier write failed; abort this writer",
			w->key);
	if (!data && len)
		return rh__error(RH_EINVAL,
		                 "rh_store_writer_write: data is NULL");
	if (len == 0)
		return 0;
	/* noted so that retries of part uploads count as the writer's */
	rh_store__stats_begin(w->sb, RH_STORE__WRITER);
	error = w->bw->be->ops->writer_write(w->bw, data, len);
	rh_store__stats_begin(-1, 0);
	if (error < 0) {
		w->failed = 1;
		return error;
	}
	w->size += len;
	return 0;
}

RH_EXTERN uint64_t
rh_store_writer_size(const rh_store_writer *w)
{
	return w ? w->size : 0;
}

RH_EXTERN int
rh_store_writer_commit(rh_store_writer *w)
{
	const rh_store_backend_ops *ops;
	int error, sb;

	if (!w)
		return rh__error(RH_EINVAL,
		                 "rh_store_writer_commit: writer is NULL");
	ops = w->bw->be->ops;
	sb = w->sb;
	rh_store__stats_begin(sb, RH_STORE__WRITER);
	if (w->failed) {
		error = rh__error(RH_EIO,
		                  "%s: not committed: an earlier write failed",
		                  w->key);
		ops->writer_abort(w->bw);
	} else {
		error = ops->writer_commit(w->bw);
	}
	free(w);
	return rh_store__stats_end(sb, RH_STORE__WRITER, error);
}

RH_EXTERN void
rh_store_writer_abort(rh_store_writer *w)
{
	if (!w)
		return;
	rh_store__stats_begin(w->sb, RH_STORE__WRITER);
	w->bw->be->ops->writer_abort(w->bw);
	/* an abort is the caller's choice, not a store outcome: its retries
	 * count, the call does not */
	rh_store__stats_begin(-1, 0);
	free(w);
}
