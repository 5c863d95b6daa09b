/*
 * arm_error.h - the structured error of an Azure call, and how it is shown.
 *
 * Built from an HTTP response (ARM `{"error": {code, message, target,
 * details, additionalInfo}}`, Key Vault's same shape with `innererror`, Azure
 * AD's `{"error": "...", "error_description": "..."}`, or a body that is not
 * JSON at all / truncated) or from the `error` object of a failed
 * long-running operation. One line for the user:
 *
 *   PUT /subscriptions/…/clusters/la1: 400 BadRequest (InvalidParameter):
 *   Capacity is locked for 30 days [request id 7f0c…]
 *
 * plus a multi-line detail (target, nested details, additional info, ids).
 */
#ifndef CMK_PROVIDERS_ARM_ERROR_H
#define CMK_PROVIDERS_ARM_ERROR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"

/* What the caller can do about an error. */
typedef enum {
	ARM_ERROR_PERMANENT = 0, /* the request is wrong or forbidden: do not retry */
	ARM_ERROR_RETRYABLE,     /* 429/5xx/connection: retry after a delay */
	ARM_ERROR_WAIT_RUNNING,  /* a documented "busy" 400/409: another operation
				  * on the resource is running; wait for it to end,
				  * then send the same request again */
} arm_error_class;

typedef struct arm_error_detail {
	char *code;
	char *message;
	char *target;
} arm_error_detail;

/* Every string may be NULL except `message` (never NULL). Owned by the value. */
typedef struct arm_error {
	int code;                /* CMK_E* this maps to (CMK_ENOTFOUND for 404, ...) */
	long http_status;        /* 0 for an operation failure without HTTP status */
	char *method;            /* "PUT" */
	char *path;              /* URL path without query (no signatures leak) */
	char *resource_id;       /* the ARM resource the call was about, when known */
	char *arm_code;          /* "InvalidParameter" */
	char *message;           /* ARM message, or a description of the raw body */
	char *target;
	arm_error_detail *details;
	size_t ndetails;
	char *additional_info;   /* compact JSON of additionalInfo/innererror, or NULL */
	char *request_id;        /* x-ms-request-id of the response */
	char *client_request_id; /* the x-ms-client-request-id we sent */
	char *correlation_id;    /* x-ms-correlation-request-id */
	arm_error_class klass;
} arm_error;

/* Inputs describing the failed exchange; any field may be NULL/0. */
typedef struct {
	const char *method;
	const char *url;
	const char *resource_id;
	long http_status;
	const char *body;
	size_t body_len;
	const char *request_id;
	const char *client_request_id;
	const char *correlation_id;
} arm_error_source;

/* Build the error of a failed HTTP exchange. Never fails except for memory
 * (CMK_ENOMEM): a body that is not JSON becomes a message quoting its start. */
int arm_error_from_http(arm_error **out, const arm_error_source *src) CMK_WUR;

/* Build the error of a long-running operation that ended Failed/Canceled
 * from its `error` object (may be NULL: "operation ended <status>"). */
int arm_error_from_operation(arm_error **out, const char *method, const char *resource_id,
			     const char *status, const cJSON *error_obj) CMK_WUR;

/* Fill arm_code/message/target/details from a parsed error document: either
 * {"error": {...}}, the inner object itself, or the AAD form. Returns 1 when
 * the document had an error, 0 when not (nothing changed). */
int arm_error_parse_json(arm_error *err, const cJSON *doc);

/* The one-line rendering (caller frees). */
char *arm_error_line(const arm_error *err);

/* The multi-line detail: target, nested details, additional info, ids. */
int arm_error_detail_text(cmk_buf *out, const arm_error *err) CMK_WUR;

/* Set the thread's last error to the one-line rendering; returns err->code. */
int arm_error_raise(const arm_error *err);

/* Classify a status + ARM code + message (pure; used by arm_error_from_http
 * and by tests). */
arm_error_class arm_error_classify(long http_status, const char *arm_code,
				   const char *message);

/* Whether an operation's error says the service itself failed
 * (InternalServerError): the same request may succeed when sent again. */
bool arm_error_is_service_fault(const arm_error *err);

/* The CMK_E* code for an HTTP status. */
int arm_error_code_for_status(long http_status);

/* "Bad Request" style reason phrase for a status ("" when unknown). */
const char *arm_http_reason(long http_status);

void arm_error_free(arm_error *err);

#endif
