/*
 * log.c - leveled, redacting logger (see log.h).
 */
#include "log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/out.h"
#include "common/time.h"

#define LOG_MAX_SECRETS 64
#define LOG_MIN_SECRET_LEN 6

static struct {
	cmk_log_level level;
	cmk_log_format format;
	FILE *stream;
	char *secrets[LOG_MAX_SECRETS];
	size_t nsecrets;
} log_state = { CMK_LOG_INFO, CMK_LOG_TEXT, NULL, { NULL }, 0 };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void cmk_log_configure(cmk_log_level level, cmk_log_format format, FILE *stream)
{
	log_state.level = level;
	log_state.format = format;
	log_state.stream = stream;
}

cmk_log_level cmk_log_get_level(void)
{
	return log_state.level;
}

void cmk_log_add_secret(const char *value)
{
	char *copy;

	if (!value || strlen(value) < LOG_MIN_SECRET_LEN)
		return;
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_state.nsecrets; i++)
		if (strcmp(log_state.secrets[i], value) == 0)
			goto out;
	if (log_state.nsecrets == LOG_MAX_SECRETS) {
		/* oldest secrets are usually expired tokens: drop the oldest */
		free(log_state.secrets[0]);
		memmove(log_state.secrets, log_state.secrets + 1,
			(LOG_MAX_SECRETS - 1) * sizeof(char *));
		log_state.nsecrets--;
	}
	if ((copy = strdup(value)) != NULL)
		log_state.secrets[log_state.nsecrets++] = copy;
out:
	pthread_mutex_unlock(&log_lock);
}

void cmk_log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_state.nsecrets; i++)
		free(log_state.secrets[i]);
	log_state.nsecrets = 0;
	pthread_mutex_unlock(&log_lock);
}

static const char log_mask[] = "[REDACTED]";

/* Replace text[start, end) by the mask (cut to the length: the text never
 * grows); returns where the text after it now starts. */
static size_t log__mask(char *text, size_t start, size_t end)
{
	size_t n = end - start, m = n < sizeof(log_mask) - 1 ? n : sizeof(log_mask) - 1;

	memcpy(text + start, log_mask, m);
	memmove(text + start + m, text + end, strlen(text + end) + 1);
	return start + m;
}

static bool log__token_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

static bool log__word_char(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* The length of a secret-bearing parameter name at `p` followed by '=' or
 * '":' (form, query string, JSON), or 0. The value follows the separator. */
static size_t log__secret_param(const char *p, size_t *sep)
{
	static const char *const names[] = { "client_secret", "client_assertion", "sig", "signature",
					     "access_token", "refresh_token", NULL };

	for (size_t i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);

		if (strncasecmp(p, names[i], n) != 0)
			continue;
		if (p[n] == '=') {
			*sep = 1;
			return n;
		}
		if (p[n] == '"' && p[n + 1] == ':') {
			size_t k = n + 2;

			while (p[k] == ' ')
				k++;
			if (p[k] == '"') {
				*sep = k + 1 - n;
				return n;
			}
		}
	}
	return 0;
}

/*
 * What looks like a credential whoever registered it or not: a bearer token
 * ("Bearer <16+ token characters>"), a JWT ("eyJ" then base64url with a
 * dot), and the values of client_secret, client_assertion, sig and
 * signature (SAS URLs), access_token and refresh_token parameters.
 */
static void log__redact_shapes(char *text)
{
	size_t i = 0;

	while (text[i]) {
		unsigned char prev = i ? (unsigned char)text[i - 1] : ' ';
		size_t n, sep = 0, end;

		if (!log__word_char(prev) && strncasecmp(text + i, "bearer ", 7) == 0) {
			for (n = i + 7; text[n] == ' '; n++)
				;
			for (end = n; log__token_char((unsigned char)text[end]); end++)
				;
			if (end - n >= 16) {
				i = log__mask(text, n, end);
				continue;
			}
		}
		if (!log__token_char(prev) && strncmp(text + i, "eyJ", 3) == 0) {
			bool dot = false;

			for (end = i; isalnum((unsigned char)text[end]) || text[end] == '-' ||
				      text[end] == '_' || text[end] == '.'; end++)
				dot = dot || text[end] == '.';
			if (dot && end - i >= 20) {
				i = log__mask(text, i, end);
				continue;
			}
		}
		if (!log__word_char(prev) && (n = log__secret_param(text + i, &sep)) > 0) {
			size_t start = i + n + sep;

			for (end = start; text[end] && !strchr("&\"' \t\r\n#,;)<>", text[end]); end++)
				;
			if (end > start) {
				i = log__mask(text, start, end);
				continue;
			}
		}
		i++;
	}
}

void cmk_log_redact(char *text)
{
	log__redact_shapes(text);
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_state.nsecrets; i++) {
		const char *secret = log_state.secrets[i];
		size_t slen = strlen(secret);
		char *hit;

		/* secrets are >= 6 bytes; the mask is 10, so write what fits and
		 * pad by shifting the rest left: the text never grows */
		while ((hit = strstr(text, secret)) != NULL)
			(void)log__mask(text, (size_t)(hit - text), (size_t)(hit - text) + slen);
	}
	pthread_mutex_unlock(&log_lock);
}

static void log__timestamp(char *out, size_t outlen)
{
	(void)cmk_time_format_ms(out, outlen, cmk_time_wall_ms());
}

static void log__write_json(FILE *out, cmk_log_level level, const char *when,
			    const char *resource, const char *step,
			    const char *request_id, const char *message)
{
	cJSON *obj = cJSON_CreateObject();
	char *line;

	if (!obj)
		return;
	cJSON_AddStringToObject(obj, "time", when);
	cJSON_AddStringToObject(obj, "level", level_names[level]);
	cJSON_AddStringToObject(obj, "message", message);
	if (resource)
		cJSON_AddStringToObject(obj, "resource", resource);
	if (step)
		cJSON_AddStringToObject(obj, "step", step);
	if (request_id)
		cJSON_AddStringToObject(obj, "request_id", request_id);
	if ((line = cJSON_PrintUnformatted(obj)) != NULL) {
		/* resource ids and steps are not secret, but redact the whole
		 * line anyway: cheap, and it covers every field */
		cmk_log_redact(line);
		fprintf(out, "%s\n", line);
		free(line);
	}
	cJSON_Delete(obj);
}

/* One text line: every field passes the redaction (a server may echo a
 * token in its request id) and the output escapes (control characters in
 * names and messages shown as text; the indented lines of a multi-line
 * message stay lines). */
static void log__write_text(FILE *out, cmk_log_level level, const char *when, const char *resource,
			    const char *step, const char *request_id, const char *message)
{
	cmk_buf line = CMK_BUF_INIT, shown = CMK_BUF_INIT;

	if (cmk_buf_printf(&line, "%s %-5s %s%s%s%s%s", when, level_names[level], resource ? resource : "",
			   resource ? ": " : "", step ? step : "", step ? ": " : "", message) < 0 ||
	    (request_id && cmk_buf_printf(&line, " (request id %s)", request_id) < 0))
		goto out;
	cmk_log_redact(line.ptr);
	if (cmk_out_escape(&shown, line.ptr, CMK_OUT_KEEP_CONTINUATION) < 0 || cmk_buf_puts(&shown, "\n") < 0)
		goto out;
	fwrite(shown.ptr, 1, shown.len, out);
out:
	cmk_buf_free(&line);
	cmk_buf_free(&shown);
}

void cmk_log_ctx(cmk_log_level level, const char *resource, const char *step,
		 const char *request_id, const char *fmt, ...)
{
	char message[8192], when[80];
	FILE *out = log_state.stream ? log_state.stream : stderr;
	va_list ap;

	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cmk_log_redact(message);
	log__timestamp(when, sizeof(when));

	if (log_state.format == CMK_LOG_JSON)
		log__write_json(out, level, when, resource, step, request_id, message);
	else
		log__write_text(out, level, when, resource, step, request_id, message);
	fflush(out);
}
