/*
 * log.h - diagnostics to stderr, as text or one JSON object per line.
 *
 * Every line passes through the secret filter, at every level and in both
 * formats, all of its fields (message, resource, step, request id): values
 * registered with cmk_log_add_secret (client secrets, tokens, git tokens)
 * and whatever has the shape of a credential - "Bearer <token>", a JWT
 * ("eyJ..."), the values of client_secret=, client_assertion=, sig=,
 * signature=, access_token= and refresh_token= (also as JSON members) -
 * are replaced by "[REDACTED]" before anything is written, so a secret
 * cannot reach a log even if a caller or a server (echoing a header in a
 * request id) puts it there. Text lines also pass common/out.h's escapes.
 */
#ifndef CMK_LOG_H
#define CMK_LOG_H

#include <stdio.h>

#include "error.h"

typedef enum {
	CMK_LOG_ERROR = 0,
	CMK_LOG_WARN,
	CMK_LOG_INFO,
	CMK_LOG_DEBUG,
} cmk_log_level;

typedef enum {
	CMK_LOG_TEXT = 0,
	CMK_LOG_JSON,
} cmk_log_format;

void cmk_log_configure(cmk_log_level level, cmk_log_format format, FILE *stream);
cmk_log_level cmk_log_get_level(void);

/* Remember a secret value (copied) to redact from every later message.
 * Values shorter than 6 bytes are ignored (they would redact ordinary text). */
void cmk_log_add_secret(const char *value);
void cmk_log_clear_secrets(void);

/* Replace every registered secret and every credential-shaped value (see
 * above) in `text` (in place, never growing). */
void cmk_log_redact(char *text);

/* Log with optional context: `resource` and `step` may be NULL. */
void cmk_log_ctx(cmk_log_level level, const char *resource, const char *step,
		 const char *request_id, const char *fmt, ...) CMK_PRINTF(5, 6);

#define cmk_log_error(...) cmk_log_ctx(CMK_LOG_ERROR, NULL, NULL, NULL, __VA_ARGS__)
#define cmk_log_warn(...) cmk_log_ctx(CMK_LOG_WARN, NULL, NULL, NULL, __VA_ARGS__)
#define cmk_log_info(...) cmk_log_ctx(CMK_LOG_INFO, NULL, NULL, NULL, __VA_ARGS__)
#define cmk_log_debug(...) cmk_log_ctx(CMK_LOG_DEBUG, NULL, NULL, NULL, __VA_ARGS__)

#endif
