/*
 * res_activitylog.c - the Activity Log (Microsoft.Insights 2015-04-01
 * activityLogs_API.json): every ARM write armsim's handlers answer becomes
 * events (Started, then Accepted and later Succeeded/Failed for a
 * long-running operation, else Succeeded or Failed at once), each visible
 * from its submissionTimestamp (eventTimestamp + activityLogDelaySeconds)
 * and kept 90 days; GET .../eventtypes/management/values serves them with
 * the documented $filter shapes only, $select and nextLink paging.
 *
 * Events live here, not in the store: they are a log of the store's
 * changes. State dumps carry them ("activityLog"); the Accepted operations
 * still waiting for their end event do not survive a dump.
 */
#include "activitylog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lro.h"
#include "router.h"
#include "settings.h"
#include "simclock.h"
#include "store.h"
#include "util.h"

#define RETENTION_MS (90LL * 86400 * 1000)
#define AL_TYPE "Microsoft.Insights/eventtypes/values"

typedef struct al_event {
	int64_t event_ms, submit_ms;
	unsigned long seq;
	cJSON *ev; /* the EventData served (eventTimestamp, submissionTimestamp included) */
} al_event;

/* An operation answered Accepted whose end is still to be logged. */
typedef struct al_pending {
	char op_id[40];
	cJSON *tmpl; /* the Accepted event, copied into the end event */
} al_pending;

static al_event *g_ev;
static size_t g_n, g_cap;
static unsigned long g_seq;
static al_pending *g_pend;
static size_t g_npend, g_cappend;

static const char *const al_versions[] = { "2015-04-01", NULL };

/* ---- events --------------------------------------------------------------------- */

static void al__pair(cJSON *ev, const char *name, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "value", value ? value : "");
	cJSON_AddStringToObject(o, "localizedValue", value ? value : "");
	sim_json_set(ev, name, o);
}

static const char *al__http_name(int status)
{
	static const struct { int s; const char *n; } names[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "NoContent" },
		{ 400, "BadRequest" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "NotFound" },
		{ 405, "MethodNotAllowed" }, { 409, "Conflict" }, { 412, "PreconditionFailed" },
		{ 429, "TooManyRequests" }, { 500, "InternalServerError" }, { 503, "ServiceUnavailable" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].s == status)
			return names[i].n;
	return status >= 400 ? "BadRequest" : "OK";
}

/* Subscription, resource group, provider namespace and type of an id. */
static void al__derive(cJSON *ev, const char *rid)
{
	char buf[1024], type[512] = "", ns[128] = "", sub[128] = "", rg[256] = "";
	snprintf(buf, sizeof buf, "%s", rid ? rid : "");
	char *segs[32];
	int n = 0;
	for (char *save = NULL, *s = strtok_r(buf, "/", &save); s && n < 32; s = strtok_r(NULL, "/", &save))
		segs[n++] = s;
	for (int i = 0; i + 1 < n; i++) {
		if (!strcasecmp(segs[i], "subscriptions") && !sub[0])
			snprintf(sub, sizeof sub, "%s", segs[i + 1]);
		else if (!strcasecmp(segs[i], "resourceGroups") && !rg[0])
			snprintf(rg, sizeof rg, "%s", segs[i + 1]);
		else if (!strcasecmp(segs[i], "providers")) {
			/* the last provider segment names the type: ns/type[/child...] */
			snprintf(ns, sizeof ns, "%s", segs[i + 1]);
			size_t o = (size_t)snprintf(type, sizeof type, "%s", segs[i + 1]);
			for (int j = i + 2; j < n && o < sizeof type; j += 2)
				o += (size_t)snprintf(type + o, sizeof type - o, "/%s", segs[j]);
		}
	}
	sim_json_set_str(ev, "subscriptionId", sub);
	sim_json_set_str(ev, "resourceGroupName", rg);
	al__pair(ev, "resourceProviderName", ns);
	al__pair(ev, "resourceType", type);
}

typedef struct al_spec {
	const char *op_name, *status, *sub_status, *resource_id, *correlation, *operation_id;
	const char *caller, *tenant, *method, *client_request_id;
	int64_t at_ms;
} al_spec;

static cJSON *al__event(const al_spec *s)
{
	char guid[40], ts[48], id[1400];
	cJSON *ev = cJSON_CreateObject();
	sim_guid(guid);
	simclock_iso8601(ts, sizeof ts, s->at_ms);
	cJSON *auth = cJSON_AddObjectToObject(ev, "authorization");
	cJSON_AddStringToObject(auth, "action", s->op_name);
	cJSON_AddStringToObject(auth, "scope", s->resource_id);
	cJSON_AddStringToObject(ev, "caller", s->caller ? s->caller : "");
	cJSON_AddStringToObject(ev, "channels", "Operation");
	cJSON_AddObjectToObject(ev, "claims");
	cJSON_AddStringToObject(ev, "correlationId", s->correlation ? s->correlation : guid);
	cJSON_AddStringToObject(ev, "description", "");
	cJSON_AddStringToObject(ev, "eventDataId", guid);
	bool begin = !strcasecmp(s->status, "Started");
	cJSON *en = cJSON_AddObjectToObject(ev, "eventName");
	cJSON_AddStringToObject(en, "value", begin ? "BeginRequest" : "EndRequest");
	cJSON_AddStringToObject(en, "localizedValue", begin ? "Begin request" : "End request");
	al__pair(ev, "category", "Administrative");
	cJSON *hr = cJSON_AddObjectToObject(ev, "httpRequest");
	cJSON_AddStringToObject(hr, "clientRequestId", s->client_request_id ? s->client_request_id : "");
	cJSON_AddStringToObject(hr, "clientIpAddress", "127.0.0.1");
	cJSON_AddStringToObject(hr, "method", s->method ? s->method : "");
	snprintf(id, sizeof id, "%s/events/%s/ticks/%lld", s->resource_id, guid,
		 (long long)(s->at_ms * 10000 + 621355968000000000LL));
	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddStringToObject(ev, "level", !strcasecmp(s->status, "Failed") ? "Error" : "Informational");
	cJSON_AddStringToObject(ev, "resourceId", s->resource_id);
	al__derive(ev, s->resource_id);
	cJSON_AddStringToObject(ev, "operationId", s->operation_id ? s->operation_id : guid);
	al__pair(ev, "operationName", s->op_name);
	cJSON_AddObjectToObject(ev, "properties");
	al__pair(ev, "status", s->status);
	al__pair(ev, "subStatus", s->sub_status);
	cJSON_AddStringToObject(ev, "eventTimestamp", ts);
	cJSON_AddStringToObject(ev, "tenantId", s->tenant ? s->tenant : "");
	return ev;
}

/* Drop what is older than the 90 days the log keeps. */
static void al__expire(void)
{
	int64_t cut = simclock_now_ms() - RETENTION_MS;
	size_t o = 0;
	for (size_t i = 0; i < g_n; i++) {
		if (g_ev[i].event_ms < cut)
			cJSON_Delete(g_ev[i].ev);
		else
			g_ev[o++] = g_ev[i];
	}
	g_n = o;
}

/* Keep `ev` (ownership moves here); visible from submit_ms. */
static void al__add(cJSON *ev, int64_t event_ms, int64_t submit_ms)
{
	char ts[48];
	simclock_iso8601(ts, sizeof ts, submit_ms);
	sim_json_set_str(ev, "submissionTimestamp", ts);
	if (g_n == g_cap) {
		size_t cap = g_cap ? g_cap * 2 : 64;
		al_event *p = realloc(g_ev, cap * sizeof *p);
		if (!p) {
			cJSON_Delete(ev);
			return;
		}
		g_ev = p;
		g_cap = cap;
	}
	g_ev[g_n++] = (al_event){ event_ms, submit_ms, ++g_seq, ev };
}

static void al__add_now(cJSON *ev, int64_t at_ms)
{
	al__add(ev, at_ms, at_ms + (int64_t)(g_settings.activity_log_delay_s * 1000.0));
}

/* A copy of `tmpl` as the event of another status at `at_ms`. */
static cJSON *al__restatus(const cJSON *tmpl, const char *status, const char *sub_status, int64_t at_ms)
{
	char guid[40], ts[48], id[1400];
	cJSON *ev = cJSON_Duplicate(tmpl, 1);
	sim_guid(guid);
	simclock_iso8601(ts, sizeof ts, at_ms);
	sim_json_set_str(ev, "eventDataId", guid);
	sim_json_set_str(ev, "eventTimestamp", ts);
	snprintf(id, sizeof id, "%s/events/%s/ticks/%lld", sim_json_str(ev, "resourceId"), guid,
		 (long long)(at_ms * 10000 + 621355968000000000LL));
	sim_json_set_str(ev, "id", id);
	al__pair(ev, "status", status);
	al__pair(ev, "subStatus", sub_status);
	cJSON *en = sim_json_obj(ev, "eventName");
	bool begin = !strcasecmp(status, "Started");
	sim_json_set_str(en, "value", begin ? "BeginRequest" : "EndRequest");
	sim_json_set_str(en, "localizedValue", begin ? "Begin request" : "End request");
	sim_json_set_str(ev, "level", !strcasecmp(status, "Failed") ? "Error" : "Informational");
	return ev;
}

static void al__set_status_props(cJSON *ev, const char *code, const char *message)
{
	cJSON *p = sim_json_obj(ev, "properties");
	sim_json_set_str(p, "statusCode", code);
	if (message)
		sim_json_set_str(p, "statusMessage", message);
}

void activitylog_record(const sim_req *req, const sim_resp *resp, const char *action)
{
	char rid[1024], guid[40];
	int64_t now = simclock_now_ms();
	al__expire();
	/* the resource written: a POST names an action of it ("/listKeys") */
	snprintf(rid, sizeof rid, "%s", req->path);
	size_t n = strlen(rid);
	while (n > 1 && rid[n - 1] == '/')
		rid[--n] = '\0';
	char *last = strrchr(rid, '/');
	if (!strcasecmp(req->method, "POST") && last && last != rid)
		*last = '\0';
	sim_guid(guid);
	al_spec s = { .op_name = action, .status = "Started", .sub_status = "", .resource_id = rid,
		      .correlation = req->correlation_id, .operation_id = guid,
		      .caller = req->caller.object_id, .tenant = req->caller.tenant_id, .method = req->method,
		      .client_request_id = req_header(req, "x-ms-client-request-id"), .at_ms = now };
	cJSON *started = al__event(&s);
	cJSON *end;
	sim_op *op = lro_request_started();
	if (resp->status >= 400) {
		end = al__restatus(started, "Failed", al__http_name(resp->status), now);
		char *msg = resp->json ? cJSON_PrintUnformatted(resp->json) : NULL;
		al__set_status_props(end, al__http_name(resp->status), msg);
		free(msg);
	} else if (op && op->state == LRO_RUNNING) {
		end = al__restatus(started, "Accepted", al__http_name(resp->status), now);
		al__set_status_props(end, al__http_name(resp->status), NULL);
		if (g_npend == g_cappend) {
			size_t cap = g_cappend ? g_cappend * 2 : 16;
			al_pending *p = realloc(g_pend, cap * sizeof *p);
			if (p) {
				g_pend = p;
				g_cappend = cap;
			}
		}
		if (g_npend < g_cappend) {
			snprintf(g_pend[g_npend].op_id, sizeof g_pend[g_npend].op_id, "%s", op->id);
			g_pend[g_npend++].tmpl = cJSON_Duplicate(end, 1);
		}
	} else {
		end = al__restatus(started, "Succeeded", al__http_name(resp->status), now);
		al__set_status_props(end, al__http_name(resp->status), NULL);
	}
	al__add_now(started, now);
	al__add_now(end, now);
}

/* An operation ended: log Succeeded or Failed for the write that began it. */
static void al__op_done(const sim_op *op)
{
	for (size_t i = 0; i < g_npend; i++) {
		if (strcmp(g_pend[i].op_id, op->id))
			continue;
		bool ok = op->state == LRO_SUCCEEDED;
		cJSON *ev = al__restatus(g_pend[i].tmpl, ok ? "Succeeded" : "Failed", ok ? "OK" : "", op->end_ms);
		al__set_status_props(ev, ok ? "OK" : (op->error_code ? op->error_code : "Failed"),
				     ok ? NULL : op->error_message);
		al__add_now(ev, op->end_ms);
		cJSON_Delete(g_pend[i].tmpl);
		g_pend[i] = g_pend[--g_npend];
		return;
	}
}

/* ---- injection, dump ------------------------------------------------------------------ */

/* A string member or the "value" of an {value, localizedValue} member. */
static const char *al__value(const cJSON *o, const char *name)
{
	const cJSON *m = sim_json_get(o, name);
	return cJSON_IsString(m) ? m->valuestring : sim_json_str(m, "value");
}

static cJSON *al__from_json(const cJSON *in, int idx, int64_t *event_ms, int64_t *submit_ms)
{
	const char *op = al__value(in, "operationName"), *st = al__value(in, "status");
	const char *rid = sim_json_str(in, "resourceId"), *ts = sim_json_str(in, "eventTimestamp");
	*event_ms = ts ? simclock_parse(ts) : -1;
	if (!op || !st || !rid || !sim_prefix_ci(rid, "/subscriptions/") || *event_ms < 0) {
		cmk_error_set(CMK_EINVALID, "activityLog[%d]: needs operationName, status, resourceId "
					    "(/subscriptions/...) and an ISO 8601 eventTimestamp", idx);
		return NULL;
	}
	const char *sub = sim_json_str(in, "submissionTimestamp");
	*submit_ms = sub ? simclock_parse(sub) : *event_ms + (int64_t)(g_settings.activity_log_delay_s * 1000.0);
	if (*submit_ms < 0) {
		cmk_error_set(CMK_EINVALID, "activityLog[%d]: submissionTimestamp is not ISO 8601", idx);
		return NULL;
	}
	const char *sub_status = al__value(in, "subStatus");
	al_spec s = { .op_name = op, .status = st, .sub_status = sub_status ? sub_status : "", .resource_id = rid,
		      .correlation = sim_json_str(in, "correlationId"), .operation_id = sim_json_str(in, "operationId"),
		      .caller = sim_json_str(in, "caller"), .tenant = sim_json_str(in, "tenantId"),
		      .method = sim_json_str(in, "httpRequest.method"), .at_ms = *event_ms };
	cJSON *ev = al__event(&s);
	/* members given as they are served win (eventDataId, properties, level...) */
	static const char *const keep[] = { "eventDataId", "id", "level", "properties", "claims", "description",
					    "channels", "httpRequest", "authorization" };
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		const cJSON *m = sim_json_get(in, keep[i]);
		if (m)
			sim_json_set(ev, keep[i], cJSON_Duplicate(m, 1));
	}
	return ev;
}

int activitylog_inject(const cJSON *events)
{
	const cJSON *e;
	int idx = 0;
	if (!cJSON_IsArray(events) && !cJSON_IsObject(events))
		return cmk_error_set(CMK_EINVALID, "activityLog: an event object or an array of them");
	/* all or nothing: check every entry first */
	if (cJSON_IsObject(events)) {
		int64_t em, sm;
		cJSON *ev = al__from_json(events, 0, &em, &sm);
		if (!ev)
			return CMK_EINVALID;
		al__add(ev, em, sm);
		return 0;
	}
	cJSON *made = cJSON_CreateArray();
	cJSON_ArrayForEach(e, events) {
		int64_t em, sm;
		cJSON *ev = al__from_json(e, idx++, &em, &sm);
		if (!ev) {
			cJSON_Delete(made);
			return CMK_EINVALID;
		}
		cJSON *w = cJSON_CreateObject();
		cJSON_AddNumberToObject(w, "e", (double)em);
		cJSON_AddNumberToObject(w, "s", (double)sm);
		cJSON_AddItemToObject(w, "ev", ev);
		cJSON_AddItemToArray(made, w);
	}
	cJSON_ArrayForEach(e, made)
		al__add(cJSON_DetachItemFromObject((cJSON *)e, "ev"), (int64_t)sim_json_get(e, "e")->valuedouble,
			(int64_t)sim_json_get(e, "s")->valuedouble);
	cJSON_Delete(made);
	return 0;
}

cJSON *activitylog_dump(void)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < g_n; i++)
		cJSON_AddItemToArray(a, cJSON_Duplicate(g_ev[i].ev, 1));
	return a;
}

void activitylog_clear(void)
{
	for (size_t i = 0; i < g_n; i++)
		cJSON_Delete(g_ev[i].ev);
	g_n = 0;
	for (size_t i = 0; i < g_npend; i++)
		cJSON_Delete(g_pend[i].tmpl);
	g_npend = 0;
}

/* ---- the list API ------------------------------------------------------------------ */

enum { F_NONE, F_RG, F_URI, F_PROVIDER, F_CORRELATION };

typedef struct al_filter {
	int64_t t1, t2;
	int field;
	char value[1024];
} al_filter;

/* Next word of a $filter into w (lower-cased compare is the caller's);
 * a quoted string ('...') comes back without its quotes. false at the end. */
static bool al__word(const char **p, char *w, size_t len, bool *quoted)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return false;
	size_t o = 0;
	*quoted = **p == '\'';
	if (*quoted) {
		(*p)++;
		while (**p && **p != '\'') {
			if (o + 1 < len)
				w[o++] = **p;
			(*p)++;
		}
		if (**p != '\'')
			return false; /* unterminated */
		(*p)++;
	} else {
		while (**p && **p != ' ' && **p != '\'') {
			if (o + 1 < len)
				w[o++] = **p;
			(*p)++;
		}
	}
	w[o] = '\0';
	return true;
}

/* Expect the words of `shape` in order: a plain word matches its text
 * (case-insensitive), "'" a quoted string (copied into the next out[]). */
static bool al__expect(const char **p, const char *const *shape, char out[][1024], int *nout)
{
	char w[1024];
	for (int i = 0; shape[i]; i++) {
		bool q;
		if (!al__word(p, w, sizeof w, &q))
			return false;
		if (!strcmp(shape[i], "'")) {
			if (!q)
				return false;
			snprintf(out[(*nout)++], 1024, "%s", w);
		} else if (q || strcasecmp(w, shape[i])) {
			return false;
		}
	}
	return true;
}

/* The documented shapes only: "eventTimestamp ge 't1' and eventTimestamp le
 * 't2'" alone or followed by one "and <resourceGroupName|resourceUri|
 * resourceProvider|correlationId> eq 'v'". */
static bool al__parse_filter(const char *f, al_filter *out)
{
	static const char *const times[] = { "eventTimestamp", "ge", "'", "and", "eventTimestamp", "le", "'", NULL };
	static const char *const fields[] = { "resourceGroupName", "resourceUri", "resourceProvider", "correlationId" };
	char vals[2][1024], w[1024];
	int nv = 0;
	bool q;
	memset(out, 0, sizeof *out);
	if (!f || !al__expect(&f, times, vals, &nv))
		return false;
	out->t1 = simclock_parse(vals[0]);
	out->t2 = simclock_parse(vals[1]);
	if (out->t1 < 0 || out->t2 < 0)
		return false;
	if (!al__word(&f, w, sizeof w, &q))
		return true;
	if (q || strcasecmp(w, "and") || !al__word(&f, w, sizeof w, &q) || q)
		return false;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!strcasecmp(w, fields[i]))
			out->field = (int)i + 1;
	const char *const tail[] = { "eq", "'", NULL };
	nv = 0;
	if (!out->field || !al__expect(&f, tail, vals, &nv))
		return false;
	snprintf(out->value, sizeof out->value, "%s", vals[0]);
	return !al__word(&f, w, sizeof w, &q); /* nothing after it */
}

static bool al__matches(const al_event *e, const al_filter *f, int64_t snapshot)
{
	if (e->submit_ms > snapshot || e->event_ms < f->t1 || e->event_ms > f->t2)
		return false;
	switch (f->field) {
	case F_RG:
		return sim_streq_ci(sim_json_str(e->ev, "resourceGroupName"), f->value);
	case F_URI:
		return sim_streq_ci(sim_json_str(e->ev, "resourceId"), f->value);
	case F_PROVIDER:
		return sim_streq_ci(sim_json_str(e->ev, "resourceProviderName.value"), f->value);
	case F_CORRELATION:
		return sim_streq_ci(sim_json_str(e->ev, "correlationId"), f->value);
	default:
		return true;
	}
}

/* Newest first (eventTimestamp, then the order they were logged). */
static int al__cmp(const void *a, const void *b)
{
	const al_event *x = *(al_event *const *)a, *y = *(al_event *const *)b;
	if (x->event_ms != y->event_ms)
		return x->event_ms > y->event_ms ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq ? 1 : 0;
}

/* The event with only the members $select names (all when select is NULL). */
static cJSON *al__select(const cJSON *ev, const char *select)
{
	if (!select || !*select)
		return cJSON_Duplicate(ev, 1);
	cJSON *o = cJSON_CreateObject();
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", select);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t n = strlen(t);
		while (n && t[n - 1] == ' ')
			t[--n] = '\0';
		const cJSON *m;
		cJSON_ArrayForEach(m, ev)
			if (!strcasecmp(m->string, t) && !cJSON_GetObjectItemCaseSensitive(o, m->string))
				cJSON_AddItemToObject(o, m->string, cJSON_Duplicate(m, 1));
	}
	return o;
}

static void al__enc(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; s && *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static void al_list(sim_req *req, sim_resp *resp)
{
	const char *filter = req_query(req, "$filter"), *select = req_query(req, "$select");
	const char *skip = req_query(req, "$skipToken");
	al_filter f;
	if (!al__parse_filter(filter, &f)) {
		resp_arm_error(resp, 400, "BadRequest", "$filter searching parameters invalid.");
		return;
	}
	al__expire();
	/* a page token pins the view to when the first page was read, so
	 * events submitted meanwhile do not shift the pages */
	long long snapshot = simclock_now_ms(), offset = 0;
	if (skip && sscanf(skip, "%lld.%lld", &snapshot, &offset) != 2) {
		resp_arm_error(resp, 400, "BadRequest", "The $skipToken is not valid.");
		return;
	}
	al_event **hits = malloc((g_n ? g_n : 1) * sizeof *hits);
	size_t nh = 0;
	for (size_t i = 0; hits && i < g_n; i++)
		if (al__matches(&g_ev[i], &f, snapshot))
			hits[nh++] = &g_ev[i];
	if (nh)
		qsort(hits, nh, sizeof *hits, al__cmp);
	cJSON *b = cJSON_CreateObject(), *val = cJSON_AddArrayToObject(b, "value");
	size_t page = (size_t)g_settings.activity_log_page_size, from = offset < 0 ? 0 : (size_t)offset;
	for (size_t i = from; i < nh && i < from + page; i++)
		cJSON_AddItemToArray(val, al__select(hits[i]->ev, select));
	if (from + page < nh) {
		char ef[2048], es[2048], link[6000];
		al__enc(ef, sizeof ef, filter);
		al__enc(es, sizeof es, select);
		snprintf(link, sizeof link, "%s%s?api-version=%s&$filter=%s%s%s&$skipToken=%lld.%zu", req_base_url(req),
			 req->path, req->api_version, ef, select ? "&$select=" : "", select ? es : "", snapshot,
			 from + page);
		cJSON_AddStringToObject(b, "nextLink", link);
	}
	free(hits);
	resp_json(resp, 200, b);
}

static void al_admin_post(sim_req *req, sim_resp *resp)
{
	const cJSON *in = sim_json_get(req->json, "events");
	if (!in)
		in = req->json;
	if (activitylog_inject(in) < 0) {
		resp_arm_error(resp, 400, "BadRequest", "%s", cmk_error_last());
		return;
	}
	cJSON *b = cJSON_CreateObject();
	cJSON_AddNumberToObject(b, "events", (double)g_n);
	resp_json(resp, 200, b);
}

static void al_admin_get(sim_req *req, sim_resp *resp)
{
	(void)req;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddItemToObject(b, "events", activitylog_dump());
	resp_json(resp, 200, b);
}

static void al_admin_delete(sim_req *req, sim_resp *resp)
{
	(void)req;
	activitylog_clear();
	resp_json(resp, 200, cJSON_CreateObject());
}

void res_activitylog_register(void)
{
	router_add_arm("GET", "/subscriptions/{s}/providers/microsoft.insights/eventtypes/management/values", AL_TYPE,
		       al_versions, true, al_list);
	static const struct { const char *m; sim_handler fn; } admin[] = {
		{ "POST", al_admin_post }, { "GET", al_admin_get }, { "DELETE", al_admin_delete },
	};
	for (size_t i = 0; i < sizeof admin / sizeof admin[0]; i++)
		router_add(&(sim_route){ .method = admin[i].m, .pattern = "/_sim/activitylog", .kind = SIM_ROUTE_ADMIN,
					 .resource_type = "armsim/admin", .sub_cap = -1, .rg_cap = -1, .fn = admin[i].fn });
	lro_done_hook_set(al__op_done);
}
