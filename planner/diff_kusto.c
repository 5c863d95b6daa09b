/*
 * diff_kusto.c - the KustoClusterKey pass of the diff: cmkctl sets the key
 * of an existing Azure Data Explorer cluster (it never creates one): the
 * identity the key is used with, the grant to its principal, the key
 * (versionless when the manifest says latest) and the preflight blocks
 * Kusto adds (RSA 2048 only, no leader/follower clusters).
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "planner/diff.h"

/* What the diff of one Kusto document works with. */
typedef struct {
	const manifest_kusto_cluster_key *s;
	diff__doc *d;
	diff__doc *k;                  /* its key's document */
	diff__doc *ident;              /* its user-assigned identity's, or NULL */
	const live_kusto_cluster *lk;
	bool user;                     /* identity type UserAssigned */
	bool latest;                   /* the manifest's key version is latest */
	const char *kname;
	const char *version;           /* the key version to set: "" when latest */
	const char *want_uid;          /* the user identity the key is used with, or NULL */
	const char *addr;
} diff__ku;

/* Not found: a blocked key step and a finding say so. */
static int diff__kusto_missing(diff_ctx *c, const diff__ku *x)
{
	size_t key;
	int error;

	if ((error = plan__add_step(&key, c->p, PLAN_STEP_KUSTO_KEY_UPDATE, x->d->res,
				    x->d->id, x->d->id, "set key %s on Kusto cluster %s", x->kname,
				    diff__last_segment(x->d->id))) < 0 ||
	    (error = plan__block(c->p, key, "Kusto cluster not found: cmkctl sets keys on existing "
				 "Azure Data Explorer clusters, it does not create them")) < 0 ||
	    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, x->addr, "Kusto cluster %s not found",
				       x->d->id)) < 0)
		return error;
	return 0;
}

/* The principal the key is granted to, and an identity update when the
 * cluster lacks the identity the manifest names. */
static int diff__kusto_identity(diff_ctx *c, const diff__ku *x)
{
	const live_kusto_cluster *lk = x->lk;
	diff__doc *d = x->d;
	bool identity_ok;
	size_t step;
	int error;

	if (x->user) {
		identity_ok = diff__has_user_identity(x->ident, &lk->identity);
		if ((error = diff__principal_of_identity(d, x->ident)) < 0)
			return error;
	} else {
		identity_ok = lk->identity.type && strstr(lk->identity.type, "SystemAssigned") != NULL;
		if (identity_ok && lk->identity.principal_id &&
		    (d->principal = strdup(lk->identity.principal_id)) == NULL)
			return cmk_error_oom();
	}
	if (identity_ok)
		return 0;
	if ((error = plan__add_change(c->p, d->res, "identity", diff__or(lk->identity.type, "None"),
				      x->user && x->ident ? x->ident->id : "SystemAssigned")) < 0 ||
	    (error = plan__add_step(&step, c->p, PLAN_STEP_KUSTO_IDENTITY_UPDATE, d->res,
				    d->id, d->id, "enable the %s identity on Kusto cluster %s, wait",
				    x->user ? "user-assigned" : "system-assigned", diff__last_segment(d->id))) < 0 ||
	    (error = diff__chain(c, d, step, "Kusto cluster")) < 0 ||
	    (error = plan__add_param(c->p, step, "identityType", x->user ? "UserAssigned" : "SystemAssigned")) < 0 ||
	    (x->user && x->ident && (error = plan__add_param(c->p, step, "userAssignedIdentity", x->ident->id)) < 0) ||
	    (error = plan__add_dep(c->p, step, x->ident ? x->ident->create : PLAN_NONE)) < 0 ||
	    (!x->user && (error = diff__principal_from_step(c, d, step)) < 0))
		return error;
	c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
	return 0;
}

/* Whether the cluster uses the key, version and user identity wanted. */
static bool diff__kusto_key_current(const diff__ku *x, bool key_in_use)
{
	const live_key_ref *key = &x->lk->key;

	return key_in_use && diff_key_version_equal(key->key_version, x->version) &&
	       ((!x->want_uid && !key->user_identity) ||
		(x->want_uid && key->user_identity && arm_id_equal(x->want_uid, key->user_identity)));
}

/* The kusto.key step, after the grant, with Kusto's own preflight. */
static int diff__kusto_key_step(diff_ctx *c, const diff__ku *x, size_t grant, const char *missing)
{
	const live_kusto_cluster *lk = x->lk;
	const diff__doc *k = x->k;
	diff__doc *d = x->d;
	size_t key;
	int error;

	c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
	if ((error = diff__key_change(c, d->res, k, x->kname, x->version, lk->key.vault_uri, lk->key.key_name,
				      lk->key.key_version)) < 0 ||
	    (error = plan__add_step(&key, c->p, PLAN_STEP_KUSTO_KEY_UPDATE, d->res, d->id, d->id,
				    "set key %s (%s) on Kusto cluster %s, wait", x->kname,
				    x->latest ? "versionless: follows the latest version" : k->version,
				    diff__last_segment(d->id))) < 0 ||
	    (error = diff__chain(c, d, key, "Kusto cluster")) < 0 ||
	    (error = plan__add_dep(c->p, key, grant)) < 0 ||
	    (error = diff__key_params(c, key, k, x->kname, x->version)) < 0 ||
	    (x->want_uid && (error = plan__add_param(c->p, key, "userIdentity", x->want_uid)) < 0) ||
	    (error = diff__block_key(c, key, k, diff__or(x->s->location.value, lk->location),
				     diff__tenant_of_id(c, d->id), missing)) < 0)
		return error;
	if (k->key && ((k->key->kty && strncasecmp(k->key->kty, "RSA", 3) != 0) ||
		       (k->key->key_size && k->key->key_size != 2048)) &&
	    (error = plan__block(c->p, key, "Only RSA keys of size 2048 are supported (key '%s' is %s %ld)",
				 x->kname, diff__or(k->key->kty, "?"), k->key->key_size)) < 0)
		return error;
	if (lk->follower &&
	    (error = plan__block(c->p, key, "Data encryption using customer managed keys is not supported "
				 "on leader and follower clusters")) < 0)
		return error;
	return 0;
}

/* An existing Kusto cluster: identity, grant, key. */
static int diff__kusto_existing(diff_ctx *c, const diff__ku *x)
{
	const live_kusto_cluster *lk = x->lk;
	diff__doc *d = x->d;
	char missing[256] = "";
	size_t grant = PLAN_NONE;
	bool key_in_use;
	int error;

	d->busy = lk->busy || !diff_state_terminal(lk->provisioning_state);
	d->busy_state = diff_state_terminal(lk->provisioning_state) ? lk->state : lk->provisioning_state;
	if ((error = diff__kusto_identity(c, x)) < 0)
		return error;
	key_in_use = lk->key.key_name && strcasecmp(lk->key.key_name, x->kname) == 0 && x->k->vault &&
		     diff_vault_uri_equal(lk->key.vault_uri, x->k->vault->vault_uri);
	if ((error = diff__key_unusable_finding(c, x->addr, key_in_use, x->k)) < 0 ||
	    (error = diff__grant(&grant, c, d, x->k, "Kusto cluster", key_in_use,
				 x->user ? PLAN_PHASE_GRANT_EARLY : plan_step_kind_phase(PLAN_STEP_KEY_GRANT), missing,
				 sizeof(missing))) < 0)
		return error;
	if (grant != PLAN_NONE)
		c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
	if (diff__kusto_key_current(x, key_in_use))
		return 0;
	return diff__kusto_key_step(c, x, grant, missing);
}

int diff__kusto(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_kusto_cluster_key *s = &doc->spec.kusto;
	diff__ku x = { .s = s, .d = &c->docs[i] };
	const char *want_version;
	char *addr = NULL;
	int error;

	if ((x.d->id = strdup(s->cluster.value)) == NULL || (addr = diff__address(doc)) == NULL)
		return cmk_error_oom();
	x.addr = addr;
	x.k = &c->docs[diff__doc_index(c, s->key.target)];
	x.user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
	if (x.user && s->identity.ref.target)
		x.ident = &c->docs[diff__doc_index(c, s->identity.ref.target)];
	x.kname = s->key.target->spec.key_vault_key.key.value;
	want_version = s->key.target->spec.key_vault_key.version.value;
	x.latest = !want_version || strcasecmp(want_version, "latest") == 0;
	x.version = x.latest ? "" : x.k->version;
	x.want_uid = x.user && x.ident ? x.ident->id : NULL;
	if ((error = diff__add_touched(&x.d->res, c, addr, x.d->id, true)) < 0)
		goto out;
	x.lk = live_find_kusto(c->live, x.d->id);
	error = x.lk ? diff__kusto_existing(c, &x) : diff__kusto_missing(c, &x);
out:
	free(addr);
	return error;
}
