/* Tests of lib/follow_checkpoint.c: a follower's state round trips through its
 * checkpoint text and file; torn, damaged and hostile checkpoints are
 * refused with RH_ECORRUPT and a message. */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "follow_internal.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-11-12_22-10-31_123456_42"
#define FILES "default/c1/" SESSION "/nodes/" NODE "/files/"

static char tmp[256];

static void
setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-ckpt-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void
teardown(void)
{
	char cmd[300];

	if (!getenv("RH_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		cr_assert_eq(system(cmd), 0);
	}
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

static rh__ffile *
file(const char *path, const char *obj, uint64_t ino, const uint64_t *lens,
     size_t n)
{
	rh__ffile *f = calloc(1, sizeof(*f));
	uint64_t off = 0;
	size_t i;

	cr_assert_not_null(f);
	f->path = strdup(path);
	f->obj = strdup(obj);
	f->dev = 2049;
	f->ino = ino;
	for (i = 0; i < n; i++) {
		rh_file_part p = { off, lens[i], lens[i] / 3 + 1,
			           1700000000000 + (int64_t)i };
		cr_assert_eq(rh__ffile_add_part(f, &p), 0);
		off += lens[i];
	}
	f->seen = off + 10;
	f->mtime_ms = 1700000000123;
	f->head_len = off < RH_HEAD_LEN ? (uint32_t)off : RH_HEAD_LEN;
	f->head_hash = 0xfedcba9876543210ULL;
	return f;
}

static rh__fstate *
sample(void)
{
	static const uint64_t a[] = { 300000, 5000 }, b[] = { 77 }, c[] = { 1 };
	rh__fstate *s;

	cr_assert_eq(rh__fstate_new(&s), 0);
	s->store_url = strdup("file:///tmp/store");
	s->ns = strdup("default");
	s->cluster = strdup("c1");
	s->session = strdup(SESSION);
	s->node_id = strdup(NODE);
	s->node_ip = strdup("10.0.0.7");
	s->is_head = 1;
	s->seq = 42;
	cr_assert_eq(rh__fstate_insert(s, file("logs/raylet.out.1",
	                                       "logs/raylet.out", 11, a, 2)),
	             0);
	cr_assert_eq(rh__fstate_insert(s, file("logs/raylet.out",
	                                       "logs/raylet.out~1", 12, b, 1)),
	             0);
	cr_assert_eq(rh__fstate_insert(s, file("logs/empty.log",
	                                       "logs/empty.log", 13, NULL, 0)),
	             0);
	{
		rh__ffile *g = file("logs/old/worker-1.out",
		                    "logs/worker-1.out", UINT64_MAX, c, 1);
		g->gone = 1;
		cr_assert_eq(rh__fstate_insert(s, g), 0);
	}
	cr_assert_eq(rh__fstate_add_delete(
			     s, FILES "logs/x.log@00000000000000000000.zst"),
	             0);
	return s;
}

static void
round_trip(const char *text, size_t len)
{
	rh__fstate *s = NULL;
	rh_buf again = RH_BUF_INIT;

	cr_assert_eq(rh__checkpoint_parse(&s, text, len, "t"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh__checkpoint_serialize(&again, s), 0);
	cr_assert_eq(again.size, len);
	cr_assert(memcmp(again.ptr, text, len) == 0);
	rh__fstate_free(s);
	rh_buf_dispose(&again);
}

Test(checkpoint, state_round_trips)
{
	rh__fstate *s = sample(), *t = NULL;
	rh_buf text = RH_BUF_INIT;
	long at;

	cr_assert_eq(rh__checkpoint_serialize(&text, s), 0);
	round_trip(text.ptr, text.size);
	cr_assert_eq(rh__checkpoint_parse(&t, text.ptr, text.size, "t"), 0);
	cr_assert_eq(t->nfiles, 4);
	cr_assert_eq(t->seq, 42);
	cr_assert_eq(t->is_head, 1);
	at = rh__fstate_find(t, "logs/raylet.out.1");
	cr_assert_geq(at, 0);
	cr_assert_str_eq(t->files[at]->obj, "logs/raylet.out");
	cr_assert_eq(t->files[at]->nparts, 2);
	cr_assert_eq(t->files[at]->size, 305000);
	cr_assert_eq(t->files[at]->ino, 11);
	cr_assert_eq(t->files[at]->head_hash, 0xfedcba9876543210ULL);
	at = rh__fstate_find(t, "logs/old/worker-1.out");
	cr_assert_eq(t->files[at]->gone, 1);
	cr_assert_eq(t->files[at]->ino, UINT64_MAX);
	cr_assert_eq(t->ndeletes, 1);
	cr_assert(rh__fstate_obj_in_use(t, "logs/raylet.out~1"));
	cr_assert(rh__fstate_obj_in_use(t, "logs/x.log"),
	          "a queued delete holds its name");
	cr_assert(!rh__fstate_obj_in_use(t, "logs/raylet.out.1"));
	rh__fstate_free(s);
	rh__fstate_free(t);
	rh_buf_dispose(&text);
}

Test(checkpoint, file_round_trips_and_replaces_atomically)
{
	rh__fstate *s = sample(), *t = NULL;
	char path[400];
	struct stat sb;

	cr_assert_eq(rh__checkpoint_read(&t, tmp, "ck.json"), RH_ENOTFOUND);
	cr_assert_eq(rh__checkpoint_write(tmp, "ck.json", s), 0);
	s->seq = 43;
	cr_assert_eq(rh__checkpoint_write(tmp, "ck.json", s), 0);
	cr_assert_eq(rh__checkpoint_read(&t, tmp, "ck.json"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(t->seq, 43);
	snprintf(path, sizeof(path), "%s/.ck.json.tmp", tmp);
	cr_assert_neq(stat(path, &sb), 0, "no temp file left");
	rh__fstate_free(s);
	rh__fstate_free(t);
}

Test(checkpoint, torn_file_is_ecorrupt_at_every_length)
{
	rh__fstate *s = sample(), *t = NULL;
	rh_buf text = RH_BUF_INIT;
	size_t n;

	cr_assert_eq(rh__checkpoint_serialize(&text, s), 0);
	/* Every prefix is what a write cut short could leave (were it not
	 * for the rename): none of them may parse. */
	for (n = 0; n < text.size; n++) {
		cr_assert_eq(rh__checkpoint_parse(&t, text.ptr, n, "torn"),
		             RH_ECORRUPT, "prefix of %zu bytes parsed", n);
		cr_assert_null(t);
	}
	cr_assert_neq(rh_error_last()[0], '\0');
	rh__fstate_free(s);
	rh_buf_dispose(&text);
}

static void
expect_corrupt(const char *json, const char *why)
{
	rh__fstate *t = NULL;

	cr_assert_eq(rh__checkpoint_parse(&t, json, strlen(json), "bad"),
	             RH_ECORRUPT, "%s: accepted", why);
	cr_assert_null(t);
	cr_assert_neq(rh_error_last()[0], '\0', "%s: no message", why);
}

#define HEAD                                                                          \
	"{\"format\":1,\"store\":\"s\",\"namespace\":\"default\",\"cluster\":\"c1\"," \
	"\"session\":\"" SESSION "\",\"node_id\":\"" NODE                             \
	"\",\"node_ip\":\"\","                                                        \
	"\"is_head\":false,\"seq\":1,"
#define FILE_(path, obj, size, parts)                                                   \
	"{\"path\":\"" path "\",\"object\":\"" obj "\","                                \
	"\"dev\":1,\"ino\":2,\"btime_ns\":0,\"size\":" #size                            \
	",\"seen\":" #size ",\"mtime_ms\":0,"                                           \
	"\"head_hash\":0,\"head_len\":0,\"gone\":false,\"link\":false,\"parts\":" parts \
	"}"

Test(checkpoint, hand_made_checkpoint_parses)
{
	const char *ok = HEAD "\"files\":[" FILE_(
		"a", "a", 10,
		"[[0,4,9,0],[4,6,9,0]]") "],"
					 "\"deletes\":[\"" FILES
					 "b@00000000000000000007.zst\"]}";
	rh__fstate *t = NULL;

	cr_assert_eq(rh__checkpoint_parse(&t, ok, strlen(ok), "ok"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(t->files[0]->size, 10);
	rh__fstate_free(t);
}

Test(checkpoint, damaged_or_hostile_checkpoints_are_refused)
{
	expect_corrupt("", "empty");
	expect_corrupt("[]", "not an object");
	expect_corrupt(HEAD "\"files\":[],\"deletes\":[]} x", "trailing bytes");
	expect_corrupt("{\"format\":2}", "unknown format");
	expect_corrupt(HEAD "\"files\":[],\"deletes\":[]", "not closed");
	expect_corrupt(HEAD "\"files\":{},\"deletes\":[]}",
	               "files not an array");
	expect_corrupt(HEAD "\"files\":[" FILE_(
			       "a", "a", 10,
			       "[[0,4,9,0],[5,5,9,0]]") "],"
	                                                "\"deletes\":[]}",
	               "gap between parts");
	expect_corrupt(HEAD "\"files\":[" FILE_(
			       "a", "a", 10,
			       "[[0,4,9,0],[3,7,9,0]]") "],"
	                                                "\"deletes\":[]}",
	               "overlapping parts");
	expect_corrupt(HEAD "\"files\":[" FILE_(
			       "a", "a", 11,
			       "[[0,4,9,0],[4,6,9,0]]") "],"
	                                                "\"deletes\":[]}",
	               "size not the parts' sum");
	expect_corrupt(HEAD "\"files\":[" FILE_(
			       "a", "a", 0, "[[0,0,9,0]]") "],"
	                                                   "\"deletes\":[]}",
	               "empty part");
	expect_corrupt(HEAD "\"files\":[" FILE_(
			       "a", "a", 4, "[[0,-4,9,0]]") "],"
	                                                    "\"deletes\":[]}",
	               "negative length");
	expect_corrupt(HEAD "\"files\":[" FILE_("a", "a", 4,
	                                        "[[0,4,9]]") "],"
	                                                     "\"deletes\":[]}",
	               "short part");
	expect_corrupt(HEAD "\"files\":[" FILE_("../a", "a", 0,
	                                        "[]") "],"
	                                              "\"deletes\":[]}",
	               "path escaping the session");
	expect_corrupt(HEAD "\"files\":[" FILE_("a", "/etc/a", 0,
	                                        "[]") "],"
	                                              "\"deletes\":[]}",
	               "absolute object");
	expect_corrupt(HEAD "\"files\":[" FILE_("a", "a", 0, "[]") "," FILE_(
			       "a", "b", 0, "[]") "],\"deletes\":[]}",
	               "a path twice");
	expect_corrupt(HEAD "\"files\":[" FILE_("a", "x", 0, "[]") "," FILE_(
			       "b", "x", 0, "[]") "],\"deletes\":[]}",
	               "an object twice");
	expect_corrupt(HEAD "\"files\":[],\"deletes\":[\"default/other/x\"]}",
	               "deleting outside the node");
	expect_corrupt(HEAD "\"files\":[],\"deletes\":[\"" FILES
	                    "../../x@00000000000000000000.zst\"]}",
	               "deleting through ..");
	expect_corrupt(HEAD "\"files\":[],\"deletes\":[7]}",
	               "delete not a string");
	expect_corrupt(
		"{\"format\":1,\"store\":\"s\",\"namespace\":\"..\",\"cluster\":\"c1\","
		"\"session\":\"" SESSION "\",\"node_id\":\"" NODE
		"\",\"node_ip\":\"\","
		"\"is_head\":false,\"seq\":1,\"files\":[],\"deletes\":[]}",
		"bad namespace");
	expect_corrupt(
		"{\"format\":1,\"store\":\"s\",\"namespace\":\"d\",\"cluster\":\"c1\","
		"\"session\":\"" SESSION
		"\",\"node_id\":\"XYZ\",\"node_ip\":\"\","
		"\"is_head\":false,\"seq\":1,\"files\":[],\"deletes\":[]}",
		"bad node id");
}

Test(checkpoint, manifest_round_trip_keeps_object_names)
{
	rh__fstate *s = sample(), *t = NULL;
	rh_node_manifest *m = NULL;
	rh_buf text = RH_BUF_INIT;
	long at;

	cr_assert_eq(rh__fstate_to_manifest(&m, s), 0);
	cr_assert_eq(rh_node_manifest_file_count(m), 4);
	cr_assert_eq(rh_node_manifest_is_head(m), 1);
	cr_assert_str_eq(
		rh__mfile_object((const rh__mfile *)rh_node_manifest_find(
			m, "logs/raylet.out.1")),
		"logs/raylet.out");
	/* through JSON, as a reader sees it */
	cr_assert_eq(rh__manifest_serialize(&text, m), 0);
	rh_node_manifest_free(m);
	m = NULL;
	cr_assert_eq(rh__manifest_parse(&m, text.ptr, text.size, "m"), 0, "%s",
	             rh_error_last());
	cr_assert_eq(rh__fstate_new(&t), 0);
	cr_assert_eq(rh__fstate_adopt_manifest(t, m), 0);
	at = rh__fstate_find(t, "logs/raylet.out");
	cr_assert_geq(at, 0);
	cr_assert_str_eq(t->files[at]->obj, "logs/raylet.out~1");
	cr_assert_eq(t->files[at]->ino, 0, "identity unknown after adoption");
	at = rh__fstate_find(t, "logs/empty.log");
	cr_assert_str_eq(t->files[at]->obj, "logs/empty.log");
	rh_node_manifest_free(m);
	rh__fstate_free(s);
	rh__fstate_free(t);
	rh_buf_dispose(&text);
}
