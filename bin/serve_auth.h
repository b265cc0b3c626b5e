/* serve_auth.h - who may read what from rayhist-serve: bearer tokens,
 * htpasswd users (bcrypt, SHA-crypt, yescrypt through libcrypt) and a
 * trusted reverse proxy's user and group headers, each mapped to the
 * namespaces it may read. */
#ifndef RH_SERVE_AUTH_H
#define RH_SERVE_AUTH_H

#include <event2/http.h>

typedef struct serve_auth serve_auth;

typedef struct serve_auth_config {
	const char *tokens_file;   /* "TOKEN NS[,NS...]" or "TOKEN *" lines */
	const char *htpasswd_file; /* "USER:HASH" lines */
	const char *grants_file; /* "user:NAME NS,..." / "group:NAME NS,..." */
	const char *trusted_proxies; /* "ADDR[,ADDR...]" */
} serve_auth_config;

/* NULL with *err set when a file cannot be read; NULL with *err NULL when
 * no way in is configured (everyone reads everything). */
serve_auth *serve_auth_new(const serve_auth_config *cfg, const char **err);
void serve_auth_free(serve_auth *a);

/* The caller's grant for one request. */
typedef struct serve_grant {
	int all;       /* every namespace */
	char **ns;     /* else these, NULL-terminated */
	char who[128]; /* "token", "user NAME", "proxy NAME" */
} serve_grant;

/* 0 with *g filled; 401 (no or bad credentials: send `challenge` as
 * WWW-Authenticate). Files changed on disk are re-read first (at most once
 * a second). On the event loop thread only. */
int serve_auth_check(serve_auth *a, struct evhttp_request *req, serve_grant *g,
                     const char **challenge);
/* May g read namespace ns? */
int serve_grant_allows(const serve_grant *g, const char *ns);
void serve_grant_dispose(serve_grant *g);

/* The namespace a request target names (/c/NS/..., /enter_cluster/NS/...,
 * or the cluster_namespace cookie for the API at the root), written to out;
 * 0 when it names none. */
int serve_auth_target_ns(char *out, size_t cap, const char *target,
                         const char *cookie);

#endif
