/*
 * adapter_link.c - workspace <-> cluster link through the linked service
 * `cluster` (see adapter_link.h).
 */
#include "providers/adapter_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/arm_id.h"
#include "providers/adapter_util.h"
#include "providers/adapter_workspace.h"

#define LINK_SUFFIX "/linkedServices/cluster"

int adapter_link_url(char **out, const char *workspace_id)
{
	size_t n = strlen(workspace_id);

	while (n && workspace_id[n - 1] == '/')
		n--;
	if (asprintf(out, "%.*s" LINK_SUFFIX, (int)n, workspace_id) < 0) {
		*out = NULL;
		return cmk_error_oom();
	}
	return 0;
}

int adapter_link_begin(arm_op **out, arm_client *c, const char *workspace_id,
		       const char *cluster_id, arm_error **err_out)
{
	cJSON *body = NULL, *props;
	char *url = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_link_url(&url, workspace_id)) < 0)
		return error;
	/* writeAccessResourceId only: resourceId is for Automation links */
	if ((body = cJSON_CreateObject()) == NULL ||
	    (props = cJSON_AddObjectToObject(body, "properties")) == NULL ||
	    !cJSON_AddStringToObject(props, "writeAccessResourceId", cluster_id)) {
		error = cmk_error_oom();
		goto out;
	}
	error = adapter_begin(out, c, ARM_OP_WORKSPACE_LINK, "PUT", url, ADAPTER_API_LA, body, url,
			      ARM_FINAL_LOCATION, err_out);
out:
	cJSON_Delete(body);
	free(url);
	return error;
}

int adapter_unlink_begin(arm_op **out, arm_client *c, const char *workspace_id,
			 arm_error **err_out)
{
	char *url = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_link_url(&url, workspace_id)) < 0)
		return error;
	error = adapter_begin(out, c, ARM_OP_WORKSPACE_UNLINK, "DELETE", url, ADAPTER_API_LA, NULL,
			      url, ARM_FINAL_DEFAULT, err_out);
	free(url);
	return error;
}

/* The PUT body of a link to `cluster_id`, as text (*out owned). */
static int link__body(char **out, const char *cluster_id)
{
	cJSON *doc = cJSON_CreateObject(), *props;

	/* writeAccessResourceId only: resourceId is for Automation links */
	*out = NULL;
	if (doc && (props = cJSON_AddObjectToObject(doc, "properties")) != NULL &&
	    cJSON_AddStringToObject(props, "writeAccessResourceId", cluster_id))
		*out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return *out ? 0 : cmk_error_oom();
}

int adapter_link_begin_all(arm_op **outs, int *rcs, arm_error **errs, arm_client *c,
			   const char *const *workspace_ids, const char *const *cluster_ids, size_t n)
{
	arm_request *reqs = NULL;
	char **urls = NULL, **bodies = NULL;
	int error = 0;

	for (size_t i = 0; i < n; i++) {
		outs[i] = NULL;
		rcs[i] = 0;
		if (errs)
			errs[i] = NULL;
	}
	if (n == 0)
		return 0;
	if ((reqs = calloc(n, sizeof(*reqs))) == NULL || (urls = calloc(n, sizeof(*urls))) == NULL ||
	    (bodies = calloc(n, sizeof(*bodies))) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((error = adapter_link_url(&urls[i], workspace_ids[i])) < 0 ||
		    (cluster_ids && (error = link__body(&bodies[i], cluster_ids[i])) < 0))
			goto out;
		reqs[i] = (arm_request){ .method = cluster_ids ? "PUT" : "DELETE", .url = urls[i],
					 .api_version = ADAPTER_API_LA, .body = bodies[i],
					 .resource_id = urls[i] };
	}
	error = arm_op_begin_all(outs, rcs, errs, c,
				 cluster_ids ? ARM_OP_WORKSPACE_LINK : ARM_OP_WORKSPACE_UNLINK, reqs,
				 (const char *const *)urls, n,
				 cluster_ids ? ARM_FINAL_LOCATION : ARM_FINAL_DEFAULT);
out:
	for (size_t i = 0; i < n; i++) {
		if (urls)
			free(urls[i]);
		if (bodies)
			free(bodies[i]);
	}
	free(urls);
	free(bodies);
	free(reqs);
	return error;
}

int adapter_link_intent(arm_op **out, const char *workspace_id)
{
	char *url = NULL;
	int error;

	*out = NULL;
	if ((error = adapter_link_url(&url, workspace_id)) < 0)
		return error;
	error = adapter_resource_op(out, ARM_OP_WORKSPACE_LINK, "PUT", url, true, 0);
	free(url);
	return error;
}

/* A link.wait: observed, never polled; a week is "until it ends". */
#define LINK_WAIT_TIMEOUT_S (7LL * 24 * 3600)

int adapter_link_wait_begin(arm_op **out, const char *workspace_id)
{
	return adapter_resource_op(out, ARM_OP_GENERIC, "PATCH", workspace_id, true, LINK_WAIT_TIMEOUT_S);
}

/* Whether the workspace's linked service is idle: gone, or not running. */
static bool link__idle(char **state_out, arm_client *c, const char *workspace_id)
{
	char *state = NULL;
	int rc = adapter_link_get(&state, NULL, c, workspace_id);
	bool idle = rc == CMK_ENOTFOUND || (rc == 0 && arm_status_classify(state) != ARM_STATUS_RUNNING);

	cmk_error_clear();
	if (state_out && rc == 0 && !idle)
		*state_out = state;
	else
		free(state);
	return idle;
}

void adapter_link_wait_check(char **state_out, arm_client *c, arm_op *op)
{
	if (state_out)
		*state_out = NULL;
	if (link__idle(state_out, c, op->resource_id))
		arm_op_complete(op, NULL);
}

int adapter_link_wait_idle(arm_client *c, const char *workspace_id)
{
	int64_t deadline = arm_now_ms() + arm_client_scale_ms(c, 90LL * 60 * 1000 * 2);

	while (arm_now_ms() < deadline) {
		if (link__idle(NULL, c, workspace_id))
			return 0;
		if (arm_client_canceled(c))
			return cmk_error_set(CMK_ECANCELED, "canceled");
		usleep((useconds_t)(arm_client_scale_ms(c, 20000) * 1000 + 1000));
	}
	return cmk_error_set(CMK_ETIMEOUT, "the link operation on %s did not end", workspace_id);
}

int adapter_link_parse(char **state_out, char **cluster_out, const cJSON *doc)
{
	int error;

	if (state_out)
		*state_out = NULL;
	if (cluster_out)
		*cluster_out = NULL;
	if (state_out &&
	    (error = adapter_dup_str(state_out, doc, "properties.provisioningState")) < 0)
		return error;
	if (cluster_out &&
	    (error = adapter_dup_str(cluster_out, doc, "properties.writeAccessResourceId")) < 0) {
		if (state_out) {
			free(*state_out);
			*state_out = NULL;
		}
		return error;
	}
	return 0;
}

int adapter_link_get(char **state_out, char **cluster_out, arm_client *c,
		     const char *workspace_id)
{
	cJSON *doc = NULL;
	char *url = NULL;
	int error;

	if (state_out)
		*state_out = NULL;
	if (cluster_out)
		*cluster_out = NULL;
	if ((error = adapter_link_url(&url, workspace_id)) < 0)
		return error;
	if ((error = adapter_read(&doc, c, url, ADAPTER_API_LA, ARM_AUD_ARM, url)) < 0)
		goto out;
	error = adapter_link_parse(state_out, cluster_out, doc);
out:
	cJSON_Delete(doc);
	free(url);
	return error;
}

int adapter_link_read_into(live_state *into, arm_client *c, const char *workspace_id)
{
	live_workspace *ws = live_find_workspace(into, workspace_id);
	char *state = NULL;
	int error;

	if (!ws)
		return cmk_error_set(CMK_EINVALID, "link state of %s: the workspace was not read",
				     workspace_id);
	error = adapter_link_get(&state, NULL, c, workspace_id);
	if (error == CMK_ENOTFOUND) {
		cmk_error_clear();
		error = 0;
	}
	if (error < 0)
		return error;
	free(ws->link_state);
	ws->link_state = state;
	return 0;
}

/* ---- observing many link operations with one list ------------------------------ */

static bool observe__is_link(const arm_op *op)
{
	return op->kind == ARM_OP_WORKSPACE_LINK || op->kind == ARM_OP_WORKSPACE_UNLINK;
}

/* The workspace id of a linked-service id, into buf. */
static const char *observe__workspace(char *buf, size_t size, const char *ls_id)
{
	size_t n = strlen(ls_id), s = strlen(LINK_SUFFIX);

	if (n > s && strcasecmp(ls_id + n - s, LINK_SUFFIX) == 0)
		n -= s;
	if (n >= size)
		n = size - 1;
	memcpy(buf, ls_id, n);
	buf[n] = '\0';
	return buf;
}

static int observe__fail(arm_op *op, const char *why)
{
	arm_error *err = NULL;
	int error;

	if ((error = arm_error_from_operation(&err, op->method, op->resource_id, "Failed", NULL)) < 0)
		return error;
	free(err->message);
	if ((err->message = strdup(why)) == NULL) {
		arm_error_free(err);
		return cmk_error_oom();
	}
	arm_op_fail(op, err);
	return 0;
}

/* One linked-service read for an operation the list could not settle. */
static int observe__probe(arm_client *c, arm_op *op, const char *ws_id)
{
	char *state = NULL;
	int error = adapter_link_get(&state, NULL, c, ws_id);

	if (error == CMK_ENOTFOUND) {
		cmk_error_clear();
		/* no linked service: an unlink is over; a link was dropped */
		if (op->kind == ARM_OP_WORKSPACE_UNLINK)
			arm_op_complete(op, NULL);
		else
			error = observe__fail(op, "the workspace link failed: its linked service "
					      "'cluster' is gone and the workspace is not linked");
		return error < 0 ? error : 0;
	}
	if (error < 0) {
		/* could not read: keep waiting, the deadline still applies */
		cmk_error_clear();
		return 0;
	}
	if (state && strcasecmp(state, "Failed") == 0)
		error = observe__fail(op, "the workspace link operation failed (linked service "
				      "provisioningState Failed)");
	free(state);
	return error;
}

int adapter_link_observe(void *ud, arm_client *c, arm_op **ops, size_t n)
{
	adapter_link_observer *obs = ud;
	live_state seen = { 0 };
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	size_t nids = 0, lists = 0;
	int error = 0;
	bool probe;

	obs->rounds++;
	probe = obs->rounds % (obs->poll_every ? obs->poll_every : 10) == 0;
	if (!ids)
		return cmk_error_oom();
	/* one list per subscription, whatever the number of operations */
	for (size_t i = 0; i < n; i++)
		if (observe__is_link(ops[i]) && ops[i]->resource_id)
			ids[nids++] = ops[i]->resource_id;
	error = adapter_workspace_list_of(&seen, c, ids, nids, &lists);
	obs->lists += lists;
	if (error < 0 && error != CMK_ENOMEM) {
		/* a failed round is not a failed operation: try again next round */
		cmk_error_clear();
		error = 0;
		goto out;
	}
	if (error < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		arm_op *op = ops[i];
		char ws_id[1024];
		const live_workspace *ws;
		bool linked;

		if (!observe__is_link(op) || !op->resource_id)
			continue;
		observe__workspace(ws_id, sizeof(ws_id), op->resource_id);
		ws = live_find_workspace(&seen, ws_id);
		linked = ws && ws->cluster_resource_id;
		if ((op->kind == ARM_OP_WORKSPACE_LINK && linked) ||
		    (op->kind == ARM_OP_WORKSPACE_UNLINK && !linked))
			arm_op_complete(op, NULL);
	}
	/* the ones the list could not settle: a few per probe round, in turn */
	for (size_t k = 0, probed = 0, max = obs->probe_max ? obs->probe_max : 20;
	     probe && k < n && probed < max; k++) {
		size_t i = (obs->cursor + k) % n;
		arm_op *op = ops[i];
		char ws_id[1024];

		if (!observe__is_link(op) || !op->resource_id || op->state != ARM_OP_POLL_WAIT)
			continue;
		observe__workspace(ws_id, sizeof(ws_id), op->resource_id);
		obs->probes++;
		probed++;
		if ((error = observe__probe(c, op, ws_id)) < 0)
			goto out;
		if (k + 1 == n || probed == max)
			obs->cursor = (i + 1) % n;
	}
out:
	free(ids);
	live_state_free(&seen);
	return error;
}
