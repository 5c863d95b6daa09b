/*
 * test_rbac.c - Microsoft.Authorization role assignments and role
 * definitions in armsim: create / read / list / delete at subscription,
 * resource group and resource scope, ARM's errors (invalid id, unknown
 * role, unknown principal, duplicate, update refused, no permission), and
 * the effect of an assignment on ARM access.
 */
#include "rp_testutil.h"

#define BS "00000000-0000-4000-8000-0000000000s1"
#define BT "aaaaaaaa-0000-4000-8000-0000000000a1"
#define SUBP "/subscriptions/" BS
#define RG SUBP "/resourceGroups/rg-kv"
#define KV_AP RG "/providers/Microsoft.KeyVault/vaults/kv-ap"
#define RA "/providers/Microsoft.Authorization/roleAssignments"
#define APP_ID "bbbbbbbb-0000-4000-8000-0000000000b2"
#define APP_OID "cccccccc-0000-4000-8000-0000000000c2"
#define OTHER_OID "cccccccc-0000-4000-8000-0000000000c3"
#define V "?api-version=2022-04-01"
#define READER "acdd72a7-3385-48ef-bd42-f606fba81ae7"
#define KVCSEU "e147488a-f6f5-4113-8e2d-b22465e65bf6"
#define G1 "11110000-0000-4000-8000-000000000001"
#define G2 "11110000-0000-4000-8000-000000000002"
#define G3 "11110000-0000-4000-8000-000000000003"

static int setup(void **state)
{
	(void)state;
	return check_start("kv_basic.json", 1);
}

static const char *ra_body(const char *role_guid, const char *principal, const char *ptype)
{
	return check_fmt("{\"properties\":{\"roleDefinitionId\":\"" SUBP "/providers/Microsoft.Authorization/"
			 "roleDefinitions/%s\",\"principalId\":\"%s\"%s%s%s}}",
			 role_guid, principal, ptype ? ",\"principalType\":\"" : "", ptype ? ptype : "",
			 ptype ? "\"" : "");
}

static bool list_has(const cJSON *list, const char *name)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, check_get(list, "value"))
		if (!strcmp(check_str(v, "name"), name))
			return true;
	return false;
}

/* A Reader assignment on the resource group: 201 with ARM's body, then the
 * principal can read in the group (and not write), GET/list/delete. */
static void test_role_assignment__lifecycle_at_rg(void **state)
{
	(void)state;
	const char *app = rp_token(APP_ID, "app-secret", "https://management.azure.com/.default");
	armsim_http_resp r = rp_arm_as(app, "GET", KV_AP "?api-version=2023-07-01", NULL);
	check_error(&r, 403, "AuthorizationFailed",
		    "The client '" APP_OID "' with object id '" APP_OID "' does not have authorization to perform "
		    "action 'Microsoft.KeyVault/vaults/read' over scope '" KV_AP "' or the scope is invalid. If access "
		    "was recently granted, please refresh your credentials.");
	armsim_http_free(&r);

	r = check_arm("PUT", RG RA "/" G1 V, ra_body(READER, APP_OID, NULL));
	rp_status(&r, 201);
	assert_string_equal(check_str(r.json, "id"), RG RA "/" G1);
	assert_string_equal(check_str(r.json, "name"), G1);
	assert_string_equal(check_str(r.json, "type"), "Microsoft.Authorization/roleAssignments");
	assert_string_equal(check_str(r.json, "properties.roleDefinitionId"),
			    SUBP "/providers/Microsoft.Authorization/roleDefinitions/" READER);
	assert_string_equal(check_str(r.json, "properties.principalId"), APP_OID);
	assert_string_equal(check_str(r.json, "properties.principalType"), "ServicePrincipal");
	assert_string_equal(check_str(r.json, "properties.scope"), RG);
	assert_non_null(check_str(r.json, "properties.createdOn"));
	armsim_http_free(&r);

	r = rp_arm_as(app, "GET", KV_AP "?api-version=2023-07-01", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = rp_arm_as(app, "PATCH", KV_AP "?api-version=2023-07-01", "{\"tags\":{}}");
	check_error(&r, 403, "AuthorizationFailed", NULL);
	armsim_http_free(&r);

	r = check_arm("GET", RG RA "/" G1 V, NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "properties.scope"), RG);
	armsim_http_free(&r);

	/* the same role, principal and scope under another name */
	r = check_arm("PUT", RG RA "/" G2 V, ra_body(READER, APP_OID, NULL));
	check_error(&r, 409, "RoleAssignmentExists", "The role assignment already exists.");
	armsim_http_free(&r);
	/* a PUT to the same name may not change who or what */
	r = check_arm("PUT", RG RA "/" G1 V, ra_body(KVCSEU, APP_OID, NULL));
	check_error(&r, 400, "RoleAssignmentUpdateNotPermitted",
		    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
	armsim_http_free(&r);

	r = check_arm("DELETE", RG RA "/" G1 V, NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "name"), G1);
	armsim_http_free(&r);
	r = check_arm("DELETE", RG RA "/" G1 V, NULL);
	rp_status(&r, 204);
	armsim_http_free(&r);
	r = check_arm("GET", RG RA "/" G1 V, NULL);
	check_error(&r, 404, "RoleAssignmentNotFound", "The role assignment '" G1 "' is not found.");
	armsim_http_free(&r);
	r = rp_arm_as(app, "GET", KV_AP "?api-version=2023-07-01", NULL);
	check_error(&r, 403, "AuthorizationFailed", NULL);
	armsim_http_free(&r);
}

/* Lists at a resource scope show assignments at, above and below it;
 * atScope() only at and above; principalId filters. */
static void test_role_assignment__list_filters(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", KV_AP RA "/" G3 V, ra_body(KVCSEU, OTHER_OID, "ServicePrincipal"));
	rp_status(&r, 201);
	armsim_http_free(&r);

	r = check_arm("GET", KV_AP RA V, NULL);
	rp_status(&r, 200);
	assert_true(list_has(r.json, G3));
	/* the admin's Owner at the subscription is inherited */
	assert_true(cJSON_GetArraySize(check_get(r.json, "value")) >= 2);
	armsim_http_free(&r);

	r = check_arm("GET", RG RA V "&$filter=atScope()", NULL);
	rp_status(&r, 200);
	assert_false(list_has(r.json, G3)); /* below the group */
	armsim_http_free(&r);
	r = check_arm("GET", RG RA V, NULL);
	assert_true(list_has(r.json, G3));
	armsim_http_free(&r);

	r = check_arm("GET", SUBP RA V "&$filter=principalId%20eq%20'" OTHER_OID "'", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	assert_true(list_has(r.json, G3));
	armsim_http_free(&r);

	r = check_arm("GET", SUBP RA V "&$filter=bogus", NULL);
	check_error(&r, 400, "UnsupportedQuery", NULL);
	armsim_http_free(&r);
}

static void test_role_assignment__errors(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", RG RA "/not-a-guid" V, ra_body(READER, APP_OID, NULL));
	check_error(&r, 400, "InvalidRoleAssignmentId",
		    "The role assignment ID 'not-a-guid' is not valid. The role assignment ID must be a GUID.");
	armsim_http_free(&r);
	r = check_arm("PUT", RG RA "/" G2 V, ra_body("99999999-9999-4999-8999-999999999999", APP_OID, NULL));
	check_error(&r, 400, "RoleDefinitionDoesNotExist",
		    "The specified role definition with ID '99999999-9999-4999-8999-999999999999' does not exist.");
	armsim_http_free(&r);
	r = check_arm("PUT", RG RA "/" G2 V, ra_body(READER, "dddddddd-0000-4000-8000-000000000009", NULL));
	check_error(&r, 400, "PrincipalNotFound",
		    "Principal dddddddd-0000-4000-8000-000000000009 does not exist in the directory " BT ". Check that "
		    "you have the correct principal ID. If you are creating this principal and then immediately "
		    "assigning a role, this error might be related to a replication delay. In this case, set the role "
		    "assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See "
		    "https://aka.ms/docs-principaltype");
	armsim_http_free(&r);
	/* with principalType the replication delay is tolerated */
	r = check_arm("PUT", RG RA "/" G2 V, ra_body(READER, "dddddddd-0000-4000-8000-000000000009", "ServicePrincipal"));
	rp_status(&r, 201);
	armsim_http_free(&r);
	r = check_arm("PUT", RG "/providers/Microsoft.KeyVault/vaults/nope" RA "/" G1 V, ra_body(READER, APP_OID, NULL));
	check_error(&r, 404, "ResourceNotFound",
		    "The Resource 'Microsoft.KeyVault/vaults/nope' under resource group 'rg-kv' was not found. For more "
		    "details please go to https://aka.ms/ARMResourceNotFoundFix");
	armsim_http_free(&r);
	/* writing assignments needs Microsoft.Authorization/roleAssignments/write */
	const char *app = rp_token(APP_ID, "app-secret", "https://management.azure.com/.default");
	r = rp_arm_as(app, "PUT", KV_AP RA "/" G1 V, ra_body(KVCSEU, APP_OID, NULL));
	check_error(&r, 403, "AuthorizationFailed", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "'Microsoft.Authorization/roleAssignments/write'"));
	armsim_http_free(&r);
	r = check_arm("GET", RG RA V "0", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	armsim_http_free(&r);
}

/* Shapes by api-version: principalType from 2018-09-01-preview,
 * condition and audit fields (null when unset) from 2020-04-01-preview. */
static void test_role_assignment__shape_by_version(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", KV_AP RA "/" G3 "?api-version=2015-07-01", NULL);
	rp_status(&r, 200);
	assert_null(check_get(r.json, "properties.principalType"));
	assert_null(check_get(r.json, "properties.condition"));
	assert_string_equal(check_str(r.json, "properties.principalId"), OTHER_OID);
	armsim_http_free(&r);
	r = check_arm("GET", SUBP RA V, NULL);
	const cJSON *v;
	cJSON_ArrayForEach(v, check_get(r.json, "value")) {
		assert_non_null(check_get(v, "properties.principalType"));
		assert_true(cJSON_IsNull(check_get(v, "properties.condition")));
	}
	armsim_http_free(&r);
}

static void test_role_definitions__builtin(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", SUBP "/providers/Microsoft.Authorization/roleDefinitions/" KVCSEU V, NULL);
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "id"), SUBP "/providers/Microsoft.Authorization/roleDefinitions/" KVCSEU);
	assert_string_equal(check_str(r.json, "properties.roleName"), "Key Vault Crypto Service Encryption User");
	assert_string_equal(check_str(r.json, "properties.type"), "BuiltInRole");
	const cJSON *da = check_get(cJSON_GetArrayItem(check_get(r.json, "properties.permissions"), 0), "dataActions");
	assert_int_equal(cJSON_GetArraySize(da), 3);
	assert_string_equal(cJSON_GetArrayItem(da, 1)->valuestring, "Microsoft.KeyVault/vaults/keys/wrap/action");
	armsim_http_free(&r);

	r = check_arm("GET", SUBP "/providers/Microsoft.Authorization/roleDefinitions" V
			     "&$filter=roleName%20eq%20'Key%20Vault%20Crypto%20Officer'", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	assert_string_equal(check_str(cJSON_GetArrayItem(check_get(r.json, "value"), 0), "name"),
			    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603");
	armsim_http_free(&r);
	static const char *const roles[] = { "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c",
					     READER, "00482a5a-887f-4fb3-b363-3b7fe8e74483",
					     "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", KVCSEU };
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		r = check_arm("GET", check_fmt("/providers/Microsoft.Authorization/roleDefinitions/%s" V, roles[i]), NULL);
		rp_status(&r, 200);
		assert_string_equal(check_str(r.json, "name"), roles[i]);
		armsim_http_free(&r);
	}
	r = check_arm("GET", SUBP "/providers/Microsoft.Authorization/roleDefinitions/99999999-9999-4999-8999-999999999999" V,
		      NULL);
	check_error(&r, 404, "RoleDefinitionDoesNotExist", NULL);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_role_assignment__lifecycle_at_rg),
		cmocka_unit_test(test_role_assignment__list_filters),
		cmocka_unit_test(test_role_assignment__errors),
		cmocka_unit_test(test_role_assignment__shape_by_version),
		cmocka_unit_test(test_role_definitions__builtin),
	};
	return cmocka_run_group_tests_name("rbac", t, setup, check_stop);
}
