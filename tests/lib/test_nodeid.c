/* Tests of lib/capture_nodeid.c: a node's id comes only from lines in which
 * its raylet names itself, in any rotation, and disagreement is an error.
 * Also: an exact node id wins over a prefix when reading (catalog.c). */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SELF "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define OTHER "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c"
#define THIRD "77777777777777777777777777777777777777777777777777777777"
#define PRE "[2025-11-12 22:10:31,123 I 1234 1234] (raylet) "

static char dir[256];

static void
put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	cr_assert_not_null(fp = fopen(path, "w"), "%s: %s", path,
	                   strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

static void
setup(void)
{
	char path[512];

	snprintf(dir, sizeof(dir), "/tmp/rh-test-nodeid-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/logs", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs/old", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(nodeid, .init = setup, .fini = teardown);

/* What a rotated raylet.out starts with: other nodes, named the same way. */
static const char *rotated_head = PRE
	"accessor.cc:762: Received notification for node, IsAlive = 1 node_id=" OTHER
	"\n" PRE
	"accessor.cc:762: Received notification for node, IsAlive = 0 node_id=" THIRD
	"\n" PRE
	"node_manager.cc:1025: [state-dump] NodeManager: node_id=" OTHER
	"\n" PRE
	"core_worker_client_pool.cc:91: Disconnected from node node_id=" THIRD
	"\n";

static int
resolve(char *id)
{
	return rh_capture_node_id(id, dir, NULL);
}

Test(nodeid, setting_line_in_the_current_log)
{
	char id[130];

	put("logs/raylet.out",
	    PRE "main.cc:266: Ray raylet version: 2.50.0\n" PRE
	        "main.cc:595: Setting node ID node_id=" SELF "\n" PRE "x\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, other_nodes_first_and_the_setting_line_in_a_rotation)
{
	char id[130];

	put("logs/raylet.out", rotated_head);
	put("logs/raylet.out.2", rotated_head);
	put("logs/raylet.out.3",
	    PRE "main.cc:595: Setting node ID node_id=" SELF "\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
	/* The single-file lookup never takes another node's id either. */
	char path[512];
	snprintf(path, sizeof(path), "%s/logs/raylet.out", dir);
	cr_assert_eq(rh_capture_find_node_id(id, path), RH_ENOTFOUND);
}

Test(nodeid, setting_line_only_under_logs_old)
{
	char id[130];

	put("logs/raylet.out", rotated_head);
	put("logs/old/raylet.out.1",
	    PRE "main.cc:595: Setting node ID node_id=" SELF "\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, debug_state_alone)
{
	char id[130];

	put("logs/raylet.out", rotated_head);
	put("logs/debug_state.txt",
	    "NodeManager:\nNode ID: " SELF "\nNode name: 10.0.0.1\n"
	    "ClusterLeaseManager:\n========== Node: " OTHER
	    " =================\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, other_start_up_lines)
{
	char id[130];

	put("logs/raylet.out", PRE
	    "node_manager.cc:311: Initializing NodeManager node_id=" SELF "\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
	put("logs/raylet.out",
	    PRE "raylet.cc:136: Raylet of id, " SELF " started. Raylet "
	        "consists of node_manager and object_manager.\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, json_log_lines)
{
	char id[130];

	put("logs/raylet.out",
	    "{\"asctime\":\"2025-11-12 22:10:31,123\",\"levelname\":\"I\",\"message\":"
	    "\"Received notification for node, IsAlive = 1\",\"filename\":\"accessor.cc\","
	    "\"lineno\":762,\"node_id\":\"" OTHER "\"}\n"
	    "{\"asctime\":\"2025-11-12 22:10:31,124\",\"levelname\":\"I\",\"message\":"
	    "\"Setting node ID\",\"filename\":\"main.cc\",\"lineno\":595,\"node_id\":\"" SELF
	    "\"}\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, only_other_nodes_is_not_found_and_says_what_was_searched)
{
	char id[130];
	const char *m;

	put("logs/raylet.out", rotated_head);
	put("logs/raylet.out.1", rotated_head);
	put("logs/raylet.out.5",
	    PRE "gcs_health_check_manager.cc:108: The node with node "
	        "id: " OTHER " and address: 10.0.0.2 has been marked dead\n");
	cr_assert_eq(resolve(id), RH_ENOTFOUND);
	m = rh_error_last();
	cr_assert_not_null(
		strstr(m,
	               "logs/raylet.out, logs/raylet.out.1, logs/raylet.out.5"),
		"%s", m);
	cr_assert_not_null(strstr(m, "logs/debug_state.txt"), "%s", m);
	cr_assert_not_null(strstr(m, "Setting node ID"), "%s", m);
	cr_assert_not_null(strstr(m, "--node-id"), "%s", m);
	cr_assert_null(strstr(m, OTHER), "%s", m);
}

Test(nodeid, nothing_at_all_is_not_found)
{
	char id[130];

	cr_assert_eq(resolve(id), RH_ENOTFOUND);
	cr_assert_not_null(strstr(rh_error_last(), "debug_state.txt"), "%s",
	                   rh_error_last());
}

Test(nodeid, disagreement_is_an_error_naming_each_source)
{
	char id[130];
	const char *m;

	put("logs/raylet.out", rotated_head);
	put("logs/raylet.out.1",
	    PRE "main.cc:595: Setting node ID node_id=" SELF "\n");
	put("logs/debug_state.txt", "NodeManager:\nNode ID: " OTHER "\n");
	cr_assert_eq(resolve(id), RH_EINVAL);
	m = rh_error_last();
	cr_assert_not_null(
		strstr(m,
	               "logs/raylet.out.1 line 1 (Setting node ID) says " SELF),
		"%s", m);
	cr_assert_not_null(
		strstr(m, "logs/debug_state.txt line 2 (Node ID) says " OTHER),
		"%s", m);
}

Test(nodeid, two_generations_that_disagree)
{
	char id[130];

	put("logs/raylet.out.1",
	    PRE "main.cc:595: Setting node ID node_id=" SELF "\n");
	put("logs/old/raylet.out",
	    PRE "main.cc:595: Setting node ID node_id=" THIRD "\n");
	cr_assert_eq(resolve(id), RH_EINVAL);
	cr_assert_not_null(
		strstr(rh_error_last(), "logs/old/raylet.out line 1"), "%s",
		rh_error_last());
}

Test(nodeid, agreeing_sources_are_fine)
{
	char id[130];

	put("logs/raylet.out", rotated_head);
	put("logs/raylet.out.1", PRE
	    "main.cc:595: Setting node ID node_id=" SELF "\n" PRE
	    "node_manager.cc:311: Initializing NodeManager node_id=" SELF "\n");
	put("logs/debug_state.txt", "NodeManager:\nNode ID: " SELF "\n");
	cr_assert_eq(resolve(id), 0, "%s", rh_error_last());
	cr_assert_str_eq(id, SELF);
}

Test(nodeid, ids_of_other_lengths_are_not_ids)
{
	char id[130];

	put("logs/raylet.out",
	    PRE "main.cc:595: Setting node ID node_id=" SELF "00\n" PRE
	        "main.cc:595: Setting node ID node_id=0f690c018f33\n");
	cr_assert_eq(resolve(id), RH_ENOTFOUND);
}

Test(nodeid, given_id_must_be_full)
{
	char id[130];

	cr_assert_eq(rh_capture_node_id(id, NULL, SELF), 0);
	cr_assert_str_eq(id, SELF);
	cr_assert_eq(
		rh_capture_node_id(
			id, NULL,
			"0F690C018F332312C5B989CB5E700A26DBAE9B206FEB5F1F086485EE"),
		0);
	cr_assert_str_eq(id, SELF);
	cr_assert_eq(rh_capture_node_id(id, NULL, "0f690c018f33"), RH_EINVAL);
	cr_assert_not_null(strstr(rh_error_last(), "56 hex digits"), "%s",
	                   rh_error_last());
	cr_assert_eq(rh_capture_node_id(id, NULL, SELF "0"), RH_EINVAL);
	cr_assert_eq(rh_capture_node_id(id, NULL, ""), RH_EINVAL);
	cr_assert_eq(
		rh_capture_node_id(
			id, NULL,
			"zz690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"),
		RH_EINVAL);
	/* A given id wins: the files are not read. */
	put("logs/raylet.out",
	    PRE "main.cc:595: Setting node ID node_id=" OTHER "\n");
	cr_assert_eq(rh_capture_node_id(id, dir, SELF), 0);
	cr_assert_str_eq(id, SELF);
}

/* ---- reading: an exact id wins over a prefix -------------------------------- */

Test(nodeid, exact_id_wins_over_prefix_when_reading)
{
	rh_store *st;
	rh_buf url = RH_BUF_INIT, id = RH_BUF_INIT;
	rh_session_ref s = { "default", "c", "session_x" };
	const char *keys[] = { "default/c/session_x/nodes/ab12/node.json",
		               "default/c/session_x/nodes/ab1234/node.json",
		               "default/c/session_x/nodes/ab1299/node.json" };
	size_t i;

	cr_assert_eq(rh_buf_printf(&url, "file://%s/store", dir), 0);
	cr_assert_eq(rh_store_open(&st, url.ptr, NULL), 0, "%s",
	             rh_error_last());
	for (i = 0; i < 3; i++)
		cr_assert_eq(rh_store_put(st, keys[i], "{}", 2), 0);
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &s, "ab12"), 0, "%s",
	             rh_error_last());
	cr_assert_str_eq(id.ptr, "ab12");
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &s, "ab123"), 0);
	cr_assert_str_eq(id.ptr, "ab1234");
	cr_assert_eq(rh_catalog_resolve_node(&id, st, &s, "ab1"), RH_EINVAL);
	rh_store_close(st);
	rh_buf_dispose(&url);
	rh_buf_dispose(&id);
}
