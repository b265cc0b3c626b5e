/* hash.c - FNV-1a (hash.h); CRC-32C is in crc32c.c. */
#include "internal.h"

uint64_t
rh__fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
