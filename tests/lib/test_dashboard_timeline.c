/* Tests of the streamed timeline (lib/dashboard_timeline.c): a timeline of
 * RH_DASHBOARD_STREAM_MIN bytes or more comes back as a stream whose bytes,
 * read in pieces of any size, are those of the answer built whole, and the
 * snapshot it reads stays open while the stream lives, even when the
 * session's cache entry is evicted (run under ASan, a use after free or a
 * leak fails). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dashboard_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define BIG "session_2025-01-02_03-04-05_678901_99"
#define SMALL "session_2025-01-03_03-04-05_678901_98"
#define TL(s) "/c/default/c1/" s "/api/v0/tasks/timeline"
#define TASKS 700
#define EVENTS 8

static char tmp[256];
static rh_store *st;
static rh_dashboard *d;
static rh_dashboard_response resp = RH_DASHBOARD_RESPONSE_INIT;

/* ntasks tasks of EVENTS profile events each on 3 nodes of 4 workers */
static void
add_session(const char *name, int ntasks)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_session_ref s = { "default", "c1", name };
	rh_buf prefix = RH_BUF_INIT, b = RH_BUF_INIT;
	char sdir[400], cmd[1000], url[300];
	FILE *f;
	int i, k;

	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/logs", sdir);
	cr_assert_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/logs/raylet.out", sdir);
	cr_assert_not_null(f = fopen(cmd, "w"));
	fprintf(f, "[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: "
	           "Setting node ID node_id=" NODE "\n");
	fclose(f);
	if (!st) {
		snprintf(url, sizeof(url), "file://%s/store", tmp);
		cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s",
		             rh_error_last());
	}
	o.cluster = "c1";
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
	rh_buf_puts(&b, "[");
	for (i = 0; i < ntasks; i++) {
		rh_buf_printf(
			&b,
			"%s{\"eventId\":\"%04x\",\"sourceType\":\"CORE_WORKER\","
			"\"eventType\":\"TASK_PROFILE_EVENT\",\"timestamp\":"
			"\"2025-01-02T03:04:09Z\",\"severity\":\"INFO\","
			"\"taskProfileEvents\":{\"taskId\":\"%016x"
			"ffffffffffffffffffffffff01000000\",\"attemptNumber\":0,"
			"\"jobId\":\"01000000\",\"profileEvents\":{\"componentId\":"
			"\"%056x\",\"componentType\":\"worker\",\"nodeIpAddress\":"
			"\"10.0.0.%d\",\"events\":[",
			i ? "," : "", i, i + 1, i % 12 + 1, i % 3 + 1);
		for (k = 0; k < EVENTS; k++)
			rh_buf_printf(
				&b,
				"%s{\"eventName\":\"task:execute\",\"startTime\":"
				"\"%lld\",\"endTime\":\"%lld\"%s}",
				k ? "," : "",
				1735787049000000000LL + i * 1000003LL +
					k * 1000,
				1735787049000000777LL + i * 1000003LL +
					k * 1000,
				k ? "" :
				    ",\"extraData\":\"{\\\"name\\\": \\\"f\\\", "
				    "\\\"cname\\\": \\\"good\\\"}\"");
		rh_buf_puts(&b, "]}}}");
	}
	rh_buf_puts(&b, "]");
	cr_assert_eq(rh_layout_session_prefix(&prefix, &s), 0);
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix.ptr, "batch.json",
	                              b.ptr, b.size),
	             0, "%s", rh_error_last());
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&b);
}

static void
setup(void)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;

	snprintf(tmp, sizeof(tmp), "/tmp/rh_dtl_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	add_session(BIG, TASKS);
	add_session(SMALL, 2);
	o.max_sessions = 1; /* a second session evicts the first */
	o.refresh_ms = -1;
	o.cache_bytes = -1;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

static void
teardown(void)
{
	char cmd[300];

	rh_dashboard_response_dispose(&resp);
	rh_dashboard_free(d);
	d = NULL;
	rh_store_close(st);
	st = NULL;
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		(void)system(cmd);
	}
}

TestSuite(timeline, .init = setup, .fini = teardown);

static void
get(const char *target, int stream_ok)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.target = target;
	rq.stream_ok = stream_ok;
	rq.now_ms = 1735787100000;
	cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0, "%s",
	             rh_error_last());
	cr_assert_eq(resp.status, 200, "%s: %d %.300s", target, resp.status,
	             resp.body.ptr ? resp.body.ptr : "");
}

/* The whole answer (as a caller that cannot stream gets it), owned. */
static rh_buf
whole(const char *target)
{
	rh_buf w = RH_BUF_INIT;

	get(target, 0);
	cr_assert_null(resp.stream);
	w = resp.body;
	resp.body = (rh_buf)RH_BUF_INIT;
	return w;
}

/* Read the rest of stream s in pieces of the sizes given in turn. */
static void
drain(rh_buf *out, rh_dashboard_stream *s, const size_t *sizes, size_t n)
{
	size_t i = 0, before;
	int done = 0, guard = 0;

	while (!done) {
		size_t max = sizes[i++ % n];

		before = out->size;
		cr_assert_eq(rh_dashboard_stream_read(out, &done, s, max), 0,
		             "%s", rh_error_last());
		cr_assert_leq(out->size - before, max);
		cr_assert(done || out->size > before, "no byte and not done");
		cr_assert_lt(guard++, 20000000);
	}
}

Test(timeline, streamed_bytes_are_the_whole_answer)
{
	static const size_t sizes[][4] = {
		{ 256u << 10, 256u << 10, 256u << 10, 256u << 10 },
		{ 1, 7, 4096, 100000 },
		{ 333, 1, 65536, 2 },
	};
	rh_buf w = whole(TL(BIG)), got = RH_BUF_INIT;
	size_t i;

	cr_assert_geq(w.size, RH_DASHBOARD_STREAM_MIN, "%zu bytes", w.size);
	cr_assert_eq(w.ptr[0], '[');
	/* every event, and the names of 3 nodes and 12 workers */
	cr_assert_not_null(strstr(w.ptr, "\"cname\":\"good\""));
	cr_assert_not_null(strstr(w.ptr, "\"name\":\"Node 10.0.0.3\""));
	for (i = 0; i < RH_ARRAY_SIZE(sizes); i++) {
		get(TL(BIG), 1);
		cr_assert_not_null(resp.stream);
		cr_assert_eq(resp.body.size, 0);
		cr_assert_str_eq(resp.content_type, "application/json");
		cr_assert_eq(rh_dashboard_stream_size(resp.stream), UINT64_MAX);
		rh_buf_clear(&got);
		drain(&got, resp.stream, sizes[i], 4);
		cr_assert_eq(got.size, w.size,
		             "pieces %zu: %zu bytes, whole %zu", i, got.size,
		             w.size);
		cr_assert(!memcmp(got.ptr, w.ptr, w.size), "pieces %zu differ",
		          i);
	}
	/* the download: the same bytes, with its file name */
	get(TL(BIG) "?download=1", 1);
	cr_assert_not_null(resp.stream);
	cr_assert_not_null(strstr(
		rh_dashboard_response_header(&resp, "Content-Disposition"),
		"attachment; filename=\"timeline-None-"));
	rh_buf_clear(&got);
	drain(&got, resp.stream, sizes[0], 1);
	cr_assert(got.size == w.size && !memcmp(got.ptr, w.ptr, w.size));
	rh_buf_dispose(&got);
	rh_buf_dispose(&w);
}

Test(timeline, a_small_timeline_is_held_whole)
{
	rh_buf w = whole(TL(SMALL));

	get(TL(SMALL), 1);
	cr_assert_null(resp.stream);
	cr_assert(resp.body.size == w.size &&
	          !memcmp(resp.body.ptr, w.ptr, w.size));
	cr_assert_lt(w.size, RH_DASHBOARD_STREAM_MIN);
	rh_buf_dispose(&w);
}

Test(timeline, the_snapshot_outlives_its_evicted_entry)
{
	static const size_t sizes[] = { 4096 };
	rh_buf w = whole(TL(BIG)), got = RH_BUF_INIT;
	rh_dashboard_stream *s, *gone;
	int done;

	get(TL(BIG), 1);
	s = resp.stream;
	resp.stream = NULL;
	cr_assert_not_null(s);
	cr_assert_eq(rh_dashboard_stream_read(&got, &done, s, 1000), 0);
	/* another stream that its client leaves at once */
	get(TL(BIG) "?download=1", 1);
	gone = resp.stream;
	resp.stream = NULL;
	/* the other session takes the only place: BIG's entry and its
	 * reference to the snapshot go */
	get(TL(SMALL), 1);
	pthread_mutex_lock(&d->lock);
	cr_assert_eq(d->nentries, 1);
	cr_assert_str_eq(d->entries->session, SMALL);
	pthread_mutex_unlock(&d->lock);
	rh_dashboard_stream_free(gone);
	drain(&got, s, sizes, 1);
	rh_dashboard_stream_free(s);
	cr_assert_eq(got.size, w.size);
	cr_assert(!memcmp(got.ptr, w.ptr, w.size));
	rh_buf_dispose(&got);
	rh_buf_dispose(&w);
}
