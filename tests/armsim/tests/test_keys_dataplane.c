/*
 * test_keys_dataplane.c - the Key Vault keys data plane of armsim on
 * https://<vault>.vault.localhost:PORT: the armspec examples (GetKey 7.6,
 * CreateKey and unwrapKey 2025-07-01) and Key Vault's own answers: 401 with
 * WWW-Authenticate, 403 Forbidden with innererror ForbiddenByPolicy /
 * AccessDenied / ForbiddenByRbac, 404 KeyNotFound, unknown api-versions,
 * disabled keys, rotation, and an RBAC-mode vault that needs a role.
 */
#include "rp_testutil.h"

#define Z "00000000-0000-0000-0000-000000000000"
#define ADMIN_ID "bbbbbbbb-0000-4000-8000-0000000000b1"
#define ADMIN_SECRET "admin-secret"
#define APP_ID "bbbbbbbb-0000-4000-8000-0000000000b2"
#define APP_OID "cccccccc-0000-4000-8000-0000000000c2"
#define OTHER_ID "bbbbbbbb-0000-4000-8000-0000000000b3"
#define OTHER_OID "cccccccc-0000-4000-8000-0000000000c3"
#define BT "aaaaaaaa-0000-4000-8000-0000000000a1"
#define BS "00000000-0000-4000-8000-0000000000s1"
#define KV_RBAC "/subscriptions/" BS "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-rbac"
#define KVSCOPE "https://vault.azure.net/.default"

static int setup_conf(void **state)
{
	(void)state;
	return check_start("conf_kvdp.json", 1);
}

static int setup_rules(void **state)
{
	(void)state;
	return check_start("kv_basic.json", 1);
}

static const char *admin(void)
{
	return rp_token(ADMIN_ID, ADMIN_SECRET, KVSCOPE);
}

/* --- conformance ------------------------------------------------------------- */

static void test_conformance__get_key(void **state)
{
	(void)state;
	cJSON *ex = rp_example("KeyVault.data-plane.Keys/7.6/GetKey-example.json");
	const cJSON *want = rp_at(ex, "responses.200.body");
	/* the state the example presumes: the version carries these tags */
	char *tags = cJSON_PrintUnformatted(rp_at(want, "tags"));
	armsim_http_resp r = rp_kv(admin(), "PATCH", "myvault",
				   "/keys/CreateSoftKeyTest/78deebed173b48e48f55abf87ed4cf71?api-version=7.6",
				   check_fmt("{\"tags\":%s}", tags));
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "myvault", "/keys/CreateSoftKeyTest/78deebed173b48e48f55abf87ed4cf71?api-version=7.6",
		  NULL);
	rp_status(&r, 200);
	rp_match(want, r.json, (const char *const[]){ "key.n", "attributes.created", "attributes.updated", NULL });
	armsim_http_free(&r);
	free(tags);
	cJSON_Delete(ex);
}

static void test_conformance__create_key(void **state)
{
	(void)state;
	cJSON *ex = rp_example("KeyVault.data-plane.Keys/2025-07-01/CreateKey-example.json");
	char *body = rp_body(ex, "parameters");
	armsim_http_resp r = rp_kv(admin(), "POST", "myvault", "/keys/CreateSoftKeyTest/create?api-version=2025-07-01",
				   body);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json,
		 (const char *const[]){ "key.kid", "key.n", "attributes.created", "attributes.updated", NULL });
	/* kid: the key's URI plus a fresh 32-hex version */
	const char *kid = check_str(r.json, "key.kid");
	const char *prefix = check_fmt("https://myvault.vault.localhost:%d/keys/CreateSoftKeyTest/", g_sim->port);
	assert_true(strncmp(kid, prefix, strlen(prefix)) == 0);
	assert_int_equal(strlen(kid + strlen(prefix)), 32);
	assert_string_not_equal(kid + strlen(prefix), "78deebed173b48e48f55abf87ed4cf71");
	/* a 2048-bit modulus */
	size_t nlen = strlen(check_str(r.json, "key.n"));
	assert_int_equal(nlen, 342);
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

/* The example's ciphertext is specific to the service's key; the state it
 * presumes is "this value was wrapped with this key version", which is
 * replayed by wrapping the example's plaintext first. */
static void test_conformance__unwrap_key(void **state)
{
	(void)state;
	cJSON *ex = rp_example("KeyVault.data-plane.Keys/2025-07-01/unwrapKey-example.json");
	const cJSON *want = rp_at(ex, "responses.200.body");
	const char *plain = check_str(want, "value");
	const char *path = "/keys/sdktestkey/0698c2156c1a4e1da5b6bab6f6422fd6";
	armsim_http_resp w = rp_kv(admin(), "POST", "myvault", check_fmt("%s/wrapkey?api-version=2025-07-01", path),
				   check_fmt("{\"alg\":\"RSA1_5\",\"value\":\"%s\"}", plain));
	rp_status(&w, 200);
	armsim_http_resp r = rp_kv(admin(), "POST", "myvault", check_fmt("%s/unwrapkey?api-version=2025-07-01", path),
				   check_fmt("{\"alg\":\"RSA1_5\",\"value\":\"%s\"}", check_str(w.json, "value")));
	rp_status(&r, 200);
	rp_match(want, r.json, NULL);
	armsim_http_free(&r);
	armsim_http_free(&w);
	cJSON_Delete(ex);
}

/* --- rules -------------------------------------------------------------------- */

static void test_dataplane__401_with_challenge(void **state)
{
	(void)state;
	char h[512];
	armsim_http_resp r = rp_kv(NULL, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	check_error(&r, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
	assert_true(armsim_http_header(&r, "WWW-Authenticate", h, sizeof h));
	assert_non_null(strstr(h, "Bearer authorization=\""));
	assert_non_null(strstr(h, "resource=\"https://vault.azure.net\""));
	armsim_http_free(&r);
	/* an ARM token is for the wrong audience */
	const char *arm = rp_token(ADMIN_ID, ADMIN_SECRET, "https://management.azure.com/.default");
	r = rp_kv(arm, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	check_error(&r, 401, "Unauthorized",
		    "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com.");
	armsim_http_free(&r);
}

static void test_dataplane__403_access_policy(void **state)
{
	(void)state;
	const char *tok = rp_token(OTHER_ID, "other-secret", KVSCOPE);
	const char *msg = "The user, group or application 'appid=" OTHER_ID ";oid=" OTHER_OID
			  ";iss=https://sts.windows.net/" BT "/' does not have keys get permission on key vault "
			  "'kv-ap;location=eastus'. For help resolving this issue, please see "
			  "https://go.microsoft.com/fwlink/?linkid=2125287";
	armsim_http_resp r = rp_kv(tok, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_kv_error(&r, 403, "Forbidden", "ForbiddenByPolicy", msg);
	armsim_http_free(&r);
	/* older api-versions call it AccessDenied */
	r = rp_kv(tok, "GET", "kv-ap", "/keys/k1?api-version=7.1", NULL);
	rp_kv_error(&r, 403, "Forbidden", "AccessDenied", msg);
	armsim_http_free(&r);
}

static void test_dataplane__403_rbac_then_role_grants(void **state)
{
	(void)state;
	const char *tok = rp_token(APP_ID, "app-secret", KVSCOPE);
	armsim_http_resp r = rp_kv(tok, "GET", "kv-rbac", "/keys/k1?api-version=7.4", NULL);
	rp_kv_error(&r, 403, "Forbidden", "ForbiddenByRbac",
		    "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments "
		    "or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=" APP_ID
		    ";oid=" APP_OID ";iss=https://sts.windows.net/" BT "/\r\nAction: 'Microsoft.KeyVault/vaults/keys/read'"
		    "\r\nResource: '/subscriptions/" BS "/resourcegroups/rg-kv/providers/microsoft.keyvault/vaults/kv-rbac/keys/k1'"
		    "\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' "
		    "\r\nVault: kv-rbac;location=eastus\r\n");
	armsim_http_free(&r);

	/* Key Vault Crypto Service Encryption User on the vault: read, wrap,
	 * unwrap, nothing else */
	r = check_arm("PUT", KV_RBAC "/providers/Microsoft.Authorization/roleAssignments/"
			     "4f1c2d3e-0000-4000-8000-000000000001?api-version=2022-04-01",
		      "{\"properties\":{\"roleDefinitionId\":\"/subscriptions/" BS "/providers/Microsoft.Authorization/"
		      "roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6\",\"principalId\":\"" APP_OID "\"}}");
	rp_status(&r, 201);
	armsim_http_free(&r);
	r = rp_kv(tok, "GET", "kv-rbac", "/keys/k1?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_kv(tok, "POST", "kv-rbac", "/keys/k1/wrapkey?api-version=7.4", "{\"alg\":\"RSA-OAEP\",\"value\":\"aGVsbG8\"}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_kv(tok, "POST", "kv-rbac", "/keys/k2/create?api-version=7.4", "{\"kty\":\"RSA\"}");
	rp_kv_error(&r, 403, "Forbidden", "ForbiddenByRbac", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "Action: 'Microsoft.KeyVault/vaults/keys/create/action'"));
	armsim_http_free(&r);
	/* access policies do not count in RBAC mode */
	r = check_arm("PUT", KV_RBAC "/accessPolicies/add?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" BT "\",\"objectId\":\"" APP_OID
		      "\",\"permissions\":{\"keys\":[\"all\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_kv(tok, "POST", "kv-rbac", "/keys/k2/create?api-version=7.4", "{\"kty\":\"RSA\"}");
	rp_kv_error(&r, 403, "Forbidden", "ForbiddenByRbac", NULL);
	armsim_http_free(&r);
}

static void test_dataplane__404_and_versions(void **state)
{
	(void)state;
	armsim_http_resp r = rp_kv(admin(), "GET", "kv-ap", "/keys/nope?api-version=7.4", NULL);
	check_error(&r, 404, "KeyNotFound",
		    "A key with (name/id) nope was not found in this key vault. If you recently deleted this key you "
		    "may be able to recover it using the correct recovery command. For help resolving this issue, "
		    "please see https://go.microsoft.com/fwlink/?linkid=2125182");
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1/00000000000000000000000000000000?api-version=7.4", NULL);
	check_error(&r, 404, "KeyNotFound", NULL);
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1?api-version=7.9", NULL);
	check_error(&r, 400, "BadParameter",
		    "The specified version (7.9) is not recognized. Consider using the latest supported version (2025-07-01).");
	armsim_http_free(&r);
	static const char *const ok[] = { "2016-10-01", "7.0", "7.2", "7.3", "7.5", "7.6", "2025-07-01" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		r = rp_kv(admin(), "GET", "kv-ap", check_fmt("/keys/k1?api-version=%s", ok[i]), NULL);
		rp_status(&r, 200);
		armsim_http_free(&r);
	}
}

static cJSON *dump_key(const char *vault, const char *key)
{
	cJSON *st = check_admin("GET", "/_sim/state", NULL);
	const cJSON *res;
	cJSON *found = NULL;
	cJSON_ArrayForEach(res, check_get(st, "resources")) {
		const char *id = check_str(res, "id");
		if (id && strstr(id, check_fmt("/vaults/%s/keys/%s", vault, key)) &&
		    !strcmp(check_str(res, "type"), "Microsoft.KeyVault/vaults/keys"))
			found = cJSON_Duplicate(res, 1);
	}
	cJSON_Delete(st);
	if (!found)
		fail_msg("state has no key %s/%s", vault, key);
	return found;
}

/* Disabling a key refuses get and wrap (innererror KeyDisabled), keeps it
 * listed as disabled, and is what the ARM key resource (the state the Log
 * Analytics and Kusto rules read) shows; enabling restores it. */
static void test_dataplane__disable_and_enable(void **state)
{
	(void)state;
	armsim_http_resp r = rp_kv(admin(), "PATCH", "kv-ap", "/keys/k1?api-version=7.4",
				   "{\"attributes\":{\"enabled\":false}}");
	rp_status(&r, 200);
	assert_false(cJSON_IsTrue(check_get(r.json, "attributes.enabled")));
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_kv_error(&r, 403, "Forbidden", "KeyDisabled", "Operation get is not allowed on a disabled key.");
	armsim_http_free(&r);
	r = rp_kv(admin(), "POST", "kv-ap", "/keys/k1/wrapkey?api-version=7.4", "{\"alg\":\"RSA-OAEP\",\"value\":\"aGVsbG8\"}");
	rp_kv_error(&r, 403, "Forbidden", "KeyDisabled", "Operation wrapKey is not allowed on a disabled key.");
	armsim_http_free(&r);
	cJSON *k = dump_key("kv-ap", "k1");
	assert_false(cJSON_IsTrue(check_get(k, "properties.attributes.enabled")));
	cJSON_Delete(k);
	/* the versions list still shows it, disabled */
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1/versions?api-version=7.4", NULL);
	rp_status(&r, 200);
	const cJSON *v = cJSON_GetArrayItem(check_get(r.json, "value"), 1);
	assert_false(cJSON_IsTrue(check_get(v, "attributes.enabled")));
	armsim_http_free(&r);

	r = rp_kv(admin(), "PATCH", "kv-ap", "/keys/k1?api-version=7.4", "{\"attributes\":{\"enabled\":true}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	k = dump_key("kv-ap", "k1");
	assert_true(cJSON_IsTrue(check_get(k, "properties.attributes.enabled")));
	cJSON_Delete(k);
}

/* rotate (and create on an existing key) add a current version: the
 * versionless kid and the ARM key resource follow it. */
static void test_dataplane__rotate_and_create_add_versions(void **state)
{
	(void)state;
	armsim_http_resp r = rp_kv(admin(), "POST", "kv-ap", "/keys/k1/rotate?api-version=7.4", NULL);
	rp_status(&r, 200);
	char kid[512];
	snprintf(kid, sizeof kid, "%s", check_str(r.json, "key.kid"));
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	assert_string_equal(check_str(r.json, "key.kid"), kid);
	armsim_http_free(&r);
	cJSON *k = dump_key("kv-ap", "k1");
	assert_true(strstr(kid, check_str(k, "properties.keyUriWithVersion") + strlen("https://kv-ap.vault.localhost:")) != NULL);
	cJSON_Delete(k);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1/versions?api-version=7.4", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 3);
	armsim_http_free(&r);
	r = rp_kv(admin(), "POST", "kv-ap", "/keys/k1/create?api-version=7.4", "{\"kty\":\"RSA\",\"key_size\":3072}");
	rp_status(&r, 200);
	assert_int_equal(strlen(check_str(r.json, "key.n")), 512); /* 384 bytes */
	armsim_http_free(&r);
	r = rp_kv(admin(), "GET", "kv-ap", "/keys/k1/versions?api-version=7.4&maxresults=2", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	const char *next = check_str(r.json, "nextLink");
	assert_non_null(next);
	armsim_http_resp n;
	assert_int_equal(armsim_http(&n, g_sim, "GET", next, admin(), NULL, NULL), 0);
	rp_status(&n, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(n.json, "value")), 2);
	armsim_http_free(&n);
	armsim_http_free(&r);
	/* the rotate permission is its own */
	const char *app = rp_token(APP_ID, "app-secret", KVSCOPE);
	r = rp_kv(app, "POST", "kv-ap", "/keys/k1/rotate?api-version=7.4", NULL);
	rp_kv_error(&r, 403, "Forbidden", "ForbiddenByPolicy", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "does not have keys rotate permission"));
	armsim_http_free(&r);
}

static void test_dataplane__wrap_unwrap_roundtrip(void **state)
{
	(void)state;
	const char *app = rp_token(APP_ID, "app-secret", KVSCOPE);
	armsim_http_resp w = rp_kv(app, "POST", "kv-ap", "/keys/k1/wrapkey?api-version=7.4",
				   "{\"alg\":\"RSA-OAEP-256\",\"value\":\"c2VjcmV0LWRhdGEta2V5\"}");
	rp_status(&w, 200);
	/* one block of the key's modulus size */
	armsim_http_resp k = rp_kv(app, "GET", "kv-ap", "/keys/k1?api-version=7.4", NULL);
	assert_int_equal(strlen(check_str(w.json, "value")), strlen(check_str(k.json, "key.n")));
	armsim_http_free(&k);
	const char *kid = check_str(w.json, "kid");
	const char *ver = strrchr(kid, '/') + 1;
	armsim_http_resp u = rp_kv(app, "POST", "kv-ap", check_fmt("/keys/k1/%s/unwrapkey?api-version=7.4", ver),
				   check_fmt("{\"alg\":\"RSA-OAEP-256\",\"value\":\"%s\"}", check_str(w.json, "value")));
	rp_status(&u, 200);
	assert_string_equal(check_str(u.json, "value"), "c2VjcmV0LWRhdGEta2V5");
	armsim_http_free(&u);
	/* another key cannot unwrap it */
	u = rp_kv(admin(), "POST", "kv-nosd", "/keys/k1/unwrapkey?api-version=7.4",
		  check_fmt("{\"alg\":\"RSA-OAEP-256\",\"value\":\"%s\"}", check_str(w.json, "value")));
	check_error(&u, 400, "BadParameter", NULL);
	armsim_http_free(&u);
	armsim_http_free(&w);
}

/* --- revocation reaches Log Analytics ------------------------------------------- */

#define LA_SUB "00000000-0000-4000-8000-00000000aaaa"
#define LA_T "11111111-1111-4111-8111-111111111111"
#define LA_CL "/subscriptions/" LA_SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/clusters/revoke1?api-version=2021-06-01"
#define LA_KV "/subscriptions/" LA_SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-cmk-eus"
#define LA_UAI "/subscriptions/" LA_SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-granted"

static int setup_la(void **state)
{
	(void)state;
	return check_start("la.yaml", 1);
}

static const char *key_access(void)
{
	static char h[64];
	armsim_http_resp r = check_arm("GET", LA_CL, NULL);
	rp_status(&r, 200);
	if (!armsim_http_header(&r, "x-ms-armsim-key-access", h, sizeof h))
		fail_msg("no x-ms-armsim-key-access header");
	armsim_http_free(&r);
	return h;
}

/* A key disabled through the data plane, or access removed through
 * accessPolicies/remove, is what the Log Analytics revocation rule sees:
 * Revoking at once, Inaccessible after the revocation delay (1 h), and back
 * through Recovering (30 min) when access returns. */
static void test_revocation__dataplane_disable_and_policy_removal(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", LA_CL,
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" LA_UAI "\":{}}},"
		"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000},"
		"\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"https://kv-cmk-eus.vault.azure.net\",\"keyName\":\"la-key\",\"keyVersion\":\"\"}}}");
	rp_status(&r, 202);
	armsim_http_free(&r);
	check_advance(2 * 3600 + 60);
	assert_string_equal(key_access(), "Accessible");

	/* the owner gives itself key management on the vault (management plane) */
	r = check_arm("PUT", LA_KV "/accessPolicies/add?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" LA_T "\",\"objectId\":"
		      "\"0b000000-0000-4000-8000-000000000001\",\"permissions\":{\"keys\":[\"get\",\"update\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	const char *tok = rp_token("0a000000-0000-4000-8000-000000000001", "owner-secret", KVSCOPE);
	r = rp_kv(tok, "PATCH", "kv-cmk-eus", "/keys/la-key?api-version=7.4", "{\"attributes\":{\"enabled\":false}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	/* no request in between: the change counts from the moment it was made */
	check_advance(3600 + 60);
	assert_string_equal(key_access(), "Inaccessible");
	r = rp_kv(tok, "PATCH", "kv-cmk-eus", "/keys/la-key?api-version=7.4", "{\"attributes\":{\"enabled\":true}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	assert_string_equal(key_access(), "Recovering");
	check_advance(1800 + 60);
	assert_string_equal(key_access(), "Accessible");

	r = check_arm("PUT", LA_KV "/accessPolicies/remove?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" LA_T "\",\"objectId\":"
		      "\"0c000000-0000-4000-8000-000000000001\",\"permissions\":{\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	check_advance(3600 + 60);
	assert_string_equal(key_access(), "Inaccessible");
}

int main(void)
{
	const struct CMUnitTest conf[] = {
		cmocka_unit_test(test_conformance__get_key),
		cmocka_unit_test(test_conformance__create_key),
		cmocka_unit_test(test_conformance__unwrap_key),
	};
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_dataplane__401_with_challenge),
		cmocka_unit_test(test_dataplane__403_access_policy),
		cmocka_unit_test(test_dataplane__403_rbac_then_role_grants),
		cmocka_unit_test(test_dataplane__404_and_versions),
		cmocka_unit_test(test_dataplane__disable_and_enable),
		cmocka_unit_test(test_dataplane__rotate_and_create_add_versions),
		cmocka_unit_test(test_dataplane__wrap_unwrap_roundtrip),
	};
	const struct CMUnitTest la[] = {
		cmocka_unit_test(test_revocation__dataplane_disable_and_policy_removal),
	};
	int fails = cmocka_run_group_tests_name("keys data plane conformance", conf, setup_conf, check_stop);
	fails += cmocka_run_group_tests_name("keys data plane rules", rules, setup_rules, check_stop);
	fails += cmocka_run_group_tests_name("revocation seen by Log Analytics", la, setup_la, check_stop);
	return fails;
}
