/* standalone_driver.c - replay inputs through a libFuzzer target without
 * libFuzzer, so `make check` runs every corpus under the normal compiler and
 * sanitizers (after libgit2/libgit2:fuzzers/standalone_driver.c).
 *
 *   usage: <target>_replay PATH...
 *
 * A PATH that is a directory is walked recursively (entries in name order,
 * dot files skipped); every regular file is one input. A failing input
 * aborts inside LLVMFuzzerTestOneInput; the driver itself fails only on an
 * unreadable path or when it found no input at all. Shared by every target in
 * tests/fuzz/. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as in libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long ninputs;

static int
run_file(const char *path)
{
	FILE *f;
	uint8_t *data = NULL, *p;
	size_t size = 0, cap = 0, n;

	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (size == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(p = realloc(data, cap))) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan catches a target reading past the
	 * input. */
	p = malloc(size ? size : 1);
	if (!p) {
		free(data);
		return -1;
	}
	if (size)
		memcpy(p, data, size);
	free(data);
	fprintf(stderr, "running %s (%zu bytes)\n", path, size);
	LLVMFuzzerTestOneInput(p, size);
	free(p);
	ninputs++;
	return 0;
}

static int run_path(const char *path);

static int
run_dir(const char *path)
{
	struct dirent **names;
	char *sub;
	int n, i, error = 0;

	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && !error) {
			if (asprintf(&sub, "%s/%s", path, names[i]->d_name) < 0)
				error = -1;
			else {
				error = run_path(sub);
				free(sub);
			}
		}
		free(names[i]);
	}
	free(names);
	return error;
}

static int
run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	if (S_ISREG(st.st_mode))
		return run_file(path);
	return 0;
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		if (run_path(argv[i]) < 0)
			return 1;
	if (ninputs == 0) {
		fprintf(stderr, "%s: no inputs found\n", argv[0]);
		return 1;
	}
	fprintf(stderr, "%s: %lu inputs ran\n", argv[0], ninputs);
	return 0;
}
