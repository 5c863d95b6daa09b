/*
 * res_operationalinsights.c - Microsoft.OperationalInsights as armsim plays
 * it: dedicated clusters (create, update, key update, delete with soft
 * delete), workspaces, the cluster link (workspaces/linkedServices/cluster),
 * linked storage accounts, async operation status, and key revocation.
 *
 * This file holds what the provider's resources share (provisioning state,
 * dates, operations, lists) and the registration; each resource has its own
 * file (la_internal.h lists them) and every error text is in the one table
 * of la_messages.c.
 *
 * Every rule and message comes from the seeds (000 = 2020-02, 001 = 2020-11,
 * 003 = 2021-01; newest wins, older stays where api-versions say so) and the
 * 2026-03-01 spec/examples. Error codes are not documented by the seeds; the
 * codes used are the HTTP names ("BadRequest", "Conflict") as the service
 * answers, and the messages are the documented ones, verbatim. See README.md
 * "Log Analytics rules" for the list and for the few deliberate choices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm.h"
#include "la_internal.h"
#include "settings.h"
#include "simclock.h"
#include "util.h"

/* operation statuses: any version of the provider's types (the URL carries
 * LA's old 2015-11-01-preview, or the request's) */
static const char *const v_status[] = { "2015-03-20", "2015-11-01-preview", "2017-03-15-preview",
	"2017-04-26-preview", "2019-08-01-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01",
	"2021-03-01-privatepreview", "2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01",
	"2025-02-01", "2025-07-01", "2026-03-01", NULL };

/* api-version a < b (dates compare as strings; "-preview" sorts with its date) */
bool la_ver_lt(const char *a, const char *b)
{
	return strncmp(a ? a : "", b, 10) < 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

void la_id(char *out, size_t len, const sim_req *req, const char *type, const char *name)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], type, name);
}

/* LA answers with lower-cased ids (examples, real traffic). */
void la_served_id(char *out, size_t len, const char *id)
{
	sim_lower(out, len, id);
}

const char *la_state(const sim_res *r)
{
	const char *s = sim_json_str(r->doc, "properties.provisioningState");
	return s ? s : "Succeeded";
}

bool la_terminal(const char *state)
{
	return !strcasecmp(state, "Succeeded") || !strcasecmp(state, "Failed") || !strcasecmp(state, "Canceled");
}

void la_set_state(sim_res *r, const char *state)
{
	sim_json_set_str(sim_json_obj(r->doc, "properties"), "provisioningState", state);
}

double la_simnum(const sim_res *r, const char *name, double dflt)
{
	cJSON *v = sim_json_get(r->sim, name);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

void la_simset(sim_res *r, const char *name, double v)
{
	sim_json_set(r->sim, name, cJSON_CreateNumber(v));
}

void la_format_date(char *out, size_t len, int64_t ms, const char *api_version)
{
	/* real traffic (2021-06-01) carries RFC 1123; newer examples ISO 8601 */
	if (la_ver_lt(api_version, "2022-10-01"))
		simclock_rfc1123(out, len, ms);
	else
		simclock_iso8601(out, len, ms);
}

/* ---- rendering -------------------------------------------------------------------------- */

void la_date_prop(cJSON *obj, const char *name, const sim_res *r, const char *simname,
		  const char *api_version)
{
	cJSON *v = sim_json_get(r->sim, simname);
	if (!cJSON_IsNumber(v))
		return;
	char buf[64];
	la_format_date(buf, sizeof buf, (int64_t)v->valuedouble, api_version);
	sim_json_set_str(obj, name, buf);
}

void la_op_headers(sim_req *req, sim_resp *resp, sim_op *op)
{
	lro_headers(req, resp, op, &(lro_header_opts){
		.status_api_version = g_settings.la_status_api_version,
		.lower_case_status_path = true,
		.location = true,
		.async_operation = true });
}

void la_async_reply(sim_req *req, sim_resp *resp, sim_op *op, int status)
{
	la_op_headers(req, resp, op);
	resp_json(resp, status, NULL);
}

sim_op *la_start(sim_req *req, const sim_res *c, const char *kind, const char *status,
		 double seconds, lro_complete_fn fn, cJSON *ctx, lro_result result)
{
	return lro_start(&(lro_start_opts){
		.provider = NS,
		.location = sim_json_str(c->doc, "location"),
		.subscription_id = req->cap[0],
		.resource_id = c->id,
		.resource_type = c->type,
		.kind = kind,
		.running_status = status,
		.duration_s = seconds,
		.result = result,
		.api_version = req->api_version,
		.complete = fn,
		.ctx = ctx });
}

void la_op_result(sim_req *req, sim_resp *resp)
{
	lro_serve_result(req, resp, req->cap[req->ncap - 1]);
}

static void la__op_status(sim_req *req, sim_resp *resp)
{
	lro_serve_status(req, resp, req->cap[2]);
}

/* ---- lookups --------------------------------------------------------------------- */

sim_res *la_ws(const sim_req *req, const char *name)
{
	char id[1024];
	la_id(id, sizeof id, req, T_WS, name);
	return store_get_typed(id, T_WS);
}

sim_res *la_ws_or_404(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la_ws(req, req->cap[2]);
	if (!ws)
		la_fail(resp, LA_M_WS_404);
	return ws;
}

sim_res *la_ws_child(sim_req *req, sim_resp *resp, const char *segment, const char *type, sim_res **ws_out)
{
	sim_res *ws = la_ws_or_404(req, resp);
	*ws_out = ws;
	if (!ws)
		return NULL;
	char id[1200];
	snprintf(id, sizeof id, "%s/%s/%s", ws->id, segment, req->cap[3]);
	return store_get_typed(id, type);
}

/* Every resource of `type` under `scope`, as one unpaged list: workspace lists
 * are not pageable (WorkspaceListResult has no nextLink; SDKs generated from
 * the spec never follow one), nor are linked services and linked storage. */
void la_list_unpaged(sim_req *req, sim_resp *resp, const char *type, const char *scope)
{
	sim_res **arr;
	size_t n = store_list(&arr, type, scope);
	cJSON *b = cJSON_CreateObject(), *vals = cJSON_AddArrayToObject(b, "value");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(vals, store_render(arr[i], req->api_version));
	free(arr);
	resp_json(resp, 200, b);
}

sim_res *la_cluster_by_id(const char *id)
{
	char cid[1024];
	snprintf(cid, sizeof cid, "%s%s", id[0] == '/' ? "" : "/", id);
	return store_get_typed(cid, T_CLUSTER);
}


/* ---- registration --------------------------------------------------------------------- */

void la_routes_add(const la_route *routes, size_t n)
{
	/* operation status/result URLs: authenticated, not role-checked (they
	 * carry an unguessable id and ARM serves them to the caller) */
	for (size_t i = 0; i < n; i++)
		router_add_arm_action(routes[i].method, routes[i].pattern, routes[i].type, routes[i].versions,
				      routes[i].collection, routes[i].noauthz ? "" : NULL, routes[i].fn);
}

void res_operationalinsights_register(void);
void res_operationalinsights_register(void)
{
	/* the order of types is the order GET /providers lists them in */
	la_cluster_routes();
	la_workspace_routes();
	la_link_routes();
	la_storage_routes();
	static const la_route status[] = {
		{ "GET", P_SUB "/locations/{location}/operationStatuses/{id}", T_OPS, v_status, false, true,
		  la__op_status },
	};
	la_routes_add(status, 1);
	store_type_register(&(sim_type){ .type = T_CLUSTER, .on_load = la_on_load_cluster,
					 .render = la_render_cluster });
	store_type_register(&(sim_type){ .type = T_WS, .on_load = la_on_load_workspace,
					 .render = la_render_workspace });
	sim_tick_hook_add(la_eval_access);
}
