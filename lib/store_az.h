/* store_az.h - what the files of the az:// backend share. Never installed.
 *
 *   store_az.c         the backend: operations, listing, open and close
 *   store_az_writer.c  streamed writes: one Put Blob, or staged blocks
 *                      (Put Block) committed by Put Block List
 *   store_az_config.c  settings: URL, config file, environment,
 *                      connection string; credentials
 *   store_az_sign.c    Shared Key: the string to sign, HMAC-SHA256, base64
 *   store_az_url.c     store URLs and the request URL of a blob
 *   store_az_xml.c     List Blobs answers
 *   store_az_batch.c   Blob Batch: many Delete Blobs in one request
 *
 * The HTTP engine (pooled curl handles, retries with backoff, the error
 * body parser) is the s3:// backend's (store_s3_http.c, store_s3_retry.c,
 * store_s3_xml.c): an Azure backend holds an rh_s3__backend used only for
 * its pool and settings, and signs each request itself through the
 * request's presign hook, since libcurl knows no Azure Shared Key.
 */
#ifndef RH_STORE_AZ_H
#define RH_STORE_AZ_H

#include "internal.h"

#include "store_backend.h"
#include "store_s3.h"

/* The REST version every request asks for (x-ms-version); Azurite 3.35
 * accepts it. */
#define RH_AZ__VERSION "2021-12-02"

#define RH_AZ__DEFAULT_BLOCK_SIZE (8u << 20)
#define RH_AZ__DEFAULT_THRESHOLD (16u << 20)
#define RH_AZ__MAX_BLOCKS 50000               /* "Put Block List": per blob */
#define RH_AZ__MAX_BLOCK_SIZE (4000ull << 20) /* "Put Block" */
#define RH_AZ__DEFAULT_LIST_MAX 5000          /* "List Blobs": maxresults */
/* The well-known Azurite account (documented by Microsoft; not a secret). */
#define RH_AZ__DEVSTORE_ACCOUNT "devstoreaccount1"

typedef struct rh_az__config {
	char *container;
	char *prefix; /* "" or "a/b": blobs are named "a/b/<key>" */
	char *url;    /* "az://container[/prefix]" */
	char *account;
	char *endpoint; /* blob service: "https://ACCOUNT.blob.core.windows.net"
				or "http://127.0.0.1:10000/ACCOUNT"; no '/' at
				the end */
	char *endpoint_src;
	char *ca_bundle;
	unsigned char *key; /* the decoded account key, or NULL (SAS) */
	size_t key_len;
	char *sas; /* the SAS query, no '?'; or NULL (key) */
	char *cred_src;
	unsigned max_attempts;
	unsigned timeout_ms;
	uint64_t put_threshold; /* larger objects go up in blocks */
	uint64_t block_size;
	unsigned list_max;
} rh_az__config;

typedef const char *(*rh_az__getenv_fn)(const char *name, void *payload);

/**
 * Resolve the settings of the store at `url` (az://CONTAINER[/PREFIX] or
 * https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]). Each comes
 * from the first of: the store config file (opts->config_file or
 * $RAYHIST_STORE_CONFIG), the environment, a connection string (from the
 * config file, else $AZURE_STORAGE_CONNECTION_STRING), a default.
 * RH_EINVAL with a message naming the setting and its source. `env` NULL
 * means getenv().
 */
int rh_az__config_load(rh_az__config *cfg, const char *url,
                       const rh_store_options *opts, rh_az__getenv_fn env,
                       void *env_payload);
void rh_az__config_dispose(rh_az__config *cfg);

/**
 * Split an Azure connection string ("Key=Value;Key=Value;...") and call cb
 * for each pair; RH_EINVAL naming `src` for a part without '='. Values may
 * hold '=' (keys and SAS tokens do).
 */
typedef int (*rh_az__kv_cb)(const char *key, const char *value, void *payload);
int rh_az__connstr_parse(const char *s, const char *src, rh_az__kv_cb cb,
                         void *payload);

/** Parse az://container[/prefix] or an https blob URL: *account is NULL
 * for az:// (it comes from the settings). */
int rh_az__parse_url(char **account, char **container, char **prefix,
                     char **endpoint, const char *url);

/* ---------------------------------------------------------------- sign */

/* Standard base64 (RFC 4648 §4), with padding. */
int rh_az__base64_encode(rh_buf *out, const void *data, size_t len);
/* RH_EINVAL when `s` is not base64. */
int rh_az__base64_decode(rh_buf *out, const char *s);
/* HMAC-SHA256 (RFC 2104) of msg under key. */
void rh_az__hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
                        const void *msg, size_t len);

/** The parts of a request that Shared Key signs. */
typedef struct rh_az__sign_req {
	const char *method;
	const char *url; /* full request URL, query included */
	uint64_t content_length;
	const char *content_type;      /* NULL: none */
	const char *content_md5;       /* NULL: none */
	const char *range;             /* NULL: none */
	const char *const *ms_headers; /* "x-ms-name:value", NULL-ended */
} rh_az__sign_req;

/**
 * The string to sign of "Authorize with Shared Key" (Blob service, version
 * 2009-09-19 and later) for request `r` of `account`: the verb, eleven
 * standard headers (Content-Length empty when 0), the canonicalized x-ms-
 * headers and the canonicalized resource ("/account/path" then each query
 * parameter lower-cased, sorted, "\nname:value", values decoded).
 */
int rh_az__string_to_sign(rh_buf *out, const char *account,
                          const rh_az__sign_req *r);

/** "SharedKey account:base64(HMAC-SHA256(key, string_to_sign))". */
int rh_az__authorization(rh_buf *out, const char *account,
                         const unsigned char *key, size_t keylen,
                         const rh_az__sign_req *r);

/* ---------------------------------------------------------------- xml */

/** One List Blobs page: items in name order. Reuses the S3 page type. */
int rh_az__xml_list_parse(rh_s3__list_page *page, const char *xml, size_t len);

/* ---------------------------------------------------------------- backend */

typedef struct rh_az__backend {
	rh_store_backend parent;
	rh_az__config cfg;
	rh_s3__backend *http; /* pool, timeouts and retries only */
} rh_az__backend;

/* An Azure request being built: what presign needs to sign it again. */
typedef struct rh_az__req {
	rh_s3__req r;
	rh_az__backend *b;
	rh_buf url;
	rh_buf what;
	const char *content_type;
	const char *ms_extra[4]; /* more "x-ms-...:value" headers */
} rh_az__req;

/* RH_EINVAL when blob name `name` ("key" or "prefix": `what`) holds a
 * byte Azure would rewrite. */
int rh_az__check_name(const rh_az__config *cfg, const char *name,
                      const char *what);

/* Set up `q` for `method` on blob `key` (NULL: the container) with query
 * `query` (NULL: none; already encoded, sorted is not needed). */
int rh_az__req_init(rh_az__req *q, rh_az__backend *b, const char *method,
                    const char *op, const char *key, const char *query);
/* Run it with retries (rh_s3__perform). */
int rh_az__perform(rh_az__req *q);
void rh_az__req_dispose(rh_az__req *q);

/* Delete keys[0..n): Blob Batch of up to 256 with an account key, one
 * Delete Blob each with a SAS token (store_az_batch.c). */
int rh_az__del_many(rh_store_backend *be, const char *const *keys, size_t n);

int rh_az__writer_open(rh_store_backend_writer **out, rh_store_backend *be,
                       const char *key);
int rh_az__writer_write(rh_store_backend_writer *w, const void *data,
                        size_t len);
int rh_az__writer_commit(rh_store_backend_writer *w);
void rh_az__writer_abort(rh_store_backend_writer *w);

#endif
