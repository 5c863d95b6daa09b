/*
 * test_arm_id.c - ARM resource id parsing, comparison and building, and
 * location canonicalisation (common/arm_id.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/arm_id.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define WS "/subscriptions/" SUB "/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/law-app1"

static void test_arm_id__parses_every_part_of_a_workspace_id(void **state)
{
	arm_id id;
	char type[128];

	assert_int_equal(arm_id_parse(&id, WS), 0);
	assert_string_equal(id.subscription, SUB);
	assert_string_equal(id.resource_group, "rg-apps");
	assert_string_equal(id.provider, "Microsoft.OperationalInsights");
	assert_int_equal(id.depth, 1);
	assert_string_equal(id.segments[0].type, "workspaces");
	assert_string_equal(id.segments[0].name, "law-app1");
	assert_string_equal(arm_id_name(&id), "law-app1");
	assert_int_equal(arm_id_type(type, sizeof(type), &id), strlen("Microsoft.OperationalInsights/workspaces"));
	assert_string_equal(type, "Microsoft.OperationalInsights/workspaces");
	assert_true(arm_id_is_type(&id, "Microsoft.OperationalInsights/workspaces"));
	assert_true(arm_id_is_type(&id, "microsoft.operationalinsights/WORKSPACES"));
	assert_false(arm_id_is_type(&id, "Microsoft.OperationalInsights/clusters"));
	assert_false(arm_id_is_type(&id, "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts"));
	arm_id_free(&id);
}

static void test_arm_id__keywords_are_case_insensitive_and_trailing_slash_tolerated(void **state)
{
	arm_id id;

	assert_int_equal(arm_id_parse(&id, "/SUBSCRIPTIONS/" SUB "/resourcegroups/RG/PROVIDERS/microsoft.keyvault/VAULTS/kv1/"), 0);
	assert_string_equal(id.resource_group, "RG");
	assert_true(arm_id_is_type(&id, "Microsoft.KeyVault/vaults"));
	assert_string_equal(arm_id_name(&id), "kv1");
	arm_id_free(&id);
}

static void test_arm_id__nested_types_form_the_full_type(void **state)
{
	arm_id id;
	char type[128];

	assert_int_equal(arm_id_parse(&id, WS "/linkedStorageAccounts/Query"), 0);
	assert_int_equal(id.depth, 2);
	arm_id_type(type, sizeof(type), &id);
	assert_string_equal(type, "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts");
	assert_true(arm_id_is_type(&id, "Microsoft.OperationalInsights/workspaces/linkedStorageAccounts"));
	assert_false(arm_id_is_type(&id, "Microsoft.OperationalInsights/workspaces"));
	assert_string_equal(arm_id_name(&id), "Query");
	arm_id_free(&id);
}

static void test_arm_id__scopes_without_provider_parse(void **state)
{
	arm_id id;

	assert_int_equal(arm_id_parse(&id, "/subscriptions/" SUB), 0);
	assert_null(id.resource_group);
	assert_null(id.provider);
	assert_string_equal(arm_id_name(&id), SUB);
	arm_id_free(&id);
	assert_int_equal(arm_id_parse(&id, "/subscriptions/" SUB "/resourceGroups/rg1"), 0);
	assert_string_equal(arm_id_name(&id), "rg1");
	assert_false(arm_id_is_type(&id, "Microsoft.Resources/resourceGroups"));
	arm_id_free(&id);
}

static void assert_parse_fails(const char *text, const char *fragment)
{
	arm_id id;

	assert_int_equal(arm_id_parse(&id, text), CMK_EINVALID);
	if (!strstr(cmk_error_last(), fragment))
		fail_msg("'%s': message '%s' lacks '%s'", text, cmk_error_last(), fragment);
	arm_id_free(&id); /* safe after a failure */
}

static void test_arm_id__malformed_ids_fail_with_a_reason(void **state)
{
	assert_parse_fails("", "empty");
	assert_parse_fails("subscriptions/" SUB, "starts with");
	assert_parse_fails("/tenants/x", "starts with '/subscriptions/");
	assert_parse_fails("/subscriptions", "starts with");
	assert_parse_fails("/subscriptions/" SUB "//resourceGroups/rg", "empty segment");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups", "no name");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups/rg/things/x", "expected 'providers'");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups/rg/providers/KeyVault/vaults/x", "namespace");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault", "no resource type");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults", "has no name");
	assert_parse_fails(WS "/providers/Microsoft.Insights/diagnosticSettings/d1", "extension resources");
	assert_parse_fails("/subscriptions/" SUB "/resourceGroups/my rg", "whitespace");
	assert_parse_fails(WS "/a/1/b/2/c/3/d/4", "segments");
}

static void test_arm_id__compare_ignores_case_and_trailing_slashes(void **state)
{
	const char *upper = "/SUBSCRIPTIONS/" SUB "/RESOURCEGROUPS/RG-APPS/PROVIDERS/MICROSOFT.OPERATIONALINSIGHTS/WORKSPACES/LAW-APP1/";

	assert_true(arm_id_equal(WS, upper));
	assert_int_equal(arm_id_compare(WS, upper), 0);
	assert_int_equal(arm_id_hash(WS), arm_id_hash(upper));
	assert_false(arm_id_equal(WS, WS "2"));
	assert_true(arm_id_compare(WS, WS "2") < 0);
	assert_true(arm_id_compare(WS "2", WS) > 0);
	assert_false(arm_id_equal("/subscriptions/a", "/subscriptions/b"));
}

static void test_arm_id__build_writes_the_canonical_form(void **state)
{
	char *id = NULL;
	arm_id parsed;

	assert_int_equal(arm_id_build(&id, SUB, "rg-keys", "Microsoft.KeyVault/vaults", "kv1"), 0);
	assert_string_equal(id, "/subscriptions/" SUB "/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv1");
	assert_int_equal(arm_id_parse(&parsed, id), 0);
	assert_true(arm_id_is_type(&parsed, "Microsoft.KeyVault/vaults"));
	arm_id_free(&parsed);
	free(id);
	assert_int_equal(arm_id_build(&id, SUB, "rg/evil", "Microsoft.KeyVault/vaults", "kv1"), CMK_EINVALID);
	assert_null(id);
	assert_int_equal(arm_id_build(&id, SUB, "rg", "vaults", "kv1"), CMK_EINVALID);
	assert_int_equal(arm_id_build(&id, "", "rg", "Microsoft.KeyVault/vaults", "kv1"), CMK_EINVALID);
}

static void test_arm_id__guid_shape_is_checked(void **state)
{
	assert_true(arm_is_guid(SUB));
	assert_true(arm_is_guid("5D3E9A47-1C2B-4F6E-9A8D-2B7C4E1F0A93"));
	assert_false(arm_is_guid("5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a9"));
	assert_false(arm_is_guid("5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a933"));
	assert_false(arm_is_guid("5d3e9a471c2b4f6e9a8d2b7c4e1f0a93"));
	assert_false(arm_is_guid("zd3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"));
	assert_false(arm_is_guid(""));
}

static void test_arm_location__canonical_form_drops_case_and_spaces(void **state)
{
	char out[64];

	assert_int_equal(arm_location_canonical(out, sizeof(out), "East US"), 0);
	assert_string_equal(out, "eastus");
	assert_int_equal(arm_location_canonical(out, sizeof(out), "westeurope"), 0);
	assert_string_equal(out, "westeurope");
	assert_int_equal(arm_location_canonical(out, sizeof(out), "West US 2"), 0);
	assert_string_equal(out, "westus2");
	assert_int_equal(arm_location_canonical(out, sizeof(out), "east-us"), CMK_EINVALID);
	assert_int_equal(arm_location_canonical(out, sizeof(out), "   "), CMK_EINVALID);
	assert_int_equal(arm_location_canonical(out, 4, "eastus"), CMK_EINVALID);
	assert_true(arm_location_equal("East US", "eastus"));
	assert_true(arm_location_equal("EASTUS", "east us"));
	assert_false(arm_location_equal("eastus", "eastus2"));
}

static void test_arm_resource_group__name_rule(void **state)
{
	assert_null(arm_resource_group_problem("rg-monitor_01.(prod)"));
	assert_non_null(arm_resource_group_problem(""));
	assert_non_null(arm_resource_group_problem("rg."));
	assert_non_null(arm_resource_group_problem("rg/x"));
	assert_non_null(arm_resource_group_problem("rg x"));
	{
		char long_name[92];

		memset(long_name, 'a', 91);
		long_name[91] = '\0';
		assert_non_null(arm_resource_group_problem(long_name));
		long_name[90] = '\0';
		assert_null(arm_resource_group_problem(long_name));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_id__parses_every_part_of_a_workspace_id),
		cmocka_unit_test(test_arm_id__keywords_are_case_insensitive_and_trailing_slash_tolerated),
		cmocka_unit_test(test_arm_id__nested_types_form_the_full_type),
		cmocka_unit_test(test_arm_id__scopes_without_provider_parse),
		cmocka_unit_test(test_arm_id__malformed_ids_fail_with_a_reason),
		cmocka_unit_test(test_arm_id__compare_ignores_case_and_trailing_slashes),
		cmocka_unit_test(test_arm_id__build_writes_the_canonical_form),
		cmocka_unit_test(test_arm_id__guid_shape_is_checked),
		cmocka_unit_test(test_arm_location__canonical_form_drops_case_and_spaces),
		cmocka_unit_test(test_arm_resource_group__name_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
