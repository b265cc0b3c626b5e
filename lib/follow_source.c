/* follow_source.c - a session folder on disk as a file source
 * (follow_source.h): paths joined to the folder's real path, read with
 * the system calls the engine always used. */
#include "follow_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int
full_path(char *out, size_t cap, const rh__fsrc_dir *d, const char *rel)
{
	if (snprintf(out, cap, "%s%s%s", d->root, *rel ? "/" : "", rel) >=
	    (int)cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
dir_stat(rh__fsrc *s, const char *rel, int follow, rh__fid *out)
{
	char full[PATH_MAX];

	if (full_path(full, sizeof(full), (rh__fsrc_dir *)s, rel) < 0)
		return -1;
	return rh__fid_get(out, -1, full, follow);
}

static int
dir_list(rh__fsrc *s, const char *rel, rh__fsrc_entry_cb cb, void *payload)
{
	char full[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int error = 0;

	if (full_path(full, sizeof(full), (rh__fsrc_dir *)s, rel) < 0 ||
	    !(d = opendir(full)))
		return 1;
	while (error == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		error = cb(de->d_name, payload);
	}
	closedir(d);
	return error;
}

static int
dir_resolve(rh__fsrc *s, const char *rel, char *out, size_t cap)
{
	rh__fsrc_dir *d = (rh__fsrc_dir *)s;
	char full[PATH_MAX], real[PATH_MAX];
	size_t rootlen = strlen(d->root);

	if (full_path(full, sizeof(full), d, rel) < 0 || !realpath(full, real))
		return -1;
	if (strncmp(real, d->root, rootlen) != 0 || real[rootlen] != '/')
		return 1;
	if (snprintf(out, cap, "%s", real + rootlen + 1) >= (int)cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
dir_open(rh__fsrc *s, const char *rel)
{
	char full[PATH_MAX];

	if (full_path(full, sizeof(full), (rh__fsrc_dir *)s, rel) < 0)
		return -1;
	return open(full, O_RDONLY | O_CLOEXEC);
}

static const rh__fsrc_ops dir_ops = {
	dir_stat,
	dir_list,
	dir_resolve,
	dir_open,
};

void
rh__fsrc_dir_init(rh__fsrc_dir *d, const char *root)
{
	d->base.ops = &dir_ops;
	snprintf(d->root, sizeof(d->root), "%s", root);
	d->base.shown = d->root;
}
