/*
 * test_la_clusters.c - one test per documented Log Analytics cluster rule
 * (seeds 000/001/003, armspec 2026-03-01), each asserting the exact status,
 * ARM error code and documented message, over HTTPS against armsim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The documented messages, written out here on purpose (not shared with
 * armsim's source): a typo on either side fails the test. */
#define M_NAME "Cluster name is not valid. Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63."
#define M_BODY "The body of the request is null or in bad format."
#define M_SKU_NAME "SKU name is invalid. Set SKU name to capacityReservation."
#define M_SKU_NOT_CR "Capacity was provided but SKU is not capacityReservation. Set SKU name to capacityReservation."
#define M_SKU_NO_CAP "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB)."
#define M_SKU_RANGE "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity which is available under \u2018Usage and estimated cost\u2019 in your workspace."
#define M_CAP_LOCK "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update."
#define M_NO_SKU "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 1000 or higher in steps of 100 (GB)."
#define M_IDENTITY "Identity is null or empty. Set Identity with systemAssigned type."
#define M_KVP_CREATE "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation."
#define M_OP_CREATE "Operation cannot be executed now. Async operation is in a state other than succeeded. Cluster must complete its operation before any update operation is performed."
#define M_DELETING_PUT "Cluster is in deleting state. Async operation is in progress . Cluster must complete its operation before any update operation is performed."
#define M_KVP_FORMAT "KeyVaultProperties is not empty but has a bad format. See key identifier update."
#define M_KEY_VALIDATE "Failed to validate key in Key Vault. Could be due to lack of permissions or when key doesn\u2019t exist. Verify that you set key and access policy in Key Vault."
#define M_KEY_RECOVER "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. See Key Vault documentation"
#define M_OP_UPDATE "Operation cannot be executed now. Wait for the Async operation to complete and try again."
#define M_DELETING_UPDATE "Cluster is in deleting state. Wait for the Async operation to complete and try again."
#define M_CLUSTER_404 "Cluster not found, the cluster may have been deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it, or use another name to create a new cluster."
#define M_DELETE_409 "Can't delete a cluster while in provisioning state. Wait for the Async operation to complete and try again."
#define M_DOUBLE_ENC "Double encryption setting can not be changed after the cluster has been created."

#define V_OLD "2021-06-01"
#define V_NEW "2026-03-01"
#define SA_BODY "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}"
#define HOUR 3600.0
#define DAY 86400.0

static const char *cl(const char *name, const char *v)
{
	return check_fmt(RGP "/clusters/%s?api-version=%s", name, v);
}

static void expect_put_error(const char *name, const char *v, const char *body, long status, const char *code,
			     const char *msg)
{
	armsim_http_resp r = check_arm("PUT", cl(name, v), body);
	check_error(&r, status, code, msg);
	armsim_http_free(&r);
}

static const char *state_of(const char *name)
{
	static char buf[64];
	armsim_http_resp r = check_arm("GET", cl(name, V_NEW), NULL);
	assert_int_equal(r.status, 200);
	snprintf(buf, sizeof buf, "%s", check_str(r.json, "properties.provisioningState"));
	armsim_http_free(&r);
	return buf;
}

/* Create with a system-assigned identity and wait until Succeeded; returns
 * the cluster's principal id (static buffer). */
static const char *create_ready(const char *name)
{
	static char pid[64];
	armsim_http_resp r = check_arm("PUT", cl(name, V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("GET", cl(name, V_NEW), NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	snprintf(pid, sizeof pid, "%s", check_str(r.json, "identity.principalId"));
	armsim_http_free(&r);
	return pid;
}

static void grant(const char *vault, const char *oid, const char *perms)
{
	cJSON *j = check_admin("POST", "/_sim/access-policies/add",
			       check_fmt("{\"vault\":\"%s\",\"objectId\":\"%s\",\"keys\":%s}", vault, oid, perms));
	cJSON_Delete(j);
}

static const char *key_body(const char *uri, const char *key, const char *ver)
{
	return check_fmt("{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"%s\",\"keyName\":\"%s\",\"keyVersion\":\"%s\"}}}",
			 uri, key, ver);
}

static int setup(void **state)
{
	(void)state;
	if (check_start("la.yaml", 1) < 0)
		return -1;
	/* most tests create clusters: lift the per-region limit except where tested */
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxClustersPerRegion\":1000}"));
	return 0;
}

/* ---- create validation --------------------------------------------------------- */

static void test_cluster__name_invalid(void **state)
{
	(void)state;
	expect_put_error("ab", V_OLD, SA_BODY, 400, "BadRequest", M_NAME);
	expect_put_error("bad_name", V_OLD, SA_BODY, 400, "BadRequest", M_NAME);
	expect_put_error("a234567890123456789012345678901234567890123456789012345678901234", V_OLD, SA_BODY, 400,
			 "BadRequest", M_NAME);
}

static void test_cluster__body_null_or_bad(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("nobody", V_OLD), NULL);
	check_error(&r, 400, "BadRequest", M_BODY);
	armsim_http_free(&r);
	expect_put_error("badjson", V_OLD, "{not json", 400, "BadRequest", M_BODY);
}

static void test_cluster__no_sku(void **state)
{
	(void)state;
	expect_put_error("nosku", V_OLD, "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"}}", 400,
			 "BadRequest", M_NO_SKU);
}

static void test_cluster__sku_name_invalid(void **state)
{
	(void)state;
	expect_put_error("badskuname", V_OLD,
			 "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"PerGB2018\"}}",
			 400, "BadRequest", M_SKU_NAME);
}

static void test_cluster__capacity_without_capacity_reservation(void **state)
{
	(void)state;
	expect_put_error("capnotcr", V_OLD,
			 "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"PerGB2018\",\"capacity\":1000}}",
			 400, "BadRequest", M_SKU_NOT_CR);
}

static void test_cluster__missing_capacity(void **state)
{
	(void)state;
	expect_put_error("nocap", V_OLD,
			 "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\"}}",
			 400, "BadRequest", M_SKU_NO_CAP);
}

static void test_cluster__capacity_not_in_range(void **state)
{
	(void)state;
	static const int bad[] = { 0, 50, 150, 700, 950, 1050, 60000 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_put_error("badcap", V_OLD,
				 check_fmt("{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
					   "\"sku\":{\"name\":\"capacityReservation\",\"capacity\":%d}}", bad[i]),
				 400, "BadRequest", M_SKU_RANGE);
}

static void test_cluster__capacity_tiers_accepted(void **state)
{
	(void)state;
	/* 100..500 (2026 example creates with 100) and >= 1000 in steps of 100 */
	static const int good[] = { 100, 500, 1000, 1100, 3000, 5000 };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "tier%d", good[i]);
		armsim_http_resp r = check_arm("PUT", cl(name, V_NEW),
			check_fmt("{\"location\":\"eastus\",\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":%d}}", good[i]));
		assert_int_equal(r.status, 202);
		armsim_http_free(&r);
	}
	check_advance(2 * HOUR + 60);
}

static void test_cluster__identity_required_before_2022(void **state)
{
	(void)state;
	expect_put_error("noident", V_OLD, "{\"location\":\"eastus\",\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}",
			 400, "BadRequest", M_IDENTITY);
	expect_put_error("noident", "2020-08-01",
			 "{\"location\":\"eastus\",\"identity\":{},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}",
			 400, "BadRequest", M_IDENTITY);
}

static void test_cluster__identity_defaults_system_assigned_2026(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("noident26", V_NEW),
				       "{\"location\":\"eastus\",\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":100}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	r = check_arm("GET", cl("noident26", V_NEW), NULL);
	assert_string_equal(check_str(r.json, "identity.type"), "SystemAssigned");
	assert_non_null(check_str(r.json, "identity.principalId"));
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
}

static void test_cluster__kvp_on_create_with_system_assigned(void **state)
{
	(void)state;
	expect_put_error("kvpsa", V_OLD,
			 "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
			 "\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000},"
			 "\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"la-key\",\"keyVersion\":\"\"}}}",
			 400, "BadRequest", M_KVP_CREATE);
}

static void test_cluster__kvp_on_create_with_granted_user_assigned(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("kvpuai", V_OLD),
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UAI_GRANTED "\":{}}},"
		"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000},"
		"\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"la-key\",\"keyVersion\":\"\"}}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("GET", cl("kvpuai", V_NEW), NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "la-key");
	assert_string_equal(check_str(r.json, "identity.type"), "UserAssigned");
	armsim_http_free(&r);
}

static void test_cluster__kvp_on_create_with_user_assigned_without_access(void **state)
{
	(void)state;
	expect_put_error("kvpnogrant", V_OLD,
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UAI_NOGRANT "\":{}}},"
		"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000},"
		"\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"la-key\",\"keyVersion\":\"\"}}}",
		400, "BadRequest", M_KEY_VALIDATE);
}

/* ---- async behaviour ------------------------------------------------------------ */

static void test_cluster__create_is_async_with_documented_statuses(void **state)
{
	(void)state;
	char aso[4096], loc[4096], ra[32];
	armsim_http_resp r = check_arm("PUT", cl("lifecycle", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
	assert_true(armsim_http_header(&r, "Retry-After", ra, sizeof ra));
	assert_string_equal(ra, "20");
	/* real traffic: lower-case operationstatuses path, an older api-version */
	assert_non_null(strstr(aso, "/providers/Microsoft.OperationalInsights/locations/eastus/operationstatuses/"));
	assert_non_null(strstr(aso, "api-version=2015-11-01-preview"));
	assert_non_null(strstr(loc, "/clusters/lifecycle/operationresults/"));
	armsim_http_free(&r);

	assert_string_equal(state_of("lifecycle"), "Creating");
	r = check_arm("GET", aso, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "status"), "InProgress");
	assert_non_null(check_str(r.json, "startTime"));
	assert_null(check_get(r.json, "endTime"));
	armsim_http_free(&r);
	r = check_arm("GET", loc, NULL);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);

	check_advance(HOUR + 60);
	assert_string_equal(state_of("lifecycle"), "ProvisioningAccount");
	check_advance(HOUR);
	assert_string_equal(state_of("lifecycle"), "Succeeded");
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Succeeded");
	assert_non_null(check_str(r.json, "endTime"));
	armsim_http_free(&r);
	r = check_arm("GET", loc, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "name"), "lifecycle");
	armsim_http_free(&r);
}

static void test_cluster__long_signed_operation_urls(void **state)
{
	(void)state;
	static char aso[8192], loc[8192], loc2[8192];
	char ra[16];
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"signedOperationUrls\":1}"));
	armsim_http_resp r = check_arm("PUT", cl("signedurl", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
	armsim_http_free(&r);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"signedOperationUrls\":0}"));
	assert_true(strlen(aso) > 3000);
	assert_non_null(strstr(aso, "&t="));
	assert_non_null(strstr(aso, "&c="));
	assert_non_null(strstr(aso, "&s="));
	assert_non_null(strstr(aso, "&h="));
	r = check_arm("GET", aso, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "status"), "InProgress");
	assert_true(armsim_http_header(&r, "Retry-After", ra, sizeof ra));
	armsim_http_free(&r);
	r = check_arm("GET", loc, NULL);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Location", loc2, sizeof loc2));
	assert_string_equal(loc2, loc);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("GET", loc, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

static void test_cluster__write_while_operation_runs(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("busy", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("DELETE", "/_sim/hazards", NULL));
	expect_put_error("busy", V_OLD, SA_BODY, 400, "BadRequest", M_OP_CREATE);
	r = check_arm("PATCH", cl("busy", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1100}}");
	check_error(&r, 400, "BadRequest", M_OP_UPDATE);
	armsim_http_free(&r);
	cJSON *h = check_admin("GET", "/_sim/hazards", NULL);
	assert_int_equal((int)check_num(h, "byKind.write_while_operation_running"), 2);
	assert_int_equal((int)check_num(h, "byKind.duplicate_create"), 1);
	cJSON_Delete(h);
	check_advance(2 * HOUR + 60);
}

static void test_cluster__canceled_operation(void **state)
{
	(void)state;
	char aso[4096];
	armsim_http_resp r = check_arm("PUT", cl("cancelme", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	const char *id = strrchr(aso, '/') + 1;
	char opid[64];
	snprintf(opid, sizeof opid, "%.*s", (int)strcspn(id, "?"), id);
	cJSON_Delete(check_admin("POST", "/_sim/operations/cancel", check_fmt("{\"id\":\"%s\"}", opid)));
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Canceled");
	assert_string_equal(check_str(r.json, "error.code"), "OperationCanceled");
	armsim_http_free(&r);
	assert_string_equal(state_of("cancelme"), "Canceled");
	/* a terminal state: the cluster can be deleted */
	r = check_arm("DELETE", cl("cancelme", V_OLD), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

static void test_cluster__patch_tags_is_synchronous(void **state)
{
	(void)state;
	create_ready("tagsync");
	armsim_http_resp r = check_arm("PATCH", cl("tagsync", V_OLD), "{\"tags\":{\"team\":\"obs\"}}");
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "tags.team"), "obs");
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
}

/* ---- updates ---------------------------------------------------------------------- */

static void test_cluster__capacity_decrease_locked_30_days(void **state)
{
	(void)state;
	create_ready("caplock");
	armsim_http_resp r = check_arm("PATCH", cl("caplock", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"capacity\":500}}");
	check_error(&r, 400, "BadRequest", M_CAP_LOCK);
	armsim_http_free(&r);
	/* an increase is allowed at any time (and restarts the lock); seed 001
	 * writes "Capacity": property names are case-insensitive */
	r = check_arm("PATCH", cl("caplock", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"Capacity\":1200}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(HOUR);
	r = check_arm("GET", cl("caplock", V_NEW), NULL);
	assert_int_equal((int)check_num(r.json, "sku.capacity"), 1200);
	armsim_http_free(&r);
	check_advance(29 * DAY);
	r = check_arm("PATCH", cl("caplock", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	check_error(&r, 400, "BadRequest", M_CAP_LOCK);
	armsim_http_free(&r);
	check_advance(DAY + 60);
	r = check_arm("PATCH", cl("caplock", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(HOUR);
}

static void test_cluster__key_update_without_access_policy(void **state)
{
	(void)state;
	create_ready("nokeyaccess");
	armsim_http_resp r = check_arm("PATCH", cl("nokeyaccess", V_OLD), key_body(KV_URI, "la-key", ""));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
}

static void test_cluster__key_update_needs_get_wrap_unwrap(void **state)
{
	(void)state;
	const char *pid = create_ready("partialaccess");
	char oid[64];
	snprintf(oid, sizeof oid, "%s", pid);
	grant("kv-cmk-eus", oid, "[\"get\",\"wrapKey\"]");
	armsim_http_resp r = check_arm("PATCH", cl("partialaccess", V_OLD), key_body(KV_URI, "la-key", ""));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
	grant("kv-cmk-eus", oid, "[\"unwrapKey\"]");
	r = check_arm("PATCH", cl("partialaccess", V_OLD), key_body(KV_URI, "la-key", ""));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(HOUR);
}

static void test_cluster__key_update_on_non_recoverable_vault(void **state)
{
	(void)state;
	char oid[64];
	snprintf(oid, sizeof oid, "%s", create_ready("norecover"));
	grant("kv-norecover", oid, "[\"get\",\"wrapKey\",\"unwrapKey\"]");
	armsim_http_resp r = check_arm("PATCH", cl("norecover", V_OLD),
				       key_body("https://kv-norecover.vault.azure.net", "k1", ""));
	check_error(&r, 400, "BadRequest", M_KEY_RECOVER);
	armsim_http_free(&r);
}

static void test_cluster__key_update_missing_or_disabled_key(void **state)
{
	(void)state;
	char oid[64];
	snprintf(oid, sizeof oid, "%s", create_ready("missingkey"));
	grant("kv-cmk-eus", oid, "[\"get\",\"wrapKey\",\"unwrapKey\"]");
	armsim_http_resp r = check_arm("PATCH", cl("missingkey", V_OLD), key_body(KV_URI, "no-such-key", ""));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
	r = check_arm("PATCH", cl("missingkey", V_OLD), key_body(KV_URI, "disabled-key", ""));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
	r = check_arm("PATCH", cl("missingkey", V_OLD), key_body(KV_URI, "la-key", "00000000000000000000000000000000"));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
}

static void test_cluster__key_update_rbac_vault_needs_crypto_service_encryption_user(void **state)
{
	(void)state;
	char oid[64];
	snprintf(oid, sizeof oid, "%s", create_ready("rbackey"));
	const char *uri = "https://kv-rbac.vault.azure.net";
	/* an access policy means nothing to an RBAC-mode vault */
	grant("kv-rbac", oid, "[\"get\",\"wrapKey\",\"unwrapKey\"]");
	armsim_http_resp r = check_arm("PATCH", cl("rbackey", V_OLD), key_body(uri, "k1", ""));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("POST", "/_sim/role-assignments",
		check_fmt("{\"scope\":\"/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-rbac\","
			  "\"role\":\"Key Vault Crypto Service Encryption User\",\"principalId\":\"%s\"}", oid)));
	r = check_arm("PATCH", cl("rbackey", V_OLD), key_body(uri, "k1", ""));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(HOUR);
}

static void test_cluster__key_update_bad_format(void **state)
{
	(void)state;
	create_ready("kvpformat");
	armsim_http_resp r = check_arm("PATCH", cl("kvpformat", V_OLD),
				       "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"kyName\":\"la-key\"}}}");
	check_error(&r, 400, "BadRequest", M_KVP_FORMAT);
	armsim_http_free(&r);
	r = check_arm("PATCH", cl("kvpformat", V_OLD), key_body("kv-cmk-eus", "la-key", ""));
	check_error(&r, 400, "BadRequest", M_KVP_FORMAT);
	armsim_http_free(&r);
}

static void test_cluster__key_update_lifecycle_35_minutes(void **state)
{
	(void)state;
	char oid[64], aso[4096];
	snprintf(oid, sizeof oid, "%s", create_ready("keyupdate"));
	grant("kv-cmk-eus", oid, "[\"get\",\"wrapKey\",\"unwrapKey\"]");
	/* the 2019 document's PascalCase body works: names are case-insensitive */
	armsim_http_resp r = check_arm("PUT", cl("keyupdate", "2019-08-01-preview"),
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"systemAssigned\"},"
		"\"properties\":{\"KeyVaultProperties\":{\"KeyVaultUri\":\"" KV_URI "\",\"KeyName\":\"la-key\",\"KeyVersion\":\"\"}}}");
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	assert_string_equal(state_of("keyupdate"), "Updating");
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Updating");
	armsim_http_free(&r);
	check_advance(34 * 60);
	assert_string_equal(state_of("keyupdate"), "Updating");
	check_advance(2 * 60);
	assert_string_equal(state_of("keyupdate"), "Succeeded");
	r = check_arm("GET", cl("keyupdate", V_NEW), NULL);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyVaultUri"), KV_URI);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "la-key");
	armsim_http_free(&r);
	/* the 2019-08-01-preview shape echoes PascalCase key properties */
	r = check_arm("GET", cl("keyupdate", "2019-08-01-preview"), NULL);
	assert_string_equal(check_str(r.json, "properties.KeyVaultProperties.KeyName"), "la-key");
	assert_string_equal(check_str(r.json, "properties.clusterType"), "LogAnalytics");
	armsim_http_free(&r);
}

static void test_cluster__key_checked_against_the_identity_in_the_request(void **state)
{
	(void)state;
	create_ready("switchuai");
	const char *body = "{\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"%s\":{}}},"
			   "\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"la-key\",\"keyVersion\":\"\"}}}";
	/* an identity without access: refused, and nothing changed */
	armsim_http_resp r = check_arm("PATCH", cl("switchuai", V_OLD), check_fmt(body, UAI_NOGRANT));
	check_error(&r, 400, "BadRequest", M_KEY_VALIDATE);
	armsim_http_free(&r);
	r = check_arm("GET", cl("switchuai", V_NEW), NULL);
	assert_string_equal(check_str(r.json, "identity.type"), "SystemAssigned");
	armsim_http_free(&r);
	/* the granted one: the key is validated against it */
	r = check_arm("PATCH", cl("switchuai", V_OLD), check_fmt(body, UAI_GRANTED));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(HOUR);
	r = check_arm("GET", cl("switchuai", V_NEW), NULL);
	assert_string_equal(check_str(r.json, "identity.type"), "UserAssigned");
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "la-key");
	armsim_http_free(&r);
}

static void test_cluster__double_encryption_immutable(void **state)
{
	(void)state;
	create_ready("doubleenc");
	armsim_http_resp r = check_arm("PATCH", cl("doubleenc", V_OLD), "{\"properties\":{\"isDoubleEncryptionEnabled\":false}}");
	check_error(&r, 400, "BadRequest", M_DOUBLE_ENC);
	armsim_http_free(&r);
}

static void test_cluster__cluster_type_immutable(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("apptype", "2019-08-01-preview"),
		"{\"location\":\"eastus\",\"properties\":{\"clusterType\":\"ApplicationInsights\"},\"identity\":{\"type\":\"systemAssigned\"}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("PUT", cl("apptype", "2019-08-01-preview"),
		"{\"location\":\"eastus\",\"properties\":{\"clusterType\":\"LogAnalytics\"},\"identity\":{\"type\":\"systemAssigned\"}}");
	check_error(&r, 400, "BadRequest", "The Cluster resource type can\u2019t be altered.");
	armsim_http_free(&r);
}

static void test_cluster__deleting_state_refuses_updates(void **state)
{
	(void)state;
	create_ready("deleting");
	/* a linked workspace makes the delete asynchronous */
	armsim_http_resp r = check_arm("PUT", RGP "/workspaces/ws4/linkedServices/cluster?api-version=2020-08-01",
				       "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/deleting\"}}");
	assert_int_equal(r.status, 201);
	armsim_http_free(&r);
	check_advance(HOUR);
	r = check_arm("DELETE", cl("deleting", V_OLD), NULL);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	r = check_arm("PATCH", cl("deleting", V_OLD), "{\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1100}}");
	check_error(&r, 400, "BadRequest", M_DELETING_UPDATE);
	armsim_http_free(&r);
	expect_put_error("deleting", V_OLD, SA_BODY, 400, "BadRequest", M_DELETING_PUT);
	r = check_arm("PUT", RGP "/workspaces/ws2/linkedServices/cluster?api-version=2020-08-01",
		      "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/deleting\"}}");
	check_error(&r, 400, "BadRequest",
		    "Cluster not found, the cluster you specified doesn\u2019t exist or was deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it.");
	armsim_http_free(&r);
	check_advance(HOUR);
}

/* ---- limits, delete, soft delete --------------------------------------------------- */

static void test_cluster__two_clusters_per_region_and_subscription(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxClustersPerRegion\":2}"));
	const char *base = "/subscriptions/" SUB2 "/resourceGroups/rg-limits/providers/Microsoft.OperationalInsights/clusters/";
	for (int i = 1; i <= 2; i++) {
		armsim_http_resp r = check_arm("PUT", check_fmt("%slimit%d?api-version=%s", base, i, V_OLD), SA_BODY);
		assert_int_equal(r.status, 202);
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("PUT", check_fmt("%slimit3?api-version=%s", base, V_OLD), SA_BODY);
	check_error(&r, 400, "BadRequest",
		    "The max number of cluster per region and subscription is 2. Subscription '" SUB2
		    "' already has 2 clusters in region 'eastus'.");
	armsim_http_free(&r);
	/* another region is fine */
	r = check_arm("PUT", check_fmt("%slimitwest?api-version=%s", base, V_OLD),
		      "{\"location\":\"westus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxClustersPerRegion\":1000}"));
	check_advance(2 * HOUR + 60);
}

static void test_cluster__delete_refused_while_provisioning(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", cl("delprov", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	r = check_arm("DELETE", cl("delprov", V_OLD), NULL);
	check_error(&r, 409, "Conflict", M_DELETE_409);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
	r = check_arm("DELETE", cl("delprov", V_OLD), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

static void test_cluster__delete_without_workspaces_is_immediate_and_get_404(void **state)
{
	(void)state;
	create_ready("delnow");
	armsim_http_resp r = check_arm("DELETE", cl("delnow", V_OLD), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("GET", cl("delnow", V_OLD), NULL);
	check_error(&r, 404, "ResourceNotFound", M_CLUSTER_404);
	armsim_http_free(&r);
	/* deleting what is gone: 204 */
	r = check_arm("DELETE", cl("delnow", V_OLD), NULL);
	assert_int_equal(r.status, 204);
	armsim_http_free(&r);
}

static void test_cluster__soft_delete_reserves_name_14_days(void **state)
{
	(void)state;
	create_ready("softdel");
	armsim_http_resp r = check_arm("DELETE", cl("softdel", V_OLD), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("PUT", cl("softdel", V_OLD), SA_BODY);
	assert_int_equal(r.status, 409);
	assert_string_equal(check_str(r.json, "error.code"), "Conflict");
	assert_non_null(strstr(check_str(r.json, "error.message"), "soft-delete period"));
	armsim_http_free(&r);
	check_advance(13 * DAY);
	r = check_arm("PUT", cl("softdel", V_OLD), SA_BODY);
	assert_int_equal(r.status, 409);
	armsim_http_free(&r);
	check_advance(DAY + 60);
	r = check_arm("PUT", cl("softdel", V_OLD), SA_BODY);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
}

static void test_cluster__delete_with_linked_workspaces_unlinks_async(void **state)
{
	(void)state;
	create_ready("dellinked");
	armsim_http_resp r = check_arm("PUT", RGP "/workspaces/ws3/linkedServices/cluster?api-version=2020-08-01",
				       "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/dellinked\"}}");
	assert_int_equal(r.status, 201);
	armsim_http_free(&r);
	check_advance(HOUR);
	r = check_arm("GET", RGP "/workspaces/ws3?api-version=" V_OLD, NULL);
	assert_non_null(check_str(r.json, "properties.features.clusterResourceId"));
	armsim_http_free(&r);
	char aso[4096];
	r = check_arm("DELETE", cl("dellinked", V_OLD), NULL);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	assert_string_equal(state_of("dellinked"), "Deleting");
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Deleting");
	armsim_http_free(&r);
	check_advance(HOUR);
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Succeeded");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/workspaces/ws3?api-version=" V_OLD, NULL);
	assert_null(check_get(r.json, "properties.features.clusterResourceId"));
	armsim_http_free(&r);
	r = check_arm("GET", cl("dellinked", V_OLD), NULL);
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
}

static void test_cluster__identity_none_revokes_irreversibly(void **state)
{
	(void)state;
	create_ready("identnone");
	armsim_http_resp r = check_arm("PATCH", cl("identnone", V_OLD), "{\"identity\":{\"type\":\"None\"}}");
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "identity.type"), "None");
	assert_string_equal(check_str(r.json, "properties.armsimKeyAccessState"), "Inaccessible");
	armsim_http_free(&r);
	r = check_arm("PATCH", cl("identnone", V_OLD), "{\"identity\":{\"type\":\"SystemAssigned\"}}");
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.armsimKeyAccessState"), "Inaccessible");
	armsim_http_free(&r);
}

/* ---- reads ---------------------------------------------------------------------------- */

static void test_cluster__list_by_resource_group_and_subscription_page(void **state)
{
	(void)state;
	/* page size 2 (fixture): walk nextLink and count every cluster once */
	const char *starts[] = { RGP "/clusters?api-version=" V_NEW,
				 "/subscriptions/" SUB "/providers/Microsoft.OperationalInsights/clusters?api-version=" V_NEW };
	int counts[2] = { 0, 0 };
	for (int s = 0; s < 2; s++) {
		char url[4096];
		snprintf(url, sizeof url, "%s", starts[s]);
		int pages = 0;
		for (;;) {
			armsim_http_resp r = check_arm("GET", url, NULL);
			assert_int_equal(r.status, 200);
			const cJSON *v = check_get(r.json, "value");
			assert_true(cJSON_IsArray(v));
			assert_true(cJSON_GetArraySize(v) <= 2);
			counts[s] += cJSON_GetArraySize(v);
			pages++;
			const char *next = check_str(r.json, "nextLink");
			if (next)
				snprintf(url, sizeof url, "%s", next);
			armsim_http_free(&r);
			if (!next)
				break;
		}
		assert_true(pages >= 2);
	}
	assert_true(counts[0] >= 4);
	assert_true(counts[1] >= counts[0]);
}

static void test_cluster__paths_case_insensitive(void **state)
{
	(void)state;
	create_ready("CaseMix");
	armsim_http_resp r = check_arm("GET", "/SUBSCRIPTIONS/" SUB "/resourcegroups/RG-LA/providers/microsoft.operationalinsights/Clusters/casemix?api-version=" V_NEW, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "name"), "CaseMix");
	armsim_http_free(&r);
}

static void test_cluster__api_versions(void **state)
{
	(void)state;
	static const char *const published[] = { "2019-08-01-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01",
						 "2021-06-01", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01",
						 "2026-03-01" };
	create_ready("apiv");
	for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
		armsim_http_resp r = check_arm("GET", cl("apiv", published[i]), NULL);
		assert_int_equal(r.status, 200);
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("GET", RGP "/clusters/apiv", NULL);
	check_error(&r, 400, "MissingApiVersionParameter",
		    "The api-version query parameter (?api-version=) is required for all requests.");
	armsim_http_free(&r);
	r = check_arm("GET", cl("apiv", "2099-01-01"), NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "No registered resource provider found for location 'eastus' and API version '2099-01-01' for type 'clusters'. "
			       "The supported api-versions are '2019-08-01-preview, 2020-03-01-preview, 2020-08-01, 2020-10-01, 2021-06-01, "
			       "2022-10-01, 2023-09-01, 2025-02-01, 2025-07-01, 2026-03-01'. The supported locations are '"));
	armsim_http_free(&r);
}

static void test_cluster__dates_rfc1123_on_older_api_versions(void **state)
{
	(void)state;
	create_ready("dates");
	armsim_http_resp r = check_arm("GET", cl("dates", V_OLD), NULL);
	const char *d = check_str(r.json, "properties.createdDate");
	assert_non_null(d);
	assert_non_null(strstr(d, " GMT"));
	armsim_http_free(&r);
	r = check_arm("GET", cl("dates", V_NEW), NULL);
	d = check_str(r.json, "properties.createdDate");
	assert_non_null(d);
	assert_non_null(strchr(d, 'T'));
	assert_int_equal(d[strlen(d) - 1], 'Z');
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cluster__name_invalid),
		cmocka_unit_test(test_cluster__body_null_or_bad),
		cmocka_unit_test(test_cluster__no_sku),
		cmocka_unit_test(test_cluster__sku_name_invalid),
		cmocka_unit_test(test_cluster__capacity_without_capacity_reservation),
		cmocka_unit_test(test_cluster__missing_capacity),
		cmocka_unit_test(test_cluster__capacity_not_in_range),
		cmocka_unit_test(test_cluster__capacity_tiers_accepted),
		cmocka_unit_test(test_cluster__identity_required_before_2022),
		cmocka_unit_test(test_cluster__identity_defaults_system_assigned_2026),
		cmocka_unit_test(test_cluster__kvp_on_create_with_system_assigned),
		cmocka_unit_test(test_cluster__kvp_on_create_with_granted_user_assigned),
		cmocka_unit_test(test_cluster__kvp_on_create_with_user_assigned_without_access),
		cmocka_unit_test(test_cluster__create_is_async_with_documented_statuses),
		cmocka_unit_test(test_cluster__long_signed_operation_urls),
		cmocka_unit_test(test_cluster__write_while_operation_runs),
		cmocka_unit_test(test_cluster__canceled_operation),
		cmocka_unit_test(test_cluster__patch_tags_is_synchronous),
		cmocka_unit_test(test_cluster__capacity_decrease_locked_30_days),
		cmocka_unit_test(test_cluster__key_update_without_access_policy),
		cmocka_unit_test(test_cluster__key_update_needs_get_wrap_unwrap),
		cmocka_unit_test(test_cluster__key_update_on_non_recoverable_vault),
		cmocka_unit_test(test_cluster__key_update_missing_or_disabled_key),
		cmocka_unit_test(test_cluster__key_update_rbac_vault_needs_crypto_service_encryption_user),
		cmocka_unit_test(test_cluster__key_update_bad_format),
		cmocka_unit_test(test_cluster__key_update_lifecycle_35_minutes),
		cmocka_unit_test(test_cluster__key_checked_against_the_identity_in_the_request),
		cmocka_unit_test(test_cluster__double_encryption_immutable),
		cmocka_unit_test(test_cluster__cluster_type_immutable),
		cmocka_unit_test(test_cluster__deleting_state_refuses_updates),
		cmocka_unit_test(test_cluster__two_clusters_per_region_and_subscription),
		cmocka_unit_test(test_cluster__delete_refused_while_provisioning),
		cmocka_unit_test(test_cluster__delete_without_workspaces_is_immediate_and_get_404),
		cmocka_unit_test(test_cluster__soft_delete_reserves_name_14_days),
		cmocka_unit_test(test_cluster__delete_with_linked_workspaces_unlinks_async),
		cmocka_unit_test(test_cluster__identity_none_revokes_irreversibly),
		cmocka_unit_test(test_cluster__list_by_resource_group_and_subscription_page),
		cmocka_unit_test(test_cluster__paths_case_insensitive),
		cmocka_unit_test(test_cluster__api_versions),
		cmocka_unit_test(test_cluster__dates_rfc1123_on_older_api_versions),
	};
	return cmocka_run_group_tests(tests, setup, check_stop);
}
