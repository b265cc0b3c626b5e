/* history_internal.h - the history builder's in-memory entities (history.c,
 * history_derive.c) and what index_write.c reads from them. */
#ifndef RH_HISTORY_INTERNAL_H
#define RH_HISTORY_INTERNAL_H

#include "rayhist/history.h"

/* ---------------------------------------------------------------- strings */

/* Interned strings: id 0 is NULL; an id stays valid for the builder's life.
 * Text lives in one growing buffer as u32 length + bytes + NUL, so a pointer
 * from rh_strtab_get() is valid only until the next intern. */
typedef struct rh_strtab {
	char *data;
	size_t size, asize;
	uint32_t *off;    /* id -> offset of its length word */
	uint32_t n, a;    /* ids in use (incl. 0), allocated */
	uint32_t *slots;  /* hash -> id, 0 empty */
	uint32_t *hashes; /* per id: its hash's low 32 bits (4 B a string
	                       * less than all 64; slots never exceed 2^32) */
	size_t mask;
} rh_strtab;

int rh_strtab_init(rh_strtab *t);
void rh_strtab_dispose(rh_strtab *t);
/* Intern [s, s+len); *id_out = 0 for s == NULL. @return 0 or RH_ENOMEM. */
int rh_strtab_intern(rh_strtab *t, uint32_t *id_out, const char *s, size_t len);
static inline const char *
rh_strtab_get(const rh_strtab *t, uint32_t id)
{
	return id ? t->data + t->off[id] + 4 : NULL;
}
static inline uint32_t
rh_strtab_len(const rh_strtab *t, uint32_t id)
{
	uint32_t n;

	if (!id)
		return 0;
	memcpy(&n, t->data + t->off[id], 4);
	return n;
}
/* Order of two ids by their bytes (NULL first). */
int rh_strtab_cmp(const rh_strtab *t, uint32_t a, uint32_t b);
/* The first 8 bytes of a string as a big-endian number (zero-padded): the
 * same order as rh_strtab_cmp() as far as it goes, so sorts compare it first
 * and touch the text only on ties. */
uint64_t rh_strtab_prefix(const rh_strtab *t, uint32_t id);

/* ---------------------------------------------------------------- vectors */

/* A transition; `x` indexes the entity kind's table of extras (0: none). */
typedef struct hb_tr {
	int64_t t;
	int32_t state;
	uint32_t x;
} hb_tr;

typedef struct hb_trvec {
	hb_tr *v;
	uint32_t n, a;
} hb_trvec;

/* Add (state, t, x) unless (state, t) is there; on a duplicate keep the
 * larger extra by `cmp` so the result does not depend on arrival order. */
typedef int (*hb_xcmp)(const void *ctx, uint32_t a, uint32_t b);
int hb_tr_add(hb_trvec *v, int state, int64_t t, uint32_t x, hb_xcmp cmp,
              const void *ctx);
void hb_tr_sort(hb_trvec *v);

typedef struct hb_prof {
	uint32_t name, extra;
	int64_t start, end;
} hb_prof;

/* ---------------------------------------------------------------- entities */

#define HB_NONE RH_TIME_NONE

/* A transition known only to the second (export events' envelope times) or
 * millisecond: folded into a precise one of the same state nearby, if any,
 * once all events are in (history_derive.c). */
#define HB_COARSE 0x100

typedef struct hb_task {
	uint32_t id, job, name, func, lang, parent, actor, pg, res, renv;
	uint32_t callsite, labels, node, worker, repr, etype, emsg;
	uint32_t out_file, err_file, ctype, cid, cip;
	int32_t attempt, pid;
	int64_t node_ts, worker_ts, pid_ts; /* when each was last named */
	int64_t err_ts, misc_ts;
	int64_t out_start, out_end, err_start, err_end;
	uint8_t type, dbg, has_log, has_def, state;
	hb_trvec tr;
	hb_prof *prof;
	uint32_t nprof, aprof;
	int64_t creation, start, end, sort_t;
} hb_task;

/* Per-transition extras of actors, nodes and jobs. */
typedef struct hb_x {
	uint32_t node, worker, repr, death, ip, reason, message, resources;
	int64_t pid, exit_code;
} hb_x;

typedef struct hb_actor {
	uint32_t id, job, name, cls, ns, pg, repr, res, renv, callsite, labels;
	int8_t detached;
	hb_trvec tr;
	/* derived */
	int state;
	uint32_t node, worker, ip, death, exit_detail;
	int64_t pid, restarts, start, end;
} hb_actor;

typedef struct hb_node {
	uint32_t id, ip, name, host, inst_id, inst_type, labels, res;
	int8_t head;
	int64_t start, end;
	hb_trvec tr;
	/* from logs/raylet.out (rh_history__raylet): 0 unknown */
	int64_t raylet_pid;
	int32_t nm_port;
	/* derived */
	int state;
	uint32_t reason, reason_msg, state_msg;
} hb_node;

typedef struct hb_job {
	int is_submission;
	uint32_t job_id, sub_id, entry, dnode, dip, meta, renv, msg, etype,
		http;
	int64_t dpid, dexit, start, end;
	int8_t dead;
	hb_trvec tr;
	/* derived */
	int status;
	uint32_t linked; /* driver: index+1 of its submission job */
} hb_job;

typedef struct hb_pg {
	uint32_t id, name, job, strategy, bundles;
	int8_t detached;
	hb_trvec tr;
	int state;
} hb_pg;

typedef struct hb_worker {
	uint32_t id, node, ip;
	uint32_t etype; /* exit type, where known (derive_workers) */
	int64_t pid, start, end;
	int alive, is_driver;
	int gone; /* its log files were moved to logs/old/ */
} hb_worker;

typedef struct hb_cevent {
	uint32_t id, src, host, sev, label, msg, fields, job;
	int64_t pid, t;
} hb_cevent;

/* A growable array of fixed-size items addressed by index, in chunks so it
 * never moves what it holds (no copy of a million tasks on growth). */
typedef struct hb_pool {
	void **chunks;
	size_t nchunks, n, item;
} hb_pool;

#define HB_CHUNK_SHIFT 12
void *hb_pool_add(hb_pool *p, uint32_t *index_out);
static inline void *
hb_pool_at(const hb_pool *p, size_t i)
{
	return (char *)p->chunks[i >> HB_CHUNK_SHIFT] +
	       (i & ((1u << HB_CHUNK_SHIFT) - 1)) * p->item;
}
void hb_pool_dispose(hb_pool *p);

/* Hash map from a 64-bit key to a u32 value (index + 1). */
typedef struct hb_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask, n;
} hb_map;

uint32_t hb_map_get(const hb_map *m, uint64_t key);
int hb_map_put(hb_map *m, uint64_t key, uint32_t val);
void hb_map_dispose(hb_map *m);

/* Hash map from a string to a non-zero value (index + 1); the keys are
 * borrowed and must outlive the map. Zeroed is empty. */
typedef struct hb_smap {
	char **keys;
	size_t *vals, mask, n;
} hb_smap;

/* The value of `k` (NULL: none), 0 if absent. */
size_t hb_smap_get(const hb_smap *m, const char *k);
/* Set `k` to v (non-zero). @return 0, RH_ENOMEM. */
int hb_smap_put(hb_smap *m, char *k, size_t v);
void hb_smap_dispose(hb_smap *m);

struct rh_history {
	rh_history_options opts;
	char *ray_version; /* owned copy of opts.ray_version */
	rh_strtab strs;
	hb_pool tasks, actors, nodes, jobs, pgs, workers, cevents, xs;
	hb_map task_map, actor_map, node_map, driver_map, sub_map, pg_map;
	hb_map worker_map, cevent_map;
	rh_event_stats stats;
	rh_buf warnings; /* NUL-terminated messages, back to back */
	size_t nwarnings;
	uint8_t fp[RH_FINGERPRINT_SIZE];
	int finished;
	char errmsg[512];
	/* after finish: rows in index order */
	uint32_t *task_order, *actor_order, *node_order, *job_order, *pg_order;
	uint32_t *worker_order, *cevent_order;
	size_t njob_rows;
};

int rh_history__finish(rh_history *h);
/* A deep copy of an unfinished history (history_clone.c), to finish while
 * the original keeps taking events. @return 0, RH_EINVAL, RH_ENOMEM. */
int rh_history__clone(rh_history **out, const rh_history *h);
/* Set the item sizes of h's pools (a new or cloned history). */
void rh_history__pools_init(rh_history *h);

/* What a node's captured files tell, beside its events (index_session.c
 * reads them; history_derive.c applies them). Both are for the history
 * before rh_history__finish() and return 0 or RH_ENOMEM. */
/* The raylet of a node the events know: its host name, pid and port as
 * logs/raylet.out gives them (NULL/0: unknown). Events win where they
 * name a host. A node the events do not know is left out. */
int rh_history__raylet(rh_history *h, const char *node_id, const char *hostname,
                       int64_t pid, int port);
/* A worker known from its log files on node_id: pid, whether a driver
 * (python-core-driver-*.log), whether its files were moved to logs/old/. */
int rh_history__worker_file(rh_history *h, const char *node_id,
                            const char *worker_id, int64_t pid, int is_driver,
                            int gone);

/* Parse a captured path as a worker's log file (reference/ray-formats.md
 * §1.4), in logs/ or logs/old/: worker-<id>-<job>-<pid>.out|.err,
 * python-core-worker-<id>_<pid>.log, python-core-driver-<id>_<pid>.log.
 * @return 1 and the parts (id: 56 hex + NUL), or 0 for another file. */
int rh_history__parse_worker_file(const char *path, char id[57], int64_t *pid,
                                  int *is_driver, int *gone);
/* The raylet's pid (each line's "[date time L pid tid] (raylet)"), host
 * name and node manager port ("Raylet of id, ... node_manager address:
 * IP:PORT ... hostname: HOST", src/ray/raylet/raylet.cc) in the first
 * bytes of logs/raylet.out; what is not there stays "" / 0. */
void rh_history__parse_raylet_head(const char *buf, size_t len, char *host,
                                   size_t hostsz, int64_t *pid, int *port);
/* Record that part of the session could not be read (a damaged object
 * skipped): the index keeps the message and readers show it. Past
 * RH_HISTORY_MAX_WARNINGS only a count is kept. 0 or RH_ENOMEM. */
#define RH_HISTORY_MAX_WARNINGS RH_INDEX_MAX_WARNINGS
int rh_history__warn(rh_history *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int hb_x_cmp(const rh_history *h, uint32_t a, uint32_t b);
int rh_history__fail(rh_history *h, int code);
void rh_history__stats_add(rh_history *h, const rh_event_stats *s);
uint64_t hb_hash(const void *data, size_t len);

#endif
