/*
 * test_validate.c - the whole-set checks and documented Azure rules
 * (planner/validate.h), and the diagnostics' JSON form. The corpus under
 * tests/corpus covers each error's exact text; these tests cover the
 * boundaries (what must stay valid) and the model effects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "common/buf.h"
#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-prod-eus"

#define KEY(name, extra)                                                              \
	"apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: " name "}\nspec:\n" \
	"  vault: " VAULT "\n  key: la-cmk\n" extra "---\n"

#define CLUSTER(name, azname, location, extra)                                              \
	"apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: " name "}\nspec:\n" \
	"  subscription: " SUB "\n  resourceGroup: rg-monitor\n  name: " azname "\n"          \
	"  location: " location "\n  identity: {type: SystemAssigned}\n  capacity: 1000\n"   \
	"  key: {ref: prod-kek}\n" extra "---\n"

typedef struct {
	manifest_set *set;
	manifest_diags diags;
} fixture;

static size_t check(fixture *f, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(manifest_set_new(&f->set), 0);
	assert_int_equal(manifest_load_buffer(f->set, &f->diags, "t.yaml", yaml, strlen(yaml)), 0);
	assert_int_equal(validate_manifest_set(&f->diags, f->set), 0);
	manifest_diags_sort(&f->diags);
	return manifest_diags_total(&f->diags);
}

static void done(fixture *f)
{
	manifest_set_free(f->set);
	manifest_diags_free(&f->diags);
}

static void expect_valid(const char *yaml)
{
	fixture f;

	if (check(&f, yaml) != 0) {
		manifest_diags_print_text(stderr, &f.diags);
		fail_msg("expected a valid set");
	}
	done(&f);
}

/* Exactly one error, whose message contains `fragment`. */
static void expect_error(const char *yaml, const char *fragment)
{
	fixture f;
	size_t n = check(&f, yaml);

	if (n != 1 || !strstr(f.diags.items[0].message, fragment)) {
		manifest_diags_print_text(stderr, &f.diags);
		fail_msg("expected one error containing '%s', got %zu", fragment, n);
	}
	done(&f);
}

static void test_validate__capacity_tiers_and_steps(void **state)
{
	static const long long ok[] = { 100, 200, 300, 400, 500, 1000, 1100, 2000, 5000, 50000 };
	static const long long bad[] = { 0, -100, 50, 150, 600, 900, 999, 1001, 1050, 2550 };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (validate_capacity(ok[i]) != 0)
			fail_msg("capacity %lld should be valid", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (validate_capacity(bad[i]) != CMK_EINVALID)
			fail_msg("capacity %lld should be invalid", bad[i]);
	assert_int_equal(validate_capacity(1050), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "1000 or higher in steps of 100"));
	assert_int_equal(validate_capacity(600), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "Should be minimum 1000"));
}

static void test_validate__capacity_bounded_by_the_largest_tier(void **state)
{
	static const long long over[] = { 50100, 60000, 9223372036854775800LL };

	assert_int_equal(validate_capacity(VALIDATE_MAX_CAPACITY_GB), 0);
	for (size_t i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		if (validate_capacity(over[i]) != CMK_EINVALID)
			fail_msg("capacity %lld should be invalid", over[i]);
		assert_non_null(strstr(cmk_error_last(), "50000 GB per day or less"));
	}
	expect_error(KEY("prod-kek", "")
		     "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: c}\nspec:\n"
		     "  subscription: " SUB "\n  resourceGroup: rg-monitor\n  name: laprod\n"
		     "  location: eastus\n  identity: {type: SystemAssigned}\n"
		     "  capacity: 9223372036854775800\n  key: {ref: prod-kek}\n",
		     "spec.capacity 9223372036854775800 is more than the largest commitment tier, 50000 GB per day");
}

static void test_validate__cluster_names_old_and_new_rules(void **state)
{
	expect_valid(KEY("prod-kek", "") CLUSTER("c", "abc", "eastus", ""));         /* 2021: 3 chars */
	expect_valid(KEY("prod-kek", "") CLUSTER("c", "la-prod-eus", "eastus", "")); /* 2026: hyphens */
	expect_error(KEY("prod-kek", "") CLUSTER("c", "a-b", "eastus", ""), "not a valid cluster name");
	expect_error(KEY("prod-kek", "") CLUSTER("c", "la-prod-", "eastus", ""), "not a valid cluster name");
	expect_error(KEY("prod-kek", "") CLUSTER("c", "la.prod", "eastus", ""), "not a valid cluster name");
}

static void test_validate__user_assigned_identity_may_carry_the_key_at_creation(void **state)
{
	expect_valid(KEY("prod-kek", "")
		     "apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata: {name: la-id}\nspec:\n"
		     "  subscription: " SUB "\n  resourceGroup: rg-monitor\n  name: id-la\n  location: eastus\n---\n"
		     "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: c}\nspec:\n"
		     "  subscription: " SUB "\n  resourceGroup: rg-monitor\n  name: laprod\n  location: eastus\n"
		     "  identity: {type: UserAssigned, ref: la-id}\n  capacity: 1000\n  key: {ref: prod-kek}\n"
		     "  keyAtCreation: true\n");
	/* system-assigned with a key set later is the normal path */
	expect_valid(KEY("prod-kek", "") CLUSTER("c", "laprod", "eastus", "  keyAtCreation: false\n"));
	expect_error(KEY("prod-kek", "") CLUSTER("c", "laprod", "eastus", "  keyAtCreation: true\n"),
		     "KeyVaultProperties are set on creation");
}

static void test_validate__regions_compare_canonically(void **state)
{
	expect_valid(KEY("prod-kek", "  location: East US\n") CLUSTER("c", "laprod", "EASTUS", ""));
	expect_error(KEY("prod-kek", "  location: East US 2\n") CLUSTER("c", "laprod", "eastus", ""),
		     "key vault location 'eastus2' differs");
}

static char *links_yaml(size_t per_link, size_t links)
{
	cmk_buf b = CMK_BUF_INIT;

	assert_int_equal(cmk_buf_puts(&b, KEY("prod-kek", "") CLUSTER("c", "laprod", "eastus", "")), 0);
	for (size_t l = 0; l < links; l++) {
		assert_int_equal(cmk_buf_printf(&b, "apiVersion: cmkctl/v1\nkind: WorkspaceLink\n"
						    "metadata: {name: links-%zu}\nspec:\n  cluster: {ref: c}\n"
						    "  workspaces:\n", l), 0);
		for (size_t i = 0; i < per_link; i++)
			assert_int_equal(cmk_buf_printf(&b, "    - /subscriptions/" SUB "/resourceGroups/rg/providers/"
							    "Microsoft.OperationalInsights/workspaces/ws-%zu-%zu\n",
							l, i), 0);
		assert_int_equal(cmk_buf_puts(&b, "---\n"), 0);
	}
	return cmk_buf_detach(&b);
}

static void test_validate__exactly_1000_workspaces_per_cluster_is_allowed(void **state)
{
	char *yaml = links_yaml(500, 2);

	expect_valid(yaml);
	free(yaml);
	yaml = links_yaml(334, 3); /* 1002 */
	expect_error(yaml, "more than 1000 linked workspaces");
	free(yaml);
}

static void test_validate__two_clusters_per_region_are_allowed(void **state)
{
	expect_valid(KEY("prod-kek", "") CLUSTER("a", "laa", "eastus", "") CLUSTER("b", "lab", "eastus", "")
		     CLUSTER("c", "lac", "westus2", ""));
}

static void test_validate__self_dependency_is_a_cycle(void **state)
{
	expect_error("apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata:\n  name: k\n  dependsOn: [KeyVaultKey/k]\n"
		     "spec: {vault: " VAULT ", key: la-cmk}\n",
		     "reference cycle: KeyVaultKey/k -> KeyVaultKey/k");
}

static void test_validate__dependson_resolves_and_allows_a_dag(void **state)
{
	fixture f;

	assert_int_equal(check(&f, KEY("prod-kek", "") CLUSTER("c", "laprod", "eastus", "")
			       "apiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata:\n  name: l\n"
			       "  dependsOn: [KeyVaultKey/prod-kek, LogAnalyticsCluster/c]\n"
			       "spec: {cluster: {ref: c}, workspaces: []}\n"), 0);
	assert_int_equal(f.set->docs[2]->depends_on_count, 2);
	assert_ptr_equal(f.set->docs[2]->depends_on[0].target, f.set->docs[0]);
	assert_ptr_equal(f.set->docs[2]->depends_on[1].target, f.set->docs[1]);
	done(&f);
}

static void test_validate__incomplete_set_skips_cross_document_checks(void **state)
{
	fixture f;

	/* the cluster's key ref would dangle; the broken document might have
	 * defined it, so only the syntax error is reported */
	assert_int_equal(check(&f, CLUSTER("c", "laprod", "eastus", "") "kind: [\n"), 1);
	assert_non_null(strstr(f.diags.items[0].message, "invalid YAML"));
	done(&f);
}

static void test_validate__adx_accepts_rsa_2048_and_undeclared_keys(void **state)
{
#define KUSTO                                                                                      \
	"apiVersion: cmkctl/v1\nkind: KustoClusterKey\nmetadata: {name: adx}\nspec:\n"                \
	"  cluster: /subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.Kusto/clusters/adx1\n" \
	"  identity: {type: SystemAssigned}\n  key: {ref: prod-kek}\n  role: Standalone\n"

	expect_valid(KEY("prod-kek", "  keyType: RSA-HSM\n  keySize: 2048\n") KUSTO);
	expect_valid(KEY("prod-kek", "") KUSTO);
	expect_error(KEY("prod-kek", "  keySize: 3072\n") KUSTO, "needs RSA 2048");
}

static void test_validate__json_report_lists_every_error(void **state)
{
	fixture f;
	char *json = NULL;
	cJSON *report = NULL, *root, *errors, *e;

	assert_int_equal(check(&f, KEY("prod-kek", "  version: nope\n") CLUSTER("c", "x", "eastus", "")), 2);
	assert_int_equal(manifest_diags_to_json(&report, &f.diags, f.set->file_count, f.set->count), 0);
	assert_non_null(json = cJSON_PrintUnformatted(report));
	cJSON_Delete(report);
	assert_non_null(root = cJSON_Parse(json));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "valid")));
	assert_int_equal(cJSON_GetObjectItem(root, "version")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(root, "documents")->valueint, 2);
	errors = cJSON_GetObjectItem(root, "errors");
	assert_int_equal(cJSON_GetArraySize(errors), 2);
	e = cJSON_GetArrayItem(errors, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "file")->valuestring, "t.yaml");
	assert_int_equal(cJSON_GetObjectItem(e, "line")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(e, "column")->valueint, 12);
	assert_non_null(strstr(cJSON_GetObjectItem(e, "message")->valuestring, "'nope'"));
	assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "hint")));
	e = cJSON_GetArrayItem(errors, 1);
	assert_int_equal(cJSON_GetObjectItem(e, "line")->valueint, 15);
	cJSON_Delete(root);
	free(json);
	done(&f);
}

static void test_validate__diagnostics_are_capped(void **state)
{
	manifest_diags d = MANIFEST_DIAGS_INIT;

	for (int i = 0; i < MANIFEST_DIAG_MAX + 5; i++)
		assert_int_equal(manifest_diag_add(&d, "f.yaml", (unsigned)i + 1, 1, NULL, "error %d", i), 0);
	assert_int_equal(d.count, MANIFEST_DIAG_MAX);
	assert_int_equal(manifest_diags_total(&d), MANIFEST_DIAG_MAX + 5);
	manifest_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate__capacity_tiers_and_steps),
		cmocka_unit_test(test_validate__capacity_bounded_by_the_largest_tier),
		cmocka_unit_test(test_validate__cluster_names_old_and_new_rules),
		cmocka_unit_test(test_validate__user_assigned_identity_may_carry_the_key_at_creation),
		cmocka_unit_test(test_validate__regions_compare_canonically),
		cmocka_unit_test(test_validate__exactly_1000_workspaces_per_cluster_is_allowed),
		cmocka_unit_test(test_validate__two_clusters_per_region_are_allowed),
		cmocka_unit_test(test_validate__self_dependency_is_a_cycle),
		cmocka_unit_test(test_validate__dependson_resolves_and_allows_a_dag),
		cmocka_unit_test(test_validate__incomplete_set_skips_cross_document_checks),
		cmocka_unit_test(test_validate__adx_accepts_rsa_2048_and_undeclared_keys),
		cmocka_unit_test(test_validate__json_report_lists_every_error),
		cmocka_unit_test(test_validate__diagnostics_are_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
