/*
 * res_msi.c - Microsoft.ManagedIdentity/userAssignedIdentities: PUT
 * (create makes the identity's Azure AD principal, so it can get tokens
 * from IMDS / App Service at once), GET, PATCH (tags, isolationScope),
 * DELETE (the principal goes with it), list by resource group and by
 * subscription; and the system-assigned identity of a resource
 * ({scope}/providers/Microsoft.ManagedIdentity/identities/default). All synchronous, as the service is (LRO-TABLE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "lro.h"
#include "router.h"
#include "store.h"
#include "util.h"

#define T_MSI "Microsoft.ManagedIdentity/userAssignedIdentities"

static const char *const msi_versions[] = {
	"2015-08-31-preview", "2018-11-30", "2021-09-30-preview", "2022-01-31-preview",
	"2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview", "2026-05-31", NULL
};

/* isolationScope appeared with 2024-11-30, assignmentRestrictions with
 * 2026-05-31: older api-versions do not show them. */
static cJSON *msi_render(const sim_res *res, const char *api_version)
{
	cJSON *d = cJSON_Duplicate(res->doc, 1);
	cJSON *props = sim_json_obj(d, "properties");
	bool dated = api_version && api_version[0] == '2';
	if (!dated || strcmp(api_version, "2024-11-30") < 0)
		cJSON_DeleteItemFromObjectCaseSensitive(props, "isolationScope");
	else if (!sim_json_get(props, "isolationScope"))
		sim_json_set_str(props, "isolationScope", "None");
	if (!dated || strcmp(api_version, "2026-05-31") < 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(props, "assignmentRestrictions");
	} else if (!sim_json_get(props, "assignmentRestrictions")) {
		cJSON *ar = cJSON_CreateObject();
		cJSON_AddArrayToObject(ar, "providers");
		sim_json_set(props, "assignmentRestrictions", ar);
	}
	return d;
}

static bool msi__valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 3 || len > 128)
		return false;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= '0' && n[0] <= '9')))
		return false;
	for (const char *c = n; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_'))
			return false;
	return true;
}

/* Writable properties of a PUT/PATCH body. false + resp on bad values. */
static bool msi__apply_props(sim_resp *resp, cJSON *doc, const cJSON *props)
{
	if (!props)
		return true;
	if (!cJSON_IsObject(props)) {
		resp_arm_error(resp, 400, "InvalidRequestContent", "The request content was invalid: 'properties' must be an object.");
		return false;
	}
	cJSON *dp = sim_json_obj(doc, "properties");
	cJSON *iso = sim_json_get(props, "isolationScope");
	if (iso) {
		if (!cJSON_IsString(iso) || (strcasecmp(iso->valuestring, "None") && strcasecmp(iso->valuestring, "Regional"))) {
			resp_arm_error(resp, 400, "InvalidIsolationScope",
				       "The isolationScope value is invalid. Valid values are 'None' and 'Regional'.");
			return false;
		}
		sim_json_set_str(dp, "isolationScope", !strcasecmp(iso->valuestring, "None") ? "None" : "Regional");
	}
	cJSON *ar = sim_json_get(props, "assignmentRestrictions");
	if (cJSON_IsObject(ar))
		sim_json_set(dp, "assignmentRestrictions", cJSON_Duplicate(ar, 1));
	return true;
}

static void msi_get_h(sim_req *req, sim_resp *resp)
{
	char id[1024];
	arm_resource_id(id, sizeof id, req->cap[0], req->cap[1], T_MSI, req->cap[2]);
	sim_res *m = msi_get(id);
	if (!m) {
		arm_not_found(resp, T_MSI, req->cap[2], req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(m, req->api_version));
}

static void msi_put(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		arm_invalid_body(resp, req);
		return;
	}
	arm_resource_id(id, sizeof id, req->cap[0], req->cap[1], T_MSI, req->cap[2]);
	sim_res *m = msi_get(id);
	if (!arm_check_conditions(req, resp, m))
		return;
	const char *loc = sim_json_str(req->json, "location");
	if (!loc) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return;
	}
	if (!m && !msi__valid_name(req->cap[2])) {
		resp_arm_error(resp, 400, "InvalidResourceName",
			       "Resource name %s is invalid. The name can be 3-128 characters long, must start with a "
			       "letter or number, and may contain only letters, numbers, hyphens and underscores.",
			       req->cap[2]);
		return;
	}
	if (m && !sim_location_eq(loc, sim_json_str(m->doc, "location"))) {
		resp_arm_error(resp, 409, "InvalidResourceLocation",
			       "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
			       "with the same name cannot be created in location '%s'. Please select a new resource name.",
			       req->cap[2], sim_json_str(m->doc, "location"), req->cap[1], loc);
		return;
	}
	bool created = !m;
	if (!m) {
		m = msi_create(id, loc, auth_default_tenant());
		if (!m) {
			resp_arm_error(resp, 500, "InternalServerError", "The identity could not be created.");
			return;
		}
	}
	cJSON *tags = sim_json_get(req->json, "tags");
	sim_json_set(m->doc, "tags", cJSON_IsObject(tags) ? cJSON_Duplicate(tags, 1) : cJSON_CreateObject());
	if (!msi__apply_props(resp, m->doc, sim_json_get(req->json, "properties")))
		return;
	resp_json(resp, created ? 201 : 200, store_render(m, req->api_version));
}

static void msi_patch(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		arm_invalid_body(resp, req);
		return;
	}
	arm_resource_id(id, sizeof id, req->cap[0], req->cap[1], T_MSI, req->cap[2]);
	sim_res *m = msi_get(id);
	if (!m) {
		arm_not_found(resp, T_MSI, req->cap[2], req->cap[1]);
		return;
	}
	cJSON *tags = sim_json_get(req->json, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(m->doc, "tags", cJSON_Duplicate(tags, 1));
	if (!msi__apply_props(resp, m->doc, sim_json_get(req->json, "properties")))
		return;
	resp_json(resp, 200, store_render(m, req->api_version));
}

static void msi_delete(sim_req *req, sim_resp *resp)
{
	char id[1024], oid[64];
	arm_resource_id(id, sizeof id, req->cap[0], req->cap[1], T_MSI, req->cap[2]);
	sim_res *m = msi_get(id);
	if (!m) {
		resp_json(resp, 204, NULL);
		return;
	}
	/* the principal goes with the identity: its tokens stop being issued
	 * (role assignments naming it stay behind, orphaned, as in Azure) */
	snprintf(oid, sizeof oid, "%s", msi_principal_id(m) ? msi_principal_id(m) : "");
	char mid[1024];
	snprintf(mid, sizeof mid, "%s", m->id); /* m->id dies with m */
	store_delete_tree(mid);
	if (oid[0])
		auth_principal_remove(oid);
	lro_tick(); /* clusters using it lose key access now */
	resp_json(resp, 200, NULL);
}

static void msi_list(sim_req *req, sim_resp *resp)
{
	char scope[512];
	sim_res **arr;
	if (req->ncap >= 2)
		snprintf(scope, sizeof scope, "/subscriptions/%s/resourceGroups/%s", req->cap[0], req->cap[1]);
	else
		snprintf(scope, sizeof scope, "/subscriptions/%s", req->cap[0]);
	size_t n = store_list(&arr, T_MSI, scope);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

/* GET {scope}/providers/Microsoft.ManagedIdentity/identities/default: the
 * system-assigned identity of the resource at scope (a Log Analytics or
 * Kusto cluster, ...), as the identity service shows it. */
static void msi_system_identity(sim_req *req, sim_resp *resp)
{
	char scope[2048], low[2048];
	snprintf(scope, sizeof scope, "%s", req->path);
	sim_lower(low, sizeof low, scope);
	char *p = strstr(low, "/providers/microsoft.managedidentity/identities/");
	if (p)
		scope[p - low] = '\0';
	sim_res *r = store_get(scope);
	const char *type = r ? sim_json_str(r->doc, "identity.type") : NULL;
	const char *pid = r ? sim_json_str(r->doc, "identity.principalId") : NULL;
	sim_principal *pr = pid ? auth_principal_by_object_id(pid) : NULL;
	if (!r || !type || !strstr(type, "SystemAssigned") || !pr) {
		resp_arm_error(resp, 404, "NotFound", "The system assigned identity of resource '%s' was not found.", scope);
		return;
	}
	char id[2300];
	snprintf(id, sizeof id, "%s/providers/Microsoft.ManagedIdentity/identities/default", r->id);
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddStringToObject(b, "name", "default");
	cJSON_AddStringToObject(b, "type", "Microsoft.ManagedIdentity/identities");
	const char *loc = sim_json_str(r->doc, "location");
	cJSON_AddStringToObject(b, "location", loc ? loc : "");
	cJSON *props = cJSON_AddObjectToObject(b, "properties");
	cJSON_AddStringToObject(props, "tenantId", pr->tenant_id);
	cJSON_AddStringToObject(props, "principalId", pr->object_id);
	cJSON_AddStringToObject(props, "clientId", pr->client_id);
	resp_json(resp, 200, b);
}

#define MSI_PATH "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"

void res_msi_register(void)
{
	router_add_arm("GET", MSI_PATH "/{name}", T_MSI, msi_versions, false, msi_get_h);
	router_add_arm("PUT", MSI_PATH "/{name}", T_MSI, msi_versions, false, msi_put);
	router_add_arm("PATCH", MSI_PATH "/{name}", T_MSI, msi_versions, false, msi_patch);
	router_add_arm("DELETE", MSI_PATH "/{name}", T_MSI, msi_versions, false, msi_delete);
	router_add_arm("GET", MSI_PATH, T_MSI, msi_versions, true, msi_list);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
		       T_MSI, msi_versions, true, msi_list);
	store_type_register(&(sim_type){ .type = T_MSI, .render = msi_render });
	router_add_arm("GET", "/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t}/{n}/providers/"
			      "Microsoft.ManagedIdentity/identities/default",
		       "Microsoft.ManagedIdentity/identities", msi_versions, false, msi_system_identity);
}
