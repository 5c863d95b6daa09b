/*
 * test_la_links.c - workspace link/unlink rules (workspaces/linkedServices/
 * cluster), the hazard audit around them, linked storage accounts, and key
 * revocation of a linked cluster, against armsim over HTTPS.
 *
 * Every case starts its own armsim from la.yaml (setup) and makes the state
 * it needs itself: the cases pass in any order and alone
 * (CHECK_TEST_ORDER=reverse|shuffle:SEED, CHECK_TEST_FILTER=name; ctest runs
 * the reversed and a shuffled order too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define M_WS_404 "Workspace not found. The workspace you specified doesn\u2019t exist or was deleted."
#define M_LINK_409 "Workspace link or unlink operation in process."
#define M_LINK_CLUSTER "Cluster not found, the cluster you specified doesn\u2019t exist or was deleted. If you try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to recover it."
#define M_LINK_BUDGET "The number of workspace link operations on particular workspace is limited to 2 in a period of 30 days."
#define M_LINK_MAX "The maximum number of workspaces that can be linked to a cluster is 1000."

#define V "2020-08-01"
#define HOUR 3600.0
#define DAY 86400.0
#define SA_BODY "{\"location\":\"%s\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}"

static const char *link_url(const char *rg, const char *ws)
{
	return check_fmt("/subscriptions/" SUB "/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s/linkedServices/cluster?api-version=" V,
			 rg, ws);
}

static const char *link_body(const char *rg, const char *cluster)
{
	return check_fmt("{\"properties\":{\"writeAccessResourceId\":\"/subscriptions/" SUB "/resourceGroups/%s/providers/Microsoft.OperationalInsights/clusters/%s\"}}",
			 rg, cluster);
}

static void make_cluster(const char *rg, const char *name, const char *loc, bool wait)
{
	armsim_http_resp r = check_arm("PUT",
		check_fmt("/subscriptions/" SUB "/resourceGroups/%s/providers/Microsoft.OperationalInsights/clusters/%s?api-version=2021-06-01", rg, name),
		check_fmt(SA_BODY, loc));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	if (wait)
		check_advance(2 * HOUR + 60);
}

static long put_link(const char *ws, const char *cluster)
{
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", ws), link_body("rg-la", cluster));
	long st = r.status;
	armsim_http_free(&r);
	return st;
}

static int hazards_of(const char *kind)
{
	cJSON *h = check_admin("GET", "/_sim/hazards", NULL);
	double n = check_num(h, check_fmt("byKind.%s", kind));
	cJSON_Delete(h);
	return n < 0 ? 0 : (int)n;
}

/* Each case: a fresh armsim, linkWest created, linkA and linkB still being
 * created when the case starts. */
static int setup(void **state)
{
	(void)state;
	if (check_start("la.yaml", 1) < 0)
		return -1;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxClustersPerRegion\":1000}"));
	make_cluster("rg-west", "linkWest", "westus", true);
	make_cluster("rg-la", "linkA", "eastus", false);
	make_cluster("rg-la", "linkB", "eastus", false);
	return 0;
}

/* ws1 linked to linkA (the link done, linkA still Creating when it started). */
static void link_ws1_to_linkA(void)
{
	assert_int_equal(put_link("ws1", "linkA"), 201);
	check_advance(31 * 60);
	assert_non_null(strstr(check_ws_cluster("ws1"), "/clusters/linkA"));
}

/* The principal of `cluster`'s system-assigned identity, into oid[64]. */
static void cluster_principal(const char *cluster, char *oid)
{
	armsim_http_resp r = check_arm("GET", check_fmt(RGP "/clusters/%s?api-version=2026-03-01", cluster), NULL);
	snprintf(oid, 64, "%s", check_str(r.json, "identity.principalId"));
	armsim_http_free(&r);
}

/* `cluster` finished, and on customer-managed key `key` (new, granted to
 * its identity, the key update done). */
static void cluster_on_cmk(const char *cluster, const char *key)
{
	char oid[64];
	check_advance(2 * HOUR + 60);
	cluster_principal(cluster, oid);
	cJSON_Delete(check_admin("POST", "/_sim/keys/create",
				 check_fmt("{\"vault\":\"kv-cmk-eus\",\"name\":\"%s\"}", key)));
	cJSON_Delete(check_admin("POST", "/_sim/access-policies/add",
		check_fmt("{\"vault\":\"kv-cmk-eus\",\"objectId\":\"%s\",\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}", oid)));
	armsim_http_resp r = check_arm("PATCH", check_fmt(RGP "/clusters/%s?api-version=2021-06-01", cluster),
		check_fmt("{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"%s\",\"keyVersion\":\"\"}}}", key));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(40 * 60);
}

static void test_link__workspace_not_found(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "nows"), link_body("rg-la", "linkA"));
	check_error(&r, 404, "ResourceNotFound", M_WS_404);
	armsim_http_free(&r);
	r = check_arm("DELETE", link_url("rg-la", "nows"), NULL);
	check_error(&r, 404, "ResourceNotFound", M_WS_404);
	armsim_http_free(&r);
}

static void test_link__cluster_not_found(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "nocluster"));
	check_error(&r, 400, "BadRequest", M_LINK_CLUSTER);
	armsim_http_free(&r);
}

static void test_link__lifecycle_sets_cluster_resource_id(void **state)
{
	(void)state;
	char aso[4096];
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "linkA"));
	assert_int_equal(r.status, 201);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "ProvisioningAccount");
	assert_string_equal(check_str(r.json, "name"), "ws1/cluster");
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	/* not linked until the operation completes */
	assert_string_equal(check_ws_cluster("ws1"), "");
	/* a second link while the first runs */
	r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "linkA"));
	check_error(&r, 409, "Conflict", M_LINK_409);
	armsim_http_free(&r);
	r = check_arm("DELETE", link_url("rg-la", "ws1"), NULL);
	check_error(&r, 409, "Conflict", M_LINK_409);
	armsim_http_free(&r);
	/* both refusals are in the audit */
	assert_int_equal(hazards_of("write_while_operation_running"), 2);
	check_advance(31 * 60);
	r = check_arm("GET", aso, NULL);
	assert_string_equal(check_str(r.json, "status"), "Succeeded");
	armsim_http_free(&r);
	assert_non_null(strstr(check_ws_cluster("ws1"), "/clusters/linkA"));
	r = check_arm("GET", RGP "/clusters/linkA?api-version=2026-03-01", NULL);
	const cJSON *aw = check_get(r.json, "properties.associatedWorkspaces");
	assert_int_equal(cJSON_GetArraySize(aw), 1);
	assert_string_equal(check_str(cJSON_GetArrayItem(aw, 0), "workspaceName"), "ws1");
	armsim_http_free(&r);
	r = check_arm("GET", link_url("rg-la", "ws1"), NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
}

static void test_link__linked_before_cluster_ready_is_a_hazard(void **state)
{
	(void)state;
	/* ws1 linked to linkA while linkA is still Creating */
	link_ws1_to_linkA();
	assert_int_equal(hazards_of("link_before_cluster_ready"), 1);
}

static void test_link__already_linked_to_another_cluster(void **state)
{
	(void)state;
	link_ws1_to_linkA();
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "linkB"));
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "linked to another cluster"));
	armsim_http_free(&r);
	/* the same cluster again: a no-op, not an operation */
	r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "linkA"));
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
}

static void test_link__region_mismatch(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "ws2"), link_body("rg-west", "linkWest"));
	check_error(&r, 400, "BadRequest",
		    "Workspace region 'eastus' differs from cluster region 'westus'. Your Azure Key Vault, cluster and "
		    "linked Log Analytics workspaces must be in the same region.");
	armsim_http_free(&r);
}

static void test_link__budget_two_operations_per_30_days(void **state)
{
	(void)state;
	/* ws1: one link so far; unlink = second operation; a third is refused */
	link_ws1_to_linkA();
	armsim_http_resp r = check_arm("DELETE", link_url("rg-la", "ws1"), NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Deleting");
	armsim_http_free(&r);
	check_advance(31 * 60);
	assert_string_equal(check_ws_cluster("ws1"), "");
	r = check_arm("PUT", link_url("rg-la", "ws1"), link_body("rg-la", "linkA"));
	check_error(&r, 400, "BadRequest", M_LINK_BUDGET);
	armsim_http_free(&r);
	assert_int_equal(hazards_of("link_budget_exceeded"), 1);
	check_advance(30 * DAY);
	assert_int_equal(put_link("ws1", "linkA"), 201);
	/* re-linking soon after an unlink is recorded as a flip-flop */
	assert_int_equal(hazards_of("unlink_flipflop"), 0);
	check_advance(31 * 60);
}

static void test_link__flipflop_recorded(void **state)
{
	(void)state;
	assert_int_equal(put_link("ws2", "linkB"), 201);
	check_advance(31 * 60);
	armsim_http_resp r = check_arm("DELETE", link_url("rg-la", "ws2"), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	check_advance(31 * 60);
	cJSON_Delete(check_admin("POST", "/_sim/clock/advance", "{\"seconds\":0}"));
	/* a third operation is over budget; a flip-flop is recorded only when allowed */
	armsim_http_resp r2 = check_arm("PUT", link_url("rg-la", "ws2"), link_body("rg-la", "linkB"));
	check_error(&r2, 400, "BadRequest", M_LINK_BUDGET);
	armsim_http_free(&r2);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"linkBudget\":3}"));
	assert_int_equal(put_link("ws2", "linkB"), 201);
	assert_int_equal(hazards_of("unlink_flipflop"), 1);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"linkBudget\":2}"));
	check_advance(31 * 60);
}

/* "write permissions to both your workspace and cluster": ARM's linked
 * access check, for a principal that may write only in rg-la */
static void test_link__needs_write_on_the_cluster_too(void **state)
{
	(void)state;
	char *t = NULL;
	if (armsim_token(&t, g_sim, "0a000000-0000-4000-8000-000000000006", "rgc-secret",
			 "https://management.azure.com/.default") < 0)
		fail_msg("token");
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "PUT", link_url("rg-la", "ws2"), t, link_body("rg-west", "linkWest"), NULL) < 0)
		fail_msg("PUT");
	check_error(&r, 403, "LinkedAuthorizationFailed",
		    "The client '0b000000-0000-4000-8000-000000000006' with object id '0b000000-0000-4000-8000-000000000006' "
		    "has permission to perform action 'Microsoft.OperationalInsights/workspaces/linkedServices/write' on scope '"
		    "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/workspaces/ws2/linkedServices/cluster'; "
		    "however, it does not have permission to perform action(s) 'Microsoft.OperationalInsights/clusters/write' on the "
		    "linked scope(s) '/subscriptions/" SUB "/resourceGroups/rg-west/providers/Microsoft.OperationalInsights/clusters/linkWest' "
		    "(respectively) or the linked scope(s) are invalid.");
	armsim_http_free(&r);
	/* storage accounts elsewhere: the same check */
	if (armsim_http(&r, g_sim, "PUT", RGP "/workspaces/ws2/linkedStorageAccounts/Query?api-version=" V, t,
			"{\"properties\":{\"storageAccountIds\":[\"/subscriptions/" SUB "/resourceGroups/rg-west/providers/Microsoft.Storage/storageAccounts/sawest\"]}}",
			NULL) < 0)
		fail_msg("PUT");
	check_error(&r, 403, "LinkedAuthorizationFailed", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "'Microsoft.Storage/storageAccounts/write'"));
	armsim_http_free(&r);
	/* a user-assigned identity elsewhere needs assign/action */
	if (armsim_http(&r, g_sim, "PUT", RGP "/clusters/uaiwest?api-version=2021-06-01", t,
			"{\"location\":\"eastus\",\"identity\":{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"/subscriptions/" SUB
			"/resourceGroups/rg-west/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-west\":{}}},"
			"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}", NULL) < 0)
		fail_msg("PUT");
	check_error(&r, 403, "LinkedAuthorizationFailed", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'"));
	armsim_http_free(&r);
	free(t);
}

static void test_link__unlink_when_not_linked(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("DELETE", link_url("rg-la", "ws3"), NULL);
	assert_int_equal(r.status, 204);
	armsim_http_free(&r);
}

static void test_link__max_workspaces_per_cluster(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxLinksPerCluster\":1}"));
	/* linkA already has ws1 */
	link_ws1_to_linkA();
	armsim_http_resp r = check_arm("PUT", link_url("rg-la", "ws3"), link_body("rg-la", "linkA"));
	check_error(&r, 400, "BadRequest", M_LINK_MAX);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"maxLinksPerCluster\":1000}"));
}

static void test_workspace__2015_shape_of_seed_000(void **state)
{
	(void)state;
	link_ws1_to_linkA();
	armsim_http_resp r = check_arm("GET", RGP "/workspaces/ws1?api-version=2015-11-01-preview", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.source"), "Azure");
	assert_int_equal((int)check_num(r.json, "properties.features.searchVersion"), 1);
	assert_int_equal((int)check_num(r.json, "properties.features.legacy"), 0);
	assert_non_null(strstr(check_str(r.json, "properties.features.clusterResourceId"), "/clusters/linkA"));
	assert_int_equal((int)check_num(r.json, "properties.workspaceCapping.dailyQuotaGb"), -1);
	assert_string_equal(check_str(r.json, "properties.workspaceCapping.dataIngestionStatus"), "RespectQuota");
	armsim_http_free(&r);
}

static void test_workspace__create_then_poll_with_its_api_version(void **state)
{
	(void)state;
	static const char *const versions[] = { "2015-03-20", "2020-08-01", "2026-03-01" };
	for (size_t i = 0; i < 3; i++) {
		char loc[4096], aso[4096];
		armsim_http_resp r = check_arm("PUT", check_fmt(RGP "/workspaces/newws%zu?api-version=%s", i, versions[i]),
					       "{\"location\":\"eastus\",\"properties\":{\"RetentionInDays\":60}}");
		assert_int_equal(r.status, 201);
		assert_string_equal(check_str(r.json, "properties.provisioningState"), "Creating");
		/* names come back in the spec's casing */
		assert_int_equal((int)check_num(r.json, "properties.retentionInDays"), 60);
		assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
		assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
		armsim_http_free(&r);
		r = check_arm("GET", loc, NULL);
		assert_int_equal(r.status, 200);
		assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
		armsim_http_free(&r);
		r = check_arm("GET", aso, NULL);
		assert_string_equal(check_str(r.json, "status"), "Succeeded");
		armsim_http_free(&r);
	}
}

static void test_link__list_by_workspace(void **state)
{
	(void)state;
	link_ws1_to_linkA();
	armsim_http_resp r = check_arm("GET", RGP "/workspaces/ws1/linkedServices?api-version=" V, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	armsim_http_free(&r);
}

static void test_link__workspace_list_observes_every_link(void **state)
{
	(void)state;
	link_ws1_to_linkA();
	/* one list call shows features.clusterResourceId of every workspace */
	armsim_http_resp r = check_arm("GET", "/subscriptions/" SUB "/providers/Microsoft.OperationalInsights/workspaces?api-version=2021-06-01&$top=100", NULL);
	assert_int_equal(r.status, 200);
	int linked = 0;
	const cJSON *w;
	cJSON_ArrayForEach(w, check_get(r.json, "value"))
		if (check_str(w, "properties.features.clusterResourceId"))
			linked++;
	assert_true(linked >= 1);
	armsim_http_free(&r);
}

/* ---- linked storage accounts ------------------------------------------------------ */

static const char *lsa(const char *ws, const char *type)
{
	return check_fmt(RGP "/workspaces/%s/linkedStorageAccounts/%s?api-version=" V, ws, type);
}

static void test_lsa__query_and_alerts(void **state)
{
	(void)state;
	const char *body = "{\"properties\":{\"dataSourceType\":\"Query\",\"storageAccountIds\":[\"/subscriptions/" SUB
			   "/resourceGroups/rg-la/providers/Microsoft.Storage/storageAccounts/sa1\"]}}";
	armsim_http_resp r = check_arm("PUT", lsa("ws3", "Query"), body);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.dataSourceType"), "Query");
	assert_string_equal(check_str(r.json, "name"), "Query");
	armsim_http_free(&r);
	r = check_arm("PUT", lsa("ws3", "alerts"), body);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.dataSourceType"), "Alerts");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/workspaces/ws3/linkedStorageAccounts?api-version=" V, NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
	r = check_arm("DELETE", lsa("ws3", "Alerts"), NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("GET", lsa("ws3", "Alerts"), NULL);
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
}

static void test_lsa__errors(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", lsa("nows", "Query"),
				       "{\"properties\":{\"storageAccountIds\":[\"/x\"]}}");
	check_error(&r, 404, "ResourceNotFound", M_WS_404);
	armsim_http_free(&r);
	r = check_arm("PUT", lsa("ws3", "Query"), "{\"properties\":{}}");
	check_error(&r, 400, "BadRequest", "The body of the request is null or in bad format.");
	armsim_http_free(&r);
	r = check_arm("PUT", lsa("ws3", "Query"),
		      "{\"properties\":{\"storageAccountIds\":[\"/subscriptions/" SUB "/resourceGroups/rg-west/providers/Microsoft.Storage/storageAccounts/sawest\"]}}");
	check_error(&r, 400, "BadRequest", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "same region"));
	armsim_http_free(&r);
}

/* ---- key revocation --------------------------------------------------------------- */

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

static void test_revocation__disabled_key_then_recovery(void **state)
{
	(void)state;
	cluster_on_cmk("linkB", "revoke-key");
	assert_string_equal(access_state("linkB"), "Accessible");

	cJSON_Delete(check_admin("POST", "/_sim/keys/disable", "{\"vault\":\"kv-cmk-eus\",\"name\":\"revoke-key\"}"));
	assert_string_equal(access_state("linkB"), "Revoking");
	check_advance(59 * 60);
	assert_string_equal(access_state("linkB"), "Revoking");
	check_advance(2 * 60);
	assert_string_equal(access_state("linkB"), "Inaccessible");
	cJSON_Delete(check_admin("POST", "/_sim/keys/enable", "{\"vault\":\"kv-cmk-eus\",\"name\":\"revoke-key\"}"));
	assert_string_equal(access_state("linkB"), "Recovering");
	check_advance(31 * 60);
	assert_string_equal(access_state("linkB"), "Accessible");
}

static void test_revocation__access_policy_removed(void **state)
{
	(void)state;
	char oid[64];
	cluster_on_cmk("linkB", "revoke-key");
	assert_string_equal(access_state("linkB"), "Accessible");
	cluster_principal("linkB", oid);
	cJSON *j = check_admin("POST", "/_sim/access-policies/remove",
			       check_fmt("{\"vault\":\"kv-cmk-eus\",\"objectId\":\"%s\"}", oid));
	assert_int_equal((int)check_num(j, "removed"), 1);
	cJSON_Delete(j);
	check_advance(HOUR + 60);
	assert_string_equal(access_state("linkB"), "Inaccessible");
}

/* 003: "If you disable or delete your old key before updating the new key
 * in the cluster, you will get into key revocation state." */
static void test_revocation__rotation_then_old_version_disabled(void **state)
{
	(void)state;
	char oid[64];
	check_advance(2 * HOUR + 60); /* linkA finished */
	cluster_principal("linkA", oid);
	cJSON *b = check_admin("POST", "/_sim/keys/create", "{\"vault\":\"kv-cmk-eus\",\"name\":\"rot-key\"}");
	char v1[64];
	snprintf(v1, sizeof v1, "%s", strrchr(check_str(b, "key.kid"), '/') + 1);
	cJSON_Delete(b);
	cJSON_Delete(check_admin("POST", "/_sim/access-policies/add",
		check_fmt("{\"vault\":\"kv-cmk-eus\",\"objectId\":\"%s\",\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}", oid)));
	const char *patch = "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"" KV_URI "\",\"keyName\":\"rot-key\",\"keyVersion\":\"%s\"}}}";
	armsim_http_resp r = check_arm("PATCH", RGP "/clusters/linkA?api-version=2021-06-01", check_fmt(patch, v1));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(40 * 60);
	b = check_admin("POST", "/_sim/keys/rotate", "{\"vault\":\"kv-cmk-eus\",\"name\":\"rot-key\"}");
	char v2[64];
	snprintf(v2, sizeof v2, "%s", strrchr(check_str(b, "key.kid"), '/') + 1);
	cJSON_Delete(b);
	assert_string_not_equal(v1, v2);
	/* the cluster keeps using v1: still accessible */
	assert_string_equal(access_state("linkA"), "Accessible");
	cJSON_Delete(check_admin("POST", "/_sim/keys/disable",
				 check_fmt("{\"vault\":\"kv-cmk-eus\",\"name\":\"rot-key\",\"version\":\"%s\"}", v1)));
	assert_string_equal(access_state("linkA"), "Revoking");
	/* updating the cluster to the new version ends it */
	r = check_arm("PATCH", RGP "/clusters/linkA?api-version=2021-06-01", check_fmt(patch, v2));
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(40 * 60);
	assert_string_equal(access_state("linkA"), "Accessible");
}

/* Deleting a linked workspace unlinks it from its cluster first (regression:
 * the unlink read the cluster id from the member it had just freed). */
static void test_workspace__delete_linked_workspace_unlinks_it(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", RGP "/workspaces/wsdel?api-version=2021-06-01",
				       "{\"location\":\"eastus\",\"properties\":{\"sku\":{\"name\":\"PerGB2018\"}}}");
	assert_true(r.status == 200 || r.status == 201);
	armsim_http_free(&r);
	check_advance(HOUR);
	assert_int_equal(put_link("wsdel", "linkA"), 201);
	check_advance(91 * 60);
	assert_non_null(strstr(check_ws_cluster("wsdel"), "/clusters/linkA"));
	r = check_arm("DELETE", RGP "/workspaces/wsdel?api-version=2021-06-01", NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/clusters/linkA?api-version=2026-03-01", NULL);
	assert_int_equal(r.status, 200);
	const cJSON *aw = check_get(r.json, "properties.associatedWorkspaces");
	for (int i = 0; i < cJSON_GetArraySize(aw); i++)
		assert_string_not_equal(check_str(cJSON_GetArrayItem(aw, i), "workspaceName"), "wsdel");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/workspaces/wsdel?api-version=2021-06-01", NULL);
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link__workspace_not_found, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__cluster_not_found, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__lifecycle_sets_cluster_resource_id, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__linked_before_cluster_ready_is_a_hazard, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__already_linked_to_another_cluster, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__region_mismatch, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__budget_two_operations_per_30_days, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__flipflop_recorded, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__needs_write_on_the_cluster_too, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__unlink_when_not_linked, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__max_workspaces_per_cluster, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_workspace__2015_shape_of_seed_000, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_workspace__create_then_poll_with_its_api_version, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__list_by_workspace, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_link__workspace_list_observes_every_link, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_lsa__query_and_alerts, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_lsa__errors, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_revocation__disabled_key_then_recovery, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_revocation__access_policy_removed, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_revocation__rotation_then_old_version_disabled, setup, check_stop),
		cmocka_unit_test_setup_teardown(test_workspace__delete_linked_workspace_unlinks_it, setup, check_stop),
	};
	return check_run_group("test_la_links", tests, sizeof tests / sizeof tests[0], NULL, NULL);
}
