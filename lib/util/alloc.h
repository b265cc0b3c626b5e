/* alloc.h - allocation wrappers that set the RH_ENOMEM message and return
 * NULL. lib/ never aborts on out-of-memory; only programs may die. */
#ifndef RH_ALLOC_H
#define RH_ALLOC_H

#include <stdlib.h>
#include <string.h>

int rh__error(int code, const char *fmt, ...);

static inline void *
rh__malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		rh__error(-8, "out of memory (%zu bytes)", n);
	return p;
}

static inline void *
rh__calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		rh__error(-8, "out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

static inline void *
rh__realloc(void *ptr, size_t n)
{
	void *p = realloc(ptr, n ? n : 1);
	if (!p)
		rh__error(-8, "out of memory (%zu bytes)", n);
	return p;
}

static inline char *
rh__strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		rh__error(-8, "out of memory (string of %zu bytes)", strlen(s));
	return p;
}

static inline char *
rh__strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		rh__error(-8, "out of memory (string of %zu bytes)", n);
	return p;
}

/* a*b without overflow; returns 0 and sets *out, or -1 on overflow */
static inline int
rh__mul_overflow(size_t *out, size_t a, size_t b)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static inline int
rh__add_overflow(size_t *out, size_t a, size_t b)
{
	return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

#endif
