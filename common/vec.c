/*
 * vec.c - growth arrays (see vec.h).
 */
#include "common/vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Reallocate *items to `cap` elements (at most `max`); 0 or a negative code. */
static int vec__resize(void *items, size_t cap, size_t size, size_t max)
{
	void *arr, *grown;

	if (cap > max || (size && cap > SIZE_MAX / size))
		return cmk_error_set(CMK_EINVALID, "too many items (limit %zu)", max);
	memcpy(&arr, items, sizeof(arr));
	if ((grown = realloc(arr, cap * size)) == NULL)
		return cmk_error_oom();
	memcpy(items, &grown, sizeof(grown));
	return 0;
}

int cmk_vec_reserve(void *items, size_t *cap, size_t need, size_t size, size_t max_items)
{
	size_t max = max_items ? max_items : CMK_VEC_MAX_ITEMS;
	size_t ncap = *cap ? *cap : 4;
	int error;

	if (need <= *cap)
		return 0;
	if (need > max)
		return cmk_error_set(CMK_EINVALID, "too many items (limit %zu)", max);
	while (ncap < need)
		ncap = ncap > max / 2 ? max : ncap * 2;
	if (ncap > max)
		ncap = max;
	if ((error = vec__resize(items, ncap, size, max)) < 0)
		return error;
	*cap = ncap;
	return 0;
}

void *cmk_vec_push(void *items, size_t *count, size_t *cap, size_t size)
{
	char *arr;

	if (cmk_vec_reserve(items, cap, *count + 1, size, 0) < 0)
		return NULL;
	memcpy(&arr, items, sizeof(arr));
	memset(arr + *count * size, 0, size);
	return arr + (*count)++ * size;
}

void *cmk_vec_append(void *items, size_t *count, size_t size)
{
	size_t cap = 1;
	char *arr;

	while (cap < *count + 1 && cap <= CMK_VEC_MAX_ITEMS / 2)
		cap *= 2;
	if (cap < *count + 1)
		cap = *count + 1;
	if (vec__resize(items, cap, size, CMK_VEC_MAX_ITEMS) < 0)
		return NULL;
	memcpy(&arr, items, sizeof(arr));
	memset(arr + *count * size, 0, size);
	return arr + (*count)++ * size;
}
