/*
 * executor.c - runs a plan's steps, each as soon as it is ready (see executor.h).
 */
#include "reconciler/executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/arm_id.h"
#include "common/log.h"
#include "planner/diff.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_identity.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_link.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_role.h"
#include "providers/adapter_util.h"
#include "providers/adapter_vault.h"
#include "providers/adapter_workspace.h"
#include "providers/lro.h"

/* Sending the same request again after waiting for a busy resource. */
#define EXEC_BUSY_RETRIES 3
/* A wait step or a ticker: observed, never polled by lro. */
#define EXEC_TICKER_TIMEOUT_S (7LL * 24 * 3600)

/* What an operation of the run is for. */
typedef enum {
	EXEC_OP_WRITE = 0,   /* the operation of a step's write */
	EXEC_OP_LINK_WAIT,   /* link.wait: the linked service until it is idle */
} exec_op_role;

typedef struct {
	arm_op *op;
	size_t step;         /* plan step index */
	exec_op_role role;
	bool done;           /* its end was recorded in the report */
} exec_op;

/* A cluster lock and what holds it now. */
typedef struct {
	const char *lock;
	size_t writes;       /* running steps other than links */
	size_t links;        /* running links (they may overlap each other) */
} exec_lock;

/* The state of one run of the executor. */
typedef struct {
	arm_client *c;
	const plan *p;
	report *r;
	const executor_opts *o;
	exec_op *ops;        /* every operation started, in start order */
	size_t n, cap;
	arm_op **add;        /* operations started by the current `more` call */
	size_t add_n, add_cap;
	size_t *ready, *links, *verify;
	exec_lock *locks;
	size_t nlocks;
	bool changed;        /* a step started or ended since the last schedule */
	bool *resent;        /* per step: sent again after its operation failed */
	int error;           /* a failure outside the steps (journal I/O) */
	adapter_link_observer observer;
} exec_run;

static int exec__canceled(arm_client *c)
{
	return arm_client_canceled(c);
}

/* Wall clock, epoch milliseconds (what arm_op.started_ms counts in). */
static int64_t exec__wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- small helpers ---------------------------------------------------- */

static const char *exec__api_for(const char *id)
{
	if (strcasestr(id, "/providers/Microsoft.Kusto/"))
		return ADAPTER_API_KUSTO;
	if (strcasestr(id, "/providers/Microsoft.ManagedIdentity/"))
		return ADAPTER_API_MSI;
	if (strcasestr(id, "/providers/Microsoft.Insights/"))
		return ADAPTER_API_COMPONENTS;
	return ADAPTER_API_LA;
}

/* A new operation followed by reading the resource's provisioningState:
 * how a step waits for an operation it did not start. */
static int exec__resource_op(arm_op **out, arm_op_kind kind, const char *id, bool observed)
{
	arm_op *op = calloc(1, sizeof(*op));

	*out = NULL;
	if (!op || !(op->method = strdup("PATCH")) || !(op->resource_id = strdup(id)) ||
	    !(op->resource_url = strdup(id)) || !(op->api_version = strdup(exec__api_for(id)))) {
		arm_op_free(op);
		return cmk_error_oom();
	}
	op->kind = kind;
	op->mode = ARM_POLL_RESOURCE;
	op->final_via = ARM_FINAL_NONE;
	op->state = ARM_OP_POLL_WAIT;
	op->retry_after_ms = -1;
	op->poll_now = 1;
	op->observed = observed;
	op->started_ms = exec__wall_ms();
	op->timeout_s = observed ? EXEC_TICKER_TIMEOUT_S : arm_op_kind_timeout_s(kind);
	*out = op;
	return 0;
}

/* Tags from the plan's JSON object text. */
static int exec__tags(live_tags *out, const char *json_text)
{
	cJSON *doc;
	int error;

	memset(out, 0, sizeof(*out));
	if (!json_text)
		return 0;
	if ((doc = cJSON_Parse(json_text)) == NULL || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return cmk_error_set(CMK_EINVALID, "tags are not a JSON object: %s", json_text);
	}
	error = adapter_tags_parse(out, doc);
	cJSON_Delete(doc);
	return error;
}

static void exec__tags_free(live_tags *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].key);
		free(t->items[i].value);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

static bool exec__true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

static const char *exec__field_of(const cJSON *body, const char *field)
{
	static const char *const prefixes[] = { "", "identity.", "properties." };
	char path[128];
	const char *v;

	for (size_t i = 0; body && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", prefixes[i], field);
		if ((v = adapter_str(body, path)) != NULL && *v)
			return v;
	}
	return NULL;
}

/*
 * A param value, with "@<step-id>.<field>" resolved from that step's
 * read-back (or, when the read-back lacks it, a GET of its target).
 * *out is owned by the caller.
 */
static int exec__param(char **out, exec_run *w, const plan_step *s, const char *name)
{
	const char *v = plan_step_param(s, name), *dot, *found;
	size_t idx;
	int error;

	*out = NULL;
	if (!v)
		return 0;
	if (v[0] != '@') {
		if ((*out = strdup(v)) == NULL)
			return cmk_error_oom();
		return 0;
	}
	if ((dot = strrchr(v, '.')) == NULL)
		return cmk_error_set(CMK_EINVALID, "step %s: bad reference '%s'", s->id, v);
	for (idx = 0; idx < w->p->step_count; idx++)
		if (strlen(w->p->steps[idx].id) == (size_t)(dot - v - 1) &&
		    strncmp(w->p->steps[idx].id, v + 1, (size_t)(dot - v - 1)) == 0)
			break;
	if (idx == w->p->step_count)
		return cmk_error_set(CMK_EINVALID, "step %s: '%s' names no step of the plan", s->id, v);
	if (w->r->steps[idx].status != REPORT_SUCCEEDED)
		return cmk_error_set(CMK_ERROR, "step %s: %s did not succeed", s->id, w->p->steps[idx].id);
	found = exec__field_of(w->r->steps[idx].readback, dot + 1);
	if (!found && w->p->steps[idx].target) {
		cJSON *fresh = NULL;
		const char *target = w->p->steps[idx].target;

		if ((error = adapter_read(&fresh, w->c, target, exec__api_for(target), ARM_AUD_ARM, target)) < 0)
			return error;
		cJSON_Delete(w->r->steps[idx].readback);
		w->r->steps[idx].readback = fresh;
		found = exec__field_of(fresh, dot + 1);
	}
	if (!found)
		return cmk_error_set(CMK_ERROR, "step %s: %s has no %s after %s", s->id, w->p->steps[idx].target,
				     dot + 1, w->p->steps[idx].id);
	if ((*out = strdup(found)) == NULL)
		return cmk_error_oom();
	return 0;
}

static int exec__add_op(exec_run *w, arm_op *op, size_t step, exec_op_role role)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		exec_op *grown = realloc(w->ops, cap * sizeof(*grown));

		if (!grown)
			return cmk_error_oom();
		w->ops = grown;
		w->cap = cap;
	}
	w->ops[w->n++] = (exec_op){ op, step, role, false };
	if (w->add_n == w->add_cap) {
		size_t cap = w->add_cap ? w->add_cap * 2 : 16;
		arm_op **grown = realloc(w->add, cap * sizeof(*grown));

		if (!grown) {
			w->n--;
			return cmk_error_oom();
		}
		w->add = grown;
		w->add_cap = cap;
	}
	w->add[w->add_n++] = op;
	w->changed = true;
	return 0;
}

static void exec__fail(exec_run *w, size_t i, const char *msg)
{
	report_step *rs = &w->r->steps[i];

	rs->status = REPORT_FAILED;
	rs->ended_ms = arm_now_ms();
	w->changed = true; /* dependents are skipped at the next schedule */
	if (report_step_set_error(rs, msg && *msg ? msg : "failed") < 0)
		cmk_error_clear();
	if (w->o->progress) {
		char buf[2048];

		snprintf(buf, sizeof(buf), "failed: %s", msg && *msg ? msg : "failed");
		progress_event(w->o->progress, w->p->steps[i].id, buf);
	}
}

/* The one-line message of a failed call: the structured error when there
 * is one, else the thread's last error. */
static void exec__fail_err(exec_run *w, size_t i, const arm_error *err)
{
	char *line = err ? arm_error_line(err) : NULL;

	exec__fail(w, i, line ? line : cmk_error_last());
	free(line);
}

static void exec__succeed(exec_run *w, size_t i, cJSON *readback)
{
	report_step *rs = &w->r->steps[i];

	rs->status = REPORT_SUCCEEDED;
	rs->ended_ms = arm_now_ms();
	w->changed = true; /* dependents may be ready */
	cJSON_Delete(rs->readback);
	rs->readback = readback;
	if (w->o->progress)
		progress_event(w->o->progress, w->p->steps[i].id, "succeeded");
}

/* ---- waiting for a busy resource (the documented 400/409) ------------- */

/* Wait until the cluster (or the workspace's linked service) is idle. */
static int exec__wait_idle(exec_run *w, const plan_step *s)
{
	if (s->kind == PLAN_STEP_WORKSPACE_LINK || s->kind == PLAN_STEP_WORKSPACE_UNLINK) {
		int64_t deadline = arm_now_ms() + arm_client_scale_ms(w->c, 90LL * 60 * 1000 * 2);

		while (arm_now_ms() < deadline) {
			char *state = NULL;
			int error = adapter_link_get(&state, NULL, w->c, s->target);
			bool idle = error == CMK_ENOTFOUND ||
				    (error == 0 && arm_status_classify(state) != ARM_STATUS_RUNNING);

			free(state);
			cmk_error_clear();
			if (idle)
				return 0;
			if (exec__canceled(w->c))
				return cmk_error_set(CMK_ECANCELED, "canceled");
			usleep((useconds_t)(arm_client_scale_ms(w->c, 20000) * 1000 + 1000));
		}
		return cmk_error_set(CMK_ETIMEOUT, "the link operation on %s did not end", s->target);
	} else {
		const char *id = s->lock ? s->lock : s->target;
		arm_op *op = NULL;
		int error;

		if ((error = exec__resource_op(&op, strcasestr(id, "Microsoft.Kusto") ? ARM_OP_KUSTO_UPDATE
										       : ARM_OP_CLUSTER_UPDATE,
					       id, false)) < 0)
			return error;
		error = arm_op_wait(w->c, op, NULL);
		/* a Failed earlier operation leaves the resource idle too */
		if (error < 0 && (op->state == ARM_OP_FAILED || op->state == ARM_OP_CANCELED)) {
			cmk_error_clear();
			error = 0;
		}
		arm_op_free(op);
		return error;
	}
}

/* ---- starting one step ----------------------------------------------- */

/*
 * Send step i's write. Returns 0 with *op_out the operation to wait for
 * (NULL when the step completed synchronously and was recorded), or a
 * negative code with *err_out the structured error (when ARM answered).
 */
static int exec__send(arm_op **op_out, arm_error **err_out, cJSON **readback, exec_run *w, size_t i)
{
	const plan_step *s = &w->p->steps[i];
	char *a = NULL;
	live_tags tags = { 0 };
	live_state tmp = { 0 };
	int error = 0;

	*op_out = NULL;
	*err_out = NULL;
	*readback = NULL;
	switch (s->kind) {
	case PLAN_STEP_IDENTITY_CREATE:
	case PLAN_STEP_IDENTITY_UPDATE:
		if ((error = exec__tags(&tags, plan_step_param(s, "tags"))) < 0 ||
		    (error = adapter_identity_create(&tmp, w->c, s->target, plan_step_param(s, "location"), &tags,
						     err_out)) < 0)
			break;
		if (tmp.identity_count && (*readback = cJSON_CreateObject()) != NULL) {
			if (tmp.identities[0].principal_id)
				cJSON_AddStringToObject(*readback, "principalId", tmp.identities[0].principal_id);
			if (tmp.identities[0].client_id)
				cJSON_AddStringToObject(*readback, "clientId", tmp.identities[0].client_id);
		}
		break;
	case PLAN_STEP_CLUSTER_CREATE:
	case PLAN_STEP_CLUSTER_UPDATE: {
		adapter_cluster_spec spec = { 0 };
		live_key_ref key = { 0 };

		spec.location = plan_step_param(s, "location");
		spec.cluster_type = plan_step_param(s, "clusterType");
		spec.identity_type = plan_step_param(s, "identityType");
		spec.user_identity_id = plan_step_param(s, "userAssignedIdentity");
		spec.capacity = plan_step_param(s, "capacity") ? atoll(plan_step_param(s, "capacity")) : 0;
		spec.billing_type = plan_step_param(s, "billingType");
		spec.double_encryption = plan_step_param(s, "isDoubleEncryptionEnabled")
						 ? exec__true(plan_step_param(s, "isDoubleEncryptionEnabled")) : -1;
		spec.availability_zones = plan_step_param(s, "isAvailabilityZonesEnabled")
						  ? exec__true(plan_step_param(s, "isAvailabilityZonesEnabled")) : -1;
		if ((error = exec__tags(&tags, plan_step_param(s, "tags"))) < 0)
			break;
		if (plan_step_param(s, "tags"))
			spec.tags = &tags;
		if (plan_step_param(s, "keyVaultUri")) {
			key.vault_uri = (char *)plan_step_param(s, "keyVaultUri");
			key.key_name = (char *)plan_step_param(s, "keyName");
			key.key_version = (char *)plan_step_param(s, "keyVersion");
			spec.key = &key;
		}
		if (s->kind == PLAN_STEP_CLUSTER_UPDATE)
			error = adapter_cluster_update(op_out, w->c, s->target, &spec, err_out);
		else
			error = adapter_cluster_create(op_out, w->c, s->target, &spec, err_out);
		break;
	}
	case PLAN_STEP_KEY_GRANT: {
		const char *mode = plan_step_param(s, "mode");

		if ((error = exec__param(&a, w, s, "principalId")) < 0)
			break;
		if (!a) {
			error = cmk_error_set(CMK_EINVALID, "step %s has no principalId", s->id);
			break;
		}
		if (mode && strcmp(mode, "rbac") == 0)
			error = adapter_role_assign(NULL, w->c, plan_step_param(s, "scope"), a,
						    plan_step_param(s, "roleDefinitionId"), err_out);
		else
			error = adapter_access_policy_grant(NULL, w->c, plan_step_param(s, "vaultId"),
							    plan_step_param(s, "tenantId"), a, err_out);
		break;
	}
	case PLAN_STEP_CLUSTER_KEY_UPDATE: {
		live_key_ref key = { 0 };

		key.vault_uri = (char *)plan_step_param(s, "keyVaultUri");
		key.key_name = (char *)plan_step_param(s, "keyName");
		key.key_version = (char *)plan_step_param(s, "keyVersion");
		error = adapter_cluster_update_key(op_out, w->c, s->target, &key, err_out);
		break;
	}
	case PLAN_STEP_KUSTO_IDENTITY_UPDATE:
	case PLAN_STEP_KUSTO_KEY_UPDATE: {
		adapter_kusto_spec spec = { 0 };
		live_key_ref key = { 0 };
		const char *uai[1];

		if (s->kind == PLAN_STEP_KUSTO_IDENTITY_UPDATE) {
			spec.identity_type = plan_step_param(s, "identityType");
			if ((uai[0] = plan_step_param(s, "userAssignedIdentity")) != NULL) {
				spec.user_identities = uai;
				spec.user_identity_count = 1;
			}
		} else {
			key.vault_uri = (char *)plan_step_param(s, "keyVaultUri");
			key.key_name = (char *)plan_step_param(s, "keyName");
			key.key_version = (char *)plan_step_param(s, "keyVersion");
			key.user_identity = (char *)plan_step_param(s, "userIdentity");
			spec.key = &key;
		}
		error = adapter_kusto_update(op_out, w->c, s->target, &spec, err_out);
		break;
	}
	case PLAN_STEP_WORKSPACE_LINK:
		if ((error = adapter_link_begin(op_out, w->c, s->target, plan_step_param(s, "clusterResourceId"),
						err_out)) == 0)
			(*op_out)->observed = 1;
		break;
	case PLAN_STEP_WORKSPACE_UNLINK:
		if ((error = adapter_unlink_begin(op_out, w->c, s->target, err_out)) == 0)
			(*op_out)->observed = 1;
		break;
	case PLAN_STEP_LINKED_STORAGE_SET: {
		const char *ids = plan_step_param(s, "storageAccountIds");
		const char *list[256];
		size_t n = 0;

		if (!ids || (a = strdup(ids)) == NULL) {
			error = ids ? cmk_error_oom() : cmk_error_set(CMK_EINVALID, "step %s has no storageAccountIds", s->id);
			break;
		}
		for (char *tok = strtok(a, ", "); tok && n < 256; tok = strtok(NULL, ", "))
			list[n++] = tok;
		error = adapter_linked_storage_put(readback, w->c, plan_step_param(s, "workspaceId"),
						   plan_step_param(s, "dataSourceType"), list, n, err_out);
		break;
	}
	case PLAN_STEP_COMPONENT_LINK:
		if ((error = exec__param(&a, w, s, "clusterDefinitionId")) < 0)
			break;
		error = adapter_component_associate(readback, w->c, s->target, a ? a : "", err_out);
		break;
	case PLAN_STEP_CLUSTER_DELETE:
		error = adapter_cluster_delete(op_out, w->c, s->target, err_out);
		break;
	default:
		error = cmk_error_set(CMK_EINVALID, "step %s: kind %s is not a write", s->id,
				      plan_step_kind_name(s->kind));
		break;
	}
	free(a);
	exec__tags_free(&tags);
	live_state_free(&tmp);
	return error;
}

/* Start step i: a wait step becomes an operation to wait on; a write is
 * sent (after waiting for a busy resource when ARM says so). */
static int exec__start(exec_run *w, size_t i)
{
	const plan_step *s = &w->p->steps[i];
	report_step *rs = &w->r->steps[i];
	arm_op *op = NULL;
	arm_error *err = NULL;
	cJSON *readback = NULL;
	int error = 0;

	rs->status = REPORT_RUNNING;
	rs->started_ms = arm_now_ms();
	if (w->o->progress)
		progress_event(w->o->progress, s->id, "started");
	if (s->kind == PLAN_STEP_CLUSTER_WAIT || s->kind == PLAN_STEP_LINK_WAIT) {
		bool link = s->kind == PLAN_STEP_LINK_WAIT;

		if ((error = exec__resource_op(&op, link ? ARM_OP_GENERIC
							 : strcasestr(s->target, "Microsoft.Kusto") ? ARM_OP_KUSTO_UPDATE
												     : ARM_OP_CLUSTER_UPDATE,
					       s->target, link)) < 0)
			return error;
		return exec__add_op(w, op, i, link ? EXEC_OP_LINK_WAIT : EXEC_OP_WRITE);
	}
	for (unsigned attempt = 0;; attempt++) {
		if (exec__canceled(w->c)) {
			rs->status = REPORT_PENDING;
			rs->started_ms = 0;
			return 0;
		}
		rs->writes++;
		error = exec__send(&op, &err, &readback, w, i);
		if (error == 0 || !err || err->klass != ARM_ERROR_WAIT_RUNNING || attempt >= EXEC_BUSY_RETRIES)
			break;
		/* the resource is busy with an operation cmkctl did not see in
		 * the plan: wait for it, then send the same request again */
		if (w->o->progress)
			progress_note(w->o->progress, "%s: %s; waiting for it to finish", s->id, err->message);
		if (report_step_set_note(rs, "waited for a running operation, then sent again") < 0)
			cmk_error_clear();
		arm_error_free(err);
		err = NULL;
		if ((error = exec__wait_idle(w, s)) < 0)
			break;
	}
	if (error < 0) {
		if (error == CMK_ECANCELED && exec__canceled(w->c) && !err) {
			rs->status = REPORT_PENDING;
			rs->started_ms = 0;
		} else {
			exec__fail_err(w, i, err);
		}
		arm_error_free(err);
		cJSON_Delete(readback);
		arm_op_free(op);
		return 0;
	}
	if (!op) {
		exec__succeed(w, i, readback);
		return 0;
	}
	cJSON_Delete(readback);
	if (op->state == ARM_OP_SUCCEEDED && op->mode == ARM_POLL_NONE) {
		/* answered synchronously (a tags-only PATCH, a delete of an empty cluster) */
		cJSON *result = op->result;

		op->result = NULL;
		arm_op_free(op);
		exec__succeed(w, i, result);
		return 0;
	}
	if (w->o->journal && (error = opstate_add(w->o->journal, s->id, op)) < 0) {
		arm_op_free(op);
		return error;
	}
	return exec__add_op(w, op, i, EXEC_OP_WRITE);
}

/*
 * Start every ready link step at once: 1000 links are 1000 concurrent PUTs
 * in the one loop (paced), not 1000 round trips in a row.
 */
static int exec__start_links(exec_run *w, const size_t *steps, size_t n)
{
	arm_request *reqs = calloc(n ? n : 1, sizeof(*reqs));
	arm_op **ops = calloc(n ? n : 1, sizeof(*ops));
	arm_error **errs = calloc(n ? n : 1, sizeof(*errs));
	int *rcs = calloc(n ? n : 1, sizeof(*rcs));
	char **urls = calloc(n ? n : 1, sizeof(*urls)), **bodies = calloc(n ? n : 1, sizeof(*bodies));
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	int error = 0;

	if (!reqs || !ops || !errs || !rcs || !urls || !bodies || !ids) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const plan_step *s = &w->p->steps[steps[k]];
		cJSON *body = cJSON_CreateObject(), *props = body ? cJSON_AddObjectToObject(body, "properties") : NULL;

		if (!props || !cJSON_AddStringToObject(props, "writeAccessResourceId",
						       plan_step_param(s, "clusterResourceId"))) {
			cJSON_Delete(body);
			error = cmk_error_oom();
			goto out;
		}
		bodies[k] = cJSON_PrintUnformatted(body);
		cJSON_Delete(body);
		if (!bodies[k] || (error = adapter_link_url(&urls[k], s->target)) < 0) {
			error = error < 0 ? error : cmk_error_oom();
			goto out;
		}
		reqs[k] = (arm_request){ .method = "PUT", .url = urls[k], .api_version = ADAPTER_API_LA,
					 .body = bodies[k], .resource_id = urls[k] };
		ids[k] = urls[k];
		w->r->steps[steps[k]].status = REPORT_RUNNING;
		w->r->steps[steps[k]].started_ms = arm_now_ms();
		w->r->steps[steps[k]].writes++;
		if (w->o->progress)
			progress_event(w->o->progress, s->id, "started");
	}
	/* write-ahead: the links are in the journal before they are sent, so a
	 * run killed before their answers arrive (kill -9 amid 1000 PUTs) still
	 * waits for them next time - the workspace list shows those that were
	 * sent, a linked-service probe finds the others never started */
	if (w->o->journal) {
		for (size_t k = 0; k < n; k++) {
			arm_op *intent = NULL;
			char *put = strdup("PUT");

			if (!put || (error = exec__resource_op(&intent, ARM_OP_WORKSPACE_LINK, urls[k], true)) < 0) {
				free(put);
				error = error < 0 ? error : cmk_error_oom();
				goto out;
			}
			free(intent->method);
			intent->method = put;
			intent->timeout_s = arm_op_kind_timeout_s(ARM_OP_WORKSPACE_LINK);
			error = opstate_add(w->o->journal, w->p->steps[steps[k]].id, intent);
			arm_op_free(intent);
			if (error < 0)
				goto out;
		}
		if ((error = opstate_save(w->o->journal)) < 0)
			goto out;
	}
	/* each request's outcome is in rcs/errs */
	if (arm_op_begin_all(ops, rcs, errs, w->c, ARM_OP_WORKSPACE_LINK, reqs, ids, n, ARM_FINAL_LOCATION) < 0)
		cmk_error_clear();
	for (size_t k = 0; k < n; k++) {
		size_t i = steps[k];

		if (rcs[k] == 0 && ops[k]) {
			ops[k]->observed = 1;
			if (w->o->journal && (error = opstate_add(w->o->journal, w->p->steps[i].id, ops[k])) < 0)
				goto out;
			if ((error = exec__add_op(w, ops[k], i, EXEC_OP_WRITE)) < 0)
				goto out;
			ops[k] = NULL;
		} else if (errs[k] && errs[k]->klass == ARM_ERROR_WAIT_RUNNING) {
			/* rare: the one-by-one path waits and sends again */
			w->r->steps[i].writes--;
			if (w->o->journal)
				opstate_remove(w->o->journal, urls[k]);
			if ((error = exec__start(w, i)) < 0)
				goto out;
		} else if (rcs[k] == CMK_ECANCELED && !errs[k]) {
			/* interrupted, maybe before it was sent: the journal keeps
			 * the intent, the next run finds out */
			w->r->steps[i].status = REPORT_PENDING;
			w->r->steps[i].started_ms = 0;
		} else {
			if (w->o->journal)
				opstate_remove(w->o->journal, urls[k]);
			exec__fail_err(w, i, errs[k]);
		}
	}
out:
	for (size_t k = 0; k < n; k++) {
		if (ops)
			arm_op_free(ops[k]);
		if (errs)
			arm_error_free(errs[k]);
		if (urls)
			free(urls[k]);
		if (bodies)
			free(bodies[k]);
	}
	free(reqs);
	free(ops);
	free(errs);
	free(rcs);
	free(urls);
	free(bodies);
	free(ids);
	return error;
}

/* ---- waiting: the observe hook ---------------------------------------- */

static bool exec__op_running(const arm_op *op)
{
	return op->state == ARM_OP_POLL_WAIT || op->state == ARM_OP_FINAL_GET;
}

/* Links and unlinks: one workspace list per subscription per round;
 * link.wait steps: their linked service until it is idle. */
static int exec__observe(void *ud, arm_client *c, arm_op **ops, size_t n)
{
	exec_run *w = ud;
	arm_op **links = calloc(n ? n : 1, sizeof(*links));
	size_t nl = 0;
	int error = 0;

	if (!links)
		return 0; /* next round */
	for (size_t k = 0; k < n; k++)
		if (ops[k]->kind == ARM_OP_WORKSPACE_LINK || ops[k]->kind == ARM_OP_WORKSPACE_UNLINK)
			links[nl++] = ops[k];
	if (nl && (error = adapter_link_observe(&w->observer, c, links, nl)) < 0)
		goto out;
	for (size_t k = 0; k < w->n; k++) {
		exec_op *x = &w->ops[k];
		char *state = NULL;
		int rc;

		if (x->done || x->role != EXEC_OP_LINK_WAIT || !exec__op_running(x->op))
			continue;
		rc = adapter_link_get(&state, NULL, c, x->op->resource_id);
		if (rc == CMK_ENOTFOUND || (rc == 0 && arm_status_classify(state) != ARM_STATUS_RUNNING))
			arm_op_complete(x->op, NULL);
		else if (rc == 0 && w->o->progress)
			progress_status(w->o->progress, w->p->steps[x->step].id, state);
		free(state);
		cmk_error_clear();
	}
out:
	free(links);
	return error;
}

/* Every workspace whose link step just succeeded shows the cluster it was
 * linked to (one workspace list per subscription, not a GET per workspace). */
static int exec__verify_links(exec_run *w, size_t nverify)
{
	char (*subs)[64] = NULL;
	size_t nsubs = 0;
	live_state seen = { 0 };
	int error = 0;

	if (nverify == 0)
		return 0;
	if ((subs = calloc(nverify, sizeof(*subs))) == NULL)
		return cmk_error_oom();
	for (size_t k = 0; k < nverify; k++) {
		char sub[64];
		bool known = false;

		if (adapter_subscription_of(sub, sizeof(sub), w->p->steps[w->verify[k]].target) < 0)
			continue;
		for (size_t j = 0; j < nsubs && !known; j++)
			known = strcasecmp(subs[j], sub) == 0;
		if (known)
			continue;
		memcpy(subs[nsubs++], sub, sizeof(sub));
		if ((error = adapter_workspace_list(&seen, w->c, sub)) < 0)
			goto out;
	}
	for (size_t k = 0; k < nverify; k++) {
		size_t i = w->verify[k];
		const plan_step *s = &w->p->steps[i];
		const live_workspace *ws = live_find_workspace(&seen, s->target);
		const char *want = plan_step_param(s, "clusterResourceId");
		char msg[2048];

		if (ws && ws->cluster_resource_id && arm_id_equal(ws->cluster_resource_id, want))
			continue;
		snprintf(msg, sizeof(msg), "read-back: workspace %s shows features.clusterResourceId %s, not %s",
			 s->target, ws && ws->cluster_resource_id ? ws->cluster_resource_id : "(none)", want);
		exec__fail(w, i, msg);
	}
out:
	free(subs);
	live_state_free(&seen);
	return error;
}

/* After a key update: the cluster reports the key that was set. */
static void exec__verify_key(exec_run *w, size_t i)
{
	const plan_step *s = &w->p->steps[i];
	report_step *rs = &w->r->steps[i];
	const char *name, *version;
	cJSON *fresh = NULL;
	char msg[1024];

	if (!adapter_path(rs->readback, "properties.keyVaultProperties") &&
	    adapter_read(&fresh, w->c, s->target, ADAPTER_API_LA, ARM_AUD_ARM, s->target) == 0) {
		cJSON_Delete(rs->readback);
		rs->readback = fresh;
	}
	cmk_error_clear();
	name = adapter_str(rs->readback, "properties.keyVaultProperties.keyName");
	version = adapter_str(rs->readback, "properties.keyVaultProperties.keyVersion");
	if (name && strcasecmp(name, plan_step_param(s, "keyName")) == 0 &&
	    diff_key_version_equal(version, plan_step_param(s, "keyVersion")))
		return;
	snprintf(msg, sizeof(msg), "read-back: cluster %s reports key %s version %s, not %s version %s", s->target,
		 name ? name : "(none)", version && *version ? version : "(versionless)",
		 plan_step_param(s, "keyName"),
		 plan_step_param(s, "keyVersion") && *plan_step_param(s, "keyVersion") ? plan_step_param(s, "keyVersion")
										   : "(versionless)");
	exec__fail(w, i, msg);
}

/*
 * May the write of step `i`, whose operation ended Failed, be sent again
 * once? Only a service-side failure (InternalServerError) of a PATCH that
 * sets the same properties again: a cluster's key or settings, a Kusto
 * cluster's identity or key. Never a link or unlink (each counts against
 * the workspace's two per 30 days, failed or not), a create or a delete.
 */
static bool exec__resend_safe(const exec_run *w, size_t i, const arm_op *op)
{
	switch (w->p->steps[i].kind) {
	case PLAN_STEP_CLUSTER_KEY_UPDATE:
	case PLAN_STEP_CLUSTER_UPDATE:
	case PLAN_STEP_KUSTO_IDENTITY_UPDATE:
	case PLAN_STEP_KUSTO_KEY_UPDATE:
		break;
	default:
		return false;
	}
	return !w->resent[i] && op->error && op->error->arm_code &&
	       strcasecmp(op->error->arm_code, "InternalServerError") == 0;
}

/*
 * Record how every operation that ended did, in the report and the
 * journal. `final`: the wait is over; an operation still not ended was
 * interrupted (it stays in the journal) or could not be followed.
 */
static int exec__harvest(exec_run *w, bool final)
{
	size_t nverify = 0;
	bool journal_changed = false;
	int error;

	for (size_t k = 0; k < w->n; k++) {
		exec_op *x = &w->ops[k];
		report_step *rs = &w->r->steps[x->step];
		arm_op *op = x->op;

		if (x->done)
			continue;
		if (exec__op_running(op) && !final) {
			if (w->o->progress && op->last_status)
				progress_status(w->o->progress, w->p->steps[x->step].id, op->last_status);
			continue;
		}
		x->done = true;
		w->changed = true;
		rs->polls += op->polls;
		switch (op->state) {
		case ARM_OP_SUCCEEDED: {
			cJSON *result = op->result;

			op->result = NULL;
			if (w->o->journal && x->role == EXEC_OP_WRITE) {
				opstate_remove(w->o->journal, op->resource_id);
				journal_changed = true;
			}
			exec__succeed(w, x->step, result);
			if (w->p->steps[x->step].kind == PLAN_STEP_CLUSTER_KEY_UPDATE)
				exec__verify_key(w, x->step);
			else if (w->p->steps[x->step].kind == PLAN_STEP_WORKSPACE_LINK && x->role == EXEC_OP_WRITE)
				w->verify[nverify++] = x->step;
			break;
		}
		case ARM_OP_FAILED:
		case ARM_OP_CANCELED:
			if (w->p->steps[x->step].kind == PLAN_STEP_CLUSTER_WAIT ||
			    w->p->steps[x->step].kind == PLAN_STEP_LINK_WAIT) {
				/* a wait is for the resource to be idle: someone
				 * else's operation that failed leaves it so */
				if (report_step_set_note(rs, "the running operation ended Failed or Canceled") < 0)
					cmk_error_clear();
				exec__succeed(w, x->step, NULL);
				break;
			}
			if (op->state == ARM_OP_FAILED && x->role == EXEC_OP_WRITE && !final &&
			    !exec__canceled(w->c) && exec__resend_safe(w, x->step, op)) {
				/* the step goes back to pending: the next schedule
				 * sends the same request again */
				w->resent[x->step] = true;
				if (w->o->journal) {
					opstate_remove(w->o->journal, op->resource_id);
					journal_changed = true;
				}
				if (report_step_set_note(rs, "its operation failed (InternalServerError): sent again once") < 0)
					cmk_error_clear();
				if (w->o->progress)
					progress_note(w->o->progress, "%s: %s; sending it again", w->p->steps[x->step].id,
						      op->error->message);
				rs->status = REPORT_PENDING;
				rs->started_ms = 0;
				break;
			}
			if (w->o->journal && x->role == EXEC_OP_WRITE) {
				opstate_remove(w->o->journal, op->resource_id);
				journal_changed = true;
			}
			exec__fail_err(w, x->step, op->error);
			break;
		default:
			if (exec__canceled(w->c)) {
				/* still running in Azure: the journal keeps it */
				rs->ended_ms = arm_now_ms();
				if (w->o->progress)
					progress_event(w->o->progress, w->p->steps[x->step].id,
						       "interrupted (still running in Azure)");
			} else {
				/* timed out or could not be followed: the journal
				 * keeps it, the next apply waits again */
				exec__fail_err(w, x->step, op->error);
			}
			break;
		}
	}
	if ((error = exec__verify_links(w, nverify)) < 0)
		return error;
	if (journal_changed && (error = opstate_save(w->o->journal)) < 0)
		return error;
	return 0;
}

/* Skip steps whose dependencies did not (and will not) succeed. */
static void exec__propagate(const plan *p, report *r)
{
	for (size_t i = 0; i < p->step_count; i++) {
		report_step *rs = &r->steps[i];

		if (rs->status != REPORT_PENDING)
			continue;
		for (size_t d = 0; d < p->steps[i].dep_count; d++) {
			size_t dep = p->steps[i].depends_on[d];
			report_status ds = r->steps[dep].status;

			if (ds == REPORT_FAILED || ds == REPORT_SKIPPED) {
				rs->status = REPORT_SKIPPED;
				/* name the step that failed, not an intermediate skip */
				if ((rs->skipped_because = strdup(ds == REPORT_SKIPPED && r->steps[dep].skipped_because
									  ? r->steps[dep].skipped_because
									  : p->steps[dep].id)) == NULL)
					cmk_error_clear();
				break;
			}
		}
	}
}

static bool exec__ready(const plan *p, const report *r, size_t i)
{
	if (r->steps[i].status != REPORT_PENDING)
		return false;
	for (size_t d = 0; d < p->steps[i].dep_count; d++)
		if (r->steps[p->steps[i].depends_on[d]].status != REPORT_SUCCEEDED)
			return false;
	return true;
}

static exec_lock *exec__lock(exec_run *w, const char *lock)
{
	for (size_t k = 0; k < w->nlocks; k++)
		if (arm_id_equal(w->locks[k].lock, lock))
			return &w->locks[k];
	w->locks[w->nlocks] = (exec_lock){ lock, 0, 0 };
	return &w->locks[w->nlocks++];
}

/*
 * Start every step that is ready: its dependencies succeeded and no other
 * step holds its cluster's lock (links may share one with each other, not
 * with a cluster write). Steps that end at once (synchronous writes) make
 * others ready: repeat until nothing more starts.
 */
static int exec__schedule(exec_run *w)
{
	const plan *p = w->p;
	int error;

	while (w->changed) {
		size_t nready = 0, nlinks = 0;

		w->changed = false;
		exec__propagate(p, w->r);
		if (exec__canceled(w->c))
			return 0;
		w->nlocks = 0;
		for (size_t i = 0; i < p->step_count; i++) {
			exec_lock *l;

			if (w->r->steps[i].status != REPORT_RUNNING || !p->steps[i].lock)
				continue;
			l = exec__lock(w, p->steps[i].lock);
			if (p->steps[i].kind == PLAN_STEP_WORKSPACE_LINK)
				l->links++;
			else
				l->writes++;
		}
		for (size_t i = 0; i < p->step_count; i++) {
			bool link = p->steps[i].kind == PLAN_STEP_WORKSPACE_LINK;
			exec_lock *l = NULL;

			if (!exec__ready(p, w->r, i))
				continue;
			if (p->steps[i].lock) {
				l = exec__lock(w, p->steps[i].lock);
				if (l->writes || (!link && l->links))
					continue;
			}
			if (link) {
				w->links[nlinks++] = i;
				if (l)
					l->links++;
			} else {
				w->ready[nready++] = i;
				if (l)
					l->writes++;
			}
		}
		for (size_t k = 0; k < nready; k++) {
			if (exec__canceled(w->c))
				break;
			if ((error = exec__start(w, w->ready[k])) < 0)
				return error;
		}
		if (nlinks && !exec__canceled(w->c) && (error = exec__start_links(w, w->links, nlinks)) < 0)
			return error;
		if (nready + nlinks && w->o->journal && (error = opstate_save(w->o->journal)) < 0)
			return error;
	}
	return 0;
}

/* arm_op_wait_opts.more: record what ended, start what became ready. */
static int exec__more(void *ud, arm_client *c, arm_op ***add, size_t *nadd)
{
	exec_run *w = ud;
	int error;

	(void)c;
	w->add_n = 0;
	if ((error = exec__harvest(w, false)) < 0 || (error = exec__schedule(w)) < 0) {
		/* journal I/O: stop starting steps, let the running ones end */
		if (!w->error)
			w->error = error;
		if (!w->r->error)
			w->r->error = strdup(cmk_error_last());
		*add = w->add;
		*nadd = w->add_n;
		return 0;
	}
	if (w->o->progress)
		progress_tick(w->o->progress);
	*add = w->add;
	*nadd = w->add_n;
	return 0;
}

/* ---- the run ---------------------------------------------------------- */

int executor_run(report *r, arm_client *c, const plan *p, const executor_opts *opts)
{
	executor_opts o = opts ? *opts : (executor_opts){ 0 };
	exec_run w = { .c = c, .p = p, .r = r, .o = &o, .changed = true };
	size_t nsteps = p->step_count ? p->step_count : 1;
	arm_op_wait_opts wo = { 0 };
	int error = 0;

	if (!o.parallelism)
		o.parallelism = EXECUTOR_DEFAULT_PARALLELISM;
	r->started_ms = arm_now_ms();
	if (arm_client_correlation_id(c) && !r->correlation_id)
		r->correlation_id = strdup(arm_client_correlation_id(c));
	if (!(w.ready = calloc(nsteps, sizeof(*w.ready))) || !(w.links = calloc(nsteps, sizeof(*w.links))) ||
	    !(w.verify = calloc(nsteps, sizeof(*w.verify))) || !(w.locks = calloc(nsteps, sizeof(*w.locks))) ||
	    !(w.resent = calloc(nsteps, sizeof(*w.resent)))) {
		error = cmk_error_oom();
		goto out;
	}
	if (!plan_is_applicable(p)) {
		error = cmk_error_set(CMK_EINVALID, "the plan has %zu blocked step%s: it cannot be applied",
				      p->summary.blocked_steps, p->summary.blocked_steps == 1 ? "" : "s");
		goto out;
	}
	/* one wait for the whole run: `more` starts each step the moment its
	 * dependencies succeeded, the observe hook watches links */
	wo.observe = exec__observe;
	wo.observe_ud = &w;
	wo.observe_ms = o.observe_ms ? o.observe_ms : 10000;
	wo.more = exec__more;
	wo.more_ud = &w;
	if (arm_op_wait_all(c, NULL, 0, &wo) < 0)
		cmk_error_clear(); /* each operation's end is harvested below */
	if ((error = exec__harvest(&w, true)) < 0)
		goto out;
	exec__propagate(p, r);
	if (w.error) {
		error = w.error;
		cmk_error_set(error, "%s", r->error ? r->error : "failed");
	}
out:
	if (error < 0 && !r->error)
		r->error = strdup(cmk_error_last());
	for (size_t k = 0; k < w.n; k++)
		arm_op_free(w.ops[k].op);
	free(w.ops);
	free(w.add);
	free(w.ready);
	free(w.links);
	free(w.verify);
	free(w.locks);
	free(w.resent);
	if (exec__canceled(c))
		r->interrupted = true;
	r->ended_ms = arm_now_ms();
	report_count(r);
	if (error < 0)
		return error;
	if (r->interrupted)
		return cmk_error_set(CMK_ECANCELED, "interrupted: %zu step%s not started, %zu still running in Azure",
				     r->pending, r->pending == 1 ? "" : "s", r->running);
	if (!report_ok(r))
		return cmk_error_set(CMK_ERROR, "%zu step%s failed, %zu skipped", r->failed, r->failed == 1 ? "" : "s",
				     r->skipped);
	return 0;
}

int executor_resume(report *r, arm_client *c, opstate *journal, progress *pg, int64_t observe_ms)
{
	size_t n = opstate_count(journal);
	arm_op **ops = NULL;
	const char **steps = NULL;
	adapter_link_observer obs = { 0 };
	arm_op_wait_opts wo = { 0 };
	int error = 0;

	if (n == 0)
		return 0;
	if ((ops = calloc(n, sizeof(*ops))) == NULL || (steps = calloc(n, sizeof(*steps))) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((error = opstate_get(&ops[i], &steps[i], journal, i)) < 0)
			goto out;
		ops[i]->observed = ops[i]->kind == ARM_OP_WORKSPACE_LINK || ops[i]->kind == ARM_OP_WORKSPACE_UNLINK;
		if (pg)
			progress_event(pg, steps[i] && *steps[i] ? steps[i] : ops[i]->resource_id, "started");
	}
	if (pg)
		progress_note(pg, "waiting for %zu operation%s an earlier apply started (journal %s)", n,
			      n == 1 ? "" : "s", opstate_path(journal));
	wo.observe = adapter_link_observe;
	wo.observe_ud = &obs;
	wo.observe_ms = observe_ms ? observe_ms : 10000;
	if (arm_op_wait_all(c, ops, n, &wo) < 0)
		cmk_error_clear();
	/* an operation that could not be followed (its status URL expired, its
	 * deadline passed while no apply ran) is settled by the resource's own
	 * provisioningState instead, from now on */
	if (!exec__canceled(c)) {
		bool again = false;

		for (size_t i = 0; i < n; i++) {
			if (ops[i]->state != ARM_OP_ERROR && ops[i]->state != ARM_OP_TIMED_OUT)
				continue;
			if (pg)
				progress_note(pg, "%s: %s; reading the resource's state instead",
					      steps[i] && *steps[i] ? steps[i] : ops[i]->resource_id,
					      ops[i]->error ? ops[i]->error->message : "could not follow the operation");
			if (arm_op_follow_resource(ops[i]) < 0)
				continue;
			ops[i]->started_ms = exec__wall_ms(); /* its deadline may have passed */
			again = true;
		}
		if (again && arm_op_wait_all(c, ops, n, &wo) < 0)
			cmk_error_clear();
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = steps[i] && *steps[i] ? steps[i] : ops[i]->resource_id;
		char outcome[2048];
		char *line = ops[i]->error ? arm_error_line(ops[i]->error) : NULL;

		switch (ops[i]->state) {
		case ARM_OP_SUCCEEDED:
			snprintf(outcome, sizeof(outcome), "succeeded");
			break;
		case ARM_OP_FAILED:
		case ARM_OP_CANCELED:
			snprintf(outcome, sizeof(outcome), "%s: %s", arm_op_state_name(ops[i]->state),
				 line ? line : "no error given");
			break;
		default:
			snprintf(outcome, sizeof(outcome), "still running: %s", line ? line : "");
			if (error == 0)
				error = exec__canceled(c)
						? cmk_error_set(CMK_ECANCELED, "interrupted")
						: cmk_error_set(CMK_ERROR, "could not follow %s of %s (started by an earlier "
								"apply, recorded in %s): %s", arm_op_kind_name(ops[i]->kind),
								ops[i]->resource_id, opstate_path(journal),
								line ? line : "?");
			break;
		}
		free(line);
		if (pg)
			progress_event(pg, id, outcome);
		if (r && report_add_resumed(r, id, ops[i]->resource_id, arm_op_kind_name(ops[i]->kind), outcome) < 0) {
			error = cmk_error_oom();
			goto out;
		}
		if (ops[i]->state == ARM_OP_SUCCEEDED || ops[i]->state == ARM_OP_FAILED ||
		    ops[i]->state == ARM_OP_CANCELED)
			opstate_remove(journal, ops[i]->resource_id);
	}
	{
		int save = opstate_save(journal);

		if (error == 0)
			error = save;
	}
out:
	for (size_t i = 0; ops && i < n; i++)
		arm_op_free(ops[i]);
	free(ops);
	free(steps);
	return error;
}
