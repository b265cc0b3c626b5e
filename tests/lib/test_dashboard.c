/* Tests of the dashboard layer (lib/dashboard*.c): requests in, responses
 * out, over a small session captured and ingested into a temp store. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dashboard_routes.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define WORKER "fd7c41d4d8aaf0d601d219c165d07d042d66f04e1e3cff07b2e6afb1"
#define JOB "01000000"
#define TASK "c8ef45ccd0112571ffffffffffffffffffffffff01000000"
#define TASK2 "c8ef45ccd0112572ffffffffffffffffffffffff01000000"
#define ACTOR "edb1e2d89c7a7719ef2d1e9801000000"
#define SESSION "session_2025-01-02_03-04-05_678901_99"
#define BASE "/c/default/c1/" SESSION "/"
#define WORKER_OUT "worker-" WORKER "-" JOB "-146.out"

static char tmp[256];
static rh_store *st;
static rh_dashboard *d;
static rh_dashboard_response resp = RH_DASHBOARD_RESPONSE_INIT;
static json_object *doc;

static const char RAYLET_OUT[] =
	"[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: Setting node ID node_id=" NODE
	"\nline two\nline three\n";
static const char WORKER_TEXT[] =
	":job_id:01000000\n:task_name:f\nhello from f\n\x1b[31mred\x1b[0m line\nbye\n";

static const char LEGACY[] =
	"{\"custom_fields\":{\"job_id\":\"" JOB "\"},\"event_id\":\"e1\","
	"\"host_name\":\"h\",\"label\":\"JOB\",\"message\":\"job started\","
	"\"pid\":\"1\",\"severity\":\"INFO\",\"source_type\":\"GCS\","
	"\"timestamp\":1735787046}\n";

static const char BATCH[] =
	"["
	"{\"eventId\":\"01\",\"sourceType\":\"GCS\",\"eventType\":\"NODE_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:06Z\",\"severity\":\"INFO\","
	"\"nodeDefinitionEvent\":{\"nodeId\":\"" NODE
	"\",\"nodeIpAddress\":\"10.0.0.1\","
	"\"labels\":{\"ray.io/node-group\":\"headgroup\"},\"startTimestamp\":\"2025-01-02T03:04:05Z\"}},"
	"{\"eventId\":\"02\",\"sourceType\":\"GCS\",\"eventType\":\"NODE_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:06Z\",\"severity\":\"INFO\","
	"\"nodeLifecycleEvent\":{\"nodeId\":\"" NODE
	"\",\"stateTransitions\":[{\"timestamp\":"
	"\"2025-01-02T03:04:06Z\",\"resources\":{\"CPU\":4.0,\"memory\":8589934592.0,"
	"\"object_store_memory\":2147483648.0,\"node:10.0.0.1\":1.0},\"state\":\"ALIVE\"}]}},"
	"{\"eventId\":\"03\",\"sourceType\":\"GCS\",\"eventType\":\"DRIVER_JOB_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:07Z\",\"severity\":\"INFO\","
	"\"driverJobDefinitionEvent\":{\"jobId\":\"" JOB
	"\",\"driverPid\":\"42\","
	"\"driverNodeId\":\"" NODE
	"\",\"entrypoint\":\"python main.py\",\"config\":{"
	"\"metadata\":{\"job_submission_id\":\"raysubmit_abc\"}}}},"
	"{\"eventId\":\"04\",\"sourceType\":\"GCS\",\"eventType\":\"DRIVER_JOB_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:07Z\",\"severity\":\"INFO\","
	"\"driverJobLifecycleEvent\":{\"jobId\":\"" JOB
	"\",\"stateTransitions\":[{\"state\":"
	"\"CREATED\",\"timestamp\":\"2025-01-02T03:04:07Z\"}]}},"
	"{\"eventId\":\"05\",\"sourceType\":\"CORE_WORKER\",\"eventType\":\"TASK_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:08Z\",\"severity\":\"INFO\","
	"\"taskDefinitionEvent\":{\"taskId\":\"" TASK
	"\",\"taskType\":\"NORMAL_TASK\","
	"\"taskFunc\":{\"pythonFunctionDescriptor\":{\"moduleName\":\"__main__\",\"functionName\":\"f\"}},"
	"\"taskName\":\"f\",\"requiredResources\":{\"CPU\":1.0},\"jobId\":\"" JOB
	"\","
	"\"parentTaskId\":\"ffffffffffffffffffffffffffffffffffffffff01000000\",\"taskAttempt\":0,"
	"\"language\":\"PYTHON\"}},"
	"{\"eventId\":\"06\",\"sourceType\":\"CORE_WORKER\",\"eventType\":\"TASK_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:09Z\",\"severity\":\"INFO\","
	"\"taskLifecycleEvent\":{\"taskId\":\"" TASK "\",\"stateTransitions\":["
	"{\"state\":\"PENDING_ARGS_AVAIL\",\"timestamp\":\"2025-01-02T03:04:08Z\"},"
	"{\"state\":\"RUNNING\",\"timestamp\":\"2025-01-02T03:04:08.5Z\"},"
	"{\"state\":\"FINISHED\",\"timestamp\":\"2025-01-02T03:04:09Z\"}],"
	"\"nodeId\":\"" NODE "\",\"workerId\":\"" WORKER "\",\"jobId\":\"" JOB
	"\","
	"\"taskAttempt\":0,\"workerPid\":146,\"taskLogInfo\":{\"stdoutFile\":"
	"\"/tmp/ray/" SESSION "/logs/" WORKER_OUT "\",\"stdoutStart\":\"30\","
	"\"stdoutEnd\":\"43\"}}},"
	"{\"eventId\":\"07\",\"sourceType\":\"CORE_WORKER\",\"eventType\":\"TASK_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:08Z\",\"severity\":\"INFO\","
	"\"taskDefinitionEvent\":{\"taskId\":\"" TASK2
	"\",\"taskType\":\"NORMAL_TASK\","
	"\"taskFunc\":{\"pythonFunctionDescriptor\":{\"moduleName\":\"__main__\",\"functionName\":\"g\"}},"
	"\"taskName\":\"g\",\"requiredResources\":{\"CPU\":1.0},\"jobId\":\"" JOB
	"\","
	"\"parentTaskId\":\"ffffffffffffffffffffffffffffffffffffffff01000000\",\"taskAttempt\":0,"
	"\"language\":\"PYTHON\"}},"
	"{\"eventId\":\"08\",\"sourceType\":\"CORE_WORKER\",\"eventType\":\"TASK_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:09Z\",\"severity\":\"INFO\","
	"\"taskLifecycleEvent\":{\"taskId\":\"" TASK2
	"\",\"stateTransitions\":["
	"{\"state\":\"PENDING_ARGS_AVAIL\",\"timestamp\":\"2025-01-02T03:04:08.1Z\"},"
	"{\"state\":\"FAILED\",\"timestamp\":\"2025-01-02T03:04:09.5Z\"}],"
	"\"nodeId\":\"" NODE "\",\"jobId\":\"" JOB "\",\"taskAttempt\":0,"
	"\"rayErrorInfo\":{\"errorType\":\"TASK_EXECUTION_EXCEPTION\",\"errorMessage\":\"boom\"}}},"
	"{\"eventId\":\"09\",\"sourceType\":\"GCS\",\"eventType\":\"ACTOR_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:10Z\",\"severity\":\"INFO\","
	"\"actorDefinitionEvent\":{\"actorId\":\"" ACTOR "\",\"jobId\":\"" JOB
	"\","
	"\"className\":\"Counter\",\"requiredResources\":{\"CPU\":1.0},\"isDetached\":false,"
	"\"name\":\"\"}},"
	"{\"eventId\":\"0a\",\"sourceType\":\"GCS\",\"eventType\":\"ACTOR_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:11Z\",\"severity\":\"INFO\","
	"\"actorLifecycleEvent\":{\"actorId\":\"" ACTOR
	"\",\"stateTransitions\":[{\"state\":"
	"\"ALIVE\",\"timestamp\":\"2025-01-02T03:04:11Z\",\"nodeId\":\"" NODE
	"\",\"workerId\":\"" WORKER "\",\"pid\":146}]}}"
	"]";

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(p, "wb"), "%s", p);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
make_store(void)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	rh_session_ref s = { "default", "c1", SESSION };
	rh_buf prefix = RH_BUF_INIT;
	char sdir[300], logs[400], url[300], cmd[1000];

	snprintf(tmp, sizeof(tmp), "/tmp/rh_dash_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	snprintf(logs, sizeof(logs), "%s/logs", sdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/old %s/events", logs, logs);
	cr_assert_eq(system(cmd), 0);
	write_file(logs, "raylet.out", RAYLET_OUT, sizeof(RAYLET_OUT) - 1);
	write_file(logs, "gcs_server.out", "gcs\n", 4);
	write_file(logs, WORKER_OUT, WORKER_TEXT, sizeof(WORKER_TEXT) - 1);
	write_file(logs, "worker-" WORKER "-" JOB "-146.err", "oops\n", 5);
	write_file(logs, "job-driver-raysubmit_abc.log", "driver says hi\n",
	           15);
	write_file(logs, "old/worker-aaaa-" JOB "-7.out", "old worker\n", 11);
	write_file(logs, "events/event_GCS.log", LEGACY, sizeof(LEGACY) - 1);
	snprintf(url, sizeof(url), "file://%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s", rh_error_last());
	o.cluster = "c1";
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_layout_session_prefix(&prefix, &s), 0);
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix.ptr, "batch.json",
	                              BATCH, sizeof(BATCH) - 1),
	             0, "%s", rh_error_last());
	rh_buf_dispose(&prefix);
}

static void
setup(void)
{
	make_store();
	cr_assert_eq(rh_dashboard_new(&d, st, NULL), 0, "%s", rh_error_last());
}

static void
teardown(void)
{
	char cmd[300];

	json_object_put(doc);
	doc = NULL;
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

TestSuite(dashboard, .init = setup, .fini = teardown);

static int
req_full(const char *method, const char *target, const char *cookie,
         const char *ae)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.method = method;
	rq.target = target;
	rq.cookie = cookie;
	rq.accept_encoding = ae;
	rq.now_ms = 1735787100000;
	cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0, "%s",
	             rh_error_last());
	return resp.status;
}

static int
get(const char *target)
{
	return req_full("GET", target, NULL, NULL);
}

/* GET, expect `status`, parse the body as JSON. */
static json_object *
jget(const char *target, int status)
{
	int got = get(target);

	cr_assert_eq(got, status, "%s: status %d, body %.400s", target, got,
	             resp.body.ptr ? resp.body.ptr : "");
	json_object_put(doc);
	doc = json_tokener_parse(resp.body.ptr ? resp.body.ptr : "");
	cr_assert_not_null(doc, "%s: not JSON: %.300s", target, resp.body.ptr);
	return doc;
}

static json_object *
at(json_object *o, const char *path)
{
	char buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(p));
		else if (!json_object_object_get_ex(o, p, &o))
			cr_assert_fail("no %s in %s", p, path);
		cr_assert_not_null(o, "%s: null at %s", path, p);
	}
	return o;
}

static const char *
str_at(json_object *o, const char *path)
{
	return json_object_get_string(at(o, path));
}

Test(dashboard, picker_lists_the_session)
{
	cr_assert_eq(get("/"), 200);
	cr_assert_str_eq(resp.content_type, "text/html; charset=utf-8");
	cr_assert(strstr(resp.body.ptr, SESSION));
	cr_assert(strstr(resp.body.ptr, "/enter_cluster/default/c1/" SESSION));
	cr_assert(strstr(resp.body.ptr, "--dashboard-dir"));
	cr_assert_null(strstr(resp.body.ptr, "http://"), "no external assets");
	jget("/clusters", 200);
	cr_assert_str_eq(str_at(doc, "0.sessionName"), SESSION);
	cr_assert_str_eq(str_at(doc, "0.name"), "c1");
	cr_assert_str_eq(str_at(doc, "0.namespace"), "default");
	cr_assert_eq(json_object_get_int(at(doc, "0.nodes")), 1);
	cr_assert_str_eq(str_at(doc, "0.url"), BASE);
}

/* GET as a browser navigating: Accept names text/html. */
static int
get_html(const char *target)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.target = target;
	rq.accept = "text/html,application/xhtml+xml,*/*;q=0.8";
	rq.now_ms = 1735787100000;
	cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0, "%s",
	             rh_error_last());
	return resp.status;
}

static size_t
count_cookies(void)
{
	size_t i, cookies = 0;

	for (i = 0; i < resp.nheaders; i++)
		if (!strcmp(resp.headers[i].name, "Set-Cookie"))
			cookies++;
	return cookies;
}

Test(dashboard, enter_cluster_sets_cookies_and_redirects)
{
	cr_assert_eq(get_html("/enter_cluster/default/c1/" SESSION), 302);
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Location"), BASE);
	cr_assert_eq(count_cookies(), 3);
	cr_assert_eq(get_html("/enter_cluster/default/raycluster/c1/latest"),
	             302);
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Location"), BASE);
	jget("/enter_cluster/default/c1/session_nope", 404);
	jget("/enter_cluster/default/c1/..", 400);
}

/* KubeRay's clients ask for no HTML: 200 and its JSON, the same cookies. */
Test(dashboard, enter_cluster_answers_json_to_api_clients)
{
	json_object *o =
		jget("/enter_cluster/default/raycluster/c1/latest", 200);

	cr_assert_str_eq(str_at(o, "result"), "success");
	cr_assert_str_eq(str_at(o, "name"), "c1");
	cr_assert_str_eq(str_at(o, "namespace"), "default");
	cr_assert_str_eq(str_at(o, "session"), SESSION);
	cr_assert_eq(count_cookies(), 3);
	cr_assert_null(rh_dashboard_response_header(&resp, "Location"));
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Vary"), "Accept");
}

Test(dashboard, session_prefix_without_slash_redirects)
{
	cr_assert_eq(get("/c/default/c1/" SESSION "?x=1"), 301);
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Location"),
	                 BASE "?x=1");
}

/* The state a task had in a tasks list (NULL when it is not listed). */
static const char *
task_state(json_object *list, const char *id)
{
	json_object *rows = at(list, "data.result.result");
	size_t i;

	for (i = 0; i < json_object_array_length(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i);
		if (!strcmp(str_at(r, "task_id"), id))
			return str_at(r, "state");
	}
	return NULL;
}

#define AT(t) "/c/default/c1/" SESSION "@" t "/"

Test(dashboard, playback_prefix_shows_the_instant)
{
	const char *loc;

	/* before the session's start: an empty cluster */
	jget(AT("2025-01-02T03:04:00Z") "api/v0/tasks", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 0);
	jget(AT("2025-01-02T03:04:00Z") "nodes?view=summary", 200);
	cr_assert_eq(json_object_array_length(at(doc, "data.summary")), 0);
	jget(AT("2025-01-02T03:04:00Z") "logical/actors", 200);
	cr_assert_eq(json_object_object_length(at(doc, "data.actors")), 0);
	/* the node is up, no task yet; ':' percent-encoded works too */
	jget(AT("2025-01-02T03%3A04%3A07Z") "api/v0/tasks", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 0);
	jget(AT("2025-01-02T03%3a04%3a07Z") "nodes?view=summary", 200);
	cr_assert_str_eq(str_at(doc, "data.summary.0.raylet.nodeId"), NODE);
	cr_assert_str_eq(str_at(doc, "data.summary.0.raylet.state"), "ALIVE");
	/* while TASK ran and TASK2 waited */
	jget(AT("2025-01-02T03:04:08.7Z") "api/v0/tasks?detail=1", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 2);
	cr_assert_str_eq(task_state(doc, TASK), "RUNNING");
	cr_assert_str_eq(task_state(doc, TASK2), "PENDING_ARGS_AVAIL");
	/* after the end (relative to the session start): the final state */
	jget(AT("+1000") "api/v0/tasks?detail=1", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 2);
	cr_assert_str_eq(task_state(doc, TASK), "FINISHED");
	cr_assert_str_eq(task_state(doc, TASK2), "FAILED");
	/* malformed: 400 naming the text */
	jget(AT("yesterday") "api/v0/tasks", 400);
	cr_assert(strstr(str_at(doc, "msg"), "yesterday"), "%s",
	          str_at(doc, "msg"));
	jget(AT("") "api/v0/tasks", 400);
	/* links under the prefix keep the instant */
	cr_assert_eq(get("/c/default/c1/" SESSION "@%2B5"), 301);
	loc = rh_dashboard_response_header(&resp, "Location");
	cr_assert(!strncmp(loc, "/c/default/c1/" SESSION "@", strlen(BASE)),
	          "%s", loc);
	cr_assert(strstr(loc, "5/"), "%s", loc);
}

Test(dashboard, landing_without_build_links_the_data)
{
	cr_assert_eq(get(BASE), 200);
	cr_assert(strstr(resp.body.ptr, "--dashboard-dir"));
	cr_assert(strstr(resp.body.ptr, "api/jobs/"));
	cr_assert(strstr(resp.body.ptr, "api/v0/tasks?detail=1"));
	cr_assert(strstr(resp.body.ptr, "rayhist/tasks.txt"));
	cr_assert(strstr(resp.body.ptr, "filename=raylet.out"));
}

Test(dashboard, nodes_summary_and_detail)
{
	jget(BASE "nodes?view=summary", 200);
	cr_assert(json_object_get_boolean(at(doc, "result")));
	cr_assert_str_eq(str_at(doc, "msg"), "Node summary fetched.");
	cr_assert_str_eq(str_at(doc, "data.summary.0.raylet.nodeId"), NODE);
	cr_assert_str_eq(str_at(doc, "data.summary.0.raylet.state"), "ALIVE");
	cr_assert_str_eq(str_at(doc, "data.summary.0.ip"), "10.0.0.1");
	cr_assert(json_object_get_boolean(
		at(doc, "data.summary.0.raylet.isHeadNode")));
	cr_assert_eq(
		json_object_get_double(at(
			doc,
			"data.summary.0.raylet.resourcesTotal.objectStoreMemory")),
		2147483648.0);
	cr_assert(strstr(str_at(doc, "data.nodeLogicalResources." NODE),
	                 "0.0/4.0 CPU"));
	cr_assert(strstr(str_at(doc, "data.nodeLogicalResources." NODE),
	                 "0B/8.00GiB memory"));
	cr_assert(!json_object_object_get_ex(at(doc, "data.summary.0"), "mem",
	                                     NULL));
	cr_assert(!json_object_object_get_ex(at(doc, "data.summary.0"), "disk",
	                                     NULL));
	cr_assert(!json_object_object_get_ex(at(doc, "data.summary.0"), "cpus",
	                                     NULL));
	cr_assert_eq(json_object_get_int(
			     at(doc, "data.summary.0.raylet.numWorkers")),
	             1);
	jget(BASE "nodes/" NODE, 200);
	cr_assert_str_eq(str_at(doc, "msg"), "Node details fetched.");
	cr_assert_str_eq(str_at(doc, "data.detail.raylet.nodeId"), NODE);
	/* the Raylet tab's "Workers Num": as many as the workers listed */
	cr_assert_eq(json_object_array_length(at(doc, "data.detail.workers")),
	             1);
	cr_assert_eq(
		json_object_get_int(at(doc, "data.detail.raylet.numWorkers")),
		1);
	/* no physical statistics: no zeros the client would draw as 0B/0B, NaN% */
	cr_assert(!json_object_object_get_ex(at(doc, "data.detail"), "mem",
	                                     NULL));
	cr_assert(!json_object_object_get_ex(at(doc, "data.detail"), "disk",
	                                     NULL));
	cr_assert(!json_object_object_get_ex(
		at(doc, "data.detail.actors." ACTOR), "mem", NULL));
	cr_assert_str_eq(str_at(doc, "data.detail.actors." ACTOR ".actorId"),
	                 ACTOR);
	jget(BASE "nodes/abcdef", 404);
	jget(BASE "nodes/not-hex", 400);
	jget(BASE "nodes?view=bogus", 400);
	cr_assert(strstr(str_at(doc, "msg"), "view"));
}

Test(dashboard, tasks_list_filters_limit_detail)
{
	json_object *row;

	jget(BASE "api/v0/tasks?detail=1&limit=10000", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 2);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.num_filtered")),
	             2);
	cr_assert_eq(json_object_array_length(at(doc, "data.result.result")),
	             2);
	cr_assert_str_eq(str_at(doc, "data.result.partial_failure_warning"),
	                 "");
	jget(BASE
	     "api/v0/tasks?detail=1&limit=1&filter_keys=task_id&filter_predicates=%3D"
	     "&filter_values=" TASK,
	     200);
	cr_assert_eq(json_object_array_length(at(doc, "data.result.result")),
	             1);
	row = at(doc, "data.result.result.0");
	cr_assert_str_eq(str_at(row, "task_id"), TASK);
	cr_assert_str_eq(str_at(row, "state"), "FINISHED");
	cr_assert_str_eq(str_at(row, "name"), "f");
	cr_assert(json_object_object_get_ex(row, "task_log_info", NULL));
	jget(BASE
	     "api/v0/tasks?filter_keys=state&filter_predicates=!%3D&filter_values=finished",
	     200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.num_filtered")),
	             1);
	cr_assert_str_eq(str_at(doc, "data.result.result.0.task_id"), TASK2);
	cr_assert(!json_object_object_get_ex(at(doc, "data.result.result.0"),
	                                     "task_log_info", NULL),
	          "detail columns only with detail=1");
	jget(BASE "api/v0/tasks?limit=1", 200);
	cr_assert_eq(json_object_array_length(at(doc, "data.result.result")),
	             1);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.num_filtered")),
	             2);
	jget(BASE "api/v0/tasks?limit=0", 200);
	cr_assert_eq(json_object_array_length(at(doc, "data.result.result")),
	             0);
}

Test(dashboard, bad_query_values_name_the_parameter)
{
	jget(BASE "api/v0/tasks?limit=abc", 400);
	cr_assert(strstr(str_at(doc, "msg"), "limit"));
	jget(BASE "api/v0/tasks?limit=10001", 400);
	cr_assert(strstr(str_at(doc, "msg"), "exceeds"));
	jget(BASE "api/v0/tasks?detail=maybe", 400);
	cr_assert(strstr(str_at(doc, "msg"), "detail"));
	jget(BASE
	     "api/v0/tasks?filter_keys=job_id&filter_predicates=%3E&filter_values=1",
	     400);
	cr_assert(strstr(str_at(doc, "msg"), "filter_predicates"));
	jget(BASE "api/v0/tasks?filter_keys=job_id&filter_values=1", 400);
	cr_assert(strstr(str_at(doc, "msg"), "filter_"));
	jget(BASE
	     "api/v0/tasks?filter_keys=nonsense&filter_predicates=%3D&filter_values=1",
	     400);
	cr_assert(strstr(str_at(doc, "msg"), "nonsense"));
	jget(BASE "api/v0/tasks/summarize?summary_by=color", 400);
	cr_assert(strstr(str_at(doc, "msg"), "summary_by"));
	/* log reads answer text, not JSON (with format=leading_1, a "0" first) */
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=x"),
	             400);
	cr_assert(strstr(resp.body.ptr, "lines"));
}

Test(dashboard, summaries_and_timeline)
{
	jget(BASE
	     "api/v0/tasks/summarize?filter_keys=job_id&filter_predicates=%3D&filter_values=" JOB,
	     200);
	cr_assert_str_eq(
		str_at(doc,
	               "data.result.result.node_id_to_summary.cluster.summary_by"),
		"func_name");
	cr_assert(json_object_is_type(
		at(doc,
	           "data.result.result.node_id_to_summary.cluster.summary"),
		json_type_object));
	jget(BASE "api/v0/tasks/summarize?summary_by=lineage", 200);
	cr_assert(json_object_is_type(
		at(doc,
	           "data.result.result.node_id_to_summary.cluster.summary"),
		json_type_array));
	jget(BASE "api/v0/tasks/timeline?download=1&job_id=" JOB, 200);
	cr_assert(json_object_is_type(doc, json_type_array));
	cr_assert(strstr(
		rh_dashboard_response_header(&resp, "Content-Disposition"),
		"attachment; filename=\"timeline-" JOB "-"));
}

Test(dashboard, actors_jobs_events_placement_groups)
{
	jget(BASE "logical/actors", 200);
	cr_assert_str_eq(str_at(doc, "msg"), "All actors fetched.");
	cr_assert_str_eq(str_at(doc, "data.actors." ACTOR ".className"),
	                 "Counter");
	cr_assert_str_eq(str_at(doc, "data.actors." ACTOR ".state"), "ALIVE");
	cr_assert_str_eq(str_at(doc, "data.actors." ACTOR ".address.workerId"),
	                 WORKER);
	cr_assert(json_object_is_type(
		at(doc, "data.actors." ACTOR ".numRestarts"),
		json_type_string));
	jget(BASE "logical/actors/" ACTOR, 200);
	cr_assert_str_eq(str_at(doc, "data.detail.actorId"), ACTOR);
	jget(BASE "logical/actors/edb1e2d89c7a7719ef2d1e9801000001", 404);
	jget(BASE "api/jobs/", 200);
	cr_assert(json_object_is_type(doc, json_type_array));
	cr_assert_str_eq(str_at(doc, "0.job_id"), JOB);
	jget(BASE "api/jobs/" JOB, 200);
	cr_assert_str_eq(str_at(doc, "job_id"), JOB);
	cr_assert_eq(get(BASE "api/jobs/02000000"), 404);
	cr_assert(strstr(resp.body.ptr, "does not exist"));
	jget(BASE "events", 200);
	cr_assert_str_eq(str_at(doc, "msg"), "All events fetched.");
	cr_assert(
		json_object_is_type(at(doc, "data.events"), json_type_object));
	jget(BASE "events?job_id=" JOB, 200);
	cr_assert_str_eq(str_at(doc, "data.jobId"), JOB);
	cr_assert(json_object_is_type(at(doc, "data.events"), json_type_array));
	jget(BASE "api/v0/placement_groups?detail=1&limit=10000", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 0);
	jget(BASE "api/v0/actors", 200);
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 1);
	jget(BASE "api/v0/nodes", 200);
	jget(BASE "api/v0/workers", 200);
	jget(BASE "api/v0/jobs", 200);
}

Test(dashboard, constant_endpoints)
{
	jget(BASE "timezone", 200);
	cr_assert_str_eq(str_at(doc, "offset"), "+00:00");
	cr_assert_str_eq(str_at(doc, "value"), "UTC");
	jget(BASE "api/grafana_health", 200);
	cr_assert(!json_object_get_boolean(at(doc, "result")));
	jget(BASE "api/prometheus_health", 200);
	cr_assert(!json_object_get_boolean(at(doc, "result")));
	jget(BASE "usage_stats_enabled", 200);
	cr_assert(!json_object_get_boolean(at(doc, "data.usageStatsEnabled")));
	jget(BASE "api/authentication_mode", 200);
	cr_assert_str_eq(str_at(doc, "authentication_mode"), "disabled");
	jget(BASE "api/serve/applications/", 200);
	cr_assert_eq(json_object_object_length(at(doc, "applications")), 0);
	/* get_empty_schema_dict(): no http_options key, or the client draws a
	 * Serve system instead of "Serve not started" */
	cr_assert(!json_object_object_get_ex(doc, "http_options", NULL));
	cr_assert(!json_object_object_get_ex(doc, "proxy_location", NULL));
	cr_assert_eq(json_object_object_length(at(doc, "controller_info")), 0);
	jget(BASE "api/data/datasets/" JOB, 200);
	cr_assert_eq(json_object_array_length(at(doc, "datasets")), 0);
	jget(BASE "api/v0/cluster_metadata", 200);
	cr_assert_str_eq(str_at(doc, "data.sessionId"), SESSION);
	jget(BASE "api/version", 200);
	cr_assert_str_eq(str_at(doc, "session_name"), SESSION);
	jget(BASE "api/cluster_status?format=1", 200);
	cr_assert(strstr(str_at(doc, "data.clusterStatus"), "Node status"));
	cr_assert(strstr(str_at(doc, "data.clusterStatus"), "Resources"));
	cr_assert(strstr(str_at(doc, "data.clusterStatus"), "4.0 CPU"));
}

Test(dashboard, live_only_and_writes_say_the_cluster_is_gone)
{
	jget(BASE "worker/traceback?ip=10.0.0.1&pid=146", 501);
	cr_assert(strstr(str_at(doc, "msg"), "the cluster is gone"));
	jget(BASE "task/cpu_profile?task_id=" TASK, 501);
	cr_assert_eq(req_full("POST", BASE "api/jobs/", NULL, NULL), 405);
	cr_assert(strstr(resp.body.ptr, "the cluster is gone"));
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Allow"),
	                 "GET, HEAD");
	cr_assert_eq(req_full("DELETE", BASE "api/jobs/" JOB, NULL, NULL), 405);
}

Test(dashboard, log_listing_by_category)
{
	jget(BASE "api/v0/logs?node_id=" NODE, 200);
	cr_assert_str_eq(str_at(doc, "data.result.raylet.0"), "raylet.out");
	cr_assert_str_eq(str_at(doc, "data.result.gcs_server.0"),
	                 "gcs_server.out");
	cr_assert_str_eq(str_at(doc, "data.result.worker_out.0"), WORKER_OUT);
	cr_assert_str_eq(str_at(doc, "data.result.internal.0"), "events/");
	jget(BASE "api/v0/logs?node_ip=10.0.0.1&glob=old/*", 200);
	cr_assert_str_eq(str_at(doc, "data.result.worker_out.0"),
	                 "old/worker-aaaa-" JOB "-7.out");
	jget(BASE "api/v0/logs", 400);
	cr_assert(strstr(str_at(doc, "msg"), "node_id"));
	jget(BASE "api/v0/logs?node_id=abcd", 404);
	jget(BASE "api/v0/logs?node_id=" NODE "&glob=../*", 400);
}

Test(dashboard, log_files_exact_bytes)
{
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=2"
	                      "&format=leading_1"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "1line two\nline three\n");
	/* no format: as Ray 2.45+ (whose client sends none and shows the body
	 * as it is), no leading "1" - this session's version is unknown */
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=2"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "line two\nline three\n");
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=2"
	                      "&filter_ansi_code=true"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "line two\nline three\n");
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out"
	                      "&lines=-1&format=text"),
	             200);
	cr_assert_eq(resp.body.size, sizeof(RAYLET_OUT) - 1);
	cr_assert_eq(memcmp(resp.body.ptr, RAYLET_OUT, resp.body.size), 0);
	cr_assert_eq(
		get(BASE
	            "api/v0/logs/file?node_ip=10.0.0.1&filename=" WORKER_OUT
	            "&lines=50000&filter_ansi_code=true&format=text"),
		200);
	cr_assert(strstr(resp.body.ptr, "red line\n"));
	cr_assert_null(strchr(resp.body.ptr, '\x1b'));
	/* by task: bytes [30, 43) of its worker's stdout */
	cr_assert_eq(get(BASE "api/v0/logs/file?task_id=" TASK
	                      "&format=text&lines=-1"),
	             200);
	cr_assert_eq(resp.body.size, 13);
	cr_assert_eq(memcmp(resp.body.ptr, WORKER_TEXT + 30, 13), 0);
	cr_assert_eq(get(BASE "api/v0/logs/file?task_id=" TASK
	                      "&format=text&lines=1"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "hello from f\n");
	/* by actor: its worker's out and err */
	cr_assert_eq(get(BASE "api/v0/logs/file?actor_id=" ACTOR
	                      "&suffix=err&format=text"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "oops\n");
	cr_assert_eq(
		get(BASE
	            "api/v0/logs/file?submission_id=raysubmit_abc&format=text"),
		200);
	cr_assert_str_eq(resp.body.ptr, "driver says hi\n");
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&pid=146&format=text&lines=1"),
	             200);
	cr_assert_str_eq(resp.body.ptr, "bye\n");
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=1"
	                      "&download_filename=r.txt"),
	             200);
	cr_assert(strstr(
		rh_dashboard_response_header(&resp, "Content-Disposition"),
		"r.txt"));
}

Test(dashboard, log_reads_refuse_tricks)
{
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=../session.json"
	                      "&format=leading_1"),
	             400);
	cr_assert_eq(resp.body.ptr[0], '0');
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=../session.json"),
	             400);
	cr_assert_neq(resp.body.ptr[0], '0');
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=%2e%2e%2fsession.json"),
	             400);
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=/etc/passwd"),
	             400);
	cr_assert_eq(
		get(BASE "api/v0/logs/file?node_id=" NODE "&filename=nope.log"),
		404);
	cr_assert_eq(
		get(BASE "api/v0/logs/file?node_id=ffff&filename=raylet.out"),
		404);
	cr_assert_eq(
		get(BASE "api/v0/logs/file?node_id=../x&filename=raylet.out"),
		400);
	cr_assert_eq(get(BASE "api/v0/logs/file?filename=raylet.out"), 400);
	cr_assert_eq(get(BASE "api/v0/logs/file?task_id=" TASK2), 404);
	cr_assert_eq(get("/c/default/c1/" SESSION "/%2e%2e/%2e%2e/x"), 400);
	cr_assert_eq(get("/c/default/c1/session%2fx/nodes"), 400);
	cr_assert_eq(get("/c/default/c1/session_nope/nodes"), 404);
	cr_assert_eq(get("/c/default/c1/.hidden/nodes"), 400);
}

Test(dashboard, root_api_uses_the_cookies)
{
	jget("/api/jobs/", 400);
	cr_assert(strstr(str_at(doc, "msg"), "cluster_namespace"));
	cr_assert_eq(req_full("GET", "/api/jobs/",
	                      "cluster_namespace=default; "
	                      "cluster_name=c1; session_name=" SESSION,
	                      NULL),
	             200);
	cr_assert_eq(req_full("GET", "/nodes?view=summary",
	                      "cluster_namespace=default; "
	                      "cluster_name=c1; session_name=../x",
	                      NULL),
	             400);
}

Test(dashboard, compresses_when_accepted)
{
	rh_buf raw = RH_BUF_INIT;
	unsigned char out[1 << 16];
	z_stream z;

	cr_assert_eq(get(BASE "nodes?view=summary"), 200);
	rh_buf_put(&raw, resp.body.ptr, resp.body.size);
	cr_assert_null(rh_dashboard_response_header(&resp, "Content-Encoding"));
	cr_assert_eq(req_full("GET", BASE "nodes?view=summary", NULL,
	                      "deflate, gzip;q=0.5"),
	             200);
	cr_assert_str_eq(
		rh_dashboard_response_header(&resp, "Content-Encoding"),
		"gzip");
	memset(&z, 0, sizeof(z));
	cr_assert_eq(inflateInit2(&z, 31), Z_OK);
	z.next_in = (unsigned char *)resp.body.ptr;
	z.avail_in = (unsigned)resp.body.size;
	z.next_out = out;
	z.avail_out = sizeof(out);
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	/* "now" differs between the calls, so compare lengths loosely */
	cr_assert(z.total_out > raw.size / 2);
	inflateEnd(&z);
	cr_assert_eq(
		req_full("GET", BASE "nodes?view=summary", NULL, "gzip;q=0"),
		200);
	cr_assert_null(rh_dashboard_response_header(&resp, "Content-Encoding"));
	rh_buf_dispose(&raw);
}

Test(dashboard, text_tables)
{
	cr_assert_eq(get(BASE "rayhist/tasks.txt"), 200);
	cr_assert(strstr(resp.body.ptr, TASK2));
	cr_assert(strstr(resp.body.ptr, "TASK_EXECUTION_EXCEPTION"));
	cr_assert_eq(get(BASE "rayhist/jobs.txt"), 200);
	cr_assert(strstr(resp.body.ptr, "raysubmit_abc"));
}

static size_t
count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)))
		n++, hay += strlen(needle);
	return n;
}

Test(dashboard, session_timeline_chart_and_time_form)
{
	const char *body, *p, *q;
	char href[300], target[400];
	const char *loc;

	cr_assert_eq(get(BASE "rayhist/session"), 200, "%.400s", resp.body.ptr);
	cr_assert_str_eq(resp.content_type, "text/html; charset=utf-8");
	body = resp.body.ptr;
	cr_assert(strstr(body, "<svg id=\"timeline\""), "%.600s", body);
	cr_assert_null(strstr(body, "<script"), "no script needed");
	cr_assert_null(strstr(body, "http://"), "no external assets");
	/* 200 buckets, each a link to the session at its instant */
	cr_assert_eq(count_of(body, "<a class=\"bucket\""), 200);
	cr_assert_eq(count_of(body, "href=\"/c/default/c1/" SESSION "@2025-"),
	             200);
	cr_assert_eq(count_of(body, "<rect class=\"hit\""), 200);
	/* the job's start and end, the node and actor lines */
	cr_assert_eq(count_of(body, "class=\"job-start\""), 1);
	/* (the job is still running at the end: no end mark) */
	cr_assert_eq(count_of(body, "class=\"job-end\""), 0);
	cr_assert(strstr(body, "job " JOB " started"));
	cr_assert(strstr(body, "<path class=\"nodes\""));
	cr_assert(strstr(body, "<path class=\"actors\""));
	cr_assert(strstr(body, "data-nodes=\"1\""));
	cr_assert(strstr(body,
	                 "action=\"/c/default/c1/" SESSION "/rayhist/at\""));
	/* a bucket where TASK ran: its link shows TASK RUNNING */
	p = strstr(body, "data-running=\"1\"");
	cr_assert_not_null(p, "no bucket with the running task");
	while (p > body && strncmp(p, "href=\"", 6))
		p--;
	p += 6;
	q = strchr(p, '"');
	cr_assert(q && (size_t)(q - p) < sizeof(href));
	memcpy(href, p, (size_t)(q - p));
	href[q - p] = '\0';
	cr_assert(strstr(href, "@2025-01-02T03:04:08."), "%s", href);
	snprintf(target, sizeof(target), "%sapi/v0/tasks?detail=1", href);
	jget(target, 200);
	cr_assert_str_eq(task_state(doc, TASK), "RUNNING");
	cr_assert_eq(json_object_get_int(at(doc, "data.result.total")), 2);
	/* computed once: the same page again */
	cr_assert_eq(get(BASE "rayhist/session"), 200);
	cr_assert_eq(count_of(resp.body.ptr, "<a class=\"bucket\""), 200);
	/* linked from the landing page and the picker */
	cr_assert_eq(get(BASE), 200);
	cr_assert(strstr(resp.body.ptr, "href=\"rayhist/session\""));
	cr_assert_eq(get("/"), 200);
	cr_assert(strstr(resp.body.ptr,
	                 "/c/default/c1/" SESSION "/rayhist/session"));
	/* the form's endpoint: a redirect to SESSION@TIME/, 400 on a bad time */
	cr_assert_eq(get(BASE "rayhist/at?t=2025-01-02T03:04:08.7Z"), 302);
	loc = rh_dashboard_response_header(&resp, "Location");
	cr_assert_str_eq(loc, "/c/default/c1/" SESSION
	                      "@2025-01-02T03%3A04%3A08.7Z/");
	snprintf(target, sizeof(target), "%sapi/v0/tasks?detail=1", loc);
	jget(target, 200);
	cr_assert_str_eq(task_state(doc, TASK), "RUNNING");
	cr_assert_eq(get(BASE "rayhist/at?t=%2B5"), 302);
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Location"),
	                 "/c/default/c1/" SESSION "@%2B5/");
	jget(BASE "rayhist/at?t=yesterday", 400);
	cr_assert(strstr(str_at(doc, "msg"), "yesterday"), "%s",
	          str_at(doc, "msg"));
	jget(BASE "rayhist/at", 400);
	jget(BASE "rayhist/at?t=", 400);
}

Test(dashboard_pure, log_format_default_by_client_version)
{
	/* before 2.33 the client sent no format and stripped a leading "1" */
	cr_assert(rh_dashboard__log_leading_1_default("2.32.0"));
	cr_assert(rh_dashboard__log_leading_1_default("2.9.3"));
	cr_assert(rh_dashboard__log_leading_1_default("1.13.0"));
	/* 2.33-2.44 always send format; 2.45+ send none and want plain text */
	cr_assert(!rh_dashboard__log_leading_1_default("2.33.0"));
	cr_assert(!rh_dashboard__log_leading_1_default("2.45.0"));
	cr_assert(!rh_dashboard__log_leading_1_default("2.52.0"));
	cr_assert(!rh_dashboard__log_leading_1_default("3.0.0.dev0"));
	cr_assert(!rh_dashboard__log_leading_1_default(NULL));
	cr_assert(!rh_dashboard__log_leading_1_default(""));
	cr_assert(!rh_dashboard__log_leading_1_default("default"));
}

/* ---- slow work scheduled elsewhere ------------------------------------------ */

static rh_dashboard_work_fn pending_fn;
static void *pending_arg;

static int
record(rh_dashboard_work_fn fn, void *arg, void *payload)
{
	(void)payload;
	pending_fn = fn;
	pending_arg = arg;
	return 0;
}

static void
setup_scheduled(void)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;

	make_store();
	o.schedule = record;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

TestSuite(dashboard_scheduled, .init = setup_scheduled, .fini = teardown);

Test(dashboard_scheduled, answers_preparing_while_indexing)
{
	jget(BASE "api/jobs/", 202);
	cr_assert(strstr(str_at(doc, "msg"), "preparing"));
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Retry-After"),
	                 "2");
	cr_assert_not_null(pending_fn);
	cr_assert_eq(get(BASE), 202);
	cr_assert(strstr(resp.body.ptr, "http-equiv=\"refresh\""));
	/* reloads by script, keeping a #/route (Chromium's meta refresh of a
	 * URL with a fragment never reloads); the meta only without script */
	cr_assert(strstr(resp.body.ptr, "location.reload()"));
	cr_assert(strstr(resp.body.ptr,
	                 "<noscript><meta http-equiv=\"refresh\""));
	jget(BASE "timezone", 200); /* needs no index */
	pending_fn(pending_arg);
	pending_fn = NULL;
	jget(BASE "api/jobs/", 200);
}

/* ---- dashboard builds --------------------------------------------------------- */

static char builds[300];

static void
setup_builds(void)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
	char cmd[3000];

	make_store();
	snprintf(builds, sizeof(builds), "%s/builds", tmp);
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p %1$s/2.40.0/static/js %1$s/2.52.0/static/js && "
	         "echo '<html>2.40</html>' > %1$s/2.40.0/index.html && "
	         "echo '<html>2.52</html>' > %1$s/2.52.0/index.html && "
	         "echo 'var a=1;' > %1$s/2.52.0/static/js/main.1.js && "
	         "echo 'secret' > %2$s/secret.txt && "
	         "ln -s %2$s/secret.txt %1$s/2.52.0/static/js/leak.js",
	         builds, tmp);
	cr_assert_eq(system(cmd), 0);
	o.dashboard_dir = builds;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

TestSuite(dashboard_builds, .init = setup_builds, .fini = teardown);

Test(dashboard_builds, serves_builds_with_caching)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	cr_assert_str_eq(rh_dashboard_build_name(d, 0), "2.52.0");
	cr_assert_str_eq(rh_dashboard_build_name(d, 1), "2.40.0");
	cr_assert_null(rh_dashboard_build_name(d, 2));
	cr_assert_eq(get("/"), 200);
	cr_assert(strstr(resp.body.ptr, "<select name=\"build\""));
	cr_assert_eq(get(BASE), 200);
	cr_assert_str_eq(resp.body.ptr, "<html>2.52</html>\n");
	cr_assert_str_eq(rh_dashboard_response_header(&resp, "Cache-Control"),
	                 "no-cache");
	cr_assert_eq(get(BASE "?build=2.40.0"), 200);
	cr_assert_str_eq(resp.body.ptr, "<html>2.40</html>\n");
	cr_assert(strstr(rh_dashboard_response_header(&resp, "Set-Cookie"),
	                 "rayhist_build=2.40.0"));
	cr_assert_eq(get(BASE "static/js/main.1.js"), 200);
	cr_assert_str_eq(resp.content_type, "application/javascript");
	cr_assert(strstr(rh_dashboard_response_header(&resp, "Cache-Control"),
	                 "immutable"));
	rq.target = BASE "static/js/main.1.js";
	rq.if_none_match = rh_dashboard_response_header(&resp, "ETag");
	{
		char etag[80];
		snprintf(etag, sizeof(etag), "%s", rq.if_none_match);
		rq.if_none_match = etag;
		cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0);
		cr_assert_eq(resp.status, 304);
		cr_assert_eq(resp.body.size, 0);
	}
	cr_assert_eq(get(BASE "static/js/leak.js"), 404);
	cr_assert_eq(get(BASE "static/js/nope.js"), 404);
	cr_assert_eq(get(BASE "static/%2e%2e/%2e%2e/%2e%2e/secret.txt"), 400);
	cr_assert_eq(get(BASE ".hidden"), 404);
	cr_assert_eq(get("/enter_cluster/default/c1/" SESSION "?build=9.9"),
	             400);
	cr_assert_eq(
		get_html("/enter_cluster/default/c1/" SESSION "?build=2.40.0"),
		302);
}

/* A log read without `format` answers as the client asking expects: plain
 * bytes for Ray 2.45+ (which sends no format and shows the body as it is),
 * a leading "1" for a client older than 2.33 (which stripped it); the
 * client is the build its landing page named by cookie. */
static void
setup_old_build(void)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
	char cmd[3000];

	make_store();
	snprintf(builds, sizeof(builds), "%s/builds", tmp);
	snprintf(cmd, sizeof(cmd),
	         "mkdir -p %1$s/2.30.0 %1$s/2.52.0 && "
	         "echo '<html>2.30</html>' > %1$s/2.30.0/index.html && "
	         "echo '<html>2.52</html>' > %1$s/2.52.0/index.html",
	         builds);
	cr_assert_eq(system(cmd), 0);
	o.dashboard_dir = builds;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

TestSuite(dashboard_old_build, .init = setup_old_build, .fini = teardown);

Test(dashboard_old_build, log_format_follows_the_client_build)
{
	const char *url = BASE "api/v0/logs/file?node_id=" NODE
			       "&filename=raylet.out&lines=1";

	cr_assert_eq(req_full("GET", url, "rayhist_build=2.52.0", NULL), 200);
	cr_assert_str_eq(resp.body.ptr, "line three\n");
	cr_assert_eq(req_full("GET", url, "x=1; rayhist_build=2.30.0", NULL),
	             200);
	cr_assert_str_eq(resp.body.ptr, "1line three\n");
	/* the old client asking for text, or a new one naming leading_1 */
	cr_assert_eq(req_full("GET",
	                      BASE "api/v0/logs/file?node_id=" NODE
	                           "&filename=raylet.out&lines=1&format=text",
	                      "rayhist_build=2.30.0", NULL),
	             200);
	cr_assert_str_eq(resp.body.ptr, "line three\n");
	cr_assert_eq(req_full("GET",
	                      BASE
	                      "api/v0/logs/file?node_id=" NODE
	                      "&filename=raylet.out&lines=1&format=leading_1",
	                      "rayhist_build=2.52.0", NULL),
	             200);
	cr_assert_str_eq(resp.body.ptr, "1line three\n");
	/* no cookie, or one naming no build: the session's version (unknown) */
	cr_assert_eq(req_full("GET", url, NULL, NULL), 200);
	cr_assert_str_eq(resp.body.ptr, "line three\n");
	cr_assert_eq(req_full("GET", url, "rayhist_build=9.9.9", NULL), 200);
	cr_assert_str_eq(resp.body.ptr, "line three\n");
}

/* ---- answers kept for repeated requests ------------------------------------- */

#define T0 1735787100000

static int
get_at(const char *target, int64_t now_ms)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;

	rq.target = target;
	rq.now_ms = now_ms;
	cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0, "%s",
	             rh_error_last());
	return resp.status;
}

static int
hit(void)
{
	const char *h = rh_dashboard_response_header(&resp, "X-Rayhist-Cache");

	return h && !strcmp(h, "hit");
}

Test(dashboard, repeated_api_requests_are_answered_from_the_cache)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	rh_dashboard_response r2 = RH_DASHBOARD_RESPONSE_INIT;
	rh_buf first = RH_BUF_INIT;

	cr_assert_eq(get(BASE "api/v0/tasks?detail=1"), 200);
	cr_assert_not(hit());
	rh_buf_put(&first, resp.body.ptr, resp.body.size);
	cr_assert_eq(get(BASE "api/v0/tasks?detail=1"), 200);
	cr_assert(hit());
	cr_assert_eq(resp.body.size, first.size);
	cr_assert_eq(memcmp(resp.body.ptr, first.ptr, first.size), 0);
	cr_assert_str_eq(resp.content_type, "application/json");

	/* the event loop's entry point: only what was kept, nothing else */
	rq.target = BASE "api/v0/tasks?detail=1";
	rq.now_ms = T0;
	cr_assert_eq(rh_dashboard_handle_cached(&r2, d, &rq), 1);
	cr_assert_eq(r2.body.size, first.size);
	rh_dashboard_response_dispose(&r2);
	rq.target = BASE "api/v0/tasks?detail=0";
	cr_assert_eq(rh_dashboard_handle_cached(&r2, d, &rq), 0);
	cr_assert_eq(r2.status, 0);

	/* gzip is another answer */
	cr_assert_eq(
		req_full("GET", BASE "api/v0/tasks?detail=1", NULL, "gzip"),
		200);
	cr_assert_not(hit());
	cr_assert_str_eq(
		rh_dashboard_response_header(&resp, "Content-Encoding"),
		"gzip");
	cr_assert_eq(
		req_full("GET", BASE "api/v0/tasks?detail=1", NULL, "gzip"),
		200);
	cr_assert(hit());
	cr_assert_str_eq(
		rh_dashboard_response_header(&resp, "Content-Encoding"),
		"gzip");

	/* logs too, byte for byte */
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=" WORKER_OUT "&lines=-1"),
	             200);
	cr_assert_not(hit());
	cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
	                      "&filename=" WORKER_OUT "&lines=-1"),
	             200);
	cr_assert(hit());
	cr_assert_eq(resp.body.size, sizeof(WORKER_TEXT) - 1);
	cr_assert_eq(memcmp(resp.body.ptr, WORKER_TEXT, resp.body.size), 0);
	rh_buf_dispose(&first);
}

Test(dashboard, pages_errors_and_the_clock_are_not_kept)
{
	int i;

	for (i = 0; i < 2; i++) {
		cr_assert_eq(get("/"), 200);
		cr_assert_not(hit());
		cr_assert_eq(get(BASE), 200);
		cr_assert_not(hit());
		cr_assert_eq(get(BASE "api/v0/tasks?limit=x"), 400);
		cr_assert_not(hit());
		cr_assert_eq(get(BASE "api/v0/logs/file?node_id=" NODE
		                      "&filename=nope.log"),
		             404);
		cr_assert_not(hit());
		/* NodeDetail carries "now" */
		cr_assert_eq(get(BASE "nodes?view=summary"), 200);
		cr_assert_not(hit());
		/* the download's name carries the time */
		cr_assert_eq(get(BASE "api/v0/tasks/timeline?download=1"), 200);
		cr_assert_not(hit());
		/* chosen by cookie: the same target is another session */
		cr_assert_eq(req_full("GET", "/api/v0/tasks",
		                      "cluster_namespace=default; "
		                      "cluster_name=c1; session_name=" SESSION,
		                      NULL),
		             200);
		cr_assert_not(hit());
	}
}

Test(dashboard, a_live_session_keeps_answers_one_second)
{
	/* the generated session has no end_ms: its logs may still grow */
	cr_assert_eq(get_at(BASE "api/jobs/", T0), 200);
	cr_assert_not(hit());
	cr_assert_eq(get_at(BASE "api/jobs/", T0 + 999), 200);
	cr_assert(hit());
	cr_assert_eq(get_at(BASE "api/jobs/", T0 + 1000), 200);
	cr_assert_not(hit());
	cr_assert_eq(get_at(BASE "api/jobs/", T0 + 1500), 200);
	cr_assert(hit());
}

/* Rewrite the session's manifest with its start and `more` fields (",..."),
 * as a collector would. */
static void put_session_json(const char *more_fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
put_session_json(const char *more_fmt, ...)
{
	rh_session_ref s = { "default", "c1", SESSION };
	rh_session_info info;
	rh_buf key = RH_BUF_INIT, json = RH_BUF_INIT;
	va_list ap;

	cr_assert_eq(rh_session_info_load(&info, st, &s), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh_layout_session_prefix(&key, &s), 0);
	rh_buf_puts(&key, "session.json");
	rh_buf_printf(&json,
	              "{\"format\":1,\"namespace\":\"default\",\"cluster\":"
	              "\"c1\",\"session\":\"%s\",\"start_ms\":%lld",
	              SESSION, (long long)info.start_ms);
	va_start(ap, more_fmt);
	rh_buf_vprintf(&json, more_fmt, ap);
	va_end(ap);
	rh_buf_puts(&json, "}");
	cr_assert_eq(rh_store_put(st, key.ptr, json.ptr, json.size), 0);
	rh_buf_dispose(&key);
	rh_buf_dispose(&json);
}

Test(dashboard, an_ended_session_keeps_answers_until_the_index_changes)
{
	/* as a follower's last word marks it */
	put_session_json(",\"end_ms\":%lld", (long long)T0);
	cr_assert_eq(get_at(BASE "api/v0/actors", T0), 200);
	cr_assert_not(hit());
	cr_assert_eq(get_at(BASE "api/v0/actors", T0 + 3600000), 200);
	cr_assert(hit());
}

Test(dashboard, an_abandoned_session_keeps_answers)
{
	rh_session_ref s = { "default", "c1", SESSION };
	rh_session_info info;

	/* the head's collector beat until an hour ago, then stopped */
	put_session_json(
		",\"heartbeat_ms\":%lld,\"heartbeat_interval_ms\":5000",
		(long long)(rh_dashboard__now_ms() - 3600000));
	cr_assert_eq(rh_session_info_load(&info, st, &s), 0);
	cr_assert_eq(info.state, RH_SESSION_ABANDONED);
	cr_assert_eq(get_at(BASE "api/v0/actors", T0), 200);
	cr_assert_not(hit());
	cr_assert_eq(get_at(BASE "api/v0/actors", T0 + 3600000), 200);
	cr_assert(hit());
}

Test(dashboard, kept_answers_stay_within_their_memory)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
	char t[128];
	int i;

	rh_dashboard_free(d);
	o.cache_bytes = 16 << 10;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
	/* a task list is larger than a sixteenth of 16 KiB: never kept */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(get(BASE "api/v0/tasks?detail=1&limit=100"), 200);
		cr_assert_gt(resp.body.size, 1024);
		cr_assert_not(hit());
	}
	for (i = 0; i < 200; i++) {
		snprintf(t, sizeof(t), BASE "api/v0/placement_groups?n=%d", i);
		cr_assert_eq(get(t), 200);
	}
	cr_assert_eq(get(BASE "api/v0/placement_groups?n=199"), 200);
	cr_assert(hit());
	cr_assert_eq(get(BASE "api/v0/placement_groups?n=0"), 200);
	cr_assert_not(hit(), "the least recently used answer was not dropped");
}

Test(dashboard, no_cache_when_turned_off)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;

	rh_dashboard_free(d);
	o.cache_bytes = -1;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
	cr_assert_eq(get(BASE "api/jobs/"), 200);
	cr_assert_eq(get(BASE "api/jobs/"), 200);
	cr_assert_not(hit());
}

Test(dashboard_scheduled, a_new_index_is_a_new_answer)
{
	rh_session_ref s = { "default", "c1", SESSION };
	rh_buf prefix = RH_BUF_INIT;
	static const char MORE[] =
		"[{\"eventId\":\"99\",\"sourceType\":\"CORE_WORKER\",\"eventType\":"
		"\"TASK_DEFINITION_EVENT\",\"timestamp\":\"2025-01-02T03:04:20Z\","
		"\"severity\":\"INFO\",\"taskDefinitionEvent\":{\"taskId\":"
		"\"c8ef45ccd0112573ffffffffffffffffffffffff01000000\",\"taskType\":"
		"\"NORMAL_TASK\",\"taskName\":\"late\",\"jobId\":\"" JOB "\","
		"\"taskAttempt\":0,\"language\":\"PYTHON\"}}]";
	/* the dashboard stamps its looks for news with the real clock */
	int64_t t0 = rh_dashboard__now_ms();

	cr_assert_eq(get_at(BASE "api/v0/tasks", t0), 202);
	pending_fn(pending_arg);
	pending_fn = NULL;
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0), 200);
	cr_assert_not(strstr(resp.body.ptr, "late"));
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 500), 200);
	cr_assert(hit());

	/* events arrive; the next look for news (30 s on) builds a new index */
	cr_assert_eq(rh_layout_session_prefix(&prefix, &s), 0);
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix.ptr, "more.json",
	                              MORE, sizeof(MORE) - 1),
	             0, "%s", rh_error_last());
	rh_buf_dispose(&prefix);
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 31000), 200);
	cr_assert_not(hit(), "a refresh was due: the full path must start it");
	cr_assert_not_null(pending_fn);
	/* while it runs, the old snapshot's answers still serve */
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 31100), 200);
	cr_assert(hit());
	cr_assert_not(strstr(resp.body.ptr, "late"));
	pending_fn(pending_arg);
	pending_fn = NULL;
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 31200), 200);
	cr_assert_not(hit());
	cr_assert(strstr(resp.body.ptr, "late"));
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 31300), 200);
	cr_assert(hit());
}

Test(dashboard_scheduled, a_final_session_is_looked_at_ten_times_less_often)
{
	int64_t t0 = rh_dashboard__now_ms();

	put_session_json(",\"end_ms\":%lld", (long long)t0);
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0), 202);
	pending_fn(pending_arg);
	pending_fn = NULL;
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 1000), 200);
	/* 30 s on a live session would look again; an ended one waits */
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 31000), 200);
	cr_assert(hit());
	cr_assert_null(pending_fn);
	cr_assert_eq(get_at(BASE "api/v0/tasks", t0 + 301000), 200);
	cr_assert_not(hit());
	cr_assert_not_null(pending_fn,
	                   "an ended session is never looked at again");
}

Test(dashboard, the_picker_keeps_what_it_read_for_a_while)
{
	cr_assert_eq(get_at("/clusters", T0), 200);
	cr_assert(strstr(resp.body.ptr, "\"rayVersion\":\"\""), "%s",
	          resp.body.ptr);
	put_session_json(",\"ray_version\":\"2.52.0\"");
	/* a live session's facts are looked at again after 30 s */
	cr_assert_eq(get_at("/clusters", T0 + 29000), 200);
	cr_assert(strstr(resp.body.ptr, "\"rayVersion\":\"\""), "%s",
	          resp.body.ptr);
	cr_assert_eq(get_at("/clusters", T0 + 30000), 200);
	cr_assert(strstr(resp.body.ptr, "\"rayVersion\":\"2.52.0\""), "%s",
	          resp.body.ptr);
}

Test(dashboard, the_picker_reads_many_sessions_at_once)
{
	char key[256], json[512];
	int i;

	/* 40 more sessions of another cluster, one a day: the rows are read
	 * by several threads and must still come out whole and in order */
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key),
		         "default/c2/session_2024-12-%02d_00-00-00_000000_%d/"
		         "session.json",
		         1 + i % 28, 100 + i);
		snprintf(
			json, sizeof(json),
			"{\"format\":1,\"namespace\":\"default\","
			"\"cluster\":\"c2\",\"session\":\"session_2024-12-%02d_00-00-00_000000_%d\","
			"\"start_ms\":%lld,\"ray_version\":\"2.%d.0\"}",
			1 + i % 28, 100 + i,
			(long long)(1733011200000LL +
		                    (int64_t)(i % 28) * 86400000LL),
			i);
		cr_assert_eq(rh_store_put(st, key, json, strlen(json)), 0);
	}
	jget("/clusters", 200);
	cr_assert_eq(json_object_array_length(doc), 41);
	cr_assert_str_eq(str_at(doc, "0.sessionName"), SESSION); /* newest */
	for (i = 1; i < 41; i++) {
		json_object *r = json_object_array_get_idx(doc, (size_t)i);
		json_object *p = json_object_array_get_idx(doc, (size_t)i - 1);
		const char *name = str_at(r, "sessionName");
		int n = atoi(strrchr(name, '_') + 1) - 100;
		char want[16];

		cr_assert_str_eq(str_at(r, "name"), "c2");
		snprintf(want, sizeof(want), "2.%d.0", n);
		cr_assert_str_eq(str_at(r, "rayVersion"), want, "%s", name);
		cr_assert_eq(json_object_get_int(at(r, "nodes")), 0);
		cr_assert_leq(json_object_get_int64(at(r, "startTimeMs")),
		              json_object_get_int64(at(p, "startTimeMs")));
	}
}

/* Base64 of 4 bytes (a job id as Ray's events carry it). */
static void
b64_4(char out[9], const unsigned char b[4])
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	out[0] = a[b[0] >> 2];
	out[1] = a[(b[0] & 3) << 4 | b[1] >> 4];
	out[2] = a[(b[1] & 15) << 2 | b[2] >> 6];
	out[3] = a[b[2] & 63];
	out[4] = a[b[3] >> 2];
	out[5] = a[(b[3] & 3) << 4];
	out[6] = out[7] = '=';
	out[8] = '\0';
}

/* The session page marks at most 1,000 jobs on its chart; past that it says
 * so instead of silently leaving jobs out. */
Test(dashboard, session_page_says_when_it_stops_at_its_job_limit)
{
	rh_session_ref s = { "default", "c1",
		             "session_2025-01-03_00-00-00_000000_1" };
	rh_buf prefix = RH_BUF_INIT, ev = RH_BUF_INIT;
	int i;

	cr_assert_eq(get(BASE "rayhist/session"), 200);
	cr_assert_null(strstr(resp.body.ptr, "id=\"jobs-cut\""));
	for (i = 1; i <= 1001; i++) {
		unsigned char b[4] = { (unsigned char)i,
			               (unsigned char)(i >> 8), 0, 0 };
		char id[9];

		b64_4(id, b);
		rh_buf_printf(
			&ev,
			"%s{\"eventType\":\"DRIVER_JOB_DEFINITION_EVENT\","
			"\"driverJobDefinitionEvent\":{\"jobId\":\"%s\",\"entrypoint\":"
			"\"python j.py\",\"driverPid\":\"%d\"}},{\"eventType\":"
			"\"DRIVER_JOB_LIFECYCLE_EVENT\",\"driverJobLifecycleEvent\":{"
			"\"jobId\":\"%s\",\"stateTransitions\":[{\"state\":\"CREATED\","
			"\"timestamp\":\"2025-01-03T00:%02d:%02dZ\"},{\"state\":"
			"\"FINISHED\",\"timestamp\":\"2025-01-03T01:%02d:%02dZ\"}]}}",
			i == 1 ? "[" : ",", id, i, id, i / 60 % 60, i % 60,
			i / 60 % 60, i % 60);
	}
	rh_buf_puts(&ev, "]");
	cr_assert_eq(rh_layout_session_prefix(&prefix, &s), 0);
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix.ptr, "jobs.json",
	                              ev.ptr, ev.size),
	             0, "%s", rh_error_last());
	cr_assert_eq(get("/c/default/c1/session_2025-01-03_00-00-00_000000_1/"
	                 "rayhist/session"),
	             200, "%.300s", resp.body.ptr);
	cr_assert(strstr(resp.body.ptr,
	                 "id=\"jobs-cut\">Only the first 1000 jobs"),
	          "%.2000s", resp.body.ptr);
	rh_buf_dispose(&prefix);
	rh_buf_dispose(&ev);
}

/* A live session's update rewrites its whole index: updates are spaced by
 * four times what the last one took, so they stay under a fifth of a core
 * whatever the session's size; otherwise every refresh interval (ten
 * times that once the session is final). */
Test(dashboard_refresh, updates_are_spaced_by_their_cost)
{
	cr_assert_eq(rh_dashboard__refresh_every(1000, 0, 0), 1000);
	cr_assert_eq(rh_dashboard__refresh_every(1000, 0, 100), 1000);
	cr_assert_eq(rh_dashboard__refresh_every(1000, 0, 3000), 12000);
	cr_assert_eq(rh_dashboard__refresh_every(1000, 1, 100), 10000);
	cr_assert_eq(rh_dashboard__refresh_every(1000, 1, 5000), 20000);
}
