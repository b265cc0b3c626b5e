/* search_bloom.c - would a per-frame trigram bloom filter pay for itself?
 * (issue 14). For each FRAME-byte frame of FILE: the distinct byte
 * trigrams it holds, the time to build a BITS-bit bloom of them (one hash),
 * the time zstd -3 takes to compress the frame (what capture pays anyway),
 * and the share of frames a bloom would let a search of PATTERN skip.
 * usage: search_bloom FILE PATTERN [BITS_LOG2 [FRAME]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint32_t
tri_hash(const unsigned char *p, unsigned bits)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return (v * 2654435761u) >> (32 - bits);
}

int
main(int argc, char **argv)
{
	unsigned bits = argc > 3 ? (unsigned)atoi(argv[3]) : 18;
	size_t frame = argc > 4 ? (size_t)atol(argv[4]) : (4u << 20);
	const unsigned char *pat = (const unsigned char *)(argc > 2 ? argv[2] : "");
	size_t plen = strlen((const char *)pat), n, off, i, nframes = 0, pass = 0;
	double t_bloom = 0, t_zstd = 0, t0, fill = 0;
	uint64_t distinct = 0, zbytes = 0, raw = 0;
	unsigned char *buf, *bloom, *seen, *z;
	size_t zcap = ZSTD_compressBound(frame);
	FILE *f;

	if (argc < 3 || !(f = fopen(argv[1], "rb")))
		return fprintf(stderr, "usage: search_bloom FILE PATTERN [BITS_LOG2 [FRAME]]\n"), 2;
	buf = malloc(frame);
	z = malloc(zcap);
	bloom = malloc((1u << bits) / 8);
	seen = malloc(1u << 21);	/* every trigram: 2^24 bits */
	while ((n = fread(buf, 1, frame, f)) > 0) {
		size_t set = 0, ok = 1;
		nframes++;
		raw += n;
		t0 = now();
		memset(bloom, 0, (1u << bits) / 8);
		for (i = 0; i + 2 < n; i++) {
			uint32_t h = tri_hash(buf + i, bits);
			bloom[h >> 3] |= (unsigned char)(1u << (h & 7));
		}
		t_bloom += now() - t0;
		t0 = now();
		zbytes += ZSTD_compress(z, zcap, buf, n, 3);
		t_zstd += now() - t0;
		memset(seen, 0, 1u << 21);
		for (i = 0; i + 2 < n; i++) {
			uint32_t v = buf[i] | buf[i + 1] << 8 | (uint32_t)buf[i + 2] << 16;
			if (!(seen[v >> 3] & (1u << (v & 7)))) {
				seen[v >> 3] |= (unsigned char)(1u << (v & 7));
				distinct++;
			}
		}
		for (i = 0; i < (1u << bits) / 8; i++)
			set += (size_t)__builtin_popcount(bloom[i]);
		fill += (double)set / (1u << bits);
		for (off = 0; plen >= 3 && off + 2 < plen; off++) {
			uint32_t h = tri_hash(pat + off, bits);
			if (!(bloom[h >> 3] & (1u << (h & 7))))
				ok = 0;
		}
		pass += ok;
	}
	printf("frames %zu of %zu bytes, %.1f MiB raw, %.1f MiB zstd -3\n", nframes,
	       frame, raw / 1048576.0, zbytes / 1048576.0);
	printf("distinct trigrams per frame %.0f; bloom %u bits (%u KiB/frame, %.2f%% of "
	       "the compressed frame), %.1f%% of its bits set\n",
	       (double)distinct / nframes, 1u << bits, (1u << bits) / 8192,
	       100.0 * ((1u << bits) / 8) * nframes / zbytes, 100 * fill / nframes);
	printf("building blooms: %.3f s (%.0f MB/s); zstd -3: %.3f s (%.0f MB/s): +%.0f%% capture CPU\n",
	       t_bloom, raw / t_bloom / 1e6, t_zstd, raw / t_zstd / 1e6,
	       100 * t_bloom / t_zstd);
	printf("pattern \"%s\": %zu of %zu frames could match (the rest skipped)\n",
	       (const char *)pat, pass, nframes);
	return 0;
}
