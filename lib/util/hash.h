/* hash.h - non-cryptographic checksums and hashes (crc32c.c, hash.c);
 * SHA-256 is in sha256.h. */
#ifndef RH_HASH_H
#define RH_HASH_H

#include <stddef.h>
#include <stdint.h>

/** CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start). */
uint32_t rh__crc32c(uint32_t crc, const void *data, size_t len);
/** The same sum without the CPU's CRC instruction (tests compare both). */
uint32_t rh__crc32c_portable(uint32_t crc, const void *data, size_t len);
/** 64-bit FNV-1a of `data`: fast, not collision-resistant (file heads,
 * table keys). Checkpoints store it: the function must not change. */
uint64_t rh__fnv1a(const void *data, size_t len);

#endif
