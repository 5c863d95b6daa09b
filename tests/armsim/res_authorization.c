/*
 * res_authorization.c - Microsoft.Authorization: role assignments PUT, GET,
 * DELETE and list at any scope (subscription, resource group, resource,
 * child resource), and GET / list of the built-in role definitions cmkctl
 * meets (Owner, Contributor, Reader and the Key Vault data roles).
 *
 * Assignments are the `Microsoft.Authorization/roleAssignments` resources
 * the core's rbac_* checks read (auth.c), so an assignment made here grants
 * ARM actions and Key Vault data actions at once (RBAC-mode vaults).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "lro.h"
#include "router.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_RA "Microsoft.Authorization/roleAssignments"
#define T_RD "Microsoft.Authorization/roleDefinitions"
#define AUTHZ "/providers/Microsoft.Authorization/"

static const char *const ra_versions[] = {
	"2015-07-01", "2017-10-01-preview", "2018-01-01-preview", "2018-09-01-preview",
	"2020-03-01-preview", "2020-04-01-preview", "2020-08-01-preview", "2020-10-01-preview",
	"2021-04-01-preview", "2022-01-01-preview", "2022-04-01", NULL
};

static const char *const rd_versions[] = {
	"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview", NULL
};

/* What GET roleDefinitions shows for the built-in roles (authorisation
 * itself is decided by auth.c's table). */
#define L(...) (const char *const[]){ __VA_ARGS__, NULL }
typedef struct rd_info {
	const char *guid, *name, *description;
	const char *const *actions, *const *not_actions, *const *data_actions;
} rd_info;

static const char *const kv_mgmt_read[] = {
	"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
	"Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
	"Microsoft.Support/*", "Microsoft.KeyVault/checkNameAvailability/read",
	"Microsoft.KeyVault/deletedVaults/read", "Microsoft.KeyVault/locations/*/read",
	"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read", NULL
};

static const rd_info g_rd[] = {
	{ "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
	  "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
	  L("*"), NULL, NULL },
	{ "b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
	  "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
	  "manage assignments in Azure Blueprints, or share image galleries.",
	  L("*"),
	  L("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
	    "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
	    "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
	    "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"),
	  NULL },
	{ "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
	  "View all resources, but does not allow you to make any changes.", L("*/read"), NULL, NULL },
	{ "00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator",
	  "Perform all data plane operations on a key vault and all objects in it, including certificates, "
	  "keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for "
	  "key vaults that use the 'Azure role-based access control' permission model.",
	  kv_mgmt_read, NULL, L("Microsoft.KeyVault/vaults/*") },
	{ "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", "Key Vault Crypto Officer",
	  "Perform any action on the keys of a key vault, except manage permissions. Only works for key "
	  "vaults that use the 'Azure role-based access control' permission model.",
	  kv_mgmt_read, NULL,
	  L("Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*") },
	{ "e147488a-f6f5-4113-8e2d-b22465e65bf6", "Key Vault Crypto Service Encryption User",
	  "Read metadata of keys and perform wrap/unwrap operations. Only works for key vaults that use the "
	  "'Azure role-based access control' permission model.",
	  L("Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read",
	    "Microsoft.EventGrid/eventSubscriptions/delete"),
	  NULL,
	  L("Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
	    "Microsoft.KeyVault/vaults/keys/unwrap/action") },
	{ "12338af0-0e69-4776-bea7-57ae8d297424", "Key Vault Crypto User",
	  "Perform cryptographic operations using keys. Only works for key vaults that use the 'Azure "
	  "role-based access control' permission model.",
	  NULL, NULL,
	  L("Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/update/action",
	    "Microsoft.KeyVault/vaults/keys/backup/action", "Microsoft.KeyVault/vaults/keys/encrypt/action",
	    "Microsoft.KeyVault/vaults/keys/decrypt/action", "Microsoft.KeyVault/vaults/keys/wrap/action",
	    "Microsoft.KeyVault/vaults/keys/unwrap/action", "Microsoft.KeyVault/vaults/keys/sign/action",
	    "Microsoft.KeyVault/vaults/keys/verify/action") },
};

static cJSON *ra__str_array(const char *const *list)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; list && list[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(list[i]));
	return a;
}

static const rd_info *rd__find(const char *guid_or_id)
{
	const char *slash = strrchr(guid_or_id, '/');
	const char *g = slash ? slash + 1 : guid_or_id;
	for (size_t i = 0; i < sizeof g_rd / sizeof g_rd[0]; i++)
		if (!strcasecmp(g_rd[i].guid, g) || !strcasecmp(g_rd[i].name, guid_or_id))
			return &g_rd[i];
	return NULL;
}

static cJSON *rd__doc(const rd_info *r, const char *subscription_id)
{
	char id[512];
	rbac_role_definition_id(id, sizeof id, subscription_id, r->guid);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "type", T_RD);
	cJSON_AddStringToObject(d, "name", r->guid);
	cJSON *p = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(p, "roleName", r->name);
	cJSON_AddStringToObject(p, "type", "BuiltInRole");
	cJSON_AddStringToObject(p, "description", r->description);
	cJSON *scopes = cJSON_AddArrayToObject(p, "assignableScopes");
	cJSON_AddItemToArray(scopes, cJSON_CreateString("/"));
	cJSON *perms = cJSON_AddArrayToObject(p, "permissions"), *pe = cJSON_CreateObject();
	cJSON_AddItemToObject(pe, "actions", ra__str_array(r->actions));
	cJSON_AddItemToObject(pe, "notActions", ra__str_array(r->not_actions));
	cJSON_AddItemToObject(pe, "dataActions", ra__str_array(r->data_actions));
	cJSON_AddItemToObject(pe, "notDataActions", cJSON_CreateArray());
	cJSON_AddItemToArray(perms, pe);
	cJSON_AddStringToObject(p, "createdOn", "2015-02-02T21:55:09.8806423Z");
	cJSON_AddStringToObject(p, "updatedOn", "2021-11-11T20:13:47.8628684Z");
	cJSON_AddNullToObject(p, "createdBy");
	cJSON_AddNullToObject(p, "updatedBy");
	return d;
}

/* The scope of a request path: everything before "/providers/Microsoft.Authorization/". */
static void ra__scope(char *out, size_t len, const char *path)
{
	char low[2048];
	sim_lower(low, sizeof low, path);
	const char *p = strstr(low, "/providers/microsoft.authorization/");
	size_t n = p ? (size_t)(p - low) : strlen(path);
	snprintf(out, len, "%.*s", (int)n, path);
}

static const char *ra__sub_of(char *buf, size_t len, const char *scope)
{
	buf[0] = '\0';
	if (sim_prefix_ci(scope, "/subscriptions/"))
		sscanf(scope + strlen("/subscriptions/"), "%63[^/]", buf);
	(void)len;
	return buf;
}

/* 404 for a resource scope that does not exist (groups and subscriptions
 * are checked by the router). */
static bool ra__scope_exists(sim_resp *resp, const char *scope)
{
	char low[2048];
	sim_lower(low, sizeof low, scope);
	const char *p = strstr(low, "/providers/");
	if (!p || store_get(scope))
		return true;
	const char *rest = scope + (p - low) + strlen("/providers/");
	char rg[256] = "";
	const char *g = strstr(low, "/resourcegroups/");
	if (g)
		sscanf(scope + (g - low) + strlen("/resourcegroups/"), "%255[^/]", rg);
	const char *last = strrchr(rest, '/');
	char type[512];
	snprintf(type, sizeof type, "%.*s", (int)(last ? last - rest : (long)strlen(rest)), rest);
	arm_not_found(resp, type, last ? last + 1 : rest, rg);
	return false;
}

static void ra_get(sim_req *req, sim_resp *resp)
{
	sim_res *r = store_get_typed(req->path, T_RA);
	if (!r) {
		resp_arm_error(resp, 404, "RoleAssignmentNotFound", "The role assignment '%s' is not found.",
			       req->cap[req->ncap - 1]);
		return;
	}
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void ra_put(sim_req *req, sim_resp *resp)
{
	char scope[2048], sub[64], defid[512], id[2300];
	const char *name = req->cap[req->ncap - 1];
	if (!arm_body_object(req, resp))
		return;
	ra__scope(scope, sizeof scope, req->path);
	if (!ra__scope_exists(resp, scope))
		return;
	if (!sim_is_guid(name)) {
		resp_arm_error(resp, 400, "InvalidRoleAssignmentId",
			       "The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name);
		return;
	}
	const char *rdid = sim_json_str(req->json, "properties.roleDefinitionId");
	const char *pid = sim_json_str(req->json, "properties.principalId");
	const char *ptype = sim_json_str(req->json, "properties.principalType");
	if (!rdid || !pid) {
		resp_arm_error(resp, 400, "InvalidRequestContent",
			       "The request content was invalid: properties.roleDefinitionId and properties.principalId are required.");
		return;
	}
	const char *guid = rbac_role_guid(rdid);
	if (!guid) {
		resp_arm_error(resp, 400, "RoleDefinitionDoesNotExist",
			       "The specified role definition with ID '%s' does not exist.",
			       strrchr(rdid, '/') ? strrchr(rdid, '/') + 1 : rdid);
		return;
	}
	sim_principal *p = auth_principal_by_object_id(pid);
	/* a principal made moments ago is not in the directory yet (Azure AD
	 * replication, principalReplicationSeconds): the same answer */
	if ((!p || !auth_principal_replicated(p)) && !ptype) {
		resp_arm_error(resp, 400, "PrincipalNotFound",
			       "Principal %s does not exist in the directory %s. Check that you have the correct "
			       "principal ID. If you are creating this principal and then immediately assigning a "
			       "role, this error might be related to a replication delay. In this case, set the role "
			       "assignment principalType property to a value, such as ServicePrincipal, User, or "
			       "Group.  See https://aka.ms/docs-principaltype",
			       pid, auth_default_tenant());
		return;
	}
	if (!ptype)
		ptype = p->kind == SIM_PRINCIPAL_USER ? "User" : "ServicePrincipal";
	snprintf(id, sizeof id, "%s" AUTHZ "roleAssignments/%s", scope, name);
	sim_res *cur = store_get_typed(id, T_RA);
	/* the same principal, role and scope under another name */
	sim_res **arr;
	size_t n = store_list(&arr, T_RA, NULL);
	bool dup = false;
	for (size_t i = 0; i < n && !dup; i++) {
		const cJSON *pr = sim_json_get(arr[i]->doc, "properties");
		if (arr[i] != cur && sim_streq_ci(sim_json_str(pr, "principalId"), pid) &&
		    sim_streq_ci(rbac_role_guid(sim_json_str(pr, "roleDefinitionId")), guid) &&
		    sim_streq_ci(sim_json_str(pr, "scope"), scope))
			dup = true;
	}
	free(arr);
	if (dup) {
		resp_arm_error(resp, 409, "RoleAssignmentExists", "The role assignment already exists.");
		return;
	}
	if (cur) {
		const cJSON *pr = sim_json_get(cur->doc, "properties");
		if (!sim_streq_ci(sim_json_str(pr, "principalId"), pid) ||
		    !sim_streq_ci(rbac_role_guid(sim_json_str(pr, "roleDefinitionId")), guid)) {
			resp_arm_error(resp, 400, "RoleAssignmentUpdateNotPermitted",
				       "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
			return;
		}
		resp_json(resp, 200, store_render(cur, req->api_version));
		return;
	}
	rbac_role_definition_id(defid, sizeof defid, ra__sub_of(sub, sizeof sub, scope), guid);
	char now[64];
	simclock_iso8601(now, sizeof now, simclock_now_ms());
	cJSON *d = cJSON_CreateObject();
	cJSON *pr = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(pr, "roleDefinitionId", defid);
	cJSON_AddStringToObject(pr, "principalId", pid);
	cJSON_AddStringToObject(pr, "principalType", ptype);
	cJSON_AddStringToObject(pr, "scope", scope);
	const char *cond = sim_json_str(req->json, "properties.condition");
	if (cond) {
		cJSON_AddStringToObject(pr, "condition", cond);
		const char *cv = sim_json_str(req->json, "properties.conditionVersion");
		cJSON_AddStringToObject(pr, "conditionVersion", cv ? cv : "2.0");
	} else {
		cJSON_AddNullToObject(pr, "condition");
		cJSON_AddNullToObject(pr, "conditionVersion");
	}
	cJSON_AddStringToObject(pr, "createdOn", now);
	cJSON_AddStringToObject(pr, "updatedOn", now);
	cJSON_AddStringToObject(pr, "createdBy", req->caller.object_id);
	cJSON_AddStringToObject(pr, "updatedBy", req->caller.object_id);
	cJSON_AddNullToObject(pr, "delegatedManagedIdentityResourceId");
	const char *desc = sim_json_str(req->json, "properties.description");
	if (desc)
		cJSON_AddStringToObject(pr, "description", desc);
	else
		cJSON_AddNullToObject(pr, "description");
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "type", T_RA);
	cJSON_AddStringToObject(d, "name", name);
	sim_res *r = store_put(id, T_RA, d);
	if (!r) {
		resp_arm_error(resp, 500, "InternalServerError", "The role assignment could not be stored.");
		return;
	}
	lro_tick(); /* RBAC-mode key access changes now */
	resp_json(resp, 201, store_render(r, req->api_version));
}

static void ra_delete(sim_req *req, sim_resp *resp)
{
	sim_res *r = store_get_typed(req->path, T_RA);
	if (!r) {
		resp_json(resp, 204, NULL);
		return;
	}
	cJSON *body = store_render(r, req->api_version);
	store_delete(r);
	lro_tick(); /* RBAC-mode key access changes now */
	resp_json(resp, 200, body);
}

/* $filter: "atScope()", "principalId eq '<oid>'", "assignedTo('<oid>')",
 * combined with "and". */
static void ra_list(sim_req *req, sim_resp *resp)
{
	char scope[2048], want_pid[64] = "";
	ra__scope(scope, sizeof scope, req->path);
	if (!ra__scope_exists(resp, scope))
		return;
	const char *f = req_query(req, "$filter");
	bool at_scope = false;
	if (f) {
		char low[1024];
		sim_lower(low, sizeof low, f);
		at_scope = strstr(low, "atscope()") != NULL;
		const char *p = strstr(low, "principalid eq '");
		if (p)
			sscanf(f + (p - low) + strlen("principalid eq '"), "%63[^']", want_pid);
		p = strstr(low, "assignedto('");
		if (p)
			sscanf(f + (p - low) + strlen("assignedto('"), "%63[^']", want_pid);
		if (!at_scope && !want_pid[0]) {
			resp_arm_error(resp, 400, "UnsupportedQuery",
				       "The filter '%s' is not supported. Supported filters are either 'atScope()' or "
				       "'principalId eq '{value}'' or 'assignedTo('{value}')'.", f);
			return;
		}
	}
	sim_res **arr;
	size_t n = store_list(&arr, T_RA, NULL), k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *as = sim_json_str(arr[i]->doc, "properties.scope");
		const char *pid = sim_json_str(arr[i]->doc, "properties.principalId");
		if (!as)
			continue;
		/* assignments at or above the scope; below it too unless atScope() */
		bool above = store_id_under(scope, as) || !strcmp(as, "/");
		bool below = store_id_under(as, scope);
		if (!(above || (!at_scope && below)))
			continue;
		if (want_pid[0] && !sim_streq_ci(pid, want_pid))
			continue;
		arr[k++] = arr[i];
	}
	arm_list_respond(req, resp, arr, k);
	free(arr);
}

static void rd_get(sim_req *req, sim_resp *resp)
{
	char scope[2048], sub[64];
	const char *guid = req->cap[req->ncap - 1];
	const rd_info *r = rd__find(guid);
	if (!r) {
		resp_arm_error(resp, 404, "RoleDefinitionDoesNotExist",
			       "The specified role definition with ID '%s' does not exist.", guid);
		return;
	}
	ra__scope(scope, sizeof scope, req->path);
	resp_json(resp, 200, rd__doc(r, ra__sub_of(sub, sizeof sub, scope)));
}

/* $filter: "roleName eq '<name>'" or "type eq 'BuiltInRole'". */
static void rd_list(sim_req *req, sim_resp *resp)
{
	char scope[2048], sub[64], want[256] = "";
	ra__scope(scope, sizeof scope, req->path);
	const char *f = req_query(req, "$filter");
	if (f) {
		char low[1024];
		sim_lower(low, sizeof low, f);
		const char *p = strstr(low, "rolename eq '");
		if (p)
			sscanf(f + (p - low) + strlen("rolename eq '"), "%255[^']", want);
	}
	cJSON *vals = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof g_rd / sizeof g_rd[0]; i++)
		if (!want[0] || !strcasecmp(want, g_rd[i].name))
			cJSON_AddItemToArray(vals, rd__doc(&g_rd[i], ra__sub_of(sub, sizeof sub, scope)));
	arm_list_respond_values(req, resp, vals);
}

/* One route per scope depth; every capture before the last is part of the
 * scope, which the handlers read from the path. */
static void ra__routes(const char *suffix_item, const char *suffix_list, const char *type,
		       const char *const *versions, sim_handler get, sim_handler put, sim_handler del,
		       sim_handler list)
{
	static const char *const scopes[] = {
		"/subscriptions/{s}",
		"/subscriptions/{s}/resourceGroups/{rg}",
		"/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t}/{n}",
		"/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t}/{n}/{ct}/{cn}",
	};
	for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
		char item[512], coll[512];
		snprintf(item, sizeof item, "%s%s", scopes[i], suffix_item);
		snprintf(coll, sizeof coll, "%s%s", scopes[i], suffix_list);
		/* route strings must stay valid: registered once at start */
		char *pi = strdup(item), *pc = strdup(coll);
		if (get)
			router_add_arm("GET", pi, type, versions, false, get);
		if (put)
			router_add_arm("PUT", pi, type, versions, false, put);
		if (del)
			router_add_arm("DELETE", pi, type, versions, false, del);
		if (list)
			router_add_arm("GET", pc, type, versions, false, list);
	}
}

/* The shape of an assignment at an api-version: principalType from
 * 2018-09-01-preview, condition/conditionVersion and the audit fields from
 * 2020-04-01-preview (null when unset). */
static cJSON *ra_render(const sim_res *res, const char *api_version)
{
	cJSON *d = cJSON_Duplicate(res->doc, 1);
	const char *slash = strrchr(res->id, '/');
	if (!sim_json_str(d, "name") && slash)
		sim_json_set_str(d, "name", slash + 1);
	cJSON *p = sim_json_obj(d, "properties");
	bool dated = api_version && api_version[0] == '2';
	if (!dated || strcmp(api_version, "2018-09-01-preview") < 0)
		cJSON_DeleteItemFromObjectCaseSensitive(p, "principalType");
	static const char *const late[] = { "condition", "conditionVersion", "createdOn", "updatedOn", "createdBy",
					    "updatedBy", "delegatedManagedIdentityResourceId", "description" };
	bool modern = dated && strcmp(api_version, "2020-04-01-preview") >= 0;
	for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) {
		if (!modern)
			cJSON_DeleteItemFromObjectCaseSensitive(p, late[i]);
		else if (!sim_json_get(p, late[i]))
			cJSON_AddNullToObject(p, late[i]);
	}
	return d;
}

void res_authorization_register(void)
{
	ra__routes(AUTHZ "roleAssignments/{name}", AUTHZ "roleAssignments", T_RA, ra_versions, ra_get, ra_put,
		   ra_delete, ra_list);
	ra__routes(AUTHZ "roleDefinitions/{id}", AUTHZ "roleDefinitions", T_RD, rd_versions, rd_get, NULL, NULL,
		   rd_list);
	/* tenant-level role definitions: any signed-in caller may read them */
	router_add(&(sim_route){ .method = "GET", .pattern = AUTHZ "roleDefinitions/{id}", .kind = SIM_ROUTE_ARM,
				 .resource_type = T_RD, .api_versions = rd_versions, .action = "",
				 .sub_cap = -1, .rg_cap = -1, .fn = rd_get });
	router_add(&(sim_route){ .method = "GET", .pattern = AUTHZ "roleDefinitions", .kind = SIM_ROUTE_ARM,
				 .resource_type = T_RD, .api_versions = rd_versions, .action = "",
				 .sub_cap = -1, .rg_cap = -1, .fn = rd_list });
	store_type_register(&(sim_type){ .type = T_RA, .render = ra_render });
}
