/* store_s3.h - what the files of the s3:// backend share. Never installed.
 *
 *   store_s3.c         the backend: operations, listing, open and close
 *   store_s3_writer.c  streamed writes: one PUT, or a multipart upload with
 *                      parallel parts
 *   store_s3_http.c    one request with retries, on pooled curl handles
 *   store_s3_retry.c   which failures are retried, the backoff, messages
 *   store_s3_config.c  settings: URL, options, config file, environment,
 *                      AWS shared files; credentials
 *   store_s3_cred.c    credentials at run time (web identity via STS)
 *   store_s3_url.c     AWS canonical URLs and percent-encoding
 *   store_s3_xml.c     the small XML parser for S3 and STS responses
 *   store_s3_md5.c     Content-MD5 for DeleteObjects
 *
 * The pure parts (config, url, xml, retry) take no curl handle and no
 * environment of their own, so tests/lib/test_store_s3*.c feed them
 * directly.
 */
#ifndef RH_STORE_S3_H
#define RH_STORE_S3_H

#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>

#include "store_backend.h"

/* ---------------------------------------------------------------- config */

enum rh_s3__cred_kind {
	RH_S3__CRED_STATIC = 1,   /* key id + secret (+ session token) */
	RH_S3__CRED_WEB_IDENTITY, /* role + token file, exchanged with STS */
};

typedef struct rh_s3__config {
	char *bucket;
	char *prefix; /* "" or "a/b": keys are stored as "a/b/<key>" */
	char *url;    /* "s3://bucket[/prefix]" */

	char *endpoint;     /* "scheme://host[:port]", no trailing '/' */
	char *endpoint_src; /* where it came from, for messages */
	char *scheme;       /* "http" or "https" */
	char *host;         /* as in a URL: a name, an IPv4 or "[v6]" */
	unsigned port;      /* 0: the scheme's default */
	int path_style;     /* resolved: 1 path-style, 0 virtual-hosted */
	char *region;
	char *region_src;
	char *ca_bundle; /* NULL: the system store */

	unsigned max_attempts;
	unsigned timeout_ms;
	uint64_t multipart_threshold;
	uint64_t part_size;
	unsigned parallel;
	unsigned list_max_keys;

	int cred_kind;
	char *cred_src; /* "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", ... */
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL when none */
	char *role_arn;
	char *web_identity_token_file;
	char *role_session_name;
	char *sts_endpoint; /* "scheme://host[:port]" */
} rh_s3__config;

#define RH_S3__DEFAULT_MAX_ATTEMPTS 8
#define RH_S3__DEFAULT_TIMEOUT_MS 30000
#define RH_S3__DEFAULT_THRESHOLD (16u << 20)
#define RH_S3__DEFAULT_PART_SIZE (8u << 20)
#define RH_S3__DEFAULT_PARALLEL 4
#define RH_S3__MAX_PARTS 10000 /* S3's limit per upload */

/* The environment as the config sees it: tests pass their own. */
typedef const char *(*rh_s3__getenv_fn)(const char *name, void *payload);
/* The environment variable `name` through `env` (NULL: getenv()); NULL
 * when it is unset or empty. Shared by the S3 and Azure settings. */
const char *rh_s3__env(rh_s3__getenv_fn env, void *payload, const char *name);
/* Replace *dst by a copy of `v` (NULL: by nothing); 0 or RH_ENOMEM. */
int rh_s3__set_str(char **dst, const char *v);

/**
 * Resolve every setting of the store at `url` ("s3://bucket[/prefix]").
 * Each comes from the first of: opts, the store config file (opts->
 * config_file or $RAYHIST_STORE_CONFIG), the environment, the AWS shared
 * config and credentials files, the default. RH_EINVAL with a message
 * naming the setting, its source and the fix. `env` NULL means getenv().
 */
int rh_s3__config_load(rh_s3__config *cfg, const char *url,
                       const rh_store_options *opts, rh_s3__getenv_fn env,
                       void *env_payload);
void rh_s3__config_dispose(rh_s3__config *cfg);

/** Parse "s3://bucket[/prefix]" into *bucket and *prefix ("" for none). */
int rh_s3__parse_url(char **bucket, char **prefix, const char *url);

/** Parse an endpoint "http[s]://host[:port][/]" into its parts. */
int rh_s3__parse_endpoint(char **scheme, char **host, unsigned *port,
                          const char *endpoint, const char *src);

/* Number syntaxes of settings: "16MiB", "30s", "true"; 0 or RH_EINVAL. */
int rh_s3__parse_size(uint64_t *out, const char *s);
int rh_s3__parse_duration_ms(unsigned *out, const char *s);
int rh_s3__parse_bool(int *out, const char *s);

/**
 * Parse INI-style `text`: "key = value" lines, "[section]" headers, '#' or
 * ';' comments, and AWS's nested form ("s3 =" followed by indented
 * "key = value" lines, reported as "s3.key"). cb gets the section (NULL
 * before the first) and the 1-based line; a non-zero return stops. A line
 * that is none of these is RH_EINVAL, naming `path` and the line.
 */
typedef int (*rh_s3__ini_cb)(const char *section, const char *key,
                             const char *value, unsigned line, void *payload);
int rh_s3__ini_parse(const char *text, size_t len, const char *path,
                     rh_s3__ini_cb cb, void *payload);

/* ---------------------------------------------------------------- url */

/* Append `s` percent-encoded as AWS canonical form wants: everything but
 * A-Z a-z 0-9 - . _ ~ as %XX (upper case); '/' kept when keep_slash. */
int rh_s3__encode(rh_buf *out, const char *s, size_t len, int keep_slash);

/** A query string being built: parameters are sorted on finish. */
typedef struct rh_s3__query {
	struct {
		char *name;
		char *value;
	} p[8];
	size_t n;
} rh_s3__query;

/* Add name=value (value "" for a flag such as "uploads"). */
int rh_s3__query_add(rh_s3__query *q, const char *name, const char *value);
/* Append the canonical query, "a=1&b=%2F", sorted by encoded name. */
int rh_s3__query_build(rh_buf *out, const rh_s3__query *q);
void rh_s3__query_dispose(rh_s3__query *q);

/**
 * The URL of object `key` (already including the store prefix; NULL for
 * the bucket itself) with canonical query `query` (NULL for none), in the
 * addressing style of cfg.
 */
int rh_s3__object_url(rh_buf *out, const rh_s3__config *cfg, const char *key,
                      const char *query);

/* Does `host` (as in a URL) name an IP address or localhost? */
int rh_s3__host_is_local(const char *host);
/* Can `bucket` be a DNS label under the endpoint (virtual-hosted)? */
int rh_s3__bucket_dns_ok(const char *bucket, int https);

/* ---------------------------------------------------------------- xml */

/* Limits on untrusted XML. */
#define RH_S3__XML_MAX_DEPTH 16
#define RH_S3__XML_MAX_NAME 128

/**
 * Callbacks of rh_s3__xml_parse(): `path` is the element names from the
 * root, '/'-separated, without namespace prefixes ("ListBucketResult/
 * Contents/Key"); `text` the decoded text of a leaf element (NUL-
 * terminated; "" for an empty one), NULL for an element with children.
 * `start` is called on each opening tag. A non-zero return stops parsing
 * and is returned.
 */
typedef struct rh_s3__xml_cb {
	int (*start)(const char *path, void *payload);
	int (*end)(const char *path, const char *text, size_t len,
	           void *payload);
	void *payload;
} rh_s3__xml_cb;

/** Parse `len` bytes of XML. RH_ECORRUPT with a message on malformed
 * input: bad nesting, unknown entity, DOCTYPE (no entity expansion), too
 * deep, names too long, bad UTF-8 in a character reference. */
int rh_s3__xml_parse(const char *xml, size_t len, const rh_s3__xml_cb *cb);

/** An <Error> document, from S3 (<Error>) or STS (<ErrorResponse>). */
typedef struct rh_s3__xml_error {
	char code[64];
	char message[512];
	char region[64];    /* <Region>, for AuthorizationHeaderMalformed */
	char endpoint[256]; /* <Endpoint>, for PermanentRedirect */
} rh_s3__xml_error;

/* Fill *err from an error body; 0 if one was found, RH_ENOTFOUND if the
 * body holds no <Error> (then err is all ""). */
int rh_s3__xml_error_parse(rh_s3__xml_error *err, const char *xml, size_t len);

/** One entry of a ListObjectsV2 page. */
typedef struct rh_s3__list_item {
	char *key; /* Key, or Prefix of a CommonPrefixes */
	uint64_t size;
	int64_t mtime_ms;
	int is_prefix;
} rh_s3__list_item;

typedef struct rh_s3__list_page {
	rh_s3__list_item *items; /* Contents and CommonPrefixes, in key order */
	size_t n, cap;
	int truncated;
	char *next_token; /* NextContinuationToken, or NULL */
} rh_s3__list_page;

/* Parse a ListBucketResult; items are sorted by key (strcmp). */
int rh_s3__xml_list_parse(rh_s3__list_page *page, const char *xml, size_t len);
void rh_s3__list_page_dispose(rh_s3__list_page *page);

/* The UploadId of an InitiateMultipartUploadResult. */
int rh_s3__xml_upload_id(char **out, const char *xml, size_t len);

/* The <ETag> of a CompleteMultipartUploadResult into etag (n bytes), ""
 * when the answer has an empty one, as Ceph RGW 16 sends (Ceph tracker
 * 58879): the caller must not depend on it. RH_ECORRUPT when the answer is
 * no CompleteMultipartUploadResult. */
int rh_s3__xml_complete_etag(char *etag, size_t n, const char *xml, size_t len);

/* A DeleteResult: the first <Error> entry other than NoSuchKey, if any,
 * into *err with its key; 0 when there is none, 1 when there is one. */
int rh_s3__xml_delete_result(rh_s3__xml_error *err, char **key_out,
                             const char *xml, size_t len);

/** Credentials from an AssumeRoleWithWebIdentityResponse. */
typedef struct rh_s3__sts_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	int64_t expires_ms; /* 0 if the answer had no Expiration */
} rh_s3__sts_creds;

int rh_s3__xml_sts_parse(rh_s3__sts_creds *out, const char *xml, size_t len);
void rh_s3__sts_creds_dispose(rh_s3__sts_creds *c);

/* Escape text for an XML element's content. */
int rh_s3__xml_escape(rh_buf *out, const char *s);

/* "2009-10-12T17:50:30.000Z" (ISO 8601, UTC or offset) to ms; -1 if bad. */
int64_t rh_s3__parse_iso8601_ms(const char *s);

/* ---------------------------------------------------------------- retry */

enum rh_s3__verdict {
	RH_S3__OK = 0,  /* 2xx */
	RH_S3__RETRY,   /* transient: try again after a backoff */
	RH_S3__REFRESH, /* expired temporary credentials: renew, try again */
	RH_S3__FAIL,    /* permanent */
};

/**
 * What to do about one attempt: `curl_code` is its CURLcode (0 when an HTTP
 * answer came), `status` the HTTP status, `s3_code` the <Code> of an error
 * body ("" when none).
 */
int rh_s3__classify(int curl_code, long status, const char *s3_code);

/* The RH_E* code of a permanent failure (RH_ENOTFOUND for NoSuchKey or a
 * bodiless 404, RH_EIO otherwise). */
int rh_s3__fail_code(long status, const char *s3_code);

/**
 * The pause before retry `attempt` (1 = the first retry): exponential from
 * `base_ms`, capped at `cap_ms`, with "equal jitter" from `rnd` (any 64-bit
 * value): half fixed, half random, so retries of many clients spread out
 * but never hammer at once.
 */
unsigned rh_s3__backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms,
                           uint64_t rnd);

/* A hint that says what to fix for an S3 error code, or NULL. `cred_src`
 * names where the credentials came from. */
const char *rh_s3__hint(char *buf, size_t n, const char *s3_code,
                        const rh_s3__xml_error *err, const char *cred_src);

/* An S3 error answer for messages: "STATUS CODE: MESSAGE (HINT)". With no
 * <Message> (Ceph RGW sends them empty) the status and code say what went
 * wrong, and the text says the server gave no more. */
void rh_s3__describe_error(char *buf, size_t n, long status,
                           const rh_s3__xml_error *err, const char *cred_src);

/* A hint for a curl failure (unresolvable host, TLS verification, ...). */
const char *rh_s3__curl_hint(int curl_code);

/* splitmix64: the next pseudo-random value of *state (atomic). */
uint64_t rh_s3__random(atomic_uint_fast64_t *state);

/* ---------------------------------------------------------------- http */

typedef struct rh_s3__backend rh_s3__backend;
typedef struct rh_s3__creds rh_s3__creds;

/** One request: what to send, and what came back. */
typedef struct rh_s3__req {
	/* in */
	const char *method; /* GET PUT HEAD POST DELETE */
	const char *url;    /* full and canonical */
	const char *what;   /* the object, for messages: "s3://b/p/k" */
	const char *op;     /* for messages: "GET", "ListObjectsV2" */
	int sign;           /* SigV4 with the store's credentials */
	const void *body;   /* PUT and POST */
	size_t body_len;
	const char *content_type; /* NULL: none */
	const char *content_md5;  /* base64, or NULL */
	int has_range;
	uint64_t range_off;
	size_t range_len; /* SIZE_MAX: to the end */
	rh_buf *sink;     /* a 2xx GET body goes here, appended */
	size_t resp_max;  /* largest body kept in `resp` (0: 1 MiB) */
	/* out */
	long status;
	rh_buf resp; /* non-sink bodies: XML results, errors */
	int have_length;
	uint64_t length;  /* Content-Length */
	int64_t mtime_ms; /* Last-Modified, 0 if none */
	char etag[130];
	char bucket_region[64]; /* x-amz-bucket-region */
	rh_s3__xml_error err;   /* of the last failed attempt */
	unsigned attempts;
	char last[640]; /* what went wrong in the last attempt */
	/* Azure (store_az_*.c) signs its own requests: `presign`, when set,
	 * rewrites `extra` before every attempt (a fresh date), and the lines
	 * of `extra` ("Name: value", '\n'-separated) are sent as they are.
	 * `secret_url`: the URL holds a secret (a SAS token), so messages
	 * name the endpoint instead. */
	int (*presign)(struct rh_s3__req *r, void *arg);
	void *presign_arg;
	rh_buf extra;
	int secret_url;
	char ms_error_code[64]; /* x-ms-error-code of the answer */
	/* private to store_s3_http.c */
	char sha256[65]; /* of the body, once */
	int force_refresh;
	char used_akid[128]; /* the key id of the last attempt */
} rh_s3__req;

/* Release what a request holds after rh_s3__perform(). */
void rh_s3__req_dispose(rh_s3__req *r);

/* The Range header's value for bytes [off, off+len) (len SIZE_MAX: to the
 * end), as every request with has_range sends it. */
void rh_s3__range_value(char *out, size_t n, uint64_t off, size_t len);

/* Free the curl handle pools and the lock of `b` (its HTTP part); the
 * Azure backend runs its requests on an rh_s3__backend of its own. */
void rh_s3__http_release(rh_s3__backend *b);
/* curl_global_init() once per process (never cleaned up: the application
 * may use libcurl too); 0 or RH_ERROR naming libcurl's failure. */
int rh_s3__curl_ready(void);
/* The connection pool lock, the retry jitter seed and the bucket check of a
 * zeroed backend. */
void rh_s3__engine_init(rh_s3__backend *b);

/**
 * Run `r` until it succeeds, fails permanently, or its attempts are spent.
 * @return 0 on a 2xx answer; the code of rh_s3__fail_code() with the S3
 *         code and message and a hint in the thread's message; RH_EIO
 *         "gave up after N attempts: <last error>" once retries are spent.
 */
int rh_s3__perform(rh_s3__backend *b, rh_s3__req *r);

/* Handles for transfers run by a writer on its own multi handle. */
typedef struct rh_s3__xfer rh_s3__xfer;

/**
 * Start request `r` on `multi` (attempt r->attempts + 1): an easy handle is
 * taken from the pool and added. On failure to start, a code with message.
 */
int rh_s3__xfer_start(rh_s3__xfer **out, rh_s3__backend *b, rh_s3__req *r,
                      void *multi);
/**
 * A transfer of `multi` ended with `curl_code`: classify it, give the easy
 * handle back, free `x`. Returns the verdict; for RH_S3__FAIL *code_out is
 * the error (with the message set), for RH_S3__RETRY the message of the
 * attempt is kept in r for the final report.
 */
int rh_s3__xfer_done(int *code_out, rh_s3__xfer *x, int curl_code);
/* Stop `x` (removed from its multi) without classifying. NULL is fine. */
void rh_s3__xfer_cancel(rh_s3__xfer *x);
/* The easy handle of `x`, to match curl_multi_info_read() messages. */
void *rh_s3__xfer_easy(rh_s3__xfer *x);
/* The request of `x`. */
rh_s3__req *rh_s3__xfer_req(rh_s3__xfer *x);

/* The final report once a writer's part ran out of attempts. */
int rh_s3__gave_up(rh_s3__backend *b, rh_s3__req *r);
/* Pause before retry number `attempt`, in ms. */
unsigned rh_s3__retry_delay(rh_s3__backend *b, unsigned attempt);

/* A multi handle from the backend's pool (connections stay with it). */
void *rh_s3__multi_get(rh_s3__backend *b);
void rh_s3__multi_put(rh_s3__backend *b, void *multi);

/* ---------------------------------------------------------------- backend */

struct rh_s3__backend {
	rh_store_backend parent;
	rh_s3__config cfg;
	rh_s3__creds *creds;
	/* Idle curl handles; connections stay open in them between requests.
	 * Taken and given back under `pool_lock`; a handle is used by one
	 * thread at a time. */
	pthread_mutex_t pool_lock;
	void *easy_pool[16];
	size_t n_easy;
	void *multi_pool[4];
	size_t n_multi;
	/* Set once any request has proved that the bucket exists, so that a
	 * HEAD's bodiless 404 can mean "no such key". */
	atomic_int bucket_ok;
	atomic_uint_fast64_t rnd; /* jitter */
};

/** A listing handed to rh_store_list's callback page by page, as file://
 * lists: key order, each entry once (pages of some servers overlap), the
 * store prefix stripped, entries a store could not read skipped. Shared
 * with the Azure backend. Zero it, set store_prefix, strip, cb, payload. */
typedef struct rh_s3__list_emit {
	const char *store_prefix; /* "" or "a/b" */
	size_t strip;             /* strlen(store_prefix) + 1, or 0 */
	rh_store_list_cb cb;
	void *payload;
	rh_buf last; /* the full key reported last */
	int any;
	rh_buf scratch;
	/* Roll keys up here instead of on the server (NULL: the server did):
	 * at the first `rollup` after `rollup_from` bytes of the key. */
	const char *rollup;
	size_t rollup_from;
	rh_buf rolled; /* the prefix reported last */
} rh_s3__list_emit;

int rh_s3__list_emit_page(rh_s3__list_emit *c, const rh_s3__list_page *page);
void rh_s3__list_emit_dispose(rh_s3__list_emit *c);
/* Emit `page`, then take its continuation token into *token (the one
 * before is freed): *more is 1 when there is a next page to ask for.
 * Returns 0, the callback's non-zero value, or RH_EIO when the server
 * gives the same token twice (named "<what>: <op> gave the same <token_name>
 * twice"). */
int rh_s3__list_turn(int *more, char **token, rh_s3__list_emit *c,
                     rh_s3__list_page *page, const char *what, const char *op,
                     const char *token_name);

/** The object key of `key` under the store prefix. */
int rh_s3__full_key(rh_buf *out, const rh_s3__backend *b, const char *key);
/** "s3://bucket/prefix/key", for messages. */
int rh_s3__what(rh_buf *out, const rh_s3__backend *b, const char *key);

/* ---------------------------------------------------------------- creds */

/**
 * Build the credentials of cfg: static ones as they are, web identity by a
 * first exchange with STS (RH_EIO, or RH_EINVAL for an unreadable token
 * file, with the STS error in the message).
 */
int rh_s3__creds_new(rh_s3__creds **out, rh_s3__backend *b);
void rh_s3__creds_free(rh_s3__creds *c);
/**
 * Copy the current credentials into the three buffers (token "" for
 * none), renewing web-identity ones that expire within 5 minutes, or at
 * once when `expired_akid` (after an ExpiredToken answer to a request
 * signed with that key id) is still the current key id.
 */
int rh_s3__creds_get(rh_s3__creds *c, rh_buf *akid, rh_buf *secret,
                     rh_buf *token, const char *expired_akid);

/* ---------------------------------------------------------------- writer */

int rh_s3__writer_open(rh_store_backend_writer **out, rh_store_backend *be,
                       const char *key);
int rh_s3__writer_write(rh_store_backend_writer *w, const void *data,
                        size_t len);
int rh_s3__writer_commit(rh_store_backend_writer *w);
void rh_s3__writer_abort(rh_store_backend_writer *w);

/* ---------------------------------------------------------------- md5 */

/* Content-MD5 of `len` bytes: 24 base64 characters and a NUL. */
void rh_s3__md5_base64(char out[25], const void *data, size_t len);

#endif
