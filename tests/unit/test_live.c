/*
 * test_live.c - the live model's JSON form: round trip, unknown fields, types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/live.h"

static const char fixture[] =
	"{\"subscriptions\":[{\"id\":\"00000000-0000-0000-0000-000000000001\",\"tenantId\":\"t1\"}],"
	"\"clusters\":[{\"id\":\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
	"providers/Microsoft.OperationalInsights/clusters/la1\",\"name\":\"la1\",\"location\":\"eastus\","
	"\"provisioningState\":\"Succeeded\",\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p1\"},"
	"\"capacity\":1000,\"doubleEncryption\":true,\"key\":{\"vaultUri\":\"https://kv1.vault.azure.net/\","
	"\"keyName\":\"k\",\"keyVersion\":\"\"},\"tags\":{\"team\":\"obs\"}}],"
	"\"workspaces\":[{\"id\":\"/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/"
	"providers/microsoft.operationalinsights/workspaces/w1\",\"location\":\"eastus\"}],"
	"\"vaults\":[{\"id\":\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
	"providers/Microsoft.KeyVault/vaults/kv1\",\"vaultUri\":\"https://KV1.vault.azure.net\","
	"\"softDelete\":true,\"purgeProtection\":true,\"accessPolicies\":[{\"tenantId\":\"t1\","
	"\"objectId\":\"p1\",\"keyPermissions\":[\"get\",\"wrapKey\",\"unwrapKey\"]}]}]}";

static void test_live__round_trip_keeps_every_value(void **state)
{
	cJSON *json = cJSON_Parse(fixture), *again = NULL;
	live_state s, s2;
	char *a, *b;

	assert_int_equal(live_state_from_json(&s, json), 0);
	assert_int_equal(s.cluster_count, 1);
	assert_int_equal(s.clusters[0].capacity, 1000);
	assert_true(s.clusters[0].double_encryption);
	assert_string_equal(s.clusters[0].identity.principal_id, "p1");
	assert_string_equal(s.clusters[0].tags.items[0].value, "obs");
	assert_int_equal(s.workspaces[0].link_operations_30d, -1);
	assert_int_equal(live_state_to_json(&again, &s), 0);
	assert_int_equal(live_state_from_json(&s2, again), 0);
	a = cJSON_PrintUnformatted(again);
	cJSON_Delete(again);
	assert_int_equal(live_state_to_json(&again, &s2), 0);
	b = cJSON_PrintUnformatted(again);
	assert_string_equal(a, b);
	free(a);
	free(b);
	cJSON_Delete(again);
	cJSON_Delete(json);
	live_state_free(&s);
	live_state_free(&s2);
}

static void test_live__lookups_ignore_case_and_slashes(void **state)
{
	cJSON *json = cJSON_Parse(fixture);
	live_state s;

	assert_int_equal(live_state_from_json(&s, json), 0);
	assert_non_null(live_find_workspace(&s, "/subscriptions/00000000-0000-0000-0000-000000000001/"
					    "resourceGroups/RG/providers/Microsoft.OperationalInsights/workspaces/W1"));
	assert_null(live_find_workspace(&s, "/subscriptions/00000000-0000-0000-0000-000000000001/"
					"resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w2"));
	assert_non_null(live_find_vault_by_uri(&s, "https://kv1.vault.azure.net/"));
	assert_true(live_access_policy_grants_key_use(&s.vaults[0].access_policies[0]));
	s.vaults[0].access_policies[0].key_permission_count = 2; /* drop unwrapKey */
	assert_false(live_access_policy_grants_key_use(&s.vaults[0].access_policies[0]));
	s.vaults[0].access_policies[0].key_permission_count = 3;
	cJSON_Delete(json);
	live_state_free(&s);
}

static void test_live__rejects_unknown_fields_and_wrong_types(void **state)
{
	cJSON *typo = cJSON_Parse("{\"clusters\":[{\"capacty\":1000}]}");
	cJSON *type = cJSON_Parse("{\"clusters\":[{\"capacity\":\"1000\"}]}");
	live_state s;

	assert_int_equal(live_state_from_json(&s, typo), CMK_EINVALID);
	assert_string_equal(cmk_error_last(), "clusters[0]: unknown field 'capacty'");
	assert_int_equal(live_state_from_json(&s, type), CMK_EINVALID);
	assert_string_equal(cmk_error_last(), "clusters[0].capacity: expected a number");
	cJSON_Delete(typo);
	cJSON_Delete(type);
}

/* A key given twice would replace (and leak) the first value: refused. */
static void test_live__rejects_a_field_given_twice(void **state)
{
	cJSON *inner = cJSON_Parse("{\"clusters\":[{\"name\":\"a\",\"name\":\"b\"}]}");
	cJSON *top = cJSON_Parse("{\"clusters\":[],\"clusters\":[{\"name\":\"a\"}]}");
	live_state s;

	assert_int_equal(live_state_from_json(&s, inner), CMK_EINVALID);
	assert_string_equal(cmk_error_last(), "clusters[0]: field 'name' given twice");
	assert_int_equal(live_state_from_json(&s, top), CMK_EINVALID);
	assert_string_equal(cmk_error_last(), "live state: field 'clusters' given twice");
	cJSON_Delete(inner);
	cJSON_Delete(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live__round_trip_keeps_every_value),
		cmocka_unit_test(test_live__lookups_ignore_case_and_slashes),
		cmocka_unit_test(test_live__rejects_unknown_fields_and_wrong_types),
		cmocka_unit_test(test_live__rejects_a_field_given_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
