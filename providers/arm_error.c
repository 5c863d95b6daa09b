/*
 * arm_error.c - parsing, classifying and rendering errors of Azure calls
 * (see arm_error.h).
 */
#include "providers/arm_error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Body bytes quoted when the body is not an ARM error document. */
#define ARM_ERROR_QUOTE_MAX 200

static char *err__dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *err__dupn(const char *s, size_t n)
{
	char *copy = malloc(n + 1);

	if (copy) {
		memcpy(copy, s, n);
		copy[n] = '\0';
	}
	return copy;
}

const char *arm_http_reason(long status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "NoContent";
	case 301: return "MovedPermanently";
	case 302: return "Found";
	case 303: return "SeeOther";
	case 307: return "TemporaryRedirect";
	case 308: return "PermanentRedirect";
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 408: return "RequestTimeout";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "UnprocessableEntity";
	case 429: return "TooManyRequests";
	case 500: return "InternalServerError";
	case 501: return "NotImplemented";
	case 502: return "BadGateway";
	case 503: return "ServiceUnavailable";
	case 504: return "GatewayTimeout";
	default: return "";
	}
}

int arm_error_code_for_status(long status)
{
	switch (status) {
	case 400: case 405: case 413: case 415: case 422: return CMK_EINVALID;
	case 401: case 403: return CMK_EAUTH;
	case 404: return CMK_ENOTFOUND;
	case 409: case 412: return CMK_ECONFLICT;
	case 429: return CMK_ETHROTTLED;
	case 408: case 504: return CMK_ETIMEOUT;
	default: return CMK_ERROR;
	}
}

arm_error_class arm_error_classify(long status, const char *arm_code, const char *message)
{
	const char *msg = message ? message : "";

	(void)arm_code;
	if (status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505))
		return ARM_ERROR_RETRYABLE;
	/* The documented "busy" answers of Log Analytics clusters (seeds 001,
	 * 003, "Troubleshooting"): the request is right, the resource is in the
	 * middle of another async operation. */
	if (status == 409 && strcasestr(msg, "link or unlink operation in process"))
		return ARM_ERROR_WAIT_RUNNING;
	if (status == 400 && (strcasestr(msg, "Operation cannot be executed now") ||
			      strcasestr(msg, "is in deleting state")))
		return ARM_ERROR_WAIT_RUNNING;
	return ARM_ERROR_PERMANENT;
}

static char *err__json_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(obj, name); /* case-insensitive */

	if (cJSON_IsString(v) && v->valuestring)
		return strdup(v->valuestring);
	return NULL;
}

static int err__parse_details(arm_error *err, const cJSON *details)
{
	const cJSON *d;
	int n = cJSON_GetArraySize(details), i = 0;

	/* replace, like every other member (parsing into a filled error) */
	for (size_t k = 0; k < err->ndetails; k++) {
		free(err->details[k].code);
		free(err->details[k].message);
		free(err->details[k].target);
	}
	free(err->details);
	err->details = NULL;
	err->ndetails = 0;
	if (!cJSON_IsArray(details) || n <= 0)
		return 0;
	if ((err->details = calloc((size_t)n, sizeof(*err->details))) == NULL)
		return cmk_error_oom();
	cJSON_ArrayForEach(d, details) {
		if (!cJSON_IsObject(d))
			continue;
		err->details[i].code = err__json_string(d, "code");
		err->details[i].message = err__json_string(d, "message");
		err->details[i].target = err__json_string(d, "target");
		i++;
	}
	err->ndetails = (size_t)i;
	return 0;
}

int arm_error_parse_json(arm_error *err, const cJSON *doc)
{
	const cJSON *e, *extra;
	char *code, *message;

	if (!cJSON_IsObject(doc))
		return 0;
	e = cJSON_GetObjectItem(doc, "error");
	if (cJSON_IsString(e)) {
		/* Azure AD: {"error": "invalid_client", "error_description": "..."} */
		code = strdup(e->valuestring);
		message = err__json_string(doc, "error_description");
		if (!code)
			return 0;
		free(err->arm_code);
		err->arm_code = code;
		if (message) {
			free(err->message);
			err->message = message;
		}
		return 1;
	}
	if (!cJSON_IsObject(e)) {
		/* the inner object itself (an operation's "error") */
		if (!cJSON_GetObjectItem(doc, "code") && !cJSON_GetObjectItem(doc, "message"))
			return 0;
		e = doc;
	}
	code = err__json_string(e, "code");
	message = err__json_string(e, "message");
	if (code) {
		free(err->arm_code);
		err->arm_code = code;
	}
	if (message) {
		free(err->message);
		err->message = message;
	}
	free(err->target);
	err->target = err__json_string(e, "target");
	(void)err__parse_details(err, cJSON_GetObjectItem(e, "details"));
	extra = cJSON_GetObjectItem(e, "additionalInfo");
	if (!extra || (cJSON_IsArray(extra) && cJSON_GetArraySize(extra) == 0))
		extra = cJSON_GetObjectItem(e, "innererror");
	if (extra && !cJSON_IsNull(extra) &&
	    !(cJSON_IsArray(extra) && cJSON_GetArraySize(extra) == 0)) {
		free(err->additional_info);
		err->additional_info = cJSON_PrintUnformatted(extra);
	}
	return 1;
}

/* The path of a URL: no scheme, host or query (SAS-like signatures in
 * polling URLs must not reach messages). */
static char *err__url_path(const char *url)
{
	const char *p = url, *q;

	if (!url)
		return NULL;
	if ((q = strstr(p, "://")) != NULL) {
		p = q + 3;
		p += strcspn(p, "/?#");
	}
	return err__dupn(p, strcspn(p, "?#"));
}

/* Describe a body that is not an error document: quote its printable start. */
static char *err__describe_raw(const char *body, size_t len, long status)
{
	cmk_buf b = CMK_BUF_INIT;
	size_t n = len < ARM_ERROR_QUOTE_MAX ? len : ARM_ERROR_QUOTE_MAX;
	int rc = 0;

	if (!body || len == 0) {
		rc = cmk_buf_printf(&b, "the service answered %ld with an empty body", status);
	} else {
		rc = cmk_buf_printf(&b, "the service answered %ld with a body that is not "
				    "an ARM error: \"", status);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			unsigned char ch = (unsigned char)body[i];
			rc = cmk_buf_put(&b, isprint(ch) ? (const char *)&body[i] : " ", 1);
		}
		if (rc == 0)
			rc = cmk_buf_puts(&b, len > n ? "…\"" : "\"");
	}
	if (rc < 0) {
		cmk_buf_free(&b);
		return NULL;
	}
	return cmk_buf_detach(&b);
}

int arm_error_from_http(arm_error **out, const arm_error_source *src)
{
	arm_error *err = calloc(1, sizeof(*err));
	cJSON *doc = NULL;
	int parsed = 0;

	if (!err)
		return cmk_error_oom();
	err->http_status = src->http_status;
	err->code = arm_error_code_for_status(src->http_status);
	err->method = err__dup(src->method);
	err->path = err__url_path(src->url);
	err->resource_id = err__dup(src->resource_id);
	err->request_id = err__dup(src->request_id);
	err->client_request_id = err__dup(src->client_request_id);
	err->correlation_id = err__dup(src->correlation_id);
	if (src->body && src->body_len > 0 &&
	    (doc = cJSON_ParseWithLength(src->body, src->body_len)) != NULL)
		parsed = arm_error_parse_json(err, doc);
	cJSON_Delete(doc);
	if (!parsed || !err->message)
		err->message = err__describe_raw(src->body, src->body_len, src->http_status);
	if (!err->message) {
		arm_error_free(err);
		return cmk_error_oom();
	}
	err->klass = arm_error_classify(src->http_status, err->arm_code, err->message);
	*out = err;
	return 0;
}

int arm_error_from_operation(arm_error **out, const char *method, const char *resource_id,
			     const char *status, const cJSON *error_obj)
{
	arm_error *err = calloc(1, sizeof(*err));
	char fallback[128];

	if (!err)
		return cmk_error_oom();
	err->code = status && strcasecmp(status, "Canceled") == 0 ? CMK_ECANCELED : CMK_ERROR;
	err->method = err__dup(method);
	err->resource_id = err__dup(resource_id);
	if (error_obj)
		(void)arm_error_parse_json(err, error_obj);
	if (!err->message) {
		snprintf(fallback, sizeof(fallback), "the operation ended %s without an error "
			 "message", status ? status : "unsuccessfully");
		err->message = strdup(fallback);
	}
	if (!err->message) {
		arm_error_free(err);
		return cmk_error_oom();
	}
	err->klass = ARM_ERROR_PERMANENT;
	*out = err;
	return 0;
}

char *arm_error_line(const arm_error *err)
{
	cmk_buf b = CMK_BUF_INIT;
	const char *where = err->resource_id ? err->resource_id : err->path;
	int rc = 0;

	if (err->method && rc == 0)
		rc = cmk_buf_printf(&b, "%s ", err->method);
	if (where && rc == 0)
		rc = cmk_buf_printf(&b, "%s: ", where);
	if (err->http_status && rc == 0)
		rc = cmk_buf_printf(&b, "%ld %s", err->http_status,
				    arm_http_reason(err->http_status));
	else if (rc == 0)
		rc = cmk_buf_puts(&b, err->code == CMK_ECANCELED ? "operation canceled"
							     : "operation failed");
	if (err->arm_code && rc == 0)
		rc = cmk_buf_printf(&b, " (%s)", err->arm_code);
	if (rc == 0)
		rc = cmk_buf_printf(&b, ": %s", err->message);
	if (err->request_id && rc == 0)
		rc = cmk_buf_printf(&b, " [request id %s]", err->request_id);
	else if (err->client_request_id && rc == 0)
		rc = cmk_buf_printf(&b, " [client request id %s]", err->client_request_id);
	if (rc < 0) {
		cmk_buf_free(&b);
		return NULL;
	}
	/* messages sometimes end in newlines; a line is a line */
	for (size_t i = 0; i < b.len; i++)
		if (b.ptr[i] == '\n' || b.ptr[i] == '\r')
			b.ptr[i] = ' ';
	return cmk_buf_detach(&b);
}

int arm_error_detail_text(cmk_buf *out, const arm_error *err)
{
	int rc = 0;

	if (err->target)
		rc = cmk_buf_printf(out, "  target: %s\n", err->target);
	for (size_t i = 0; rc == 0 && i < err->ndetails; i++) {
		const arm_error_detail *d = &err->details[i];
		rc = cmk_buf_printf(out, "  detail: %s%s%s%s%s%s\n", d->code ? d->code : "",
				    d->code ? ": " : "", d->message ? d->message : "",
				    d->target ? " (target " : "", d->target ? d->target : "",
				    d->target ? ")" : "");
	}
	if (rc == 0 && err->additional_info)
		rc = cmk_buf_printf(out, "  additional info: %s\n", err->additional_info);
	if (rc == 0 && err->request_id)
		rc = cmk_buf_printf(out, "  x-ms-request-id: %s\n", err->request_id);
	if (rc == 0 && err->client_request_id)
		rc = cmk_buf_printf(out, "  x-ms-client-request-id: %s\n", err->client_request_id);
	if (rc == 0 && err->correlation_id)
		rc = cmk_buf_printf(out, "  x-ms-correlation-request-id: %s\n", err->correlation_id);
	return rc;
}

int arm_error_raise(const arm_error *err)
{
	char *line = arm_error_line(err);

	if (!line)
		return cmk_error_oom();
	cmk_error_set(err->code, "%s", line);
	free(line);
	return err->code;
}

bool arm_error_is_service_fault(const arm_error *err)
{
	return err && err->arm_code && strcasecmp(err->arm_code, "InternalServerError") == 0;
}

void arm_error_free(arm_error *err)
{
	if (!err)
		return;
	free(err->method);
	free(err->path);
	free(err->resource_id);
	free(err->arm_code);
	free(err->message);
	free(err->target);
	for (size_t i = 0; i < err->ndetails; i++) {
		free(err->details[i].code);
		free(err->details[i].message);
		free(err->details[i].target);
	}
	free(err->details);
	free(err->additional_info);
	free(err->request_id);
	free(err->client_request_id);
	free(err->correlation_id);
	free(err);
}
