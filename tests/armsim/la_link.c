/*
 * la_link.c - the cluster link in armsim: workspaces/linkedServices/cluster
 * (PUT links a workspace to a cluster, DELETE unlinks it; both long-running),
 * the rules of seeds 001/003 (one operation at a time, 2 link operations per
 * workspace in 30 days, 1000 workspaces per cluster, same region, linked
 * access check) with their hazards, and other linked services (plain,
 * synchronous).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "la_internal.h"
#include "reqlog.h"
#include "settings.h"
#include "simclock.h"
#include "util.h"

static void la__assoc_remove(sim_res *c, const sim_res *ws)
{
	cJSON *aws = sim_json_path(c->doc, "properties.associatedWorkspaces");
	for (int i = cJSON_GetArraySize(aws) - 1; i >= 0; i--)
		if (store_id_under(ws->id, sim_json_str(cJSON_GetArrayItem(aws, i), "resourceId")) &&
		    store_id_under(sim_json_str(cJSON_GetArrayItem(aws, i), "resourceId"), ws->id))
			cJSON_DeleteItemFromArray(aws, i);
	if (aws && cJSON_GetArraySize(aws) == 0)
		cJSON_DeleteItemFromObject(sim_json_get(c->doc, "properties"), "associatedWorkspaces");
}

void la_unlink_now(sim_res *ws, const char *cluster_id)
{
	/* cluster_id may point into the very member deleted below (a caller
	 * passes the workspace's own features.clusterResourceId): copy first */
	char cid[1024] = "";
	if (cluster_id)
		snprintf(cid, sizeof cid, "%s", cluster_id);
	store_lag_note(ws);
	cJSON *f = sim_json_path(ws->doc, "properties.features");
	if (cJSON_IsObject(f))
		cJSON_DeleteItemFromObject(f, "clusterResourceId");
	sim_res *c = cid[0] ? la_cluster_by_id(cid) : NULL;
	if (c) {
		store_lag_note(c);
		la__assoc_remove(c, ws);
	}
	char lsid[1200];
	snprintf(lsid, sizeof lsid, "%s/linkedServices/cluster", ws->id);
	sim_res *ls = store_get(lsid);
	if (ls)
		store_delete(ls);
	la_simset(ws, "unlinkedMs", (double)simclock_now_ms());
}

static void la__linked(sim_op *op)
{
	sim_res *ls = store_get_typed(op->resource_id, T_LS);
	const char *ws_id = sim_json_str(op->ctx, "workspace");
	sim_res *ws = ws_id ? store_get_typed(ws_id, T_WS) : NULL;
	if (!ls || !ws)
		return;
	if (op->state != LRO_SUCCEEDED) {
		store_delete(ls);
		return;
	}
	const char *target = sim_json_str(ls->doc, "properties.writeAccessResourceId");
	sim_res *c = target ? la_cluster_by_id(target) : NULL;
	if (!c) {
		lro_fail(op, la_msg_get(LA_M_LINK_CLUSTER)->code, "%s", la_msg_get(LA_M_LINK_CLUSTER)->text);
		store_delete(ls);
		return;
	}
	store_lag_note(ws); /* reads lag the workspace's and the cluster's change */
	store_lag_note(c);
	la_set_state(ls, "Succeeded");
	sim_json_set_str(sim_json_obj(sim_json_obj(ws->doc, "properties"), "features"), "clusterResourceId", target);
	cJSON *p = sim_json_obj(c->doc, "properties");
	cJSON *aws = sim_json_get(p, "associatedWorkspaces");
	if (!cJSON_IsArray(aws)) {
		aws = cJSON_CreateArray();
		sim_json_set(p, "associatedWorkspaces", aws);
	}
	la__assoc_remove(c, ws);
	aws = sim_json_get(p, "associatedWorkspaces");
	if (!cJSON_IsArray(aws)) {
		aws = cJSON_CreateArray();
		sim_json_set(p, "associatedWorkspaces", aws);
	}
	cJSON *e = cJSON_CreateObject();
	char sid[1024], t[64];
	la_served_id(sid, sizeof sid, ws->id);
	cJSON_AddStringToObject(e, "workspaceId", sim_json_str(ws->doc, "properties.customerId") ? sim_json_str(ws->doc, "properties.customerId") : "");
	cJSON_AddStringToObject(e, "workspaceName", sim_json_str(ws->doc, "name") ? sim_json_str(ws->doc, "name") : "");
	cJSON_AddStringToObject(e, "resourceId", sid);
	simclock_iso8601(t, sizeof t, simclock_now_ms());
	cJSON_AddStringToObject(e, "associateDate", t);
	cJSON_AddItemToArray(aws, e);
}

static void la__unlinked(sim_op *op)
{
	const char *ws_id = sim_json_str(op->ctx, "workspace");
	sim_res *ws = ws_id ? store_get_typed(ws_id, T_WS) : NULL;
	sim_res *ls = store_get_typed(op->resource_id, T_LS);
	if (op->state != LRO_SUCCEEDED) {
		if (ls)
			la_set_state(ls, "Succeeded");
		return;
	}
	if (ws)
		la_unlink_now(ws, sim_json_str(op->ctx, "cluster"));
	else if (ls)
		store_delete(ls);
}

/* Link/unlink operations started on `ws` within the window. */
static int la__link_ops(const sim_res *ws)
{
	double now = (double)simclock_now_ms(), window = g_settings.link_window_days * DAY_MS;
	int n = 0;
	cJSON *v, *ops = sim_json_get(ws->sim, "linkOps");
	cJSON_ArrayForEach(v, ops)
		if (cJSON_IsNumber(v) && now - v->valuedouble < window)
			n++;
	return n;
}

static void la__link_op_add(sim_res *ws)
{
	cJSON *ops = sim_json_get(ws->sim, "linkOps");
	if (!cJSON_IsArray(ops)) {
		ops = cJSON_CreateArray();
		sim_json_set(ws->sim, "linkOps", ops);
	}
	cJSON_AddItemToArray(ops, cJSON_CreateNumber((double)simclock_now_ms()));
}

static bool la__link_in_progress(const sim_res *ws)
{
	char lsid[1200];
	snprintf(lsid, sizeof lsid, "%s/linkedServices/cluster", ws->id);
	sim_res *ls = store_get(lsid);
	return ls && !la_terminal(la_state(ls));
}

static cJSON *la__ls_doc(const sim_req *req, const sim_res *ws, const char *lsname, const cJSON *props)
{
	char id[1200], sid[1200], name[512];
	snprintf(id, sizeof id, "%s/linkedServices/%s", ws->id, lsname);
	la_served_id(sid, sizeof sid, id);
	snprintf(name, sizeof name, "%s/%s", req->cap[2], lsname);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "properties", cJSON_Duplicate(props, 1));
	cJSON_AddStringToObject(d, "id", sid);
	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "type", T_LS);
	return d;
}

static void la__ls_put(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la_ws_or_404(req, resp);
	const char *lsname = req->cap[3];
	char lsid[1200];
	if (!ws)
		return;
	if (!req->json || !cJSON_IsObject(req->json) || !cJSON_IsObject(sim_json_get(req->json, "properties"))) {
		la_fail(resp, LA_M_BODY);
		return;
	}
	const cJSON *props = sim_json_get(req->json, "properties");
	snprintf(lsid, sizeof lsid, "%s/linkedServices/%s", ws->id, lsname);
	if (strcasecmp(lsname, "cluster") != 0) {
		/* other linked services (e.g. Automation): plain, synchronous */
		sim_res *cur = store_get(lsid);
		cJSON *d = la__ls_doc(req, ws, lsname, props);
		sim_json_set_str(sim_json_get(d, "properties"), "provisioningState", "Succeeded");
		sim_res *r = store_put(lsid, T_LS, d);
		resp_json(resp, cur ? 200 : 201, store_render(r, req->api_version));
		return;
	}
	const char *target = sim_json_str(props, "writeAccessResourceId");
	if (la__link_in_progress(ws)) {
		hazard_record("write_while_operation_running", ws->id, "link while a link or unlink runs");
		la_fail(resp, LA_M_LINK_409);
		return;
	}
	/* "write permissions to both your workspace and cluster" (001/003):
	 * ARM's linked access check, before the RP sees the request */
	if (target && !rbac_linked_check(req, resp, "Microsoft.OperationalInsights/clusters/write", target))
		return;
	sim_res *c = target ? la_cluster_by_id(target) : NULL;
	if (!c || !strcasecmp(la_state(c), "Deleting")) {
		la_fail(resp, LA_M_LINK_CLUSTER);
		return;
	}
	const char *cur = sim_json_str(ws->doc, "properties.features.clusterResourceId");
	if (cur && !store_id_under(cur, c->id)) {
		la_fail(resp, LA_M_LINK_OTHER, cur);
		return;
	}
	sim_res *existing = store_get(lsid);
	if (cur && existing) {
		/* already linked to this cluster: nothing to do */
		resp_json(resp, 200, store_render(existing, req->api_version));
		return;
	}
	if (!sim_location_eq(sim_json_str(ws->doc, "location"), sim_json_str(c->doc, "location"))) {
		la_fail(resp, LA_M_LINK_REGION, sim_json_str(ws->doc, "location"), sim_json_str(c->doc, "location"));
		return;
	}
	cJSON *aws = sim_json_path(c->doc, "properties.associatedWorkspaces");
	int linking = 0;
	for (sim_res *x = store_first(T_LS); x; x = store_next(x))
		if (!strcmp(la_state(x), "ProvisioningAccount") &&
		    sim_streq_ci(sim_json_str(x->doc, "properties.writeAccessResourceId"), target))
			linking++;
	if (cJSON_GetArraySize(aws) + linking >= g_settings.max_links_per_cluster) {
		la_fail(resp, LA_M_LINK_MAX);
		return;
	}
	if (la__link_ops(ws) >= g_settings.link_budget) {
		hazard_record("link_budget_exceeded", ws->id, "link refused: %d link/unlink operations in %g days",
			      la__link_ops(ws), g_settings.link_window_days);
		la_fail(resp, LA_M_LINK_BUDGET);
		return;
	}
	const char *cst = la_state(c);
	if (strcasecmp(cst, "Succeeded") != 0)
		hazard_record("link_before_cluster_ready", ws->id,
			      "workspace linked while cluster %s was %s: ingested data would be dropped", c->id, cst);
	double unl = la_simnum(ws, "unlinkedMs", -1);
	if (unl >= 0 && (double)simclock_now_ms() - unl < g_settings.link_window_days * DAY_MS)
		hazard_record("unlink_flipflop", ws->id, "re-link within %g days of an unlink", g_settings.link_window_days);
	la__link_op_add(ws);
	cJSON *d = la__ls_doc(req, ws, lsname, props);
	cJSON *dp = sim_json_get(d, "properties");
	sim_json_set_str(dp, "writeAccessResourceId", target);
	sim_json_set_str(dp, "provisioningState", "ProvisioningAccount");
	sim_res *ls = store_put(lsid, T_LS, d);
	if (!ls) {
		la_fail(resp, LA_M_OOM);
		return;
	}
	la_simset(ls, "putMs", (double)simclock_now_ms()); /* linkedServiceNotFoundSeconds counts from here */
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx, "workspace", ws->id);
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = NS, .location = sim_json_str(ws->doc, "location"), .subscription_id = req->cap[0],
		.resource_id = ls->id, .resource_type = T_LS, .kind = "workspace.link",
		.running_status = "InProgress", .duration_s = g_settings.link_s,
		.result = LRO_RESULT_RESOURCE, .api_version = req->api_version,
		.complete = la__linked, .ctx = ctx });
	la_op_headers(req, resp, op);
	resp_json(resp, existing ? 200 : 201, store_render(ls, req->api_version));
}

static void la__ls_delete(sim_req *req, sim_resp *resp)
{
	sim_res *ws = NULL, *ls = la_ws_child(req, resp, "linkedServices", T_LS, &ws);
	if (!ws)
		return;
	if (!ls) {
		resp_json(resp, 204, NULL);
		return;
	}
	if (strcasecmp(req->cap[3], "cluster") != 0) {
		cJSON *body = store_render(ls, req->api_version);
		store_delete(ls);
		resp_json(resp, 200, body);
		return;
	}
	if (!la_terminal(la_state(ls))) {
		hazard_record("write_while_operation_running", ws->id, "unlink while a link or unlink runs");
		la_fail(resp, LA_M_LINK_409);
		return;
	}
	if (la__link_ops(ws) >= g_settings.link_budget) {
		hazard_record("link_budget_exceeded", ws->id, "unlink refused: %d link/unlink operations in %g days",
			      la__link_ops(ws), g_settings.link_window_days);
		la_fail(resp, LA_M_LINK_BUDGET);
		return;
	}
	la__link_op_add(ws);
	la_set_state(ls, "Deleting");
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx, "workspace", ws->id);
	const char *cl = sim_json_str(ls->doc, "properties.writeAccessResourceId");
	if (cl)
		cJSON_AddStringToObject(ctx, "cluster", cl);
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = NS, .location = sim_json_str(ws->doc, "location"), .subscription_id = req->cap[0],
		.resource_id = ls->id, .resource_type = T_LS, .kind = "workspace.unlink",
		.running_status = "InProgress", .duration_s = g_settings.unlink_s,
		.result = LRO_RESULT_NO_CONTENT, .api_version = req->api_version,
		.complete = la__unlinked, .ctx = ctx });
	/* realism (unlinkSynchronous): the spec example's synchronous 200
	 * Deleting, no status URL to follow; the unlink runs all the same */
	if (!g_settings.unlink_synchronous)
		la_op_headers(req, resp, op);
	resp_json(resp, 200, store_render(ls, req->api_version));
}

static void la__ls_get(sim_req *req, sim_resp *resp)
{
	sim_res *ws = NULL, *ls = la_ws_child(req, resp, "linkedServices", T_LS, &ws);
	if (!ws)
		return;
	/* realism (linkedServiceNotFoundSeconds): a link answers 404 for a
	 * while after its PUT, as the service was seen to */
	if (ls && !strcasecmp(req->cap[3], "cluster") && g_settings.linked_service_404_s > 0 &&
	    (double)simclock_now_ms() - la_simnum(ls, "putMs", -1e18) < g_settings.linked_service_404_s * 1000.0)
		ls = NULL;
	if (!ls) {
		char what[512];
		snprintf(what, sizeof what, "%s/linkedServices/%s", req->cap[2], req->cap[3]);
		arm_not_found(resp, T_WS, what, req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(ls, req->api_version));
}

static void la__ls_list(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la_ws_or_404(req, resp);
	if (!ws)
		return;
	la_list_unpaged(req, resp, T_LS, ws->id);
}

/* ---- registration --------------------------------------------------------------------- */

static const char *const v_linked[] = { "2015-11-01-preview", "2019-08-01-preview", "2020-03-01-preview",
	"2020-08-01", "2020-10-01", "2021-06-01", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01",
	"2026-03-01", NULL };

void la_link_routes(void)
{
	static const la_route routes[] = {
		{ "PUT", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, false, la__ls_put },
		{ "GET", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, false, la__ls_get },
		{ "DELETE", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, false,
		  la__ls_delete },
		{ "GET", P_RG "/workspaces/{ws}/linkedServices", T_LS, v_linked, false, false, la__ls_list },
		{ "GET", P_RG "/workspaces/{ws}/linkedServices/{name}/operationresults/{id}", T_LS, v_linked, false,
		  true, la_op_result },
	};
	(void)lro_register_fn("la.linked", la__linked);
	(void)lro_register_fn("la.unlinked", la__unlinked);
	la_routes_add(routes, sizeof routes / sizeof routes[0]);
}
