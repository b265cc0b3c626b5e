/* serve_auth.c - rayhist-serve's authentication and namespace grants
 * (serve_auth.h). Files are small and read whole; a secret is compared in
 * time that does not depend on where it differs (ct_equal), and a token is
 * compared against every configured token, so neither which nor how much
 * of one matched shows in the answer's timing. */
#define _GNU_SOURCE
#include "serve_auth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/keyvalq_struct.h>

#define MAX_LINE 4096

struct entry {
	char *key;   /* token, "user:NAME" / "group:NAME", or user */
	char *value; /* namespaces "a,b" or "*", or a password hash */
};

struct file {
	const char *path;
	struct entry *v;
	size_t n;
	struct timespec mtime;
	off_t size;
	ino_t ino;
};

struct serve_auth {
	struct file tokens, htpasswd, grants;
	char **proxies;
	size_t nproxies;
	time_t checked;
	char challenge[128];
};

static void
file_clear(struct file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].key);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Split each non-comment line at `sep` (' ' for runs of blanks). */
static int
file_load(struct file *f, char sep, const char **err)
{
	char line[MAX_LINE];
	struct stat st;
	FILE *fp;
	struct entry *v = NULL;
	size_t n = 0;

	if (!f->path)
		return 0;
	if (!(fp = fopen(f->path, "re")) || fstat(fileno(fp), &st) < 0) {
		*err = f->path;
		if (fp)
			fclose(fp);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *k = line, *val, *end;
		struct entry *nv;

		line[strcspn(line, "\r\n")] = '\0';
		while (*k == ' ' || *k == '\t')
			k++;
		if (!*k || *k == '#')
			continue;
		if (!(val = sep == ' ' ? strpbrk(k, " \t") : strchr(k, sep)))
			continue; /* not KEY<sep>VALUE: ignored */
		*val++ = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		for (end = val + strlen(val);
		     end > val && (end[-1] == ' ' || end[-1] == '\t'); end--)
			*(end - 1) = '\0';
		if (!(nv = realloc(v, (n + 1) * sizeof(*v))))
			break;
		v = nv;
		v[n].key = strdup(k);
		v[n].value = strdup(val);
		if (!v[n].key || !v[n].value) {
			free(v[n].key);
			free(v[n].value);
			break;
		}
		n++;
	}
	fclose(fp);
	file_clear(f);
	f->v = v;
	f->n = n;
	f->mtime = st.st_mtim;
	f->size = st.st_size;
	f->ino = st.st_ino;
	return 0;
}

/* Re-read a file whose inode, size or mtime changed (a Secret's mounted
 * file is replaced through a symlink swap: a new inode). A file that
 * cannot be read now keeps what was read before. */
static void
file_refresh(struct file *f, char sep)
{
	struct stat st;
	const char *err;

	if (!f->path || stat(f->path, &st) < 0)
		return;
	if (st.st_ino == f->ino && st.st_size == f->size &&
	    st.st_mtim.tv_sec == f->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == f->mtime.tv_nsec)
		return;
	(void)file_load(f, sep, &err);
}

/* Equal, in time that depends only on the lengths. */
static int
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen > blen ? alen : blen;
	unsigned char d = alen != blen;

	for (i = 0; i < n; i++)
		d |= (unsigned char)((i < alen ? a[i] : 0) ^
		                     (i < blen ? b[i] : 0));
	return d == 0;
}

serve_auth *
serve_auth_new(const serve_auth_config *cfg, const char **err)
{
	serve_auth *a;
	char *list, *tok, *save = NULL;
	int n = 0;

	*err = NULL;
	if (!cfg->tokens_file && !cfg->htpasswd_file && !cfg->trusted_proxies)
		return NULL;
	if (!(a = calloc(1, sizeof(*a)))) {
		*err = "out of memory";
		return NULL;
	}
	a->tokens.path = cfg->tokens_file;
	a->htpasswd.path = cfg->htpasswd_file;
	a->grants.path = cfg->grants_file;
	if (file_load(&a->tokens, ' ', err) < 0 ||
	    file_load(&a->htpasswd, ':', err) < 0 ||
	    file_load(&a->grants, ' ', err) < 0) {
		serve_auth_free(a);
		return NULL;
	}
	if (cfg->trusted_proxies && (list = strdup(cfg->trusted_proxies))) {
		for (tok = strtok_r(list, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			char **p = realloc(a->proxies,
			                   (a->nproxies + 1) * sizeof(*p));

			if (!p)
				break;
			a->proxies = p;
			a->proxies[a->nproxies++] = strdup(tok);
		}
		free(list);
	}
	if (a->tokens.path)
		n += snprintf(a->challenge + n,
		              sizeof(a->challenge) - (size_t)n,
		              "Bearer realm=\"rayhist\"");
	if (a->htpasswd.path)
		snprintf(a->challenge + n, sizeof(a->challenge) - (size_t)n,
		         "%sBasic realm=\"rayhist\", charset=\"UTF-8\"",
		         n ? ", " : "");
	if (!a->challenge[0]) /* proxy only: the proxy does the asking */
		snprintf(a->challenge, sizeof(a->challenge),
		         "Bearer realm=\"rayhist\"");
	a->checked = time(NULL);
	return a;
}

void
serve_auth_free(serve_auth *a)
{
	size_t i;

	if (!a)
		return;
	file_clear(&a->tokens);
	file_clear(&a->htpasswd);
	file_clear(&a->grants);
	for (i = 0; i < a->nproxies; i++)
		free(a->proxies[i]);
	free(a->proxies);
	free(a);
}

/* Add "a,b,*" to g. */
static void
grant_add(serve_grant *g, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	size_t n = 0;

	if (!copy)
		return;
	while (g->ns && g->ns[n])
		n++;
	for (tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		char **p;

		if (!strcmp(tok, "*")) {
			g->all = 1;
			continue;
		}
		if (!(p = realloc(g->ns, (n + 2) * sizeof(*p))))
			break;
		g->ns = p;
		g->ns[n] = strdup(tok);
		g->ns[++n] = NULL;
	}
	free(copy);
}

/* The grants of "user:NAME" or "group:NAME". */
static void
grant_of(serve_auth *a, serve_grant *g, const char *kind, const char *name,
         size_t len)
{
	size_t i, kl = strlen(kind);

	for (i = 0; i < a->grants.n; i++) {
		const char *k = a->grants.v[i].key;

		if (!strncmp(k, kind, kl) && k[kl] == ':' &&
		    strlen(k + kl + 1) == len &&
		    !strncmp(k + kl + 1, name, len))
			grant_add(g, a->grants.v[i].value);
	}
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 into out (NUL-terminated); -1 when malformed. */
static int
b64decode(char *out, size_t cap, const char *in)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (; *in && *in != '='; in++) {
		int v = b64val((unsigned char)*in);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o + 1 >= cap)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return memchr(out, '\0', o) ? -1 : 0;
}

static int
by_token(serve_auth *a, const char *tok, serve_grant *g)
{
	size_t i, tl = strlen(tok);
	const char *found = NULL;

	for (i = 0; i < a->tokens.n; i++) { /* all of them: no early exit */
		const char *k = a->tokens.v[i].key;
		int eq = ct_equal(k, strlen(k), tok, tl);

		if (eq && !found)
			found = a->tokens.v[i].value;
	}
	if (!found)
		return -1;
	grant_add(g, found);
	snprintf(g->who, sizeof(g->who), "token");
	return 0;
}

static int
by_password(serve_auth *a, const char *cred, serve_grant *g)
{
	char plain[512], *pw;
	struct crypt_data cd;
	const char *hash = NULL, *h;
	size_t i, ul;
	int known;

	if (b64decode(plain, sizeof(plain), cred) < 0 ||
	    !(pw = strchr(plain, ':')))
		return -1;
	*pw++ = '\0';
	ul = strlen(plain);
	for (i = 0; i < a->htpasswd.n; i++)
		if (ct_equal(a->htpasswd.v[i].key, strlen(a->htpasswd.v[i].key),
		             plain, ul) &&
		    !hash)
			hash = a->htpasswd.v[i].value;
	/* Only crypt(3) hashes: "$2b$", "$5$", "$6$", "$y$"...; a plain-text
	 * or DES entry is never accepted. An unknown user costs a hash too. */
	known = hash && hash[0] == '$';
	if (!known)
		hash = "$6$rayhist$00000000000000000000000000000000000000000000000";
	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pw, hash, &cd);
	explicit_bzero(pw, strlen(pw));
	if (!known || !h || h[0] == '*' ||
	    !ct_equal(h, strlen(h), hash, strlen(hash)))
		return -1;
	grant_of(a, g, "user", plain, ul);
	snprintf(g->who, sizeof(g->who), "user %.100s", plain);
	return 0;
}

static int
from_proxy(serve_auth *a, struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	char *peer = NULL;
	ev_uint16_t port = 0;
	size_t i;

	if (!conn)
		return 0;
	evhttp_connection_get_peer(conn, &peer, &port);
	for (i = 0; peer && i < a->nproxies; i++)
		if (!strcmp(peer, a->proxies[i]))
			return 1;
	return 0;
}

static int
by_proxy(serve_auth *a, struct evhttp_request *req, serve_grant *g)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *user = evhttp_find_header(in, "X-Forwarded-User");
	const char *groups = evhttp_find_header(in, "X-Forwarded-Groups");
	char *copy, *tok, *save = NULL;

	if (!user)
		user = evhttp_find_header(in, "X-Auth-Request-User");
	if (!groups)
		groups = evhttp_find_header(in, "X-Auth-Request-Groups");
	if (!user || !*user || !from_proxy(a, req))
		return -1; /* from anyone else, the headers mean nothing */
	grant_of(a, g, "user", user, strlen(user));
	if (groups && (copy = strdup(groups))) {
		for (tok = strtok_r(copy, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save))
			grant_of(a, g, "group", tok, strlen(tok));
		free(copy);
	}
	snprintf(g->who, sizeof(g->who), "proxy %.100s", user);
	return 0;
}

int
serve_auth_check(serve_auth *a, struct evhttp_request *req, serve_grant *g,
                 const char **challenge)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *h = evhttp_find_header(in, "Authorization");
	time_t now = time(NULL);

	memset(g, 0, sizeof(*g));
	*challenge = a->challenge;
	if (now != a->checked) {
		file_refresh(&a->tokens, ' ');
		file_refresh(&a->htpasswd, ':');
		file_refresh(&a->grants, ' ');
		a->checked = now;
	}
	if (h && a->tokens.path && !strncasecmp(h, "Bearer ", 7))
		return by_token(a, h + 7, g) == 0 ? 0 : 401;
	if (h && a->htpasswd.path && !strncasecmp(h, "Basic ", 6))
		return by_password(a, h + 6, g) == 0 ? 0 : 401;
	if (a->nproxies && by_proxy(a, req, g) == 0)
		return 0;
	serve_grant_dispose(g);
	return 401;
}

int
serve_grant_allows(const serve_grant *g, const char *ns)
{
	size_t i;

	if (g->all)
		return 1;
	for (i = 0; g->ns && g->ns[i]; i++)
		if (!strcmp(g->ns[i], ns))
			return 1;
	return 0;
}

void
serve_grant_dispose(serve_grant *g)
{
	size_t i;

	for (i = 0; g->ns && g->ns[i]; i++)
		free(g->ns[i]);
	free(g->ns);
	g->ns = NULL;
	g->all = 0;
}

/* The decoded segment of `p` up to '/', '?' or the end, into out. */
static int
segment(char *out, size_t cap, const char *p)
{
	size_t n = strcspn(p, "/?");
	char *d;

	if (!n || n >= cap)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	if (strchr(out, '%') && (d = evhttp_uridecode(out, 0, NULL))) {
		snprintf(out, cap, "%s", d);
		free(d);
	}
	return 1;
}

int
serve_auth_target_ns(char *out, size_t cap, const char *t, const char *cookie)
{
	const char *c;

	if (!strncmp(t, "/c/", 3))
		return segment(out, cap, t + 3);
	if (!strncmp(t, "/enter_cluster/", 15))
		return segment(out, cap, t + 15);
	/* The API at the root answers for the session the cookies name. */
	for (c = cookie; c && (c = strstr(c, "cluster_namespace=")); c++)
		if (c == cookie || c[-1] == ' ' || c[-1] == ';') {
			size_t n = strcspn(c + 18, "; ");

			if (!n || n >= cap)
				return 0;
			memcpy(out, c + 18, n);
			out[n] = '\0';
			return 1;
		}
	return 0;
}
