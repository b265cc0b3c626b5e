/* Fuzz target: a follower's checkpoint, read back from the state directory
 * after a crash, a full disk or a hand edit. A checkpoint that parses must
 * be self-consistent - files in path order with unique object names, parts
 * tiling each file from 0, every key to delete a part of this node - and
 * must serialize and parse back to the same text. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "follow_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rh__fstate *s = NULL, *s2 = NULL;
	rh_node_manifest *m = NULL;
	rh_buf text = RH_BUF_INIT, again = RH_BUF_INIT;
	size_t i, j;

	if (rh__checkpoint_parse(&s, (const char *)data, size, "fuzz") == 0) {
		for (i = 0; i < s->nfiles; i++) {
			const rh__ffile *f = s->files[i];
			uint64_t expect = 0;
			if (i > 0)
				assert(strcmp(s->files[i - 1]->path, f->path) <
				       0);
			for (j = 0; j < f->nparts; j++) {
				assert(f->parts[j].offset == expect);
				assert(f->parts[j].length > 0);
				expect += f->parts[j].length;
			}
			assert(f->size == expect);
			assert(f->head_len <= f->size &&
			       f->head_len <= RH_HEAD_LEN);
			assert(rh__fstate_find(s, f->path) == (long)i);
			assert(rh_layout_check_path(f->obj) == 0);
		}
		for (i = 0; i < s->ndeletes; i++)
			assert(strstr(s->deletes[i], s->node_id) != NULL);
		assert(rh__checkpoint_serialize(&text, s) == 0);
		assert(rh__checkpoint_parse(&s2, text.ptr, text.size,
		                            "again") == 0);
		assert(rh__checkpoint_serialize(&again, s2) == 0);
		assert(text.size == again.size &&
		       memcmp(text.ptr, again.ptr, text.size) == 0);
		/* and the manifest a reader gets from it */
		assert(rh__fstate_to_manifest(&m, s) == 0);
		assert(rh_node_manifest_file_count(m) == s->nfiles);
	} else {
		assert(s == NULL);
		assert(rh_error_last()[0] != '\0');
	}
	rh_node_manifest_free(m);
	rh__fstate_free(s);
	rh__fstate_free(s2);
	rh_buf_dispose(&text);
	rh_buf_dispose(&again);
	return 0;
}
