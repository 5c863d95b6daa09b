/*
 * error.c - the thread-local last error (see error.h).
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

#define CMK_ERROR_MSG_MAX 4096

static _Thread_local char last_message[CMK_ERROR_MSG_MAX];
static _Thread_local int last_code;

int cmk_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	last_code = code;
	return code;
}

int cmk_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cmk_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int cmk_error_oom(void)
{
	return cmk_error_set(CMK_ENOMEM, "out of memory");
}

const char *cmk_error_last(void)
{
	return last_message;
}

int cmk_error_last_code(void)
{
	return last_code;
}

void cmk_error_clear(void)
{
	last_message[0] = '\0';
	last_code = 0;
}

const char *cmk_error_name(int code)
{
	switch (code) {
	case CMK_OK: return "ok";
	case CMK_ENOTFOUND: return "not found";
	case CMK_ECONFLICT: return "conflict";
	case CMK_EAUTH: return "authentication";
	case CMK_ETHROTTLED: return "throttled";
	case CMK_ETIMEOUT: return "timeout";
	case CMK_EINVALID: return "invalid";
	case CMK_ENOMEM: return "out of memory";
	case CMK_ECANCELED: return "canceled";
	case CMK_EUSAGE: return "usage";
	default: return "error";
	}
}
