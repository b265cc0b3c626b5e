/* store_s3_cred.c - the credentials requests are signed with, at run time.
 *
 * Static keys never change. Web-identity credentials (an EKS pod's
 * AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE) are exchanged with STS
 * (AssumeRoleWithWebIdentity, an unsigned request) for temporary keys that
 * expire, typically after an hour; they are renewed five minutes before
 * that, or at once when S3 answers ExpiredToken (once: the threads that
 * saw the same key id expire find it renewed). The token file is read
 * again at each renewal, as Kubernetes rotates it. One mutex covers the
 * keys: a thread renewing them makes the others wait instead of all
 * asking STS at once.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_s3.h"

/* Renew this long before the keys expire. */
#define RENEW_EARLY_MS (5 * 60 * 1000)
#define TOKEN_MAX (64 * 1024)
#define DURATION_S 3600

struct rh_s3__creds {
	pthread_mutex_t lock;
	rh_s3__backend *b;
	char *akid, *secret, *token;
	int64_t expires_ms; /* 0: never */
};

static int
read_token(rh_buf *out, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return rh__error(
			RH_EINVAL,
			"web identity token file %s: %s (check AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file)",
			path, strerror(errno));
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = rh__error(RH_EINVAL,
			                  "web identity token file %s: %s",
			                  path, strerror(errno));
			break;
		}
		if (out->size + (size_t)n > TOKEN_MAX) {
			error = rh__error(
				RH_EINVAL,
				"web identity token file %s: larger than %d bytes",
				path, TOKEN_MAX);
			break;
		}
		if ((error = rh_buf_put(out, buf, (size_t)n)) < 0)
			break;
	}
	close(fd);
	while (error == 0 && out->size &&
	       (out->ptr[out->size - 1] == '\n' ||
	        out->ptr[out->size - 1] == '\r' ||
	        out->ptr[out->size - 1] == ' '))
		out->ptr[--out->size] = '\0';
	if (error == 0 && out->size == 0)
		error = rh__error(RH_EINVAL,
		                  "web identity token file %s is empty", path);
	return error;
}

static int
form_add(rh_buf *b, const char *name, const char *value)
{
	int error;

	if ((b->size && (error = rh_buf_puts(b, "&")) < 0) ||
	    (error = rh_buf_puts(b, name)) < 0 ||
	    (error = rh_buf_puts(b, "=")) < 0)
		return error;
	return rh_s3__encode(b, value, strlen(value), 0);
}

/* Ask STS for keys; c->lock is held. */
static int
renew(rh_s3__creds *c)
{
	const rh_s3__config *cfg = &c->b->cfg;
	rh_buf token = RH_BUF_INIT, body = RH_BUF_INIT, url = RH_BUF_INIT;
	rh_s3__sts_creds sc = { 0 };
	rh_s3__req r;
	char what[600], duration[16];
	int error;

	memset(&r, 0, sizeof(r));
	snprintf(duration, sizeof(duration), "%d", DURATION_S);
	snprintf(what, sizeof(what), "web identity for %s (%s)", cfg->role_arn,
	         cfg->cred_src);
	if ((error = read_token(&token, cfg->web_identity_token_file)) < 0 ||
	    (error = form_add(&body, "Action", "AssumeRoleWithWebIdentity")) <
	            0 ||
	    (error = form_add(&body, "DurationSeconds", duration)) < 0 ||
	    (error = form_add(&body, "RoleArn", cfg->role_arn)) < 0 ||
	    (error = form_add(&body, "RoleSessionName",
	                      cfg->role_session_name)) < 0 ||
	    (error = form_add(&body, "Version", "2011-06-15")) < 0 ||
	    (error = form_add(&body, "WebIdentityToken", token.ptr)) < 0 ||
	    (error = rh_buf_printf(&url, "%s/", cfg->sts_endpoint)) < 0)
		goto done;
	r.method = "POST";
	r.url = url.ptr;
	r.what = what;
	r.op = "AssumeRoleWithWebIdentity";
	r.body = body.ptr;
	r.body_len = body.size;
	r.content_type = "application/x-www-form-urlencoded";
	if ((error = rh_s3__perform(c->b, &r)) < 0)
		goto done;
	if ((error = rh_s3__xml_sts_parse(&sc, r.resp.ptr ? r.resp.ptr : "",
	                                  r.resp.size)) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", rh_error_last());
		error = rh__error(RH_EIO, "%s: %s", what, why);
		goto done;
	}
	if (c->secret)
		memset(c->secret, 0, strlen(c->secret));
	free(c->akid);
	free(c->secret);
	free(c->token);
	c->akid = sc.access_key_id;
	c->secret = sc.secret_access_key;
	c->token = sc.session_token;
	c->expires_ms = sc.expires_ms;
	memset(&sc, 0, sizeof(sc));
done:
	rh_s3__sts_creds_dispose(&sc);
	rh_s3__req_dispose(&r);
	rh_buf_dispose(&token);
	rh_buf_dispose(&body);
	rh_buf_dispose(&url);
	return error;
}

int
rh_s3__creds_new(rh_s3__creds **out, rh_s3__backend *b)
{
	const rh_s3__config *cfg = &b->cfg;
	rh_s3__creds *c;
	int error = 0;

	*out = NULL;
	if (!(c = rh__calloc(1, sizeof(*c))))
		return RH_ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->b = b;
	if (cfg->cred_kind == RH_S3__CRED_STATIC) {
		if (!(c->akid = rh__strdup(cfg->access_key_id)) ||
		    !(c->secret = rh__strdup(cfg->secret_access_key)) ||
		    (cfg->session_token &&
		     !(c->token = rh__strdup(cfg->session_token))))
			error = RH_ENOMEM;
	} else {
		/* First keys now: a wrong role fails the open, not the first
		 * write. */
		error = renew(c);
	}
	if (error < 0) {
		rh_s3__creds_free(c);
		return error;
	}
	*out = c;
	return 0;
}

void
rh_s3__creds_free(rh_s3__creds *c)
{
	if (!c)
		return;
	if (c->secret)
		memset(c->secret, 0, strlen(c->secret));
	free(c->akid);
	free(c->secret);
	free(c->token);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
rh_s3__creds_get(rh_s3__creds *c, rh_buf *akid, rh_buf *secret, rh_buf *token,
                 const char *expired_akid)
{
	int error = 0;

	pthread_mutex_lock(&c->lock);
	if (c->b->cfg.cred_kind == RH_S3__CRED_WEB_IDENTITY &&
	    ((expired_akid && strcmp(expired_akid, c->akid) == 0) ||
	     (c->expires_ms && rh__now_ms() > c->expires_ms - RENEW_EARLY_MS)))
		error = renew(c);
	if (error == 0) {
		rh_buf_clear(akid);
		rh_buf_clear(secret);
		rh_buf_clear(token);
		if ((error = rh_buf_puts(akid, c->akid)) == 0 &&
		    (error = rh_buf_puts(secret, c->secret)) == 0)
			error = rh_buf_puts(token, c->token ? c->token : "");
	}
	pthread_mutex_unlock(&c->lock);
	return error;
}
