/*
 * test_keyvault.c - Microsoft.KeyVault/vaults in armsim: the armspec
 * examples replayed (get, update, delete, create, list, accessPolicies
 * add) and Key Vault's documented rules (purge protection and soft delete
 * are irreversible, vault names are global, access-policy add / replace /
 * remove semantics and their effect on key access).
 */
#include "rp_testutil.h"

#define Z "00000000-0000-0000-0000-000000000000"
#define KVA "/subscriptions/" Z "/resourceGroups/sample-resource-group/providers/Microsoft.KeyVault/vaults/sample-vault"
#define KVB "/subscriptions/" Z "/resourceGroups/sample-group/providers/Microsoft.KeyVault/vaults/sample-vault"

#define BS "00000000-0000-4000-8000-0000000000s1"
#define BRG "/subscriptions/" BS "/resourceGroups/rg-kv"
#define KV_AP BRG "/providers/Microsoft.KeyVault/vaults/kv-ap"
#define APP_ID "bbbbbbbb-0000-4000-8000-0000000000b2"
#define APP_OID "cccccccc-0000-4000-8000-0000000000c2"
#define BT "aaaaaaaa-0000-4000-8000-0000000000a1"

static const char *const vault_aside[] = { "systemData", "properties.vaultUri", NULL };

static int setup_a(void **state)
{
	(void)state;
	return check_start("conf_kv_a.json", 1);
}

static int setup_b(void **state)
{
	(void)state;
	return check_start("conf_kv_b.json", 1);
}

static int setup_rules(void **state)
{
	(void)state;
	return check_start("kv_basic.json", 1);
}

static void test_conformance__get_vault(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.KeyVault/2026-02-01/getVault.json");
	armsim_http_resp r = check_arm("GET", KVA "?api-version=2026-02-01", NULL);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, vault_aside);
	assert_true(strncmp(check_str(r.json, "properties.vaultUri"), "https://sample-vault.vault.localhost:", 37) == 0);
	armsim_http_free(&r);
	cJSON_Delete(ex);
}

static void test_conformance__update_vault(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.KeyVault/2024-11-01/updateVault.json");
	char *body = rp_body(ex, "parameters");
	armsim_http_resp r = check_arm("PATCH", KVA "?api-version=2024-11-01", body);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, vault_aside);
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

/* deleteVault (200, then 204 when gone) and createVault (201 for a new
 * vault, and from 2026-02-01 a long-running operation: Location +
 * Retry-After, the Location URL answering the vault). */
static void test_conformance__delete_then_create_vault(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("DELETE", KVA "?api-version=2024-11-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("DELETE", KVA "?api-version=2024-11-01", NULL);
	rp_status(&r, 204);
	armsim_http_free(&r);
	/* soft delete keeps the name: createVault presumes a free name, so the
	 * deleted vault (no purge protection) is purged first */
	r = check_arm("POST", "/subscriptions/" Z "/providers/Microsoft.KeyVault/locations/westus/deletedVaults/sample-vault/purge"
			      "?api-version=2024-11-01", NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);

	cJSON *ex = rp_example("Microsoft.KeyVault/2026-02-01/createVault.json");
	char *body = rp_body(ex, "parameters");
	r = check_arm("PUT", KVA "?api-version=2026-02-01", body);
	rp_status(&r, 201);
	/* hsmPoolResourceId: a read-only value the example shows although the
	 * request creates a plain vault; not derivable from the request */
	rp_match(rp_at(ex, "responses.201.body"), r.json,
		 (const char *const[]){ "systemData", "properties.vaultUri", "?properties.hsmPoolResourceId", NULL });
	char loc[2048], ra[32];
	assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
	assert_true(armsim_http_header(&r, "Retry-After", ra, sizeof ra));
	armsim_http_free(&r);
	armsim_http_resp l;
	assert_int_equal(armsim_arm(&l, g_sim, "GET", loc + strlen(g_sim->base_url), NULL), 0);
	rp_status(&l, 200);
	assert_string_equal(check_str(l.json, "name"), "sample-vault");
	armsim_http_free(&l);

	/* before 2026-02-01 the same PUT is synchronous: no Location */
	r = check_arm("PUT", KVA "?api-version=2023-07-01", body);
	rp_status(&r, 200);
	assert_false(armsim_http_header(&r, "Location", loc, sizeof loc));
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

static void test_conformance__list_vaults(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.KeyVault/2024-11-01/listVaultByResourceGroup.json");
	armsim_http_resp r = check_arm("GET",
				       "/subscriptions/" Z "/resourceGroups/sample-group/providers/Microsoft.KeyVault/vaults"
				       "?api-version=2024-11-01&$top=1", NULL);
	rp_status(&r, 200);
	/* the example's nextLink presumes a second vault in the group; this
	 * state has one, so there is no next page */
	const cJSON *want = rp_at(ex, "responses.200.body.value");
	const cJSON *got = check_get(r.json, "value");
	assert_int_equal(cJSON_GetArraySize(got), 1);
	rp_match(want, got, (const char *const[]){ "[0].systemData", "[0].properties.vaultUri", NULL });
	assert_null(check_get(r.json, "nextLink"));
	armsim_http_free(&r);
	cJSON_Delete(ex);
}

static void test_conformance__access_policies_add(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.KeyVault/2026-02-01/updateAccessPoliciesAdd.json");
	char *body = rp_body(ex, "parameters");
	armsim_http_resp r = check_arm("PUT", KVB "/accessPolicies/add?api-version=2026-02-01", body);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, NULL);
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

/* --- rules ------------------------------------------------------------------- */

static void test_vault__purge_protection_cannot_be_disabled(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PATCH", KV_AP "?api-version=2023-07-01",
				       "{\"properties\":{\"enablePurgeProtection\":false}}");
	check_error(&r, 400, "BadRequest",
		    "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection "
		    "for a vault is an irreversible action.");
	armsim_http_free(&r);
	/* a PUT that leaves it out keeps it on */
	r = check_arm("PUT", KV_AP "?api-version=2023-07-01",
		      "{\"location\":\"eastus\",\"properties\":{\"tenantId\":\"" BT "\",\"sku\":{\"family\":\"A\",\"name\":\"standard\"},"
		      "\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"cccccccc-0000-4000-8000-0000000000c1\","
		      "\"permissions\":{\"keys\":[\"get\",\"list\",\"create\",\"update\",\"rotate\",\"wrapKey\",\"unwrapKey\"]}},"
		      "{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID "\",\"permissions\":{\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}}]}}");
	rp_status(&r, 200);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enablePurgeProtection")));
	armsim_http_free(&r);
}

static void test_vault__soft_delete_cannot_be_disabled(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PATCH", KV_AP "?api-version=2023-07-01",
				       "{\"properties\":{\"enableSoftDelete\":false}}");
	check_error(&r, 400, "BadRequest",
		    "The property \"enableSoftDelete\" cannot be set to false. Enabling the soft delete for a vault "
		    "is an irreversible action.");
	armsim_http_free(&r);
}

static void test_vault__names_are_global(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm(
		"PUT", "/subscriptions/" BS "/resourceGroups/rg-west/providers/Microsoft.KeyVault/vaults/kv-ap?api-version=2024-11-01",
		"{\"location\":\"westus\",\"properties\":{\"tenantId\":\"" BT "\",\"sku\":{\"family\":\"A\",\"name\":\"standard\"}}}");
	check_error(&r, 409, "VaultAlreadyExists",
		    "The vault name 'kv-ap' is already in use. Vault names are globally unique so it is possible that "
		    "the name is already taken. If you are sure that the vault name was not taken then it is possible "
		    "that a vault with the same name was recently deleted but not purged after being placed in a "
		    "recoverable state. If the vault is in a recoverable state then the vault will need to be purged "
		    "before reusing the name. For more information on VaultAlreadyExists, soft delete and purging a "
		    "vault follow this link https://go.microsoft.com/fwlink/?linkid=2147740.");
	armsim_http_free(&r);
}

static void test_vault__not_found_and_unknown_version(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", BRG "/providers/Microsoft.KeyVault/vaults/nope?api-version=2024-11-01", NULL);
	check_error(&r, 404, "ResourceNotFound",
		    "The Resource 'Microsoft.KeyVault/vaults/nope' under resource group 'rg-kv' was not found. For "
		    "more details please go to https://aka.ms/ARMResourceNotFoundFix");
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2019-01-01", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	armsim_http_free(&r);
	/* every published version answers, old and new */
	static const char *const ok[] = { "2015-06-01", "2018-02-14", "2019-09-01", "2022-07-01", "2026-02-01" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		r = check_arm("GET", check_fmt(KV_AP "?api-version=%s", ok[i]), NULL);
		rp_status(&r, 200);
		armsim_http_free(&r);
	}
}

static const cJSON *policy_of(const cJSON *vault, const char *oid)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, check_get(vault, "properties.accessPolicies"))
		if (!strcmp(check_str(p, "objectId"), oid))
			return p;
	return NULL;
}

static bool has_perm(const cJSON *policy, const char *perm)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, check_get(policy, "permissions.keys"))
		if (!strcasecmp(x->valuestring, perm))
			return true;
	return false;
}

#define APP_SECRET "app-secret"
#define KVSCOPE "https://vault.azure.net/.default"

/* add merges permissions into the principal's entry; the data plane
 * follows at once. */
static void test_access_policy__add_merges(void **state)
{
	(void)state;
	const char *tok = rp_token(APP_ID, APP_SECRET, KVSCOPE);
	armsim_http_resp d = rp_kv(tok, "GET", "kv-ap", "/keys?api-version=7.4", NULL);
	rp_kv_error(&d, 403, "Forbidden", "ForbiddenByPolicy", NULL);
	armsim_http_free(&d);

	armsim_http_resp r = check_arm("PUT", KV_AP "/accessPolicies/add?api-version=2023-07-01",
				       "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID
				       "\",\"permissions\":{\"keys\":[\"list\",\"get\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	const cJSON *p = policy_of(r.json, APP_OID);
	assert_non_null(p);
	assert_true(has_perm(p, "get") && has_perm(p, "wrapKey") && has_perm(p, "unwrapKey") && has_perm(p, "list"));
	assert_int_equal(cJSON_GetArraySize(check_get(p, "permissions.keys")), 4); /* "get" not doubled */
	armsim_http_free(&r);

	d = rp_kv(tok, "GET", "kv-ap", "/keys?api-version=7.4", NULL);
	rp_status(&d, 200);
	armsim_http_free(&d);
}

/* remove takes permissions away (the entry goes when none is left), and
 * the key is no longer readable: revocation as the core's rules see it. */
static void test_access_policy__remove_revokes(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", KV_AP "/accessPolicies/remove?api-version=2023-07-01",
				       "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID
				       "\",\"permissions\":{\"keys\":[\"wrapKey\",\"unwrapKey\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	const cJSON *p = policy_of(r.json, APP_OID);
	assert_non_null(p);
	assert_false(has_perm(p, "wrapKey"));
	assert_true(has_perm(p, "get"));
	armsim_http_free(&r);

	const char *tok = rp_token(APP_ID, APP_SECRET, KVSCOPE);
	armsim_http_resp d = rp_kv(tok, "POST", "kv-ap", "/keys/k1/wrapkey?api-version=7.4",
				   "{\"alg\":\"RSA-OAEP\",\"value\":\"aGVsbG8\"}");
	rp_kv_error(&d, 403, "Forbidden", "ForbiddenByPolicy",
		    "The user, group or application 'appid=" APP_ID ";oid=" APP_OID
		    ";iss=https://sts.windows.net/" BT "/' does not have keys wrapKey permission on key vault "
		    "'kv-ap;location=eastus'. For help resolving this issue, please see "
		    "https://go.microsoft.com/fwlink/?linkid=2125287");
	armsim_http_free(&d);

	r = check_arm("PUT", KV_AP "/accessPolicies/remove?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID
		      "\",\"permissions\":{\"keys\":[\"get\",\"list\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	assert_null(policy_of(r.json, APP_OID));
	armsim_http_free(&r);
	d = rp_kv(tok, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_kv_error(&d, 403, "Forbidden", "ForbiddenByPolicy", NULL);
	armsim_http_free(&d);
}

static void test_access_policy__replace_and_bad_kind(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", KV_AP "/accessPolicies/replace?api-version=2023-07-01",
				       "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID
				       "\",\"permissions\":{\"keys\":[\"get\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "properties.accessPolicies")), 1);
	assert_non_null(policy_of(r.json, APP_OID));
	armsim_http_free(&r);

	r = check_arm("PUT", KV_AP "/accessPolicies/merge?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[]}}");
	check_error(&r, 400, "BadRequest",
		    "The value 'merge' is not valid for operationKind. Valid values are 'add', 'replace' and 'remove'.");
	armsim_http_free(&r);
	/* the vault's owner put itself back, for the tests after this one */
	r = check_arm("PUT", KV_AP "/accessPolicies/add?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":"
		      "\"cccccccc-0000-4000-8000-0000000000c1\",\"permissions\":{\"keys\":[\"all\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
}

#define OTHER_ID "bbbbbbbb-0000-4000-8000-0000000000b3"
#define OTHER_OID "cccccccc-0000-4000-8000-0000000000c3"

/* Keys as ARM shows them: readable with an ARM role alone (no access
 * policy), versions, and PUT = create if not exists. */
static void test_keys__management_plane(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", BRG "/providers/Microsoft.Authorization/roleAssignments/"
					      "2b000000-0000-4000-8000-000000000001?api-version=2022-04-01",
				       "{\"properties\":{\"roleDefinitionId\":\"acdd72a7-3385-48ef-bd42-f606fba81ae7\","
				       "\"principalId\":\"" OTHER_OID "\"}}");
	rp_status(&r, 201);
	armsim_http_free(&r);
	const char *arm = rp_token(OTHER_ID, "other-secret", "https://management.azure.com/.default");
	r = rp_arm_as(arm, "GET", KV_AP "/keys/k1?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "id"), KV_AP "/keys/k1");
	assert_string_equal(check_str(r.json, "type"), "Microsoft.KeyVault/vaults/keys");
	assert_string_equal(check_str(r.json, "properties.kty"), "RSA");
	assert_true(check_num(r.json, "properties.keySize") == 2048);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.attributes.enabled")));
	assert_string_equal(check_str(r.json, "properties.attributes.recoveryLevel"), "Recoverable");
	char uri[512];
	snprintf(uri, sizeof uri, "%s", check_str(r.json, "properties.keyUriWithVersion"));
	assert_true(strncmp(uri, check_fmt("https://kv-ap.vault.localhost:%d/keys/k1/", g_sim->port), 40) == 0);
	armsim_http_free(&r);
	/* the same principal has no access policy: the data plane refuses */
	armsim_http_resp d = rp_kv(rp_token(OTHER_ID, "other-secret", KVSCOPE), "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_kv_error(&d, 403, "Forbidden", "ForbiddenByPolicy", NULL);
	armsim_http_free(&d);

	r = check_arm("GET", KV_AP "/keys/k1/versions?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	const cJSON *vals = check_get(r.json, "value");
	assert_int_equal(cJSON_GetArraySize(vals), 2);
	const cJSON *last = cJSON_GetArrayItem(vals, 1);
	assert_string_equal(check_str(last, "type"), "Microsoft.KeyVault/vaults/keys/versions");
	assert_string_equal(check_str(last, "properties.keyUriWithVersion"), uri);
	char ver[64];
	snprintf(ver, sizeof ver, "%s", check_str(last, "name"));
	armsim_http_free(&r);
	r = check_arm("GET", check_fmt(KV_AP "/keys/k1/versions/%s?api-version=2023-07-01", ver), NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "name"), ver);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "/keys/nope?api-version=2023-07-01", NULL);
	check_error(&r, 404, "ResourceNotFound",
		    "The Resource 'Microsoft.KeyVault/vaults/kv-ap/keys/nope' under resource group 'rg-kv' was not found. "
		    "For more details please go to https://aka.ms/ARMResourceNotFoundFix");
	armsim_http_free(&r);

	r = check_arm("PUT", KV_AP "/keys/k-arm?api-version=2023-07-01",
		      "{\"properties\":{\"kty\":\"RSA\",\"keySize\":3072,\"keyOps\":[\"wrapKey\",\"unwrapKey\"]}}");
	rp_status(&r, 200);
	assert_true(check_num(r.json, "properties.keySize") == 3072);
	armsim_http_free(&r);
	/* an existing key comes back unchanged */
	r = check_arm("PUT", KV_AP "/keys/k-arm?api-version=2023-07-01", "{\"properties\":{\"kty\":\"RSA\",\"keySize\":2048}}");
	rp_status(&r, 200);
	assert_true(check_num(r.json, "properties.keySize") == 3072);
	armsim_http_free(&r);
	d = rp_kv(rp_token("bbbbbbbb-0000-4000-8000-0000000000b1", "admin-secret", KVSCOPE), "GET", "kv-ap",
		  "/keys/k-arm?api-version=7.4", NULL);
	rp_status(&d, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(d.json, "key.key_ops")), 2);
	armsim_http_free(&d);
	r = check_arm("GET", KV_AP "/keys?api-version=2023-07-01", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
}

/* Property names are read case-insensitively and served in the spec's
 * casing. */
static void test_vault__property_names_any_case(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PATCH", KV_AP "?api-version=2023-07-01",
				       "{\"Properties\":{\"EnabledForDeployment\":true}}");
	rp_status(&r, 200);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(check_get(r.json, "properties"), "enabledForDeployment")));
	armsim_http_free(&r);
	r = check_arm("PUT", KV_AP "/accessPolicies/add?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"TenantId\":\"" BT "\",\"ObjectId\":\"" OTHER_OID "\","
		      "\"Permissions\":{\"Keys\":[\"get\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	const cJSON *p = policy_of(r.json, OTHER_OID);
	assert_non_null(p);
	assert_non_null(check_get(p, "permissions.keys"));
	assert_string_equal(check_str(p, "tenantId"), BT);
	armsim_http_free(&r);
}

#define DELETED "/subscriptions/" BS "/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/"
#define KV_BODY "{\"location\":\"eastus\",\"properties\":{\"tenantId\":\"" BT "\",\"sku\":{\"family\":\"A\",\"name\":\"standard\"}}}"

/* Soft delete: the deleted vault keeps its name and keys until its
 * scheduled purge date; createMode recover brings both back; purge
 * protection refuses a purge; a vault without soft delete just goes. */
static void test_vault__soft_delete_recover_purge(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("DELETE", KV_AP "?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", KV_AP "?api-version=2023-07-01", NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
	r = check_arm("PUT", KV_AP "?api-version=2023-07-01", KV_BODY);
	check_error(&r, 409, "ConflictError",
		    "A vault with the same name already exists in deleted state. You need to either recover or purge "
		    "existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more "
		    "information on soft delete.");
	armsim_http_free(&r);
	r = check_arm("GET", DELETED "kv-ap?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "properties.vaultId"), KV_AP);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.purgeProtectionEnabled")));
	assert_non_null(check_str(r.json, "properties.scheduledPurgeDate"));
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" BS "/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	armsim_http_free(&r);
	r = check_arm("POST", DELETED "kv-ap/purge?api-version=2023-07-01", NULL);
	check_error(&r, 409, "Conflict", NULL);
	armsim_http_free(&r);

	r = check_arm("PUT", KV_AP "?api-version=2023-07-01",
		      "{\"location\":\"eastus\",\"properties\":{\"tenantId\":\"" BT "\",\"sku\":{\"family\":\"A\","
		      "\"name\":\"standard\"},\"createMode\":\"recover\"}}");
	rp_status(&r, 200);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enablePurgeProtection")));
	assert_null(check_get(r.json, "properties.createMode"));
	armsim_http_free(&r);
	const char *tok = rp_token("bbbbbbbb-0000-4000-8000-0000000000b1", "admin-secret", KVSCOPE);
	armsim_http_resp d = rp_kv(tok, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_status(&d, 200);
	armsim_http_free(&d);
	r = check_arm("GET", DELETED "kv-ap?api-version=2023-07-01", NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);

	/* deleted again, the name is free after softDeleteRetentionInDays (90),
	 * also across a state dump and reload */
	r = check_arm("DELETE", KV_AP "?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *txt = cJSON_PrintUnformatted(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", txt));
	free(txt);
	cJSON_Delete(dump);
	r = check_arm("GET", DELETED "kv-ap?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	check_advance(89 * 86400.0);
	r = check_arm("PUT", KV_AP "?api-version=2023-07-01", KV_BODY);
	check_error(&r, 409, "ConflictError", NULL);
	armsim_http_free(&r);
	check_advance(2 * 86400.0);
	r = check_arm("PUT", KV_AP "?api-version=2023-07-01", KV_BODY);
	rp_status(&r, 201);
	armsim_http_free(&r);

	/* no soft delete: gone at once, nothing to recover */
	r = check_arm("DELETE", BRG "/providers/Microsoft.KeyVault/vaults/kv-nosd?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("GET", DELETED "kv-nosd?api-version=2023-07-01", NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
}

static void test_vault__names(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", BRG "/providers/Microsoft.KeyVault/vaults/1kv?api-version=2023-07-01", KV_BODY);
	check_error(&r, 400, "VaultNameNotValid",
		    "The vault name '1kv' is invalid. A vault's name must be between 3-24 alphanumeric characters. The "
		    "name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. "
		    "Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742");
	armsim_http_free(&r);
	static const struct { const char *name; bool ok; const char *reason; } cases[] = {
		{ "kv-free-name", true, NULL }, { "kv-ap", false, "AlreadyExists" },
		{ "kv--double", false, "AccountNameInvalid" }, { "ab", false, "AccountNameInvalid" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = check_arm("POST", "/subscriptions/" BS "/providers/Microsoft.KeyVault/checkNameAvailability?api-version=2023-07-01",
			      check_fmt("{\"name\":\"%s\",\"type\":\"Microsoft.KeyVault/vaults\"}", cases[i].name));
		rp_status(&r, 200);
		assert_int_equal(cJSON_IsTrue(check_get(r.json, "nameAvailable")), cases[i].ok);
		if (cases[i].reason)
			assert_string_equal(check_str(r.json, "reason"), cases[i].reason);
		armsim_http_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest a[] = {
		cmocka_unit_test(test_conformance__get_vault),
		cmocka_unit_test(test_conformance__update_vault),
		cmocka_unit_test(test_conformance__delete_then_create_vault),
	};
	const struct CMUnitTest b[] = {
		cmocka_unit_test(test_conformance__list_vaults),
		cmocka_unit_test(test_conformance__access_policies_add),
	};
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_vault__purge_protection_cannot_be_disabled),
		cmocka_unit_test(test_vault__soft_delete_cannot_be_disabled),
		cmocka_unit_test(test_vault__names_are_global),
		cmocka_unit_test(test_vault__names),
		cmocka_unit_test(test_vault__not_found_and_unknown_version),
		cmocka_unit_test(test_access_policy__add_merges),
		cmocka_unit_test(test_access_policy__remove_revokes),
		cmocka_unit_test(test_access_policy__replace_and_bad_kind),
		cmocka_unit_test(test_keys__management_plane),
		cmocka_unit_test(test_vault__property_names_any_case),
		cmocka_unit_test(test_vault__soft_delete_recover_purge),
	};
	int fails = cmocka_run_group_tests_name("keyvault conformance (sample-resource-group)", a, setup_a, check_stop);
	fails += cmocka_run_group_tests_name("keyvault conformance (sample-group)", b, setup_b, check_stop);
	fails += cmocka_run_group_tests_name("keyvault rules", rules, setup_rules, check_stop);
	return fails;
}
