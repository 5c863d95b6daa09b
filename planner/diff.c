/*
 * diff.c - plan_build: the desired model against the live model, into
 * resources with their changes and reasons, steps in the documented order
 * with preflight blocks, and drift findings (see plan.h).
 *
 * One pass per kind, in dependency order: keys (resolve `latest`, check the
 * vault and key), identities, Log Analytics clusters, Kusto clusters,
 * workspace links, unlisted links, managed clusters no longer in the
 * manifests, linked storage, components. Lookups of live resources that can
 * be many (workspaces) go through a hash index built once, so a plan over
 * 10,000 workspaces stays linear.
 */
#include "planner/plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "common/arm_id.h"
#include "common/buf.h"
#include "planner/diff.h"
#include "planner/plan_internal.h"
#include "planner/validate.h"

/* ---- a hash index of ids (open addressing, case-insensitive) ---------- */

typedef struct {
	const char *key;
	size_t val;
} diff__slot;

typedef struct {
	diff__slot *slots;
	size_t cap;
} diff__map;

static int diff__map_init(diff__map *m, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2 + 16)
		cap *= 2;
	if ((m->slots = calloc(cap, sizeof(diff__slot))) == NULL)
		return cmk_error_oom();
	m->cap = cap;
	return 0;
}

/* Insert unless present; the first value wins. The map never fills: it is
 * sized for every key at init. */
static void diff__map_put(diff__map *m, const char *key, size_t val)
{
	size_t i = arm_id_hash(key) & (m->cap - 1);

	while (m->slots[i].key) {
		if (arm_id_equal(m->slots[i].key, key))
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
}

static size_t diff__map_get(const diff__map *m, const char *key)
{
	size_t i;

	if (!m->cap || !key)
		return PLAN_NONE;
	i = arm_id_hash(key) & (m->cap - 1);
	while (m->slots[i].key) {
		if (arm_id_equal(m->slots[i].key, key))
			return m->slots[i].val;
		i = (i + 1) & (m->cap - 1);
	}
	return PLAN_NONE;
}

/* ---- state per manifest document --------------------------------------- */

typedef struct {
	char *id;                      /* the Azure id of the document's resource */
	size_t res;                    /* its plan resource, PLAN_NONE when none */
	/* identities, clusters, Kusto: who the key is granted to */
	char *principal;               /* a principal id or "@<step>.principalId" */
	size_t principal_step;         /* the step the principal comes from, or PLAN_NONE */
	size_t create;                 /* create step (identity, cluster) */
	/* clusters */
	const live_la_cluster *lc;
	bool busy;
	const char *busy_state;        /* the live state that makes it busy */
	size_t wait, tail;             /* cluster wait step; last write of the chain */
	size_t linked;                 /* workspaces linked to it after the plan */
	bool unlink_unlisted;
	/* keys */
	const live_vault *vault;
	const live_key *key;
	char *key_id;                  /* "<vault id>/keys/<name>" */
	char *version;                 /* resolved version; NULL when unknown */
	char *problem;                 /* why the key cannot be used now, or NULL */
	bool key_unusable;             /* missing, disabled or expired: revocation risk */
} diff__doc;

typedef struct {
	size_t step, doc;
} diff__link;

typedef struct {
	plan *p;
	const manifest_set *set;
	const live_state *live;
	const plan_options *opts;
	time_t now;
	diff__doc *docs;
	diff__map ws;                  /* live workspace id -> index in live->workspaces */
	diff__map listed;              /* manifest workspace id -> index in `listed_step` */
	size_t *listed_step;           /* link step (or wait) of a listed workspace */
	size_t listed_count;
	diff__map clusters;            /* managed cluster id -> doc index */
	diff__link *links;             /* new link steps, for the 1000-workspace rule */
	size_t link_count, link_cap;
	size_t *unlink_step;           /* per live workspace: its planned unlink, or PLAN_NONE */
} diff_ctx;

#define DIFF_MSG_NOT_RECOVERABLE \
	"Key is not recoverable. Key Vault must be set to Soft-delete and Purge-protection."
#define DIFF_MSG_KEY_VALIDATE \
	"Failed to validate key in Key Vault. Could be due to lack of permissions or when key doesn't exist."
#define DIFF_MSG_WS_NOT_FOUND \
	"Workspace not found. The workspace you specified doesn't exist or was deleted."
#define DIFF_MSG_REGION \
	"Your Azure Key Vault, cluster and workspaces must be in the same region and in the same Azure AD tenant"
#define DIFF_MSG_LINK_BUDGET \
	"The number of workspace link operations on particular workspace is limited to 2 in a period of 30 days."
#define DIFF_MSG_OTHER_CLUSTER "Workspace link to cluster will fail if it is linked to another cluster."
#define DIFF_MSG_MAX_WS "The maximum number of workspaces that can be linked to a cluster is 1000."
#define DIFF_MSG_QUOTA "The max number of cluster per region and subscription is 2."
#define DIFF_MSG_SOFT_DELETED \
	"The cluster name remains reserved during the soft-delete period and you can't create a new cluster with that name."
#define DIFF_MSG_CAPACITY_LOCK \
	"Capacity is locked for 30 days. Decreasing capacity is permitted 30 days after update."
#define DIFF_MSG_KV_AT_CREATION \
	"KeyVaultProperties are set on creation. Update KeyVaultProperties after cluster creation."
#define DIFF_MSG_DELETING \
	"Cluster is in deleting state. Wait for the Async operation to complete and try again."

static size_t diff__doc_index(const diff_ctx *c, const manifest_doc *doc)
{
	for (size_t i = 0; i < c->set->count; i++)
		if (c->set->docs[i] == doc)
			return i;
	return PLAN_NONE;
}

static char *diff__address(const manifest_doc *d)
{
	return plan__fmt("%s/%s", manifest_kind_name(d->kind), d->name.value);
}

static const char *diff__or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static const char *diff__last_segment(const char *id)
{
	const char *s = strrchr(id, '/');

	return s && s[1] ? s + 1 : id;
}

static const char *diff__tenant_of_sub(const diff_ctx *c, const char *sub)
{
	const live_subscription *s;

	if (!sub)
		return NULL;
	s = live_find_subscription(c->live, sub);
	return s ? s->tenant_id : NULL;
}

/* The subscription id inside a resource id, copied into `out`. */
static const char *diff__sub_of(char *out, size_t size, const char *id)
{
	const char *p;
	size_t n;

	out[0] = '\0';
	if (!id || strncasecmp(id, "/subscriptions/", 15) != 0)
		return NULL;
	p = id + 15;
	n = strcspn(p, "/");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static int diff__touch_sub_of(diff_ctx *c, const char *id)
{
	char sub[64], *s;
	int error;

	if (!diff__sub_of(sub, sizeof(sub), id))
		return 0;
	if ((s = plan__fmt("/subscriptions/%s", sub)) == NULL)
		return cmk_error_oom();
	error = plan__touch(c->p, s);
	free(s);
	return error;
}

static bool diff__tag_eq_key(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0; /* tag names are case-insensitive in ARM */
}

/* ---- keys --------------------------------------------------------------- */

static int diff__problem(diff__doc *k, const char *fmt, ...) CMK_PRINTF(2, 3);

static int diff__problem(diff__doc *k, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL, *joined;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return cmk_error_oom();
	if (!k->problem) {
		k->problem = msg;
		return 0;
	}
	joined = plan__fmt("%s; %s", k->problem, msg);
	free(msg);
	if (!joined)
		return cmk_error_oom();
	free(k->problem);
	k->problem = joined;
	return 0;
}

static int diff__keys(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_key_vault_key *s = &doc->spec.key_vault_key;
		diff__doc *k = &c->docs[i];
		char *addr = NULL, exp[32];
		const char *want_version;
		time_t t;

		if (doc->kind != MANIFEST_KIND_KEY_VAULT_KEY)
			continue;
		if ((k->key_id = plan__fmt("%s/keys/%s", s->vault_id.value, s->key.value)) == NULL ||
		    (addr = diff__address(doc)) == NULL)
			return cmk_error_oom();
		if ((error = plan__add_resource(&k->res, c->p, addr, k->key_id)) < 0 ||
		    (error = plan__touch(c->p, s->vault_id.value)) < 0 ||
		    (error = plan__touch(c->p, k->key_id)) < 0 ||
		    (error = diff__touch_sub_of(c, s->vault_id.value)) < 0)
			goto next;
		k->vault = live_find_vault(c->live, s->vault_id.value);
		k->key = live_find_key(c->live, s->vault_id.value, s->key.value);
		want_version = diff__or(s->version.value, "latest");
		if (!k->vault) {
			k->key_unusable = true;
			if ((error = diff__problem(k, "Key Vault '%s' not found (cmkctl verifies vaults and keys, "
						   "it does not create them)", s->vault_name.value)) < 0 ||
			    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr,
						       "Key Vault %s not found", s->vault_id.value)) < 0)
				goto next;
		} else if (!k->vault->soft_delete || !k->vault->purge_protection) {
			if ((error = diff__problem(k, DIFF_MSG_NOT_RECOVERABLE " (vault '%s': soft delete %s, purge protection %s)",
						   s->vault_name.value, k->vault->soft_delete ? "on" : "off",
						   k->vault->purge_protection ? "on" : "off")) < 0)
				goto next;
		}
		if (k->vault && (!k->key || !k->key->exists)) {
			k->key_unusable = true;
			if ((error = diff__problem(k, DIFF_MSG_KEY_VALIDATE " (key '%s' not found in vault '%s')",
						   s->key.value, s->vault_name.value)) < 0 ||
			    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr,
						       "key '%s' not found in vault '%s'", s->key.value,
						       s->vault_name.value)) < 0)
				goto next;
		} else if (k->key) {
			const char *kty = diff__or(k->key->kty, "?");

			if (!k->key->enabled) {
				k->key_unusable = true;
				if ((error = diff__problem(k, "key '%s' is disabled: enable it in the vault",
							   s->key.value)) < 0)
					goto next;
			}
			if (k->key->expires && diff_parse_time(&t, k->key->expires) == 0 && t <= c->now) {
				k->key_unusable = true;
				diff_format_time(exp, sizeof(exp), t);
				if ((error = diff__problem(k, "key '%s' expired on %s", s->key.value, exp)) < 0)
					goto next;
			}
			/* a disabled key cannot be read (Key Vault answers 403
			 * KeyDisabled): its type is unknown, not wrong */
			if (!k->key->kty) {
				/* nothing more to say than "disabled" */
			} else if (strcasecmp(kty, "RSA") != 0 && strcasecmp(kty, "RSA-HSM") != 0) {
				if ((error = diff__problem(k, "key '%s' is %s, not RSA: customer-managed keys are RSA keys",
							   s->key.value, kty)) < 0)
					goto next;
			} else if (s->key_type.set &&
				   strcasecmp(kty, manifest_key_type_name(s->key_type.value)) != 0) {
				if ((error = diff__problem(k, "key '%s' is %s, the manifest declares %s", s->key.value,
							   kty, manifest_key_type_name(s->key_type.value))) < 0)
					goto next;
			}
			if (s->key_size.set && k->key->key_size && k->key->key_size != s->key_size.value &&
			    (error = diff__problem(k, "key '%s' is %ld bits, the manifest declares %lld",
						   s->key.value, k->key->key_size, s->key_size.value)) < 0)
				goto next;
			if (strcasecmp(want_version, "latest") == 0) {
				if (k->key->current_version &&
				    (k->version = strdup(k->key->current_version)) == NULL) {
					error = cmk_error_oom();
					goto next;
				}
				if (k->version &&
				    (error = plan__add_reason(c->p, k->res, "version latest resolves to %s",
							      k->version)) < 0)
					goto next;
			}
		}
		if (!k->version && strcasecmp(want_version, "latest") != 0 &&
		    (k->version = strdup(want_version)) == NULL) {
			error = cmk_error_oom();
			goto next;
		}
		if (k->problem) {
			c->p->resources[k->res].action = PLAN_ACTION_NOOP;
			if ((error = plan__add_reason(c->p, k->res, "%s", k->problem)) < 0)
				goto next;
		}
next:
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- tags ----------------------------------------------------------------- */

typedef struct {
	const char *key, *value;
} diff__tag;

/* Compare desired tags with live ones, adding a change per difference.
 * Returns the number of changes, or a negative code. */
static int diff__tags(diff_ctx *c, size_t res, const diff__tag *want, size_t n, const live_tags *have)
{
	int changes = 0, error;
	char field[600];

	for (size_t i = 0; i < n; i++) {
		const char *cur = NULL;

		for (size_t j = 0; j < have->count; j++)
			if (diff__tag_eq_key(have->items[j].key, want[i].key))
				cur = have->items[j].value;
		if (cur && strcmp(cur, want[i].value) == 0)
			continue;
		snprintf(field, sizeof(field), "tags.%s", want[i].key);
		if ((error = plan__add_change(c->p, res, field, cur, want[i].value)) < 0)
			return error;
		changes++;
	}
	for (size_t j = 0; j < have->count; j++) {
		bool wanted = false;

		for (size_t i = 0; i < n && !wanted; i++)
			wanted = diff__tag_eq_key(have->items[j].key, want[i].key);
		if (wanted)
			continue;
		snprintf(field, sizeof(field), "tags.%s", have->items[j].key);
		if ((error = plan__add_change(c->p, res, field, have->items[j].value, NULL)) < 0)
			return error;
		changes++;
	}
	return changes;
}

static int diff__tags_param(diff_ctx *c, size_t step, const diff__tag *tags, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	int error;

	if (!o)
		return cmk_error_oom();
	for (size_t i = 0; i < n; i++)
		if (!cJSON_AddStringToObject(o, tags[i].key, tags[i].value)) {
			cJSON_Delete(o);
			return cmk_error_oom();
		}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return cmk_error_oom();
	error = plan__add_param(c->p, step, "tags", text);
	free(text);
	return error;
}

/* The manifest's tags, plus cmkctl's own when `policy` is not NULL. The
 * array points into the set; free() it. */
static int diff__want_tags(diff__tag **out, size_t *n, const manifest_map *m, const char *policy)
{
	diff__tag *t = calloc(m->count + 2, sizeof(*t));

	if (!t)
		return cmk_error_oom();
	*n = 0;
	for (size_t i = 0; i < m->count; i++)
		t[(*n)++] = (diff__tag){ m->items[i].key.value, diff__or(m->items[i].value.value, "") };
	if (policy) {
		t[(*n)++] = (diff__tag){ PLAN_TAG_MANAGED, "true" };
		t[(*n)++] = (diff__tag){ PLAN_TAG_DELETION_POLICY, policy };
	}
	*out = t;
	return 0;
}

/* ---- identities ------------------------------------------------------- */

static int diff__identities(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_managed_identity *s = &doc->spec.managed_identity;
		diff__doc *d = &c->docs[i];
		const live_user_identity *li;
		diff__tag *tags = NULL;
		size_t ntags = 0, step;
		char *addr = NULL;
		int changed;

		if (doc->kind != MANIFEST_KIND_MANAGED_IDENTITY)
			continue;
		if ((error = arm_id_build(&d->id, s->subscription.value, s->resource_group.value,
					  "Microsoft.ManagedIdentity/userAssignedIdentities", s->name.value)) < 0)
			return error;
		if ((addr = diff__address(doc)) == NULL)
			return cmk_error_oom();
		if ((error = plan__add_resource(&d->res, c->p, addr, d->id)) < 0 ||
		    (error = plan__touch(c->p, d->id)) < 0 ||
		    (error = diff__want_tags(&tags, &ntags, &s->tags, NULL)) < 0)
			goto next;
		li = live_find_identity(c->live, d->id);
		if (!li) {
			c->p->resources[d->res].action = PLAN_ACTION_CREATE;
			if ((error = plan__add_reason(c->p, d->res, "the identity does not exist")) < 0 ||
			    (error = plan__add_change(c->p, d->res, "location", NULL, s->location.value)) < 0 ||
			    (error = diff__tags(c, d->res, tags, ntags, &(live_tags){ NULL, 0 })) < 0 ||
			    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_CREATE, PLAN_PHASE_IDENTITY,
						    d->res, d->id, NULL, "create user-assigned identity %s in %s",
						    s->name.value, s->location.value)) < 0 ||
			    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
			    (error = diff__tags_param(c, step, tags, ntags)) < 0)
				goto next;
			d->create = step;
			d->principal_step = step;
			if ((d->principal = plan__ref(c->p, step, "principalId")) == NULL)
				error = cmk_error_oom();
			goto next;
		}
		if (li->principal_id && (d->principal = strdup(li->principal_id)) == NULL) {
			error = cmk_error_oom();
			goto next;
		}
		if ((changed = diff__tags(c, d->res, tags, ntags, &li->tags)) < 0) {
			error = changed;
			goto next;
		}
		if (li->location && s->location.value && !arm_location_equal(li->location, s->location.value)) {
			if ((error = plan__add_change(c->p, d->res, "location", li->location, s->location.value)) < 0 ||
			    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_UPDATE, PLAN_PHASE_IDENTITY,
						    d->res, d->id, NULL, "update identity %s", s->name.value)) < 0 ||
			    (error = plan__block(c->p, step, "an identity cannot move to another region (%s -> %s): "
						 "create a new identity under another name",
						 li->location, s->location.value)) < 0)
				goto next;
		} else if (changed) {
			c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
			if ((error = plan__add_reason(c->p, d->res, "tags differ")) < 0 ||
			    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_UPDATE, PLAN_PHASE_IDENTITY,
						    d->res, d->id, NULL, "update tags of identity %s",
						    s->name.value)) < 0 ||
			    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
			    (error = diff__tags_param(c, step, tags, ntags)) < 0)
				goto next;
		}
next:
		free(tags);
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- the write chain of one cluster ----------------------------------- */

/* The wait for a running operation, added the first time a write needs it. */
static int diff__ensure_wait(diff_ctx *c, diff__doc *d, const char *what)
{
	const char *state;
	int error;

	if (!d->busy || d->wait != PLAN_NONE)
		return 0;
	state = diff__or(d->busy_state, "busy");
	if ((error = plan__add_step(&d->wait, c->p, PLAN_STEP_CLUSTER_WAIT, PLAN_PHASE_WAIT, d->res, d->id,
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

/* Append `step` to the cluster's serialised chain of writes. */
static int diff__chain(diff_ctx *c, diff__doc *d, size_t step, const char *what)
{
	int error;

	if ((error = diff__ensure_wait(c, d, what)) < 0 || (error = plan__add_dep(c->p, step, d->tail)) < 0)
		return error;
	d->tail = step;
	return 0;
}

/* ---- key access ------------------------------------------------------- */

/*
 * Plan the grant of `k`'s key to the principal of `d` (a cluster or Kusto
 * cluster). *out is the grant step or PLAN_NONE. `missing` receives why the
 * access is missing when it is and no grant is planned (--no-grant).
 */
static int diff__grant(size_t *out, diff_ctx *c, diff__doc *d, diff__doc *k, const char *who,
		       bool key_in_use, int phase, char *missing, size_t missing_size)
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
	if (k->vault->rbac_authorization) {
		error = plan__add_step(&step, c->p, PLAN_STEP_KEY_GRANT, phase, d->res, k->vault->id, NULL,
				       "assign role '%s' on vault '%s' to the %s's %s",
				       PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER_NAME,
				       diff__or(k->vault->name, k->vault->id), who,
				       known ? "principal" : "new identity (principal read back after it exists)");
	} else {
		error = plan__add_step(&step, c->p, PLAN_STEP_KEY_GRANT, phase, d->res, k->vault->id, NULL,
				       "add access policy get/wrapKey/unwrapKey on vault '%s' for the %s's %s",
				       diff__or(k->vault->name, k->vault->id), who,
				       known ? "principal" : "new identity (principal read back after it exists)");
	}
	if (error < 0 || (error = plan__add_dep(c->p, step, d->principal_step)) < 0 ||
	    (error = plan__add_param(c->p, step, "vaultId", k->vault->id)) < 0 ||
	    (error = plan__add_param(c->p, step, "principalId", d->principal)) < 0)
		return error;
	if (k->vault->rbac_authorization) {
		if ((error = plan__add_param(c->p, step, "mode", "rbac")) < 0 ||
		    (error = plan__add_param(c->p, step, "roleDefinitionId",
					     PLAN_ROLE_CRYPTO_SERVICE_ENCRYPTION_USER)) < 0 ||
		    (error = plan__add_param(c->p, step, "scope", k->vault->id)) < 0)
			return error;
	} else if ((error = plan__add_param(c->p, step, "mode", "accessPolicy")) < 0 ||
		   (error = plan__add_param(c->p, step, "tenantId", diff__or(k->vault->tenant_id, ""))) < 0 ||
		   (error = plan__add_param(c->p, step, "keyPermissions", "get,wrapKey,unwrapKey")) < 0) {
		return error;
	}
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

/* ---- Log Analytics clusters --------------------------------------------- */

/* Desired key identifier "<uri>keys/<name>/<version>" for messages. */
static char *diff__key_text(const char *uri, const char *name, const char *version)
{
	size_t n;

	if (!uri || !name)
		return NULL;
	n = strlen(uri);
	return plan__fmt("%s%skeys/%s%s%s", uri, n && uri[n - 1] == '/' ? "" : "/", name,
			 version && *version ? "/" : "", version ? version : "");
}

static int diff__key_params(diff_ctx *c, size_t step, const diff__doc *k, const char *name,
			    const char *version)
{
	int error;

	if ((error = plan__add_param(c->p, step, "keyVaultUri", k->vault ? k->vault->vault_uri : "")) < 0 ||
	    (error = plan__add_param(c->p, step, "keyName", name)) < 0 ||
	    (error = plan__add_param(c->p, step, "keyVersion", version ? version : "")) < 0)
		return error;
	return 0;
}

/* Block `step` for every reason the key or its vault cannot serve
 * `location` (region, tenant, key problems). */
static int diff__block_key(diff_ctx *c, size_t step, const diff__doc *k, const char *location,
			   const char *tenant, const char *missing)
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

static bool diff__has_tag(const live_tags *t, const char *key, const char *value)
{
	for (size_t i = 0; i < t->count; i++)
		if (diff__tag_eq_key(t->items[i].key, key) && (!value || strcasecmp(t->items[i].value, value) == 0))
			return true;
	return false;
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

static int diff__cluster_create(diff_ctx *c, size_t di, diff__doc *d, diff__doc *k, diff__doc *ident,
				const diff__tag *tags, size_t ntags, const char *tenant)
{
	const manifest_log_analytics_cluster *s = &c->set->docs[di]->spec.cluster;
	bool user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
	bool at_creation = k && s->key_at_creation.set && s->key_at_creation.value;
	char cap[32], *soft = NULL, missing[256] = "";
	size_t step, grant = PLAN_NONE, key, existing = 0;
	const live_subscription *sub;
	int limit, error;

	c->p->resources[d->res].action = PLAN_ACTION_CREATE;
	snprintf(cap, sizeof(cap), "%lld", s->capacity.value);
	if ((error = plan__add_reason(c->p, d->res, "the cluster does not exist")) < 0 ||
	    (error = plan__add_change(c->p, d->res, "location", NULL, s->location.value)) < 0 ||
	    (error = plan__add_change(c->p, d->res, "identity", NULL,
				      manifest_identity_type_name(s->identity.type.value))) < 0 ||
	    (s->capacity.set && (error = plan__add_change(c->p, d->res, "capacity", NULL, cap)) < 0) ||
	    (error = plan__add_change(c->p, d->res, "billingType", NULL,
				      manifest_billing_type_name(s->billing_type.value))) < 0 ||
	    (error = plan__add_change(c->p, d->res, "clusterType", NULL,
				      manifest_cluster_type_name(s->cluster_type.value))) < 0 ||
	    (s->double_encryption.set &&
	     (error = plan__add_change(c->p, d->res, "doubleEncryption", NULL,
				       s->double_encryption.value ? "true" : "false")) < 0) ||
	    (s->availability_zones.set &&
	     (error = plan__add_change(c->p, d->res, "availabilityZones", NULL,
				       s->availability_zones.value ? "true" : "false")) < 0) ||
	    (error = diff__tags(c, d->res, tags, ntags, &(live_tags){ NULL, 0 })) < 0)
		return error;

	if ((error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_CREATE, PLAN_PHASE_CLUSTER_CREATE, d->res,
				    d->id, d->id, "create cluster %s in %s (%s identity%s), wait for Succeeded",
				    s->name.value, s->location.value,
				    manifest_identity_type_name(s->identity.type.value),
				    at_creation ? ", with the key" : "")) < 0)
		return error;
	d->create = step;
	if ((error = diff__chain(c, d, step, "cluster")) < 0 ||
	    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
	    (error = plan__add_param(c->p, step, "skuName", "CapacityReservation")) < 0 ||
	    (error = plan__add_param(c->p, step, "capacity", cap)) < 0 ||
	    (error = plan__add_param(c->p, step, "billingType",
				     manifest_billing_type_name(s->billing_type.value))) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterType",
				     manifest_cluster_type_name(s->cluster_type.value))) < 0 ||
	    (error = plan__add_param(c->p, step, "identityType",
				     manifest_identity_type_name(s->identity.type.value))) < 0 ||
	    (user && ident && (error = plan__add_param(c->p, step, "userAssignedIdentity", ident->id)) < 0) ||
	    (s->double_encryption.set &&
	     (error = plan__add_param(c->p, step, "isDoubleEncryptionEnabled",
				      s->double_encryption.value ? "true" : "false")) < 0) ||
	    (s->availability_zones.set &&
	     (error = plan__add_param(c->p, step, "isAvailabilityZonesEnabled",
				      s->availability_zones.value ? "true" : "false")) < 0) ||
	    (error = diff__tags_param(c, step, tags, ntags)) < 0)
		return error;

	/* the principal: the user-assigned identity's, or the new cluster's own */
	if (user && ident) {
		d->principal_step = ident->principal_step;
		if ((error = plan__add_dep(c->p, step, ident->create)) < 0 ||
		    (ident->principal && (d->principal = strdup(ident->principal)) == NULL))
			return error < 0 ? error : cmk_error_oom();
	} else {
		d->principal_step = step;
		if ((d->principal = plan__ref(c->p, step, "principalId")) == NULL)
			return cmk_error_oom();
	}

	/* preflight of the create itself */
	if (d->lc == NULL && c->live->soft_deleted_cluster_count) {
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
		if (error < 0)
			return error;
	}
	for (size_t i = 0; i < c->live->cluster_count; i++) {
		const live_la_cluster *lc = &c->live->clusters[i];
		char sub_of[64];

		if (diff__sub_of(sub_of, sizeof(sub_of), lc->id) && strcasecmp(sub_of, s->subscription.value) == 0 &&
		    lc->location && arm_location_equal(lc->location, s->location.value))
			existing++;
	}
	sub = live_find_subscription(c->live, s->subscription.value);
	limit = sub && sub->clusters_per_region_limit > 0 ? sub->clusters_per_region_limit : 2;
	if (existing + diff__planned_creates(c, di, s->subscription.value, s->location.value) >= (size_t)limit &&
	    (error = plan__block(c->p, step, DIFF_MSG_QUOTA " Subscription %s has %zu cluster%s in %s already%s.",
				 s->subscription.value, existing, existing == 1 ? "" : "s", s->location.value,
				 existing < (size_t)limit ? " counting the ones this plan creates" : "")) < 0)
		return error;
	if (!k)
		return 0;

	/* key access, then the key: at creation (user-assigned) or after */
	if ((error = diff__grant(&grant, c, d, k, "cluster", false,
				 user ? PLAN_PHASE_GRANT_EARLY : PLAN_PHASE_GRANT, missing, sizeof(missing))) < 0)
		return error;
	if (at_creation) {
		if (!user && (error = plan__block(c->p, step, DIFF_MSG_KV_AT_CREATION)) < 0)
			return error;
		if ((error = plan__add_dep(c->p, step, grant)) < 0 ||
		    (error = diff__key_params(c, step, k, c->set->docs[di]->spec.cluster.key.target
						   ->spec.key_vault_key.key.value, k->version)) < 0 ||
		    (error = diff__block_key(c, step, k, s->location.value, tenant, missing)) < 0)
			return error;
	} else {
		const char *kname = c->set->docs[di]->spec.cluster.key.target->spec.key_vault_key.key.value;

		if ((error = plan__add_step(&key, c->p, PLAN_STEP_CLUSTER_KEY_UPDATE, PLAN_PHASE_KEY_UPDATE, d->res,
					    d->id, d->id, "set key %s%s%s on cluster %s, wait for Succeeded", kname,
					    k->version ? " version " : "", k->version ? k->version : "",
					    s->name.value)) < 0 ||
		    (error = diff__chain(c, d, key, "cluster")) < 0 ||
		    (error = plan__add_dep(c->p, key, grant)) < 0 ||
		    (error = diff__key_params(c, key, k, kname, k->version)) < 0 ||
		    (error = diff__block_key(c, key, k, s->location.value, tenant, missing)) < 0)
			return error;
	}
	{
		char *txt = diff__key_text(k->vault ? k->vault->vault_uri : NULL,
					   c->set->docs[di]->spec.cluster.key.target->spec.key_vault_key.key.value,
					   k->version);

		if (txt) {
			error = plan__add_change(c->p, d->res, "key", NULL, txt);
			free(txt);
		}
	}
	return error;
}

/* The cluster.update step: capacity, billingType, tags, identity; blocked
 * when an immutable field differs or capacity is locked. */
static int diff__cluster_update(size_t *out, diff_ctx *c, diff__doc *d, const manifest_log_analytics_cluster *s,
				const live_la_cluster *lc, const diff__doc *ident, bool identity_differs,
				const diff__tag *tags, size_t ntags, const char *blocked, int phase)
{
	bool user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
	const char *want_type = manifest_identity_type_name(s->identity.type.value);
	char after[32];
	size_t update;
	int error;

	if ((error = plan__add_step(&update, c->p, PLAN_STEP_CLUSTER_UPDATE, phase, d->res,
				    d->id, d->id, "update cluster %s, wait for Succeeded", s->name.value)) < 0 ||
	    (error = diff__chain(c, d, update, "cluster")) < 0)
		return error;
	if (blocked && (error = plan__block(c->p, update, "%s", blocked)) < 0)
		return error;
	if (s->capacity.set && lc->capacity != s->capacity.value) {
		snprintf(after, sizeof(after), "%lld", s->capacity.value);
		if ((error = plan__add_param(c->p, update, "capacity", after)) < 0)
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
	    (error = diff__tags_param(c, update, tags, ntags)) < 0)
		return error;
	if (identity_differs &&
	    ((error = plan__add_param(c->p, update, "identityType", want_type)) < 0 ||
	     (user && ident && (error = plan__add_param(c->p, update, "userAssignedIdentity", ident->id)) < 0) ||
	     (error = plan__add_dep(c->p, update, user && ident ? ident->create : PLAN_NONE)) < 0))
		return error;
	*out = update;
	return 0;
}

static int diff__cluster_existing(diff_ctx *c, size_t di, diff__doc *d, diff__doc *k, diff__doc *ident,
				  const diff__tag *tags, size_t ntags, const char *tenant)
{
	const manifest_doc *doc = c->set->docs[di];
	const manifest_log_analytics_cluster *s = &doc->spec.cluster;
	const live_la_cluster *lc = d->lc;
	const char *addr = c->p->resources[d->res].address;
	bool user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
	size_t update = PLAN_NONE, step, grant = PLAN_NONE;
	char before[32], after[32], missing[256] = "";
	bool key_in_use, key_differs = false, identity_differs = false;
	const char *want_type = manifest_identity_type_name(s->identity.type.value);
	const char *live_type = diff__or(lc->identity.type, "None");
	const char *kname = k ? doc->spec.cluster.key.target->spec.key_vault_key.key.value : NULL;
	int changed = 0, error;
	char *blocked = NULL;

	if (lc->provisioning_state && strcasecmp(lc->provisioning_state, "Deleting") == 0) {
		if ((error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_UPDATE, PLAN_PHASE_CLUSTER_UPDATE,
					    d->res, d->id, d->id, "update cluster %s", s->name.value)) < 0 ||
		    (error = plan__block(c->p, step, DIFF_MSG_DELETING)) < 0)
			return error;
		d->tail = step;
		return 0;
	}
	/* principal of the identity the cluster uses (or will) */
	if (user && ident) {
		d->principal_step = ident->principal_step;
		if (ident->principal && (d->principal = strdup(ident->principal)) == NULL)
			return cmk_error_oom();
	} else if (lc->identity.principal_id && strcasecmp(live_type, "None") != 0 &&
		   (d->principal = strdup(lc->identity.principal_id)) == NULL) {
		return cmk_error_oom();
	}

	/* identity */
	if (strcasecmp(live_type, "None") == 0 &&
	    (error = plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, addr,
				       "the cluster's identity type is None: it cannot reach its key, its data is "
				       "inaccessible")) < 0)
		return error;
	if (user) {
		bool has = false;

		for (size_t i = 0; ident && i < lc->identity.user_assigned_count; i++)
			has = has || arm_id_equal(lc->identity.user_assigned[i], ident->id);
		identity_differs = !strstr(live_type, "UserAssigned") || !has;
	} else {
		identity_differs = strcasecmp(live_type, "SystemAssigned") != 0 &&
				   strcasecmp(live_type, "SystemAssigned,UserAssigned") != 0;
	}
	if (identity_differs) {
		if ((error = plan__add_change(c->p, d->res, "identity", live_type,
					      user && ident ? ident->id : want_type)) < 0)
			return error;
		changed++;
	}

	/* immutable fields; api-versions from 2020-08-01 no longer report
	 * clusterType, so an absent type is unknown, not LogAnalytics */
	if (lc->cluster_type) {
		const char *ltype = lc->cluster_type;
		const char *wtype = manifest_cluster_type_name(s->cluster_type.value);

		if (strcasecmp(ltype, wtype) != 0) {
			if ((error = plan__add_change(c->p, d->res, "clusterType", ltype, wtype)) < 0)
				return error;
			if ((blocked = plan__fmt("clusterType cannot change after the cluster is created "
						 "(%s -> %s)", ltype, wtype)) == NULL)
				return cmk_error_oom();
		}
	}
	if (s->double_encryption.set && s->double_encryption.value != lc->double_encryption) {
		char *b2;

		if ((error = plan__add_change(c->p, d->res, "doubleEncryption", lc->double_encryption ? "true" : "false",
					      s->double_encryption.value ? "true" : "false")) < 0)
			goto out;
		b2 = plan__fmt("%s%sDouble encryption setting can not be changed after the cluster has been created",
			       blocked ? blocked : "", blocked ? "; " : "");
		free(blocked);
		if ((blocked = b2) == NULL)
			return cmk_error_oom();
	}
	if (s->availability_zones.set && s->availability_zones.value != lc->availability_zones) {
		char *b2;

		if ((error = plan__add_change(c->p, d->res, "availabilityZones",
					      lc->availability_zones ? "true" : "false",
					      s->availability_zones.value ? "true" : "false")) < 0)
			goto out;
		b2 = plan__fmt("%s%sisAvailabilityZonesEnabled: This Property can not be modified after cluster creation",
			       blocked ? blocked : "", blocked ? "; " : "");
		free(blocked);
		if ((blocked = b2) == NULL)
			return cmk_error_oom();
	}
	if (lc->location && !arm_location_equal(lc->location, s->location.value)) {
		char *b2;

		if ((error = plan__add_change(c->p, d->res, "location", lc->location, s->location.value)) < 0)
			goto out;
		b2 = plan__fmt("%s%sCluster move to another region isn't supported",
			       blocked ? blocked : "", blocked ? "; " : "");
		free(blocked);
		if ((blocked = b2) == NULL)
			return cmk_error_oom();
	}

	/* mutable fields */
	if (s->capacity.set && lc->capacity != s->capacity.value) {
		snprintf(before, sizeof(before), "%lld", lc->capacity);
		snprintf(after, sizeof(after), "%lld", s->capacity.value);
		if ((error = plan__add_change(c->p, d->res, "capacity", before, after)) < 0)
			goto out;
		changed++;
	}
	if (lc->sku_name && strcasecmp(lc->sku_name, "CapacityReservation") != 0) {
		if ((error = plan__add_change(c->p, d->res, "skuName", lc->sku_name, "CapacityReservation")) < 0)
			goto out;
		changed++;
	}
	if (lc->billing_type && strcasecmp(lc->billing_type, manifest_billing_type_name(s->billing_type.value)) != 0) {
		if ((error = plan__add_change(c->p, d->res, "billingType", lc->billing_type,
					      manifest_billing_type_name(s->billing_type.value))) < 0)
			goto out;
		changed++;
	}
	{
		int t = diff__tags(c, d->res, tags, ntags, &lc->tags);

		if (t < 0) {
			error = t;
			goto out;
		}
		changed += t;
	}

	/* the key */
	key_in_use = k && lc->key.key_name && kname && strcasecmp(lc->key.key_name, kname) == 0 &&
		     k->vault && diff_vault_uri_equal(lc->key.vault_uri, k->vault->vault_uri);
	if (k) {
		const char *want_version = doc->spec.cluster.key.target->spec.key_vault_key.version.value;
		bool latest = !want_version || strcasecmp(want_version, "latest") == 0;
		bool version_ok = (latest && (!lc->key.key_version || !*lc->key.key_version)) ||
				  !k->version || diff_key_version_equal(lc->key.key_version, k->version);

		if (!k->vault) { /* nothing to compare with: the key update is blocked if needed */
			key_differs = !lc->key.key_name || strcasecmp(lc->key.key_name, kname) != 0;
		} else {
			key_differs = !key_in_use || !version_ok;
		}
		if (key_in_use && latest && !version_ok && k->version &&
		    (error = plan__add_finding(c->p, PLAN_FINDING_ROTATION_PENDING, addr,
					       "key '%s' has a newer version %s than the cluster uses (%s): the "
					       "manifest says latest", kname, k->version,
					       diff__or(lc->key.key_version, "?"))) < 0)
			goto out;
		if (key_in_use && k->key_unusable && k->problem &&
		    (error = plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, addr,
					       "the cluster's key cannot be used: %s", k->problem)) < 0)
			goto out;
	} else if (lc->key.key_name && *lc->key.key_name) {
		/* the manifest names no key: leave the cluster's key alone, never remove it
		 * (that would be a revocation); say so */
		if ((error = plan__add_reason(c->p, d->res,
					      "the cluster has key '%s' but the manifest names none: left unchanged",
					      lc->key.key_name)) < 0)
			goto out;
	}

	/* an identity change comes first: the grant goes to the identity the
	 * cluster will have (a new system-assigned principal is read back) */
	if ((changed || blocked) && identity_differs) {
		if ((error = diff__cluster_update(&update, c, d, s, lc, ident, identity_differs, tags, ntags, blocked,
						  PLAN_PHASE_IDENTITY_UPDATE)) < 0)
			goto out;
		if (!user) {
			free(d->principal);
			d->principal_step = update;
			if ((d->principal = plan__ref(c->p, update, "principalId")) == NULL) {
				error = cmk_error_oom();
				goto out;
			}
		}
	}

	/* grant (a missing grant on a cluster that uses the key is a revocation risk) */
	if (k && (error = diff__grant(&grant, c, d, k, "cluster", key_in_use,
				      user ? PLAN_PHASE_GRANT_EARLY : PLAN_PHASE_GRANT, missing,
				      sizeof(missing))) < 0)
		goto out;
	if (k && key_differs) {
		char *was = diff__key_text(lc->key.vault_uri, lc->key.key_name, lc->key.key_version);
		char *now = diff__key_text(k->vault ? k->vault->vault_uri : NULL, kname, k->version);

		error = plan__add_change(c->p, d->res, "key", was, now ? now : kname);
		free(was);
		free(now);
		if (error < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_KEY_UPDATE, PLAN_PHASE_KEY_UPDATE,
					    d->res, d->id, d->id, "set key %s%s%s on cluster %s, wait for Succeeded",
					    kname, k->version ? " version " : "", k->version ? k->version : "",
					    s->name.value)) < 0 ||
		    (error = diff__chain(c, d, step, "cluster")) < 0 ||
		    (error = plan__add_dep(c->p, step, grant)) < 0 ||
		    (error = diff__key_params(c, step, k, kname, k->version)) < 0 ||
		    (error = diff__block_key(c, step, k, s->location.value, tenant, missing)) < 0 ||
		    (error = plan__add_reason(c->p, d->res, lc->key.key_name ? "the cluster uses another key version"
							    : "the cluster has no customer-managed key yet")) < 0)
			goto out;
	}

	if ((changed || blocked) && !identity_differs &&
	    (error = diff__cluster_update(&update, c, d, s, lc, ident, identity_differs, tags, ntags, blocked,
					  PLAN_PHASE_CLUSTER_UPDATE)) < 0)
		goto out;
	if (update != PLAN_NONE &&
	    (error = plan__add_reason(c->p, d->res, blocked ? "an immutable field differs"
							    : "settings differ from the manifest")) < 0)
		goto out;
	if (grant != PLAN_NONE || key_differs || update != PLAN_NONE)
		c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
	if (changed && (error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, addr,
						  "%d setting%s differ%s from the manifest", changed,
						  changed == 1 ? "" : "s", changed == 1 ? "s" : "")) < 0)
		goto out;
	error = 0;
out:
	free(blocked);
	return error;
}

static int diff__clusters(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_log_analytics_cluster *s = &doc->spec.cluster;
		diff__doc *d = &c->docs[i], *k = NULL, *ident = NULL;
		diff__tag *tags = NULL;
		size_t ntags = 0;
		char *addr = NULL;
		const char *tenant;

		if (doc->kind != MANIFEST_KIND_LOG_ANALYTICS_CLUSTER)
			continue;
		if ((error = arm_id_build(&d->id, s->subscription.value, s->resource_group.value,
					  "Microsoft.OperationalInsights/clusters", s->name.value)) < 0)
			return error;
		if ((addr = diff__address(doc)) == NULL)
			return cmk_error_oom();
		diff__map_put(&c->clusters, d->id, i);
		if (s->key.target)
			k = &c->docs[diff__doc_index(c, s->key.target)];
		if (s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED && s->identity.ref.target)
			ident = &c->docs[diff__doc_index(c, s->identity.ref.target)];
		tenant = diff__tenant_of_sub(c, s->subscription.value);
		d->lc = live_find_cluster(c->live, d->id);
		d->busy = d->lc && (d->lc->busy || !diff_state_terminal(d->lc->provisioning_state));
		d->busy_state = d->lc ? d->lc->provisioning_state : NULL;
		if ((error = plan__add_resource(&d->res, c->p, addr, d->id)) < 0 ||
		    (error = plan__touch(c->p, d->id)) < 0 ||
		    (error = diff__touch_sub_of(c, d->id)) < 0 ||
		    (error = diff__want_tags(&tags, &ntags, &s->tags,
					     manifest_deletion_policy_name(s->deletion_policy.value))) < 0)
			goto next;
		if (!d->lc)
			error = diff__cluster_create(c, i, d, k, ident, tags, ntags, tenant);
		else
			error = diff__cluster_existing(c, i, d, k, ident, tags, ntags, tenant);
next:
		free(tags);
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- Kusto clusters --------------------------------------------------- */

static int diff__kusto(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_kusto_cluster_key *s = &doc->spec.kusto;
		diff__doc *d = &c->docs[i], *k, *ident = NULL;
		const live_kusto_cluster *lk;
		bool user = s->identity.type.value == MANIFEST_IDENTITY_USER_ASSIGNED;
		bool identity_ok, latest, key_in_use;
		const char *kname, *want_version, *want_uid;
		char *addr = NULL, missing[256] = "", *was = NULL, *now = NULL;
		size_t step, grant = PLAN_NONE, key;
		char sub[64];

		if (doc->kind != MANIFEST_KIND_KUSTO_CLUSTER_KEY)
			continue;
		if ((d->id = strdup(s->cluster.value)) == NULL || (addr = diff__address(doc)) == NULL)
			return cmk_error_oom();
		k = &c->docs[diff__doc_index(c, s->key.target)];
		if (user && s->identity.ref.target)
			ident = &c->docs[diff__doc_index(c, s->identity.ref.target)];
		kname = s->key.target->spec.key_vault_key.key.value;
		want_version = s->key.target->spec.key_vault_key.version.value;
		latest = !want_version || strcasecmp(want_version, "latest") == 0;
		want_uid = user && ident ? ident->id : NULL;
		if ((error = plan__add_resource(&d->res, c->p, addr, d->id)) < 0 ||
		    (error = plan__touch(c->p, d->id)) < 0 || (error = diff__touch_sub_of(c, d->id)) < 0)
			goto next;
		lk = live_find_kusto(c->live, d->id);
		if (!lk) {
			if ((error = plan__add_step(&key, c->p, PLAN_STEP_KUSTO_KEY_UPDATE, PLAN_PHASE_KUSTO_KEY, d->res,
						    d->id, d->id, "set key %s on Kusto cluster %s", kname,
						    diff__last_segment(d->id))) < 0 ||
			    (error = plan__block(c->p, key, "Kusto cluster not found: cmkctl sets keys on existing "
						 "Azure Data Explorer clusters, it does not create them")) < 0 ||
			    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr, "Kusto cluster %s not found",
						       d->id)) < 0)
				goto next;
			goto next;
		}
		d->busy = lk->busy || !diff_state_terminal(lk->provisioning_state);
		d->busy_state = diff_state_terminal(lk->provisioning_state) ? lk->state : lk->provisioning_state;
		/* identity */
		if (user) {
			bool has = false;

			for (size_t j = 0; ident && j < lk->identity.user_assigned_count; j++)
				has = has || arm_id_equal(lk->identity.user_assigned[j], ident->id);
			identity_ok = has;
			d->principal_step = ident ? ident->principal_step : PLAN_NONE;
			if (ident && ident->principal && (d->principal = strdup(ident->principal)) == NULL) {
				error = cmk_error_oom();
				goto next;
			}
		} else {
			identity_ok = lk->identity.type && strstr(lk->identity.type, "SystemAssigned") != NULL;
			if (identity_ok && lk->identity.principal_id &&
			    (d->principal = strdup(lk->identity.principal_id)) == NULL) {
				error = cmk_error_oom();
				goto next;
			}
		}
		if (!identity_ok) {
			if ((error = plan__add_change(c->p, d->res, "identity", diff__or(lk->identity.type, "None"),
						      user && ident ? ident->id : "SystemAssigned")) < 0 ||
			    (error = plan__add_step(&step, c->p, PLAN_STEP_KUSTO_IDENTITY_UPDATE, PLAN_PHASE_KUSTO_IDENTITY,
						    d->res, d->id, d->id, "enable the %s identity on Kusto cluster %s, wait",
						    user ? "user-assigned" : "system-assigned",
						    diff__last_segment(d->id))) < 0 ||
			    (error = diff__chain(c, d, step, "Kusto cluster")) < 0 ||
			    (error = plan__add_param(c->p, step, "identityType", user ? "UserAssigned" : "SystemAssigned")) < 0 ||
			    (user && ident && (error = plan__add_param(c->p, step, "userAssignedIdentity", ident->id)) < 0) ||
			    (error = plan__add_dep(c->p, step, ident ? ident->create : PLAN_NONE)) < 0)
				goto next;
			if (!user) {
				free(d->principal);
				d->principal_step = step;
				if ((d->principal = plan__ref(c->p, step, "principalId")) == NULL) {
					error = cmk_error_oom();
					goto next;
				}
			}
			c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
		}
		/* the key: versionless ("") when the manifest says latest */
		key_in_use = lk->key.key_name && strcasecmp(lk->key.key_name, kname) == 0 && k->vault &&
			     diff_vault_uri_equal(lk->key.vault_uri, k->vault->vault_uri);
		if (key_in_use && k->key_unusable && k->problem &&
		    (error = plan__add_finding(c->p, PLAN_FINDING_REVOCATION_RISK, addr,
					       "the cluster's key cannot be used: %s", k->problem)) < 0)
			goto next;
		if ((error = diff__grant(&grant, c, d, k, "Kusto cluster", key_in_use,
					 user ? PLAN_PHASE_GRANT_EARLY : PLAN_PHASE_GRANT, missing, sizeof(missing))) < 0)
			goto next;
		if (grant != PLAN_NONE)
			c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
		if (key_in_use && diff_key_version_equal(lk->key.key_version, latest ? "" : k->version) &&
		    ((!want_uid && !lk->key.user_identity) ||
		     (want_uid && lk->key.user_identity && arm_id_equal(want_uid, lk->key.user_identity))))
			goto next;
		was = diff__key_text(lk->key.vault_uri, lk->key.key_name, lk->key.key_version);
		now = diff__key_text(k->vault ? k->vault->vault_uri : NULL, kname, latest ? "" : k->version);
		c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
		if ((error = plan__add_change(c->p, d->res, "key", was, now ? now : kname)) < 0 ||
		    (error = plan__add_step(&key, c->p, PLAN_STEP_KUSTO_KEY_UPDATE, PLAN_PHASE_KUSTO_KEY, d->res, d->id,
					    d->id, "set key %s (%s) on Kusto cluster %s, wait", kname,
					    latest ? "versionless: follows the latest version" : k->version,
					    diff__last_segment(d->id))) < 0 ||
		    (error = diff__chain(c, d, key, "Kusto cluster")) < 0 ||
		    (error = plan__add_dep(c->p, key, grant)) < 0 ||
		    (error = diff__key_params(c, key, k, kname, latest ? "" : k->version)) < 0 ||
		    (want_uid && (error = plan__add_param(c->p, key, "userIdentity", want_uid)) < 0) ||
		    (error = diff__block_key(c, key, k, diff__or(s->location.value, lk->location),
					     diff__tenant_of_sub(c, diff__sub_of(sub, sizeof(sub), d->id)),
					     missing)) < 0)
			goto next;
		if (k->key && ((k->key->kty && strncasecmp(k->key->kty, "RSA", 3) != 0) ||
			       (k->key->key_size && k->key->key_size != 2048)) &&
		    (error = plan__block(c->p, key, "Only RSA keys of size 2048 are supported (key '%s' is %s %ld)",
					 kname, diff__or(k->key->kty, "?"), k->key->key_size)) < 0)
			goto next;
		if (lk->follower &&
		    (error = plan__block(c->p, key, "Data encryption using customer managed keys is not supported "
					 "on leader and follower clusters")) < 0)
			goto next;
next:
		free(was);
		free(now);
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- workspace links ----------------------------------------------------- */

static bool diff__link_busy(const live_workspace *w)
{
	return w->link_state && !diff_state_terminal(w->link_state);
}

static int diff__link_wait(size_t *out, diff_ctx *c, size_t res, const live_workspace *w)
{
	int error;

	if ((error = plan__add_step(out, c->p, PLAN_STEP_LINK_WAIT, PLAN_PHASE_WAIT, res, w->id, NULL,
				    "workspace %s: a link or unlink is in progress (%s): wait for it",
				    diff__or(w->name, diff__last_segment(w->id)), w->link_state)) < 0 ||
	    (error = plan__add_reason(c->p, res, "Workspace link or unlink operation in process (%s): cmkctl waits",
				      w->link_state)) < 0)
		return error;
	return 0;
}

static int diff__unlink(size_t *out, diff_ctx *c, size_t res, size_t wi, const char *why, bool moving)
{
	const live_workspace *w = &c->live->workspaces[wi];
	size_t step, wait = PLAN_NONE;
	int error;

	if (diff__link_busy(w) && (error = diff__link_wait(&wait, c, res, w)) < 0)
		return error;
	if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_UNLINK, PLAN_PHASE_UNLINK, res, w->id, NULL,
				    "unlink workspace %s from cluster %s (%s), wait",
				    diff__or(w->name, diff__last_segment(w->id)),
				    diff__last_segment(w->cluster_resource_id), why)) < 0 ||
	    (error = plan__add_dep(c->p, step, wait)) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterResourceId", w->cluster_resource_id)) < 0)
		return error;
	/* a move (unlink then link) shows one change: old cluster -> new cluster */
	if (!moving && (error = plan__add_change(c->p, res, "clusterResourceId", w->cluster_resource_id, NULL)) < 0)
		return error;
	if (w->link_operations_30d >= PLAN_MAX_LINK_OPS_30D &&
	    (error = plan__block(c->p, step, DIFF_MSG_LINK_BUDGET " Workspace %s had %d in the last 30 days.",
				 diff__or(w->name, w->id), w->link_operations_30d)) < 0)
		return error;
	c->unlink_step[wi] = step;
	*out = step;
	return 0;
}

static int diff__links(diff_ctx *c)
{
	int error = 0;
	size_t li = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_workspace_link *s = &doc->spec.workspace_link;
		size_t cdi;
		diff__doc *cd;
		const char *cloc, *ctenant;
		char sub[64];

		if (doc->kind != MANIFEST_KIND_WORKSPACE_LINK)
			continue;
		cdi = diff__doc_index(c, s->cluster.target);
		cd = &c->docs[cdi];
		cloc = s->cluster.target->spec.cluster.location.value;
		ctenant = diff__tenant_of_sub(c, s->cluster.target->spec.cluster.subscription.value);
		if (s->unlink_unlisted.set && s->unlink_unlisted.value)
			cd->unlink_unlisted = true;
		for (size_t j = 0; j < s->workspace_count; j++, li++) {
			const char *wid = s->workspaces[j].id.value;
			size_t wi = diff__map_get(&c->ws, wid), res, step, wait = PLAN_NONE, unlink = PLAN_NONE;
			const live_workspace *w = wi == PLAN_NONE ? NULL : &c->live->workspaces[wi];
			const char *wtenant = diff__tenant_of_sub(c, diff__sub_of(sub, sizeof(sub), wid));
			/* an unlink still running ("Deleting") leaves the workspace unlinked:
			 * wait for it, then link */
			bool leaving = w && w->link_state && strcasecmp(w->link_state, "Deleting") == 0;
			bool other = w && !leaving && w->cluster_resource_id && *w->cluster_resource_id &&
				     !arm_id_equal(w->cluster_resource_id, cd->id);
			char *addr = plan__fmt("%s/%s/%s", manifest_kind_name(doc->kind), doc->name.value,
					       diff__last_segment(wid));

			c->listed_step[li] = PLAN_NONE;
			if (!addr)
				return cmk_error_oom();
			error = plan__add_resource(&res, c->p, addr, wid);
			if (error == 0)
				error = plan__touch(c->p, wid);
			if (error == 0)
				error = diff__touch_sub_of(c, wid);
			if (error < 0)
				goto next;
			if (w && !leaving && w->cluster_resource_id && arm_id_equal(w->cluster_resource_id, cd->id)) {
				if (diff__link_busy(w)) {
					c->p->resources[res].action = PLAN_ACTION_UPDATE;
					error = diff__link_wait(&step, c, res, w);
					c->listed_step[li] = step;
				}
				goto next;
			}
			c->p->resources[res].action = other ? PLAN_ACTION_UPDATE : PLAN_ACTION_CREATE;
			if (!w) {
				if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_LINK, PLAN_PHASE_LINK, res, wid,
							    NULL, "link workspace %s to cluster %s", diff__last_segment(wid),
							    diff__last_segment(cd->id))) < 0 ||
				    (error = diff__ensure_wait(c, cd, "cluster")) < 0 ||
				    (error = plan__add_dep(c->p, step, cd->tail)) < 0 ||
				    (error = plan__block(c->p, step, DIFF_MSG_WS_NOT_FOUND " (%s)", wid)) < 0 ||
				    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr, "workspace %s not found",
							       wid)) < 0)
					goto next;
				c->listed_step[li] = step;
				goto next;
			}
			if (other) {
				/* linked elsewhere: a move is an unlink then a link, when allowed */
				if (c->opts->allow_unlink) {
					if ((error = diff__unlink(&unlink, c, res, wi, "moving to the cluster the manifest names", true)) < 0)
						goto next;
				}
			} else if (diff__link_busy(w) && (error = diff__link_wait(&wait, c, res, w)) < 0) {
				goto next;
			}
			if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_LINK, PLAN_PHASE_LINK, res, wid, NULL,
						    "link workspace %s to cluster %s, wait, verify features.clusterResourceId",
						    diff__or(w->name, diff__last_segment(wid)),
						    diff__last_segment(cd->id))) < 0)
				goto next;
			/* after the cluster exists and has its key (DESIGN.md step 6) */
			if ((error = diff__ensure_wait(c, cd, "cluster")) < 0 ||
			    (error = plan__add_dep(c->p, step, cd->tail)) < 0 ||
			    (error = plan__add_dep(c->p, step, wait)) < 0 ||
			    (error = plan__add_dep(c->p, step, unlink)) < 0 ||
			    (error = plan__add_param(c->p, step, "clusterResourceId", cd->id)) < 0 ||
			    (error = plan__add_change(c->p, res, "clusterResourceId", other ? w->cluster_resource_id : NULL,
						      cd->id)) < 0 ||
			    (error = plan__add_reason(c->p, res, other ? "linked to another cluster"
								   : "the workspace is not linked")) < 0)
				goto next;
			c->listed_step[li] = step;
			if (c->link_count == c->link_cap) {
				size_t ncap = c->link_cap ? c->link_cap * 2 : 64;
				diff__link *n = realloc(c->links, ncap * sizeof(*n));

				if (!n) {
					error = cmk_error_oom();
					goto next;
				}
				c->links = n;
				c->link_cap = ncap;
			}
			c->links[c->link_count++] = (diff__link){ step, cdi };
			/* preflight */
			if (other && unlink == PLAN_NONE &&
			    (error = plan__block(c->p, step, DIFF_MSG_OTHER_CLUSTER " %s is linked to %s: unlink it first "
						 "(--allow-unlink plans the unlink)", diff__or(w->name, wid),
						 w->cluster_resource_id)) < 0)
				goto next;
			if (w->link_operations_30d >= 0 &&
			    w->link_operations_30d + (unlink != PLAN_NONE ? 1 : 0) >= PLAN_MAX_LINK_OPS_30D &&
			    (error = plan__block(c->p, step, DIFF_MSG_LINK_BUDGET " Workspace %s had %d in the last 30 days%s.",
						 diff__or(w->name, wid), w->link_operations_30d,
						 unlink != PLAN_NONE ? " and the move needs an unlink too" : "")) < 0)
				goto next;
			if (w->location && cloc && !arm_location_equal(w->location, cloc) &&
			    (error = plan__block(c->p, step, DIFF_MSG_REGION ": workspace %s is in %s, the cluster in %s",
						 diff__or(w->name, wid), w->location, cloc)) < 0)
				goto next;
			if (wtenant && ctenant && strcasecmp(wtenant, ctenant) != 0 &&
			    (error = plan__block(c->p, step, DIFF_MSG_REGION ": workspace %s is in tenant %s, the cluster in %s",
						 diff__or(w->name, wid), wtenant, ctenant)) < 0)
				goto next;
next:
			free(addr);
			if (error < 0)
				return error;
		}
	}
	return 0;
}

/* Workspaces linked (live) to a managed cluster but in no manifest, and
 * the count of links per managed cluster. */
static int diff__unlisted(diff_ctx *c)
{
	int error = 0;

	for (size_t wi = 0; wi < c->live->workspace_count; wi++) {
		const live_workspace *w = &c->live->workspaces[wi];
		size_t cdi, res, step;
		diff__doc *cd;
		char *addr;

		if (!w->cluster_resource_id || !*w->cluster_resource_id ||
		    (cdi = diff__map_get(&c->clusters, w->cluster_resource_id)) == PLAN_NONE)
			continue;
		cd = &c->docs[cdi];
		if (diff__map_get(&c->listed, w->id) != PLAN_NONE) {
			/* counted once: an unlink in progress is re-linked by a new link step */
			if (!w->link_state || strcasecmp(w->link_state, "Deleting") != 0)
				cd->linked++;
			continue;
		}
		if ((addr = plan__fmt("Workspace/%s", diff__or(w->name, diff__last_segment(w->id)))) == NULL)
			return cmk_error_oom();
		if ((error = plan__add_resource(&res, c->p, addr, w->id)) < 0 ||
		    (error = plan__touch(c->p, w->id)) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_UNMANAGED_LINK, addr,
					       "workspace %s is linked to managed cluster %s but is in no manifest",
					       w->id, diff__last_segment(cd->id))) < 0)
			goto next;
		if (cd->unlink_unlisted || c->opts->allow_unlink) {
			c->p->resources[res].action = PLAN_ACTION_DELETE;
			if ((error = plan__add_reason(c->p, res, "linked to %s but in no manifest: unlinked (%s)",
						      diff__last_segment(cd->id), cd->unlink_unlisted ? "unlinkUnlisted"
						      : "--allow-unlink")) < 0 ||
			    (error = diff__unlink(&step, c, res, wi, "in no manifest", false)) < 0)
				goto next;
		} else {
			cd->linked++;
			if ((error = plan__add_reason(c->p, res, "linked to %s but in no manifest: left alone "
						      "(unlinkUnlisted: true or --allow-unlink unlinks it)",
						      diff__last_segment(cd->id))) < 0)
				goto next;
		}
next:
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* The 1000-workspace rule, once every link and unlink is known. */
static int diff__link_limit(diff_ctx *c)
{
	int error;

	for (size_t i = 0; i < c->link_count; i++) {
		diff__doc *cd = &c->docs[c->links[i].doc];

		if (!c->p->steps[c->links[i].step].blocked_reason)
			cd->linked++;
	}
	for (size_t i = 0; i < c->link_count; i++) {
		diff__doc *cd = &c->docs[c->links[i].doc];

		if (cd->linked > VALIDATE_MAX_WORKSPACES_PER_CLUSTER &&
		    (error = plan__block(c->p, c->links[i].step, DIFF_MSG_MAX_WS " Cluster %s would have %zu.",
					 diff__last_segment(cd->id), cd->linked)) < 0)
			return error;
	}
	return 0;
}

/* ---- managed clusters no longer in the manifests --------------------------- */

static int diff__orphans(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->live->cluster_count; i++) {
		const live_la_cluster *lc = &c->live->clusters[i];
		bool del_policy;
		size_t res, step;
		char *addr;
		diff__doc tmp;

		if (!lc->id || diff__map_get(&c->clusters, lc->id) != PLAN_NONE ||
		    !diff__has_tag(&lc->tags, PLAN_TAG_MANAGED, "true"))
			continue;
		del_policy = diff__has_tag(&lc->tags, PLAN_TAG_DELETION_POLICY, "Delete");
		if ((addr = plan__fmt("LogAnalyticsCluster/%s", diff__or(lc->name, diff__last_segment(lc->id)))) == NULL)
			return cmk_error_oom();
		if ((error = plan__add_resource(&res, c->p, addr, lc->id)) < 0 || (error = plan__touch(c->p, lc->id)) < 0)
			goto next;
		if (lc->provisioning_state && strcasecmp(lc->provisioning_state, "Deleting") == 0) {
			error = plan__add_reason(c->p, res, "not in the manifests; already being deleted");
			goto next;
		}
		if (!del_policy) {
			error = plan__add_reason(c->p, res, "managed by cmkctl but no longer in the manifests: kept "
						 "(deletionPolicy Retain)");
			if (error == 0)
				error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, addr,
							  "cluster %s is no longer in the manifests (deletionPolicy Retain: kept)",
							  lc->id);
			goto next;
		}
		if (!c->opts->allow_destroy) {
			error = plan__add_reason(c->p, res, "no longer in the manifests, deletionPolicy Delete: "
						 "--allow-destroy deletes it");
			if (error == 0)
				error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, addr,
							  "cluster %s is no longer in the manifests (deletionPolicy Delete: "
							  "kept until --allow-destroy)", lc->id);
			goto next;
		}
		/* delete: unlink its workspaces first (reverse order), wait if busy */
		memset(&tmp, 0, sizeof(tmp));
		tmp.id = lc->id;
		tmp.res = res;
		tmp.lc = lc;
		tmp.busy = lc->busy || !diff_state_terminal(lc->provisioning_state);
		tmp.busy_state = lc->provisioning_state;
		tmp.wait = tmp.tail = PLAN_NONE;
		c->p->resources[res].action = PLAN_ACTION_DELETE;
		if ((error = plan__add_reason(c->p, res, "no longer in the manifests, deletionPolicy Delete, "
					      "--allow-destroy")) < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_DELETE, PLAN_PHASE_DELETE, res, lc->id, lc->id,
					    "delete cluster %s, wait (its name stays reserved for 14 days)",
					    diff__or(lc->name, lc->id))) < 0 ||
		    (error = diff__chain(c, &tmp, step, "cluster")) < 0)
			goto next;
		for (size_t wi = 0; wi < c->live->workspace_count; wi++) {
			const live_workspace *w = &c->live->workspaces[wi];
			size_t wres, un;
			char *waddr;

			if (!w->cluster_resource_id || !arm_id_equal(w->cluster_resource_id, lc->id))
				continue;
			if (c->unlink_step[wi] != PLAN_NONE) { /* moving to a managed cluster: unlinked already */
				if ((error = plan__add_dep(c->p, step, c->unlink_step[wi])) < 0)
					goto next;
				continue;
			}
			if ((waddr = plan__fmt("Workspace/%s", diff__or(w->name, diff__last_segment(w->id)))) == NULL) {
				error = cmk_error_oom();
				goto next;
			}
			error = plan__add_resource(&wres, c->p, waddr, w->id);
			free(waddr);
			if (error < 0 || (error = plan__touch(c->p, w->id)) < 0 ||
			    (error = plan__add_reason(c->p, wres, "its cluster is deleted")) < 0 ||
			    (error = diff__unlink(&un, c, wres, wi, "its cluster is deleted", false)) < 0 ||
			    (error = plan__add_dep(c->p, step, un)) < 0)
				goto next;
			c->p->resources[wres].action = PLAN_ACTION_DELETE;
		}
next:
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- linked storage and components -------------------------------------- */

static int diff__cmp_ci(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The accounts sorted and joined with ", " (a new string). */
static char *diff__join_sorted(char *const *items, size_t n)
{
	char **copy = n ? malloc(n * sizeof(char *)) : NULL;
	cmk_buf b = CMK_BUF_INIT;

	if (n && !copy)
		return NULL;
	if (n)
		memcpy(copy, items, n * sizeof(char *));
	qsort(copy, n, sizeof(char *), diff__cmp_ci);
	for (size_t i = 0; i < n; i++)
		if (cmk_buf_printf(&b, "%s%s", i ? ", " : "", copy[i]) < 0) {
			free(copy);
			cmk_buf_free(&b);
			return NULL;
		}
	free(copy);
	return n ? cmk_buf_detach(&b) : strdup("");
}

static char *diff__join_manifest(const manifest_string *items, size_t n)
{
	char **v = n ? calloc(n, sizeof(char *)) : NULL, *joined;

	if (n && !v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = items[i].value ? items[i].value : "";
	joined = diff__join_sorted(v, n);
	free(v);
	return joined;
}

static int diff__storage(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_linked_storage_account *s = &doc->spec.linked_storage;
		const char *type = manifest_data_source_name(s->data_source_type.value);
		const live_linked_storage *ls;
		char *addr = NULL, *id = NULL, *want = NULL, *have = NULL;
		size_t res, step, wi, lidx;

		if (doc->kind != MANIFEST_KIND_LINKED_STORAGE_ACCOUNT)
			continue;
		if ((addr = diff__address(doc)) == NULL ||
		    (id = plan__fmt("%s/linkedStorageAccounts/%s", s->workspace.value, type)) == NULL ||
		    (want = diff__join_manifest(s->storage_accounts, s->storage_account_count)) == NULL) {
			error = cmk_error_oom();
			goto next;
		}
		if ((error = plan__add_resource(&res, c->p, addr, id)) < 0 || (error = plan__touch(c->p, id)) < 0 ||
		    (error = plan__touch(c->p, s->workspace.value)) < 0)
			goto next;
		wi = diff__map_get(&c->ws, s->workspace.value);
		ls = live_find_linked_storage(c->live, s->workspace.value, type);
		if (ls && (have = diff__join_sorted(ls->storage_accounts, ls->storage_account_count)) == NULL) {
			error = cmk_error_oom();
			goto next;
		}
		if (wi != PLAN_NONE && have && strcasecmp(have, want) == 0)
			goto next;
		c->p->resources[res].action = ls ? PLAN_ACTION_UPDATE : PLAN_ACTION_CREATE;
		if ((error = plan__add_change(c->p, res, "storageAccounts", have, want)) < 0 ||
		    (error = plan__add_reason(c->p, res, ls ? "the linked storage accounts differ"
							    : "no %s storage account is linked", type)) < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_LINKED_STORAGE_SET, PLAN_PHASE_LINKED_STORAGE, res, id,
					    NULL, "link storage account%s for %s to workspace %s",
					    s->storage_account_count == 1 ? "" : "s", type,
					    diff__last_segment(s->workspace.value))) < 0 ||
		    (error = plan__add_param(c->p, step, "workspaceId", s->workspace.value)) < 0 ||
		    (error = plan__add_param(c->p, step, "dataSourceType", type)) < 0 ||
		    (error = plan__add_param(c->p, step, "storageAccountIds", want)) < 0)
			goto next;
		/* after the workspace's link (DESIGN.md step 7) */
		if ((lidx = diff__map_get(&c->listed, s->workspace.value)) != PLAN_NONE &&
		    (error = plan__add_dep(c->p, step, c->listed_step[lidx])) < 0)
			goto next;
		if (wi == PLAN_NONE &&
		    (error = plan__block(c->p, step, DIFF_MSG_WS_NOT_FOUND " (%s)", s->workspace.value)) < 0)
			goto next;
next:
		free(addr);
		free(id);
		free(want);
		free(have);
		if (error < 0)
			return error;
	}
	return 0;
}

static int diff__components(diff_ctx *c)
{
	int error = 0;

	for (size_t i = 0; i < c->set->count; i++) {
		const manifest_doc *doc = c->set->docs[i];
		const manifest_app_insights_component_link *s = &doc->spec.app_insights;
		const live_component *lc;
		diff__doc *cd;
		char *addr = NULL, *want = NULL;
		size_t res, step;
		const char *cloc;

		if (doc->kind != MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK)
			continue;
		cd = &c->docs[diff__doc_index(c, s->cluster.target)];
		cloc = s->cluster.target->spec.cluster.location.value;
		if ((addr = diff__address(doc)) == NULL)
			return cmk_error_oom();
		if ((error = plan__add_resource(&res, c->p, addr, s->component.value)) < 0 ||
		    (error = plan__touch(c->p, s->component.value)) < 0)
			goto next;
		lc = live_find_component(c->live, s->component.value);
		if (lc && lc->cluster_definition_id && cd->lc &&
		    ((cd->lc->cluster_id && strcasecmp(lc->cluster_definition_id, cd->lc->cluster_id) == 0) ||
		     arm_id_equal(lc->cluster_definition_id, cd->id)))
			goto next;
		/* clusterDefinitionId is the cluster's clusterId (seed 000) */
		if (cd->lc && cd->lc->cluster_id)
			want = strdup(cd->lc->cluster_id);
		else if (cd->create != PLAN_NONE)
			want = plan__ref(c->p, cd->create, "clusterId");
		else
			want = strdup(cd->id);
		if (!want) {
			error = cmk_error_oom();
			goto next;
		}
		c->p->resources[res].action = PLAN_ACTION_UPDATE;
		if ((error = plan__add_change(c->p, res, "clusterDefinitionId", lc ? lc->cluster_definition_id : NULL,
					      want)) < 0 ||
		    (error = plan__add_reason(c->p, res, "the component is not associated with cluster %s",
					      diff__last_segment(cd->id))) < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_COMPONENT_LINK, PLAN_PHASE_COMPONENT, res,
					    s->component.value, NULL, "associate component %s with cluster %s",
					    diff__last_segment(s->component.value), diff__last_segment(cd->id))) < 0 ||
		    (error = diff__ensure_wait(c, cd, "cluster")) < 0 ||
		    (error = plan__add_dep(c->p, step, cd->tail)) < 0 ||
		    (error = plan__add_param(c->p, step, "clusterDefinitionId", want)) < 0)
			goto next;
		if (!lc) {
			if ((error = plan__block(c->p, step, "Application Insights component %s not found",
						 s->component.value)) < 0 ||
			    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr, "component %s not found",
						       s->component.value)) < 0)
				goto next;
		} else if (lc->location && cloc && !arm_location_equal(lc->location, cloc) &&
			   (error = plan__block(c->p, step, DIFF_MSG_REGION ": component %s is in %s, the cluster in %s",
						diff__last_segment(s->component.value), lc->location, cloc)) < 0) {
			goto next;
		}
next:
		free(addr);
		free(want);
		if (error < 0)
			return error;
	}
	return 0;
}

/* ---- entry point --------------------------------------------------------- */

int plan_build(plan **out, const manifest_set *set, const live_state *live, const plan_options *opts)
{
	static const plan_options defaults = PLAN_OPTIONS_INIT;
	diff_ctx c;
	char now[32];
	size_t nlisted = 0;
	int error;

	memset(&c, 0, sizeof(c));
	c.set = set;
	c.live = live;
	c.opts = opts ? opts : &defaults;
	c.now = c.opts->now ? c.opts->now : time(NULL);
	*out = NULL;

	for (size_t i = 0; i < set->count; i++) {
		const manifest_doc *d = set->docs[i];

		if (d->has_errors)
			return cmk_error_set(CMK_EINVALID, "%s/%s has errors: validate the manifests first",
					     manifest_kind_name(d->kind), d->name.value ? d->name.value : "?");
		if ((d->kind == MANIFEST_KIND_LOG_ANALYTICS_CLUSTER && d->spec.cluster.key.name.value &&
		     !d->spec.cluster.key.target) ||
		    (d->kind == MANIFEST_KIND_WORKSPACE_LINK && !d->spec.workspace_link.cluster.target) ||
		    (d->kind == MANIFEST_KIND_KUSTO_CLUSTER_KEY && !d->spec.kusto.key.target) ||
		    (d->kind == MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK && !d->spec.app_insights.cluster.target))
			return cmk_error_set(CMK_EINVALID, "%s/%s has unresolved references: validate the manifests first",
					     manifest_kind_name(d->kind), d->name.value ? d->name.value : "?");
		if (d->kind == MANIFEST_KIND_WORKSPACE_LINK)
			nlisted += d->spec.workspace_link.workspace_count;
	}

	if ((error = plan__alloc(&c.p)) < 0)
		goto out;
	diff_format_time(now, sizeof(now), c.now);
	if ((c.p->now = strdup(now)) == NULL ||
	    (set->count && (c.docs = calloc(set->count, sizeof(diff__doc))) == NULL) ||
	    (nlisted && (c.listed_step = calloc(nlisted, sizeof(size_t))) == NULL) ||
	    (live->workspace_count && (c.unlink_step = calloc(live->workspace_count, sizeof(size_t))) == NULL)) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < set->count; i++) {
		diff__doc *d = &c.docs[i];

		d->res = d->principal_step = d->create = d->wait = d->tail = PLAN_NONE;
	}
	if ((error = diff__map_init(&c.ws, live->workspace_count)) < 0 ||
	    (error = diff__map_init(&c.listed, nlisted)) < 0 ||
	    (error = diff__map_init(&c.clusters, set->count)) < 0)
		goto out;
	for (size_t i = 0; i < live->workspace_count; i++) {
		c.unlink_step[i] = PLAN_NONE;
		if (live->workspaces[i].id)
			diff__map_put(&c.ws, live->workspaces[i].id, i);
	}
	c.listed_count = nlisted;
	for (size_t i = 0, li = 0; i < set->count; i++) {
		const manifest_doc *d = set->docs[i];

		if (d->kind != MANIFEST_KIND_WORKSPACE_LINK)
			continue;
		for (size_t j = 0; j < d->spec.workspace_link.workspace_count; j++, li++)
			diff__map_put(&c.listed, d->spec.workspace_link.workspaces[j].id.value, li);
	}

	if ((error = diff__keys(&c)) < 0 || (error = diff__identities(&c)) < 0 ||
	    (error = diff__clusters(&c)) < 0 || (error = diff__kusto(&c)) < 0 ||
	    (error = diff__links(&c)) < 0 || (error = diff__orphans(&c)) < 0 ||
	    (error = diff__unlisted(&c)) < 0 || (error = diff__link_limit(&c)) < 0 ||
	    (error = diff__storage(&c)) < 0 || (error = diff__components(&c)) < 0 ||
	    (error = plan__finish(c.p)) < 0)
		goto out;
	*out = c.p;
	c.p = NULL;
out:
	for (size_t i = 0; c.docs && i < set->count; i++) {
		free(c.docs[i].id);
		free(c.docs[i].principal);
		free(c.docs[i].key_id);
		free(c.docs[i].version);
		free(c.docs[i].problem);
	}
	free(c.docs);
	free(c.ws.slots);
	free(c.listed.slots);
	free(c.clusters.slots);
	free(c.listed_step);
	free(c.links);
	free(c.unlink_step);
	plan_free(c.p);
	return error;
}
