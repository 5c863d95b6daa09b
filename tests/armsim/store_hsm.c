/*
 * store_hsm.c - Managed HSM state over the store (see store.h): HSMs by
 * name, their local RBAC (built-in role definitions with their real ids and
 * data actions, role assignments at "/", "/keys" or "/keys/<key>"), and the
 * key permissions that RBAC gives a principal, which is what the Log
 * Analytics and Kusto key rules read through kv_key_permissions.
 *
 * Roles and data actions: learn.microsoft.com "Local RBAC built-in roles for
 * Managed HSM" (every data action is prefixed Microsoft.KeyVault/managedHsm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "store.h"
#include "util.h"

#define T_HSM "Microsoft.KeyVault/managedHSMs"
#define T_HSM_RA "Microsoft.KeyVault/managedHSMs/roleAssignments"
#define RD_PREFIX "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/"
#define DA "Microsoft.KeyVault/managedHsm"

typedef struct hsm_role {
	const char *name, *guid, *description;
	const char *const *data_actions;
} hsm_role;

static const char *const da_admin[] = {
	DA "/securitydomain/download/action", DA "/securitydomain/upload/action",
	DA "/securitydomain/upload/read", DA "/securitydomain/transferkey/read",
	DA "/roleAssignments/read/action", DA "/roleAssignments/write/action",
	DA "/roleAssignments/delete/action", DA "/roleDefinitions/read/action",
	DA "/roleDefinitions/write/action", DA "/roleDefinitions/delete/action",
	DA "/backup/start/action", DA "/backup/status/action", DA "/restore/start/action",
	DA "/restore/status/action", NULL
};
static const char *const da_officer[] = {
	DA "/keys/deletedKeys/read/action", DA "/keys/deletedKeys/recover/action",
	DA "/keys/deletedKeys/delete", DA "/roleAssignments/read/action",
	DA "/roleAssignments/write/action", DA "/roleAssignments/delete/action",
	DA "/roleDefinitions/read/action", DA "/roleDefinitions/write/action",
	DA "/roleDefinitions/delete/action", NULL
};
static const char *const da_user[] = {
	DA "/keys/read/action", DA "/keys/write/action", DA "/keys/rotate/action", DA "/keys/create",
	DA "/keys/delete", DA "/keys/backup/action", DA "/keys/restore/action", DA "/keys/release/action",
	DA "/keys/import/action", DA "/keys/encrypt/action", DA "/keys/decrypt/action",
	DA "/keys/wrap/action", DA "/keys/unwrap/action", DA "/keys/sign/action", DA "/keys/verify/action",
	DA "/roleAssignments/read/action", DA "/roleDefinitions/read/action", NULL
};
static const char *const da_policy[] = {
	DA "/roleAssignments/read/action", DA "/roleAssignments/write/action",
	DA "/roleAssignments/delete/action", DA "/roleDefinitions/read/action",
	DA "/roleDefinitions/write/action", DA "/roleDefinitions/delete/action", NULL
};
static const char *const da_service[] = {
	DA "/keys/read/action", DA "/keys/wrap/action", DA "/keys/unwrap/action", NULL
};
static const char *const da_auditor[] = {
	DA "/keys/read/action", DA "/keys/deletedKeys/delete", DA "/roleAssignments/read/action",
	DA "/roleDefinitions/read/action", NULL
};
static const char *const da_release[] = { DA "/keys/release/action", NULL };
static const char *const da_backup[] = {
	DA "/keys/backup/action", DA "/backup/start/action", DA "/backup/status/action", NULL
};
static const char *const da_restore[] = {
	DA "/keys/restore/action", DA "/restore/start/action", DA "/restore/status/action", NULL
};

static const hsm_role g_roles[] = {
	{ "Managed HSM Administrator", "a290e904-7015-4bba-90c8-60543313cdb4",
	  "Grants permissions to perform all operations related to the security domain, full backup and "
	  "restore, and role management. Not permitted to perform any key management operations.", da_admin },
	{ "Managed HSM Crypto Officer", "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
	  "Grants permissions to perform all role management, purge or recover deleted keys, and export "
	  "keys. Not permitted to perform any other key management operations.", da_officer },
	{ "Managed HSM Crypto User", "21dbd100-6940-42c2-9190-5d6cb909625b",
	  "Grants permissions to perform all key management operations except purge or recover deleted "
	  "keys and export keys.", da_user },
	{ "Managed HSM Policy Administrator", "4bd23610-cdcf-4971-bdee-bdc562cc28e4",
	  "Grants permissions to create and delete role assignments.", da_policy },
	{ "Managed HSM Crypto Auditor", "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
	  "Grants read permissions to read (but not use) key attributes.", da_auditor },
	{ "Managed HSM Crypto Service Encryption User", "33413926-3206-4cdd-b39a-83574fe37a17",
	  "Grants permissions to use a key for service encryption.", da_service },
	{ "Managed HSM Crypto Service Release User", "21dbd100-6940-42c2-9190-5d6cb909625c",
	  "Grants permissions to release a key to a trusted execution environment.", da_release },
	{ "Managed HSM Backup", "7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8",
	  "Grants permissions to perform single-key or whole-HSM backup.", da_backup },
	{ "Managed HSM Restore", "6efe6056-5259-49d2-8b3d-d3d73544b20b",
	  "Grants permissions to perform single-key or whole-HSM restore.", da_restore },
};

#define NROLES (sizeof g_roles / sizeof g_roles[0])

bool hsm_is(const sim_res *r)
{
	return r && r->type && !strcasecmp(r->type, T_HSM);
}

/* The role a guid, "/"-prefixed or bare full id, or role name names. */
static const hsm_role *hsm__role(const char *s)
{
	if (!s)
		return NULL;
	const char *slash = strrchr(s, '/');
	const char *guid = slash ? slash + 1 : s;
	for (size_t i = 0; i < NROLES; i++)
		if (!strcasecmp(g_roles[i].guid, guid) || !strcasecmp(g_roles[i].name, s))
			return &g_roles[i];
	return NULL;
}

static cJSON *hsm__role_json(const hsm_role *r)
{
	cJSON *o = cJSON_CreateObject();
	char id[160];
	snprintf(id, sizeof id, RD_PREFIX "%s", r->guid);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", r->guid);
	cJSON_AddStringToObject(o, "type", "Microsoft.Authorization/roleDefinitions");
	cJSON *p = cJSON_AddObjectToObject(o, "properties");
	cJSON_AddStringToObject(p, "roleName", r->name);
	cJSON_AddStringToObject(p, "description", r->description);
	cJSON_AddStringToObject(p, "type", "AKVBuiltInRole");
	cJSON *perm = cJSON_CreateObject(), *da = cJSON_AddArrayToObject(perm, "dataActions");
	cJSON_AddArrayToObject(perm, "actions");
	cJSON_AddArrayToObject(perm, "notActions");
	cJSON_AddArrayToObject(perm, "notDataActions");
	for (int i = 0; r->data_actions[i]; i++)
		cJSON_AddItemToArray(da, cJSON_CreateString(r->data_actions[i]));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "permissions"), perm);
	cJSON *sc = cJSON_AddArrayToObject(p, "assignableScopes");
	cJSON_AddItemToArray(sc, cJSON_CreateString("/"));
	return o;
}

cJSON *hsm_role_definition(const char *guid_id_or_name)
{
	const hsm_role *r = hsm__role(guid_id_or_name);
	return r ? hsm__role_json(r) : NULL;
}

cJSON *hsm_role_definitions(void)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < NROLES; i++)
		cJSON_AddItemToArray(a, hsm__role_json(&g_roles[i]));
	return a;
}

/* "/", "/keys" or "/keys/<name>" (no other scope exists on an HSM). */
static bool hsm__scope_valid(const char *scope)
{
	if (!scope || scope[0] != '/')
		return false;
	if (!strcmp(scope, "/") || !strcasecmp(scope, "/keys"))
		return true;
	return !strncasecmp(scope, "/keys/", 6) && scope[6] && !strchr(scope + 6, '/');
}

/* Does an assignment at `at` cover an operation at `scope`? */
static bool hsm__covers(const char *at, const char *scope)
{
	if (!strcmp(at, "/"))
		return true;
	size_t n = strlen(at);
	return !strncasecmp(at, scope, n) && (scope[n] == '\0' || scope[n] == '/');
}

bool hsm_data_allowed(const sim_res *hsm, const char *object_id, const char *scope, const char *data_action)
{
	char prefix[1024];
	if (!hsm || !object_id)
		return false;
	snprintf(prefix, sizeof prefix, "%s/roleAssignments", hsm->id);
	for (sim_res *ra = store_first(T_HSM_RA); ra; ra = store_next(ra)) {
		if (!store_id_under(ra->id, prefix))
			continue;
		if (!sim_streq_ci(sim_json_str(ra->doc, "properties.principalId"), object_id))
			continue;
		const char *at = sim_json_str(ra->doc, "properties.scope");
		if (!at || !hsm__covers(at, scope))
			continue;
		const hsm_role *r = hsm__role(sim_json_str(ra->doc, "properties.roleDefinitionId"));
		for (int i = 0; r && r->data_actions[i]; i++)
			if (!strcasecmp(r->data_actions[i], data_action))
				return true;
	}
	return false;
}

unsigned hsm_key_permissions(const sim_res *hsm, const char *key_name, const char *object_id)
{
	static const struct { const char *a; unsigned b; } acts[] = {
		{ DA "/keys/read/action", KV_PERM_GET | KV_PERM_LIST },
		{ DA "/keys/wrap/action", KV_PERM_WRAP },
		{ DA "/keys/unwrap/action", KV_PERM_UNWRAP },
		{ DA "/keys/encrypt/action", KV_PERM_ENCRYPT },
		{ DA "/keys/decrypt/action", KV_PERM_DECRYPT },
		{ DA "/keys/sign/action", KV_PERM_SIGN },
		{ DA "/keys/verify/action", KV_PERM_VERIFY },
		{ DA "/keys/create", KV_PERM_CREATE },
		{ DA "/keys/write/action", KV_PERM_UPDATE },
		{ DA "/keys/delete", KV_PERM_DELETE },
	};
	char scope[600];
	if (key_name && *key_name)
		snprintf(scope, sizeof scope, "/keys/%s", key_name);
	else
		snprintf(scope, sizeof scope, "/keys");
	unsigned perms = 0;
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
		if (hsm_data_allowed(hsm, object_id, scope, acts[i].a))
			perms |= acts[i].b;
	return perms;
}

sim_res *hsm_role_assign(sim_res *hsm, const char *name, const char *scope, const char *role,
			 const char *principal_id)
{
	const hsm_role *r = hsm__role(role);
	char guid[40], id[1200], rd[160];
	if (!r) {
		cmk_error_set(CMK_EINVALID, "unknown Managed HSM role '%s'", role ? role : "");
		return NULL;
	}
	if (!hsm__scope_valid(scope) || !principal_id || !*principal_id) {
		cmk_error_set(CMK_EINVALID, "a Managed HSM role assignment needs a scope (/, /keys or "
					    "/keys/<key>) and a principalId");
		return NULL;
	}
	if (!name) {
		sim_guid(guid);
		name = guid;
	}
	snprintf(id, sizeof id, "%s/roleAssignments/%s", hsm->id, name);
	if (store_get(id)) {
		cmk_error_set(CMK_ECONFLICT, "role assignment '%s' already exists", name);
		return NULL;
	}
	snprintf(rd, sizeof rd, RD_PREFIX "%s", r->guid);
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "name", name);
	cJSON_AddStringToObject(doc, "type", T_HSM_RA);
	cJSON *p = cJSON_AddObjectToObject(doc, "properties");
	cJSON_AddStringToObject(p, "scope", scope);
	cJSON_AddStringToObject(p, "roleDefinitionId", rd);
	cJSON_AddStringToObject(p, "principalId", principal_id);
	return store_put(id, T_HSM_RA, doc);
}

cJSON *hsm_role_assignment_body(const sim_res *ra)
{
	const char *scope = sim_json_str(ra->doc, "properties.scope"), *name = sim_json_str(ra->doc, "name");
	char id[700];
	/* the data plane names an assignment by its scope: "/keys/providers/..." */
	snprintf(id, sizeof id, "%s/providers/Microsoft.Authorization/roleAssignments/%s",
		 scope && strcmp(scope, "/") ? scope : "", name ? name : "");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", name ? name : "");
	cJSON_AddStringToObject(o, "type", "Microsoft.Authorization/roleAssignments");
	cJSON_AddItemToObject(o, "properties", cJSON_Duplicate(sim_json_get(ra->doc, "properties"), 1));
	return o;
}

int hsm_role_unassign(const sim_res *hsm, const char *principal_id, const char *scope)
{
	char prefix[1024];
	sim_res **arr;
	int removed = 0;
	snprintf(prefix, sizeof prefix, "%s/roleAssignments", hsm->id);
	size_t n = store_list(&arr, T_HSM_RA, prefix);
	for (size_t i = 0; i < n; i++) {
		if (!sim_streq_ci(sim_json_str(arr[i]->doc, "properties.principalId"), principal_id))
			continue;
		if (scope && !sim_streq_ci(sim_json_str(arr[i]->doc, "properties.scope"), scope))
			continue;
		store_delete(arr[i]);
		removed++;
	}
	free(arr);
	return removed;
}

void hsm_complete(sim_res *hsm)
{
	const char *slash = strrchr(hsm->id, '/');
	cJSON *props = sim_json_obj(hsm->doc, "properties");
	char uri[256];
	snprintf(uri, sizeof uri, "https://%s.managedhsm.localhost:%d/", slash ? slash + 1 : "", server_port());
	sim_json_set_str(props, "hsmUri", uri);
	if (!sim_json_get(props, "enableSoftDelete"))
		sim_json_set(props, "enableSoftDelete", cJSON_CreateTrue());
	if (!sim_json_get(props, "softDeleteRetentionInDays"))
		sim_json_set(props, "softDeleteRetentionInDays", cJSON_CreateNumber(90));
	if (!sim_json_get(props, "enablePurgeProtection"))
		sim_json_set(props, "enablePurgeProtection", cJSON_CreateFalse());
	if (!sim_json_str(props, "provisioningState"))
		sim_json_set_str(props, "provisioningState", "Succeeded");
	if (!sim_json_str(props, "statusMessage"))
		sim_json_set_str(props, "statusMessage", "The Managed HSM is provisioned and ready to use.");
	if (!sim_json_get(props, "publicNetworkAccess"))
		sim_json_set_str(props, "publicNetworkAccess", "Enabled");
	if (!sim_json_get(hsm->doc, "sku")) {
		cJSON *sku = cJSON_CreateObject();
		cJSON_AddStringToObject(sku, "family", "B");
		cJSON_AddStringToObject(sku, "name", "Standard_B1");
		sim_json_set(hsm->doc, "sku", sku);
	}
	if (!sim_json_get(hsm->doc, "tags"))
		cJSON_AddObjectToObject(hsm->doc, "tags");
	/* the initial administrators hold Managed HSM Administrator at "/" */
	const cJSON *a;
	cJSON_ArrayForEach(a, sim_json_get(props, "initialAdminObjectIds")) {
		if (!cJSON_IsString(a) || hsm_data_allowed(hsm, a->valuestring, "/", DA "/roleAssignments/write/action"))
			continue;
		hsm_role_assign(hsm, NULL, "/", "Managed HSM Administrator", a->valuestring);
	}
}
