/* crc32c.c - CRC-32C (Castagnoli) (hash.h); the index checks its pages
 * with it, so writing an index sums every byte of it: slicing by 8 (about
 * 1.5 GB/s) was 4% of an index build, and x86-64 CPUs with SSE 4.2 have an
 * instruction for this very polynomial (8 bytes a cycle or so). */
#include "internal.h"
#include "hash.h"

#include <pthread.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#define HAVE_CRC32_INSN 1
#endif

static uint32_t table[8][256];

/* Little-endian, as slicing-by-8 consumes the bytes. */
static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			table[j][i] = (table[j - 1][i] >> 8) ^
			              table[0][table[j - 1][i] & 0xff];
}

uint32_t
rh__crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	pthread_once(&once, init);
	crc = ~crc;
	while (len >= 8) {
		uint32_t lo = crc ^ le32(p), hi = le32(p + 4);

		crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		      table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		      table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		      table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#ifdef HAVE_CRC32_INSN
static pthread_once_t insn_once = PTHREAD_ONCE_INIT;
static int has_insn;

static void
insn_detect(void)
{
	unsigned a, b, c, d;

	has_insn = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}

__attribute__((target("sse4.2"))) static uint32_t
crc_insn(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = ~crc, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

uint32_t
rh__crc32c(uint32_t crc, const void *data, size_t len)
{
#ifdef HAVE_CRC32_INSN
	pthread_once(&insn_once, insn_detect);
	if (has_insn)
		return crc_insn(crc, data, len);
#endif
	return rh__crc32c_portable(crc, data, len);
}
