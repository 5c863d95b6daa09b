/*
 * test_live_read.c - live_read against armsim over HTTPS: a scope naming
 * every kind of resource is read with the requests the design asks for
 * (lists per subscription, a GET per vault and key, a list where it is
 * cheaper), counted exactly and matched against armsim's request log; a
 * failure empties the model and says why; a bad id fails before any
 * request.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/arm_id.h"
#include "providers/cloud.h"
#include "providers/live_read.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000ad"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define RG_LA "/subscriptions/" SUB "/resourceGroups/rg-la/providers/"
#define LA RG_LA "Microsoft.OperationalInsights/"
#define KV "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/"
#define MSI RG_LA "Microsoft.ManagedIdentity/userAssignedIdentities/"
#define CI_OID "0b1e0000-0000-4000-8000-000000000001"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/adapters.json", .seed = 10,
			  .time_scale = IT_SCALE };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static void test_live_read__every_kind_with_counted_requests(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *clusters[] = { LA "clusters/la-legacy" };
	const char *workspaces[] = { LA "workspaces/wsad1", LA "workspaces/wsad2" };
	const char *lsa[] = { LA "workspaces/wsad1" };
	const char *vaults[] = { KV "kvad-ap" };
	const live_scope_key keys[] = { { KV "kvad-ap", "la-key" }, { KV "kvad-rbac", "k1" },
					{ KV "kvad-ap", "not-there" } };
	const char *identities[] = { MSI "uai-one", MSI "uai-two" };
	const char *kusto[] = { RG_LA "Microsoft.Kusto/clusters/adxad1" };
	const char *components[] = { RG_LA "Microsoft.Insights/components/aiad1",
				     RG_LA "Microsoft.Insights/components/gone" };
	live_scope scope = {
		.clusters = clusters, .cluster_count = 1,
		.workspaces = workspaces, .workspace_count = 2,
		.linked_storage_workspaces = lsa, .linked_storage_workspace_count = 1,
		.vaults = vaults, .vault_count = 1,
		.keys = keys, .key_count = 3,
		.identities = identities, .identity_count = 2,
		.kusto_clusters = kusto, .kusto_cluster_count = 1,
		.components = components, .component_count = 2,
		.link_state = true,
	};
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log;

	if (live_read(&s, c, &scope) < 0)
		fail_msg("live read: %s", cmk_error_last());

	assert_int_equal(s.subscription_count, 1);
	assert_string_equal(s.subscriptions[0].tenant_id, TENANT);
	/* everything the lists return, not only what the scope names */
	assert_int_equal(s.cluster_count, 2);
	assert_string_equal(live_find_cluster(&s, LA "clusters/la-legacy")->key.key_name, "la-key");
	/* wsad1..4 from the list, ws-far (another subscription) from la-legacy's
	 * associatedWorkspaces */
	assert_int_equal(s.workspace_count, 5);
	assert_true(arm_id_equal(live_find_workspace(&s, LA "workspaces/wsad1")->cluster_resource_id,
				 LA "clusters/la-legacy"));
	live_workspace *far = live_find_workspace(&s, "/subscriptions/5ab50000-0000-4000-8000-"
						  "0000000000f0/resourceGroups/rg-far/providers/"
						  "Microsoft.OperationalInsights/workspaces/ws-far");
	assert_non_null(far);
	assert_true(arm_id_equal(far->cluster_resource_id, LA "clusters/la-legacy"));
	assert_string_equal(far->customer_id, "3e000000-0000-4000-8000-0000000000f1");
	assert_null(far->location);
	assert_null(live_find_workspace(&s, LA "workspaces/wsad2")->cluster_resource_id);
	assert_null(live_find_workspace(&s, LA "workspaces/wsad2")->link_state);
	/* the key's vault is read although only the key names it */
	assert_int_equal(s.vault_count, 2);
	assert_true(live_find_vault(&s, KV "kvad-rbac")->rbac_authorization);
	assert_int_equal(s.key_count, 3);
	assert_true(live_find_key(&s, KV "kvad-ap", "la-key")->exists);
	assert_true(live_find_key(&s, KV "kvad-rbac", "k1")->exists);
	assert_false(live_find_key(&s, KV "kvad-ap", "not-there")->exists);
	assert_int_equal(live_find_key(&s, KV "kvad-ap", "la-key")->key_size, 2048);
	/* RBAC vault: its role assignments (the CI's Crypto Officer) */
	bool officer = false;
	for (size_t i = 0; i < s.role_assignment_count; i++)
		officer |= strcmp(s.role_assignments[i].principal_id, CI_OID) == 0 &&
			   strstr(s.role_assignments[i].role_definition_id,
				  "14b46e9e-c2b7-41b4-b07b-48a6ebf60603") != NULL;
	assert_true(officer);
	assert_int_equal(s.identity_count, 2);
	assert_non_null(live_find_identity(&s, MSI "uai-two"));
	assert_int_equal(s.kusto_cluster_count, 1);
	assert_string_equal(s.kusto_clusters[0].location, "eastus");
	assert_int_equal(s.component_count, 1); /* "gone" is absent */
	assert_int_equal(s.linked_storage_count, 0);

	log = it_requests(sim, since);
	assert_int_equal(s.requests, it_count(log, NULL, NULL, 0));
	/* 1 subscription + clusters (2 items, 1 page) + the workspace list (its
	 * pages, if the server pages it)
	 * + 2 vaults + 3 keys + role assignments of the RBAC vault + 1 identity list
	 * + 1 Kusto GET + 1 component list (two named: cheaper than two GETs)
	 * + 1 linked-storage list + 1 link state (wsad2, unlinked)
	 * + 2 tokens (ARM, Key Vault) */
	size_t ws_pages = it_count(log, "GET", "/providers/Microsoft.OperationalInsights/workspaces?", 200);
	assert_int_equal(ws_pages, 1 + it_count(log, "GET", "/providers/Microsoft.OperationalInsights/"
						 "workspaces?api-version=2026-03-01&$skiptoken=", 200));
	assert_int_equal(s.requests, 1 + 1 + ws_pages + 2 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 2);
	assert_int_equal(it_count(log, "GET", "/subscriptions/" SUB "?api-version=2022-12-01", 200), 1);
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.OperationalInsights/clusters?", 200), 1);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-ap?api-version=2024-11-01", 200), 1);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-rbac?api-version=2024-11-01", 200), 1);
	assert_int_equal(it_count(log, "GET", "?api-version=7.6", 0), 3);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-rbac/providers/Microsoft.Authorization/"
				  "roleAssignments?api-version=2022-04-01", 200), 1);
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.ManagedIdentity/"
				  "userAssignedIdentities?api-version=2026-05-31", 200), 1);
	assert_int_equal(it_count(log, "GET", "/userAssignedIdentities/uai-", 0), 0);
	assert_int_equal(it_count(log, "GET", "/clusters/adxad1?api-version=2024-04-13", 200), 1);
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.Insights/components?api-version="
				  "2020-02-02", 200), 1);
	assert_int_equal(it_count(log, "GET", "/components/", 0), 0);
	assert_int_equal(it_count(log, "GET", "/workspaces/wsad1/linkedStorageAccounts?", 200), 1);
	assert_int_equal(it_count(log, "GET", "/workspaces/wsad2/linkedServices/cluster?", 404), 1);
	/* a list per subscription, never a GET per workspace or cluster */
	assert_int_equal(it_count(log, "GET", "/workspaces/wsad1?", 0), 0);
	assert_int_equal(it_count(log, "GET", "/clusters/la-legacy?", 0), 0);
	assert_int_equal(it_count(log, NULL, NULL, 0), (size_t)s.requests);
	assert_int_equal(it_count(log, "PUT", NULL, 0) + it_count(log, "PATCH", NULL, 0) +
			 it_count(log, "DELETE", NULL, 0), 0);
	cJSON_Delete(log);

	/* the model round-trips through its JSON form (what a saved plan keeps) */
	cJSON *json = NULL;
	live_state back = { 0 };
	assert_int_equal(live_state_to_json(&json, &s), 0);
	assert_int_equal(live_state_from_json(&back, json), 0);
	assert_int_equal(back.workspace_count, 5);
	cJSON_Delete(json);
	live_state_free(&back);
	live_state_free(&s);
	it_client_free(c);
}

/* The same scope read cleanly and under seeded 10% 5xx/resets: the same model. */
static void test_live_read__faults_change_the_count_not_the_model(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *clusters[] = { LA "clusters/la-legacy" };
	const char *workspaces[] = { LA "workspaces/wsad1", LA "workspaces/wsad2" };
	const live_scope_key keys[] = { { KV "kvad-ap", "la-key" }, { KV "kvad-rbac", "k1" } };
	const char *identities[] = { MSI "uai-one", MSI "uai-two" };
	live_scope scope = { .clusters = clusters, .cluster_count = 1,
			     .workspaces = workspaces, .workspace_count = 2,
			     .keys = keys, .key_count = 2,
			     .identities = identities, .identity_count = 2 };
	live_state clean = { 0 }, faulty = { 0 };
	cJSON *a = NULL, *b = NULL;

	if (live_read(&clean, c, &scope) < 0)
		fail_msg("clean read: %s", cmk_error_last());
	it_admin(sim, "PUT", "/_sim/faults",
		 "[{\"method\":\"GET\",\"resourceType\":\"*\",\"fault\":\"503\",\"rate\":0.1,"
		 "\"retryAfter\":1},{\"method\":\"GET\",\"resourceType\":\"*\",\"fault\":"
		 "\"reset\",\"rate\":0.1}]");
	int rc = live_read(&faulty, c, &scope);
	it_admin(sim, "DELETE", "/_sim/faults", NULL);
	if (rc < 0)
		fail_msg("read under faults: %s", cmk_error_last());
	/* retries cost requests, nothing else */
	assert_true(faulty.requests > clean.requests);
	faulty.requests = clean.requests;
	assert_int_equal(live_state_to_json(&a, &clean), 0);
	assert_int_equal(live_state_to_json(&b, &faulty), 0);
	char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	live_state_free(&clean);
	live_state_free(&faulty);
	it_client_free(c);
}

static void test_live_read__link_state_probes_are_bounded(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *workspaces[] = { LA "workspaces/wsad2", LA "workspaces/wsad3",
				     LA "workspaces/wsad4" };
	live_scope scope = { .workspaces = workspaces, .workspace_count = 3, .link_state = true,
			     .link_state_max = 2 };
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log;

	if (live_read(&s, c, &scope) < 0)
		fail_msg("live read: %s", cmk_error_last());
	log = it_requests(sim, since);
	/* three unlinked, two probed */
	assert_int_equal(it_count(log, "GET", "/linkedServices/cluster?", 0), 2);
	cJSON_Delete(log);
	live_state_free(&s);
	it_client_free(c);
}

static void test_live_read__failure_empties_the_model(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *subs[] = { "5ab50000-0000-4000-8000-0000000000ff" };
	const char *vaults[] = { KV "kvad-ap" };
	live_scope scope = { .subscriptions = subs, .subscription_count = 1,
			     .vaults = vaults, .vault_count = 1 };
	live_state s = { 0 };
	int rc;

	rc = live_read(&s, c, &scope);
	assert_true(rc < 0);
	assert_non_null(strstr(cmk_error_last(), "5ab50000-0000-4000-8000-0000000000ff"));
	assert_int_equal(s.vault_count, 0);
	assert_null(s.vaults);
	assert_int_equal(s.requests, 0);
	it_client_free(c);
}

static void test_live_read__canceled_read_leaves_nothing_in_flight(void **state)
{
	volatile sig_atomic_t stop = 1;
	arm_cloud *cloud = NULL;
	arm_client *c = NULL;
	const char *clusters[] = { LA "clusters/la-legacy" };
	const live_scope_key keys[] = { { KV "kvad-ap", "la-key" } };
	live_scope scope = { .clusters = clusters, .cluster_count = 1, .keys = keys, .key_count = 1 };
	live_state s = { 0 };

	if (arm_cloud_resolve(&cloud, NULL) < 0)
		fail_msg("cloud: %s", cmk_error_last());
	arm_client_opts o = { .cloud = cloud, .time_scale = IT_SCALE, .cancel = &stop };
	assert_int_equal(arm_client_new(&c, &o), 0);
	/* the flag is up before the read starts: every read is handed back */
	assert_int_equal(live_read(&s, c, &scope), CMK_ECANCELED);
	assert_int_equal(s.cluster_count + s.vault_count + s.key_count, 0);
	assert_int_equal(arm_pending(c), 0);
	arm_client_free(c);
	arm_cloud_free(cloud);
}

static void test_live_read__bad_id_fails_before_any_request(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *clusters[] = { "clusters/la-legacy" };
	live_scope scope = { .clusters = clusters, .cluster_count = 1 };
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log;

	assert_int_equal(live_read(&s, c, &scope), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "'clusters/la-legacy' names no subscription"));
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, NULL, NULL, 0), 0);
	cJSON_Delete(log);
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_read__every_kind_with_counted_requests),
		cmocka_unit_test(test_live_read__faults_change_the_count_not_the_model),
		cmocka_unit_test(test_live_read__link_state_probes_are_bounded),
		cmocka_unit_test(test_live_read__failure_empties_the_model),
		cmocka_unit_test(test_live_read__canceled_read_leaves_nothing_in_flight),
		cmocka_unit_test(test_live_read__bad_id_fails_before_any_request),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
