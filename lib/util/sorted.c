/* sorted.c - binary search over names kept in byte order (sorted.h). */
#include "internal.h"
#include "sorted.h"

#include <string.h>

long
rh__sorted_find(const void *arr, size_t n, const char *key,
                rh__name_at_fn name_at)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name_at(arr, mid), key);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}
