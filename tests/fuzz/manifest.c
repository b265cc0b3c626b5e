/* Fuzz target: node manifests and part names, which come from the store and
 * may be damaged. A parsed manifest must be self-consistent: files in path
 * order, parts tiling each file from 0, and it must serialize and parse back
 * to the same text. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "catalog_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rh_node_manifest *m = NULL, *m2 = NULL;
	rh_buf text = RH_BUF_INIT, again = RH_BUF_INIT, path = RH_BUF_INIT;
	char *s = malloc(size + 1);
	uint64_t off;
	size_t i, j;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)rh_layout_parse_part(&path, &off, s);
	if (rh__manifest_parse(&m, s, size, "fuzz") == 0) {
		for (i = 0; i < rh_node_manifest_file_count(m); i++) {
			const rh_file_info *f = rh_node_manifest_file(m, i);
			uint64_t expect = 0;
			if (i > 0)
				assert(strcmp(rh_node_manifest_file(m, i - 1)
				                      ->path,
				              f->path) < 0);
			for (j = 0; j < f->nparts; j++) {
				assert(f->parts[j].offset == expect);
				expect += f->parts[j].length;
			}
			assert(f->size == expect);
			assert(rh_node_manifest_find(m, f->path) == f);
		}
		assert(rh__manifest_serialize(&text, m) == 0);
		assert(rh__manifest_parse(&m2, text.ptr, text.size, "again") ==
		       0);
		assert(rh__manifest_serialize(&again, m2) == 0);
		assert(text.size == again.size &&
		       memcmp(text.ptr, again.ptr, text.size) == 0);
	}
	rh_node_manifest_free(m);
	rh_node_manifest_free(m2);
	rh_buf_dispose(&text);
	rh_buf_dispose(&again);
	rh_buf_dispose(&path);
	free(s);
	return 0;
}
