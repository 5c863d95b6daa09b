/*
 * la_internal.h - what the Log Analytics files of armsim share
 * (Microsoft.OperationalInsights): resource types, the table of the service's
 * error messages, and the helpers every resource of the provider uses.
 *
 * The provider is split by resource: la_cluster.c (clusters),
 * la_cluster_key.c (the cluster's identity, key validation and revocation),
 * la_workspace.c, la_link.c (workspaces/linkedServices, the cluster link),
 * la_storage.c (linked storage accounts), la_messages.c (the message table)
 * and res_operationalinsights.c (shared helpers, operation status,
 * registration). Not a public armsim header: only these files include it.
 * Every function runs with the global state lock held (router.h).
 */
#ifndef ARMSIM_LA_INTERNAL_H
#define ARMSIM_LA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lro.h"
#include "router.h"
#include "store.h"

#define NS "Microsoft.OperationalInsights"
#define T_CLUSTER NS "/clusters"
#define T_WS NS "/workspaces"
#define T_LS NS "/workspaces/linkedServices"
#define T_LSA NS "/workspaces/linkedStorageAccounts"
#define T_DELETED NS "/deletedClusters"
#define T_OPS NS "/locations/operationStatuses"

#define P_RG "/subscriptions/{s}/resourceGroups/{rg}/providers/" NS
#define P_SUB "/subscriptions/{s}/providers/" NS

#define DAY_MS (86400.0 * 1000.0)

/* ---- messages (la_messages.c) ---------------------------------------------------- */

/* Every error the provider answers, by id. The table gives the ARM error
 * code, the HTTP status, the text (a printf format where the message names
 * something: the arguments are listed at each entry) and its source. */
typedef enum la_msg {
	LA_OK = 0,
	/* seed 003 "Error messages", verbatim */
	LA_M_NAME, LA_M_BODY, LA_M_SKU_NAME, LA_M_SKU_NOT_CR, LA_M_SKU_NO_CAP, LA_M_SKU_RANGE,
	LA_M_CAP_LOCK, LA_M_NO_SKU, LA_M_IDENTITY, LA_M_KVP_CREATE, LA_M_OP_CREATE, LA_M_DELETING_PUT,
	LA_M_KVP_FORMAT, LA_M_KEY_VALIDATE, LA_M_KEY_RECOVER, LA_M_OP_UPDATE, LA_M_DELETING_UPDATE,
	LA_M_CLUSTER_404, LA_M_DELETE_409, LA_M_WS_404, LA_M_LINK_409, LA_M_LINK_CLUSTER,
	/* limits the seeds state as sentences */
	LA_M_LINK_BUDGET, LA_M_LINK_MAX, LA_M_DOUBLE_ENC, LA_M_CLUSTER_TYPE,
	/* documented constraints in armsim's wording, and ARM's own messages */
	LA_M_UAI_MISSING, LA_M_IDENTITY_TYPE, LA_M_KEY_REGION, LA_M_KEY_TENANT, LA_M_LOCATION_MOVED,
	LA_M_LOCATION_REQUIRED, LA_M_BILLING_TYPE, LA_M_SOFT_DELETED, LA_M_MAX_CLUSTERS, LA_M_WS_BUSY,
	LA_M_LINK_OTHER, LA_M_LINK_REGION, LA_M_LSA_TYPE, LA_M_SA_MISSING, LA_M_SA_REGION, LA_M_OOM,
	LA_M_COUNT
} la_msg;

typedef struct la_msg_entry {
	la_msg id;
	const char *code;   /* ARM error code */
	int status;         /* HTTP status */
	const char *text;   /* message, or printf format of it */
	const char *source; /* where the rule and text come from */
} la_msg_entry;

/* The entry of `id` (asserts it exists). */
const la_msg_entry *la_msg_get(la_msg id);

/* Answer the error `id`: its status, code and text formatted with the
 * arguments its entry lists. */
void la_fail(sim_resp *resp, la_msg id, ...);

/* Format the text of `id` into buf (truncated to len); returns buf. */
const char *la_msg_format(char *buf, size_t len, la_msg id, ...);

/* Answer `id`'s status and code with a text already formatted (la_msg_format). */
void la_fail_text(sim_resp *resp, la_msg id, const char *text);

/* ---- shared helpers (res_operationalinsights.c) ---------------------------------- */

/* api-version a < b (dates compare as strings; "-preview" sorts with its date) */
bool la_ver_lt(const char *a, const char *b);
/* Resource id of `name` of `type` in the request's subscription and group. */
void la_id(char *out, size_t len, const sim_req *req, const char *type, const char *name);
/* LA answers with lower-cased ids (examples, real traffic). */
void la_served_id(char *out, size_t len, const char *id);
/* provisioningState (Succeeded when absent), its terminal test, its setter */
const char *la_state(const sim_res *r);
bool la_terminal(const char *state);
void la_set_state(sim_res *r, const char *state);
/* numbers kept in the resource's private `_sim` object */
double la_simnum(const sim_res *r, const char *name, double dflt);
void la_simset(sim_res *r, const char *name, double v);
/* A date as the api-version serves it (RFC 1123 before 2022-10-01, else ISO 8601). */
void la_format_date(char *out, size_t len, int64_t ms, const char *api_version);
/* obj.name = the date kept in r->sim.simname, when there is one */
void la_date_prop(cJSON *obj, const char *name, const sim_res *r, const char *simname, const char *api_version);
/* Start an operation on `r` (takes ctx). */
sim_op *la_start(sim_req *req, const sim_res *r, const char *kind, const char *status, double seconds,
		 lro_complete_fn fn, cJSON *ctx, lro_result result);
/* The LA operation headers (Azure-AsyncOperation with LA's status api-version,
 * lower-cased path, Location) of op. */
void la_op_headers(sim_req *req, sim_resp *resp, sim_op *op);
/* la_op_headers and an empty body with `status`. */
void la_async_reply(sim_req *req, sim_resp *resp, sim_op *op, int status);
/* The workspace `name` of the request's resource group, or NULL. */
sim_res *la_ws(const sim_req *req, const char *name);
/* The workspace of cap[2], or NULL after answering the documented 404. */
sim_res *la_ws_or_404(sim_req *req, sim_resp *resp);
/* The child cap[3] under `segment` (linkedServices, linkedStorageAccounts)
 * of the workspace cap[2], or NULL. *ws_out = the workspace, NULL when it
 * does not exist (the documented 404 is then answered). */
sim_res *la_ws_child(sim_req *req, sim_resp *resp, const char *segment, const char *type, sim_res **ws_out);
/* Every resource of `type` under `scope` as one unpaged list (workspaces,
 * linked services, linked storage: their list results have no nextLink). */
void la_list_unpaged(sim_req *req, sim_resp *resp, const char *type, const char *scope);
/* The cluster of an id written with or without its leading slash. */
sim_res *la_cluster_by_id(const char *id);
/* Serve a Location URL (the operation id is the last capture). */
void la_op_result(sim_req *req, sim_resp *resp);

/* One route of the provider: ARM routes are role-checked; `noauthz` ones
 * (operation status/result URLs) are authenticated only. */
typedef struct la_route {
	const char *method, *pattern, *type;
	const char *const *versions;
	bool collection; /* list route: RBAC checks the scope */
	bool noauthz;
	sim_handler fn;
} la_route;
void la_routes_add(const la_route *routes, size_t n);

/* ---- per-resource files ----------------------------------------------------------- */

/* la_cluster.c */
void la_cluster_routes(void);
cJSON *la_render_cluster(const sim_res *r, const char *v);
int la_on_load_cluster(sim_res *r);

/* la_cluster_key.c: the cluster's identity and key */
typedef struct la_identity {
	int kind; /* 0 none given, 1 SystemAssigned, 2 UserAssigned, 3 None */
	const char *uai_id;   /* UserAssigned: the identity resource id */
	sim_res *uai;
} la_identity;

typedef struct la_kvp {
	const char *uri, *name, *version;
	bool present;   /* keyVaultProperties given */
	bool empty;     /* given with empty strings: key removal (seen in real traffic) */
} la_kvp;

/* 0 ok; else the error is answered */
int la_parse_identity(la_identity *out, const sim_req *req, const cJSON *ident, sim_resp *resp);
/* The object id the cluster's storage authenticates with to Key Vault. */
const char *la_cluster_principal(const sim_res *c);
const char *la_cluster_tenant(const sim_res *c);
/* The identity object stored on the cluster (new; caller owns it). */
cJSON *la_identity_doc(const la_identity *li, const sim_res *existing, const char *cluster_id);
/* 0 ok; else the error is answered */
int la_parse_kvp(la_kvp *out, const cJSON *props, sim_resp *resp);
/* Can `oid` (of `tenant`) use the key for a cluster in `location`? LA_OK, or
 * the message id with its text formatted into buf. */
la_msg la_key_problem(const la_kvp *k, const char *oid, const char *tenant, const char *location,
		      char *buf, size_t len);
/* Does the cluster's storage currently reach its key? */
bool la_key_reachable(const sim_res *c);
/* Tick hook: key access states of every cluster. */
void la_eval_access(void);

/* la_workspace.c */
void la_workspace_routes(void);
cJSON *la_render_workspace(const sim_res *r, const char *v);
int la_on_load_workspace(sim_res *r);

/* la_link.c */
void la_link_routes(void);
/* Unlink `ws` from its cluster at once (cluster deleted, workspace deleted,
 * unlink done). cluster_id may point into ws's own document. */
void la_unlink_now(sim_res *ws, const char *cluster_id);

/* la_storage.c */
void la_storage_routes(void);

#endif
