/*
 * res_msi.c - Microsoft.ManagedIdentity/userAssignedIdentities: PUT
 * (create makes the identity's Azure AD principal, so it can get tokens
 * from IMDS / App Service at once), GET, PATCH (tags, isolationScope),
 * DELETE (the principal goes with it), list by resource group and by
 * subscription; federated identity credentials (PUT/GET/DELETE/list; the
 * principal trusts them at the token endpoint); and the system-assigned
 * identity of a resource ({scope}/providers/Microsoft.ManagedIdentity/
 * identities/default). All synchronous, as the service is (LRO-TABLE.md).
 */
#include <ctype.h>
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
#define T_FIC "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
#define FIC_MAX 20

static const char *const msi_versions[] = {
	"2015-08-31-preview", "2018-11-30", "2021-09-30-preview", "2022-01-31-preview",
	"2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview", "2026-05-31", NULL
};

/* Federated identity credentials came with 2022-01-31-preview. */
static const char *const fic_versions[] = {
	"2022-01-31-preview", "2023-01-31", "2023-07-31-preview", "2024-11-30", "2025-01-31-preview",
	"2026-05-31", NULL
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
	if (!arm_body_object(req, resp))
		return;
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
	if (!arm_body_object(req, resp))
		return;
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
	arm_list_scoped(req, resp, T_MSI);
}

/* ---- federated identity credentials --------------------------------------------
 * Each is a child resource of its identity; the identity's AAD principal
 * trusts exactly the (issuer, subject, audiences) of its credentials, so a
 * workload (GitHub Actions, Kubernetes) exchanges its OIDC token for one of
 * the identity at the token endpoint (client_assertion). */

/* Rebuild the principal's federated records from the credential resources. */
static void fic__sync(const sim_res *msi)
{
	const char *pid = msi_principal_id(msi);
	sim_principal *p = pid ? auth_principal_by_object_id(pid) : NULL;
	if (!p)
		return;
	cJSON *recs = cJSON_CreateArray();
	sim_res **arr;
	size_t n = store_list(&arr, T_FIC, msi->id);
	for (size_t i = 0; i < n; i++) {
		const cJSON *pr = sim_json_get(arr[i]->doc, "properties");
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "issuer", sim_json_str(pr, "issuer"));
		cJSON_AddStringToObject(r, "subject", sim_json_str(pr, "subject"));
		cJSON_AddItemToObject(r, "audiences", cJSON_Duplicate(sim_json_get(pr, "audiences"), 1));
		cJSON_AddItemToArray(recs, r);
	}
	free(arr);
	cJSON_Delete(p->federated);
	p->federated = recs;
}

/* A credential loaded from a fixture or a state dump: its identity's
 * principal trusts it. */
static int fic_on_load(sim_res *r)
{
	char id[1024], low[1024];
	snprintf(id, sizeof id, "%s", r->id);
	sim_lower(low, sizeof low, id);
	char *p = strstr(low, "/federatedidentitycredentials/");
	if (p)
		id[p - low] = '\0';
	sim_res *m = msi_get(id);
	if (!m)
		return cmk_error_set(CMK_EINVALID, "resource %s: its identity %s is not in the fixture", r->id, id);
	fic__sync(m);
	return 0;
}

/* The identity a credential route names, or NULL with ARM's 404. */
static sim_res *fic__parent(const sim_req *req, sim_resp *resp)
{
	char id[1024];
	arm_resource_id(id, sizeof id, req->cap[0], req->cap[1], T_MSI, req->cap[2]);
	sim_res *m = msi_get(id);
	if (!m)
		resp_arm_error(resp, 404, "ParentResourceNotFound",
			       "Can not perform requested operation on nested resource. Parent resource '%s' not found.",
			       req->cap[2]);
	return m;
}

static bool fic__valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 3 || len > 120 || !isalnum((unsigned char)n[0]))
		return false;
	for (const char *c = n; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return false;
	return true;
}

static void fic_put(sim_req *req, sim_resp *resp)
{
	if (!arm_body_object(req, resp))
		return;
	sim_res *m = fic__parent(req, resp);
	if (!m)
		return;
	char id[1200];
	snprintf(id, sizeof id, "%s/federatedIdentityCredentials/%s", m->id, req->cap[3]);
	sim_res *cur = store_get_typed(id, T_FIC);
	const char *iss = sim_json_str(req->json, "properties.issuer");
	const char *sub = sim_json_str(req->json, "properties.subject");
	const cJSON *aud = sim_json_path(req->json, "properties.audiences");
	if (!cur && !fic__valid_name(req->cap[3])) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The federated identity credential name '%s' is invalid: 3-120 characters, letters, "
			       "digits, hyphens and underscores, starting with a letter or digit.", req->cap[3]);
		return;
	}
	if (!iss || strncmp(iss, "https://", 8) || !sub || !*sub || !cJSON_IsArray(aud) ||
	    cJSON_GetArraySize(aud) != 1 || !cJSON_IsString(cJSON_GetArrayItem(aud, 0))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "A federated identity credential needs an https issuer, a subject and exactly one "
			       "audience (e.g. api://AzureADTokenExchange).");
		return;
	}
	sim_res **arr;
	size_t n = store_list(&arr, T_FIC, m->id), others = 0;
	bool dup = false;
	for (size_t i = 0; i < n; i++) {
		if (arr[i] == cur)
			continue;
		others++;
		if (!strcmp(sim_json_str(arr[i]->doc, "properties.issuer"), iss) &&
		    !strcmp(sim_json_str(arr[i]->doc, "properties.subject"), sub))
			dup = true;
	}
	free(arr);
	if (dup) {
		resp_arm_error(resp, 400, "BadRequest",
			       "A federated identity credential with issuer '%s' and subject '%s' already exists on "
			       "identity '%s'.", iss, sub, req->cap[2]);
		return;
	}
	if (!cur && others >= FIC_MAX) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The identity '%s' already has the maximum of %d federated identity credentials.",
			       req->cap[2], FIC_MAX);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", cur ? cur->id : id);
	cJSON_AddStringToObject(d, "name", cur ? sim_json_str(cur->doc, "name") : req->cap[3]);
	cJSON_AddStringToObject(d, "type", T_FIC);
	cJSON *p = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(p, "issuer", iss);
	cJSON_AddStringToObject(p, "subject", sub);
	cJSON_AddItemToObject(p, "audiences", cJSON_Duplicate(aud, 1));
	sim_res *r = store_put(cur ? cur->id : id, T_FIC, d);
	if (!r) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	fic__sync(m);
	resp_json(resp, cur ? 200 : 201, store_render(r, req->api_version));
}

/* The credential cap[3] of identity m, or NULL. */
static sim_res *fic__of(const sim_res *m, const sim_req *req)
{
	char id[1200];
	snprintf(id, sizeof id, "%s/federatedIdentityCredentials/%s", m->id, req->cap[3]);
	return store_get_typed(id, T_FIC);
}

static void fic_get(sim_req *req, sim_resp *resp)
{
	sim_res *m = fic__parent(req, resp);
	if (!m)
		return;
	sim_res *r = fic__of(m, req);
	if (!r) {
		arm_not_found(resp, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
			      req->cap[3], req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void fic_delete(sim_req *req, sim_resp *resp)
{
	sim_res *m = fic__parent(req, resp);
	if (!m)
		return;
	sim_res *r = fic__of(m, req);
	if (!r) {
		resp_json(resp, 204, NULL);
		return;
	}
	store_delete(r);
	fic__sync(m);
	resp_json(resp, 200, NULL);
}

static void fic_list(sim_req *req, sim_resp *resp)
{
	sim_res *m = fic__parent(req, resp);
	if (!m)
		return;
	sim_res **arr;
	size_t n = store_list(&arr, T_FIC, m->id);
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
	router_add_arm("PUT", MSI_PATH "/{name}/federatedIdentityCredentials/{fic}", T_FIC, fic_versions, false, fic_put);
	router_add_arm("GET", MSI_PATH "/{name}/federatedIdentityCredentials/{fic}", T_FIC, fic_versions, false, fic_get);
	router_add_arm("DELETE", MSI_PATH "/{name}/federatedIdentityCredentials/{fic}", T_FIC, fic_versions, false,
		       fic_delete);
	router_add_arm("GET", MSI_PATH "/{name}/federatedIdentityCredentials", T_FIC, fic_versions, false, fic_list);
	store_type_register(&(sim_type){ .type = T_MSI, .render = msi_render });
	store_type_register(&(sim_type){ .type = T_FIC, .on_load = fic_on_load });
	router_add_arm("GET", "/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{t}/{n}/providers/"
			      "Microsoft.ManagedIdentity/identities/default",
		       "Microsoft.ManagedIdentity/identities", msi_versions, false, msi_system_identity);
}
