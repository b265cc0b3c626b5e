/* Tests of lib/archive_source.c: an archive's entries held in memory answer
 * the capture engine as the same entries unpacked into a folder do (the
 * folder source, lib/follow_source.c) - listings, lstat and stat, links
 * resolved inside, outside, dangling, looping or through a file, and the
 * bytes read. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include "follow_internal.h"
#include "archive_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define S "session_2025-01-02_03-04-05_678901_99"

/* The archive: kind, path, content (file) or target (link). */
static const struct {
	int kind;
	const char *path, *text;
} entries[] = {
	{ RH__AK_DIR, S, NULL },
	{ RH__AK_DIR, S "/logs", NULL },
	{ RH__AK_DIR, S "/logs/old", NULL },
	{ RH__AK_DIR, "other", NULL },
	{ RH__AK_FILE, S "/logs/raylet.out", "raylet\n" },
	{ RH__AK_FILE, S "/logs/old/w.log", "old worker log\n" },
	{ RH__AK_FILE, S "/node_ip_address.json", "{}\n" },
	{ RH__AK_FILE, "other/x", "outside the session\n" },
	{ RH__AK_LINK, S "/logs/near", "raylet.out" },
	{ RH__AK_LINK, S "/logs/chain", "near" },
	{ RH__AK_LINK, S "/logs/via_dir", "../logs/old/./w.log" },
	{ RH__AK_LINK, S "/dirlink", "logs/old" },
	{ RH__AK_LINK, S "/logs/through_dirlink", "../dirlink/w.log" },
	{ RH__AK_LINK, S "/logs/sibling", "../../other/x" },
	{ RH__AK_LINK, S "/logs/above", "../../../../x" },
	{ RH__AK_LINK, S "/logs/abs_there", "/" },
	{ RH__AK_LINK, S "/logs/abs_none", "/nonexistent-rayhist/x" },
	{ RH__AK_LINK, S "/logs/dangling", "missing" },
	{ RH__AK_LINK, S "/logs/loop1", "loop2" },
	{ RH__AK_LINK, S "/logs/loop2", "loop1" },
	{ RH__AK_LINK, S "/logs/through_file", "raylet.out/x" },
	{ RH__AK_LINK, S "/logs/self", ".." },
	{ RH__AK_LINK, S "/session_latest", "." },
};
#define NENT (sizeof(entries) / sizeof(entries[0]))

/* What the engine asks, of every path below. */
static const char *paths[] = {
	"",
	"logs",
	"logs/old",
	"logs/raylet.out",
	"logs/old/w.log",
	"node_ip_address.json",
	"logs/near",
	"logs/chain",
	"logs/via_dir",
	"dirlink",
	"dirlink/w.log",
	"logs/through_dirlink",
	"logs/sibling",
	"logs/above",
	"logs/abs_none",
	"logs/dangling",
	"logs/loop1",
	"logs/through_file",
	"logs/self",
	"session_latest",
	"session_latest/logs/raylet.out",
	"missing",
	"logs/raylet.out/x",
};

static char root[256];
static rh__atree tree;

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const rh__aent *)a)->path, ((const rh__aent *)b)->path);
}

static void
unpack(void)
{
	char path[512];
	size_t i;
	int fd;

	snprintf(root, sizeof(root), "/tmp/rh-test-asrc-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	tree.v = calloc(NENT, sizeof(*tree.v));
	tree.n = NENT;
	for (i = 0; i < NENT; i++) {
		rh__aent *e = &tree.v[i];
		snprintf(path, sizeof(path), "%s/%s", root, entries[i].path);
		e->path = strdup(entries[i].path);
		e->kind = entries[i].kind;
		e->fd = -1;
		if (e->kind == RH__AK_DIR) {
			cr_assert_eq(mkdir(path, 0700), 0, "%s", path);
		} else if (e->kind == RH__AK_LINK) {
			e->target = strdup(entries[i].text);
			cr_assert_eq(symlink(entries[i].text, path), 0, "%s",
			             path);
		} else {
			size_t n = strlen(entries[i].text);
			cr_assert_geq(e->fd = memfd_create("t", MFD_CLOEXEC),
			              0);
			cr_assert_eq(write(e->fd, entries[i].text, n),
			             (ssize_t)n);
			cr_assert_geq(fd = open(path, O_WRONLY | O_CREAT, 0600),
			              0);
			cr_assert_eq(write(fd, entries[i].text, n), (ssize_t)n);
			close(fd);
		}
	}
	qsort(tree.v, tree.n, sizeof(*tree.v), cmp_ent);
}

static void
cleanup(void)
{
	char cmd[600];
	size_t i;

	for (i = 0; i < tree.n; i++) {
		free(tree.v[i].path);
		free(tree.v[i].target);
		if (tree.v[i].fd >= 0)
			close(tree.v[i].fd);
	}
	free(tree.v);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (!getenv("RH_TEST_KEEP"))
		cr_assert_eq(system(cmd), 0);
}

TestSuite(archive_source, .init = unpack, .fini = cleanup);

struct names {
	char v[32][128];
	size_t n;
};

static int
add(const char *name, void *payload)
{
	struct names *nm = payload;

	cr_assert_lt(nm->n, 32);
	snprintf(nm->v[nm->n++], sizeof(nm->v[0]), "%s", name);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Everything the engine can learn of `rel`, as one line. */
static void
describe(char *out, size_t cap, rh__fsrc *src, const char *rel)
{
	struct names nm = { .n = 0 };
	char real[512] = "", head[64] = "";
	rh__fid l, s;
	int rl, rs, rr = -2, fd = -1, listed;
	size_t i, o;
	ssize_t n;

	rl = src->ops->stat(src, rel, 0, &l);
	rs = src->ops->stat(src, rel, 1, &s);
	if (rl == 0 && S_ISLNK(l.mode)) {
		rr = src->ops->resolve(src, rel, real, sizeof(real));
		if (rr < 0)
			real[0] = '\0';
	}
	/* What the engine opens: files (a folder's size is the file
	 * system's business). */
	if (rs == 0 && S_ISREG(s.mode) &&
	    (fd = src->ops->open(src, rel)) >= 0) {
		n = pread(fd, head, sizeof(head) - 1, 0);
		head[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	listed = src->ops->list(src, rel, add, &nm);
	qsort(nm.v, nm.n, sizeof(nm.v[0]), cmp_name);
	o = (size_t)snprintf(
		out, cap,
		"lstat %d %o; stat %d %o size %llu; "
		"resolve %d %s; open %s; list %d:",
		rl, rl ? 0 : l.mode & S_IFMT, rs, rs ? 0 : s.mode & S_IFMT,
		rs || !S_ISREG(s.mode) ? 0ull : (unsigned long long)s.size, rr,
		real, fd >= 0 ? head : "-", listed);
	for (i = 0; i < nm.n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, " %s", nm.v[i]);
}

Test(archive_source, answers_as_the_unpacked_folder)
{
	char sdir[512], want[2048], got[2048];
	rh__fsrc_dir dir;
	rh__asrc arc;
	size_t i;

	snprintf(sdir, sizeof(sdir), "%s/%s", root, S);
	rh__fsrc_dir_init(&dir, sdir);
	rh__asrc_init(&arc, &tree, S);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		describe(want, sizeof(want), &dir.base, paths[i]);
		describe(got, sizeof(got), &arc.base, paths[i]);
		cr_expect_str_eq(got, want, "\"%s\":\n archive %s\n folder  %s",
		                 paths[i], got, want);
	}
}

Test(archive_source, node_id_from_held_entries)
{
	static const char line[] =
		"[2025-01-02 03:04:05,678 I 99 99] (raylet) "
		"main.cc:595: Setting node ID node_id="
		"0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee\n";
	char id[130];
	rh__asrc arc;
	long i;

	cr_assert_geq(i = rh__atree_find(&tree, S "/logs/raylet.out"), 0);
	cr_assert_eq(pwrite(tree.v[i].fd, line, sizeof(line) - 1, 0),
	             (ssize_t)sizeof(line) - 1);
	rh__asrc_init(&arc, &tree, S);
	cr_assert_eq(rh__capture_node_id_src(id, &arc.base), 0, "%s",
	             rh_error_last());
	cr_assert_str_eq(
		id, "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee");
}

/* A link to the machine's own files is outside the session, as on disk,
 * but the archive source never reads or lists what it points to. */
Test(archive_source, absolute_links_are_never_followed)
{
	char real[512];
	rh__asrc arc;
	rh__fid id;

	rh__asrc_init(&arc, &tree, S);
	cr_assert_eq(arc.base.ops->resolve(&arc.base, "logs/abs_there", real,
	                                   sizeof(real)),
	             1);
	cr_assert_eq(arc.base.ops->stat(&arc.base, "logs/abs_there", 1, &id),
	             -1);
	cr_assert_eq(arc.base.ops->open(&arc.base, "logs/abs_there"), -1);
	cr_assert_eq(arc.base.ops->list(&arc.base, "logs/abs_there", add,
	                                &(struct names){ .n = 0 }),
	             1);
}
