/* index_format.h - the session index file, version 1 (all little-endian).
 *
 *   header   32 bytes: "RHINDEX\n", u32 format version, u32 page size, 16 zero
 *   sections each 8-aligned, in any order, found through the directory
 *   pagecrc  u32 CRC-32C of every page of [0, pagecrc) (the last one short)
 *   dir      nsec entries of 40 bytes: u32 id, u32 elem size, u64 offset,
 *            u64 size, u64 count, u64 reserved
 *   trailer  88 bytes: fingerprint[32], u64 file size, u64 dir offset,
 *            u32 nsec, u32 format version, u64 pagecrc offset, u64 pages,
 *            u32 CRC-32C of [pagecrc offset, trailer+72), u32 0, "RHIDXEND"
 *
 * A reader checks the header and trailer, the CRC of everything after the
 * pages (page CRCs, directory, trailer) and then each page's CRC when it
 * first reads it, so a flipped bit anywhere is RH_ECORRUPT.
 *
 * Strings are referenced by their byte offset in STRS (0 is NULL), where
 * each is a LEB128 length and the bytes; they are sorted by bytes. Times are
 * i64 ns (INT64_MIN: none); "i64 -1" means unknown. */
#ifndef RH_INDEX_FORMAT_H
#define RH_INDEX_FORMAT_H

#include <stdint.h>
#include <string.h>

#define IX_MAGIC "RHINDEX\n"
#define IX_END_MAGIC "RHIDXEND"
#define IX_HEADER_SIZE 32
#define IX_TRAILER_SIZE 88
#define IX_DIRENT_SIZE 40
#define IX_PAGE_SIZE 16384u
#define IX_MAX_SECTIONS 64

enum ix_section {
	IX_STRS = 1,      /* string bytes */
	IX_TASK = 2,      /* task records, in row order */
	IX_TASK_BYID = 3, /* u32 rows by (task id, attempt) */
	IX_POST = 4,      /* u32 rows, the posting lists */
	IX_DICT = 5,      /* dictionary of posting lists */
	IX_EXTRA = 6,     /* variable parts: transitions, log info, profile */
	IX_ACTOR = 7,
	IX_JOB = 8,
	IX_NODE = 9,
	IX_WORKER = 10,
	IX_PG = 11,
	IX_CEVENT = 12,
	IX_DRIVERS = 13, /* u32 rows of DRIVER_TASK tasks */
	IX_WARN = 14,    /* optional: what could not be read; see below */
};

/* IX_WARN (elem size 1, count = messages): a u64 count of all warnings,
 * then the first (at most 100) messages, each NUL-terminated. Indexes
 * written before it have none, which reads as "no warnings". */
#define IX_WARN_MAX_BYTES (1u << 20)

/* Indexed task columns (IX_DICT col). String keys are the lower-cased value's
 * string offset, ordered by bytes; enum keys are numbers. */
enum ix_column {
	IX_COL_JOB = 1,
	IX_COL_STATE = 2,
	IX_COL_NAME = 3,
	IX_COL_FUNC = 4,
	IX_COL_NODE = 5,
	IX_COL_ACTOR = 6,
	IX_COL_WORKER = 7,
	IX_COL_TYPE = 8,
	IX_COL_JOB_STATE = 9, /* key job, key2 state */
};

/* IX_DICT entry: u32 col, u32 key, u32 key2, u32 count, u64 first (index in
 * IX_POST, in u32 units) */
#define IX_DICT_SIZE 24

/* IX_TASK record */
#define IX_TASK_SIZE 136
#define TK_ID 0 /* 24 bytes of binary id, or u32 string ref (flag) */
#define TK_ATTEMPT 24
#define TK_JOB 28
#define TK_NAME 32
#define TK_FUNC 36
#define TK_PARENT 40
#define TK_ACTOR 44
#define TK_NODE 48
#define TK_WORKER 52
#define TK_PG 56
#define TK_ETYPE 60
#define TK_EMSG 64
#define TK_LANG 68
#define TK_RES 72
#define TK_RENV 76
#define TK_CALLSITE 80
#define TK_LABELS 84
#define TK_PID 88   /* i32 */
#define TK_TYPE 92  /* u8 */
#define TK_STATE 93 /* u8 */
#define TK_DBG 94   /* u8: 0, 1, 2 = unknown */
#define TK_FLAGS 95 /* u8 */
#define TK_CREATION 96
#define TK_START 104
#define TK_END 112
#define TK_XOFF 120  /* u64 offset in IX_EXTRA */
#define TK_XLEN 128  /* u32 */
#define TK_F_IDSTR 1 /* the id is a string ref, not 24 binary bytes */

/* task extra: u32 ntr, ntr x (i64 t, u32 state); u32 has_log
 * [u32 out, u32 err, i64 out_start, out_end, err_start, err_end];
 * u32 ctype, cid, cip, nprof, nprof x (u32 name, u32 extra, i64 start, end).
 * actor/job/node/pg extra: u32 ntr, ntr x (i64 t, u32 state). */

/* IX_ACTOR record */
#define IX_ACTOR_SIZE 112
/* u32 refs at 0..64: id, class, job, name, node, worker, ip, ns, renv, res,
 * death, exit_detail, pg, repr, callsite, labels; i64 pid 64, restarts 72,
 * start 80, end 88; u8 state 96, u8 detached 97; u32 xlen 100; u64 xoff 104 */
#define AC_NREFS 16

/* IX_JOB record */
#define IX_JOB_SIZE 88
/* u32 refs at 0..40: job_id, sub_id, entry, msg, etype, meta, renv, dnode,
 * dip, http; i64 start 40, end 48, dpid 56, dexit 64; u8 type 72, u8 status
 * 73; u32 xlen 76; u64 xoff 80 */
#define JB_NREFS 10

/* IX_NODE record */
#define IX_NODE_SIZE 80
/* u32 refs at 0..44: id, ip, state_msg, name, host, res, labels, reason,
 * reason_msg, inst_id, inst_type; u8 state 44, u8 head 45; u16 node manager
 * port 46 (little-endian, 0 unknown); i64 start 48, end 56; u64 xoff 64;
 * u32 xlen 72; u32 raylet pid 76 (0 unknown). Port and pid came later in
 * bytes that were zero before: older indexes read as "unknown". */
#define ND_NREFS 11
#define ND_PORT 46
#define ND_RAYLET_PID 76

/* IX_WORKER record */
#define IX_WORKER_SIZE 56
/* u32 refs at 0..12: id, node, ip; u8 alive 12, u8 driver 13; i64 pid 16,
 * start 24, end 32; u32 ref exit type 40 (was reserved: 0, no string, in
 * older indexes); 12 reserved */
#define WK_NREFS 3
#define WK_EXIT_TYPE 40

/* IX_PG record */
#define IX_PG_SIZE 40
/* u32 refs at 0..20: id, name, job, strategy, bundles; u8 state 20, u8
 * detached 21; u64 xoff 24; u32 xlen 32 */
#define PG_NREFS 5

/* IX_CEVENT record */
#define IX_CEVENT_SIZE 48
/* u32 refs at 0..32: id, src, host, sev, label, msg, fields, job; i64 pid
 * 32, time 40 */
#define CE_NREFS 8

static inline void
ix_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void
ix_put64(unsigned char *p, uint64_t v)
{
	ix_put32(p, (uint32_t)v);
	ix_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t
ix_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t
ix_get64(const unsigned char *p)
{
	return (uint64_t)ix_get32(p) | (uint64_t)ix_get32(p + 4) << 32;
}

#endif
