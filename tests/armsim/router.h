/*
 * router.h - route registration and the request pipeline every ARM call
 * goes through before its handler runs.
 *
 * A route is a method plus a path pattern. Literal segments match
 * case-insensitively (ARM: "resourcegroups" == "resourceGroups"); a segment
 * written "{name}" matches any one non-empty segment and is captured into
 * req->cap[] in order. Patterns never contain the query string.
 *
 * Pipeline for routes of kind SIM_ROUTE_ARM, in the order ARM applies it:
 *   1. request log entry + fault injection (faults.c)
 *   2. bearer token: 401 + WWW-Authenticate when missing/expired/invalid or
 *      not for the ARM audience (auth.c)
 *   3. throttling: token bucket per subscription + principal, 429 when empty,
 *      x-ms-ratelimit-remaining-subscription-* headers always (throttle.c)
 *   4. api-version: 400 MissingApiVersionParameter when absent; 404
 *      SubscriptionNotFound when {subscriptionId} is unknown; 400
 *      NoRegisteredProviderFound / InvalidApiVersionParameter when not in the
 *      route's list
 *   5. RBAC: 403 AuthorizationFailed unless the caller holds a role whose
 *      actions cover `action` on the scope (auth.c)
 *   6. 404 ResourceGroupNotFound when the route has a resource group capture
 *      and the group does not exist
 *   6b. read-only members of a PUT/PATCH body (readonly.c): 400 for the few
 *      the service refuses (an LA cluster's associatedWorkspaces), hazard
 *      read_only_member_sent for the rest
 *   7. lro_tick(): due async operations complete on the virtual clock
 *   8. the handler, with the global state lock held (store.h) — handlers
 *      never lock.
 * SIM_ROUTE_DATAPLANE routes (Key Vault, host <vault>.vault.localhost) run 1,
 * 2 (audience https://vault.azure.net, Key Vault style 401), their own
 * api-version check (the route's list; error BadParameter as Key Vault words
 * it) and 7-8; authorization is the handler's job (access policies or RBAC
 * data actions: see store.h kv_* helpers). SIM_ROUTE_HSM routes (host
 * <hsm>.managedhsm.localhost, req->hsm_name) run the same with audience
 * https://managedhsm.azure.net; authorization is the HSM's local RBAC
 * (store.h hsm_* helpers). SIM_ROUTE_OPEN routes (token
 * endpoints, metadata, /_sim/) run 1, 7 and 8 only.
 */
#ifndef ARMSIM_ROUTER_H
#define ARMSIM_ROUTER_H

#include "http.h"

typedef void (*sim_handler)(sim_req *req, sim_resp *resp);

typedef enum {
	SIM_ROUTE_ARM = 0,     /* management plane: full pipeline */
	SIM_ROUTE_DATAPLANE,   /* Key Vault data plane on <vault>.vault.localhost */
	SIM_ROUTE_HSM,         /* Managed HSM data plane on <hsm>.managedhsm.localhost */
	SIM_ROUTE_OPEN,        /* no auth, no api-version (AAD, IMDS, metadata) */
	SIM_ROUTE_ADMIN,       /* /_sim/: loopback peers only, no auth */
} sim_route_kind;

/* Index of a capture that the pipeline interprets; -1 = none. */
typedef struct sim_route {
	const char *method;          /* "GET", "PUT", ... */
	const char *pattern;         /* "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{name}" */
	sim_route_kind kind;
	const char *resource_type;   /* "Microsoft.Kusto/clusters": counters, faults, errors */
	const char *const *api_versions; /* NULL-terminated list accepted; NULL = any */
	/* RBAC action checked on ARM routes, e.g. "Microsoft.Kusto/clusters/write".
	 * NULL derives it: resource_type + "/read" (GET/HEAD), "/write" (PUT,
	 * PATCH), "/delete" (DELETE), "/action" (POST). */
	const char *action;
	/* true for collection GETs: the RBAC scope is the path before
	 * "/providers/" (resource group or subscription), not the path itself. */
	bool list;
	int sub_cap;                 /* capture index of {subscriptionId}, -1 none */
	int rg_cap;                  /* capture index of {resourceGroupName}, -1 none */
	sim_handler fn;
} sim_route;

/* Register a route (the struct is copied; strings must be static). Later
 * registrations of the same method+pattern and host kind (ARM and open
 * routes, Key Vault, Managed HSM) replace earlier ones. */
void router_add(const sim_route *route);

/* Convenience for the common ARM case: sub_cap = 0, rg_cap = 1 when the
 * pattern has "/resourceGroups/{...}" as its 4th segment, else -1. */
void router_add_arm(const char *method, const char *pattern,
		    const char *resource_type, const char *const *api_versions,
		    bool list, sim_handler fn);

/* router_add_arm with an RBAC action: NULL derives it, "" checks none
 * (operation status URLs: authenticated only, as ARM serves them). */
void router_add_arm_action(const char *method, const char *pattern,
			   const char *resource_type, const char *const *api_versions,
			   bool list, const char *action, sim_handler fn);

/* Run the pipeline for one request (server.c calls this). */
void router_dispatch(sim_req *req, sim_resp *resp);

/* Called once at start: registers every built-in module and resource
 * provider (each res_*.c has a `void res_<name>_register(void)`). */
void router_init(void);

/* The ARM action a route implies for `method` (see sim_route.action). */
void router_default_action(char *out, size_t outlen, const char *resource_type,
			   const char *method);

/* ARM's provider registrations derived from the routes (GET
 * /subscriptions/{s}/providers[/{ns}]): an array, caller owns. */
cJSON *router_providers(const char *subscription_id, const char *only_namespace);
/* The locations armsim knows, as GET /subscriptions/{s}/locations lists them. */
cJSON *router_locations(const char *subscription_id);
/* Display name of a location armsim knows ("eastus" or "East US" ->
 * "East US"), or NULL for an unknown one. */
const char *router_location_display(const char *loc);

/* "a, b, c" list of the versions, for error messages. */
void router_versions_string(char *out, size_t outlen, const char *const *versions);

#endif
