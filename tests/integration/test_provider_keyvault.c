/*
 * test_provider_keyvault.c - the client with two audiences: a vault written
 * through ARM (a write answered 201 with Location, accepted as done) and a
 * key created and read on the Key Vault data plane at
 * https://<vault>.vault.localhost:PORT with a Key Vault token, one token per
 * audience, each fetched once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/arm.h"
#include "providers/lro.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000aa"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define CI_OID "0b1e0000-0000-4000-8000-000000000001"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kvit1"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 11 };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static void test_keyvault__vault_through_arm_then_key_on_the_data_plane(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	arm_request rg = { .method = "PUT", .url = "/subscriptions/" SUB "/resourcegroups/rg-kv",
			   .api_version = "2021-04-01", .body = "{\"location\":\"eastus\"}" };
	arm_request vault = { .method = "PUT", .url = VAULT, .api_version = "2023-07-01",
		.body = "{\"location\":\"eastus\",\"properties\":{\"tenantId\":\"" TENANT "\","
			"\"sku\":{\"family\":\"A\",\"name\":\"standard\"},\"enableSoftDelete\":true,"
			"\"enablePurgeProtection\":true,\"accessPolicies\":[{\"tenantId\":\"" TENANT
			"\",\"objectId\":\"" CI_OID "\",\"permissions\":{\"keys\":[\"get\",\"create\","
			"\"list\",\"wrapKey\",\"unwrapKey\"]}}]}}" };
	arm_response *resp = NULL;
	arm_op *op = NULL;
	arm_stats st;
	char url[512];
	const char *uri;
	cJSON *key = NULL, *log;
	long since = it_last_seq(sim);

	assert_int_equal(arm_send(&resp, c, &rg), 0);
	arm_response_free(resp);
	if (arm_op_begin(&op, c, ARM_OP_VAULT_CREATE, &vault, VAULT, ARM_FINAL_DEFAULT, NULL) < 0)
		fail_msg("vault: %s", cmk_error_last());
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_non_null(op->result);
	uri = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(op->result,
							"properties"), "vaultUri"));
	assert_non_null(uri);
	assert_non_null(strstr(uri, ".vault.localhost:"));

	snprintf(url, sizeof(url), "%skeys/la-cmk/create", uri);
	arm_request create = { .method = "POST", .url = url, .api_version = "7.4",
			       .audience = ARM_AUD_KEYVAULT,
			       .body = "{\"kty\":\"RSA\",\"key_size\":2048}" };
	assert_int_equal(arm_send(&resp, c, &create), 0);
	arm_response_free(resp);
	snprintf(url, sizeof(url), "%skeys/la-cmk", uri);
	/* the ARM token never goes to a vault */
	assert_int_equal(arm_get_json(&key, c, url, "7.4", NULL), CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "refusing to send the ARM token to host "
					       "'kvit1.vault.localhost:"));
	arm_request get = { .method = "GET", .url = url, .api_version = "7.4",
			    .audience = ARM_AUD_KEYVAULT };
	assert_int_equal(arm_send(&resp, c, &get), 0);
	assert_int_equal(arm_response_json(&key, resp), 0);
	assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(key,
				"key"), "kid")), "/keys/la-cmk/"));
	arm_response_free(resp);
	cJSON_Delete(key);

	arm_client_stats(&st, c);
	assert_int_equal(st.token_fetches, 2); /* one ARM, one Key Vault */
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 200), 2);
	assert_int_equal(it_count(log, "POST", "/keys/la-cmk/create", 200), 1);
	assert_int_equal(it_count(log, "GET", "/keys/la-cmk?api-version=7.4", 200), 1);
	assert_int_equal(it_count(log, NULL, NULL, 401), 0);
	cJSON_Delete(log);
	arm_op_free(op);
	it_client_free(c);
}

static void test_keyvault__post_is_retried_only_when_marked_safe(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	char url[512];
	arm_response *resp = NULL;
	long since;
	cJSON *log;
	const char *fault = "[{\"method\":\"POST\",\"resourceType\":\"*\",\"path\":"
			    "\"/keys/once/create\",\"fault\":\"503\",\"count\":1,\"retryAfter\":0}]";

	snprintf(url, sizeof(url), "https://kvit1.vault.localhost:%d/keys/once/create",
		 sim->port);
	arm_request create = { .method = "POST", .url = url, .api_version = "7.4",
			       .audience = ARM_AUD_KEYVAULT,
			       .body = "{\"kty\":\"RSA\",\"key_size\":2048}" };
	/* a key create is not idempotent (a new version each time): one try */
	it_admin(sim, "PUT", "/_sim/faults", fault);
	since = it_last_seq(sim);
	assert_int_equal(arm_send(&resp, c, &create), CMK_ERROR);
	assert_int_equal(resp->status, 503);
	assert_int_equal(resp->attempts, 1);
	arm_response_free(resp);
	/* marked safe by the caller: retried after the 503 */
	it_admin(sim, "PUT", "/_sim/faults", fault);
	create.retry_post = 1;
	assert_int_equal(arm_send(&resp, c, &create), 0);
	assert_int_equal(resp->attempts, 2);
	arm_response_free(resp);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "POST", "/keys/once/create", 503), 2);
	assert_int_equal(it_count(log, "POST", "/keys/once/create", 200), 1);
	cJSON_Delete(log);
	it_admin(sim, "DELETE", "/_sim/faults", NULL);
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyvault__vault_through_arm_then_key_on_the_data_plane),
		cmocka_unit_test(test_keyvault__post_is_retried_only_when_marked_safe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
