/*
 * la_cluster.c - Log Analytics dedicated clusters in armsim: create (Creating,
 * ProvisioningAccount from half-way, Succeeded), update and key update,
 * delete with the 14-day soft delete, the rules of seed 003 (names, sku,
 * capacity tiers and lock, identity, busy states, per-region limit) and the
 * shapes older api-versions serve. The identity and key checks are in
 * la_cluster_key.c; the messages in la_messages.c.
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

static void la__cluster_provisioning_account(cJSON *ctx);

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
 * documented message or LA_OK; *cap_out gets the capacity (0 = none given). */
static la_msg la__check_sku(const cJSON *sku, bool required, double *cap_out)
{
	*cap_out = 0;
	if (!sku || cJSON_IsNull(sku))
		return required ? LA_M_NO_SKU : LA_OK;
	if (!cJSON_IsObject(sku))
		return LA_M_BODY;
	const char *name = sim_json_str(sku, "name");
	cJSON *cap = sim_json_get(sku, "capacity");
	bool is_cr = name && !strcasecmp(name, "capacityReservation");
	if (!is_cr && cap && !cJSON_IsNull(cap))
		return LA_M_SKU_NOT_CR;
	if (!is_cr)
		return name ? LA_M_SKU_NAME : (required ? LA_M_NO_SKU : LA_M_SKU_NAME);
	if (!cap || cJSON_IsNull(cap))
		return LA_M_SKU_NO_CAP;
	if (!cJSON_IsNumber(cap) || !la__capacity_ok(cap->valuedouble))
		return LA_M_SKU_RANGE;
	*cap_out = cap->valuedouble;
	return LA_OK;
}

cJSON *la_render_cluster(const sim_res *r, const char *v)
{
	cJSON *d = cJSON_Duplicate(r->doc, 1);
	cJSON *p = sim_json_obj(d, "properties");
	la_date_prop(p, "createdDate", r, "createdMs", v);
	la_date_prop(p, "lastModifiedDate", r, "modifiedMs", v);
	cJSON *crp = sim_json_get(p, "capacityReservationProperties");
	if (cJSON_IsObject(crp))
		la_date_prop(crp, "lastSkuUpdate", r, "lastSkuUpdateMs", v);
	cJSON *aw, *aws = sim_json_get(p, "associatedWorkspaces");
	cJSON_ArrayForEach(aw, aws) {
		int64_t t = simclock_parse(sim_json_str(aw, "associateDate"));
		if (t > 0) {
			char buf[64];
			la_format_date(buf, sizeof buf, t, v);
			sim_json_set_str(aw, "associateDate", buf);
		}
	}
	const char *access = sim_json_str(r->sim, "keyAccess");
	if (access && strcmp(access, "Accessible") != 0)
		sim_json_set_str(p, "armsimKeyAccessState", access); /* armsim-only: see README */
	if (la_ver_lt(v, "2020-10-01")) {
		/* 2019-08 .. 2020-08 shapes: sku.lastSkuUpdate, no 2020-10 additions */
		cJSON *sku = sim_json_get(d, "sku");
		if (cJSON_IsObject(sku))
			la_date_prop(sku, "lastSkuUpdate", r, "lastSkuUpdateMs", v);
		cJSON_DeleteItemFromObject(p, "capacityReservationProperties");
		cJSON_DeleteItemFromObject(p, "associatedWorkspaces");
		cJSON_DeleteItemFromObject(p, "isAvailabilityZonesEnabled");
		cJSON_DeleteItemFromObject(p, "createdDate");
		cJSON_DeleteItemFromObject(p, "lastModifiedDate");
		if (la_ver_lt(v, "2020-08-01")) {
			if (!sim_json_get(p, "clusterType"))
				cJSON_AddStringToObject(p, "clusterType", "LogAnalytics");
		} else {
			cJSON_DeleteItemFromObject(p, "clusterType");
		}
		if (la_ver_lt(v, "2020-03-01")) {
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

int la_on_load_cluster(sim_res *r)
{
	int64_t now = simclock_now_ms();
	cJSON *p = sim_json_obj(r->doc, "properties");
	if (!sim_json_str(p, "provisioningState"))
		la_set_state(r, "Succeeded");
	if (!sim_json_str(p, "clusterId")) {
		char g[37];
		sim_guid(g);
		sim_json_set_str(p, "clusterId", g);
	}
	int64_t created = simclock_parse(sim_json_str(p, "createdDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "createdMs")))
		la_simset(r, "createdMs", (double)(created > 0 ? created : now));
	int64_t mod = simclock_parse(sim_json_str(p, "lastModifiedDate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "modifiedMs")))
		la_simset(r, "modifiedMs", (double)(mod > 0 ? mod : now));
	int64_t lsu = simclock_parse(sim_json_str(sim_json_get(p, "capacityReservationProperties"), "lastSkuUpdate"));
	if (!cJSON_IsNumber(sim_json_get(r->sim, "lastSkuUpdateMs")))
		la_simset(r, "lastSkuUpdateMs", (double)(lsu > 0 ? lsu : la_simnum(r, "createdMs", (double)now)));
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

/* ---- clusters ----------------------------------------------------------------------- */

static sim_res *la__deleted(const char *sub, const char *rg, const char *name)
{
	char id[1024];
	arm_resource_id(id, sizeof id, sub, rg, T_DELETED, name);
	sim_res *d = store_get(id);
	if (d && la_simnum(d, "purgeMs", 0) <= (double)simclock_now_ms()) {
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
	la_set_state(c, op->state == LRO_SUCCEEDED ? "Succeeded" : "Failed");
	la_simset(c, "modifiedMs", (double)simclock_now_ms());
	sim_json_set_str(c->sim, "keyAccess", "Accessible");
}

static void la__cluster_provisioning_account(cJSON *ctx)
{
	sim_res *c = store_get_typed(sim_json_str(ctx, "id"), T_CLUSTER);
	if (!c)
		return;
	cJSON_DeleteItemFromObject(c->sim, "provisioningAccountAtMs");
	if (!strcmp(la_state(c), "Creating")) {
		store_lag_note(c);
		la_set_state(c, "ProvisioningAccount");
	}
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
			la_simset(c, "lastSkuUpdateMs", (double)simclock_now_ms());
		}
		const char *bt = sim_json_str(op->ctx, "billingType");
		if (bt)
			sim_json_set_str(p, "billingType", bt);
		la_set_state(c, "Succeeded");
		/* a new key that works ends any revocation at once */
		if (kvp && la_key_reachable(c))
			sim_json_set_str(c->sim, "keyAccess", "Accessible");
	} else {
		/* "properties should be reverted to their previous state" (RPC) */
		la_set_state(c, "Failed");
	}
	la_simset(c, "modifiedMs", (double)simclock_now_ms());
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
			la_simset(dr, "deletedMs", (double)now);
			la_simset(dr, "purgeMs", (double)now + g_settings.soft_delete_days * DAY_MS);
		}
	}
	store_delete(c);
}

static void la__cluster_deleted(sim_op *op)
{
	sim_res *c = store_get_typed(op->resource_id, T_CLUSTER);
	if (!c)
		return;
	if (op->state != LRO_SUCCEEDED) {
		la_set_state(c, "Failed");
		return;
	}
	/* unlink every workspace still pointing at it */
	sim_res **ws;
	size_t n = store_list(&ws, T_WS, NULL);
	for (size_t i = 0; i < n; i++)
		if (sim_streq_ci(sim_json_str(ws[i]->doc, "properties.features.clusterResourceId"), c->id))
			la_unlink_now(ws[i], c->id);
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

/* A write on a cluster that is busy: documented 400s + hazard. */
static bool la__cluster_busy(sim_req *req, sim_resp *resp, sim_res *c, bool put)
{
	const char *st = la_state(c);
	if (la_terminal(st))
		return false;
	hazard_record("write_while_operation_running", c->id, "%s while provisioningState is %s", req->method, st);
	if (!strcasecmp(st, "Deleting"))
		la_fail(resp, put ? LA_M_DELETING_PUT : LA_M_DELETING_UPDATE);
	else
		la_fail(resp, put ? LA_M_OP_CREATE : LA_M_OP_UPDATE);
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
	la_msg msg;
	la_identity li;
	la_kvp k;
	char buf[1024];

	if (la__cluster_busy(req, resp, c, put))
		return;
	const char *loc = sim_json_str(body, "location");
	if (put && loc && !sim_location_eq(loc, sim_json_str(c->doc, "location"))) {
		la_fail(resp, LA_M_LOCATION_MOVED, sim_json_str(c->doc, "name"), sim_json_str(c->doc, "location"),
			req->cap[1], loc);
		return;
	}
	if ((msg = la__check_sku(sim_json_get(body, "sku"), false, &cap))) {
		la_fail(resp, msg);
		return;
	}
	if (la_parse_identity(&li, req, sim_json_get(body, "identity"), resp) < 0)
		return;
	if (put && li.kind == 0 && la_ver_lt(req->api_version, "2022-10-01")) {
		la_fail(resp, LA_M_IDENTITY);
		return;
	}
	cJSON *de = sim_json_get(props, "isDoubleEncryptionEnabled");
	if (cJSON_IsBool(de) &&
	    cJSON_IsTrue(de) != cJSON_IsTrue(sim_json_path(c->doc, "properties.isDoubleEncryptionEnabled"))) {
		la_fail(resp, LA_M_DOUBLE_ENC);
		return;
	}
	const char *ct = sim_json_str(props, "clusterType");
	const char *cur_ct = sim_json_str(c->doc, "properties.clusterType");
	if (ct && !sim_streq_ci(ct, cur_ct ? cur_ct : "LogAnalytics")) {
		la_fail(resp, LA_M_CLUSTER_TYPE);
		return;
	}
	const char *bt = sim_json_str(props, "billingType");
	if (bt && strcasecmp(bt, "Cluster") && strcasecmp(bt, "Workspaces")) {
		la_fail(resp, LA_M_BILLING_TYPE, bt);
		return;
	}
	double cur_cap = sim_json_path(c->doc, "sku.capacity") ? sim_json_path(c->doc, "sku.capacity")->valuedouble : 0;
	if (cap && cap < cur_cap &&
	    (double)simclock_now_ms() - la_simnum(c, "lastSkuUpdateMs", 0) < g_settings.capacity_lock_days * DAY_MS) {
		la_fail(resp, LA_M_CAP_LOCK);
		return;
	}
	if (la_parse_kvp(&k, props, resp) < 0)
		return;

	/* the principal the key must be granted to, once the identity in the
	 * request applies (a new system-assigned one has no grants yet) */
	const char *key_oid = la_cluster_principal(c), *key_tid = la_cluster_tenant(c);
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
		la_msg p = la_key_problem(&k, key_oid, key_tid, sim_json_str(c->doc, "location"), buf, sizeof buf);
		if (p != LA_OK) {
			la_fail_text(resp, p, buf);
			return;
		}
	}
	/* valid: identity changes apply at once (None revokes, irreversibly) */
	if (li.kind) {
		cJSON *nid = la_identity_doc(&li, c, c->id);
		sim_json_set(c->doc, "identity", nid);
		if (li.kind == 3) {
			sim_json_set(c->sim, "identityRevoked", cJSON_CreateTrue());
			sim_json_set_str(c->sim, "keyAccess", "Inaccessible");
			la_simset(c, "keyAccessSince", (double)simclock_now_ms());
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
		la_simset(c, "modifiedMs", (double)simclock_now_ms());
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
	la_set_state(c, "Updating");
	sim_op *op = la_start(req, c, key_change ? "cluster.keyUpdate" : "cluster.update", "Updating",
			       key_change ? g_settings.cluster_key_update_s : g_settings.cluster_update_s,
			       la__cluster_updated, ctx, LRO_RESULT_RESOURCE);
	if (!op) {
		la_fail(resp, LA_M_OOM);
		return;
	}
	la_async_reply(req, resp, op, 202);
}

static void la__cluster_put(sim_req *req, sim_resp *resp)
{
	const char *name = req->cap[2];
	char id[1024], sid[1024], buf[1024];
	double cap = 0;
	la_msg msg;
	la_identity li;
	la_kvp k;

	if (!la__name_ok(name)) {
		la_fail(resp, LA_M_NAME);
		return;
	}
	if (!req->json || !cJSON_IsObject(req->json)) {
		la_fail(resp, LA_M_BODY);
		return;
	}
	la_id(id, sizeof id, req, T_CLUSTER, name);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!arm_check_conditions(req, resp, c))
		return;
	if (c) {
		if (!strcasecmp(la_state(c), "Creating") || !strcasecmp(la_state(c), "ProvisioningAccount"))
			hazard_record("duplicate_create", c->id, "PUT while the cluster is still being created");
		la__cluster_update(req, resp, c, true);
		return;
	}
	const cJSON *body = req->json, *props = sim_json_get(body, "properties");
	const char *loc = sim_json_str(body, "location");
	if (!loc || !*loc) {
		la_fail(resp, LA_M_LOCATION_REQUIRED);
		return;
	}
	if (la__deleted(req->cap[0], req->cap[1], name)) {
		sim_res *d = la__deleted(req->cap[0], req->cap[1], name);
		char when[64];
		simclock_iso8601(when, sizeof when, (int64_t)la_simnum(d, "purgeMs", 0));
		la_fail(resp, LA_M_SOFT_DELETED, name, when);
		return;
	}
	/* 2019-08-01-preview had no SKU (seed 000): 1000 GB/day then */
	bool sku_required = !la_ver_lt(req->api_version, "2020-03-01");
	if ((msg = la__check_sku(sim_json_get(body, "sku"), sku_required, &cap))) {
		la_fail(resp, msg);
		return;
	}
	if (!cap)
		cap = 1000;
	if (la_parse_identity(&li, req, sim_json_get(body, "identity"), resp) < 0)
		return;
	if (li.kind == 0) {
		/* Required until 2021-06-01 (seeds); the 2022-10-01+ examples create
		 * without identity and get a system-assigned one. */
		if (la_ver_lt(req->api_version, "2022-10-01")) {
			la_fail(resp, LA_M_IDENTITY);
			return;
		}
		li.kind = 1;
	}
	if (li.kind == 3) {
		la_fail(resp, LA_M_IDENTITY);
		return;
	}
	if (la_parse_kvp(&k, props, resp) < 0)
		return;
	if (k.present && !k.empty) {
		if (li.kind == 1) {
			la_fail(resp, LA_M_KVP_CREATE);
			return;
		}
		/* user-assigned identity granted beforehand: allowed (seed 003) */
		la_msg p = la_key_problem(&k, msi_principal_id(li.uai), sim_json_str(li.uai->doc, "properties.tenantId"),
					  loc, buf, sizeof buf);
		if (p != LA_OK) {
			la_fail_text(resp, p, buf);
			return;
		}
	}
	const char *bt = sim_json_str(props, "billingType");
	if (bt && strcasecmp(bt, "Cluster") && strcasecmp(bt, "Workspaces")) {
		la_fail(resp, LA_M_BILLING_TYPE, bt);
		return;
	}
	if ((int)la__clusters_in_region(req->cap[0], loc) >= g_settings.max_clusters_per_region) {
		la_fail(resp, LA_M_MAX_CLUSTERS, g_settings.max_clusters_per_region, req->cap[0],
			g_settings.max_clusters_per_region, loc);
		return;
	}

	/* build the resource */
	char nloc[64], g[37];
	sim_location_norm(nloc, sizeof nloc, loc);
	la_served_id(sid, sizeof sid, id);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", sid);
	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "type", T_CLUSTER);
	cJSON_AddStringToObject(d, "location", nloc);
	cJSON *tags = sim_json_get(body, "tags");
	if (cJSON_IsObject(tags))
		cJSON_AddItemToObject(d, "tags", cJSON_Duplicate(tags, 1));
	cJSON_AddItemToObject(d, "identity", la_identity_doc(&li, NULL, id));
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
		la_fail(resp, LA_M_OOM);
		return;
	}
	int64_t now = simclock_now_ms();
	la_simset(c, "createdMs", (double)now);
	la_simset(c, "modifiedMs", (double)now);
	la_simset(c, "lastSkuUpdateMs", (double)now);
	sim_json_set_str(c->sim, "keyAccess", "Accessible");
	sim_op *op = la_start(req, c, "cluster.create", "InProgress", g_settings.cluster_create_s,
			       la__cluster_created, NULL, LRO_RESULT_RESOURCE);
	int64_t halfway = now + (int64_t)(g_settings.cluster_create_s * 500.0);
	cJSON *tctx = cJSON_CreateObject();
	cJSON_AddStringToObject(tctx, "id", id);
	/* kept in _sim so a state load sets the timer again */
	la_simset(c, "provisioningAccountAtMs", (double)halfway);
	sim_timer_add(halfway, la__cluster_provisioning_account, tctx);
	la_async_reply(req, resp, op, 202);
}

/* The cluster cap[2], or NULL after answering the documented 404. */
static sim_res *la__cluster_or_404(const sim_req *req, sim_resp *resp)
{
	char id[1024];
	la_id(id, sizeof id, req, T_CLUSTER, req->cap[2]);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!c)
		la_fail(resp, LA_M_CLUSTER_404);
	return c;
}

static void la__cluster_patch(sim_req *req, sim_resp *resp)
{
	sim_res *c = la__cluster_or_404(req, resp);
	if (!c)
		return;
	if (!req->json || !cJSON_IsObject(req->json)) {
		la_fail(resp, LA_M_BODY);
		return;
	}
	if (!arm_check_conditions(req, resp, c))
		return;
	la__cluster_update(req, resp, c, false);
}

static void la__cluster_get(sim_req *req, sim_resp *resp)
{
	sim_res *c = la__cluster_or_404(req, resp);
	if (!c)
		return;
	const char *access = sim_json_str(c->sim, "keyAccess");
	resp_header(resp, "x-ms-armsim-key-access", "%s", access ? access : "Accessible");
	resp_json(resp, 200, store_render(c, req->api_version));
}

static void la__cluster_delete(sim_req *req, sim_resp *resp)
{
	char id[1024];
	la_id(id, sizeof id, req, T_CLUSTER, req->cap[2]);
	sim_res *c = store_get_typed(id, T_CLUSTER);
	if (!c) {
		resp_json(resp, 204, NULL);
		return;
	}
	const char *st = la_state(c);
	if (!strcasecmp(st, "Deleting")) {
		hazard_record("write_while_operation_running", c->id, "DELETE while provisioningState is Deleting");
		la_fail(resp, LA_M_DELETING_UPDATE);
		return;
	}
	if (!la_terminal(st)) {
		hazard_record("write_while_operation_running", c->id, "DELETE while provisioningState is %s", st);
		la_fail(resp, LA_M_DELETE_409);
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
	la_set_state(c, "Deleting");
	double secs = g_settings.unlink_s > g_settings.cluster_delete_s ? g_settings.unlink_s : g_settings.cluster_delete_s;
	sim_op *op = la_start(req, c, "cluster.delete", "Deleting", secs, la__cluster_deleted, NULL,
			       LRO_RESULT_NO_CONTENT);
	la_async_reply(req, resp, op, 202);
}

static void la__cluster_list(sim_req *req, sim_resp *resp)
{
	arm_list_scoped(req, resp, T_CLUSTER);
}

/* ---- registration --------------------------------------------------------------------- */

static const char *const v_clusters[] = { "2019-08-01-preview", "2020-03-01-preview", "2020-08-01",
	"2020-10-01", "2021-06-01", "2022-10-01", "2023-09-01", "2025-02-01", "2025-07-01", "2026-03-01", NULL };

void la_cluster_routes(void)
{
	static const la_route routes[] = {
		{ "PUT", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, false, la__cluster_put },
		{ "PATCH", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, false, la__cluster_patch },
		{ "GET", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, false, la__cluster_get },
		{ "DELETE", P_RG "/clusters/{name}", T_CLUSTER, v_clusters, false, false, la__cluster_delete },
		{ "GET", P_RG "/clusters", T_CLUSTER, v_clusters, true, false, la__cluster_list },
		{ "GET", P_SUB "/clusters", T_CLUSTER, v_clusters, true, false, la__cluster_list },
		/* Location URLs carry the api-version of the request that started
		 * the operation: accept the versions of that type */
		{ "GET", P_RG "/clusters/{name}/operationresults/{id}", T_CLUSTER, v_clusters, false, true,
		  la_op_result },
	};
	/* names for state dumps: running operations survive a reload */
	(void)lro_register_fn("la.cluster_created", la__cluster_created);
	(void)lro_register_fn("la.cluster_updated", la__cluster_updated);
	(void)lro_register_fn("la.cluster_deleted", la__cluster_deleted);
	la_routes_add(routes, sizeof routes / sizeof routes[0]);
}
