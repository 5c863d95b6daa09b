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
#include "common/time.h"
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

/* A link's linked service answering 404 is "not yet" (Azure shows a new
 * linked service late) for this long after the link was sent; only then,
 * with no operation status to ask and the workspace still not linked, is
 * the link taken as dropped. */
#define LINK_NOT_FOUND_WINDOW_MS (15LL * 60 * 1000)

/* The request that asks `op` how it is doing: its Azure-AsyncOperation,
 * else its Location, else its linked service. */
static arm_request observe__ask(const arm_op *op)
{
	if (op->async_url)
		return (arm_request){ .method = "GET", .url = op->async_url, .resource_id = op->resource_id };
	if (op->location_url)
		return (arm_request){ .method = "GET", .url = op->location_url, .resource_id = op->resource_id };
	return (arm_request){ .method = "GET", .url = op->resource_url ? op->resource_url : op->resource_id,
			      .api_version = ADAPTER_API_LA, .resource_id = op->resource_id };
}

/* The operation's status said Failed or Canceled (status body `doc`). */
static int observe__status_failed(arm_op *op, const char *status, const cJSON *doc)
{
	arm_error *err = NULL;
	int error = arm_error_from_operation(&err, op->method, op->resource_id, status,
					     cJSON_GetObjectItem(doc, "error"));

	char *why = NULL;

	if (error < 0)
		return error;
	/* say which operation: the status's own message may not */
	if (asprintf(&why, "the workspace %s operation ended %s: %s",
		     op->kind == ARM_OP_WORKSPACE_UNLINK ? "unlink" : "link", status, err->message) < 0) {
		arm_error_free(err);
		return cmk_error_oom();
	}
	free(err->message);
	err->message = why;
	arm_op_fail(op, err);
	return 0;
}

/* An Azure-AsyncOperation answer: 1 succeeded, 0 not yet (running or
 * unreadable: a status URL answering 5xx is not a failed operation). */
static int observe__async(arm_op *op, const arm_response *resp, int rc)
{
	cJSON *doc = NULL;
	const cJSON *st;
	int result = 0;

	if (rc == CMK_ENOTFOUND || (resp && resp->status == 410))
		return 2; /* the record is gone: the workspace decides */
	if (rc < 0 || !resp || arm_response_json(&doc, resp) < 0)
		return 0;
	st = cJSON_GetObjectItem(doc, "status");
	if (cJSON_IsString(st) && st->valuestring[0]) {
		switch (arm_status_classify(st->valuestring)) {
		case ARM_STATUS_SUCCEEDED:
			result = 1;
			break;
		case ARM_STATUS_FAILED:
		case ARM_STATUS_CANCELED:
			result = observe__status_failed(op, st->valuestring, doc);
			if (result == 0)
				result = -1;
			break;
		default:
			break;
		}
	}
	cJSON_Delete(doc);
	return result;
}

/* A linked-service answer (no status URL to ask): 1 the operation is over,
 * 0 not yet, -1 it ended failed (op failed here), CMK_ENOMEM. */
static int observe__linked_service(arm_client *c, arm_op *op, const arm_response *resp, int rc,
				   bool intended)
{
	char *state = NULL;
	cJSON *doc = NULL;
	int result = 0;
	bool unlink = op->kind == ARM_OP_WORKSPACE_UNLINK;

	if (rc == CMK_ENOTFOUND) {
		if (unlink)
			return 1;
		if (intended || cmk_time_wall_ms() - op->started_ms <
					arm_client_scale_ms(c, LINK_NOT_FOUND_WINDOW_MS))
			return 0; /* Azure shows a new linked service late */
		result = observe__fail(op, "the workspace link failed: its linked service 'cluster' "
				       "is gone and the workspace is not linked");
		return result < 0 ? result : -1;
	}
	if (rc < 0 || !resp || arm_response_json(&doc, resp) < 0)
		return 0;
	if ((result = adapter_link_parse(&state, NULL, doc)) == 0) {
		if (state && strcasecmp(state, "Failed") == 0) {
			result = observe__fail(op, "the workspace link operation failed (linked "
					       "service provisioningState Failed)");
			result = result < 0 ? result : -1;
		} else {
			result = !unlink && arm_status_classify(state) == ARM_STATUS_SUCCEEDED;
		}
	}
	free(state);
	cJSON_Delete(doc);
	return result;
}

/* What one answer says about `op`; `intended`: the workspace list shows it
 * as the operation wants it. Completes or fails op; 0 or CMK_ENOMEM. */
static int observe__judge(arm_client *c, arm_op *op, const arm_response *resp, int rc, bool intended)
{
	int over;

	if (op->async_url) {
		over = observe__async(op, resp, rc);
		if (over == 2)
			over = intended;
	} else if (op->location_url) {
		/* 202: running; any other success: over; a DELETE's 404: gone */
		over = (rc == 0 && resp && resp->status != 202) ||
		       (rc == CMK_ENOTFOUND && strcasecmp(op->method, "DELETE") == 0) ||
		       (rc == CMK_ENOTFOUND && intended);
	} else {
		over = observe__linked_service(c, op, resp, rc, intended);
	}
	if (over < -1)
		return over;
	cmk_error_clear();
	/* done means the operation says so AND the workspace reads back */
	if (over == 1 && intended)
		arm_op_complete(op, NULL);
	return 0;
}

/* Ask each of asks[0..n) its own status, concurrently (one request each). */
static int observe__confirm(arm_client *c, arm_op **asks, const bool *intended, size_t n)
{
	arm_request *reqs = calloc(n ? n : 1, sizeof(*reqs));
	arm_response **resps = calloc(n ? n : 1, sizeof(*resps));
	int *rcs = calloc(n ? n : 1, sizeof(*rcs));
	int error = 0;

	if (!reqs || !resps || !rcs) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		reqs[k] = observe__ask(asks[k]);
	if (n && arm_send_all(resps, rcs, c, reqs, n) < 0)
		cmk_error_clear(); /* each answer is judged on its own */
	for (size_t k = 0; k < n && error == 0; k++)
		error = observe__judge(c, asks[k], resps[k], rcs[k], intended[k]);
out:
	for (size_t k = 0; resps && k < n; k++)
		arm_response_free(resps[k]);
	free(reqs);
	free(resps);
	free(rcs);
	return error;
}

/* Whether the workspace list shows `op` as it wants the workspace. */
static bool observe__intended(const live_state *seen, const arm_op *op)
{
	char ws_id[1024];
	const live_workspace *ws;
	bool linked;

	observe__workspace(ws_id, sizeof(ws_id), op->resource_id);
	ws = live_find_workspace(seen, ws_id);
	linked = ws && ws->cluster_resource_id && ws->cluster_resource_id[0];
	return op->kind == ARM_OP_WORKSPACE_LINK ? linked : !linked;
}

/*
 * The operations to ask this round: every one the list shows in its
 * intended state (asked once it got there, not every round), and on probe
 * rounds up to probe_max of the others, taking turns - so a failed link is
 * noticed before its deadline. The status reads of settled operations are
 * bounded by confirm_max per wait: ARM's read bucket refills 25 a second,
 * so 1000 status reads at once would cost the batch half a minute of
 * pacing; past the budget the workspace list (which lags, never leads) is
 * the read-back that decides.
 */
static size_t observe__pick(adapter_link_observer *obs, const live_state *seen, arm_op **ops,
			    size_t n, bool probe, arm_op **asks, bool *intended)
{
	size_t na = 0, probed = 0, max = obs->probe_max ? obs->probe_max : 20;
	unsigned long confirm_max = obs->confirm_max ? obs->confirm_max : 20;

	for (size_t i = 0; i < n; i++) {
		if (!observe__is_link(ops[i]) || !ops[i]->resource_id || ops[i]->state != ARM_OP_POLL_WAIT ||
		    !observe__intended(seen, ops[i]))
			continue;
		if (obs->confirms >= confirm_max) {
			/* past the budget the list's read-back decides alone */
			arm_op_complete(ops[i], NULL);
			continue;
		}
		obs->confirms++;
		intended[na] = true;
		asks[na++] = ops[i];
	}
	for (size_t k = 0; probe && k < n && probed < max; k++) {
		size_t i = (obs->cursor + k) % n;

		if (!observe__is_link(ops[i]) || !ops[i]->resource_id || ops[i]->state != ARM_OP_POLL_WAIT ||
		    observe__intended(seen, ops[i]))
			continue;
		obs->probes++;
		probed++;
		intended[na] = false;
		asks[na++] = ops[i];
		if (k + 1 == n || probed == max)
			obs->cursor = (i + 1) % n;
	}
	return na;
}

int adapter_link_observe(void *ud, arm_client *c, arm_op **ops, size_t n)
{
	adapter_link_observer *obs = ud;
	live_state seen = { 0 };
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	arm_op **asks = calloc(n ? n : 1, sizeof(*asks));
	bool *intended = calloc(n ? n : 1, sizeof(*intended));
	size_t nids = 0, lists = 0, na;
	int error = 0;
	bool probe;

	obs->rounds++;
	probe = obs->rounds % (obs->poll_every ? obs->poll_every : 10) == 0;
	if (!ids || !asks || !intended) {
		error = cmk_error_oom();
		goto out;
	}
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
	na = observe__pick(obs, &seen, ops, n, probe, asks, intended);
	error = observe__confirm(c, asks, intended, na);
out:
	free(ids);
	free(asks);
	free(intended);
	live_state_free(&seen);
	return error;
}
