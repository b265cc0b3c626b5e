/* history_tables.c - the builder's containers: interned strings, pools
 * that never move what they hold, 64-bit-keyed hash maps, and transition
 * vectors deduplicated by (state, time). */
#include "internal.h"
#include "history_internal.h"

/* ---------------------------------------------------------------- hashing */

uint64_t
hb_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL), w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* ---------------------------------------------------------------- strtab */

int
rh_strtab_init(rh_strtab *t)
{
	memset(t, 0, sizeof(*t));
	t->mask = 1023;
	if (!(t->slots = rh__calloc(t->mask + 1, sizeof(*t->slots))) ||
	    !(t->off = rh__malloc(256 * sizeof(*t->off))) ||
	    !(t->hashes = rh__malloc(256 * sizeof(*t->hashes)))) {
		rh_strtab_dispose(t);
		return RH_ENOMEM;
	}
	t->a = 256;
	t->n = 1; /* id 0 is NULL */
	t->off[0] = 0;
	t->hashes[0] = 0;
	return 0;
}

void
rh_strtab_dispose(rh_strtab *t)
{
	free(t->data);
	free(t->off);
	free(t->slots);
	free(t->hashes);
	memset(t, 0, sizeof(*t));
}

static int
strtab_rehash(rh_strtab *t)
{
	size_t nmask = t->mask * 2 + 1, i;
	uint32_t *slots = rh__calloc(nmask + 1, sizeof(*slots));

	if (!slots)
		return RH_ENOMEM;
	for (i = 1; i < t->n; i++) {
		size_t s = t->hashes[i] & nmask;

		while (slots[s])
			s = (s + 1) & nmask;
		slots[s] = (uint32_t)i;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nmask;
	return 0;
}

int
rh_strtab_intern(rh_strtab *t, uint32_t *id_out, const char *s, size_t len)
{
	uint64_t h;
	size_t slot, need;
	uint32_t id, n32;

	*id_out = 0;
	if (!s)
		return 0;
	if (len > UINT32_MAX / 2)
		return rh__error(RH_EINVAL, "string of %zu bytes is too long",
		                 len);
	h = hb_hash(s, len);
	for (slot = (uint32_t)h & t->mask; (id = t->slots[slot]);
	     slot = (slot + 1) & t->mask) {
		if (t->hashes[id] == (uint32_t)h &&
		    rh_strtab_len(t, id) == len &&
		    memcmp(t->data + t->off[id] + 4, s, len) == 0) {
			*id_out = id;
			return 0;
		}
	}
	if (t->n == UINT32_MAX - 1)
		return rh__error(RH_ENOMEM, "too many distinct strings");
	need = t->size + 4 + len + 1;
	if (need > UINT32_MAX)
		return rh__error(RH_ENOMEM,
		                 "more than 4 GiB of distinct strings");
	if (need > t->asize) {
		size_t na = t->asize ? t->asize * 2 : 65536;
		char *d;

		while (na < need)
			na *= 2;
		if (na > UINT32_MAX)
			na = UINT32_MAX;
		if (!(d = rh__realloc(t->data, na)))
			return RH_ENOMEM;
		t->data = d;
		t->asize = na;
	}
	if (t->n == t->a) {
		uint32_t na = t->a * 2;
		uint32_t *off = rh__realloc(t->off, (size_t)na * sizeof(*off));
		uint32_t *hs;

		if (!off)
			return RH_ENOMEM;
		t->off = off;
		if (!(hs = rh__realloc(t->hashes, (size_t)na * sizeof(*hs))))
			return RH_ENOMEM;
		t->hashes = hs;
		t->a = na;
	}
	id = t->n++;
	t->off[id] = (uint32_t)t->size;
	t->hashes[id] = (uint32_t)h;
	n32 = (uint32_t)len;
	memcpy(t->data + t->size, &n32, 4);
	memcpy(t->data + t->size + 4, s, len);
	t->data[t->size + 4 + len] = '\0';
	t->size = need;
	t->slots[slot] = id;
	*id_out = id;
	if (t->n * 2 > t->mask)
		return strtab_rehash(t);
	return 0;
}

int
rh_strtab_cmp(const rh_strtab *t, uint32_t a, uint32_t b)
{
	uint32_t la, lb;
	int c;

	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1;
	la = rh_strtab_len(t, a);
	lb = rh_strtab_len(t, b);
	c = memcmp(rh_strtab_get(t, a), rh_strtab_get(t, b), la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

uint64_t
rh_strtab_prefix(const rh_strtab *t, uint32_t id)
{
	const unsigned char *s;
	uint32_t n, i;
	uint64_t k = 0;

	if (!id)
		return 0;
	s = (const unsigned char *)rh_strtab_get(t, id);
	n = rh_strtab_len(t, id);
	for (i = 0; i < 8; i++)
		k = k << 8 | (i < n ? s[i] : 0);
	return k;
}

/* ---------------------------------------------------------------- pools */

void *
hb_pool_add(hb_pool *p, uint32_t *index_out)
{
	size_t c = p->n >> HB_CHUNK_SHIFT;
	void *item;

	if (p->n >= UINT32_MAX - 1) {
		rh__error(RH_ENOMEM, "too many entities");
		return NULL;
	}
	if (c == p->nchunks) {
		void **ch = rh__realloc(p->chunks, (c + 1) * sizeof(*ch));

		if (!ch)
			return NULL;
		p->chunks = ch;
		if (!(ch[c] = rh__malloc(p->item << HB_CHUNK_SHIFT)))
			return NULL;
		p->nchunks++;
	}
	item = hb_pool_at(p, p->n);
	memset(item, 0, p->item);
	*index_out = (uint32_t)p->n++;
	return item;
}

void
hb_pool_dispose(hb_pool *p)
{
	size_t i;

	for (i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	p->chunks = NULL;
	p->nchunks = p->n = 0;
}

/* ---------------------------------------------------------------- maps */

static uint64_t
mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

uint32_t
hb_map_get(const hb_map *m, uint64_t key)
{
	size_t s;

	if (!m->keys)
		return 0;
	for (s = mix(key) & m->mask; m->vals[s]; s = (s + 1) & m->mask)
		if (m->keys[s] == key)
			return m->vals[s];
	return 0;
}

static int
map_grow(hb_map *m)
{
	size_t nmask = m->keys ? m->mask * 2 + 1 : 255, i;
	uint64_t *keys = rh__malloc((nmask + 1) * sizeof(*keys));
	uint32_t *vals = rh__calloc(nmask + 1, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return RH_ENOMEM;
	}
	for (i = 0; m->keys && i <= m->mask; i++) {
		size_t s;

		if (!m->vals[i])
			continue;
		for (s = mix(m->keys[i]) & nmask; vals[s]; s = (s + 1) & nmask)
			;
		keys[s] = m->keys[i];
		vals[s] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->mask = nmask;
	return 0;
}

int
hb_map_put(hb_map *m, uint64_t key, uint32_t val)
{
	size_t s;
	int error;

	if ((!m->keys || (m->n + 1) * 2 > m->mask) && (error = map_grow(m)) < 0)
		return error;
	for (s = mix(key) & m->mask; m->vals[s]; s = (s + 1) & m->mask)
		if (m->keys[s] == key)
			break;
	if (!m->vals[s])
		m->n++;
	m->keys[s] = key;
	m->vals[s] = val;
	return 0;
}

void
hb_map_dispose(hb_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- string maps */

size_t
hb_smap_get(const hb_smap *m, const char *k)
{
	size_t s;

	if (!m->keys || !k)
		return 0;
	for (s = hb_hash(k, strlen(k)) & m->mask; m->keys[s];
	     s = (s + 1) & m->mask)
		if (!strcmp(m->keys[s], k))
			return m->vals[s];
	return 0;
}

static int
smap_grow(hb_smap *m)
{
	size_t nmask = m->keys ? m->mask * 2 + 1 : 255, i, s;
	char **keys = rh__calloc(nmask + 1, sizeof(*keys));
	size_t *vals = rh__calloc(nmask + 1, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return RH_ENOMEM;
	}
	for (i = 0; m->keys && i <= m->mask; i++) {
		if (!m->keys[i])
			continue;
		for (s = hb_hash(m->keys[i], strlen(m->keys[i])) & nmask;
		     keys[s]; s = (s + 1) & nmask)
			;
		keys[s] = m->keys[i];
		vals[s] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->mask = nmask;
	return 0;
}

int
hb_smap_put(hb_smap *m, char *k, size_t v)
{
	size_t s;
	int error;

	if ((!m->keys || (m->n + 1) * 2 > m->mask) &&
	    (error = smap_grow(m)) < 0)
		return error;
	for (s = hb_hash(k, strlen(k)) & m->mask; m->keys[s];
	     s = (s + 1) & m->mask)
		if (!strcmp(m->keys[s], k)) {
			m->vals[s] = v;
			return 0;
		}
	m->keys[s] = k;
	m->vals[s] = v;
	m->n++;
	return 0;
}

void
hb_smap_dispose(hb_smap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- transitions */

int
hb_tr_add(hb_trvec *v, int state, int64_t t, uint32_t x, hb_xcmp cmp,
          const void *ctx)
{
	uint32_t i;

	for (i = 0; i < v->n; i++) {
		if (v->v[i].state == state && v->v[i].t == t) {
			if (cmp && x != v->v[i].x && cmp(ctx, x, v->v[i].x) > 0)
				v->v[i].x = x;
			return 0;
		}
	}
	if (v->n == v->a) {
		uint32_t na = v->a ? v->a * 2 : 4;
		hb_tr *nv;

		if (na > UINT32_MAX / 2 / sizeof(*nv) ||
		    !(nv = rh__realloc(v->v, (size_t)na * sizeof(*nv))))
			return RH_ENOMEM;
		v->v = nv;
		v->a = na;
	}
	v->v[v->n].state = state;
	v->v[v->n].t = t;
	v->v[v->n].x = x;
	v->n++;
	return 0;
}

static int
tr_cmp(const void *a, const void *b)
{
	const hb_tr *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->state > y->state) - (x->state < y->state);
}

void
hb_tr_sort(hb_trvec *v)
{
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), tr_cmp);
}
