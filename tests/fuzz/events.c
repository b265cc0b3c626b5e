/* Fuzz target for the event parsers (lib/events*.c, lib/json.c) and the
 * history and index built from what they return.
 *
 * Every input is parsed in each format, whole, in chunks whose size comes
 * from the first byte, and a byte at a time (so that no array element is
 * parsed in place, events.c's fast_elem): the records, their lines and the
 * counters must not depend on the chunking, a
 * non-strict parse never fails, a strict one fails only with RH_EINVAL and a
 * message. The records are replayed into a history whose index must open and
 * answer every query.
 */
#include <rayhist/rayhist.h>

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

typedef struct tally {
	uint64_t n, h;
	rh_history *hist;
} tally;

static void
mixs(uint64_t *h, const char *s)
{
	for (; s && *s; s++)
		*h = (*h ^ (unsigned char)*s) * 0x100000001b3ULL;
	*h = (*h ^ 0xff) * 0x100000001b3ULL;
}

static int
cb(const rh_event *ev, void *payload)
{
	tally *t = payload;
	size_t i;

	t->n++;
	t->h = (t->h ^ (uint64_t)ev->kind) * 0x100000001b3ULL;
	t->h = (t->h ^ (uint64_t)ev->line) * 0x100000001b3ULL;
	mixs(&t->h, ev->event_id);
	switch (ev->kind) {
	case RH_EVENT_TASK_DEFINITION:
	case RH_EVENT_TASK_LIFECYCLE:
	case RH_EVENT_TASK_PROFILE:
		CHECK(ev->u.task.task_id);
		mixs(&t->h, ev->u.task.task_id);
		mixs(&t->h, ev->u.task.name);
		mixs(&t->h, ev->u.task.required_resources);
		for (i = 0; i < ev->u.task.ntransitions; i++)
			t->h = (t->h ^
			        (uint64_t)ev->u.task.transitions[i].time_ns) *
			       31;
		break;
	case RH_EVENT_CLUSTER:
		mixs(&t->h, ev->u.cluster.message);
		mixs(&t->h, ev->u.cluster.custom_fields);
		break;
	default: break;
	}
	if (t->hist)
		CHECK(rh_history_add(t->hist, ev) == 0);
	return 0;
}

static void
check_index(rh_history *h)
{
	rh_buf idx = RH_BUF_INIT, out = RH_BUF_INIT;
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_index *ix;
	int e;

	CHECK(rh_history_finish(h) == 0);
	CHECK(rh_history_write(&idx, h) == 0);
	CHECK(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL) == 0);
	o.detail = 1;
	o.limit = 0;
	for (e = 0; e < RH_ENTITY_COUNT; e++) {
		CHECK(rh_dashboard_list_json(&out, NULL, ix, (rh_entity)e,
		                             &o) == 0);
		CHECK(rh_index_count(ix, (rh_entity)e) ==
		      rh_history_count(h, (rh_entity)e));
		rh_buf_clear(&out);
	}
	CHECK(rh_dashboard_summary_json(&out, NULL, ix,
	                                RH_SUMMARY_TASKS_BY_FUNC, NULL) == 0);
	CHECK(rh_dashboard_summary_json(
		      &out, NULL, ix, RH_SUMMARY_TASKS_BY_LINEAGE, NULL) == 0);
	CHECK(rh_dashboard_summary_json(&out, NULL, ix,
	                                RH_SUMMARY_ACTORS_BY_CLASS, NULL) == 0);
	rh_index_close(ix);
	rh_buf_dispose(&idx);
	rh_buf_dispose(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const rh_event_format fmts[] = {
		RH_EVENT_FORMAT_AUTO,
		RH_EVENT_FORMAT_RAYEVENT,
		RH_EVENT_FORMAT_EXPORT,
		RH_EVENT_FORMAT_LEGACY,
	};
	size_t f, chunk = size ? (size_t)data[0] % 61 + 1 : 1;

	for (f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		rh_event_parse_options o = RH_EVENT_PARSE_OPTIONS_INIT;
		rh_event_parser *p;
		tally whole = { 0, 0, NULL }, chunked = { 0, 0, NULL };
		tally again = { 0, 0, NULL }, bytewise = { 0, 0, NULL };
		rh_event_stats sw, sb;
		size_t off;
		int rc;

		o.format = fmts[f];
		o.max_line = 4096;
		CHECK(rh_history_new(&whole.hist, NULL) == 0);
		CHECK(rh_event_parse(NULL, "fuzz", data, size, &o, cb,
		                     &whole) == 0);
		check_index(whole.hist);
		rh_history_free(whole.hist);

		CHECK(rh_event_parser_new(&p, "fuzz", &o, cb, &chunked) == 0);
		for (off = 0; off < size; off += chunk)
			CHECK(rh_event_parser_feed(p, data + off,
			                           size - off < chunk ?
			                                   size - off :
			                                   chunk) == 0);
		CHECK(rh_event_parser_finish(p) == 0);
		rh_event_parser_free(p);
		CHECK(whole.n == chunked.n && whole.h == chunked.h);

		CHECK(rh_event_parse(&sw, "fuzz", data, size, &o, cb, &again) ==
		      0);
		CHECK(rh_event_parser_new(&p, "fuzz", &o, cb, &bytewise) == 0);
		for (off = 0; off < size; off++)
			CHECK(rh_event_parser_feed(p, data + off, 1) == 0);
		CHECK(rh_event_parser_finish(p) == 0);
		sb = *rh_event_parser_stats(p);
		rh_event_parser_free(p);
		CHECK(again.n == bytewise.n && again.h == bytewise.h);
		CHECK(sw.lines == sb.lines && sw.records == sb.records &&
		      sw.malformed == sb.malformed &&
		      sw.too_long == sb.too_long &&
		      !strcmp(sw.first_error, sb.first_error));

		o.strict = 1;
		rc = rh_event_parse(NULL, "fuzz", data, size, &o, NULL, NULL);
		CHECK(rc == 0 || (rc == RH_EINVAL && rh_error_last()[0]));
	}
	return 0;
}
