/*
 * exec_steps.c - one handler per step kind (the table follows
 * PLAN_STEP_KINDS, planner/plan.h): each turns a step's typed params into
 * the call of its resource's adapter (providers/adapter_*.h), and checks
 * what the step's read-back must show. The link kinds are in exec_links.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "planner/diff.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_identity.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_resource.h"
#include "providers/adapter_role.h"
#include "providers/adapter_vault.h"
#include "reconciler/exec_internal.h"

/* The step `idx` a reference "@<step-id>.<field>" names; *field after the dot. */
static int exec__ref_step(size_t *idx, const char **field, const exec_run *w, const plan_step *s, const char *v)
{
	const char *dot = strrchr(v, '.');

	if (!dot)
		return cmk_error_set(CMK_EINVALID, "step %s: bad reference '%s'", s->id, v);
	for (*idx = 0; *idx < w->p->step_count; (*idx)++)
		if (strlen(w->p->steps[*idx].id) == (size_t)(dot - v - 1) &&
		    strncmp(w->p->steps[*idx].id, v + 1, (size_t)(dot - v - 1)) == 0)
			break;
	if (*idx == w->p->step_count)
		return cmk_error_set(CMK_EINVALID, "step %s: '%s' names no step of the plan", s->id, v);
	if (w->r->steps[*idx].status != REPORT_SUCCEEDED)
		return cmk_error_set(CMK_ERROR, "step %s: %s did not succeed", s->id, w->p->steps[*idx].id);
	*field = dot + 1;
	return 0;
}

/*
 * A string param, with "@<step-id>.<field>" resolved from that step's
 * read-back (or, when the read-back lacks it, a GET of its target).
 * *out is owned by the caller (NULL when the step has no such param).
 */
static int exec__param(char **out, exec_run *w, const plan_step *s, const char *name)
{
	const char *v = plan_step_param_str(s, name), *field = NULL, *found;
	report_step *src;
	size_t idx = 0; /* set by exec__ref_step on success; gcc -O2 cannot tell */
	int error;

	*out = NULL;
	if (!v)
		return 0;
	if (v[0] != '@')
		return (*out = strdup(v)) ? 0 : cmk_error_oom();
	if ((error = exec__ref_step(&idx, &field, w, s, v)) < 0)
		return error;
	src = &w->r->steps[idx];
	found = adapter_resource_field(src->readback, field);
	if (!found && w->p->steps[idx].target) {
		cJSON *fresh = NULL;

		if ((error = adapter_resource_read(&fresh, w->c, w->p->steps[idx].target)) < 0)
			return error;
		cJSON_Delete(src->readback);
		src->readback = fresh;
		found = adapter_resource_field(fresh, field);
	}
	if (!found)
		return cmk_error_set(CMK_ERROR, "step %s: %s has no %s after %s", s->id, w->p->steps[idx].target,
				     field, w->p->steps[idx].id);
	return (*out = strdup(found)) ? 0 : cmk_error_oom();
}

/* The key params (keyVaultUri, keyName, keyVersion) into `key`; NULL when
 * the step names no key. Strings point into the plan. */
static const live_key_ref *exec__key(live_key_ref *key, const plan_step *s)
{
	memset(key, 0, sizeof(*key));
	if (!plan_step_param_str(s, "keyVaultUri"))
		return NULL;
	key->vault_uri = (char *)plan_step_param_str(s, "keyVaultUri");
	key->key_name = (char *)plan_step_param_str(s, "keyName");
	key->key_version = (char *)plan_step_param_str(s, "keyVersion");
	return key;
}

/* ---- waits ------------------------------------------------------------- */

static int exec__wait_cluster(arm_op **out, const plan_step *s)
{
	return adapter_resource_wait_begin(out, s->target);
}

static const exec_handler exec__h_cluster_wait = { .wait = exec__wait_cluster, .wait_role = EXEC_OP_WRITE };

/* ---- identities ---------------------------------------------------------- */

static int exec__send_identity(exec_sent *out, exec_run *w, const plan_step *s)
{
	static const live_tags none = { NULL, 0 };
	const live_tags *tags = plan_step_param_map(s, "tags");

	return adapter_identity_put(&out->readback, w->c, s->target, plan_step_param_str(s, "location"),
				    tags ? tags : &none, &out->err);
}

static const exec_handler exec__h_identity_create = { .send = exec__send_identity };
static const exec_handler exec__h_identity_update = { .send = exec__send_identity };

/* ---- Log Analytics clusters -------------------------------------------------- */

static void exec__cluster_spec(adapter_cluster_spec *spec, live_key_ref *key, const plan_step *s)
{
	int64_t capacity = 0;

	memset(spec, 0, sizeof(*spec));
	spec->location = plan_step_param_str(s, "location");
	spec->cluster_type = plan_step_param_str(s, "clusterType");
	spec->identity_type = plan_step_param_str(s, "identityType");
	spec->user_identity_id = plan_step_param_str(s, "userAssignedIdentity");
	spec->capacity = plan_step_param_int(&capacity, s, "capacity") ? capacity : 0;
	spec->billing_type = plan_step_param_str(s, "billingType");
	spec->double_encryption = plan_step_param_bool(s, "isDoubleEncryptionEnabled");
	spec->availability_zones = plan_step_param_bool(s, "isAvailabilityZonesEnabled");
	spec->tags = plan_step_param_map(s, "tags");
	spec->key = exec__key(key, s);
}

static int exec__send_cluster_create(exec_sent *out, exec_run *w, const plan_step *s)
{
	adapter_cluster_spec spec;
	live_key_ref key;

	exec__cluster_spec(&spec, &key, s);
	return adapter_cluster_create(&out->op, w->c, s->target, &spec, &out->err);
}

static int exec__send_cluster_update(exec_sent *out, exec_run *w, const plan_step *s)
{
	adapter_cluster_spec spec;
	live_key_ref key;

	exec__cluster_spec(&spec, &key, s);
	return adapter_cluster_update(&out->op, w->c, s->target, &spec, &out->err);
}

static int exec__send_cluster_key(exec_sent *out, exec_run *w, const plan_step *s)
{
	live_key_ref key;

	exec__key(&key, s);
	return adapter_cluster_update_key(&out->op, w->c, s->target, &key, &out->err);
}

static const char *exec__version_text(const char *v)
{
	return v && *v ? v : "(versionless)";
}

/* A read that lags its write (the cluster shows its old key for a while
 * after the update succeeded) is "not yet": read again, this often, within
 * this window, before calling the read-back wrong. */
#define EXEC_READBACK_WINDOW_MS (10LL * 60 * 1000)
#define EXEC_READBACK_PAUSE_MS (10LL * 1000)

/* After a key update: the cluster reports the key that was set. */
static void exec__verify_cluster_key(exec_run *w, size_t i)
{
	const plan_step *s = &w->p->steps[i];
	report_step *rs = &w->r->steps[i];
	const char *name, *version, *want_name = plan_step_param_str(s, "keyName"),
				    *want_version = plan_step_param_str(s, "keyVersion");
	int64_t deadline = arm_now_ms() + arm_client_scale_ms(w->c, EXEC_READBACK_WINDOW_MS);
	cJSON *fresh = NULL;
	char msg[1024];

	for (bool first = true;; first = false) {
		if ((!adapter_cluster_key_of(&name, &version, rs->readback) || !first) &&
		    adapter_resource_read(&fresh, w->c, s->target) == 0) {
			cJSON_Delete(rs->readback);
			rs->readback = fresh;
			fresh = NULL;
			adapter_cluster_key_of(&name, &version, rs->readback);
		}
		cmk_error_clear();
		if (name && want_name && strcasecmp(name, want_name) == 0 &&
		    diff_key_version_equal(version, want_version))
			return;
		if (arm_now_ms() >= deadline || exec__canceled(w))
			break;
		usleep((useconds_t)(arm_client_scale_ms(w->c, EXEC_READBACK_PAUSE_MS) * 1000 + 1000));
	}
	snprintf(msg, sizeof(msg), "read-back: cluster %s reports key %s version %s, not %s version %s", s->target,
		 name ? name : "(none)", exec__version_text(version), want_name ? want_name : "(none)",
		 exec__version_text(want_version));
	exec__fail(w, i, msg);
}

static const exec_handler exec__h_cluster_create = { .send = exec__send_cluster_create };
static const exec_handler exec__h_cluster_update = { .send = exec__send_cluster_update };
static const exec_handler exec__h_cluster_key = { .send = exec__send_cluster_key,
						  .verify = exec__verify_cluster_key };

static int exec__send_cluster_delete(exec_sent *out, exec_run *w, const plan_step *s)
{
	return adapter_cluster_delete(&out->op, w->c, s->target, &out->err);
}

static const exec_handler exec__h_cluster_delete = { .send = exec__send_cluster_delete };

/* ---- key access ------------------------------------------------------------ */

static int exec__send_key_grant(exec_sent *out, exec_run *w, const plan_step *s)
{
	const char *mode = plan_step_param_str(s, "mode");
	char *principal = NULL;
	int error;

	if ((error = exec__param(&principal, w, s, "principalId")) < 0)
		return error;
	if (!principal)
		return cmk_error_set(CMK_EINVALID, "step %s has no principalId", s->id);
	if (mode && strcmp(mode, "rbac") == 0)
		error = adapter_role_assign(NULL, w->c, plan_step_param_str(s, "scope"), principal,
					    plan_step_param_str(s, "roleDefinitionId"), &out->err);
	else
		error = adapter_access_policy_grant(NULL, w->c, plan_step_param_str(s, "vaultId"),
						    plan_step_param_str(s, "tenantId"), principal, &out->err);
	free(principal);
	return error;
}

static const exec_handler exec__h_key_grant = { .send = exec__send_key_grant };

/* ---- Kusto clusters ------------------------------------------------------------ */

static int exec__send_kusto_identity(exec_sent *out, exec_run *w, const plan_step *s)
{
	adapter_kusto_spec spec = { 0 };
	const char *uai[1];

	spec.identity_type = plan_step_param_str(s, "identityType");
	if ((uai[0] = plan_step_param_str(s, "userAssignedIdentity")) != NULL) {
		spec.user_identities = uai;
		spec.user_identity_count = 1;
	}
	return adapter_kusto_update(&out->op, w->c, s->target, &spec, &out->err);
}

static int exec__send_kusto_key(exec_sent *out, exec_run *w, const plan_step *s)
{
	adapter_kusto_spec spec = { 0 };
	live_key_ref key = { 0 };

	key.vault_uri = (char *)plan_step_param_str(s, "keyVaultUri");
	key.key_name = (char *)plan_step_param_str(s, "keyName");
	key.key_version = (char *)plan_step_param_str(s, "keyVersion");
	key.user_identity = (char *)plan_step_param_str(s, "userIdentity");
	spec.key = &key;
	return adapter_kusto_update(&out->op, w->c, s->target, &spec, &out->err);
}

static const exec_handler exec__h_kusto_identity = { .send = exec__send_kusto_identity };
static const exec_handler exec__h_kusto_key = { .send = exec__send_kusto_key };

/* ---- linked storage, components ---------------------------------------------- */

static int exec__send_storage_link(exec_sent *out, exec_run *w, const plan_step *s)
{
	size_t n = 0;
	char *const *ids = plan_step_param_list(s, "storageAccountIds", &n);

	if (!ids)
		return cmk_error_set(CMK_EINVALID, "step %s has no storageAccountIds", s->id);
	return adapter_linked_storage_put(&out->readback, w->c, plan_step_param_str(s, "workspaceId"),
					  plan_step_param_str(s, "dataSourceType"), (const char *const *)ids, n,
					  &out->err);
}

static int exec__send_component_link(exec_sent *out, exec_run *w, const plan_step *s)
{
	char *cluster = NULL;
	int error;

	if ((error = exec__param(&cluster, w, s, "clusterDefinitionId")) < 0)
		return error;
	error = adapter_component_associate(&out->readback, w->c, s->target, cluster ? cluster : "", &out->err);
	free(cluster);
	return error;
}

static const exec_handler exec__h_storage_link = { .send = exec__send_storage_link };
static const exec_handler exec__h_component_link = { .send = exec__send_component_link };

/* ---- the table ------------------------------------------------------------------ */

static const exec_handler *const exec__handlers[PLAN_STEP__COUNT] = {
#define EXEC__HANDLER(id, tok, name, phase, flags, what) [PLAN_STEP_##id] = &exec__h_##tok,
	PLAN_STEP_KINDS(EXEC__HANDLER)
#undef EXEC__HANDLER
};

const exec_handler *exec__handler(plan_step_kind k)
{
	return (unsigned)k < PLAN_STEP__COUNT ? exec__handlers[k] : NULL;
}
