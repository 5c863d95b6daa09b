/*
 * la_cluster_key.c - a Log Analytics cluster's identity and key in armsim:
 * the identity of a request (system- or user-assigned, None), the principal
 * the cluster's storage reaches Key Vault with, key validation (seed 003's
 * order and messages; the key may live in a vault or a Managed HSM, which
 * kv_vault_by_uri resolves alike), and key revocation (Accessible, Revoking,
 * Inaccessible, Recovering) evaluated on every tick.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "la_internal.h"
#include "settings.h"
#include "simclock.h"
#include "util.h"

/* ---- the cluster's identity ------------------------------------------------------------ */

/* 0 ok; else fills resp */
int la_parse_identity(la_identity *out, const sim_req *req, const cJSON *ident, sim_resp *resp)
{
	memset(out, 0, sizeof *out);
	if (!ident || cJSON_IsNull(ident))
		return 0;
	const char *type = sim_json_str(ident, "type");
	if (!cJSON_IsObject(ident) || !type || !*type) {
		la_fail(resp, LA_M_IDENTITY);
		return -1;
	}
	if (!strcasecmp(type, "SystemAssigned")) {
		out->kind = 1;
	} else if (!strcasecmp(type, "UserAssigned")) {
		out->kind = 2;
		cJSON *uais = sim_json_get(ident, "userAssignedIdentities");
		if (!cJSON_IsObject(uais) || !uais->child) {
			la_fail(resp, LA_M_IDENTITY);
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
			la_fail(resp, LA_M_UAI_MISSING, out->uai_id);
			return -1;
		}
	} else if (!strcasecmp(type, "None")) {
		out->kind = 3;
	} else {
		la_fail(resp, LA_M_IDENTITY_TYPE, type);
		return -1;
	}
	return 0;
}

/* The object id the cluster's storage authenticates with to Key Vault. */
const char *la_cluster_principal(const sim_res *c)
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

const char *la_cluster_tenant(const sim_res *c)
{
	const char *t = sim_json_str(c->doc, "identity.tenantId");
	return t ? t : auth_default_tenant();
}

/* Build the identity object stored on the cluster. */
cJSON *la_identity_doc(const la_identity *li, const sim_res *existing, const char *cluster_id)
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

int la_parse_kvp(la_kvp *out, const cJSON *props, sim_resp *resp)
{
	memset(out, 0, sizeof *out);
	cJSON *k = sim_json_get(props, "keyVaultProperties");
	if (!k || cJSON_IsNull(k))
		return 0;
	out->present = true;
	if (!cJSON_IsObject(k)) {
		la_fail(resp, LA_M_KVP_FORMAT);
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
		la_fail(resp, LA_M_KVP_FORMAT);
		return -1;
	}
	return 0;
}

static la_msg la__key_problem(const la_kvp *k, const char *oid, const char *tenant, const char *location)
{
	sim_res *vault = kv_vault_by_uri(k->uri);
	if (!vault || !oid)
		return LA_M_KEY_VALIDATE;
	unsigned perms = kv_key_permissions(vault, k->name, tenant, oid);
	if (!(perms & KV_PERM_GET))
		return LA_M_KEY_VALIDATE;
	if (!kv_vault_recoverable(vault))
		return LA_M_KEY_RECOVER;
	sim_res *key = kv_key_get(vault, k->name);
	cJSON *ver = key ? kv_key_version(key, k->version) : NULL;
	if (!ver || !cJSON_IsTrue(sim_json_get(ver, "enabled")))
		return LA_M_KEY_VALIDATE;
	/* a symmetric key (a Managed HSM's oct-HSM) cannot wrap the cluster's key */
	if (!strncmp(sim_json_str(ver, "kty") ? sim_json_str(ver, "kty") : "", "oct", 3))
		return LA_M_KEY_VALIDATE;
	if (!(perms & KV_PERM_WRAP) || !(perms & KV_PERM_UNWRAP))
		return LA_M_KEY_VALIDATE;
	const char *vloc = sim_json_str(vault->doc, "location");
	if (location && vloc && !sim_location_eq(location, vloc))
		return LA_M_KEY_REGION;
	const char *vt = sim_json_str(vault->doc, "properties.tenantId");
	if (vt && tenant && !sim_streq_ci(vt, tenant))
		return LA_M_KEY_TENANT;
	return LA_OK;
}

/* Can `oid` (of `tenant`) use the key for a cluster in `location`? LA_OK or
 * a message (its text in buf). Order follows the docs: the Get permission is
 * what lets the service check recoverability, then the key itself, then
 * wrap/unwrap. */
la_msg la_key_problem(const la_kvp *k, const char *oid, const char *tenant, const char *location,
		      char *buf, size_t len)
{
	la_msg m = la__key_problem(k, oid, tenant, location);
	if (m == LA_M_KEY_REGION) {
		sim_res *vault = kv_vault_by_uri(k->uri);
		la_msg_format(buf, len, m, kv_vault_name(vault), sim_json_str(vault->doc, "location"), location);
	} else if (m == LA_M_KEY_TENANT) {
		sim_res *vault = kv_vault_by_uri(k->uri);
		la_msg_format(buf, len, m, kv_vault_name(vault), sim_json_str(vault->doc, "properties.tenantId"),
			      tenant);
	} else if (m != LA_OK) {
		la_msg_format(buf, len, m);
	}
	return m;
}

/* ---- key revocation ------------------------------------------------------------------ */

/* Does the cluster's storage currently reach its key? */
bool la_key_reachable(const sim_res *c)
{
	if (cJSON_IsTrue(sim_json_get(c->sim, "identityRevoked")))
		return false;
	cJSON *k = sim_json_path(c->doc, "properties.keyVaultProperties");
	const char *name = sim_json_str(k, "keyName");
	if (!name || !*name)
		return true; /* Microsoft-managed key */
	la_kvp kv = { sim_json_str(k, "keyVaultUri"), name, sim_json_str(k, "keyVersion"), true, false };
	const char *oid = la_cluster_principal(c);
	return la__key_problem(&kv, oid, la_cluster_tenant(c), NULL) == LA_OK;
}

/* States: Accessible -> Revoking (access lost, storage still caches the AEK)
 * -> Inaccessible (after revocationDelaySeconds) -> Recovering (access back)
 * -> Accessible (after recoveryDelaySeconds). Seeds: "within an hour",
 * "resumed within 30 minutes". */
void la_eval_access(void)
{
	int64_t now = simclock_now_ms();
	for (sim_res *c = store_first(T_CLUSTER); c; c = store_next(c)) {
		if (strcasecmp(la_state(c), "Succeeded") && strcasecmp(la_state(c), "Updating"))
			continue;
		const char *st = sim_json_str(c->sim, "keyAccess");
		if (!st)
			st = "Accessible";
		double since = la_simnum(c, "keyAccessSince", (double)now);
		bool ok = la_key_reachable(c);
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
			la_simset(c, "keyAccessSince", (double)now);
		}
	}
}
