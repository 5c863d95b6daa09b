/*
 * diff_keys.c - the KeyVaultKey pass of the diff: find the vault and key,
 * say why the key cannot be used now (missing, not recoverable, disabled,
 * expired, wrong type or size), resolve `latest` to a version. Also what
 * every cluster kind needs about its key: the grant of key access to the
 * cluster's principal, the key parameters and preflight blocks of a key
 * update, and the key change shown on the cluster.
 */
#include "planner/diff_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "planner/diff.h"

/* ---- the key documents -------------------------------------------------- */

/* The vault: present, with soft delete and purge protection. */
static int diff__key_vault(diff_ctx *c, diff__doc *k, const manifest_key_vault_key *s, const char *addr)
{
	int error;

	if (!k->vault) {
		k->key_unusable = true;
		if ((error = diff__append(&k->problem, "Key Vault '%s' not found (cmkctl verifies vaults and keys, "
					  "it does not create them)", s->vault_name.value)) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr,
					       "Key Vault %s not found", s->vault_id.value)) < 0)
			return error;
	} else if (!k->vault->soft_delete || !k->vault->purge_protection) {
		if ((error = diff__append(&k->problem,
					  DIFF_MSG_NOT_RECOVERABLE " (vault '%s': soft delete %s, purge protection %s)",
					  s->vault_name.value, k->vault->soft_delete ? "on" : "off",
					  k->vault->purge_protection ? "on" : "off")) < 0)
			return error;
	}
	return 0;
}

/* The key's state (enabled, not expired) and shape (RSA, type, size). */
static int diff__key_state(diff_ctx *c, diff__doc *k, const manifest_key_vault_key *s)
{
	const char *kty = diff__or(k->key->kty, "?");
	char exp[32];
	time_t t;
	int error;

	if (!k->key->enabled) {
		k->key_unusable = true;
		if ((error = diff__append(&k->problem, "key '%s' is disabled: enable it in the vault",
					  s->key.value)) < 0)
			return error;
	}
	if (k->key->expires && diff_parse_time(&t, k->key->expires) == 0 && t <= c->now) {
		k->key_unusable = true;
		diff_format_time(exp, sizeof(exp), t);
		if ((error = diff__append(&k->problem, "key '%s' expired on %s", s->key.value, exp)) < 0)
			return error;
	}
	/* a disabled key cannot be read (Key Vault answers 403
	 * KeyDisabled): its type is unknown, not wrong */
	if (!k->key->kty) {
		/* nothing more to say than "disabled" */
	} else if (strcasecmp(kty, "RSA") != 0 && strcasecmp(kty, "RSA-HSM") != 0) {
		if ((error = diff__append(&k->problem, "key '%s' is %s, not RSA: customer-managed keys are RSA keys",
					  s->key.value, kty)) < 0)
			return error;
	} else if (s->key_type.set && strcasecmp(kty, manifest_key_type_name(s->key_type.value)) != 0) {
		if ((error = diff__append(&k->problem, "key '%s' is %s, the manifest declares %s", s->key.value, kty,
					  manifest_key_type_name(s->key_type.value))) < 0)
			return error;
	}
	if (s->key_size.set && k->key->key_size && k->key->key_size != s->key_size.value &&
	    (error = diff__append(&k->problem, "key '%s' is %ld bits, the manifest declares %lld", s->key.value,
				  k->key->key_size, s->key_size.value)) < 0)
		return error;
	return 0;
}

/* The key itself, and `latest` resolved to its current version. */
static int diff__key_found(diff_ctx *c, diff__doc *k, const manifest_key_vault_key *s, const char *addr,
			   const char *want_version)
{
	int error;

	if (k->vault && (!k->key || !k->key->exists)) {
		k->key_unusable = true;
		if ((error = diff__append(&k->problem, DIFF_MSG_KEY_VALIDATE " (key '%s' not found in vault '%s')",
					  s->key.value, s->vault_name.value)) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr, "key '%s' not found in vault '%s'",
					       s->key.value, s->vault_name.value)) < 0)
			return error;
		return 0;
	}
	if (!k->key)
		return 0;
	if ((error = diff__key_state(c, k, s)) < 0)
		return error;
	if (strcasecmp(want_version, "latest") == 0) {
		if (k->key->current_version && (k->version = strdup(k->key->current_version)) == NULL)
			return cmk_error_oom();
		if (k->version &&
		    (error = plan__add_reason(c->p, k->res, "version latest resolves to %s", k->version)) < 0)
			return error;
	}
	return 0;
}

int diff__key(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_key_vault_key *s = &doc->spec.key_vault_key;
	diff__doc *k = &c->docs[i];
	const char *want_version;
	char *addr = NULL;
	int error;

	if ((k->key_id = plan__fmt("%s/keys/%s", s->vault_id.value, s->key.value)) == NULL ||
	    (addr = diff__address(doc)) == NULL)
		return cmk_error_oom();
	if ((error = plan__add_resource(&k->res, c->p, addr, k->key_id)) < 0 ||
	    (error = plan__touch(c->p, s->vault_id.value)) < 0 || (error = plan__touch(c->p, k->key_id)) < 0 ||
	    (error = diff__touch_sub_of(c, s->vault_id.value)) < 0)
		goto out;
	k->vault = live_find_vault(c->live, s->vault_id.value);
	k->key = live_find_key(c->live, s->vault_id.value, s->key.value);
	want_version = diff__or(s->version.value, "latest");
	if ((error = diff__key_vault(c, k, s, addr)) < 0 ||
	    (error = diff__key_found(c, k, s, addr, want_version)) < 0)
		goto out;
	if (!k->version && strcasecmp(want_version, "latest") != 0 && (k->version = strdup(want_version)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	if (k->problem) {
		c->p->resources[k->res].action = PLAN_ACTION_NOOP;
		if ((error = plan__add_reason(c->p, k->res, "%s", k->problem)) < 0)
			goto out;
	}
out:
	free(addr);
	return error;
}

/* ---- key access --------------------------------------------------------- */

/* The key.grant step itself: a role assignment on an RBAC vault, an
 * access policy otherwise. */
static int diff__grant_step(size_t *out, diff_ctx *c, diff__doc *d, const live_vault *v, const char *who,
			    bool known, int phase)
{
	const char *whose = known ? "principal" : "new identity (principal read back after it exists)";
	size_t step;
	int error;

	if (v->rbac_authorization)
		error = plan__add_step_at(&step, c->p, PLAN_STEP_KEY_GRANT, phase, d->res, v->id, NULL,
				       "assign role '%s' on vault '%s' to the %s's %s",
				       PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER_NAME, diff__or(v->name, v->id), who,
				       whose);
	else
		error = plan__add_step_at(&step, c->p, PLAN_STEP_KEY_GRANT, phase, d->res, v->id, NULL,
				       "add access policy get/wrapKey/unwrapKey on vault '%s' for the %s's %s",
				       diff__or(v->name, v->id), who, whose);
	if (error < 0 || (error = plan__add_dep(c->p, step, d->principal_step)) < 0 ||
	    (error = plan__add_param(c->p, step, "vaultId", v->id)) < 0 ||
	    (error = plan__add_param(c->p, step, "principalId", d->principal)) < 0)
		return error;
	if (v->rbac_authorization) {
		if ((error = plan__add_param(c->p, step, "mode", "rbac")) < 0 ||
		    (error = plan__add_param(c->p, step, "roleDefinitionId",
					     PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER)) < 0 ||
		    (error = plan__add_param(c->p, step, "scope", v->id)) < 0)
			return error;
	} else if ((error = plan__add_param(c->p, step, "mode", "accessPolicy")) < 0 ||
		   (error = plan__add_param(c->p, step, "tenantId", diff__or(v->tenant_id, ""))) < 0 ||
		   (error = plan__add_param(c->p, step, "keyPermissions", "get,wrapKey,unwrapKey")) < 0) {
		return error;
	}
	*out = step;
	return 0;
}

int diff__grant(size_t *out, diff_ctx *c, diff__doc *d, diff__doc *k, const char *who, bool key_in_use,
		int phase, char *missing, size_t missing_size)
{
	const char *addr = c->p->resources[d->res].address;
	bool known = d->principal && d->principal[0] != '@';
	char why[128] = "";
	size_t step;
	int error;

	*out = PLAN_NONE;
	missing[0] = '\0';
	if (!k->vault || !d->principal)
		return 0;
	if (known && diff_principal_has_key_access(c->live, k->vault, k->key_id, d->principal, why, sizeof(why)))
		return 0;
	if (known && key_in_use &&
	    (error = plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, addr,
				       "the %s's principal %s lost its key access on vault '%s' (%s): "
				       "its data becomes inaccessible", who, d->principal, k->vault->name ?
				       k->vault->name : k->vault->id, why)) < 0)
		return error;
	if (c->opts->no_grant) {
		snprintf(missing, missing_size, "principal %s has %s on vault '%s'",
			 known ? d->principal : "(not yet known)", known ? why : "no key access",
			 diff__or(k->vault->name, k->vault->id));
		return 0;
	}
	if ((error = diff__grant_step(&step, c, d, k->vault, who, known, phase)) < 0)
		return error;
	if (!known && (error = plan__add_reason(c->p, d->res,
						"the %s's principal is not known until %s: the key.grant step takes it "
						"from that step's read-back", who,
						c->p->steps[d->principal_step].id)) < 0)
		return error;
	if ((error = plan__add_change(c->p, d->res, "keyAccess", known ? why : NULL,
				      k->vault->rbac_authorization ? "role " PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER_NAME
								   : "get, wrapKey, unwrapKey")) < 0)
		return error;
	*out = step;
	return 0;
}

/* ---- the key of a cluster ---------------------------------------------- */

char *diff__key_text(const char *uri, const char *name, const char *version)
{
	size_t n;

	if (!uri || !name)
		return NULL;
	n = strlen(uri);
	return plan__fmt("%s%skeys/%s%s%s", uri, n && uri[n - 1] == '/' ? "" : "/", name,
			 version && *version ? "/" : "", version ? version : "");
}

int diff__key_change(diff_ctx *c, size_t res, const diff__doc *k, const char *kname, const char *version,
		     const char *was_uri, const char *was_name, const char *was_version)
{
	char *was = diff__key_text(was_uri, was_name, was_version);
	char *now = diff__key_text(k->vault ? k->vault->vault_uri : NULL, kname, version);
	int error = plan__add_change(c->p, res, "key", was, now ? now : kname);

	free(was);
	free(now);
	return error;
}

int diff__key_params(diff_ctx *c, size_t step, const diff__doc *k, const char *name, const char *version)
{
	int error;

	if ((error = plan__add_param(c->p, step, "keyVaultUri", k->vault ? k->vault->vault_uri : "")) < 0 ||
	    (error = plan__add_param(c->p, step, "keyName", name)) < 0 ||
	    (error = plan__add_param(c->p, step, "keyVersion", version ? version : "")) < 0)
		return error;
	return 0;
}

int diff__block_key(diff_ctx *c, size_t step, const diff__doc *k, const char *location, const char *tenant,
		    const char *missing)
{
	int error;

	if (k->problem && (error = plan__block(c->p, step, "%s", k->problem)) < 0)
		return error;
	if (k->vault && k->vault->location && location && !arm_location_equal(k->vault->location, location) &&
	    (error = plan__block(c->p, step, DIFF_MSG_REGION ": vault '%s' is in %s, the cluster in %s",
				 diff__or(k->vault->name, k->vault->id), k->vault->location, location)) < 0)
		return error;
	if (k->vault && k->vault->tenant_id && tenant && strcasecmp(k->vault->tenant_id, tenant) != 0 &&
	    (error = plan__block(c->p, step, DIFF_MSG_REGION ": vault '%s' is in tenant %s, the cluster in %s",
				 diff__or(k->vault->name, k->vault->id), k->vault->tenant_id, tenant)) < 0)
		return error;
	if (missing && *missing &&
	    (error = plan__block(c->p, step, DIFF_MSG_KEY_VALIDATE " (%s; --no-grant forbids granting it)",
				 missing)) < 0)
		return error;
	return 0;
}

int diff__key_unusable_finding(diff_ctx *c, const char *addr, bool key_in_use, const diff__doc *k)
{
	if (!key_in_use || !k->key_unusable || !k->problem)
		return 0;
	return plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, addr, "the cluster's key cannot be used: %s",
				 k->problem);
}
