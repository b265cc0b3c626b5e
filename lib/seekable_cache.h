/* seekable_cache.h - the reader's side of rh_frame_cache. */
#ifndef RH_SEEKABLE_CACHE_H
#define RH_SEEKABLE_CACHE_H

#include "internal.h"

typedef struct rh__frame_ref rh__frame_ref;

/* Frame `frame` of blob (key, blob_size) if cached with exactly `size`
 * bytes, else NULL. The bytes stay valid until rh__frame_cache_release(). */
const void *rh__frame_cache_acquire(rh__frame_ref **ref, rh_frame_cache *c,
				    const char *key, uint64_t blob_size,
				    unsigned frame, size_t size);
/* Drop a reference from rh__frame_cache_acquire(); NULL is fine. */
void rh__frame_cache_release(rh_frame_cache *c, rh__frame_ref *ref);
/* Remember a decompressed frame (best effort; may evict others). */
void rh__frame_cache_put(rh_frame_cache *c, const char *key, uint64_t blob_size,
			 unsigned frame, const void *src, size_t size);

#endif
