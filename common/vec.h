/*
 * vec.h - growth arrays: one way to grow an array of (items, count[, cap]),
 * doubling its capacity, with an overflow check and a size cap.
 *
 * Two shapes are in use:
 *  - arrays that keep a capacity (`cap` next to `count`): cmk_vec_reserve /
 *    CMK_VEC_PUSH;
 *  - arrays that keep none (the live model: an array may also be loaded from
 *    JSON at exactly its size): cmk_vec_append / CMK_VEC_APPEND reallocate
 *    to the power of two above the count on every append (a no-op while the
 *    block is big enough), so n appends cost O(log n) copies.
 * Failures leave the array as it was: CMK_EINVALID ("too many items") past
 * `max_items` (0: CMK_VEC_MAX_ITEMS) or when the byte size would overflow,
 * CMK_ENOMEM when allocation fails; the message is set.
 */
#ifndef CMK_VEC_H
#define CMK_VEC_H

#include <stddef.h>

#include "common/error.h"

/* No array of cmkctl comes near this; a runaway loop stops here. */
#define CMK_VEC_MAX_ITEMS ((size_t)1 << 24)

/* Make room for `need` elements of `size` bytes in the array *items
 * (`items` is the address of the array pointer) of capacity *cap. */
int cmk_vec_reserve(void *items, size_t *cap, size_t need, size_t size, size_t max_items) CMK_WUR;

/* Append one zeroed element to an array with a capacity; the element, or
 * NULL with the error set. */
void *cmk_vec_push(void *items, size_t *count, size_t *cap, size_t size);
#define CMK_VEC_PUSH(arr, count, cap) \
	((__typeof__(arr))cmk_vec_push(&(arr), &(count), &(cap), sizeof(*(arr))))

/* Append one zeroed element to an array without a capacity; the element, or
 * NULL with the error set. */
void *cmk_vec_append(void *items, size_t *count, size_t size);
#define CMK_VEC_APPEND(arr, count) \
	((__typeof__(arr))cmk_vec_append(&(arr), &(count), sizeof(*(arr))))

#endif
