/* Fuzz target: the archive reader of rayhist-collect --archive (any tar,
 * zip, 7z, compressed or not, hostile or damaged). The input is imported
 * into a private file:// store with small limits, from a file (read
 * twice) or, for an input of odd size that fits a pipe's buffer, from a
 * pipe (read once). Whatever the input: the call returns 0 or a negative
 * RH_E* code with a message, nothing is left in the folder for temporary
 * files, nothing appears outside the store and that folder, and a
 * successful import stored at least one node. */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rayhist/rayhist.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static int
is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char root[] = "/tmp/rh-fuzz-archive.XXXXXX", stage[64], store[64];
	rh_import_options o = RH_IMPORT_OPTIONS_INIT;
	rh_import_stats stats = RH_IMPORT_STATS_INIT;
	rh_store *st = NULL;
	int fd, error;

	if (!mkdtemp(root))
		return 0;
	snprintf(stage, sizeof(stage), "%s/stage", root);
	snprintf(store, sizeof(store), "%s/store", root);
	if (mkdir(stage, 0700) < 0 || rh_store_open(&st, store, NULL) < 0)
		goto done;
	if (size % 2 && size <= 4096) {
		int p[2];
		assert(pipe(p) == 0);
		assert(write(p[1], data, size) == (ssize_t)size);
		close(p[1]);
		fd = p[0];
	} else {
		fd = memfd_create("fuzz", 0);
		assert(fd >= 0);
		assert(write(fd, data, size) == (ssize_t)size);
		lseek(fd, 0, SEEK_SET);
	}
	o.cluster = "fuzz";
	o.tmpdir = stage;
	o.max_entry = 1 << 20;
	o.max_total = 4 << 20;
	o.max_ratio = 200;
	o.max_memory = 1 << 16; /* the temporary files too */
	o.workers = 1;
	error = rh_archive_import(&stats, st, fd, "fuzz", &o);
	close(fd);
	assert(error <= 0);
	if (error < 0)
		assert(*rh_error_last());
	else
		assert(stats.nodes > 0);
	assert(stats.bytes_unpacked <= o.max_total);
	assert(is_empty(stage));
	rh_store_close(st);
	st = NULL;
done:
	rh_store_close(st);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
