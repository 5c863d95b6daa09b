/*
 * res_managedhsm.c - Microsoft.KeyVault/managedHSMs on the management plane
 * (Microsoft.KeyVault managedHsm.json): PUT (create 202 + Location, the
 * Location URL answering the HSM; update 200), PATCH (tags and the
 * protection properties), GET, DELETE (202 + Location; the HSM, its keys
 * and its local role assignments go), list by resource group and by
 * subscription.
 *
 * The HSM's document is the state the rest of armsim reads (store.h hsm_*):
 * enableSoftDelete / enablePurgeProtection make its keys recoverable for the
 * Log Analytics and Kusto rules; initialAdminObjectIds are given the Managed
 * HSM Administrator role at "/" of the local RBAC (res_hsm_dataplane.c).
 * Not modelled: security domain activation (the data plane answers at once),
 * soft-deleted HSMs (deletedManagedHSMs), private endpoints, network ACLs.
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

#define T_HSM "Microsoft.KeyVault/managedHSMs"
#define HSM_PATH "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/managedHSMs/{name}"

static const char *const hsm_versions[] = {
	"2020-04-01-preview", "2021-04-01-preview", "2021-06-01-preview", "2021-10-01",
	"2021-11-01-preview", "2022-07-01", "2022-11-01", "2023-02-01", "2023-07-01", "2024-11-01", NULL
};

static void hsm__id(char *out, size_t len, const sim_req *req)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], T_HSM, req->cap[2]);
}

static sim_res *hsm__get_or_404(const sim_req *req, sim_resp *resp)
{
	char id[1024];
	hsm__id(id, sizeof id, req);
	sim_res *h = store_get_typed(id, T_HSM);
	if (!h)
		arm_not_found(resp, T_HSM, req->cap[2], req->cap[1]);
	return h;
}

/* Soft delete cannot be turned off and purge protection, once on, stays on
 * (the vault's rules and wording). false after answering 400. */
static bool hsm__check_protection(sim_resp *resp, const cJSON *props, const sim_res *cur)
{
	if (cJSON_IsFalse(sim_json_get(props, "enableSoftDelete"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"enableSoftDelete\" cannot be set to false. Soft delete is always "
			       "enabled on a managed HSM.");
		return false;
	}
	if (cur && cJSON_IsTrue(sim_json_path(cur->doc, "properties.enablePurgeProtection")) &&
	    cJSON_IsFalse(sim_json_get(props, "enablePurgeProtection"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge "
			       "protection for a managed HSM is an irreversible action.");
		return false;
	}
	cJSON *days = sim_json_get(props, "softDeleteRetentionInDays");
	if (days && (!cJSON_IsNumber(days) || days->valueint < 7 || days->valueint > 90)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"softDeleteRetentionInDays\" must be between 7 and 90.");
		return false;
	}
	return true;
}

/* Create-only checks: location, sku, tenantId, administrators, a free name. */
static bool hsm__check_create(const sim_req *req, sim_resp *resp, const cJSON *props)
{
	if (!sim_json_str(req->json, "location")) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return false;
	}
	const char *sku = sim_json_str(req->json, "sku.name");
	if (sku && strcasecmp(sku, "Standard_B1") && strcasecmp(sku, "Custom_B32") && strcasecmp(sku, "Custom_B6")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The value '%s' of sku.name is not valid. Valid values are 'Standard_B1', 'Custom_B32' "
			       "and 'Custom_B6'.", sku);
		return false;
	}
	const cJSON *admins = sim_json_get(props, "initialAdminObjectIds");
	if (!cJSON_IsArray(admins) || cJSON_GetArraySize(admins) == 0) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The property \"initialAdminObjectIds\" is required: a managed HSM needs at least one "
			       "administrator.");
		return false;
	}
	if (hsm_by_name(req->cap[2])) {
		resp_arm_error(resp, 409, "Conflict",
			       "The managed HSM name '%s' is already in use. Managed HSM names are globally unique.",
			       req->cap[2]);
		return false;
	}
	return true;
}

/* Merge the request's properties into the HSM's (read-only ones are
 * derived again by hsm_complete). */
static void hsm__merge(sim_res *h, const cJSON *props, const cJSON *tags)
{
	cJSON *np = sim_json_obj(h->doc, "properties");
	static const char *const writable[] = { "tenantId", "initialAdminObjectIds", "enableSoftDelete",
						"softDeleteRetentionInDays", "enablePurgeProtection",
						"publicNetworkAccess", "networkAcls", "regions" };
	for (size_t i = 0; i < sizeof writable / sizeof writable[0]; i++) {
		const cJSON *v = sim_json_get(props, writable[i]);
		if (v && !cJSON_IsNull(v))
			sim_json_set(np, writable[i], cJSON_Duplicate(v, 1));
	}
	if (cJSON_IsObject(tags))
		sim_json_set(h->doc, "tags", cJSON_Duplicate(tags, 1));
}

static void hsm_put(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (!arm_body_object(req, resp))
		return;
	hsm__id(id, sizeof id, req);
	sim_res *cur = store_get_typed(id, T_HSM);
	const cJSON *props = sim_json_get(req->json, "properties");
	if (!hsm__check_protection(resp, props, cur) || (!cur && !hsm__check_create(req, resp, props)))
		return;
	if (!cur) {
		cJSON *doc = cJSON_CreateObject();
		char loc[64];
		sim_location_norm(loc, sizeof loc, sim_json_str(req->json, "location"));
		cJSON_AddStringToObject(doc, "id", id);
		cJSON_AddStringToObject(doc, "name", req->cap[2]);
		cJSON_AddStringToObject(doc, "type", T_HSM);
		cJSON_AddStringToObject(doc, "location", loc);
		const cJSON *sku = sim_json_get(req->json, "sku");
		if (cJSON_IsObject(sku))
			cJSON_AddItemToObject(doc, "sku", cJSON_Duplicate(sku, 1));
		cJSON *np = cJSON_AddObjectToObject(doc, "properties");
		if (!sim_json_str(props, "tenantId"))
			cJSON_AddStringToObject(np, "tenantId", auth_default_tenant());
		cur = store_put(id, T_HSM, doc);
		if (!cur) {
			resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
			return;
		}
		hsm__merge(cur, props, sim_json_get(req->json, "tags"));
		arm_system_data(cur->doc, req, true);
		hsm_complete(cur);
		/* usable at once; the operation reports the provisioning */
		sim_op *op = lro_start(&(lro_start_opts){
			.provider = "Microsoft.KeyVault", .location = loc, .subscription_id = req->cap[0],
			.resource_id = cur->id, .resource_type = T_HSM, .kind = "managedHsm.create",
			.duration_s = 0, .result = LRO_RESULT_RESOURCE, .api_version = req->api_version });
		if (op)
			lro_headers(req, resp, op, &(lro_header_opts){ .location = true });
		cJSON *body = store_render(cur, req->api_version);
		sim_json_set_str(sim_json_obj(body, "properties"), "provisioningState", "Provisioning");
		sim_json_set_str(sim_json_obj(body, "properties"), "statusMessage", "Managed HSM is being provisioned.");
		resp_json(resp, 202, body);
		return;
	}
	hsm__merge(cur, props, sim_json_get(req->json, "tags"));
	arm_system_data(cur->doc, req, false);
	hsm_complete(cur);
	lro_tick(); /* protection changes are observed when they happen */
	resp_json(resp, 200, store_render(cur, req->api_version));
}

static void hsm_patch(sim_req *req, sim_resp *resp)
{
	if (!arm_body_object(req, resp))
		return;
	sim_res *cur = hsm__get_or_404(req, resp);
	if (!cur)
		return;
	const cJSON *props = sim_json_get(req->json, "properties");
	if (!hsm__check_protection(resp, props, cur))
		return;
	hsm__merge(cur, props, sim_json_get(req->json, "tags"));
	arm_system_data(cur->doc, req, false);
	hsm_complete(cur);
	lro_tick();
	resp_json(resp, 200, store_render(cur, req->api_version));
}

static void hsm_get(sim_req *req, sim_resp *resp)
{
	sim_res *h = hsm__get_or_404(req, resp);
	if (h)
		resp_json(resp, 200, store_render(h, req->api_version));
}

static void hsm_delete(sim_req *req, sim_resp *resp)
{
	char id[1024], loc[64];
	hsm__id(id, sizeof id, req);
	sim_res *h = store_get_typed(id, T_HSM);
	if (!h) {
		resp_json(resp, 204, NULL);
		return;
	}
	snprintf(loc, sizeof loc, "%s", sim_json_str(h->doc, "location") ? sim_json_str(h->doc, "location") : "");
	snprintf(id, sizeof id, "%s", h->id);
	store_delete_tree(id); /* keys and local role assignments go with it */
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = "Microsoft.KeyVault", .location = loc, .subscription_id = req->cap[0],
		.resource_id = id, .resource_type = T_HSM, .kind = "managedHsm.delete", .duration_s = 0,
		.result = LRO_RESULT_OK_EMPTY, .api_version = req->api_version });
	if (op)
		lro_headers(req, resp, op, &(lro_header_opts){ .location = true });
	lro_tick(); /* clusters on its keys lose them now */
	resp_json(resp, 202, NULL);
}

static void hsm_list(sim_req *req, sim_resp *resp)
{
	arm_list_scoped(req, resp, T_HSM);
}

static void hsm_operation_result(sim_req *req, sim_resp *resp)
{
	lro_serve_result(req, resp, req->cap[3]);
}

static int hsm_on_load(sim_res *res)
{
	hsm_complete(res);
	return 0;
}

void res_managedhsm_register(void)
{
	router_add_arm("GET", HSM_PATH, T_HSM, hsm_versions, false, hsm_get);
	router_add_arm("PUT", HSM_PATH, T_HSM, hsm_versions, false, hsm_put);
	router_add_arm("PATCH", HSM_PATH, T_HSM, hsm_versions, false, hsm_patch);
	router_add_arm("DELETE", HSM_PATH, T_HSM, hsm_versions, false, hsm_delete);
	router_add_arm("GET", "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/managedHSMs",
		       T_HSM, hsm_versions, true, hsm_list);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.KeyVault/managedHSMs", T_HSM, hsm_versions,
		       true, hsm_list);
	router_add_arm_action("GET", HSM_PATH "/operationresults/{op}", T_HSM, hsm_versions, false, "",
			      hsm_operation_result);
	store_type_register(&(sim_type){ .type = T_HSM, .on_load = hsm_on_load, .render = NULL });
}
