/*
 * test_kusto.c - Microsoft.Kusto/clusters in armsim: the armspec examples
 * (create, get, update, delete, operation results) replayed with the state
 * they presume, Kusto's wire quirks (201 with Azure-AsyncOperation only and
 * an empty etag, "Running" polls with percentComplete, display-name
 * locations with a raw space), and the customer-managed-key rules of the
 * ADX doc (seed 002): RSA 2048, recoverable vault, same region, no leader or
 * follower clusters, get/wrapKey/unwrapKey for the cluster's identity
 * (system- or user-assigned, access policy or RBAC role), versionless keys
 * tracking rotation, removal with empty strings.
 */
#include "rp_testutil.h"

#define KS "12345678-1234-1234-1234-123456789098"
#define KRG "/subscriptions/" KS "/resourceGroups/kustorptest/providers/Microsoft.Kusto/clusters"
#define KV "?api-version=2024-04-13"

#define DS "00000000-0000-4000-8000-0000000000d1"
#define DRG "/subscriptions/" DS "/resourceGroups/rg-adx"
#define DCL DRG "/providers/Microsoft.Kusto/clusters"
#define UAI DRG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-granted"
#define UAIN DRG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-nogrant"
#define DT "aaaaaaaa-0000-4000-8000-0000000000a9"
#define SYS_P "dddddddd-0000-4000-8000-000000000001"
#define NOACC_P "dddddddd-0000-4000-8000-000000000002"
#define UAIN_P "dddddddd-0000-4000-8000-000000000004"
#define KVGOOD "https://kv-good.vault.azure.net/"

static int setup_conf(void **state)
{
	(void)state;
	return check_start("conf_kusto.json", 1);
}

static int setup_get(void **state)
{
	(void)state;
	return check_start("conf_kusto_get.json", 1);
}

static int setup_rules(void **state)
{
	(void)state;
	return check_start("kusto_cmk.json", 1);
}

/* A whole operation of the default 15 virtual minutes. */
static void finish_ops(void)
{
	check_advance(16 * 60);
}

/* --- conformance ----------------------------------------------------------------- */

/* Kusto answers "West US" for "westus"; the identity is generated; the
 * example's 201/200 show keyVaultProperties the request does not set (the
 * example's own inconsistency), and its "Succeeded" is the state after the
 * operation (the 201 says Creating, checked below). */
static const char *const kusto_aside[] = { "location", "etag", "identity.tenantId", "identity.principalId",
					   "?properties.keyVaultProperties", NULL };

static void test_conformance__create(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.Kusto/2024-04-13/KustoClustersCreateOrUpdate.json");
	char *body = rp_body(ex, "parameters");
	armsim_http_resp r = check_arm("PUT", KRG "/kustoCluster" KV, body);
	rp_status(&r, 201);
	rp_match(rp_at(ex, "responses.201.body"), r.json,
		 (const char *const[]){ "location", "etag", "identity.tenantId", "identity.principalId",
					"?properties.keyVaultProperties", "properties.provisioningState", NULL });
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Creating");
	assert_string_equal(check_str(r.json, "location"), "West US");
	assert_string_equal(check_str(r.json, "etag"), "");
	char h[2048];
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", h, sizeof h));
	assert_false(armsim_http_header(&r, "Location", h, sizeof h));
	armsim_http_free(&r);

	finish_ops();
	r = check_arm("GET", KRG "/kustoCluster" KV, NULL);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, kusto_aside);
	assert_string_equal(check_str(r.json, "properties.state"), "Running");
	assert_true(strlen(check_str(r.json, "etag")) > 2);
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

/* KustoClustersUpdate puts identity/properties beside "parameters" (a known
 * defect); the request sent is the one the example means. Its key is the
 * one the presumed state holds: vault "dummy", key "keyName", version
 * "keyVersion", readable by the cluster's identity. */
static void test_conformance__update(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.Kusto/2024-04-13/KustoClustersUpdate.json");
	cJSON *req = cJSON_Duplicate(rp_at(ex, "parameters.parameters"), 1);
	cJSON_AddItemToObject(req, "identity", cJSON_Duplicate(rp_at(ex, "parameters.identity"), 1));
	cJSON_AddItemToObject(req, "properties", cJSON_Duplicate(rp_at(ex, "parameters.properties"), 1));
	char *body = cJSON_PrintUnformatted(req);
	const char *tok = rp_token("bbbbbbbb-0000-4000-8000-0000000000b1", "admin-secret",
				   "https://management.azure.com/.default");
	const char *hdr[] = { "If-Match: *", NULL };
	armsim_http_resp r;
	assert_int_equal(armsim_http(&r, g_sim, "PATCH", KRG "/kustoCluster2" KV, tok, body, hdr), 0);
	rp_status(&r, 202);
	rp_match(rp_at(ex, "responses.202.body"), r.json,
		 (const char *const[]){ "location", "etag", "identity.tenantId", "identity.principalId",
					"properties.provisioningState", NULL });
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Updating");
	char h[2048];
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", h, sizeof h));
	assert_true(armsim_http_header(&r, "Location", h, sizeof h));
	assert_non_null(strstr(h, "/locations/West%20US/operationResults/"));
	armsim_http_free(&r);

	finish_ops();
	r = check_arm("GET", KRG "/kustoCluster2" KV, NULL);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json,
		 (const char *const[]){ "location", "etag", "identity.tenantId", "identity.principalId", NULL });
	armsim_http_free(&r);
	/* the Location URL now answers the cluster */
	armsim_http_resp l;
	assert_int_equal(armsim_arm(&l, g_sim, "GET", h + strlen(g_sim->base_url), NULL), 0);
	rp_status(&l, 200);
	assert_string_equal(check_str(l.json, "name"), "kustoCluster2");
	armsim_http_free(&l);
	free(body);
	cJSON_Delete(req);
	cJSON_Delete(ex);
}

static void test_conformance__delete(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.Kusto/2024-04-13/KustoClustersDelete.json");
	const char *want = check_str(rp_at(ex, "responses.202.headers"), "Azure-AsyncOperation");
	armsim_http_resp r = check_arm("DELETE", KRG "/kustoCluster2" KV, NULL);
	rp_status(&r, 202);
	char h[2048];
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", h, sizeof h));
	/* the example's URL shape: .../subscriptions/{s}/providers/Microsoft.Kusto/
	 * locations/{location}/operationResults/{id}?api-version=... */
	const char *tail = strstr(want, "/subscriptions/");
	const char *mine = strstr(h, "/subscriptions/");
	assert_int_equal(strncmp(tail, mine, strlen("/subscriptions/" KS "/providers/Microsoft.Kusto/locations/")), 0);
	assert_non_null(strstr(mine, "/locations/West US/operationResults/"));
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", KRG "/kustoCluster2" KV, NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
	r = check_arm("DELETE", KRG "/kustoCluster2" KV, NULL);
	rp_status(&r, 204);
	armsim_http_free(&r);
	cJSON_Delete(ex);
}

/* Fetch an Azure-AsyncOperation URL (encoding its raw space as a client
 * must). */
static armsim_http_resp get_status(const char *url)
{
	char enc[2048];
	size_t o = 0;
	for (const char *p = url + strlen(g_sim->base_url); *p && o + 4 < sizeof enc; p++) {
		if (*p == ' ') {
			memcpy(enc + o, "%20", 3);
			o += 3;
		} else {
			enc[o++] = *p;
		}
	}
	enc[o] = '\0';
	armsim_http_resp r;
	if (armsim_arm(&r, g_sim, "GET", enc, NULL) < 0)
		fail_msg("GET %s: %s", enc, cmk_error_last());
	return r;
}

/* KustoOperationResultsGet shows a failed operation. The presumed state is
 * "an operation of this subscription failed"; armsim's operation is made
 * to fail by the async_fail fault. Its kind, state and error text are
 * those of a different operation (a follower database) and set aside. */
static void test_conformance__operation_results(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.Kusto/2024-04-13/KustoOperationResultsGet.json");
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
				 "[{\"method\":\"*\",\"resourceType\":\"Microsoft.Kusto/clusters\",\"fault\":\"async_fail\","
				 "\"rate\":1,\"count\":1}]"));
	armsim_http_resp r = check_arm("PUT", KRG "/kustofail" KV,
				       "{\"location\":\"westus\",\"sku\":{\"name\":\"Dev(No SLA)_Standard_E2a_v4\","
				       "\"tier\":\"Basic\",\"capacity\":1}}");
	rp_status(&r, 201);
	char h[2048];
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", h, sizeof h));
	armsim_http_free(&r);
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));

	r = get_status(h);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "status"), "Running");
	double pct = check_num(r.json, "percentComplete");
	assert_true(pct >= 0 && pct < 1);
	assert_null(check_get(r.json, "endTime"));
	armsim_http_free(&r);

	finish_ops();
	r = get_status(h);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json,
		 (const char *const[]){ "id", "name", "startTime", "endTime", "properties.operationKind",
					"properties.operationState", "error.code", "error.message", NULL });
	char want_id[512];
	snprintf(want_id, sizeof want_id, "/subscriptions/" KS "/providers/Microsoft.Kusto/locations/westus/operationresults/%s",
		 check_str(r.json, "name"));
	assert_string_equal(check_str(r.json, "id"), want_id);
	assert_string_equal(check_str(r.json, "properties.operationKind"), "ClusterCreate");
	armsim_http_free(&r);
	r = check_arm("GET", KRG "/kustofail" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Failed");
	armsim_http_free(&r);
	cJSON_Delete(ex);
}

static void test_conformance__get(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.Kusto/2024-04-13/KustoClustersGet.json");
	armsim_http_resp r = check_arm("GET", KRG "/kustoCluster" KV, NULL);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, (const char *const[]){ "location", NULL });
	assert_string_equal(check_str(r.json, "location"), "West US");
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" KS "/providers/Microsoft.Kusto/clusters" KV, NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	armsim_http_free(&r);
	cJSON_Delete(ex);
}

/* --- CMK rules ------------------------------------------------------------------ */

static armsim_http_resp patch_key(const char *cluster, const char *vault_uri, const char *key, const char *version,
				  const char *user_identity)
{
	char body[2048];
	snprintf(body, sizeof body,
		 "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"%s\",\"keyName\":\"%s\"%s%s%s%s%s%s}}}",
		 vault_uri, key, version ? ",\"keyVersion\":\"" : "", version ? version : "", version ? "\"" : "",
		 user_identity ? ",\"userIdentity\":\"" : "", user_identity ? user_identity : "",
		 user_identity ? "\"" : "");
	return check_arm("PATCH", check_fmt(DCL "/%s" KV, cluster), body);
}

static void test_kusto__cmk_rsa_2048_only(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxsys", KVGOOD, "k3072", NULL, NULL);
	check_error(&r, 400, "BadRequest", "The key 'k3072' is RSA 3072: only RSA keys of size 2048 are supported.");
	armsim_http_free(&r);
}

static void test_kusto__cmk_vault_must_be_recoverable(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxsys", "https://kv-nopp.vault.azure.net/", "k1", NULL, NULL);
	check_error(&r, 400, "BadRequest",
		    "The key vault 'kv-nopp' must have the Soft Delete and Do Not Purge (purge protection) properties "
		    "enabled to be used for customer-managed keys.");
	armsim_http_free(&r);
}

static void test_kusto__cmk_same_region(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxsys", "https://kv-west.vault.azure.net/", "k1", NULL, NULL);
	check_error(&r, 400, "BadRequest",
		    "The key vault 'kv-west' is in region 'westus' and cluster 'adxsys' in region 'East US': the Azure "
		    "Data Explorer cluster and the key vault must be in the same region.");
	armsim_http_free(&r);
}

static void test_kusto__cmk_not_on_leader_or_follower(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxfollower", KVGOOD, "k2048", NULL, NULL);
	check_error(&r, 400, "BadRequest",
		    "Cluster 'adxfollower': data encryption using customer managed keys is not supported on leader and "
		    "follower clusters.");
	armsim_http_free(&r);
	r = patch_key("adxleader", KVGOOD, "k2048", NULL, NULL);
	check_error(&r, 400, "BadRequest",
		    "Cluster 'adxleader': data encryption using customer managed keys is not supported on leader and "
		    "follower clusters.");
	armsim_http_free(&r);
}

static void test_kusto__cmk_disabled_key(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxsys", KVGOOD, "kdis", NULL, NULL);
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "is disabled."));
	armsim_http_free(&r);
}

/* Without get/wrapKey/unwrapKey for the cluster's identity the key is
 * refused; an access-policy add fixes it and the update runs. */
static void test_kusto__cmk_needs_access_for_identity(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxnoacc", KVGOOD, "k2048", NULL, NULL);
	check_error(&r, 400, "BadRequest",
		    "The managed identity '" NOACC_P "' of cluster 'adxnoacc' does not have the required get, wrapKey "
		    "and unwrapKey permissions on key vault 'kv-good'.");
	armsim_http_free(&r);
	r = check_arm("PUT", DRG "/providers/Microsoft.KeyVault/vaults/kv-good/accessPolicies/add?api-version=2023-07-01",
		      "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"" DT "\",\"objectId\":\"" NOACC_P "\","
		      "\"permissions\":{\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}}]}}");
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = patch_key("adxnoacc", KVGOOD, "k2048", NULL, NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxnoacc" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyName"), "k2048");
	armsim_http_free(&r);
}

/* A system identity cannot have key access before the cluster exists, so
 * a create with keyVaultProperties and a system identity is refused. */
static void test_kusto__cmk_at_create_with_system_identity(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", DCL "/adxnew" KV,
				       "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_E8ads_v5\",\"tier\":\"Standard\","
				       "\"capacity\":2},\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{"
				       "\"keyVaultProperties\":{\"keyVaultUri\":\"" KVGOOD "\",\"keyName\":\"k2048\"}}}");
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "does not have the required get, wrapKey and unwrapKey"));
	armsim_http_free(&r);
	r = check_arm("GET", DCL "/adxnew" KV, NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
}

/* ... while a user-assigned identity that already has access may bring the
 * key at creation: the cluster is created encrypted. */
static void test_kusto__cmk_at_create_with_user_identity(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", DCL "/adxuainew" KV,
				       "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_E8ads_v5\",\"tier\":\"Standard\","
				       "\"capacity\":2},\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UAI "\":{}}},"
				       "\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KVGOOD "\",\"keyName\":\"k2048\","
				       "\"userIdentity\":\"" UAI "\"}}}");
	rp_status(&r, 201);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Creating");
	/* ids contain dots: look the member up directly */
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(check_get(r.json, "identity.userAssignedIdentities"), UAI);
	assert_string_equal(check_str(u, "principalId"), "dddddddd-0000-4000-8000-000000000003");
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxuainew" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.userIdentity"), UAI);
	armsim_http_free(&r);
}

static const char *state_sim(const cJSON *st, const char *name, const char *field)
{
	const cJSON *res;
	cJSON_ArrayForEach(res, check_get(st, "resources")) {
		const char *id = check_str(res, "id");
		if (id && strstr(id, check_fmt("/clusters/%s", name)) && !strstr(id, "attachedDatabase"))
			return check_str(check_get(res, "_sim"), field);
	}
	return NULL;
}

/* "Always use current key version": a versionless key follows rotation; a
 * pinned version stays. */
static void test_kusto__versionless_key_tracks_rotation(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxsys", KVGOOD, "k2048", NULL, NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);
	const char *admin = rp_token("bbbbbbbb-0000-4000-8000-0000000000b1", "admin-secret",
				     "https://vault.azure.net/.default");
	armsim_http_resp k = rp_kv(admin, "GET", "kv-good", "/keys/k2048?api-version=7.4", NULL);
	rp_status(&k, 200);
	char v1[64];
	snprintf(v1, sizeof v1, "%s", strrchr(check_str(k.json, "key.kid"), '/') + 1);
	armsim_http_free(&k);
	r = patch_key("adxpinned", KVGOOD, "k2048", v1, NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();

	r = check_arm("GET", DCL "/adxsys" KV, NULL);
	assert_null(check_get(r.json, "properties.keyVaultProperties.keyVersion"));
	armsim_http_free(&r);
	cJSON *st = check_admin("GET", "/_sim/state", NULL);
	assert_string_equal(state_sim(st, "adxsys", "keyVersionInUse"), v1);
	assert_string_equal(state_sim(st, "adxpinned", "keyVersionInUse"), v1);
	cJSON_Delete(st);

	k = rp_kv(admin, "POST", "kv-good", "/keys/k2048/rotate?api-version=7.4", NULL);
	rp_status(&k, 200);
	char v2[64];
	snprintf(v2, sizeof v2, "%s", strrchr(check_str(k.json, "key.kid"), '/') + 1);
	armsim_http_free(&k);
	assert_string_not_equal(v1, v2);
	r = check_arm("GET", DCL "?api-version=2022-12-29", NULL); /* the service looks again */
	rp_status(&r, 200);
	armsim_http_free(&r);
	st = check_admin("GET", "/_sim/state", NULL);
	assert_string_equal(state_sim(st, "adxsys", "keyVersionInUse"), v2);
	assert_string_equal(state_sim(st, "adxpinned", "keyVersionInUse"), v1);
	cJSON_Delete(st);
}

/* keyVaultProperties with empty strings removes the key (as real clients
 * send it). */
static void test_kusto__remove_key_with_empty_strings(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PATCH", DCL "/adxsys" KV,
				       "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"\",\"keyName\":\"\","
				       "\"keyVersion\":\"\"}}}");
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxsys" KV, NULL);
	assert_null(check_get(r.json, "properties.keyVaultProperties"));
	armsim_http_free(&r);
}

/* The 2020 docs' casing (KeyVaultProperties, KeyVaultUri) is accepted and
 * served in the spec's. */
static void test_kusto__property_names_any_case(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PATCH", DCL "/adxnoacc" KV,
				       "{\"Properties\":{\"KeyVaultProperties\":{\"KeyVaultUri\":\"" KVGOOD "\",\"KeyName\":\"k2048\"},"
				       "\"EnableStreamingIngest\":true}}");
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxnoacc" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.keyVaultUri"), KVGOOD);
	assert_true(cJSON_IsTrue(check_get(r.json, "properties.enableStreamingIngest")));
	assert_null(check_get(r.json, "properties.EnableStreamingIngest"));
	armsim_http_free(&r);
}

/* A user-assigned identity reads the key when keyVaultProperties names it;
 * it must be one of the cluster's and hold the access itself. */
static void test_kusto__user_assigned_identity(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxuai", KVGOOD, "k2048", NULL, UAIN);
	check_error(&r, 400, "BadRequest",
		    "The managed identity '" UAIN_P "' of cluster 'adxuai' does not have the required get, wrapKey and "
		    "unwrapKey permissions on key vault 'kv-good'.");
	armsim_http_free(&r);
	r = patch_key("adxuai", KVGOOD, "k2048", NULL, DRG "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other");
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "is not assigned to cluster 'adxuai'"));
	armsim_http_free(&r);
	/* no userIdentity on a user-assigned-only cluster: there is no system identity */
	r = patch_key("adxuai", KVGOOD, "k2048", NULL, NULL);
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "has no system assigned identity"));
	armsim_http_free(&r);
	r = patch_key("adxuai", KVGOOD, "k2048", NULL, UAI);
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxuai" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.keyVaultProperties.userIdentity"), UAI);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
}

/* An RBAC-mode vault: the cluster's identity needs a role with the key data
 * actions (Key Vault Crypto Service Encryption User). */
static void test_kusto__rbac_vault_needs_role(void **state)
{
	(void)state;
	armsim_http_resp r = patch_key("adxpinned", "https://kv-rbac.vault.azure.net/", "k1", NULL, NULL);
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "does not have the required get, wrapKey and unwrapKey"));
	armsim_http_free(&r);
	r = check_arm("PUT", DRG "/providers/Microsoft.KeyVault/vaults/kv-rbac/providers/Microsoft.Authorization/"
			     "roleAssignments/5e000000-0000-4000-8000-000000000001?api-version=2022-04-01",
		      "{\"properties\":{\"roleDefinitionId\":\"/subscriptions/" DS "/providers/Microsoft.Authorization/"
		      "roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6\",\"principalId\":\"" SYS_P "\","
		      "\"principalType\":\"ServicePrincipal\"}}");
	rp_status(&r, 201);
	armsim_http_free(&r);
	r = patch_key("adxpinned", "https://kv-rbac.vault.azure.net/", "k1", NULL, NULL);
	rp_status(&r, 202);
	armsim_http_free(&r);
	/* one operation at a time */
	r = check_arm("PATCH", DCL "/adxpinned" KV, "{\"tags\":{\"a\":\"b\"}}");
	check_error(&r, 409, "Conflict", NULL);
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("PATCH", DCL "/adxpinned" KV, "{\"tags\":{\"a\":\"b\"}}");
	rp_status(&r, 202);
	armsim_http_free(&r);
	finish_ops();
}

/* The wire as Kusto speaks it: 201 + Azure-AsyncOperation only, an empty
 * etag, "East US" with a raw space in the status URL, "Running" polls with
 * a fractional percentComplete; PATCH/DELETE 202 with Location too. */
static void test_kusto__wire_quirks_and_lifecycle(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", DCL "/adxwire" KV,
				       "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_E8ads_v5\",\"tier\":\"Standard\","
				       "\"capacity\":2},\"identity\":{\"type\":\"SystemAssigned\"}}");
	rp_status(&r, 201);
	assert_string_equal(check_str(r.json, "etag"), "");
	assert_string_equal(check_str(r.json, "location"), "East US");
	assert_string_equal(check_str(r.json, "type"), "Microsoft.Kusto/Clusters");
	assert_int_equal(strlen(check_str(r.json, "identity.principalId")), 36);
	char aop[2048], tmp[2048];
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aop, sizeof aop));
	assert_non_null(strstr(aop, "/providers/Microsoft.Kusto/locations/East US/operationResults/"));
	assert_false(armsim_http_header(&r, "Location", tmp, sizeof tmp));
	armsim_http_free(&r);
	check_advance(300);
	r = get_status(aop);
	assert_string_equal(check_str(r.json, "status"), "Running");
	double pct = check_num(r.json, "percentComplete");
	assert_true(pct > 0.3 && pct < 0.4); /* 5 of 15 minutes */
	armsim_http_free(&r);
	finish_ops();
	r = get_status(aop);
	assert_string_equal(check_str(r.json, "status"), "Succeeded");
	assert_true(check_num(r.json, "percentComplete") == 1.0);
	armsim_http_free(&r);

	r = check_arm("DELETE", DCL "/adxwire" KV, NULL);
	rp_status(&r, 202);
	assert_true(armsim_http_header(&r, "Location", tmp, sizeof tmp));
	assert_non_null(strstr(tmp, "/locations/East%20US/operationResults/"));
	armsim_http_free(&r);
	r = check_arm("GET", DCL "/adxwire" KV, NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Deleting");
	armsim_http_free(&r);
	finish_ops();
	r = check_arm("GET", DCL "/adxwire" KV, NULL);
	check_error(&r, 404, "ResourceNotFound", NULL);
	armsim_http_free(&r);
}

/* The identity service shows a cluster's system-assigned identity. */
static void test_kusto__system_identity_resource(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", DCL "/adxsys/providers/Microsoft.ManagedIdentity/identities/default"
					      "?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "properties.principalId"), SYS_P);
	assert_string_equal(check_str(r.json, "properties.tenantId"), DT);
	assert_string_equal(check_str(r.json, "type"), "Microsoft.ManagedIdentity/identities");
	armsim_http_free(&r);
	r = check_arm("GET", DCL "/adxuai/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31",
		      NULL);
	check_error(&r, 404, "NotFound", NULL);
	armsim_http_free(&r);
}

static void test_kusto__names_and_versions(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", DCL "/Bad_Name" KV,
				       "{\"location\":\"eastus\",\"sku\":{\"name\":\"Standard_E8ads_v5\",\"tier\":\"Standard\"}}");
	check_error(&r, 400, "BadRequest",
		    "Cluster name 'Bad_Name' is invalid: it must be 4 to 22 characters long, contain only letters "
		    "and numbers, and start with a letter.");
	armsim_http_free(&r);
	r = check_arm("GET", DCL "/adxsys?api-version=2016-01-01", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	armsim_http_free(&r);
	static const char *const ok[] = { "2017-09-07-privatepreview", "2019-09-07", "2021-08-27", "2023-08-15" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		r = check_arm("GET", check_fmt(DCL "/adxsys?api-version=%s", ok[i]), NULL);
		rp_status(&r, 200);
		armsim_http_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest conf[] = {
		cmocka_unit_test(test_conformance__create),
		cmocka_unit_test(test_conformance__update),
		cmocka_unit_test(test_conformance__delete),
		cmocka_unit_test(test_conformance__operation_results),
	};
	const struct CMUnitTest get[] = {
		cmocka_unit_test(test_conformance__get),
	};
	const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_kusto__cmk_rsa_2048_only),
		cmocka_unit_test(test_kusto__cmk_vault_must_be_recoverable),
		cmocka_unit_test(test_kusto__cmk_same_region),
		cmocka_unit_test(test_kusto__cmk_not_on_leader_or_follower),
		cmocka_unit_test(test_kusto__cmk_disabled_key),
		cmocka_unit_test(test_kusto__cmk_needs_access_for_identity),
		cmocka_unit_test(test_kusto__cmk_at_create_with_system_identity),
		cmocka_unit_test(test_kusto__cmk_at_create_with_user_identity),
		cmocka_unit_test(test_kusto__versionless_key_tracks_rotation),
		cmocka_unit_test(test_kusto__remove_key_with_empty_strings),
		cmocka_unit_test(test_kusto__property_names_any_case),
		cmocka_unit_test(test_kusto__user_assigned_identity),
		cmocka_unit_test(test_kusto__rbac_vault_needs_role),
		cmocka_unit_test(test_kusto__wire_quirks_and_lifecycle),
		cmocka_unit_test(test_kusto__system_identity_resource),
		cmocka_unit_test(test_kusto__names_and_versions),
	};
	int fails = cmocka_run_group_tests_name("kusto conformance", conf, setup_conf, check_stop);
	fails += cmocka_run_group_tests_name("kusto conformance (get)", get, setup_get, check_stop);
	fails += cmocka_run_group_tests_name("kusto CMK rules", rules, setup_rules, check_stop);
	return fails;
}
