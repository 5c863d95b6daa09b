/*
 * test_provider_lro.c - the pure parts of long-running operations: status
 * mapping, how a write's answer decides the polling form, and the saved
 * operation format (providers/lro.h). Polling itself runs against armsim in
 * tests/integration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/lro.h"

#define CLUSTER "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.OperationalInsights/" \
		"clusters/la1"

static arm_response *resp_new(long status, const char *body, ...)
{
	arm_response *r = calloc(1, sizeof(*r));
	va_list ap;
	const char *name;

	r->status = status;
	if (body)
		assert_int_equal(cmk_buf_puts(&r->body, body), 0);
	va_start(ap, body);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		r->headers = realloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
		r->headers[r->nheaders].name = strdup(name);
		r->headers[r->nheaders].value = strdup(value);
		r->nheaders++;
	}
	va_end(ap);
	return r;
}

static void test_status__terminal_values_any_case(void **state)
{
	assert_int_equal(arm_status_classify("Succeeded"), ARM_STATUS_SUCCEEDED);
	assert_int_equal(arm_status_classify("succeeded"), ARM_STATUS_SUCCEEDED);
	assert_int_equal(arm_status_classify(NULL), ARM_STATUS_SUCCEEDED);
	assert_int_equal(arm_status_classify("FAILED"), ARM_STATUS_FAILED);
	assert_int_equal(arm_status_classify("Canceled"), ARM_STATUS_CANCELED);
	assert_int_equal(arm_status_classify("Cancelled"), ARM_STATUS_CANCELED);
	assert_int_equal(arm_status_classify("InProgress"), ARM_STATUS_RUNNING);
	assert_int_equal(arm_status_classify("Running"), ARM_STATUS_RUNNING);
	assert_int_equal(arm_status_classify("Updating"), ARM_STATUS_RUNNING);
	assert_int_equal(arm_status_classify("Accepted"), ARM_STATUS_RUNNING);
	assert_int_equal(arm_status_classify("ProvisioningAccount"), ARM_STATUS_RUNNING);
}

static void test_op__async_operation_header_wins(void **state)
{
	arm_response *r = resp_new(202, NULL,
		"Azure-AsyncOperation", "https://management.azure.com/subscriptions/s1/providers/"
		"Microsoft.OperationalInsights/locations/westus/operationstatuses/abc?api-version="
		"2015-11-01-preview",
		"Location", "https://management.azure.com/subscriptions/s1/providers/x/loc/abc",
		"Retry-After", "20", NULL);
	arm_op *op = NULL;

	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_CREATE, "PUT", CLUSTER,
					      "2021-06-01", NULL, r, ARM_FINAL_LOCATION), 0);
	assert_int_equal(op->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(op->state, ARM_OP_POLL_WAIT);
	assert_int_equal(op->retry_after_ms, 20000);
	assert_int_equal(op->timeout_s, 6 * 3600);
	assert_string_equal(op->resource_id, CLUSTER);
	assert_non_null(strstr(op->async_url, "operationstatuses/abc?api-version=2015-11-01"));
	arm_op_free(op);
	arm_response_free(r);
}

static void test_op__retry_after_as_http_date_counts_from_the_date_header(void **state)
{
	arm_response *r = resp_new(202, NULL, "Location", "https://h/op/2",
				   "Date", "Thu, 03 Nov 2022 07:31:31 GMT",
				   "Retry-After", "Thu, 03 Nov 2022 07:32:16 GMT", NULL);
	arm_response *neg = resp_new(202, NULL, "Location", "https://h/op/3", "Retry-After", "-30",
				     NULL);
	arm_op *op = NULL;

	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "DELETE", "/x", "1", NULL, r,
					      ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->retry_after_ms, 45000);
	arm_op_free(op);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "DELETE", "/x", "1", NULL, neg,
					      ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->retry_after_ms, 0); /* the wait clamps it to its minimum */
	assert_int_equal(op->poll_now, 0);
	arm_op_free(op);
	arm_response_free(r);
	arm_response_free(neg);
}

static void test_op__location_only_and_provisioning_state_only(void **state)
{
	arm_response *loc = resp_new(202, NULL, "Location", "https://h/op/1", NULL);
	arm_response *ps = resp_new(201, "{\"properties\":{\"provisioningState\":\"Creating\"}}",
				    NULL);
	arm_response *del = resp_new(202, NULL, NULL);
	arm_op *op = NULL;

	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_DELETE, "DELETE", CLUSTER,
					      "2021-06-01", NULL, loc, ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->mode, ARM_POLL_LOCATION);
	assert_int_equal(op->retry_after_ms, -1);
	arm_op_free(op);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_KUSTO_CREATE, "PUT", "/x", "2024-04-13",
					      NULL, ps, ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	assert_string_equal(op->last_status, "Creating");
	arm_op_free(op);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "DELETE", "/x", "1", NULL, del,
					      ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->mode, ARM_POLL_RESOURCE);
	arm_op_free(op);
	arm_response_free(loc);
	arm_response_free(ps);
	arm_response_free(del);
}

static void test_op__synchronous_answers_are_accepted(void **state)
{
	arm_response *patch = resp_new(200, "{\"id\":\"x\",\"properties\":{\"provisioningState\":"
				       "\"Succeeded\"},\"tags\":{\"a\":\"b\"}}", NULL);
	arm_response *del = resp_new(200, NULL, NULL);
	arm_response *nops = resp_new(200, "{\"id\":\"x\",\"properties\":{}}", NULL);
	arm_response *failed = resp_new(200, "{\"properties\":{\"provisioningState\":\"Failed\"}}",
					NULL);
	arm_op *op = NULL;

	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_UPDATE, "PATCH", CLUSTER, "v",
					      NULL, patch, ARM_FINAL_LOCATION), 0);
	assert_int_equal(op->mode, ARM_POLL_NONE);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(op->result, "tags"), "a")
			    ->valuestring, "b");
	arm_op_free(op);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_CLUSTER_DELETE, "DELETE", CLUSTER, "v",
					      NULL, del, ARM_FINAL_LOCATION), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_null(op->result);
	arm_op_free(op);
	/* a missing provisioningState means Succeeded */
	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "PUT", "/x", "v", NULL, nops,
					      ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	arm_op_free(op);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_GENERIC, "PUT", "/x", "v", NULL, failed,
					      ARM_FINAL_DEFAULT), 0);
	assert_int_equal(op->state, ARM_OP_FAILED);
	assert_non_null(op->error);
	arm_op_free(op);
	arm_response_free(patch);
	arm_response_free(del);
	arm_response_free(nops);
	arm_response_free(failed);
}

static void test_op__saved_form_round_trips_a_3300_char_signed_url(void **state)
{
	char url[3400];
	arm_response *r;
	arm_op *op = NULL, *back = NULL;
	cJSON *j = NULL;
	char *text;

	strcpy(url, "https://management.azure.com/subscriptions/s1/providers/Microsoft.Kusto/"
	       "locations/East US/operationResults/1?api-version=2024-04-13&t=1&c=");
	while (strlen(url) < 3300)
		strcat(url, "AbCdEfGhIj");
	strcat(url, "&s=sig&h=hash");
	r = resp_new(201, "{\"properties\":{\"provisioningState\":\"Creating\"}}",
		     "Azure-AsyncOperation", url, NULL);
	assert_int_equal(arm_op_from_response(&op, ARM_OP_KUSTO_CREATE, "PUT",
					      "/subscriptions/s1/x/Clusters/k1", "2024-04-13", NULL,
					      r, ARM_FINAL_LOCATION), 0);
	op->started_ms = 1700000000123;
	assert_int_equal(arm_op_to_json(&j, op), 0);
	text = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(text, "\"startedAt\":\"2023-11-14T22:13:20.123Z\""));
	assert_non_null(strstr(text, "\"kind\":\"kusto.create\""));
	assert_non_null(strstr(text, "\"pollMode\":\"async-operation\""));
	assert_non_null(strstr(text, "\"finalStateVia\":\"location\""));
	assert_int_equal(arm_op_from_json(&back, j), 0);
	assert_string_equal(back->async_url, url);
	assert_int_equal(strlen(back->async_url), strlen(url));
	assert_int_equal(back->kind, ARM_OP_KUSTO_CREATE);
	assert_int_equal(back->mode, ARM_POLL_ASYNC_OPERATION);
	assert_int_equal(back->final_via, ARM_FINAL_LOCATION);
	assert_int_equal(back->started_ms, 1700000000123);
	assert_int_equal(back->timeout_s, 2 * 3600);
	assert_string_equal(back->last_status, "Creating");
	assert_string_equal(back->api_version, "2024-04-13");
	assert_int_equal(back->state, ARM_OP_POLL_WAIT);
	assert_int_equal(back->poll_now, 1);
	free(text);
	cJSON_Delete(j);
	arm_op_free(op);
	arm_op_free(back);
	arm_response_free(r);
}

static void expect_bad(const char *json, const char *message_part)
{
	cJSON *j = cJSON_Parse(json);
	arm_op *op = NULL;

	assert_non_null(j);
	assert_int_equal(arm_op_from_json(&op, j), CMK_EINVALID);
	assert_null(op);
	if (!strstr(cmk_error_last(), message_part))
		fail_msg("'%s' not in '%s'", message_part, cmk_error_last());
	cJSON_Delete(j);
}

static void test_op__bad_saved_operations_are_named(void **state)
{
	expect_bad("[]", "not a JSON object");
	expect_bad("{\"version\":2}", "\"version\" must be 1");
	expect_bad("{\"version\":1,\"method\":\"PUT\"}", "\"kind\" is missing");
	expect_bad("{\"version\":1,\"kind\":\"cluster.create\",\"method\":\"PUT\",\"resourceId\":"
		   "\"/x\",\"resourceUrl\":\"/x\",\"pollMode\":\"smoke-signals\",\"finalStateVia\":"
		   "\"location\",\"startedAt\":\"2026-01-01T00:00:00Z\"}", "unknown pollMode");
	expect_bad("{\"version\":1,\"kind\":\"cluster.create\",\"method\":\"PUT\",\"resourceId\":"
		   "\"/x\",\"resourceUrl\":\"/x\",\"pollMode\":\"async-operation\",\"finalStateVia\":"
		   "\"location\",\"startedAt\":\"2026-01-01T00:00:00Z\"}", "needs its URL");
	expect_bad("{\"version\":1,\"kind\":\"cluster.create\",\"method\":\"PUT\",\"resourceId\":"
		   "\"/x\",\"resourceUrl\":\"/x\",\"pollMode\":\"provisioning-state\","
		   "\"finalStateVia\":\"location\",\"startedAt\":\"yesterday\"}", "startedAt");
	expect_bad("{\"version\":1,\"kind\":\"teleport\",\"method\":\"PUT\",\"resourceId\":\"/x\","
		   "\"resourceUrl\":\"/x\",\"pollMode\":\"location\",\"location\":\"https://h\","
		   "\"finalStateVia\":\"location\",\"startedAt\":\"2026-01-01T00:00:00Z\"}",
		   "unknown operation kind 'teleport'");
}

static void test_op__kind_timeouts_follow_the_docs(void **state)
{
	arm_op_kind k;

	assert_int_equal(arm_op_kind_timeout_s(ARM_OP_WORKSPACE_LINK), 90 * 60);
	assert_int_equal(arm_op_kind_timeout_s(ARM_OP_WORKSPACE_UNLINK), 90 * 60);
	assert_true(arm_op_kind_timeout_s(ARM_OP_CLUSTER_CREATE) >= 2 * 3600);
	assert_true(arm_op_kind_timeout_s(ARM_OP_CLUSTER_KEY_UPDATE) >= 35 * 60);
	assert_int_equal(arm_op_kind_parse(&k, "workspace.unlink"), 0);
	assert_int_equal(k, ARM_OP_WORKSPACE_UNLINK);
	assert_string_equal(arm_op_state_name(ARM_OP_TIMED_OUT), "timed-out");
	assert_string_equal(arm_op_kind_name(ARM_OP_CLUSTER_KEY_UPDATE), "cluster.key_update");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status__terminal_values_any_case),
		cmocka_unit_test(test_op__async_operation_header_wins),
		cmocka_unit_test(test_op__retry_after_as_http_date_counts_from_the_date_header),
		cmocka_unit_test(test_op__location_only_and_provisioning_state_only),
		cmocka_unit_test(test_op__synchronous_answers_are_accepted),
		cmocka_unit_test(test_op__saved_form_round_trips_a_3300_char_signed_url),
		cmocka_unit_test(test_op__bad_saved_operations_are_named),
		cmocka_unit_test(test_op__kind_timeouts_follow_the_docs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
