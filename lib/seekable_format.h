/* seekable_format.h - constants and byte helpers of the zstd seekable format.
 *
 * The layout, after facebook/zstd:contrib/seekable_format/
 * zstd_seekable_compression_format.md (version 0.1.0), all integers little
 * endian:
 *
 *   frame 0 .. frame N-1          independent zstd (or skippable) frames
 *   seek table, one skippable frame:
 *     u32 skippable magic 0x184D2A5E
 *     u32 frame size              bytes that follow: entries + footer
 *     N entries                   u32 compressed size, u32 decompressed size
 *                                 [, u32 checksum if the checksum flag is set]
 *     footer (9 bytes)            u32 number of frames, u8 descriptor,
 *                                 u32 seekable magic 0x8F92EAB1
 *
 * Descriptor: bit 7 is the checksum flag, bits 6-2 are reserved and must be
 * zero (a reader refuses the table otherwise), bits 1-0 are unused and
 * ignored. An entry's checksum is the low 32 bits of XXH64 (seed 0) of the
 * frame's raw bytes - the same value zstd stores as a frame's content
 * checksum, which is why the writer can copy it from the frame it just made.
 */
#ifndef RH_SEEKABLE_FORMAT_H
#define RH_SEEKABLE_FORMAT_H

#include <stdint.h>

#define RH_SEEK_SKIPPABLE_MAGIC 0x184D2A5Eu
#define RH_SEEK_MAGIC 0x8F92EAB1u

/* Skippable frame header: magic + frame size. */
#define RH_SEEK_SKIPPABLE_HEADER_SIZE 8u
/* Footer: frame count, descriptor, magic. */
#define RH_SEEK_FOOTER_SIZE 9u
/* Entry sizes without and with the checksum. */
#define RH_SEEK_ENTRY_SIZE 8u
#define RH_SEEK_ENTRY_SIZE_CHECKSUM 12u

#define RH_SEEK_DESC_CHECKSUM 0x80u
#define RH_SEEK_DESC_RESERVED 0x7Cu

/* zstd's own reader stops at this many frames; so does ours. It also keeps the
 * seek table's skippable frame size well inside its u32 field. */
#define RH_SEEK_MAX_FRAMES 0x8000000u

/* Size of a table (skippable header included) for `nframes` entries. */
static inline uint64_t
rh_seekable__table_size(uint64_t nframes, int checksum)
{
	return RH_SEEK_SKIPPABLE_HEADER_SIZE + RH_SEEK_FOOTER_SIZE +
	       nframes * (checksum ? RH_SEEK_ENTRY_SIZE_CHECKSUM :
	                             RH_SEEK_ENTRY_SIZE);
}

static inline uint32_t
rh_seekable__get32(const void *p)
{
	const unsigned char *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline void
rh_seekable__put32(void *p, uint32_t v)
{
	unsigned char *b = p;

	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

#endif
