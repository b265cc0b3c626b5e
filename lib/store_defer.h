/*
 * store_defer.h - objects made durable together (store.c). Never installed.
 *
 * A capture writes hundreds of parts and then one manifest that names them.
 * Parts need to be durable only before the manifest is written, not each
 * when its commit returns: a barrier per object (fsync of the file and of
 * its folder on a file:// store) made the disk, not the CPU, set the pace.
 * So a writer of a part asks for no barrier, and the caller makes every
 * such object durable with one rh_store__sync() just before the object
 * that names them:
 *
 *     rh_store__writer_open_nosync(&w, st, part_key);  ... _commit(w);
 *     ... more parts ...
 *     rh_store__sync(st);                  one barrier for all of them
 *     rh_store_put(st, manifest_key, ...);  durable when it returns
 *
 * After the put returns, every object it names survives a crash. Before
 * the sync, a crash may leave a deferred object absent, empty or partly
 * written - but no manifest names it yet, and the next run writes it again
 * under the same name.
 *
 * s3:// and az:// objects are durable when their commit returns: there
 * the nosync writer is the ordinary one and the sync does nothing.
 */
#ifndef RH_STORE_DEFER_H
#define RH_STORE_DEFER_H

#include "internal.h"

/** rh_store_writer_open() whose commit need not be durable until the next
 * rh_store__sync() of `st` returns. A file:// store falls back to a
 * durable commit when the key already holds an object: replacing an
 * object a manifest may name must never leave it empty after a crash. */
int rh_store__writer_open_nosync(rh_store_writer **out, rh_store *st,
                                 const char *key);

/** Make durable every object committed through a nosync writer of `st`
 * before this call (from any thread). A file:// store does it with one
 * syncfs(2) of its file system. 0 or RH_EIO. */
int rh_store__sync(rh_store *st);

/** Durability barriers (fsync, syncfs) the file:// stores of this process
 * have issued since it started; for tests and benchmarks. */
uint64_t rh_store__barriers(void);

#endif
