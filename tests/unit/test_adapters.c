/*
 * test_adapters.c - the pure half of the resource adapters: ARM JSON of
 * every shape the services served into the live model (casing, dates,
 * display-name locations, unknown and missing members), and request bodies
 * that never carry a read-only member.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_identity.h"
#include "providers/adapter_key.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_role.h"
#include "providers/adapter_util.h"
#include "providers/adapter_vault.h"
#include "providers/adapter_workspace.h"

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	if (!j)
		fail_msg("bad JSON in the test: %s", text);
	return j;
}

/* Whether `name` occurs as a member anywhere in `doc` (any case). */
static int has_member(const cJSON *doc, const char *name)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, doc) {
		if (m->string && strcasecmp(m->string, name) == 0)
			return 1;
		if ((cJSON_IsObject(m) || cJSON_IsArray(m)) && has_member(m, name))
			return 1;
	}
	return 0;
}

static void test_adapters__cluster_2019_shape_capitalised_key_rfc1123(void **state)
{
	/* api-version 2019-08-01-preview: PascalCase key, no sku, RFC 1123 dates */
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourcegroups/rg/providers/"
			   "microsoft.operationalinsights/clusters/c1\",\"name\":\"c1\","
			   "\"location\":\"East US\",\"identity\":{\"type\":\"SystemAssigned\","
			   "\"principalId\":\"p1\",\"tenantId\":\"t1\"},\"properties\":{"
			   "\"provisioningState\":\"Updating\",\"clusterType\":\"LogAnalytics\","
			   "\"KeyVaultProperties\":{\"KeyVaultUri\":\"https://kv1.vault.azure.net\","
			   "\"KeyName\":\"k\",\"KeyVersion\":\"v1\"},\"createdDate\":"
			   "\"Thu, 03 Nov 2022 07:31:31 GMT\",\"someFutureField\":{\"x\":1}}}");
	live_state s = { 0 };

	assert_int_equal(adapter_cluster_add(&s, doc), 0);
	assert_int_equal(s.cluster_count, 1);
	live_la_cluster *c = &s.clusters[0];
	assert_string_equal(c->location, "eastus");
	assert_string_equal(c->key.vault_uri, "https://kv1.vault.azure.net");
	assert_string_equal(c->key.key_name, "k");
	assert_string_equal(c->key.key_version, "v1");
	assert_string_equal(c->created, "2022-11-03T07:31:31Z");
	assert_int_equal(c->capacity, 1000); /* no sku in 2019: 1000 GB/day */
	assert_true(c->busy);
	assert_string_equal(c->identity.principal_id, "p1");
	assert_string_equal(c->cluster_type, "LogAnalytics");
	assert_null(c->sku_name);
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__cluster_2026_shape(void **state)
{
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourcegroups/rg/providers/"
			   "microsoft.operationalinsights/clusters/c1\",\"name\":\"c1\","
			   "\"location\":\"eastus\",\"sku\":{\"name\":\"CapacityReservation\","
			   "\"capacity\":1200},\"tags\":{\"team\":\"obs\"},\"identity\":{\"type\":"
			   "\"UserAssigned\",\"userAssignedIdentities\":{\"subscriptions/s1/"
			   "resourceGroups/rg/providers/Microsoft.ManagedIdentity/"
			   "userAssignedIdentities/u1\":{\"principalId\":\"pu\"}}},\"properties\":{"
			   "\"provisioningState\":\"Succeeded\",\"billingType\":\"Workspaces\","
			   "\"isDoubleEncryptionEnabled\":\"true\",\"keyVaultProperties\":{"
			   "\"keyVaultUri\":\"https://kv1.vault.azure.net/\",\"keyName\":\"k\","
			   "\"keyVersion\":\"\",\"keyRsaSize\":2048},\"capacityReservationProperties\":"
			   "{\"lastSkuUpdate\":\"2026-01-02T03:04:05.1234567+01:00\"},"
			   "\"lastModifiedDate\":\"2026-01-02T03:04:05Z\"}}");
	live_state s = { 0 };

	assert_int_equal(adapter_cluster_add(&s, doc), 0);
	live_la_cluster *c = &s.clusters[0];
	assert_int_equal(c->capacity, 1200);
	assert_string_equal(c->billing_type, "Workspaces");
	assert_true(c->double_encryption);
	assert_false(c->busy);
	assert_string_equal(c->key.key_version, "");
	assert_int_equal(c->key.key_rsa_size, 2048);
	assert_string_equal(c->last_sku_update, "2026-01-02T02:04:05Z");
	assert_int_equal(c->identity.user_assigned_count, 1);
	/* the seeds' slash-less id gets its slash back */
	assert_string_equal(c->identity.user_assigned[0], "/subscriptions/s1/resourceGroups/rg/"
			    "providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1");
	assert_int_equal(c->tags.count, 1);
	assert_string_equal(c->tags.items[0].value, "obs");
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__removed_key_reads_as_no_key(void **state)
{
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "Microsoft.OperationalInsights/clusters/c1\",\"properties\":{"
			   "\"keyVaultProperties\":{\"keyVaultUri\":\"\",\"keyName\":\"\","
			   "\"keyVersion\":\"\"}}}");
	live_state s = { 0 };

	assert_int_equal(adapter_cluster_add(&s, doc), 0);
	assert_null(s.clusters[0].key.vault_uri);
	assert_null(s.clusters[0].provisioning_state);
	assert_false(s.clusters[0].busy); /* missing provisioningState = Succeeded */
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__not_a_resource_is_an_error(void **state)
{
	cJSON *doc = parse("{\"error\":{\"code\":\"x\"}}");
	live_state s = { 0 };

	assert_int_equal(adapter_cluster_add(&s, doc), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "no id"));
	assert_int_equal(s.cluster_count, 0);
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__cluster_bodies_have_no_read_only_members(void **state)
{
	live_key_ref key = { .vault_uri = "https://kv1.vault.azure.net/", .key_name = "k",
			     .key_version = "0123456789abcdef0123456789abcdef", .key_rsa_size = 2048 };
	adapter_cluster_spec create = { .location = "eastus", .identity_type = "SystemAssigned",
					.capacity = 1000, .billing_type = "Cluster",
					.double_encryption = 1, .availability_zones = -1 };
	static const char *const ro[] = { "associatedWorkspaces", "provisioningState",
					  "clusterId", "createdDate", "lastModifiedDate",
					  "principalId", "tenantId", "lastSkuUpdate", NULL };
	cJSON *b = NULL;
	char *text;

	assert_int_equal(adapter_cluster_body(&b, &create, 1), 0);
	for (int i = 0; ro[i]; i++)
		assert_false(has_member(b, ro[i]));
	/* the resource's own id, name and type are in the URL, not the body */
	assert_null(cJSON_GetObjectItem(b, "id"));
	assert_null(cJSON_GetObjectItem(b, "name"));
	assert_null(cJSON_GetObjectItem(b, "type"));
	assert_false(has_member(b, "keyVaultProperties"));
	text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},"
			    "\"sku\":{\"name\":\"CapacityReservation\",\"capacity\":1000},"
			    "\"properties\":{\"billingType\":\"Cluster\","
			    "\"isDoubleEncryptionEnabled\":true}}");
	free(text);
	cJSON_Delete(b);

	/* the documented 400: no key at creation with a system-assigned identity */
	create.key = &key;
	assert_int_equal(adapter_cluster_body(&b, &create, 1), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "system-assigned"));
	assert_null(b);

	adapter_cluster_spec upd = { .double_encryption = -1, .availability_zones = -1, .key = &key };
	assert_int_equal(adapter_cluster_body(&b, &upd, 0), 0);
	for (int i = 0; ro[i]; i++)
		assert_false(has_member(b, ro[i]));
	text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":"
			    "\"https://kv1.vault.azure.net/\",\"keyName\":\"k\",\"keyVersion\":"
			    "\"0123456789abcdef0123456789abcdef\",\"keyRsaSize\":2048}}}");
	free(text);
	cJSON_Delete(b);

	/* key removal: empty strings, as the service expects */
	live_key_ref none = { 0 };
	upd.key = &none;
	assert_int_equal(adapter_cluster_body(&b, &upd, 0), 0);
	text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"properties\":{\"keyVaultProperties\":{\"keyVaultUri\":\"\","
			    "\"keyName\":\"\",\"keyVersion\":\"\"}}}");
	free(text);
	cJSON_Delete(b);

	/* the legacy Application Insights type: at creation only */
	adapter_cluster_spec ai = { .location = "westus", .double_encryption = -1,
				    .availability_zones = -1, .cluster_type = "ApplicationInsights" };
	assert_int_equal(adapter_cluster_body(&b, &ai, 1), 0);
	assert_string_equal(adapter_str(b, "properties.clusterType"), "ApplicationInsights");
	cJSON_Delete(b);
	assert_int_equal(adapter_cluster_body(&b, &ai, 0), 0);
	assert_false(has_member(b, "clusterType"));
	cJSON_Delete(b);
	ai.cluster_type = "LogAnalytics";
	assert_int_equal(adapter_cluster_body(&b, &ai, 1), 0);
	assert_false(has_member(b, "clusterType"));
	cJSON_Delete(b);

	/* user-assigned at creation may carry the key */
	adapter_cluster_spec ua = { .location = "eastus", .identity_type = "UserAssigned",
				    .user_identity_id = "/subscriptions/s1/resourceGroups/rg/providers/"
				    "Microsoft.ManagedIdentity/userAssignedIdentities/u1",
				    .double_encryption = -1, .availability_zones = -1, .key = &key };
	assert_int_equal(adapter_cluster_body(&b, &ua, 1), 0);
	assert_non_null(adapter_path(b, "identity.userAssignedIdentities"));
	assert_non_null(adapter_path(b, "properties.keyVaultProperties.keyName"));
	assert_false(has_member(b, "principalId"));
	cJSON_Delete(b);
}

static void test_adapters__workspace_link_from_features(void **state)
{
	cJSON *doc = parse("{\"value\":[{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "Microsoft.OperationalInsights/workspaces/w1\",\"name\":\"w1\","
			   "\"location\":\"West US 2\",\"properties\":{\"customerId\":\"c-1\","
			   "\"Features\":{\"ClusterResourceId\":\"/subscriptions/s1/resourcegroups/rg/"
			   "providers/microsoft.operationalinsights/clusters/c1\"}}},"
			   "{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "Microsoft.OperationalInsights/workspaces/w2\",\"properties\":{"
			   "\"features\":{\"clusterResourceId\":\"\"}}}]}");
	live_state s = { 0 };
	const cJSON *item;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "value"))
		assert_int_equal(adapter_workspace_add(&s, item), 0);
	assert_int_equal(s.workspace_count, 2);
	assert_string_equal(s.workspaces[0].location, "westus2");
	assert_non_null(strstr(s.workspaces[0].cluster_resource_id, "/clusters/c1"));
	assert_null(s.workspaces[1].cluster_resource_id);
	assert_int_equal(s.workspaces[0].link_operations_30d, -1);
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__vault_policies_lower_cased(void **state)
{
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "Microsoft.KeyVault/vaults/kv1\",\"name\":\"kv1\",\"location\":\"eastus\","
			   "\"properties\":{\"tenantId\":\"t1\",\"vaultUri\":\"https://kv1.vault.azure.net/\","
			   "\"enablePurgeProtection\":true,\"accessPolicies\":[{\"tenantId\":\"t1\","
			   "\"objectId\":\"o1\",\"permissions\":{\"keys\":[\"Get\",\"WrapKey\","
			   "\"unwrapKey\"],\"secrets\":[\"get\"]}}]}}");
	live_state s = { 0 };

	assert_int_equal(adapter_vault_add(&s, doc), 0);
	live_vault *v = &s.vaults[0];
	assert_true(v->soft_delete); /* absent: the spec's default */
	assert_true(v->purge_protection);
	assert_false(v->rbac_authorization);
	assert_int_equal(v->access_policy_count, 1);
	assert_string_equal(v->access_policies[0].key_permissions[1], "wrapkey");
	assert_true(live_access_policy_grants_key_use(&v->access_policies[0]));
	live_state_free(&s);
	cJSON_Delete(doc);

	cJSON *b = NULL;
	assert_int_equal(adapter_access_policy_body(&b, "t1", "o1"), 0);
	char *text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"properties\":{\"accessPolicies\":[{\"tenantId\":\"t1\","
			    "\"objectId\":\"o1\",\"permissions\":{\"keys\":[\"get\",\"wrapKey\","
			    "\"unwrapKey\"]}}]}}");
	free(text);
	cJSON_Delete(b);
}

static void test_adapters__role_assignment_name_is_deterministic(void **state)
{
	char a[37], b[37], c[37], d[37];
	const char *scope = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1";

	adapter_role_assignment_name(a, scope, "P1", ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION);
	adapter_role_assignment_name(b, "/SUBSCRIPTIONS/s1/resourcegroups/RG/providers/"
				     "microsoft.keyvault/vaults/KV1/", "p1",
				     ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION);
	adapter_role_assignment_name(c, scope, "p2", ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION);
	adapter_role_assignment_name(d, scope, "p1", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '5');                /* version 5 */
	assert_non_null(strchr("89ab", a[19]));      /* RFC 4122 variant */

	cJSON *body = NULL;
	assert_int_equal(adapter_role_assignment_body(&body, scope, "p1",
						      ADAPTER_ROLE_KV_CRYPTO_SERVICE_ENCRYPTION), 0);
	assert_string_equal(adapter_str(body, "properties.roleDefinitionId"),
			    "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/"
			    "e147488a-f6f5-4113-8e2d-b22465e65bf6");
	assert_string_equal(adapter_str(body, "properties.principalType"), "ServicePrincipal");
	cJSON_Delete(body);
}

static void test_adapters__key_bundle(void **state)
{
	/* a 2048-bit modulus is 256 octets: 342 base64url characters */
	char n[400];
	memset(n, 'x', 342);
	n[0] = 'w'; /* high bit set: no padding octet */
	n[342] = '\0';
	char text[1200];
	snprintf(text, sizeof(text), "{\"key\":{\"kid\":\"https://kv1.vault.azure.net/keys/k/"
		 "0123456789abcdef0123456789abcdef\",\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"},"
		 "\"attributes\":{\"enabled\":false,\"exp\":1700000000}}", n);
	cJSON *doc = parse(text);
	live_state s = { 0 };

	assert_int_equal(adapter_key_add(&s, "/subscriptions/s1/resourceGroups/rg/providers/"
					 "Microsoft.KeyVault/vaults/kv1", "https://kv1.vault.azure.net/",
					 "k", doc), 0);
	assert_int_equal(adapter_key_add(&s, "/v", "https://kv1.vault.azure.net/", "gone", NULL), 0);
	assert_true(s.keys[0].exists);
	assert_string_equal(s.keys[0].current_version, "0123456789abcdef0123456789abcdef");
	assert_int_equal(s.keys[0].key_size, 2048);
	assert_false(s.keys[0].enabled);
	assert_string_equal(s.keys[0].expires, "2023-11-14T22:13:20Z");
	assert_false(s.keys[1].exists);
	/* sign padding: a leading zero octet does not count */
	assert_int_equal(adapter_key_rsa_bits("AAE"), 8);
	assert_int_equal(adapter_key_rsa_bits("not base64!"), 0);
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__kusto_display_location_and_versionless_key(void **state)
{
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "Microsoft.Kusto/Clusters/adx1\",\"type\":\"Microsoft.Kusto/Clusters\","
			   "\"name\":\"adx1\",\"location\":\"East US 2\",\"identity\":{\"type\":"
			   "\"SystemAssigned, UserAssigned\",\"principalId\":\"p\"},\"properties\":{"
			   "\"state\":\"Updating\",\"provisioningState\":\"Running\","
			   "\"keyVaultProperties\":{\"keyVaultUri\":\"https://kv1.vault.azure.net/\","
			   "\"keyName\":\"k\",\"keyVersion\":\"\"}}}");
	live_state s = { 0 };

	assert_int_equal(adapter_kusto_add(&s, doc), 0);
	assert_string_equal(s.kusto_clusters[0].location, "eastus2");
	assert_string_equal(s.kusto_clusters[0].identity.type, "SystemAssigned,UserAssigned");
	assert_string_equal(s.kusto_clusters[0].key.key_version, "");
	assert_true(s.kusto_clusters[0].busy);
	live_state_free(&s);
	cJSON_Delete(doc);

	live_key_ref key = { .vault_uri = "https://kv1.vault.azure.net/", .key_name = "k" };
	adapter_kusto_spec spec = { .identity_type = "SystemAssigned", .key = &key };
	cJSON *b = NULL;
	assert_int_equal(adapter_kusto_body(&b, &spec), 0);
	char *text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"identity\":{\"type\":\"SystemAssigned\"},\"properties\":{"
			    "\"keyVaultProperties\":{\"keyVaultUri\":\"https://kv1.vault.azure.net/\","
			    "\"keyName\":\"k\",\"keyVersion\":\"\"}}}");
	free(text);
	cJSON_Delete(b);
}

static void test_adapters__component_body_strips_read_only(void **state)
{
	cJSON *cur = parse("{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
			   "microsoft.insights/components/ai1\",\"name\":\"ai1\",\"type\":"
			   "\"microsoft.insights/components\",\"location\":\"eastus\",\"kind\":\"web\","
			   "\"tags\":{\"a\":\"b\"},\"properties\":{\"AppId\":\"x\",\"ApplicationId\":\"ai1\","
			   "\"Application_Type\":\"web\",\"Flow_Type\":\"Bluefield\",\"InstrumentationKey\":"
			   "\"ik\",\"ConnectionString\":\"cs\",\"CreationDate\":\"2020-01-01T00:00:00Z\","
			   "\"TenantId\":\"s1\",\"provisioningState\":\"Succeeded\",\"HockeyAppId\":\"\","
			   "\"SamplingPercentage\":100}}");
	cJSON *b = NULL;

	assert_int_equal(adapter_component_body(&b, cur, "cluster-guid"), 0);
	static const char *const ro[] = { "AppId", "ApplicationId", "InstrumentationKey",
					  "ConnectionString", "CreationDate", "TenantId",
					  "provisioningState", "HockeyAppId", NULL };
	for (int i = 0; ro[i]; i++)
		assert_false(has_member(b, ro[i]));
	assert_null(cJSON_GetObjectItem(b, "id"));
	assert_null(cJSON_GetObjectItem(b, "name"));
	assert_null(cJSON_GetObjectItem(b, "type"));
	assert_string_equal(adapter_str(b, "properties.Application_Type"), "web");
	assert_string_equal(adapter_str(b, "properties.clusterDefinitionId"), "cluster-guid");
	assert_string_equal(adapter_str(b, "tags.a"), "b");
	cJSON_Delete(b);

	live_state s = { 0 };
	cJSON *withdef = parse("{\"id\":\"/x/c\",\"location\":\"East US\",\"properties\":"
			       "{\"ClusterDefinitionId\":\"g1\"}}");
	assert_int_equal(adapter_component_add(&s, withdef), 0);
	assert_string_equal(s.components[0].cluster_definition_id, "g1");
	assert_string_equal(s.components[0].location, "eastus");
	live_state_free(&s);
	cJSON_Delete(withdef);
	cJSON_Delete(cur);
}

static void test_adapters__dates(void **state)
{
	long long t;
	char *s = NULL;

	assert_int_equal(adapter_parse_date(&t, "Thu, 03 Nov 2022 07:31:31 GMT"), 0);
	assert_int_equal(t, 1667460691);
	assert_int_equal(adapter_parse_date(&t, "2022-11-03T07:31:31Z"), 0);
	assert_int_equal(t, 1667460691);
	assert_int_equal(adapter_parse_date(&t, "2022-11-03T07:31:31.1234567Z"), 0);
	assert_int_equal(t, 1667460691);
	assert_int_equal(adapter_parse_date(&t, "2022-11-03T09:31:31+02:00"), 0);
	assert_int_equal(t, 1667460691);
	assert_int_equal(adapter_parse_date(&t, "2022-11-03T07:31:31"), 0);
	assert_int_equal(t, 1667460691);
	assert_int_equal(adapter_parse_date(&t, "yesterday"), CMK_EINVALID);
	/* kept as written rather than failing a read */
	assert_int_equal(adapter_dup_date(&s, "yesterday"), 0);
	assert_string_equal(s, "yesterday");
	free(s);
}

static void test_adapters__linked_storage_and_identity(void **state)
{
	cJSON *doc = parse("{\"id\":\"/subscriptions/s1/resourcegroups/rg/providers/"
			   "microsoft.operationalinsights/workspaces/w1/linkedStorageAccounts/Query\","
			   "\"name\":\"Query\",\"properties\":{\"storageAccountIds\":[\"/sa1\",\"/sa2\"]}}");
	live_state s = { 0 };
	const char *ids[] = { "/sa1" };
	cJSON *b = NULL;

	assert_int_equal(adapter_linked_storage_add(&s, "/w1", doc), 0);
	assert_string_equal(s.linked_storage[0].data_source_type, "Query");
	assert_int_equal(s.linked_storage[0].storage_account_count, 2);
	assert_int_equal(adapter_linked_storage_body(&b, ids, 1), 0);
	char *text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"properties\":{\"storageAccountIds\":[\"/sa1\"]}}");
	free(text);
	cJSON_Delete(b);
	cJSON_Delete(doc);

	doc = parse("{\"id\":\"/subscriptions/s1/resourceGroups/rg/providers/"
		    "Microsoft.ManagedIdentity/userAssignedIdentities/u1\",\"name\":\"u1\","
		    "\"location\":\"eastus\",\"properties\":{\"principalId\":\"p\",\"clientId\":\"c\","
		    "\"tenantId\":\"t\",\"isolationScope\":\"None\"}}");
	assert_int_equal(adapter_identity_add(&s, doc), 0);
	assert_string_equal(s.identities[0].principal_id, "p");
	assert_int_equal(adapter_identity_body(&b, "eastus", NULL), 0);
	text = cJSON_PrintUnformatted(b);
	assert_string_equal(text, "{\"location\":\"eastus\",\"tags\":{}}");
	free(text);
	cJSON_Delete(b);
	live_state_free(&s);
	cJSON_Delete(doc);
}

static void test_adapters__append_to_a_state_loaded_from_json(void **state)
{
	/* arrays from live_state_from_json have their exact size */
	cJSON *fx = parse("{\"workspaces\":[{\"id\":\"/subscriptions/s/resourceGroups/r/providers/"
			  "Microsoft.OperationalInsights/workspaces/a\"},{\"id\":\"/subscriptions/s/"
			  "resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/b\"},"
			  "{\"id\":\"/subscriptions/s/resourceGroups/r/providers/"
			  "Microsoft.OperationalInsights/workspaces/c\"}]}");
	cJSON *doc = parse("{\"id\":\"/subscriptions/s/resourceGroups/r/providers/"
			   "Microsoft.OperationalInsights/workspaces/d\",\"name\":\"d\"}");
	live_state s = { 0 };

	assert_int_equal(live_state_from_json(&s, fx), 0);
	assert_int_equal(s.workspace_count, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(adapter_workspace_add(&s, doc), 0);
	assert_int_equal(s.workspace_count, 8);
	assert_string_equal(s.workspaces[7].name, "d");
	assert_non_null(strstr(s.workspaces[2].id, "/workspaces/c"));
	live_state_free(&s);
	cJSON_Delete(doc);
	cJSON_Delete(fx);
}

/* The vendored spec examples (tests/armsim/tests/armspec/examples), found
 * next to this file. */
static cJSON *example(const char *rel)
{
	char path[1024];
	const char *slash = strrchr(__FILE__, '/');
	cJSON *doc;

	snprintf(path, sizeof(path), "%.*s/../armsim/tests/armspec/examples/%s",
		 (int)(slash ? slash - __FILE__ : 1), slash ? __FILE__ : ".", rel);
	cmk_buf b = CMK_BUF_INIT;
	if (cmk_buf_read_file(&b, path) < 0)
		fail_msg("%s: %s", path, cmk_error_last());
	doc = cJSON_ParseWithLength(cmk_buf_cstr(&b), b.len);
	cmk_buf_free(&b);
	if (!doc)
		fail_msg("%s: not JSON", path);
	return doc;
}

static const cJSON *example_body(const cJSON *ex, const char *status)
{
	const cJSON *b = adapter_path(adapter_get(ex, "responses"), status);

	b = adapter_get(b, "body");
	assert_non_null(b);
	return b;
}

static void test_adapters__spec_examples_read_into_the_model(void **state)
{
	live_state s = { 0 };
	cJSON *ex;
	const cJSON *item;

	ex = example("Microsoft.OperationalInsights/2026-03-01/ClustersGet.json");
	assert_int_equal(adapter_cluster_add(&s, example_body(ex, "200")), 0);
	assert_string_equal(s.clusters[0].key.key_name, "aztest2170cert");
	assert_string_equal(s.clusters[0].key.vault_uri, "https://aztest2170.vault.azure.net");
	assert_int_equal(s.clusters[0].capacity, 1000);
	assert_true(s.clusters[0].double_encryption && s.clusters[0].availability_zones);
	assert_string_equal(s.clusters[0].last_sku_update, "2020-01-13T17:40:33Z");
	assert_string_equal(s.clusters[0].identity.principal_id, "356d057d-cba5-44dd-8a30-b2e547bc416b");
	cJSON_Delete(ex);

	ex = example("Microsoft.OperationalInsights/2026-03-01/ClustersSubscriptionList.json");
	cJSON_ArrayForEach(item, adapter_get(example_body(ex, "200"), "value"))
		assert_int_equal(adapter_cluster_add(&s, item), 0);
	assert_true(s.cluster_count >= 2);
	cJSON_Delete(ex);

	ex = example("Microsoft.OperationalInsights/2026-03-01/WorkspacesGet.json");
	assert_int_equal(adapter_workspace_add(&s, example_body(ex, "200")), 0);
	assert_non_null(s.workspaces[0].customer_id);
	cJSON_Delete(ex);

	ex = example("Microsoft.OperationalInsights/2026-03-01/LinkedStorageAccountsGet.json");
	assert_int_equal(adapter_linked_storage_add(&s, "/w", example_body(ex, "200")), 0);
	assert_true(s.linked_storage[0].storage_account_count >= 1);
	cJSON_Delete(ex);

	ex = example("Microsoft.KeyVault/2026-02-01/getVault.json");
	assert_int_equal(adapter_vault_add(&s, example_body(ex, "200")), 0);
	assert_string_equal(s.vaults[0].name, "sample-vault");
	assert_non_null(s.vaults[0].vault_uri);
	assert_true(live_access_policy_grants_key_use(&s.vaults[0].access_policies[0]));
	cJSON_Delete(ex);

	ex = example("KeyVault.data-plane.Keys/7.6/GetKey-example.json");
	assert_int_equal(adapter_key_add(&s, "/v", "https://myvault.vault.azure.net/", "CreateSoftKeyTest",
					 example_body(ex, "200")), 0);
	assert_string_equal(s.keys[0].current_version, "78deebed173b48e48f55abf87ed4cf71");
	assert_int_equal(s.keys[0].key_size, 2048);
	assert_true(s.keys[0].enabled);
	cJSON_Delete(ex);

	ex = example("Microsoft.ManagedIdentity/2026-05-31/IdentityGet.json");
	assert_int_equal(adapter_identity_add(&s, example_body(ex, "200")), 0);
	assert_string_equal(s.identities[0].principal_id, "25cc773c-7f05-40fc-a104-32d2300754ad");
	assert_int_equal(s.identities[0].tags.count, 2);
	cJSON_Delete(ex);

	ex = example("Microsoft.Kusto/2024-04-13/KustoClustersGet.json");
	assert_int_equal(adapter_kusto_add(&s, example_body(ex, "200")), 0);
	assert_string_equal(s.kusto_clusters[0].key.key_name, "keyName");
	assert_string_equal(s.kusto_clusters[0].location, "westus");
	cJSON_Delete(ex);

	ex = example("Microsoft.Insights/2020-02-02/ComponentsGet.json");
	assert_int_equal(adapter_component_add(&s, example_body(ex, "200")), 0);
	assert_string_equal(s.components[0].location, "southcentralus");
	/* and the association PUT built from it sends none of its read-only members */
	cJSON *body = NULL;
	assert_int_equal(adapter_component_body(&body, example_body(ex, "200"), "g"), 0);
	assert_false(has_member(body, "AppId"));
	assert_false(has_member(body, "InstrumentationKey"));
	assert_false(has_member(body, "CreationDate"));
	assert_string_equal(adapter_str(body, "location"), "South Central US");
	cJSON_Delete(body);
	cJSON_Delete(ex);

	live_state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapters__cluster_2019_shape_capitalised_key_rfc1123),
		cmocka_unit_test(test_adapters__cluster_2026_shape),
		cmocka_unit_test(test_adapters__removed_key_reads_as_no_key),
		cmocka_unit_test(test_adapters__not_a_resource_is_an_error),
		cmocka_unit_test(test_adapters__cluster_bodies_have_no_read_only_members),
		cmocka_unit_test(test_adapters__workspace_link_from_features),
		cmocka_unit_test(test_adapters__vault_policies_lower_cased),
		cmocka_unit_test(test_adapters__role_assignment_name_is_deterministic),
		cmocka_unit_test(test_adapters__key_bundle),
		cmocka_unit_test(test_adapters__kusto_display_location_and_versionless_key),
		cmocka_unit_test(test_adapters__component_body_strips_read_only),
		cmocka_unit_test(test_adapters__dates),
		cmocka_unit_test(test_adapters__linked_storage_and_identity),
		cmocka_unit_test(test_adapters__append_to_a_state_loaded_from_json),
		cmocka_unit_test(test_adapters__spec_examples_read_into_the_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
