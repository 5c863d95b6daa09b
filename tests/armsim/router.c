/*
 * router.c - route table and the request pipeline (see router.h for the
 * order of checks, which follows ARM's).
 */
#include "router.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activitylog.h"
#include "admin.h"
#include "arm.h"
#include "auth.h"
#include "faults.h"
#include "readonly.h"
#include "lro.h"
#include "store.h"
#include "throttle.h"
#include "util.h"

/* Resource providers: each res_*.c defines its register function; files not
 * written yet simply leave the weak reference NULL. */
extern void res_operationalinsights_register(void) __attribute__((weak));
extern void res_keyvault_register(void) __attribute__((weak));
extern void res_keys_dataplane_register(void) __attribute__((weak));
extern void res_authorization_register(void) __attribute__((weak));
extern void res_msi_register(void) __attribute__((weak));
extern void res_kusto_register(void) __attribute__((weak));
extern void res_insights_register(void) __attribute__((weak));
extern void res_managedhsm_register(void) __attribute__((weak));
extern void res_hsm_dataplane_register(void) __attribute__((weak));

#define MAX_ROUTES 256
#define MAX_SEGS 32

typedef struct route_entry {
	sim_route r;
	char *buf; /* the split copy of the pattern segs[] point into */
	char *segs[MAX_SEGS];
	int nseg;
} route_entry;

static route_entry g_routes[MAX_ROUTES];
static int g_nroutes;

static const char *const supported_locations =
	"eastus, eastus2, westus, westus2, westus3, centralus, northcentralus, "
	"southcentralus, westcentralus, canadacentral, brazilsouth, northeurope, "
	"westeurope, uksouth, ukwest, francecentral, germanywestcentral, "
	"switzerlandnorth, norwayeast, swedencentral, uaenorth, southafricanorth, "
	"centralindia, eastasia, southeastasia, japaneast, koreacentral, "
	"australiaeast, australiasoutheast";

static int router__split(char **segs, int max, char *path)
{
	int n = 0;
	for (char *save = NULL, *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n >= max)
			return -1;
		segs[n++] = s;
	}
	return n;
}

/* Which host a route kind answers on: 0 ARM (and open/admin), 1 a vault, 2 an HSM. */
static int router__host_kind(sim_route_kind k)
{
	return k == SIM_ROUTE_DATAPLANE ? 1 : k == SIM_ROUTE_HSM ? 2 : 0;
}

void router_add(const sim_route *route)
{
	char *copy = strdup(route->pattern);
	route_entry e;
	memset(&e, 0, sizeof e);
	e.r = *route;
	e.buf = copy;
	e.nseg = router__split(e.segs, MAX_SEGS, copy);
	for (int i = 0; i < g_nroutes; i++) {
		if (strcasecmp(g_routes[i].r.method, route->method) == 0 &&
		    strcasecmp(g_routes[i].r.pattern, route->pattern) == 0 &&
		    router__host_kind(g_routes[i].r.kind) == router__host_kind(route->kind)) {
			free(g_routes[i].buf);
			g_routes[i] = e;
			return;
		}
	}
	if (g_nroutes < MAX_ROUTES)
		g_routes[g_nroutes++] = e;
	else
		fprintf(stderr, "armsim: too many routes, %s %s dropped\n", route->method, route->pattern);
}

void router_add_arm(const char *method, const char *pattern, const char *resource_type,
		    const char *const *api_versions, bool list, sim_handler fn)
{
	router_add_arm_action(method, pattern, resource_type, api_versions, list, NULL, fn);
}

void router_add_arm_action(const char *method, const char *pattern, const char *resource_type,
			   const char *const *api_versions, bool list, const char *action, sim_handler fn)
{
	sim_route r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.pattern = pattern;
	r.kind = SIM_ROUTE_ARM;
	r.resource_type = resource_type;
	r.api_versions = api_versions;
	r.list = list;
	r.action = action;
	r.fn = fn;
	r.sub_cap = sim_prefix_ci(pattern, "/subscriptions/{") ? 0 : -1;
	r.rg_cap = -1;
	/* "/subscriptions/{s}/resourceGroups/{rg}/..." */
	const char *p = strchr(pattern + 1, '/');
	if (r.sub_cap == 0 && p && (p = strchr(p + 1, '/')) && sim_prefix_ci(p, "/resourceGroups/{"))
		r.rg_cap = 1;
	router_add(&r);
}

void router_default_action(char *out, size_t outlen, const char *resource_type,
			   const char *method)
{
	const char *verb = "action";
	if (!strcasecmp(method, "GET") || !strcasecmp(method, "HEAD"))
		verb = "read";
	else if (!strcasecmp(method, "PUT") || !strcasecmp(method, "PATCH"))
		verb = "write";
	else if (!strcasecmp(method, "DELETE"))
		verb = "delete";
	snprintf(out, outlen, "%s/%s", resource_type ? resource_type : "", verb);
}

void router_versions_string(char *out, size_t outlen, const char *const *versions)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; versions && versions[i]; i++) {
		int n = snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", versions[i]);
		if (n < 0 || (size_t)n >= outlen - o)
			break;
		o += (size_t)n;
	}
}

static bool router__version_ok(const char *const *versions, const char *v)
{
	if (!versions)
		return true;
	for (int i = 0; versions[i]; i++)
		if (strcasecmp(versions[i], v) == 0)
			return true;
	return false;
}

/* Does host name a vault ("<vault>.vault.localhost"), or with `suffix`
 * ".managedhsm.localhost" an HSM? */
static bool router__dp_host(const char *host, const char *suffix, char *vault, size_t len)
{
	size_t hl = strlen(host), sl = strlen(suffix);
	if (hl <= sl || strcasecmp(host + hl - sl, suffix) != 0)
		return false;
	if (hl - sl >= len)
		return false;
	memcpy(vault, host, hl - sl);
	vault[hl - sl] = '\0';
	return strchr(vault, '.') == NULL;
}

static void router__scope(char *out, size_t len, const sim_req *req, const sim_route *r)
{
	snprintf(out, len, "%s", req->path);
	size_t n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	if (r->list) {
		/* collection: the scope is what holds it */
		char low[2048];
		sim_lower(low, sizeof low, out);
		char *p = strstr(low, "/providers/");
		if (p && p != low)
			out[p - low] = '\0';
	}
}

/* The location ARM names when the request carries none: the resource
 * group's, else the region of the ARM front end that took the request
 * (armsim plays one, in eastus). */
static void router__front_door_location(char *loc, size_t len, const sim_req *req, const sim_route *r)
{
	if (r->rg_cap >= 0 && r->sub_cap >= 0 && r->rg_cap < req->ncap && r->sub_cap < req->ncap) {
		char id[512];
		snprintf(id, sizeof id, "/subscriptions/%s/resourceGroups/%s", req->cap[r->sub_cap], req->cap[r->rg_cap]);
		sim_res *rg = store_get_typed(id, "Microsoft.Resources/resourceGroups");
		const char *rl = rg ? sim_json_str(rg->doc, "location") : NULL;
		if (rl) {
			sim_location_norm(loc, len, rl);
			return;
		}
	}
	snprintf(loc, len, "%s", "eastus");
}

static void router__api_version_error(sim_req *req, sim_resp *resp, const sim_route *r)
{
	char list[2048];
	router_versions_string(list, sizeof list, r->api_versions);
	if (sim_prefix_ci(r->resource_type, "Microsoft.Resources/")) {
		char compact[2048];
		size_t o = 0;
		for (const char *p = list; *p && o + 1 < sizeof compact; p++)
			if (*p != ' ')
				compact[o++] = *p;
		compact[o] = '\0';
		resp_arm_error(resp, 400, "InvalidApiVersionParameter",
			       "The api-version '%s' is invalid. The supported versions are '%s'.",
			       req->api_version, compact);
		return;
	}
	/* location: from the body (PUT), the existing resource, or a {location} capture */
	char loc[128] = "";
	const char *bl = sim_json_str(req->json, "location");
	if (bl) {
		sim_location_norm(loc, sizeof loc, bl);
	} else {
		sim_res *res = store_get(req->path);
		const char *rl = res ? sim_json_str(res->doc, "location") : NULL;
		if (rl)
			sim_location_norm(loc, sizeof loc, rl);
		else {
			char low[2048];
			sim_lower(low, sizeof low, req->path);
			char *p = strstr(low, "/locations/");
			if (p) {
				p += strlen("/locations/");
				char *e = strchr(p, '/');
				if (e)
					*e = '\0';
				sim_location_norm(loc, sizeof loc, p);
			}
		}
	}
	if (!loc[0])
		router__front_door_location(loc, sizeof loc, req, r);
	const char *slash = strrchr(r->resource_type ? r->resource_type : "", '/');
	const char *type = slash ? slash + 1 : (r->resource_type ? r->resource_type : "");
	resp_arm_error(resp, 400, "NoRegisteredProviderFound",
		       "No registered resource provider found for location '%s' and API version '%s' "
		       "for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
		       loc, req->api_version, type, list, supported_locations);
}

static void router__not_found(sim_req *req, sim_resp *resp)
{
	char low[2048];
	sim_lower(low, sizeof low, req->path);
	char *p = strstr(low, "/providers/");
	if (p && strncmp(low, "/subscriptions/", 15) == 0) {
		/* ".../providers/Namespace/type[/name/child...]" */
		const char *orig = req->path + (p - low) + strlen("/providers/");
		char ns[256] = "", type[256] = "";
		const char *s1 = strchr(orig, '/');
		if (s1) {
			snprintf(ns, sizeof ns, "%.*s", (int)(s1 - orig), orig);
			const char *s2 = strchr(s1 + 1, '/');
			snprintf(type, sizeof type, "%.*s", (int)(s2 ? s2 - s1 - 1 : (long)strlen(s1 + 1)), s1 + 1);
			/* child types: ns/type/name/child -> "type/child" */
			if (s2) {
				const char *s3 = strchr(s2 + 1, '/');
				if (s3 && s3[1]) {
					const char *s4 = strchr(s3 + 1, '/');
					size_t l = strlen(type);
					snprintf(type + l, sizeof type - l, "/%.*s",
						 (int)(s4 ? s4 - s3 - 1 : (long)strlen(s3 + 1)), s3 + 1);
				}
			}
		}
		resp_arm_error(resp, 404, "InvalidResourceType",
			       "The resource type '%s' could not be found in the namespace '%s' for api version '%s'.",
			       type, ns, req->api_version ? req->api_version : "");
		return;
	}
	resp_arm_error(resp, 404, "NotFound", "The requested path '%s' was not found.", req->path);
}

static void router__run_arm(sim_req *req, sim_resp *resp, const sim_route *r)
{
	const char *sub = r->sub_cap >= 0 && r->sub_cap < req->ncap ? req->cap[r->sub_cap] : NULL;
	if (!auth_check_bearer(req, resp, ARM_AUDIENCE, false))
		return;
	if (!throttle_take(req, resp, sub ? sub : ""))
		return;
	if (!req->api_version || !*req->api_version) {
		resp_arm_error(resp, 400, "MissingApiVersionParameter",
			       "The api-version query parameter (?api-version=) is required for all requests.");
		return;
	}
	store_lock();
	if (sub) {
		sim_res *s = store_subscription(sub);
		if (!s) {
			resp_arm_error(resp, 404, "SubscriptionNotFound",
				       "The subscription '%s' could not be found.", sub);
			goto out;
		}
		const char *stid = sim_json_str(s->doc, "tenantId");
		if (stid && !sim_streq_ci(stid, req->caller.tenant_id)) {
			resp_header(resp, "WWW-Authenticate",
				    "Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", "
				    "error_description=\"The access token is from the wrong issuer.\"",
				    req_base_url(req), stid);
			resp_arm_error(resp, 401, "InvalidAuthenticationTokenTenant",
				       "The access token is from the wrong issuer 'https://sts.windows.net/%s/'. "
				       "It must match the tenant 'https://sts.windows.net/%s/' associated with "
				       "this subscription. Please use the authority (URL) '%s/%s' to get the token. "
				       "Note, if the subscription is transferred to another tenant there is no "
				       "impact to the services, but information about new tenant could take "
				       "time to propagate (up to an hour). If you just transferred your "
				       "subscription and see this error message, please try back later.",
				       req->caller.tenant_id, stid, req_base_url(req), stid);
			goto out;
		}
	}
	if (!router__version_ok(r->api_versions, req->api_version)) {
		router__api_version_error(req, resp, r);
		goto out;
	}
	if (!r->action || *r->action) {
		char action[512], scope[2048];
		if (r->action)
			snprintf(action, sizeof action, "%s", r->action);
		else
			router_default_action(action, sizeof action, r->resource_type, req->method);
		router__scope(scope, sizeof scope, req, r);
		if (!rbac_allowed(req->caller.object_id, scope, action)) {
			rbac_forbidden(resp, &req->caller, action, scope);
			goto out;
		}
	}
	if (r->rg_cap >= 0 && r->rg_cap < req->ncap && sub &&
	    !store_resource_group(sub, req->cap[r->rg_cap])) {
		resp_arm_error(resp, 404, "ResourceGroupNotFound",
			       "Resource group '%s' could not be found.", req->cap[r->rg_cap]);
		goto out;
	}
	if (!readonly_check(req, resp))
		goto out;
	lro_tick();
	lro_request_method(req->method);
	bool read = !strcasecmp(req->method, "GET");
	if (!read)
		store_lag_note(store_get(req->path)); /* reads lag this write (readLagSeconds) */
	store_read_view(read);
	r->fn(req, resp);
	store_read_view(false);
	if (!read && strcasecmp(req->method, "HEAD")) {
		/* every write a handler answered is in the Activity Log */
		char act[512];
		if (r->action && *r->action)
			snprintf(act, sizeof act, "%s", r->action);
		else
			router_default_action(act, sizeof act, r->resource_type, req->method);
		activitylog_record(req, resp, act);
	}
	lro_request_method(NULL);
	lro_tick(); /* derived state sees this request's changes at once */
out:
	store_unlock();
}

void router_dispatch(sim_req *req, sim_resp *resp)
{
	char pathcopy[4096], vault[128] = "";
	char *segs[MAX_SEGS];
	snprintf(pathcopy, sizeof pathcopy, "%s", req->path);
	int nseg = router__split(segs, MAX_SEGS, pathcopy);
	bool vault_host = router__dp_host(req->host, ".vault.localhost", vault, sizeof vault);
	bool hsm_host = !vault_host && router__dp_host(req->host, ".managedhsm.localhost", vault, sizeof vault);
	int host_kind = vault_host ? 1 : hsm_host ? 2 : 0;
	const route_entry *match = NULL;
	bool path_matched = false;

	for (int i = 0; nseg >= 0 && i < g_nroutes && !match; i++) {
		const route_entry *e = &g_routes[i];
		if (router__host_kind(e->r.kind) != host_kind)
			continue;
		if (e->nseg != nseg)
			continue;
		int ncap = 0;
		bool ok = true;
		for (int s = 0; s < nseg && ok; s++) {
			if (e->segs[s][0] == '{') {
				if (ncap < SIM_MAX_CAPTURES)
					req->cap[ncap++] = req->path + (segs[s] - pathcopy);
			} else if (strcasecmp(e->segs[s], segs[s]) != 0) {
				ok = false;
			}
		}
		if (!ok)
			continue;
		path_matched = true;
		if (strcasecmp(e->r.method, req->method) != 0 &&
		    !(!strcasecmp(req->method, "HEAD") && !strcasecmp(e->r.method, "GET")))
			continue;
		match = e;
		req->ncap = ncap;
	}

	/* captures point into req->path; make them NUL-terminated copies */
	static _Thread_local char capbuf[SIM_MAX_CAPTURES][512];
	if (match) {
		for (int i = 0; i < req->ncap; i++) {
			const char *s = req->cap[i];
			size_t n = strcspn(s, "/");
			if (n >= sizeof capbuf[i])
				n = sizeof capbuf[i] - 1;
			memcpy(capbuf[i], s, n);
			capbuf[i][n] = '\0';
			req->cap[i] = capbuf[i];
		}
		req->resource_type = match->r.resource_type;
	}
	if (vault_host || hsm_host) {
		static _Thread_local char vbuf[128];
		snprintf(vbuf, sizeof vbuf, "%s", vault);
		if (vault_host)
			req->vault_name = vbuf;
		else
			req->hsm_name = vbuf;
	}

	if (faults_apply(req, resp))
		return;

	if (!match) {
		if (path_matched) {
			resp_arm_error(resp, 405, "MethodNotAllowed",
				       "The requested resource does not support http method '%s'.", req->method);
			return;
		}
		if (vault_host || hsm_host) {
			resp_arm_error(resp, 404, "NotFound", "The requested path '%s' was not found.", req->path);
			return;
		}
		router__not_found(req, resp);
		return;
	}
	const sim_route *r = &match->r;
	switch (r->kind) {
	case SIM_ROUTE_ARM:
		router__run_arm(req, resp, r);
		return;
	case SIM_ROUTE_DATAPLANE:
	case SIM_ROUTE_HSM:
		if (!auth_check_bearer(req, resp, r->kind == SIM_ROUTE_HSM ? HSM_AUDIENCE : KV_AUDIENCE, true))
			return;
		if (!req->api_version || !*req->api_version ||
		    !router__version_ok(r->api_versions, req->api_version)) {
			if (!req->api_version || !*req->api_version)
				resp_arm_error(resp, 400, "BadParameter",
					       "The 'api-version' query parameter is missing.");
			else
				resp_arm_error(resp, 400, "BadParameter",
					       "The specified version (%s) is not recognized. Consider using "
					       "the latest supported version (%s).",
					       req->api_version, r->api_versions[0]);
			return;
		}
		break;
	case SIM_ROUTE_ADMIN:
		if (!req->loopback) {
			resp_arm_error(resp, 403, "Forbidden", "The armsim admin API answers loopback clients only.");
			return;
		}
		break;
	case SIM_ROUTE_OPEN:
		break;
	}
	store_lock();
	lro_tick();
	lro_request_method(req->method);
	r->fn(req, resp);
	lro_request_method(NULL);
	lro_tick();
	store_unlock();
}

/* Locations armsim knows: name and display name (ARM's /locations, the
 * providers' "locations" lists). */
static const char *const g_locations[][2] = {
	{ "eastus", "East US" }, { "eastus2", "East US 2" }, { "westus", "West US" },
	{ "westus2", "West US 2" }, { "westus3", "West US 3" }, { "centralus", "Central US" },
	{ "northcentralus", "North Central US" }, { "southcentralus", "South Central US" },
	{ "westcentralus", "West Central US" }, { "canadacentral", "Canada Central" },
	{ "brazilsouth", "Brazil South" }, { "northeurope", "North Europe" },
	{ "westeurope", "West Europe" }, { "uksouth", "UK South" }, { "ukwest", "UK West" },
	{ "francecentral", "France Central" }, { "germanywestcentral", "Germany West Central" },
	{ "switzerlandnorth", "Switzerland North" }, { "norwayeast", "Norway East" },
	{ "swedencentral", "Sweden Central" }, { "uaenorth", "UAE North" },
	{ "southafricanorth", "South Africa North" }, { "centralindia", "Central India" },
	{ "eastasia", "East Asia" }, { "southeastasia", "Southeast Asia" },
	{ "japaneast", "Japan East" }, { "koreacentral", "Korea Central" },
	{ "australiaeast", "Australia East" }, { "australiasoutheast", "Australia Southeast" },
};

const char *router_location_display(const char *loc)
{
	char n[128];
	sim_location_norm(n, sizeof n, loc);
	for (size_t i = 0; i < sizeof g_locations / sizeof g_locations[0]; i++)
		if (!strcmp(g_locations[i][0], n))
			return g_locations[i][1];
	return NULL;
}

cJSON *router_locations(const char *subscription_id)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof g_locations / sizeof g_locations[0]; i++) {
		char id[256];
		cJSON *l = cJSON_CreateObject();
		snprintf(id, sizeof id, "/subscriptions/%s/locations/%s", subscription_id, g_locations[i][0]);
		cJSON_AddStringToObject(l, "id", id);
		cJSON_AddStringToObject(l, "name", g_locations[i][0]);
		cJSON_AddStringToObject(l, "type", "Region");
		cJSON_AddStringToObject(l, "displayName", g_locations[i][1]);
		cJSON_AddStringToObject(l, "regionalDisplayName", g_locations[i][1]);
		cJSON_AddItemToArray(arr, l);
	}
	return arr;
}

/* Namespaces and resource types registered, with their api-versions (as
 * GET /subscriptions/{s}/providers answers), derived from the routes. */
cJSON *router_providers(const char *subscription_id, const char *only_namespace)
{
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < g_nroutes; i++) {
		const sim_route *r = &g_routes[i].r;
		if (r->kind != SIM_ROUTE_ARM || !r->resource_type || !r->api_versions)
			continue;
		const char *slash = strchr(r->resource_type, '/');
		if (!slash || sim_prefix_ci(r->resource_type, "Microsoft.Resources/"))
			continue;
		char ns[128];
		snprintf(ns, sizeof ns, "%.*s", (int)(slash - r->resource_type), r->resource_type);
		if (only_namespace && strcasecmp(ns, only_namespace))
			continue;
		cJSON *p = NULL, *x;
		cJSON_ArrayForEach(x, list)
			if (!strcasecmp(cJSON_GetObjectItem(x, "namespace")->valuestring, ns))
				p = x;
		if (!p) {
			char id[256];
			p = cJSON_CreateObject();
			snprintf(id, sizeof id, "/subscriptions/%s/providers/%s", subscription_id, ns);
			cJSON_AddStringToObject(p, "id", id);
			cJSON_AddStringToObject(p, "namespace", ns);
			cJSON_AddStringToObject(p, "registrationState", "Registered");
			cJSON_AddStringToObject(p, "registrationPolicy", "RegistrationRequired");
			cJSON_AddArrayToObject(p, "resourceTypes");
			cJSON_AddItemToArray(list, p);
		}
		cJSON *types = cJSON_GetObjectItem(p, "resourceTypes"), *t = NULL;
		cJSON_ArrayForEach(x, types)
			if (!strcasecmp(cJSON_GetObjectItem(x, "resourceType")->valuestring, slash + 1))
				t = x;
		if (t)
			continue;
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "resourceType", slash + 1);
		cJSON *locs = cJSON_AddArrayToObject(t, "locations");
		for (size_t l = 0; l < sizeof g_locations / sizeof g_locations[0]; l++)
			cJSON_AddItemToArray(locs, cJSON_CreateString(g_locations[l][1]));
		cJSON *vers = cJSON_AddArrayToObject(t, "apiVersions");
		int n = 0;
		while (r->api_versions[n])
			n++;
		for (int v = n - 1; v >= 0; v--) /* newest first, as ARM lists them */
			cJSON_AddItemToArray(vers, cJSON_CreateString(r->api_versions[v]));
		cJSON_AddStringToObject(t, "capabilities", "None");
		cJSON_AddItemToArray(types, t);
	}
	return list;
}

void router_init(void)
{
	arm_register_routes();
	auth_register_routes();
	admin_register_routes();
	if (res_operationalinsights_register)
		res_operationalinsights_register();
	if (res_keyvault_register)
		res_keyvault_register();
	if (res_keys_dataplane_register)
		res_keys_dataplane_register();
	if (res_authorization_register)
		res_authorization_register();
	if (res_msi_register)
		res_msi_register();
	if (res_kusto_register)
		res_kusto_register();
	if (res_insights_register)
		res_insights_register();
	if (res_managedhsm_register)
		res_managedhsm_register();
	if (res_hsm_dataplane_register)
		res_hsm_dataplane_register();
	res_activitylog_register();
}
