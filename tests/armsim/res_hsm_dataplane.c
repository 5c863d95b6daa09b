/*
 * res_hsm_dataplane.c - the Managed HSM local RBAC on
 * https://<hsm>.managedhsm.localhost:PORT/ (Key Vault data plane 7.2+):
 * role assignments PUT / GET / DELETE / list at the scopes "/", "/keys" and
 * "/keys/<key>" ({scope}/providers/Microsoft.Authorization/roleAssignments/{name}),
 * and the built-in role definitions (GET, list). The keys of an HSM are
 * served by res_keys_dataplane.c on the same host.
 *
 * Authorisation: the caller needs the managedHsm roleAssignments /
 * roleDefinitions data actions at the scope (Managed HSM Administrator,
 * Crypto Officer, Policy Administrator...); refusals are 403 AccessDenied
 * "Not authorized to access <action> on <scope> (Activity ID: …)". Removing
 * an assignment is what Log Analytics and Kusto key revocation observe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "lro.h"
#include "router.h"
#include "store.h"
#include "util.h"

#define T_HSM_RA "Microsoft.KeyVault/managedHSMs/roleAssignments"
#define RA "/providers/Microsoft.Authorization/roleAssignments"
#define RD "/providers/Microsoft.Authorization/roleDefinitions"
#define DA "Microsoft.KeyVault/managedHsm"

static const char *const rbac_versions[] = {
	"2025-07-01", "7.6", "7.6-preview.2", "7.6-preview.1", "7.5", "7.5-preview.1", "7.4",
	"7.4-preview.1", "7.3", "7.3-preview", "7.2", "7.2-preview", NULL
};

static void hdp__error(sim_resp *resp, int status, const char *code, const char *msg)
{
	cJSON *b = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(b, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	resp_json(resp, status, b);
}

/* The HSM of the request's host; a missing one has no DNS name. */
static sim_res *hdp__hsm(const sim_req *req, sim_resp *resp)
{
	sim_res *h = req->hsm_name ? hsm_by_name(req->hsm_name) : NULL;
	if (!h) {
		resp->drop_connection = true;
		resp_json(resp, 404, NULL);
	}
	return h;
}

/* The scope the route names: "/", "/keys" or "/keys/<cap0>". */
static void hdp__scope(char *out, size_t len, const sim_req *req, int depth)
{
	if (depth == 0)
		snprintf(out, len, "/");
	else if (depth == 1)
		snprintf(out, len, "/keys");
	else
		snprintf(out, len, "/keys/%s", req->cap[0]);
}

static bool hdp__allowed(const sim_req *req, sim_resp *resp, const sim_res *h, const char *scope,
			 const char *action)
{
	if (hsm_data_allowed(h, req->caller.object_id, scope, action))
		return true;
	char msg[512], activity[40];
	sim_guid(activity);
	snprintf(msg, sizeof msg, "Not authorized to access %s on %s (Activity ID: %s)", action, scope, activity);
	hdp__error(resp, 403, "AccessDenied", msg);
	return false;
}

/* The HSM of the host and the route's scope (into scope[600]), once the
 * caller is found to hold `action` there; NULL after answering. */
static sim_res *hdp__begin(const sim_req *req, sim_resp *resp, int depth, const char *action, char *scope)
{
	sim_res *h = hdp__hsm(req, resp);
	if (!h)
		return NULL;
	hdp__scope(scope, 600, req, depth);
	return hdp__allowed(req, resp, h, scope, action) ? h : NULL;
}

static sim_res *hdp__assignment(const sim_res *h, const char *name)
{
	char id[1200];
	snprintf(id, sizeof id, "%s/roleAssignments/%s", h->id, name);
	return store_get_typed(id, T_HSM_RA);
}

static void hdp__ra_put(sim_req *req, sim_resp *resp, int depth)
{
	char scope[600];
	sim_res *h = hdp__begin(req, resp, depth, DA "/roleAssignments/write/action", scope);
	if (!h)
		return;
	if (req->json_invalid || !cJSON_IsObject(req->json)) {
		hdp__error(resp, 400, "BadParameter", "The request body is not valid JSON.");
		return;
	}
	const char *name = req->cap[depth == 2 ? 1 : 0];
	const char *rd = sim_json_str(req->json, "properties.roleDefinitionId");
	const char *pid = sim_json_str(req->json, "properties.principalId");
	if (!rd || !pid) {
		hdp__error(resp, 400, "BadParameter", "Properties roleDefinitionId and principalId are required.");
		return;
	}
	cJSON *def = hsm_role_definition(rd);
	if (!def) {
		char msg[512];
		snprintf(msg, sizeof msg, "The role definition '%s' was not found.", rd);
		hdp__error(resp, 400, "RoleDefinitionNotFound", msg);
		return;
	}
	cJSON_Delete(def);
	if (hdp__assignment(h, name)) {
		hdp__error(resp, 409, "RoleAssignmentExists", "The role assignment already exists.");
		return;
	}
	sim_res *ra = hsm_role_assign(h, name, scope, rd, pid);
	if (!ra) {
		hdp__error(resp, 400, "BadParameter", cmk_error_last());
		return;
	}
	lro_tick(); /* a grant (access back) is observed at once */
	resp_json(resp, 201, hsm_role_assignment_body(ra));
}

/* GET or DELETE one assignment; the scope of the URL must be the assignment's. */
static void hdp__ra_one(sim_req *req, sim_resp *resp, int depth, bool del)
{
	char scope[600];
	sim_res *h = hdp__begin(req, resp, depth,
				del ? DA "/roleAssignments/delete/action" : DA "/roleAssignments/read/action", scope);
	if (!h)
		return;
	const char *name = req->cap[depth == 2 ? 1 : 0];
	sim_res *ra = hdp__assignment(h, name);
	if (!ra || !sim_streq_ci(sim_json_str(ra->doc, "properties.scope"), scope)) {
		char msg[512];
		snprintf(msg, sizeof msg, "The role assignment '%s' was not found.", name);
		hdp__error(resp, 404, "RoleAssignmentNotFound", msg);
		return;
	}
	cJSON *body = hsm_role_assignment_body(ra);
	if (del) {
		store_delete(ra);
		lro_tick(); /* the revocation counts from this instant */
	}
	resp_json(resp, 200, body);
}

/* Assignments that bear on the scope: at it, above it and below it
 * ($filter=atScope() keeps those at it only). */
static void hdp__ra_list(sim_req *req, sim_resp *resp, int depth)
{
	char scope[600], prefix[1100];
	sim_res *h = hdp__begin(req, resp, depth, DA "/roleAssignments/read/action", scope);
	if (!h)
		return;
	const char *filter = req_query(req, "$filter");
	bool at_only = filter && strstr(filter, "atScope()");
	snprintf(prefix, sizeof prefix, "%s/roleAssignments", h->id);
	sim_res **arr;
	size_t n = store_list(&arr, T_HSM_RA, prefix);
	cJSON *b = cJSON_CreateObject(), *val = cJSON_AddArrayToObject(b, "value");
	for (size_t i = 0; i < n; i++) {
		const char *at = sim_json_str(arr[i]->doc, "properties.scope");
		if (!at)
			continue;
		size_t al = strlen(at), sl = strlen(scope);
		bool above = !strcmp(at, "/") || (!strncasecmp(scope, at, al) && (!scope[al] || scope[al] == '/'));
		bool below = !strcmp(scope, "/") || (!strncasecmp(at, scope, sl) && (!at[sl] || at[sl] == '/'));
		if (at_only ? sim_streq_ci(at, scope) : (above || below))
			cJSON_AddItemToArray(val, hsm_role_assignment_body(arr[i]));
	}
	free(arr);
	cJSON_AddNullToObject(b, "nextLink");
	resp_json(resp, 200, b);
}

static void hdp__rd(sim_req *req, sim_resp *resp, int depth, bool one)
{
	char scope[600];
	if (!hdp__begin(req, resp, depth, DA "/roleDefinitions/read/action", scope))
		return;
	if (!one) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddItemToObject(b, "value", hsm_role_definitions());
		cJSON_AddNullToObject(b, "nextLink");
		resp_json(resp, 200, b);
		return;
	}
	cJSON *d = hsm_role_definition(req->cap[depth == 2 ? 1 : 0]);
	if (!d) {
		char msg[512];
		snprintf(msg, sizeof msg, "The role definition '%s' was not found.", req->cap[depth == 2 ? 1 : 0]);
		hdp__error(resp, 404, "RoleDefinitionNotFound", msg);
		return;
	}
	resp_json(resp, 200, d);
}

#define HDP_AT(depth, suffix)                                                                      \
	static void hdp_ra_put_##suffix(sim_req *q, sim_resp *r) { hdp__ra_put(q, r, depth); }      \
	static void hdp_ra_get_##suffix(sim_req *q, sim_resp *r) { hdp__ra_one(q, r, depth, false); } \
	static void hdp_ra_del_##suffix(sim_req *q, sim_resp *r) { hdp__ra_one(q, r, depth, true); }  \
	static void hdp_ra_list_##suffix(sim_req *q, sim_resp *r) { hdp__ra_list(q, r, depth); }    \
	static void hdp_rd_get_##suffix(sim_req *q, sim_resp *r) { hdp__rd(q, r, depth, true); }    \
	static void hdp_rd_list_##suffix(sim_req *q, sim_resp *r) { hdp__rd(q, r, depth, false); }

HDP_AT(0, root)
HDP_AT(1, keys)
HDP_AT(2, key)

static void hdp__add(const char *method, const char *pattern, sim_handler fn)
{
	router_add(&(sim_route){ .method = method, .pattern = pattern, .kind = SIM_ROUTE_HSM,
				 .resource_type = "Microsoft.KeyVault/managedHSMs/roleAssignments",
				 .api_versions = rbac_versions, .sub_cap = -1, .rg_cap = -1, .fn = fn });
}

void res_hsm_dataplane_register(void)
{
	/* literal scopes before "/keys/{key}/...": the first matching route wins */
	hdp__add("PUT", RA "/{name}", hdp_ra_put_root);
	hdp__add("GET", RA "/{name}", hdp_ra_get_root);
	hdp__add("DELETE", RA "/{name}", hdp_ra_del_root);
	hdp__add("GET", RA, hdp_ra_list_root);
	hdp__add("GET", RD "/{name}", hdp_rd_get_root);
	hdp__add("GET", RD, hdp_rd_list_root);
	hdp__add("PUT", "/keys" RA "/{name}", hdp_ra_put_keys);
	hdp__add("GET", "/keys" RA "/{name}", hdp_ra_get_keys);
	hdp__add("DELETE", "/keys" RA "/{name}", hdp_ra_del_keys);
	hdp__add("GET", "/keys" RA, hdp_ra_list_keys);
	hdp__add("GET", "/keys" RD "/{name}", hdp_rd_get_keys);
	hdp__add("GET", "/keys" RD, hdp_rd_list_keys);
	hdp__add("PUT", "/keys/{key}" RA "/{name}", hdp_ra_put_key);
	hdp__add("GET", "/keys/{key}" RA "/{name}", hdp_ra_get_key);
	hdp__add("DELETE", "/keys/{key}" RA "/{name}", hdp_ra_del_key);
	hdp__add("GET", "/keys/{key}" RA, hdp_ra_list_key);
	hdp__add("GET", "/keys/{key}" RD "/{name}", hdp_rd_get_key);
	hdp__add("GET", "/keys/{key}" RD, hdp_rd_list_key);
}
