/*
 * la_workspace.c - Log Analytics workspaces in armsim: PUT (create with
 * defaults, replace settable properties; features.clusterResourceId is set
 * by linking only), PATCH, GET, DELETE (unlinks first), unpaged lists, and
 * the shapes older api-versions serve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "la_internal.h"
#include "reqlog.h"
#include "settings.h"
#include "simclock.h"
#include "util.h"

cJSON *la_render_workspace(const sim_res *r, const char *v)
{
	cJSON *d = cJSON_Duplicate(r->doc, 1);
	cJSON *p = sim_json_obj(d, "properties");
	la_date_prop(p, "createdDate", r, "createdMs", v);
	la_date_prop(p, "modifiedDate", r, "modifiedMs", v);
	if (la_ver_lt(v, "2020-03-01")) {
		/* the 2015-11-01-preview shape of seed 000's workspace GET */
		if (!sim_json_get(p, "source"))
			cJSON_AddStringToObject(p, "source", "Azure");
		cJSON *f = sim_json_obj(p, "features");
		if (!sim_json_get(f, "legacy"))
			cJSON_AddNumberToObject(f, "legacy", 0);
		if (!sim_json_get(f, "searchVersion"))
			cJSON_AddNumberToObject(f, "searchVersion", 1);
		cJSON *sku = sim_json_get(p, "sku");
		if (cJSON_IsObject(sku))
			la_date_prop(sku, "lastSkuUpdate", r, "createdMs", v);
		if (!sim_json_get(p, "workspaceCapping")) {
			cJSON *wc = cJSON_AddObjectToObject(p, "workspaceCapping");
			cJSON_AddNumberToObject(wc, "dailyQuotaGb", -1.0);
			cJSON_AddStringToObject(wc, "dataIngestionStatus", "RespectQuota");
		}
	}
	cJSON *cap = sim_json_get(p, "workspaceCapping");
	if (cJSON_IsObject(cap) && cJSON_IsNumber(sim_json_get(r->sim, "createdMs"))) {
		/* next midnight-ish reset: the next whole hour after creation, daily */
		int64_t now = simclock_now_ms();
		int64_t next = now - now % 3600000 + 3600000;
		char buf[64];
		simclock_rfc1123(buf, sizeof buf, next);
		sim_json_set_str(cap, "quotaNextResetTime", buf);
	}
	return d;
}

int la_on_load_workspace(sim_res *r)
{
	cJSON *p = sim_json_obj(r->doc, "properties");
	int64_t now = simclock_now_ms();
	if (!sim_json_str(p, "provisioningState"))
		la_set_state(r, "Succeeded");
	if (!sim_json_str(p, "customerId")) {
		char g[37];
		sim_guid(g);
		sim_json_set_str(p, "customerId", g);
	}
	int64_t created = simclock_parse(sim_json_str(p, "createdDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "createdMs")) && created > 0)
		la_simset(r, "createdMs", (double)created);
	(void)now;
	return 0;
}

static void la__ws_created(sim_op *op)
{
	sim_res *w = store_get_typed(op->resource_id, T_WS);
	if (w)
		la_set_state(w, op->state == LRO_SUCCEEDED ? "Succeeded" : "Failed");
}

static void la__ws_put(sim_req *req, sim_resp *resp)
{
	const char *name = req->cap[2];
	char id[1024], sid[1024];
	if (!arm_body_object(req, resp))
		return;
	la_id(id, sizeof id, req, T_WS, name);
	sim_res *w = store_get_typed(id, T_WS);
	if (!arm_check_conditions(req, resp, w))
		return;
	const cJSON *body = req->json;
	const char *loc = sim_json_str(body, "location");
	if (!w && (!loc || !*loc)) {
		la_fail(resp, LA_M_LOCATION_REQUIRED);
		return;
	}
	if (w && loc && !sim_location_eq(loc, sim_json_str(w->doc, "location"))) {
		la_fail(resp, LA_M_LOCATION_MOVED, name, sim_json_str(w->doc, "location"), req->cap[1], loc);
		return;
	}
	if (w && !la_terminal(la_state(w))) {
		hazard_record("write_while_operation_running", w->id, "PUT while provisioningState is %s", la_state(w));
		la_fail(resp, LA_M_WS_BUSY, name, la_state(w));
		return;
	}
	const cJSON *props = sim_json_get(body, "properties");
	cJSON *d = w ? cJSON_Duplicate(w->doc, 1) : cJSON_CreateObject();
	char nloc[64];
	sim_location_norm(nloc, sizeof nloc, w ? sim_json_str(w->doc, "location") : loc);
	la_served_id(sid, sizeof sid, id);
	sim_json_set_str(d, "id", sid);
	sim_json_set_str(d, "name", w ? sim_json_str(w->doc, "name") : name);
	sim_json_set_str(d, "type", T_WS);
	sim_json_set_str(d, "location", nloc);
	cJSON *tags = sim_json_get(body, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(d, "tags", cJSON_Duplicate(tags, 1));
	cJSON *p = sim_json_obj(d, "properties");
	/* a PUT replaces settable properties; read-only ones stay */
	const char *keep_feature = sim_json_str(p, "features.clusterResourceId");
	char keep_cluster[1024] = "";
	if (keep_feature)
		snprintf(keep_cluster, sizeof keep_cluster, "%s", keep_feature);
	/* names are case-insensitive on the way in; stored in the spec's casing */
	static const char *const known[] = { "sku", "retentionInDays", "workspaceCapping",
		"publicNetworkAccessForIngestion", "publicNetworkAccessForQuery", "forceCmkForQuery",
		"features", "defaultDataCollectionRuleResourceId", "replication", "failover" };
	for (const cJSON *m = props ? props->child : NULL; m; m = m->next) {
		if (!strcasecmp(m->string, "provisioningState") || !strcasecmp(m->string, "customerId") ||
		    !strcasecmp(m->string, "createdDate") || !strcasecmp(m->string, "modifiedDate"))
			continue;
		const char *pname = m->string;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			if (!strcasecmp(pname, known[i]))
				pname = known[i];
		sim_json_set(p, pname, cJSON_Duplicate(m, 1));
	}
	cJSON *sku = sim_json_get(p, "sku");
	if (!cJSON_IsObject(sku)) {
		sku = cJSON_CreateObject();
		cJSON_AddStringToObject(sku, "name", "PerGB2018");
		sim_json_set(p, "sku", sku);
	}
	if (!sim_json_get(p, "retentionInDays"))
		cJSON_AddNumberToObject(p, "retentionInDays", 30);
	if (!sim_json_get(p, "publicNetworkAccessForIngestion"))
		cJSON_AddStringToObject(p, "publicNetworkAccessForIngestion", "Enabled");
	if (!sim_json_get(p, "publicNetworkAccessForQuery"))
		cJSON_AddStringToObject(p, "publicNetworkAccessForQuery", "Enabled");
	cJSON *cap = sim_json_get(p, "workspaceCapping");
	if (cJSON_IsObject(cap) && !sim_json_get(cap, "dataIngestionStatus"))
		cJSON_AddStringToObject(cap, "dataIngestionStatus", "RespectQuota");
	cJSON *feat = sim_json_get(p, "features");
	if (cJSON_IsObject(feat))
		cJSON_DeleteItemFromObject(feat, "clusterResourceId"); /* set by linking only */
	if (keep_cluster[0])
		sim_json_set_str(sim_json_obj(p, "features"), "clusterResourceId", keep_cluster);
	if (!w && !sim_json_get(sim_json_obj(p, "features"), "enableLogAccessUsingOnlyResourcePermissions"))
		cJSON_AddBoolToObject(sim_json_obj(p, "features"), "enableLogAccessUsingOnlyResourcePermissions", true);
	if (!sim_json_str(p, "customerId")) {
		char g[37];
		sim_guid(g);
		sim_json_set_str(p, "customerId", g);
	}
	bool created = !w;
	sim_json_set_str(p, "provisioningState", created ? "Creating" : "Succeeded");
	w = store_put(id, T_WS, d);
	if (!w) {
		la_fail(resp, LA_M_OOM);
		return;
	}
	int64_t now = simclock_now_ms();
	if (created)
		la_simset(w, "createdMs", (double)now);
	la_simset(w, "modifiedMs", (double)now);
	if (created) {
		sim_op *op = la_start(req, w, "workspace.create", "InProgress", g_settings.workspace_create_s,
				       la__ws_created, NULL, LRO_RESULT_RESOURCE);
		la_op_headers(req, resp, op);
	}
	resp_json(resp, created ? 201 : 200, store_render(w, req->api_version));
}

static void la__ws_patch(sim_req *req, sim_resp *resp)
{
	sim_res *w = la_ws_or_404(req, resp);
	if (!w)
		return;
	if (!arm_body_object(req, resp))
		return;
	cJSON *patch = cJSON_Duplicate(req->json, 1);
	cJSON *pp = sim_json_get(patch, "properties");
	if (cJSON_IsObject(pp)) {
		cJSON_DeleteItemFromObject(pp, "provisioningState");
		cJSON_DeleteItemFromObject(pp, "customerId");
		cJSON *f = sim_json_get(pp, "features");
		if (cJSON_IsObject(f))
			cJSON_DeleteItemFromObject(f, "clusterResourceId");
	}
	cJSON_DeleteItemFromObject(patch, "location");
	cJSON_DeleteItemFromObject(patch, "id");
	cJSON_DeleteItemFromObject(patch, "name");
	sim_json_merge(w->doc, patch);
	cJSON_Delete(patch);
	cJSON *cap = sim_json_path(w->doc, "properties.workspaceCapping");
	if (cJSON_IsObject(cap) && !sim_json_get(cap, "dataIngestionStatus"))
		cJSON_AddStringToObject(cap, "dataIngestionStatus", "RespectQuota");
	la_simset(w, "modifiedMs", (double)simclock_now_ms());
	if (!cJSON_IsNumber(sim_json_get(w->sim, "createdMs")))
		la_simset(w, "createdMs", (double)simclock_now_ms());
	resp_json(resp, 200, store_render(w, req->api_version));
}

static void la__ws_get(sim_req *req, sim_resp *resp)
{
	sim_res *w = la_ws(req, req->cap[2]);
	if (!w) {
		arm_not_found(resp, T_WS, req->cap[2], req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(w, req->api_version));
}

static void la__ws_delete(sim_req *req, sim_resp *resp)
{
	sim_res *w = la_ws(req, req->cap[2]);
	if (!w) {
		resp_json(resp, 204, NULL);
		return;
	}
	const char *cl = sim_json_str(w->doc, "properties.features.clusterResourceId");
	if (cl)
		la_unlink_now(w, cl);
	char id[1024];
	snprintf(id, sizeof id, "%s", w->id);
	store_delete_tree(id);
	resp_json(resp, 200, NULL);
}

static void la__ws_list(sim_req *req, sim_resp *resp)
{
	char scope[512];
	arm_list_scope(scope, sizeof scope, req);
	la_list_unpaged(req, resp, T_WS, scope);
}

/* ---- registration --------------------------------------------------------------------- */

static const char *const v_workspaces[] = { "2015-03-20", "2015-11-01-preview", "2017-03-15-preview",
	"2017-04-26-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01", "2021-03-01-privatepreview",
	"2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01",
	"2026-03-01", NULL };

void la_workspace_routes(void)
{
	static const la_route routes[] = {
		{ "PUT", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, false, la__ws_put },
		{ "PATCH", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, false, la__ws_patch },
		{ "GET", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, false, la__ws_get },
		{ "DELETE", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, false, la__ws_delete },
		{ "GET", P_RG "/workspaces", T_WS, v_workspaces, true, false, la__ws_list },
		{ "GET", P_SUB "/workspaces", T_WS, v_workspaces, true, false, la__ws_list },
		{ "GET", P_RG "/workspaces/{name}/operationresults/{id}", T_WS, v_workspaces, false, true,
		  la_op_result },
	};
	(void)lro_register_fn("la.workspace_created", la__ws_created);
	la_routes_add(routes, sizeof routes / sizeof routes[0]);
}
