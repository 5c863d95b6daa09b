/*
 * test_hsm.c - Managed HSM in armsim: the Microsoft.KeyVault/managedHSMs
 * resource (create, read, list, protection rules, delete), the data plane at
 * https://<hsm>.managedhsm.localhost:PORT (its own token audience, keys of
 * types RSA-HSM and oct-HSM, local RBAC role assignments and definitions,
 * AccessDenied), and Log Analytics and Kusto clusters encrypted with an HSM
 * key: refused without the Crypto Service Encryption User role, accepted
 * with it, and revoked when the role assignment is removed.
 */
#include "rp_testutil.h"

#define OWNER_SECRET "owner-secret"
#define OWNER_OID "0b000000-0000-4000-8000-000000000001"
#define CU_ID "0a000000-0000-4000-8000-000000000007"
#define CU_OID "0b000000-0000-4000-8000-000000000007"
#define NR_OID "0b000000-0000-4000-8000-000000000003"
#define ADX_OID "0e000000-0000-4000-8000-000000000001"
#define HSMSCOPE "https://managedhsm.azure.net/.default"
#define KVSCOPE "https://vault.azure.net/.default"
#define ARMSCOPE "https://management.azure.com/.default"
#define HRG "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/managedHSMs"
#define HV "?api-version=2023-07-01"
#define ENC_USER "33413926-3206-4cdd-b39a-83574fe37a17"
#define RD_PREFIX "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/"
#define RA "/providers/Microsoft.Authorization/roleAssignments"
#define HOUR 3600.0

static int setup(void **state)
{
	(void)state;
	return check_start("hsm.yaml", 1);
}

static const char *tok(const char *client, const char *secret)
{
	return rp_token(client, secret, HSMSCOPE);
}

static const char *owner(void)
{
	return tok(OWNER_ID, OWNER_SECRET);
}

/* A request to the data plane of HSM `hsm`. */
static armsim_http_resp hsm(const char *bearer, const char *method, const char *name, const char *path_query,
			    const char *body)
{
	return rp_dataplane(bearer, method, "managedhsm", name, path_query, body);
}

static const char *hsm_uri(const char *name)
{
	return check_fmt("https://%s.managedhsm.localhost:%d/", name, g_sim->port);
}

/* --- the ARM resource ------------------------------------------------------------ */

static void test_arm__create_read_list_delete(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", HRG "/hsm2" HV,
				       "{\"location\":\"eastus\",\"sku\":{\"family\":\"B\",\"name\":\"Standard_B1\"},"
				       "\"properties\":{\"tenantId\":\"" TENANT "\",\"initialAdminObjectIds\":[\"" OWNER_OID "\"],"
				       "\"enableSoftDelete\":true,\"softDeleteRetentionInDays\":90,\"enablePurgeProtection\":true}}");
	rp_status(&r, 202);
	char loc[2048];
	assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
	assert_non_null(strstr(loc, "/managedHSMs/hsm2/operationresults/"));
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Provisioning");
	armsim_http_free(&r);
	r = check_arm("GET", HRG "/hsm2" HV, NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "type"), "Microsoft.KeyVault/managedHSMs");
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	assert_string_equal(check_str(r.json, "properties.hsmUri"), hsm_uri("hsm2"));
	assert_string_equal(check_str(r.json, "properties.tenantId"), TENANT);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enablePurgeProtection")));
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enableSoftDelete")));
	assert_int_equal((int)check_num(r.json, "properties.softDeleteRetentionInDays"), 90);
	assert_string_equal(check_str(r.json, "sku.name"), "Standard_B1");
	armsim_http_free(&r);
	r = check_arm("GET", HRG HV, NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 3);
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" SUB "/providers/Microsoft.KeyVault/managedHSMs" HV, NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 3);
	armsim_http_free(&r);
	/* the initial administrator holds Managed HSM Administrator at "/" */
	r = hsm(owner(), "GET", "hsm2", RA "?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	const cJSON *a = cJSON_GetArrayItem(check_get(r.json, "value"), 0);
	assert_string_equal(check_str(a, "properties.scope"), "/");
	assert_string_equal(check_str(a, "properties.principalId"), OWNER_OID);
	assert_string_equal(check_str(a, "properties.roleDefinitionId"), RD_PREFIX "a290e904-7015-4bba-90c8-60543313cdb4");
	armsim_http_free(&r);
	/* an Administrator manages roles, not keys */
	r = hsm(owner(), "POST", "hsm2", "/keys/x/create?api-version=7.4", "{\"kty\":\"RSA-HSM\"}");
	check_error(&r, 403, "AccessDenied", NULL);
	armsim_http_free(&r);
	r = check_arm("DELETE", HRG "/hsm2" HV, NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);
	r = check_arm("GET", HRG "/hsm2" HV, NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
}

static void test_arm__rules(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", HRG "/hsm3" HV, "{\"location\":\"eastus\",\"properties\":{}}");
	check_error(&r, 400, "BadRequest",
		    "The property \"initialAdminObjectIds\" is required: a managed HSM needs at least one administrator.");
	armsim_http_free(&r);
	r = check_arm("PUT", HRG "/hsm3" HV,
		      "{\"location\":\"eastus\",\"properties\":{\"initialAdminObjectIds\":[\"" OWNER_OID "\"],"
		      "\"enableSoftDelete\":false}}");
	check_error(&r, 400, "BadRequest", NULL);
	armsim_http_free(&r);
	/* purge protection, once on, stays on */
	r = check_arm("PATCH", HRG "/hsm1" HV, "{\"properties\":{\"enablePurgeProtection\":false}}");
	check_error(&r, 400, "BadRequest",
		    "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection "
		    "for a managed HSM is an irreversible action.");
	armsim_http_free(&r);
	r = check_arm("PATCH", HRG "/hsm-nopp" HV, "{\"properties\":{\"enablePurgeProtection\":true}}");
	rp_status(&r, 200);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enablePurgeProtection")));
	armsim_http_free(&r);
	r = check_arm("PATCH", HRG "/hsm-nopp" HV, "{\"properties\":{\"enablePurgeProtection\":false}}");
	rp_status(&r, 400);
	armsim_http_free(&r);
	/* HSM names are global */
	r = check_arm("PUT", "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.KeyVault/managedHSMs/hsm1" HV,
		      "{\"location\":\"eastus\",\"properties\":{\"initialAdminObjectIds\":[\"" OWNER_OID "\"]}}");
	check_error(&r, 409, "Conflict", NULL);
	armsim_http_free(&r);
	r = check_arm("GET", HRG "/nohsm" HV, NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
}

/* --- token audience ------------------------------------------------------------ */

static void test_dataplane__own_audience(void **state)
{
	(void)state;
	char h[512];
	armsim_http_resp r = hsm(NULL, "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.body, "");
	assert_true(armsim_http_header(&r, "WWW-Authenticate", h, sizeof h));
	assert_non_null(strstr(h, "Bearer authorization=\""));
	assert_non_null(strstr(h, "resource=\"https://managedhsm.azure.net\""));
	armsim_http_free(&r);
	/* a Key Vault token and an ARM token are for other resources */
	r = hsm(rp_token(OWNER_ID, OWNER_SECRET, KVSCOPE), "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	check_error(&r, 401, "Unauthorized",
		    "AKV10022: Invalid audience. Expected https://managedhsm.azure.net, found: https://vault.azure.net.");
	assert_true(armsim_http_header(&r, "WWW-Authenticate", h, sizeof h));
	assert_non_null(strstr(h, "resource=\"https://managedhsm.azure.net\""));
	armsim_http_free(&r);
	r = hsm(rp_token(OWNER_ID, OWNER_SECRET, ARMSCOPE), "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	assert_int_equal(r.status, 401);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	/* and a vault refuses the HSM's token */
	r = rp_kv(owner(), "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	assert_int_equal(r.status, 401);
	armsim_http_free(&r);
}

/* --- keys ------------------------------------------------------------------------ */

static void test_dataplane__keys(void **state)
{
	(void)state;
	armsim_http_resp r = hsm(owner(), "POST", "hsm1", "/keys/k3072/create?api-version=7.4",
				 "{\"kty\":\"RSA-HSM\",\"key_size\":3072,\"key_ops\":[\"wrapKey\",\"unwrapKey\"]}");
	rp_status(&r, 200);
	const char *kid = check_str(r.json, "key.kid");
	const char *prefix = check_fmt("%skeys/k3072/", hsm_uri("hsm1"));
	assert_true(strncmp(kid, prefix, strlen(prefix)) == 0);
	assert_string_equal(check_str(r.json, "key.kty"), "RSA-HSM");
	assert_int_equal(strlen(check_str(r.json, "key.n")), 512); /* 3072 bits */
	char v1[64];
	snprintf(v1, sizeof v1, "%s", kid + strlen(prefix));
	armsim_http_free(&r);
	r = hsm(owner(), "POST", "hsm1", "/keys/k3072/rotate?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys/k3072/versions?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
	r = hsm(owner(), "PATCH", "hsm1", check_fmt("/keys/k3072/%s?api-version=7.4", v1),
		"{\"attributes\":{\"enabled\":false}}");
	rp_status(&r, 200);
	assert_false(cJSON_IsTrue(check_get(r.json, "attributes.enabled")));
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", check_fmt("/keys/k3072/%s?api-version=7.4", v1), NULL);
	rp_kv_error(&r, 403, "Forbidden", "KeyDisabled", "Operation get is not allowed on a disabled key.");
	armsim_http_free(&r);
	/* RSA 4096 and a symmetric oct-HSM key (no modulus) */
	r = hsm(owner(), "POST", "hsm1", "/keys/k4096/create?api-version=7.4", "{\"kty\":\"RSA\",\"key_size\":4096}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = hsm(owner(), "POST", "hsm1", "/keys/aes/create?api-version=7.4", "{\"kty\":\"oct-HSM\",\"key_size\":256}");
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "key.kty"), "oct-HSM");
	assert_null(check_get(r.json, "key.n"));
	armsim_http_free(&r);
	r = hsm(owner(), "POST", "hsm1", "/keys/aes2/create?api-version=7.4", "{\"kty\":\"oct-HSM\",\"key_size\":512}");
	rp_kv_error(&r, 400, "BadParameter", NULL, NULL);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys/nokey?api-version=7.4", NULL);
	rp_kv_error(&r, 404, "KeyNotFound", NULL, NULL);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys?api-version=7.4", NULL);
	rp_status(&r, 200);
	if (cJSON_GetArraySize(check_get(r.json, "value")) != 5)
		fail_msg("%s", r.body);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 5);
	armsim_http_free(&r);
	/* no role, no access: AccessDenied naming the data action and scope */
	r = hsm(tok("0a000000-0000-4000-8000-000000000003", "norole-secret"), "GET", "hsm1",
		"/keys/la-key?api-version=7.4", NULL);
	check_error(&r, 403, "AccessDenied", NULL);
	const char *m = check_str(r.json, "error.message");
	assert_true(strncmp(m, "Not authorized to access Microsoft.KeyVault/managedHsm/keys/read/action on "
			       "/keys/la-key (Activity ID: ", 96) == 0);
	armsim_http_free(&r);
}

/* --- local RBAC ------------------------------------------------------------------ */

static void test_rbac__role_assignments(void **state)
{
	(void)state;
	const char *body = "{\"properties\":{\"roleDefinitionId\":\"" RD_PREFIX ENC_USER "\",\"principalId\":\"" NR_OID "\"}}";
	const char *path = "/keys/la-key" RA "/9f1c3e5a-0000-4000-8000-000000000001?api-version=7.4";
	/* a Crypto User cannot assign roles */
	armsim_http_resp r = hsm(tok(CU_ID, "cu-secret"), "PUT", "hsm1", path, body);
	check_error(&r, 403, "AccessDenied", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "Microsoft.KeyVault/managedHsm/roleAssignments/write/action on /keys/la-key"));
	armsim_http_free(&r);
	r = hsm(owner(), "PUT", "hsm1", path, body);
	rp_status(&r, 201);
	assert_string_equal(check_str(r.json, "id"), "/keys/la-key" RA "/9f1c3e5a-0000-4000-8000-000000000001");
	assert_string_equal(check_str(r.json, "type"), "Microsoft.Authorization/roleAssignments");
	assert_string_equal(check_str(r.json, "properties.scope"), "/keys/la-key");
	assert_string_equal(check_str(r.json, "properties.roleDefinitionId"), RD_PREFIX ENC_USER);
	assert_string_equal(check_str(r.json, "properties.principalId"), NR_OID);
	armsim_http_free(&r);
	r = hsm(owner(), "PUT", "hsm1", path, body);
	check_error(&r, 409, "RoleAssignmentExists", NULL);
	armsim_http_free(&r);
	/* the encryption user may now read the key, not another one */
	const char *nr = tok("0a000000-0000-4000-8000-000000000003", "norole-secret");
	r = hsm(nr, "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = hsm(nr, "GET", "hsm1", "/keys/oct-key?api-version=7.4", NULL);
	rp_status(&r, 403);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", path, NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	/* lists: at, above and below the scope; atScope() only at it */
	r = hsm(owner(), "GET", "hsm1", "/keys/la-key" RA "?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 4); /* admin at /, 2 at /keys, this */
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys/la-key" RA "?api-version=7.4&$filter=atScope()", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	armsim_http_free(&r);
	r = hsm(owner(), "PUT", "hsm1", "/keys" RA "/x?api-version=7.4",
		"{\"properties\":{\"roleDefinitionId\":\"" RD_PREFIX "00000000-0000-0000-0000-000000000000\","
		"\"principalId\":\"" NR_OID "\"}}");
	check_error(&r, 400, "RoleDefinitionNotFound", NULL);
	armsim_http_free(&r);
	r = hsm(owner(), "DELETE", "hsm1", path, NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", path, NULL);
	check_error(&r, 404, "RoleAssignmentNotFound", NULL);
	armsim_http_free(&r);
	r = hsm(nr, "GET", "hsm1", "/keys/la-key?api-version=7.4", NULL);
	rp_status(&r, 403);
	armsim_http_free(&r);
}

static void test_rbac__role_definitions(void **state)
{
	(void)state;
	armsim_http_resp r = hsm(owner(), "GET", "hsm1", "/providers/Microsoft.Authorization/roleDefinitions/" ENC_USER
				 "?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "id"), RD_PREFIX ENC_USER);
	assert_string_equal(check_str(r.json, "properties.roleName"), "Managed HSM Crypto Service Encryption User");
	const cJSON *perm = cJSON_GetArrayItem(check_get(r.json, "properties.permissions"), 0);
	const cJSON *da = check_get(perm, "dataActions");
	assert_int_equal(cJSON_GetArraySize(da), 3);
	assert_string_equal(cJSON_GetArrayItem(da, 1)->valuestring, "Microsoft.KeyVault/managedHsm/keys/wrap/action");
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/providers/Microsoft.Authorization/roleDefinitions?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 9);
	armsim_http_free(&r);
}

/* --- clusters on an HSM key ---------------------------------------------------------- */

static const char *access_state(void)
{
	static char buf[64];
	armsim_http_resp r = check_arm("GET", RGP "/clusters/hsmla?api-version=2026-03-01", NULL);
	assert_int_equal(r.status, 200);
	assert_true(armsim_http_header(&r, "x-ms-armsim-key-access", buf, sizeof buf));
	armsim_http_free(&r);
	return buf;
}

static armsim_http_resp la_key(const char *hsm_name, const char *key)
{
	return check_arm("PATCH", RGP "/clusters/hsmla?api-version=2022-10-01",
			 check_fmt("{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"%s\",\"keyName\":\"%s\","
				   "\"keyVersion\":\"\"}}}", hsm_uri(hsm_name), key));
}

/* A cluster on hsm1/la-key, its principal in oid[64]. */
static void la_cluster_on_hsm(char *oid)
{
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/hsmla?api-version=2022-10-01",
				       "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
				       "\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	rp_status(&r, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("GET", RGP "/clusters/hsmla?api-version=2026-03-01", NULL);
	snprintf(oid, 64, "%s", check_str(r.json, "identity.principalId"));
	armsim_http_free(&r);
	/* without the role: the key cannot be validated */
	r = la_key("hsm1", "la-key");
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "Failed to validate key"));
	armsim_http_free(&r);
	r = hsm(owner(), "PUT", "hsm1", "/keys/la-key" RA "/aaaaaaaa-1111-4000-8000-000000000001?api-version=7.4",
		check_fmt("{\"properties\":{\"roleDefinitionId\":\"" RD_PREFIX ENC_USER "\",\"principalId\":\"%s\"}}", oid));
	rp_status(&r, 201);
	armsim_http_free(&r);
	r = la_key("hsm1", "la-key");
	rp_status(&r, 202);
	armsim_http_free(&r);
	check_advance(40 * 60);
	r = check_arm("GET", RGP "/clusters/hsmla?api-version=2022-10-01", NULL);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "la-key");
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
	assert_string_equal(access_state(), "Accessible");
}

static void test_cluster__la_key_in_hsm(void **state)
{
	(void)state;
	char oid[64];
	la_cluster_on_hsm(oid);
	/* an oct-HSM key exists but cannot encrypt a cluster; nor can a key of
	 * an HSM without purge protection */
	armsim_http_resp r = la_key("hsm1", "oct-key");
	check_error(&r, 400, "BadRequest", NULL);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("POST", "/_sim/hsm/role-assignments",
				 check_fmt("{\"managedHsm\":\"hsm-nopp\",\"scope\":\"/\",\"role\":\"Managed HSM Crypto "
					   "Service Encryption User\",\"principalId\":\"%s\"}", oid)));
	r = la_key("hsm-nopp", "k1");
	check_error(&r, 400, "BadRequest",
		    "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. See Key Vault "
		    "documentation");
	armsim_http_free(&r);
}

static void test_cluster__revocation_on_role_removal(void **state)
{
	(void)state;
	char oid[64];
	la_cluster_on_hsm(oid);
	cJSON *j = check_admin("POST", "/_sim/hsm/role-assignments/remove",
			       check_fmt("{\"managedHsm\":\"hsm1\",\"principalId\":\"%s\"}", oid));
	assert_int_equal((int)check_num(j, "removed"), 1);
	cJSON_Delete(j);
	assert_string_equal(access_state(), "Revoking");
	check_advance(HOUR + 60);
	assert_string_equal(access_state(), "Inaccessible");
	/* the role back at /keys (a wider scope) restores access */
	cJSON_Delete(check_admin("POST", "/_sim/hsm/role-assignments",
				 check_fmt("{\"managedHsm\":\"hsm1\",\"scope\":\"/keys\",\"role\":\"" ENC_USER "\","
					   "\"principalId\":\"%s\"}", oid)));
	assert_string_equal(access_state(), "Recovering");
	check_advance(31 * 60);
	assert_string_equal(access_state(), "Accessible");
	/* a disabled key revokes too */
	cJSON_Delete(check_admin("POST", "/_sim/keys/disable", "{\"managedHsm\":\"hsm1\",\"name\":\"la-key\"}"));
	assert_string_equal(access_state(), "Revoking");
}

static void test_cluster__kusto_key_in_hsm(void **state)
{
	(void)state;
	const char *url = "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.Kusto/clusters/adxhsm"
			  "?api-version=2024-04-13";
	const char *body = check_fmt("{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"%s\",\"keyName\":"
				     "\"la-key\"}}}", hsm_uri("hsm1"));
	armsim_http_resp r = check_arm("PATCH", url, body);
	check_error(&r, 400, "BadRequest", NULL);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("POST", "/_sim/hsm/role-assignments",
				 "{\"managedHsm\":\"hsm1\",\"scope\":\"/keys/la-key\",\"role\":\"" ENC_USER "\","
				 "\"principalId\":\"" ADX_OID "\"}"));
	r = check_arm("PATCH", url, body);
	rp_status(&r, 202);
	armsim_http_free(&r);
	check_advance(16 * 60);
	r = check_arm("GET", url, NULL);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "la-key");
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
}

/* --- fixtures and dumps ----------------------------------------------------------------- */

static void test_state__dump_round_trip(void **state)
{
	(void)state;
	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *text = cJSON_PrintUnformatted(dump);
	cJSON_Delete(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", text));
	free(text);
	armsim_http_resp r = hsm(owner(), "GET", "hsm1", RA "?api-version=7.4", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 3); /* admin + 2 crypto users */
	armsim_http_free(&r);
	r = hsm(owner(), "GET", "hsm1", "/keys/oct-key?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test_setup_teardown(test_arm__create_read_list_delete, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_arm__rules, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_dataplane__own_audience, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_dataplane__keys, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_rbac__role_assignments, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_rbac__role_definitions, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_cluster__la_key_in_hsm, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_cluster__revocation_on_role_removal, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_cluster__kusto_key_in_hsm, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_state__dump_round_trip, setup, check_stop),
	};
	return check_run_group("hsm", t, sizeof t / sizeof t[0], NULL, NULL);
}
