/*
 * error.h - the project's error model (after libgit2).
 *
 * Functions return 0 on success and a negative code on failure. The message
 * is set once, where the failure is understood, into a thread-local slot, and
 * propagated unchanged: callers above must not overwrite it.
 */
#ifndef CMK_ERROR_H
#define CMK_ERROR_H

#include <stdarg.h>

#define CMK_WUR __attribute__((warn_unused_result))
#define CMK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

typedef enum {
	CMK_OK = 0,
	CMK_ERROR = -1,      /* anything not listed below */
	CMK_ENOTFOUND = -3,  /* the thing asked for does not exist */
	CMK_ECONFLICT = -4,  /* exists already / busy / state conflict */
	CMK_EAUTH = -5,      /* authentication or authorization failed */
	CMK_ETHROTTLED = -6, /* the service asked us to slow down */
	CMK_ETIMEOUT = -7,   /* a deadline passed */
	CMK_EINVALID = -8,   /* user input is invalid */
	CMK_ENOMEM = -9,     /* allocation failed */
	CMK_ECANCELED = -10, /* interrupted by the user or a signal */
	CMK_EUSAGE = -11,    /* wrong command-line usage */
} cmk_error_code;

/* Set the thread's last error; returns `code` so a caller can write
 * `return cmk_error_set(CMK_EINVALID, "...")`. */
int cmk_error_set(int code, const char *fmt, ...) CMK_PRINTF(2, 3);
int cmk_error_setv(int code, const char *fmt, va_list ap) CMK_PRINTF(2, 0);

/* Set the last error to "out of memory"; returns CMK_ENOMEM. */
int cmk_error_oom(void);

/* The message of the thread's last error, or "" when none was set. Valid
 * until the next cmk_error_set on this thread. */
const char *cmk_error_last(void);

/* The code of the thread's last error, or 0. */
int cmk_error_last_code(void);

void cmk_error_clear(void);

/* A short lower-case name for a code, for logs ("not found", "conflict"). */
const char *cmk_error_name(int code);

#endif
