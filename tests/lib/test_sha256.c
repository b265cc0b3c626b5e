/* Tests of lib/sha256.c: FIPS 180-4 vectors, and the SHA-instruction path
 * against the portable one on every length and split of a buffer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void
digest(char hex[65], const void *p, size_t n, int portable)
{
	rh_sha256 s;
	unsigned char d[32];

	if (portable)
		rh__sha256_init_portable(&s);
	else
		rh__sha256_init(&s);
	rh__sha256_update(&s, p, n);
	rh__sha256_final(&s, d);
	rh__sha256_hex(hex, d);
}

Test(sha256, fips_vectors_both_paths)
{
	static const char *two =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *mil = malloc(1000000), hex[65];
	int portable;

	cr_assert_not_null(mil);
	memset(mil, 'a', 1000000);
	for (portable = 0; portable < 2; portable++) {
		digest(hex, "abc", 3, portable);
		cr_assert_str_eq(
			hex,
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		digest(hex, "", 0, portable);
		cr_assert_str_eq(
			hex,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
		digest(hex, two, strlen(two), portable);
		cr_assert_str_eq(
			hex,
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
		digest(hex, mil, 1000000, portable);
		cr_assert_str_eq(
			hex,
			"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	}
	free(mil);
}

Test(sha256, accelerated_matches_portable_at_every_length_and_split)
{
	unsigned char buf[1100];
	char a[65], b[65];
	size_t n, cut, i;

	if (!rh__sha256_accelerated())
		fprintf(stderr,
		        "sha256: no SHA instructions here; both paths are portable\n");
	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	for (n = 0; n < sizeof(buf); n += 1 + n / 16) {
		digest(a, buf, n, 1);
		for (cut = 0; cut <= n; cut += 1 + n / 5) {
			rh_sha256 s;
			unsigned char d[32];

			rh__sha256_init(&s);
			rh__sha256_update(&s, buf, cut);
			rh__sha256_update(&s, buf + cut, n - cut);
			rh__sha256_final(&s, d);
			rh__sha256_hex(b, d);
			cr_assert_str_eq(a, b, "length %zu split at %zu", n,
			                 cut);
		}
	}
}
