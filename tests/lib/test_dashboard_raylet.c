/* Tests of lib/dashboard_raylet.c: the raylet fields of Ray's node detail
 * that come from a node's captured files (sockets, ports, object store),
 * and a snapshot refresh that reads them again only when those files
 * changed. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dashboard_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-01-02_03-04-05_678901_99"
#define BASE "/c/default/c1/" SESSION "/"
#define SOCKETS "/tmp/ray/" SESSION "/sockets"

static char tmp[256], sdir[320];
static rh_store *st;
static rh_dashboard *d;
static rh_dashboard_response resp = RH_DASHBOARD_RESPONSE_INIT;
static json_object *doc;

static const char RAYLET_OUT[] =
	"[2025-01-02 03:04:05,678 I 99 99] (raylet) main.cc:595: Setting node ID node_id=" NODE
	"\n"
	"[2025-01-02 03:04:05,700 I 99 99] (raylet) raylet.cc:136: Raylet of id, " NODE
	" started. Raylet consists of node_manager and object_manager. node_manager "
	"address: 10.0.0.1:43221 object_manager address: 10.0.0.1:8076 hostname: h1\n";
static const char PORTS[] =
	"{\"10.0.0.1:" SOCKETS
	"/plasma_store\": {\"metrics_agent_port\": 61234, "
	"\"metrics_export_port\": 8090, \"dashboard_agent_listen_port\": 52365, "
	"\"runtime_env_agent_port\": 55555}}";
static const char BATCH[] =
	"[{\"eventId\":\"01\",\"sourceType\":\"GCS\",\"eventType\":\"NODE_DEFINITION_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:06Z\",\"severity\":\"INFO\","
	"\"nodeDefinitionEvent\":{\"nodeId\":\"" NODE
	"\",\"nodeIpAddress\":\"10.0.0.1\","
	"\"labels\":{\"ray.io/node-group\":\"headgroup\"}}},"
	"{\"eventId\":\"02\",\"sourceType\":\"GCS\",\"eventType\":\"NODE_LIFECYCLE_EVENT\","
	"\"timestamp\":\"2025-01-02T03:04:06Z\",\"severity\":\"INFO\","
	"\"nodeLifecycleEvent\":{\"nodeId\":\"" NODE
	"\",\"stateTransitions\":[{\"timestamp\":"
	"\"2025-01-02T03:04:06Z\",\"resources\":{\"CPU\":4.0,"
	"\"object_store_memory\":2147483648.0},\"state\":\"ALIVE\"}]}}]";

static void
put(const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", sdir, name);
	cr_assert_not_null(f = fopen(p, "wb"), "%s", p);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

static void
unix_socket(const char *name)
{
	struct sockaddr_un a;
	char p[512];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(p, sizeof(p), "%s/%s", sdir, name);
	cr_assert_lt(strlen(p), sizeof(a.sun_path), "%s", p);
	memcpy(a.sun_path, p, strlen(p) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "%s",
	             a.sun_path);
	close(fd);
}

static void
capture(void)
{
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;

	o.cluster = "c1";
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
}

static int
run_now(rh_dashboard_work_fn fn, void *arg, void *payload)
{
	(void)payload;
	fn(arg);
	return 0;
}

static void
setup(void)
{
	rh_dashboard_options o = RH_DASHBOARD_OPTIONS_INIT;
	rh_session_ref s = { "default", "c1", SESSION };
	rh_buf prefix = RH_BUF_INIT;
	char url[300], cmd[700];

	snprintf(tmp, sizeof(tmp), "/tmp/rh_draylet_XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/logs %s/sockets", sdir, sdir);
	cr_assert_eq(system(cmd), 0);
	put("logs/raylet.out", RAYLET_OUT);
	put("logs/gcs_server.out", "gcs\n");
	put("logs/debug_state.txt",
	    "NodeManager:\nNode ID: " NODE "\n"
	    "ObjectManager:\n- num local objects: 5\n- num unfulfilled push requests: 0\n");
	put("ports_by_node.json", PORTS);
	put("node_ip_address.json", "{\"node_ip_address\": \"10.0.0.1\"}");
	unix_socket("sockets/raylet");
	unix_socket("sockets/plasma_store");
	snprintf(url, sizeof(url), "file://%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, url, NULL), 0, "%s", rh_error_last());
	capture();
	cr_assert_eq(rh_layout_session_prefix(&prefix, &s), 0);
	cr_assert_eq(rh_events_ingest(NULL, NULL, st, prefix.ptr, "batch.json",
	                              BATCH, sizeof(BATCH) - 1),
	             0, "%s", rh_error_last());
	rh_buf_dispose(&prefix);
	o.schedule = run_now;
	o.refresh_ms = 1000;
	cr_assert_eq(rh_dashboard_new(&d, st, &o), 0, "%s", rh_error_last());
}

static void
teardown(void)
{
	char cmd[300];

	json_object_put(doc);
	doc = NULL;
	rh_dashboard_response_dispose(&resp);
	rh_dashboard_free(d);
	rh_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", tmp);
}

TestSuite(dashboard_raylet, .init = setup, .fini = teardown);

/* The raylet object of nodes/NODE at `now_ms`, after the session is
 * ready. */
static json_object *
raylet_at(int64_t now_ms)
{
	rh_dashboard_request rq = RH_DASHBOARD_REQUEST_INIT;
	json_object *r = NULL;
	int i;

	rq.target = BASE "nodes/" NODE;
	rq.now_ms = now_ms;
	for (i = 0; i < 3; i++) { /* the first visit answers 202 */
		cr_assert_eq(rh_dashboard_handle(&resp, d, &rq), 0, "%s",
		             rh_error_last());
		if (resp.status != 202)
			break;
	}
	cr_assert_eq(resp.status, 200, "%d %.300s", resp.status, resp.body.ptr);
	json_object_put(doc);
	cr_assert_not_null(doc = json_tokener_parse(resp.body.ptr));
	cr_assert(json_object_object_get_ex(doc, "data", &r) &&
	          json_object_object_get_ex(r, "detail", &r) &&
	          json_object_object_get_ex(r, "raylet", &r));
	return r;
}

static const char *
s_of(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_string(v);
}

static int64_t
i_of(json_object *o, const char *k)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no %s", k);
	cr_assert(json_object_is_type(v, json_type_int), "%s is not a number",
	          k);
	return json_object_get_int64(v);
}

Test(dashboard_raylet, fields_come_from_the_node_files)
{
	json_object *r = raylet_at(1735787100000), *ss;

	cr_assert_str_eq(s_of(r, "objectStoreSocketName"),
	                 SOCKETS "/plasma_store");
	cr_assert_str_eq(s_of(r, "rayletSocketName"), SOCKETS "/raylet");
	cr_assert_eq(i_of(r, "metricsExportPort"), 8090);
	cr_assert_eq(i_of(r, "runtimeEnvAgentPort"), 55555);
	cr_assert_eq(i_of(r, "objectManagerPort"), 8076);
	cr_assert_str_eq(s_of(r, "nodeTypeName"), "headgroup");
	cr_assert(json_object_object_get_ex(r, "storeStats", &ss));
	cr_assert_eq(i_of(ss, "numLocalObjects"), 5);
	cr_assert_eq(i_of(ss, "objectStoreBytesAvail"), 2147483648LL);
}

/* A refresh copies the facts while their files stay as they were, and
 * reads them again once a file changed. */
Test(dashboard_raylet, refresh_reads_changed_files_only)
{
	/* a refresh is due refresh_ms after the last one ended, by the clock */
	int64_t t = rh_dashboard__now_ms();
	json_object *r = raylet_at(t), *ss;

	raylet_at(t + 60000); /* starts a refresh, nothing changed */
	r = raylet_at(t + 60001);
	cr_assert(json_object_object_get_ex(r, "storeStats", &ss));
	cr_assert_eq(i_of(ss, "numLocalObjects"), 5);
	cr_assert_str_eq(s_of(r, "rayletSocketName"), SOCKETS "/raylet");
	cr_assert_eq(i_of(r, "metricsExportPort"), 8090);

	put("logs/debug_state.txt",
	    "NodeManager:\nNode ID: " NODE "\n"
	    "ObjectManager:\n- num local objects: 12\n- num unfulfilled push requests: 0\n");
	capture();
	raylet_at(t + 120000); /* starts a refresh */
	r = raylet_at(t + 120001);
	cr_assert(json_object_object_get_ex(r, "storeStats", &ss));
	cr_assert_eq(i_of(ss, "numLocalObjects"), 12);
}

/* Files that say nothing leave the fields as protobuf prints unset ones. */
Test(dashboard_raylet, missing_files_leave_fields_unset)
{
	json_object *r, *ss;

	put("ports_by_node.json", "not json");
	put("logs/debug_state.txt", "NodeManager:\n");
	capture();
	r = raylet_at(1735787100000);
	cr_assert_str_eq(s_of(r, "objectStoreSocketName"), "");
	cr_assert_str_eq(s_of(r, "rayletSocketName"), "");
	cr_assert_eq(i_of(r, "metricsExportPort"), 0);
	cr_assert(json_object_object_get_ex(r, "storeStats", &ss));
	cr_assert(!json_object_object_get_ex(ss, "numLocalObjects", NULL));
}
