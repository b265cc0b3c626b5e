/* Tests of lib/history.c and lib/history_derive.c: events replayed into
 * entities with Ray's semantics, in any order. The entities are inspected
 * through the index they are written to. */
#include "evtest.h"

static rh_buf idx;
static rh_index *ix;

static void
open_session(const char *events)
{
	rh_buf_clear(&idx);
	ev_index(&idx, events, NULL);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0, "%s",
	             rh_error_last());
}

static void
close_session(void)
{
	rh_index_close(ix);
	ix = NULL;
	rh_buf_dispose(&idx);
}

/* Rows of `what` matching "key=value" filters (NULL-terminated pairs). */
static char *
rows(rh_entity what, int detail, ...)
{
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f[8];
	rh_buf b = RH_BUF_INIT;
	va_list ap;
	const char *k;
	size_t n = 0;

	va_start(ap, detail);
	while ((k = va_arg(ap, const char *)) && n < 8) {
		f[n].key = k;
		f[n].op = "=";
		f[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	o.filters = f;
	o.nfilters = n;
	o.limit = 0;
	o.detail = detail;
	cr_assert_eq(rh_dashboard_list_json(&b, NULL, ix, what, &o), 0, "%s",
	             rh_error_last());
	return b.ptr;
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static void
gen(rh_buf *b)
{
	rh_buf_clear(b);
	ev_session(b, 30);
}

Test(history, shuffled_and_duplicated_events_give_a_byte_identical_index)
{
	rh_buf ev = RH_BUF_INIT, a = RH_BUF_INIT, b = RH_BUF_INIT;
	unsigned seed;

	gen(&ev);
	ev_index(&a, ev.ptr, NULL);
	for (seed = 1; seed <= 6; seed++) {
		char *sh = ev_shuffle(ev.ptr, seed, seed % 2);

		rh_buf_clear(&b);
		ev_index(&b, sh, NULL);
		cr_assert_eq(a.size, b.size, "seed %u: %zu vs %zu bytes", seed,
		             a.size, b.size);
		cr_assert_eq(memcmp(a.ptr, b.ptr, a.size), 0, "seed %u differs",
		             seed);
		free(sh);
	}
	rh_buf_dispose(&ev);
	rh_buf_dispose(&a);
	rh_buf_dispose(&b);
}

Test(history, counts_and_unknown_types, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	rh_event_stats st;

	gen(&ev);
	rh_buf_clear(&idx);
	ev_index(&idx, ev.ptr, &st);
	cr_assert_eq(st.unknown_types, 1);
	cr_assert_eq(st.malformed, 0, "%s", st.first_error);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0);
	/* 30 tasks, 4 of them (i % 7 == 3) retried */
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_TASK), 34);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_NODE), 2);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_ACTOR), 1);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_JOB),
	             3); /* driver 2 folded */
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_WORKER), 2);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_PLACEMENT_GROUP), 1);
	cr_assert_eq(rh_index_count(ix, RH_ENTITY_CLUSTER_EVENT), 1);
	rh_buf_dispose(&ev);
}

Test(history, retries_and_failed_task_with_its_error, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	ev_id t;
	char *out;

	gen(&ev);
	open_session(ev.ptr);
	ev_task(&t, 1, 3);
	out = rows(RH_ENTITY_TASK, 1, "task_id", t.h, NULL);
	cr_assert(
		has(out,
	            "\"attempt_number\":0,\"name\":\"Work\",\"state\":\"FAILED\""),
		"%s", out);
	cr_assert(
		has(out,
	            "\"attempt_number\":1,\"name\":\"Work\",\"state\":\"FINISHED\""),
		"%s", out);
	cr_assert(has(out, "\"error_type\":\"TASK_EXECUTION_EXCEPTION\""), "%s",
	          out);
	cr_assert(has(out, "\"error_message\":\"ValueError: bad 3\""), "%s",
	          out);
	/* log offsets from the start and the end events merged */
	cr_assert(
		has(out,
	            "\"task_log_info\":{\"stdout_file\":\"/tmp/w1.out\",\"stderr_file\":\"/tmp/w1.err\",\"stdout_start\":300,\"stdout_end\":350,\"stderr_start\":0,\"stderr_end\":10}"),
		"%s", out);
	cr_assert(
		has(out,
	            "\"events\":[{\"state\":\"PENDING_ARGS_AVAIL\",\"created_ms\":1767225608000.0},{\"state\":\"PENDING_NODE_ASSIGNMENT\",\"created_ms\":1767225608000.0},{\"state\":\"SUBMITTED_TO_WORKER\",\"created_ms\":1767225608000.0},{\"state\":\"RUNNING\",\"created_ms\":1767225608000.0},{\"state\":\"FAILED\",\"created_ms\":1767225608000.0}]"),
		"%s", out);
	cr_assert(has(out, "\"func_or_class_name\":\"Work\""), "%s", out);
	cr_assert(has(out, "\"worker_pid\":1001"), "%s", out);
	free(out);
	rh_buf_dispose(&ev);
}

Test(history, lifecycle_before_definition_and_duplicates, .fini = close_session)
{
	const char *lines =
		"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"stateTransitions\":[{\"state\":\"FINISHED\",\"timestamp\":\"2025-01-01T00:00:03Z\"}]}}\n"
		"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"stateTransitions\":[{\"state\":\"PENDING_ARGS_AVAIL\",\"timestamp\":\"2025-01-01T00:00:01Z\"},{\"state\":\"RUNNING\",\"timestamp\":\"2025-01-01T00:00:02Z\"}]}}\n"
		"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"stateTransitions\":[{\"state\":\"RUNNING\",\"timestamp\":\"2025-01-01T00:00:02Z\"}]}}\n"
		"{\"eventType\":\"TASK_DEFINITION_EVENT\",\"taskDefinitionEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"jobId\":\"AQAAAA==\",\"taskName\":\"late_def\",\"taskType\":\"NORMAL_TASK\"}}\n";
	char *out;

	open_session(lines);
	out = rows(RH_ENTITY_TASK, 1, NULL);
	cr_assert(
		has(out,
	            "\"name\":\"late_def\",\"state\":\"FINISHED\",\"job_id\":\"01000000\""),
		"%s", out);
	cr_assert(
		has(out,
	            "\"events\":[{\"state\":\"PENDING_ARGS_AVAIL\",\"created_ms\":1735689601000.0},{\"state\":\"RUNNING\",\"created_ms\":1735689602000.0},{\"state\":\"FINISHED\",\"created_ms\":1735689603000.0}]"),
		"%s", out);
	cr_assert(
		has(out,
	            "\"creation_time_ms\":1735689601000.0,\"start_time_ms\":1735689602000.0,\"end_time_ms\":1735689603000.0"),
		"%s", out);
	free(out);
}

Test(history, actor_that_restarts_and_dies, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	ev_id a, n1, w1;
	char *out;

	gen(&ev);
	open_session(ev.ptr);
	ev_actor(&a, 1, 1);
	ev_node(&n1, 1);
	ev_worker(&w1, 1);
	out = rows(RH_ENTITY_ACTOR, 1, NULL);
	cr_assert(
		has(out,
	            "\"class_name\":\"Counter\",\"state\":\"DEAD\",\"job_id\":\"01000000\",\"name\":\"\""),
		"%s", out);
	cr_assert(has(out, n1.h), "%s", out);
	cr_assert(has(out, "\"pid\":4001,\"ray_namespace\":\"ns\""), "%s", out);
	cr_assert(
		has(out,
	            "\"death_cause\":{\"actor_died_error_context\":{\"error_message\":\"killed by ray.kill\",\"pid\":4001,\"node_ip_address\":\"10.0.0.1\"}}"),
		"%s", out);
	cr_assert(has(out, "\"repr_name\":\"Counter(1)\",\"num_restarts\":1"),
	          "%s", out);
	cr_assert(has(out, "\"required_resources\":{\"CPU\":1.0}"), "%s", out);
	free(out);
	/* the actor's worker is dead too */
	out = rows(RH_ENTITY_WORKER, 0, "worker_id", w1.h, NULL);
	cr_assert(has(out, "\"is_alive\":false"), "%s", out);
	free(out);
	rh_buf_dispose(&ev);
}

Test(history, node_that_dies, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	ev_id n1, n2;
	char *out;

	gen(&ev);
	open_session(ev.ptr);
	ev_node(&n1, 1);
	ev_node(&n2, 2);
	out = rows(RH_ENTITY_NODE, 1, "node_id", n2.h, NULL);
	cr_assert(
		has(out,
	            "\"node_ip\":\"10.0.0.2\",\"is_head_node\":false,\"state\":\"DEAD\",\"state_message\":\"Unexpected termination: health check failed\""),
		"%s", out);
	cr_assert(has(out, "\"resources_total\":{\"CPU\":8.0}"), "%s", out);
	cr_assert(
		has(out,
	            "\"start_time_ms\":1767225601000,\"end_time_ms\":1767225659000"),
		"%s", out);
	free(out);
	out = rows(RH_ENTITY_NODE, 0, "node_id", n1.h, NULL);
	cr_assert(
		has(out,
	            "\"is_head_node\":true,\"state\":\"ALIVE\",\"state_message\":null,\"node_name\":\"10.0.0.1\""),
		"%s", out);
	cr_assert(has(out, "\"labels\":{\"ray.io/node-group\":\"head\"}"), "%s",
	          out);
	free(out);
	rh_buf_dispose(&ev);
}

Test(history, submission_job_plain_driver_and_failed_driver,
     .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	char *out;

	gen(&ev);
	open_session(ev.ptr);
	out = rows(RH_ENTITY_JOB, 1, NULL);
	/* submission jobs first, then drivers by id */
	cr_assert(
		has(out,
	            "[{\"job_id\":\"02000000\",\"submission_id\":\"raysubmit_2\",\"entrypoint\":\"python b.py\",\"type\":\"SUBMISSION\",\"status\":\"SUCCEEDED\",\"message\":\"Job finished successfully.\""),
		"%s", out);
	cr_assert(
		has(out,
	            "{\"job_id\":\"01000000\",\"submission_id\":null,\"entrypoint\":\"python a.py\",\"type\":\"DRIVER\",\"status\":\"SUCCEEDED\""),
		"%s", out);
	cr_assert(
		has(out,
	            "{\"job_id\":\"03000000\",\"submission_id\":null,\"entrypoint\":\"python c.py\",\"type\":\"DRIVER\",\"status\":\"FAILED\",\"message\":\"Traceback: boom\",\"error_type\":\"DRIVER_ERROR\""),
		"%s", out);
	cr_assert(
		has(out,
	            "\"driver_info\":{\"id\":\"01000000\",\"node_ip_address\":\"10.0.0.1\",\"pid\":\"100\"}"),
		"%s", out);
	cr_assert(has(out, "\"pid\":\"100\"}"), "%s", out);
	cr_assert(has(out, "\"driver_exit_code\":1"), "%s", out);
	free(out);
	out = rows(RH_ENTITY_JOB, 0, "status", "failed", NULL);
	cr_assert(has(out, "03000000") && !has(out, "01000000"), "%s", out);
	free(out);
	rh_buf_dispose(&ev);
}

Test(history, placement_groups_and_cluster_events, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	char *out;

	gen(&ev);
	open_session(ev.ptr);
	out = rows(RH_ENTITY_PLACEMENT_GROUP, 1, NULL);
	cr_assert(
		has(out,
	            "\"placement_group_id\":\"000102030405060708090a0b0c0d0e0f1011\",\"name\":\"pg1\",\"creator_job_id\":\"01000000\",\"state\":\"CREATED\""),
		"%s", out);
	cr_assert(
		has(out,
	            "\"bundles\":[{\"bundle_index\":0,\"unit_resources\":{\"CPU\":1}}]"),
		"%s", out);
	free(out);
	out = rows(RH_ENTITY_CLUSTER_EVENT, 1, NULL);
	cr_assert(
		has(out,
	            "{\"severity\":\"ERROR\",\"time\":\"2026-01-01 00:00:59\",\"source_type\":\"GCS\",\"message\":\"Node died\",\"event_id\":\"aa01\",\"custom_fields\":{\"node_id\":\""),
		"%s", out);
	free(out);
	rh_buf_dispose(&ev);
}

Test(history, specimens_build_an_index, .fini = close_session)
{
	const char *files[] = { "events/rayevents-captured.jsonl",
		                "events/rayevents-constructed.jsonl",
		                "events/export-events.jsonl",
		                "events/legacy-events.jsonl" };
	rh_history *h;
	size_t i, len;
	char *out;

	cr_assert_eq(rh_history_new(&h, NULL), 0);
	for (i = 0; i < RH_ARRAY_SIZE(files); i++) {
		char *data = ev_read_file(files[i], &len);

		cr_assert_eq(
			rh_history_add_object(h, files[i], data, len, NULL), 0,
			"%s: %s", files[i], rh_error_last());
		free(data);
	}
	cr_assert_eq(rh_history_finish(h), 0);
	cr_assert_eq(rh_history_add_object(h, "x", "", 0, NULL), 0);
	rh_buf_clear(&idx);
	cr_assert_eq(rh_history_write(&idx, h), 0, "%s", rh_error_last());
	rh_history_free(h);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0, "%s",
	             rh_error_last());
	out = rows(RH_ENTITY_TASK, 1, "task_id",
	           "5183c6372c005ef6ffffffffffffffffffffffff03000000", NULL);
	cr_assert(
		has(out,
	            "\"name\":\"bench_task\",\"state\":\"FINISHED\",\"job_id\":\"03000000\""),
		"%s", out);
	cr_assert(has(out, "\"stdout_start\":512"), "%s", out);
	cr_assert(has(out, "\"profiling_data\":{\"component_type\":\"worker\""),
	          "%s", out);
	cr_assert(has(out, "\"extra_data\":{\"name\": \"bench_task\""), "%s",
	          out);
	free(out);
	out = rows(RH_ENTITY_JOB, 1, NULL);
	cr_assert(has(out, "\"submission_id\":\"raysubmit_abc\""), "%s", out);
	cr_assert(has(out, "\"submission_id\":\"raysubmit_x\""), "%s", out);
	free(out);
	out = rows(RH_ENTITY_ACTOR, 1, "actor_id",
	           "d0016d9e0717b44a31c2a98901000000", NULL);
	cr_assert(has(out, "\"state\":\"DEAD\""), "%s", out);
	free(out);
}

Test(history, add_after_finish_is_refused)
{
	rh_history *h;
	rh_event ev;

	memset(&ev, 0, sizeof(ev));
	cr_assert_eq(rh_history_new(&h, NULL), 0);
	cr_assert_eq(rh_history_finish(h), 0);
	cr_assert_eq(rh_history_add(h, &ev), RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_history_free(h);
	rh_history_free(NULL);
}

Test(history, task_state_is_the_last_in_enum_order, .fini = close_session)
{
	/* spillback: RUNNING, then pending again later; Ray shows RUNNING and
	 * lists each state once, in enum order */
	const char *lines =
		"{\"eventType\":\"TASK_LIFECYCLE_EVENT\",\"taskLifecycleEvent\":{\"taskId\":\"yO9FzNARJXH///////////////8BAAAA\",\"stateTransitions\":[{\"state\":\"PENDING_NODE_ASSIGNMENT\",\"timestamp\":\"2025-01-01T00:00:01Z\"},{\"state\":\"RUNNING\",\"timestamp\":\"2025-01-01T00:00:02Z\"},{\"state\":\"PENDING_NODE_ASSIGNMENT\",\"timestamp\":\"2025-01-01T00:00:03Z\"}]}}\n";
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_query *q;
	const rh_row *r;
	char *out;

	open_session(lines);
	out = rows(RH_ENTITY_TASK, 1, NULL);
	cr_assert(has(out, "\"state\":\"RUNNING\""), "%s", out);
	cr_assert(
		has(out,
	            "\"events\":[{\"state\":\"PENDING_NODE_ASSIGNMENT\",\"created_ms\":1735689603000.0},{\"state\":\"RUNNING\",\"created_ms\":1735689602000.0}]"),
		"%s", out);
	free(out);
	/* the typed row keeps every transition in time order */
	o.detail = 1;
	cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_TASK, &o), 0);
	cr_assert_eq(rh_query_next(&r, q), 0);
	cr_assert_eq(r->u.task.ntransitions, 3);
	cr_assert_eq(
		rh_state_at(r->u.task.transitions, 3, 1735689603000000000LL),
		RH_TASK_PENDING_NODE_ASSIGNMENT);
	cr_assert_eq(
		rh_state_at(r->u.task.transitions, 3, 1735689602500000000LL),
		RH_TASK_RUNNING);
	rh_query_close(q);
}

/* ---- what the captured files add (lib/index_session.c feeds these) ---- */

#include "history_internal.h"

#define WID "0123456789abcdef0123456789abcdef0123456789abcdef01234567"

Test(history, worker_log_file_names)
{
	char id[57];
	int64_t pid;
	int drv, gone;

	cr_assert_eq(rh_history__parse_worker_file("logs/worker-" WID
	                                           "-01000000-42.out",
	                                           id, &pid, &drv, &gone),
	             1);
	cr_assert_str_eq(id, WID);
	cr_assert(pid == 42 && !drv && !gone);
	cr_assert_eq(rh_history__parse_worker_file("logs/old/worker-" WID
	                                           "-ffffffff-7.err",
	                                           id, &pid, &drv, &gone),
	             1);
	cr_assert(pid == 7 && !drv && gone);
	cr_assert_eq(rh_history__parse_worker_file(
			     "logs/python-core-driver-" WID "_300.log", id,
			     &pid, &drv, &gone),
	             1);
	cr_assert(pid == 300 && drv && !gone);
	cr_assert_eq(rh_history__parse_worker_file(
			     "logs/python-core-worker-" WID "_9.log", id, &pid,
			     &drv, &gone),
	             1);
	cr_assert(pid == 9 && !drv);
	cr_assert_eq(rh_history__parse_worker_file("logs/events/worker-" WID
	                                           "-01000000-42.out",
	                                           id, &pid, &drv, &gone),
	             0);
	cr_assert_eq(rh_history__parse_worker_file(
			     "logs/worker-0123-01000000-42.out", id, &pid, &drv,
			     &gone),
	             0);
	cr_assert_eq(rh_history__parse_worker_file("logs/worker-" WID
	                                           "-01000000-x.out",
	                                           id, &pid, &drv, &gone),
	             0);
	cr_assert_eq(rh_history__parse_worker_file("logs/worker-" WID
	                                           "-01000000-42.log",
	                                           id, &pid, &drv, &gone),
	             0);
	cr_assert_eq(rh_history__parse_worker_file("logs/io-worker-" WID
	                                           "-42.out",
	                                           id, &pid, &drv, &gone),
	             0);
	cr_assert_eq(rh_history__parse_worker_file("logs/raylet.out", id, &pid,
	                                           &drv, &gone),
	             0);
}

Test(history, raylet_head_gives_pid_host_and_port)
{
	static const char head[] =
		"[2025-11-12 23:10:31,356 I 138 138] (raylet) main.cc:266: Ray raylet version: 2.52.0\n"
		"[2025-11-12 23:10:31,417 I 138 140] (raylet) raylet.cc:136: Raylet of id, 98 started. "
		"Raylet consists of node_manager and object_manager. node_manager address: "
		"10.244.0.5:10001 object_manager address: 10.244.0.5:10002 hostname: pod-head-x1\n";
	static const char old[] =
		"[2023-06-01 08:47:47,457 I 9 9] (raylet) raylet.cc:1: Raylet of id, 98 started. "
		"Raylet consists of node_manager and object_manager. node_manager address: "
		"10.0.0.1:6001 object_manager address: 10.0.0.1:6002 hostname: 10.0.0.1\n";
	char host[64];
	int64_t pid;
	int port;

	rh_history__parse_raylet_head(head, sizeof(head) - 1, host,
	                              sizeof(host), &pid, &port);
	cr_assert_str_eq(host, "pod-head-x1");
	cr_assert(pid == 138 && port == 10001, "%lld %d", (long long)pid, port);
	/* older raylets logged the address for the host name: not one */
	rh_history__parse_raylet_head(old, sizeof(old) - 1, host, sizeof(host),
	                              &pid, &port);
	cr_assert_str_eq(host, "");
	cr_assert(pid == 9 && port == 6001);
	/* a line cut by the capture is not read */
	rh_history__parse_raylet_head(head, sizeof(head) - 3, host,
	                              sizeof(host), &pid, &port);
	cr_assert(pid == 138 && port == 0 && !*host);
}

Test(history, workers_and_raylet_from_files, .fini = close_session)
{
	rh_buf ev = RH_BUF_INIT;
	ev_id n1, n2, drv, gone, live, w2;
	rh_history *h;
	rh_query *q = NULL;
	rh_query_options o = RH_QUERY_OPTIONS_INIT;
	rh_filter f = { "node_id", "=", NULL };
	const rh_row *row;
	char *out;

	gen(&ev);
	ev_node(&n1, 1);
	ev_node(&n2, 2);
	ev_worker(&drv, 9);
	ev_worker(&gone, 8);
	ev_worker(&live, 7);
	ev_worker(&w2, 2);
	cr_assert_eq(rh_history_new(&h, NULL), 0);
	cr_assert_eq(
		rh_history_add_object(h, "batch.json", ev.ptr, ev.size, NULL),
		0);
	cr_assert_eq(rh_history__raylet(h, n1.h, "head-host", 1234, 40001), 0);
	cr_assert_eq(rh_history__raylet(h, "0f63", "nobody", 1, 1),
	             0); /* no such node */
	/* job 1's driver: pid 100 on n1, finished with exit code 0 */
	cr_assert_eq(rh_history__worker_file(h, n1.h, drv.h, 100, 1, 0), 0);
	cr_assert_eq(rh_history__worker_file(h, n1.h, gone.h, 555, 0, 1), 0);
	cr_assert_eq(rh_history__worker_file(h, n1.h, live.h, 556, 0, 0), 0);
	cr_assert_eq(rh_history_finish(h), 0, "%s", rh_error_last());
	rh_buf_clear(&idx);
	cr_assert_eq(rh_history_write(&idx, h), 0);
	rh_history_free(h);
	cr_assert_eq(rh_index_open_mem(&ix, idx.ptr, idx.size, NULL), 0, "%s",
	             rh_error_last());

	f.value = n1.h;
	o.filters = &f;
	o.nfilters = 1;
	cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_NODE, &o), 0);
	cr_assert_eq(rh_query_next(&row, q), 0);
	cr_assert_str_eq(row->u.node.hostname, "head-host");
	cr_assert(row->u.node.raylet_pid == 1234 &&
	          row->u.node.node_manager_port == 40001);
	rh_query_close(q);
	cr_assert_eq(rh_query_open(&q, ix, RH_ENTITY_NODE, NULL), 0);
	while (rh_query_next(&row, q) == 0)
		cr_assert(!strcmp(row->u.node.node_id, n1.h) ||
		          row->u.node.raylet_pid == 0);
	rh_query_close(q);

	out = rows(RH_ENTITY_WORKER, 0, "worker_id", drv.h, NULL);
	cr_assert(
		has(out,
	            "\"is_alive\":false,\"worker_type\":\"DRIVER\",\"exit_type\":\"INTENDED_USER_EXIT\""),
		"%s", out);
	cr_assert(has(out, "\"pid\":100"), "%s", out);
	free(out);
	out = rows(RH_ENTITY_WORKER, 0, "worker_id", gone.h, NULL);
	cr_assert(
		has(out,
	            "\"is_alive\":false,\"worker_type\":\"WORKER\",\"exit_type\":null"),
		"%s", out);
	free(out);
	out = rows(RH_ENTITY_WORKER, 0, "worker_id", live.h, NULL);
	cr_assert(has(out, "\"is_alive\":true") && has(out, "\"pid\":556"),
	          "%s", out);
	free(out);
	/* tasks ran on w2 on n2 until n2 died */
	out = rows(RH_ENTITY_WORKER, 0, "worker_id", w2.h, "exit_type",
	           "SYSTEM_ERROR", NULL);
	cr_assert(has(out, "\"is_alive\":false"), "%s", out);
	free(out);
	rh_buf_dispose(&ev);
}
