/* dashboard_static.c - Ray dashboard client builds and their static files.
 *
 * --dashboard-dir names one build (a folder holding index.html, as Ray ships
 * it in python/ray/dashboard/client/build) or a folder of builds named by
 * Ray version. A file is served only when its real path (links resolved)
 * lies inside its build, so no URL reaches anything else. */
#include "dashboard_routes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int
has_index(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/index.html", dir) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Newest version first: compare dot-separated numbers, then names. */
static int
version_cmp(const void *a, const void *b)
{
	const char *x = ((const rh_dash_build *)a)->name;
	const char *y = ((const rh_dash_build *)b)->name;

	while (*x && *y) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			char *ex, *ey;
			unsigned long long nx = strtoull(x, &ex, 10);
			unsigned long long ny = strtoull(y, &ey, 10);
			if (nx != ny)
				return nx < ny ? 1 : -1;
			x = ex, y = ey;
		} else {
			if (*x != *y)
				return *x < *y ? 1 : -1;
			x++, y++;
		}
	}
	return *x ? -1 : *y ? 1 : 0;
}

static int
add_build(rh_dashboard *d, const char *name, const char *dir)
{
	rh_dash_build *b;
	char *real;

	if (!(real = realpath(dir, NULL)))
		return rh__error(RH_EINVAL, "%s: %s", dir, strerror(errno));
	if (!(b = rh__realloc(d->builds, (d->nbuilds + 1) * sizeof(*b)))) {
		free(real);
		return RH_ENOMEM;
	}
	d->builds = b;
	b = &d->builds[d->nbuilds];
	b->dir = real;
	if (!(b->name = rh__strdup(name))) {
		free(real);
		return RH_ENOMEM;
	}
	d->nbuilds++;
	return 0;
}

int
rh_dashboard__builds_scan(rh_dashboard *d)
{
	const char *dir = d->dashboard_dir;
	struct dirent *de;
	struct stat st;
	DIR *dh;
	int error = 0;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return rh__error(RH_EINVAL,
		                 "%s: not a folder (give --dashboard-dir "
		                 "a Ray dashboard client build)",
		                 dir);
	if (has_index(dir)) {
		d->single_build = 1;
		return add_build(d, "default", dir);
	}
	if (!(dh = opendir(dir)))
		return rh__error(RH_EINVAL, "%s: %s", dir, strerror(errno));
	while (!error && (de = readdir(dh))) {
		char p[PATH_MAX];

		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >=
		            sizeof(p))
			continue;
		/* Build names go into cookies and pages: plain names only. */
		if (rh_layout_check_name("build", de->d_name) < 0) {
			rh_error_clear();
			continue;
		}
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && has_index(p) &&
		    strlen(de->d_name) < 64)
			error = add_build(d, de->d_name, p);
	}
	closedir(dh);
	if (error < 0)
		return error;
	if (!d->nbuilds)
		return rh__error(
			RH_EINVAL,
			"%s: no index.html in it nor in any "
			"folder inside it; point --dashboard-dir at a "
			"Ray dashboard client build (python/ray/"
			"dashboard/client/build in Ray's package) or a "
			"folder of builds named by Ray version",
			dir);
	qsort(d->builds, d->nbuilds, sizeof(*d->builds), version_cmp);
	return 0;
}

void
rh_dashboard__builds_free(rh_dashboard *d)
{
	size_t i;

	for (i = 0; i < d->nbuilds; i++) {
		free(d->builds[i].name);
		free(d->builds[i].dir);
	}
	free(d->builds);
	d->builds = NULL;
	d->nbuilds = 0;
}

const rh_dash_build *
rh_dashboard__build_for(const rh_dashboard *d, const char *wanted,
                        const char *ray_version)
{
	size_t i, n;

	if (!d->nbuilds)
		return NULL;
	for (i = 0; wanted && *wanted && i < d->nbuilds; i++)
		if (!strcmp(d->builds[i].name, wanted))
			return &d->builds[i];
	if (wanted && *wanted && !ray_version)
		return NULL;
	for (i = 0; ray_version && *ray_version && i < d->nbuilds; i++)
		if (!strcmp(d->builds[i].name, ray_version))
			return &d->builds[i];
	/* the same major.minor */
	if (ray_version && strchr(ray_version, '.')) {
		const char *dot = strchr(strchr(ray_version, '.') + 1, '.');
		n = dot ? (size_t)(dot - ray_version) : strlen(ray_version);
		for (i = 0; i < d->nbuilds; i++)
			if (!strncmp(d->builds[i].name, ray_version, n) &&
			    (d->builds[i].name[n] == '.' ||
			     !d->builds[i].name[n]))
				return &d->builds[i];
	}
	return &d->builds[0];
}

static const char *
mime(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "application/javascript" },
		{ ".mjs", "application/javascript" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".map", "application/json" },
		{ ".webmanifest", "application/manifest+json" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".svg", "image/svg+xml" },
		{ ".ico", "image/x-icon" },
		{ ".woff", "font/woff" },
		{ ".woff2", "font/woff2" },
		{ ".ttf", "font/ttf" },
		{ ".eot", "application/vnd.ms-fontobject" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".wasm", "application/wasm" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < RH_ARRAY_SIZE(types); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

/* Open segs under dir: 0 with *fd, 1 when there is no such regular file
 * inside dir. */
static int
open_inside(int *fd, struct stat *st, const char *dir, char **segs,
            size_t nsegs)
{
	char path[PATH_MAX], *real = NULL;
	size_t len = strlen(dir), i;
	int r = 1;

	*fd = -1;
	if (len + 1 >= sizeof(path))
		return 1;
	memcpy(path, dir, len + 1);
	for (i = 0; i < nsegs; i++) {
		/* Hidden files and anything odd are not part of a build. */
		if (segs[i][0] == '.' || strchr(segs[i], '/') ||
		    strchr(segs[i], '\\'))
			return 1;
		if ((size_t)snprintf(path + len, sizeof(path) - len, "/%s",
		                     segs[i]) >= sizeof(path) - len)
			return 1;
		len = strlen(path);
	}
	if (!(real = realpath(path, NULL)))
		return 1;
	if (strncmp(real, dir, strlen(dir)) || real[strlen(dir)] != '/')
		goto done;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer, holding a worker thread for ever; it is refused just below. */
	if ((*fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) <
	    0)
		goto done;
	if (fstat(*fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		goto done;
	}
	r = 0;
done:
	free(real);
	return r;
}

static int
read_all(rh_buf *out, int fd, size_t size)
{
	size_t got = 0;
	int error;

	if ((error = rh_buf_grow(out, size)) < 0)
		return error;
	while (got < size) {
		ssize_t n = read(fd, out->ptr + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rh__error(RH_EIO, "reading a dashboard file: %s",
			                 n < 0 ? strerror(errno) :
			                         "short read");
		got += (size_t)n;
	}
	out->size = got;
	out->ptr[got] = '\0';
	return 0;
}

int
rh_dashboard__static(rh_dash_ctx *c, const rh_dash_build *b, char **segs,
                     size_t nsegs)
{
	const char *inm = c->req->if_none_match;
	const char *name = nsegs ? segs[nsegs - 1] : "index.html";
	char *idx[1] = { (char *)(uintptr_t) "index.html" };
	char etag[64];
	struct stat st;
	size_t i;
	int fd, error;

	if (!nsegs)
		segs = idx, nsegs = 1;
	if (open_inside(&fd, &st, b->dir, segs, nsegs) != 0) {
		/* Hashed asset names are unique: another build may hold it
		 * (a page loaded from one build, a cookie pointing at another). */
		for (i = 0; i < c->d->nbuilds; i++)
			if (&c->d->builds[i] != b &&
			    open_inside(&fd, &st, c->d->builds[i].dir, segs,
			                nsegs) == 0)
				break;
		if (fd < 0)
			return 1;
	}
	snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"",
	         (unsigned long long)st.st_size,
	         (unsigned long long)st.st_mtime);
	if ((error = rh_dashboard__header(c->resp, "ETag", "%s", etag)) < 0 ||
	    (error = rh_dashboard__header(
		     c->resp, "Cache-Control", "%s",
		     !strcmp(segs[0], "static") && nsegs > 1 ?
			     "public, max-age=31536000, immutable" :
		     !strcmp(name, "index.html") ? "no-cache" :
						   "public, max-age=3600")) < 0)
		goto done;
	if (inm && strstr(inm, etag + 2)) {
		rh_buf_clear(&c->resp->body);
		error = rh_dashboard__reply(c, 304, mime(name));
		goto done;
	}
	if ((size_t)st.st_size > c->d->opts.max_body) {
		error = rh_dashboard__fail(c, 413, "%s is too large to serve",
		                           name);
		goto done;
	}
	rh_buf_clear(&c->resp->body);
	if ((error = read_all(&c->resp->body, fd, (size_t)st.st_size)) < 0)
		goto done;
	error = rh_dashboard__reply(c, 200, mime(name));
done:
	close(fd);
	return error;
}
