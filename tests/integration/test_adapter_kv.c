/*
 * test_adapter_kv.c - the Key Vault, RBAC and managed identity adapters
 * against armsim over HTTPS: vaults in both permission models, access
 * policy grant and revoke, a role assignment whose retry PUTs the same
 * name (no duplicate), keys on the data plane (present and missing),
 * identities created, read and listed; each test checks the requests
 * armsim logged.
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
#include "providers/adapter_identity.h"
#include "providers/adapter_key.h"
#include "providers/adapter_role.h"
#include "providers/adapter_vault.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000ad"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define KV "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/"
#define MSI "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/" \
	"userAssignedIdentities/"
#define UAI_TWO_PRINCIPAL "0c000000-0000-4000-8000-0000000000a2"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/adapters.json", .seed = 8,
			  .time_scale = IT_SCALE };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static void test_adapter_kv__vaults_and_access_policies(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log, *body = NULL;

	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-ap"), 0);
	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-rbac"), 0);
	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-none"), CMK_ENOTFOUND);
	assert_int_equal(s.vault_count, 2);
	live_vault *ap = live_find_vault(&s, KV "kvad-ap"), *rb = live_find_vault(&s, KV "kvad-rbac");
	assert_true(ap->soft_delete && ap->purge_protection);
	assert_false(ap->rbac_authorization);
	assert_true(rb->rbac_authorization);
	assert_string_equal(ap->tenant_id, TENANT);
	assert_non_null(strstr(ap->vault_uri, "https://kvad-ap.vault.localhost:"));
	assert_non_null(live_find_vault_by_uri(&s, ap->vault_uri));
	assert_int_equal(ap->access_policy_count, 2);
	/* "Get", "WrapKey" in the fixture: compared without case */
	assert_true(live_access_policy_grants_key_use(&ap->access_policies[1]));
	live_state_free(&s);

	/* grant, then revoke, an identity with no policy yet */
	if (adapter_access_policy_grant(&body, c, KV "kvad-ap", TENANT, UAI_TWO_PRINCIPAL, NULL) < 0)
		fail_msg("grant: %s", cmk_error_last());
	cJSON_Delete(body);
	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-ap"), 0);
	assert_int_equal(s.vaults[0].access_policy_count, 3);
	assert_true(live_access_policy_grants_key_use(&s.vaults[0].access_policies[2]));
	assert_string_equal(s.vaults[0].access_policies[2].object_id, UAI_TWO_PRINCIPAL);
	live_state_free(&s);
	assert_int_equal(adapter_access_policy_revoke(NULL, c, KV "kvad-ap", TENANT,
						      UAI_TWO_PRINCIPAL, NULL), 0);
	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-ap"), 0);
	assert_int_equal(s.vaults[0].access_policy_count, 2);
	live_state_free(&s);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-ap?api-version=2024-11-01", 200), 3);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-none?api-version=2024-11-01", 404), 1);
	assert_int_equal(it_count(log, "PUT", "/vaults/kvad-ap/accessPolicies/add?api-version=2024-11-01",
				  200), 1);
	assert_int_equal(it_count(log, "PUT", "/vaults/kvad-ap/accessPolicies/remove?api-version="
				  "2024-11-01", 200), 1);
	/* never a vault PUT: cmkctl does not reconfigure vaults */
	assert_int_equal(it_count(log, "PUT", "/vaults/kvad-ap?", 0), 0);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_adapter_kv__role_assignment_retry_cannot_duplicate(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *scope = KV "kvad-rbac/keys/k1";
	char name[37], part[128];
	live_state s = { 0 };
	cJSON *body = NULL, *log;
	long since = it_last_seq(sim);
	size_t mine = 0;

	adapter_role_assignment_name(name, scope, UAI_TWO_PRINCIPAL,
				     ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION);
	/* the first grant, and a retry of it (an apply that was interrupted) */
	for (int i = 0; i < 2; i++) {
		if (adapter_role_assign(&body, c, scope, UAI_TWO_PRINCIPAL,
					ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION, NULL) < 0)
			fail_msg("assign %d: %s", i, cmk_error_last());
		assert_non_null(body);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(body, "name")), name);
		cJSON_Delete(body);
	}
	/* listed at the vault: assignments below it (the key) come too */
	assert_int_equal(adapter_role_assignment_list(&s, c, KV "kvad-rbac"), 0);
	for (size_t i = 0; i < s.role_assignment_count; i++)
		if (strcmp(s.role_assignments[i].principal_id, UAI_TWO_PRINCIPAL) == 0) {
			mine++;
			assert_true(arm_id_equal(s.role_assignments[i].scope, scope));
			assert_non_null(strstr(s.role_assignments[i].role_definition_id,
					       "/roleDefinitions/" ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION));
		}
	assert_int_equal(mine, 1);
	live_state_free(&s);

	log = it_requests(sim, since);
	snprintf(part, sizeof(part), "/keys/k1/providers/Microsoft.Authorization/roleAssignments/%s?"
		 "api-version=2022-04-01", name);
	assert_int_equal(it_count(log, "PUT", part, 201), 1);
	assert_int_equal(it_count(log, "PUT", part, 200), 1);
	assert_int_equal(it_count(log, "PUT", "/roleAssignments/", 0), 2);
	cJSON_Delete(log);

	/* revoking removes it; removing again is fine */
	assert_int_equal(adapter_role_unassign(c, scope, UAI_TWO_PRINCIPAL,
					       ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION, NULL), 0);
	assert_int_equal(adapter_role_unassign(c, scope, UAI_TWO_PRINCIPAL,
					       ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION, NULL), 0);
	assert_int_equal(adapter_role_assignment_list(&s, c, KV "kvad-rbac"), 0);
	for (size_t i = 0; i < s.role_assignment_count; i++)
		assert_string_not_equal(s.role_assignments[i].principal_id, UAI_TWO_PRINCIPAL);
	live_state_free(&s);
	it_client_free(c);
}

static void test_adapter_kv__grant_made_by_someone_else_is_success(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *scope = KV "kvad-rbac";
	cJSON *body = NULL, *log;
	arm_error *err = NULL;
	long since;

	/* a human granted the role in the portal (another assignment name) */
	it_admin(sim, "POST", "/_sim/role-assignments",
		 "{\"scope\":\"" KV "kvad-rbac\",\"role\":\"Key Vault Crypto Service Encryption "
		 "User\",\"principalId\":\"" UAI_TWO_PRINCIPAL "\"}");
	since = it_last_seq(sim);
	assert_int_equal(adapter_role_assign(&body, c, scope, UAI_TWO_PRINCIPAL,
					     ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION, &err), 0);
	assert_null(body);
	assert_null(err);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/vaults/kvad-rbac/providers/Microsoft.Authorization/"
				  "roleAssignments/", 409), 1);
	cJSON_Delete(log);

	/* a role that does not exist is an error with ARM's message */
	assert_int_equal(adapter_role_assign(&body, c, scope, UAI_TWO_PRINCIPAL,
					     "00000000-0000-4000-8000-000000000000", &err),
			 CMK_EINVALID);
	assert_non_null(err);
	assert_string_equal(err->arm_code, "RoleDefinitionDoesNotExist");
	assert_non_null(strstr(cmk_error_last(), "RoleDefinitionDoesNotExist"));
	arm_error_free(err);
	it_client_free(c);
}

static void test_adapter_kv__keys_on_the_data_plane(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log;

	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-ap"), 0);
	assert_int_equal(adapter_vault_get(&s, c, KV "kvad-rbac"), 0);
	char *ap_uri = s.vaults[0].vault_uri, *rb_uri = s.vaults[1].vault_uri;
	assert_int_equal(adapter_key_get(&s, c, KV "kvad-ap", ap_uri, "la-key"), 0);
	assert_int_equal(adapter_key_get(&s, c, KV "kvad-rbac", rb_uri, "k1"), 0);
	assert_int_equal(adapter_key_get(&s, c, KV "kvad-ap", ap_uri, "no-such-key"), 0);
	assert_int_equal(s.key_count, 3);
	live_key *k = live_find_key(&s, KV "kvad-ap", "la-key");
	assert_true(k->exists && k->enabled);
	assert_string_equal(k->kty, "RSA");
	assert_int_equal(k->key_size, 2048);
	assert_int_equal(strlen(k->current_version), 32);
	assert_true(live_find_key(&s, KV "kvad-rbac", "k1")->exists);
	assert_false(live_find_key(&s, KV "kvad-ap", "no-such-key")->exists);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "GET", "/keys/la-key?api-version=7.6", 200), 1);
	assert_int_equal(it_count(log, "GET", "/keys/k1?api-version=7.6", 200), 1);
	assert_int_equal(it_count(log, "GET", "/keys/no-such-key?api-version=7.6", 404), 1);
	cJSON_Delete(log);
	live_state_free(&s);
	it_client_free(c);
}

static void test_adapter_kv__identities(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_tag tag = { "team", "obs" };
	live_tags tags = { &tag, 1 };
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log;

	if (adapter_identity_create(&s, c, MSI "uai-new", "eastus", &tags, NULL) < 0)
		fail_msg("create: %s", cmk_error_last());
	assert_int_equal(s.identity_count, 1);
	assert_non_null(s.identities[0].principal_id);
	assert_non_null(s.identities[0].client_id);
	assert_string_equal(s.identities[0].tags.items[0].value, "obs");
	char *pid = strdup(s.identities[0].principal_id);
	live_state_free(&s);

	assert_int_equal(adapter_identity_get(&s, c, MSI "uai-new"), 0);
	assert_string_equal(s.identities[0].principal_id, pid);
	assert_string_equal(s.identities[0].location, "eastus");
	assert_int_equal(adapter_identity_get(&s, c, MSI "uai-none"), CMK_ENOTFOUND);
	live_state_free(&s);
	assert_int_equal(adapter_identity_list(&s, c, SUB), 0);
	assert_int_equal(s.identity_count, 3); /* uai-one, uai-two, uai-new */
	assert_string_equal(live_find_identity(&s, MSI "uai-new")->principal_id, pid);
	free(pid);
	live_state_free(&s);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/userAssignedIdentities/uai-new?api-version=2026-05-31",
				  201), 1);
	assert_int_equal(it_count(log, "GET", "/userAssignedIdentities/uai-new?api-version=2026-05-31",
				  200), 1);
	/* three identities at page size 2: two pages */
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.ManagedIdentity/"
				  "userAssignedIdentities?api-version=2026-05-31", 200), 2);
	cJSON_Delete(log);
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapter_kv__vaults_and_access_policies),
		cmocka_unit_test(test_adapter_kv__role_assignment_retry_cannot_duplicate),
		cmocka_unit_test(test_adapter_kv__grant_made_by_someone_else_is_success),
		cmocka_unit_test(test_adapter_kv__keys_on_the_data_plane),
		cmocka_unit_test(test_adapter_kv__identities),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
