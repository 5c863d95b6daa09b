/*
 * arm.c - ARM conventions shared by resource providers (ids, standard
 * errors, paging, conditional requests) and ARM's own endpoints:
 * subscriptions, resource groups, cloud metadata (see arm.h).
 */
#include "arm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "util.h"

void arm_resource_id(char *out, size_t outlen, const char *sub, const char *rg,
		     const char *provider_type, const char *name)
{
	snprintf(out, outlen, "/subscriptions/%s/resourceGroups/%s/providers/%s/%s", sub, rg,
		 provider_type, name);
}

void arm_not_found(sim_resp *resp, const char *provider_type, const char *name, const char *rg)
{
	resp_arm_error(resp, 404, "ResourceNotFound",
		       "The Resource '%s/%s' under resource group '%s' was not found. For more details "
		       "please go to https://aka.ms/ARMResourceNotFoundFix",
		       provider_type, name, rg);
}

bool arm_body_object(const sim_req *req, sim_resp *resp)
{
	if (!req->json_invalid && cJSON_IsObject(req->json))
		return true;
	arm_invalid_body(resp, req);
	return false;
}

void arm_invalid_body(sim_resp *resp, const sim_req *req)
{
	(void)req;
	resp_arm_error(resp, 400, "InvalidRequestContent",
		       "The request content was invalid and could not be deserialized: 'Unexpected "
		       "character encountered while parsing value. Path '', line 1, position 0.'.");
}

static void arm__next_link(char *out, size_t len, const sim_req *req, long skip)
{
	/* the request URL without its $skiptoken, plus the next one */
	char url[4096];
	size_t o = 0;
	const char *q = strchr(req->raw_url, '?');
	o = (size_t)snprintf(url, sizeof url, "%.*s", (int)(q ? q - req->raw_url : (long)strlen(req->raw_url)),
			     req->raw_url);
	char sep = '?';
	for (const char *p = q ? q + 1 : NULL; p && *p && o < sizeof url;) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		if (strncasecmp(p, "$skiptoken=", 11) != 0 && strncasecmp(p, "%24skiptoken=", 13) != 0) {
			o += (size_t)snprintf(url + o, sizeof url - o, "%c%.*s", sep, (int)n, p);
			sep = '&';
		}
		p = amp ? amp + 1 : NULL;
	}
	snprintf(out, len, "%s%s%c$skiptoken=%ld", req_base_url(req), url, sep, skip);
}

void arm_list_respond_values(const sim_req *req, sim_resp *resp, cJSON *values)
{
	long n = cJSON_GetArraySize(values), skip = 0, page = g_settings.page_size;
	const char *st = req_query(req, "$skiptoken");
	if (st)
		skip = strtol(st, NULL, 10);
	if (skip < 0 || skip > n)
		skip = n;
	const char *top = req_query(req, "$top");
	if (top && strtol(top, NULL, 10) > 0 && strtol(top, NULL, 10) < page)
		page = strtol(top, NULL, 10);
	cJSON *b = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(b, "value");
	for (long i = skip; i < n && i < skip + page; i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(values, (int)i), 1));
	if (skip + page < n) {
		char link[4600];
		arm__next_link(link, sizeof link, req, skip + page);
		cJSON_AddStringToObject(b, "nextLink", link);
	}
	cJSON_Delete(values);
	resp_json(resp, 200, b);
}

void arm_list_respond(const sim_req *req, sim_resp *resp, sim_res **items, size_t n)
{
	cJSON *values = cJSON_CreateArray();
	long skip = 0, page = g_settings.page_size;
	const char *st = req_query(req, "$skiptoken");
	if (st)
		skip = strtol(st, NULL, 10);
	/* render only the page (plus placeholders) so huge lists stay cheap */
	for (size_t i = 0; i < n; i++) {
		if ((long)i >= skip && (long)i < skip + page)
			cJSON_AddItemToArray(values, store_render(items[i], req->api_version));
		else
			cJSON_AddItemToArray(values, cJSON_CreateNull());
	}
	arm_list_respond_values(req, resp, values);
}

void arm_list_scope(char *out, size_t len, const sim_req *req)
{
	if (req->ncap >= 2)
		snprintf(out, len, "/subscriptions/%s/resourceGroups/%s", req->cap[0], req->cap[1]);
	else
		snprintf(out, len, "/subscriptions/%s", req->cap[0]);
}

void arm_list_scoped(const sim_req *req, sim_resp *resp, const char *type)
{
	char scope[512];
	sim_res **arr;
	arm_list_scope(scope, sizeof scope, req);
	size_t n = store_list(&arr, type, scope);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

bool arm_check_conditions(const sim_req *req, sim_resp *resp, const sim_res *existing)
{
	const char *im = req_header(req, "If-Match"), *inm = req_header(req, "If-None-Match");
	const char *etag = existing ? sim_json_str(existing->doc, "etag") : NULL;
	if (im && *im) {
		bool ok = existing && (!strcmp(im, "*") || (etag && !strcmp(im, etag)));
		if (!ok) {
			resp_arm_error(resp, 412, "PreconditionFailed",
				       "The condition specified using HTTP conditional header(s) is not met.");
			return false;
		}
	}
	if (inm && *inm) {
		bool bad = existing && (!strcmp(inm, "*") || (etag && !strcmp(inm, etag)));
		if (bad) {
			resp_arm_error(resp, 412, "PreconditionFailed",
				       "The condition specified using HTTP conditional header(s) is not met.");
			return false;
		}
	}
	return true;
}

/* ---- ARM's own endpoints ---------------------------------------------------- */

static const char *const resources_versions[] = {
	"2014-04-01", "2014-04-01-preview", "2015-01-01", "2015-11-01", "2016-02-01", "2016-06-01",
	"2016-07-01", "2016-09-01", "2017-05-10", "2017-06-01", "2017-08-01", "2018-02-01",
	"2018-05-01", "2018-06-01", "2018-07-01", "2018-08-01", "2019-03-01", "2019-05-01",
	"2019-05-10", "2019-06-01", "2019-07-01", "2019-08-01", "2019-10-01", "2019-11-01",
	"2020-01-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01",
	"2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01",
	"2024-11-01", "2025-01-01", "2025-03-01", "2025-04-01", NULL
};

static bool arm__visible(const char *object_id, const char *sub_id)
{
	char scope[128];
	sim_res **arr;
	bool ok = false;
	snprintf(scope, sizeof scope, "/subscriptions/%s", sub_id);
	size_t n = store_list(&arr, "Microsoft.Authorization/roleAssignments", NULL);
	for (size_t i = 0; i < n && !ok; i++) {
		const char *as = sim_json_str(arr[i]->doc, "properties.scope");
		if (sim_streq_ci(sim_json_str(arr[i]->doc, "properties.principalId"), object_id) && as &&
		    (store_id_under(as, scope) || store_id_under(scope, as)))
			ok = true;
	}
	free(arr);
	return ok;
}

static void arm__subscriptions(sim_req *req, sim_resp *resp)
{
	sim_res **arr;
	size_t n = store_list(&arr, "Microsoft.Resources/subscriptions", NULL), k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *sid = sim_json_str(arr[i]->doc, "subscriptionId");
		if (sim_streq_ci(sim_json_str(arr[i]->doc, "tenantId"), req->caller.tenant_id) &&
		    sid && arm__visible(req->caller.object_id, sid))
			arr[k++] = arr[i];
	}
	arm_list_respond(req, resp, arr, k);
	free(arr);
}

static void arm__subscription(sim_req *req, sim_resp *resp)
{
	sim_res *s = store_subscription(req->cap[0]);
	if (!s || !arm__visible(req->caller.object_id, req->cap[0])) {
		resp_arm_error(resp, 404, "SubscriptionNotFound", "The subscription '%s' could not be found.",
			       req->cap[0]);
		return;
	}
	resp_json(resp, 200, store_render(s, req->api_version));
}

static void arm__rg_get(sim_req *req, sim_resp *resp)
{
	/* the router answered 404 when absent; HEAD (az group exists) is 204 */
	if (!strcasecmp(req->method, "HEAD")) {
		resp_json(resp, 204, NULL);
		return;
	}
	resp_json(resp, 200, store_render(store_resource_group(req->cap[0], req->cap[1]), req->api_version));
}

static void arm__providers(sim_req *req, sim_resp *resp)
{
	arm_list_respond_values(req, resp, router_providers(req->cap[0], NULL));
}

static void arm__provider(sim_req *req, sim_resp *resp)
{
	cJSON *list = router_providers(req->cap[0], req->cap[1]);
	cJSON *p = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	if (!p) {
		resp_arm_error(resp, 404, "InvalidResourceNamespace",
			       "The resource namespace '%s' is invalid.", req->cap[1]);
		return;
	}
	resp_json(resp, 200, p);
}

static void arm__locations(sim_req *req, sim_resp *resp)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddItemToObject(b, "value", router_locations(req->cap[0]));
	resp_json(resp, 200, b);
}

static void arm__rg_list(sim_req *req, sim_resp *resp)
{
	char scope[128];
	sim_res **arr;
	snprintf(scope, sizeof scope, "/subscriptions/%s", req->cap[0]);
	size_t n = store_list(&arr, "Microsoft.Resources/resourceGroups", scope);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

cJSON *arm_resource_group_doc(const char *sub, const char *rg, const char *location)
{
	char id[512], loc[64];
	snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s", sub, rg);
	sim_location_norm(loc, sizeof loc, location);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "name", rg);
	cJSON_AddStringToObject(d, "type", "Microsoft.Resources/resourceGroups");
	cJSON_AddStringToObject(d, "location", loc);
	cJSON *props = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(props, "provisioningState", "Succeeded");
	return d;
}

static void arm__rg_put(sim_req *req, sim_resp *resp)
{
	if (req->json_invalid) {
		arm_invalid_body(resp, req);
		return;
	}
	const char *loc = sim_json_str(req->json, "location");
	sim_res *cur = store_resource_group(req->cap[0], req->cap[1]);
	if (!loc && !cur) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return;
	}
	const char *name = cur ? sim_json_str(cur->doc, "name") : req->cap[1];
	cJSON *doc = arm_resource_group_doc(req->cap[0], name ? name : req->cap[1],
					    cur ? sim_json_str(cur->doc, "location") : loc);
	cJSON *tags = sim_json_get(req->json, "tags");
	if (cJSON_IsObject(tags))
		cJSON_AddItemToObject(doc, "tags", cJSON_Duplicate(tags, 1));
	bool created = !cur;
	sim_res *r = store_put(sim_json_str(doc, "id"), "Microsoft.Resources/resourceGroups", doc);
	resp_json(resp, created ? 201 : 200, store_render(r, req->api_version));
}

static cJSON *arm__cloud(const sim_req *req, bool full)
{
	char base[160], login[170];
	snprintf(base, sizeof base, "%s/", req_base_url(req));
	snprintf(login, sizeof login, "%s/", req_base_url(req));
	cJSON *c = cJSON_CreateObject();
	if (full) {
		cJSON_AddStringToObject(c, "portal", "https://portal.azure.com");
		cJSON_AddStringToObject(c, "name", "armsim");
	} else {
		cJSON_AddStringToObject(c, "galleryEndpoint", "https://gallery.azure.com/");
		cJSON_AddStringToObject(c, "graphEndpoint", "https://graph.windows.net/");
		cJSON_AddStringToObject(c, "portalEndpoint", "https://portal.azure.com/");
	}
	cJSON *a = cJSON_AddObjectToObject(c, "authentication");
	cJSON_AddStringToObject(a, "loginEndpoint", login);
	cJSON *aud = cJSON_AddArrayToObject(a, "audiences");
	cJSON_AddItemToArray(aud, cJSON_CreateString("https://management.core.windows.net/"));
	cJSON_AddItemToArray(aud, cJSON_CreateString("https://management.azure.com/"));
	if (full) {
		cJSON_AddStringToObject(a, "tenant", "common");
		cJSON_AddStringToObject(a, "identityProvider", "AAD");
		cJSON_AddStringToObject(c, "graph", "https://graph.windows.net/");
		cJSON_AddStringToObject(c, "graphAudience", "https://graph.windows.net/");
		cJSON_AddStringToObject(c, "microsoftGraphResourceId", "https://graph.microsoft.com/");
		cJSON_AddStringToObject(c, "logAnalyticsResourceId", "https://api.loganalytics.io");
	}
	cJSON_AddStringToObject(c, "resourceManager", base);
	cJSON *s = cJSON_AddObjectToObject(c, "suffixes");
	cJSON_AddStringToObject(s, "keyVaultDns", "vault.localhost");
	cJSON_AddStringToObject(s, "storage", "core.windows.net");
	return c;
}

static void arm__metadata(sim_req *req, sim_resp *resp)
{
	if (!req->api_version) {
		resp_arm_error(resp, 400, "MissingApiVersionParameter",
			       "The api-version query parameter (?api-version=) is required for all requests.");
		return;
	}
	if (!strcmp(req->api_version, "2015-01-01")) {
		resp_json(resp, 200, arm__cloud(req, false));
	} else if (!strcmp(req->api_version, "2018-01-01") || !strcmp(req->api_version, "2019-05-01")) {
		resp_json(resp, 200, arm__cloud(req, true));
	} else if (!strcmp(req->api_version, "2020-06-01") || !strcmp(req->api_version, "2022-09-01")) {
		cJSON *arr = cJSON_CreateArray();
		cJSON_AddItemToArray(arr, arm__cloud(req, true));
		resp_json(resp, 200, arr);
	} else {
		resp_arm_error(resp, 400, "InvalidApiVersionParameter",
			       "The api-version '%s' is invalid. The supported versions are "
			       "'2022-09-01,2020-06-01,2019-05-01,2018-01-01,2015-01-01'.", req->api_version);
	}
}

void arm_register_routes(void)
{
	sim_route r;
	memset(&r, 0, sizeof r);
	r.kind = SIM_ROUTE_ARM;
	r.resource_type = "Microsoft.Resources/subscriptions";
	r.api_versions = resources_versions;
	r.action = ""; /* visibility is checked by the handler, as ARM does */
	r.sub_cap = -1;
	r.rg_cap = -1;
	r.method = "GET";
	r.pattern = "/subscriptions";
	r.fn = arm__subscriptions;
	router_add(&r);
	r.pattern = "/subscriptions/{subscriptionId}";
	r.sub_cap = 0;
	r.fn = arm__subscription;
	router_add(&r);

	router_add_arm("GET", "/subscriptions/{s}/resourcegroups/{rg}", "Microsoft.Resources/resourceGroups",
		       resources_versions, false, arm__rg_get);
	/* a PUT creates the group: the router must not 404 on it */
	sim_route put;
	memset(&put, 0, sizeof put);
	put.method = "PUT";
	put.pattern = "/subscriptions/{s}/resourcegroups/{rg}";
	put.kind = SIM_ROUTE_ARM;
	put.resource_type = "Microsoft.Resources/resourceGroups";
	put.api_versions = resources_versions;
	put.sub_cap = 0;
	put.rg_cap = -1;
	put.fn = arm__rg_put;
	router_add(&put);
	router_add_arm("GET", "/subscriptions/{s}/resourcegroups", "Microsoft.Resources/resourceGroups",
		       resources_versions, true, arm__rg_list);
	router_add_arm("GET", "/subscriptions/{s}/providers", "Microsoft.Resources/providers",
		       resources_versions, true, arm__providers);
	router_add_arm("GET", "/subscriptions/{s}/providers/{namespace}", "Microsoft.Resources/providers",
		       resources_versions, true, arm__provider);
	router_add_arm("GET", "/subscriptions/{s}/locations", "Microsoft.Resources/subscriptions/locations",
		       resources_versions, true, arm__locations);

	memset(&r, 0, sizeof r);
	r.kind = SIM_ROUTE_OPEN;
	r.method = "GET";
	r.pattern = "/metadata/endpoints";
	r.resource_type = "metadata";
	r.sub_cap = r.rg_cap = -1;
	r.fn = arm__metadata;
	router_add(&r);
}

void arm_system_data(cJSON *doc, const sim_req *req, bool created)
{
	char now[64];
	simclock_iso8601(now, sizeof now, simclock_now_ms());
	cJSON *sd = sim_json_obj(doc, "systemData");
	const char *who = req->caller.app_id[0] ? req->caller.app_id : req->caller.object_id;
	if (created || !sim_json_str(sd, "createdAt")) {
		sim_json_set_str(sd, "createdBy", who);
		sim_json_set_str(sd, "createdByType", "Application");
		sim_json_set_str(sd, "createdAt", now);
	}
	sim_json_set_str(sd, "lastModifiedBy", who);
	sim_json_set_str(sd, "lastModifiedByType", "Application");
	sim_json_set_str(sd, "lastModifiedAt", now);
}
