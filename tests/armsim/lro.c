/*
 * lro.c - the asynchronous-operation engine on the virtual clock (see lro.h).
 */
#include "lro.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "faults.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define MAX_KEPT 50000

typedef struct op_node {
	sim_op op;
	struct op_node *next;
} op_node;

typedef struct timer_node {
	int64_t at_ms;
	sim_timer_fn fn;
	cJSON *ctx;
	struct timer_node *next;
} timer_node;

static op_node *g_ops;     /* newest first */
/* The earliest end time of a running operation (INT64_MAX when none): the
 * tick skips the scan of every kept operation until then. */
static int64_t g_next_due = INT64_MAX;
static sim_tick_hook g_hooks[16];
static int g_nhooks;
static int g_nops;
static timer_node *g_timers; /* sorted by at_ms */

static char *dupz(const char *s)
{
	return strdup(s ? s : "");
}

static void lro__free(op_node *n)
{
	sim_op *o = &n->op;
	free(o->provider);
	free(o->location);
	free(o->subscription_id);
	free(o->resource_id);
	free(o->resource_type);
	free(o->kind);
	free(o->running_status);
	free(o->error_code);
	free(o->error_message);
	free(o->result_api_version);
	free(o->method);
	cJSON_Delete(o->ctx);
	free(n);
}

void lro_retry_after_header(sim_resp *resp, const sim_op *op)
{
	/* op->retry_after is virtual seconds; a client waits on the real clock.
	 * Rounded up, and never 0 for a positive value (Retry-After is whole
	 * seconds; 0 would invite a busy loop). */
	int v = op->retry_after;
	if (!g_settings.retry_after_real && v > 0) {
		double q = (double)v / simclock_scale();
		v = (int)q;
		if ((double)v < q)
			v++;
		if (v < 1)
			v = 1;
	}
	resp_header(resp, "Retry-After", "%d", v);
}

static const char *lro__status_name(const sim_op *op);

static _Thread_local const char *g_request_method;

/* The operation the running request's handler started, if any (the
 * Activity Log follows it to its end). */
static sim_op *g_request_op;
static lro_done_fn g_done_hook;

void lro_request_method(const char *method)
{
	g_request_method = method;
	g_request_op = NULL;
}

sim_op *lro_request_started(void)
{
	return g_request_op;
}

void lro_done_hook_set(lro_done_fn fn)
{
	g_done_hook = fn;
}

sim_op *lro_start(const lro_start_opts *o)
{
	op_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	sim_op *op = &n->op;
	char loc[128];
	sim_guid(op->id);
	sim_location_norm(loc, sizeof loc, o->location);
	op->provider = dupz(o->provider);
	op->location = dupz(loc);
	op->subscription_id = dupz(o->subscription_id);
	op->resource_id = dupz(o->resource_id);
	op->resource_type = dupz(o->resource_type);
	op->kind = dupz(o->kind);
	op->running_status = dupz(o->running_status ? o->running_status : "InProgress");
	op->start_ms = simclock_now_ms();
	op->end_ms = op->start_ms + (int64_t)(o->duration_s * 1000.0);
	op->state = LRO_RUNNING;
	op->fail_status = 400;
	op->result = o->result;
	op->result_api_version = dupz(o->api_version);
	op->complete = o->complete;
	op->ctx = o->ctx;
	op->retry_after = o->retry_after > 0 ? o->retry_after : g_settings.retry_after_s;
	op->report_percent = o->report_percent;
	op->method = dupz(o->method ? o->method : g_request_method ? g_request_method : "");
	/* a rule for "PUT" fails operations started by a PUT; "*" fails any */
	if (faults_async_fail(op->method, o->resource_type)) {
		/* decided now, revealed at the end time */
		cJSON *c = cJSON_CreateObject();
		cJSON_AddBoolToObject(c, "injectedFailure", true);
		if (!op->ctx)
			op->ctx = cJSON_CreateObject();
		sim_json_set(op->ctx, "_armsimInjectedFailure", cJSON_CreateTrue());
		cJSON_Delete(c);
	}
	n->next = g_ops;
	g_ops = n;
	g_nops++;
	if (g_request_method)
		g_request_op = op;
	if (op->end_ms < g_next_due)
		g_next_due = op->end_ms;
	/* forget the oldest finished operations beyond the cap */
	if (g_nops > MAX_KEPT) {
		op_node **pp = &g_ops;
		int i = 0;
		while (*pp) {
			if (++i > MAX_KEPT && (*pp)->op.state != LRO_RUNNING) {
				op_node *dead = *pp;
				*pp = dead->next;
				lro__free(dead);
				g_nops--;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return op;
}

void lro_fail(sim_op *op, const char *code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	free(op->error_code);
	free(op->error_message);
	op->error_code = strdup(code);
	op->error_message = strdup(msg);
	op->state = LRO_FAILED;
	if (op->end_ms > simclock_now_ms())
		op->end_ms = simclock_now_ms();
	if (op->end_ms < g_next_due)
		g_next_due = op->end_ms;
}

sim_op *lro_find(const char *id)
{
	for (op_node *n = g_ops; n && id; n = n->next)
		if (!strcasecmp(n->op.id, id))
			return &n->op;
	return NULL;
}

sim_op *lro_running_on(const char *resource_id)
{
	lro_tick();
	for (op_node *n = g_ops; n; n = n->next)
		if (n->op.state == LRO_RUNNING && sim_streq_ci(n->op.resource_id, resource_id))
			return &n->op;
	return NULL;
}

void sim_timer_add(int64_t at_ms, sim_timer_fn fn, cJSON *ctx)
{
	timer_node *t = calloc(1, sizeof *t);
	if (!t) {
		cJSON_Delete(ctx);
		return;
	}
	t->at_ms = at_ms;
	t->fn = fn;
	t->ctx = ctx;
	timer_node **pp = &g_timers;
	while (*pp && (*pp)->at_ms <= at_ms)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static int lro__cmp(const void *a, const void *b)
{
	const sim_op *x = *(sim_op *const *)a, *y = *(sim_op *const *)b;
	return x->end_ms < y->end_ms ? -1 : x->end_ms > y->end_ms;
}

void lro_tick(void)
{
	static int depth;
	if (depth)
		return; /* completion callbacks may call back in */
	depth++;
	int64_t now = simclock_now_ms();
	for (;;) {
		if (now < g_next_due && (!g_timers || g_timers->at_ms > now))
			break; /* nothing due: no scan */
		/* due operations in end order, interleaved with due timers */
		size_t n = 0, cap = 16;
		sim_op **due = malloc(cap * sizeof *due);
		int64_t next = INT64_MAX;
		for (op_node *x = g_ops; x && due; x = x->next) {
			if (x->op.state == LRO_RUNNING && x->op.end_ms > now && x->op.end_ms < next)
				next = x->op.end_ms;
			if (x->op.state == LRO_RUNNING && x->op.end_ms <= now) {
				if (n == cap) {
					sim_op **g = realloc(due, (cap *= 2) * sizeof *due);
					if (!g)
						break;
					due = g;
				}
				due[n++] = &x->op;
			}
		}
		if (!due)
			break;
		/* operations not due now; those due are completed below (or next loop) */
		g_next_due = n ? now : next;
		qsort(due, n, sizeof *due, lro__cmp);
		int64_t next_op = n ? due[0]->end_ms : INT64_MAX;
		if (g_timers && g_timers->at_ms <= now && g_timers->at_ms < next_op) {
			timer_node *t = g_timers;
			g_timers = t->next;
			free(due);
			t->fn(t->ctx);
			cJSON_Delete(t->ctx);
			free(t);
			continue;
		}
		if (!n) {
			free(due);
			break;
		}
		(void)next_op;
		sim_op *op = due[0];
		free(due);
		op->state = LRO_SUCCEEDED;
		op->end_ms = op->end_ms > now ? now : op->end_ms;
		if (cJSON_IsTrue(sim_json_get(op->ctx, "_armsimInjectedFailure")))
			lro_fail(op, "InternalServerError",
				 "An internal error occurred while processing the operation (armsim fault injection).");
		store_lag_note(store_get(op->resource_id)); /* reads lag the completion too */
		if (op->complete)
			op->complete(op);
		if (g_done_hook)
			g_done_hook(op);
	}
	for (int i = 0; i < g_nhooks; i++)
		g_hooks[i]();
	depth--;
}

void sim_tick_hook_add(sim_tick_hook fn)
{
	if (g_nhooks < (int)(sizeof g_hooks / sizeof g_hooks[0]))
		g_hooks[g_nhooks++] = fn;
}

/* Completion callbacks by name: a dumped operation names its callback, a
 * load finds it again (function pointers do not survive a restart). */
static struct {
	const char *name;
	lro_complete_fn fn;
} g_fns[32];
static int g_nfns;

int lro_register_fn(const char *name, lro_complete_fn fn)
{
	for (int i = 0; i < g_nfns; i++) {
		if (!strcmp(g_fns[i].name, name)) {
			if (g_fns[i].fn == fn)
				return 0;
			return cmk_error_set(CMK_EINVALID, "lro: completion name '%s' registered twice", name);
		}
	}
	if (g_nfns == (int)(sizeof g_fns / sizeof g_fns[0]))
		return cmk_error_set(CMK_EINVALID, "lro: too many completion callbacks ('%s')", name);
	g_fns[g_nfns].name = name;
	g_fns[g_nfns].fn = fn;
	g_nfns++;
	return 0;
}

static const char *lro__fn_name(lro_complete_fn fn)
{
	for (int i = 0; i < g_nfns; i++)
		if (g_fns[i].fn == fn)
			return g_fns[i].name;
	return NULL;
}

static lro_state lro__state_of(const char *st)
{
	if (!st || !strcasecmp(st, "Succeeded"))
		return LRO_SUCCEEDED;
	if (!strcasecmp(st, "Failed"))
		return LRO_FAILED;
	if (!strcasecmp(st, "Canceled"))
		return LRO_CANCELED;
	return LRO_RUNNING;
}

static char *lro__dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The "_sim" part of a dumped operation: everything lro_start() was told. */
static int lro__restore(sim_op *op, const cJSON *in, const cJSON *sim)
{
	const char *fn = sim_json_str(sim, "complete");
	op->complete = NULL;
	if (fn && *fn) {
		for (int i = 0; i < g_nfns && !op->complete; i++)
			if (!strcmp(g_fns[i].name, fn))
				op->complete = g_fns[i].fn;
		if (!op->complete)
			return cmk_error_set(CMK_EINVALID, "operations: operation %s (%s on %s): unknown completion callback '%s'",
					     op->id, sim_json_str(in, "kind") ? sim_json_str(in, "kind") : "?",
					     sim_json_str(in, "resourceId") ? sim_json_str(in, "resourceId") : "?", fn);
	}
	const cJSON *t0 = sim_json_get(sim, "startMs"), *t1 = sim_json_get(sim, "endMs");
	if (!cJSON_IsNumber(t0) || !cJSON_IsNumber(t1))
		return cmk_error_set(CMK_EINVALID, "operations: operation %s: _sim needs startMs and endMs", op->id);
	op->start_ms = (int64_t)t0->valuedouble;
	op->end_ms = (int64_t)t1->valuedouble;
	const char *s;
	if ((s = sim_json_str(in, "resourceType"))) {
		free(op->resource_type);
		op->resource_type = strdup(s);
	}
	if ((s = sim_json_str(in, "kind"))) {
		free(op->kind);
		op->kind = strdup(s);
	}
	if ((s = sim_json_str(sim, "runningStatus"))) {
		free(op->running_status);
		op->running_status = strdup(s);
	}
	if ((s = sim_json_str(sim, "apiVersion"))) {
		free(op->result_api_version);
		op->result_api_version = strdup(s);
	}
	if ((s = sim_json_str(sim, "method"))) {
		free(op->method);
		op->method = strdup(s);
	}
	const cJSON *n;
	if (cJSON_IsNumber(n = sim_json_get(sim, "result")))
		op->result = (lro_result)n->valueint;
	if (cJSON_IsNumber(n = sim_json_get(sim, "retryAfter")) && n->valueint > 0)
		op->retry_after = n->valueint;
	if (cJSON_IsNumber(n = sim_json_get(sim, "failStatus")))
		op->fail_status = n->valueint;
	op->report_percent = cJSON_IsTrue(sim_json_get(sim, "reportPercent"));
	cJSON_Delete(op->ctx);
	op->ctx = NULL;
	if ((n = sim_json_get(sim, "ctx")) && !cJSON_IsNull(n) && !(op->ctx = cJSON_Duplicate(n, 1)))
		return cmk_error_oom();
	free(op->error_code);
	free(op->error_message);
	op->error_code = lro__dupnull(sim_json_str(sim, "errorCode"));
	op->error_message = lro__dupnull(sim_json_str(sim, "errorMessage"));
	op->state = lro__state_of(sim_json_str(in, "status"));
	if (op->state == LRO_RUNNING && op->end_ms < g_next_due)
		g_next_due = op->end_ms;
	return 0;
}

cJSON *lro_state_dump(void)
{
	cJSON *arr = cJSON_CreateArray();
	size_t n = 0;
	for (op_node *x = g_ops; x; x = x->next)
		n++;
	const sim_op **all = malloc((n ? n : 1) * sizeof *all);
	if (!arr || !all) {
		free(all);
		return arr;
	}
	n = 0;
	for (op_node *x = g_ops; x; x = x->next)
		all[n++] = &x->op;
	char t[40];
	/* oldest first: loading prepends, so the order survives a round trip */
	while (n--) {
		const sim_op *o = all[n];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", o->id);
		cJSON_AddStringToObject(x, "provider", o->provider);
		cJSON_AddStringToObject(x, "location", o->location);
		cJSON_AddStringToObject(x, "subscriptionId", o->subscription_id);
		cJSON_AddStringToObject(x, "resourceId", o->resource_id);
		cJSON_AddStringToObject(x, "resourceType", o->resource_type);
		cJSON_AddStringToObject(x, "kind", o->kind);
		cJSON_AddStringToObject(x, "status", lro__status_name(o));
		simclock_iso8601(t, sizeof t, o->start_ms);
		cJSON_AddStringToObject(x, "startTime", t);
		simclock_iso8601(t, sizeof t, o->end_ms);
		cJSON_AddStringToObject(x, "endTime", t);
		cJSON *s = cJSON_AddObjectToObject(x, "_sim");
		cJSON_AddNumberToObject(s, "startMs", (double)o->start_ms);
		cJSON_AddNumberToObject(s, "endMs", (double)o->end_ms);
		cJSON_AddStringToObject(s, "runningStatus", o->running_status);
		if (o->report_percent) {
			double pct = 100.0;
			if (o->state == LRO_RUNNING && o->end_ms > o->start_ms)
				pct = 100.0 * (double)(simclock_now_ms() - o->start_ms) / (double)(o->end_ms - o->start_ms);
			cJSON_AddNumberToObject(s, "percentComplete", pct > 100 ? 100 : pct);
		}
		cJSON_AddBoolToObject(s, "reportPercent", o->report_percent);
		cJSON_AddNumberToObject(s, "result", o->result);
		cJSON_AddStringToObject(s, "apiVersion", o->result_api_version);
		cJSON_AddStringToObject(s, "method", o->method);
		cJSON_AddNumberToObject(s, "retryAfter", o->retry_after);
		cJSON_AddNumberToObject(s, "failStatus", o->fail_status);
		const char *fn = o->complete ? lro__fn_name(o->complete) : "";
		/* an unregistered callback is a bug in a res_*.c: say so in the
		 * dump, and the load refuses it by name */
		cJSON_AddStringToObject(s, "complete", fn ? fn : "(unregistered)");
		cJSON_AddItemToObject(s, "ctx", o->ctx ? cJSON_Duplicate(o->ctx, 1) : cJSON_CreateNull());
		if (o->error_code)
			cJSON_AddStringToObject(s, "errorCode", o->error_code);
		if (o->error_message)
			cJSON_AddStringToObject(s, "errorMessage", o->error_message);
		cJSON_AddItemToArray(arr, x);
	}
	free(all);
	return arr;
}

int lro_inject(const cJSON *in)
{
	const char *id = sim_json_str(in, "id");
	if (!id || strlen(id) >= sizeof(((sim_op *)0)->id))
		return cmk_error_set(CMK_EINVALID, "operations: each needs an \"id\" (a GUID)");
	const cJSON *sim = sim_json_get(in, "_sim");
	if (cJSON_IsObject(sim)) {
		lro_start_opts r;
		memset(&r, 0, sizeof r);
		r.provider = sim_json_str(in, "provider");
		r.location = sim_json_str(in, "location");
		r.subscription_id = sim_json_str(in, "subscriptionId");
		r.resource_id = sim_json_str(in, "resourceId");
		r.method = "";
		sim_op *op = lro_start(&r);
		if (!op)
			return cmk_error_oom();
		snprintf(op->id, sizeof op->id, "%s", id);
		int rc = lro__restore(op, in, sim);
		if (rc < 0) {
			/* not half loaded: it is the newest, take it off */
			op_node *dead = g_ops;
			g_ops = dead->next;
			lro__free(dead);
			g_nops--;
		}
		return rc;
	}
	lro_start_opts o;
	memset(&o, 0, sizeof o);
	o.provider = sim_json_str(in, "provider");
	o.location = sim_json_str(in, "location");
	o.subscription_id = sim_json_str(in, "subscriptionId");
	o.resource_id = sim_json_str(in, "resourceId");
	o.kind = "fixture";
	o.method = ""; /* started by no request: only "*" fault rules match */
	o.result = LRO_RESULT_OK_EMPTY;
	sim_op *op = lro_start(&o);
	if (!op)
		return cmk_error_oom();
	snprintf(op->id, sizeof op->id, "%s", id);
	const char *st = sim_json_str(in, "status");
	int64_t t0 = simclock_parse(sim_json_str(in, "startTime")), t1 = simclock_parse(sim_json_str(in, "endTime"));
	if (t0 > 0)
		op->start_ms = t0;
	if (t1 > 0)
		op->end_ms = t1;
	if (!st || !strcasecmp(st, "Succeeded"))
		op->state = LRO_SUCCEEDED;
	else if (!strcasecmp(st, "Failed"))
		lro_fail(op, "Failed", "The operation failed.");
	else if (!strcasecmp(st, "Canceled"))
		op->state = LRO_CANCELED;
	else {
		free(op->running_status);
		op->running_status = strdup(st);
		op->end_ms = INT64_MAX / 2;
	}
	return 0;
}

static void lro__status_url(char *out, size_t len, const sim_req *req, const sim_op *op,
			    const char *segment, const char *api_version)
{
	snprintf(out, len, "%s/subscriptions/%s/providers/%s/locations/%s/%s/%s?api-version=%s",
		 req_base_url(req), op->subscription_id, op->provider, op->location, segment, op->id,
		 api_version);
}

/* Real traffic has shown signed operation URLs of ~3,300 characters
 * (query parameters t, c, s, h); with signedOperationUrls on, armsim sends
 * such URLs so clients prove they never truncate them. */
static void lro__sign(char *url, size_t len, const sim_op *op)
{
	size_t o = strlen(url);
	uint64_t x = 0xcbf29ce484222325ull;
	for (const char *p = op->id; *p; p++)
		x = (x ^ (unsigned char)*p) * 0x100000001b3ull;
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	o += (size_t)snprintf(url + o, len - o, "&t=%lld&c=", (long long)(op->start_ms * 10000));
	for (int i = 0; i < 3000 && o + 1 < len; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		url[o++] = b64[(x >> 58) & 63];
	}
	url[o] = '\0';
	o += (size_t)snprintf(url + o, len - o, "&s=");
	for (int i = 0; i < 86 && o + 1 < len; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		url[o++] = b64[(x >> 58) & 63];
	}
	url[o] = '\0';
	snprintf(url + o, len - o, "&h=%.43s", "ZmFrZS1oYXNoLW9mLXRoZS1zaWduZWQtaGVhZGVycw0");
}

void lro_headers(const sim_req *req, sim_resp *resp, const sim_op *op, const lro_header_opts *o)
{
	char url[8192];
	const char *seg = o->status_segment ? o->status_segment
			: o->lower_case_status_path ? "operationstatuses" : "operationStatuses";
	if (o->async_operation) {
		lro__status_url(url, sizeof url, req, op, seg,
				o->status_api_version ? o->status_api_version : req->api_version);
		if (g_settings.signed_operation_urls)
			lro__sign(url, sizeof url, op);
		resp_header(resp, "Azure-AsyncOperation", "%s", url);
	}
	if (o->location) {
		snprintf(url, sizeof url, "%s%s/operationresults/%s?api-version=%s", req_base_url(req),
			 op->resource_id, op->id, req->api_version);
		if (g_settings.signed_operation_urls)
			lro__sign(url, sizeof url, op);
		resp_header(resp, "Location", "%s", url);
	}
	lro_retry_after_header(resp, op);
}

static const char *lro__status_name(const sim_op *op)
{
	switch (op->state) {
	case LRO_RUNNING:
		return op->running_status;
	case LRO_SUCCEEDED:
		return "Succeeded";
	case LRO_FAILED:
		return "Failed";
	case LRO_CANCELED:
		return "Canceled";
	}
	return "Failed";
}

/* realism (statusErrorRate): a status or result URL read answered 5xx now
 * and then, from its own stream seeded by --seed, so the same requests
 * draw the same errors; the operation itself goes on. */
static uint64_t g_status_rng = 0x9e3779b97f4a7c15ull;

void lro_seed(uint64_t seed)
{
	g_status_rng = (seed ? seed : 1) * 0x9e3779b97f4a7c15ull;
}

static bool lro__status_error(sim_resp *resp)
{
	if (g_settings.status_error_rate <= 0)
		return false;
	g_status_rng ^= g_status_rng << 13;
	g_status_rng ^= g_status_rng >> 7;
	g_status_rng ^= g_status_rng << 17;
	double u = (double)(g_status_rng >> 11) / 9007199254740992.0;
	if (u >= g_settings.status_error_rate)
		return false;
	if (u < g_settings.status_error_rate / 2)
		resp_arm_error(resp, 500, "InternalServerError",
			       "Encountered internal server error. Please try again later.");
	else
		resp_arm_error(resp, 503, "ServiceUnavailable",
			       "The service is currently unavailable. Please try again later.");
	return true;
}

void lro_serve_status(sim_req *req, sim_resp *resp, const char *op_id)
{
	sim_op *op = lro_find(op_id);
	char buf[512];
	if (lro__status_error(resp))
		return;
	if (!op) {
		resp_arm_error(resp, 404, "OperationNotFound",
			       "The operation '%s' could not be found.", op_id);
		return;
	}
	cJSON *b = cJSON_CreateObject();
	snprintf(buf, sizeof buf, "/subscriptions/%s/locations/%s/operationStatuses/%s",
		 op->subscription_id, op->location, op->id);
	cJSON_AddStringToObject(b, "id", buf);
	cJSON_AddStringToObject(b, "name", op->id);
	cJSON_AddStringToObject(b, "status", lro__status_name(op));
	simclock_iso8601(buf, sizeof buf, op->start_ms);
	cJSON_AddStringToObject(b, "startTime", buf);
	if (op->state != LRO_RUNNING) {
		simclock_iso8601(buf, sizeof buf, op->end_ms);
		cJSON_AddStringToObject(b, "endTime", buf);
	}
	if (op->report_percent) {
		double pct = 100.0;
		if (op->state == LRO_RUNNING && op->end_ms > op->start_ms)
			pct = 100.0 * (double)(simclock_now_ms() - op->start_ms) /
			      (double)(op->end_ms - op->start_ms);
		cJSON_AddNumberToObject(b, "percentComplete", pct > 100 ? 100 : pct);
	}
	if (op->state == LRO_FAILED || op->state == LRO_CANCELED) {
		cJSON *e = cJSON_AddObjectToObject(b, "error");
		cJSON_AddStringToObject(e, "code", op->error_code ? op->error_code : "OperationCanceled");
		cJSON_AddStringToObject(e, "message", op->error_message ? op->error_message : "The operation was canceled.");
	}
	(void)req;
	if (op->state == LRO_RUNNING)
		lro_retry_after_header(resp, op);
	resp_json(resp, 200, b);
}

void lro_serve_result(sim_req *req, sim_resp *resp, const char *op_id)
{
	sim_op *op = lro_find(op_id);
	if (lro__status_error(resp))
		return;
	if (!op) {
		resp_arm_error(resp, 404, "OperationNotFound", "The operation '%s' could not be found.", op_id);
		return;
	}
	if (op->state == LRO_RUNNING) {
		char url[8192];
		snprintf(url, sizeof url, "%s%s", req_base_url(req), req->raw_url);
		resp_header(resp, "Location", "%s", url);
		lro_retry_after_header(resp, op);
		resp_json(resp, 202, NULL);
		return;
	}
	if (op->state != LRO_SUCCEEDED) {
		resp_arm_error(resp, op->fail_status ? op->fail_status : 400,
			       op->error_code ? op->error_code : "OperationCanceled", "%s",
			       op->error_message ? op->error_message : "The operation was canceled.");
		return;
	}
	switch (op->result) {
	case LRO_RESULT_RESOURCE: {
		sim_res *r = store_get(op->resource_id);
		if (r)
			resp_json(resp, 200, store_render(r, op->result_api_version));
		else
			resp_json(resp, 204, NULL);
		return;
	}
	case LRO_RESULT_OK_EMPTY:
		resp_json(resp, 200, NULL);
		return;
	case LRO_RESULT_NO_CONTENT:
		resp_json(resp, 204, NULL);
		return;
	}
}

cJSON *lro_dump(void)
{
	cJSON *arr = cJSON_CreateArray();
	char t[40];
	for (op_node *n = g_ops; n; n = n->next) {
		const sim_op *o = &n->op;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", o->id);
		cJSON_AddStringToObject(x, "kind", o->kind);
		cJSON_AddStringToObject(x, "resourceId", o->resource_id);
		cJSON_AddStringToObject(x, "status", lro__status_name(o));
		simclock_iso8601(t, sizeof t, o->start_ms);
		cJSON_AddStringToObject(x, "startTime", t);
		simclock_iso8601(t, sizeof t, o->end_ms);
		cJSON_AddStringToObject(x, o->state == LRO_RUNNING ? "dueTime" : "endTime", t);
		if (o->error_code)
			cJSON_AddStringToObject(x, "error", o->error_code);
		cJSON_AddItemToArray(arr, x);
	}
	return arr;
}

void lro_clear(void)
{
	while (g_ops) {
		op_node *n = g_ops->next;
		lro__free(g_ops);
		g_ops = n;
	}
	g_nops = 0;
	g_next_due = INT64_MAX;
	while (g_timers) {
		timer_node *t = g_timers->next;
		cJSON_Delete(g_timers->ctx);
		free(g_timers);
		g_timers = t;
	}
}
