/*
 * test_provider_errors.c - ARM error parsing, classification and rendering
 * (providers/arm_error.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/arm_error.h"

static arm_error *make(const char *method, const char *url, long status, const char *body,
		       const char *request_id)
{
	arm_error *e = NULL;
	arm_error_source src = { .method = method, .url = url, .http_status = status,
				 .body = body, .body_len = body ? strlen(body) : 0,
				 .request_id = request_id, .client_request_id = "c-1" };

	assert_int_equal(arm_error_from_http(&e, &src), 0);
	return e;
}

static void test_error__renders_one_line_with_code_message_and_request_id(void **state)
{
	arm_error *e = make("PUT",
		"https://management.azure.com/subscriptions/s1/resourceGroups/rg/providers/"
		"Microsoft.OperationalInsights/clusters/la1?api-version=2021-06-01", 400,
		"{\"error\":{\"code\":\"InvalidParameter\",\"message\":\"Capacity is locked for "
		"30 days\",\"target\":\"sku.capacity\"}}", "req-77");
	char *line = arm_error_line(e);

	assert_string_equal(line, "PUT /subscriptions/s1/resourceGroups/rg/providers/"
			    "Microsoft.OperationalInsights/clusters/la1: 400 BadRequest "
			    "(InvalidParameter): Capacity is locked for 30 days [request id req-77]");
	assert_int_equal(e->code, CMK_EINVALID);
	assert_string_equal(e->target, "sku.capacity");
	assert_int_equal(e->klass, ARM_ERROR_PERMANENT);
	free(line);
	arm_error_free(e);
}

static void test_error__detail_lists_nested_details_and_ids(void **state)
{
	arm_error *e = make("DELETE", "https://h/x", 409,
		"{\"error\":{\"code\":\"Conflict\",\"message\":\"busy\",\"details\":["
		"{\"code\":\"A\",\"message\":\"first\",\"target\":\"t1\"},"
		"{\"code\":\"B\",\"message\":\"second\"}],"
		"\"additionalInfo\":[{\"type\":\"PolicyViolation\",\"info\":{\"p\":1}}]}}", "r-1");
	cmk_buf b = CMK_BUF_INIT;

	assert_int_equal(e->ndetails, 2);
	assert_int_equal(arm_error_detail_text(&b, e), 0);
	assert_non_null(strstr(b.ptr, "  detail: A: first (target t1)\n"));
	assert_non_null(strstr(b.ptr, "  detail: B: second\n"));
	assert_non_null(strstr(b.ptr, "additional info: [{\"type\":\"PolicyViolation\""));
	assert_non_null(strstr(b.ptr, "x-ms-request-id: r-1\n"));
	assert_non_null(strstr(b.ptr, "x-ms-client-request-id: c-1\n"));
	assert_int_equal(e->code, CMK_ECONFLICT);
	cmk_buf_free(&b);
	arm_error_free(e);
}

static void test_error__non_json_body_is_quoted_not_parsed(void **state)
{
	arm_error *e = make("GET", "https://h/p", 502, "<html><body>Bad Gateway</body></html>",
			    NULL);
	char *line = arm_error_line(e);

	assert_null(e->arm_code);
	assert_string_equal(line, "GET /p: 502 BadGateway: the service answered 502 with a body "
			    "that is not an ARM error: \"<html><body>Bad Gateway</body></html>\" "
			    "[client request id c-1]");
	assert_int_equal(e->klass, ARM_ERROR_RETRYABLE);
	free(line);
	arm_error_free(e);
}

static void test_error__truncated_json_and_empty_body_are_handled(void **state)
{
	arm_error *e = make("GET", "https://h/p", 500, "{\"error\":{\"code\":\"Inter", NULL);
	arm_error *f = make("GET", "https://h/p", 404, NULL, NULL);

	assert_string_equal(e->message, "the service answered 500 with a body that is not an ARM "
			    "error: \"{\"error\":{\"code\":\"Inter\"");
	assert_string_equal(f->message, "the service answered 404 with an empty body");
	assert_int_equal(f->code, CMK_ENOTFOUND);
	arm_error_free(e);
	arm_error_free(f);
}

static void test_error__long_raw_body_is_cut(void **state)
{
	char body[1000];
	arm_error *e;

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	e = make("GET", "https://h/p", 500, body, NULL);
	assert_true(strlen(e->message) < 300);
	assert_non_null(strstr(e->message, "…\""));
	arm_error_free(e);
}

static void test_error__azure_ad_error_form(void **state)
{
	arm_error *e = make("POST", "https://login/t/oauth2/v2.0/token", 401,
		"{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
		"client secret provided.\"}", NULL);

	assert_string_equal(e->arm_code, "invalid_client");
	assert_string_equal(e->message, "AADSTS7000215: Invalid client secret provided.");
	assert_int_equal(e->code, CMK_EAUTH);
	arm_error_free(e);
}

static void test_error__query_never_reaches_the_message(void **state)
{
	arm_error *e = make("GET", "https://h/subscriptions/s/operationstatuses/1?api-version=x"
			    "&sig=SECRETSIG", 403, "{\"error\":{\"code\":\"AuthorizationFailed\","
			    "\"message\":\"no\"}}", NULL);
	char *line = arm_error_line(e);

	assert_null(strstr(line, "SECRETSIG"));
	assert_null(strstr(line, "api-version"));
	free(line);
	arm_error_free(e);
}

static void test_error__documented_busy_answers_mean_wait(void **state)
{
	assert_int_equal(arm_error_classify(409, "Conflict",
		"Workspace link or unlink operation in process."), ARM_ERROR_WAIT_RUNNING);
	assert_int_equal(arm_error_classify(400, "BadRequest",
		"Operation cannot be executed now. Async operation is in a state other than "
		"succeeded."), ARM_ERROR_WAIT_RUNNING);
	assert_int_equal(arm_error_classify(400, "BadRequest",
		"Cluster is in deleting state. Wait for the Async operation to complete and "
		"try again."), ARM_ERROR_WAIT_RUNNING);
	assert_int_equal(arm_error_classify(400, "InvalidParameter", "Capacity is locked"),
			 ARM_ERROR_PERMANENT);
	assert_int_equal(arm_error_classify(409, "Conflict", "Cluster name is reserved"),
			 ARM_ERROR_PERMANENT);
	assert_int_equal(arm_error_classify(403, NULL, NULL), ARM_ERROR_PERMANENT);
	assert_int_equal(arm_error_classify(404, NULL, NULL), ARM_ERROR_PERMANENT);
	assert_int_equal(arm_error_classify(429, NULL, NULL), ARM_ERROR_RETRYABLE);
	assert_int_equal(arm_error_classify(503, NULL, NULL), ARM_ERROR_RETRYABLE);
	assert_int_equal(arm_error_classify(408, NULL, NULL), ARM_ERROR_RETRYABLE);
	assert_int_equal(arm_error_classify(501, NULL, NULL), ARM_ERROR_PERMANENT);
}

static void test_error__operation_failure_keeps_arm_error(void **state)
{
	cJSON *err = cJSON_Parse("{\"code\":\"KeyVaultAccessDenied\",\"message\":\"The cluster "
				 "identity has no get/wrapKey/unwrapKey on the key\"}");
	arm_error *e = NULL;
	char *line;

	assert_int_equal(arm_error_from_operation(&e, "PATCH", "/subscriptions/s/x/la1", "Failed",
						  err), 0);
	line = arm_error_line(e);
	assert_string_equal(line, "PATCH /subscriptions/s/x/la1: operation failed "
			    "(KeyVaultAccessDenied): The cluster identity has no "
			    "get/wrapKey/unwrapKey on the key");
	assert_int_equal(arm_error_raise(e), CMK_ERROR);
	assert_string_equal(cmk_error_last(), line);
	free(line);
	arm_error_free(e);
	e = NULL;
	assert_int_equal(arm_error_from_operation(&e, "PUT", "/x", "Canceled", NULL), 0);
	assert_int_equal(e->code, CMK_ECANCELED);
	assert_string_equal(e->message, "the operation ended Canceled without an error message");
	line = arm_error_line(e);
	assert_string_equal(line, "PUT /x: operation canceled: the operation ended Canceled "
			    "without an error message");
	free(line);
	arm_error_free(e);
	cJSON_Delete(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__renders_one_line_with_code_message_and_request_id),
		cmocka_unit_test(test_error__detail_lists_nested_details_and_ids),
		cmocka_unit_test(test_error__non_json_body_is_quoted_not_parsed),
		cmocka_unit_test(test_error__truncated_json_and_empty_body_are_handled),
		cmocka_unit_test(test_error__long_raw_body_is_cut),
		cmocka_unit_test(test_error__azure_ad_error_form),
		cmocka_unit_test(test_error__query_never_reaches_the_message),
		cmocka_unit_test(test_error__documented_busy_answers_mean_wait),
		cmocka_unit_test(test_error__operation_failure_keeps_arm_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
