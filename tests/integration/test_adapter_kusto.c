/*
 * test_adapter_kusto.c - the Azure Data Explorer and Application Insights
 * adapters against armsim over HTTPS: a Kusto cluster read (display-name
 * location, Kusto's casing of its type) and its versionless key update
 * (PATCH with keyVersion ""), components read, listed and associated with
 * an ApplicationInsights-type cluster through the legacy 2015-05-01 PUT;
 * each test checks the requests armsim logged.
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
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_vault.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000ad"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define RG_LA "/subscriptions/" SUB "/resourceGroups/rg-la/providers/"
#define ADX RG_LA "Microsoft.Kusto/clusters/adxad1"
#define COMP RG_LA "Microsoft.Insights/components/aiad1"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kvad-ap"
#define AI_CLUSTER_ID "a1c10000-0000-4000-8000-0000000000c1"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/adapters.json", .seed = 9,
			  .time_scale = IT_SCALE };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static void test_adapter_kusto__read_and_versionless_key_update(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_state s = { 0 };
	arm_op *op = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	assert_int_equal(adapter_kusto_get(&s, c, ADX), 0);
	live_kusto_cluster *k = &s.kusto_clusters[0];
	assert_string_equal(k->location, "eastus"); /* served as "East US" */
	assert_string_equal(k->state, "Running");
	assert_false(k->busy);
	assert_string_equal(k->identity.type, "SystemAssigned");
	assert_non_null(k->identity.principal_id);
	assert_null(k->key.vault_uri);
	char *pid = strdup(k->identity.principal_id);

	/* grant the cluster's identity, then a versionless key */
	assert_int_equal(adapter_vault_get(&s, c, VAULT), 0);
	if (adapter_access_policy_grant(NULL, c, VAULT, TENANT, pid, NULL) < 0)
		fail_msg("grant: %s", cmk_error_last());
	live_key_ref key = { .vault_uri = s.vaults[0].vault_uri, .key_name = "la-key" };
	adapter_kusto_spec spec = { .identity_type = "SystemAssigned", .key = &key };
	if (adapter_kusto_update(&op, c, ADX, &spec, NULL) < 0)
		fail_msg("update: %s", cmk_error_last());
	assert_int_equal(op->kind, ARM_OP_KUSTO_UPDATE);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	live_state_free(&s);

	assert_int_equal(adapter_kusto_list(&s, c, SUB), 0);
	assert_int_equal(s.kusto_cluster_count, 1);
	k = live_find_kusto(&s, ADX);
	assert_non_null(k);
	assert_string_equal(k->key.key_name, "la-key");
	assert_string_equal(k->key.key_version, ""); /* tracks the current version */
	assert_non_null(strstr(k->key.vault_uri, "kvad-ap.vault.localhost"));
	assert_string_equal(k->identity.principal_id, pid); /* the same identity */
	assert_string_equal(k->provisioning_state, "Succeeded");

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/Microsoft.Kusto/clusters/adxad1?api-version=2024-04-13",
				  200), 1);
	assert_int_equal(it_count(log, "PATCH", "/Microsoft.Kusto/clusters/adxad1?api-version="
				  "2024-04-13", 202), 1);
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.Kusto/clusters?api-version="
				  "2024-04-13", 200), 1);
	assert_int_equal(it_count(log, NULL, NULL, 400), 0);
	cJSON_Delete(log);
	free(pid);
	live_state_free(&s);
	it_client_free(c);
}

static void test_adapter_kusto__component_legacy_association(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_state s = { 0 };
	cJSON *body = NULL, *log, *doc = NULL;
	long since = it_last_seq(sim);

	assert_int_equal(adapter_component_get(&s, c, COMP), 0);
	assert_null(s.components[0].cluster_definition_id);
	assert_string_equal(s.components[0].location, "westus");
	live_state_free(&s);

	if (adapter_component_associate(&body, c, COMP, AI_CLUSTER_ID, NULL) < 0)
		fail_msg("associate: %s", cmk_error_last());
	assert_non_null(body);
	cJSON_Delete(body);
	assert_int_equal(adapter_component_list(&s, c, SUB), 0);
	assert_int_equal(s.component_count, 1);
	assert_string_equal(live_find_component(&s, COMP)->cluster_definition_id, AI_CLUSTER_ID);
	live_state_free(&s);

	/* the PUT kept the component's settings and generated values */
	assert_int_equal(arm_get_json(&doc, c, COMP, "2015-05-01", NULL), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc,
				"properties"), "Application_Type")), "web");
	assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(doc,
				"properties"), "InstrumentationKey")));
	cJSON_Delete(doc);

	/* a cluster of the legacy type made through the adapter takes the
	 * association too */
	adapter_cluster_spec ai = { .location = "westus", .capacity = 1000, .double_encryption = -1,
				    .availability_zones = -1, .cluster_type = "ApplicationInsights" };
	arm_op *op = NULL;
	if (adapter_cluster_create(&op, c, RG_LA "Microsoft.OperationalInsights/clusters/la-ai2", &ai,
				   NULL) < 0)
		fail_msg("create: %s", cmk_error_last());
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	assert_int_equal(adapter_cluster_get(&s, c, RG_LA "Microsoft.OperationalInsights/clusters/la-ai2"),
			 0);
	assert_non_null(s.clusters[0].cluster_id);
	if (adapter_component_associate(NULL, c, COMP, s.clusters[0].cluster_id, NULL) < 0)
		fail_msg("associate with la-ai2: %s", cmk_error_last());
	live_state_free(&s);

	/* dissociate */
	assert_int_equal(adapter_component_associate(NULL, c, COMP, "", NULL), 0);
	assert_int_equal(adapter_component_get(&s, c, COMP), 0);
	assert_null(s.components[0].cluster_definition_id);
	live_state_free(&s);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/components/aiad1?api-version=2020-02-02", 200), 2);
	assert_int_equal(it_count(log, "GET", "/components/aiad1?api-version=2015-05-01", 200), 4);
	assert_int_equal(it_count(log, "PUT", "/components/aiad1?api-version=2015-05-01", 200), 3);
	assert_int_equal(it_count(log, NULL, NULL, 400), 0);
	cJSON_Delete(log);
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapter_kusto__read_and_versionless_key_update),
		cmocka_unit_test(test_adapter_kusto__component_legacy_association),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
