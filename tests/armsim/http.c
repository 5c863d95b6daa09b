/*
 * http.c - response builders shared by every handler (see http.h).
 */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void resp_json(sim_resp *resp, int status, cJSON *body)
{
	if (resp->json)
		cJSON_Delete(resp->json);
	free(resp->raw);
	resp->raw = NULL;
	resp->raw_len = 0;
	resp->status = status;
	resp->json = body;
}

void resp_raw(sim_resp *resp, int status, const char *content_type,
	      const char *data, size_t len)
{
	resp_json(resp, status, NULL);
	resp->raw = malloc(len + 1);
	if (resp->raw) {
		memcpy(resp->raw, data, len);
		resp->raw[len] = '\0';
		resp->raw_len = len;
	}
	resp->content_type = content_type;
}

void resp_header(sim_resp *resp, const char *name, const char *fmt, ...)
{
	char value[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	for (int i = 0; i < resp->nhdr; i++) {
		if (strcasecmp(resp->hdr[i].name, name) == 0) {
			free(resp->hdr[i].value);
			resp->hdr[i].value = strdup(value);
			return;
		}
	}
	if (resp->nhdr >= (int)(sizeof resp->hdr / sizeof resp->hdr[0]))
		return;
	resp->hdr[resp->nhdr].name = strdup(name);
	resp->hdr[resp->nhdr].value = strdup(value);
	resp->nhdr++;
}

const char *resp_header_get(const sim_resp *resp, const char *name)
{
	for (int i = 0; i < resp->nhdr; i++)
		if (strcasecmp(resp->hdr[i].name, name) == 0)
			return resp->hdr[i].value;
	return NULL;
}

static void arm_error_v(sim_resp *resp, int status, const char *code,
			const char *target, const char *fmt, va_list ap)
{
	char msg[4096];
	vsnprintf(msg, sizeof msg, fmt, ap);
	cJSON *body = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(body, "error");
	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", msg);
	if (target)
		cJSON_AddStringToObject(err, "target", target);
	resp_json(resp, status, body);
}

void resp_arm_error(sim_resp *resp, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	arm_error_v(resp, status, code, NULL, fmt, ap);
	va_end(ap);
}

void resp_arm_error_target(sim_resp *resp, int status, const char *code,
			   const char *target, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	arm_error_v(resp, status, code, target, fmt, ap);
	va_end(ap);
}

void resp_reset(sim_resp *resp)
{
	if (resp->json)
		cJSON_Delete(resp->json);
	free(resp->raw);
	for (int i = 0; i < resp->nhdr; i++) {
		free(resp->hdr[i].name);
		free(resp->hdr[i].value);
	}
	memset(resp, 0, sizeof *resp);
}
