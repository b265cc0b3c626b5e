/* sha256.h - SHA-256 (FIPS 180-4), for content names and fingerprints. */
#ifndef RH_SHA256_H
#define RH_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct rh_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
	int portable; /* never the SHA instructions (tests compare both) */
} rh_sha256;

void rh__sha256_init(rh_sha256 *s);
/* As rh__sha256_init(), but hashing with the portable code only. */
void rh__sha256_init_portable(rh_sha256 *s);
/* 1 if this CPU's SHA instructions are used. */
int rh__sha256_accelerated(void);
void rh__sha256_update(rh_sha256 *s, const void *data, size_t len);
void rh__sha256_final(rh_sha256 *s, unsigned char out[32]);
/* 64 lower-case hex digits and a NUL. */
void rh__sha256_hex(char out[65], const unsigned char digest[32]);

#endif
