/*
 * rayhist/layout.h - the names of every object in a store.
 *
 * This is the only code that knows object names; everything else asks it.
 * Names are deterministic, so re-running a capture or a restarted collector
 * rewrites the same objects instead of adding duplicates:
 *
 *   NS/CLUSTER/SESSION/session.json                  session manifest
 *   NS/CLUSTER/SESSION/nodes/NODE/node.json          node manifest
 *   NS/CLUSTER/SESSION/nodes/NODE/files/PATH@OFFSET.zst
 *                      one append part of file PATH (relative to the session
 *                      directory) holding its bytes from OFFSET (20 decimal
 *                      digits) on, as a seekable blob
 *   NS/CLUSTER/SESSION/nodes/NODE/files/MAPPED@OFFSET.m.zst
 *                      the same for a file whose name cannot be a key as it
 *                      is (see "File names" below)
 *   NS/CLUSTER/SESSION/events/DIGEST.json.zst        a RayEvent batch
 *   NS/CLUSTER/SESSION/index/session.idx             the session index
 *   NS/CLUSTER/SESSION/marks/WRITER@GEN              a writer's generation
 *                      mark: one small object per writer of event objects
 *                      (WRITER "node-NODE" for a node's capture,
 *                      "recv-ID" for an event receiver, "import-ID" for
 *                      one --events import), put after the objects it
 *                      covers; GEN (lower-case hex) changes whenever the
 *                      writer adds or replaces event objects. A reader
 *                      decides whether an index is current from one
 *                      listing of marks/ (as many entries as writers),
 *                      never by listing the event objects (see
 *                      rayhist-store(5), "Generation marks")
 *   NS/CLUSTER/SESSION!deleting                      a deletion in progress
 *
 * Every function writes a key into `out`, replacing what it held, and
 * returns 0, RH_EINVAL for a name that breaks the rules below, or RH_ENOMEM.
 * Names (namespace, cluster, session): 1 to 253 bytes of [A-Za-z0-9._-],
 * not starting with '.'. Node ids: 1 to 128 lower-case hex digits.
 * File paths: relative, '/'-separated, no empty, "." or ".." components;
 * any other bytes (control bytes, non-UTF-8) are allowed.
 *
 * File names: any name a node can hold is storable. A path of valid UTF-8
 * without control bytes whose part key fits both a file:// store (last
 * component at most 230 bytes, others 255) and S3 (key at most 1024 bytes),
 * and has no ".tmp-" component, is used as it is - the names every earlier
 * version stored, so their stores read the same. Any other path is mapped:
 * each component escaped (control bytes, '%', a leading '.' and bytes
 * outside valid UTF-8 as %XX), a component still longer than 200 bytes cut
 * to its first 120 plus "%~", the SHA-256 of the whole component and its
 * extension (".log", up to 16 bytes), and a
 * key still too long becomes "%~<SHA-256 of the path>/<last component>"; its
 * parts end in ".m.zst", which no plain part name does, so the two never
 * collide. The node manifest keeps each file's real path byte for byte;
 * readers find parts through rh_layout_file_part() on it.
 *
 * Thread-safety: all functions are pure and may be called from any thread.
 */
#ifndef RAYHIST_LAYOUT_H
#define RAYHIST_LAYOUT_H

#include "common.h"
#include "buf.h"

RH_BEGIN_DECL

/** Names one session. The strings are borrowed. */
typedef struct rh_session_ref {
	const char *ns;      /**< namespace, e.g. "default" */
	const char *cluster; /**< cluster name */
	const char *session; /**< Ray session name, "session_..." */
} rh_session_ref;

/** The namespace used when none is given. */
#define RH_DEFAULT_NAMESPACE "default"

/** Check a namespace, cluster or session name; `what` names it in the
 * message ("cluster"). @return 0 or RH_EINVAL. */
RH_EXTERN int rh_layout_check_name(const char *what, const char *name);

/** Check a node id (lower-case hex). @return 0 or RH_EINVAL. */
RH_EXTERN int rh_layout_check_node_id(const char *node_id);

/** Check a file path relative to a session directory. @return 0, RH_EINVAL. */
RH_EXTERN int rh_layout_check_path(const char *path);

/** "NS/" */
RH_EXTERN int rh_layout_ns_prefix(rh_buf *out, const char *ns);
/** "NS/CLUSTER/" */
RH_EXTERN int rh_layout_cluster_prefix(rh_buf *out, const char *ns,
                                       const char *cluster);
/** "NS/CLUSTER/SESSION/" */
RH_EXTERN int rh_layout_session_prefix(rh_buf *out, const rh_session_ref *s);
/** "NS/CLUSTER/SESSION/session.json" */
RH_EXTERN int rh_layout_session_manifest(rh_buf *out, const rh_session_ref *s);
/** The tombstone of a session being deleted (retention.h),
 * "NS/CLUSTER/SESSION!deleting": next to the session's folder, so a
 * listing of the cluster meets it just before the session (byte order:
 * '!' < '/') and passes the session over; '!' is in no name, so it is never
 * a session itself. */
RH_EXTERN int rh_layout_session_tombstone(rh_buf *out, const rh_session_ref *s);
#define RH_LAYOUT_TOMBSTONE_SUFFIX "!deleting"

/** "NS/CLUSTER/SESSION/nodes/" */
RH_EXTERN int rh_layout_nodes_prefix(rh_buf *out, const rh_session_ref *s);
/** "NS/CLUSTER/SESSION/nodes/NODE/" */
RH_EXTERN int rh_layout_node_prefix(rh_buf *out, const rh_session_ref *s,
                                    const char *node_id);
/** "NS/CLUSTER/SESSION/nodes/NODE/node.json" */
RH_EXTERN int rh_layout_node_manifest(rh_buf *out, const rh_session_ref *s,
                                      const char *node_id);
/** "NS/CLUSTER/SESSION/nodes/NODE/files/" */
RH_EXTERN int rh_layout_files_prefix(rh_buf *out, const rh_session_ref *s,
                                     const char *node_id);
/** "NS/CLUSTER/SESSION/nodes/NODE/files/PATH@OFFSET.zst" */
RH_EXTERN int rh_layout_file_part(rh_buf *out, const rh_session_ref *s,
                                  const char *node_id, const char *path,
                                  uint64_t offset);

/**
 * Split a part key relative to its files prefix ("PATH@OFFSET.zst" or
 * "MAPPED@OFFSET.m.zst") into the object name and the offset.
 * @param[out] path_out  receives PATH, or for a mapped name the mapped form
 *                       (replacing its contents)
 * @param[out] offset_out receives OFFSET
 * @return 0, or RH_EINVAL if `rel` is not a part name.
 */
RH_EXTERN int rh_layout_parse_part(rh_buf *path_out, uint64_t *offset_out,
                                   const char *rel);

/** "NS/CLUSTER/SESSION/events/" */
RH_EXTERN int rh_layout_events_prefix(rh_buf *out, const rh_session_ref *s);
/** "NS/CLUSTER/SESSION/events/DIGEST.json.zst"; DIGEST is lower-case hex */
RH_EXTERN int rh_layout_event_batch(rh_buf *out, const rh_session_ref *s,
                                    const char *digest_hex);
/** "NS/CLUSTER/SESSION/index/session.idx" */
RH_EXTERN int rh_layout_index(rh_buf *out, const rh_session_ref *s);

RH_END_DECL

#endif
