/*
 * buf.c - growable capped buffer (see buf.h).
 */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/vec.h"

void cmk_buf_init(cmk_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static int buf__grow(cmk_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : CMK_BUF_DEFAULT_MAX;

	if (extra > max || b->len > max - extra)
		return cmk_error_set(CMK_EINVALID, "data too large (limit %zu bytes)", max);
	/* the terminating NUL takes one byte past the content limit */
	return cmk_vec_reserve(&b->ptr, &b->cap, b->len + extra + 1, 1, max + 1);
}

int cmk_buf_put(cmk_buf *b, const void *data, size_t len)
{
	int error;

	if ((error = buf__grow(b, len)) < 0)
		return error;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int cmk_buf_puts(cmk_buf *b, const char *s)
{
	return cmk_buf_put(b, s, strlen(s));
}

int cmk_buf_printf(cmk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cmk_error_set(CMK_ERROR, "formatting failed");
	if ((error = buf__grow(b, (size_t)n)) < 0)
		return error;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *cmk_buf_cstr(const cmk_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *cmk_buf_detach(cmk_buf *b)
{
	char *p = b->ptr;

	if (!p)
		p = calloc(1, 1);
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void cmk_buf_clear(cmk_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void cmk_buf_free(cmk_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int cmk_buf_read_file(cmk_buf *b, const char *path)
{
	char chunk[65536];
	FILE *f;
	size_t n;
	int error = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return cmk_error_set(errno == ENOENT ? CMK_ENOTFOUND : CMK_ERROR,
				     "%s: cannot open: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if ((error = cmk_buf_put(b, chunk, n)) < 0) {
			/* copy first: formatting the last error into itself overlaps */
			char why[256];

			snprintf(why, sizeof(why), "%s", cmk_error_last());
			cmk_error_set(error, "%s: %s", path, why);
			goto out;
		}
	}
	if (ferror(f))
		error = cmk_error_set(CMK_ERROR, "%s: read failed: %s", path, strerror(errno));
	else if (!b->ptr)
		error = cmk_buf_put(b, "", 0);
out:
	fclose(f);
	return error;
}
