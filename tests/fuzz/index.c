/* Fuzz target for the index reader (lib/index_read.c, index_rows.c,
 * index_query.c, index_summary.c, index_lineage.c).
 *
 * Every input is opened as an index from memory. Opening and every query
 * must either work or fail with RH_ECORRUPT and a message - never crash,
 * never read outside the input. Inputs from the seed corpus are real
 * indexes, whole and damaged. Each input is tried a second time with its
 * checksums recomputed, so that mutations get past the CRCs to the record
 * decoders.
 */
#include <rayhist/rayhist.h>
#include "index_format.h" /* to repair checksums: lib/ is on the path */
#include "hash.h"         /* rh__crc32c */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",    \
			        __FILE__, __LINE__, #cond, rh_error_last()); \
			abort();                                             \
		}                                                            \
	} while (0)

static void
ok_or_corrupt(int rc)
{
	CHECK(rc == 0 || (rc == RH_ECORRUPT && rh_error_last()[0]));
}

/* Recompute the page CRCs and the directory CRC of an index-shaped input;
 * 0 if it does not look like one. */
static int
repair(uint8_t *d, size_t size)
{
	uint64_t crc_off, npages, i, end;
	uint32_t crc;

	if (size < IX_HEADER_SIZE + IX_TRAILER_SIZE ||
	    memcmp(d + size - 8, IX_END_MAGIC, 8) != 0)
		return 0;
	crc_off = ix_get64(d + size - IX_TRAILER_SIZE + 56);
	npages = ix_get64(d + size - IX_TRAILER_SIZE + 64);
	if (crc_off > size - IX_TRAILER_SIZE || npages > (size - crc_off) / 4 ||
	    npages != (crc_off + IX_PAGE_SIZE - 1) / IX_PAGE_SIZE)
		return 0;
	for (i = 0; i < npages; i++) {
		end = (i + 1) * IX_PAGE_SIZE < crc_off ?
		              (i + 1) * IX_PAGE_SIZE :
		              crc_off;
		ix_put32(d + crc_off + 4 * i,
		         rh__crc32c(0, d + i * IX_PAGE_SIZE,
		                    (size_t)(end - i * IX_PAGE_SIZE)));
	}
	crc = rh__crc32c(0, d + crc_off,
	                 (size_t)(size - IX_TRAILER_SIZE + 72 - crc_off));
	ix_put32(d + size - IX_TRAILER_SIZE + 72, crc);
	return 1;
}

static void run(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);

	run(data, size);
	if (copy) {
		memcpy(copy, data, size);
		if (repair(copy, size))
			run(copy, size);
		free(copy);
	}
	return 0;
}

static void
run(const uint8_t *data, size_t size)
{
	static const rh_filter filters[][2] = {
		{ { "job_id", "=", "01000000" }, { "state", "=", "FINISHED" } },
		{ { "task_id", "=",
		    "c8ef45ccd0112571ffffffffffffffffffffffff01000000" },
		  { "attempt_number", "=", "0" } },
		{ { "name", "=", "Work" }, { "state", "!=", "FAILED" } },
		{ { "node_id", "=", "00" }, { "worker_id", "!=", "x" } },
	};
	rh_index_options io = RH_INDEX_OPTIONS_INIT;
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_buf out = RH_BUF_INIT;
	rh_index *ix;
	size_t f;
	int e, rc;

	io.cache_bytes = 1;
	rc = rh_index_open_mem(&ix, data, size, &io);
	ok_or_corrupt(rc);
	if (rc)
		return;
	o.detail = 1;
	o.limit = 0;
	for (e = 0; e < RH_ENTITY_COUNT; e++) {
		ok_or_corrupt(rh_dashboard_list_json(&out, NULL, ix,
		                                     (rh_entity)e, &o));
		rh_buf_clear(&out);
	}
	for (f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
		o.filters = filters[f];
		o.nfilters = 2;
		o.limit = 5;
		o.offset = 1;
		ok_or_corrupt(rh_dashboard_list_json(&out, NULL, ix,
		                                     RH_ENTITY_TASK, &o));
		rh_buf_clear(&out);
	}
	o.filters = NULL;
	o.nfilters = 0;
	ok_or_corrupt(rh_dashboard_summary_json(&out, NULL, ix,
	                                        RH_SUMMARY_TASKS_BY_FUNC, &o));
	rh_buf_clear(&out);
	ok_or_corrupt(rh_dashboard_summary_json(
		&out, NULL, ix, RH_SUMMARY_TASKS_BY_LINEAGE, &o));
	rh_buf_clear(&out);
	ok_or_corrupt(rh_dashboard_summary_json(
		&out, NULL, ix, RH_SUMMARY_ACTORS_BY_CLASS, &o));
	rh_buf_dispose(&out);
	rh_index_close(ix);
}
