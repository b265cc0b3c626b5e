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

/* rh_seekable_open() sharing the blob's seek table through `cache` (loaded
 * by the first reader, kept for the next) and reading frames through it, as
 * after rh_seekable_set_cache(). NULL cache: rh_seekable_open(). */
int rh__seekable_open_shared(rh_seekable **out, rh_store *st, const char *key,
                             rh_frame_cache *cache);

/* The raw bytes of the frame holding offset `off` (< the blob's raw size),
 * without a copy: *len bytes from raw offset *start at *p, valid until the
 * reader's next read. A fetch from a store brings the frames from the one
 * holding `from` (<= off) along, as a read of [from, off] would. */
int rh__seekable_view(const char **p, uint64_t *start, size_t *len,
                      rh_seekable *sk, uint64_t off, uint64_t from);

/* Objects derived from a stored object, shared the same way: a blob's seek
 * table, a parsed node manifest. Keyed by `kind` (RH__CACHE_OBJ_*, never a
 * frame number), the object's key and `tag` (what names its version, as
 * blob_size does for frames). An object is immutable once put. */
#define RH__CACHE_OBJ_SEEK_TABLE 0xffffffffu
#define RH__CACHE_OBJ_MANIFEST 0xfffffffeu

/* The object under (kind, key, tag) and when it was put, or NULL; release
 * the reference with rh__frame_cache_release(). */
void *rh__frame_cache_obj_acquire(rh__frame_ref **ref, int64_t *born_ms,
                                  rh_frame_cache *c, unsigned kind,
                                  const char *key, uint64_t tag);
/* Keep obj under (kind, key, tag), replacing what was there, and hold a
 * reference to it in *ref: the cache owns obj now and frees it with
 * free_fn(obj) once evicted and released. `cost` counts against the cache's
 * bytes. On failure (< 0: too big, no memory) obj stays the caller's. */
int rh__frame_cache_obj_put(rh__frame_ref **ref, rh_frame_cache *c,
                            unsigned kind, const char *key, uint64_t tag,
                            void *obj, size_t cost, void (*free_fn)(void *obj),
                            int64_t now_ms);

#endif
