/* Tests of lib/follow_receiver.c and lib/follow_spool.c: what the collector answers to
 * the batches Ray's aggregator agent POSTs (200 only once the batch is on
 * disk; 400 and 413 with a message and nothing spooled; 503 with
 * Retry-After when the spool is full or closing), and shipping the spool
 * into the store exactly once, also while batches keep arriving. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>
#include "marks.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SESSION "session_2025-10-24_14-19-12_675240_61141"
#define OTHER "session_2025-10-25_00-00-00_000000_1"

/* Shaped as the Ray docs' examples (reference/ray-formats.md §4c). */
#define EV_NODE(s, id)                                                                          \
	"{\"eventId\":\"" id "\",\"sourceType\":\"GCS\","                                       \
	"\"eventType\":\"NODE_LIFECYCLE_EVENT\",\"timestamp\":\"2025-10-24T21:19:14.063955Z\"," \
	"\"severity\":\"INFO\",\"sessionName\":\"" s                                            \
	"\",\"nodeLifecycleEvent\":{"                                                           \
	"\"nodeId\":\"0yfRX1ex+VtcC+TFXjXcgesdpnEwM76+pEATrQ==\",\"stateTransitions\":[{"       \
	"\"timestamp\":\"2025-10-24T21:19:14.063955Z\",\"resources\":{\"CPU\":1.0},"            \
	"\"state\":\"ALIVE\",\"aliveSubState\":\"UNSPECIFIED\"}]},"                             \
	"\"nodeId\":\"zpLG7coqThVMl8df9RYHnhK6thhJqrgPodtfjg==\",\"message\":\"\"}"
#define EV_JOB(s, id)                                                                                 \
	"{\"eventId\":\"" id "\",\"sourceType\":\"GCS\","                                             \
	"\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\",\"timestamp\":\"2025-10-24T21:17:07.316483Z\"," \
	"\"severity\":\"INFO\",\"sessionName\":\"" s                                                  \
	"\",\"driverJobLifecycleEvent\":{"                                                            \
	"\"jobId\":\"AQAAAA==\",\"stateTransitions\":[{\"state\":\"CREATED\","                        \
	"\"timestamp\":\"2025-10-24T21:17:07.316483Z\"}]},\"message\":\"\"}"

static const char batch[] =
	"[" EV_NODE(SESSION, "u3KTG8615MIKBH5PLcii0BMfGFWcvLuSOXM6zg==") "," EV_JOB(
		SESSION, "0cmbCI/RQghYe4ZQiJ+HrnK1RiZH+cg8ltBx2w==") "]";

static char tmp[256], spooldir[400], storedir[400];
static rh_spool *sp;
static rh_store *st;

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-recv-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmp);
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	cr_assert_eq(rh_spool_open(&sp, spooldir, NULL), 0);
	cr_assert_eq(rh_store_open(&st, storedir, NULL), 0);
}

static void
teardown(void)
{
	char cmd[300];

	rh_spool_close(sp);
	rh_store_close(st);
	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(receiver, .init = setup, .fini = teardown);

/* Files in a directory (not dot files, not subdirectories). */
static size_t
count_files(const char *dir)
{
	struct dirent *de;
	struct stat sb;
	char p[1200];
	size_t n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && stat(p, &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

static size_t
count_objects(const char *session)
{
	char dir[800];

	snprintf(dir, sizeof(dir), "%s/default/c1/%s/events", storedir,
	         session);
	return count_files(dir);
}

struct objs_ctx {
	size_t events;
};

static int
read_object(const rh_store_entry *e, void *payload)
{
	struct objs_ctx *c = payload;
	rh_seekable *sk = NULL;
	rh_buf b = RH_BUF_INIT;

	cr_assert_eq(rh_seekable_open(&sk, st, e->key), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_seekable_read(&b, sk, 0, SIZE_MAX), 0);
	{ /* the elements of the stored JSON array */
		rh_receiver_reply r;

		cr_assert_eq(rh_receiver_check(&r, b.ptr, b.size, 1u << 30), 0,
		             "%s: %s", e->key, r.message);
		c->events += r.events;
	}
	rh_buf_dispose(&b);
	rh_seekable_close(sk);
	return 0;
}

/* Events stored for a session, over all its event objects. */
static size_t
count_events(const char *session)
{
	struct objs_ctx c = { 0 };
	char prefix[400];

	snprintf(prefix, sizeof(prefix), "default/c1/%s/events/", session);
	cr_assert_eq(rh_store_list(st, prefix, NULL, read_object, &c), 0);
	return c.events;
}

static void
expect_status(const char *body, size_t len, int status, int code)
{
	rh_receiver_reply r;

	cr_assert_eq(rh_spool_accept(&r, sp, body, len), code, "%.60s", body);
	cr_assert_eq(r.status, status, "%.60s: %d %s", body, r.status,
	             r.message);
	if (status != 200)
		cr_assert_neq(r.message[0], '\0', "%.60s: no message", body);
}

Test(receiver, valid_batch_is_on_disk_before_200)
{
	rh_receiver_reply r;
	char path[8192];
	struct dirent *de;
	DIR *d;
	FILE *fp;
	char buf[sizeof(batch)];

	cr_assert_eq(rh_spool_accept(&r, sp, batch, strlen(batch)), 0);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.events, 2);
	cr_assert_eq(r.message[0], '\0');
	/* the very bytes, under the session's name */
	cr_assert_eq(count_files(spooldir), 1);
	cr_assert_not_null(d = opendir(spooldir));
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	cr_assert_not_null(de);
	cr_assert_eq(strncmp(de->d_name, SESSION "@", strlen(SESSION) + 1), 0,
	             "%s", de->d_name);
	snprintf(path, sizeof(path), "%s/%s", spooldir, de->d_name);
	closedir(d);
	cr_assert_not_null(fp = fopen(path, "rb"));
	cr_assert_eq(fread(buf, 1, sizeof(buf), fp), strlen(batch));
	fclose(fp);
	cr_assert(memcmp(buf, batch, strlen(batch)) == 0);
}

Test(receiver, the_same_batch_twice_is_stored_once)
{
	expect_status(batch, strlen(batch), 200, 0);
	expect_status(batch, strlen(batch), 200, 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", NULL, 0), 0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_events(SESSION), 2); /* its two events, once */
	cr_assert_eq(count_objects(SESSION), 1);
}

Test(receiver, malformed_bodies_get_400_and_nothing_is_spooled)
{
	static const char *bad[] = {
		"",
		"{\"eventId\":\"x\"}",
		"[{\"eventId\":\"x\"",
		"[{\"eventId\":\"x\"},]",
		"[{\"eventId\":\"x\"}] trailing",
		"[1, 2]",
		"[{\"eventId\": nope}]",
		"[{\"sessionName\":\"../../etc\",\"eventType\":\"X\"}]",
		"[{\"sessionName\":5,\"eventType\":\"X\"}]",
		"not json at all",
		/* a known event whose payload has the wrong type */
		"[{\"eventId\":\"x\",\"eventType\":\"NODE_LIFECYCLE_EVENT\","
		"\"timestamp\":\"2025-10-24T21:19:14Z\",\"nodeLifecycleEvent\":7}]",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_status(bad[i], strlen(bad[i]), 400, RH_EINVAL);
	cr_assert_eq(count_files(spooldir), 0);
	/* the pure check says the same, without a spool */
	{
		rh_receiver_reply r;
		cr_assert_eq(rh_receiver_check(&r, bad[1], strlen(bad[1]), 0),
		             RH_EINVAL);
		cr_assert_eq(r.status, 400);
		cr_assert_eq(rh_receiver_check(&r, batch, strlen(batch), 0), 0);
		cr_assert_eq(r.status, 200);
		cr_assert_eq(rh_receiver_check(&r, "[]", 2, 0), 0);
		cr_assert_eq(r.events, 0);
	}
}

Test(receiver, unknown_event_types_and_no_session_are_accepted)
{
	const char *b =
		"[{\"eventId\":\"x\",\"eventType\":\"RAYHIST_FUTURE_EVENT\","
		"\"timestamp\":\"2025-10-24T21:19:14Z\"}]";

	expect_status(b, strlen(b), 200, 0);
	/* no session: waits until one is followed */
	{
		int more = 0;
		cr_assert_eq(
			rh_spool_ship(&more, sp, st, "default", "c1", NULL, 0),
			0);
		cr_assert_eq(more, 1);
		cr_assert_eq(count_files(spooldir), 1);
		cr_assert_eq(rh_spool_ship(&more, sp, st, "default", "c1",
		                           SESSION, 0),
		             0);
		cr_assert_eq(more, 0);
		cr_assert_eq(count_files(spooldir), 0);
		cr_assert_eq(count_events(SESSION), 1);
	}
}

Test(receiver, oversized_body_gets_413)
{
	rh_receiver_reply r;
	rh_spool_options o = RH_SPOOL_OPTIONS_INIT;
	char dir[500];
	rh_spool *small = NULL;

	cr_assert_eq(rh_receiver_check(&r, batch, strlen(batch), 100),
	             RH_EINVAL);
	cr_assert_eq(r.status, 413);
	cr_assert(strstr(r.message, "100") != NULL, "%s", r.message);
	snprintf(dir, sizeof(dir), "%s/small", tmp);
	o.max_body = 100;
	cr_assert_eq(rh_spool_open(&small, dir, &o), 0);
	cr_assert_eq(rh_spool_accept(&r, small, batch, strlen(batch)),
	             RH_EINVAL);
	cr_assert_eq(r.status, 413);
	cr_assert_eq(count_files(dir), 0);
	rh_spool_close(small);
}

Test(receiver, spool_stats_of_an_unknown_version_are_refused)
{
	rh_spool *vs = NULL;
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;
	char dir[500];

	snprintf(dir, sizeof(dir), "%s/versioned", tmp);
	cr_assert_eq(rh_spool_open(&vs, dir, NULL), 0, "%s", rh_error_last());
	ss.version = 0;
	ss.accepted = 12345;
	cr_assert_eq(rh_spool_stats_get(&ss, vs), RH_EINVAL);
	cr_assert(strstr(rh_error_last(), "rh_spool_stats"), "%s",
	          rh_error_last());
	cr_assert_eq(ss.accepted, 12345,
	             "nothing written into an unknown struct");
	ss.version = RH_SPOOL_STATS_VERSION;
	cr_assert_eq(rh_spool_stats_get(&ss, vs), 0, "%s", rh_error_last());
	cr_assert_eq(ss.accepted, 0);
	cr_assert_eq(ss.version, RH_SPOOL_STATS_VERSION);
	rh_spool_close(vs);
}

Test(receiver, full_spool_gets_503_with_retry_after)
{
	rh_spool_options o = RH_SPOOL_OPTIONS_INIT;
	rh_receiver_reply r;
	rh_spool *small = NULL;
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;
	char dir[500];
	const char *b2 = "[" EV_JOB(SESSION, "another") "]";

	snprintf(dir, sizeof(dir), "%s/small", tmp);
	o.cap = strlen(batch) + 10;
	o.retry_after_s = 7;
	cr_assert_eq(rh_spool_open(&small, dir, &o), 0);
	cr_assert_eq(rh_spool_accept(&r, small, batch, strlen(batch)), 0);
	cr_assert_eq(rh_spool_accept(&r, small, b2, strlen(b2)), RH_EBUSY);
	cr_assert_eq(r.status, 503);
	cr_assert_eq(r.retry_after, 7);
	cr_assert_neq(r.message[0], '\0');
	cr_assert_eq(count_files(dir), 1);
	/* shipping makes room */
	cr_assert_eq(rh_spool_ship(NULL, small, st, "default", "c1", NULL, 0),
	             0);
	cr_assert_eq(rh_spool_accept(&r, small, b2, strlen(b2)), 0);
	rh_spool_stats_get(&ss, small);
	cr_assert_eq(ss.refused, 1);
	cr_assert_eq(ss.batches, 1);
	/* a reopened spool counts what is on disk */
	rh_spool_close(small);
	cr_assert_eq(rh_spool_open(&small, dir, &o), 0);
	rh_spool_stats_get(&ss, small);
	cr_assert_eq(ss.batches, 1);
	cr_assert_eq(ss.bytes, strlen(b2));
	rh_spool_close(small);
}

Test(receiver, closed_intake_gets_503)
{
	rh_receiver_reply r;

	rh_spool_close_intake(sp);
	cr_assert_eq(rh_spool_accept(&r, sp, batch, strlen(batch)), RH_EBUSY);
	cr_assert_eq(r.status, 503);
	cr_assert_gt(r.retry_after, 0);
}

Test(receiver, mixed_sessions_are_split)
{
	const char *b = "[" EV_NODE(SESSION, "a1") "," EV_JOB(
		OTHER, "a2") "," EV_JOB(SESSION, "a3") "]";

	expect_status(b, strlen(b), 200, 0);
	cr_assert_eq(count_files(spooldir), 2);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", NULL, 0), 0);
	cr_assert_eq(count_events(SESSION), 2);
	cr_assert_eq(count_events(OTHER), 1);
}

Test(receiver, shipping_stores_each_batch_once)
{
	const char *b2 = "[" EV_JOB(SESSION, "another") "]";
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;

	expect_status(batch, strlen(batch), 200, 0);
	expect_status(b2, strlen(b2), 200, 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_events(SESSION), 3);
	/* Ray sends a batch again (its reply was lost): stored once */
	expect_status(batch, strlen(batch), 200, 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_events(SESSION), 3);
	rh_spool_stats_get(&ss, sp);
	cr_assert_eq(ss.accepted, 3);
	cr_assert_eq(ss.shipped, 3);
	cr_assert_eq(ss.stored, 1); /* one object: both batches, packed */
	cr_assert_eq(count_objects(SESSION), 1);
	cr_assert_eq(ss.bytes, 0);
}

/* Ray sends a batch again after the collector restarted (the reply of
 * the first copy was lost in the crash): still stored once. A damaged
 * list of recent batches is only a lost hint. */
Test(receiver, a_batch_sent_again_after_a_restart_is_stored_once)
{
	const char *b3 = "[" EV_JOB(SESSION, "another2") "]";
	char path[600];
	FILE *fp;

	expect_status(batch, strlen(batch), 200, 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_events(SESSION), 2);
	rh_spool_close(sp);
	cr_assert_eq(rh_spool_open(&sp, spooldir, NULL), 0, "%s",
	             rh_error_last());
	/* packed with a new batch: another object, the repeat left out */
	expect_status(batch, strlen(batch), 200, 0);
	expect_status(b3, strlen(b3), 200, 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_events(SESSION), 3);
	cr_assert_eq(count_objects(SESSION), 2);

	rh_spool_close(sp);
	snprintf(path, sizeof(path), "%s/.recent-batches", spooldir);
	cr_assert_not_null(fp = fopen(path, "r+b"));
	cr_assert_eq(fputs("garbage", fp) >= 0, 1);
	fclose(fp);
	cr_assert_eq(truncate(path, 100), 0);
	cr_assert_eq(rh_spool_open(&sp, spooldir, NULL), 0, "%s",
	             rh_error_last());
	{
		const char *b2 = "[" EV_JOB(SESSION, "another") "]";
		expect_status(b2, strlen(b2), 200, 0);
		cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1",
		                           SESSION, 0),
		             0);
		cr_assert_eq(count_events(SESSION), 4);
	}
}

Test(receiver, ship_budget_leaves_the_rest)
{
	const char *b2 = "[" EV_JOB(SESSION, "another") "]";
	int more = 0;

	expect_status(batch, strlen(batch), 200, 0);
	expect_status(b2, strlen(b2), 200, 0);
	cr_assert_eq(rh_spool_ship(&more, sp, st, "default", "c1", SESSION, 1),
	             0);
	cr_assert_eq(more, 1);
	cr_assert_eq(count_files(spooldir), 1);
}

struct poster {
	int first, n;
};

static void *
post_many(void *arg)
{
	struct poster *p = arg;
	char body[2048];
	rh_receiver_reply r;
	int i;

	for (i = p->first; i < p->first + p->n; i++) {
		snprintf(body, sizeof(body), "[" EV_JOB(SESSION, "%08x") "]",
		         (unsigned)i);
		if (rh_spool_accept(&r, sp, body, strlen(body)) != 0) {
			fprintf(stderr, "%d %s\n", r.status, r.message);
			return (void *)1;
		}
	}
	return NULL;
}

Test(receiver, shipping_while_batches_arrive_loses_nothing)
{
	struct poster p = { 0, 200 };
	pthread_t t;
	void *res;
	int i;

	cr_assert_eq(pthread_create(&t, NULL, post_many, &p), 0);
	for (i = 0; i < 50; i++) {
		cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1",
		                           SESSION, 0),
		             0);
		usleep(500);
	}
	pthread_join(t, &res);
	cr_assert_null(res);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_events(SESSION), 200);
}

/* A spool reopened with packing options. */
static void
reopen(uint64_t pack_bytes, unsigned pack_ms)
{
	rh_spool_options o = RH_SPOOL_OPTIONS_INIT;

	rh_spool_close(sp);
	o.pack_bytes = pack_bytes;
	o.pack_ms = pack_ms;
	cr_assert_eq(rh_spool_open(&sp, spooldir, &o), 0, "%s",
	             rh_error_last());
}

static void
post_jobs(int first, int n)
{
	char body[2048];
	int i;

	for (i = first; i < first + n; i++) {
		snprintf(body, sizeof(body), "[" EV_JOB(SESSION, "%08x") "]",
		         (unsigned)i);
		expect_status(body, strlen(body), 200, 0);
	}
}

Test(receiver, batches_are_packed_into_objects_bounded_by_size)
{
	rh_spool_stats ss = RH_SPOOL_STATS_INIT;
	rh_buf marks = RH_BUF_INIT;

	post_jobs(0, 100);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_objects(SESSION), 1); /* 100 batches, one object */
	cr_assert_eq(count_events(SESSION), 100);
	rh_spool_stats_get(&ss, sp);
	cr_assert_eq(ss.shipped, 100);
	cr_assert_eq(ss.stored, 1);
	/* the receiver's mark announced them */
	rh_buf_printf(&marks, "default/c1/%s/", SESSION);
	{
		rh__marks m;
		cr_assert_eq(rh__marks_list(&m, st, marks.ptr), 0);
		cr_assert_eq(m.n, 1);
		cr_assert(!strncmp(m.names[0], "recv-", 5), "%s", m.names[0]);
		rh__marks_dispose(&m);
	}
	rh_buf_dispose(&marks);
	/* objects of at most two batches' bytes (all batches are as long) */
	{
		char body[2048];

		snprintf(body, sizeof(body), "[" EV_JOB(SESSION, "%08x") "]",
		         0u);
		reopen(2 * strlen(body), 0);
	}
	post_jobs(100, 20);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_objects(SESSION), 1 + 10);
	cr_assert_eq(count_events(SESSION), 120);
	cr_assert_eq(count_files(spooldir), 0);
}

Test(receiver, a_pack_waits_for_its_age_unless_intake_is_closed)
{
	int more = 1;

	reopen(0, 3600 * 1000);
	post_jobs(0, 5);
	cr_assert_eq(rh_spool_ship(&more, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(more, 0); /* waiting is not "more now" */
	cr_assert_eq(count_files(spooldir), 5);
	cr_assert_eq(count_objects(SESSION), 0);
	rh_spool_close_intake(sp);
	cr_assert_eq(rh_spool_ship(&more, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_objects(SESSION), 1);
	cr_assert_eq(count_events(SESSION), 5);
}

/* The names of the spooled batches, sorted, as the journal holds them. */
static size_t
spooled(char names[][256], size_t cap)
{
	struct dirent *de;
	size_t n = 0, i, j;
	DIR *d = opendir(spooldir);
	char t[256];

	cr_assert_not_null(d);
	while ((de = readdir(d)) && n < cap)
		if (de->d_name[0] != '.' && strstr(de->d_name, ".json"))
			snprintf(names[n++], 256, "%s", de->d_name);
	closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				memcpy(t, names[i], 256);
				memcpy(names[i], names[j], 256);
				memcpy(names[j], t, 256);
			}
	return n;
}

static void
write_journal(char names[][256], size_t n, const char *skip)
{
	char path[8192];
	FILE *fp;
	size_t i;

	snprintf(path, sizeof(path), "%s/.pack-journal", spooldir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fprintf(fp, "%s\n", SESSION);
	for (i = 0; i < n; i++)
		fprintf(fp, "%c %s\n",
		        skip && !strcmp(names[i], skip) ? '-' : '+', names[i]);
	fclose(fp);
}

/* A run killed after storing a pack, before deleting its batches: the
 * next run finishes that very pack (same bytes, same object) and does not
 * store its batches again with the ones that came since. */
Test(receiver, a_pack_cut_short_by_a_crash_is_finished_as_the_same_object)
{
	char names[16][256];
	size_t n;

	post_jobs(0, 3);
	n = spooled(names, 16);
	cr_assert_eq(n, 3);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_objects(SESSION), 1);
	/* put the three back as if never deleted, with the journal */
	rh_spool_close(sp);
	sp = NULL;
	{
		char path[8192];
		size_t i;
		int k;

		for (i = 0; i < n; i++) {
			FILE *fp;
			char body[2048];

			snprintf(path, sizeof(path), "%s/%s", spooldir,
			         names[i]);
			snprintf(body, sizeof(body),
			         "[" EV_JOB(SESSION, "%08x") "]", (unsigned)i);
			cr_assert_not_null(fp = fopen(path, "w"));
			k = fputs(body, fp);
			cr_assert_geq(k, 0);
			fclose(fp);
		}
	}
	write_journal(names, n, NULL);
	cr_assert_eq(rh_spool_open(&sp, spooldir, NULL), 0);
	post_jobs(3, 2); /* new ones, after the restart */
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_events(SESSION), 5); /* each once */
	cr_assert_eq(count_objects(SESSION), 2);
}

/* Killed while deleting the batches of a stored pack: what is left of it
 * is not stored again. */
Test(receiver, a_pack_half_deleted_is_not_stored_again)
{
	char names[16][256], path[8192];
	size_t n;

	post_jobs(0, 3);
	n = spooled(names, 16);
	write_journal(names, n, names[2]); /* the third: a repeat, dropped */
	/* the object of the first two exists; the first batch is gone */
	{
		rh_buf b = RH_BUF_INIT, one = RH_BUF_INIT, prefix = RH_BUF_INIT;
		int added;

		rh_buf_printf(&b,
		              "[" EV_JOB(SESSION, "%08x") "," EV_JOB(
				      SESSION, "%08x") "]",
		              0u, 1u);
		rh_buf_printf(&prefix, "default/c1/%s/", SESSION);
		cr_assert_eq(rh_events_ingest(NULL, &added, st, prefix.ptr, "x",
		                              b.ptr, b.size),
		             0, "%s", rh_error_last());
		rh_buf_dispose(&b);
		rh_buf_dispose(&one);
		rh_buf_dispose(&prefix);
	}
	snprintf(path, sizeof(path), "%s/%s", spooldir, names[0]);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rh_spool_ship(NULL, sp, st, "default", "c1", SESSION, 0),
	             0);
	cr_assert_eq(count_files(spooldir), 0);
	cr_assert_eq(count_objects(SESSION), 1);
	cr_assert_eq(count_events(SESSION), 2);
}

/* A batch the store refuses (it came into the spool some other way) goes
 * to rejected/; the batches packed with it are still stored, once. */
Test(receiver, a_refused_batch_is_moved_aside_and_the_rest_shipped)
{
	char path[8192];
	FILE *fp;
	int more = 0, i;

	post_jobs(0, 2);
	snprintf(path, sizeof(path), "%s/%s@0000000000000001-00000000.json",
	         spooldir, SESSION);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs("[{\"eventType\": 12", fp);
	fclose(fp);
	post_jobs(2, 2);
	cr_assert_eq(rh_spool_ship(&more, sp, st, "default", "c1", SESSION, 0),
	             RH_EINVAL);
	cr_assert_str_neq(rh_error_last(), "");
	for (i = 0; i < 5 && count_files(spooldir); i++)
		rh_spool_ship(&more, sp, st, "default", "c1", SESSION, 0);
	cr_assert_eq(count_files(spooldir), 0);
	snprintf(path, sizeof(path), "%s/rejected", spooldir);
	cr_assert_eq(count_files(path), 1);
	cr_assert_eq(count_events(SESSION), 4);
}
