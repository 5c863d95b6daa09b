/*
 * lro.c - following long-running ARM operations (see lro.h): the per-
 * operation state machine, final-state-via, deadlines, (de)serialisation.
 */
#include "providers/lro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/live.h"
#include "common/log.h"
#include "common/time.h"
#include "common/vec.h"

static const char *const op__state_names[] = {
	[ARM_OP_POLL_WAIT] = "waiting",
	[ARM_OP_FINAL_GET] = "final-get",
	[ARM_OP_SUCCEEDED] = "succeeded",
	[ARM_OP_FAILED] = "failed",
	[ARM_OP_CANCELED] = "canceled",
	[ARM_OP_TIMED_OUT] = "timed-out",
	[ARM_OP_ERROR] = "error",
};

static const struct {
	const char *name;
	int64_t timeout_s;
} op__kinds[ARM_OP_KIND_COUNT] = {
	[ARM_OP_GENERIC] = { "generic", 3600 },
	[ARM_OP_CLUSTER_CREATE] = { "cluster.create", 6 * 3600 },
	[ARM_OP_CLUSTER_UPDATE] = { "cluster.update", 3600 },
	[ARM_OP_CLUSTER_KEY_UPDATE] = { "cluster.key_update", 2 * 3600 },
	[ARM_OP_CLUSTER_DELETE] = { "cluster.delete", 2 * 3600 },
	[ARM_OP_WORKSPACE_LINK] = { "workspace.link", 90 * 60 },
	[ARM_OP_WORKSPACE_UNLINK] = { "workspace.unlink", 90 * 60 },
	[ARM_OP_WORKSPACE_CREATE] = { "workspace.create", 30 * 60 },
	[ARM_OP_WORKSPACE_DELETE] = { "workspace.delete", 30 * 60 },
	[ARM_OP_KUSTO_CREATE] = { "kusto.create", 2 * 3600 },
	[ARM_OP_KUSTO_UPDATE] = { "kusto.update", 2 * 3600 },
	[ARM_OP_KUSTO_DELETE] = { "kusto.delete", 2 * 3600 },
	[ARM_OP_VAULT_CREATE] = { "vault.create", 30 * 60 },
	[ARM_OP_VAULT_PURGE] = { "vault.purge", 3600 },
};

static const char *const op__mode_names[] = {
	[ARM_POLL_NONE] = "none",
	[ARM_POLL_ASYNC_OPERATION] = "async-operation",
	[ARM_POLL_LOCATION] = "location",
	[ARM_POLL_RESOURCE] = "provisioning-state",
};

static const char *const op__final_names[] = {
	[ARM_FINAL_DEFAULT] = "default",
	[ARM_FINAL_LOCATION] = "location",
	[ARM_FINAL_ORIGINAL_URI] = "original-uri",
	[ARM_FINAL_ASYNC_OPERATION] = "azure-async-operation",
	[ARM_FINAL_NONE] = "none",
};

/* Which URL the final GET reads. */
typedef enum { FINAL_FROM_LOCATION, FINAL_FROM_RESOURCE } op__final_target;

struct arm_op__rt {
	arm_client *c;
	arm_op_wait_opts o;
	int64_t deadline_ms;   /* monotonic */
	int done;              /* terminal for this wait */
	size_t *active;        /* operations of the wait still running */
	op__final_target final_target;
	int tried_resource;    /* the final GET fell back to the resource already */
};

const char *arm_op_state_name(arm_op_state state)
{
	return state <= ARM_OP_ERROR ? op__state_names[state] : "?";
}

const char *arm_op_kind_name(arm_op_kind kind)
{
	return kind < ARM_OP_KIND_COUNT ? op__kinds[kind].name : "?";
}

int64_t arm_op_kind_timeout_s(arm_op_kind kind)
{
	return kind < ARM_OP_KIND_COUNT ? op__kinds[kind].timeout_s : 3600;
}

int arm_op_kind_parse(arm_op_kind *out, const char *name)
{
	for (int i = 0; i < ARM_OP_KIND_COUNT; i++)
		if (strcasecmp(op__kinds[i].name, name) == 0) {
			*out = (arm_op_kind)i;
			return 0;
		}
	return cmk_error_set(CMK_EINVALID, "unknown operation kind '%s'", name);
}

arm_status_class arm_status_classify(const char *status)
{
	switch (live_provisioning_classify(status)) {
	case LIVE_PROVISIONING_SUCCEEDED:
		return ARM_STATUS_SUCCEEDED;
	case LIVE_PROVISIONING_FAILED:
		return ARM_STATUS_FAILED;
	case LIVE_PROVISIONING_CANCELED:
		return ARM_STATUS_CANCELED;
	default:
		return ARM_STATUS_RUNNING;
	}
}

/* ---- construction ----------------------------------------------------- */

static int op__strset(char **field, const char *value)
{
	char *copy = NULL;

	if (value && (copy = strdup(value)) == NULL)
		return cmk_error_oom();
	free(*field);
	*field = copy;
	return 0;
}

/* properties.provisioningState of a resource body (any casing), or NULL. */
static const char *op__provisioning_state(const cJSON *body)
{
	const cJSON *props = cJSON_GetObjectItem(body, "properties");
	const cJSON *ps = cJSON_GetObjectItem(props, "provisioningState");

	if (!cJSON_IsString(ps))
		ps = cJSON_GetObjectItem(body, "provisioningState");
	return cJSON_IsString(ps) ? ps->valuestring : NULL;
}

static int64_t op__retry_after(const arm_response *resp)
{
	const char *v = arm_response_header(resp, "Retry-After");
	const char *date = arm_response_header(resp, "Date");
	time_t now = date ? arm_http_date_parse(date) : -1;
	int64_t ms;

	/* an HTTP-date Retry-After counts from the server's Date (no skew) */
	if (!v || arm_retry_after_parse(&ms, v, now == -1 ? time(NULL) : now) < 0)
		return -1;
	return ms;
}

static int op__set_error(arm_op *op, int code, const char *fmt, ...) CMK_PRINTF(3, 4);
static int op__set_error(arm_op *op, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	arm_error *e = NULL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (arm_error_from_operation(&e, op->method, op->resource_id, NULL, NULL) < 0)
		return CMK_ENOMEM;
	free(e->message);
	e->message = strdup(msg);
	e->code = code;
	if (!e->message) {
		arm_error_free(e);
		return CMK_ENOMEM;
	}
	arm_error_free(op->error);
	op->error = e;
	return code;
}

int arm_op_from_response(arm_op **out, arm_op_kind kind, const char *method,
			 const char *resource_url, const char *api_version,
			 const char *resource_id, const arm_response *resp,
			 arm_final_via final_via)
{
	arm_op *op = calloc(1, sizeof(*op));
	const char *async = arm_response_header(resp, "Azure-AsyncOperation");
	const char *location = arm_response_header(resp, "Location");
	cJSON *body = NULL;
	const char *ps = NULL;
	int error, is_delete = strcasecmp(method, "DELETE") == 0;

	if (!op)
		return cmk_error_oom();
	op->kind = kind;
	op->final_via = final_via;
	op->started_ms = cmk_time_wall_ms();
	op->timeout_s = arm_op_kind_timeout_s(kind);
	op->retry_after_ms = op__retry_after(resp);
	if ((error = op__strset(&op->method, method)) < 0 ||
	    (error = op__strset(&op->resource_url, resource_url)) < 0 ||
	    (error = op__strset(&op->api_version, api_version)) < 0 ||
	    (error = op__strset(&op->resource_id, resource_id ? resource_id : resource_url)) < 0 ||
	    (error = op__strset(&op->async_url, async && *async ? async : NULL)) < 0 ||
	    (error = op__strset(&op->location_url, location && *location ? location : NULL)) < 0)
		goto fail;
	if (resp->body.len > 0)
		body = cJSON_ParseWithLength(resp->body.ptr, resp->body.len);
	if (cJSON_IsObject(body))
		ps = op__provisioning_state(body);

	if (op->async_url) {
		op->mode = ARM_POLL_ASYNC_OPERATION;
	} else if (resp->status == 202) {
		op->mode = op->location_url ? ARM_POLL_LOCATION : ARM_POLL_RESOURCE;
	} else if (arm_status_classify(ps) == ARM_STATUS_RUNNING && (!is_delete || (ps && *ps))) {
		/* a synchronous 200/201 with a non-terminal state (a DELETE
		 * answered "200 Deleting") is a started operation, not a done one */
		op->mode = op->location_url ? ARM_POLL_LOCATION : ARM_POLL_RESOURCE;
	} else {
		/* answered synchronously (the service does, spec or not) */
		op->mode = ARM_POLL_NONE;
		if (!is_delete && cJSON_IsObject(body)) {
			op->result = body;
			body = NULL;
		}
		if (arm_status_classify(ps) == ARM_STATUS_FAILED ||
		    arm_status_classify(ps) == ARM_STATUS_CANCELED) {
			op->state = arm_status_classify(ps) == ARM_STATUS_FAILED ? ARM_OP_FAILED
										  : ARM_OP_CANCELED;
			(void)op__set_error(op, CMK_ERROR, "provisioningState is %s", ps);
		} else {
			op->state = ARM_OP_SUCCEEDED;
		}
	}
	if (op->mode != ARM_POLL_NONE) {
		op->state = ARM_OP_POLL_WAIT;
		/* "" says nothing (and a saved operation refuses it) */
		if (ps && *ps && (error = op__strset(&op->last_status, ps)) < 0)
			goto fail;
	}
	cJSON_Delete(body);
	*out = op;
	return 0;
fail:
	cJSON_Delete(body);
	arm_op_free(op);
	return error;
}

int arm_op_begin(arm_op **out, arm_client *c, arm_op_kind kind, const arm_request *req,
		 const char *resource_id, arm_final_via final_via, arm_error **err_out)
{
	arm_response *resp = NULL;
	int error;

	if (err_out)
		*err_out = NULL;
	if ((error = arm_send(&resp, c, req)) < 0) {
		if (err_out && resp && resp->error) {
			*err_out = resp->error;
			resp->error = NULL;
		}
		goto out;
	}
	error = arm_op_from_response(out, kind, req->method, req->url, req->api_version,
				     resource_id, resp, final_via);
	if (error == 0)
		cmk_log_ctx(CMK_LOG_DEBUG, (*out)->resource_id, arm_op_kind_name(kind),
			    resp->request_id, "%s answered %ld, following via %s", req->method,
			    resp->status, op__mode_names[(*out)->mode]);
out:
	arm_response_free(resp);
	return error;
}

int arm_op_begin_all(arm_op **outs, int *rcs, arm_error **errs, arm_client *c,
		     arm_op_kind kind, const arm_request *reqs,
		     const char *const *resource_ids, size_t n, arm_final_via final_via)
{
	arm_response **resps = calloc(n ? n : 1, sizeof(*resps));
	int error, first = 0;

	if (!resps)
		return cmk_error_oom();
	error = arm_send_all(resps, rcs, c, reqs, n);
	for (size_t i = 0; i < n; i++) {
		outs[i] = NULL;
		if (errs)
			errs[i] = NULL;
		if (rcs[i] == 0)
			rcs[i] = arm_op_from_response(&outs[i], kind, reqs[i].method, reqs[i].url,
						      reqs[i].api_version,
						      resource_ids ? resource_ids[i] : NULL,
						      resps[i], final_via);
		else if (errs && resps[i] && resps[i]->error) {
			errs[i] = resps[i]->error;
			resps[i]->error = NULL;
		}
		if (rcs[i] < 0 && !first)
			first = rcs[i];
		arm_response_free(resps[i]);
	}
	free(resps);
	if (first)
		return first;
	return error < 0 ? error : 0;
}

void arm_op_complete(arm_op *op, cJSON *result)
{
	cJSON_Delete(op->result);
	op->result = result;
	op->state = ARM_OP_SUCCEEDED;
	arm_error_free(op->error);
	op->error = NULL;
	if (op->rt && !op->rt->done) {
		op->rt->done = 1;
		(*op->rt->active)--;
	}
}

void arm_op_fail(arm_op *op, arm_error *err)
{
	arm_error_free(op->error);
	op->error = err;
	op->state = err && err->code == CMK_ECANCELED ? ARM_OP_CANCELED : ARM_OP_FAILED;
	if (op->rt && !op->rt->done) {
		op->rt->done = 1;
		(*op->rt->active)--;
	}
}

/* ---- the state machine ------------------------------------------------ */

static void op__on_answer(void *ud, arm_response *resp, int rc);

static void op__finish(arm_op *op, arm_op_state state)
{
	op->state = state;
	if (op->rt && !op->rt->done) {
		op->rt->done = 1;
		(*op->rt->active)--;
	}
	/* the caller reports failures (with op->error); here only the trace */
	cmk_log_ctx(CMK_LOG_DEBUG, op->resource_id,
		    arm_op_kind_name(op->kind), NULL, "operation %s after %u poll%s%s%s",
		    arm_op_state_name(state), op->polls, op->polls == 1 ? "" : "s",
		    op->error ? ": " : "", op->error ? op->error->message : "");
}

/* Finish with ERROR from the thread's last error (a request that failed). */
static void op__finish_from_last(arm_op *op, int rc)
{
	char msg[2048];

	snprintf(msg, sizeof(msg), "%s", cmk_error_last());
	(void)op__set_error(op, rc, "%s", msg);
	op__finish(op, ARM_OP_ERROR);
}

static const char *op__poll_url(const arm_op *op)
{
	if (op->state == ARM_OP_FINAL_GET)
		return op->rt->final_target == FINAL_FROM_LOCATION ? op->location_url
								    : op->resource_url;
	switch (op->mode) {
	case ARM_POLL_ASYNC_OPERATION: return op->async_url;
	case ARM_POLL_LOCATION: return op->location_url;
	default: return op->resource_url;
	}
}

/* Send the next status (or final) request after `delay_virtual_ms`, never
 * later than the deadline (so a timeout is noticed on time). */
static void op__schedule(arm_op *op, int64_t delay_virtual_ms)
{
	arm_client *c = op->rt->c;
	const char *url = op__poll_url(op);
	int64_t delay = arm_client_scale_ms(c, delay_virtual_ms), now = arm_now_ms();
	int on_resource = url == op->resource_url;
	arm_request req = {
		.method = "GET",
		.url = url,
		.api_version = on_resource ? op->api_version : NULL,
		.resource_id = op->resource_id,
	};
	int error;

	if (now + delay > op->rt->deadline_ms)
		delay = op->rt->deadline_ms > now ? op->rt->deadline_ms - now : 0;
	if ((error = arm_submit(c, &req, delay, op__on_answer, op)) < 0)
		op__finish_from_last(op, error);
}

static int64_t op__next_delay(arm_op *op, const arm_response *resp)
{
	int64_t ra = resp ? op__retry_after(resp) : -1;

	if (ra >= 0)
		op->retry_after_ms = ra;
	return arm_poll_delay_ms(ra, op->rt->o.default_poll_ms, op->rt->o.min_poll_ms,
				 op->rt->o.max_poll_ms);
}

/* Still running: poll again, unless the deadline has passed. */
static void op__running(arm_op *op, const arm_response *resp, const char *status)
{
	char shown[64];

	if (status && op__strset(&op->last_status, status) < 0) {
		op__finish_from_last(op, CMK_ENOMEM);
		return;
	}
	if (arm_now_ms() >= op->rt->deadline_ms) {
		snprintf(shown, sizeof(shown), "%s", op->last_status ? op->last_status : "unknown");
		(void)op__set_error(op, CMK_ETIMEOUT, "%s did not finish within %lld s (last "
				    "status %s); the operation continues in Azure - resume "
				    "the wait from the saved operation", arm_op_kind_name(op->kind),
				    (long long)op->timeout_s, shown);
		op__finish(op, ARM_OP_TIMED_OUT);
		return;
	}
	op__schedule(op, op__next_delay(op, resp));
}

/* The status could not be read: count it and try again later. */
static void op__unreadable(arm_op *op, const arm_response *resp, int rc)
{
	char msg[2048];

	snprintf(msg, sizeof(msg), "%s", cmk_error_last());
	if (++op->read_failures >= op->rt->o.max_read_failures) {
		(void)op__set_error(op, rc < 0 ? rc : CMK_ERROR, "the status of %s could not be "
				    "read %u times in a row; last: %s", arm_op_kind_name(op->kind),
				    op->read_failures, msg);
		op__finish(op, ARM_OP_ERROR);
		return;
	}
	cmk_log_ctx(CMK_LOG_DEBUG, op->resource_id, arm_op_kind_name(op->kind), NULL,
		    "status unreadable (%u): %s", op->read_failures, msg);
	op__running(op, resp, NULL);
}

static void op__start_final(arm_op *op, op__final_target target)
{
	op->state = ARM_OP_FINAL_GET;
	op->rt->final_target = target;
	if (target == FINAL_FROM_RESOURCE)
		op->rt->tried_resource = 1;
	op__schedule(op, 0);
}

/* The operation succeeded: fetch the resource per final-state-via, or end. */
static void op__succeeded(arm_op *op, cJSON *status_body)
{
	int is_delete = strcasecmp(op->method, "DELETE") == 0;
	int is_post = strcasecmp(op->method, "POST") == 0;
	arm_final_via via = op->final_via;
	cJSON *props;

	(void)op__strset(&op->last_status, "Succeeded");
	if (is_delete || via == ARM_FINAL_NONE) {
		op__finish(op, ARM_OP_SUCCEEDED);
		return;
	}
	if (via == ARM_FINAL_ASYNC_OPERATION) {
		props = cJSON_DetachItemFromObject(status_body, "properties");
		cJSON_Delete(op->result);
		op->result = props;
		op__finish(op, ARM_OP_SUCCEEDED);
		return;
	}
	if ((via == ARM_FINAL_LOCATION || (via == ARM_FINAL_DEFAULT && is_post)) &&
	    op->location_url && op->mode != ARM_POLL_LOCATION) {
		op__start_final(op, FINAL_FROM_LOCATION);
		return;
	}
	if (is_post) {
		op__finish(op, ARM_OP_SUCCEEDED);
		return;
	}
	op__start_final(op, FINAL_FROM_RESOURCE);
}

static void op__on_final(arm_op *op, arm_response *resp, int rc)
{
	cJSON *body = NULL;

	if (rc == 0 && resp->status == 202 && op->rt->final_target == FINAL_FROM_LOCATION) {
		/* the Location URL is still working: follow it */
		op->mode = ARM_POLL_LOCATION;
		op->state = ARM_OP_POLL_WAIT;
		op__running(op, resp, NULL);
		return;
	}
	if (rc == 0 && resp->body.len > 0)
		body = cJSON_ParseWithLength(resp->body.ptr, resp->body.len);
	if (cJSON_IsObject(body)) {
		cJSON_Delete(op->result);
		op->result = body;
		op__finish(op, ARM_OP_SUCCEEDED);
		return;
	}
	cJSON_Delete(body);
	if (!op->rt->tried_resource && strcasecmp(op->method, "POST") != 0) {
		op__start_final(op, FINAL_FROM_RESOURCE);
		return;
	}
	if (rc < 0)
		cmk_log_ctx(CMK_LOG_WARN, op->resource_id, arm_op_kind_name(op->kind), NULL,
			    "the operation succeeded but reading the result failed: %s",
			    cmk_error_last());
	op__finish(op, ARM_OP_SUCCEEDED);
}

int arm_op_follow_resource(arm_op *op)
{
	if (!op || !op->resource_url)
		return cmk_error_set(CMK_EINVALID, "operation has no resource URL to follow");
	op->mode = ARM_POLL_RESOURCE;
	op->final_via = ARM_FINAL_NONE; /* the resource read that ends it is the result */
	op->poll_now = 1;
	return 0;
}

/* The status URL answered 404 or 410: the operation record is gone (a
 * front-end restart, an expired record), not the operation. From now on the
 * resource's provisioningState says how it ends - the same switch a resumed
 * apply makes (arm_op_follow_resource). */
static void op__status_gone(arm_op *op, const arm_response *resp)
{
	cmk_log_ctx(CMK_LOG_INFO, op->resource_id, arm_op_kind_name(op->kind), NULL,
		    "the %s URL answered %ld (operation record gone); following the "
		    "resource's provisioningState instead",
		    op->mode == ARM_POLL_LOCATION ? "Location" : "Azure-AsyncOperation",
		    (long)resp->status);
	if (arm_op_follow_resource(op) < 0) {
		op__finish_from_last(op, CMK_EINVALID);
		return;
	}
	op->read_failures = 0;
	op__schedule(op, 0); /* nothing to wait for: the record will not come back */
}

static int op__gone(const arm_response *resp)
{
	return resp && (resp->status == 404 || resp->status == 410);
}

static void op__on_async_status(arm_op *op, arm_response *resp)
{
	cJSON *doc = NULL;
	const cJSON *st;
	arm_error *e = NULL;

	if (arm_response_json(&doc, resp) < 0 || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		op__unreadable(op, resp, CMK_EINVALID);
		return;
	}
	st = cJSON_GetObjectItem(doc, "status");
	if (!cJSON_IsString(st) || !st->valuestring[0]) {
		cJSON_Delete(doc);
		cmk_error_set(CMK_EINVALID, "the operation status has no \"status\"");
		op__unreadable(op, resp, CMK_EINVALID);
		return;
	}
	op->read_failures = 0;
	switch (arm_status_classify(st->valuestring)) {
	case ARM_STATUS_RUNNING:
		op__running(op, resp, st->valuestring);
		break;
	case ARM_STATUS_SUCCEEDED:
		op__succeeded(op, doc);
		break;
	case ARM_STATUS_FAILED:
	case ARM_STATUS_CANCELED:
		(void)op__strset(&op->last_status, st->valuestring);
		if (arm_error_from_operation(&e, op->method, op->resource_id, st->valuestring,
					     cJSON_GetObjectItem(doc, "error")) == 0) {
			arm_error_free(op->error);
			op->error = e;
			e->request_id = resp->request_id ? strdup(resp->request_id) : NULL;
		}
		op__finish(op, arm_status_classify(st->valuestring) == ARM_STATUS_FAILED
				       ? ARM_OP_FAILED : ARM_OP_CANCELED);
		break;
	}
	cJSON_Delete(doc);
}

static void op__on_location(arm_op *op, arm_response *resp, int rc)
{
	cJSON *body = NULL;
	int is_delete = strcasecmp(op->method, "DELETE") == 0;

	if (rc == 0 && resp->status == 202) {
		op->read_failures = 0;
		op__running(op, resp, op->last_status ? op->last_status : "Accepted");
		return;
	}
	if (rc == 0) {
		/* the Location URL now answers what the write would have */
		op->read_failures = 0;
		(void)op__strset(&op->last_status, "Succeeded");
		if (!is_delete && resp->body.len > 0)
			body = cJSON_ParseWithLength(resp->body.ptr, resp->body.len);
		if (cJSON_IsObject(body) || is_delete || strcasecmp(op->method, "POST") == 0) {
			cJSON_Delete(op->result);
			op->result = cJSON_IsObject(body) ? body : NULL;
			if (!op->result)
				cJSON_Delete(body);
			op__finish(op, ARM_OP_SUCCEEDED);
			return;
		}
		cJSON_Delete(body);
		op__start_final(op, FINAL_FROM_RESOURCE);
		return;
	}
	if (resp->status == 404 && is_delete) {
		/* a DELETE's Location answers 404 once the resource is gone */
		op__finish(op, ARM_OP_SUCCEEDED);
		return;
	}
	if (op__gone(resp)) {
		op__status_gone(op, resp);
		return;
	}
	if (resp->error && resp->error->klass == ARM_ERROR_PERMANENT && resp->status != 401 &&
	    resp->status != 403 && resp->status != 404) {
		/* the synchronous answer of a failed operation */
		arm_error_free(op->error);
		op->error = resp->error;
		resp->error = NULL;
		(void)op__strset(&op->last_status, "Failed");
		op__finish(op, ARM_OP_FAILED);
		return;
	}
	op__unreadable(op, resp, rc);
}

static void op__on_resource(arm_op *op, arm_response *resp, int rc)
{
	cJSON *body = NULL;
	const char *ps;
	int is_delete = strcasecmp(op->method, "DELETE") == 0;

	if (rc == CMK_ENOTFOUND) {
		op->read_failures = 0;
		if (is_delete) {
			(void)op__strset(&op->last_status, "Succeeded");
			op__finish(op, ARM_OP_SUCCEEDED);
		} else {
			/* a 202-created resource stays invisible until done (RPC) */
			op__running(op, resp, op->last_status ? op->last_status : "Accepted");
		}
		return;
	}
	if (rc < 0 || arm_response_json(&body, resp) < 0) {
		op__unreadable(op, resp, rc < 0 ? rc : CMK_EINVALID);
		return;
	}
	if (!cJSON_IsObject(body)) {
		/* [] or null is no resource (not one "without provisioningState") */
		cJSON_Delete(body);
		cmk_error_set(CMK_EINVALID, "the resource read is not a JSON object");
		op__unreadable(op, resp, CMK_EINVALID);
		return;
	}
	op->read_failures = 0;
	ps = op__provisioning_state(body);
	switch (arm_status_classify(ps)) {
	case ARM_STATUS_RUNNING:
		op__running(op, resp, ps);
		break;
	case ARM_STATUS_SUCCEEDED:
		(void)op__strset(&op->last_status, "Succeeded");
		if (is_delete) {
			/* still there although the delete succeeded? keep looking */
			op__running(op, resp, ps ? ps : "Deleting");
			break;
		}
		cJSON_Delete(op->result);
		op->result = body;
		body = NULL;
		op__finish(op, ARM_OP_SUCCEEDED);
		break;
	case ARM_STATUS_FAILED:
	case ARM_STATUS_CANCELED:
		(void)op__strset(&op->last_status, ps);
		(void)op__set_error(op, CMK_ERROR, "provisioningState is %s", ps);
		cJSON_Delete(op->result);
		op->result = body;
		body = NULL;
		op__finish(op, arm_status_classify(ps) == ARM_STATUS_FAILED ? ARM_OP_FAILED
									     : ARM_OP_CANCELED);
		break;
	}
	cJSON_Delete(body);
}

static void op__on_answer(void *ud, arm_response *resp, int rc)
{
	arm_op *op = ud;

	if (op->state != ARM_OP_FINAL_GET)
		op->polls++;
	if (rc == CMK_ECANCELED) {
		op__finish_from_last(op, rc);
	} else if (!resp) {
		/* never answered: a refused URL is final, a network failure is not */
		if (rc == CMK_EAUTH || rc == CMK_EINVALID || rc == CMK_ENOMEM)
			op__finish_from_last(op, rc);
		else if (op->state == ARM_OP_FINAL_GET)
			op__on_final(op, resp, rc);
		else
			op__unreadable(op, resp, rc);
	} else if (op->state == ARM_OP_FINAL_GET) {
		op__on_final(op, resp, rc);
	} else if (op->mode == ARM_POLL_ASYNC_OPERATION) {
		if (rc < 0 && op__gone(resp))
			op__status_gone(op, resp);
		else if (rc < 0)
			op__unreadable(op, resp, rc); /* 4xx/5xx: status unreadable, not failed */
		else
			op__on_async_status(op, resp);
	} else if (op->mode == ARM_POLL_LOCATION) {
		op__on_location(op, resp, rc);
	} else {
		op__on_resource(op, resp, rc);
	}
	arm_response_free(resp);
}

/* ---- waiting ---------------------------------------------------------- */

typedef struct {
	arm_client *c;
	arm_op **ops;            /* the operations given, then those `more` added */
	size_t n, cap;
	size_t n0;               /* how many were given (their runtimes are rts0) */
	struct arm_op__rt *rts0;
	struct arm_op__rt **rts_more; /* runtimes of added operations, one each */
	size_t rts_cap;
	size_t active;
	arm_op_wait_opts o;
	int64_t next_observe_ms; /* monotonic; 0 = no observed operations */
	int observing;           /* the hook is running (it may run the loop) */
	int observe_error;
	int in_more;             /* `more` is running */
	int more_done;           /* `more` failed: do not call it again */
} op__wait;

/* Run the observe hook when due and enforce deadlines of observed ops. */
static void op__observe(op__wait *w)
{
	arm_op **running = NULL;
	size_t n = 0;
	int64_t now = arm_now_ms();
	int error;

	if (!w->next_observe_ms || w->observing || w->in_more || now < w->next_observe_ms)
		return;
	if ((running = calloc(w->n, sizeof(*running))) == NULL)
		return; /* try again next turn */
	for (size_t i = 0; i < w->n; i++) {
		arm_op *op = w->ops[i];
		if (op->observed && op->rt && !op->rt->done)
			running[n++] = op;
	}
	if (n > 0) {
		w->observing = 1;
		error = w->o.observe(w->o.observe_ud, w->c, running, n);
		w->observing = 0;
		now = arm_now_ms();
		for (size_t i = 0; i < n; i++) {
			arm_op *op = running[i];
			if (!op->rt || op->rt->done)
				continue;
			op->polls++;
			if (error < 0) {
				op__finish_from_last(op, error);
			} else if (now >= op->rt->deadline_ms) {
				(void)op__set_error(op, CMK_ETIMEOUT, "%s did not finish within %lld s "
						    "(observed)", arm_op_kind_name(op->kind),
						    (long long)op->timeout_s);
				op__finish(op, ARM_OP_TIMED_OUT);
			}
		}
	}
	free(running);
	w->next_observe_ms = now + arm_client_scale_ms(w->c, w->o.observe_ms);
}

static int op__terminal(arm_op_state s)
{
	return s == ARM_OP_SUCCEEDED || s == ARM_OP_FAILED || s == ARM_OP_CANCELED;
}

/* Start following `op` in wait `w` with runtime `rt`. */
static void op__register(op__wait *w, arm_op *op, struct arm_op__rt *rt)
{
	int64_t first, elapsed;

	if (op__terminal(op->state) || op->mode == ARM_POLL_NONE)
		return;
	*rt = (struct arm_op__rt){ .c = w->c, .o = w->o, .active = &w->active };
	op->rt = rt;
	/* the deadline counts from the operation's start, also when resumed */
	elapsed = cmk_time_wall_ms() - op->started_ms;
	op->rt->deadline_ms = arm_now_ms() + arm_client_scale_ms(w->c, op->timeout_s * 1000) - elapsed;
	arm_error_free(op->error);
	op->error = NULL;
	op->read_failures = 0;
	op->state = ARM_OP_POLL_WAIT;
	w->active++;
	if (op->observed && w->o.observe) {
		/* the hook looks at once: a resumed wait may already be over */
		if (!w->next_observe_ms || w->next_observe_ms > arm_now_ms())
			w->next_observe_ms = arm_now_ms();
		return;
	}
	/* first poll: after the write's Retry-After (clamped), else the
	 * default; a resumed or re-waited operation asks at once */
	first = op->poll_now ? 0
			     : arm_poll_delay_ms(op->retry_after_ms, w->o.default_poll_ms,
						 w->o.min_poll_ms, w->o.max_poll_ms);
	op->poll_now = 0;
	op__schedule(op, first);
}

/* Let the caller add operations (arm_op_wait_opts.more). */
static void op__more(op__wait *w)
{
	arm_op **add = NULL;
	size_t nadd = 0;
	int error;

	if (!w->o.more || w->more_done || w->in_more || w->observing)
		return;
	w->in_more = 1;
	error = w->o.more(w->o.more_ud, w->c, &add, &nadd);
	w->in_more = 0;
	if (error < 0) {
		w->more_done = 1;
		cmk_error_clear();
		return;
	}
	for (size_t i = 0; i < nadd; i++) {
		struct arm_op__rt *rt;

		if ((error = cmk_vec_reserve(&w->ops, &w->cap, w->n + 1, sizeof(*w->ops), 0)) < 0 ||
		    (error = cmk_vec_reserve(&w->rts_more, &w->rts_cap, w->n - w->n0 + 1,
					     sizeof(*w->rts_more), 0)) < 0) {
			/* cannot follow it: it ends this wait unfollowed (resumable) */
			(void)op__set_error(add[i], error, "%s", cmk_error_last());
			add[i]->state = ARM_OP_ERROR;
			continue;
		}
		if ((rt = calloc(1, sizeof(*rt))) == NULL) {
			(void)op__set_error(add[i], CMK_ENOMEM, "out of memory");
			add[i]->state = ARM_OP_ERROR;
			continue;
		}
		w->rts_more[w->n - w->n0] = rt;
		w->ops[w->n++] = add[i];
		op__register(w, add[i], rt);
	}
}

static int op__all_done(void *ud)
{
	op__wait *w = ud;

	op__observe(w);
	op__more(w);
	return w->active == 0;
}

/* The runtime the wait gave operation i (NULL for none). */
static struct arm_op__rt *op__rt_of(op__wait *w, size_t i)
{
	return i < w->n0 ? &w->rts0[i] : w->rts_more[i - w->n0];
}

int arm_op_wait_all(arm_client *c, arm_op **ops, size_t n, const arm_op_wait_opts *opts)
{
	arm_op_wait_opts o = opts ? *opts : (arm_op_wait_opts){ 0 };
	op__wait w = { .c = c, .n = n, .n0 = n, .cap = n, .rts_cap = 1 };
	int error = 0, run_error;

	w.rts0 = calloc(n ? n : 1, sizeof(*w.rts0));
	w.ops = calloc(n ? n : 1, sizeof(*w.ops));
	w.rts_more = calloc(1, sizeof(*w.rts_more));
	if (!w.rts0 || !w.ops || !w.rts_more) {
		free(w.rts0);
		free(w.ops);
		free(w.rts_more);
		return cmk_error_oom();
	}
	if (n)
		memcpy(w.ops, ops, n * sizeof(*ops));
	if (!o.default_poll_ms) o.default_poll_ms = 30000;
	if (!o.min_poll_ms) o.min_poll_ms = 1000;
	if (!o.max_poll_ms) o.max_poll_ms = 600000;
	if (!o.max_read_failures) o.max_read_failures = 20;
	if (!o.observe_ms) o.observe_ms = o.default_poll_ms;
	w.o = o;

	for (size_t i = 0; i < n; i++)
		op__register(&w, w.ops[i], &w.rts0[i]);
	/* with `more`, the caller may have work before anything ends */
	op__more(&w);
	for (;;) {
		int64_t nap;

		run_error = arm_run(c, op__all_done, &w);
		if (run_error < 0)
			break;
		if (w.active == 0) {
			/* the last operation ended: more may start others */
			op__more(&w);
			if (w.active == 0)
				break;
			continue;
		}
		/* only observed operations left: nothing in flight until the hook */
		if (arm_client_canceled(c)) {
			run_error = cmk_error_set(CMK_ECANCELED, "canceled");
			break;
		}
		nap = w.next_observe_ms - arm_now_ms();
		if (nap > 1000)
			nap = 1000;
		if (nap > 0)
			usleep((useconds_t)nap * 1000);
		op__observe(&w);
		op__more(&w);
	}
	for (size_t i = 0; i < w.n; i++) {
		arm_op *op = w.ops[i];
		struct arm_op__rt *rt = op__rt_of(&w, i);

		if (rt && op->rt == rt) {
			if (!op->rt->done) {
				/* the loop stopped (cancel flag): resumable */
				(void)op__set_error(op, CMK_ECANCELED, "the wait for %s was canceled",
						    arm_op_kind_name(op->kind));
				op->state = ARM_OP_ERROR;
			}
			op->rt = NULL;
			/* re-waiting polls at once */
			op->poll_now = 1;
		}
		if (op->state != ARM_OP_SUCCEEDED && error == 0) {
			if (op->error)
				error = arm_error_raise(op->error);
			else
				error = cmk_error_set(CMK_ERROR, "%s of %s ended %s",
						      arm_op_kind_name(op->kind), op->resource_id,
						      arm_op_state_name(op->state));
		}
	}
	for (size_t i = w.n0; i < w.n; i++)
		free(w.rts_more[i - w.n0]);
	free(w.rts_more);
	free(w.rts0);
	free(w.ops);
	if (error == 0 && run_error < 0)
		error = run_error;
	return error;
}

int arm_op_wait(arm_client *c, arm_op *op, const arm_op_wait_opts *opts)
{
	return arm_op_wait_all(c, &op, 1, opts);
}

/* ---- (de)serialisation ------------------------------------------------ */

int arm_op_to_json(cJSON **out, const arm_op *op)
{
	cJSON *j = cJSON_CreateObject();
	char when[80];

	if (!j)
		return cmk_error_oom();
	(void)cmk_time_format_ms(when, sizeof(when), op->started_ms);
	if (!cJSON_AddNumberToObject(j, "version", 1) ||
	    !cJSON_AddStringToObject(j, "kind", arm_op_kind_name(op->kind)) ||
	    !cJSON_AddStringToObject(j, "method", op->method) ||
	    !cJSON_AddStringToObject(j, "resourceId", op->resource_id) ||
	    !cJSON_AddStringToObject(j, "resourceUrl", op->resource_url) ||
	    (op->api_version && !cJSON_AddStringToObject(j, "apiVersion", op->api_version)) ||
	    (op->async_url && !cJSON_AddStringToObject(j, "asyncOperation", op->async_url)) ||
	    (op->location_url && !cJSON_AddStringToObject(j, "location", op->location_url)) ||
	    !cJSON_AddStringToObject(j, "pollMode", op__mode_names[op->mode]) ||
	    !cJSON_AddStringToObject(j, "finalStateVia", op__final_names[op->final_via]) ||
	    !cJSON_AddStringToObject(j, "startedAt", when) ||
	    !cJSON_AddNumberToObject(j, "timeoutSeconds", (double)op->timeout_s) ||
	    (op->last_status && !cJSON_AddStringToObject(j, "lastStatus", op->last_status))) {
		cJSON_Delete(j);
		return cmk_error_oom();
	}
	*out = j;
	return 0;
}

static const char *op__json_str(const cJSON *doc, const char *name, int required, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (cJSON_IsString(v) && v->valuestring[0])
		return v->valuestring;
	if (required || (v && !cJSON_IsNull(v))) {
		*bad = 1;
		cmk_error_set(CMK_EINVALID, "saved operation: \"%s\" %s", name,
			      v ? "must be a non-empty string" : "is missing");
	}
	return NULL;
}

int arm_op_from_json(arm_op **out, const cJSON *doc)
{
	const char *kind, *method, *id, *url, *api, *async, *loc, *mode, *via, *started, *last;
	const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(doc, "timeoutSeconds");
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	arm_op *op = NULL;
	int bad = 0, error, i;

	if (!cJSON_IsObject(doc))
		return cmk_error_set(CMK_EINVALID, "saved operation: not a JSON object");
	if (!cJSON_IsNumber(version) || version->valueint != 1)
		return cmk_error_set(CMK_EINVALID, "saved operation: \"version\" must be 1");
	kind = op__json_str(doc, "kind", 1, &bad);
	method = bad ? NULL : op__json_str(doc, "method", 1, &bad);
	id = bad ? NULL : op__json_str(doc, "resourceId", 1, &bad);
	url = bad ? NULL : op__json_str(doc, "resourceUrl", 1, &bad);
	api = bad ? NULL : op__json_str(doc, "apiVersion", 0, &bad);
	async = bad ? NULL : op__json_str(doc, "asyncOperation", 0, &bad);
	loc = bad ? NULL : op__json_str(doc, "location", 0, &bad);
	mode = bad ? NULL : op__json_str(doc, "pollMode", 1, &bad);
	via = bad ? NULL : op__json_str(doc, "finalStateVia", 1, &bad);
	started = bad ? NULL : op__json_str(doc, "startedAt", 1, &bad);
	last = bad ? NULL : op__json_str(doc, "lastStatus", 0, &bad);
	if (bad)
		return CMK_EINVALID;
	if ((op = calloc(1, sizeof(*op))) == NULL)
		return cmk_error_oom();
	if ((error = arm_op_kind_parse(&op->kind, kind)) < 0)
		goto fail;
	for (i = 0; i <= ARM_POLL_RESOURCE && strcmp(op__mode_names[i], mode) != 0; i++)
		;
	if (i > ARM_POLL_RESOURCE) {
		error = cmk_error_set(CMK_EINVALID, "saved operation: unknown pollMode '%s'", mode);
		goto fail;
	}
	op->mode = (arm_poll_mode)i;
	for (i = 0; i <= ARM_FINAL_NONE && strcmp(op__final_names[i], via) != 0; i++)
		;
	if (i > ARM_FINAL_NONE) {
		error = cmk_error_set(CMK_EINVALID, "saved operation: unknown finalStateVia '%s'",
				      via);
		goto fail;
	}
	op->final_via = (arm_final_via)i;
	if ((op->mode == ARM_POLL_ASYNC_OPERATION && !async) ||
	    (op->mode == ARM_POLL_LOCATION && !loc)) {
		error = cmk_error_set(CMK_EINVALID, "saved operation: pollMode '%s' needs its "
				      "URL (\"%s\")", mode, async ? "location" : "asyncOperation");
		goto fail;
	}
	if (cmk_time_parse_ms(&op->started_ms, started) < 0) {
		error = cmk_error_set(CMK_EINVALID, "saved operation: \"startedAt\" '%s' is not "
				      "an ISO 8601 UTC time", started);
		goto fail;
	}
	/* at most 100 years: anything more does not fit the deadline arithmetic */
	if (timeout && (!cJSON_IsNumber(timeout) || !(timeout->valuedouble > 0) ||
			timeout->valuedouble > 3.2e9)) {
		error = cmk_error_set(CMK_EINVALID, "saved operation: \"timeoutSeconds\" must be "
				      "a positive number of seconds (at most 100 years)");
		goto fail;
	}
	op->timeout_s = timeout ? (int64_t)timeout->valuedouble : arm_op_kind_timeout_s(op->kind);
	if ((error = op__strset(&op->method, method)) < 0 ||
	    (error = op__strset(&op->resource_id, id)) < 0 ||
	    (error = op__strset(&op->resource_url, url)) < 0 ||
	    (error = op__strset(&op->api_version, api)) < 0 ||
	    (error = op__strset(&op->async_url, async)) < 0 ||
	    (error = op__strset(&op->location_url, loc)) < 0 ||
	    (error = op__strset(&op->last_status, last)) < 0)
		goto fail;
	op->retry_after_ms = -1;
	op->poll_now = 1; /* resumed: ask at once */
	op->state = op->mode == ARM_POLL_NONE ? ARM_OP_SUCCEEDED : ARM_OP_POLL_WAIT;
	*out = op;
	return 0;
fail:
	arm_op_free(op);
	return error;
}

void arm_op_free(arm_op *op)
{
	if (!op)
		return;
	free(op->method);
	free(op->resource_id);
	free(op->resource_url);
	free(op->api_version);
	free(op->async_url);
	free(op->location_url);
	free(op->last_status);
	cJSON_Delete(op->result);
	arm_error_free(op->error);
	free(op);
}
