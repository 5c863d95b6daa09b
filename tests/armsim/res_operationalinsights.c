/*
 * res_operationalinsights.c - Microsoft.OperationalInsights as armsim plays
 * it: dedicated clusters (create, update, key update, delete with soft
 * delete), workspaces, the cluster link (workspaces/linkedServices/cluster),
 * linked storage accounts, async operation status, and key revocation.
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
#include "auth.h"
#include "lro.h"
#include "reqlog.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define NS "Microsoft.OperationalInsights"
#define T_CLUSTER NS "/clusters"
#define T_WS NS "/workspaces"
#define T_LS NS "/workspaces/linkedServices"
#define T_LSA NS "/workspaces/linkedStorageAccounts"
#define T_DELETED NS "/deletedClusters"
#define T_OPS NS "/locations/operationStatuses"

#define DAY_MS (86400.0 * 1000.0)

/* ---- documented messages (seed 003 "Error messages", verbatim) --------------- */
#define M_NAME "Cluster name is not valid. Cluster name can contain characters a-z, A-Z, 0-9 and length of 3-63."
#define M_BODY "The body of the request is null or in bad format."
#define M_SKU_NAME "SKU name is invalid. Set SKU name to capacityReservation."
#define M_SKU_NOT_CR "Capacity was provided but SKU is not capacityReservation. Set SKU name to capacityReservation."
#define M_SKU_NO_CAP "Missing Capacity in SKU. Set Capacity value to 1000 or higher in steps of 100 (GB)."
#define M_SKU_RANGE "Capacity in SKU is not in range. Should be minimum 1000 and up to the max allowed capacity " \
	"which is available under \u2018Usage and estimated cost\u2019 in your workspace."
#define M_CAP_LOCK "Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update."
#define M_NO_SKU "No SKU was set. Set the SKU name to capacityReservation and Capacity value to 1000 or higher " \
	"in steps of 100 (GB)."
#define M_IDENTITY "Identity is null or empty. Set Identity with systemAssigned type."
#define M_KVP_CREATE "KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation."
#define M_OP_CREATE "Operation cannot be executed now. Async operation is in a state other than succeeded. " \
	"Cluster must complete its operation before any update operation is performed."
#define M_DELETING_PUT "Cluster is in deleting state. Async operation is in progress . Cluster must complete " \
	"its operation before any update operation is performed."
#define M_KVP_FORMAT "KeyVaultProperties is not empty but has a bad format. See key identifier update."
#define M_KEY_VALIDATE "Failed to validate key in Key Vault. Could be due to lack of permissions or when key " \
	"doesn\u2019t exist. Verify that you set key and access policy in Key Vault."
#define M_KEY_RECOVER "Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection. " \
	"See Key Vault documentation"
#define M_OP_UPDATE "Operation cannot be executed now. Wait for the Async operation to complete and try again."
#define M_DELETING_UPDATE "Cluster is in deleting state. Wait for the Async operation to complete and try again."
#define M_CLUSTER_404 "Cluster not found, the cluster may have been deleted. If you try to create a cluster with " \
	"that name and get conflict, the cluster is in soft-delete for 14 days. You can contact support to " \
	"recover it, or use another name to create a new cluster."
#define M_DELETE_409 "Can't delete a cluster while in provisioning state. Wait for the Async operation to " \
	"complete and try again."
#define M_WS_404 "Workspace not found. The workspace you specified doesn\u2019t exist or was deleted."
#define M_LINK_409 "Workspace link or unlink operation in process."
#define M_LINK_CLUSTER "Cluster not found, the cluster you specified doesn\u2019t exist or was deleted. If you " \
	"try to create a cluster with that name and get conflict, the cluster is in soft-delete for 14 days. " \
	"You can contact support to recover it."
/* limits stated by the seeds as sentences, not as error messages */
#define M_LINK_BUDGET "The number of workspace link operations on particular workspace is limited to 2 in a " \
	"period of 30 days."
#define M_LINK_MAX "The maximum number of workspaces that can be linked to a cluster is 1000."
#define M_DOUBLE_ENC "Double encryption setting can not be changed after the cluster has been created."
#define M_CLUSTER_TYPE "The Cluster resource type can\u2019t be altered."

/* ---- api-versions ---------------------------------------------------------------- */
static const char *const v_clusters[] = { "2019-08-01-preview", "2020-03-01-preview", "2020-08-01",
	"2020-10-01", "2021-06-01", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01", "2026-03-01", NULL };
static const char *const v_workspaces[] = { "2015-03-20", "2015-11-01-preview", "2017-03-15-preview",
	"2017-04-26-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01", "2021-03-01-privatepreview",
	"2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01",
	"2026-03-01", NULL };
static const char *const v_linked[] = { "2015-11-01-preview", "2019-08-01-preview", "2020-03-01-preview",
	"2020-08-01", "2020-10-01", "2021-06-01", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01",
	"2026-03-01", NULL };
static const char *const v_storage[] = { "2019-08-01-preview", "2020-03-01-preview", "2020-08-01",
	"2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01", "2026-03-01", NULL };
/* operation statuses: any version of the provider's types (the URL carries
 * LA's old 2015-11-01-preview, or the request's) */
static const char *const v_status[] = { "2015-03-20", "2015-11-01-preview", "2017-03-15-preview",
	"2017-04-26-preview", "2019-08-01-preview", "2020-03-01-preview", "2020-08-01", "2020-10-01",
	"2021-03-01-privatepreview", "2021-06-01", "2021-12-01-preview", "2022-10-01", "2023-09-01",
	"2025-02-01", "2025-07-01", "2026-03-01", NULL };

/* api-version a < b (dates compare as strings; "-preview" sorts with its date) */
static bool la__ver_lt(const char *a, const char *b)
{
	return strncmp(a ? a : "", b, 10) < 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void la__err(sim_resp *resp, int status, const char *msg)
{
	const char *code = status == 404 ? "ResourceNotFound" : status == 409 ? "Conflict" : "BadRequest";
	resp_arm_error(resp, status, code, "%s", msg);
}

static void la__id(char *out, size_t len, const sim_req *req, const char *type, const char *name)
{
	arm_resource_id(out, len, req->cap[0], req->cap[1], type, name);
}

/* LA answers with lower-cased ids (examples, real traffic). */
static void la__served_id(char *out, size_t len, const char *id)
{
	sim_lower(out, len, id);
}

static bool la__name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		/* the seeds say a-z, A-Z, 0-9; the service also takes inner hyphens
		 * (ARM naming rules), which users' names rely on */
		if (!alnum && !(c == '-' && i > 0 && i + 1 < n))
			return false;
	}
	return true;
}

static const char *la__state(const sim_res *r)
{
	const char *s = sim_json_str(r->doc, "properties.provisioningState");
	return s ? s : "Succeeded";
}

static bool la__terminal(const char *state)
{
	return !strcasecmp(state, "Succeeded") || !strcasecmp(state, "Failed") || !strcasecmp(state, "Canceled");
}

static void la__set_state(sim_res *r, const char *state)
{
	sim_json_set_str(sim_json_obj(r->doc, "properties"), "provisioningState", state);
}

static double la__simnum(const sim_res *r, const char *name, double dflt)
{
	cJSON *v = sim_json_get(r->sim, name);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void la__simset(sim_res *r, const char *name, double v)
{
	sim_json_set(r->sim, name, cJSON_CreateNumber(v));
}

static void la__format_date(char *out, size_t len, int64_t ms, const char *api_version)
{
	/* real traffic (2021-06-01) carries RFC 1123; newer examples ISO 8601 */
	if (la__ver_lt(api_version, "2022-10-01"))
		simclock_rfc1123(out, len, ms);
	else
		simclock_iso8601(out, len, ms);
}

/* Canonical capacity rule: 100..500 step 100 (2026 example creates 100),
 * and 1000 or more in steps of 100 (seeds). */
static bool la__capacity_ok(double c)
{
	long v = (long)c;
	if ((double)v != c || v % 100)
		return false;
	return (v >= 100 && v <= 500) || (v >= 1000 && v <= 50000);
}

/* Validate a sku object. `required`: a missing sku is an error. Returns the
 * documented message or NULL; *cap_out gets the capacity (0 = none given). */
static const char *la__check_sku(const cJSON *sku, bool required, double *cap_out)
{
	*cap_out = 0;
	if (!sku || cJSON_IsNull(sku))
		return required ? M_NO_SKU : NULL;
	if (!cJSON_IsObject(sku))
		return M_BODY;
	const char *name = sim_json_str(sku, "name");
	cJSON *cap = sim_json_get(sku, "capacity");
	bool is_cr = name && !strcasecmp(name, "capacityReservation");
	if (!is_cr && cap && !cJSON_IsNull(cap))
		return M_SKU_NOT_CR;
	if (!is_cr)
		return name ? M_SKU_NAME : (required ? M_NO_SKU : M_SKU_NAME);
	if (!cap || cJSON_IsNull(cap))
		return M_SKU_NO_CAP;
	if (!cJSON_IsNumber(cap) || !la__capacity_ok(cap->valuedouble))
		return M_SKU_RANGE;
	*cap_out = cap->valuedouble;
	return NULL;
}

/* ---- the cluster's identity ------------------------------------------------------------ */

/* Parsed identity of a request. */
typedef struct la_identity {
	int kind; /* 0 none given, 1 SystemAssigned, 2 UserAssigned, 3 None */
	const char *uai_id;   /* UserAssigned: the identity resource id */
	sim_res *uai;
} la_identity;

/* 0 ok; else fills resp */
static int la__parse_identity(la_identity *out, const sim_req *req, const cJSON *ident, sim_resp *resp)
{
	memset(out, 0, sizeof *out);
	if (!ident || cJSON_IsNull(ident))
		return 0;
	const char *type = sim_json_str(ident, "type");
	if (!cJSON_IsObject(ident) || !type || !*type) {
		la__err(resp, 400, M_IDENTITY);
		return -1;
	}
	if (!strcasecmp(type, "SystemAssigned")) {
		out->kind = 1;
	} else if (!strcasecmp(type, "UserAssigned")) {
		out->kind = 2;
		cJSON *uais = sim_json_get(ident, "userAssignedIdentities");
		if (!cJSON_IsObject(uais) || !uais->child) {
			la__err(resp, 400, M_IDENTITY);
			return -1;
		}
		out->uai_id = uais->child->string;
		/* seeds write the id without its leading slash */
		char id[1024];
		snprintf(id, sizeof id, "%s%s", out->uai_id[0] == '/' ? "" : "/", out->uai_id);
		if (!rbac_linked_check(req, resp, "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", id))
			return -1;
		out->uai = msi_get(id);
		if (!out->uai) {
			resp_arm_error(resp, 400, "BadRequest",
				       "The user assigned identity '%s' was not found. Create it before the cluster.",
				       out->uai_id);
			return -1;
		}
	} else if (!strcasecmp(type, "None")) {
		out->kind = 3;
	} else {
		resp_arm_error(resp, 400, "BadRequest",
			       "Identity type '%s' is not supported. Set Identity with systemAssigned type "
			       "or userAssigned type.", type);
		return -1;
	}
	return 0;
}

/* The object id the cluster's storage authenticates with to Key Vault. */
static const char *la__cluster_principal(const sim_res *c)
{
	const char *type = sim_json_str(c->doc, "identity.type");
	if (!type || !strcasecmp(type, "None"))
		return NULL;
	if (!strcasecmp(type, "UserAssigned")) {
		cJSON *uais = sim_json_path(c->doc, "identity.userAssignedIdentities");
		if (!cJSON_IsObject(uais) || !uais->child)
			return NULL;
		char id[1024];
		snprintf(id, sizeof id, "%s%s", uais->child->string[0] == '/' ? "" : "/", uais->child->string);
		sim_res *m = msi_get(id);
		return m ? msi_principal_id(m) : NULL;
	}
	return sim_json_str(c->doc, "identity.principalId");
}

static const char *la__cluster_tenant(const sim_res *c)
{
	const char *t = sim_json_str(c->doc, "identity.tenantId");
	return t ? t : auth_default_tenant();
}

/* Build the identity object stored on the cluster. */
static cJSON *la__identity_doc(const la_identity *li, const sim_res *existing, const char *cluster_id)
{
	cJSON *o = cJSON_CreateObject();
	if (li->kind == 3) {
		cJSON_AddStringToObject(o, "type", "None");
		return o;
	}
	if (li->kind == 2) {
		cJSON_AddStringToObject(o, "type", "UserAssigned");
		cJSON_AddStringToObject(o, "tenantId", sim_json_str(li->uai->doc, "properties.tenantId")
							     ? sim_json_str(li->uai->doc, "properties.tenantId")
							     : auth_default_tenant());
		cJSON *m = cJSON_AddObjectToObject(o, "userAssignedIdentities"), *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "clientId", msi_client_id(li->uai));
		cJSON_AddStringToObject(e, "principalId", msi_principal_id(li->uai));
		cJSON_AddItemToObject(m, li->uai_id, e);
		return o;
	}
	/* SystemAssigned: keep the principal across updates */
	const char *pid = existing && sim_streq_ci(sim_json_str(existing->doc, "identity.type"), "SystemAssigned")
				  ? sim_json_str(existing->doc, "identity.principalId")
				  : NULL;
	char tenant[64];
	snprintf(tenant, sizeof tenant, "%s", auth_default_tenant());
	cJSON_AddStringToObject(o, "type", "SystemAssigned");
	if (pid && auth_principal_by_object_id(pid)) {
		cJSON_AddStringToObject(o, "principalId", pid);
		cJSON_AddStringToObject(o, "tenantId", auth_principal_by_object_id(pid)->tenant_id);
	} else {
		sim_principal *p = auth_principal_new_msi(tenant, cluster_id);
		cJSON_AddStringToObject(o, "principalId", p ? p->object_id : "");
		cJSON_AddStringToObject(o, "tenantId", tenant);
	}
	return o;
}

/* ---- key validation --------------------------------------------------------------- */

typedef struct la_kvp {
	const char *uri, *name, *version;
	bool present;   /* keyVaultProperties given */
	bool empty;     /* given with empty strings: key removal (seen in real traffic) */
} la_kvp;

static int la__parse_kvp(la_kvp *out, const cJSON *props, sim_resp *resp)
{
	memset(out, 0, sizeof *out);
	cJSON *k = sim_json_get(props, "keyVaultProperties");
	if (!k || cJSON_IsNull(k))
		return 0;
	out->present = true;
	if (!cJSON_IsObject(k)) {
		la__err(resp, 400, M_KVP_FORMAT);
		return -1;
	}
	out->uri = sim_json_str(k, "keyVaultUri");
	out->name = sim_json_str(k, "keyName");
	out->version = sim_json_str(k, "keyVersion");
	bool e_uri = !out->uri || !*out->uri, e_name = !out->name || !*out->name,
	     e_ver = !out->version || !*out->version;
	if (e_uri && e_name && e_ver) {
		out->empty = true;
		return 0;
	}
	if (e_uri || e_name || strncasecmp(out->uri, "https://", 8) != 0 || strchr(out->name, '/')) {
		la__err(resp, 400, M_KVP_FORMAT);
		return -1;
	}
	return 0;
}

/* Can `oid` (of `tenant`) use the key for a cluster in `location`? NULL or a
 * message. Order follows the docs: the Get permission is what lets the
 * service check recoverability, then the key itself, then wrap/unwrap. */
static const char *la__key_problem(const la_kvp *k, const char *oid, const char *tenant,
				   const char *location, char *buf, size_t len)
{
	sim_res *vault = kv_vault_by_uri(k->uri);
	if (!vault || !oid)
		return M_KEY_VALIDATE;
	unsigned perms = kv_key_permissions(vault, k->name, tenant, oid);
	if (!(perms & KV_PERM_GET))
		return M_KEY_VALIDATE;
	if (!kv_vault_recoverable(vault))
		return M_KEY_RECOVER;
	sim_res *key = kv_key_get(vault, k->name);
	cJSON *ver = key ? kv_key_version(key, k->version) : NULL;
	if (!ver || !cJSON_IsTrue(sim_json_get(ver, "enabled")))
		return M_KEY_VALIDATE;
	if (!(perms & KV_PERM_WRAP) || !(perms & KV_PERM_UNWRAP))
		return M_KEY_VALIDATE;
	const char *vloc = sim_json_str(vault->doc, "location");
	if (location && vloc && !sim_location_eq(location, vloc)) {
		snprintf(buf, len,
			 "Key Vault '%s' is in region '%s' and the cluster in '%s'. Your Azure Key Vault, cluster and "
			 "linked Log Analytics workspaces must be in the same region.",
			 kv_vault_name(vault), vloc, location);
		return buf;
	}
	const char *vt = sim_json_str(vault->doc, "properties.tenantId");
	if (vt && tenant && !sim_streq_ci(vt, tenant)) {
		snprintf(buf, len,
			 "Key Vault '%s' is in tenant '%s' and the cluster's identity in '%s'. Your Azure Key Vault, "
			 "cluster and workspaces must be in the same Azure Active Directory (Azure AD) tenant.",
			 kv_vault_name(vault), vt, tenant);
		return buf;
	}
	return NULL;
}

/* ---- key revocation ------------------------------------------------------------------ */

/* Does the cluster's storage currently reach its key? */
static bool la__key_reachable(const sim_res *c)
{
	if (cJSON_IsTrue(sim_json_get(c->sim, "identityRevoked")))
		return false;
	cJSON *k = sim_json_path(c->doc, "properties.keyVaultProperties");
	const char *name = sim_json_str(k, "keyName");
	if (!name || !*name)
		return true; /* Microsoft-managed key */
	la_kvp kv = { sim_json_str(k, "keyVaultUri"), name, sim_json_str(k, "keyVersion"), true, false };
	char buf[16];
	const char *oid = la__cluster_principal(c);
	const char *p = la__key_problem(&kv, oid, la__cluster_tenant(c), NULL, buf, sizeof buf);
	return p == NULL;
}

/* States: Accessible -> Revoking (access lost, storage still caches the AEK)
 * -> Inaccessible (after revocationDelaySeconds) -> Recovering (access back)
 * -> Accessible (after recoveryDelaySeconds). Seeds: "within an hour",
 * "resumed within 30 minutes". */
static void la__eval_access(void)
{
	int64_t now = simclock_now_ms();
	for (sim_res *c = store_first(T_CLUSTER); c; c = store_next(c)) {
		if (strcasecmp(la__state(c), "Succeeded") && strcasecmp(la__state(c), "Updating"))
			continue;
		const char *st = sim_json_str(c->sim, "keyAccess");
		if (!st)
			st = "Accessible";
		double since = la__simnum(c, "keyAccessSince", (double)now);
		bool ok = la__key_reachable(c);
		const char *next = st;
		if (!strcmp(st, "Accessible") && !ok)
			next = "Revoking";
		else if (!strcmp(st, "Revoking") && ok)
			next = "Accessible";
		else if (!strcmp(st, "Revoking") && now - since >= g_settings.revocation_delay_s * 1000)
			next = "Inaccessible";
		else if (!strcmp(st, "Inaccessible") && ok)
			next = "Recovering";
		else if (!strcmp(st, "Recovering") && !ok)
			next = "Inaccessible";
		else if (!strcmp(st, "Recovering") && now - since >= g_settings.recovery_delay_s * 1000)
			next = "Accessible";
		if (next != st) {
			sim_json_set_str(c->sim, "keyAccess", next);
			la__simset(c, "keyAccessSince", (double)now);
		}
	}
}

/* ---- rendering -------------------------------------------------------------------------- */

static void la__date_prop(cJSON *obj, const char *name, const sim_res *r, const char *simname,
			  const char *api_version)
{
	cJSON *v = sim_json_get(r->sim, simname);
	if (!cJSON_IsNumber(v))
		return;
	char buf[64];
	la__format_date(buf, sizeof buf, (int64_t)v->valuedouble, api_version);
	sim_json_set_str(obj, name, buf);
}

static cJSON *la__render_cluster(const sim_res *r, const char *v)
{
	cJSON *d = cJSON_Duplicate(r->doc, 1);
	cJSON *p = sim_json_obj(d, "properties");
	la__date_prop(p, "createdDate", r, "createdMs", v);
	la__date_prop(p, "lastModifiedDate", r, "modifiedMs", v);
	cJSON *crp = sim_json_get(p, "capacityReservationProperties");
	if (cJSON_IsObject(crp))
		la__date_prop(crp, "lastSkuUpdate", r, "lastSkuUpdateMs", v);
	cJSON *aw, *aws = sim_json_get(p, "associatedWorkspaces");
	cJSON_ArrayForEach(aw, aws) {
		int64_t t = simclock_parse(sim_json_str(aw, "associateDate"));
		if (t > 0) {
			char buf[64];
			la__format_date(buf, sizeof buf, t, v);
			sim_json_set_str(aw, "associateDate", buf);
		}
	}
	const char *access = sim_json_str(r->sim, "keyAccess");
	if (access && strcmp(access, "Accessible") != 0)
		sim_json_set_str(p, "armsimKeyAccessState", access); /* armsim-only: see README */
	if (la__ver_lt(v, "2020-10-01")) {
		/* 2019-08 .. 2020-08 shapes: sku.lastSkuUpdate, no 2020-10 additions */
		cJSON *sku = sim_json_get(d, "sku");
		if (cJSON_IsObject(sku))
			la__date_prop(sku, "lastSkuUpdate", r, "lastSkuUpdateMs", v);
		cJSON_DeleteItemFromObject(p, "capacityReservationProperties");
		cJSON_DeleteItemFromObject(p, "associatedWorkspaces");
		cJSON_DeleteItemFromObject(p, "isAvailabilityZonesEnabled");
		cJSON_DeleteItemFromObject(p, "createdDate");
		cJSON_DeleteItemFromObject(p, "lastModifiedDate");
		if (la__ver_lt(v, "2020-08-01")) {
			if (!sim_json_get(p, "clusterType"))
				cJSON_AddStringToObject(p, "clusterType", "LogAnalytics");
		} else {
			cJSON_DeleteItemFromObject(p, "clusterType");
		}
		if (la__ver_lt(v, "2020-03-01")) {
			cJSON_DeleteItemFromObject(d, "sku");
			cJSON_DeleteItemFromObject(p, "billingType");
			cJSON_DeleteItemFromObject(p, "isDoubleEncryptionEnabled");
			/* the 2019 document shows PascalCase key properties */
			cJSON *k = cJSON_DetachItemFromObject(p, "keyVaultProperties");
			if (cJSON_IsObject(k)) {
				cJSON *pk = cJSON_CreateObject();
				cJSON_AddStringToObject(pk, "KeyVaultUri", sim_json_str(k, "keyVaultUri") ? sim_json_str(k, "keyVaultUri") : "");
				cJSON_AddStringToObject(pk, "KeyName", sim_json_str(k, "keyName") ? sim_json_str(k, "keyName") : "");
				cJSON_AddStringToObject(pk, "KeyVersion", sim_json_str(k, "keyVersion") ? sim_json_str(k, "keyVersion") : "");
				cJSON_AddItemToObject(p, "KeyVaultProperties", pk);
			}
			cJSON_Delete(k);
		}
	} else {
		cJSON_DeleteItemFromObject(p, "clusterType");
	}
	return d;
}

static cJSON *la__render_workspace(const sim_res *r, const char *v)
{
	cJSON *d = cJSON_Duplicate(r->doc, 1);
	cJSON *p = sim_json_obj(d, "properties");
	la__date_prop(p, "createdDate", r, "createdMs", v);
	la__date_prop(p, "modifiedDate", r, "modifiedMs", v);
	if (la__ver_lt(v, "2020-03-01")) {
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
			la__date_prop(sku, "lastSkuUpdate", r, "createdMs", v);
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

static void la__cluster_provisioning_account(cJSON *ctx);

static int la__on_load_cluster(sim_res *r)
{
	int64_t now = simclock_now_ms();
	cJSON *p = sim_json_obj(r->doc, "properties");
	if (!sim_json_str(p, "provisioningState"))
		la__set_state(r, "Succeeded");
	if (!sim_json_str(p, "clusterId")) {
		char g[37];
		sim_guid(g);
		sim_json_set_str(p, "clusterId", g);
	}
	int64_t created = simclock_parse(sim_json_str(p, "createdDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "createdMs")))
		la__simset(r, "createdMs", (double)(created > 0 ? created : now));
	int64_t mod = simclock_parse(sim_json_str(p, "lastModifiedDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "modifiedMs")))
		la__simset(r, "modifiedMs", (double)(mod > 0 ? mod : now));
	int64_t lsu = simclock_parse(sim_json_str(sim_json_get(p, "capacityReservationProperties"), "lastSkuUpdate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "lastSkuUpdateMs")))
		la__simset(r, "lastSkuUpdateMs", (double)(lsu > 0 ? lsu : la__simnum(r, "createdMs", (double)now)));
	/* a creation dumped before its halfway step (timers are not dumped) */
	const cJSON *pa = sim_json_get(r->sim, "provisioningAccountAtMs");
	if (cJSON_IsNumber(pa)) {
		cJSON *tctx = cJSON_CreateObject();
		cJSON_AddStringToObject(tctx, "id", r->id);
		sim_timer_add((int64_t)pa->valuedouble, la__cluster_provisioning_account, tctx);
	}
	/* a system-assigned identity needs its AAD principal */
	const char *type = sim_json_str(r->doc, "identity.type"), *pid = sim_json_str(r->doc, "identity.principalId");
	if (type && !strcasecmp(type, "SystemAssigned") && pid && !auth_principal_by_object_id(pid)) {
		sim_principal sp;
		memset(&sp, 0, sizeof sp);
		sp.kind = SIM_PRINCIPAL_MSI;
		const char *t = sim_json_str(r->doc, "identity.tenantId");
		snprintf(sp.tenant_id, sizeof sp.tenant_id, "%s", t ? t : auth_default_tenant());
		snprintf(sp.object_id, sizeof sp.object_id, "%s", pid);
		sim_guid(sp.client_id);
		snprintf(sp.display_name, sizeof sp.display_name, "%s", sim_json_str(r->doc, "name") ? sim_json_str(r->doc, "name") : "cluster");
		sp.msi_resource_id = r->id;
		auth_principal_add(&sp);
	}
	return 0;
}

static int la__on_load_workspace(sim_res *r)
{
	cJSON *p = sim_json_obj(r->doc, "properties");
	int64_t now = simclock_now_ms();
	if (!sim_json_str(p, "provisioningState"))
		la__set_state(r, "Succeeded");
	if (!sim_json_str(p, "customerId")) {
		char g[37];
		sim_guid(g);
		sim_json_set_str(p, "customerId", g);
	}
	int64_t created = simclock_parse(sim_json_str(p, "createdDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "createdMs")) && created > 0)
		la__simset(r, "createdMs", (double)created);
	(void)now;
	return 0;
}

/* ---- clusters ----------------------------------------------------------------------- */

static sim_res *la__deleted(const char *sub, const char *rg, const char *name)
{
	char id[1024];
	arm_resource_id(id, sizeof id, sub, rg, T_DELETED, name);
	sim_res *d = store_get(id);
	if (d && la__simnum(d, "purgeMs", 0) <= (double)simclock_now_ms()) {
		store_delete(d); /* the name is released after the soft-delete period */
		d = NULL;
	}
	return d;
}

static void la__cluster_created(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_CLUSTER);
	if (!c)
		return;
	la__set_state(c, op->state == LRO_SUCCEEDED ? "Succeeded" : "Failed");
	la__simset(c, "modifiedMs", (double)simclock_now_ms());
	sim_json_set_str(c->sim, "keyAccess", "Accessible");
}

static void la__cluster_provisioning_account(cJSON *ctx)
{
	sim_res *c = store_get_typed(sim_json_str(ctx, "id"), T_CLUSTER);
	if (!c)
		return;
	cJSON_DeleteItemFromObject(c->sim, "provisioningAccountAtMs");
	if (!strcmp(la__state(c), "Creating"))
		la__set_state(c, "ProvisioningAccount");
}

/* Completion of an update: apply the desired properties kept in ctx. */
static void la__cluster_updated(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_CLUSTER);
	if (!c)
		return;
	if (op->state == LRO_SUCCEEDED) {
		cJSON *p = sim_json_obj(c->doc, "properties");
		cJSON *kvp = sim_json_get(op->ctx, "keyVaultProperties");
		if (kvp)
			sim_json_set(p, "keyVaultProperties", cJSON_Duplicate(kvp, 1));
		cJSON *sku = sim_json_get(op->ctx, "sku");
		if (sku) {
			sim_json_set(c->doc, "sku", cJSON_Duplicate(sku, 1));
			la__simset(c, "lastSkuUpdateMs", (double)simclock_now_ms());
		}
		const char *bt = sim_json_str(op->ctx, "billingType");
		if (bt)
			sim_json_set_str(p, "billingType", bt);
		la__set_state(c, "Succeeded");
		/* a new key that works ends any revocation at once */
		if (kvp && la__key_reachable(c))
			sim_json_set_str(c->sim, "keyAccess", "Accessible");
	} else {
		/* "properties should be reverted to their previous state" (RPC) */
		la__set_state(c, "Failed");
	}
	la__simset(c, "modifiedMs", (double)simclock_now_ms());
}

static void la__soft_delete(sim_res *c)
{
	char id[1024];
	snprintf(id, sizeof id, "%s", c->id);
	char *p = strcasestr(id, "/providers/" T_CLUSTER "/");
	if (p) {
		char name[256];
		snprintf(name, sizeof name, "%s", p + strlen("/providers/" T_CLUSTER "/"));
		char did[1024];
		snprintf(did, sizeof did, "%.*s/providers/%s/%s", (int)(p - id), id, T_DELETED, name);
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "id", did);
		cJSON_AddStringToObject(d, "type", T_DELETED);
		cJSON_AddStringToObject(d, "name", name);
		cJSON_AddItemToObject(d, "cluster", cJSON_Duplicate(c->doc, 1));
		sim_res *dr = store_put(did, T_DELETED, d);
		if (dr) {
			int64_t now = simclock_now_ms();
			la__simset(dr, "deletedMs", (double)now);
			la__simset(dr, "purgeMs", (double)now + g_settings.soft_delete_days * DAY_MS);
		}
	}
	store_delete(c);
}

static void la__unlink_now(sim_res *ws, const char *cluster_id);

static void la__cluster_deleted(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_CLUSTER);
	if (!c)
		return;
	if (op->state != LRO_SUCCEEDED) {
		la__set_state(c, "Failed");
		return;
	}
	/* unlink every workspace still pointing at it */
	sim_res **ws;
	size_t n = store_list(&ws, T_WS, NULL);
	for (size_t i = 0; i < n; i++)
		if (sim_streq_ci(sim_json_str(ws[i]->doc, "properties.features.clusterResourceId"), c->id))
			la__unlink_now(ws[i], c->id);
	free(ws);
	la__soft_delete(c);
}

static size_t la__clusters_in_region(const char *sub, const char *location)
{
	char scope[128];
	sim_res **arr;
	snprintf(scope, sizeof scope, "/subscriptions/%s", sub);
	size_t n = store_list(&arr, T_CLUSTER, scope), k = 0;
	for (size_t i = 0; i < n; i++)
		if (sim_location_eq(sim_json_str(arr[i]->doc, "location"), location))
			k++;
	free(arr);
	return k;
}

static void la__async_reply(sim_req *req, sim_resp *resp, sim_op *op, int status)
{
	lro_headers(req, resp, op, &(lro_header_opts){
		.status_api_version = g_settings.la_status_api_version,
		.lower_case_status_path = true,
		.location = true,
		.async_operation = true });
	resp_json(resp, status, NULL);
}

static sim_op *la__start(sim_req *req, const sim_res *c, const char *kind, const char *status,
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

/* A write on a cluster that is busy: documented 400s + hazard. */
static bool la__cluster_busy(sim_req *req, sim_resp *resp, sim_res *c, bool put)
{
	const char *st = la__state(c);
	if (la__terminal(st))
		return false;
	hazard_record("write_while_operation_running", c->id, "%s while provisioningState is %s", req->method, st);
	if (!strcasecmp(st, "Deleting"))
		la__err(resp, 400, put ? M_DELETING_PUT : M_DELETING_UPDATE);
	else
		la__err(resp, 400, put ? M_OP_CREATE : M_OP_UPDATE);
	return true;
}

static bool la__kvp_changed(const sim_res *c, const la_kvp *k)
{
	cJSON *cur = sim_json_path(c->doc, "properties.keyVaultProperties");
	const char *u = sim_json_str(cur, "keyVaultUri"), *n = sim_json_str(cur, "keyName"),
		   *v = sim_json_str(cur, "keyVersion");
	if (k->empty)
		return (n && *n);
	return !sim_streq_ci(u ? u : "", k->uri ? k->uri : "") || !sim_streq_ci(n ? n : "", k->name ? k->name : "") ||
	       !sim_streq_ci(v ? v : "", k->version ? k->version : "");
}

static cJSON *la__kvp_doc(const la_kvp *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "keyVaultUri", k->empty ? "" : k->uri);
	cJSON_AddStringToObject(o, "keyName", k->empty ? "" : k->name);
	cJSON_AddStringToObject(o, "keyVersion", k->empty || !k->version ? "" : k->version);
	return o;
}

/* The shared part of PUT-on-existing and PATCH: validate, then either
 * answer 200 (tags only) or start the update. */
static void la__cluster_update(sim_req *req, sim_resp *resp, sim_res *c, bool put)
{
	const cJSON *body = req->json;
	const cJSON *props = sim_json_get(body, "properties");
	double cap = 0;
	const char *msg;
	la_identity li;
	la_kvp k;
	char buf[1024];

	if (la__cluster_busy(req, resp, c, put))
		return;
	const char *loc = sim_json_str(body, "location");
	if (put && loc && !sim_location_eq(loc, sim_json_str(c->doc, "location"))) {
		resp_arm_error(resp, 400, "InvalidResourceLocation",
			       "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
			       "with the same name cannot be created in location '%s'. Please select a new resource name.",
			       sim_json_str(c->doc, "name"), sim_json_str(c->doc, "location"), req->cap[1], loc);
		return;
	}
	if ((msg = la__check_sku(sim_json_get(body, "sku"), false, &cap))) {
		la__err(resp, 400, msg);
		return;
	}
	if (la__parse_identity(&li, req, sim_json_get(body, "identity"), resp) < 0)
		return;
	if (put && li.kind == 0 && la__ver_lt(req->api_version, "2022-10-01")) {
		la__err(resp, 400, M_IDENTITY);
		return;
	}
	cJSON *de = sim_json_get(props, "isDoubleEncryptionEnabled");
	if (cJSON_IsBool(de) &&
	    cJSON_IsTrue(de) != cJSON_IsTrue(sim_json_path(c->doc, "properties.isDoubleEncryptionEnabled"))) {
		la__err(resp, 400, M_DOUBLE_ENC);
		return;
	}
	const char *ct = sim_json_str(props, "clusterType");
	const char *cur_ct = sim_json_str(c->doc, "properties.clusterType");
	if (ct && !sim_streq_ci(ct, cur_ct ? cur_ct : "LogAnalytics")) {
		la__err(resp, 400, M_CLUSTER_TYPE);
		return;
	}
	const char *bt = sim_json_str(props, "billingType");
	if (bt && strcasecmp(bt, "Cluster") && strcasecmp(bt, "Workspaces")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The billingType '%s' is not valid. Set billingType to Cluster or Workspaces.", bt);
		return;
	}
	double cur_cap = sim_json_path(c->doc, "sku.capacity") ? sim_json_path(c->doc, "sku.capacity")->valuedouble : 0;
	if (cap && cap < cur_cap &&
	    (double)simclock_now_ms() - la__simnum(c, "lastSkuUpdateMs", 0) < g_settings.capacity_lock_days * DAY_MS) {
		la__err(resp, 400, M_CAP_LOCK);
		return;
	}
	if (la__parse_kvp(&k, props, resp) < 0)
		return;

	/* the principal the key must be granted to, once the identity in the
	 * request applies (a new system-assigned one has no grants yet) */
	const char *key_oid = la__cluster_principal(c), *key_tid = la__cluster_tenant(c);
	if (li.kind == 2) {
		key_oid = msi_principal_id(li.uai);
		key_tid = sim_json_str(li.uai->doc, "properties.tenantId");
	} else if (li.kind == 1 && !sim_streq_ci(sim_json_str(c->doc, "identity.type"), "SystemAssigned")) {
		key_oid = NULL;
	} else if (li.kind == 3) {
		key_oid = NULL;
	}
	bool key_change = k.present && la__kvp_changed(c, &k);
	if (key_change && !k.empty) {
		const char *p = la__key_problem(&k, key_oid, key_tid, sim_json_str(c->doc, "location"), buf, sizeof buf);
		if (p) {
			la__err(resp, 400, p);
			return;
		}
	}
	/* valid: identity changes apply at once (None revokes, irreversibly) */
	if (li.kind) {
		cJSON *nid = la__identity_doc(&li, c, c->id);
		sim_json_set(c->doc, "identity", nid);
		if (li.kind == 3) {
			sim_json_set(c->sim, "identityRevoked", cJSON_CreateTrue());
			sim_json_set_str(c->sim, "keyAccess", "Inaccessible");
			la__simset(c, "keyAccessSince", (double)simclock_now_ms());
		}
	}
	cJSON *tags = sim_json_get(body, "tags");
	if (cJSON_IsObject(tags))
		sim_json_set(c->doc, "tags", cJSON_Duplicate(tags, 1));
	bool sku_change = cap && cap != cur_cap;
	const char *cur_bt = sim_json_str(c->doc, "properties.billingType");
	bool bt_change = bt && !sim_streq_ci(bt, cur_bt ? cur_bt : "Cluster");
	if (!key_change && !sku_change && !bt_change) {
		/* tags (or nothing): answered synchronously, as real traffic shows */
		la__simset(c, "modifiedMs", (double)simclock_now_ms());
		resp_json(resp, 200, store_render(c, req->api_version));
		return;
	}
	cJSON *ctx = cJSON_CreateObject();
	if (key_change)
		cJSON_AddItemToObject(ctx, "keyVaultProperties", la__kvp_doc(&k));
	if (sku_change) {
		cJSON *sku = cJSON_CreateObject();
		cJSON_AddStringToObject(sku, "name", "CapacityReservation");
		cJSON_AddNumberToObject(sku, "capacity", cap);
		cJSON_AddItemToObject(ctx, "sku", sku);
	}
	if (bt_change)
		cJSON_AddStringToObject(ctx, "billingType", !strcasecmp(bt, "Cluster") ? "Cluster" : "Workspaces");
	la__set_state(c, "Updating");
	sim_op *op = la__start(req, c, key_change ? "cluster.keyUpdate" : "cluster.update", "Updating",
			       key_change ? g_settings.cluster_key_update_s : g_settings.cluster_update_s,
			       la__cluster_updated, ctx, LRO_RESULT_RESOURCE);
	if (!op) {
		resp_arm_error(resp, 500, "InternalServerError", "armsim: out of memory");
		return;
	}
	la__async_reply(req, resp, op, 202);
}

static void la__cluster_put(sim_req *req, sim_resp *resp)
{
	const char *name = req->cap[2];
	char id[1024], sid[1024], buf[1024];
	double cap = 0;
	const char *msg;
	la_identity li;
	la_kvp k;

	if (!la__name_ok(name)) {
		la__err(resp, 400, M_NAME);
		return;
	}
	if (!req->json || !cJSON_IsObject(req->json)) {
		la__err(resp, 400, M_BODY);
		return;
	}
	la__id(id, sizeof id, req, T_CLUSTER, name);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!arm_check_conditions(req, resp, c))
		return;
	if (c) {
		if (!strcasecmp(la__state(c), "Creating") || !strcasecmp(la__state(c), "ProvisioningAccount"))
			hazard_record("duplicate_create", c->id, "PUT while the cluster is still being created");
		la__cluster_update(req, resp, c, true);
		return;
	}
	const cJSON *body = req->json, *props = sim_json_get(body, "properties");
	const char *loc = sim_json_str(body, "location");
	if (!loc || !*loc) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return;
	}
	if (la__deleted(req->cap[0], req->cap[1], name)) {
		sim_res *d = la__deleted(req->cap[0], req->cap[1], name);
		char when[64];
		simclock_iso8601(when, sizeof when, (int64_t)la__simnum(d, "purgeMs", 0));
		resp_arm_error(resp, 409, "Conflict",
			       "A cluster named '%s' was deleted in the last 14 days and is in the soft-delete period: "
			       "the cluster name remains reserved until %s. Use another name to create a new cluster, "
			       "or contact support to recover it.", name, when);
		return;
	}
	/* 2019-08-01-preview had no SKU (seed 000): 1000 GB/day then */
	bool sku_required = !la__ver_lt(req->api_version, "2020-03-01");
	if ((msg = la__check_sku(sim_json_get(body, "sku"), sku_required, &cap))) {
		la__err(resp, 400, msg);
		return;
	}
	if (!cap)
		cap = 1000;
	if (la__parse_identity(&li, req, sim_json_get(body, "identity"), resp) < 0)
		return;
	if (li.kind == 0) {
		/* Required until 2021-06-01 (seeds); the 2022-10-01+ examples create
		 * without identity and get a system-assigned one. */
		if (la__ver_lt(req->api_version, "2022-10-01")) {
			la__err(resp, 400, M_IDENTITY);
			return;
		}
		li.kind = 1;
	}
	if (li.kind == 3) {
		la__err(resp, 400, M_IDENTITY);
		return;
	}
	if (la__parse_kvp(&k, props, resp) < 0)
		return;
	if (k.present && !k.empty) {
		if (li.kind == 1) {
			la__err(resp, 400, M_KVP_CREATE);
			return;
		}
		/* user-assigned identity granted beforehand: allowed (seed 003) */
		const char *p = la__key_problem(&k, msi_principal_id(li.uai),
						sim_json_str(li.uai->doc, "properties.tenantId"), loc, buf, sizeof buf);
		if (p) {
			la__err(resp, 400, p);
			return;
		}
	}
	const char *bt = sim_json_str(props, "billingType");
	if (bt && strcasecmp(bt, "Cluster") && strcasecmp(bt, "Workspaces")) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The billingType '%s' is not valid. Set billingType to Cluster or Workspaces.", bt);
		return;
	}
	if ((int)la__clusters_in_region(req->cap[0], loc) >= g_settings.max_clusters_per_region) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The max number of cluster per region and subscription is %d. Subscription '%s' "
			       "already has %d clusters in region '%s'.",
			       g_settings.max_clusters_per_region, req->cap[0], g_settings.max_clusters_per_region, loc);
		return;
	}

	/* build the resource */
	char nloc[64], g[37];
	sim_location_norm(nloc, sizeof nloc, loc);
	la__served_id(sid, sizeof sid, id);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", sid);
	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "type", T_CLUSTER);
	cJSON_AddStringToObject(d, "location", nloc);
	cJSON *tags = sim_json_get(body, "tags");
	if (cJSON_IsObject(tags))
		cJSON_AddItemToObject(d, "tags", cJSON_Duplicate(tags, 1));
	cJSON_AddItemToObject(d, "identity", la__identity_doc(&li, NULL, id));
	cJSON *sku = cJSON_AddObjectToObject(d, "sku");
	cJSON_AddStringToObject(sku, "name", "CapacityReservation");
	cJSON_AddNumberToObject(sku, "capacity", cap);
	cJSON *p = cJSON_AddObjectToObject(d, "properties");
	cJSON_AddStringToObject(p, "provisioningState", "Creating");
	sim_guid(g);
	cJSON_AddStringToObject(p, "clusterId", g);
	cJSON_AddStringToObject(p, "billingType", bt && !strcasecmp(bt, "Workspaces") ? "Workspaces" : "Cluster");
	cJSON *de = sim_json_get(props, "isDoubleEncryptionEnabled"), *az = sim_json_get(props, "isAvailabilityZonesEnabled");
	cJSON_AddBoolToObject(p, "isDoubleEncryptionEnabled", !cJSON_IsFalse(de));
	cJSON_AddBoolToObject(p, "isAvailabilityZonesEnabled", !cJSON_IsFalse(az));
	if (k.present && !k.empty)
		cJSON_AddItemToObject(p, "keyVaultProperties", la__kvp_doc(&k));
	const char *ct = sim_json_str(props, "clusterType");
	if (ct)
		cJSON_AddStringToObject(p, "clusterType", !strcasecmp(ct, "ApplicationInsights") ? "ApplicationInsights" : "LogAnalytics");
	cJSON *crp = cJSON_AddObjectToObject(p, "capacityReservationProperties");
	cJSON_AddNumberToObject(crp, "minCapacity", 100);
	c = store_put(id, T_CLUSTER, d);
	if (!c) {
		resp_arm_error(resp, 500, "InternalServerError", "armsim: out of memory");
		return;
	}
	int64_t now = simclock_now_ms();
	la__simset(c, "createdMs", (double)now);
	la__simset(c, "modifiedMs", (double)now);
	la__simset(c, "lastSkuUpdateMs", (double)now);
	sim_json_set_str(c->sim, "keyAccess", "Accessible");
	sim_op *op = la__start(req, c, "cluster.create", "InProgress", g_settings.cluster_create_s,
			       la__cluster_created, NULL, LRO_RESULT_RESOURCE);
	int64_t halfway = now + (int64_t)(g_settings.cluster_create_s * 500.0);
	cJSON *tctx = cJSON_CreateObject();
	cJSON_AddStringToObject(tctx, "id", id);
	/* kept in _sim so a state load sets the timer again */
	la__simset(c, "provisioningAccountAtMs", (double)halfway);
	sim_timer_add(halfway, la__cluster_provisioning_account, tctx);
	la__async_reply(req, resp, op, 202);
}

static void la__cluster_patch(sim_req *req, sim_resp *resp)
{
	char id[1024];
	la__id(id, sizeof id, req, T_CLUSTER, req->cap[2]);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!c) {
		la__err(resp, 404, M_CLUSTER_404);
		return;
	}
	if (!req->json || !cJSON_IsObject(req->json)) {
		la__err(resp, 400, M_BODY);
		return;
	}
	if (!arm_check_conditions(req, resp, c))
		return;
	la__cluster_update(req, resp, c, false);
}

static void la__cluster_get(sim_req *req, sim_resp *resp)
{
	char id[1024];
	la__id(id, sizeof id, req, T_CLUSTER, req->cap[2]);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!c) {
		la__err(resp, 404, M_CLUSTER_404);
		return;
	}
	const char *access = sim_json_str(c->sim, "keyAccess");
	resp_header(resp, "x-ms-armsim-key-access", "%s", access ? access : "Accessible");
	resp_json(resp, 200, store_render(c, req->api_version));
}

static void la__cluster_delete(sim_req *req, sim_resp *resp)
{
	char id[1024];
	la__id(id, sizeof id, req, T_CLUSTER, req->cap[2]);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!c) {
		resp_json(resp, 204, NULL);
		return;
	}
	const char *st = la__state(c);
	if (!strcasecmp(st, "Deleting")) {
		hazard_record("write_while_operation_running", c->id, "DELETE while provisioningState is Deleting");
		la__err(resp, 400, M_DELETING_UPDATE);
		return;
	}
	if (!la__terminal(st)) {
		hazard_record("write_while_operation_running", c->id, "DELETE while provisioningState is %s", st);
		la__err(resp, 409, M_DELETE_409);
		return;
	}
	cJSON *aws = sim_json_path(c->doc, "properties.associatedWorkspaces");
	bool linked = cJSON_GetArraySize(aws) > 0;
	if (!linked) {
		/* "the cluster is deleted immediately" (seed 001): 200, as seen */
		la__soft_delete(c);
		resp_json(resp, 200, NULL);
		return;
	}
	la__set_state(c, "Deleting");
	double secs = g_settings.unlink_s > g_settings.cluster_delete_s ? g_settings.unlink_s : g_settings.cluster_delete_s;
	sim_op *op = la__start(req, c, "cluster.delete", "Deleting", secs, la__cluster_deleted, NULL,
			       LRO_RESULT_NO_CONTENT);
	la__async_reply(req, resp, op, 202);
}

static void la__list(sim_req *req, sim_resp *resp, const char *type, bool by_rg)
{
	char scope[512];
	sim_res **arr;
	if (by_rg)
		snprintf(scope, sizeof scope, "/subscriptions/%s/resourceGroups/%s", req->cap[0], req->cap[1]);
	else
		snprintf(scope, sizeof scope, "/subscriptions/%s", req->cap[0]);
	size_t n = store_list(&arr, type, scope);
	arm_list_respond(req, resp, arr, n);
	free(arr);
}

static void la__clusters_rg(sim_req *req, sim_resp *resp)
{
	la__list(req, resp, T_CLUSTER, true);
}

static void la__clusters_sub(sim_req *req, sim_resp *resp)
{
	la__list(req, resp, T_CLUSTER, false);
}

static void la__op_result(sim_req *req, sim_resp *resp)
{
	lro_serve_result(req, resp, req->cap[req->ncap - 1]);
}

static void la__op_status(sim_req *req, sim_resp *resp)
{
	lro_serve_status(req, resp, req->cap[2]);
}

/* ---- workspaces --------------------------------------------------------------------- */

static sim_res *la__ws(const sim_req *req, const char *name)
{
	char id[1024];
	la__id(id, sizeof id, req, T_WS, name);
	return store_get_typed(id, T_WS);
}

static void la__ws_created(sim_op *op)
{
	sim_res *w = store_get_typed(op->resource_id, T_WS);
	if (w)
		la__set_state(w, op->state == LRO_SUCCEEDED ? "Succeeded" : "Failed");
}

static void la__ws_put(sim_req *req, sim_resp *resp)
{
	const char *name = req->cap[2];
	char id[1024], sid[1024];
	if (!req->json || !cJSON_IsObject(req->json)) {
		arm_invalid_body(resp, req);
		return;
	}
	la__id(id, sizeof id, req, T_WS, name);
	sim_res *w = store_get_typed(id, T_WS);
	if (!arm_check_conditions(req, resp, w))
		return;
	const cJSON *body = req->json;
	const char *loc = sim_json_str(body, "location");
	if (!w && (!loc || !*loc)) {
		resp_arm_error(resp, 400, "LocationRequired", "The location property is required for this definition.");
		return;
	}
	if (w && loc && !sim_location_eq(loc, sim_json_str(w->doc, "location"))) {
		resp_arm_error(resp, 400, "InvalidResourceLocation",
			       "The resource '%s' already exists in location '%s' in resource group '%s'. A resource "
			       "with the same name cannot be created in location '%s'. Please select a new resource name.",
			       name, sim_json_str(w->doc, "location"), req->cap[1], loc);
		return;
	}
	if (w && !la__terminal(la__state(w))) {
		hazard_record("write_while_operation_running", w->id, "PUT while provisioningState is %s", la__state(w));
		resp_arm_error(resp, 409, "Conflict",
			       "Workspace '%s' has an operation in progress (provisioningState %s). Wait for it to complete.",
			       name, la__state(w));
		return;
	}
	const cJSON *props = sim_json_get(body, "properties");
	cJSON *d = w ? cJSON_Duplicate(w->doc, 1) : cJSON_CreateObject();
	char nloc[64];
	sim_location_norm(nloc, sizeof nloc, w ? sim_json_str(w->doc, "location") : loc);
	la__served_id(sid, sizeof sid, id);
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
		resp_arm_error(resp, 500, "InternalServerError", "armsim: out of memory");
		return;
	}
	int64_t now = simclock_now_ms();
	if (created)
		la__simset(w, "createdMs", (double)now);
	la__simset(w, "modifiedMs", (double)now);
	if (created) {
		sim_op *op = la__start(req, w, "workspace.create", "InProgress", g_settings.workspace_create_s,
				       la__ws_created, NULL, LRO_RESULT_RESOURCE);
		lro_headers(req, resp, op, &(lro_header_opts){ .status_api_version = g_settings.la_status_api_version,
							    .lower_case_status_path = true, .location = true,
							    .async_operation = true });
	}
	resp_json(resp, created ? 201 : 200, store_render(w, req->api_version));
}

static void la__ws_patch(sim_req *req, sim_resp *resp)
{
	sim_res *w = la__ws(req, req->cap[2]);
	if (!w) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	if (!req->json || !cJSON_IsObject(req->json)) {
		arm_invalid_body(resp, req);
		return;
	}
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
	la__simset(w, "modifiedMs", (double)simclock_now_ms());
	if (!cJSON_IsNumber(sim_json_get(w->sim, "createdMs")))
		la__simset(w, "createdMs", (double)simclock_now_ms());
	resp_json(resp, 200, store_render(w, req->api_version));
}

static void la__ws_get(sim_req *req, sim_resp *resp)
{
	sim_res *w = la__ws(req, req->cap[2]);
	if (!w) {
		arm_not_found(resp, T_WS, req->cap[2], req->cap[1]);
		return;
	}
	resp_json(resp, 200, store_render(w, req->api_version));
}

static void la__ws_delete(sim_req *req, sim_resp *resp)
{
	sim_res *w = la__ws(req, req->cap[2]);
	if (!w) {
		resp_json(resp, 204, NULL);
		return;
	}
	const char *cl = sim_json_str(w->doc, "properties.features.clusterResourceId");
	if (cl)
		la__unlink_now(w, cl);
	char id[1024];
	snprintf(id, sizeof id, "%s", w->id);
	store_delete_tree(id);
	resp_json(resp, 200, NULL);
}

/* Every resource of `type` under `scope`, as one unpaged list: workspace lists
 * are not pageable (WorkspaceListResult has no nextLink; SDKs generated from
 * the spec never follow one), nor are linked services and linked storage. */
static void la__list_unpaged(sim_req *req, sim_resp *resp, const char *type, const char *scope)
{
	sim_res **arr;
	size_t n = store_list(&arr, type, scope);
	cJSON *b = cJSON_CreateObject(), *vals = cJSON_AddArrayToObject(b, "value");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(vals, store_render(arr[i], req->api_version));
	free(arr);
	resp_json(resp, 200, b);
}

static void la__ws_list(sim_req *req, sim_resp *resp, bool by_rg)
{
	char scope[512];
	if (by_rg)
		snprintf(scope, sizeof scope, "/subscriptions/%s/resourceGroups/%s", req->cap[0], req->cap[1]);
	else
		snprintf(scope, sizeof scope, "/subscriptions/%s", req->cap[0]);
	la__list_unpaged(req, resp, T_WS, scope);
}

static void la__ws_rg(sim_req *req, sim_resp *resp)
{
	la__ws_list(req, resp, true);
}

static void la__ws_sub(sim_req *req, sim_resp *resp)
{
	la__ws_list(req, resp, false);
}

/* ---- cluster link (workspaces/linkedServices/cluster) ---------------------------------- */

static sim_res *la__cluster_by_id(const char *id)
{
	char cid[1024];
	snprintf(cid, sizeof cid, "%s%s", id[0] == '/' ? "" : "/", id);
	return store_get_typed(cid, T_CLUSTER);
}

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

static void la__unlink_now(sim_res *ws, const char *cluster_id)
{
	/* cluster_id may point into the very member deleted below (a caller
	 * passes the workspace's own features.clusterResourceId): copy first */
	char cid[1024] = "";
	if (cluster_id)
		snprintf(cid, sizeof cid, "%s", cluster_id);
	cJSON *f = sim_json_path(ws->doc, "properties.features");
	if (cJSON_IsObject(f))
		cJSON_DeleteItemFromObject(f, "clusterResourceId");
	sim_res *c = cid[0] ? la__cluster_by_id(cid) : NULL;
	if (c)
		la__assoc_remove(c, ws);
	char lsid[1200];
	snprintf(lsid, sizeof lsid, "%s/linkedServices/cluster", ws->id);
	sim_res *ls = store_get(lsid);
	if (ls)
		store_delete(ls);
	la__simset(ws, "unlinkedMs", (double)simclock_now_ms());
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
	sim_res *c = target ? la__cluster_by_id(target) : NULL;
	if (!c) {
		lro_fail(op, "BadRequest", "%s", M_LINK_CLUSTER);
		store_delete(ls);
		return;
	}
	la__set_state(ls, "Succeeded");
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
	la__served_id(sid, sizeof sid, ws->id);
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
			la__set_state(ls, "Succeeded");
		return;
	}
	if (ws)
		la__unlink_now(ws, sim_json_str(op->ctx, "cluster"));
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
	return ls && !la__terminal(la__state(ls));
}

static cJSON *la__ls_doc(const sim_req *req, const sim_res *ws, const char *lsname, const cJSON *props)
{
	char id[1200], sid[1200], name[512];
	snprintf(id, sizeof id, "%s/linkedServices/%s", ws->id, lsname);
	la__served_id(sid, sizeof sid, id);
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
	sim_res *ws = la__ws(req, req->cap[2]);
	const char *lsname = req->cap[3];
	char lsid[1200];
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	if (!req->json || !cJSON_IsObject(req->json) || !cJSON_IsObject(sim_json_get(req->json, "properties"))) {
		la__err(resp, 400, M_BODY);
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
		la__err(resp, 409, M_LINK_409);
		return;
	}
	/* "write permissions to both your workspace and cluster" (001/003):
	 * ARM's linked access check, before the RP sees the request */
	if (target && !rbac_linked_check(req, resp, "Microsoft.OperationalInsights/clusters/write", target))
		return;
	sim_res *c = target ? la__cluster_by_id(target) : NULL;
	if (!c || !strcasecmp(la__state(c), "Deleting")) {
		la__err(resp, 400, M_LINK_CLUSTER);
		return;
	}
	const char *cur = sim_json_str(ws->doc, "properties.features.clusterResourceId");
	if (cur && !store_id_under(cur, c->id)) {
		resp_arm_error(resp, 400, "BadRequest",
			       "Workspace link to cluster failed: the workspace is linked to another cluster ('%s'). "
			       "Unlink it first.", cur);
		return;
	}
	sim_res *existing = store_get(lsid);
	if (cur && existing) {
		/* already linked to this cluster: nothing to do */
		resp_json(resp, 200, store_render(existing, req->api_version));
		return;
	}
	if (!sim_location_eq(sim_json_str(ws->doc, "location"), sim_json_str(c->doc, "location"))) {
		resp_arm_error(resp, 400, "BadRequest",
			       "Workspace region '%s' differs from cluster region '%s'. Your Azure Key Vault, cluster "
			       "and linked Log Analytics workspaces must be in the same region.",
			       sim_json_str(ws->doc, "location"), sim_json_str(c->doc, "location"));
		return;
	}
	cJSON *aws = sim_json_path(c->doc, "properties.associatedWorkspaces");
	int linking = 0;
	for (sim_res *x = store_first(T_LS); x; x = store_next(x))
		if (!strcmp(la__state(x), "ProvisioningAccount") &&
		    sim_streq_ci(sim_json_str(x->doc, "properties.writeAccessResourceId"), target))
			linking++;
	if (cJSON_GetArraySize(aws) + linking >= g_settings.max_links_per_cluster) {
		la__err(resp, 400, M_LINK_MAX);
		return;
	}
	if (la__link_ops(ws) >= g_settings.link_budget) {
		hazard_record("link_budget_exceeded", ws->id, "link refused: %d link/unlink operations in %g days",
			      la__link_ops(ws), g_settings.link_window_days);
		la__err(resp, 400, M_LINK_BUDGET);
		return;
	}
	const char *cst = la__state(c);
	if (strcasecmp(cst, "Succeeded") != 0)
		hazard_record("link_before_cluster_ready", ws->id,
			      "workspace linked while cluster %s was %s: ingested data would be dropped", c->id, cst);
	double unl = la__simnum(ws, "unlinkedMs", -1);
	if (unl >= 0 && (double)simclock_now_ms() - unl < g_settings.link_window_days * DAY_MS)
		hazard_record("unlink_flipflop", ws->id, "re-link within %g days of an unlink", g_settings.link_window_days);
	la__link_op_add(ws);
	cJSON *d = la__ls_doc(req, ws, lsname, props);
	cJSON *dp = sim_json_get(d, "properties");
	sim_json_set_str(dp, "writeAccessResourceId", target);
	sim_json_set_str(dp, "provisioningState", "ProvisioningAccount");
	sim_res *ls = store_put(lsid, T_LS, d);
	if (!ls) {
		resp_arm_error(resp, 500, "InternalServerError", "armsim: out of memory");
		return;
	}
	cJSON *ctx = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx, "workspace", ws->id);
	sim_op *op = lro_start(&(lro_start_opts){
		.provider = NS, .location = sim_json_str(ws->doc, "location"), .subscription_id = req->cap[0],
		.resource_id = ls->id, .resource_type = T_LS, .kind = "workspace.link",
		.running_status = "InProgress", .duration_s = g_settings.link_s,
		.result = LRO_RESULT_RESOURCE, .api_version = req->api_version,
		.complete = la__linked, .ctx = ctx });
	lro_headers(req, resp, op, &(lro_header_opts){ .status_api_version = g_settings.la_status_api_version,
						    .lower_case_status_path = true, .location = true,
						    .async_operation = true });
	resp_json(resp, existing ? 200 : 201, store_render(ls, req->api_version));
}

static void la__ls_delete(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la__ws(req, req->cap[2]);
	char lsid[1200];
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	snprintf(lsid, sizeof lsid, "%s/linkedServices/%s", ws->id, req->cap[3]);
	sim_res *ls = store_get_typed(lsid, T_LS);
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
	if (!la__terminal(la__state(ls))) {
		hazard_record("write_while_operation_running", ws->id, "unlink while a link or unlink runs");
		la__err(resp, 409, M_LINK_409);
		return;
	}
	if (la__link_ops(ws) >= g_settings.link_budget) {
		hazard_record("link_budget_exceeded", ws->id, "unlink refused: %d link/unlink operations in %g days",
			      la__link_ops(ws), g_settings.link_window_days);
		la__err(resp, 400, M_LINK_BUDGET);
		return;
	}
	la__link_op_add(ws);
	la__set_state(ls, "Deleting");
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
	lro_headers(req, resp, op, &(lro_header_opts){ .status_api_version = g_settings.la_status_api_version,
						    .lower_case_status_path = true, .location = true,
						    .async_operation = true });
	resp_json(resp, 200, store_render(ls, req->api_version));
}

static void la__ls_get(sim_req *req, sim_resp *resp)
{
	sim_res *ws = la__ws(req, req->cap[2]);
	char lsid[1200];
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	snprintf(lsid, sizeof lsid, "%s/linkedServices/%s", ws->id, req->cap[3]);
	sim_res *ls = store_get_typed(lsid, T_LS);
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
	sim_res *ws = la__ws(req, req->cap[2]);
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	la__list_unpaged(req, resp, T_LS, ws->id);
}

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
	sim_res *ws = la__ws(req, req->cap[2]);
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	const char *dst = la__data_source(req->cap[3]);
	if (!dst) {
		resp_arm_error(resp, 400, "BadRequest",
			       "The dataSourceType '%s' is not valid. Valid values are CustomLogs, AzureWatson, Query, "
			       "Alerts, Ingestion.", req->cap[3]);
		return;
	}
	cJSON *ids = sim_json_path(req->json, "properties.storageAccountIds");
	if (!req->json || !cJSON_IsArray(ids) || cJSON_GetArraySize(ids) == 0) {
		la__err(resp, 400, M_BODY);
		return;
	}
	cJSON *x;
	cJSON_ArrayForEach(x, ids) {
		if (!cJSON_IsString(x)) {
			la__err(resp, 400, M_BODY);
			return;
		}
		if (!rbac_linked_check(req, resp, "Microsoft.Storage/storageAccounts/write", x->valuestring))
			return;
		sim_res *sa = store_get_typed(x->valuestring, "Microsoft.Storage/storageAccounts");
		if (!sa) {
			resp_arm_error(resp, 400, "BadRequest", "Storage account '%s' was not found.", x->valuestring);
			return;
		}
		const char *sl = sim_json_str(sa->doc, "location");
		if (sl && !sim_location_eq(sl, sim_json_str(ws->doc, "location"))) {
			resp_arm_error(resp, 400, "BadRequest",
				       "Storage account '%s' is in region '%s' and the workspace in '%s'. Create your "
				       "Storage Account in the same region as your Log Analytics workspace.",
				       x->valuestring, sl, sim_json_str(ws->doc, "location"));
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

static sim_res *la__lsa(sim_req *req, sim_resp *resp, sim_res **ws_out)
{
	sim_res *ws = la__ws(req, req->cap[2]);
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return NULL;
	}
	*ws_out = ws;
	char id[1200];
	snprintf(id, sizeof id, "%s/linkedStorageAccounts/%s", ws->id, req->cap[3]);
	return store_get_typed(id, T_LSA);
}

static void la__lsa_get(sim_req *req, sim_resp *resp)
{
	sim_res *ws = NULL, *r = la__lsa(req, resp, &ws);
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
	sim_res *ws = NULL, *r = la__lsa(req, resp, &ws);
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
	sim_res *ws = la__ws(req, req->cap[2]);
	if (!ws) {
		la__err(resp, 404, M_WS_404);
		return;
	}
	la__list_unpaged(req, resp, T_LSA, ws->id);
}

/* ---- registration --------------------------------------------------------------------- */

#define P_RG "/subscriptions/{s}/resourceGroups/{rg}/providers/" NS
#define P_SUB "/subscriptions/{s}/providers/" NS

static void la__route_noauthz(const char *method, const char *pattern, const char *type,
			      const char *const *versions, sim_handler fn)
{
	/* operation status/result URLs: authenticated, not role-checked (they
	 * carry an unguessable id and ARM serves them to the caller) */
	sim_route r;
	memset(&r, 0, sizeof r);
	r.method = method;
	r.pattern = pattern;
	r.kind = SIM_ROUTE_ARM;
	r.resource_type = type;
	r.api_versions = versions;
	r.action = "";
	r.sub_cap = 0;
	r.rg_cap = sim_prefix_ci(pattern, "/subscriptions/{s}/resourceGroups/") ? 1 : -1;
	r.fn = fn;
	router_add(&r);
}

void res_operationalinsights_register(void);
void res_operationalinsights_register(void)
{
	/* names for state dumps: running operations survive a reload */
	(void)lro_register_fn("la.cluster_created", la__cluster_created);
	(void)lro_register_fn("la.cluster_updated", la__cluster_updated);
	(void)lro_register_fn("la.cluster_deleted", la__cluster_deleted);
	(void)lro_register_fn("la.workspace_created", la__ws_created);
	(void)lro_register_fn("la.linked", la__linked);
	(void)lro_register_fn("la.unlinked", la__unlinked);
	router_add_arm("PUT", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, la__cluster_put);
	router_add_arm("PATCH", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, la__cluster_patch);
	router_add_arm("GET", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, la__cluster_get);
	router_add_arm("DELETE", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, la__cluster_delete);
	router_add_arm("GET", P_RG "/clusters", T_CLUSTER, v_clusters, true, la__clusters_rg);
	router_add_arm("GET", P_SUB "/clusters", T_CLUSTER, v_clusters, true, la__clusters_sub);
	/* Location URLs carry the api-version of the request that started the
	 * operation: accept the versions of that type */
	la__route_noauthz("GET", P_RG "/clusters/{name}/operationresults/{id}", T_CLUSTER, v_clusters, la__op_result);

	router_add_arm("PUT", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, la__ws_put);
	router_add_arm("PATCH", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, la__ws_patch);
	router_add_arm("GET", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, la__ws_get);
	router_add_arm("DELETE", P_RG "/workspaces/{name}", T_WS, v_workspaces, false, la__ws_delete);
	router_add_arm("GET", P_RG "/workspaces", T_WS, v_workspaces, true, la__ws_rg);
	router_add_arm("GET", P_SUB "/workspaces", T_WS, v_workspaces, true, la__ws_sub);
	la__route_noauthz("GET", P_RG "/workspaces/{name}/operationresults/{id}", T_WS, v_workspaces, la__op_result);

	router_add_arm("PUT", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, la__ls_put);
	router_add_arm("GET", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, la__ls_get);
	router_add_arm("DELETE", P_RG "/workspaces/{ws}/linkedServices/{name}", T_LS, v_linked, false, la__ls_delete);
	router_add_arm("GET", P_RG "/workspaces/{ws}/linkedServices", T_LS, v_linked, false, la__ls_list);
	la__route_noauthz("GET", P_RG "/workspaces/{ws}/linkedServices/{name}/operationresults/{id}", T_LS, v_linked,
			  la__op_result);

	router_add_arm("PUT", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false, la__lsa_put);
	router_add_arm("GET", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false, la__lsa_get);
	router_add_arm("DELETE", P_RG "/workspaces/{ws}/linkedStorageAccounts/{type}", T_LSA, v_storage, false,
		       la__lsa_delete);
	router_add_arm("GET", P_RG "/workspaces/{ws}/linkedStorageAccounts", T_LSA, v_storage, false, la__lsa_list);

	la__route_noauthz("GET", P_SUB "/locations/{location}/operationStatuses/{id}", T_OPS, v_status, la__op_status);

	store_type_register(&(sim_type){ .type = T_CLUSTER, .on_load = la__on_load_cluster,
					 .render = la__render_cluster });
	store_type_register(&(sim_type){ .type = T_WS, .on_load = la__on_load_workspace,
					 .render = la__render_workspace });
	sim_tick_hook_add(la__eval_access);
}
