/*
 * res_insights.c - Microsoft.Insights/components (Application Insights):
 * PUT, GET, PATCH (tags), DELETE, list by resource group and subscription,
 * all synchronous (LRO-TABLE.md), and the legacy CMK association of the
 * 2020-02 doc (seed 000, api-version 2015-05-01): properties.
 * clusterDefinitionId names the "clusterId" of a Log Analytics cluster
 * created with clusterType "ApplicationInsights". The caller needs write on
 * both the component and the cluster; Application Insights and Log
 * Analytics require separate clusters; cluster and component share a
 * region; the association waits for the cluster to finish provisioning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "reqlog.h"
#include "router.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define T_COMP "Microsoft.Insights/components"
#define T_LA_CLUSTER "Microsoft.OperationalInsights/clusters"

static const char *const comp_versions[] = {
	"2014-04-01", "2014-08-01", "2014-12-01-preview", "2015-05-01", "2018-05-01-preview",
	"2020-02-02", "2020-02-02-preview", NULL
};

static void comp__id(char *out, size_t len, const sim_req *req)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], T_COMP, req->cap[2]);
}

/* Workspace-based components (WorkspaceResourceId, IngestionMode) came
 * with 2020-02-02; older api-versions show the classic shape. */
static cJSON *comp_render(const sim_res *res, const char *api_version)
{
	cJSON *d = cJSON_Duplicate(res->doc, 1);
	bool modern = api_version && api_version[0] == '2' && strcmp(api_version, "2020-02-02") >= 0;
	if (!modern) {
		cJSON *p = sim_json_get(d, "properties");
		cJSON_DeleteItemFromObject(p, "WorkspaceResourceId");
		cJSON_DeleteItemFromObject(p, "IngestionMode");
		cJSON_DeleteItemFromObject(p, "publicNetworkAccessForIngestion");
		cJSON_DeleteItemFromObject(p, "publicNetworkAccessForQuery");
	}
	return d;
}

/* The Log Analytics cluster a clusterDefinitionId names: its clusterId
 * (the documented value) or, leniently, its resource id. */
static sim_res *comp__cluster(const char *def)
{
	sim_res *c = store_get_typed(def, T_LA_CLUSTER);
	if (c)
		return c;
	sim_res **arr;
	size_t n = store_list(&arr, T_LA_CLUSTER, NULL);
	for (size_t i = 0; i < n && !c; i++)
		if (sim_streq_ci(sim_json_str(arr[i]->doc, "properties.clusterId"), def))
			c = arr[i];
	free(arr);
	return c;
}

/* The association rules; false + resp on violation. */
static bool comp__check_cluster(sim_req *req, sim_resp *resp, const char *def, const char *loc,
				const char *comp_id)
{
	sim_res *c = comp__cluster(def);
	if (!c) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The cluster '%s' named by clusterDefinitionId was not found. Use the \"clusterId\" value "
			       "of a cluster created with clusterType 'ApplicationInsights'.", def);
		return false;
	}
	if (!rbac_allowed(req->caller.object_id, c->id, "Microsoft.OperationalInsights/clusters/write")) {
		rbac_forbidden(resp, &req->caller, "Microsoft.OperationalInsights/clusters/write", c->id);
		return false;
	}
	const char *ct = sim_json_str(c->doc, "properties.clusterType");
	if (!ct || strcasecmp(ct, "ApplicationInsights")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The cluster '%s' has clusterType '%s'. Application Insights and Log Analytics require "
			       "separate clusters: associate components with a cluster created with clusterType "
			       "'ApplicationInsights'.", sim_json_str(c->doc, "name"), ct ? ct : "LogAnalytics");
		return false;
	}
	if (!sim_location_eq(loc, sim_json_str(c->doc, "location"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The cluster '%s' is in region '%s' and the component in region '%s': the cluster and "
			       "its associated components must be in the same region.",
			       sim_json_str(c->doc, "name"), sim_json_str(c->doc, "location"), loc);
		return false;
	}
	const char *ps = sim_json_str(c->doc, "properties.provisioningState");
	if (ps && strcasecmp(ps, "Succeeded")) {
		hazard_record("link_before_cluster_ready", comp_id,
			      "component associated with cluster %s in provisioningState %s", c->id, ps);
		resp_arm_error(resp, 409, "Conflict",
			       "The cluster '%s' is in provisioningState '%s'. Associate components after the cluster "
			       "provisioning completed.", sim_json_str(c->doc, "name"), ps);
		return false;
	}
	return true;
}

static void comp_get(sim_req *req, sim_resp *resp)
{
	char id[1024];
	comp__id(id, sizeof id, req);
	sim_res *r = store_get_typed(id, T_COMP);
	if (!r) {
		arm_not_found(resp, T_COMP, req->cap[2], req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(r, req->api_version));
}

/* Generated properties of a new component. */
static void comp__generated(cJSON *p, const char *name, const char *sub, const char *loc)
{
	char g[37], buf[512], now[64], n[64];
	sim_guid(g);
	sim_json_set_str(p, "AppId", g);
	sim_json_set_str(p, "ApplicationId", name);
	sim_guid(g);
	sim_json_set_str(p, "InstrumentationKey", g);
	sim_location_norm(n, sizeof n, loc);
	snprintf(buf, sizeof buf,
		 "InstrumentationKey=%s;IngestionEndpoint=https://%s-0.in.applicationinsights.azure.com/;"
		 "LiveEndpoint=https://%s.livediagnostics.monitor.azure.com/",
		 g, n, n);
	sim_json_set_str(p, "ConnectionString", buf);
	simclock_iso8601(now, sizeof now, simclock_now_ms());
	sim_json_set_str(p, "CreationDate", now);
	/* Application Insights reports the subscription as "TenantId" */
	sim_json_set_str(p, "TenantId", sub);
	sim_json_set_str(p, "HockeyAppId", "");
	sim_json_set_str(p, "HockeyAppToken", "");
}

static void comp_put(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (!arm_body_object(req, resp))
		return;
	comp__id(id, sizeof id, req);
	sim_res *cur = store_get_typed(id, T_COMP);
	const char *loc = sim_json_str(req->json, "location"), *kind = sim_json_str(req->json, "kind");
	const cJSON *props = sim_json_get(req->json, "properties");
	if (!loc) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return;
	}
	if (cur && !sim_location_eq(loc, sim_json_str(cur->doc, "location"))) {
		resp_arm_error(resp, 409, "InvalidResourceLocation",
			       "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
			       "with the same name cannot be created in location '%s'. Please select a new resource name.",
			       req->cap[2], sim_json_str(cur->doc, "location"), req->cap[1], loc);
		return;
	}
	if (!kind) {
		resp_arm_error(resp, 400, "BadRequest", "The 'kind' property of the component is required (e.g. 'web').");
		return;
	}
	const char *apptype = sim_json_str(props, "Application_Type");
	const char *def = sim_json_str(props, "clusterDefinitionId");
	if (!apptype && !def && !cur) {
		resp_arm_error(resp, 400, "BadRequest", "The 'Application_Type' property of the component is required.");
		return;
	}
	if (def && *def && !comp__check_cluster(req, resp, def, loc, id))
		return;

	cJSON *doc = cur ? cJSON_Duplicate(cur->doc, 1) : cJSON_CreateObject();
	sim_json_set_str(doc, "id", cur ? cur->id : id);
	sim_json_set_str(doc, "name", cur ? sim_json_str(cur->doc, "name") : req->cap[2]);
	sim_json_set_str(doc, "type", T_COMP);
	sim_json_set_str(doc, "location", cur ? sim_json_str(cur->doc, "location") : loc);
	sim_json_set_str(doc, "kind", kind);
	cJSON *tags = sim_json_get(req->json, "tags");
	sim_json_set(doc, "tags", cJSON_IsObject(tags) ? cJSON_Duplicate(tags, 1) : cJSON_CreateObject());
	cJSON *p = sim_json_obj(doc, "properties");
	if (!cur)
		comp__generated(p, req->cap[2], req->cap[0], loc);
	const cJSON *x;
	cJSON_ArrayForEach(x, props) {
		static const char *const ro[] = { "AppId", "ApplicationId", "InstrumentationKey", "ConnectionString",
						  "CreationDate", "TenantId", "provisioningState", "HockeyAppId" };
		bool skip = !x->string;
		for (size_t i = 0; !skip && i < sizeof ro / sizeof ro[0]; i++)
			skip = !strcasecmp(x->string, ro[i]);
		if (!skip)
			sim_json_set(p, x->string, cJSON_Duplicate(x, 1));
	}
	if (def && !*def)
		cJSON_DeleteItemFromObject(p, "clusterDefinitionId");
	if (!sim_json_get(p, "Flow_Type"))
		sim_json_set_str(p, "Flow_Type", "Bluefield");
	if (!sim_json_get(p, "Request_Source"))
		sim_json_set_str(p, "Request_Source", "rest");
	if (!sim_json_get(p, "SamplingPercentage"))
		sim_json_set(p, "SamplingPercentage", cJSON_CreateNumber(100));
	if (!sim_json_get(p, "DisableIpMasking"))
		sim_json_set(p, "DisableIpMasking", cJSON_CreateFalse());
	sim_json_set_str(p, "IngestionMode",
			 sim_json_str(p, "WorkspaceResourceId") ? "LogAnalytics" : "ApplicationInsights");
	if (!sim_json_get(p, "publicNetworkAccessForIngestion"))
		sim_json_set_str(p, "publicNetworkAccessForIngestion", "Enabled");
	if (!sim_json_get(p, "publicNetworkAccessForQuery"))
		sim_json_set_str(p, "publicNetworkAccessForQuery", "Enabled");
	sim_json_set_str(p, "provisioningState", "Succeeded");
	sim_res *r = store_put(cur ? cur->id : id, T_COMP, doc);
	if (!r) {
		resp_arm_error(resp, 500, "InternalServerError", "Out of memory.");
		return;
	}
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void comp_patch(sim_req *req, sim_resp *resp)
{
	char id[1024];
	if (!arm_body_object(req, resp))
		return;
	comp__id(id, sizeof id, req);
	sim_res *r = store_get_typed(id, T_COMP);
	if (!r) {
		arm_not_found(resp, T_COMP, req->cap[2], req->cap[1]);
		return;
	}
	/* UpdateTags: the tags object replaces the component's */
	cJSON *tags = sim_json_get(req->json, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(r->doc, "tags", cJSON_Duplicate(tags, 1));
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void comp_delete(sim_req *req, sim_resp *resp)
{
	char id[1024];
	comp__id(id, sizeof id, req);
	sim_res *r = store_get_typed(id, T_COMP);
	if (!r) {
		resp_json(resp, 204, NULL);
		return;
	}
	char rid[1024];
	snprintf(rid, sizeof rid, "%s", r->id); /* r->id dies with r */
	store_delete_tree(rid);
	resp_json(resp, 200, NULL);
}

static void comp_list(sim_req *req, sim_resp *resp)
{
	arm_list_scoped(req, resp, T_COMP);
}

static int comp_on_load(sim_res *res)
{
	cJSON *p = sim_json_obj(res->doc, "properties");
	const char *slash = strrchr(res->id, '/');
	char sub[64] = "";
	if (sim_prefix_ci(res->id, "/subscriptions/"))
		sscanf(res->id + strlen("/subscriptions/"), "%63[^/]", sub);
	if (!sim_json_str(p, "AppId"))
		comp__generated(p, slash ? slash + 1 : res->id, sub, sim_json_str(res->doc, "location"));
	if (!sim_json_str(p, "provisioningState"))
		sim_json_set_str(p, "provisioningState", "Succeeded");
	if (!sim_json_str(res->doc, "kind"))
		sim_json_set_str(res->doc, "kind", "web");
	if (!sim_json_get(res->doc, "tags"))
		cJSON_AddObjectToObject(res->doc, "tags");
	return 0;
}

#define COMP_RG "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Insights/components"

void res_insights_register(void)
{
	router_add_arm("GET", COMP_RG "/{name}", T_COMP, comp_versions, false, comp_get);
	router_add_arm("PUT", COMP_RG "/{name}", T_COMP, comp_versions, false, comp_put);
	router_add_arm("PATCH", COMP_RG "/{name}", T_COMP, comp_versions, false, comp_patch);
	router_add_arm("DELETE", COMP_RG "/{name}", T_COMP, comp_versions, false, comp_delete);
	router_add_arm("GET", COMP_RG, T_COMP, comp_versions, true, comp_list);
	router_add_arm("GET", "/subscriptions/{s}/providers/Microsoft.Insights/components", T_COMP,
		       comp_versions, true, comp_list);
	store_type_register(&(sim_type){ .type = T_COMP, .on_load = comp_on_load, .render = comp_render });
}
