/*
 * buf.h - a growable byte buffer with a size cap (after curl's dynbuf).
 *
 * The contents are always NUL-terminated so they can be used as a C string.
 * Growing past `max` fails with CMK_EINVALID ("too large") instead of
 * allocating without bound: HTTP bodies and files read from users are capped.
 */
#ifndef CMK_BUF_H
#define CMK_BUF_H

#include <stddef.h>

#include "error.h"

typedef struct {
	char *ptr;   /* NUL-terminated contents, or NULL when empty and never grown */
	size_t len;  /* bytes used, excluding the NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* growth limit (bytes of content); 0 means CMK_BUF_DEFAULT_MAX */
} cmk_buf;

#define CMK_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)
#define CMK_BUF_INIT { NULL, 0, 0, 0 }

void cmk_buf_init(cmk_buf *b, size_t max);
int cmk_buf_put(cmk_buf *b, const void *data, size_t len) CMK_WUR;
int cmk_buf_puts(cmk_buf *b, const char *s) CMK_WUR;
int cmk_buf_printf(cmk_buf *b, const char *fmt, ...) CMK_PRINTF(2, 3) CMK_WUR;
/* The contents as a string; "" for an empty buffer (never NULL). */
const char *cmk_buf_cstr(const cmk_buf *b);
/* Hand the allocation to the caller (free() it); the buffer becomes empty. */
char *cmk_buf_detach(cmk_buf *b);
void cmk_buf_clear(cmk_buf *b);
void cmk_buf_free(cmk_buf *b);

/* Read a whole file into `b`, failing with a message naming the path when it
 * cannot be read or is larger than the buffer's cap. */
int cmk_buf_read_file(cmk_buf *b, const char *path) CMK_WUR;

#endif
