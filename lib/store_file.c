/* store_file.c - the file:// store backend: one file per object in a local
 * folder, keys as relative paths.
 *
 * Atomicity comes from rename(2): an object is written to a temporary file
 * in its final folder and renamed over the key, so a reader opens either the
 * old file or the new one. Temporary files are named ".tmp-<pid>-<n>-<name>"
 * and never listed; keys whose components start with ".tmp-" are refused.
 *
 * Durability: with the fsync option (the default) a put or a commit syncs
 * the object, then renames it in and syncs its folder, so that it survives
 * a crash once the call returns. A writer opened "nosync" (store_defer.h)
 * skips those barriers: its commit renames the file in without syncing,
 * and the caller's next sync - one syncfs(2) of the store's file system -
 * makes every such object durable at once, before the caller writes the
 * manifest that names them. A nosync commit never replaces an object (it
 * renames with RENAME_NOREPLACE) and never leaves the store's file system:
 * either case, rare, takes the durable path instead, so that a crash can
 * only lose objects no manifest names yet.
 *
 * Every path is resolved relative to a descriptor of the store's folder, so
 * that a later chdir() of the application changes nothing. The handle holds
 * no mutable state; the one shared counter, for temporary names, is atomic.
 * (The test hook RAYHIST_TEST_POWERCUT_AT, below, keeps a list under a
 * mutex.)
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "store_backend.h"

#define TMP_PREFIX ".tmp-"
#define TMP_PREFIX_LEN (sizeof(TMP_PREFIX) - 1)
/* Bytes of the object's name kept in a temporary name: ".tmp-", a pid, a
 * 20-digit counter and two '-' take at most 37 more, within NAME_MAX. */
#define TMP_NAME_KEEP 200
/* Rounds of "create the folders, then the temporary file", which a
 * concurrent delete may undo by removing a folder it just emptied. */
#define CREATE_TRIES 100

/* RAYHIST_TEST_POWERCUT_AT=K (tests only): as the K-th write (a commit, a
 * put or a sync) of the handle begins, act as a power cut would - every
 * object committed without a barrier since the last sync loses its bytes
 * (it is truncated to nothing, the worst a file system may leave) - and
 * _exit(137). Tests then check that the store still reads whole. */
typedef struct powercut {
	atomic_long left;   /* writes to go; <= 0: disarmed */
	pthread_mutex_t mu; /* guards keys */
	char **keys;        /* committed without a barrier since the sync */
	size_t n, cap;
} powercut;

typedef struct file_backend {
	rh_store_backend parent;
	char *root; /* absolute path, for messages */
	int rootfd;
	int fsync;
	dev_t dev; /* of the root: what one syncfs() covers */
	powercut cut;
} file_backend;

typedef struct file_writer {
	rh_store_backend_writer parent;
	int fd;
	int nosync; /* the caller syncs later (store_defer.h) */
	char *tmp;  /* relative to the root */
	char key[];
} file_writer;

/* Process-wide, not per handle, so that two handles on one folder never
 * pick the same temporary name. The pid in the name separates processes. */
static atomic_uint_fast64_t tmp_counter;

static const char *
errstr(int err, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(err, buf, n);
#else
	if (strerror_r(err, buf, n) != 0)
		snprintf(buf, n, "error %d", err);
	return buf;
#endif
}

/* Report errno `err` from `what` on `key` ("" for the store itself). */
static int
file_error(const file_backend *fb, int err, const char *key, const char *what)
{
	char ebuf[128];
	int code;

	switch (err) {
	case ENOMEM: code = RH_ENOMEM; break;
	case ENAMETOOLONG: code = RH_EINVAL; break;
	case EACCES:
	case EPERM:
	case EROFS: /* the folder or mount may not be written */
		code = RH_EACCES;
		break;
	default: code = RH_EIO;
	}
	return rh__error(code, "%s%s%s: %s: %s", fb->root,
	                 *key && strcmp(fb->root, "/") ? "/" : "", key, what,
	                 errstr(err, ebuf, sizeof(ebuf)));
}

static int
not_found(const file_backend *fb, const char *key)
{
	return rh__error(RH_ENOTFOUND, "%s: no such object in file://%s", key,
	                 fb->root);
}

/* Something other than a regular file sits where object `key` would be.
 * A folder means the key is a prefix of others: no object, as on S3, but
 * said so. A symbolic link or a device the store never writes: someone
 * changed the folder behind its back, which is damage, not absence. */
static int
not_object(const file_backend *fb, const char *key, mode_t mode)
{
	if (S_ISDIR(mode))
		return rh__error(RH_ENOTFOUND,
		                 "%s: a folder (a prefix of other "
		                 "keys), not an object, in file://%s",
		                 key, fb->root);
	return rh__error(RH_ECORRUPT,
	                 "%s: %s where an object should be, in "
	                 "file://%s",
	                 key,
	                 S_ISLNK(mode) ? "a symbolic link (not followed)" :
	                                 "a special file",
	                 fb->root);
}

static int
is_tmp_name(const char *name)
{
	return strncmp(name, TMP_PREFIX, TMP_PREFIX_LEN) == 0;
}

/* Does a component of `key` start like a temporary file's name? */
static int
has_tmp_name(const char *key)
{
	const char *p = key;

	for (;;) {
		if (is_tmp_name(p))
			return 1;
		if (!(p = strchr(p, '/')))
			return 0;
		p++;
	}
}

static int
check_reserved(const char *key)
{
	if (has_tmp_name(key))
		return rh__error(
			RH_EINVAL,
			"key \"%s\": names starting with \"" TMP_PREFIX
			"\" are reserved for temporary files in file:// stores",
			key);
	return 0;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync(2), counted (store_defer.h). */
static int
barrier(int fd)
{
	rh_store__stats_barrier();
	return fsync(fd);
}

/* ---- the power cut of tests (RAYHIST_TEST_POWERCUT_AT) ------------------ */

static void
powercut_init(powercut *c)
{
	const char *at = getenv("RAYHIST_TEST_POWERCUT_AT");

	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->left, at && *at ? atol(at) : 0);
}

static void
powercut_free(powercut *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->keys[i]);
	free(c->keys);
	pthread_mutex_destroy(&c->mu);
}

/* A write begins: the armed handle's K-th one cuts the power. */
static void
powercut_point(file_backend *fb)
{
	powercut *c = &fb->cut;
	size_t i;

	if (atomic_load(&c->left) <= 0 || atomic_fetch_sub(&c->left, 1) != 1)
		return;
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n; i++) {
		int fd = openat(fb->rootfd, c->keys[i],
		                O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd >= 0 && ftruncate(fd, 0) == 0)
			fsync(fd);
		if (fd >= 0)
			close(fd);
	}
	_exit(137);
}

#if defined(HAVE_SYNCFS) && defined(HAVE_RENAMEAT2)
/* Object `key` was committed without a barrier. */
static void
powercut_note(file_backend *fb, const char *key)
{
	powercut *c = &fb->cut;
	char **keys;

	if (atomic_load(&c->left) <= 0)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->n == c->cap &&
	    (keys = realloc(c->keys,
	                    (c->cap = c->cap * 2 + 16) * sizeof(*keys))))
		c->keys = keys;
	if (c->n < c->cap && (c->keys[c->n] = strdup(key)))
		c->n++;
	pthread_mutex_unlock(&c->mu);
}

/* A sync made everything committed so far durable. */
static void
powercut_synced(file_backend *fb)
{
	powercut *c = &fb->cut;

	if (atomic_load(&c->left) <= 0)
		return;
	pthread_mutex_lock(&c->mu);
	while (c->n)
		free(c->keys[--c->n]);
	pthread_mutex_unlock(&c->mu);
}
#endif

/* ------------------------------------------------------------------------ */

/* fsync folder `dir` ("" is the root). Returns 0 or an errno. Filesystems
 * that cannot sync a folder say EINVAL; that is not a failure. */
static int
sync_dir(const file_backend *fb, const char *dir)
{
	int fd = fb->rootfd, err = 0;

	if (*dir && (fd = openat(fb->rootfd, dir,
	                         O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno;
	if (barrier(fd) < 0 && errno != EINVAL)
		err = errno;
	if (fd != fb->rootfd)
		close(fd);
	return err;
}

/* Create folder `dir` (relative, modified in place then restored) and its
 * parents, syncing each new one's parent when `sync`. Returns 0 or an
 * errno. */
static int
make_dirs(const file_backend *fb, char *dir, int sync)
{
	char *p = dir;
	int err = 0;

	for (;;) {
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		if (mkdirat(fb->rootfd, dir, 0777) == 0) {
			/* A new folder is durable once its parent is. */
			if (sync) {
				char *up = strrchr(dir, '/');

				if (up)
					*up = '\0';
				err = sync_dir(fb, up ? dir : "");
				if (up)
					*up = '/';
			}
		} else if (errno != EEXIST) {
			err = errno;
		}
		if (slash)
			*slash = '/';
		if (err || !slash)
			return err;
		p = slash + 1;
	}
}

static int
parent_is_object(const char *key)
{
	return rh__error(
		RH_EEXISTS,
		"%s: a folder of this key is an object (a file:// store cannot hold both \"a\" and \"a/b\")",
		key);
}

/* Create a temporary file beside `key`, creating its folders (synced when
 * `sync`). On success *fd_out is open for writing and *tmp_out the file's
 * relative path. */
static int
create_tmp(int *fd_out, char **tmp_out, const file_backend *fb, const char *key,
           int sync)
{
	const char *slash = strrchr(key, '/');
	const char *base = slash ? slash + 1 : key;
	size_t dirlen = slash ? (size_t)(slash - key) : 0;
	char *dir = NULL, *tmp = NULL;
	int tries, fd = -1, err = 0, error = 0;

	if (!(dir = rh__strndup(key, dirlen)) ||
	    !(tmp = rh__malloc(dirlen + strlen(base) + 64))) {
		error = RH_ENOMEM;
		goto done;
	}
	for (tries = 0; tries < CREATE_TRIES; tries++) {
		uint64_t n = atomic_fetch_add(&tmp_counter, 1);

		sprintf(tmp, "%s%s" TMP_PREFIX "%ld-%llu-%.*s", dir,
		        dirlen ? "/" : "", (long)getpid(),
		        (unsigned long long)n, TMP_NAME_KEEP, base);
		fd = openat(fb->rootfd, tmp,
		            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		                    O_NOFOLLOW,
		            0666);
		if (fd >= 0)
			break;
		err = errno;
		if (err == EEXIST) /* left by a dead process with our pid */
			continue;
		if (err != ENOENT || !dirlen)
			break;
		/* ENOENT here or in make_dirs(): a folder is missing, or a
		 * delete removed one we had just made. Make them again. */
		if ((err = make_dirs(fb, dir, sync)) != 0 && err != ENOENT)
			break;
	}
	if (fd < 0) {
		if (err == ENOTDIR)
			error = parent_is_object(key);
		else
			error = file_error(fb, err, key,
			                   "cannot create a temporary file");
		goto done;
	}
	*fd_out = fd;
	*tmp_out = tmp, tmp = NULL;
done:
	free(dir);
	free(tmp);
	return error;
}

/* Rename temporary file `tmp` to `key` and make the rename durable. */
static int
publish(const file_backend *fb, const char *tmp, const char *key)
{
	const char *slash;
	char *dir;
	int err;

	if (renameat(fb->rootfd, tmp, fb->rootfd, key) < 0) {
		err = errno;
		/* A folder left empty (by a crash, say) holds no key: S3 would
		 * take the put, so do we. A folder with objects wins. */
		if (err == EISDIR &&
		    unlinkat(fb->rootfd, key, AT_REMOVEDIR) == 0 &&
		    renameat(fb->rootfd, tmp, fb->rootfd, key) == 0)
			goto synced;
		unlinkat(fb->rootfd, tmp, 0);
		if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
			return rh__error(
				RH_EEXISTS,
				"%s: keys below it exist (a file:// store cannot hold both \"a\" and \"a/b\")",
				key);
		return file_error(fb, err, key, "rename");
	}
synced:
	if (!fb->fsync)
		return 0;
	slash = strrchr(key, '/');
	if (!(dir = rh__strndup(key, slash ? (size_t)(slash - key) : 0)))
		return RH_ENOMEM;
	err = sync_dir(fb, dir);
	free(dir);
	return err ? file_error(fb, err, key, "fsync of its folder") : 0;
}

/* fsync (when asked) and close `fd`; 0 or an errno. */
static int
finish_fd(const file_backend *fb, int fd)
{
	int err = 0;

	if (fb->fsync && barrier(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err && errno != EINTR)
		err = errno;
	return err;
}

static int
file_put(rh_store_backend *be, const char *key, const void *data, size_t len)
{
	file_backend *fb = (file_backend *)be;
	char *tmp = NULL;
	int fd = -1, err, error;

	powercut_point(fb);
	if ((error = check_reserved(key)) < 0 ||
	    (error = create_tmp(&fd, &tmp, fb, key, fb->fsync)) < 0)
		return error;
	err = write_all(fd, data, len);
	if (!err)
		err = finish_fd(fb, fd);
	else
		close(fd);
	if (err) {
		error = file_error(fb, err, key, "write");
		unlinkat(fb->rootfd, tmp, 0);
		goto done;
	}
	error = publish(fb, tmp, key);
done:
	free(tmp);
	return error;
}

/* Open `key` for reading; RH_ENOTFOUND when no object is there, RH_ECORRUPT
 * for a link or a special file. */
static int
open_object(int *fd_out, struct stat *sb, const file_backend *fb,
            const char *key)
{
	int fd, error;

	if ((error = check_reserved(key)) < 0)
		return error;
	/* O_NONBLOCK: a FIFO planted in the store must not hang a reader. */
	fd = openat(fb->rootfd, key,
	            O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP &&
		    fstatat(fb->rootfd, key, sb, AT_SYMLINK_NOFOLLOW) == 0)
			return not_object(fb, key, sb->st_mode);
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return not_found(fb, key);
		return file_error(fb, errno, key, "open");
	}
	if (fstat(fd, sb) < 0) {
		error = file_error(fb, errno, key, "fstat");
		close(fd);
		return error;
	}
	if (!S_ISREG(sb->st_mode)) {
		close(fd);
		return not_object(fb, key, sb->st_mode);
	}
	*fd_out = fd;
	return 0;
}

static int
file_get(rh_buf *out, rh_store_backend *be, const char *key, uint64_t off,
         size_t len)
{
	file_backend *fb = (file_backend *)be;
	uint64_t size, want;
	struct stat sb;
	size_t got = 0;
	int fd = -1, error;

	if ((error = open_object(&fd, &sb, fb, key)) < 0)
		return error;
	size = (uint64_t)sb.st_size;
	want = off >= size ? 0 : size - off;
	if (want > len)
		want = len;
	if (want == 0)
		goto done;
	if (want >= SIZE_MAX - out->size) {
		error = rh__error(RH_ENOMEM,
		                  "%s: %llu bytes do not fit in memory", key,
		                  (unsigned long long)want);
		goto done;
	}
	if ((error = rh_buf_grow(out, out->size + (size_t)want)) < 0)
		goto done;
	/* Objects are immutable: an overwrite renames a new file in, and
	 * this descriptor keeps the old one. So short reads mean EOF only if
	 * someone edited the file behind the store's back. */
	while (got < want) {
		ssize_t n = pread(fd, out->ptr + out->size + got,
		                  (size_t)want - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = file_error(fb, errno, key, "read");
			got = 0; /* append all or nothing */
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	out->size += got;
	out->ptr[out->size] = '\0';
done:
	close(fd);
	return error;
}

static int64_t
mtime_ms(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000 +
	       sb->st_mtim.tv_nsec / 1000000;
}

static int
file_head(uint64_t *size_out, int64_t *mtime_ms_out, rh_store_backend *be,
          const char *key)
{
	file_backend *fb = (file_backend *)be;
	struct stat sb;
	int error;

	if ((error = check_reserved(key)) < 0)
		return error;
	if (fstatat(fb->rootfd, key, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return not_found(fb, key);
		return file_error(fb, errno, key, "stat");
	}
	if (!S_ISREG(sb.st_mode))
		return not_object(fb, key, sb.st_mode);
	*size_out = (uint64_t)sb.st_size;
	if (mtime_ms_out)
		*mtime_ms_out = mtime_ms(&sb);
	return 0;
}

static int
file_del(rh_store_backend *be, const char *key)
{
	file_backend *fb = (file_backend *)be;
	struct stat sb;
	char *dir, *slash;
	int error;

	if ((error = check_reserved(key)) < 0)
		return error;
	if (unlinkat(fb->rootfd, key, 0) < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			return 0;
		/* POSIX lets unlink() of a folder fail with EPERM. */
		if (errno == EPERM &&
		    fstatat(fb->rootfd, key, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode))
			return 0;
		return file_error(fb, errno, key, "unlink");
	}
	/* Remove the folders this delete emptied, as S3 has no empty
	 * "folders". A folder another thread is filling holds its temporary
	 * file and is not empty; one it is about to fill is re-created by
	 * create_tmp(). Not fsynced: a deleted object coming back after a
	 * crash is harmless, as objects are immutable. */
	if (!(dir = rh__strdup(key)))
		return RH_ENOMEM;
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		if (unlinkat(fb->rootfd, dir, AT_REMOVEDIR) < 0)
			break;
	}
	free(dir);
	return 0;
}

/* ---------------------------------------------------------------- list */

typedef struct list_ctx {
	file_backend *fb;
	size_t prefixlen;
	const char *delim; /* NULL: no roll-up */
	size_t delimlen;
	rh_store_list_cb cb;
	void *payload;
	rh_buf key;     /* key of the entry being visited */
	rh_buf last_cp; /* the common prefix reported last */
} list_ctx;

/* One folder's entries, names sorted in key order: a folder's name carries
 * its '/', since "a/x" sorts after "a-b" but before "a0". */
typedef struct dir_list {
	char **names;
	size_t n, cap;
} dir_list;

static void
dir_list_free(dir_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++)
		free(dl->names[i]);
	free(dl->names);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Kind of entry `name` in `pfd`: 'f' object, 'd' folder, 0 other. */
static int
entry_kind(int pfd, const struct dirent *de)
{
	struct stat sb;

	switch (de->d_type) {
	case DT_REG: return 'f';
	case DT_DIR: return 'd';
	case DT_UNKNOWN: break;
	default: return 0;
	}
	if (fstatat(pfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return S_ISREG(sb.st_mode) ? 'f' : S_ISDIR(sb.st_mode) ? 'd' : 0;
}

/* Files someone else put in the folder may have names no key can have;
 * listing them would offer keys that rh_store_get() refuses. */
static int
name_is_key(const char *name)
{
	for (; *name; name++)
		if ((unsigned char)*name < 0x20 || *name == 0x7f)
			return 0;
	return 1;
}

/* Read the entries of `dir` whose names start with `tail` (NULL: all),
 * skipping temporary files and anything but files and folders. */
static int
read_dir(dir_list *dl, list_ctx *c, DIR *dir, const char *tail)
{
	size_t taillen = tail ? strlen(tail) : 0;
	struct dirent *de;
	int kind;

	for (;;) {
		size_t nlen;
		char *name;

		errno = 0;
		if (!(de = readdir(dir)))
			break;
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (is_tmp_name(de->d_name) || !name_is_key(de->d_name) ||
		    strncmp(de->d_name, tail ? tail : "", taillen) != 0)
			continue;
		if (!(kind = entry_kind(dirfd(dir), de)))
			continue;
		if (dl->n == dl->cap) {
			size_t cap = dl->cap ? dl->cap * 2 : 32;
			char **names =
				rh__realloc(dl->names, cap * sizeof(*names));

			if (!names)
				return RH_ENOMEM;
			dl->names = names, dl->cap = cap;
		}
		nlen = strlen(de->d_name);
		if (!(name = rh__malloc(nlen + 2)))
			return RH_ENOMEM;
		memcpy(name, de->d_name, nlen);
		name[nlen] = kind == 'd' ? '/' : '\0';
		name[nlen + 1] = '\0';
		dl->names[dl->n++] = name;
	}
	if (errno)
		return file_error(c->fb, errno, c->key.ptr ? c->key.ptr : "",
		                  "read folder");
	if (dl->n)
		qsort(dl->names, dl->n, sizeof(*dl->names), cmp_names);
	return 0;
}

/* Does folder `name` in `pfd` hold an object, at any depth? 1, 0, or an
 * error. An empty folder (or one with only temporary files) is no prefix. */
static int
has_object(list_ctx *c, int pfd, const char *name)
{
	struct dirent *de;
	DIR *dir;
	int fd, found = 0;

	if ((fd = openat(pfd, name,
	                 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT || errno == ENOTDIR ?
		               0 :
		               file_error(c->fb, errno, c->key.ptr,
		                          "open folder");
	if (!(dir = fdopendir(fd))) {
		found = file_error(c->fb, errno, c->key.ptr, "open folder");
		close(fd);
		return found;
	}
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] ||
		     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (is_tmp_name(de->d_name))
			continue;
		switch (entry_kind(dirfd(dir), de)) {
		case 'f': found = 1; break;
		case 'd': found = has_object(c, dirfd(dir), de->d_name); break;
		}
	}
	closedir(dir);
	return found;
}

/* Report common prefix c->key[0..len) unless it was the last one reported:
 * keys sharing a prefix are adjacent in key order. */
static int
emit_prefix(list_ctx *c, size_t len)
{
	rh_store_entry e = { 0 };
	int error;

	if (c->last_cp.size == len &&
	    memcmp(c->last_cp.ptr, c->key.ptr, len) == 0)
		return 0;
	rh_buf_clear(&c->last_cp);
	if ((error = rh_buf_put(&c->last_cp, c->key.ptr, len)) < 0)
		return error;
	e.key = c->last_cp.ptr;
	e.is_prefix = 1;
	return c->cb(&e, c->payload);
}

/* Where the roll-up of c->key ends: the end of the first delimiter after
 * the prefix, or 0 when there is none (in c->key as built so far). */
static size_t
rollup_end(const list_ctx *c)
{
	const char *p;

	if (!c->delim)
		return 0;
	p = c->key.ptr + c->prefixlen;
	if (c->delimlen == 1)
		p = strchr(p, c->delim[0]);
	else
		p = strstr(p, c->delim);
	return p ? (size_t)(p - c->key.ptr) + c->delimlen : 0;
}

static int
emit_object(list_ctx *c, int pfd, const char *name)
{
	rh_store_entry e = { 0 };
	struct stat sb;
	size_t end;

	if ((end = rollup_end(c)) != 0)
		return emit_prefix(c, end);
	if (c->key.size > RH_STORE__KEY_MAX) /* not put here by a store */
		return 0;
	if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) /* deleted since readdir() */
			return 0;
		return file_error(c->fb, errno, c->key.ptr, "stat");
	}
	if (!S_ISREG(sb.st_mode))
		return 0;
	e.key = c->key.ptr;
	e.size = (uint64_t)sb.st_size;
	e.mtime_ms = mtime_ms(&sb);
	return c->cb(&e, c->payload);
}

static int walk(list_ctx *c, int fd, const char *tail);

/* Visit folder `name` (with its '/') of `pfd`, whose key is c->key: one
 * roll-up entry if the delimiter occurs in it already, else its contents. */
static int
visit_dir(list_ctx *c, int pfd, char *name)
{
	size_t end, nlen = strlen(name);
	int fd, error;

	name[nlen - 1] = '\0';
	if ((end = rollup_end(c)) != 0) {
		if ((error = has_object(c, pfd, name)) > 0)
			error = emit_prefix(c, end);
		goto done;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		error = errno == ENOENT || errno == ENOTDIR ?
		                0 :
		                file_error(c->fb, errno, c->key.ptr,
		                           "open folder");
		goto done;
	}
	error = walk(c, fd, NULL);
done:
	name[nlen - 1] = '/';
	return error;
}

/* List folder `fd` (closed here) whose key prefix is c->key. */
static int
walk(list_ctx *c, int fd, const char *tail)
{
	dir_list dl = { 0 };
	size_t base = c->key.size, i;
	DIR *dir;
	int error;

	if (!(dir = fdopendir(fd))) {
		error = file_error(c->fb, errno, c->key.ptr, "open folder");
		close(fd);
		return error;
	}
	if ((error = read_dir(&dl, c, dir, tail)) < 0)
		goto done;
	for (i = 0; i < dl.n && error == 0; i++) {
		char *name = dl.names[i];
		size_t nlen = strlen(name);

		if ((error = rh_buf_put(&c->key, name, nlen)) < 0)
			break;
		if (name[nlen - 1] == '/')
			error = visit_dir(c, dirfd(dir), name);
		else
			error = emit_object(c, dirfd(dir), name);
		c->key.size = base;
		c->key.ptr[base] = '\0';
	}
done:
	dir_list_free(&dl);
	closedir(dir);
	return error;
}

static int
file_list(rh_store_backend *be, const char *prefix, const char *delim,
          rh_store_list_cb cb, void *payload)
{
	file_backend *fb = (file_backend *)be;
	list_ctx c = { 0 };
	const char *slash = strrchr(prefix, '/');
	size_t dirlen = slash ? (size_t)(slash - prefix) : 0;
	int fd, error;

	c.fb = fb;
	c.prefixlen = strlen(prefix);
	c.delim = delim;
	c.delimlen = delim ? strlen(delim) : 0;
	c.cb = cb;
	c.payload = payload;
	/* Start in the prefix's folder; the rest of the prefix filters its
	 * names. c->key always holds a NUL-terminated string. */
	if ((error = rh_buf_put(&c.key, prefix, slash ? dirlen + 1 : 0)) < 0 ||
	    (error = rh_buf_puts(&c.last_cp, "")) < 0)
		goto done;
	if (slash) {
		c.key.ptr[dirlen] = '\0';
		/* No temporary folder holds keys. */
		if (has_tmp_name(c.key.ptr))
			goto done;
		fd = openat(fb->rootfd, c.key.ptr,
		            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		c.key.ptr[dirlen] = '/';
	} else {
		fd = openat(fb->rootfd, ".",
		            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		error = 0; /* no such folder, so no such keys */
		goto done;
	}
	if (fd < 0) {
		error = file_error(fb, errno, prefix, "open folder");
		goto done;
	}
	error = walk(&c, fd, slash ? slash + 1 : prefix);
done:
	rh_buf_dispose(&c.key);
	rh_buf_dispose(&c.last_cp);
	return error;
}

/* ---------------------------------------------------------------- writer */

static int
writer_open(rh_store_backend_writer **out, rh_store_backend *be,
            const char *key, int nosync)
{
	file_backend *fb = (file_backend *)be;
	file_writer *w;
	int error;

	if ((error = check_reserved(key)) < 0)
		return error;
	if (!(w = rh__calloc(1, sizeof(*w) + strlen(key) + 1)))
		return RH_ENOMEM;
	w->parent.be = be;
	w->nosync = nosync && fb->fsync;
	strcpy(w->key, key);
	if ((error = create_tmp(&w->fd, &w->tmp, fb, key,
	                        fb->fsync && !w->nosync)) < 0) {
		free(w);
		return error;
	}
	*out = &w->parent;
	return 0;
}

static int
file_writer_open(rh_store_backend_writer **out, rh_store_backend *be,
                 const char *key)
{
	return writer_open(out, be, key, 0);
}

static int
file_writer_write(rh_store_backend_writer *bw, const void *data, size_t len)
{
	file_writer *w = (file_writer *)bw;
	int err;

	if ((err = write_all(w->fd, data, len)) != 0)
		return file_error((file_backend *)bw->be, err, w->key, "write");
	return 0;
}

static void
writer_free(file_writer *w)
{
	free(w->tmp);
	free(w);
}

#if defined(HAVE_SYNCFS) && defined(HAVE_RENAMEAT2)
/* Rename the object in with no barrier; the caller's next sync makes it
 * durable. An object already at the key may be named by a manifest, and
 * an object on another file system is not covered by the root's syncfs():
 * those take the durable path (fsync, rename, fsync of the folder). */
static int
commit_nosync(file_backend *fb, file_writer *w)
{
	struct stat sb;
	int err = 0, fd;

	if (fstat(w->fd, &sb) < 0)
		err = errno;
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start writing the object out now, without waiting: the caller's
	 * syncfs() then finds it (mostly) on disk already instead of writing
	 * every object of the run at the end, while the CPUs sit idle. A
	 * failure here only leaves the work to syncfs(). */
	if (!err && fb->fsync && sb.st_dev == fb->dev)
		(void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	if (close(w->fd) < 0 && !err && errno != EINTR)
		err = errno;
	if (err) {
		unlinkat(fb->rootfd, w->tmp, 0);
		return file_error(fb, err, w->key, "write");
	}
	if (sb.st_dev == fb->dev && renameat2(fb->rootfd, w->tmp, fb->rootfd,
	                                      w->key, RENAME_NOREPLACE) == 0) {
		powercut_note(fb, w->key);
		return 0;
	}
	/* EEXIST, another file system, or a file system without
	 * RENAME_NOREPLACE (EINVAL): the durable way, as a plain commit. */
	if ((fd = openat(fb->rootfd, w->tmp,
	                 O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    barrier(fd) < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err) {
		unlinkat(fb->rootfd, w->tmp, 0);
		return file_error(fb, err, w->key, "fsync");
	}
	return publish(fb, w->tmp, w->key);
}

static int
file_writer_open_nosync(rh_store_backend_writer **out, rh_store_backend *be,
                        const char *key)
{
	return writer_open(out, be, key, 1);
}

/* One barrier for every object committed without one: syncfs() writes out
 * the file system's dirty data and metadata, the new folders and renames
 * included, and (Linux 5.8 on) reports a write-back error it met. */
static int
file_sync(rh_store_backend *be)
{
	file_backend *fb = (file_backend *)be;

	powercut_point(fb);
	if (!fb->fsync)
		return 0;
	rh_store__stats_barrier();
	if (syncfs(fb->rootfd) < 0)
		return file_error(fb, errno, "", "syncfs");
	powercut_synced(fb);
	return 0;
}
#endif

static int
file_writer_commit(rh_store_backend_writer *bw)
{
	file_writer *w = (file_writer *)bw;
	file_backend *fb = (file_backend *)bw->be;
	int err, error;

	powercut_point(fb);
#if defined(HAVE_SYNCFS) && defined(HAVE_RENAMEAT2)
	if (w->nosync) {
		error = commit_nosync(fb, w);
		writer_free(w);
		return error;
	}
#endif
	if ((err = finish_fd(fb, w->fd)) != 0) {
		error = file_error(fb, err, w->key, "write");
		unlinkat(fb->rootfd, w->tmp, 0);
	} else {
		error = publish(fb, w->tmp, w->key);
	}
	writer_free(w);
	return error;
}

static void
file_writer_abort(rh_store_backend_writer *bw)
{
	file_writer *w = (file_writer *)bw;
	file_backend *fb = (file_backend *)bw->be;

	close(w->fd);
	unlinkat(fb->rootfd, w->tmp, 0);
	writer_free(w);
}

/* ---------------------------------------------------------------- open */

static void
file_close(rh_store_backend *be)
{
	file_backend *fb = (file_backend *)be;

	if (fb->rootfd >= 0)
		close(fb->rootfd);
	powercut_free(&fb->cut);
	free(fb->root);
	free(fb);
}

static const rh_store_backend_ops file_ops = {
	.scheme = "file",
	.put = file_put,
	.get = file_get,
	.head = file_head,
	.list = file_list,
	.del = file_del,
	.writer_open = file_writer_open,
	.writer_write = file_writer_write,
	.writer_commit = file_writer_commit,
	.writer_abort = file_writer_abort,
	.close = file_close,
#if defined(HAVE_SYNCFS) && defined(HAVE_RENAMEAT2)
	.writer_open_nosync = file_writer_open_nosync,
	.sync = file_sync,
#endif
};

/* mkdir -p of absolute, normalised `path`; 0 or an errno. */
static int
make_root(const char *path)
{
	char *dir, *p, c;
	int err = 0;

	if (!(dir = strdup(path)))
		return ENOMEM;
	for (p = dir + 1; *p; p++) {
		p += strcspn(p, "/");
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST)
			err = errno;
		*p = c;
		if (err || !c)
			break;
	}
	free(dir);
	return err;
}

int
rh_store__file_open(rh_store_backend **out, const char *path,
                    const rh_store_options *opts)
{
	char ebuf[128];
	file_backend *fb;
	int err, error = 0;

	if (!(fb = rh__calloc(1, sizeof(*fb))))
		return RH_ENOMEM;
	fb->parent.ops = &file_ops;
	fb->rootfd = -1;
	fb->fsync = opts->fsync;
	powercut_init(&fb->cut);
	if (!(fb->root = rh__strdup(path))) {
		error = RH_ENOMEM;
		goto done;
	}
	if (opts->must_exist) {
		struct stat sb;

		/* a reader: a missing folder is a mistyped URL, not a new store */
		if (stat(path, &sb) < 0 &&
		    (errno == ENOENT || errno == ENOTDIR)) {
			error = rh__error(RH_ENOTFOUND,
			                  "%s: no such store folder", path);
			goto done;
		}
	} else if ((err = make_root(path)) != 0) {
		error = rh__error(RH_EIO,
		                  "%s: cannot create the store folder: %s",
		                  path, errstr(err, ebuf, sizeof(ebuf)));
		goto done;
	}
	if ((fb->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err = errno;
		error = rh__error(
			RH_EIO, "%s: cannot open the store folder: %s", path,
			err == ENOTDIR ? "not a folder" :
					 errstr(err, ebuf, sizeof(ebuf)));
		goto done;
	}
	{
		struct stat sb;

		if (fstat(fb->rootfd, &sb) == 0)
			fb->dev = sb.st_dev;
	}
	/* A reader (must_exist) may open a folder it cannot write: a server
	 * over a read-only mount. Its writes fail with RH_EACCES. */
	if (!opts->must_exist &&
	    faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) < 0) {
		error = rh__error(RH_EIO,
		                  "%s: the store folder is not writable: %s",
		                  path, errstr(errno, ebuf, sizeof(ebuf)));
		goto done;
	}
	*out = &fb->parent, fb = NULL;
done:
	if (fb)
		file_close(&fb->parent);
	return error;
}
