/* index_read.c - open an index and read it through a page cache: the header,
 * trailer, directory and page CRCs at open, then pages on demand, each
 * checked against its CRC when it is fetched. */
#include "internal.h"
#include "index_internal.h"

#include <stdio.h>

int
ix_corrupt(rh_index *ix, const char *what)
{
	return rh__error(RH_ECORRUPT, "%s: corrupt index: %s",
	                 ix->key ? ix->key : "(memory)", what);
}

/* Raw bytes from the store or memory, exactly len of them. */
static int
raw_read(rh_index *ix, uint64_t off, size_t len, void *dst)
{
	rh_buf b = RH_BUF_INIT;
	int error;

	if (off > ix->size || len > ix->size - off)
		return ix_corrupt(ix, "read past the end");
	if (ix->mem) {
		memcpy(dst, ix->mem + off, len);
		return 0;
	}
	if ((error = rh_store_get(&b, ix->st, ix->key, off, len)) < 0)
		goto done;
	if (b.size != len) {
		error = ix_corrupt(ix, "truncated (the object shrank)");
		goto done;
	}
	memcpy(dst, b.ptr, len);
done:
	rh_buf_dispose(&b);
	return error;
}

/* ---------------------------------------------------------------- cache */

static void
lru_unlink(rh_index *ix, ix_page *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		ix->lru_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		ix->lru_tail = p->prev;
	p->prev = p->next = NULL;
}

static void
lru_push(rh_index *ix, ix_page *p)
{
	p->prev = NULL;
	p->next = ix->lru_head;
	if (ix->lru_head)
		ix->lru_head->prev = p;
	ix->lru_head = p;
	if (!ix->lru_tail)
		ix->lru_tail = p;
}

static void
evict(rh_index *ix)
{
	ix_page *p = ix->lru_tail, **pp;

	if (!p)
		return;
	lru_unlink(ix, p);
	for (pp = &ix->buckets[p->no % ix->nbuckets]; *pp; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	free(p);
	ix->npages_cached--;
}

static ix_page *
page_find(rh_index *ix, uint64_t no)
{
	ix_page *p;

	for (p = ix->buckets[no % ix->nbuckets]; p; p = p->hnext)
		if (p->no == no)
			return p;
	return NULL;
}

int
ix_page_cached(rh_index *ix, uint64_t no)
{
	return page_find(ix, no) != NULL;
}

/* Bytes of page `no`: its length, or 0 when out of range. */
static uint32_t
page_len(const rh_index *ix, uint64_t no)
{
	uint64_t off = no * IX_PAGE_SIZE;

	if (no >= ix->npages)
		return 0;
	return (uint32_t)(ix->crc_off - off < IX_PAGE_SIZE ? ix->crc_off - off :
	                                                     IX_PAGE_SIZE);
}

/* Check and cache page `no` from `data` (at least its length). */
static int
page_add(rh_index *ix, uint64_t no, const void *data, size_t have,
         ix_page **out)
{
	uint32_t len = page_len(ix, no);
	ix_page *p;
	char what[96];

	if (!len)
		return ix_corrupt(ix, "page out of range");
	if (have < len)
		return ix_corrupt(ix, "truncated (the object shrank)");
	if (rh__crc32c(0, data, len) != ix->page_crcs[no]) {
		snprintf(what, sizeof(what), "page %llu fails its checksum",
		         (unsigned long long)no);
		return ix_corrupt(ix, what);
	}
	if (!(p = rh__malloc(sizeof(*p) + len)))
		return RH_ENOMEM;
	memcpy(p->data, data, len);
	ix->reads++;
	p->no = no;
	p->len = len;
	p->hnext = ix->buckets[no % ix->nbuckets];
	ix->buckets[no % ix->nbuckets] = p;
	lru_push(ix, p);
	if (++ix->npages_cached > ix->max_pages)
		evict(ix);
	*out = p;
	return 0;
}

int
ix_page_put(rh_index *ix, uint64_t no, const void *data, size_t len)
{
	ix_page *p;

	if (page_find(ix, no))
		return 0;
	return page_add(ix, no, data, len, &p);
}

/* The page, from the cache or fetched and checked. Called with the lock. */
static int
page_get(rh_index *ix, uint64_t no, ix_page **out)
{
	rh_buf b = RH_BUF_INIT;
	ix_page *p;
	uint32_t len;
	int error;

	if ((p = page_find(ix, no))) {
		if (p != ix->lru_head) {
			lru_unlink(ix, p);
			lru_push(ix, p);
		}
		*out = p;
		return 0;
	}
	if (!(len = page_len(ix, no)))
		return ix_corrupt(ix, "page out of range");
	if (ix->mem)
		return page_add(ix, no, ix->mem + no * IX_PAGE_SIZE, len, out);
	if ((error = rh_store_get(&b, ix->st, ix->key, no * IX_PAGE_SIZE,
	                          len)) == 0)
		error = page_add(ix, no, b.ptr, b.size, out);
	rh_buf_dispose(&b);
	return error;
}

/* The index whose lock this thread holds through ix_hold(), if any. */
static _Thread_local rh_index *held;

int
ix_hold(rh_index *ix)
{
	if (held == ix)
		return 0;
	pthread_mutex_lock(&ix->lock);
	held = ix;
	return 1;
}

void
ix_unhold(rh_index *ix, int took)
{
	if (!took)
		return;
	held = NULL;
	pthread_mutex_unlock(&ix->lock);
}

/* Copy paged bytes [off, off+len). */
static int
cached_read(rh_index *ix, uint64_t off, size_t len, void *dst)
{
	unsigned char *d = dst;
	int error = 0, took;

	if (off > ix->crc_off || len > ix->crc_off - off)
		return ix_corrupt(ix, "read past the data");
	took = ix_hold(ix);
	while (len) {
		ix_page *p;
		uint64_t no = off / IX_PAGE_SIZE;
		size_t in = (size_t)(off % IX_PAGE_SIZE), n;

		if ((error = page_get(ix, no, &p)) < 0)
			break;
		n = p->len - in < len ? p->len - in : len;
		memcpy(d, p->data + in, n);
		d += n;
		off += n;
		len -= n;
	}
	ix_unhold(ix, took);
	return error;
}

int
ix_sec_read(rh_index *ix, int id, uint64_t off, size_t len, void *dst)
{
	const ix_sec *s = &ix->sec[id];

	if (off > s->size || len > s->size - off)
		return ix_corrupt(ix, "reference past the end of a section");
	return cached_read(ix, s->off + off, len, dst);
}

int
ix_elem(rh_index *ix, int id, uint64_t i, void *dst)
{
	const ix_sec *s = &ix->sec[id];

	if (i >= s->count)
		return ix_corrupt(ix, "row out of range");
	return ix_sec_read(ix, id, i * s->elem, s->elem, dst);
}

static int
str_header(rh_index *ix, uint32_t ref, uint64_t *start, uint32_t *len)
{
	const ix_sec *s = &ix->sec[IX_STRS];
	unsigned char b[5];
	size_t n = s->size - ref < 5 ? (size_t)(s->size - ref) : 5, i;
	uint32_t v = 0;
	int error;

	if (ref >= s->size)
		return ix_corrupt(ix, "string reference out of range");
	if ((error = ix_sec_read(ix, IX_STRS, ref, n, b)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		v |= (uint32_t)(b[i] & 0x7f) << (7 * i);
		if (!(b[i] & 0x80))
			break;
	}
	if (i == n || (i == 4 && b[4] > 0x0f))
		return ix_corrupt(ix, "bad string length");
	*start = ref + i + 1;
	if (v > s->size - *start)
		return ix_corrupt(ix, "string past the end of the table");
	*len = v;
	return 0;
}

int
ix_string(rh_index *ix, rh_arena *a, uint32_t ref, const char **out)
{
	uint64_t start;
	uint32_t len;
	char *p;
	int error;

	*out = NULL;
	if (!ref)
		return 0;
	if ((error = str_header(ix, ref, &start, &len)) < 0)
		return error;
	if (!(p = rh_arena_alloc(a, (size_t)len + 1)))
		return RH_ENOMEM;
	if ((error = ix_sec_read(ix, IX_STRS, start, len, p)) < 0)
		return error;
	p[len] = '\0';
	*out = p;
	return 0;
}

int
ix_strcmp(rh_index *ix, uint32_t ref, const char *s, size_t n, int *cmp)
{
	uint64_t start;
	uint32_t len;
	char buf[256];
	size_t done = 0;
	int error;

	if (!ref) {
		*cmp = -1;
		return 0;
	}
	if ((error = str_header(ix, ref, &start, &len)) < 0)
		return error;
	while (done < len && done < n) {
		size_t k = len - done < sizeof(buf) ? len - done : sizeof(buf);
		int c;

		if (k > n - done)
			k = n - done;
		if ((error = ix_sec_read(ix, IX_STRS, start + done, k, buf)) <
		    0)
			return error;
		if ((c = memcmp(buf, s + done, k))) {
			*cmp = c;
			return 0;
		}
		done += k;
	}
	*cmp = (len > n) - (len < n);
	return 0;
}

/* ---------------------------------------------------------------- open */

static int
check_sections(rh_index *ix)
{
	static const struct {
		int id;
		uint32_t elem;
	} fixed[] = {
		{ IX_TASK, IX_TASK_SIZE },
		{ IX_TASK_BYID, 4 },
		{ IX_POST, 4 },
		{ IX_DICT, IX_DICT_SIZE },
		{ IX_ACTOR, IX_ACTOR_SIZE },
		{ IX_JOB, IX_JOB_SIZE },
		{ IX_NODE, IX_NODE_SIZE },
		{ IX_WORKER, IX_WORKER_SIZE },
		{ IX_PG, IX_PG_SIZE },
		{ IX_CEVENT, IX_CEVENT_SIZE },
		{ IX_DRIVERS, 4 },
	};
	size_t i;

	for (i = 1; i < IX_WARN; i++) /* IX_WARN is optional */
		if (!ix->sec[i].present)
			return ix_corrupt(ix, "a section is missing");
	for (i = 0; i < RH_ARRAY_SIZE(fixed); i++) {
		const ix_sec *s = &ix->sec[fixed[i].id];

		if (s->elem != fixed[i].elem ||
		    s->count > s->size / fixed[i].elem ||
		    s->count * fixed[i].elem != s->size)
			return ix_corrupt(
				ix, "a section's size does not match its rows");
	}
	if (ix->sec[IX_TASK_BYID].count != ix->sec[IX_TASK].count ||
	    ix->sec[IX_TASK].count > UINT32_MAX)
		return ix_corrupt(ix, "task id table does not match the tasks");
	return 0;
}

/* How much of an index's end its open reads at once: the trailer, the
 * directory, the page CRCs and the last pages before them (the warnings,
 * small sections) in one request, which over an object store is one round
 * trip instead of one per part. */
#define TAIL_READ (64u << 10)

/* Cache the whole pages that [start, start+len) of the object holds, once
 * the page CRCs are known. Best effort: a page that fails is read again,
 * and reported, when needed. */
static void
keep_pages(rh_index *ix, const unsigned char *b, uint64_t start, size_t len)
{
	uint64_t no = (start + IX_PAGE_SIZE - 1) / IX_PAGE_SIZE;

	for (; no < ix->npages && page_len(ix, no) &&
	       no * IX_PAGE_SIZE + page_len(ix, no) <= start + len;
	     no++)
		if (ix_page_put(ix, no, b + (no * IX_PAGE_SIZE - start),
		                page_len(ix, no)) < 0)
			rh_error_clear();
}

/* The trailer, the last IX_TRAILER_SIZE bytes at `tr`: the fingerprint,
 * where the directory is and how many sections it lists, checked against
 * the object's size and the header. */
static int
read_trailer(rh_index *ix, const unsigned char *tr, uint64_t *dir_off,
             uint32_t *nsec)
{
	if (memcmp(tr + 80, IX_END_MAGIC, 8) != 0 || ix_get32(tr + 76) != 0)
		return ix_corrupt(ix, "no trailer (truncated?)");
	memcpy(ix->fp, tr, RH_FINGERPRINT_SIZE);
	*dir_off = ix_get64(tr + 40);
	*nsec = ix_get32(tr + 48);
	ix->crc_off = ix_get64(tr + 56);
	ix->npages = ix_get64(tr + 64);
	if (ix_get64(tr + 32) != ix->size)
		return ix_corrupt(
			ix, "size does not match the trailer (truncated?)");
	if (ix_get32(tr + 52) != ix->version)
		return ix_corrupt(ix, "header and trailer versions differ");
	if (*nsec > IX_MAX_SECTIONS ||
	    *dir_off != ix->size - IX_TRAILER_SIZE -
	                        (uint64_t)*nsec * IX_DIRENT_SIZE ||
	    ix->crc_off < IX_HEADER_SIZE || ix->crc_off > *dir_off ||
	    ix->npages != (ix->crc_off + IX_PAGE_SIZE - 1) / IX_PAGE_SIZE ||
	    ix->npages * 4 != *dir_off - ix->crc_off)
		return ix_corrupt(ix, "inconsistent directory");
	return 0;
}

/* The page CRCs and the directory, checked, from `tail` (from crc_off to
 * the end of the object). */
static int
read_directory(rh_index *ix, const unsigned char *tail, uint64_t dir_off,
               uint32_t nsec)
{
	uint64_t tail_len = ix->size - ix->crc_off, i;
	uint32_t crc;

	crc = rh__crc32c(0, tail, (size_t)(tail_len - IX_TRAILER_SIZE + 72));
	if (crc != ix_get32(tail + tail_len - IX_TRAILER_SIZE + 72))
		return ix_corrupt(ix, "directory fails its checksum");
	if (!(ix->page_crcs =
	              rh__malloc((size_t)(ix->npages ? ix->npages : 1) * 4)))
		return RH_ENOMEM;
	for (i = 0; i < ix->npages; i++)
		ix->page_crcs[i] = ix_get32(tail + 4 * i);
	for (i = 0; i < nsec; i++) {
		const unsigned char *d =
			tail + (dir_off - ix->crc_off) + i * IX_DIRENT_SIZE;
		uint32_t id = ix_get32(d);
		ix_sec *s;

		if (id == 0 || id >= IX_NSEC_IDS)
			continue; /* a later writer's extra section */
		s = &ix->sec[id];
		if (s->present)
			return ix_corrupt(ix, "a section appears twice");
		s->present = 1;
		s->elem = ix_get32(d + 4);
		s->off = ix_get64(d + 8);
		s->size = ix_get64(d + 16);
		s->count = ix_get64(d + 24);
		if (s->off < IX_HEADER_SIZE || s->off > ix->crc_off ||
		    s->size > ix->crc_off - s->off)
			return ix_corrupt(ix,
			                  "a section lies outside the data");
	}
	return 0;
}

static int
load_tail(rh_index *ix)
{
	unsigned char *tail = NULL, *buf = NULL;
	uint64_t dir_off = 0, start;
	uint32_t nsec = 0;
	size_t have;
	int error, own_tail = 0;

	/* from a page boundary, so that the pages it holds can be kept */
	start = ix->size > TAIL_READ ? ix->size - TAIL_READ : 0;
	start -= start % IX_PAGE_SIZE;
	have = (size_t)(ix->size - start);
	if (!(buf = rh__malloc(have)))
		return RH_ENOMEM;
	if ((error = raw_read(ix, start, have, buf)) < 0 ||
	    (error = read_trailer(ix, buf + have - IX_TRAILER_SIZE, &dir_off,
	                          &nsec)) < 0)
		goto done;
	if (ix->crc_off >= start) { /* all in hand */
		tail = buf + (ix->crc_off - start);
	} else { /* a huge index: the CRCs start before what was read */
		if (!(tail = rh__malloc((size_t)(ix->size - ix->crc_off)))) {
			error = RH_ENOMEM;
			goto done;
		}
		own_tail = 1;
		memcpy(tail + (start - ix->crc_off), buf, have);
		if ((error = raw_read(ix, ix->crc_off,
		                      (size_t)(start - ix->crc_off), tail)) < 0)
			goto done;
	}
	if ((error = read_directory(ix, tail, dir_off, nsec)) == 0 &&
	    (error = check_sections(ix)) == 0 && !ix->mem)
		keep_pages(ix, buf, start, have);
done:
	if (own_tail)
		free(tail);
	free(buf);
	return error;
}

/* IX_WARN's messages, checked: count NUL-terminated strings after the u64
 * total. */
static int
load_warnings(rh_index *ix)
{
	const ix_sec *s = &ix->sec[IX_WARN];
	unsigned char tot[8];
	size_t len, i, k = 0;
	char *p;
	int error;

	if (!s->present)
		return 0;
	if (s->size < 8 || s->size - 8 > IX_WARN_MAX_BYTES ||
	    s->count > s->size - 8)
		return ix_corrupt(ix, "a bad warnings section");
	len = (size_t)(s->size - 8);
	if ((error = ix_sec_read(ix, IX_WARN, 0, 8, tot)) < 0)
		return error;
	ix->nwarn_all = ix_get64(tot);
	if (!(ix->warn = rh__malloc(len + 1)) ||
	    !(ix->warnv = rh__calloc(s->count ? (size_t)s->count : 1,
	                             sizeof(*ix->warnv))))
		return RH_ENOMEM;
	if (len && (error = ix_sec_read(ix, IX_WARN, 8, len, ix->warn)) < 0)
		return error;
	ix->warn[len] = '\0';
	for (p = ix->warn, i = 0; i < len && k < s->count; k++) {
		ix->warnv[k] = p + i;
		i += strlen(p + i) + 1;
	}
	if (k != s->count || i != len || ix->nwarn_all < k)
		return ix_corrupt(ix, "a bad warnings section");
	ix->nwarn = k;
	return 0;
}

/* A handle with its page cache, nothing read yet. */
static int
index_new(rh_index **out, rh_store *st, const char *key,
          const unsigned char *mem, size_t len, const rh_index_options *opts)
{
	size_t cache =
		opts && opts->cache_bytes ? opts->cache_bytes : (16u << 20);
	rh_index *ix;

	if (!(*out = ix = rh__calloc(1, sizeof(*ix))))
		return RH_ENOMEM;
	pthread_mutex_init(&ix->lock, NULL);
	ix->st = st;
	ix->mem = mem;
	ix->size = len;
	ix->max_pages = cache / IX_PAGE_SIZE < 16 ? 16 : cache / IX_PAGE_SIZE;
	ix->nbuckets = ix->max_pages * 2 + 1;
	if ((key && !(ix->key = rh__strdup(key))) ||
	    !(ix->buckets = rh__calloc(ix->nbuckets, sizeof(*ix->buckets))))
		return RH_ENOMEM;
	return 0;
}

/* The object's size and its first page (the header's) in one go: one
 * round trip over an object store. first[0] asks the size, first[1] gets
 * the page. */
static int
fetch_first(rh_index *ix, ix_fetch_req first[2], rh_store *st, const char *key)
{
	int error;

	first[0].head = 1;
	first[1].len = IX_PAGE_SIZE;
	ix_fetch_all(st, key, first, 2);
	ix->size = first[0].size;
	/* a failure is asked again here, for this thread's message */
	if (first[0].error < 0 &&
	    (error = rh_store_head(&ix->size, NULL, st, key)) < 0)
		return error;
	if (first[1].error < 0) {
		rh_buf_clear(&first[1].buf);
		return rh_store_get(&first[1].buf, st, key, 0, IX_PAGE_SIZE);
	}
	return 0;
}

/* The header: magic, format version, page size. */
static int
check_header(rh_index *ix, const unsigned char *hdr, const char *key)
{
	if (memcmp(hdr, IX_MAGIC, 8) != 0)
		return ix_corrupt(ix, "not a rayhist index");
	ix->version = ix_get32(hdr + 8);
	if (ix->version != RH_INDEX_FORMAT_VERSION)
		return rh__error(
			RH_ECORRUPT,
			"%s: index format version %u, this library reads %u",
			key ? key : "(memory)", ix->version,
			RH_INDEX_FORMAT_VERSION);
	if (ix_get32(hdr + 12) != IX_PAGE_SIZE)
		return ix_corrupt(ix, "unsupported page size");
	return 0;
}

/* The header page is checked like any other, once the page CRCs are
 * known; over a store, the page fetched first is the one kept. */
static int
check_header_page(rh_index *ix, const rh_buf *page, const unsigned char *hdr)
{
	ix_page *p;
	int error;

	pthread_mutex_lock(&ix->lock);
	if (ix->st && !(p = page_find(ix, 0)))
		error = page_add(ix, 0, page->ptr, page->size, &p);
	else
		error = page_get(ix, 0, &p);
	if (!error && memcmp(p->data, hdr, IX_HEADER_SIZE) != 0)
		error = ix_corrupt(ix, "header changed while reading");
	pthread_mutex_unlock(&ix->lock);
	return error;
}

static int
index_open(rh_index **out, rh_store *st, const char *key,
           const unsigned char *mem, size_t len, const rh_index_options *opts)
{
	unsigned char hdr[IX_HEADER_SIZE];
	ix_fetch_req first[2];
	rh_index *ix = NULL;
	int error;

	memset(first, 0, sizeof(first));
	if (!out)
		return rh__error(RH_EINVAL, "rh_index_open: NULL out");
	*out = NULL;
	if (opts && opts->version != RH_INDEX_OPTIONS_VERSION)
		return rh__error(RH_EINVAL, "rh_index_open: options version %u",
		                 opts->version);
	if ((error = index_new(&ix, st, key, mem, len, opts)) < 0 ||
	    (st && (error = fetch_first(ix, first, st, key)) < 0))
		goto done;
	if (ix->size < IX_HEADER_SIZE + IX_TRAILER_SIZE) {
		error = ix_corrupt(ix, "too short to be an index");
		goto done;
	}
	if (!st)
		memcpy(hdr, mem, sizeof(hdr));
	else if (first[1].buf.size >= sizeof(hdr))
		memcpy(hdr, first[1].buf.ptr, sizeof(hdr));
	else {
		error = ix_corrupt(ix, "truncated (the object shrank)");
		goto done;
	}
	if ((error = check_header(ix, hdr, key)) < 0 ||
	    (error = load_tail(ix)) < 0 ||
	    (error = check_header_page(ix, &first[1].buf, hdr)) < 0 ||
	    (error = load_warnings(ix)) < 0)
		goto done;
	*out = ix, ix = NULL;
done:
	rh_buf_dispose(&first[1].buf);
	rh_index_close(ix);
	return error;
}

RH_EXTERN uint64_t
rh_index_warning_count(const rh_index *ix)
{
	return ix ? ix->nwarn_all : 0;
}

RH_EXTERN const char *
rh_index_warning(const rh_index *ix, size_t i)
{
	return ix && i < ix->nwarn ? ix->warnv[i] : NULL;
}

RH_EXTERN int
rh_index_open(rh_index **out, rh_store *st, const char *key,
              const rh_index_options *opts)
{
	if (!st || !key)
		return rh__error(RH_EINVAL, "rh_index_open: NULL argument");
	return index_open(out, st, key, NULL, 0, opts);
}

RH_EXTERN int
rh_index_open_mem(rh_index **out, const void *data, size_t len,
                  const rh_index_options *opts)
{
	if (!data && len)
		return rh__error(RH_EINVAL, "rh_index_open_mem: NULL data");
	return index_open(out, NULL, NULL, data ? data : (const void *)"", len,
	                  opts);
}

RH_EXTERN const uint8_t *
rh_index_fingerprint(const rh_index *ix)
{
	return ix ? ix->fp : NULL;
}

RH_EXTERN unsigned
rh_index_format_version(const rh_index *ix)
{
	return ix ? ix->version : 0;
}

RH_EXTERN uint64_t
rh_index_count(const rh_index *ix, rh_entity what)
{
	static const int sec[RH_ENTITY_COUNT] = {
		IX_TASK, IX_ACTOR, IX_JOB, IX_NODE, IX_WORKER, IX_PG, IX_CEVENT,
	};

	if (!ix || (unsigned)what >= RH_ENTITY_COUNT)
		return 0;
	return ix->sec[sec[what]].count;
}

RH_EXTERN void
rh_index_close(rh_index *ix)
{
	size_t i;

	if (!ix)
		return;
	free(ix->warn);
	free(ix->warnv);
	for (i = 0; ix->buckets && i < ix->nbuckets; i++) {
		ix_page *p = ix->buckets[i], *n;

		for (; p; p = n) {
			n = p->hnext;
			free(p);
		}
	}
	pthread_mutex_destroy(&ix->lock);
	free(ix->buckets);
	free(ix->page_crcs);
	free(ix->key);
	free(ix);
}
