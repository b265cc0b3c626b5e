/* Tests of lib/util/crc32c.c: the check value of CRC-32C, and the path
 * that uses the CPU's CRC instruction against the portable one on every
 * length, alignment and split of a buffer. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

Test(crc32c, check_values)
{
	static const unsigned char zeros[32], ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	/* the catalogue's check value, and RFC 3720 B.4's vectors */
	cr_assert_eq(rh__crc32c(0, "123456789", 9), 0xe3069283u);
	cr_assert_eq(rh__crc32c_portable(0, "123456789", 9), 0xe3069283u);
	cr_assert_eq(rh__crc32c(0, zeros, 32), 0x8a9136aau);
	cr_assert_eq(rh__crc32c(0, ones, 32), 0x62a8ab43u);
	cr_assert_eq(rh__crc32c(0, "", 0), 0);
}

Test(crc32c, both_paths_agree_on_every_length_and_split)
{
	unsigned char buf[600];
	size_t off, len, cut;
	unsigned seed = 12345;

	for (off = 0; off < sizeof(buf); off++) {
		seed = seed * 1103515245u + 12345u;
		buf[off] = (unsigned char)(seed >> 16);
	}
	for (off = 0; off < 9; off++)
		for (len = 0; len + off <= 300; len++) {
			uint32_t want = rh__crc32c_portable(0, buf + off, len);

			cr_assert_eq(rh__crc32c(0, buf + off, len), want,
			             "offset %zu length %zu", off, len);
			for (cut = 0; cut <= len; cut += 7) {
				uint32_t c = rh__crc32c(0, buf + off, cut);

				cr_assert_eq(rh__crc32c(c, buf + off + cut,
				                        len - cut),
				             want,
				             "offset %zu length %zu cut %zu",
				             off, len, cut);
			}
		}
}
