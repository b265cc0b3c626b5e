/* test_search_filter.c - rh_search_session() over blobs with search filters
 * (search.c's try_skip()): frames the filter rules out are skipped, and the
 * output still equals a line-by-line reference - matches across a frame
 * boundary, in the last frame, -i in another case, regex literals,
 * non-UTF-8 bytes; the same store with its filters removed (as written
 * before them) or damaged gives the same lines without skipping. */
#define _GNU_SOURCE 1 /* memmem */
#include <criterion/criterion.h>
#include <rayhist/rayhist.h>

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "seekable_filter.h"
#include "seekable_format.h"

#define NODE "0f690c018f332312c5b989cb5e700a26dbae9b206feb5f1f086485ee"
#define SESSION "session_2025-11-12_22-10-31_123456_42"
#define FRAME RH_FILTER_MIN_FRAME

static char tmp[256], sdir[512], spath[600];
static rh_store *st;
static const rh_session_ref S = { "default", "c1", SESSION };
static rh_buf text = RH_BUF_INIT; /* logs/w.log */

static const char *needles[] = {
	"ZQXJ_BOUNDARY_NEEDLE",   /* across the edge of frames 0 and 1 */
	"ZQXJ_LAST_FULL_FRAME",   /* in frame 4 */
	"MiXeD_CaSe_ZqXj",        /* in frame 2 */
	"\xff\xfeZQXJ\xff bytes", /* in frame 3 */
	"ZQXJ_TAIL_END",          /* in the last, small frame */
	"ZQXJ_HEAD_OF_3",         /* before frame 3's first '\n' */
};

static void
put_file(const char *rel, const char *p, size_t n)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", sdir, rel);
	cr_assert_not_null(fp = fopen(path, "wb"));
	cr_assert_eq(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

/* Log-like lines up to `end` bytes of text. */
static void
fill_to(size_t end, unsigned *seed)
{
	static const char *words[] = {
		"worker", "raylet", "task",    "actor", "started", "finished",
		"ERROR",  "info",   "node",    "gcs",   "=",       "42",
		"0x7f",   "lease",  "granted", "spill", "object"
	};

	while (text.size < end) {
		size_t i, n = 3 + rand_r(seed) % 12;

		rh_buf_printf(&text, "[2025-11-12 22:10:%02u,%03u I 1 2]",
		              rand_r(seed) % 60, rand_r(seed) % 1000);
		for (i = 0; i < n; i++)
			rh_buf_printf(&text, " %s",
			              words[rand_r(seed) % (sizeof(words) /
			                                    sizeof(words[0]))]);
		rh_buf_put(&text, "\n", 1);
	}
}

static void
put_needle_at(size_t at, const char *needle, unsigned *seed)
{
	fill_to(at, seed);
	rh_buf_puts(&text, needle);
	rh_buf_puts(&text, " here\n");
}

static void
setup(void)
{
	const char *raylet =
		"[2025-11-12 22:10:31,123 I 1 1] (raylet) main.cc:595: "
		"Setting node ID node_id=" NODE "\n";
	rh_capture_options o = RH_CAPTURE_OPTIONS_INIT;
	unsigned seed = 14;
	char path[700];
	size_t k;

	snprintf(tmp, sizeof(tmp), "/tmp/rh-test-search-filter-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/%s", tmp, SESSION);
	cr_assert_eq(mkdir(sdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/logs", sdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	put_file("logs/raylet.out", raylet, strlen(raylet));
	rh_buf_clear(&text);
	/* the needle starts 8 bytes before the edge of frames 0 and 1 */
	fill_to(FRAME - 200, &seed);
	while (text.size < FRAME - 8)
		rh_buf_put(&text, "x", 1);
	rh_buf_puts(&text, needles[0]);
	rh_buf_puts(&text, "\n");
	put_needle_at(2 * FRAME + 500, needles[2], &seed);
	put_needle_at(3 * FRAME + 900, needles[3], &seed);
	/* a line from frame 2 into frame 3 whose second half holds one */
	fill_to(3 * FRAME - 30, &seed);
	while (text.size < 3 * FRAME + 10)
		rh_buf_put(&text, "y", 1);
	rh_buf_puts(&text, needles[5]);
	rh_buf_puts(&text, "\n");
	put_needle_at(4 * FRAME + 3000, needles[1], &seed);
	fill_to(5 * FRAME + 100, &seed);
	rh_buf_puts(&text, needles[4]);
	rh_buf_puts(&text, " and no newline at the end");
	/* the needles were placed in order: make sure they are where meant */
	cr_assert_lt((size_t)((char *)memmem(text.ptr, text.size, needles[0],
	                                     strlen(needles[0])) -
	                      text.ptr),
	             FRAME);
	cr_assert_gt((size_t)((char *)memmem(text.ptr, text.size, needles[0],
	                                     strlen(needles[0])) -
	                      text.ptr) +
	                     strlen(needles[0]),
	             FRAME);
	for (k = 0; k < sizeof(needles) / sizeof(needles[0]); k++)
		cr_assert_not_null(memmem(text.ptr, text.size, needles[k],
		                          strlen(needles[k])));
	put_file("logs/w.log", text.ptr, text.size);
	snprintf(spath, sizeof(spath), "%s/store", tmp);
	cr_assert_eq(rh_store_open(&st, spath, NULL), 0, "%s", rh_error_last());
	o.cluster = "c1";
	o.frame_size = FRAME;
	cr_assert_eq(rh_capture_session(NULL, st, sdir, &o), 0, "%s",
	             rh_error_last());
}

static void
teardown(void)
{
	char cmd[600];

	rh_store_close(st);
	rh_buf_dispose(&text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(search_filter, .init = setup, .fini = teardown);

static int
collect(const rh_search_line *l, void *payload)
{
	rh_buf *b = payload;

	rh_buf_printf(b, "%s:%llu:", l->path, (unsigned long long)l->line);
	rh_buf_put(b, l->text, l->len);
	rh_buf_put(b, "\n", 1);
	return 0;
}

static int
line_matches(const char *p, size_t n, const char *pat, unsigned flags)
{
	size_t i, k, m = strlen(pat);

	if (!(flags & RH_SEARCH_FIXED)) {
		regex_t re;
		regmatch_t pm = { 0, (regoff_t)n };
		int r;

		cr_assert_eq(regcomp(&re, pat,
		                     REG_EXTENDED | ((flags & RH_SEARCH_ICASE) ?
		                                             REG_ICASE :
		                                             0)),
		             0);
		r = regexec(&re, p, 1, &pm, REG_STARTEND) == 0;
		regfree(&re);
		return r;
	}
	for (i = 0; i + m <= n; i++) {
		for (k = 0; k < m; k++) {
			char a = p[i + k], b = pat[k];
			if ((flags & RH_SEARCH_ICASE) && a >= 'A' && a <= 'Z')
				a = (char)(a | 0x20);
			if ((flags & RH_SEARCH_ICASE) && b >= 'A' && b <= 'Z')
				b = (char)(b | 0x20);
			if (a != b)
				break;
		}
		if (k == m)
			return 1;
	}
	return 0;
}

static void
reference(rh_buf *b, const char *pat, unsigned flags)
{
	size_t s, e, line;

	for (s = 0, line = 1; s < text.size; s = e + 1, line++) {
		const char *nl = memchr(text.ptr + s, '\n', text.size - s);
		e = nl ? (size_t)(nl - text.ptr) : text.size;
		if (!line_matches(text.ptr + s, e - s, pat, flags))
			continue;
		rh_buf_printf(b, "logs/w.log:%zu:", line);
		rh_buf_put(b, text.ptr + s, e - s);
		rh_buf_put(b, "\n", 1);
	}
}

/* Search as grep would answer; returns the bytes skipped. */
static uint64_t
check(const char *pat, unsigned flags, size_t chunk)
{
	rh_search_options o = RH_SEARCH_OPTIONS_INIT;
	rh_search_stats stats = RH_SEARCH_STATS_INIT;
	rh_buf want = RH_BUF_INIT, got = RH_BUF_INIT;
	uint64_t skipped = UINT64_MAX;
	unsigned t;

	reference(&want, pat, flags);
	rh_buf_puts(&want, "");
	o.flags = flags;
	o.file_glob = "w.log";
	o.chunk_size = chunk;
	for (t = 1; t <= 3; t += 2) {
		o.threads = t;
		rh_buf_clear(&got);
		rh_buf_puts(&got, "");
		cr_assert_eq(rh_search_session(&stats, st, &S, pat, &o, collect,
		                               &got),
		             0, "%s", rh_error_last());
		cr_assert_str_eq(got.ptr, want.ptr, "\"%s\" threads %u", pat,
		                 t);
		cr_assert_eq(stats.errors, 0);
		cr_assert_eq(stats.bytes, text.size);
		cr_assert(skipped == UINT64_MAX || skipped == stats.skipped);
		skipped = stats.skipped;
	}
	rh_buf_dispose(&want);
	rh_buf_dispose(&got);
	return skipped;
}

/* Every needle, as a fixed string, -i in another case, and a regex. */
static void
check_all(int expect_skips)
{
	char low[64];
	uint64_t sk;
	size_t k, i;

	for (k = 0; k < sizeof(needles) / sizeof(needles[0]); k++) {
		sk = check(needles[k], RH_SEARCH_FIXED, FRAME);
		cr_assert(expect_skips ? sk > 0 : sk == 0, "%s: %llu skipped",
		          needles[k], (unsigned long long)sk);
		for (i = 0; needles[k][i] && i < sizeof(low) - 1; i++)
			low[i] = (char)(needles[k][i] >= 'A' &&
			                                needles[k][i] <= 'Z' ?
			                        needles[k][i] | 0x20 :
			                needles[k][i] >= 'a' &&
			                                needles[k][i] <= 'z' ?
			                        needles[k][i] & ~0x20 :
			                        needles[k][i]);
		low[i] = '\0';
		sk = check(low, RH_SEARCH_FIXED | RH_SEARCH_ICASE, FRAME);
		cr_assert(expect_skips ? sk > 0 : sk == 0);
		/* not whole frames: nothing can be skipped */
		cr_assert_eq(check(needles[k], RH_SEARCH_FIXED, 1000), 0);
		cr_assert_eq(check(needles[k], RH_SEARCH_FIXED, FRAME + 1), 0);
		/* units of two frames: the first two hold the line across
		 * their edge, which must be tested, not skipped */
		sk = check(needles[k], RH_SEARCH_FIXED, 2 * FRAME);
		cr_assert(expect_skips ? sk >= 2 * FRAME : sk == 0);
		check(needles[k], RH_SEARCH_FIXED, 3 * FRAME);
	}
	sk = check("ZQXJ_BOUNDARY_[A-Z]+", RH_SEARCH_EXTENDED, FRAME);
	cr_assert(expect_skips ? sk > 0 : sk == 0);
	sk = check("zqxj_(last|tail)", RH_SEARCH_EXTENDED | RH_SEARCH_ICASE,
	           FRAME);
	cr_assert_eq(sk, 0); /* no literal long enough to test */
	/* in every frame: nothing to skip */
	cr_assert_eq(check("granted", RH_SEARCH_FIXED, FRAME), 0);
	check("lease granted", RH_SEARCH_FIXED | RH_SEARCH_ICASE, FRAME);
}

Test(search_filter, skipped_frames_lose_no_line)
{
	check_all(1);
}

/* Rewrite every stored blob that has a filter: without it (as blobs were
 * written before filters), or with one bit of its filter flipped. */
static void
rewrite_blobs(const char *dir, int damage)
{
	rh_seekable_options so = RH_SEEKABLE_OPTIONS_INIT;
	char path[2048];
	struct dirent *d;
	struct stat sb;
	DIR *dp;

	cr_assert_not_null(dp = opendir(dir));
	while ((d = readdir(dp))) {
		rh_buf blob = RH_BUF_INIT, raw = RH_BUF_INIT,
		       hold = RH_BUF_INIT;
		rh_seekable *sk = NULL;
		rh__filter f;
		FILE *fp;
		char buf[65536];
		size_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		cr_assert_eq(stat(path, &sb), 0);
		if (S_ISDIR(sb.st_mode)) {
			rewrite_blobs(path, damage);
			continue;
		}
		cr_assert_not_null(fp = fopen(path, "rb"));
		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			rh_buf_put(&blob, buf, n);
		fclose(fp);
		if (rh_seekable_open_mem(&sk, blob.ptr, blob.size) < 0 ||
		    rh_seekable__filter(&f, &hold, sk) != 1) {
			rh_seekable_close(sk);
			rh_buf_dispose(&blob);
			rh_buf_dispose(&hold);
			continue;
		}
		rh__filter_dispose(&f);
		cr_assert_eq(rh_seekable_read(&raw, sk, 0, SIZE_MAX), 0);
		rh_seekable_close(sk);
		if (damage) {
			/* a bit of the last frame's bitset, just before the
			 * table: it would hide a match if it were believed */
			size_t tsize = (size_t)rh_seekable__table_size(
				rh_seekable__get32(blob.ptr + blob.size - 9),
				1);
			blob.ptr[blob.size - tsize - 1] ^= 0x10;
		} else {
			so.frame_size = FRAME;
			so.filter = 0;
			rh_buf_clear(&blob);
			cr_assert_eq(rh_seekable_compress(&blob, raw.ptr,
			                                  raw.size, &so),
			             0);
		}
		cr_assert_not_null(fp = fopen(path, "wb"));
		cr_assert_eq(fwrite(blob.ptr, 1, blob.size, fp), blob.size);
		fclose(fp);
		rh_buf_dispose(&blob);
		rh_buf_dispose(&raw);
		rh_buf_dispose(&hold);
	}
	closedir(dp);
}

Test(search_filter, old_blobs_without_filters_are_read_whole)
{
	rewrite_blobs(spath, 0);
	check_all(0);
}

Test(search_filter, a_damaged_filter_is_not_believed)
{
	rewrite_blobs(spath, 1);
	check_all(0);
}

Test(search_filter, version_1_stats_are_filled_without_skipped)
{
	rh_search_options o = RH_SEARCH_OPTIONS_INIT;
	rh_search_stats stats;
	rh_buf got = RH_BUF_INIT;

	memset(&stats, 0xab, sizeof(stats));
	stats.version = 1;
	o.flags = RH_SEARCH_FIXED;
	o.chunk_size = FRAME;
	cr_assert_eq(rh_search_session(&stats, st, &S, needles[1], &o, collect,
	                               &got),
	             0, "%s", rh_error_last());
	cr_assert_eq(stats.version, 1);
	cr_assert_eq(stats.matches, 1);
	cr_assert_eq(stats.errors, 0);
	/* a version 1 caller's struct ends before it */
	cr_assert_eq(stats.skipped, 0xababababababababULL);
	stats.version = RH_SEARCH_STATS_VERSION + 1;
	cr_assert_eq(rh_search_session(&stats, st, &S, needles[1], &o, collect,
	                               &got),
	             RH_EINVAL);
	cr_assert_neq(rh_error_last()[0], '\0');
	rh_buf_dispose(&got);
}
