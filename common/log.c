/*
 * log.c - leveled, redacting logger (see log.h).
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

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

void cmk_log_redact(char *text)
{
	static const char mask[] = "[REDACTED]";

	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < log_state.nsecrets; i++) {
		const char *secret = log_state.secrets[i];
		size_t slen = strlen(secret);
		char *hit;

		/* secrets are >= 6 bytes; the mask is 10, so write what fits and
		 * pad by shifting the rest left: the text never grows */
		while ((hit = strstr(text, secret)) != NULL) {
			size_t mlen = slen < sizeof(mask) - 1 ? slen : sizeof(mask) - 1;

			memcpy(hit, mask, mlen);
			memmove(hit + mlen, hit + slen, strlen(hit + slen) + 1);
		}
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

	if (log_state.format == CMK_LOG_JSON) {
		log__write_json(out, level, when, resource, step, request_id, message);
	} else if (request_id) {
		fprintf(out, "%s %-5s %s%s%s%s%s (request id %s)\n", when, level_names[level],
			resource ? resource : "", resource ? ": " : "",
			step ? step : "", step ? ": " : "", message, request_id);
	} else {
		fprintf(out, "%s %-5s %s%s%s%s%s\n", when, level_names[level],
			resource ? resource : "", resource ? ": " : "",
			step ? step : "", step ? ": " : "", message);
	}
	fflush(out);
}
