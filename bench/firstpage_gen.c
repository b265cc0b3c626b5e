/* firstpage_gen.c - the store of bench/firstpage.sh: the RayEvent lines of
 * EVENTS (JSON lines) split into N event objects of consecutive lines, in
 * session PREFIX of the folder store STORE, then announced once
 * (rh_events_announce), as an --events import does. Public API only.
 *
 * usage: firstpage_gen EVENTS STORE PREFIX N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rayhist/rayhist.h>

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long n;

	if (!fp || fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) < 0 || !(p = malloc((size_t)n + 1)) ||
	    fread(p, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

int
main(int argc, char **argv)
{
	rh_store_options so = RH_STORE_OPTIONS_INIT;
	rh_store *st = NULL;
	size_t len, lines = 0, per, i, k, start;
	char *data, *p, name[32];
	long n;
	int added;

	if (argc != 5 || (n = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: firstpage_gen EVENTS STORE PREFIX N\n");
		return 2;
	}
	data = slurp(argv[1], &len);
	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	per = (lines + (size_t)n - 1) / (size_t)n;
	so.fsync = 0; /* the bench times reads; durability is not measured */
	if (rh_store_open(&st, argv[2], &so) < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], rh_error_last());
		return 1;
	}
	for (p = data, k = 0; p < data + len; k++) {
		start = 0;
		for (i = 0; p + start < data + len && i < per; i++) {
			char *nl = memchr(p + start, '\n',
			                  (size_t)(data + len - p - start));
			start = nl ? (size_t)(nl - p) + 1 :
			             (size_t)(data + len - p);
		}
		snprintf(name, sizeof(name), "batch-%zu", k);
		if (rh_events_ingest(NULL, &added, st, argv[3], name, p,
		                     start) < 0) {
			fprintf(stderr, "%s: %s\n", name, rh_error_last());
			return 1;
		}
		p += start;
	}
	if (rh_events_announce(st, argv[3]) < 0) {
		fprintf(stderr, "%s\n", rh_error_last());
		return 1;
	}
	printf("objects=%zu lines=%zu\n", k, lines);
	rh_store_close(st);
	free(data);
	return 0;
}
