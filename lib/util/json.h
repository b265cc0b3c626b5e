/* json.h - a small in-place JSON reader for the event parsers.
 *
 * json-c builds a heap object per value and hashes every member; at Ray's
 * event rates that is most of the cost (measured ~100 MB/s over aggregator
 * batches). This reader validates one JSON text held in a mutable,
 * NUL-terminated buffer and records a flat token array: strings are
 * unescaped and NUL-terminated where they lie, so reading a member is a
 * short scan and costs no allocation. Members are found by linear scan,
 * which beats hashing for the ~10-member objects events have. */
#ifndef RH_JSON_H
#define RH_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum rh_jtype {
	RH_J_NULL = 0,
	RH_J_FALSE,
	RH_J_TRUE,
	RH_J_NUMBER,
	RH_J_STRING,
	RH_J_ARRAY,
	RH_J_OBJECT,
} rh_jtype;

typedef struct rh_jtok {
	uint32_t start; /* string: first byte of its (unescaped) text;
			  * number: first byte; container: the bracket */
	uint32_t len;   /* string: unescaped length; number: text length */
	uint32_t next;  /* index of the token after this value */
	uint32_t count; /* array: elements; object: members */
	uint8_t type;   /* rh_jtype */
	uint8_t is_int; /* number: no fraction or exponent */
} rh_jtok;

typedef struct rh_json {
	char *buf;
	rh_jtok *tok;
	uint32_t ntok, atok;
} rh_json;

/* A value is its token index; RH_JV_NONE is "absent". */
typedef uint32_t rh_jv;
#define RH_JV_NONE UINT32_MAX

/* Parse buf[0, len) (buf[len] must be writable and is set to NUL) as one
 * JSON value with only whitespace around it. The buffer is modified.
 * @return 0; RH_EINVAL with *err set to a static description;
 *         RH_ENOMEM. */
int rh_json_parse(rh_json *j, char *buf, size_t len, const char **err);
/* Parse the JSON value at buf[0] (leading whitespace allowed) and stop
 * right after it, whatever follows: *end is the index after its last byte.
 * Strings are unescaped and NUL-terminated in place within [0, *end);
 * nothing at or after *end is written, so a buffer holding many values is
 * parsed one value at a time. Returns as
 * rh_json_parse() (RH_EINVAL also when buf[0, len) ends inside the value);
 * on RH_EINVAL, *end is how far the parse read, and every byte it changed
 * lies before that. */
int rh_json_parse_prefix(rh_json *j, char *buf, size_t len, size_t *end,
                         const char **err);
void rh_json_dispose(rh_json *j);

static inline int
rh_json_type(const rh_json *j, rh_jv v)
{
	return v == RH_JV_NONE ? -1 : j->tok[v].type;
}

/* Member `key` (len klen) of object `o`; RH_JV_NONE if absent, or if `o` is
 * not an object. JSON null members are returned (type RH_J_NULL). */
rh_jv rh_json_member(const rh_json *j, rh_jv o, const char *key, size_t klen);

/* First element of an array / first key of an object (its value is key+1);
 * RH_JV_NONE if empty. */
static inline rh_jv
rh_json_first(const rh_json *j, rh_jv c)
{
	return c != RH_JV_NONE && j->tok[c].count ? c + 1 : RH_JV_NONE;
}

/* The element after `v` within container `c`. */
static inline rh_jv
rh_json_next(const rh_json *j, rh_jv c, rh_jv v)
{
	uint32_t n = j->tok[v].next;

	return n < j->tok[c].next ? n : RH_JV_NONE;
}

/* The key after key `k` within object `o` (skips k's value). */
static inline rh_jv
rh_json_next_key(const rh_json *j, rh_jv o, rh_jv k)
{
	uint32_t n = j->tok[k + 1].next;

	return n < j->tok[o].next ? n : RH_JV_NONE;
}

static inline const char *
rh_json_str(const rh_json *j, rh_jv v)
{
	return j->buf + j->tok[v].start;
}

static inline size_t
rh_json_len(const rh_json *j, rh_jv v)
{
	return j->tok[v].len;
}

#endif
