/*
 * la_storage.c - linked storage accounts of a Log Analytics workspace in
 * armsim (CustomLogs, AzureWatson, Query, Alerts, Ingestion): PUT, GET,
 * DELETE and list, synchronous; each storage account must exist, be
 * writable by the caller (linked access check) and share the workspace's
 * region (seeds 001/003).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "auth.h"
#include "la_internal.h"
#include "util.h"

/* ---- linked storage accounts --------------------------------------------------------- */

static const char *la__data_source(const char *s)
{
	static const char *const types[] = { "CustomLogs", "AzureWatson", "Query", "Alerts", "Ingestion" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcasecmp(s, types[i]))
			return types[i];
	return NULL;
}

static void la__lsa_put(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la_ws_or_404(req, resp);
	if (!ws)
		return;
	const char *dst = la__data_source(req->cap[3]);
	if (!dst) {
		la_fail(resp, LA_M_LSA_TYPE, req->cap[3]);
		return;
	}
	cJSON *ids = sim_json_path(req->json, "properties.storageAccountIds");
	if (!req->json || !cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0) {
		la_fail(resp, LA_M_BODY);
		return;
	}
	cJSON *x;
	cJSON_ArrayForEach(x, ids) {
		if (!cJSON_IsString(x)) {
			la_fail(resp, LA_M_BODY);
			return;
		}
		if (!rbac_linked_check(req, resp, "Microsoft.Storage/storageAccounts/write", x->valuestring))
			return;
		sim_res *sa = store_get_typed(x->valuestring, "Microsoft.Storage/storageAccounts");
		if (!sa) {
			la_fail(resp, LA_M_SA_MISSING, x->valuestring);
			return;
		}
		const char *sl = sim_json_str(sa->doc, "location");
		if (sl && !sim_location_eq(sl, sim_json_str(ws->doc, "location"))) {
			la_fail(resp, LA_M_SA_REGION, x->valuestring, sl, sim_json_str(ws->doc, "location"));
			return;
		}
	}
	char id[1200], sid[1200], low[1024];
	snprintf(id, sizeof id, "%s/linkedStorageAccounts/%s", ws->id, dst);
	/* as in the examples: lower-cased prefix, names as given */
	char wsid[1024];
	snprintf(wsid, sizeof wsid, "%s", ws->id);
	char *slash = strrchr(wsid, '/');
	*slash = '\0';
	sim_lower(low, sizeof low, wsid);
	snprintf(sid, sizeof sid, "%s/%s/linkedStorageAccounts/%s", low, req->cap[2], req->cap[3]);
	bool existed = store_get(id) != NULL;
	cJSON *d = cJSON_CreateObject(), *p = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(p, "dataSourceType", dst);
	cJSON_AddItemToObject(p, "storageAccountIds", cJSON_Duplicate(ids, 1));
	cJSON_AddStringToObject(d, "id", sid);
	cJSON_AddStringToObject(d, "name", dst);
	cJSON_AddStringToObject(d, "type", T_LSA);
	sim_res *r = store_put(id, T_LSA, d);
	(void)existed;
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void la__lsa_get(sim_req *req, sim_resp *resp)
{
	sim_res *ws = NULL, *r = la_ws_child(req, resp, "linkedStorageAccounts", T_LSA, &ws);
	if (!ws)
		return;
	if (!r) {
		char what[512];
		snprintf(what, sizeof what, "%s/linkedStorageAccounts/%s", req->cap[2], req->cap[3]);
		arm_not_found(resp, T_WS, what, req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(r, req->api_version));
}

static void la__lsa_delete(sim_req *req, sim_resp *resp)
{
	sim_res *ws = NULL, *r = la_ws_child(req, resp, "linkedStorageAccounts", T_LSA, &ws);
	if (!ws)
		return;
	if (!r) {
		resp_json(resp, 204, NULL);
		return;
	}
	store_delete(r);
	resp_json(resp, 200, NULL);
}

static void la__lsa_list(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la_ws_or_404(req, resp);
	if (!ws)
		return;
	la_list_unpaged(req, resp, T_LSA, ws->id);
}

/* ---- registration --------------------------------------------------------------------- */

static const char *const v_storage[] = { "2019-08-01-preview", "2020-03-01-preview", "2020-08-01",
	"2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01", "2026-03-01", NULL };

void la_storage_routes(void)
{
	static const la_route routes[] = {
		{ "PUT", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false, false,
		  la__lsa_put },
		{ "GET", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false, false,
		  la__lsa_get },
		{ "DELETE", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false, false,
		  la__lsa_delete },
		{ "GET", P_RG "/workspaces/{ws}/linkedStorageAccounts", T_LSA, v_storage, false, false,
		  la__lsa_list },
	};
	la_routes_add(routes, sizeof routes / sizeof routes[0]);
}
