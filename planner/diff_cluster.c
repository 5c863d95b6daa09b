/*
 * diff_cluster.c - the LogAnalyticsCluster pass of the diff: create a
 * missing cluster (with its principal, preflight, grant and key), or
 * bring an existing one to the manifest (identity, immutable fields,
 * capacity/sku/billing/tags, key) through one serialised chain of writes
 * per cluster, which the other passes join (diff__chain).
 */
#include "planner/diff_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "planner/diff.h"

/* What the diff of one cluster document works with. */
typedef struct {
	size_t di;                                /* the document's index */
	const manifest_log_analytics_cluster *s;
	diff__doc *d;
	diff__doc *k;                             /* its key's document, or NULL */
	diff__doc *ident;                         /* its user-assigned identity's, or NULL */
	bool user;                                /* identity type UserAssigned */
	const char *kname;                        /* the key's name when `k` */
	const diff__tag *tags;
	size_t ntags;
	const char *tenant;                       /* of its subscription, or NULL */
} diff__cl;

/* ---- the write chain of one cluster ----------------------------------- */

int diff__ensure_wait(diff_ctx *c, diff__doc *d, const char *what)
{
	const char *state;
	int error;

	if (!d->busy || d->wait != PLAN_NONE)
		return 0;
	state = diff__or(d->busy_state, "busy");
	if ((error = plan__add_step(&d->wait, c->p, PLAN_STEP_CLUSTER_WAIT, d->res, d->id,
				    d->id, "%s busy (%s): wait for its running operation to finish", what,
				    state)) < 0)
		return error;
	if ((error = plan__add_reason(c->p, d->res,
				      "an operation is running on the %s (%s): cmkctl waits for it before writing",
				      what, state)) < 0)
		return error;
	d->tail = d->wait;
	return 0;
}

int diff__chain(diff_ctx *c, diff__doc *d, size_t step, const char *what)
{
	int error;

	if ((error = diff__ensure_wait(c, d, what)) < 0 || (error = plan__add_dep(c->p, step, d->tail)) < 0)
		return error;
	d->tail = step;
	return 0;
}

int diff__after_chain(diff_ctx *c, diff__doc *d, size_t step)
{
	int error;

	if ((error = diff__ensure_wait(c, d, "cluster")) < 0 || (error = plan__add_dep(c->p, step, d->tail)) < 0)
		return error;
	return 0;
}

/* ---- the key of a cluster ------------------------------------------------ */

/* A write that sets the key: after the grant, with the key parameters,
 * blocked for what keeps the key from serving the cluster. */
static int diff__cluster_key_write(diff_ctx *c, const diff__cl *x, size_t step, size_t grant,
				   const char *missing)
{
	int error;

	if ((error = plan__add_dep(c->p, step, grant)) < 0 ||
	    (error = diff__key_params(c, step, x->k, x->kname, x->k->version)) < 0 ||
	    (error = diff__block_key(c, step, x->k, x->s->location.value, x->tenant, missing)) < 0)
		return error;
	return 0;
}

/* The cluster.key step, in the cluster's chain. */
static int diff__cluster_key_step(diff_ctx *c, const diff__cl *x, size_t grant, const char *missing)
{
	const diff__doc *k = x->k;
	size_t step;
	int error;

	if ((error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_KEY_UPDATE, x->d->res,
				    x->d->id, x->d->id, "set key %s%s%s on cluster %s, wait for Succeeded", x->kname,
				    k->version ? " version " : "", k->version ? k->version : "",
				    x->s->name.value)) < 0 ||
	    (error = diff__chain(c, x->d, step, "cluster")) < 0)
		return error;
	return diff__cluster_key_write(c, x, step, grant, missing);
}

static int diff__cluster_grant(size_t *grant, diff_ctx *c, const diff__cl *x, bool key_in_use, char *missing,
			       size_t missing_size)
{
	return diff__grant(grant, c, x->d, x->k, "cluster", key_in_use,
			   x->user ? PLAN_PHASE_GRANT_EARLY : plan_step_kind_phase(PLAN_STEP_KEY_GRANT), missing,
			   missing_size);
}

/* ---- a new cluster -------------------------------------------------------- */

static const char *diff__bool(bool b)
{
	return b ? "true" : "false";
}

/* Clusters already planned for creation per subscription+region (quota). */
static size_t diff__planned_creates(const diff_ctx *c, size_t upto, const char *sub, const char *location)
{
	size_t n = 0;

	for (size_t i = 0; i < upto; i++) {
		const manifest_doc *doc = c->set->docs[i];

		if (doc->kind == MANIFEST_KIND_LOG_ANALYTICS_CLUSTER && c->docs[i].create != PLAN_NONE &&
		    !c->p->steps[c->docs[i].create].blocked_reason &&
		    strcasecmp(doc->spec.cluster.subscription.value, sub) == 0 &&
		    arm_location_equal(doc->spec.cluster.location.value, location))
			n++;
	}
	return n;
}

/* What the new cluster's resource shows: every field it is created with. */
static int diff__cluster_create_changes(diff_ctx *c, const diff__cl *x, const char *cap)
{
	const manifest_log_analytics_cluster *s = x->s;
	size_t res = x->d->res;
	int error;

	if ((error = plan__add_reason(c->p, res, "the cluster does not exist")) < 0 ||
	    (error = plan__add_change(c->p, res, "location", NULL, s->location.value)) < 0 ||
	    (error = plan__add_change(c->p, res, "identity", NULL,
				      manifest_identity_type_name(s->identity.type.value))) < 0 ||
	    (s->capacity.set && (error = plan__add_change(c->p, res, "capacity", NULL, cap)) < 0) ||
	    (error = plan__add_change(c->p, res, "billingType", NULL,
				      manifest_billing_type_name(s->billing_type.value))) < 0 ||
	    (error = plan__add_change(c->p, res, "clusterType", NULL,
				      manifest_cluster_type_name(s->cluster_type.value))) < 0 ||
	    (s->double_encryption.set &&
	     (error = plan__add_change(c->p, res, "doubleEncryption", NULL,
				       diff__bool(s->double_encryption.value))) < 0) ||
	    (s->availability_zones.set &&
	     (error = plan__add_change(c->p, res, "availabilityZones", NULL,
				       diff__bool(s->availability_zones.value))) < 0) ||
	    (error = diff__tags(c, res, x->tags, x->ntags, &(live_tags){ NULL, 0 })) < 0)
		return error;
	return 0;
}

/* The cluster.create step with its parameters, first in the chain. */
static int diff__cluster_create_step(size_t *out, diff_ctx *c, const diff__cl *x, bool at_creation)
{
	const manifest_log_analytics_cluster *s = x->s;
	size_t step;
	int error;

	if ((error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_CREATE, x->d->res,
				    x->d->id, x->d->id, "create cluster %s in %s (%s identity%s), wait for Succeeded",
				    s->name.value, s->location.value,
				    manifest_identity_type_name(s->identity.type.value),
				    at_creation ? ", with the key" : "")) < 0)
		return error;
	x->d->create = step;
	if ((error = diff__chain(c, x->d, step, "cluster")) < 0 ||
	    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
	    (error = plan__add_param(c->p, step, "skuName", "CapacityReservation")) < 0 ||
	    (error = plan__add_param_int(c->p, step, "capacity", s->capacity.value)) < 0 ||
	    (error = plan__add_param(c->p, step, "billingType",
				     manifest_billing_type_name(s->billing_type.value))) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterType",
				     manifest_cluster_type_name(s->cluster_type.value))) < 0 ||
	    (error = plan__add_param(c->p, step, "identityType",
				     manifest_identity_type_name(s->identity.type.value))) < 0 ||
	    (x->user && x->ident &&
	     (error = plan__add_param(c->p, step, "userAssignedIdentity", x->ident->id)) < 0) ||
	    (s->double_encryption.set &&
	     (error = plan__add_param_bool(c->p, step, "isDoubleEncryptionEnabled",
					   s->double_encryption.value)) < 0) ||
	    (s->availability_zones.set &&
	     (error = plan__add_param_bool(c->p, step, "isAvailabilityZonesEnabled",
					   s->availability_zones.value)) < 0) ||
	    (error = diff__tags_param(c, step, x->tags, x->ntags)) < 0)
		return error;
	*out = step;
	return 0;
}

/* Blocked when the name is soft-deleted (reserved for 14 days). */
static int diff__cluster_soft_deleted(diff_ctx *c, const diff__cl *x, size_t step)
{
	const manifest_log_analytics_cluster *s = x->s;
	char *soft;
	int error = 0;

	if (x->d->lc != NULL || !c->live->soft_deleted_cluster_count)
		return 0;
	if ((soft = plan__fmt("%s/%s", s->subscription.value, s->name.value)) == NULL)
		return cmk_error_oom();
	for (size_t i = 0; i < c->live->soft_deleted_cluster_count; i++)
		if (strcasecmp(c->live->soft_deleted_clusters[i], soft) == 0 &&
		    (error = plan__block(c->p, step, "cluster name '%s' is soft-deleted (a cluster of that name was "
					 "deleted in the last 14 days). " DIFF_MSG_SOFT_DELETED
					 " Contact support to recover it, or use another name.",
					 s->name.value)) < 0)
			break;
	free(soft);
	return error;
}

/* Blocked when the subscription has its quota of clusters in the region,
 * counting the creates planned before this one. */
static int diff__cluster_quota(diff_ctx *c, const diff__cl *x, size_t step)
{
	const manifest_log_analytics_cluster *s = x->s;
	const live_subscription *sub;
	size_t existing = 0;
	int limit;

	for (size_t i = 0; i < c->live->cluster_count; i++) {
		const live_la_cluster *lc = &c->live->clusters[i];
		char sub_of[64];

		if (diff__sub_of(sub_of, sizeof(sub_of), lc->id) && strcasecmp(sub_of, s->subscription.value) == 0 &&
		    lc->location && arm_location_equal(lc->location, s->location.value))
			existing++;
	}
	sub = live_find_subscription(c->live, s->subscription.value);
	limit = sub && sub->clusters_per_region_limit > 0 ? sub->clusters_per_region_limit : 2;
	if (existing + diff__planned_creates(c, x->di, s->subscription.value, s->location.value) < (size_t)limit)
		return 0;
	return plan__block(c->p, step, DIFF_MSG_QUOTA " Subscription %s has %zu cluster%s in %s already%s.",
			   s->subscription.value, existing, existing == 1 ? "" : "s", s->location.value,
			   existing < (size_t)limit ? " counting the ones this plan creates" : "");
}

/* Key access, then the key: with the create (keyAtCreation) or after. */
static int diff__cluster_create_key(diff_ctx *c, const diff__cl *x, size_t step, bool at_creation)
{
	char missing[256] = "", *txt;
	size_t grant = PLAN_NONE;
	int error;

	if ((error = diff__cluster_grant(&grant, c, x, false, missing, sizeof(missing))) < 0)
		return error;
	if (at_creation) {
		if ((!x->user && (error = plan__block(c->p, step, DIFF_MSG_KV_AT_CREATION)) < 0) ||
		    (error = diff__cluster_key_write(c, x, step, grant, missing)) < 0)
			return error;
	} else if ((error = diff__cluster_key_step(c, x, grant, missing)) < 0) {
		return error;
	}
	txt = diff__key_text(x->k->vault ? x->k->vault->vault_uri : NULL, x->kname, x->k->version);
	if (txt) {
		error = plan__add_change(c->p, x->d->res, "key", NULL, txt);
		free(txt);
	}
	return error;
}

static int diff__cluster_create(diff_ctx *c, const diff__cl *x)
{
	const manifest_log_analytics_cluster *s = x->s;
	bool at_creation = x->k && s->key_at_creation.set && s->key_at_creation.value;
	char cap[32];
	size_t step;
	int error;

	c->p->resources[x->d->res].action = PLAN_ACTION_CREATE;
	snprintf(cap, sizeof(cap), "%lld", s->capacity.value);
	if ((error = diff__cluster_create_changes(c, x, cap)) < 0 ||
	    (error = diff__cluster_create_step(&step, c, x, at_creation)) < 0)
		return error;
	/* the principal: the user-assigned identity's, or the new cluster's own */
	if (x->user && x->ident) {
		if ((error = plan__add_dep(c->p, step, x->ident->create)) < 0 ||
		    (error = diff__principal_of_identity(x->d, x->ident)) < 0)
			return error;
	} else if ((error = diff__principal_from_step(c, x->d, step)) < 0) {
		return error;
	}
	if ((error = diff__cluster_soft_deleted(c, x, step)) < 0 || (error = diff__cluster_quota(c, x, step)) < 0)
		return error;
	return x->k ? diff__cluster_create_key(c, x, step, at_creation) : 0;
}

/* ---- an existing cluster --------------------------------------------------- */

/* The cluster.update step: capacity, billingType, tags, identity; blocked
 * when an immutable field differs or capacity is locked. */
static int diff__cluster_update(size_t *out, diff_ctx *c, const diff__cl *x, bool identity_differs,
				const char *blocked, int phase)
{
	const manifest_log_analytics_cluster *s = x->s;
	const live_la_cluster *lc = x->d->lc;
	size_t update;
	int error;

	if ((error = plan__add_step_at(&update, c->p, PLAN_STEP_CLUSTER_UPDATE, phase, x->d->res, x->d->id,
				       x->d->id, "update cluster %s, wait for Succeeded", s->name.value)) < 0 ||
	    (error = diff__chain(c, x->d, update, "cluster")) < 0)
		return error;
	if (blocked && (error = plan__block(c->p, update, "%s", blocked)) < 0)
		return error;
	if (s->capacity.set && lc->capacity != s->capacity.value) {
		if ((error = plan__add_param_int(c->p, update, "capacity", s->capacity.value)) < 0)
			return error;
		if (s->capacity.value < lc->capacity && lc->last_sku_update) {
			time_t t;
			char when[32], until[32];

			if (diff_parse_time(&t, lc->last_sku_update) == 0 &&
			    c->now < t + PLAN_CAPACITY_LOCK_DAYS * 86400) {
				diff_format_time(when, sizeof(when), t);
				diff_format_time(until, sizeof(until), t + PLAN_CAPACITY_LOCK_DAYS * 86400);
				if ((error = plan__block(c->p, update,
							 DIFF_MSG_CAPACITY_LOCK " Last SKU update %s; "
							 "decrease possible from %s.", when, until)) < 0)
					return error;
			}
		}
	}
	if ((error = plan__add_param(c->p, update, "billingType",
				     manifest_billing_type_name(s->billing_type.value))) < 0 ||
	    (error = diff__tags_param(c, update, x->tags, x->ntags)) < 0)
		return error;
	if (identity_differs &&
	    ((error = plan__add_param(c->p, update, "identityType",
				      manifest_identity_type_name(s->identity.type.value))) < 0 ||
	     (x->user && x->ident &&
	      (error = plan__add_param(c->p, update, "userAssignedIdentity", x->ident->id)) < 0) ||
	     (error = plan__add_dep(c->p, update, x->user && x->ident ? x->ident->create : PLAN_NONE)) < 0))
		return error;
	*out = update;
	return 0;
}

/* A cluster being deleted takes no write: one blocked update says so.
 * Returns 1 when it is, 0 when not. */
static int diff__cluster_deleting(diff_ctx *c, const diff__cl *x)
{
	const live_la_cluster *lc = x->d->lc;
	size_t step;
	int error;

	if (!lc->provisioning_state || strcasecmp(lc->provisioning_state, "Deleting") != 0)
		return 0;
	if ((error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_UPDATE, x->d->res,
				    x->d->id, x->d->id, "update cluster %s", x->s->name.value)) < 0 ||
	    (error = plan__block(c->p, step, DIFF_MSG_DELETING)) < 0)
		return error;
	x->d->tail = step;
	return 1;
}

/* Whether the live identity differs from the manifest's (a change when
 * it does); a cluster without identity cannot reach its key. Returns 1
 * when it differs, 0 when not. */
static int diff__cluster_identity(diff_ctx *c, const diff__cl *x)
{
	const live_la_cluster *lc = x->d->lc;
	const char *live_type = diff__or(lc->identity.type, "None"), *want;
	bool differs;
	int error;

	if (strcasecmp(live_type, "None") == 0 &&
	    (error = plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, c->p->resources[x->d->res].address,
				       "the cluster's identity type is None: it cannot reach its key, its data is "
				       "inaccessible")) < 0)
		return error;
	if (x->user)
		differs = !strstr(live_type, "UserAssigned") || !diff__has_user_identity(x->ident, &lc->identity);
	else
		differs = strcasecmp(live_type, "SystemAssigned") != 0 &&
			  strcasecmp(live_type, "SystemAssigned,UserAssigned") != 0;
	if (!differs)
		return 0;
	want = x->user && x->ident ? x->ident->id : manifest_identity_type_name(x->s->identity.type.value);
	if ((error = plan__add_change(c->p, x->d->res, "identity", live_type, want)) < 0)
		return error;
	return 1;
}

/* An immutable field that differs: its change, and why the update is
 * blocked. */
static int diff__cluster_immutable_field(diff_ctx *c, const diff__cl *x, char **blocked, const char *field,
					 const char *before, const char *after, const char *why)
{
	int error;

	if ((error = plan__add_change(c->p, x->d->res, field, before, after)) < 0)
		return error;
	return diff__append(blocked, "%s", why);
}

/* Fields fixed at creation: clusterType, doubleEncryption,
 * availabilityZones, location. */
static int diff__cluster_immutable(diff_ctx *c, const diff__cl *x, char **blocked)
{
	const manifest_log_analytics_cluster *s = x->s;
	const live_la_cluster *lc = x->d->lc;
	int error;

	/* api-versions from 2020-08-01 no longer report clusterType, so an
	 * absent type is unknown, not LogAnalytics */
	if (lc->cluster_type && strcasecmp(lc->cluster_type, manifest_cluster_type_name(s->cluster_type.value)) != 0) {
		const char *wtype = manifest_cluster_type_name(s->cluster_type.value);
		char *why = plan__fmt("clusterType cannot change after the cluster is created (%s -> %s)",
				      lc->cluster_type, wtype);

		if (!why)
			return cmk_error_oom();
		error = diff__cluster_immutable_field(c, x, blocked, "clusterType", lc->cluster_type, wtype, why);
		free(why);
		if (error < 0)
			return error;
	}
	if (s->double_encryption.set && s->double_encryption.value != lc->double_encryption &&
	    (error = diff__cluster_immutable_field(c, x, blocked, "doubleEncryption",
						   diff__bool(lc->double_encryption),
						   diff__bool(s->double_encryption.value),
						   "Double encryption setting can not be changed after the cluster "
						   "has been created")) < 0)
		return error;
	if (s->availability_zones.set && s->availability_zones.value != lc->availability_zones &&
	    (error = diff__cluster_immutable_field(c, x, blocked, "availabilityZones",
						   diff__bool(lc->availability_zones),
						   diff__bool(s->availability_zones.value),
						   "isAvailabilityZonesEnabled: This Property can not be modified "
						   "after cluster creation")) < 0)
		return error;
	if (lc->location && !arm_location_equal(lc->location, s->location.value) &&
	    (error = diff__cluster_immutable_field(c, x, blocked, "location", lc->location, s->location.value,
						   "Cluster move to another region isn't supported")) < 0)
		return error;
	return 0;
}

/* Fields an update sets: capacity, sku, billingType, tags. Returns how
 * many differ. */
static int diff__cluster_settings(diff_ctx *c, const diff__cl *x)
{
	const manifest_log_analytics_cluster *s = x->s;
	const live_la_cluster *lc = x->d->lc;
	const char *billing = manifest_billing_type_name(s->billing_type.value);
	char before[32], after[32];
	int changed = 0, t, error;

	if (s->capacity.set && lc->capacity != s->capacity.value) {
		snprintf(before, sizeof(before), "%lld", lc->capacity);
		snprintf(after, sizeof(after), "%lld", s->capacity.value);
		if ((error = plan__add_change(c->p, x->d->res, "capacity", before, after)) < 0)
			return error;
		changed++;
	}
	if (lc->sku_name && strcasecmp(lc->sku_name, "CapacityReservation") != 0) {
		if ((error = plan__add_change(c->p, x->d->res, "skuName", lc->sku_name, "CapacityReservation")) < 0)
			return error;
		changed++;
	}
	if (lc->billing_type && strcasecmp(lc->billing_type, billing) != 0) {
		if ((error = plan__add_change(c->p, x->d->res, "billingType", lc->billing_type, billing)) < 0)
			return error;
		changed++;
	}
	if ((t = diff__tags(c, x->d->res, x->tags, x->ntags, &lc->tags)) < 0)
		return t;
	return changed + t;
}

/* Whether the cluster uses the manifest's key (name and vault). */
static bool diff__cluster_key_in_use(const diff__cl *x)
{
	const live_la_cluster *lc = x->d->lc;

	return x->k && lc->key.key_name && x->kname && strcasecmp(lc->key.key_name, x->kname) == 0 &&
	       x->k->vault && diff_vault_uri_equal(lc->key.vault_uri, x->k->vault->vault_uri);
}

/* Whether the key must be set (another key, or another version than the
 * manifest's); a pending rotation and an unusable key in use are
 * findings; a cluster key the manifest does not name is left alone. */
static int diff__cluster_key_differs(bool *differs, diff_ctx *c, const diff__cl *x, bool key_in_use)
{
	const live_la_cluster *lc = x->d->lc;
	const char *addr = c->p->resources[x->d->res].address;
	const diff__doc *k = x->k;
	const char *want_version;
	bool latest, version_ok;
	int error;

	*differs = false;
	if (!k) {
		/* never remove a key (that would be a revocation); say so */
		if (lc->key.key_name && *lc->key.key_name)
			return plan__add_reason(c->p, x->d->res,
						"the cluster has key '%s' but the manifest names none: left unchanged",
						lc->key.key_name);
		return 0;
	}
	want_version = x->s->key.target->spec.key_vault_key.version.value;
	latest = !want_version || strcasecmp(want_version, "latest") == 0;
	version_ok = (latest && (!lc->key.key_version || !*lc->key.key_version)) || !k->version ||
		     diff_key_version_equal(lc->key.key_version, k->version);
	if (!k->vault) /* nothing to compare with: the key update is blocked if needed */
		*differs = !lc->key.key_name || strcasecmp(lc->key.key_name, x->kname) != 0;
	else
		*differs = !key_in_use || !version_ok;
	if (key_in_use && latest && !version_ok && k->version &&
	    (error = plan__add_finding(c->p, PLAN_FINDING_ROTATION_PENDING, addr,
				       "key '%s' has a newer version %s than the cluster uses (%s): the "
				       "manifest says latest", x->kname, k->version,
				       diff__or(lc->key.key_version, "?"))) < 0)
		return error;
	return diff__key_unusable_finding(c, addr, key_in_use, k);
}

/* The key write on an existing cluster, after its grant. */
static int diff__cluster_set_key(diff_ctx *c, const diff__cl *x, size_t grant, const char *missing)
{
	const live_la_cluster *lc = x->d->lc;
	int error;

	if ((error = diff__key_change(c, x->d->res, x->k, x->kname, x->k->version, lc->key.vault_uri,
				      lc->key.key_name, lc->key.key_version)) < 0 ||
	    (error = diff__cluster_key_step(c, x, grant, missing)) < 0)
		return error;
	return plan__add_reason(c->p, x->d->res, lc->key.key_name ? "the cluster uses another key version"
								  : "the cluster has no customer-managed key yet");
}

/* The principal of the identity the cluster uses (or will). */
static int diff__cluster_principal(const diff__cl *x)
{
	const live_la_cluster *lc = x->d->lc;

	if (x->user && x->ident)
		return diff__principal_of_identity(x->d, x->ident);
	if (lc->identity.principal_id && strcasecmp(diff__or(lc->identity.type, "None"), "None") != 0 &&
	    (x->d->principal = strdup(lc->identity.principal_id)) == NULL)
		return cmk_error_oom();
	return 0;
}

/* The writes an existing cluster needs, in order: an identity change
 * (before the grant, which goes to the identity the cluster will have),
 * the grant, the key, the other settings. */
static int diff__cluster_writes(diff_ctx *c, const diff__cl *x, bool identity_differs, int changed,
				const char *blocked)
{
	size_t update = PLAN_NONE, grant = PLAN_NONE;
	char missing[256] = "";
	bool key_in_use = diff__cluster_key_in_use(x), key_differs;
	int error;

	if ((error = diff__cluster_key_differs(&key_differs, c, x, key_in_use)) < 0)
		return error;
	if ((changed || blocked) && identity_differs) {
		if ((error = diff__cluster_update(&update, c, x, identity_differs, blocked,
						  PLAN_PHASE_IDENTITY_UPDATE)) < 0 ||
		    (!x->user && (error = diff__principal_from_step(c, x->d, update)) < 0))
			return error;
	}
	/* a missing grant on a cluster that uses the key is a revocation risk */
	if (x->k && (error = diff__cluster_grant(&grant, c, x, key_in_use, missing, sizeof(missing))) < 0)
		return error;
	if (x->k && key_differs && (error = diff__cluster_set_key(c, x, grant, missing)) < 0)
		return error;
	if ((changed || blocked) && !identity_differs &&
	    (error = diff__cluster_update(&update, c, x, identity_differs, blocked,
					  plan_step_kind_phase(PLAN_STEP_CLUSTER_UPDATE))) < 0)
		return error;
	if (update != PLAN_NONE &&
	    (error = plan__add_reason(c->p, x->d->res, blocked ? "an immutable field differs"
							       : "settings differ from the manifest")) < 0)
		return error;
	if (grant != PLAN_NONE || key_differs || update != PLAN_NONE)
		c->p->resources[x->d->res].action = PLAN_ACTION_UPDATE;
	return 0;
}

static int diff__cluster_existing(diff_ctx *c, const diff__cl *x)
{
	char *blocked = NULL;
	int identity_differs, changed, settings, error;

	if ((error = diff__cluster_deleting(c, x)) != 0)
		return error < 0 ? error : 0;
	if ((error = diff__cluster_principal(x)) < 0)
		return error;
	if ((identity_differs = diff__cluster_identity(c, x)) < 0)
		return identity_differs;
	if ((error = diff__cluster_immutable(c, x, &blocked)) < 0)
		goto out;
	if ((settings = diff__cluster_settings(c, x)) < 0) {
		error = settings;
		goto out;
	}
	changed = identity_differs + settings;
	if ((error = diff__cluster_writes(c, x, identity_differs, changed, blocked)) < 0)
		goto out;
	if (changed && (error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, c->p->resources[x->d->res].address,
						  "%d setting%s differ%s from the manifest", changed,
						  changed == 1 ? "" : "s", changed == 1 ? "s" : "")) < 0)
		goto out;
	error = 0;
out:
	free(blocked);
	return error;
}

/* ---- the pass --------------------------------------------------------------- */

int diff__cluster(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_log_analytics_cluster *s = &doc->spec.cluster;
	diff__doc *d = &c->docs[i];
	diff__tag *tags = NULL;
	diff__cl x = { .di = i, .s = s, .d = d };
	char *addr = NULL;
	int error;

	if ((error = arm_id_build(&d->id, s->subscription.value, s->resource_group.value,
				  "Microsoft.OperationalInsights/clusters", s->name.value)) < 0)
		return error;
	if ((addr = diff__address(doc)) == NULL)
		return cmk_error_oom();
	diff__map_put(&c->clusters, d->id, i);
	if (s->key.target) {
		x.k = &c->docs[diff__doc_index(c, s->key.target)];
		x.kname = s->key.target->spec.key_vault_key.key.value;
	}
	x.user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
	if (x.user && s->identity.ref.target)
		x.ident = &c->docs[diff__doc_index(c, s->identity.ref.target)];
	x.tenant = diff__tenant_of_sub(c, s->subscription.value);
	d->lc = live_find_cluster(c->live, d->id);
	d->busy = d->lc && (d->lc->busy || !diff_state_terminal(d->lc->provisioning_state));
	d->busy_state = d->lc ? d->lc->provisioning_state : NULL;
	if ((error = diff__add_touched(&d->res, c, addr, d->id, true)) < 0 ||
	    (error = diff__want_tags(&tags, &x.ntags, &s->tags,
				     manifest_deletion_policy_name(s->deletion_policy.value))) < 0)
		goto out;
	x.tags = tags;
	error = d->lc ? diff__cluster_existing(c, &x) : diff__cluster_create(c, &x);
out:
	free(tags);
	free(addr);
	return error;
}
