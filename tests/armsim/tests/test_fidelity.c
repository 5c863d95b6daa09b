/*
 * test_fidelity.c - fidelity gaps found by the client authors, closed one
 * by one: what the request log records (headers, bodies, never credentials),
 * read-only members in write bodies, fault injection by the starting
 * method and 401 faults, Key Vault data actions, key revocation through a
 * deleted identity, and the managed identity endpoints refusing app ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define WS1 RGP "/workspaces/ws1?api-version=2021-06-01"

static int setup(void **state)
{
	(void)state;
	if (check_start("la.yaml", 1) < 0)
		return -1;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxClustersPerRegion\":1000}"));
	/* fetch and cache the ARM token now, so tests see only their own requests */
	armsim_http_resp r;
	if (armsim_arm(&r, g_sim, "GET", WS1, NULL) < 0 || r.status != 200)
		return -1;
	armsim_http_free(&r);
	return 0;
}

/* The log entries after `since`, whole dump (caller frees). */
static cJSON *requests_since(long since)
{
	return check_admin("GET", check_fmt("/_sim/requests?since=%ld", since), NULL);
}

static long last_seq(void)
{
	cJSON *d = check_admin("GET", "/_sim/requests?since=999999999", NULL);
	long n = (long)check_num(d, "lastSeq");
	cJSON_Delete(d);
	return n;
}

/* An ARM write carries its headers and JSON body into the log; Authorization
 * is recorded as present, never its value. */
static void test_reqlog__headers_and_body(void **state)
{
	(void)state;
	static const char *const h[] = { "User-Agent: cmkctl-test/1.2 (fidelity)",
		"x-ms-client-request-id: 0f1e2d3c-4b5a-4697-8877-665544332211",
		"x-ms-correlation-request-id: aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
		"If-Match: \"etag-1\"", NULL };
	long since = last_seq();
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "PATCH", WS1, g_sim->arm_token,
			"{\"tags\":{\"team\":\"obs\"},\"properties\":{\"retentionInDays\":31}}", h) < 0)
		fail_msg("%s", cmk_error_last());
	long status = r.status;
	armsim_http_free(&r);
	if (armsim_http(&r, g_sim, "GET", WS1, NULL, NULL, NULL) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 401);
	armsim_http_free(&r);

	cJSON *d = requests_since(since);
	const cJSON *reqs = check_get(d, "requests");
	assert_int_equal(cJSON_GetArraySize(reqs), 2);
	const cJSON *e = cJSON_GetArrayItem(reqs, 0);
	assert_string_equal(check_str(e, "method"), "PATCH");
	assert_int_equal((long)check_num(e, "status"), status);
	assert_string_equal(check_str(e, "headers.User-Agent"), "cmkctl-test/1.2 (fidelity)");
	assert_string_equal(check_str(e, "headers.x-ms-client-request-id"), "0f1e2d3c-4b5a-4697-8877-665544332211");
	assert_string_equal(check_str(e, "headers.x-ms-correlation-request-id"), "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	assert_string_equal(check_str(e, "headers.Content-Type"), "application/json");
	assert_string_equal(check_str(e, "headers.If-Match"), "\"etag-1\"");
	assert_null(check_get(e, "headers.If-None-Match"));
	assert_null(check_get(e, "headers.Authorization"));
	assert_true(cJSON_IsTrue(check_get(e, "authorization")));
	assert_string_equal(check_str(e, "body.tags.team"), "obs");
	assert_int_equal((int)check_num(e, "body.properties.retentionInDays"), 31);
	const cJSON *e2 = cJSON_GetArrayItem(reqs, 1);
	assert_true(cJSON_IsFalse(check_get(e2, "authorization")));
	assert_null(check_get(e2, "body"));
	/* the bearer token itself is nowhere in the log */
	char *text = cJSON_PrintUnformatted(d);
	assert_null(strstr(text, g_sim->arm_token));
	free(text);
	cJSON_Delete(d);
}

/* A body over 64 KiB is kept as its first 64 KiB of text, marked truncated. */
static void test_reqlog__body_capped(void **state)
{
	(void)state;
	size_t n = 100 * 1024;
	char *big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "{\"tags\":{\"pad\":\"");
	size_t off = strlen(big);
	memset(big + off, 'x', n - off);
	strcpy(big + n, "\"}}");
	long since = last_seq();
	armsim_http_resp r = check_arm("PATCH", WS1, big);
	armsim_http_free(&r);
	cJSON *d = requests_since(since);
	const cJSON *e = cJSON_GetArrayItem(check_get(d, "requests"), 0);
	const char *b = check_str(e, "body");
	assert_non_null(b);
	assert_int_equal(strlen(b), 64 * 1024);
	assert_int_equal(strncmp(b, big, 64 * 1024), 0);
	assert_true(cJSON_IsTrue(check_get(e, "bodyTruncated")));
	cJSON_Delete(d);
	free(big);
}

/* Token requests: the form is logged with client_secret / client_assertion
 * redacted; the secret (right or wrong) never shows in GET /_sim/requests. */
static void test_reqlog__token_secret_never_logged(void **state)
{
	(void)state;
	static const char *const h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	long since = last_seq();
	char *t = NULL;
	if (armsim_token(&t, g_sim, "0a000000-0000-4000-8000-000000000006", "rgc-secret",
			 "https://management.azure.com/.default") < 0)
		fail_msg("%s", cmk_error_last());
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "POST", check_fmt("/%s/oauth2/v2.0/token", TENANT), NULL,
			"grant_type=client_credentials&client_id=0a000000-0000-4000-8000-000000000002"
			"&client_secret=Wr0ng%2BS3cret-Value-42&scope=https%3A%2F%2Fmanagement.azure.com%2F.default", h) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 401);
	armsim_http_free(&r);
	/* an assertion sent to the v1 endpoint without a form content type */
	if (armsim_http(&r, g_sim, "POST", check_fmt("/%s/oauth2/token", TENANT), NULL,
			"grant_type=client_credentials&client_id=0a000000-0000-4000-8000-000000000004"
			"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
			"&client_assertion=eyJhbGciOiJub25lIn0.eyJTRUNSRVRBU1NFUlRJT04iOjF9.&resource=https://management.azure.com/", NULL) < 0)
		fail_msg("%s", cmk_error_last());
	armsim_http_free(&r);

	cJSON *d = requests_since(since);
	char *text = cJSON_PrintUnformatted(d);
	assert_null(strstr(text, "rgc-secret"));
	assert_null(strstr(text, "Wr0ng"));
	assert_null(strstr(text, "S3cret"));
	assert_null(strstr(text, "eyJhbGciOiJub25lIn0"));
	assert_null(strstr(text, "eyJTRUNSRVRBU1NFUlRJT04iOjF9"));
	assert_null(strstr(text, t));
	free(text);
	const cJSON *reqs = check_get(d, "requests");
	assert_int_equal(cJSON_GetArraySize(reqs), 3);
	const cJSON *e = cJSON_GetArrayItem(reqs, 1);
	assert_int_equal((long)check_num(e, "status"), 401);
	assert_string_equal(check_str(e, "body.grant_type"), "client_credentials");
	assert_string_equal(check_str(e, "body.client_id"), "0a000000-0000-4000-8000-000000000002");
	assert_string_equal(check_str(e, "body.client_secret"), "[REDACTED]");
	assert_string_equal(check_str(e, "body.scope"), "https://management.azure.com/.default");
	assert_true(cJSON_IsFalse(check_get(e, "authorization")));
	e = cJSON_GetArrayItem(reqs, 2);
	assert_string_equal(check_str(e, "body.client_assertion"), "[REDACTED]");
	assert_string_equal(check_str(e, "body.client_assertion_type"),
			    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	cJSON_Delete(d);
	free(t);
}

#define M_RO(method) "The property 'properties.associatedWorkspaces' is read-only and cannot be set in a " method " request. Remove it from the request body."

/* "ARM rejects associatedWorkspaces in a PUT": 400 InvalidParameter naming
 * the member, on PUT and PATCH; nothing is created. */
static void test_readonly__associated_workspaces_refused(void **state)
{
	(void)state;
	const char *url = RGP "/clusters/roCluster1?api-version=2021-06-01";
	armsim_http_resp r = check_arm("PUT", url,
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
		"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":100},"
		"\"properties\":{\"associatedWorkspaces\":[]}}");
	check_error(&r, 400, "InvalidParameter", M_RO("PUT"));
	assert_string_equal(check_str(r.json, "error.target"), "properties.associatedWorkspaces");
	armsim_http_free(&r);
	r = check_arm("GET", url, NULL);
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
	/* member names are case-insensitive, as everywhere in ARM bodies */
	r = check_arm("PATCH", url, "{\"Properties\":{\"AssociatedWorkspaces\":[{\"workspaceName\":\"ws1\"}]}}");
	check_error(&r, 400, "InvalidParameter", M_RO("PATCH"));
	armsim_http_free(&r);
}

/* Other read-only members are accepted (ARM ignores them) but audited. */
static void test_readonly__hazard_recorded(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("DELETE", "/_sim/hazards", NULL));
	armsim_http_resp r = check_arm("PATCH", WS1, "{\"tags\":{\"a\":\"b\"}}");
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("PATCH", WS1, "{\"properties\":{\"provisioningState\":\"Succeeded\","
				    "\"customerId\":\"00000000-0000-0000-0000-000000000000\",\"retentionInDays\":30}}");
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("PUT", "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-ro?api-version=2023-01-31",
		      "{\"location\":\"eastus\",\"properties\":{\"clientId\":\"0d000000-0000-4000-8000-0000000000ff\"}}");
	assert_int_equal(r.status, 201);
	armsim_http_free(&r);
	/* null members are not sent values */
	r = check_arm("PATCH", WS1, "{\"properties\":{\"createdDate\":null}}");
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);

	cJSON *h = check_admin("GET", "/_sim/hazards", NULL);
	assert_int_equal((int)check_num(h, "total"), 3);
	assert_int_equal((int)check_num(h, "byKind.read_only_member_sent"), 3);
	const cJSON *a = check_get(h, "hazards");
	assert_string_equal(check_str(cJSON_GetArrayItem(a, 0), "detail"),
			    "PATCH body sets read-only member 'properties.provisioningState'");
	assert_string_equal(check_str(cJSON_GetArrayItem(a, 0), "resourceId"),
			    RGP "/workspaces/ws1");
	assert_string_equal(check_str(cJSON_GetArrayItem(a, 1), "detail"),
			    "PATCH body sets read-only member 'properties.customerId'");
	assert_string_equal(check_str(cJSON_GetArrayItem(a, 2), "detail"),
			    "PUT body sets read-only member 'properties.clientId'");
	cJSON_Delete(h);
	cJSON_Delete(check_admin("DELETE", "/_sim/hazards", NULL));
}

#define SA_CLUSTER "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}"

/* Create a cluster; returns its Azure-AsyncOperation URL (static buffer). */
static const char *create_cluster(const char *name)
{
	static char op[4096];
	armsim_http_resp r = check_arm("PUT", check_fmt(RGP "/clusters/%s?api-version=2021-06-01", name), SA_CLUSTER);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", op, sizeof op));
	armsim_http_free(&r);
	return op;
}

static const char *op_status(const char *url, char *code, size_t codelen)
{
	static char st[64];
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "GET", url, g_sim->arm_token, NULL, NULL) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	snprintf(st, sizeof st, "%s", check_str(r.json, "status") ? check_str(r.json, "status") : "");
	const char *c = check_str(r.json, "error.code");
	snprintf(code, codelen, "%s", c ? c : "");
	armsim_http_free(&r);
	return st;
}

/* An async_fail rule for one method fails the operations a request of that
 * method started, and only those. */
static void test_faults__async_fail_by_starting_method(void **state)
{
	(void)state;
	char code[128], url[4096];
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"method\":\"DELETE\",\"resourceType\":\"Microsoft.OperationalInsights/clusters\",\"fault\":\"async_fail\"}]"));
	snprintf(url, sizeof url, "%s", create_cluster("faultOk"));
	check_advance(2 * 3600 + 60);
	assert_string_equal(op_status(url, code, sizeof code), "Succeeded");

	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"method\":\"PUT\",\"resourceType\":\"Microsoft.OperationalInsights/clusters\",\"fault\":\"async_fail\",\"count\":1}]"));
	snprintf(url, sizeof url, "%s", create_cluster("faultFail"));
	assert_string_equal(op_status(url, code, sizeof code), "InProgress");
	check_advance(2 * 3600 + 60);
	assert_string_equal(op_status(url, code, sizeof code), "Failed");
	assert_string_equal(code, "InternalServerError");
	cJSON *f = check_admin("GET", "/_sim/faults", NULL);
	assert_int_equal((int)check_num(cJSON_GetArrayItem(f, 0), "fired"), 1);
	cJSON_Delete(f);
	/* "*" still matches whatever started the operation */
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"method\":\"*\",\"resourceType\":\"Microsoft.OperationalInsights/clusters\",\"fault\":\"async_fail\",\"count\":1}]"));
	snprintf(url, sizeof url, "%s", create_cluster("faultAny"));
	check_advance(2 * 3600 + 60);
	assert_string_equal(op_status(url, code, sizeof code), "Failed");
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
}

/* Fault "401": the answer to an expired token, challenge included, so a
 * client proves it refreshes its token and retries. */
static void test_faults__401(void **state)
{
	(void)state;
	char www[512];
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"method\":\"GET\",\"resourceType\":\"Microsoft.OperationalInsights/workspaces\",\"fault\":\"401\",\"count\":1},"
		"{\"method\":\"GET\",\"resourceType\":\"*\",\"path\":\"/keys/fault-key\",\"fault\":\"401\",\"count\":1}]"));
	armsim_http_resp r = check_arm("GET", WS1, NULL);
	check_error(&r, 401, "ExpiredAuthenticationToken", NULL);
	const char *m = check_str(r.json, "error.message");
	assert_non_null(m);
	assert_int_equal(strncmp(m, "The access token expiry UTC time '", 34), 0);
	assert_non_null(strstr(m, "' is earlier than current UTC time '"));
	assert_true(armsim_http_header(&r, "WWW-Authenticate", www, sizeof www));
	assert_string_equal(www, check_fmt("Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", "
					   "error_description=\"The access token has expired.\"", g_sim->base_url, TENANT));
	armsim_http_free(&r);
	r = check_arm("GET", WS1, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);

	char *kvt = NULL;
	if (armsim_token(&kvt, g_sim, g_sim->client_id, g_sim->client_secret, "https://vault.azure.net/.default") < 0)
		fail_msg("%s", cmk_error_last());
	if (armsim_http(&r, g_sim, "GET", check_fmt("https://kv-cmk-eus.vault.localhost:%d/keys/fault-key?api-version=7.4", g_sim->port),
			kvt, NULL, NULL) < 0)
		fail_msg("%s", cmk_error_last());
	check_error(&r, 401, "Unauthorized", "AKV10021: The access token has expired.");
	assert_true(armsim_http_header(&r, "WWW-Authenticate", www, sizeof www));
	assert_string_equal(www, check_fmt("Bearer authorization=\"%s/%s\", resource=\"https://vault.azure.net\"",
					   g_sim->base_url, TENANT));
	armsim_http_free(&r);
	free(kvt);
	cJSON *f = check_admin("GET", "/_sim/faults", NULL);
	assert_int_equal((int)check_num(cJSON_GetArrayItem(f, 0), "fired"), 1);
	assert_int_equal((int)check_num(cJSON_GetArrayItem(f, 1), "fired"), 1);
	cJSON_Delete(f);
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
}

#define KV_RBAC_ID "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-rbac"

static long kv_patch_as(const char *client, const char *secret, const char *key, armsim_http_resp *out)
{
	char *t = NULL;
	if (armsim_token(&t, g_sim, client, secret, "https://vault.azure.net/.default") < 0)
		fail_msg("%s", cmk_error_last());
	if (armsim_http(out, g_sim, "PATCH",
			check_fmt("https://kv-rbac.vault.localhost:%d/keys/%s?api-version=7.4", g_sim->port, key),
			t, "{\"attributes\":{\"enabled\":true},\"tags\":{\"owner\":\"obs\"}}", NULL) < 0)
		fail_msg("%s", cmk_error_last());
	free(t);
	return out->status;
}

/* RBAC vaults: updating a key needs the data action
 * Microsoft.KeyVault/vaults/keys/update/action (Key Vault Crypto User has
 * it), not keys/write. */
static void test_kv__rbac_update_is_update_action(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("POST", "/_sim/keys/create", "{\"vault\":\"kv-rbac\",\"name\":\"upd-key\"}"));
	cJSON_Delete(check_admin("POST", "/_sim/role-assignments",
		"{\"scope\":\"" KV_RBAC_ID "\",\"role\":\"Key Vault Crypto User\",\"principalId\":\"0b000000-0000-4000-8000-000000000006\"}"));
	cJSON_Delete(check_admin("POST", "/_sim/role-assignments",
		"{\"scope\":\"" KV_RBAC_ID "\",\"role\":\"Key Vault Crypto Service Encryption User\",\"principalId\":\"0b000000-0000-4000-8000-000000000003\"}"));
	armsim_http_resp r;
	assert_int_equal(kv_patch_as("0a000000-0000-4000-8000-000000000006", "rgc-secret", "upd-key", &r), 200);
	assert_string_equal(check_str(r.json, "tags.owner"), "obs");
	armsim_http_free(&r);
	/* read/wrap/unwrap only: refused, naming the update data action */
	assert_int_equal(kv_patch_as("0a000000-0000-4000-8000-000000000003", "norole-secret", "upd-key", &r), 403);
	assert_string_equal(check_str(r.json, "error.code"), "Forbidden");
	assert_string_equal(check_str(r.json, "error.innererror.code"), "ForbiddenByRbac");
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "\r\nAction: 'Microsoft.KeyVault/vaults/keys/update/action'\r\n"));
	armsim_http_free(&r);
	/* ARM's keys/write (a control-plane action, e.g. Key Vault Contributor's
	 * Microsoft.KeyVault/ wildcard) grants no data-plane update */
	cJSON_Delete(check_admin("POST", "/_sim/role-assignments",
		"{\"scope\":\"" KV_RBAC_ID "\",\"role\":\"Key Vault Contributor\",\"principalId\":\"0b000000-0000-4000-8000-000000000002\"}"));
	assert_int_equal(kv_patch_as("0a000000-0000-4000-8000-000000000002", "reader-secret", "upd-key", &r), 403);
	armsim_http_free(&r);

	/* kv_key_permissions (what LA / Kusto key validation see) agrees */
	cJSON *p = check_admin("POST", "/_sim/keys/permissions",
		"{\"vault\":\"kv-rbac\",\"name\":\"upd-key\",\"objectId\":\"0b000000-0000-4000-8000-000000000006\"}");
	char *txt = cJSON_PrintUnformatted(check_get(p, "permissions"));
	assert_string_equal(txt, "[\"get\",\"list\",\"update\",\"wrapKey\",\"unwrapKey\",\"encrypt\",\"decrypt\",\"sign\",\"verify\"]");
	free(txt);
	cJSON_Delete(p);
	p = check_admin("POST", "/_sim/keys/permissions",
		"{\"vault\":\"kv-rbac\",\"name\":\"upd-key\",\"objectId\":\"0b000000-0000-4000-8000-000000000002\"}");
	assert_int_equal(cJSON_GetArraySize(check_get(p, "permissions")), 0);
	cJSON_Delete(p);
}

static const char *access_state(const char *cluster)
{
	static char buf[64];
	armsim_http_resp r = check_arm("GET", check_fmt(RGP "/clusters/%s?api-version=2026-03-01", cluster), NULL);
	assert_int_equal(r.status, 200);
	assert_true(armsim_http_header(&r, "x-ms-armsim-key-access", buf, sizeof buf));
	const char *body = check_str(r.json, "properties.armsimKeyAccessState");
	if (!strcmp(buf, "Accessible"))
		assert_null(body);
	else
		assert_string_equal(body, buf);
	armsim_http_free(&r);
	return buf;
}

#define UAI_REV "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-rev"

/* The cluster's key identity deleted through ARM: its principal is gone, so
 * the key is lost exactly as with a removed access policy (the policy naming
 * the old object id stays behind, orphaned, as in Azure). */
static void test_revocation__key_identity_deleted(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", UAI_REV "?api-version=2023-01-31", "{\"location\":\"eastus\"}");
	assert_int_equal(r.status, 201);
	char oid[64];
	snprintf(oid, sizeof oid, "%s", check_str(r.json, "properties.principalId"));
	armsim_http_free(&r);
	cJSON_Delete(check_admin("POST", "/_sim/keys/create", "{\"vault\":\"kv-cmk-eus\",\"name\":\"uai-rev-key\"}"));
	cJSON_Delete(check_admin("POST", "/_sim/access-policies/add",
		check_fmt("{\"vault\":\"kv-cmk-eus\",\"objectId\":\"%s\",\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}", oid)));
	r = check_arm("PUT", RGP "/clusters/uaiRevCluster?api-version=2021-06-01",
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UAI_REV "\":{}}},"
		"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000},"
		"\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"uai-rev-key\",\"keyVersion\":\"\"}}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * 3600 + 60);
	assert_string_equal(access_state("uaiRevCluster"), "Accessible");

	r = check_arm("DELETE", UAI_REV "?api-version=2023-01-31", NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	assert_string_equal(access_state("uaiRevCluster"), "Revoking");
	check_advance(59 * 60);
	assert_string_equal(access_state("uaiRevCluster"), "Revoking");
	check_advance(2 * 60);
	assert_string_equal(access_state("uaiRevCluster"), "Inaccessible");
	/* the policy is still there: only the identity went */
	cJSON *p = check_admin("POST", "/_sim/keys/permissions",
		check_fmt("{\"vault\":\"kv-cmk-eus\",\"name\":\"uai-rev-key\",\"objectId\":\"%s\"}", oid));
	assert_int_equal(cJSON_GetArraySize(check_get(p, "permissions")), 3);
	cJSON_Delete(p);
	/* a new identity of the same name is a new principal: no access back */
	r = check_arm("PUT", UAI_REV "?api-version=2023-01-31", "{\"location\":\"eastus\"}");
	assert_int_equal(r.status, 201);
	assert_string_not_equal(check_str(r.json, "properties.principalId"), oid);
	armsim_http_free(&r);
	check_advance(31 * 60);
	assert_string_equal(access_state("uaiRevCluster"), "Inaccessible");
}

/* IMDS and App Service hand out managed identities only: the client_id or
 * object_id of an app registration is refused like an unknown identity. */
static void test_msi__app_registration_refused(void **state)
{
	(void)state;
	const char *ep = check_str(g_sim->ready, "env.IDENTITY_ENDPOINT");
	const char *hv = check_str(g_sim->ready, "env.IDENTITY_HEADER");
	const char *ih[] = { check_fmt("X-IDENTITY-HEADER: %s", hv), NULL };
	static const char *const md[] = { "Metadata: true", NULL };
	/* owner (ServicePrincipal), by client id and object id; a made-up id */
	static const char *const asks[] = { "client_id=0a000000-0000-4000-8000-000000000001",
		"object_id=0b000000-0000-4000-8000-000000000001",
		"client_id=0a000000-0000-4000-8000-0000000000ee" };
	armsim_http_resp r;
	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		if (armsim_http(&r, g_sim, "GET", check_fmt("%s?api-version=2019-08-01&resource=https://management.azure.com/&%s", ep, asks[i]),
				NULL, NULL, ih) < 0)
			fail_msg("%s", cmk_error_last());
		assert_int_equal(r.status, 400);
		assert_int_equal((int)check_num(r.json, "statusCode"), 400);
		assert_string_equal(check_str(r.json, "message"), "Unable to load the proper Managed Identity.");
		assert_int_equal(strlen(check_str(r.json, "correlationId")), 36);
		assert_null(check_get(r.json, "access_token"));
		armsim_http_free(&r);
		if (armsim_http(&r, g_sim, "GET", check_fmt("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&%s", asks[i]),
				NULL, NULL, md) < 0)
			fail_msg("%s", cmk_error_last());
		assert_int_equal(r.status, 400);
		assert_string_equal(check_str(r.json, "error"), "invalid_request");
		assert_string_equal(check_str(r.json, "error_description"), "Identity not found");
		armsim_http_free(&r);
	}
	/* a managed identity by client id still gets its token on both */
	if (armsim_http(&r, g_sim, "GET", check_fmt("%s?api-version=2019-08-01&resource=https://management.azure.com/&client_id=0d000000-0000-4000-8000-000000000001", ep),
			NULL, NULL, ih) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "client_id"), "0d000000-0000-4000-8000-000000000001");
	armsim_http_free(&r);
	if (armsim_http(&r, g_sim, "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/&object_id=0b000000-0000-4000-8000-000000000005",
			NULL, NULL, md) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "client_id"), "0a000000-0000-4000-8000-000000000005");
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reqlog__headers_and_body),
		cmocka_unit_test(test_reqlog__body_capped),
		cmocka_unit_test(test_reqlog__token_secret_never_logged),
		cmocka_unit_test(test_readonly__associated_workspaces_refused),
		cmocka_unit_test(test_readonly__hazard_recorded),
		cmocka_unit_test(test_faults__async_fail_by_starting_method),
		cmocka_unit_test(test_faults__401),
		cmocka_unit_test(test_kv__rbac_update_is_update_action),
		cmocka_unit_test(test_revocation__key_identity_deleted),
		cmocka_unit_test(test_msi__app_registration_refused),
	};
	return cmocka_run_group_tests(tests, setup, check_stop);
}
