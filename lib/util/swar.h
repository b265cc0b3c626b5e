/* swar.h - eight bytes at a time in one 64-bit word (SWAR), for the JSON
 * scanners that skip string bytes (json.c, json_write.c, events.c). Each
 * test sets the high bit of the bytes that match; it never misses one, but
 * the borrow of a matching byte may also flag the bytes above it, so a
 * "yes" is settled byte by byte. */
#ifndef RH_UTIL_SWAR_H
#define RH_UTIL_SWAR_H

#include <stdint.h>
#include <string.h>

#define RH__SWAR_ONES 0x0101010101010101ULL
#define RH__SWAR_HIGH 0x8080808080808080ULL

/* Eight bytes from p, in memory order whatever the alignment. */
static inline uint64_t
rh__swar_load(const void *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* The bytes of w equal to c. */
static inline uint64_t
rh__swar_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (RH__SWAR_ONES * c);

	return (x - RH__SWAR_ONES) & ~x;
}

/* The bytes of w below c (c at most 0x80). */
static inline uint64_t
rh__swar_below(uint64_t w, unsigned char c)
{
	return (w - RH__SWAR_ONES * c) & ~w;
}

#endif
